//! The sandbox wallet as the engine's payment and recovery tests meet it: a
//! client wallet `desk` whose key the test holds, and clients signing as it.

use consent_desk_protocol::{Client, ClientBuilder, KeyId, SigningKey};
use consent_desk_sandbox::{RunningSandbox, Sandbox, SandboxBuilder};

/// The sandbox (no waiting before continuing, as `configure` sets it up
/// further) with `desk` publishing a key made here under `key_id`; the key
/// (PKCS#8 PEM) and the sandbox's folder, kept while the sandbox runs.
pub(crate) async fn desk_sandbox(
    key_id: &str,
    configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder,
) -> (RunningSandbox, String, tempfile::TempDir) {
    let key = SigningKey::generate();
    let key_id = KeyId::new(key_id).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sandbox = configure(Sandbox::builder(dir.path()).wait_seconds(0).client_wallet(
        "desk",
        "Consent Desk",
        key.public_jwk(&key_id),
    ))
    .start()
    .await
    .unwrap();
    (sandbox, key.to_pkcs8_pem().to_string(), dir)
}

/// A client signing as `desk` with `key_pem` under `key_id`.
pub(crate) fn desk_client(sandbox: &RunningSandbox, key_pem: &str, key_id: &str) -> ClientBuilder {
    Client::builder()
        .key(
            SigningKey::from_pkcs8_pem(key_pem).unwrap(),
            KeyId::new(key_id).unwrap(),
        )
        .client_wallet(sandbox.wallet_address("desk").as_str())
        .allow_http_loopback(true)
}

/// What the sandbox account `name` holds, in its smallest unit.
// Not every test file reads balances.
#[allow(dead_code)]
pub(crate) fn balance(sandbox: &RunningSandbox, name: &str) -> u64 {
    sandbox
        .accounts()
        .unwrap()
        .into_iter()
        .find(|account| account.name == name)
        .unwrap()
        .balance
}
