//! The async Open Payments client.
//!
//! Every call is built as a plain `http::Request<Vec<u8>>`, goes through one
//! private function ([`Client::execute`]) that checks the URL, adds the
//! `Authorization: GNAP <token>` header, signs it with [`sign_request`] and
//! sends it through a [`Transport`] under the client's timeout. Answers are
//! read with `serde_path_to_error`, so a wrong shape names its JSON path, and
//! error answers keep their body.
//!
//! Signed: every authorization server call and every resource server call that
//! carries a token, as the OpenAPI documents require `Signature` and
//! `Signature-Input` there. Unsigned: `GET` of a wallet address, its
//! `jwks.json` and `did.json`, and the public incoming payment — the spec
//! declares no security for them, and the authorization server itself fetches
//! `jwks.json` unauthenticated.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{header, Method};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;
use url::{Host, Url};

use crate::error::{Error, GnapError, GnapErrorCode, TokenProblem};
use crate::finish::InteractRef;
use crate::grant::{
    Continue, ContinueRequest, GrantRequest, GrantResponse, ManageUri, RotatedToken,
};
use crate::key::{Jwks, KeyId, SigningKey};
use crate::payments::{
    CreateIncomingPayment, CreateOutgoingPayment, CreateQuote, GrantSpentAmounts, IncomingPayment,
    OutgoingPayment, Page, PageQuery, PublicIncomingPayment, Quote,
};
use crate::redact;
use crate::secret::AccessToken;
use crate::signature::sign_request;
use crate::transport::{Transport, TransportError, MAX_ANSWER_BYTES};
use crate::wallet_address::{DidDocument, WalletAddress};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TOO_FAST_RETRIES: u32 = 3;

/// An Open Payments client: signs with one key on behalf of one client wallet
/// address.
///
/// Build it with [`Client::builder`]. `T` is the [`Transport`]; it defaults to
/// `reqwest::Client`.
///
/// ```no_run
/// use std::time::Duration;
/// use consent_desk_protocol::{
///     Amount, Client, GrantRequest, GrantResponse, InteractRef, KeyId, Nonce, SigningKey,
/// };
///
/// # async fn run() -> Result<(), consent_desk_protocol::Error> {
/// let client = Client::builder()
///     .key(SigningKey::generate(), KeyId::new("consent-desk-1")?)
///     .client_wallet("https://ilp.interledger-test.dev/consent-desk")
///     .timeout(Duration::from_secs(20))
///     .build()?;
///
/// let alice = "https://ilp.interledger-test.dev/alice".parse().expect("a valid URL");
/// let sender = client.wallet_address(&alice).await?;
/// let request = GrantRequest::outgoing_payment(sender.id.clone())
///     .client(client.client_wallet().clone())
///     .debit_amount(Amount { value: 500, asset_code: "USD".into(), asset_scale: 2 })
///     .interval_str("R/2025-04-22T08:00:00Z/P1D")
///     .finish("http://127.0.0.1:53682/finish".parse().expect("a valid URL"), Nonce::generate())
///     .build()?;
/// let GrantResponse::Pending(pending) = client.request_grant(&sender.auth_server, &request).await?
/// else {
///     unreachable!("an interactive grant starts pending");
/// };
/// println!("Approve at {}", pending.interact.redirect);
///
/// // … the person approves; the finish redirect is verified with `verify_finish` …
/// let interact_ref = InteractRef::new("ad82597c");
/// if let GrantResponse::Approved(grant) = client.continue_grant(&pending.continue_, &interact_ref).await? {
///     let spent = client.outgoing_payment_grant(&sender.resource_server, &grant.access_token.value).await?;
///     println!("spent so far: {:?}", spent.spent_debit_amount);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Client<T = reqwest::Client> {
    transport: T,
    key: Arc<SigningKey>,
    key_id: KeyId,
    client_wallet: Url,
    client_form: crate::grant::ClientForm,
    timeout: Duration,
    allow_http_loopback: bool,
    too_fast_retries: u32,
    observer: Option<Observer>,
}

/// One request the client made, as an activity log shows it: what, where,
/// the answer's status and how long it took, what the signature covered, and
/// the headers and bodies both ways with their secrets redacted (see
/// [`redact`](crate::redact)): never a token, a key or an interaction
/// reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// The OpenAPI operation (`post-request`, `create-quote`, …).
    pub operation: &'static str,
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL asked.
    pub url: String,
    /// The answer's status; none when there was no answer.
    pub status: Option<u16>,
    /// From sending to the answer's headers (or the failure).
    pub duration_ms: u64,
    /// `Signature-Input` as sent (covered components, key id, time), for a
    /// signed request.
    pub signature_input: Option<String>,
    /// Whether an access or continuation token went with it (its value is
    /// never kept).
    pub with_token: bool,
    /// Why there was no answer.
    pub failure: Option<String>,
    /// The headers sent, redacted, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// The body sent, redacted and cut.
    pub request_body: Option<String>,
    /// The answer's headers, redacted; none when there was no answer.
    pub response_headers: Vec<(String, String)>,
    /// The answer's body, redacted and cut; none when there was no answer
    /// or it was empty.
    pub response_body: Option<String>,
}

/// Called with every [`Exchange`] a client makes (see
/// [`ClientBuilder::observer`]).
pub type Observer = Arc<dyn Fn(&Exchange) + Send + Sync>;

impl<T> std::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signing key is left out on purpose.
        f.debug_struct("Client")
            .field("key_id", &self.key_id)
            .field("client_wallet", &self.client_wallet.as_str())
            .field("timeout", &self.timeout)
            .field("allow_http_loopback", &self.allow_http_loopback)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]; setters keep the first invalid value and
/// [`build`](Self::build) reports it.
#[must_use]
pub struct ClientBuilder {
    key: Option<(SigningKey, KeyId)>,
    client_wallet: Option<Url>,
    client_form: crate::grant::ClientForm,
    timeout: Duration,
    connect_timeout: Duration,
    allow_http_loopback: bool,
    too_fast_retries: u32,
    observer: Option<Observer>,
    /// Certificate authorities trusted besides the built-in roots.
    extra_roots: Vec<reqwest::Certificate>,
    error: Option<Error>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("key_id", &self.key.as_ref().map(|(_, id)| id))
            .field("client_wallet", &self.client_wallet)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            key: None,
            client_wallet: None,
            client_form: crate::grant::ClientForm::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            allow_http_loopback: false,
            too_fast_retries: DEFAULT_TOO_FAST_RETRIES,
            observer: None,
            extra_roots: Vec::new(),
            error: None,
        }
    }
}

impl ClientBuilder {
    /// The signing key and the `kid` it is published under in `jwks.json`.
    pub fn key(mut self, key: SigningKey, key_id: KeyId) -> Self {
        self.key = Some((key, key_id));
        self
    }

    /// Which form of `client` grant requests carry (the deprecated string,
    /// the default, or `{"walletAddress": …}`).
    pub fn client_form(mut self, form: crate::grant::ClientForm) -> Self {
        self.client_form = form;
        self
    }

    /// The client's wallet address, sent as `client` in grant requests.
    pub fn client_wallet(mut self, url: &str) -> Self {
        match Url::parse(url) {
            Ok(url) => self.client_wallet = Some(url),
            Err(error) => {
                self.error.get_or_insert(Error::Config {
                    reason: format!("the client wallet address `{url}` is not a URL ({error})"),
                });
            }
        }
        self
    }

    /// The longest any one call may take, connect to last byte (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if timeout.is_zero() {
            self.error.get_or_insert(Error::Config {
                reason: "the timeout is zero".to_owned(),
            });
        }
        self.timeout = timeout;
        self
    }

    /// The longest connecting may take (default 10 s; reqwest transport only).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Allows `http://` to loopback hosts (127.0.0.0/8, ::1, `localhost`), for
    /// local sandboxes. Off by default: everything else must be HTTPS.
    pub fn allow_http_loopback(mut self, allow: bool) -> Self {
        self.allow_http_loopback = allow;
        self
    }

    /// Also trusts the certificate authorities in the PEM file at `path` (a
    /// QA team's private CA, a sandbox's), next to the built-in roots. The
    /// file is read now; [`build`](Self::build) reports a bad one.
    pub fn trust_ca_file(mut self, path: &std::path::Path) -> Self {
        match read_ca_file(path) {
            Ok(roots) => self.extra_roots.extend(roots),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Calls `observer` after every request with what was asked and how it
    /// went (an activity log); tokens and bodies are not in it.
    pub fn observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// How often a continuation answered `too_fast` is retried (default 3).
    pub fn too_fast_retries(mut self, retries: u32) -> Self {
        self.too_fast_retries = retries;
        self
    }

    /// A client that sends with reqwest (rustls, no redirects followed, since
    /// a redirected signed request would no longer match its signature).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for the first invalid or missing setting.
    pub fn build(self) -> Result<Client, Error> {
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none());
        for root in &self.extra_roots {
            http = http.add_root_certificate(root.clone());
        }
        let http = http.build().map_err(|error| Error::Config {
            reason: format!("the HTTP client could not start ({error})"),
        })?;
        self.build_with(http)
    }

    /// A client that sends through `transport`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for the first invalid or missing setting.
    pub fn build_with<T: Transport>(self, transport: T) -> Result<Client<T>, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let (key, key_id) = self.key.ok_or_else(|| Error::Config {
            reason: "no signing key was given; set one with `key`".to_owned(),
        })?;
        let client_wallet = self.client_wallet.ok_or_else(|| Error::Config {
            reason: "no client wallet address was given; set one with `client_wallet`".to_owned(),
        })?;
        Ok(Client {
            transport,
            key: Arc::new(key),
            key_id,
            client_wallet,
            client_form: self.client_form,
            timeout: self.timeout,
            allow_http_loopback: self.allow_http_loopback,
            too_fast_retries: self.too_fast_retries,
            observer: self.observer,
        })
    }
}

/// How a request is authenticated.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// Public GETs the spec leaves unsigned.
    Public,
    /// Signed, no token (grant request).
    Signed,
    /// Signed, with `Authorization: GNAP <token>`.
    Token(&'a str),
}

/// Which server answers, for reading its errors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Auth,
    Resource,
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("(no host)").to_owned()
}

/// Headers as an [`Exchange`] shows them.
fn shown_headers(headers: &http::HeaderMap, secrets: &[&str]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (
                name.as_str().to_owned(),
                redact::header_value(name.as_str(), &value, secrets),
            )
        })
        .collect()
}

fn join(base: &Url, segment: &str) -> Result<Url, Error> {
    let text = format!("{}/{segment}", base.as_str().trim_end_matches('/'));
    Url::parse(&text).map_err(|error| Error::Config {
        reason: format!("`{text}` is not a URL ({error})"),
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl<T: Transport> Client<T> {
    /// The client wallet address sent as `client`.
    #[must_use]
    pub fn client_wallet(&self) -> &Url {
        &self.client_wallet
    }

    fn check_url(&self, url: &Url) -> Result<(), Error> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if is_loopback(url) && self.allow_http_loopback => Ok(()),
            "http" if is_loopback(url) => Err(Error::InsecureUrl {
                url: url.to_string(),
                hint: " (plain HTTP to this computer is allowed only when the client enables \
                       `allow_http_loopback`, for local sandboxes)",
            }),
            _ => Err(Error::InsecureUrl {
                url: url.to_string(),
                hint: "",
            }),
        }
    }

    /// The one place every request passes: URL check, headers, signature,
    /// timeout, transport.
    async fn execute(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        auth: Auth<'_>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        self.check_url(url)?;
        let host = host_of(url);
        let span = tracing::debug_span!("open_payments", operation, host = %host);
        let started = std::time::Instant::now();
        let mut signature_input = None;
        let mut request_headers = Vec::new();
        let mut request_body = None;
        let method_name = method.as_str().to_owned();
        // The token sent is replaced wherever it shows up again.
        let secrets: Vec<&str> = match auth {
            Auth::Token(token) => vec![token],
            _ => Vec::new(),
        };
        let result = async {
            let mut builder = http::Request::builder()
                .method(method)
                .uri(url.as_str())
                .header(header::ACCEPT, "application/json");
            if body.is_some() {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
            }
            if let Auth::Token(token) = auth {
                builder = builder.header(header::AUTHORIZATION, format!("GNAP {token}"));
            }
            let mut request =
                builder
                    .body(body.unwrap_or_default())
                    .map_err(|error| Error::Config {
                        reason: format!("the request could not be built ({error})"),
                    })?;
            if !matches!(auth, Auth::Public) {
                sign_request(&mut request, &self.key, &self.key_id, SystemTime::now())?;
                signature_input = request
                    .headers()
                    .get("signature-input")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
            }
            if self.observer.is_some() {
                request_headers = shown_headers(request.headers(), &secrets);
                request_body = Some(request.body())
                    .filter(|body| !body.is_empty())
                    .map(|body| redact::body(body, &secrets));
            }
            let sent = tokio::time::timeout(self.timeout, self.transport.send(request)).await;
            let response = match sent {
                Err(_) | Ok(Err(TransportError::Timeout)) => {
                    tracing::debug!("timed out");
                    return Err(Error::Timeout {
                        host: host.clone(),
                        timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                Ok(Err(TransportError::Connect(source) | TransportError::Other(source))) => {
                    if let Some(problem) = certificate_problem(&*source) {
                        tracing::debug!(%problem, "certificate not trusted");
                        return Err(Error::Certificate {
                            host: host.clone(),
                            problem,
                            source,
                        });
                    }
                    tracing::debug!("no answer");
                    return Err(Error::Network {
                        host: host.clone(),
                        source,
                    });
                }
                Ok(Err(TransportError::TooLarge { limit })) => {
                    tracing::debug!(limit, "answer too large; not read");
                    return Err(Error::TooLarge {
                        host: host.clone(),
                        limit,
                    });
                }
                // A transport of the caller's own may read without a cap;
                // the answer is refused the same.
                Ok(Ok(response)) if response.body().len() > MAX_ANSWER_BYTES => {
                    tracing::debug!(length = response.body().len(), "answer too large");
                    return Err(Error::TooLarge {
                        host: host.clone(),
                        limit: MAX_ANSWER_BYTES,
                    });
                }
                Ok(Ok(response)) => response,
            };
            tracing::debug!(status = response.status().as_u16(), "answered");
            Ok(response)
        }
        .instrument(span)
        .await;
        if let Some(observer) = &self.observer {
            observer(&Exchange {
                operation,
                method: method_name,
                url: url.to_string(),
                status: result.as_ref().ok().map(|r| r.status().as_u16()),
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                signature_input,
                with_token: matches!(auth, Auth::Token(_)),
                failure: result.as_ref().err().map(ToString::to_string),
                request_headers,
                request_body,
                response_headers: result
                    .as_ref()
                    .map(|r| shown_headers(r.headers(), &secrets))
                    .unwrap_or_default(),
                response_body: result
                    .as_ref()
                    .ok()
                    .filter(|r| !r.body().is_empty())
                    .map(|r| redact::body(r.body(), &secrets)),
            });
        }
        result
    }

    async fn call<R: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        auth: Auth<'_>,
        side: Side,
    ) -> Result<R, Error> {
        let response = self.execute(operation, method, url, body, auth).await?;
        let host = host_of(url);
        let body = check_status(response, &host, side)?;
        parse_json(&body, &host)
    }

    /// A resource-server call with an access token.
    async fn resource_call<R: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        token: &AccessToken,
    ) -> Result<R, Error> {
        let auth = Auth::Token(token.secret());
        self.call(operation, method, url, body, auth, Side::Resource)
            .await
    }

    /// An unsigned GET the spec leaves public.
    async fn public_get<R: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &Url,
    ) -> Result<R, Error> {
        self.call(
            operation,
            Method::GET,
            url,
            None,
            Auth::Public,
            Side::Resource,
        )
        .await
    }

    async fn call_no_content(
        &self,
        operation: &'static str,
        method: Method,
        url: &Url,
        auth: Auth<'_>,
        side: Side,
    ) -> Result<(), Error> {
        let response = self.execute(operation, method, url, None, auth).await?;
        check_status(response, &host_of(url), side).map(drop)
    }

    // ---- wallet address server (unsigned) ----

    /// `GET {walletAddress}`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn wallet_address(&self, url: &Url) -> Result<WalletAddress, Error> {
        self.public_get("get-wallet-address", url).await
    }

    /// `GET {walletAddress}/jwks.json`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn jwks(&self, wallet_address: &Url) -> Result<Jwks, Error> {
        let url = join(wallet_address, "jwks.json")?;
        self.public_get("get-wallet-address-keys", &url).await
    }

    /// `GET {walletAddress}/did.json`, as raw JSON.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn did_document(&self, wallet_address: &Url) -> Result<DidDocument, Error> {
        let url = join(wallet_address, "did.json")?;
        self.public_get("get-wallet-address-did-document", &url)
            .await
    }

    // ---- authorization server (signed) ----

    /// `POST {authServer}`: asks for a grant. Interactive requests answer
    /// [`GrantResponse::Pending`], non-interactive ones
    /// [`GrantResponse::Approved`].
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call; [`Error::Gnap`] when the server refuses.
    pub async fn request_grant(
        &self,
        auth_server: &Url,
        request: &GrantRequest,
    ) -> Result<GrantResponse, Error> {
        // Whoever built the request, it leaves in this client's form.
        let request = GrantRequest {
            client: request.client.clone().in_form(self.client_form),
            ..request.clone()
        };
        self.post_to_auth_server(auth_server, &request).await
    }

    /// `POST {authServer}` with `subject` and no `access_token`: asks the
    /// person to confirm at their wallet that they own a wallet address. The
    /// answer is [`GrantResponse::Pending`]; continuing after approval
    /// answers [`GrantResponse::Subject`].
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call; [`Error::Gnap`] when the server refuses.
    pub async fn request_subject(
        &self,
        auth_server: &Url,
        request: &crate::grant::SubjectRequest,
    ) -> Result<GrantResponse, Error> {
        let request = crate::grant::SubjectRequest {
            client: request.client.clone().in_form(self.client_form),
            ..request.clone()
        };
        self.post_to_auth_server(auth_server, &request).await
    }

    /// The one signed `POST {authServer}` that access and subject requests
    /// share; an interaction this client cannot do is refused in words.
    async fn post_to_auth_server<B: Serialize>(
        &self,
        auth_server: &Url,
        request: &B,
    ) -> Result<GrantResponse, Error> {
        self.call(
            "post-request",
            Method::POST,
            auth_server,
            Some(to_json(request)?),
            Auth::Signed,
            Side::Auth,
        )
        .await
        .map_err(crate::grant::refuse_unsupported_interaction)
    }

    /// `POST {continue.uri}` with `{"interact_ref":…}` after the person approved
    /// ([RFC 9635 §5.1](https://www.rfc-editor.org/rfc/rfc9635#section-5.1)).
    ///
    /// Sleeps `continue.wait` seconds first, as the server asks; on `too_fast`
    /// waits again and retries, at most the configured number of times.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn continue_grant(
        &self,
        pending: &Continue,
        interact_ref: &InteractRef,
    ) -> Result<GrantResponse, Error> {
        let wait = Duration::from_secs(pending.wait.unwrap_or(0));
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let body = to_json(&ContinueRequest {
            interact_ref: interact_ref.as_str().to_owned(),
        })?;
        let mut retries = 0;
        loop {
            let answer = self
                .call(
                    "post-continue",
                    Method::POST,
                    &pending.uri.0,
                    Some(body.clone()),
                    Auth::Token(pending.access_token.value.secret()),
                    Side::Auth,
                )
                .await;
            match answer {
                Err(error)
                    if error.gnap_code() == Some(&GnapErrorCode::TooFast)
                        && retries < self.too_fast_retries =>
                {
                    retries += 1;
                    tracing::debug!(retries, "too_fast; waiting before retrying");
                    tokio::time::sleep(wait.max(Duration::from_secs(1))).await;
                }
                answer => return answer,
            }
        }
    }

    /// `POST {continue.uri}` with an empty body, once, without waiting: asks
    /// the authorization server where the grant stands
    /// ([RFC 9635 §5.2](https://www.rfc-editor.org/rfc/rfc9635#section-5.2)).
    /// It changes nothing at the server. Rafiki answers a grant that has a
    /// `finish` method with `401 request_denied` whatever its state, and a
    /// cancelled one with `404`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call, including the server's answer.
    pub async fn poll_grant(&self, grant: &Continue) -> Result<GrantResponse, Error> {
        self.call(
            "post-continue",
            Method::POST,
            &grant.uri.0,
            Some(b"{}".to_vec()),
            Auth::Token(grant.access_token.value.secret()),
            Side::Auth,
        )
        .await
    }

    /// `DELETE {continue.uri}`: cancels the grant.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn cancel_grant(&self, grant: &Continue) -> Result<(), Error> {
        self.call_no_content(
            "delete-continue",
            Method::DELETE,
            &grant.uri.0,
            Auth::Token(grant.access_token.value.secret()),
            Side::Auth,
        )
        .await
    }

    /// `POST {manage}`: rotates the token; use the new value AND the new
    /// manage URI from the answer.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn rotate_token(
        &self,
        manage: &ManageUri,
        token: &AccessToken,
    ) -> Result<RotatedToken, Error> {
        self.call(
            "post-token",
            Method::POST,
            &manage.0,
            None,
            Auth::Token(token.secret()),
            Side::Auth,
        )
        .await
    }

    /// `DELETE {manage}`: revokes the token.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn revoke_token(&self, manage: &ManageUri, token: &AccessToken) -> Result<(), Error> {
        self.call_no_content(
            "delete-token",
            Method::DELETE,
            &manage.0,
            Auth::Token(token.secret()),
            Side::Auth,
        )
        .await
    }

    // ---- resource server (signed, with token) ----

    /// `POST {resourceServer}/incoming-payments`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn create_incoming_payment(
        &self,
        resource_server: &Url,
        token: &AccessToken,
        payment: &CreateIncomingPayment,
    ) -> Result<IncomingPayment, Error> {
        let url = join(resource_server, "incoming-payments")?;
        let body = to_json(payment)?;
        self.resource_call(
            "create-incoming-payment",
            Method::POST,
            &url,
            Some(body),
            token,
        )
        .await
    }

    /// `GET {incomingPayment}` with a token.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn get_incoming_payment(
        &self,
        url: &Url,
        token: &AccessToken,
    ) -> Result<IncomingPayment, Error> {
        self.resource_call("get-incoming-payment", Method::GET, url, None, token)
            .await
    }

    /// `GET {incomingPayment}` without a token: the public view, unsigned.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn get_public_incoming_payment(
        &self,
        url: &Url,
    ) -> Result<PublicIncomingPayment, Error> {
        self.public_get("get-incoming-payment", url).await
    }

    /// `GET {resourceServer}/incoming-payments?wallet-address=…`, one page.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn list_incoming_payments(
        &self,
        resource_server: &Url,
        token: &AccessToken,
        wallet_address: &Url,
        page: &PageQuery,
    ) -> Result<Page<IncomingPayment>, Error> {
        let url = list_url(resource_server, "incoming-payments", wallet_address, page)?;
        self.resource_call("list-incoming-payments", Method::GET, &url, None, token)
            .await
    }

    /// `POST {incomingPayment}/complete`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn complete_incoming_payment(
        &self,
        url: &Url,
        token: &AccessToken,
    ) -> Result<IncomingPayment, Error> {
        let url = join(url, "complete")?;
        self.resource_call("complete-incoming-payment", Method::POST, &url, None, token)
            .await
    }

    /// `POST {resourceServer}/quotes`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn create_quote(
        &self,
        resource_server: &Url,
        token: &AccessToken,
        quote: &CreateQuote,
    ) -> Result<Quote, Error> {
        let url = join(resource_server, "quotes")?;
        let body = to_json(quote)?;
        self.resource_call("create-quote", Method::POST, &url, Some(body), token)
            .await
    }

    /// `GET {quote}`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn get_quote(&self, url: &Url, token: &AccessToken) -> Result<Quote, Error> {
        self.resource_call("get-quote", Method::GET, url, None, token)
            .await
    }

    /// `POST {resourceServer}/outgoing-payments`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call; [`Error::is_budget_spent`] when the grant's
    /// budget does not cover it.
    pub async fn create_outgoing_payment(
        &self,
        resource_server: &Url,
        token: &AccessToken,
        payment: &CreateOutgoingPayment,
    ) -> Result<OutgoingPayment, Error> {
        let url = join(resource_server, "outgoing-payments")?;
        let body = to_json(payment)?;
        self.resource_call(
            "create-outgoing-payment",
            Method::POST,
            &url,
            Some(body),
            token,
        )
        .await
    }

    /// `GET {outgoingPayment}`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn get_outgoing_payment(
        &self,
        url: &Url,
        token: &AccessToken,
    ) -> Result<OutgoingPayment, Error> {
        self.resource_call("get-outgoing-payment", Method::GET, url, None, token)
            .await
    }

    /// `GET {resourceServer}/outgoing-payments?wallet-address=…`, one page.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn list_outgoing_payments(
        &self,
        resource_server: &Url,
        token: &AccessToken,
        wallet_address: &Url,
        page: &PageQuery,
    ) -> Result<Page<OutgoingPayment>, Error> {
        let url = list_url(resource_server, "outgoing-payments", wallet_address, page)?;
        self.resource_call("list-outgoing-payments", Method::GET, &url, None, token)
            .await
    }

    /// `GET {resourceServer}/outgoing-payment-grant`: what the grant has spent.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of a call.
    pub async fn outgoing_payment_grant(
        &self,
        resource_server: &Url,
        token: &AccessToken,
    ) -> Result<GrantSpentAmounts, Error> {
        let url = join(resource_server, "outgoing-payment-grant")?;
        self.resource_call("get-outgoing-payment-grant", Method::GET, &url, None, token)
            .await
    }
}

fn list_url(
    resource_server: &Url,
    collection: &str,
    wallet_address: &Url,
    page: &PageQuery,
) -> Result<Url, Error> {
    let mut url = join(resource_server, collection)?;
    url.query_pairs_mut()
        .append_pair("wallet-address", wallet_address.as_str());
    page.append_to(&mut url);
    Ok(url)
}

fn to_json<B: Serialize>(body: &B) -> Result<Vec<u8>, Error> {
    // Compact: the authorization server re-serializes with JSON.stringify
    // before checking Content-Digest.
    serde_json::to_vec(body).map_err(|error| Error::Config {
        reason: format!("the request body could not be written as JSON ({error})"),
    })
}

fn parse_json<R: DeserializeOwned>(body: &[u8], host: &str) -> Result<R, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| Error::InvalidResponse {
        host: host.to_owned(),
        path: error.path().to_string(),
        reason: error.inner().to_string(),
        body: crate::error::RawBody(body.to_vec()),
    })
}

/// Keeps the body of every answer; error answers become typed errors
/// (never `error_for_status`, which drops the body).
fn check_status(
    response: http::Response<Vec<u8>>,
    host: &str,
    side: Side,
) -> Result<Vec<u8>, Error> {
    let status = response.status();
    let body = response.into_body();
    if status.is_success() {
        return Ok(body);
    }
    let gnap = GnapError::from_json(&body).ok();
    if side == Side::Resource && (status == 401 || status == 403) {
        // Older wallets and proxies answer in plain text or HTML: read the
        // words in the raw body when there is no GNAP description.
        let description = match gnap.as_ref().and_then(|error| error.description.as_deref()) {
            Some(description) => description.to_ascii_lowercase(),
            None => String::from_utf8_lossy(&body).to_ascii_lowercase(),
        };
        // 401 is the token; a 403 is the token only when the wallet says it
        // is inactive. Rafiki answers a payment over the grant's limits with
        // 403 "unauthorized", which a rotation cannot change. A 403 that says
        // none of these may be the token: rotated once, as before.
        let problem = if status == 401 {
            TokenProblem::InvalidToken
        } else if description.contains("inactive") {
            TokenProblem::InactiveToken
        } else if description.contains("insufficient") {
            TokenProblem::InsufficientGrant
        } else if description.contains("unauthorized") {
            TokenProblem::OverLimit
        } else {
            TokenProblem::Unexplained
        };
        return Err(Error::Token {
            problem,
            status: status.as_u16(),
            host: host.to_owned(),
            body,
        });
    }
    match gnap {
        Some(error) => Err(Error::Gnap {
            status: status.as_u16(),
            host: host.to_owned(),
            error,
        }),
        None => Err(Error::Status {
            status: status.as_u16(),
            host: host.to_owned(),
            body,
        }),
    }
}

/// Reads the certificate authorities (one or more PEM certificates) in the
/// file at `path`, checked the way the HTTP client will use them.
///
/// # Errors
///
/// [`Error::Config`] saying what is wrong with the file: unreadable, no PEM
/// certificate in it, or a certificate that cannot be parsed.
pub fn read_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|error| Error::Config {
        reason: format!("the certificate file {shown} could not be read ({error})"),
    })?;
    let not_pem = || Error::Config {
        reason: format!(
            "{shown} is not a PEM certificate: give the certificate authority's certificate, \
             a text file that starts with -----BEGIN CERTIFICATE-----"
        ),
    };
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| not_pem())?;
    if roots.is_empty() {
        return Err(not_pem());
    }
    // The client builder parses them: a block that only looks like PEM is
    // refused now, not at the first request.
    let mut probe = reqwest::Client::builder();
    for root in &roots {
        probe = probe.add_root_certificate(root.clone());
    }
    probe.build().map_err(|error| Error::Config {
        reason: format!("{shown} holds a certificate that cannot be used ({error})"),
    })?;
    Ok(roots)
}

/// The TLS certificate problem somewhere in `error`'s chain, in words, if
/// the failure was the server's certificate.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    const MARK: &str = "invalid peer certificate: ";
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if let Some(at) = text.find(MARK) {
            let code = text[at + MARK.len()..].trim();
            return Some(
                match code {
                    "UnknownIssuer" => {
                        "it is signed by a certificate authority this computer does not know"
                    }
                    "NotValidForName" => "it is not made out to this address",
                    "Expired" => "it has expired",
                    "NotValidYet" => "it is not valid yet",
                    "Revoked" => "it was revoked",
                    _ => return Some(format!("it was refused ({code})")),
                }
                .to_owned(),
            );
        }
        next = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::grant::{ContinueAccessToken, ContinueUri};
    use crate::secret::ContinueToken;

    type Captured = Arc<Mutex<Vec<http::Request<Vec<u8>>>>>;

    /// A client whose transport records each request and answers `body`.
    fn new_client(status: u16, body: &'static str) -> (Client<impl Transport>, Captured) {
        let captured: Captured = Arc::default();
        let sink = captured.clone();
        let transport = move |request: http::Request<Vec<u8>>| {
            sink.lock().unwrap().push(request);
            async move {
                Ok(http::Response::builder()
                    .status(status)
                    .body(body.as_bytes().to_vec())
                    .unwrap())
            }
        };
        let client = Client::builder()
            .key(SigningKey::generate(), KeyId::new("k1").unwrap())
            .client_wallet("https://wallet.example/client")
            .build_with(transport)
            .unwrap();
        (client, captured)
    }

    #[tokio::test]
    async fn continuation_is_signed_with_gnap_token_and_digest() {
        let (client, captured) = new_client(400, r#"{"error":{"code":"user_denied"}}"#);
        let pending = Continue {
            access_token: ContinueAccessToken {
                value: ContinueToken::new("secret-continue"),
            },
            uri: ContinueUri("https://auth.example/continue/1".parse().unwrap()),
            wait: None,
        };
        let error = client
            .continue_grant(&pending, &InteractRef::new("ref-1"))
            .await
            .unwrap_err();
        assert_eq!(error.gnap_code(), Some(&GnapErrorCode::UserDenied));

        let requests = captured.lock().unwrap();
        assert_eq!(requests.len(), 1, "user_denied is not retried");
        let request = &requests[0];
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers()["authorization"], "GNAP secret-continue");
        assert_eq!(request.headers()["content-type"], "application/json");
        assert_eq!(request.body(), br#"{"interact_ref":"ref-1"}"#);
        let input = request.headers()["signature-input"].to_str().unwrap();
        assert!(
            input.starts_with(
                r#"sig1=("@method" "@target-uri" "authorization" "content-digest" "content-length" "content-type");keyid="k1";created="#
            ),
            "{input}"
        );
        assert!(request.headers()["content-digest"]
            .to_str()
            .unwrap()
            .starts_with("sha-512=:"));
    }

    #[tokio::test]
    async fn wallet_address_get_is_not_signed() {
        let (client, captured) = new_client(404, "");
        let error = client
            .wallet_address(&"https://wallet.example/alice".parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Status { status: 404, .. }));
        let requests = captured.lock().unwrap();
        assert!(!requests[0].headers().contains_key("signature-input"));
        assert!(!requests[0].headers().contains_key("authorization"));
        assert_eq!(requests[0].headers()["accept"], "application/json");
    }

    #[tokio::test]
    async fn a_403_is_a_limit_unless_the_wallet_says_the_token_is_inactive() {
        let answer = |status: u16, body: &'static str| async move {
            let (client, _) = new_client(status, body);
            client
                .get_outgoing_payment(
                    &"https://wallet.example/outgoing-payments/1"
                        .parse()
                        .unwrap(),
                    &AccessToken::new("t"),
                )
                .await
                .unwrap_err()
        };
        // Rafiki's answer to a payment over the grant's limits.
        let over = answer(
            403,
            r#"{"error":{"code":"forbidden","description":"unauthorized"}}"#,
        )
        .await;
        assert!(over.is_budget_spent(), "{over}");
        assert!(
            !over.needs_token_rotation(),
            "a rotation cannot lift a limit"
        );
        assert!(!over.is_insufficient_grant());
        let lacking = answer(
            403,
            r#"{"error":{"code":"403","description":"Insufficient Grant"}}"#,
        )
        .await;
        assert!(lacking.is_insufficient_grant() && !lacking.needs_token_rotation());
        let inactive = answer(
            403,
            r#"{"error":{"code":"403","description":"Inactive Token"}}"#,
        )
        .await;
        assert!(inactive.needs_token_rotation() && !inactive.is_budget_spent());
        let invalid = answer(
            401,
            r#"{"error":{"code":"401","description":"Invalid Token"}}"#,
        )
        .await;
        assert!(invalid.needs_token_rotation());
    }

    /// What `check_status` makes of a resource server's 401/403 `body`.
    fn refusal(status: u16, body: &str) -> Error {
        let response = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        check_status(response, "wallet.example", Side::Resource).unwrap_err()
    }

    fn problem(error: &Error) -> TokenProblem {
        match error {
            Error::Token { problem, .. } => *problem,
            other => panic!("expected a token error, got {other:?}"),
        }
    }

    #[test]
    fn a_403_without_a_gnap_description_is_read_from_its_words() {
        // Older wallets and proxies: empty, HTML, plain text.
        for body in ["", "<html><body><h1>403 Forbidden</h1></body></html>"] {
            let error = refusal(403, body);
            assert_eq!(problem(&error), TokenProblem::Unexplained, "{body:?}");
            assert!(
                error.needs_token_rotation() && !error.is_budget_spent(),
                "rotated once, never a spent budget: {body:?}"
            );
            assert_eq!(
                error.to_string(),
                "The wallet at wallet.example refused this (HTTP 403) without saying why, also \
                 with a new access token. Try again later; if it keeps refusing, ask the \
                 wallet's operator what this grant allows."
            );
        }
        let plain = refusal(403, "Unauthorized");
        assert_eq!(problem(&plain), TokenProblem::OverLimit);
        assert!(plain.is_budget_spent() && !plain.needs_token_rotation());
        assert_eq!(
            problem(&refusal(403, "Inactive Token")),
            TokenProblem::InactiveToken
        );
        assert_eq!(problem(&refusal(401, "")), TokenProblem::InvalidToken);
        let inactive = refusal(
            403,
            r#"{"error":{"code":"403","description":"Inactive Token"}}"#,
        );
        assert_eq!(problem(&inactive), TokenProblem::InactiveToken);
        let insufficient = refusal(
            403,
            r#"{"error":{"code":"403","description":"Insufficient Grant"}}"#,
        );
        assert_eq!(problem(&insufficient), TokenProblem::InsufficientGrant);
        assert!(insufficient.is_budget_spent() && !insufficient.needs_token_rotation());
        // A description nobody knows: perhaps the token, rotated once.
        let unknown = refusal(403, r#"{"error":{"code":"403","description":"Forbidden"}}"#);
        assert_eq!(problem(&unknown), TokenProblem::Unexplained);
    }
}
