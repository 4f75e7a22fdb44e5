//! Soak through the GUI: dozens of approvals and payments in the real app,
//! each through the wallet's own page in a consent window that opens and
//! closes, with the app process's open file descriptors, threads and
//! resident memory sampled every few flows (`/proc/<pid>`). Ignored in the
//! normal run (a few minutes):
//!
//! ```sh
//! CONSENT_DESK_GUI_SOAK_FLOWS=40 cargo test -p consent-desk-tests --test e2e soak -- --ignored --nocapture
//! ```
//!
//! The web content runs in WebKit's own processes, not counted here; a
//! window, channel or listener the app fails to let go of shows in its own.

use harness::Desktop;

use crate::consent::ask;
use crate::pay::pay;

const SAMPLE_EVERY: usize = 5;
/// Growth past the first sample (after warm-up flows) that fails the soak:
/// a consent window or connection leaked per flow exceeds it.
const FD_SLACK: usize = 12;
const THREAD_SLACK: usize = 16;

/// The app's open descriptors by what they are ("socket", "pipe",
/// "anon_inode:[eventfd]", a file's path), counted.
fn fd_kinds(pid: u32) -> std::collections::BTreeMap<String, i64> {
    let mut kinds = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let target = std::fs::read_link(entry.path())
            .map(|path| path.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = match target.split_once(':') {
            Some((kind @ ("socket" | "pipe"), _)) => kind.to_owned(),
            _ => target,
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    kinds
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    flows: usize,
    fds: usize,
    threads: usize,
    rss_kib: usize,
}

fn sample(pid: u32, flows: usize) -> Sample {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the app's /proc/<pid>/fd")
        .count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
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

#[tokio::test]
#[ignore = "a soak of a few minutes: run with --ignored"]
async fn dozens_of_approvals_and_payments_leave_the_app_no_bigger() -> harness::Result<()> {
    let flows: usize = std::env::var("CONSENT_DESK_GUI_SOAK_FLOWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let dave = format!("{}dave", wallet.trim_end_matches("consent-desk"));
    let pid = desktop.app_pid()?;
    let warm_up = 4;
    let mut samples = Vec::new();
    let mut kinds_at_start = std::collections::BTreeMap::new();
    let started = std::time::Instant::now();
    for n in 0..warm_up + flows {
        if n == warm_up {
            samples.push(sample(pid, 0));
            kinds_at_start = fd_kinds(pid);
        }
        if n % 2 == 0 {
            ask(&app, false, false).await?;
            app.switch_to_consent_window().await?;
            app.click("consent-approve").await?;
            app.switch_to_main().await?;
            app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
                .await?;
            app.click("flow-home").await?;
        } else {
            app.click("nav-pay").await?;
            pay(&app, &dave, "0.10", false).await?;
            app.click("pay-again").await?;
            app.click("nav-home").await?;
        }
        let done = (n + 1).saturating_sub(warm_up);
        if n >= warm_up && done % SAMPLE_EVERY == 0 {
            samples.push(sample(pid, done));
        }
    }
    let took = started.elapsed();
    println!(
        "GUI soak: {flows} flows after {warm_up} warm-up in {:.0} s ({:.1} s a flow), app pid {pid}",
        took.as_secs_f64(),
        took.as_secs_f64() / (warm_up + flows) as f64
    );
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
    // What grew, by kind, to say where a leak is.
    let mut grown = fd_kinds(pid);
    for (kind, n) in &kinds_at_start {
        *grown.entry(kind.clone()).or_insert(0) -= n;
    }
    grown.retain(|_, n| *n != 0);
    println!("descriptors that grew or shrank, by kind: {grown:?}");
    let first = samples[0];
    let max_fds = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    let max_threads = samples.iter().map(|s| s.threads).max().unwrap_or(0);
    assert!(
        max_fds <= first.fds + FD_SLACK,
        "the app's file descriptors grew from {} to {max_fds}: {grown:?}",
        first.fds
    );
    assert!(
        max_threads <= first.threads + THREAD_SLACK,
        "the app's threads grew from {} to {max_threads}",
        first.threads
    );
    app.close().await
}
