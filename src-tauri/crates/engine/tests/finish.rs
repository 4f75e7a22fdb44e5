//! Every way the reference wallet (Rafiki 2.x) ends an approval without
//! approving, produced by the sandbox and taken through the one
//! continuation routine: a failure link carries no hash, so it ends the
//! grant only when the wallet confirms it (Rafiki confirms a cancelled
//! grant, not a rejected or expired one, which then stay open until the
//! person cancels them); and a grant the app gives up is cancelled at the
//! wallet, not left open there.

use std::sync::Arc;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/desk.rs"]
mod desk;

use browser::{browser, location};
use desk::{desk_client, desk_sandbox};

use consent_desk_engine::{
    Abandoned, Completed, FinishVia, Flows, GrantOutcome, GrantRecord, GrantSpec, GrantState,
    WalletCode,
};
use consent_desk_identity::{MemoryBackend, SecretBackend as _, KEYRING_SERVICE};
use consent_desk_protocol::{Client, Continue, ContinueAccessToken, ContinueToken, ContinueUri};
use consent_desk_sandbox::{Faults, RunningSandbox};

struct World {
    sandbox: RunningSandbox,
    client: Client,
    key_pem: String,
    secrets: Arc<MemoryBackend>,
    flows: Flows,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn world() -> World {
    let (sandbox, key_pem, sandbox_dir) = desk_sandbox(KEY_ID, |builder| builder).await;
    let client = signing_client(&sandbox, &key_pem);
    let data = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryBackend::default());
    let flows = Flows::open(&data.path().join("grants.sqlite3"), secrets.clone()).unwrap();
    World {
        sandbox,
        client,
        key_pem,
        secrets,
        flows,
        _dirs: (sandbox_dir, data),
    }
}

/// The key id the tests' `desk` key is published under.
const KEY_ID: &str = "finish-test";

/// A client signing as the sandbox's `desk` wallet.
fn signing_client(sandbox: &RunningSandbox, key_pem: &str) -> Client {
    desk_client(sandbox, key_pem, KEY_ID).build().unwrap()
}

impl World {
    /// A pending $13.20 grant from alice, finishing by deep link.
    async fn pending(&self) -> GrantRecord {
        let spec = GrantSpec::parse(
            self.sandbox.wallet_address("alice").as_str(),
            Some("1320"),
            None,
            None,
            None,
        )
        .unwrap();
        self.flows
            .request(&self.client, "sandbox", &spec, FinishVia::DeepLink)
            .await
            .unwrap()
    }

    /// The finish link through the one continuation routine; the grant as
    /// it ended, refused.
    async fn not_approved(&self, finish: &str) -> GrantRecord {
        let client = signing_client(&self.sandbox, &self.key_pem);
        match self.flows.complete(finish, move |_| Ok(client)).await {
            Ok(Completed::NotApproved(record)) => record,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// The failure link through the one continuation routine, which the
    /// wallet's poll does not confirm (as Rafiki's does not): the grant is
    /// cancelled at the wallet, then ended here, so both ends agree. The
    /// grant as it ended.
    async fn ended_at_both_ends(&self, finish: &str) -> GrantRecord {
        let record = self.not_approved(finish).await;
        assert_eq!(record.state, GrantState::Failed);
        assert!(
            self.secrets
                .get(KEYRING_SERVICE, &format!("grant:{}:continue", record.id))
                .is_err(),
            "the continuation is forgotten"
        );
        let state = self.at_wallet(&record).await["state"].clone();
        assert!(
            state != "pending" && state != "approved",
            "the grant stays open at the wallet: {state}"
        );
        record
    }

    /// What the sandbox wallet says of a grant (`GET /admin/grants/{id}`).
    async fn at_wallet(&self, record: &GrantRecord) -> serde_json::Value {
        let continue_id = record
            .continue_uri
            .as_ref()
            .unwrap()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap();
        let url = self
            .sandbox
            .base_url()
            .join(&format!("admin/grants/{continue_id}"))
            .unwrap();
        let body = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }
}

/// The interaction start of a grant, then its finish step: the URL of the
/// `/auth/interact/{id}/{nonce}/finish` of `redirect`.
fn finish_step(redirect: &url::Url) -> url::Url {
    let mut step = redirect.clone();
    step.set_query(None);
    step.set_path(&format!("{}/finish", step.path()));
    step
}

fn is_expiry(record: &GrantRecord) -> bool {
    record.outcome.as_ref().is_some_and(GrantOutcome::is_expiry)
}

fn words(record: &GrantRecord) -> String {
    let outcome = record.outcome.as_ref().expect("a failed grant says why");
    consent_desk_engine::words::grant_outcome(outcome)
}

#[tokio::test]
async fn a_finish_before_the_person_chose_is_told_in_words() {
    let world = world().await;
    let grant = world.pending().await;
    let redirect = grant.redirect.clone().unwrap();
    let http = browser();
    http.get(redirect.clone()).send().await.unwrap();
    let back = location(&http.get(finish_step(&redirect)).send().await.unwrap());
    assert!(back.contains("result=grant_invalid"), "{back}");
    // Rafiki's answer to a poll cannot confirm it: the grant is cancelled
    // at the wallet, then ended here.
    let ended = world.ended_at_both_ends(&back).await;
    assert_eq!(
        ended.outcome,
        Some(GrantOutcome::Wallet {
            code: WalletCode::GrantInvalid,
            description: None
        })
    );
    let words = consent_desk_engine::words::grant_outcome(&GrantOutcome::Wallet {
        code: WalletCode::GrantInvalid,
        description: None,
    });
    assert!(words.contains("before you approved or rejected"), "{words}");
}

#[tokio::test]
async fn a_consent_link_opened_again_after_the_choice_is_told_in_words() {
    let world = world().await;
    let grant = world.pending().await;
    let redirect = grant.redirect.clone().unwrap();
    // The person approves, but that finish never reaches the app…
    browser::approve(redirect.as_str()).await;
    // …and the link is opened again: the wallet no longer offers it.
    let back = location(&browser().get(redirect.clone()).send().await.unwrap());
    assert!(back.contains("result=invalid_interaction"), "{back}");
    // The wallet holds it approved, with a token nobody here holds: it is
    // cancelled there before the link is taken, so nothing stays open.
    let ended = world.ended_at_both_ends(&back).await;
    assert!(
        words(&ended).contains("no longer valid"),
        "{}",
        words(&ended)
    );
}

#[tokio::test]
async fn a_finish_of_a_grant_cancelled_at_the_wallet_is_told_in_words() {
    let world = world().await;
    let grant = world.pending().await;
    let redirect = grant.redirect.clone().unwrap();
    let http = browser();
    let page = redirect
        .join(&location(&http.get(redirect.clone()).send().await.unwrap()))
        .unwrap();
    let step = page.join(&location(
        &http
            .post(page.clone())
            .form(&[("choice", "accept")])
            .send()
            .await
            .unwrap(),
    ));
    // Cancelled at the wallet by someone else while the browser is on its
    // way back (with the grant's own continuation).
    let token = world
        .secrets
        .get(KEYRING_SERVICE, &format!("grant:{}:continue", grant.id))
        .unwrap();
    world
        .client
        .cancel_grant(&Continue {
            access_token: ContinueAccessToken {
                value: ContinueToken::new(token.as_str()),
            },
            uri: ContinueUri(grant.continue_uri.clone().unwrap()),
            wait: None,
        })
        .await
        .unwrap();
    let back = location(&http.get(step.unwrap()).send().await.unwrap());
    assert!(back.contains("result=unknown_interaction"), "{back}");
    // The wallet confirms it (it no longer knows the grant): ended.
    let record = world.not_approved(&back).await;
    assert_eq!(record.state, GrantState::Failed);
    assert!(words(&record).contains("no longer knows this approval"));
}

#[tokio::test]
async fn an_expired_approval_is_told_in_words_and_named_expired() {
    let world = world().await;
    let grant = world.pending().await;
    world.sandbox.set_faults(Faults {
        expire_interactions: true,
        ..Faults::default()
    });
    let back = location(
        &browser()
            .get(grant.redirect.clone().unwrap())
            .send()
            .await
            .unwrap(),
    );
    assert!(back.contains("message=interaction+expired"), "{back}");
    // The wallet ended the grant with its interaction (Rafiki revokes it):
    // asked, it no longer knows it, which confirms the link.
    let record = world.not_approved(&back).await;
    assert!(is_expiry(&record));
    assert!(words(&record).contains("expired"));
    assert_eq!(world.at_wallet(&grant).await["state"], "revoked");
}

#[tokio::test]
async fn abandoned_grants_are_cancelled_at_the_wallet() {
    let world = world().await;

    // Nobody approved in time: the pending grant is cancelled there.
    let waiting = world.pending().await;
    assert_eq!(world.at_wallet(&waiting).await["state"], "pending");
    let record = world
        .flows
        .abandon(&world.client, &waiting.id, Abandoned::TimedOut)
        .await
        .unwrap();
    assert_eq!(record.state, GrantState::Cancelled);
    assert!(words(&record).contains("No approval arrived in time"));
    assert_eq!(world.at_wallet(&waiting).await["state"], "revoked");

    // Approved, but its payment's quote expired: cancelled too.
    let approved = world.pending().await;
    let finish = browser::approve(approved.redirect.as_ref().unwrap().as_str()).await;
    let client = signing_client(&world.sandbox, &world.key_pem);
    let Completed::Approved(_) = world
        .flows
        .complete(&finish, move |_| Ok(client))
        .await
        .unwrap()
    else {
        panic!("expected approval")
    };
    assert_eq!(world.at_wallet(&approved).await["state"], "issued");
    let record = world
        .flows
        .abandon(&world.client, &approved.id, Abandoned::QuoteExpired)
        .await
        .unwrap();
    assert!(words(&record).contains("quote expired"));
    assert_eq!(world.at_wallet(&approved).await["state"], "revoked");

    // Already ended: nothing more is asked of the wallet.
    let again = world
        .flows
        .abandon(&world.client, &approved.id, Abandoned::TimedOut)
        .await
        .unwrap();
    assert_eq!(again.outcome, Some(GrantOutcome::QuoteExpired));
}
