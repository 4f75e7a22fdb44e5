//! Approvals no run is completing any more, taken up again: a grant left
//! `finishing` by a run that stopped (a kill, a crash) while it continued
//! the grant at the wallet, and a wallet asking to wait longer than the app
//! waits. Neither is left as it is: the grant is completed if the wallet
//! still can, or ended as the wallet says, with words that say what
//! happened.

use std::time::Duration;

use consent_desk_identity::KEYRING_SERVICE;
use consent_desk_protocol::{ApprovedGrant, Client, GrantResponse, InteractRef};

use crate::outcome::GrantOutcome;
use crate::store::{timestamp, GrantState};
use crate::{expiry_after, secret_account, Completed, FlowError, Flows, GrantRecord};

/// The longest `continue.wait` the app honours. A wallet asking for more
/// (`wait: 100000000` would park the approval for years) is treated as a
/// wallet that did not answer in time.
pub(crate) const MAX_CONTINUE_WAIT: Duration = Duration::from_secs(5 * 60);

/// How long past its `wait` a `finishing` grant belongs to the run that
/// claimed it: longer than a continuation takes (the client's timeout is
/// 30 s, a `too_fast` retry or two), so a live run is never overtaken.
const FINISH_LEASE: Duration = Duration::from_secs(90);

/// How long a run that claimed a grant to continue it owns it: its `wait`
/// (at most [`MAX_CONTINUE_WAIT`]) and [`FINISH_LEASE`].
pub(crate) fn finish_lease(wait: Option<u64>) -> Duration {
    wait.map_or(Duration::ZERO, Duration::from_secs)
        .min(MAX_CONTINUE_WAIT)
        + FINISH_LEASE
}

/// Whether the run holding a lease (`<process id>/<run id>`, see
/// `Flows::owner`) has ended: its process is gone (or a zombie) on this
/// computer. Another run in this process, or an owner this cannot tell
/// about (another system, an older store's), counts as alive: its lease
/// then runs out by time.
pub(crate) fn owner_gone(owner: &str) -> bool {
    let Some(pid) = owner
        .split_once('/')
        .and_then(|(pid, _)| pid.parse::<u32>().ok())
    else {
        return false;
    };
    if pid == std::process::id() || !cfg!(target_os = "linux") {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (name) S …`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(error) => error.kind() == std::io::ErrorKind::NotFound,
    }
}

/// The keyring account of a grant's `interact_ref` while it is finishing,
/// so that a run that stopped before the wallet answered can continue again.
fn interact_account(id: &str) -> String {
    secret_account(id, "interact")
}

/// A number of seconds as people say it: "45 seconds", "5 minutes",
/// "3 years".
pub(crate) fn duration_words(seconds: u64) -> String {
    let (count, unit) = match seconds {
        0..=119 => (seconds, "second"),
        120..=7_199 => (seconds / 60, "minute"),
        7_200..=172_799 => (seconds / 3_600, "hour"),
        172_800..=63_071_999 => (seconds / 86_400, "day"),
        _ => (seconds / 31_536_000, "year"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// Whether a failed call may not have reached the wallet, or its answer
/// was lost: trying again later can tell.
fn unanswered(error: &consent_desk_protocol::Error) -> bool {
    error.is_timeout()
        || matches!(error, consent_desk_protocol::Error::Network { .. })
        || error.status().is_some_and(|status| status >= 500)
}

impl Flows {
    /// Keeps the `interact_ref` of a grant being continued (see
    /// [`take_up_finishing`](Self::take_up_finishing)). Best effort: without
    /// it a stopped run's grant is ended rather than continued again.
    pub(crate) fn keep_interact_ref(&self, id: &str, interact_ref: &InteractRef) {
        if let Err(error) = self.secrets.set(
            KEYRING_SERVICE,
            &interact_account(id),
            interact_ref.as_str(),
        ) {
            tracing::warn!(grant = %id, %error, "the interaction reference could not be kept");
        }
    }

    /// Forgets a grant's `interact_ref` once it ended.
    pub(crate) fn forget_interact_ref(&self, id: &str) {
        let _ = self.secrets.delete(KEYRING_SERVICE, &interact_account(id));
    }

    /// A grant whose wallet asked to wait more than [`MAX_CONTINUE_WAIT`]
    /// before continuing: given up as a wallet that did not answer in time,
    /// and cancelled at the wallet so that it does not stay open there.
    pub(crate) async fn wait_too_long(
        &self,
        client: &Client,
        record: &GrantRecord,
        seconds: u64,
    ) -> Result<Completed, FlowError> {
        tracing::warn!(grant = %record.id, seconds, "the wallet asked to wait too long");
        let cancelled = self.cancel_quietly(client, record).await;
        let outcome = GrantOutcome::WaitTooLong { seconds, cancelled };
        self.end_finishing(record, &outcome)
    }

    /// Grants left `finishing`, oldest first (for a start to take up).
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn finishing_grants(&self) -> Result<Vec<GrantRecord>, FlowError> {
        Ok(self.store().finishing()?)
    }

    /// Takes up grant `id` if a run left it `finishing` (it claimed it longer
    /// ago than a continuation takes, or its process is gone): continues it again with
    /// the finish link's reference when the wallet still takes it, and
    /// otherwise ends it as the wallet says (cancelled there when it can
    /// be). `Ok(None)` when there is nothing to take up: it is not
    /// `finishing`, or a live run is completing it.
    ///
    /// # Errors
    ///
    /// The wallet could not be reached or did not answer (the grant stays
    /// `finishing`, taken up again next time), or the store or keyring
    /// failed.
    #[tracing::instrument(name = "flow.take_up", skip_all, fields(grant = %id))]
    pub async fn take_up_finishing(
        &self,
        client: &Client,
        id: &str,
    ) -> Result<Option<Completed>, FlowError> {
        self.take_up_finishing_with(client, id, None).await
    }

    /// [`take_up_finishing`](Self::take_up_finishing) with the reference of
    /// the approval's own link, verified by the caller (a link opened
    /// again), used when none was kept.
    pub(crate) async fn take_up_finishing_with(
        &self,
        client: &Client,
        id: &str,
        reference: Option<&InteractRef>,
    ) -> Result<Option<Completed>, FlowError> {
        let record = self.grant(id)?;
        if record.state != GrantState::Finishing {
            return Ok(None);
        }
        let lease = finish_lease(record.continue_wait);
        let ran_out = timestamp() - record.updated_at
            >= time::Duration::try_from(lease).unwrap_or(time::Duration::MAX);
        // A holder killed a moment ago need not be waited for.
        let holder_gone = self
            .store()
            .lease_owner(crate::store::Leased::Grant, id)?
            .is_some_and(|owner| owner != self.owner && owner_gone(&owner));
        if !ran_out && !holder_gone {
            return Ok(None);
        }
        // Of two runs taking it up together, one does.
        let until = crate::pay::lease_until(lease);
        if !self
            .store()
            .take_up_finishing(id, record.updated_at, &self.owner, until)?
        {
            return Ok(None);
        }
        tracing::info!("taking up an approval a stopped run left finishing");
        let mut continuation = self.continuation(&record)?;
        // Its wait passed long ago.
        continuation.wait = None;
        let kept = self
            .secrets
            .get(KEYRING_SERVICE, &interact_account(id))
            .map(|kept| InteractRef::new(kept.as_str()));
        let answer = match (reference, kept) {
            (Some(reference), _) => Some(client.continue_grant(&continuation, reference).await),
            (None, Ok(kept)) => Some(client.continue_grant(&continuation, &kept).await),
            (None, Err(error)) => {
                tracing::info!(%error, "no interaction reference kept: cannot continue again");
                None
            }
        };
        let proof = record.request.is_proof();
        match answer {
            Some(Ok(GrantResponse::Approved(approved))) if !proof => {
                self.keep_approved(&record, &approved)?;
                tracing::info!("grant approved and continued on taking it up");
                Ok(Some(Completed::Approved(self.grant(id)?)))
            }
            Some(Ok(GrantResponse::Subject(proved))) if proof => {
                self.proved(&record, &proved).map(Some)
            }
            // Unknown whether it got there: stays `finishing` (its lease
            // runs from now), to be taken up again.
            Some(Err(error)) if unanswered(&error) => Err(error.into()),
            // The wallet will not continue it (its answer to the stopped run
            // was lost, or the reference was used), or nothing to continue
            // with: ended, and cancelled at the wallet when it can be.
            _ => {
                let cancelled = self.cancel_quietly(client, &record).await;
                let outcome = GrantOutcome::Interrupted { cancelled };
                self.end_finishing(&record, &outcome).map(Some)
            }
        }
    }

    /// Cancels a grant at the wallet, saying only whether it could.
    async fn cancel_quietly(&self, client: &Client, record: &GrantRecord) -> bool {
        let Ok(continuation) = self.continuation(record) else {
            return false;
        };
        match client.cancel_grant(&continuation).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(grant = %record.id, %error, "the grant could not be cancelled at the wallet");
                false
            }
        }
    }

    /// Ends a grant that was being completed as failed with `outcome`, its
    /// continuation secrets forgotten.
    fn end_finishing(
        &self,
        record: &GrantRecord,
        outcome: &GrantOutcome,
    ) -> Result<Completed, FlowError> {
        let id = &record.id;
        self.store()
            .finish(id, GrantState::Failed, Some(outcome), None, None, None)?;
        for kind in ["continue", "access"] {
            let _ = self
                .secrets
                .delete(KEYRING_SERVICE, &secret_account(id, kind));
        }
        self.forget_interact_ref(id);
        Ok(Completed::NotApproved(self.grant(id)?))
    }

    /// Keeps what an approving continuation answered: the tokens in the
    /// keyring (the continuation too: what cancels the grant later), the
    /// rest in the store, and forgets the interaction reference.
    pub(crate) fn keep_approved(
        &self,
        record: &GrantRecord,
        approved: &ApprovedGrant,
    ) -> Result<(), FlowError> {
        let id = &record.id;
        self.secrets.set(
            KEYRING_SERVICE,
            &secret_account(id, "access"),
            approved.access_token.value.secret(),
        )?;
        self.secrets.set(
            KEYRING_SERVICE,
            &secret_account(id, "continue"),
            approved.continue_.access_token.value.secret(),
        )?;
        self.store()
            .set_continue_uri(id, &approved.continue_.uri.0)?;
        let expires_at = approved.access_token.expires_in.and_then(expiry_after);
        self.store().finish(
            id,
            GrantState::Approved,
            None,
            Some(&approved.access_token.access),
            Some(&approved.access_token.manage.0),
            expires_at,
        )?;
        self.forget_interact_ref(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_holder_is_gone_once_its_process_is() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let holder = format!("{}/run", child.id());
        assert!(!owner_gone(&holder), "a live process holds its lease");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(owner_gone(&holder), "a killed one does not");
        // This process (another run in it), and owners it cannot tell about.
        assert!(!owner_gone(&format!("{}/other-run", std::process::id())));
        assert!(!owner_gone("0b7e6a52-8c1d-4c4f-9d8e-2f3a4b5c6d7e"));
        assert!(!owner_gone("crashed"));
    }

    #[test]
    fn waits_are_said_in_the_unit_people_use() {
        assert_eq!(duration_words(1), "1 second");
        assert_eq!(duration_words(45), "45 seconds");
        assert_eq!(duration_words(MAX_CONTINUE_WAIT.as_secs()), "5 minutes");
        assert_eq!(duration_words(7_200), "2 hours");
        assert_eq!(duration_words(100_000_000), "3 years");
    }
}
