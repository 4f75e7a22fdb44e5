//! What the app is and how it is doing.

use tauri::{AppHandle, State};

use crate::ipc::{About, AppStatus, SandboxStatus, StatusLine, Tone};
use crate::links::LinkInbox;
use crate::{EngineExt as _, Result, LINK_SCHEME};

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
pub(crate) fn about(app: AppHandle) -> Result<About> {
    let engine = app.engine();
    let (folders, sandbox) = (engine.folders(), engine.sandbox());
    let shown = |dir: &std::path::Path| dir.display().to_string();
    Ok(About {
        product_name: product_name(&app),
        version: app.package_info().version.to_string(),
        commit: env!("CONSENT_DESK_COMMIT").to_owned(),
        identifier: app.config().identifier.clone(),
        tauri_version: tauri::VERSION.to_owned(),
        webview_version: tauri::webview_version().unwrap_or_else(|_| "unknown".to_owned()),
        data_dir: shown(folders.data()),
        config_dir: shown(folders.config()),
        log_dir: shown(folders.logs()),
        log_file: crate::logging::current_file(folders)
            .map(|file| shown(&file))
            .unwrap_or_default(),
        link_scheme: LINK_SCHEME.to_owned(),
        sandbox: match (sandbox.url(), sandbox.problem()) {
            (Some(url), _) => SandboxStatus::Running { url },
            (None, problem) => SandboxStatus::Stopped {
                problem: problem.unwrap_or_default(),
            },
        },
        extra_cas: extra_cas(&app),
    })
}

/// The CA files profiles trust (`profile add --ca-cert`), each once, in
/// profile order; none when profiles cannot be read (About still shows).
fn extra_cas(app: &AppHandle) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for path in app
        .engine()
        .keys()
        .identities
        .profiles()
        .map(|profiles| profiles.profiles)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|profile| profile.ca_cert)
    {
        let shown = path.display().to_string();
        if !files.contains(&shown) {
            files.push(shown);
        }
    }
    files
}

fn product_name(app: &AppHandle) -> String {
    app.config()
        .product_name
        .clone()
        .unwrap_or_else(|| app.package_info().name.clone())
}
