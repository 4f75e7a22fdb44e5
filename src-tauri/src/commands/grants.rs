//! Grants: thin commands over `crate::flow`. Progress arrives as
//! `flow://progress` events; nothing here returns a token.

use tauri::{AppHandle, State};

use crate::error::Result;
use crate::flow::FlowState;
use crate::ipc::{GrantForm, GrantPreview, GrantView};

/// What the form would send: the wallet, the limit in words, the exact JSON.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn preview_grant(app: AppHandle, form: GrantForm) -> Result<GrantPreview> {
    crate::flow::preview(&app, &form).await
}

/// Requests the grant and opens the wallet's consent page in its own window.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn request_grant(app: AppHandle, form: GrantForm) -> Result<GrantView> {
    crate::flow::start(&app, &form).await
}

/// Cancels a grant that waits for approval (closing its window).
#[tauri::command]
#[tracing::instrument(skip(app))]
pub(crate) async fn cancel_grant(app: AppHandle, id: String) -> Result<()> {
    crate::flow::cancel(&app, &id).await;
    Ok(())
}

/// Every grant, newest first.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) fn grants(state: State<'_, FlowState>) -> Result<Vec<GrantView>> {
    Ok(state
        .flows()?
        .list()?
        .iter()
        .map(crate::flow::view)
        .collect())
}
