//! A failure as it crosses to the UI: the code a screen branches on, the
//! sentence the person reads and the folded details, all made by
//! [`crate::words::Problem`].

use serde::Serialize;
use ts_rs::TS;

use crate::words::{Problem, ProblemCode};
use crate::FlowError;

/// What a failed command tells the UI: a stable code to branch on, a
/// sentence for the person, and a technical line folded under "Details".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// The finer code: which problem exactly (`wallet_unavailable`, …).
    pub problem: ProblemCode,
    /// One sentence saying what happened and what to do.
    pub message: String,
    /// The server's status, code and description, the host, what a parser
    /// said: for a bug report, not for the sentence.
    pub details: Option<String>,
}

impl From<&Problem> for IpcError {
    fn from(problem: &Problem) -> Self {
        Self {
            code: problem.error_code(),
            problem: problem.code(),
            message: problem.message(),
            details: problem.details(),
        }
    }
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
/// [`IpcError`] (`{code, problem, message, details}`), so a screen can branch on the code and
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
    /// The failure, typed, as a person needs to know it.
    #[must_use]
    pub fn problem(&self) -> Problem {
        Problem::of(self)
    }

    /// The code a screen branches on.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.problem().error_code()
    }

    /// What the person reads.
    #[must_use]
    pub fn message(&self) -> String {
        self.problem().message()
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        IpcError::from(&self.problem()).serialize(serializer)
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
            r#"{"code":"grant","problem":"invalid","message":"Enter an amount.","details":null}"#
        );
    }

    #[test]
    fn typed_refusals_carry_their_own_problem_code_and_sentence() {
        use crate::refusal::{Busy, GrantStep, Missing, WalletFault};
        let json = |error: FlowError| serde_json::to_value(Error::Flow(error)).unwrap();
        let busy = json(FlowError::Busy(Busy::SendingElsewhere));
        assert_eq!(
            (&busy["code"], &busy["problem"]),
            (&"grant".into(), &"busy".into())
        );
        assert!(
            busy["message"]
                .as_str()
                .unwrap()
                .starts_with("This payment is being sent right now by another run"),
            "{busy}"
        );
        let missing = json(FlowError::Missing(Missing::Payment("p-1".into())));
        assert_eq!(missing["problem"], "missing");
        assert_eq!(missing["message"], "There is no payment “p-1”.");
        let not_now = json(FlowError::GrantNotNow {
            state: "approved".into(),
            step: GrantStep::Reopen,
        });
        assert_eq!(not_now["problem"], "not_now");
        assert_eq!(
            not_now["message"],
            "This approval no longer waits (it is approved); nothing to open."
        );
        let fault = json(FlowError::Wallet(WalletFault::GrantedWithoutAsking));
        assert_eq!(fault["problem"], "wallet_fault");
        // No profile yet: the profile code, so a screen can send the person to Profiles.
        let none = json(FlowError::NoProfile);
        assert_eq!(
            (&none["code"], &none["problem"]),
            (&"profile".into(), &"no_profile".into())
        );
        assert_eq!(none["message"], "Choose a profile first (Profiles).");
    }
}
