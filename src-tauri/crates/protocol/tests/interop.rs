//! Interop, both ways, with the reference library `@interledger/http-signature-utils`
//! 2.0.2 (the one the Open Payments Node SDK signs with and Rafiki verifies with).
//!
//! A few hundred seeded random requests (keys, key ids, methods, URLs, optional
//! `Authorization: GNAP …`, JSON bodies or none):
//!
//! - signed by our `sign_request`, they pass the reference `validateSignature`
//!   and `validateSignatureHeaders`;
//! - signed by the reference `createHeaders` (key given as PKCS#8 PEM or as a
//!   private JWK), they pass our `Verifier`;
//! - every tampered covered component makes both sides refuse.
//!
//! Node runs `tests/interop/reference.mjs` twice in all: once to sign every
//! case, once to verify every case. The package must be installed at the
//! repository root (`npm ci`); without it this test fails, it never skips.
//! Set `INTEROP_SEED` to replay another seed, `INTEROP_CASES` for more cases.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use consent_desk_protocol::{http, sign_request, Jwk, Jwks, KeyId, SigningKey, Verifier};
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

const REFERENCE_VERSION: &str = "2.0.2";
const DEFAULT_SEED: u64 = 0x0C0D_E5D6_2026_0003;
const DEFAULT_CASES: usize = 300;

// ---------------------------------------------------------------------------
// Node and the reference package

fn repo_root() -> PathBuf {
    // src-tauri/crates/protocol -> repository root
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(3)
        .expect("the crate sits three levels below the repository root")
        .to_path_buf()
}

fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/reference.mjs")
}

const INSTALL_HINT: &str = "run `npm ci` at the repository root (it installs \
     @interledger/http-signature-utils 2.0.2, a devDependency) and make sure `node` is on PATH";

/// Fails (never skips) when node or the reference package is missing.
fn require_reference() {
    let root = repo_root();
    let package = root.join("node_modules/@interledger/http-signature-utils/package.json");
    let text = std::fs::read_to_string(&package).unwrap_or_else(|error| {
        panic!(
            "the reference library is not installed ({}: {error}); {INSTALL_HINT}",
            package.display()
        )
    });
    let manifest: Value = serde_json::from_str(&text).expect("its package.json parses");
    assert_eq!(
        manifest["version"], REFERENCE_VERSION,
        "node_modules holds another version of @interledger/http-signature-utils; {INSTALL_HINT}"
    );
    match programs::command("node").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!("`node --version` failed: {output:?}; {INSTALL_HINT}"),
        Err(error) => panic!("{}; {INSTALL_HINT}", programs::not_started("node", error)),
    }
}

/// Runs the helper once over all `cases`, returning its answers by case id.
fn run_reference(mode: &str, cases: &[Value]) -> BTreeMap<u64, Value> {
    let mut child = programs::command("node")
        .arg(helper())
        .arg(mode)
        .current_dir(std::env::temp_dir()) // prove the helper does not depend on cwd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{}; {INSTALL_HINT}", programs::not_started("node", error)));
    let mut input = String::new();
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        stdin
            .write_all(input.as_bytes())
            .expect("node reads its input");
    });
    let output = child.wait_with_output().expect("node runs");
    writer.join().expect("the writer thread finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "`node reference.mjs {mode}` failed ({}): {stderr}\n{INSTALL_HINT}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("node prints UTF-8");
    let mut lines = stdout.lines();
    let header: Value = serde_json::from_str(lines.next().expect("a version line")).unwrap();
    assert_eq!(
        header["version"], REFERENCE_VERSION,
        "the helper loaded another version"
    );
    let mut answers = BTreeMap::new();
    for line in lines {
        let answer: Value = serde_json::from_str(line).expect("the helper prints JSON lines");
        if let Some(error) = answer.get("error") {
            panic!("reference {mode} threw on case {}: {error}", answer["id"]);
        }
        answers.insert(answer["id"].as_u64().expect("an id"), answer);
    }
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    answers
}

// ---------------------------------------------------------------------------
// Seeded randomness (SplitMix64: small, and failures replay from the seed)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.next() as u8)
    }
    fn word(&mut self, alphabet: &[u8], min: usize, max: usize) -> String {
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| *self.pick(alphabet) as char).collect()
    }
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const KEY_ID_SAFE: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:";

fn key_id(rng: &mut Rng) -> String {
    if rng.chance(25) {
        // Any printable ASCII, including `"`, `\`, `;`, `,`, `=`, `(`, space.
        let all: Vec<u8> = (0x20..=0x7e).collect();
        let mut id = rng.word(&all, 1, 24);
        if rng.chance(50) {
            id.push_str(rng.pick::<&str>(&["\"", "\\", "\\\"", "sig1=", ";created=1"]));
        }
        id
    } else {
        rng.word(KEY_ID_SAFE, 1, 40)
    }
}

/// Already-normalized absolute URLs (WHATWG serialization equals the text),
/// since the reference verifier signs `request.url` verbatim.
fn url(rng: &mut Rng) -> String {
    let scheme = *rng.pick(&["https", "http"]);
    let sub = rng.word(b"abcdefghijklmnopqrstuvwxyz0123456789", 1, 12);
    let host = rng
        .pick(&[
            "auth.example.com".to_owned(),
            "wallet.example".to_owned(),
            "127.0.0.1".to_owned(),
            format!("{sub}.ilp.example.net"),
        ])
        .clone();
    let port = if rng.chance(40) {
        format!(":{}", 1024 + rng.below(60_000))
    } else {
        String::new()
    };
    let mut path = String::new();
    for _ in 0..rng.below(4) {
        path.push('/');
        path.push_str(&rng.word(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~",
            1,
            20,
        ));
    }
    if path.is_empty() || rng.chance(20) {
        path.push('/');
    }
    let mut query = String::new();
    if rng.chance(40) {
        let pairs: Vec<String> = (0..1 + rng.below(3))
            .map(|_| {
                format!(
                    "{}={}",
                    rng.word(ALNUM, 1, 8),
                    rng.word(b"abcdef0123456789-_%2F", 0, 12).replace('%', "%2")
                )
            })
            .collect();
        query = format!("?{}", pairs.join("&"));
    }
    let text = format!("{scheme}://{host}{port}{path}{query}");
    assert_eq!(
        consent_desk_protocol::url::Url::parse(&text)
            .map(String::from)
            .as_deref(),
        Ok(text.as_str()),
        "the generator makes normalized URLs"
    );
    text
}

fn json_value(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth >= 3 { 5 } else { 7 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        // Integers only: JSON.stringify and serde_json print floats differently,
        // and the reference digests JSON.stringify(JSON.parse(body)).
        2 => json!(rng.next() as i64 % 9_007_199_254_740_991),
        3 => Value::String(rng.word(ALNUM, 0, 16)),
        4 => {
            // Unicode, quotes, backslashes, control characters.
            let pieces = [
                "é", "€", "𝄞", "\"", "\\", "\n", "\u{1}", "/", "<", " ", "a", "Z", "0", "💸",
            ];
            Value::String((0..rng.below(10)).map(|_| *rng.pick(&pieces)).collect())
        }
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| json_value(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(5))
                .map(|_| (rng.word(ALNUM, 1, 10), json_value(rng, depth + 1)))
                .collect(),
        ),
    }
}

fn body(rng: &mut Rng) -> Option<String> {
    if rng.chance(35) {
        return None;
    }
    // The reference only sends a body that is a JSON object with at least one
    // key (validateSignature checks `Object.keys(body).length > 0`).
    let mut object = serde_json::Map::new();
    for _ in 0..1 + rng.below(5) {
        object.insert(rng.word(ALNUM, 1, 12), json_value(rng, 1));
    }
    Some(Value::Object(object).to_string())
}

struct Case {
    id: u64,
    seed: [u8; 32],
    key_id: String,
    method: &'static str,
    url: String,
    authorization: Option<String>,
    body: Option<String>,
    /// Give the reference signer the key as a private JWK instead of PEM.
    jwk_key: bool,
}

fn cases() -> (u64, Vec<Case>) {
    let seed = std::env::var("INTEROP_SEED")
        .ok()
        .map(|text| text.parse().expect("INTEROP_SEED is a u64"))
        .unwrap_or(DEFAULT_SEED);
    let count = std::env::var("INTEROP_CASES")
        .ok()
        .map(|text| text.parse().expect("INTEROP_CASES is a number"))
        .unwrap_or(DEFAULT_CASES);
    let mut rng = Rng(seed);
    let cases = (0..count as u64)
        .map(|id| {
            let method = *rng.pick(&["GET", "POST", "DELETE"]);
            Case {
                id,
                seed: rng.bytes(),
                key_id: key_id(&mut rng),
                method,
                url: url(&mut rng),
                authorization: rng.chance(60).then(|| {
                    format!(
                        "GNAP {}",
                        rng.word(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8, 32)
                    )
                }),
                body: if method == "POST" || rng.chance(15) {
                    body(&mut rng)
                } else {
                    None
                },
                jwk_key: rng.chance(50),
            }
        })
        .collect();
    (seed, cases)
}

// ---------------------------------------------------------------------------
// Requests as plain data, so both sides see exactly the same thing

#[derive(Clone, Debug)]
struct Wire {
    method: String,
    url: String,
    /// Lower-case names, in a stable order.
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

impl Wire {
    fn to_http(&self) -> http::Request<Vec<u8>> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.url.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(self.body.clone().unwrap_or_default().into_bytes())
            .expect("a valid request")
    }

    fn from_http(request: &http::Request<Vec<u8>>) -> Self {
        Self {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
                .collect(),
            body: (!request.body().is_empty())
                .then(|| String::from_utf8(request.body().clone()).unwrap()),
        }
    }

    fn verify_case(&self, id: u64, jwk: &Jwk) -> Value {
        json!({
            "id": id,
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "body": self.body,
            "jwk": jwk,
        })
    }

    fn set_signature_param(&mut self, name: &str, value: &str) {
        let input = self.headers.get_mut("signature-input").expect("signed");
        // `created` is the last parameter; `keyid` the first after the inner list.
        let needle = format!(";{name}=");
        let position = if name == "created" {
            input.rfind(&needle)
        } else {
            input
                .find(')')
                .and_then(|close| input[close..].find(&needle).map(|i| close + i))
        };
        let start = position.expect("the parameter is there") + needle.len();
        let end = if value.starts_with('"') {
            // a quoted string: skip to the closing quote, honouring escapes
            let bytes = input.as_bytes();
            let mut i = start + 1;
            while bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i + 1
        } else {
            input[start..].find(';').map_or(input.len(), |i| start + i)
        };
        input.replace_range(start..end, value);
    }
}

fn digest(body: &str) -> String {
    format!(
        "sha-512=:{}:",
        STANDARD.encode(Sha512::digest(body.as_bytes()))
    )
}

fn created_of(wire: &Wire) -> u64 {
    let input = &wire.headers["signature-input"];
    let start = input.rfind(";created=").expect("created") + ";created=".len();
    let digits: String = input[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("created is a number")
}

fn quote_sf_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every way to tamper with a covered component; each must be refused.
fn tamperings(signed: &Wire, key_id: &str) -> Vec<(&'static str, Wire)> {
    let mut out = Vec::new();
    let mut push = |name, edit: &dyn Fn(&mut Wire)| {
        let mut wire = signed.clone();
        edit(&mut wire);
        out.push((name, wire));
    };
    push("method", &|w| {
        w.method = match w.method.as_str() {
            "GET" => "DELETE",
            "POST" => "PUT",
            _ => "GET",
        }
        .to_owned();
    });
    push("target-uri path", &|w| {
        let mut url = consent_desk_protocol::url::Url::parse(&w.url).unwrap();
        let path = format!("{}x", url.path());
        url.set_path(&path);
        w.url = url.into();
    });
    push("target-uri query", &|w| {
        let mut url = consent_desk_protocol::url::Url::parse(&w.url).unwrap();
        url.query_pairs_mut().append_pair("evil", "1");
        w.url = url.into();
    });
    push("target-uri host", &|w| {
        let mut url = consent_desk_protocol::url::Url::parse(&w.url).unwrap();
        url.set_host(Some("attacker.example")).unwrap();
        w.url = url.into();
    });
    if signed.headers.contains_key("authorization") {
        push("authorization changed", &|w| {
            w.headers.get_mut("authorization").unwrap().push('X');
        });
    } else {
        push("authorization added", &|w| {
            w.headers
                .insert("authorization".into(), "GNAP STOLENTOKEN".into());
        });
    }
    if let Some(body) = &signed.body {
        let other = body.replacen('{', "{\"evil\":1,", 1);
        let other2 = other.clone();
        push("body only", &move |w| w.body = Some(other.clone()));
        push("body with matching digest and length", &move |w| {
            w.headers.insert("content-digest".into(), digest(&other2));
            w.headers
                .insert("content-length".into(), other2.len().to_string());
            w.body = Some(other2.clone());
        });
        push("content-digest", &|w| {
            w.headers
                .insert("content-digest".into(), digest("{\"other\":true}"));
        });
        push("content-type", &|w| {
            w.headers.insert("content-type".into(), "text/plain".into());
        });
        push("content-length", &|w| {
            let length: usize = w.headers["content-length"].parse().unwrap();
            w.headers
                .insert("content-length".into(), (length + 1).to_string());
        });
        push("body removed", &|w| {
            w.body = None;
        });
    } else {
        push("body added", &|w| {
            w.body = Some("{\"evil\":1}".into());
            w.headers
                .insert("content-digest".into(), digest("{\"evil\":1}"));
            w.headers.insert("content-length".into(), "10".into());
            w.headers
                .insert("content-type".into(), "application/json".into());
        });
    }
    let created = created_of(signed);
    push("created", &|w| {
        w.set_signature_param("created", &(created - 1).to_string())
    });
    let other_id = quote_sf_string(&format!("{key_id}x"));
    push("keyid", &move |w| w.set_signature_param("keyid", &other_id));
    push("signature", &|w| {
        let signature = w.headers.get_mut("signature").unwrap();
        let mut bytes = STANDARD
            .decode(signature.trim_start_matches("sig1=:").trim_end_matches(':'))
            .unwrap();
        bytes[7] ^= 0x01;
        *signature = format!("sig1=:{}:", STANDARD.encode(bytes));
    });
    out
}

// ---------------------------------------------------------------------------

struct Prepared {
    key: SigningKey,
    jwk: Jwk,
    /// The same public key also under `<kid>x`, so a tampered keyid is refused
    /// for its signature, not merely as an unknown key.
    jwks: Jwks,
}

fn prepare(case: &Case) -> Prepared {
    let key = SigningKey::from_seed(&case.seed).expect("32 bytes");
    let kid = KeyId::new(case.key_id.clone()).expect("a valid key id");
    let jwk = key.public_jwk(&kid);
    let other = key.public_jwk(&KeyId::new(format!("{}x", case.key_id)).unwrap());
    Prepared {
        jwks: Jwks {
            keys: vec![jwk.clone(), other],
        },
        key,
        jwk,
    }
}

fn verifier() -> Verifier {
    Verifier::new().max_clock_skew(Duration::from_secs(0))
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn interop_both_ways_with_the_reference_library() {
    require_reference();
    let (seed, cases) = cases();
    let context = |case: &Case| {
        format!(
            "seed {seed:#x} case {} (key id {:?}, {} {}, authorization {:?}, body {:?}, key as {})",
            case.id,
            case.key_id,
            case.method,
            case.url,
            case.authorization,
            case.body,
            if case.jwk_key { "JWK" } else { "PEM" }
        )
    };
    let prepared: Vec<Prepared> = cases.iter().map(prepare).collect();

    // 1. The reference signs every case (one node process).
    let sign_cases: Vec<Value> = cases
        .iter()
        .zip(&prepared)
        .map(|(case, p)| {
            let mut headers = serde_json::Map::new();
            if let Some(authorization) = &case.authorization {
                headers.insert("Authorization".into(), json!(authorization));
            }
            let key = if case.jwk_key {
                json!({ "jwk": {
                    "kty": "OKP", "crv": "Ed25519",
                    "x": p.jwk.x, "d": URL_SAFE_NO_PAD.encode(case.seed),
                }})
            } else {
                json!({ "pem": p.key.to_pkcs8_pem().as_str() })
            };
            json!({
                "id": case.id, "method": case.method, "url": case.url,
                "headers": headers, "body": case.body, "key": key, "keyId": case.key_id,
            })
        })
        .collect();
    let reference_signed = run_reference("sign", &sign_cases);

    // 2. We sign every case, and check every reference signature with our Verifier.
    let mut verify_cases = Vec::new();
    // id in the verify batch -> (case index, what it is, must the reference accept it)
    let mut expectations: Vec<(usize, String, bool)> = Vec::new();
    let mut ours_checked = 0;
    for (index, (case, p)) in cases.iter().zip(&prepared).enumerate() {
        let ctx = context(case);

        // Ours -> reference.
        let mut builder = http::Request::builder()
            .method(case.method)
            .uri(case.url.as_str());
        if let Some(authorization) = &case.authorization {
            builder = builder.header("authorization", authorization);
        }
        let mut request = builder
            .body(case.body.clone().unwrap_or_default().into_bytes())
            .unwrap();
        // A created time that is not "now", to show the reference does not need one.
        let created = 1_600_000_000 + (case.id * 7919) % 200_000_000;
        sign_request(
            &mut request,
            &p.key,
            &KeyId::new(case.key_id.clone()).unwrap(),
            at(created),
        )
        .unwrap_or_else(|error| panic!("{ctx}: our signer failed: {error}"));
        let ours = Wire::from_http(&request);
        verifier()
            .verify(&ours.to_http(), &p.jwks, at(created))
            .unwrap_or_else(|error| panic!("{ctx}: our own signature fails our Verifier: {error}"));
        verify_cases.push(ours.verify_case(verify_cases.len() as u64, &p.jwk));
        expectations.push((index, "ours, untampered".into(), true));
        for (what, tampered) in tamperings(&ours, &case.key_id) {
            let result = verifier().verify(&tampered.to_http(), &p.jwks, at(created));
            assert!(
                result.is_err(),
                "{ctx}: our Verifier accepted our signature with tampered {what}: {tampered:?}"
            );
            ours_checked += 1;
            verify_cases.push(tampered.verify_case(verify_cases.len() as u64, &p.jwk));
            expectations.push((index, format!("ours, tampered {what}"), false));
        }

        // Reference -> ours.
        let answer = &reference_signed[&case.id];
        let mut theirs = Wire {
            method: case.method.to_owned(),
            url: case.url.clone(),
            headers: BTreeMap::new(),
            body: case.body.clone(),
        };
        if let Some(authorization) = &case.authorization {
            theirs
                .headers
                .insert("authorization".into(), authorization.clone());
        }
        for (name, value) in answer["headers"].as_object().expect("headers") {
            theirs.headers.insert(
                name.to_ascii_lowercase(),
                value.as_str().unwrap().to_owned(),
            );
        }
        // The reference uses the wall clock for `created`: verify at that time.
        let created = created_of(&theirs);
        let verified = verifier()
            .verify(&theirs.to_http(), &p.jwks, at(created))
            .unwrap_or_else(|error| {
                panic!("{ctx}: our Verifier refused the reference signature: {error}\n{theirs:?}")
            });
        assert_eq!(verified.key_id.as_str(), case.key_id, "{ctx}");
        assert_eq!(verified.created, at(created), "{ctx}");
        // Both signers agree byte for byte given the same created time.
        let mut again = theirs.to_http();
        again.headers_mut().remove("signature");
        again.headers_mut().remove("signature-input");
        sign_request(
            &mut again,
            &p.key,
            &KeyId::new(case.key_id.clone()).unwrap(),
            at(created),
        )
        .unwrap();
        assert_eq!(
            Wire::from_http(&again).headers,
            theirs.headers,
            "{ctx}: our headers differ from the reference's"
        );

        verify_cases.push(theirs.verify_case(verify_cases.len() as u64, &p.jwk));
        expectations.push((index, "reference, untampered".into(), true));
        for (what, tampered) in tamperings(&theirs, &case.key_id) {
            let result = verifier().verify(&tampered.to_http(), &p.jwks, at(created));
            assert!(result.is_err(), "{ctx}: our Verifier accepted a reference signature with tampered {what}: {tampered:?}");
            ours_checked += 1;
            verify_cases.push(tampered.verify_case(verify_cases.len() as u64, &p.jwk));
            expectations.push((index, format!("reference, tampered {what}"), false));
        }
    }

    // 3. The reference checks everything (one node process).
    let verdicts = run_reference("verify", &verify_cases);
    let mut failures = Vec::new();
    let mut known_gaps = 0;
    for (id, (index, what, accept)) in expectations.iter().enumerate() {
        let verdict = &verdicts[&(id as u64)];
        let valid = verdict["validateSignature"] == true;
        let headers_valid = verdict["validateSignatureHeaders"] == true;
        if *accept && !(valid && headers_valid) {
            failures.push(format!(
                "{}: reference refused {what}: {verdict}",
                context(&cases[*index])
            ));
        }
        if !*accept && valid {
            if what.ends_with("tampered body added") {
                // Known reference weakness: validateSignature only checks the
                // digest when `content-digest` is covered, so a body added to a
                // request signed without one passes. Our Verifier refuses it
                // (checked above). Pinned here so a change in either shows up.
                known_gaps += 1;
                continue;
            }
            failures.push(format!(
                "{}: reference accepted {what}: {}",
                context(&cases[*index]),
                verify_cases[id]
            ));
        }
        if !*accept && !valid && what.ends_with("tampered body added") {
            failures.push(format!(
                "{}: the reference now refuses {what}; update the known-gap note",
                context(&cases[*index])
            ));
        }
    }
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for failure in &failures {
        let kind = failure
            .split(": reference ")
            .nth(1)
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        *by_kind.entry(kind).or_default() += 1;
    }
    failures.truncate(10);
    assert!(
        failures.is_empty(),
        "disagreements by kind: {by_kind:#?}\nfirst ones:\n{}",
        failures.join("\n")
    );
    assert!(
        known_gaps > 0,
        "the case mix must include body-less requests"
    );
    eprintln!(
        "interop: seed {seed:#x}, {} cases, {} reference verdicts, {ours_checked} tampered requests refused by our Verifier, \
         {known_gaps} body-added requests accepted by the reference (known gap)",
        cases.len(),
        verdicts.len()
    );
}

#[test]
fn the_helper_script_is_where_the_test_runs_it() {
    assert!(helper().is_file(), "{} is missing", helper().display());
    assert!(
        repo_root().join("package.json").is_file(),
        "repo root not found from CARGO_MANIFEST_DIR"
    );
}
