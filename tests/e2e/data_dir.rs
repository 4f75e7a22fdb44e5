//! `--data-dir`: two copies of the app with different data folders run side
//! by side on one desktop (one session bus, one keyring) without touching
//! each other's profiles, keys, grants or logs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::{app_binary, Desktop, UI_TIMEOUT};

/// A copy of the app started outside WebDriver, ended however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The names Consent Desk instances own on the session bus.
fn instances(desktop: &Desktop) -> Vec<String> {
    let output = programs::command("gdbus")
        .args(["call", "--session", "--dest", "org.freedesktop.DBus"])
        .args(["--object-path", "/org/freedesktop/DBus", "--method"])
        .arg("org.freedesktop.DBus.ListNames")
        .envs(desktop.env().iter().map(|(k, v)| (k, v)))
        .output()
        .expect("gdbus runs");
    String::from_utf8_lossy(&output.stdout)
        .split('\'')
        .filter(|name| name.starts_with("dev.consentdesk.client"))
        .map(str::to_owned)
        .collect()
}

/// `consent-desk --data-dir DIR key verify --profile sandbox --json` in the
/// desktop's session (its keyring).
fn sandbox_key(desktop: &Desktop, dir: &std::path::Path) -> serde_json::Value {
    let output = Command::new(app_binary())
        .arg("--data-dir")
        .arg(dir)
        .args(["key", "verify", "--profile", "sandbox", "--json"])
        .envs(desktop.env().iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the app binary runs");
    assert!(
        output.status.success(),
        "key verify in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn profile_jwk(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("profiles.json")).expect("profiles.json");
    let profiles: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    profiles["profiles"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["id"] == "sandbox"))
        .map(|profile| profile["publicJwk"].clone())
        .expect("a sandbox profile")
}

#[tokio::test]
async fn two_copies_with_their_own_data_folders_run_side_by_side() -> harness::Result<()> {
    let desktop = Desktop::start()?;
    let first = desktop.home().join("qa-first");
    let second = desktop.home().join("qa-second");

    let app = desktop
        .launch(&["--data-dir", first.to_str().unwrap()])
        .await?;
    app.click("nav-about").await?;
    assert_eq!(
        app.text("about-data-dir").await?,
        first.display().to_string()
    );
    assert_eq!(
        app.text("about-log-dir").await?,
        first.join("logs").display().to_string()
    );

    // The second copy is started as a person would, not through WebDriver:
    // it must stay, not hand itself over to the first.
    let log = std::fs::File::create(desktop.home().join("second-app.log"))?;
    let mut other = KillOnDrop(
        Command::new(app_binary())
            .arg("--data-dir")
            .arg(&second)
            .envs(desktop.env().iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()?,
    );
    let deadline = Instant::now() + UI_TIMEOUT;
    while instances(&desktop).len() < 2 || !second.join("profiles.json").exists() {
        if let Some(status) = other.0.try_wait()? {
            panic!(
                "the second copy exited ({status}) instead of running beside the first: {}",
                std::fs::read_to_string(desktop.home().join("second-app.log")).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the second copy did not start: {:?}",
            instances(&desktop)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Each has its own sandbox key, in the keyring under its own namespace:
    // the same profile name, two different keys, each matching its profile.
    assert_ne!(profile_jwk(&first), profile_jwk(&second));
    for dir in [&first, &second] {
        assert_eq!(
            sandbox_key(&desktop, dir)["matches"],
            true,
            "{}",
            dir.display()
        );
    }
    for dir in [&first, &second] {
        assert!(dir.join("grants.sqlite3").exists(), "{}", dir.display());
        assert!(dir.join("sandbox").is_dir(), "{}", dir.display());
        assert!(
            dir.join("logs").read_dir()?.next().is_some(),
            "{}",
            dir.display()
        );
    }
    // The ordinary folders were never used.
    let default_data = format!("{}/dev.consentdesk.client", desktop.var("XDG_DATA_HOME"));
    assert!(
        !std::path::Path::new(&default_data).exists(),
        "{default_data} was made"
    );

    drop(other);
    app.close().await
}
