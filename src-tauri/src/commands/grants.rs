//! Grants: thin commands over the engine. Progress arrives as
//! `flow://progress` events; nothing here returns a token.

use consent_desk_engine::views::{GrantDetail, GrantForm, GrantPreview, GrantView, SecretText};
use tauri::AppHandle;

use crate::{EngineExt as _, Result};

/// What the form would send: the wallet, the limit in words, the exact JSON.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn preview_grant(app: AppHandle, form: GrantForm) -> Result<GrantPreview> {
    app.engine().preview(&form).await
}

/// Requests the grant and opens the wallet's consent page in its own window.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn request_grant(app: AppHandle, form: GrantForm) -> Result<GrantView> {
    app.engine().request(&form).await
}

/// "Prove I own this wallet address" for the profile in use, through the
/// consent window; the outcome arrives as progress.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn prove_ownership(
    app: AppHandle,
    passphrase: Option<SecretText>,
) -> Result<GrantView> {
    app.engine().prove(passphrase).await
}

/// Cancels a grant that waits for approval (closing its window).
#[tauri::command]
#[tracing::instrument(skip(app))]
pub(crate) async fn cancel_grant(app: AppHandle, id: String) -> Result<()> {
    app.engine().cancel(&id).await;
    Ok(())
}

/// Approvals that waited for the person when the app last closed.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn waiting_approvals(app: AppHandle) -> Result<Vec<GrantView>> {
    app.engine().waiting_from_before()
}

/// Opens the wallet's page again for one of those, in the consent window
/// or the system browser.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn reopen_approval(app: AppHandle, id: String, in_browser: bool) -> Result<GrantView> {
    app.engine().reopen(&id, in_browser)
}

/// "Open in my browser instead" while an approval waits in its window: the
/// wallet's page in the system browser, the window hidden without
/// cancelling.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn continue_in_browser(app: AppHandle, id: String) -> Result<GrantView> {
    crate::consent_window::continue_in_browser(&app, &id)
}

/// Grants, newest first, a page at a time (50 unless told).
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn grants(
    app: AppHandle,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<Vec<GrantView>> {
    let limit = limit.unwrap_or(50).clamp(1, 500) as usize;
    app.engine().grants(limit, offset.unwrap_or(0) as usize)
}

/// A grant with what it spent (asked of the wallet) and its payments.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn grant_detail(app: AppHandle, id: String) -> Result<GrantDetail> {
    app.engine().grant_detail(&id).await
}

/// A new access token for the grant.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn rotate_grant(app: AppHandle, id: String) -> Result<GrantView> {
    app.engine().rotate(&id).await
}

/// Revokes the grant's token at the wallet.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn revoke_grant(app: AppHandle, id: String) -> Result<GrantView> {
    app.engine().revoke(&id).await
}

/// Cancels the grant at the wallet.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn end_grant(app: AppHandle, id: String) -> Result<GrantView> {
    app.engine().end(&id).await
}
