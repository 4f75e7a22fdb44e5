//! `https://` for the sandbox: a certificate authority made at start (rcgen),
//! a server certificate it signs for the names the URLs use, and a listener
//! that hands axum TLS streams (tokio-rustls). The CA's certificate is written
//! to the data folder as `ca.pem`, for clients to trust (`--ca-cert`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

use crate::SandboxError;

/// The file in the data folder holding the sandbox CA's certificate.
pub(crate) const CA_FILE: &str = "ca.pem";

/// A request extension: the request came over TLS, so the URL the client
/// signed starts with `https://`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverTls;

/// How long a client may take over the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes a fresh CA and a server certificate for `127.0.0.1`, `localhost`
/// and `host`; writes the CA certificate to `data_dir/ca.pem` and returns
/// its path with the server's TLS settings. A new CA each start: nothing
/// secret is kept on disk.
pub(crate) fn make(
    data_dir: &Path,
    host: IpAddr,
) -> Result<(PathBuf, Arc<rustls::ServerConfig>), SandboxError> {
    let failed = |what: &str, error: &dyn std::fmt::Display| {
        SandboxError::Config(format!("the sandbox's {what} could not be made ({error})"))
    };
    let ca_key = rcgen::KeyPair::generate().map_err(|e| failed("CA key", &e))?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| failed("CA certificate", &e))?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Consent Desk sandbox CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca = ca_params
        .self_signed(&ca_key)
        .map_err(|e| failed("CA certificate", &e))?;

    let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    if !host.is_unspecified() && !names.contains(&host.to_string()) {
        names.push(host.to_string());
    }
    let server_key = rcgen::KeyPair::generate().map_err(|e| failed("server key", &e))?;
    let mut params =
        rcgen::CertificateParams::new(names).map_err(|e| failed("server certificate", &e))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Consent Desk sandbox");
    let server = params
        .signed_by(&server_key, &ca, &ca_key)
        .map_err(|e| failed("server certificate", &e))?;

    let ca_path = data_dir.join(CA_FILE);
    std::fs::write(&ca_path, ca.pem()).map_err(|source| SandboxError::DataDir {
        path: ca_path.clone(),
        source,
    })?;

    let chain = vec![server.der().clone(), ca.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der())
        .map_err(|e| failed("server key", &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| failed("TLS settings", &e))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| failed("TLS settings", &e))?;
    Ok((ca_path, Arc::new(config)))
}

/// TLS connections for `axum::serve`. Handshakes run in their own tasks, so
/// one slow client holds up nobody else; failed ones are dropped.
pub(crate) struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let (send, accepted) = mpsc::channel(64);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::debug!(%error, "accept failed");
                        // Out of file descriptors, say: let it pass.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, send) = (acceptor.clone(), send.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = send.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Self {
            accepted,
            local,
            acceptor_task,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // The TCP listener lives in the acceptor task: stop it with the server.
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The acceptor task ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Serves `app` over TLS until `stopped`, with each connection's peer in
/// `ConnectInfo<SocketAddr>` as over plain TCP (the admin API answers
/// loopback callers only).
pub(crate) async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: axum::Router,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    // axum's own connect-info service knows only `TcpListener`'s streams.
    let make_service = tower::service_fn(
        move |incoming: axum::serve::IncomingStream<'_, TlsListener>| {
            let peer = *incoming.remote_addr();
            let app = app
                .clone()
                .layer(axum::Extension(ConnectInfo(peer)))
                .layer(axum::Extension(OverTls));
            std::future::ready(Ok::<_, std::convert::Infallible>(app))
        },
    );
    axum::serve(TlsListener::new(listener, config), make_service)
        .with_graceful_shutdown(stopped)
        .await
}
