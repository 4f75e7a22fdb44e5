//! Admin endpoints for QA and tests, answered to loopback callers only:
//! - `GET|PUT /admin/faults`: read or replace the fault switches ([`Faults`]);
//! - `GET|PUT /admin/fees`: read or replace the sending wallet's fee per asset
//!   (`{"USD": {"fixed": 10, "basisPoints": 100}}`; `{}` for none);
//! - `POST /admin/wallet-addresses`: create or replace a client wallet address;
//! - `POST /admin/wallet-addresses/{name}/keys`: publish a public JWK there;
//! - `GET /admin/accounts`: every account with its balance;
//! - `GET /admin/grants/{id}`: a grant's state, by grant id or continuation id
//!   (the last segment of the client's continue URI);
//! - `GET|PUT /admin/clock`: the sandbox's time; `{"advanceSeconds": n}` moves
//!   it on (recurring budgets renew, tokens and quotes expire);
//! - `POST /admin/reset`: drop grants and payments, restore seeded balances.
//!
//! [`Faults`]: crate::Faults

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use consent_desk_protocol::{Jwk, WalletAddress};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::store::Account;
use crate::{validate_name, AccountBalance, AppState, Faults};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/faults", get(get_faults).put(put_faults))
        .route("/admin/fees", get(get_fees).put(put_fees))
        .route("/admin/wallet-addresses", post(create_wallet))
        .route("/admin/wallet-addresses/{name}/keys", post(add_key))
        .route("/admin/accounts", get(accounts))
        .route("/admin/grants/{id}", get(grant))
        .route("/admin/clock", get(get_clock).put(put_clock))
        .route("/admin/reset", post(reset))
        .layer(axum::middleware::from_fn(loopback_only))
}

async fn loopback_only(request: Request, next: Next) -> Response {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
    if loopback {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the sandbox admin API answers loopback callers only",
        )
        .into_response()
    }
}

async fn get_faults(State(state): State<AppState>) -> Json<Faults> {
    Json(state.faults())
}

async fn put_faults(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Faults>> {
    let faults: Faults = serde_json::from_slice(&body).map_err(|error| {
        ApiError::invalid_request(format!("the fault switches are invalid: {error}"))
    })?;
    state.set_faults(faults.clone());
    Ok(Json(faults))
}

async fn get_fees(State(state): State<AppState>) -> Json<crate::Fees> {
    Json(state.fees())
}

async fn put_fees(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<Json<crate::Fees>> {
    let fees: crate::Fees = serde_json::from_slice(&body).map_err(|error| {
        ApiError::invalid_request(format!(
            "the fees are invalid ({error}); send {{\"USD\": {{\"fixed\": 10, \"basisPoints\": 100}}}}"
        ))
    })?;
    if let Some((asset, _)) = fees.iter().find(|(_, fee)| fee.basis_points > 10_000) {
        return Err(ApiError::invalid_request(format!(
            "the fee for {asset} is more than 100% (basisPoints at most 10000)"
        )));
    }
    state.set_fees(fees.clone());
    Ok(Json(fees))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewWallet {
    name: String,
    public_name: Option<String>,
    #[serde(default = "usd")]
    asset_code: String,
    #[serde(default = "two")]
    asset_scale: u8,
    #[serde(default)]
    balance: Option<consent_desk_protocol::Amount>,
}

fn usd() -> String {
    "USD".into()
}

fn two() -> u8 {
    2
}

#[tracing::instrument(name = "admin.wallet", skip_all)]
async fn create_wallet(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<WalletAddress>)> {
    let wallet: NewWallet = serde_json::from_slice(&body).map_err(|error| {
        ApiError::invalid_request(format!("the wallet address is invalid: {error}"))
    })?;
    validate_name(&wallet.name).map_err(ApiError::invalid_request)?;
    if crate::store::SEED_ACCOUNTS
        .iter()
        .any(|seeded| seeded.0 == wallet.name)
    {
        return Err(ApiError::invalid_request(format!(
            "`{}` is a seeded account; choose another name for a client",
            wallet.name
        )));
    }
    let account = Account {
        name: wallet.name.clone(),
        public_name: wallet.public_name,
        asset_code: wallet.asset_code,
        asset_scale: wallet.asset_scale,
        balance: wallet.balance.map_or(0, |amount| amount.value),
        client: true,
    };
    {
        let mut store = state.store();
        // Replacing a client starts its key set afresh.
        store.upsert_account(&account, true)?;
        store.clear_keys(&account.name)?;
    }
    Ok((StatusCode::CREATED, Json(state.wallet_address_of(&account))))
}

#[tracing::instrument(name = "admin.key", skip_all, fields(%name))]
async fn add_key(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Jwk>)> {
    let jwk: Jwk = serde_json::from_slice(&body)
        .map_err(|error| ApiError::invalid_request(format!("the JWK is invalid: {error}")))?;
    jwk.check()
        .map_err(|error| ApiError::invalid_request(error.to_string()))?;
    state.account_named(&name)?;
    state.store().add_key(&name, &jwk)?;
    Ok((StatusCode::CREATED, Json(jwk)))
}

async fn accounts(State(state): State<AppState>) -> ApiResult<Json<Vec<AccountBalance>>> {
    Ok(Json(state.account_balances()?))
}

/// The sandbox's time.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ClockView {
    /// RFC 3339.
    now: String,
    /// How far the admin API moved it on, in seconds.
    offset_seconds: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockChange {
    advance_seconds: u32,
}

fn clock_view(state: &AppState) -> Json<ClockView> {
    Json(ClockView {
        now: state
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        offset_seconds: state.clock_offset(),
    })
}

async fn get_clock(State(state): State<AppState>) -> Json<ClockView> {
    clock_view(&state)
}

async fn put_clock(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ClockView>> {
    let change: ClockChange = serde_json::from_slice(&body).map_err(|error| {
        ApiError::invalid_request(format!(
            "the clock change is invalid ({error}); send {{\"advanceSeconds\": 86400}}"
        ))
    })?;
    state.advance_clock(change.advance_seconds);
    Ok(clock_view(&state))
}

/// What QA needs to see of a grant; its tokens stay out.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantSummary {
    id: String,
    /// `pending`, `approved`, `rejected`, `issued` or `revoked` (also after a
    /// client's cancel).
    state: crate::store::GrantState,
    continue_id: String,
    created_ms: i64,
}

async fn grant(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantSummary>> {
    let found = {
        let store = state.store();
        match store.grant(&id)? {
            Some(grant) => Some(grant),
            None => store.grant_by_continue_id(&id)?,
        }
    };
    let grant = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no grant has the id or continuation id `{id}`"),
        )
    })?;
    Ok(Json(GrantSummary {
        id: grant.id,
        state: grant.state,
        continue_id: grant.continue_id,
        created_ms: grant.created_ms,
    }))
}

#[tracing::instrument(name = "admin.reset", skip_all)]
async fn reset(State(state): State<AppState>) -> ApiResult<StatusCode> {
    state.store().reset()?;
    Ok(StatusCode::NO_CONTENT)
}
