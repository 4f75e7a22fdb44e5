//! RFC 9421 signatures as a server receives them: the structured-field
//! parsers and the verifier never panic on any request, and any request the
//! signer signs, the verifier accepts.
//!
//! Input: a request as text, `METHOD URL`, header lines `Name: value`, an
//! empty line, the body (the corpus holds the reference vectors this way).
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use consent_desk_protocol::http::{HeaderName, HeaderValue, Method, Request};
use consent_desk_protocol::{sign_request, Jwks, KeyId, SigningKey, Verifier};
use libfuzzer_sys::fuzz_target;

/// The reference vectors' key (tests/fixtures/open-payments-vectors.json).
const SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
const KEY_ID: &str = "test-key-ed25519";
const CREATED: u64 = 1_700_000_000;

fn request(data: &[u8]) -> Option<Request<Vec<u8>>> {
    let split = data.windows(2).position(|pair| pair == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], data[at + 2..].to_vec()),
        None => (data, Vec::new()),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, url) = lines.next()?.split_once(' ')?;
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(url)
        .body(body)
        .ok()?;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        request.headers_mut().append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    Some(request)
}

fuzz_target!(|data: &[u8]| {
    let Some(mut request) = request(data) else {
        return;
    };
    let key = SigningKey::from_seed(&SEED).unwrap();
    let key_id = KeyId::new(KEY_ID).unwrap();
    let keys = Jwks {
        keys: vec![key.public_jwk(&key_id)],
    };
    let now = UNIX_EPOCH + Duration::from_secs(CREATED);
    let verifier = Verifier::new();
    let _ = verifier.verify(&request, &keys, now);
    // Signed afresh (the input's own signature and body headers dropped),
    // it verifies.
    for name in [
        "signature",
        "signature-input",
        "content-digest",
        "content-length",
    ] {
        request.headers_mut().remove(name);
    }
    if sign_request(&mut request, &key, &key_id, now).is_ok() {
        if let Err(error) = verifier.verify(&request, &keys, now) {
            panic!("a request signed here does not verify: {error}\n{request:?}");
        }
        // Another key's set: refused.
        let stranger = Jwks {
            keys: vec![SigningKey::generate().public_jwk(&key_id)],
        };
        assert!(verifier.verify(&request, &stranger, now).is_err());
    }
});
