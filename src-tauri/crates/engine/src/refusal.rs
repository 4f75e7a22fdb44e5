//! Why the engine refused a step, typed: what is busy elsewhere, what is
//! missing, which step a state does not allow, what a wallet did that this
//! app cannot go on with. Their sentences are made in [`crate::words`]
//! (`Display`), the one place errors become words.

/// Another run of Consent Desk (the app, the command line) or another path
/// of this one is doing this right now: looking again later may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Renewing the grant's access token.
    RenewingToken,
    /// Sending a payment made with the grant.
    PaymentInFlight,
    /// Completing the approval a payment waits for.
    CompletingPaymentApproval,
    /// Sending this payment.
    SendingElsewhere,
    /// Completing this approval with the wallet (a finish link arrived
    /// while another run holds it).
    FinishingElsewhere,
    /// Completing this approval, asked to cancel it meanwhile.
    FinishingWhileCancelling,
    /// A link its window caught is being checked: moving the approval to
    /// the browser now could cancel it when the link fails.
    CheckingLink,
}

/// A record this app does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// No grant with this id.
    Grant(String),
    /// No payment with this id.
    Payment(String),
    /// The payment's grant (this id) is gone.
    PaymentGrant(String),
    /// The payment has no grant yet.
    PaymentWithoutGrant,
}

/// A step on a payment, refused in a state that does not allow it
/// ([`crate::FlowError::PaymentNotNow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStep {
    /// A new quote.
    Requote,
    /// Asking the wallet to approve it.
    Approve,
    /// Paying it with a grant the person chose.
    PayWithGrant,
    /// Sending it.
    Send,
    /// Stopping it.
    Stop,
}

/// A step on a grant, refused in a state that does not allow it
/// ([`crate::FlowError::GrantNotNow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStep {
    /// Opening its consent page again.
    Reopen,
    /// Handing its approval to the browser.
    HandToBrowser,
    /// Using or managing its access token.
    UseToken,
}

/// What a wallet did that Open Payments does not allow, or that this app
/// cannot go on with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletFault {
    /// It asked for consent where none is needed (an incoming payment, a
    /// quote).
    ConsentNotNeeded,
    /// It gave no consent page for an interactive grant.
    NoConsentPage,
    /// It granted an outgoing payment without asking the person.
    GrantedWithoutAsking,
    /// It answered an ownership proof without asking the person.
    ProofWithoutAsking,
    /// Its grant has no continuation URI.
    NoContinuation,
    /// Its finish link says a `result` this app does not know.
    UnknownResult,
    /// It did not approve the grant.
    NotApproved,
    /// It did not confirm the ownership proof.
    NotProven,
}
