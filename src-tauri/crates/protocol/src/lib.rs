//! The Open Payments protocol core of Consent Desk.
//!
//! Everything that speaks the protocol lives here, free of any GUI toolkit, so it
//! builds and tests on a machine without GTK or WebKit. Signing and
//! verification are pure functions over [`http::Request`]: build the request,
//! sign it, then send it with any HTTP client.
//!
//! - [`SigningKey`], [`KeyId`], [`Jwk`]: the client key and its published JWK.
//! - [`sign_request`], [`Verifier`]: RFC 9421 signatures as Open Payments uses them.
//! - [`verify_finish`]: the GNAP interaction finish redirect and its hash.
//! - [`RepeatingInterval`], [`Amount`]: grant limit values.
//! - [`describe`]: those values in plain English words ("$13.20", "every day
//!   from 22 Apr 2025"), for a person deciding whether to approve a grant.
//! - [`Client`]: the async client (tokio, reqwest with rustls) for every Open
//!   Payments operation, signing through [`sign_request`] and sending through a
//!   [`Transport`]; [`Error`] keeps the server's answer.
//! - Wire types ([`GrantRequest`], [`GrantResponse`], [`IncomingPayment`],
//!   [`Quote`], [`OutgoingPayment`], …) derive `Serialize` and `Deserialize`.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use consent_desk_protocol::{
//!     finish_hash, http, sign_request, verify_finish, FinishOutcome, InteractRef, Jwks, KeyId,
//!     Nonce, SigningKey, Verifier, url,
//! };
//!
//! # fn main() -> Result<(), consent_desk_protocol::Error> {
//! let key = SigningKey::generate();
//! let key_id = KeyId::new("consent-desk-1")?;
//!
//! // Continue a grant: a signed POST with the continuation token.
//! let mut request = http::Request::post("https://auth.example.com/continue/4CF492MLVMSW9MKMXKHQ")
//!     .header("authorization", "GNAP 33OMUKMKSKU80UPRY5NM")
//!     .body(br#"{"interact_ref":"ad82597c"}"#.to_vec())
//!     .expect("a valid request");
//! let now = SystemTime::now();
//! sign_request(&mut request, &key, &key_id, now)?;
//! assert!(request.headers()["signature-input"]
//!     .to_str()
//!     .unwrap()
//!     .starts_with(r#"sig1=("@method" "@target-uri" "authorization" "content-digest""#));
//!
//! // The authorization server checks it against the client's jwks.json.
//! let jwks = Jwks { keys: vec![key.public_jwk(&key_id)] };
//! let verified = Verifier::new()
//!     .max_clock_skew(Duration::from_secs(60))
//!     .verify(&request, &jwks, now)?;
//! assert_eq!(verified.key_id, key_id);
//!
//! // The wallet redirects back after approval; check the hash before continuing.
//! let (client_nonce, server_nonce) = (Nonce::generate(), Nonce::new("5D56A38F2F2BB29E"));
//! let interact_ref = InteractRef::new("ad82597c");
//! let hash = finish_hash(&client_nonce, &server_nonce, &interact_ref, "https://auth.example.com");
//! let mut finish = url::Url::parse("http://127.0.0.1:53682/finish").expect("a valid URL");
//! finish.query_pairs_mut().append_pair("hash", &hash).append_pair("interact_ref", "ad82597c");
//! let outcome = verify_finish(finish.as_str(), &client_nonce, &server_nonce, "https://auth.example.com")?;
//! assert_eq!(outcome, FinishOutcome::Approved { interact_ref });
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod amount;
mod client;
pub mod describe;
mod error;
mod finish;
mod grant;
mod interval;
mod key;
mod payments;
pub mod redact;
mod secret;
mod signature;
mod transport;
mod wallet_address;

#[cfg(test)]
mod tests;

pub use http;
pub use url;

pub use crate::amount::Amount;
pub use crate::client::{read_ca_file, Client, ClientBuilder, Exchange, Observer};
pub use crate::error::{
    excerpt, AmountError, Error, FinishError, GnapError, GnapErrorCode, GrantRequestError,
    IntervalError, KeyError, RawBody, SignError, TokenProblem, VerifyError, MAX_EXCERPT_CHARS,
};
pub use crate::finish::{
    finish_hash, verify_finish, FinishOutcome, FinishRedirect, FinishResult, InteractRef, Nonce,
    MAX_FINISH_URL_BYTES,
};
pub use crate::grant::{
    AccessItem, AccessTokenRequest, ApprovedGrant, ClientForm, ClientIdentity, Continue,
    ContinueAccessToken, ContinueRequest, ContinueUri, FinishMethod, GrantRequest, GrantResponse,
    GrantedAccessToken, IncomingPaymentAction, InteractFinish, InteractRequest, InteractResponse,
    InteractStart, LimitAmount, ManageUri, OutgoingLimits, OutgoingPaymentAction,
    OutgoingPaymentGrantBuilder, PendingGrant, QuoteAction, RotatedToken, Subject, SubjectGrant,
    SubjectId, SubjectIdFormat, SubjectRequest,
};
pub use crate::interval::{
    IntervalBounds, IntervalSpan, IsoDuration, RepeatingInterval, Repetitions,
};
pub use crate::key::{Jwk, Jwks, KeyId, SigningKey};
pub use crate::payments::{
    CreateIncomingPayment, CreateOutgoingPayment, CreateQuote, GrantSpentAmounts, IncomingPayment,
    Metadata, OutgoingPayment, Page, PageInfo, PageQuery, PaymentMethod, PublicIncomingPayment,
    Quote, QuoteAmount,
};
pub use crate::secret::{AccessToken, ContinueToken};
pub use crate::signature::{sign_request, VerifiedSignature, Verifier};
pub use crate::transport::{
    BoxError, Transport, TransportError, TransportFuture, MAX_ANSWER_BYTES,
};
pub use crate::wallet_address::{DidDocument, WalletAddress};

// Keys and errors cross threads in the app (async tasks, Tauri state).
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SigningKey>();
    assert_send_sync::<Verifier>();
    assert_send_sync::<Error>();
    assert_send_sync::<Client>();
    assert_send_sync::<GrantResponse>();
};
