//! First run and profiles through the GUI, with a real gnome-keyring in the
//! session and the app's own sandbox wallet: the sandbox path to a ready
//! profile, and "Connect my wallet" ending green once the key is registered
//! (through the sandbox's admin interface, as a wallet's developer-keys page
//! would).

use harness::{App, Desktop};

/// The in-process sandbox's base URL, from About.
async fn sandbox_url(app: &App) -> harness::Result<String> {
    app.click("nav-about").await?;
    let url = app
        .wait_for_text("about-sandbox", |text| {
            text.starts_with("http://127.0.0.1:")
        })
        .await?;
    app.click("nav-home").await?;
    Ok(url)
}

async fn admin_post(url: String, body: serde_json::Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the sandbox admin API answers");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn the_sandbox_path_reaches_a_ready_profile() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.find("welcome").await?;
    app.screenshot("welcome").await?;
    app.click("welcome-sandbox").await?;
    assert_eq!(app.text("profile-active-name").await?, "Sandbox");
    let wallet = app.text("profile-active-wallet").await?;
    assert!(wallet.ends_with("/consent-desk"), "{wallet}");
    // The key is in the session's keyring, not in memory only.
    assert!(app.find_all("profile-memory-warning").await?.is_empty());
    // Its public key is published where the sandbox wallet reads it.
    let jwks = reqwest::get(format!("{wallet}/jwks.json"))
        .await
        .expect("jwks")
        .text()
        .await
        .expect("body");
    assert!(jwks.contains("consent-desk-sandbox"), "{jwks}");
    // The choice is remembered: no welcome on the next start.
    app.close().await?;
    let again = desktop.launch(&[]).await?;
    assert_eq!(again.text("profile-active-name").await?, "Sandbox");
    assert!(again.find_all("welcome").await?.is_empty());
    again.close().await
}

#[tokio::test]
async fn connect_my_wallet_ends_green_when_the_key_is_registered() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    let base = sandbox_url(&app).await?;
    admin_post(
        format!("{base}admin/wallet-addresses"),
        serde_json::json!({"name": "qa", "publicName": "QA Desk"}),
    )
    .await;
    admin_post(
        format!("{base}admin/wallet-addresses"),
        serde_json::json!({"name": "nameless"}),
    )
    .await;

    app.click("welcome-connect").await?;
    app.click("connect-allow-http").await?;
    // A wallet without a public name is refused with the reason.
    app.type_into("connect-wallet-input", &format!("{base}nameless"))
        .await?;
    app.click("connect-lookup").await?;
    let error = app
        .wait_for_text("connect-error", |text| !text.is_empty())
        .await?;
    assert!(error.contains("public name"), "{error}");

    app.type_into("connect-wallet-input", &format!("{base}qa"))
        .await?;
    app.click("connect-lookup").await?;
    assert_eq!(app.text("connect-preview-name").await?, "QA Desk");
    assert!(app.text("connect-preview-asset").await?.contains("USD"));
    app.click("connect-next").await?;
    app.click("connect-save").await?;

    // Step 3: the public key to register; not registered yet.
    let jwk_text = app.text("connect-jwk").await?;
    let jwk: serde_json::Value = serde_json::from_str(&jwk_text).expect("the page shows a JWK");
    assert_eq!(jwk["kty"], "OKP");
    assert!(jwk.get("d").is_none(), "no private part reaches the UI");
    app.wait_for_attr("connect-registration", "data-state", |state| {
        state == "kidMissing"
    })
    .await?;
    app.screenshot("connect-register").await?;

    // The person adds it in the wallet; the app notices by itself.
    admin_post(format!("{base}admin/wallet-addresses/qa/keys"), jwk).await;
    app.wait_for_attr("connect-registration", "data-state", |state| {
        state == "registered"
    })
    .await?;
    app.screenshot("connect-registered").await?;
    app.click("connect-done").await?;
    assert_eq!(app.text("profile-active-name").await?, "QA Desk");
    app.close().await
}

/// "Prove I own this wallet address" (Open Payments 1.3 `subject`): the
/// wallet's page asks in its own window, and the app says it is proved.
#[tokio::test]
async fn proving_ownership_goes_through_the_consent_window() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    app.click("nav-profiles").await?;
    app.click("profile-prove").await?;

    app.switch_to_consent_window().await?;
    let page = app
        .client()
        .find(fantoccini::Locator::Css("h1"))
        .await
        .expect("the wallet's page has a heading")
        .text()
        .await
        .expect("its text");
    assert!(
        page.contains("wants to confirm that you own this account"),
        "{page}"
    );
    app.click("consent-approve").await?;

    app.switch_to_main().await?;
    app.wait_for_attr("profile-prove-result", "data-state", |state| {
        state == "proved"
    })
    .await?;
    let said = app.text("profile-prove-result").await?;
    assert!(
        said.contains(wallet.trim()),
        "{said} does not name {wallet}"
    );
    app.screenshot("profile-proved").await?;
    app.close().await
}
