//! Payments in the desktop: the Pay screen's quote, its approval through the
//! same consent flow as any grant, and the sending once the grant is
//! approved (from whichever finish path). The engine is
//! `consent_desk_engine::pay`; this module picks clients, windows and words.

use consent_desk_engine::{FlowError, PayAmount, PayRequest, PaymentRecord, PaymentState};
use consent_desk_protocol::describe::format_amount_of;
use consent_desk_protocol::Amount;
use tauri::{AppHandle, Manager};
use url::Url;

use crate::error::Result;
use crate::flow::{active_profile, client_for, finish_route, present, unlocked_client, FlowState};
use crate::ipc::{
    ApproveIn, PayAmountKind, PayForm, PaymentProgress, PaymentStateView, PaymentView,
};

fn state_view(state: PaymentState) -> PaymentStateView {
    match state {
        PaymentState::Quoted => PaymentStateView::Quoted,
        PaymentState::Authorizing => PaymentStateView::Authorizing,
        PaymentState::Sending => PaymentStateView::Sending,
        PaymentState::Sent => PaymentStateView::Sent,
        PaymentState::Completed => PaymentStateView::Completed,
        PaymentState::Failed => PaymentStateView::Failed,
        // Not `_`: a new state must be given words here.
        PaymentState::Cancelled => PaymentStateView::Cancelled,
    }
}

/// "1 USD ≈ 0.9083 EUR (fees included)" across currencies; exact integer
/// arithmetic, four decimals.
fn rate(debit: &Amount, receive: &Amount) -> Option<String> {
    if debit.asset_code == receive.asset_code || debit.value == 0 {
        return None;
    }
    let scale = |s: u8| 10u128.checked_pow(u32::from(s));
    let numerator = u128::from(receive.value) * scale(debit.asset_scale)? * 10_000;
    let denominator = u128::from(debit.value) * scale(receive.asset_scale)?;
    let per = numerator / denominator;
    Some(format!(
        "1 {} \u{2248} {}.{:04} {} (fees included)",
        debit.asset_code,
        per / 10_000,
        per % 10_000,
        receive.asset_code
    ))
}

pub(crate) fn view(record: &PaymentRecord) -> PaymentView {
    PaymentView {
        id: record.id.clone(),
        state: state_view(record.state),
        from: record.sender.clone(),
        to: record
            .receiver_wallet
            .clone()
            .unwrap_or_else(|| record.incoming_payment.clone()),
        debit: format_amount_of(&record.quote.debit_amount),
        receive: format_amount_of(&record.quote.receive_amount),
        rate: rate(&record.quote.debit_amount, &record.quote.receive_amount),
        quote_expires_at: record.quote.expires_at.clone(),
        quote_expired: !record.state.is_final()
            && record.state != PaymentState::Sent
            && record.quote_expired(),
        sent: record
            .outgoing_payment
            .as_ref()
            .map(|payment| format_amount_of(&payment.sent_amount)),
        note: record.note.clone(),
        problem: record.problem.as_deref().map(crate::error::sentence),
        grant_id: record.grant_id.clone(),
        created_at: record.created_at.clone(),
    }
}

fn announce(app: &AppHandle, record: &PaymentRecord, message: impl Into<String>) -> PaymentView {
    let payment = view(record);
    crate::events::emit(
        app,
        PaymentProgress {
            payment: payment.clone(),
            message: message.into(),
        },
    );
    payment
}

fn parse_url(text: &str, what: &str) -> Result<Url> {
    Ok(
        consent_desk_identity::wallet::parse_wallet_url(text.trim(), true)
            .map_err(|error| FlowError::Invalid(format!("{what}: {error}")))?,
    )
}

/// Steps 1–2: the incoming payment and the quote, for the person to confirm.
pub(crate) async fn quote(app: &AppHandle, form: &PayForm) -> Result<PaymentView> {
    let flows = app.state::<FlowState>().flows()?;
    let profile = active_profile(app)?;
    let client = unlocked_client(app, &profile, form.passphrase.clone()).await?;
    let from = parse_url(&form.from, "the paying wallet")?;
    let to = parse_url(&form.to, "the receiver")?;
    let amount = if form.amount.trim().is_empty() {
        None
    } else {
        // The amount is in the sender's asset when sending, the receiver's
        // when receiving: its scale decides the smallest unit.
        let wallet = match form.amount_kind {
            PayAmountKind::Send => &from,
            PayAmountKind::Receive => &to,
        };
        let scale = if form.amount_kind == PayAmountKind::Receive
            && wallet.path().contains("/incoming-payments/")
        {
            return Err(FlowError::Invalid(
                "for an incoming payment link, give the amount you send, or no amount to pay \
                 what it asks for"
                    .to_owned(),
            )
            .into());
        } else {
            client
                .wallet_address(wallet)
                .await
                .map_err(FlowError::from)?
                .asset_scale
        };
        let value = consent_desk_engine::parse_major_units(&form.amount, scale)?;
        Some(match form.amount_kind {
            PayAmountKind::Send => PayAmount::Send(value),
            PayAmountKind::Receive => PayAmount::Receive(value),
        })
    };
    let note = Some(form.note.trim().to_owned()).filter(|note| !note.is_empty());
    let record = flows
        .quote_payment(
            &client,
            &profile,
            &PayRequest {
                from,
                to,
                amount,
                note,
            },
        )
        .await?;
    Ok(announce(app, &record, "Quoted. Check it, then approve."))
}

/// Step 3: the person confirmed the quote; the grant is requested and its
/// consent page shown.
pub(crate) async fn confirm(
    app: &AppHandle,
    id: &str,
    approve_in: ApproveIn,
) -> Result<PaymentView> {
    let flows = app.state::<FlowState>().flows()?;
    let payment = flows.payment(id)?;
    let client = client_for(app, &payment.profile)?;
    let (via, listener) = finish_route(app, &payment.profile).await?;
    let (payment, grant) = flows.authorize_payment(&client, id, via).await?;
    present(app, &grant, approve_in == ApproveIn::Browser, listener)?;
    Ok(announce(
        app,
        &payment,
        "Approve the payment at your wallet.",
    ))
}

/// Pays a quoted payment with a grant approved earlier: no new consent.
pub(crate) async fn with_grant(app: &AppHandle, id: &str, grant_id: &str) -> Result<PaymentView> {
    let flows = app.state::<FlowState>().flows()?;
    let payment = flows.payment(id)?;
    let client = client_for(app, &payment.profile)?;
    let result = flows.pay_with_grant(&client, id, grant_id).await;
    let record = flows.payment(id)?;
    match result {
        // Refused before anything was asked of the wallet: the form says why.
        Err(error)
            if record.state == PaymentState::Quoted
                && !matches!(&error, FlowError::Protocol(e) if e.is_budget_spent()) =>
        {
            Err(error.into())
        }
        result => Ok(announce(app, &record, outcome(&result, &record))),
    }
}

/// A new quote after the old one expired; confirmed again by the person.
pub(crate) async fn requote(app: &AppHandle, id: &str) -> Result<PaymentView> {
    let flows = app.state::<FlowState>().flows()?;
    let payment = flows.payment(id)?;
    let client = client_for(app, &payment.profile)?;
    let record = flows.requote_payment(&client, id).await?;
    Ok(announce(app, &record, "New quote. Check it, then approve."))
}

/// Stops a payment not sent yet; one waiting for approval has its grant
/// cancelled at the wallet (closing the consent window).
pub(crate) async fn cancel(app: &AppHandle, id: &str) -> Result<PaymentView> {
    let flows = app.state::<FlowState>().flows()?;
    let payment = flows.payment(id)?;
    if let (PaymentState::Authorizing, Some(grant)) = (payment.state, payment.grant_id.as_deref()) {
        // Cancelling the grant ends the payment through `after_grant`.
        crate::flow::cancel(app, grant).await;
        let record = flows.payment(id)?;
        if record.state.is_final() {
            return Ok(view(&record));
        }
    }
    let record = flows.cancel_payment(id)?;
    Ok(announce(app, &record, "Payment stopped; no money moved."))
}

/// Payments, newest first.
pub(crate) fn list(app: &AppHandle, limit: usize, offset: usize) -> Result<Vec<PaymentView>> {
    let flows = app.state::<FlowState>().flows()?;
    Ok(flows.payments(limit, offset)?.iter().map(view).collect())
}

/// A grant's approval ended (approved, rejected or cancelled): the payment
/// waiting on it is sent, or ends. Called by every finish path.
pub(crate) async fn after_grant(app: &AppHandle, grant_id: &str) {
    let Ok(flows) = app.state::<FlowState>().flows() else {
        return;
    };
    let Ok(Some(payment)) = flows.payment_of_grant(grant_id) else {
        return;
    };
    if payment.state != PaymentState::Authorizing {
        return;
    }
    send(app, &payment.id).await;
}

/// After a start: payments interrupted while sending are sent (at most
/// once, see `consent_desk_engine::pay`), sent ones followed until they
/// settle, and approved ones waiting to be sent, sent. The others wait for
/// the person on the Pay screen.
#[tracing::instrument(name = "payments.resume", skip_all)]
pub(crate) async fn resume(app: &AppHandle) {
    let Ok(flows) = app.state::<FlowState>().flows() else {
        return;
    };
    let unfinished = match flows.unfinished_payments() {
        Ok(unfinished) => unfinished,
        Err(error) => {
            tracing::error!(%error, "unfinished payments could not be read");
            return;
        }
    };
    for payment in unfinished {
        let approved = payment
            .grant_id
            .as_deref()
            .and_then(|id| flows.get(id).ok().flatten())
            .is_some_and(|grant| grant.state != consent_desk_engine::GrantState::Pending);
        let due = match payment.state {
            PaymentState::Sending | PaymentState::Sent => true,
            PaymentState::Authorizing => approved,
            _ => false,
        };
        if due {
            tracing::info!(payment = %payment.id, state = payment.state.as_str(), "resuming a payment");
            send(app, &payment.id).await;
        }
    }
}

/// How a step of sending ended, in words: the one place for them.
fn outcome(
    result: &std::result::Result<PaymentRecord, FlowError>,
    record: &PaymentRecord,
) -> String {
    match (result, record.state) {
        (Ok(_), PaymentState::Completed) => "Paid: the receiver got the money.".to_owned(),
        (Ok(_), PaymentState::Sent) => {
            "Sent; the wallet is still delivering it. Check again later, or make another payment \
             meanwhile."
                .to_owned()
        }
        (Ok(_), PaymentState::Cancelled) => {
            "Not approved at your wallet, so nothing was paid.".to_owned()
        }
        (Ok(_), PaymentState::Failed) => record
            .problem
            .as_deref()
            .map_or_else(|| "Not paid.".to_owned(), crate::error::sentence),
        // The outgoing payment exists: whatever went wrong following it,
        // never advise a new grant (that would pay twice).
        (Err(error), PaymentState::Sent) => format!(
            "Sent; the wallet could not be asked how it is going ({}). Check again later.",
            crate::error::sentence(&error.to_string()).trim_end_matches('.')
        ),
        (Err(FlowError::Protocol(error)), PaymentState::Quoted) if error.is_budget_spent() => {
            // The flow's words: when a renewing budget renews.
            record.problem.as_deref().map_or_else(
                || "That grant's budget is spent: approve a new grant to pay.".to_owned(),
                crate::error::sentence,
            )
        }
        // Nothing says it was not made: never advise a new grant here.
        (Err(FlowError::Protocol(error)), PaymentState::Sending) => {
            let words = if error.is_budget_spent() {
                "The wallet refused to send it again.".to_owned()
            } else {
                crate::error::sentence(&error.to_string())
            };
            format!(
                "{words} The payment may have been made already: check again, and do not pay it \
                 again."
            )
        }
        (Err(FlowError::QuoteExpired), _) => {
            "The quote expired while you approved. Get a new quote; nothing was paid.".to_owned()
        }
        (Err(error), _) => crate::error::sentence(&error.to_string()),
        (Ok(_), _) => "The payment moved on.".to_owned(),
    }
}

/// Sends (or resumes sending) a payment and tells the UI how it went.
pub(crate) async fn send(app: &AppHandle, id: &str) {
    let Ok(flows) = app.state::<FlowState>().flows() else {
        return;
    };
    let Ok(payment) = flows.payment(id) else {
        return;
    };
    let approved = payment
        .grant_id
        .as_deref()
        .and_then(|id| flows.get(id).ok().flatten())
        .is_some_and(|grant| grant.state == consent_desk_engine::GrantState::Approved);
    if payment.state == PaymentState::Authorizing && approved {
        let mut sending = payment.clone();
        sending.state = PaymentState::Sending;
        announce(app, &sending, "Approved. Sending the payment…");
    }
    let client = match client_for(app, &payment.profile) {
        Ok(client) => client,
        Err(error) => {
            announce(app, &payment, crate::error::sentence(&error.to_string()));
            return;
        }
    };
    let result = flows.send_payment(&client, id).await;
    let record = flows.payment(id).unwrap_or(payment);
    let message = outcome(&result, &record);
    announce(app, &record, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(value: u64, code: &str, scale: u8) -> Amount {
        Amount {
            value,
            asset_code: code.into(),
            asset_scale: scale,
        }
    }

    fn record(state: &str, problem: Option<&str>, sent: bool) -> PaymentRecord {
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
        let words = outcome(&Err(spent()), &sent);
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
        let quoted = record("quoted", Some(renews), false);
        assert_eq!(outcome(&Err(spent()), &quoted), renews);
        let failed = record(
            "failed",
            Some("the wallet did not make the payment: Account does not have enough balance."),
            true,
        );
        assert_eq!(
            outcome(&Ok(failed.clone()), &failed),
            "The wallet did not make the payment: Account does not have enough balance."
        );
    }

    #[test]
    fn a_payment_that_may_have_been_made_never_suggests_a_new_grant() {
        // A resumed send refused as over the limit the flow could not look up.
        let sending = record("sending", None, false);
        let words = outcome(&Err(spent()), &sending);
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
            outcome(&Err(unconfirmed), &sending),
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
}
