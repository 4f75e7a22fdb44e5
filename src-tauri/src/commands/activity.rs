//! The activity log: what the app asked of wallets and which finish links it
//! checked, for QA and bug reports. Thin commands over the engine.

use std::path::PathBuf;

use consent_desk_engine::views::{ActivityExport, ActivityQuery, ActivityView};
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt as _;

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

/// Writes exactly the entries the screen's filter selects as JSON lines, to
/// a file the person chooses in the system's save dialog; `None` when they
/// cancelled it. A `path` skips the dialog (for tests and QA scripts, which
/// cannot drive a native dialog; see docs/qa.md).
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn export_activity(
    app: AppHandle,
    query: ActivityQuery,
    path: Option<String>,
) -> Result<Option<ActivityExport>> {
    let path = match path {
        Some(path) => PathBuf::from(path),
        None => match choose_file(&app).await {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    app.engine().export_activity(&query, &path).map(Some)
}

/// The save dialog, opened in the log folder with a dated name.
async fn choose_file(app: &AppHandle) -> Option<PathBuf> {
    let suggestion = app.engine().export_suggestion();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export the activity log for a bug report")
        .add_filter("JSON lines", &["jsonl"]);
    if let Some(name) = suggestion.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    if let Some(dir) = suggestion.parent() {
        // Offered only if it can be made; the dialog starts elsewhere if not.
        if std::fs::create_dir_all(dir).is_ok() {
            dialog = dialog.set_directory(dir);
        }
    }
    let (chosen, answer) = tokio::sync::oneshot::channel();
    dialog.save_file(move |file| {
        let _ = chosen.send(file);
    });
    answer
        .await
        .ok()
        .flatten()
        .and_then(|file| file.as_path().map(std::path::Path::to_owned))
}
