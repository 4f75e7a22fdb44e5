//! The client's Ed25519 key and its public JWK.
//!
//! Open Payments clients sign every request with Ed25519
//! ([RFC 8032](https://www.rfc-editor.org/rfc/rfc8032)) and publish the public
//! half at `{wallet address}/jwks.json` as an OKP JWK
//! ([RFC 8037 §2](https://www.rfc-editor.org/rfc/rfc8037#section-2)). Keys come
//! in as PKCS#8 PEM ([RFC 8410 §7](https://www.rfc-editor.org/rfc/rfc8410#section-7)),
//! the form the Interledger test wallet downloads, or as that PEM text base64
//! encoded once more, the form the wallet shows for copying.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ed25519_dalek::pkcs8::KeypairBytes;
use pkcs8::der::pem;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, ObjectIdentifier};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::KeyError;

/// Standard alphabet, padding optional: people paste base64 keys with or
/// without the trailing `=`.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Algorithm OIDs recognised only to name them in [`KeyError::WrongAlgorithm`].
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const OID_X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");
const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// The `keyid` of a client key: the JWK's `kid`, sent in every `Signature-Input`.
///
/// Any non-empty printable-ASCII string, since it travels as an RFC 8941
/// structured-field string.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(sfv::String);

impl KeyId {
    /// Checks and wraps a key id.
    ///
    /// # Errors
    ///
    /// The id is empty or has characters outside printable ASCII.
    pub fn new(id: impl Into<String>) -> Result<Self, KeyError> {
        let id = id.into();
        if id.is_empty() {
            return Err(KeyError::InvalidKeyId {
                reason: "it is empty",
            });
        }
        sfv::String::from_string(id)
            .map(Self)
            .map_err(|_| KeyError::InvalidKeyId {
                reason: "it has characters other than printable ASCII",
            })
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(crate) fn as_sfv(&self) -> &sfv::String {
        &self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyId").field(&self.as_str()).finish()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for KeyId {
    type Error = KeyError;

    fn try_from(id: String) -> Result<Self, KeyError> {
        Self::new(id)
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> Self {
        id.0.into()
    }
}

/// The client's Ed25519 private key.
///
/// # Security Warning
///
/// This is the secret that lets anyone move money within the grants the client
/// obtains. It is zeroized when dropped (ed25519-dalek's `zeroize` feature),
/// prints as `[redacted]`, and intentionally implements neither `Clone` nor
/// `PartialEq`: a copy is one more place to wipe, and comparing secrets invites
/// timing leaks. Export it only through [`to_pkcs8_pem`](Self::to_pkcs8_pem),
/// into a secret store.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Generates a fresh key from the operating system's random source.
    #[must_use]
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut OsRng))
    }

    /// Loads a key from its 32-byte Ed25519 seed (the RFC 8032 private key).
    ///
    /// # Errors
    ///
    /// [`KeyError::WrongSeedLength`] unless `seed` is 32 bytes.
    pub fn from_seed(seed: &[u8]) -> Result<Self, KeyError> {
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| KeyError::WrongSeedLength { len: seed.len() })?;
        Ok(Self(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// Loads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// Surrounding whitespace and CRLF line endings are accepted.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotPem`], [`KeyError::UnexpectedPemLabel`],
    /// [`KeyError::EncryptedKey`], [`KeyError::WrongAlgorithm`] (an RSA or EC
    /// key, say) or [`KeyError::MalformedPkcs8`].
    pub fn from_pkcs8_pem(text: &str) -> Result<Self, KeyError> {
        let (label, der) =
            pem::decode_vec(text.trim().as_bytes()).map_err(|error| KeyError::NotPem {
                reason: error.to_string(),
            })?;
        let der = Zeroizing::new(der);
        match label {
            "PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::EncryptedKey),
            // Pre-PKCS#8 ("traditional") OpenSSL keys say their algorithm in the label.
            "RSA PRIVATE KEY" => return Err(wrong_algorithm("an RSA")),
            "EC PRIVATE KEY" => return Err(wrong_algorithm("an EC")),
            other => {
                return Err(KeyError::UnexpectedPemLabel {
                    label: other.to_owned(),
                })
            }
        }
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).map_err(malformed)?;
        if info.algorithm.oid != OID_ED25519 {
            return Err(wrong_algorithm(&algorithm_name(&info.algorithm)));
        }
        ed25519_dalek::SigningKey::from_pkcs8_der(&der)
            .map(Self)
            .map_err(malformed)
    }

    /// Loads a PKCS#8 PEM private key that was base64 encoded once more, as the
    /// Interledger test wallet shows it for copying.
    ///
    /// Whitespace inside the base64 (line breaks from copying) is ignored.
    ///
    /// # Errors
    ///
    /// [`KeyError::BadBase64`], [`KeyError::Base64NotPem`], or any error of
    /// [`from_pkcs8_pem`](Self::from_pkcs8_pem).
    pub fn from_base64_pem(text: &str) -> Result<Self, KeyError> {
        let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
            text.bytes()
                .filter(|byte| !byte.is_ascii_whitespace())
                .collect(),
        );
        let decoded = Zeroizing::new(LENIENT_STANDARD.decode(compact.as_slice()).map_err(
            |error| KeyError::BadBase64 {
                reason: error.to_string(),
            },
        )?);
        let pem_text = std::str::from_utf8(&decoded).map_err(|_| KeyError::Base64NotPem)?;
        if !pem_text.trim_start().starts_with("-----BEGIN ") {
            return Err(KeyError::Base64NotPem);
        }
        Self::from_pkcs8_pem(pem_text)
    }

    /// Loads a key pasted in either form the wallet hands out: PEM text, or
    /// that PEM base64 encoded.
    ///
    /// # Errors
    ///
    /// As [`from_pkcs8_pem`](Self::from_pkcs8_pem) for PEM text, otherwise as
    /// [`from_base64_pem`](Self::from_base64_pem).
    pub fn import(text: &str) -> Result<Self, KeyError> {
        if text.trim_start().starts_with("-----") {
            Self::from_pkcs8_pem(text)
        } else {
            Self::from_base64_pem(text)
        }
    }

    /// The key as PKCS#8 v1 PEM, the same form the test wallet hands out, for
    /// a secret store.
    #[must_use]
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        // v1 (no embedded public key), like Node's `crypto` and the test wallet
        // write it, so a key exported here reads back anywhere.
        let pair = KeypairBytes {
            secret_key: self.0.to_bytes(),
            public_key: None,
        };
        // Encoding 32 bytes into a fixed DER template cannot fail; the error type
        // only exists because the encoder is generic.
        pair.to_pkcs8_pem(pkcs8::LineEnding::LF)
            .expect("an Ed25519 PKCS#8 document always encodes")
    }

    /// The public key as a JWK with the given key id, ready for a wallet's
    /// developer keys or a `jwks.json`.
    #[must_use]
    pub fn public_jwk(&self, key_id: &KeyId) -> Jwk {
        Jwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: URL_SAFE_NO_PAD.encode(self.0.verifying_key().as_bytes()),
            kid: key_id.clone(),
            alg: "EdDSA".to_owned(),
            key_use: None,
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

fn malformed(error: pkcs8::Error) -> KeyError {
    KeyError::MalformedPkcs8 {
        reason: error.to_string(),
    }
}

fn wrong_algorithm(algorithm: &str) -> KeyError {
    KeyError::WrongAlgorithm {
        algorithm: algorithm.to_owned(),
    }
}

/// Names a key algorithm for an error message, with its article.
fn algorithm_name(algorithm: &pkcs8::AlgorithmIdentifierRef<'_>) -> String {
    match algorithm.oid {
        OID_RSA | OID_RSA_PSS => "an RSA".to_owned(),
        OID_ED448 => "an Ed448".to_owned(),
        OID_X25519 => "an X25519 (key agreement, not signing)".to_owned(),
        OID_X448 => "an X448 (key agreement, not signing)".to_owned(),
        OID_EC => match algorithm.parameters_oid() {
            Ok(OID_P256) => "a P-256 EC".to_owned(),
            Ok(OID_P384) => "a P-384 EC".to_owned(),
            Ok(OID_P521) => "a P-521 EC".to_owned(),
            Ok(OID_SECP256K1) => "a secp256k1 EC".to_owned(),
            _ => "an EC".to_owned(),
        },
        other => format!("an unknown (OID {other})"),
    }
}

/// A public key as a JSON Web Key
/// ([RFC 8037 §2](https://www.rfc-editor.org/rfc/rfc8037#section-2)), as
/// Open Payments publishes it: `{kty:"OKP", crv:"Ed25519", x, kid, alg:"EdDSA"}`.
///
/// The fields are plain strings so that a key set with a key of another kind
/// still parses; [`Verifier`](crate::Verifier) checks them when it uses a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type, `OKP` for Ed25519.
    pub kty: String,
    /// Curve, `Ed25519`.
    pub crv: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
    /// The key id that signatures name in `keyid`.
    pub kid: KeyId,
    /// Algorithm, `EdDSA`.
    pub alg: String,
    /// Optional intended use; Open Payments allows only `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
}

impl Jwk {
    /// Checks that the key is a usable Ed25519 signing key (`kty`, `crv`,
    /// `alg`, `use` and a valid `x`), as a server does before publishing it.
    ///
    /// # Errors
    ///
    /// [`KeyError::UnusableJwk`] naming the field that is wrong.
    pub fn check(&self) -> Result<(), KeyError> {
        self.verifying_key().map(|_| ())
    }

    /// The Ed25519 public key, after checking every field names Ed25519 signing.
    pub(crate) fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        let unusable = |reason: String| KeyError::UnusableJwk {
            kid: self.kid.to_string(),
            reason,
        };
        for (field, value, expected) in [
            ("kty", self.kty.as_str(), "OKP"),
            ("crv", self.crv.as_str(), "Ed25519"),
            ("alg", self.alg.as_str(), "EdDSA"),
        ] {
            if value != expected {
                return Err(unusable(format!(
                    "`{field}` is `{value}`, not `{expected}`"
                )));
            }
        }
        if let Some(key_use) = self.key_use.as_deref().filter(|key_use| *key_use != "sig") {
            return Err(unusable(format!("`use` is `{key_use}`, not `sig`")));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(&self.x)
            .map_err(|_| unusable("`x` is not unpadded base64url".to_owned()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| unusable("`x` is not 32 bytes".to_owned()))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| unusable("`x` is not a point on Ed25519".to_owned()))
    }
}

/// A JSON Web Key Set, the body of `{wallet address}/jwks.json`
/// ([RFC 7517 §5](https://www.rfc-editor.org/rfc/rfc7517#section-5)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with this id, if the set has one.
    #[must_use]
    pub fn find(&self, key_id: &str) -> Option<&Jwk> {
        self.keys.iter().find(|jwk| jwk.kid.as_str() == key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [u8; 32] = [7; 32];

    #[test]
    fn key_id_refuses_empty_and_non_ascii() {
        assert!(matches!(KeyId::new(""), Err(KeyError::InvalidKeyId { .. })));
        assert!(matches!(
            KeyId::new("clé"),
            Err(KeyError::InvalidKeyId { .. })
        ));
        assert!(matches!(
            KeyId::new("a\nb"),
            Err(KeyError::InvalidKeyId { .. })
        ));
        assert_eq!(KeyId::new("key-1 \"x\"").unwrap().as_str(), "key-1 \"x\"");
    }

    #[test]
    fn key_id_deserialization_validates() {
        assert!(serde_json::from_str::<KeyId>("\"\"").is_err());
        let id: KeyId = serde_json::from_str("\"k\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"k\"");
    }

    #[test]
    fn seed_must_be_32_bytes() {
        assert_eq!(
            SigningKey::from_seed(&[0; 31]).unwrap_err(),
            KeyError::WrongSeedLength { len: 31 }
        );
        assert_eq!(
            SigningKey::from_seed(&[0; 64]).unwrap_err(),
            KeyError::WrongSeedLength { len: 64 }
        );
    }

    #[test]
    fn pem_export_reads_back_to_the_same_key() {
        let key = SigningKey::from_seed(&SEED).unwrap();
        let again = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.0.to_bytes(), SEED);
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            SigningKey::generate().0.to_bytes(),
            SigningKey::generate().0.to_bytes()
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = SigningKey::from_seed(&SEED).unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "SigningKey([redacted])");
        let standard = base64::engine::general_purpose::STANDARD.encode(SEED);
        assert!(!debug.contains(&standard));
        assert!(!debug.contains(&URL_SAFE_NO_PAD.encode(SEED)));
        assert!(!debug.contains("7, 7, 7"));
    }

    #[test]
    fn non_pem_text_is_named() {
        assert!(matches!(
            SigningKey::from_pkcs8_pem("hello"),
            Err(KeyError::NotPem { .. })
        ));
    }

    #[test]
    fn base64_that_is_not_pem_is_named() {
        let not_pem = base64::engine::general_purpose::STANDARD.encode("just some text");
        assert_eq!(
            SigningKey::from_base64_pem(&not_pem).unwrap_err(),
            KeyError::Base64NotPem
        );
        assert!(matches!(
            SigningKey::from_base64_pem("not*base64"),
            Err(KeyError::BadBase64 { .. })
        ));
    }

    #[test]
    fn jwk_checks_its_fields_before_use() {
        let key = SigningKey::from_seed(&SEED).unwrap();
        let jwk = key.public_jwk(&KeyId::new("k").unwrap());
        assert_eq!(jwk.verifying_key().unwrap(), key.0.verifying_key());

        let mut wrong = jwk.clone();
        wrong.crv = "X25519".to_owned();
        assert!(matches!(
            wrong.verifying_key(),
            Err(KeyError::UnusableJwk { .. })
        ));
        let mut wrong = jwk.clone();
        wrong.key_use = Some("enc".to_owned());
        assert!(wrong.verifying_key().is_err());
        let mut wrong = jwk.clone();
        wrong.x.truncate(10);
        assert!(wrong.verifying_key().is_err());
        let mut with_use = jwk;
        with_use.key_use = Some("sig".to_owned());
        assert!(with_use.verifying_key().is_ok());
    }

    #[test]
    fn jwks_finds_by_kid() {
        let key = SigningKey::from_seed(&SEED).unwrap();
        let set = Jwks {
            keys: vec![
                key.public_jwk(&KeyId::new("a").unwrap()),
                key.public_jwk(&KeyId::new("b").unwrap()),
            ],
        };
        assert_eq!(set.find("b").unwrap().kid.as_str(), "b");
        assert!(set.find("c").is_none());
    }
}
