//! Grants: thin commands over `crate::flow`. Progress arrives as
//! `flow://progress` events; nothing here returns a token.

use tauri::{AppHandle, State};

use crate::error::Result;
use crate::flow::FlowState;
use crate::ipc::{GrantDetail, GrantForm, GrantPreview, GrantView};

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

/// "Prove I own this wallet address" for the profile in use, through the
/// consent window; the outcome arrives as progress.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn prove_ownership(
    app: AppHandle,
    passphrase: Option<crate::ipc::SecretText>,
) -> Result<GrantView> {
    crate::flow::prove(&app, passphrase).await
}

/// Cancels a grant that waits for approval (closing its window).
#[tauri::command]
#[tracing::instrument(skip(app))]
pub(crate) async fn cancel_grant(app: AppHandle, id: String) -> Result<()> {
    crate::flow::cancel(&app, &id).await;
    Ok(())
}

/// Grants, newest first, a page at a time (50 unless told).
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub(crate) fn grants(
    state: State<'_, FlowState>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<Vec<GrantView>> {
    let limit = limit.unwrap_or(50).clamp(1, 500) as usize;
    Ok(state
        .flows()?
        .grants_page(limit, offset.unwrap_or(0) as usize)?
        .iter()
        .map(crate::flow::view)
        .collect())
}

/// A grant with what it spent (asked of the wallet) and its payments.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn grant_detail(app: AppHandle, id: String) -> Result<GrantDetail> {
    crate::manage::detail(&app, &id).await
}

/// A new access token for the grant.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn rotate_grant(app: AppHandle, id: String) -> Result<GrantView> {
    crate::manage::rotate(&app, &id).await
}

/// Revokes the grant's token at the wallet.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn revoke_grant(app: AppHandle, id: String) -> Result<GrantView> {
    crate::manage::revoke(&app, &id).await
}

/// Cancels the grant at the wallet.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn end_grant(app: AppHandle, id: String) -> Result<GrantView> {
    crate::manage::end(&app, &id).await
}
