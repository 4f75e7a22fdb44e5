//! Payments end to end against the sandbox wallet over loopback HTTP: the
//! engine quotes, asks for the grant, a cookie-keeping HTTP client approves
//! on the consent page, the finish goes through the one continuation
//! routine, and the payment is sent and settled. Balances are read from the
//! wallet. Lost answers and interrupted sends never pay twice.

use std::sync::Arc;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/desk.rs"]
mod desk;

use browser::{approve, consent};
use desk::{balance, desk_client, desk_sandbox};

use consent_desk_engine::outcome::Renewal;
use consent_desk_engine::{
    Completed, FinishVia, FlowError, Flows, GrantRecord, PayAmount, PayRequest, PaymentProblem,
    PaymentRecord, PaymentState, PaymentStep,
};
use consent_desk_identity::MemoryBackend;
use consent_desk_protocol::Client;
use consent_desk_sandbox::{Faults, ManualClock, RouteFault, RunningSandbox, SandboxBuilder};

struct World {
    sandbox: RunningSandbox,
    client: Client,
    key_pem: String,
    flows: Arc<Flows>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

/// The sandbox (as `configure` sets it up), a store, and the engine's
/// client, which records what it asks in the activity log.
async fn world_with(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> World {
    let (sandbox, key_pem, sandbox_dir) = desk_sandbox(KEY_ID, configure).await;
    let data = tempfile::tempdir().unwrap();
    let flows = Arc::new(
        Flows::open(
            &data.path().join("grants.sqlite3"),
            Arc::new(MemoryBackend::default()),
        )
        .unwrap(),
    );
    let client = client_builder(&sandbox, &key_pem)
        .observer(flows.recorder())
        .build()
        .unwrap();
    World {
        sandbox,
        client,
        key_pem,
        flows,
        _dirs: (sandbox_dir, data),
    }
}

/// The key id the tests' `desk` key is published under.
const KEY_ID: &str = "pay-test";

fn client_builder(sandbox: &RunningSandbox, key_pem: &str) -> consent_desk_protocol::ClientBuilder {
    desk_client(sandbox, key_pem, KEY_ID)
}

/// A client signing as the sandbox's `desk` wallet (the continuation
/// routine asks for one per grant).
fn signing_client(sandbox: &RunningSandbox, key_pem: &str) -> Client {
    client_builder(sandbox, key_pem).build().unwrap()
}

async fn world() -> World {
    world_with(|builder| builder).await
}

impl World {
    fn balance(&self, name: &str) -> u64 {
        balance(&self.sandbox, name)
    }

    fn request(&self, to: &str, amount: Option<PayAmount>) -> PayRequest {
        PayRequest {
            from: self.sandbox.wallet_address("alice"),
            to: if to.starts_with("http") {
                url::Url::parse(to).unwrap()
            } else {
                self.sandbox.wallet_address(to)
            },
            amount,
            note: Some("dinner".into()),
        }
    }

    /// Quote and confirm: the payment waits for its approval at the wallet
    /// (its grant's finish comes back as the app's link).
    async fn asked(&self, to: &str, amount: Option<PayAmount>) -> (PaymentRecord, GrantRecord) {
        let quoted = self
            .flows
            .quote_payment(&self.client, "desk", &self.request(to, amount))
            .await
            .unwrap();
        assert_eq!(quoted.state, PaymentState::Quoted);
        self.flows
            .authorize_payment(&self.client, &quoted.id, FinishVia::DeepLink)
            .await
            .unwrap()
    }

    /// Quote, confirm, approve at the wallet, continue: the payment is ready
    /// to send.
    async fn authorized(&self, to: &str, amount: Option<PayAmount>) -> String {
        let (payment, grant) = self.asked(to, amount).await;
        assert_eq!(payment.state, PaymentState::Authorizing);
        let finish = approve(grant.redirect.as_ref().unwrap().as_str()).await;
        let completed = self
            .flows
            .complete(&finish, |_| {
                Ok(signing_client(&self.sandbox, &self.key_pem))
            })
            .await
            .unwrap();
        let Completed::Approved(grant) = completed else {
            panic!("{completed:?}")
        };
        let access = serde_json::to_string(&grant.access.unwrap()).unwrap();
        assert!(
            access.contains(&format!(
                "\"value\":\"{}\"",
                payment.quote.debit_amount.value
            )),
            "the grant is limited to the quote: {access}"
        );
        assert!(access.contains(payment.quote.receiver.as_str()), "{access}");
        payment.id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_currency_payment_settles_and_moves_the_money_once() {
    let world = world().await;
    let (alice, dave) = (world.balance("alice"), world.balance("dave"));
    let id = world.authorized("dave", Some(PayAmount::Send(1250))).await;
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    // Who is paid, by the name the receiver's wallet gives.
    let shown = consent_desk_engine::views::PaymentView::of(&sent);
    assert_eq!(shown.to_name.as_deref(), Some("Dave Sandbox"));
    assert_eq!(shown.to, world.sandbox.wallet_address("dave").to_string());
    let outgoing = sent.outgoing_payment.as_ref().unwrap();
    assert_eq!(outgoing.sent_amount.value, 1250);
    assert_eq!(outgoing.metadata.as_ref().unwrap()["description"], "dinner");
    assert_eq!(world.balance("alice"), alice - 1250);
    assert_eq!(world.balance("dave"), dave + 1250);

    // Sending again does nothing: it is settled.
    let again = world.flows.send_payment(&world.client, &id).await;
    assert!(
        matches!(
            again,
            Err(FlowError::PaymentNotNow {
                state: PaymentState::Completed,
                step: PaymentStep::Send
            })
        ),
        "{again:?}"
    );
    assert_eq!(world.balance("alice"), alice - 1250);
    assert_eq!(world.flows.payments(10, 0).unwrap()[0].id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_currency_payment_delivers_what_the_receiver_should_get() {
    let world = world().await;
    let (alice, bob) = (world.balance("alice"), world.balance("bob"));
    let id = world
        .authorized("bob", Some(PayAmount::Receive(1000)))
        .await;
    let quoted = world.flows.payment(&id).unwrap().quote;
    assert_eq!(quoted.receive_amount.value, 1000);
    assert_eq!(quoted.receive_amount.asset_code, "EUR");
    assert_eq!(quoted.debit_amount.asset_code, "USD");
    assert!(
        quoted.debit_amount.value > 1000,
        "USD costs more, plus the fee"
    );
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed);
    assert_eq!(world.balance("alice"), alice - quoted.debit_amount.value);
    assert_eq!(world.balance("bob"), bob + 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_or_an_interrupted_send_never_pays_twice() {
    let world = world().await;
    let alice = world.balance("alice");

    // The wallet makes the payment, the answer is lost: the payment is found.
    let id = world.authorized("dave", Some(PayAmount::Send(300))).await;
    world.sandbox.set_faults(Faults {
        lose_answer: Some(RouteFault {
            method: Some("POST".into()),
            path: "/rs/outgoing-payments".into(),
            status: 503,
        }),
        ..Faults::default()
    });
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    assert_eq!(world.balance("alice"), alice - 300);

    // The connection drops before the wallet did anything: the payment stays
    // `sending`; resuming sends it once.
    let id = world.authorized("dave", Some(PayAmount::Send(200))).await;
    world.sandbox.set_faults(Faults {
        drop: Some(RouteFault {
            method: Some("POST".into()),
            path: "/rs/outgoing-payments".into(),
            status: 503,
        }),
        ..Faults::default()
    });
    let interrupted = world.flows.send_payment(&world.client, &id).await;
    assert!(interrupted.is_err());
    assert_eq!(
        world.flows.payment(&id).unwrap().state,
        PaymentState::Sending
    );
    assert_eq!(world.balance("alice"), alice - 300);
    // Its grant cannot be revoked or cancelled while it may still be sent.
    let grant = world.flows.payment(&id).unwrap().grant_id.unwrap();
    let refused = world.flows.revoke(&world.client, &grant).await.unwrap_err();
    assert!(
        refused.to_string().contains("still being sent"),
        "{refused}"
    );
    assert!(world.flows.cancel(&world.client, &grant).await.is_err());
    world.sandbox.set_faults(Faults::default());
    let resumed = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(resumed.state, PaymentState::Completed);
    assert_eq!(world.balance("alice"), alice - 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_quote_is_quoted_again_before_anything_is_asked() {
    // The wallet's clock runs an hour behind: its five-minute quotes look
    // expired here at once.
    let clock = ManualClock::new(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let world = world_with(|builder| builder.clock(clock.clone())).await;
    let quoted = world
        .flows
        .quote_payment(
            &world.client,
            "desk",
            &world.request("dave", Some(PayAmount::Send(100))),
        )
        .await
        .unwrap();
    assert!(quoted.quote_expired());
    let refused = world
        .flows
        .authorize_payment(&world.client, &quoted.id, FinishVia::DeepLink)
        .await;
    assert!(
        matches!(refused, Err(FlowError::QuoteExpired)),
        "{refused:?}"
    );
    assert!(world.flows.list().unwrap().is_empty(), "no grant was asked");

    clock.set(time::OffsetDateTime::now_utc());
    let requoted = world
        .flows
        .requote_payment(&world.client, &quoted.id)
        .await
        .unwrap();
    assert_ne!(requoted.quote.id, quoted.quote.id);
    assert!(!requoted.quote_expired());
    let (payment, _) = world
        .flows
        .authorize_payment(&world.client, &quoted.id, FinishVia::DeepLink)
        .await
        .unwrap();
    assert_eq!(payment.state, PaymentState::Authorizing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_approval_cancels_the_payment_and_moves_nothing() {
    let world = world().await;
    let alice = world.balance("alice");
    let (payment, grant) = world.asked("dave", Some(PayAmount::Send(100))).await;
    // The person says no: the wallet finishes with a rejection, which its
    // poll cannot confirm (Rafiki), so the grant is cancelled there before
    // it ends here.
    let finish = consent(grant.redirect.as_ref().unwrap().as_str(), "reject").await;
    let outcome = world
        .flows
        .complete(&finish, |_| {
            Ok(signing_client(&world.sandbox, &world.key_pem))
        })
        .await;
    assert!(
        matches!(&outcome, Ok(Completed::NotApproved(record))
            if record.state == consent_desk_engine::GrantState::Failed),
        "{outcome:?}"
    );
    let ended = world
        .flows
        .send_payment(&world.client, &payment.id)
        .await
        .unwrap();
    assert_eq!(ended.state, PaymentState::Cancelled);
    assert_eq!(world.balance("alice"), alice);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_shows_what_it_spent_and_its_token_rotates_revokes_and_cancels() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|builder| builder.clock(clock.clone())).await;
    let id = world.authorized("dave", Some(PayAmount::Send(400))).await;
    world.flows.send_payment(&world.client, &id).await.unwrap();
    let grant_id = world.flows.payment(&id).unwrap().grant_id.unwrap();
    let spent = world.flows.spent(&world.client, &grant_id).await.unwrap();
    assert_eq!(spent.spent_debit_amount.unwrap().value, 400);

    // The wallet's clock passes the token's ten minutes: it answers 401; the
    // token is rotated once and the call goes through.
    let before = world.flows.get(&grant_id).unwrap().unwrap();
    clock.advance(std::time::Duration::from_secs(11 * 60));
    let spent = world.flows.spent(&world.client, &grant_id).await.unwrap();
    assert_eq!(spent.spent_debit_amount.unwrap().value, 400);
    let after = world.flows.get(&grant_id).unwrap().unwrap();
    assert_ne!(after.manage_uri, before.manage_uri, "rotated");

    // Revoked: nothing more with it; then the grant is cancelled at the wallet.
    let revoked = world.flows.revoke(&world.client, &grant_id).await.unwrap();
    assert_eq!(revoked.state, consent_desk_engine::GrantState::Revoked);
    assert!(
        world.flows.access_token(&grant_id).is_err(),
        "token forgotten"
    );
    assert!(world.flows.spent(&world.client, &grant_id).await.is_err());
    let cancelled = world.flows.cancel(&world.client, &grant_id).await.unwrap();
    assert_eq!(cancelled.state, consent_desk_engine::GrantState::Cancelled);
    let continue_id = after
        .continue_uri
        .unwrap()
        .as_str()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let seen: serde_json::Value = serde_json::from_str(
        &reqwest::get(
            world
                .sandbox
                .base_url()
                .join(&format!("admin/grants/{continue_id}"))
                .unwrap(),
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(seen["state"], "revoked", "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_rotated_before_use() {
    let world =
        world_with(|builder| builder.access_token_lifetime(std::time::Duration::from_secs(30)))
            .await;
    let id = world.authorized("dave", Some(PayAmount::Send(100))).await;
    let grant_id = world.flows.payment(&id).unwrap().grant_id.unwrap();
    let before = world.flows.get(&grant_id).unwrap().unwrap();
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed);
    let after = world.flows.get(&grant_id).unwrap().unwrap();
    assert_ne!(
        after.manage_uri, before.manage_uri,
        "rotated before sending"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_grant_pays_in_two_periods_and_is_refused_past_its_budget_in_one() {
    let start = time::OffsetDateTime::now_utc();
    let clock = ManualClock::new(start);
    let world = world_with(|builder| builder.clock(clock.clone())).await;
    let alice = world.balance("alice");

    // $5.00 a day, approved once.
    let day = start
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let spec = consent_desk_engine::GrantSpec::parse(
        world.sandbox.wallet_address("alice").as_str(),
        Some("500"),
        None,
        None,
        Some(&format!("R/{}Z/P1D", &day[..19])),
    )
    .unwrap();
    let grant = world
        .flows
        .request(&world.client, "desk", &spec, FinishVia::DeepLink)
        .await
        .unwrap();
    let finish = approve(grant.redirect.as_ref().unwrap().as_str()).await;
    world
        .flows
        .complete(&finish, |_| {
            Ok(signing_client(&world.sandbox, &world.key_pem))
        })
        .await
        .unwrap();

    let pay = |cents: u64| {
        let request = world.request("dave", Some(PayAmount::Send(cents)));
        let flows = &world.flows;
        let client = &world.client;
        let grant = grant.id.clone();
        async move {
            let quoted = flows.quote_payment(client, "desk", &request).await.unwrap();
            (
                quoted.id.clone(),
                flows.pay_with_grant(client, &quoted.id, &grant).await,
            )
        }
    };
    // Day one: $3.00 goes through, another $3.00 would pass the $5.00.
    let (_, first) = pay(300).await;
    assert_eq!(first.unwrap().state, PaymentState::Completed);
    let (refused_id, second) = pay(300).await;
    assert!(second.is_err(), "{second:?}");
    let refused = world.flows.payment(&refused_id).unwrap();
    assert_eq!(refused.state, PaymentState::Quoted, "back to the quote");
    assert!(refused.grant_id.is_none());
    // The wallet's 403 "unauthorized" is the budget, not the token: no
    // rotation, and the words say when it renews.
    let problem = refused.problem.unwrap();
    assert!(
        matches!(
            problem,
            PaymentProblem::BudgetSpent {
                renews: Some(Renewal { daily: true, .. })
            }
        ),
        "{problem:?}"
    );
    let words = consent_desk_engine::words::payment_problem(&problem);
    assert!(
        words.starts_with("This budget is spent for today; it renews at "),
        "{words}"
    );
    assert_eq!(world.balance("alice"), alice - 300);

    // Day two: the budget renews (the token has expired meanwhile, and is
    // rotated on the wallet's 401).
    clock.advance(std::time::Duration::from_secs(24 * 60 * 60 + 60));
    let requoted = world
        .flows
        .requote_payment(&world.client, &refused_id)
        .await
        .unwrap();
    let paid = world
        .flows
        .pay_with_grant(&world.client, &requoted.id, &grant.id)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Completed);
    assert_eq!(world.balance("alice"), alice - 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_shows_requests_and_finishes_without_secrets() {
    use consent_desk_engine::activity::{ActivityFilter, ActivityKind};
    let world = world().await;
    let (_, grant) = world.asked("dave", Some(PayAmount::Send(100))).await;
    let finish = approve(grant.redirect.as_ref().unwrap().as_str()).await;
    // A forged finish first: refused, and logged as such.
    let forged = finish.replace("hash=", "hash=AAAA");
    assert!(world
        .flows
        .complete(&forged, |_| Ok(signing_client(
            &world.sandbox,
            &world.key_pem
        )))
        .await
        .is_err());
    world
        .flows
        .complete(&finish, |_| {
            Ok(signing_client(&world.sandbox, &world.key_pem))
        })
        .await
        .unwrap();

    let all = world
        .flows
        .activity(&ActivityFilter::default(), 100, 0)
        .unwrap();
    let operations: Vec<&str> = all.iter().rev().map(|e| e.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "get-wallet-address",
            "get-wallet-address",
            "post-request",
            "create-incoming-payment",
            "post-request",
            "create-quote",
            "get-wallet-address",
            "post-request",
            "finish",
            "finish",
        ],
        "{all:#?}"
    );
    let request = all.iter().find(|e| e.operation == "create-quote").unwrap();
    assert_eq!(request.status, Some(201));
    assert!(request.ok);
    let input = request.detail["signatureInput"].as_str().unwrap();
    assert!(
        input.contains("\"content-digest\"") && input.contains("keyid=\"pay-test\""),
        "{input}"
    );
    assert_eq!(request.detail["withToken"], true);

    let refused = world
        .flows
        .activity(
            &ActivityFilter {
                failures_only: true,
                ..ActivityFilter::default()
            },
            100,
            0,
        )
        .unwrap();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0].kind, ActivityKind::Finish);
    assert_eq!(refused[0].detail["hashVerified"], false);
    assert_eq!(refused[0].detail["grant"], grant.id.as_str());
    assert!(
        !refused[0].url.as_deref().unwrap().contains('?'),
        "no query kept"
    );
    let finished = &all[0];
    assert_eq!(finished.detail["hashVerified"], true);
    assert_eq!(finished.detail["outcome"], "approved and continued");

    let quotes = world
        .flows
        .activity(
            &ActivityFilter {
                text: Some("quote".into()),
                ..ActivityFilter::default()
            },
            100,
            0,
        )
        .unwrap();
    // The text is looked for in the bodies too (a grant request asks for
    // `quote` access).
    assert!(quotes.iter().all(|e| e.operation.contains("quote")
        || e.url.as_deref().unwrap_or("").contains("quote")
        || e.detail.to_string().contains("quote")));
    assert!(!quotes.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("activity.jsonl");
    let written = world
        .flows
        .export_activity(&ActivityFilter::default(), &file)
        .unwrap();
    assert_eq!(written, all.len());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), all.len());
    let token = world.flows.access_token(&grant.id).unwrap();
    assert!(
        !text.contains(token.secret()),
        "no access token in the export"
    );
    // The name shows (in the continuation's body and the finish link), its
    // value never.
    for (at, _) in text.match_indices("interact_ref") {
        let after: String = text[at..].chars().take(32).collect();
        assert!(
            after.contains("redacted"),
            "an interaction reference in the export: {after}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_quote_after_approval_is_confirmed_again_and_can_use_the_approved_grant() {
    let world = world().await;
    let alice = world.balance("alice");
    let id = world.authorized("dave", Some(PayAmount::Send(250))).await;
    let grant = world.flows.payment(&id).unwrap().grant_id.unwrap();
    // As when the quote expired while the person approved: quoted again.
    let requoted = world
        .flows
        .requote_payment(&world.client, &id)
        .await
        .unwrap();
    assert_eq!(
        requoted.state,
        PaymentState::Quoted,
        "confirmed again first"
    );
    assert!(requoted.grant_id.is_none());
    assert!(matches!(
        requoted.problem,
        Some(PaymentProblem::NewQuote | PaymentProblem::NewQuoteCostsMore)
    ));
    assert_eq!(world.balance("alice"), alice, "nothing paid by re-quoting");

    // The grant approved for the old quote pays the new one (no dearer).
    let paid = world
        .flows
        .pay_with_grant(&world.client, &id, &grant)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Completed);
    assert_eq!(world.balance("alice"), alice - 250);
    // Settled now: revoking is allowed.
    world.flows.revoke(&world.client, &grant).await.unwrap();
}

/// An approved grant for `spec`, through the consent page.
async fn approved_grant(world: &World, spec: &consent_desk_engine::GrantSpec) -> String {
    let grant = world
        .flows
        .request(&world.client, "desk", spec, FinishVia::DeepLink)
        .await
        .unwrap();
    let finish = approve(grant.redirect.as_ref().unwrap().as_str()).await;
    world
        .flows
        .complete(&finish, |_| {
            Ok(signing_client(&world.sandbox, &world.key_pem))
        })
        .await
        .unwrap();
    grant.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_send_refused_over_the_limit_may_have_been_made_and_is_never_requoted() {
    use consent_desk_protocol::OutgoingPaymentAction as A;
    let world = world().await;
    let alice = world.balance("alice");
    // A one-time $3.00 budget that can send and follow payments, not list.
    let grant = approved_grant(
        &world,
        &consent_desk_engine::GrantSpec {
            wallet: world.sandbox.wallet_address("alice"),
            debit: Some(300),
            receive: None,
            receiver: None,
            interval: None,
            actions: Some(vec![A::Create, A::Read]),
        },
    )
    .await;
    let quoted = world
        .flows
        .quote_payment(
            &world.client,
            "desk",
            &world.request("dave", Some(PayAmount::Send(300))),
        )
        .await
        .unwrap();
    // The wallet makes the payment and the answer is lost (a crash): it
    // cannot be listed, so it stays `sending`.
    world.sandbox.set_faults(Faults {
        lose_answer: Some(RouteFault {
            method: Some("POST".into()),
            path: "/rs/outgoing-payments".into(),
            status: 503,
        }),
        ..Faults::default()
    });
    let lost = world
        .flows
        .pay_with_grant(&world.client, &quoted.id, &grant)
        .await;
    assert!(lost.is_err(), "{lost:?}");
    world.sandbox.set_faults(Faults::default());
    // Resumed: the same create is now over the budget the first one used.
    let resumed = world
        .flows
        .send_payment(&world.client, &quoted.id)
        .await
        .unwrap_err();
    assert!(matches!(resumed, FlowError::Unconfirmed(_)), "{resumed:?}");
    let words = resumed.to_string();
    assert!(
        words.contains("may have been made") && words.contains("cannot be confirmed"),
        "{words}"
    );
    assert!(
        !words.contains("new grant") && !words.contains("new payment"),
        "a new grant would pay twice: {words}"
    );
    let record = world.flows.payment(&quoted.id).unwrap();
    assert_eq!(
        record.state,
        PaymentState::Sending,
        "never back to the quote"
    );
    assert_eq!(
        record.problem,
        Some(PaymentProblem::Unconfirmed { lookup: None }),
        "the grant cannot list payments"
    );
    assert_eq!(
        consent_desk_engine::words::payment_problem(record.problem.as_ref().unwrap()),
        words
    );
    assert_eq!(world.balance("alice"), alice - 300, "paid once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_with_a_fee_completes_the_moment_it_is_sent() {
    // Rafiki's probe: a fee of 0.10 + 1% on payments in USD.
    let world = world_with(|builder| builder.fee("USD", "10+1%".parse().unwrap())).await;
    let (alice, dave, bob) = (
        world.balance("alice"),
        world.balance("dave"),
        world.balance("bob"),
    );
    // Sending 5.00: debit 500, sent 485, received 485.
    let id = world.authorized("dave", Some(PayAmount::Send(500))).await;
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    let outgoing = sent.outgoing_payment.unwrap();
    assert_eq!(
        (outgoing.debit_amount.value, outgoing.sent_amount.value),
        (500, 485)
    );
    // Receiving 3.00: debit 313, sent 300, received 300.
    let id = world
        .authorized("dave", Some(PayAmount::Receive(300)))
        .await;
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    assert_eq!(sent.quote.debit_amount.value, 313);
    // Across assets, where only the receiver's incoming payment can tell.
    let id = world
        .authorized("bob", Some(PayAmount::Receive(1000)))
        .await;
    let sent = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    let outgoing = sent.outgoing_payment.unwrap();
    assert!(outgoing.sent_amount.value < outgoing.debit_amount.value);
    assert_eq!(world.balance("bob"), bob + 1000);
    assert_eq!(world.balance("dave"), dave + 485 + 300);
    assert_eq!(
        world.balance("alice"),
        alice - 500 - 313 - outgoing.debit_amount.value
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_grant_that_can_send_and_follow_and_has_budget_left_is_offered_for_paying() {
    use consent_desk_protocol::OutgoingPaymentAction as A;
    let world = world().await;
    let wallet = world.sandbox.wallet_address("alice");
    let spec = |actions: Vec<A>| consent_desk_engine::GrantSpec {
        wallet: wallet.clone(),
        debit: Some(1000),
        receive: None,
        receiver: None,
        interval: None,
        actions: Some(actions),
    };
    // What the budget form asked for before: no `read`.
    let blind = approved_grant(&world, &spec(vec![A::Create, A::List, A::ListAll])).await;
    let full = approved_grant(&world, &spec(vec![A::Create, A::Read, A::List])).await;
    let quoted = world
        .flows
        .quote_payment(
            &world.client,
            "desk",
            &world.request("dave", Some(PayAmount::Send(600))),
        )
        .await
        .unwrap();
    let offered: Vec<String> = world
        .flows
        .grants_for_payment(&quoted.id)
        .unwrap()
        .into_iter()
        .map(|grant| grant.id)
        .collect();
    assert_eq!(
        offered,
        vec![full.clone()],
        "the grant without read is not offered"
    );
    let refused = world
        .flows
        .pay_with_grant(&world.client, &quoted.id, &blind)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("create and read"), "{refused}");
    let paid = world
        .flows
        .pay_with_grant(&world.client, &quoted.id, &full)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Completed);
    // $6.00 of the one-time $10.00 is used: $6.00 more is not offered.
    let again = world
        .flows
        .quote_payment(
            &world.client,
            "desk",
            &world.request("dave", Some(PayAmount::Send(600))),
        )
        .await
        .unwrap();
    assert!(world
        .flows
        .grants_for_payment(&again.id)
        .unwrap()
        .is_empty());
    let spent = world
        .flows
        .pay_with_grant(&world.client, &again.id, &full)
        .await
        .unwrap_err();
    assert!(spent.to_string().contains("does not cover"), "{spent}");
    // A settled payment never holds its grant: it can be revoked.
    world.flows.revoke(&world.client, &full).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_the_wallet_refuses_says_the_wallets_reason() {
    let world = world_with(|builder| {
        builder.faults(
            "refuse-payments=Account does not have enough balance."
                .parse()
                .unwrap(),
        )
    })
    .await;
    let alice = world.balance("alice");
    let id = world.authorized("dave", Some(PayAmount::Send(250))).await;
    let failed = world.flows.send_payment(&world.client, &id).await.unwrap();
    assert_eq!(failed.state, PaymentState::Failed);
    assert_eq!(
        failed.problem,
        Some(PaymentProblem::WalletRefused {
            reason: "Account does not have enough balance.".into()
        })
    );
    assert_eq!(world.balance("alice"), alice, "nothing moved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_payment_link_says_to_ask_for_a_new_one() {
    use consent_desk_protocol::{AccessItem, CreateIncomingPayment, GrantRequest, GrantResponse};
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|builder| builder.clock(clock.clone())).await;
    // A shop's link that expires in an hour.
    let shop = world.sandbox.wallet_address("dave");
    let request = GrantRequest::non_interactive(
        world.sandbox.wallet_address("desk"),
        vec![AccessItem::IncomingPayment {
            actions: vec![consent_desk_protocol::IncomingPaymentAction::Create],
            identifier: Some(shop.clone()),
        }],
    );
    let GrantResponse::Approved(grant) = world
        .client
        .request_grant(&world.sandbox.auth_server(), &request)
        .await
        .unwrap()
    else {
        panic!("expected a non-interactive grant")
    };
    let in_an_hour = (consent_desk_sandbox::Clock::now(&clock) + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let link = world
        .client
        .create_incoming_payment(
            &world.sandbox.base_url().join("rs").unwrap(),
            &grant.access_token.value,
            &CreateIncomingPayment {
                wallet_address: shop,
                incoming_amount: Some(consent_desk_protocol::Amount {
                    value: 700,
                    asset_code: "USD".into(),
                    asset_scale: 2,
                }),
                expires_at: Some(in_an_hour),
                metadata: None,
            },
        )
        .await
        .unwrap();
    clock.advance(std::time::Duration::from_secs(2 * 60 * 60));
    let error = world
        .flows
        .quote_payment(
            &world.client,
            "desk",
            &world.request(link.id.as_str(), None),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "This payment link has expired or was withdrawn; ask the payee for a new one."
    );
}
