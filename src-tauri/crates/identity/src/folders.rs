//! Where Consent Desk keeps its state: profiles, the grant store, the sandbox
//! wallet's data and the logs, and which keyring entries are its own.
//!
//! By default the folders are the user's (the same ones Tauri uses:
//! `$XDG_CONFIG_HOME/dev.consentdesk.client`, `$XDG_DATA_HOME/dev.consentdesk.client`,
//! its `logs/`). `consent-desk --data-dir DIR` (or `CONSENT_DESK_DATA_DIR`)
//! puts everything in `DIR` instead and namespaces the keyring entries by that
//! folder, so two instances with different data folders run side by side and
//! never read or overwrite each other's keys and tokens.
//!
//! ```no_run
//! use consent_desk_identity::Folders;
//!
//! let folders = Folders::in_dir("/tmp/qa-run-1");
//! folders.ensure().expect("a folder I can write to");
//! assert_eq!(folders.config(), folders.data());
//! let keyring = folders.keyring(); // entries as `dev.consentdesk.client@/tmp/qa-run-1`
//! # let _ = keyring;
//! ```

use std::path::{Path, PathBuf};

use crate::{SystemKeyring, KEYRING_SERVICE};

/// The environment variable behind `--data-dir`. The binary sets it from the
/// flag, so every part of the app (GUI, CLI, sandbox) sees one answer.
pub const DATA_DIR_ENV: &str = "CONSENT_DESK_DATA_DIR";

/// The app's folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    config: PathBuf,
    data: PathBuf,
    logs: PathBuf,
    /// Set for a chosen data folder: it namespaces the keyring entries and the
    /// single-instance name.
    chosen: Option<PathBuf>,
}

/// Why the folders cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FoldersError {
    /// Neither a data folder was chosen nor a home folder found.
    #[error("Consent Desk found no folder for its data: HOME is not set. Set HOME, or choose a folder with --data-dir DIR.")]
    NoHome,
    /// A folder could not be made or written.
    #[error("Consent Desk cannot write to {}: {reason}. Choose a folder you can write to with --data-dir DIR, or fix its permissions.", path.display())]
    NotWritable {
        /// The folder.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
}

impl Folders {
    /// Everything in `dir` (profiles, `grants.sqlite3`, `sandbox/`, `logs/`).
    #[must_use]
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = absolute(dir.as_ref());
        Self {
            config: dir.clone(),
            data: dir.clone(),
            logs: dir.join("logs"),
            chosen: Some(dir),
        }
    }

    /// This user's folders, the ones Tauri uses for the app's identifier.
    ///
    /// # Errors
    ///
    /// [`FoldersError::NoHome`].
    pub fn for_user() -> Result<Self, FoldersError> {
        let dirs = directories::BaseDirs::new().ok_or(FoldersError::NoHome)?;
        Ok(Self {
            config: dirs.config_dir().join(KEYRING_SERVICE),
            data: dirs.data_dir().join(KEYRING_SERVICE),
            logs: dirs.data_local_dir().join(KEYRING_SERVICE).join("logs"),
            chosen: None,
        })
    }

    /// The folder chosen with `--data-dir` ([`DATA_DIR_ENV`]), else the
    /// user's.
    ///
    /// # Errors
    ///
    /// [`FoldersError::NoHome`].
    pub fn resolve() -> Result<Self, FoldersError> {
        match std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty()) {
            Some(dir) => Ok(Self::in_dir(PathBuf::from(dir))),
            None => Self::for_user(),
        }
    }

    /// These folders with the settings (`profiles.json`) in `dir` instead:
    /// the command line's `--config-dir`. The data, logs and keyring
    /// namespace stay.
    #[must_use]
    pub fn with_config(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config = dir.into();
        self
    }

    /// Settings: `profiles.json`.
    #[must_use]
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// Data: `grants.sqlite3` and the sandbox wallet's folder.
    #[must_use]
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The sandbox wallet's state.
    #[must_use]
    pub fn sandbox(&self) -> PathBuf {
        self.data.join("sandbox")
    }

    /// The webviews' own storage (cookies, caches) for a chosen data folder;
    /// `None` leaves it where Tauri keeps it for the user.
    #[must_use]
    pub fn webview(&self) -> Option<PathBuf> {
        self.chosen.as_ref().map(|dir| dir.join("webview"))
    }

    /// Log files.
    #[must_use]
    pub fn logs(&self) -> &Path {
        &self.logs
    }

    /// The data folder given with `--data-dir`, if one was.
    #[must_use]
    pub fn chosen(&self) -> Option<&Path> {
        self.chosen.as_deref()
    }

    /// The keyring, with entries namespaced by a chosen data folder.
    #[must_use]
    pub fn keyring(&self) -> SystemKeyring {
        match &self.chosen {
            Some(dir) => SystemKeyring::namespaced(dir.display().to_string()),
            None => SystemKeyring::default(),
        }
    }

    /// A name unique to a chosen data folder, usable in a D-Bus name
    /// (`data_` and 16 hex digits of a hash of the path); `None` for the
    /// user's folders.
    #[must_use]
    pub fn instance_tag(&self) -> Option<String> {
        // FNV-1a: stable across builds and Rust versions (unlike `DefaultHasher`),
        // and a collision only means two QA folders share one instance.
        self.chosen.as_ref().map(|dir| {
            let hash = dir
                .as_os_str()
                .as_encoded_bytes()
                .iter()
                .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                    (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
                });
            format!("data_{hash:016x}")
        })
    }

    /// Makes every folder (only the person can enter them: 0700 on Unix) and
    /// checks that each can be written, before anything is written to them.
    ///
    /// # Errors
    ///
    /// [`FoldersError::NotWritable`] naming the folder and the reason.
    pub fn ensure(&self) -> Result<(), FoldersError> {
        for dir in [&self.config, &self.data, &self.logs] {
            make_private_dir(dir).map_err(|error| not_writable(dir, &error))?;
            // Folders an older version made 0755 become private too.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(|error| not_writable(dir, &error))?;
            }
            probe(dir).map_err(|error| not_writable(dir, &error))?;
        }
        Ok(())
    }
}

/// The folder's canonical path once it exists (symlinks and `..` resolved),
/// else its absolute path without `.` or a trailing slash: one folder gets
/// one name, so one keyring namespace and one instance.
fn absolute(dir: &Path) -> PathBuf {
    if let Ok(canonical) = std::fs::canonicalize(dir) {
        return canonical;
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let mut path = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                path.pop();
            }
            std::path::Component::CurDir => {}
            part => path.push(part),
        }
    }
    path
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates and removes a file: a folder can exist and still refuse writes
/// (read-only mount, another owner, a full disk).
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(format!(".consent-desk-write-check-{}", std::process::id()));
    let written = std::fs::write(&path, b"");
    let _ = std::fs::remove_file(&path);
    written
}

fn not_writable(dir: &Path, error: &std::io::Error) -> FoldersError {
    let reason = match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_owned(),
        std::io::ErrorKind::StorageFull => "the disk is full".to_owned(),
        std::io::ErrorKind::NotFound => "it cannot be made there".to_owned(),
        std::io::ErrorKind::NotADirectory | std::io::ErrorKind::AlreadyExists => {
            "a file is in the way where a folder should be".to_owned()
        }
        _ => error.to_string(),
    };
    FoldersError::NotWritable {
        path: dir.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_folder_holds_everything_and_namespaces_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let folders = Folders::in_dir(dir.path());
        assert_eq!(folders.config(), dir.path());
        assert_eq!(folders.data(), dir.path());
        assert_eq!(folders.logs(), dir.path().join("logs"));
        assert_eq!(folders.sandbox(), dir.path().join("sandbox"));
        assert_eq!(
            folders.keyring().service_name(KEYRING_SERVICE),
            format!("{KEYRING_SERVICE}@{}", dir.path().display())
        );
        let other = Folders::in_dir(dir.path().join("other"));
        assert_ne!(folders.instance_tag(), other.instance_tag());
        let tag = folders.instance_tag().unwrap();
        assert!(tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn the_users_folders_share_the_plain_keyring() {
        let folders = Folders::for_user().unwrap();
        assert_eq!(
            folders.keyring().service_name(KEYRING_SERVICE),
            KEYRING_SERVICE
        );
        assert_eq!(folders.instance_tag(), None);
    }

    #[test]
    fn one_folder_has_one_name() {
        let dir = tempfile::tempdir().unwrap();
        let plain = Folders::in_dir(dir.path());
        let slash = Folders::in_dir(format!("{}/", dir.path().display()));
        let dotted = Folders::in_dir(dir.path().join("x/.."));
        assert_eq!(plain.instance_tag(), slash.instance_tag());
        assert_eq!(plain.instance_tag(), dotted.instance_tag());
        assert_eq!(
            plain.keyring().service_name(KEYRING_SERVICE),
            dotted.keyring().service_name(KEYRING_SERVICE)
        );
    }

    #[cfg(unix)]
    #[test]
    fn ensure_makes_an_open_folder_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Folders::in_dir(dir.path()).ensure().unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn ensure_makes_private_folders() {
        let dir = tempfile::tempdir().unwrap();
        let folders = Folders::in_dir(dir.path().join("new"));
        folders.ensure().unwrap();
        assert!(folders.logs().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(folders.data())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // Nothing but the folders is left behind.
        let entries: Vec<_> = std::fs::read_dir(folders.data())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("logs")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_that_cannot_be_written_is_named_with_the_reason() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        // A regular file where the folder should be fails even for root,
        // which ignores permission bits.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, b"").unwrap();
        let error = Folders::in_dir(blocked.join("data")).ensure().unwrap_err();
        let words = error.to_string();
        assert!(
            words.contains(&blocked.join("data").display().to_string()),
            "{words}"
        );
        assert!(words.contains("--data-dir"), "{words}");
        // Nothing was made beside it.
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1);
        let _ = std::fs::set_permissions(&blocked, std::fs::Permissions::from_mode(0o600));
    }
}
