//! Grants in one SQLite file (`grants.sqlite3` in the app's data folder).
//! Bearer tokens are not here: they go to the keyring (see `crate::Flows`).
//! Every write runs in a transaction.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// Each entry moves the file from version `i` to `i + 1`, in one
/// transaction; a file is brought up to date when it is opened.
const MIGRATIONS: &[&str] = &[
    // 1: grants.
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
    // 2: payments (the record as JSON beside the columns that are queried),
    // and indexes that keep lists fast with a long history.
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
    // 3: the start-up resume reads unfinished payments by state.
    "
CREATE INDEX payments_by_state ON payments (state);
",
    // 4: the activity log (requests made, finishes checked), newest by id.
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
];

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
    pub wallet: String,
    /// The authorization server it was requested at (the finish hash covers it).
    pub auth_server: String,
    /// The grant request as sent (JSON).
    pub request: serde_json::Value,
    /// Where the wallet sends the person back.
    pub finish_uri: String,
    #[serde(skip)]
    pub(crate) client_nonce: String,
    #[serde(skip)]
    pub(crate) server_nonce: Option<String>,
    /// The consent page.
    pub redirect: Option<String>,
    /// The continuation URI.
    pub continue_uri: Option<String>,
    /// Seconds to wait before continuing.
    pub continue_wait: Option<u64>,
    /// Where it is.
    pub state: GrantState,
    /// Why it failed, in words.
    pub problem: Option<String>,
    /// What was granted (JSON), once approved.
    pub access: Option<serde_json::Value>,
    /// Where to rotate or revoke the token.
    pub manage_uri: Option<String>,
    /// When the access token expires (RFC 3339).
    pub expires_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
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
    /// Written by a newer Consent Desk.
    #[error("the grant store was written by a newer Consent Desk (schema {0}); update the app")]
    NewerSchema(i64),
}

#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) conn: Connection,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

const COLUMNS: &str = "id, profile, wallet, auth_server, request, finish_uri, client_nonce, \
    server_nonce, redirect, continue_uri, continue_wait, state, problem, access, manage_uri, \
    expires_at, created_at, updated_at";

fn record(row: &Row<'_>) -> rusqlite::Result<(GrantRecord, String, Option<String>)> {
    Ok((
        GrantRecord {
            id: row.get(0)?,
            profile: row.get(1)?,
            wallet: row.get(2)?,
            auth_server: row.get(3)?,
            request: serde_json::Value::Null,
            finish_uri: row.get(5)?,
            client_nonce: row.get(6)?,
            server_nonce: row.get(7)?,
            redirect: row.get(8)?,
            continue_uri: row.get(9)?,
            continue_wait: row
                .get::<_, Option<i64>>(10)?
                .map(|w| u64::try_from(w).unwrap_or(0)),
            state: GrantState::parse(&row.get::<_, String>(11)?),
            problem: row.get(12)?,
            access: None,
            manage_uri: row.get(14)?,
            expires_at: row.get(15)?,
            created_at: row.get(16)?,
            updated_at: row.get(17)?,
        },
        row.get(4)?,
        row.get(13)?,
    ))
}

fn parse(raw: (GrantRecord, String, Option<String>)) -> Result<GrantRecord, StoreError> {
    let (mut grant, request, access) = raw;
    grant.request = serde_json::from_str(&request)?;
    grant.access = access.map(|text| serde_json::from_str(&text)).transpose()?;
    Ok(grant)
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
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }

    pub(crate) fn insert(&mut self, grant: &GrantRecord) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            &format!("INSERT INTO grants ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
            params![
                grant.id,
                grant.profile,
                grant.wallet,
                grant.auth_server,
                serde_json::to_string(&grant.request)?,
                grant.finish_uri,
                grant.client_nonce,
                grant.server_nonce,
                grant.redirect,
                grant.continue_uri,
                grant.continue_wait.map(|w| i64::try_from(w).unwrap_or(i64::MAX)),
                grant.state.as_str(),
                grant.problem,
                grant.access.as_ref().map(serde_json::to_string).transpose()?,
                grant.manage_uri,
                grant.expires_at,
                grant.created_at,
                grant.updated_at,
            ],
        )?;
        tx.commit()?;
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
        let mut statement = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM grants ORDER BY created_at DESC"
        ))?;
        let rows = statement
            .query_map([], record)?
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
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE grants SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
            params![to.as_str(), now(), id, from.as_str()],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Records the outcome of a grant.
    pub(crate) fn finish(
        &mut self,
        id: &str,
        state: GrantState,
        problem: Option<&str>,
        access: Option<&serde_json::Value>,
        manage_uri: Option<&str>,
        expires_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE grants SET state = ?1, problem = ?2, access = ?3, manage_uri = ?4,
                 expires_at = ?5, updated_at = ?6 WHERE id = ?7",
            params![
                state.as_str(),
                problem,
                access.map(serde_json::to_string).transpose()?,
                manage_uri,
                expires_at,
                now(),
                id
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}

pub(crate) fn timestamp() -> String {
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
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO payments (id, profile, state, grant_id, record, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                payment.id,
                payment.profile,
                payment.state.as_str(),
                payment.grant_id,
                serde_json::to_string(payment)?,
                payment.created_at,
                payment.updated_at,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Writes `payment` if it is still in state `from`; false if it is not
    /// (another path moved it first).
    pub(crate) fn update_payment(
        &mut self,
        payment: &crate::pay::PaymentRecord,
        from: crate::pay::PaymentState,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE payments SET state = ?1, grant_id = ?2, record = ?3, updated_at = ?4
             WHERE id = ?5 AND state = ?6",
            params![
                payment.state.as_str(),
                payment.grant_id,
                serde_json::to_string(payment)?,
                payment.updated_at,
                payment.id,
                from.as_str(),
            ],
        )?;
        tx.commit()?;
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
            params![
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
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

    /// Records the continuation URI an approved grant answered with.
    pub(crate) fn set_continue_uri(&mut self, id: &str, uri: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE grants SET continue_uri = ?1, updated_at = ?2 WHERE id = ?3",
            params![uri, now(), id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sets a grant's state, whatever it was.
    pub(crate) fn set_state(&mut self, id: &str, state: GrantState) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE grants SET state = ?1, updated_at = ?2 WHERE id = ?3",
            params![state.as_str(), now(), id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Grants, newest first, `limit` from `offset` (one page of a long history).
    pub(crate) fn page(&self, limit: usize, offset: usize) -> Result<Vec<GrantRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM grants ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = statement
            .query_map(
                params![
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(offset).unwrap_or(i64::MAX)
                ],
                record,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(parse).collect()
    }

    /// Records a rotated access token's manage URI and expiry.
    pub(crate) fn set_manage(
        &mut self,
        id: &str,
        manage_uri: &str,
        expires_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE grants SET manage_uri = ?1, expires_at = ?2, updated_at = ?3 WHERE id = ?4",
            params![manage_uri, expires_at, now(), id],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_file_is_migrated_in_place_and_keeps_its_grants() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.sqlite3");
        {
            // A file as version 1 of the app left it, with one grant.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                &format!(
                    "INSERT INTO grants ({COLUMNS}) VALUES ('g1', 'p', 'w', 'a', '{{}}', 'f', \
                     'n', NULL, NULL, NULL, NULL, 'approved', NULL, NULL, NULL, NULL, 't0', 't0')"
                ),
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(
            store.get("g1").unwrap().unwrap().state,
            GrantState::Approved
        );
        assert!(store.payments(10, 0).unwrap().is_empty());
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
    fn two_processes_opening_an_older_file_together_both_succeed() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("grants.sqlite3");
            {
                let conn = Connection::open(&path).unwrap();
                conn.execute_batch(MIGRATIONS[0]).unwrap();
                conn.pragma_update(None, "user_version", 1).unwrap();
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
        }
    }
}
