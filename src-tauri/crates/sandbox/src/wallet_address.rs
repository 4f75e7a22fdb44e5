//! The wallet address server (`wallet-address-server.yaml`): `GET /{name}`,
//! `/{name}/jwks.json` and `/{name}/did.json`, all public.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use consent_desk_protocol::{Jwks, WalletAddress};

use crate::error::{ApiError, ApiResult};
use crate::store::Account;
use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/{name}", get(wallet_address))
        .route("/{name}/jwks.json", get(jwks))
        .route("/{name}/did.json", get(did))
}

impl AppState {
    pub(crate) fn wallet_address_of(&self, account: &Account) -> WalletAddress {
        WalletAddress {
            id: self.wallet_url(&account.name),
            public_name: account.public_name.clone(),
            asset_code: account.asset_code.clone(),
            asset_scale: account.asset_scale,
            auth_server: self.auth_server(),
            resource_server: self.resource_server(),
        }
    }

    pub(crate) fn account_named(&self, name: &str) -> ApiResult<Account> {
        self.store().account(name)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "there is no wallet address `{name}` in this sandbox; the seeded ones are alice, \
                 bob, carol, kenji and dave"
            ))
        })
    }
}

#[tracing::instrument(skip(state))]
async fn wallet_address(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<WalletAddress>> {
    let account = state.account_named(&name)?;
    Ok(Json(state.wallet_address_of(&account)))
}

#[tracing::instrument(skip(state))]
async fn jwks(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<Jwks>> {
    state.account_named(&name)?;
    Ok(Json(state.store().keys(&name)?))
}

/// A `did:web` document listing the same keys, so clients that read DID
/// documents find something well-formed.
#[tracing::instrument(skip(state))]
async fn did(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    state.account_named(&name)?;
    let keys = state.store().keys(&name)?;
    let url = state.wallet_url(&name);
    let host = url.host_str().unwrap_or("localhost");
    let port = url
        .port()
        .map(|port| format!("%3A{port}"))
        .unwrap_or_default();
    let id = format!("did:web:{host}{port}:{name}");
    let methods: Vec<_> = keys
        .keys
        .iter()
        .map(|key| {
            serde_json::json!({
                "id": format!("{id}#{}", key.kid.as_str()),
                "type": "JsonWebKey2020",
                "controller": id,
                "publicKeyJwk": key,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": id,
        "verificationMethod": methods,
    })))
}
