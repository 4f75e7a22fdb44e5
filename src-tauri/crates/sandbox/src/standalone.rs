//! The sandbox as a standalone server (`consent-desk sandbox`): what it is
//! started with, where it keeps its state by default, and serving it until
//! interrupted with a banner that says where everything is.

use std::path::PathBuf;

use crate::{AssetFee, Faults, Sandbox, SandboxError};

/// What a standalone sandbox serves with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The port to listen on (0 picks a free one).
    pub port: u16,
    /// The folder holding the sandbox state (sandbox.sqlite3).
    pub data: PathBuf,
    /// The fault switches.
    pub faults: Faults,
    /// The sending wallet's fee for one asset each.
    pub fees: Vec<AssetFee>,
    /// Seconds a client must wait before continuing a grant.
    pub wait_seconds: u64,
    /// Serve https:// with a certificate from a certificate authority made at
    /// start; its certificate is written to `<data>/ca.pem`.
    pub https: bool,
    /// The secret of the IdP back channel (x-idp-secret); random if `None`.
    pub idp_secret: Option<String>,
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

/// Starts the sandbox, prints where it listens (its wallets, auth server,
/// CA, IdP secret, admin API, fees and faults) on stdout, and serves until
/// Ctrl-C (SIGINT).
///
/// # Errors
///
/// The sandbox could not start ([`Sandbox::builder`]'s `start`).
pub async fn serve(options: Options) -> Result<(), SandboxError> {
    let mut builder = Sandbox::builder(&options.data)
        .port(options.port)
        .wait_seconds(options.wait_seconds)
        .https(options.https)
        .faults(options.faults);
    for AssetFee { asset_code, fee } in options.fees {
        builder = builder.fee(asset_code, fee);
    }
    if let Some(secret) = options.idp_secret {
        builder = builder.idp_secret(secret);
    }
    let sandbox = builder.start().await?;
    let base = sandbox.base_url().clone();
    // One write, errors ignored: a closed stdout (a script that read the
    // first line and went on) must not stop the sandbox.
    let mut banner = format!("Sandbox wallet listening on {base}\n");
    banner.push_str(&format!(
        "  state:        {}\n",
        options.data.join(crate::STATE_FILE).display()
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
    Ok(())
}
