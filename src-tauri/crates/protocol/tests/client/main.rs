//! The async client against a real loopback server, plus the wire types and
//! their OpenAPI schemas. One binary; one module per area.

#[path = "../support/mod.rs"]
mod support;

mod errors;
mod grants;
mod openapi;
mod payments;
mod wallet;
mod wire;

use std::time::Duration;

use consent_desk_protocol::{Client, Jwks, KeyId, SigningKey};

/// The server needs the JWKS before it has a port, and the client needs the
/// port: make the key first, then both.
fn key_and_jwks() -> (SigningKey, KeyId, Jwks) {
    let key = SigningKey::generate();
    let key_id = KeyId::new("test-key").unwrap();
    let jwks = Jwks {
        keys: vec![key.public_jwk(&key_id)],
    };
    (key, key_id, jwks)
}

fn client_with(key: SigningKey, key_id: KeyId, base: &str) -> Client {
    Client::builder()
        .key(key, key_id)
        .client_wallet(&format!("{base}/client"))
        .timeout(Duration::from_secs(10))
        .allow_http_loopback(true)
        .build()
        .unwrap()
}
