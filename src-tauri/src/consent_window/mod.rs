//! The consent window: the wallet's page in a window of its own, under a
//! native strip that says where the page is, with every navigation to a
//! finish link handed to the engine instead of loaded.
//!
//! Consent windows are kept and reused, not made and destroyed per
//! approval: an approval that ends hides its window and blanks its page, and
//! the next approval shows it again. WebKitGTK keeps a file descriptor
//! (`memfd:WebKitSharedMemory`, 4 KiB) for every web process it starts and
//! ~175 KiB of the app's memory for every web view made and destroyed, even
//! though the view itself is freed (measured with a bare Tauri window, no
//! app code: +1 descriptor per window opened and closed, flat when one
//! window is navigated instead) — a leak that would end, after a thousand
//! approvals, in a process that can open no more files. A second window is
//! made only while the first is in use.

use std::sync::Arc;

use consent_desk_identity::Folders;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use url::Url;

use consent_desk_engine::words::consent::{origin_of, title_for, Origin};

use crate::EngineExt as _;

mod pool;

use pool::Approval;
pub(crate) use pool::ConsentWindows;

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

/// A strip button pressed in window `label`. "Open in my browser instead"
/// hands the approval to the browser and hides the window without
/// cancelling; "Cancel" cancels as the main window's Cancel does (the
/// window hides, the wallet is told).
fn act(app: &AppHandle, label: &str, action: StripAction) {
    let windows = app.state::<ConsentWindows>();
    let Some(approval) = windows.approval(label) else {
        return;
    };
    let grant_id = approval.grant_id;
    tracing::info!(grant = %grant_id, ?action, "consent strip button");
    match action {
        StripAction::InBrowser => {
            // The window stays on a refusal: the person can still approve in it.
            if let Err(error) = continue_in_browser(app, &grant_id) {
                tracing::warn!(grant = %grant_id, error = %error.message(), "not handed to the browser");
            }
        }
        StripAction::Cancel => {
            let engine = app.engine();
            tauri::async_runtime::spawn(async move { engine.cancel(&grant_id).await });
        }
    }
}

/// "Open in my browser instead" (the strip's, or the main window's while
/// the approval waits): the same consent page in the system browser; the
/// window showing it hides without cancelling.
///
/// # Errors
///
/// As `Engine::continue_in_browser`: nothing changed.
pub(crate) fn continue_in_browser(
    app: &AppHandle,
    grant_id: &str,
) -> crate::Result<consent_desk_engine::views::GrantView> {
    let windows = app.state::<ConsentWindows>();
    // Hidden while its link is checked, the window would leave the cancel
    // to that check: a refused link would cancel the approval just moved.
    if let Some(label) = windows.showing(grant_id) {
        if windows
            .approval(&label)
            .is_some_and(|shown| shown.finishing)
        {
            return Err(consent_desk_engine::FlowError::Busy(
                consent_desk_engine::Busy::CheckingLink,
            )
            .into());
        }
    }
    let grant = app.engine().continue_in_browser(grant_id)?;
    if let Some(label) = windows.showing(grant_id) {
        windows.hand_to_browser(&label);
        release(app, &label);
    }
    Ok(grant)
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

/// The page a free window shows: nothing, so no wallet's page runs hidden.
const BLANK: &str = "about:blank";

/// What window `label` does with a navigation to `url`: a finish link of
/// the approval it shows goes to the engine (never loaded), a web page
/// loads, anything else is refused. A free window loads only the blank page.
fn navigation(app: &AppHandle, label: &str, url: &Url) -> bool {
    let Some(approval) = app.state::<ConsentWindows>().approval(label) else {
        return url.as_str() == BLANK;
    };
    if is_finish_link(url, &approval.finish_uri) {
        // Only this window's grant: a page that navigates to another grant's
        // link changes nothing. The engine tells the windows how it went; its
        // answer is for the command line. Closed meanwhile, the window
        // leaves the cancel to this completion: a grant still waiting after
        // it (the link was refused, the wallet is down) is cancelled then,
        // one being approved is not.
        let windows = app.state::<ConsentWindows>();
        windows.finishing(label, approval.turn, true);
        let (app, label, url) = (app.clone(), label.to_owned(), url.to_string());
        tauri::async_runtime::spawn(async move {
            let engine = app.engine();
            let _ = engine.finish_for(Some(&approval.grant_id), &url).await;
            let windows = app.state::<ConsentWindows>();
            if !windows.finishing(&label, approval.turn, false) {
                engine.cancel_if_pending(&approval.grant_id).await;
            }
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
}

/// Shows grant `grant_id`'s consent page at `redirect` in a consent window:
/// a free one when there is one, else a new one.
pub(crate) fn open(
    app: &AppHandle,
    grant_id: &str,
    redirect: &Url,
    finish_uri: &str,
) -> tauri::Result<()> {
    let windows = app.state::<ConsentWindows>();
    let taken = windows.take(grant_id, finish_uri);
    let on_action: OnAction = {
        let (app, label) = (app.clone(), taken.label.clone());
        Arc::new(move |action| act(&app, &label, action))
    };
    match app
        .get_webview_window(&taken.label)
        .filter(|_| taken.exists)
    {
        Some(window) => {
            let shown = reuse(app, &window, redirect, taken.turn, on_action);
            if shown.is_err() {
                // Not kept in a state nobody knows: it goes (its close
                // cancels nothing, the engine says the window failed).
                windows.free(&taken.label);
                let _ = window.destroy();
            }
            shown
        }
        None => make(app, &taken.label, redirect, on_action).inspect_err(|_| {
            windows.forget(&taken.label);
        }),
    }
}

/// How long a kept window waits for its new page before it is shown
/// anyway (a slow wallet): the person must see where to approve.
const REVEAL_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Loads `redirect` in a kept window for its turn `turn`; it shows once
/// the page has replaced the last approval's (or after [`REVEAL_AFTER`]).
fn reuse(
    app: &AppHandle,
    window: &tauri::WebviewWindow,
    redirect: &Url,
    turn: u64,
    on_action: OnAction,
) -> tauri::Result<()> {
    window.navigate(redirect.clone())?;
    window.set_title(&title_for(redirect))?;
    strip::show(window, origin_of(redirect), on_action);
    let (app, label) = (app.clone(), window.label().to_owned());
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(REVEAL_AFTER).await;
        if app.state::<ConsentWindows>().reveal_late(&label, turn) {
            show(&app, &label);
        }
    });
    Ok(())
}

/// Puts window `label` on screen, in front.
fn show(app: &AppHandle, label: &str) {
    if let Some(window) = app.get_webview_window(label) {
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Makes consent window `label` on `redirect`.
fn make(app: &AppHandle, label: &str, redirect: &Url, on_action: OnAction) -> tauri::Result<()> {
    let screen = app
        .primary_monitor()
        .ok()
        .flatten()
        .map(|monitor| monitor.size().to_logical::<f64>(monitor.scale_factor()));
    let (width, height) = window_size(screen);
    let on_load = Arc::clone(&on_action);
    let mut builder = WebviewWindowBuilder::new(app, label, WebviewUrl::External(redirect.clone()));
    if let Some(dir) = app.state::<Folders>().webview() {
        builder = builder.data_directory(dir);
    }
    let (navigating, loading) = (app.clone(), app.clone());
    let (navigating_label, loading_label) = (label.to_owned(), label.to_owned());
    let window = builder
        .title(title_for(redirect))
        .inner_size(width, height)
        // The finish redirect never loads: it is caught here and completed.
        .on_navigation(move |url| navigation(&navigating, &navigating_label, url))
        .on_page_load(move |window, payload| {
            // The blank page of a free window says nothing.
            let windows = loading.state::<ConsentWindows>();
            if windows.approval(&loading_label).is_some() && payload.url().as_str() != BLANK {
                let _ = window.set_title(&title_for(payload.url()));
                strip::show(&window, origin_of(payload.url()), Arc::clone(&on_load));
                // `Started` is WebKit's "committed": the new page replaced
                // the last one. Shown when it has loaded too.
                match payload.event() {
                    tauri::webview::PageLoadEvent::Started => windows.committed(&loading_label),
                    tauri::webview::PageLoadEvent::Finished => {
                        if windows.reveal_loaded(&loading_label) {
                            show(&loading, &loading_label);
                        }
                    }
                }
            }
        })
        .build()?;
    strip::show(&window, origin_of(redirect), on_action);
    let (app, label) = (app.clone(), label.to_owned());
    window.on_window_event(move |event| match event {
        // Closing ends what the window showed; the window is kept for the
        // next approval, or closed once the wallet was told (main gone).
        WindowEvent::CloseRequested { api, .. } => {
            tracing::info!(window = %label, "consent window asked to close");
            api.prevent_close();
            release(&app, &label);
        }
        WindowEvent::Destroyed => {
            let shown = app.state::<ConsentWindows>().forget(&label);
            if let Some(cancel) = ending(&app, shown) {
                tauri::async_runtime::spawn(cancel);
            }
        }
        _ => {}
    });
    Ok(())
}

/// Ends what window `label` shows: it hides on a blank page, free for the
/// next approval, or closes when the main window is gone.
fn release(app: &AppHandle, label: &str) {
    let shown = app.state::<ConsentWindows>().free(label);
    let window = app.get_webview_window(label);
    let kept = app.get_webview_window("main").is_some();
    if let Some(window) = &window {
        let _ = window.hide();
        if kept {
            if let Ok(blank) = Url::parse(BLANK) {
                let _ = window.navigate(blank);
            }
        }
    }
    let cancel = ending(app, shown);
    tauri::async_runtime::spawn(async move {
        if let Some(cancel) = cancel {
            cancel.await;
        }
        // The app ends with its last window: only once the wallet was told.
        if let Some(window) = window.filter(|_| !kept) {
            let _ = window.destroy();
        }
    });
}

/// An approval left its window: unless it went to the browser (or its
/// link is being completed, which decides), the cancel at the wallet of a
/// grant still waiting.
fn ending(
    app: &AppHandle,
    shown: Option<Approval>,
) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
    let approval = shown?;
    if approval.handed {
        tracing::info!(grant = %approval.grant_id, "consent window closed: approving in the browser");
        return None;
    }
    if approval.finishing {
        tracing::info!(grant = %approval.grant_id, "consent window closed while its link completes");
        return None;
    }
    tracing::info!(grant = %approval.grant_id, "consent window closed");
    let engine = app.engine();
    Some(async move { engine.cancel_if_pending(&approval.grant_id).await })
}

/// Hides the window showing grant `grant_id`; whether one was.
pub(crate) fn close(app: &AppHandle, grant_id: &str) -> bool {
    match app.state::<ConsentWindows>().showing(grant_id) {
        Some(label) => {
            release(app, &label);
            true
        }
        None => false,
    }
}

/// The main window is gone: the free consent windows go too, so the app
/// ends with the last window the person sees.
pub(crate) fn main_closed(app: &AppHandle) {
    for label in app.state::<ConsentWindows>().free_labels() {
        if let Some(window) = app.get_webview_window(&label) {
            let _ = window.destroy();
        }
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
