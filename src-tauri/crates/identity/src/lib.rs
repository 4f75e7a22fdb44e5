//! Who Consent Desk signs as: profiles (a client wallet address, a key id and
//! where the private key is), the key itself in the OS keyring or in a
//! passphrase-protected file, wallet previews and registration checks, and the
//! `consent-desk profile|key` command line. No GUI dependencies.
//!
//! The private key never leaves this crate except as a [`SigningKey`] handed
//! to the protocol client: profiles hold only the public JWK, `Debug` of keys
//! is redacted, and nothing here logs key material.
//!
//! ```no_run
//! use std::sync::Arc;
//! use consent_desk_identity::{Identities, KeySource, NewProfile, ProfileStore, Storage, SystemKeyring};
//!
//! # fn main() -> Result<(), consent_desk_identity::IdentityError> {
//! let identities = Identities::new(ProfileStore::for_user()?, Arc::new(SystemKeyring::default()));
//! let profile = identities.add(NewProfile {
//!     name: "Interledger test wallet".into(),
//!     wallet_address: "https://ilp.interledger-test.dev/me".parse().unwrap(),
//!     key_id: None,
//!     key: KeySource::Generate,
//!     storage: Storage::Keyring,
//!     allow_http_loopback: false,
//!     loopback_finish: false,
//! })?;
//! // Publish this in the wallet's developer keys:
//! println!("{}", serde_json::to_string(&profile.public_jwk).unwrap());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod folders;
pub mod key_file;
mod keyring_store;
mod profile;
pub mod wallet;

use std::path::PathBuf;
use std::sync::Arc;

use consent_desk_protocol::{KeyId, SigningKey};
use rand_core::RngCore as _;
use url::Url;
use zeroize::Zeroizing;

pub use crate::folders::{Folders, FoldersError, DATA_DIR_ENV};
pub use crate::key_file::{KdfCost, KeyFileError};
pub use crate::keyring_store::{KeyringError, MemoryBackend, SecretBackend, SystemKeyring};
pub use crate::profile::{
    KeyLocation, Profile, ProfileError, ProfileStore, Profiles, KEYRING_SERVICE, PROFILES_FILE,
    SANDBOX_PROFILE,
};
pub use crate::wallet::{Registration, WalletError, WalletPreview};

/// Any failure of a profile or key operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The profile file.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A certificate authority file that cannot be trusted (what is wrong).
    #[error("{0}")]
    CaCert(String),
    /// The system keyring.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A passphrase-protected key file.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// A key that could not be imported or a bad key id.
    #[error(transparent)]
    Key(#[from] consent_desk_protocol::KeyError),
    /// A wallet address.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The key is in a passphrase-protected file and no passphrase was given.
    #[error("the key of profile `{profile}` is protected by a passphrase; enter it to continue")]
    NeedsPassphrase {
        /// The profile id.
        profile: String,
    },
}

/// Where a new key comes from. `Debug` does not show the key.
pub enum KeySource {
    /// A new Ed25519 key.
    Generate,
    /// An existing key: PKCS#8 PEM, base64 of a PEM (as the Interledger test
    /// wallet shows it) or a raw 32-byte seed.
    Import(Zeroizing<String>),
}

/// Where to keep a new key. `Debug` does not show the passphrase.
pub enum Storage {
    /// The OS keyring.
    Keyring,
    /// A file sealed with a passphrase.
    EncryptedFile {
        /// Where the file goes.
        path: PathBuf,
        /// The passphrase (at least 8 characters).
        passphrase: Zeroizing<String>,
    },
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Generate => f.write_str("Generate"),
            Self::Import(_) => f.write_str("Import([redacted])"),
        }
    }
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keyring => f.write_str("Keyring"),
            Self::EncryptedFile { path, .. } => f
                .debug_struct("EncryptedFile")
                .field("path", path)
                .field("passphrase", &"[redacted]")
                .finish(),
        }
    }
}

/// A profile to add.
#[derive(Debug)]
pub struct NewProfile {
    /// What to call it.
    pub name: String,
    /// The client wallet address.
    pub wallet_address: Url,
    /// The key id; a new one (`consent-desk-<random>`) if absent.
    pub key_id: Option<String>,
    /// The key.
    pub key: KeySource,
    /// Where to keep it.
    pub storage: Storage,
    /// Allow `http://` to loopback hosts.
    pub allow_http_loopback: bool,
    /// Finish through a loopback listener instead of a `dev.consentdesk:` link.
    pub loopback_finish: bool,
}

/// A fresh key id: `consent-desk-` and eight random hex digits.
#[must_use]
pub fn new_key_id() -> String {
    format!("consent-desk-{:08x}", rand_core::OsRng.next_u32())
}

/// Profiles and their keys.
#[derive(Clone)]
pub struct Identities {
    store: ProfileStore,
    secrets: Arc<dyn SecretBackend>,
    cost: KdfCost,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Identities {
    /// Profiles in `store`, keys in `secrets`.
    #[must_use]
    pub fn new(store: ProfileStore, secrets: Arc<dyn SecretBackend>) -> Self {
        Self {
            store,
            secrets,
            cost: KdfCost::default(),
        }
    }

    /// Uses cheaper passphrase hashing (tests only: the file says which cost
    /// it was made with, so files stay readable).
    #[must_use]
    pub fn with_kdf_cost(mut self, cost: KdfCost) -> Self {
        self.cost = cost;
        self
    }

    /// The profile file.
    #[must_use]
    pub fn store(&self) -> &ProfileStore {
        &self.store
    }

    /// All profiles.
    ///
    /// # Errors
    ///
    /// The profile file could not be read.
    pub fn profiles(&self) -> Result<Profiles, IdentityError> {
        Ok(self.store.load()?)
    }

    /// One profile by id or name.
    ///
    /// # Errors
    ///
    /// [`ProfileError::NotFound`] or a file error.
    pub fn profile(&self, id_or_name: &str) -> Result<Profile, IdentityError> {
        self.profiles()?
            .find(id_or_name)
            .cloned()
            .ok_or_else(|| ProfileError::NotFound(id_or_name.to_owned()).into())
    }

    fn make_key(source: KeySource) -> Result<SigningKey, IdentityError> {
        Ok(match source {
            KeySource::Generate => SigningKey::generate(),
            KeySource::Import(text) => SigningKey::import(&text)?,
        })
    }

    /// Stores `key` where `storage` says, for profile `id`.
    fn keep(
        &self,
        id: &str,
        key: &SigningKey,
        key_id: &str,
        storage: Storage,
    ) -> Result<KeyLocation, IdentityError> {
        match storage {
            Storage::Keyring => {
                let location = KeyLocation::keyring_for(id);
                if let KeyLocation::Keyring { service, account } = &location {
                    self.secrets.set(service, account, &key.to_pkcs8_pem())?;
                }
                Ok(location)
            }
            Storage::EncryptedFile { path, passphrase } => {
                key_file::write(&path, key, key_id, &passphrase, self.cost)?;
                Ok(KeyLocation::EncryptedFile { path })
            }
        }
    }

    fn forget(&self, location: &KeyLocation) -> Result<(), IdentityError> {
        match location {
            KeyLocation::Keyring { service, account } => {
                Ok(self.secrets.delete(service, account)?)
            }
            KeyLocation::EncryptedFile { path } => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(KeyFileError::Io {
                    path: path.display().to_string(),
                    action: "removed",
                    source,
                }
                .into()),
            },
        }
    }

    /// Adds a profile: makes or imports the key, stores it, then records the
    /// profile (the very first one becomes the one in use). If recording fails, the stored
    /// key is removed again.
    ///
    /// # Errors
    ///
    /// A name in use, a bad key or key id, or the key could not be stored.
    pub fn add(&self, new: NewProfile) -> Result<Profile, IdentityError> {
        let existing = self.profiles()?;
        if existing.find(&new.name).is_some() {
            return Err(ProfileError::Exists(new.name).into());
        }
        let id = existing.new_id(&new.name);
        let key_id = KeyId::new(new.key_id.unwrap_or_else(new_key_id))?;
        let key = Self::make_key(new.key)?;
        let location = self.keep(&id, &key, key_id.as_str(), new.storage)?;
        let profile = Profile {
            id: id.clone(),
            name: new.name.trim().to_owned(),
            wallet_address: new.wallet_address,
            key_id: key_id.as_str().to_owned(),
            public_jwk: key.public_jwk(&key_id),
            key: location.clone(),
            allow_http_loopback: new.allow_http_loopback,
            sandbox: false,
            loopback_finish: new.loopback_finish,
            ca_cert: None,
            client_form: consent_desk_protocol::ClientForm::default(),
            created_at: now(),
        };
        let recorded = self.store.update(|profiles| {
            if profiles.find(&profile.name).is_some() {
                return Err(ProfileError::Exists(profile.name.clone()));
            }
            // The very first profile is the one in use (a fresh command line
            // setup); otherwise using one is an explicit choice.
            if profiles.profiles.is_empty() {
                profiles.active = Some(id.clone());
            }
            profiles.profiles.push(profile.clone());
            Ok(())
        });
        if let Err(error) = recorded {
            let _ = self.forget(&location);
            return Err(error.into());
        }
        tracing::info!(profile = %profile.id, store = %profile.key.describe(), "profile added");
        Ok(profile)
    }

    /// Removes a profile and its key. The key goes first: if it cannot be
    /// deleted (a locked keyring), the profile stays, so no secret is orphaned.
    ///
    /// # Errors
    ///
    /// Unknown profile, the built-in sandbox profile, or the key could not be
    /// deleted.
    pub fn remove(&self, id_or_name: &str) -> Result<Profile, IdentityError> {
        let profile = self.profile(id_or_name)?;
        if profile.sandbox {
            return Err(ProfileError::BuiltIn.into());
        }
        self.forget(&profile.key)?;
        self.store.update(|profiles| {
            profiles.profiles.retain(|p| p.id != profile.id);
            if profiles.active.as_deref() == Some(profile.id.as_str()) {
                profiles.active = profiles.profiles.first().map(|p| p.id.clone());
            }
            Ok(())
        })?;
        tracing::info!(profile = %profile.id, "profile removed");
        Ok(profile)
    }

    /// Makes a profile the one in use.
    ///
    /// # Errors
    ///
    /// Unknown profile or a file error.
    pub fn use_profile(&self, id_or_name: &str) -> Result<Profile, IdentityError> {
        let profile = self.profile(id_or_name)?;
        self.store.update(|profiles| {
            profiles.active = Some(profile.id.clone());
            Ok(())
        })?;
        Ok(profile)
    }

    /// Sets where the wallet sends the person back after consent: a loopback
    /// address on this machine (`true`, for wallets that refuse custom
    /// schemes) or the app's link scheme.
    ///
    /// # Errors
    ///
    /// Unknown profile or a file error.
    pub fn set_loopback_finish(
        &self,
        id_or_name: &str,
        on: bool,
    ) -> Result<Profile, IdentityError> {
        let id = self.profile(id_or_name)?.id;
        self.change(&id, |profile| profile.loopback_finish = on)
    }

    /// Which form of `client` the profile's grant requests carry.
    ///
    /// # Errors
    ///
    /// No such profile, or the profile file could not be written.
    pub fn set_client_form(
        &self,
        id_or_name: &str,
        form: consent_desk_protocol::ClientForm,
    ) -> Result<Profile, IdentityError> {
        let id = self.profile(id_or_name)?.id;
        self.change(&id, |profile| profile.client_form = form)
    }

    /// Trusts the certificate authority in the PEM file at `path` for this
    /// profile's requests (besides the built-in roots), or no extra one with
    /// `None`. The file is read and checked now; its absolute path is kept.
    ///
    /// # Errors
    ///
    /// [`IdentityError::CaCert`] for a file that is not a PEM certificate,
    /// unknown profile or a file error.
    pub fn set_ca_cert(
        &self,
        id_or_name: &str,
        path: Option<&std::path::Path>,
    ) -> Result<Profile, IdentityError> {
        let id = self.profile(id_or_name)?.id;
        let path = path
            .map(|path| {
                consent_desk_protocol::read_ca_file(path)
                    .map_err(|error| IdentityError::CaCert(error.to_string()))?;
                std::path::absolute(path).map_err(|error| {
                    IdentityError::CaCert(format!("{} has no full path ({error})", path.display()))
                })
            })
            .transpose()?;
        self.change(&id, |profile| profile.ca_cert = path)
    }

    /// Changes one stored profile (by id) in a single update of the file.
    fn change(&self, id: &str, edit: impl FnOnce(&mut Profile)) -> Result<Profile, IdentityError> {
        let changed = self.store.update(|profiles| {
            let profile = profiles
                .profiles
                .iter_mut()
                .find(|p| p.id == id)
                .ok_or_else(|| ProfileError::NotFound(id.to_owned()))?;
            edit(profile);
            Ok(profile.clone())
        })?;
        Ok(changed)
    }

    /// The profile's private key.
    ///
    /// # Errors
    ///
    /// The keyring or key file could not give it;
    /// [`IdentityError::NeedsPassphrase`] for a key file without a passphrase.
    pub fn load_key(
        &self,
        profile: &Profile,
        passphrase: Option<&str>,
    ) -> Result<SigningKey, IdentityError> {
        match &profile.key {
            KeyLocation::Keyring { service, account } => {
                let pem = self.secrets.get(service, account)?;
                Ok(SigningKey::from_pkcs8_pem(&pem)?)
            }
            KeyLocation::EncryptedFile { path } => {
                let passphrase = passphrase.ok_or_else(|| IdentityError::NeedsPassphrase {
                    profile: profile.id.clone(),
                })?;
                Ok(key_file::read(path, passphrase)?.0)
            }
        }
    }

    /// Replaces a profile's key (new or imported), keeping where it is stored.
    ///
    /// # Errors
    ///
    /// Unknown profile, a bad key, or the key could not be stored.
    pub fn replace_key(
        &self,
        id_or_name: &str,
        source: KeySource,
        key_id: Option<String>,
        passphrase: Option<Zeroizing<String>>,
    ) -> Result<Profile, IdentityError> {
        let mut profile = self.profile(id_or_name)?;
        let key_id = KeyId::new(key_id.unwrap_or_else(|| profile.key_id.clone()))?;
        let key = Self::make_key(source)?;
        let storage = match &profile.key {
            KeyLocation::Keyring { .. } => Storage::Keyring,
            KeyLocation::EncryptedFile { path } => {
                let passphrase = passphrase.ok_or_else(|| IdentityError::NeedsPassphrase {
                    profile: profile.id.clone(),
                })?;
                // Only whoever can open the current file may replace its key.
                key_file::read(path, &passphrase)?;
                Storage::EncryptedFile {
                    path: path.clone(),
                    passphrase,
                }
            }
        };
        profile.key = self.keep(&profile.id, &key, key_id.as_str(), storage)?;
        profile.key_id = key_id.as_str().to_owned();
        profile.public_jwk = key.public_jwk(&key_id);
        let saved = profile.clone();
        self.store.update(|profiles| {
            if let Some(slot) = profiles.profiles.iter_mut().find(|p| p.id == saved.id) {
                *slot = saved.clone();
            }
            Ok(())
        })?;
        Ok(profile)
    }

    /// The built-in sandbox profile and its key, for the sandbox wallet at
    /// `wallet_address`: made (key generated, kept in the keyring) on first
    /// use, its address updated if the sandbox moved, its key regenerated if
    /// the keyring lost it.
    ///
    /// # Errors
    ///
    /// The keyring is unavailable or locked, or the profile file failed.
    pub fn ensure_sandbox(
        &self,
        wallet_address: &Url,
    ) -> Result<(Profile, SigningKey), IdentityError> {
        let existing = self.profiles()?.find(SANDBOX_PROFILE).cloned();
        let key_id = KeyId::new("consent-desk-sandbox")?;
        let (mut profile, key) = match existing {
            Some(profile) => match self.load_key(&profile, None) {
                Ok(key) => (profile, key),
                Err(IdentityError::Keyring(KeyringError::NotFound)) => {
                    let key = SigningKey::generate();
                    self.keep(SANDBOX_PROFILE, &key, key_id.as_str(), Storage::Keyring)?;
                    let profile = Profile {
                        public_jwk: key.public_jwk(&key_id),
                        ..profile
                    };
                    (profile, key)
                }
                Err(error) => return Err(error),
            },
            None => {
                let key = SigningKey::generate();
                let key_location =
                    self.keep(SANDBOX_PROFILE, &key, key_id.as_str(), Storage::Keyring)?;
                let profile = Profile {
                    id: SANDBOX_PROFILE.to_owned(),
                    name: "Sandbox".to_owned(),
                    wallet_address: wallet_address.clone(),
                    key_id: key_id.as_str().to_owned(),
                    public_jwk: key.public_jwk(&key_id),
                    key: key_location,
                    allow_http_loopback: true,
                    sandbox: true,
                    loopback_finish: false,
                    ca_cert: None,
                    client_form: consent_desk_protocol::ClientForm::default(),
                    created_at: now(),
                };
                (profile, key)
            }
        };
        profile.wallet_address = wallet_address.clone();
        let saved = profile.clone();
        self.store.update(|profiles| {
            match profiles
                .profiles
                .iter_mut()
                .find(|p| p.id == SANDBOX_PROFILE)
            {
                Some(slot) => *slot = saved.clone(),
                None => profiles.profiles.insert(0, saved.clone()),
            }
            Ok(())
        })?;
        Ok((profile, key))
    }
}

#[cfg(test)]
mod tests;
