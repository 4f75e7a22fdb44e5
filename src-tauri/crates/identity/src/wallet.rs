//! Checking a wallet address before using it as a client identity, and
//! checking that a key is published in its `jwks.json`.

use std::time::Duration;

use consent_desk_protocol::{Client, Jwk, KeyId, SigningKey, WalletAddress};
use serde::Serialize;
use url::Url;

/// Why a wallet address cannot be used, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// Not a URL.
    #[error(
        "`{text}` is not a wallet address: {reason}. It looks like https://wallet.example/alice \
         or $wallet.example/alice"
    )]
    InvalidUrl {
        /// What was entered.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// `http://` to a host that is not this machine.
    #[error(
        "{url} uses plain http; wallet addresses must use https (plain http is allowed only for \
         this machine, 127.0.0.1 or localhost, with the loopback option)"
    )]
    NotHttps {
        /// The URL.
        url: String,
    },
    /// The host did not answer.
    #[error("{host} could not be reached ({detail}). Check the address and your connection")]
    Unreachable {
        /// The host.
        host: String,
        /// What happened.
        detail: String,
    },
    /// It answered, but not as a wallet address.
    #[error("{url} answered, but not as an Open Payments wallet address ({detail})")]
    NotAWallet {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// No `publicName`: the wallet's consent page could not say who asks.
    #[error(
        "the wallet address {url} has no public name, which wallets need to show who asks for \
         approval; set one in your wallet's settings"
    )]
    NoPublicName {
        /// The URL.
        url: String,
    },
    /// The wallet's TLS certificate is not trusted, or the certificate
    /// authority file given to trust cannot be used (the sentence says which
    /// and what to do).
    #[error("{0}")]
    Certificate(String),
}

/// What the person sees before using a wallet address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletPreview {
    /// The wallet address, as the wallet names itself.
    pub url: Url,
    /// The name shown on consent pages.
    pub public_name: String,
    /// e.g. `USD`.
    pub asset_code: String,
    /// e.g. 2.
    pub asset_scale: u8,
    /// The authorization server.
    pub auth_server: Url,
}

/// Turns what a person typed into a URL: trims, reads payment pointers
/// (`$wallet.example/alice` is `https://wallet.example/alice`, and
/// `$wallet.example` is `https://wallet.example/.well-known/pay`) and adds
/// `https://` when no scheme is given. The one reading of typed wallet
/// addresses: the app, the CLI and the grant forms all come here.
///
/// # Errors
///
/// [`WalletError::InvalidUrl`] or [`WalletError::NotHttps`].
pub fn parse_wallet_url(text: &str, allow_http_loopback: bool) -> Result<Url, WalletError> {
    let trimmed = text.trim();
    let invalid = |reason: &str| WalletError::InvalidUrl {
        text: trimmed.to_owned(),
        reason: reason.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(invalid("it contains a space; a wallet address has none"));
    }
    let candidate = if let Some(pointer) = trimmed.strip_prefix('$') {
        payment_pointer(pointer).map_err(|reason| invalid(&reason))?
    } else if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        check_authority(trimmed).map_err(|reason| invalid(&reason))?;
        format!("https://{trimmed}")
    };
    let url = Url::parse(&candidate).map_err(|error| invalid(&error.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http_loopback && is_loopback(&url) => Ok(url),
        "http" => Err(WalletError::NotHttps {
            url: url.to_string(),
        }),
        other => Err(invalid(&format!("`{other}:` is not a web address"))),
    }
}

/// The https URL a payment pointer (without its `$`) stands for, or why it
/// is not one ([payment pointers](https://paymentpointers.org/syntax-resolution/)).
fn payment_pointer(pointer: &str) -> Result<String, String> {
    if pointer.is_empty() {
        return Err("a payment pointer needs a host after `$`, as in $wallet.example/alice".into());
    }
    if pointer.contains("://") || pointer.starts_with("//") {
        return Err(
            "a payment pointer has no scheme: write $wallet.example/alice, or the \
                    address itself, https://wallet.example/alice"
                .into(),
        );
    }
    if pointer.contains(['?', '#']) {
        return Err("a payment pointer cannot carry `?` or `#`".into());
    }
    check_authority(pointer)?;
    let (host, path) = pointer.split_at(pointer.find('/').unwrap_or(pointer.len()));
    // An empty path (or `/` alone) is the wallet's well-known address.
    Ok(if path.trim_start_matches('/').is_empty() {
        format!("https://{host}/.well-known/pay")
    } else {
        format!("https://{host}{path}")
    })
}

/// Checks the host part of a scheme-less address: no user, and after a `:`
/// only a port number (`wallet.example:alice` is a host and a name run
/// together, not a host and a path).
fn check_authority(text: &str) -> Result<(), String> {
    let authority = &text[..text.find(['/', '?', '#']).unwrap_or(text.len())];
    if authority.is_empty() {
        return Err("it has no host".into());
    }
    if authority.contains('@') {
        return Err("it names a user (`@`); a wallet address is a host and a path".into());
    }
    // `[::1]:8080`: only the part after the closing bracket can hold a port.
    let after_host = authority
        .rfind(']')
        .map_or(authority, |end| &authority[end + 1..]);
    if let Some((_, port)) = after_host.rsplit_once(':') {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{authority}` is not a host: after `:` comes a port number, and a path starts \
                 with `/`, as in wallet.example/alice"
            ));
        }
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A client for public GETs (wallet address, `jwks.json`), also trusting
/// the certificate authority in `ca_cert`. Its key is never used: those calls
/// are unsigned.
fn public_client(
    allow_http_loopback: bool,
    ca_cert: Option<&std::path::Path>,
) -> Result<Client, WalletError> {
    let mut builder = Client::builder()
        .key(
            SigningKey::generate(),
            KeyId::new("unused").expect("a valid key id"),
        )
        .client_wallet("https://unused.invalid/")
        .allow_http_loopback(allow_http_loopback)
        .timeout(Duration::from_secs(15));
    if let Some(path) = ca_cert {
        builder = builder.trust_ca_file(path);
    }
    // Only the CA file can be wrong; the rest is fixed.
    builder
        .build()
        .map_err(|error| WalletError::Certificate(error.to_string()))
}

fn classify(url: &Url, error: &consent_desk_protocol::Error) -> WalletError {
    if matches!(error, consent_desk_protocol::Error::Certificate { .. }) {
        return WalletError::Certificate(error.to_string());
    }
    if error.is_network() || error.is_timeout() {
        WalletError::Unreachable {
            host: url.host_str().unwrap_or_default().to_owned(),
            detail: network_cause(error),
        }
    } else {
        WalletError::NotAWallet {
            url: url.to_string(),
            detail: match error.status() {
                Some(status) => format!("HTTP {status}"),
                None => error.to_string(),
            },
        }
    }
}

/// What the network said, innermost ("Connection refused (os error 111)"):
/// the protocol's own sentence would repeat the advice around it.
fn network_cause(error: &consent_desk_protocol::Error) -> String {
    use std::error::Error as _;
    let mut cause = None;
    let mut next = error.source();
    while let Some(inner) = next {
        cause = Some(inner.to_string());
        next = inner.source();
    }
    cause.unwrap_or_else(|| {
        if error.is_timeout() {
            "it took too long to answer".to_owned()
        } else {
            error.to_string()
        }
    })
}

/// Fetches a wallet address and checks it can be a client identity.
///
/// # Errors
///
/// A [`WalletError`] saying what is wrong.
pub async fn preview(text: &str, allow_http_loopback: bool) -> Result<WalletPreview, WalletError> {
    preview_trusting(text, allow_http_loopback, None).await
}

/// [`preview`], also trusting the certificate authority in `ca_cert` (PEM).
///
/// # Errors
///
/// A [`WalletError`] saying what is wrong.
pub async fn preview_trusting(
    text: &str,
    allow_http_loopback: bool,
    ca_cert: Option<&std::path::Path>,
) -> Result<WalletPreview, WalletError> {
    let url = parse_wallet_url(text, allow_http_loopback)?;
    let client = public_client(allow_http_loopback, ca_cert)?;
    let wallet: WalletAddress = client
        .wallet_address(&url)
        .await
        .map_err(|error| classify(&url, &error))?;
    let public_name = wallet
        .public_name
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| WalletError::NoPublicName {
            url: url.to_string(),
        })?;
    Ok(WalletPreview {
        url: wallet.id,
        public_name,
        asset_code: wallet.asset_code,
        asset_scale: wallet.asset_scale,
        auth_server: wallet.auth_server,
    })
}

/// Whether a key is published in a wallet address's `jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Registration {
    /// The key id is there with this public key: ready.
    Registered,
    /// No key with this id is published (yet).
    KidMissing {
        /// The ids that are published.
        published: Vec<String>,
    },
    /// A key with this id is published, but it is another key.
    DifferentKey,
}

impl Registration {
    /// One sentence for a person.
    #[must_use]
    pub fn describe(&self, key_id: &str) -> String {
        match self {
            Self::Registered => format!("The key `{key_id}` is registered in the wallet."),
            Self::KidMissing { published } if published.is_empty() => format!(
                "The wallet publishes no keys yet; add the key `{key_id}` in its developer keys."
            ),
            Self::KidMissing { published } => format!(
                "The wallet publishes {} but not `{key_id}`; add this key, or use the id of the \
                 key you added.",
                published
                    .iter()
                    .map(|kid| format!("`{kid}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::DifferentKey => format!(
                "The wallet has a key named `{key_id}`, but it is a different key: remove it there \
                 and add this one, or import the private key that belongs to it."
            ),
        }
    }
}

/// Reads the wallet's `jwks.json` and compares it with `jwk`.
///
/// # Errors
///
/// The wallet could not be read ([`WalletError`]).
pub async fn check_registration(
    wallet: &Url,
    jwk: &Jwk,
    allow_http_loopback: bool,
) -> Result<Registration, WalletError> {
    check_registration_trusting(wallet, jwk, allow_http_loopback, None).await
}

/// [`check_registration`], also trusting the certificate authority in
/// `ca_cert` (PEM).
///
/// # Errors
///
/// The wallet could not be read ([`WalletError`]).
pub async fn check_registration_trusting(
    wallet: &Url,
    jwk: &Jwk,
    allow_http_loopback: bool,
    ca_cert: Option<&std::path::Path>,
) -> Result<Registration, WalletError> {
    let client = public_client(allow_http_loopback, ca_cert)?;
    let keys = client
        .jwks(wallet)
        .await
        .map_err(|error| classify(wallet, &error))?;
    Ok(match keys.find(jwk.kid.as_str()) {
        Some(published) if published.x == jwk.x => Registration::Registered,
        Some(_) => Registration::DifferentKey,
        None => Registration::KidMissing {
            published: keys
                .keys
                .iter()
                .map(|k| k.kid.as_str().to_owned())
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table the UI's hint (`ui/src/lib/format/address.ts`) is tested
    /// against too, so both read an address the same way.
    const CASES: &str = include_str!("../../../../ui/src/lib/format/wallet-addresses.json");

    #[test]
    fn typed_addresses_become_urls_or_clear_errors() {
        let table: serde_json::Value = serde_json::from_str(CASES).unwrap();
        let cases = table["cases"].as_array().unwrap();
        assert!(cases.len() > 20, "the shared table was read");
        for case in cases {
            let text = case["text"].as_str().unwrap();
            let loopback = case["loopback"].as_bool().unwrap_or(false);
            let result = parse_wallet_url(text, loopback);
            match (case["url"].as_str(), case["error"].as_str()) {
                (Some(url), _) => assert_eq!(
                    result.as_ref().map(Url::as_str),
                    Ok(url),
                    "`{text}` should read as {url}"
                ),
                (None, Some(words)) => {
                    let error = result.expect_err(text).to_string();
                    assert!(error.contains(words), "`{text}`: {error}");
                }
                (None, None) => panic!("a case needs a url or an error: {case}"),
            }
        }
    }

    #[test]
    fn refusals_say_what_an_address_looks_like() {
        let error = parse_wallet_url("$", false).unwrap_err().to_string();
        assert!(error.contains("$wallet.example/alice"), "{error}");
        assert!(matches!(
            parse_wallet_url("http://127.0.0.1:4455/a", false),
            Err(WalletError::NotHttps { .. })
        ));
    }
}
