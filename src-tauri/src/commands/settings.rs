//! The person's settings: which desktop notifications they want.

use consent_desk_engine::notices::NoticeSettings;
use tauri::AppHandle;

use crate::{EngineExt as _, Result};

/// Which notifications are on.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub(crate) fn notice_settings(app: AppHandle) -> NoticeSettings {
    app.engine().notice_settings()
}

/// Switches notifications on or off; what is now kept.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn set_notice_settings(
    app: AppHandle,
    settings: NoticeSettings,
) -> Result<NoticeSettings> {
    app.engine().set_notice_settings(settings)
}
