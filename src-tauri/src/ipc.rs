//! Types that cross the IPC boundary. TypeScript declarations for them are
//! generated into `ui/src/lib/ipc/bindings.ts`; a test fails when the file is
//! stale, so the two sides cannot drift.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    /// The full URL as the OS delivered it.
    pub url: String,
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

/// What a failed command tells the UI: a stable code to branch on and a
/// sentence for the person.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// One sentence saying what happened and what to do.
    pub message: String,
}

/// Codes the UI branches on. Add one only when the UI needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The app could not find or create one of its folders or files.
    Storage,
    /// A wallet address is wrong, unreachable or unusable.
    Wallet,
    /// The system keyring is unavailable or locked.
    Keyring,
    /// A passphrase is missing, too short or wrong.
    Passphrase,
    /// A profile name is taken, or the profile does not exist.
    Profile,
    /// A key could not be read or imported.
    Key,
    /// The wallet refused a grant, or a value in the request is wrong.
    Grant,
    /// A wallet could not be reached; trying again may work.
    Network,
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

/// Text the person typed that must stay secret (a passphrase, a private
/// key): `Debug` shows `[redacted]`, and the memory is wiped when dropped.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct SecretText(zeroize::Zeroizing<String>);

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        Self(zeroize::Zeroizing::new(text))
    }
}

impl SecretText {
    /// The text, still wiped on drop.
    #[must_use]
    pub fn into_zeroizing(self) -> zeroize::Zeroizing<String> {
        self.0
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The grant request form. `Debug` hides the passphrase.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GrantForm {
    /// The sending wallet address (the person's own wallet).
    pub wallet: String,
    /// What the amount limits.
    pub limit: AmountLimit,
    /// The amount in the wallet's major unit, as typed ("13.20").
    pub amount: Option<String>,
    /// The only incoming payment the grant may pay.
    pub receiver: Option<String>,
    /// An ISO 8601 repeating interval, e.g. `R/2025-04-22T00:00:00Z/P1D`.
    pub interval: Option<String>,
    /// What the client may do; the usual set when empty.
    pub actions: Vec<GrantAction>,
    /// Where the person approves (this app's window unless said otherwise).
    #[serde(default)]
    #[ts(optional)]
    pub approve_in: Option<ApproveIn>,
    /// The passphrase of a profile whose key is in a protected file (needed
    /// once per run).
    #[serde(default)]
    #[ts(optional, as = "Option<String>")]
    pub passphrase: Option<SecretText>,
}

/// Where the person approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ApproveIn {
    /// A window of this app; the wallet returns to a listener on this machine.
    Window,
    /// The system browser; the wallet returns through a `dev.consentdesk:` link.
    Browser,
}

/// Which amount a grant limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AmountLimit {
    /// No amount limit.
    None,
    /// `debitAmount`: at most this leaves the wallet.
    Debit,
    /// `receiveAmount`: at most this arrives.
    Receive,
}

/// Outgoing-payment actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum GrantAction {
    /// Send payments.
    Create,
    /// See payments it made.
    Read,
    /// See all payments of the account.
    ReadAll,
    /// List payments it made.
    List,
    /// List all payments of the account.
    ListAll,
}

/// What a form would send, before sending it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GrantPreview {
    /// The sending wallet's public name, or its address.
    pub wallet_name: String,
    /// e.g. "USD".
    pub asset_code: String,
    /// e.g. 2.
    pub asset_scale: u8,
    /// The limit in words: "Up to $13.20 every day from 22 Apr 2025".
    pub summary: String,
    /// The exact grant request body, pretty-printed.
    pub request_json: String,
}

/// A grant, without any token.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GrantView {
    /// Its id (also in its finish link).
    pub id: String,
    /// Where it is.
    pub state: GrantStateView,
    /// The sending wallet address.
    pub wallet: String,
    /// The limit in words.
    pub summary: String,
    /// The wallet's consent page, while the grant waits (to open it again).
    pub consent_url: Option<String>,
    /// What was granted (JSON), once approved.
    pub access_json: Option<String>,
    /// When the access token expires (RFC 3339).
    pub expires_at: Option<String>,
    /// Why it did not succeed, in words.
    pub problem: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// Where a grant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum GrantStateView {
    /// Waiting for approval at the wallet.
    Pending,
    /// A finish arrived; being verified and continued.
    Finishing,
    /// Approved.
    Approved,
    /// Failed for another reason (the problem says which).
    Failed,
    /// The person said no at the wallet.
    Rejected,
    /// The approval expired before it was finished.
    Expired,
    /// Cancelled.
    Cancelled,
    /// Its token was revoked; it allows nothing more.
    Revoked,
}

/// A step of a running approval, sent as an event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FlowProgress {
    /// The grant, once it has an id.
    pub grant_id: Option<String>,
    /// The step reached.
    pub step: FlowStep,
    /// One sentence for the person.
    pub message: String,
    /// The grant as it now is.
    pub grant: Option<GrantView>,
}

/// The steps of an approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FlowStep {
    /// Asking the wallet for the grant.
    Requesting,
    /// The wallet's page is open; waiting for the person.
    Waiting,
    /// A finish arrived; checking it belongs to this grant.
    Verifying,
    /// Continuing the grant at the wallet.
    Continuing,
    /// Approved and stored.
    Done,
    /// Not approved (rejected, expired) or failed; the message says which.
    Failed,
    /// A finish link was refused as not genuine; the grant still waits.
    Refused,
    /// Cancelled (the window was closed or Cancel pressed).
    Cancelled,
}

/// One grant with what it spent and the payments made with it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GrantDetail {
    /// The grant.
    pub grant: GrantView,
    /// Its budget and what is used of it (this interval's, for a recurring
    /// one), when the wallet could be asked.
    pub spent: Option<SpentMeter>,
    /// Why the wallet could not say what was spent, in words.
    pub spent_problem: Option<String>,
    /// The renewal in words ("every day from 25 Nov 2026"), if any.
    pub interval: Option<String>,
    /// Payments made with it, newest first.
    pub payments: Vec<PaymentView>,
    /// For a budget that renews: what its payments used in each period,
    /// newest first (up to twelve), as this app recorded them.
    pub history: Vec<PeriodUse>,
}

/// What a renewing grant's payments used in one period.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PeriodUse {
    /// When the period starts, in words ("25 Nov 2026").
    pub start: String,
    /// RFC 3339.
    pub starts_at: String,
    /// Used ("$3.00").
    pub spent: String,
    /// Used as a share of the limit, 0 to 100.
    pub percent: Option<u8>,
}

/// Spent against a limit, for a bar.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpentMeter {
    /// What was spent ("$4.00"), debit or delivered as the limit counts.
    pub spent: String,
    /// The limit ("$10.00"); none for a grant without an amount limit.
    pub limit: Option<String>,
    /// Spent as a share of the limit, 0 to 100.
    pub percent: Option<u8>,
    /// Whether the limit counts what leaves (`debit`) or arrives.
    pub counts: AmountLimit,
}

/// Which activity entries to list.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityQuery {
    /// Text found in the operation, the URL or the details.
    #[serde(default)]
    pub text: String,
    /// Only failures: no answer, a status of 400 or more, refused finishes.
    #[serde(default)]
    pub failures_only: bool,
}

/// One thing the app did: a request to a wallet, or a finish link checked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    /// Grows with time.
    #[ts(type = "number")]
    pub id: i64,
    /// RFC 3339, milliseconds.
    pub at: String,
    /// `request` or `finish`.
    pub kind: String,
    /// The OpenAPI operation, or `finish`.
    pub operation: String,
    /// For a request.
    pub method: Option<String>,
    /// The URL asked, or the finish link without its query.
    pub url: Option<String>,
    /// The answer's status.
    pub status: Option<u16>,
    /// How long it took.
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// Answered below 400, or a finish verified and completed.
    pub ok: bool,
    /// A request's `Signature-Input` (covered components, key id, time).
    pub signature_input: Option<String>,
    /// A token went with the request (its value is never kept).
    pub with_token: bool,
    /// Why a request got no answer, or how a finish ended.
    pub outcome: Option<String>,
    /// For a finish: the grant it named.
    pub grant: Option<String>,
    /// For a finish: whether its hash matched (none when it named no
    /// waiting grant).
    pub hash_verified: Option<bool>,
    /// For a finish: the `hash` it carried.
    pub hash: Option<String>,
}

/// Where the activity log was written.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityExport {
    /// The file.
    pub path: String,
    /// How many entries.
    pub entries: u32,
}

/// The Pay screen's form.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PayForm {
    /// The sending wallet address (the person's own).
    pub from: String,
    /// A wallet address (`https://…` or `$…`), or an incoming payment URL a
    /// merchant gave.
    pub to: String,
    /// In the asset's normal unit ("12.50"); empty pays what an incoming
    /// payment asks for.
    pub amount: String,
    /// Whether `amount` is what leaves the wallet or what arrives.
    pub amount_kind: PayAmountKind,
    /// A note for the receiver.
    pub note: String,
    /// The passphrase of a profile whose key is in a protected file.
    #[serde(default)]
    #[ts(optional, as = "Option<String>")]
    pub passphrase: Option<SecretText>,
}

/// Which amount the person gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PayAmountKind {
    /// What leaves the person's wallet, fees included.
    Send,
    /// What the receiver gets.
    Receive,
}

/// A payment, for the Pay screen and lists.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    /// Local id.
    pub id: String,
    /// Where it is.
    pub state: PaymentStateView,
    /// The sending wallet address.
    pub from: String,
    /// The receiving wallet address, or the incoming payment it pays.
    pub to: String,
    /// What leaves the wallet, fees included ("$12.63").
    pub debit: String,
    /// What the receiver gets ("€11.50").
    pub receive: String,
    /// The exchange rate in words, across currencies only.
    pub rate: Option<String>,
    /// When the quote stops being valid (RFC 3339).
    pub quote_expires_at: Option<String>,
    /// The quote's time has passed: a new one is needed before paying.
    pub quote_expired: bool,
    /// What has been sent so far, once the payment exists.
    pub sent: Option<String>,
    /// The note for the receiver.
    pub note: Option<String>,
    /// Why it failed or stopped, in words.
    pub problem: Option<String>,
    /// The grant that allows it, once asked for.
    pub grant_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PaymentStateView {
    /// Quoted; waiting for the person's confirmation.
    Quoted,
    /// Waiting for approval at the wallet.
    Authorizing,
    /// Being sent.
    Sending,
    /// Sent, settling.
    Sent,
    /// The receiver got the money.
    Completed,
    /// Failed.
    Failed,
    /// Stopped before money moved.
    Cancelled,
}

/// A payment moved on (sent as an event).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProgress {
    /// The payment as it now is.
    pub payment: PaymentView,
    /// One sentence for the person.
    pub message: String,
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
            declaration::<ActivityView>(&cfg),
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
            message: "x".into(),
        };
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"storage","message":"x"}"#
        );
    }
}
