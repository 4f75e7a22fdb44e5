//! The one place where failures become words for the UI.

use crate::ipc::{ErrorCode, IpcError};

/// A command failure. Serializes as `{code, message}` so the UI can branch on
/// the code and show the message as is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A standard folder (data, config, logs) could not be resolved.
    #[error("Consent Desk could not find its {what} folder ({source}). Check that your home folder is set and writable.")]
    Folder {
        /// Which folder.
        what: &'static str,
        /// Why not.
        source: tauri::Error,
    },
    /// A profile or key operation failed.
    #[error(transparent)]
    Identity(#[from] consent_desk_identity::IdentityError),
    /// A grant could not be requested, completed or cancelled.
    #[error(transparent)]
    Flow(#[from] consent_desk_engine::FlowError),
}

/// Result of a command.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    fn code(&self) -> ErrorCode {
        use consent_desk_identity::{IdentityError as I, KeyFileError as F};
        match self {
            Error::Folder { .. } => ErrorCode::Storage,
            Error::Identity(error) => match error {
                I::Wallet(_) => ErrorCode::Wallet,
                I::Keyring(_) => ErrorCode::Keyring,
                I::NeedsPassphrase { .. }
                | I::KeyFile(F::WrongPassphrase { .. } | F::WeakPassphrase) => {
                    ErrorCode::Passphrase
                }
                I::Key(_) | I::KeyFile(_) => ErrorCode::Key,
                I::Profile(consent_desk_identity::ProfileError::Io { .. }) => ErrorCode::Storage,
                _ => ErrorCode::Profile,
            },
            Error::Flow(error) => match error {
                consent_desk_engine::FlowError::Protocol(error)
                    if error.is_network() || error.is_timeout() =>
                {
                    ErrorCode::Network
                }
                consent_desk_engine::FlowError::Store(_) => ErrorCode::Storage,
                _ => ErrorCode::Grant,
            },
        }
    }
}

/// Turns an error text into a sentence for the UI: a capital first letter,
/// code-like names in quotes instead of backticks, a full stop at the end.
pub(crate) fn sentence(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut open = true;
    for (i, c) in text.trim().chars().enumerate() {
        match c {
            '`' => {
                out.push(if open { '“' } else { '”' });
                open = !open;
            }
            c if i == 0 => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        IpcError {
            code: self.code(),
            message: sentence(&self.to_string()),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(
            sentence("the key `k-1` is not published"),
            "The key “k-1” is not published."
        );
        assert_eq!(sentence("Already fine."), "Already fine.");
        assert_eq!(sentence("ünïcode start"), "Ünïcode start.");
    }
}
