//! A sandbox per test (its own temp folder and port), a Rust client whose every
//! exchange is recorded and checked against the OpenAPI documents, and a
//! cookie-keeping "browser" for the consent step.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    http, AccessItem, Amount, ApprovedGrant, Client, CreateIncomingPayment, GrantRequest,
    GrantResponse, IncomingPayment, IncomingPaymentAction, KeyId, Nonce,
    OutgoingPaymentGrantBuilder, PendingGrant, SigningKey, Transport, TransportFuture,
};
use consent_desk_sandbox::{AccountBalance, RunningSandbox, Sandbox, SandboxBuilder};

#[path = "../../../protocol/tests/support/openapi.rs"]
#[allow(dead_code)]
pub(crate) mod openapi;

/// Where `openapi.rs` finds the documents.
pub(crate) const OPENAPI_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/tests/fixtures/openapi"
);

pub(crate) const CLIENT_NAME: &str = "consent-desk";
pub(crate) const FINISH_URI: &str = "http://127.0.0.1:9/finish";

/// One request and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) method: String,
    pub(crate) url: Url,
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// A transport that records every exchange.
#[derive(Clone)]
pub(crate) struct Recorder {
    http: reqwest::Client,
    pub(crate) log: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    pub(crate) fn new(log: Arc<Mutex<Vec<Exchange>>>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { http, log }
    }
}

impl Transport for Recorder {
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
        Box::pin(async move {
            let method = request.method().to_string();
            let url = Url::parse(&request.uri().to_string()).unwrap();
            let response = self.http.send(request).await?;
            self.log.lock().unwrap().push(Exchange {
                method,
                url,
                status: response.status().as_u16(),
                body: response.body().clone(),
            });
            Ok(response)
        })
    }
}

pub(crate) struct World {
    pub(crate) sandbox: RunningSandbox,
    pub(crate) client: Client<Recorder>,
    pub(crate) key: SigningKey,
    pub(crate) key_id: KeyId,
    pub(crate) log: Arc<Mutex<Vec<Exchange>>>,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) fn key_and_id() -> (SigningKey, KeyId) {
    (
        SigningKey::generate(),
        KeyId::new("consent-desk-test-1").unwrap(),
    )
}

/// A sandbox with `wait` 0 and the test client's key published.
pub(crate) async fn world() -> World {
    world_with(|builder| builder).await
}

pub(crate) async fn world_with(configure: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (key, key_id) = key_and_id();
    let builder = Sandbox::builder(dir.path()).wait_seconds(0).client_wallet(
        CLIENT_NAME,
        "Consent Desk",
        key.public_jwk(&key_id),
    );
    let sandbox = configure(builder).start().await.unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = client_for(&sandbox, &key, &key_id, log.clone());
    World {
        sandbox,
        client,
        key,
        key_id,
        log,
        dir,
    }
}

pub(crate) fn client_for(
    sandbox: &RunningSandbox,
    key: &SigningKey,
    key_id: &KeyId,
    log: Arc<Mutex<Vec<Exchange>>>,
) -> Client<Recorder> {
    client_named(sandbox, CLIENT_NAME, key, key_id, log)
}

/// A recorded client signing as the wallet address `name`.
pub(crate) fn client_named(
    sandbox: &RunningSandbox,
    name: &str,
    key: &SigningKey,
    key_id: &KeyId,
    log: Arc<Mutex<Vec<Exchange>>>,
) -> Client<Recorder> {
    Client::builder()
        .key(copy_key(key), key_id.clone())
        .client_wallet(sandbox.wallet_address(name).as_str())
        .allow_http_loopback(true)
        .build_with(Recorder::new(log))
        .unwrap()
}

/// A copy of a key (keys are not `Clone`, on purpose).
pub(crate) fn copy_key(key: &SigningKey) -> SigningKey {
    SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap()
}

impl World {
    pub(crate) fn wallet(&self, name: &str) -> Url {
        self.sandbox.wallet_address(name)
    }

    pub(crate) fn auth(&self) -> Url {
        self.sandbox.auth_server()
    }

    pub(crate) fn rs(&self) -> Url {
        self.sandbox.base_url().join("rs").unwrap()
    }

    pub(crate) fn balance(&self, name: &str) -> u64 {
        self.account(name).balance
    }

    pub(crate) fn account(&self, name: &str) -> AccountBalance {
        self.sandbox
            .accounts()
            .unwrap()
            .into_iter()
            .find(|account| account.name == name)
            .unwrap()
    }

    /// A non-interactive grant for `access`.
    pub(crate) async fn grant_now(&self, access: Vec<AccessItem>) -> ApprovedGrant {
        let request = GrantRequest::non_interactive(self.wallet(CLIENT_NAME), access);
        match self
            .client
            .request_grant(&self.auth(), &request)
            .await
            .unwrap()
        {
            GrantResponse::Approved(grant) => grant,
            _ => panic!("expected a non-interactive grant"),
        }
    }

    /// An incoming payment at `receiver` expecting `value` (in its asset).
    pub(crate) async fn incoming_payment(
        &self,
        receiver: &str,
        value: Option<u64>,
    ) -> IncomingPayment {
        let grant = self
            .grant_now(vec![AccessItem::IncomingPayment {
                actions: vec![
                    IncomingPaymentAction::Create,
                    IncomingPaymentAction::Read,
                    IncomingPaymentAction::Complete,
                ],
                identifier: Some(self.wallet(receiver)),
            }])
            .await;
        let account = self.account(receiver);
        self.client
            .create_incoming_payment(
                &self.rs(),
                &grant.access_token.value,
                &CreateIncomingPayment {
                    wallet_address: self.wallet(receiver),
                    incoming_amount: value.map(|value| Amount {
                        value,
                        asset_code: account.asset_code.clone(),
                        asset_scale: account.asset_scale,
                    }),
                    expires_at: None,
                    metadata: None,
                },
            )
            .await
            .unwrap()
    }

    /// An outgoing-payment grant request from alice, pending interaction.
    pub(crate) async fn pending(
        &self,
        build: impl FnOnce(OutgoingPaymentGrantBuilder) -> OutgoingPaymentGrantBuilder,
        client_nonce: &Nonce,
    ) -> PendingGrant {
        self.pending_from("alice", build, client_nonce).await
    }

    /// An outgoing-payment grant request from `sender`, pending interaction.
    pub(crate) async fn pending_from(
        &self,
        sender: &str,
        build: impl FnOnce(OutgoingPaymentGrantBuilder) -> OutgoingPaymentGrantBuilder,
        client_nonce: &Nonce,
    ) -> PendingGrant {
        let request = build(
            GrantRequest::outgoing_payment(self.wallet(sender))
                .client(self.wallet(CLIENT_NAME))
                .finish(Url::parse(FINISH_URI).unwrap(), client_nonce.clone()),
        )
        .build()
        .unwrap();
        match self
            .client
            .request_grant(&self.auth(), &request)
            .await
            .unwrap()
        {
            GrantResponse::Pending(pending) => pending,
            _ => panic!("expected a pending grant"),
        }
    }

    /// Requests, approves in the browser and continues an outgoing-payment
    /// grant from `sender`.
    pub(crate) async fn approved(
        &self,
        sender: &str,
        build: impl FnOnce(OutgoingPaymentGrantBuilder) -> OutgoingPaymentGrantBuilder,
    ) -> ApprovedGrant {
        let nonce = Nonce::generate();
        let pending = self.pending_from(sender, build, &nonce).await;
        let finish = Browser::new().consent(self, &pending, "accept").await;
        let outcome = consent_desk_protocol::verify_finish(
            finish.as_str(),
            &nonce,
            &Nonce::new(pending.interact.finish.clone()),
            self.auth().as_str(),
        )
        .unwrap();
        let consent_desk_protocol::FinishOutcome::Approved { interact_ref } = outcome else {
            panic!("expected approval, got {outcome:?}");
        };
        approved(
            self.client
                .continue_grant(&pending.continue_, &interact_ref)
                .await
                .unwrap(),
        )
    }

    /// Every recorded answer matches its operation in the OpenAPI documents.
    pub(crate) fn check_openapi(&self) -> usize {
        let log = self.log.lock().unwrap().clone();
        let mut checked = 0;
        for exchange in &log {
            let Some((doc, template)) = operation(&exchange.url) else {
                panic!(
                    "no OpenAPI operation for {} {}",
                    exchange.method, exchange.url
                );
            };
            let method = exchange.method.to_ascii_lowercase();
            if exchange.body.is_empty() {
                assert!(
                    exchange.status == 204 || exchange.status >= 400,
                    "{} {} answered {} with no body",
                    exchange.method,
                    exchange.url,
                    exchange.status
                );
                continue;
            }
            let instance: serde_json::Value = serde_json::from_slice(&exchange.body)
                .unwrap_or_else(|_| {
                    panic!("{} {} answered non-JSON", exchange.method, exchange.url)
                });
            match openapi::response_schema(doc, template, &method, exchange.status) {
                Some(pointer) => {
                    openapi::validate_at(doc, &pointer, &instance);
                    checked += 1;
                }
                None => assert!(
                    exchange.status >= 400,
                    "{} {} answered {}, which the OpenAPI documents do not describe",
                    exchange.method,
                    exchange.url,
                    exchange.status
                ),
            }
        }
        checked
    }
}

/// The OpenAPI document and path template of a sandbox URL.
pub(crate) fn operation(url: &Url) -> Option<(openapi::Doc, &'static str)> {
    use openapi::Doc;
    let segments: Vec<&str> = url.path().trim_matches('/').split('/').collect();
    Some(match segments.as_slice() {
        // `{base}/{tenantId}`: the grant request of the sandbox's tenant.
        ["auth", tenant] if *tenant == consent_desk_sandbox::TENANT_ID => (Doc::Auth, "/"),
        ["auth", "continue", _] => (Doc::Auth, "/continue/{id}"),
        ["auth", "token", _] => (Doc::Auth, "/token/{id}"),
        ["rs", "incoming-payments"] => (Doc::Resource, "/incoming-payments"),
        ["rs", "incoming-payments", _] => (Doc::Resource, "/incoming-payments/{id}"),
        ["rs", "incoming-payments", _, "complete"] => {
            (Doc::Resource, "/incoming-payments/{id}/complete")
        }
        ["rs", "quotes"] => (Doc::Resource, "/quotes"),
        ["rs", "quotes", _] => (Doc::Resource, "/quotes/{id}"),
        ["rs", "outgoing-payments"] => (Doc::Resource, "/outgoing-payments"),
        ["rs", "outgoing-payments", _] => (Doc::Resource, "/outgoing-payments/{id}"),
        ["rs", "outgoing-payment-grant"] => (Doc::Resource, "/outgoing-payment-grant"),
        [_, "jwks.json"] => (Doc::WalletAddress, "/jwks.json"),
        [_, "did.json"] => (Doc::WalletAddress, "/did.json"),
        [_] => (Doc::WalletAddress, "/"),
        _ => return None,
    })
}

/// A cookie-keeping HTTP client that walks the consent step as a browser
/// would, without following redirects on its own.
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// `interact.redirect` → consent page; returns the consent page URL and HTML.
    pub(crate) async fn open(&self, pending: &PendingGrant) -> (Url, String) {
        let (page_url, csp, html) = self.open_page(pending).await;
        // Browsers apply form-action to the redirects after the form: the
        // consent page must allow the way back to the client.
        assert!(
            csp.contains("form-action 'self' http://127.0.0.1:9;"),
            "{csp}"
        );
        (page_url, html)
    }

    /// [`open`](Self::open) for a grant with no finish URI (no way back).
    pub(crate) async fn open_without_finish(&self, pending: &PendingGrant) -> (Url, String) {
        let (page_url, csp, html) = self.open_page(pending).await;
        assert!(csp.contains("form-action 'self';"), "{csp}");
        (page_url, html)
    }

    async fn open_page(&self, pending: &PendingGrant) -> (Url, String, String) {
        let start = self
            .http
            .get(pending.interact.redirect.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 302, "interact.redirect answers 302");
        let page_url = pending
            .interact
            .redirect
            .join(start.headers()["location"].to_str().unwrap())
            .unwrap();
        let page = self.http.get(page_url.clone()).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        (page_url, csp, page.text().await.unwrap())
    }

    /// Submits the consent form; returns the finish step URL.
    pub(crate) async fn choose(&self, page_url: &Url, choice: &str) -> Url {
        let answer = self
            .http
            .post(page_url.clone())
            .form(&[("choice", choice)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303, "the consent form answers 303");
        page_url
            .join(answer.headers()["location"].to_str().unwrap())
            .unwrap()
    }

    /// GETs the finish step; returns where it redirects (the client's finish URI).
    pub(crate) async fn finish(&self, finish_step: &Url) -> Url {
        let answer = self.http.get(finish_step.clone()).send().await.unwrap();
        assert_eq!(
            answer.status(),
            302,
            "the finish step answers 302: {:?}",
            answer.text().await
        );
        Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
    }

    /// The whole consent step; returns the redirect to the client.
    pub(crate) async fn consent(
        &self,
        _world: &World,
        pending: &PendingGrant,
        choice: &str,
    ) -> Url {
        let (page_url, _) = self.open(pending).await;
        let step = self.choose(&page_url, choice).await;
        self.finish(&step).await
    }
}

/// A signed request sent without the client, to try what a client would not.
pub(crate) async fn send_signed(request: http::Request<Vec<u8>>) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let request = reqwest::Request::try_from(request).unwrap();
    let response = http.execute(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// The approved grant of a continuation answer.
pub(crate) fn approved(response: GrantResponse) -> ApprovedGrant {
    match response {
        GrantResponse::Approved(grant) => grant,
        _ => panic!("expected an approved grant"),
    }
}

/// `value` in the smallest unit of `asset`/`scale`.
pub(crate) fn amount(value: u64, asset: &str, scale: u8) -> Amount {
    Amount {
        value,
        asset_code: asset.into(),
        asset_scale: scale,
    }
}
