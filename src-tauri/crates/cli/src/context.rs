//! What the grant, pay, payments and prove commands share: their global
//! options, and the engine opened for one command on the app's folders
//! (the same profiles, grant store and keyring as the app run with them).
//! Clients are the engine's, built the one way the app builds them; this
//! adds only where the command line's passphrase comes from.

use std::path::PathBuf;
use std::sync::Arc;

use consent_desk_engine::sandbox::SandboxWallet;
use consent_desk_engine::views::{FlowProgress, PaymentProgress};
use consent_desk_engine::{Desktop, Engine, Flows};
use consent_desk_identity::{Folders, Identities, Profile};
use consent_desk_protocol::Client;
use url::Url;

/// Options of every engine command, before or after its subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    #[command(flatten)]
    pub(crate) store: crate::Store,
    /// The profile to sign as (default: the one in use).
    #[arg(long, global = true)]
    pub(crate) profile: Option<String>,
    /// The environment variable holding the passphrase of a key kept in a
    /// protected file.
    #[arg(long, global = true, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// Also print the access token of approved grants (kept out by default).
    #[arg(long, global = true)]
    pub(crate) show_secrets: bool,
    /// Also trust this certificate authority (a PEM certificate file) for
    /// this command, besides the profile's (`profile add --ca-cert`).
    #[arg(long, global = true, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

pub(crate) struct Context {
    pub(crate) engine: Arc<Engine>,
    pub(crate) flows: Arc<Flows>,
    passphrase_env: Option<String>,
}

impl Context {
    /// Opens the engine of `folders` (profiles in `--config-dir` when
    /// given), with no sandbox wallet of its own and this terminal as its
    /// desktop.
    pub(crate) fn open(options: &Options, folders: &Folders) -> Result<Self, String> {
        let folders = match &options.store.config_dir {
            Some(dir) => folders.clone().with_config(dir),
            None => folders.clone(),
        };
        let engine = Engine::open(
            folders,
            SandboxWallet::none("the command line starts no sandbox wallet"),
            Arc::new(Terminal),
        );
        if let Some(ca) = &options.ca_cert {
            engine.keys().also_trust(ca.clone());
        }
        let flows = engine.flows().map_err(|e| e.to_string())?;
        Ok(Self {
            engine,
            flows,
            passphrase_env: options.passphrase_env.clone(),
        })
    }

    pub(crate) fn identities(&self) -> &Identities {
        &self.engine.keys().identities
    }

    pub(crate) fn profile(&self, id: Option<&str>) -> Result<Profile, String> {
        match id {
            Some(id) => self.identities().profile(id).map_err(|e| e.to_string()),
            None => self
                .identities()
                .profiles()
                .map_err(|e| e.to_string())?
                .active()
                .cloned()
                .ok_or_else(|| {
                    "no profile is in use: choose one with --profile or `consent-desk profile use`"
                        .to_owned()
                }),
        }
    }

    /// The signing client of the profile that asked for grant `id`.
    pub(crate) async fn client_of_grant(&self, id: &str) -> Result<Client, String> {
        let record = self.flows.grant(id).map_err(|e| e.to_string())?;
        self.client(&record.profile).await
    }

    /// The engine's signing client of profile `id`, its key opened with the
    /// passphrase from `--passphrase-env` and then kept for the rest of the
    /// command, so that the engine's own steps (the finish, the sending)
    /// sign with it too.
    pub(crate) async fn client(&self, id: &str) -> Result<Client, String> {
        let passphrase = self.passphrase()?;
        self.engine
            .unlocked_client(id, passphrase.map(Into::into))
            .await
            .map_err(|e| e.to_string())
    }

    /// Opens profile `id`'s key with `--passphrase-env`'s passphrase, when
    /// given, before the engine needs it: keys kept in the keyring need
    /// nothing, and a key file without a passphrase is refused in words
    /// where it is used.
    pub(crate) async fn unlock(&self, id: &str) -> Result<(), String> {
        if self.passphrase_env.is_some() {
            self.client(id).await?;
        }
        Ok(())
    }

    /// [`unlock`](Self::unlock) for the profile that asked for grant `id`.
    pub(crate) async fn unlock_grant(&self, id: &str) -> Result<(), String> {
        if self.passphrase_env.is_some() {
            self.client_of_grant(id).await?;
        }
        Ok(())
    }

    fn passphrase(&self) -> Result<Option<String>, String> {
        self.passphrase_env
            .as_ref()
            .map(|var| {
                std::env::var(var).map_err(|_| {
                    format!("the environment variable {var} (the passphrase) is not set")
                })
            })
            .transpose()
    }
}

/// The engine's desktop on a terminal. Commands print what happened from
/// the engine's answers (the documented text and `--json` lines), so the
/// progress it reports goes to the log only; a consent page opens in the
/// system browser.
struct Terminal;

impl Desktop for Terminal {
    fn flow_progress(&self, progress: FlowProgress) {
        tracing::info!(grant = ?progress.grant_id, step = ?progress.step, message = %progress.message, "approval");
    }

    fn payment_progress(&self, progress: PaymentProgress) {
        tracing::info!(payment = %progress.payment.id, message = %progress.message, "payment");
    }

    fn open_consent(&self, _grant_id: &str, redirect: &Url, _finish: &str) -> Result<(), String> {
        // No window here: the browser it is.
        self.open_in_browser(redirect);
        Ok(())
    }

    fn open_in_browser(&self, url: &Url) {
        open_in_browser(url.as_str());
    }

    fn close_consent(&self, _grant_id: &str) -> bool {
        false
    }
}

/// Opens `url` in the system browser; says so on stderr when it cannot.
pub(crate) fn open_in_browser(url: &str) {
    if let Err(error) = std::process::Command::new("xdg-open").arg(url).status() {
        eprintln!("note: the browser could not be opened ({error}); open the link yourself");
    }
}
