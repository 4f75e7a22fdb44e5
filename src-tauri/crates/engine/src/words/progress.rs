//! The sentences of an approval or a payment moving on, as the progress
//! line shows them.

/// A step of an approval or a payment, with what its sentence needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// Asking the wallet for a grant.
    Asking,
    /// Asking the wallet to confirm the person owns `wallet`.
    AskingProof {
        /// The wallet address.
        wallet: &'a str,
    },
    /// The consent page is open in a window of the app.
    WaitingInWindow,
    /// The consent page is open in the system browser.
    WaitingInBrowser,
    /// A finish link arrived; checking it.
    Verifying,
    /// Collecting the grant at the wallet.
    Continuing,
    /// Approved, with its limit in words.
    Approved {
        /// The limit ("Up to $13.20, once …").
        summary: &'a str,
    },
    /// The wallet confirmed the person owns `wallet`.
    Proved {
        /// The wallet address.
        wallet: &'a str,
    },
    /// It ended without approval and without a reason.
    NotApproved,
    /// The person pressed Cancel in the main window.
    CancelledByYou,
    /// The person closed the wallet's window.
    WindowClosed,
    /// A payment was quoted.
    Quoted,
    /// A payment was quoted again after its quote expired.
    Requoted,
    /// A payment waits for approval at the wallet.
    ApprovePayment,
    /// An approved payment is being sent.
    Sending,
    /// A payment was stopped before it was sent.
    PaymentStopped,
}

impl Progress<'_> {
    /// Its sentence.
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            Self::Asking => "Asking your wallet for permission…".to_owned(),
            Self::AskingProof { wallet } => {
                format!("Asking your wallet to confirm that you own {wallet}…")
            }
            Self::WaitingInWindow => "Approve or reject in your wallet's window.".to_owned(),
            Self::WaitingInBrowser => {
                "Approve or reject in your browser; your wallet then sends you back here."
                    .to_owned()
            }
            Self::Verifying => "Checking that the answer comes from your wallet…".to_owned(),
            Self::Continuing => "Approved. Collecting the permission from your wallet…".to_owned(),
            Self::Approved { summary } => format!("Approved: {summary}."),
            Self::Proved { wallet } => format!("Proved: you own {wallet}."),
            Self::NotApproved => "Not approved.".to_owned(),
            Self::CancelledByYou => {
                "You cancelled the request; it was cancelled at your wallet too.".to_owned()
            }
            Self::WindowClosed => {
                "You closed your wallet's window, so the request was cancelled at the wallet."
                    .to_owned()
            }
            Self::Quoted => "Quoted. Check it, then approve.".to_owned(),
            Self::Requoted => "New quote. Check it, then approve.".to_owned(),
            Self::ApprovePayment => "Approve the payment at your wallet.".to_owned(),
            Self::Sending => "Approved. Sending the payment…".to_owned(),
            Self::PaymentStopped => "Payment stopped; no money moved.".to_owned(),
        }
    }
}
