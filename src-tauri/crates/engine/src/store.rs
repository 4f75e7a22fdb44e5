//! Grants in one SQLite file (`grants.sqlite3` in the app's data folder).
//! Bearer tokens are not here: they go to the keyring (see `crate::Flows`).
//! Every write is one statement (SQLite runs each in a transaction of its
//! own) or, where it takes several, one explicit transaction.

use std::path::Path;

use consent_desk_protocol::AccessItem;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use url::Url;

use crate::outcome::{GrantAsk, GrantOutcome, PaymentProblem};

/// One step of the schema: SQL, or Rust where rows are rewritten.
#[derive(Clone, Copy)]
enum Migration {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> Result<(), StoreError>),
}

/// Each entry moves the file from version `i` to `i + 1`, in one
/// transaction; a file is brought up to date when it is opened.
const MIGRATIONS: &[Migration] = &[
    // 1: grants.
    Migration::Sql(
        "
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    wallet TEXT NOT NULL,
    auth_server TEXT NOT NULL,
    request TEXT NOT NULL,
    finish_uri TEXT NOT NULL,
    client_nonce TEXT NOT NULL,
    server_nonce TEXT,
    redirect TEXT,
    continue_uri TEXT,
    continue_wait INTEGER,
    state TEXT NOT NULL,
    problem TEXT,
    access TEXT,
    manage_uri TEXT,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
",
    ),
    // 2: payments (the record as JSON beside the columns that are queried),
    // and indexes that keep lists fast with a long history.
    Migration::Sql(
        "
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    state TEXT NOT NULL,
    grant_id TEXT,
    record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_by_grant ON payments (grant_id);
CREATE INDEX payments_by_time ON payments (created_at);
CREATE INDEX grants_by_time ON grants (created_at);
",
    ),
    // 3: the start-up resume reads unfinished payments by state.
    Migration::Sql(
        "
CREATE INDEX payments_by_state ON payments (state);
",
    ),
    // 4: the activity log (requests made, finishes checked), newest by id.
    Migration::Sql(
        "
CREATE TABLE activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    operation TEXT NOT NULL,
    method TEXT,
    url TEXT,
    status INTEGER,
    duration_ms INTEGER,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
);
",
    ),
    // 5: typed records: a grant's `problem` words become `outcome` (JSON of
    // `GrantOutcome`), a payment's `problem` in its record JSON becomes a
    // `PaymentProblem`; every row is read as the new types, and one that
    // cannot be is moved to `unreadable` with its raw columns.
    Migration::Rust(typed_records),
    // 6: leases (owner + expiry, Unix milliseconds): a payment's while one
    // run creates its outgoing payment, a grant's while one run rotates its
    // token. Two runs on one file (the app's start-up resume and
    // `consent-desk payments resume`) see each other's and hold back.
    Migration::Sql(
        "
ALTER TABLE payments ADD COLUMN lease_owner TEXT;
ALTER TABLE payments ADD COLUMN lease_until INTEGER;
ALTER TABLE grants ADD COLUMN lease_owner TEXT;
ALTER TABLE grants ADD COLUMN lease_until INTEGER;
",
    ),
];

/// A new file at schema `version` (4 or less), as an older release made it:
/// for tests and benchmarks of the migrations after it.
pub(crate) fn older_file(path: &Path, version: usize) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    for migration in &MIGRATIONS[..version] {
        if let Migration::Sql(sql) = migration {
            conn.execute_batch(sql)?;
        }
    }
    conn.pragma_update(None, "user_version", version)?;
    Ok(conn)
}

/// The schema this build writes.
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Where a grant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GrantState {
    /// Waiting for the person to approve at the wallet.
    Pending,
    /// A finish arrived and is being verified and continued.
    Finishing,
    /// Approved: an access token is stored.
    Approved,
    /// The wallet reported that the interaction did not end in approval.
    Failed,
    /// Cancelled by the person.
    Cancelled,
    /// Its access token was revoked: it allows nothing more.
    Revoked,
}

impl GrantState {
    /// The stored name (`pending`, `approved`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Finishing => "finishing",
            Self::Approved => "approved",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "pending" => Self::Pending,
            "finishing" => Self::Finishing,
            "approved" => Self::Approved,
            "failed" => Self::Failed,
            "revoked" => Self::Revoked,
            _ => Self::Cancelled,
        }
    }
}

/// A grant as stored: everything but its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    /// Also the last segment of its finish URI.
    pub id: String,
    /// The profile that signs for it.
    pub profile: String,
    /// The sending wallet address.
    pub wallet: Url,
    /// The authorization server it was requested at (the finish hash covers it).
    pub auth_server: Url,
    /// The grant request as sent.
    pub request: GrantAsk,
    /// Where the wallet sends the person back.
    pub finish_uri: Url,
    #[serde(skip)]
    pub(crate) client_nonce: String,
    #[serde(skip)]
    pub(crate) server_nonce: Option<String>,
    /// The consent page.
    pub redirect: Option<Url>,
    /// The continuation URI.
    pub continue_uri: Option<Url>,
    /// Seconds to wait before continuing.
    pub continue_wait: Option<u64>,
    /// Where it is.
    pub state: GrantState,
    /// Why it ended without approval (or was given up). Shown to scripts
    /// (the command line's `--json`) as `problem`, the code and description.
    #[serde(rename = "problem", serialize_with = "outcome_text")]
    pub outcome: Option<GrantOutcome>,
    /// What was granted, once approved (none for an ownership proof).
    pub access: Option<Vec<AccessItem>>,
    /// Where to rotate or revoke the token.
    pub manage_uri: Option<Url>,
    /// When the access token expires.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was asked for.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn outcome_text<S: Serializer>(
    outcome: &Option<GrantOutcome>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match outcome {
        Some(outcome) => serializer.collect_str(outcome),
        None => serializer.serialize_none(),
    }
}

/// Why the grant store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, locked, damaged file).
    #[error("the grant store could not be used: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON column did not parse.
    #[error("the grant store holds an unreadable record: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A stored value is not what its column holds (a URL, a time).
    #[error("the grant store holds an unreadable record: {record}'s {field} {reason}")]
    Unreadable {
        /// `grant <id>` or `payment <id>`.
        record: String,
        /// The column.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Written by a newer Consent Desk.
    #[error("the grant store was written by a newer Consent Desk (schema {0}); update the app")]
    NewerSchema(i64),
}

/// A row the store migration could not read as the current types, kept
/// (in the `unreadable` table) rather than dropped: its raw columns as JSON
/// and why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadableRow {
    /// `grants` or `payments`.
    pub table: String,
    /// Its id.
    pub id: String,
    /// Every column as it was, as a JSON object.
    pub raw: String,
    /// Why it could not be read.
    pub reason: String,
    /// When the migration set it aside (RFC 3339).
    pub moved_at: String,
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) conn: Connection,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A time as the store writes it and screens show it: RFC 3339.
#[must_use]
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

const COLUMNS: &str = "id, profile, wallet, auth_server, request, finish_uri, client_nonce, \
    server_nonce, redirect, continue_uri, continue_wait, state, outcome, access, manage_uri, \
    expires_at, created_at, updated_at";

/// A grant row's columns, before they are read as their types.
struct RawGrant {
    id: String,
    profile: String,
    wallet: String,
    auth_server: String,
    request: String,
    finish_uri: String,
    client_nonce: String,
    server_nonce: Option<String>,
    redirect: Option<String>,
    continue_uri: Option<String>,
    continue_wait: Option<i64>,
    state: String,
    outcome: Option<String>,
    access: Option<String>,
    manage_uri: Option<String>,
    expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

fn record(row: &Row<'_>) -> rusqlite::Result<RawGrant> {
    Ok(RawGrant {
        id: row.get(0)?,
        profile: row.get(1)?,
        wallet: row.get(2)?,
        auth_server: row.get(3)?,
        request: row.get(4)?,
        finish_uri: row.get(5)?,
        client_nonce: row.get(6)?,
        server_nonce: row.get(7)?,
        redirect: row.get(8)?,
        continue_uri: row.get(9)?,
        continue_wait: row.get(10)?,
        state: row.get(11)?,
        outcome: row.get(12)?,
        access: row.get(13)?,
        manage_uri: row.get(14)?,
        expires_at: row.get(15)?,
        created_at: row.get(16)?,
        updated_at: row.get(17)?,
    })
}

fn parse(raw: RawGrant) -> Result<GrantRecord, StoreError> {
    let record = format!("grant {}", raw.id);
    let unreadable = |field: &'static str, reason: String| StoreError::Unreadable {
        record: record.clone(),
        field,
        reason,
    };
    let url = |text: &str, field| {
        Url::parse(text).map_err(|e| unreadable(field, format!("is not a URL ({e}): {text}")))
    };
    let time = |text: &str, field| {
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| unreadable(field, format!("is not an RFC 3339 time ({e}): {text}")))
    };
    let json =
        |field, error: serde_json::Error| unreadable(field, format!("does not parse ({error})"));
    Ok(GrantRecord {
        wallet: url(&raw.wallet, "wallet")?,
        auth_server: url(&raw.auth_server, "auth_server")?,
        request: serde_json::from_str(&raw.request).map_err(|e| json("request", e))?,
        finish_uri: url(&raw.finish_uri, "finish_uri")?,
        redirect: raw
            .redirect
            .as_deref()
            .map(|u| url(u, "redirect"))
            .transpose()?,
        continue_uri: raw
            .continue_uri
            .as_deref()
            .map(|u| url(u, "continue_uri"))
            .transpose()?,
        continue_wait: raw.continue_wait.map(|w| u64::try_from(w).unwrap_or(0)),
        state: GrantState::parse(&raw.state),
        outcome: raw
            .outcome
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| json("outcome", e))?,
        access: raw
            .access
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| json("access", e))?,
        manage_uri: raw
            .manage_uri
            .as_deref()
            .map(|u| url(u, "manage_uri"))
            .transpose()?,
        expires_at: raw
            .expires_at
            .as_deref()
            .map(|t| time(t, "expires_at"))
            .transpose()?,
        created_at: time(&raw.created_at, "created_at")?,
        updated_at: time(&raw.updated_at, "updated_at")?,
        id: raw.id,
        profile: raw.profile,
        client_nonce: raw.client_nonce,
        server_nonce: raw.server_nonce,
    })
}

/// Migration 5 (see [`MIGRATIONS`]).
fn typed_records(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(
        "
ALTER TABLE grants ADD COLUMN outcome TEXT;
CREATE TABLE unreadable (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    raw TEXT NOT NULL,
    reason TEXT NOT NULL,
    moved_at TEXT NOT NULL
);
",
    )?;
    // Every grant's columns as they were, kept for a row set aside.
    let mut raws = Vec::new();
    {
        let mut statement = tx.prepare("SELECT * FROM grants")?;
        let names: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let mut raw = serde_json::Map::new();
            for (index, name) in names.iter().enumerate() {
                let value = match row.get_ref(index)? {
                    rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => n.into(),
                    rusqlite::types::ValueRef::Real(x) => x.into(),
                    rusqlite::types::ValueRef::Text(text)
                    | rusqlite::types::ValueRef::Blob(text) => {
                        String::from_utf8_lossy(text).into_owned().into()
                    }
                };
                raw.insert(name.clone(), value);
            }
            raws.push(raw);
        }
    }
    for raw in &raws {
        let id = raw["id"].as_str().unwrap_or_default();
        if let Some(problem) = raw["problem"].as_str() {
            let outcome = serde_json::to_string(&GrantOutcome::from_legacy(problem))?;
            tx.execute(
                "UPDATE grants SET outcome = ?1 WHERE id = ?2",
                params![outcome, id],
            )?;
        }
    }
    tx.execute_batch("ALTER TABLE grants DROP COLUMN problem;")?;
    let moved_at = rfc3339(now());
    for raw in &raws {
        let id = raw["id"].as_str().unwrap_or_default();
        let read = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM grants WHERE id = ?1"),
                [id],
                record,
            )
            .map_err(StoreError::from)
            .and_then(parse);
        if let Err(error) = read {
            set_aside(
                tx,
                "grants",
                id,
                &serde_json::Value::Object(raw.clone()).to_string(),
                &error,
                &moved_at,
            )?;
        }
    }

    let payments: Vec<(String, String)> = tx
        .prepare("SELECT id, record FROM payments")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, text) in payments {
        let read = serde_json::from_str::<serde_json::Value>(&text).and_then(|mut record| {
            if let Some(problem) = record.get("problem").and_then(|p| p.as_str()) {
                record["problem"] = serde_json::to_value(PaymentProblem::from_legacy(problem))?;
            }
            serde_json::from_value::<crate::pay::PaymentRecord>(record)
        });
        match read {
            Ok(payment) => {
                tx.execute(
                    "UPDATE payments SET record = ?1 WHERE id = ?2",
                    params![serde_json::to_string(&payment)?, id],
                )?;
            }
            Err(error) => {
                let raw: serde_json::Value = tx
                    .query_row(
                        "SELECT json_object('id', id, 'profile', profile, 'state', state, \
                     'grant_id', grant_id, 'record', record, 'created_at', created_at, \
                     'updated_at', updated_at) FROM payments WHERE id = ?1",
                        [&id],
                        |row| row.get::<_, String>(0),
                    )
                    .map(|text| {
                        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
                    })?;
                set_aside(
                    tx,
                    "payments",
                    &id,
                    &raw.to_string(),
                    &error.into(),
                    &moved_at,
                )?;
            }
        }
    }
    Ok(())
}

/// Moves a row the migration cannot read into `unreadable`, and says so in
/// the log: it is kept, never dropped silently.
fn set_aside(
    tx: &Transaction<'_>,
    table: &'static str,
    id: &str,
    raw: &str,
    error: &StoreError,
    moved_at: &str,
) -> Result<(), StoreError> {
    tracing::warn!(
        table,
        id,
        %error,
        "a stored record could not be read as this version's types; it was set aside in the \
         store's `unreadable` table with its raw columns"
    );
    tx.execute(
        "INSERT INTO unreadable (source, id, raw, reason, moved_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![table, id, raw, error.to_string(), moved_at],
    )?;
    tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])?;
    Ok(())
}

/// What a lease is on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leased {
    /// A payment being sent.
    Payment,
    /// A grant whose token is being rotated.
    Grant,
}

/// A count (a page's limit or offset) as SQLite takes it.
pub(crate) fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Takes the lease of row `id` of `table` (when `condition` holds) for
/// `owner`, in one transaction: free, already `owner`'s, or run out.
#[allow(clippy::too_many_arguments)]
fn lease(
    conn: &mut Connection,
    table: &str,
    condition: &str,
    id: &str,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
    takeover: Option<&str>,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        &format!(
            "UPDATE {table} SET lease_owner = ?1, lease_until = ?2
             WHERE id = ?3 AND {condition}
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until IS NULL
                    OR lease_until <= ?4 OR lease_owner = ?5)"
        ),
        params![owner, until_ms, id, now_ms, takeover],
    )?;
    tx.commit()?;
    Ok(changed == 1)
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL persists in the file; switching to it needs the file alone, and
        // SQLite answers "busy" at once rather than waiting: retry briefly.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                .or_else(|error| match error {
                    rusqlite::Error::SqliteFailure(e, _)
                        if e.code == rusqlite::ErrorCode::DatabaseBusy
                            && std::time::Instant::now() < deadline =>
                    {
                        Ok(String::new())
                    }
                    other => Err(other),
                })?;
            if !mode.is_empty() {
                // A file system without WAL keeps its mode; SQLite still works.
                if !mode.eq_ignore_ascii_case("wal") {
                    tracing::warn!(%mode, "the grant store could not use WAL");
                }
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // One migration per write transaction, the version read inside it: of
        // two processes opening an older file together (the app and the
        // CLI), the second finds the work done.
        loop {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema(version));
            }
            let Some(migration) = usize::try_from(version)
                .ok()
                .and_then(|version| MIGRATIONS.get(version))
            else {
                break;
            };
            match migration {
                Migration::Sql(sql) => tx.execute_batch(sql)?,
                Migration::Rust(step) => step(&tx)?,
            }
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }

    pub(crate) fn insert(&mut self, grant: &GrantRecord) -> Result<(), StoreError> {
        self.conn.execute(
            &format!("INSERT INTO grants ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
            params![
                grant.id,
                grant.profile,
                grant.wallet.as_str(),
                grant.auth_server.as_str(),
                serde_json::to_string(&grant.request)?,
                grant.finish_uri.as_str(),
                grant.client_nonce,
                grant.server_nonce,
                grant.redirect.as_ref().map(Url::as_str),
                grant.continue_uri.as_ref().map(Url::as_str),
                grant.continue_wait.map(|w| i64::try_from(w).unwrap_or(i64::MAX)),
                grant.state.as_str(),
                grant.outcome.as_ref().map(serde_json::to_string).transpose()?,
                grant.access.as_ref().map(serde_json::to_string).transpose()?,
                grant.manage_uri.as_ref().map(Url::as_str),
                grant.expires_at.map(rfc3339),
                rfc3339(grant.created_at),
                rfc3339(grant.updated_at),
            ],
        )?;
        Ok(())
    }

    pub(crate) fn get(&self, id: &str) -> Result<Option<GrantRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM grants WHERE id = ?1"),
                [id],
                record,
            )
            .optional()?
            .map(parse)
            .transpose()
    }

    pub(crate) fn list(&self) -> Result<Vec<GrantRecord>, StoreError> {
        self.select("ORDER BY created_at DESC", [])
    }

    /// Grants in `state`, newest first: found by SQLite, so a long history
    /// of other grants is not read to find them.
    pub(crate) fn in_state(&self, state: GrantState) -> Result<Vec<GrantRecord>, StoreError> {
        self.select(
            "WHERE state = ?1 ORDER BY created_at DESC, id",
            [state.as_str()],
        )
    }

    /// The grants `SELECT … FROM grants {tail}` finds, read as records.
    fn select(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<GrantRecord>, StoreError> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM grants {tail}"))?;
        let rows = statement
            .query_map(params, record)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(parse).collect()
    }

    /// Moves a grant from `from` to `to` if it is in `from`; false if not
    /// (someone else got there first, or it was never there).
    pub(crate) fn transition(
        &mut self,
        id: &str,
        from: GrantState,
        to: GrantState,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE grants SET state = ?1, updated_at = ?2, lease_owner = NULL, lease_until = NULL
             WHERE id = ?3 AND state = ?4",
            params![to.as_str(), rfc3339(now()), id, from.as_str()],
        )?;
        Ok(changed == 1)
    }

    /// Records the outcome of a grant.
    pub(crate) fn finish(
        &mut self,
        id: &str,
        state: GrantState,
        outcome: Option<&GrantOutcome>,
        access: Option<&[AccessItem]>,
        manage_uri: Option<&Url>,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE grants SET state = ?1, outcome = ?2, access = ?3, manage_uri = ?4,
                 expires_at = ?5, updated_at = ?6, lease_owner = NULL, lease_until = NULL
             WHERE id = ?7",
            params![
                state.as_str(),
                outcome.map(serde_json::to_string).transpose()?,
                access.map(serde_json::to_string).transpose()?,
                manage_uri.map(Url::as_str),
                expires_at.map(rfc3339),
                rfc3339(now()),
                id
            ],
        )?;
        Ok(())
    }
}

pub(crate) fn timestamp() -> OffsetDateTime {
    now()
}

/// Now, RFC 3339 with milliseconds (the activity log orders within a second).
pub(crate) fn timestamp_ms() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store {
    pub(crate) fn insert_payment(
        &mut self,
        payment: &crate::pay::PaymentRecord,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO payments (id, profile, state, grant_id, record, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                payment.id,
                payment.profile,
                payment.state.as_str(),
                payment.grant_id,
                serde_json::to_string(payment)?,
                rfc3339(payment.created_at),
                rfc3339(payment.updated_at),
            ],
        )?;
        Ok(())
    }

    /// Writes `payment` if it is still in state `from`; false if it is not
    /// (another path moved it first).
    pub(crate) fn update_payment(
        &mut self,
        payment: &crate::pay::PaymentRecord,
        from: crate::pay::PaymentState,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE payments SET state = ?1, grant_id = ?2, record = ?3, updated_at = ?4,
                 lease_owner = CASE WHEN ?1 = ?6 THEN lease_owner END,
                 lease_until = CASE WHEN ?1 = ?6 THEN lease_until END
             WHERE id = ?5 AND state = ?6",
            params![
                payment.state.as_str(),
                payment.grant_id,
                serde_json::to_string(payment)?,
                rfc3339(payment.updated_at),
                payment.id,
                from.as_str(),
            ],
        )?;
        Ok(changed == 1)
    }

    /// The payment records a `SELECT record …` query gives, in its order.
    fn payment_records(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<crate::pay::PaymentRecord>, StoreError> {
        let mut statement = self.conn.prepare(sql)?;
        let rows = statement
            .query_map(params, |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.iter()
            .map(|text| Ok(serde_json::from_str(text)?))
            .collect()
    }

    pub(crate) fn payment(
        &self,
        id: &str,
    ) -> Result<Option<crate::pay::PaymentRecord>, StoreError> {
        Ok(self
            .payment_records("SELECT record FROM payments WHERE id = ?1", [id])?
            .pop())
    }

    /// Payments, newest first, `limit` from `offset`.
    pub(crate) fn payments(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<crate::pay::PaymentRecord>, StoreError> {
        self.payment_records(
            "SELECT record FROM payments ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2",
            params![sql_count(limit), sql_count(offset)],
        )
    }

    /// Payments made with grant `grant_id`, newest first.
    pub(crate) fn payments_of_grant(
        &self,
        grant_id: &str,
    ) -> Result<Vec<crate::pay::PaymentRecord>, StoreError> {
        self.payment_records(
            "SELECT record FROM payments WHERE grant_id = ?1 ORDER BY created_at DESC",
            [grant_id],
        )
    }

    /// Payments not at an end yet, oldest first.
    pub(crate) fn unfinished_payments(&self) -> Result<Vec<crate::pay::PaymentRecord>, StoreError> {
        self.payment_records(
            "SELECT record FROM payments
             WHERE state IN ('quoted', 'authorizing', 'sending', 'sent') ORDER BY created_at",
            [],
        )
    }

    /// Moves a payment from `from` to `sending` and takes its lease for
    /// `owner` until `until_ms`, in one statement: false if it was no
    /// longer in `from`.
    pub(crate) fn start_sending(
        &mut self,
        payment: &crate::pay::PaymentRecord,
        from: crate::pay::PaymentState,
        owner: &str,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE payments SET state = ?1, grant_id = ?2, record = ?3, updated_at = ?4,
                 lease_owner = ?5, lease_until = ?6
             WHERE id = ?7 AND state = ?8",
            params![
                crate::pay::PaymentState::Sending.as_str(),
                payment.grant_id,
                serde_json::to_string(payment)?,
                rfc3339(payment.updated_at),
                owner,
                until_ms,
                payment.id,
                from.as_str(),
            ],
        )?;
        Ok(changed == 1)
    }

    /// Takes (or renews) the lease of a payment still `sending` for `owner`
    /// until `until_ms`: when nobody holds it, `owner` does, or the holder's
    /// ran out before `now_ms` (it crashed). False while another's is live,
    /// or when the payment is no longer `sending`.
    pub(crate) fn lease_sending(
        &mut self,
        id: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        self.lease_sending_from(id, owner, now_ms, until_ms, None)
    }

    /// [`lease_sending`](Self::lease_sending), also taking it from
    /// `takeover` (a holder known to be gone) while it is still live.
    pub(crate) fn lease_sending_from(
        &mut self,
        id: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
        takeover: Option<&str>,
    ) -> Result<bool, StoreError> {
        let condition = "state = 'sending'";
        lease(
            &mut self.conn,
            "payments",
            condition,
            id,
            owner,
            now_ms,
            until_ms,
            takeover,
        )
    }

    /// Who holds the lease of a payment's or a grant's row, if anyone.
    pub(crate) fn lease_owner(
        &self,
        table: Leased,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        let table = match table {
            Leased::Payment => "payments",
            Leased::Grant => "grants",
        };
        Ok(self
            .conn
            .query_row(
                &format!("SELECT lease_owner FROM {table} WHERE id = ?1"),
                [id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Claims a pending grant for the run `owner` continuing it, its lease
    /// until `until_ms`: false if it was no longer pending (of two finishes
    /// racing, one continues).
    pub(crate) fn claim_finishing(
        &mut self,
        id: &str,
        owner: &str,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE grants SET state = 'finishing', updated_at = ?1, lease_owner = ?2,
                 lease_until = ?3
             WHERE id = ?4 AND state = 'pending'",
            params![rfc3339(now()), owner, until_ms, id],
        )?;
        Ok(changed == 1)
    }

    /// Takes the rotation lease of an approved grant (as
    /// [`lease_sending`](Self::lease_sending)).
    pub(crate) fn lease_rotation(
        &mut self,
        id: &str,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let condition = "state = 'approved'";
        lease(
            &mut self.conn,
            "grants",
            condition,
            id,
            owner,
            now_ms,
            until_ms,
            None,
        )
    }

    /// Gives a lease of `owner` back (a payment's or a grant's).
    pub(crate) fn release(
        &mut self,
        table: Leased,
        id: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        let table = match table {
            Leased::Payment => "payments",
            Leased::Grant => "grants",
        };
        self.conn.execute(
            &format!(
                "UPDATE {table} SET lease_owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND lease_owner = ?2"
            ),
            params![id, owner],
        )?;
        Ok(())
    }

    /// Grants left `finishing`, oldest first.
    pub(crate) fn finishing(&self) -> Result<Vec<GrantRecord>, StoreError> {
        self.select("WHERE state = 'finishing' ORDER BY created_at", [])
    }

    /// Takes up a `finishing` grant whose last change was at `seen` (it is
    /// refreshed to now, the lease `owner`'s until `until_ms`): false if
    /// someone changed it since (another run took it up, or it finished).
    pub(crate) fn take_up_finishing(
        &mut self,
        id: &str,
        seen: OffsetDateTime,
        owner: &str,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE grants SET updated_at = ?1, lease_owner = ?2, lease_until = ?3
             WHERE id = ?4 AND state = 'finishing' AND updated_at = ?5",
            params![rfc3339(now()), owner, until_ms, id, rfc3339(seen)],
        )?;
        Ok(changed == 1)
    }

    /// Records the continuation URI an approved grant answered with.
    pub(crate) fn set_continue_uri(&mut self, id: &str, uri: &Url) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE grants SET continue_uri = ?1, updated_at = ?2 WHERE id = ?3",
            params![uri.as_str(), rfc3339(now()), id],
        )?;
        Ok(())
    }

    /// Sets a grant's state, whatever it was.
    pub(crate) fn set_state(&mut self, id: &str, state: GrantState) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE grants SET state = ?1, updated_at = ?2 WHERE id = ?3",
            params![state.as_str(), rfc3339(now()), id],
        )?;
        Ok(())
    }

    /// Grants, newest first, `limit` from `offset` (one page of a long history).
    pub(crate) fn page(&self, limit: usize, offset: usize) -> Result<Vec<GrantRecord>, StoreError> {
        self.select(
            "ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2",
            params![sql_count(limit), sql_count(offset)],
        )
    }

    /// Records a rotated access token's manage URI and expiry.
    pub(crate) fn set_manage(
        &mut self,
        id: &str,
        manage_uri: &Url,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE grants SET manage_uri = ?1, expires_at = ?2, updated_at = ?3 WHERE id = ?4",
            params![
                manage_uri.as_str(),
                expires_at.map(rfc3339),
                rfc3339(now()),
                id
            ],
        )?;
        Ok(())
    }

    /// The rows the store migration set aside as unreadable, oldest first.
    pub(crate) fn unreadable(&self) -> Result<Vec<UnreadableRow>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT source, id, raw, reason, moved_at FROM unreadable ORDER BY rowid")?;
        let rows = statement
            .query_map([], |row| {
                Ok(UnreadableRow {
                    table: row.get(0)?,
                    id: row.get(1)?,
                    raw: row.get(2)?,
                    reason: row.get(3)?,
                    moved_at: row.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Renewal, WalletCode};
    use crate::pay::{PaymentRecord, PaymentState};

    /// A file at schema `version`, as the release that wrote it left it.
    fn file_at(path: &Path, version: usize) -> Connection {
        older_file(path, version).unwrap()
    }

    const REQUEST: &str = r#"{"access_token":{"access":[{"type":"outgoing-payment","actions":["create","read"],"identifier":"https://w.example/alice","limits":{"debitAmount":{"value":"500","assetCode":"USD","assetScale":2},"interval":"R/2026-11-30T00:00:00Z/P1D"}}]},"client":"https://w.example/desk","interact":{"start":["redirect"],"finish":{"method":"redirect","uri":"dev.consentdesk:/finish/g","nonce":"n"}}}"#;
    const ACCESS: &str = r#"[{"type":"outgoing-payment","actions":["create","read"],"identifier":"https://w.example/alice","limits":{"debitAmount":{"value":"500","assetCode":"USD","assetScale":2},"interval":"R/2026-11-30T00:00:00Z/P1D"}}]"#;

    /// A grant row as 0.1.0 wrote it (`problem` in words).
    fn old_grant(conn: &Connection, id: &str, state: &str, problem: Option<&str>, request: &str) {
        let approved = state == "approved";
        conn.execute(
            "INSERT INTO grants (id, profile, wallet, auth_server, request, finish_uri, \
             client_nonce, server_nonce, redirect, continue_uri, continue_wait, state, problem, \
             access, manage_uri, expires_at, created_at, updated_at) VALUES (?1, 'p', \
             'https://w.example/alice', 'https://w.example/auth', ?2, ?3, 'n', 's', \
             'https://w.example/consent/1', 'https://w.example/continue/1', 5, ?4, ?5, ?6, ?7, \
             ?8, '2026-11-30T13:40:44.123456789Z', '2026-11-30T13:40:45Z')",
            params![
                id,
                request,
                format!("dev.consentdesk:/finish/{id}"),
                state,
                problem,
                approved.then_some(ACCESS),
                approved.then_some("https://w.example/auth/token/1"),
                approved.then_some("2026-11-30T14:40:45Z"),
            ],
        )
        .unwrap();
    }

    /// A payment's record JSON as 0.1.0 wrote it (`problem` in words).
    fn old_payment(
        conn: &Connection,
        id: &str,
        state: &str,
        grant: Option<&str>,
        problem: Option<&str>,
    ) {
        let usd =
            |value: &str| serde_json::json!({"value": value, "assetCode": "USD", "assetScale": 2});
        let record = serde_json::json!({
            "id": id, "profile": "p", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/", "receiverWallet": "https://w.example/bob",
            "incomingPayment": "https://w.example/incoming-payments/1",
            "amount": {"kind": "send", "value": 500}, "note": "rent",
            "quote": {"id": "https://w.example/quotes/1", "walletAddress": "https://w.example/alice",
                      "receiver": "https://w.example/incoming-payments/1", "receiveAmount": usd("500"),
                      "debitAmount": usd("510"), "method": "ilp",
                      "createdAt": "2026-11-30T13:40:44Z", "expiresAt": "2026-11-30T13:45:44Z"},
            "grantId": grant, "outgoingPayment": null, "state": state, "problem": problem,
            "createdAt": "2026-11-30T13:40:44.5Z", "updatedAt": "2026-11-30T13:40:46Z",
        });
        conn.execute(
            "INSERT INTO payments (id, profile, state, grant_id, record, created_at, updated_at) \
             VALUES (?1, 'p', ?2, ?3, ?4, '2026-11-30T13:40:44.5Z', '2026-11-30T13:40:46Z')",
            params![id, state, grant, record.to_string()],
        )
        .unwrap();
    }

    fn version(store: &Store) -> i64 {
        store
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn an_older_file_is_migrated_in_place_and_keeps_its_grants() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.sqlite3");
        {
            // A file as version 1 of the app left it, with one grant.
            let conn = file_at(&path, 1);
            old_grant(&conn, "g1", "approved", None, REQUEST);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(version(&store), SCHEMA_VERSION);
        let grant = store.get("g1").unwrap().unwrap();
        assert_eq!(grant.state, GrantState::Approved);
        assert_eq!(grant.wallet.as_str(), "https://w.example/alice");
        assert_eq!(grant.continue_wait, Some(5));
        assert_eq!(
            grant.created_at,
            time::macros::datetime!(2026-11-30 13:40:44.123456789 UTC)
        );
        assert_eq!(
            grant.expires_at,
            Some(time::macros::datetime!(2026-11-30 14:40:45 UTC))
        );
        assert_eq!(grant.access.as_ref().map(Vec::len), Some(1));
        assert!(store.payments(10, 0).unwrap().is_empty());
        assert!(store.unreadable().unwrap().is_empty());
        drop(store);

        // Reopening changes nothing; a newer file is refused, not damaged.
        Store::open(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::NewerSchema(v)) if v == SCHEMA_VERSION + 1
        ));
    }

    #[test]
    fn files_of_v2_v3_and_v4_keep_every_grant_payment_and_activity_row_typed() {
        for from in [2, 3, 4] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("grants.sqlite3");
            {
                let conn = file_at(&path, from);
                old_grant(&conn, "ok", "approved", None, REQUEST);
                old_grant(&conn, "no", "failed", Some("grant_rejected"), REQUEST);
                old_grant(
                    &conn,
                    "late",
                    "failed",
                    Some("invalid_interaction (interaction expired)"),
                    REQUEST,
                );
                old_grant(&conn, "slow", "cancelled", Some("timed_out"), REQUEST);
                old_grant(
                    &conn,
                    "odd",
                    "failed",
                    Some("the wallet went away"),
                    REQUEST,
                );
                old_payment(&conn, "paid", "completed", Some("ok"), None);
                old_payment(
                    &conn,
                    "tip",
                    "cancelled",
                    Some("no"),
                    Some("grant_rejected"),
                );
                old_payment(
                    &conn,
                    "books",
                    "failed",
                    Some("ok"),
                    Some("the wallet did not make the payment: Account does not have enough balance."),
                );
                old_payment(&conn, "stop", "cancelled", None, Some("cancelled"));
                old_payment(
                    &conn,
                    "lunch",
                    "quoted",
                    None,
                    Some("This budget is spent for today; it renews at 1 Dec 2026 00:00 UTC. Approve a new grant to pay now."),
                );
                if from >= 4 {
                    for (kind, ok) in [("request", 1), ("finish", 0)] {
                        conn.execute(
                            "INSERT INTO activity (at, kind, operation, method, url, status, \
                             duration_ms, ok, detail) VALUES ('2026-11-30T13:40:44.123Z', ?1, \
                             'post-request', 'POST', 'https://w.example/auth', 200, 12, ?2, '{}')",
                            params![kind, ok],
                        )
                        .unwrap();
                    }
                }
            }
            let store = Store::open(&path).unwrap();
            assert_eq!(version(&store), SCHEMA_VERSION, "from v{from}");
            assert!(store.unreadable().unwrap().is_empty(), "from v{from}");
            let outcome = |id: &str| store.get(id).unwrap().unwrap().outcome;
            assert_eq!(outcome("ok"), None);
            assert_eq!(
                outcome("no"),
                Some(GrantOutcome::Wallet {
                    code: WalletCode::GrantRejected,
                    description: None
                })
            );
            let late = outcome("late").unwrap();
            assert!(late.is_expiry(), "{late:?}");
            assert_eq!(outcome("slow"), Some(GrantOutcome::TimedOut));
            assert_eq!(
                outcome("odd"),
                Some(GrantOutcome::Text {
                    text: "the wallet went away".into()
                })
            );
            assert_eq!(store.list().unwrap().len(), 5);
            let payment = |id: &str| store.payment(id).unwrap().unwrap();
            let paid = payment("paid");
            assert_eq!(paid.state, PaymentState::Completed);
            assert_eq!(paid.problem, None);
            assert_eq!(
                paid.receiver_wallet.as_ref().map(Url::as_str),
                Some("https://w.example/bob")
            );
            assert_eq!(
                paid.created_at,
                time::macros::datetime!(2026-11-30 13:40:44.5 UTC)
            );
            assert_eq!(paid.quote.debit_amount.value, 510);
            assert_eq!(
                payment("tip").problem,
                Some(PaymentProblem::Grant {
                    outcome: GrantOutcome::Wallet {
                        code: WalletCode::GrantRejected,
                        description: None
                    }
                })
            );
            assert_eq!(
                payment("books").problem,
                Some(PaymentProblem::WalletRefused {
                    reason: "Account does not have enough balance.".into()
                })
            );
            assert_eq!(payment("stop").problem, Some(PaymentProblem::Cancelled));
            assert!(matches!(
                payment("lunch").problem,
                Some(PaymentProblem::Message { text }) if text.starts_with("This budget is spent")
            ));
            assert_eq!(store.payments(20, 0).unwrap().len(), 5, "from v{from}");
            // Start-up resume still finds the unfinished one by its state.
            let unfinished: Vec<String> = store
                .unfinished_payments()
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect();
            assert_eq!(unfinished, ["lunch"]);
            let activity: i64 = store
                .conn
                .query_row("SELECT count(*) FROM activity", [], |row| row.get(0))
                .unwrap();
            assert_eq!(activity, if from >= 4 { 2 } else { 0 }, "from v{from}");
            // A new record reads back as written.
            let renews = Renewal {
                at: time::macros::datetime!(2026-12-01 00:00 UTC),
                daily: true,
            };
            let mut lunch = payment("lunch");
            lunch.problem = Some(PaymentProblem::BudgetSpent {
                renews: Some(renews),
            });
            drop(store);
            let mut store = Store::open(&path).unwrap();
            assert!(store.update_payment(&lunch, PaymentState::Quoted).unwrap());
            assert_eq!(store.payment("lunch").unwrap().unwrap(), lunch);
        }
    }

    #[test]
    fn a_row_the_migration_cannot_read_is_set_aside_with_its_columns_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.sqlite3");
        {
            let conn = file_at(&path, 4);
            old_grant(&conn, "good", "approved", None, REQUEST);
            // Hand-edited or damaged: no request a wallet would take.
            old_grant(&conn, "bad", "failed", Some("grant_rejected"), "{}");
            old_payment(&conn, "fine", "completed", Some("good"), None);
            conn.execute(
                "INSERT INTO payments (id, profile, state, grant_id, record, created_at, \
                 updated_at) VALUES ('torn', 'p', 'sent', NULL, '{\"id\": \"torn\"', 't', 't')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.list().unwrap().len(), 1);
        assert_eq!(store.payments(10, 0).unwrap().len(), 1);
        let unreadable = store.unreadable().unwrap();
        let kept: Vec<(&str, &str)> = unreadable
            .iter()
            .map(|row| (row.table.as_str(), row.id.as_str()))
            .collect();
        assert_eq!(kept, [("grants", "bad"), ("payments", "torn")]);
        let bad: serde_json::Value = serde_json::from_str(&unreadable[0].raw).unwrap();
        // Its columns as they were, the old `problem` words included.
        assert_eq!(bad["problem"], "grant_rejected");
        assert_eq!(bad["request"], "{}");
        assert!(
            unreadable[0].reason.contains("request"),
            "{}",
            unreadable[0].reason
        );
        let torn: serde_json::Value = serde_json::from_str(&unreadable[1].raw).unwrap();
        assert_eq!(torn["record"], "{\"id\": \"torn\"");
        assert_eq!(torn["state"], "sent");
    }

    #[test]
    fn two_processes_opening_an_older_file_together_both_succeed() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("grants.sqlite3");
            {
                let conn = file_at(&path, 1);
                old_grant(&conn, "g1", "failed", Some("grant_rejected"), REQUEST);
            }
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || Store::open(&path).map(drop))
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().unwrap();
            }
            let store = Store::open(&path).unwrap();
            assert!(store.get("g1").unwrap().unwrap().outcome.is_some());
        }
    }

    #[test]
    fn every_payment_record_field_survives_the_store() {
        // The record JSON the store keeps is the serde form of the type.
        let record: PaymentRecord = serde_json::from_value(serde_json::json!({
            "id": "x", "profile": "p", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/", "receiverWallet": null,
            "incomingPayment": "https://w.example/incoming-payments/1", "amount": null,
            "note": null, "grantId": null, "state": "failed",
            "problem": {"kind": "receiverGone", "ours": true},
            "quote": {"id": "https://w.example/quotes/1", "walletAddress": "https://w.example/alice",
                      "receiver": "https://w.example/incoming-payments/1",
                      "receiveAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
                      "debitAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
                      "method": "ilp", "createdAt": "2026-11-30T13:40:44Z"},
            "outgoingPayment": null,
            "createdAt": "2026-11-30T13:40:44Z", "updatedAt": "2026-11-30T13:40:44Z",
        }))
        .unwrap();
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["createdAt"], "2026-11-30T13:40:44Z");
        assert_eq!(
            serde_json::from_value::<PaymentRecord>(json).unwrap(),
            record
        );
    }

    #[test]
    fn a_sending_lease_is_one_runs_until_it_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.sqlite3");
        let mut one = Store::open(&path).unwrap();
        let mut other = Store::open(&path).unwrap();
        let mut record: PaymentRecord = serde_json::from_value(serde_json::json!({
            "id": "x", "profile": "p", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/", "receiverWallet": null,
            "incomingPayment": "https://w.example/incoming-payments/1", "amount": null,
            "note": null, "grantId": "g", "state": "authorizing", "problem": null,
            "quote": {"id": "https://w.example/quotes/1", "walletAddress": "https://w.example/alice",
                      "receiver": "https://w.example/incoming-payments/1",
                      "receiveAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
                      "debitAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
                      "method": "ilp", "createdAt": "2026-11-30T13:40:44Z"},
            "outgoingPayment": null,
            "createdAt": "2026-11-30T13:40:44Z", "updatedAt": "2026-11-30T13:40:44Z",
        }))
        .unwrap();
        one.insert_payment(&record).unwrap();
        record.state = PaymentState::Sending;
        // Moving to `sending` takes the lease: once.
        assert!(one
            .start_sending(&record, PaymentState::Authorizing, "one", 2_000)
            .unwrap());
        assert!(!other
            .start_sending(&record, PaymentState::Authorizing, "other", 2_000)
            .unwrap());
        // While it is live, another run cannot take it; its holder renews it.
        assert!(!other.lease_sending("x", "other", 1_000, 3_000).unwrap());
        assert!(one.lease_sending("x", "one", 1_000, 3_000).unwrap());
        // Run out (the holder crashed): taken over.
        assert!(other.lease_sending("x", "other", 3_000, 5_000).unwrap());
        assert!(!one.lease_sending("x", "one", 4_000, 6_000).unwrap());
        // Given back: free at once.
        one.release(Leased::Payment, "x", "one").unwrap();
        assert!(
            !one.lease_sending("x", "one", 4_000, 6_000).unwrap(),
            "only its holder gives it back"
        );
        other.release(Leased::Payment, "x", "other").unwrap();
        assert!(one.lease_sending("x", "one", 4_000, 6_000).unwrap());
        // A payment that left `sending` has no lease to take.
        record.state = PaymentState::Sent;
        assert!(one.update_payment(&record, PaymentState::Sending).unwrap());
        assert!(!other.lease_sending("x", "other", 9_000, 10_000).unwrap());
        let lease: (Option<String>, Option<i64>) = one
            .conn
            .query_row(
                "SELECT lease_owner, lease_until FROM payments WHERE id = 'x'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            lease,
            (None, None),
            "leaving `sending` gives the lease back"
        );
    }
}
