//! Private keys in the OS keyring (Secret Service on Linux, through `keyring`
//! 4). Only this module touches the keyring; everything else sees
//! [`SecretBackend`], so unit tests can use a map and the keyring tests use a
//! real gnome-keyring.

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Why the keyring could not be used, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// No Secret Service answers (no keyring daemon, no session bus).
    #[error(
        "no system keyring is available ({detail}). Start your desktop's keyring (for example \
         gnome-keyring), or keep the key in a passphrase-protected file instead"
    )]
    Unavailable {
        /// What the keyring library said.
        detail: String,
    },
    /// The keyring is locked and could not be unlocked here.
    #[error(
        "the system keyring is locked ({detail}). Unlock it (log in to your desktop session, or \
         open your keyring app) and try again, or keep the key in a passphrase-protected file"
    )]
    Locked {
        /// What the keyring library said.
        detail: String,
    },
    /// The entry does not exist.
    #[error("the key is not in the system keyring (it was removed, or stored on another machine)")]
    NotFound,
    /// Anything else.
    #[error("the system keyring failed: {detail}")]
    Failed {
        /// What the keyring library said.
        detail: String,
    },
}

/// Where secrets are kept: the system keyring, or a map in tests.
pub trait SecretBackend: Send + Sync {
    /// Stores (or replaces) a secret.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`].
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError>;
    /// Reads a secret.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`], [`KeyringError::NotFound`] if there is none.
    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<String>, KeyringError>;
    /// Deletes a secret; deleting a missing one is not an error.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`].
    fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError>;
}

/// The OS keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemKeyring;

fn classify(error: keyring::Error) -> KeyringError {
    let detail = error.to_string();
    match error {
        keyring::Error::NoEntry => KeyringError::NotFound,
        _ if detail.to_ascii_lowercase().contains("lock") => KeyringError::Locked { detail },
        keyring::Error::NoStorageAccess(_) | keyring::Error::NoDefaultStore => {
            KeyringError::Unavailable { detail }
        }
        keyring::Error::PlatformFailure(_) => KeyringError::Unavailable { detail },
        _ => KeyringError::Failed { detail },
    }
}

fn entry(service: &str, account: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(service, account).map_err(classify)
}

impl SecretBackend for SystemKeyring {
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
        entry(service, account)?
            .set_password(secret)
            .map_err(classify)
    }

    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<String>, KeyringError> {
        entry(service, account)?
            .get_password()
            .map(Zeroizing::new)
            .map_err(classify)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError> {
        match entry(service, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }
}

/// Secrets in memory, for tests that isolate everything but the keyring on
/// purpose. Never used by the app.
#[derive(Debug, Default)]
pub struct MemoryBackend(Mutex<HashMap<(String, String), Zeroizing<String>>>);

impl SecretBackend for MemoryBackend {
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                (service.into(), account.into()),
                Zeroizing::new(secret.into()),
            );
        Ok(())
    }

    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<String>, KeyringError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(service.into(), account.into()))
            .cloned()
            .ok_or(KeyringError::NotFound)
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(service.into(), account.into()));
        Ok(())
    }
}
