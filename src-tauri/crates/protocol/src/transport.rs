//! Sending a finished, signed `http::Request` and getting the whole answer back.
//!
//! The [`Client`](crate::Client) builds and signs every request itself, so a
//! transport only moves bytes. Implemented for `reqwest::Client` and for async
//! closures, which lets tests fake the network (as oauth2-rs's
//! `AsyncHttpClient` does).
//!
//! An answer is read only up to [`MAX_ANSWER_BYTES`]: the wallet decides how
//! much it sends, and without a cap a hostile or broken one fills memory.

use std::future::Future;
use std::pin::Pin;

/// The largest answer read from a wallet, 4 MiB.
///
/// Open Payments answers are small JSON documents: a grant or a payment is
/// about a kilobyte, a page of payments a few dozen. 4 MiB leaves room for
/// the largest pages a wallet may send and still refuses an answer that is not
/// Open Payments at all (a 400 MB answer once took the command line to 1.7 GB
/// of memory). A longer answer is refused as soon as its `Content-Length`
/// says so, or, without one, as soon as its bytes pass the cap: it is never
/// read whole.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

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
    /// The answer is longer than the cap; the rest of it was not read.
    #[error("the answer was larger than {} and was not read", crate::error::size_in_words(*.limit))]
    TooLarge {
        /// The cap, in bytes ([`MAX_ANSWER_BYTES`] for `reqwest::Client`).
        limit: usize,
    },
    /// Anything else.
    #[error("request failed: {0}")]
    Other(#[source] BoxError),
}

/// Sends one HTTP request.
pub trait Transport: Send + Sync {
    /// Sends `request` and reads the whole response body, refusing one longer
    /// than [`MAX_ANSWER_BYTES`] with [`TransportError::TooLarge`] (the
    /// [`Client`](crate::Client) also refuses a longer body a transport
    /// returns).
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_>;
}

impl Transport for reqwest::Client {
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|error| TransportError::Other(error.into()))?;
            let mut response = self.execute(request).await.map_err(classify)?;
            let too_large = TransportError::TooLarge {
                limit: MAX_ANSWER_BYTES,
            };
            // Refused before a byte of the body is read when the wallet says
            // how long it is.
            let declared = response.content_length();
            if declared.is_some_and(|length| length > MAX_ANSWER_BYTES as u64) {
                return Err(too_large);
            }
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                headers.extend(response.headers().clone());
            }
            // Counted as it arrives: without a (truthful) Content-Length the
            // body stops being read at the cap, and dropping the response
            // closes the connection.
            let expected = declared.map_or(0, |length| usize::try_from(length).unwrap_or(0));
            let mut body = Vec::with_capacity(expected);
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            builder
                .body(body)
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
