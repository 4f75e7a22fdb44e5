//! The GNAP authorization server (`auth-server.yaml`) and the AS side of the
//! AS–IdP interface (`auth-server-idp.yaml`), with Rafiki 2.x's behaviour:
//! - `POST /auth/{tenantId}`: grant request (the `authServer` is per tenant;
//!   `/auth` alone answers 404). Outgoing-payment access needs interaction;
//!   incoming-payment and quote access is granted at once.
//! - `POST|DELETE /auth/continue/{id}`: continue (with `interact_ref`, after
//!   `wait`, once) or cancel.
//! - `POST|DELETE /auth/token/{id}`: rotate (new value and new manage URL) or
//!   revoke an access token.
//! - `GET /auth/interact/{id}/{nonce}`: starts the interaction: binds a session
//!   cookie and redirects to the IdP's consent page with `interactId`, `nonce`,
//!   `clientName` and `clientUri`.
//! - `GET /auth/interact/{id}/{nonce}/finish`: redirects to the client's finish
//!   URI with `hash` and `interact_ref`, or `result` (and `message`).
//! - `GET /idp/grant/{id}/{nonce}`, `POST /idp/grant/{id}/{nonce}/{choice}`:
//!   the IdP back channel, apart from the GNAP API as Rafiki's interaction
//!   server is, authenticated by `x-idp-secret`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use consent_desk_protocol::{
    finish_hash, AccessItem, AccessToken, ApprovedGrant, ClientIdentity, Continue,
    ContinueAccessToken, ContinueToken, ContinueUri, GrantRequest, GrantResponse,
    GrantedAccessToken, InteractRef, InteractResponse, InteractStart, LimitAmount, ManageUri,
    Nonce, PendingGrant, RotatedToken,
};
use url::Url;

use crate::error::{ApiError, ApiResult};
use crate::signed::{Client, SignedRequest};
use crate::store::{secret_hash, Grant, GrantState, Interaction, Token};
use crate::{new_id, random_token, AppState};

/// The session cookie bound at `interact.redirect`.
pub(crate) const SESSION_COOKIE: &str = "sandbox_session";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        // The bare base names no tenant: 404, as Rafiki answers.
        .route("/auth", axum::routing::any(no_tenant))
        .route("/auth/", axum::routing::any(no_tenant))
        .route("/auth/{tenant}", post(request_grant))
        .route(
            "/auth/continue/{id}",
            post(continue_grant).delete(cancel_grant),
        )
        .route("/auth/token/{id}", post(rotate_token).delete(revoke_token))
        .route("/auth/interact/{id}/{nonce}", get(start_interaction))
        .route(
            "/auth/interact/{id}/{nonce}/finish",
            get(finish_interaction),
        )
        .route("/idp/grant/{id}/{nonce}", get(idp_grant))
        .route("/idp/grant/{id}/{nonce}/{choice}", post(idp_choice))
}

/// Constant-time comparison of secrets and their hashes.
pub(crate) fn eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn needs_interaction(access: &[AccessItem]) -> bool {
    access
        .iter()
        .any(|item| matches!(item, AccessItem::OutgoingPayment { .. }))
}

impl AppState {
    fn continue_uri(&self, continue_id: &str) -> ContinueUri {
        ContinueUri(self.wallet_url(&format!("auth/continue/{continue_id}")))
    }

    fn manage_uri(&self, manage_id: &str) -> ManageUri {
        ManageUri(self.wallet_url(&format!("auth/token/{manage_id}")))
    }

    /// A new access token for `grant`; returns the row and the secret value.
    fn new_token(&self, grant: &Grant) -> (Token, AccessToken) {
        let lifetime = i64::try_from(self.0.timing.access_token.as_millis()).unwrap_or(i64::MAX);
        let token = Token {
            manage_id: new_id(),
            grant_id: grant.id.clone(),
            expires_ms: self.now_ms().saturating_add(lifetime),
            revoked: false,
        };
        (token, AccessToken::new(random_token()))
    }

    fn granted(
        &self,
        token: &Token,
        value: AccessToken,
        access: Vec<AccessItem>,
    ) -> GrantedAccessToken {
        GrantedAccessToken {
            value,
            manage: self.manage_uri(&token.manage_id),
            expires_in: Some(self.0.timing.access_token.as_secs()),
            access,
        }
    }

    /// The grant behind a continuation URI, with the request's continuation
    /// token and signature checked.
    async fn continuation(
        &self,
        request: &SignedRequest,
        continue_id: &str,
    ) -> ApiResult<(Grant, Client)> {
        // The codes per status are those `auth-server.yaml` lists.
        let unknown_code = if request.method == axum::http::Method::DELETE {
            "invalid_request"
        } else {
            "invalid_continuation"
        };
        let grant = self
            .store()
            .grant_by_continue_id(continue_id)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    unknown_code,
                    "unknown continuation URI: the grant does not exist",
                )
            })?;
        let token = request.gnap_token().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_continuation",
                "missing `Authorization: GNAP <continue token>`",
            )
        })?;
        if !eq(&secret_hash(token), &grant.continue_token_hash) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_continuation",
                "the continuation token does not belong to this grant",
            ));
        }
        let client = self.resolve_client(&grant.client).await?;
        self.verify(request, &client)?;
        Ok((grant, client))
    }

    /// The token behind a management URI, with the presented token and the
    /// signature checked.
    async fn managed_token(
        &self,
        request: &SignedRequest,
        manage_id: &str,
    ) -> ApiResult<(Token, Grant)> {
        // `auth-server.yaml` allows only `invalid_client` with 401 here.
        let invalid = |description: &str| {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
        };
        let presented = request
            .gnap_token()
            .ok_or_else(|| invalid("missing `Authorization: GNAP <access token>`"))?;
        let (token, stored_hash) = {
            let store = self.store();
            let token = store.token_by_manage_id(manage_id)?;
            let hash = store.token_value_hash(manage_id)?;
            (token, hash)
        };
        let (Some(token), Some(stored_hash)) = (token, stored_hash) else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_rotation",
                "unknown token management URI",
            ));
        };
        if !eq(&secret_hash(presented), &stored_hash) {
            return Err(invalid(
                "the access token does not belong to this management URI",
            ));
        }
        let grant = self
            .store()
            .grant(&token.grant_id)?
            .ok_or_else(|| invalid("the token's grant no longer exists"))?;
        let client = self.resolve_client(&grant.client).await?;
        self.verify(request, &client)?;
        Ok((token, grant))
    }

    /// Checks the access a client asks for against this sandbox's accounts.
    /// A subject request names one wallet address of this sandbox: it can
    /// confirm ownership only of the accounts it holds.
    fn check_subject(&self, subject: &consent_desk_protocol::Subject) -> ApiResult<()> {
        let [sub] = subject.sub_ids.as_slice() else {
            return Err(ApiError::invalid_request(
                "subject.sub_ids holds exactly one identifier",
            ));
        };
        let known = Url::parse(&sub.id)
            .ok()
            .and_then(|url| self.local_account_name(&url))
            .and_then(|name| self.store().account(&name).ok().flatten());
        if known.is_none() {
            return Err(ApiError::invalid_request(format!(
                "{} is not a wallet address of this sandbox; it can confirm ownership only of \
                 its own",
                sub.id
            )));
        }
        Ok(())
    }

    fn check_access(&self, access: &[AccessItem]) -> ApiResult<()> {
        if access.is_empty() {
            return Err(ApiError::invalid_request("access_token.access is empty"));
        }
        for item in access {
            if let AccessItem::OutgoingPayment {
                identifier,
                limits,
                actions,
            } = item
            {
                if actions.is_empty() {
                    return Err(ApiError::invalid_request("an access item has no actions"));
                }
                let name = self.local_account_name(identifier).ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "the outgoing-payment identifier {identifier} is not a wallet address of \
                         this sandbox"
                    ))
                })?;
                let account = self.account_named(&name).map_err(|_| {
                    ApiError::invalid_request(format!("there is no wallet address {identifier}"))
                })?;
                if let Some(LimitAmount::Debit(amount)) =
                    limits.as_ref().and_then(|l| l.amount.as_ref())
                {
                    if amount.asset_code != account.asset_code
                        || amount.asset_scale != account.asset_scale
                    {
                        return Err(ApiError::invalid_request(format!(
                            "limits.debitAmount is in {} (scale {}), but {identifier} holds {} \
                             (scale {})",
                            amount.asset_code,
                            amount.asset_scale,
                            account.asset_code,
                            account.asset_scale
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn wrap_token(value: &str) -> ContinueAccessToken {
    ContinueAccessToken {
        value: ContinueToken::new(value),
    }
}

async fn no_tenant() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request",
        "grant requests go to `/auth/{tenantId}`: use the `authServer` of the wallet address",
    )
}

#[tracing::instrument(name = "auth.grant_request", skip_all)]
async fn request_grant(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<GrantResponse>> {
    if tenant != crate::TENANT_ID {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request",
            format!(
                "no tenant `{tenant}` at this authorization server: use the `authServer` of the \
                 wallet address"
            ),
        ));
    }
    // "Prove I own this wallet address" (spec 1.3): `subject` and no
    // `access_token`, always interactive.
    let raw: serde_json::Value = request.json()?;
    let (client_identity, access, interact, subject) =
        if raw.get("subject").is_some() && raw.get("access_token").is_none() {
            let subject_request: consent_desk_protocol::SubjectRequest = request.json()?;
            (
                subject_request.client,
                Vec::new(),
                Some(subject_request.interact),
                Some(subject_request.subject),
            )
        } else {
            let grant_request: GrantRequest = request.json()?;
            (
                grant_request.client,
                grant_request.access_token.access,
                grant_request.interact,
                None,
            )
        };
    let client = state.resolve_client(&client_identity).await?;
    state.verify(&request, &client)?;
    match &subject {
        Some(subject) => state.check_subject(subject)?,
        None => state.check_access(&access)?,
    }
    let now = state.now_ms();
    let continue_token = random_token();
    let mut grant = Grant {
        id: new_id(),
        state: GrantState::Pending,
        client: client_identity.clone(),
        access: access.clone(),
        continue_id: new_id(),
        continue_token_hash: secret_hash(&continue_token),
        wait: state.timing_wait(),
        continue_after_ms: now
            .saturating_add(i64::try_from(state.timing_wait() * 1000).unwrap_or(0)),
        interaction: None,
        created_ms: now,
    };
    let continue_ = Continue {
        access_token: wrap_token(&continue_token),
        uri: state.continue_uri(&grant.continue_id),
        wait: None,
    };

    if subject.is_none() && !needs_interaction(&access) {
        // Incoming-payment and quote grants are granted at once (Rafiki).
        grant.state = GrantState::Issued;
        let (token, value) = state.new_token(&grant);
        state.store().insert_grant(&grant)?;
        state
            .store()
            .issue_token(&grant, &token, &secret_hash(value.secret()))?;
        tracing::info!(grant = %grant.id, client = %client.id(), "non-interactive grant issued");
        return Ok(Json(GrantResponse::Approved(ApprovedGrant {
            access_token: state.granted(&token, value, access),
            continue_,
        })));
    }

    let Some(interact) = interact else {
        return Err(ApiError::invalid_request(
            "outgoing-payment access needs interaction: add `interact` with start [\"redirect\"] \
             and a finish redirect",
        ));
    };
    if !interact.start.contains(&InteractStart::Redirect) {
        return Err(ApiError::invalid_request(
            "interact.start must include \"redirect\"",
        ));
    }
    // No `finish` is allowed (Rafiki allows it): the person is not sent
    // back, and the client continues without an `interact_ref`.
    let finish = interact.finish;
    // Rafiki refuses JWK-only clients and clients without a publicName for
    // interactive grants: the person must see who asks.
    let Some(wallet) = client.wallet.as_ref() else {
        return Err(ApiError::invalid_client(
            StatusCode::BAD_REQUEST,
            "interactive grants need a client wallet address, not a bare JWK",
        ));
    };
    if wallet
        .public_name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        return Err(ApiError::invalid_client(
            StatusCode::BAD_REQUEST,
            format!(
                "the client wallet address {} has no publicName, which interactive grants need",
                wallet.id
            ),
        ));
    }
    let lifetime = i64::try_from(state.0.timing.interaction.as_millis()).unwrap_or(i64::MAX);
    let interaction = Interaction {
        id: new_id(),
        nonce: Nonce::generate().as_str().to_owned(),
        finish_uri: finish.as_ref().map(|finish| finish.uri.to_string()),
        client_nonce: finish
            .map(|finish| finish.nonce.as_str().to_owned())
            .unwrap_or_default(),
        server_nonce: Nonce::generate().as_str().to_owned(),
        expires_ms: now.saturating_add(lifetime),
        session_hash: None,
        interact_ref_hash: None,
        subject,
    };
    // Rafiki hands the IdP who asks through the start URL's query.
    let mut redirect = state.wallet_url(&format!(
        "auth/interact/{}/{}",
        interaction.id, interaction.nonce
    ));
    redirect
        .query_pairs_mut()
        .append_pair(
            "clientName",
            wallet.public_name.as_deref().unwrap_or_default(),
        )
        .append_pair("clientUri", wallet.id.as_str());
    let server_nonce = interaction.server_nonce.clone();
    grant.interaction = Some(interaction);
    state.store().insert_grant(&grant)?;
    tracing::info!(grant = %grant.id, client = %client.id(), "interactive grant pending");
    Ok(Json(GrantResponse::Pending(PendingGrant {
        interact: InteractResponse {
            redirect,
            finish: server_nonce,
        },
        continue_: Continue {
            wait: Some(grant.wait),
            ..continue_
        },
    })))
}

#[tracing::instrument(name = "auth.continue", skip_all, fields(continuation = %id))]
async fn continue_grant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<GrantResponse>> {
    let (grant, _client) = state.continuation(&request, &id).await?;
    #[derive(serde::Deserialize)]
    struct Body {
        interact_ref: Option<String>,
    }
    // An empty body (or `{}`) polls; Rafiki tells the two apart that way.
    let body: Body = if request.body.is_empty() {
        Body { interact_ref: None }
    } else {
        request.json()?
    };
    // A grant with `finish` is continued with its interact_ref only.
    let finishable = grant
        .interaction
        .as_ref()
        .is_some_and(|interaction| interaction.finish_uri.is_some());
    // The answers, and their order, are Rafiki's (`grant/routes.ts`,
    // `continueGrant` and `pollGrantContinuation`): a rejected or cancelled
    // grant, or a reference that is not this grant's, is "not found"; a
    // grant not (or no longer) approved is `request_denied`. So a poll
    // cannot tell a rejected grant from a pending one when it has `finish`.
    let too_fast = |grant: &Grant| {
        (state.faults().too_fast || state.now_ms() < grant.continue_after_ms).then(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "too_fast",
                format!("continued before `wait` ({} s) passed", grant.wait),
            )
        })
    };
    let Some(interact_ref) = body.interact_ref else {
        if grant.state == GrantState::Revoked {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request",
                "grant not found",
            ));
        }
        if let Some(error) = too_fast(&grant) {
            return Err(error);
        }
        if finishable {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "request_denied",
                "grant cannot be polled: continue it with the interact_ref of its finish redirect",
            ));
        }
        if grant.state != GrantState::Approved {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "request_denied",
                "the grant is not approved (yet, or any more)",
            ));
        }
        return issue(&state, grant, &request);
    };
    let ours = grant
        .interaction
        .as_ref()
        .and_then(|interaction| interaction.interact_ref_hash.clone())
        .is_some_and(|expected| eq(&secret_hash(&interact_ref), &expected));
    if matches!(grant.state, GrantState::Rejected | GrantState::Revoked) || !ours {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_continuation",
            "grant not found: it was rejected or cancelled, or the interact_ref is not its own",
        ));
    }
    if let Some(error) = too_fast(&grant) {
        return Err(error);
    }
    if grant.state != GrantState::Approved {
        // Issued already (an interact_ref is used once), or not approved.
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "request_denied",
            "grant interaction not approved: it is not approved, or its token was already issued",
        ));
    }
    issue(&state, grant, &request)
}

/// Issues the access token of an approved grant (or, for an ownership
/// proof, the subject) and marks it issued.
fn issue(
    state: &AppState,
    mut grant: Grant,
    request: &SignedRequest,
) -> ApiResult<Json<GrantResponse>> {
    // The interaction keeps its reference: using it again is
    // `request_denied` (the grant is no longer `approved`), as at Rafiki.
    grant.state = GrantState::Issued;
    let continue_token = request.gnap_token().unwrap_or_default().to_owned();
    let continue_ = Continue {
        access_token: wrap_token(&continue_token),
        uri: state.continue_uri(&grant.continue_id),
        wait: None,
    };
    // An ownership proof: the subject, checked to be this sandbox's own when
    // asked, and no token.
    if let Some(subject) = grant.interaction.as_ref().and_then(|i| i.subject.clone()) {
        state.store().update_grant(&grant)?;
        tracing::info!(grant = %grant.id, "ownership confirmed");
        return Ok(Json(GrantResponse::Subject(
            consent_desk_protocol::SubjectGrant { subject, continue_ },
        )));
    }
    let (token, value) = state.new_token(&grant);
    state
        .store()
        .issue_token(&grant, &token, &secret_hash(value.secret()))?;
    tracing::info!(grant = %grant.id, "grant continued, access token issued");
    Ok(Json(GrantResponse::Approved(ApprovedGrant {
        access_token: state.granted(&token, value, grant.access.clone()),
        continue_,
    })))
}

#[tracing::instrument(name = "auth.cancel", skip_all, fields(continuation = %id))]
async fn cancel_grant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<StatusCode> {
    let (mut grant, _client) = state.continuation(&request, &id).await?;
    // Rafiki finds no grant once it is revoked (`getByContinue` leaves
    // revoked ones out): cancelling twice is "unknown grant".
    if grant.state == GrantState::Revoked {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request",
            "unknown grant: it was already cancelled",
        ));
    }
    grant.state = GrantState::Revoked;
    state.store().revoke_grant(&grant)?;
    tracing::info!(grant = %grant.id, "grant cancelled");
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(name = "auth.rotate", skip_all)]
async fn rotate_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<Json<RotatedToken>> {
    let (old, grant) = state.managed_token(&request, &id).await?;
    if old.revoked || grant.state == GrantState::Revoked {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_rotation",
            "the token was revoked or its grant cancelled: request a new grant",
        ));
    }
    let (token, value) = state.new_token(&grant);
    state
        .store()
        .rotate_token(&old.manage_id, &token, &secret_hash(value.secret()))?;
    tracing::info!(grant = %grant.id, "access token rotated");
    Ok(Json(RotatedToken {
        access_token: state.granted(&token, value, grant.access),
    }))
}

#[tracing::instrument(name = "auth.revoke", skip_all)]
async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: SignedRequest,
) -> ApiResult<StatusCode> {
    if state.store().token_by_manage_id(&id)?.is_none() {
        // Nothing to revoke: revocation is idempotent.
        return Ok(StatusCode::NO_CONTENT);
    }
    let (token, grant) = state.managed_token(&request, &id).await?;
    state.store().revoke_token(&token.manage_id)?;
    tracing::info!(grant = %grant.id, "access token revoked");
    Ok(StatusCode::NO_CONTENT)
}

// ---- interaction (front channel) ------------------------------------------

/// The value of the session cookie, if the request has one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

impl AppState {
    /// The grant of an interaction whose id and nonce match.
    pub(crate) fn interaction_grant(&self, id: &str, nonce: &str) -> ApiResult<Grant> {
        self.store()
            .grant_by_interaction(id)?
            .filter(|grant| {
                grant
                    .interaction
                    .as_ref()
                    .is_some_and(|interaction| eq(&interaction.nonce, nonce))
            })
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_interaction",
                    "this approval link is unknown: start again from the app",
                )
            })
    }

    pub(crate) fn interaction_expired(&self, interaction: &Interaction) -> bool {
        self.faults().expire_interactions || self.now_ms() >= interaction.expires_ms
    }

    /// Whether the request carries the session bound to this interaction.
    pub(crate) fn in_session(&self, headers: &HeaderMap, interaction: &Interaction) -> bool {
        match (session_cookie(headers), &interaction.session_hash) {
            (Some(cookie), Some(expected)) => eq(&secret_hash(&cookie), expected),
            _ => false,
        }
    }

    /// Records the person's choice on a pending grant.
    pub(crate) fn choose(&self, grant: &mut Grant, accept: bool) -> ApiResult<()> {
        if grant.state != GrantState::Pending {
            return Err(ApiError::not_found(
                "this grant is not waiting for a choice",
            ));
        }
        grant.state = if accept {
            GrantState::Approved
        } else {
            GrantState::Rejected
        };
        self.store().update_grant(grant)?;
        tracing::info!(grant = %grant.id, accept, "choice recorded");
        Ok(())
    }
}

/// The client's finish URI with extra query parameters, keeping its own.
fn finish_redirect(finish_uri: &str, pairs: &[(&str, &str)]) -> ApiResult<Response> {
    let mut url = Url::parse(finish_uri)
        .map_err(|_| ApiError::invalid_request("the grant's finish URI is not a URL"))?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    Ok(found(url.as_str()))
}

/// 302 Found, as Rafiki redirects (the IdP spec names 302).
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// A failure told the way Rafiki tells it: a redirect to the client with
/// `result` and `message` when the grant has a finish URI, else a GNAP error.
fn fail(
    interaction: &Interaction,
    status: StatusCode,
    result: &'static str,
    message: &'static str,
) -> ApiResult<Response> {
    match &interaction.finish_uri {
        Some(finish_uri) => {
            finish_redirect(finish_uri, &[("result", result), ("message", message)])
        }
        None => Err(ApiError::new(status, result, message)),
    }
}

/// The page a browser ends on when the grant has no finish URI (Rafiki
/// answers 202 with no body; a person should still read what happened).
fn unfinishable_done(approved: bool) -> Response {
    let text = if approved {
        "You approved the request. You can close this window and go back to the app."
    } else {
        "You rejected the request. You can close this window."
    };
    (
        StatusCode::ACCEPTED,
        [
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        axum::response::Html(crate::consent_page::render_message("Done", text, "info")),
    )
        .into_response()
}

#[tracing::instrument(name = "auth.interact_start", skip_all, fields(interaction = %id))]
async fn start_interaction(
    State(state): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
    axum::extract::Query(client): axum::extract::Query<StartQuery>,
) -> ApiResult<Response> {
    let mut grant = state.interaction_grant(&id, &nonce)?;
    let Some(interaction) = grant.interaction.as_mut() else {
        return Err(ApiError::not_found("this grant has no interaction"));
    };
    // Rafiki: a link of a grant already decided or cancelled sends the
    // person back with `invalid_interaction` (403 without a finish URI).
    if grant.state != GrantState::Pending {
        return fail(
            interaction,
            StatusCode::FORBIDDEN,
            "invalid_interaction",
            "invalid interaction",
        );
    }
    if state.interaction_expired(interaction) {
        let expired = interaction.clone();
        grant.state = GrantState::Revoked;
        state.store().update_grant(&grant)?;
        return fail(
            &expired,
            StatusCode::UNAUTHORIZED,
            "invalid_interaction",
            "interaction expired",
        );
    }
    let session = random_token();
    interaction.session_hash = Some(secret_hash(&session));
    state.store().update_grant(&grant)?;
    let mut location = state.wallet_url("idp/consent");
    location
        .query_pairs_mut()
        .append_pair("interactId", &id)
        .append_pair("nonce", &nonce)
        .append_pair(
            "clientName",
            client.client_name.as_deref().unwrap_or_default(),
        )
        .append_pair(
            "clientUri",
            client.client_uri.as_deref().unwrap_or_default(),
        );
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_string()),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response())
}

/// What the grant request put in `interact.redirect` for the IdP.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartQuery {
    client_name: Option<String>,
    client_uri: Option<String>,
}

#[tracing::instrument(name = "auth.interact_finish", skip_all, fields(interaction = %id))]
async fn finish_interaction(
    State(state): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut grant = state.interaction_grant(&id, &nonce)?;
    let Some(interaction) = grant.interaction.clone() else {
        return Err(ApiError::not_found("this grant has no interaction"));
    };
    let mut updated = interaction.clone();
    // One finish per session.
    updated.session_hash = None;
    // Rafiki checks expiry before the session: an expired approval sends the
    // person back whatever browser they finish in.
    if state.interaction_expired(&interaction) {
        if grant.state != GrantState::Revoked {
            grant.state = GrantState::Revoked;
            grant.interaction = Some(updated);
            state.store().update_grant(&grant)?;
        }
        return fail(
            &interaction,
            StatusCode::UNAUTHORIZED,
            "invalid_interaction",
            "interaction expired",
        );
    }
    // Rafiki binds the finish to the session that started the interaction:
    // a finish link replayed from another browser or HTTP client is refused.
    if !state.in_session(&headers, &interaction) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "no interaction session: finish in the same browser that opened the approval page",
        ));
    }
    let Some(finish_uri) = interaction.finish_uri.clone() else {
        return finish_unfinishable(&state, grant, updated);
    };
    match grant.state {
        GrantState::Approved => {
            let interact_ref = InteractRef::new(new_id());
            let auth_server = state.auth_server();
            let mut hash = finish_hash(
                &Nonce::new(interaction.client_nonce.clone()),
                &Nonce::new(interaction.server_nonce.clone()),
                &interact_ref,
                auth_server.as_str(),
            );
            if state.faults().wrong_finish_hash {
                hash = finish_hash(
                    &Nonce::new("fault"),
                    &Nonce::new(interaction.server_nonce.clone()),
                    &interact_ref,
                    auth_server.as_str(),
                );
            }
            updated.interact_ref_hash = Some(secret_hash(interact_ref.as_str()));
            grant.interaction = Some(updated);
            state.store().update_grant(&grant)?;
            tracing::info!(grant = %grant.id, "interaction finished: approved");
            finish_redirect(
                &finish_uri,
                &[("hash", &hash), ("interact_ref", interact_ref.as_str())],
            )
        }
        GrantState::Rejected => {
            grant.interaction = Some(updated);
            state.store().update_grant(&grant)?;
            tracing::info!(grant = %grant.id, "interaction finished: rejected");
            finish_redirect(&finish_uri, &[("result", "grant_rejected")])
        }
        // Rafiki: a cancelled grant is one the wallet no longer knows.
        GrantState::Revoked => {
            grant.interaction = Some(updated);
            state.store().update_grant(&grant)?;
            finish_redirect(
                &finish_uri,
                &[
                    ("result", "unknown_interaction"),
                    ("message", "unknown interaction"),
                ],
            )
        }
        // Rafiki: finished before the person chose (or after the grant was
        // continued) — back to the client with `grant_invalid`; the grant
        // itself is left as it was.
        GrantState::Pending | GrantState::Issued => {
            grant.interaction = Some(updated);
            state.store().update_grant(&grant)?;
            tracing::info!(grant = %grant.id, state = ?grant.state, "finish without a choice");
            finish_redirect(&finish_uri, &[("result", "grant_invalid")])
        }
    }
}

/// The finish of a grant that asked for no finish URI: 202, as Rafiki.
fn finish_unfinishable(
    state: &AppState,
    mut grant: Grant,
    updated: Interaction,
) -> ApiResult<Response> {
    let approved = match grant.state {
        GrantState::Approved => true,
        GrantState::Rejected => false,
        GrantState::Revoked => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_interaction",
                "unknown interaction",
            ))
        }
        GrantState::Pending | GrantState::Issued => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_interaction",
                "interaction is not active",
            ))
        }
    };
    grant.interaction = Some(updated);
    state.store().update_grant(&grant)?;
    Ok(unfinishable_done(approved))
}

// ---- IdP back channel -------------------------------------------------------

fn check_idp_secret(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let given = headers
        .get("x-idp-secret")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if eq(&secret_hash(given), &secret_hash(state.idp_secret())) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "missing or wrong x-idp-secret header",
        ))
    }
}

/// Rafiki's interaction states, as the IdP sees them.
fn interaction_state(grant: &Grant) -> &'static str {
    match grant.state {
        GrantState::Pending => "PENDING",
        GrantState::Rejected => "DENIED",
        GrantState::Approved | GrantState::Issued | GrantState::Revoked => "APPROVED",
    }
}

#[tracing::instrument(name = "idp.grant", skip_all, fields(interaction = %id))]
async fn idp_grant(
    State(state): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    check_idp_secret(&state, &headers)?;
    let grant = state.interaction_grant(&id, &nonce)?;
    // Rafiki: a cancelled grant is unknown; any other is described.
    if grant.state == GrantState::Revoked {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_interaction",
            "unknown interaction",
        ));
    }
    Ok(Json(serde_json::json!({
        "grantId": grant.id,
        "access": grant.access,
        "state": interaction_state(&grant),
    })))
}

#[tracing::instrument(name = "idp.choice", skip_all, fields(interaction = %id, %choice))]
async fn idp_choice(
    State(state): State<AppState>,
    Path((id, nonce, choice)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    check_idp_secret(&state, &headers)?;
    let accept = match choice.as_str() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(ApiError::invalid_request(format!(
                "`{other}` is not a choice: use accept or reject"
            )))
        }
    };
    let mut grant = state.interaction_grant(&id, &nonce)?;
    if grant
        .interaction
        .as_ref()
        .is_some_and(|i| state.interaction_expired(i))
    {
        return Err(ApiError::not_found("this interaction expired"));
    }
    state.choose(&mut grant, accept)?;
    Ok(StatusCode::ACCEPTED)
}

/// Whether the client identity is a wallet address the sandbox can show.
pub(crate) fn client_url(identity: &ClientIdentity) -> Option<&Url> {
    match identity {
        ClientIdentity::Url(url)
        | ClientIdentity::WalletAddress {
            wallet_address: url,
        } => Some(url),
        ClientIdentity::Jwk { .. } => None,
    }
}
