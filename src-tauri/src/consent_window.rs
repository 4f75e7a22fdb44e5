//! The consent window: the wallet's page in a window of its own, under a
//! native strip that says where the page is, with every navigation to a
//! finish link handed to the engine instead of loaded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use consent_desk_identity::Folders;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use url::Url;

use consent_desk_engine::words::consent::{origin_of, title_for, Origin};

use crate::EngineExt as _;

fn window_label(grant_id: &str) -> String {
    format!("consent-{}", grant_id.replace('-', ""))
}

/// A button of the origin strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StripAction {
    /// The same consent page in the system browser; the approval goes on.
    InBrowser,
    /// Cancel the approval (closing the window, which cancels it).
    Cancel,
}

impl StripAction {
    /// The strip's buttons, in order.
    const ALL: [Self; 2] = [Self::InBrowser, Self::Cancel];

    /// What the button says.
    fn label(self) -> &'static str {
        match self {
            Self::InBrowser => consent_desk_engine::words::consent::IN_BROWSER,
            Self::Cancel => consent_desk_engine::words::consent::CANCEL,
        }
    }
}

/// What a strip button does, once the window is open.
type OnAction = Arc<dyn Fn(StripAction) + Send + Sync>;

/// The consent window's size: wide enough for a wallet's page in one
/// column, as tall as the screen allows (a wallet's Approve and Reject
/// are at the end of its page) up to 1000 logical pixels.
fn window_size(screen: Option<tauri::LogicalSize<f64>>) -> (f64, f64) {
    let height = screen.map_or(860.0, |screen| (screen.height - 40.0).clamp(480.0, 1000.0));
    (760.0, height)
}

/// The origin strip: a native bar above the wallet's page that says where
/// the page is and whether the connection is encrypted, with "Open in my
/// browser instead" and "Cancel". The page cannot draw over it or change it.
#[cfg(target_os = "linux")]
mod strip {
    use gtk::prelude::*;

    use super::{OnAction, StripAction};

    const NAME: &str = "consent-origin-strip";

    /// Shows `origin` in the window's strip, adding the strip (and its
    /// buttons, which call `on_action`) on first use. Runs on the main
    /// thread (GTK's rule).
    pub(super) fn show(window: &tauri::WebviewWindow, origin: super::Origin, on_action: OnAction) {
        let target = window.clone();
        let _ = window.run_on_main_thread(move || {
            let Ok(vbox) = target.default_vbox() else {
                return;
            };
            let existing = vbox
                .children()
                .into_iter()
                .find(|child| child.widget_name() == NAME)
                .and_then(|child| child.downcast::<gtk::InfoBar>().ok());
            let bar = existing.unwrap_or_else(|| {
                let bar = gtk::InfoBar::new();
                bar.set_widget_name(NAME);
                // The sentence on its own line, the buttons under it: the
                // InfoBar's own button area would squeeze the sentence.
                let column = gtk::Box::new(gtk::Orientation::Vertical, 6);
                let label = gtk::Label::new(None);
                label.set_xalign(0.0);
                label.set_line_wrap(true);
                label.set_selectable(true);
                label.set_hexpand(true);
                column.add(&label);
                let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 8);
                for action in StripAction::ALL {
                    let button = gtk::Button::with_label(action.label());
                    let on_action = on_action.clone();
                    button.connect_clicked(move |_| on_action(action));
                    buttons.add(&button);
                }
                column.add(&buttons);
                bar.content_area().add(&column);
                vbox.pack_start(&bar, false, false, 0);
                vbox.reorder_child(&bar, 0);
                bar
            });
            bar.set_message_type(if origin.secure {
                gtk::MessageType::Info
            } else {
                gtk::MessageType::Warning
            });
            if let Some(label) = bar
                .content_area()
                .children()
                .into_iter()
                .filter_map(|child| child.downcast::<gtk::Box>().ok())
                .flat_map(|column| column.children())
                .find_map(|child| child.downcast::<gtk::Label>().ok())
            {
                label.set_text(&origin.text);
            }
            bar.show_all();
        });
    }
}

#[cfg(not(target_os = "linux"))]
mod strip {
    /// Elsewhere the title carries the origin (no native strip yet).
    pub(super) fn show(
        _window: &tauri::WebviewWindow,
        _origin: super::Origin,
        _on_action: super::OnAction,
    ) {
    }
}

/// A strip button pressed in grant `grant_id`'s window. "Open in my
/// browser instead" hands the approval to the browser and closes the window
/// without cancelling (`handed` tells its close so); "Cancel" cancels as
/// the main window's Cancel does (the window closes, the wallet is told).
fn act(app: &AppHandle, grant_id: &str, handed: &AtomicBool, action: StripAction) {
    tracing::info!(grant = %grant_id, ?action, "consent strip button");
    match action {
        StripAction::InBrowser => match app.engine().continue_in_browser(grant_id) {
            Ok(_) => {
                handed.store(true, Ordering::SeqCst);
                close(app, grant_id);
            }
            // The window stays: the person can still approve in it.
            Err(error) => {
                tracing::warn!(grant = %grant_id, error = %error.message(), "not handed to the browser");
            }
        },
        StripAction::Cancel => {
            let (engine, id) = (app.engine(), grant_id.to_owned());
            tauri::async_runtime::spawn(async move { engine.cancel(&id).await });
        }
    }
}

/// Whether the wallet's window may load `url`: a web page (http or https),
/// never the app's own pages (`tauri:`, `ipc:`, `asset:`, or their
/// `*.localhost` forms) nor anything else a hostile page could point it at
/// (`file:`, `data:`, `javascript:`, other apps' schemes).
fn may_load(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && !matches!(
            url.host_str(),
            Some("tauri.localhost" | "ipc.localhost" | "asset.localhost")
        )
}

/// Whether the consent window's `url` is a finish link: any on the app's
/// scheme (never loaded: the engine takes only this window's grant's, and
/// tells ours from forgeries), or this grant's loopback finish.
fn is_finish_link(url: &Url, finish_uri: &str) -> bool {
    if url.scheme() == consent_desk_engine::LINK_SCHEME {
        return true;
    }
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.as_str() == finish_uri
}

pub(crate) fn open(
    app: &AppHandle,
    grant_id: &str,
    redirect: &Url,
    finish_uri: &str,
) -> tauri::Result<()> {
    let label = window_label(grant_id);
    let id = grant_id.to_owned();
    let navigate = app.clone();
    let finish_uri = finish_uri.to_owned();
    let waiting = grant_id.to_owned();
    // Set once the approval went to the browser: closing then cancels nothing.
    let handed = Arc::new(AtomicBool::new(false));
    let on_action: OnAction = {
        let (app, id, handed) = (app.clone(), grant_id.to_owned(), Arc::clone(&handed));
        Arc::new(move |action| act(&app, &id, &handed, action))
    };
    let screen = app
        .primary_monitor()
        .ok()
        .flatten()
        .map(|monitor| monitor.size().to_logical::<f64>(monitor.scale_factor()));
    let (width, height) = window_size(screen);
    let on_load = Arc::clone(&on_action);
    let mut builder =
        WebviewWindowBuilder::new(app, &label, WebviewUrl::External(redirect.clone()));
    if let Some(dir) = app.state::<Folders>().webview() {
        builder = builder.data_directory(dir);
    }
    let window = builder
        .title(title_for(redirect))
        .inner_size(width, height)
        // The finish redirect never loads: it is caught here and completed.
        .on_navigation(move |url| {
            if is_finish_link(url, &finish_uri) {
                let (engine, url) = (navigate.engine(), url.to_string());
                // Only this window's grant: a page that navigates to another
                // grant's link changes nothing. The engine tells the windows
                // how it went; its answer is for the command line.
                let waiting = waiting.clone();
                tauri::async_runtime::spawn(async move {
                    let _ = engine.finish_for(Some(&waiting), &url).await;
                });
                return false;
            }
            let allowed = may_load(url);
            if !allowed {
                tracing::warn!(
                    scheme = url.scheme(),
                    "the wallet's window was kept from loading a non-web page"
                );
            }
            allowed
        })
        .on_page_load(move |window, payload| {
            let _ = window.set_title(&title_for(payload.url()));
            strip::show(&window, origin_of(payload.url()), Arc::clone(&on_load));
        })
        .build()?;
    strip::show(&window, origin_of(redirect), on_action);
    let closing = app.clone();
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::CloseRequested { .. }) {
            tracing::info!(grant = %id, "consent window asked to close");
        }
        if matches!(event, WindowEvent::Destroyed) {
            if handed.load(Ordering::SeqCst) {
                tracing::info!(grant = %id, "consent window closed: approving in the browser");
                return;
            }
            tracing::info!(grant = %id, "consent window closed");
            let (engine, id) = (closing.engine(), id.clone());
            tauri::async_runtime::spawn(async move { engine.cancel_if_pending(&id).await });
        }
    });
    Ok(())
}

/// Closes grant `grant_id`'s window; whether it was open.
pub(crate) fn close(app: &AppHandle, grant_id: &str) -> bool {
    match app.get_webview_window(&window_label(grant_id)) {
        Some(window) => {
            let _ = window.close();
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strip_offers_the_browser_and_cancel_and_the_window_fits_the_screen() {
        let labels: Vec<&str> = StripAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(labels, ["Open in my browser instead", "Cancel"]);
        let remote = origin_of(&Url::parse("http://wallet.example/consent").unwrap());
        assert!(
            remote
                .text
                .starts_with("You are approving at wallet.example"),
            "{}",
            remote.text
        );
        // A 1280×900 screen: all of its height but a margin; never taller than 1000.
        let screen = |height| Some(tauri::LogicalSize::new(1280.0, height));
        assert_eq!(window_size(screen(900.0)), (760.0, 860.0));
        assert_eq!(window_size(screen(1440.0)), (760.0, 1000.0));
        assert_eq!(window_size(screen(520.0)), (760.0, 480.0));
        assert_eq!(window_size(None), (760.0, 860.0));
    }

    #[test]
    fn only_finish_links_are_caught_in_the_consent_window() {
        let loopback = "http://127.0.0.1:4711/finish/abc";
        let caught = |url: &str| is_finish_link(&Url::parse(url).unwrap(), loopback);
        assert!(caught(
            "http://127.0.0.1:4711/finish/abc?hash=h&interact_ref=r"
        ));
        assert!(caught(
            "dev.consentdesk:/finish/other?hash=h&interact_ref=r"
        ));
        assert!(!caught("http://127.0.0.1:4711/finish/abcd?hash=h"));
        assert!(!caught("http://127.0.0.1:4712/finish/abc?hash=h"));
        assert!(!caught("https://wallet.example/finish/abc"));
        for refused in [
            "tauri://localhost/index.html",
            "http://ipc.localhost/grants",
            "ipc://localhost/grants",
            "asset://localhost/x",
            "file:///etc/passwd",
            "data:text/html,<script>1</script>",
            "javascript:alert(1)",
            "mailto:a@b.example",
        ] {
            assert!(!may_load(&Url::parse(refused).unwrap()), "{refused}");
        }
        assert!(may_load(&Url::parse("https://wallet.example/").unwrap()));
        assert!(may_load(
            &Url::parse("http://127.0.0.1:4455/consent").unwrap()
        ));
    }
}
