//! What the app is and how it is doing.

use tauri::{AppHandle, Manager, State};

use crate::error::{Error, Result};
use crate::ipc::{About, AppStatus, SandboxStatus, StatusLine, Tone};
use crate::links::LinkInbox;
use crate::sandbox::SandboxWallet;
use crate::LINK_SCHEME;

/// The name, version and one-line status shown in the main window.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub(crate) fn app_status(app: AppHandle, inbox: State<'_, LinkInbox>) -> AppStatus {
    let status = match inbox.registration_problem() {
        None => StatusLine {
            tone: Tone::Ok,
            text: format!("Ready. Wallets can send you back here through {LINK_SCHEME}: links."),
        },
        Some(problem) => StatusLine {
            tone: Tone::Warning,
            text: format!(
                "Ready, but links from your browser may not reach Consent Desk ({problem}). Approvals inside the app still work."
            ),
        },
    };
    AppStatus {
        product_name: product_name(&app),
        version: app.package_info().version.to_string(),
        status,
    }
}

/// Versions and folders for the About screen and bug reports.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub(crate) fn about(app: AppHandle, sandbox: State<'_, SandboxWallet>) -> Result<About> {
    let paths = app.path();
    let folder = |what: &'static str, dir: tauri::Result<std::path::PathBuf>| {
        dir.map(|dir| dir.display().to_string())
            .map_err(|source| Error::Folder { what, source })
    };
    Ok(About {
        product_name: product_name(&app),
        version: app.package_info().version.to_string(),
        commit: env!("CONSENT_DESK_COMMIT").to_owned(),
        identifier: app.config().identifier.clone(),
        tauri_version: tauri::VERSION.to_owned(),
        webview_version: tauri::webview_version().unwrap_or_else(|_| "unknown".to_owned()),
        data_dir: folder("data", paths.app_data_dir())?,
        config_dir: folder("settings", paths.app_config_dir())?,
        log_file: folder("log", crate::logging::log_file(&app))?,
        link_scheme: LINK_SCHEME.to_owned(),
        sandbox: match (sandbox.url(), sandbox.problem()) {
            (Some(url), _) => SandboxStatus::Running { url },
            (None, problem) => SandboxStatus::Stopped {
                problem: problem.unwrap_or_default(),
            },
        },
    })
}

fn product_name(app: &AppHandle) -> String {
    app.config()
        .product_name
        .clone()
        .unwrap_or_else(|| app.package_info().name.clone())
}
