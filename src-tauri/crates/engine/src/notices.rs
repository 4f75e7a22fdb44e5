//! Desktop notifications: what is worth interrupting the person for, and
//! which of those they switched off (`settings.json` in the app's config
//! folder). The engine decides when; [`Desktop::notify`](crate::Desktop::notify)
//! shows them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use consent_desk_protocol::{IntervalSpan, RepeatingInterval, Repetitions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

/// The file, in the config folder, that keeps the person's settings.
pub const SETTINGS_FILE: &str = "settings.json";

/// The share of a budget whose spending is told, in percent.
pub const BUDGET_NOTICE_PERCENT: u8 = 80;

/// How long before a budget's last period ends it is told.
pub const ENDING_NOTICE: time::Duration = time::Duration::hours(24);

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    /// A budget is [`BUDGET_NOTICE_PERCENT`] % spent (in its current period).
    BudgetMostlySpent,
    /// A budget ends within [`ENDING_NOTICE`]: its last period is running.
    GrantEnding,
    /// A payment that a restart took up has settled.
    ResumedPaymentSettled,
}

/// One notification, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What it is about (and which switch turns it off).
    pub kind: NoticeKind,
    /// The line in bold.
    pub title: String,
    /// The sentence under it.
    pub body: String,
}

/// Which notifications the person wants: each on until switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NoticeSettings {
    /// "A budget is 80 % spent".
    pub budget_mostly_spent: bool,
    /// "A budget ends within a day".
    pub grant_ending: bool,
    /// "A payment taken up after a restart has settled".
    pub resumed_payment_settled: bool,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            budget_mostly_spent: true,
            grant_ending: true,
            resumed_payment_settled: true,
        }
    }
}

impl NoticeSettings {
    /// Whether notifications of `kind` are on.
    #[must_use]
    pub fn allows(&self, kind: NoticeKind) -> bool {
        match kind {
            NoticeKind::BudgetMostlySpent => self.budget_mostly_spent,
            NoticeKind::GrantEnding => self.grant_ending,
            NoticeKind::ResumedPaymentSettled => self.resumed_payment_settled,
        }
    }

    /// The settings in `config` (all on when the file is missing; a file
    /// that cannot be read is reported in the log and treated as missing).
    #[must_use]
    pub fn load(config: &Path) -> Self {
        let path = config.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "the settings could not be read; notifications stay on");
                return Self::default();
            }
        };
        match serde_json::from_str::<serde_json::Value>(&text)
            .and_then(|file| serde_json::from_value(file["notifications"].clone()))
        {
            Ok(settings) => settings,
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "the settings file is not valid; notifications stay on");
                Self::default()
            }
        }
    }

    /// Writes the settings into `config`'s settings file, keeping what
    /// else it holds; written whole or not at all.
    ///
    /// # Errors
    ///
    /// The folder or the file could not be written, in words.
    pub fn save(&self, config: &Path) -> Result<(), String> {
        let path = config.join(SETTINGS_FILE);
        let failed = |error: &dyn std::fmt::Display| {
            format!(
                "the settings could not be saved to {} ({error}); check that the folder is writable",
                path.display()
            )
        };
        let mut file = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        file["notifications"] = serde_json::to_value(self).map_err(|e| failed(&e))?;
        std::fs::create_dir_all(config).map_err(|e| failed(&e))?;
        let text = serde_json::to_string_pretty(&file).map_err(|e| failed(&e))?;
        let partial = config.join(format!("{SETTINGS_FILE}.partial"));
        std::fs::write(&partial, text).map_err(|e| failed(&e))?;
        std::fs::rename(&partial, &path).map_err(|e| failed(&e))
    }
}

/// What notices this run has given, so each is given once.
#[derive(Debug, Default)]
pub(crate) struct Given {
    told: Mutex<HashSet<String>>,
    resumed: Mutex<HashSet<String>>,
}

impl Given {
    /// Whether the notice named `key` is new (and now given).
    pub(crate) fn first(&self, key: String) -> bool {
        self.told
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key)
    }

    /// Payment `id` was taken up by a start.
    pub(crate) fn resumed(&self, id: &str) {
        self.resumed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned());
    }

    /// Whether payment `id` was taken up by a start (asked once).
    pub(crate) fn take_resumed(&self, id: &str) -> bool {
        self.resumed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }
}

/// When a budget over `interval` ends for good: the end of its last
/// period, when `now` is in it; none for a budget that repeats without end
/// or whose last period has not begun.
#[must_use]
pub fn last_period_end(
    interval: &RepeatingInterval,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let period = interval.current(now)?;
    let backwards = matches!(interval.span(), IntervalSpan::DurationEnd { .. });
    let unbounded = interval.repetitions() == Repetitions::Unbounded;
    // Periods counted back from an end stop at that end.
    let last = if backwards {
        true
    } else {
        !unbounded && interval.current(period.end).is_none()
    };
    last.then_some(period.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn a_budget_ends_in_its_last_period_only() {
        let once = RepeatingInterval::parse("R0/2026-11-01T00:00:00Z/P1M").unwrap();
        assert_eq!(
            last_period_end(&once, at("2026-11-30T12:00:00Z")),
            Some(at("2026-12-01T00:00:00Z"))
        );
        let daily = RepeatingInterval::parse("R/2026-01-01T00:00:00Z/P1D").unwrap();
        assert_eq!(last_period_end(&daily, at("2026-11-30T12:00:00Z")), None);
        let three = RepeatingInterval::parse("R2/2026-11-28T00:00:00Z/P1D").unwrap();
        assert_eq!(
            last_period_end(&three, at("2026-11-28T12:00:00Z")),
            None,
            "two more days to come"
        );
        assert_eq!(
            last_period_end(&three, at("2026-11-30T12:00:00Z")),
            Some(at("2026-12-01T00:00:00Z"))
        );
    }

    #[test]
    fn settings_are_on_until_switched_off_and_keep_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(NoticeSettings::load(dir.path()), NoticeSettings::default());
        std::fs::write(dir.path().join(SETTINGS_FILE), r#"{"theme": "dark"}"#).unwrap();
        let off = NoticeSettings {
            grant_ending: false,
            ..NoticeSettings::default()
        };
        off.save(dir.path()).unwrap();
        assert_eq!(NoticeSettings::load(dir.path()), off);
        let file = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(file.contains("\"theme\": \"dark\""), "{file}");
        assert!(!off.allows(NoticeKind::GrantEnding));
        assert!(off.allows(NoticeKind::BudgetMostlySpent));
    }
}
