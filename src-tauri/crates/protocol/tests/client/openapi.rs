//! Every response fixture the test server returns validates against the
//! schema of its operation in the OpenAPI documents.

use crate::support::fixture;
use crate::support::openapi::{validate_text, Doc};

const BASE: &str = "https://ilp.interledger-test.dev";

#[test]
fn response_fixtures_match_their_operations() {
    let cases: &[(&str, Doc, &str, &str, u16)] = &[
        ("wallet_address.json", Doc::WalletAddress, "/", "get", 200),
        ("grant_pending.json", Doc::Auth, "/", "post", 200),
        ("grant_approved.json", Doc::Auth, "/", "post", 200),
        (
            "grant_approved.json",
            Doc::Auth,
            "/continue/{id}",
            "post",
            200,
        ),
        ("token_rotated.json", Doc::Auth, "/token/{id}", "post", 200),
        (
            "error_too_fast.json",
            Doc::Auth,
            "/continue/{id}",
            "post",
            400,
        ),
        ("error_invalid_client.json", Doc::Auth, "/", "post", 401),
        (
            "incoming_payment.json",
            Doc::Resource,
            "/incoming-payments",
            "post",
            201,
        ),
        (
            "incoming_payments_page.json",
            Doc::Resource,
            "/incoming-payments",
            "get",
            200,
        ),
        (
            "incoming_payment.json",
            Doc::Resource,
            "/incoming-payments/{id}",
            "get",
            200,
        ),
        (
            "public_incoming_payment.json",
            Doc::Resource,
            "/incoming-payments/{id}",
            "get",
            200,
        ),
        (
            "incoming_payment_completed.json",
            Doc::Resource,
            "/incoming-payments/{id}/complete",
            "post",
            200,
        ),
        ("quote.json", Doc::Resource, "/quotes", "post", 201),
        ("quote.json", Doc::Resource, "/quotes/{id}", "get", 200),
        (
            "outgoing_payment.json",
            Doc::Resource,
            "/outgoing-payments",
            "post",
            201,
        ),
        (
            "outgoing_payments_page.json",
            Doc::Resource,
            "/outgoing-payments",
            "get",
            200,
        ),
        (
            "outgoing_payment.json",
            Doc::Resource,
            "/outgoing-payments/{id}",
            "get",
            200,
        ),
        (
            "grant_spent.json",
            Doc::Resource,
            "/outgoing-payment-grant",
            "get",
            200,
        ),
        (
            "grant_spent_none.json",
            Doc::Resource,
            "/outgoing-payment-grant",
            "get",
            200,
        ),
    ];
    for (name, doc, path, method, status) in cases {
        validate_text(
            *doc,
            path,
            method,
            Some(*status),
            fixture(name, BASE).as_bytes(),
        );
    }
}

#[test]
fn the_validator_rejects_a_wrong_fixture() {
    // A test that cannot fail proves nothing: break a fixture and expect a panic.
    let broken = fixture("quote.json", BASE).replace("\"method\":\"ilp\",", "");
    let outcome = std::panic::catch_unwind(|| {
        validate_text(
            Doc::Resource,
            "/quotes/{id}",
            "get",
            Some(200),
            broken.as_bytes(),
        );
    });
    assert!(
        outcome.is_err(),
        "a quote without `method` must not validate"
    );
}

/// A grant request sent by a client in `form`, as the server saw it.
async fn grant_request_sent_in(form: consent_desk_protocol::ClientForm) -> serde_json::Value {
    use consent_desk_protocol::{Client, GrantRequest, Nonce};
    let (key, key_id, jwks) = crate::key_and_jwks();
    let server = crate::support::server::TestServer::start(jwks, |_, base| {
        (200, fixture("grant_pending.json", base))
    })
    .await;
    let client = Client::builder()
        .key(key, key_id)
        .client_wallet(&format!("{}/client", server.base))
        .client_form(form)
        .allow_http_loopback(true)
        .build()
        .unwrap();
    let request = GrantRequest::outgoing_payment(server.url("/alice"))
        .client(client.client_wallet().clone())
        .finish(
            "http://localhost:3344/finish".parse().unwrap(),
            Nonce::new("client-nonce"),
        )
        .build()
        .unwrap();
    client
        .request_grant(&server.url("/auth"), &request)
        .await
        .unwrap();
    let body = server.seen()[0].body.clone();
    validate_text(Doc::Auth, "/", "post", None, &body);
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn grant_requests_carry_the_chosen_client_form_and_validate() {
    use consent_desk_protocol::ClientForm;
    // The default is the deprecated string every deployed server accepts.
    let sent = grant_request_sent_in(ClientForm::default()).await;
    assert!(
        sent["client"].as_str().unwrap().ends_with("/client"),
        "{sent}"
    );
    let sent = grant_request_sent_in(ClientForm::Object).await;
    assert!(
        sent["client"]["walletAddress"]
            .as_str()
            .unwrap()
            .ends_with("/client"),
        "{sent}"
    );
    assert_eq!(sent["client"].as_object().unwrap().len(), 1, "{sent}");
}

#[test]
fn the_validator_rejects_a_client_object_with_more_than_the_address() {
    let request = serde_json::json!({
        "access_token": {"access": [{"type": "quote", "actions": ["create"]}]},
        "client": {"walletAddress": "https://ilp.interledger-test.dev/client", "name": "x"},
    });
    let outcome = std::panic::catch_unwind(|| {
        crate::support::openapi::validate(Doc::Auth, "/", "post", None, &request);
    });
    assert!(
        outcome.is_err(),
        "`client` allows only walletAddress or jwk"
    );
}

#[test]
fn an_ownership_proof_request_and_its_answer_validate() {
    use consent_desk_protocol::{Nonce, Subject, SubjectRequest};
    let wallet = format!("{BASE}/alice").parse().unwrap();
    let request = SubjectRequest::ownership_of(
        &wallet,
        format!("{BASE}/client").parse().unwrap(),
        "http://localhost:3344/finish".parse().unwrap(),
        &Nonce::new("client-nonce"),
    );
    let body = serde_json::to_value(&request).unwrap();
    assert!(body.get("access_token").is_none(), "{body}");
    assert_eq!(body["subject"]["sub_ids"][0]["format"], "uri");
    crate::support::openapi::validate(Doc::Auth, "/", "post", None, &body);
    let answer = serde_json::json!({
        "subject": Subject::wallet_address(&wallet),
        "continue": {"access_token": {"value": "c0"}, "uri": format!("{BASE}/continue/1")},
    });
    crate::support::openapi::validate(Doc::Auth, "/continue/{id}", "post", Some(200), &answer);
    let read: consent_desk_protocol::GrantResponse = serde_json::from_value(answer).unwrap();
    assert!(
        matches!(read, consent_desk_protocol::GrantResponse::Subject(ref s) if s.subject.names(&wallet))
    );
}
