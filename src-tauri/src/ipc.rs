//! Types that cross the IPC boundary. TypeScript declarations for them are
//! generated into `ui/src/lib/ipc/bindings.ts`; a test fails when the file is
//! stale, so the two sides cannot drift.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

// The forms and views of grants, payments and activity are the engine's.
pub use consent_desk_engine::notices::NoticeSettings;
pub use consent_desk_engine::views::*;
pub use consent_desk_engine::words::ProblemCode;
pub use consent_desk_engine::{ErrorCode, IpcError};

/// What the main window shows first: who we are and whether we are ready.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// "Consent Desk".
    pub product_name: String,
    /// The app's semantic version.
    pub version: String,
    /// One sentence about the app's readiness, for the status bar.
    pub status: StatusLine,
}

/// A sentence for the status bar and how it should be shown.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusLine {
    /// How worried the person should be.
    pub tone: Tone,
    /// The sentence itself.
    pub text: String,
}

/// The mood of a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Tone {
    /// All is well.
    Ok,
    /// The app works, but something needs attention.
    Warning,
}

/// The About screen: what is running and where it keeps its files.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct About {
    /// "Consent Desk".
    pub product_name: String,
    /// The app's semantic version.
    pub version: String,
    /// The git commit the binary was built from, or "unknown".
    pub commit: String,
    /// The app identifier; also the name of its data folders.
    pub identifier: String,
    /// The Tauri runtime version.
    pub tauri_version: String,
    /// The system webview's version (WebKitGTK on Linux).
    pub webview_version: String,
    /// Where grants and activity are stored.
    pub data_dir: String,
    /// Where profiles are stored.
    pub config_dir: String,
    /// The log folder.
    pub log_dir: String,
    /// Today's log file (empty until the first line is written).
    pub log_file: String,
    /// The URI scheme wallets redirect to, e.g. `dev.consentdesk`.
    pub link_scheme: String,
    /// The built-in sandbox wallet: where it listens, or why it does not.
    pub sandbox: SandboxStatus,
    /// Certificate authority files profiles trust besides the built-in
    /// roots, each once; empty when none.
    pub extra_cas: Vec<String>,
}

/// The built-in sandbox wallet's state.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum SandboxStatus {
    /// Listening on loopback.
    Running {
        /// `http://127.0.0.1:<port>/`; wallet addresses are below it
        /// (`…/alice`).
        url: String,
    },
    /// It could not start; the app still works with other wallets.
    Stopped {
        /// Why, in a sentence.
        problem: String,
    },
}

/// A link that reached the app through the OS (a deep link).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedLink {
    /// The URL as the OS delivered it, its `interact_ref` redacted.
    pub url: String,
    /// What became of it, in one sentence; `None` while it is checked.
    pub said: Option<String>,
    /// It was refused as not the wallet's answer for a waiting approval
    /// (forged, for no approval, used already); a link that failed for a
    /// reason that may pass (the wallet is down) is not.
    pub refused: bool,
    /// When it arrived, RFC 3339 in UTC.
    pub received_at: String,
    /// How it arrived.
    pub arrival: Arrival,
}

/// How a link reached the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Arrival {
    /// The app was started to open it.
    Launch,
    /// The app was already running; a second launch handed it over.
    Forwarded,
}

/// Profiles: who the app signs as, and whether keys can go to the keyring.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfilesView {
    /// The profile in use; `null` until the person chooses (first run).
    pub active: Option<String>,
    /// All profiles, the sandbox first.
    pub profiles: Vec<ProfileView>,
    /// Whether new keys can be kept in the system keyring.
    pub keyring: KeyringStatus,
}

/// One profile, without any secret.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    /// Stable id.
    pub id: String,
    /// What the person called it.
    pub name: String,
    /// The client wallet address.
    pub wallet_address: String,
    /// The key id in the wallet's `jwks.json`.
    pub key_id: String,
    /// The public JWK as JSON text, ready to copy into the wallet.
    pub public_jwk: String,
    /// Where the private key is kept.
    pub key_store: KeyStoreKind,
    /// The built-in sandbox profile.
    pub sandbox: bool,
    /// Plain http to this machine allowed.
    pub allow_http_loopback: bool,
    /// The wallet sends the person back to a loopback address on this
    /// machine instead of the app's link (for wallets that refuse custom
    /// schemes).
    pub loopback_finish: bool,
    /// How grant requests name this app: the deprecated string form every
    /// deployed server accepts, or `{"walletAddress": …}` (Open Payments 1.3).
    pub client_form: ClientFormChoice,
    /// A certificate authority's certificate (PEM file) trusted for this
    /// profile besides the built-in roots (`profile add --ca-cert`).
    pub ca_cert: Option<String>,
    /// A key in a passphrase file opened in this run: no passphrase needed
    /// until the app closes.
    pub unlocked: bool,
}

/// The form of `client` in a profile's grant requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ClientFormChoice {
    /// `"client": "https://…"`.
    String,
    /// `"client": {"walletAddress": "https://…"}`.
    Object,
}

impl From<consent_desk_protocol::ClientForm> for ClientFormChoice {
    fn from(form: consent_desk_protocol::ClientForm) -> Self {
        match form {
            consent_desk_protocol::ClientForm::Object => Self::Object,
            consent_desk_protocol::ClientForm::String => Self::String,
        }
    }
}

impl From<ClientFormChoice> for consent_desk_protocol::ClientForm {
    fn from(form: ClientFormChoice) -> Self {
        match form {
            ClientFormChoice::String => Self::String,
            ClientFormChoice::Object => Self::Object,
        }
    }
}

/// Where a private key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum KeyStoreKind {
    /// The system keyring.
    Keyring,
    /// A passphrase-protected file.
    EncryptedFile,
    /// Memory only, until the app closes (the sandbox key when no keyring).
    Memory,
}

/// Whether the system keyring can hold keys.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum KeyringStatus {
    /// It works.
    Available,
    /// It does not; new keys need a passphrase-protected file.
    Unavailable {
        /// Why, in a sentence.
        problem: String,
    },
}

/// A wallet address looked up before it becomes a profile.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WalletPreviewView {
    /// The wallet address as the wallet names it.
    pub url: String,
    /// Its public name.
    pub public_name: String,
    /// e.g. "USD".
    pub asset_code: String,
    /// e.g. 2.
    pub asset_scale: u8,
    /// Its authorization server.
    pub auth_server: String,
}

/// A profile to add, from the "Connect my wallet" steps. `Debug` hides the
/// key and the passphrase.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddProfileRequest {
    /// What to call it.
    pub name: String,
    /// The wallet address (as looked up).
    pub wallet_address: String,
    /// The key id; a new one when absent.
    pub key_id: Option<String>,
    /// A private key to import (PEM, base64 PEM); a new key when absent.
    #[ts(as = "Option<String>")]
    pub import_key: Option<SecretText>,
    /// Keep the key in a passphrase-protected file with this passphrase
    /// instead of the system keyring.
    #[ts(as = "Option<String>")]
    pub passphrase: Option<SecretText>,
    /// Plain http to this machine allowed.
    pub allow_http_loopback: bool,
}

/// Whether a profile's key is published in its wallet.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationView {
    /// `registered`, `kidMissing` or `differentKey`.
    pub state: RegistrationState,
    /// One sentence saying what is so and what to do.
    pub message: String,
}

/// The registration states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RegistrationState {
    /// Published: ready.
    Registered,
    /// No key with this id yet.
    KidMissing,
    /// Another key under this id.
    DifferentKey,
}

/// Event payloads, by event name.
pub mod event {
    /// A deep link arrived; the payload is a [`super::ReceivedLink`].
    pub const LINK_RECEIVED: &str = "links://received";
    /// An approval moved on; the payload is a [`super::FlowProgress`].
    pub const FLOW_PROGRESS: &str = "flow://progress";
    /// A payment moved on; the payload is a [`super::PaymentProgress`].
    pub const PAYMENT_PROGRESS: &str = "payment://progress";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// One exported declaration with its doc comment, as ts-rs writes it.
    fn declaration<T: TS>(cfg: &ts_rs::Config) -> String {
        format!(
            "\n{}export {}\n",
            T::docs().unwrap_or_default(),
            T::decl(cfg)
        )
    }

    #[test]
    fn typed_secrets_never_show_in_debug() {
        let form: PayForm = serde_json::from_value(serde_json::json!({
            "from": "https://w.example/a", "to": "https://w.example/b", "amount": "1",
            "amountKind": "send", "note": "", "passphrase": "correct horse battery"
        }))
        .unwrap();
        let request: AddProfileRequest = serde_json::from_value(serde_json::json!({
            "name": "A", "walletAddress": "https://w.example/a", "keyId": null,
            "importKey": "-----BEGIN PRIVATE KEY-----secret", "passphrase": "correct horse battery",
            "allowHttpLoopback": false
        }))
        .unwrap();
        let shown = format!("{form:?} {request:?}");
        assert!(
            !shown.contains("horse") && !shown.contains("secret"),
            "{shown}"
        );
        assert_eq!(form.passphrase.as_deref(), Some("correct horse battery"));
    }

    /// Every type the UI sees, in the order they appear in the bindings file.
    fn declarations() -> String {
        let cfg = ts_rs::Config::default();
        let mut out = String::from(
            "// Generated from src-tauri/src/ipc.rs by `npm run bindings`. Do not edit.\n",
        );
        for decl in [
            declaration::<AppStatus>(&cfg),
            declaration::<StatusLine>(&cfg),
            declaration::<Tone>(&cfg),
            declaration::<About>(&cfg),
            declaration::<SandboxStatus>(&cfg),
            declaration::<NoticeSettings>(&cfg),
            declaration::<ProfilesView>(&cfg),
            declaration::<ProfileView>(&cfg),
            declaration::<KeyStoreKind>(&cfg),
            declaration::<ClientFormChoice>(&cfg),
            declaration::<KeyringStatus>(&cfg),
            declaration::<WalletPreviewView>(&cfg),
            declaration::<AddProfileRequest>(&cfg),
            declaration::<RegistrationView>(&cfg),
            declaration::<RegistrationState>(&cfg),
            declaration::<GrantForm>(&cfg),
            declaration::<AmountLimit>(&cfg),
            declaration::<GrantAction>(&cfg),
            declaration::<ApproveIn>(&cfg),
            declaration::<GrantPreview>(&cfg),
            declaration::<GrantView>(&cfg),
            declaration::<GrantStateView>(&cfg),
            declaration::<FlowProgress>(&cfg),
            declaration::<FlowStep>(&cfg),
            declaration::<GrantDetail>(&cfg),
            declaration::<SpentMeter>(&cfg),
            declaration::<PeriodUse>(&cfg),
            declaration::<ActivityQuery>(&cfg),
            declaration::<ActivityKindView>(&cfg),
            declaration::<ActivityView>(&cfg),
            declaration::<HttpMessageView>(&cfg),
            declaration::<HeaderView>(&cfg),
            declaration::<SignatureView>(&cfg),
            declaration::<ActivityExport>(&cfg),
            declaration::<PayForm>(&cfg),
            declaration::<PayAmountKind>(&cfg),
            declaration::<PaymentView>(&cfg),
            declaration::<PaymentStateView>(&cfg),
            declaration::<PaymentProgress>(&cfg),
            declaration::<ReceivedLink>(&cfg),
            declaration::<Arrival>(&cfg),
            declaration::<IpcError>(&cfg),
            declaration::<ErrorCode>(&cfg),
            declaration::<ProblemCode>(&cfg),
        ] {
            out.push_str(&decl);
        }
        out.push_str(&format!(
            "\n/** Event carrying a {{@link ReceivedLink}}. */\nexport const LINK_RECEIVED = {:?};\n\n/** Event carrying a {{@link FlowProgress}}. */\nexport const FLOW_PROGRESS = {:?};\n\n/** Event carrying a {{@link PaymentProgress}}. */\nexport const PAYMENT_PROGRESS = {:?};\n",
            event::LINK_RECEIVED,
            event::FLOW_PROGRESS,
            event::PAYMENT_PROGRESS
        ));
        out
    }

    #[test]
    fn typescript_bindings_are_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/ipc/bindings.ts");
        let expected = declarations();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &expected).expect("write bindings");
            return;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "{} is stale: run `npm run bindings` and commit the result",
            path.display()
        );
    }

    #[test]
    fn errors_serialize_as_code_and_message() {
        let error = IpcError {
            code: ErrorCode::Storage,
            problem: ProblemCode::Storage,
            message: "x".into(),
            details: None,
        };
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"storage","problem":"storage","message":"x","details":null}"#
        );
    }
}
