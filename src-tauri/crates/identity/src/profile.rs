//! Profiles: who the app signs as. One JSON file in the config folder,
//! written atomically (a temporary file in the same folder, synced, renamed
//! over the old one), so a crash or a full disk leaves the previous file whole.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use consent_desk_protocol::Jwk;
use serde::{Deserialize, Serialize};
use url::Url;

/// The file's name in the config folder.
pub const PROFILES_FILE: &str = "profiles.json";
/// The keyring service name of every key this app stores.
pub const KEYRING_SERVICE: &str = "dev.consentdesk.client";
/// The id of the built-in profile for the sandbox wallet.
pub const SANDBOX_PROFILE: &str = "sandbox";

/// Where a profile's private key is kept. Never in the profile file itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "store", rename_all = "kebab-case")]
pub enum KeyLocation {
    /// The OS keyring (Secret Service on Linux).
    Keyring {
        /// The keyring entry's service.
        service: String,
        /// The keyring entry's user.
        account: String,
    },
    /// A key file sealed with a passphrase ([`crate::key_file`]).
    EncryptedFile {
        /// The file.
        path: PathBuf,
    },
}

impl KeyLocation {
    /// The keyring entry for profile `id`.
    #[must_use]
    pub fn keyring_for(id: &str) -> Self {
        Self::Keyring {
            service: KEYRING_SERVICE.to_owned(),
            account: format!("profile:{id}"),
        }
    }

    /// Words for a person: "the system keyring" or "an encrypted file (…)".
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Keyring { .. } => "the system keyring".to_owned(),
            Self::EncryptedFile { path } => {
                format!("a passphrase-protected file ({})", path.display())
            }
        }
    }
}

/// A client identity: a wallet address the person controls and the key
/// published in its `jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Stable id, lowercase: `sandbox`, `interledger-test-wallet`.
    pub id: String,
    /// What the person called it.
    pub name: String,
    /// The client wallet address (`client` in grant requests). For the sandbox
    /// profile, the address at the time it was written; the app uses the
    /// running sandbox's.
    pub wallet_address: Url,
    /// The `kid` the key is published under.
    pub key_id: String,
    /// The public half, kept here so showing it never needs the keyring.
    pub public_jwk: Jwk,
    /// Where the private key is.
    pub key: KeyLocation,
    /// Allow `http://` to loopback hosts (local development wallets only).
    #[serde(default)]
    pub allow_http_loopback: bool,
    /// The built-in sandbox profile.
    #[serde(default)]
    pub sandbox: bool,
    /// Have wallets send the browser back to `http://127.0.0.1:<port>/…`
    /// (RFC 8252 §7.3) instead of a `dev.consentdesk:` link, for wallets
    /// that refuse custom URI schemes.
    #[serde(default)]
    pub loopback_finish: bool,
    /// A certificate authority's certificate (PEM file) trusted besides the
    /// built-in roots, for wallets behind a private CA.
    #[serde(default)]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Which form of `client` grant requests carry: the deprecated string
    /// (the default, which every deployed server accepts) or
    /// `{"walletAddress": …}`.
    #[serde(default)]
    pub client_form: consent_desk_protocol::ClientForm,
    /// RFC 3339.
    pub created_at: String,
}

/// The profile file's content.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profiles {
    /// Format version.
    #[serde(default = "one")]
    pub version: u32,
    /// The id of the profile in use.
    #[serde(default)]
    pub active: Option<String>,
    /// All profiles, in the order they were added.
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

fn one() -> u32 {
    1
}

impl Profiles {
    /// The profile with this id or name (case-insensitive).
    #[must_use]
    pub fn find(&self, id_or_name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.id == id_or_name || p.name.eq_ignore_ascii_case(id_or_name))
    }

    /// The profile in use.
    #[must_use]
    pub fn active(&self) -> Option<&Profile> {
        self.active.as_deref().and_then(|id| self.find(id))
    }

    /// A free id for a new profile called `name`.
    #[must_use]
    pub fn new_id(&self, name: &str) -> String {
        let base: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let base = if base.is_empty() {
            "profile".to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while self.profiles.iter().any(|p| p.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// Why the profile file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// Reading or writing failed.
    #[error("the profile file {path} could not be {action}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// "read" or "written".
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error(
        "the profile file {path} is damaged ({source}); fix it or move it away, and the app \
         starts with the sandbox profile again"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// No such profile.
    #[error("there is no profile `{0}`; `consent-desk profile list` shows them")]
    NotFound(String),
    /// A profile with that name exists.
    #[error("a profile named `{0}` already exists; choose another name or remove it first")]
    Exists(String),
    /// The built-in sandbox profile cannot be removed.
    #[error("the sandbox profile is built in and cannot be removed")]
    BuiltIn,
    /// No config folder could be found.
    #[error("no settings folder was found for this user (is HOME set?)")]
    NoConfigDir,
}

/// The profile file.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// The store in `dir` (the file is `dir/profiles.json`).
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(PROFILES_FILE),
        }
    }

    /// The store in the app's settings folder: the data folder chosen with
    /// `--data-dir`, else this user's (`$XDG_CONFIG_HOME/dev.consentdesk.client`,
    /// the folder Tauri uses too). See [`crate::Folders`].
    ///
    /// # Errors
    ///
    /// [`ProfileError::NoConfigDir`].
    pub fn for_user() -> Result<Self, ProfileError> {
        let folders = crate::Folders::resolve().map_err(|_| ProfileError::NoConfigDir)?;
        Ok(Self::in_dir(folders.config()))
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the profiles; a missing file is an empty set.
    ///
    /// # Errors
    ///
    /// The file could not be read or is damaged.
    pub fn load(&self) -> Result<Profiles, ProfileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Profiles {
                    version: 1,
                    ..Profiles::default()
                })
            }
            Err(source) => {
                return Err(ProfileError::Io {
                    path: self.path.clone(),
                    action: "read",
                    source,
                })
            }
        };
        serde_json::from_str(&text).map_err(|source| ProfileError::Damaged {
            path: self.path.clone(),
            source,
        })
    }

    /// Writes the profiles atomically.
    ///
    /// # Errors
    ///
    /// The folder or file could not be written (the old file is then intact).
    pub fn save(&self, profiles: &Profiles) -> Result<(), ProfileError> {
        let text =
            serde_json::to_string_pretty(profiles).map_err(|source| ProfileError::Damaged {
                path: self.path.clone(),
                source,
            })?;
        write_atomically(&self.path, text.as_bytes()).map_err(|source| ProfileError::Io {
            path: self.path.clone(),
            action: "written",
            source,
        })
    }

    /// Loads, changes and saves in one step.
    ///
    /// # Errors
    ///
    /// From `load`, `change` or `save`.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Profiles) -> Result<T, ProfileError>,
    ) -> Result<T, ProfileError> {
        let mut profiles = self.load()?;
        let result = change(&mut profiles)?;
        self.save(&profiles)?;
        Ok(result)
    }
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename is durable once the folder is synced.
        std::fs::File::open(dir).and_then(|d| d.sync_all())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: &str) -> Profile {
        Profile {
            id: id.to_owned(),
            name: id.to_owned(),
            wallet_address: Url::parse("https://wallet.example/me").unwrap(),
            key_id: "k1".to_owned(),
            public_jwk: consent_desk_protocol::SigningKey::generate()
                .public_jwk(&consent_desk_protocol::KeyId::new("k1").unwrap()),
            key: KeyLocation::keyring_for(id),
            allow_http_loopback: false,
            sandbox: false,
            loopback_finish: false,
            ca_cert: None,
            client_form: consent_desk_protocol::ClientForm::default(),
            created_at: "2026-11-25T00:00:00Z".to_owned(),
        }
    }

    #[test]
    fn round_trips_and_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::in_dir(&dir.path().join("nested"));
        assert!(store.load().unwrap().profiles.is_empty());
        let profiles = Profiles {
            version: 1,
            active: Some("a".into()),
            profiles: vec![profile("a")],
        };
        store.save(&profiles).unwrap();
        assert_eq!(store.load().unwrap(), profiles);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(PROFILES_FILE)]);
    }

    #[test]
    fn damaged_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::in_dir(dir.path());
        std::fs::write(store.path(), "{not json").unwrap();
        let error = store.load().unwrap_err();
        assert!(error.to_string().contains("damaged"), "{error}");
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), "{not json");
    }

    #[test]
    fn ids_are_slugs_and_unique() {
        let profiles = Profiles {
            version: 1,
            active: None,
            profiles: vec![profile("local-rafiki")],
        };
        assert_eq!(
            profiles.new_id("Interledger test wallet"),
            "interledger-test-wallet"
        );
        assert_eq!(profiles.new_id("Local  Rafiki!"), "local-rafiki-2");
        assert_eq!(profiles.new_id("***"), "profile");
        assert!(profiles.find("LOCAL-RAFIKI").is_some());
    }
}
