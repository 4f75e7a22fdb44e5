//! The `consent-desk` command line is `consent-desk-cli`; the shell gives it
//! what only the shell has: the window, and Tauri's and WebKitGTK's versions
//! for `--version`.

use consent_desk_cli::{Gui, Versions};
use consent_desk_identity::Folders;

/// The app's window, as the command line opens it.
#[derive(Debug)]
struct Window;

impl Gui for Window {
    fn run(&self, folders: Folders, _link: Option<String>) {
        // The deep-link plugin reads the link from the process arguments.
        crate::run(folders);
    }

    fn versions(&self) -> Versions {
        Versions {
            commit: env!("CONSENT_DESK_COMMIT").to_owned(),
            tauri: tauri::VERSION.to_owned(),
            webview: tauri::webview_version().unwrap_or_else(|_| "unknown".to_owned()),
        }
    }
}

/// Parses the command line and runs it; returns only when the window closes.
pub fn main() {
    consent_desk_cli::main(&Window);
}
