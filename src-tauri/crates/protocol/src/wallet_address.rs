//! The wallet address server's documents (`wallet-address-server.yaml`).

use serde::{Deserialize, Serialize};
use url::Url;

/// A wallet address (`GET {walletAddress}`, Open Payments `wallet-address` schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletAddress {
    /// The wallet address URL itself.
    pub id: Url,
    /// The name shown to people, required for interactive grants' clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_name: Option<String>,
    /// The asset the wallet holds.
    pub asset_code: String,
    /// Decimal places of the asset's smallest unit.
    pub asset_scale: u8,
    /// The authorization server to ask for grants.
    pub auth_server: Url,
    /// The resource server holding payments and quotes.
    pub resource_server: Url,
}

/// A DID document (`GET {walletAddress}/did.json`).
///
/// Kept as raw JSON: the Open Payments spec leaves its shape open, and a client
/// must not fail, let alone panic, on any well-formed JSON here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DidDocument(pub serde_json::Value);
