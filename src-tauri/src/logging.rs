//! Logs to stderr and to a file in the app's log folder (shown on About).

use std::path::PathBuf;

use tauri::{AppHandle, Manager};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// The log file's name inside the app's log folder.
pub(crate) const LOG_FILE: &str = "consent-desk.log";

/// Where the log file lives.
pub(crate) fn log_file(app: &AppHandle) -> tauri::Result<PathBuf> {
    Ok(app.path().app_log_dir()?.join(LOG_FILE))
}

/// Installs the global subscriber. `CONSENT_DESK_LOG` takes `RUST_LOG`-style
/// directives; the default is `info`.
pub(crate) fn init(app: &AppHandle) {
    let filter =
        EnvFilter::try_from_env("CONSENT_DESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = log_file(app).ok().and_then(|path| {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    let file_layer = file.map(|file| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
}
