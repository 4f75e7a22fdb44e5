//! Managing approved grants: the token kept fresh (rotated before it
//! expires, and once when the wallet calls it invalid), revoked, and the
//! budget spent so far read from the wallet.

use std::sync::{Arc, PoisonError};

use consent_desk_protocol::{AccessToken, Client, GrantSpentAmounts};
use url::Url;

use crate::outcome::GrantOutcome;
use crate::refusal::{Busy, GrantStep};
use crate::store::GrantState;
use crate::{expiry_after, secret_account, FlowError, Flows, GrantRecord, KEYRING_SERVICE};

/// Rotate when less than this is left of a token's life.
const ROTATE_BEFORE: time::Duration = time::Duration::seconds(60);

/// How long a run may hold a grant's rotation lease (a rotation is one call
/// under the client's 30 s timeout), and how long another waits for it.
const ROTATE_LEASE: std::time::Duration = std::time::Duration::from_secs(45);

/// The token, management URI and lifetime in a rotation answer that did
/// not read as one: whatever of `access_token` can be read, if its value
/// can.
fn readable_rotation(body: &[u8]) -> Option<(AccessToken, Option<Url>, Option<u64>)> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = answer.get("access_token")?;
    let value = token
        .get("value")?
        .as_str()
        .filter(|value| !value.is_empty())?;
    let manage = token
        .get("manage")
        .and_then(serde_json::Value::as_str)
        .and_then(|uri| Url::parse(uri).ok());
    let expires_in = token.get("expires_in").and_then(serde_json::Value::as_u64);
    Some((AccessToken::new(value), manage, expires_in))
}

impl Flows {
    /// Rotates a grant's access token (before it expires, or once after the
    /// wallet called it invalid): the new token goes to the keyring, the new
    /// management URI and expiry to the store. Returns the new token.
    ///
    /// One rotation at a time per grant: in this run a lock, across runs on
    /// one store (the app and the command line) a lease in the store. A
    /// rotation that finds the token already rotated by the one it waited
    /// for uses that token: two never both present the old one.
    ///
    /// # Errors
    ///
    /// The grant has no token to rotate, or the wallet refused (the old
    /// token is then kept). When the wallet rotated but the new token could
    /// not be kept, the grant is revoked with the reason and the error says
    /// it needs a new approval.
    #[tracing::instrument(name = "grant.rotate", skip_all, fields(grant = %grant_id))]
    pub async fn rotate(&self, client: &Client, grant_id: &str) -> Result<AccessToken, FlowError> {
        let seen = self.access_token(grant_id)?;
        let lock = Arc::clone(
            self.rotations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(grant_id.to_owned())
                .or_default(),
        );
        let _one_at_a_time = lock.lock().await;
        let deadline = tokio::time::Instant::now() + ROTATE_LEASE;
        loop {
            // Rotated by the one waited for (here or in another run).
            let current = self.access_token(grant_id)?;
            if current.secret() != seen.secret() {
                return Ok(current);
            }
            let now = crate::pay::lease_until(std::time::Duration::ZERO);
            let until = crate::pay::lease_until(ROTATE_LEASE);
            if self
                .store()
                .lease_rotation(grant_id, &self.owner, now, until)?
            {
                break;
            }
            if self.approved(grant_id).is_err() || tokio::time::Instant::now() >= deadline {
                return Err(FlowError::Busy(Busy::RenewingToken));
            }
            // Another run holds it: its rotation ends in a moment.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let result = self.rotate_leased(client, grant_id, &seen).await;
        if let Err(error) = self
            .store()
            .release(crate::store::Leased::Grant, grant_id, &self.owner)
        {
            tracing::warn!(%error, "the rotation lease could not be given back; it runs out");
        }
        result
    }

    /// The rotation itself, with the grant's lease held.
    async fn rotate_leased(
        &self,
        client: &Client,
        grant_id: &str,
        token: &AccessToken,
    ) -> Result<AccessToken, FlowError> {
        let grant = self.approved(grant_id)?;
        let manage = manage_uri(&grant)?;
        let answer = client
            .rotate_token(&consent_desk_protocol::ManageUri(manage), token)
            .await;
        let (new, manage, expires_in) = match answer {
            Ok(rotated) => {
                let new = rotated.access_token;
                (new.value, Some(new.manage.0), new.expires_in)
            }
            // Rotated, but the answer does not read as a rotation: the old
            // token is gone at the wallet, so the new one is kept if its
            // value can be read at all.
            Err(consent_desk_protocol::Error::InvalidResponse { body, reason, .. }) => {
                match readable_rotation(&body.0) {
                    Some(found) => {
                        tracing::warn!(%reason, "rotation answer read in part; its token kept");
                        found
                    }
                    None => {
                        let outcome = GrantOutcome::TokenLost {
                            reason: format!(
                                "its answer could not be read ({reason}), so the new token is \
                                 not known here"
                            ),
                            revoked: false,
                        };
                        return Err(self.token_lost(&grant, &outcome));
                    }
                }
            }
            Err(error) => return Err(error.into()),
        };
        // The new token first: nothing else matters if it is lost.
        if let Err(error) = self.secrets.set(
            KEYRING_SERVICE,
            &secret_account(grant_id, "access"),
            new.secret(),
        ) {
            // The wallet rotated, so the old token is dead too. The new one
            // is revoked rather than left alive with nobody holding it.
            let revoked = match &manage {
                Some(manage) => client
                    .revoke_token(&consent_desk_protocol::ManageUri(manage.clone()), &new)
                    .await
                    .is_ok(),
                None => false,
            };
            let outcome = GrantOutcome::TokenLost {
                reason: format!("the system keyring would not keep the new one ({error})"),
                revoked,
            };
            return Err(self.token_lost(&grant, &outcome));
        }
        let expires_at = expires_in.and_then(expiry_after);
        match manage {
            Some(manage) => self.store().set_manage(grant_id, &manage, expires_at)?,
            None => tracing::warn!("no management URI in the rotation answer; the old one kept"),
        }
        tracing::info!("access token rotated");
        Ok(new)
    }

    /// Records that a grant lost its token (see [`GrantOutcome::TokenLost`]):
    /// revoked, with the reason; the error says so.
    fn token_lost(&self, grant: &GrantRecord, outcome: &GrantOutcome) -> FlowError {
        tracing::error!(outcome = %outcome, "the rotated access token was lost");
        let words = crate::words::grant_outcome(outcome);
        if let Err(error) = self.store().finish(
            &grant.id,
            GrantState::Revoked,
            Some(outcome),
            grant.access.as_deref(),
            None,
            None,
        ) {
            return FlowError::Invalid(format!(
                "{words} (The grant's record could not be updated: {error}.)"
            ));
        }
        let _ = self
            .secrets
            .delete(KEYRING_SERVICE, &secret_account(&grant.id, "access"));
        FlowError::Invalid(words)
    }

    /// The grant's access token, rotated first when it expires within a
    /// minute (or has expired).
    ///
    /// # Errors
    ///
    /// No token is stored, or the rotation failed.
    pub async fn usable_token(
        &self,
        client: &Client,
        grant_id: &str,
    ) -> Result<AccessToken, FlowError> {
        let grant = self.approved(grant_id)?;
        let expiring = grant
            .expires_at
            .is_some_and(|at| at - time::OffsetDateTime::now_utc() < ROTATE_BEFORE);
        if expiring {
            return self.rotate(client, grant_id).await;
        }
        self.access_token(grant_id)
    }

    /// Revokes the grant's access token at the wallet (`DELETE` on its
    /// management URI) and forgets it: the grant allows nothing more.
    ///
    /// # Errors
    ///
    /// The grant has no token, or the wallet refused.
    #[tracing::instrument(name = "grant.revoke", skip_all, fields(grant = %grant_id))]
    pub async fn revoke(&self, client: &Client, grant_id: &str) -> Result<GrantRecord, FlowError> {
        let grant = self.approved(grant_id)?;
        self.no_payment_in_flight(grant_id)?;
        let manage = manage_uri(&grant)?;
        let token = self.access_token(grant_id)?;
        client
            .revoke_token(&consent_desk_protocol::ManageUri(manage), &token)
            .await?;
        self.store().set_state(grant_id, GrantState::Revoked)?;
        let _ = self
            .secrets
            .delete(KEYRING_SERVICE, &secret_account(grant_id, "access"));
        tracing::info!("access token revoked");
        self.grant(grant_id)
    }

    /// What the grant has spent so far (this interval's, for a recurring
    /// one), from the wallet's `GET outgoing-payment-grant`.
    ///
    /// # Errors
    ///
    /// The grant is not approved, or the wallet could not be asked.
    #[tracing::instrument(name = "grant.spent", skip_all, fields(grant = %grant_id))]
    pub async fn spent(
        &self,
        client: &Client,
        grant_id: &str,
    ) -> Result<GrantSpentAmounts, FlowError> {
        let grant = self.approved(grant_id)?;
        let wallet = client.wallet_address(&grant.wallet).await?;
        let mut token = self.usable_token(client, grant_id).await?;
        let mut answer = client
            .outgoing_payment_grant(&wallet.resource_server, &token)
            .await;
        if matches!(&answer, Err(error) if error.needs_token_rotation()) {
            token = self.rotate(client, grant_id).await?;
            answer = client
                .outgoing_payment_grant(&wallet.resource_server, &token)
                .await;
        }
        Ok(answer?)
    }

    /// Grants, newest first: `limit` of them from `offset`.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn grants_page(&self, limit: usize, offset: usize) -> Result<Vec<GrantRecord>, FlowError> {
        Ok(self.store().page(limit, offset)?)
    }

    /// Grants in `state`, newest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn grants_in(&self, state: GrantState) -> Result<Vec<GrantRecord>, FlowError> {
        Ok(self.store().in_state(state)?)
    }

    /// Refuses while a payment made with the grant is being sent, or settles
    /// and only this grant's token can follow it: without the token it could
    /// not be followed to its end. A payment the grant cannot read (no
    /// `read`), or one followed at the receiver's incoming payment Consent
    /// Desk created, never holds the grant.
    pub(crate) fn no_payment_in_flight(&self, grant_id: &str) -> Result<(), FlowError> {
        let grant = self.grant(grant_id)?;
        let reads = crate::pay::outgoing_access(&grant)
            .is_some_and(|(actions, _)| crate::pay::can_read(&actions));
        let busy = self
            .payments_with_grant(grant_id)?
            .into_iter()
            .any(|p| match p.state {
                crate::PaymentState::Sending => true,
                crate::PaymentState::Sent => reads && p.receiver_wallet.is_none(),
                _ => false,
            });
        if busy {
            return Err(FlowError::Busy(Busy::PaymentInFlight));
        }
        Ok(())
    }

    fn approved(&self, grant_id: &str) -> Result<GrantRecord, FlowError> {
        let grant = self.grant(grant_id)?;
        if grant.state != GrantState::Approved {
            return Err(FlowError::GrantNotNow {
                state: grant.state.as_str().to_owned(),
                step: GrantStep::UseToken,
            });
        }
        Ok(grant)
    }
}

fn manage_uri(grant: &GrantRecord) -> Result<Url, FlowError> {
    grant
        .manage_uri
        .clone()
        .ok_or_else(|| FlowError::Invalid("this grant has no token to manage".to_owned()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;

    use axum::routing::post;
    use consent_desk_identity::{KeyringError, MemoryBackend, SecretBackend};
    use consent_desk_protocol::{KeyId, SigningKey};
    use zeroize::Zeroizing;

    use super::*;

    /// How the stand-in wallet answers a rotation.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Answer {
        /// A new token, as the spec says.
        Rotated,
        /// A new token in an answer that does not read as a rotation.
        Garbled,
        /// Not JSON at all (a proxy's page): the new token cannot be read.
        Unreadable,
        /// 401: the wallet refused; nothing rotated.
        Refused,
    }

    /// A stand-in authorization server's token management endpoint, counting
    /// what reached it.
    #[derive(Debug)]
    struct Wallet {
        answer: Mutex<Answer>,
        rotations: AtomicUsize,
        revocations: AtomicUsize,
        /// The token each rotation presented.
        presented: Mutex<Vec<String>>,
        base: Mutex<String>,
    }

    async fn wallet() -> Arc<Wallet> {
        let wallet = Arc::new(Wallet {
            answer: Mutex::new(Answer::Rotated),
            rotations: AtomicUsize::new(0),
            revocations: AtomicUsize::new(0),
            presented: Mutex::new(Vec::new()),
            base: Mutex::new(String::new()),
        });
        let rotate =
            {
                let wallet = Arc::clone(&wallet);
                move |headers: axum::http::HeaderMap| {
                    let wallet = Arc::clone(&wallet);
                    async move {
                        let n = wallet.rotations.fetch_add(1, Ordering::SeqCst) + 1;
                        let presented = headers["authorization"].to_str().unwrap().to_owned();
                        wallet.presented.lock().unwrap().push(presented);
                        // Slow enough that a second rotation would overlap.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        let manage = format!("{}/token/{n}", wallet.base.lock().unwrap());
                        let value = format!("new-{n}");
                        let answer = *wallet.answer.lock().unwrap();
                        let (status, body) = match answer {
                        Answer::Rotated => (200, serde_json::json!({"access_token": {
                            "value": value, "manage": manage, "expires_in": 600, "access": []
                        }}).to_string()),
                        Answer::Garbled => (200, serde_json::json!({"access_token": {
                            "value": value, "manage": manage, "access": "everything"
                        }}).to_string()),
                        Answer::Unreadable => (200, "<html>Gateway says hi</html>".to_owned()),
                        Answer::Refused => (401, serde_json::json!({"error": {
                            "code": "invalid_rotation", "description": "no"
                        }}).to_string()),
                    };
                        (
                            axum::http::StatusCode::from_u16(status).unwrap(),
                            [("content-type", "application/json")],
                            body,
                        )
                    }
                }
            };
        let revoke = {
            let wallet = Arc::clone(&wallet);
            move || {
                let wallet = Arc::clone(&wallet);
                async move {
                    wallet.revocations.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        };
        let app = axum::Router::new().route("/token/{n}", post(rotate).delete(revoke));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        *wallet.base.lock().unwrap() = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        wallet
    }

    /// A keyring whose writes of access tokens fail once told to.
    #[derive(Debug, Default)]
    struct FailingWrites {
        inner: MemoryBackend,
        fail: AtomicBool,
    }

    impl SecretBackend for FailingWrites {
        fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
            if self.fail.load(Ordering::SeqCst) && account.ends_with(":access") {
                return Err(KeyringError::Locked {
                    detail: "the collection is locked".into(),
                });
            }
            self.inner.set(service, account, secret)
        }
        fn get(&self, service: &str, account: &str) -> Result<Zeroizing<String>, KeyringError> {
            self.inner.get(service, account)
        }
        fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError> {
            self.inner.delete(service, account)
        }
    }

    fn client() -> Client {
        Client::builder()
            .key(SigningKey::generate(), KeyId::new("t").unwrap())
            .client_wallet("http://127.0.0.1:9/desk")
            .allow_http_loopback(true)
            .build()
            .unwrap()
    }

    /// Flows on `path` with an approved grant `g` whose token is `old-1`
    /// (kept in `secrets`) and managed at `wallet`.
    fn flows_on(path: &std::path::Path, wallet: &Wallet, secrets: Arc<dyn SecretBackend>) -> Flows {
        let flows = Flows::open(path, Arc::clone(&secrets)).unwrap();
        if flows.get("g").unwrap().is_none() {
            let url = |text: &str| Url::parse(text).unwrap();
            let at = time::OffsetDateTime::now_utc();
            flows
                .store()
                .insert(&GrantRecord {
                    id: "g".into(),
                    profile: "p".into(),
                    wallet: url("https://w.example/alice"),
                    auth_server: url("https://w.example/auth"),
                    request: serde_json::from_value(serde_json::json!({
                        "access_token": {"access": []}, "client": "https://w.example/desk",
                    }))
                    .unwrap(),
                    finish_uri: url("dev.consentdesk:/finish/g"),
                    client_nonce: "n".into(),
                    server_nonce: None,
                    redirect: None,
                    continue_uri: None,
                    continue_wait: None,
                    state: GrantState::Approved,
                    outcome: None,
                    access: Some(Vec::new()),
                    manage_uri: Some(url(&format!("{}/token/0", wallet.base.lock().unwrap()))),
                    expires_at: None,
                    created_at: at,
                    updated_at: at,
                })
                .unwrap();
            secrets
                .set(KEYRING_SERVICE, &secret_account("g", "access"), "old-1")
                .unwrap();
        }
        flows
    }

    fn setup(wallet: &Wallet) -> (tempfile::TempDir, Arc<FailingWrites>, Flows) {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(FailingWrites::default());
        let flows = flows_on(&dir.path().join("grants.sqlite3"), wallet, secrets.clone());
        (dir, secrets, flows)
    }

    fn kept(flows: &Flows) -> String {
        flows.access_token("g").unwrap().secret().to_owned()
    }

    #[tokio::test]
    async fn two_rotations_at_once_present_the_old_token_once() {
        let wallet = wallet().await;
        let (_dir, _secrets, flows) = setup(&wallet);
        let client = client();
        let (a, b) = tokio::join!(flows.rotate(&client, "g"), flows.rotate(&client, "g"));
        assert_eq!(wallet.rotations.load(Ordering::SeqCst), 1);
        assert_eq!(a.unwrap().secret(), "new-1");
        assert_eq!(b.unwrap().secret(), "new-1");
        assert_eq!(kept(&flows), "new-1");
        assert!(flows
            .grant("g")
            .unwrap()
            .manage_uri
            .unwrap()
            .path()
            .ends_with("/token/1"));
    }

    #[tokio::test]
    async fn two_runs_on_one_store_rotating_at_once_present_the_old_token_once() {
        let wallet = wallet().await;
        let (dir, secrets, one) = setup(&wallet);
        // The app and the command line: one file, one keyring.
        let other = flows_on(&dir.path().join("grants.sqlite3"), &wallet, secrets.clone());
        let client = client();
        let (a, b) = tokio::join!(one.rotate(&client, "g"), other.rotate(&client, "g"));
        assert_eq!(
            wallet.presented.lock().unwrap().as_slice(),
            ["GNAP old-1"],
            "only one rotation reached the wallet"
        );
        assert_eq!(a.unwrap().secret(), "new-1");
        assert_eq!(b.unwrap().secret(), "new-1");
        // The lease was given back: the next rotation goes ahead.
        assert_eq!(other.rotate(&client, "g").await.unwrap().secret(), "new-2");
        assert_eq!(wallet.presented.lock().unwrap()[1], "GNAP new-1");
    }

    #[tokio::test]
    async fn a_refused_rotation_keeps_the_old_token_and_the_grant() {
        let wallet = wallet().await;
        let (_dir, _secrets, flows) = setup(&wallet);
        *wallet.answer.lock().unwrap() = Answer::Refused;
        let error = flows.rotate(&client(), "g").await.unwrap_err();
        assert!(matches!(error, FlowError::Protocol(_)), "{error:?}");
        assert_eq!(kept(&flows), "old-1");
        let grant = flows.grant("g").unwrap();
        assert_eq!(grant.state, GrantState::Approved);
        assert!(grant.manage_uri.unwrap().path().ends_with("/token/0"));
    }

    #[tokio::test]
    async fn a_rotation_answer_that_does_not_read_keeps_its_token() {
        let wallet = wallet().await;
        let (_dir, _secrets, flows) = setup(&wallet);
        *wallet.answer.lock().unwrap() = Answer::Garbled;
        let token = flows.rotate(&client(), "g").await.unwrap();
        assert_eq!(token.secret(), "new-1");
        assert_eq!(kept(&flows), "new-1");
        let grant = flows.grant("g").unwrap();
        assert_eq!(grant.state, GrantState::Approved);
        assert!(grant.manage_uri.unwrap().path().ends_with("/token/1"));
    }

    #[tokio::test]
    async fn a_rotation_answer_with_no_readable_token_says_the_grant_needs_a_new_approval() {
        let wallet = wallet().await;
        let (_dir, _secrets, flows) = setup(&wallet);
        *wallet.answer.lock().unwrap() = Answer::Unreadable;
        let error = flows.rotate(&client(), "g").await.unwrap_err().to_string();
        assert!(error.contains("could not be read"), "{error}");
        assert!(error.contains("approve a new one"), "{error}");
        let grant = flows.grant("g").unwrap();
        assert_eq!(grant.state, GrantState::Revoked);
        assert!(
            matches!(
                grant.outcome,
                Some(GrantOutcome::TokenLost { revoked: false, .. })
            ),
            "{:?}",
            grant.outcome
        );
    }

    #[tokio::test]
    async fn a_keyring_that_fails_after_the_wallet_rotated_is_said_and_the_new_token_revoked() {
        let wallet = wallet().await;
        let (_dir, secrets, flows) = setup(&wallet);
        secrets.fail.store(true, Ordering::SeqCst);
        let error = flows.rotate(&client(), "g").await.unwrap_err().to_string();
        assert_eq!(wallet.rotations.load(Ordering::SeqCst), 1);
        assert!(
            error.contains("renewed this grant's access token"),
            "{error}"
        );
        assert!(error.contains("the collection is locked"), "{error}");
        assert!(error.contains("revoked at your wallet"), "{error}");
        assert_eq!(wallet.revocations.load(Ordering::SeqCst), 1);
        let grant = flows.grant("g").unwrap();
        assert_eq!(grant.state, GrantState::Revoked);
        assert_eq!(grant.outcome.unwrap().code(), Some("token_lost"));
    }
}
