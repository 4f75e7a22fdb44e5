//! What the consent window says around the wallet's page: the native strip
//! above it (where the page is, whether it is encrypted, its two buttons)
//! and the window's title.

use url::Url;

/// The strip's button that moves the approval to the system browser.
pub const IN_BROWSER: &str = "Open in my browser instead";
/// The strip's button that cancels the approval.
pub const CANCEL: &str = "Cancel";

/// Where the consent window is, as its origin strip and title say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `host` or `host:port`.
    pub place: String,
    /// Served over HTTPS.
    pub secure: bool,
    /// The strip's sentence.
    pub text: String,
}

/// Where the wallet's page `url` is, in the strip's words.
#[must_use]
pub fn origin_of(url: &Url) -> Origin {
    let host = url.host_str().unwrap_or("an unknown place");
    let place = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let secure = url.scheme() == "https";
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    let text = if secure {
        format!("You are approving at {place} \u{2014} secure connection (HTTPS)")
    } else if local {
        format!(
            "You are approving at {place} \u{2014} a wallet on this computer, not encrypted ({})",
            url.scheme()
        )
    } else {
        format!(
            "You are approving at {place} \u{2014} NOT encrypted ({}): do not enter passwords \
             unless this is your own test wallet",
            url.scheme()
        )
    };
    Origin {
        place,
        secure,
        text,
    }
}

/// "wallet.example (secure connection) — approve in your wallet", or a
/// warning for plain http.
#[must_use]
pub fn title_for(url: &Url) -> String {
    let origin = origin_of(url);
    if origin.secure {
        format!(
            "{} (secure connection) \u{2014} approve in your wallet",
            origin.place
        )
    } else {
        format!(
            "{} (NOT encrypted: {}) \u{2014} approve in your wallet",
            origin.place,
            url.scheme()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strip_says_where_the_page_is_and_warns_without_https() {
        let secure = origin_of(&Url::parse("https://wallet.example/consent/1?x=2").unwrap());
        assert!(secure.secure);
        assert_eq!(secure.place, "wallet.example");
        assert_eq!(
            secure.text,
            "You are approving at wallet.example \u{2014} secure connection (HTTPS)"
        );

        let local = origin_of(&Url::parse("http://127.0.0.1:4455/consent/1").unwrap());
        assert!(!local.secure);
        assert_eq!(local.place, "127.0.0.1:4455");
        let expected = "You are approving at 127.0.0.1:4455 \u{2014} a wallet on this computer, \
                        not encrypted (http)";
        assert_eq!(local.text, expected);

        let remote = origin_of(&Url::parse("http://wallet.example/consent").unwrap());
        assert!(!remote.secure);
        let warning = "NOT encrypted (http): do not enter passwords";
        assert!(remote.text.contains(warning), "{}", remote.text);
        let title = title_for(&Url::parse("http://127.0.0.1:4455/").unwrap());
        assert!(
            title.starts_with("127.0.0.1:4455 (NOT encrypted: http)"),
            "{title}"
        );
    }
}
