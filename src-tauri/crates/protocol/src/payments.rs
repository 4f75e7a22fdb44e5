//! Resource server messages (`resource-server.yaml`): incoming payments, quotes,
//! outgoing payments, grant spent amounts and pagination.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::amount::Amount;

/// Free-form payment metadata (`metadata`, any JSON object).
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// Body of `create-incoming-payment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIncomingPayment {
    /// The receiving wallet address.
    pub wallet_address: Url,
    /// How much the payment expects, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_amount: Option<Amount>,
    /// RFC 3339 expiry time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// An ILP payment method (`ilp-payment-method`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// `ilp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The ILP address to pay.
    pub ilp_address: String,
    /// The STREAM shared secret, base64url.
    pub shared_secret: String,
}

/// An incoming payment (`incoming-payment`, with `methods` after create or get).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingPayment {
    /// Its URL.
    pub id: Url,
    /// The receiving wallet address.
    pub wallet_address: Url,
    /// Whether it accepts no more money.
    #[serde(default)]
    pub completed: bool,
    /// How much it expects, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_amount: Option<Amount>,
    /// How much arrived.
    pub received_amount: Amount,
    /// RFC 3339 expiry time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// How to pay it; absent in list results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<PaymentMethod>>,
}

/// The unauthenticated view of an incoming payment (`public-incoming-payment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIncomingPayment {
    /// How much arrived, when the wallet shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_amount: Option<Amount>,
    /// The authorization server of the receiving wallet.
    pub auth_server: Url,
}

/// Body of `create-quote`: at most one of the amounts; neither lets the
/// receiver's incoming amount decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateQuote {
    /// The sending wallet address.
    pub wallet_address: Url,
    /// The incoming payment to pay.
    pub receiver: Url,
    /// Always `ilp`.
    pub method: String,
    /// The fixed amount, if any.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<QuoteAmount>,
}

/// Which side of a quote is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QuoteAmount {
    /// `debitAmount`: fixed send.
    DebitAmount(Amount),
    /// `receiveAmount`: fixed receive.
    ReceiveAmount(Amount),
}

/// A quote (`quote`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Its URL.
    pub id: Url,
    /// The sending wallet address.
    pub wallet_address: Url,
    /// The incoming payment it pays.
    pub receiver: Url,
    /// What the receiver gets.
    pub receive_amount: Amount,
    /// What leaves the sender's wallet.
    pub debit_amount: Amount,
    /// `ilp`.
    pub method: String,
    /// When it stops being valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// Body of `create-outgoing-payment`: from a quote, or from an incoming payment
/// and a debit amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CreateOutgoingPayment {
    /// Pays a quote.
    #[serde(rename_all = "camelCase")]
    FromQuote {
        /// The sending wallet address.
        wallet_address: Url,
        /// The quote's URL.
        quote_id: Url,
        /// Free-form metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<Metadata>,
    },
    /// Pays an incoming payment directly.
    #[serde(rename_all = "camelCase")]
    FromIncomingPayment {
        /// The sending wallet address.
        wallet_address: Url,
        /// The incoming payment's URL.
        incoming_payment: Url,
        /// What leaves the sender's wallet.
        debit_amount: Amount,
        /// Free-form metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<Metadata>,
    },
}

/// An outgoing payment (`outgoing-payment`, `outgoing-payment-with-spent-amounts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingPayment {
    /// Its URL.
    pub id: Url,
    /// The sending wallet address.
    pub wallet_address: Url,
    /// The quote it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_id: Option<Url>,
    /// Whether it failed.
    #[serde(default)]
    pub failed: bool,
    /// The incoming payment it pays.
    pub receiver: Url,
    /// What the receiver is to get.
    pub receive_amount: Amount,
    /// What leaves the sender's wallet.
    pub debit_amount: Amount,
    /// What was sent so far.
    pub sent_amount: Amount,
    /// After create: what the grant has debited in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_spent_debit_amount: Option<Amount>,
    /// After create: what the grant has delivered in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_spent_receive_amount: Option<Amount>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// `GET {resourceServer}/outgoing-payment-grant`: what the grant has spent in
/// its current interval. Both are `null` before the first payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantSpentAmounts {
    /// Delivered to receivers.
    pub spent_receive_amount: Option<Amount>,
    /// Debited from the sender.
    pub spent_debit_amount: Option<Amount>,
}

/// `page-info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Cursor of the first item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    /// Cursor of the last item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_cursor: Option<String>,
    /// More items after this page.
    pub has_next_page: bool,
    /// More items before it.
    pub has_previous_page: bool,
}

/// A page of a list operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Where this page sits.
    pub pagination: PageInfo,
    /// The items.
    pub result: Vec<T>,
}

impl<T> Page<T> {
    /// The query for the page after this one, if there is one.
    #[must_use]
    pub fn next_query(&self, first: u32) -> Option<PageQuery> {
        let cursor = self.pagination.end_cursor.clone()?;
        self.pagination.has_next_page.then_some(PageQuery::Forward {
            first,
            cursor: Some(cursor),
        })
    }

    /// The query for the page before this one, if there is one.
    #[must_use]
    pub fn previous_query(&self, last: u32) -> Option<PageQuery> {
        let cursor = self.pagination.start_cursor.clone()?;
        self.pagination
            .has_previous_page
            .then_some(PageQuery::Backward { last, cursor })
    }
}

/// Cursor pagination query (`first`/`last`/`cursor`): forward from a cursor,
/// or backward, which needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageQuery {
    /// `first=<n>[&cursor=<c>]`.
    Forward {
        /// Page size, 1 to 100.
        first: u32,
        /// Start after this item.
        cursor: Option<String>,
    },
    /// `last=<n>&cursor=<c>`.
    Backward {
        /// Page size, 1 to 100.
        last: u32,
        /// End before this item.
        cursor: String,
    },
}

impl Default for PageQuery {
    fn default() -> Self {
        Self::Forward {
            first: 10,
            cursor: None,
        }
    }
}

impl PageQuery {
    pub(crate) fn append_to(&self, url: &mut Url) {
        let mut pairs = url.query_pairs_mut();
        match self {
            Self::Forward { first, cursor } => {
                pairs.append_pair("first", &first.to_string());
                if let Some(cursor) = cursor {
                    pairs.append_pair("cursor", cursor);
                }
            }
            Self::Backward { last, cursor } => {
                pairs.append_pair("last", &last.to_string());
                pairs.append_pair("cursor", cursor);
            }
        }
    }
}
