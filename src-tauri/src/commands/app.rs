//! What the app is and how it is doing.

use tauri::{AppHandle, State};

use crate::ipc::{About, AppStatus, SandboxStatus, StatusLine, Tone};
use crate::links::LinkInbox;
use crate::{EngineExt as _, Result, LINK_SCHEME};

/// The name, version and one-line status shown in the main window.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub(crate) fn app_status(app: AppHandle, inbox: State<'_, LinkInbox>) -> AppStatus {
    AppStatus {
        product_name: product_name(&app),
        version: app.package_info().version.to_string(),
        status: status_line(inbox.registration_problem().as_deref()),
    }
}

/// The status bar's sentence: short when all is well (it shows on every
/// screen, so no scheme names there), the reason only when links from a
/// browser cannot reach the app.
fn status_line(registration_problem: Option<&str>) -> StatusLine {
    match registration_problem {
        None => StatusLine {
            tone: Tone::Ok,
            text: "Ready.".to_owned(),
        },
        Some(problem) => StatusLine {
            tone: Tone::Warning,
            text: format!(
                "Ready, but links from your browser may not reach Consent Desk ({problem}). Approvals inside the app still work."
            ),
        },
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
        log_file: consent_desk_cli::logging::current_file(folders)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_ready_and_only_a_problem_in_more_words() {
        let ok = status_line(None);
        assert_eq!((ok.tone, ok.text.as_str()), (Tone::Ok, "Ready."));
        let warning = status_line(Some("no desktop entry"));
        assert_eq!(warning.tone, Tone::Warning);
        assert!(
            warning
                .text
                .contains("may not reach Consent Desk (no desktop entry)"),
            "{}",
            warning.text
        );
    }
}
