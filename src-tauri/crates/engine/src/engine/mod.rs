//! The application itself, one per data folder: profiles and their keys,
//! grants and payments, the finish routine every path calls, resume at
//! start. What only the desktop can do comes in through [`Desktop`]; the
//! Tauri shell's commands are a line each over these methods.

mod activity;
mod approve;
mod grants;
mod notices;
mod payments;
mod waiting;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use consent_desk_identity::{Folders, SecretBackend};
use consent_desk_protocol::Client;
use tokio::sync::oneshot;

use crate::desktop::Desktop;
use crate::error::Result;
use crate::keys::Keys;
use crate::sandbox::SandboxWallet;
use crate::views::{FlowProgress, FlowStep, GrantView, PaymentProgress, PaymentView, SecretText};
use crate::{Completed, FlowError, Flows, PaymentRecord};

/// The application of one data folder.
pub struct Engine {
    folders: Folders,
    sandbox: SandboxWallet,
    keys: Keys,
    /// The grant store, or why it could not be opened.
    flows: std::result::Result<Arc<Flows>, String>,
    /// The loopback listeners of grants that wait, each stopped through its
    /// sender.
    listeners: Mutex<HashMap<String, oneshot::Sender<()>>>,
    /// Grants whose Cancel the person pressed in the main window, while
    /// their consent window closes: its close then says so, not "you
    /// closed the window".
    cancel_pressed: Mutex<HashSet<String>>,
    /// Grants whose consent window is open: their links come only through
    /// the window ([`Engine::finish_for`]), never through the OS.
    in_window: Mutex<HashSet<String>>,
    /// Grants whose budget the wallet called spent when paying with them
    /// in this run: a one-time budget (`None`) is not offered for paying
    /// again, whatever this run's own count of its payments says (the
    /// wallet's count decides, and other apps may use the same grant); a
    /// renewing one not for the payment it was refused for (`Some`), since
    /// when its period ends is the wallet's clock's to say.
    spent_budgets: Mutex<HashMap<String, Option<String>>>,
    /// When this run started: pending grants asked for before it waited
    /// when the app closed ([`Engine::waiting_from_before`]).
    started_at: time::OffsetDateTime,
    /// Approvals from before this run put before the person again.
    reopened: Mutex<HashSet<String>>,
    /// The notifications given in this run, each once.
    given: crate::notices::Given,
    /// The notification switches, read from the settings file once; only
    /// this engine writes them.
    notice_settings: Mutex<Option<crate::notices::NoticeSettings>>,
    desktop: Arc<dyn Desktop>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("folders", &self.folders)
            .finish_non_exhaustive()
    }
}

/// What a finish link ended, for a caller that reports it itself (the
/// command line); the desktop has been told each step already.
#[derive(Debug)]
pub struct Finished {
    /// How the approval ended.
    pub completed: Completed,
    /// The payment that waited on this approval, sent (or ended) since.
    pub payment: Option<Sent>,
}

/// A payment the engine sent, resumed or followed: as it is now and, when
/// that failed, why.
#[derive(Debug)]
pub struct Sent {
    /// The payment as stored after the attempt.
    pub payment: PaymentRecord,
    /// Why sending failed, if it did. An expired quote
    /// ([`FlowError::QuoteExpired`]) leaves the payment waiting with its
    /// approved grant, for a new quote or a stop.
    pub error: Option<FlowError>,
}

impl Engine {
    /// Starts the application of `folders`: the sandbox wallet (its data in
    /// the sandbox folder), the profiles (the sandbox profile's key made on
    /// first start and published in the sandbox), and the grant store. None
    /// of these failing stops the app: each says why where it is used.
    pub async fn start(folders: Folders, desktop: Arc<dyn Desktop>) -> Arc<Self> {
        let sandbox = crate::sandbox::start(&folders).await;
        Self::open(folders, sandbox, desktop)
    }

    /// [`start`](Self::start) with a sandbox wallet started (or not) by the
    /// caller.
    #[must_use]
    pub fn open(folders: Folders, sandbox: SandboxWallet, desktop: Arc<dyn Desktop>) -> Arc<Self> {
        let secrets = Arc::new(folders.keyring());
        Self::open_with_secrets(folders, sandbox, secrets, desktop)
    }

    /// [`open`](Self::open) with keys and tokens kept in `secrets` instead of
    /// the folder's keyring (tests keep them in memory).
    #[must_use]
    pub fn open_with_secrets(
        folders: Folders,
        sandbox: SandboxWallet,
        secrets: Arc<dyn SecretBackend>,
        desktop: Arc<dyn Desktop>,
    ) -> Arc<Self> {
        let keys = crate::keys::start(&folders, Arc::clone(&secrets), sandbox.running());
        let flows = Flows::open(&folders.data().join(crate::GRANTS_FILE), secrets)
            .map(Arc::new)
            .map_err(|error| error.to_string());
        if let Err(problem) = &flows {
            tracing::error!(%problem, "the grant store did not open");
        }
        Arc::new(Self {
            folders,
            sandbox,
            keys,
            flows,
            listeners: Mutex::new(HashMap::new()),
            cancel_pressed: Mutex::new(HashSet::new()),
            in_window: Mutex::new(HashSet::new()),
            spent_budgets: Mutex::new(HashMap::new()),
            started_at: time::OffsetDateTime::now_utc(),
            reopened: Mutex::new(HashSet::new()),
            given: crate::notices::Given::default(),
            notice_settings: Mutex::new(None),
            desktop,
        })
    }

    /// Where the app keeps its files.
    #[must_use]
    pub fn folders(&self) -> &Folders {
        &self.folders
    }

    /// The in-process sandbox wallet.
    #[must_use]
    pub fn sandbox(&self) -> &SandboxWallet {
        &self.sandbox
    }

    /// Profiles and keys.
    #[must_use]
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The grant store.
    ///
    /// # Errors
    ///
    /// It could not be opened at start (the sentence says why).
    pub fn flows(&self) -> Result<Arc<Flows>> {
        self.flows
            .clone()
            .map_err(|problem| FlowError::Invalid(problem).into())
    }

    /// A signing client for `profile` with its key as opened earlier (the
    /// memory-only sandbox key included); every request it makes goes to
    /// the activity log.
    ///
    /// # Errors
    ///
    /// No such profile, or its key needs a passphrase not given in this run.
    pub fn client(&self, profile: &str) -> std::result::Result<Client, FlowError> {
        let observer = self.flows.as_ref().ok().map(|flows| flows.recorder());
        self.keys.client(profile, None, observer)
    }

    /// The signing client of `profile`, opening a key file with
    /// `passphrase` if given (Argon2 takes about a second: off the async
    /// workers).
    ///
    /// # Errors
    ///
    /// As [`client`](Self::client), or a wrong passphrase.
    pub async fn unlocked_client(
        self: &Arc<Self>,
        profile: &str,
        passphrase: Option<SecretText>,
    ) -> Result<Client> {
        let (engine, profile) = (Arc::clone(self), profile.to_owned());
        Ok(tokio::task::spawn_blocking(move || {
            let observer = engine.flows.as_ref().ok().map(|flows| flows.recorder());
            engine
                .keys
                .client(&profile, passphrase.as_deref(), observer)
        })
        .await
        .map_err(|error| FlowError::Client(format!("the key could not be opened ({error})")))??)
    }

    /// The profile in use, or a sentence saying there is none.
    ///
    /// # Errors
    ///
    /// None chosen yet, or the profiles file could not be read.
    pub fn active_profile(&self) -> Result<String> {
        self.keys
            .identities
            .profiles()?
            .active
            .ok_or_else(|| FlowError::NoProfile.into())
    }

    /// Tells the desktop an approval moved on.
    fn progress(
        &self,
        grant_id: Option<&str>,
        step: FlowStep,
        message: impl Into<String>,
        grant: Option<GrantView>,
    ) {
        self.desktop.flow_progress(FlowProgress {
            grant_id: grant_id.map(str::to_owned),
            step,
            message: message.into(),
            details: None,
            grant,
            in_browser: false,
        });
    }

    /// Tells the desktop an approval now waits in the person's browser.
    fn waiting_in_browser(&self, grant: GrantView) {
        self.desktop.flow_progress(FlowProgress {
            grant_id: Some(grant.id.clone()),
            step: FlowStep::Waiting,
            message: crate::words::Progress::WaitingInBrowser.words(),
            details: None,
            grant: Some(grant),
            in_browser: true,
        });
    }

    /// Tells the desktop a payment moved on; what it showed.
    fn announce(&self, record: &PaymentRecord, message: impl Into<String>) -> PaymentView {
        let payment = PaymentView::of(record);
        self.desktop.payment_progress(PaymentProgress {
            payment: payment.clone(),
            message: message.into(),
        });
        payment
    }

    fn stop_listener(&self, grant_id: &str) {
        if let Some(stop) = self
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(grant_id)
        {
            let _ = stop.send(());
        }
    }
}
