//! `consent-desk grant …`, `consent-desk pay …` and `consent-desk payments …`:
//! the app's engine for QA scripts. `grant request` asks for an
//! outgoing-payment grant, prints the consent URL and, with the loopback
//! finish, waits for the wallet to send the browser back, verifies and
//! continues; `grant continue` completes a finish URL delivered some other
//! way; `list`, `show`, `spent`, `rotate`, `revoke` and `cancel` manage the
//! rest. `pay` runs a whole payment (quote, confirmation, grant, payment).
//! Secrets are never printed unless `--show-secrets` asks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use consent_desk_identity::{Folders, Identities, Profile, ProfileStore};
use consent_desk_protocol::{Client, KeyId};
use serde_json::json;

use crate::{
    Abandoned, Completed, FlowError, Flows, GrantRecord, GrantSpec, PayAmount, PayRequest,
    PaymentRecord, PaymentState, GRANTS_FILE,
};

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
    /// The app's data folder (grants.sqlite3; with no --config-dir also
    /// profiles.json); keyring entries are namespaced by it (default: the app's).
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
    /// Also trust this certificate authority (a PEM certificate file) for
    /// this command, besides the profile's (`profile add --ca-cert`).
    #[arg(long, global = true, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Finish {
    /// http://127.0.0.1:<port>/finish/<id>: this command waits for it.
    Loopback,
    /// dev.consentdesk:/finish/<id>: the app completes it when the OS hands it over.
    DeepLink,
}

impl Finish {
    /// The way the wallet sends the browser back: an explicit `--finish`
    /// wins over the profile's loopback setting; with neither, the loopback
    /// (this command waits). Also says why, for the output.
    fn choose(asked: Option<Self>, profile: &Profile) -> (Self, &'static str) {
        match asked {
            Some(finish) => (finish, "--finish"),
            None if profile.loopback_finish => (Self::Loopback, "the profile's setting"),
            None => (Self::Loopback, "the default"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::DeepLink => "deep-link",
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage grants.
    #[command(subcommand, alias = "grants")]
    Grant(GrantCommand),
    /// Send a payment: quote, your confirmation, the wallet's approval, the
    /// payment, until it settles.
    Pay {
        /// The paying wallet address (yours).
        #[arg(long)]
        from: String,
        /// A wallet address, or an incoming payment URL.
        #[arg(long)]
        to: String,
        /// The amount in the asset's normal unit (12.50); what you send,
        /// fees included, unless --receive. Leave out to pay what an incoming
        /// payment asks for.
        // A negative amount is refused in words, not as an unknown option.
        #[arg(long, allow_negative_numbers = true)]
        amount: Option<String>,
        /// The amount is what the receiver gets (in their asset).
        #[arg(long)]
        receive: bool,
        /// A note for the receiver.
        #[arg(long)]
        note: Option<String>,
        /// Pay the quote without asking.
        #[arg(long)]
        yes: bool,
        /// Pay with this grant, approved earlier (see `grant list`), instead
        /// of asking the wallet for a new one.
        #[arg(long, value_name = "ID", conflicts_with_all = ["finish", "open_browser"])]
        grant: Option<String>,
        /// How the wallet sends the browser back (default: loopback); wins
        /// over the profile's setting.
        #[arg(long, value_enum)]
        finish: Option<Finish>,
        /// Open the consent page in the system browser.
        #[arg(long)]
        open_browser: bool,
        /// How long to wait for the approval, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Payments made, and those a crash interrupted.
    #[command(subcommand, alias = "payment")]
    Payments(PaymentsCommand),
    /// Prove you own a wallet address (Open Payments 1.3 `subject`): you
    /// confirm at its wallet, nothing is granted or paid. Exit 0 when
    /// proved, 4 when not.
    Prove {
        /// The wallet address (https://… or $wallet.example/you).
        wallet: String,
        /// How the wallet sends the browser back (default: loopback); wins
        /// over the profile's setting.
        #[arg(long, value_enum)]
        finish: Option<Finish>,
        /// Open the consent page in the system browser.
        #[arg(long)]
        open_browser: bool,
        /// How long to wait for the confirmation, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
enum PaymentsCommand {
    /// List payments, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// How many newer ones to skip.
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Show one payment.
    Show {
        /// The payment id.
        id: String,
    },
    /// Go on with a payment a crash or a lost connection interrupted (never
    /// pays twice).
    Resume {
        /// The payment id.
        id: String,
    },
    /// Stop a payment that was not sent.
    Cancel {
        /// The payment id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum GrantCommand {
    /// Ask the wallet for an outgoing-payment grant.
    Request {
        /// The sending wallet address.
        #[arg(long)]
        wallet: String,
        /// Most that may leave the wallet, in its asset as people write it:
        /// 13.20 for $13.20, 1000 for ¥1000.
        #[arg(long, group = "limit", allow_negative_numbers = true)]
        debit: Option<String>,
        /// --debit in the asset's smallest unit instead: 1320 is $13.20 at
        /// scale 2.
        #[arg(
            long,
            value_name = "UNITS",
            group = "limit",
            allow_negative_numbers = true
        )]
        debit_minor: Option<String>,
        /// Most that may arrive, in the wallet's asset as people write it.
        #[arg(long, group = "limit", allow_negative_numbers = true)]
        receive: Option<String>,
        /// --receive in the asset's smallest unit instead.
        #[arg(
            long,
            value_name = "UNITS",
            group = "limit",
            allow_negative_numbers = true
        )]
        receive_minor: Option<String>,
        /// The only incoming payment the grant may pay.
        #[arg(long)]
        receiver: Option<String>,
        /// A renewing budget, e.g. R/2025-04-22T08:00:00Z/P1D.
        #[arg(long)]
        interval: Option<String>,
        /// How the wallet sends the browser back (default: loopback); wins
        /// over the profile's setting.
        #[arg(long, value_enum)]
        finish: Option<Finish>,
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
    List {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// How many newer ones to skip.
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// What an approved grant has spent (this interval's, for a recurring one).
    Spent {
        /// The grant id.
        id: String,
    },
    /// Get a new access token for a grant (the old one stops working).
    Rotate {
        /// The grant id.
        id: String,
    },
    /// Revoke a grant's access token: nothing more can be paid with it.
    Revoke {
        /// The grant id.
        id: String,
    },
    /// Show one grant.
    Show {
        /// The grant id.
        id: String,
    },
}

struct Context {
    identities: Identities,
    flows: Arc<Flows>,
    passphrase_env: Option<String>,
    ca_cert: Option<PathBuf>,
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

    /// The signing client of the profile that asked for grant `id`.
    fn client_of_grant(&self, id: &str) -> Result<Client, String> {
        let record = self.flows.grant(id).map_err(|e| e.to_string())?;
        self.client_of_profile(&record.profile)
    }

    /// The signing client of profile `id`.
    fn client_of_profile(&self, id: &str) -> Result<Client, String> {
        let profile = self.profile(Some(id))?;
        self.client(&profile).map_err(|e| e.to_string())
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

fn describe(record: &GrantRecord) -> String {
    let mut text = format!(
        "{}  {:?}  {}  {}",
        record.id, record.state, record.wallet, record.created_at
    );
    if let Some(problem) = &record.problem {
        // In words, with the wallet's own code for whoever scripts or reports.
        match crate::problem_words(problem) {
            Some(words) => text.push_str(&format!("\n  problem: {words} ({problem})")),
            None => text.push_str(&format!("\n  problem: {problem}")),
        }
    }
    if let Some(access) = &record.access {
        text.push_str(&format!("\n  granted: {access}"));
    }
    if let Some(expires) = &record.expires_at {
        text.push_str(&format!("\n  token expires: {expires}"));
    }
    text
}

fn print<T: serde::Serialize>(json_mode: bool, value: &T, text: &str) {
    if json_mode {
        println!("{}", serde_json::to_value(value).unwrap_or_default());
    } else {
        println!("{text}");
    }
}

/// Prints a list: JSON, or a line per item (`empty` when there is none).
fn print_list<T: serde::Serialize>(
    json_mode: bool,
    items: &[T],
    empty: &str,
    line: impl Fn(&T) -> String,
) {
    let text = if items.is_empty() {
        empty.to_owned()
    } else {
        items.iter().map(line).collect::<Vec<_>>().join("\n")
    };
    print(json_mode, &items, &text);
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
    // `--data-dir` (CONSENT_DESK_DATA_DIR) is the app's data folder: the same
    // folders, and the same keyring namespace, as the app run with it.
    let folders = match &cli.data_dir {
        Some(dir) => Folders::in_dir(dir),
        None => Folders::resolve().map_err(|e| e.to_string())?,
    };
    let store = ProfileStore::in_dir(cli.config_dir.as_deref().unwrap_or(folders.config()));
    let data_dir = folders.data().to_owned();
    let secrets = Arc::new(folders.keyring());
    let context = Context {
        identities: Identities::new(store, secrets.clone()),
        flows: Arc::new(
            Flows::open(&data_dir.join(GRANTS_FILE), secrets).map_err(|e| e.to_string())?,
        ),
        passphrase_env: cli.passphrase_env.clone(),
        ca_cert: cli.ca_cert.clone(),
    };
    let json_mode = cli.json;
    let command = match cli.command {
        Command::Grant(command) => command,
        Command::Pay {
            from,
            to,
            amount,
            receive,
            note,
            yes,
            grant,
            finish,
            open_browser,
            timeout,
        } => {
            let request = PayArgs {
                from,
                to,
                amount,
                receive,
                note,
                yes,
                grant,
                finish,
                open_browser,
                timeout,
            };
            return pay(&context, cli.profile.as_deref(), json_mode, request).await;
        }
        Command::Payments(command) => return payments(&context, json_mode, command).await,
        Command::Prove {
            wallet,
            finish,
            open_browser,
            timeout,
        } => {
            let profile = context.profile(cli.profile.as_deref())?;
            let client = context.client(&profile).map_err(|e| e.to_string())?;
            let wallet =
                crate::typed_url(&wallet, "the wallet address").map_err(|e| e.to_string())?;
            let (finish, why) = Finish::choose(finish, &profile);
            let (via, mut listener) = crate::loopback::finish_route(finish == Finish::Loopback)
                .await
                .map_err(|e| e.to_string())?;
            let pending = context
                .flows
                .request_proof(&client, &profile.id, &wallet, via)
                .await
                .map_err(|e| e.to_string())?;
            show_finish(json_mode, finish, why);
            show_pending(
                json_mode,
                json!({"id": pending.id, "finish": finish.name(), "wallet": pending.wallet}),
                pending.redirect.as_deref().unwrap_or_default(),
                "that you own this wallet address",
                open_browser,
            );
            let Some(listener) = listener.as_mut() else {
                waits_for_link(json_mode, "proof", &pending.id);
                return Ok(0);
            };
            let completed =
                await_finish(&context, &profile, listener, timeout, &pending.id).await?;
            return Ok(report(json_mode, &completed, None));
        }
    };
    match command {
        GrantCommand::Request {
            wallet,
            debit,
            debit_minor,
            receive,
            receive_minor,
            receiver,
            interval,
            finish,
            open_browser,
            timeout,
        } => {
            let profile = context.profile(cli.profile.as_deref())?;
            let client = context.client(&profile).map_err(|e| e.to_string())?;
            // Decimal amounts need the wallet's scale; raw ones go as given.
            let (debit, receive) = match (debit, receive) {
                (None, None) => (debit_minor, receive_minor),
                (debit, receive) => {
                    let scale = wallet_scale(&client, &wallet).await?;
                    let units = |text: Option<String>, option: &str| {
                        text.map(|text| {
                            crate::parse_major_units(&text, scale)
                                .map(|value| value.to_string())
                                .map_err(|error| format!("{option}: {error}"))
                        })
                        .transpose()
                    };
                    (units(debit, "--debit")?, units(receive, "--receive")?)
                }
            };
            let spec = GrantSpec::parse(
                &wallet,
                debit.as_deref(),
                receive.as_deref(),
                receiver.as_deref(),
                interval.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            let (finish, why) = Finish::choose(finish, &profile);
            let (via, mut listener) = crate::loopback::finish_route(finish == Finish::Loopback)
                .await
                .map_err(|e| e.to_string())?;
            let pending = context
                .flows
                .request(&client, &profile.id, &spec, via)
                .await
                .map_err(|e| e.to_string())?;
            show_finish(json_mode, finish, why);
            show_pending(
                json_mode,
                json!({"id": pending.id, "finish": finish.name()}),
                pending.redirect.as_deref().unwrap_or_default(),
                "this",
                open_browser,
            );
            let Some(listener) = listener.as_mut() else {
                waits_for_link(json_mode, "grant", &pending.id);
                return Ok(0);
            };
            let completed =
                await_finish(&context, &profile, listener, timeout, &pending.id).await?;
            let token = shown_token(&context, cli.show_secrets, &completed);
            Ok(report(json_mode, &completed, token))
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
            let client = context.client_of_grant(&id)?;
            let record = context
                .flows
                .cancel(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            print(json_mode, &record, &format!("Cancelled {id}."));
            Ok(0)
        }
        GrantCommand::Spent { id } => {
            let client = context.client_of_grant(&id)?;
            let spent = context
                .flows
                .spent(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            let words = |amount: &Option<consent_desk_protocol::Amount>| {
                amount.as_ref().map_or_else(
                    || "nothing".to_owned(),
                    consent_desk_protocol::describe::format_amount_of,
                )
            };
            print(
                json_mode,
                &spent,
                &format!(
                    "Spent: {} debited, {} delivered.",
                    words(&spent.spent_debit_amount),
                    words(&spent.spent_receive_amount)
                ),
            );
            Ok(0)
        }
        GrantCommand::Rotate { id } => {
            let client = context.client_of_grant(&id)?;
            let token = context
                .flows
                .rotate(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            let record = context.flows.get(&id).map_err(|e| e.to_string())?;
            let mut value = serde_json::to_value(&record).unwrap_or_default();
            if cli.show_secrets {
                value["accessToken"] = token.secret().into();
            }
            print(json_mode, &value, &format!("New token for {id}."));
            Ok(0)
        }
        GrantCommand::Revoke { id } => {
            let client = context.client_of_grant(&id)?;
            let record = context
                .flows
                .revoke(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            print(json_mode, &record, &format!("Revoked the token of {id}."));
            Ok(0)
        }
        GrantCommand::List { limit, offset } => {
            let grants = context
                .flows
                .grants_page(limit, offset)
                .map_err(|e| e.to_string())?;
            print_list(json_mode, &grants, "No grants yet.", describe);
            Ok(0)
        }
        GrantCommand::Show { id } => {
            let record = context.flows.grant(&id).map_err(|e| e.to_string())?;
            print(json_mode, &record, &describe(&record));
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
        Completed::Proved(record) => {
            let mut value = serde_json::to_value(record).unwrap_or_default();
            value["event"] = "proved".into();
            value["proved"] = true.into();
            print(
                json_mode,
                &value,
                &format!("Proved: you own {}", record.wallet),
            );
            0
        }
    }
}

/// Says (in text mode) which way the wallet sends the browser back, and why.
fn show_finish(json_mode: bool, finish: Finish, why: &str) {
    if !json_mode {
        let way = match finish {
            Finish::Loopback => "to this command (loopback)",
            Finish::DeepLink => "to the Consent Desk app (deep-link)",
        };
        println!("The wallet sends you back {way}, as {why} says.");
    }
}

/// The asset scale of wallet address `wallet`, to read decimal amounts.
async fn wallet_scale(client: &Client, wallet: &str) -> Result<u8, String> {
    let url = crate::typed_url(wallet, "the wallet address").map_err(|e| e.to_string())?;
    Ok(client
        .wallet_address(&url)
        .await
        .map_err(|e| e.to_string())?
        .asset_scale)
}

/// Prints the consent page to open (a `pending` event with `--json`) and
/// opens it in the system browser when asked.
fn show_pending(
    json_mode: bool,
    mut event: serde_json::Value,
    redirect: &str,
    what: &str,
    open_browser: bool,
) {
    event["event"] = "pending".into();
    event["redirect"] = redirect.into();
    print(
        json_mode,
        &event,
        &format!("Approve {what} in your browser: {redirect}"),
    );
    if open_browser {
        if let Err(error) = std::process::Command::new("xdg-open")
            .arg(redirect)
            .status()
        {
            eprintln!("note: the browser could not be opened ({error}); open the link yourself");
        }
    }
}

/// Says that a `what` waits for the OS to hand its finish link to the app.
fn waits_for_link(json_mode: bool, what: &str, id: &str) {
    if !json_mode {
        println!("The {what} {id} waits for the wallet to send you back to Consent Desk.");
    }
}

/// Waits on the loopback listener for the finish of grant `id` and
/// completes it; a forged or stray finish is reported and the wait goes on.
async fn await_finish(
    context: &Context,
    profile: &Profile,
    listener: &mut crate::loopback::Listener,
    timeout: u64,
    id: &str,
) -> Result<Completed, String> {
    loop {
        let Ok(next) = tokio::time::timeout(Duration::from_secs(timeout), listener.next()).await
        else {
            // Nobody approved in time: left alone, the grant would stay open
            // at the wallet.
            let why = format!("no approval arrived within {timeout} s");
            return Err(
                match abandon(context, profile, id, Abandoned::TimedOut).await {
                    Ok(()) => format!("{why}; the grant {id} was cancelled at the wallet"),
                    Err(error) => format!(
                        "{why}, and the grant {id} could not be cancelled at the wallet \
                         ({error}); `consent-desk grant cancel {id}` tries again"
                    ),
                },
            );
        };
        let finish_url = next.ok_or("the loopback listener stopped")?;
        match context
            .flows
            .complete(&finish_url, |_| context.client(profile))
            .await
        {
            Ok(completed) => return Ok(completed),
            Err(error @ (FlowError::Refused(_) | FlowError::UnknownFinish)) => {
                eprintln!("refused: {error}");
            }
            Err(error) => return Err(error.to_string()),
        }
    }
}

/// Cancels at the wallet a grant the command gave up on.
async fn abandon(
    context: &Context,
    profile: &Profile,
    id: &str,
    why: Abandoned,
) -> Result<(), FlowError> {
    let client = context.client(profile)?;
    context.flows.abandon(&client, id, why).await.map(|_| ())
}

/// `consent-desk pay`'s options.
struct PayArgs {
    from: String,
    to: String,
    amount: Option<String>,
    receive: bool,
    note: Option<String>,
    yes: bool,
    grant: Option<String>,
    finish: Option<Finish>,
    open_browser: bool,
    timeout: u64,
}

fn payment_text(payment: &PaymentRecord) -> String {
    use consent_desk_protocol::describe::format_amount_of;
    let mut text = format!(
        "{}  {}  you pay {} (fees included), they get {}\n  to {}",
        payment.id,
        payment.state.as_str(),
        format_amount_of(&payment.quote.debit_amount),
        format_amount_of(&payment.quote.receive_amount),
        payment
            .receiver_wallet
            .as_deref()
            .unwrap_or(&payment.incoming_payment),
    );
    if let Some(expires) = &payment.quote.expires_at {
        if payment.state == PaymentState::Quoted {
            text.push_str(&format!("\n  quote valid until {expires}"));
        }
    }
    if let Some(problem) = &payment.problem {
        text.push_str(&format!("\n  problem: {problem}"));
    }
    text
}

/// Exit code for how a payment ended: 0 paid, 4 not approved or stopped,
/// 5 still settling, 1 failed.
fn payment_code(payment: &PaymentRecord) -> i32 {
    match payment.state {
        PaymentState::Completed => 0,
        PaymentState::Cancelled => 4,
        PaymentState::Failed => 1,
        _ => 5,
    }
}

async fn pay(
    context: &Context,
    profile: Option<&str>,
    json_mode: bool,
    args: PayArgs,
) -> Result<i32, String> {
    let profile = context.profile(profile)?;
    if let Some(grant) = &args.grant {
        // An unknown id is said before the wallet is asked for a quote.
        context.flows.grant(grant).map_err(|e| e.to_string())?;
    }
    let client = context.client(&profile).map_err(|e| e.to_string())?;
    let url = |text: &str, what: &str| crate::typed_url(text, what).map_err(|e| e.to_string());
    let (from, to) = (url(&args.from, "--from")?, url(&args.to, "--to")?);
    let amount = match &args.amount {
        None => None,
        Some(text) => {
            let wallet = if args.receive { &to } else { &from };
            let scale = client
                .wallet_address(wallet)
                .await
                .map_err(|e| e.to_string())?
                .asset_scale;
            let value = crate::parse_major_units(text, scale).map_err(|e| e.to_string())?;
            Some(if args.receive {
                PayAmount::Receive(value)
            } else {
                PayAmount::Send(value)
            })
        }
    };
    let quoted = context
        .flows
        .quote_payment(
            &client,
            &profile.id,
            &PayRequest {
                from,
                to,
                amount,
                note: args.note,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut event = serde_json::to_value(&quoted).unwrap_or_default();
    event["event"] = "quoted".into();
    print(json_mode, &event, &payment_text(&quoted));
    if !args.yes && !confirmed()? {
        let stopped = context
            .flows
            .cancel_payment(&quoted.id)
            .map_err(|e| e.to_string())?;
        print(json_mode, &stopped, "Not paid.");
        return Ok(4);
    }
    if let Some(grant) = &args.grant {
        return pay_with_grant(context, &client, json_mode, &quoted.id, grant).await;
    }
    let (finish, why) = Finish::choose(args.finish, &profile);
    let (via, mut listener) = crate::loopback::finish_route(finish == Finish::Loopback)
        .await
        .map_err(|e| e.to_string())?;
    let (payment, grant) = context
        .flows
        .authorize_payment(&client, &quoted.id, via)
        .await
        .map_err(|e| e.to_string())?;
    show_finish(json_mode, finish, why);
    show_pending(
        json_mode,
        json!({"id": payment.id, "grant": grant.id, "finish": finish.name()}),
        grant.redirect.as_deref().unwrap_or_default(),
        "the payment",
        args.open_browser,
    );
    let Some(listener) = listener.as_mut() else {
        waits_for_link(json_mode, "payment", &payment.id);
        return Ok(0);
    };
    await_finish(context, &profile, listener, args.timeout, &grant.id).await?;
    let sent = match context.flows.send_payment(&client, &payment.id).await {
        Ok(sent) => sent,
        Err(FlowError::QuoteExpired) => {
            // The grant was for this quote only: stop the payment and cancel
            // the grant at the wallet rather than leave it open there.
            let stopped = context.flows.cancel_payment(&payment.id);
            let cancelled = abandon(context, &profile, &grant.id, Abandoned::QuoteExpired).await;
            return Err(match (stopped, cancelled) {
                (Ok(_), Ok(())) => "the quote expired while you approved; nothing was paid, and \
                     the grant was cancelled at your wallet. Pay again"
                    .to_owned(),
                (_, Err(error)) => format!(
                    "the quote expired while you approved; nothing was paid, but the grant {} \
                     could not be cancelled at your wallet ({error}): `consent-desk grant cancel \
                     {}`, then pay again",
                    grant.id, grant.id
                ),
                (Err(error), Ok(())) => format!(
                    "the quote expired while you approved; nothing was paid and the grant was \
                     cancelled at your wallet, but the payment could not be stopped ({error}): \
                     `consent-desk payments cancel {}`",
                    payment.id
                ),
            });
        }
        Err(error) => {
            let record = context
                .flows
                .payment(&payment.id)
                .map_err(|e| e.to_string())?;
            if record.state == PaymentState::Sending {
                // The flow's words may be sentences (a resumed send): no ".;".
                return Err(format!(
                    "{}; the payment may still go through: `consent-desk payments resume {}` \
                     finishes it without paying twice",
                    error.to_string().trim_end_matches('.'),
                    payment.id
                ));
            }
            return Err(error.to_string());
        }
    };
    print(json_mode, &sent, &payment_text(&sent));
    Ok(payment_code(&sent))
}

/// `pay --grant`: pays quoted payment `id` with a grant approved earlier;
/// a grant that cannot pay it is refused in words and nothing is paid.
async fn pay_with_grant(
    context: &Context,
    client: &Client,
    json_mode: bool,
    id: &str,
    grant: &str,
) -> Result<i32, String> {
    // The quote is stopped whatever the refusal, so no quoted payment is
    // left waiting for a grant nobody will give.
    // Only while it is still quoted: another process may have sent it (the
    // store's "moved on elsewhere"), and then something may have been paid.
    let refuse = |why: String| match context.flows.stop_if_quoted(id) {
        Ok(None) => Err(format!(
            "the grant {grant} cannot pay this: {why}; nothing was paid"
        )),
        Ok(Some(state)) => Err(format!(
            "{why} (the payment is {} now: `consent-desk payments show {id}`)",
            state.as_str()
        )),
        Err(error) => Err(format!(
            "{why}; the payment could not be looked at again ({error}): `consent-desk payments \
             show {id}`"
        )),
    };
    let sent = match context.flows.pay_with_grant(client, id, grant).await {
        Ok(sent) => sent,
        Err(FlowError::Invalid(why)) => return refuse(why),
        Err(error @ FlowError::QuoteExpired) => return refuse(error.to_string()),
        Err(error) => {
            let record = context.flows.payment(id).map_err(|e| e.to_string())?;
            if record.state == PaymentState::Sending {
                return Err(format!(
                    "{}; the payment may still go through: `consent-desk payments resume {id}` \
                     finishes it without paying twice",
                    error.to_string().trim_end_matches('.')
                ));
            }
            return Err(error.to_string());
        }
    };
    // The wallet refused the grant's budget: the payment went back to
    // quoted, with the reason.
    if sent.state == PaymentState::Quoted {
        let why = sent
            .problem
            .clone()
            .unwrap_or_else(|| "the wallet refused it".to_owned());
        return refuse(why);
    }
    print(json_mode, &sent, &payment_text(&sent));
    Ok(payment_code(&sent))
}

/// Asks "Pay? [y/N]" on the terminal.
fn confirmed() -> Result<bool, String> {
    use std::io::Write as _;
    eprint!("Pay this? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("no answer could be read ({e}); use --yes to pay without asking"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn payments(
    context: &Context,
    json_mode: bool,
    command: PaymentsCommand,
) -> Result<i32, String> {
    match command {
        PaymentsCommand::List { limit, offset } => {
            let list = context
                .flows
                .payments(limit, offset)
                .map_err(|e| e.to_string())?;
            print_list(json_mode, &list, "No payments yet.", payment_text);
            Ok(0)
        }
        PaymentsCommand::Show { id } => {
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            print(json_mode, &payment, &payment_text(&payment));
            Ok(0)
        }
        PaymentsCommand::Resume { id } => {
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            let client = context.client_of_profile(&payment.profile)?;
            let sent = context
                .flows
                .send_payment(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            print(json_mode, &sent, &payment_text(&sent));
            Ok(payment_code(&sent))
        }
        PaymentsCommand::Cancel { id } => {
            let payment = context.flows.payment(&id).map_err(|e| e.to_string())?;
            if let (PaymentState::Authorizing, Some(grant)) =
                (payment.state, payment.grant_id.as_deref())
            {
                let client = context.client_of_profile(&payment.profile)?;
                context
                    .flows
                    .cancel(&client, grant)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let stopped = context
                .flows
                .cancel_payment(&id)
                .map_err(|e| e.to_string())?;
            print(json_mode, &stopped, "Stopped; no money moved.");
            Ok(0)
        }
    }
}
