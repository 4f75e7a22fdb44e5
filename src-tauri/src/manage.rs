//! Managing grants in the desktop: what one allows and spent, the payments
//! made with it, and its token rotated or revoked, or the grant cancelled.
//! The work is `consent_desk_flow`'s; this module gives it words.

use consent_desk_flow::{FlowError, GrantRecord, GrantState};
use consent_desk_protocol::describe::{describe_interval, format_amount_of};
use consent_desk_protocol::{AccessItem, LimitAmount, OutgoingLimits};
use tauri::{AppHandle, Manager};

use crate::error::Result;
use crate::flow::{client_for, view, FlowState};
use crate::ipc::{AmountLimit, GrantDetail, GrantView, SpentMeter};

/// The outgoing-payment limits the wallet granted (or, before approval,
/// those asked for).
fn limits(record: &GrantRecord) -> Option<OutgoingLimits> {
    let granted: Option<Vec<AccessItem>> = record
        .access
        .clone()
        .and_then(|access| serde_json::from_value(access).ok());
    granted?.into_iter().find_map(|item| match item {
        AccessItem::OutgoingPayment { limits, .. } => limits,
        _ => None,
    })
}

/// A percentage for a bar, exact and capped at 100.
fn percent(spent: u64, limit: u64) -> u8 {
    if limit == 0 {
        return 100;
    }
    let share = u128::from(spent) * 100 / u128::from(limit);
    u8::try_from(share.min(100)).unwrap_or(100)
}

/// The grant with what it spent (asked of the wallet) and its payments.
pub(crate) async fn detail(app: &AppHandle, id: &str) -> Result<GrantDetail> {
    let flows = app.state::<FlowState>().flows()?;
    let record = flows
        .get(id)?
        .ok_or_else(|| FlowError::Invalid(format!("there is no grant `{id}`")))?;
    let limits = limits(&record);
    let (spent, spent_problem) = if record.state == GrantState::Approved {
        let client = client_for(app, &record.profile)?;
        match flows.spent(&client, id).await {
            Ok(amounts) => {
                let meter = match limits.as_ref().and_then(|l| l.amount.as_ref()) {
                    Some(LimitAmount::Receive(limit)) => {
                        let spent = amounts.spent_receive_amount.map_or(0, |a| a.value);
                        SpentMeter {
                            spent: consent_desk_protocol::describe::format_amount(
                                spent,
                                &limit.asset_code,
                                limit.asset_scale,
                            ),
                            limit: Some(format_amount_of(limit)),
                            percent: Some(percent(spent, limit.value)),
                            counts: AmountLimit::Receive,
                        }
                    }
                    Some(LimitAmount::Debit(limit)) => {
                        let spent = amounts.spent_debit_amount.map_or(0, |a| a.value);
                        SpentMeter {
                            spent: consent_desk_protocol::describe::format_amount(
                                spent,
                                &limit.asset_code,
                                limit.asset_scale,
                            ),
                            limit: Some(format_amount_of(limit)),
                            percent: Some(percent(spent, limit.value)),
                            counts: AmountLimit::Debit,
                        }
                    }
                    None => SpentMeter {
                        spent: amounts
                            .spent_debit_amount
                            .as_ref()
                            .map_or_else(|| "nothing".to_owned(), format_amount_of),
                        limit: None,
                        percent: None,
                        counts: AmountLimit::None,
                    },
                };
                (Some(meter), None)
            }
            Err(error) => (None, Some(crate::error::sentence(&error.to_string()))),
        }
    } else {
        (None, None)
    };
    let payments = flows
        .payments_with_grant(id)?
        .iter()
        .map(crate::payments::view)
        .collect();
    Ok(GrantDetail {
        grant: view(&record),
        spent,
        spent_problem,
        interval: limits
            .and_then(|l| l.interval)
            .map(|interval| describe_interval(&interval)),
        payments,
    })
}

/// A new access token for the grant (the old one stops working).
pub(crate) async fn rotate(app: &AppHandle, id: &str) -> Result<GrantView> {
    let flows = app.state::<FlowState>().flows()?;
    let record = flows
        .get(id)?
        .ok_or_else(|| FlowError::Invalid(format!("there is no grant `{id}`")))?;
    let client = client_for(app, &record.profile)?;
    flows.rotate(&client, id).await?;
    Ok(view(&flows.get(id)?.unwrap_or(record)))
}

/// Revokes the grant's token at the wallet: nothing more can be paid with it.
pub(crate) async fn revoke(app: &AppHandle, id: &str) -> Result<GrantView> {
    let flows = app.state::<FlowState>().flows()?;
    let record = flows
        .get(id)?
        .ok_or_else(|| FlowError::Invalid(format!("there is no grant `{id}`")))?;
    let client = client_for(app, &record.profile)?;
    Ok(view(&flows.revoke(&client, id).await?))
}

/// Cancels the grant at the wallet (`DELETE` on its continuation); one that
/// waits for approval has its window closed too.
pub(crate) async fn end(app: &AppHandle, id: &str) -> Result<GrantView> {
    let flows = app.state::<FlowState>().flows()?;
    let record = flows
        .get(id)?
        .ok_or_else(|| FlowError::Invalid(format!("there is no grant `{id}`")))?;
    if record.state == GrantState::Pending {
        crate::flow::cancel(app, id).await;
        return Ok(view(&flows.get(id)?.unwrap_or(record)));
    }
    let client = client_for(app, &record.profile)?;
    Ok(view(&flows.cancel(&client, id).await?))
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn bars_are_exact_and_never_overflow() {
        assert_eq!(percent(0, 1000), 0);
        assert_eq!(percent(999, 1000), 99);
        assert_eq!(percent(1000, 1000), 100);
        assert_eq!(percent(5000, 1000), 100);
        assert_eq!(percent(u64::MAX, u64::MAX), 100);
        assert_eq!(percent(1, 0), 100);
    }
}
