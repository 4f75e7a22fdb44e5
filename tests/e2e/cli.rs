//! The app's binary answers `consent-desk profile …` and `key …` without
//! opening a window (the identity crate tests every subcommand; this checks
//! the dispatch of the installed binary).

use std::process::Command;

use harness::app_binary;

#[test]
fn the_app_binary_runs_profile_commands() {
    let config = tempfile::tempdir().expect("a temp dir");
    let output = Command::new(app_binary())
        .args(["profile", "list", "--json"])
        .env("CONSENT_DESK_CONFIG_DIR", config.path())
        .output()
        .expect("the app binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(list["profiles"], serde_json::json!([]));

    let missing = Command::new(app_binary())
        .args(["key", "jwk", "--profile", "nobody"])
        .env("CONSENT_DESK_CONFIG_DIR", config.path())
        .output()
        .expect("the app binary runs");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no profile"));
}
