//! The consent flow through the real GUI against the app's own sandbox
//! wallet: the form, the wallet's page in a window of its own (no IPC there),
//! Approve clicked in that window, the finish caught and the grant continued
//! and shown; Cancel; the browser path with the finish handed over by the OS
//! (a forged link refused first), also when the link starts the app.

use std::time::{Duration, Instant};

use harness::{App, Desktop, OutsideWallet};

pub(crate) async fn invoke(app: &App, command: &str, args: serde_json::Value) -> serde_json::Value {
    let script = r#"
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
            .then((value) => done({ ok: value }))
            .catch((error) => done({ error }));
    "#;
    app.client()
        .execute_async(script, vec![command.into(), args])
        .await
        .expect("the script runs")
}

pub(crate) async fn grants(app: &App) -> Vec<serde_json::Value> {
    invoke(app, "grants", serde_json::json!({})).await["ok"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The finish links the app has checked, newest first, once there are
/// `count` of them (the harness's deadline, then a failure naming them).
pub(crate) async fn finishes_when(app: &App, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found: Vec<serde_json::Value> = activity(app, "finish")
            .await
            .into_iter()
            .filter(|entry| entry["kind"] == "finish")
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{count} finish links were not recorded: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The activity log (newest first) whose entries mention `text`.
pub(crate) async fn activity(app: &App, text: &str) -> Vec<serde_json::Value> {
    let query = serde_json::json!({
        "query": {"text": text, "failuresOnly": false},
        "limit": 100,
        "offset": 0,
    });
    let answer = invoke(app, "activity", query).await;
    answer["ok"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("the activity log: {answer}"))
}

/// Fills the form for $13.20, daily or once, and asks the wallet.
pub(crate) async fn ask(app: &App, daily: bool, in_browser: bool) -> harness::Result<()> {
    app.click("home-approve").await?;
    let wallet = app
        .attr("approve-wallet", "value")
        .await?
        .unwrap_or_default();
    assert!(
        wallet.ends_with("/alice"),
        "the sandbox payer is prefilled: {wallet}"
    );
    app.type_into("approve-amount", "13.20").await?;
    app.click(if daily {
        "approve-repeat-day"
    } else {
        "approve-repeat-once"
    })
    .await?;
    if in_browser {
        app.click("approve-in-browser").await?;
    }
    // The preview follows the form; wait for the one that matches it.
    app.wait_for_text("approve-summary", |text| {
        text.contains("$13.20") && text.contains("every day") == daily
    })
    .await?;
    app.click("approve-submit").await
}

/// Asks for $13.20 once, in the consent window, and waits until the
/// wallet's page is there; the main window is current after.
async fn waiting_in_window(app: &App) -> harness::Result<()> {
    ask(app, false, false).await?;
    app.switch_to_consent_window().await?;
    app.find("consent-approve").await?;
    app.switch_to_main().await
}

/// The consent page a person would open: the sandbox's, through a
/// cookie-keeping client; returns the finish link the wallet sends back.
pub(crate) async fn consent_elsewhere(consent_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let start_url = url::Url::parse(consent_url).expect("a URL");
    let start = browser.get(start_url.clone()).send().await.expect("start");
    assert_eq!(start.status(), 302);
    let page_url = start_url
        .join(start.headers()["location"].to_str().unwrap())
        .unwrap();
    let chosen = browser
        .post(page_url.clone())
        .form(&[("choice", "accept")])
        .send()
        .await
        .expect("choose");
    let step = page_url
        .join(chosen.headers()["location"].to_str().unwrap())
        .unwrap();
    let back = browser.get(step).send().await.expect("finish");
    back.headers()["location"].to_str().unwrap().to_owned()
}

/// The pending grant's consent page (the app keeps it while it waits).
pub(crate) async fn pending_consent_url(app: &App) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(url) = grants(app)
            .await
            .iter()
            .find(|g| g["state"] == "pending")
            .and_then(|g| g["consentUrl"].as_str().map(str::to_owned))
        {
            return url;
        }
        assert!(Instant::now() < deadline, "no pending grant");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn approving_in_the_consent_window_grants_access() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;

    let mut kept = None;
    for daily in [true, false] {
        ask(&app, daily, false).await?;
        // The first step (asking the wallet) is done: the wallet answered.
        app.wait_for_attr("flow-step", "data-state", |s| s == "done")
            .await?;

        // The wallet's own page, in its own window, with no way into the app.
        let window = app.switch_to_consent_window().await?;
        // The second approval shows the first one's window again: a window
        // made and destroyed per approval leaks in WebKitGTK.
        if let Some(kept) = &kept {
            assert_eq!(&window, kept, "the consent window is reused");
        }
        kept = Some(window.clone());
        let amount = app.text("consent-amount").await?;
        assert!(amount.contains("$13.20"), "{amount}");
        let ipc: serde_json::Value = app
            .client()
            .execute_async(
                r#"const done = arguments[0];
                   try {
                       window.__TAURI_INTERNALS__.invoke('grants', {})
                           .then(() => done('answered'))
                           .catch((error) => done('refused: ' + error));
                   } catch (error) { done('no ipc: ' + error); }"#,
                vec![],
            )
            .await
            .expect("a script runs in the consent window");
        let ipc = ipc.as_str().unwrap_or_default().to_owned();
        assert!(
            ipc.starts_with("refused") || ipc.starts_with("no ipc"),
            "the wallet's page reached IPC: {ipc}"
        );
        if !daily {
            // The kept window, shown again: its strip names this approval's wallet.
            desktop.screenshot_screen("consent-window-reused-screen")?;
        }
        if daily {
            app.screenshot("consent-window").await?;
            desktop.screenshot_screen("consent-window-screen")?;
            // The wallet's Approve and Reject show without scrolling on a
            // 1280×900 screen: the window is as tall as the screen allows.
            let unseen: serde_json::Value = app
                .client()
                .execute(
                    r#"return ['consent-approve', 'consent-reject'].filter((id) => {
                           const box = document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect();
                           return !(box.top >= 0 && box.bottom <= window.innerHeight);
                       });"#,
                    vec![],
                )
                .await
                .expect("a script runs in the consent window");
            assert_eq!(
                unseen,
                serde_json::json!([]),
                "below the fold of the consent window"
            );
        }
        app.click("consent-approve").await?;

        // Back in the app: verified, continued, shown; the window is gone.
        app.switch_to_main().await?;
        app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
            .await?;
        let summary = app.text("flow-result-summary").await?;
        assert!(summary.contains("$13.20"), "{summary}");
        assert_eq!(summary.contains("every day"), daily, "{summary}");
        app.wait_for_consent_windows_closed().await?;
        // Kept hidden on a blank page: no wallet's page runs unseen.
        assert_eq!(
            app.window_state(&window).await?,
            ("about:blank".to_owned(), "hidden".to_owned()),
            "the kept consent window"
        );
        if daily {
            app.screenshot("flow-approved").await?;
        }
        app.click("flow-home").await?;
    }
    let stored = grants(&app).await;
    assert_eq!(
        stored.iter().filter(|g| g["state"] == "approved").count(),
        2,
        "{stored:?}"
    );
    assert!(stored[1]["accessJson"]
        .as_str()
        .unwrap_or_default()
        .contains("\"interval\""));
    // The wallet sent the window to the app's private-use scheme; nothing
    // but the window's navigation hook could have caught it there.
    let records = desktop.command(&["grant", "list", "--json"]);
    let records = records.as_array().expect("a list of grants");
    assert_eq!(records.len(), 2, "{records:?}");
    for record in records {
        let finish = record["finishUri"].as_str().unwrap_or_default();
        assert!(finish.starts_with("dev.consentdesk:/finish/"), "{finish}");
    }
    // The kept window does not keep the app alive: closing the main window
    // (as a person does, through the window manager) ends it.
    desktop.close_window_titled("Consent Desk")?;
    desktop.wait_until_no_instance()?;
    // The session's browser is gone with the app.
    let _ = app.close().await;
    Ok(())
}

#[tokio::test]
async fn cancel_or_closing_the_consent_window_cancels_at_the_wallet() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    waiting_in_window(&app).await?;
    app.click("flow-cancel").await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "cancelled")
        .await?;
    app.wait_for_consent_windows_closed().await?;
    // The person pressed Cancel: not "you closed the window" (issue 16).
    let said = app.text("flow-result-message").await?;
    assert!(said.starts_with("You cancelled the request"), "{said}");
    let stored = grants(&app).await;
    assert_eq!(stored[0]["state"], "cancelled", "{stored:?}");

    // Closing the wallet's window itself (as a window manager asks) cancels too.
    app.click("nav-home").await?;
    let wallet = app.text("profile-active-wallet").await?;
    waiting_in_window(&app).await?;
    desktop.close_window_titled("approve in your wallet")?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "cancelled")
        .await?;
    app.wait_for_consent_windows_closed().await?;
    let said = app.text("flow-result-message").await?;
    assert!(said.contains("closed your wallet's window"), "{said}");

    // The wallet saw both cancellations (`DELETE` on the continue URI).
    let base = wallet.trim_end_matches("consent-desk");
    let records = desktop.command(&["grant", "list", "--json"]);
    let records = records.as_array().expect("a list of grants");
    assert_eq!(records.len(), 2, "{records:?}");
    for record in records {
        assert_eq!(record["state"], "cancelled", "{record}");
        let continue_uri = record["continueUri"].as_str().unwrap_or_default();
        let seen = harness::wallet_grant(base, continue_uri).await;
        assert_eq!(seen["state"], "revoked", "{seen} for {continue_uri}");
    }
    app.close().await
}

#[tokio::test]
async fn closing_the_wallet_s_window_after_the_main_one_still_cancels_at_the_wallet(
) -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    waiting_in_window(&app).await?;
    // The main window first: the app stays for the wallet's window.
    desktop.close_window_titled("Consent Desk")?;
    // Then the wallet's window: the app ends, but only once the wallet was
    // told (the request is not left open there, nor waiting here).
    desktop.close_window_titled("approve in your wallet")?;
    desktop.wait_until_no_instance()?;
    let _ = app.close().await;
    let records = desktop.command(&["grant", "list", "--json"]);
    assert_eq!(records[0]["state"], "cancelled", "{records}");
    Ok(())
}

#[tokio::test]
async fn an_approval_waiting_in_the_window_goes_to_the_browser_and_completes_there(
) -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    waiting_in_window(&app).await?;
    // "Open in my browser instead" in the main window: the consent window
    // goes without cancelling, and the approval waits in the browser.
    app.click("flow-in-browser").await?;
    app.wait_for_consent_windows_closed().await?;
    let said = app
        .wait_for_text("flow-message", |text| text.contains("browser"))
        .await?;
    assert!(!said.contains("cancel"), "{said}");
    assert!(app.find_all("flow-in-browser").await?.is_empty());
    assert!(grants(&app).await.iter().any(|g| g["state"] == "pending"));
    // Approved there, the wallet's link comes back through the OS.
    let finish = consent_elsewhere(&pending_consent_url(&app).await).await;
    desktop.open_link(&finish)?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    app.close().await
}

#[tokio::test]
async fn approving_in_the_browser_comes_back_through_a_link() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    ask(&app, false, true).await?;
    let finish = consent_elsewhere(&pending_consent_url(&app).await).await;
    assert!(finish.starts_with("dev.consentdesk:/finish/"), "{finish}");

    // A forged link first: refused and said so; the grant still waits.
    desktop.open_link(&finish.replace("hash=", "hash=AAAA"))?;
    let warning = app.text("flow-refused").await?;
    assert!(
        warning.contains(
            "The link that came back did not come from your wallet for this approval, so it was \
             refused; the approval is still waiting."
        ),
        "{warning}"
    );
    assert!(grants(&app).await.iter().any(|g| g["state"] == "pending"));
    // The real link, handed over by the OS to the running app.
    desktop.open_link(&finish)?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    // The same link again: refused, the grant stays approved. `gio open`
    // returns before the app has handled it, so wait for the app's own
    // record of it: a third finish in the activity log, refused.
    desktop.open_link(&finish)?;
    let finishes = finishes_when(&app, 3).await;
    let again = &finishes[0];
    assert_eq!(again["ok"], false, "{again}");
    assert_eq!(
        again["outcome"], "this approval was already approved; the second finish link was refused",
        "{again}"
    );
    assert_eq!(finishes[1]["ok"], true, "{finishes:?}");
    assert_eq!(finishes[2]["hashVerified"], false, "{finishes:?}");
    app.click("flow-home").await?;
    let stored = grants(&app).await;
    assert_eq!(stored[0]["state"], "approved", "{stored:?}");
    app.close().await
}

#[tokio::test]
async fn a_finish_link_that_starts_the_app_completes_the_waiting_grant() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    // A profile for a wallet outside the app, set up with the command line.
    let wallet = OutsideWallet::start();
    wallet.connect(&desktop, &[]).await;

    let app = desktop.launch(&[]).await?;
    app.click("home-approve").await?;
    app.type_into("approve-wallet", &format!("{}alice", wallet.base))
        .await?;
    app.type_into("approve-amount", "13.20").await?;
    app.click("approve-in-browser").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$13.20"))
        .await?;
    app.click("approve-submit").await?;
    let consent_url = pending_consent_url(&app).await;
    app.close().await?;

    // The app is closed while the person approves in the browser; the OS
    // starts it with the link, and it finds the grant in its store.
    let finish = consent_elsewhere(&consent_url).await;
    let again = desktop.launch(&[&finish]).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stored = grants(&again).await;
        if stored.first().is_some_and(|g| g["state"] == "approved") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the grant was not completed: {stored:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    again.close().await
}

#[tokio::test]
async fn rejecting_or_an_expired_approval_is_said_in_words() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;

    // Reject in the wallet's window. The link back carries no hash (by spec)
    // and the wallet's poll cannot confirm it (Rafiki answers a rejected
    // grant as a pending one), so the app cancels the request at the wallet
    // before it ends it here: both ends agree, and the window closes.
    ask(&app, false, false).await?;
    app.switch_to_consent_window().await?;
    app.click("consent-reject").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "failed")
        .await?;
    let message = app.text("flow-result-message").await?;
    assert!(message.contains("You rejected"), "{message}");
    app.wait_for_consent_windows_closed().await?;
    app.click("nav-home").await?;

    // The wallet lets the approval expire (the sandbox's fault switch).
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk");
    let switched = reqwest::Client::new()
        .put(format!("{base}admin/faults"))
        .header("content-type", "application/json")
        .body(r#"{"expireInteractions":true}"#)
        .send()
        .await
        .expect("the admin API answers");
    assert_eq!(switched.status(), 200);
    ask(&app, false, false).await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "failed")
        .await?;
    let message = app.text("flow-result-message").await?;
    assert!(message.contains("expired"), "{message}");

    // Home names them: the newest expired, the first rejected.
    let states: Vec<String> = grants(&app)
        .await
        .iter()
        .map(|grant| grant["state"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(states, ["expired", "rejected"]);
    app.close().await
}

#[tokio::test]
async fn a_wallet_answering_503_is_one_sentence_with_retry_and_no_server_words(
) -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk");
    let host = url::Url::parse(&wallet).expect("a URL");
    let host = host.host_str().unwrap_or_default();
    // The sandbox answers the grant request 503 with its own error code.
    let switched = reqwest::Client::new()
        .put(format!("{base}admin/faults"))
        .header("content-type", "application/json")
        .body(r#"{"fail":{"method":"POST","path":"/auth","status":503}}"#)
        .send()
        .await
        .expect("the admin API answers");
    assert_eq!(switched.status(), 200);
    ask(&app, false, false).await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "failed")
        .await?;
    let message = app.text("flow-result-message").await?;
    assert_eq!(
        message,
        format!(
            "The wallet at {host} is not answering right now (HTTP 503). Try again in a moment."
        )
    );
    app.find("flow-retry").await?;
    // The wallet's own code stays in the folded details; no "Code: grant".
    let result = app.text("flow-result").await?;
    assert!(!result.contains("Code"), "{result}");
    assert!(!message.contains("injected_fault"), "{message}");
    app.close().await
}

#[tokio::test]
async fn a_profile_for_wallets_without_custom_schemes_finishes_on_loopback() -> harness::Result<()>
{
    let desktop = Desktop::start()?;
    let wallet = OutsideWallet::start();
    let profile = wallet.connect(&desktop, &[]).await;
    assert_eq!(profile["loopbackFinish"], false);

    let app = desktop.launch(&[]).await?;
    // The person switches the profile to loopback on the Profiles screen.
    let id = profile["id"].as_str().unwrap_or_default().to_owned();
    app.click("nav-profiles").await?;
    app.click_in("profile-item", &id, "profile-loopback-finish")
        .await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while desktop.command(&["profile", "show", &id, "--json"])["loopbackFinish"] != true {
        assert!(
            std::time::Instant::now() < deadline,
            "the profile was not switched to loopback"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click("nav-home").await?;
    app.click("home-approve").await?;
    app.type_into("approve-wallet", &format!("{}alice", wallet.base))
        .await?;
    app.type_into("approve-amount", "5").await?;
    app.click("approve-in-browser").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$5.00"))
        .await?;
    app.click("approve-submit").await?;
    // The browser comes back to a listener of the running app.
    let finish = consent_elsewhere(&pending_consent_url(&app).await).await;
    assert!(
        finish.starts_with("http://127.0.0.1:") && finish.contains("/finish/"),
        "{finish}"
    );
    let page = reqwest::get(&finish).await.expect("the listener answers");
    assert!(page
        .text()
        .await
        .unwrap_or_default()
        .contains("close this tab"));
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;

    // In the app's window the same profile returns to a loopback link, which
    // the window's navigation hook catches before it loads.
    app.click("flow-home").await?;
    app.click("home-approve").await?;
    app.type_into("approve-wallet", &format!("{}alice", wallet.base))
        .await?;
    app.type_into("approve-amount", "6").await?;
    app.click("approve-in-window").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$6.00"))
        .await?;
    app.click("approve-submit").await?;
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    app.wait_for_consent_windows_closed().await?;
    let records = desktop.command(&["grant", "list", "--json"]);
    let finishes: Vec<&str> = records
        .as_array()
        .expect("a list of grants")
        .iter()
        .map(|record| record["finishUri"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(finishes.len(), 2, "{finishes:?}");
    assert!(
        finishes.iter().all(|f| f.starts_with("http://127.0.0.1:")),
        "{finishes:?}"
    );
    app.close().await
}

#[tokio::test]
async fn a_key_in_a_passphrase_file_signs_after_the_passphrase() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let wallet = OutsideWallet::start();
    let key_file = desktop.home().join("qa.key.json");
    wallet
        .connect(
            &desktop,
            &[
                "--key-file",
                key_file.to_str().unwrap_or_default(),
                "--passphrase-env",
                "QA_PASSPHRASE",
            ],
        )
        .await;

    let app = desktop.launch(&[]).await?;
    app.click("home-approve").await?;
    app.type_into("approve-wallet", &format!("{}alice", wallet.base))
        .await?;
    app.type_into("approve-amount", "2.50").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$2.50"))
        .await?;
    // A wrong passphrase: said so, nothing asked of the wallet.
    app.type_into("approve-passphrase", "not the passphrase")
        .await?;
    app.click("approve-submit").await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "failed")
        .await?;
    let message = app.text("flow-result-message").await?;
    assert!(message.contains("passphrase"), "{message}");
    assert!(grants(&app).await.is_empty(), "no grant was requested");

    app.click("nav-approve").await?;
    app.type_into("approve-passphrase", "correct horse battery")
        .await?;
    app.wait_for_text("approve-summary", |text| text.contains("$2.50"))
        .await?;
    app.click("approve-submit").await?;
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    app.close().await
}

/// What a hostile wallet page does in the consent window: each way into the
/// app a page has, tried from the page's own script. Resolves to a list of
/// what each attempt saw.
const HOSTILE_PAGE: &str = r#"
    const done = arguments[0];
    const seen = {};
    const settle = (name, promise) => promise.then(
        (value) => { seen[name] = 'answered: ' + JSON.stringify(value).slice(0, 80); },
        (error) => { seen[name] = 'refused: ' + String(error).slice(0, 80); });
    const tries = [];
    const internals = window.__TAURI_INTERNALS__;
    for (const [command, args] of [
        ['grants', {}],
        ['end_grant', { id: 'x' }],
        ['export_activity', { query: { text: '', failuresOnly: false }, path: '/tmp/stolen.jsonl' }],
        ['plugin:notification|notify', { options: { title: 'x' } }],
    ]) {
        try {
            tries.push(settle('invoke ' + command, internals.invoke(command, args)));
        } catch (error) { seen['invoke ' + command] = 'no ipc: ' + error; }
    }
    for (const url of ['ipc://localhost/grants', 'http://ipc.localhost/grants',
                       'tauri://localhost/index.html', 'file:///etc/passwd']) {
        tries.push(settle('fetch ' + url, fetch(url, { method: 'POST', body: '{}' })
            .then((response) => response.status)));
    }
    try {
        const opened = window.open('https://example.org/', '_blank');
        seen['window.open'] = opened ? 'opened' : 'refused';
    } catch (error) { seen['window.open'] = 'refused: ' + error; }
    Promise.all(tries).then(() => done(seen));
"#;

#[tokio::test]
async fn a_hostile_consent_page_reaches_nothing_in_the_app() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let known = app.windows().await?;
    ask(&app, false, false).await?;
    app.switch_to_consent_window().await?;
    let page = app.client().current_url().await.expect("the wallet's page");

    // Every way into the app a page's script has: none answers.
    let seen = app
        .client()
        .execute_async(HOSTILE_PAGE, vec![])
        .await
        .expect("the page's script runs");
    let seen = seen.as_object().expect("what each attempt saw").clone();
    assert_eq!(seen.len(), 9, "every attempt reported: {seen:?}");
    for (attempt, outcome) in &seen {
        let outcome = outcome.as_str().unwrap_or_default();
        assert!(
            outcome.starts_with("refused") || outcome.starts_with("no ipc"),
            "{attempt} reached the app: {outcome}"
        );
    }

    // Navigations to the app's pages and to local files are not loaded: the
    // window stays on the wallet's page.
    for target in [
        "tauri://localhost/index.html",
        "http://ipc.localhost/grants",
        "file:///etc/passwd",
    ] {
        let script = format!("window.location.href = {target:?};");
        // The driver may or may not see the script end before a navigation
        // would; what counts is where the window is afterwards.
        let _ = app.client().execute(&script, vec![]).await;
        // The page is still the wallet's and still scriptable: its own
        // approve button is there (a navigation, had it happened, would
        // have replaced the document).
        app.wait_for_text("consent-amount", |text| text.contains("$13.20"))
            .await?;
        let now = app.client().current_url().await.expect("a page");
        assert_eq!(now.origin(), page.origin(), "navigated to {target}: {now}");
    }
    assert_eq!(
        app.windows().await?.len(),
        known.len() + 1,
        "no window but the wallet's opened"
    );

    // The app saw nothing of it: the approval still waits, no export was
    // written, and the person can still approve.
    app.switch_to_main().await?;
    let stored = grants(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["state"], "pending", "{stored:?}");
    assert!(!std::path::Path::new("/tmp/stolen.jsonl").exists());
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    app.close().await
}
