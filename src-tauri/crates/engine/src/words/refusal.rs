//! The sentences of the engine's typed refusals ([`crate::refusal`]): the
//! lower-case clause the command line prints and the UI makes a sentence of.

use std::fmt;

use crate::refusal::{Busy, GrantStep, Missing, PaymentStep, WalletFault};

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RenewingToken => {
                "another run of Consent Desk is renewing this grant's access token and has not \
                 finished; try again in a minute"
            }
            Self::PaymentInFlight => {
                "a payment made with this grant is still being sent; wait until it settles"
            }
            Self::CompletingPaymentApproval => {
                "your approval is being completed with the wallet right now (by this app or \
                 another run of Consent Desk); look at the payment again in a minute"
            }
            Self::SendingElsewhere => {
                "this payment is being sent right now by another run of Consent Desk (the app or \
                 the command line); nothing was sent from here. Look at it again in a minute"
            }
            Self::FinishingElsewhere => {
                "this approval is being completed with the wallet right now by another run of \
                 Consent Desk (the app or the command line); if that run stopped, open this link \
                 again in two minutes and it is taken up"
            }
            Self::CheckingLink => {
                "your wallet's window just sent back a link for this approval, which is being \
                 checked; look at the approval again in a moment"
            }
            Self::FinishingWhileCancelling => {
                "this approval is being completed with the wallet right now; look at it again in \
                 a minute, and cancel it then if it was approved"
            }
        })
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Grant(id) => write!(f, "there is no grant `{id}`"),
            Self::Payment(id) => write!(f, "there is no payment `{id}`"),
            Self::PaymentGrant(id) => write!(f, "the payment's grant `{id}` is gone"),
            Self::PaymentWithoutGrant => f.write_str("the payment has no grant yet"),
        }
    }
}

impl PaymentStep {
    /// Why the step cannot be taken now, after "this payment is <state>; ".
    #[must_use]
    pub fn refusal(self) -> &'static str {
        match self {
            Self::Requote => "only one not sent yet can get a new quote",
            Self::Approve => "it was already approved or ended",
            Self::PayWithGrant => "only a quoted one can be paid with a grant",
            Self::Send => "there is nothing to send",
            Self::Stop => "it can no longer be stopped",
        }
    }
}

/// Why `step` cannot be taken on a grant in `state`.
#[must_use]
pub fn grant_not_now(state: &str, step: GrantStep) -> String {
    match step {
        GrantStep::Reopen => {
            format!("this approval no longer waits (it is {state}); nothing to open")
        }
        GrantStep::HandToBrowser => format!("this approval no longer waits (it is {state})"),
        GrantStep::UseToken => format!("this grant is {state}; only an approved one has a token"),
    }
}

impl fmt::Display for WalletFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ConsentNotNeeded => {
                "the wallet asked for consent where none is needed (incoming payment or quote); \
                 Consent Desk cannot go on with this wallet"
            }
            Self::NoConsentPage => "the wallet gave no consent page",
            Self::GrantedWithoutAsking => {
                "the wallet granted an outgoing payment without asking the person; Consent Desk \
                 refuses such grants"
            }
            Self::ProofWithoutAsking => {
                "the wallet answered an ownership proof without asking the person, so it proves \
                 nothing; it was not accepted"
            }
            Self::NoContinuation => "the grant has no continuation URI",
            Self::UnknownResult => "the finish link says something this app does not know",
            Self::NotApproved => "the wallet did not approve the grant",
            Self::NotProven => "the wallet did not confirm that you own this wallet address",
        })
    }
}
