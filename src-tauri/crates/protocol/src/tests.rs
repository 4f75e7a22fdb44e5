//! Tests across modules: key import, signing and verification, intervals,
//! GNAP errors. Byte-exact reference vectors are in `tests/vectors.rs`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::Request;
use proptest::prelude::*;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::*;

const VECTOR_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n";
const VECTOR_SEED_HEX: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const VECTOR_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

fn vector_seed() -> Vec<u8> {
    (0..VECTOR_SEED_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&VECTOR_SEED_HEX[i..i + 2], 16).unwrap())
        .collect()
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn key_id(id: &str) -> KeyId {
    KeyId::new(id).unwrap()
}

fn x_of(key: &SigningKey) -> String {
    key.public_jwk(&key_id("k")).x
}

// ---- keys -------------------------------------------------------------------

#[test]
fn pkcs8_pem_seed_and_base64_pem_load_the_same_key() {
    let from_pem = SigningKey::from_pkcs8_pem(VECTOR_PEM).unwrap();
    let from_seed = SigningKey::from_seed(&vector_seed()).unwrap();
    let from_base64 = SigningKey::from_base64_pem(&STANDARD.encode(VECTOR_PEM)).unwrap();
    for key in [&from_pem, &from_seed, &from_base64] {
        assert_eq!(x_of(key), VECTOR_X);
    }
}

#[test]
fn export_matches_the_reference_pem_byte_for_byte() {
    let key = SigningKey::from_seed(&vector_seed()).unwrap();
    assert_eq!(key.to_pkcs8_pem().as_str(), VECTOR_PEM);
}

#[test]
fn import_accepts_pasted_variants() {
    let wrapped_base64 = STANDARD
        .encode(VECTOR_PEM)
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let crlf = VECTOR_PEM.replace('\n', "\r\n");
    for text in [
        VECTOR_PEM.to_owned(),
        format!("  \n{VECTOR_PEM}\n\n"),
        VECTOR_PEM.trim_end().to_owned(),
        crlf,
        wrapped_base64,
        STANDARD.encode(VECTOR_PEM).trim_end_matches('=').to_owned(),
    ] {
        let key = SigningKey::import(&text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        assert_eq!(x_of(&key), VECTOR_X);
    }
}

#[test]
fn openssl_ed25519_key_loads_with_its_public_key() {
    let key = SigningKey::from_pkcs8_pem(&fixture("ed25519-openssl.pem")).unwrap();
    let public_der = pem_body(&fixture("ed25519-public.pem"));
    // An Ed25519 SubjectPublicKeyInfo ends with the 32 raw key bytes.
    let raw = &public_der[public_der.len() - 32..];
    assert_eq!(x_of(&key), URL_SAFE_NO_PAD.encode(raw));
}

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

#[test]
fn keys_of_other_algorithms_are_named() {
    for (file, algorithm) in [
        ("rsa-pkcs8.pem", "an RSA"),
        ("rsa-traditional.pem", "an RSA"),
        ("p256-pkcs8.pem", "a P-256 EC"),
        ("ec-traditional.pem", "an EC"),
        ("ed448-pkcs8.pem", "an Ed448"),
        ("x25519-pkcs8.pem", "an X25519 (key agreement, not signing)"),
    ] {
        let error = SigningKey::from_pkcs8_pem(&fixture(file)).unwrap_err();
        assert_eq!(
            error,
            KeyError::WrongAlgorithm {
                algorithm: algorithm.to_owned()
            },
            "{file}"
        );
        // The same through the base64 form.
        let error = SigningKey::import(&STANDARD.encode(fixture(file))).unwrap_err();
        assert!(
            matches!(error, KeyError::WrongAlgorithm { .. }),
            "{file}: {error}"
        );
    }
    let message = SigningKey::from_pkcs8_pem(&fixture("p256-pkcs8.pem"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("P-256") && message.contains("Ed25519"),
        "{message}"
    );
}

#[test]
fn encrypted_and_public_keys_are_named() {
    assert_eq!(
        SigningKey::from_pkcs8_pem(&fixture("ed25519-encrypted.pem")).unwrap_err(),
        KeyError::EncryptedKey
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(&fixture("ed25519-public.pem")).unwrap_err(),
        KeyError::UnexpectedPemLabel {
            label: "PUBLIC KEY".to_owned()
        }
    );
}

#[test]
fn corrupt_pkcs8_is_named() {
    // Valid PEM framing around DER that is not a PrivateKeyInfo.
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode([0x30, 0x03, 0x02, 0x01, 0x00])
    );
    assert!(matches!(
        SigningKey::from_pkcs8_pem(&pem),
        Err(KeyError::MalformedPkcs8 { .. })
    ));
}

#[test]
fn debug_output_never_contains_the_secret() {
    let seed = vector_seed();
    let key = SigningKey::from_seed(&seed).unwrap();
    let debug = format!("{key:?} {key:#?}");
    assert!(debug.contains("[redacted]"));
    let pem_body: String = VECTOR_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    for secret in [
        VECTOR_SEED_HEX.to_owned(),
        STANDARD.encode(&seed),
        URL_SAFE_NO_PAD.encode(&seed),
        format!("{seed:?}"),
        pem_body,
    ] {
        assert!(!debug.contains(&secret), "Debug leaked {secret}");
    }
}

#[test]
fn jwk_serializes_as_open_payments_publishes_it() {
    let key = SigningKey::from_seed(&vector_seed()).unwrap();
    let jwk = serde_json::to_value(key.public_jwk(&key_id("test-key-ed25519"))).unwrap();
    assert_eq!(
        jwk,
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": VECTOR_X,
            "kid": "test-key-ed25519",
            "alg": "EdDSA"
        })
    );
    let set: Jwks = serde_json::from_value(serde_json::json!({ "keys": [jwk] })).unwrap();
    assert_eq!(set.keys.len(), 1);
}

// ---- signatures -------------------------------------------------------------

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const T0: u64 = 1_700_000_000;

struct Fixture {
    key: SigningKey,
    id: KeyId,
    jwks: Jwks,
}

fn fixture_key() -> Fixture {
    let key = SigningKey::from_seed(&vector_seed()).unwrap();
    let id = key_id("test-key-ed25519");
    let jwks = Jwks {
        keys: vec![key.public_jwk(&id)],
    };
    Fixture { key, id, jwks }
}

fn signed_post(f: &Fixture) -> Request<Vec<u8>> {
    let mut request = Request::post("https://auth.example.com/continue/abc")
        .header("authorization", "GNAP token-1")
        .body(br#"{"interact_ref":"r"}"#.to_vec())
        .unwrap();
    sign_request(&mut request, &f.key, &f.id, at(T0)).unwrap();
    request
}

fn verify(f: &Fixture, request: &Request<Vec<u8>>) -> Result<VerifiedSignature, VerifyError> {
    Verifier::new().verify(request, &f.jwks, at(T0))
}

fn set_header(request: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    request
        .headers_mut()
        .insert(name, http::HeaderValue::from_str(value).unwrap());
}

fn header(request: &Request<Vec<u8>>, name: &str) -> String {
    request.headers()[name].to_str().unwrap().to_owned()
}

#[test]
fn signed_request_verifies_and_reports_key_and_time() {
    let f = fixture_key();
    let verified = verify(&f, &signed_post(&f)).unwrap();
    assert_eq!(verified.key_id, f.id);
    assert_eq!(verified.created, at(T0));
}

#[test]
fn tampering_with_any_covered_part_is_refused() {
    let f = fixture_key();
    let tamper = |change: &dyn Fn(&mut Request<Vec<u8>>)| {
        let mut request = signed_post(&f);
        change(&mut request);
        verify(&f, &request).unwrap_err()
    };

    assert_eq!(
        tamper(&|r| *r.method_mut() = http::Method::PUT),
        VerifyError::BadSignature
    );
    assert_eq!(
        tamper(&|r| *r.uri_mut() = "https://auth.example.com/continue/abd".parse().unwrap()),
        VerifyError::BadSignature
    );
    assert_eq!(
        tamper(&|r| *r.uri_mut() = "https://auth.example.com/continue/abc?x=1".parse().unwrap()),
        VerifyError::BadSignature
    );
    assert_eq!(
        tamper(&|r| set_header(r, "authorization", "GNAP token-2")),
        VerifyError::BadSignature
    );
    assert_eq!(
        tamper(&|r| {
            r.headers_mut().remove("authorization");
        }),
        VerifyError::MissingHeader {
            name: "authorization".to_owned()
        }
    );
    assert_eq!(
        tamper(&|r| set_header(r, "content-type", "text/plain")),
        VerifyError::BadSignature
    );
    // Same length, different bytes.
    assert_eq!(
        tamper(&|r| *r.body_mut() = br#"{"interact_ref":"s"}"#.to_vec()),
        VerifyError::DigestMismatch {
            algorithm: "sha-512"
        }
    );
    // A new body with a matching digest and length still breaks the signature.
    assert_eq!(
        tamper(&|r| {
            let body = br#"{"interact_ref":"longer"}"#.to_vec();
            let digest = format!("sha-512=:{}:", STANDARD.encode(sha512(&body)));
            set_header(r, "content-digest", &digest);
            set_header(r, "content-length", &body.len().to_string());
            *r.body_mut() = body;
        }),
        VerifyError::BadSignature
    );
    assert_eq!(
        tamper(&|r| set_header(r, "content-length", "3")),
        VerifyError::ContentLengthMismatch {
            declared: "3".to_owned(),
            actual: 20
        }
    );
    // Inside the window, a changed `created` breaks the signature ...
    assert_eq!(
        tamper(&|r| {
            let input =
                header(r, "signature-input").replace("created=1700000000", "created=1700000001");
            set_header(r, "signature-input", &input);
        }),
        VerifyError::BadSignature
    );
    // ... outside it, the window check names the problem.
    assert!(matches!(
        tamper(&|r| {
            let input =
                header(r, "signature-input").replace("created=1700000000", "created=1600000000");
            set_header(r, "signature-input", &input);
        }),
        VerifyError::CreatedOutOfWindow { .. }
    ));
    assert_eq!(
        tamper(&|r| {
            let input = header(r, "signature-input").replace("test-key-ed25519", "other-key");
            set_header(r, "signature-input", &input);
        }),
        VerifyError::UnknownKeyId {
            key_id: "other-key".to_owned()
        }
    );
    assert_eq!(
        tamper(&|r| {
            let signature = header(r, "signature");
            let mut bytes = STANDARD
                .decode(&signature["sig1=:".len()..signature.len() - 1])
                .unwrap();
            bytes[0] ^= 1;
            set_header(
                r,
                "signature",
                &format!("sig1=:{}:", STANDARD.encode(bytes)),
            );
        }),
        VerifyError::BadSignature
    );
}

fn sha512(body: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha512::digest(body).to_vec()
}

#[test]
fn a_key_id_pointing_at_another_key_fails_the_signature() {
    let f = fixture_key();
    let other = SigningKey::from_seed(&[9; 32]).unwrap();
    let jwks = Jwks {
        keys: vec![other.public_jwk(&f.id)],
    };
    assert_eq!(
        Verifier::new().verify(&signed_post(&f), &jwks, at(T0)),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn components_added_after_signing_are_not_covered() {
    let f = fixture_key();
    let mut request = Request::get("https://ilp.example.com/alice")
        .body(Vec::new())
        .unwrap();
    sign_request(&mut request, &f.key, &f.id, at(T0)).unwrap();
    assert!(verify(&f, &request).is_ok());

    let mut with_auth = request.clone();
    set_header(&mut with_auth, "authorization", "GNAP sneaky");
    assert_eq!(
        verify(&f, &with_auth),
        Err(VerifyError::ComponentNotCovered {
            component: "authorization"
        })
    );

    let mut with_body = request;
    *with_body.body_mut() = b"{}".to_vec();
    assert_eq!(
        verify(&f, &with_body),
        Err(VerifyError::ComponentNotCovered {
            component: "content-digest"
        })
    );
}

#[test]
fn clock_skew_window_is_enforced_both_ways_and_configurable() {
    let f = fixture_key();
    let request = signed_post(&f);
    let verifier = Verifier::new();
    assert!(verifier.verify(&request, &f.jwks, at(T0 + 300)).is_ok());
    assert!(verifier.verify(&request, &f.jwks, at(T0 - 300)).is_ok());
    assert_eq!(
        verifier.verify(&request, &f.jwks, at(T0 + 301)),
        Err(VerifyError::CreatedOutOfWindow {
            created: 1_700_000_000,
            now: 1_700_000_301,
            max_skew_secs: 300
        })
    );
    assert!(matches!(
        verifier.verify(&request, &f.jwks, at(T0 - 301)),
        Err(VerifyError::CreatedOutOfWindow { .. })
    ));
    let strict = Verifier::new().max_clock_skew(Duration::from_secs(10));
    assert!(strict.verify(&request, &f.jwks, at(T0 + 10)).is_ok());
    assert!(strict.verify(&request, &f.jwks, at(T0 + 11)).is_err());
}

#[test]
fn missing_and_malformed_signature_headers_are_named() {
    let f = fixture_key();
    let mut request = signed_post(&f);
    request.headers_mut().remove("signature");
    assert_eq!(
        verify(&f, &request),
        Err(VerifyError::MissingHeader {
            name: "signature".to_owned()
        })
    );

    let mut request = signed_post(&f);
    request.headers_mut().remove("signature-input");
    assert_eq!(
        verify(&f, &request),
        Err(VerifyError::MissingHeader {
            name: "signature-input".to_owned()
        })
    );

    for (name, value, field) in [
        ("signature-input", "sig1=(\"@method\"", "Signature-Input"),
        ("signature-input", "sig1=\"not a list\"", "Signature-Input"),
        ("signature", "sig1=:AAAA:", "Signature"),
        ("signature", "sig1=\"text\"", "Signature"),
        ("content-digest", "sha-512=abc", "Content-Digest"),
    ] {
        let mut request = signed_post(&f);
        set_header(&mut request, name, value);
        let error = verify(&f, &request).unwrap_err();
        assert!(
            matches!(error, VerifyError::MalformedField { field: got, .. } if got == field),
            "{name}: {value}: {error:?}"
        );
    }

    let mut request = signed_post(&f);
    set_header(&mut request, "signature", "sig2=:AAAA:");
    assert_eq!(
        verify(&f, &request),
        Err(VerifyError::MissingSignature {
            label: "sig1".to_owned()
        })
    );
}

#[test]
fn unsupported_parameters_and_components_are_refused() {
    let f = fixture_key();
    let edit = |from: &str, to: &str| {
        let mut request = signed_post(&f);
        let input = header(&request, "signature-input").replace(from, to);
        set_header(&mut request, "signature-input", &input);
        verify(&f, &request).unwrap_err()
    };
    assert_eq!(
        edit(";keyid", ";alg=\"rsa-pss-sha512\";keyid"),
        VerifyError::UnsupportedAlgorithm {
            alg: "rsa-pss-sha512".to_owned()
        }
    );
    assert_eq!(
        edit("\"@target-uri\"", "\"@target-uri\" \"@authority\""),
        VerifyError::UnsupportedComponent {
            component: "@authority".to_owned()
        }
    );
    assert_eq!(
        edit("\"content-type\"", "\"content-type\";sf"),
        VerifyError::UnsupportedComponent {
            component: "content-type".to_owned()
        }
    );
    assert!(matches!(
        edit("\"content-type\"", "\"content-type\" \"content-type\""),
        VerifyError::MalformedField { .. }
    ));
    assert_eq!(
        edit(";keyid=\"test-key-ed25519\"", ""),
        VerifyError::MissingParameter { name: "keyid" }
    );
    assert_eq!(
        edit(";created=1700000000", ""),
        VerifyError::MissingParameter { name: "created" }
    );
    assert_eq!(
        edit(
            ";created=1700000000",
            ";created=1700000000;expires=1699999999"
        ),
        VerifyError::Expired {
            expires: 1_699_999_999
        }
    );
    assert_eq!(
        edit("\"@target-uri\" ", ""),
        VerifyError::ComponentNotCovered {
            component: "@target-uri"
        }
    );
}

#[test]
fn digest_algorithms_are_checked() {
    let f = fixture_key();
    let mut request = signed_post(&f);
    set_header(&mut request, "content-digest", "md5=:AAAA:");
    assert_eq!(verify(&f, &request), Err(VerifyError::UnsupportedDigest));
}

#[test]
fn body_requests_get_content_headers_and_keep_a_caller_content_type() {
    let f = fixture_key();
    let mut request = Request::post("https://as.example/")
        .header("content-type", "application/json; charset=utf-8")
        .body(b"{}".to_vec())
        .unwrap();
    sign_request(&mut request, &f.key, &f.id, at(T0)).unwrap();
    assert_eq!(
        header(&request, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(header(&request, "content-length"), "2");
    assert!(verify(&f, &request).is_ok());
}

#[test]
fn bodiless_requests_get_no_content_headers() {
    let f = fixture_key();
    let mut request = Request::delete("https://as.example/token/1")
        .body(Vec::new())
        .unwrap();
    sign_request(&mut request, &f.key, &f.id, at(T0)).unwrap();
    let names: Vec<&str> = request.headers().keys().map(|name| name.as_str()).collect();
    assert_eq!(names, ["signature-input", "signature"]);
    assert_eq!(
        header(&request, "signature-input"),
        r#"sig1=("@method" "@target-uri");keyid="test-key-ed25519";created=1700000000"#
    );
}

#[test]
fn target_uri_is_compared_in_whatwg_form() {
    let f = fixture_key();
    let mut request = Request::get("https://ilp.example.com/alice?x=1")
        .body(Vec::new())
        .unwrap();
    sign_request(&mut request, &f.key, &f.id, at(T0)).unwrap();
    // Same URL spelt differently: default port and host case do not matter.
    *request.uri_mut() = "https://ILP.example.com:443/alice?x=1".parse().unwrap();
    assert!(verify(&f, &request).is_ok());
    *request.uri_mut() = "https://ilp.example.com/alice?x=2".parse().unwrap();
    assert_eq!(verify(&f, &request), Err(VerifyError::BadSignature));
    *request.uri_mut() = "/alice?x=1".parse().unwrap();
    assert!(matches!(
        verify(&f, &request),
        Err(VerifyError::InvalidTargetUri { .. })
    ));
}

#[test]
fn signing_refuses_relative_uris_and_leaves_the_request_alone() {
    let f = fixture_key();
    let mut request = Request::post("/continue").body(b"{}".to_vec()).unwrap();
    assert_eq!(
        sign_request(&mut request, &f.key, &f.id, at(T0)),
        Err(SignError::RelativeUri {
            uri: "/continue".to_owned()
        })
    );
    assert!(request.headers().is_empty());

    let mut request = Request::get("https://as.example/")
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        sign_request(
            &mut request,
            &f.key,
            &f.id,
            UNIX_EPOCH - Duration::from_secs(1)
        ),
        Err(SignError::CreatedOutOfRange)
    );
}

#[test]
fn signing_refuses_a_non_ascii_authorization() {
    let f = fixture_key();
    let mut request = Request::get("https://as.example/")
        .header(
            "authorization",
            http::HeaderValue::from_bytes(b"GNAP \xff").unwrap(),
        )
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        sign_request(&mut request, &f.key, &f.id, at(T0)),
        Err(SignError::InvalidHeaderValue {
            name: "authorization".to_owned()
        })
    );
}

fn url_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["http", "https"]),
        "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){1,2}",
        prop::option::of(1024_u16..65535),
        "(/[A-Za-z0-9._~%-]{0,8}){0,4}",
        prop::option::of("[A-Za-z0-9=&_.-]{0,20}"),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let port = port.map(|port| format!(":{port}")).unwrap_or_default();
            let query = query.map(|query| format!("?{query}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{query}")
        })
        // Keep only what `http::Uri` and `url` both accept, as a real client would.
        .prop_filter("a URL both parsers accept", |url| {
            url.parse::<http::Uri>().is_ok() && url::Url::parse(url).is_ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify_round_trips(
        seed in prop::array::uniform32(any::<u8>()),
        id in "[ -~]{1,20}",
        url in url_strategy(),
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        body in prop::collection::vec(any::<u8>(), 0..200),
        authorization in prop::option::of("GNAP [A-Z0-9]{1,40}"),
        created in 0_u64..4_000_000_000,
    ) {
        let key = SigningKey::from_seed(&seed).unwrap();
        let id = KeyId::new(id).unwrap();
        let mut builder = Request::builder().method(method).uri(&url);
        if let Some(authorization) = &authorization {
            builder = builder.header("authorization", authorization);
        }
        let mut request = builder.body(body.clone()).unwrap();
        sign_request(&mut request, &key, &id, at(created)).unwrap();

        let jwks = Jwks { keys: vec![key.public_jwk(&id)] };
        let verified = Verifier::new().verify(&request, &jwks, at(created)).unwrap();
        prop_assert_eq!(verified.key_id, id.clone());

        let input = header(&request, "signature-input");
        prop_assert_eq!(input.contains("\"authorization\""), authorization.is_some());
        prop_assert_eq!(input.contains("\"content-digest\""), !body.is_empty());

        // Any other key refuses it.
        let other = SigningKey::from_seed(&seed.map(|byte| byte ^ 0x55)).unwrap();
        let jwks = Jwks { keys: vec![other.public_jwk(&id)] };
        prop_assert_eq!(
            Verifier::new().verify(&request, &jwks, at(created)).unwrap_err(),
            VerifyError::BadSignature
        );
    }
}

// ---- intervals --------------------------------------------------------------

fn interval(text: &str) -> RepeatingInterval {
    RepeatingInterval::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn bounds(start: OffsetDateTime, end: OffsetDateTime) -> Option<IntervalBounds> {
    Some(IntervalBounds { start, end })
}

/// Rafiki's own `getInterval` test table, for both directions.
#[test]
fn current_interval_matches_rafiki_cases() {
    for text in ["R2/2022-07-01T13:00:00Z/P1M", "R2/P1M/2022-10-01T13:00:00Z"] {
        let repeating = interval(text);
        let cases = [
            (datetime!(2022-07-01 12:59:59 UTC), None),
            (
                datetime!(2022-07-01 13:00:00 UTC),
                bounds(
                    datetime!(2022-07-01 13:00 UTC),
                    datetime!(2022-08-01 13:00 UTC),
                ),
            ),
            (
                datetime!(2022-07-10 13:00:00 UTC),
                bounds(
                    datetime!(2022-07-01 13:00 UTC),
                    datetime!(2022-08-01 13:00 UTC),
                ),
            ),
            (
                datetime!(2022-08-10 13:00:00 UTC),
                bounds(
                    datetime!(2022-08-01 13:00 UTC),
                    datetime!(2022-09-01 13:00 UTC),
                ),
            ),
            (
                datetime!(2022-09-10 13:00:00 UTC),
                bounds(
                    datetime!(2022-09-01 13:00 UTC),
                    datetime!(2022-10-01 13:00 UTC),
                ),
            ),
            (
                datetime!(2022-10-01 12:59:59 UTC),
                bounds(
                    datetime!(2022-09-01 13:00 UTC),
                    datetime!(2022-10-01 13:00 UTC),
                ),
            ),
            (datetime!(2022-10-01 13:00:00 UTC), None),
        ];
        for (at, expected) in cases {
            assert_eq!(repeating.current(at), expected, "{text} at {at}");
        }
    }
}

#[test]
fn unbounded_daily_budget() {
    let daily = interval("R/2025-04-22T08:00:00Z/P1D");
    assert_eq!(daily.repetitions(), Repetitions::Unbounded);
    assert_eq!(
        daily.current(datetime!(2026-01-01 07:59:59 UTC)),
        bounds(
            datetime!(2025-12-31 08:00 UTC),
            datetime!(2026-01-01 08:00 UTC)
        )
    );
    assert_eq!(daily.current(datetime!(2025-04-22 07:59:59 UTC)), None);
    // Any offset in the query means the same instant.
    assert_eq!(
        daily.current(datetime!(2026-01-01 09:59:59 +02:00)),
        daily.current(datetime!(2026-01-01 07:59:59 UTC))
    );
}

#[test]
fn months_clamp_and_carry_over_like_rafiki() {
    let monthly = interval("R/2024-01-31T00:00:00Z/P1M");
    assert_eq!(
        monthly.current(datetime!(2024-02-15 00:00 UTC)),
        bounds(
            datetime!(2024-01-31 00:00 UTC),
            datetime!(2024-02-29 00:00 UTC)
        )
    );
    // Stepping from 29 February, not from 31 January.
    assert_eq!(
        monthly.current(datetime!(2024-03-30 00:00 UTC)),
        bounds(
            datetime!(2024-03-29 00:00 UTC),
            datetime!(2024-04-29 00:00 UTC)
        )
    );
    let yearly = interval("R/2024-02-29T12:00:00Z/P1Y");
    assert_eq!(
        yearly.current(datetime!(2025-06-01 00:00 UTC)),
        bounds(
            datetime!(2025-02-28 12:00 UTC),
            datetime!(2026-02-28 12:00 UTC)
        )
    );
}

#[test]
fn start_end_repeats_with_its_exact_length() {
    let repeating = interval("R3/2025-01-01T00:00:00Z/2025-01-02T12:00:00Z");
    assert_eq!(
        repeating.current(datetime!(2025-01-04 00:00 UTC)),
        bounds(
            datetime!(2025-01-04 00:00 UTC),
            datetime!(2025-01-05 12:00 UTC)
        )
    );
    // Four intervals of 36 h: the last ends 6 days after the start.
    assert!(repeating
        .current(datetime!(2025-01-06 23:59:59 UTC))
        .is_some());
    assert_eq!(repeating.current(datetime!(2025-01-07 00:00 UTC)), None);
}

#[test]
fn zero_repetitions_is_one_interval() {
    let once = interval("R0/2025-01-01T00:00:00Z/PT1H");
    assert!(once.current(datetime!(2025-01-01 00:30 UTC)).is_some());
    assert_eq!(once.current(datetime!(2025-01-01 01:00 UTC)), None);
}

#[test]
fn short_periods_long_ago_are_computed_without_stepping() {
    let seconds = interval("R/2000-01-01T00:00:00Z/PT1S");
    assert_eq!(
        seconds.current(datetime!(2099-12-31 23:59:59.5 UTC)),
        bounds(
            datetime!(2099-12-31 23:59:59 UTC),
            datetime!(2100-01-01 00:00:00 UTC)
        )
    );
    let backwards = interval("R/PT1S/2100-01-01T00:00:00Z");
    assert_eq!(
        backwards.current(datetime!(2000-01-01 00:00:00.5 UTC)),
        bounds(
            datetime!(2000-01-01 00:00:00 UTC),
            datetime!(2000-01-01 00:00:01 UTC)
        )
    );
}

#[test]
fn parsing_keeps_the_exact_text() {
    for text in [
        "R/2025-04-22T08:00:00Z/P1D",
        "R5/2025-04-22T08:00:00+02:00/P1M2DT3H",
        "R-1/P1W/2025-04-22T08:00:00.250Z",
        "R12/2025-01-01T00:00:00Z/2025-02-01T00:00:00Z",
        "R/2025-04-22T08:00Z/PT12H",
    ] {
        let parsed = interval(text);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(parsed.as_str(), text);
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(
            serde_json::from_str::<RepeatingInterval>(&json).unwrap(),
            parsed
        );
    }
}

#[test]
fn offsets_are_converted_to_utc() {
    let parsed = interval("R/2025-04-22T08:00:00+02:00/P1D");
    assert_eq!(
        parsed.span(),
        IntervalSpan::StartDuration {
            start: datetime!(2025-04-22 06:00 UTC),
            duration: IsoDuration {
                days: 1,
                ..IsoDuration::default()
            }
        }
    );
}

#[test]
fn invalid_intervals_say_what_is_wrong() {
    let error = |text: &str| RepeatingInterval::parse(text).unwrap_err();
    assert!(matches!(error("P1D"), IntervalError::WrongShape { .. }));
    assert!(matches!(error("R/a/b/c"), IntervalError::WrongShape { .. }));
    assert!(matches!(
        error("X/2025-04-22T08:00:00Z/P1D"),
        IntervalError::BadRepetitions { .. }
    ));
    assert!(matches!(
        error("R1.5/2025-04-22T08:00:00Z/P1D"),
        IntervalError::BadRepetitions { .. }
    ));
    assert!(matches!(
        error("R/2025-04-22T08:00:00/P1D"),
        IntervalError::BadDateTime { .. }
    ));
    assert!(matches!(
        error("R/2025-04-22/P1D"),
        IntervalError::BadDateTime { .. }
    ));
    assert!(matches!(
        error("R/P1D/P1M"),
        IntervalError::TwoDurations { .. }
    ));
    assert_eq!(error("R/2025-04-22T08:00:00Z/P0D"), IntervalError::Empty);
    assert_eq!(
        error("R/2025-04-22T08:00:00Z/2025-04-22T08:00:00Z"),
        IntervalError::Empty
    );
    for (duration, reason) in [
        ("P", "it has no components"),
        ("PT", "`T` must be followed by hours, minutes or seconds"),
        ("P1.5D", "fractions are not supported"),
        ("P1DT", "`T` must be followed by hours, minutes or seconds"),
        ("P1D1M", "a unit is unknown, repeated or out of order (years, months, weeks, days; then T, hours, minutes, seconds)"),
        ("P1H", "a unit is unknown, repeated or out of order (years, months, weeks, days; then T, hours, minutes, seconds)"),
        ("P-1D", "components cannot have a sign"),
        ("P1", "a number is missing its unit letter"),
        ("P99999999999D", "a component is too large"),
        ("p1d", "it must start with `P`"),
    ] {
        assert_eq!(
            duration.parse::<IsoDuration>(),
            Err(IntervalError::BadDuration {
                part: duration.to_owned(),
                reason
            }),
            "{duration}"
        );
    }
    let message = error("R/2025-04-22T08:00:00/P1D").to_string();
    assert!(message.contains("UTC offset"), "{message}");
}

#[test]
fn new_renders_canonical_text() {
    let built = RepeatingInterval::new(
        Repetitions::Limited(3),
        IntervalSpan::StartDuration {
            start: datetime!(2025-04-22 10:00 +02:00),
            duration: "P1MT12H".parse().unwrap(),
        },
    )
    .unwrap();
    assert_eq!(built.as_str(), "R3/2025-04-22T08:00:00Z/P1MT12H");
    assert_eq!(
        RepeatingInterval::new(
            Repetitions::Unbounded,
            IntervalSpan::StartDuration {
                start: datetime!(2025-04-22 10:00 UTC),
                duration: IsoDuration::default(),
            },
        ),
        Err(IntervalError::Empty)
    );
}

fn duration_strategy() -> impl Strategy<Value = IsoDuration> {
    (
        0_u32..3,
        0_u32..14,
        0_u32..3,
        0_u32..40,
        0_u32..30,
        0_u32..70,
        0_u32..70,
    )
        .prop_map(
            |(years, months, weeks, days, hours, minutes, seconds)| IsoDuration {
                years,
                months,
                weeks,
                days,
                hours,
                minutes,
                seconds,
            },
        )
        .prop_filter("non-zero", |duration| !duration.is_zero())
}

fn instant_strategy() -> impl Strategy<Value = OffsetDateTime> {
    // 1990 to 2060, whole seconds: the range grants are written for.
    (631_152_000_i64..2_871_763_200)
        .prop_map(|secs| OffsetDateTime::from_unix_timestamp(secs).unwrap())
}

fn span_strategy() -> impl Strategy<Value = IntervalSpan> {
    prop_oneof![
        (instant_strategy(), duration_strategy())
            .prop_map(|(start, duration)| IntervalSpan::StartDuration { start, duration }),
        (duration_strategy(), instant_strategy())
            .prop_map(|(duration, end)| IntervalSpan::DurationEnd { duration, end }),
        (instant_strategy(), 1_i64..10_000_000).prop_map(|(start, length)| {
            IntervalSpan::StartEnd {
                start,
                end: start + time::Duration::seconds(length),
            }
        }),
    ]
}

fn repetitions_strategy() -> impl Strategy<Value = Repetitions> {
    prop_oneof![
        Just(Repetitions::Unbounded),
        (0_u32..50).prop_map(Repetitions::Limited)
    ]
}

/// Moves `at` by `duration` through `time`'s own calendar, independently of
/// the crate's arithmetic: months with the day clamped, then fixed seconds.
fn reference_shift(at: OffsetDateTime, duration: IsoDuration, forward: bool) -> OffsetDateTime {
    let sign = if forward { 1 } else { -1 };
    let months = i64::from(duration.years) * 12 + i64::from(duration.months);
    let total = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + sign * months;
    let year = i32::try_from(total.div_euclid(12)).unwrap();
    let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap()).unwrap();
    let day = at.day().min(month.length(year));
    let moved = time::Date::from_calendar_date(year, month, day)
        .unwrap()
        .with_time(at.time())
        .assume_utc();
    let seconds = i64::from(duration.weeks) * 604_800
        + i64::from(duration.days) * 86_400
        + i64::from(duration.hours) * 3_600
        + i64::from(duration.minutes) * 60
        + i64::from(duration.seconds);
    moved + time::Duration::seconds(sign * seconds)
}

/// The first interval, the reference way.
fn reference_first(span: IntervalSpan) -> IntervalBounds {
    match span {
        IntervalSpan::StartDuration { start, duration } => IntervalBounds {
            start,
            end: reference_shift(start, duration, true),
        },
        IntervalSpan::DurationEnd { duration, end } => IntervalBounds {
            start: reference_shift(end, duration, false),
            end,
        },
        IntervalSpan::StartEnd { start, end } => IntervalBounds { start, end },
    }
}

/// Rafiki's `getInterval` loop, transcribed step by step, as the model to
/// compare against.
fn reference_current(repeating: &RepeatingInterval, at: OffsetDateTime) -> Option<IntervalBounds> {
    let span = repeating.span();
    let mut current = reference_first(span);
    let limit = match repeating.repetitions() {
        Repetitions::Unbounded => u32::MAX,
        Repetitions::Limited(n) => n,
    };
    for _ in 0..=limit {
        if current.contains(at) {
            return Some(current);
        }
        let forward = !matches!(span, IntervalSpan::DurationEnd { .. });
        if (forward && at < current.start) || (!forward && at >= current.end) {
            return None;
        }
        current = match span {
            IntervalSpan::StartDuration { duration, .. } => IntervalBounds {
                start: current.end,
                end: reference_shift(current.end, duration, true),
            },
            IntervalSpan::DurationEnd { duration, .. } => IntervalBounds {
                start: reference_shift(current.start, duration, false),
                end: current.start,
            },
            IntervalSpan::StartEnd { start, end } => IntervalBounds {
                start: current.end,
                end: current.end + (end - start),
            },
        };
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rendered_intervals_parse_back_identically(
        repetitions in repetitions_strategy(),
        span in span_strategy(),
    ) {
        let built = RepeatingInterval::new(repetitions, span).unwrap();
        let parsed = RepeatingInterval::parse(built.as_str()).unwrap();
        prop_assert_eq!(parsed.to_string(), built.to_string());
        prop_assert_eq!(parsed.repetitions(), repetitions);
        prop_assert_eq!(parsed.span(), span);
        prop_assert_eq!(&parsed, &built);
    }

    #[test]
    fn durations_render_and_parse_back(duration in duration_strategy()) {
        prop_assert_eq!(duration.to_string().parse::<IsoDuration>(), Ok(duration));
    }

    #[test]
    fn current_matches_rafikis_step_by_step_loop(
        repetitions in repetitions_strategy(),
        span in span_strategy(),
        // Where to look, in first-interval lengths from the first interval's
        // start: up to a few hundred intervals either side.
        steps in -300_i64..300,
        per_mille in 0_i64..1000,
    ) {
        let repeating = RepeatingInterval::new(repetitions, span).unwrap();
        let first = reference_first(span);
        let length = (first.end - first.start).whole_seconds();
        let at = first.start
            + time::Duration::seconds(length * steps + length * per_mille / 1000);
        let actual = repeating.current(at);
        prop_assert_eq!(actual, reference_current(&repeating, at));
        if let Some(found) = actual {
            prop_assert!(found.contains(at));
        }
    }

    #[test]
    fn interval_parser_never_panics(text in "\\PC{0,60}") {
        let _ = RepeatingInterval::parse(&text);
    }
}

// ---- finish redirects -------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn finish_parser_never_panics_on_any_text(text in "\\PC{0,80}") {
        let _ = FinishRedirect::parse(&text);
    }

    #[test]
    fn finish_parser_never_panics_on_any_query(query in "[a-z_=&%+A-Z0-9 ]{0,60}") {
        let _ = verify_finish(
            &format!("consentdesk://finish?{query}"),
            &Nonce::new("c"),
            &Nonce::new("s"),
            "https://as.example",
        );
    }

    #[test]
    fn finish_hash_round_trips(
        client in "\\PC{0,40}",
        server in "\\PC{0,40}",
        interact_ref in "\\PC{1,40}",
        grant_url in "\\PC{0,60}",
        url_safe in any::<bool>(),
    ) {
        let (client, server) = (Nonce::new(client), Nonce::new(server));
        let interact_ref = InteractRef::new(interact_ref);
        let mut hash = finish_hash(&client, &server, &interact_ref, &grant_url);
        if url_safe {
            hash = URL_SAFE_NO_PAD.encode(STANDARD.decode(&hash).unwrap());
        }
        let mut finish = url::Url::parse("http://127.0.0.1:8123/finish").unwrap();
        finish
            .query_pairs_mut()
            .append_pair("hash", &hash)
            .append_pair("interact_ref", interact_ref.as_str());
        prop_assert_eq!(
            verify_finish(finish.as_str(), &client, &server, &grant_url),
            Ok(FinishOutcome::Approved { interact_ref: interact_ref.clone() })
        );
        // A different server nonce never matches.
        let other = Nonce::new(format!("{server}x"));
        prop_assert_eq!(
            verify_finish(finish.as_str(), &client, &other, &grant_url),
            Err(FinishError::HashMismatch)
        );
    }
}

// ---- GNAP errors ------------------------------------------------------------

#[test]
fn gnap_errors_parse_in_every_form_rafiki_sends() {
    let parse = |json: &str| GnapError::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        parse(r#"{"error":{"code":"too_fast","description":"wait 5 seconds"}}"#),
        GnapError {
            code: Some(GnapErrorCode::TooFast),
            description: Some("wait 5 seconds".to_owned())
        }
    );
    assert_eq!(
        parse(r#"{"error":{"description":"invalid body"}}"#),
        GnapError {
            code: None,
            description: Some("invalid body".to_owned())
        }
    );
    assert_eq!(
        parse(r#"{"error":{"code":"brand_new"}}"#).code,
        Some(GnapErrorCode::Other("brand_new".to_owned()))
    );
    assert_eq!(
        parse(r#"{"error":"user_denied"}"#).code,
        Some(GnapErrorCode::UserDenied)
    );
    assert!(GnapError::from_json(br#"{"message":"nope"}"#).is_err());
    assert!(GnapError::from_json(b"<html>").is_err());
}

#[test]
fn every_known_gnap_code_round_trips() {
    for code in [
        "invalid_request",
        "invalid_client",
        "invalid_interaction",
        "invalid_rotation",
        "invalid_continuation",
        "user_denied",
        "request_denied",
        "unknown_interaction",
        "too_fast",
    ] {
        let json = format!(r#"{{"error":{{"code":"{code}"}}}}"#);
        let error = GnapError::from_json(json.as_bytes()).unwrap();
        assert!(
            !matches!(error.code, Some(GnapErrorCode::Other(_))),
            "{code}"
        );
        assert_eq!(error.to_json(), json);
    }
}

#[test]
fn gnap_error_display_is_actionable() {
    let error = GnapError {
        code: Some(GnapErrorCode::TooFast),
        description: Some("Continued too quickly".to_owned()),
    };
    assert_eq!(
        error.to_string(),
        "the wallet answered `too_fast` (\"Continued too quickly\"): the grant was continued too \
         early: wait and try again"
    );
    let wrapped: Error = error.into();
    assert!(wrapped
        .to_string()
        .starts_with("the wallet answered `too_fast`"));
    assert_eq!(
        GnapError::default().to_string(),
        "the wallet refused the request"
    );
}

#[test]
fn outside_text_in_errors_is_cut_to_an_excerpt() {
    assert_eq!(excerpt("short"), "short");
    let exact = "é".repeat(MAX_EXCERPT_CHARS);
    assert_eq!(excerpt(&exact), exact, "cut by characters, not bytes");
    let long = format!("{exact}é");
    assert_eq!(
        excerpt(&long),
        format!("{exact}… ({} bytes in all)", long.len())
    );
    // What a wallet or a link chose is not repeated whole.
    let flood = "9".repeat(100_000);
    for message in [
        AmountError::NotDigits {
            value: format!("x{flood}"),
        }
        .to_string(),
        IntervalError::WrongShape {
            text: flood.clone(),
        }
        .to_string(),
        FinishError::InvalidUrl {
            url: flood.clone(),
            reason: "relative URL without a base".into(),
        }
        .to_string(),
        VerifyError::UnknownKeyId {
            key_id: flood.clone(),
        }
        .to_string(),
    ] {
        assert!(
            message.len() < 600,
            "{} bytes: {}",
            message.len(),
            &message[..300]
        );
        assert!(message.contains("100000 bytes in all") || message.contains("100001 bytes in all"));
    }
}

#[test]
fn a_finish_link_longer_than_any_wallet_makes_is_refused_unread() {
    let (client, server) = (
        Nonce::new("client-nonce-123"),
        Nonce::new("server-nonce-456"),
    );
    let grant_url = "https://auth.example.com/tenant-id";
    let reference = InteractRef::new("interact-ref-789");
    let hash = finish_hash(&client, &server, &reference, grant_url);
    let genuine = url::Url::parse_with_params(
        "dev.consentdesk:/finish/3f1c",
        [
            ("hash", hash.as_str()),
            ("interact_ref", reference.as_str()),
        ],
    )
    .unwrap()
    .to_string();
    // Padded to the cap with a parameter the parser ignores: still read.
    let pad = |to: usize| format!("{genuine}&pad={}", "x".repeat(to - genuine.len() - 5));
    let at_cap = pad(MAX_FINISH_URL_BYTES);
    assert_eq!(at_cap.len(), MAX_FINISH_URL_BYTES);
    assert!(matches!(
        verify_finish(&at_cap, &client, &server, grant_url),
        Ok(FinishOutcome::Approved { .. })
    ));
    let over = pad(MAX_FINISH_URL_BYTES + 1);
    let error = verify_finish(&over, &client, &server, grant_url).unwrap_err();
    assert_eq!(
        error,
        FinishError::TooLong {
            length: MAX_FINISH_URL_BYTES + 1
        }
    );
    assert_eq!(
        error.to_string(),
        "the finish redirect is 4097 bytes long, more than the 4096 a wallet's finish redirect \
         can be; it was refused without being read"
    );
}
