//! Links received through the OS.

use tauri::State;

use crate::ipc::ReceivedLink;
use crate::links::LinkInbox;

/// Every link received since the app started, oldest first. The UI calls it
/// once at start; later links arrive as events.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub(crate) fn received_links(inbox: State<'_, LinkInbox>) -> Vec<ReceivedLink> {
    inbox.list()
}
