//! `consent-desk key …`: generate, import, show, verify and check a
//! profile's key. Errors on stderr with exit code 1 (2 for usage, 3 when
//! `key check` finds the key not registered).

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use consent_desk_identity::wallet::check_registration_trusting;
use consent_desk_identity::{Folders, Identities, IdentityError, KeySource};
use zeroize::Zeroizing;

use crate::output::Out;

/// Exit code of `key check` when the key is not (yet) registered.
const EXIT_NOT_REGISTERED: i32 = 3;

/// `consent-desk key`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) store: crate::Store,
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Passphrase {
    /// Keep or read the key in a passphrase-protected file instead of the
    /// system keyring; the passphrase comes from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
}

impl Passphrase {
    pub(crate) fn read(&self) -> Result<Option<Zeroizing<String>>, String> {
        match &self.passphrase_env {
            None => Ok(None),
            Some(var) => std::env::var(var)
                .map(|value| Some(Zeroizing::new(value)))
                .map_err(|_| format!("the environment variable {var} (the passphrase) is not set")),
        }
    }
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Give a profile a new key (the old one is replaced).
    Generate {
        /// Profile id or name.
        #[arg(long)]
        profile: String,
        /// A new key id (default: keep the current one).
        #[arg(long)]
        key_id: Option<String>,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Give a profile an existing key.
    Import {
        /// Profile id or name.
        #[arg(long)]
        profile: String,
        /// The private key file; `-` reads stdin.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The key id the wallet shows for it.
        #[arg(long)]
        key_id: Option<String>,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Print the profile's public key as a JWK (for the wallet's developer keys).
    Jwk {
        /// Profile id or name.
        #[arg(long)]
        profile: String,
        /// Print a whole key set `{"keys":[…]}`.
        #[arg(long)]
        jwks: bool,
    },
    /// Read the private key (keyring or file) and check it matches the
    /// profile's public key.
    Verify {
        /// Profile id or name.
        #[arg(long)]
        profile: String,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Check that the wallet publishes the profile's key (exit 3 if not).
    Check {
        /// Profile id or name.
        #[arg(long)]
        profile: String,
    },
}

/// A private key from a file, or from stdin for `-`.
pub(crate) fn read_key(path: &PathBuf) -> Result<Zeroizing<String>, String> {
    let mut text = Zeroizing::new(String::new());
    let result = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text).map(|_| ()))
    };
    result
        .map_err(|error| format!("the key file {} could not be read: {error}", path.display()))?;
    Ok(text)
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let identities = Identities::new(args.store.profiles(folders), Arc::new(folders.keyring()));
    let out = Out {
        json: args.store.json,
    };
    let fail = |error: IdentityError| error.to_string();
    match args.command {
        KeyCommand::Generate {
            profile,
            key_id,
            passphrase,
        } => {
            let profile = identities
                .replace_key(&profile, KeySource::Generate, key_id, passphrase.read()?)
                .map_err(fail)?;
            out.print(&profile.public_jwk, || {
                format!(
                    "New key for {}. Publish it in the wallet's developer keys:\n{}",
                    profile.name,
                    serde_json::to_string(&profile.public_jwk).unwrap_or_default()
                )
            });
        }
        KeyCommand::Import {
            profile,
            file,
            key_id,
            passphrase,
        } => {
            let text = read_key(&file)?;
            let profile = identities
                .replace_key(
                    &profile,
                    KeySource::Import(text),
                    key_id,
                    passphrase.read()?,
                )
                .map_err(fail)?;
            out.print(&profile.public_jwk, || {
                format!(
                    "Imported the key `{}` into {}.",
                    profile.key_id, profile.name
                )
            });
        }
        KeyCommand::Jwk { profile, jwks } => {
            let profile = identities.profile(&profile).map_err(fail)?;
            // JSON either way: it is what the wallet takes.
            let value = if jwks {
                serde_json::json!({ "keys": [profile.public_jwk] })
            } else {
                serde_json::to_value(&profile.public_jwk).unwrap_or_default()
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        KeyCommand::Verify {
            profile,
            passphrase,
        } => {
            let profile = identities.profile(&profile).map_err(fail)?;
            let passphrase = passphrase.read()?;
            let key = identities
                .load_key(&profile, passphrase.as_deref().map(String::as_str))
                .map_err(fail)?;
            let key_id = consent_desk_protocol::KeyId::new(profile.key_id.clone())
                .map_err(|e| e.to_string())?;
            if key.public_jwk(&key_id) != profile.public_jwk {
                return Err(format!(
                    "the private key in {} does not match the public key of profile `{}`",
                    profile.key.describe(),
                    profile.id
                ));
            }
            let report = serde_json::json!({"profile": profile.id, "keyId": profile.key_id, "matches": true});
            out.print(&report, || {
                format!(
                    "The private key in {} matches the public key `{}` of {}.",
                    profile.key.describe(),
                    profile.key_id,
                    profile.name
                )
            });
        }
        KeyCommand::Check { profile } => {
            let profile = identities.profile(&profile).map_err(fail)?;
            let registration = check_registration_trusting(
                &profile.wallet_address,
                &profile.public_jwk,
                profile.allow_http_loopback,
                profile.ca_cert.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
            let registered = registration == consent_desk_identity::Registration::Registered;
            out.print(&registration, || registration.describe(&profile.key_id));
            if !registered {
                return Ok(EXIT_NOT_REGISTERED);
            }
        }
    }
    Ok(0)
}
