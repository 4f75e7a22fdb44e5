//! The app's identities: the profile store and keyring from
//! `consent-desk-identity`, and the sandbox profile wired to the in-process
//! sandbox wallet (its key published at `…/consent-desk`).

use std::sync::{Arc, Mutex, PoisonError};

use consent_desk_identity::{Identities, IdentityError, KeyringError, Profile, ProfileStore};
use consent_desk_protocol::{KeyId, SigningKey};
use tauri::{AppHandle, Manager};

use crate::ipc::{KeyStoreKind, KeyringStatus, ProfileView};
use crate::sandbox::SandboxWallet;

/// The sandbox wallet's client wallet address for this app.
pub(crate) const SANDBOX_CLIENT: &str = "consent-desk";

/// Profiles, and what became of the sandbox profile at start.
pub(crate) struct IdentityState {
    pub(crate) identities: Identities,
    /// Why the keyring cannot be used, if it cannot.
    keyring_problem: Mutex<Option<String>>,
    /// The sandbox key when the keyring could not keep it: memory only.
    ephemeral_sandbox: Mutex<Option<(Profile, Arc<SigningKey>)>>,
    /// Keys of passphrase-file profiles opened in this run, by profile id.
    unlocked: Mutex<std::collections::HashMap<String, SigningKey>>,
}

impl IdentityState {
    pub(crate) fn keyring_status(&self) -> KeyringStatus {
        match self
            .keyring_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            None => KeyringStatus::Available,
            Some(problem) => KeyringStatus::Unavailable { problem },
        }
    }

    /// Records what a keyring call said about the keyring.
    pub(crate) fn note_keyring(&self, result: &Result<(), &IdentityError>) {
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
    pub(crate) fn unlocked_key(&self, profile: &str) -> Option<SigningKey> {
        let unlocked = self.unlocked.lock().unwrap_or_else(PoisonError::into_inner);
        let key = unlocked.get(profile)?;
        SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).ok()
    }

    /// Keeps an opened key in memory for the rest of this run, so a finish
    /// arriving later can sign without asking again.
    pub(crate) fn keep_unlocked(&self, profile: &str, key: &SigningKey) {
        if let Ok(copy) = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()) {
            self.unlocked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(profile.to_owned(), copy);
        }
    }

    /// The memory-only sandbox profile and a copy of its key, when there is one.
    pub(crate) fn ephemeral_sandbox_key(&self) -> Option<(Profile, SigningKey)> {
        let guard = self
            .ephemeral_sandbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (profile, key) = guard.as_ref()?;
        // Keys are not Clone on purpose; a copy goes through PKCS#8.
        let copy = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).ok()?;
        Some((profile.clone(), copy))
    }

    /// The memory-only sandbox profile, when there is one.
    pub(crate) fn ephemeral_sandbox(&self) -> Option<Profile> {
        self.ephemeral_sandbox
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(profile, _)| profile.clone())
    }
}

/// What the UI sees of `profile`; `memory` for the memory-only sandbox.
pub(crate) fn view(state: &IdentityState, profile: &Profile, memory: bool) -> ProfileView {
    let unlocked = state
        .unlocked
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains_key(&profile.id);
    ProfileView {
        id: profile.id.clone(),
        name: profile.name.clone(),
        wallet_address: profile.wallet_address.to_string(),
        key_id: profile.key_id.clone(),
        public_jwk: serde_json::to_string_pretty(&profile.public_jwk).unwrap_or_default(),
        key_store: if memory {
            KeyStoreKind::Memory
        } else {
            match profile.key {
                consent_desk_identity::KeyLocation::Keyring { .. } => KeyStoreKind::Keyring,
                consent_desk_identity::KeyLocation::EncryptedFile { .. } => {
                    KeyStoreKind::EncryptedFile
                }
            }
        },
        sandbox: profile.sandbox,
        allow_http_loopback: profile.allow_http_loopback,
        loopback_finish: profile.loopback_finish,
        client_form: profile.client_form.into(),
        ca_cert: profile
            .ca_cert
            .as_ref()
            .map(|path| path.display().to_string()),
        unlocked,
    }
}

/// Opens the profiles and readies the sandbox profile: its key from the
/// keyring (made on first start), published in the running sandbox. Without a
/// keyring the sandbox key lives in memory until the app closes, and the
/// keyring's problem is kept for the UI to show; never a plain-text file.
pub(crate) fn start(app: &AppHandle, sandbox: &SandboxWallet) -> IdentityState {
    let _span = tracing::info_span!("identity.start").entered();
    let folders = app.state::<consent_desk_identity::Folders>();
    let store = ProfileStore::in_dir(folders.config());
    let state = IdentityState {
        identities: Identities::new(store, Arc::new(folders.keyring())),
        keyring_problem: Mutex::new(None),
        ephemeral_sandbox: Mutex::new(None),
        unlocked: Mutex::new(std::collections::HashMap::new()),
    };
    let Some(running) = sandbox.running() else {
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
