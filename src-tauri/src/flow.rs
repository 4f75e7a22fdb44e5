//! The consent flow in the desktop: the grant request, the wallet's consent
//! page in a window of its own, and the finish, from that window's navigation
//! or from an OS deep link, completed by `consent-desk-flow`'s one routine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use consent_desk_flow::{
    Completed, FinishVia, FlowError, Flows, GrantRecord, GrantSpec, GrantState, Step,
};
use consent_desk_identity::SystemKeyring;
use consent_desk_protocol::describe::{describe_interval, format_amount_of};
use consent_desk_protocol::{
    AccessItem, Client, GrantRequest, KeyId, LimitAmount, OutgoingPaymentAction, WalletAddress,
};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use url::Url;

use crate::error::{Error, Result};
use crate::identity::IdentityState;
use crate::ipc::{
    AmountLimit, ApproveIn, FlowProgress, FlowStep, GrantAction, GrantForm, GrantPreview,
    GrantStateView, GrantView,
};

/// The grant store (or why it could not be opened), and the loopback
/// listeners of grants that wait, each stopped through its sender.
pub(crate) struct FlowState {
    flows: std::result::Result<Arc<Flows>, String>,
    listeners: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl FlowState {
    pub(crate) fn flows(&self) -> Result<Arc<Flows>> {
        self.flows
            .clone()
            .map_err(|problem| Error::Flow(FlowError::Invalid(problem)))
    }

    fn stop_listener(&self, grant_id: &str) {
        if let Some(stop) = self
            .listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(grant_id)
        {
            let _ = stop.send(());
        }
    }
}

/// Opens `grants.sqlite3` in the app's data folder.
pub(crate) fn open(app: &AppHandle) -> FlowState {
    let opened = app
        .path()
        .app_data_dir()
        .map_err(|error| format!("no data folder for grants ({error})"))
        .and_then(|dir| {
            Flows::open(
                &dir.join(consent_desk_flow::GRANTS_FILE),
                Arc::new(SystemKeyring),
            )
            .map(Arc::new)
            .map_err(|error| error.to_string())
        });
    if let Err(problem) = &opened {
        tracing::error!(%problem, "the grant store did not open");
    }
    FlowState {
        flows: opened,
        listeners: Mutex::new(HashMap::new()),
    }
}

/// A signing client for profile `id` (the memory-only sandbox key included).
fn client_for(app: &AppHandle, id: &str) -> std::result::Result<Client, FlowError> {
    let identity = app.state::<IdentityState>();
    let (profile, key) = match identity.ephemeral_sandbox_key().filter(|(p, _)| p.id == id) {
        Some(found) => found,
        None => {
            let profile = identity
                .identities
                .profile(id)
                .map_err(|error| FlowError::Client(error.to_string()))?;
            let key = identity
                .identities
                .load_key(&profile, None)
                .map_err(|error| FlowError::Client(error.to_string()))?;
            (profile, key)
        }
    };
    let key_id =
        KeyId::new(profile.key_id.clone()).map_err(|e| FlowError::Client(e.to_string()))?;
    Client::builder()
        .key(key, key_id)
        .client_wallet(profile.wallet_address.as_str())
        .allow_http_loopback(profile.allow_http_loopback)
        .build()
        .map_err(|error| FlowError::Client(error.to_string()))
}

/// The profile in use, or a sentence saying there is none.
fn active_profile(app: &AppHandle) -> Result<String> {
    let identity = app.state::<IdentityState>();
    identity.identities.profiles()?.active.ok_or_else(|| {
        Error::Flow(FlowError::Invalid(
            "choose a profile first (Profiles)".to_owned(),
        ))
    })
}

fn action(action: GrantAction) -> OutgoingPaymentAction {
    match action {
        GrantAction::Create => OutgoingPaymentAction::Create,
        GrantAction::Read => OutgoingPaymentAction::Read,
        GrantAction::ReadAll => OutgoingPaymentAction::ReadAll,
        GrantAction::List => OutgoingPaymentAction::List,
        GrantAction::ListAll => OutgoingPaymentAction::ListAll,
    }
}

/// Reads the form against the sender's wallet (its asset and scale).
async fn spec(client: &Client, form: &GrantForm) -> Result<(GrantSpec, WalletAddress)> {
    let wallet_url = consent_desk_identity::wallet::parse_wallet_url(&form.wallet, true)
        .map_err(consent_desk_identity::IdentityError::from)?;
    let wallet = client
        .wallet_address(&wallet_url)
        .await
        .map_err(FlowError::from)?;
    let amount = match (form.limit, form.amount.as_deref()) {
        (AmountLimit::None, _) => None,
        (_, None) => return Err(FlowError::Invalid("enter an amount".to_owned()).into()),
        (_, Some(text)) => {
            Some(consent_desk_flow::parse_major_units(text, wallet.asset_scale)?.to_string())
        }
    };
    let (debit, receive) = match form.limit {
        AmountLimit::Debit => (amount.as_deref(), None),
        AmountLimit::Receive => (None, amount.as_deref()),
        AmountLimit::None => (None, None),
    };
    let receiver = form
        .receiver
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let interval = form
        .interval
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let mut spec = GrantSpec::parse(wallet.id.as_str(), debit, receive, receiver, interval)?;
    if !form.actions.is_empty() {
        spec.actions = Some(form.actions.iter().copied().map(action).collect());
    }
    Ok((spec, wallet))
}

/// The limit of a grant request in words.
pub(crate) fn summary(request: &GrantRequest) -> String {
    let limits = request
        .access_token
        .access
        .iter()
        .find_map(|item| match item {
            AccessItem::OutgoingPayment { limits, .. } => Some(limits.clone()),
            _ => None,
        });
    let limits = limits.flatten();
    let amount = match limits.as_ref().and_then(|l| l.amount.as_ref()) {
        Some(LimitAmount::Debit(amount)) => format!("Up to {}", format_amount_of(amount)),
        Some(LimitAmount::Receive(amount)) => {
            format!("Up to {} delivered", format_amount_of(amount))
        }
        None => "Any amount".to_owned(),
    };
    match limits.as_ref().and_then(|l| l.interval.as_ref()) {
        Some(interval) => format!("{amount} {}", describe_interval(interval)),
        None => format!("{amount}, once (the limit does not renew)"),
    }
}

fn state_view(state: GrantState) -> GrantStateView {
    match state {
        GrantState::Pending => GrantStateView::Pending,
        GrantState::Finishing => GrantStateView::Finishing,
        GrantState::Approved => GrantStateView::Approved,
        GrantState::Failed => GrantStateView::Failed,
        GrantState::Cancelled => GrantStateView::Cancelled,
    }
}

/// Words for the wallet's `result` codes.
fn problem_words(problem: &str) -> String {
    let code = problem.split_whitespace().next().unwrap_or(problem);
    let sentence = match code {
        "grant_rejected" => "You rejected the request at your wallet; nothing was granted.",
        "invalid_interaction" => "The approval expired before it was finished; start again.",
        "unknown_interaction" => "The wallet no longer knows this approval; start again.",
        "grant_invalid" => "The wallet says this grant is no longer valid; start again.",
        "request_denied" => "The wallet refused the request.",
        "cancelled" => "You cancelled the request.",
        _ => return crate::error::sentence(problem),
    };
    sentence.to_owned()
}

pub(crate) fn view(record: &GrantRecord) -> GrantView {
    let request: Option<GrantRequest> = serde_json::from_value(record.request.clone()).ok();
    GrantView {
        id: record.id.clone(),
        state: state_view(record.state),
        wallet: record.wallet.clone(),
        summary: request.as_ref().map(summary).unwrap_or_default(),
        consent_url: (record.state == GrantState::Pending)
            .then(|| record.redirect.clone())
            .flatten(),
        access_json: record
            .access
            .as_ref()
            .and_then(|a| serde_json::to_string_pretty(a).ok()),
        expires_at: record.expires_at.clone(),
        problem: record.problem.as_deref().map(problem_words),
        created_at: record.created_at.clone(),
    }
}

fn progress(
    app: &AppHandle,
    grant_id: Option<&str>,
    step: FlowStep,
    message: impl Into<String>,
    grant: Option<GrantView>,
) {
    crate::events::emit(
        app,
        FlowProgress {
            grant_id: grant_id.map(str::to_owned),
            step,
            message: message.into(),
            grant,
        },
    );
}

/// What the form would send: the exact JSON, with the per-grant values
/// (finish link, nonce) shown as placeholders.
pub(crate) async fn preview(app: &AppHandle, form: &GrantForm) -> Result<GrantPreview> {
    let profile = active_profile(app)?;
    let client = client_for(app, &profile)?;
    let (spec, wallet) = spec(&client, form).await?;
    let request = consent_desk_flow::build_request(
        &client,
        &wallet,
        &spec,
        &Url::parse("dev.consentdesk:/finish/GRANT-ID").expect("a URL"),
        &consent_desk_protocol::Nonce::new("NONCE"),
    )?;
    let mut json = serde_json::to_value(&request).map_err(|e| FlowError::Invalid(e.to_string()))?;
    if let Some(finish) = json.pointer_mut("/interact/finish") {
        finish["uri"] = "dev.consentdesk:/finish/<made for each grant>".into();
        finish["nonce"] = "<random, made for each grant>".into();
    }
    Ok(GrantPreview {
        wallet_name: wallet
            .public_name
            .clone()
            .unwrap_or_else(|| wallet.id.to_string()),
        asset_code: wallet.asset_code.clone(),
        asset_scale: wallet.asset_scale,
        summary: summary(&request),
        request_json: serde_json::to_string_pretty(&json).unwrap_or_default(),
    })
}

/// Requests the grant and opens the wallet's consent page in its own window.
pub(crate) async fn start(app: &AppHandle, form: &GrantForm) -> Result<GrantView> {
    let flows = app.state::<FlowState>().flows()?;
    let profile = active_profile(app)?;
    let client = client_for(app, &profile)?;
    progress(
        app,
        None,
        FlowStep::Requesting,
        "Asking your wallet for permission…",
        None,
    );
    // The wallet sends the consent window back to a listener on this machine:
    // WebKitGTK hands neither a server redirect to a custom scheme nor its
    // navigation to the app, but it loads a loopback page (RFC 8252 §7.3),
    // which the listener serves and passes to `finish`.
    let in_browser = form.approve_in == Some(ApproveIn::Browser);
    // Wallets that refuse custom schemes return the browser to a listener too.
    let loopback_profile = app
        .state::<IdentityState>()
        .identities
        .profile(&profile)
        .is_ok_and(|p| p.loopback_finish);
    let requested = async {
        // In the system browser the wallet returns through a deep link, which
        // the OS hands to this app; in the app's window, to a loopback listener.
        let listener = if in_browser && !loopback_profile {
            None
        } else {
            Some(
                consent_desk_flow::loopback::Listener::bind()
                    .await
                    .map_err(|error| {
                        FlowError::Invalid(format!(
                            "no local port for the wallet to return to ({error})"
                        ))
                    })?,
            )
        };
        let via = match &listener {
            Some(listener) => FinishVia::Loopback {
                port: listener.port(),
            },
            None => FinishVia::DeepLink,
        };
        let (spec, _) = spec(&client, form).await?;
        let record = flows.request(&client, &profile, &spec, via).await?;
        Ok::<_, Error>((record, listener))
    }
    .await;
    let (record, listener) = match requested {
        Ok(requested) => requested,
        Err(error) => {
            progress(
                app,
                None,
                FlowStep::Failed,
                crate::error::sentence(&error.to_string()),
                None,
            );
            return Err(error);
        }
    };
    let redirect = record
        .redirect
        .as_deref()
        .and_then(|r| Url::parse(r).ok())
        .ok_or_else(|| FlowError::Invalid("the wallet gave no consent page".to_owned()))?;
    let grant = view(&record);
    if in_browser {
        if let Some(listener) = listener {
            listen(app, &record.id, listener);
        }
        open_in_browser(&redirect);
        progress(
            app,
            Some(&record.id),
            FlowStep::Waiting,
            "Approve or reject in your browser; your wallet then sends you back here.",
            Some(grant.clone()),
        );
        return Ok(grant);
    }
    let Some(listener) = listener else {
        open_in_browser(&redirect);
        progress(
            app,
            Some(&record.id),
            FlowStep::Waiting,
            "Approve or reject in your browser; your wallet then sends you back here.",
            Some(grant.clone()),
        );
        return Ok(grant);
    };
    listen(app, &record.id, listener);
    open_consent_window(app, &record.id, &redirect).map_err(|error| {
        FlowError::Invalid(format!("the consent window could not open ({error})"))
    })?;
    progress(
        app,
        Some(&record.id),
        FlowStep::Waiting,
        "Approve or reject in your wallet's window.",
        Some(grant.clone()),
    );
    Ok(grant)
}

/// Opens `url` in the system browser; a failure is logged, and the UI shows
/// the link to open by hand.
fn open_in_browser(url: &Url) {
    #[cfg(target_os = "linux")]
    let opener = ("xdg-open", vec![url.as_str()]);
    #[cfg(target_os = "macos")]
    let opener = ("open", vec![url.as_str()]);
    #[cfg(windows)]
    let opener = ("explorer", vec![url.as_str()]);
    match std::process::Command::new(opener.0).args(&opener.1).spawn() {
        Ok(mut child) => {
            // Reap it without blocking.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(error) => tracing::warn!(%error, "the system browser could not be opened"),
    }
}

/// Serves the grant's loopback finish while it waits: every finish URL goes
/// to [`finish`]; the listener stops once the grant is no longer pending or
/// when it is cancelled.
fn listen(app: &AppHandle, grant_id: &str, mut listener: consent_desk_flow::loopback::Listener) {
    let (stop, mut stopped) = oneshot::channel();
    app.state::<FlowState>()
        .listeners
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(grant_id.to_owned(), stop);
    let app = app.clone();
    let grant_id = grant_id.to_owned();
    tauri::async_runtime::spawn(async move {
        loop {
            let url = tokio::select! {
                url = listener.next() => url,
                _ = &mut stopped => None,
            };
            let Some(url) = url else { break };
            finish(app.clone(), url).await;
            let waiting = app
                .state::<FlowState>()
                .flows()
                .ok()
                .and_then(|flows| flows.get(&grant_id).ok().flatten())
                .is_some_and(|record| record.state == GrantState::Pending);
            if !waiting {
                break;
            }
        }
        app.state::<FlowState>().stop_listener(&grant_id);
        tracing::info!(grant = %grant_id, "loopback finish listener stopped");
    });
}

fn window_label(grant_id: &str) -> String {
    format!("consent-{}", grant_id.replace('-', ""))
}

/// "wallet.example — secure" or a warning for plain http.
fn title_for(url: &Url) -> String {
    let host = url.host_str().unwrap_or("the wallet");
    let origin = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    if url.scheme() == "https" {
        format!("{origin} (secure connection) — approve in your wallet")
    } else {
        format!(
            "{origin} (NOT encrypted: {}) — approve in your wallet",
            url.scheme()
        )
    }
}

/// The app's own pages, which the wallet's window must never load.
fn is_app_page(url: &Url) -> bool {
    matches!(url.scheme(), "tauri" | "ipc" | "asset")
        || url.host_str() == Some("tauri.localhost")
        || url.host_str() == Some("ipc.localhost")
}

fn open_consent_window(app: &AppHandle, grant_id: &str, redirect: &Url) -> tauri::Result<()> {
    let label = window_label(grant_id);
    let id = grant_id.to_owned();
    let navigate = app.clone();
    let window = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(redirect.clone()))
        .title(title_for(redirect))
        .inner_size(560.0, 820.0)
        // The finish redirect never loads: it is caught here and completed.
        .on_navigation(move |url| {
            if url.scheme() == consent_desk_flow::LINK_SCHEME {
                let (app, url) = (navigate.clone(), url.to_string());
                tauri::async_runtime::spawn(async move { finish(app, url).await });
                return false;
            }
            !is_app_page(url)
        })
        .on_page_load(|window, payload| {
            let _ = window.set_title(&title_for(payload.url()));
        })
        .build()?;
    let closing = app.clone();
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::Destroyed) {
            let (app, id) = (closing.clone(), id.clone());
            tauri::async_runtime::spawn(async move { cancel_if_pending(&app, &id).await });
        }
    });
    Ok(())
}

fn close_window(app: &AppHandle, grant_id: &str) {
    if let Some(window) = app.get_webview_window(&window_label(grant_id)) {
        let _ = window.close();
    }
}

/// The one entry for every finish path in the app (the consent window's
/// navigation and OS deep links): completes through `Flows::complete` and
/// tells the UI each step.
pub(crate) async fn finish(app: AppHandle, url: String) {
    let flows = match app.state::<FlowState>().flows() {
        Ok(flows) => flows,
        Err(error) => {
            progress(&app, None, FlowStep::Failed, error.to_string(), None);
            return;
        }
    };
    let client_app = app.clone();
    let step_app = app.clone();
    let result = flows
        .complete_observed(
            &url,
            move |profile| client_for(&client_app, profile),
            move |id, step| {
                let (step, message) = match step {
                    Step::Verifying => (
                        FlowStep::Verifying,
                        "Checking that the answer comes from your wallet…",
                    ),
                    Step::Continuing => (
                        FlowStep::Continuing,
                        "Approved. Collecting the permission from your wallet…",
                    ),
                };
                progress(&step_app, Some(id), step, message, None);
            },
        )
        .await;
    match result {
        Ok(Completed::Approved(record)) => {
            close_window(&app, &record.id);
            let grant = view(&record);
            progress(
                &app,
                Some(&record.id),
                FlowStep::Done,
                format!("Approved: {}.", grant.summary),
                Some(grant),
            );
        }
        Ok(Completed::NotApproved(record)) => {
            close_window(&app, &record.id);
            let grant = view(&record);
            let message = grant
                .problem
                .clone()
                .unwrap_or_else(|| "Not approved.".to_owned());
            progress(
                &app,
                Some(&record.id),
                FlowStep::Failed,
                message,
                Some(grant),
            );
        }
        Err(
            error @ (FlowError::UnknownFinish
            | FlowError::AlreadyUsed { .. }
            | FlowError::Refused(_)),
        ) => {
            tracing::warn!(%error, "finish link refused");
            let id = consent_desk_flow::grant_id_of(&url);
            progress(
                &app,
                id.as_deref(),
                FlowStep::Refused,
                crate::error::sentence(&error.to_string()),
                None,
            );
        }
        Err(error) => {
            let id = consent_desk_flow::grant_id_of(&url);
            progress(
                &app,
                id.as_deref(),
                FlowStep::Failed,
                crate::error::sentence(&error.to_string()),
                None,
            );
        }
    }
}

const FINISH_PAGE: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Consent Desk</title><body style=\"font-family:system-ui,sans-serif;margin:3rem auto;\
max-width:28rem;padding:0 1rem\"><h1 style=\"font-size:1.3rem\">Back to Consent Desk</h1>\
<p>Your wallet answered. Consent Desk is finishing the approval; this window closes by itself.</p>\
</body></html>";

/// Serves `dev.consentdesk:` URLs inside the app's webviews: a consent
/// window reaching its finish link hands it to [`finish`]; anything else is
/// refused.
pub(crate) fn finish_scheme(
    context: tauri::UriSchemeContext<'_, tauri::Wry>,
    request: tauri::http::Request<Vec<u8>>,
    responder: tauri::UriSchemeResponder,
) {
    let url = request.uri().to_string();
    let from_consent = context.webview_label().starts_with("consent-");
    let status = if from_consent && consent_desk_flow::grant_id_of(&url).is_some() {
        let handle = context.app_handle().clone();
        tauri::async_runtime::spawn(async move { finish(handle, url).await });
        200
    } else {
        tracing::warn!(
            webview = context.webview_label(),
            "finish scheme load refused"
        );
        404
    };
    let response = tauri::http::Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .body(FINISH_PAGE.as_bytes().to_vec())
        .unwrap_or_default();
    responder.respond(response);
}

/// Closing the wallet's window, or Cancel, cancels a grant still waiting.
pub(crate) async fn cancel_if_pending(app: &AppHandle, grant_id: &str) {
    let Ok(flows) = app.state::<FlowState>().flows() else {
        return;
    };
    let pending =
        matches!(flows.get(grant_id), Ok(Some(record)) if record.state == GrantState::Pending);
    if !pending {
        return;
    }
    let cancelled = async {
        let record = flows.get(grant_id)?.ok_or(FlowError::UnknownFinish)?;
        let client = client_for(app, &record.profile)?;
        flows.cancel(&client, grant_id).await
    }
    .await;
    app.state::<FlowState>().stop_listener(grant_id);
    match cancelled {
        Ok(record) => progress(
            app,
            Some(grant_id),
            FlowStep::Cancelled,
            "You closed your wallet's window, so the request was cancelled at the wallet.",
            Some(view(&record)),
        ),
        Err(error) => progress(
            app,
            Some(grant_id),
            FlowStep::Failed,
            crate::error::sentence(&error.to_string()),
            None,
        ),
    }
}

/// Cancel from the main window: close the wallet's window (which cancels).
pub(crate) async fn cancel(app: &AppHandle, grant_id: &str) {
    if app.get_webview_window(&window_label(grant_id)).is_some() {
        close_window(app, grant_id);
    } else {
        cancel_if_pending(app, grant_id).await;
    }
}
