//! `consent-desk profile …` and `consent-desk key …`: every profile action
//! for scripts. Human-readable output by default, JSON with `--json`; errors
//! on stderr with exit code 1 (2 for usage, 3 when `key check` finds the key
//! not registered).

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use consent_desk_protocol::ClientForm;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::wallet::{check_registration_trusting, parse_wallet_url, preview_trusting};
use crate::{
    Folders, Identities, IdentityError, KeySource, NewProfile, Profile, ProfileStore, Storage,
};

/// Exit code of `key check` when the key is not (yet) registered.
pub const EXIT_NOT_REGISTERED: i32 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "consent-desk",
    version,
    about = "Consent Desk profiles and keys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The settings folder holding profiles.json (default: the app's).
    #[arg(
        long,
        global = true,
        env = "CONSENT_DESK_CONFIG_DIR",
        value_name = "DIR"
    )]
    config_dir: Option<PathBuf>,
    /// The app's data folder: profiles live there (unless --config-dir) and
    /// keyring entries are namespaced by it (default: the app's).
    #[arg(long, global = true, env = crate::DATA_DIR_ENV, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage profiles (who the app signs as).
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Manage a profile's key.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Args)]
struct Passphrase {
    /// Keep or read the key in a passphrase-protected file instead of the
    /// system keyring; the passphrase comes from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
}

impl Passphrase {
    fn read(&self) -> Result<Option<Zeroizing<String>>, String> {
        match &self.passphrase_env {
            None => Ok(None),
            Some(var) => std::env::var(var)
                .map(|value| Some(Zeroizing::new(value)))
                .map_err(|_| format!("the environment variable {var} (the passphrase) is not set")),
        }
    }
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

/// One line of output, text or JSON.
struct Out {
    json: bool,
}

impl Out {
    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", text());
        }
    }
}

fn read_key(path: &PathBuf) -> Result<Zeroizing<String>, String> {
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

/// Runs the command line on `args` (program name first); returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = String>) -> i32 {
    match parse::<Cli>(args) {
        Ok(cli) => execute(run(cli)),
        Err(code) => code,
    }
}

/// Parses a command line, printing help or the usage error; `Err` is the
/// exit code (0 for `--help`, 2 for a usage error). Shared by the app's
/// command-line front ends.
///
/// # Errors
///
/// The exit code when there is nothing to run.
pub fn parse<C: Parser>(args: impl IntoIterator<Item = String>) -> Result<C, i32> {
    C::try_parse_from(args).map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            2
        } else {
            0
        }
    })
}

/// Runs a command to its exit code on a fresh runtime: `Err` messages go to
/// stderr as `error: …` with exit code 1.
pub fn execute(command: impl std::future::Future<Output = Result<i32, String>>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: the async runtime could not start: {error}");
            return 1;
        }
    };
    match runtime.block_on(command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

async fn run(cli: Cli) -> Result<i32, String> {
    let folders = match &cli.data_dir {
        Some(dir) => Folders::in_dir(dir),
        None => Folders::resolve().map_err(|e| e.to_string())?,
    };
    let store = ProfileStore::in_dir(cli.config_dir.as_deref().unwrap_or(folders.config()));
    let identities = Identities::new(store, Arc::new(folders.keyring()));
    let out = Out { json: cli.json };
    let fail = |error: IdentityError| error.to_string();
    match cli.command {
        Command::Profile(ProfileCommand::Add {
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
        }) => {
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
        Command::Profile(ProfileCommand::List) => {
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
        Command::Profile(ProfileCommand::Show { profile }) => {
            let profile = identities.profile(&profile).map_err(fail)?;
            out.print(&profile, || details(&profile));
        }
        Command::Profile(ProfileCommand::Remove { profile }) => {
            let removed = identities.remove(&profile).map_err(fail)?;
            out.print(&removed, || {
                format!("Removed {} and its key.", removed.name)
            });
        }
        Command::Profile(ProfileCommand::Use { profile }) => {
            let used = identities.use_profile(&profile).map_err(fail)?;
            out.print(&used, || format!("Using {} from now on.", used.name));
        }
        Command::Key(KeyCommand::Generate {
            profile,
            key_id,
            passphrase,
        }) => {
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
        Command::Key(KeyCommand::Import {
            profile,
            file,
            key_id,
            passphrase,
        }) => {
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
        Command::Key(KeyCommand::Jwk { profile, jwks }) => {
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
        Command::Key(KeyCommand::Verify {
            profile,
            passphrase,
        }) => {
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
        Command::Key(KeyCommand::Check { profile }) => {
            let profile = identities.profile(&profile).map_err(fail)?;
            let registration = check_registration_trusting(
                &profile.wallet_address,
                &profile.public_jwk,
                profile.allow_http_loopback,
                profile.ca_cert.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
            let registered = registration == crate::Registration::Registered;
            out.print(&registration, || registration.describe(&profile.key_id));
            if !registered {
                return Ok(EXIT_NOT_REGISTERED);
            }
        }
    }
    Ok(0)
}
