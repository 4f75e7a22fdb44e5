use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use consent_desk_protocol::{
    http, AccessItem, Amount, Client, Continue, GnapErrorCode, GrantRequest, GrantResponse,
    IncomingPaymentAction, InteractRef, KeyId, Nonce, QuoteAction, SigningKey, TransportError,
    Verifier,
};

use crate::support::fixture;
use crate::support::openapi::{validate_text, Doc};
use crate::support::server::TestServer;
use crate::{client_with, key_and_jwks};

fn outgoing_grant(base: &str) -> GrantRequest {
    GrantRequest::outgoing_payment(format!("{base}/alice").parse().unwrap())
        .client(format!("{base}/client").parse().unwrap())
        .debit_amount(Amount {
            value: 500,
            asset_code: "USD".into(),
            asset_scale: 2,
        })
        .interval_str("R/2025-04-22T08:00:00Z/P1D")
        .finish(
            "http://localhost:3344/finish".parse().unwrap(),
            Nonce::new("client-nonce"),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn interactive_grant_request_is_signed_compact_and_pending() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, |seen, base| {
        match (seen.method.as_str(), seen.target.as_str()) {
            ("POST", "/auth") => (200, fixture("grant_pending.json", base)),
            _ => (404, String::new()),
        }
    })
    .await;
    let client = client_with(key, key_id, &server.base);
    let request = outgoing_grant(&server.base);

    let answer = client
        .request_grant(&server.url("/auth"), &request)
        .await
        .unwrap();
    let GrantResponse::Pending(pending) = answer else {
        panic!("expected a pending grant, got {answer:?}");
    };
    assert_eq!(
        pending.interact.redirect,
        server.url("/interact/4CF492MLVMSW9MKMXKHQ")
    );
    assert_eq!(
        pending.interact.finish,
        "4105340a-05eb-4290-8739-f9e2b463bfa7"
    );
    assert_eq!(
        pending.continue_.access_token.value.secret(),
        "33OMUKMKSKU80UPRY5NM"
    );
    assert_eq!(pending.continue_.wait, Some(5));

    let seen = &server.seen()[0];
    assert!(seen.signed, "the grant request must be signed and verify");
    assert!(!seen.headers.contains_key("authorization"));
    assert_eq!(seen.headers["content-type"], "application/json");
    assert_eq!(seen.body, serde_json::to_vec(&request).unwrap());
    assert!(!seen.body.contains(&b'\n') && !seen.body.windows(2).any(|w| w == b": "));
    validate_text(Doc::Auth, "/", "post", None, &seen.body);
}

#[tokio::test]
async fn non_interactive_grant_is_approved() {
    let (key, key_id, jwks) = key_and_jwks();
    let server =
        TestServer::start(jwks, |_, base| (200, fixture("grant_approved.json", base))).await;
    let client = client_with(key, key_id, &server.base);
    let request = GrantRequest::non_interactive(
        server.url("/client"),
        vec![
            AccessItem::IncomingPayment {
                actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
                identifier: Some(server.url("/alice")),
            },
            AccessItem::Quote {
                actions: vec![QuoteAction::Create, QuoteAction::Read],
            },
        ],
    );
    let answer = client
        .request_grant(&server.url("/auth"), &request)
        .await
        .unwrap();
    let GrantResponse::Approved(approved) = answer else {
        panic!("expected an approved grant");
    };
    assert_eq!(approved.access_token.expires_in, Some(3600));
    assert_eq!(
        approved.access_token.manage.0,
        server.url("/auth/token/8f69de01-5bf9-4603-91ed-eeca101081f1")
    );
    let seen = &server.seen()[0];
    assert!(seen.signed);
    validate_text(Doc::Auth, "/", "post", None, &seen.body);
}

fn pending_continue(base: &str, wait: Option<u64>) -> Continue {
    let pending: serde_json::Value =
        serde_json::from_str(&fixture("grant_pending.json", base)).unwrap();
    let mut cont: Continue = serde_json::from_value(pending["continue"].clone()).unwrap();
    cont.wait = wait;
    cont
}

#[tokio::test]
async fn continue_cancel_rotate_revoke_over_the_wire() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, |seen, base| {
        match (seen.method.as_str(), seen.target.as_str()) {
            ("POST", "/auth/continue/4CF492MLVMSW9MKMXKHQ") => {
                (200, fixture("grant_approved.json", base))
            }
            ("DELETE", "/auth/continue/4CF492MLVMSW9MKMXKHQ") => (204, String::new()),
            ("POST", "/auth/token/8f69de01-5bf9-4603-91ed-eeca101081f1") => {
                (200, fixture("token_rotated.json", base))
            }
            ("DELETE", "/auth/token/new-manage-id") => (204, String::new()),
            _ => (404, String::new()),
        }
    })
    .await;
    let client = client_with(key, key_id, &server.base);
    let cont = pending_continue(&server.base, None);

    let approved = match client
        .continue_grant(&cont, &InteractRef::new("ad82597c-bbfa"))
        .await
        .unwrap()
    {
        GrantResponse::Approved(approved) => approved,
        other => panic!("expected approval, got {other:?}"),
    };
    client.cancel_grant(&cont).await.unwrap();
    let rotated = client
        .rotate_token(&approved.access_token.manage, &approved.access_token.value)
        .await
        .unwrap();
    assert_eq!(
        rotated.access_token.value.secret(),
        "NEWTOKEN5BW7OZB8CDFONP219RP1LT0"
    );
    assert_eq!(
        rotated.access_token.manage.0,
        server.url("/auth/token/new-manage-id")
    );
    client
        .revoke_token(&rotated.access_token.manage, &rotated.access_token.value)
        .await
        .unwrap();

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|request| request.signed));
    assert_eq!(
        seen[0].headers["authorization"],
        "GNAP 33OMUKMKSKU80UPRY5NM"
    );
    assert_eq!(seen[0].body, br#"{"interact_ref":"ad82597c-bbfa"}"#);
    validate_text(Doc::Auth, "/continue/{id}", "post", None, &seen[0].body);
    assert_eq!(
        seen[1].headers["authorization"],
        "GNAP 33OMUKMKSKU80UPRY5NM"
    );
    assert_eq!(
        seen[2].headers["authorization"],
        "GNAP OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0"
    );
    assert!(seen[2].body.is_empty());
    assert_eq!(
        seen[3].headers["authorization"],
        "GNAP NEWTOKEN5BW7OZB8CDFONP219RP1LT0"
    );
}

/// A fake transport (no sockets, so tokio's paused clock is safe): verifies
/// each request's signature and answers `too_fast` the first `fast` times.
fn too_fast_client(
    fast: u32,
    retries: u32,
) -> (
    Client<impl consent_desk_protocol::Transport>,
    Arc<AtomicU32>,
) {
    let (key, key_id, jwks) = key_and_jwks();
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = attempts.clone();
    let transport = move |request: http::Request<Vec<u8>>| {
        let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let verified = Verifier::new()
            .verify(&request, &jwks, SystemTime::now())
            .is_ok();
        async move {
            assert!(verified, "the continuation must be signed");
            let (status, body) = if attempt <= fast {
                (400, fixture("error_too_fast.json", ""))
            } else {
                (200, fixture("grant_approved.json", "https://auth.example"))
            };
            Ok::<_, TransportError>(
                http::Response::builder()
                    .status(status)
                    .body(body.into_bytes())
                    .unwrap(),
            )
        }
    };
    let client = Client::builder()
        .key(key, key_id)
        .client_wallet("https://wallet.example/client")
        .too_fast_retries(retries)
        .build_with(transport)
        .unwrap();
    (client, attempts)
}

#[tokio::test(start_paused = true)]
async fn continue_waits_then_retries_after_too_fast() {
    let (client, attempts) = too_fast_client(2, 3);
    let cont = pending_continue("https://auth.example", Some(5));
    let start = tokio::time::Instant::now();
    let answer = client
        .continue_grant(&cont, &InteractRef::new("ref"))
        .await
        .unwrap();
    assert!(matches!(answer, GrantResponse::Approved(_)));
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    // 5 s before the first try, then 5 s before each of the two retries.
    assert!(
        start.elapsed() >= Duration::from_secs(15),
        "waited only {:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn continue_waits_before_the_first_try() {
    let (client, attempts) = too_fast_client(0, 3);
    let cont = pending_continue("https://auth.example", Some(30));
    let start = tokio::time::Instant::now();
    client
        .continue_grant(&cont, &InteractRef::new("ref"))
        .await
        .unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert!(start.elapsed() >= Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn too_fast_retries_are_bounded() {
    let (client, attempts) = too_fast_client(u32::MAX, 2);
    let cont = pending_continue("https://auth.example", Some(1));
    let error = client
        .continue_grant(&cont, &InteractRef::new("ref"))
        .await
        .unwrap_err();
    assert_eq!(error.gnap_code(), Some(&GnapErrorCode::TooFast));
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn an_observer_sees_every_request_and_never_a_token() {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, |seen, base| {
        match (seen.method.as_str(), seen.target.as_str()) {
            ("POST", "/auth/continue/4CF492MLVMSW9MKMXKHQ") => {
                (200, fixture("grant_approved.json", base))
            }
            _ => (404, String::new()),
        }
    })
    .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = Client::builder()
        .key(key, key_id)
        .client_wallet(&format!("{}/client", server.base))
        .allow_http_loopback(true)
        .observer(Arc::new(
            move |exchange: &consent_desk_protocol::Exchange| {
                log.lock().unwrap().push(exchange.clone());
            },
        ))
        .build()
        .unwrap();
    let pending = pending_continue(&server.base, None);
    let token = pending.access_token.value.secret().to_owned();
    client
        .continue_grant(&pending, &InteractRef::new("ad82597c-bbfa"))
        .await
        .unwrap();
    let missing = client
        .wallet_address(&server.url("/nobody"))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    let closed = Client::builder()
        .key(SigningKey::generate(), KeyId::new("k").unwrap())
        .client_wallet("http://127.0.0.1:9/client")
        .allow_http_loopback(true)
        .observer({
            let log = seen.clone();
            Arc::new(move |exchange: &consent_desk_protocol::Exchange| {
                log.lock().unwrap().push(exchange.clone());
            })
        })
        .build()
        .unwrap();
    assert!(closed
        .wallet_address(&"http://127.0.0.1:9/alice".parse().unwrap())
        .await
        .is_err());

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let (cont, public, failed) = (&seen[0], &seen[1], &seen[2]);
    assert_eq!(cont.operation, "post-continue");
    assert_eq!((cont.method.as_str(), cont.status), ("POST", Some(200)));
    assert!(cont.with_token);
    let input = cont.signature_input.as_deref().unwrap();
    assert!(
        input.contains("\"@method\"")
            && input.contains("\"authorization\"")
            && input.contains("keyid=\"test-key\""),
        "{input}"
    );
    assert_eq!(public.status, Some(404));
    assert!(public.signature_input.is_none() && !public.with_token);
    assert_eq!(failed.status, None);
    assert!(failed
        .failure
        .as_deref()
        .unwrap_or_default()
        .contains("127.0.0.1"));
    let printed = format!("{seen:?}");
    assert!(!printed.contains(&token), "no token in what is observed");
}
