//! Logs for every path, window and command line alike: stderr, plus a file in
//! the log folder (About shows it) that rotates daily and keeps a week.
//! `CONSENT_DESK_LOG` takes `RUST_LOG`-style directives. The default is `info`
//! for the app and `warn` for commands, whose stderr a script reads.

use consent_desk_identity::Folders;
use tracing_subscriber::{
    fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer as _,
};

/// The log files' names: `consent-desk.YYYY-MM-DD.log`.
const LOG_PREFIX: &str = "consent-desk";
const LOG_SUFFIX: &str = "log";
/// Days of logs kept.
const KEEP_FILES: usize = 7;

/// The crates that carry the Secret Service traffic (keys and tokens on the
/// wire) never log below `warn`, whatever `CONSENT_DESK_LOG` asks: their
/// debug output could hold a secret, and the log file is kept for a week.
const SECRET_CARRIERS: &str = "zbus=warn,zvariant=warn,keyring=warn,secret_service=warn,dbus_secret_service_keyring_store=warn";

/// Installs the global subscriber. A log folder that cannot be used leaves
/// logging on stderr alone (and says so there) rather than stopping the app.
/// `quiet` (commands whose stderr a script reads) defaults to `warn`.
pub(crate) fn init(folders: &Folders, quiet: bool) {
    let asked = std::env::var("CONSENT_DESK_LOG")
        .ok()
        .unwrap_or_else(|| if quiet { "warn" } else { "info" }.to_owned());
    let directives = format!("{asked},{SECRET_CARRIERS}");
    let filter = || {
        EnvFilter::try_new(&directives)
            .unwrap_or_else(|_| EnvFilter::new(format!("info,{SECRET_CARRIERS}")))
    };
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix(LOG_SUFFIX)
        .max_log_files(KEEP_FILES)
        .build(folders.logs());
    let (file, file_problem) = match file {
        Ok(file) => (Some(file), None),
        Err(error) => (None, Some(error)),
    };
    let file_layer = file.map(|file| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(file)
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter()),
        )
        .with(file_layer)
        .try_init();
    if let Some(error) = file_problem {
        tracing::warn!(%error, folder = %folders.logs().display(), "logging to stderr only");
    }
}

/// The newest log file, the one being written to (About shows it).
#[must_use]
pub fn current_file(folders: &Folders) -> Option<std::path::PathBuf> {
    std::fs::read_dir(folders.logs())
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with(LOG_PREFIX) && name.ends_with(&format!(".{LOG_SUFFIX}"))
                })
        })
        .max()
}
