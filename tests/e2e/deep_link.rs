//! Links opened through the OS reach the running app (RFC 8252 §7.1).

use harness::Desktop;

const LINK: &str = "dev.consentdesk:/finish/e2e?hash=c2lnbmVk&interact_ref=4a1b";

#[tokio::test]
async fn link_opened_by_the_os_reaches_the_running_instance() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    // First run: choose the sandbox to reach Home, where links are listed.
    app.click("welcome-sandbox").await?;
    app.find("profile-card").await?;
    // Wait until the app is up and has registered its scheme.
    assert_eq!(
        app.attr("status-line", "data-tone").await?.as_deref(),
        Some("ok")
    );
    // Home lists links only once one arrived.
    assert!(app.find_all("links").await?.is_empty());

    // `gio open` starts a second consent-desk with the URL; single-instance
    // hands it to this one over D-Bus and the second one exits.
    desktop.open_link(LINK)?;

    // First what became of it: a link for no approval this app waits
    // for is refused, in words; the link itself is under "Show details",
    // its interaction reference redacted.
    let said = app
        .wait_for_text("link-said", |text| text != "Checking this link…")
        .await?;
    assert!(said.contains("so it was refused"), "{said}");
    assert_eq!(
        app.attr("link-item", "data-refused").await?.as_deref(),
        Some("true")
    );
    app.click("link-details").await?;
    let url = app.text("link-url").await?;
    assert_eq!(
        url,
        LINK.replace("interact_ref=4a1b", "interact_ref=(redacted)")
    );
    let item = app.text("link-item").await?;
    assert!(
        item.contains("handed over by your system"),
        "link not marked as forwarded: {item:?}"
    );
    // Still one app, one window: the link did not open a second instance.
    assert_eq!(app.windows().await?.len(), 1);

    app.screenshot("deep-link").await?;
    app.close().await
}

#[tokio::test]
async fn link_that_starts_the_app_is_not_lost() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[LINK]).await?;
    // The link waits behind the first-run choice and is there after it.
    app.click("welcome-sandbox").await?;

    // First what became of it: a link for no approval this app waits
    // for is refused, in words; the link itself is under "Show details",
    // its interaction reference redacted.
    let said = app
        .wait_for_text("link-said", |text| text != "Checking this link…")
        .await?;
    assert!(said.contains("so it was refused"), "{said}");
    assert_eq!(
        app.attr("link-item", "data-refused").await?.as_deref(),
        Some("true")
    );
    app.click("link-details").await?;
    let url = app.text("link-url").await?;
    assert_eq!(
        url,
        LINK.replace("interact_ref=4a1b", "interact_ref=(redacted)")
    );
    let item = app.text("link-item").await?;
    assert!(
        item.contains("it opened Consent Desk"),
        "link not marked as the launch link: {item:?}"
    );
    app.close().await
}
