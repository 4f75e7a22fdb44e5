//! Signed requests: buffering the body, rebuilding the URL the client signed,
//! finding the client's keys and verifying the RFC 9421 signature with the
//! protocol core's [`Verifier`](consent_desk_protocol::Verifier), as Rafiki does
//! on every call.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode};
use consent_desk_protocol::{ClientIdentity, Jwks, WalletAddress};
use url::Url;

use crate::error::ApiError;
use crate::AppState;

/// Open Payments bodies are small; anything bigger is refused unread.
const MAX_BODY: usize = 256 * 1024;

/// A request with its whole body, and the absolute URL the client asked for.
#[derive(Debug)]
pub(crate) struct SignedRequest {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for SignedRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        // The client signed `http(s)://{Host}{path and query}` as it sent it.
        let host = parts
            .headers
            .get("host")
            .and_then(|host| host.to_str().ok())
            .ok_or_else(|| ApiError::invalid_request("the request has no Host header"))?;
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", axum::http::uri::PathAndQuery::as_str);
        let scheme = if parts.extensions.get::<crate::tls::OverTls>().is_some() {
            "https"
        } else {
            "http"
        };
        let url = format!("{scheme}://{host}{path}");
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|_| ApiError::invalid_request("the request body could not be read"))?;
        if body.len() > MAX_BODY {
            return Err(ApiError::invalid_request("the request body is too large"));
        }
        Ok(Self {
            method: parts.method,
            url,
            headers: parts.headers,
            body,
        })
    }
}

impl SignedRequest {
    /// The body as JSON of type `T`, or `invalid_request` naming the problem.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            ApiError::invalid_request(format!("the request body is invalid: {error}"))
        })
    }

    /// The token of `Authorization: GNAP <token>`.
    pub(crate) fn gnap_token(&self) -> Option<&str> {
        let value = self.headers.get("authorization")?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("GNAP") && !token.trim().is_empty()).then(|| token.trim())
    }
}

/// Who signed a request.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    /// The wallet address URL (as the grant request named it), or `None` for a
    /// JWK-only client.
    pub(crate) url: Option<Url>,
    pub(crate) wallet: Option<WalletAddress>,
    pub(crate) keys: Jwks,
}

impl Client {
    /// The identity stored on grants and resources: the wallet URL or the kid.
    pub(crate) fn id(&self) -> String {
        match &self.url {
            Some(url) => url.to_string(),
            None => format!(
                "jwk:{}",
                self.keys.keys.first().map_or("", |key| key.kid.as_str())
            ),
        }
    }
}

impl AppState {
    /// Finds the keys of a client: from the state for the sandbox's own
    /// wallet addresses, over HTTP (`GET {client}` and `{client}/jwks.json`)
    /// for any other.
    pub(crate) async fn resolve_client(
        &self,
        identity: &ClientIdentity,
    ) -> Result<Client, ApiError> {
        let url = match identity {
            ClientIdentity::Jwk { jwk } => {
                return Ok(Client {
                    url: None,
                    wallet: None,
                    keys: Jwks {
                        keys: vec![jwk.clone()],
                    },
                })
            }
            ClientIdentity::Url(url)
            | ClientIdentity::WalletAddress {
                wallet_address: url,
            } => url,
        };
        self.resolve_client_url(url).await
    }

    pub(crate) async fn resolve_client_url(&self, url: &Url) -> Result<Client, ApiError> {
        if let Some(name) = self.local_account_name(url) {
            let store = self.store();
            let account = store.account(&name)?.ok_or_else(|| {
                ApiError::invalid_client(
                    StatusCode::BAD_REQUEST,
                    format!("the client wallet address {url} does not exist in this sandbox"),
                )
            })?;
            return Ok(Client {
                url: Some(url.clone()),
                wallet: Some(self.wallet_address_of(&account)),
                keys: store.keys(&name)?,
            });
        }
        let unreachable = |error: consent_desk_protocol::Error| {
            ApiError::invalid_client(
                StatusCode::BAD_REQUEST,
                format!("the client wallet address {url} could not be read: {error}"),
            )
        };
        let wallet = self
            .0
            .fetcher
            .wallet_address(url)
            .await
            .map_err(unreachable)?;
        let keys = self.0.fetcher.jwks(url).await.map_err(unreachable)?;
        Ok(Client {
            url: Some(url.clone()),
            wallet: Some(wallet),
            keys,
        })
    }

    /// Verifies the request's signature with the client's keys.
    pub(crate) fn verify(&self, request: &SignedRequest, client: &Client) -> Result<(), ApiError> {
        let mut builder = axum::http::Request::builder()
            .method(request.method.clone())
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let http_request = builder
            .body(request.body.as_ref())
            .map_err(|_| ApiError::invalid_request("the request URL is invalid"))?;
        self.0
            .verifier
            .verify(&http_request, &client.keys, SystemTime::now())
            .map(|_| ())
            .map_err(|error| {
                tracing::info!(%error, client = %client.id(), "signature refused");
                ApiError::invalid_client(
                    StatusCode::UNAUTHORIZED,
                    format!("invalid signature: {error}"),
                )
            })
    }
}
