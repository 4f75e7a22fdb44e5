//! Approvals that were waiting for the person when the app last closed (or
//! crashed): listed at the next start, so the app can say what happened and
//! offer the wallet's page again (the record keeps the consent URL) or to
//! cancel the approval at the wallet ([`Engine::end`]).

use std::sync::{Arc, PoisonError};

use super::Engine;
use crate::error::Result;
use crate::refusal::{GrantStep, WalletFault};
use crate::views::GrantView;
use crate::{FlowError, GrantState};

impl Engine {
    /// Approvals that waited for the person when the app last closed, newest
    /// first: grants still pending that an earlier run asked for, and that
    /// this run has not put before the person again.
    ///
    /// # Errors
    ///
    /// The store could not be read.
    pub fn waiting_from_before(&self) -> Result<Vec<GrantView>> {
        let flows = self.flows()?;
        let reopened = self
            .reopened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Ok(flows
            .grants_in(GrantState::Pending)?
            .iter()
            .filter(|record| {
                record.created_at < self.started_at
                    && record.redirect.is_some()
                    && !reopened.contains(&record.id)
            })
            .map(GrantView::of)
            .collect())
    }

    /// Opens the wallet's page again for an approval that waited when the
    /// app closed: the same grant, in the consent window or the system
    /// browser. Whether the wallet still accepts it is the wallet's to say
    /// on that page (an expired one says so; then cancel it).
    ///
    /// # Errors
    ///
    /// No such grant, it no longer waits, or the browser was asked for an
    /// approval whose wallet sends the person back to a loopback address
    /// (no longer listened on after a restart: the window catches it).
    pub fn reopen(self: &Arc<Self>, id: &str, in_browser: bool) -> Result<GrantView> {
        let flows = self.flows()?;
        let record = flows.grant(id)?;
        if record.state != GrantState::Pending {
            return Err(FlowError::GrantNotNow {
                state: record.state.as_str().to_owned(),
                step: GrantStep::Reopen,
            }
            .into());
        }
        if in_browser && matches!(record.finish_uri.scheme(), "http" | "https") {
            return Err(FlowError::Invalid(
                "this approval comes back to a local address that is not listened on since the \
                 restart; open it in a Consent Desk window instead"
                    .to_owned(),
            )
            .into());
        }
        self.reopened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.id.clone());
        tracing::info!(grant = %record.id, in_browser, "opening a waiting approval again");
        self.present(&record, in_browser, None)
    }

    /// "Open in my browser instead", pressed in the consent window's strip:
    /// the same consent page in the system browser. The approval goes on
    /// (the wallet sends the person back through the OS link, or this run's
    /// loopback listener); the shell then closes the window without
    /// cancelling it.
    ///
    /// # Errors
    ///
    /// No such grant, it no longer waits, or it comes back to a loopback
    /// address nobody listens on in this run (reopened after a restart).
    pub fn continue_in_browser(&self, grant_id: &str) -> Result<GrantView> {
        let flows = self.flows()?;
        let record = flows.grant(grant_id)?;
        if record.state != GrantState::Pending {
            return Err(FlowError::GrantNotNow {
                state: record.state.as_str().to_owned(),
                step: GrantStep::HandToBrowser,
            }
            .into());
        }
        let listened = self
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(grant_id);
        if matches!(record.finish_uri.scheme(), "http" | "https") && !listened {
            return Err(FlowError::Invalid(
                "this approval comes back to a local address nobody listens on since the \
                 restart; approve it in this window"
                    .to_owned(),
            )
            .into());
        }
        let redirect = record
            .redirect
            .clone()
            .ok_or(FlowError::Wallet(WalletFault::NoConsentPage))?;
        // Its link now comes from the OS, no longer through the window.
        self.in_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id);
        self.desktop.open_in_browser(&redirect);
        let grant = GrantView::of(&record);
        self.waiting_in_browser(grant.clone());
        Ok(grant)
    }
}
