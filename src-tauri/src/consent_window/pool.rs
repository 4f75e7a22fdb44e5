//! Which consent window shows which approval. Windows are kept and reused
//! (see the module above); each taking of a window is a new *turn*, so a
//! timer or a finish link left over from an earlier approval in the same
//! window acts on nothing.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The approval a consent window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Approval {
    pub(super) grant_id: String,
    /// The loopback finish URL, or the app's own link, that ends it.
    pub(super) finish_uri: String,
    /// Which taking of the window this is.
    pub(super) turn: u64,
    /// The approval went to the browser: hiding the window cancels nothing.
    pub(super) handed: bool,
    /// A finish link of it is being completed: ending it now cancels
    /// nothing (the completion cancels it after, if it was not approved).
    pub(super) finishing: bool,
    /// On screen. A kept window waits hidden until its new page has
    /// replaced the last approval's (committed, then loaded).
    pub(super) shown: bool,
    /// Its page committed: the last approval's page is gone from the view.
    pub(super) committed: bool,
}

/// A window taken for an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Taken {
    pub(super) label: String,
    /// The window exists already (kept, or showing this grant).
    pub(super) exists: bool,
    pub(super) turn: u64,
}

#[derive(Debug, Default)]
struct Windows {
    by_label: BTreeMap<String, Option<Approval>>,
    turns: u64,
}

/// The consent windows by label, each with the approval it shows; `None`
/// is a hidden, blank window free for the next approval.
#[derive(Debug, Default)]
pub(crate) struct ConsentWindows {
    windows: Mutex<Windows>,
}

impl ConsentWindows {
    fn lock(&self) -> MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self, label: &str, with: impl FnOnce(&mut Approval) -> bool) -> bool {
        match self.lock().by_label.get_mut(label) {
            Some(Some(approval)) => with(approval),
            _ => false,
        }
    }

    /// What window `label` shows now.
    pub(super) fn approval(&self, label: &str) -> Option<Approval> {
        self.lock().by_label.get(label).cloned().flatten()
    }

    /// The window showing grant `grant_id`.
    pub(super) fn showing(&self, grant_id: &str) -> Option<String> {
        self.lock().by_label.iter().find_map(|(label, approval)| {
            approval
                .as_ref()
                .filter(|approval| approval.grant_id == grant_id)
                .map(|_| label.clone())
        })
    }

    /// Takes a window for grant `grant_id`: the one already showing it, a
    /// free one, or a new label.
    pub(super) fn take(&self, grant_id: &str, finish_uri: &str) -> Taken {
        let mut windows = self.lock();
        windows.turns += 1;
        let turn = windows.turns;
        let existing = windows
            .by_label
            .iter()
            .find(|(_, shown)| {
                shown
                    .as_ref()
                    .is_some_and(|shown| shown.grant_id == grant_id)
            })
            .or_else(|| windows.by_label.iter().find(|(_, shown)| shown.is_none()))
            .map(|(label, _)| label.clone());
        let (label, exists) = match existing {
            Some(label) => (label, true),
            None => (
                (0..)
                    .map(|n| format!("consent-{n}"))
                    .find(|label| !windows.by_label.contains_key(label))
                    .unwrap_or_default(),
                false,
            ),
        };
        windows.by_label.insert(
            label.clone(),
            Some(Approval {
                grant_id: grant_id.to_owned(),
                finish_uri: finish_uri.to_owned(),
                turn,
                handed: false,
                finishing: false,
                // A new window shows its page as it is made.
                shown: !exists,
                committed: !exists,
            }),
        );
        Taken {
            label,
            exists,
            turn,
        }
    }

    /// Ends what window `label` shows; what it showed.
    pub(super) fn free(&self, label: &str) -> Option<Approval> {
        self.lock().by_label.get_mut(label).and_then(Option::take)
    }

    /// Window `label` is gone; what it showed.
    pub(super) fn forget(&self, label: &str) -> Option<Approval> {
        self.lock().by_label.remove(label).flatten()
    }

    /// Window `label`'s new page committed.
    pub(super) fn committed(&self, label: &str) {
        self.current(label, |approval| {
            approval.committed = true;
            false
        });
    }

    /// Whether window `label` is to be shown now, as its page loaded: it
    /// waits hidden, its page committed, and is shown once.
    pub(super) fn reveal_loaded(&self, label: &str) -> bool {
        self.current(label, |approval| {
            let now = !approval.shown && approval.committed;
            approval.shown |= now;
            now
        })
    }

    /// Whether window `label` is to be shown now that turn `turn` waited
    /// long enough for its page: only if that turn is still the window's.
    pub(super) fn reveal_late(&self, label: &str, turn: u64) -> bool {
        self.current(label, |approval| {
            let now = approval.turn == turn && !approval.shown;
            approval.shown |= now;
            now
        })
    }

    /// Marks turn `turn` of window `label` as completing a finish link (or
    /// done with it); whether that turn is still the window's.
    pub(super) fn finishing(&self, label: &str, turn: u64, finishing: bool) -> bool {
        self.current(label, |approval| {
            let same = approval.turn == turn;
            if same {
                approval.finishing = finishing;
            }
            same
        })
    }

    pub(super) fn hand_to_browser(&self, label: &str) {
        self.current(label, |approval| {
            approval.handed = true;
            false
        });
    }

    /// The windows showing nothing.
    pub(super) fn free_labels(&self) -> Vec<String> {
        self.lock()
            .by_label
            .iter()
            .filter(|(_, shown)| shown.is_none())
            .map(|(label, _)| label.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(windows: &ConsentWindows, grant_id: &str) -> (String, bool) {
        let taken = windows.take(
            grant_id,
            &format!("http://127.0.0.1:4711/finish/{grant_id}"),
        );
        (taken.label, taken.exists)
    }

    #[test]
    fn an_ended_approval_s_window_is_reused_and_a_second_made_only_for_two_at_once() {
        let windows = ConsentWindows::default();
        assert_eq!(take(&windows, "a"), ("consent-0".to_owned(), false));
        // Two approvals at once: two windows.
        assert_eq!(take(&windows, "b"), ("consent-1".to_owned(), false));
        assert_eq!(windows.showing("b").as_deref(), Some("consent-1"));
        // "a" ends: its window is free and shows it no more.
        assert_eq!(
            windows.free("consent-0").map(|a| a.grant_id).as_deref(),
            Some("a")
        );
        assert_eq!(windows.showing("a"), None);
        assert_eq!(windows.approval("consent-0"), None);
        assert_eq!(windows.free_labels(), ["consent-0"]);
        // The next approval takes the free window; reopening it keeps it there.
        assert_eq!(take(&windows, "c"), ("consent-0".to_owned(), true));
        assert_eq!(take(&windows, "c"), ("consent-0".to_owned(), true));
        assert_eq!(take(&windows, "d"), ("consent-2".to_owned(), false));
        // A window handed to the browser says so when it ends.
        windows.hand_to_browser("consent-1");
        assert!(windows.free("consent-1").is_some_and(|a| a.handed));
        assert!(windows.free("consent-1").is_none(), "ended once");
        // A destroyed window is forgotten with what it showed.
        assert_eq!(
            windows.forget("consent-2").map(|a| a.grant_id).as_deref(),
            Some("d")
        );
        assert_eq!(take(&windows, "e"), ("consent-1".to_owned(), true));
        assert_eq!(take(&windows, "f"), ("consent-2".to_owned(), false));
    }

    #[test]
    fn a_kept_window_shows_once_its_new_page_replaced_the_last_one() {
        let windows = ConsentWindows::default();
        let first = windows.take("a", "http://127.0.0.1:4711/finish/a");
        // A new window shows as it is made.
        assert!(!windows.reveal_loaded(&first.label));
        windows.free(&first.label);
        let second = windows.take("b", "http://127.0.0.1:4711/finish/b");
        assert!(second.exists);
        // A load that finished without committing (the blank page's,
        // cancelled by the new one) shows nothing: the last page is still there.
        assert!(!windows.reveal_loaded(&second.label));
        windows.committed(&second.label);
        assert!(windows.reveal_loaded(&second.label));
        assert!(!windows.reveal_loaded(&second.label), "shown once");
    }

    #[test]
    fn an_earlier_turn_s_timer_and_finish_act_on_nothing() {
        let windows = ConsentWindows::default();
        let made = windows.take("a", "http://127.0.0.1:4711/finish/a");
        windows.free(&made.label);
        let b = windows.take("b", "http://127.0.0.1:4711/finish/b");
        windows.free(&b.label);
        let c = windows.take("c", "http://127.0.0.1:4711/finish/c");
        // B's timer fires while C's page loads: C stays hidden.
        assert!(!windows.reveal_late(&c.label, b.turn));
        assert!(windows.reveal_late(&c.label, c.turn));
        // A finish link being completed: ending the approval now leaves the
        // cancel to the completion; an earlier turn's completion is not C's.
        assert!(windows.finishing(&c.label, c.turn, true));
        assert!(!windows.finishing(&c.label, b.turn, false));
        assert!(windows.free(&c.label).is_some_and(|a| a.finishing));
        assert!(
            !windows.finishing(&c.label, c.turn, false),
            "C left the window"
        );
    }
}
