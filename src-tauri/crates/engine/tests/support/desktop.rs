//! A desktop for engine tests: it tells the test everything the engine asked
//! of it, on a channel, and keeps a consent window open for each grant it
//! was asked to open one for, until the engine closes it.

use std::sync::{Arc, Mutex};

use consent_desk_engine::views::{FlowProgress, PaymentProgress};
use consent_desk_engine::Desktop;
use tokio::sync::mpsc;
use url::Url;

/// What the engine asked of the desktop.
// Each test file reads the parts it needs.
#[allow(dead_code)]
#[derive(Debug)]
pub(crate) enum Told {
    Flow(FlowProgress),
    Payment(PaymentProgress),
    /// A consent window opened: grant, the wallet's page, the finish URI.
    Opened(String, Url, String),
    Browser(Url),
    Closed(String),
}

/// A desktop that reports everything on a channel; it has a consent window
/// open for each grant it was asked to open one for, until closed.
pub(crate) struct FakeDesktop {
    told: mpsc::UnboundedSender<Told>,
    open: Mutex<Vec<String>>,
}

impl Desktop for FakeDesktop {
    fn flow_progress(&self, progress: FlowProgress) {
        let _ = self.told.send(Told::Flow(progress));
    }

    fn payment_progress(&self, progress: PaymentProgress) {
        let _ = self.told.send(Told::Payment(progress));
    }

    fn open_consent(&self, grant_id: &str, redirect: &Url, finish_uri: &str) -> Result<(), String> {
        self.open.lock().unwrap().push(grant_id.to_owned());
        let _ = self.told.send(Told::Opened(
            grant_id.to_owned(),
            redirect.clone(),
            finish_uri.to_owned(),
        ));
        Ok(())
    }

    fn open_in_browser(&self, url: &Url) {
        let _ = self.told.send(Told::Browser(url.clone()));
    }

    fn close_consent(&self, grant_id: &str) -> bool {
        let mut open = self.open.lock().unwrap();
        let was = open.iter().position(|id| id == grant_id);
        if let Some(at) = was {
            open.remove(at);
            let _ = self.told.send(Told::Closed(grant_id.to_owned()));
        }
        was.is_some()
    }
}

impl FakeDesktop {
    /// A desktop, and what it is told.
    pub(crate) fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<Told>) {
        let (told, rx) = mpsc::unbounded_channel();
        let desktop = Arc::new(Self {
            told,
            open: Mutex::new(Vec::new()),
        });
        (desktop, rx)
    }
}
