//! `Identities` over a temporary profile file and an in-memory keyring (the
//! real keyring is exercised in `tests/keyring.rs`).

use std::sync::Arc;

use consent_desk_protocol::SigningKey;
use url::Url;
use zeroize::Zeroizing;

use super::*;

const CHEAP: KdfCost = KdfCost {
    memory_kib: 256,
    iterations: 1,
    parallelism: 1,
};

fn setup() -> (tempfile::TempDir, Identities, Arc<MemoryBackend>) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryBackend::default());
    let identities =
        Identities::new(ProfileStore::in_dir(dir.path()), secrets.clone()).with_kdf_cost(CHEAP);
    (dir, identities, secrets)
}

fn new_profile(name: &str, key: KeySource, storage: Storage) -> NewProfile {
    NewProfile {
        name: name.into(),
        wallet_address: Url::parse("https://wallet.example/me").unwrap(),
        key_id: None,
        key,
        storage,
        allow_http_loopback: false,
        loopback_finish: false,
    }
}

#[test]
fn add_keeps_the_key_in_the_keyring_and_only_the_public_half_on_disk() {
    let (dir, identities, secrets) = setup();
    let key = SigningKey::generate();
    let pem = key.to_pkcs8_pem();
    let profile = identities
        .add(new_profile(
            "My wallet",
            KeySource::Import(Zeroizing::new(pem.to_string())),
            Storage::Keyring,
        ))
        .unwrap();
    assert_eq!(profile.id, "my-wallet");
    assert!(profile.key_id.starts_with("consent-desk-"));
    assert_eq!(
        identities.profiles().unwrap().active.as_deref(),
        Some("my-wallet")
    );
    let file = std::fs::read_to_string(dir.path().join(PROFILES_FILE)).unwrap();
    assert!(!file.contains("PRIVATE KEY") && !file.contains(&*pem));
    assert!(file.contains(&profile.public_jwk.x));
    let loaded = identities.load_key(&profile, None).unwrap();
    assert_eq!(*loaded.to_pkcs8_pem(), *pem);

    // Removing deletes the keyring entry.
    identities.remove("My wallet").unwrap();
    assert!(matches!(
        secrets.get(KEYRING_SERVICE, "profile:my-wallet"),
        Err(KeyringError::NotFound)
    ));
    assert!(identities.profiles().unwrap().profiles.is_empty());
}

#[test]
fn names_are_unique_and_bad_keys_are_refused_before_anything_is_stored() {
    let (_dir, identities, secrets) = setup();
    identities
        .add(new_profile("A", KeySource::Generate, Storage::Keyring))
        .unwrap();
    let error = identities
        .add(new_profile("a", KeySource::Generate, Storage::Keyring))
        .unwrap_err();
    assert!(error.to_string().contains("already exists"), "{error}");
    let error = identities
        .add(new_profile(
            "B",
            KeySource::Import(Zeroizing::new("not a key".into())),
            Storage::Keyring,
        ))
        .unwrap_err();
    assert!(matches!(error, IdentityError::Key(_)), "{error}");
    assert!(secrets.get(KEYRING_SERVICE, "profile:b").is_err());
}

#[test]
fn encrypted_file_profiles_need_the_passphrase() {
    let (dir, identities, _secrets) = setup();
    let path = dir.path().join("keys/work.key.json");
    let profile = identities
        .add(new_profile(
            "Work",
            KeySource::Generate,
            Storage::EncryptedFile {
                path: path.clone(),
                passphrase: Zeroizing::new("long enough".into()),
            },
        ))
        .unwrap();
    assert!(matches!(
        identities.load_key(&profile, None).unwrap_err(),
        IdentityError::NeedsPassphrase { .. }
    ));
    assert!(matches!(
        identities
            .load_key(&profile, Some("wrong guess"))
            .unwrap_err(),
        IdentityError::KeyFile(KeyFileError::WrongPassphrase { .. })
    ));
    let key = identities.load_key(&profile, Some("long enough")).unwrap();
    assert_eq!(
        key.public_jwk(&consent_desk_protocol::KeyId::new(&profile.key_id).unwrap()),
        profile.public_jwk
    );
    // Replacing the key needs the current passphrase.
    let error = identities
        .replace_key(
            "work",
            KeySource::Generate,
            None,
            Some(Zeroizing::new("another one".into())),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            IdentityError::KeyFile(KeyFileError::WrongPassphrase { .. })
        ),
        "{error}"
    );
    identities.load_key(&profile, Some("long enough")).unwrap();
    identities.remove("work").unwrap();
    assert!(!path.exists(), "removing the profile removes its key file");
}

#[test]
fn the_sandbox_profile_is_made_once_and_follows_the_sandbox() {
    let (_dir, identities, secrets) = setup();
    let first = Url::parse("http://127.0.0.1:4455/consent-desk").unwrap();
    let (profile, key) = identities.ensure_sandbox(&first).unwrap();
    assert!(profile.sandbox && profile.allow_http_loopback);
    assert_eq!(
        identities.profiles().unwrap().active,
        None,
        "the person chooses it"
    );
    let moved = Url::parse("http://127.0.0.1:5000/consent-desk").unwrap();
    let (again, same_key) = identities.ensure_sandbox(&moved).unwrap();
    assert_eq!(*same_key.to_pkcs8_pem(), *key.to_pkcs8_pem());
    assert_eq!(again.wallet_address, moved);
    assert!(matches!(
        identities.remove("sandbox").unwrap_err(),
        IdentityError::Profile(ProfileError::BuiltIn)
    ));

    // The keyring lost the key: a new one is made and published.
    secrets.delete(KEYRING_SERVICE, "profile:sandbox").unwrap();
    let (renewed, new_key) = identities.ensure_sandbox(&moved).unwrap();
    assert_ne!(*new_key.to_pkcs8_pem(), *key.to_pkcs8_pem());
    assert_ne!(renewed.public_jwk, profile.public_jwk);
    assert_eq!(identities.profiles().unwrap().profiles.len(), 1);
}

#[test]
fn replacing_a_key_updates_the_public_half() {
    let (_dir, identities, _secrets) = setup();
    let profile = identities
        .add(new_profile("A", KeySource::Generate, Storage::Keyring))
        .unwrap();
    let replaced = identities
        .replace_key("a", KeySource::Generate, Some("new-kid".into()), None)
        .unwrap();
    assert_eq!(replaced.key_id, "new-kid");
    assert_ne!(replaced.public_jwk.x, profile.public_jwk.x);
    let key = identities.load_key(&replaced, None).unwrap();
    assert_eq!(
        key.public_jwk(&consent_desk_protocol::KeyId::new("new-kid").unwrap()),
        replaced.public_jwk
    );
}

#[test]
fn debug_never_shows_keys_or_passphrases() {
    let pem = SigningKey::generate().to_pkcs8_pem();
    let new = new_profile(
        "A",
        KeySource::Import(Zeroizing::new(pem.to_string())),
        Storage::EncryptedFile {
            path: "/k.json".into(),
            passphrase: Zeroizing::new("hunter2-secret".into()),
        },
    );
    let text = format!("{new:?}");
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("hunter2-secret"),
        "{text}"
    );
    assert!(text.contains("[redacted]"));
}

#[test]
fn the_finish_route_is_kept_per_profile() {
    let (_dir, identities, _secrets) = setup();
    let a = identities
        .add(new_profile("A", KeySource::Generate, Storage::Keyring))
        .unwrap();
    let b = identities
        .add(new_profile("B", KeySource::Generate, Storage::Keyring))
        .unwrap();
    assert!(!a.loopback_finish);
    let changed = identities.set_loopback_finish("a", true).unwrap();
    assert!(changed.loopback_finish);
    assert!(identities.profile(&a.id).unwrap().loopback_finish);
    assert!(!identities.profile(&b.id).unwrap().loopback_finish);
    assert!(
        !identities
            .set_loopback_finish(&a.id, false)
            .unwrap()
            .loopback_finish
    );
    assert!(matches!(
        identities.set_loopback_finish("nobody", true),
        Err(IdentityError::Profile(ProfileError::NotFound(_)))
    ));
}
