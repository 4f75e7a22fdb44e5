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

    /// Writes the (filtered) log as JSON lines into the app's log folder,
    /// for a bug report.
    ///
    /// # Errors
    ///
    /// The store could not be read or the file written.
    pub fn export_activity(&self, query: &ActivityQuery) -> Result<ActivityExport> {
        let flows = self.flows()?;
        let dir = self.folders.logs().to_owned();
        let _ = std::fs::create_dir_all(&dir);
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]-[hour][minute][second]"
            ))
            .unwrap_or_default();
        let path = dir.join(format!("activity-{stamp}.jsonl"));
        let entries = flows.export_activity(&query.filter(), &path)?;
        Ok(ActivityExport {
            path: path.display().to_string(),
            entries: u32::try_from(entries).unwrap_or(u32::MAX),
        })
    }
}
