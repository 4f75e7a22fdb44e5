//! Consent Desk's Tauri shell: windows, commands, deep links and events.
//!
//! The shell stays thin: the application (grants, payments, resume, words)
//! is `consent-desk-engine`, which builds without GTK or WebKit; this crate
//! wires it to windows, links and events, and its commands reach the engine
//! through [`EngineExt`].

pub mod cli;
mod commands;
mod consent_window;
mod desktop;
mod events;
pub mod ipc;
mod links;

use std::sync::Arc;

use consent_desk_engine::Engine;
use consent_desk_identity::Folders;
use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

pub use consent_desk_engine::error::{Error, Result};

/// How commands and windows reach the app's engine (managed state).
pub(crate) trait EngineExt<R: tauri::Runtime> {
    /// The engine of this app.
    fn engine(&self) -> Arc<Engine>;
}

impl<R: tauri::Runtime, M: Manager<R>> EngineExt<R> for M {
    fn engine(&self) -> Arc<Engine> {
        Arc::clone(&self.state::<Arc<Engine>>())
    }
}

/// The private-use URI scheme (RFC 8252 §7.1, reverse-domain form) that wallets
/// redirect to; it must match `plugins.deep-link.desktop.schemes` in
/// `tauri.conf.json` (a unit test checks).
pub const LINK_SCHEME: &str = "dev.consentdesk";

/// Builds and runs the desktop app until its last window closes, with its
/// state in `folders` (checked writable by the caller).
pub fn run(folders: Folders) {
    // Registered first so a second launch (the OS opening a deep link)
    // forwards its URL to this instance and exits before doing anything. An
    // instance with a data folder of its own is single per folder, so QA can
    // run two side by side.
    let mut single_instance =
        tauri_plugin_single_instance::Builder::new().callback(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        });
    if let Some(tag) = folders.instance_tag() {
        single_instance = single_instance.dbus_id(format!("dev.consentdesk.client.{tag}"));
    }
    let app = tauri::Builder::default()
        .plugin(single_instance.build())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::about,
            commands::settings::notice_settings,
            commands::settings::set_notice_settings,
            commands::activity::activity,
            commands::activity::export_activity,
            commands::links::received_links,
            commands::profiles::profiles,
            commands::profiles::use_profile,
            commands::profiles::remove_profile,
            commands::profiles::set_loopback_finish,
            commands::profiles::set_client_form,
            commands::grants::prove_ownership,
            commands::profiles::preview_wallet,
            commands::profiles::add_profile,
            commands::profiles::check_registration,
            commands::grants::preview_grant,
            commands::grants::request_grant,
            commands::grants::cancel_grant,
            commands::grants::waiting_approvals,
            commands::grants::reopen_approval,
            commands::grants::continue_in_browser,
            commands::grants::grants,
            commands::grants::grant_detail,
            commands::grants::rotate_grant,
            commands::grants::revoke_grant,
            commands::grants::end_grant,
            commands::payments::quote_payment,
            commands::payments::confirm_payment,
            commands::payments::pay_with_grant,
            commands::payments::payment_grants,
            commands::payments::requote_payment,
            commands::payments::cancel_payment,
            commands::payments::check_payment,
            commands::payments::payments,
        ])
        .setup(move |app| {
            open_main_window(app.handle(), &folders)?;
            app.manage(consent_window::ConsentWindows::default());
            // Before any link is handled: a finish link may be what started us.
            let desktop = Arc::new(desktop::TauriDesktop(app.handle().clone()));
            let engine = tauri::async_runtime::block_on(Engine::start(folders.clone(), desktop));
            app.manage(folders);
            app.manage(engine);
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
            let engine = app.engine();
            tauri::async_runtime::spawn(async move { engine.resume().await });
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "consent desk started");
            Ok(())
        })
        .build(tauri::generate_context!());

    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::WindowEvent {
                label,
                event: tauri::WindowEvent::Destroyed,
                ..
            } = event
            {
                if label == "main" {
                    consent_window::main_closed(app);
                }
            }
        }),
        Err(error) => {
            eprintln!("Consent Desk could not start: {error}");
            std::process::exit(1);
        }
    }
}

/// Opens the main window as `tauri.conf.json` describes it (`create: false`
/// there), its web storage in a chosen data folder when there is one.
fn open_main_window(app: &tauri::AppHandle, folders: &Folders) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == "main")
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let mut builder = tauri::WebviewWindowBuilder::from_config(app, &config)?;
    if let Some(dir) = folders.webview() {
        builder = builder.data_directory(dir);
    }
    builder.build()?;
    Ok(())
}

/// Makes this binary the handler of [`LINK_SCHEME`] for the current user,
/// when it has to.
///
/// An installed package declares the scheme in its `.desktop` entry, which the
/// system's desktop database already lists: writing a per-user entry would
/// shadow it and outlive the package. A binary run from a build tree has no
/// such entry, so it registers itself (idempotent). A copy with a data folder
/// of its own (`--data-dir`) leaves the registration to the ordinary copy:
/// links would otherwise be taken from it.
fn register_scheme(app: &tauri::AppHandle) -> std::result::Result<(), String> {
    if let Some(dir) = app.state::<Folders>().chosen() {
        return Err(format!(
            "this copy keeps its data in {}; links from the browser go to the copy without --data-dir",
            dir.display()
        ));
    }
    if installed() {
        tracing::info!("installed: the package registers the link scheme");
        return Ok(());
    }
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
        Ok(())
    }
}

/// Whether this binary was installed by a package (it lives under `/usr`,
/// not `/usr/local`, where `make install`-style copies have no desktop entry),
/// rather than run from a build tree.
fn installed() -> bool {
    std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .is_ok_and(|exe| exe.starts_with("/usr/") && !exe.starts_with("/usr/local/"))
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
