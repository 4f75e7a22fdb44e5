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
        }
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        IpcError {
            code: self.code(),
            message: self.to_string(),
        }
        .serialize(serializer)
    }
}
