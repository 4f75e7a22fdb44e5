//! Bearer tokens, which must never reach a log.
//!
//! Each type prints `[redacted]` in `Debug`, has no `PartialEq` (comparing
//! secrets with `==` is not constant time) and hands its text out only through
//! `secret()`, so every use is easy to find in review.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// # Security Warning
        ///
        /// Whoever holds this value can act on the grant: never log it, show it
        /// or store it unencrypted. `Debug` prints `[redacted]`.
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a token received from the authorization server.
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The token text, for the `Authorization: GNAP …` header.
            #[must_use]
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// An access token for the resource server
    /// ([RFC 9635 §3.2.1](https://www.rfc-editor.org/rfc/rfc9635#section-3.2.1)).
    AccessToken
);
secret_type!(
    /// The token that continues, or cancels, a pending grant
    /// ([RFC 9635 §3.1](https://www.rfc-editor.org/rfc/rfc9635#section-3.1)).
    ContinueToken
);
