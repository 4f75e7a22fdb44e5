//! A store written by release 0.1.0 (`tests/fixtures/store-release-0.1.0-27f393e.sqlite3`,
//! described in the README beside it) opens in this build: the migration
//! types every record, and every grant, payment and activity row reads back
//! with what it said. The committed file is copied first (opening it makes
//! `-wal`/`-shm` files); nothing resumes on it (only `Engine` start-up does).

use std::collections::BTreeMap;
use std::sync::Arc;

use consent_desk_engine::activity::{ActivityFilter, ActivityKind};
use consent_desk_engine::views::{GrantStateView, GrantView, PaymentView};
use consent_desk_engine::{
    Flows, GrantAsk, GrantOutcome, GrantRecord, GrantState, PaymentProblem, PaymentRecord,
    PaymentState, WalletCode,
};
use consent_desk_identity::MemoryBackend;
use consent_desk_protocol::{AccessItem, LimitAmount};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/store-release-0.1.0-27f393e.sqlite3"
);

struct Release {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    flows: Flows,
}

fn open_copy() -> Release {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grants.sqlite3");
    std::fs::copy(FIXTURE, &path).unwrap();
    let flows = Flows::open(&path, Arc::new(MemoryBackend::default())).unwrap();
    Release {
        _dir: dir,
        path,
        flows,
    }
}

fn grant<'a>(grants: &'a [GrantRecord], prefix: &str) -> &'a GrantRecord {
    grants
        .iter()
        .find(|g| g.id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no grant {prefix}…"))
}

fn payment<'a>(payments: &'a [PaymentRecord], note: &str) -> &'a PaymentRecord {
    payments
        .iter()
        .find(|p| p.note.as_deref() == Some(note))
        .unwrap_or_else(|| panic!("no payment {note}"))
}

fn outgoing_limits(items: &[AccessItem]) -> &consent_desk_protocol::OutgoingLimits {
    items
        .iter()
        .find_map(|item| match item {
            AccessItem::OutgoingPayment {
                limits: Some(limits),
                ..
            } => Some(limits),
            _ => None,
        })
        .expect("outgoing-payment limits")
}

fn debit(items: &[AccessItem]) -> u64 {
    match &outgoing_limits(items).amount {
        Some(LimitAmount::Debit(amount)) => amount.value,
        other => panic!("a debit limit, not {other:?}"),
    }
}

#[test]
fn every_grant_of_release_0_1_0_reads_typed_with_its_outcome() {
    let release = open_copy();
    let grants = release.flows.list().unwrap();
    assert_eq!(grants.len(), 13);
    assert!(release.flows.unreadable_records().unwrap().is_empty());
    let mut states = BTreeMap::new();
    for g in &grants {
        *states.entry(g.state.as_str()).or_insert(0) += 1;
        // Every one is the sandbox's wallet, requested at its server.
        assert_eq!(g.profile, "personal");
        assert_eq!(
            g.wallet.as_str(),
            "http://127.0.0.1:42831/alice",
            "{}",
            g.id
        );
        assert_eq!(g.auth_server.host_str(), Some("127.0.0.1"));
        assert!(g.finish_uri.path().ends_with(&format!("/finish/{}", g.id)));
        assert!(g.created_at <= g.updated_at);
        assert_eq!(g.created_at.date(), time::macros::date!(2026 - 11 - 30));
    }
    assert_eq!(
        states,
        BTreeMap::from([
            ("approved", 6),
            ("cancelled", 2),
            ("failed", 2),
            ("pending", 2),
            ("revoked", 1)
        ])
    );

    let rejected = grant(&grants, "cd82f16a");
    assert_eq!(rejected.state, GrantState::Failed);
    assert_eq!(
        rejected.outcome,
        Some(GrantOutcome::Wallet {
            code: WalletCode::GrantRejected,
            description: None,
        })
    );
    assert_eq!(rejected.access, None);
    let expired = grant(&grants, "c0507f54");
    assert_eq!(
        expired.outcome,
        Some(GrantOutcome::Wallet {
            code: WalletCode::InvalidInteraction,
            description: Some("interaction expired".into()),
        })
    );
    assert!(expired.outcome.as_ref().unwrap().is_expiry());
    let cancelled = grant(&grants, "4eaf5307");
    assert_eq!(cancelled.outcome, Some(GrantOutcome::Cancelled));
    assert_eq!(debit(cancelled.access.as_deref().unwrap()), 2000);
    assert_eq!(cancelled.manage_uri, None);
    let timed_out = grant(&grants, "477c2084");
    assert_eq!(timed_out.state, GrantState::Cancelled);
    assert_eq!(timed_out.outcome, Some(GrantOutcome::TimedOut));

    let one_time = grant(&grants, "77fe30a8");
    assert_eq!(one_time.outcome, None);
    assert_eq!(debit(one_time.access.as_deref().unwrap()), 1320);
    assert!(one_time.manage_uri.is_some());
    assert_eq!(
        one_time
            .expires_at
            .map(|at| at - one_time.created_at > time::Duration::minutes(9)),
        Some(true),
        "the token lives ten minutes from approval"
    );
    let renewing = grant(&grants, "7bd63724");
    assert_eq!(renewing.finish_uri.host_str(), Some("127.0.0.1"));
    assert_eq!(renewing.finish_uri.port(), Some(47613));
    let limits = outgoing_limits(renewing.access.as_deref().unwrap());
    assert_eq!(
        limits.interval.as_ref().map(ToString::to_string).as_deref(),
        Some("R/2026-11-30T13:40:44Z/P1D")
    );
    assert_eq!(debit(renewing.access.as_deref().unwrap()), 500);
    let revoked = grant(&grants, "d9ec1690");
    assert_eq!(revoked.state, GrantState::Revoked);
    assert!(revoked.access.is_some(), "what it allowed is kept");

    let proof = grant(&grants, "cb934ae9");
    assert!(matches!(proof.request, GrantAsk::Subject(_)));
    assert_eq!(proof.access, None);
    for id in ["77fe30a8", "1d7f85fa", "ddb68476", "c0507f54"] {
        let g = grant(&grants, id);
        let GrantAsk::Access(request) = &g.request else {
            panic!("{id} asked for access");
        };
        assert!(request.interact.is_some(), "{id}");
    }
    let waiting = grant(&grants, "ddb68476");
    assert_eq!(waiting.state, GrantState::Pending);
    assert!(waiting.redirect.is_some() && waiting.continue_uri.is_some());
    match &waiting.request {
        GrantAsk::Access(request) => assert_eq!(debit(&request.access_token.access), 3000),
        GrantAsk::Subject(_) => panic!("an access request"),
    }

    // What screens show: the state and words from the types, and times as
    // the release wrote them.
    let view = |prefix| GrantView::of(grant(&grants, prefix));
    assert_eq!(view("cd82f16a").state, GrantStateView::Rejected);
    assert!(view("cd82f16a").problem.unwrap().contains("You rejected"));
    assert_eq!(view("c0507f54").state, GrantStateView::Expired);
    assert!(view("477c2084")
        .problem
        .unwrap()
        .contains("No approval arrived in time"));
    assert_eq!(
        view("cb934ae9").summary,
        "Proof that you own http://127.0.0.1:42831/alice"
    );
    assert!(view("ddb68476").consent_url.is_some());
    let conn = rusqlite::Connection::open(&release.path).unwrap();
    let mut raw = conn
        .prepare("SELECT id, created_at, expires_at FROM grants")
        .unwrap();
    let raw: Vec<(String, String, Option<String>)> = raw
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(raw.len(), 13);
    for (id, created_at, expires_at) in raw {
        let shown = GrantView::of(grant(&grants, &id));
        assert_eq!(shown.created_at, created_at, "{id}");
        assert_eq!(shown.expires_at, expires_at, "{id}");
    }
}

#[test]
fn every_payment_and_activity_row_of_release_0_1_0_reads_typed() {
    let release = open_copy();
    let payments = release.flows.payments(100, 0).unwrap();
    assert_eq!(payments.len(), 11);
    let mut states = BTreeMap::new();
    for p in &payments {
        *states.entry(p.state.as_str()).or_insert(0) += 1;
        assert_eq!(p.sender.as_str(), "http://127.0.0.1:42831/alice");
        assert!(p.created_at <= p.updated_at);
        let view = PaymentView::of(p);
        assert_eq!(view.from, "http://127.0.0.1:42831/alice");
    }
    assert_eq!(
        states,
        BTreeMap::from([
            ("authorizing", 1),
            ("cancelled", 2),
            ("completed", 4),
            ("failed", 1),
            ("quoted", 2),
            ("sending", 1)
        ])
    );

    let rent = payment(&payments, "rent share");
    assert_eq!(rent.state, PaymentState::Completed);
    assert_eq!(
        rent.receiver_wallet.as_ref().map(url::Url::as_str),
        Some("http://127.0.0.1:42831/bob")
    );
    assert_eq!(
        (
            rent.quote.debit_amount.value,
            rent.quote.debit_amount.asset_code.as_str()
        ),
        (1098, "USD")
    );
    assert_eq!(
        (
            rent.quote.receive_amount.value,
            rent.quote.receive_amount.asset_code.as_str()
        ),
        (1000, "EUR")
    );
    assert!(rent.outgoing_payment.is_some());
    let shown = PaymentView::of(rent);
    assert_eq!(
        (shown.debit.as_str(), shown.receive.as_str()),
        ("$10.98", "€10.00")
    );
    assert!(shown.rate.unwrap().starts_with("1 USD"));

    let tip = payment(&payments, "tip");
    assert_eq!(tip.state, PaymentState::Cancelled);
    assert_eq!(
        tip.problem,
        Some(PaymentProblem::Grant {
            outcome: GrantOutcome::Wallet {
                code: WalletCode::GrantRejected,
                description: None,
            }
        })
    );
    assert!(PaymentView::of(tip)
        .problem
        .unwrap()
        .contains("You rejected"));
    let books = payment(&payments, "books");
    assert_eq!(books.state, PaymentState::Failed);
    assert_eq!(
        books.problem,
        Some(PaymentProblem::WalletRefused {
            reason: "Account does not have enough balance.".into()
        })
    );
    assert_eq!(
        PaymentView::of(books).problem.as_deref(),
        Some("The wallet did not make the payment: Account does not have enough balance.")
    );
    let lunch = payment(&payments, "lunch");
    assert_eq!(lunch.state, PaymentState::Quoted);
    let words = "This budget is spent for today; it renews at 1 Dec 2026 13:40:44 UTC. Approve \
                 a new grant to pay now.";
    assert_eq!(
        lunch.problem,
        Some(PaymentProblem::Message { text: words.into() })
    );
    assert_eq!(PaymentView::of(lunch).problem.as_deref(), Some(words));
    let postcard = payment(&payments, "postcard");
    assert_eq!(postcard.problem, Some(PaymentProblem::Cancelled));
    assert_eq!(postcard.grant_id, None);
    assert_eq!(payment(&payments, "parking").state, PaymentState::Sending);
    let flowers = payment(&payments, "flowers");
    assert_eq!(flowers.state, PaymentState::Authorizing);
    assert!(flowers.grant_id.as_deref().unwrap().starts_with("1d7f85fa"));
    for note in [
        "groceries",
        "coffee",
        "dinner",
        "concert",
        "parking",
        "flowers",
    ] {
        assert_eq!(payment(&payments, note).problem, None, "{note}");
    }
    // Start-up resume would find these (it is not run here).
    let mut unfinished: Vec<String> = release
        .flows
        .unfinished_payments()
        .unwrap()
        .into_iter()
        .filter_map(|p| p.note)
        .collect();
    unfinished.sort();
    assert_eq!(unfinished, ["concert", "flowers", "lunch", "parking"]);

    let activity = release
        .flows
        .activity(&ActivityFilter::default(), 1000, 0)
        .unwrap();
    assert_eq!(activity.len(), 127);
    let count = |kind: ActivityKind, ok: bool| {
        activity
            .iter()
            .filter(|entry| entry.kind == kind && entry.ok == ok)
            .count()
    };
    assert_eq!(
        [
            count(ActivityKind::Request, true),
            count(ActivityKind::Request, false),
            count(ActivityKind::Finish, true),
            count(ActivityKind::Finish, false),
        ],
        [113, 2, 10, 2]
    );
    let operations = |name: &str, status: Option<u16>| {
        activity
            .iter()
            .filter(|entry| entry.operation == name && entry.status == status)
            .count()
    };
    assert_eq!(operations("get-wallet-address", Some(200)), 36);
    assert_eq!(operations("post-request", Some(200)), 35);
    assert_eq!(operations("create-outgoing-payment", Some(403)), 1);
    assert_eq!(operations("create-outgoing-payment", None), 1);
    assert_eq!(operations("finish", None), 12);
}
