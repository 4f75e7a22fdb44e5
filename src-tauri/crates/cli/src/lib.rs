//! The `consent-desk` command line, all of it: one clap tree for the top level
//! (`--help`, `--version`, `--data-dir`, a wallet link) and every subcommand
//! with its own typed arguments. With no subcommand (or with a
//! `dev.consentdesk:` link, as the OS passes one) it opens the window through
//! the [`Gui`] the shell gives; otherwise it runs the subcommand without
//! touching GTK, so `--help`, `--version` and every script work on a machine
//! with no display.
//!
//! This crate parses and prints; the work is done by the engine, identity and
//! sandbox crates' functions. It builds without GTK or WebKit.
//!
//! ```no_run
//! use consent_desk_cli::{Gui, Versions};
//! use consent_desk_identity::Folders;
//!
//! struct Window;
//! impl Gui for Window {
//!     fn run(&self, folders: Folders, _link: Option<String>) {
//!         println!("the window would open on {}", folders.data().display());
//!     }
//!     fn versions(&self) -> Versions {
//!         Versions { commit: "unknown".into(), tauri: "2".into(), webview: "2.50".into() }
//!     }
//! }
//! consent_desk_cli::main(&Window);
//! ```

mod context;
mod grant;
mod key;
pub mod logging;
mod output;
mod pay;
mod payments;
mod profile;
mod prove;
mod sandbox;

use std::path::{Path, PathBuf};

use clap::{error::ErrorKind, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use consent_desk_engine::LINK_SCHEME;
use consent_desk_identity::{Folders, DATA_DIR_ENV};

/// What only the desktop shell can do: open the window, and say which Tauri
/// and WebKitGTK it was built with (for `--version`).
pub trait Gui {
    /// Runs the app's window until it closes, with its state in `folders`
    /// (made and checked writable). `link` is the wallet link the OS started
    /// the app with, if any (it is in the process arguments too).
    fn run(&self, folders: Folders, link: Option<String>);
    /// The versions `--version` names besides the app's own.
    fn versions(&self) -> Versions;
}

/// The build the binary is, for `--version` and bug reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// The commit the binary was built from (`unknown` without git).
    pub commit: String,
    /// Tauri's version.
    pub tauri: String,
    /// WebKitGTK's version (`unknown` when it cannot be asked).
    pub webview: String,
}

/// `0.1.0 (commit 1a2b3c4d5e6f, Tauri 2.12.5, WebKitGTK 2.50.6)`.
#[must_use]
pub fn version_line(versions: &Versions) -> String {
    format!(
        "{} (commit {}, Tauri {}, WebKitGTK {})",
        env!("CARGO_PKG_VERSION"),
        versions.commit,
        versions.tauri,
        versions.webview,
    )
}

/// Approve Open Payments payments from your desktop.
///
/// With no command, opens the app. A wallet link (dev.consentdesk:/finish/…)
/// is handed to the running app, or opens it.
#[derive(Debug, Parser)]
#[command(name = "consent-desk")]
struct Cli {
    /// Keep all state (profiles, grants, the sandbox wallet's data, logs) in
    /// DIR. Keyring entries are namespaced by DIR, so instances with different
    /// data folders run side by side without touching each other.
    #[arg(long, value_name = "DIR", env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// A link from a wallet, as the browser or `xdg-open` passes it.
    #[arg(value_name = "LINK")]
    link: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `--data-dir` after a subcommand (`consent-desk grant list --data-dir DIR`):
/// the same folder as before it, so a second, different one is a mistake
/// [`main`] names. A separate argument from the top level's (not a global
/// one) so that both values can be seen and compared.
#[derive(Debug, Default, clap::Args)]
struct DataDirAfter {
    /// The app's data folder, as `consent-desk --data-dir DIR`: profiles,
    /// grants.sqlite3, the sandbox wallet's data and logs live there, and
    /// keyring entries are namespaced by it (default: the app's).
    #[arg(
        long = "data-dir",
        id = "data_dir_after",
        global = true,
        value_name = "DIR"
    )]
    dir: Option<PathBuf>,
}

/// Where the commands that read profiles find them, and how they answer;
/// before or after the sub-subcommand (`grant --json list`, `grant list --json`).
#[derive(Debug, clap::Args)]
struct Store {
    /// The settings folder holding profiles.json (default: the app's).
    #[arg(
        long,
        global = true,
        env = "CONSENT_DESK_CONFIG_DIR",
        value_name = "DIR"
    )]
    config_dir: Option<PathBuf>,
    #[command(flatten)]
    data_dir: DataDirAfter,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

impl Store {
    /// The profiles: in `--config-dir`, else in the data folder's settings.
    fn profiles(&self, folders: &Folders) -> consent_desk_identity::ProfileStore {
        consent_desk_identity::ProfileStore::in_dir(
            self.config_dir.as_deref().unwrap_or(folders.config()),
        )
    }
}

// The one-liners are the top level's list; `long_about` is what each
// command's own `--help` starts with.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the sandbox wallet alone, with fault switches (`sandbox --help`).
    #[command(
        version,
        long_about = "Run the Consent Desk sandbox wallet: a local Open Payments wallet."
    )]
    Sandbox(sandbox::Args),
    /// Add, list, show, use and remove profiles (`profile --help`).
    #[command(long_about = "Manage profiles (who the app signs as).")]
    Profile(profile::Args),
    /// Generate, import, show and check a profile's key (`key --help`).
    #[command(long_about = "Manage a profile's key.")]
    Key(key::Args),
    /// Request, continue, show, rotate, revoke and cancel grants (`grant --help`).
    #[command(alias = "grants", long_about = "Manage grants.")]
    Grant(grant::Args),
    /// Send a payment: quote, confirmation, approval, payment (`pay --help`).
    #[command(
        long_about = "Send a payment: quote, your confirmation, the wallet's approval, the payment, until it settles."
    )]
    Pay(pay::Args),
    /// List, show, resume and cancel payments (`payments --help`).
    #[command(
        alias = "payment",
        long_about = "Payments made, and those a crash interrupted."
    )]
    Payments(payments::Args),
    /// Prove you own a wallet address, granting nothing (`prove --help`).
    #[command(
        long_about = "Prove you own a wallet address (Open Payments 1.3 `subject`): you \
                      confirm at its wallet, nothing is granted or paid. Exit 0 when \
                      proved, 4 when not."
    )]
    Prove(prove::Args),
}

impl Command {
    /// The `--data-dir` given after the subcommand.
    fn data_dir(&self) -> Option<&Path> {
        match self {
            Self::Sandbox(args) => args.data_dir.dir.as_deref(),
            Self::Profile(args) => args.store.data_dir.dir.as_deref(),
            Self::Key(args) => args.store.data_dir.dir.as_deref(),
            Self::Grant(args) => args.options.store.data_dir.dir.as_deref(),
            Self::Pay(args) => args.options.store.data_dir.dir.as_deref(),
            Self::Payments(args) => args.options.store.data_dir.dir.as_deref(),
            Self::Prove(args) => args.options.store.data_dir.dir.as_deref(),
        }
    }

    /// Runs the subcommand; returns its exit code.
    fn run(self, folders: &Folders) -> i32 {
        match self {
            Self::Sandbox(args) => sandbox::run(args, folders),
            Self::Profile(args) => output::execute(profile::run(args, folders)),
            Self::Key(args) => output::execute(key::run(args, folders)),
            Self::Grant(args) => output::execute(grant::run(args, folders)),
            Self::Pay(args) => output::execute(pay::run(args, folders)),
            Self::Payments(args) => output::execute(payments::run(args, folders)),
            Self::Prove(args) => output::execute(prove::run(args, folders)),
        }
    }
}

/// Parses the process's command line and runs it: opens the window through
/// `gui` with no subcommand, else runs the subcommand and exits with its
/// code. Usage errors exit 2, a data folder that cannot be written 73.
pub fn main(gui: &dyn Gui) {
    // Named, not taken from argv[0]: usage lines read `consent-desk …`
    // however the binary was started (a symlink, the tests' own binary).
    let command = Cli::command()
        .bin_name("consent-desk")
        .version(version_line(&gui.versions()));
    let mut matches = command.clone().get_matches();
    let cli = match Cli::from_arg_matches_mut(&mut matches) {
        Ok(cli) => cli,
        Err(error) => error.format(&mut command.clone()).exit(),
    };
    if let Some(link) = &cli.link {
        // Anything but our link is a mistyped command, not something to open.
        let ours = url::Url::parse(link).is_ok_and(|url| url.scheme() == LINK_SCHEME);
        if !ours {
            let message = format!(
                "'{link}' is not a command or a {LINK_SCHEME}: link; see `consent-desk --help`"
            );
            command
                .clone()
                .error(ErrorKind::InvalidSubcommand, message)
                .exit();
        }
    }

    // Files the app makes are the person's alone (keys, tokens' metadata,
    // logs, exports): 0600 files and 0700 folders from creation.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));

    // `consent-desk grant list --data-dir DIR` means the same folder as
    // `consent-desk --data-dir DIR grant list`; two different ones are a
    // mistake, not a choice.
    let inner = cli
        .command
        .as_ref()
        .and_then(Command::data_dir)
        .map(Path::to_owned);
    if let (Some(outer), Some(inner)) = (&cli.data_dir, &inner) {
        if outer != inner {
            let message = format!(
                "--data-dir is given twice, as {} and {}; give it once",
                outer.display(),
                inner.display()
            );
            command
                .clone()
                .error(ErrorKind::ArgumentConflict, message)
                .exit();
        }
    }
    let data_dir = cli.data_dir.clone().or(inner);
    let folders = match &data_dir {
        Some(dir) => Ok(Folders::in_dir(dir)),
        None => Folders::for_user(),
    };
    let folders = match folders.and_then(|folders| folders.ensure().map(|()| folders)) {
        // Made now, so its canonical path names it: `/tmp/qa/` and
        // `/tmp/qa` are one folder, one keyring namespace, one instance.
        Ok(folders) => match &data_dir {
            Some(dir) => Folders::in_dir(dir),
            None => folders,
        },
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(73); // EX_CANTCREAT
        }
    };
    // The sandbox is a server: its info lines (requests refused and why) are
    // what QA runs it for.
    let quiet = !matches!(cli.command, None | Some(Command::Sandbox(_)));
    logging::init(&folders, quiet);

    match cli.command {
        None => gui.run(folders, cli.link),
        Some(command) => std::process::exit(command.run(&folders)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("consent-desk").chain(args.iter().copied()))
    }

    #[test]
    fn the_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_subcommand_has_its_own_typed_flags_and_data_dir_goes_either_side() {
        let cli = parse(&["grant", "list", "--json", "--limit", "3"]).unwrap();
        match cli.command {
            Some(Command::Grant(args)) => {
                assert!(args.options.store.json);
                assert!(matches!(
                    args.command,
                    grant::GrantCommand::List {
                        limit: 3,
                        offset: 0
                    }
                ));
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(&["--data-dir", "/tmp/qa", "payment", "list"]).unwrap();
        assert_eq!(cli.data_dir.as_deref(), Some(Path::new("/tmp/qa")));
        assert!(matches!(cli.command, Some(Command::Payments(_))));
        let cli = parse(&["key", "jwk", "--profile", "qa", "--data-dir", "/tmp/qa"]).unwrap();
        assert_eq!(cli.data_dir, None);
        assert_eq!(
            cli.command.as_ref().and_then(Command::data_dir),
            Some(Path::new("/tmp/qa"))
        );
        let cli = parse(&["sandbox", "--data-dir", "/tmp/qa", "reset"]).unwrap();
        assert_eq!(
            cli.command.as_ref().and_then(Command::data_dir),
            Some(Path::new("/tmp/qa"))
        );
        assert_eq!(
            parse(&["grant", "list", "--nope"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            parse(&["grant", "--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
    }

    #[test]
    fn a_link_opens_the_app_and_help_is_a_display_free_exit() {
        let cli = parse(&["dev.consentdesk:/finish/abc?hash=x"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            cli.link.as_deref(),
            Some("dev.consentdesk:/finish/abc?hash=x")
        );
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
        let versions = Versions {
            commit: "1a2b3c4d5e6f".into(),
            tauri: "2.12.5".into(),
            webview: "2.50.6".into(),
        };
        let version = Cli::command()
            .version(version_line(&versions))
            .try_get_matches_from(["consent-desk", "--version"])
            .unwrap_err();
        assert_eq!(version.kind(), ErrorKind::DisplayVersion);
        assert!(
            version
                .to_string()
                .contains("(commit 1a2b3c4d5e6f, Tauri 2.12.5, WebKitGTK 2.50.6)"),
            "{version}"
        );
    }
}
