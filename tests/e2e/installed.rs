//! The app as a package installs it: `/usr/bin/consent-desk`, its desktop
//! entry and scheme handler in `/usr/share/applications`. Run by the
//! installed-package stage (`npm run test:installed`, `.ci/installed`) after
//! it installs the `.deb`:
//!
//! ```text
//! CONSENT_DESK_BIN=/usr/bin/consent-desk cargo test -p consent-desk-tests --test e2e -- --ignored installed::
//! ```
//!
//! Links are opened with `xdg-open`, as a browser hands them over, so they
//! reach the app only through the package's registration: the app started
//! from `/usr/bin` must not register itself per user.

use std::{
    path::Path,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use harness::{app_binary, balances, Desktop, OutsideWallet};

use crate::consent::{ask, consent_elsewhere, grants, pending_consent_url};

const INSTALLED: &str = "/usr/bin/consent-desk";
const LINK: &str = "dev.consentdesk:/finish/installed?hash=c2lnbmVk&interact_ref=5c2d";

/// These tests are about the installed package; run against a build tree
/// they would prove nothing, so they refuse instead of passing.
fn require_installed() {
    assert_eq!(
        app_binary(),
        Path::new(INSTALLED),
        "the installed-package tests run against {INSTALLED}: install the .deb and set \
         CONSENT_DESK_BIN={INSTALLED} (`npm run test:installed` does both)"
    );
    assert!(
        Path::new(INSTALLED).is_file(),
        "{INSTALLED} is missing: install the .deb first (`npm run test:installed` builds and installs it)"
    );
}

/// `xdg-open url` in the session, as a browser handing a link to the OS
/// would, with no XDG_DATA_DIRS of its own: it finds the handler through the
/// system's `/usr/share/applications`. xdg-open runs the handler in the
/// foreground, so it returns only when that `consent-desk` exits: at once
/// when it hands the link to a running instance, or when the app it started
/// quits. The caller decides how long to wait.
fn xdg_open(desktop: &Desktop, url: &str) -> Child {
    let log = std::fs::File::create(desktop.home().join("xdg-open.log")).expect("a log file");
    programs::command("xdg-open")
        .arg(url)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(desktop.env().iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("a log file")))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|error| panic!("{}", programs::not_started("xdg-open", error)))
}

/// Waits until `child` exits successfully (up to 30 s).
fn wait_success(desktop: &Desktop, mut child: Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            let log =
                std::fs::read_to_string(desktop.home().join("xdg-open.log")).unwrap_or_default();
            assert!(status.success(), "{what} failed ({status}): {log}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not return within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `gdbus call` on the session's bus daemon.
fn bus(desktop: &Desktop, method: &str, args: &[&str]) -> String {
    let output = programs::command("gdbus")
        .args(["call", "--session", "--dest", "org.freedesktop.DBus"])
        .args(["--object-path", "/org/freedesktop/DBus", "--method", method])
        .args(args)
        .envs(desktop.env().iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|error| panic!("{}", programs::not_started("gdbus", error)));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The process id of the Consent Desk instance on the session's bus (the
/// single-instance plugin owns a name there), if one runs.
fn running_instance(desktop: &Desktop) -> Option<u32> {
    let names = bus(desktop, "org.freedesktop.DBus.ListNames", &[]);
    let name = names
        .split('\'')
        .find(|name| name.to_lowercase().contains("consentdesk"))?
        .to_owned();
    // `(uint32 12345,)`
    bus(
        desktop,
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        &[&name],
    )
    .split_whitespace()
    .nth(1)?
    .trim_end_matches([',', ')'])
    .parse()
    .ok()
}

/// Quits the instance a link started (no WebDriver session owns it), as a
/// session ending would, and waits until it is gone from the bus.
fn quit_instance(desktop: &Desktop) {
    let pid = running_instance(desktop).expect("a Consent Desk instance runs");
    let sent = programs::command("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap_or_else(|error| panic!("{}", programs::not_started("kill", error)));
    assert!(sent.success(), "kill -TERM {pid} failed");
    wait_until_gone(desktop);
}

/// Waits until no Consent Desk instance is on the bus.
fn wait_until_gone(desktop: &Desktop) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(pid) = running_instance(desktop) {
        assert!(
            Instant::now() < deadline,
            "Consent Desk (pid {pid}) did not quit within 20 s of its session ending"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The app relied on the package's registration: it wrote no handler of its
/// own for the user (no desktop entry, no default in mimeapps.list).
fn no_per_user_handler(desktop: &Desktop) {
    let applications = Path::new(desktop.var("XDG_DATA_HOME")).join("applications");
    if let Ok(entries) = std::fs::read_dir(&applications) {
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(
                !text.contains("dev.consentdesk"),
                "the installed app registered itself per user in {}: {text}",
                entry.path().display()
            );
        }
    }
    let mimeapps = Path::new(desktop.var("XDG_CONFIG_HOME")).join("mimeapps.list");
    let defaults = std::fs::read_to_string(&mimeapps).unwrap_or_default();
    assert!(
        !defaults.contains("x-scheme-handler/dev.consentdesk"),
        "the installed app made itself the user's default handler in {}: {defaults}",
        mimeapps.display()
    );
}

/// Each grant's id and state, in the order listed.
fn ids_and_states(grants: &[serde_json::Value]) -> Vec<(String, String)> {
    grants
        .iter()
        .map(|g| (g["id"].to_string(), g["state"].to_string()))
        .collect()
}

#[tokio::test]
#[ignore = "needs the installed .deb: run by `npm run test:installed`"]
async fn the_installed_app_approves_pays_and_keeps_it_all_after_a_restart() -> harness::Result<()> {
    require_installed();
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;

    // First run: the sandbox wallet.
    app.click("welcome-sandbox").await?;
    app.find("profile-card").await?;
    let wallet = app.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();

    // An approval in the consent window.
    ask(&app, false, false).await?;
    app.switch_to_consent_window().await?;
    let amount = app.text("consent-amount").await?;
    assert!(amount.contains("$13.20"), "{amount}");
    app.click("consent-approve").await?;
    app.switch_to_main().await?;
    app.wait_for_attr("flow-result", "data-result", |r| r == "approved")
        .await?;
    app.wait_for_consent_windows_closed().await?;
    app.click("flow-home").await?;

    // A payment, approved in the wallet's window, settled.
    let before = balances(&base).await;
    app.click("nav-pay").await?;
    crate::pay::pay(&app, &format!("{base}dave"), "12.50", false).await?;
    let paid = balances(&base).await;
    assert_eq!(paid["alice"], before["alice"] - 1250);
    assert_eq!(paid["dave"], before["dave"] + 1250);
    let stored = grants(&app).await;
    app.close().await?;

    // A restart keeps everything: no first-run screen, the same grants, the
    // payment, the sandbox wallet's balances.
    let again = desktop.launch(&[]).await?;
    again.find("profile-card").await?;
    assert!(
        again.find_all("welcome-sandbox").await?.is_empty(),
        "the first-run choice came back after a restart"
    );
    let wallet = again.text("profile-active-wallet").await?;
    let base = wallet.trim_end_matches("consent-desk").to_owned();
    let kept = grants(&again).await;
    assert_eq!(
        ids_and_states(&kept),
        ids_and_states(&stored),
        "grants before the restart: {stored:?}"
    );
    assert_eq!(
        stored.len(),
        2,
        "the approval and the payment's: {stored:?}"
    );
    again.click("nav-pay").await?;
    assert_eq!(
        again
            .attr("pay-history-item", "data-state")
            .await?
            .as_deref(),
        Some("completed")
    );
    assert_eq!(balances(&base).await, paid);
    no_per_user_handler(&desktop);
    again.close().await
}

#[tokio::test]
#[ignore = "needs the installed .deb: run by `npm run test:installed`"]
async fn a_link_opened_with_xdg_open_reaches_the_running_installed_app() -> harness::Result<()> {
    require_installed();
    let desktop = Desktop::start()?;
    let app = desktop.launch(&[]).await?;
    app.click("welcome-sandbox").await?;
    app.find("home-pay").await?;

    // xdg-open finds the package's desktop entry, starts a second
    // consent-desk with the link, and single-instance hands it over.
    wait_success(&desktop, xdg_open(&desktop, LINK), "xdg-open");
    let item = crate::deep_link::refused_link_shown(&app, LINK).await?;
    assert!(
        item.contains("handed over by your system"),
        "link not marked as forwarded: {item:?}"
    );
    assert_eq!(app.windows().await?.len(), 1, "still one app, one window");
    no_per_user_handler(&desktop);
    app.close().await
}

#[tokio::test]
#[ignore = "needs the installed .deb: run by `npm run test:installed`"]
async fn a_link_opened_with_xdg_open_starts_the_installed_app_and_finishes_the_grant(
) -> harness::Result<()> {
    require_installed();
    let desktop = Desktop::start()?;
    // A wallet that outlives the app, and a profile for it.
    let wallet = OutsideWallet::start();
    wallet.connect(&desktop, &[]).await;

    // Ask for a grant to approve in the browser, then quit.
    let app = desktop.launch(&[]).await?;
    app.click("home-approve").await?;
    app.type_into("approve-wallet", &format!("{}alice", wallet.base))
        .await?;
    app.type_into("approve-amount", "13.20").await?;
    app.click("approve-in-browser").await?;
    app.wait_for_text("approve-summary", |text| text.contains("$13.20"))
        .await?;
    app.click("approve-submit").await?;
    let consent_url = pending_consent_url(&app).await;
    app.close().await?;

    // Approved in the browser while the app is closed; the browser hands
    // the finish link to the OS, which starts the installed app with it.
    let finish = consent_elsewhere(&consent_url).await;
    assert!(finish.starts_with("dev.consentdesk:/finish/"), "{finish}");
    // Ending the session quits the app, which takes a moment to let go of
    // its name on the bus: the link must find it gone, not quitting.
    wait_until_gone(&desktop);
    let opener = xdg_open(&desktop, &finish);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let records = desktop.command(&["grant", "list", "--json"]);
        if records[0]["state"] == "approved" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app xdg-open started did not finish the grant: {records}; xdg-open said: {}",
            std::fs::read_to_string(desktop.home().join("xdg-open.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    no_per_user_handler(&desktop);
    // xdg-open waits for the app it started; it returns once that quits.
    quit_instance(&desktop);
    let mut opener = opener;
    let deadline = Instant::now() + Duration::from_secs(20);
    while opener.try_wait().expect("waiting for xdg-open").is_none() {
        assert!(
            Instant::now() < deadline,
            "xdg-open did not return after the app quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
