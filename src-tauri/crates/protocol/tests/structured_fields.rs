//! Property test: `Signature-Input` is a well-formed RFC 8941 dictionary for
//! every valid key id and `created`, and parsing it back with `sfv` gives
//! exactly what was signed; the Verifier accepts every such signature.

use std::time::{Duration, UNIX_EPOCH};

use consent_desk_protocol::{http, sign_request, Jwks, KeyId, SigningKey, Verifier};
use proptest::prelude::*;
use sfv::{BareItem, Dictionary, ListEntry, Parser};

/// The largest integer RFC 8941 allows (15 digits).
const SF_INTEGER_MAX: u64 = 999_999_999_999_999;

/// Every character an sfv String allows: printable ASCII, space to `~`,
/// weighted towards the two that need escaping.
fn key_id() -> impl Strategy<Value = String> {
    let any_printable = (0x20u8..=0x7e).prop_map(char::from);
    let ch = prop_oneof![
        6 => any_printable,
        1 => Just('"'),
        1 => Just('\\'),
        1 => Just(' '),
        1 => Just(';'),
    ];
    proptest::collection::vec(ch, 1..64).prop_map(|chars| chars.into_iter().collect())
}

fn created() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(SF_INTEGER_MAX),
        1_600_000_000u64..2_000_000_000,
        0..=SF_INTEGER_MAX,
    ]
}

#[derive(Debug, Clone)]
struct Shape {
    method: &'static str,
    authorization: Option<String>,
    body: Option<String>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop_oneof![Just("GET"), Just("POST"), Just("DELETE")],
        proptest::option::of("[A-Z0-9]{8,24}"),
        proptest::option::of("[a-z]{1,8}"),
    )
        .prop_map(|(method, token, body)| Shape {
            method,
            authorization: token.map(|token| format!("GNAP {token}")),
            body: body.map(|value| format!(r#"{{"interact_ref":"{value}"}}"#)),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn signature_input_round_trips_through_sfv(
        id in key_id(),
        created in created(),
        shape in shape(),
        seed in any::<[u8; 32]>(),
    ) {
        let key = SigningKey::from_seed(&seed).unwrap();
        let key_id = KeyId::new(id.clone()).expect("printable ASCII is a valid key id");
        prop_assert_eq!(key_id.as_str(), id.as_str());
        let mut builder = http::Request::builder()
            .method(shape.method)
            .uri("https://auth.example.com/continue/4CF492MLVMSW9MKMXKHQ?x=1");
        if let Some(authorization) = &shape.authorization {
            builder = builder.header("authorization", authorization);
        }
        let mut request = builder
            .body(shape.body.clone().unwrap_or_default().into_bytes())
            .unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(created);
        sign_request(&mut request, &key, &key_id, at).unwrap();

        let input = request.headers()["signature-input"].to_str().unwrap();
        let dictionary: Dictionary = Parser::new(input)
            .parse()
            .map_err(|error| TestCaseError::fail(format!("{input}: {error}")))?;
        prop_assert_eq!(dictionary.len(), 1);
        let (label, entry) = dictionary.iter().next().unwrap();
        prop_assert_eq!(label.as_str(), "sig1");
        let ListEntry::InnerList(inner) = entry else {
            return Err(TestCaseError::fail(format!("sig1 is not an inner list: {input}")));
        };

        // Components: exactly the Open Payments set, in order, as strings without parameters.
        let mut expected = vec!["@method", "@target-uri"];
        if shape.authorization.is_some() {
            expected.push("authorization");
        }
        if shape.body.is_some() {
            expected.extend(["content-digest", "content-length", "content-type"]);
        }
        let components: Vec<&str> = inner
            .items
            .iter()
            .map(|item| {
                assert!(item.params.is_empty(), "component parameters in {input}");
                item.bare_item.as_string().expect("components are strings").as_str()
            })
            .collect();
        prop_assert_eq!(components, expected);

        // Parameters: keyid then created, nothing else, values exact.
        let params: Vec<(&str, &BareItem)> =
            inner.params.iter().map(|(name, value)| (name.as_str(), value)).collect();
        prop_assert_eq!(params.len(), 2, "parameters of {}", input);
        prop_assert_eq!(params[0].0, "keyid");
        prop_assert_eq!(params[0].1.as_string().map(|s| s.as_str()), Some(id.as_str()));
        prop_assert_eq!(params[1].0, "created");
        prop_assert_eq!(params[1].1.as_integer().map(i64::from), Some(created as i64));

        // Re-serializing the parsed dictionary gives the same bytes (canonical form).
        let reserialized = sfv::FieldType::serialize(&dictionary).unwrap();
        prop_assert_eq!(reserialized.as_str(), input);

        // And the Verifier accepts it at that time.
        let jwks = Jwks { keys: vec![key.public_jwk(&key_id)] };
        let verified = Verifier::new()
            .max_clock_skew(Duration::ZERO)
            .verify(&request, &jwks, at)
            .map_err(|error| TestCaseError::fail(format!("{input}: {error}")))?;
        prop_assert_eq!(verified.key_id, key_id);
        prop_assert_eq!(verified.created, at);
    }
}
