//! Managing approved grants: the token kept fresh (rotated before it
//! expires, and once when the wallet calls it invalid), revoked, and the
//! budget spent so far read from the wallet.

use consent_desk_protocol::{AccessToken, Client, GrantSpentAmounts};
use url::Url;

use crate::store::GrantState;
use crate::{expiry_after, secret_account, FlowError, Flows, GrantRecord, KEYRING_SERVICE};

/// Rotate when less than this is left of a token's life.
const ROTATE_BEFORE: time::Duration = time::Duration::seconds(60);

impl Flows {
    /// Rotates a grant's access token (before it expires, or once after the
    /// wallet called it invalid): the new token goes to the keyring, the new
    /// management URI and expiry to the store. Returns the new token.
    ///
    /// # Errors
    ///
    /// The grant has no token to rotate, or the wallet refused.
    #[tracing::instrument(name = "grant.rotate", skip_all, fields(grant = %grant_id))]
    pub async fn rotate(&self, client: &Client, grant_id: &str) -> Result<AccessToken, FlowError> {
        let grant = self.approved(grant_id)?;
        let manage = manage_uri(&grant)?;
        let token = self.access_token(grant_id)?;
        let rotated = client
            .rotate_token(&consent_desk_protocol::ManageUri(manage), &token)
            .await?;
        let new = rotated.access_token;
        self.secrets.set(
            KEYRING_SERVICE,
            &secret_account(grant_id, "access"),
            new.value.secret(),
        )?;
        let expires_at = new.expires_in.and_then(expiry_after);
        self.store()
            .set_manage(grant_id, &new.manage.0, expires_at)?;
        tracing::info!("access token rotated");
        Ok(new.value)
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
            return Err(FlowError::Invalid(
                "a payment made with this grant is still being sent; wait until it settles"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    fn approved(&self, grant_id: &str) -> Result<GrantRecord, FlowError> {
        let grant = self.grant(grant_id)?;
        if grant.state != GrantState::Approved {
            return Err(FlowError::Invalid(format!(
                "this grant is {}; only an approved one has a token",
                grant.state.as_str()
            )));
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
