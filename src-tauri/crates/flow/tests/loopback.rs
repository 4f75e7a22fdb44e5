//! The loopback finish path from the command line, end to end: the CLI asks
//! the sandbox wallet for a grant, a cookie-keeping HTTP client plays the
//! person's browser on the consent page, the wallet redirects to the CLI's
//! loopback listener, and the CLI verifies, continues and stores the token in
//! a real gnome-keyring. A forged finish on the way is refused without
//! spoiling the real one; a replayed finish is refused too.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use consent_desk_identity::{
    Identities, KeySource, MemoryBackend, NewProfile, ProfileStore, Storage,
};
use consent_desk_protocol::{KeyId, SigningKey};
use consent_desk_sandbox::Sandbox;
use zeroize::Zeroizing;

#[path = "../../identity/tests/support/session.rs"]
mod session;

#[path = "support/browser.rs"]
mod browser;

use browser::{approve, browser, location};

use session::{private_env, Mode, Session};

const PASSPHRASE: &str = "correct horse battery";

fn grant_cli(session: &Session, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_consent-desk-grant"));
    command.args(args);
    private_env(&mut command, session.dir.path());
    command
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            session.bus.as_deref().unwrap_or_default(),
        )
        .env("CONSENT_DESK_CONFIG_DIR", session.dir.path().join("config"))
        .env("CONSENT_DESK_DATA_DIR", session.dir.path().join("data"))
        .env("CONSENT_DESK_KEYRING_TIMEOUT", "10")
        .env("PW", PASSPHRASE);
    command
}

// A private keyring session, the sandbox wallet with the `qa` client, and
/// a profile signing as `qa` with its key in a passphrase file.
async fn world() -> (
    Session,
    consent_desk_sandbox::RunningSandbox,
    tempfile::TempDir,
) {
    let session = Session::start(Mode::Unlocked);
    let key = SigningKey::generate();
    let key_id = KeyId::new("qa-desk-1").unwrap();
    let sandbox_dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(sandbox_dir.path())
        .wait_seconds(1)
        .client_wallet("qa", "QA Desk", key.public_jwk(&key_id))
        .start()
        .await
        .unwrap();
    // The profile signs as `qa`; its key sits in a passphrase file, the
    // grant's tokens go to the session's keyring.
    Identities::new(
        ProfileStore::in_dir(&session.dir.path().join("config")),
        Arc::new(MemoryBackend::default()),
    )
    .with_kdf_cost(consent_desk_identity::KdfCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    })
    .add(NewProfile {
        name: "QA".into(),
        wallet_address: sandbox.wallet_address("qa"),
        key_id: Some(key_id.as_str().to_owned()),
        key: KeySource::Import(Zeroizing::new(key.to_pkcs8_pem().to_string())),
        storage: Storage::EncryptedFile {
            path: session.dir.path().join("qa.key.json"),
            passphrase: Zeroizing::new(PASSPHRASE.into()),
        },
        allow_http_loopback: true,
        loopback_finish: false,
    })
    .unwrap();

    (session, sandbox, sandbox_dir)
}

// Multi-threaded: the sandbox keeps serving while the test waits on the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_completes_a_grant_through_its_loopback_listener() {
    let (session, sandbox, _sandbox_dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let mut child = grant_cli(
        &session,
        &[
            "grant",
            "request",
            "--wallet",
            &alice,
            "--debit",
            "1320",
            "--interval",
            "R/2025-04-22T00:00:00Z/P1D",
            "--finish",
            "loopback",
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let pending: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"));
    assert_eq!(pending["event"], "pending");
    let id = pending["id"].as_str().unwrap().to_owned();
    let redirect = pending["redirect"].as_str().unwrap().to_owned();

    // The person's browser: consent page, Approve, back to the finish URI.
    let http = browser();
    let start = http.get(&redirect).send().await.unwrap();
    let page_url = url::Url::parse(&redirect)
        .unwrap()
        .join(&location(&start))
        .unwrap();
    let page = http
        .get(page_url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("$13.20") && page.contains("every day"),
        "the consent page shows the limit"
    );
    let chosen = http
        .post(page_url.clone())
        .form(&[("choice", "accept")])
        .send()
        .await
        .unwrap();
    let finish_step = page_url.join(&location(&chosen)).unwrap();
    let back = http.get(finish_step).send().await.unwrap();
    let finish = location(&back);
    assert!(
        finish.starts_with("http://127.0.0.1:") && finish.contains(&format!("/finish/{id}?")),
        "{finish}"
    );

    // A forged finish reaches the listener first: refused, the grant waits on.
    let forged = finish.replace("hash=", "hash=AAAA");
    let answer = reqwest::get(&forged).await.unwrap();
    assert_eq!(answer.status(), 200);

    // The real one: the page says to close the tab; the CLI completes.
    let closing = reqwest::get(&finish).await.unwrap().text().await.unwrap();
    assert!(closing.contains("You can close this tab"));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(
        stderr.contains("refused"),
        "the forged finish was reported: {stderr}"
    );
    let granted: serde_json::Value =
        serde_json::from_str(rest.trim()).unwrap_or_else(|_| panic!("{rest}"));
    assert_eq!(granted["state"], "approved");
    assert_eq!(
        granted["access"][0]["limits"]["debitAmount"]["value"],
        "1320"
    );
    assert_eq!(
        granted["access"][0]["limits"]["interval"],
        "R/2025-04-22T00:00:00Z/P1D"
    );
    let keys: Vec<&String> = granted.as_object().unwrap().keys().collect();
    assert!(
        keys.iter().all(|key| !key.to_lowercase().contains("token")),
        "no token is printed: {keys:?}"
    );

    // The store remembers it; a replayed finish is refused.
    let shown = grant_cli(&session, &["grant", "show", &id, "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["state"], "approved");
    assert!(shown["manageUri"]
        .as_str()
        .unwrap()
        .contains("/auth/token/"));
    let replay = grant_cli(
        &session,
        &[
            "grant",
            "continue",
            "--finish-url",
            &finish,
            "--passphrase-env",
            "PW",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(replay.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&replay.stderr).contains("already"),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );

    // Cancel at the wallet: the continuation token from the keyring works.
    let cancelled = grant_cli(
        &session,
        &["grant", "cancel", &id, "--json", "--passphrase-env", "PW"],
    )
    .output()
    .unwrap();
    assert!(
        cancelled.status.success(),
        "{}",
        String::from_utf8_lossy(&cancelled.stderr)
    );
    let listed = grant_cli(&session, &["grant", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["state"], "cancelled");
}

// Multi-threaded: the sandbox keeps serving while the test waits on the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_cancels_at_the_wallet_a_grant_nobody_approved_in_time() {
    let (session, sandbox, _sandbox_dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let waited = grant_cli(
        &session,
        &[
            "grant",
            "request",
            "--wallet",
            &alice,
            "--debit",
            "1320",
            "--finish",
            "loopback",
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "1",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&waited.stderr);
    assert_eq!(waited.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no approval arrived within 1 s")
            && stderr.contains("cancelled at the wallet"),
        "{stderr}"
    );

    let listed = grant_cli(&session, &["grant", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["state"], "cancelled");
    assert_eq!(listed[0]["problem"], "timed_out");
    // The wallet shows it cancelled, not left open.
    let continue_id = listed[0]["continueUri"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let admin = sandbox
        .base_url()
        .join(&format!("admin/grants/{continue_id}"))
        .unwrap();
    let seen = reqwest::get(admin).await.unwrap().text().await.unwrap();
    let seen: serde_json::Value = serde_json::from_str(&seen).unwrap();
    assert_eq!(seen["state"], "revoked", "{seen}");
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_pays_across_currencies_and_manages_the_grant() {
    let (session, sandbox, _dir) = world().await;
    let balance = |name: &str| {
        sandbox
            .accounts()
            .unwrap()
            .into_iter()
            .find(|account| account.name == name)
            .unwrap()
            .balance
    };
    let (alice, bob) = (balance("alice"), balance("bob"));
    let from = sandbox.wallet_address("alice").to_string();
    let to = sandbox.wallet_address("bob").to_string();
    let mut child = grant_cli(
        &session,
        &[
            "pay",
            "--from",
            &from,
            "--to",
            &to,
            "--amount",
            "10.00",
            "--receive",
            "--note",
            "rent",
            "--yes",
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let quoted: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(quoted["event"], "quoted");
    assert_eq!(quoted["quote"]["receiveAmount"]["value"], "1000");
    assert_eq!(quoted["quote"]["receiveAmount"]["assetCode"], "EUR");
    let debit: u64 = quoted["quote"]["debitAmount"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    let pending: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(pending["event"], "pending");
    let grant = pending["grant"].as_str().unwrap().to_owned();
    let finish = approve(pending["redirect"].as_str().unwrap()).await;
    reqwest::get(&finish).await.unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    let paid: serde_json::Value = serde_json::from_str(rest.trim()).unwrap();
    assert_eq!(paid["state"], "completed");
    assert_eq!(paid["outgoingPayment"]["metadata"]["description"], "rent");
    assert_eq!(balance("bob"), bob + 1000);
    assert_eq!(balance("alice"), alice - debit);
    assert!(
        !rest.to_lowercase().contains("accesstoken"),
        "no token printed"
    );

    // The same engine lists it and manages its grant.
    let listed = json_of(
        &grant_cli(&session, &["payments", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(listed[0]["id"], paid["id"]);
    let spent = json_of(
        &grant_cli(
            &session,
            &[
                "grants",
                "spent",
                &grant,
                "--json",
                "--passphrase-env",
                "PW",
            ],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(spent["spentDebitAmount"]["value"], debit.to_string());
    let before = json_of(
        &grant_cli(&session, &["grants", "show", &grant, "--json"])
            .output()
            .unwrap(),
    );
    let rotated = json_of(
        &grant_cli(
            &session,
            &[
                "grants",
                "rotate",
                &grant,
                "--json",
                "--passphrase-env",
                "PW",
            ],
        )
        .output()
        .unwrap(),
    );
    assert_ne!(rotated["manageUri"], before["manageUri"]);
    assert!(
        rotated.get("accessToken").is_none(),
        "no token without --show-secrets"
    );
    let revoked = json_of(
        &grant_cli(
            &session,
            &[
                "grants",
                "revoke",
                &grant,
                "--json",
                "--passphrase-env",
                "PW",
            ],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(revoked["state"], "revoked");
    let refused = grant_cli(
        &session,
        &["grants", "spent", &grant, "--passphrase-env", "PW"],
    )
    .output()
    .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("revoked"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
