//! The sandbox's state in one SQLite file: accounts and their keys, grants,
//! access tokens, incoming payments, quotes and outgoing payments.
//!
//! Every write runs in a transaction, so a crash or a full disk leaves the
//! previous state intact. Tokens are stored as SHA-256 hashes only: the file
//! never holds a bearer token in clear.

use std::path::Path;

use consent_desk_protocol::{AccessItem, ClientIdentity, Jwk, Jwks};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    public_name TEXT,
    asset_code TEXT NOT NULL,
    asset_scale INTEGER NOT NULL,
    balance INTEGER NOT NULL CHECK (balance >= 0),
    client INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE keys (
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    kid TEXT NOT NULL,
    jwk TEXT NOT NULL,
    PRIMARY KEY (account, kid)
);
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    client TEXT NOT NULL,
    access TEXT NOT NULL,
    continue_id TEXT NOT NULL UNIQUE,
    continue_token TEXT NOT NULL,
    wait INTEGER NOT NULL,
    continue_after INTEGER NOT NULL,
    interaction TEXT,
    interact_id TEXT UNIQUE,
    created_ms INTEGER NOT NULL
);
CREATE TABLE tokens (
    manage_id TEXT PRIMARY KEY,
    value_hash TEXT NOT NULL UNIQUE,
    grant_id TEXT NOT NULL REFERENCES grants(id),
    expires_ms INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE incoming_payments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL REFERENCES accounts(name),
    client TEXT,
    incoming_amount INTEGER,
    received INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    expires_ms INTEGER,
    metadata TEXT,
    created_ms INTEGER NOT NULL
);
CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name),
    client TEXT,
    receiver TEXT NOT NULL REFERENCES incoming_payments(id),
    debit INTEGER NOT NULL,
    receive INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outgoing_payments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL REFERENCES accounts(name),
    client TEXT,
    grant_id TEXT NOT NULL,
    quote_id TEXT,
    receiver TEXT NOT NULL REFERENCES incoming_payments(id),
    debit INTEGER NOT NULL,
    receive INTEGER NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    metadata TEXT,
    created_ms INTEGER NOT NULL
);
CREATE INDEX outgoing_by_grant ON outgoing_payments(grant_id, created_ms);
";

/// Version 2: what a quote and a payment send on after the sending wallet's
/// fee (`sentAmount`); NULL in older rows, which had no fee (the debit).
const SCHEMA_2: &str = "
ALTER TABLE quotes ADD COLUMN sent INTEGER;
ALTER TABLE outgoing_payments ADD COLUMN sent INTEGER;
";

/// The seeded accounts: `(name, public name, asset, scale, balance)`.
/// Balances are in the smallest unit: alice starts with $1,000.00.
pub(crate) const SEED_ACCOUNTS: &[(&str, &str, &str, u8, u64)] = &[
    ("alice", "Alice Sandbox", "USD", 2, 100_000),
    ("bob", "Bob Sandbox", "EUR", 2, 50_000),
    ("carol", "Carol Sandbox", "MXN", 2, 2_000_000),
    ("kenji", "Kenji Sandbox", "JPY", 0, 150_000),
    ("dave", "Dave Sandbox", "USD", 2, 25_000),
];

/// Paths the router owns, which therefore cannot be account names.
pub(crate) const RESERVED_NAMES: &[&str] = &["auth", "rs", "consent", "idp", "admin", "healthz"];

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, locked, corrupt file, …).
    #[error("the sandbox could not use its state file: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer sandbox.
    #[error(
        "the sandbox state file has schema version {found}, newer than this build understands \
         ({SCHEMA_VERSION}); use a newer Consent Desk or reset the sandbox"
    )]
    NewerSchema {
        /// The version in the file.
        found: i64,
    },
    /// An amount does not fit SQLite's signed 64-bit integers.
    #[error("the amount {0} is too large for the sandbox (at most 9223372036854775807)")]
    TooLarge(u64),
    /// A stored JSON column did not parse.
    #[error("the sandbox state file holds an unreadable record: {0}")]
    Corrupt(#[from] serde_json::Error),
}

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

fn int(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| StoreError::TooLarge(value))
}

fn uint(value: i64) -> u64 {
    // Written through `int` and guarded by CHECK constraints: never negative.
    u64::try_from(value).unwrap_or(0)
}

/// SHA-256 of a secret, hex: what the file keeps instead of the secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) public_name: Option<String>,
    pub(crate) asset_code: String,
    pub(crate) asset_scale: u8,
    pub(crate) balance: u64,
    pub(crate) client: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GrantState {
    /// Waiting for the person's choice.
    Pending,
    /// Approved, waiting for the client to continue.
    Approved,
    /// Rejected by the person.
    Rejected,
    /// Access token issued.
    Issued,
    /// Cancelled by the client.
    Revoked,
}

impl GrantState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Issued => "issued",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            "issued" => Self::Issued,
            _ => Self::Revoked,
        }
    }
}

/// The interaction part of an interactive grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Interaction {
    pub(crate) id: String,
    pub(crate) nonce: String,
    /// The client's finish redirect; `None` when the grant asked for no
    /// finish (allowed, as Rafiki allows it: the client then polls).
    #[serde(default)]
    pub(crate) finish_uri: Option<String>,
    pub(crate) client_nonce: String,
    pub(crate) server_nonce: String,
    pub(crate) expires_ms: i64,
    /// Hash of the session cookie bound at `interact.redirect`.
    pub(crate) session_hash: Option<String>,
    /// Hash of the interact_ref handed out at finish; cleared when used.
    pub(crate) interact_ref_hash: Option<String>,
    /// "Prove I own this wallet address" (spec 1.3): the subject the person
    /// is asked to confirm; such a grant has no access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<consent_desk_protocol::Subject>,
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) id: String,
    pub(crate) state: GrantState,
    /// As the grant request gave it (wallet address or JWK).
    pub(crate) client: ClientIdentity,
    pub(crate) access: Vec<AccessItem>,
    pub(crate) continue_id: String,
    pub(crate) continue_token_hash: String,
    pub(crate) wait: u64,
    /// Unix ms before which a continuation is `too_fast`.
    pub(crate) continue_after_ms: i64,
    pub(crate) interaction: Option<Interaction>,
    pub(crate) created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) manage_id: String,
    pub(crate) grant_id: String,
    pub(crate) expires_ms: i64,
    pub(crate) revoked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IncomingRow {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) client: Option<String>,
    pub(crate) incoming_amount: Option<u64>,
    pub(crate) received: u64,
    pub(crate) completed: bool,
    pub(crate) expires_ms: Option<i64>,
    pub(crate) metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuoteRow {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) client: Option<String>,
    pub(crate) receiver: String,
    pub(crate) debit: u64,
    /// `debit` less the sending wallet's fee.
    pub(crate) sent: u64,
    pub(crate) receive: u64,
    pub(crate) expires_ms: i64,
    pub(crate) created_ms: i64,
    pub(crate) used: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutgoingRow {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) client: Option<String>,
    pub(crate) grant_id: String,
    pub(crate) quote_id: Option<String>,
    pub(crate) receiver: String,
    pub(crate) debit: u64,
    /// What was sent on, the fee taken off; 0 for a failed payment.
    pub(crate) sent: u64,
    pub(crate) receive: u64,
    pub(crate) failed: bool,
    pub(crate) metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) created_ms: i64,
}

/// A page request resolved against a table's `seq` order.
#[derive(Debug, Clone)]
pub(crate) enum Cursor {
    Forward { first: u32, after: Option<String> },
    Backward { last: u32, before: String },
}

#[derive(Debug, Clone)]
pub(crate) struct PageRows<T> {
    pub(crate) rows: Vec<T>,
    pub(crate) has_next: bool,
    pub(crate) has_previous: bool,
}

/// Why a payment could not be made; checked inside the payment transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PayRefusal {
    /// The quote was already paid.
    QuoteUsed,
    /// The incoming payment accepts no more money.
    ReceiverCompleted,
}

/// The sandbox state file.
#[derive(Debug)]
pub(crate) struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the state file and seeds a new one.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL: readers do not block the writer; NORMAL is durable across
        // application crashes, which is what a sandbox needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: version });
        }
        if version < SCHEMA_VERSION {
            // One transaction: two sandboxes opening the file at once, or a
            // crash, leave it at one version or the other.
            let tx = self.conn.transaction()?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
            if version == 0 {
                tx.execute_batch(SCHEMA)?;
                seed(&tx)?;
            }
            if version < 2 {
                tx.execute_batch(SCHEMA_2)?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Drops every grant, token and payment and restores the seeded accounts.
    /// Client accounts and their keys stay, so the app keeps working.
    pub(crate) fn reset(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM outgoing_payments; DELETE FROM quotes; DELETE FROM incoming_payments;
             DELETE FROM tokens; DELETE FROM grants;
             DELETE FROM keys WHERE account IN (SELECT name FROM accounts WHERE client = 0);
             DELETE FROM accounts WHERE client = 0;",
        )?;
        seed(&tx)?;
        tx.commit()?;
        Ok(())
    }

    // ---- accounts and keys -------------------------------------------------

    pub(crate) fn account(&self, name: &str) -> Result<Option<Account>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name, public_name, asset_code, asset_scale, balance, client
                 FROM accounts WHERE name = ?1",
                [name],
                account_from_row,
            )
            .optional()?)
    }

    pub(crate) fn accounts(&self) -> Result<Vec<Account>> {
        let mut statement = self.conn.prepare(
            "SELECT name, public_name, asset_code, asset_scale, balance, client
             FROM accounts ORDER BY client, rowid",
        )?;
        let rows = statement.query_map([], account_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Creates or updates an account; `balance` is kept for an existing one
    /// unless given.
    pub(crate) fn upsert_account(&mut self, account: &Account, set_balance: bool) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO accounts (name, public_name, asset_code, asset_scale, balance, client)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(name) DO UPDATE SET public_name = ?2, asset_code = ?3,
                 asset_scale = ?4, client = ?6,
                 balance = CASE WHEN ?7 THEN ?5 ELSE balance END",
            params![
                account.name,
                account.public_name,
                account.asset_code,
                account.asset_scale,
                int(account.balance)?,
                account.client,
                set_balance
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn add_key(&mut self, account: &str, jwk: &Jwk) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO keys (account, kid, jwk) VALUES (?1, ?2, ?3)
             ON CONFLICT(account, kid) DO UPDATE SET jwk = ?3",
            params![account, jwk.kid.as_str(), serde_json::to_string(jwk)?],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn keys(&self, account: &str) -> Result<Jwks> {
        let mut statement = self
            .conn
            .prepare("SELECT jwk FROM keys WHERE account = ?1 ORDER BY rowid")?;
        let texts = statement
            .query_map([account], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let keys = texts
            .iter()
            .map(|text| serde_json::from_str(text))
            .collect::<Result<_, _>>()?;
        Ok(Jwks { keys })
    }

    // ---- grants and tokens ------------------------------------------------

    pub(crate) fn insert_grant(&mut self, grant: &Grant) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_grant(&tx, grant, true)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn update_grant(&mut self, grant: &Grant) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_grant(&tx, grant, false)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn grant(&self, id: &str) -> Result<Option<Grant>> {
        self.grant_where("id = ?1", id)
    }

    pub(crate) fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>> {
        self.grant_where("continue_id = ?1", continue_id)
    }

    pub(crate) fn grant_by_interaction(&self, interact_id: &str) -> Result<Option<Grant>> {
        self.grant_where("interact_id = ?1", interact_id)
    }

    fn grant_where(&self, condition: &str, value: &str) -> Result<Option<Grant>> {
        let sql = format!(
            "SELECT id, state, client, access, continue_id, continue_token, wait, continue_after,
                    interaction, created_ms FROM grants WHERE {condition}"
        );
        let raw = self
            .conn
            .query_row(&sql, [value], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, Option<String>>(8)?,
                    row.get::<_, i64>(9)?,
                ))
            })
            .optional()?;
        let Some((
            id,
            state,
            client,
            access,
            continue_id,
            token,
            wait,
            after,
            interaction,
            created,
        )) = raw
        else {
            return Ok(None);
        };
        Ok(Some(Grant {
            id,
            state: GrantState::parse(&state),
            client: serde_json::from_str(&client)?,
            access: serde_json::from_str(&access)?,
            continue_id,
            continue_token_hash: token,
            wait: uint(wait),
            continue_after_ms: after,
            interaction: interaction
                .map(|text| serde_json::from_str(&text))
                .transpose()?,
            created_ms: created,
        }))
    }

    /// Issues a token for an approved grant and marks the grant issued, in one
    /// transaction.
    pub(crate) fn issue_token(
        &mut self,
        grant: &Grant,
        token: &Token,
        value_hash: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_grant(&tx, grant, false)?;
        insert_token(&tx, token, value_hash)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces a token by a new one (rotation): the old stops working at once.
    pub(crate) fn rotate_token(
        &mut self,
        old: &str,
        token: &Token,
        value_hash: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE tokens SET revoked = 1 WHERE manage_id = ?1", [old])?;
        insert_token(&tx, token, value_hash)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn revoke_token(&mut self, manage_id: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE tokens SET revoked = 1 WHERE manage_id = ?1",
            [manage_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Cancels a grant and every token issued for it.
    pub(crate) fn revoke_grant(&mut self, grant: &Grant) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_grant(&tx, grant, false)?;
        tx.execute(
            "UPDATE tokens SET revoked = 1 WHERE grant_id = ?1",
            [&grant.id],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn token_by_value(&self, value: &str) -> Result<Option<Token>> {
        self.token_where("value_hash = ?1", &secret_hash(value))
    }

    pub(crate) fn token_by_manage_id(&self, manage_id: &str) -> Result<Option<Token>> {
        self.token_where("manage_id = ?1", manage_id)
    }

    fn token_where(&self, condition: &str, value: &str) -> Result<Option<Token>> {
        let sql = format!(
            "SELECT manage_id, grant_id, expires_ms, revoked, value_hash FROM tokens
             WHERE {condition}"
        );
        Ok(self
            .conn
            .query_row(&sql, [value], |row| {
                Ok(Token {
                    manage_id: row.get(0)?,
                    grant_id: row.get(1)?,
                    expires_ms: row.get(2)?,
                    revoked: row.get(3)?,
                })
            })
            .optional()?)
    }

    /// The token's stored hash, to check a presented value against.
    pub(crate) fn token_value_hash(&self, manage_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value_hash FROM tokens WHERE manage_id = ?1",
                [manage_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    // ---- incoming payments ------------------------------------------------

    pub(crate) fn insert_incoming(&mut self, row: &IncomingRow) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO incoming_payments
               (id, account, client, incoming_amount, received, completed, expires_ms, metadata,
                created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.id,
                row.account,
                row.client,
                row.incoming_amount.map(int).transpose()?,
                int(row.received)?,
                row.completed,
                row.expires_ms,
                row.metadata
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()?,
                row.created_ms
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn incoming(&self, id: &str) -> Result<Option<IncomingRow>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {INCOMING_COLUMNS} FROM incoming_payments WHERE id = ?1"),
                [id],
                raw_incoming,
            )
            .optional()?;
        row.map(incoming_from_raw).transpose()
    }

    pub(crate) fn complete_incoming(&mut self, id: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE incoming_payments SET completed = 1 WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn list_incoming(
        &self,
        account: &str,
        client: Option<&str>,
        cursor: &Cursor,
    ) -> Result<PageRows<IncomingRow>> {
        let page = self.page(
            "incoming_payments",
            INCOMING_COLUMNS,
            account,
            client,
            cursor,
            raw_incoming,
        )?;
        Ok(PageRows {
            rows: page
                .rows
                .into_iter()
                .map(incoming_from_raw)
                .collect::<Result<_>>()?,
            has_next: page.has_next,
            has_previous: page.has_previous,
        })
    }

    // ---- quotes -------------------------------------------------------------

    pub(crate) fn insert_quote(&mut self, row: &QuoteRow) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO quotes
               (id, account, client, receiver, debit, receive, expires_ms, created_ms, used,
                sent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                row.id,
                row.account,
                row.client,
                row.receiver,
                int(row.debit)?,
                int(row.receive)?,
                row.expires_ms,
                row.created_ms,
                row.used,
                int(row.sent)?
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn quote(&self, id: &str) -> Result<Option<QuoteRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, account, client, receiver, debit, receive, expires_ms, created_ms, used,
                        COALESCE(sent, debit)
                 FROM quotes WHERE id = ?1",
                [id],
                |row| {
                    Ok(QuoteRow {
                        id: row.get(0)?,
                        account: row.get(1)?,
                        client: row.get(2)?,
                        receiver: row.get(3)?,
                        debit: uint(row.get(4)?),
                        receive: uint(row.get(5)?),
                        expires_ms: row.get(6)?,
                        created_ms: row.get(7)?,
                        used: row.get(8)?,
                        sent: uint(row.get(9)?),
                    })
                },
            )
            .optional()?)
    }

    // ---- outgoing payments ------------------------------------------------

    /// Records an outgoing payment and, unless it failed, moves the money:
    /// debits the sender, credits the receiver's account and incoming payment,
    /// and completes the incoming payment when it is full. All or nothing.
    ///
    /// A sender without enough money, or one whose account provider refuses
    /// (`refused`, the reason), gets a failed payment and no movement; the
    /// reason goes into its metadata as `cancellationReason`, as Rafiki
    /// records a cancelled payment's.
    pub(crate) fn pay(
        &mut self,
        payment: &mut OutgoingRow,
        refused: Option<&str>,
    ) -> Result<Result<(), PayRefusal>> {
        let tx = self.conn.transaction()?;
        if let Some(quote_id) = &payment.quote_id {
            let used: bool =
                tx.query_row("SELECT used FROM quotes WHERE id = ?1", [quote_id], |row| {
                    row.get(0)
                })?;
            if used {
                return Ok(Err(PayRefusal::QuoteUsed));
            }
            tx.execute("UPDATE quotes SET used = 1 WHERE id = ?1", [quote_id])?;
        }
        let (receiver_account, completed, incoming_amount, received): (
            String,
            bool,
            Option<i64>,
            i64,
        ) = tx.query_row(
            "SELECT account, completed, incoming_amount, received FROM incoming_payments
             WHERE id = ?1",
            [&payment.receiver],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        if completed {
            return Ok(Err(PayRefusal::ReceiverCompleted));
        }
        let balance: i64 = tx.query_row(
            "SELECT balance FROM accounts WHERE name = ?1",
            [&payment.account],
            |row| row.get(0),
        )?;
        let reason = match refused {
            Some(reason) => Some(reason),
            None if uint(balance) < payment.debit => Some("Account does not have enough balance."),
            None => None,
        };
        payment.failed = reason.is_some();
        if let Some(reason) = reason {
            payment.sent = 0;
            payment
                .metadata
                .get_or_insert_with(serde_json::Map::new)
                .insert("cancellationReason".into(), reason.into());
        } else {
            let debit = int(payment.debit)?;
            let receive = int(payment.receive)?;
            tx.execute(
                "UPDATE accounts SET balance = balance - ?1 WHERE name = ?2",
                params![debit, payment.account],
            )?;
            tx.execute(
                "UPDATE accounts SET balance = balance + ?1 WHERE name = ?2",
                params![receive, receiver_account],
            )?;
            let now_received = received.saturating_add(receive);
            let full = incoming_amount.is_some_and(|expected| now_received >= expected);
            tx.execute(
                "UPDATE incoming_payments SET received = ?1, completed = ?2 WHERE id = ?3",
                params![now_received, full, payment.receiver],
            )?;
        }
        tx.execute(
            "INSERT INTO outgoing_payments
               (id, account, client, grant_id, quote_id, receiver, debit, receive, failed, metadata,
                created_ms, sent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                payment.id,
                payment.account,
                payment.client,
                payment.grant_id,
                payment.quote_id,
                payment.receiver,
                int(payment.debit)?,
                int(payment.receive)?,
                payment.failed,
                payment
                    .metadata
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()?,
                payment.created_ms,
                int(payment.sent)?
            ],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    pub(crate) fn outgoing(&self, id: &str) -> Result<Option<OutgoingRow>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {OUTGOING_COLUMNS} FROM outgoing_payments WHERE id = ?1"),
                [id],
                raw_outgoing,
            )
            .optional()?;
        row.map(outgoing_from_raw).transpose()
    }

    pub(crate) fn list_outgoing(
        &self,
        account: &str,
        client: Option<&str>,
        cursor: &Cursor,
    ) -> Result<PageRows<OutgoingRow>> {
        let page = self.page(
            "outgoing_payments",
            OUTGOING_COLUMNS,
            account,
            client,
            cursor,
            raw_outgoing,
        )?;
        Ok(PageRows {
            rows: page
                .rows
                .into_iter()
                .map(outgoing_from_raw)
                .collect::<Result<_>>()?,
            has_next: page.has_next,
            has_previous: page.has_previous,
        })
    }

    /// What a grant's successful payments debited and delivered in
    /// `[from_ms, until_ms)`, and how many there were.
    pub(crate) fn spent(
        &self,
        grant_id: &str,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<(u64, u64, u64)> {
        let (debit, receive, count): (i64, i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(receive), 0), COUNT(*)
             FROM outgoing_payments
             WHERE grant_id = ?1 AND failed = 0 AND created_ms >= ?2 AND created_ms < ?3",
            params![grant_id, from_ms, until_ms],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        Ok((uint(debit), uint(receive), uint(count)))
    }

    /// One page of a payment table, for an account, optionally only the rows a
    /// client created (`list` rather than `list-all`).
    fn page<R>(
        &self,
        table: &str,
        columns: &str,
        account: &str,
        client: Option<&str>,
        cursor: &Cursor,
        map: impl Fn(&Row<'_>) -> rusqlite::Result<R>,
    ) -> Result<PageRows<R>> {
        let scope = "account = ?1 AND (?2 IS NULL OR client = ?2)";
        let seq_of = |id: &str| -> Result<Option<i64>> {
            Ok(self
                .conn
                .query_row(
                    &format!("SELECT seq FROM {table} WHERE id = ?1"),
                    [id],
                    |row| row.get(0),
                )
                .optional()?)
        };
        let (sql, pivot, limit, forward) = match cursor {
            Cursor::Forward { first, after } => {
                let pivot = match after {
                    Some(id) => seq_of(id)?.unwrap_or(i64::MAX),
                    None => 0,
                };
                (
                    format!(
                        "SELECT {columns}, seq FROM {table} WHERE {scope} AND seq > ?3
                         ORDER BY seq ASC LIMIT ?4"
                    ),
                    pivot,
                    *first,
                    true,
                )
            }
            Cursor::Backward { last, before } => (
                format!(
                    "SELECT {columns}, seq FROM {table} WHERE {scope} AND seq < ?3
                     ORDER BY seq DESC LIMIT ?4"
                ),
                seq_of(before)?.unwrap_or(0),
                *last,
                false,
            ),
        };
        let mut statement = self.conn.prepare(&sql)?;
        let width = columns.split(',').count();
        let mut rows: Vec<(R, i64)> = statement
            .query_map(
                params![account, client, pivot, i64::from(limit) + 1],
                |row| Ok((map(row)?, row.get(width)?)),
            )?
            .collect::<Result<_, _>>()?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        if !forward {
            rows.reverse();
        }
        let exists = |condition: &str, seq: i64| -> Result<bool> {
            Ok(self.conn.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE {scope} AND seq {condition} ?3)"
                ),
                params![account, client, seq],
                |row| row.get(0),
            )?)
        };
        // Forward pages know "more after" from the extra row; backward pages
        // know "more before"; the other direction is one EXISTS query.
        let (has_next, has_previous) = match (rows.first(), rows.last()) {
            (Some(&(_, first)), Some(_)) if forward => (more, exists("<", first)?),
            (Some(_), Some(&(_, last))) => (exists(">", last)?, more),
            _ => (false, false),
        };
        Ok(PageRows {
            rows: rows.into_iter().map(|(row, _)| row).collect(),
            has_next,
            has_previous,
        })
    }
}

const INCOMING_COLUMNS: &str =
    "id, account, client, incoming_amount, received, completed, expires_ms, metadata, created_ms";
// No comma inside an expression: `page` counts the columns by their commas.
const OUTGOING_COLUMNS: &str =
    "id, account, client, grant_id, quote_id, receiver, debit, receive, \
                                failed, metadata, created_ms, \
                                CASE WHEN sent IS NOT NULL THEN sent WHEN failed THEN 0 ELSE debit END";

type RawIncoming = (IncomingRow, Option<String>);
type RawOutgoing = (OutgoingRow, Option<String>);

fn raw_incoming(row: &Row<'_>) -> rusqlite::Result<RawIncoming> {
    Ok((
        IncomingRow {
            id: row.get(0)?,
            account: row.get(1)?,
            client: row.get(2)?,
            incoming_amount: row.get::<_, Option<i64>>(3)?.map(uint),
            received: uint(row.get(4)?),
            completed: row.get(5)?,
            expires_ms: row.get(6)?,
            metadata: None,
            created_ms: row.get(8)?,
        },
        row.get(7)?,
    ))
}

fn incoming_from_raw((mut row, metadata): RawIncoming) -> Result<IncomingRow> {
    row.metadata = metadata
        .map(|text| serde_json::from_str(&text))
        .transpose()?;
    Ok(row)
}

fn raw_outgoing(row: &Row<'_>) -> rusqlite::Result<RawOutgoing> {
    Ok((
        OutgoingRow {
            id: row.get(0)?,
            account: row.get(1)?,
            client: row.get(2)?,
            grant_id: row.get(3)?,
            quote_id: row.get(4)?,
            receiver: row.get(5)?,
            debit: uint(row.get(6)?),
            receive: uint(row.get(7)?),
            failed: row.get(8)?,
            metadata: None,
            created_ms: row.get(10)?,
            sent: uint(row.get(11)?),
        },
        row.get(9)?,
    ))
}

fn outgoing_from_raw((mut row, metadata): RawOutgoing) -> Result<OutgoingRow> {
    row.metadata = metadata
        .map(|text| serde_json::from_str(&text))
        .transpose()?;
    Ok(row)
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        name: row.get(0)?,
        public_name: row.get(1)?,
        asset_code: row.get(2)?,
        asset_scale: row.get(3)?,
        balance: uint(row.get(4)?),
        client: row.get(5)?,
    })
}

fn seed(tx: &Transaction<'_>) -> Result<()> {
    for (name, public_name, asset_code, asset_scale, balance) in SEED_ACCOUNTS {
        tx.execute(
            "INSERT INTO accounts (name, public_name, asset_code, asset_scale, balance, client)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)
             ON CONFLICT(name) DO UPDATE SET balance = ?5",
            params![name, public_name, asset_code, asset_scale, int(*balance)?],
        )?;
    }
    Ok(())
}

fn write_grant(tx: &Transaction<'_>, grant: &Grant, insert: bool) -> Result<()> {
    let access = serde_json::to_string(&grant.access)?;
    let client = serde_json::to_string(&grant.client)?;
    let interaction = grant
        .interaction
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let interact_id = grant.interaction.as_ref().map(|i| i.id.as_str());
    let sql = if insert {
        "INSERT INTO grants (id, state, client, access, continue_id, continue_token, wait,
                             continue_after, interaction, interact_id, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    } else {
        "UPDATE grants SET state = ?2, client = ?3, access = ?4, continue_id = ?5,
             continue_token = ?6, wait = ?7, continue_after = ?8, interaction = ?9,
             interact_id = ?10, created_ms = ?11
         WHERE id = ?1"
    };
    tx.execute(
        sql,
        params![
            grant.id,
            grant.state.as_str(),
            client,
            access,
            grant.continue_id,
            grant.continue_token_hash,
            int(grant.wait)?,
            grant.continue_after_ms,
            interaction,
            interact_id,
            grant.created_ms
        ],
    )?;
    Ok(())
}

fn insert_token(tx: &Transaction<'_>, token: &Token, value_hash: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO tokens (manage_id, value_hash, grant_id, expires_ms, revoked)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token.manage_id,
            value_hash,
            token.grant_id,
            token.expires_ms,
            token.revoked
        ],
    )?;
    Ok(())
}

impl Store {
    /// The asset of the receiver of a grant's latest payment.
    pub(crate) fn last_receive_asset(&self, grant_id: &str) -> Result<Option<(String, u8)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT a.asset_code, a.asset_scale FROM outgoing_payments o
                 JOIN incoming_payments i ON i.id = o.receiver
                 JOIN accounts a ON a.name = i.account
                 WHERE o.grant_id = ?1 ORDER BY o.seq DESC LIMIT 1",
                [grant_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// Removes every key of an account (before a replacement is published).
    pub(crate) fn clear_keys(&mut self, account: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM keys WHERE account = ?1", [account])?;
        tx.commit()?;
        Ok(())
    }
}
