//! The one place where a failure becomes a code the UI branches on and a
//! sentence the person reads.

use serde::Serialize;
use ts_rs::TS;

use crate::FlowError;

/// What a failed command tells the UI: a stable code to branch on and a
/// sentence for the person.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// One sentence saying what happened and what to do.
    pub message: String,
}

/// Codes the UI branches on. Add one only when the UI needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The app could not find or create one of its folders or files.
    Storage,
    /// A wallet address is wrong, unreachable or unusable.
    Wallet,
    /// The system keyring is unavailable or locked.
    Keyring,
    /// A passphrase is missing, too short or wrong.
    Passphrase,
    /// A profile name is taken, or the profile does not exist.
    Profile,
    /// A key could not be read or imported.
    Key,
    /// The wallet refused a grant, or a value in the request is wrong.
    Grant,
    /// A wallet could not be reached; trying again may work.
    Network,
}

/// A failure of something the app was asked to do. Serializes as
/// [`IpcError`] (`{code, message}`), so a screen can branch on the code and
/// show the message as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A profile or key operation failed.
    #[error(transparent)]
    Identity(#[from] consent_desk_identity::IdentityError),
    /// A grant or payment could not be requested, completed or changed.
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// Result of an engine operation a person asked for.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The code a screen branches on.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        use consent_desk_identity::{IdentityError as I, KeyFileError as F};
        match self {
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
                FlowError::Protocol(error) if error.is_network() || error.is_timeout() => {
                    ErrorCode::Network
                }
                FlowError::Store(_) => ErrorCode::Storage,
                _ => ErrorCode::Grant,
            },
        }
    }

    /// What the person reads.
    #[must_use]
    pub fn message(&self) -> String {
        crate::words::sentence(&self.to_string())
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        IpcError {
            code: self.code(),
            message: self.message(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_as_code_and_message() {
        let error = Error::Flow(FlowError::Invalid("enter an amount".into()));
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"grant","message":"Enter an amount."}"#
        );
    }
}
