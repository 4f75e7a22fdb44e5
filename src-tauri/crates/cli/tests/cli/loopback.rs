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
use libtest_mimic::Trial;
use zeroize::Zeroizing;

use crate::browser::{self, approve, browser, browser_trusting, consent_in, location};
use crate::session::{private_env, Mode, Session};

const PASSPHRASE: &str = "correct horse battery";

pub(crate) fn grant_cli(session: &Session, args: &[&str]) -> Command {
    let mut command = crate::consent_desk();
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

/// Starts a CLI command that waits (for a finish or a confirmation) and reads
/// the JSON event it prints first; the rest of its stdout stays readable.
pub(crate) fn first_event(
    command: &mut Command,
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    serde_json::Value,
) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let event = serde_json::from_str(&line).unwrap_or_else(|_| {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
        panic!("not JSON: {line:?}; {stderr}")
    });
    (child, stdout, event)
}

// A private keyring session, the sandbox wallet with the `qa` client, and
/// a profile signing as `qa` with its key in a passphrase file.
pub(crate) async fn world() -> (
    Session,
    consent_desk_sandbox::RunningSandbox,
    tempfile::TempDir,
) {
    world_with(false).await
}

/// [`world`], with the profile's "always finish through the loopback"
/// setting as given.
async fn world_with(
    loopback_finish: bool,
) -> (
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
        loopback_finish,
    })
    .unwrap();

    (session, sandbox, sandbox_dir)
}

// Multi-threaded: the sandbox keeps serving while the test waits on the CLI.
async fn the_cli_completes_a_grant_through_its_loopback_listener() {
    let (session, sandbox, _sandbox_dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let (mut child, mut stdout, pending) = first_event(&mut grant_cli(
        &session,
        &[
            "grant",
            "request",
            "--wallet",
            &alice,
            "--debit",
            "13.20",
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
    ));
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
            "--debit-minor",
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

/// `consent-desk grant list --json`, read.
fn listed_grants(session: &Session) -> serde_json::Value {
    json_of(
        &grant_cli(session, &["grant", "list", "--json"])
            .output()
            .unwrap(),
    )
}

/// An account's balance at the sandbox wallet, in its smallest unit.
pub(crate) fn balance(sandbox: &consent_desk_sandbox::RunningSandbox, name: &str) -> u64 {
    sandbox
        .accounts()
        .unwrap()
        .into_iter()
        .find(|account| account.name == name)
        .unwrap()
        .balance
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

async fn the_cli_pays_across_currencies_and_manages_the_grant() {
    let (session, sandbox, _dir) = world().await;
    let balance = |name: &str| balance(&sandbox, name);
    let (alice, bob) = (balance("alice"), balance("bob"));
    let from = sandbox.wallet_address("alice").to_string();
    let to = sandbox.wallet_address("bob").to_string();
    let (mut child, mut stdout, quoted) = first_event(&mut grant_cli(
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
    ));
    assert_eq!(quoted["event"], "quoted");
    assert_eq!(quoted["quote"]["receiveAmount"]["value"], "1000");
    assert_eq!(quoted["quote"]["receiveAmount"]["assetCode"], "EUR");
    let debit: u64 = quoted["quote"]["debitAmount"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut line = String::new();
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

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn the_cli_reads_amounts_as_people_write_them_and_refuses_the_rest_in_words() {
    let (session, sandbox, _dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let request = |limit: &[&str]| {
        let mut args = vec!["grant", "request", "--wallet", &alice];
        args.extend_from_slice(limit);
        args.extend_from_slice(&["--finish", "deep-link", "--json", "--passphrase-env", "PW"]);
        grant_cli(&session, &args).output().unwrap()
    };
    let limit_of = |output: &std::process::Output| {
        let pending = json_of(output);
        let shown = json_of(
            &grant_cli(
                &session,
                &["grant", "show", pending["id"].as_str().unwrap(), "--json"],
            )
            .output()
            .unwrap(),
        );
        shown["request"]["access_token"]["access"][0]["limits"].clone()
    };
    // Decimal in the wallet's asset (USD, scale 2); raw units only by name.
    let decimal = limit_of(&request(&["--debit", "13.20"]));
    assert_eq!(decimal["debitAmount"]["value"], "1320", "{decimal}");
    assert_eq!(decimal["debitAmount"]["assetScale"], 2, "{decimal}");
    let whole = limit_of(&request(&["--receive", "7"]));
    assert_eq!(whole["receiveAmount"]["value"], "700", "{whole}");
    let raw = limit_of(&request(&["--debit-minor", "1320"]));
    assert_eq!(raw["debitAmount"]["value"], "1320", "{raw}");
    // Yen has no decimals: 1000 is ¥1000, and 1000.5 is refused.
    let kenji = sandbox.wallet_address("kenji").to_string();
    let yen = grant_cli(
        &session,
        &[
            "grant",
            "request",
            "--wallet",
            &kenji,
            "--debit",
            "1000",
            "--finish",
            "deep-link",
        ],
    )
    .args(["--json", "--passphrase-env", "PW"])
    .output()
    .unwrap();
    let yen = limit_of(&yen);
    assert_eq!(yen["debitAmount"]["value"], "1000", "{yen}");
    assert_eq!(yen["debitAmount"]["assetScale"], 0, "{yen}");
    let fraction = grant_cli(
        &session,
        &[
            "grant",
            "request",
            "--wallet",
            &kenji,
            "--debit",
            "1000.5",
            "--passphrase-env",
            "PW",
        ],
    )
    .output()
    .unwrap();
    assert!(
        stderr_of(&fraction).contains("more decimals than this asset allows (0), such as 1000"),
        "{}",
        stderr_of(&fraction)
    );

    for (amount, says) in [
        (
            ["--debit", "0"],
            "--debit: the amount must be more than zero, such as 12.50",
        ),
        (["--debit", "0.00"], "more than zero"),
        (
            ["--debit", "13.201"],
            "more decimals than this asset allows (2), such as 12.50",
        ),
        (["--debit", "-5"], "`-5` is negative"),
        (["--receive", "ten"], "--receive: `ten` is not an amount"),
        (["--debit", "1,000"], "not an amount"),
        (["--debit-minor", "13.20"], "not a whole number"),
        (["--debit-minor", "0"], "more than zero"),
    ] {
        let refused = request(&amount);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{amount:?}: {}",
            stderr_of(&refused)
        );
        assert!(
            stderr_of(&refused).contains(says),
            "{amount:?}: {}",
            stderr_of(&refused)
        );
    }
    // Both ways at once is a usage error.
    let both = request(&["--debit", "1", "--debit-minor", "100"]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr_of(&both));
    let listed = listed_grants(&session);
    assert_eq!(
        listed.as_array().unwrap().len(),
        4,
        "refused amounts ask nothing: {listed}"
    );
}

async fn an_explicit_finish_wins_over_the_profiles_loopback_setting() {
    let (session, sandbox, _dir) = world_with(true).await;
    let from = sandbox.wallet_address("alice").to_string();
    let to = sandbox.wallet_address("bob").to_string();
    let common = ["--passphrase-env", "PW", "--timeout", "5"];
    let finish_of = |id: &str| {
        json_of(
            &grant_cli(&session, &["grant", "show", id, "--json"])
                .output()
                .unwrap(),
        )["finishUri"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // --finish deep-link: the grant finishes in the app; the command does
    // not wait and says which way.
    let mut args = vec![
        "pay", "--from", &from, "--to", &to, "--amount", "1.00", "--yes",
    ];
    args.extend_from_slice(&["--finish", "deep-link"]);
    args.extend_from_slice(&common);
    let paid = grant_cli(&session, &args).output().unwrap();
    let stdout = String::from_utf8_lossy(&paid.stdout);
    assert_eq!(paid.status.code(), Some(0), "{}", stderr_of(&paid));
    assert!(
        stdout.contains("to the Consent Desk app (deep-link), as --finish says"),
        "{stdout}"
    );
    let grant = listed_grants(&session)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        finish_of(&grant).starts_with("dev.consentdesk:/finish/"),
        "{}",
        finish_of(&grant)
    );

    // Without --finish, the profile's loopback setting decides; it says so.
    let mut args = vec!["grant", "request", "--wallet", &from, "--debit", "1"];
    args.extend_from_slice(&["--timeout", "1", "--passphrase-env", "PW"]);
    let waited = grant_cli(&session, &args).output().unwrap();
    let stdout = String::from_utf8_lossy(&waited.stdout);
    assert!(
        stdout.contains("to this command (loopback), as the profile's setting says"),
        "{stdout}"
    );
    let grant = listed_grants(&session)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        finish_of(&grant).starts_with("http://127.0.0.1:"),
        "{}",
        finish_of(&grant)
    );
}

/// Asks for and approves (in the scripted browser) a one-time budget of
/// `debit` from `wallet`; returns the grant id.
async fn approved_budget(session: &Session, wallet: &str, debit: &str) -> String {
    // `_stdout` stays open: the command prints again when it is done.
    let (mut child, _stdout, pending) = first_event(&mut grant_cli(
        session,
        &[
            "grant",
            "request",
            "--wallet",
            wallet,
            "--debit",
            debit,
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "60",
        ],
    ));
    let finish = approve(pending["redirect"].as_str().unwrap()).await;
    reqwest::get(&finish).await.unwrap();
    assert!(child.wait().unwrap().success());
    pending["id"].as_str().unwrap().to_owned()
}

async fn the_cli_pays_with_a_grant_approved_earlier_and_refuses_one_that_cannot() {
    let (session, sandbox, _dir) = world().await;
    let from = sandbox.wallet_address("alice").to_string();
    let to = sandbox.wallet_address("bob").to_string();
    let grant = approved_budget(&session, &from, "5.00").await;
    let pay = |amount: &str, grant: &str| {
        grant_cli(
            &session,
            &[
                "pay",
                "--from",
                &from,
                "--to",
                &to,
                "--amount",
                amount,
                "--yes",
                "--grant",
                grant,
                "--json",
                "--passphrase-env",
                "PW",
                "--timeout",
                "5",
            ],
        )
        .output()
        .unwrap()
    };

    // Paid with it: no consent page, no new grant.
    let paid = pay("3.00", &grant);
    assert_eq!(paid.status.code(), Some(0), "{}", stderr_of(&paid));
    let stdout = String::from_utf8_lossy(&paid.stdout);
    assert!(!stdout.contains("pending"), "no consent asked: {stdout}");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["state"], "completed", "{last}");
    assert_eq!(last["grantId"], grant.as_str(), "{last}");
    let grants = listed_grants(&session);
    assert_eq!(grants.as_array().unwrap().len(), 1, "{grants}");

    // What is left (2.00) does not cover 3.00: refused in words, unpaid.
    let refused = pay("3.00", &grant);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr_of(&refused).contains(&format!(
            "the grant {grant} cannot pay this: that grant's budget left does not cover this \
             payment"
        )) && stderr_of(&refused).contains("nothing was paid"),
        "{}",
        stderr_of(&refused)
    );
    let payments = json_of(
        &grant_cli(&session, &["payments", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(payments[0]["state"], "cancelled", "{payments}");

    // An id that names no grant is said before any quote.
    let unknown = pay("1.00", "no-such-grant");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr_of(&unknown).contains("there is no grant `no-such-grant`"),
        "{}",
        stderr_of(&unknown)
    );
    let payments = json_of(
        &grant_cli(&session, &["payments", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(payments.as_array().unwrap().len(), 2, "{payments}");
}

async fn the_cli_trusts_a_private_ca_only_when_told_and_says_so_without_it() {
    let session = Session::start(Mode::Unlocked);
    let key = SigningKey::generate();
    let key_id = KeyId::new("qa-desk-1").unwrap();
    let sandbox_dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(sandbox_dir.path())
        .https(true)
        .wait_seconds(1)
        .client_wallet("qa", "QA Desk", key.public_jwk(&key_id))
        .start()
        .await
        .unwrap();
    let ca = sandbox.ca_certificate().unwrap().to_owned();
    let alice = sandbox.wallet_address("alice").to_string();
    assert!(alice.starts_with("https://127.0.0.1:"), "{alice}");
    let identities = Identities::new(
        ProfileStore::in_dir(&session.dir.path().join("config")),
        Arc::new(MemoryBackend::default()),
    )
    .with_kdf_cost(consent_desk_identity::KdfCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    });
    let profile = identities
        .add(NewProfile {
            name: "QA".into(),
            wallet_address: sandbox.wallet_address("qa"),
            key_id: Some(key_id.as_str().to_owned()),
            key: KeySource::Import(Zeroizing::new(key.to_pkcs8_pem().to_string())),
            storage: Storage::EncryptedFile {
                path: session.dir.path().join("qa.key.json"),
                passphrase: Zeroizing::new(PASSPHRASE.into()),
            },
            // https only: plain http is not what is tested here.
            allow_http_loopback: false,
            loopback_finish: false,
        })
        .unwrap();
    let request = |extra: &[&str]| {
        let mut args = vec![
            "grant",
            "request",
            "--wallet",
            &alice,
            "--debit",
            "5.00",
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "60",
        ];
        args.extend_from_slice(extra);
        grant_cli(&session, &args)
    };

    // Without the CA: refused in words that name the certificate and the way out.
    let refused = request(&[]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr_of(&refused);
    assert!(
        said.contains("certificate this computer does not trust")
            && said.contains("certificate authority this computer does not know")
            && said.contains("--ca-cert FILE"),
        "{said}"
    );
    assert!(
        !said.contains("UnknownIssuer") && !said.contains("rustls"),
        "{said}"
    );

    // A file that is not a certificate is refused in words.
    let not_pem = session.dir.path().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let bad = request(&["--ca-cert", not_pem.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr_of(&bad).contains("is not a PEM certificate"),
        "{}",
        stderr_of(&bad)
    );

    // Kept in the profile (as `profile add --ca-cert` keeps it): the whole
    // loopback flow over https.
    identities.set_ca_cert(&profile.id, Some(&ca)).unwrap();
    let (mut child, mut stdout, pending) = first_event(&mut request(&[]));
    let redirect = pending["redirect"].as_str().unwrap();
    assert!(redirect.starts_with("https://127.0.0.1:"), "{redirect}");
    let finish = consent_in(&browser_trusting(Some(&ca)), redirect, "accept").await;
    reqwest::get(&finish).await.unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    let granted: serde_json::Value = serde_json::from_str(rest.trim()).unwrap();
    assert_eq!(granted["state"], "approved", "{granted}");

    // One-off: the global --ca-cert, with the profile trusting none.
    identities.set_ca_cert(&profile.id, None).unwrap();
    let listed = grant_cli(
        &session,
        &[
            "grant",
            "spent",
            granted["id"].as_str().unwrap(),
            "--json",
            "--passphrase-env",
            "PW",
        ],
    )
    .arg("--ca-cert")
    .arg(&ca)
    .output()
    .unwrap();
    assert_eq!(listed.status.code(), Some(0), "{}", stderr_of(&listed));
}

// Multi-threaded: the sandbox keeps serving while the test waits on the CLI.
async fn prove_confirms_ownership_through_the_loopback_finish() {
    let (session, sandbox, _sandbox_dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let (mut child, mut stdout, pending) = first_event(&mut grant_cli(
        &session,
        &[
            "prove",
            &alice,
            "--finish",
            "loopback",
            "--json",
            "--passphrase-env",
            "PW",
            "--timeout",
            "60",
        ],
    ));
    assert_eq!(pending["event"], "pending");
    assert_eq!(pending["wallet"], alice.as_str());
    let redirect = pending["redirect"].as_str().unwrap().to_owned();

    // The consent page asks to confirm ownership, in the client's name.
    let http = browser::browser();
    let start = http.get(&redirect).send().await.unwrap();
    let page_url = url::Url::parse(&redirect)
        .unwrap()
        .join(&browser::location(&start))
        .unwrap();
    let page = http
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<bdi>QA Desk</bdi> wants to confirm that you own this account"),
        "{page}"
    );

    let finish = browser::approve(&redirect).await;
    assert!(finish.starts_with("http://127.0.0.1:"), "{finish}");
    reqwest::get(&finish).await.unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    let proved: serde_json::Value =
        serde_json::from_str(rest.trim()).unwrap_or_else(|_| panic!("{rest}"));
    assert_eq!(proved["event"], "proved");
    assert_eq!(proved["proved"], true);
    assert_eq!(proved["wallet"], alice.as_str());
    assert_eq!(
        proved["access"],
        serde_json::Value::Null,
        "no access, no token"
    );
}

/// This file's tests, for `main`.
/// The loopback wait completes only its own grant: another grant's valid
/// link and an already used one reach its listener (any program on the
/// computer can send them) and are ignored, with a line saying so; the wait
/// goes on, and its own approval completes it.
async fn the_cli_s_wait_takes_only_its_own_grant_s_link() {
    let (session, sandbox, _sandbox_dir) = world().await;
    let alice = sandbox.wallet_address("alice").to_string();
    let ask = |finish: &'static str| {
        grant_cli(
            &session,
            &[
                "grant",
                "request",
                "--wallet",
                &alice,
                "--debit",
                "1",
                "--finish",
                finish,
                "--json",
                "--passphrase-env",
                "PW",
                "--timeout",
                "60",
            ],
        )
    };
    // Two other grants approved at the wallet: one left waiting for its
    // link, one completed by hand (its link is then used).
    let approved_link = |output: std::process::Output| {
        let pending = json_of(&output);
        (
            pending["id"].as_str().unwrap().to_owned(),
            pending["redirect"].as_str().unwrap().to_owned(),
        )
    };
    let (other, other_page) = approved_link(ask("deep-link").output().unwrap());
    let (used, used_page) = approved_link(ask("deep-link").output().unwrap());
    let other_link = approve(&other_page).await;
    let used_link = approve(&used_page).await;
    let continued = grant_cli(
        &session,
        &[
            "grant",
            "continue",
            "--finish-url",
            &used_link,
            "--passphrase-env",
            "PW",
        ],
    )
    .output()
    .unwrap();
    assert!(continued.status.success(), "{}", stderr_of(&continued));

    let (mut child, mut stdout, pending) = first_event(&mut ask("loopback"));
    let id = pending["id"].as_str().unwrap().to_owned();
    let own = approve(pending["redirect"].as_str().unwrap()).await;
    let listener = &own[..own.find("/finish/").unwrap()];
    for stray in [&other_link, &used_link] {
        let query = &stray[stray.find('?').unwrap()..];
        let grant = if stray == &other_link { &other } else { &used };
        let sent = reqwest::get(format!("{listener}/finish/{grant}{query}"))
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
    }
    assert!(reqwest::get(&own).await.unwrap().status().is_success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    let granted: serde_json::Value =
        serde_json::from_str(rest.trim()).unwrap_or_else(|_| panic!("{rest}"));
    assert_eq!(granted["id"], id.as_str(), "its own grant, no other");
    assert_eq!(granted["state"], "approved");
    assert_eq!(
        stderr.matches("ignored a link").count(),
        2,
        "each stray link is said: {stderr}"
    );
    // The other grant was not completed by the stray link.
    let shown = grant_cli(&session, &["grant", "show", &other, "--json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&shown)["state"], "pending");
}

pub(crate) fn tests() -> Vec<Trial> {
    vec![
        crate::asynchronous(
            "loopback::the_cli_s_wait_takes_only_its_own_grant_s_link",
            the_cli_s_wait_takes_only_its_own_grant_s_link,
        ),
        crate::asynchronous(
            "loopback::the_cli_completes_a_grant_through_its_loopback_listener",
            the_cli_completes_a_grant_through_its_loopback_listener,
        ),
        crate::asynchronous(
            "loopback::the_cli_cancels_at_the_wallet_a_grant_nobody_approved_in_time",
            the_cli_cancels_at_the_wallet_a_grant_nobody_approved_in_time,
        ),
        crate::asynchronous(
            "loopback::the_cli_pays_across_currencies_and_manages_the_grant",
            the_cli_pays_across_currencies_and_manages_the_grant,
        ),
        crate::asynchronous(
            "loopback::the_cli_reads_amounts_as_people_write_them_and_refuses_the_rest_in_words",
            the_cli_reads_amounts_as_people_write_them_and_refuses_the_rest_in_words,
        ),
        crate::asynchronous(
            "loopback::an_explicit_finish_wins_over_the_profiles_loopback_setting",
            an_explicit_finish_wins_over_the_profiles_loopback_setting,
        ),
        crate::asynchronous(
            "loopback::the_cli_pays_with_a_grant_approved_earlier_and_refuses_one_that_cannot",
            the_cli_pays_with_a_grant_approved_earlier_and_refuses_one_that_cannot,
        ),
        crate::asynchronous(
            "loopback::the_cli_trusts_a_private_ca_only_when_told_and_says_so_without_it",
            the_cli_trusts_a_private_ca_only_when_told_and_says_so_without_it,
        ),
        crate::asynchronous(
            "loopback::prove_confirms_ownership_through_the_loopback_finish",
            prove_confirms_ownership_through_the_loopback_finish,
        ),
    ]
}
