//! Consent Desk's grant flow, with no GUI dependencies: request an
//! outgoing-payment grant, keep it pending, and complete it from whichever
//! finish path brings the person back — embedded webview, OS deep link or a
//! loopback listener — through one routine, [`Flows::complete`].
//!
//! Each grant gets its own finish URI ending in `/finish/<grant id>`, so a
//! finish is matched to its grant by that id, never to "the latest grant".
//! The hash is verified before anything is sent; a finish for no pending
//! grant, with a bad hash, or arriving a second time is refused and the
//! pending grant is left as it was. A failure link (`?result=…`, no hash by
//! spec) ends a grant only once the wallet confirms it is over or the grant
//! is cancelled there, so both ends agree ([`FlowError::FailureUnconfirmed`]
//! when the wallet cannot be reached), and a caller waiting for
//! one grant takes no other's link ([`Flows::complete_for`]). Continuation
//! and access tokens go to the keyring; the grant file holds no bearer
//! token.
//!
//! ```no_run
//! # async fn run(client: consent_desk_protocol::Client, flows: consent_desk_engine::Flows)
//! # -> Result<(), consent_desk_engine::FlowError> {
//! use consent_desk_engine::{FinishVia, GrantSpec};
//!
//! let spec = GrantSpec::parse("http://127.0.0.1:4455/alice", Some("1320"), None, None, None)?;
//! let pending = flows.request(&client, "sandbox", &spec, FinishVia::DeepLink).await?;
//! println!("approve at {}", pending.redirect.map(String::from).unwrap_or_default());
//! // … the OS hands the app dev.consentdesk:/finish/<id>?hash=…&interact_ref=… :
//! let outcome = flows.complete("dev.consentdesk:/finish/…", move |_profile| Ok(client)).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod activity;
pub mod desktop;
mod engine;
pub mod error;
#[doc(hidden)]
pub mod history;
pub mod keys;
pub mod loopback;
mod manage;
pub mod notices;
pub mod outcome;
pub mod pay;
mod recover;
pub mod refusal;
pub mod sandbox;
mod store;
pub mod views;
pub mod words;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use consent_desk_identity::{KeyringError, SecretBackend, KEYRING_SERVICE};
use consent_desk_protocol::{
    verify_finish, Amount, Client, ContinueAccessToken, ContinueToken, ContinueUri, FinishError,
    FinishOutcome, FinishRedirect, GrantRequest, GrantResponse, Nonce, OutgoingPaymentAction,
    RepeatingInterval,
};
use url::Url;

pub use crate::desktop::Desktop;
pub use crate::engine::{Engine, Finished, Sent};
pub use crate::error::{Error, ErrorCode, IpcError};
pub use crate::outcome::{GrantAsk, GrantOutcome, PaymentProblem, WalletCode};
pub use crate::pay::{PayAmount, PayRequest, PaymentRecord, PaymentState};
pub use crate::refusal::{Busy, GrantStep, Missing, PaymentStep, WalletFault};
pub use crate::store::{rfc3339, GrantRecord, GrantState, StoreError, UnreadableRow};
use crate::store::{timestamp, Store};

/// The URI scheme wallets send the person back to (deep links).
pub const LINK_SCHEME: &str = "dev.consentdesk";
/// The grants file in the data folder.
pub const GRANTS_FILE: &str = "grants.sqlite3";

/// How the wallet sends the person back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishVia {
    /// `dev.consentdesk:/finish/<id>`: the OS hands it to the app (also what
    /// the embedded consent window intercepts).
    DeepLink,
    /// `http://127.0.0.1:<port>/finish/<id>` (RFC 8252 §7.3), for wallets that
    /// refuse custom schemes.
    Loopback {
        /// The listener's port.
        port: u16,
    },
}

impl FinishVia {
    /// The finish URI of grant `id`.
    #[must_use]
    pub fn uri(self, id: &str) -> Url {
        let text = match self {
            Self::DeepLink => format!("{LINK_SCHEME}:/finish/{id}"),
            Self::Loopback { port } => format!("http://127.0.0.1:{port}/finish/{id}"),
        };
        Url::parse(&text).expect("finish URIs are valid URLs")
    }
}

/// The grant id in a finish URL (`…/finish/<id>?…`), if it is one of ours.
#[must_use]
pub fn grant_id_of(finish_url: &str) -> Option<String> {
    let url = Url::parse(finish_url).ok()?;
    let ours = match url.scheme() {
        LINK_SCHEME => true,
        "http" => url.host_str() == Some("127.0.0.1"),
        _ => false,
    };
    let mut segments = url.path().trim_start_matches('/').split('/');
    match (ours, segments.next(), segments.next(), segments.next()) {
        (true, Some("finish"), Some(id), None) if !id.is_empty() => Some(id.to_owned()),
        _ => None,
    }
}

/// What to ask for.
#[derive(Debug, Clone)]
pub struct GrantSpec {
    /// The sending wallet address (the resource owner's).
    pub wallet: Url,
    /// `debitAmount` value, in the wallet's smallest unit.
    pub debit: Option<u64>,
    /// `receiveAmount` value, in the wallet's smallest unit.
    pub receive: Option<u64>,
    /// The only incoming payment it may pay.
    pub receiver: Option<Url>,
    /// A budget that renews.
    pub interval: Option<RepeatingInterval>,
    /// Actions; the seed's defaults when `None`.
    pub actions: Option<Vec<OutgoingPaymentAction>>,
}

impl GrantSpec {
    /// From command-line text: amounts as whole smallest units ("1320" is
    /// $13.20 in a USD/2 wallet), at most one of them.
    ///
    /// # Errors
    ///
    /// [`FlowError::Invalid`] naming the value that is wrong.
    pub fn parse(
        wallet: &str,
        debit: Option<&str>,
        receive: Option<&str>,
        receiver: Option<&str>,
        interval: Option<&str>,
    ) -> Result<Self, FlowError> {
        let invalid = |what: String| FlowError::Amount(what);
        let amount = |text: Option<&str>, name: &str| {
            text.map(|text| match Amount::parse_value(text) {
                // A zero limit is a grant that can pay nothing.
                Ok(0) => Err(invalid(format!(
                    "{name} must be more than zero, such as 1250 (12.50 at scale 2)"
                ))),
                Ok(value) => Ok(value),
                Err(error) => Err(invalid(format!("{name}: {error}"))),
            })
            .transpose()
        };
        let spec = Self {
            wallet: typed_url(wallet, "the wallet address")?,
            debit: amount(debit, "the debit amount")?,
            receive: amount(receive, "the receive amount")?,
            receiver: receiver
                .map(|text| typed_url(text, "the receiver"))
                .transpose()?,
            interval: interval
                .map(|text| {
                    RepeatingInterval::parse(text)
                        .map_err(|error| FlowError::Interval(error.to_string()))
                })
                .transpose()?,
            actions: None,
        };
        if spec.debit.is_some() && spec.receive.is_some() {
            return Err(invalid(
                "give a debit amount or a receive amount, not both".to_owned(),
            ));
        }
        Ok(spec)
    }
}

/// A wallet address or payment URL as typed (`https://…` or a payment
/// pointer, `$wallet.example/alice`), read the one way the app reads them.
/// Plain http passes only for this machine; the client refuses it unless the
/// profile allows loopback.
///
/// # Errors
///
/// [`FlowError::Invalid`] saying what is wrong with it.
pub fn typed_url(text: &str, what: &str) -> Result<Url, FlowError> {
    consent_desk_identity::wallet::parse_wallet_url(text, true).map_err(|error| {
        FlowError::Address {
            what: what.to_owned(),
            error,
        }
    })
}

/// Why a flow step failed. The ones marked as refusals may be an attack:
/// the pending grant is left intact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// A value is wrong.
    #[error("{0}")]
    Invalid(String),
    /// An amount the person typed cannot be used (the sentence says which
    /// and why): screens show it at the amount field.
    #[error("{0}")]
    Amount(String),
    /// A repeating interval the person typed cannot be read: screens show it
    /// at the interval field.
    #[error("{0}")]
    Interval(String),
    /// The finish link names no grant this app is waiting for.
    #[error(
        "a finish link arrived that belongs to no approval this app is waiting for; it was \
         refused (if you did not just approve something, someone may be trying to trick the app)"
    )]
    UnknownFinish,
    /// The grant was already completed or cancelled.
    #[error("this approval was already {state}; the second finish link was refused")]
    AlreadyUsed {
        /// What became of it.
        state: String,
    },
    /// A failure link (`?result=…`, which carries no hash) the wallet did
    /// not confirm: nothing changed, the approval still waits. Anyone who
    /// can name a grant can make such a link.
    #[error(
        "a link came back saying this approval ended ({result}), but your wallet does not \
         confirm it, so nothing changed: the approval is still open (approve it at your wallet, \
         or cancel it)"
    )]
    FailureUnconfirmed {
        /// The `result` code the link carried.
        result: String,
    },
    /// The finish link did not verify.
    #[error(
        "the finish link did not come from your wallet for this approval ({0}); it was refused \
         and the approval is still waiting"
    )]
    Refused(#[from] FinishError),
    /// The wallet or the network.
    #[error(transparent)]
    Protocol(#[from] consent_desk_protocol::Error),
    /// The grant store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The keyring.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// The caller could not provide a client for the grant's profile.
    #[error("{0}")]
    Client(String),
    /// The quote expired before the payment was sent: get a new one and
    /// confirm it.
    #[error(
        "the quote expired before the payment was sent; get a new quote and confirm it \
         (nothing was paid)"
    )]
    QuoteExpired,
    /// A resumed send the wallet refused again: the first try, whose answer
    /// was lost, may have made the payment, and it cannot be confirmed. The
    /// payment stays `sending`; never pay it again.
    #[error("{0}")]
    Unconfirmed(String),
    /// A step on a payment its state does not allow (sending one already
    /// settled, stopping one already sent, …).
    #[error("this payment is {}; {}", state.as_str(), step.refusal())]
    PaymentNotNow {
        /// Its state.
        state: PaymentState,
        /// What was asked.
        step: PaymentStep,
    },
    /// A step on a grant its state does not allow (opening the consent
    /// page of one that no longer waits, using the token of one not
    /// approved).
    #[error("{}", crate::words::grant_not_now(state, *step))]
    GrantNotNow {
        /// Its state, in words.
        state: String,
        /// What was asked.
        step: GrantStep,
    },
    /// Another run or path is doing this right now.
    #[error("{0}")]
    Busy(Busy),
    /// A grant or payment this app does not have.
    #[error("{0}")]
    Missing(Missing),
    /// The wallet did something this app cannot go on with.
    #[error("{0}")]
    Wallet(WalletFault),
    /// No profile is in use yet.
    #[error("choose a profile first (Profiles)")]
    NoProfile,
    /// Another path (the app, the command line) moved the payment on
    /// while this step ran: nothing was done here.
    #[error(
        "this payment was moved on elsewhere while this step ran (it is {now} now); look at it \
         again before doing anything else"
    )]
    MovedElsewhere {
        /// Its state now, or "gone".
        now: String,
    },
    /// A profile or its key could not give a client (no such profile, a
    /// wrong passphrase, …).
    #[error(transparent)]
    Identity(#[from] consent_desk_identity::IdentityError),
    /// An address typed in a form that cannot be used.
    #[error("{what}: {error}")]
    Address {
        /// Which field ("the receiver").
        what: String,
        /// What is wrong with it.
        #[source]
        error: consent_desk_identity::WalletError,
    },
}

/// The grant request for `spec`, with the wallet's asset and this finish URI
/// and nonce: what [`Flows::request`] sends (and what a preview shows).
///
/// # Errors
///
/// A value the request cannot carry (both amounts, a receiver that is not an
/// incoming payment, …).
pub fn build_request(
    client: &Client,
    wallet: &consent_desk_protocol::WalletAddress,
    spec: &GrantSpec,
    finish_uri: &Url,
    nonce: &Nonce,
) -> Result<GrantRequest, FlowError> {
    let amount = |value: u64| Amount {
        value,
        asset_code: wallet.asset_code.clone(),
        asset_scale: wallet.asset_scale,
    };
    let mut builder = GrantRequest::outgoing_payment(wallet.id.clone())
        .client(client.client_wallet().clone())
        .finish(finish_uri.clone(), nonce.clone());
    if let Some(actions) = spec.actions.clone() {
        builder = builder.actions(actions);
    }
    if let Some(value) = spec.debit {
        builder = builder.debit_amount(amount(value));
    }
    if let Some(value) = spec.receive {
        builder = builder.receive_amount(amount(value));
    }
    if let Some(receiver) = spec.receiver.clone() {
        builder = builder.receiver(receiver);
    }
    if let Some(interval) = spec.interval.clone() {
        builder = builder.interval(interval);
    }
    Ok(builder.build()?)
}

/// A step of completing a finish, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Matching the finish to its grant and checking its hash.
    Verifying,
    /// Continuing the grant at the wallet.
    Continuing,
}

/// Parses an amount a person typed in the asset's major unit ("13.20" with
/// scale 2 is 1320), exactly: digits and at most one dot, no more decimals
/// than the scale.
///
/// # Errors
///
/// [`FlowError::Invalid`] saying what is wrong.
pub fn parse_major_units(text: &str, scale: u8) -> Result<u64, FlowError> {
    Amount::parse_decimal(text, scale).map_err(|error| FlowError::Amount(error.to_string()))
}

/// How a completed finish ended.
#[derive(Debug, Clone)]
pub enum Completed {
    /// Approved; the access token is stored.
    Approved(GrantRecord),
    /// The wallet said the interaction failed (`grant_rejected`, …).
    NotApproved(GrantRecord),
    /// An ownership proof the wallet confirmed: the person owns the record's
    /// wallet address. No token.
    Proved(GrantRecord),
}

/// Pending and finished grants, their tokens in the keyring.
pub struct Flows {
    store: Mutex<Store>,
    secrets: Arc<dyn SecretBackend>,
    /// Who this run is in the store's leases: of two runs on one file (the
    /// app and the command line), only the lease holder sends a payment or
    /// rotates a token.
    owner: String,
    /// One rotation at a time per grant in this run (see `crate::manage`).
    rotations: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Flows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flows").finish_non_exhaustive()
    }
}

/// The time `seconds` from now (a token's `expires_in`).
pub(crate) fn expiry_after(seconds: u64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::now_utc()
        .checked_add(time::Duration::seconds(i64::try_from(seconds).ok()?))
}

fn secret_account(id: &str, kind: &str) -> String {
    format!("grant:{id}:{kind}")
}

impl Flows {
    /// Opens (creating if needed) the grants file at `path`.
    ///
    /// # Errors
    ///
    /// The file could not be opened.
    pub fn open(path: &Path, secrets: Arc<dyn SecretBackend>) -> Result<Self, FlowError> {
        Ok(Self {
            store: Mutex::new(Store::open(path)?),
            secrets,
            // The process id lets another run tell a killed holder's lease
            // from a live one (see `recover::owner_gone`).
            owner: format!("{}/{}", std::process::id(), uuid::Uuid::new_v4()),
            rotations: Mutex::new(std::collections::HashMap::new()),
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every grant, newest first.
    ///
    /// # Errors
    ///
    /// The file could not be read.
    pub fn list(&self) -> Result<Vec<GrantRecord>, FlowError> {
        Ok(self.store().list()?)
    }

    /// One grant.
    ///
    /// # Errors
    ///
    /// The file could not be read.
    pub fn get(&self, id: &str) -> Result<Option<GrantRecord>, FlowError> {
        Ok(self.store().get(id)?)
    }

    /// Rows the store's migration could not read as this version's records,
    /// kept with their raw columns (see `UnreadableRow`); normally none.
    ///
    /// # Errors
    ///
    /// The file could not be read.
    pub fn unreadable_records(&self) -> Result<Vec<UnreadableRow>, FlowError> {
        Ok(self.store().unreadable()?)
    }

    /// One grant, or an error naming the id when there is none.
    ///
    /// # Errors
    ///
    /// Unknown id, or the store failed.
    pub fn grant(&self, id: &str) -> Result<GrantRecord, FlowError> {
        self.get(id)?
            .ok_or_else(|| FlowError::Missing(Missing::Grant(id.to_owned())))
    }

    /// The stored access token of an approved grant.
    ///
    /// # Errors
    ///
    /// The keyring could not give it.
    pub fn access_token(&self, id: &str) -> Result<consent_desk_protocol::AccessToken, FlowError> {
        let value = self
            .secrets
            .get(KEYRING_SERVICE, &secret_account(id, "access"))?;
        Ok(consent_desk_protocol::AccessToken::new(value.as_str()))
    }

    /// Requests an interactive outgoing-payment grant and records it as
    /// pending; returns the record with `redirect`, the consent page.
    ///
    /// # Errors
    ///
    /// The wallet refused or could not be reached, or storing failed.
    #[tracing::instrument(name = "flow.request", skip_all, fields(profile = %profile))]
    pub async fn request(
        &self,
        client: &Client,
        profile: &str,
        spec: &GrantSpec,
        via: FinishVia,
    ) -> Result<GrantRecord, FlowError> {
        let wallet = client.wallet_address(&spec.wallet).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let nonce = Nonce::generate();
        let finish_uri = via.uri(&id);
        let request = build_request(client, &wallet, spec, &finish_uri, &nonce)?;
        let GrantResponse::Pending(pending) =
            client.request_grant(&wallet.auth_server, &request).await?
        else {
            return Err(FlowError::Wallet(WalletFault::GrantedWithoutAsking));
        };
        let request = crate::outcome::GrantAsk::Access(request);
        self.keep_pending(id, profile, &wallet, request, &finish_uri, &nonce, &pending)
    }

    /// "Prove I own this wallet address" (Open Payments 1.3 `subject`): asks
    /// the wallet to have the person confirm they own `wallet`. It is
    /// approved through the consent page and completed by
    /// [`complete`](Self::complete) like any grant, which answers
    /// [`Completed::Proved`].
    ///
    /// # Errors
    ///
    /// The wallet refused or could not be reached, or the store failed.
    #[tracing::instrument(name = "flow.prove", skip_all)]
    pub async fn request_proof(
        &self,
        client: &Client,
        profile: &str,
        wallet: &Url,
        via: FinishVia,
    ) -> Result<GrantRecord, FlowError> {
        let wallet = client.wallet_address(wallet).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let nonce = Nonce::generate();
        let finish_uri = via.uri(&id);
        let request = consent_desk_protocol::SubjectRequest::ownership_of(
            &wallet.id,
            client.client_wallet().clone(),
            finish_uri.clone(),
            &nonce,
        );
        let GrantResponse::Pending(pending) = client
            .request_subject(&wallet.auth_server, &request)
            .await?
        else {
            return Err(FlowError::Wallet(WalletFault::ProofWithoutAsking));
        };
        let request = crate::outcome::GrantAsk::Subject(request);
        self.keep_pending(id, profile, &wallet, request, &finish_uri, &nonce, &pending)
    }

    /// Stores a grant waiting for the person, its continuation token in the
    /// keyring.
    #[allow(clippy::too_many_arguments)]
    fn keep_pending(
        &self,
        id: String,
        profile: &str,
        wallet: &consent_desk_protocol::WalletAddress,
        request: crate::outcome::GrantAsk,
        finish_uri: &Url,
        nonce: &Nonce,
        pending: &consent_desk_protocol::PendingGrant,
    ) -> Result<GrantRecord, FlowError> {
        self.secrets.set(
            KEYRING_SERVICE,
            &secret_account(&id, "continue"),
            pending.continue_.access_token.value.secret(),
        )?;
        let now = timestamp();
        let record = GrantRecord {
            id,
            profile: profile.to_owned(),
            wallet: wallet.id.clone(),
            auth_server: wallet.auth_server.clone(),
            request,
            finish_uri: finish_uri.clone(),
            client_nonce: nonce.as_str().to_owned(),
            server_nonce: Some(pending.interact.finish.clone()),
            redirect: Some(pending.interact.redirect.clone()),
            continue_uri: Some(pending.continue_.uri.0.clone()),
            continue_wait: pending.continue_.wait,
            state: GrantState::Pending,
            outcome: None,
            access: None,
            manage_uri: None,
            expires_at: None,
            created_at: now,
            updated_at: now,
        };
        if let Err(error) = self.store().insert(&record) {
            let _ = self
                .secrets
                .delete(KEYRING_SERVICE, &secret_account(&record.id, "continue"));
            return Err(error.into());
        }
        tracing::info!(grant = %record.id, "grant pending approval");
        Ok(record)
    }

    fn continuation(
        &self,
        record: &GrantRecord,
    ) -> Result<consent_desk_protocol::Continue, FlowError> {
        let token = self
            .secrets
            .get(KEYRING_SERVICE, &secret_account(&record.id, "continue"))?;
        let uri = record
            .continue_uri
            .clone()
            .ok_or(FlowError::Wallet(WalletFault::NoContinuation))?;
        Ok(consent_desk_protocol::Continue {
            access_token: ContinueAccessToken {
                value: ContinueToken::new(token.as_str()),
            },
            uri: ContinueUri(uri),
            wait: record.continue_wait,
        })
    }

    /// The one continuation routine, for every finish path: matches the
    /// finish to its pending grant by id, verifies the hash, continues the
    /// grant (honouring `wait`, retrying `too_fast`) and stores the access
    /// token. `client_for` gives the signing client of the grant's profile.
    ///
    /// A finish for no pending grant, a second finish, or one that does not
    /// verify is refused, and the pending grant stays as it was.
    ///
    /// # Errors
    ///
    /// A refusal, or the wallet, the network, the store or the keyring failed
    /// (the grant is then pending again, so the finish can be retried).
    pub async fn complete(
        &self,
        finish_url: &str,
        client_for: impl FnOnce(&str) -> Result<Client, FlowError>,
    ) -> Result<Completed, FlowError> {
        self.complete_observed(finish_url, client_for, |_, _| {})
            .await
    }

    /// [`complete`](Self::complete), telling `observer` the grant id and each
    /// step as it starts (for a progress display).
    ///
    /// # Errors
    ///
    /// As [`complete`](Self::complete).
    pub async fn complete_observed(
        &self,
        finish_url: &str,
        client_for: impl FnOnce(&str) -> Result<Client, FlowError>,
        observer: impl Fn(&str, Step),
    ) -> Result<Completed, FlowError> {
        self.complete_for(None, finish_url, client_for, observer)
            .await
    }

    /// [`complete_observed`](Self::complete_observed) for a caller that
    /// waits for one grant (a consent window, a loopback listener, the
    /// command line): a link for any other grant is refused
    /// ([`FlowError::UnknownFinish`]) and changes nothing.
    ///
    /// # Errors
    ///
    /// As [`complete`](Self::complete).
    #[tracing::instrument(name = "flow.complete", skip_all, fields(expected = ?expected))]
    pub async fn complete_for(
        &self,
        expected: Option<&str>,
        finish_url: &str,
        client_for: impl FnOnce(&str) -> Result<Client, FlowError>,
        observer: impl Fn(&str, Step),
    ) -> Result<Completed, FlowError> {
        let started = std::time::Instant::now();
        let result = self
            .complete_steps(expected, finish_url, client_for, observer)
            .await;
        self.record_finish(finish_url, &result, started.elapsed());
        result
    }

    async fn complete_steps(
        &self,
        expected: Option<&str>,
        finish_url: &str,
        client_for: impl FnOnce(&str) -> Result<Client, FlowError>,
        observer: impl Fn(&str, Step),
    ) -> Result<Completed, FlowError> {
        let id = grant_id_of(finish_url).ok_or(FlowError::UnknownFinish)?;
        if expected.is_some_and(|expected| expected != id) {
            tracing::warn!(grant = %id, "finish for another grant than the one waiting refused");
            return Err(FlowError::UnknownFinish);
        }
        observer(&id, Step::Verifying);
        let record = self.get(&id)?.ok_or_else(|| {
            tracing::warn!(grant = %id, "finish for an unknown grant refused");
            FlowError::UnknownFinish
        })?;
        let reopened = match verify_finish(
            finish_url,
            &Nonce::new(record.client_nonce.clone()),
            &Nonce::new(record.server_nonce.clone().unwrap_or_default()),
            record.auth_server.as_str(),
        ) {
            Ok(FinishOutcome::Approved { interact_ref })
                if record.state == GrantState::Finishing =>
            {
                Some(interact_ref)
            }
            _ => None,
        };
        if let Some(interact_ref) = reopened {
            // Opening the approval's link again is how a person asks to go on
            // with one a stopped run left `finishing`: taken up once no live
            // run can be at it (see `recover`), as the wallet says, with the
            // link's own reference (the run may have stopped before it kept it).
            let client = client_for(&record.profile)?;
            return match self
                .take_up_finishing_with(&client, &id, Some(&interact_ref))
                .await?
            {
                Some(completed) => Ok(completed),
                None => Err(FlowError::Busy(Busy::FinishingElsewhere)),
            };
        }
        if record.state != GrantState::Pending {
            tracing::warn!(grant = %id, state = ?record.state, "second finish refused");
            return Err(FlowError::AlreadyUsed {
                state: format!("{:?}", record.state).to_lowercase(),
            });
        }
        let server_nonce = Nonce::new(record.server_nonce.clone().unwrap_or_default());
        let client_nonce = Nonce::new(record.client_nonce.clone());
        let outcome = match verify_finish(
            finish_url,
            &client_nonce,
            &server_nonce,
            record.auth_server.as_str(),
        ) {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(grant = %id, %error, "finish refused: did not verify");
                return Err(error.into());
            }
        };
        // Kept before the claim: a run killed just after it leaves a
        // `finishing` grant the next one can continue (see `recover`).
        if let FinishOutcome::Approved { interact_ref } = &outcome {
            self.keep_interact_ref(&id, interact_ref);
        }
        // Claim the grant: of two finishes racing, only one continues.
        let lease = crate::pay::lease_until(recover::finish_lease(record.continue_wait));
        if !self.store().claim_finishing(&id, &self.owner, lease)? {
            // Still needed only by a run finishing it.
            if self
                .get(&id)?
                .is_some_and(|now| now.state != GrantState::Finishing)
            {
                self.forget_interact_ref(&id);
            }
            return Err(FlowError::AlreadyUsed {
                state: "being completed".to_owned(),
            });
        }
        let interact_ref = match outcome {
            FinishOutcome::Approved { interact_ref } => interact_ref,
            FinishOutcome::Rejected { result, message } => {
                // No hash, by spec: it is a report, taken only once the
                // wallet confirms the grant is over (see `wallet_ended`), or
                // once it is cancelled there (see `failure_confirmed`).
                let ended = match client_for(&record.profile) {
                    Ok(client) => self.failure_confirmed(&client, &record).await,
                    Err(_) => false,
                };
                if !ended {
                    tracing::warn!(grant = %id, result = result.as_str(), "failure link not confirmed by the wallet: refused");
                    let _ =
                        self.store()
                            .transition(&id, GrantState::Finishing, GrantState::Pending);
                    return Err(FlowError::FailureUnconfirmed {
                        result: result.as_str().to_owned(),
                    });
                }
                let outcome = GrantOutcome::Wallet {
                    code: WalletCode::from(&result),
                    description: message.filter(|message| !message.is_empty()),
                };
                self.store()
                    .finish(&id, GrantState::Failed, Some(&outcome), None, None, None)?;
                let _ = self
                    .secrets
                    .delete(KEYRING_SERVICE, &secret_account(&id, "continue"));
                let record = self.get(&id)?.unwrap_or(record);
                return Ok(Completed::NotApproved(record));
            }
            _ => {
                let _ = self
                    .store()
                    .transition(&id, GrantState::Finishing, GrantState::Pending);
                return Err(FlowError::Wallet(WalletFault::UnknownResult));
            }
        };
        observer(&id, Step::Continuing);
        if let Some(seconds) = record
            .continue_wait
            .filter(|&seconds| seconds > recover::MAX_CONTINUE_WAIT.as_secs())
        {
            return match client_for(&record.profile) {
                Ok(client) => self.wait_too_long(&client, &record, seconds).await,
                Err(error) => {
                    let _ =
                        self.store()
                            .transition(&id, GrantState::Finishing, GrantState::Pending);
                    Err(error)
                }
            };
        }
        // An ownership proof asked for `subject` and no access.
        let proof = record.request.is_proof();
        let client = match client_for(&record.profile) {
            Ok(client) => client,
            Err(error) => {
                let _ = self
                    .store()
                    .transition(&id, GrantState::Finishing, GrantState::Pending);
                return Err(error);
            }
        };
        let result = async {
            let continuation = self.continuation(&record)?;
            let response = client.continue_grant(&continuation, &interact_ref).await?;
            match response {
                GrantResponse::Approved(approved) if !proof => Ok(Ok(approved)),
                GrantResponse::Subject(proved) if proof => Ok(Err(proved)),
                _ if proof => Err(FlowError::Wallet(WalletFault::NotProven)),
                _ => Err(FlowError::Wallet(WalletFault::NotApproved)),
            }
        }
        .await;
        let approved = match result {
            Ok(Ok(approved)) => approved,
            Ok(Err(proved)) => return self.proved(&record, &proved),
            Err(FlowError::Protocol(error)) if continuation_refused(&error) => {
                // The link verified, so the wallet approved; yet it will not
                // hand over the access: it already did, to a try whose answer
                // was lost (Rafiki: `request_denied`), or the grant is gone.
                // Nobody holds that token: cancel the grant at the wallet.
                tracing::warn!(grant = %id, %error, "the wallet will not continue an approved grant");
                return self.answer_lost(&client, &record, error).await;
            }
            Err(error) => {
                // Back to pending: the person can retry the same finish.
                let _ = self
                    .store()
                    .transition(&id, GrantState::Finishing, GrantState::Pending);
                return Err(error);
            }
        };
        self.keep_approved(&record, &approved)?;
        tracing::info!(grant = %id, "grant approved and continued");
        Ok(Completed::Approved(self.get(&id)?.unwrap_or(record)))
    }

    /// Ends an ownership proof the wallet answered: proved only when the
    /// wallet confirmed the very address asked about.
    fn proved(
        &self,
        record: &GrantRecord,
        answer: &consent_desk_protocol::SubjectGrant,
    ) -> Result<Completed, FlowError> {
        let id = &record.id;
        let _ = self
            .secrets
            .delete(KEYRING_SERVICE, &secret_account(id, "continue"));
        self.forget_interact_ref(id);
        if answer.subject.names(&record.wallet) {
            self.store()
                .finish(id, GrantState::Approved, None, None, None, None)?;
            tracing::info!(grant = %id, "ownership proved");
            return Ok(Completed::Proved(
                self.get(id)?.unwrap_or_else(|| record.clone()),
            ));
        }
        let outcome = GrantOutcome::OtherSubject {
            asked: record.wallet.to_string(),
            confirmed: answer
                .subject
                .sub_ids
                .iter()
                .map(|s| s.id.clone())
                .collect(),
        };
        self.store()
            .finish(id, GrantState::Failed, Some(&outcome), None, None, None)?;
        Ok(Completed::NotApproved(
            self.get(id)?.unwrap_or_else(|| record.clone()),
        ))
    }

    /// Whether the wallet confirms that a grant is over, asked with an
    /// authenticated poll of its continuation (which changes nothing there):
    /// it no longer knows the grant (`404`, as Rafiki answers for a
    /// cancelled one) or says the person denied it (RFC 9635 `user_denied`).
    /// Rafiki answers a poll of a pending, rejected or approved grant alike
    /// (`401 request_denied`), so for it this says nothing either way.
    async fn wallet_ended(&self, client: &Client, record: &GrantRecord) -> bool {
        let Ok(continuation) = self.continuation(record) else {
            return false;
        };
        match client.poll_grant(&continuation).await {
            Err(error) => {
                let ended = error.status() == Some(404)
                    || error
                        .gnap_code()
                        .is_some_and(|code| code.as_str() == "user_denied");
                tracing::info!(grant = %record.id, ended, %error, "the wallet's answer to a failure link");
                ended
            }
            Ok(_) => false,
        }
    }

    /// Whether a failure link's report holds, made true with the wallet:
    /// either the wallet confirms the grant is over ([`wallet_ended`](Self::wallet_ended)),
    /// or, when it cannot say (Rafiki answers a poll of a rejected grant as
    /// of a pending one), the grant is cancelled there (an authenticated
    /// `DELETE`, `404` meaning already gone). Either way nothing stays open
    /// at the wallet that the app no longer holds: a forged link can at
    /// most end an approval that was waiting, at both ends, never leave a
    /// grant approved there and failed here. Only a wallet that cannot be
    /// reached leaves the report unconfirmed (the grant waits again).
    async fn failure_confirmed(&self, client: &Client, record: &GrantRecord) -> bool {
        if self.wallet_ended(client, record).await {
            return true;
        }
        let Ok(continuation) = self.continuation(record) else {
            return false;
        };
        match client.cancel_grant(&continuation).await {
            Ok(()) => {
                tracing::info!(grant = %record.id, "failure link: the grant was cancelled at the wallet");
                true
            }
            Err(error) if error.status() == Some(404) => true,
            Err(error) => {
                tracing::warn!(grant = %record.id, %error, "failure link: the wallet could not be asked to cancel");
                false
            }
        }
    }

    /// Ends an approved grant whose continuation the wallet refuses (its
    /// answer to an earlier try was lost): cancelled at the wallet, so that
    /// no access token nobody holds stays valid, and failed here with words
    /// that say so. A wallet that no longer knows the grant (`404`) cancelled
    /// it itself, and it ends as such. A payment waiting on it is not sent.
    /// When the wallet cannot be reached to cancel it, the grant waits
    /// again, and the same link tries once more.
    async fn answer_lost(
        &self,
        client: &Client,
        record: &GrantRecord,
        refusal: consent_desk_protocol::Error,
    ) -> Result<Completed, FlowError> {
        let id = &record.id;
        let cancelled = match self.continuation(record) {
            Ok(continuation) => client.cancel_grant(&continuation).await,
            Err(error) => {
                let _ = self
                    .store()
                    .transition(id, GrantState::Finishing, GrantState::Pending);
                return Err(error);
            }
        };
        let outcome = match cancelled {
            Ok(()) => GrantOutcome::AnswerLost,
            // The wallet no longer knows it: it was cancelled there (by the
            // person, or as it expired), and that is why it refused.
            Err(error) if error.status() == Some(404) => GrantOutcome::Wallet {
                code: WalletCode::UnknownInteraction,
                description: None,
            },
            Err(error) => {
                let _ = self
                    .store()
                    .transition(id, GrantState::Finishing, GrantState::Pending);
                return Err(FlowError::Invalid(format!(
                    "your approval reached the wallet, but its answer was lost ({refusal}), and \
                     the grant could not be cancelled at the wallet ({error}); open the same \
                     link again to retry, or cancel the request"
                )));
            }
        };
        self.store()
            .finish(id, GrantState::Failed, Some(&outcome), None, None, None)?;
        self.forget_interact_ref(id);
        for kind in ["continue", "access"] {
            let _ = self
                .secrets
                .delete(KEYRING_SERVICE, &secret_account(id, kind));
        }
        Ok(Completed::NotApproved(
            self.get(id)?.unwrap_or_else(|| record.clone()),
        ))
    }

    /// Cancels a grant at the wallet (`DELETE continue`) and forgets its tokens.
    ///
    /// # Errors
    ///
    /// The wallet refused or could not be reached.
    #[tracing::instrument(name = "flow.cancel", skip_all, fields(grant = %id))]
    pub async fn cancel(&self, client: &Client, id: &str) -> Result<GrantRecord, FlowError> {
        let record = self.grant(id)?;
        // Its continuation was forgotten when it ended: say so, rather than
        // that the keyring lacks it.
        let ended = match record.state {
            GrantState::Cancelled => Some("was already cancelled"),
            GrantState::Failed => Some("already ended without being approved"),
            GrantState::Finishing => return Err(FlowError::Busy(Busy::FinishingWhileCancelling)),
            _ => None,
        };
        if let Some(ended) = ended {
            return Err(FlowError::Invalid(format!(
                "this grant {ended} ({}); there is nothing left to cancel",
                rfc3339(record.updated_at)
            )));
        }
        // Ended after approval, or cancelled while it waited: said apart.
        let outcome = if matches!(record.state, GrantState::Approved | GrantState::Revoked) {
            GrantOutcome::Ended
        } else {
            GrantOutcome::Cancelled
        };
        self.cancel_at_wallet(client, record, outcome).await
    }

    /// Cancels at the wallet a grant nobody will use (see [`Abandoned`]), so
    /// that it does not stay open there. A grant no longer pending or
    /// approved is left as it is.
    ///
    /// # Errors
    ///
    /// The wallet refused or could not be reached (the grant is then left as
    /// it was, and can be cancelled later).
    #[tracing::instrument(name = "flow.abandon", skip_all, fields(grant = %id, ?why))]
    pub async fn abandon(
        &self,
        client: &Client,
        id: &str,
        why: Abandoned,
    ) -> Result<GrantRecord, FlowError> {
        let record = self.grant(id)?;
        if !matches!(record.state, GrantState::Pending | GrantState::Approved) {
            return Ok(record);
        }
        let record = self.cancel_at_wallet(client, record, why.outcome()).await?;
        tracing::info!(grant = %id, "abandoned grant cancelled at the wallet");
        Ok(record)
    }

    async fn cancel_at_wallet(
        &self,
        client: &Client,
        record: GrantRecord,
        outcome: GrantOutcome,
    ) -> Result<GrantRecord, FlowError> {
        let id = record.id.clone();
        self.no_payment_in_flight(&id)?;
        let continuation = self.continuation(&record)?;
        match client.cancel_grant(&continuation).await {
            Ok(()) => {}
            // The wallet no longer knows it (Rafiki, once it is revoked):
            // nothing is left open there.
            Err(error) if error.status() == Some(404) => {
                tracing::info!(grant = %id, "the wallet no longer knows the grant: already cancelled there");
            }
            Err(error) => return Err(error.into()),
        }
        self.store().finish(
            &id,
            GrantState::Cancelled,
            Some(&outcome),
            record.access.as_deref(),
            None,
            None,
        )?;
        for kind in ["continue", "access"] {
            let _ = self
                .secrets
                .delete(KEYRING_SERVICE, &secret_account(&id, kind));
        }
        self.forget_interact_ref(&id);
        Ok(self.get(&id)?.unwrap_or(record))
    }
}

/// Whether the wallet refused to continue a grant (rather than failing to
/// answer): `request_denied` or `invalid_continuation`, or a 404.
fn continuation_refused(error: &consent_desk_protocol::Error) -> bool {
    error.status() == Some(404)
        || error
            .gnap_code()
            .is_some_and(|code| matches!(code.as_str(), "request_denied" | "invalid_continuation"))
}

/// Why a grant was given up before it was used; [`Flows::abandon`] cancels
/// it at the wallet so that it does not stay open there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Abandoned {
    /// No approval arrived in time (the command line's `--timeout`).
    TimedOut,
    /// The quote of the payment it was asked for expired during consent.
    QuoteExpired,
}

impl Abandoned {
    /// What the grant's record says of it.
    fn outcome(self) -> GrantOutcome {
        match self {
            Self::TimedOut => GrantOutcome::TimedOut,
            Self::QuoteExpired => GrantOutcome::QuoteExpired,
        }
    }
}

/// What a finish redirect says without verifying it (for showing a
/// person what arrived).
#[must_use]
pub fn describe_finish(finish_url: &str) -> String {
    match FinishRedirect::parse(finish_url) {
        Ok(FinishRedirect::Approved { .. }) => "an approval".to_owned(),
        Ok(FinishRedirect::Failed { result, .. }) => format!("a failure ({})", result.as_str()),
        Ok(_) => "a finish".to_owned(),
        Err(error) => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_uris_carry_the_grant_id_and_only_ours_match() {
        let id = "6f1c9a9e-4b7e-4c49-9a3b-1d2e3f4a5b6c";
        let deep = FinishVia::DeepLink.uri(id);
        assert_eq!(deep.as_str(), format!("dev.consentdesk:/finish/{id}"));
        let loopback = FinishVia::Loopback { port: 53682 }.uri(id);
        assert_eq!(
            loopback.as_str(),
            format!("http://127.0.0.1:53682/finish/{id}")
        );
        let with_query = |base: &Url| format!("{base}?hash=x&interact_ref=y");
        assert_eq!(grant_id_of(&with_query(&deep)).as_deref(), Some(id));
        assert_eq!(grant_id_of(&with_query(&loopback)).as_deref(), Some(id));
        for other in [
            format!("https://evil.example/finish/{id}?hash=x"),
            format!("http://192.168.1.2:53682/finish/{id}"),
            format!("dev.consentdesk:/finish/{id}/more"),
            "dev.consentdesk:/finish/".to_owned(),
            "dev.consentdesk:/other/abc".to_owned(),
            "not a url".to_owned(),
        ] {
            assert_eq!(grant_id_of(&other), None, "{other}");
        }
    }

    #[test]
    fn typed_amounts_become_smallest_units_exactly() {
        assert_eq!(parse_major_units("13.20", 2).unwrap(), 1320);
        assert_eq!(parse_major_units("13.2", 2).unwrap(), 1320);
        assert_eq!(parse_major_units("13", 2).unwrap(), 1300);
        assert_eq!(parse_major_units(".5", 2).unwrap(), 50);
        assert_eq!(parse_major_units("500", 0).unwrap(), 500);
        for (text, scale, says) in [
            ("13.201", 2, "more decimals"),
            ("1,000", 2, "not an amount"),
            ("-1", 2, "negative"),
            ("0.00", 2, "more than zero"),
            ("", 2, "enter an amount"),
            ("1.5", 0, "more decimals"),
            ("99999999999999999999", 0, "larger"),
        ] {
            let error = parse_major_units(text, scale).unwrap_err();
            assert!(error.to_string().contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn specs_parse_or_say_what_is_wrong() {
        let spec = GrantSpec::parse(
            "https://w.example/a",
            Some("1320"),
            None,
            None,
            Some("R/2025-04-22T00:00:00Z/P1D"),
        )
        .unwrap();
        assert_eq!(spec.debit, Some(1320));
        for (debit, receive, receiver, interval, says) in [
            (Some("13.20"), None, None, None, "debit amount"),
            (Some("1"), Some("1"), None, None, "not both"),
            (Some("0"), None, None, None, "more than zero"),
            (None, None, Some("wallet.example:nope"), None, "receiver"),
            (None, None, None, Some("daily"), "daily"),
        ] {
            let error = GrantSpec::parse("https://w.example/a", debit, receive, receiver, interval)
                .unwrap_err();
            assert!(error.to_string().contains(says), "{error}");
        }
    }

    #[test]
    fn specs_read_payment_pointers_as_the_app_does() {
        let spec = GrantSpec::parse(
            "$wallet.example/alice",
            None,
            None,
            Some("$wallet.example/incoming-payments/7"),
            None,
        )
        .unwrap();
        assert_eq!(spec.wallet.as_str(), "https://wallet.example/alice");
        assert_eq!(
            spec.receiver.unwrap().as_str(),
            "https://wallet.example/incoming-payments/7"
        );
        let error = GrantSpec::parse("$", None, None, None, None).unwrap_err();
        assert!(
            error.to_string().contains("needs a host after `$`"),
            "{error}"
        );
    }
}
