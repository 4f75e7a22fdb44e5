//! GNAP grant messages as Open Payments profiles them (`auth-server.yaml`,
//! [RFC 9635](https://www.rfc-editor.org/rfc/rfc9635)).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::amount::Amount;
use crate::error::{Error, GrantRequestError};
use crate::finish::Nonce;
use crate::interval::RepeatingInterval;
use crate::key::Jwk;
use crate::secret::{AccessToken, ContinueToken};

/// The continuation URI of a pending grant
/// ([RFC 9635 §3.1](https://www.rfc-editor.org/rfc/rfc9635#section-3.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContinueUri(pub Url);

/// The token management URI of an access token
/// ([RFC 9635 §6](https://www.rfc-editor.org/rfc/rfc9635#section-6)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ManageUri(pub Url);

/// Actions on incoming payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncomingPaymentAction {
    /// `create`
    Create,
    /// `complete`
    Complete,
    /// `read`
    Read,
    /// `read-all`
    ReadAll,
    /// `list`
    List,
    /// `list-all`
    ListAll,
}

/// Actions on outgoing payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutgoingPaymentAction {
    /// `create`
    Create,
    /// `read`
    Read,
    /// `read-all`
    ReadAll,
    /// `list`
    List,
    /// `list-all`
    ListAll,
}

/// Actions on quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuoteAction {
    /// `create`
    Create,
    /// `read`
    Read,
    /// `read-all`
    ReadAll,
}

/// One entry of `access_token.access`
/// ([RFC 9635 §8](https://www.rfc-editor.org/rfc/rfc9635#section-8); Open
/// Payments `access-item`).
// A grant holds one to three of these, so boxing the larger variant would
// only make matching and building them clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AccessItem {
    /// `access-incoming`.
    IncomingPayment {
        /// What the client may do.
        actions: Vec<IncomingPaymentAction>,
        /// The wallet address the access is limited to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier: Option<Url>,
    },
    /// `access-outgoing`: `identifier` is required here.
    OutgoingPayment {
        /// What the client may do.
        actions: Vec<OutgoingPaymentAction>,
        /// The paying wallet address.
        identifier: Url,
        /// Budget, receiver and interval.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<OutgoingLimits>,
    },
    /// `access-quote`.
    Quote {
        /// What the client may do.
        actions: Vec<QuoteAction>,
    },
}

/// The amount limit of an outgoing-payment grant: one of the two, never both,
/// as `limits-outgoing` in `auth-server.yaml` requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitAmount {
    /// `debitAmount`: at most this much leaves the sender's wallet.
    Debit(Amount),
    /// `receiveAmount`: at most this much arrives at the receiver.
    Receive(Amount),
}

/// `limits-outgoing`. `debitAmount` and `receiveAmount` are one [`LimitAmount`],
/// so both cannot be set; a body with both is refused when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawLimits", into = "RawLimits")]
pub struct OutgoingLimits {
    /// The only incoming payment the grant may pay.
    pub receiver: Option<Url>,
    /// The amount limit, if any.
    pub amount: Option<LimitAmount>,
    /// The repeating interval after which the budget renews.
    pub interval: Option<RepeatingInterval>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receiver: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    debit_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receive_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<RepeatingInterval>,
}

impl TryFrom<RawLimits> for OutgoingLimits {
    type Error = &'static str;
    fn try_from(raw: RawLimits) -> Result<Self, Self::Error> {
        let amount = match (raw.debit_amount, raw.receive_amount) {
            (Some(_), Some(_)) => return Err("limits have both debitAmount and receiveAmount"),
            (Some(debit), None) => Some(LimitAmount::Debit(debit)),
            (None, Some(receive)) => Some(LimitAmount::Receive(receive)),
            (None, None) => None,
        };
        Ok(Self {
            receiver: raw.receiver,
            amount,
            interval: raw.interval,
        })
    }
}

impl From<OutgoingLimits> for RawLimits {
    fn from(limits: OutgoingLimits) -> Self {
        let (debit_amount, receive_amount) = match limits.amount {
            Some(LimitAmount::Debit(amount)) => (Some(amount), None),
            Some(LimitAmount::Receive(amount)) => (None, Some(amount)),
            None => (None, None),
        };
        Self {
            receiver: limits.receiver,
            debit_amount,
            receive_amount,
            interval: limits.interval,
        }
    }
}

/// `access_token` of a grant request
/// ([RFC 9635 §2.1](https://www.rfc-editor.org/rfc/rfc9635#section-2.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenRequest {
    /// The rights asked for.
    pub access: Vec<AccessItem>,
}

/// How the client identifies itself (`client` in `auth-server.yaml`,
/// [RFC 9635 §2.3](https://www.rfc-editor.org/rfc/rfc9635#section-2.3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClientIdentity {
    /// The wallet address URL as a bare string: deprecated in spec 1.3 but the
    /// form Rafiki, the SDKs and the seed examples send.
    Url(Url),
    /// `{"walletAddress": …}`.
    WalletAddress {
        /// The client's wallet address.
        #[serde(rename = "walletAddress")]
        wallet_address: Url,
    },
    /// `{"jwk": …}`: directed identity, refused for interactive grants.
    Jwk {
        /// The client's public key.
        jwk: Jwk,
    },
}

/// Which form of `client` grant requests carry. The string form is
/// deprecated in Open Payments 1.3 in favour of `{"walletAddress": …}`, but
/// it is the one every deployed server accepts, so it stays the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientForm {
    /// `"client": "https://…"`.
    #[default]
    String,
    /// `"client": {"walletAddress": "https://…"}`.
    Object,
}

impl ClientForm {
    /// `string` or `object`, as the command line and the profile file write it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Object => "object",
        }
    }
}

impl ClientIdentity {
    /// This wallet address identity in `form`; a JWK identity is left as is.
    #[must_use]
    pub fn in_form(self, form: ClientForm) -> Self {
        match (self, form) {
            (
                Self::Url(url)
                | Self::WalletAddress {
                    wallet_address: url,
                },
                ClientForm::String,
            ) => Self::Url(url),
            (
                Self::Url(url)
                | Self::WalletAddress {
                    wallet_address: url,
                },
                ClientForm::Object,
            ) => Self::WalletAddress {
                wallet_address: url,
            },
            (jwk @ Self::Jwk { .. }, _) => jwk,
        }
    }

    /// The client's wallet address, unless it identifies by a bare key.
    #[must_use]
    pub fn wallet_address(&self) -> Option<&Url> {
        match self {
            Self::Url(url)
            | Self::WalletAddress {
                wallet_address: url,
            } => Some(url),
            Self::Jwk { .. } => None,
        }
    }
}

/// `interact.finish` of a grant request
/// ([RFC 9635 §2.5.2](https://www.rfc-editor.org/rfc/rfc9635#section-2.5.2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractFinish {
    /// Always `redirect` in Open Payments.
    pub method: FinishMethod,
    /// Where the wallet sends the person back to.
    pub uri: Url,
    /// The client nonce that the finish hash covers.
    pub nonce: String,
}

/// `interact.finish.method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishMethod {
    /// `redirect`
    Redirect,
}

/// `interact.start` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractStart {
    /// `redirect`: the person is sent to `interact.redirect`.
    Redirect,
}

/// `interact` of a grant request
/// ([RFC 9635 §2.5](https://www.rfc-editor.org/rfc/rfc9635#section-2.5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractRequest {
    /// How the interaction starts.
    pub start: Vec<InteractStart>,
    /// How it finishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<InteractFinish>,
}

/// A grant request (`post-request` in `auth-server.yaml`,
/// [RFC 9635 §2](https://www.rfc-editor.org/rfc/rfc9635#section-2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    /// The access asked for.
    pub access_token: AccessTokenRequest,
    /// Who asks.
    pub client: ClientIdentity,
    /// Present for interactive grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interact: Option<InteractRequest>,
}

impl GrantRequest {
    /// A non-interactive grant (incoming payments, quotes).
    #[must_use]
    pub fn non_interactive(client: Url, access: Vec<AccessItem>) -> Self {
        Self {
            access_token: AccessTokenRequest { access },
            client: ClientIdentity::Url(client),
            interact: None,
        }
    }

    /// Starts an outgoing-payment grant request, as the seed examples build it.
    pub fn outgoing_payment(wallet_address: Url) -> OutgoingPaymentGrantBuilder {
        OutgoingPaymentGrantBuilder {
            wallet_address,
            client: None,
            actions: vec![
                OutgoingPaymentAction::List,
                OutgoingPaymentAction::ListAll,
                OutgoingPaymentAction::Read,
                OutgoingPaymentAction::ReadAll,
                OutgoingPaymentAction::Create,
            ],
            receiver: None,
            amount: None,
            interval: None,
            finish: None,
            error: None,
        }
    }
}

/// Builds an interactive outgoing-payment [`GrantRequest`]; setters keep the
/// first problem and [`build`](Self::build) reports it.
#[derive(Debug, Clone)]
#[must_use]
pub struct OutgoingPaymentGrantBuilder {
    wallet_address: Url,
    client: Option<Url>,
    actions: Vec<OutgoingPaymentAction>,
    receiver: Option<Url>,
    amount: Option<LimitAmount>,
    interval: Option<RepeatingInterval>,
    finish: Option<(Url, Nonce)>,
    error: Option<GrantRequestError>,
}

impl OutgoingPaymentGrantBuilder {
    fn fail(&mut self, error: GrantRequestError) {
        self.error.get_or_insert(error);
    }

    /// The client's wallet address (`client`).
    pub fn client(mut self, client: Url) -> Self {
        self.client = Some(client);
        self
    }

    /// Replaces the default actions (`list, list-all, read, read-all, create`).
    pub fn actions(mut self, actions: Vec<OutgoingPaymentAction>) -> Self {
        if actions.is_empty() {
            self.fail(GrantRequestError::NoActions);
        }
        self.actions = actions;
        self
    }

    /// Limits what leaves the sender's wallet.
    pub fn debit_amount(mut self, amount: Amount) -> Self {
        if matches!(self.amount, Some(LimitAmount::Receive(_))) {
            self.fail(GrantRequestError::BothAmounts);
        }
        self.amount = Some(LimitAmount::Debit(amount));
        self
    }

    /// Limits what arrives at the receiver.
    pub fn receive_amount(mut self, amount: Amount) -> Self {
        if matches!(self.amount, Some(LimitAmount::Debit(_))) {
            self.fail(GrantRequestError::BothAmounts);
        }
        self.amount = Some(LimitAmount::Receive(amount));
        self
    }

    /// The only incoming payment this grant may pay.
    pub fn receiver(mut self, receiver: Url) -> Self {
        if !receiver.path().contains("/incoming-payments/") {
            self.fail(GrantRequestError::NotAnIncomingPayment {
                url: receiver.to_string(),
            });
        }
        self.receiver = Some(receiver);
        self
    }

    /// A budget that renews, e.g. `R/2025-04-22T08:00:00Z/P1D`.
    pub fn interval(mut self, interval: RepeatingInterval) -> Self {
        self.interval = Some(interval);
        self
    }

    /// Parses and sets the interval; a bad text is reported by `build`.
    pub fn interval_str(mut self, text: &str) -> Self {
        match RepeatingInterval::parse(text) {
            Ok(interval) => self.interval = Some(interval),
            Err(error) => self.fail(GrantRequestError::Interval(error)),
        }
        self
    }

    /// Where the wallet redirects after approval, and the client nonce.
    pub fn finish(mut self, uri: Url, nonce: Nonce) -> Self {
        self.finish = Some((uri, nonce));
        self
    }

    /// The grant request.
    ///
    /// # Errors
    ///
    /// The first invalid value given, or a missing client or finish URI.
    pub fn build(self) -> Result<GrantRequest, Error> {
        if let Some(error) = self.error {
            return Err(error.into());
        }
        let client = self.client.ok_or(GrantRequestError::MissingClient)?;
        let (uri, nonce) = self.finish.ok_or(GrantRequestError::MissingFinish)?;
        let limits = (self.receiver.is_some() || self.amount.is_some() || self.interval.is_some())
            .then_some(OutgoingLimits {
                receiver: self.receiver,
                amount: self.amount,
                interval: self.interval,
            });
        Ok(GrantRequest {
            access_token: AccessTokenRequest {
                access: vec![AccessItem::OutgoingPayment {
                    actions: self.actions,
                    identifier: self.wallet_address,
                    limits,
                }],
            },
            client: ClientIdentity::Url(client),
            interact: Some(InteractRequest {
                start: vec![InteractStart::Redirect],
                finish: Some(InteractFinish {
                    method: FinishMethod::Redirect,
                    uri,
                    nonce: nonce.as_str().to_owned(),
                }),
            }),
        })
    }
}

/// `continue.access_token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContinueAccessToken {
    /// The continuation token.
    pub value: ContinueToken,
}

/// `continue` of a grant response
/// ([RFC 9635 §3.1](https://www.rfc-editor.org/rfc/rfc9635#section-3.1)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Continue {
    /// The token for continuing.
    pub access_token: ContinueAccessToken,
    /// Where to continue.
    pub uri: ContinueUri,
    /// Seconds to wait before continuing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<u64>,
}

/// `interact` of a pending grant response
/// ([RFC 9635 §3.3](https://www.rfc-editor.org/rfc/rfc9635#section-3.3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractResponse {
    /// The consent page at the wallet's identity provider.
    pub redirect: Url,
    /// The server nonce for the finish hash.
    pub finish: String,
}

/// `access_token` of an approved grant
/// ([RFC 9635 §3.2.1](https://www.rfc-editor.org/rfc/rfc9635#section-3.2.1)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantedAccessToken {
    /// The token for the resource server.
    pub value: AccessToken,
    /// Where to rotate or revoke it.
    pub manage: ManageUri,
    /// Seconds until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// What it grants.
    pub access: Vec<AccessItem>,
}

/// A grant waiting for the person to approve it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingGrant {
    /// Where to send the person.
    pub interact: InteractResponse,
    /// How to continue once they finish.
    #[serde(rename = "continue")]
    pub continue_: Continue,
}

/// An approved grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovedGrant {
    /// The access token.
    pub access_token: GrantedAccessToken,
    /// How to cancel the grant later.
    #[serde(rename = "continue")]
    pub continue_: Continue,
}

/// `subject` (Open Payments 1.3): the identities a client asks the wallet to
/// confirm the person owns; one wallet address in Open Payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Exactly one identifier (`minItems: 1, maxItems: 1`).
    pub sub_ids: Vec<SubjectId>,
}

/// One entry of `subject.sub_ids`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectId {
    /// The identifier: a wallet address URL.
    pub id: String,
    /// Always `uri` in Open Payments.
    pub format: SubjectIdFormat,
}

/// `sub_ids[].format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectIdFormat {
    /// `uri`
    Uri,
}

impl Subject {
    /// Asks about (or confirms) one wallet address.
    #[must_use]
    pub fn wallet_address(wallet: &Url) -> Self {
        Self {
            sub_ids: vec![SubjectId {
                id: wallet.to_string(),
                format: SubjectIdFormat::Uri,
            }],
        }
    }

    /// Whether `wallet` is among the identifiers.
    #[must_use]
    pub fn names(&self, wallet: &Url) -> bool {
        self.sub_ids
            .iter()
            .any(|sub| Url::parse(&sub.id).is_ok_and(|id| id == *wallet))
    }
}

/// "Prove I own this wallet address": an interactive grant request with
/// `subject` and no `access_token` ("with Subject" in `auth-server.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRequest {
    /// Whose ownership the person is asked to confirm.
    pub subject: Subject,
    /// Who asks.
    pub client: ClientIdentity,
    /// The person confirms at the wallet's consent page.
    pub interact: InteractRequest,
}

impl SubjectRequest {
    /// Asks the person to confirm at their wallet that they own `wallet`.
    #[must_use]
    pub fn ownership_of(wallet: &Url, client: Url, finish: Url, nonce: &Nonce) -> Self {
        Self {
            subject: Subject::wallet_address(wallet),
            client: ClientIdentity::Url(client),
            interact: InteractRequest {
                start: vec![InteractStart::Redirect],
                finish: Some(InteractFinish {
                    method: FinishMethod::Redirect,
                    uri: finish,
                    nonce: nonce.as_str().to_owned(),
                }),
            },
        }
    }
}

/// A continuation answer that carries `subject` and no token: the wallet
/// confirmed who owns the wallet address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectGrant {
    /// The identifiers the wallet confirmed.
    pub subject: Subject,
    /// How to cancel the grant.
    #[serde(rename = "continue")]
    pub continue_: Continue,
}

/// A grant response: either pending interaction or approved
/// ([RFC 9635 §3](https://www.rfc-editor.org/rfc/rfc9635#section-3)).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrantResponse {
    /// Has `interact`: the person must approve first.
    Pending(PendingGrant),
    /// Has `access_token`.
    Approved(ApprovedGrant),
    /// Has `subject` and no token: an ownership proof was confirmed.
    Subject(SubjectGrant),
}

/// A grant answer this app could not read that offers only interactions it
/// does not support (no `redirect`; v1.4's `card`) becomes
/// [`Error::UnsupportedInteraction`], so the person reads why in words rather
/// than "an answer this app cannot read". Any other error is returned as is.
pub(crate) fn refuse_unsupported_interaction(error: Error) -> Error {
    let Error::InvalidResponse { host, body, .. } = &error else {
        return error;
    };
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body.0) else {
        return error;
    };
    let Some(interact) = answer
        .get("interact")
        .and_then(serde_json::Value::as_object)
    else {
        return error;
    };
    if interact.contains_key("redirect") {
        return error;
    }
    // `finish` is the server's nonce, not a way to interact.
    let offered: Vec<String> = interact
        .keys()
        .filter(|key| key.as_str() != "finish")
        .cloned()
        .collect();
    if offered.is_empty() {
        return error;
    }
    Error::UnsupportedInteraction {
        host: host.clone(),
        offered,
    }
}

/// The continuation body `{"interact_ref": …}`
/// ([RFC 9635 §5.1](https://www.rfc-editor.org/rfc/rfc9635#section-5.1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueRequest {
    /// From the finish redirect.
    pub interact_ref: String,
}

/// The answer to a token rotation: a new value AND a new manage URI
/// ([RFC 9635 §6.1](https://www.rfc-editor.org/rfc/rfc9635#section-6.1)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RotatedToken {
    /// The new token.
    pub access_token: GrantedAccessToken,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RawBody;

    fn unreadable(body: serde_json::Value) -> Error {
        let body = serde_json::to_vec(&body).unwrap();
        let reason = serde_json::from_slice::<GrantResponse>(&body)
            .expect_err("not a 1.3 grant answer")
            .to_string();
        Error::InvalidResponse {
            host: "wallet.example".to_owned(),
            path: ".".to_owned(),
            reason,
            body: RawBody(body),
        }
    }

    fn continue_() -> serde_json::Value {
        serde_json::json!({
            "access_token": {"value": "c0"},
            "uri": "https://wallet.example/continue/1"
        })
    }

    #[test]
    fn a_grant_answer_offering_only_a_card_interaction_is_refused_in_words() {
        let error = refuse_unsupported_interaction(unreadable(serde_json::json!({
            "interact": {"card": {"uri": "https://wallet.example/card/1"}, "finish": "n0"},
            "continue": continue_(),
        })));
        let Error::UnsupportedInteraction { host, offered } = &error else {
            panic!("expected a refusal in words, got {error:?}");
        };
        assert_eq!(
            (host.as_str(), offered.as_slice()),
            ("wallet.example", &["card".to_owned()][..])
        );
        let words = error.to_string();
        assert!(words.contains("offers only `card`"), "{words}");
        assert!(words.contains("Open Payments 1.3"), "{words}");
        assert!(words.contains("Nothing was granted"), "{words}");
    }

    #[test]
    fn a_card_next_to_a_redirect_is_approved_through_the_page() {
        let answer: GrantResponse = serde_json::from_value(serde_json::json!({
            "interact": {
                "redirect": "https://wallet.example/consent/1",
                "card": {"uri": "https://wallet.example/card/1"},
                "finish": "n0"
            },
            "continue": continue_(),
        }))
        .unwrap();
        assert!(matches!(answer, GrantResponse::Pending(_)));
    }

    #[test]
    fn other_unreadable_answers_stay_as_they_are() {
        let error = refuse_unsupported_interaction(unreadable(serde_json::json!({
            "continue": 3,
        })));
        assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
    }
}
