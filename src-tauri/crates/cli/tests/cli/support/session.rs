//! A private desktop keyring for tests: a D-Bus session bus that can start
//! nothing by itself (no service directories) and, unless asked otherwise,
//! gnome-keyring with an unlocked login collection; a private HOME. Shared by
//! the keyring tests of several crates (`#[path]`).
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Unlocked,
    Locked,
    Frozen,
    NoService,
    NoBus,
}

pub(crate) struct Session {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) bus: Option<String>,
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

pub(crate) fn private_env(command: &mut Command, dir: &Path) {
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
    pub(crate) fn start(mode: Mode) -> Self {
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
        let mut command = programs::command("dbus-daemon");
        command
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        private_env(&mut command, session.dir.path());
        let mut bus = command
            .spawn()
            .unwrap_or_else(|error| panic!("{}", programs::not_started("dbus-daemon", error)));
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
        let mut command = programs::command("gnome-keyring-daemon");
        command
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        private_env(&mut command, session.dir.path());
        command.env("DBUS_SESSION_BUS_ADDRESS", &address);
        let mut keyring = command.spawn().unwrap_or_else(|error| {
            panic!("{}", programs::not_started("gnome-keyring-daemon", error))
        });
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
            // std can only SIGKILL a child; freezing it takes SIGSTOP.
            Mode::Frozen => {
                let stopped = programs::command("kill")
                    .args(["-STOP", &pid.to_string()])
                    .status()
                    .unwrap_or_else(|error| panic!("{}", programs::not_started("kill", error)));
                assert!(stopped.success(), "kill -STOP {pid} failed: {stopped}");
            }
            _ => {}
        }
        session
    }
}
