//! When the engine interrupts the person: a budget mostly spent, a budget
//! about to end, a payment a restart took up that has now settled. Each
//! once per run, and only while its switch is on.

use super::Engine;
use crate::error::Result;
use crate::notices::{
    last_period_end, Notice, NoticeKind, NoticeSettings, BUDGET_NOTICE_PERCENT, ENDING_NOTICE,
};
use crate::{FlowError, GrantRecord, GrantState, PaymentRecord, PaymentState};
use consent_desk_protocol::{AccessItem, OutgoingLimits};

impl Engine {
    /// Which notifications are on.
    #[must_use]
    pub fn notice_settings(&self) -> NoticeSettings {
        // Checked at every payment and budget: the file is read once.
        *self
            .notice_settings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert_with(|| NoticeSettings::load(self.folders.config()))
    }

    /// Switches notifications on or off; what is now kept.
    ///
    /// # Errors
    ///
    /// The settings file could not be written.
    pub fn set_notice_settings(&self, settings: NoticeSettings) -> Result<NoticeSettings> {
        settings
            .save(self.folders.config())
            .map_err(FlowError::Invalid)?;
        *self
            .notice_settings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(settings);
        Ok(settings)
    }

    /// Shows `notice` unless its kind is switched off or `key` was given in
    /// this run.
    fn notify_once(&self, key: String, notice: &Notice) {
        if !self.notice_settings().allows(notice.kind) {
            return;
        }
        if self.given.first(key) {
            self.desktop.notify(notice);
        }
    }

    /// Payment `id` is taken up by this start: its settling is told.
    pub(super) fn mark_resumed(&self, id: &str) {
        self.given.resumed(id);
    }

    /// After payment `record` was sent or checked: told when a resumed one
    /// settled, when its budget passed [`BUDGET_NOTICE_PERCENT`], and any
    /// budget now about to end.
    pub(super) async fn after_payment(&self, record: &PaymentRecord) {
        if record.state != PaymentState::Completed {
            return;
        }
        if self.given.take_resumed(&record.id) {
            let view = crate::views::PaymentView::of(record);
            let amount = view.sent.as_deref().unwrap_or(&view.debit);
            self.notify_once(
                format!("resumed:{}", record.id),
                &crate::words::notice::resumed_payment_settled(amount, &view.to),
            );
        }
        // A grant asked for this one payment (its limits name this
        // payment's incoming payment) is no budget: telling it spent would
        // follow every payment.
        let own_grant = |grant_id: &str| {
            self.flows()
                .ok()
                .and_then(|flows| flows.grant(grant_id).ok())
                .and_then(|grant| limits_of(&grant))
                .is_some_and(|limits| limits.receiver.as_ref() == Some(&record.quote.receiver))
        };
        if let Some(grant_id) = record.grant_id.as_deref().filter(|id| !own_grant(id)) {
            self.check_budget(grant_id).await;
        }
        self.check_endings();
    }

    /// Tells when grant `grant_id`'s budget is [`BUDGET_NOTICE_PERCENT`] %
    /// spent, as its wallet counts it.
    async fn check_budget(&self, grant_id: &str) {
        // Asking the wallet costs a request: not when nobody would be told.
        if !self.notice_settings().allows(NoticeKind::BudgetMostlySpent) {
            return;
        }
        let Ok(detail) = self.grant_detail(grant_id).await else {
            return;
        };
        let Some(meter) = detail.spent else {
            return;
        };
        let (Some(percent), Some(limit)) = (meter.percent, meter.limit.as_deref()) else {
            return;
        };
        if percent < BUDGET_NOTICE_PERCENT {
            return;
        }
        // Once per period of a recurring budget.
        let period = self
            .flows()
            .ok()
            .and_then(|flows| flows.grant(grant_id).ok())
            .and_then(|record| interval_of(&record))
            .and_then(|interval| interval.current(time::OffsetDateTime::now_utc()))
            .map(|period| period.start.unix_timestamp().to_string())
            .unwrap_or_default();
        self.notify_once(
            format!("budget:{grant_id}:{period}"),
            &crate::words::notice::budget_mostly_spent(
                percent,
                &meter.spent,
                limit,
                &detail.grant.summary,
            ),
        );
    }

    /// Tells of every approved budget whose last period ends within
    /// [`ENDING_NOTICE`]. A start does this, and every payment settled.
    pub fn check_endings(&self) {
        if !self.notice_settings().allows(NoticeKind::GrantEnding) {
            return;
        }
        let Ok(flows) = self.flows() else {
            return;
        };
        let now = time::OffsetDateTime::now_utc();
        let Ok(approved) = flows.grants_in(GrantState::Approved) else {
            return;
        };
        for record in &approved {
            let Some(end) = interval_of(record).and_then(|i| last_period_end(&i, now)) else {
                continue;
            };
            let left = end - now;
            if left > ENDING_NOTICE {
                continue;
            }
            let summary = crate::views::GrantView::of(record).summary;
            self.notify_once(
                format!("ending:{}", record.id),
                &crate::words::notice::budget_ending(&summary, left),
            );
        }
    }
}

/// The limits of a grant's outgoing-payment access.
fn limits_of(record: &GrantRecord) -> Option<OutgoingLimits> {
    record.access.as_ref()?.iter().find_map(|item| match item {
        AccessItem::OutgoingPayment {
            limits: Some(limits),
            ..
        } => Some(limits.clone()),
        _ => None,
    })
}

/// The interval of a grant's outgoing-payment budget.
fn interval_of(record: &GrantRecord) -> Option<consent_desk_protocol::RepeatingInterval> {
    limits_of(record)?.interval
}
