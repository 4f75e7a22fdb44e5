//! Soak: hundreds of approvals and payments through the engine, with a fake
//! desktop and the sandbox wallet over loopback HTTP, as the app runs them
//! for months. Every 25 flows it samples the process's open file
//! descriptors (`/proc/self/fd`), threads (`/proc/self/status` Threads) and
//! resident memory (VmRSS), prints them, and fails if descriptors or
//! threads grew beyond a small constant from the first sample (a leaked
//! connection, listener, database handle or task shows as steady growth).
//!
//! ```sh
//! cargo bench -p consent-desk-engine --bench soak [-- FLOWS]
//! ```
//!
//! FLOWS is 400 unless given: half grants approved in the consent window,
//! half payments (quote, confirm, approve, sent and settled).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use consent_desk_engine::sandbox::SandboxWallet;
use consent_desk_engine::views::{
    ApproveIn, FlowProgress, GrantForm, GrantStateView, PayForm, PaymentProgress,
};
use consent_desk_engine::{Completed, Desktop, Engine, PaymentState};
use consent_desk_identity::{Folders, MemoryBackend, SecretBackend};
use consent_desk_sandbox::Sandbox;
use url::Url;

/// How much descriptors and threads may grow past the first sample (taken
/// after warm-up flows: pools, the runtime's blocking threads). A leak of
/// one per flow would exceed it within the run.
const FD_SLACK: usize = 16;
const THREAD_SLACK: usize = 8;
const SAMPLE_EVERY: usize = 25;

/// A desktop that keeps the last consent page it was asked to open.
struct FakeDesktop {
    opened: Mutex<Option<(String, Url)>>,
}

impl Desktop for FakeDesktop {
    fn flow_progress(&self, _progress: FlowProgress) {}

    fn payment_progress(&self, _progress: PaymentProgress) {}

    fn open_consent(
        &self,
        grant_id: &str,
        redirect: &Url,
        _finish_uri: &str,
    ) -> Result<(), String> {
        *self.opened.lock().unwrap() = Some((grant_id.to_owned(), redirect.clone()));
        Ok(())
    }

    fn open_in_browser(&self, _url: &Url) {}

    fn close_consent(&self, _grant_id: &str) -> bool {
        true
    }
}

impl FakeDesktop {
    fn take(&self) -> (String, Url) {
        self.opened
            .lock()
            .unwrap()
            .take()
            .expect("the engine opened a consent window")
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    flows: usize,
    fds: usize,
    threads: usize,
    rss_kib: usize,
}

fn sample(flows: usize) -> Sample {
    let fds = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count();
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Sample {
        flows,
        fds,
        threads: field("Threads:"),
        rss_kib: field("VmRSS:"),
    }
}

/// The consent page, Approve, and the finish link the wallet sends back (a
/// cookie-keeping client following redirects by hand, as in the tests).
async fn approve(http: &reqwest::Client, redirect: &Url) -> String {
    let location =
        |response: &reqwest::Response| response.headers()["location"].to_str().unwrap().to_owned();
    let start = http.get(redirect.clone()).send().await.unwrap();
    let page = redirect.join(&location(&start)).unwrap();
    let chosen = http
        .post(page.clone())
        .form(&[("choice", "accept")])
        .send()
        .await
        .unwrap();
    let step = page.join(&location(&chosen)).unwrap();
    location(&http.get(step).send().await.unwrap())
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn soak(flows: usize) {
    let data = tempfile::tempdir().expect("a temp dir");
    let running = Sandbox::builder(data.path().join("sandbox"))
        .port(0)
        .wait_seconds(0)
        .start()
        .await
        .expect("the sandbox starts");
    let base = running.base_url().clone();
    let desktop = Arc::new(FakeDesktop {
        opened: Mutex::new(None),
    });
    let engine = Engine::open_with_secrets(
        Folders::in_dir(data.path()),
        SandboxWallet::from(running),
        Arc::new(MemoryBackend::default()) as Arc<dyn SecretBackend>,
        Arc::clone(&desktop) as Arc<dyn Desktop>,
    );
    engine
        .keys()
        .identities
        .use_profile(consent_desk_identity::SANDBOX_PROFILE)
        .expect("the sandbox profile");
    let wallet = |name: &str| base.join(name).unwrap().to_string();
    let grant_form: GrantForm = serde_json::from_value(serde_json::json!({
        "wallet": wallet("alice"), "limit": "debit", "amount": "1.00",
        "interval": null, "actions": [], "approveIn": "window",
    }))
    .unwrap();
    let pay_form: PayForm = serde_json::from_value(serde_json::json!({
        "from": wallet("alice"), "to": wallet("bob"), "amount": "0.10",
        "amountKind": "send", "note": "soak",
    }))
    .unwrap();

    // Warm-up: connection pools, the runtime's blocking threads, SQLite.
    let warm_up = 10;
    let mut samples = Vec::new();
    let started = Instant::now();
    for n in 0..warm_up + flows {
        if n == warm_up {
            samples.push(sample(0));
        }
        // A new browser each time, as each consent is a page of its own.
        let http = browser();
        if n % 2 == 0 {
            let pending = engine.request(&grant_form).await.expect("a grant request");
            assert_eq!(pending.state, GrantStateView::Pending);
            let (grant, page) = desktop.take();
            let link = approve(&http, &page).await;
            // The consent window hands over its own grant's link.
            let finished = engine
                .finish_for(Some(&grant), &link)
                .await
                .expect("the finish");
            assert!(
                matches!(&finished.completed, Completed::Approved(record) if record.id == grant),
                "{finished:?}"
            );
        } else {
            let quoted = engine.quote(&pay_form).await.expect("a quote");
            engine
                .confirm(&quoted.id, ApproveIn::Window)
                .await
                .expect("confirmed");
            let (grant, page) = desktop.take();
            let link = approve(&http, &page).await;
            let finished = engine
                .finish_for(Some(&grant), &link)
                .await
                .expect("the finish");
            let sent = finished.payment.expect("the payment was sent");
            assert_eq!(sent.payment.state, PaymentState::Completed, "{sent:?}");
        }
        let done = n + 1 - warm_up.min(n + 1);
        if n >= warm_up && done % SAMPLE_EVERY == 0 {
            samples.push(sample(done));
        }
    }
    let took = started.elapsed();

    println!("soak: {flows} flows after {warm_up} warm-up ({} grants, {} payments) in {:.1} s ({:.1} ms a flow)",
        flows.div_ceil(2), flows / 2, took.as_secs_f64(), took.as_secs_f64() * 1e3 / (warm_up + flows) as f64);
    println!(
        "{:>6} {:>5} {:>8} {:>9}",
        "flows", "fds", "threads", "RSS KiB"
    );
    for s in &samples {
        println!(
            "{:>6} {:>5} {:>8} {:>9}",
            s.flows, s.fds, s.threads, s.rss_kib
        );
    }
    let first = samples[0];
    let last = *samples.last().unwrap();
    let max_fds = samples.iter().map(|s| s.fds).max().unwrap();
    let max_threads = samples.iter().map(|s| s.threads).max().unwrap();
    println!(
        "growth: fds {:+} (max {max_fds}), threads {:+} (max {max_threads}), RSS {:+} KiB",
        last.fds as i64 - first.fds as i64,
        last.threads as i64 - first.threads as i64,
        last.rss_kib as i64 - first.rss_kib as i64
    );
    assert!(
        max_fds <= first.fds + FD_SLACK,
        "file descriptors grew from {} to {max_fds}: something is not closed",
        first.fds
    );
    assert!(
        max_threads <= first.threads + THREAD_SLACK,
        "threads grew from {} to {max_threads}: something is not joined",
        first.threads
    );
}

fn main() {
    let flows: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(400);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(soak(flows));
}
