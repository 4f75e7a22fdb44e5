//! The grant store with a long history: opening it and reading the first and
//! the last page of grants and payments, with 10,000 of each (or N), and
//! migrating such a store from release 0.1.0.
//!
//! ```sh
//! cargo bench -p consent-desk-engine --bench store [-- N]
//! ```
//!
//! Prints the median and the slowest of 25 runs per step. The rows are
//! written straight into the app's schema (made by `Flows::open`), as a
//! year of use would leave them. First, the migration of a store as release
//! 0.1.0 left one (text problems; 5 runs, each on a fresh copy).

use std::sync::Arc;
use std::time::{Duration, Instant};

use consent_desk_engine::Flows;
use consent_desk_identity::MemoryBackend;

const RUNS: usize = 25;

fn measure(name: &str, mut step: impl FnMut()) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            step();
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<38} median {:>9.3} ms   slowest {:>9.3} ms",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("grants.sqlite3");
    let filled = Instant::now();
    consent_desk_engine::history::fill(&path, count).expect("the history is written");
    println!(
        "{count} grants and {count} payments written in {:.0} ms ({} KiB)",
        filled.elapsed().as_secs_f64() * 1e3,
        std::fs::metadata(&path).map_or(0, |m| m.len() / 1024)
    );

    // Once per store: the typed-records migration over a 0.1.0 store.
    let old = dir.path().join("release-0.1.0.sqlite3");
    consent_desk_engine::history::fill_release_0_1_0(&old, count).expect("the old store");
    let mut times: Vec<Duration> = (0..5)
        .map(|run| {
            let copy = dir.path().join(format!("migrated-{run}.sqlite3"));
            std::fs::copy(&old, &copy).expect("a copy");
            let started = Instant::now();
            let flows = Flows::open(&copy, Arc::new(MemoryBackend::default())).expect("migrates");
            let took = started.elapsed();
            assert_eq!(flows.list().expect("all").len(), count);
            assert!(flows.unreadable_records().expect("none").is_empty());
            took
        })
        .collect();
    times.sort();
    println!(
        "{:<38} median {:>9.3} ms   slowest {:>9.3} ms",
        "migrate a 0.1.0 store (5 runs)",
        times[2].as_secs_f64() * 1e3,
        times[4].as_secs_f64() * 1e3
    );

    measure("open (migrations checked)", || {
        drop(Flows::open(&path, Arc::new(MemoryBackend::default())).expect("opens"));
    });
    let flows = Flows::open(&path, Arc::new(MemoryBackend::default())).expect("opens");
    measure("first page of grants (50)", || {
        assert_eq!(flows.grants_page(50, 0).expect("a page").len(), 50);
    });
    measure("last page of grants (50)", || {
        assert_eq!(flows.grants_page(50, count - 50).expect("a page").len(), 50);
    });
    measure("first page of payments (20)", || {
        assert_eq!(flows.payments(20, 0).expect("a page").len(), 20);
    });
    measure("unfinished payments (start-up resume)", || {
        assert!(flows.unfinished_payments().expect("a list").is_empty());
    });
    measure("payments of one grant (details)", || {
        assert_eq!(
            flows
                .payments_with_grant("grant-004242")
                .expect("a list")
                .len(),
            usize::from(count > 4242)
        );
    });
    measure("every grant at once (the old list)", || {
        assert_eq!(flows.list().expect("all").len(), count);
    });
}
