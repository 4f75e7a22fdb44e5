//! A harness that drives the real Consent Desk binary as a person would.
//!
//! Each [`Desktop`] is a private little desktop session: its own Xvfb display,
//! its own D-Bus session bus (single-instance forwarding and deep links travel
//! over it), its own home and XDG folders (so tests never touch real data or
//! each other), and a `tauri-driver` that starts the app through
//! `WebKitWebDriver`. [`App`] is a WebDriver session on the running app with
//! helpers that wait for what a person would wait for.
//!
//! ```no_run
//! # async fn demo() -> harness::Result<()> {
//! let desktop = harness::Desktop::start()?;
//! let app = desktop.launch(&[]).await?;
//! let status = app.text("status-line").await?;
//! app.click("nav-about").await?;
//! app.screenshot("about").await?;
//! app.close().await
//! # }
//! ```

use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{elements::Element, wd::Capabilities, Client, ClientBuilder, Locator};

/// How long to wait for the app to show something before failing.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything that can go wrong while driving the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A helper program is missing or failed to start. The message names
    /// it and, when missing, its package and how to install it.
    #[error("{source}")]
    Spawn {
        /// The program.
        program: &'static str,
        /// Why, from [`programs::not_started`].
        source: std::io::Error,
    },
    /// A helper program started but did not become ready.
    #[error("{0}")]
    NotReady(String),
    /// The app binary has not been built.
    #[error("no app binary at {0}: build it first (`npm test` does)")]
    NoBinary(PathBuf),
    /// The WebDriver session could not be created.
    #[error("could not start a WebDriver session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    /// A WebDriver command failed (element missing, timeout, app gone).
    #[error("WebDriver command failed while {doing}: {source}")]
    Command {
        /// What the test was doing.
        doing: String,
        /// The WebDriver error.
        source: fantoccini::error::CmdError,
    },
    /// A file could not be written or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Result of a harness step.
pub type Result<T> = std::result::Result<T, Error>;

trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Doing<T> for std::result::Result<T, fantoccini::error::CmdError> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Command {
            doing: what(),
            source,
        })
    }
}

/// A child process killed when dropped.
#[derive(Debug)]
struct Guard {
    child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every external program is started through [`programs::command`]; this
/// names it, and its package when it is missing, in the error.
fn not_started(program: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |error| Error::Spawn {
        program,
        source: programs::not_started(program, error),
    }
}

fn spawn(program: &'static str, command: &mut Command) -> Result<Guard> {
    command
        .spawn()
        .map(|child| Guard { child })
        .map_err(not_started(program))
}

/// A real Secret Service for the session: gnome-keyring with its own login
/// collection, unlocked (`--unlock` reads the password from stdin), so the app
/// keeps its keys in a keyring as on a desktop. Waits until it owns its name,
/// so the app never triggers a second, auto-started daemon.
fn start_keyring(env: &[(String, String)]) -> Result<Guard> {
    let mut keyring = spawn(
        "gnome-keyring-daemon",
        programs::command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    if let Some(mut stdin) = keyring.child.stdin.take() {
        use std::io::Write as _;
        stdin.write_all(b"e2e-keyring-password")?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let owned = programs::command("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.NameHasOwner",
                "org.freedesktop.secrets",
            ])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .map_err(not_started("gdbus"))?;
        if String::from_utf8_lossy(&owned.stdout).contains("true") {
            return Ok(keyring);
        }
        if Instant::now() > deadline {
            return Err(Error::NotReady(
                "gnome-keyring did not start on the session bus within 10 s".to_owned(),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads the first line a child prints on stdout, failing if it exits first.
fn first_line(guard: &mut Guard, program: &str) -> Result<String> {
    let stdout = guard.child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(Error::NotReady(format!(
            "{program} exited before it was ready"
        )));
    }
    Ok(line)
}

/// A free TCP port on loopback. The OS may hand it out again before it is
/// used; tauri-driver then fails to bind and the test reports that clearly.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A private desktop session: display, session bus, folders and driver.
#[derive(Debug)]
pub struct Desktop {
    // Field order is drop order: the driver (and the app it started) go
    // before the bus and display they use.
    driver: Guard,
    driver_port: u16,
    env: Vec<(String, String)>,
    // Dropped in this order: the keyring daemon before its bus.
    _keyring: Guard,
    _bus: Guard,
    _display: Guard,
    home: tempfile::TempDir,
}

impl Desktop {
    /// Starts Xvfb, a D-Bus session bus and tauri-driver.
    pub fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    /// Like [`Desktop::start`], with `extra` variables for every program the
    /// session starts, the app included: `("GTK_THEME", "Adwaita:dark")`
    /// gives it the dark theme, which WebKitGTK passes on to pages as
    /// `prefers-color-scheme: dark`.
    pub fn start_with(extra: &[(&str, &str)]) -> Result<Self> {
        let home = tempfile::Builder::new()
            .prefix("consent-desk-e2e-")
            .tempdir()?;

        // `-displayfd 1`: Xvfb picks a free display and prints its number.
        let mut display = spawn(
            "Xvfb",
            programs::command("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x900x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let display_name = format!(":{}", first_line(&mut display, "Xvfb")?);

        let mut bus = spawn(
            "dbus-daemon",
            programs::command("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let bus_address = first_line(&mut bus, "dbus-daemon")?;

        let dir = |name: &str| -> Result<String> {
            let path = home.path().join(name);
            std::fs::create_dir_all(&path)?;
            Ok(path.display().to_string())
        };
        let runtime_dir = dir("run")?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let env = vec![
            ("DISPLAY".to_owned(), display_name),
            ("DBUS_SESSION_BUS_ADDRESS".to_owned(), bus_address.clone()),
            ("XDG_RUNTIME_DIR".to_owned(), runtime_dir),
            ("HOME".to_owned(), home.path().display().to_string()),
            ("XDG_DATA_HOME".to_owned(), dir("data")?),
            ("XDG_CONFIG_HOME".to_owned(), dir("config")?),
            ("XDG_CACHE_HOME".to_owned(), dir("cache")?),
            ("XDG_STATE_HOME".to_owned(), dir("state")?),
            // No accessibility bus in a bare session; without this GTK
            // warns on every start. (Do not set WEBKIT_DISABLE_DMABUF_RENDERER:
            // with it, WebKitWebDriver screenshots hang under Xvfb.)
            ("NO_AT_BRIDGE".to_owned(), "1".to_owned()),
        ];
        let env: Vec<(String, String)> = env
            .into_iter()
            .chain(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .collect();

        let keyring = start_keyring(&env)?;

        let driver_port = free_port()?;
        let native_port = free_port()?;
        // Given by path, so a missing WebKitWebDriver is named here rather
        // than failing inside the driver when the first session starts.
        let webkit_driver =
            programs::path("WebKitWebDriver").map_err(not_started("WebKitWebDriver"))?;
        let log = std::fs::File::create(home.path().join("tauri-driver.log"))?;
        let driver = spawn(
            "tauri-driver",
            programs::command("tauri-driver")
                .args([
                    "--port",
                    &driver_port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .arg("--native-driver")
                .arg(webkit_driver)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::from(log.try_clone()?))
                .stderr(Stdio::from(log)),
        )?;
        let desktop = Desktop {
            driver,
            driver_port,
            env,
            _keyring: keyring,
            _bus: bus,
            _display: display,
            home,
        };
        desktop.wait_for_driver()?;
        Ok(desktop)
    }

    fn wait_for_driver(&self) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.driver_port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err(Error::NotReady(format!(
                    "tauri-driver did not listen on port {} within 10 s; its log: {}",
                    self.driver_port,
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The running app's process id, from the name its single-instance
    /// lock owns on this session's bus.
    pub fn app_pid(&self) -> Result<u32> {
        let gdbus = |args: &[&str]| -> Result<String> {
            let output = programs::command("gdbus")
                .args(["call", "--session", "--dest", "org.freedesktop.DBus"])
                .args(["--object-path", "/org/freedesktop/DBus", "--method"])
                .args(args)
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .output()
                .map_err(not_started("gdbus"))?;
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        };
        let names = gdbus(&["org.freedesktop.DBus.ListNames"])?;
        let name = names
            .split('\'')
            .find(|name| name.to_lowercase().contains("consentdesk"))
            .ok_or_else(|| Error::NotReady("no Consent Desk instance is running".into()))?
            .to_owned();
        let answer = gdbus(&["org.freedesktop.DBus.GetConnectionUnixProcessID", &name])?;
        // `(uint32 12345,)`
        answer
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .map_err(|_| Error::NotReady(format!("no process id in {answer:?}")))
    }

    /// Kills the running app with SIGKILL, as a crash or `kill -9` would:
    /// no shutdown code runs. Finds it through the name its single-instance
    /// lock owns on this session's bus.
    /// The WebDriver session of `app` is ended after it (the driver
    /// allows one at a time).
    pub async fn kill_app(&self, app: App) -> Result<()> {
        let pid = self.app_pid()?.to_string();
        // The app is the WebDriver's child, not ours: `Child::kill` cannot.
        let killed = programs::command("kill")
            .args(["-KILL", &pid])
            .status()
            .map_err(not_started("kill"))?;
        if !killed.success() {
            return Err(Error::NotReady(format!("kill -KILL {pid} failed")));
        }
        // The browser is gone; the driver only forgets the session.
        let _ = app.client.close().await;
        self.wait_until_no_instance()
    }

    /// Waits (up to 20 s) until no Consent Desk instance owns a name on this
    /// session's bus (the single-instance plugin registers one per instance).
    pub fn wait_until_no_instance(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let names = programs::command("gdbus")
                .args([
                    "call",
                    "--session",
                    "--dest",
                    "org.freedesktop.DBus",
                    "--object-path",
                    "/org/freedesktop/DBus",
                    "--method",
                    "org.freedesktop.DBus.ListNames",
                ])
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .output()
                .map_err(not_started("gdbus"))?;
            let listed = String::from_utf8_lossy(&names.stdout).to_lowercase();
            if !listed.contains("consentdesk") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady(
                    "a previous Consent Desk instance did not quit within 20 s".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// tauri-driver's and the app's stderr so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("tauri-driver.log")).unwrap_or_default()
    }

    /// The session's environment (display, bus, XDG folders).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The value of one of the session's environment variables.
    pub fn var(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    }

    /// The temporary home folder of this session.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Starts the app (the binary from [`app_binary`]) and opens a WebDriver
    /// session on its main window.
    pub async fn launch(&self, args: &[&str]) -> Result<App> {
        let binary = app_binary();
        if !binary.exists() {
            return Err(Error::NoBinary(binary));
        }
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary, "args": args }),
        );
        // A previous instance still quitting would take the launch over
        // (single instance) and leave this session waiting for a window
        // that never comes: wait until none is left on this session's bus.
        self.wait_until_no_instance()?;
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let address = format!("http://127.0.0.1:{}", self.driver_port);
        let client = tokio::time::timeout(Duration::from_secs(60), builder.connect(&address))
            .await
            .map_err(|_| {
                Error::NotReady(format!(
                    "the app opened no window within 60 s; its log: {}",
                    self.log()
                ))
            })??;
        let main = client
            .window()
            .await
            .doing(|| "reading the main window handle".into())?;
        Ok(App { client, main })
    }

    /// Saves the whole screen as `e2e-screenshots/<name>.png`: unlike a
    /// WebDriver screenshot it shows native parts of windows, such as the
    /// consent window's origin strip. Read from the X server (GetImage on
    /// the root window), so it needs no screen-capture program.
    pub fn screenshot_screen(&self, name: &str) -> Result<PathBuf> {
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        let (width, height, rgb) = capture_screen(self.var("DISPLAY"))?;
        let bad = |error: png::EncodingError| {
            Error::NotReady(format!("writing {}: {error}", path.display()))
        };
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut encoder = png::Encoder::new(file, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(bad)?;
        writer.write_image_data(&rgb).map_err(bad)?;
        writer.finish().map_err(bad)?;
        Ok(path)
    }

    /// Asks the window whose title contains `title` to close, as a window
    /// manager does when a person clicks its close button: a
    /// `WM_DELETE_WINDOW` message (Xvfb runs no window manager).
    pub fn close_window_titled(&self, title: &str) -> Result<()> {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{
            AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, MapState, Window,
        };

        let x11 = |error: &dyn std::fmt::Display| {
            Error::NotReady(format!("closing the window titled {title:?}: {error}"))
        };
        let (conn, screen) = x11rb::connect(Some(self.var("DISPLAY"))).map_err(|e| x11(&e))?;
        let atom = |name: &[u8]| -> Result<u32> {
            Ok(conn
                .intern_atom(false, name)
                .map_err(|e| x11(&e))?
                .reply()
                .map_err(|e| x11(&e))?
                .atom)
        };
        let (utf8, net_name) = (atom(b"UTF8_STRING")?, atom(b"_NET_WM_NAME")?);
        let (protocols, delete) = (atom(b"WM_PROTOCOLS")?, atom(b"WM_DELETE_WINDOW")?);
        let name_of = |window: Window| -> String {
            [
                (net_name, utf8),
                (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()),
            ]
            .into_iter()
            .filter_map(|(property, kind)| {
                let reply = conn
                    .get_property(false, window, property, kind, 0, 1024)
                    .ok()?
                    .reply()
                    .ok()?;
                Some(String::from_utf8_lossy(&reply.value).into_owned())
            })
            .find(|name| !name.is_empty())
            .unwrap_or_default()
        };
        // Only windows on screen: a window closed earlier may linger unmapped.
        let viewable = |window: Window| {
            conn.get_window_attributes(window)
                .ok()
                .and_then(|cookie| cookie.reply().ok())
                .is_some_and(|attributes| attributes.map_state == MapState::VIEWABLE)
        };
        let mut pending = vec![conn.setup().roots[screen].root];
        let mut found = Vec::new();
        while let Some(window) = pending.pop() {
            if name_of(window).contains(title) && viewable(window) {
                found.push(window);
            }
            if let Ok(tree) = conn.query_tree(window).map_err(|e| x11(&e))?.reply() {
                pending.extend(tree.children);
            }
        }
        let window = match found[..] {
            [] => return Err(x11(&"no such window on screen")),
            [window] => window,
            _ => return Err(x11(&format!("{} windows have that title", found.len()))),
        };
        let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
        // Checked, which waits for the server to have handled it: requests
        // still buffered when the connection closes can be dropped.
        conn.send_event(false, window, EventMask::NO_EVENT, event)
            .map_err(|e| x11(&e))?
            .check()
            .map_err(|e| x11(&e))?;
        Ok(())
    }

    /// Opens `url` through the OS, as a browser handing over a link would
    /// (`gio open`), inside this session.
    pub fn open_link(&self, url: &str) -> Result<()> {
        // The app gio starts inherits gio's output; a pipe would keep
        // `output()` waiting for as long as that app runs. A file does not.
        let errors = self.home.path().join("gio-open.err");
        let status = programs::command("gio")
            .args(["open", url])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&errors)?)
            .status()
            .map_err(not_started("gio"))?;
        if !status.success() {
            return Err(Error::NotReady(format!(
                "`gio open {url}` failed: {}",
                std::fs::read_to_string(&errors).unwrap_or_default().trim()
            )));
        }
        Ok(())
    }

    /// Whether tauri-driver is still running (it exits if it cannot bind).
    pub fn driver_alive(&mut self) -> bool {
        matches!(self.driver.child.try_wait(), Ok(None))
    }
}

/// The root window of X `display` as 8-bit RGB, row by row, with its width
/// and height. Pixels are decoded with the root visual's colour masks and the
/// server's byte order, so the colours are right whatever the layout.
fn capture_screen(display: &str) -> Result<(u32, u32, Vec<u8>)> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder, VisualClass};

    let x11 = |error: &dyn std::fmt::Display| {
        Error::NotReady(format!(
            "capturing the screen of display {display}: {error}"
        ))
    };
    let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| x11(&e))?;
    let setup = conn.setup();
    let root = &setup.roots[screen];
    let visual = root
        .allowed_depths
        .iter()
        .flat_map(|depth| &depth.visuals)
        .find(|visual| visual.visual_id == root.root_visual)
        .ok_or_else(|| x11(&"the root visual is not listed"))?;
    if ![VisualClass::TRUE_COLOR, VisualClass::DIRECT_COLOR].contains(&visual.class) {
        return Err(x11(&format!(
            "the root visual is {:?}; only true colour is supported (Xvfb -screen 0 WxHx24)",
            visual.class
        )));
    }
    let (width, height) = (root.width_in_pixels, root.height_in_pixels);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, root.root, 0, 0, width, height, !0)
        .map_err(|e| x11(&e))?
        .reply()
        .map_err(|e| x11(&e))?;
    let format = setup
        .pixmap_formats
        .iter()
        .find(|format| format.depth == image.depth)
        .ok_or_else(|| x11(&format!("no pixmap format for depth {}", image.depth)))?;
    let bits = usize::from(format.bits_per_pixel);
    if ![16, 24, 32].contains(&bits) {
        return Err(x11(&format!("{bits} bits per pixel is not supported")));
    }
    let (bytes, pad) = (bits / 8, usize::from(format.scanline_pad));
    let (columns, rows) = (usize::from(width), usize::from(height));
    let stride = (columns * bits).div_ceil(pad) * pad / 8;
    if image.data.len() < stride * rows {
        return Err(x11(&format!(
            "the server sent {} bytes for a {columns}x{rows} image",
            image.data.len()
        )));
    }
    let msb_first = setup.image_byte_order == ImageOrder::MSB_FIRST;
    // Scales the bits under `mask` to 0..=255.
    let channel = |pixel: u32, mask: u32| -> u8 {
        if mask == 0 {
            return 0;
        }
        let shift = mask.trailing_zeros();
        let max = u64::from(mask >> shift);
        let value = u64::from((pixel & mask) >> shift);
        u8::try_from(value * 255 / max).unwrap_or(u8::MAX)
    };
    let mut rgb = Vec::with_capacity(columns * rows * 3);
    for row in image.data.chunks(stride).take(rows) {
        for pixel in row[..columns * bytes].chunks_exact(bytes) {
            let pixel = if msb_first {
                pixel
                    .iter()
                    .fold(0, |value, &byte| value << 8 | u32::from(byte))
            } else {
                pixel
                    .iter()
                    .rev()
                    .fold(0, |value, &byte| value << 8 | u32::from(byte))
            };
            rgb.extend([
                channel(pixel, visual.red_mask),
                channel(pixel, visual.green_mask),
                channel(pixel, visual.blue_mask),
            ]);
        }
    }
    Ok((u32::from(width), u32::from(height), rgb))
}

/// The app binary under test: `$CONSENT_DESK_BIN`, else the workspace's
/// debug build (`target/debug/consent-desk`).
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CONSENT_DESK_BIN") {
        return PathBuf::from(path);
    }
    target_dir().join("debug/consent-desk")
}

/// The cargo target folder (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A WebDriver session on the running app.
#[derive(Debug)]
pub struct App {
    client: Client,
    main: fantoccini::wd::WindowHandle,
}

/// Whether the element read was replaced by a re-render (a list refreshed,
/// a screen redrawn) after it was found.
fn is_stale(error: &fantoccini::error::CmdError) -> bool {
    matches!(
        error,
        fantoccini::error::CmdError::Standard(webdriver)
            if webdriver.error == fantoccini::error::ErrorStatus::StaleElementReference
    )
}

fn by_testid(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

impl App {
    /// The underlying WebDriver client, for anything the helpers lack.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Waits until an element with `data-testid` is present and returns it.
    /// On timeout the error names the element and quotes any error the app
    /// was showing, which is usually the reason.
    pub async fn find(&self, testid: &str) -> Result<Element> {
        self.find_css(&by_testid(testid), testid).await
    }

    /// The element matching `css` once present; `what` names it in errors.
    async fn find_css(&self, css: &str, what: &str) -> Result<Element> {
        let testid = what;
        match self
            .client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(source) => {
                let banner = match self
                    .client
                    .find(Locator::Css(&by_testid("error-banner")))
                    .await
                {
                    Ok(banner) => banner.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                let doing = if banner.is_empty() {
                    format!("waiting for [data-testid={testid}]")
                } else {
                    format!("waiting for [data-testid={testid}] while the app showed: {banner:?}")
                };
                Err(Error::Command { doing, source })
            }
        }
    }

    /// Every element currently matching a `data-testid` (no waiting).
    pub async fn find_all(&self, testid: &str) -> Result<Vec<Element>> {
        let css = by_testid(testid);
        self.client
            .find_all(Locator::Css(&css))
            .await
            .doing(|| format!("listing [data-testid={testid}]"))
    }

    /// The visible text of an element, once present.
    pub async fn text(&self, testid: &str) -> Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let element = self.find(testid).await?;
            match element.text().await {
                // Re-rendered between finding and reading: find it again.
                Err(error) if is_stale(&error) && Instant::now() < deadline => {}
                read => return read.doing(|| format!("reading the text of {testid}")),
            }
        }
    }

    /// An attribute of an element, once present.
    pub async fn attr(&self, testid: &str, name: &str) -> Result<Option<String>> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let element = self.find(testid).await?;
            match element.attr(name).await {
                // Re-rendered between finding and reading: find it again.
                Err(error) if is_stale(&error) && Instant::now() < deadline => {}
                read => return read.doing(|| format!("reading {name} of {testid}")),
            }
        }
    }

    /// Clicks an element once it is present and enabled.
    pub async fn click(&self, testid: &str) -> Result<()> {
        let element = self.find(testid).await?;
        self.click_element(element, testid).await
    }

    /// Clicks `testid` inside the list row `[data-testid=row][data-id=id]`.
    pub async fn click_in(&self, row: &str, id: &str, testid: &str) -> Result<()> {
        let css = format!("{}[data-id=\"{id}\"] {}", by_testid(row), by_testid(testid));
        let what = format!("{testid} of {row} {id}");
        let element = self.find_css(&css, &what).await?;
        self.click_element(element, &what).await
    }

    async fn click_element(&self, element: Element, testid: &str) -> Result<()> {
        let deadline = Instant::now() + UI_TIMEOUT;
        while !element
            .is_enabled()
            .await
            .doing(|| format!("checking {testid} is enabled"))?
        {
            if Instant::now() > deadline {
                return Err(Error::NotReady(format!("{testid} stayed disabled")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // As a person would, scroll the control into view first: WebKit's
        // driver refuses to click what is outside the window or covered.
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![serde_json::to_value(&element)
                    .map_err(|error| Error::NotReady(format!("addressing {testid}: {error}")))?],
            )
            .await
            .doing(|| format!("scrolling to {testid}"))?;
        element.click().await.doing(|| format!("clicking {testid}"))
    }

    /// Replaces the value of an input or textarea with `text`, as typing does.
    pub async fn type_into(&self, testid: &str, text: &str) -> Result<()> {
        let element = self.find(testid).await?;
        element
            .clear()
            .await
            .doing(|| format!("clearing {testid}"))?;
        if text.is_empty() {
            // Cleared is what was asked; the driver refuses empty keys.
            return Ok(());
        }
        element
            .send_keys(text)
            .await
            .doing(|| format!("typing into {testid}"))
    }

    /// Waits until `testid`'s attribute `name` satisfies `check`; returns it.
    pub async fn wait_for_attr(
        &self,
        testid: &str,
        name: &str,
        check: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let value = self.attr(testid, name).await?.unwrap_or_default();
            if check(&value) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady(format!(
                    "{testid}'s {name} never became as expected; last seen: {value:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `testid`'s text satisfies `check`, returning that text.
    pub async fn wait_for_text(
        &self,
        testid: &str,
        check: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let text = self.text(testid).await?;
            if check(&text) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady(format!(
                    "{testid} never showed the expected text; last seen: {text:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the current window to `target/e2e-screenshots/<name>.png`.
    ///
    /// WebKit's screenshot is the last painted frame, which can lag the DOM
    /// right after a change; waiting for two animation frames first makes the
    /// picture show what the test just asserted.
    pub async fn screenshot(&self, name: &str) -> Result<Screenshot> {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\n\
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await
            .doing(|| format!("waiting for a painted frame before screenshot {name}"))?;
        let png = self
            .client
            .screenshot()
            .await
            .doing(|| format!("taking screenshot {name}"))?;
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png)?;
        Screenshot::decode(path, &png)
    }

    /// What window `handle` shows: its address and its
    /// `document.visibilityState`, read without leaving the current window.
    pub async fn window_state(
        &self,
        handle: &fantoccini::wd::WindowHandle,
    ) -> Result<(String, String)> {
        let current = self
            .client
            .window()
            .await
            .doing(|| "reading the current window".into())?;
        let read = async {
            self.client
                .switch_to_window(handle.clone())
                .await
                .doing(|| "switching to a window".into())?;
            self.client
                .execute(
                    "return [location.href, document.visibilityState];",
                    Vec::new(),
                )
                .await
                .doing(|| "reading a window's address and visibility".into())
        }
        .await;
        // Back where the caller was, if that window is still there.
        let _ = self.client.switch_to_window(current).await;
        let state = read?;
        let field = |n: usize| {
            state
                .get(n)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Ok((field(0), field(1)))
    }

    /// The consent windows showing a wallet's page now. Consent windows are
    /// kept between approvals, hidden on a blank page, and WebDriver still
    /// lists them: a window counts only when it is visible and not blank.
    pub async fn consent_windows(&self) -> Result<Vec<fantoccini::wd::WindowHandle>> {
        let mut showing = Vec::new();
        for handle in self.windows().await? {
            if handle == self.main {
                continue;
            }
            // A window can go between listing and reading: not showing.
            let Ok((href, visibility)) = self.window_state(&handle).await else {
                continue;
            };
            if href != "about:blank" && visibility != "hidden" {
                showing.push(handle);
            }
        }
        Ok(showing)
    }

    /// Waits for a consent window to show a wallet's page and switches to it.
    pub async fn switch_to_consent_window(&self) -> Result<fantoccini::wd::WindowHandle> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            if let Some(shown) = self.consent_windows().await?.into_iter().next() {
                self.client
                    .switch_to_window(shown.clone())
                    .await
                    .doing(|| "switching to the consent window".into())?;
                return Ok(shown);
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady("no consent window showed a page".into()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every consent window is closed or kept: hidden, on a
    /// blank page, for the next approval. The main window is current after.
    pub async fn wait_for_consent_windows_closed(&self) -> Result<()> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let mut open = Vec::new();
            for handle in self.windows().await? {
                if handle == self.main {
                    continue;
                }
                // Gone between listing and reading: closed.
                if let Ok(state) = self.window_state(&handle).await {
                    if state.0 != "about:blank" || state.1 != "hidden" {
                        open.push(state);
                    }
                }
            }
            if open.is_empty() {
                return self.switch_to_main().await;
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady(format!(
                    "consent windows still open (address, visibility): {open:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// All window handles the app has open.
    pub async fn windows(&self) -> Result<Vec<fantoccini::wd::WindowHandle>> {
        self.client
            .windows()
            .await
            .doing(|| "listing windows".into())
    }

    /// Switches back to the main window.
    pub async fn switch_to_main(&self) -> Result<()> {
        self.client
            .switch_to_window(self.main.clone())
            .await
            .doing(|| "switching to the main window".into())
    }

    /// Ends the session, which closes the app.
    pub async fn close(self) -> Result<()> {
        self.client
            .close()
            .await
            .doing(|| "closing the session".into())
    }
}

/// A saved screenshot and what it shows, roughly.
#[derive(Debug)]
pub struct Screenshot {
    /// Where it was saved.
    pub path: PathBuf,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// How many different colours it has. A window that rendered text has
    /// hundreds (anti-aliasing); a blank or failed one has a handful.
    pub distinct_colors: usize,
}

impl Screenshot {
    fn decode(path: PathBuf, png_bytes: &[u8]) -> Result<Self> {
        let bad = |e: png::DecodingError| Error::NotReady(format!("screenshot is not a PNG: {e}"));
        let mut reader = png::Decoder::new(png_bytes).read_info().map_err(bad)?;
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut pixels).map_err(bad)?;
        let channels = frame.color_type.samples();
        let colors: std::collections::HashSet<&[u8]> =
            pixels[..frame.buffer_size()].chunks(channels).collect();
        Ok(Screenshot {
            path,
            size: (frame.width, frame.height),
            distinct_colors: colors.len(),
        })
    }
}

/// A wallet that outlives the app: the sandbox run alone by the app's binary.
#[derive(Debug)]
pub struct OutsideWallet {
    child: std::process::Child,
    /// Its base URL, ending in `/`.
    pub base: String,
    _data: tempfile::TempDir,
    // Kept open: the sandbox keeps printing, and a closed pipe would end it.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl OutsideWallet {
    /// Starts it on a free port with its own data folder.
    #[must_use]
    pub fn start() -> Self {
        use std::io::BufRead as _;
        let data = tempfile::tempdir().expect("a temp dir");
        let mut child = std::process::Command::new(app_binary())
            .args(["sandbox", "--port", "0", "--wait", "0", "--data"])
            .arg(data.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a line");
        let base = line
            .trim()
            .trim_start_matches("Sandbox wallet listening on ")
            .to_owned();
        Self {
            child,
            base,
            _data: data,
            _stdout: stdout,
        }
    }

    /// `POST`s `body` to one of its admin routes, expecting `201 Created`.
    pub async fn admin(&self, path: &str, body: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the admin API answers");
        assert_eq!(response.status(), 201, "{path}");
    }
}

impl Drop for OutsideWallet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Desktop {
    /// Runs the app's binary as a command in this session (its keyring and
    /// folders), expecting success; its JSON output, or null.
    pub fn command(&self, args: &[&str]) -> serde_json::Value {
        let output = std::process::Command::new(app_binary())
            .args(args)
            .envs(self.env().iter().map(|(k, v)| (k, v)))
            .env("QA_PASSPHRASE", QA_PASSPHRASE)
            .output()
            .expect("the app binary runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null)
    }
}

impl OutsideWallet {
    /// Replaces its fault switches (`PUT /admin/faults`).
    pub async fn set_faults(&self, faults: serde_json::Value) {
        let response = reqwest::Client::new()
            .put(format!("{}admin/faults", self.base))
            .header("content-type", "application/json")
            .body(faults.to_string())
            .send()
            .await
            .expect("the admin API answers");
        assert_eq!(response.status(), 200, "faults {faults}");
    }

    /// Every account's balance, by name, in its smallest unit.
    pub async fn balances(&self) -> std::collections::HashMap<String, u64> {
        balances(&self.base).await
    }

    /// A client wallet `qa` ("QA Desk") here and a profile "QA" for it in
    /// `desktop`, made with the CLI (`extra` adds options to `profile add`),
    /// its key published, in use. Returns the profile as JSON.
    pub async fn connect(&self, desktop: &Desktop, extra: &[&str]) -> serde_json::Value {
        self.admin(
            "admin/wallet-addresses",
            serde_json::json!({"name": "qa", "publicName": "QA Desk"}),
        )
        .await;
        let client = format!("{}qa", self.base);
        let mut args = vec![
            "profile",
            "add",
            "--name",
            "QA",
            "--wallet",
            &client,
            "--allow-http-loopback",
            "--json",
        ];
        args.extend_from_slice(extra);
        let profile = desktop.command(&args);
        self.admin(
            "admin/wallet-addresses/qa/keys",
            profile["publicJwk"].clone(),
        )
        .await;
        desktop.command(&["profile", "use", "qa", "--json"]);
        profile
    }
}

/// `GET {base}admin/{path}` at a sandbox wallet, as JSON.
async fn admin_get(base: &str, path: &str) -> serde_json::Value {
    let text = reqwest::get(format!("{base}admin/{path}"))
        .await
        .expect("the admin API answers")
        .text()
        .await
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("admin/{path} is not JSON: {text}"))
}

/// The sandbox wallet's view of a grant, found by the client's continue URI.
pub async fn wallet_grant(base: &str, continue_uri: &str) -> serde_json::Value {
    let continue_id = continue_uri.rsplit('/').next().unwrap_or_default();
    admin_get(base, &format!("grants/{continue_id}")).await
}

/// Every account's balance at the sandbox wallet at `base`, by name.
pub async fn balances(base: &str) -> std::collections::HashMap<String, u64> {
    admin_get(base, "accounts")
        .await
        .as_array()
        .expect("a list of accounts")
        .iter()
        .map(|account| {
            let balance = match &account["balance"] {
                serde_json::Value::String(text) => text.parse().unwrap_or_default(),
                value => value.as_u64().unwrap_or_default(),
            };
            (
                account["name"].as_str().unwrap_or_default().to_owned(),
                balance,
            )
        })
        .collect()
}

/// The passphrase [`Desktop::command`] offers in `QA_PASSPHRASE`.
pub const QA_PASSPHRASE: &str = "correct horse battery";

#[cfg(test)]
mod tests {
    use super::*;

    /// Red, green and blue windows on a bare Xvfb come out as red, green and
    /// blue in the capture (not swapped), at the right place.
    #[test]
    fn the_screen_capture_keeps_colours_and_places() {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, WindowClass};

        let mut xvfb = spawn(
            "Xvfb",
            programs::command("Xvfb")
                .args(["-displayfd", "1", "-screen", "0", "320x200x24"])
                .args(["-nolisten", "tcp"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .unwrap();
        let display = format!(":{}", first_line(&mut xvfb, "Xvfb").unwrap());
        let (conn, screen) = x11rb::connect(Some(&display)).unwrap();
        let root = &conn.setup().roots[screen];
        let visual = root
            .allowed_depths
            .iter()
            .flat_map(|depth| &depth.visuals)
            .find(|visual| visual.visual_id == root.root_visual)
            .unwrap();
        let squares = [
            (visual.red_mask, [255, 0, 0]),
            (visual.green_mask, [0, 255, 0]),
            (visual.blue_mask, [0, 0, 255]),
        ];
        for (index, (pixel, _)) in (0_i16..).zip(&squares) {
            let window = conn.generate_id().unwrap();
            conn.create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                window,
                root.root,
                10 + 100 * index,
                20,
                40,
                30,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &CreateWindowAux::new().background_pixel(*pixel),
            )
            .unwrap();
            conn.map_window(window).unwrap();
        }
        // A round trip: the server has mapped and painted them before the
        // capture's own connection asks for the image.
        conn.get_input_focus().unwrap().reply().unwrap();

        let (width, height, rgb) = capture_screen(&display).unwrap();
        assert_eq!((width, height), (320, 200));
        assert_eq!(rgb.len(), 320 * 200 * 3);
        let at = |x: usize, y: usize| &rgb[(y * 320 + x) * 3..][..3];
        for (index, (_, colour)) in squares.iter().enumerate() {
            let left = 10 + 100 * index;
            assert_eq!(at(left + 20, 35), colour, "inside square {index}");
            assert_eq!(at(left, 20), colour, "its top left corner");
            assert_eq!(at(left + 39, 49), colour, "its bottom right corner");
            assert_ne!(at(left + 40, 35), colour, "just right of square {index}");
        }
    }
}
