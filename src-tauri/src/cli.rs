//! The `consent-desk` command line. With no subcommand (or with a
//! `dev.consentdesk:` link, as the OS passes one) it opens the window;
//! otherwise it runs the subcommand without touching GTK, so `--help`,
//! `--version` and every script work on a machine with no display.
//!
//! The subcommands' own arguments are parsed by the crates that run them
//! (`consent_desk_engine::cli`, `consent_desk_identity::cli`,
//! `consent_desk_sandbox::cli`); this level owns what is common to all:
//! `--data-dir`, logging, and checking that the data folder can be written
//! before anything is.

use std::path::PathBuf;

use clap::{error::ErrorKind, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use consent_desk_identity::{Folders, DATA_DIR_ENV};

use crate::LINK_SCHEME;

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
    #[arg(long, value_name = "DIR", env = DATA_DIR_ENV, global = true)]
    data_dir: Option<PathBuf>,
    /// A link from a wallet, as the browser or `xdg-open` passes it.
    #[arg(value_name = "LINK")]
    link: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Each subcommand's own arguments, passed through to the crate that parses
/// them (its `--help` included).
#[derive(Debug, clap::Args)]
struct Rest {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the sandbox wallet alone, with fault switches (`sandbox --help`).
    #[command(disable_help_flag = true)]
    Sandbox(Rest),
    /// Add, list, show, use and remove profiles (`profile --help`).
    #[command(disable_help_flag = true)]
    Profile(Rest),
    /// Generate, import, show and check a profile's key (`key --help`).
    #[command(disable_help_flag = true)]
    Key(Rest),
    /// Request, continue, show, rotate, revoke and cancel grants (`grant --help`).
    #[command(disable_help_flag = true, alias = "grants")]
    Grant(Rest),
    /// Send a payment: quote, confirmation, approval, payment (`pay --help`).
    #[command(disable_help_flag = true)]
    Pay(Rest),
    /// List, show, resume and cancel payments (`payments --help`).
    #[command(disable_help_flag = true, alias = "payment")]
    Payments(Rest),
}

/// What the binary is, for `--version`, About and bug reports.
#[must_use]
pub fn version_line() -> String {
    format!(
        "{} (commit {}, Tauri {}, WebKitGTK {})",
        env!("CARGO_PKG_VERSION"),
        env!("CONSENT_DESK_COMMIT"),
        tauri::VERSION,
        tauri::webview_version().unwrap_or_else(|_| "unknown".to_owned()),
    )
}

/// Parses the command line and runs it; returns only to open the window.
pub fn main() {
    let command = Cli::command().version(version_line());
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

    // A subcommand's own `--help` needs no folder.
    if let Some(rest) = cli.command.as_ref().map(Command::rest) {
        if rest.args.iter().any(|arg| arg == "--help" || arg == "-h") {
            std::process::exit(dispatch(cli.command, None));
        }
    }

    // `consent-desk grant list --data-dir DIR` means the same folder as
    // `consent-desk --data-dir DIR grant list`; two different ones are a
    // mistake, not a choice.
    let inner = cli
        .command
        .as_ref()
        .and_then(|command| command.rest().data_dir());
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
    let gui = cli.command.is_none();
    // The sandbox is a server: its info lines (requests refused and why) are
    // what QA runs it for.
    let quiet = !gui && !matches!(cli.command, Some(Command::Sandbox(_)));
    crate::logging::init(&folders, quiet);
    if !gui {
        if let Some(dir) = folders.chosen() {
            // The subcommands' parsers read the folder from here, one answer
            // for every part. Not for the window: programs it starts (a
            // browser) must not inherit it and send links to this copy.
            std::env::set_var(DATA_DIR_ENV, dir);
        }
    }

    match cli.command {
        None => crate::run(folders),
        command => std::process::exit(dispatch(command, Some(&folders))),
    }
}

/// Runs a subcommand; returns its exit code.
fn dispatch(command: Option<Command>, folders: Option<&Folders>) -> i32 {
    match command {
        None => 0,
        Some(Command::Sandbox(rest)) => {
            let data = match folders {
                Some(folders) if folders.chosen().is_some() => folders.sandbox(),
                _ => consent_desk_sandbox::cli::default_data_dir(),
            };
            consent_desk_sandbox::cli::main_with(rest.args, data)
        }
        Some(Command::Profile(rest)) => {
            consent_desk_identity::cli::main_with(with("profile", rest))
        }
        Some(Command::Key(rest)) => consent_desk_identity::cli::main_with(with("key", rest)),
        Some(Command::Grant(rest)) => consent_desk_engine::cli::main_with(with("grant", rest)),
        Some(Command::Pay(rest)) => consent_desk_engine::cli::main_with(with("pay", rest)),
        Some(Command::Payments(rest)) => consent_desk_engine::cli::main_with(with("payments", rest)),
    }
}

impl Rest {
    /// The value of a `--data-dir` among the subcommand's own arguments.
    fn data_dir(&self) -> Option<PathBuf> {
        let mut args = self.args.iter();
        while let Some(arg) = args.next() {
            if arg == "--data-dir" {
                return args.next().map(PathBuf::from);
            }
            if let Some(dir) = arg.strip_prefix("--data-dir=") {
                return Some(PathBuf::from(dir));
            }
        }
        None
    }
}

impl Command {
    fn rest(&self) -> &Rest {
        match self {
            Self::Sandbox(rest)
            | Self::Profile(rest)
            | Self::Key(rest)
            | Self::Grant(rest)
            | Self::Pay(rest)
            | Self::Payments(rest) => rest,
        }
    }
}

/// `consent-desk <name> <rest…>`, as the subcommand's parser expects it.
fn with(name: &str, rest: Rest) -> Vec<String> {
    ["consent-desk".to_owned(), name.to_owned()]
        .into_iter()
        .chain(rest.args)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("consent-desk").chain(args.iter().copied()))
    }

    #[test]
    fn a_subcommand_keeps_its_own_flags_and_help() {
        let cli = parse(&["grant", "list", "--json", "--help"]).unwrap();
        match cli.command {
            Some(Command::Grant(rest)) => assert_eq!(rest.args, ["list", "--json", "--help"]),
            other => panic!("{other:?}"),
        }
        let cli = parse(&["--data-dir", "/tmp/qa", "payment", "list"]).unwrap();
        assert_eq!(
            cli.data_dir.as_deref(),
            Some(std::path::Path::new("/tmp/qa"))
        );
        assert!(matches!(cli.command, Some(Command::Payments(_))));
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
        let version = Cli::command()
            .version(version_line())
            .try_get_matches_from(["consent-desk", "--version"])
            .unwrap_err();
        assert_eq!(version.kind(), ErrorKind::DisplayVersion);
        assert!(version.to_string().contains("WebKitGTK"), "{version}");
    }
}
