//! The sandbox wallet, started in-process so the app works offline with no
//! account anywhere. Its state lives in `<app data>/sandbox`.

use consent_desk_sandbox::{RunningSandbox, Sandbox};

/// The port the sandbox prefers. Wallet URLs are stored in the sandbox's state
/// (grants name their client's wallet address), so a stable port keeps them
/// valid across restarts; another free port is used if this one is taken.
pub const PREFERRED_PORT: u16 = 4455;

/// The running sandbox, or why it is not running.
#[derive(Debug)]
pub struct SandboxWallet(std::result::Result<RunningSandbox, String>);

impl From<RunningSandbox> for SandboxWallet {
    fn from(sandbox: RunningSandbox) -> Self {
        Self(Ok(sandbox))
    }
}

impl SandboxWallet {
    /// No sandbox: the app works with real wallets only.
    #[must_use]
    pub fn none(why: impl Into<String>) -> Self {
        Self(Err(why.into()))
    }

    /// `http://127.0.0.1:<port>/` when running.
    pub fn url(&self) -> Option<String> {
        self.0
            .as_ref()
            .ok()
            .map(|sandbox| sandbox.base_url().to_string())
    }

    /// The running sandbox.
    pub fn running(&self) -> Option<&RunningSandbox> {
        self.0.as_ref().ok()
    }

    /// Why it is not running.
    pub fn problem(&self) -> Option<String> {
        self.0.as_ref().err().cloned()
    }
}

/// The file in the sandbox's folder that keeps the port it last ran on.
const PORT_FILE: &str = "port";

/// Starts the sandbox; never fails the app, which works with real wallets too.
#[tracing::instrument(name = "sandbox.start", skip_all)]
pub async fn start(folders: &consent_desk_identity::Folders) -> SandboxWallet {
    let data = folders.sandbox();
    // Binding a port and opening SQLite take milliseconds: starting here, before
    // any window asks, means the status never shows a half-started sandbox.
    // Wallet and consent URLs the app stored (pending approvals, payments)
    // name the port, so the one this folder's sandbox last ran on comes
    // first, then the usual one; if something else holds both (another app,
    // another copy of this one), any free port, remembered for next time.
    let mut ports = vec![PREFERRED_PORT];
    if let Some(last) = last_port(&data).filter(|port| *port != PREFERRED_PORT) {
        ports.insert(0, last);
    }
    let mut started = None;
    for port in ports.into_iter().chain([0]) {
        match Sandbox::builder(&data).port(port).start().await {
            Err(consent_desk_sandbox::SandboxError::Bind { .. }) if port != 0 => {
                tracing::info!(port, "sandbox port taken");
            }
            other => {
                started = Some(other);
                break;
            }
        }
    }
    match started.expect("port 0 always ends the loop") {
        Ok(sandbox) => {
            tracing::info!(url = %sandbox.base_url(), "sandbox wallet running");
            if let Some(port) = sandbox.base_url().port() {
                if let Err(error) = std::fs::write(data.join(PORT_FILE), port.to_string()) {
                    tracing::warn!(%error, "the sandbox's port could not be remembered");
                }
            }
            SandboxWallet(Ok(sandbox))
        }
        Err(error) => {
            tracing::error!(%error, "sandbox wallet did not start");
            SandboxWallet(Err(error.to_string()))
        }
    }
}

/// The port this sandbox folder's wallet last ran on.
fn last_port(data: &std::path::Path) -> Option<u16> {
    std::fs::read_to_string(data.join(PORT_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|port| *port != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sandbox_keeps_its_port_across_starts_when_the_usual_one_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let folders = consent_desk_identity::Folders::in_dir(dir.path());
        // Whatever holds the usual port, this folder's sandbox must come back
        // where it was: hold it ourselves if nobody does.
        let _held = std::net::TcpListener::bind(("127.0.0.1", PREFERRED_PORT));
        let first = start(&folders).await;
        let url = first.url().expect("running");
        let port = url::Url::parse(&url).unwrap().port().unwrap();
        assert_ne!(port, PREFERRED_PORT);
        // As a closed app's process would, the wallet lets go of its port.
        first.0.unwrap().shutdown().await;
        let again = start(&folders).await;
        assert_eq!(again.url().as_deref(), Some(url.as_str()), "the same port");
    }
}
