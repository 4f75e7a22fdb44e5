//! The activity log: every request the app's clients made (what, where, the
//! status, how long, what the signature covered) and every finish link
//! checked (which grant, whether its hash verified, how it ended). Kept in
//! the grant store, the newest 10,000. Headers and bodies are kept as the
//! client redacted them (`consent_desk_protocol::redact`: never a token
//! value, an interaction reference or a key), each body cut at 16 KiB.

use std::sync::{Arc, Weak};
use std::time::Duration;

use consent_desk_protocol::redact::{cut, REDACTED};
use consent_desk_protocol::{Exchange, FinishRedirect, Observer, MAX_FINISH_URL_BYTES};
use rusqlite::{params, Row};
use serde::{Deserialize, Serialize};

use crate::store::{timestamp_ms, Store, StoreError};
use crate::{grant_id_of, Completed, FlowError, Flows};

/// Entries kept; older ones are dropped as new ones come.
const KEPT: i64 = 10_000;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActivityKind {
    /// A request to a wallet.
    Request,
    /// A finish link checked.
    Finish,
}

impl ActivityKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Finish => "finish",
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// Grows with time.
    pub id: i64,
    /// RFC 3339, milliseconds.
    pub at: String,
    /// Request or finish.
    pub kind: ActivityKind,
    /// The OpenAPI operation, or `finish`.
    pub operation: String,
    /// For a request.
    pub method: Option<String>,
    /// The URL asked, or the finish link without its query.
    pub url: Option<String>,
    /// The answer's status.
    pub status: Option<u16>,
    /// How long it took.
    pub duration_ms: Option<u64>,
    /// Answered below 400 / verified and completed.
    pub ok: bool,
    /// A request's `signatureInput`, `withToken`, `failure`, `request` and
    /// `response` (each `{headers: [[name, value]], body}`, redacted); a
    /// finish's `grant`, `hashVerified`, `hash`, `outcome` and `link` (the
    /// link as received, its `interact_ref` redacted, cut at 4 KiB).
    pub detail: serde_json::Value,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Text found in the operation, the URL or the detail.
    pub text: Option<String>,
    /// Only failures (no answer, status 400 or more, refused finishes).
    pub failures_only: bool,
    /// Only this kind.
    pub kind: Option<ActivityKind>,
}

fn entry(row: &Row<'_>) -> rusqlite::Result<(ActivityEntry, String)> {
    Ok((
        ActivityEntry {
            id: row.get(0)?,
            at: row.get(1)?,
            kind: if row.get::<_, String>(2)? == "finish" {
                ActivityKind::Finish
            } else {
                ActivityKind::Request
            },
            operation: row.get(3)?,
            method: row.get(4)?,
            url: row.get(5)?,
            status: row
                .get::<_, Option<i64>>(6)?
                .and_then(|s| u16::try_from(s).ok()),
            duration_ms: row
                .get::<_, Option<i64>>(7)?
                .and_then(|d| u64::try_from(d).ok()),
            ok: row.get::<_, i64>(8)? != 0,
            detail: serde_json::Value::Null,
        },
        row.get(9)?,
    ))
}

impl Store {
    pub(crate) fn insert_activity(&mut self, entry: &ActivityEntry) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO activity (at, kind, operation, method, url, status, duration_ms, ok, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                entry.at,
                entry.kind.as_str(),
                entry.operation,
                entry.method,
                entry.url,
                entry.status,
                entry.duration_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
                i64::from(entry.ok),
                serde_json::to_string(&entry.detail)?,
            ],
        )?;
        let id = tx.last_insert_rowid();
        if id % 500 == 0 {
            tx.execute("DELETE FROM activity WHERE id <= ?1", [id - KEPT])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn activity(
        &self,
        filter: &ActivityFilter,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ActivityEntry>, StoreError> {
        let text = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let escaped = t
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            });
        let mut statement = self.conn.prepare(
            "SELECT id, at, kind, operation, method, url, status, duration_ms, ok, detail
             FROM activity
             WHERE (?1 IS NULL OR operation LIKE ?1 ESCAPE '\\' OR url LIKE ?1 ESCAPE '\\'
                    OR detail LIKE ?1 ESCAPE '\\')
               AND (?2 = 0 OR ok = 0)
               AND (?3 IS NULL OR kind = ?3)
             ORDER BY id DESC LIMIT ?4 OFFSET ?5",
        )?;
        let rows = statement
            .query_map(
                params![
                    text,
                    i64::from(filter.failures_only),
                    filter.kind.map(ActivityKind::as_str),
                    crate::store::sql_count(limit),
                    crate::store::sql_count(offset),
                ],
                entry,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(mut entry, detail)| {
                entry.detail = serde_json::from_str(&detail)?;
                Ok(entry)
            })
            .collect()
    }
}

/// A finish link as the log keeps it and screens show it: its
/// `interact_ref` (which with the continuation token finishes the grant)
/// redacted, cut at [`MAX_FINISH_URL_BYTES`] (longer ones are refused
/// unread).
#[must_use]
pub fn shown_link(finish_url: &str) -> String {
    // The other parameters stay as they came (not decoded and encoded
    // again), and "(redacted)" reads as it is, not as `%28redacted%29`.
    let shown = match url::Url::parse(finish_url) {
        Ok(mut url) if url.query().is_some() => {
            let query: Vec<String> = url
                .query()
                .unwrap_or_default()
                .split('&')
                .map(|pair| {
                    // By its decoded name, as the finish parser reads it
                    // (`interact%5Fref` is `interact_ref` too).
                    let named = url::form_urlencoded::parse(pair.as_bytes())
                        .next()
                        .is_some_and(|(name, _)| name == "interact_ref");
                    match pair.split_once('=') {
                        Some((name, _)) if named => format!("{name}={REDACTED}"),
                        _ => pair.to_owned(),
                    }
                })
                .collect();
            url.set_query(Some(&query.join("&")));
            url.to_string()
        }
        _ => finish_url.to_owned(),
    };
    cut(&shown, MAX_FINISH_URL_BYTES)
}

impl Flows {
    /// An [`Observer`] for clients: records every request in the log. It
    /// holds the store weakly, so a client outliving it records nothing.
    pub fn recorder(self: &Arc<Self>) -> Observer {
        let flows: Weak<Self> = Arc::downgrade(self);
        Arc::new(move |exchange: &Exchange| {
            if let Some(flows) = flows.upgrade() {
                flows.record_exchange(exchange);
            }
        })
    }

    /// Records one request. A log that cannot be written does not stop the
    /// work: it is reported in the app's log.
    pub fn record_exchange(&self, exchange: &Exchange) {
        let entry = ActivityEntry {
            id: 0,
            at: timestamp_ms(),
            kind: ActivityKind::Request,
            operation: exchange.operation.to_owned(),
            method: Some(exchange.method.clone()),
            url: Some(exchange.url.clone()),
            status: exchange.status,
            duration_ms: Some(exchange.duration_ms),
            ok: exchange.status.is_some_and(|status| status < 400),
            detail: serde_json::json!({
                "signatureInput": exchange.signature_input,
                "withToken": exchange.with_token,
                "failure": exchange.failure,
                "request": {
                    "headers": exchange.request_headers,
                    "body": exchange.request_body,
                },
                "response": exchange.status.map(|_| serde_json::json!({
                    "headers": exchange.response_headers,
                    "body": exchange.response_body,
                })),
            }),
        };
        if let Err(error) = self.store().insert_activity(&entry) {
            tracing::warn!(%error, "the activity log could not be written");
        }
    }

    /// Records a finish link checked and how it ended.
    pub(crate) fn record_finish(
        &self,
        finish_url: &str,
        result: &Result<Completed, FlowError>,
        took: Duration,
    ) {
        let has_hash = matches!(
            FinishRedirect::parse(finish_url),
            Ok(FinishRedirect::Approved { .. })
        );
        let (verified, ok, outcome) = match result {
            Ok(Completed::Approved(_)) => (Some(true), true, "approved and continued".to_owned()),
            Ok(Completed::Proved(record)) => (
                Some(true),
                true,
                format!("ownership of {} proved", record.wallet),
            ),
            // A failure link has no hash: it ended the grant only once the
            // wallet confirmed it or the grant was cancelled there.
            Ok(Completed::NotApproved(record)) => (
                has_hash.then_some(true),
                true,
                format!(
                    "not approved ({}){}",
                    record
                        .outcome
                        .as_ref()
                        .map_or_else(|| "no reason given".to_owned(), ToString::to_string),
                    if has_hash {
                        ""
                    } else {
                        ", made sure of at the wallet (confirmed, or cancelled there)"
                    }
                ),
            ),
            Err(FlowError::Refused(error)) => (Some(false), false, error.to_string()),
            Err(FlowError::FailureUnconfirmed { result }) => (
                Some(false),
                false,
                format!("unconfirmed: the link said {result}, the wallet did not confirm it"),
            ),
            Err(error @ (FlowError::UnknownFinish | FlowError::AlreadyUsed { .. })) => {
                (None, false, error.to_string())
            }
            Err(error) => (Some(true), false, error.to_string()),
        };
        let hash = match FinishRedirect::parse(finish_url) {
            Ok(FinishRedirect::Approved { hash, .. }) => Some(hash),
            _ => None,
        };
        let mut bare = url::Url::parse(finish_url).ok();
        if let Some(url) = bare.as_mut() {
            url.set_query(None);
            url.set_fragment(None);
        }
        let entry = ActivityEntry {
            id: 0,
            at: timestamp_ms(),
            kind: ActivityKind::Finish,
            operation: "finish".to_owned(),
            method: None,
            url: bare.map(|url| url.to_string()),
            status: None,
            duration_ms: u64::try_from(took.as_millis()).ok(),
            ok,
            detail: serde_json::json!({
                "grant": grant_id_of(finish_url),
                "hashVerified": verified,
                "hash": hash,
                "outcome": outcome,
                "link": shown_link(finish_url),
            }),
        };
        if let Err(error) = self.store().insert_activity(&entry) {
            tracing::warn!(%error, "the activity log could not be written");
        }
    }

    /// Log entries, newest first.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn activity(
        &self,
        filter: &ActivityFilter,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ActivityEntry>, FlowError> {
        Ok(self.store().activity(filter, limit, offset)?)
    }

    /// Writes the log (filtered) to `path` as JSON lines, oldest first, for a
    /// bug report. Returns how many entries were written.
    ///
    /// # Errors
    ///
    /// The store or the file failed.
    pub fn export_activity(
        &self,
        filter: &ActivityFilter,
        path: &std::path::Path,
    ) -> Result<usize, FlowError> {
        let mut entries = self.activity(filter, usize::try_from(KEPT).unwrap_or(10_000), 0)?;
        entries.reverse();
        let mut text = String::new();
        for entry in &entries {
            text.push_str(
                &serde_json::to_string(entry).map_err(|e| FlowError::Invalid(e.to_string()))?,
            );
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|error| {
            FlowError::Invalid(format!(
                "the activity log could not be written to {} ({error})",
                path.display()
            ))
        })?;
        Ok(entries.len())
    }
}
