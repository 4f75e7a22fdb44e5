//! The sandbox's identity provider: the consent page a person sees in the
//! app's consent window (or any browser). As with Rafiki, the interaction
//! start redirects here with `interactId`, `nonce`, `clientName` and
//! `clientUri` in the query; `GET /idp/consent?…` shows who asks for what, and
//! the form posts the choice back, then continues to the finish redirect.
//! The name shown is the client wallet address's `publicName`, read from the
//! grant, never from the query, which anyone handing out the link can edit.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use consent_desk_protocol::AccessItem;

use crate::auth::client_url;
use crate::consent_page::{render_consent, render_message, AccountView, ConsentView, ReceiverView};
use crate::error::ApiResult;
use crate::store::{Grant, GrantState};
use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/idp/consent", get(show).post(choose))
}

/// The IdP URL's query, as the interaction start builds it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Interact {
    interact_id: String,
    nonce: String,
}

/// No scripts, no outside resources, never framed; forms only to this
/// origin and, for the consent form, to where its redirects end: browsers
/// apply `form-action` to the whole redirect chain, and the chain ends at the
/// client's finish URI.
fn csp(finish_to: Option<&str>) -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{}; \
         frame-ancestors 'none'; base-uri 'none'",
        finish_to
            .map(|source| format!(" {source}"))
            .unwrap_or_default()
    )
}

/// The CSP source for a finish URI: its origin, or its scheme for a
/// private-use scheme (`dev.consentdesk:`).
fn finish_source(finish_uri: &str) -> Option<String> {
    let url = consent_desk_protocol::url::Url::parse(finish_uri).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        scheme => Some(format!("{scheme}:")),
    }
}

fn page(status: StatusCode, html: String) -> Response {
    page_to(status, html, None)
}

fn page_to(status: StatusCode, html: String, finish_to: Option<&str>) -> Response {
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, csp(finish_to).as_str()),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response()
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, render_message(title, text, "error"))
}

/// Why the page cannot be shown: status, title and text for a person.
type Refusal = (StatusCode, &'static str, &'static str);

fn refuse((status, title, text): Refusal) -> Response {
    message(status, title, text)
}

/// The grant if this request may act on it, or what to tell the person.
fn session_grant(
    state: &AppState,
    id: &str,
    nonce: &str,
    headers: &HeaderMap,
) -> Result<Grant, Refusal> {
    let Ok(grant) = state.interaction_grant(id, nonce) else {
        return Err((
            StatusCode::NOT_FOUND,
            "This approval link is not valid",
            "The sandbox wallet does not know this request. Start the payment again from the app \
             that asked for it.",
        ));
    };
    let Some(interaction) = grant.interaction.as_ref() else {
        return Err((
            StatusCode::NOT_FOUND,
            "Nothing to approve",
            "This grant needs no approval.",
        ));
    };
    if !state.in_session(headers, interaction) {
        return Err((
            StatusCode::UNAUTHORIZED,
            "Open this page from the app",
            "This approval page belongs to another browser session. Go back to the app that asked \
             for the payment and start the approval from there.",
        ));
    }
    if grant.state != GrantState::Pending {
        return Err((
            StatusCode::CONFLICT,
            "Already decided",
            "This request was already approved or rejected. You can close this window.",
        ));
    }
    if state.interaction_expired(interaction) {
        return Err((
            StatusCode::GONE,
            "This request expired",
            "The time to approve this payment ran out. Start again from the app that asked for it.",
        ));
    }
    Ok(grant)
}

#[tracing::instrument(name = "consent.show", skip_all, fields(interaction = %id))]
async fn show(
    State(state): State<AppState>,
    Query(Interact {
        interact_id: id,
        nonce,
    }): Query<Interact>,
    headers: HeaderMap,
) -> Response {
    let grant = match session_grant(&state, &id, &nonce, &headers) {
        Ok(grant) => grant,
        Err(refusal) => return refuse(refusal),
    };
    let finish_to = grant
        .interaction
        .as_ref()
        .and_then(|interaction| interaction.finish_uri.as_deref())
        .and_then(finish_source);
    match consent_view(&state, &grant, &id, &nonce).await {
        Ok(view) => page_to(StatusCode::OK, render_consent(&view), finish_to.as_deref()),
        Err(error) => error.into_response(),
    }
}

async fn consent_view(
    state: &AppState,
    grant: &Grant,
    id: &str,
    nonce: &str,
) -> ApiResult<ConsentView> {
    let client = client_url(&grant.client).cloned();
    let client_wallet = match &client {
        Some(url) => state
            .resolve_client_url(url)
            .await
            .ok()
            .and_then(|client| client.wallet),
        None => None,
    };
    let identifier = grant
        .access
        .iter()
        .find_map(|item| match item {
            AccessItem::OutgoingPayment { identifier, .. } => Some(identifier.clone()),
            _ => None,
        })
        // An ownership proof is about the account it names.
        .or_else(|| {
            grant
                .interaction
                .as_ref()
                .and_then(|interaction| interaction.subject.as_ref())
                .and_then(|subject| subject.sub_ids.first())
                .and_then(|sub| consent_desk_protocol::url::Url::parse(&sub.id).ok())
        });
    let account = match identifier
        .as_ref()
        .and_then(|url| state.local_account_name(url))
    {
        Some(name) => Some(state.account_named(&name)?),
        None => None,
    };
    let receiver = grant.access.iter().find_map(|item| match item {
        AccessItem::OutgoingPayment {
            limits: Some(limits),
            ..
        } => limits.receiver.clone(),
        _ => None,
    });
    let receiver = match receiver {
        Some(url) => {
            let owner = state
                .local_resource_id(&url, "incoming-payments")
                .and_then(|id| state.store().incoming(&id).ok().flatten())
                .and_then(|row| state.store().account(&row.account).ok().flatten());
            Some(ReceiverView {
                incoming_payment: url.to_string(),
                wallet_address: owner.as_ref().map_or_else(String::new, |owner| {
                    state.wallet_url(&owner.name).to_string()
                }),
                public_name: owner.and_then(|owner| owner.public_name),
            })
        }
        None => None,
    };
    let expires_at = grant.interaction.as_ref().and_then(|i| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(i.expires_ms) * 1_000_000).ok()
    });
    Ok(ConsentView {
        client_name: client_wallet
            .as_ref()
            .and_then(|wallet| wallet.public_name.clone())
            .unwrap_or_else(|| "An unnamed app".to_owned()),
        client_url: client.map_or_else(String::new, |url| url.to_string()),
        account: AccountView {
            url: identifier.map_or_else(String::new, |url| url.to_string()),
            public_name: account.as_ref().and_then(|a| a.public_name.clone()),
            asset_code: account
                .as_ref()
                .map_or_else(String::new, |a| a.asset_code.clone()),
            asset_scale: account.as_ref().map_or(0, |a| a.asset_scale),
        },
        access: grant.access.clone(),
        subject: grant
            .interaction
            .as_ref()
            .and_then(|interaction| interaction.subject.as_ref())
            .and_then(|subject| subject.sub_ids.first())
            .map(|sub| sub.id.clone()),
        receiver,
        action: {
            let mut action = state.wallet_url("idp/consent");
            action
                .query_pairs_mut()
                .append_pair("interactId", id)
                .append_pair("nonce", nonce);
            format!("{}?{}", action.path(), action.query().unwrap_or_default())
        },
        expires_at,
    })
}

#[derive(serde::Deserialize)]
struct Choice {
    choice: String,
}

#[tracing::instrument(name = "consent.choose", skip_all, fields(interaction = %id))]
async fn choose(
    State(state): State<AppState>,
    Query(Interact {
        interact_id: id,
        nonce,
    }): Query<Interact>,
    headers: HeaderMap,
    Form(choice): Form<Choice>,
) -> Response {
    let mut grant = match session_grant(&state, &id, &nonce, &headers) {
        Ok(grant) => grant,
        Err(refusal) => return refuse(refusal),
    };
    let accept = match choice.choice.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "Choose Approve or Reject",
                "The form sent neither choice. Go back and press Approve or Reject.",
            )
        }
    };
    if let Err(error) = state.choose(&mut grant, accept) {
        return error.into_response();
    }
    // 303: the browser follows with a GET, in the same session.
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            format!("/auth/interact/{id}/{nonce}/finish"),
        )],
    )
        .into_response()
}
