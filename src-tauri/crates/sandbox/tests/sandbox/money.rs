//! Where money meets the reference server (Rafiki 2.x), probe for probe:
//! fees, a payment over a grant's limit, reading a payment without `read`,
//! a payment the account provider refuses, and an expired incoming payment.

use std::time::Duration;

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    AccessItem, AccessToken, CreateIncomingPayment, CreateOutgoingPayment, CreateQuote,
    IncomingPaymentAction, OutgoingPaymentAction, Quote, QuoteAction, QuoteAmount,
};
use consent_desk_sandbox::{Fee, ManualClock};
use time::macros::datetime;

use crate::support::{amount, world, world_with, World};

async fn quote(world: &World, from: &str, receiver: &Url, amount: Option<QuoteAmount>) -> Quote {
    let grant = world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create, QuoteAction::Read],
        }])
        .await;
    world
        .client
        .create_quote(
            &world.rs(),
            &grant.access_token.value,
            &CreateQuote {
                wallet_address: world.wallet(from),
                receiver: receiver.clone(),
                method: "ilp".into(),
                amount,
            },
        )
        .await
        .unwrap()
}

fn from_quote(world: &World, from: &str, quote: &Quote) -> CreateOutgoingPayment {
    CreateOutgoingPayment::FromQuote {
        wallet_address: world.wallet(from),
        quote_id: quote.id.clone(),
        metadata: None,
    }
}

/// The raw error answer of a resource-server call, as a client sees it.
fn error_body(error: &consent_desk_protocol::Error) -> serde_json::Value {
    serde_json::from_slice(error.response_body().expect("an error answer with a body")).unwrap()
}

#[tokio::test]
async fn a_fee_is_in_the_debit_amount_and_not_in_the_sent_amount() {
    let world = world().await;
    // Through the admin API, as QA sets it: 0.10 + 1% on payments in USD.
    let admin = reqwest::Client::new();
    let fees = admin
        .put(world.sandbox.base_url().join("admin/fees").unwrap())
        .json(&serde_json::json!({"USD": {"fixed": 10, "basisPoints": 100}}))
        .send()
        .await
        .unwrap();
    assert_eq!(fees.status(), 200);
    assert_eq!(
        world.sandbox.fees().get("USD"),
        Some(&Fee {
            fixed: 10,
            basis_points: 100
        })
    );
    let (alice, dave) = (world.balance("alice"), world.balance("dave"));
    let grant = world.approved("alice", |b| b).await;
    let token = &grant.access_token.value;

    // Sending 5.00: the wallet debits 500, sends 485, the receiver gets 485.
    let open = world.incoming_payment("dave", None).await;
    let send = quote(
        &world,
        "alice",
        &open.id,
        Some(QuoteAmount::DebitAmount(amount(500, "USD", 2))),
    )
    .await;
    assert_eq!(
        (send.debit_amount.value, send.receive_amount.value),
        (500, 485)
    );
    let paid = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "alice", &send))
        .await
        .unwrap();
    assert_eq!(paid.debit_amount.value, 500);
    assert_eq!(paid.sent_amount.value, 485, "sentAmount leaves the fee out");
    assert_eq!(paid.receive_amount.value, 485);
    let read = world
        .client
        .get_outgoing_payment(&paid.id, token)
        .await
        .unwrap();
    assert_eq!(read.sent_amount.value, 485);

    // Receiving 3.00: the wallet debits 313 and sends 300.
    let invoice = world.incoming_payment("dave", Some(300)).await;
    let receive = quote(&world, "alice", &invoice.id, None).await;
    assert_eq!(
        (receive.debit_amount.value, receive.receive_amount.value),
        (313, 300)
    );
    let paid = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "alice", &receive))
        .await
        .unwrap();
    assert_eq!(
        (paid.debit_amount.value, paid.sent_amount.value),
        (313, 300)
    );
    let reader = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Read],
            identifier: Some(world.wallet("dave")),
        }])
        .await;
    let arrived = world
        .client
        .get_incoming_payment(&invoice.id, &reader.access_token.value)
        .await
        .unwrap();
    assert_eq!(arrived.received_amount.value, 300);
    assert!(arrived.completed);
    assert_eq!(world.balance("alice"), alice - 500 - 313);
    assert_eq!(world.balance("dave"), dave + 485 + 300);

    // A debit that does not cover the fee is refused at the quote.
    let grant = world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }])
        .await;
    let tiny = world
        .client
        .create_quote(
            &world.rs(),
            &grant.access_token.value,
            &CreateQuote {
                wallet_address: world.wallet("alice"),
                receiver: world.incoming_payment("dave", None).await.id,
                method: "ilp".into(),
                amount: Some(QuoteAmount::DebitAmount(amount(10, "USD", 2))),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(tiny.status(), Some(400), "{tiny}");
    world.check_openapi();
}

#[tokio::test]
async fn without_a_fee_the_sent_amount_is_the_debit_amount() {
    let world = world().await;
    let grant = world.approved("alice", |b| b).await;
    let invoice = world.incoming_payment("dave", Some(450)).await;
    let quoted = quote(&world, "alice", &invoice.id, None).await;
    let paid = world
        .client
        .create_outgoing_payment(
            &world.rs(),
            &grant.access_token.value,
            &from_quote(&world, "alice", &quoted),
        )
        .await
        .unwrap();
    assert_eq!(
        (paid.debit_amount.value, paid.sent_amount.value),
        (450, 450)
    );
}

#[tokio::test]
async fn a_payment_over_the_grants_limit_is_refused_with_unauthorized() {
    let world = world().await;
    let grant = world
        .approved("alice", |b| b.debit_amount(amount(500, "USD", 2)))
        .await;
    let token = &grant.access_token.value;
    let first = world.incoming_payment("dave", Some(400)).await;
    let paid = quote(&world, "alice", &first.id, None).await;
    world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "alice", &paid))
        .await
        .unwrap();
    let second = world.incoming_payment("dave", Some(400)).await;
    let over = quote(&world, "alice", &second.id, None).await;
    let refused = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "alice", &over))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    assert_eq!(
        error_body(&refused)["error"]["description"],
        "unauthorized",
        "Rafiki's words for a payment over the limit"
    );
    assert!(refused.is_budget_spent() && !refused.needs_token_rotation());
    world.check_openapi();
}

#[tokio::test]
async fn reading_a_payment_needs_read_in_the_grant() {
    let world = world().await;
    let create_only = world
        .approved("alice", |b| b.actions(vec![OutgoingPaymentAction::Create]))
        .await;
    let token = &create_only.access_token.value;
    let invoice = world.incoming_payment("dave", Some(100)).await;
    let quoted = quote(&world, "alice", &invoice.id, None).await;
    let paid = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "alice", &quoted))
        .await
        .unwrap();
    let unreadable = world
        .client
        .get_outgoing_payment(&paid.id, token)
        .await
        .unwrap_err();
    assert_eq!(unreadable.status(), Some(403));
    assert_eq!(
        error_body(&unreadable)["error"]["description"],
        "Insufficient Grant"
    );
    assert!(unreadable.is_insufficient_grant());
    // The same payment is readable with `read`.
    let reader = world
        .approved("alice", |b| b.actions(vec![OutgoingPaymentAction::Read]))
        .await;
    let read = world
        .client
        .get_outgoing_payment(&paid.id, &reader.access_token.value)
        .await
        .unwrap();
    assert_eq!(read.sent_amount.value, 100);
}

async fn pay_from(world: &World, token: &AccessToken, from: &str, to: &str, value: u64) -> bool {
    let invoice = world.incoming_payment(to, Some(value)).await;
    let quoted = quote(world, from, &invoice.id, None).await;
    let paid = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(world, from, &quoted))
        .await
        .unwrap();
    let reason = paid
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get("cancellationReason"))
        .and_then(|reason| reason.as_str())
        .map(str::to_owned);
    assert_eq!(
        paid.failed,
        reason.is_some(),
        "a failed payment says why: {paid:?}"
    );
    !paid.failed
}

#[tokio::test]
async fn a_payment_the_account_provider_refuses_is_failed_with_the_reason_in_metadata() {
    let world = world().await;
    let dave = world.balance("dave");
    let grant = world.approved("dave", |b| b).await;
    let token = &grant.access_token.value;

    // Not enough balance, the natural case.
    let invoice = world.incoming_payment("alice", Some(dave + 1)).await;
    let quoted = quote(&world, "dave", &invoice.id, None).await;
    let refused = world
        .client
        .create_outgoing_payment(&world.rs(), token, &from_quote(&world, "dave", &quoted))
        .await
        .unwrap();
    assert!(refused.failed);
    assert_eq!(refused.sent_amount.value, 0);
    let metadata = refused.metadata.clone().unwrap();
    assert_eq!(
        metadata["cancellationReason"],
        "Account does not have enough balance."
    );
    let read = world
        .client
        .get_outgoing_payment(&refused.id, token)
        .await
        .unwrap();
    assert_eq!(
        read.metadata, refused.metadata,
        "kept as the wallet said it"
    );
    assert_eq!(world.balance("dave"), dave, "nothing moved");

    // The fault switch: every payment refused, with the reason given.
    world
        .sandbox
        .set_faults("refuse-payments=Blocked by the bank.".parse().unwrap());
    assert!(!pay_from(&world, token, "dave", "alice", 100).await);
    world.sandbox.set_faults(Default::default());
    assert!(pay_from(&world, token, "dave", "alice", 100).await);
    world.check_openapi();
}

#[tokio::test]
async fn an_expired_unpaid_incoming_payment_is_gone_on_the_sandbox_clock() {
    let clock = ManualClock::new(datetime!(2026-11-01 09:00 UTC));
    let world = world_with(|b| b.clock(clock.clone())).await;
    let grant = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
            identifier: Some(world.wallet("dave")),
        }])
        .await;
    let token = &grant.access_token.value;
    let create = |expires_at: Option<&str>| CreateIncomingPayment {
        wallet_address: world.wallet("dave"),
        incoming_amount: Some(amount(100, "USD", 2)),
        expires_at: expires_at.map(str::to_owned),
        metadata: None,
    };
    // No expiry asked for: 30 days, Rafiki's most; more is capped to it.
    let default = world
        .client
        .create_incoming_payment(&world.rs(), token, &create(None))
        .await
        .unwrap();
    assert_eq!(default.expires_at.as_deref(), Some("2026-12-01T09:00:00Z"));
    let capped = world
        .client
        .create_incoming_payment(&world.rs(), token, &create(Some("2027-06-01T00:00:00Z")))
        .await
        .unwrap();
    assert_eq!(capped.expires_at, default.expires_at);
    let link = world
        .client
        .create_incoming_payment(&world.rs(), token, &create(Some("2026-11-01T10:00:00Z")))
        .await
        .unwrap();
    assert!(world
        .client
        .get_public_incoming_payment(&link.id)
        .await
        .is_ok());

    clock.advance(Duration::from_secs(2 * 3600));
    let gone = world
        .client
        .get_public_incoming_payment(&link.id)
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    let quote_grant = world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }])
        .await;
    let refused = world
        .client
        .create_quote(
            &world.rs(),
            &quote_grant.access_token.value,
            &CreateQuote {
                wallet_address: world.wallet("alice"),
                receiver: link.id.clone(),
                method: "ilp".into(),
                amount: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert!(
        refused.to_string().contains("invalid receiver"),
        "Rafiki's words for a receiver it cannot resolve: {refused}"
    );
    world.check_openapi();
}
