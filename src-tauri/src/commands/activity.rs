//! The activity log: what the app asked of wallets and which finish links it
//! checked, for QA and bug reports. Thin commands over the engine.

use consent_desk_engine::views::{ActivityExport, ActivityQuery, ActivityView};
use tauri::AppHandle;

use crate::{EngineExt as _, Result};

/// Entries, newest first, a page at a time.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn activity(
    app: AppHandle,
    query: ActivityQuery,
    limit: u32,
    offset: u32,
) -> Result<Vec<ActivityView>> {
    app.engine()
        .activity(&query, limit.clamp(1, 500) as usize, offset as usize)
}

/// Writes the (filtered) log as JSON lines into the app's log folder, for a
/// bug report.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn export_activity(app: AppHandle, query: ActivityQuery) -> Result<ActivityExport> {
    app.engine().export_activity(&query)
}
