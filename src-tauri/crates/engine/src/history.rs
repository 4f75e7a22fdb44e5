//! A long history for benchmarks: `count` approved grants and as many
//! completed payments written straight into a store, as a year of use would
//! leave them. Not for the app; `benches/store.rs` and the first-paint
//! benchmark use it.

use std::path::Path;

use consent_desk_protocol::{Amount, Quote};

use crate::pay::{PaymentRecord, PaymentState};
use crate::store::{Store, StoreError};

/// Fills the store at `path` (made, or brought up to date, first).
///
/// # Errors
///
/// SQLite failed.
pub fn fill(path: &Path, count: usize) -> Result<(), StoreError> {
    drop(Store::open(path)?);
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    for n in 0..count {
        let when = stamp(n);
        tx.execute(
            "INSERT INTO grants (id, profile, wallet, auth_server, request, finish_uri,
                 client_nonce, state, access, manage_uri, expires_at, created_at, updated_at)
             VALUES (?1, 'sandbox', 'https://ilp.example/alice', 'https://ilp.example/auth',
                 '{\"access_token\":{\"access\":[]},\"client\":\"https://ilp.example/desk\"}',
                 'dev.consentdesk:/finish/x', 'nonce', 'approved', '[]',
                 'https://ilp.example/auth/token/x', ?2, ?2, ?2)",
            rusqlite::params![format!("grant-{n:06}"), when],
        )?;
        let record = payment(n, &when)?;
        tx.execute(
            "INSERT INTO payments (id, profile, state, grant_id, record, created_at, updated_at)
             VALUES (?1, 'sandbox', 'completed', ?2, ?3, ?4, ?4)",
            rusqlite::params![
                record.id,
                record.grant_id,
                serde_json::to_string(&record).map_err(StoreError::from)?,
                when
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A store as release 0.1.0 left it (schema 4: `problem` in words, payment
/// records with text problems), with `count` grants and payments, half of
/// them ended with a problem: what the typed-records migration reads.
///
/// # Errors
///
/// SQLite failed.
pub fn fill_release_0_1_0(path: &Path, count: usize) -> Result<(), StoreError> {
    let mut conn = crate::store::older_file(path, 4)?;
    let tx = conn.transaction()?;
    for n in 0..count {
        let when = stamp(n);
        let (state, problem) = match n % 4 {
            0 | 1 => ("approved", None),
            2 => ("failed", Some("invalid_interaction (interaction expired)")),
            _ => ("cancelled", Some("timed_out")),
        };
        tx.execute(
            "INSERT INTO grants (id, profile, wallet, auth_server, request, finish_uri,
                 client_nonce, state, problem, access, manage_uri, expires_at, created_at,
                 updated_at)
             VALUES (?1, 'sandbox', 'https://ilp.example/alice', 'https://ilp.example/auth',
                 '{\"access_token\":{\"access\":[]},\"client\":\"https://ilp.example/desk\"}',
                 'dev.consentdesk:/finish/x', 'nonce', ?2, ?3, '[]',
                 'https://ilp.example/auth/token/x', ?4, ?4, ?4)",
            rusqlite::params![format!("grant-{n:06}"), state, problem, when],
        )?;
        let mut record = serde_json::to_value(payment(n, &when)?)?;
        record["problem"] = match n % 4 {
            0 | 1 => serde_json::Value::Null,
            2 => {
                "the wallet did not make the payment: Account does not have enough balance.".into()
            }
            _ => "cancelled".into(),
        };
        tx.execute(
            "INSERT INTO payments (id, profile, state, grant_id, record, created_at, updated_at)
             VALUES (?1, 'sandbox', 'completed', ?2, ?3, ?4, ?4)",
            rusqlite::params![
                format!("payment-{n:06}"),
                format!("grant-{n:06}"),
                record.to_string(),
                when
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn payment(n: usize, when: &str) -> Result<PaymentRecord, StoreError> {
    let at = time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339)
        .map_err(|error| StoreError::Unreadable {
            record: format!("payment {n}"),
            field: "created_at",
            reason: error.to_string(),
        })?;
    let usd = |value| Amount {
        value,
        asset_code: "USD".into(),
        asset_scale: 2,
    };
    let url =
        |path: String| url::Url::parse(&format!("https://ilp.example/{path}")).expect("a URL");
    Ok(PaymentRecord {
        id: format!("payment-{n:06}"),
        profile: "sandbox".into(),
        sender: url("alice".into()),
        resource_server: url(String::new()),
        receiver_wallet: Some(url("bob".into())),
        receiver_name: Some("Bob's Bakery".into()),
        incoming_payment: url(format!("incoming-payments/{n}")),
        amount: None,
        note: Some("rent".into()),
        quote: Quote {
            id: url(format!("quotes/{n}")),
            wallet_address: url("alice".into()),
            receiver: url(format!("incoming-payments/{n}")),
            receive_amount: usd(1000),
            debit_amount: usd(1000),
            method: "ilp".into(),
            expires_at: None,
            created_at: when.into(),
        },
        grant_id: Some(format!("grant-{n:06}")),
        outgoing_payment: None,
        state: PaymentState::Completed,
        problem: None,
        created_at: at,
        updated_at: at,
    })
}

/// A time in 2026 for the `n`th row, spread over months, days and hours.
fn stamp(n: usize) -> String {
    format!(
        "2026-{:02}-{:02}T{:02}:{:02}:00Z",
        1 + n % 12,
        1 + n % 28,
        n % 24,
        n % 60
    )
}
