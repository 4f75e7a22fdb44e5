//! The resource server (`resource-server.yaml`) under `/rs`: incoming payments,
//! quotes, outgoing payments and grant spent amounts.
//!
//! Every authenticated call is checked as Rafiki checks it: the GNAP access
//! token must be active (401 `Invalid Token`, 403 `Inactive Token`), the
//! request signed by the grant's client, and the grant must hold the action
//! for that wallet address (403 `Insufficient Grant`). `read` and `list` see
//! only what the same client created; `read-all` and `list-all` see all.
//! Outgoing payments are checked against the grant's limits (amount, receiver,
//! per-interval budget; past them Rafiki's 403 `unauthorized`) and move money
//! in one transaction, less the sending wallet's fee.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use consent_desk_protocol::{
    AccessItem, Amount, CreateIncomingPayment, CreateOutgoingPayment, CreateQuote,
    GrantSpentAmounts, IncomingPayment, IncomingPaymentAction, LimitAmount, OutgoingLimits,
    OutgoingPayment, OutgoingPaymentAction, Page, PageInfo, PaymentMethod, PublicIncomingPayment,
    Quote, QuoteAction, QuoteAmount,
};
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{ApiError, ApiResult};
use crate::rates::{for_debit, for_receive, Amounts, Asset};
use crate::signed::SignedRequest;
use crate::store::{
    Account, Cursor, Grant, GrantState, IncomingRow, OutgoingRow, PayRefusal, QuoteRow, Store,
};
use crate::{new_id, rfc3339_ms, unix_ms, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/rs/incoming-payments",
            post(create_incoming).get(list_incoming),
        )
        .route("/rs/incoming-payments/{id}", get(get_incoming))
        .route(
            "/rs/incoming-payments/{id}/complete",
            post(complete_incoming),
        )
        .route("/rs/quotes", post(create_quote))
        .route("/rs/quotes/{id}", get(get_quote))
        .route(
            "/rs/outgoing-payments",
            post(create_outgoing).get(list_outgoing),
        )
        .route("/rs/outgoing-payments/{id}", get(get_outgoing))
        .route("/rs/outgoing-payment-grant", get(grant_spent))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Incoming,
    Outgoing,
    Quote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Read,
    List,
    Complete,
    /// Any outgoing-payment access (grant spent amounts).
    Any,
}

/// What an access token was found to allow.
struct Authorized {
    grant: Grant,
    /// The client identity stored on what it creates.
    client: String,
    /// `read-all` / `list-all`: sees what other clients created too.
    all: bool,
    limits: Option<OutgoingLimits>,
}

fn same_url(a: &Url, b: &Url) -> bool {
    a.as_str().trim_end_matches('/') == b.as_str().trim_end_matches('/')
}

/// Whether `actions` allow `action`, and whether through the `-all` form.
fn allows<A: Copy + PartialEq>(actions: &[A], exact: Option<A>, all: Option<A>) -> Option<bool> {
    if all.is_some_and(|all| actions.contains(&all)) {
        Some(true)
    } else if exact.is_some_and(|exact| actions.contains(&exact)) {
        Some(false)
    } else {
        None
    }
}

fn match_item(
    item: &AccessItem,
    kind: Kind,
    action: Action,
    wallet: Option<&Url>,
) -> Option<(bool, Option<OutgoingLimits>)> {
    use IncomingPaymentAction as I;
    use OutgoingPaymentAction as O;
    let identifier_ok = |identifier: Option<&Url>| match (identifier, wallet) {
        (None, _) => true,
        (Some(identifier), Some(wallet)) => same_url(identifier, wallet),
        (Some(_), None) => true,
    };
    match (kind, item) {
        (
            Kind::Incoming,
            AccessItem::IncomingPayment {
                actions,
                identifier,
            },
        ) => {
            if !identifier_ok(identifier.as_ref()) {
                return None;
            }
            let allowed = match action {
                Action::Create => allows(actions, Some(I::Create), None),
                Action::Complete => allows(actions, Some(I::Complete), None),
                Action::Read => allows(actions, Some(I::Read), Some(I::ReadAll)),
                Action::List => allows(actions, Some(I::List), Some(I::ListAll)),
                Action::Any => None,
            }?;
            Some((allowed, None))
        }
        (
            Kind::Outgoing,
            AccessItem::OutgoingPayment {
                actions,
                identifier,
                limits,
            },
        ) => {
            if !identifier_ok(Some(identifier)) {
                return None;
            }
            let allowed = match action {
                Action::Create => allows(actions, Some(O::Create), None),
                Action::Read => allows(actions, Some(O::Read), Some(O::ReadAll)),
                Action::List => allows(actions, Some(O::List), Some(O::ListAll)),
                Action::Any => Some(true),
                Action::Complete => None,
            }?;
            Some((allowed, limits.clone()))
        }
        (Kind::Quote, AccessItem::Quote { actions }) => {
            let allowed = match action {
                Action::Create => allows(actions, Some(QuoteAction::Create), None),
                Action::Read => {
                    allows(actions, Some(QuoteAction::Read), Some(QuoteAction::ReadAll))
                }
                _ => None,
            }?;
            Some((allowed, None))
        }
        _ => None,
    }
}

impl AppState {
    /// Checks the request's access token, signature and grant.
    async fn authorize(
        &self,
        request: &SignedRequest,
        kind: Kind,
        action: Action,
        wallet: Option<&Url>,
    ) -> ApiResult<Authorized> {
        let value = request.gnap_token().ok_or_else(ApiError::invalid_token)?;
        let token = self.store().token_by_value(value)?;
        let token = token
            .filter(|token| !token.revoked)
            .ok_or_else(ApiError::invalid_token)?;
        if token.expires_ms <= self.now_ms() {
            return Err(ApiError::inactive_token());
        }
        let grant = self
            .store()
            .grant(&token.grant_id)?
            .filter(|grant| grant.state == GrantState::Issued)
            .ok_or_else(ApiError::invalid_token)?;
        let client = self.resolve_client(&grant.client).await?;
        self.verify(request, &client)?;
        let found = grant
            .access
            .iter()
            .filter_map(|item| match_item(item, kind, action, wallet))
            .max_by_key(|(all, _)| *all);
        let Some((all, limits)) = found else {
            return Err(ApiError::insufficient_grant(
                "the grant lacks this action or wallet address",
            ));
        };
        Ok(Authorized {
            grant,
            client: client.id(),
            all,
            limits,
        })
    }

    fn local_account(&self, url: &Url, what: &str) -> ApiResult<Account> {
        let name = self.local_account_name(url).ok_or_else(|| {
            ApiError::invalid_request(format!(
                "{what} {url} is not a wallet address of this sandbox"
            ))
        })?;
        self.store()
            .account(&name)?
            .ok_or_else(|| ApiError::invalid_request(format!("{what} {url} does not exist")))
    }

    fn amount(value: u64, account: &Account) -> Amount {
        Amount {
            value,
            asset_code: account.asset_code.clone(),
            asset_scale: account.asset_scale,
        }
    }

    fn incoming_json(
        &self,
        row: &IncomingRow,
        account: &Account,
        with_methods: bool,
    ) -> IncomingPayment {
        IncomingPayment {
            id: self.resource_url("incoming-payments", &row.id),
            wallet_address: self.wallet_url(&account.name),
            completed: row.completed,
            incoming_amount: row
                .incoming_amount
                .map(|value| Self::amount(value, account)),
            received_amount: Self::amount(row.received, account),
            expires_at: row.expires_ms.map(rfc3339_ms),
            metadata: row.metadata.clone(),
            created_at: rfc3339_ms(row.created_ms),
            methods: with_methods.then(|| {
                // Stable per payment: the sandbox settles internally, but
                // clients expect a well-formed ILP method.
                let secret = Sha256::digest(format!("consent-desk-sandbox:{}", row.id).as_bytes());
                vec![PaymentMethod {
                    kind: "ilp".into(),
                    ilp_address: format!("test.consentdesk.{}", account.name),
                    shared_secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
                }]
            }),
        }
    }

    fn quote_json(&self, row: &QuoteRow, sender: &Account, receiver: &Account) -> Quote {
        Quote {
            id: self.resource_url("quotes", &row.id),
            wallet_address: self.wallet_url(&sender.name),
            receiver: self.resource_url("incoming-payments", &row.receiver),
            receive_amount: Self::amount(row.receive, receiver),
            debit_amount: Self::amount(row.debit, sender),
            method: "ilp".into(),
            expires_at: Some(rfc3339_ms(row.expires_ms)),
            created_at: rfc3339_ms(row.created_ms),
        }
    }

    fn outgoing_json(
        &self,
        row: &OutgoingRow,
        sender: &Account,
        receiver: &Account,
    ) -> OutgoingPayment {
        OutgoingPayment {
            id: self.resource_url("outgoing-payments", &row.id),
            wallet_address: self.wallet_url(&sender.name),
            quote_id: row
                .quote_id
                .as_ref()
                .map(|id| self.resource_url("quotes", id)),
            failed: row.failed,
            receiver: self.resource_url("incoming-payments", &row.receiver),
            receive_amount: Self::amount(row.receive, receiver),
            debit_amount: Self::amount(row.debit, sender),
            // Settlement is immediate: all of it was sent (the wallet's fee
            // taken off, as Rafiki counts `sentAmount`), or nothing.
            sent_amount: Self::amount(row.sent, sender),
            grant_spent_debit_amount: None,
            grant_spent_receive_amount: None,
            metadata: row.metadata.clone(),
            created_at: rfc3339_ms(row.created_ms),
        }
    }

    /// The incoming payment's row and its account, for a URL of ours.
    fn incoming_of(&self, url: &Url) -> ApiResult<(IncomingRow, Account)> {
        let id = self
            .local_resource_id(url, "incoming-payments")
            .ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "the receiver {url} is not an incoming payment of this sandbox"
                ))
            })?;
        let store = self.store();
        let row = store.incoming(&id)?.ok_or_else(|| {
            ApiError::invalid_request(format!("the incoming payment {url} does not exist"))
        })?;
        if self.gone(&row) {
            // What Rafiki answers for a receiver it cannot resolve.
            return Err(ApiError::invalid_request("invalid receiver"));
        }
        let account = store
            .account(&row.account)?
            .ok_or_else(|| ApiError::not_found("the incoming payment's account is gone"))?;
        Ok((row, account))
    }

    fn accepts_money(&self, row: &IncomingRow) -> ApiResult<()> {
        if row.completed {
            return Err(ApiError::invalid_request(
                "the incoming payment is completed and accepts no more money",
            ));
        }
        if row.expires_ms.is_some_and(|at| at <= self.now_ms()) {
            // Rafiki resolves an expired receiver to nothing: "invalid receiver".
            return Err(ApiError::invalid_request("invalid receiver"));
        }
        Ok(())
    }

    /// Expired with nothing received: Rafiki deletes these, so the sandbox
    /// treats them as gone (on its own clock).
    fn gone(&self, row: &IncomingRow) -> bool {
        row.received == 0 && row.expires_ms.is_some_and(|at| at <= self.now_ms())
    }
}

/// The longest an incoming payment lives: 30 days, Rafiki's
/// `INCOMING_PAYMENT_EXPIRY_MAX_MS`.
const MAX_INCOMING_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

fn not_found(what: &str) -> ApiError {
    ApiError::not_found(format!("{what} not found"))
}

impl AppState {
    /// The answer for a resource that does not exist: a bad token still gets
    /// 401/403 first, so the 404 tells nothing to whoever has no access.
    async fn missing(&self, request: &SignedRequest, kind: Kind, what: &str) -> ApiError {
        match self.authorize(request, kind, Action::Read, None).await {
            Err(error) => error,
            Ok(_) => not_found(what),
        }
    }
}

/// The visible client filter: `None` when the grant sees everything.
fn scope(auth: &Authorized) -> Option<&str> {
    (!auth.all).then_some(auth.client.as_str())
}

fn visible(auth: &Authorized, owner: Option<&String>) -> bool {
    auth.all || owner.is_some_and(|owner| *owner == auth.client)
}

fn cursor(query: &HashMap<String, String>) -> ApiResult<Cursor> {
    let size = |name: &str| -> ApiResult<Option<u32>> {
        query
            .get(name)
            .map(|text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid_request(format!(
                            "`{name}` must be a number from 1 to 100"
                        ))
                    })
            })
            .transpose()
    };
    let cursor = query.get("cursor").cloned();
    match (size("first")?, size("last")?) {
        (Some(_), Some(_)) => Err(ApiError::invalid_request(
            "give `first` or `last`, not both",
        )),
        (None, Some(last)) => Ok(Cursor::Backward {
            last,
            before: cursor.ok_or_else(|| ApiError::invalid_request("`last` needs a `cursor`"))?,
        }),
        (first, None) => Ok(Cursor::Forward {
            first: first.unwrap_or(10),
            after: cursor,
        }),
    }
}

fn list_wallet(query: &HashMap<String, String>) -> ApiResult<Url> {
    let text = query.get("wallet-address").ok_or_else(|| {
        ApiError::invalid_request("the `wallet-address` query parameter is required")
    })?;
    Url::parse(text).map_err(|_| ApiError::invalid_request(format!("`{text}` is not a URL")))
}

fn page_info(ids: Vec<String>, has_next: bool, has_previous: bool) -> PageInfo {
    PageInfo {
        start_cursor: ids.first().cloned(),
        end_cursor: ids.last().cloned(),
        has_next_page: has_next,
        has_previous_page: has_previous,
    }
}

// ---- incoming payments ------------------------------------------------------

#[tracing::instrument(name = "rs.incoming_create", skip_all)]
async fn create_incoming(
    State(state): State<AppState>,
    request: SignedRequest,
) -> ApiResult<(StatusCode, Json<IncomingPayment>)> {
    let body: CreateIncomingPayment = request.json()?;
    let auth = state
        .authorize(
            &request,
            Kind::Incoming,
            Action::Create,
            Some(&body.wallet_address),
        )
        .await?;
    let account = state.local_account(&body.wallet_address, "walletAddress")?;
    if let Some(amount) = &body.incoming_amount {
        if amount.asset_code != account.asset_code || amount.asset_scale != account.asset_scale {
            return Err(ApiError::invalid_request(format!(
                "incomingAmount is in {} (scale {}), but the wallet holds {} (scale {})",
                amount.asset_code, amount.asset_scale, account.asset_code, account.asset_scale
            )));
        }
        if amount.value == 0 {
            return Err(ApiError::invalid_request(
                "incomingAmount must be more than zero",
            ));
        }
    }
    let now = state.now_ms();
    let latest = now.saturating_add(MAX_INCOMING_LIFETIME_MS);
    let expires_ms = body
        .expires_at
        .as_deref()
        .map(|text| {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(unix_ms)
                .map_err(|_| {
                    ApiError::invalid_request(format!(
                        "expiresAt `{text}` is not an RFC 3339 date-time"
                    ))
                })
        })
        .transpose()?;
    if expires_ms.is_some_and(|at| at <= now) {
        return Err(ApiError::invalid_request("expiresAt must be in the future"));
    }
    // Rafiki caps an incoming payment's life at 30 days, and gives that
    // when none is asked for.
    let expires_ms = Some(expires_ms.map_or(latest, |at| at.min(latest)));
    let row = IncomingRow {
        id: new_id(),
        account: account.name.clone(),
        client: Some(auth.client),
        incoming_amount: body.incoming_amount.map(|amount| amount.value),
        received: 0,
        completed: false,
        expires_ms,
        metadata: body.metadata,
        created_ms: now,
    };
    state.store().insert_incoming(&row)?;
    Ok((
        StatusCode::CREATED,
        Json(state.incoming_json(&row, &account, true)),
    ))
}

#[tracing::instrument(name = "rs.incoming_get", skip_all, fields(%id))]
async fn get_incoming(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let found = state.store().incoming(&id)?;
    if found.is_none_or(|row| state.gone(&row)) {
        if request.headers.get("authorization").is_none() {
            return Err(not_found("incoming payment"));
        }
        return Err(state
            .missing(&request, Kind::Incoming, "incoming payment")
            .await);
    }
    let (row, account) = {
        let store = state.store();
        let row = store
            .incoming(&id)?
            .ok_or_else(|| not_found("incoming payment"))?;
        let account = store
            .account(&row.account)?
            .ok_or_else(|| not_found("incoming payment"))?;
        (row, account)
    };
    if request.headers.get("authorization").is_none() {
        // The public view: enough for a payer's wallet to find the receiver's
        // authorization server.
        return Ok(Json(PublicIncomingPayment {
            received_amount: Some(AppState::amount(row.received, &account)),
            auth_server: state.auth_server(),
        })
        .into_response());
    }
    let wallet = state.wallet_url(&account.name);
    let auth = state
        .authorize(&request, Kind::Incoming, Action::Read, Some(&wallet))
        .await?;
    if !visible(&auth, row.client.as_ref()) {
        return Err(not_found("incoming payment"));
    }
    Ok(Json(state.incoming_json(&row, &account, true)).into_response())
}

#[tracing::instrument(name = "rs.incoming_list", skip_all)]
async fn list_incoming(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    request: SignedRequest,
) -> ApiResult<Json<Page<IncomingPayment>>> {
    let wallet = list_wallet(&query)?;
    let cursor = cursor(&query)?;
    let auth = state
        .authorize(&request, Kind::Incoming, Action::List, Some(&wallet))
        .await?;
    let account = state.local_account(&wallet, "wallet-address")?;
    let page = state
        .store()
        .list_incoming(&account.name, scope(&auth), &cursor)?;
    let ids = page.rows.iter().map(|row| row.id.clone()).collect();
    Ok(Json(Page {
        pagination: page_info(ids, page.has_next, page.has_previous),
        result: page
            .rows
            .iter()
            .map(|row| state.incoming_json(row, &account, false))
            .collect(),
    }))
}

#[tracing::instrument(name = "rs.incoming_complete", skip_all, fields(%id))]
async fn complete_incoming(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<IncomingPayment>> {
    let account = {
        let store = state.store();
        let row = store
            .incoming(&id)?
            .ok_or_else(|| not_found("incoming payment"))?;
        store
            .account(&row.account)?
            .ok_or_else(|| not_found("incoming payment"))?
    };
    let wallet = state.wallet_url(&account.name);
    state
        .authorize(&request, Kind::Incoming, Action::Complete, Some(&wallet))
        .await?;
    state.store().complete_incoming(&id)?;
    let row = state
        .store()
        .incoming(&id)?
        .ok_or_else(|| not_found("incoming payment"))?;
    Ok(Json(state.incoming_json(&row, &account, false)))
}

// ---- quotes -------------------------------------------------------------------

#[tracing::instrument(name = "rs.quote_create", skip_all)]
async fn create_quote(
    State(state): State<AppState>,
    request: SignedRequest,
) -> ApiResult<(StatusCode, Json<Quote>)> {
    let body: CreateQuote = request.json()?;
    let auth = state
        .authorize(
            &request,
            Kind::Quote,
            Action::Create,
            Some(&body.wallet_address),
        )
        .await?;
    if body.method != "ilp" {
        return Err(ApiError::invalid_request(format!(
            "method `{}` is not supported: use ilp",
            body.method
        )));
    }
    let sender = state.local_account(&body.wallet_address, "walletAddress")?;
    let (incoming, receiver) = state.incoming_of(&body.receiver)?;
    state.accepts_money(&incoming)?;
    let from = Asset {
        code: &sender.asset_code,
        scale: sender.asset_scale,
    };
    let to = Asset {
        code: &receiver.asset_code,
        scale: receiver.asset_scale,
    };
    let remaining = incoming
        .incoming_amount
        .map(|expected| expected.saturating_sub(incoming.received));
    let unconvertible = || {
        ApiError::invalid_request(format!(
            "the sandbox cannot convert {} to {}",
            sender.asset_code, receiver.asset_code
        ))
    };
    let fee = state.fee_for(&sender.asset_code);
    let Amounts {
        debit,
        sent,
        receive,
    } = match body.amount {
        Some(QuoteAmount::DebitAmount(amount)) => {
            if amount.asset_code != sender.asset_code || amount.asset_scale != sender.asset_scale {
                return Err(ApiError::invalid_request(
                    "debitAmount must be in the sending wallet's asset and scale",
                ));
            }
            if fee.on(amount.value).is_some_and(|fee| fee >= amount.value) {
                return Err(ApiError::invalid_request(format!(
                    "debitAmount {} does not cover the wallet's fee of {}: send more",
                    amount.value,
                    fee.on(amount.value).unwrap_or_default()
                )));
            }
            for_debit(amount.value, fee, from, to).ok_or_else(unconvertible)?
        }
        Some(QuoteAmount::ReceiveAmount(amount)) => {
            if amount.asset_code != receiver.asset_code
                || amount.asset_scale != receiver.asset_scale
            {
                return Err(ApiError::invalid_request(
                    "receiveAmount must be in the receiving wallet's asset and scale",
                ));
            }
            for_receive(amount.value, fee, from, to).ok_or_else(unconvertible)?
        }
        None => {
            let receive = remaining.ok_or_else(|| {
                ApiError::invalid_request(
                    "the incoming payment has no incomingAmount: give debitAmount or receiveAmount",
                )
            })?;
            for_receive(receive, fee, from, to).ok_or_else(unconvertible)?
        }
    };
    if receive == 0 {
        return Err(ApiError::invalid_request(
            "the amount is too small to deliver anything",
        ));
    }
    if let Some(remaining) = remaining.filter(|remaining| receive > *remaining) {
        return Err(ApiError::invalid_request(format!(
            "the incoming payment expects only {remaining} more (in its smallest unit)"
        )));
    }
    let now = state.now_ms();
    let lifetime = i64::try_from(state.0.timing.quote.as_millis()).unwrap_or(i64::MAX);
    let row = QuoteRow {
        id: new_id(),
        account: sender.name.clone(),
        client: Some(auth.client),
        receiver: incoming.id,
        debit,
        sent,
        receive,
        expires_ms: now.saturating_add(lifetime),
        created_ms: now,
        used: false,
    };
    state.store().insert_quote(&row)?;
    Ok((
        StatusCode::CREATED,
        Json(state.quote_json(&row, &sender, &receiver)),
    ))
}

#[tracing::instrument(name = "rs.quote_get", skip_all, fields(%id))]
async fn get_quote(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<Quote>> {
    if state.store().quote(&id)?.is_none() {
        return Err(state.missing(&request, Kind::Quote, "quote").await);
    }
    let (row, sender, receiver) = {
        let store = state.store();
        let row = store.quote(&id)?.ok_or_else(|| not_found("quote"))?;
        let sender = store
            .account(&row.account)?
            .ok_or_else(|| not_found("quote"))?;
        let incoming = store
            .incoming(&row.receiver)?
            .ok_or_else(|| not_found("quote"))?;
        let receiver = store
            .account(&incoming.account)?
            .ok_or_else(|| not_found("quote"))?;
        (row, sender, receiver)
    };
    let wallet = state.wallet_url(&sender.name);
    let auth = state
        .authorize(&request, Kind::Quote, Action::Read, Some(&wallet))
        .await?;
    if !visible(&auth, row.client.as_ref()) {
        return Err(not_found("quote"));
    }
    Ok(Json(state.quote_json(&row, &sender, &receiver)))
}

// ---- outgoing payments ------------------------------------------------------

/// The grant's budget window at `now`: the current interval of a recurring
/// grant, all time otherwise.
fn budget_window(state: &AppState, limits: Option<&OutgoingLimits>) -> ApiResult<(i64, i64)> {
    match limits.and_then(|limits| limits.interval.as_ref()) {
        None => Ok((i64::MIN, i64::MAX)),
        Some(interval) => interval
            .current(state.now())
            .map(|bounds| (unix_ms(bounds.start), unix_ms(bounds.end)))
            .ok_or_else(|| ApiError::insufficient_grant("outside the grant's interval")),
    }
}

/// A payment past the grant's limits (amount, receiver, interval): Rafiki
/// answers 403 with the description "unauthorized" here, not "Insufficient
/// Grant" (that one is for a missing action or wallet address).
fn over_limit() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", "unauthorized")
}

/// Refuses a payment that would go past the grant's limits.
fn check_limits(
    store: &Store,
    auth: &Authorized,
    window: (i64, i64),
    receiver: &Url,
    debit: &Amount,
    receive: &Amount,
) -> ApiResult<()> {
    let Some(limits) = &auth.limits else {
        return Ok(());
    };
    if limits
        .receiver
        .as_ref()
        .is_some_and(|allowed| !same_url(allowed, receiver))
    {
        tracing::info!("over the grant's limit: another receiver");
        return Err(over_limit());
    }
    let (spent_debit, spent_receive, _) = store.spent(&auth.grant.id, window.0, window.1)?;
    let over = |limit: &Amount, spent: u64, this: &Amount| {
        limit.asset_code != this.asset_code
            || limit.asset_scale != this.asset_scale
            || spent
                .checked_add(this.value)
                .is_none_or(|total| total > limit.value)
    };
    match &limits.amount {
        Some(LimitAmount::Debit(limit)) if over(limit, spent_debit, debit) => {
            tracing::info!("over the grant's limit: debitAmount budget spent");
            Err(over_limit())
        }
        Some(LimitAmount::Receive(limit)) if over(limit, spent_receive, receive) => {
            tracing::info!("over the grant's limit: receiveAmount budget spent");
            Err(over_limit())
        }
        _ => Ok(()),
    }
}

#[tracing::instrument(name = "rs.outgoing_create", skip_all)]
async fn create_outgoing(
    State(state): State<AppState>,
    request: SignedRequest,
) -> ApiResult<(StatusCode, Json<OutgoingPayment>)> {
    let body: CreateOutgoingPayment = request.json()?;
    let (wallet, metadata) = match &body {
        CreateOutgoingPayment::FromQuote {
            wallet_address,
            metadata,
            ..
        }
        | CreateOutgoingPayment::FromIncomingPayment {
            wallet_address,
            metadata,
            ..
        } => (wallet_address.clone(), metadata.clone()),
    };
    let auth = state
        .authorize(&request, Kind::Outgoing, Action::Create, Some(&wallet))
        .await?;
    let sender = state.local_account(&wallet, "walletAddress")?;
    let now = state.now_ms();
    let (quote_id, incoming_url, amounts) = match &body {
        CreateOutgoingPayment::FromQuote { quote_id, .. } => {
            let id = state.local_resource_id(quote_id, "quotes").ok_or_else(|| {
                ApiError::invalid_request(format!("{quote_id} is not a quote of this sandbox"))
            })?;
            let quote = state.store().quote(&id)?.ok_or_else(|| {
                ApiError::invalid_request(format!("the quote {quote_id} does not exist"))
            })?;
            if quote.account != sender.name {
                return Err(ApiError::invalid_request(
                    "the quote belongs to another wallet address",
                ));
            }
            if quote.expires_ms <= now {
                return Err(ApiError::invalid_request(
                    "the quote has expired: create a new one",
                ));
            }
            let receiver = state.resource_url("incoming-payments", &quote.receiver);
            let amounts = Amounts {
                debit: quote.debit,
                sent: quote.sent,
                receive: quote.receive,
            };
            (Some(quote.id), receiver, amounts)
        }
        CreateOutgoingPayment::FromIncomingPayment {
            incoming_payment,
            debit_amount,
            ..
        } => {
            if debit_amount.asset_code != sender.asset_code
                || debit_amount.asset_scale != sender.asset_scale
            {
                return Err(ApiError::invalid_request(
                    "debitAmount must be in the sending wallet's asset and scale",
                ));
            }
            let (_, receiver) = state.incoming_of(incoming_payment)?;
            let from = Asset {
                code: &sender.asset_code,
                scale: sender.asset_scale,
            };
            let to = Asset {
                code: &receiver.asset_code,
                scale: receiver.asset_scale,
            };
            let fee = state.fee_for(&sender.asset_code);
            let amounts = for_debit(debit_amount.value, fee, from, to).ok_or_else(|| {
                ApiError::invalid_request(
                    "the sandbox cannot convert between these assets, or the amount does not \
                     cover the wallet's fee",
                )
            })?;
            (None, incoming_payment.clone(), amounts)
        }
    };
    let (incoming, receiver) = state.incoming_of(&incoming_url)?;
    state.accepts_money(&incoming)?;
    let debit = AppState::amount(amounts.debit, &sender);
    let receive = AppState::amount(amounts.receive, &receiver);
    let window = budget_window(&state, auth.limits.as_ref()).map_err(|_| over_limit())?;
    let refused = state.faults().refuse_payments;
    let mut row = OutgoingRow {
        id: new_id(),
        account: sender.name.clone(),
        client: Some(auth.client.clone()),
        grant_id: auth.grant.id.clone(),
        quote_id,
        receiver: incoming.id.clone(),
        debit: amounts.debit,
        sent: amounts.sent,
        receive: amounts.receive,
        failed: false,
        metadata,
        created_ms: now,
    };
    // Limits and payment under one lock: two concurrent payments cannot both
    // fit into the same remaining budget.
    let (spent_debit, spent_receive) = {
        let mut store = state.store();
        check_limits(&store, &auth, window, &incoming_url, &debit, &receive)?;
        match store.pay(&mut row, refused.as_deref())? {
            Ok(()) => {}
            Err(PayRefusal::QuoteUsed) => {
                return Err(ApiError::invalid_request(
                    "the quote was already paid: create a new one",
                ))
            }
            Err(PayRefusal::ReceiverCompleted) => {
                return Err(ApiError::invalid_request(
                    "the incoming payment is completed",
                ))
            }
        }
        let (spent_debit, spent_receive, _) = store.spent(&auth.grant.id, window.0, window.1)?;
        (spent_debit, spent_receive)
    };
    tracing::info!(payment = %row.id, failed = row.failed, "outgoing payment created");
    let mut payment = state.outgoing_json(&row, &sender, &receiver);
    payment.grant_spent_debit_amount = Some(AppState::amount(spent_debit, &sender));
    payment.grant_spent_receive_amount = Some(AppState::amount(spent_receive, &receiver));
    Ok((StatusCode::CREATED, Json(payment)))
}

fn outgoing_accounts(state: &AppState, row: &OutgoingRow) -> ApiResult<(Account, Account)> {
    let store = state.store();
    let sender = store
        .account(&row.account)?
        .ok_or_else(|| not_found("outgoing payment"))?;
    let incoming = store
        .incoming(&row.receiver)?
        .ok_or_else(|| not_found("outgoing payment"))?;
    let receiver = store
        .account(&incoming.account)?
        .ok_or_else(|| not_found("outgoing payment"))?;
    Ok((sender, receiver))
}

#[tracing::instrument(name = "rs.outgoing_get", skip_all, fields(%id))]
async fn get_outgoing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<OutgoingPayment>> {
    let Some(row) = state.store().outgoing(&id)? else {
        return Err(state
            .missing(&request, Kind::Outgoing, "outgoing payment")
            .await);
    };
    let (sender, receiver) = outgoing_accounts(&state, &row)?;
    let wallet = state.wallet_url(&sender.name);
    let auth = state
        .authorize(&request, Kind::Outgoing, Action::Read, Some(&wallet))
        .await?;
    if !visible(&auth, row.client.as_ref()) {
        return Err(not_found("outgoing payment"));
    }
    Ok(Json(state.outgoing_json(&row, &sender, &receiver)))
}

#[tracing::instrument(name = "rs.outgoing_list", skip_all)]
async fn list_outgoing(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    request: SignedRequest,
) -> ApiResult<Json<Page<OutgoingPayment>>> {
    let wallet = list_wallet(&query)?;
    let cursor = cursor(&query)?;
    let auth = state
        .authorize(&request, Kind::Outgoing, Action::List, Some(&wallet))
        .await?;
    let sender = state.local_account(&wallet, "wallet-address")?;
    let page = state
        .store()
        .list_outgoing(&sender.name, scope(&auth), &cursor)?;
    let mut result = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        let (sender, receiver) = outgoing_accounts(&state, row)?;
        result.push(state.outgoing_json(row, &sender, &receiver));
    }
    let ids = page.rows.iter().map(|row| row.id.clone()).collect();
    Ok(Json(Page {
        pagination: page_info(ids, page.has_next, page.has_previous),
        result,
    }))
}

#[tracing::instrument(name = "rs.grant_spent", skip_all)]
async fn grant_spent(
    State(state): State<AppState>,
    request: SignedRequest,
) -> ApiResult<Json<GrantSpentAmounts>> {
    let auth = state
        .authorize(&request, Kind::Outgoing, Action::Any, None)
        .await?;
    let window = budget_window(&state, auth.limits.as_ref())
        // Outside the interval nothing is spent in "the current" one.
        .unwrap_or((0, 0));
    let (debit, receive, count) = state.store().spent(&auth.grant.id, window.0, window.1)?;
    if count == 0 {
        return Ok(Json(GrantSpentAmounts {
            spent_receive_amount: None,
            spent_debit_amount: None,
        }));
    }
    let identifier = auth.grant.access.iter().find_map(|item| match item {
        AccessItem::OutgoingPayment { identifier, .. } => Some(identifier.clone()),
        _ => None,
    });
    let sender = identifier
        .map(|url| state.local_account(&url, "identifier"))
        .transpose()?
        .ok_or_else(|| not_found("grant"))?;
    let receive_asset = match auth
        .limits
        .as_ref()
        .and_then(|limits| limits.amount.as_ref())
    {
        Some(LimitAmount::Receive(limit)) => (limit.asset_code.clone(), limit.asset_scale),
        _ => state
            .store()
            .last_receive_asset(&auth.grant.id)?
            .unwrap_or((sender.asset_code.clone(), sender.asset_scale)),
    };
    Ok(Json(GrantSpentAmounts {
        spent_debit_amount: Some(AppState::amount(debit, &sender)),
        spent_receive_amount: Some(Amount {
            value: receive,
            asset_code: receive_asset.0,
            asset_scale: receive_asset.1,
        }),
    }))
}
