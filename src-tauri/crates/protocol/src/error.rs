//! Errors, one type per concern, and [`Error`] to carry any of them.
//!
//! Every `Display` text is a sentence a person can act on: it says what was
//! wrong and, where there is one, what to do about it. None of them contains key
//! material, tokens or whole request bodies, so they are safe to log and show:
//! text that came from elsewhere (a wallet's answer, a link, a header) is
//! shown as an [excerpt](excerpt) of at most [`MAX_EXCERPT_CHARS`] characters.
//!
//! [`GnapError`] is the authorization server's own error answer
//! ([RFC 9635 §3.6](https://www.rfc-editor.org/rfc/rfc9635#section-3.6)); it is
//! a wire type, so it derives `Serialize` and `Deserialize` for servers too.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Any error of this crate, for callers that handle them in one place.
///
/// Each function returns its own narrower type ([`KeyError`], [`VerifyError`],
/// …); `?` converts them into this one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Loading, generating or publishing a key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A request could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// A signed request did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A finish redirect was malformed or its hash did not match.
    #[error(transparent)]
    Finish(#[from] FinishError),
    /// A repeating interval was invalid.
    #[error(transparent)]
    Interval(#[from] IntervalError),
    /// An amount was invalid.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// The authorization server answered with a GNAP error.
    #[error(transparent)]
    Server(#[from] GnapError),
    /// A grant request could not be built.
    #[error(transparent)]
    GrantRequest(#[from] GrantRequestError),
    /// A server answered with a GNAP error body
    /// ([RFC 9635 §3.6](https://www.rfc-editor.org/rfc/rfc9635#section-3.6)).
    #[error("{}", gnap_sentence(error, *.status, host))]
    Gnap {
        /// The HTTP status.
        status: u16,
        /// The server's host.
        host: String,
        /// The parsed error.
        error: GnapError,
    },
    /// The resource server refused the access token.
    #[error("{}", token_sentence(*.problem, *.status, host))]
    Token {
        /// What is wrong with the token.
        problem: TokenProblem,
        /// The HTTP status (401 or 403).
        status: u16,
        /// The server's host.
        host: String,
        /// The raw response body.
        body: Vec<u8>,
    },
    /// A server answered with an unexpected HTTP status.
    #[error(
        "The wallet at {host} answered with HTTP {status}{}. Try again later, or report it to the \
         wallet if it keeps happening.",
        describe_body(body)
    )]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's host.
        host: String,
        /// The raw response body.
        body: Vec<u8>,
    },
    /// The server could not be reached (DNS, connection refused, TLS).
    #[error(
        "The wallet at {host} is not answering. Check your connection and the address, then \
         try again."
    )]
    Network {
        /// The server's host.
        host: String,
        /// The underlying failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server's TLS certificate is not trusted (an unknown certificate
    /// authority, another name, expired).
    #[error(
        "The wallet at {host} sent a certificate this computer does not trust: {problem}. If \
         the wallet uses your own certificate authority, trust its certificate (a PEM file) \
         with `--ca-cert FILE`, or keep it in the profile with `consent-desk profile add \
         --ca-cert FILE`."
    )]
    Certificate {
        /// The server's host.
        host: String,
        /// What is wrong with the certificate, in words.
        problem: String,
        /// The TLS failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server did not answer in time.
    #[error(
        "The wallet at {host} took longer than {} s to answer. Check your connection and try \
         again.",
        crate::describe::seconds(*.timeout_ms)
    )]
    Timeout {
        /// The server's host.
        host: String,
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
    /// The answer was longer than the client reads
    /// ([`MAX_ANSWER_BYTES`](crate::MAX_ANSWER_BYTES)); the rest of it was not
    /// read.
    #[error(
        "The wallet at {host} sent an answer larger than {}; it was not read. An Open Payments \
         answer is a few kilobytes: try again later, or report it to the wallet if it keeps \
         happening.",
        size_in_words(*.limit)
    )]
    TooLarge {
        /// The server's host.
        host: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The answer is not the JSON the Open Payments spec describes.
    #[error(
        "The wallet at {host} sent an answer this app cannot read ({} at `{}`). It may not be \
         an Open Payments wallet, or it runs an incompatible version.",
        excerpt(reason),
        excerpt(path)
    )]
    InvalidResponse {
        /// The server's host.
        host: String,
        /// The JSON path where reading failed (`.` for the whole body).
        path: String,
        /// What the parser tripped over.
        reason: String,
        /// The raw response body. `Debug` shows only its length: a
        /// successful answer that failed to parse can carry a token.
        body: RawBody,
    },
    /// The wallet can be approved only through an interaction this app does
    /// not support: a grant answer whose `interact` has no `redirect` (Open
    /// Payments 1.4's `card`, for example). Nothing was granted.
    #[error(
        "The wallet at {host} offers only {} to approve this, which Consent Desk does not \
         support: it speaks Open Payments 1.3 and approves through the wallet's consent page \
         (`redirect`), which this wallet did not offer. Nothing was granted; approve with a \
         wallet that offers its consent page.",
        offered_in_words(offered)
    )]
    UnsupportedInteraction {
        /// The server's host.
        host: String,
        /// The interaction methods it offered instead (`card`, …).
        offered: Vec<String>,
    },
    /// A URL that is not HTTPS (or allowed loopback HTTP).
    #[error(
        "The address {} does not use HTTPS, so it was not contacted. Use an https:// \
         address{hint}.",
        excerpt(url)
    )]
    InsecureUrl {
        /// The URL refused.
        url: String,
        /// Extra advice.
        hint: &'static str,
    },
    /// The client was configured wrongly.
    #[error("The client is not set up correctly: {reason}.")]
    Config {
        /// What is missing or wrong.
        reason: String,
    },
}

impl Error {
    /// The call timed out.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The server could not be reached.
    #[must_use]
    pub fn is_network(&self) -> bool {
        matches!(self, Self::Network { .. })
    }

    /// The access token is invalid or inactive, or a 403 says nothing this
    /// client recognises: rotate it and retry once.
    #[must_use]
    pub fn needs_token_rotation(&self) -> bool {
        matches!(
            self,
            Self::Token {
                problem: TokenProblem::InvalidToken
                    | TokenProblem::InactiveToken
                    | TokenProblem::Unexplained,
                ..
            }
        )
    }

    /// The wallet refused what an active token asked for: the grant's budget
    /// is spent or does not cover it (`unauthorized`), or the grant lacks the
    /// action (`Insufficient Grant`). Rotating the token changes nothing.
    #[must_use]
    pub fn is_budget_spent(&self) -> bool {
        matches!(
            self,
            Self::Token {
                problem: TokenProblem::InsufficientGrant | TokenProblem::OverLimit,
                ..
            }
        )
    }

    /// The grant lacks the action or wallet address asked for (403
    /// `Insufficient Grant`): on a `GET`, it was not granted `read`.
    #[must_use]
    pub fn is_insufficient_grant(&self) -> bool {
        matches!(
            self,
            Self::Token {
                problem: TokenProblem::InsufficientGrant,
                ..
            }
        )
    }

    /// The GNAP error code, when the server sent one.
    #[must_use]
    pub fn gnap_code(&self) -> Option<&GnapErrorCode> {
        match self {
            Self::Gnap { error, .. } | Self::Server(error) => error.code.as_ref(),
            _ => None,
        }
    }

    /// The HTTP status of an error answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Gnap { status, .. }
            | Self::Token { status, .. }
            | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The raw body of an answer that was kept.
    #[must_use]
    pub fn response_body(&self) -> Option<&[u8]> {
        match self {
            Self::Token { body, .. }
            | Self::Status { body, .. }
            | Self::InvalidResponse {
                body: RawBody(body),
                ..
            } => Some(body),
            _ => None,
        }
    }
}

/// A response body kept for diagnosis, whose `Debug` (logs, crash output)
/// shows its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody(pub Vec<u8>);

impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl std::ops::Deref for RawBody {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// How the resource server refused an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenProblem {
    /// 401 `Invalid Token`.
    InvalidToken,
    /// 403 `Inactive Token`.
    InactiveToken,
    /// 403 `Insufficient Grant`: the action or wallet address is not
    /// granted (some wallets also say so for a spent budget).
    InsufficientGrant,
    /// Any other 403 with an active token (Rafiki: `unauthorized`): over the
    /// grant's limits — its budget, its receiver or its interval.
    OverLimit,
    /// A 403 whose body says none of the above (empty, an HTML page, an
    /// unknown description: older wallets, proxies). It may be the token, so
    /// it is rotated once; a second one is a refusal.
    Unexplained,
}

fn token_sentence(problem: TokenProblem, status: u16, host: &str) -> String {
    match problem {
        TokenProblem::InvalidToken | TokenProblem::InactiveToken => format!(
            "The wallet at {host} no longer accepts this access token. It is rotated and the call \
             retried; if that fails, approve the payment again."
        ),
        TokenProblem::InsufficientGrant => format!(
            "The wallet at {host} refused: the approved budget is spent or does not cover this \
             payment. Approve a new payment to continue."
        ),
        TokenProblem::OverLimit => format!(
            "The wallet at {host} refused: this payment is over what the grant allows (its \
             budget is spent, or it is for another receiver). Approve a new payment to continue."
        ),
        TokenProblem::Unexplained => format!(
            "The wallet at {host} refused this (HTTP {status}) without saying why, also with a \
             new access token. Try again later; if it keeps refusing, ask the wallet's operator \
             what this grant allows."
        ),
    }
}

fn gnap_sentence(error: &GnapError, status: u16, host: &str) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let capital: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{capital}{} (HTTP {status} from {host}).", chars.as_str())
}

/// The most characters of outside text (a wallet's answer, a link, a
/// header) an error message shows: enough to recognise it, never a whole
/// body (a 400 MB answer once came back as a 400 MB error line).
pub const MAX_EXCERPT_CHARS: usize = 200;

/// `text` as an error message shows it: whole up to [`MAX_EXCERPT_CHARS`]
/// characters, else its start, an ellipsis and how long it was.
#[must_use]
pub fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_EXCERPT_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes in all)", &text[..end], text.len()))
        }
    }
}

/// `bytes` as people say it: `4 MiB`, `512 KiB`, `100 bytes`.
pub(crate) fn size_in_words(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The interaction methods a wallet offered, at most a few, each shortened.
fn offered_in_words(offered: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut words: Vec<String> = offered
        .iter()
        .take(SHOWN)
        .map(|method| format!("`{}`", excerpt(method)))
        .collect();
    if offered.len() > SHOWN {
        words.push(format!("{} more", offered.len() - SHOWN));
    }
    words.join(" or ")
}

fn describe_body(body: &[u8]) -> String {
    // A short, printable excerpt helps; a whole HTML page does not.
    match std::str::from_utf8(body) {
        Ok(text)
            if !text.trim().is_empty()
                && text.len() <= MAX_EXCERPT_CHARS
                && !text.contains('<') =>
        {
            format!(" (\"{}\")", text.trim())
        }
        _ => String::new(),
    }
}

/// Why an outgoing-payment grant request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantRequestError {
    /// Both `debitAmount` and `receiveAmount`.
    #[error(
        "a grant limits either the amount sent (debitAmount) or the amount received \
         (receiveAmount), not both; choose one"
    )]
    BothAmounts,
    /// No action.
    #[error("the grant asks for no action; ask for at least `create`")]
    NoActions,
    /// A receiver that is not an incoming payment URL.
    #[error("the receiver `{url}` is not an incoming payment URL (…/incoming-payments/…)")]
    NotAnIncomingPayment {
        /// The URL given.
        url: String,
    },
    /// A bad interval.
    #[error(transparent)]
    Interval(IntervalError),
    /// No client wallet address.
    #[error("the grant request has no client wallet address; set it with `client`")]
    MissingClient,
    /// No finish URI and nonce.
    #[error("an interactive grant needs a finish URI and nonce; set them with `finish`")]
    MissingFinish,
}

/// Why a private key, key id or public JWK was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PEM block.
    #[error(
        "the key is not PEM text ({reason}); expected a block that starts with \
         `-----BEGIN PRIVATE KEY-----`"
    )]
    NotPem {
        /// What the PEM decoder tripped over.
        reason: String,
    },
    /// The PEM block holds something other than an unencrypted PKCS#8 private key.
    #[error(
        "the PEM block is labelled `{label}`, but an unencrypted PKCS#8 Ed25519 private key \
         (`PRIVATE KEY`) is needed"
    )]
    UnexpectedPemLabel {
        /// The label after `-----BEGIN `.
        label: String,
    },
    /// The PKCS#8 key is password protected.
    #[error(
        "the private key is encrypted; decrypt it first, for example with \
         `openssl pkcs8 -in key.pem -out plain-key.pem`"
    )]
    EncryptedKey,
    /// A well-formed private key of another algorithm.
    #[error(
        "this is {algorithm} private key, but Open Payments clients sign with Ed25519; \
         generate an Ed25519 key in your wallet's developer keys or in Consent Desk"
    )]
    WrongAlgorithm {
        /// The algorithm found, with an article ("an RSA", "a P-256 EC", …).
        algorithm: String,
    },
    /// The PEM decoded, but its DER content is not a valid PKCS#8 Ed25519 key.
    #[error("the PKCS#8 private key is malformed ({reason}); export the key again")]
    MalformedPkcs8 {
        /// What the decoder tripped over.
        reason: String,
    },
    /// A raw Ed25519 seed of the wrong length.
    #[error("an Ed25519 private key seed is 32 bytes, but {len} bytes were given")]
    WrongSeedLength {
        /// The length given.
        len: usize,
    },
    /// Text expected to be base64 is not.
    #[error(
        "the key text is not valid base64 ({reason}); paste it exactly as the wallet shows it"
    )]
    BadBase64 {
        /// What the decoder tripped over.
        reason: String,
    },
    /// Base64 text that decodes to something other than PEM text.
    #[error(
        "the base64 text does not decode to a PEM private key; paste either the PEM file's text \
         or the base64 key the wallet shows"
    )]
    Base64NotPem,
    /// A key id that cannot be sent in `Signature-Input`.
    #[error("the key id is not usable: {reason}")]
    InvalidKeyId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JWK that is not an Ed25519 signing key this crate can verify with.
    #[error(
        "the public key `{}` in the key set is not a usable Ed25519 key: {reason}",
        excerpt(kid)
    )]
    UnusableJwk {
        /// The JWK's `kid`.
        kid: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// `@target-uri` needs the full URL.
    #[error(
        "the request URI `{uri}` is not absolute; build the request with the full URL, \
         including scheme and host"
    )]
    RelativeUri {
        /// The URI as given.
        uri: String,
    },
    /// The URI could not be parsed as a URL.
    #[error("the request URI `{uri}` is not a valid URL: {reason}")]
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// What the URL parser tripped over.
        reason: String,
    },
    /// A covered header has bytes outside visible ASCII.
    #[error("the `{name}` header is not visible ASCII text, so it cannot be signed")]
    InvalidHeaderValue {
        /// Lower-case header name.
        name: String,
    },
    /// The `created` time cannot be encoded.
    #[error(
        "the signature time is before 1970 or beyond what a signature can carry; \
         check the system clock"
    )]
    CreatedOutOfRange,
}

/// Which check a signed request failed
/// ([RFC 9421 §3.2](https://www.rfc-editor.org/rfc/rfc9421#section-3.2)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the check needs is absent.
    #[error(
        "the request has no `{}` header, which the signature check needs",
        excerpt(name)
    )]
    MissingHeader {
        /// Lower-case header name.
        name: String,
    },
    /// A structured header did not parse.
    #[error("the `{field}` header is malformed: {}", excerpt(reason))]
    MalformedField {
        /// The header's name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `Signature-Input` names a signature that `Signature` lacks.
    #[error(
        "`Signature-Input` declares signature `{}`, but `Signature` has no value for it",
        excerpt(label)
    )]
    MissingSignature {
        /// The signature label, usually `sig1`.
        label: String,
    },
    /// A required signature parameter is absent.
    #[error("the signature has no `{name}` parameter in `Signature-Input`")]
    MissingParameter {
        /// The parameter name.
        name: &'static str,
    },
    /// The `alg` parameter names an algorithm other than Ed25519.
    #[error(
        "the signature algorithm `{}` is not supported; only `ed25519` is",
        excerpt(alg)
    )]
    UnsupportedAlgorithm {
        /// The `alg` parameter's value.
        alg: String,
    },
    /// A covered component this verifier cannot reproduce.
    #[error(
        "the signature covers `{}`, which this verifier does not support",
        excerpt(component)
    )]
    UnsupportedComponent {
        /// The component identifier as sent.
        component: String,
    },
    /// A component Open Payments requires is not covered.
    #[error(
        "the signature does not cover `{component}`, which Open Payments requires for this request"
    )]
    ComponentNotCovered {
        /// The component identifier.
        component: &'static str,
    },
    /// `created` is too far from the verifier's clock.
    #[error(
        "the signature was created at {created} (Unix time), more than {max_skew_secs} s away \
         from now ({now}); check both clocks, or sign again"
    )]
    CreatedOutOfWindow {
        /// The `created` parameter.
        created: i64,
        /// The verifier's clock.
        now: i64,
        /// The allowed distance.
        max_skew_secs: u64,
    },
    /// The `expires` parameter is in the past.
    #[error("the signature expired at {expires} (Unix time); sign the request again")]
    Expired {
        /// The `expires` parameter.
        expires: i64,
    },
    /// No key in the set has the signature's `keyid`.
    #[error(
        "no public key with id `{}` is published for this client; add the key to the \
         wallet's developer keys",
        excerpt(key_id)
    )]
    UnknownKeyId {
        /// The `keyid` parameter.
        key_id: String,
    },
    /// The key with the signature's `keyid` cannot verify Ed25519.
    #[error(transparent)]
    UnusableKey(KeyError),
    /// `Content-Digest` has no algorithm this verifier knows.
    #[error("`Content-Digest` has no sha-512 or sha-256 digest to check the body against")]
    UnsupportedDigest,
    /// The body does not match `Content-Digest`.
    #[error(
        "the body does not match its `Content-Digest` ({algorithm}); it was changed in transit"
    )]
    DigestMismatch {
        /// The digest algorithm that did not match.
        algorithm: &'static str,
    },
    /// The body length does not match `Content-Length`.
    #[error(
        "`Content-Length` says {}, but the body is {actual} bytes",
        excerpt(declared)
    )]
    ContentLengthMismatch {
        /// The header's value.
        declared: String,
        /// The body's length.
        actual: usize,
    },
    /// The request URI is not an absolute URL.
    #[error(
        "the request URI `{}` is not an absolute URL, so `@target-uri` cannot be rebuilt",
        excerpt(uri)
    )]
    InvalidTargetUri {
        /// The URI as given.
        uri: String,
    },
    /// The Ed25519 signature does not match the signature base.
    #[error(
        "the signature does not match the request: it was signed with another key or the \
         request was changed after signing"
    )]
    BadSignature,
}

/// Why a finish redirect was refused
/// ([RFC 9635 §4.2](https://www.rfc-editor.org/rfc/rfc9635#section-4.2)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FinishError {
    /// Longer than any finish redirect a wallet makes
    /// ([`MAX_FINISH_URL_BYTES`](crate::MAX_FINISH_URL_BYTES)); not read.
    #[error(
        "the finish redirect is {length} bytes long, more than the {} a wallet's finish \
         redirect can be; it was refused without being read",
        crate::finish::MAX_FINISH_URL_BYTES
    )]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// Not a URL at all.
    #[error("the finish redirect `{}` is not a URL: {reason}", excerpt(url))]
    InvalidUrl {
        /// The text given.
        url: String,
        /// What the URL parser tripped over.
        reason: String,
    },
    /// Neither success nor failure parameters.
    #[error(
        "the finish redirect carries neither `hash` and `interact_ref` nor `result`; it did not \
         come from the wallet"
    )]
    NoFinishParameters,
    /// `interact_ref` without `hash`.
    #[error("the finish redirect has `interact_ref` but no `hash`, so it cannot be trusted")]
    MissingHash,
    /// `hash` without `interact_ref`.
    #[error("the finish redirect has `hash` but no `interact_ref`, so the grant cannot continue")]
    MissingInteractRef,
    /// Success and failure parameters together.
    #[error(
        "the finish redirect has both success (`hash`, `interact_ref`) and failure \
         (`result`, `message`) parameters; it was refused"
    )]
    ConflictingParameters,
    /// A finish parameter given twice.
    #[error("the finish redirect has `{name}` more than once; it was refused")]
    DuplicateParameter {
        /// The parameter name.
        name: &'static str,
    },
    /// A finish parameter with an empty value.
    #[error("the finish redirect's `{name}` is empty")]
    EmptyParameter {
        /// The parameter name.
        name: &'static str,
    },
    /// `hash` is not base64 of a SHA-256 digest.
    #[error("the finish redirect's `hash` is not a base64 SHA-256 digest")]
    MalformedHash,
    /// `hash` is well formed but wrong.
    #[error(
        "the finish redirect's `hash` does not match this grant's nonces; it belongs to another \
         grant or was forged, so the grant was not continued"
    )]
    HashMismatch,
}

/// Why a repeating interval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntervalError {
    /// Not three `/`-separated parts.
    #[error(
        "`{}` is not a repeating interval; expected three parts such as \
         `R/2025-04-22T08:00:00Z/P1D`",
        excerpt(text)
    )]
    WrongShape {
        /// The text given.
        text: String,
    },
    /// The first part is not `R`, `R<n>` or `R-1`.
    #[error(
        "`{}` is not a repetition count; use `R` for unbounded or `R<n>` such as `R12`",
        excerpt(part)
    )]
    BadRepetitions {
        /// The first part.
        part: String,
    },
    /// A date-time part did not parse.
    #[error(
        "`{}` is not a date-time with a UTC offset, such as `2025-04-22T08:00:00Z` \
         ({reason})",
        excerpt(part)
    )]
    BadDateTime {
        /// The offending part.
        part: String,
        /// What the parser tripped over.
        reason: String,
    },
    /// A duration part did not parse.
    #[error(
        "`{}` is not an ISO 8601 duration such as `P1D`, `P1M` or `PT12H` ({reason})",
        excerpt(part)
    )]
    BadDuration {
        /// The offending part.
        part: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Both ends are durations.
    #[error(
        "a repeating interval needs at least one date-time; `{}` has two durations",
        excerpt(text)
    )]
    TwoDurations {
        /// The text given.
        text: String,
    },
    /// The interval has no length.
    #[error("the interval is empty: its end is not after its start")]
    Empty,
    /// Date arithmetic left the supported range.
    #[error("the interval reaches beyond the year 9999 or before year 1")]
    OutOfRange,
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The value is empty.
    #[error("the amount value is empty; it must be a whole number of the asset's smallest unit")]
    Empty,
    /// The value has something other than ASCII digits.
    #[error(
        "the amount value `{}` is not a whole number written in digits (no sign, decimal \
         point or exponent); scale it by the asset scale first",
        excerpt(value)
    )]
    NotDigits {
        /// The value given.
        value: String,
    },
    /// The value is more than `u64::MAX`.
    #[error(
        "the amount value `{}` is larger than 18446744073709551615",
        excerpt(value)
    )]
    TooLarge {
        /// The value given.
        value: String,
    },
    /// No decimal amount was given.
    #[error("enter an amount, such as {}", decimal_example(*scale))]
    NoDecimal {
        /// The asset scale.
        scale: u8,
    },
    /// A decimal amount has something other than digits and one dot.
    #[error(
        "`{}` is not an amount: use digits and at most one dot, such as {}",
        excerpt(value),
        decimal_example(*scale)
    )]
    NotDecimal {
        /// The text given.
        value: String,
        /// The asset scale.
        scale: u8,
    },
    /// A decimal amount is below zero.
    #[error(
        "`{}` is negative; give what to pay, such as {}",
        excerpt(value),
        decimal_example(*scale)
    )]
    Negative {
        /// The text given.
        value: String,
        /// The asset scale.
        scale: u8,
    },
    /// A decimal amount is zero.
    #[error("the amount must be more than zero, such as {}", decimal_example(*scale))]
    Zero {
        /// The asset scale.
        scale: u8,
    },
    /// A decimal amount has more decimals than the asset's scale.
    #[error(
        "`{}` has more decimals than this asset allows ({scale}), such as {}",
        excerpt(value),
        decimal_example(*scale)
    )]
    TooPrecise {
        /// The text given.
        value: String,
        /// The asset scale.
        scale: u8,
    },
}

/// An amount written as people write it in an asset of `scale`: `12.50` at
/// scale 2, `1000` at scale 0 (yen), `0.125` at scale 3.
fn decimal_example(scale: u8) -> String {
    match scale {
        0 => "1000".to_owned(),
        _ => format!("12.{:0<width$}", 5, width = usize::from(scale)),
    }
}

/// A GNAP error code
/// ([RFC 9635 §3.6](https://www.rfc-editor.org/rfc/rfc9635#section-3.6), as Rafiki
/// sends them). Codes this crate does not know are kept in [`Other`](Self::Other).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GnapErrorCode {
    /// `invalid_request`: the request is malformed.
    InvalidRequest,
    /// `invalid_client`: the client is unknown or its signature is wrong.
    InvalidClient,
    /// `invalid_interaction`: the interaction is invalid.
    InvalidInteraction,
    /// `invalid_rotation`: the token cannot be rotated.
    InvalidRotation,
    /// `invalid_continuation`: the continuation is invalid.
    InvalidContinuation,
    /// `user_denied`: the person refused.
    UserDenied,
    /// `request_denied`: the server refused.
    RequestDenied,
    /// `unknown_interaction`: the interaction is unknown or expired.
    UnknownInteraction,
    /// `too_fast`: the client continued before `wait` seconds passed.
    TooFast,
    /// Any other code, verbatim.
    Other(String),
}

impl GnapErrorCode {
    /// The code as it appears on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidInteraction => "invalid_interaction",
            Self::InvalidRotation => "invalid_rotation",
            Self::InvalidContinuation => "invalid_continuation",
            Self::UserDenied => "user_denied",
            Self::RequestDenied => "request_denied",
            Self::UnknownInteraction => "unknown_interaction",
            Self::TooFast => "too_fast",
            Self::Other(code) => code,
        }
    }

    fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_interaction" => Self::InvalidInteraction,
            "invalid_rotation" => Self::InvalidRotation,
            "invalid_continuation" => Self::InvalidContinuation,
            "user_denied" => Self::UserDenied,
            "request_denied" => Self::RequestDenied,
            "unknown_interaction" => Self::UnknownInteraction,
            "too_fast" => Self::TooFast,
            other => Self::Other(other.to_owned()),
        }
    }

    /// What a person can do about it.
    fn advice(&self) -> &'static str {
        match self {
            Self::InvalidRequest => "the request was malformed",
            Self::InvalidClient => {
                "the client is not recognised: check that its key is in the wallet's developer keys"
            }
            Self::InvalidInteraction => "the approval step was invalid: start the grant again",
            Self::InvalidRotation => "the access token could not be rotated: request a new grant",
            Self::InvalidContinuation => "the grant could not be continued: start the grant again",
            Self::UserDenied => "the payment was not approved at the wallet",
            Self::RequestDenied | Self::Other(_) => "the wallet refused the request",
            Self::UnknownInteraction => {
                "the wallet no longer knows this approval (it expired or was used): start again"
            }
            Self::TooFast => "the grant was continued too early: wait and try again",
        }
    }
}

impl fmt::Display for GnapErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GnapErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GnapErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Ok(Self::parse(&code))
    }
}

/// The authorization server's error answer, the `error` member of
/// `{"error":{"code":…,"description":…}}`
/// ([RFC 9635 §3.6](https://www.rfc-editor.org/rfc/rfc9635#section-3.6)).
///
/// Both fields are optional because Rafiki answers some validation failures
/// with a description only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, thiserror::Error)]
pub struct GnapError {
    /// The error code, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<GnapErrorCode>,
    /// The server's human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl GnapError {
    /// Parses a response body of the form `{"error":{"code":…,"description":…}}`.
    ///
    /// Also accepts `{"error":"<code>"}`, the string form RFC 9635 §3.6 allows.
    ///
    /// # Errors
    ///
    /// The body is not JSON or has no `error` member.
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Body {
            Object(GnapError),
            Code(GnapErrorCode),
        }
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        let envelope: Envelope = serde_json::from_slice(body)?;
        Ok(match envelope.error {
            Body::Object(error) => error,
            Body::Code(code) => Self {
                code: Some(code),
                description: None,
            },
        })
    }

    /// The response body for this error: `{"error":{…}}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": self }).to_string()
    }
}

impl fmt::Display for GnapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "the wallet answered `{}`", excerpt(code.as_str()))?,
            None => f.write_str("the wallet refused the request")?,
        }
        if let Some(description) = &self.description {
            write!(f, " (\"{}\")", excerpt(description))?;
        }
        match &self.code {
            Some(code) => write!(f, ": {}", code.advice()),
            None => Ok(()),
        }
    }
}
