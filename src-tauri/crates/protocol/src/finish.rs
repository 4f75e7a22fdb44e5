//! The interaction finish redirect
//! ([RFC 9635 §4.2.1](https://www.rfc-editor.org/rfc/rfc9635#section-4.2.1)) and
//! its hash ([§4.2.3](https://www.rfc-editor.org/rfc/rfc9635#section-4.2.3)).
//!
//! After the person approves at the wallet, the browser is sent to the client's
//! finish URI with `?hash=…&interact_ref=…`. The hash is
//! `base64(SHA-256(client_nonce "\n" server_nonce "\n" interact_ref "\n" grant_request_url))`:
//! only the authorization server that received the client's nonce could have
//! made it, so a valid hash proves the redirect is the answer to *this* grant.
//! Open Payments adds failure redirects, `?result=grant_rejected&message=…`,
//! which carry no hash.
//!
//! Verification is deliberately lenient about encoding and strict about
//! content. It accepts the hash in standard or URL-safe base64, padded or not
//! (Rafiki sends padded standard base64, the published docs show unpadded
//! base64url), and the grant request URL with or without a trailing slash
//! (older Rafiki hashed it with one). It compares in constant time.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand_core::{OsRng, RngCore as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq as _};

use crate::error::FinishError;

/// The longest finish redirect read, 4096 bytes. A wallet's is the client's
/// finish URI (about 80 bytes) plus `hash` and `interact_ref`, or `result`
/// and a short `message`: a few hundred bytes. Anyone can hand the app a
/// link, so a longer one is refused before it is parsed, logged or shown.
pub const MAX_FINISH_URL_BYTES: usize = 4096;

const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The interaction reference the wallet returns on approval; the client sends
/// it back to continue the grant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InteractRef(String);

impl InteractRef {
    /// Wraps an interaction reference.
    pub fn new(interact_ref: impl Into<String>) -> Self {
        Self(interact_ref.into())
    }

    /// The reference as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InteractRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GNAP interaction nonce: the client's (`interact.finish.nonce` in the
/// grant request) or the server's (`interact.finish` in its answer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nonce(String);

impl Nonce {
    /// Wraps a nonce, such as the one the server returned.
    pub fn new(nonce: impl Into<String>) -> Self {
        Self(nonce.into())
    }

    /// A fresh random client nonce: a version 4 UUID, the form the Open
    /// Payments SDK examples use, from the operating system's random source.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 16];
        OsRng.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let n = u128::from_be_bytes(bytes);
        Self(format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            n >> 96,
            (n >> 80) & 0xffff,
            (n >> 64) & 0xffff,
            (n >> 48) & 0xffff,
            n & 0xffff_ffff_ffff
        ))
    }

    /// The nonce as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `result` of a failure redirect, as the Rafiki identity provider
/// interface defines them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FinishResult {
    /// `grant_rejected`: the person declined.
    GrantRejected,
    /// `grant_invalid`: the grant is no longer pending.
    GrantInvalid,
    /// `invalid_interaction`: the interaction was invalid.
    InvalidInteraction,
    /// `unknown_interaction`: the wallet does not know the interaction (for
    /// example, a different browser session finished it).
    UnknownInteraction,
    /// `request_denied`: the wallet refused.
    RequestDenied,
    /// Any other value, verbatim.
    Other(String),
}

impl FinishResult {
    fn parse(result: &str) -> Self {
        match result {
            "grant_rejected" => Self::GrantRejected,
            "grant_invalid" => Self::GrantInvalid,
            "invalid_interaction" => Self::InvalidInteraction,
            "unknown_interaction" => Self::UnknownInteraction,
            "request_denied" => Self::RequestDenied,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The value as it appears in the URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::GrantRejected => "grant_rejected",
            Self::GrantInvalid => "grant_invalid",
            Self::InvalidInteraction => "invalid_interaction",
            Self::UnknownInteraction => "unknown_interaction",
            Self::RequestDenied => "request_denied",
            Self::Other(result) => result,
        }
    }
}

impl fmt::Display for FinishResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed but not yet verified finish redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinishRedirect {
    /// `?hash=…&interact_ref=…`: approved, if the hash verifies.
    Approved {
        /// The `hash` parameter, as sent.
        hash: String,
        /// The `interact_ref` parameter.
        interact_ref: InteractRef,
    },
    /// `?result=…[&message=…]`: the interaction failed.
    Failed {
        /// The `result` parameter.
        result: FinishResult,
        /// The optional `message` parameter.
        message: Option<String>,
    },
}

/// What a verified finish redirect says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinishOutcome {
    /// The person approved and the hash matched: continue the grant with
    /// `interact_ref`.
    Approved {
        /// The reference to send when continuing.
        interact_ref: InteractRef,
    },
    /// The wallet reports that the interaction failed.
    ///
    /// Failure redirects carry no hash, so anyone could have produced this
    /// one; treat it as a report to show, and let the grant's own state
    /// (continuing it yields an error) be the authority.
    Rejected {
        /// Why.
        result: FinishResult,
        /// The wallet's explanation, if it gave one.
        message: Option<String>,
    },
}

impl FinishRedirect {
    /// Parses the URL the browser was redirected to.
    ///
    /// Query parameters other than `hash`, `interact_ref`, `result` and
    /// `message` are ignored: they belong to the client's own finish URI.
    ///
    /// # Errors
    ///
    /// [`FinishError::TooLong`] past [`MAX_FINISH_URL_BYTES`],
    /// [`FinishError::InvalidUrl`], or which finish parameters are missing,
    /// empty, duplicated or in conflict.
    pub fn parse(url: &str) -> Result<Self, FinishError> {
        if url.len() > MAX_FINISH_URL_BYTES {
            return Err(FinishError::TooLong { length: url.len() });
        }
        let parsed = url::Url::parse(url).map_err(|error| FinishError::InvalidUrl {
            url: url.to_owned(),
            reason: error.to_string(),
        })?;
        let mut hash = None;
        let mut interact_ref = None;
        let mut result = None;
        let mut message = None;
        for (name, value) in parsed.query_pairs() {
            let (slot, name) = match name.as_ref() {
                "hash" => (&mut hash, "hash"),
                "interact_ref" => (&mut interact_ref, "interact_ref"),
                "result" => (&mut result, "result"),
                "message" => (&mut message, "message"),
                _ => continue,
            };
            if slot.is_some() {
                return Err(FinishError::DuplicateParameter { name });
            }
            // `message` may be empty; the others identify something.
            if value.is_empty() && name != "message" {
                return Err(FinishError::EmptyParameter { name });
            }
            *slot = Some(value.into_owned());
        }

        let success = hash.is_some() || interact_ref.is_some();
        let failure = result.is_some() || message.is_some();
        match (success, failure) {
            (true, true) => Err(FinishError::ConflictingParameters),
            (false, false) => Err(FinishError::NoFinishParameters),
            (true, false) => match (hash, interact_ref) {
                (Some(hash), Some(interact_ref)) => Ok(Self::Approved {
                    hash,
                    interact_ref: InteractRef(interact_ref),
                }),
                (None, _) => Err(FinishError::MissingHash),
                (_, None) => Err(FinishError::MissingInteractRef),
            },
            (false, true) => match result {
                Some(result) => Ok(Self::Failed {
                    result: FinishResult::parse(&result),
                    message,
                }),
                // `message` alone says nothing about the outcome.
                None => Err(FinishError::NoFinishParameters),
            },
        }
    }

    /// Checks the hash of an approval against this grant's nonces and the URL
    /// the grant was requested at (the wallet address's `authServer`).
    ///
    /// # Errors
    ///
    /// [`FinishError::MalformedHash`] or [`FinishError::HashMismatch`]; never
    /// for a failure redirect, which has no hash to check.
    pub fn verify(
        self,
        client_nonce: &Nonce,
        server_nonce: &Nonce,
        grant_request_url: &str,
    ) -> Result<FinishOutcome, FinishError> {
        match self {
            Self::Failed { result, message } => Ok(FinishOutcome::Rejected { result, message }),
            Self::Approved { hash, interact_ref } => {
                let received = decode_hash(&hash)?;
                let matched = url_variants(grant_request_url)
                    .iter()
                    .map(|url| {
                        let expected = hash_bytes(client_nonce, server_nonce, &interact_ref, url);
                        expected.as_slice().ct_eq(&received)
                    })
                    // Fold without short-circuit so timing does not tell
                    // which variant matched.
                    .fold(Choice::from(0), |any, this| any | this);
                if bool::from(matched) {
                    Ok(FinishOutcome::Approved { interact_ref })
                } else {
                    Err(FinishError::HashMismatch)
                }
            }
        }
    }
}

/// Parses a finish redirect and verifies it: [`FinishRedirect::parse`] then
/// [`FinishRedirect::verify`].
///
/// # Errors
///
/// As those two.
pub fn verify_finish(
    finish_url: &str,
    client_nonce: &Nonce,
    server_nonce: &Nonce,
    grant_request_url: &str,
) -> Result<FinishOutcome, FinishError> {
    FinishRedirect::parse(finish_url)?.verify(client_nonce, server_nonce, grant_request_url)
}

/// The finish hash as Rafiki sends it: standard base64 with padding.
#[must_use]
pub fn finish_hash(
    client_nonce: &Nonce,
    server_nonce: &Nonce,
    interact_ref: &InteractRef,
    grant_request_url: &str,
) -> String {
    STANDARD.encode(hash_bytes(
        client_nonce,
        server_nonce,
        interact_ref,
        grant_request_url,
    ))
}

fn hash_bytes(
    client_nonce: &Nonce,
    server_nonce: &Nonce,
    interact_ref: &InteractRef,
    grant_request_url: &str,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (index, part) in [
        client_nonce.as_str(),
        server_nonce.as_str(),
        interact_ref.as_str(),
        grant_request_url,
    ]
    .into_iter()
    .enumerate()
    {
        if index > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

/// Decodes a received hash in any of the four base64 spellings.
fn decode_hash(hash: &str) -> Result<Vec<u8>, FinishError> {
    // A raw `+` in a query string decodes to a space; base64 never has spaces,
    // so a space can only be a `+` that was not percent-encoded.
    let hash = hash.replace(' ', "+");
    let decoded = LENIENT_STANDARD
        .decode(&hash)
        .or_else(|_| LENIENT_URL_SAFE.decode(&hash))
        .map_err(|_| FinishError::MalformedHash)?;
    if decoded.len() == 32 {
        Ok(decoded)
    } else {
        Err(FinishError::MalformedHash)
    }
}

/// The grant request URL as given, and with its trailing slash added or removed.
fn url_variants(url: &str) -> Vec<String> {
    let other = match url.strip_suffix('/') {
        Some(without) => without.to_owned(),
        None => format!("{url}/"),
    };
    vec![url.to_owned(), other]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonces() -> (Nonce, Nonce) {
        (Nonce::new("client"), Nonce::new("server"))
    }

    fn approved_url(hash: &str) -> String {
        let mut url = url::Url::parse("http://localhost:1/finish?state=x").unwrap();
        url.query_pairs_mut()
            .append_pair("hash", hash)
            .append_pair("interact_ref", "ref-1");
        url.into()
    }

    #[test]
    fn parses_success_and_failure() {
        assert_eq!(
            FinishRedirect::parse("consentdesk://finish?hash=abc&interact_ref=r").unwrap(),
            FinishRedirect::Approved {
                hash: "abc".to_owned(),
                interact_ref: InteractRef::new("r"),
            }
        );
        assert_eq!(
            FinishRedirect::parse(
                "http://127.0.0.1:9/cb?result=grant_rejected&message=No%20thanks"
            )
            .unwrap(),
            FinishRedirect::Failed {
                result: FinishResult::GrantRejected,
                message: Some("No thanks".to_owned()),
            }
        );
        assert_eq!(
            FinishRedirect::parse("http://x/cb?result=something_new").unwrap(),
            FinishRedirect::Failed {
                result: FinishResult::Other("something_new".to_owned()),
                message: None,
            }
        );
    }

    #[test]
    fn every_known_result_parses() {
        for (text, expected) in [
            ("grant_rejected", FinishResult::GrantRejected),
            ("grant_invalid", FinishResult::GrantInvalid),
            ("invalid_interaction", FinishResult::InvalidInteraction),
            ("unknown_interaction", FinishResult::UnknownInteraction),
            ("request_denied", FinishResult::RequestDenied),
        ] {
            let parsed = FinishRedirect::parse(&format!("http://x/?result={text}")).unwrap();
            assert_eq!(
                parsed,
                FinishRedirect::Failed {
                    result: expected.clone(),
                    message: None
                }
            );
            assert_eq!(expected.as_str(), text);
        }
    }

    #[test]
    fn malformed_redirects_are_named() {
        for (url, expected) in [
            ("http://x/cb", FinishError::NoFinishParameters),
            ("http://x/cb?message=hi", FinishError::NoFinishParameters),
            ("http://x/cb?interact_ref=r", FinishError::MissingHash),
            ("http://x/cb?hash=h", FinishError::MissingInteractRef),
            (
                "http://x/cb?hash=h&interact_ref=r&result=grant_rejected",
                FinishError::ConflictingParameters,
            ),
            (
                "http://x/cb?hash=h&interact_ref=r&message=m",
                FinishError::ConflictingParameters,
            ),
            (
                "http://x/cb?hash=h&hash=h&interact_ref=r",
                FinishError::DuplicateParameter { name: "hash" },
            ),
            (
                "http://x/cb?hash=&interact_ref=r",
                FinishError::EmptyParameter { name: "hash" },
            ),
        ] {
            assert_eq!(FinishRedirect::parse(url).unwrap_err(), expected, "{url}");
        }
        assert!(matches!(
            FinishRedirect::parse("not a url"),
            Err(FinishError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn accepts_all_base64_spellings_and_trailing_slash() {
        let (client, server) = nonces();
        let interact_ref = InteractRef::new("ref-1");
        let digest = hash_bytes(&client, &server, &interact_ref, "https://as.example/");
        let spellings = [
            base64::engine::general_purpose::STANDARD.encode(digest),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest),
            base64::engine::general_purpose::URL_SAFE.encode(digest),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
        ];
        for hash in &spellings {
            for grant_url in ["https://as.example/", "https://as.example"] {
                let outcome =
                    verify_finish(&approved_url(hash), &client, &server, grant_url).unwrap();
                assert_eq!(
                    outcome,
                    FinishOutcome::Approved {
                        interact_ref: interact_ref.clone()
                    }
                );
            }
        }
    }

    #[test]
    fn unencoded_plus_in_the_query_still_verifies() {
        let (client, server) = nonces();
        // Find an interact_ref whose hash has a `+` so the case is real.
        let (interact_ref, hash) = (0..)
            .map(|n| InteractRef::new(format!("ref-{n}")))
            .map(|r| {
                let hash = finish_hash(&client, &server, &r, "https://as.example");
                (r, hash)
            })
            .find(|(_, hash)| hash.contains('+'))
            .unwrap();
        let url = format!("http://x/cb?hash={hash}&interact_ref={interact_ref}");
        assert_eq!(
            verify_finish(&url, &client, &server, "https://as.example").unwrap(),
            FinishOutcome::Approved { interact_ref }
        );
    }

    #[test]
    fn wrong_hash_is_refused() {
        let (client, server) = nonces();
        let hash = finish_hash(
            &client,
            &server,
            &InteractRef::new("ref-1"),
            "https://as.example",
        );
        let url = approved_url(&hash);
        assert_eq!(
            verify_finish(&url, &client, &Nonce::new("other"), "https://as.example"),
            Err(FinishError::HashMismatch)
        );
        assert_eq!(
            verify_finish(&url, &client, &server, "https://other.example"),
            Err(FinishError::HashMismatch)
        );
        assert_eq!(
            verify_finish(
                &approved_url("AAAA"),
                &client,
                &server,
                "https://as.example"
            ),
            Err(FinishError::MalformedHash)
        );
        assert_eq!(
            verify_finish(&approved_url("!!"), &client, &server, "https://as.example"),
            Err(FinishError::MalformedHash)
        );
    }

    #[test]
    fn failure_redirects_need_no_hash() {
        let (client, server) = nonces();
        assert_eq!(
            verify_finish(
                "http://x/?result=request_denied",
                &client,
                &server,
                "https://a"
            ),
            Ok(FinishOutcome::Rejected {
                result: FinishResult::RequestDenied,
                message: None
            })
        );
    }

    #[test]
    fn generated_nonces_are_v4_uuids() {
        let nonce = Nonce::generate();
        let text = nonce.as_str();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(nonce, Nonce::generate());
    }
}
