//! Paying through the GUI against the app's sandbox wallet: quote shown,
//! approved in the wallet's window, sent and settled; balances read from the
//! wallet's admin API.

use harness::{App, Desktop};

/// Every account's balance at the sandbox, by name.
async fn balances(base: &str) -> std::collections::HashMap<String, u64> {
    let text = reqwest::get(format!("{base}admin/accounts"))
        .await
        .expect("the admin API answers")
        .text()
        .await
        .unwrap_or_default();
    let accounts: serde_json::Value = serde_json::from_str(&text).expect("accounts as JSON");
    accounts
        .as_array()
        .expect("a list of accounts")
        .iter()
        .map(|account| {
            let balance = match &account["balance"] {
                serde_json::Value::String(text) => text.parse().unwrap_or_default(),
                value => value.as_u64().unwrap_or_default(),
            };
            (
                account["name"].as_str().unwrap_or_default().to_owned(),
                balance,
            )
        })
        .collect()
}

/// Fills the Pay form, checks the quote, approves in the wallet's window and
/// waits until the payment is paid.
async fn pay(
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
    let known = app.windows().await?;
    app.click("pay-confirm").await?;
    app.switch_to_new_window(&known).await?;
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
    assert_eq!(app.windows().await?.len(), 1, "the consent window closed");
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
    app.close().await
}
