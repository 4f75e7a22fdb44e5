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

/// Starts the sandbox; never fails the app, which works with real wallets too.
#[tracing::instrument(name = "sandbox.start", skip_all)]
pub async fn start(folders: &consent_desk_identity::Folders) -> SandboxWallet {
    let data = folders.sandbox();
    // Binding a port and opening SQLite take milliseconds: starting here, before
    // any window asks, means the status never shows a half-started sandbox.
    // The preferred port first; if anything holds it (another app, another
    // copy of this one), any free port.
    let started = match Sandbox::builder(&data).port(PREFERRED_PORT).start().await {
        Err(consent_desk_sandbox::SandboxError::Bind { .. }) => {
            tracing::info!(port = PREFERRED_PORT, "preferred sandbox port taken");
            Sandbox::builder(&data).port(0).start().await
        }
        other => other,
    };
    match started {
        Ok(sandbox) => {
            tracing::info!(url = %sandbox.base_url(), "sandbox wallet running");
            SandboxWallet(Ok(sandbox))
        }
        Err(error) => {
            tracing::error!(%error, "sandbox wallet did not start");
            SandboxWallet(Err(error.to_string()))
        }
    }
}
