//! Error answers, in the shapes Rafiki sends: `{"error":{"code","description"}}`
//! from the authorization server (GNAP, RFC 9635 §3.6) and the resource server.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;

/// An error answer: the status, the error code (some validation errors have
/// none, as in Rafiki) and a description that says what to fix.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: Option<&'static str>,
    pub(crate) description: String,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: Some(code),
            description: description.into(),
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn invalid_client(status: StatusCode, description: impl Into<String>) -> Self {
        Self::new(status, "invalid_client", description)
    }

    pub(crate) fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 401 `Invalid Token`: unknown, revoked or missing token. Clients rotate
    /// and retry once.
    pub(crate) fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", "Invalid Token")
    }

    /// 403 `Inactive Token`: the token expired.
    pub(crate) fn inactive_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "inactive_token", "Inactive Token")
    }

    /// 403 `Insufficient Grant`: the grant does not allow this action or
    /// wallet address (a spent budget is 403 `unauthorized`, see
    /// `resource::over_limit`). The reason goes in the log, the answer stays
    /// Rafiki's.
    pub(crate) fn insufficient_grant(reason: &str) -> Self {
        tracing::info!(reason, "insufficient grant");
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_grant",
            "Insufficient Grant",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            error.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::Map::new();
        if let Some(code) = self.code {
            error.insert("code".into(), code.into());
        }
        error.insert("description".into(), self.description.into());
        (self.status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
