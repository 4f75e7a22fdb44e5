use consent_desk_protocol::{
    AccessToken, Amount, CreateIncomingPayment, CreateOutgoingPayment, CreateQuote, PageQuery,
    QuoteAmount,
};

use crate::support::fixture;
use crate::support::openapi::{validate_text, Doc};
use crate::support::server::{Seen, TestServer};
use crate::{client_with, key_and_jwks};

const IP: &str = "/op/incoming-payments/016da9d5-c9a4-4c80-a354-86b915a04ff8";
const QUOTE: &str = "/op/quotes/ab03296b-0c8b-4776-b94e-7ee27d868d4d";
const OP: &str = "/op/outgoing-payments/8c68d3cc-0a0f-4216-98b4-4fa44a6c88cf";

fn usd(value: u64) -> Amount {
    Amount {
        value,
        asset_code: "USD".into(),
        asset_scale: 2,
    }
}

fn route(seen: &Seen, base: &str) -> (u16, String) {
    let path = seen.target.split('?').next().unwrap_or_default();
    let name = match (seen.method.as_str(), path) {
        ("POST", "/op/incoming-payments") => return (201, fixture("incoming_payment.json", base)),
        ("GET", "/op/incoming-payments") => "incoming_payments_page.json",
        ("GET", IP) if seen.headers.contains_key("authorization") => "incoming_payment.json",
        ("GET", IP) => "public_incoming_payment.json",
        ("POST", p) if p == format!("{IP}/complete") => "incoming_payment_completed.json",
        ("POST", "/op/quotes") => return (201, fixture("quote.json", base)),
        ("GET", QUOTE) => "quote.json",
        ("POST", "/op/outgoing-payments") => return (201, fixture("outgoing_payment.json", base)),
        ("GET", "/op/outgoing-payments") => "outgoing_payments_page.json",
        ("GET", OP) => "outgoing_payment.json",
        ("GET", "/op/outgoing-payment-grant") => "grant_spent.json",
        _ => return (404, String::new()),
    };
    (200, fixture(name, base))
}

#[tokio::test]
async fn incoming_payments() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, route).await;
    let client = client_with(key, key_id, &server.base);
    let (op, alice, token) = (
        server.url("/op"),
        server.url("/alice"),
        AccessToken::new("tok-1"),
    );

    let create = CreateIncomingPayment {
        wallet_address: alice.clone(),
        incoming_amount: Some(usd(250)),
        expires_at: Some("2030-01-01T00:00:00Z".into()),
        metadata: None,
    };
    let created = client
        .create_incoming_payment(&op, &token, &create)
        .await
        .unwrap();
    assert_eq!(created.id, server.url(IP));
    assert_eq!(created.methods.as_ref().map(Vec::len), Some(1));
    let fetched = client
        .get_incoming_payment(&created.id, &token)
        .await
        .unwrap();
    assert_eq!(fetched.incoming_amount, Some(usd(250)));
    let page = client
        .list_incoming_payments(&op, &token, &alice, &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(page.result.len(), 1);
    let next = page.next_query(10).expect("the fixture has a next page");
    assert_eq!(
        next,
        PageQuery::Forward {
            first: 10,
            cursor: Some("315581f8-9967-45a0-9cd3-87b60b6d6414".into())
        }
    );
    assert_eq!(page.previous_query(10), None);
    client
        .list_incoming_payments(&op, &token, &alice, &next)
        .await
        .unwrap();
    let completed = client
        .complete_incoming_payment(&created.id, &token)
        .await
        .unwrap();
    assert!(completed.completed);
    let public = client
        .get_public_incoming_payment(&created.id)
        .await
        .unwrap();
    assert_eq!(public.auth_server, server.url("/auth"));

    let seen = server.seen();
    assert_eq!(seen.len(), 6);
    validate_text(
        Doc::Resource,
        "/incoming-payments",
        "post",
        None,
        &seen[0].body,
    );
    for request in &seen[..5] {
        assert!(request.signed, "{} {}", request.method, request.target);
        assert_eq!(request.headers["authorization"], "GNAP tok-1");
    }
    let wallet = url_encoded(&alice);
    assert_eq!(
        seen[2].target,
        format!("/op/incoming-payments?wallet-address={wallet}&first=10")
    );
    assert_eq!(
        seen[3].target,
        format!(
            "/op/incoming-payments?wallet-address={wallet}&first=10&cursor=315581f8-9967-45a0-9cd3-87b60b6d6414"
        )
    );
    assert!(
        !seen[5].headers.contains_key("signature-input"),
        "public GET is unsigned"
    );
    assert!(!seen[5].headers.contains_key("authorization"));
}

fn url_encoded(url: &consent_desk_protocol::url::Url) -> String {
    consent_desk_protocol::url::form_urlencoded::byte_serialize(url.as_str().as_bytes()).collect()
}

#[tokio::test]
async fn quotes_and_outgoing_payments() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, route).await;
    let client = client_with(key, key_id, &server.base);
    let (op, alice, token) = (
        server.url("/op"),
        server.url("/alice"),
        AccessToken::new("tok-2"),
    );

    for amount in [
        None,
        Some(QuoteAmount::DebitAmount(usd(2600))),
        Some(QuoteAmount::ReceiveAmount(usd(2500))),
    ] {
        let create = CreateQuote {
            wallet_address: alice.clone(),
            receiver: server.url(IP),
            method: "ilp".into(),
            amount,
        };
        let quote = client.create_quote(&op, &token, &create).await.unwrap();
        assert_eq!(quote.debit_amount, usd(2600));
    }
    let quote = client.get_quote(&server.url(QUOTE), &token).await.unwrap();
    assert_eq!(quote.receive_amount, usd(2500));

    let from_quote = CreateOutgoingPayment::FromQuote {
        wallet_address: alice.clone(),
        quote_id: quote.id.clone(),
        metadata: None,
    };
    let payment = client
        .create_outgoing_payment(&op, &token, &from_quote)
        .await
        .unwrap();
    assert_eq!(payment.quote_id, Some(quote.id));
    let direct = CreateOutgoingPayment::FromIncomingPayment {
        wallet_address: alice.clone(),
        incoming_payment: server.url(IP),
        debit_amount: usd(2600),
        metadata: Some(serde_json::from_str(r#"{"externalRef":"INV-1"}"#).unwrap()),
    };
    client
        .create_outgoing_payment(&op, &token, &direct)
        .await
        .unwrap();
    let fetched = client
        .get_outgoing_payment(&payment.id, &token)
        .await
        .unwrap();
    assert_eq!(fetched.sent_amount, usd(0));
    let page = client
        .list_outgoing_payments(
            &op,
            &token,
            &alice,
            &PageQuery::Backward {
                last: 5,
                cursor: "abc".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(page.next_query(5), None);
    assert!(page.previous_query(5).is_some());
    let spent = client.outgoing_payment_grant(&op, &token).await.unwrap();
    assert_eq!(spent.spent_debit_amount, Some(usd(2600)));

    let seen = server.seen();
    assert_eq!(seen.len(), 9);
    assert!(seen.iter().all(|request| request.signed));
    for request in &seen[..3] {
        validate_text(Doc::Resource, "/quotes", "post", None, &request.body);
    }
    assert_eq!(
        seen[0].body,
        format!(
            r#"{{"walletAddress":"{alice}","receiver":"{}","method":"ilp"}}"#,
            server.url(IP)
        )
        .into_bytes()
    );
    validate_text(
        Doc::Resource,
        "/outgoing-payments",
        "post",
        None,
        &seen[4].body,
    );
    validate_text(
        Doc::Resource,
        "/outgoing-payments",
        "post",
        None,
        &seen[5].body,
    );
    assert!(
        seen[7].target.ends_with("&last=5&cursor=abc"),
        "{}",
        seen[7].target
    );
}
