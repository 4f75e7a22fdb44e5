//! `consent-desk profile …`: add, list, show, remove and use profiles.
//! Human-readable output by default, JSON with `--json`; errors on stderr
//! with exit code 1 (2 for usage).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use consent_desk_identity::wallet::{parse_wallet_url, preview_trusting};
use consent_desk_identity::{
    Folders, Identities, IdentityError, KeySource, NewProfile, Profile, Storage,
};
use consent_desk_protocol::ClientForm;

use crate::key::{read_key, Passphrase};
use crate::output::Out;

/// `consent-desk profile`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) store: crate::Store,
    #[command(subcommand)]
    command: ProfileCommand,
}

/// `--client-form`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ClientFormArg {
    /// `"client": "https://…"` (deprecated, accepted everywhere).
    String,
    /// `"client": {"walletAddress": "https://…"}`.
    Object,
}

impl From<ClientFormArg> for ClientForm {
    fn from(form: ClientFormArg) -> Self {
        match form {
            ClientFormArg::String => Self::String,
            ClientFormArg::Object => Self::Object,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Add a profile with a new or imported key.
    Add {
        /// What to call it.
        #[arg(long)]
        name: String,
        /// The client wallet address (https://…, or $wallet/… pointer).
        #[arg(long)]
        wallet: String,
        /// The key id (kid); a new one if absent.
        #[arg(long)]
        key_id: Option<String>,
        /// Import this private key (PKCS#8 PEM, base64 PEM or seed); `-` reads
        /// stdin. Without it a new key is generated.
        #[arg(long, value_name = "FILE")]
        import: Option<PathBuf>,
        /// With --passphrase-env: where the protected key file goes.
        #[arg(long, value_name = "PATH")]
        key_file: Option<PathBuf>,
        #[command(flatten)]
        passphrase: Passphrase,
        /// Allow plain http to this machine (local development wallets).
        #[arg(long)]
        allow_http_loopback: bool,
        /// Do not fetch the wallet address first.
        #[arg(long)]
        no_check: bool,
        /// Also trust this certificate authority (a PEM certificate file) for
        /// the wallet's https, for wallets behind a private CA. The file is
        /// checked now and its path kept.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Have wallets send the browser back to a listener on 127.0.0.1
        /// instead of a dev.consentdesk: link (for wallets that refuse custom
        /// schemes).
        #[arg(long)]
        loopback_finish: bool,
        /// How grant requests name this client: `string` (the deprecated
        /// form every deployed server accepts) or `object`
        /// ({"walletAddress": …}, Open Payments 1.3).
        #[arg(long, value_enum, default_value_t = ClientFormArg::String)]
        client_form: ClientFormArg,
    },
    /// List profiles; `*` marks the one in use.
    List,
    /// Show a profile and its public key.
    Show {
        /// Profile id or name.
        profile: String,
    },
    /// Remove a profile and its key.
    Remove {
        /// Profile id or name.
        profile: String,
    },
    /// Use this profile from now on.
    Use {
        /// Profile id or name.
        profile: String,
    },
}

fn describe(profile: &Profile, active: bool) -> String {
    format!(
        "{} {:<24} {:<28} {}  key `{}` in {}",
        if active { "*" } else { " " },
        profile.id,
        profile.name,
        profile.wallet_address,
        profile.key_id,
        profile.key.describe()
    )
}

fn details(profile: &Profile) -> String {
    format!(
        "{}\n  id:             {}\n  wallet address: {}\n  key id:         {}\n  key stored in:  {}\n  plain http:     {}\n  client as:      {}\n  public key:     {}",
        profile.name,
        profile.id,
        profile.wallet_address,
        profile.key_id,
        profile.key.describe(),
        if profile.allow_http_loopback { "allowed to this machine" } else { "refused" },
        match profile.client_form {
            ClientForm::String => "a string (the deprecated form every server accepts)",
            ClientForm::Object => "{\"walletAddress\": …} (Open Payments 1.3)",
        },
        serde_json::to_string(&profile.public_jwk).unwrap_or_default()
    ) + &profile
        .ca_cert
        .as_ref()
        .map(|path| format!("\n  also trusts:    {}", path.display()))
        .unwrap_or_default()
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let identities = Identities::new(args.store.profiles(folders), Arc::new(folders.keyring()));
    let out = Out {
        json: args.store.json,
    };
    let fail = |error: IdentityError| error.to_string();
    match args.command {
        ProfileCommand::Add {
            name,
            wallet,
            key_id,
            import,
            key_file,
            passphrase,
            allow_http_loopback,
            no_check,
            ca_cert,
            loopback_finish,
            client_form,
        } => {
            // A file that is not a CA certificate is refused before anything
            // is asked of the wallet or kept.
            if let Some(path) = &ca_cert {
                consent_desk_protocol::read_ca_file(path).map_err(|e| format!("--ca-cert: {e}"))?;
            }
            let wallet_address = if no_check {
                parse_wallet_url(&wallet, allow_http_loopback).map_err(|e| e.to_string())?
            } else {
                preview_trusting(&wallet, allow_http_loopback, ca_cert.as_deref())
                    .await
                    .map_err(|e| e.to_string())?
                    .url
            };
            let key = match &import {
                Some(path) => KeySource::Import(read_key(path)?),
                None => KeySource::Generate,
            };
            let storage = match (passphrase.read()?, key_file) {
                (None, None) => Storage::Keyring,
                (Some(passphrase), Some(path)) => Storage::EncryptedFile { path, passphrase },
                (Some(_), None) => return Err("--passphrase-env needs --key-file PATH".into()),
                (None, Some(_)) => return Err("--key-file needs --passphrase-env VAR".into()),
            };
            let profile = identities
                .add(NewProfile {
                    name,
                    wallet_address,
                    key_id,
                    key,
                    storage,
                    allow_http_loopback,
                    loopback_finish,
                })
                .map_err(fail)?;
            let profile = match &ca_cert {
                Some(path) => identities
                    .set_ca_cert(&profile.id, Some(path))
                    .map_err(fail)?,
                None => profile,
            };
            let profile = match client_form.into() {
                ClientForm::String => profile,
                form => identities
                    .set_client_form(&profile.id, form)
                    .map_err(fail)?,
            };
            out.print(&profile, || {
                format!(
                    "Added {}.\nAdd this public key to the wallet's developer keys, then run \
                     `consent-desk key check --profile {}`:\n{}",
                    details(&profile),
                    profile.id,
                    serde_json::to_string(&profile.public_jwk).unwrap_or_default()
                )
            });
        }
        ProfileCommand::List => {
            let profiles = identities.profiles().map_err(fail)?;
            out.print(&profiles, || {
                if profiles.profiles.is_empty() {
                    "No profiles yet: add one with `consent-desk profile add`.".to_owned()
                } else {
                    profiles
                        .profiles
                        .iter()
                        .map(|p| describe(p, profiles.active.as_deref() == Some(p.id.as_str())))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
        }
        ProfileCommand::Show { profile } => {
            let profile = identities.profile(&profile).map_err(fail)?;
            out.print(&profile, || details(&profile));
        }
        ProfileCommand::Remove { profile } => {
            let removed = identities.remove(&profile).map_err(fail)?;
            out.print(&removed, || {
                format!("Removed {} and its key.", removed.name)
            });
        }
        ProfileCommand::Use { profile } => {
            let used = identities.use_profile(&profile).map_err(fail)?;
            out.print(&used, || format!("Using {} from now on.", used.name));
        }
    }
    Ok(0)
}
