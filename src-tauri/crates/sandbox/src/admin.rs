//! Admin endpoints for QA and tests, answered to loopback callers only, and
//! only to requests no web page can make (see [`guard`]):
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
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use consent_desk_protocol::{Jwk, WalletAddress};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::store::Account;
use crate::{validate_name, AccountBalance, AppState, Faults};

pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/faults", get(get_faults).put(put_faults))
        .route("/admin/fees", get(get_fees).put(put_fees))
        .route("/admin/wallet-addresses", post(create_wallet))
        .route("/admin/wallet-addresses/{name}/keys", post(add_key))
        .route("/admin/accounts", get(accounts))
        .route("/admin/grants/{id}", get(grant))
        .route("/admin/clock", get(get_clock).put(put_clock))
        .route("/admin/reset", post(reset))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
}

/// Refuses, with 403 and a sentence saying why, any admin request that a
/// program on this computer did not make on purpose.
///
/// Loopback alone is not enough: every web page the person opens runs on
/// this computer too. A page can send a cross-site `POST` with a `text/plain`
/// or form body without a CORS preflight, and one under a DNS name that
/// rebinds to 127.0.0.1 reaches the sandbox as its own origin. So a request
/// also needs
/// - a `Host` naming the sandbox (127.0.0.1, `[::1]` or `localhost`, at its
///   port), not some other name that resolves here;
/// - no `Origin`, or the sandbox's own (pages of other sites send theirs);
/// - no `Sec-Fetch-Site` other than `same-origin` or `none`;
/// - for anything but `GET`/`HEAD`, `Content-Type: application/json`, which a
///   page can send cross-site only after a preflight the sandbox never
///   allows.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
    let refused = if loopback {
        cross_site(state.base(), request.method(), request.headers())
    } else {
        Some("the sandbox admin API answers callers on this computer (loopback) only".to_owned())
    };
    match refused {
        None => next.run(request).await,
        Some(why) => {
            tracing::warn!(method = %request.method(), path = request.uri().path(), %why, "admin request refused");
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", why).into_response()
        }
    }
}

/// Why a loopback request to the admin API could have come from a web page,
/// or `None` when it could not.
fn cross_site(base: &url::Url, method: &Method, headers: &HeaderMap) -> Option<String> {
    let shown = |value: &str| consent_desk_protocol::excerpt(value).into_owned();
    let own = base.origin().ascii_serialization();
    let Some(host) = headers.get(header::HOST) else {
        return Some(format!(
            "the request has no Host header; the sandbox admin API answers requests addressed \
             to {own} only"
        ));
    };
    let host = String::from_utf8_lossy(host.as_bytes());
    if !is_own_authority(base, &host) {
        return Some(format!(
            "the request is addressed to `{}`, not to the sandbox ({own} or localhost at its \
             port): a web page reaching the sandbox through another name is refused",
            shown(&host)
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let own_origin = url::Url::parse(&origin).ok().is_some_and(|url| {
            url.scheme() == base.scheme()
                && url.path() == "/"
                && url
                    .host_str()
                    .is_some_and(|name| is_own_authority(base, &authority(name, url.port())))
        });
        if !own_origin {
            return Some(format!(
                "the request comes from the web page `{}`, not from the sandbox ({own}): web \
                 pages may not use the sandbox admin API",
                shown(&origin)
            ));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return Some(format!(
                "the request comes from a web page of another site (Sec-Fetch-Site: {}): web \
                 pages may not use the sandbox admin API",
                shown(&String::from_utf8_lossy(site.as_bytes()))
            ));
        }
    }
    if method != Method::GET && method != Method::HEAD {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let json = content_type.as_deref().is_some_and(|value| {
            value
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
        });
        if !json {
            return Some(format!(
                "a {method} to the sandbox admin API must send `Content-Type: application/json` \
                 (this one sent {}): a form or text/plain post, which any web page can make, is \
                 refused; with curl, add -H 'content-type: application/json'",
                content_type
                    .map_or_else(|| "none".to_owned(), |value| format!("`{}`", shown(&value)))
            ));
        }
    }
    None
}

/// `host[:port]` as a `Host` header writes it.
fn authority(host: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `value` (a `Host` header) names the sandbox: its own address or a
/// loopback name, at its port (the port may be left out only when it is the
/// scheme's default).
fn is_own_authority(base: &url::Url, value: &str) -> bool {
    let Some(port) = base.port_or_known_default() else {
        return false;
    };
    let value = value.trim().to_ascii_lowercase();
    let default_port = base.port().is_none();
    let names = [
        base.host_str().unwrap_or_default().to_ascii_lowercase(),
        "127.0.0.1".to_owned(),
        "[::1]".to_owned(),
        "localhost".to_owned(),
    ];
    names
        .iter()
        .any(|name| value == format!("{name}:{port}") || (default_port && value == *name))
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
