//! The Consent Desk sandbox wallet: a complete local Open Payments wallet.
//!
//! One HTTP server on a loopback port holds
//! - wallet addresses (`/{name}`, `/{name}/jwks.json`, `/{name}/did.json`), seeded
//!   with accounts in several assets and scales;
//! - a GNAP authorization server at `/auth/{tenantId}`, Rafiki-compatible: interactive
//!   outgoing-payment grants, non-interactive incoming-payment and quote grants,
//!   continuation with `wait` and one-time `interact_ref`, cancel, token rotate
//!   and revoke; every signature checked against the client's `jwks.json`;
//! - the identity provider: the consent page (`/idp/consent?interactId=…`)
//!   and the AS–IdP interface (`/idp/grant/{id}/{nonce}[/{choice}]`, header
//!   `x-idp-secret`);
//! - a resource server at `/rs`: incoming payments, quotes (with a rate table
//!   and a fee across assets), outgoing payments that move balances atomically,
//!   and grant spent amounts, with every grant limit enforced;
//! - admin endpoints at `/admin` (loopback only, and never a web page): fault
//!   switches, client wallet addresses and keys, balances, reset.
//!
//! State lives in `sandbox.sqlite3` in the data directory, so a restarted
//! sandbox keeps its accounts, grants and payments.
//!
//! ```no_run
//! # async fn run() -> Result<(), consent_desk_sandbox::SandboxError> {
//! use consent_desk_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::builder("/tmp/sandbox-data").port(0).start().await?;
//! let alice = sandbox.wallet_address("alice");
//! println!("pay from {alice}");
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod admin;
mod auth;
mod clock;
mod consent;
mod consent_page;
mod error;
mod faults;
mod rates;
mod resource;
mod signed;
mod store;
mod tls;
mod wallet_address;

pub mod standalone;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use consent_desk_protocol::{Jwk, SigningKey, Verifier};
use serde::Serialize;
use tokio::sync::oneshot;
use url::Url;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::faults::{Faults, RouteFault};
pub use crate::rates::{
    AssetFee, Fee, Fees, FEE_BASIS_POINTS as CROSS_ASSET_FEE_BASIS_POINTS, RATES as EXCHANGE_RATES,
};
pub use crate::store::StoreError;

use crate::store::{Account, Store};

/// The state file's name inside the data directory.
pub const STATE_FILE: &str = "sandbox.sqlite3";

/// The sandbox's one tenant. Rafiki 2.x serves grant requests per tenant at
/// `{base}/{tenantId}`; fixed so that the `authServer` (and with it the
/// finish hash of a pending grant) survives a restart.
pub const TENANT_ID: &str = "5f0c8ea4-3b1f-4c2a-9d6e-8a7b6c5d4e3f";

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The data directory could not be created.
    #[error("the sandbox data folder {path} could not be created: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The port could not be bound.
    #[error("the sandbox could not listen on {addr}: {source}; choose another port with --port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The state file could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
}

/// An account as the admin API and tests see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AccountBalance {
    /// The path name, `alice`.
    pub name: String,
    /// The wallet address URL.
    pub wallet_address: Url,
    /// The name shown to people.
    pub public_name: Option<String>,
    /// The asset.
    pub asset_code: String,
    /// Decimal places of the smallest unit.
    pub asset_scale: u8,
    /// The balance in the smallest unit (a string on the wire).
    #[serde(serialize_with = "as_string")]
    pub balance: u64,
    /// Whether it is a client wallet address (an app's identity).
    pub client: bool,
}

fn as_string<S: serde::Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// Timings of the protocol, Rafiki's defaults unless said otherwise.
#[derive(Debug, Clone)]
struct Timing {
    /// `continue.wait` in seconds.
    wait: u64,
    access_token: Duration,
    interaction: Duration,
    quote: Duration,
    max_clock_skew: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            // Rafiki's default is 5 s; 1 s keeps the desktop flow snappy while
            // still making clients honour `wait`.
            wait: 1,
            access_token: Duration::from_secs(10 * 60),
            interaction: Duration::from_secs(10 * 60),
            quote: Duration::from_secs(5 * 60),
            max_clock_skew: Duration::from_secs(5 * 60),
        }
    }
}

/// A client wallet address to create at start, with its public key: how the
/// app publishes its sandbox key.
#[derive(Debug, Clone)]
struct ClientWallet {
    name: String,
    public_name: String,
    jwk: Jwk,
}

/// Entry point: [`Sandbox::builder`].
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Configures a sandbox whose state lives in `data_dir`.
    pub fn builder(data_dir: impl Into<PathBuf>) -> SandboxBuilder {
        SandboxBuilder {
            data_dir: data_dir.into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            clock: Arc::new(SystemClock),
            faults: Faults::default(),
            timing: Timing::default(),
            clients: Vec::new(),
            idp_secret: None,
            fees: Fees::new(),
            https: false,
        }
    }
}

/// Settings of a sandbox before it starts.
#[must_use]
pub struct SandboxBuilder {
    data_dir: PathBuf,
    host: IpAddr,
    port: u16,
    clock: Arc<dyn Clock>,
    faults: Faults,
    timing: Timing,
    clients: Vec<ClientWallet>,
    idp_secret: Option<String>,
    fees: Fees,
    https: bool,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("data_dir", &self.data_dir)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl SandboxBuilder {
    /// The port to listen on; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to listen on (default 127.0.0.1). The admin API answers
    /// loopback callers only, whatever this is, and refuses requests a web
    /// page could make (another `Origin` or `Host`, a body that is not JSON).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The clock for expiry, `wait` and recurring budgets.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Fault switches on from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The sending wallet's fee for payments from accounts in `asset_code`
    /// (none by default): in `debitAmount`, not in `sentAmount`.
    pub fn fee(mut self, asset_code: impl Into<String>, fee: Fee) -> Self {
        self.fees.insert(asset_code.into(), fee);
        self
    }

    /// Serve `https://` with a certificate signed by a certificate authority
    /// made at start, whose certificate is written to the data folder
    /// ([`RunningSandbox::ca_certificate`]); plain http by default.
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// `continue.wait` in seconds (default 1).
    pub fn wait_seconds(mut self, seconds: u64) -> Self {
        self.timing.wait = seconds;
        self
    }

    /// Lifetime of access tokens (default 10 minutes).
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.timing.access_token = lifetime;
        self
    }

    /// How long a person has to approve (default 10 minutes).
    pub fn interaction_lifetime(mut self, lifetime: Duration) -> Self {
        self.timing.interaction = lifetime;
        self
    }

    /// The secret the IdP back channel needs in `x-idp-secret` (default: a
    /// random one, see [`RunningSandbox::idp_secret`]).
    pub fn idp_secret(mut self, secret: impl Into<String>) -> Self {
        self.idp_secret = Some(secret.into());
        self
    }

    /// Publishes a client wallet address `/{name}` with `public_name` and the
    /// key `jwk` in its `jwks.json` (replacing a key with the same `kid`).
    pub fn client_wallet(
        mut self,
        name: impl Into<String>,
        public_name: impl Into<String>,
        jwk: Jwk,
    ) -> Self {
        self.clients.push(ClientWallet {
            name: name.into(),
            public_name: public_name.into(),
            jwk,
        });
        self
    }

    /// Opens the state, binds the port and starts serving.
    ///
    /// # Errors
    ///
    /// The data folder, the state file or the port could not be used, or a
    /// client wallet name is invalid.
    pub async fn start(self) -> Result<RunningSandbox, SandboxError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|source| SandboxError::DataDir {
            path: self.data_dir.clone(),
            source,
        })?;
        let mut store = Store::open(&self.data_dir.join(STATE_FILE))?;
        for client in &self.clients {
            publish_client(&mut store, client)?;
        }
        let addr = SocketAddr::new(self.host, self.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let shown_host = if self.host.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.host
        };
        let tls = if self.https {
            Some(tls::make(&self.data_dir, shown_host)?)
        } else {
            None
        };
        let base = Url::parse(&format!(
            "{}://{}/",
            if tls.is_some() { "https" } else { "http" },
            SocketAddr::new(shown_host, local.port())
        ))
        .map_err(|error| SandboxError::Config(format!("no base URL: {error}")))?;
        let idp_secret = self
            .idp_secret
            .unwrap_or_else(|| consent_desk_protocol::Nonce::generate().as_str().to_owned());
        // Fetches the jwks.json of clients that live elsewhere. Its own key is
        // never used: it makes public GETs only.
        let fetcher = consent_desk_protocol::Client::builder()
            .key(
                SigningKey::generate(),
                consent_desk_protocol::KeyId::new("sandbox-fetcher")
                    .map_err(|error| SandboxError::Config(error.to_string()))?,
            )
            .client_wallet(base.as_str())
            .allow_http_loopback(true)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| SandboxError::Config(error.to_string()))?;
        let state = AppState(Arc::new(Inner {
            base: base.clone(),
            store: Mutex::new(store),
            clock: self.clock,
            clock_offset: std::sync::atomic::AtomicI64::new(0),
            faults: RwLock::new(self.faults),
            fees: RwLock::new(self.fees),
            verifier: Verifier::new().max_clock_skew(self.timing.max_clock_skew),
            timing: self.timing,
            idp_secret: idp_secret.clone(),
            fetcher,
        }));
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let ca_certificate = tls.as_ref().map(|(path, _)| path.clone());
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            let served = match tls {
                Some((_, config)) => tls::serve(listener, config, app, stopped).await,
                None => {
                    axum::serve(
                        listener,
                        app.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .with_graceful_shutdown(stopped)
                    .await
                }
            };
            if let Err(error) = served {
                tracing::error!(%error, "the sandbox server stopped");
            }
        });
        tracing::info!(%base, "sandbox wallet listening");
        Ok(RunningSandbox {
            ca_certificate,
            base,
            idp_secret,
            state,
            stop: Some(stop),
            task,
        })
    }
}

/// A started sandbox. Dropping it stops the server.
pub struct RunningSandbox {
    ca_certificate: Option<PathBuf>,
    base: Url,
    idp_secret: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("base", &self.base)
            .field("idp_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// `http://127.0.0.1:<port>/`.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// With [`SandboxBuilder::https`], the PEM file of the certificate
    /// authority that signed its certificate (`<data>/ca.pem`), for clients
    /// to trust.
    #[must_use]
    pub fn ca_certificate(&self) -> Option<&std::path::Path> {
        self.ca_certificate.as_deref()
    }

    /// The wallet address URL of an account, `http://127.0.0.1:<port>/alice`.
    #[must_use]
    pub fn wallet_address(&self, name: &str) -> Url {
        self.state.wallet_url(name)
    }

    /// The authorization server URL (`authServer` of every wallet address).
    #[must_use]
    pub fn auth_server(&self) -> Url {
        self.state.auth_server()
    }

    /// The secret of the IdP back channel (`x-idp-secret`).
    #[must_use]
    pub fn idp_secret(&self) -> &str {
        &self.idp_secret
    }

    /// The fault switches now.
    #[must_use]
    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// Replaces the fault switches.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// The sending wallet's fee per asset now.
    #[must_use]
    pub fn fees(&self) -> Fees {
        self.state.fees()
    }

    /// Replaces the fees per asset (an empty map: no fees).
    pub fn set_fees(&self, fees: Fees) {
        self.state.set_fees(fees);
    }

    /// Every account with its balance.
    ///
    /// # Errors
    ///
    /// The state file could not be read.
    pub fn accounts(&self) -> Result<Vec<AccountBalance>, StoreError> {
        self.state.account_balances()
    }

    /// Drops every grant, token and payment and restores the seeded balances;
    /// client wallet addresses and their keys stay.
    ///
    /// # Errors
    ///
    /// The state file could not be written.
    pub fn reset(&self) -> Result<(), StoreError> {
        self.state.store().reset()
    }

    /// Publishes a client wallet address `/{name}` with `public_name` and the
    /// key `jwk` while running (as [`SandboxBuilder::client_wallet`] does at
    /// start): how the app registers its sandbox key.
    ///
    /// # Errors
    ///
    /// An invalid name or key, or the state file could not be written.
    pub fn publish_client(
        &self,
        name: &str,
        public_name: &str,
        jwk: Jwk,
    ) -> Result<(), SandboxError> {
        publish_client(
            &mut self.state.store(),
            &ClientWallet {
                name: name.to_owned(),
                public_name: public_name.to_owned(),
                jwk,
            },
        )
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops (it runs until [`shutdown`](Self::shutdown)
    /// or the task is cancelled).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Creates or updates a client wallet address and publishes its key.
fn publish_client(store: &mut Store, client: &ClientWallet) -> Result<(), SandboxError> {
    validate_name(&client.name).map_err(SandboxError::Config)?;
    client
        .jwk
        .check()
        .map_err(|error| SandboxError::Config(error.to_string()))?;
    let existing = store.account(&client.name)?;
    store.upsert_account(
        &Account {
            name: client.name.clone(),
            public_name: Some(client.public_name.clone()),
            asset_code: existing
                .as_ref()
                .map_or("USD".into(), |a| a.asset_code.clone()),
            asset_scale: existing.as_ref().map_or(2, |a| a.asset_scale),
            balance: 0,
            client: true,
        },
        false,
    )?;
    store.add_key(&client.name, &client.jwk)?;
    Ok(())
}

/// Resets the state in `data_dir` without starting a server.
///
/// # Errors
///
/// The state file could not be opened or written.
pub fn reset(data_dir: &std::path::Path) -> Result<(), SandboxError> {
    std::fs::create_dir_all(data_dir).map_err(|source| SandboxError::DataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    Store::open(&data_dir.join(STATE_FILE))?.reset()?;
    Ok(())
}

/// Account names: lowercase letters, digits, `-` and `_`, as they appear in
/// URLs and ILP addresses, and not a path the router owns.
pub(crate) fn validate_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "`{name}` is not a valid wallet name: use 1 to 64 lowercase letters, digits, `-` or \
             `_`, starting with a letter or digit"
        ));
    }
    if store::RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "`{name}` is a path the sandbox uses; choose another name"
        ));
    }
    Ok(())
}

struct Inner {
    base: Url,
    store: Mutex<Store>,
    clock: Arc<dyn Clock>,
    /// Seconds added to the clock through `PUT /admin/clock` (QA moving
    /// time on, for recurring budgets and expiries).
    clock_offset: std::sync::atomic::AtomicI64,
    faults: RwLock<Faults>,
    /// The sending wallet's fee per asset (`/admin/fees`, `--fee`).
    fees: RwLock<Fees>,
    verifier: Verifier,
    timing: Timing,
    idp_secret: String,
    fetcher: consent_desk_protocol::Client,
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

impl AppState {
    /// The store. Every operation on it is short; holding a std mutex across
    /// no `.await` keeps SQLite single-writer without an async pool.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.0.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> Faults {
        self.0
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        tracing::info!(?faults, "fault switches changed");
        *self
            .0
            .faults
            .write()
            .unwrap_or_else(PoisonError::into_inner) = faults;
    }

    pub(crate) fn fees(&self) -> Fees {
        self.0
            .fees
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The fee for payments sent from an account in `asset_code`.
    pub(crate) fn fee_for(&self, asset_code: &str) -> Fee {
        self.fees().get(asset_code).copied().unwrap_or_default()
    }

    pub(crate) fn set_fees(&self, fees: Fees) {
        tracing::info!(?fees, "fees changed");
        *self.0.fees.write().unwrap_or_else(PoisonError::into_inner) = fees;
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.0.clock.now() + time::Duration::seconds(self.clock_offset())
    }

    /// Seconds the admin API moved the clock on.
    pub(crate) fn clock_offset(&self) -> i64 {
        self.0
            .clock_offset
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Moves the clock on by `seconds` (never back: time only goes forward).
    pub(crate) fn advance_clock(&self, seconds: u32) {
        self.0
            .clock_offset
            .fetch_add(i64::from(seconds), std::sync::atomic::Ordering::SeqCst);
        tracing::info!(seconds, "sandbox clock moved on");
    }

    pub(crate) fn now_ms(&self) -> i64 {
        unix_ms(self.now())
    }

    /// The sandbox's own base URL (`http://127.0.0.1:<port>/`).
    pub(crate) fn base(&self) -> &Url {
        &self.0.base
    }

    pub(crate) fn wallet_url(&self, name: &str) -> Url {
        self.0
            .base
            .join(name)
            .unwrap_or_else(|_| self.0.base.clone())
    }

    /// `http://…/auth/{tenantId}`: the grant endpoint, and the URL the
    /// finish hash covers.
    pub(crate) fn auth_server(&self) -> Url {
        self.wallet_url(&format!("auth/{TENANT_ID}"))
    }

    pub(crate) fn resource_server(&self) -> Url {
        self.wallet_url("rs")
    }

    /// `http://…/rs/<collection>/<id>`.
    pub(crate) fn resource_url(&self, collection: &str, id: &str) -> Url {
        self.0
            .base
            .join(&format!("rs/{collection}/{id}"))
            .unwrap_or_else(|_| self.0.base.clone())
    }

    /// The local account a wallet address URL names, if it is one of ours.
    pub(crate) fn local_account_name(&self, url: &Url) -> Option<String> {
        let base = &self.0.base;
        if url.origin() != base.origin() {
            return None;
        }
        let name = url.path().trim_matches('/');
        (!name.is_empty() && !name.contains('/')).then(|| name.to_owned())
    }

    /// The id in `http://…/rs/<collection>/<id>`, if the URL is one of ours.
    pub(crate) fn local_resource_id(&self, url: &Url, collection: &str) -> Option<String> {
        if url.origin() != self.0.base.origin() {
            return None;
        }
        let rest = url.path().strip_prefix(&format!("/rs/{collection}/"))?;
        let id = rest.trim_end_matches('/');
        (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
    }

    pub(crate) fn timing_wait(&self) -> u64 {
        self.0.timing.wait
    }

    pub(crate) fn idp_secret(&self) -> &str {
        &self.0.idp_secret
    }

    pub(crate) fn account_balances(&self) -> Result<Vec<AccountBalance>, StoreError> {
        Ok(self
            .store()
            .accounts()?
            .into_iter()
            .map(|account| AccountBalance {
                wallet_address: self.wallet_url(&account.name),
                name: account.name,
                public_name: account.public_name,
                asset_code: account.asset_code,
                asset_scale: account.asset_scale,
                balance: account.balance,
                client: account.client,
            })
            .collect())
    }
}

pub(crate) fn unix_ms(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A random URL-safe token: 32 bytes from the OS, base64url.
pub(crate) fn random_token() -> String {
    use base64::Engine as _;
    use rand_core::RngCore as _;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn router(state: AppState) -> Router {
    Router::new()
        .merge(auth::routes())
        .merge(consent::routes())
        .merge(resource::routes())
        .merge(admin::routes(&state))
        .merge(wallet_address::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::middleware,
        ))
        .with_state(state)
}
