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

    let item = refused_link_shown(&app, LINK).await?;
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

    let item = refused_link_shown(&app, LINK).await?;
    assert!(
        item.contains("it opened Consent Desk"),
        "link not marked as the launch link: {item:?}"
    );
    app.close().await
}

/// Home's list after `sent`, a link for no approval this app waits for,
/// arrived: first what became of it (refused, in words), then under "Show
/// details" the link itself, its interaction reference redacted. The
/// item's whole text, for how it arrived.
pub(crate) async fn refused_link_shown(app: &harness::App, sent: &str) -> harness::Result<String> {
    let said = app
        .wait_for_text("link-said", |text| text != "Checking this link…")
        .await?;
    assert!(said.contains("so it was refused"), "{said}");
    assert_eq!(
        app.attr("link-item", "data-refused").await?.as_deref(),
        Some("true")
    );
    app.click("link-details").await?;
    let shown = app.text("link-url").await?;
    let interact_ref = url::Url::parse(sent)
        .expect("a link")
        .query_pairs()
        .find(|(name, _)| name == "interact_ref")
        .map(|(_, value)| value.into_owned())
        .expect("an interact_ref");
    assert_eq!(
        shown,
        sent.replace(
            &format!("interact_ref={interact_ref}"),
            "interact_ref=(redacted)"
        )
    );
    app.text("link-item").await
}
