//! The consent flow in the desktop: the grant request, the wallet's consent
//! page in a window of its own, and the finish, from that window's navigation
//! or from an OS deep link, completed by `consent-desk-engine`'s one routine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use consent_desk_engine::{
    Abandoned, Completed, FinishVia, FlowError, Flows, GrantRecord, GrantSpec, GrantState,
    PaymentState, Step,
};
use consent_desk_identity::Folders;
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
    let folders = app.state::<Folders>();
    let opened = Flows::open(
        &folders.data().join(consent_desk_engine::GRANTS_FILE),
        Arc::new(folders.keyring()),
    )
    .map(Arc::new)
    .map_err(|error| error.to_string());
    if let Err(problem) = &opened {
        tracing::error!(%problem, "the grant store did not open");
    }
    FlowState {
        flows: opened,
        listeners: Mutex::new(HashMap::new()),
    }
}

/// A signing client for profile `id` (the memory-only sandbox key included).
pub(crate) fn client_for(app: &AppHandle, id: &str) -> std::result::Result<Client, FlowError> {
    client_unlocking(app, id, None)
}

/// A signing client for profile `id`; a key in a passphrase file is opened
/// with `passphrase` once and then kept in memory until the app closes.
fn client_unlocking(
    app: &AppHandle,
    id: &str,
    passphrase: Option<&str>,
) -> std::result::Result<Client, FlowError> {
    let identity = app.state::<IdentityState>();
    let (profile, key) = match identity.ephemeral_sandbox_key().filter(|(p, _)| p.id == id) {
        Some(found) => found,
        None => {
            let profile = identity
                .identities
                .profile(id)
                .map_err(|error| FlowError::Client(error.to_string()))?;
            let key = match (identity.unlocked_key(id), passphrase) {
                (Some(key), None) => key,
                _ => {
                    let key = identity
                        .identities
                        .load_key(&profile, passphrase)
                        .map_err(|error| FlowError::Client(error.to_string()))?;
                    if passphrase.is_some() {
                        identity.keep_unlocked(id, &key);
                    }
                    key
                }
            };
            (profile, key)
        }
    };
    let key_id =
        KeyId::new(profile.key_id.clone()).map_err(|e| FlowError::Client(e.to_string()))?;
    let mut builder = Client::builder()
        .key(key, key_id)
        .client_wallet(profile.wallet_address.as_str())
        .client_form(profile.client_form)
        .allow_http_loopback(profile.allow_http_loopback);
    if let Some(ca) = &profile.ca_cert {
        builder = builder.trust_ca_file(ca);
    }
    // Every request it makes goes to the activity log.
    if let Ok(flows) = app.state::<FlowState>().flows() {
        builder = builder.observer(flows.recorder());
    }
    builder
        .build()
        .map_err(|error| FlowError::Client(error.to_string()))
}

/// A client for the preview: it signs nothing (wallet addresses are public),
/// so no key needs unlocking.
fn preview_client(app: &AppHandle, id: &str) -> std::result::Result<Client, FlowError> {
    let identity = app.state::<IdentityState>();
    let profile = match identity.ephemeral_sandbox_key().filter(|(p, _)| p.id == id) {
        Some((profile, _)) => profile,
        None => identity
            .identities
            .profile(id)
            .map_err(|error| FlowError::Client(error.to_string()))?,
    };
    let mut builder = Client::builder()
        .key(
            consent_desk_protocol::SigningKey::generate(),
            KeyId::new("preview").expect("a valid key id"),
        )
        .client_wallet(profile.wallet_address.as_str())
        .client_form(profile.client_form)
        .allow_http_loopback(profile.allow_http_loopback);
    if let Some(ca) = &profile.ca_cert {
        builder = builder.trust_ca_file(ca);
    }
    builder
        .build()
        .map_err(|error| FlowError::Client(error.to_string()))
}

/// The profile in use, or a sentence saying there is none.
pub(crate) fn active_profile(app: &AppHandle) -> Result<String> {
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
            Some(consent_desk_engine::parse_major_units(text, wallet.asset_scale)?.to_string())
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

/// The grant's state as a person names it: a failure is told apart as
/// rejected (the person said no) or expired (the approval timed out).
fn state_view(record: &GrantRecord) -> GrantStateView {
    match record.state {
        GrantState::Pending => GrantStateView::Pending,
        GrantState::Finishing => GrantStateView::Finishing,
        GrantState::Approved => GrantStateView::Approved,
        GrantState::Failed => failure_view(record.problem.as_deref().unwrap_or_default()),
        GrantState::Cancelled => GrantStateView::Cancelled,
        GrantState::Revoked => GrantStateView::Revoked,
    }
}

/// A failed grant by what the wallet said.
fn failure_view(problem: &str) -> GrantStateView {
    if problem.split_whitespace().next() == Some("grant_rejected") {
        GrantStateView::Rejected
    } else if consent_desk_engine::problem_is_expiry(problem) {
        GrantStateView::Expired
    } else {
        GrantStateView::Failed
    }
}

/// Words for the wallet's `result` codes (the engine's, shared with the
/// command line); one the engine does not know is shown as it came.
fn problem_words(problem: &str) -> String {
    consent_desk_engine::problem_words(problem)
        .map_or_else(|| crate::error::sentence(problem), str::to_owned)
}

pub(crate) fn view(record: &GrantRecord) -> GrantView {
    let request: Option<GrantRequest> = serde_json::from_value(record.request.clone()).ok();
    GrantView {
        id: record.id.clone(),
        state: state_view(record),
        wallet: record.wallet.clone(),
        summary: match &request {
            Some(request) => summary(request),
            // An ownership proof asks for `subject`, not access.
            None if record.request.get("subject").is_some() => {
                format!("Proof that you own {}", record.wallet)
            }
            None => String::new(),
        },
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
    let client = preview_client(app, &profile)?;
    let (spec, wallet) = spec(&client, form).await?;
    let request = consent_desk_engine::build_request(
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
    let client = unlocked_client(app, &profile, form.passphrase.clone()).await?;
    progress(
        app,
        None,
        FlowStep::Requesting,
        "Asking your wallet for permission…",
        None,
    );
    let requested = async {
        let (via, listener) = finish_route(app, &profile).await?;
        let (spec, _) = spec(&client, form).await?;
        let record = flows.request(&client, &profile, &spec, via).await?;
        Ok::<_, Error>((record, listener))
    }
    .await;
    let (record, listener) = requested.map_err(|error| asking_failed(app, error))?;
    present(
        app,
        &record,
        form.approve_in == Some(ApproveIn::Browser),
        listener,
    )
}

/// Says on the progress line why the wallet could not be asked; the error
/// goes on to the command's caller too.
fn asking_failed(app: &AppHandle, error: Error) -> Error {
    progress(
        app,
        None,
        FlowStep::Failed,
        crate::error::sentence(&error.to_string()),
        None,
    );
    error
}

/// "Prove I own this wallet address" for the profile in use: the wallet's
/// consent page opens in its own window like any grant's, and the finish
/// says "Proved: you own …" (or why not) as a `flow://progress` event.
pub(crate) async fn prove(
    app: &AppHandle,
    passphrase: Option<crate::ipc::SecretText>,
) -> Result<GrantView> {
    let flows = app.state::<FlowState>().flows()?;
    let profile = active_profile(app)?;
    let client = unlocked_client(app, &profile, passphrase).await?;
    let wallet = client.client_wallet().clone();
    progress(
        app,
        None,
        FlowStep::Requesting,
        format!("Asking your wallet to confirm that you own {wallet}…"),
        None,
    );
    let requested = async {
        let (via, listener) = finish_route(app, &profile).await?;
        let record = flows.request_proof(&client, &profile, &wallet, via).await?;
        Ok::<_, Error>((record, listener))
    }
    .await;
    let (record, listener) = requested.map_err(|error| asking_failed(app, error))?;
    present(app, &record, false, listener)
}

/// The signing client of `profile`, opening a key file with `passphrase`
/// if given (Argon2 takes about a second: off the async workers).
pub(crate) async fn unlocked_client(
    app: &AppHandle,
    profile: &str,
    passphrase: Option<crate::ipc::SecretText>,
) -> Result<Client> {
    let (app, profile) = (app.clone(), profile.to_owned());
    Ok(tauri::async_runtime::spawn_blocking(move || {
        client_unlocking(&app, &profile, passphrase.as_deref())
    })
    .await
    .map_err(|error| FlowError::Client(format!("the key could not be opened ({error})")))??)
}

/// Where the wallet sends the person back for a grant about to be
/// requested. The app's private-use scheme (RFC 8252 §7.1): the consent
/// window catches the navigation to it, and the system browser hands it to
/// the OS, which delivers it here. Profiles for wallets that refuse custom
/// schemes get a loopback listener instead (RFC 8252 §7.3), caught the same
/// way in the window.
pub(crate) async fn finish_route(
    app: &AppHandle,
    profile: &str,
) -> Result<(FinishVia, Option<consent_desk_engine::loopback::Listener>)> {
    let loopback = app
        .state::<IdentityState>()
        .identities
        .profile(profile)
        .is_ok_and(|p| p.loopback_finish);
    Ok(consent_desk_engine::loopback::finish_route(loopback).await?)
}

/// Puts a pending grant before the person: its listener serves, and the
/// consent window (or the system browser) opens on the wallet's page.
pub(crate) fn present(
    app: &AppHandle,
    record: &GrantRecord,
    in_browser: bool,
    listener: Option<consent_desk_engine::loopback::Listener>,
) -> Result<GrantView> {
    let redirect = record
        .redirect
        .as_deref()
        .and_then(|r| Url::parse(r).ok())
        .ok_or_else(|| FlowError::Invalid("the wallet gave no consent page".to_owned()))?;
    let grant = view(record);
    if let Some(listener) = listener {
        listen(app, &record.id, listener);
    }
    if in_browser {
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
    open_consent_window(app, &record.id, &redirect, &record.finish_uri).map_err(|error| {
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
fn listen(app: &AppHandle, grant_id: &str, mut listener: consent_desk_engine::loopback::Listener) {
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

/// Where the consent window is, as its origin strip and title say it.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    /// `host` or `host:port`.
    place: String,
    /// Served over HTTPS.
    secure: bool,
    /// The strip's sentence.
    text: String,
}

fn origin_of(url: &Url) -> Origin {
    let host = url.host_str().unwrap_or("an unknown place");
    let place = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let secure = url.scheme() == "https";
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    let text = if secure {
        format!("{place} \u{2014} secure connection (HTTPS)")
    } else if local {
        format!(
            "{place} \u{2014} a wallet on this computer, not encrypted ({})",
            url.scheme()
        )
    } else {
        format!(
            "{place} \u{2014} NOT encrypted ({}): do not enter passwords unless this is your own test wallet",
            url.scheme()
        )
    };
    Origin {
        place,
        secure,
        text,
    }
}

/// "wallet.example (secure connection) — approve in your wallet", or a
/// warning for plain http.
fn title_for(url: &Url) -> String {
    let origin = origin_of(url);
    if origin.secure {
        format!(
            "{} (secure connection) \u{2014} approve in your wallet",
            origin.place
        )
    } else {
        format!(
            "{} (NOT encrypted: {}) \u{2014} approve in your wallet",
            origin.place,
            url.scheme()
        )
    }
}

/// The origin strip: a native bar above the wallet's page that shows where
/// the page is and whether the connection is encrypted. The page cannot
/// draw over it or change it.
#[cfg(target_os = "linux")]
mod strip {
    use gtk::prelude::*;

    const NAME: &str = "consent-origin-strip";

    /// Shows `origin` in the window's strip, adding the strip on first use.
    /// Runs on the main thread (GTK's rule).
    pub(super) fn show(window: &tauri::WebviewWindow, origin: super::Origin) {
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
                let label = gtk::Label::new(None);
                label.set_xalign(0.0);
                label.set_line_wrap(true);
                label.set_selectable(true);
                bar.content_area().add(&label);
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
    pub(super) fn show(_window: &tauri::WebviewWindow, _origin: super::Origin) {}
}

/// The app's own pages, which the wallet's window must never load.
fn is_app_page(url: &Url) -> bool {
    matches!(url.scheme(), "tauri" | "ipc" | "asset")
        || url.host_str() == Some("tauri.localhost")
        || url.host_str() == Some("ipc.localhost")
}

/// Whether the consent window's `url` is a finish link: any on the app's
/// scheme (the continuation routine tells ours from forgeries), or this
/// grant's loopback finish.
fn is_finish_link(url: &Url, finish_uri: &str) -> bool {
    if url.scheme() == consent_desk_engine::LINK_SCHEME {
        return true;
    }
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.as_str() == finish_uri
}

fn open_consent_window(
    app: &AppHandle,
    grant_id: &str,
    redirect: &Url,
    finish_uri: &str,
) -> tauri::Result<()> {
    let label = window_label(grant_id);
    let id = grant_id.to_owned();
    let navigate = app.clone();
    let finish_uri = finish_uri.to_owned();
    let mut builder =
        WebviewWindowBuilder::new(app, &label, WebviewUrl::External(redirect.clone()));
    if let Some(dir) = app.state::<Folders>().webview() {
        builder = builder.data_directory(dir);
    }
    let window = builder
        .title(title_for(redirect))
        .inner_size(560.0, 820.0)
        // The finish redirect never loads: it is caught here and completed.
        .on_navigation(move |url| {
            if is_finish_link(url, &finish_uri) {
                let (app, url) = (navigate.clone(), url.to_string());
                tauri::async_runtime::spawn(async move { finish(app, url).await });
                return false;
            }
            !is_app_page(url)
        })
        .on_page_load(|window, payload| {
            let _ = window.set_title(&title_for(payload.url()));
            strip::show(&window, origin_of(payload.url()));
        })
        .build()?;
    strip::show(&window, origin_of(redirect));
    let closing = app.clone();
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::CloseRequested { .. }) {
            tracing::info!(grant = %id, "consent window asked to close");
        }
        if matches!(event, WindowEvent::Destroyed) {
            tracing::info!(grant = %id, "consent window closed");
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
            app.state::<FlowState>().stop_listener(&record.id);
            close_window(&app, &record.id);
            let grant = view(&record);
            progress(
                &app,
                Some(&record.id),
                FlowStep::Done,
                format!("Approved: {}.", grant.summary),
                Some(grant),
            );
            crate::payments::after_grant(&app, &record.id).await;
        }
        Ok(Completed::Proved(record)) => {
            app.state::<FlowState>().stop_listener(&record.id);
            close_window(&app, &record.id);
            progress(
                &app,
                Some(&record.id),
                FlowStep::Done,
                format!("Proved: you own {}.", record.wallet),
                None,
            );
        }
        Ok(Completed::NotApproved(record)) => {
            app.state::<FlowState>().stop_listener(&record.id);
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
            crate::payments::after_grant(&app, &record.id).await;
        }
        Err(
            error @ (FlowError::UnknownFinish
            | FlowError::AlreadyUsed { .. }
            | FlowError::Refused(_)),
        ) => {
            tracing::warn!(%error, "finish link refused");
            let id = consent_desk_engine::grant_id_of(&url);
            progress(
                &app,
                id.as_deref(),
                FlowStep::Refused,
                crate::error::sentence(&error.to_string()),
                None,
            );
        }
        Err(error) => {
            let id = consent_desk_engine::grant_id_of(&url);
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
        Ok(record) => {
            progress(
                app,
                Some(grant_id),
                FlowStep::Cancelled,
                "You closed your wallet's window, so the request was cancelled at the wallet.",
                Some(view(&record)),
            );
            crate::payments::after_grant(app, grant_id).await;
        }
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
/// A grant approved for a payment whose quote expired meanwhile is
/// cancelled at the wallet when that payment is stopped.
pub(crate) async fn cancel(app: &AppHandle, grant_id: &str) {
    if app.get_webview_window(&window_label(grant_id)).is_some() {
        close_window(app, grant_id);
    } else if !abandon_unsent(app, grant_id).await {
        cancel_if_pending(app, grant_id).await;
    }
}

/// Cancels at the wallet an approved grant asked for one payment (its
/// `receiver` is that payment's incoming payment) that was never sent
/// because its quote expired during consent; it would stay open there
/// otherwise. Whether it was such a grant.
async fn abandon_unsent(app: &AppHandle, grant_id: &str) -> bool {
    let Ok(flows) = app.state::<FlowState>().flows() else {
        return false;
    };
    let (Ok(Some(record)), Ok(Some(payment))) =
        (flows.get(grant_id), flows.payment_of_grant(grant_id))
    else {
        return false;
    };
    let for_this_payment = serde_json::from_value::<GrantRequest>(record.request.clone())
        .ok()
        .and_then(|request| {
            request
                .access_token
                .access
                .into_iter()
                .find_map(|item| match item {
                    AccessItem::OutgoingPayment { limits, .. } => limits?.receiver,
                    _ => None,
                })
        })
        .is_some_and(|receiver| receiver.as_str() == payment.incoming_payment);
    if record.state != GrantState::Approved
        || payment.state != PaymentState::Authorizing
        || !payment.quote_expired()
        || !for_this_payment
    {
        return false;
    }
    let abandoned = async {
        let client = client_for(app, &record.profile)?;
        flows
            .abandon(&client, grant_id, Abandoned::QuoteExpired)
            .await
    }
    .await;
    match abandoned {
        Ok(record) => {
            let grant = view(&record);
            progress(
                app,
                Some(grant_id),
                FlowStep::Cancelled,
                grant.problem.clone().unwrap_or_default(),
                Some(grant),
            );
        }
        Err(error) => progress(
            app,
            Some(grant_id),
            FlowStep::Failed,
            crate::error::sentence(&error.to_string()),
            None,
        ),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_the_wallet_ends_an_approval_is_named_and_told_in_words() {
        // As `consent_desk_engine::Flows::complete` stores what the reference
        // wallet (Rafiki 2.x) sends back.
        for (problem, state, says) in [
            ("grant_rejected", GrantStateView::Rejected, "You rejected"),
            (
                "invalid_interaction (interaction expired)",
                GrantStateView::Expired,
                "expired before it was finished",
            ),
            // Older wallets sent no message for an expiry.
            ("invalid_interaction", GrantStateView::Expired, "expired"),
            (
                "invalid_interaction (invalid interaction)",
                GrantStateView::Failed,
                "no longer valid",
            ),
            (
                "unknown_interaction (unknown interaction)",
                GrantStateView::Failed,
                "no longer knows this approval",
            ),
            (
                "grant_invalid",
                GrantStateView::Failed,
                "before you approved or rejected",
            ),
            (
                "something_new (a new reason)",
                GrantStateView::Failed,
                "new reason",
            ),
        ] {
            assert_eq!(failure_view(problem), state, "{problem}");
            let words = problem_words(problem);
            assert!(words.contains(says), "{problem}: {words}");
            assert!(
                !words.contains('_') || problem.starts_with("something_new"),
                "{problem} is told in words: {words}"
            );
        }
    }

    #[test]
    fn the_strip_says_where_the_page_is_and_warns_without_https() {
        let secure = origin_of(&Url::parse("https://wallet.example/consent/1?x=2").unwrap());
        assert!(secure.secure);
        assert_eq!(secure.place, "wallet.example");
        assert_eq!(
            secure.text,
            "wallet.example \u{2014} secure connection (HTTPS)"
        );

        let local = origin_of(&Url::parse("http://127.0.0.1:4455/consent/1").unwrap());
        assert!(!local.secure);
        assert_eq!(local.place, "127.0.0.1:4455");
        let expected = "127.0.0.1:4455 \u{2014} a wallet on this computer, not encrypted (http)";
        assert_eq!(local.text, expected);

        let remote = origin_of(&Url::parse("http://wallet.example/consent").unwrap());
        assert!(!remote.secure);
        let warning = "NOT encrypted (http): do not enter passwords";
        assert!(remote.text.contains(warning), "{}", remote.text);
        let title = title_for(&Url::parse("http://127.0.0.1:4455/").unwrap());
        assert!(
            title.starts_with("127.0.0.1:4455 (NOT encrypted: http)"),
            "{title}"
        );
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
        assert!(is_app_page(
            &Url::parse("tauri://localhost/index.html").unwrap()
        ));
        assert!(is_app_page(
            &Url::parse("http://ipc.localhost/grants").unwrap()
        ));
        assert!(!is_app_page(
            &Url::parse("https://wallet.example/").unwrap()
        ));
    }
}
