//! Conformance with the reference client: the official Node SDK
//! (`@interledger/open-payments` 7.x from npm) runs the whole flow against the
//! sandbox (`tests/node/conformance.mjs`), consent through the AS–IdP
//! interface with a cookie-keeping client.

use std::path::Path;
use std::process::Stdio;

use consent_desk_sandbox::Sandbox;

#[tokio::test]
async fn the_node_sdk_completes_the_whole_flow() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    assert!(
        root.join("node_modules/@interledger/open-payments/package.json")
            .exists(),
        "the Node SDK is not installed: run `npm ci` at the repository root"
    );
    let dir = tempfile::tempdir().unwrap();
    // wait = 1: the SDK script must honour `continue.wait`.
    let sandbox = Sandbox::builder(dir.path())
        .wait_seconds(1)
        .start()
        .await
        .unwrap();
    let before = sandbox.accounts().unwrap();
    let output = tokio::process::Command::from(programs::command("node"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/conformance.mjs"))
        .env(
            "SANDBOX_URL",
            sandbox.base_url().as_str().trim_end_matches('/'),
        )
        .env("IDP_SECRET", sandbox.idp_secret())
        .current_dir(&root)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|error| panic!("{}", programs::not_started("node", error)));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Node SDK flow failed:\n{stdout}\n{stderr}"
    );

    let result: serde_json::Value = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .map(|json| serde_json::from_str(json).unwrap())
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}"));
    let number = |key: &str| result[key].as_str().unwrap().parse::<u64>().unwrap();
    let balance = |accounts: &[consent_desk_sandbox::AccountBalance], name: &str| {
        accounts.iter().find(|a| a.name == name).unwrap().balance
    };
    let after = sandbox.accounts().unwrap();
    // What the script saw through the admin API is what the sandbox holds.
    assert_eq!(balance(&before, "alice"), number("aliceBefore"));
    assert_eq!(
        balance(&after, "alice"),
        balance(&before, "alice") - number("debit")
    );
    assert_eq!(
        balance(&after, "bob"),
        balance(&before, "bob") + number("receive")
    );
    assert!(number("debit") > 0 && number("receive") == 1000);
}
