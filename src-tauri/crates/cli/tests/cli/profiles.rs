//! The `profile` and `key` commands as a QA script runs them: the command
//! line in a process of its own, a private settings folder (and home), the
//! sandbox wallet over loopback, keys in passphrase files (the keyring paths
//! are in `keyring.rs`).

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use consent_desk_sandbox::{RunningSandbox, Sandbox};
use libtest_mimic::Trial;
use serde_json::Value;

struct Cli {
    config: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self {
            config: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = crate::consent_desk();
        command
            .args(args)
            .env("CONSENT_DESK_CONFIG_DIR", self.config.path())
            // The user's folders (no --data-dir) in a home of the test's own.
            .env("HOME", self.config.path().join("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("CONSENT_DESK_DATA_DIR")
            .env("PW", "correct horse battery")
            .env("WRONG", "not the passphrase")
            // No keyring in these tests: a bus that does not exist fails fast.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "{args:?} printed no JSON: {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

async fn admin(sandbox: &RunningSandbox, path: &str, body: Value) {
    use consent_desk_protocol::Transport as _;
    let request =
        consent_desk_protocol::http::Request::post(sandbox.base_url().join(path).unwrap().as_str())
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .unwrap();
    let status = reqwest::Client::new().send(request).await.unwrap().status();
    assert_eq!(status, 201, "POST {path}");
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

// Multi-threaded: the sandbox must keep serving while the test waits on the
// command synchronously.
async fn a_profile_from_add_to_registered_to_removed() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(dir.path()).start().await.unwrap();
    admin(
        &sandbox,
        "admin/wallet-addresses",
        serde_json::json!({"name": "qa", "publicName": "QA team"}),
    )
    .await;
    let wallet = sandbox.wallet_address("qa").to_string();
    let cli = Cli::new();

    let empty = cli.json(&["profile", "list", "--json"]);
    assert_eq!(empty["profiles"], serde_json::json!([]));
    assert_eq!(empty["active"], Value::Null);

    let key_file = cli.config.path().join("qa.key.json");
    let added = cli.json(&[
        "profile",
        "add",
        "--name",
        "QA wallet",
        "--wallet",
        &wallet,
        "--allow-http-loopback",
        "--key-id",
        "qa-key-1",
        "--key-file",
        key_file.to_str().unwrap(),
        "--passphrase-env",
        "PW",
        "--json",
    ]);
    assert_eq!(added["id"], "qa-wallet");
    assert_eq!(added["keyId"], "qa-key-1");
    assert_eq!(added["publicJwk"]["kid"], "qa-key-1");
    assert_eq!(added["key"]["store"], "encrypted-file");
    let file = std::fs::read_to_string(&key_file).unwrap();
    assert!(!file.contains("PRIVATE KEY"));

    // Human output names the next step.
    let text = String::from_utf8(cli.run(&["profile", "list"]).stdout).unwrap();
    assert!(text.starts_with("* qa-wallet"), "{text}");

    let jwk = cli.json(&["key", "jwk", "--profile", "QA wallet"]);
    assert_eq!(jwk, added["publicJwk"]);
    let jwks = cli.json(&["key", "jwk", "--profile", "qa-wallet", "--jwks"]);
    assert_eq!(jwks["keys"][0], jwk);

    // Not registered yet: exit 3 and a reason.
    let check = cli.run(&["key", "check", "--profile", "qa-wallet"]);
    assert_eq!(check.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&check.stdout).contains("qa-key-1"));
    admin(&sandbox, "admin/wallet-addresses/qa/keys", jwk.clone()).await;
    let registered = cli.json(&["key", "check", "--profile", "qa-wallet", "--json"]);
    assert_eq!(registered["state"], "registered");

    // A new key (the passphrase is needed and checked) is no longer registered.
    let wrong = cli.run(&[
        "key",
        "generate",
        "--profile",
        "qa-wallet",
        "--passphrase-env",
        "WRONG",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    let fresh = cli.json(&[
        "key",
        "generate",
        "--profile",
        "qa-wallet",
        "--passphrase-env",
        "PW",
        "--json",
    ]);
    assert_ne!(fresh["x"], jwk["x"]);
    assert_eq!(
        cli.run(&["key", "check", "--profile", "qa-wallet"])
            .status
            .code(),
        Some(3)
    );

    let shown = cli.json(&["profile", "show", "qa-wallet", "--json"]);
    assert_eq!(shown["publicJwk"], fresh);
    let removed = cli.json(&["profile", "remove", "qa-wallet", "--json"]);
    assert_eq!(removed["id"], "qa-wallet");
    assert!(!key_file.exists(), "the key goes with the profile");
    assert_eq!(
        cli.json(&["profile", "list", "--json"])["profiles"],
        serde_json::json!([])
    );
}

// Multi-threaded: the sandbox must keep serving while the test waits on the
// command synchronously.
async fn errors_go_to_stderr_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(dir.path()).start().await.unwrap();
    admin(
        &sandbox,
        "admin/wallet-addresses",
        serde_json::json!({"name": "nameless"}),
    )
    .await;
    let cli = Cli::new();

    let usage = cli.run(&["profile", "frobnicate"]);
    assert_eq!(usage.status.code(), Some(2));

    let unknown = cli.run(&["profile", "show", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("there is no profile `nobody`"),
        "{}",
        stderr(&unknown)
    );
    assert!(unknown.stdout.is_empty());

    let nameless = cli.run(&[
        "profile",
        "add",
        "--name",
        "N",
        "--wallet",
        sandbox.wallet_address("nameless").as_str(),
        "--allow-http-loopback",
        "--key-file",
        "/tmp/unused.json",
        "--passphrase-env",
        "PW",
    ]);
    assert_eq!(nameless.status.code(), Some(1));
    assert!(
        stderr(&nameless).contains("public name"),
        "{}",
        stderr(&nameless)
    );

    let plain = cli.run(&[
        "profile",
        "add",
        "--name",
        "P",
        "--wallet",
        sandbox.wallet_address("alice").as_str(),
    ]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(stderr(&plain).contains("plain http"), "{}", stderr(&plain));

    // No keyring here: the message says so and offers the passphrase file.
    let no_keyring = cli.run(&[
        "profile",
        "add",
        "--name",
        "K",
        "--wallet",
        sandbox.wallet_address("alice").as_str(),
        "--allow-http-loopback",
    ]);
    assert_eq!(no_keyring.status.code(), Some(1));
    let message = stderr(&no_keyring);
    assert!(
        message.contains("keyring") && message.contains("passphrase"),
        "{message}"
    );
    assert_eq!(
        cli.json(&["profile", "list", "--json"])["profiles"],
        serde_json::json!([]),
        "nothing half-added"
    );
}

// Multi-threaded: the sandbox must keep serving while the test waits on the
// command synchronously.
fn use_switches_and_import_replaces_a_key() {
    let cli = Cli::new();
    let add = |name: &str, file: &str| {
        let path = cli.config.path().join(file);
        cli.json(&[
            "profile",
            "add",
            "--name",
            name,
            "--wallet",
            "https://wallet.example/me",
            "--no-check",
            "--key-file",
            path.to_str().unwrap(),
            "--passphrase-env",
            "PW",
            "--json",
        ])
    };
    add("First", "first.json");
    add("Second", "second.json");
    assert_eq!(
        cli.json(&["profile", "list", "--json"])["active"],
        "first",
        "the first one is in use"
    );
    let used = cli.json(&["profile", "use", "second", "--json"]);
    assert_eq!(used["id"], "second");
    assert_eq!(cli.json(&["profile", "list", "--json"])["active"], "second");

    // `key import` from a file, with the key id the wallet shows.
    let key = consent_desk_protocol::SigningKey::generate();
    let pem = cli.config.path().join("wallet-key.pem");
    std::fs::write(&pem, key.to_pkcs8_pem().as_bytes()).unwrap();
    let jwk = cli.json(&[
        "key",
        "import",
        "--profile",
        "second",
        "--file",
        pem.to_str().unwrap(),
        "--key-id",
        "wallet-kid",
        "--passphrase-env",
        "PW",
        "--json",
    ]);
    let expected = key.public_jwk(&consent_desk_protocol::KeyId::new("wallet-kid").unwrap());
    assert_eq!(jwk, serde_json::to_value(expected).unwrap());
    let verified = cli.json(&[
        "key",
        "verify",
        "--profile",
        "second",
        "--passphrase-env",
        "PW",
        "--json",
    ]);
    assert_eq!(verified["matches"], true);
    // A file that is not a key is refused and the profile keeps its key.
    std::fs::write(&pem, "hello").unwrap();
    let refused = cli.run(&[
        "key",
        "import",
        "--profile",
        "second",
        "--file",
        pem.to_str().unwrap(),
        "--passphrase-env",
        "PW",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(cli.json(&["key", "jwk", "--profile", "second"]), jwk);
}

async fn keys_import_from_stdin() {
    let cli = Cli::new();
    let key = consent_desk_protocol::SigningKey::generate();
    let key_file = cli.config.path().join("imported.key.json");
    let mut child = cli
        .command(&[
            "profile",
            "add",
            "--name",
            "Imported",
            "--wallet",
            "https://wallet.example/me",
            "--no-check",
            "--import",
            "-",
            "--key-id",
            "from-wallet",
            "--key-file",
            key_file.to_str().unwrap(),
            "--passphrase-env",
            "PW",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key.to_pkcs8_pem().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let added: Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = key.public_jwk(&consent_desk_protocol::KeyId::new("from-wallet").unwrap());
    assert_eq!(added["publicJwk"], serde_json::to_value(expected).unwrap());
}

fn profile_add_reads_payment_pointers_and_the_client_form() {
    let cli = Cli::new();
    let add = |name: &str, wallet: &str, extra: &[&str]| {
        let key_file = cli.config.path().join(format!("{name}.key.json"));
        let mut args = vec![
            "profile",
            "add",
            "--name",
            name,
            "--wallet",
            wallet,
            "--no-check",
            "--key-file",
            key_file.to_str().unwrap(),
            "--passphrase-env",
            "PW",
            "--json",
        ];
        args.extend_from_slice(extra);
        cli.json(&args)
    };
    let plain = add("plain", "$wallet.example/alice", &[]);
    assert_eq!(plain["walletAddress"], "https://wallet.example/alice");
    assert_eq!(
        plain["clientForm"], "string",
        "the default every server accepts"
    );
    let object = add("object", "$wallet.example", &["--client-form", "object"]);
    assert_eq!(
        object["walletAddress"],
        "https://wallet.example/.well-known/pay"
    );
    assert_eq!(object["clientForm"], "object");
    let shown = String::from_utf8(cli.run(&["profile", "show", "object"]).stdout).unwrap();
    assert!(
        shown.contains("client as:      {\"walletAddress\""),
        "{shown}"
    );

    let malformed = cli.run(&[
        "profile",
        "add",
        "--name",
        "bad",
        "--wallet",
        "$",
        "--no-check",
    ]);
    assert_eq!(malformed.status.code(), Some(1), "{}", stderr(&malformed));
    assert!(
        stderr(&malformed).contains("a payment pointer needs a host after `$`"),
        "{}",
        stderr(&malformed)
    );
    let unknown = cli.run(&[
        "profile",
        "add",
        "--name",
        "bad",
        "--wallet",
        "$w.example/a",
        "--client-form",
        "json",
    ]);
    assert_eq!(unknown.status.code(), Some(2), "a usage error");
}

// Multi-threaded: the sandbox must keep serving while the test waits on the
// command synchronously.
async fn profile_add_trusts_a_private_ca_it_was_given_and_refuses_what_is_not_one() {
    let sandbox_dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::builder(sandbox_dir.path())
        .https(true)
        .start()
        .await
        .unwrap();
    let ca = sandbox
        .ca_certificate()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let wallet = sandbox.wallet_address("alice").to_string();
    assert!(wallet.starts_with("https://"), "{wallet}");
    let cli = Cli::new();
    let key_file = cli.config.path().join("qa.key.json");
    let add = |extra: &[&str]| {
        let mut args = vec![
            "profile",
            "add",
            "--name",
            "QA",
            "--wallet",
            &wallet,
            "--passphrase-env",
            "PW",
            "--key-file",
            key_file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        cli.run(&args)
    };

    // Without the CA: the certificate problem, and what to do, in words.
    let untrusted = add(&[]);
    assert_eq!(untrusted.status.code(), Some(1));
    assert!(
        stderr(&untrusted).contains("certificate this computer does not trust")
            && stderr(&untrusted).contains("--ca-cert FILE"),
        "{}",
        stderr(&untrusted)
    );
    // A file that is not a PEM certificate: refused before anything is kept.
    let not_pem = cli.config.path().join("key.txt");
    std::fs::write(
        &not_pem,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let refused = add(&["--ca-cert", not_pem.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--ca-cert: ")
            && stderr(&refused).contains("is not a PEM certificate"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        cli.json(&["profile", "list", "--json"])["profiles"],
        serde_json::json!([])
    );

    // With it: added, the path kept and shown.
    let added = add(&["--ca-cert", &ca, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(added["caCert"], ca.as_str(), "{added}");
    let shown = cli.run(&["profile", "show", "qa"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains(&format!("also trusts:    {ca}")),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    // `key check` reaches the wallet through the kept CA: no key listed yet
    // (exit 3), not a certificate error.
    let checked = cli.run(&["key", "check", "--profile", "qa"]);
    assert_eq!(checked.status.code(), Some(3), "{}", stderr(&checked));
}

/// This file's tests, for `main`.
pub(crate) fn tests() -> Vec<Trial> {
    vec![
        crate::asynchronous(
            "profiles::a_profile_from_add_to_registered_to_removed",
            a_profile_from_add_to_registered_to_removed,
        ),
        crate::asynchronous(
            "profiles::errors_go_to_stderr_with_exit_codes",
            errors_go_to_stderr_with_exit_codes,
        ),
        crate::synchronous(
            "profiles::use_switches_and_import_replaces_a_key",
            use_switches_and_import_replaces_a_key,
        ),
        crate::asynchronous("profiles::keys_import_from_stdin", keys_import_from_stdin),
        crate::synchronous(
            "profiles::profile_add_reads_payment_pointers_and_the_client_form",
            profile_add_reads_payment_pointers_and_the_client_form,
        ),
        crate::asynchronous(
            "profiles::profile_add_trusts_a_private_ca_it_was_given_and_refuses_what_is_not_one",
            profile_add_trusts_a_private_ca_it_was_given_and_refuses_what_is_not_one,
        ),
    ]
}
