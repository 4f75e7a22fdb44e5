//! What an [`Exchange`](crate::Exchange) may show of a request and its
//! answer: headers and bodies with every secret replaced by
//! [`REDACTED`], bodies cut at [`MAX_LOGGED_BODY_BYTES`].
//!
//! Secrets are what lets someone act as the app:
//! - the value of `Authorization` and `Proxy-Authorization` (the scheme,
//!   `GNAP`, stays), `Cookie` and `Set-Cookie`;
//! - in JSON bodies, an access token's `value` (`access_token.value`,
//!   `continue.access_token.value`, and each of an `access_token` array),
//!   `interact_ref` (with the continuation token it finishes a grant), and a
//!   JWK's private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`);
//! - the token the request carried, wherever else it shows up (a server
//!   echoing it in an error page).
//!
//! Kept, because they are public and what QA needs: `Signature`,
//! `Signature-Input`, `Content-Digest`, the nonces and the hash of a finish,
//! the token's `manage` URL, public keys and wallet addresses.

use serde_json::Value;

/// What stands in for a secret.
pub const REDACTED: &str = "(redacted)";

/// The most of a body kept; the rest is counted, not kept.
pub const MAX_LOGGED_BODY_BYTES: usize = 16 * 1024;

/// Headers whose whole value is a credential.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A JWK's private members (RFC 7518 §6).
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A header as it may be shown: a credential's scheme stays, its value goes.
#[must_use]
pub fn header_value(name: &str, value: &str, secrets: &[&str]) -> String {
    if SECRET_HEADERS
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
    {
        return match value.split_once(' ') {
            Some((scheme, _)) if name.to_ascii_lowercase().ends_with("authorization") => {
                format!("{scheme} {REDACTED}")
            }
            _ => REDACTED.to_owned(),
        };
    }
    without(value, secrets)
}

/// A body as it may be shown: JSON with its secrets replaced (and
/// indented, for reading), other text as it came (invalid UTF-8 replaced),
/// `secrets` replaced anywhere, cut at [`MAX_LOGGED_BODY_BYTES`].
#[must_use]
pub fn body(bytes: &[u8], secrets: &[&str]) -> String {
    let text = match serde_json::from_slice::<Value>(bytes) {
        Ok(mut json) => {
            redact_json(&mut json);
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    cut(&without(&text, secrets), MAX_LOGGED_BODY_BYTES)
}

/// `text` with each secret replaced.
fn without(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, REDACTED)
        })
}

/// `text` up to `max` bytes (at a character's edge), then how much more
/// there was.
#[must_use]
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes more)", &text[..end], text.len() - end)
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(members) => {
            let is_jwk = members.contains_key("kty");
            for (name, member) in members.iter_mut() {
                match name.as_str() {
                    "access_token" => redact_token(member),
                    "interact_ref" if member.is_string() => {
                        *member = Value::String(REDACTED.to_owned());
                    }
                    private if is_jwk && PRIVATE_JWK_MEMBERS.contains(&private) => {
                        *member = Value::String(REDACTED.to_owned());
                    }
                    _ => redact_json(member),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// An `access_token`: one object or an array of them (GNAP §3.2.1).
fn redact_token(token: &mut Value) {
    match token {
        Value::Array(tokens) => tokens.iter_mut().for_each(redact_token),
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if name == "value" {
                    *member = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(member);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_headers_keep_only_their_scheme() {
        assert_eq!(
            header_value("Authorization", "GNAP T0KEN", &[]),
            "GNAP (redacted)"
        );
        assert_eq!(header_value("cookie", "a=b; c=d", &[]), REDACTED);
        assert_eq!(header_value("set-cookie", "a", &[]), REDACTED);
        let signature = "sig1=:abc=:";
        assert_eq!(header_value("Signature", signature, &[]), signature);
        assert_eq!(
            header_value("x-echo", "you sent T0KEN", &["T0KEN"]),
            "you sent (redacted)"
        );
    }

    #[test]
    fn token_values_interaction_references_and_private_keys_go() {
        let answer = serde_json::json!({
            "access_token": [{"value": "AT1", "manage": "https://a/token/1", "access": []},
                             {"value": "AT2", "manage": "https://a/token/2"}],
            "continue": {"access_token": {"value": "CT"}, "uri": "https://a/continue/1"},
            "interact": {"redirect": "https://a/i/1", "finish": "server-nonce"},
            "interact_ref": "REF",
            "client": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "PUBLIC", "d": "PRIVATE"}},
        });
        let shown = body(answer.to_string().as_bytes(), &[]);
        for secret in ["AT1", "AT2", "\"CT\"", "REF", "PRIVATE"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for public in [
            "https://a/token/1",
            "https://a/continue/1",
            "server-nonce",
            "PUBLIC",
        ] {
            assert!(shown.contains(public), "{public} kept in {shown}");
        }
    }

    #[test]
    fn text_bodies_lose_the_sent_token_and_long_ones_are_cut() {
        assert_eq!(
            body(b"<p>bad token T0KEN</p>", &["T0KEN"]),
            "<p>bad token (redacted)</p>"
        );
        let long = "é".repeat(MAX_LOGGED_BODY_BYTES);
        let shown = body(long.as_bytes(), &[]);
        assert!(shown.len() < MAX_LOGGED_BODY_BYTES + 40, "{}", shown.len());
        assert!(
            shown.ends_with(&format!("… ({} bytes more)", MAX_LOGGED_BODY_BYTES)),
            "cut at a character's edge"
        );
    }
}
