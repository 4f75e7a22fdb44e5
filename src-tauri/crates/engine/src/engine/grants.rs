//! Managing grants: the list, what one allows and spent, the payments made
//! with it, and its token rotated or revoked, or the grant cancelled.

use consent_desk_protocol::describe::{describe_interval, format_amount_of};
use consent_desk_protocol::{AccessItem, Amount, LimitAmount, OutgoingLimits};

use super::Engine;
use crate::error::Result;
use crate::views::{AmountLimit, GrantDetail, GrantView, PaymentView, PeriodUse, SpentMeter};
use crate::words::Problem;
use crate::{GrantRecord, GrantState, PaymentRecord, PaymentState};

/// The outgoing-payment limits the wallet granted (or, before approval,
/// those asked for).
fn limits(record: &GrantRecord) -> Option<OutgoingLimits> {
    record.access.as_ref()?.iter().find_map(|item| match item {
        AccessItem::OutgoingPayment { limits, .. } => limits.clone(),
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

impl Engine {
    /// Grants, newest first, a page at a time.
    ///
    /// # Errors
    ///
    /// The store could not be read.
    pub fn grants(&self, limit: usize, offset: usize) -> Result<Vec<GrantView>> {
        Ok(self
            .flows()?
            .grants_page(limit, offset)?
            .iter()
            .map(GrantView::of)
            .collect())
    }

    /// The grant with what it spent (asked of the wallet) and its payments.
    ///
    /// # Errors
    ///
    /// No such grant, or the store could not be read.
    pub async fn grant_detail(&self, id: &str) -> Result<GrantDetail> {
        let flows = self.flows()?;
        let record = flows.grant(id)?;
        let limits = limits(&record);
        let (spent, spent_problem) = if record.state == GrantState::Approved {
            let client = self.client(&record.profile)?;
            match flows.spent(&client, id).await {
                Ok(amounts) => {
                    // The limit counts what leaves the wallet or what arrives.
                    let (limit, spent, counts) =
                        match limits.as_ref().and_then(|l| l.amount.as_ref()) {
                            Some(LimitAmount::Receive(limit)) => (
                                Some(limit),
                                amounts.spent_receive_amount.as_ref().map_or(0, |a| a.value),
                                AmountLimit::Receive,
                            ),
                            Some(LimitAmount::Debit(limit)) => (
                                Some(limit),
                                amounts.spent_debit_amount.as_ref().map_or(0, |a| a.value),
                                AmountLimit::Debit,
                            ),
                            None => (None, 0, AmountLimit::None),
                        };
                    let meter = match limit {
                        Some(limit) => SpentMeter {
                            spent: consent_desk_protocol::describe::format_amount(
                                spent,
                                &limit.asset_code,
                                limit.asset_scale,
                            ),
                            limit: Some(format_amount_of(limit)),
                            percent: Some(percent(spent, limit.value)),
                            counts,
                        },
                        None => SpentMeter {
                            spent: amounts
                                .spent_debit_amount
                                .as_ref()
                                .map_or_else(|| "nothing".to_owned(), format_amount_of),
                            limit: None,
                            percent: None,
                            counts,
                        },
                    };
                    (Some(meter), None)
                }
                Err(error) => (None, Some(Problem::of_flow(&error).message())),
            }
        } else {
            (None, None)
        };
        let records = flows.payments_with_grant(id)?;
        let history = limits
            .as_ref()
            .map(|limits| history(limits, &records))
            .unwrap_or_default();
        let payments = records.iter().map(PaymentView::of).collect();
        Ok(GrantDetail {
            grant: GrantView::of(&record),
            spent,
            spent_problem,
            interval: limits
                .and_then(|l| l.interval)
                .map(|interval| describe_interval(&interval)),
            payments,
            history,
        })
    }
}

/// What the grant's completed payments used per period of its interval,
/// newest first, by the wallet's own timestamps (its clock decides periods).
fn history(limits: &OutgoingLimits, payments: &[PaymentRecord]) -> Vec<PeriodUse> {
    let Some(interval) = limits.interval.as_ref() else {
        return Vec::new();
    };
    let parse = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    };
    // Period start -> (used, the limit in the counted asset).
    let mut periods: std::collections::BTreeMap<time::OffsetDateTime, (u64, Amount)> =
        std::collections::BTreeMap::new();
    for payment in payments {
        let Some(outgoing) = payment
            .outgoing_payment
            .as_ref()
            .filter(|_| payment.state == PaymentState::Completed)
        else {
            continue;
        };
        let Some(bounds) = parse(&outgoing.created_at).and_then(|at| interval.current(at)) else {
            continue;
        };
        let (limit_value, counted) = match limits.amount.as_ref() {
            Some(LimitAmount::Receive(limit)) => (limit.value, &outgoing.receive_amount),
            Some(LimitAmount::Debit(limit)) => (limit.value, &outgoing.debit_amount),
            None => (0, &outgoing.debit_amount),
        };
        let entry = periods.entry(bounds.start).or_insert_with(|| {
            (
                0,
                Amount {
                    value: limit_value,
                    ..counted.clone()
                },
            )
        });
        entry.0 = entry.0.saturating_add(counted.value);
    }
    periods
        .into_iter()
        .rev()
        .take(12)
        .map(|(start, (spent, limit))| PeriodUse {
            start: consent_desk_protocol::describe::format_date(start, false),
            starts_at: start
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            spent: consent_desk_protocol::describe::format_amount(
                spent,
                &limit.asset_code,
                limit.asset_scale,
            ),
            percent: (limit.value > 0).then(|| percent(spent, limit.value)),
        })
        .collect()
}

impl Engine {
    /// A new access token for the grant (the old one stops working).
    ///
    /// # Errors
    ///
    /// No such grant, the wallet refused or could not be asked.
    pub async fn rotate(&self, id: &str) -> Result<GrantView> {
        let flows = self.flows()?;
        let record = flows.grant(id)?;
        let client = self.client(&record.profile)?;
        flows.rotate(&client, id).await?;
        Ok(GrantView::of(&flows.get(id)?.unwrap_or(record)))
    }

    /// Revokes the grant's token at the wallet: nothing more can be paid
    /// with it.
    ///
    /// # Errors
    ///
    /// No such grant, the wallet refused or could not be asked.
    pub async fn revoke(&self, id: &str) -> Result<GrantView> {
        let flows = self.flows()?;
        let record = flows.grant(id)?;
        let client = self.client(&record.profile)?;
        Ok(GrantView::of(&flows.revoke(&client, id).await?))
    }

    /// Cancels the grant at the wallet (`DELETE` on its continuation); one
    /// that waits for approval has its window closed too.
    ///
    /// # Errors
    ///
    /// No such grant, the wallet refused or could not be asked.
    pub async fn end(&self, id: &str) -> Result<GrantView> {
        let flows = self.flows()?;
        let record = flows.grant(id)?;
        if record.state == GrantState::Pending {
            self.cancel(id).await;
            return Ok(GrantView::of(&flows.get(id)?.unwrap_or(record)));
        }
        let client = self.client(&record.profile)?;
        Ok(GrantView::of(&flows.cancel(&client, id).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::{history, percent};
    use crate::PaymentRecord;
    use consent_desk_protocol::OutgoingLimits;

    fn paid(id: &str, at: &str, cents: u64, state: &str) -> PaymentRecord {
        let usd =
            serde_json::json!({"value": cents.to_string(), "assetCode": "USD", "assetScale": 2});
        serde_json::from_value(serde_json::json!({
            "id": id, "profile": "p", "sender": "https://w.example/alice",
            "resourceServer": "https://w.example/", "receiverWallet": null,
            "incomingPayment": "https://w.example/incoming-payments/1", "amount": null, "note": null,
            "quote": {"id": "https://w.example/quotes/1", "walletAddress": "https://w.example/alice",
                      "receiver": "https://w.example/incoming-payments/1", "receiveAmount": usd,
                      "debitAmount": usd, "method": "ilp", "createdAt": at},
            "grantId": "g", "state": state, "problem": null, "createdAt": at, "updatedAt": at,
            "outgoingPayment": {"id": format!("https://w.example/outgoing-payments/{id}"),
                "walletAddress": "https://w.example/alice", "quoteId": "https://w.example/quotes/1",
                "failed": false, "receiver": "https://w.example/incoming-payments/1",
                "receiveAmount": usd, "debitAmount": usd, "sentAmount": usd, "createdAt": at}
        }))
        .unwrap()
    }

    #[test]
    fn each_period_of_a_renewing_grant_sums_its_completed_payments() {
        let limits: OutgoingLimits = serde_json::from_value(serde_json::json!({
            "debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2},
            "interval": "R/2026-11-25T00:00:00Z/P1D"
        }))
        .unwrap();
        let payments = [
            paid("a", "2026-11-25T09:00:00Z", 300, "completed"),
            paid("b", "2026-11-25T18:00:00Z", 200, "completed"),
            paid("c", "2026-11-26T08:00:00Z", 300, "completed"),
            paid("d", "2026-11-26T09:00:00Z", 900, "failed"),
        ];
        let periods = history(&limits, &payments);
        let seen: Vec<(&str, &str, Option<u8>)> = periods
            .iter()
            .map(|p| (p.starts_at.as_str(), p.spent.as_str(), p.percent))
            .collect();
        assert_eq!(
            seen,
            [
                ("2026-11-26T00:00:00Z", "$3.00", Some(60)),
                ("2026-11-25T00:00:00Z", "$5.00", Some(100)),
            ]
        );
        let once: OutgoingLimits = serde_json::from_value(serde_json::json!({
            "debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2}
        }))
        .unwrap();
        assert!(
            history(&once, &payments).is_empty(),
            "no periods without an interval"
        );
    }

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
