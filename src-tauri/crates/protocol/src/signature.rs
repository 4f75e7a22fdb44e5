//! HTTP Message Signatures ([RFC 9421](https://www.rfc-editor.org/rfc/rfc9421))
//! and Content-Digest ([RFC 9530](https://www.rfc-editor.org/rfc/rfc9530)) the
//! way Open Payments uses them.
//!
//! The profile is that of `@interledger/http-signature-utils` 2.0.2, which the
//! Node SDK signs with and the Rafiki authorization server verifies with:
//!
//! - covered components, in this order: `"@method" "@target-uri"`, then
//!   `"authorization"` if the request has that header, then
//!   `"content-digest" "content-length" "content-type"` if it has a body
//!   (an empty body counts as none);
//! - signature parameters `keyid` then `created`, label `sig1`, no `alg`;
//! - `Content-Digest: sha-512=:…:` over the exact body bytes.
//!
//! `@target-uri` ([§2.2.2](https://www.rfc-editor.org/rfc/rfc9421#section-2.2.2))
//! is the request URI after WHATWG URL parsing, the form Node's `URL`, `reqwest`
//! and Koa's `ctx.href` all produce, so signer and verifier agree even when the
//! URI was written with, say, an explicit default port.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use sfv::{
    string_ref, BareItem, Dictionary, FieldType as _, InnerList, Integer, Item, ListEntry,
    Parameters, Parser, Version,
};
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{SignError, VerifyError};
use crate::key::{Jwks, KeyId, SigningKey};

/// The signature label the reference library uses.
const LABEL: &str = "sig1";
const SIGNATURE_INPUT: &str = "signature-input";
const SIGNATURE: &str = "signature";
const CONTENT_DIGEST: &str = "content-digest";
/// What the reference library sends as the type of every body: Open Payments
/// bodies are JSON.
const JSON: &str = "application/json";

/// Signs `request` for Open Payments: adds `Content-Digest`, `Content-Length`
/// and (if absent) `Content-Type: application/json` when it has a body, then
/// `Signature-Input` and `Signature`.
///
/// A pure function of its inputs: the same request, key, id and time give the
/// same headers, byte for byte, as `@interledger/http-signature-utils`.
/// The body must be exactly the bytes that will be sent, and compact JSON:
/// the Rafiki authorization server re-serializes it with `JSON.stringify`
/// before checking the digest. `created` is truncated to whole seconds.
///
/// One deliberate difference from the reference library: a `Content-Type` the
/// caller set is kept (and signed) instead of being replaced by
/// `application/json`.
///
/// On error the request is left unchanged.
///
/// # Errors
///
/// [`SignError::RelativeUri`] or [`SignError::InvalidUri`] unless the URI is an
/// absolute URL, [`SignError::InvalidHeaderValue`] if `Authorization` is not
/// visible ASCII, [`SignError::CreatedOutOfRange`] for a time before 1970.
pub fn sign_request<B: AsRef<[u8]>>(
    request: &mut Request<B>,
    key: &SigningKey,
    key_id: &KeyId,
    created: SystemTime,
) -> Result<(), SignError> {
    let target_uri = target_uri(request.uri()).map_err(|problem| match problem {
        UriProblem::Relative => SignError::RelativeUri {
            uri: request.uri().to_string(),
        },
        UriProblem::Invalid(reason) => SignError::InvalidUri {
            uri: request.uri().to_string(),
            reason,
        },
    })?;
    let created = created
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_secs()).ok())
        .and_then(|secs| Integer::try_from(secs).ok())
        .ok_or(SignError::CreatedOutOfRange)?;

    // Work on a copy so that a failure leaves the caller's request untouched.
    let mut headers = request.headers().clone();
    let body = request.body().as_ref();
    let mut components = vec![string_ref("@method"), string_ref("@target-uri")];
    if headers.contains_key(AUTHORIZATION) {
        components.push(string_ref("authorization"));
    }
    if !body.is_empty() {
        headers.insert(
            HeaderName::from_static(CONTENT_DIGEST),
            header_value(format!(
                "sha-512=:{}:",
                STANDARD.encode(Sha512::digest(body))
            )),
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        }
        components.extend([
            string_ref("content-digest"),
            string_ref("content-length"),
            string_ref("content-type"),
        ]);
    }

    let mut params = Parameters::new();
    params.insert(
        sfv::key_ref("keyid").to_owned(),
        BareItem::String(key_id.as_sfv().clone()),
    );
    params.insert(
        sfv::key_ref("created").to_owned(),
        BareItem::Integer(created),
    );
    let inner_list = InnerList::with_params(
        components
            .into_iter()
            .map(|component| Item::new(component.to_owned()))
            .collect(),
        params,
    );
    let signature_params = serialize_inner_list(&inner_list);

    let base = signature_base(
        request.method(),
        &target_uri,
        &headers,
        &inner_list,
        &signature_params,
    )
    // Every component was chosen above and every header but `authorization`
    // was set above, so the only possible problem is a non-ASCII
    // `authorization`.
    .map_err(|problem| SignError::InvalidHeaderValue {
        name: problem.into_name(),
    })?;
    let signature = key.sign(base.as_bytes());

    headers.insert(
        HeaderName::from_static(SIGNATURE_INPUT),
        header_value(format!("{LABEL}={signature_params}")),
    );
    headers.insert(
        HeaderName::from_static(SIGNATURE),
        header_value(format!("{LABEL}=:{}:", STANDARD.encode(signature))),
    );
    *request.headers_mut() = headers;
    Ok(())
}

/// Builds a header value from text this module produced (base64, digits,
/// structured fields), which is always visible ASCII.
fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).expect("signature headers are visible ASCII")
}

/// A successfully verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// The key that made the signature.
    pub key_id: KeyId,
    /// When the signer says it signed, whole seconds.
    pub created: SystemTime,
}

/// Checks RFC 9421 signatures on incoming requests against a client's key set.
///
/// Beyond the cryptographic check it enforces the Open Payments profile: the
/// signature must cover `@method`, `@target-uri`, `authorization` when the
/// request has one, and the three content components when it has a body;
/// `Content-Digest` and `Content-Length` must match the body; `created` must
/// be within [`max_clock_skew`](Self::max_clock_skew) of now.
#[derive(Debug, Clone)]
#[must_use]
pub struct Verifier {
    max_skew: Duration,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier allowing five minutes of clock difference either way.
    pub fn new() -> Self {
        Self {
            max_skew: Duration::from_secs(5 * 60),
        }
    }

    /// How far `created` may be from the verifier's clock, in the past or the
    /// future.
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Verifies the `sig1` signature (or, failing that name, the first one in
    /// `Signature-Input`) of `request`, whose URI must be the absolute URL the
    /// client requested.
    ///
    /// # Errors
    ///
    /// The [`VerifyError`] variant names the first check that failed, in this
    /// order: headers present and well formed, components and parameters
    /// supported, required components covered, `created` and `expires`, `keyid`
    /// known, body digest and length, Ed25519 signature.
    pub fn verify<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        keys: &Jwks,
        now: SystemTime,
    ) -> Result<VerifiedSignature, VerifyError> {
        let headers = request.headers();
        let body = request.body().as_ref();

        let input_field = combined_field(headers, SIGNATURE_INPUT, "Signature-Input")?;
        let inputs = parse_dictionary(&input_field, "Signature-Input")?;
        let (label, inner_list) = select_signature(&inputs)?;
        let signature_field = combined_field(headers, SIGNATURE, "Signature")?;
        let signatures = parse_dictionary(&signature_field, "Signature")?;
        let signature = signature_bytes(&signatures, label)?;

        let covered = covered_components(inner_list)?;
        let params = SignatureParams::from_sfv(&inner_list.params)?;
        require_coverage(&covered, headers, body)?;
        self.check_times(&params, now)?;

        let jwk = keys
            .find(params.key_id.as_str())
            .ok_or_else(|| VerifyError::UnknownKeyId {
                key_id: params.key_id.to_string(),
            })?;
        let verifying_key = jwk.verifying_key().map_err(VerifyError::UnusableKey)?;

        let target_uri = target_uri(request.uri()).map_err(|_| VerifyError::InvalidTargetUri {
            uri: request.uri().to_string(),
        })?;
        let signature_params = serialize_inner_list(inner_list);
        let base = signature_base(
            request.method(),
            &target_uri,
            headers,
            inner_list,
            &signature_params,
        )
        .map_err(|problem| match problem {
            BaseProblem::Missing(name) => VerifyError::MissingHeader { name },
            BaseProblem::NotText(name) => VerifyError::MalformedField {
                field: "covered header",
                reason: format!("`{name}` is not visible ASCII"),
            },
            BaseProblem::Unsupported(component) => VerifyError::UnsupportedComponent { component },
        })?;

        check_body(headers, body)?;

        let signature = ed25519_dalek::Signature::from_bytes(&signature);
        verifying_key
            .verify_strict(base.as_bytes(), &signature)
            .map_err(|_| VerifyError::BadSignature)?;
        Ok(VerifiedSignature {
            key_id: params.key_id,
            created: UNIX_EPOCH + Duration::from_secs(params.created.unsigned_abs()),
        })
    }

    fn check_times(&self, params: &SignatureParams, now: SystemTime) -> Result<(), VerifyError> {
        let now = unix_seconds(now);
        let max_skew = i64::try_from(self.max_skew.as_secs()).unwrap_or(i64::MAX);
        if params.created.abs_diff(now) > max_skew.unsigned_abs() {
            return Err(VerifyError::CreatedOutOfWindow {
                created: params.created,
                now,
                max_skew_secs: self.max_skew.as_secs(),
            });
        }
        match params.expires {
            Some(expires) if expires <= now => Err(VerifyError::Expired { expires }),
            _ => Ok(()),
        }
    }
}

/// Seconds since the epoch, negative before it.
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |secs| -secs),
    }
}

enum UriProblem {
    Relative,
    Invalid(String),
}

/// `@target-uri`: the absolute request URL in WHATWG serialization.
fn target_uri(uri: &Uri) -> Result<String, UriProblem> {
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(UriProblem::Relative);
    }
    url::Url::parse(&uri.to_string())
        .map(String::from)
        .map_err(|error| UriProblem::Invalid(error.to_string()))
}

/// Why a signature base could not be built.
enum BaseProblem {
    /// A covered header is absent.
    Missing(String),
    /// A covered header is not visible ASCII.
    NotText(String),
    /// A derived component other than `@method` and `@target-uri`.
    Unsupported(String),
}

impl BaseProblem {
    fn into_name(self) -> String {
        match self {
            Self::Missing(name) | Self::NotText(name) | Self::Unsupported(name) => name,
        }
    }
}

/// The signature base ([RFC 9421 §2.5](https://www.rfc-editor.org/rfc/rfc9421#section-2.5)):
/// one `"<component>": <value>` line per covered component, then the
/// `"@signature-params"` line, joined by `\n` with no trailing newline.
fn signature_base(
    method: &Method,
    target_uri: &str,
    headers: &HeaderMap,
    inner_list: &InnerList,
    signature_params: &str,
) -> Result<String, BaseProblem> {
    let mut lines = Vec::with_capacity(inner_list.items.len() + 1);
    for item in &inner_list.items {
        let name = item.bare_item.as_string().map_or("", |name| name.as_str());
        let value = match name {
            // As the RFC says and unlike the reference library, the method is
            // not upper-cased: `http::Method` already spells standard methods in
            // upper case, and an extension method's case is significant.
            "@method" => method.as_str().to_owned(),
            "@target-uri" => target_uri.to_owned(),
            derived if derived.starts_with('@') => {
                return Err(BaseProblem::Unsupported(derived.to_owned()))
            }
            field => header_component(headers, field)?,
        };
        lines.push(format!("\"{name}\": {value}"));
    }
    lines.push(format!("\"@signature-params\": {signature_params}"));
    Ok(lines.join("\n"))
}

/// A header's component value ([RFC 9421 §2.1](https://www.rfc-editor.org/rfc/rfc9421#section-2.1)):
/// every field line's value, trimmed, joined by `", "`.
fn header_component(headers: &HeaderMap, name: &str) -> Result<String, BaseProblem> {
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return Err(BaseProblem::Missing(name.to_owned()));
    }
    let values = values
        .map(|value| value.to_str().map(str::trim))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| BaseProblem::NotText(name.to_owned()))?;
    Ok(values.join(", "))
}

/// The inner list as it appears after `sig1=`, which is also the
/// `@signature-params` value ([RFC 9421 §2.3](https://www.rfc-editor.org/rfc/rfc9421#section-2.3)).
fn serialize_inner_list(inner_list: &InnerList) -> String {
    let list: sfv::List = vec![ListEntry::InnerList(inner_list.clone())];
    list.serialize()
        .expect("a list with one member always serializes")
}

/// All field lines of a header joined as RFC 9110 §5.3 combines them.
fn combined_field(
    headers: &HeaderMap,
    name: &'static str,
    field: &'static str,
) -> Result<String, VerifyError> {
    header_component(headers, name).map_err(|problem| match problem {
        BaseProblem::NotText(_) => VerifyError::MalformedField {
            field,
            reason: "it is not visible ASCII".to_owned(),
        },
        BaseProblem::Missing(_) | BaseProblem::Unsupported(_) => VerifyError::MissingHeader {
            name: name.to_owned(),
        },
    })
}

fn parse_dictionary(field: &str, name: &'static str) -> Result<Dictionary, VerifyError> {
    Parser::new(field)
        .with_version(Version::Rfc8941)
        .parse::<Dictionary>()
        .map_err(|error| VerifyError::MalformedField {
            field: name,
            reason: error.to_string(),
        })
}

/// Picks `sig1`, the reference library's label, or else the first signature.
fn select_signature(inputs: &Dictionary) -> Result<(&str, &InnerList), VerifyError> {
    let (label, entry) = inputs
        .get_key_value(LABEL)
        .or_else(|| inputs.first())
        .ok_or_else(|| VerifyError::MalformedField {
            field: "Signature-Input",
            reason: "it declares no signature".to_owned(),
        })?;
    match entry {
        ListEntry::InnerList(inner_list) => Ok((label.as_str(), inner_list)),
        ListEntry::Item(_) => Err(VerifyError::MalformedField {
            field: "Signature-Input",
            reason: format!("`{label}` is not a parenthesized list of components"),
        }),
    }
}

fn signature_bytes(signatures: &Dictionary, label: &str) -> Result<[u8; 64], VerifyError> {
    let entry = signatures
        .get(label)
        .ok_or_else(|| VerifyError::MissingSignature {
            label: label.to_owned(),
        })?;
    let bytes = match entry {
        ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
        ListEntry::InnerList(_) => None,
    }
    .ok_or_else(|| VerifyError::MalformedField {
        field: "Signature",
        reason: format!("`{label}` is not a byte sequence (`:base64:`)"),
    })?;
    bytes.try_into().map_err(|_| VerifyError::MalformedField {
        field: "Signature",
        reason: format!(
            "`{label}` is {} bytes; Ed25519 signatures are 64",
            bytes.len()
        ),
    })
}

/// The covered component names, refusing what this verifier cannot rebuild.
fn covered_components(inner_list: &InnerList) -> Result<Vec<&str>, VerifyError> {
    let mut covered: Vec<&str> = Vec::with_capacity(inner_list.items.len());
    for item in &inner_list.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| VerifyError::MalformedField {
                field: "Signature-Input",
                reason: "a covered component is not a quoted string".to_owned(),
            })?
            .as_str();
        // Component parameters (`;sf`, `;key`, `;req`, …) change how a value is
        // derived; none is part of the Open Payments profile.
        if !item.params.is_empty() || (name.starts_with('@') && !is_supported_derived(name)) {
            return Err(VerifyError::UnsupportedComponent {
                component: name.to_owned(),
            });
        }
        if name.is_empty() || name.bytes().any(|byte| byte.is_ascii_uppercase()) {
            return Err(VerifyError::MalformedField {
                field: "Signature-Input",
                reason: format!("`{name}` is not a lower-case component name"),
            });
        }
        if covered.contains(&name) {
            return Err(VerifyError::MalformedField {
                field: "Signature-Input",
                reason: format!("`{name}` is covered twice"),
            });
        }
        covered.push(name);
    }
    Ok(covered)
}

fn is_supported_derived(name: &str) -> bool {
    matches!(name, "@method" | "@target-uri")
}

/// The Open Payments profile: what the Rafiki verifier insists on.
fn require_coverage(covered: &[&str], headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
    let mut required = vec!["@method", "@target-uri"];
    if headers.contains_key(AUTHORIZATION) {
        required.push("authorization");
    }
    if !body.is_empty() {
        required.extend(["content-digest", "content-length", "content-type"]);
    }
    match required.into_iter().find(|name| !covered.contains(name)) {
        Some(component) => Err(VerifyError::ComponentNotCovered { component }),
        None => Ok(()),
    }
}

/// The signature parameters this verifier uses
/// ([RFC 9421 §2.3](https://www.rfc-editor.org/rfc/rfc9421#section-2.3)).
/// Others (`nonce`, `tag`) are covered by the signature but not interpreted.
struct SignatureParams {
    key_id: KeyId,
    created: i64,
    expires: Option<i64>,
}

impl SignatureParams {
    fn from_sfv(params: &Parameters) -> Result<Self, VerifyError> {
        let malformed = |reason: &str| VerifyError::MalformedField {
            field: "Signature-Input",
            reason: reason.to_owned(),
        };
        let key_id = params
            .get("keyid")
            .ok_or(VerifyError::MissingParameter { name: "keyid" })?
            .as_string()
            .ok_or_else(|| malformed("`keyid` is not a quoted string"))?;
        let key_id = KeyId::new(key_id.as_str()).map_err(|_| malformed("`keyid` is empty"))?;
        let created = params
            .get("created")
            .ok_or(VerifyError::MissingParameter { name: "created" })?
            .as_integer()
            .ok_or_else(|| malformed("`created` is not an integer"))?;
        let expires = params
            .get("expires")
            .map(|expires| {
                expires
                    .as_integer()
                    .ok_or_else(|| malformed("`expires` is not an integer"))
            })
            .transpose()?;
        if let Some(alg) = params.get("alg") {
            let alg = alg
                .as_string()
                .ok_or_else(|| malformed("`alg` is not a quoted string"))?;
            if alg.as_str() != "ed25519" {
                return Err(VerifyError::UnsupportedAlgorithm {
                    alg: alg.as_str().to_owned(),
                });
            }
        }
        Ok(Self {
            key_id,
            created: created.into(),
            expires: expires.map(i64::from),
        })
    }
}

/// Checks `Content-Digest` ([RFC 9530 §2](https://www.rfc-editor.org/rfc/rfc9530#section-2))
/// and `Content-Length` against the body, whenever either header is present.
fn check_body(headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
    if headers.contains_key(CONTENT_DIGEST) {
        let field = combined_field(headers, CONTENT_DIGEST, "Content-Digest")?;
        let digests = parse_dictionary(&field, "Content-Digest")?;
        let mut checked = false;
        for (algorithm, computed) in [
            ("sha-512", Sha512::digest(body).to_vec()),
            ("sha-256", Sha256::digest(body).to_vec()),
        ] {
            let Some(entry) = digests.get(algorithm) else {
                continue;
            };
            let declared = match entry {
                ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
                ListEntry::InnerList(_) => None,
            }
            .ok_or_else(|| VerifyError::MalformedField {
                field: "Content-Digest",
                reason: format!("`{algorithm}` is not a byte sequence (`:base64:`)"),
            })?;
            if declared != computed.as_slice() {
                return Err(VerifyError::DigestMismatch { algorithm });
            }
            checked = true;
        }
        if !checked {
            return Err(VerifyError::UnsupportedDigest);
        }
    }
    if let Some(declared) = headers.get(CONTENT_LENGTH) {
        let matches = declared
            .to_str()
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            == Some(body.len());
        if !matches {
            return Err(VerifyError::ContentLengthMismatch {
                declared: String::from_utf8_lossy(declared.as_bytes()).into_owned(),
                actual: body.len(),
            });
        }
    }
    Ok(())
}
