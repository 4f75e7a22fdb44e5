//! Paying through the GUI against the app's sandbox wallet: quote shown,
//! approved in the wallet's window, sent and settled; balances read from the
//! wallet's admin API.

use std::time::{Duration, Instant};

use harness::{balances, App, Desktop, OutsideWallet};

/// Fills the Pay form, checks the quote, approves in the wallet's window and
/// waits until the payment is paid.
pub(crate) async fn pay(
    app: &App,
    to: &str,
    amount: &str,
    receive: bool,
) -> harness::Result<(String, String)> {
    app.type_into("pay-to", to).await?;
    app.type_into("pay-amount", amount).await?;
    app.click(if receive {
        "pay-kind-receive"
    } else {
        "pay-kind-send"
    })
    .await?;
    app.click("pay-quote").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "quoted")
        .await?;
    let debit = app.text("pay-debit").await?;
    let received = app.text("pay-receive").await?;
    app.click("pay-confirm").await?;
    app.switch_to_consent_window().await?;
    let asked = app.text("consent-amount").await?;
    let charged = debit.split_whitespace().next().unwrap_or_default();
    assert!(
        asked.contains(charged),
        "the wallet asks for the quote's {charged}: {asked}"
    );
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "completed")
        .await?;
    app.wait_for_consent_windows_closed().await?;
    Ok((debit, received))
}

#[tokio::test]
async fn payments_in_one_and_across_currencies_settle_and_move_the_money() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();
    app.click("nav-pay").await?;
    let from = app.attr("pay-from", "value").await?.unwrap_or_default();
    assert_eq!(
        from,
        format!("{base}alice"),
        "the sandbox payer is prefilled"
    );

    // Dollars to dollars: what is sent arrives.
    let before = balances(&base).await;
    let (debit, received) = pay(&app, &format!("{base}dave"), "12.50", false).await?;
    assert!(debit.starts_with("$12.50"), "{debit}");
    assert_eq!(received, "$12.50");
    let after = balances(&base).await;
    assert_eq!(after["alice"], before["alice"] - 1250);
    assert_eq!(after["dave"], before["dave"] + 1250);
    // Who was paid, by the name dave's wallet gives.
    let to = app.text("pay-to-shown").await?;
    assert!(to.starts_with("Dave Sandbox"), "{to}");
    app.screenshot("pay-completed").await?;

    // Dollars to euros: bob receives exactly €10.00; alice pays the quote.
    app.click("pay-again").await?;
    let before = after;
    let (debit, received) = pay(&app, &format!("{base}bob"), "10", true).await?;
    assert_eq!(received, "€10.00");
    let rate = app.text("pay-rate").await?;
    assert!(rate.starts_with("1 USD"), "{rate}");
    let after = balances(&base).await;
    assert_eq!(after["bob"], before["bob"] + 1000);
    let paid = before["alice"] - after["alice"];
    assert!(
        paid > 1000,
        "a euro costs more than a dollar, plus the fee: {paid}"
    );
    assert!(
        debit.starts_with(&format!("${}.{:02}", paid / 100, paid % 100)),
        "{debit} vs {paid}"
    );

    // Home lists the grants; the newest (the euro payment's) shows its
    // budget spent in full, the payment made with it, and is managed there.
    app.click("nav-home").await?;
    app.click("grant-open").await?;
    let spent = app.text("grant-spent").await?;
    assert!(
        spent.starts_with(&format!("${}.{:02} used of", paid / 100, paid % 100)),
        "{spent}"
    );
    assert_eq!(
        app.attr("grant-meter", "aria-valuenow").await?.as_deref(),
        Some("100")
    );
    assert_eq!(app.find_all("grant-payment").await?.len(), 1);
    // The payment made with it, to whom by name, and where it is in words.
    let made = app.text("grant-payment").await?;
    assert!(
        made.contains("to Bob Sandbox") && made.ends_with("· Paid"),
        "{made}"
    );
    // Renew: the wallet is asked (`POST` on the token's manage URI) and
    // answers 200 with a new token, which the revoke below then uses.
    assert_eq!(rotations(&app).await, Vec::<serde_json::Value>::new());
    app.click("grant-rotate").await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let rotated = loop {
        if let Some(found) = rotations(&app).await.pop() {
            break found;
        }
        assert!(Instant::now() < deadline, "the token was not renewed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rotated["status"], 200, "{rotated}");
    assert_eq!(rotated["ok"], true, "{rotated}");
    assert_eq!(rotated["withToken"], true, "{rotated}");
    app.click("grant-revoke").await?;
    app.click("grant-revoke-confirm").await?;
    app.wait_for_attr("grant-item", "data-state", |s| s == "revoked")
        .await?;
    app.click("grant-end").await?;
    app.click("grant-end-confirm").await?;
    app.wait_for_attr("grant-item", "data-state", |s| s == "cancelled")
        .await?;
    // Ended after it paid: not "you cancelled the request".
    let ended = app.text("grant-item").await?;
    assert!(
        ended.contains("You ended this approval") && ended.contains("stay paid"),
        "{ended}"
    );
    app.screenshot("grant-detail").await?;

    // The activity log shows the requests made and the finishes checked,
    // and exports them for a bug report without a token in them.
    app.click("nav-activity").await?;
    app.find("activity-item").await?;
    let operations = {
        let mut found = Vec::new();
        for item in app.find_all("activity-item").await? {
            found.push(
                item.attr("data-operation")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        found
    };
    for expected in [
        "create-quote",
        "create-outgoing-payment",
        "post-request",
        "post-continue",
        "finish",
    ] {
        assert!(
            operations.iter().any(|o| o == expected),
            "{expected} in {operations:?}"
        );
    }
    app.type_into("activity-filter", "finish").await?;
    app.click("activity-search").await?;
    app.wait_for_attr("activity-item", "data-operation", |o| o == "finish")
        .await?;
    app.click("activity-open").await?;
    let verified = app.text("activity-hash-verified").await?;
    assert!(verified.starts_with("verified"), "{verified}");
    // A payment's creation opens on what went and came back, the token's
    // value redacted.
    app.type_into("activity-filter", "create-outgoing-payment")
        .await?;
    app.click("activity-search").await?;
    app.wait_for_attr("activity-item", "data-operation", |o| {
        o == "create-outgoing-payment"
    })
    .await?;
    app.click("activity-open").await?;
    let sent = app.text("activity-request").await?;
    assert!(sent.contains("authorization: GNAP (redacted)"), "{sent}");
    assert!(sent.contains("signature-input: "), "{sent}");
    let answer = app.text("activity-response").await?;
    assert!(answer.starts_with("201"), "{answer}");
    let shown = app.find_all("activity-item").await?.len();
    // Export writes what this filter shows. The button opens the system's
    // save dialog, which a WebDriver cannot answer: the command is given
    // the file instead, with the filter on screen (docs/qa.md).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("activity.jsonl");
    let exported = crate::consent::invoke(
        &app,
        "export_activity",
        serde_json::json!({
            "query": {"text": "create-outgoing-payment", "failuresOnly": false},
            "path": path,
        }),
    )
    .await;
    assert_eq!(exported["ok"]["entries"], shown, "{exported}");
    let text = std::fs::read_to_string(&path).expect("the export exists");
    assert_eq!(text.lines().count(), shown, "{text}");
    assert!(text.contains("\"create-outgoing-payment\""));
    for (at, _) in text.match_indices("GNAP ") {
        assert!(
            text[at..].starts_with("GNAP (redacted)"),
            "no Authorization value in the export"
        );
    }
    // A blank search shows everything again (the driver's clear alone
    // fires no input event).
    app.type_into("activity-filter", " ").await?;
    app.click("activity-search").await?;
    app.screenshot("activity").await?;
    app.close().await
}

/// The token rotations (`post-token`) in the activity log, newest first.
async fn rotations(app: &App) -> Vec<serde_json::Value> {
    crate::consent::activity(app, "post-token")
        .await
        .into_iter()
        .filter(|entry| entry["operation"] == "post-token")
        .collect()
}

/// The state of the newest listed payment on the Pay screen.
async fn newest_state(app: &App) -> harness::Result<String> {
    Ok(app
        .attr("pay-history-item", "data-state")
        .await?
        .unwrap_or_default())
}

/// Fills the Pay form for $7.25 from `alice` to `dave` and gets the quote.
async fn quote(app: &App, alice: &str, dave: &str) -> harness::Result<()> {
    app.click("nav-pay").await?;
    app.type_into("pay-from", alice).await?;
    app.type_into("pay-to", dave).await?;
    app.type_into("pay-amount", "7.25").await?;
    app.click("pay-quote").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "quoted")
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_killed_app_loses_nothing_and_pays_once() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let wallet = OutsideWallet::start();
    wallet.connect(&desktop, &[]).await;
    let alice = format!("{}alice", wallet.base);
    let dave = format!("{}dave", wallet.base);
    let start = wallet.balances().await;

    // 1. Killed with a quote on screen: after the restart it is listed,
    //    nothing was paid, and it can be stopped.
    let app = desktop.launch(&[]).await?;
    quote(&app, &alice, &dave).await?;
    desktop.kill_app(app).await?;
    let app = desktop.launch(&[]).await?;
    app.click("nav-pay").await?;
    assert_eq!(newest_state(&app).await?, "quoted");
    app.click("pay-open").await?;
    app.click("pay-cancel").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "cancelled")
        .await?;
    app.click("pay-again").await?;

    // 2. Killed while the wallet's window waits for approval: listed as
    //    waiting; Cancel stops it and cancels the grant at the wallet.
    quote(&app, &alice, &dave).await?;
    app.click("pay-confirm").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "authorizing")
        .await?;
    desktop.kill_app(app).await?;
    let app = desktop.launch(&[]).await?;
    app.click("nav-pay").await?;
    assert_eq!(newest_state(&app).await?, "authorizing");
    app.click("pay-open").await?;
    app.click("pay-cancel").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "cancelled")
        .await?;
    let grants = desktop.command(&["grant", "list", "--json"]);
    let continue_uri = grants[0]["continueUri"].as_str().unwrap_or_default();
    let seen = harness::wallet_grant(&wallet.base, continue_uri)
        .await
        .to_string();
    assert!(
        seen.contains("\"revoked\""),
        "the wallet cancelled it: {seen}"
    );
    app.click("pay-again").await?;

    // 3. Killed while sending (the wallet did not answer the payment): after
    //    the restart the payment is sent once, by itself.
    quote(&app, &alice, &dave).await?;
    wallet
        .set_faults(serde_json::json!({"fail": {"method": "POST", "path": "/rs/outgoing-payments", "status": 503}}))
        .await;
    app.click("pay-confirm").await?;
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    // The protocol client names a wallet by its host alone.
    let host = url::Url::parse(&wallet.base).expect("a URL");
    let host = host.host_str().unwrap_or_default();
    let said = format!(
        "The wallet at {host} is not answering right now (HTTP 503). Try again in a moment. \
         The payment may have been made already: check again, and do not pay it again."
    );
    app.wait_for_text("pay-message", |text| text == said)
        .await?;
    assert_eq!(
        app.attr("pay-state", "data-state").await?.as_deref(),
        Some("sending")
    );
    desktop.kill_app(app).await?;
    wallet.set_faults(serde_json::json!({})).await;
    assert_eq!(
        wallet.balances().await["alice"],
        start["alice"],
        "nothing paid yet"
    );
    let app = desktop.launch(&[]).await?;
    app.click("nav-pay").await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while newest_state(&app).await? != "completed" {
        assert!(Instant::now() < deadline, "the payment was not resumed");
        app.click("nav-home").await?;
        app.click("nav-pay").await?;
    }
    // Once more: nothing is paid twice.
    desktop.kill_app(app).await?;
    let app = desktop.launch(&[]).await?;
    app.click("nav-pay").await?;
    assert_eq!(newest_state(&app).await?, "completed");
    let end = wallet.balances().await;
    assert_eq!(end["alice"], start["alice"] - 725);
    assert_eq!(end["dave"], start["dave"] + 725);
    app.close().await
}

/// Quotes $3.00 to `dave` and pays it with the grant approved earlier.
async fn pay_with_grant(app: &App, dave: &str) -> harness::Result<()> {
    app.type_into("pay-to", dave).await?;
    app.type_into("pay-amount", "3").await?;
    app.click("pay-kind-send").await?;
    app.click("pay-quote").await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "quoted")
        .await?;
    app.click("pay-with-grant").await?;
    app.wait_for_text("pay-confirm", |text| text.contains("with that budget"))
        .await?;
    app.click("pay-confirm").await
}

#[tokio::test]
async fn a_daily_grant_pays_in_two_days_and_is_refused_past_its_budget_in_one(
) -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();
    let dave = format!("{base}dave");
    let start = balances(&base).await;

    // $5.00 a day, approved once in the wallet's window.
    app.click("home-approve").await?;
    app.type_into("approve-amount", "5").await?;
    app.click("approve-repeat-day").await?;
    app.wait_for_text("approve-summary", |t| {
        t.contains("$5.00") && t.contains("every day")
    })
    .await?;
    app.click("approve-submit").await?;
    app.switch_to_consent_window().await?;
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;

    // Day one: $3.00 with the grant, from its details; no consent asked.
    app.click("nav-home").await?;
    app.click("grant-open").await?;
    app.click("grant-pay").await?;
    let windows = app.windows().await?.len();
    pay_with_grant(&app, &dave).await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "completed")
        .await?;
    assert_eq!(app.windows().await?.len(), windows, "no new window");
    assert!(
        app.consent_windows().await?.is_empty(),
        "no consent window shown"
    );

    // Another $3.00 the same day passes the $5.00: refused, nothing paid,
    // and a new approval is offered.
    app.click("pay-again").await?;
    pay_with_grant(&app, &dave).await?;
    let problem = app.text("pay-problem").await?;
    assert!(problem.contains("budget"), "{problem}");
    assert_eq!(
        app.attr("pay-state", "data-state").await?.as_deref(),
        Some("quoted")
    );
    let confirm = app.text("pay-confirm").await?;
    assert!(confirm.contains("at my wallet"), "{confirm}");
    app.click("pay-cancel").await?;
    assert_eq!(balances(&base).await["alice"], start["alice"] - 300);

    // The wallet's clock moves to the next day: the budget renews.
    let moved = reqwest::Client::new()
        .put(format!("{base}admin/clock"))
        .header("content-type", "application/json")
        .body(r#"{"advanceSeconds":86460}"#)
        .send()
        .await
        .expect("the admin API answers");
    assert_eq!(moved.status(), 200);
    app.click("pay-again").await?;
    pay_with_grant(&app, &dave).await?;
    app.wait_for_attr("pay-state", "data-state", |s| s == "completed")
        .await?;
    let end = balances(&base).await;
    assert_eq!(end["alice"], start["alice"] - 600);
    assert_eq!(end["dave"], start["dave"] + 600);

    // The grant shows each day's use: $3.00 of $5.00 twice.
    app.click("nav-home").await?;
    app.click("grant-open").await?;
    app.find("grant-history").await?;
    let mut used = Vec::new();
    for cell in app.find_all("grant-period-spent").await? {
        used.push(cell.text().await.unwrap_or_default());
    }
    assert_eq!(used, ["$3.00", "$3.00"]);
    app.close().await
}

#[tokio::test]
async fn a_payment_with_a_wallet_fee_is_paid_the_moment_it_arrives() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();
    // Rafiki's probe: 0.10 + 1% on payments in USD, through the admin API.
    let fees = reqwest::Client::new()
        .put(format!("{base}admin/fees"))
        .header("content-type", "application/json")
        .body(r#"{"USD":{"fixed":10,"basisPoints":100}}"#)
        .send()
        .await
        .expect("the sandbox's admin API answers");
    assert!(fees.status().is_success());
    app.click("nav-pay").await?;
    let before = balances(&base).await;
    // Sending 5.00: the wallet debits 500, sends 485; dave gets 485, and the
    // app says "Paid" (not "sent, settling" until it gives up).
    let (debit, received) = pay(&app, &format!("{base}dave"), "5", false).await?;
    assert!(debit.starts_with("$5.00"), "{debit}");
    assert_eq!(received, "$4.85");
    // The quote said what the wallet keeps.
    assert_eq!(app.text("pay-fee").await?, "$0.15");
    assert_eq!(app.text("pay-sent").await?, "$4.85");
    let message = app.text("pay-message").await?;
    assert!(message.starts_with("Paid"), "{message}");
    let after = balances(&base).await;
    assert_eq!(after["alice"], before["alice"] - 500);
    assert_eq!(after["dave"], before["dave"] + 485);
    app.close().await
}
