//! `consent-desk sandbox`: the sandbox wallet served alone, with fault
//! switches from the command line.

use std::process::Stdio;

use libtest_mimic::Trial;
use tokio::io::AsyncBufReadExt as _;

async fn the_command_line_serves_with_faults() {
    let dir = tempfile::tempdir().unwrap();
    // The user's folders (no --data-dir) in a home of the test's own.
    let sandbox = || {
        let mut command = tokio::process::Command::from(crate::consent_desk());
        command
            .arg("sandbox")
            .env("HOME", dir.path().join("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("CONSENT_DESK_DATA_DIR");
        command
    };
    let bad = sandbox().args(["--fault", "slow"]).output().await.unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown fault"));

    let mut child = sandbox()
        .args(["--port", "0", "--fault", "fail=GET /alice:502"])
        .arg("--data")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let base = first
        .strip_prefix("Sandbox wallet listening on ")
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}alice"))
            .send()
            .await
            .unwrap()
            .status(),
        502
    );
    assert_eq!(
        http.get(format!("{base}bob"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    child.kill().await.unwrap();
    assert!(dir.path().join(consent_desk_sandbox::STATE_FILE).exists());
}

/// This file's tests, for `main`.
pub(crate) fn tests() -> Vec<Trial> {
    vec![crate::asynchronous(
        "sandbox::the_command_line_serves_with_faults",
        the_command_line_serves_with_faults,
    )]
}
