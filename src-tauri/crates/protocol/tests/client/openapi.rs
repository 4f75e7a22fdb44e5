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
