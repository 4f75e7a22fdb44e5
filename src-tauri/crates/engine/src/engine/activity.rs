//! The activity log: what the app asked of wallets and which finish links
//! it checked, for QA and bug reports.

use super::Engine;
use crate::error::Result;
use crate::views::{ActivityExport, ActivityQuery, ActivityView};

impl Engine {
    /// Entries, newest first, a page at a time.
    ///
    /// # Errors
    ///
    /// The store could not be read.
    pub fn activity(
        &self,
        query: &ActivityQuery,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ActivityView>> {
        Ok(self
            .flows()?
            .activity(&query.filter(), limit, offset)?
            .into_iter()
            .map(ActivityView::of)
            .collect())
    }

    /// Writes exactly the entries `query` selects (what the Activity
    /// screen shows for it, every page) to `path` as JSON lines, oldest
    /// first, for a bug report. Secrets were redacted when recorded.
    ///
    /// # Errors
    ///
    /// The store could not be read or the file written.
    pub fn export_activity(
        &self,
        query: &ActivityQuery,
        path: &std::path::Path,
    ) -> Result<ActivityExport> {
        let entries = self.flows()?.export_activity(&query.filter(), path)?;
        Ok(ActivityExport {
            path: path.display().to_string(),
            entries: u32::try_from(entries).unwrap_or(u32::MAX),
        })
    }

    /// Where an export is offered to go: the log folder, a name with the
    /// time in it.
    #[must_use]
    pub fn export_suggestion(&self) -> std::path::PathBuf {
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]-[hour][minute][second]"
            ))
            .unwrap_or_default();
        self.folders
            .logs()
            .join(format!("consent-desk-activity-{stamp}.jsonl"))
    }
}
