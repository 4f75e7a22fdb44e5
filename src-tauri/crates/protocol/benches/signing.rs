//! `cargo bench -p consent-desk-protocol`: signing and verifying a typical
//! grant request (the first reference vector), against the floor of what any
//! signer must do (one SHA-512 of the body and one Ed25519 signature of the
//! same signature base). `benches/reference.mjs` times the Node reference
//! library on the same request; see the README's Benchmarks section.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use consent_desk_protocol::{http, sign_request, Jwks, KeyId, SigningKey, Verifier};
use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::Signer;
use sha2::{Digest, Sha512};

const SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const URL: &str = "https://auth.example.com/";

fn vector_body() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/open-payments-vectors.json"
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let first = &vectors["requests"][0];
    assert_eq!(first["url"], URL);
    first["body"].as_str().unwrap().as_bytes().to_vec()
}

fn seed() -> [u8; 32] {
    std::array::from_fn(|i| u8::from_str_radix(&SEED_HEX[2 * i..2 * i + 2], 16).unwrap())
}

fn unsigned(body: &[u8]) -> http::Request<Vec<u8>> {
    http::Request::post(URL).body(body.to_vec()).unwrap()
}

fn bench(c: &mut Criterion) {
    let body = vector_body();
    let key = SigningKey::from_seed(&seed()).unwrap();
    let dalek = ed25519_dalek::SigningKey::from_bytes(&seed());
    let key_id = KeyId::new("test-key-ed25519").unwrap();
    let created = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let jwks = Jwks {
        keys: vec![key.public_jwk(&key_id)],
    };

    let mut signed = unsigned(&body);
    sign_request(&mut signed, &key, &key_id, created).unwrap();
    let signature_params =
        signed.headers()["signature-input"].to_str().unwrap()["sig1=".len()..].to_owned();
    let header = |name: &str| signed.headers()[name].to_str().unwrap().to_owned();
    // The exact signature base our signer signs.
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": {URL}\n\"content-digest\": {}\n\"content-length\": {}\n\"content-type\": {}\n\"@signature-params\": {signature_params}",
        header("content-digest"),
        header("content-length"),
        header("content-type"),
    );
    assert_eq!(
        header("signature"),
        format!(
            "sig1=:{}:",
            base64_encode(&dalek.sign(base.as_bytes()).to_bytes())
        ),
        "the floor signs the same base"
    );

    let mut group = c.benchmark_group("grant_request");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("sign_request", |b| {
        b.iter_batched_ref(
            || unsigned(&body),
            |request| sign_request(request, &key, &key_id, created).unwrap(),
            criterion::BatchSize::SmallInput,
        );
    });
    group.bench_function("floor_sha512_plus_ed25519", |b| {
        b.iter(|| {
            let digest = Sha512::digest(black_box(&body));
            let signature = dalek.sign(black_box(base.as_bytes()));
            black_box((digest, signature))
        });
    });
    group.bench_function("verify", |b| {
        let verifier = Verifier::new().max_clock_skew(Duration::from_secs(60));
        b.iter(|| verifier.verify(black_box(&signed), &jwks, created).unwrap());
    });
    group.finish();
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

criterion_group!(benches, bench);
criterion_main!(benches);
