//! Consent Desk's Tauri shell: windows, commands, deep links and events.
//!
//! The shell stays thin. Protocol work (signatures, grants, finish
//! verification) lives in `consent-desk-protocol`, which builds without GTK or
//! WebKit; this crate wires it to the desktop.

mod commands;
mod error;
mod events;
mod flow;
mod identity;
pub mod ipc;
mod links;
mod logging;
mod manage;
mod payments;
mod sandbox;

use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

pub use error::{Error, Result};

/// The private-use URI scheme (RFC 8252 §7.1, reverse-domain form) that wallets
/// redirect to; it must match `plugins.deep-link.desktop.schemes` in
/// `tauri.conf.json` (a unit test checks).
pub const LINK_SCHEME: &str = "dev.consentdesk";

/// Builds and runs the desktop app until its last window closes.
pub fn run() {
    let app = tauri::Builder::default()
        // Registered first so a second launch (the OS opening a deep link)
        // forwards its URL to this instance and exits before doing anything.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::about,
            commands::activity::activity,
            commands::activity::export_activity,
            commands::links::received_links,
            commands::profiles::profiles,
            commands::profiles::use_profile,
            commands::profiles::remove_profile,
            commands::profiles::set_loopback_finish,
            commands::profiles::preview_wallet,
            commands::profiles::add_profile,
            commands::profiles::check_registration,
            commands::grants::preview_grant,
            commands::grants::request_grant,
            commands::grants::cancel_grant,
            commands::grants::grants,
            commands::grants::grant_detail,
            commands::grants::rotate_grant,
            commands::grants::revoke_grant,
            commands::grants::end_grant,
            commands::payments::quote_payment,
            commands::payments::confirm_payment,
            commands::payments::pay_with_grant,
            commands::payments::requote_payment,
            commands::payments::cancel_payment,
            commands::payments::check_payment,
            commands::payments::payments,
        ])
        .setup(|app| {
            logging::init(app.handle());
            let sandbox = sandbox::start(app.handle());
            app.manage(identity::start(app.handle(), &sandbox));
            app.manage(sandbox);
            // Before any link is handled: a finish link may be what started us.
            app.manage(flow::open(app.handle()));
            let inbox = links::LinkInbox::default();
            inbox.set_registration(register_scheme(app.handle()));
            app.manage(inbox);

            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                links::receive(&handle, event.urls(), links::Arrival::Forwarded);
            });
            // A URL given at launch was seen by the plugin before this
            // listener existed; pick it up here so it is not lost.
            if let Some(urls) = app.deep_link().get_current()? {
                links::receive(app.handle(), urls, links::Arrival::Launch);
            }
            // Payments a crash or kill interrupted go on where they stopped.
            let resuming = app.handle().clone();
            tauri::async_runtime::spawn(async move { payments::resume(&resuming).await });
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "consent desk started");
            Ok(())
        })
        .build(tauri::generate_context!());

    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("Consent Desk could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Makes this binary the handler of [`LINK_SCHEME`] for the current user.
///
/// Packages declare the scheme in their `.desktop` file; a binary run from a
/// build tree has no such file, so it registers itself (idempotent) and the
/// status line can say whether links will reach it.
fn register_scheme(app: &tauri::AppHandle) -> std::result::Result<(), String> {
    #[cfg(any(target_os = "linux", windows))]
    {
        let _span = tracing::info_span!("register_scheme", scheme = LINK_SCHEME).entered();
        app.deep_link().register_all().map_err(|error| {
            tracing::warn!(%error, "could not register the link scheme");
            error.to_string()
        })
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        // macOS registers schemes from the bundle's Info.plist.
        let _ = app;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The scheme the app claims and the one it registers with the OS are
    /// the same string in two files; keep them together.
    #[test]
    fn link_scheme_matches_config() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(
            config["plugins"]["deep-link"]["desktop"]["schemes"],
            serde_json::json!([super::LINK_SCHEME])
        );
    }
}
