use consent_desk_protocol::{url::Url, Jwks};

use crate::support::fixture;
use crate::support::server::TestServer;
use crate::{client_with, key_and_jwks};

#[tokio::test]
async fn wallet_address_jwks_and_did_are_unsigned_gets() {
    let (key, key_id, jwks) = key_and_jwks();
    let published = jwks.clone();
    let server = TestServer::start(jwks, move |seen, base| match seen.target.as_str() {
        "/alice" => (200, fixture("wallet_address.json", base)),
        "/alice/jwks.json" => (200, serde_json::to_string(&published).unwrap()),
        "/alice/did.json" => (200, fixture("did.json", base)),
        _ => (404, String::new()),
    })
    .await;
    let client = client_with(key, key_id, &server.base);
    let alice = server.url("/alice");

    let wallet = client.wallet_address(&alice).await.unwrap();
    assert_eq!(wallet.public_name.as_deref(), Some("Alice"));
    assert_eq!(wallet.auth_server, server.url("/auth"));
    assert_eq!(wallet.resource_server, server.url("/op"));

    let keys: Jwks = client.jwks(&alice).await.unwrap();
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(keys.keys[0].kid.as_str(), "test-key");

    let did = client.did_document(&alice).await.unwrap();
    assert_eq!(did.0["x-weird"][2]["deep"], true);

    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert!(
            !request.headers.contains_key("signature-input"),
            "{}",
            request.target
        );
        assert!(!request.headers.contains_key("authorization"));
    }
}

#[tokio::test]
async fn did_document_of_any_json_shape_is_kept() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, |_, _| (200, "[1,\"two\",null]".to_owned())).await;
    let client = client_with(key, key_id, &server.base);
    let did = client
        .did_document(&Url::parse(&format!("{}/alice/", server.base)).unwrap())
        .await
        .unwrap();
    assert_eq!(did.0, serde_json::json!([1, "two", null]));
    // A trailing slash on the wallet address does not double up.
    assert_eq!(server.seen()[0].target, "/alice/did.json");
}
