//! Links that reach the app through the OS: a wallet's finish redirect to
//! `dev.consentdesk:/…`, opened by the browser or by `gio open`.

use std::sync::Mutex;

use tauri::{AppHandle, Manager};

use crate::EngineExt as _;
use time::format_description::well_known::Rfc3339;

pub(crate) use crate::ipc::Arrival;
use crate::ipc::ReceivedLink;

/// Every link received since start, oldest first, and whether the scheme
/// registration succeeded.
#[derive(Debug, Default)]
pub(crate) struct LinkInbox {
    links: Mutex<Vec<ReceivedLink>>,
    registration: Mutex<Option<Result<(), String>>>,
}

impl LinkInbox {
    pub(crate) fn set_registration(&self, result: Result<(), String>) {
        *lock(&self.registration) = Some(result);
    }

    /// Why links from the browser may not reach us, if they may not.
    pub(crate) fn registration_problem(&self) -> Option<String> {
        lock(&self.registration).clone()?.err()
    }

    pub(crate) fn list(&self) -> Vec<ReceivedLink> {
        lock(&self.links).clone()
    }
}

/// Records links and tells the UI about each one.
pub(crate) fn receive(app: &AppHandle, urls: Vec<url::Url>, arrival: Arrival) {
    let inbox = app.state::<LinkInbox>();
    for url in urls {
        let _span = tracing::info_span!("link_received", scheme = url.scheme(), ?arrival).entered();
        let link = ReceivedLink {
            url: consent_desk_engine::activity::shown_link(url.as_str()),
            said: None,
            refused: false,
            received_at: time::OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            arrival,
        };
        let index = {
            let mut links = lock(&inbox.links);
            links.push(link.clone());
            links.len() - 1
        };
        tracing::info!("link received");
        crate::events::emit(app, link);
        // A wallet's finish link: complete its grant, the same way the consent
        // window does (a cold start finds the grant in the store); the list
        // then says what became of it.
        if consent_desk_engine::grant_id_of(url.as_str()).is_some() {
            let (app, url) = (app.clone(), url.to_string());
            tauri::async_runtime::spawn(async move {
                let result = app.engine().finish(&url).await;
                let said = consent_desk_engine::words::link_outcome(&result);
                let refused = consent_desk_engine::words::link_refused(&result);
                settle(&app, index, said, refused);
            });
        } else {
            settle(
                app,
                index,
                consent_desk_engine::words::LINK_IGNORED.to_owned(),
                true,
            );
        }
    }
}

/// Says what became of link `index`, and tells the UI.
fn settle(app: &AppHandle, index: usize, said: String, refused: bool) {
    let inbox = app.state::<LinkInbox>();
    let link = {
        let mut links = lock(&inbox.links);
        let Some(link) = links.get_mut(index) else {
            return;
        };
        link.said = Some(said);
        link.refused = refused;
        link.clone()
    };
    crate::events::emit(app, link);
}

/// A poisoned lock only means another thread panicked mid-push; the list
/// itself is still valid, so keep serving it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
