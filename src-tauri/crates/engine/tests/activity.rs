//! The activity log after a real payment against the sandbox wallet: every
//! exchange keeps its headers, bodies and signature with every secret
//! redacted, and an export writes exactly the entries a filter shows.
//! "Every secret" is measured, not listed: the keyring below remembers each
//! value the engine ever put in it (access and continuation tokens, keys),
//! and none of them may be found in the grants file or the export.

use std::sync::{Arc, Mutex};

#[path = "support/browser.rs"]
#[allow(dead_code)]
mod browser;

use consent_desk_engine::sandbox::SandboxWallet;
use consent_desk_engine::views::{
    ActivityKindView, ActivityQuery, ActivityView, ApproveIn, FlowProgress, PaymentProgress,
    PaymentStateView,
};
use consent_desk_engine::{Desktop, Engine, PaymentState, GRANTS_FILE};
use consent_desk_identity::{Folders, KeyringError, MemoryBackend, SecretBackend};
use consent_desk_sandbox::Sandbox;
use url::Url;

/// A keyring that remembers every secret ever stored in it.
#[derive(Default)]
struct Remembering {
    inner: MemoryBackend,
    seen: Mutex<Vec<String>>,
}

impl SecretBackend for Remembering {
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
        self.seen.lock().unwrap().push(secret.to_owned());
        self.inner.set(service, account, secret)
    }

    fn get(
        &self,
        service: &str,
        account: &str,
    ) -> Result<zeroize::Zeroizing<String>, KeyringError> {
        self.inner.get(service, account)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError> {
        self.inner.delete(service, account)
    }
}

/// A desktop that remembers the consent pages it was asked to open.
#[derive(Default)]
struct Quiet {
    opened: Mutex<Vec<(String, Url)>>,
}

impl Desktop for Quiet {
    fn flow_progress(&self, _: FlowProgress) {}

    fn payment_progress(&self, _: PaymentProgress) {}

    fn open_consent(&self, grant_id: &str, redirect: &Url, _: &str) -> Result<(), String> {
        self.opened
            .lock()
            .unwrap()
            .push((grant_id.to_owned(), redirect.clone()));
        Ok(())
    }

    fn open_in_browser(&self, _: &Url) {}

    fn close_consent(&self, _: &str) -> bool {
        true
    }
}

fn query(text: &str, failures_only: bool, kind: Option<ActivityKindView>) -> ActivityQuery {
    let mut query: ActivityQuery = serde_json::from_value(serde_json::json!({
        "text": text, "failuresOnly": failures_only,
    }))
    .unwrap();
    query.kind = kind;
    query
}

/// Every file of the grants store (the database and its write-ahead log).
fn store_bytes(data: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in walk(data) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(GRANTS_FILE) && !entry.starts_with(data.join("sandbox")) {
            bytes.extend(std::fs::read(&entry).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "the grants store was found");
    bytes
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn every_exchange_is_kept_with_its_secrets_redacted_and_exports_exactly_the_filter() {
    let data = tempfile::tempdir().unwrap();
    let running = Sandbox::builder(data.path().join("sandbox"))
        .port(0)
        .wait_seconds(0)
        .start()
        .await
        .unwrap();
    let base = running.base_url().clone();
    let keyring = Arc::new(Remembering::default());
    let desktop = Arc::new(Quiet::default());
    let engine = Engine::open_with_secrets(
        Folders::in_dir(data.path()),
        SandboxWallet::from(running),
        Arc::clone(&keyring) as Arc<dyn SecretBackend>,
        Arc::clone(&desktop) as Arc<dyn Desktop>,
    );
    engine
        .keys()
        .identities
        .use_profile(consent_desk_identity::SANDBOX_PROFILE)
        .unwrap();
    let form = serde_json::from_value(serde_json::json!({
        "from": base.join("alice").unwrap(), "to": base.join("bob").unwrap(),
        "amount": "2.00", "amountKind": "send", "note": "",
    }))
    .unwrap();
    let quoted = engine.quote(&form).await.unwrap();
    assert_eq!(quoted.state, PaymentStateView::Quoted);
    engine.confirm(&quoted.id, ApproveIn::Window).await.unwrap();
    let (grant, page) = desktop.opened.lock().unwrap()[0].clone();
    let link = browser::approve(page.as_str()).await;
    // As the consent window hands its navigation over.
    let finished = engine.finish_for(Some(&grant), &link).await.unwrap();
    assert_eq!(
        finished.payment.expect("sent").payment.state,
        PaymentState::Completed
    );
    let interact_ref = Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "interact_ref")
        .map(|(_, value)| value.into_owned())
        .expect("the link carries an interaction reference");

    let all = engine.activity(&query("", false, None), 1000, 0).unwrap();
    let secrets: Vec<String> = keyring.seen.lock().unwrap().clone();
    assert!(
        secrets.len() >= 3,
        "access and continuation tokens were stored: {}",
        secrets.len()
    );

    // What a row shows: headers and bodies both ways, the signature read.
    let continued = all
        .iter()
        .find(|entry| entry.operation == "post-continue")
        .expect("a continuation");
    let sent = continued.request.as_ref().expect("its request");
    let authorization = sent
        .headers
        .iter()
        .find(|header| header.name == "authorization")
        .expect("the continuation token went as Authorization");
    assert_eq!(authorization.value, "GNAP (redacted)");
    assert!(
        sent.body
            .as_deref()
            .unwrap()
            .contains(r#""interact_ref": "(redacted)""#),
        "{sent:?}"
    );
    let answer = continued.response.as_ref().expect("its answer");
    assert!(
        answer
            .body
            .as_deref()
            .unwrap()
            .contains(r#""value": "(redacted)""#),
        "the new access token's value: {answer:?}"
    );
    let signature = continued.signature.as_ref().expect("signed");
    for component in ["@method", "@target-uri", "authorization"] {
        assert!(
            signature.components.iter().any(|c| c == component),
            "{component} in {signature:?}"
        );
    }
    assert!(signature.keyid.is_some() && signature.created.is_some());
    let wallet = all
        .iter()
        .find(|entry| entry.operation == "get-wallet-address")
        .expect("a wallet address read");
    assert!(wallet.signature.is_none(), "public, unsigned");
    assert!(wallet.response.as_ref().unwrap().body.is_some());
    let finish = all
        .iter()
        .find(|entry| entry.operation == "finish")
        .expect("the finish link");
    assert_eq!(finish.hash_verified, Some(true));
    let shown_link = finish.link.as_deref().unwrap();
    assert!(shown_link.contains("hash="), "{shown_link}");
    assert!(!shown_link.contains(&interact_ref), "{shown_link}");
    assert!(
        shown_link.contains("interact_ref=(redacted)"),
        "{shown_link}"
    );
    // The rest of the link as it came, not decoded and encoded again.
    assert_eq!(
        consent_desk_engine::activity::shown_link(
            "dev.consentdesk:/finish/g?hash=a%2Bb%3D&interact_ref=r1&x=(y)"
        ),
        "dev.consentdesk:/finish/g?hash=a%2Bb%3D&interact_ref=(redacted)&x=(y)"
    );
    assert_eq!(
        consent_desk_engine::activity::shown_link("dev.consentdesk:/finish/g?interact%5Fref=r1"),
        "dev.consentdesk:/finish/g?interact%5Fref=(redacted)"
    );

    // No secret in the store's files, nor in an export.
    let stored = store_bytes(data.path());
    let exported = data.path().join("export.jsonl");
    let written = engine
        .export_activity(&query("", false, None), &exported)
        .unwrap();
    assert_eq!(written.entries as usize, all.len());
    let text = std::fs::read(&exported).unwrap();
    for secret in secrets.iter().chain([&interact_ref]) {
        assert!(!contains(&stored, secret), "a secret in the grants store");
        assert!(!contains(&text, secret), "a secret in the export");
    }

    // An export is exactly what the screen shows for its filter, oldest
    // first, every page.
    for (text, failures_only, kind) in [
        ("", false, Some(ActivityKindView::Finish)),
        ("", false, Some(ActivityKindView::Request)),
        ("quote", false, None),
        ("", true, None),
    ] {
        let query = query(text, failures_only, kind);
        let mut shown: Vec<i64> = engine
            .activity(&query, 1000, 0)
            .unwrap()
            .iter()
            .map(|entry| entry.id)
            .collect();
        shown.reverse();
        let file = data.path().join("filtered.jsonl");
        let export = engine.export_activity(&query, &file).unwrap();
        let ids: Vec<i64> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(|line| {
                serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, shown, "{text:?} {failures_only} {kind:?}");
        assert_eq!(export.entries as usize, shown.len());
    }
    let finishes: Vec<ActivityView> = engine
        .activity(&query("", false, Some(ActivityKindView::Finish)), 1000, 0)
        .unwrap();
    assert!(!finishes.is_empty() && finishes.iter().all(|e| e.kind == "finish"));
}
