//! Byte-exact reference vectors from `@interledger/http-signature-utils` 2.0.2
//! (signatures, clock fixed at `created=1700000000`) and Rafiki's finish hash.
//!
//! `fixtures/open-payments-vectors.json` is a copy of the project's shared
//! `vectors/open-payments-vectors.json`, kept here so the crate tests alone.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use consent_desk_protocol::{
    finish_hash, http, sign_request, url, verify_finish, FinishError, FinishOutcome, InteractRef,
    Jwk, Jwks, KeyId, Nonce, SigningKey, Verifier,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    key: KeyVector,
    requests: Vec<RequestVector>,
    finish_hash: FinishVectors,
}

#[derive(Deserialize)]
struct KeyVector {
    ed25519_seed_hex: String,
    pkcs8_pem: String,
    key_id: String,
    jwk: serde_json::Value,
}

#[derive(Deserialize)]
struct RequestVector {
    name: String,
    method: String,
    url: String,
    request_headers: serde_json::Map<String, serde_json::Value>,
    body: Option<String>,
    expected_headers: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct FinishVectors {
    cases: Vec<FinishCase>,
}

#[derive(Deserialize)]
struct FinishCase {
    client_nonce: String,
    server_nonce: String,
    interact_ref: String,
    grant_request_url: String,
    hash_base64: String,
    hash_base64url: String,
}

const CREATED: u64 = 1_700_000_000;

fn vectors() -> Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/open-payments-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("the vectors fixture is readable");
    serde_json::from_str(&text).expect("the vectors fixture parses")
}

fn created() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(CREATED)
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().expect("header values are strings")
}

fn build_request(vector: &RequestVector) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder()
        .method(vector.method.as_str())
        .uri(&vector.url);
    for (name, value) in &vector.request_headers {
        builder = builder.header(name, text(value));
    }
    let body = vector.body.clone().unwrap_or_default().into_bytes();
    builder.body(body).expect("vector requests are valid")
}

fn seed(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn key_loads_from_pem_and_seed_and_exports_the_reference_jwk() {
    let v = vectors();
    let from_pem = SigningKey::from_pkcs8_pem(&v.key.pkcs8_pem).unwrap();
    let from_seed = SigningKey::from_seed(&seed(&v.key.ed25519_seed_hex)).unwrap();
    let id = KeyId::new(&v.key.key_id).unwrap();
    for key in [&from_pem, &from_seed] {
        assert_eq!(
            serde_json::to_value(key.public_jwk(&id)).unwrap(),
            v.key.jwk
        );
    }
    assert_eq!(from_seed.to_pkcs8_pem().as_str(), v.key.pkcs8_pem);
    let parsed: Jwk = serde_json::from_value(v.key.jwk).unwrap();
    assert_eq!(parsed, from_pem.public_jwk(&id));
}

#[test]
fn every_request_is_signed_byte_for_byte() {
    let v = vectors();
    let key = SigningKey::from_pkcs8_pem(&v.key.pkcs8_pem).unwrap();
    let id = KeyId::new(&v.key.key_id).unwrap();
    assert_eq!(v.requests.len(), 4, "all vectors are read");
    for vector in &v.requests {
        let mut request = build_request(vector);
        sign_request(&mut request, &key, &id, created()).unwrap();
        for (name, expected) in &vector.expected_headers {
            let actual: Vec<&str> = request
                .headers()
                .get_all(name)
                .iter()
                .map(|value| value.to_str().unwrap())
                .collect();
            assert_eq!(actual, [text(expected)], "{}: {name}", vector.name);
        }
        // Nothing beyond what the reference library adds.
        let added = request.headers().len() - vector.request_headers.len();
        assert_eq!(added, vector.expected_headers.len(), "{}", vector.name);
    }
}

#[test]
fn every_reference_signature_verifies() {
    let v = vectors();
    let jwks = Jwks {
        keys: vec![serde_json::from_value(v.key.jwk.clone()).unwrap()],
    };
    for vector in &v.requests {
        // The reference library's headers, not ours.
        let mut request = build_request(vector);
        for (name, value) in &vector.expected_headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(text(value)).unwrap(),
            );
        }
        let verified = Verifier::new()
            .verify(&request, &jwks, created())
            .unwrap_or_else(|error| panic!("{}: {error}", vector.name));
        assert_eq!(verified.key_id.as_str(), v.key.key_id);
        assert_eq!(verified.created, created());

        // And the same request an hour later is refused for its age.
        let late = created() + Duration::from_secs(3600);
        assert!(Verifier::new().verify(&request, &jwks, late).is_err());
    }
}

#[test]
fn every_finish_hash_is_reproduced_and_verified() {
    let v = vectors();
    assert_eq!(v.finish_hash.cases.len(), 2, "all vectors are read");
    for case in &v.finish_hash.cases {
        let client = Nonce::new(&case.client_nonce);
        let server = Nonce::new(&case.server_nonce);
        let interact_ref = InteractRef::new(&case.interact_ref);
        assert_eq!(
            finish_hash(&client, &server, &interact_ref, &case.grant_request_url),
            case.hash_base64
        );

        for hash in [&case.hash_base64, &case.hash_base64url] {
            let mut finish = url::Url::parse("http://127.0.0.1:53682/callback").unwrap();
            finish
                .query_pairs_mut()
                .append_pair("hash", hash)
                .append_pair("interact_ref", &case.interact_ref);
            let with_slash = format!("{}/", case.grant_request_url);
            for grant_url in [case.grant_request_url.as_str(), with_slash.as_str()] {
                assert_eq!(
                    verify_finish(finish.as_str(), &client, &server, grant_url),
                    Ok(FinishOutcome::Approved {
                        interact_ref: interact_ref.clone()
                    }),
                    "{hash} against {grant_url}"
                );
            }
            assert_eq!(
                verify_finish(finish.as_str(), &server, &client, &case.grant_request_url),
                Err(FinishError::HashMismatch),
                "nonces swapped"
            );
        }
    }
}
