//! Sending a finished, signed `http::Request` and getting the whole answer back.
//!
//! The [`Client`](crate::Client) builds and signs every request itself, so a
//! transport only moves bytes. Implemented for `reqwest::Client` and for async
//! closures, which lets tests fake the network (as oauth2-rs's
//! `AsyncHttpClient` does).

use std::future::Future;
use std::pin::Pin;

/// A boxed error from a transport.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`Transport`] returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send + 'a>>;

/// Why a request did not get an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection: DNS, refused, TLS handshake.
    #[error("could not connect: {0}")]
    Connect(#[source] BoxError),
    /// The transport's own timeout fired.
    #[error("timed out")]
    Timeout,
    /// Anything else.
    #[error("request failed: {0}")]
    Other(#[source] BoxError),
}

/// Sends one HTTP request.
pub trait Transport: Send + Sync {
    /// Sends `request` and reads the whole response body.
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_>;
}

impl Transport for reqwest::Client {
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|error| TransportError::Other(error.into()))?;
            let response = self.execute(request).await.map_err(classify)?;
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                headers.extend(response.headers().clone());
            }
            let body = response.bytes().await.map_err(classify)?;
            builder
                .body(body.to_vec())
                .map_err(|error| TransportError::Other(error.into()))
        })
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect(error.into())
    } else {
        TransportError::Other(error.into())
    }
}

impl<F, Fut> Transport for F
where
    F: Fn(http::Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send + 'static,
{
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
        Box::pin(self(request))
    }
}
