//! The top level as the shell runs it: no command opens the window (here,
//! the tests' stand-in) on the chosen folder with the link; `--help`,
//! `--version` and usage errors make no folder; `--data-dir` either side of
//! the command; a folder that cannot be written is one sentence and exit 73.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;

use libtest_mimic::Trial;

/// The command line with a home of its own and no data folder from outside.
fn run(home: &Path, args: &[&str]) -> Output {
    crate::consent_desk()
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("CONSENT_DESK_DATA_DIR")
        .env_remove("CONSENT_DESK_CONFIG_DIR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn no_command_opens_the_window_on_the_chosen_folder_with_the_link() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("qa");
    let link = "dev.consentdesk:/finish/abc?hash=x&interact_ref=y";
    let opened = run(home.path(), &["--data-dir", data.to_str().unwrap(), link]);
    assert_eq!(opened.status.code(), Some(0), "{}", text(&opened.stderr));
    let opened: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(opened["window"], data.to_str().unwrap());
    assert_eq!(opened["link"], link);
    // Made before the window, the person's alone.
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    let plain = run(home.path(), &[]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(plain["link"], serde_json::Value::Null);
    assert!(
        plain["window"]
            .as_str()
            .unwrap()
            .starts_with(home.path().to_str().unwrap()),
        "the user's folders: {plain}"
    );
}

fn help_version_and_usage_errors_make_no_folder() {
    let home = tempfile::tempdir().unwrap();
    let version = run(home.path(), &["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        text(&version.stdout).trim(),
        format!(
            "consent-desk {} (commit 0123456789ab, Tauri 2.0.0-test, WebKitGTK none)",
            env!("CARGO_PKG_VERSION")
        )
    );
    for command in [
        "sandbox", "profile", "key", "grant", "pay", "payments", "prove",
    ] {
        let help = run(home.path(), &[command, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{command}");
        assert!(
            text(&help.stdout).contains(&format!("Usage: consent-desk {command}")),
            "{}",
            text(&help.stdout)
        );
    }
    let unknown = run(home.path(), &["frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("'frobnicate' is not a command"));
    let twice = run(
        home.path(),
        &[
            "--data-dir",
            "/tmp/one",
            "grant",
            "list",
            "--data-dir",
            "/tmp/two",
        ],
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        text(&twice.stderr).contains("--data-dir is given twice, as /tmp/one and /tmp/two"),
        "{}",
        text(&twice.stderr)
    );
    let bad_flag = run(home.path(), &["payments", "list", "--nope"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

fn data_dir_goes_before_or_after_the_command() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("qa");
    let data = data.to_str().unwrap();
    let ways: [&[&str]; 3] = [
        &["--data-dir", data, "profile", "list", "--json"],
        &["profile", "list", "--json", "--data-dir", data],
        &["--data-dir", data, "profile", "--data-dir", data, "list"],
    ];
    for args in ways {
        let listed = run(home.path(), args);
        assert_eq!(
            listed.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&listed.stderr)
        );
    }
    assert!(Path::new(data).join("logs").is_dir());
    assert!(!home.path().join(".config").exists());
    assert!(!home.path().join(".local").exists());
}

fn a_folder_that_cannot_be_written_is_one_sentence_and_exit_73() {
    let home = tempfile::tempdir().unwrap();
    let blocker = home.path().join("not-a-folder");
    std::fs::write(&blocker, b"").unwrap();
    let data = blocker.join("data");
    let refused = run(
        home.path(),
        &["payments", "list", "--data-dir", data.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(73));
    let words = text(&refused.stderr);
    assert_eq!(words.lines().count(), 1, "{words}");
    assert!(
        words.contains(&data.display().to_string()) && words.contains("--data-dir"),
        "{words}"
    );
}

/// This file's tests, for `main`.
/// Every folder and file under `dir`, with its permission bits.
fn modes(dir: &Path) -> Vec<(std::path::PathBuf, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        found.push((path.clone(), meta.permissions().mode() & 0o777));
        if meta.is_dir() {
            found.extend(modes(&path));
        }
    }
    found
}

async fn every_file_a_command_makes_is_the_person_s_alone() {
    // Started as most desktops start programs, with a umask that lets others
    // read: the command line must not depend on it.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let wallets = tempfile::tempdir().unwrap();
    let sandbox = consent_desk_sandbox::Sandbox::builder(wallets.path())
        .start()
        .await
        .unwrap();
    let wallet = sandbox.wallet_address("alice").to_string();
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("qa");
    let data_dir = data.to_str().unwrap();
    let key_file = data.join("keys").join("qa.key.json");
    let added = crate::consent_desk()
        .args(["--data-dir", data_dir, "profile", "add", "--name", "QA"])
        .args(["--wallet", &wallet, "--allow-http-loopback"])
        .args(["--key-id", "qa-1", "--key-file", key_file.to_str().unwrap()])
        .args(["--passphrase-env", "PW", "--json"])
        .env("HOME", home.path())
        .env("PW", "correct horse battery")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let listed = run(
        home.path(),
        &["--data-dir", data_dir, "grant", "list", "--json"],
    );
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));

    let made = modes(&data);
    let names: Vec<String> = made
        .iter()
        .map(|(path, _)| path.strip_prefix(&data).unwrap().display().to_string())
        .collect();
    for expected in [
        "qa.key.json",
        "profiles.json",
        "grants.sqlite3",
        "consent-desk.",
    ] {
        assert!(
            names.iter().any(|name| name.contains(expected)),
            "{expected} was made: {names:?}"
        );
    }
    for (path, mode) in made {
        let is_dir = path.is_dir();
        let wanted = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(
            mode,
            wanted,
            "{} is {mode:o}, others could read it",
            path.display()
        );
    }
}

pub(crate) fn tests() -> Vec<Trial> {
    vec![
        crate::synchronous(
            "shell::no_command_opens_the_window_on_the_chosen_folder_with_the_link",
            no_command_opens_the_window_on_the_chosen_folder_with_the_link,
        ),
        crate::synchronous(
            "shell::help_version_and_usage_errors_make_no_folder",
            help_version_and_usage_errors_make_no_folder,
        ),
        crate::synchronous(
            "shell::data_dir_goes_before_or_after_the_command",
            data_dir_goes_before_or_after_the_command,
        ),
        crate::synchronous(
            "shell::a_folder_that_cannot_be_written_is_one_sentence_and_exit_73",
            a_folder_that_cannot_be_written_is_one_sentence_and_exit_73,
        ),
        crate::asynchronous(
            "shell::every_file_a_command_makes_is_the_person_s_alone",
            every_file_a_command_makes_is_the_person_s_alone,
        ),
    ]
}
