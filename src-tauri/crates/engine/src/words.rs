//! The sentences a person reads about grants and payments, made in one
//! place from what the engine knows: failures as a typed [`Problem`]
//! (+ details), steps as a [`Progress`], records and the wallet's codes.
//! The UI shows these as they come; its test backend reads them from a
//! fixture `tests/words_fixture.rs` writes from these functions.

pub mod consent;
pub mod notice;
mod problem;
mod progress;
mod refusal;

use consent_desk_protocol::describe::{describe_interval, format_amount_of};
use consent_desk_protocol::{AccessItem, Amount, GrantRequest, LimitAmount};

pub use self::problem::{address_reason, Problem, ProblemCode};
pub use self::progress::Progress;
pub use self::refusal::grant_not_now;
use crate::outcome::{GrantOutcome, PaymentProblem, WalletCode};
use crate::views::GrantStateView;
use crate::{FlowError, GrantRecord, GrantState, PaymentRecord, PaymentState};

/// Turns an error text into a sentence for the UI: a capital first letter
/// (unless the text starts with an address, which keeps its case: never
/// "Http://…"), code-like names in quotes instead of backticks, a full stop
/// at the end.
#[must_use]
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len() + 1);
    let mut open = true;
    let keep_case = starts_with_address(text);
    for (i, c) in text.chars().enumerate() {
        match c {
            '`' => {
                out.push(if open { '“' } else { '”' });
                open = !open;
            }
            c if i == 0 && !keep_case => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Whether `text` starts with a URL, a payment pointer or a host name,
/// whose case is part of it.
fn starts_with_address(text: &str) -> bool {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches([',', ';', ':', '.', ')']);
    if first.contains(":/") || first.starts_with('$') {
        return true;
    }
    // A host name: dot-separated labels, the last of two or more
    // characters ("wallet.example", not "e.g.").
    let host = first.split(['/', ':']).next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.last().is_some_and(|last| last.len() >= 2)
        && labels.iter().all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// The limit of a grant request in words.
#[must_use]
pub fn summary(request: &GrantRequest) -> String {
    let limits = request
        .access_token
        .access
        .iter()
        .find_map(|item| match item {
            AccessItem::OutgoingPayment { limits, .. } => Some(limits.clone()),
            _ => None,
        });
    let limits = limits.flatten();
    let amount = match limits.as_ref().and_then(|l| l.amount.as_ref()) {
        Some(LimitAmount::Debit(amount)) => format!("Up to {}", format_amount_of(amount)),
        Some(LimitAmount::Receive(amount)) => {
            format!("Up to {} delivered", format_amount_of(amount))
        }
        None => "Any amount".to_owned(),
    };
    match limits.as_ref().and_then(|l| l.interval.as_ref()) {
        Some(interval) => format!("{amount} {}", describe_interval(interval)),
        None => format!("{amount}, once (the limit does not renew)"),
    }
}

/// The grant's state as a person names it: a failure is told apart as
/// rejected (the person said no) or expired (the approval timed out).
#[must_use]
pub fn grant_state(record: &GrantRecord) -> GrantStateView {
    match record.state {
        GrantState::Pending => GrantStateView::Pending,
        GrantState::Finishing => GrantStateView::Finishing,
        GrantState::Approved => GrantStateView::Approved,
        GrantState::Failed => failure_state(record.outcome.as_ref()),
        GrantState::Cancelled => GrantStateView::Cancelled,
        GrantState::Revoked => GrantStateView::Revoked,
    }
}

/// A failed grant by what the wallet said.
fn failure_state(outcome: Option<&GrantOutcome>) -> GrantStateView {
    match outcome {
        Some(GrantOutcome::Wallet {
            code: WalletCode::GrantRejected,
            ..
        }) => GrantStateView::Rejected,
        Some(outcome) if outcome.is_expiry() => GrantStateView::Expired,
        _ => GrantStateView::Failed,
    }
}

/// Words for why a grant ended without approval: the wallet's code (its
/// description for a code this app does not know), or why the app gave it
/// up.
#[must_use]
pub fn grant_outcome(outcome: &GrantOutcome) -> String {
    let words = match outcome {
        GrantOutcome::Wallet { code, description } => match code {
            WalletCode::GrantRejected => {
                "You rejected the request at your wallet; nothing was granted."
            }
            WalletCode::InvalidInteraction if outcome.is_expiry() => {
                "The approval expired before it was finished; start again."
            }
            WalletCode::InvalidInteraction => {
                "Your wallet says this approval link is no longer valid (the request was \
                 already decided or cancelled); nothing was granted. Start again."
            }
            WalletCode::UnknownInteraction => {
                "Your wallet no longer knows this approval (it was cancelled); nothing was \
                 granted. Start again."
            }
            WalletCode::GrantInvalid => {
                "Your wallet sent you back before you approved or rejected, so nothing was \
                 granted; start again."
            }
            WalletCode::RequestDenied => "The wallet refused the request.",
            WalletCode::Other(code) => {
                return match description {
                    Some(description) => sentence(description),
                    None => sentence(&format!(
                        "your wallet ended the approval (`{code}`); nothing was granted"
                    )),
                }
            }
        },
        GrantOutcome::Cancelled => "You cancelled the request.",
        GrantOutcome::Ended => {
            "You ended this approval; nothing more can be paid with it, and payments already made \
             with it stay paid."
        }
        GrantOutcome::TimedOut => {
            "No approval arrived in time, so the request was cancelled at your wallet; start \
             again."
        }
        GrantOutcome::QuoteExpired => {
            "The quote expired while you approved, so the grant was cancelled at your wallet and \
             nothing was paid; pay again."
        }
        GrantOutcome::Interrupted { cancelled: true } => {
            "Consent Desk stopped while it was completing this approval, and your wallet would \
             not complete it again, so it was cancelled at your wallet; nothing can be paid with \
             it. Start again."
        }
        GrantOutcome::Interrupted { cancelled: false } => {
            "Consent Desk stopped while it was completing this approval, and your wallet would \
             neither complete it again nor cancel it; nothing can be paid with it from here. If \
             your wallet lists it, cancel it there, and start again."
        }
        GrantOutcome::WaitTooLong { seconds, cancelled } => {
            return format!(
                "Your wallet asked to wait {} before it would answer, longer than Consent Desk \
                 waits ({} at most), so the approval was given up{}; start again.",
                crate::recover::duration_words(*seconds),
                crate::recover::duration_words(crate::recover::MAX_CONTINUE_WAIT.as_secs()),
                if *cancelled {
                    " and cancelled at your wallet"
                } else {
                    " (it could not be cancelled at your wallet: cancel it there if it is listed)"
                }
            )
        }
        GrantOutcome::TokenLost { reason, revoked } => {
            return format!(
                "Your wallet renewed this grant's access token, but {reason}; {} This grant can no \
                 longer pay: approve a new one.",
                if *revoked {
                    "the new token was revoked at your wallet, so none is left that nobody holds."
                } else {
                    "if your wallet lists this grant, revoke it there."
                }
            )
        }
        GrantOutcome::AnswerLost => {
            "Your approval went through at your wallet, but its answer was lost on the way back \
             and the wallet will not send it again, so the grant was cancelled there (nothing \
             can be paid with it). Approve again."
        }
        GrantOutcome::OtherSubject { asked, confirmed } => {
            let confirmed = if confirmed.is_empty() {
                "no address".to_owned()
            } else {
                confirmed.join(", ")
            };
            return sentence(&format!(
                "the wallet confirmed {confirmed} instead of {asked}, so nothing was proved"
            ));
        }
        GrantOutcome::Text { text } => return sentence(text),
    };
    words.to_owned()
}

/// Words for why a payment failed, stopped or went back to its quote.
#[must_use]
pub fn payment_problem(problem: &PaymentProblem) -> String {
    let text = match problem {
        PaymentProblem::Cancelled => "cancelled".to_owned(),
        PaymentProblem::Grant { outcome } => return grant_outcome(outcome),
        PaymentProblem::NotApproved => "not approved".to_owned(),
        PaymentProblem::NewQuote => "a new quote: check it and confirm".to_owned(),
        PaymentProblem::NewQuoteCostsMore => {
            "the new quote costs more than the approved grant allows; approve it again".to_owned()
        }
        PaymentProblem::BudgetSpent {
            renews: Some(renewal),
        } => format!(
            "This budget is spent {}; it renews at {}. Approve a new grant to pay now.",
            if renewal.daily {
                "for today"
            } else {
                "for this period"
            },
            consent_desk_protocol::describe::format_date(renewal.at, true)
        ),
        PaymentProblem::BudgetSpent { renews: None } => {
            "This budget is spent or does not cover this payment; approve a new grant to pay."
                .to_owned()
        }
        PaymentProblem::Unconfirmed { lookup } => {
            let why = match lookup {
                Some(lookup) => format!("The wallet could not be asked whether it was ({lookup})"),
                None => {
                    "This grant cannot list payments, so that cannot be confirmed here".to_owned()
                }
            };
            format!(
                "This payment may have been made already: the wallet refused to send it again, \
                 as it does once the first try used the budget. {why}. Do not pay it again: \
                 check again later, or look for it in your wallet's history."
            )
        }
        PaymentProblem::ReceiverGone { ours: true } => {
            "the receiver's wallet no longer has the payment it was made for (it expired); start \
             the payment again"
                .to_owned()
        }
        PaymentProblem::ReceiverGone { ours: false } => {
            "this payment link has expired or was withdrawn; ask the payee for a new one".to_owned()
        }
        PaymentProblem::Undelivered => "the wallet could not deliver the payment".to_owned(),
        PaymentProblem::WalletRefused { reason } => {
            format!("the wallet did not make the payment: {reason}")
        }
        PaymentProblem::Message { text } => text.clone(),
    };
    sentence(&text)
}

/// "1 USD ≈ 0.9083 EUR (fees included)" across currencies; exact integer
/// arithmetic, four decimals.
#[must_use]
pub fn rate(debit: &Amount, receive: &Amount) -> Option<String> {
    if debit.asset_code == receive.asset_code || debit.value == 0 {
        return None;
    }
    let scale = |s: u8| 10u128.checked_pow(u32::from(s));
    let numerator = u128::from(receive.value) * scale(debit.asset_scale)? * 10_000;
    let denominator = u128::from(debit.value) * scale(receive.asset_scale)?;
    let per = numerator / denominator;
    Some(rate_words(
        &debit.asset_code,
        &format!("{}.{:04}", per / 10_000, per % 10_000),
        &receive.asset_code,
    ))
}

/// What became of a link that came back through the system (Home's "Back
/// from your browser"), in one sentence: the approval it completed, or why
/// it was refused.
#[must_use]
pub fn link_outcome(result: &crate::error::Result<crate::Finished>) -> String {
    match result {
        Ok(finished) => match &finished.completed {
            crate::Completed::Approved(_) => {
                "Your wallet sent you back and the approval is complete.".to_owned()
            }
            crate::Completed::Proved(_) => {
                "Your wallet sent you back and confirmed that you own this wallet address."
                    .to_owned()
            }
            crate::Completed::NotApproved(record) => format!(
                "Your wallet sent you back without an approval: {}",
                record
                    .outcome
                    .as_ref()
                    .map_or_else(|| "nothing was granted.".to_owned(), grant_outcome)
            ),
        },
        Err(error) => error.message(),
    }
}

/// Whether a link that came back was refused as not the wallet's answer for
/// a waiting approval (forged, for no approval, used already), rather than
/// taken, or failed for a reason that may pass (the wallet is down).
#[must_use]
pub fn link_refused(result: &crate::error::Result<crate::Finished>) -> bool {
    matches!(
        result,
        Err(crate::Error::Flow(
            FlowError::UnknownFinish
                | FlowError::AlreadyUsed { .. }
                | FlowError::Refused(_)
                | FlowError::FailureUnconfirmed { .. }
        ))
    )
}

/// A link on the app's scheme that is not a wallet's finish link.
pub const LINK_IGNORED: &str = "Consent Desk does not use this link, so it was ignored.";

/// The fee of a quote, in words: what leaves the payer beyond what arrives,
/// when both are in one asset ("$0.11"); across assets the quote gives no
/// fee of its own: it is part of the rate.
#[must_use]
pub fn fee(debit: &Amount, receive: &Amount) -> String {
    if debit.asset_code != receive.asset_code {
        return FEE_IN_RATE.to_owned();
    }
    // One currency at two scales (wallets may differ): at the finer one.
    let scale = debit.asset_scale.max(receive.asset_scale);
    let at = |amount: &Amount| {
        10u64
            .checked_pow(u32::from(scale - amount.asset_scale))
            .and_then(|factor| amount.value.checked_mul(factor))
    };
    match (at(debit), at(receive)) {
        (Some(debit_value), Some(receive_value)) => format_amount_of(&Amount {
            value: debit_value.saturating_sub(receive_value),
            asset_code: debit.asset_code.clone(),
            asset_scale: scale,
        }),
        // Beyond u64 at the finer scale: no fee figure to give.
        _ => FEE_IN_RATE.to_owned(),
    }
}

/// The fee of a quote across assets.
pub const FEE_IN_RATE: &str = "Included in the rate";

/// "1 USD ≈ 0.9083 EUR (fees included)" from its parts.
#[must_use]
pub fn rate_words(debit_asset: &str, rate: &str, receive_asset: &str) -> String {
    format!("1 {debit_asset} \u{2248} {rate} {receive_asset} (fees included)")
}

/// How a step of sending ended, in words.
#[must_use]
pub fn payment_outcome(
    result: &Result<PaymentRecord, FlowError>,
    record: &PaymentRecord,
) -> String {
    match (result, record.state) {
        (Ok(_), PaymentState::Completed) => "Paid: the receiver got the money.".to_owned(),
        (Ok(_), PaymentState::Sent) => {
            "Sent; the wallet is still delivering it. Check again later, or make another payment \
             meanwhile."
                .to_owned()
        }
        // Approved, but the answer was lost: "not approved" would be wrong.
        (Ok(_), PaymentState::Cancelled)
            if matches!(
                record.problem,
                Some(PaymentProblem::Grant {
                    outcome: GrantOutcome::AnswerLost
                })
            ) =>
        {
            "Your approval went through at your wallet, but its answer was lost on the way back, \
             so it was cancelled there and nothing was paid. Pay again to approve anew."
                .to_owned()
        }
        (Ok(_), PaymentState::Cancelled) => {
            "Not approved at your wallet, so nothing was paid.".to_owned()
        }
        (Ok(_), PaymentState::Failed) => record
            .problem
            .as_ref()
            .map_or_else(|| "Not paid.".to_owned(), payment_problem),
        // The outgoing payment exists: whatever went wrong following it,
        // never advise a new grant (that would pay twice).
        (Err(error), PaymentState::Sent) => format!(
            "Sent; the wallet could not be asked how it is going ({}). Check again later.",
            first_sentence(&Problem::of_flow(error).message())
        ),
        (Err(FlowError::Protocol(error)), PaymentState::Quoted) if error.is_budget_spent() => {
            // The flow's words: when a renewing budget renews.
            record.problem.as_ref().map_or_else(
                || "That grant's budget is spent: approve a new grant to pay.".to_owned(),
                payment_problem,
            )
        }
        // Nothing says it was not made: never advise a new grant here.
        (Err(FlowError::Protocol(error)), PaymentState::Sending) => {
            let words = if error.is_budget_spent() {
                "The wallet refused to send it again.".to_owned()
            } else {
                Problem::of_protocol(error).message()
            };
            format!(
                "{words} The payment may have been made already: check again, and do not pay it \
                 again."
            )
        }
        (Err(FlowError::QuoteExpired), _) => {
            "The quote expired while you approved. Get a new quote; nothing was paid.".to_owned()
        }
        (Err(error), _) => Problem::of_flow(error).message(),
        (Ok(_), _) => "The payment moved on.".to_owned(),
    }
}

/// The first sentence of `text`, without its full stop, to go inside
/// another: "The wallet at w.example is not answering. Check …" → "the
/// wallet at w.example is not answering".
fn first_sentence(text: &str) -> String {
    let first = text.split_once(". ").map_or(text, |(first, _)| first);
    let first = first.trim_end_matches('.');
    let mut chars = first.chars();
    match (chars.next(), chars.next()) {
        (Some(c), Some(next)) if c.is_uppercase() && next.is_lowercase() => {
            c.to_lowercase().chain(first.chars().skip(1)).collect()
        }
        _ => first.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(
            sentence("the key `k-1` is not published"),
            "The key “k-1” is not published."
        );
        assert_eq!(sentence("Already fine."), "Already fine.");
        assert_eq!(sentence("ünïcode start"), "Ünïcode start.");
    }

    #[test]
    fn every_way_the_wallet_ends_an_approval_is_named_and_told_in_words() {
        // As `Flows::complete` stores what the reference wallet (Rafiki 2.x)
        // sends back.
        for (problem, state, says) in [
            ("grant_rejected", GrantStateView::Rejected, "You rejected"),
            (
                "invalid_interaction (interaction expired)",
                GrantStateView::Expired,
                "expired before it was finished",
            ),
            // Older wallets sent no message for an expiry.
            ("invalid_interaction", GrantStateView::Expired, "expired"),
            (
                "invalid_interaction (invalid interaction)",
                GrantStateView::Failed,
                "no longer valid",
            ),
            (
                "unknown_interaction (unknown interaction)",
                GrantStateView::Failed,
                "no longer knows this approval",
            ),
            (
                "grant_invalid",
                GrantStateView::Failed,
                "before you approved or rejected",
            ),
            (
                "something_new (a new reason)",
                GrantStateView::Failed,
                "new reason",
            ),
        ] {
            let outcome = GrantOutcome::from_legacy(problem);
            assert_eq!(failure_state(Some(&outcome)), state, "{problem}");
            let words = grant_outcome(&outcome);
            assert!(words.contains(says), "{problem}: {words}");
            assert!(
                !words.contains('_') || problem.starts_with("something_new"),
                "{problem} is told in words: {words}"
            );
        }
    }

    fn amount(value: u64, code: &str, scale: u8) -> Amount {
        Amount {
            value,
            asset_code: code.into(),
            asset_scale: scale,
        }
    }

    fn record(state: &str, problem: Option<PaymentProblem>, sent: bool) -> PaymentRecord {
        let amount = serde_json::json!({"value": "400", "assetCode": "USD", "assetScale": 2});
        let outgoing = sent.then(|| {
            serde_json::json!({
                "id": "https://w.example/outgoing-payments/1",
                "walletAddress": "https://w.example/alice",
                "receiver": "https://w.example/incoming-payments/2",
                "debitAmount": amount, "sentAmount": amount, "receiveAmount": amount,
                "createdAt": "2026-11-30T12:00:00Z",
            })
        });
        serde_json::from_value(serde_json::json!({
            "id": "p1", "profile": "sandbox", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/rs", "receiverWallet": null,
            "incomingPayment": "https://w.example/incoming-payments/2", "amount": null,
            "note": null, "grantId": null, "state": state, "problem": problem,
            "outgoingPayment": outgoing,
            "quote": {
                "id": "https://w.example/quotes/3", "walletAddress": "https://w.example/alice",
                "receiver": "https://w.example/incoming-payments/2", "method": "ilp",
                "debitAmount": amount, "receiveAmount": amount,
                "createdAt": "2026-11-30T12:00:00Z",
            },
            "createdAt": "2026-11-30T12:00:00Z", "updatedAt": "2026-11-30T12:00:00Z",
        }))
        .unwrap()
    }

    fn spent() -> FlowError {
        FlowError::Protocol(consent_desk_protocol::Error::Token {
            problem: consent_desk_protocol::TokenProblem::InsufficientGrant,
            status: 403,
            host: "w.example".into(),
            body: Vec::new(),
        })
    }

    #[test]
    fn a_sent_payment_never_suggests_a_new_grant_and_a_spent_budget_says_when_it_renews() {
        let sent = record("sent", None, true);
        let words = payment_outcome(&Err(spent()), &sent);
        assert!(
            words.starts_with("Sent; the wallet could not be asked"),
            "{words}"
        );
        assert!(
            !words.contains("new grant"),
            "paying again would pay twice: {words}"
        );
        let renews = "This budget is spent for today; it renews at 1 Dec 2026 00:00 UTC. \
                      Approve a new grant to pay now.";
        let quoted = record(
            "quoted",
            Some(PaymentProblem::Message {
                text: renews.into(),
            }),
            false,
        );
        assert_eq!(payment_outcome(&Err(spent()), &quoted), renews);
        let failed = record(
            "failed",
            Some(PaymentProblem::WalletRefused {
                reason: "Account does not have enough balance.".into(),
            }),
            true,
        );
        assert_eq!(
            payment_outcome(&Ok(failed.clone()), &failed),
            "The wallet did not make the payment: Account does not have enough balance."
        );
    }

    #[test]
    fn a_payment_that_may_have_been_made_never_suggests_a_new_grant() {
        // A resumed send refused as over the limit the flow could not look up.
        let sending = record("sending", None, false);
        let words = payment_outcome(&Err(spent()), &sending);
        assert!(words.contains("may have been made"), "{words}");
        assert!(
            !words.contains("new grant") && !words.contains("new payment"),
            "paying again would pay twice: {words}"
        );
        let unconfirmed = FlowError::Unconfirmed(
            "This payment may have been made already: ... Do not pay it again: check again \
             later."
                .into(),
        );
        assert_eq!(
            payment_outcome(&Err(unconfirmed), &sending),
            "This payment may have been made already: ... Do not pay it again: check again later."
        );
    }

    #[test]
    fn the_rate_is_shown_across_currencies_only_and_exactly() {
        assert_eq!(
            rate(&amount(1101, "USD", 2), &amount(1000, "EUR", 2)).as_deref(),
            Some("1 USD \u{2248} 0.9082 EUR (fees included)")
        );
        assert_eq!(
            rate(&amount(1000, "USD", 2), &amount(1480, "JPY", 0)).as_deref(),
            Some("1 USD \u{2248} 148.0000 JPY (fees included)")
        );
        assert_eq!(rate(&amount(1000, "USD", 2), &amount(1000, "USD", 2)), None);
    }

    #[test]
    fn a_link_is_refused_only_as_not_the_wallet_s_answer() {
        let refused = |error: FlowError| link_refused(&Err(crate::Error::Flow(error)));
        assert!(refused(FlowError::UnknownFinish));
        assert!(refused(FlowError::AlreadyUsed {
            state: "approved".into()
        }));
        // Failed for a reason that may pass, or of its own: not "refused".
        assert!(!refused(FlowError::Busy(crate::Busy::FinishingElsewhere)));
        assert!(!refused(FlowError::QuoteExpired));
    }

    #[test]
    fn the_fee_is_what_stays_with_the_wallet_in_one_asset_and_part_of_the_rate_across() {
        assert_eq!(fee(&amount(500, "USD", 2), &amount(485, "USD", 2)), "$0.15");
        assert_eq!(fee(&amount(500, "USD", 2), &amount(500, "USD", 2)), "$0.00");
        assert_eq!(
            fee(&amount(1101, "USD", 2), &amount(1000, "EUR", 2)),
            FEE_IN_RATE
        );
        // One currency at two scales: compared at the finer one.
        assert_eq!(
            fee(&amount(500, "USD", 2), &amount(4_850_000_000, "USD", 9)),
            format_amount_of(&amount(150_000_000, "USD", 9))
        );
    }
}
