//! The keyring paths against a real gnome-keyring, each scenario on its own
//! private D-Bus session bus (no service activation, so nothing else starts)
//! with a private HOME, and every command under a hard timeout:
//! store, read back, delete; a locked keyring; no Secret Service; no bus; a
//! Secret Service that stops answering.
//!
//! The commands run as child processes (`consent-desk profile|key`): keyring 4
//! sets its store up once per process from the environment, so each scenario
//! needs a process of its own anyway.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::Trial;

use crate::session::{private_env, Mode, Session};

trait Cli {
    fn config(&self) -> PathBuf;
    fn cli(&self, args: &[&str], limit: Duration) -> Output;
    fn add(&self, name: &str) -> Output;
}

impl Cli for Session {
    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Runs the CLI in this session. `limit` is the test's deadline, not a
    /// speed figure: a command still running then (waiting on a prompt or a
    /// keyring that never answers) is killed and the test fails saying so.
    fn cli(&self, args: &[&str], limit: Duration) -> Output {
        let mut command = crate::consent_desk();
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        private_env(&mut command, self.dir.path());
        command
            .env("CONSENT_DESK_CONFIG_DIR", self.config())
            .env("CONSENT_DESK_KEYRING_TIMEOUT", "2");
        if let Some(bus) = &self.bus {
            command.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let output = child.wait_with_output().unwrap();
                panic!(
                    "`{}` did not finish within {limit:?}; it printed: {}{}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn add(&self, name: &str) -> Output {
        self.cli(
            &[
                "profile",
                "add",
                "--name",
                name,
                "--wallet",
                "https://wallet.example/qa",
                "--no-check",
                "--json",
            ],
            Duration::from_secs(20),
        )
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn store_read_back_and_delete_in_a_real_keyring() {
    let session = Session::start(Mode::Unlocked);
    let added = session.add("QA");
    assert!(added.status.success(), "{}", stderr(&added));
    let profile: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(profile["key"]["store"], "keyring");
    // Read back: the private key from the keyring matches the public key.
    let limit = Duration::from_secs(20);
    let verified = session.cli(&["key", "verify", "--profile", "qa", "--json"], limit);
    assert!(verified.status.success(), "{}", stderr(&verified));
    // Nothing secret in the profile file.
    let file = std::fs::read_to_string(session.config().join("profiles.json")).unwrap();
    assert!(!file.contains("PRIVATE KEY"));

    // Remove deletes the entry: put the profile file back and the key is gone.
    let removed = session.cli(&["profile", "remove", "qa"], limit);
    assert!(removed.status.success(), "{}", stderr(&removed));
    std::fs::write(session.config().join("profiles.json"), &file).unwrap();
    let missing = session.cli(&["key", "verify", "--profile", "qa"], limit);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("not in the system keyring"),
        "{}",
        stderr(&missing)
    );
}

fn a_locked_keyring_is_named_and_nothing_is_half_added() {
    let session = Session::start(Mode::Locked);
    // Without a prompt (stdin is closed, nobody would answer one), the add
    // ends on its own before the deadline, with a failure that names the
    // locked keyring and the way out.
    let added = session.add("QA");
    assert_eq!(added.status.code(), Some(1));
    let message = stderr(&added);
    assert!(
        message.contains("locked") && message.contains("passphrase-protected file"),
        "{message}"
    );
    let list = session.cli(&["profile", "list", "--json"], Duration::from_secs(20));
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["profiles"], serde_json::json!([]));
}

fn no_secret_service_or_no_bus_says_so_without_waiting() {
    for mode in [Mode::NoService, Mode::NoBus] {
        let session = Session::start(mode);
        // Ends on its own before the deadline `add` sets: no waiting for a
        // service that is not there.
        let added = session.add("QA");
        assert_eq!(added.status.code(), Some(1), "{mode:?}");
        let message = stderr(&added);
        assert!(
            message.contains("no system keyring is available"),
            "{mode:?}: {message}"
        );
    }
}

fn a_keyring_that_stops_answering_does_not_hang_the_app() {
    let session = Session::start(Mode::Frozen);
    // CONSENT_DESK_KEYRING_TIMEOUT=2 in this session.
    let added = session.add("QA");
    assert_eq!(added.status.code(), Some(1));
    assert!(
        stderr(&added).contains("did not answer within 2 s"),
        "{}",
        stderr(&added)
    );
}

/// This file's tests, for `main`.
pub(crate) fn tests() -> Vec<Trial> {
    vec![
        crate::synchronous(
            "keyring::store_read_back_and_delete_in_a_real_keyring",
            store_read_back_and_delete_in_a_real_keyring,
        ),
        crate::synchronous(
            "keyring::a_locked_keyring_is_named_and_nothing_is_half_added",
            a_locked_keyring_is_named_and_nothing_is_half_added,
        ),
        crate::synchronous(
            "keyring::no_secret_service_or_no_bus_says_so_without_waiting",
            no_secret_service_or_no_bus_says_so_without_waiting,
        ),
        crate::synchronous(
            "keyring::a_keyring_that_stops_answering_does_not_hang_the_app",
            a_keyring_that_stops_answering_does_not_hang_the_app,
        ),
    ]
}
