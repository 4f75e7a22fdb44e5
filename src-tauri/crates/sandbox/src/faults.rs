//! Fault switches: make the sandbox misbehave on purpose, for QA and tests.
//!
//! All off by default. Set them at start (`--fault`, [`SandboxBuilder::faults`])
//! or at runtime with `PUT /admin/faults` (the same JSON as [`Faults`]).
//!
//! [`SandboxBuilder::faults`]: crate::SandboxBuilder::faults

use std::str::FromStr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;

/// Every fault switch. The JSON form is what `/admin/faults` reads and writes.
///
/// ```
/// use consent_desk_sandbox::Faults;
///
/// let faults: Faults = "latency=250".parse::<Faults>().unwrap()
///     .with("fail=POST /auth:503".parse().unwrap());
/// assert_eq!(faults.latency_ms, 250);
/// assert_eq!(faults.fail.unwrap().status, 503);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Delay before every answer, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer one route with an error status.
    #[serde(default)]
    pub fail: Option<RouteFault>,
    /// Answer every grant continuation with `too_fast`.
    #[serde(default)]
    pub too_fast: bool,
    /// Treat every interaction as expired.
    #[serde(default)]
    pub expire_interactions: bool,
    /// Send a finish redirect whose `hash` does not match.
    #[serde(default)]
    pub wrong_finish_hash: bool,
    /// Drop the connection mid-answer on one route.
    #[serde(default)]
    pub drop: Option<RouteFault>,
    /// Carry out requests on one route, then lose the answer (the
    /// connection drops after the work is done): what a client sees when it
    /// crashes or loses the network right after a payment was made.
    #[serde(default)]
    pub lose_answer: Option<RouteFault>,
    /// The account provider refuses every outgoing payment: it is created
    /// failed, nothing moves, and this reason is in its metadata as
    /// `cancellationReason` (as Rafiki records a cancelled payment's).
    #[serde(default)]
    pub refuse_payments: Option<String>,
}

/// The reason `refuse-payments` gives when none is written.
pub(crate) const DEFAULT_REFUSAL: &str = "The account provider refused the payment.";

/// A route a fault applies to: a method (any if absent) and a path prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteFault {
    /// `GET`, `POST`, …; any method if absent.
    #[serde(default)]
    pub method: Option<String>,
    /// A path prefix such as `/auth` or `/rs/outgoing-payments`.
    pub path: String,
    /// The status to answer with (only for `fail`; 500 if absent).
    #[serde(default = "default_status")]
    pub status: u16,
}

fn default_status() -> u16 {
    500
}

impl RouteFault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path)
    }
}

/// Parses `[METHOD ]/path[:status]`.
impl FromStr for RouteFault {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (method, rest) = match text.split_once(' ') {
            Some((method, rest)) => (Some(method.to_ascii_uppercase()), rest),
            None => (None, text),
        };
        let (path, status) = match rest.rsplit_once(':') {
            Some((path, status)) => (
                path,
                status
                    .parse::<u16>()
                    .ok()
                    .filter(|status| (100..=599).contains(status))
                    .ok_or_else(|| format!("`{status}` is not an HTTP status (100 to 599)"))?,
            ),
            None => (rest, 500),
        };
        if !path.starts_with('/') {
            return Err(format!(
                "the route `{path}` must start with `/`, like `/auth`"
            ));
        }
        Ok(Self {
            method,
            path: path.to_owned(),
            status,
        })
    }
}

impl Faults {
    /// Both sets of switches, `other`'s set ones winning.
    #[must_use]
    pub fn with(mut self, other: Self) -> Self {
        if other.latency_ms != 0 {
            self.latency_ms = other.latency_ms;
        }
        self.fail = other.fail.or(self.fail);
        self.drop = other.drop.or(self.drop);
        self.lose_answer = other.lose_answer.or(self.lose_answer);
        self.refuse_payments = other.refuse_payments.or(self.refuse_payments);
        self.too_fast |= other.too_fast;
        self.expire_interactions |= other.expire_interactions;
        self.wrong_finish_hash |= other.wrong_finish_hash;
        self
    }
}

/// Parses one `--fault` value: `latency=<ms>`, `fail=[METHOD ]/path[:status]`,
/// `drop=[METHOD ]/path`, `lose-answer=[METHOD ]/path`, `too-fast`,
/// `expire-interactions`, `wrong-finish-hash`, `refuse-payments[=reason]`.
impl FromStr for Faults {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_fault(text)
    }
}

fn parse_fault<'a>(text: &'a str) -> Result<Faults, String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    let mut faults = Faults::default();
    let need = |value: Option<&'a str>| -> Result<&'a str, String> {
        value.ok_or_else(|| format!("the fault `{name}` needs a value: `{name}=…`"))
    };
    match name {
        "latency" => {
            faults.latency_ms = need(value)?
                .parse()
                .map_err(|_| format!("latency must be whole milliseconds, not `{text}`"))?;
        }
        "fail" => faults.fail = Some(need(value)?.parse()?),
        "drop" => faults.drop = Some(need(value)?.parse()?),
        "lose-answer" => faults.lose_answer = Some(need(value)?.parse()?),
        "too-fast" => faults.too_fast = true,
        "expire-interactions" => faults.expire_interactions = true,
        "wrong-finish-hash" => faults.wrong_finish_hash = true,
        "refuse-payments" => {
            faults.refuse_payments = Some(
                value
                    .map(str::trim)
                    .filter(|reason| !reason.is_empty())
                    .unwrap_or(DEFAULT_REFUSAL)
                    .to_owned(),
            );
        }
        other => {
            return Err(format!(
                "unknown fault `{other}`; known: latency=<ms>, fail=[METHOD ]/path[:status], \
                 drop=[METHOD ]/path, lose-answer=[METHOD ]/path, too-fast, \
                 expire-interactions, wrong-finish-hash, refuse-payments[=reason]"
            ))
        }
    }
    Ok(faults)
}

/// Applies latency, injected errors and dropped connections to every route
/// except `/admin`, so QA can always switch faults off again.
pub(crate) async fn middleware(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/admin") {
        return next.run(request).await;
    }
    let faults = state.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let method = request.method().as_str().to_owned();
    if let Some(fail) = faults.fail.as_ref().filter(|f| f.matches(&method, &path)) {
        tracing::info!(%method, %path, status = fail.status, "fault: injected error");
        let status = StatusCode::from_u16(fail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"error": {
            "code": "injected_fault",
            "description": format!("The sandbox was told to fail {method} {path} with {}", fail.status),
        }});
        return (status, axum::Json(body)).into_response();
    }
    let lose = faults
        .lose_answer
        .as_ref()
        .is_some_and(|f| f.matches(&method, &path));
    if lose {
        // The work is done and stored; only the answer is lost.
        let _done = next.run(request).await;
        tracing::info!(%method, %path, "fault: answer lost after the work was done");
        return broken_answer();
    }
    if faults
        .drop
        .as_ref()
        .is_some_and(|f| f.matches(&method, &path))
    {
        tracing::info!(%method, %path, "fault: dropping the connection");
        return broken_answer();
    }
    next.run(request).await
}

fn broken_answer() -> Response {
    // Headers go out, then the body fails: hyper aborts the connection, so
    // the client sees a connection closed mid-answer.
    let stream = futures_util::stream::iter([
        Ok::<_, std::io::Error>(Bytes::from_static(b"{")),
        Err(std::io::Error::other("fault: connection dropped")),
    ]);
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("content-length", "1000")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
