//! Wallet previews and registration checks against the sandbox wallet over
//! loopback HTTP: every answer a person can get when connecting a wallet.

use consent_desk_identity::wallet::{check_registration, preview};
use consent_desk_identity::{Registration, WalletError};
use consent_desk_protocol::{KeyId, SigningKey};
use consent_desk_sandbox::Sandbox;

async fn admin(base: &url::Url, path: &str, body: serde_json::Value) {
    let status = reqwest_like_post(base.join(path).unwrap(), body).await;
    assert_eq!(status, 201, "POST {path}");
}

/// A POST without another HTTP client dependency: the protocol crate's
/// transport is reqwest already, so reuse it through `http`.
async fn reqwest_like_post(url: url::Url, body: serde_json::Value) -> u16 {
    use consent_desk_protocol::Transport as _;
    let http = reqwest::Client::new();
    let request = consent_desk_protocol::http::Request::post(url.as_str())
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    http.send(request).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn previews_say_exactly_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(dir.path()).start().await.unwrap();
    let base = sandbox.base_url().clone();

    let alice = preview(sandbox.wallet_address("alice").as_str(), true)
        .await
        .unwrap();
    assert_eq!(alice.public_name, "Alice Sandbox");
    assert_eq!((alice.asset_code.as_str(), alice.asset_scale), ("USD", 2));
    assert_eq!(alice.auth_server, sandbox.auth_server());

    // Plain http to loopback only with the option.
    let error = preview(sandbox.wallet_address("alice").as_str(), false)
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::NotHttps { .. }), "{error}");

    let error = preview("not a url at all", true).await.unwrap_err();
    assert!(matches!(error, WalletError::InvalidUrl { .. }), "{error}");

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let error = preview(&format!("http://127.0.0.1:{port}/alice"), true)
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::Unreachable { .. }), "{error}");

    // A server that answers, but not as a wallet.
    let error = preview(base.join("healthz").unwrap().as_str(), true)
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::NotAWallet { .. }), "{error}");
    let error = preview(base.join("nobody").unwrap().as_str(), true)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("HTTP 404"), "{error}");

    // A wallet without a public name cannot ask for interactive grants.
    admin(
        &base,
        "admin/wallet-addresses",
        serde_json::json!({"name": "nameless"}),
    )
    .await;
    let error = preview(sandbox.wallet_address("nameless").as_str(), true)
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::NoPublicName { .. }), "{error}");
    assert!(error.to_string().contains("public name"), "{error}");
}

#[tokio::test]
async fn registration_turns_green_only_for_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(dir.path()).start().await.unwrap();
    let base = sandbox.base_url().clone();
    admin(
        &base,
        "admin/wallet-addresses",
        serde_json::json!({"name": "me", "publicName": "Me"}),
    )
    .await;
    let wallet = sandbox.wallet_address("me");
    let key_id = KeyId::new("desk-1").unwrap();
    let jwk = SigningKey::generate().public_jwk(&key_id);

    assert_eq!(
        check_registration(&wallet, &jwk, true).await.unwrap(),
        Registration::KidMissing { published: vec![] }
    );
    // Another key under the same id.
    let other = SigningKey::generate().public_jwk(&key_id);
    admin(
        &base,
        "admin/wallet-addresses/me/keys",
        serde_json::to_value(&other).unwrap(),
    )
    .await;
    let state = check_registration(&wallet, &jwk, true).await.unwrap();
    assert_eq!(state, Registration::DifferentKey);
    assert!(state.describe("desk-1").contains("different key"));
    // The right key: green.
    admin(
        &base,
        "admin/wallet-addresses/me/keys",
        serde_json::to_value(&jwk).unwrap(),
    )
    .await;
    assert_eq!(
        check_registration(&wallet, &jwk, true).await.unwrap(),
        Registration::Registered
    );
    // A key id that is not there, while others are.
    let missing = SigningKey::generate().public_jwk(&KeyId::new("desk-2").unwrap());
    let state = check_registration(&wallet, &missing, true).await.unwrap();
    assert_eq!(
        state,
        Registration::KidMissing {
            published: vec!["desk-1".into()]
        }
    );
    assert!(state.describe("desk-2").contains("`desk-1`"));
}
