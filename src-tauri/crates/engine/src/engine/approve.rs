//! Approvals: the grant request, the wallet's consent page put before the
//! person, and the one finish routine that the consent window, the OS link
//! and the loopback listener all call with a URL.

use std::sync::{Arc, PoisonError};

use consent_desk_protocol::{AccessItem, Client, OutgoingPaymentAction, WalletAddress};
use tokio::sync::oneshot;
use url::Url;

use super::{Engine, Finished};
use crate::error::{Error, Result};
use crate::refusal::WalletFault;
use crate::views::{
    AmountLimit, ApproveIn, FlowProgress, FlowStep, GrantAction, GrantForm, GrantPreview,
    GrantView, SecretText,
};
use crate::words::{summary, Problem, Progress};
use crate::{
    loopback, Abandoned, Completed, FinishVia, FlowError, GrantRecord, GrantSpec, GrantState,
    PaymentState, Step,
};

fn action(action: GrantAction) -> OutgoingPaymentAction {
    match action {
        GrantAction::Create => OutgoingPaymentAction::Create,
        GrantAction::Read => OutgoingPaymentAction::Read,
        GrantAction::ReadAll => OutgoingPaymentAction::ReadAll,
        GrantAction::List => OutgoingPaymentAction::List,
        GrantAction::ListAll => OutgoingPaymentAction::ListAll,
    }
}

/// A field's text without surrounding blanks; `None` when that leaves none.
fn trimmed(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Reads the form against the sender's wallet (its asset and scale).
async fn spec(client: &Client, form: &GrantForm) -> Result<(GrantSpec, WalletAddress)> {
    let wallet_url = consent_desk_identity::wallet::parse_wallet_url(&form.wallet, true)
        .map_err(consent_desk_identity::IdentityError::from)?;
    let wallet = client
        .wallet_address(&wallet_url)
        .await
        .map_err(FlowError::from)?;
    let amount = match (form.limit, form.amount.as_deref()) {
        (AmountLimit::None, _) => None,
        (_, None) => return Err(FlowError::Amount("enter an amount".to_owned()).into()),
        (_, Some(text)) => Some(crate::parse_major_units(text, wallet.asset_scale)?.to_string()),
    };
    let (debit, receive) = match form.limit {
        AmountLimit::Debit => (amount.as_deref(), None),
        AmountLimit::Receive => (None, amount.as_deref()),
        AmountLimit::None => (None, None),
    };
    let mut spec = GrantSpec::parse(
        wallet.id.as_str(),
        debit,
        receive,
        trimmed(form.receiver.as_deref()),
        trimmed(form.interval.as_deref()),
    )?;
    if !form.actions.is_empty() {
        spec.actions = Some(form.actions.iter().copied().map(action).collect());
    }
    Ok((spec, wallet))
}

impl Engine {
    /// What the form would send: the exact JSON, with the per-grant values
    /// (finish link, nonce) shown as placeholders.
    ///
    /// # Errors
    ///
    /// No profile, a wrong value in the form, an unreachable wallet.
    pub async fn preview(&self, form: &GrantForm) -> Result<GrantPreview> {
        let profile = self.active_profile()?;
        let client = self.keys.reading_client(&profile)?;
        let (spec, wallet) = spec(&client, form).await?;
        let request = crate::build_request(
            &client,
            &wallet,
            &spec,
            &Url::parse("dev.consentdesk:/finish/GRANT-ID").expect("a URL"),
            &consent_desk_protocol::Nonce::new("NONCE"),
        )?;
        let mut json =
            serde_json::to_value(&request).map_err(|e| FlowError::Invalid(e.to_string()))?;
        if let Some(finish) = json.pointer_mut("/interact/finish") {
            finish["uri"] = "dev.consentdesk:/finish/<made for each grant>".into();
            finish["nonce"] = "<random, made for each grant>".into();
        }
        Ok(GrantPreview {
            wallet_name: wallet
                .public_name
                .clone()
                .unwrap_or_else(|| wallet.id.to_string()),
            asset_code: wallet.asset_code.clone(),
            asset_scale: wallet.asset_scale,
            summary: summary(&request),
            request_json: serde_json::to_string_pretty(&json).unwrap_or_default(),
        })
    }

    /// Requests the grant and puts the wallet's consent page before the
    /// person.
    ///
    /// # Errors
    ///
    /// No profile, a wrong value, the wallet refused or could not be asked.
    pub async fn request(self: &Arc<Self>, form: &GrantForm) -> Result<GrantView> {
        let flows = self.flows()?;
        let profile = self.active_profile()?;
        let client = self
            .unlocked_client(&profile, form.passphrase.clone())
            .await?;
        self.progress(None, FlowStep::Requesting, Progress::Asking.words(), None);
        let requested = async {
            let (via, listener) = self.finish_route(&profile).await?;
            let (spec, _) = spec(&client, form).await?;
            let record = flows.request(&client, &profile, &spec, via).await?;
            Ok::<_, Error>((record, listener))
        }
        .await;
        let (record, listener) = requested.map_err(|error| self.asking_failed(error))?;
        self.present(
            &record,
            form.approve_in == Some(ApproveIn::Browser),
            listener,
        )
    }

    /// Says on the progress line why the wallet could not be asked; the
    /// error goes on to the caller too.
    fn asking_failed(&self, error: Error) -> Error {
        self.failed(None, FlowStep::Failed, &error.problem());
        error
    }

    /// Tells the desktop an approval failed, or a finish link was refused:
    /// the sentence, and the details folded under it.
    fn failed(&self, grant_id: Option<&str>, step: FlowStep, problem: &Problem) {
        self.desktop.flow_progress(FlowProgress {
            grant_id: grant_id.map(str::to_owned),
            step,
            message: problem.message(),
            details: problem.details(),
            grant: None,
            in_browser: false,
        });
    }

    /// "Prove I own this wallet address" for the profile in use: the
    /// wallet's consent page opens like any grant's, and the finish says
    /// "Proved: you own …" (or why not) as progress.
    ///
    /// # Errors
    ///
    /// No profile, the key could not be opened, the wallet could not be asked.
    pub async fn prove(self: &Arc<Self>, passphrase: Option<SecretText>) -> Result<GrantView> {
        let flows = self.flows()?;
        let profile = self.active_profile()?;
        let client = self.unlocked_client(&profile, passphrase).await?;
        let wallet = client.client_wallet().clone();
        self.progress(
            None,
            FlowStep::Requesting,
            Progress::AskingProof {
                wallet: wallet.as_str(),
            }
            .words(),
            None,
        );
        let requested = async {
            let (via, listener) = self.finish_route(&profile).await?;
            let record = flows.request_proof(&client, &profile, &wallet, via).await?;
            Ok::<_, Error>((record, listener))
        }
        .await;
        let (record, listener) = requested.map_err(|error| self.asking_failed(error))?;
        self.present(&record, false, listener)
    }

    /// Where the wallet sends the person back for a grant about to be
    /// requested. The app's private-use scheme (RFC 8252 §7.1): the consent
    /// window catches the navigation to it, and the system browser hands it
    /// to the OS, which delivers it here. Profiles for wallets that refuse
    /// custom schemes get a loopback listener instead (RFC 8252 §7.3),
    /// caught the same way in the window.
    pub(super) async fn finish_route(
        &self,
        profile: &str,
    ) -> Result<(FinishVia, Option<loopback::Listener>)> {
        let loopback = self
            .keys
            .identities
            .profile(profile)
            .is_ok_and(|p| p.loopback_finish);
        Ok(loopback::finish_route(loopback).await?)
    }

    /// Puts a pending grant before the person: its listener serves, and the
    /// consent window (or the system browser) opens on the wallet's page.
    pub(super) fn present(
        self: &Arc<Self>,
        record: &GrantRecord,
        in_browser: bool,
        listener: Option<loopback::Listener>,
    ) -> Result<GrantView> {
        let redirect = record
            .redirect
            .clone()
            .ok_or(FlowError::Wallet(WalletFault::NoConsentPage))?;
        let grant = GrantView::of(record);
        if let Some(listener) = listener {
            self.listen(&record.id, listener);
        }
        if in_browser {
            self.desktop.open_in_browser(&redirect);
            self.waiting_in_browser(grant.clone());
            return Ok(grant);
        }
        self.desktop
            .open_consent(&record.id, &redirect, record.finish_uri.as_str())
            .map_err(|error| {
                FlowError::Invalid(format!("the consent window could not open ({error})"))
            })?;
        self.in_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.id.clone());
        self.progress(
            Some(&record.id),
            FlowStep::Waiting,
            Progress::WaitingInWindow.words(),
            Some(grant.clone()),
        );
        Ok(grant)
    }

    /// Serves the grant's loopback finish while it waits: every finish URL
    /// goes to [`finish`](Self::finish); the listener stops once the grant
    /// is no longer pending or when it is cancelled.
    fn listen(self: &Arc<Self>, grant_id: &str, mut listener: loopback::Listener) {
        let (stop, mut stopped) = oneshot::channel();
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(grant_id.to_owned(), stop);
        let engine = Arc::clone(self);
        let grant_id = grant_id.to_owned();
        tokio::spawn(async move {
            loop {
                let url = tokio::select! {
                    url = listener.next() => url,
                    _ = &mut stopped => None,
                };
                let Some(url) = url else { break };
                // The desktop is told how it went; a refused link (one for
                // another grant too) leaves the grant waiting, and the
                // listener with it.
                let _ = engine.finish_for(Some(&grant_id), &url).await;
                let waiting = engine
                    .flows()
                    .ok()
                    .and_then(|flows| flows.get(&grant_id).ok().flatten())
                    .is_some_and(|record| record.state == GrantState::Pending);
                if !waiting {
                    break;
                }
            }
            engine.stop_listener(&grant_id);
            tracing::info!(grant = %grant_id, "loopback finish listener stopped");
        });
    }

    /// The one entry for every finish path (the consent window's
    /// navigation, OS deep links, the loopback listener, the command line):
    /// completes through [`Flows::complete`](crate::Flows::complete), tells
    /// the desktop each step, and sends a payment that waited for the
    /// approval. Returns what happened, for a caller that reports it itself
    /// (the command line); the desktop shell needs only what it was told.
    ///
    /// # Errors
    ///
    /// The link was refused ([`FlowError::UnknownFinish`],
    /// [`FlowError::AlreadyUsed`], [`FlowError::Refused`]: the approval
    /// waits on), or completing failed (the approval is pending again, so
    /// the same link can be tried again). The desktop was told either way.
    ///
    /// This is the way in for a link that no waiting window or listener
    /// caught: the OS's deep link (a browser approval, a cold start) and a
    /// link given by hand. A link for a grant whose consent window is open,
    /// or whose loopback listener runs in this run, is refused: those links
    /// come only through [`finish_for`](Self::finish_for). Whatever the way
    /// in, only a pending grant is completed, an approval only with its
    /// hash, and a failure only once the wallet confirms it.
    pub async fn finish(&self, url: &str) -> Result<Finished> {
        let caught_elsewhere = crate::grant_id_of(url).is_some_and(|id| {
            self.in_window
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&id)
                || self
                    .listeners
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .contains_key(&id)
        });
        if caught_elsewhere {
            tracing::warn!(
                "a link from outside for an approval that waits in a window or listener refused"
            );
            let error = FlowError::UnknownFinish;
            self.failed(None, FlowStep::Refused, &Problem::of_flow(&error));
            return Err(error.into());
        }
        self.finish_for(None, url).await
    }

    /// [`finish`](Self::finish) for a caller that waits for grant
    /// `expected`: the consent window of that grant, its loopback listener,
    /// the command line waiting for it. A link for any other grant is
    /// refused and changes nothing. `None` waits for no grant in particular.
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish).
    pub async fn finish_for(&self, expected: Option<&str>, url: &str) -> Result<Finished> {
        let flows = self
            .flows()
            .inspect_err(|error| self.failed(None, FlowStep::Failed, &error.problem()))?;
        let result = flows
            .complete_for(
                expected,
                url,
                |profile| self.client(profile),
                |id, step| {
                    let (step, words) = match step {
                        Step::Verifying => (FlowStep::Verifying, Progress::Verifying),
                        Step::Continuing => (FlowStep::Continuing, Progress::Continuing),
                    };
                    self.progress(Some(id), step, words.words(), None);
                },
            )
            .await;
        let completed = match result {
            Ok(completed) => completed,
            Err(
                error @ (FlowError::UnknownFinish
                | FlowError::AlreadyUsed { .. }
                | FlowError::Refused(_)
                | FlowError::FailureUnconfirmed { .. }),
            ) => {
                tracing::warn!(%error, "finish link refused");
                // Said of the grant waiting here, never of the one a
                // stray link names.
                let id = match (&error, expected) {
                    (FlowError::UnknownFinish, expected) => expected.map(str::to_owned),
                    _ => crate::grant_id_of(url),
                };
                self.failed(id.as_deref(), FlowStep::Refused, &Problem::of_flow(&error));
                return Err(error.into());
            }
            Err(error) => {
                let id = crate::grant_id_of(url);
                self.failed(id.as_deref(), FlowStep::Failed, &Problem::of_flow(&error));
                return Err(error.into());
            }
        };
        let payment = match &completed {
            Completed::Approved(record) => {
                self.ended(&record.id);
                let grant = GrantView::of(record);
                self.progress(
                    Some(&record.id),
                    FlowStep::Done,
                    Progress::Approved {
                        summary: &grant.summary,
                    }
                    .words(),
                    Some(grant),
                );
                self.after_grant(&record.id).await
            }
            Completed::Proved(record) => {
                self.ended(&record.id);
                self.progress(
                    Some(&record.id),
                    FlowStep::Done,
                    Progress::Proved {
                        wallet: record.wallet.as_str(),
                    }
                    .words(),
                    None,
                );
                None
            }
            Completed::NotApproved(record) => {
                self.ended(&record.id);
                let grant = GrantView::of(record);
                let message = grant
                    .problem
                    .clone()
                    .unwrap_or_else(|| Progress::NotApproved.words());
                self.progress(Some(&record.id), FlowStep::Failed, message, Some(grant));
                self.after_grant(&record.id).await
            }
        };
        Ok(Finished { completed, payment })
    }

    /// An approval ended: its listener and window go.
    fn ended(&self, grant_id: &str) {
        self.stop_listener(grant_id);
        self.in_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id);
        self.desktop.close_consent(grant_id);
    }

    /// Closing the wallet's window cancels a grant still waiting: the
    /// shell calls this when the window is gone, whoever closed it.
    pub async fn cancel_if_pending(&self, grant_id: &str) {
        self.in_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id);
        let pressed = self
            .cancel_pressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id);
        let words = if pressed {
            Progress::CancelledByYou
        } else {
            Progress::WindowClosed
        };
        self.cancel_pending(grant_id, words).await;
    }

    /// Cancels a grant still waiting, at the wallet, and says so in
    /// `words`: who ended it (the window closed, Cancel pressed).
    async fn cancel_pending(&self, grant_id: &str, words: Progress<'_>) {
        let Ok(flows) = self.flows() else {
            return;
        };
        let pending =
            matches!(flows.get(grant_id), Ok(Some(record)) if record.state == GrantState::Pending);
        if !pending {
            return;
        }
        let cancelled = async {
            let record = flows.get(grant_id)?.ok_or(FlowError::UnknownFinish)?;
            let client = self.client(&record.profile)?;
            flows.cancel(&client, grant_id).await
        }
        .await;
        self.stop_listener(grant_id);
        match cancelled {
            Ok(record) => {
                self.progress(
                    Some(grant_id),
                    FlowStep::Cancelled,
                    words.words(),
                    Some(GrantView::of(&record)),
                );
                self.after_grant(grant_id).await;
            }
            Err(error) => self.failed(Some(grant_id), FlowStep::Failed, &Problem::of_flow(&error)),
        }
    }

    /// Cancel from the main window: close the wallet's window, whose
    /// close cancels (and says the person cancelled, not that they closed
    /// the window); without a window, cancel here. A grant approved for a
    /// payment whose quote expired meanwhile is cancelled at the wallet when
    /// that payment is stopped.
    pub async fn cancel(&self, grant_id: &str) {
        self.cancel_pressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(grant_id.to_owned());
        if self.desktop.close_consent(grant_id) {
            return;
        }
        self.cancel_pressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id);
        if !self.abandon_unsent(grant_id).await {
            self.cancel_pending(grant_id, Progress::CancelledByYou)
                .await;
        }
    }

    /// Cancels at the wallet an approved grant asked for one payment (its
    /// `receiver` is that payment's incoming payment) that was never sent
    /// because its quote expired during consent; it would stay open there
    /// otherwise. Whether it was such a grant.
    async fn abandon_unsent(&self, grant_id: &str) -> bool {
        let Ok(flows) = self.flows() else {
            return false;
        };
        let (Ok(Some(record)), Ok(Some(payment))) =
            (flows.get(grant_id), flows.payment_of_grant(grant_id))
        else {
            return false;
        };
        let for_this_payment = record
            .request
            .access()
            .and_then(|request| {
                request
                    .access_token
                    .access
                    .iter()
                    .find_map(|item| match item {
                        AccessItem::OutgoingPayment { limits, .. } => {
                            limits.as_ref()?.receiver.as_ref()
                        }
                        _ => None,
                    })
            })
            .is_some_and(|receiver| *receiver == payment.incoming_payment);
        if record.state != GrantState::Approved
            || payment.state != PaymentState::Authorizing
            || !payment.quote_expired()
            || !for_this_payment
        {
            return false;
        }
        let abandoned = async {
            let client = self.client(&record.profile)?;
            flows
                .abandon(&client, grant_id, Abandoned::QuoteExpired)
                .await
        }
        .await;
        match abandoned {
            Ok(record) => {
                let grant = GrantView::of(&record);
                self.progress(
                    Some(grant_id),
                    FlowStep::Cancelled,
                    grant.problem.clone().unwrap_or_default(),
                    Some(grant),
                );
            }
            Err(error) => self.failed(Some(grant_id), FlowStep::Failed, &Problem::of_flow(&error)),
        }
        true
    }
}
