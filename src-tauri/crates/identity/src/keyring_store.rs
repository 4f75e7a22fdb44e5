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
///
/// Every call runs on its own thread with a deadline: a Secret Service that
/// stops answering would otherwise block forever (zbus calls have no
/// timeout). The deadline is long enough for a person to type their keyring
/// password into the desktop's unlock prompt; `CONSENT_DESK_KEYRING_TIMEOUT`
/// (seconds) changes it, for tests and QA.
///
/// A namespaced keyring ([`SystemKeyring::namespaced`], what `--data-dir`
/// gives) stores every entry under `<service>@<namespace>`, so instances with
/// different data folders keep apart keys and tokens of the same names.
#[derive(Debug, Clone, Default)]
pub struct SystemKeyring {
    namespace: Option<String>,
}

impl SystemKeyring {
    /// Entries under `<service>@<namespace>`.
    #[must_use]
    pub fn namespaced(namespace: impl Into<String>) -> Self {
        Self {
            namespace: Some(namespace.into()),
        }
    }

    /// The keyring service an entry of `service` is stored under.
    #[must_use]
    pub fn service_name(&self, service: &str) -> String {
        match &self.namespace {
            Some(namespace) => format!("{service}@{namespace}"),
            None => service.to_owned(),
        }
    }
}

const DEFAULT_TIMEOUT_SECS: u64 = 60;

fn timeout() -> std::time::Duration {
    let seconds = std::env::var("CONSENT_DESK_KEYRING_TIMEOUT")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    std::time::Duration::from_secs(seconds)
}

fn classify(error: keyring::Error) -> KeyringError {
    let detail = match &error {
        // keyring 4 sets its store up once per process; when that failed,
        // every call says only "no default store": report the real cause.
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(cause) => cause.to_string(),
            Ok(()) => error.to_string(),
        },
        _ => error.to_string(),
    };
    match error {
        keyring::Error::NoEntry => KeyringError::NotFound,
        // A locked collection whose unlock prompt could not be shown or was
        // dismissed (also while the store opens its collection).
        _ if detail.contains("prompt") || detail.contains("locked") => {
            KeyringError::Locked { detail }
        }
        keyring::Error::NoDefaultStore
        | keyring::Error::NoStorageAccess(_)
        | keyring::Error::PlatformFailure(_) => KeyringError::Unavailable { detail },
        _ => KeyringError::Failed { detail },
    }
}

/// Runs one keyring call on a thread of its own, with the deadline.
fn call<T: Send + 'static>(
    service: &str,
    account: &str,
    operation: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
) -> Result<T, KeyringError> {
    let (service, account) = (service.to_owned(), account.to_owned());
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let result = keyring::Entry::new(&service, &account)
                .and_then(|entry| operation(&entry))
                .map_err(classify);
            let _ = send.send(result);
        })
        .map_err(|error| KeyringError::Failed {
            detail: error.to_string(),
        })?;
    let limit = timeout();
    match receive.recv_timeout(limit) {
        Ok(result) => result,
        // The thread is left behind; it ends when the service answers or the
        // process exits.
        Err(_) => Err(KeyringError::Unavailable {
            detail: format!(
                "the keyring service did not answer within {} s",
                limit.as_secs()
            ),
        }),
    }
}

impl SecretBackend for SystemKeyring {
    fn set(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
        let secret = Zeroizing::new(secret.to_owned());
        call(&self.service_name(service), account, move |entry| {
            entry.set_password(&secret)
        })
    }

    fn get(&self, service: &str, account: &str) -> Result<Zeroizing<String>, KeyringError> {
        call(&self.service_name(service), account, |entry| {
            entry.get_password().map(Zeroizing::new)
        })
    }

    fn delete(&self, service: &str, account: &str) -> Result<(), KeyringError> {
        match call(&self.service_name(service), account, |entry| {
            entry.delete_credential()
        }) {
            Ok(()) | Err(KeyringError::NotFound) => Ok(()),
            Err(error) => Err(error),
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
