//! The sandbox wallet runs inside the app, and the app's binary also runs it
//! alone (`consent-desk sandbox`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use harness::{app_binary, Desktop};

/// `GET {base}alice` as a wallet client would, returning the JSON text.
async fn alice(base: &str) -> String {
    let response = reqwest::get(format!("{base}alice"))
        .await
        .expect("the sandbox answers");
    assert_eq!(response.status(), 200);
    response.text().await.expect("a body")
}

#[tokio::test]
async fn the_app_runs_its_sandbox_wallet() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("nav-about").await?;
    let url = app
        .wait_for_text("about-sandbox", |text| {
            text.starts_with("http://127.0.0.1:")
        })
        .await?;
    // A real wallet on loopback, served by the running app.
    let wallet = alice(&url).await;
    assert!(wallet.contains(r#""assetCode":"USD""#), "{wallet}");
    // Per tenant, as the reference server: `{base}/{tenantId}`.
    assert!(
        wallet.contains(&format!(r#""authServer":"{url}auth/"#)),
        "{wallet}"
    );
    // Its state lives in the app's data folder.
    let data = format!(
        "{}/dev.consentdesk.client/sandbox/sandbox.sqlite3",
        desktop.var("XDG_DATA_HOME")
    );
    assert!(
        std::path::Path::new(&data).exists(),
        "no sandbox state at {data}"
    );
    app.close().await
}

#[tokio::test]
async fn the_app_binary_runs_the_sandbox_alone() {
    let data = tempfile::tempdir().expect("a temp dir");
    let mut child = Command::new(app_binary())
        .args(["sandbox", "--port", "0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    let base = first
        .trim()
        .strip_prefix("Sandbox wallet listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_owned();
    let wallet = alice(&base).await;
    child.kill().expect("stopped");
    let _ = child.wait();
    assert!(
        wallet.contains(r#""publicName":"Alice Sandbox""#),
        "{wallet}"
    );
    assert!(data.path().join("sandbox.sqlite3").exists());
}
