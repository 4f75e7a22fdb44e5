//! The engine as the desktop drives it, with a fake desktop and the sandbox
//! wallet over loopback HTTP: a payment approved in the consent window, in
//! the browser (the OS link) and through the loopback listener is sent by
//! the engine itself; a rejection, a closed window and a forged link end as
//! they must; a payment whose sending a crash interrupted is sent by the next
//! start. What the desktop is told (progress, windows) is asserted too.

use std::sync::Arc;
use std::time::Duration;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/desktop.rs"]
mod desktop;

use desktop::{FakeDesktop, Told};

use consent_desk_engine::sandbox::SandboxWallet;
use consent_desk_engine::views::{
    AmountLimit, ApproveIn, FlowProgress, FlowStep, GrantForm, GrantStateView, PayAmountKind,
    PayForm, PaymentProgress, PaymentStateView,
};
use consent_desk_engine::words::Progress;
use consent_desk_engine::{Completed, Engine, Error, FinishVia, Finished, FlowError, PaymentState};
use consent_desk_identity::{Folders, MemoryBackend, SecretBackend};
use consent_desk_sandbox::{RunningSandbox, Sandbox};
use tokio::sync::mpsc;
use url::Url;

/// One app: its data folder, its sandbox wallet, keys in memory.
struct App {
    engine: Arc<Engine>,
    told: mpsc::UnboundedReceiver<Told>,
    sandbox_url: Url,
    secrets: Arc<MemoryBackend>,
    data: Arc<tempfile::TempDir>,
}

/// How long a test waits for the engine to tell something. The harness's
/// deadline, not a measured expectation: a hang fails instead of blocking.
const DEADLINE: Duration = Duration::from_secs(30);

async fn sandbox(data: &std::path::Path) -> RunningSandbox {
    Sandbox::builder(data.join("sandbox"))
        .port(0)
        .wait_seconds(0)
        .start()
        .await
        .unwrap()
}

/// A first start: the sandbox profile (made by the engine, key published in
/// the sandbox) in use.
async fn app() -> App {
    let data = Arc::new(tempfile::tempdir().unwrap());
    let secrets = Arc::new(MemoryBackend::default());
    let running = sandbox(data.path()).await;
    let app = open(&data, running, &secrets);
    app.engine
        .keys()
        .identities
        .use_profile(consent_desk_identity::SANDBOX_PROFILE)
        .unwrap();
    app
}

/// Another start of `app`'s data folder and keyring, without a sandbox of
/// its own.
fn reopen(app: &App) -> App {
    let mut again = engine_of(&app.data, SandboxWallet::none("not started"), &app.secrets);
    again.sandbox_url = app.sandbox_url.clone();
    again
}

/// Opens the engine of `data` with its sandbox wallet (as a start of the app
/// does).
fn open(
    data: &Arc<tempfile::TempDir>,
    running: RunningSandbox,
    secrets: &Arc<MemoryBackend>,
) -> App {
    let url = running.base_url().clone();
    let mut app = engine_of(data, SandboxWallet::from(running), secrets);
    app.sandbox_url = url;
    app
}

fn engine_of(
    data: &Arc<tempfile::TempDir>,
    sandbox: SandboxWallet,
    secrets: &Arc<MemoryBackend>,
) -> App {
    let (desktop, rx) = FakeDesktop::new();
    let engine = Engine::open_with_secrets(
        Folders::in_dir(data.path()),
        sandbox,
        Arc::clone(secrets) as Arc<dyn SecretBackend>,
        desktop,
    );
    App {
        engine,
        told: rx,
        sandbox_url: Url::parse("http://unset.invalid/").unwrap(),
        secrets: Arc::clone(secrets),
        data: Arc::clone(data),
    }
}

impl App {
    fn wallet(&self, name: &str) -> String {
        self.sandbox_url.join(name).unwrap().to_string()
    }

    /// The next thing told that `pick` chooses; what came before is dropped.
    async fn next<T>(&mut self, mut pick: impl FnMut(Told) -> Option<T>) -> T {
        tokio::time::timeout(DEADLINE, async {
            loop {
                let told = self.told.recv().await.expect("the engine is gone");
                if let Some(found) = pick(told) {
                    return found;
                }
            }
        })
        .await
        .expect("the engine told nothing of the kind in time")
    }

    /// The next approval step told.
    async fn step(&mut self, step: FlowStep) -> FlowProgress {
        self.next(|told| match told {
            Told::Flow(progress) if progress.step == step => Some(progress),
            _ => None,
        })
        .await
    }

    /// The next time the payment reached `state`.
    async fn payment(&mut self, state: PaymentStateView) -> PaymentProgress {
        self.next(|told| match told {
            Told::Payment(progress) if progress.payment.state == state => Some(progress),
            _ => None,
        })
        .await
    }

    /// A consent page opened: (grant, page, finish URI).
    async fn opened(&mut self) -> (String, Url, String) {
        self.next(|told| match told {
            Told::Opened(grant, page, finish) => Some((grant, page, finish)),
            _ => None,
        })
        .await
    }

    fn pay_form(&self, amount: &str) -> PayForm {
        serde_json::from_value(serde_json::json!({
            "from": self.wallet("alice"), "to": self.wallet("bob"), "amount": amount,
            "amountKind": "send", "note": "dinner",
        }))
        .unwrap()
    }

    fn balance(&self, name: &str) -> u64 {
        let sandbox = self.engine.sandbox().running().unwrap();
        sandbox
            .accounts()
            .unwrap()
            .into_iter()
            .find(|account| account.name == name)
            .unwrap()
            .balance
    }
}

#[tokio::test]
async fn a_payment_approved_in_the_consent_window_is_sent_by_the_engine() {
    let mut app = app().await;
    let before = app.balance("alice");
    let quoted = app.engine.quote(&app.pay_form("5.00")).await.unwrap();
    assert_eq!(quoted.state, PaymentStateView::Quoted);
    assert_eq!(quoted.debit, "$5.00");
    let authorizing = app
        .engine
        .confirm(&quoted.id, ApproveIn::Window)
        .await
        .unwrap();
    assert_eq!(authorizing.state, PaymentStateView::Authorizing);
    let (grant, page, finish_uri) = app.opened().await;
    assert_eq!(finish_uri, format!("dev.consentdesk:/finish/{grant}"));
    app.step(FlowStep::Waiting).await;

    // The window hands its navigation to the finish link to the engine.
    let link = browser::approve(page.as_str()).await;
    assert!(link.starts_with(&finish_uri), "{link}");
    // What the desktop is told, the caller is also given (the command line
    // prints it): the approval, and the payment sent after it.
    let finished = app.engine.finish_for(Some(&grant), &link).await.unwrap();
    assert!(
        matches!(&finished.completed, Completed::Approved(record) if record.id == grant),
        "{finished:?}"
    );
    let sent = finished.payment.expect("the waiting payment was sent");
    assert!(sent.error.is_none(), "{sent:?}");
    assert_eq!(sent.payment.id, quoted.id);
    assert_eq!(sent.payment.state, PaymentState::Completed);
    app.step(FlowStep::Verifying).await;
    app.step(FlowStep::Continuing).await;
    let closed = app
        .next(|told| match told {
            Told::Closed(id) => Some(id),
            _ => None,
        })
        .await;
    assert_eq!(closed, grant, "the consent window closes once approved");
    let done = app.step(FlowStep::Done).await;
    assert_eq!(done.grant_id.as_deref(), Some(grant.as_str()));
    assert_eq!(done.grant.unwrap().state, GrantStateView::Approved);
    let sending = app.payment(PaymentStateView::Sending).await;
    assert_eq!(sending.message, "Approved. Sending the payment…");
    let paid = app.payment(PaymentStateView::Completed).await;
    assert_eq!(paid.message, "Paid: the receiver got the money.");
    assert_eq!(paid.payment.sent.as_deref(), Some("$5.00"));
    assert_eq!(app.balance("alice"), before - 500);

    // The same link again changes nothing and is refused.
    let again = app.engine.finish_for(Some(&grant), &link).await;
    assert!(
        matches!(again, Err(Error::Flow(FlowError::AlreadyUsed { .. }))),
        "{again:?}"
    );
    let refused = app.step(FlowStep::Refused).await;
    assert!(refused.message.contains("already"), "{}", refused.message);
    assert_eq!(app.balance("alice"), before - 500, "paid once");
}

#[tokio::test]
async fn a_grant_approved_in_the_browser_comes_back_through_the_os_link() {
    let mut app = app().await;
    let form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": app.wallet("alice"), "limit": "debit", "amount": "13.20",
        "interval": "R/2026-01-01T00:00:00Z/P1D", "actions": [], "approveIn": "browser",
    }))
    .unwrap();
    let preview = app.engine.preview(&form).await.unwrap();
    assert!(
        preview.summary.starts_with("Up to $13.20"),
        "{}",
        preview.summary
    );
    let pending = app.engine.request(&form).await.unwrap();
    assert_eq!(pending.state, GrantStateView::Pending);
    let page = app
        .next(|told| match told {
            Told::Browser(url) => Some(url),
            Told::Opened(..) => panic!("the browser was asked for, not a window"),
            _ => None,
        })
        .await;
    let waiting = app.step(FlowStep::Waiting).await;
    assert!(waiting.message.contains("browser"), "{}", waiting.message);

    // The OS hands the app the link (a deep link): the same routine.
    let link = browser::approve(page.as_str()).await;
    let finished = app.engine.finish(&link).await.unwrap();
    assert!(
        matches!(finished.completed, Completed::Approved(_)),
        "{finished:?}"
    );
    assert!(finished.payment.is_none(), "no payment waited on it");
    let done = app.step(FlowStep::Done).await;
    assert_eq!(done.message, format!("Approved: {}.", preview.summary));
    let listed = app.engine.grants(10, 0).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, GrantStateView::Approved);
    assert!(listed[0].access_json.as_deref().unwrap().contains("1320"));
}

#[tokio::test]
async fn a_wallet_that_refuses_custom_schemes_finishes_through_the_loopback_listener() {
    let mut app = app().await;
    app.engine
        .keys()
        .identities
        .set_loopback_finish(consent_desk_identity::SANDBOX_PROFILE, true)
        .unwrap();
    let quoted = app.engine.quote(&app.pay_form("2.50")).await.unwrap();
    app.engine
        .confirm(&quoted.id, ApproveIn::Window)
        .await
        .unwrap();
    let (grant, page, finish_uri) = app.opened().await;
    assert!(
        finish_uri.starts_with("http://127.0.0.1:") && finish_uri.ends_with(&grant),
        "{finish_uri}"
    );
    let link = browser::approve(page.as_str()).await;
    // The browser follows the wallet's redirect to the listener.
    let answer = reqwest::get(&link).await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    app.step(FlowStep::Done).await;
    let paid = app.payment(PaymentStateView::Completed).await;
    assert_eq!(paid.payment.grant_id.as_deref(), Some(grant.as_str()));
    // The listener stops once the approval it served has ended (its loop
    // lets go of the socket after the finish returns: wait for that, under
    // the harness's deadline).
    tokio::time::timeout(DEADLINE, async {
        while reqwest::get(&link).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the listener still serves");
}

#[tokio::test]
async fn a_rejection_ends_the_grant_at_both_ends_and_a_forged_hash_changes_nothing() {
    let mut app = app().await;
    let before = app.balance("alice");
    let quoted = app.engine.quote(&app.pay_form("1.00")).await.unwrap();
    app.engine
        .confirm(&quoted.id, ApproveIn::Window)
        .await
        .unwrap();
    let (grant, page, finish_uri) = app.opened().await;

    // A link with a hash the wallet did not make: refused, still waiting.
    let forged = app
        .engine
        .finish_for(
            Some(&grant),
            &format!("{finish_uri}?hash=AAAA&interact_ref=forged"),
        )
        .await;
    assert!(
        matches!(forged, Err(Error::Flow(FlowError::Refused(_)))),
        "{forged:?}"
    );
    let refused = app.step(FlowStep::Refused).await;
    assert_eq!(refused.grant_id.as_deref(), Some(grant.as_str()));
    let waiting = app.engine.grants(10, 0).unwrap();
    assert_eq!(waiting[0].state, GrantStateView::Pending);

    // The person rejects. The link carries no hash, and the wallet, asked,
    // cannot say (Rafiki answers a poll of a rejected grant as of a pending
    // one), so the engine cancels the grant there before it ends it here:
    // both ends agree, and the waiting payment ends unpaid.
    let link = browser::consent(page.as_str(), "reject").await;
    let ended = app.engine.finish_for(Some(&grant), &link).await;
    assert!(
        matches!(
            ended,
            Ok(Finished { completed: Completed::NotApproved(ref record), .. })
                if record.id == grant
        ),
        "{ended:?}"
    );
    let failed = app.step(FlowStep::Failed).await;
    assert!(
        failed.message.starts_with("You rejected"),
        "{}",
        failed.message
    );
    assert_eq!(failed.grant.unwrap().state, GrantStateView::Rejected);
    let unpaid = app.payment(PaymentStateView::Cancelled).await;
    assert!(
        unpaid.message.contains("nothing was paid"),
        "{}",
        unpaid.message
    );
    assert_eq!(app.balance("alice"), before);
    // Nothing stays open at the wallet: its page no longer offers approval.
    let again = browser::browser().get(page.as_str()).send().await.unwrap();
    let location = again
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        location.contains("result=") || !again.status().is_redirection(),
        "a rejected grant's page still leads to consent: {location}"
    );
}

#[tokio::test]
async fn closing_the_consent_window_cancels_the_grant_at_the_wallet() {
    let mut app = app().await;
    let quoted = app.engine.quote(&app.pay_form("1.00")).await.unwrap();
    app.engine
        .confirm(&quoted.id, ApproveIn::Window)
        .await
        .unwrap();
    let (grant, page, _) = app.opened().await;
    // The person closes the window: the shell calls this on `Destroyed`.
    app.engine.cancel_if_pending(&grant).await;
    let cancelled = app.step(FlowStep::Cancelled).await;
    assert_eq!(cancelled.message, Progress::WindowClosed.words());
    assert_eq!(cancelled.grant.unwrap().state, GrantStateView::Cancelled);
    app.payment(PaymentStateView::Cancelled).await;
    // The wallet no longer offers the approval.
    let start = browser::browser().get(page.as_str()).send().await.unwrap();
    let location = start
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        location.contains("result=") || !start.status().is_redirection(),
        "a cancelled grant's page still leads to consent: {location}"
    );
}

#[tokio::test]
async fn cancel_in_the_main_window_is_told_as_the_person_s_cancel_not_a_closed_window() {
    let mut app = app().await;
    let quoted = app.engine.quote(&app.pay_form("1.00")).await.unwrap();
    app.engine
        .confirm(&quoted.id, ApproveIn::Window)
        .await
        .unwrap();
    let (grant, _, _) = app.opened().await;
    // Cancel closes the wallet's window; the shell then calls
    // `cancel_if_pending` for the window that is gone.
    app.engine.cancel(&grant).await;
    app.next(|told| matches!(told, Told::Closed(ref id) if *id == grant).then_some(()))
        .await;
    app.engine.cancel_if_pending(&grant).await;
    let cancelled = app.step(FlowStep::Cancelled).await;
    assert_eq!(cancelled.message, Progress::CancelledByYou.words());
    assert!(
        !cancelled.message.contains("closed"),
        "{}",
        cancelled.message
    );
    assert_eq!(cancelled.grant.unwrap().state, GrantStateView::Cancelled);
    app.payment(PaymentStateView::Cancelled).await;
}

#[tokio::test]
async fn a_payment_approved_before_a_crash_is_sent_by_the_next_start() {
    let app = app().await;
    let before = app.balance("alice");
    let quoted = app.engine.quote(&app.pay_form("3.00")).await.unwrap();
    // Approved at the wallet and continued, but the app stopped before it
    // sent: the store says approved grant, payment authorizing.
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
    assert_eq!(
        flows.payment(&payment.id).unwrap().state,
        PaymentState::Authorizing
    );
    assert_eq!(app.balance("alice"), before, "nothing sent yet");

    // The next start, on the same folder and keyring, resumes it. (The
    // wallet stays where it was: the first app's sandbox keeps serving.)
    let mut restarted = reopen(&app);
    restarted.engine.resume().await;
    let paid = restarted.payment(PaymentStateView::Completed).await;
    assert_eq!(paid.payment.id, payment.id);
    assert_eq!(app.balance("alice"), before - 300);
    // A second resume finds nothing to do: paid once.
    restarted.engine.resume().await;
    assert_eq!(app.balance("alice"), before - 300);
    // Resuming that one payment by hand (`consent-desk payments resume`)
    // goes through the same routine: nothing left to send.
    let again = restarted.engine.send(&payment.id).await.unwrap();
    assert_eq!(again.payment.state, PaymentState::Completed);
    assert!(
        again
            .error
            .as_ref()
            .is_some_and(|error| error.to_string().contains("nothing to send")),
        "{again:?}"
    );
    assert_eq!(app.balance("alice"), before - 300);
    let listed = restarted.engine.payments(10, 0).unwrap();
    assert_eq!(listed[0].state, PaymentStateView::Completed);
}

#[tokio::test]
async fn amounts_are_read_in_the_wallet_s_scale_and_refused_in_words() {
    let app = app().await;
    let error = app.engine.quote(&app.pay_form("1.234")).await.unwrap_err();
    assert!(
        error.message().contains("more decimals"),
        "{}",
        error.message()
    );
    let mut receive = app.pay_form("");
    receive.to = format!("{}/incoming-payments/x", app.wallet("bob"));
    receive.amount = "1".into();
    receive.amount_kind = PayAmountKind::Receive;
    let error = app.engine.quote(&receive).await.unwrap_err();
    assert!(
        error.message().contains("give the amount you send"),
        "{}",
        error.message()
    );
    let form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": app.wallet("alice"), "limit": "debit", "actions": [],
    }))
    .unwrap();
    assert_eq!(form.limit, AmountLimit::Debit);
    let error = app.engine.preview(&form).await.unwrap_err();
    assert_eq!(error.message(), "Enter an amount.");
}

/// A budget approved in the browser and finished through the OS link.
async fn approved_budget(app: &mut App, amount: &str, interval: Option<&str>) -> String {
    let form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": app.wallet("alice"), "limit": "debit", "amount": amount,
        "interval": interval, "actions": ["create", "read"], "approveIn": "browser",
    }))
    .unwrap();
    let pending = app.engine.request(&form).await.unwrap();
    let page = app
        .next(|told| match told {
            Told::Browser(url) => Some(url),
            _ => None,
        })
        .await;
    let link = browser::approve(page.as_str()).await;
    app.engine.finish(&link).await.unwrap();
    pending.id
}

#[tokio::test]
async fn a_budget_the_wallet_calls_spent_is_not_offered_for_paying_again() {
    let mut app = app().await;
    let offered = |app: &App, payment: &str| -> Vec<String> {
        app.engine
            .payment_grants(payment)
            .unwrap()
            .into_iter()
            .map(|grant| grant.id)
            .collect()
    };
    // A daily $5.00 budget, spent today: this app cannot count a renewing
    // budget's periods, the wallet can.
    let daily = approved_budget(&mut app, "5.00", Some("R/2026-01-01T00:00:00Z/P1D")).await;
    let first = app.engine.quote(&app.pay_form("5.00")).await.unwrap();
    assert_eq!(offered(&app, &first.id), vec![daily.clone()]);
    let paid = app.engine.pay_with_grant(&first.id, &daily).await.unwrap();
    assert_eq!(paid.state, PaymentStateView::Completed, "{paid:?}");
    let second = app.engine.quote(&app.pay_form("3.00")).await.unwrap();
    let refused = app.engine.pay_with_grant(&second.id, &daily).await.unwrap();
    assert_eq!(refused.state, PaymentStateView::Quoted);
    assert!(
        refused
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("spent"),
        "{refused:?}"
    );
    // Said by the wallet: not listed again for this payment. A next one
    // may be paid once the wallet's period ends: the wallet says when.
    assert!(offered(&app, &second.id).is_empty());
    let third = app.engine.quote(&app.pay_form("1.00")).await.unwrap();
    assert_eq!(offered(&app, &third.id), vec![daily.clone()]);

    // A one-time budget with a payment that may have been made (its answer
    // lost, still `sending`) is held by it: not offered for another.
    let once = approved_budget(&mut app, "4.00", None).await;
    assert_eq!(offered(&app, &third.id), vec![once.clone(), daily.clone()]);
    let sandbox = app.engine.sandbox().running().unwrap();
    sandbox.set_faults("fail=POST /rs/outgoing-payments:503".parse().unwrap());
    let unsure = app.engine.pay_with_grant(&third.id, &once).await;
    sandbox.set_faults(Default::default());
    let unsure = unsure.unwrap();
    assert_eq!(unsure.state, PaymentStateView::Sending, "{unsure:?}");
    let fourth = app.engine.quote(&app.pay_form("3.50")).await.unwrap();
    assert_eq!(
        offered(&app, &fourth.id),
        vec![daily],
        "$1.00 may be paid of $4.00: $3.50 more is not offered"
    );
}

#[tokio::test]
async fn an_approval_a_killed_run_left_finishing_is_completed_and_paid_by_the_next_start() {
    let app = app().await;
    let before = app.balance("alice");
    let quoted = app.engine.quote(&app.pay_form("2.00")).await.unwrap();
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
    // The run claimed the finish, kept its reference and was killed before
    // the wallet heard of it, long ago: what the store and keyring hold.
    let reference = Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "interact_ref")
        .unwrap()
        .1
        .into_owned();
    app.secrets
        .set(
            consent_desk_identity::KEYRING_SERVICE,
            &format!("grant:{}:interact", grant.id),
            &reference,
        )
        .unwrap();
    rusqlite::Connection::open(app.data.path().join(consent_desk_engine::GRANTS_FILE))
        .unwrap()
        .execute(
            "UPDATE grants SET state = 'finishing', updated_at = '2020-01-01T00:00:00Z' \
             WHERE id = ?1",
            [&grant.id],
        )
        .unwrap();

    // The next start takes the approval up, completes it and pays.
    let mut restarted = reopen(&app);
    restarted.engine.resume().await;
    let done = restarted.step(FlowStep::Done).await;
    assert_eq!(done.grant_id.as_deref(), Some(grant.id.as_str()));
    let paid = restarted.payment(PaymentStateView::Completed).await;
    assert_eq!(paid.payment.id, payment.id);
    assert_eq!(app.balance("alice"), before - 200);
    assert!(flows.finishing_grants().unwrap().is_empty());
}

#[tokio::test]
async fn an_approval_waiting_when_the_app_closed_is_offered_again_at_the_next_start() {
    let mut app = app().await;
    let alice = app.wallet("alice");
    let form = |approve_in: &str| -> GrantForm {
        serde_json::from_value(serde_json::json!({
            "wallet": alice, "limit": "debit", "amount": "7.00",
            "actions": ["create", "read"], "approveIn": approve_in,
        }))
        .unwrap()
    };
    let first = app.engine.request(&form("window")).await.unwrap();
    let (_, page, finish_uri) = app.opened().await;
    let second = app.engine.request(&form("window")).await.unwrap();
    // Asked in this run: nothing "from before".
    assert!(app.engine.waiting_from_before().unwrap().is_empty());

    // The app closed while both waited; the next start lists them.
    let mut restarted = reopen(&app);
    let waiting: Vec<String> = restarted
        .engine
        .waiting_from_before()
        .unwrap()
        .into_iter()
        .map(|grant| grant.id)
        .collect();
    assert_eq!(waiting, vec![second.id.clone(), first.id.clone()]);

    // "Open my wallet's page again": the same grant, the same page.
    let shown = restarted.engine.reopen(&first.id, false).unwrap();
    assert_eq!(shown.id, first.id);
    let (grant, again, finish_again) = restarted.opened().await;
    assert_eq!(
        (grant.as_str(), &again, finish_again.as_str()),
        (first.id.as_str(), &page, finish_uri.as_str())
    );
    let link = browser::approve(again.as_str()).await;
    let finished = restarted
        .engine
        .finish_for(Some(&first.id), &link)
        .await
        .unwrap();
    assert!(
        matches!(finished.completed, Completed::Approved(_)),
        "{finished:?}"
    );

    // "Cancel it at the wallet": the other one ends there.
    let cancelled = restarted.engine.end(&second.id).await.unwrap();
    assert_eq!(cancelled.state, GrantStateView::Cancelled);
    assert!(restarted.engine.waiting_from_before().unwrap().is_empty());
    // Opening one that no longer waits says so.
    let error = restarted.engine.reopen(&second.id, true).unwrap_err();
    assert!(
        error.message().contains("no longer waits"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn open_in_my_browser_instead_moves_the_approval_to_the_browser_and_its_link_is_taken() {
    let mut app = app().await;
    let form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": app.wallet("alice"), "limit": "debit", "amount": "2.00",
        "actions": ["create", "read"], "approveIn": "window",
    }))
    .unwrap();
    let pending = app.engine.request(&form).await.unwrap();
    let (_, page, _) = app.opened().await;
    // While the window shows it, a link from the OS is not taken for it.
    let link = browser::approve(page.as_str()).await;
    assert!(app.engine.finish(&link).await.is_err(), "taken from the OS");
    // Pressed in the strip: the same page opens in the browser.
    let moved = app.engine.continue_in_browser(&pending.id).unwrap();
    assert_eq!(moved.id, pending.id);
    let opened = app
        .next(|told| match told {
            Told::Browser(url) => Some(url),
            _ => None,
        })
        .await;
    assert_eq!(opened, page, "the same consent page");
    let waiting = app.step(FlowStep::Waiting).await;
    assert!(waiting.message.contains("browser"), "{}", waiting.message);
    // Said as a fact, not only in words: the main window stops offering it.
    assert!(waiting.in_browser);
    // The wallet sends the person back through the OS: taken now.
    let finished = app.engine.finish(&link).await.unwrap();
    assert!(
        matches!(finished.completed, Completed::Approved(_)),
        "{finished:?}"
    );
    // Nothing left to move.
    let error = app.engine.continue_in_browser(&pending.id).unwrap_err();
    assert!(
        error.message().contains("no longer waits"),
        "{}",
        error.message()
    );
}
