//! Attacks on the finish links, through each of the three ways in (the
//! consent window, the OS deep link, the loopback listener), and a
//! continuation whose answer was lost. A failure link (`?result=…`) carries
//! no hash, so anyone who can name a grant can make one: it must change
//! nothing unless the wallet confirms it, and a link for another grant than
//! the one a window or listener waits for must change nothing at all. After
//! each attack the grant is still pending and the person can still approve
//! it at the wallet.

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/desktop.rs"]
mod desktop;

use desktop::{FakeDesktop, Told};

use consent_desk_engine::views::{ApproveIn, FlowProgress, FlowStep, GrantForm, PayForm};
use consent_desk_engine::{
    Completed, Engine, Error, Finished, FlowError, GrantOutcome, GrantState, PaymentState,
};
use consent_desk_identity::{Folders, MemoryBackend, SecretBackend};
use consent_desk_sandbox::{Faults, RouteFault, Sandbox};
use tokio::sync::mpsc;
use url::Url;

/// The harness's deadline for the engine to tell something: a hang fails.
const DEADLINE: Duration = Duration::from_secs(30);

struct App {
    engine: Arc<Engine>,
    told: Mutex<mpsc::UnboundedReceiver<Told>>,
    wallet: Url,
    secrets: Arc<MemoryBackend>,
    _data: tempfile::TempDir,
}

async fn app() -> App {
    let data = tempfile::tempdir().unwrap();
    let running = Sandbox::builder(data.path().join("sandbox"))
        .port(0)
        .wait_seconds(0)
        .start()
        .await
        .unwrap();
    let wallet = running.base_url().clone();
    let (desktop, rx) = FakeDesktop::new();
    let secrets = Arc::new(MemoryBackend::default());
    let engine = Engine::open_with_secrets(
        Folders::in_dir(data.path()),
        consent_desk_engine::sandbox::SandboxWallet::from(running),
        Arc::clone(&secrets) as Arc<dyn SecretBackend>,
        desktop,
    );
    engine
        .keys()
        .identities
        .use_profile(consent_desk_identity::SANDBOX_PROFILE)
        .unwrap();
    App {
        engine,
        told: Mutex::new(rx),
        wallet,
        secrets,
        _data: data,
    }
}

impl App {
    async fn next<T>(&self, mut pick: impl FnMut(Told) -> Option<T>) -> T {
        tokio::time::timeout(DEADLINE, async {
            loop {
                let told = {
                    let mut rx = self.told.lock().unwrap();
                    rx.try_recv()
                };
                match told {
                    Ok(told) => {
                        if let Some(found) = pick(told) {
                            return found;
                        }
                    }
                    Err(_) => tokio::task::yield_now().await,
                }
            }
        })
        .await
        .expect("the engine told nothing of the kind in time")
    }

    async fn step(&self, step: FlowStep) -> FlowProgress {
        self.next(|told| match told {
            Told::Flow(progress) if progress.step == step => Some(progress),
            _ => None,
        })
        .await
    }

    /// A payment of $1.00 from alice to bob waiting for its approval in a
    /// consent window: (grant, the wallet's page, the finish URI).
    async fn waiting_in_window(&self) -> (String, Url, String) {
        let form: PayForm = serde_json::from_value(serde_json::json!({
            "from": self.wallet.join("alice").unwrap(), "to": self.wallet.join("bob").unwrap(),
            "amount": "1.00", "amountKind": "send", "note": "",
        }))
        .unwrap();
        let quoted = self.engine.quote(&form).await.unwrap();
        self.engine
            .confirm(&quoted.id, ApproveIn::Window)
            .await
            .unwrap();
        self.next(|told| match told {
            Told::Opened(grant, page, finish) => Some((grant, page, finish)),
            _ => None,
        })
        .await
    }

    /// A budget waiting for its approval in the system browser: (grant,
    /// the wallet's page).
    async fn waiting_in_browser(&self) -> (String, Url) {
        let form: GrantForm = serde_json::from_value(serde_json::json!({
            "wallet": self.wallet.join("alice").unwrap(), "limit": "debit", "amount": "5",
            "actions": [], "approveIn": "browser",
        }))
        .unwrap();
        let grant = self.engine.request(&form).await.unwrap();
        let page = self
            .next(|told| match told {
                Told::Browser(url) => Some(url),
                _ => None,
            })
            .await;
        (grant.id, page)
    }

    /// What the activity log says of the last finish link.
    fn last_finish_logged(&self) -> serde_json::Value {
        let filter = consent_desk_engine::activity::ActivityFilter::default();
        let entries = self
            .engine
            .flows()
            .unwrap()
            .activity(&filter, 50, 0)
            .unwrap();
        entries
            .into_iter()
            .find(|entry| entry.operation == "finish")
            .expect("a finish was logged")
            .detail
    }

    /// Cancels `grant` at the wallet with its own continuation, as the
    /// person could in the wallet; the app is not told.
    async fn cancel_behind_the_app_s_back(&self, grant: &str) {
        let client = self
            .engine
            .client(consent_desk_identity::SANDBOX_PROFILE)
            .unwrap();
        let record = self.engine.flows().unwrap().grant(grant).unwrap();
        let token = self
            .secrets
            .get(
                consent_desk_identity::KEYRING_SERVICE,
                &format!("grant:{grant}:continue"),
            )
            .unwrap();
        client
            .cancel_grant(&consent_desk_protocol::Continue {
                access_token: consent_desk_protocol::ContinueAccessToken {
                    value: consent_desk_protocol::ContinueToken::new(token.as_str()),
                },
                uri: consent_desk_protocol::ContinueUri(record.continue_uri.clone().unwrap()),
                wait: None,
            })
            .await
            .unwrap();
    }

    fn state(&self, grant: &str) -> GrantState {
        self.engine.flows().unwrap().grant(grant).unwrap().state
    }

    /// What the sandbox wallet says of `grant` (`GET /admin/grants/{id}`).
    async fn wallet_state(&self, grant: &str) -> String {
        let record = self.engine.flows().unwrap().grant(grant).unwrap();
        let continue_id = record
            .continue_uri
            .unwrap()
            .path_segments()
            .and_then(|mut segments| segments.next_back().map(str::to_owned))
            .unwrap();
        let url = self
            .wallet
            .join(&format!("admin/grants/{continue_id}"))
            .unwrap();
        let body = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        body["state"].as_str().unwrap_or_default().to_owned()
    }
}

fn rejected(finish_uri: &str) -> String {
    format!("{finish_uri}?result=grant_rejected&message=rejected")
}

fn deep_link(grant: &str) -> String {
    format!("dev.consentdesk:/finish/{grant}")
}

#[tokio::test]
async fn the_consent_window_hands_over_only_its_own_grant_s_links() {
    let app = app().await;
    let (other, other_page) = app.waiting_in_browser().await;
    let (grant, page, finish_uri) = app.waiting_in_window().await;

    // The wallet's page in grant's window navigates to another grant's
    // failure link: refused, and nothing changes for either.
    let forged = app
        .engine
        .finish_for(Some(&grant), &rejected(&deep_link(&other)))
        .await;
    assert!(
        matches!(forged, Err(Error::Flow(FlowError::UnknownFinish))),
        "{forged:?}"
    );
    let refused = app.step(FlowStep::Refused).await;
    assert_eq!(refused.grant_id.as_deref(), Some(grant.as_str()));
    assert_eq!(app.state(&other), GrantState::Pending);
    assert_eq!(app.state(&grant), GrantState::Pending);

    // The person approves the other grant at the wallet: it comes through.
    let link = browser::approve(other_page.as_str()).await;
    let finished = app.engine.finish(&link).await.unwrap();
    assert!(matches!(finished.completed, Completed::Approved(_)));

    // A failure link for the window's own grant (the wallet's own page can
    // always say no): the wallet's poll cannot confirm it, so the grant is
    // cancelled there before it ends here. Both ends agree; nothing is paid.
    let ended = app
        .engine
        .finish_for(Some(&grant), &rejected(&finish_uri))
        .await
        .unwrap();
    assert!(matches!(ended.completed, Completed::NotApproved(_)));
    let sent = ended.payment.expect("the payment waited on it");
    assert_eq!(sent.payment.state, PaymentState::Cancelled);
    assert_eq!(app.state(&grant), GrantState::Failed);
    let logged = app.last_finish_logged();
    assert_eq!(
        logged["hashVerified"],
        serde_json::Value::Null,
        "no hash to verify"
    );
    assert!(
        logged["outcome"]
            .as_str()
            .unwrap()
            .contains("made sure of at the wallet"),
        "{logged}"
    );
    assert_eq!(app.wallet_state(&grant).await, "revoked");
    // The wallet's page no longer offers an approval of it.
    let again = browser::browser().get(page.as_str()).send().await.unwrap();
    assert!(
        !again.status().is_redirection() || browser::location(&again).contains("result="),
        "the wallet still offers the ended grant"
    );
}

#[tokio::test]
async fn an_os_link_ends_a_grant_only_at_both_ends_and_never_reaches_a_window_s_grant() {
    let app = app().await;
    let (grant, page) = app.waiting_in_browser().await;
    let (in_window, window_page, window_finish) = app.waiting_in_window().await;

    // `gio open dev.consentdesk:/finish/<grant>?result=grant_rejected`: a
    // report, made true at the wallet (the grant is cancelled there) before
    // it ends here, so it never leaves a grant open there and ended here.
    let forged = app.engine.finish(&rejected(&deep_link(&grant))).await;
    assert!(
        matches!(
            forged,
            Ok(Finished {
                completed: Completed::NotApproved(_),
                ..
            })
        ),
        "{forged:?}"
    );
    assert_eq!(app.state(&grant), GrantState::Failed);
    assert_eq!(app.wallet_state(&grant).await, "revoked");
    // The grant in a window takes links only from its window, even its own
    // real approval.
    let real = browser::approve(window_page.as_str()).await;
    assert!(real.starts_with(&window_finish), "{real}");
    for link in [rejected(&window_finish), real.clone()] {
        let refused = app.engine.finish(&link).await;
        assert!(
            matches!(refused, Err(Error::Flow(FlowError::UnknownFinish))),
            "{refused:?}"
        );
        assert_eq!(app.state(&in_window), GrantState::Pending);
    }
    let finished = app
        .engine
        .finish_for(Some(&in_window), &real)
        .await
        .unwrap();
    assert!(matches!(finished.completed, Completed::Approved(_)));

    // The browser grant has ended: its page's approval is not offered, and
    // a link for it changes nothing.
    let late = app.engine.finish(&rejected(&deep_link(&grant))).await;
    assert!(
        matches!(late, Err(Error::Flow(FlowError::AlreadyUsed { .. }))),
        "{late:?}"
    );
    assert_eq!(app.state(&grant), GrantState::Failed);
    let again = browser::browser().get(page.as_str()).send().await.unwrap();
    assert!(
        !again.status().is_redirection() || browser::location(&again).contains("result="),
        "the wallet still offers the ended grant"
    );
}

#[tokio::test]
async fn the_loopback_listener_takes_only_its_own_grant_s_links() {
    let app = app().await;
    let (other, _) = app.waiting_in_browser().await;
    app.engine
        .keys()
        .identities
        .set_loopback_finish(consent_desk_identity::SANDBOX_PROFILE, true)
        .unwrap();
    let (grant, page, finish_uri) = app.waiting_in_window().await;
    assert!(finish_uri.starts_with("http://127.0.0.1:"), "{finish_uri}");
    let port_base = finish_uri.trim_end_matches(&grant);

    // Any program on the computer can reach the listener.
    let other_link = format!("{port_base}{other}?result=grant_rejected");
    assert!(reqwest::get(&other_link)
        .await
        .unwrap()
        .status()
        .is_success());
    let refused = app.step(FlowStep::Refused).await;
    assert_eq!(refused.grant_id.as_deref(), Some(grant.as_str()));
    assert_eq!(app.state(&other), GrantState::Pending);

    // The listener still waits, and the person's approval of its own grant
    // comes through it.
    let link = browser::approve(page.as_str()).await;
    assert!(reqwest::get(&link).await.unwrap().status().is_success());
    app.step(FlowStep::Done).await;
    assert_eq!(app.state(&grant), GrantState::Approved);
    assert_eq!(app.state(&other), GrantState::Pending);
}

#[tokio::test]
async fn an_approval_of_a_grant_cancelled_at_the_wallet_meanwhile_ends_as_the_wallet_says() {
    let app = app().await;
    let (grant, page, _) = app.waiting_in_window().await;
    let link = browser::approve(page.as_str()).await;
    app.cancel_behind_the_app_s_back(&grant).await;
    let finished = app.engine.finish_for(Some(&grant), &link).await.unwrap();
    let Completed::NotApproved(record) = finished.completed else {
        panic!("expected the grant ended: {finished:?}")
    };
    assert_eq!(
        record.outcome,
        Some(GrantOutcome::Wallet {
            code: consent_desk_engine::WalletCode::UnknownInteraction,
            description: None
        })
    );
    let payment = finished.payment.expect("the payment waited on it");
    assert_eq!(payment.payment.state, PaymentState::Cancelled);
}

#[tokio::test]
async fn a_failure_the_wallet_confirms_ends_the_grant() {
    let app = app().await;
    let (grant, _) = app.waiting_in_browser().await;
    // Cancelled at the wallet behind the app's back (the person did it in
    // the wallet): the wallet no longer knows the grant, which confirms it.
    app.cancel_behind_the_app_s_back(&grant).await;
    let link = format!("{}?result=unknown_interaction", deep_link(&grant));
    let finished = app.engine.finish(&link).await.unwrap();
    let Completed::NotApproved(record) = finished.completed else {
        panic!("expected the grant ended: {finished:?}")
    };
    assert_eq!(record.state, GrantState::Failed);
    let logged = app.last_finish_logged();
    assert!(
        logged["hashVerified"].is_null(),
        "a failure link has no hash: {logged}"
    );
}

#[tokio::test]
async fn an_approval_whose_answer_was_lost_is_cancelled_at_the_wallet_and_said_so() {
    let app = app().await;
    let (grant, page, _) = app.waiting_in_window().await;
    let sandbox = app.engine.sandbox().running().unwrap();
    // The wallet issues the token, and the answer never arrives.
    sandbox.set_faults(Faults {
        lose_answer: Some(RouteFault {
            method: Some("POST".into()),
            path: "/auth/continue".into(),
            status: 500,
        }),
        ..Faults::default()
    });
    let link = browser::approve(page.as_str()).await;
    let lost = app.engine.finish_for(Some(&grant), &link).await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(
        app.state(&grant),
        GrantState::Pending,
        "the link can be retried"
    );

    // Retried: the wallet will not hand the token out again (Rafiki:
    // `request_denied`), so the grant is cancelled there and ended here.
    sandbox.set_faults(Faults::default());
    let finished = app.engine.finish_for(Some(&grant), &link).await.unwrap();
    let Completed::NotApproved(record) = finished.completed else {
        panic!("expected the grant ended: {finished:?}")
    };
    assert_eq!(record.outcome, Some(GrantOutcome::AnswerLost));
    let words = consent_desk_engine::words::grant_outcome(&GrantOutcome::AnswerLost);
    assert!(words.contains("answer was lost"), "{words}");
    assert!(words.contains("cancelled"), "{words}");
    // Told in those words (after the lost try's "not answering").
    app.next(|told| match told {
        Told::Flow(progress) if progress.step == FlowStep::Failed && progress.message == words => {
            Some(())
        }
        _ => None,
    })
    .await;
    // The payment that waited is not sent, and says why.
    let payment = finished.payment.expect("the payment waited on it");
    assert_eq!(payment.payment.state, PaymentState::Cancelled);
    let said =
        consent_desk_engine::words::payment_outcome(&Ok(payment.payment.clone()), &payment.payment);
    assert!(
        said.contains("answer was lost") && said.contains("nothing was paid"),
        "{said}"
    );
    // At the wallet the grant is cancelled: its continuation is not found.
    let url = sandbox
        .base_url()
        .join(&format!(
            "admin/grants/{}",
            record
                .continue_uri
                .unwrap()
                .as_str()
                .rsplit('/')
                .next()
                .unwrap()
        ))
        .unwrap();
    let body = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    let at_wallet: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(at_wallet["state"], "revoked", "{at_wallet}");
}
