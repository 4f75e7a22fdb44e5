//! What only the desktop can do, as the engine asks for it: show progress,
//! open and close the wallet's consent page, show a notification. The Tauri
//! shell implements [`Desktop`]; tests and the command line use their own.

use url::Url;

use crate::notices::Notice;
use crate::views::{FlowProgress, PaymentProgress};

/// The desktop around the engine.
pub trait Desktop: Send + Sync + 'static {
    /// An approval moved on (shown on the approval's progress line).
    fn flow_progress(&self, progress: FlowProgress);

    /// A payment moved on.
    fn payment_progress(&self, progress: PaymentProgress);

    /// Opens the wallet's consent page `redirect` for grant `grant_id` in a
    /// window of the app, which hands every navigation to a finish link
    /// (the app's scheme, or `finish_uri` for a loopback finish) to
    /// [`Engine::finish`](crate::Engine::finish) instead of loading it.
    ///
    /// # Errors
    ///
    /// Why the window could not open, in words.
    fn open_consent(&self, grant_id: &str, redirect: &Url, finish_uri: &str) -> Result<(), String>;

    /// Opens `url` in the system browser; the wallet sends the person back
    /// through the OS (a deep link) or the loopback listener.
    fn open_in_browser(&self, url: &Url);

    /// Closes grant `grant_id`'s consent window, if it is open; whether one
    /// was. Closing it by hand calls [`Engine::cancel_if_pending`](crate::Engine::cancel_if_pending).
    fn close_consent(&self, grant_id: &str) -> bool;

    /// Shows a notification the engine decided on (and the person has not
    /// switched off). A desktop that cannot show one (no notification
    /// service) logs it and goes on; this one, the command line's, only
    /// logs.
    fn notify(&self, notice: &Notice) {
        tracing::info!(kind = ?notice.kind, title = %notice.title, "notification not shown: no desktop");
    }
}
