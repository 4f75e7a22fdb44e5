//! What a record keeps about how it ended, typed: the request a grant sent,
//! why a grant ended without approval (the wallet's code and description,
//! or the app's own reason) and why a payment failed or stopped. The words a
//! person reads are made from these in [`crate::words`].
//!
//! Stores of release 0.1.0 kept these as text; [`GrantOutcome::from_legacy`]
//! and [`PaymentProblem::from_legacy`] read that text once, when the store
//! is migrated, and nowhere else.

use consent_desk_protocol::{FinishResult, GrantRequest, SubjectRequest};
use serde::{Deserialize, Serialize};

/// The grant request as it was sent: for access (a payment's, a budget's) or
/// an ownership proof (`subject`, no access). Stored as the protocol's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrantAsk {
    /// `access_token`: rights to pay.
    Access(GrantRequest),
    /// `subject`: "prove I own this wallet address".
    Subject(SubjectRequest),
}

impl GrantAsk {
    /// The access request, unless it is an ownership proof.
    #[must_use]
    pub fn access(&self) -> Option<&GrantRequest> {
        match self {
            Self::Access(request) => Some(request),
            Self::Subject(_) => None,
        }
    }

    /// Whether it asks the wallet to confirm ownership (no access).
    #[must_use]
    pub fn is_proof(&self) -> bool {
        matches!(self, Self::Subject(_))
    }
}

/// The `result` code a wallet ends an interaction with (GNAP / the Rafiki
/// identity provider interface). Stored as the code itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum WalletCode {
    /// `grant_rejected`: the person declined.
    GrantRejected,
    /// `invalid_interaction`: the interaction expired or was already decided.
    InvalidInteraction,
    /// `unknown_interaction`: the wallet no longer knows it.
    UnknownInteraction,
    /// `grant_invalid`: the grant was no longer pending.
    GrantInvalid,
    /// `request_denied`: the wallet refused.
    RequestDenied,
    /// A code this app does not know, as the wallet sent it.
    Other(String),
}

impl WalletCode {
    /// The code as the wallet writes it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::GrantRejected => "grant_rejected",
            Self::InvalidInteraction => "invalid_interaction",
            Self::UnknownInteraction => "unknown_interaction",
            Self::GrantInvalid => "grant_invalid",
            Self::RequestDenied => "request_denied",
            Self::Other(code) => code,
        }
    }
}

impl From<String> for WalletCode {
    fn from(code: String) -> Self {
        match code.as_str() {
            "grant_rejected" => Self::GrantRejected,
            "invalid_interaction" => Self::InvalidInteraction,
            "unknown_interaction" => Self::UnknownInteraction,
            "grant_invalid" => Self::GrantInvalid,
            "request_denied" => Self::RequestDenied,
            _ => Self::Other(code),
        }
    }
}

impl From<WalletCode> for String {
    fn from(code: WalletCode) -> Self {
        code.as_str().to_owned()
    }
}

impl From<&FinishResult> for WalletCode {
    fn from(result: &FinishResult) -> Self {
        match result {
            FinishResult::GrantRejected => Self::GrantRejected,
            FinishResult::InvalidInteraction => Self::InvalidInteraction,
            FinishResult::UnknownInteraction => Self::UnknownInteraction,
            FinishResult::GrantInvalid => Self::GrantInvalid,
            FinishResult::RequestDenied => Self::RequestDenied,
            other => Self::Other(other.as_str().to_owned()),
        }
    }
}

/// Why a grant ended without being approved (or was given up after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum GrantOutcome {
    /// The wallet ended the interaction: its code and description.
    #[serde(rename_all = "camelCase")]
    Wallet {
        /// The `result` code.
        code: WalletCode,
        /// The wallet's `message`, if it sent one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// The person cancelled it.
    Cancelled,
    /// The person ended it after it was approved (cancelled at the wallet):
    /// what it paid stays paid.
    Ended,
    /// No approval arrived in time; it was cancelled at the wallet.
    TimedOut,
    /// The quote of its payment expired during consent; cancelled at the
    /// wallet.
    QuoteExpired,
    /// A run stopped while it completed the approval (the grant was left
    /// `finishing`), and taking it up again the wallet would not complete
    /// it: its answer was lost, or the link's one-time reference is gone.
    Interrupted {
        /// Whether it was then cancelled at the wallet.
        cancelled: bool,
    },
    /// The wallet asked to wait longer before continuing than the app
    /// waits (`crate::recover::MAX_CONTINUE_WAIT`).
    WaitTooLong {
        /// The wait it asked for, in seconds.
        seconds: u64,
        /// Whether it was then cancelled at the wallet.
        cancelled: bool,
    },
    /// The wallet rotated the access token and the new one could not be
    /// kept (its answer was unreadable, or the keyring refused it): the
    /// grant needs a new approval.
    TokenLost {
        /// What went wrong, in words.
        reason: String,
        /// Whether the new token was then revoked at the wallet.
        revoked: bool,
    },
    /// The wallet approved, but its answer to the continuation was lost and
    /// it would not send it again (an access token nobody holds); the grant
    /// was cancelled at the wallet.
    AnswerLost,
    /// An ownership proof the wallet answered for other addresses (or none).
    OtherSubject {
        /// The address asked about.
        asked: String,
        /// The addresses the wallet confirmed.
        confirmed: Vec<String>,
    },
    /// Words an older store kept that name none of the above, as they were.
    Text {
        /// The stored words.
        text: String,
    },
}

impl GrantOutcome {
    /// The wallet's code, or the app's own (`cancelled`, `timed_out`, …), for
    /// logs and scripts; `None` for stored words.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        Some(match self {
            Self::Wallet { code, .. } => code.as_str(),
            Self::Cancelled => "cancelled",
            Self::Ended => "ended",
            Self::TimedOut => "timed_out",
            Self::QuoteExpired => "quote_expired",
            Self::Interrupted { .. } => "interrupted",
            Self::WaitTooLong { .. } => "wait_too_long",
            Self::TokenLost { .. } => "token_lost",
            Self::AnswerLost => "answer_lost",
            Self::OtherSubject { .. } => "other_subject",
            Self::Text { .. } => return None,
        })
    }

    /// Whether the approval ran out of time at the wallet (its
    /// `invalid_interaction` described as expired, or not described, as
    /// older wallets sent it).
    #[must_use]
    pub fn is_expiry(&self) -> bool {
        match self {
            Self::Wallet {
                code: WalletCode::InvalidInteraction,
                description,
            } => description
                .as_deref()
                .is_none_or(|description| description.contains("expired")),
            _ => false,
        }
    }

    /// Reads a 0.1.0 store's `problem` text (`code`, `code (message)`, an
    /// app reason, or a sentence). Only the store migration calls it.
    pub(crate) fn from_legacy(text: &str) -> Self {
        match text {
            "cancelled" => return Self::Cancelled,
            "timed_out" => return Self::TimedOut,
            "quote_expired" => return Self::QuoteExpired,
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("the wallet confirmed ") {
            if let Some((confirmed, asked)) = rest
                .strip_suffix(", so nothing was proved")
                .and_then(|rest| rest.split_once(" instead of "))
            {
                let confirmed = match confirmed {
                    "no address" => Vec::new(),
                    list => list.split(", ").map(str::to_owned).collect(),
                };
                return Self::OtherSubject {
                    asked: asked.to_owned(),
                    confirmed,
                };
            }
        }
        let (code, rest) = text.split_once(' ').unwrap_or((text, ""));
        // Wallet codes are snake_case words: `grant_rejected`, …
        let is_code = code.contains('_')
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let description = match rest {
            "" => Some(None),
            rest => rest
                .strip_prefix('(')
                .and_then(|rest| rest.strip_suffix(')'))
                .map(|message| Some(message.to_owned()).filter(|m| !m.is_empty())),
        };
        match (is_code, description) {
            (true, Some(description)) => Self::Wallet {
                code: WalletCode::from(code.to_owned()),
                description,
            },
            _ => Self::Text {
                text: text.to_owned(),
            },
        }
    }
}

impl std::fmt::Display for GrantOutcome {
    /// `code` or `code (description)`; stored words as they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Wallet {
                code,
                description: Some(description),
            } => write!(f, "{} ({description})", code.as_str()),
            Self::Text { text } => f.write_str(text),
            other => f.write_str(other.code().unwrap_or_default()),
        }
    }
}

/// When a spent budget renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Renewal {
    /// The end of the current period.
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    /// The period is a day ("for today").
    pub daily: bool,
}

/// Why a payment failed, stopped, or went back to its quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PaymentProblem {
    /// The person stopped it before anything moved.
    Cancelled,
    /// Its grant ended without approval.
    Grant {
        /// How.
        outcome: GrantOutcome,
    },
    /// Its grant ended without approval and said nothing why.
    NotApproved,
    /// A new quote replaced the one approved: to be confirmed again.
    NewQuote,
    /// A new quote costs more than the approved grant allows.
    NewQuoteCostsMore,
    /// The grant's budget is spent (`renews` for a renewing one).
    BudgetSpent {
        /// When it renews, for a renewing budget.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renews: Option<Renewal>,
    },
    /// A resumed send the wallet refused again: it may have been made.
    Unconfirmed {
        /// Why the payments made could not be listed: the wallet's error,
        /// or `None` when the grant cannot list payments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lookup: Option<String>,
    },
    /// The receiver's incoming payment is gone (expired, withdrawn).
    ReceiverGone {
        /// Consent Desk created it (a payment to a wallet address) rather
        /// than the payee giving a link.
        ours: bool,
    },
    /// The wallet could not deliver it and gave no reason.
    Undelivered,
    /// The wallet did not make it, and said why.
    WalletRefused {
        /// The wallet's reason, as it wrote it.
        reason: String,
    },
    /// The wallet's (or an older store's) words, as they came.
    Message {
        /// The words.
        text: String,
    },
}

/// The words 0.1.0 wrote for the receiver's incoming payment being gone.
const LEGACY_RECEIVER_GONE: [(&str, bool); 2] = [
    (
        "the receiver's wallet no longer has the payment it was made for (it expired); start the \
         payment again",
        true,
    ),
    (
        "this payment link has expired or was withdrawn; ask the payee for a new one",
        false,
    ),
];

impl PaymentProblem {
    /// Reads a 0.1.0 store's payment `problem` text. Only the store
    /// migration calls it.
    pub(crate) fn from_legacy(text: &str) -> Self {
        match text {
            "cancelled" => return Self::Cancelled,
            "not approved" => return Self::NotApproved,
            "a new quote: check it and confirm" => return Self::NewQuote,
            "the new quote costs more than the approved grant allows; approve it again" => {
                return Self::NewQuoteCostsMore
            }
            "the wallet could not deliver the payment" => return Self::Undelivered,
            _ => {}
        }
        if let Some((_, ours)) = LEGACY_RECEIVER_GONE
            .iter()
            .find(|(words, _)| *words == text)
        {
            return Self::ReceiverGone { ours: *ours };
        }
        if let Some(reason) = text.strip_prefix("the wallet did not make the payment: ") {
            return Self::WalletRefused {
                reason: reason.to_owned(),
            };
        }
        // A grant's problem copied when its grant was not approved.
        match GrantOutcome::from_legacy(text) {
            GrantOutcome::Text { text } => Self::Message { text },
            outcome => Self::Grant { outcome },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_a_0_1_0_store_wrote_for_a_grant_is_read_into_its_variant() {
        let wallet = |code: WalletCode, description: Option<&str>| GrantOutcome::Wallet {
            code,
            description: description.map(str::to_owned),
        };
        for (text, outcome) in [
            ("grant_rejected", wallet(WalletCode::GrantRejected, None)),
            (
                "invalid_interaction (interaction expired)",
                wallet(WalletCode::InvalidInteraction, Some("interaction expired")),
            ),
            (
                "unknown_interaction (unknown interaction)",
                wallet(WalletCode::UnknownInteraction, Some("unknown interaction")),
            ),
            ("grant_invalid", wallet(WalletCode::GrantInvalid, None)),
            ("request_denied ()", wallet(WalletCode::RequestDenied, None)),
            (
                "something_new (a new reason)",
                wallet(
                    WalletCode::Other("something_new".into()),
                    Some("a new reason"),
                ),
            ),
            ("cancelled", GrantOutcome::Cancelled),
            ("timed_out", GrantOutcome::TimedOut),
            ("quote_expired", GrantOutcome::QuoteExpired),
            (
                "the wallet confirmed https://w.example/bob instead of https://w.example/alice, \
                 so nothing was proved",
                GrantOutcome::OtherSubject {
                    asked: "https://w.example/alice".into(),
                    confirmed: vec!["https://w.example/bob".into()],
                },
            ),
            (
                "the wallet confirmed no address instead of https://w.example/alice, so nothing \
                 was proved",
                GrantOutcome::OtherSubject {
                    asked: "https://w.example/alice".into(),
                    confirmed: vec![],
                },
            ),
            (
                "the wallet went away (for a while)",
                GrantOutcome::Text {
                    text: "the wallet went away (for a while)".into(),
                },
            ),
            (
                "grant_rejected but then",
                GrantOutcome::Text {
                    text: "grant_rejected but then".into(),
                },
            ),
        ] {
            assert_eq!(GrantOutcome::from_legacy(text), outcome, "{text}");
            // What is stored reads back as itself.
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(
                serde_json::from_str::<GrantOutcome>(&json).unwrap(),
                outcome
            );
        }
        assert_eq!(
            serde_json::to_value(wallet(WalletCode::InvalidInteraction, Some("x"))).unwrap(),
            serde_json::json!({"kind": "wallet", "code": "invalid_interaction", "description": "x"})
        );
    }

    #[test]
    fn only_an_interaction_that_ran_out_of_time_is_an_expiry() {
        for (text, expiry) in [
            ("invalid_interaction (interaction expired)", true),
            ("invalid_interaction", true),
            ("invalid_interaction (invalid interaction)", false),
            ("grant_rejected", false),
            ("timed_out", false),
        ] {
            assert_eq!(
                GrantOutcome::from_legacy(text).is_expiry(),
                expiry,
                "{text}"
            );
        }
    }

    #[test]
    fn every_problem_a_0_1_0_store_wrote_for_a_payment_is_read_into_its_variant() {
        for (text, problem) in [
            ("cancelled", PaymentProblem::Cancelled),
            ("not approved", PaymentProblem::NotApproved),
            (
                "grant_rejected",
                PaymentProblem::Grant {
                    outcome: GrantOutcome::Wallet {
                        code: WalletCode::GrantRejected,
                        description: None,
                    },
                },
            ),
            (
                "timed_out",
                PaymentProblem::Grant {
                    outcome: GrantOutcome::TimedOut,
                },
            ),
            (
                "a new quote: check it and confirm",
                PaymentProblem::NewQuote,
            ),
            (
                "the new quote costs more than the approved grant allows; approve it again",
                PaymentProblem::NewQuoteCostsMore,
            ),
            (
                "the wallet could not deliver the payment",
                PaymentProblem::Undelivered,
            ),
            (
                "the wallet did not make the payment: Account does not have enough balance.",
                PaymentProblem::WalletRefused {
                    reason: "Account does not have enough balance.".into(),
                },
            ),
            (
                "this payment link has expired or was withdrawn; ask the payee for a new one",
                PaymentProblem::ReceiverGone { ours: false },
            ),
            (
                "the receiver's wallet no longer has the payment it was made for (it expired); \
                 start the payment again",
                PaymentProblem::ReceiverGone { ours: true },
            ),
            (
                "This budget is spent for today; it renews at 1 Dec 2026 13:40:44 UTC. Approve a \
                 new grant to pay now.",
                PaymentProblem::Message {
                    text: "This budget is spent for today; it renews at 1 Dec 2026 13:40:44 UTC. \
                           Approve a new grant to pay now."
                        .into(),
                },
            ),
        ] {
            assert_eq!(PaymentProblem::from_legacy(text), problem, "{text}");
            let json = serde_json::to_string(&problem).unwrap();
            assert_eq!(
                serde_json::from_str::<PaymentProblem>(&json).unwrap(),
                problem
            );
        }
    }
}
