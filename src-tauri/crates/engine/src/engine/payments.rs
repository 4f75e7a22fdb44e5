//! Payments: the quote, its approval through the same consent flow as any
//! grant, and the sending once the grant is approved (from whichever finish
//! path), resumed at start. The money rules are `crate::pay`'s; this picks
//! clients and tells the desktop.

use std::sync::{Arc, PoisonError};

use url::Url;

use super::{Engine, Sent};
use crate::error::Result;
use crate::views::{ApproveIn, FlowStep, GrantView, PayAmountKind, PayForm, PaymentView};
use crate::words::{payment_outcome, Problem, Progress};
use crate::{FlowError, GrantState, PayAmount, PayRequest, PaymentProblem, PaymentState};

fn parse_url(text: &str, what: &str) -> Result<Url> {
    Ok(crate::typed_url(text.trim(), what)?)
}

impl Engine {
    /// Steps 1–2: the incoming payment and the quote, for the person to
    /// confirm.
    ///
    /// # Errors
    ///
    /// No profile, a wrong value, the wallet refused or could not be asked.
    pub async fn quote(self: &Arc<Self>, form: &PayForm) -> Result<PaymentView> {
        let flows = self.flows()?;
        let profile = self.active_profile()?;
        let client = self
            .unlocked_client(&profile, form.passphrase.clone())
            .await?;
        let from = parse_url(&form.from, "the paying wallet")?;
        let to = parse_url(&form.to, "the receiver")?;
        let amount = if form.amount.trim().is_empty() {
            None
        } else {
            // The amount is in the sender's asset when sending, the
            // receiver's when receiving: its scale decides the smallest unit.
            let wallet = match form.amount_kind {
                PayAmountKind::Send => &from,
                PayAmountKind::Receive => &to,
            };
            if form.amount_kind == PayAmountKind::Receive
                && wallet.path().contains("/incoming-payments/")
            {
                return Err(crate::pay::receive_amount_for_incoming_payment().into());
            }
            let scale = client
                .wallet_address(wallet)
                .await
                .map_err(FlowError::from)?
                .asset_scale;
            let value = crate::parse_major_units(&form.amount, scale)?;
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
        Ok(self.announce(&record, Progress::Quoted.words()))
    }

    /// Step 3: the person confirmed the quote; the grant is requested and
    /// its consent page shown.
    ///
    /// # Errors
    ///
    /// No such payment, the wallet refused or could not be asked.
    pub async fn confirm(self: &Arc<Self>, id: &str, approve_in: ApproveIn) -> Result<PaymentView> {
        let flows = self.flows()?;
        let payment = flows.payment(id)?;
        let client = self.client(&payment.profile)?;
        let (via, listener) = self.finish_route(&payment.profile).await?;
        let (payment, grant) = flows.authorize_payment(&client, id, via).await?;
        self.present(&grant, approve_in == ApproveIn::Browser, listener)?;
        Ok(self.announce(&payment, Progress::ApprovePayment.words()))
    }

    /// Pays a quoted payment with a grant approved earlier: no new consent.
    ///
    /// # Errors
    ///
    /// Refused before anything was asked of the wallet (the form says why).
    pub async fn pay_with_grant(&self, id: &str, grant_id: &str) -> Result<PaymentView> {
        let flows = self.flows()?;
        let payment = flows.payment(id)?;
        let client = self.client(&payment.profile)?;
        let result = flows.pay_with_grant(&client, id, grant_id).await;
        let record = flows.payment(id)?;
        if let (Err(FlowError::Protocol(error)), PaymentState::Quoted) = (&result, record.state) {
            if error.is_budget_spent() {
                // The wallet's word: a one-time budget is spent for good; a
                // renewing one for this payment (its period is the wallet's).
                let renewing = matches!(
                    &record.problem,
                    Some(PaymentProblem::BudgetSpent { renews: Some(_) })
                );
                self.spent_budgets
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(grant_id.to_owned(), renewing.then(|| id.to_owned()));
            }
        }
        match result {
            Err(error)
                if record.state == PaymentState::Quoted
                    && !matches!(&error, FlowError::Protocol(e) if e.is_budget_spent()) =>
            {
                Err(error.into())
            }
            result => {
                let view = self.announce(&record, payment_outcome(&result, &record));
                self.after_payment(&record).await;
                Ok(view)
            }
        }
    }

    /// Approved grants that can pay a quoted payment without a new consent.
    ///
    /// # Errors
    ///
    /// The store could not be read.
    pub fn payment_grants(&self, id: &str) -> Result<Vec<GrantView>> {
        let spent = self
            .spent_budgets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Ok(self
            .flows()?
            .grants_for_payment(id)?
            .iter()
            .filter(|grant| match spent.get(&grant.id) {
                None => true,
                Some(refused) => refused.as_deref().is_some_and(|payment| payment != id),
            })
            .map(GrantView::of)
            .collect())
    }

    /// A new quote after the old one expired; confirmed again by the person.
    ///
    /// # Errors
    ///
    /// No such payment, the wallet refused or could not be asked.
    pub async fn requote(&self, id: &str) -> Result<PaymentView> {
        let flows = self.flows()?;
        let payment = flows.payment(id)?;
        let client = self.client(&payment.profile)?;
        let record = flows.requote_payment(&client, id).await?;
        Ok(self.announce(&record, Progress::Requoted.words()))
    }

    /// Stops a payment not sent yet; one waiting for approval has its grant
    /// cancelled at the wallet (closing the consent window).
    ///
    /// # Errors
    ///
    /// No such payment, or it was already sent.
    pub async fn cancel_payment(&self, id: &str) -> Result<PaymentView> {
        let flows = self.flows()?;
        let payment = flows.payment(id)?;
        if let (PaymentState::Authorizing, Some(grant)) =
            (payment.state, payment.grant_id.as_deref())
        {
            // Cancelling the grant ends the payment through `after_grant`.
            self.cancel(grant).await;
            let record = flows.payment(id)?;
            if record.state.is_final() {
                return Ok(PaymentView::of(&record));
            }
        }
        let record = flows.cancel_payment(id)?;
        Ok(self.announce(&record, Progress::PaymentStopped.words()))
    }

    /// Payments, newest first.
    ///
    /// # Errors
    ///
    /// The store could not be read.
    pub fn payments(&self, limit: usize, offset: usize) -> Result<Vec<PaymentView>> {
        Ok(self
            .flows()?
            .payments(limit, offset)?
            .iter()
            .map(PaymentView::of)
            .collect())
    }

    /// Looks at a payment again: a sent one is followed, an interrupted one
    /// resumed.
    ///
    /// # Errors
    ///
    /// No such payment.
    pub async fn check_payment(&self, id: &str) -> Result<PaymentView> {
        Ok(PaymentView::of(&self.send(id).await?.payment))
    }

    /// A grant's approval ended (approved, rejected or cancelled): the
    /// payment waiting on it is sent, or ends; how, when there was one.
    /// Called by every finish path.
    pub(super) async fn after_grant(&self, grant_id: &str) -> Option<Sent> {
        let flows = self.flows().ok()?;
        let payment = flows.payment_of_grant(grant_id).ok()??;
        if payment.state != PaymentState::Authorizing {
            return None;
        }
        self.send(&payment.id).await.ok()
    }

    /// After a start: payments interrupted while sending are sent (at most
    /// once, see `crate::pay`), sent ones followed until they settle, and
    /// approved ones waiting to be sent, sent. The others wait for the
    /// person on the Pay screen.
    #[tracing::instrument(name = "payments.resume", skip_all)]
    pub async fn resume(&self) {
        let Ok(flows) = self.flows() else {
            return;
        };
        // Approvals a stopped run left half-completed first: their payments
        // are sent or ended below.
        self.take_up_finishing().await;
        // Budgets about to end are told once at each start.
        self.check_endings();
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
                .is_some_and(|grant| grant.state != GrantState::Pending);
            let due = match payment.state {
                PaymentState::Sending | PaymentState::Sent => true,
                PaymentState::Authorizing => approved,
                _ => false,
            };
            if due {
                tracing::info!(payment = %payment.id, state = payment.state.as_str(), "resuming a payment");
                // Its settling is told, now or when checked later.
                self.mark_resumed(&payment.id);
                // The desktop is told how each went.
                let _ = self.send(&payment.id).await;
            }
        }
    }

    /// Takes up every approval a stopped run left `finishing` (see
    /// [`Flows::take_up_finishing`](crate::Flows::take_up_finishing)): each
    /// is completed or ended as the wallet says, and the desktop told. A
    /// start does this; so can a person (or the command line) at any time.
    /// Returns the grants it took up, as they are now.
    pub async fn take_up_finishing(&self) -> Vec<GrantView> {
        let Ok(flows) = self.flows() else {
            return Vec::new();
        };
        let finishing = match flows.finishing_grants() {
            Ok(finishing) => finishing,
            Err(error) => {
                tracing::error!(%error, "grants left finishing could not be read");
                return Vec::new();
            }
        };
        let mut taken = Vec::new();
        for grant in finishing {
            let client = match self.client(&grant.profile) {
                Ok(client) => client,
                Err(error) => {
                    tracing::warn!(grant = %grant.id, %error, "no client to take up the approval");
                    continue;
                }
            };
            let completed = match flows.take_up_finishing(&client, &grant.id).await {
                Ok(Some(completed)) => completed,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(grant = %grant.id, %error, "the approval could not be taken up yet");
                    continue;
                }
            };
            let (record, step) = match &completed {
                crate::Completed::Approved(record) | crate::Completed::Proved(record) => {
                    (record, FlowStep::Done)
                }
                crate::Completed::NotApproved(record) => (record, FlowStep::Failed),
            };
            let view = GrantView::of(record);
            let message = match &view.problem {
                Some(problem) if step == FlowStep::Failed => problem.clone(),
                _ => Progress::Approved {
                    summary: &view.summary,
                }
                .words(),
            };
            self.progress(Some(&record.id), step, message, Some(view.clone()));
            taken.push(view);
        }
        taken
    }

    /// Sends payment `id` once its grant is approved (or ends it, when the
    /// grant was not), resumes one interrupted while sending (never paying
    /// twice, see `crate::pay`) or follows one sent until it settles; tells
    /// the desktop how it went, and returns it. The one sending routine of
    /// a finish, a start and `consent-desk payments resume`.
    ///
    /// # Errors
    ///
    /// The store could not be opened or read, or there is no such payment.
    /// A failed send is not an error here: [`Sent::error`] says why.
    pub async fn send(&self, id: &str) -> Result<Sent> {
        let flows = self.flows()?;
        let payment = flows.payment(id)?;
        let approved = payment
            .grant_id
            .as_deref()
            .and_then(|id| flows.get(id).ok().flatten())
            .is_some_and(|grant| grant.state == GrantState::Approved);
        if payment.state == PaymentState::Authorizing && approved {
            let mut sending = payment.clone();
            sending.state = PaymentState::Sending;
            self.announce(&sending, Progress::Sending.words());
        }
        let client = match self.client(&payment.profile) {
            Ok(client) => client,
            Err(error) => {
                self.announce(&payment, Problem::of_flow(&error).message());
                return Ok(Sent {
                    payment,
                    error: Some(error),
                });
            }
        };
        let result = flows.send_payment(&client, id).await;
        let record = flows.payment(id).unwrap_or(payment);
        let message = payment_outcome(&result, &record);
        self.announce(&record, message);
        self.after_payment(&record).await;
        Ok(Sent {
            payment: record,
            error: result.err(),
        })
    }
}
