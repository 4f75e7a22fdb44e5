//! Conformance with the reference server (Rafiki 2.x, auth server and
//! identity provider interface, as probed in August 2026): one test per
//! behaviour the sandbox once did differently.

use std::time::{Duration, SystemTime};

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    http, sign_request, FinishOutcome, FinishResult, GrantRequest, GrantResponse, Nonce,
    PendingGrant,
};
use consent_desk_sandbox::ManualClock;

use crate::support::{copy_key, world, world_with, Browser, World, CLIENT_NAME, FINISH_URI};

/// The interaction id and nonce of `interact.redirect`.
fn interaction_of(pending: &PendingGrant) -> (String, String) {
    let mut parts = pending.interact.redirect.path().rsplit('/');
    let nonce = parts.next().unwrap().to_owned();
    (parts.next().unwrap().to_owned(), nonce)
}

/// `/auth/interact/{id}/{nonce}/finish` of a pending grant.
fn finish_step(pending: &PendingGrant) -> Url {
    let mut step = pending.interact.redirect.clone();
    step.set_query(None);
    step.set_path(&format!("{}/finish", step.path()));
    step
}

/// What a finish redirect says, checked as the app checks it.
fn outcome(world: &World, finish: &Url, nonce: &Nonce, pending: &PendingGrant) -> FinishOutcome {
    consent_desk_protocol::verify_finish(
        finish.as_str(),
        nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap()
}

fn rejected(outcome: &FinishOutcome) -> (&FinishResult, Option<&str>) {
    match outcome {
        FinishOutcome::Rejected { result, message } => (result, message.as_deref()),
        other => panic!("expected a failure redirect, got {other:?}"),
    }
}

#[tokio::test]
async fn finishing_before_the_person_chose_redirects_with_grant_invalid() {
    let world = world().await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let browser = Browser::new();
    browser.open(&pending).await;
    // The browser goes to the finish step without a choice.
    let finish = browser.finish(&finish_step(&pending)).await;
    assert!(finish.as_str().starts_with(FINISH_URI), "{finish}");
    let outcome = outcome(&world, &finish, &nonce, &pending);
    assert_eq!(rejected(&outcome).0, &FinishResult::GrantInvalid);
}

#[tokio::test]
async fn the_consent_link_of_a_cancelled_grant_redirects_with_invalid_interaction() {
    let world = world().await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    world.client.cancel_grant(&pending.continue_).await.unwrap();
    let start = Browser::new()
        .http
        .get(pending.interact.redirect.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let finish = Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    let outcome = outcome(&world, &finish, &nonce, &pending);
    assert_eq!(
        rejected(&outcome),
        (
            &FinishResult::InvalidInteraction,
            Some("invalid interaction")
        )
    );
}

#[tokio::test]
async fn finishing_a_revoked_grant_redirects_with_unknown_interaction() {
    let world = world().await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let browser = Browser::new();
    let (page_url, _) = browser.open(&pending).await;
    let step = browser.choose(&page_url, "accept").await;
    // The client gives up (cancels) while the browser is on its way back.
    world.client.cancel_grant(&pending.continue_).await.unwrap();
    let finish = browser.finish(&step).await;
    let outcome = outcome(&world, &finish, &nonce, &pending);
    assert_eq!(
        rejected(&outcome),
        (
            &FinishResult::UnknownInteraction,
            Some("unknown interaction")
        )
    );
}

#[tokio::test]
async fn an_expired_interaction_redirects_with_its_message_before_the_session_is_checked() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let world = world_with(|b| {
        b.clock(clock.clone())
            .interaction_lifetime(Duration::from_secs(60))
    })
    .await;
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    Browser::new().open(&pending).await;
    clock.advance(Duration::from_secs(61));
    // Another browser, without the session cookie, still hears "expired".
    let finish = Browser::new().finish(&finish_step(&pending)).await;
    let outcome = outcome(&world, &finish, &nonce, &pending);
    assert_eq!(
        rejected(&outcome),
        (
            &FinishResult::InvalidInteraction,
            Some("interaction expired")
        )
    );
}

/// `POST {continue uri}` with no `interact_ref`, signed: what a client that
/// asked for no finish sends once the person approved.
async fn continue_without_interact_ref(
    world: &World,
    pending: &PendingGrant,
) -> (u16, serde_json::Value) {
    let mut request = http::Request::post(pending.continue_.uri.0.as_str())
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("GNAP {}", pending.continue_.access_token.value.secret()),
        )
        .body(b"{}".to_vec())
        .unwrap();
    sign_request(
        &mut request,
        &copy_key(&world.key),
        &world.key_id,
        SystemTime::now(),
    )
    .unwrap();
    crate::support::send_signed(request).await
}

#[tokio::test]
async fn an_interactive_grant_without_finish_is_allowed_and_continues_without_interact_ref() {
    let world = world().await;
    let mut request = GrantRequest::outgoing_payment(world.wallet("alice"))
        .client(world.wallet(CLIENT_NAME))
        .finish(Url::parse(FINISH_URI).unwrap(), Nonce::generate())
        .build()
        .unwrap();
    request.interact.as_mut().unwrap().finish = None;
    let GrantResponse::Pending(pending) = world
        .client
        .request_grant(&world.auth(), &request)
        .await
        .unwrap()
    else {
        panic!("expected a pending grant")
    };
    world.check_openapi();
    // Not approved yet: continuing is denied.
    let (status, body) = continue_without_interact_ref(&world, &pending).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &"request_denied".into())
    );

    let browser = Browser::new();
    let (page_url, _) = browser.open_without_finish(&pending).await;
    let step = browser.choose(&page_url, "accept").await;
    // Nowhere to send the person back: the finish step says it is done.
    let done = browser.http.get(step).send().await.unwrap();
    assert_eq!(done.status(), 202);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("You approved the request"));

    let (status, body) = continue_without_interact_ref(&world, &pending).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"]["value"].is_string(), "{body}");
}

#[tokio::test]
async fn the_idp_grant_details_are_grant_id_access_and_state() {
    let world = world().await;
    let pending = world.pending(|b| b, &Nonce::generate()).await;
    let (id, nonce) = interaction_of(&pending);
    let details_url = world
        .sandbox
        .base_url()
        .join(&format!("idp/grant/{id}/{nonce}"))
        .unwrap();
    let http = reqwest::Client::new();
    let details = || async {
        let answer = http
            .get(details_url.clone())
            .header("x-idp-secret", world.sandbox.idp_secret())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answer.json::<serde_json::Value>().await.unwrap()
    };
    let body = details().await;
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access", "grantId", "state"]
    );
    assert!(uuid_like(body["grantId"].as_str().unwrap()), "{body}");
    assert_eq!(body["state"], "PENDING");
    validate_idp_grant(&body);

    let accepted = http
        .post(format!("{details_url}/accept"))
        .header("x-idp-secret", world.sandbox.idp_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(details().await["state"], "APPROVED");

    // A cancelled grant is unknown to the IdP.
    world.client.cancel_grant(&pending.continue_).await.unwrap();
    let gone = http
        .get(details_url.clone())
        .header("x-idp-secret", world.sandbox.idp_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.bytes().filter(|b| *b == b'-').count() == 4
}

/// Validates a grant-details answer against `auth-server-idp.yaml`, whose
/// properties point into `auth-server.yaml`.
fn validate_idp_grant(body: &serde_json::Value) {
    let path = std::path::Path::new(crate::support::OPENAPI_DIR).join("auth-server-idp.yaml");
    let document: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let schema = document
        .pointer("/paths/~1grant~1{id}~1{nonce}/get/responses/200/content/application~1json/schema")
        .expect("the IdP document describes the grant details");
    let properties = schema["properties"].as_object().unwrap();
    assert!(!properties.is_empty());
    for (name, property) in properties {
        let reference = property["$ref"].as_str().unwrap();
        let pointer = reference
            .strip_prefix("./auth-server.yaml#")
            .unwrap_or_else(|| panic!("{name}: a reference this test cannot follow: {reference}"));
        crate::support::openapi::validate_at(
            crate::support::openapi::Doc::Auth,
            pointer,
            &body[name.as_str()],
        );
    }
}

#[tokio::test]
async fn the_auth_server_is_per_tenant_and_the_finish_hash_covers_it() {
    let world = world().await;
    let auth = world.auth();
    assert_eq!(
        auth.path(),
        format!("/auth/{}", consent_desk_sandbox::TENANT_ID)
    );
    let alice = world
        .client
        .wallet_address(&world.wallet("alice"))
        .await
        .unwrap();
    assert_eq!(alice.auth_server, auth);

    // The bare base, and another tenant, answer 404.
    let quote = GrantRequest::non_interactive(
        world.wallet(CLIENT_NAME),
        vec![consent_desk_protocol::AccessItem::Quote {
            actions: vec![consent_desk_protocol::QuoteAction::Create],
        }],
    );
    for other in ["auth", "auth/00000000-0000-4000-8000-000000000000"] {
        let url = world.sandbox.base_url().join(other).unwrap();
        let error = world.client.request_grant(&url, &quote).await.unwrap_err();
        assert_eq!(error.status(), Some(404), "{url}: {error}");
    }

    // The finish hash is computed over the tenant's URL, not the bare base.
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let finish = Browser::new().consent(&world, &pending, "accept").await;
    let bare = world.sandbox.base_url().join("auth").unwrap();
    assert!(consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        bare.as_str(),
    )
    .is_err());
    assert!(matches!(
        outcome(&world, &finish, &nonce, &pending),
        FinishOutcome::Approved { .. }
    ));
}

#[tokio::test]
async fn the_interaction_start_hands_the_idp_the_client_name_and_uri() {
    let world = world().await;
    let pending = world.pending(|b| b, &Nonce::generate()).await;
    let client = world.wallet(CLIENT_NAME);
    let query = |url: &Url, name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let redirect = &pending.interact.redirect;
    assert_eq!(
        query(redirect, "clientName").as_deref(),
        Some("Consent Desk")
    );
    assert_eq!(
        query(redirect, "clientUri").as_deref(),
        Some(client.as_str())
    );

    let browser = Browser::new();
    let (page_url, html) = browser.open(&pending).await;
    let (id, nonce) = interaction_of(&pending);
    // The IdP is apart from the GNAP API: its own path, told who asks.
    assert_eq!(page_url.path(), "/idp/consent");
    assert_eq!(query(&page_url, "interactId"), Some(id));
    assert_eq!(query(&page_url, "nonce"), Some(nonce));
    assert_eq!(
        query(&page_url, "clientName").as_deref(),
        Some("Consent Desk")
    );
    assert_eq!(
        query(&page_url, "clientUri").as_deref(),
        Some(client.as_str())
    );
    assert!(html.contains("Consent Desk"));
    // The GNAP API no longer serves the IdP's back channel.
    let old = world
        .sandbox
        .base_url()
        .join(&format!(
            "auth/grant/{}/{}",
            interaction_of(&pending).0,
            interaction_of(&pending).1
        ))
        .unwrap();
    let answer = reqwest::Client::new()
        .get(old)
        .header("x-idp-secret", world.sandbox.idp_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

/// Status and GNAP code of a failed grant call.
fn refusal(error: &consent_desk_protocol::Error) -> (Option<u16>, Option<&str>) {
    (error.status(), error.gnap_code().map(|code| code.as_str()))
}

/// The wallet's refusal of a poll of grant `cont` (no `interact_ref`).
async fn refused_poll(
    world: &World,
    cont: &consent_desk_protocol::Continue,
) -> consent_desk_protocol::Error {
    world.client.poll_grant(cont).await.unwrap_err()
}

/// The wallet's refusal of continuing grant `cont` with `interact_ref`.
async fn refused_continue(
    world: &World,
    cont: &consent_desk_protocol::Continue,
    interact_ref: &consent_desk_protocol::InteractRef,
) -> consent_desk_protocol::Error {
    world
        .client
        .continue_grant(cont, interact_ref)
        .await
        .unwrap_err()
}

/// Rafiki's `continueGrant` / `pollGrantContinuation` (auth
/// `grant/routes.ts`): with the grant's own continuation token, a poll (no
/// `interact_ref`) of a grant that has `finish` is `401 request_denied`
/// whether the person has not chosen yet, rejected or approved it; a
/// reference that is not the grant's, or a rejected or cancelled grant, is
/// `404 invalid_continuation`; an issued grant's reference used again is
/// `401 request_denied`; a cancelled grant is polled `404 invalid_request`;
/// `DELETE` cancels a grant in any state but cancelled (then `404
/// invalid_request`), and with it its access token.
#[tokio::test]
async fn continuing_answers_as_rafiki_in_every_state_of_the_grant() {
    use consent_desk_protocol::InteractRef;
    let world = world().await;
    let made_up = InteractRef::new("made-up");

    // Not chosen yet.
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    let poll = refused_poll(&world, &pending.continue_).await;
    assert_eq!(
        refusal(&poll),
        (Some(401), Some("request_denied")),
        "{poll}"
    );
    let guess = refused_continue(&world, &pending.continue_, &made_up).await;
    assert_eq!(refusal(&guess), (Some(404), Some("invalid_continuation")));

    // Rejected: a poll says the same as for a pending grant.
    let nonce = Nonce::generate();
    let rejected = world.pending(|b| b, &nonce).await;
    Browser::new().consent(&world, &rejected, "reject").await;
    let poll = refused_poll(&world, &rejected.continue_).await;
    assert_eq!(
        refusal(&poll),
        (Some(401), Some("request_denied")),
        "{poll}"
    );
    let guess = refused_continue(&world, &rejected.continue_, &made_up).await;
    assert_eq!(refusal(&guess), (Some(404), Some("invalid_continuation")));

    // Approved, not continued yet: a poll is denied too.
    let nonce = Nonce::generate();
    let accepted = world.pending(|b| b, &nonce).await;
    let finish = Browser::new().consent(&world, &accepted, "accept").await;
    let FinishOutcome::Approved { interact_ref } = outcome(&world, &finish, &nonce, &accepted)
    else {
        panic!("expected an approval")
    };
    let poll = refused_poll(&world, &accepted.continue_).await;
    assert_eq!(
        refusal(&poll),
        (Some(401), Some("request_denied")),
        "{poll}"
    );
    let GrantResponse::Approved(granted) = world
        .client
        .continue_grant(&accepted.continue_, &interact_ref)
        .await
        .unwrap()
    else {
        panic!("expected a token")
    };
    // Its answer lost, the same reference again: denied, no second token.
    let again = refused_continue(&world, &accepted.continue_, &interact_ref).await;
    assert_eq!(
        refusal(&again),
        (Some(401), Some("request_denied")),
        "{again}"
    );

    // An issued grant can be cancelled, which ends its token; then it is
    // not found.
    world
        .client
        .cancel_grant(&accepted.continue_)
        .await
        .unwrap();
    let spent = world
        .client
        .outgoing_payment_grant(&world.rs(), &granted.access_token.value)
        .await;
    assert!(spent.is_err(), "the cancelled grant's token is refused");
    let poll = refused_poll(&world, &accepted.continue_).await;
    assert_eq!(
        refusal(&poll),
        (Some(404), Some("invalid_request")),
        "{poll}"
    );
    let again = refused_continue(&world, &accepted.continue_, &interact_ref).await;
    assert_eq!(refusal(&again), (Some(404), Some("invalid_continuation")));
    // Cancelling it again: Rafiki no longer finds it.
    let twice = world
        .client
        .cancel_grant(&accepted.continue_)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&twice),
        (Some(404), Some("invalid_request")),
        "{twice}"
    );
}
