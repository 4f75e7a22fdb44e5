//! `consent-desk grant …`: the grant flow for QA scripts. `request` asks for
//! an outgoing-payment grant, prints the consent URL and, with the loopback
//! finish, waits for the wallet to send the browser back, verifies and
//! continues; `continue` completes a finish URL delivered some other way;
//! `list`, `show` and `cancel` manage the rest. Secrets are never printed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use consent_desk_identity::{Identities, Profile, ProfileStore, SystemKeyring};
use consent_desk_protocol::{Client, KeyId};
use serde_json::json;

use crate::{Completed, FinishVia, FlowError, Flows, GrantRecord, GrantSpec, GRANTS_FILE};

#[derive(Debug, Parser)]
#[command(name = "consent-desk", version, about = "Consent Desk grants")]
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
    /// The data folder holding grants.sqlite3 (default: the app's).
    #[arg(long, global = true, env = "CONSENT_DESK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The profile to sign as (default: the one in use).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The environment variable holding the passphrase of a key kept in a
    /// protected file.
    #[arg(long, global = true, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// Also print the access token of approved grants (kept out by default).
    #[arg(long, global = true)]
    show_secrets: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Finish {
    /// http://127.0.0.1:<port>/finish/<id>: this command waits for it.
    Loopback,
    /// dev.consentdesk:/finish/<id>: the app completes it when the OS hands it over.
    DeepLink,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage grants.
    #[command(subcommand)]
    Grant(GrantCommand),
}

#[derive(Debug, Subcommand)]
enum GrantCommand {
    /// Ask the wallet for an outgoing-payment grant.
    Request {
        /// The sending wallet address.
        #[arg(long)]
        wallet: String,
        /// Most that may leave the wallet, in its smallest unit (1320 = $13.20 at scale 2).
        #[arg(long, conflicts_with = "receive")]
        debit: Option<String>,
        /// Most that may arrive, in the wallet's smallest unit.
        #[arg(long)]
        receive: Option<String>,
        /// The only incoming payment the grant may pay.
        #[arg(long)]
        receiver: Option<String>,
        /// A renewing budget, e.g. R/2025-04-22T08:00:00Z/P1D.
        #[arg(long)]
        interval: Option<String>,
        /// How the wallet sends the browser back.
        #[arg(long, value_enum, default_value = "loopback")]
        finish: Finish,
        /// Open the consent page in the system browser.
        #[arg(long)]
        open_browser: bool,
        /// How long to wait for the approval, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Complete a pending grant from its finish URL.
    Continue {
        /// The URL the wallet sent the browser to.
        #[arg(long)]
        finish_url: String,
    },
    /// Cancel a grant at the wallet.
    Cancel {
        /// The grant id.
        id: String,
    },
    /// List grants, newest first.
    List,
    /// Show one grant.
    Show {
        /// The grant id.
        id: String,
    },
}

struct Context {
    identities: Identities,
    flows: Flows,
    passphrase_env: Option<String>,
}

impl Context {
    fn profile(&self, id: Option<&str>) -> Result<Profile, String> {
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

    fn client(&self, profile: &Profile) -> Result<Client, FlowError> {
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
        Client::builder()
            .key(key, key_id)
            .client_wallet(profile.wallet_address.as_str())
            .allow_http_loopback(profile.allow_http_loopback)
            .build()
            .map_err(|error| FlowError::Client(error.to_string()))
    }
}

fn describe(record: &GrantRecord) -> String {
    let mut text = format!(
        "{}  {:?}  {}  {}",
        record.id, record.state, record.wallet, record.created_at
    );
    if let Some(problem) = &record.problem {
        text.push_str(&format!("\n  problem: {problem}"));
    }
    if let Some(access) = &record.access {
        text.push_str(&format!("\n  granted: {access}"));
    }
    if let Some(expires) = &record.expires_at {
        text.push_str(&format!("\n  token expires: {expires}"));
    }
    text
}

fn print(json_mode: bool, value: &serde_json::Value, text: &str) {
    if json_mode {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// Runs the command line on `args` (program name first); returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = String>) -> i32 {
    use consent_desk_identity::cli::{execute, parse};
    match parse::<Cli>(args) {
        Ok(cli) => execute(run(cli)),
        Err(code) => code,
    }
}

async fn run(cli: Cli) -> Result<i32, String> {
    let store = match &cli.config_dir {
        Some(dir) => ProfileStore::in_dir(dir),
        None => ProfileStore::for_user().map_err(|e| e.to_string())?,
    };
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => directories::BaseDirs::new()
            .ok_or("no data folder was found for this user (is HOME set?)")?
            .data_dir()
            .join(consent_desk_identity::KEYRING_SERVICE),
    };
    let secrets = Arc::new(SystemKeyring);
    let context = Context {
        identities: Identities::new(store, secrets.clone()),
        flows: Flows::open(&data_dir.join(GRANTS_FILE), secrets).map_err(|e| e.to_string())?,
        passphrase_env: cli.passphrase_env.clone(),
    };
    let json_mode = cli.json;
    let Command::Grant(command) = cli.command;
    match command {
        GrantCommand::Request {
            wallet,
            debit,
            receive,
            receiver,
            interval,
            finish,
            open_browser,
            timeout,
        } => {
            let profile = context.profile(cli.profile.as_deref())?;
            let client = context.client(&profile).map_err(|e| e.to_string())?;
            let spec = GrantSpec::parse(
                &wallet,
                debit.as_deref(),
                receive.as_deref(),
                receiver.as_deref(),
                interval.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            // --finish loopback, or a profile that always finishes that way.
            let loopback = matches!(finish, Finish::Loopback) || profile.loopback_finish;
            let mut listener = if loopback {
                Some(
                    crate::loopback::Listener::bind()
                        .await
                        .map_err(|e| e.to_string())?,
                )
            } else {
                None
            };
            let via = match &listener {
                Some(listener) => FinishVia::Loopback {
                    port: listener.port(),
                },
                None => FinishVia::DeepLink,
            };
            let pending = context
                .flows
                .request(&client, &profile.id, &spec, via)
                .await
                .map_err(|e| e.to_string())?;
            let redirect = pending.redirect.clone().unwrap_or_default();
            print(
                json_mode,
                &json!({"event": "pending", "id": pending.id, "redirect": redirect}),
                &format!("Approve this in your browser: {redirect}"),
            );
            if open_browser {
                if let Err(error) = std::process::Command::new("xdg-open")
                    .arg(&redirect)
                    .status()
                {
                    eprintln!(
                        "note: the browser could not be opened ({error}); open the link yourself"
                    );
                }
            }
            let Some(listener) = listener.as_mut() else {
                if !json_mode {
                    println!(
                        "The grant {} waits for the wallet to send you back to Consent Desk.",
                        pending.id
                    );
                }
                return Ok(0);
            };
            loop {
                let finish_url =
                    tokio::time::timeout(Duration::from_secs(timeout), listener.next())
                        .await
                        .map_err(|_| {
                            format!(
                        "no approval arrived within {timeout} s; the grant {} is still pending",
                        pending.id
                    )
                        })?
                        .ok_or("the loopback listener stopped")?;
                match context
                    .flows
                    .complete(&finish_url, |_| context.client(&profile))
                    .await
                {
                    Ok(completed) => {
                        let token = shown_token(&context, cli.show_secrets, &completed);
                        return Ok(report(json_mode, &completed, token));
                    }
                    // A forged or stray finish: say so and keep waiting for the real one.
                    Err(error @ (FlowError::Refused(_) | FlowError::UnknownFinish)) => {
                        eprintln!("refused: {error}");
                    }
                    Err(error) => return Err(error.to_string()),
                }
            }
        }
        GrantCommand::Continue { finish_url } => {
            let completed = context
                .flows
                .complete(&finish_url, |profile_id| {
                    let profile = context
                        .identities
                        .profile(profile_id)
                        .map_err(|e| FlowError::Client(e.to_string()))?;
                    context.client(&profile)
                })
                .await
                .map_err(|e| e.to_string())?;
            let token = shown_token(&context, cli.show_secrets, &completed);
            Ok(report(json_mode, &completed, token))
        }
        GrantCommand::Cancel { id } => {
            let record = context
                .flows
                .get(&id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no grant `{id}`"))?;
            let profile = context.profile(Some(&record.profile))?;
            let client = context.client(&profile).map_err(|e| e.to_string())?;
            let record = context
                .flows
                .cancel(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            print(
                json_mode,
                &serde_json::to_value(&record).unwrap_or_default(),
                &format!("Cancelled {id}."),
            );
            Ok(0)
        }
        GrantCommand::List => {
            let grants = context.flows.list().map_err(|e| e.to_string())?;
            let text = if grants.is_empty() {
                "No grants yet.".to_owned()
            } else {
                grants.iter().map(describe).collect::<Vec<_>>().join("\n")
            };
            print(
                json_mode,
                &serde_json::to_value(&grants).unwrap_or_default(),
                &text,
            );
            Ok(0)
        }
        GrantCommand::Show { id } => {
            let record = context
                .flows
                .get(&id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no grant `{id}`"))?;
            print(
                json_mode,
                &serde_json::to_value(&record).unwrap_or_default(),
                &describe(&record),
            );
            Ok(0)
        }
    }
}

/// The access token of an approved grant, when `--show-secrets` asks for it.
fn shown_token(context: &Context, show: bool, completed: &Completed) -> Option<String> {
    match completed {
        Completed::Approved(record) if show => context
            .flows
            .access_token(&record.id)
            .ok()
            .map(|token| token.secret().to_owned()),
        _ => None,
    }
}

/// Prints the outcome; exit 0 when approved, 4 when the wallet said no.
fn report(json_mode: bool, completed: &Completed, token: Option<String>) -> i32 {
    match completed {
        Completed::Approved(record) => {
            let mut value = serde_json::to_value(record).unwrap_or_default();
            let mut text = format!("Approved.\n{}", describe(record));
            if let Some(token) = token {
                value["accessToken"] = token.clone().into();
                text.push_str(&format!("\n  access token: {token}"));
            }
            print(json_mode, &value, &text);
            0
        }
        Completed::NotApproved(record) => {
            print(
                json_mode,
                &serde_json::to_value(record).unwrap_or_default(),
                &format!("Not approved.\n{}", describe(record)),
            );
            4
        }
    }
}
