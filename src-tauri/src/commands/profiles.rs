//! Profiles and keys: thin commands over `consent-desk-identity`. No command
//! returns key material; the UI sees public JWKs only.

use consent_desk_engine::keys::Keys;
use consent_desk_identity::Profile;
use consent_desk_identity::{wallet, IdentityError, KeySource, NewProfile, Storage};
use tauri::AppHandle;

use crate::ipc::{
    AddProfileRequest, KeyStoreKind, KeyringStatus, ProfileView, ProfilesView, RegistrationState,
    RegistrationView, WalletPreviewView,
};
use crate::{EngineExt as _, Result};

/// Every profile, which one is in use, and whether the keyring works.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) fn profiles(app: AppHandle) -> Result<ProfilesView> {
    let engine = app.engine();
    let state = engine.keys();
    let stored = state.identities.profiles()?;
    let mut profiles: Vec<ProfileView> = stored
        .profiles
        .iter()
        .map(|p| view(state, p, false))
        .collect();
    if let Some(memory) = state.ephemeral_sandbox() {
        profiles.insert(0, view(state, &memory, true));
    }
    Ok(ProfilesView {
        active: stored.active,
        profiles,
        keyring: match state.keyring_problem() {
            None => KeyringStatus::Available,
            Some(problem) => KeyringStatus::Unavailable { problem },
        },
    })
}

/// Uses a profile from now on.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn use_profile(app: AppHandle, id: String) -> Result<ProfilesView> {
    let engine = app.engine();
    let state = engine.keys();
    if state.ephemeral_sandbox().is_some_and(|p| p.id == id) {
        // The memory-only sandbox profile is not in the file; record the
        // choice without it.
        state
            .identities
            .store()
            .update(|profiles| {
                profiles.active = Some(id.clone());
                Ok(())
            })
            .map_err(IdentityError::from)?;
    } else {
        state.identities.use_profile(&id)?;
    }
    profiles(app)
}

/// Where the wallet sends the person back after consent: a loopback address
/// (`on`, for wallets that refuse custom schemes) or the app's link.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn set_loopback_finish(app: AppHandle, id: String, on: bool) -> Result<ProfilesView> {
    let engine = app.engine();
    let state = engine.keys();
    state.identities.set_loopback_finish(&id, on)?;
    profiles(app)
}

/// The form of `client` the profile's grant requests carry.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn set_client_form(
    app: AppHandle,
    id: String,
    form: crate::ipc::ClientFormChoice,
) -> Result<ProfilesView> {
    let engine = app.engine();
    let state = engine.keys();
    state.identities.set_client_form(&id, form.into())?;
    profiles(app)
}

/// Removes a profile and its key.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn remove_profile(app: AppHandle, id: String) -> Result<ProfilesView> {
    let engine = app.engine();
    let state = engine.keys();
    let removed = state.identities.remove(&id);
    state.note_keyring(&removed.as_ref().map(|_| ()));
    removed?;
    profiles(app)
}

/// Looks a wallet address up before it becomes a profile.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn preview_wallet(
    url: String,
    allow_http_loopback: bool,
) -> Result<WalletPreviewView> {
    let preview = wallet::preview(&url, allow_http_loopback)
        .await
        .map_err(IdentityError::from)?;
    Ok(WalletPreviewView {
        url: preview.url.to_string(),
        public_name: preview.public_name,
        asset_code: preview.asset_code,
        asset_scale: preview.asset_scale,
        auth_server: preview.auth_server.to_string(),
    })
}

/// Adds a profile with a new or imported key, in the keyring or, with a
/// passphrase, in a protected file in the app's data folder.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) fn add_profile(app: AppHandle, request: AddProfileRequest) -> Result<ProfileView> {
    let engine = app.engine();
    let state = engine.keys();
    let wallet_address =
        wallet::parse_wallet_url(&request.wallet_address, request.allow_http_loopback)
            .map_err(IdentityError::from)?;
    let storage = match request.passphrase {
        None => Storage::Keyring,
        Some(passphrase) => {
            let dir = engine.folders().data().join("keys");
            let file = format!("{}.key.json", consent_desk_identity::new_key_id());
            Storage::EncryptedFile {
                path: dir.join(file),
                passphrase: passphrase.into_zeroizing(),
            }
        }
    };
    let added = state.identities.add(NewProfile {
        name: request.name,
        wallet_address,
        key_id: request.key_id.filter(|id| !id.trim().is_empty()),
        key: match request.import_key {
            Some(text) => KeySource::Import(text.into_zeroizing()),
            None => KeySource::Generate,
        },
        storage,
        allow_http_loopback: request.allow_http_loopback,
        loopback_finish: false,
    });
    if matches!(&added, Err(IdentityError::Keyring(_))) || added.is_ok() {
        state.note_keyring(&added.as_ref().map(|_| ()));
    }
    Ok(view(state, &added?, false))
}

/// Whether the profile's key is published in its wallet's `jwks.json`.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn check_registration(app: AppHandle, id: String) -> Result<RegistrationView> {
    let engine = app.engine();
    let state = engine.keys();
    let profile = state.profile(&id)?;
    let registration = wallet::check_registration(
        &profile.wallet_address,
        &profile.public_jwk,
        profile.allow_http_loopback,
    )
    .await
    .map_err(IdentityError::from)?;
    Ok(RegistrationView {
        state: match registration {
            consent_desk_identity::Registration::Registered => RegistrationState::Registered,
            consent_desk_identity::Registration::KidMissing { .. } => RegistrationState::KidMissing,
            _ => RegistrationState::DifferentKey,
        },
        message: consent_desk_engine::words::sentence(&registration.describe(&profile.key_id)),
    })
}

/// What the UI sees of `profile`; `memory` for the memory-only sandbox.
fn view(keys: &Keys, profile: &Profile, memory: bool) -> ProfileView {
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
        unlocked: keys.is_unlocked(&profile.id),
    }
}
