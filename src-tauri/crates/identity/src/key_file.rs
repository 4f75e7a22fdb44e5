//! A private key sealed with a passphrase: the explicit alternative to the OS
//! keyring when none is available. Never a plain-text file.
//!
//! Format (JSON, version 1): argon2id parameters and salt, a random 192-bit
//! nonce, and the XChaCha20-Poly1305 ciphertext of the PKCS#8 PEM. The header
//! (format, version, key id, KDF parameters) is authenticated as associated
//! data, so changing any of it makes decryption fail instead of misbehaving.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use consent_desk_protocol::SigningKey;
use rand_core::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::profile::write_atomically;

const FORMAT: &str = "consent-desk-key";

/// argon2id cost: 64 MiB, 3 passes, 1 lane (above OWASP's minimum of
/// 19 MiB/2 passes; about a second on a laptop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfCost {
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// Why a key file could not be written or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The passphrase does not open this file (or the file was altered).
    #[error(
        "the passphrase does not open the key file {path}; check it and try again (the file was \
         not changed)"
    )]
    WrongPassphrase {
        /// The file.
        path: String,
    },
    /// The passphrase is too short to protect a key.
    #[error("the passphrase is too short: use at least 8 characters")]
    WeakPassphrase,
    /// Not a key file of this app.
    #[error("{path} is not a Consent Desk key file ({reason})")]
    NotAKeyFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("the key file {path} could not be {action}: {source}")]
    Io {
        /// The file.
        path: String,
        /// "read" or "written".
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sealed {
    format: String,
    version: u32,
    key_id: String,
    kdf: String,
    cost: KdfCost,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

impl Sealed {
    /// What the AEAD authenticates besides the ciphertext.
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "{}\n{}\n{}\n{}\n{}:{}:{}\n{}",
            self.format,
            self.version,
            self.key_id,
            self.kdf,
            self.cost.memory_kib,
            self.cost.iterations,
            self.cost.parallelism,
            self.cipher
        )
        .into_bytes()
    }
}

fn derive(passphrase: &str, salt: &[u8], cost: KdfCost) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(32))
        .map_err(|error| format!("invalid argon2 parameters: {error}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|error| format!("argon2 failed: {error}"))?;
    Ok(key)
}

/// Seals `key` (published as `key_id`) with `passphrase` into `path`,
/// atomically.
///
/// # Errors
///
/// A passphrase under 8 characters, or the file could not be written.
pub fn write(
    path: &Path,
    key: &SigningKey,
    key_id: &str,
    passphrase: &str,
    cost: KdfCost,
) -> Result<(), KeyFileError> {
    if passphrase.chars().count() < 8 {
        return Err(KeyFileError::WeakPassphrase);
    }
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut salt);
    rand_core::OsRng.fill_bytes(&mut nonce);
    let mut sealed = Sealed {
        format: FORMAT.to_owned(),
        version: 1,
        key_id: key_id.to_owned(),
        kdf: "argon2id".to_owned(),
        cost,
        salt: STANDARD.encode(salt),
        cipher: "xchacha20poly1305".to_owned(),
        nonce: STANDARD.encode(nonce),
        ciphertext: String::new(),
    };
    let secret = derive(passphrase, &salt, cost).map_err(|reason| KeyFileError::NotAKeyFile {
        path: path.display().to_string(),
        reason,
    })?;
    let pem = key.to_pkcs8_pem();
    let aad = sealed.associated_data();
    let ciphertext = XChaCha20Poly1305::new(secret.as_ref().into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: pem.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| KeyFileError::NotAKeyFile {
            path: path.display().to_string(),
            reason: "encryption failed".to_owned(),
        })?;
    sealed.ciphertext = STANDARD.encode(ciphertext);
    let text = serde_json::to_string_pretty(&sealed).unwrap_or_default();
    write_atomically(path, text.as_bytes()).map_err(|source| KeyFileError::Io {
        path: path.display().to_string(),
        action: "written",
        source,
    })
}

/// Opens the key file at `path` with `passphrase`; returns the key and its id.
///
/// # Errors
///
/// [`KeyFileError::WrongPassphrase`] (the file is left as it was), or the file
/// is unreadable or not a key file.
pub fn read(path: &Path, passphrase: &str) -> Result<(SigningKey, String), KeyFileError> {
    let shown = path.display().to_string();
    let not_key_file = |reason: &str| KeyFileError::NotAKeyFile {
        path: shown.clone(),
        reason: reason.to_owned(),
    };
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: shown.clone(),
        action: "read",
        source,
    })?;
    let sealed: Sealed =
        serde_json::from_str(&text).map_err(|error| not_key_file(&error.to_string()))?;
    if sealed.format != FORMAT || sealed.version != 1 {
        return Err(not_key_file("unknown format or version"));
    }
    if sealed.kdf != "argon2id" || sealed.cipher != "xchacha20poly1305" {
        return Err(not_key_file("unknown key derivation or cipher"));
    }
    let salt = STANDARD
        .decode(&sealed.salt)
        .map_err(|_| not_key_file("bad salt"))?;
    let nonce = STANDARD
        .decode(&sealed.nonce)
        .map_err(|_| not_key_file("bad nonce"))?;
    if nonce.len() != 24 {
        return Err(not_key_file("bad nonce"));
    }
    let ciphertext = STANDARD
        .decode(&sealed.ciphertext)
        .map_err(|_| not_key_file("bad ciphertext"))?;
    let secret = derive(passphrase, &salt, sealed.cost).map_err(|reason| not_key_file(&reason))?;
    let pem = XChaCha20Poly1305::new(secret.as_ref().into())
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &sealed.associated_data(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| KeyFileError::WrongPassphrase {
            path: shown.clone(),
        })?;
    let pem = std::str::from_utf8(&pem).map_err(|_| not_key_file("the key is not text"))?;
    let key = SigningKey::from_pkcs8_pem(pem).map_err(|error| not_key_file(&error.to_string()))?;
    Ok((key, sealed.key_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: the tests check the format, not argon2's cost.
    const CHEAP: KdfCost = KdfCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn round_trips_and_refuses_a_wrong_passphrase_without_harm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = SigningKey::generate();
        write(&path, &key, "kid-1", "correct horse", CHEAP).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("PRIVATE KEY"), "the PEM is not in clear");

        let (opened, key_id) = read(&path, "correct horse").unwrap();
        assert_eq!(key_id, "kid-1");
        assert_eq!(*opened.to_pkcs8_pem(), *key.to_pkcs8_pem());

        let error = read(&path, "wrong horse").unwrap_err();
        assert!(
            matches!(error, KeyFileError::WrongPassphrase { .. }),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
        read(&path, "correct horse").unwrap();
    }

    #[test]
    fn an_altered_header_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        write(
            &path,
            &SigningKey::generate(),
            "kid-1",
            "correct horse",
            CHEAP,
        )
        .unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("kid-1", "kid-2");
        std::fs::write(&path, text).unwrap();
        assert!(matches!(
            read(&path, "correct horse").unwrap_err(),
            KeyFileError::WrongPassphrase { .. }
        ));
    }

    #[test]
    fn weak_passphrases_and_strange_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        assert!(matches!(
            write(&path, &SigningKey::generate(), "k", "short", CHEAP).unwrap_err(),
            KeyFileError::WeakPassphrase
        ));
        assert!(!path.exists());
        std::fs::write(&path, "-----BEGIN PRIVATE KEY-----").unwrap();
        let error = read(&path, "whatever-long").unwrap_err();
        assert!(
            error.to_string().contains("not a Consent Desk key file"),
            "{error}"
        );
    }
}
