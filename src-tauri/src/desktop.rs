//! The desktop the engine runs in: progress goes to the main window as
//! events, consent pages open in windows of their own or in the browser,
//! notifications go to the system's notification service.

use consent_desk_engine::notices::Notice;
use consent_desk_engine::views::{FlowProgress, PaymentProgress};
use consent_desk_engine::Desktop;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt as _;
use url::Url;

/// [`Desktop`] over the running Tauri app.
pub(crate) struct TauriDesktop(pub(crate) AppHandle);

impl Desktop for TauriDesktop {
    fn flow_progress(&self, progress: FlowProgress) {
        crate::events::emit(&self.0, progress);
    }

    fn payment_progress(&self, progress: PaymentProgress) {
        crate::events::emit(&self.0, progress);
    }

    fn open_consent(&self, grant_id: &str, redirect: &Url, finish_uri: &str) -> Result<(), String> {
        crate::consent_window::open(&self.0, grant_id, redirect, finish_uri)
            .map_err(|error| error.to_string())
    }

    fn open_in_browser(&self, url: &Url) {
        #[cfg(target_os = "linux")]
        let opener = "xdg-open";
        #[cfg(target_os = "macos")]
        let opener = "open";
        #[cfg(windows)]
        let opener = "explorer";
        match std::process::Command::new(opener).arg(url.as_str()).spawn() {
            Ok(mut child) => {
                // Reap it without blocking.
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
            }
            // The UI shows the link to open by hand.
            Err(error) => tracing::warn!(%error, "the system browser could not be opened"),
        }
    }

    fn close_consent(&self, grant_id: &str) -> bool {
        crate::consent_window::close(&self.0, grant_id)
    }

    fn notify(&self, notice: &Notice) {
        let app = self.0.clone();
        let (title, body, kind) = (notice.title.clone(), notice.body.clone(), notice.kind);
        // On Linux this is a D-Bus call that can wait for a notification
        // service to start: never on the engine's way. Without one the
        // notice is only logged.
        std::thread::spawn(move || {
            match app
                .notification()
                .builder()
                .title(&title)
                .body(&body)
                .show()
            {
                Ok(()) => tracing::info!(?kind, "notification shown"),
                Err(error) => tracing::warn!(?kind, %error, "the notification could not be shown"),
            }
        });
    }
}
