//! Payments: thin commands over the engine. Progress arrives as
//! `payment://progress` events.

use consent_desk_engine::views::{ApproveIn, GrantView, PayForm, PaymentView};
use tauri::AppHandle;

use crate::{EngineExt as _, Result};

/// The incoming payment and the quote, for the person to check.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn quote_payment(app: AppHandle, form: PayForm) -> Result<PaymentView> {
    app.engine().quote(&form).await
}

/// The person confirmed the quote: asks the wallet for the grant.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn confirm_payment(
    app: AppHandle,
    id: String,
    approve_in: ApproveIn,
) -> Result<PaymentView> {
    app.engine().confirm(&id, approve_in).await
}

/// Pays a quoted payment with a grant approved earlier.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn pay_with_grant(
    app: AppHandle,
    id: String,
    grant_id: String,
) -> Result<PaymentView> {
    app.engine().pay_with_grant(&id, &grant_id).await
}

/// Approved grants that can pay a quoted payment without a new consent: they
/// allow sending and following payments and have budget left for it.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn payment_grants(app: AppHandle, id: String) -> Result<Vec<GrantView>> {
    app.engine().payment_grants(&id)
}

/// A new quote for a payment whose quote expired.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn requote_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    app.engine().requote(&id).await
}

/// Looks at a sent payment again (or resumes an interrupted one).
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn check_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    app.engine().check_payment(&id).await
}

/// Stops a payment that was not sent.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn cancel_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    app.engine().cancel_payment(&id).await
}

/// Payments, newest first, a page at a time.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn payments(app: AppHandle, limit: u32, offset: u32) -> Result<Vec<PaymentView>> {
    app.engine()
        .payments(limit.clamp(1, 200) as usize, offset as usize)
}
