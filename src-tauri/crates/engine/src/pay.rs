//! Sending a payment, the whole Open Payments flow: an incoming payment at
//! the receiver (non-interactive grant), a quote at the sender
//! (non-interactive grant), the person's confirmation of the quote, an
//! interactive grant limited to the quote's debit amount and receiver, then
//! the outgoing payment, followed until it settles.
//!
//! Every step is stored before and after it runs. A crash while the outgoing
//! payment is being created leaves the payment in [`PaymentState::Sending`];
//! resuming creates it again, which cannot pay twice: a wallet pays a quote
//! once, and a payment already made for the quote is found and kept.

use consent_desk_protocol::{
    AccessItem, AccessToken, Amount, Client, CreateIncomingPayment, CreateOutgoingPayment,
    CreateQuote, GrantRequest, GrantResponse, IncomingPayment, IncomingPaymentAction, LimitAmount,
    OutgoingLimits, OutgoingPayment, OutgoingPaymentAction, PageQuery, Quote, QuoteAction,
    QuoteAmount,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::outcome::{PaymentProblem, Renewal};
use crate::refusal::{Busy, Missing, PaymentStep, WalletFault};
use crate::store::{timestamp, GrantState};
use crate::{FinishVia, FlowError, Flows, GrantRecord, GrantSpec};

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "PaymentStateView")]
pub enum PaymentState {
    /// Quoted: waiting for the person to confirm the quote.
    Quoted,
    /// Waiting for the person to approve the grant at the wallet.
    Authorizing,
    /// Creating the outgoing payment. A crash here is resumed safely.
    Sending,
    /// Created at the wallet, not settled yet.
    Sent,
    /// Settled: the receiver got the money.
    Completed,
    /// Failed; the record says why.
    Failed,
    /// Stopped by the person before any money moved.
    Cancelled,
}

impl PaymentState {
    /// The stored name (`quoted`, `sending`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quoted => "quoted",
            Self::Authorizing => "authorizing",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// No further step will change it.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// The amount a person gives, in the smallest unit of its asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum PayAmount {
    /// What leaves the sender's wallet, fees included (sender's asset).
    Send(u64),
    /// What the receiver gets (receiver's asset).
    Receive(u64),
}

/// What to pay.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// The sending wallet address (the person's own).
    pub from: Url,
    /// A wallet address, or an incoming payment URL a merchant gave.
    pub to: Url,
    /// The amount; `None` pays what an incoming payment asks for.
    pub amount: Option<PayAmount>,
    /// A note for the receiver.
    pub note: Option<String>,
}

/// A payment as stored. No secrets: tokens stay in the keyring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRecord {
    /// Local id.
    pub id: String,
    /// The profile that signs for it.
    pub profile: String,
    /// The sending wallet address.
    pub sender: Url,
    /// The sender's resource server.
    pub resource_server: Url,
    /// The receiving wallet address, when the person gave one.
    pub receiver_wallet: Option<Url>,
    /// Its public name, when its wallet gives one ("Bob's Bakery"):
    /// screens name who is paid, not only where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    /// The incoming payment it pays.
    pub incoming_payment: Url,
    /// What the person asked for.
    pub amount: Option<PayAmount>,
    /// The note for the receiver.
    pub note: Option<String>,
    /// The quote in force.
    pub quote: Quote,
    /// The grant that allows it, once requested.
    pub grant_id: Option<String>,
    /// The outgoing payment, once created.
    pub outgoing_payment: Option<OutgoingPayment>,
    /// Where it is.
    pub state: PaymentState,
    /// Why it failed, stopped or went back to its quote.
    pub problem: Option<PaymentProblem>,
    /// When it was quoted (RFC 3339 in the record).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
}

impl PaymentRecord {
    /// Whether the quote's `expiresAt` has passed.
    #[must_use]
    pub fn quote_expired(&self) -> bool {
        let Some(at) = self.quote.expires_at.as_deref() else {
            return false;
        };
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .is_ok_and(|at| at <= time::OffsetDateTime::now_utc())
    }
}

/// How long a run may hold a payment's `sending` lease: longer than a
/// create and the look for a lost one take (the client's timeout is 30 s),
/// short enough that a crashed run's payment is taken up soon after.
pub(crate) const SEND_LEASE: std::time::Duration = std::time::Duration::from_secs(120);

/// Now plus `lease`, in Unix milliseconds (the store's lease times).
pub(crate) fn lease_until(lease: std::time::Duration) -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(now)
        .unwrap_or(i64::MAX)
        .saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

/// An incoming payment URL rather than a wallet address: its path ends in
/// `incoming-payments/<id>`.
fn is_incoming_payment(url: &Url) -> bool {
    let mut segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    segments.retain(|segment| !segment.is_empty());
    segments.len() >= 2 && segments[segments.len() - 2] == "incoming-payments"
}

fn note_metadata(note: Option<&String>) -> Option<consent_desk_protocol::Metadata> {
    note.filter(|note| !note.trim().is_empty()).map(|note| {
        let mut metadata = consent_desk_protocol::Metadata::new();
        metadata.insert("description".into(), note.trim().into());
        metadata
    })
}

/// A non-interactive grant's token (incoming payments and quotes need no
/// consent); used for the step at hand and not kept.
async fn token_now(
    client: &Client,
    auth_server: &Url,
    access: Vec<AccessItem>,
) -> Result<AccessToken, FlowError> {
    let request = GrantRequest::non_interactive(client.client_wallet().clone(), access);
    match client.request_grant(auth_server, &request).await? {
        GrantResponse::Approved(grant) => Ok(grant.access_token.value),
        GrantResponse::Pending(_) | GrantResponse::Subject(_) => {
            Err(FlowError::Wallet(WalletFault::ConsentNotNeeded))
        }
    }
}

/// What a grant allows for outgoing payments: its actions and limits, as the
/// wallet granted them (or, before approval, as asked for).
pub(crate) fn outgoing_access(
    grant: &GrantRecord,
) -> Option<(Vec<OutgoingPaymentAction>, Option<OutgoingLimits>)> {
    let items = match &grant.access {
        Some(granted) => granted,
        None => &grant.request.access()?.access_token.access,
    };
    items.iter().find_map(|item| match item {
        AccessItem::OutgoingPayment {
            actions, limits, ..
        } => Some((actions.clone(), limits.clone())),
        _ => None,
    })
}

/// The wallet could not resolve the receiver (Rafiki's 400 "invalid
/// receiver"): the incoming payment expired, was deleted or never existed.
fn invalid_receiver(error: &consent_desk_protocol::Error) -> bool {
    error.status() == Some(400) && error.to_string().contains("invalid receiver")
}

/// Whether a grant can follow the payments it made (`read` or `read-all`).
pub(crate) fn can_read(actions: &[OutgoingPaymentAction]) -> bool {
    actions.contains(&OutgoingPaymentAction::Read)
        || actions.contains(&OutgoingPaymentAction::ReadAll)
}

/// Whether a sent payment is settled, from what the wallets expose: the
/// outgoing payment (`failed`, `sentAmount`) and, when Consent Desk created
/// it and can read it, the receiver's incoming payment.
///
/// `sentAmount` reaching `debitAmount` settles only a payment without fees:
/// a wallet's fee is in `debitAmount` and never sent. So a payment is also
/// settled when what was sent covers what the receiver is to get (same
/// asset), or when the receiver's incoming payment got it (any asset).
fn settlement(
    outgoing: &OutgoingPayment,
    incoming: Option<&IncomingPayment>,
    quote: &Quote,
) -> PaymentState {
    let same_asset =
        |a: &Amount, b: &Amount| a.asset_code == b.asset_code && a.asset_scale == b.asset_scale;
    if outgoing.failed {
        return PaymentState::Failed;
    }
    let sent = &outgoing.sent_amount;
    let all_sent = sent.value >= outgoing.debit_amount.value;
    let delivered_sent =
        same_asset(sent, &outgoing.receive_amount) && sent.value >= outgoing.receive_amount.value;
    let received = incoming.is_some_and(|incoming| {
        incoming.completed
            || (same_asset(&incoming.received_amount, &quote.receive_amount)
                && incoming.received_amount.value >= quote.receive_amount.value)
    });
    if all_sent || delivered_sent || received {
        PaymentState::Completed
    } else {
        PaymentState::Sent
    }
}

/// Why a wallet cancelled a payment, as it wrote it in the payment's
/// metadata (Rafiki: `cancellationReason`).
fn wallet_reason(outgoing: &OutgoingPayment) -> Option<String> {
    let metadata = outgoing.metadata.as_ref()?;
    ["cancellationReason", "failureReason", "reason"]
        .iter()
        .find_map(|key| metadata.get(*key)?.as_str())
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(|reason| reason.chars().take(300).collect())
}

/// What a payment used of a budget, counted in the budget's amount (see
/// [`used_by`]).
type UsedBy = fn(&PaymentRecord) -> Option<u64>;

/// What `payment` used (or holds) of its grant's budget, by `pick` of its
/// (debit, receive) amounts: what the wallet made for one sent, the quote
/// for one that may have been made (`sending`: its answer was lost) or is
/// about to be (`authorizing` with this grant); nothing for the others.
/// Counting those in flight keeps a one-time budget from being offered
/// again for what it may already have paid.
fn used_by(payment: &PaymentRecord, pick: fn((&Amount, &Amount)) -> u64) -> Option<u64> {
    match payment.state {
        PaymentState::Sent | PaymentState::Completed => payment
            .outgoing_payment
            .as_ref()
            .map(|made| pick((&made.debit_amount, &made.receive_amount))),
        PaymentState::Sending | PaymentState::Authorizing => Some(pick((
            &payment.quote.debit_amount,
            &payment.quote.receive_amount,
        ))),
        _ => None,
    }
}

/// A spent budget: when a recurring one renews (a one-time one needs a
/// new approval).
fn spent(limits: Option<&OutgoingLimits>) -> PaymentProblem {
    let now = time::OffsetDateTime::now_utc();
    let renews = limits
        .and_then(|limits| limits.interval.as_ref())
        .and_then(|interval| interval.current(now))
        .map(|bounds| Renewal {
            at: bounds.end,
            daily: bounds.end - bounds.start == time::Duration::days(1),
        });
    PaymentProblem::BudgetSpent { renews }
}

/// Why a resumed send cannot tell whether its payment was made: the wallet
/// refused the create again, and the payments made could not be listed.
fn unconfirmed(grant: &GrantRecord, lookup: &consent_desk_protocol::Error) -> PaymentProblem {
    let lists = outgoing_access(grant).is_some_and(|(actions, _)| {
        actions.contains(&OutgoingPaymentAction::List)
            || actions.contains(&OutgoingPaymentAction::ListAll)
    });
    PaymentProblem::Unconfirmed {
        lookup: lists.then(|| lookup.to_string()),
    }
}

impl Flows {
    /// Steps 1–2: an incoming payment at the receiver (unless `to` is one)
    /// and a quote at the sender. The payment waits for the person to
    /// confirm the quote ([`PaymentState::Quoted`]).
    ///
    /// # Errors
    ///
    /// A wallet refused or could not be reached, or a value is wrong.
    #[tracing::instrument(name = "pay.quote", skip_all)]
    pub async fn quote_payment(
        &self,
        client: &Client,
        profile: &str,
        request: &PayRequest,
    ) -> Result<PaymentRecord, FlowError> {
        let sender = client.wallet_address(&request.from).await?;
        let (incoming, receiver_wallet, receiver_name) = if is_incoming_payment(&request.to) {
            if matches!(request.amount, Some(PayAmount::Receive(_))) {
                return Err(receive_amount_for_incoming_payment());
            }
            (request.to.clone(), None, None)
        } else {
            let receiver = client.wallet_address(&request.to).await?;
            let token = token_now(
                client,
                &receiver.auth_server,
                vec![AccessItem::IncomingPayment {
                    actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
                    identifier: Some(receiver.id.clone()),
                }],
            )
            .await?;
            let incoming_amount = match request.amount {
                Some(PayAmount::Receive(value)) => Some(Amount {
                    value,
                    asset_code: receiver.asset_code.clone(),
                    asset_scale: receiver.asset_scale,
                }),
                _ => None,
            };
            let incoming = client
                .create_incoming_payment(
                    &receiver.resource_server,
                    &token,
                    &CreateIncomingPayment {
                        wallet_address: receiver.id.clone(),
                        incoming_amount,
                        expires_at: None,
                        metadata: note_metadata(request.note.as_ref()),
                    },
                )
                .await?;
            (incoming.id, Some(receiver.id), receiver.public_name)
        };
        if request.amount.is_none() && receiver_wallet.is_some() {
            return Err(FlowError::Amount(
                "say how much to send or how much they should receive".to_owned(),
            ));
        }
        let quote = match self
            .new_quote(client, &sender, &incoming, request.amount)
            .await
        {
            Err(FlowError::Protocol(error)) if invalid_receiver(&error) => {
                let ours = receiver_wallet.is_some();
                return Err(
                    match Self::receiver_problem(client, &incoming, ours).await {
                        Some(problem) => {
                            FlowError::Invalid(crate::words::payment_problem(&problem))
                        }
                        None => error.into(),
                    },
                );
            }
            quote => quote?,
        };
        let now = timestamp();
        let record = PaymentRecord {
            id: uuid::Uuid::new_v4().to_string(),
            profile: profile.to_owned(),
            sender: sender.id.clone(),
            resource_server: sender.resource_server.clone(),
            receiver_wallet,
            receiver_name,
            incoming_payment: incoming,
            amount: request.amount,
            note: request.note.clone(),
            quote,
            grant_id: None,
            outgoing_payment: None,
            state: PaymentState::Quoted,
            problem: None,
            created_at: now,
            updated_at: now,
        };
        self.store().insert_payment(&record)?;
        tracing::info!(payment = %record.id, "payment quoted");
        Ok(record)
    }

    async fn new_quote(
        &self,
        client: &Client,
        sender: &consent_desk_protocol::WalletAddress,
        incoming: &Url,
        amount: Option<PayAmount>,
    ) -> Result<Quote, FlowError> {
        let token = token_now(
            client,
            &sender.auth_server,
            vec![AccessItem::Quote {
                actions: vec![QuoteAction::Create, QuoteAction::Read],
            }],
        )
        .await?;
        let amount = match amount {
            Some(PayAmount::Send(value)) => Some(QuoteAmount::DebitAmount(Amount {
                value,
                asset_code: sender.asset_code.clone(),
                asset_scale: sender.asset_scale,
            })),
            // The incoming payment carries the amount to receive.
            Some(PayAmount::Receive(_)) | None => None,
        };
        Ok(client
            .create_quote(
                &sender.resource_server,
                &token,
                &CreateQuote {
                    wallet_address: sender.id.clone(),
                    receiver: incoming.clone(),
                    method: "ilp".into(),
                    amount,
                },
            )
            .await?)
    }

    /// A new quote for a payment whose quote expired before it was sent;
    /// the person confirms it again before [`send_payment`](Self::send_payment).
    ///
    /// # Errors
    ///
    /// The payment cannot be re-quoted in its state, or the wallet refused.
    #[tracing::instrument(name = "pay.requote", skip_all, fields(payment = %id))]
    pub async fn requote_payment(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<PaymentRecord, FlowError> {
        let mut payment = self.payment(id)?;
        if !matches!(
            payment.state,
            PaymentState::Quoted | PaymentState::Authorizing
        ) {
            return Err(FlowError::PaymentNotNow {
                state: payment.state,
                step: PaymentStep::Requote,
            });
        }
        let sender = client.wallet_address(&payment.sender).await?;
        let incoming = payment.incoming_payment.clone();
        let from = payment.state;
        let granted = payment.quote.debit_amount.value;
        payment.quote = self
            .new_quote(client, &sender, &incoming, payment.amount)
            .await?;
        // A new quote is confirmed again before anything is paid; a grant
        // approved for the old one can pay it if it costs no more (the person
        // picks it), else a new grant is asked for.
        if from == PaymentState::Authorizing {
            payment.state = PaymentState::Quoted;
            payment.grant_id = None;
            payment.problem = Some(if payment.quote.debit_amount.value > granted {
                PaymentProblem::NewQuoteCostsMore
            } else {
                PaymentProblem::NewQuote
            });
        }
        payment.updated_at = timestamp();
        self.save_payment(&payment, from)?;
        Ok(payment)
    }

    /// Step 3: the interactive grant, limited to the quote's debit amount
    /// and its receiver, after the person confirmed the quote.
    ///
    /// # Errors
    ///
    /// The quote expired ([`FlowError::QuoteExpired`]: re-quote), the
    /// payment is past this step, or the wallet refused.
    #[tracing::instrument(name = "pay.authorize", skip_all, fields(payment = %id))]
    pub async fn authorize_payment(
        &self,
        client: &Client,
        id: &str,
        via: FinishVia,
    ) -> Result<(PaymentRecord, GrantRecord), FlowError> {
        let mut payment = self.payment(id)?;
        if payment.state != PaymentState::Quoted {
            return Err(FlowError::PaymentNotNow {
                state: payment.state,
                step: PaymentStep::Approve,
            });
        }
        if payment.quote_expired() {
            return Err(FlowError::QuoteExpired);
        }
        let spec = GrantSpec {
            wallet: payment.sender.clone(),
            debit: Some(payment.quote.debit_amount.value),
            receive: None,
            receiver: Some(payment.quote.receiver.clone()),
            interval: None,
            // `list` lets a lost answer be found instead of paying again.
            actions: Some(vec![
                OutgoingPaymentAction::Create,
                OutgoingPaymentAction::Read,
                OutgoingPaymentAction::List,
            ]),
        };
        let grant = self.request(client, &payment.profile, &spec, via).await?;
        payment.grant_id = Some(grant.id.clone());
        payment.state = PaymentState::Authorizing;
        payment.updated_at = timestamp();
        self.save_payment(&payment, PaymentState::Quoted)?;
        Ok((payment, grant))
    }

    /// Step 3 without a new consent: pays a quoted payment with a grant the
    /// person approved earlier (a budget that renews, say), then sends it.
    /// When that grant's budget is spent, the payment goes back to
    /// [`PaymentState::Quoted`] with the reason, for a new grant.
    ///
    /// # Errors
    ///
    /// The grant is not approved or belongs to another wallet, the quote
    /// expired, or sending failed.
    #[tracing::instrument(name = "pay.with_grant", skip_all, fields(payment = %id, grant = %grant_id))]
    pub async fn pay_with_grant(
        &self,
        client: &Client,
        id: &str,
        grant_id: &str,
    ) -> Result<PaymentRecord, FlowError> {
        let mut payment = self.payment(id)?;
        if payment.state != PaymentState::Quoted {
            return Err(FlowError::PaymentNotNow {
                state: payment.state,
                step: PaymentStep::PayWithGrant,
            });
        }
        let grant = self.grant(grant_id)?;
        self.can_pay(&grant, &payment).map_err(FlowError::Invalid)?;
        if payment.quote_expired() {
            return Err(FlowError::QuoteExpired);
        }
        payment.grant_id = Some(grant.id);
        payment.state = PaymentState::Authorizing;
        payment.problem = None;
        payment.updated_at = timestamp();
        self.save_payment(&payment, PaymentState::Quoted)?;
        self.send_payment(client, id).await
    }

    /// Whether `grant` can pay `payment` without a new consent; the reason,
    /// in words, when not. Checks what the wallet granted: `create` and
    /// `read`, the receiver, the amount's asset, and for a one-time grant
    /// what its earlier payments left.
    fn can_pay(&self, grant: &GrantRecord, payment: &PaymentRecord) -> Result<(), String> {
        if grant.state != GrantState::Approved {
            return Err(format!(
                "that grant is {}; only an approved one can pay",
                grant.state.as_str()
            ));
        }
        if grant.profile != payment.profile {
            return Err(
                "that grant was asked for by another profile; use one of this profile's grants"
                    .to_owned(),
            );
        }
        if grant.wallet != payment.sender {
            return Err(format!(
                "that grant is for {}, not for {}",
                grant.wallet, payment.sender
            ));
        }
        let Some((actions, limits)) = outgoing_access(grant) else {
            return Err("that grant does not allow payments".to_owned());
        };
        if !actions.contains(&OutgoingPaymentAction::Create) || !can_read(&actions) {
            return Err(
                "that grant does not allow both sending payments and following them (create \
                 and read); approve a new grant to pay"
                    .to_owned(),
            );
        }
        let Some(limits) = limits else {
            return Ok(());
        };
        if limits
            .receiver
            .as_ref()
            .is_some_and(|receiver| receiver != &payment.quote.receiver)
        {
            return Err("that grant pays another receiver only".to_owned());
        }
        let (limit, this, counted): (&Amount, &Amount, UsedBy) = match &limits.amount {
            None => return Ok(()),
            Some(LimitAmount::Debit(limit)) => (limit, &payment.quote.debit_amount, |p| {
                used_by(p, |amounts| amounts.0.value)
            }),
            Some(LimitAmount::Receive(limit)) => (limit, &payment.quote.receive_amount, |p| {
                used_by(p, |amounts| amounts.1.value)
            }),
        };
        if limit.asset_code != this.asset_code || limit.asset_scale != this.asset_scale {
            return Err(format!(
                "that grant's budget is in {}, this payment in {}",
                limit.asset_code, this.asset_code
            ));
        }
        // A recurring budget's use per period is the wallet's to count; a
        // one-time budget is used by every payment it made.
        let used: u64 = if limits.interval.is_some() {
            0
        } else {
            // The amounts are the wallet's: a sum past u64 is its error,
            // never a panic or a wrapped (smaller) total.
            self.payments_with_grant(&grant.id)
                .map_err(|error| error.to_string())?
                .iter()
                .filter(|p| p.id != payment.id)
                .filter_map(counted)
                .try_fold(0u64, u64::checked_add)
                .ok_or_else(|| {
                    "the wallet gave amounts for that grant's earlier payments too large to add \
                     up, so what is left of its budget cannot be told; approve a new grant to pay"
                        .to_owned()
                })?
        };
        if used.saturating_add(this.value) > limit.value {
            return Err(if used >= limit.value {
                "that grant's budget is spent; approve a new grant to pay".to_owned()
            } else {
                "that grant's budget left does not cover this payment; approve a new grant to pay"
                    .to_owned()
            });
        }
        Ok(())
    }

    /// Approved grants of the payment's profile and wallet that can pay it
    /// as quoted (see `pay_with_grant`), newest first.
    ///
    /// # Errors
    ///
    /// Unknown payment, or the store failed.
    pub fn grants_for_payment(&self, id: &str) -> Result<Vec<GrantRecord>, FlowError> {
        let payment = self.payment(id)?;
        let mut usable = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.grants_page(200, offset)?;
            let done = page.len() < 200;
            offset += page.len();
            usable.extend(
                page.into_iter()
                    .filter(|grant| grant.state == GrantState::Approved)
                    .filter(|grant| self.can_pay(grant, &payment).is_ok()),
            );
            if done {
                return Ok(usable);
            }
        }
    }

    /// Step 4: the outgoing payment, once its grant is approved; then follows
    /// it until it settles. Also resumes a payment interrupted while sending.
    ///
    /// # Errors
    ///
    /// The grant is not approved, the quote expired
    /// ([`FlowError::QuoteExpired`]), or the wallet refused (the payment is
    /// then failed, with the reason). A network failure leaves the payment
    /// `sending`, to be resumed.
    #[tracing::instrument(name = "pay.send", skip_all, fields(payment = %id))]
    pub async fn send_payment(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<PaymentRecord, FlowError> {
        let mut payment = self.payment(id)?;
        // Resuming an interrupted send: the wallet may have made it already.
        let resumed = payment.state == PaymentState::Sending;
        match payment.state {
            PaymentState::Authorizing => {
                let mut grant = self.grant_of(&payment)?;
                if grant.state == GrantState::Finishing {
                    // Its approval was being completed when a run stopped:
                    // taken up again (or ended, as the wallet says) first.
                    self.take_up_finishing(client, &grant.id).await?;
                    grant = self.grant_of(&payment)?;
                }
                match grant.state {
                    GrantState::Approved => {}
                    GrantState::Failed | GrantState::Cancelled => {
                        return self.end_payment(
                            payment,
                            PaymentState::Cancelled,
                            grant
                                .outcome
                                .map_or(PaymentProblem::NotApproved, |outcome| {
                                    PaymentProblem::Grant { outcome }
                                }),
                        );
                    }
                    GrantState::Finishing => {
                        return Err(FlowError::Busy(Busy::CompletingPaymentApproval))
                    }
                    _ => {
                        return Err(FlowError::Invalid(
                            "the payment waits for your approval at the wallet".to_owned(),
                        ))
                    }
                }
                if payment.quote_expired() {
                    return Err(FlowError::QuoteExpired);
                }
                payment.state = PaymentState::Sending;
                payment.updated_at = timestamp();
                // The move to `sending` and the lease in one transaction: a
                // second run sees both, or neither.
                if !self.store().start_sending(
                    &payment,
                    PaymentState::Authorizing,
                    &self.owner,
                    lease_until(SEND_LEASE),
                )? {
                    return Err(self.moved_elsewhere(id));
                }
            }
            PaymentState::Sending => self.lease_sending(id)?,
            PaymentState::Sent => return self.settle_payment(client, id).await,
            state => {
                return Err(FlowError::PaymentNotNow {
                    state,
                    step: PaymentStep::Send,
                })
            }
        }
        let result = self.send_leased(client, payment, resumed).await;
        // Done with it: another run may look at it at once (a payment
        // created or ended has left `sending`, and with it the lease).
        if let Err(error) = self
            .store()
            .release(crate::store::Leased::Payment, id, &self.owner)
        {
            tracing::warn!(%error, "the payment's lease could not be given back; it runs out");
        }
        result
    }

    /// Takes the lease of a payment left `sending` (resumed): refused while
    /// another run holds it, taken over once the holder's ran out.
    fn lease_sending(&self, id: &str) -> Result<(), FlowError> {
        let now = lease_until(std::time::Duration::ZERO);
        let until = lease_until(SEND_LEASE);
        if self.store().lease_sending(id, &self.owner, now, until)? {
            return Ok(());
        }
        // Held by a run that was killed: taken over at once, from it only.
        let holder = self
            .store()
            .lease_owner(crate::store::Leased::Payment, id)?;
        if let Some(holder) = holder.filter(|holder| crate::recover::owner_gone(holder)) {
            if self
                .store()
                .lease_sending_from(id, &self.owner, now, until, Some(&holder))?
            {
                tracing::info!(payment = %id, "took over the lease of a run that ended");
                return Ok(());
            }
        }
        Err(FlowError::Busy(Busy::SendingElsewhere))
    }

    /// The rest of [`send_payment`](Self::send_payment), with the payment
    /// `sending` and its lease held.
    async fn send_leased(
        &self,
        client: &Client,
        mut payment: PaymentRecord,
        resumed: bool,
    ) -> Result<PaymentRecord, FlowError> {
        let id = payment.id.clone();
        let id = id.as_str();
        let grant = self.grant_of(&payment)?;
        let resource_server = payment.resource_server.clone();
        let wallet = payment.sender.clone();
        let body = CreateOutgoingPayment::FromQuote {
            wallet_address: wallet.clone(),
            quote_id: payment.quote.id.clone(),
            metadata: note_metadata(payment.note.as_ref()),
        };
        let mut token = self.usable_token(client, &grant.id).await?;
        let mut created = client
            .create_outgoing_payment(&resource_server, &token, &body)
            .await;
        if matches!(&created, Err(error) if error.needs_token_rotation()) {
            token = self.rotate(client, &grant.id).await?;
            // The rotation may have taken a while: still ours to send?
            self.lease_sending(id)?;
            created = client
                .create_outgoing_payment(&resource_server, &token, &body)
                .await;
        }
        let outgoing = match created {
            Ok(outgoing) => outgoing,
            Err(error) => {
                // Made before a crash or a lost answer? The quote was paid.
                let found = self
                    .find_paid(client, &resource_server, &wallet, &token, &payment.quote)
                    .await;
                let ambiguous = error.is_timeout()
                    || matches!(
                        error,
                        consent_desk_protocol::Error::Network { .. }
                            | consent_desk_protocol::Error::InvalidResponse { .. }
                    )
                    || error.status().is_some_and(|status| status >= 500);
                if let Ok(Some(found)) = found {
                    found
                } else if let (true, true, Err(lookup)) = (resumed, error.is_budget_spent(), &found)
                {
                    // A resumed send: the first create's answer was lost, and
                    // the wallet now refuses the same create as over the
                    // grant's limit: that create most likely used the budget.
                    // Never back to the quote (a new grant would pay twice).
                    let problem = unconfirmed(&grant, lookup);
                    let words = crate::words::payment_problem(&problem);
                    payment.problem = Some(problem);
                    payment.updated_at = timestamp();
                    self.save_payment(&payment, PaymentState::Sending)?;
                    return Err(FlowError::Unconfirmed(words));
                } else if found.is_err() && (resumed || ambiguous) {
                    // Cannot tell whether the wallet made it: stays `sending`.
                    return Err(error.into());
                } else if error.is_budget_spent() {
                    // Nothing was paid: back to the quote, for a new grant.
                    // (A 403 on create with a token the wallet did not call
                    // inactive is the grant's limit, never the token's.)
                    payment.state = PaymentState::Quoted;
                    payment.grant_id = None;
                    payment.problem = Some(spent(
                        outgoing_access(&grant)
                            .and_then(|(_, limits)| limits)
                            .as_ref(),
                    ));
                    payment.updated_at = timestamp();
                    self.save_payment(&payment, PaymentState::Sending)?;
                    return Err(error.into());
                } else if ambiguous {
                    // Unknown whether the wallet made it: stays `sending`,
                    // to be resumed (the quote keeps it from being paid twice).
                    return Err(error.into());
                } else {
                    let link = payment.incoming_payment.clone();
                    let message = || PaymentProblem::Message {
                        text: error.to_string(),
                    };
                    let problem = if invalid_receiver(&error) {
                        Self::receiver_problem(client, &link, payment.receiver_wallet.is_some())
                            .await
                            .unwrap_or_else(message)
                    } else {
                        message()
                    };
                    self.end_payment(payment, PaymentState::Failed, problem)?;
                    return Err(error.into());
                }
            }
        };
        tracing::info!(payment = %id, "outgoing payment created");
        payment.outgoing_payment = Some(outgoing);
        payment.problem = None;
        payment.state = PaymentState::Sent;
        payment.updated_at = timestamp();
        self.save_payment(&payment, PaymentState::Sending)?;
        self.settle_payment(client, id).await
    }

    /// Follows a sent payment until it settles or fails (a bounded number of
    /// looks; call again later for one that is slow). Says "completed" the
    /// moment the wallets show it (see `settlement`): the outgoing payment
    /// when the grant can read it, and the receiver's incoming payment that
    /// Consent Desk created (readable through its own non-interactive grant,
    /// whatever the payment's grant allows).
    ///
    /// # Errors
    ///
    /// The wallet could not be asked.
    pub async fn settle_payment(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<PaymentRecord, FlowError> {
        let mut payment = self.payment(id)?;
        let Some(outgoing) = payment.outgoing_payment.clone() else {
            return Ok(payment);
        };
        let grant = self.grant_of(&payment)?;
        // Without `read` the wallet answers 403: not worth asking.
        let mut readable = grant.state == GrantState::Approved
            && outgoing_access(&grant).is_some_and(|(actions, _)| can_read(&actions));
        let mut receiver = None;
        let mut current = outgoing;
        let mut state = settlement(&current, None, &payment.quote);
        for attempt in 0..20u32 {
            if state != PaymentState::Sent {
                break;
            }
            let incoming = self.receiver_side(client, &payment, &mut receiver).await;
            state = settlement(&current, incoming.as_ref(), &payment.quote);
            if state != PaymentState::Sent || (!readable && receiver.is_none()) {
                // Settled, or nothing the access granted can follow it.
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(
                250 * u64::from(attempt.min(8) + 1),
            ))
            .await;
            if readable {
                let token = self.usable_token(client, &grant.id).await?;
                match client.get_outgoing_payment(&current.id, &token).await {
                    Ok(read) => current = read,
                    // Not granted `read`: follow it at the receiver only.
                    Err(error) if error.is_insufficient_grant() => readable = false,
                    Err(error) => return Err(error.into()),
                }
            }
            state = settlement(&current, incoming.as_ref(), &payment.quote);
        }
        if state == PaymentState::Failed {
            payment.problem = Some(
                wallet_reason(&current).map_or(PaymentProblem::Undelivered, |reason| {
                    PaymentProblem::WalletRefused { reason }
                }),
            );
        }
        payment.outgoing_payment = Some(current);
        payment.state = state;
        payment.updated_at = timestamp();
        self.save_payment(&payment, PaymentState::Sent)?;
        Ok(payment)
    }

    /// The receiver's incoming payment, when Consent Desk created it (a
    /// payment to a wallet address): read with a non-interactive grant for
    /// it, asked for once per follow (`token` keeps it). `None` when there
    /// is none or it cannot be read now.
    async fn receiver_side(
        &self,
        client: &Client,
        payment: &PaymentRecord,
        token: &mut Option<AccessToken>,
    ) -> Option<IncomingPayment> {
        let wallet = payment.receiver_wallet.clone()?;
        let incoming = &payment.incoming_payment;
        if token.is_none() {
            let receiver = client.wallet_address(&wallet).await.ok()?;
            *token = token_now(
                client,
                &receiver.auth_server,
                vec![AccessItem::IncomingPayment {
                    actions: vec![IncomingPaymentAction::Read],
                    identifier: Some(receiver.id.clone()),
                }],
            )
            .await
            .ok();
        }
        client
            .get_incoming_payment(incoming, token.as_ref()?)
            .await
            .ok()
    }

    /// Why a wallet could not resolve a receiver (Rafiki: 400 "invalid
    /// receiver"), in words: a payment link that expired (the wallet deletes
    /// those) or was withdrawn. `None` when the link is still there.
    async fn receiver_problem(client: &Client, link: &Url, ours: bool) -> Option<PaymentProblem> {
        match client.get_public_incoming_payment(link).await {
            Err(error) if error.status() == Some(404) => {
                Some(PaymentProblem::ReceiverGone { ours })
            }
            _ => None,
        }
    }

    /// Stops a payment that has not been sent: nothing moves. (The grant of
    /// one waiting for approval is cancelled by the caller, at the wallet.)
    ///
    /// # Errors
    ///
    /// The payment was sent already.
    pub fn cancel_payment(&self, id: &str) -> Result<PaymentRecord, FlowError> {
        let payment = self.payment(id)?;
        if !matches!(
            payment.state,
            PaymentState::Quoted | PaymentState::Authorizing
        ) {
            return Err(FlowError::PaymentNotNow {
                state: payment.state,
                step: PaymentStep::Stop,
            });
        }
        self.end_payment(payment, PaymentState::Cancelled, PaymentProblem::Cancelled)
    }

    /// Stops a payment a grant could not pay, only while it is still
    /// quoted: `None` when it was stopped (nothing was paid), or the state
    /// another process moved it on to (sent, say), when it was left alone.
    ///
    /// # Errors
    ///
    /// Unknown id, or the store failed.
    pub fn stop_if_quoted(&self, id: &str) -> Result<Option<PaymentState>, FlowError> {
        let payment = self.payment(id)?;
        if payment.state != PaymentState::Quoted {
            return Ok(Some(payment.state));
        }
        // From `quoted` only: a send that starts meanwhile wins.
        match self.end_payment(payment, PaymentState::Cancelled, PaymentProblem::Cancelled) {
            Ok(_) => Ok(None),
            Err(FlowError::MovedElsewhere { .. }) => Ok(Some(self.payment(id)?.state)),
            Err(error) => Err(error),
        }
    }

    /// One payment.
    ///
    /// # Errors
    ///
    /// Unknown id, or the store failed.
    pub fn payment(&self, id: &str) -> Result<PaymentRecord, FlowError> {
        self.store()
            .payment(id)?
            .ok_or_else(|| FlowError::Missing(Missing::Payment(id.to_owned())))
    }

    /// The payment a grant was requested for, if any.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn payment_of_grant(&self, grant_id: &str) -> Result<Option<PaymentRecord>, FlowError> {
        Ok(self.store().payments_of_grant(grant_id)?.into_iter().next())
    }

    /// Payments made with a grant, newest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn payments_with_grant(&self, grant_id: &str) -> Result<Vec<PaymentRecord>, FlowError> {
        Ok(self.store().payments_of_grant(grant_id)?)
    }

    /// Payments not at an end (after a restart: to resume or show).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn unfinished_payments(&self) -> Result<Vec<PaymentRecord>, FlowError> {
        Ok(self.store().unfinished_payments()?)
    }

    /// Payments, newest first: `limit` of them from `offset`.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn payments(&self, limit: usize, offset: usize) -> Result<Vec<PaymentRecord>, FlowError> {
        Ok(self.store().payments(limit, offset)?)
    }

    fn grant_of(&self, payment: &PaymentRecord) -> Result<GrantRecord, FlowError> {
        let id = payment
            .grant_id
            .as_deref()
            .ok_or(FlowError::Missing(Missing::PaymentWithoutGrant))?;
        self.get(id)?
            .ok_or_else(|| FlowError::Missing(Missing::PaymentGrant(id.to_owned())))
    }

    /// A payment the wallet already made for `quote` (found after a crash or
    /// a lost answer), so it is not made twice.
    ///
    /// An error when the wallet could not be asked (the grant may lack
    /// `list`): then nobody knows.
    async fn find_paid(
        &self,
        client: &Client,
        resource_server: &Url,
        wallet: &Url,
        token: &AccessToken,
        quote: &Quote,
    ) -> Result<Option<OutgoingPayment>, consent_desk_protocol::Error> {
        let mut page = PageQuery::Forward {
            first: 100,
            cursor: None,
        };
        for _ in 0..50 {
            let found = client
                .list_outgoing_payments(resource_server, token, wallet, &page)
                .await?;
            if let Some(payment) = found
                .result
                .iter()
                .find(|payment| payment.quote_id.as_ref() == Some(&quote.id))
            {
                return Ok(Some(payment.clone()));
            }
            let Some(next) = found.next_query(100) else {
                return Ok(None);
            };
            page = next;
        }
        Ok(None)
    }

    fn save_payment(&self, payment: &PaymentRecord, from: PaymentState) -> Result<(), FlowError> {
        if self.store().update_payment(payment, from)? {
            Ok(())
        } else {
            Err(self.moved_elsewhere(&payment.id))
        }
    }

    /// Says that another path moved payment `id` on while a step ran.
    fn moved_elsewhere(&self, id: &str) -> FlowError {
        let now = match self.store().payment(id) {
            Ok(Some(payment)) => payment.state.as_str(),
            Ok(None) => "gone",
            Err(error) => return error.into(),
        };
        FlowError::MovedElsewhere {
            now: now.to_owned(),
        }
    }

    fn end_payment(
        &self,
        mut payment: PaymentRecord,
        state: PaymentState,
        problem: PaymentProblem,
    ) -> Result<PaymentRecord, FlowError> {
        let from = payment.state;
        payment.state = state;
        payment.problem = Some(problem);
        payment.updated_at = timestamp();
        self.save_payment(&payment, from)?;
        Ok(payment)
    }
}

/// An amount to receive given for an incoming payment link, which fixes
/// what arrives itself.
pub(crate) fn receive_amount_for_incoming_payment() -> FlowError {
    FlowError::Amount(
        "for an incoming payment link, give the amount you send, or no amount to pay what it \
         asks for"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_payment_links_are_told_from_wallet_addresses() {
        let yes = |text: &str| is_incoming_payment(&Url::parse(text).unwrap());
        assert!(yes("https://ilp.example/incoming-payments/5a6b"));
        assert!(yes("http://127.0.0.1:4455/rs/incoming-payments/5a6b"));
        assert!(!yes("https://ilp.example/alice"));
        assert!(!yes("https://ilp.example/incoming-payments"));
        assert!(!yes("https://ilp.example/incoming-payments/"));
    }

    fn usd(value: u64) -> Amount {
        Amount {
            value,
            asset_code: "USD".into(),
            asset_scale: 2,
        }
    }

    fn eur(value: u64) -> Amount {
        Amount {
            asset_code: "EUR".into(),
            ..usd(value)
        }
    }

    fn outgoing(debit: Amount, sent: Amount, receive: Amount) -> OutgoingPayment {
        serde_json::from_value(serde_json::json!({
            "id": "https://w.example/outgoing-payments/1",
            "walletAddress": "https://w.example/alice",
            "receiver": "https://w.example/incoming-payments/2",
            "debitAmount": debit, "sentAmount": sent, "receiveAmount": receive,
            "createdAt": "2026-11-30T12:00:00Z",
        }))
        .unwrap()
    }

    fn quote(debit: Amount, receive: Amount) -> Quote {
        serde_json::from_value(serde_json::json!({
            "id": "https://w.example/quotes/3",
            "walletAddress": "https://w.example/alice",
            "receiver": "https://w.example/incoming-payments/2",
            "debitAmount": debit, "receiveAmount": receive, "method": "ilp",
            "createdAt": "2026-11-30T12:00:00Z",
        }))
        .unwrap()
    }

    fn incoming(received: Amount, completed: bool) -> IncomingPayment {
        serde_json::from_value(serde_json::json!({
            "id": "https://w.example/incoming-payments/2",
            "walletAddress": "https://w.example/bob",
            "completed": completed, "receivedAmount": received,
            "createdAt": "2026-11-30T12:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn a_payment_is_settled_by_what_the_wallets_show_fees_or_not() {
        use PaymentState::{Completed, Failed, Sent};
        // No fee: all of the debit was sent.
        let plain = outgoing(usd(500), usd(500), usd(500));
        assert_eq!(
            settlement(&plain, None, &quote(usd(500), usd(500))),
            Completed
        );
        // A fee of 15: 485 sent of 500, and 485 is what the receiver gets.
        let fee = outgoing(usd(500), usd(485), usd(485));
        assert_eq!(
            settlement(&fee, None, &quote(usd(500), usd(485))),
            Completed
        );
        let partly = outgoing(usd(500), usd(200), usd(485));
        assert_eq!(settlement(&partly, None, &quote(usd(500), usd(485))), Sent);
        // Across assets only the receiver's side can tell.
        let q = quote(usd(1110), eur(1000));
        let cross = outgoing(usd(1110), usd(1087), eur(1000));
        assert_eq!(settlement(&cross, None, &q), Sent);
        assert_eq!(
            settlement(&cross, Some(&incoming(eur(999), false)), &q),
            Sent
        );
        assert_eq!(
            settlement(&cross, Some(&incoming(eur(1000), false)), &q),
            Completed
        );
        assert_eq!(
            settlement(&cross, Some(&incoming(eur(0), true)), &q),
            Completed
        );
        // Unreadable (the create answer, nothing sent yet): the receiver tells.
        let unread = outgoing(usd(400), usd(0), usd(400));
        let q = quote(usd(400), usd(400));
        assert_eq!(
            settlement(&unread, Some(&incoming(usd(400), true)), &q),
            Completed
        );
        let mut failed = outgoing(usd(500), usd(0), usd(500));
        failed.failed = true;
        assert_eq!(
            settlement(&failed, None, &quote(usd(500), usd(500))),
            Failed
        );
    }

    /// A grant as the store keeps it, approved with `actions`.
    fn approved_grant(id: &str, actions: &[&str]) -> GrantRecord {
        let url = |text: &str| Url::parse(text).unwrap();
        let at = time::macros::datetime!(2026-11-30 12:00 UTC);
        GrantRecord {
            id: id.to_owned(),
            profile: "sandbox".into(),
            wallet: url("https://w.example/alice"),
            auth_server: url("https://w.example/auth"),
            request: serde_json::from_value(serde_json::json!({
                "access_token": {"access": []},
                "client": "https://w.example/desk",
            }))
            .unwrap(),
            finish_uri: url(&format!("dev.consentdesk:/finish/{id}")),
            client_nonce: "n".into(),
            server_nonce: None,
            redirect: None,
            continue_uri: None,
            continue_wait: None,
            state: GrantState::Approved,
            outcome: None,
            access: Some(access(serde_json::json!([{
                "type": "outgoing-payment",
                "actions": actions,
                "identifier": "https://w.example/alice",
            }]))),
            manage_uri: Some(url("https://w.example/auth/token/1")),
            expires_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn access(json: serde_json::Value) -> Vec<AccessItem> {
        serde_json::from_value(json).unwrap()
    }

    fn sent_with(grant: &str, id: &str, receiver_wallet: Option<&str>) -> PaymentRecord {
        serde_json::from_value(serde_json::json!({
            "id": id, "profile": "sandbox", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/rs", "receiverWallet": receiver_wallet,
            "incomingPayment": "https://w.example/incoming-payments/2", "amount": null,
            "note": null, "grantId": grant, "state": "sent", "problem": null,
            "outgoingPayment": outgoing(usd(400), usd(0), usd(400)),
            "quote": quote(usd(400), usd(400)),
            "createdAt": "2026-11-30T12:00:00Z", "updatedAt": "2026-11-30T12:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn an_unreadable_payment_never_holds_its_grant() {
        let dir = tempfile::tempdir().unwrap();
        let flows = Flows::open(
            &dir.path().join("grants.sqlite3"),
            std::sync::Arc::new(consent_desk_identity::MemoryBackend::default()),
        )
        .unwrap();
        // Made by a budget from the old form: create and list, no read.
        flows
            .store()
            .insert(&approved_grant("blind", &["create", "list", "list-all"]))
            .unwrap();
        flows
            .store()
            .insert_payment(&sent_with("blind", "p1", None))
            .unwrap();
        flows.no_payment_in_flight("blind").unwrap();
        // With read, only this grant's token can follow a payment to a link.
        flows
            .store()
            .insert(&approved_grant("reads", &["create", "read"]))
            .unwrap();
        flows
            .store()
            .insert_payment(&sent_with("reads", "p2", None))
            .unwrap();
        assert!(flows.no_payment_in_flight("reads").is_err());
        // ...but not one to a wallet address, followed at the receiver.
        flows
            .store()
            .insert(&approved_grant("reads-too", &["create", "read"]))
            .unwrap();
        flows
            .store()
            .insert_payment(&sent_with("reads-too", "p3", Some("https://w.example/bob")))
            .unwrap();
        flows.no_payment_in_flight("reads-too").unwrap();
    }

    fn flows() -> (tempfile::TempDir, Flows) {
        let dir = tempfile::tempdir().unwrap();
        let flows = Flows::open(
            &dir.path().join("grants.sqlite3"),
            std::sync::Arc::new(consent_desk_identity::MemoryBackend::default()),
        )
        .unwrap();
        (dir, flows)
    }

    #[test]
    fn a_one_time_budget_whose_payments_add_up_past_u64_is_a_wallet_error() {
        let (_dir, flows) = flows();
        let mut grant = approved_grant("budget", &["create", "read"]);
        grant.access = Some(access(serde_json::json!([{
            "type": "outgoing-payment",
            "actions": ["create", "read"],
            "identifier": "https://w.example/alice",
            "limits": {"debitAmount": usd(1000)},
        }])));
        flows.store().insert(&grant).unwrap();
        for (id, debit) in [("p1", u64::MAX), ("p2", 400)] {
            let mut paid = sent_with("budget", id, None);
            paid.outgoing_payment = Some(outgoing(usd(debit), usd(debit), usd(debit)));
            flows.store().insert_payment(&paid).unwrap();
        }
        let mut next = sent_with("budget", "p3", None);
        next.state = PaymentState::Quoted;
        next.outgoing_payment = None;
        let refused = flows.can_pay(&grant, &next).unwrap_err();
        assert!(refused.contains("too large to add up"), "{refused}");
    }

    #[test]
    fn a_refused_grant_stops_only_a_payment_still_quoted() {
        let (_dir, flows) = flows();
        let mut quoted = sent_with("g", "p1", None);
        quoted.state = PaymentState::Quoted;
        quoted.outgoing_payment = None;
        flows.store().insert_payment(&quoted).unwrap();
        assert_eq!(flows.stop_if_quoted("p1").unwrap(), None);
        assert_eq!(flows.payment("p1").unwrap().state, PaymentState::Cancelled);
        // Another process sent it meanwhile: left alone, and said so.
        let mut sending = quoted.clone();
        sending.id = "p2".into();
        sending.state = PaymentState::Sending;
        flows.store().insert_payment(&sending).unwrap();
        assert_eq!(
            flows.stop_if_quoted("p2").unwrap(),
            Some(PaymentState::Sending)
        );
        assert_eq!(flows.payment("p2").unwrap().state, PaymentState::Sending);
    }

    #[test]
    fn a_cancelled_payment_gives_the_wallets_reason() {
        let mut payment = outgoing(usd(500), usd(0), usd(500));
        assert_eq!(wallet_reason(&payment), None);
        payment.metadata =
            serde_json::json!({"cancellationReason": "Account does not have enough balance."})
                .as_object()
                .cloned();
        assert_eq!(
            wallet_reason(&payment).as_deref(),
            Some("Account does not have enough balance.")
        );
    }

    #[test]
    fn a_note_becomes_a_description_and_blank_notes_are_dropped() {
        let note = Some("  rent  ".to_owned());
        let metadata = note_metadata(note.as_ref()).unwrap();
        assert_eq!(metadata["description"], "rent");
        assert!(note_metadata(Some(&"  ".to_owned())).is_none());
        assert!(note_metadata(None).is_none());
    }
}
