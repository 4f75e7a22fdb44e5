//! The app's binary as a QA script meets it: `--help`, `--version` and every
//! subcommand's `--help` without a display, usage errors with exit 2, the
//! subcommands' dispatch, `--data-dir`, and logging on the command line.

use std::process::{Command, Output};

use harness::app_binary;

/// The binary with no display and a home of its own, so nothing here can
/// start GTK or touch the real user's folders.
fn consent_desk(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(app_binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .output()
        .expect("the app binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_and_version_work_without_a_display() {
    let home = tempfile::tempdir().expect("a temp dir");
    let help = consent_desk(home.path(), &["--help"]);
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    let words = text(&help.stdout);
    for command in [
        "sandbox",
        "profile",
        "key",
        "grant",
        "pay",
        "payments",
        "--data-dir",
    ] {
        assert!(words.contains(command), "--help lacks {command}: {words}");
    }

    let version = consent_desk(home.path(), &["--version"]);
    assert_eq!(version.status.code(), Some(0), "{}", text(&version.stderr));
    let line = text(&version.stdout);
    assert!(
        line.starts_with(&format!("consent-desk {}", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    assert!(
        line.contains("commit ") && line.contains("WebKitGTK 2."),
        "{line}"
    );

    for command in ["sandbox", "profile", "key", "grant", "pay", "payments"] {
        let help = consent_desk(home.path(), &[command, "--help"]);
        assert_eq!(
            help.status.code(),
            Some(0),
            "{command} --help: {}",
            text(&help.stderr)
        );
        assert!(
            text(&help.stdout).contains("Usage: consent-desk"),
            "{command} --help: {}",
            text(&help.stdout)
        );
    }
    // None of it made a folder.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn an_unknown_command_is_a_usage_error_not_a_window() {
    let home = tempfile::tempdir().expect("a temp dir");
    let unknown = consent_desk(home.path(), &["frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2));
    let words = text(&unknown.stderr);
    assert!(
        words.contains("'frobnicate'") && words.contains("Usage:"),
        "{words}"
    );
    assert!(!words.contains("gtk"), "{words}");

    let twice = consent_desk(
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
        text(&twice.stderr).contains("given twice"),
        "{}",
        text(&twice.stderr)
    );

    let bad_flag = consent_desk(home.path(), &["grant", "list", "--nope"]);
    assert_eq!(
        bad_flag.status.code(),
        Some(2),
        "{}",
        text(&bad_flag.stderr)
    );
}

#[test]
fn the_app_binary_runs_profile_commands() {
    let home = tempfile::tempdir().expect("a temp dir");
    let data = home.path().join("qa");
    let data = data.to_str().unwrap();
    let output = consent_desk(
        home.path(),
        &["--data-dir", data, "profile", "list", "--json"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(list["profiles"], serde_json::json!([]));

    let missing = consent_desk(
        home.path(),
        &["key", "jwk", "--profile", "nobody", "--data-dir", data],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no profile"));
    // Everything went to the data folder, nothing to the home's XDG folders.
    assert!(!home.path().join(".config").exists());
    assert!(!home.path().join(".local").exists());
}

#[test]
fn logging_works_on_the_command_line_into_the_data_folder() {
    let home = tempfile::tempdir().expect("a temp dir");
    let data = home.path().join("qa");
    let output = Command::new(app_binary())
        .args(["--data-dir", data.to_str().unwrap(), "sandbox", "reset"])
        .env("HOME", home.path())
        .env("CONSENT_DESK_LOG", "debug")
        .output()
        .expect("the app binary runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&data.join("sandbox").display().to_string()));
    let logs: Vec<_> = std::fs::read_dir(data.join("logs"))
        .expect("a log folder")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let name = logs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("consent-desk.") && name.ends_with(".log"),
        "{name}"
    );
    // The log file and folders are the person's alone.
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&logs[0]), 0o600);
}

#[test]
fn a_data_folder_that_cannot_be_written_is_named_and_nothing_is_made() {
    let home = tempfile::tempdir().expect("a temp dir");
    let blocker = home.path().join("not-a-folder");
    std::fs::write(&blocker, b"").unwrap();
    let data = blocker.join("data");
    let output = consent_desk(
        home.path(),
        &["--data-dir", data.to_str().unwrap(), "grant", "list"],
    );
    assert_eq!(output.status.code(), Some(73));
    let words = text(&output.stderr);
    assert_eq!(words.lines().count(), 1, "{words}");
    assert!(
        words.contains(&data.display().to_string()) && words.contains("--data-dir"),
        "{words}"
    );
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 1);
}
