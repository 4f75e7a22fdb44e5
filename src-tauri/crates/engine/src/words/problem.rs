//! Failures as a person reads them. Every error the engine meets becomes a
//! [`Problem`]: a typed code with what it needs to be told (the host, the
//! status, the server's own code), and only here does it become a sentence.
//! The lower crates' `Display` texts stay for logs and the command line.

use consent_desk_identity::{IdentityError, KeyFileError, WalletError};
use consent_desk_protocol::{excerpt, Error as ProtocolError, GnapErrorCode, TokenProblem};
use serde::Serialize;
use ts_rs::TS;

use super::sentence;
use crate::error::ErrorCode;
use crate::refusal::{Busy, Missing, WalletFault};
use crate::{Error, FlowError};

/// A failure, by what a person needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The wallet's server could not be reached (name lookup, a refused
    /// connection, TLS).
    WalletUnreachable {
        /// Its host.
        host: String,
        /// What the network said, for the details.
        cause: Option<String>,
    },
    /// It did not answer in time.
    WalletSlow {
        /// Its host.
        host: String,
        /// The time allowed, in words ("15").
        seconds: String,
    },
    /// It answered that it cannot serve now (HTTP 5xx).
    WalletUnavailable {
        /// Its host.
        host: String,
        /// The HTTP status.
        status: u16,
        /// Its error code and description, or the start of its answer.
        said: Option<String>,
    },
    /// It refused the request with a GNAP error (RFC 9635 §3.6).
    WalletRefused {
        /// Its host.
        host: String,
        /// The HTTP status.
        status: u16,
        /// The GNAP error code.
        code: Option<GnapErrorCode>,
        /// The server's description.
        description: Option<String>,
    },
    /// Another status this app did not expect.
    WalletAnswered {
        /// Its host.
        host: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        said: Option<String>,
    },
    /// An answer that is not the JSON Open Payments describes.
    WalletUnreadable {
        /// Its host.
        host: String,
        /// What the parser tripped over, and where.
        reason: String,
    },
    /// An answer longer than the client reads.
    AnswerTooLarge {
        /// Its host.
        host: String,
        /// The most it reads, in bytes.
        limit: usize,
    },
    /// A TLS certificate this computer does not trust.
    UntrustedCertificate {
        /// What is wrong with it (the lower crate's sentence).
        text: String,
    },
    /// The wallet offers only approvals this app does not support.
    UnsupportedInteraction {
        /// Its host.
        host: String,
        /// What it offered instead.
        offered: Vec<String>,
    },
    /// A plain-http address that is not this machine.
    NotHttps {
        /// The address.
        url: String,
    },
    /// Text that is not a web address.
    NotAnAddress {
        /// Which field ("the receiver"), when known.
        field: Option<String>,
        /// What was typed.
        text: String,
        /// What is wrong, as the parser said it.
        reason: String,
    },
    /// The address answered, but not as a wallet address.
    NotAWallet {
        /// The address.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The wallet address has no public name.
    NoPublicName {
        /// The address.
        url: String,
    },
    /// The wallet no longer accepts the access token, a renewed one neither.
    TokenRejected {
        /// Its host.
        host: String,
    },
    /// The approved budget is spent or does not cover the payment.
    BudgetSpent {
        /// Its host.
        host: String,
    },
    /// Over what the grant allows (its budget, receiver or interval).
    OverLimit {
        /// Its host.
        host: String,
    },
    /// A refusal that said nothing, also with a new token.
    RefusedUnexplained {
        /// Its host.
        host: String,
        /// The HTTP status.
        status: u16,
    },
    /// A finish link for no approval this app waits for.
    UnknownFinish,
    /// A second finish link for an approval already ended.
    AlreadyUsed {
        /// What became of it.
        state: String,
    },
    /// A finish link that did not verify; the approval still waits.
    FinishRefused {
        /// What was wrong with it.
        reason: String,
    },
    /// A failure link the wallet did not confirm; the approval still waits.
    FailureUnconfirmed {
        /// The `result` code the link carried.
        result: String,
    },
    /// The quote expired before the payment was sent.
    QuoteExpired,
    /// A payment that may have been made already (the engine's sentence).
    MayHaveBeenPaid {
        /// The sentence.
        text: String,
    },
    /// The key is in a protected file and no passphrase was given.
    NeedsPassphrase,
    /// The passphrase does not open the key file.
    WrongPassphrase {
        /// The file.
        path: String,
    },
    /// A new passphrase is too short.
    WeakPassphrase,
    /// The system keyring (its own sentence).
    Keyring {
        /// What went wrong.
        text: String,
    },
    /// A key that cannot be read or imported (its own sentence).
    Key {
        /// What went wrong.
        text: String,
    },
    /// A profile that is missing, taken or built in (its own sentence).
    Profile {
        /// What went wrong.
        text: String,
    },
    /// A file or folder of the app (its own sentence).
    Storage {
        /// What went wrong.
        text: String,
    },
    /// Another run of Consent Desk, or another path of this one, is doing
    /// this right now: looking again in a minute may work.
    Busy {
        /// What it is doing.
        what: Busy,
    },
    /// A grant or payment this app does not have.
    Missing {
        /// Which.
        what: Missing,
    },
    /// A step the grant's or payment's state does not allow.
    NotNow {
        /// Its state and the step, in words.
        text: String,
    },
    /// The wallet did something this app cannot go on with.
    WalletFault {
        /// What it did.
        fault: WalletFault,
    },
    /// No profile is in use yet.
    NoProfile,
    /// A value the engine refused, in the engine's own sentence.
    Invalid {
        /// What is wrong.
        text: String,
    },
    /// An amount the person typed that cannot be used (shown at its field).
    Amount {
        /// Which and why.
        text: String,
    },
    /// A repeating interval the person typed that cannot be read (shown at
    /// its field).
    Interval {
        /// What is wrong with it.
        text: String,
    },
}

/// The finer code of a [`Problem`], stable and snake_case: what the UI
/// branches on beyond [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The wallet could not be reached.
    WalletUnreachable,
    /// The wallet did not answer in time.
    WalletSlow,
    /// The wallet answered that it cannot serve now (HTTP 5xx).
    WalletUnavailable,
    /// The wallet refused with a GNAP error.
    WalletRefused,
    /// The wallet answered a status this app did not expect.
    WalletAnswered,
    /// The wallet's answer is not Open Payments JSON.
    WalletUnreadable,
    /// The wallet's answer was too large to read.
    AnswerTooLarge,
    /// A TLS certificate this computer does not trust.
    UntrustedCertificate,
    /// The wallet offers no consent page.
    UnsupportedInteraction,
    /// A plain-http address that is not this computer.
    NotHttps,
    /// Text that is not a web address.
    NotAnAddress,
    /// The address is not an Open Payments wallet address.
    NotAWallet,
    /// The wallet address has no public name.
    NoPublicName,
    /// The wallet no longer accepts the access token.
    TokenRejected,
    /// The approved budget is spent or too small.
    BudgetSpent,
    /// Over what the grant allows.
    OverLimit,
    /// Refused without a reason.
    RefusedUnexplained,
    /// A finish link for no waiting approval.
    UnknownFinish,
    /// A second finish link for an ended approval.
    AlreadyUsed,
    /// A finish link that did not verify.
    FinishRefused,
    /// A failure link the wallet did not confirm.
    FailureUnconfirmed,
    /// The quote expired before sending.
    QuoteExpired,
    /// A payment that may have been made already.
    MayHaveBeenPaid,
    /// The key needs its passphrase.
    NeedsPassphrase,
    /// The passphrase does not open the key.
    WrongPassphrase,
    /// A new passphrase is too short.
    WeakPassphrase,
    /// The system keyring.
    Keyring,
    /// A key that cannot be read or imported.
    Key,
    /// A profile missing, taken or built in.
    Profile,
    /// The app's files or folders.
    Storage,
    /// Another run or path is doing this right now.
    Busy,
    /// A grant or payment this app does not have.
    Missing,
    /// A step the state does not allow.
    NotNow,
    /// The wallet did something this app cannot go on with.
    WalletFault,
    /// No profile is in use yet.
    NoProfile,
    /// A value the engine refused.
    Invalid,
    /// A typed amount that cannot be used.
    Amount,
    /// A typed repeating interval that cannot be read.
    Interval,
}

impl Problem {
    /// The failure `error` is, for a person.
    #[must_use]
    pub fn of(error: &Error) -> Self {
        match error {
            Error::Identity(error) => Self::of_identity(error),
            Error::Flow(error) => Self::of_flow(error),
        }
    }

    /// A failure of the grant flow.
    #[must_use]
    pub fn of_flow(error: &FlowError) -> Self {
        match error {
            FlowError::Invalid(text) | FlowError::Client(text) => {
                Self::Invalid { text: text.clone() }
            }
            FlowError::PaymentNotNow { .. }
            | FlowError::GrantNotNow { .. }
            | FlowError::MovedElsewhere { .. } => Self::NotNow {
                text: error.to_string(),
            },
            FlowError::Busy(what) => Self::Busy { what: *what },
            FlowError::Missing(what) => Self::Missing { what: what.clone() },
            FlowError::Wallet(fault) => Self::WalletFault { fault: *fault },
            FlowError::NoProfile => Self::NoProfile,
            FlowError::Amount(text) => Self::Amount { text: text.clone() },
            FlowError::Interval(text) => Self::Interval { text: text.clone() },
            FlowError::UnknownFinish => Self::UnknownFinish,
            FlowError::AlreadyUsed { state } => Self::AlreadyUsed {
                state: state.clone(),
            },
            FlowError::Refused(reason) => Self::FinishRefused {
                reason: reason.to_string(),
            },
            FlowError::FailureUnconfirmed { result } => Self::FailureUnconfirmed {
                result: result.clone(),
            },
            FlowError::Protocol(error) => Self::of_protocol(error),
            FlowError::Store(error) => Self::Storage {
                text: error.to_string(),
            },
            FlowError::Keyring(error) => Self::Keyring {
                text: error.to_string(),
            },
            FlowError::QuoteExpired => Self::QuoteExpired,
            FlowError::Unconfirmed(text) => Self::MayHaveBeenPaid { text: text.clone() },
            FlowError::Identity(error) => Self::of_identity(error),
            FlowError::Address { what, error } => Self::of_wallet(Some(what), error),
        }
    }

    /// A failure of profiles and keys.
    #[must_use]
    pub fn of_identity(error: &IdentityError) -> Self {
        use consent_desk_identity::ProfileError;
        match error {
            IdentityError::Wallet(error) => Self::of_wallet(None, error),
            IdentityError::NeedsPassphrase { .. } => Self::NeedsPassphrase,
            IdentityError::KeyFile(KeyFileError::WrongPassphrase { path }) => {
                Self::WrongPassphrase { path: path.clone() }
            }
            IdentityError::KeyFile(KeyFileError::WeakPassphrase) => Self::WeakPassphrase,
            IdentityError::Keyring(error) => Self::Keyring {
                text: error.to_string(),
            },
            IdentityError::Key(_) | IdentityError::KeyFile(_) => Self::Key {
                text: error.to_string(),
            },
            IdentityError::CaCert(text) => Self::UntrustedCertificate { text: text.clone() },
            IdentityError::Profile(ProfileError::Io { .. }) => Self::Storage {
                text: error.to_string(),
            },
            _ => Self::Profile {
                text: error.to_string(),
            },
        }
    }

    /// A wallet address that cannot be used; `field` names it ("the
    /// receiver") when the form has several.
    #[must_use]
    pub fn of_wallet(field: Option<&str>, error: &WalletError) -> Self {
        match error {
            WalletError::InvalidUrl { text, reason } => Self::NotAnAddress {
                field: field.map(str::to_owned),
                text: text.clone(),
                reason: reason.clone(),
            },
            WalletError::NotHttps { url } => Self::NotHttps { url: url.clone() },
            WalletError::Unreachable { host, detail } => Self::WalletUnreachable {
                host: host.clone(),
                cause: Some(detail.clone()),
            },
            WalletError::NotAWallet { url, detail } => Self::NotAWallet {
                url: url.clone(),
                detail: detail.clone(),
            },
            WalletError::NoPublicName { url } => Self::NoPublicName { url: url.clone() },
            WalletError::Certificate(text) => Self::UntrustedCertificate { text: text.clone() },
            _ => Self::Invalid {
                text: error.to_string(),
            },
        }
    }

    /// A failure talking to a wallet.
    #[must_use]
    pub fn of_protocol(error: &ProtocolError) -> Self {
        let said = |body: &[u8]| body_excerpt(body);
        match error {
            ProtocolError::Network { host, source } => Self::WalletUnreachable {
                host: host.clone(),
                cause: Some(cause_of(source.as_ref())),
            },
            ProtocolError::Timeout { host, timeout_ms } => Self::WalletSlow {
                host: host.clone(),
                seconds: consent_desk_protocol::describe::seconds(*timeout_ms),
            },
            ProtocolError::Gnap {
                status,
                host,
                error,
            } if *status >= 500 => Self::WalletUnavailable {
                host: host.clone(),
                status: *status,
                said: gnap_said(error.code.as_ref(), error.description.as_deref()),
            },
            ProtocolError::Gnap {
                status,
                host,
                error,
            } => Self::WalletRefused {
                host: host.clone(),
                status: *status,
                code: error.code.clone(),
                description: error.description.clone(),
            },
            ProtocolError::Server(error) => Self::WalletRefused {
                host: String::new(),
                status: 0,
                code: error.code.clone(),
                description: error.description.clone(),
            },
            ProtocolError::Status { status, host, body } if *status >= 500 => {
                Self::WalletUnavailable {
                    host: host.clone(),
                    status: *status,
                    said: said(body),
                }
            }
            ProtocolError::Status { status, host, body } => Self::WalletAnswered {
                host: host.clone(),
                status: *status,
                said: said(body),
            },
            ProtocolError::Token {
                problem,
                status,
                host,
                ..
            } => {
                let host = host.clone();
                match problem {
                    TokenProblem::InvalidToken | TokenProblem::InactiveToken => {
                        Self::TokenRejected { host }
                    }
                    TokenProblem::InsufficientGrant => Self::BudgetSpent { host },
                    TokenProblem::OverLimit => Self::OverLimit { host },
                    _ => Self::RefusedUnexplained {
                        host,
                        status: *status,
                    },
                }
            }
            ProtocolError::InvalidResponse {
                host, path, reason, ..
            } => Self::WalletUnreadable {
                host: host.clone(),
                reason: format!("{} at {}", excerpt(reason), excerpt(path)),
            },
            ProtocolError::TooLarge { host, limit } => Self::AnswerTooLarge {
                host: host.clone(),
                limit: *limit,
            },
            ProtocolError::Certificate { .. } => Self::UntrustedCertificate {
                text: error.to_string(),
            },
            ProtocolError::UnsupportedInteraction { host, offered } => {
                Self::UnsupportedInteraction {
                    host: host.clone(),
                    offered: offered.clone(),
                }
            }
            ProtocolError::InsecureUrl { url, .. } => Self::NotHttps {
                url: excerpt(url).into_owned(),
            },
            ProtocolError::Key(_) => Self::Key {
                text: error.to_string(),
            },
            _ => Self::Invalid {
                text: error.to_string(),
            },
        }
    }

    /// Its finer code.
    #[must_use]
    pub fn code(&self) -> ProblemCode {
        use ProblemCode as C;
        match self {
            Self::WalletUnreachable { .. } => C::WalletUnreachable,
            Self::WalletSlow { .. } => C::WalletSlow,
            Self::WalletUnavailable { .. } => C::WalletUnavailable,
            Self::WalletRefused { .. } => C::WalletRefused,
            Self::WalletAnswered { .. } => C::WalletAnswered,
            Self::WalletUnreadable { .. } => C::WalletUnreadable,
            Self::AnswerTooLarge { .. } => C::AnswerTooLarge,
            Self::UntrustedCertificate { .. } => C::UntrustedCertificate,
            Self::UnsupportedInteraction { .. } => C::UnsupportedInteraction,
            Self::NotHttps { .. } => C::NotHttps,
            Self::NotAnAddress { .. } => C::NotAnAddress,
            Self::NotAWallet { .. } => C::NotAWallet,
            Self::NoPublicName { .. } => C::NoPublicName,
            Self::TokenRejected { .. } => C::TokenRejected,
            Self::BudgetSpent { .. } => C::BudgetSpent,
            Self::OverLimit { .. } => C::OverLimit,
            Self::RefusedUnexplained { .. } => C::RefusedUnexplained,
            Self::UnknownFinish => C::UnknownFinish,
            Self::AlreadyUsed { .. } => C::AlreadyUsed,
            Self::FinishRefused { .. } => C::FinishRefused,
            Self::FailureUnconfirmed { .. } => C::FailureUnconfirmed,
            Self::QuoteExpired => C::QuoteExpired,
            Self::MayHaveBeenPaid { .. } => C::MayHaveBeenPaid,
            Self::NeedsPassphrase => C::NeedsPassphrase,
            Self::WrongPassphrase { .. } => C::WrongPassphrase,
            Self::WeakPassphrase => C::WeakPassphrase,
            Self::Keyring { .. } => C::Keyring,
            Self::Key { .. } => C::Key,
            Self::Profile { .. } => C::Profile,
            Self::Storage { .. } => C::Storage,
            Self::Busy { .. } => C::Busy,
            Self::Missing { .. } => C::Missing,
            Self::NotNow { .. } => C::NotNow,
            Self::WalletFault { .. } => C::WalletFault,
            Self::NoProfile => C::NoProfile,
            Self::Invalid { .. } => C::Invalid,
            Self::Amount { .. } => C::Amount,
            Self::Interval { .. } => C::Interval,
        }
    }

    /// The coarse code screens branch on: `network` is worth a Retry.
    #[must_use]
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::WalletUnreachable { .. }
            | Self::WalletSlow { .. }
            | Self::WalletUnavailable { .. } => ErrorCode::Network,
            Self::NotHttps { .. }
            | Self::NotAnAddress { .. }
            | Self::NotAWallet { .. }
            | Self::NoPublicName { .. }
            | Self::UntrustedCertificate { .. } => ErrorCode::Wallet,
            Self::NeedsPassphrase | Self::WrongPassphrase { .. } | Self::WeakPassphrase => {
                ErrorCode::Passphrase
            }
            Self::Keyring { .. } => ErrorCode::Keyring,
            Self::Key { .. } => ErrorCode::Key,
            Self::Profile { .. } | Self::NoProfile => ErrorCode::Profile,
            Self::Storage { .. } => ErrorCode::Storage,
            _ => ErrorCode::Grant,
        }
    }

    /// One sentence: what happened and what to do.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::WalletUnreachable { host, .. } => format!(
                "The wallet at {host} is not answering. Check your connection and the address, \
                 then try again."
            ),
            Self::WalletSlow { host, seconds } => format!(
                "The wallet at {host} took longer than {seconds} s to answer. Check your \
                 connection and try again."
            ),
            Self::WalletUnavailable { host, status, .. } => format!(
                "The wallet at {host} is not answering right now (HTTP {status}). Try again in a \
                 moment."
            ),
            Self::WalletRefused { host, code, .. } => refused_words(host, code.as_ref()),
            Self::WalletAnswered { host, status, .. } => format!(
                "The wallet at {host} answered with HTTP {status}, which this app did not expect. \
                 Try again later, or report it to the wallet if it keeps happening."
            ),
            Self::WalletUnreadable { host, .. } => format!(
                "The wallet at {host} sent an answer this app cannot read. It may not be an Open \
                 Payments wallet, or it runs an incompatible version."
            ),
            Self::AnswerTooLarge { host, .. } => format!(
                "The wallet at {host} sent an answer far larger than an Open Payments answer, so \
                 it was not read. Try again later, or report it to the wallet if it keeps \
                 happening."
            ),
            Self::UntrustedCertificate { text } => sentence(text),
            Self::UnsupportedInteraction { host, .. } => format!(
                "The wallet at {host} offers no consent page to approve this, which is how \
                 Consent Desk approves; nothing was granted. Use a wallet that offers its consent \
                 page."
            ),
            Self::NotHttps { url } => format!(
                "{url} uses plain http, so it was not contacted. Use an https:// address (plain \
                 http is allowed only for this computer)."
            ),
            Self::NotAnAddress { field, reason, .. } => {
                let subject = field
                    .as_deref()
                    .map_or_else(|| "That address".to_owned(), capitalised);
                format!(
                    "{subject} is not a web address: {}. It looks like \
                     https://wallet.example/alice or $wallet.example/alice.",
                    address_reason(reason).trim_end_matches('.')
                )
            }
            Self::NotAWallet { url, .. } => format!(
                "{url} answered, but not as an Open Payments wallet address. Check the address."
            ),
            Self::NoPublicName { url } => format!(
                "The wallet address {url} has no public name, which wallets need to show who \
                 asks for approval; set one in your wallet's settings."
            ),
            Self::TokenRejected { host } => format!(
                "The wallet at {host} no longer accepts this app's access, a renewed one neither. \
                 Approve the payment again."
            ),
            Self::BudgetSpent { host } => format!(
                "The wallet at {host} refused: the approved budget is spent or does not cover \
                 this payment. Approve a new payment to continue."
            ),
            Self::OverLimit { host } => format!(
                "The wallet at {host} refused: this payment is over what you approved (its \
                 budget is spent, or it is for another receiver). Approve a new payment to \
                 continue."
            ),
            Self::RefusedUnexplained { host, .. } => format!(
                "The wallet at {host} refused this without saying why. Try again later; if it \
                 keeps refusing, ask the wallet's operator what this approval allows."
            ),
            Self::UnknownFinish => "A link came back that belongs to no approval this app is \
                                    waiting for, so it was refused. If you did not just approve \
                                    something, someone may be trying to trick the app."
                .to_owned(),
            Self::AlreadyUsed { state } => format!(
                "This approval was already {state}; the second link that came back was refused."
            ),
            Self::FinishRefused { .. } => "The link that came back did not come from your \
                                           wallet for this approval, so it was refused; the \
                                           approval is still waiting."
                .to_owned(),
            Self::FailureUnconfirmed { .. } => "A link came back saying this approval ended \
                                                without approval, but your wallet does not \
                                                confirm it, so nothing changed and the request \
                                                is still open. If you rejected it, cancel it \
                                                here (closing the wallet's window does too); if \
                                                not, approve it at your wallet."
                .to_owned(),
            Self::QuoteExpired => {
                "The quote expired before the payment was sent. Get a new quote and confirm it; \
                 nothing was paid."
                    .to_owned()
            }
            Self::Busy { what } => sentence(&what.to_string()),
            Self::Missing { what } => sentence(&what.to_string()),
            Self::WalletFault { fault } => sentence(&fault.to_string()),
            Self::NoProfile => sentence(&FlowError::NoProfile.to_string()),
            Self::MayHaveBeenPaid { text }
            | Self::NotNow { text }
            | Self::Invalid { text }
            | Self::Amount { text }
            | Self::Interval { text } => sentence(text),
            Self::NeedsPassphrase => {
                "This profile's key is protected by a passphrase: enter it to continue.".to_owned()
            }
            Self::WrongPassphrase { .. } => {
                "That passphrase does not open this profile's key. Check it and try again."
                    .to_owned()
            }
            Self::WeakPassphrase => {
                "The passphrase is too short: use at least 8 characters.".to_owned()
            }
            Self::Keyring { text }
            | Self::Key { text }
            | Self::Profile { text }
            | Self::Storage { text } => sentence(text),
        }
    }

    /// A short technical line for the folded details: the server's status,
    /// code and description, the host, what the parser said. `None` when
    /// the sentence says it all.
    #[must_use]
    pub fn details(&self) -> Option<String> {
        let from = |status: &u16, host: &str| {
            if host.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status} from {host}")
            }
        };
        let line = match self {
            Self::WalletUnreachable { host, cause } => match cause {
                Some(cause) => format!("{host}: {cause}"),
                None => host.clone(),
            },
            Self::WalletSlow { host, seconds } => format!("{host}: no answer within {seconds} s"),
            Self::WalletUnavailable { host, status, said }
            | Self::WalletAnswered { host, status, said } => match said {
                Some(said) => format!("{}: {said}", from(status, host)),
                None => from(status, host),
            },
            Self::WalletRefused {
                host,
                status,
                code,
                description,
            } => {
                let said = gnap_said(code.as_ref(), description.as_deref());
                match (status, said) {
                    (0, Some(said)) => said,
                    (0, None) => return None,
                    (status, Some(said)) => format!("{}: {said}", from(status, host)),
                    (status, None) => from(status, host),
                }
            }
            Self::WalletUnreadable { host, reason } => format!("{host}: {reason}"),
            Self::AnswerTooLarge { host, limit } => {
                format!("{host}: an answer over the {limit}-byte limit")
            }
            Self::UnsupportedInteraction { host, offered } => format!(
                "{host} offered: {}",
                offered
                    .iter()
                    .take(4)
                    .map(|method| excerpt(method).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::NotAnAddress { text, reason, .. } => {
                format!("“{}”: {reason}", excerpt(text))
            }
            Self::NotAWallet { url, detail } => format!("{url}: {detail}"),
            Self::TokenRejected { host }
            | Self::BudgetSpent { host }
            | Self::OverLimit { host } => host.clone(),
            Self::RefusedUnexplained { host, status } => from(status, host),
            Self::AlreadyUsed { state } => format!("already {state}"),
            Self::FinishRefused { reason } => sentence(reason),
            Self::FailureUnconfirmed { result } => {
                format!("the link said {}; unconfirmed", excerpt(result))
            }
            Self::WrongPassphrase { path } => format!("key file {path}"),
            _ => return None,
        };
        Some(line)
    }
}

/// The words for a GNAP refusal, by its code.
fn refused_words(host: &str, code: Option<&GnapErrorCode>) -> String {
    let at = if host.is_empty() {
        "The wallet".to_owned()
    } else {
        format!("The wallet at {host}")
    };
    match code {
        Some(GnapErrorCode::InvalidClient) => format!(
            "{at} does not recognise this app's key: add the key to the wallet's developer keys, \
             then try again."
        ),
        Some(GnapErrorCode::UserDenied) => "The payment was not approved at your wallet.".into(),
        Some(
            GnapErrorCode::InvalidInteraction
            | GnapErrorCode::UnknownInteraction
            | GnapErrorCode::InvalidContinuation,
        ) => format!(
            "{at} no longer knows this approval (it expired or was used); nothing was granted. \
             Start again."
        ),
        Some(GnapErrorCode::InvalidRotation) => {
            format!("{at} could not renew this app's access; approve again.")
        }
        Some(GnapErrorCode::TooFast) => {
            format!("{at} asked to wait before continuing; try again in a moment.")
        }
        Some(GnapErrorCode::InvalidRequest) => {
            format!("{at} refused the request as not valid; see the details for what it said.")
        }
        _ => format!("{at} refused the request; see the details for what it said."),
    }
}

/// `code: "description"`, as much as the server said.
fn gnap_said(code: Option<&GnapErrorCode>, description: Option<&str>) -> Option<String> {
    match (code, description) {
        (Some(code), Some(description)) => Some(format!(
            "{}: \"{}\"",
            excerpt(code.as_str()),
            excerpt(description)
        )),
        (Some(code), None) => Some(excerpt(code.as_str()).into_owned()),
        (None, Some(description)) => Some(format!("\"{}\"", excerpt(description))),
        (None, None) => None,
    }
}

/// The start of an answer's body when it is short printable text (an error
/// code, a sentence); not an HTML page.
fn body_excerpt(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    (!text.is_empty() && !text.contains('<')).then(|| excerpt(text).into_owned())
}

/// The innermost causes of a network failure, joined: "tcp connect error:
/// Connection refused (os error 111)".
fn cause_of(error: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = vec![error.to_string()];
    let mut next = error.source();
    while let Some(cause) = next {
        causes.push(cause.to_string());
        next = cause.source();
    }
    // reqwest's outer layers repeat the URL; the last two say what failed.
    let start = causes.len().saturating_sub(2);
    excerpt(&causes[start..].join(": ")).into_owned()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// What the URL parser says, in a person's words (its own phrases are
/// for programmers: "empty host", "invalid international domain name").
/// Reasons this app wrote itself pass unchanged.
#[must_use]
pub fn address_reason(reason: &str) -> String {
    let words = match reason {
        "empty host" => "it has no host name, such as wallet.example",
        "invalid international domain name" | "invalid domain character" => {
            "its host name has a character a web address cannot have"
        }
        "invalid port number" => "its port is not a number from 1 to 65535",
        "invalid IPv4 address" | "invalid IPv6 address" => "its IP address is not valid",
        "relative URL without a base" => "it does not start with https://",
        "relative URL with a cannot-be-a-base base"
        | "a cannot-be-a-base URL doesn’t have a host to set" => "it is not a web address",
        "URLs more than 4 GB are not supported" => "it is far too long",
        other => return other.to_owned(),
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each problem, as the engine meets them.
    fn samples() -> Vec<Problem> {
        let host = || "wallet.example".to_owned();
        vec![
            Problem::WalletUnreachable {
                host: host(),
                cause: Some("Connection refused (os error 111)".into()),
            },
            Problem::WalletSlow {
                host: host(),
                seconds: "15".into(),
            },
            Problem::WalletUnavailable {
                host: host(),
                status: 503,
                said: Some("injected_fault".into()),
            },
            Problem::WalletRefused {
                host: host(),
                status: 400,
                code: Some(GnapErrorCode::InvalidClient),
                description: Some("invalid signature".into()),
            },
            Problem::WalletRefused {
                host: host(),
                status: 400,
                code: Some(GnapErrorCode::Other("some_new_code".into())),
                description: None,
            },
            Problem::WalletAnswered {
                host: host(),
                status: 418,
                said: None,
            },
            Problem::WalletUnreadable {
                host: host(),
                reason: "missing field `id` at .".into(),
            },
            Problem::AnswerTooLarge {
                host: host(),
                limit: 4 << 20,
            },
            Problem::UnsupportedInteraction {
                host: host(),
                offered: vec!["card".into()],
            },
            Problem::NotHttps {
                url: "http://wallet.example/alice".into(),
            },
            Problem::NotAnAddress {
                field: None,
                text: "https://exa mple".into(),
                reason: "invalid international domain name".into(),
            },
            Problem::NotAnAddress {
                field: Some("the receiver".into()),
                text: "https://".into(),
                reason: "empty host".into(),
            },
            Problem::NotAWallet {
                url: "https://wallet.example/alice".into(),
                detail: "HTTP 404".into(),
            },
            Problem::NoPublicName {
                url: "https://wallet.example/alice".into(),
            },
            Problem::TokenRejected { host: host() },
            Problem::BudgetSpent { host: host() },
            Problem::OverLimit { host: host() },
            Problem::RefusedUnexplained {
                host: host(),
                status: 403,
            },
            Problem::UnknownFinish,
            Problem::AlreadyUsed {
                state: "approved".into(),
            },
            Problem::FinishRefused {
                reason: "the finish redirect's `hash` does not match".into(),
            },
            Problem::FailureUnconfirmed {
                result: "grant_rejected".into(),
            },
            Problem::QuoteExpired,
            Problem::NeedsPassphrase,
            Problem::WrongPassphrase {
                path: "/keys/k.json".into(),
            },
            Problem::WeakPassphrase,
            Problem::Invalid {
                text: "enter an amount".into(),
            },
        ]
    }

    #[test]
    fn every_problem_is_one_sentence_in_a_person_s_words() {
        for problem in samples() {
            let message = problem.message();
            assert!(message.ends_with('.'), "{problem:?}: {message}");
            assert!(!message.contains(['`', '_']), "{problem:?}: {message}");
            assert!(!message.contains("Http"), "{problem:?}: {message}");
            assert!(
                message.chars().next().is_some_and(char::is_uppercase)
                    || message.starts_with("http"),
                "{problem:?}: {message}"
            );
            // Advice is given once.
            assert!(
                message.matches("Check").count() <= 1,
                "{problem:?}: {message}"
            );
        }
    }

    #[test]
    fn what_the_wallet_said_goes_to_the_details() {
        for problem in samples() {
            // The sentence says it all; nothing technical to add.
            let expected = !matches!(
                problem,
                Problem::UnknownFinish
                    | Problem::QuoteExpired
                    | Problem::NeedsPassphrase
                    | Problem::WeakPassphrase
                    | Problem::Invalid { .. }
                    | Problem::Amount { .. }
                    | Problem::Interval { .. }
                    | Problem::NoPublicName { .. }
                    | Problem::NotHttps { .. }
            );
            assert_eq!(
                problem.details().is_some(),
                expected,
                "{problem:?}: {:?}",
                problem.details()
            );
        }
    }

    #[test]
    fn a_503_is_one_sentence_with_retry_and_the_server_s_words_in_the_details() {
        let error = ProtocolError::Gnap {
            status: 503,
            host: "127.0.0.1:4455".into(),
            error: consent_desk_protocol::GnapError {
                code: Some(GnapErrorCode::Other("injected_fault".into())),
                description: Some("the sandbox was asked to fail".into()),
            },
        };
        let problem = Problem::of_protocol(&error);
        assert_eq!(problem.code(), ProblemCode::WalletUnavailable);
        assert_eq!(problem.error_code(), ErrorCode::Network, "worth a retry");
        assert_eq!(
            problem.message(),
            "The wallet at 127.0.0.1:4455 is not answering right now (HTTP 503). Try again in a \
             moment."
        );
        assert_eq!(
            problem.details().as_deref(),
            Some("HTTP 503 from 127.0.0.1:4455: injected_fault: \"the sandbox was asked to fail\"")
        );
        let plain = ProtocolError::Status {
            status: 502,
            host: "w.example".into(),
            body: b"<html>Bad gateway</html>".to_vec(),
        };
        let problem = Problem::of_protocol(&plain);
        assert_eq!(problem.code(), ProblemCode::WalletUnavailable);
        assert_eq!(
            problem.details().as_deref(),
            Some("HTTP 502 from w.example")
        );
    }

    #[test]
    fn an_unreachable_wallet_gives_its_advice_once_and_the_cause_in_the_details() {
        let error = IdentityError::Wallet(WalletError::Unreachable {
            host: "down.example".into(),
            detail: "Connection refused (os error 111)".into(),
        });
        let problem = Problem::of_identity(&error);
        assert_eq!(problem.error_code(), ErrorCode::Network);
        assert_eq!(
            problem.message(),
            "The wallet at down.example is not answering. Check your connection and the address, \
             then try again."
        );
        assert_eq!(
            problem.details().as_deref(),
            Some("down.example: Connection refused (os error 111)")
        );
    }

    #[test]
    fn parser_words_become_a_person_s_words() {
        use url::ParseError as P;
        for error in [
            P::EmptyHost,
            P::IdnaError,
            P::InvalidPort,
            P::InvalidIpv4Address,
            P::InvalidIpv6Address,
            P::InvalidDomainCharacter,
            P::RelativeUrlWithoutBase,
            P::RelativeUrlWithCannotBeABaseBase,
            P::SetHostOnCannotBeABaseUrl,
            P::Overflow,
        ] {
            let parser = error.to_string();
            assert_ne!(
                address_reason(&parser),
                parser,
                "{parser} is told as it came"
            );
        }
        let typed = crate::typed_url("https://[::1", "the receiver").unwrap_err();
        assert_eq!(
            Problem::of_flow(&typed).message(),
            "The receiver is not a web address: its IP address is not valid. It looks like \
             https://wallet.example/alice or $wallet.example/alice."
        );
        let problem = Problem::of_wallet(
            None,
            &WalletError::InvalidUrl {
                text: "https://xn--a.example".into(),
                reason: "invalid international domain name".into(),
            },
        );
        assert_eq!(
            problem.message(),
            "That address is not a web address: its host name has a character a web address \
             cannot have. It looks like https://wallet.example/alice or $wallet.example/alice."
        );
        assert!(problem
            .details()
            .is_some_and(|details| details.contains("invalid international domain name")));
    }

    #[test]
    fn a_wrong_passphrase_is_branched_on_as_a_passphrase() {
        let error = IdentityError::KeyFile(KeyFileError::WrongPassphrase {
            path: "/k.json".into(),
        });
        let flow = FlowError::Identity(error);
        let problem = Problem::of_flow(&flow);
        assert_eq!(problem.code(), ProblemCode::WrongPassphrase);
        assert_eq!(problem.error_code(), ErrorCode::Passphrase);
        assert!(!problem.message().contains("/k.json"));
    }

    #[test]
    fn a_sentence_never_capitalises_an_address() {
        for (text, says) in [
            (
                "http://wallet.example/alice uses plain http",
                "http://wallet.example/alice uses plain http.",
            ),
            (
                "wallet.example could not be reached",
                "wallet.example could not be reached.",
            ),
            (
                "$wallet.example/alice is gone",
                "$wallet.example/alice is gone.",
            ),
            (
                "dev.consentdesk:/finish/1 was refused",
                "dev.consentdesk:/finish/1 was refused.",
            ),
            (
                "the key `k-1` is not published",
                "The key “k-1” is not published.",
            ),
            ("e.g. this", "E.g. this."),
        ] {
            assert_eq!(sentence(text), says);
        }
    }
}
