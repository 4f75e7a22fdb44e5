//! Grant limits at the resource server: amounts, receivers, recurring
//! budgets on an injected clock, actions and identifiers, token expiry.

use std::time::Duration;

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    AccessItem, AccessToken, CreateOutgoingPayment, IncomingPaymentAction, OutgoingPayment,
};
use consent_desk_sandbox::ManualClock;
use time::macros::datetime;

use crate::support::{amount, client_named, key_and_id, world, world_with, World};

async fn pay(
    world: &World,
    token: &AccessToken,
    from: &str,
    to: &Url,
    value: u64,
) -> Result<OutgoingPayment, consent_desk_protocol::Error> {
    let account = world.account(from);
    world
        .client
        .create_outgoing_payment(
            &world.rs(),
            token,
            &CreateOutgoingPayment::FromIncomingPayment {
                wallet_address: world.wallet(from),
                incoming_payment: to.clone(),
                debit_amount: amount(value, &account.asset_code, account.asset_scale),
                metadata: None,
            },
        )
        .await
}

#[tokio::test]
async fn a_payment_over_the_debit_amount_is_refused() {
    let world = world().await;
    let (alice, dave) = (world.balance("alice"), world.balance("dave"));
    let invoice = world.incoming_payment("dave", None).await;
    let grant = world
        .approved("alice", |b| b.debit_amount(amount(500, "USD", 2)))
        .await;
    let token = &grant.access_token.value;

    pay(&world, token, "alice", &invoice.id, 300).await.unwrap();
    let over = pay(&world, token, "alice", &invoice.id, 300)
        .await
        .unwrap_err();
    assert!(over.is_budget_spent(), "{over}");
    assert_eq!(over.status(), Some(403));
    // Exactly up to the limit is fine.
    let last = pay(&world, token, "alice", &invoice.id, 200).await.unwrap();
    assert_eq!(last.grant_spent_debit_amount.map(|a| a.value), Some(500));
    assert_eq!(world.balance("alice"), alice - 500);
    assert_eq!(world.balance("dave"), dave + 500);
    world.check_openapi();
}

#[tokio::test]
async fn a_recurring_budget_renews_in_the_next_interval() {
    let clock = ManualClock::new(datetime!(2025-04-22 09:00 UTC));
    let world = world_with(|b| b.clock(clock.clone())).await;
    let invoice = world.incoming_payment("dave", None).await;
    let grant = world
        .approved("alice", |b| {
            b.debit_amount(amount(1000, "USD", 2))
                .interval_str("R/2025-04-22T08:00:00Z/P1D")
        })
        .await;
    let token = grant.access_token.value.clone();

    pay(&world, &token, "alice", &invoice.id, 1000)
        .await
        .unwrap();
    let second = pay(&world, &token, "alice", &invoice.id, 1)
        .await
        .unwrap_err();
    assert!(
        second.is_budget_spent(),
        "the second payment in one interval is refused: {second}"
    );

    // A day later the budget renews, and the 10-minute token has expired:
    // the client rotates, as the spec says, and pays again.
    clock.advance(Duration::from_secs(86_400));
    let expired = pay(&world, &token, "alice", &invoice.id, 1000)
        .await
        .unwrap_err();
    assert!(expired.needs_token_rotation(), "{expired}");
    assert_eq!(expired.status(), Some(403));
    let rotated = world
        .client
        .rotate_token(&grant.access_token.manage, &token)
        .await
        .unwrap();
    let token = rotated.access_token.value;
    pay(&world, &token, "alice", &invoice.id, 1000)
        .await
        .unwrap();
    let spent = world
        .client
        .outgoing_payment_grant(&world.rs(), &token)
        .await
        .unwrap();
    assert_eq!(
        spent.spent_debit_amount.map(|a| a.value),
        Some(1000),
        "spent counts the current interval only"
    );
    assert!(pay(&world, &token, "alice", &invoice.id, 1)
        .await
        .unwrap_err()
        .is_budget_spent());
    world.check_openapi();
}

#[tokio::test]
async fn receiver_and_receive_amount_limits_hold() {
    let world = world().await;
    let allowed = world.incoming_payment("bob", None).await;
    let other = world.incoming_payment("carol", None).await;
    let grant = world
        .approved("alice", |b| {
            b.receiver(allowed.id.clone())
                .receive_amount(amount(900, "EUR", 2))
        })
        .await;
    let token = &grant.access_token.value;
    let refused = pay(&world, token, "alice", &other.id, 100)
        .await
        .unwrap_err();
    assert!(
        refused.is_budget_spent(),
        "another receiver is refused: {refused}"
    );
    // $9.00 → 8.18 EUR after the fee (≤ 9.00 EUR): allowed.
    let paid = pay(&world, token, "alice", &allowed.id, 900).await.unwrap();
    assert_eq!(paid.receive_amount.asset_code, "EUR");
    // Another $1.00 would deliver more than 9.00 EUR in total.
    assert!(pay(&world, token, "alice", &allowed.id, 100)
        .await
        .unwrap_err()
        .is_budget_spent());
}

#[tokio::test]
async fn actions_identifiers_and_clients_are_checked() {
    let world = world().await;
    let mine = world.incoming_payment("bob", Some(100)).await;

    // A grant for bob's incoming payments cannot create at carol's.
    let bob_only = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
            identifier: Some(world.wallet("bob")),
        }])
        .await;
    let create = consent_desk_protocol::CreateIncomingPayment {
        wallet_address: world.wallet("carol"),
        incoming_amount: None,
        expires_at: None,
        metadata: None,
    };
    let error = world
        .client
        .create_incoming_payment(&world.rs(), &bob_only.access_token.value, &create)
        .await
        .unwrap_err();
    assert!(error.is_budget_spent(), "Insufficient Grant: {error}");

    // A read-only grant cannot create.
    let read_only = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Read],
            identifier: None,
        }])
        .await;
    let create_bob = consent_desk_protocol::CreateIncomingPayment {
        wallet_address: world.wallet("bob"),
        ..create
    };
    assert_eq!(
        world
            .client
            .create_incoming_payment(&world.rs(), &read_only.access_token.value, &create_bob)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );

    // Another client sees the payment with `read-all`, not with `read`.
    let admin = reqwest::Client::new();
    let base = world.sandbox.base_url();
    admin
        .post(base.join("admin/wallet-addresses").unwrap())
        .json(&serde_json::json!({"name": "other-app", "publicName": "Other app"}))
        .send()
        .await
        .unwrap();
    let (key, key_id) = key_and_id();
    admin
        .post(base.join("admin/wallet-addresses/other-app/keys").unwrap())
        .json(&key.public_jwk(&key_id))
        .send()
        .await
        .unwrap();
    let other = client_named(
        &world.sandbox,
        "other-app",
        &key,
        &key_id,
        world.log.clone(),
    );
    let grant_for = |actions| {
        consent_desk_protocol::GrantRequest::non_interactive(
            world.wallet("other-app"),
            vec![AccessItem::IncomingPayment {
                actions,
                identifier: Some(world.wallet("bob")),
            }],
        )
    };
    let read = crate::support::approved(
        other
            .request_grant(&world.auth(), &grant_for(vec![IncomingPaymentAction::Read]))
            .await
            .unwrap(),
    );
    let hidden = other
        .get_incoming_payment(&mine.id, &read.access_token.value)
        .await
        .unwrap_err();
    assert_eq!(hidden.status(), Some(404), "{hidden}");
    let read_all = crate::support::approved(
        other
            .request_grant(
                &world.auth(),
                &grant_for(vec![IncomingPaymentAction::ReadAll]),
            )
            .await
            .unwrap(),
    );
    other
        .get_incoming_payment(&mine.id, &read_all.access_token.value)
        .await
        .unwrap();
    // And a token used by the wrong client's key is refused.
    let stolen = world
        .client
        .get_incoming_payment(&mine.id, &read_all.access_token.value)
        .await
        .unwrap_err();
    assert_eq!(stolen.status(), Some(401), "{stolen}");
}

#[tokio::test]
async fn a_sender_without_money_gets_a_failed_payment_and_keeps_it() {
    let world = world().await;
    let dave = world.balance("dave");
    let invoice = world.incoming_payment("alice", None).await;
    let grant = world.approved("dave", |b| b).await;
    let payment = pay(
        &world,
        &grant.access_token.value,
        "dave",
        &invoice.id,
        dave + 1,
    )
    .await
    .unwrap();
    assert!(payment.failed);
    assert_eq!(payment.sent_amount.value, 0);
    assert_eq!(world.balance("dave"), dave, "nothing moved");
    world.check_openapi();
}
