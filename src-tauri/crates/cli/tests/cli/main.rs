//! The command line as a QA script runs it: every test starts `consent-desk`
//! as a real process. There is no extra binary to start: this test binary is
//! also the command line, when `CONSENT_DESK_CLI_UNDER_TEST` is set
//! (`harness = false`, so `main` is ours). A process boundary is what these
//! tests are about: exit codes, stdout and stderr as a script reads them, a
//! command killed or waited on, a D-Bus session and a keyring store set up
//! per process. And the app's own binary would bring GTK into the tests of a
//! crate that has none.

use std::future::Future;
use std::process::Command;

use consent_desk_cli::{Gui, Versions};
use consent_desk_identity::Folders;
use libtest_mimic::{Arguments, Trial};

#[path = "../../../engine/tests/support/browser.rs"]
mod browser;
mod keyring;
mod kill;
mod loopback;
mod profiles;
mod sandbox;
#[path = "support/session.rs"]
mod session;
mod shell;

/// Set in the environment of the processes the tests start: run as the CLI.
const UNDER_TEST: &str = "CONSENT_DESK_CLI_UNDER_TEST";

/// What the shell gives the command line, with no window: starting "the
/// window" prints what it was given, for `shell.rs` to check.
#[derive(Debug)]
struct NoWindow;

impl Gui for NoWindow {
    fn run(&self, folders: Folders, link: Option<String>) {
        let opened = serde_json::json!({"window": folders.data(), "link": link});
        println!("{opened}");
    }

    fn versions(&self) -> Versions {
        Versions {
            commit: "0123456789ab".into(),
            tauri: "2.0.0-test".into(),
            webview: "none".into(),
        }
    }
}

/// `consent-desk`, to give arguments and environment to.
fn consent_desk() -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command.env(UNDER_TEST, "1");
    command
}

/// A test that runs on a runtime of its own (two workers: a sandbox in the
/// test keeps serving while the test waits on a command).
fn asynchronous<F: Future<Output = ()> + 'static>(name: &str, test: fn() -> F) -> Trial {
    Trial::test(name, move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(test());
        Ok(())
    })
}

/// A test with no runtime.
fn synchronous(name: &str, test: fn()) -> Trial {
    Trial::test(name, move || {
        test();
        Ok(())
    })
}

fn main() {
    if std::env::var_os(UNDER_TEST).is_some() {
        consent_desk_cli::main(&NoWindow);
        return;
    }
    let trials = [
        shell::tests(),
        profiles::tests(),
        keyring::tests(),
        loopback::tests(),
        sandbox::tests(),
        kill::tests(),
    ]
    .into_iter()
    .flatten()
    .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
