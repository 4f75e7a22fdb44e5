//! Payments: thin commands over `crate::payments`. Progress arrives as
//! `payment://progress` events.

use tauri::{AppHandle, Manager};

use crate::error::Result;
use crate::ipc::{ApproveIn, PayForm, PaymentView};

/// The incoming payment and the quote, for the person to check.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) async fn quote_payment(app: AppHandle, form: PayForm) -> Result<PaymentView> {
    crate::payments::quote(&app, &form).await
}

/// The person confirmed the quote: asks the wallet for the grant.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn confirm_payment(
    app: AppHandle,
    id: String,
    approve_in: ApproveIn,
) -> Result<PaymentView> {
    crate::payments::confirm(&app, &id, approve_in).await
}

/// Pays a quoted payment with a grant approved earlier.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn pay_with_grant(
    app: AppHandle,
    id: String,
    grant_id: String,
) -> Result<PaymentView> {
    crate::payments::with_grant(&app, &id, &grant_id).await
}

/// Approved grants that can pay a quoted payment without a new consent: they
/// allow sending and following payments and have budget left for it.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn payment_grants(app: AppHandle, id: String) -> Result<Vec<crate::ipc::GrantView>> {
    let flows = app.state::<crate::flow::FlowState>().flows()?;
    Ok(flows
        .grants_for_payment(&id)?
        .iter()
        .map(crate::flow::view)
        .collect())
}

/// A new quote for a payment whose quote expired.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn requote_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    crate::payments::requote(&app, &id).await
}

/// Looks at a sent payment again (or resumes an interrupted one).
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn check_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    crate::payments::send(&app, &id).await;
    let flows = app.state::<crate::flow::FlowState>().flows()?;
    Ok(crate::payments::view(&flows.payment(&id)?))
}

/// Stops a payment that was not sent.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) async fn cancel_payment(app: AppHandle, id: String) -> Result<PaymentView> {
    crate::payments::cancel(&app, &id).await
}

/// Payments, newest first, a page at a time.
#[tauri::command]
#[tracing::instrument(skip(app), err(Debug))]
pub(crate) fn payments(app: AppHandle, limit: u32, offset: u32) -> Result<Vec<PaymentView>> {
    crate::payments::list(&app, limit.clamp(1, 200) as usize, offset as usize)
}
