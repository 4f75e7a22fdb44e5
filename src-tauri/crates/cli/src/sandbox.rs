//! `consent-desk sandbox …`: the sandbox wallet as a standalone server, and
//! its reset.

use std::path::PathBuf;

use clap::Subcommand;
use consent_desk_identity::Folders;
use consent_desk_sandbox::standalone::{default_data_dir, serve, Options};
use consent_desk_sandbox::{AssetFee, Faults};

/// `consent-desk sandbox`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What to do; serving is the default.
    #[command(subcommand)]
    command: Option<SandboxCommand>,
    #[command(flatten)]
    pub(crate) data_dir: crate::DataDirAfter,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4455, global = true)]
    port: u16,
    /// The folder holding the sandbox state (sandbox.sqlite3); default:
    /// `sandbox/` in the --data-dir folder, else ~/.local/share/consent-desk/sandbox.
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    /// A fault switch, repeatable: latency=<ms>, fail=[METHOD ]/path[:status],
    /// drop=[METHOD ]/path, too-fast, expire-interactions, wrong-finish-hash,
    /// refuse-payments[=reason].
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<Faults>,
    /// The sending wallet's fee for one asset, repeatable: USD=10+1% (the
    /// fixed part in the smallest unit); in debitAmount, not in sentAmount.
    #[arg(long = "fee", value_name = "ASSET=FEE")]
    fees: Vec<AssetFee>,
    /// Seconds a client must wait before continuing a grant.
    #[arg(long, default_value_t = 1)]
    wait: u64,
    /// Serve https:// with a certificate from a certificate authority made at
    /// start; its certificate is written to <data>/ca.pem (printed), for
    /// `consent-desk --ca-cert`.
    #[arg(long)]
    https: bool,
    /// The secret of the IdP back channel (x-idp-secret); random if absent.
    #[arg(long, env = "SANDBOX_IDP_SECRET")]
    idp_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
enum SandboxCommand {
    /// Serve the sandbox wallet until interrupted (the default).
    Serve,
    /// Drop every grant and payment and restore the seeded balances.
    Reset,
}

/// Runs the sandbox command; returns the process exit code.
pub(crate) fn run(args: Args, folders: &Folders) -> i32 {
    // With a data folder of its own, the app's instance keeps its sandbox
    // there; else the standalone one has a folder apart from the app's
    // in-process sandbox, which may be running.
    let data = args.data.clone().unwrap_or_else(|| match folders.chosen() {
        Some(_) => folders.sandbox(),
        None => default_data_dir(),
    });
    if matches!(args.command, Some(SandboxCommand::Reset)) {
        return match consent_desk_sandbox::reset(&data) {
            Ok(()) => {
                println!("The sandbox in {} was reset.", data.display());
                0
            }
            Err(error) => {
                eprintln!("error: {error}");
                1
            }
        };
    }
    let options = Options {
        port: args.port,
        data,
        faults: args
            .faults
            .into_iter()
            .fold(Faults::default(), Faults::with),
        fees: args.fees,
        wait_seconds: args.wait,
        https: args.https,
        idp_secret: args.idp_secret,
    };
    crate::output::execute(async move {
        serve(options)
            .await
            .map(|()| 0)
            .map_err(|error| error.to_string())
    })
}
