//! Validation against the Open Payments OpenAPI documents in
//! `tests/fixtures/openapi/`.
//!
//! An operation's schema is validated by a JSON Schema 2020-12 document that is
//! the whole OpenAPI document plus `"$ref": "#/paths/…/schema"`: its
//! `#/components/…` references then resolve inside the same document, and the
//! OpenAPI keywords around them are unknown keywords, which 2020-12 ignores.

use std::path::Path;

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Doc {
    Auth,
    Resource,
    WalletAddress,
}

fn load(doc: Doc) -> Value {
    let name = match doc {
        Doc::Auth => "auth-server.yaml",
        Doc::Resource => "resource-server.yaml",
        Doc::WalletAddress => "wallet-address-server.yaml",
    };
    let path = Path::new(super::OPENAPI_DIR).join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let mut document = serde_norway::from_str(&text).unwrap();
    drop_ref_siblings(&mut document);
    document
}

/// `list-incoming-payments` and `list-outgoing-payments` put
/// `additionalProperties: false` beside the `$ref` of their items. Under
/// JSON Schema 2020-12 that sibling applies too and, with no `properties` next
/// to it, forbids every property, so even the spec's own examples fail. OpenAPI
/// tooling of the 3.0 era ignores `$ref` siblings; do the same for that one
/// keyword, and only where it has no `properties` beside it.
fn drop_ref_siblings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("$ref") && !map.contains_key("properties") {
                map.remove("additionalProperties");
            }
            map.values_mut().for_each(drop_ref_siblings);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_ref_siblings),
        _ => {}
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The JSON pointer of a response schema, following a `$ref` to
/// `#/components/responses/…`; `None` if the document has none.
#[allow(dead_code)] // used by the sandbox's tests, which include this file
pub(crate) fn response_schema(doc: Doc, path: &str, method: &str, status: u16) -> Option<String> {
    let document = load(doc);
    let response = format!("/paths/{}/{method}/responses/{status}", escape(path));
    let response = match document
        .pointer(&response)?
        .get("$ref")
        .and_then(Value::as_str)
    {
        Some(reference) => reference.trim_start_matches('#').to_owned(),
        None => response,
    };
    let pointer = format!("{response}/content/{}/schema", escape("application/json"));
    document.pointer(&pointer).is_some().then_some(pointer)
}

/// Validates `instance` against the schema at `pointer` of `doc`.
pub(crate) fn validate_at(doc: Doc, pointer: &str, instance: &Value) {
    let mut document = load(doc);
    assert!(
        document.pointer(pointer).is_some(),
        "the OpenAPI document has no schema at {pointer}"
    );
    // A URI fragment: `{id}` must be percent-encoded there.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    document["$ref"] = Value::String(format!("#{fragment}"));
    let validator = jsonschema::draft202012::options()
        .build(&document)
        .unwrap_or_else(|error| panic!("schema at {pointer} does not compile: {error}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{pointer} does not match:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Where a body sits: `None` for the request body, `Some(status)` for a response.
pub(crate) fn validate(doc: Doc, path: &str, method: &str, status: Option<u16>, instance: &Value) {
    let media = match status {
        None => format!("requestBody/content/{}", escape("application/json")),
        Some(status) => format!("responses/{status}/content/{}", escape("application/json")),
    };
    let pointer = format!("/paths/{}/{method}/{media}/schema", escape(path));
    validate_at(doc, &pointer, instance);
}

/// Validates JSON text.
pub(crate) fn validate_text(doc: Doc, path: &str, method: &str, status: Option<u16>, text: &[u8]) {
    let instance: Value = serde_json::from_slice(text).unwrap();
    validate(doc, path, method, status, &instance);
}
