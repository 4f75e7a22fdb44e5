//! What the grant, pay, payments and prove commands share: their global
//! options, and the engine opened for one command (profiles, the grant
//! store) with a signing client per profile.
//!
//! The client building here re-implements what the app does; it goes when
//! the engine offers one way to build a profile's client.

use std::path::PathBuf;
use std::sync::Arc;

use consent_desk_engine::{FlowError, Flows, GRANTS_FILE};
use consent_desk_identity::{Folders, Identities, Profile};
use consent_desk_protocol::{Client, KeyId};

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
    pub(crate) identities: Identities,
    pub(crate) flows: Arc<Flows>,
    passphrase_env: Option<String>,
    ca_cert: Option<PathBuf>,
}

impl Context {
    /// Opens the profiles and the grant store of `folders` (the same
    /// folders, and the same keyring namespace, as the app run with them).
    pub(crate) fn open(options: &Options, folders: &Folders) -> Result<Self, String> {
        let data_dir = folders.data().to_owned();
        let secrets = Arc::new(folders.keyring());
        Ok(Self {
            identities: Identities::new(options.store.profiles(folders), secrets.clone()),
            flows: Arc::new(
                Flows::open(&data_dir.join(GRANTS_FILE), secrets).map_err(|e| e.to_string())?,
            ),
            passphrase_env: options.passphrase_env.clone(),
            ca_cert: options.ca_cert.clone(),
        })
    }

    pub(crate) fn profile(&self, id: Option<&str>) -> Result<Profile, String> {
        match id {
            Some(id) => self.identities.profile(id).map_err(|e| e.to_string()),
            None => self
                .identities
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
    pub(crate) fn client_of_grant(&self, id: &str) -> Result<Client, String> {
        let record = self.flows.grant(id).map_err(|e| e.to_string())?;
        self.client_of_profile(&record.profile)
    }

    /// The signing client of profile `id`.
    pub(crate) fn client_of_profile(&self, id: &str) -> Result<Client, String> {
        let profile = self.profile(Some(id))?;
        self.client(&profile).map_err(|e| e.to_string())
    }

    /// The signing client of `profile`: its key (opened with the passphrase
    /// from `--passphrase-env`), the CAs it and `--ca-cert` trust.
    pub(crate) fn client(&self, profile: &Profile) -> Result<Client, FlowError> {
        let passphrase = match &self.passphrase_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                FlowError::Client(format!(
                    "the environment variable {var} (the passphrase) is not set"
                ))
            })?),
            None => None,
        };
        let key = self
            .identities
            .load_key(profile, passphrase.as_deref())
            .map_err(|error| FlowError::Client(error.to_string()))?;
        let key_id =
            KeyId::new(profile.key_id.clone()).map_err(|e| FlowError::Client(e.to_string()))?;
        // What the command line asks of wallets goes to the same activity
        // log as the app's requests.
        let mut builder = Client::builder();
        for ca in profile.ca_cert.iter().chain(&self.ca_cert) {
            builder = builder.trust_ca_file(ca);
        }
        builder
            .key(key, key_id)
            .client_wallet(profile.wallet_address.as_str())
            .client_form(profile.client_form)
            .allow_http_loopback(profile.allow_http_loopback)
            .observer(self.flows.recorder())
            .build()
            .map_err(|error| FlowError::Client(error.to_string()))
    }
}
