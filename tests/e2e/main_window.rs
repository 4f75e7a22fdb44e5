//! The main window renders, shows what Rust says, and round-trips commands.

use harness::Desktop;

#[tokio::test]
async fn shows_name_version_and_the_status_from_rust() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;

    assert_eq!(app.text("app-name").await?, "Consent Desk");
    // The version comes from tauri.conf.json through the app_status command.
    let version = app
        .wait_for_text("app-version", |text| !text.is_empty())
        .await?;
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));

    // The status sentence is written in Rust; the UI has no copy of it.
    // With the link scheme registered it is short: no jargon on every screen.
    let status = app.text("status-line").await?;
    assert_eq!(status, "Ready.", "{}", desktop.log());
    assert_eq!(
        app.attr("status-line", "data-tone").await?.as_deref(),
        Some("ok")
    );

    // The window really painted: text and colours, not a blank surface.
    let shot = app.screenshot("main-window").await?;
    assert!(
        shot.size.0 >= 720 && shot.size.1 >= 520,
        "window too small: {shot:?}"
    );
    assert!(shot.distinct_colors > 50, "window looks blank: {shot:?}");
    app.close().await
}

#[tokio::test]
async fn about_round_trips_through_rust() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;

    app.click("nav-about").await?;
    // The folders are resolved by Rust from this session's XDG variables, so
    // they prove the command ran in this app with this environment.
    let data_dir = app.text("about-data-dir").await?;
    assert_eq!(
        data_dir,
        format!("{}/dev.consentdesk.client", desktop.var("XDG_DATA_HOME"))
    );
    let config_dir = app.text("about-config-dir").await?;
    assert_eq!(
        config_dir,
        format!("{}/dev.consentdesk.client", desktop.var("XDG_CONFIG_HOME"))
    );
    let webview = app.text("about-webview").await?;
    assert!(
        webview.split('.').count() >= 3
            && webview.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "WebKitGTK version looks wrong: {webview:?}"
    );
    assert_eq!(app.text("about-scheme").await?, "dev.consentdesk:");

    assert_eq!(
        app.text("about-log-dir").await?,
        format!(
            "{}/dev.consentdesk.client/logs",
            desktop.var("XDG_DATA_HOME")
        )
    );
    // The log file named on About exists: the app wrote its start-up line.
    let log_file = app.text("about-log-file").await?;
    let log = std::fs::read_to_string(&log_file)?;
    assert!(
        log.contains("consent desk started"),
        "log file {log_file} lacks the start line"
    );

    app.screenshot("about").await?;
    app.click("nav-home").await?;
    app.click("welcome-sandbox").await?;
    app.find("home-pay").await?;
    app.close().await
}
