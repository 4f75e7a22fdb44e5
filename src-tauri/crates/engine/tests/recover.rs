//! Nothing left stuck by a run that stopped or by a wallet that stalls,
//! against the sandbox wallet over loopback: an approval a killed run left
//! `finishing` is taken up again (continued when the wallet still takes
//! it, ended in words when not); a wallet asking to wait for years is given
//! up; and of two runs on one store resuming one payment, only one creates
//! it.

use std::sync::Arc;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/desk.rs"]
mod desk;

use browser::approve;
use desk::{balance, desk_client, desk_sandbox};

use consent_desk_engine::activity::ActivityFilter;
use consent_desk_engine::{
    Completed, FinishVia, FlowError, Flows, GrantOutcome, GrantState, PayAmount, PayRequest,
    PaymentProblem, PaymentRecord, PaymentState,
};
use consent_desk_identity::{MemoryBackend, SecretBackend, KEYRING_SERVICE};
use consent_desk_protocol::{
    Client, Continue, ContinueAccessToken, ContinueToken, ContinueUri, InteractRef,
};
use consent_desk_sandbox::{Faults, ManualClock, RouteFault, RunningSandbox, SandboxBuilder};

struct World {
    sandbox: RunningSandbox,
    key_pem: String,
    secrets: Arc<MemoryBackend>,
    flows: Arc<Flows>,
    client: Client,
    data: tempfile::TempDir,
    _sandbox_dir: tempfile::TempDir,
}

async fn world_with(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> World {
    let (sandbox, key_pem, sandbox_dir) = desk_sandbox(KEY_ID, configure).await;
    let data = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryBackend::default());
    let flows =
        Arc::new(Flows::open(&data.path().join("grants.sqlite3"), secrets.clone()).unwrap());
    let client = client_for(&sandbox, &key_pem, &flows);
    World {
        sandbox,
        key_pem,
        secrets,
        flows,
        client,
        data,
        _sandbox_dir: sandbox_dir,
    }
}

/// The key id the tests' `desk` key is published under.
const KEY_ID: &str = "recover-test";

/// A client signing as the sandbox's `desk` wallet, recording what it asks
/// in the activity log of `flows`.
fn client_for(sandbox: &RunningSandbox, key_pem: &str, flows: &Arc<Flows>) -> Client {
    desk_client(sandbox, key_pem, KEY_ID)
        .observer(flows.recorder())
        .build()
        .unwrap()
}

impl World {
    /// Sends (or resumes) payment `id` as the app does.
    async fn send(&self, id: &str) -> Result<PaymentRecord, FlowError> {
        self.flows.send_payment(&self.client, id).await
    }

    /// A client for the continuation routine.
    fn signing(&self) -> Client {
        client_for(&self.sandbox, &self.key_pem, &self.flows)
    }

    fn balance(&self, name: &str) -> u64 {
        balance(&self.sandbox, name)
    }

    /// Another run on the same store and keyring (the app and the command
    /// line at once).
    fn other_run(&self) -> (Arc<Flows>, Client) {
        let flows = Arc::new(
            Flows::open(
                &self.data.path().join(consent_desk_engine::GRANTS_FILE),
                self.secrets.clone(),
            )
            .unwrap(),
        );
        let client = client_for(&self.sandbox, &self.key_pem, &flows);
        (flows, client)
    }

    /// A payment of `amount` to dave, quoted and its grant asked for; the
    /// consent page's finish link after the person approved.
    async fn approved_at_wallet(&self, amount: u64) -> (String, String, String) {
        let request = PayRequest {
            from: self.sandbox.wallet_address("alice"),
            to: self.sandbox.wallet_address("dave"),
            amount: Some(PayAmount::Send(amount)),
            note: None,
        };
        let quoted = self
            .flows
            .quote_payment(&self.client, "desk", &request)
            .await
            .unwrap();
        let (payment, grant) = self
            .flows
            .authorize_payment(&self.client, &quoted.id, FinishVia::DeepLink)
            .await
            .unwrap();
        let finish = approve(grant.redirect.as_ref().unwrap().as_str()).await;
        (payment.id, grant.id, finish)
    }

    /// Makes grant `id` look as a run that stopped long ago left it:
    /// `finishing`, last changed in 2020.
    fn left_finishing_long_ago(&self, id: &str) {
        let db =
            rusqlite::Connection::open(self.data.path().join(consent_desk_engine::GRANTS_FILE))
                .unwrap();
        db.execute(
            "UPDATE grants SET state = 'finishing', updated_at = '2020-01-01T00:00:00Z' \
             WHERE id = ?1",
            [id],
        )
        .unwrap();
    }

    /// How many outgoing payments were asked of the wallet (every run's
    /// client records into the one store's activity log).
    fn creates_asked(&self) -> usize {
        self.flows
            .activity(&ActivityFilter::default(), 1000, 0)
            .unwrap()
            .iter()
            .filter(|entry| entry.operation == "create-outgoing-payment")
            .count()
    }
}

/// The `interact_ref` of a finish link.
fn interact_ref_of(finish: &str) -> String {
    url::Url::parse(finish)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "interact_ref")
        .unwrap()
        .1
        .into_owned()
}

/// The run is killed while it waits to continue (before the wallet heard of
/// it): the grant stays `finishing` and its payment `authorizing`.
async fn killed_while_continuing(world: &World, finish: &str, grant: &str) {
    let flows = Arc::clone(&world.flows);
    let (signing, finish) = (world.signing(), finish.to_owned());
    let run = tokio::spawn(async move { flows.complete(&finish, move |_| Ok(signing)).await });
    while world.flows.grant(grant).unwrap().state != GrantState::Finishing {
        tokio::task::yield_now().await;
    }
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    assert_eq!(
        world.flows.grant(grant).unwrap().state,
        GrantState::Finishing
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_a_killed_run_left_finishing_is_continued_again_and_its_payment_sent() {
    // The wallet asks to wait 30 s before continuing: the run is killed
    // during that wait.
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|builder| builder.clock(clock.clone()).wait_seconds(30)).await;
    let alice = world.balance("alice");
    let (payment, grant, finish) = world.approved_at_wallet(400).await;
    killed_while_continuing(&world, &finish, &grant).await;

    // Just after, a live run may still be at it: left alone.
    assert!(world
        .flows
        .take_up_finishing(&world.client, &grant)
        .await
        .unwrap()
        .is_none());
    let early = world.send(&payment).await.unwrap_err().to_string();
    assert!(early.contains("being completed"), "{early}");
    assert!(!early.contains("waits for your approval"), "{early}");

    // Long after (the wallet's wait passed too): `payments resume` takes the
    // approval up, continues it and pays, once.
    world.left_finishing_long_ago(&grant);
    clock.advance(std::time::Duration::from_secs(60));
    let sent = world.send(&payment).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed, "{sent:?}");
    assert_eq!(
        world.flows.grant(&grant).unwrap().state,
        GrantState::Approved
    );
    assert_eq!(world.balance("alice"), alice - 400);
    assert!(
        world.flows.finishing_grants().unwrap().is_empty(),
        "nothing left finishing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_link_again_takes_up_an_approval_a_killed_run_left_finishing() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|builder| builder.clock(clock.clone()).wait_seconds(30)).await;
    let (payment, grant, finish) = world.approved_at_wallet(250).await;
    killed_while_continuing(&world, &finish, &grant).await;
    // While a live run may be at it, the link is refused and changes nothing.
    let early = world
        .flows
        .complete(&finish, |_| Ok(world.signing()))
        .await
        .unwrap_err()
        .to_string();
    assert!(early.contains("being completed"), "{early}");
    assert_eq!(
        world.flows.grant(&grant).unwrap().state,
        GrantState::Finishing
    );

    // `consent-desk grant continue` with the same link, long after; the run
    // was killed before the keyring kept the link's reference, which the
    // link itself carries.
    world
        .secrets
        .delete(KEYRING_SERVICE, &format!("grant:{grant}:interact"))
        .unwrap();
    world.left_finishing_long_ago(&grant);
    clock.advance(std::time::Duration::from_secs(60));
    let (other, client) = world.other_run();
    let completed = other
        .complete(&finish, |_| {
            Ok(client_for(&world.sandbox, &world.key_pem, &other))
        })
        .await
        .unwrap();
    assert!(matches!(completed, Completed::Approved(_)), "{completed:?}");
    let sent = other.send_payment(&client, &payment).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed);
    assert!(
        world
            .secrets
            .get(KEYRING_SERVICE, &format!("grant:{grant}:interact"))
            .is_err(),
        "the interaction reference is forgotten once the grant ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_whose_answer_a_killed_run_lost_is_ended_and_cancelled_at_the_wallet() {
    let world = world().await;
    let alice = world.balance("alice");
    let (payment, grant, finish) = world.approved_at_wallet(300).await;
    // The run claimed the finish and kept its reference; the wallet
    // continued the grant and issued a token; the run died before it read
    // the answer.
    let reference = interact_ref_of(&finish);
    world
        .secrets
        .set(
            KEYRING_SERVICE,
            &format!("grant:{grant}:interact"),
            &reference,
        )
        .unwrap();
    let token = world
        .secrets
        .get(KEYRING_SERVICE, &format!("grant:{grant}:continue"))
        .unwrap();
    let continuation = Continue {
        access_token: ContinueAccessToken {
            value: ContinueToken::new(token.as_str()),
        },
        uri: ContinueUri(world.flows.grant(&grant).unwrap().continue_uri.unwrap()),
        wait: None,
    };
    world
        .client
        .continue_grant(&continuation, &InteractRef::new(reference.as_str()))
        .await
        .unwrap();
    world.left_finishing_long_ago(&grant);

    // At start (or `payments resume`): the wallet will not continue it again,
    // so it is cancelled there and said so; the payment ends, nothing paid.
    let (other, client) = world.other_run();
    let Some(Completed::NotApproved(record)) =
        other.take_up_finishing(&client, &grant).await.unwrap()
    else {
        panic!("the approval was not ended")
    };
    assert_eq!(record.state, GrantState::Failed);
    assert_eq!(
        record.outcome,
        Some(GrantOutcome::Interrupted { cancelled: true })
    );
    let words = consent_desk_engine::words::grant_outcome(record.outcome.as_ref().unwrap());
    assert!(words.contains("cancelled at your wallet"), "{words}");
    let ended = other.send_payment(&client, &payment).await.unwrap();
    assert_eq!(ended.state, PaymentState::Cancelled);
    assert!(
        matches!(
            ended.problem,
            Some(PaymentProblem::Grant {
                outcome: GrantOutcome::Interrupted { .. }
            })
        ),
        "{:?}",
        ended.problem
    );
    assert_eq!(world.balance("alice"), alice);
    // Cancelled at the wallet: the continuation is dead there.
    assert!(world.flows.finishing_grants().unwrap().is_empty());
}

async fn world() -> World {
    world_with(|builder| builder).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_asking_to_wait_for_years_is_given_up_in_words() {
    let world = world_with(|builder| builder.wait_seconds(100_000_000)).await;
    let (payment, grant, finish) = world.approved_at_wallet(200).await;
    // Today's deadline is the test's: honouring the wait would park it for
    // three years.
    let completed = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        world.flows.complete(&finish, |_| Ok(world.signing())),
    )
    .await
    .expect("the wallet's wait was honoured: the approval is parked")
    .unwrap();
    let Completed::NotApproved(record) = completed else {
        panic!("{completed:?}")
    };
    assert_eq!(record.id, grant);
    assert_eq!(
        record.outcome,
        Some(GrantOutcome::WaitTooLong {
            seconds: 100_000_000,
            cancelled: true
        })
    );
    let words = consent_desk_engine::words::grant_outcome(record.outcome.as_ref().unwrap());
    assert!(words.contains("wait 3 years"), "{words}");
    assert!(words.contains("5 minutes at most"), "{words}");
    let ended = world.send(&payment).await.unwrap();
    assert_eq!(ended.state, PaymentState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_resuming_one_interrupted_send_create_it_once() {
    let world = world().await;
    let alice = world.balance("alice");
    let (payment, _grant, finish) = world.approved_at_wallet(500).await;
    world
        .flows
        .complete(&finish, |_| Ok(world.signing()))
        .await
        .unwrap();
    // The connection drops before the wallet did anything: left `sending`.
    world.sandbox.set_faults(Faults {
        drop: Some(RouteFault {
            method: Some("POST".into()),
            path: "/rs/outgoing-payments".into(),
            status: 503,
        }),
        ..Faults::default()
    });
    assert!(world.send(&payment).await.is_err());
    world.sandbox.set_faults(Faults::default());
    assert_eq!(
        world.flows.payment(&payment).unwrap().state,
        PaymentState::Sending
    );
    let before = world.creates_asked();

    // The app's start-up resume and `consent-desk payments resume` at once.
    let (other, client) = world.other_run();
    let (one, two) = tokio::join!(
        world.flows.send_payment(&world.client, &payment),
        other.send_payment(&client, &payment)
    );
    assert_eq!(
        world.creates_asked() - before,
        1,
        "only one run asked the wallet to pay: {one:?} {two:?}"
    );
    let refused = [&one, &two]
        .into_iter()
        .filter_map(|result| result.as_ref().err())
        .map(FlowError::to_string)
        .collect::<Vec<_>>();
    assert!(
        refused.iter().all(|error| error.contains("another run")),
        "{refused:?}"
    );
    assert_eq!(
        world.flows.payment(&payment).unwrap().state,
        PaymentState::Completed
    );
    assert_eq!(world.balance("alice"), alice - 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_runs_sending_lease_is_taken_over_at_once() {
    let world = world().await;
    let (payment, _grant, finish) = world.approved_at_wallet(100).await;
    world
        .flows
        .complete(&finish, |_| Ok(world.signing()))
        .await
        .unwrap();
    // `consent-desk payments resume` took the lease, still live for two
    // minutes, and is sending.
    let mut holder = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let db = rusqlite::Connection::open(world.data.path().join(consent_desk_engine::GRANTS_FILE))
        .unwrap();
    db.execute(
        "UPDATE payments SET state = 'sending', lease_owner = ?1, lease_until = ?2, \
         record = json_set(record, '$.state', 'sending') WHERE id = ?3",
        rusqlite::params![
            format!("{}/its-run", holder.id()),
            time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 120_000,
            payment
        ],
    )
    .unwrap();
    let held = world.send(&payment).await.unwrap_err().to_string();
    assert!(held.contains("another run"), "{held}");
    // It is killed: its lease is taken over at once, not after it runs out.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let taken = world.send(&payment).await.unwrap();
    assert_eq!(taken.state, PaymentState::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_whose_run_was_killed_a_moment_ago_is_taken_up_at_once() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|builder| builder.clock(clock.clone()).wait_seconds(30)).await;
    let (payment, grant, finish) = world.approved_at_wallet(150).await;
    killed_while_continuing(&world, &finish, &grant).await;
    // The run that claimed it was another process (`consent-desk grant
    // request`), alive for now.
    let mut holder = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    rusqlite::Connection::open(world.data.path().join(consent_desk_engine::GRANTS_FILE))
        .unwrap()
        .execute(
            "UPDATE grants SET lease_owner = ?1 WHERE id = ?2",
            rusqlite::params![format!("{}/its-run", holder.id()), grant],
        )
        .unwrap();
    clock.advance(std::time::Duration::from_secs(60));
    assert!(world
        .flows
        .take_up_finishing(&world.client, &grant)
        .await
        .unwrap()
        .is_none());
    // Killed: the restart right after takes it up, with no lease to wait out.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let sent = world.send(&payment).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed);
    assert_eq!(
        world.flows.grant(&grant).unwrap().state,
        GrantState::Approved
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sending_lease_that_ran_out_is_taken_over() {
    let world = world().await;
    let (payment, _grant, finish) = world.approved_at_wallet(100).await;
    world
        .flows
        .complete(&finish, |_| Ok(world.signing()))
        .await
        .unwrap();
    // A run of another computer (its process cannot be looked at) took the
    // lease and crashed before it created the payment.
    let db = rusqlite::Connection::open(world.data.path().join(consent_desk_engine::GRANTS_FILE))
        .unwrap();
    let set = |until: i64| {
        db.execute(
            "UPDATE payments SET state = 'sending', lease_owner = 'crashed', lease_until = ?1, \
             record = json_set(record, '$.state', 'sending') WHERE id = ?2",
            rusqlite::params![until, payment],
        )
        .unwrap();
    };
    set(i64::MAX);
    let held = world.send(&payment).await.unwrap_err().to_string();
    assert!(held.contains("another run"), "{held}");
    set(0);
    let sent = world.send(&payment).await.unwrap();
    assert_eq!(sent.state, PaymentState::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_grant_twice_says_it_is_already_cancelled() {
    let world = world().await;
    let (_payment, grant, _finish) = world.approved_at_wallet(100).await;
    let cancelled = world.flows.cancel(&world.client, &grant).await.unwrap();
    assert_eq!(cancelled.state, GrantState::Cancelled);
    let again = world
        .flows
        .cancel(&world.client, &grant)
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("already cancelled"), "{again}");
    assert!(!again.contains("keyring"), "{again}");
    let unknown = world
        .flows
        .cancel(&world.client, "no-such-grant")
        .await
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("there is no grant"), "{unknown}");
}
