//! Desktop notifications as the engine decides them, against the sandbox
//! wallet: a budget 80 % spent and a budget in its last day are told once,
//! a payment a restart took up is told when it settles, and nothing is told
//! of a kind the person switched off.

use std::sync::{Arc, Mutex};

#[path = "support/browser.rs"]
#[allow(dead_code)]
mod browser;

use consent_desk_engine::notices::{Notice, NoticeKind, NoticeSettings};
use consent_desk_engine::sandbox::SandboxWallet;
use consent_desk_engine::views::{FlowProgress, GrantForm, PaymentProgress, PaymentStateView};
use consent_desk_engine::{Desktop, Engine, FinishVia, PaymentState};
use consent_desk_identity::{Folders, MemoryBackend, SecretBackend};
use consent_desk_sandbox::{RunningSandbox, Sandbox};
use url::Url;

/// A desktop that keeps the notifications it was asked to show and the
/// consent pages it was asked to open.
#[derive(Default)]
struct Recording {
    notices: Mutex<Vec<Notice>>,
    opened: Mutex<Vec<(String, Url)>>,
}

impl Desktop for Recording {
    fn flow_progress(&self, _: FlowProgress) {}

    fn payment_progress(&self, _: PaymentProgress) {}

    fn open_consent(&self, grant_id: &str, redirect: &Url, _: &str) -> Result<(), String> {
        self.opened
            .lock()
            .unwrap()
            .push((grant_id.to_owned(), redirect.clone()));
        Ok(())
    }

    fn open_in_browser(&self, _: &Url) {}

    fn close_consent(&self, _: &str) -> bool {
        true
    }

    fn notify(&self, notice: &Notice) {
        self.notices.lock().unwrap().push(notice.clone());
    }
}

impl Recording {
    fn kinds(&self) -> Vec<NoticeKind> {
        self.notices
            .lock()
            .unwrap()
            .iter()
            .map(|n| n.kind)
            .collect()
    }
}

struct App {
    engine: Arc<Engine>,
    desktop: Arc<Recording>,
    base: Url,
}

async fn sandbox(data: &std::path::Path) -> RunningSandbox {
    Sandbox::builder(data.join("sandbox"))
        .port(0)
        .wait_seconds(0)
        .start()
        .await
        .unwrap()
}

fn open(data: &std::path::Path, wallet: SandboxWallet, secrets: &Arc<MemoryBackend>) -> App {
    let desktop = Arc::new(Recording::default());
    let engine = Engine::open_with_secrets(
        Folders::in_dir(data),
        wallet,
        Arc::clone(secrets) as Arc<dyn SecretBackend>,
        Arc::clone(&desktop) as Arc<dyn Desktop>,
    );
    App {
        engine,
        desktop,
        base: Url::parse("http://unset.invalid/").unwrap(),
    }
}

async fn first_start(data: &std::path::Path, secrets: &Arc<MemoryBackend>) -> App {
    let running = sandbox(data).await;
    let base = running.base_url().clone();
    let mut app = open(data, SandboxWallet::from(running), secrets);
    app.base = base;
    app.engine
        .keys()
        .identities
        .use_profile(consent_desk_identity::SANDBOX_PROFILE)
        .unwrap();
    app
}

impl App {
    fn pay_form(&self, amount: &str) -> consent_desk_engine::views::PayForm {
        serde_json::from_value(serde_json::json!({
            "from": self.base.join("alice").unwrap(), "to": self.base.join("bob").unwrap(),
            "amount": amount, "amountKind": "send", "note": "",
        }))
        .unwrap()
    }

    /// Quotes `amount` and pays it with `grant`; its final state.
    async fn pay_with(&self, grant: &str, amount: &str) -> PaymentStateView {
        let quoted = self.engine.quote(&self.pay_form(amount)).await.unwrap();
        self.engine
            .pay_with_grant(&quoted.id, grant)
            .await
            .unwrap()
            .state
    }
}

fn all(on: bool) -> NoticeSettings {
    NoticeSettings {
        budget_mostly_spent: on,
        grant_ending: on,
        resumed_payment_settled: on,
    }
}

#[tokio::test]
async fn a_budget_mostly_spent_or_ending_is_told_once_and_not_at_all_when_switched_off() {
    let data = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryBackend::default());
    let app = first_start(data.path(), &secrets).await;
    app.engine.set_notice_settings(all(false)).unwrap();
    assert_eq!(app.engine.notice_settings(), all(false), "kept");

    // $10.00 for a single ten-hour period that began an hour ago: it ends
    // within the day.
    let start = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": app.base.join("alice").unwrap(), "limit": "debit", "amount": "10.00",
        "interval": format!("R0/{start}/PT10H"), "actions": [], "approveIn": "window",
    }))
    .unwrap();
    app.engine.request(&form).await.unwrap();
    let (grant, page) = app.desktop.opened.lock().unwrap()[0].clone();
    let link = browser::approve(page.as_str()).await;
    app.engine.finish_for(Some(&grant), &link).await.unwrap();

    // Switched off: 85 % spent and ending soon, and nothing told.
    assert_eq!(
        app.pay_with(&grant, "8.50").await,
        PaymentStateView::Completed
    );
    assert_eq!(app.desktop.kinds(), []);

    // Switched on: both told, in words.
    app.engine.set_notice_settings(all(true)).unwrap();
    assert_eq!(
        app.pay_with(&grant, "0.10").await,
        PaymentStateView::Completed
    );
    let told = app.desktop.notices.lock().unwrap().clone();
    let budget = told
        .iter()
        .find(|n| n.kind == NoticeKind::BudgetMostlySpent)
        .unwrap_or_else(|| panic!("{told:?}"));
    assert_eq!(budget.title, "Budget 86 % spent");
    assert!(
        budget.body.starts_with("$8.60 of $10.00 spent"),
        "{}",
        budget.body
    );
    let ending = told
        .iter()
        .find(|n| n.kind == NoticeKind::GrantEnding)
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(ending.body.contains("ends in 9 hours"), "{}", ending.body);

    // Once each, however many payments follow.
    assert_eq!(
        app.pay_with(&grant, "0.10").await,
        PaymentStateView::Completed
    );
    app.engine.check_endings();
    assert_eq!(app.desktop.notices.lock().unwrap().len(), 2, "{told:?}");
}

#[tokio::test]
async fn a_payment_a_restart_took_up_is_told_when_it_settles_unless_switched_off() {
    for on in [true, false] {
        let data = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryBackend::default());
        let app = first_start(data.path(), &secrets).await;
        let quoted = app.engine.quote(&app.pay_form("3.00")).await.unwrap();
        // Approved and continued, but the app stopped before it sent.
        let flows = app.engine.flows().unwrap();
        let client = app
            .engine
            .client(consent_desk_identity::SANDBOX_PROFILE)
            .unwrap();
        let (payment, grant) = flows
            .authorize_payment(&client, &quoted.id, FinishVia::DeepLink)
            .await
            .unwrap();
        let link = browser::approve(grant.redirect.as_ref().unwrap().as_str()).await;
        flows
            .complete(&link, |profile| app.engine.client(profile))
            .await
            .unwrap();
        assert_eq!(app.desktop.kinds(), []);

        let restarted = open(
            data.path(),
            SandboxWallet::none("the first start's keeps serving"),
            &secrets,
        );
        restarted
            .engine
            .set_notice_settings(NoticeSettings {
                resumed_payment_settled: on,
                ..all(false)
            })
            .unwrap();
        restarted.engine.resume().await;
        assert_eq!(
            flows.payment(&payment.id).unwrap().state,
            PaymentState::Completed
        );
        let told = restarted.desktop.notices.lock().unwrap().clone();
        if on {
            assert_eq!(told.len(), 1, "{told:?}");
            assert_eq!(told[0].kind, NoticeKind::ResumedPaymentSettled);
            assert_eq!(told[0].title, "Payment made");
            assert!(
                told[0].body.starts_with("$3.00 to ")
                    && told[0]
                        .body
                        .ends_with("went through after Consent Desk restarted."),
                "{}",
                told[0].body
            );
        } else {
            assert_eq!(told, [], "switched off");
        }
    }
}
