//! A real HTTP server on 127.0.0.1:0, stopped when dropped.
//!
//! Every request that carries `Signature-Input` is verified with the crate's
//! [`Verifier`] against the client's JWKS, as the Rafiki AS and RS do; a bad
//! signature, or a request that needs one and has none, gets a 401
//! `invalid_client` before the route's responder sees it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use consent_desk_protocol::{Jwks, Verifier};
use tokio::sync::oneshot;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// Path and query.
    pub(crate) target: String,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Vec<u8>,
    /// Carried a signature that verified.
    pub(crate) signed: bool,
}

/// What a route answers: status and body.
pub(crate) type Reply = (u16, String);

type Responder = dyn Fn(&Seen, &str) -> Reply + Send + Sync;

#[derive(Clone)]
struct AppState {
    base: String,
    jwks: Jwks,
    seen: Arc<Mutex<Vec<Seen>>>,
    responder: Arc<Responder>,
}

pub(crate) struct TestServer {
    pub(crate) base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server that verifies against `jwks` and answers with
    /// `responder(request, base)`.
    pub(crate) async fn start(
        jwks: Jwks,
        responder: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = AppState {
            base: base.clone(),
            jwks,
            seen: seen.clone(),
            responder: Arc::new(responder),
        };
        let app = axum::Router::new().fallback(handle).with_state(state);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            base,
            seen,
            shutdown: Some(tx),
        }
    }

    /// Every request received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.base)).unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    // The signature covers the absolute @target-uri the client used.
    let mut rebuilt = http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{target}", state.base))
        .body(body.clone())
        .unwrap();
    *rebuilt.headers_mut() = parts.headers.clone();

    let has_signature = parts.headers.contains_key("signature-input");
    let public = parts.method == http::Method::GET && !parts.headers.contains_key("authorization");
    let verified = has_signature
        && Verifier::new()
            .max_clock_skew(Duration::from_secs(30))
            .verify(&rebuilt, &state.jwks, SystemTime::now())
            .is_ok();
    let seen = Seen {
        method: parts.method.to_string(),
        target,
        headers: parts.headers,
        body,
        signed: verified,
    };
    state.seen.lock().unwrap().push(seen.clone());

    let (status, body) = if (has_signature && !verified) || (!has_signature && !public) {
        (
            401,
            super::fixture("error_invalid_client.json", &state.base),
        )
    } else {
        (state.responder)(&seen, &state.base)
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}
