//! The loopback finish listener (RFC 8252 §7.3): `http://127.0.0.1:<port>/finish/<id>`
//! for wallets that refuse custom URI schemes. It lives only while a grant is
//! pending (dropping it stops it) and answers the browser with a page saying
//! the tab can be closed; the finish URL goes to the app through a channel.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::sync::{mpsc, oneshot};

const PAGE: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Consent Desk</title>\
<body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5\">\
<h1 style=\"font-size:1.4rem\">Back to Consent Desk</h1>\
<p>Consent Desk received your wallet's answer and is finishing the approval. \
You can close this tab.</p></body></html>";

/// Where the wallet sends the person back for a grant about to be
/// requested: a fresh listener when `loopback` (wallets that refuse custom
/// schemes), otherwise the app's link (`dev.consentdesk:`).
///
/// # Errors
///
/// No local port could be bound.
pub async fn finish_route(
    loopback: bool,
) -> Result<(crate::FinishVia, Option<Listener>), crate::FlowError> {
    if !loopback {
        return Ok((crate::FinishVia::DeepLink, None));
    }
    let listener = Listener::bind().await.map_err(|error| {
        crate::FlowError::Invalid(format!(
            "no local port for the wallet to return to ({error})"
        ))
    })?;
    Ok((
        crate::FinishVia::Loopback {
            port: listener.port(),
        },
        Some(listener),
    ))
}

/// A running listener; dropping it stops it.
#[derive(Debug)]
pub struct Listener {
    port: u16,
    finishes: mpsc::Receiver<String>,
    _stop: oneshot::Sender<()>,
}

impl Listener {
    /// Listens on a free port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// No port could be bound.
    pub async fn bind() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (send, finishes) = mpsc::channel(8);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .route("/finish/{id}", get(finish))
            .with_state((send, port));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        tracing::info!(port, "loopback finish listener started");
        Ok(Self {
            port,
            finishes,
            _stop: stop,
        })
    }

    /// The port, for the finish URI.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The next finish URL that reached the listener.
    pub async fn next(&mut self) -> Option<String> {
        self.finishes.recv().await
    }
}

async fn finish(
    State((send, port)): State<(mpsc::Sender<String>, u16)>,
    request: Request,
) -> impl IntoResponse {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let url = format!("http://127.0.0.1:{port}{path}");
    let _ = send.send(url).await;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
}
