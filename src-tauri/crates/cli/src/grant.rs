//! `consent-desk grant …` (also `grants`): `request` asks for an
//! outgoing-payment grant, prints the consent URL and, with the loopback
//! finish, waits for the wallet to send the browser back, verifies and
//! continues; `continue` completes a finish URL delivered some other way;
//! `list`, `show`, `spent`, `rotate`, `revoke` and `cancel` manage the rest.
//! Secrets are never printed unless `--show-secrets` asks. The waiting for a
//! finish and its outcome are shared with `pay` and `prove`.

use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use consent_desk_engine::{
    Abandoned, Completed, Error, Finished, FlowError, GrantRecord, GrantSpec,
};
use consent_desk_identity::{Folders, Profile};
use consent_desk_protocol::Client;
use serde_json::json;

use crate::context::{Context, Options};
use crate::output::{print, print_list};

/// How the person approves at the wallet: the options `grant request`,
/// `pay` and `prove` share.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Approval {
    /// How the wallet sends the browser back (default: loopback); wins
    /// over the profile's setting.
    #[arg(long, value_enum)]
    pub(crate) finish: Option<Finish>,
    /// Open the consent page in the system browser.
    #[arg(long)]
    pub(crate) open_browser: bool,
    /// How long to wait for the approval, in seconds.
    #[arg(long, default_value_t = 600)]
    pub(crate) timeout: u64,
}

/// `consent-desk grant`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) options: Options,
    #[command(subcommand)]
    pub(crate) command: GrantCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Finish {
    /// http://127.0.0.1:<port>/finish/<id>: this command waits for it.
    Loopback,
    /// dev.consentdesk:/finish/<id>: the app completes it when the OS hands it over.
    DeepLink,
}

impl Finish {
    /// The way the wallet sends the browser back: an explicit `--finish`
    /// wins over the profile's loopback setting; with neither, the loopback
    /// (this command waits). Also says why, for the output.
    pub(crate) fn choose(asked: Option<Self>, profile: &Profile) -> (Self, &'static str) {
        match asked {
            Some(finish) => (finish, "--finish"),
            None if profile.loopback_finish => (Self::Loopback, "the profile's setting"),
            None => (Self::Loopback, "the default"),
        }
    }

    /// [`choose`](Self::choose), and the finish route it takes: the URI
    /// the wallet is given and, for the loopback, the listener this command
    /// waits on.
    pub(crate) async fn route(
        asked: Option<Self>,
        profile: &Profile,
    ) -> Result<
        (
            Self,
            &'static str,
            consent_desk_engine::FinishVia,
            Option<consent_desk_engine::loopback::Listener>,
        ),
        String,
    > {
        let (finish, why) = Self::choose(asked, profile);
        let (via, listener) = consent_desk_engine::loopback::finish_route(finish == Self::Loopback)
            .await
            .map_err(|e| e.to_string())?;
        Ok((finish, why, via, listener))
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::DeepLink => "deep-link",
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum GrantCommand {
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
        #[command(flatten)]
        approval: Approval,
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

/// A grant in a few lines: id, state, wallet, when; then its problem,
/// access and token expiry when it has them.
pub(crate) fn describe(record: &GrantRecord) -> String {
    let mut text = format!(
        "{}  {:?}  {}  {}",
        record.id,
        record.state,
        record.wallet,
        consent_desk_engine::rfc3339(record.created_at)
    );
    if let Some(outcome) = &record.outcome {
        // In words, with the wallet's own code for whoever scripts or reports.
        let words = consent_desk_engine::words::grant_outcome(outcome);
        match outcome.code() {
            Some(_) => text.push_str(&format!("\n  problem: {words} ({outcome})")),
            None => text.push_str(&format!("\n  problem: {words}")),
        }
    }
    if let Some(access) = &record.access {
        let access = serde_json::to_string(access).unwrap_or_default();
        text.push_str(&format!("\n  granted: {access}"));
    }
    if let Some(expires) = record.expires_at {
        let expires = consent_desk_engine::rfc3339(expires);
        text.push_str(&format!("\n  token expires: {expires}"));
    }
    text
}

pub(crate) async fn run(args: Args, folders: &Folders) -> Result<i32, String> {
    let context = Context::open(&args.options, folders)?;
    let json_mode = args.options.store.json;
    match args.command {
        GrantCommand::Request {
            wallet,
            debit,
            debit_minor,
            receive,
            receive_minor,
            receiver,
            interval,
            approval,
        } => {
            let profile = context.profile(args.options.profile.as_deref())?;
            let client = context.client(&profile.id).await?;
            // Decimal amounts need the wallet's scale; raw ones go as given.
            let (debit, receive) = match (debit, receive) {
                (None, None) => (debit_minor, receive_minor),
                (debit, receive) => {
                    let scale = wallet_scale(&client, &wallet).await?;
                    let units = |text: Option<String>, option: &str| {
                        text.map(|text| {
                            consent_desk_engine::parse_major_units(&text, scale)
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
            let (finish, why, via, mut listener) = Finish::route(approval.finish, &profile).await?;
            let pending = context
                .flows
                .request(&client, &profile.id, &spec, via)
                .await
                .map_err(|e| e.to_string())?;
            show_finish(json_mode, finish, why);
            show_pending(
                json_mode,
                json!({"id": pending.id, "finish": finish.name()}),
                pending.redirect.as_ref().map_or("", |url| url.as_str()),
                "this",
                approval.open_browser,
            );
            let Some(listener) = listener.as_mut() else {
                waits_for_link(json_mode, "grant", &pending.id);
                return Ok(0);
            };
            let finished = await_finish(&context, listener, approval.timeout, &pending.id).await?;
            let token = shown_token(&context, args.options.show_secrets, &finished.completed);
            Ok(report(json_mode, &finished.completed, token))
        }
        GrantCommand::Continue { finish_url } => {
            // The grant's profile signs the continuation: its key is opened
            // now if it needs the passphrase; the engine does the rest.
            let waiting = consent_desk_engine::grant_id_of(&finish_url)
                .and_then(|id| context.flows.get(&id).ok().flatten());
            if let Some(record) = waiting {
                context.unlock(&record.profile).await?;
            }
            let finished = context
                .engine
                .finish(&finish_url)
                .await
                .map_err(|e| e.to_string())?;
            let token = shown_token(&context, args.options.show_secrets, &finished.completed);
            Ok(report(json_mode, &finished.completed, token))
        }
        GrantCommand::Cancel { id } => {
            let client = context.client_of_grant(&id).await?;
            let record = context
                .flows
                .cancel(&client, &id)
                .await
                .map_err(|e| e.to_string())?;
            print(json_mode, &record, &format!("Cancelled {id}."));
            Ok(0)
        }
        GrantCommand::Spent { id } => {
            let client = context.client_of_grant(&id).await?;
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
            // The app's rotate; the record is printed as it was stored.
            context.unlock_grant(&id).await?;
            context
                .engine
                .rotate(&id)
                .await
                .map_err(|e| e.to_string())?;
            let record = context.flows.get(&id).map_err(|e| e.to_string())?;
            let mut value = serde_json::to_value(&record).unwrap_or_default();
            if args.options.show_secrets {
                let token = context.flows.access_token(&id).map_err(|e| e.to_string())?;
                value["accessToken"] = token.secret().into();
            }
            print(json_mode, &value, &format!("New token for {id}."));
            Ok(0)
        }
        GrantCommand::Revoke { id } => {
            context.unlock_grant(&id).await?;
            context
                .engine
                .revoke(&id)
                .await
                .map_err(|e| e.to_string())?;
            let record = context.flows.grant(&id).map_err(|e| e.to_string())?;
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
pub(crate) fn shown_token(context: &Context, show: bool, completed: &Completed) -> Option<String> {
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
pub(crate) fn report(json_mode: bool, completed: &Completed, token: Option<String>) -> i32 {
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
pub(crate) fn show_finish(json_mode: bool, finish: Finish, why: &str) {
    if !json_mode {
        let way = match finish {
            Finish::Loopback => "to this command (loopback)",
            Finish::DeepLink => "to the Consent Desk app (deep-link)",
        };
        println!("The wallet sends you back {way}, as {why} says.");
    }
}

/// The asset scale of wallet address `wallet`, to read decimal amounts.
pub(crate) async fn wallet_scale(client: &Client, wallet: &str) -> Result<u8, String> {
    let url =
        consent_desk_engine::typed_url(wallet, "the wallet address").map_err(|e| e.to_string())?;
    Ok(client
        .wallet_address(&url)
        .await
        .map_err(|e| e.to_string())?
        .asset_scale)
}

/// Prints the consent page to open (a `pending` event with `--json`) and
/// opens it in the system browser when asked.
pub(crate) fn show_pending(
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
        crate::context::open_in_browser(redirect);
    }
}

/// Says that a `what` waits for the OS to hand its finish link to the app.
pub(crate) fn waits_for_link(json_mode: bool, what: &str, id: &str) {
    if !json_mode {
        println!("The {what} {id} waits for the wallet to send you back to Consent Desk.");
    }
}

/// Waits on the loopback listener for the finish of grant `id` and hands
/// it to the engine's finish routine (the app's, for every finish path);
/// a forged or stray finish is reported and the wait goes on.
pub(crate) async fn await_finish(
    context: &Context,
    listener: &mut consent_desk_engine::loopback::Listener,
    timeout: u64,
    id: &str,
) -> Result<Finished, String> {
    loop {
        let Ok(next) = tokio::time::timeout(Duration::from_secs(timeout), listener.next()).await
        else {
            // Nobody approved in time: left alone, the grant would stay open
            // at the wallet.
            let why = format!("no approval arrived within {timeout} s");
            return Err(match abandon(context, id, Abandoned::TimedOut).await {
                Ok(()) => format!("{why}; the grant {id} was cancelled at the wallet"),
                Err(error) => format!(
                    "{why}, and the grant {id} could not be cancelled at the wallet \
                     ({error}); `consent-desk grant cancel {id}` tries again"
                ),
            });
        };
        let finish_url = next.ok_or("the loopback listener stopped")?;
        // Only this command's grant: a link for another grant, one already
        // used or one that does not verify changes nothing, and the wait
        // goes on.
        match context.engine.finish_for(Some(id), &finish_url).await {
            Ok(finished) => return Ok(finished),
            Err(Error::Flow(
                error @ (FlowError::Refused(_)
                | FlowError::UnknownFinish
                | FlowError::AlreadyUsed { .. }
                | FlowError::FailureUnconfirmed { .. }),
            )) => {
                eprintln!(
                    "{}",
                    crate::output::escaped(&format!(
                        "ignored a link that came back: {error}; still waiting for the approval \
                         of {id}"
                    ))
                );
            }
            Err(error) => return Err(error.to_string()),
        }
    }
}

/// Cancels at the wallet a grant the command gave up on.
pub(crate) async fn abandon(context: &Context, id: &str, why: Abandoned) -> Result<(), String> {
    let client = context.client_of_grant(id).await?;
    context
        .flows
        .abandon(&client, id, why)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
