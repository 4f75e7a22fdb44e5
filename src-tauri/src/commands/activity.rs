//! The activity log: what the app asked of wallets and which finish links it
//! checked, for QA and bug reports. Thin commands over `consent_desk_engine`.

use consent_desk_engine::activity::{ActivityEntry, ActivityFilter, ActivityKind};
use tauri::{AppHandle, Manager};

use crate::error::Result;
use crate::flow::FlowState;
use crate::ipc::{ActivityExport, ActivityQuery, ActivityView};

fn filter(query: &ActivityQuery) -> ActivityFilter {
    ActivityFilter {
        text: Some(query.text.clone()).filter(|text| !text.trim().is_empty()),
        failures_only: query.failures_only,
        kind: None,
    }
}

fn view(entry: ActivityEntry) -> ActivityView {
    let text = |key: &str| entry.detail[key].as_str().map(str::to_owned);
    ActivityView {
        id: entry.id,
        at: entry.at.clone(),
        kind: match entry.kind {
            ActivityKind::Request => "request".to_owned(),
            ActivityKind::Finish => "finish".to_owned(),
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
    }
}

/// Entries, newest first, a page at a time.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn activity(
    app: AppHandle,
    query: ActivityQuery,
    limit: u32,
    offset: u32,
) -> Result<Vec<ActivityView>> {
    let flows = app.state::<FlowState>().flows()?;
    Ok(flows
        .activity(
            &filter(&query),
            limit.clamp(1, 500) as usize,
            offset as usize,
        )?
        .into_iter()
        .map(view)
        .collect())
}

/// Writes the (filtered) log as JSON lines into the app's log folder, for a
/// bug report.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn export_activity(app: AppHandle, query: ActivityQuery) -> Result<ActivityExport> {
    let flows = app.state::<FlowState>().flows()?;
    let dir = app
        .state::<consent_desk_identity::Folders>()
        .logs()
        .to_owned();
    let _ = std::fs::create_dir_all(&dir);
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default();
    let path = dir.join(format!("activity-{stamp}.jsonl"));
    let entries = flows.export_activity(&filter(&query), &path)?;
    Ok(ActivityExport {
        path: path.display().to_string(),
        entries: u32::try_from(entries).unwrap_or(u32::MAX),
    })
}
