//! Who the app signs as: the profile store and keyring from
//! `consent-desk-identity`, the sandbox profile wired to the in-process
//! sandbox wallet (its key published at `…/consent-desk`), keys opened with
//! a passphrase kept for the rest of the run, and a signing client per
//! profile built from them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use consent_desk_identity::{Identities, IdentityError, KeyringError, Profile, ProfileStore};
use consent_desk_protocol::{Client, Observer};
use consent_desk_protocol::{KeyId, SigningKey};
use consent_desk_sandbox::RunningSandbox;

use crate::FlowError;

/// The sandbox wallet's client wallet address for this app.
pub const SANDBOX_CLIENT: &str = "consent-desk";

/// Profiles, and what became of the sandbox profile at start.
pub struct Keys {
    /// The profile store and the keyring.
    pub identities: Identities,
    /// Why the keyring cannot be used, if it cannot.
    keyring_problem: Mutex<Option<String>>,
    /// The sandbox key when the keyring could not keep it: memory only.
    ephemeral_sandbox: Mutex<Option<(Profile, Arc<SigningKey>)>>,
    /// Keys of passphrase-file profiles opened in this run, by profile id.
    unlocked: Mutex<std::collections::HashMap<String, SigningKey>>,
    /// Certificate authorities every client of this run trusts besides the
    /// profile's own (the command line's `--ca-cert`).
    also_trusted: Mutex<Vec<PathBuf>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl Keys {
    /// Why the keyring cannot be used, if it cannot.
    #[must_use]
    pub fn keyring_problem(&self) -> Option<String> {
        self.keyring_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the key of `profile` was opened with its passphrase in this run.
    #[must_use]
    pub fn is_unlocked(&self, profile: &str) -> bool {
        self.unlocked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(profile)
    }

    /// Trusts the certificate authority in `ca` (a PEM file) for every
    /// client built from now on in this run, besides each profile's own: a
    /// command line's `--ca-cert`, which is for that command only.
    pub fn also_trust(&self, ca: PathBuf) {
        self.also_trusted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ca);
    }

    /// Records what a keyring call said about the keyring.
    pub fn note_keyring(&self, result: &Result<(), &IdentityError>) {
        let problem = match result {
            Err(IdentityError::Keyring(
                error @ (KeyringError::Unavailable { .. } | KeyringError::Locked { .. }),
            )) => Some(error.to_string()),
            Err(_) => return,
            Ok(()) => None,
        };
        *self
            .keyring_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = problem;
    }

    /// A copy of a passphrase-file key opened earlier in this run.
    pub fn unlocked_key(&self, profile: &str) -> Option<SigningKey> {
        let unlocked = self.unlocked.lock().unwrap_or_else(PoisonError::into_inner);
        let key = unlocked.get(profile)?;
        SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).ok()
    }

    /// Keeps an opened key in memory for the rest of this run, so a finish
    /// arriving later can sign without asking again.
    pub fn keep_unlocked(&self, profile: &str, key: &SigningKey) {
        if let Ok(copy) = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()) {
            self.unlocked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(profile.to_owned(), copy);
        }
    }

    /// The memory-only sandbox profile and a copy of its key, when there is one.
    pub fn ephemeral_sandbox_key(&self) -> Option<(Profile, SigningKey)> {
        let guard = self
            .ephemeral_sandbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (profile, key) = guard.as_ref()?;
        // Keys are not Clone on purpose; a copy goes through PKCS#8.
        let copy = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).ok()?;
        Some((profile.clone(), copy))
    }

    /// The profile `id`, the memory-only sandbox profile included.
    ///
    /// # Errors
    ///
    /// No such profile, or the profiles file could not be read.
    pub fn profile(&self, id: &str) -> Result<Profile, IdentityError> {
        match self.ephemeral_sandbox().filter(|p| p.id == id) {
            Some(profile) => Ok(profile),
            None => self.identities.profile(id),
        }
    }

    /// A signing client for profile `id`; a key in a passphrase file is
    /// opened with `passphrase` once and then kept in memory until the app
    /// closes. Every request it makes goes to `observer` (the activity log).
    ///
    /// # Errors
    ///
    /// No such profile, a key that cannot be opened, a bad CA file.
    pub fn client(
        &self,
        id: &str,
        passphrase: Option<&str>,
        observer: Option<Observer>,
    ) -> Result<Client, FlowError> {
        let (profile, key) = match self.ephemeral_sandbox_key().filter(|(p, _)| p.id == id) {
            Some(found) => found,
            None => {
                let profile = self.identities.profile(id).map_err(FlowError::Identity)?;
                let key = match (self.unlocked_key(id), passphrase) {
                    (Some(key), None) => key,
                    _ => {
                        let key = self
                            .identities
                            .load_key(&profile, passphrase)
                            .map_err(FlowError::Identity)?;
                        if passphrase.is_some() {
                            self.keep_unlocked(id, &key);
                        }
                        key
                    }
                };
                (profile, key)
            }
        };
        let key_id =
            KeyId::new(profile.key_id.clone()).map_err(|e| FlowError::Client(e.to_string()))?;
        let mut builder = self.client_builder(&profile).key(key, key_id);
        if let Some(observer) = observer {
            builder = builder.observer(observer);
        }
        builder
            .build()
            .map_err(|error| FlowError::Client(error.to_string()))
    }

    /// A client for reading public documents (wallet addresses): it signs
    /// nothing, so no key needs unlocking.
    ///
    /// # Errors
    ///
    /// No such profile, a bad CA file.
    pub fn reading_client(&self, id: &str) -> Result<Client, FlowError> {
        let profile = self.profile(id).map_err(FlowError::Identity)?;
        self.client_builder(&profile)
            .key(
                SigningKey::generate(),
                KeyId::new("preview").expect("a valid key id"),
            )
            .build()
            .map_err(|error| FlowError::Client(error.to_string()))
    }

    /// A client builder with what the profile says about its wallet and
    /// TLS, and the authorities trusted for this run.
    fn client_builder(&self, profile: &Profile) -> consent_desk_protocol::ClientBuilder {
        let mut builder = Client::builder()
            .client_wallet(profile.wallet_address.as_str())
            .client_form(profile.client_form)
            .allow_http_loopback(profile.allow_http_loopback);
        let also = self
            .also_trusted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for ca in profile.ca_cert.iter().chain(also.iter()) {
            builder = builder.trust_ca_file(ca);
        }
        builder
    }

    /// The memory-only sandbox profile, when there is one.
    pub fn ephemeral_sandbox(&self) -> Option<Profile> {
        self.ephemeral_sandbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(profile, _)| profile.clone())
    }
}

/// Opens the profiles and readies the sandbox profile: its key from the
/// keyring (made on first start), published in the running sandbox. Without a
/// keyring the sandbox key lives in memory until the app closes, and the
/// keyring's problem is kept for the UI to show; never a plain-text file.
pub fn start(
    folders: &consent_desk_identity::Folders,
    secrets: Arc<dyn consent_desk_identity::SecretBackend>,
    sandbox: Option<&RunningSandbox>,
) -> Keys {
    let _span = tracing::info_span!("identity.start").entered();
    let store = ProfileStore::in_dir(folders.config());
    let state = Keys {
        identities: Identities::new(store, secrets),
        keyring_problem: Mutex::new(None),
        ephemeral_sandbox: Mutex::new(None),
        unlocked: Mutex::new(std::collections::HashMap::new()),
        also_trusted: Mutex::new(Vec::new()),
    };
    let Some(running) = sandbox else {
        return state;
    };
    let wallet = running.wallet_address(SANDBOX_CLIENT);
    let result = state.identities.ensure_sandbox(&wallet);
    state.note_keyring(&result.as_ref().map(|_| ()));
    let (profile, _key) = match result {
        Ok((profile, key)) => (profile, Arc::new(key)),
        Err(error) => {
            tracing::warn!(%error, "sandbox key kept in memory only");
            let key_id = KeyId::new("consent-desk-sandbox").expect("a valid key id");
            let key = SigningKey::generate();
            let profile = Profile {
                id: consent_desk_identity::SANDBOX_PROFILE.to_owned(),
                name: "Sandbox".to_owned(),
                wallet_address: wallet.clone(),
                key_id: key_id.as_str().to_owned(),
                public_jwk: key.public_jwk(&key_id),
                key: consent_desk_identity::KeyLocation::keyring_for(
                    consent_desk_identity::SANDBOX_PROFILE,
                ),
                allow_http_loopback: true,
                sandbox: true,
                loopback_finish: false,
                client_form: consent_desk_protocol::ClientForm::default(),
                ca_cert: None,
                created_at: String::new(),
            };
            let key = Arc::new(key);
            *state
                .ephemeral_sandbox
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some((profile.clone(), key.clone()));
            (profile, key)
        }
    };
    if let Err(error) =
        running.publish_client(SANDBOX_CLIENT, "Consent Desk", profile.public_jwk.clone())
    {
        tracing::error!(%error, "the sandbox key could not be published");
    }
    state
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use consent_desk_identity::{Folders, KeySource, MemoryBackend, NewProfile, Storage};

    #[test]
    fn a_ca_trusted_for_the_run_goes_into_every_client_built_after() {
        let dir = tempfile::tempdir().unwrap();
        let keys = super::start(
            &Folders::in_dir(dir.path()),
            Arc::new(MemoryBackend::default()),
            None,
        );
        let profile = keys
            .identities
            .add(NewProfile {
                name: "QA".into(),
                wallet_address: "https://wallet.example/qa".parse().unwrap(),
                key_id: None,
                key: KeySource::Generate,
                storage: Storage::Keyring,
                allow_http_loopback: false,
                loopback_finish: false,
            })
            .unwrap();
        assert!(keys.client(&profile.id, None, None).is_ok());

        // A file that is no certificate makes it visible: every client
        // built afterwards reads it, the finish's and the reading one too.
        let not_pem = dir.path().join("not-a-ca.pem");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        keys.also_trust(not_pem);
        let signing = keys.client(&profile.id, None, None).unwrap_err();
        assert!(
            signing
                .to_string()
                .contains("not-a-ca.pem is not a PEM certificate"),
            "{signing}"
        );
        assert!(keys.reading_client(&profile.id).is_err());
    }
}
