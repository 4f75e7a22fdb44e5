//! What a payer meets on the way: an approval a restart left waiting is
//! offered again (the same grant, at the same wallet page) or cancelled,
//! and a refused amount shows at the amount field.

use crate::consent::{ask, grants, pending_consent_url};
use harness::Desktop;

#[tokio::test]
async fn an_approval_left_waiting_by_a_restart_is_opened_again_and_approved() -> harness::Result<()>
{
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    // Asked in the browser, not answered before the app closes.
    ask(&app, true, true).await?;
    let consent_url = pending_consent_url(&app).await;
    app.close().await?;

    let again = desktop.launch(&[]).await?;
    let said = again
        .wait_for_text("home-waiting", |text| text.contains("was waiting"))
        .await?;
    assert!(
        said.contains("An approval was waiting when Consent Desk closed"),
        "{said}"
    );
    assert!(said.contains("$13.20"), "{said}");
    again.screenshot("home-waiting").await?;

    // The same grant's page, now in the app's window, approved there.
    again.click("home-waiting-reopen").await?;
    again.switch_to_consent_window().await?;
    let url = again
        .client()
        .current_url()
        .await
        .expect("the window's page");
    let asked = url::Url::parse(&consent_url).expect("a URL");
    assert_eq!(url.origin(), asked.origin(), "the same wallet");
    again.click("consent-approve").await?;
    again.switch_to_main().await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let stored = grants(&again).await;
        if stored.first().is_some_and(|g| g["state"] == "approved") {
            assert_eq!(stored.len(), 1, "the same grant, not a new one: {stored:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not approved: {stored:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Done: the card has nothing left to say.
    while !again.find_all("home-waiting").await?.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the card stayed after the approval"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    again.close().await
}

#[tokio::test]
async fn a_refused_amount_shows_at_the_amount_field_and_extras_are_a_choice() -> harness::Result<()>
{
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    app.click("home-approve").await?;
    app.type_into("approve-amount", "13.205").await?;
    let said = app
        .wait_for_text("approve-amount-invalid", |text| text.contains("decimals"))
        .await?;
    assert!(said.contains("13.205"), "{said}");
    assert_eq!(
        app.attr("approve-amount", "aria-invalid").await?.as_deref(),
        Some("true")
    );
    let why = app.text("approve-submit-why").await?;
    assert_eq!(why, "Correct the amount first.");
    app.screenshot("approve-amount-invalid").await?;

    // Nothing beyond paying is asked unless chosen, and a choice is said.
    app.type_into("approve-amount", "13.20").await?;
    for extra in [
        "approve-action-list",
        "approve-action-read-all",
        "approve-action-list-all",
    ] {
        assert_eq!(app.attr(extra, "checked").await?, None, "{extra}");
    }
    // The corrected amount removes its error line, which moves what is
    // below: click only once the form has settled, and the section is open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app.find_all("approve-amount-invalid").await?.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the amount error stayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.click("approve-extras").await?;
    app.wait_for_attr("approve-extras", "open", |open| open == "true")
        .await?;
    app.click("approve-action-list-all").await?;
    let extras = app
        .wait_for_text("approve-summary-extras", |text| !text.is_empty())
        .await?;
    assert_eq!(extras, "It may also list every payment from this wallet.");
    app.screenshot("approve-extras").await?;
    app.close().await
}
