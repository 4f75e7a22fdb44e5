//! First paint with a long history: the time from launching the app until
//! Home lists its grants, with an empty store and with 10,000 grants and
//! 10,000 payments (or N), three launches each, under Xvfb through
//! WebDriver as in the e2e tests. A benchmark, not a test: it prints figures.
//!
//! ```sh
//! npm run build:debug   # or any build of the app, as for the e2e tests
//! cargo bench -p consent-desk-tests --bench first_paint [-- N]
//! ```

use std::time::{Duration, Instant};

use harness::Desktop;

const LAUNCHES: usize = 3;

async fn first_paints(count: usize) -> harness::Result<Vec<Duration>> {
    let desktop = Desktop::start()?;
    // One start makes the sandbox profile and puts it in use.
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    app.find("grants").await?;
    app.close().await?;
    let store = std::path::Path::new(desktop.var("XDG_DATA_HOME"))
        .join(consent_desk_identity::KEYRING_SERVICE)
        .join(consent_desk_engine::GRANTS_FILE);
    consent_desk_engine::history::fill(&store, count).expect("the history is written");

    let mut times = Vec::new();
    for _ in 0..LAUNCHES {
        let started = Instant::now();
        let app = desktop.launch(&[]).await?;
        let shown = if count == 0 {
            "grants-empty"
        } else {
            "grants-list"
        };
        if let Err(error) = app.find(shown).await {
            app.screenshot("first-paint-failed").await?;
            eprintln!("{}", desktop.log());
            return Err(error);
        }
        times.push(started.elapsed());
        if count > 0 {
            let listed = app.find_all("grant-item").await?.len();
            assert_eq!(listed, 50, "one page is shown");
        }
        app.close().await?;
    }
    Ok(times)
}

#[tokio::main]
async fn main() -> harness::Result<()> {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10_000);
    for grants in [0, count] {
        let times = first_paints(grants).await?;
        let ms: Vec<String> = times
            .iter()
            .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
            .collect();
        println!(
            "{grants:>6} grants: launch to listed grants {} ms",
            ms.join(" / ")
        );
    }
    Ok(())
}
