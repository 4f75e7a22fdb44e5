//! Shared helpers of the `client` test binary: a loopback Open Payments server
//! that verifies signatures, fixture loading and OpenAPI validation.

pub(crate) mod openapi;
pub(crate) mod server;

use std::path::Path;

/// The Open Payments OpenAPI documents.
pub(crate) const OPENAPI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openapi");

/// A response fixture with `{base}` replaced by the server's address.
pub(crate) fn fixture(name: &str, base: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/responses")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("fixture {}: {error}", path.display()))
        .trim_end()
        .replace("{base}", base)
}
