//! The keyring paths against a real gnome-keyring, each scenario on its own
//! private D-Bus session bus (no service activation, so nothing else starts)
//! with a private HOME, and every command under a hard timeout:
//! store, read back, delete; a locked keyring; no Secret Service; no bus; a
//! Secret Service that stops answering.
//!
//! The commands run as child processes (this crate's CLI, the same code as
//! `consent-desk profile|key`): keyring 4 sets its store up once per process
//! from the environment, so each scenario needs a process of its own anyway.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unlocked,
    Locked,
    Frozen,
    NoService,
    NoBus,
}

struct Session {
    dir: tempfile::TempDir,
    bus: Option<String>,
    processes: Vec<Child>,
}

impl Drop for Session {
    fn drop(&mut self) {
        for process in self.processes.iter_mut().rev() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// A session bus that can start nothing by itself (no service directories).
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

fn private_env(command: &mut Command, dir: &Path) {
    let home = dir.join("home");
    command
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
}

fn secrets_connection(address: &str) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(address)
        .and_then(zbus::blocking::connection::Builder::build)
        .expect("the private bus accepts connections")
}

fn wait_for_secrets(address: &str) {
    let connection = secrets_connection(address);
    let bus = zbus::blocking::fdo::DBusProxy::new(&connection).unwrap();
    let name = zbus::names::BusName::try_from("org.freedesktop.secrets").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !bus.name_has_owner(name.clone()).unwrap_or(false) {
        assert!(
            Instant::now() < deadline,
            "gnome-keyring did not start within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn lock_login(address: &str) {
    let login =
        zbus::zvariant::ObjectPath::try_from("/org/freedesktop/secrets/collection/login").unwrap();
    secrets_connection(address)
        .call_method(
            Some("org.freedesktop.secrets"),
            "/org/freedesktop/secrets",
            Some("org.freedesktop.Secret.Service"),
            "Lock",
            &(vec![login],),
        )
        .expect("the login collection locks");
}

impl Session {
    fn start(mode: Mode) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("consent-desk-keyring-")
            .tempdir()
            .unwrap();
        for sub in ["home/.local/share", "home/.config", "home/.cache", "run"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            dir.path().join("run"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let mut session = Self {
            dir,
            bus: None,
            processes: Vec::new(),
        };
        if mode == Mode::NoBus {
            session.bus = Some(format!(
                "unix:path={}/no-such-bus",
                session.dir.path().display()
            ));
            return session;
        }
        let config = session.dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(session.dir.path())).unwrap();
        let mut command = Command::new("dbus-daemon");
        command
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        private_env(&mut command, session.dir.path());
        let mut bus = command
            .spawn()
            .expect("dbus-daemon (package dbus) is installed");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        session.processes.push(bus);
        let address = address.trim().to_owned();
        session.bus = Some(address.clone());
        if mode == Mode::NoService {
            return session;
        }
        // --unlock reads the login password from stdin and creates the
        // default "login" collection, unlocked; --foreground keeps it our child.
        let mut command = Command::new("gnome-keyring-daemon");
        command
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        private_env(&mut command, session.dir.path());
        command.env("DBUS_SESSION_BUS_ADDRESS", &address);
        let mut keyring = command.spawn().expect("gnome-keyring is installed");
        keyring
            .stdin
            .take()
            .unwrap()
            .write_all(b"test-password")
            .unwrap();
        let pid = keyring.id();
        session.processes.push(keyring);
        wait_for_secrets(&address);
        match mode {
            Mode::Locked => lock_login(&address),
            Mode::Frozen => {
                Command::new("kill")
                    .args(["-STOP", &pid.to_string()])
                    .status()
                    .unwrap();
            }
            _ => {}
        }
        session
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Runs the CLI in this session; panics if it runs past `limit`.
    fn cli(&self, args: &[&str], limit: Duration) -> (Output, Duration) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_consent-desk-identity"));
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        private_env(&mut command, self.dir.path());
        command
            .env("CONSENT_DESK_CONFIG_DIR", self.config())
            .env("CONSENT_DESK_KEYRING_TIMEOUT", "2");
        if let Some(bus) = &self.bus {
            command.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                return (child.wait_with_output().unwrap(), started.elapsed());
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let output = child.wait_with_output().unwrap();
                panic!(
                    "`{}` did not finish within {limit:?}; it printed: {}{}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn add(&self, name: &str) -> (Output, Duration) {
        self.cli(
            &[
                "profile",
                "add",
                "--name",
                name,
                "--wallet",
                "https://wallet.example/qa",
                "--no-check",
                "--json",
            ],
            Duration::from_secs(20),
        )
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn store_read_back_and_delete_in_a_real_keyring() {
    let session = Session::start(Mode::Unlocked);
    let (added, _) = session.add("QA");
    assert!(added.status.success(), "{}", stderr(&added));
    let profile: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(profile["key"]["store"], "keyring");
    // Read back: the private key from the keyring matches the public key.
    let limit = Duration::from_secs(20);
    let (verified, _) = session.cli(&["key", "verify", "--profile", "qa", "--json"], limit);
    assert!(verified.status.success(), "{}", stderr(&verified));
    // Nothing secret in the profile file.
    let file = std::fs::read_to_string(session.config().join("profiles.json")).unwrap();
    assert!(!file.contains("PRIVATE KEY"));

    // Remove deletes the entry: put the profile file back and the key is gone.
    let (removed, _) = session.cli(&["profile", "remove", "qa"], limit);
    assert!(removed.status.success(), "{}", stderr(&removed));
    std::fs::write(session.config().join("profiles.json"), &file).unwrap();
    let (missing, _) = session.cli(&["key", "verify", "--profile", "qa"], limit);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("not in the system keyring"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_locked_keyring_is_named_and_nothing_is_half_added() {
    let session = Session::start(Mode::Locked);
    let (added, took) = session.add("QA");
    assert_eq!(added.status.code(), Some(1));
    let message = stderr(&added);
    assert!(
        message.contains("locked") && message.contains("passphrase-protected file"),
        "{message}"
    );
    assert!(
        took < Duration::from_secs(10),
        "a locked keyring fails fast without a prompt ({took:?})"
    );
    let (list, _) = session.cli(&["profile", "list", "--json"], Duration::from_secs(20));
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["profiles"], serde_json::json!([]));
}

#[test]
fn no_secret_service_or_no_bus_says_so_quickly() {
    for mode in [Mode::NoService, Mode::NoBus] {
        let session = Session::start(mode);
        let (added, took) = session.add("QA");
        assert_eq!(added.status.code(), Some(1), "{mode:?}");
        let message = stderr(&added);
        assert!(
            message.contains("no system keyring is available"),
            "{mode:?}: {message}"
        );
        assert!(took < Duration::from_secs(10), "{mode:?} took {took:?}");
    }
}

#[test]
fn a_keyring_that_stops_answering_does_not_hang_the_app() {
    let session = Session::start(Mode::Frozen);
    // CONSENT_DESK_KEYRING_TIMEOUT=2 in this session.
    let (added, _) = session.add("QA");
    assert_eq!(added.status.code(), Some(1));
    assert!(
        stderr(&added).contains("did not answer within 2 s"),
        "{}",
        stderr(&added)
    );
}
