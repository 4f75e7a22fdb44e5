//! What the sandbox refuses, as Rafiki refuses it: bad signatures, clients
//! that may not ask for interaction, finishes outside the session, reused
//! `interact_ref`s, early continuations, expired interactions.

use std::time::{Duration, SystemTime};

use consent_desk_protocol::{
    http, sign_request, AccessItem, Continue, FinishError, FinishOutcome, FinishResult,
    GrantRequest, IncomingPaymentAction, InteractRef, KeyId, Nonce, QuoteAction, SigningKey,
};
use consent_desk_sandbox::{Faults, ManualClock};

use crate::support::{approved, copy_key, send_signed, world, world_with, Browser, CLIENT_NAME};

/// A signed non-interactive grant request to alter before sending.
fn grant_request(world: &crate::support::World) -> http::Request<Vec<u8>> {
    let body = serde_json::to_vec(&GrantRequest::non_interactive(
        world.wallet(CLIENT_NAME),
        vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create],
            identifier: Some(world.wallet("alice")),
        }],
    ))
    .unwrap();
    http::Request::post(world.auth().as_str())
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

async fn refused(request: http::Request<Vec<u8>>, expected: &str) {
    let (status, body) = send_signed(request).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_client", "{body}");
    let description = body["error"]["description"].as_str().unwrap();
    assert!(
        description.contains(expected),
        "`{description}` should mention `{expected}`"
    );
}

#[tokio::test]
async fn signatures_are_checked_against_the_clients_jwks() {
    let world = world().await;
    let key = copy_key(&world.key);

    // A correct signature passes: the checks below fail for their own reason.
    let mut good = grant_request(&world);
    sign_request(&mut good, &key, &world.key_id, SystemTime::now()).unwrap();
    assert_eq!(send_signed(good).await.0, 200);

    let mut unknown_kid = grant_request(&world);
    sign_request(
        &mut unknown_kid,
        &key,
        &KeyId::new("not-published").unwrap(),
        SystemTime::now(),
    )
    .unwrap();
    refused(unknown_kid, "not-published").await;

    let mut other_key = grant_request(&world);
    sign_request(
        &mut other_key,
        &SigningKey::generate(),
        &world.key_id,
        SystemTime::now(),
    )
    .unwrap();
    refused(other_key, "does not match").await;

    let mut tampered = grant_request(&world);
    sign_request(&mut tampered, &key, &world.key_id, SystemTime::now()).unwrap();
    // Same length, still valid JSON, another wallet: only the digest can tell.
    let text = String::from_utf8(tampered.body().clone())
        .unwrap()
        .replace("/alice", "/carol");
    *tampered.body_mut() = text.into_bytes();
    refused(tampered, "Content-Digest").await;

    let mut stale = grant_request(&world);
    sign_request(
        &mut stale,
        &key,
        &world.key_id,
        SystemTime::now() - Duration::from_secs(600),
    )
    .unwrap();
    refused(stale, "created").await;

    // Drop the body components from the covered list: the verifier wants them.
    let mut partial = grant_request(&world);
    sign_request(&mut partial, &key, &world.key_id, SystemTime::now()).unwrap();
    let input = partial.headers()["signature-input"]
        .to_str()
        .unwrap()
        .to_owned();
    let narrowed = input.replace(r#" "content-digest" "content-length" "content-type""#, "");
    assert_ne!(input, narrowed);
    partial
        .headers_mut()
        .insert("signature-input", narrowed.parse().unwrap());
    refused(partial, "content-digest").await;

    let unsigned = grant_request(&world);
    refused(unsigned, "signature-input").await;
}

#[tokio::test]
async fn interactive_grants_need_a_named_client_wallet() {
    let world = world().await;
    // A client wallet address without publicName, with the test key.
    let admin = reqwest::Client::new();
    let base = world.sandbox.base_url();
    let created = admin
        .post(base.join("admin/wallet-addresses").unwrap())
        .json(&serde_json::json!({"name": "nameless"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let jwk = world.key.public_jwk(&world.key_id);
    let added = admin
        .post(base.join("admin/wallet-addresses/nameless/keys").unwrap())
        .json(&jwk)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);

    let request = GrantRequest::outgoing_payment(world.wallet("alice"))
        .client(world.wallet("nameless"))
        .finish(
            crate::support::FINISH_URI.parse().unwrap(),
            Nonce::generate(),
        )
        .build()
        .unwrap();
    let error = world
        .client
        .request_grant(&world.auth(), &request)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        error.gnap_code().map(|c| c.as_str()),
        Some("invalid_client")
    );
    assert!(error.to_string().contains("publicName"), "{error}");

    // A bare JWK is fine for a quote grant and refused for interaction.
    let mut jwk_only = request.clone();
    jwk_only.client = consent_desk_protocol::ClientIdentity::Jwk { jwk: jwk.clone() };
    let error = world
        .client
        .request_grant(&world.auth(), &jwk_only)
        .await
        .unwrap_err();
    assert_eq!(
        error.gnap_code().map(|c| c.as_str()),
        Some("invalid_client")
    );
    let mut quote = GrantRequest::non_interactive(
        world.wallet(CLIENT_NAME),
        vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }],
    );
    quote.client = consent_desk_protocol::ClientIdentity::Jwk { jwk };
    world
        .client
        .request_grant(&world.auth(), &quote)
        .await
        .unwrap();

    // Outgoing payments without interaction are refused.
    let mut silent = request;
    silent.interact = None;
    let error = world
        .client
        .request_grant(&world.auth(), &silent)
        .await
        .unwrap_err();
    assert_eq!(
        error.gnap_code().map(|c| c.as_str()),
        Some("invalid_request")
    );
    world.check_openapi();
}

#[tokio::test]
async fn the_finish_needs_the_session_and_works_once() {
    let world = world().await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let browser = Browser::new();
    let (page_url, html) = browser.open(&pending).await;
    assert!(html.contains("consent-approve"));

    // Another client (no cookie) can neither see the page nor finish.
    let stranger = Browser::new();
    let page = stranger.http.get(page_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 401);
    let step = browser.choose(&page_url, "accept").await;
    let replay = stranger.http.get(step.clone()).send().await.unwrap();
    assert_eq!(
        replay.status(),
        401,
        "a finish outside the session is refused"
    );

    let finish = browser.finish(&step).await;
    // The finish works once per session.
    assert_eq!(
        browser
            .http
            .get(step.clone())
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let FinishOutcome::Approved { interact_ref } = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap() else {
        panic!("expected approval")
    };
    // A made-up interact_ref is refused; the real one works once.
    let error = world
        .client
        .continue_grant(&pending.continue_, &InteractRef::new("made-up"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404), "{error}");
    approved(
        world
            .client
            .continue_grant(&pending.continue_, &interact_ref)
            .await
            .unwrap(),
    );
    let again = world
        .client
        .continue_grant(&pending.continue_, &interact_ref)
        .await
        .unwrap_err();
    // As at Rafiki: the grant is no longer `approved`.
    assert_eq!(
        (again.status(), again.gnap_code().map(|c| c.as_str())),
        (Some(401), Some("request_denied")),
        "{again}"
    );
    world.check_openapi();
}

#[tokio::test]
async fn rejection_and_expiry_reach_the_client_as_results() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|b| {
        b.clock(clock.clone())
            .interaction_lifetime(Duration::from_secs(60))
    })
    .await;

    let nonce = Nonce::generate();
    let rejected = world.pending(|b| b, &nonce).await;
    let finish = Browser::new().consent(&world, &rejected, "reject").await;
    let outcome = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(rejected.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap();
    assert!(
        matches!(
            outcome,
            FinishOutcome::Rejected {
                result: FinishResult::GrantRejected,
                ..
            }
        ),
        "{outcome:?}"
    );
    // Continuing a rejected grant finds nothing (Rafiki: 404).
    let error = world
        .client
        .continue_grant(&rejected.continue_, &InteractRef::new("x"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.gnap_code().map(|c| c.as_str())),
        (Some(404), Some("invalid_continuation"))
    );

    // The person opens the page, then waits past the interaction lifetime.
    let late = world.pending(|b| b, &nonce).await;
    let browser = Browser::new();
    let (page_url, _) = browser.open(&late).await;
    clock.advance(Duration::from_secs(61));
    let page = browser.http.get(page_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 410, "the page says the request expired");
    let finish_step = late
        .interact
        .redirect
        .join(&format!("{}/finish", late.interact.redirect.path()))
        .unwrap();
    let finish = browser.finish(&finish_step).await;
    let outcome = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(late.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap();
    assert!(
        matches!(
            outcome,
            FinishOutcome::Rejected {
                result: FinishResult::InvalidInteraction,
                ..
            }
        ),
        "{outcome:?}"
    );

    // Starting an expired interaction redirects straight back with the result.
    let never_opened = world.pending(|b| b, &nonce).await;
    clock.advance(Duration::from_secs(61));
    let start = Browser::new()
        .http
        .get(never_opened.interact.redirect.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    assert!(start.headers()["location"]
        .to_str()
        .unwrap()
        .contains("result=invalid_interaction"));
}

#[tokio::test]
async fn continuing_before_wait_is_too_fast() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|b| b.clock(clock.clone()).wait_seconds(30)).await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    assert_eq!(pending.continue_.wait, Some(30));
    let finish = Browser::new().consent(&world, &pending, "accept").await;
    let FinishOutcome::Approved { interact_ref } = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap() else {
        panic!("expected approval")
    };
    // A client that ignores `wait` (and does not retry) is told `too_fast`.
    let impatient = consent_desk_protocol::Client::builder()
        .key(copy_key(&world.key), world.key_id.clone())
        .client_wallet(world.wallet(CLIENT_NAME).as_str())
        .allow_http_loopback(true)
        .too_fast_retries(0)
        .build()
        .unwrap();
    let no_wait = Continue {
        wait: None,
        ..pending.continue_.clone()
    };
    let error = impatient
        .continue_grant(&no_wait, &interact_ref)
        .await
        .unwrap_err();
    assert_eq!(
        error.gnap_code().map(|c| c.as_str()),
        Some("too_fast"),
        "{error}"
    );
    // After `wait` (on the sandbox's clock) the same continuation succeeds.
    clock.advance(Duration::from_secs(30));
    approved(
        impatient
            .continue_grant(&no_wait, &interact_ref)
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn the_idp_back_channel_needs_its_secret() {
    let world = world().await;
    let pending = world.pending(|b| b, &Nonce::generate()).await;
    let path = pending.interact.redirect.path().to_owned();
    let (id, nonce) = {
        let mut parts = path.rsplit('/');
        let nonce = parts.next().unwrap().to_owned();
        (parts.next().unwrap().to_owned(), nonce)
    };
    let grant_url = world
        .sandbox
        .base_url()
        .join(&format!("idp/grant/{id}/{nonce}"))
        .unwrap();
    let http = reqwest::Client::new();
    let wrong = http
        .get(grant_url.clone())
        .header("x-idp-secret", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http
        .get(grant_url.clone())
        .header("x-idp-secret", world.sandbox.idp_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let body: serde_json::Value = right.json().await.unwrap();
    assert_eq!(body["access"][0]["type"], "outgoing-payment");
    // `auth-server-idp.yaml`'s `access` is auth-server.yaml's.
    crate::support::openapi::validate_at(
        crate::support::openapi::Doc::Auth,
        "/components/schemas/access",
        &body["access"],
    );
    let accept = format!("{grant_url}/accept");
    assert_eq!(
        http.post(&accept)
            .header("x-idp-secret", "guess")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.post(&accept)
            .header("x-idp-secret", world.sandbox.idp_secret())
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    // Decided grants are no longer offered.
    assert_eq!(
        http.post(&accept)
            .header("x-idp-secret", world.sandbox.idp_secret())
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_wrong_finish_hash_is_caught_by_the_client() {
    let world = world_with(|b| {
        b.faults(Faults {
            wrong_finish_hash: true,
            ..Faults::default()
        })
    })
    .await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let finish = Browser::new().consent(&world, &pending, "accept").await;
    let error = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap_err();
    assert!(matches!(error, FinishError::HashMismatch), "{error:?}");
}

#[tokio::test]
async fn spent_amounts_are_read_only_with_a_signed_request() {
    // Servers require the signature here since 2026-08; a client that reads
    // its budget unsigned must be told so, not be answered.
    let world = world().await;
    let grant = world
        .approved("alice", |b| {
            b.debit_amount(crate::support::amount(500, "USD", 2))
        })
        .await;
    let token = &grant.access_token.value;
    let signed = world
        .client
        .outgoing_payment_grant(&world.rs(), token)
        .await
        .expect("a signed read of the spent amounts is answered");
    assert!(signed.spent_debit_amount.is_none(), "nothing spent yet");

    let read = |signature: Option<&SigningKey>| {
        let mut request = http::Request::get(format!("{}/outgoing-payment-grant", world.rs()))
            .header("authorization", format!("GNAP {}", token.secret()))
            .body(Vec::new())
            .unwrap();
        if let Some(key) = signature {
            sign_request(&mut request, key, &world.key_id, SystemTime::now()).unwrap();
        }
        request
    };
    let (status, body) = send_signed(read(None)).await;
    assert_eq!(status, 401, "an unsigned read is refused: {body}");
    let (status, body) = send_signed(read(Some(&SigningKey::generate()))).await;
    assert_eq!(
        status, 401,
        "a read signed by another key is refused: {body}"
    );
    let (status, body) = send_signed(read(Some(&copy_key(&world.key)))).await;
    assert_eq!(status, 200, "the same request signed by the client: {body}");
}
