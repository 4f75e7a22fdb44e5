//! What a screen sends the engine (forms) and what it shows (views): the
//! types that cross the app's IPC boundary, with TypeScript declarations
//! generated from them (the shell's `ipc.rs` lists them for the bindings
//! file). No view carries a token or a key.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    /// For a failure: the technical line folded under "Details" (the
    /// wallet's status and code, the host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub details: Option<String>,
    /// The grant as it now is.
    pub grant: Option<GrantView>,
    /// It waits in the person's browser, not in a Consent Desk window.
    pub in_browser: bool,
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
    /// Only requests, or only finish links; none for both.
    #[serde(default)]
    #[ts(optional, as = "Option<ActivityKindView>")]
    pub kind: Option<ActivityKindView>,
}

/// Which kind of activity entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActivityKindView {
    /// A request to a wallet.
    Request,
    /// A finish link checked.
    Finish,
}

/// One side of an exchange: headers and body, secrets redacted.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HttpMessageView {
    /// Name and value, in the order sent or received; a credential's value
    /// reads `(redacted)`.
    pub headers: Vec<HeaderView>,
    /// The body (JSON indented), tokens, interaction references and private
    /// keys redacted, cut at 16 KiB with "… (N bytes more)".
    pub body: Option<String>,
}

/// One header.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeaderView {
    /// Lower case, as HTTP/2 sends it.
    pub name: String,
    /// Its value, or `(redacted)`.
    pub value: String,
}

/// What a request's signature covered (RFC 9421), read from its
/// `Signature-Input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignatureView {
    /// The signature's label (`sig1`).
    pub label: String,
    /// The covered components, in order (`@method`, `@target-uri`,
    /// `authorization`, `content-digest`, …).
    pub components: Vec<String>,
    /// The `keyid` parameter.
    pub keyid: Option<String>,
    /// The `created` parameter, seconds since 1970.
    #[ts(type = "number | null")]
    pub created: Option<i64>,
    /// The `alg` parameter, when sent.
    pub alg: Option<String>,
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
    /// For a finish: the link as received, its `interact_ref` redacted, cut
    /// at 4 KiB.
    pub link: Option<String>,
    /// For a request: what was sent.
    pub request: Option<HttpMessageView>,
    /// For a request that was answered: the answer.
    pub response: Option<HttpMessageView>,
    /// For a signed request: what its signature covered.
    pub signature: Option<SignatureView>,
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
    /// The receiver's public name, when its wallet gives one.
    pub to_name: Option<String>,
    /// What leaves the wallet, fees included ("$12.63").
    pub debit: String,
    /// What the receiver gets ("€11.50").
    pub receive: String,
    /// What the wallet keeps, in words ("$0.11", or that it is part of the
    /// rate across currencies).
    pub fee: String,
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

/// Where a payment is: the stored state itself, which screens show as it is
/// (`PaymentStateView` in TypeScript).
pub use crate::PaymentState as PaymentStateView;

/// A payment moved on (sent as an event).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentProgress {
    /// The payment as it now is.
    pub payment: PaymentView,
    /// One sentence for the person.
    pub message: String,
}

impl GrantView {
    /// What a screen shows of `record`.
    #[must_use]
    pub fn of(record: &crate::GrantRecord) -> Self {
        Self {
            id: record.id.clone(),
            state: crate::words::grant_state(record),
            wallet: record.wallet.to_string(),
            summary: match &record.request {
                crate::GrantAsk::Access(request) => crate::words::summary(request),
                // An ownership proof asks for `subject`, not access.
                crate::GrantAsk::Subject(_) => format!("Proof that you own {}", record.wallet),
            },
            consent_url: (record.state == crate::GrantState::Pending)
                .then(|| record.redirect.as_ref().map(ToString::to_string))
                .flatten(),
            access_json: record
                .access
                .as_ref()
                .and_then(|a| serde_json::to_string_pretty(a).ok()),
            expires_at: record.expires_at.map(crate::store::rfc3339),
            problem: record.outcome.as_ref().map(crate::words::grant_outcome),
            created_at: crate::store::rfc3339(record.created_at),
        }
    }
}

impl PaymentView {
    /// What a screen shows of `record`.
    #[must_use]
    pub fn of(record: &crate::PaymentRecord) -> Self {
        use consent_desk_protocol::describe::format_amount_of;
        Self {
            id: record.id.clone(),
            state: record.state,
            from: record.sender.to_string(),
            to: record
                .receiver_wallet
                .as_ref()
                .unwrap_or(&record.incoming_payment)
                .to_string(),
            to_name: record.receiver_name.clone(),
            debit: format_amount_of(&record.quote.debit_amount),
            receive: format_amount_of(&record.quote.receive_amount),
            fee: crate::words::fee(&record.quote.debit_amount, &record.quote.receive_amount),
            rate: crate::words::rate(&record.quote.debit_amount, &record.quote.receive_amount),
            quote_expires_at: record.quote.expires_at.clone(),
            quote_expired: !record.state.is_final()
                && record.state != crate::PaymentState::Sent
                && record.quote_expired(),
            sent: record
                .outgoing_payment
                .as_ref()
                .map(|payment| format_amount_of(&payment.sent_amount)),
            note: record.note.clone(),
            problem: record.problem.as_ref().map(crate::words::payment_problem),
            grant_id: record.grant_id.clone(),
            created_at: crate::store::rfc3339(record.created_at),
        }
    }
}

impl ActivityView {
    /// What a screen shows of an activity entry.
    #[must_use]
    pub fn of(entry: crate::activity::ActivityEntry) -> Self {
        let text = |key: &str| entry.detail[key].as_str().map(str::to_owned);
        Self {
            id: entry.id,
            at: entry.at.clone(),
            kind: match entry.kind {
                crate::activity::ActivityKind::Request => "request".to_owned(),
                crate::activity::ActivityKind::Finish => "finish".to_owned(),
            },
            operation: entry.operation.clone(),
            method: entry.method.clone(),
            url: entry.url.clone(),
            status: entry.status,
            duration_ms: entry.duration_ms,
            ok: entry.ok,
            signature_input: text("signatureInput"),
            with_token: entry.detail["withToken"].as_bool().unwrap_or(false),
            outcome: text("failure").or_else(|| text("outcome")),
            grant: text("grant"),
            hash_verified: entry.detail["hashVerified"].as_bool(),
            hash: text("hash"),
            link: text("link"),
            request: HttpMessageView::of(&entry.detail["request"]),
            response: HttpMessageView::of(&entry.detail["response"]),
            signature: text("signatureInput")
                .as_deref()
                .and_then(SignatureView::parse),
        }
    }
}

impl HttpMessageView {
    /// `{headers: [[name, value]], body}` as the log keeps it; none when
    /// absent (a finish, no answer, an entry from before 0.2).
    fn of(detail: &serde_json::Value) -> Option<Self> {
        let headers = detail.get("headers")?.as_array()?;
        Some(Self {
            headers: headers
                .iter()
                .filter_map(|pair| {
                    Some(HeaderView {
                        name: pair.get(0)?.as_str()?.to_owned(),
                        value: pair.get(1)?.as_str()?.to_owned(),
                    })
                })
                .collect(),
            body: detail["body"].as_str().map(str::to_owned),
        })
    }
}

impl SignatureView {
    /// Reads `sig1=("@method" "@target-uri");keyid="k";created=1`; none
    /// for anything else.
    #[must_use]
    pub fn parse(input: &str) -> Option<Self> {
        let (label, rest) = input.split_once('=')?;
        let rest = rest.trim().strip_prefix('(')?;
        let (list, params) = rest.split_once(')')?;
        let components = list
            .split_whitespace()
            .map(|item| item.trim_matches('"').to_owned())
            .collect();
        let mut view = Self {
            label: label.trim().to_owned(),
            components,
            keyid: None,
            created: None,
            alg: None,
        };
        for param in params.split(';').filter(|p| !p.is_empty()) {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            let value = value.trim_matches('"');
            match name.trim() {
                "keyid" => view.keyid = Some(value.to_owned()),
                "created" => view.created = value.parse().ok(),
                "alg" => view.alg = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(view)
    }
}

impl ActivityQuery {
    /// The store's filter for this query.
    #[must_use]
    pub fn filter(&self) -> crate::activity::ActivityFilter {
        crate::activity::ActivityFilter {
            text: Some(self.text.clone()).filter(|text| !text.trim().is_empty()),
            failures_only: self.failures_only,
            kind: self.kind.map(|kind| match kind {
                ActivityKindView::Request => crate::activity::ActivityKind::Request,
                ActivityKindView::Finish => crate::activity::ActivityKind::Finish,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SignatureView;

    #[test]
    fn a_signature_input_reads_as_its_components_key_and_time() {
        let view = SignatureView::parse(
            r#"sig1=("@method" "@target-uri" "authorization" "content-digest");keyid="key-1";created=1764500000"#,
        )
        .expect("parsed");
        assert_eq!(view.label, "sig1");
        assert_eq!(
            view.components,
            ["@method", "@target-uri", "authorization", "content-digest"]
        );
        assert_eq!(view.keyid.as_deref(), Some("key-1"));
        assert_eq!(view.created, Some(1_764_500_000));
        assert_eq!(view.alg, None);
        assert_eq!(SignatureView::parse("not a signature input"), None);
    }
}
