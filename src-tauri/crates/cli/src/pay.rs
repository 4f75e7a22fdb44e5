//! `consent-desk pay`: a whole payment (quote, your confirmation, the
//! wallet's approval, the payment, until it settles), or a payment with a
//! grant approved earlier (`--grant`).
//!
//! The approval comes back through the engine's finish routine, which
//! sends the payment as the app does; [`sent`] says how that went, and
//! decides what the command line does after a quote expired during
//! consent.

use consent_desk_engine::{
    Abandoned, FlowError, PayAmount, PayRequest, PaymentRecord, PaymentState, Sent,
};
use consent_desk_identity::Folders;
use consent_desk_protocol::Client;
use serde_json::json;

use crate::context::{Context, Options};
use crate::grant::{
    abandon, await_finish, show_finish, show_pending, waits_for_link, Approval, Finish,
};
use crate::output::print;

/// `consent-desk pay`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) options: Options,
    /// The paying wallet address (yours).
    #[arg(long)]
    from: String,
    /// A wallet address, or an incoming payment URL.
    #[arg(long)]
    to: String,
    /// The amount in the asset's normal unit (12.50); what you send,
    /// fees included, unless --receive. Leave out to pay what an incoming
    /// payment asks for.
    // A negative amount is refused in words, not as an unknown option.
    #[arg(long, allow_negative_numbers = true)]
    amount: Option<String>,
    /// The amount is what the receiver gets (in their asset).
    #[arg(long)]
    receive: bool,
    /// A note for the receiver.
    #[arg(long)]
    note: Option<String>,
    /// Pay the quote without asking.
    #[arg(long)]
    yes: bool,
    /// Pay with this grant, approved earlier (see `grant list`), instead
    /// of asking the wallet for a new one.
    #[arg(long, value_name = "ID", conflicts_with_all = ["finish", "open_browser"])]
    grant: Option<String>,
    #[command(flatten)]
    approval: Approval,
}

pub(crate) fn payment_text(payment: &PaymentRecord) -> String {
    use consent_desk_protocol::describe::format_amount_of;
    let mut text = format!(
        "{}  {}  you pay {} (fees included), they get {}\n  to {}",
        payment.id,
        payment.state.as_str(),
        format_amount_of(&payment.quote.debit_amount),
        format_amount_of(&payment.quote.receive_amount),
        payment
            .receiver_wallet
            .as_ref()
            .unwrap_or(&payment.incoming_payment),
    );
    if let Some(expires) = &payment.quote.expires_at {
        if payment.state == PaymentState::Quoted {
            text.push_str(&format!("\n  quote valid until {expires}"));
        }
    }
    if let Some(problem) = &payment.problem {
        let problem = consent_desk_engine::words::payment_problem(problem);
        text.push_str(&format!("\n  problem: {problem}"));
    }
    text
}

/// Exit code for how a payment ended: 0 paid, 4 not approved or stopped,
/// 5 still settling, 1 failed.
pub(crate) fn payment_code(payment: &PaymentRecord) -> i32 {
    match payment.state {
        PaymentState::Completed => 0,
        PaymentState::Cancelled => 4,
        PaymentState::Failed => 1,
        _ => 5,
    }
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let context = &Context::open(&args.options, folders)?;
    let json_mode = args.options.store.json;
    let profile = context.profile(args.options.profile.as_deref())?;
    if let Some(grant) = &args.grant {
        // An unknown id is said before the wallet is asked for a quote.
        context.flows.grant(grant).map_err(|e| e.to_string())?;
    }
    let client = context.client(&profile.id).await?;
    let url = |text: &str, what: &str| {
        consent_desk_engine::typed_url(text, what).map_err(|e| e.to_string())
    };
    let (from, to) = (url(&args.from, "--from")?, url(&args.to, "--to")?);
    let amount = match &args.amount {
        None => None,
        Some(text) => {
            let wallet = if args.receive { &to } else { &from };
            let scale = client
                .wallet_address(wallet)
                .await
                .map_err(|e| e.to_string())?
                .asset_scale;
            let value =
                consent_desk_engine::parse_major_units(text, scale).map_err(|e| e.to_string())?;
            Some(if args.receive {
                PayAmount::Receive(value)
            } else {
                PayAmount::Send(value)
            })
        }
    };
    let quoted = context
        .flows
        .quote_payment(
            &client,
            &profile.id,
            &PayRequest {
                from,
                to,
                amount,
                note: args.note,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut event = serde_json::to_value(&quoted).unwrap_or_default();
    event["event"] = "quoted".into();
    print(json_mode, &event, &payment_text(&quoted));
    if !args.yes && !confirmed()? {
        let stopped = context
            .flows
            .cancel_payment(&quoted.id)
            .map_err(|e| e.to_string())?;
        print(json_mode, &stopped, "Not paid.");
        return Ok(4);
    }
    if let Some(grant) = &args.grant {
        return pay_with_grant(context, &client, json_mode, &quoted.id, grant).await;
    }
    let (finish, why, via, mut listener) = Finish::route(args.approval.finish, &profile).await?;
    let (payment, grant) = context
        .flows
        .authorize_payment(&client, &quoted.id, via)
        .await
        .map_err(|e| e.to_string())?;
    show_finish(json_mode, finish, why);
    show_pending(
        json_mode,
        json!({"id": payment.id, "grant": grant.id, "finish": finish.name()}),
        grant.redirect.as_ref().map_or("", |url| url.as_str()),
        "the payment",
        args.approval.open_browser,
    );
    let Some(listener) = listener.as_mut() else {
        waits_for_link(json_mode, "payment", &payment.id);
        return Ok(0);
    };
    let finished = await_finish(context, listener, args.approval.timeout, &grant.id).await?;
    let sent = match finished.payment {
        Some(sent) => sent,
        // The store no longer had it waiting (another process moved it on):
        // say where it is.
        None => Sent {
            payment: context
                .flows
                .payment(&payment.id)
                .map_err(|e| e.to_string())?,
            error: None,
        },
    };
    let sent = self::sent(context, sent, &grant.id).await?;
    print(json_mode, &sent, &payment_text(&sent));
    Ok(payment_code(&sent))
}

/// `pay --grant`: pays quoted payment `id` with a grant approved earlier;
/// a grant that cannot pay it is refused in words and nothing is paid.
async fn pay_with_grant(
    context: &Context,
    client: &Client,
    json_mode: bool,
    id: &str,
    grant: &str,
) -> Result<i32, String> {
    // The quote is stopped whatever the refusal, so no quoted payment is
    // left waiting for a grant nobody will give.
    // Only while it is still quoted: another process may have sent it (the
    // store's "moved on elsewhere"), and then something may have been paid.
    let refuse = |why: String| match context.flows.stop_if_quoted(id) {
        Ok(None) => Err(format!(
            "the grant {grant} cannot pay this: {why}; nothing was paid"
        )),
        Ok(Some(state)) => Err(format!(
            "{why} (the payment is {} now: `consent-desk payments show {id}`)",
            state.as_str()
        )),
        Err(error) => Err(format!(
            "{why}; the payment could not be looked at again ({error}): `consent-desk payments \
             show {id}`"
        )),
    };
    let sent = match context.flows.pay_with_grant(client, id, grant).await {
        Ok(sent) => sent,
        Err(FlowError::Invalid(why)) => return refuse(why),
        Err(
            error @ (FlowError::QuoteExpired
            | FlowError::PaymentNotNow { .. }
            | FlowError::MovedElsewhere { .. }),
        ) => return refuse(error.to_string()),
        Err(error) => {
            let record = context.flows.payment(id).map_err(|e| e.to_string())?;
            if record.state == PaymentState::Sending {
                return Err(format!(
                    "{}; the payment may still go through: `consent-desk payments resume {id}` \
                     finishes it without paying twice",
                    error.to_string().trim_end_matches('.')
                ));
            }
            return Err(error.to_string());
        }
    };
    // The wallet refused the grant's budget: the payment went back to
    // quoted, with the reason.
    if sent.state == PaymentState::Quoted {
        let why = sent.problem.as_ref().map_or_else(
            || "the wallet refused it".to_owned(),
            consent_desk_engine::words::payment_problem,
        );
        return refuse(why);
    }
    print(json_mode, &sent, &payment_text(&sent));
    Ok(payment_code(&sent))
}

/// Asks "Pay? [y/N]" on the terminal.
fn confirmed() -> Result<bool, String> {
    use std::io::Write as _;
    eprint!("Pay this? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("no answer could be read ({e}); use --yes to pay without asking"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The payment the engine sent once its grant `grant` was approved, or why
/// not. An expired quote stops the payment and cancels the grant at the
/// wallet (the command line's choice: the app offers a new quote instead);
/// a failed send that may still go through says how to finish it.
async fn sent(context: &Context, sent: Sent, grant: &str) -> Result<PaymentRecord, String> {
    let payment = sent.payment.id.as_str();
    match sent.error {
        None => Ok(sent.payment),
        Some(FlowError::QuoteExpired) => {
            // The grant was for this quote only: stop the payment and cancel
            // the grant at the wallet rather than leave it open there.
            let stopped = context.flows.cancel_payment(payment);
            let cancelled = abandon(context, grant, Abandoned::QuoteExpired).await;
            Err(match (stopped, cancelled) {
                (Ok(_), Ok(())) => "the quote expired while you approved; nothing was paid, and \
                     the grant was cancelled at your wallet. Pay again"
                    .to_owned(),
                (_, Err(error)) => format!(
                    "the quote expired while you approved; nothing was paid, but the grant {} \
                     could not be cancelled at your wallet ({error}): `consent-desk grant cancel \
                     {}`, then pay again",
                    grant, grant
                ),
                (Err(error), Ok(())) => format!(
                    "the quote expired while you approved; nothing was paid and the grant was \
                     cancelled at your wallet, but the payment could not be stopped ({error}): \
                     `consent-desk payments cancel {}`",
                    payment
                ),
            })
        }
        Some(error) => {
            if sent.payment.state == PaymentState::Sending {
                // The flow's words may be sentences (a resumed send): no ".;".
                return Err(format!(
                    "{}; the payment may still go through: `consent-desk payments resume {}` \
                     finishes it without paying twice",
                    error.to_string().trim_end_matches('.'),
                    payment
                ));
            }
            Err(error.to_string())
        }
    }
}
