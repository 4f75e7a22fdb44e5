//! `consent-desk sandbox …`: the sandbox as a standalone server, and its reset.
//!
//! Shared by the app's binary (`consent-desk sandbox`) and this crate's own
//! (`consent-desk-sandbox`), so both take the same flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{AssetFee, Faults, Sandbox};

/// Run the Consent Desk sandbox wallet: a local Open Payments wallet.
#[derive(Debug, Parser)]
#[command(name = "consent-desk sandbox", version)]
pub struct Args {
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4455, global = true)]
    pub port: u16,
    /// The folder holding the sandbox state (sandbox.sqlite3).
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// A fault switch, repeatable: latency=<ms>, fail=[METHOD ]/path[:status],
    /// drop=[METHOD ]/path, too-fast, expire-interactions, wrong-finish-hash,
    /// refuse-payments[=reason].
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<Faults>,
    /// The sending wallet's fee for one asset, repeatable: USD=10+1% (the
    /// fixed part in the smallest unit); in debitAmount, not in sentAmount.
    #[arg(long = "fee", value_name = "ASSET=FEE")]
    pub fees: Vec<AssetFee>,
    /// Seconds a client must wait before continuing a grant.
    #[arg(long, default_value_t = 1)]
    pub wait: u64,
    /// Serve https:// with a certificate from a certificate authority made at
    /// start; its certificate is written to <data>/ca.pem (printed), for
    /// `consent-desk --ca-cert`.
    #[arg(long)]
    pub https: bool,
    /// The secret of the IdP back channel (x-idp-secret); random if absent.
    #[arg(long, env = "SANDBOX_IDP_SECRET")]
    pub idp_secret: Option<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the sandbox wallet until interrupted (the default).
    Serve,
    /// Drop every grant and payment and restore the seeded balances.
    Reset,
}

/// The standalone sandbox's own folder when none is given:
/// `$XDG_DATA_HOME/consent-desk/sandbox` or `~/.local/share/consent-desk/sandbox`
/// (apart from the app's in-process sandbox, which may be running).
#[must_use]
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("consent-desk/sandbox")
}

/// Parses `args` (without the program name and `sandbox`) and runs; returns
/// the process exit code. `default_data` is the state folder when `--data`
/// is not given.
pub fn main_with(args: impl IntoIterator<Item = String>, default_data: PathBuf) -> i32 {
    let args = match Args::try_parse_from(
        std::iter::once("consent-desk sandbox".to_owned()).chain(args),
    ) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONSENT_DESK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let data = args.data.clone().unwrap_or(default_data);
    if matches!(args.command, Some(Command::Reset)) {
        return match crate::reset(&data) {
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
    runtime.block_on(serve(args, data))
}

async fn serve(args: Args, data: PathBuf) -> i32 {
    let faults = args
        .faults
        .into_iter()
        .fold(Faults::default(), Faults::with);
    let mut builder = Sandbox::builder(&data)
        .port(args.port)
        .wait_seconds(args.wait)
        .https(args.https)
        .faults(faults);
    for AssetFee { asset_code, fee } in args.fees {
        builder = builder.fee(asset_code, fee);
    }
    if let Some(secret) = args.idp_secret {
        builder = builder.idp_secret(secret);
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("error: {error}");
            return 1;
        }
    };
    let base = sandbox.base_url().clone();
    // One write, errors ignored: a closed stdout (a script that read the
    // first line and went on) must not stop the sandbox.
    let mut banner = format!("Sandbox wallet listening on {base}\n");
    banner.push_str(&format!(
        "  state:        {}\n",
        data.join(crate::STATE_FILE).display()
    ));
    banner.push_str(&format!(
        "  wallets:      {base}alice (USD), {base}bob (EUR), {base}carol (MXN), {base}kenji (JPY), {base}dave (USD)\n"
    ));
    banner.push_str(&format!("  auth server:  {}\n", sandbox.auth_server()));
    if let Some(ca) = sandbox.ca_certificate() {
        banner.push_str(&format!("  CA (PEM):     {}\n", ca.display()));
    }
    // For QA's IdP scripts: a local sandbox's secret, shown to whoever started it.
    banner.push_str(&format!("  IdP secret:   {}\n", sandbox.idp_secret()));
    banner.push_str(&format!(
        "  admin:        {base}admin/accounts, {base}admin/faults\n"
    ));
    if !sandbox.fees().is_empty() {
        banner.push_str(&format!("  fees:         {:?}\n", sandbox.fees()));
    }
    if sandbox.faults() != Faults::default() {
        banner.push_str(&format!("  faults:       {:?}\n", sandbox.faults()));
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(banner.as_bytes());
        let _ = stdout.flush();
    }
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("Stopping the sandbox.");
    sandbox.shutdown().await;
    0
}
