//! Fault switches, set at start and through the admin API (on the command
//! line: consent-desk-cli's tests).

use std::time::{Duration, Instant};

use consent_desk_protocol::{AccessItem, CreateQuote, GrantRequest, Nonce, QuoteAction};
use consent_desk_sandbox::{Faults, RouteFault};

use crate::support::{world, Browser, CLIENT_NAME};

fn quote_grant(world: &crate::support::World) -> GrantRequest {
    GrantRequest::non_interactive(
        world.wallet(CLIENT_NAME),
        vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }],
    )
}

#[tokio::test]
async fn faults_switch_on_and_off_through_the_admin_api() {
    let world = world().await;
    let admin = reqwest::Client::new();
    let faults_url = world.sandbox.base_url().join("admin/faults").unwrap();
    let current: Faults = admin
        .get(faults_url.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current, Faults::default(), "off by default");

    let set = admin
        .put(faults_url.clone())
        .json(&serde_json::json!({"fail": {"method": "POST", "path": "/auth", "status": 503}}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let error = world
        .client
        .request_grant(&world.auth(), &quote_grant(&world))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");

    let bad = admin
        .put(faults_url.clone())
        .json(&serde_json::json!({"latncy": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "unknown switches are named, not ignored");

    admin
        .put(faults_url.clone())
        .json(&Faults::default())
        .send()
        .await
        .unwrap();
    world
        .client
        .request_grant(&world.auth(), &quote_grant(&world))
        .await
        .unwrap();
}

#[tokio::test]
async fn dropped_connections_latency_too_fast_and_expiry() {
    let world = world().await;
    let incoming = world.incoming_payment("bob", Some(100)).await;
    let grant = crate::support::approved(
        world
            .client
            .request_grant(&world.auth(), &quote_grant(&world))
            .await
            .unwrap(),
    );

    world.sandbox.set_faults(Faults {
        drop: Some("/rs/quotes".parse().unwrap()),
        ..Faults::default()
    });
    let dropped = world
        .client
        .create_quote(
            &world.rs(),
            &grant.access_token.value,
            &CreateQuote {
                wallet_address: world.wallet("alice"),
                receiver: incoming.id.clone(),
                method: "ilp".into(),
                amount: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        dropped.status(),
        None,
        "no answer, only a broken connection: {dropped}"
    );

    world.sandbox.set_faults(Faults {
        latency_ms: 300,
        ..Faults::default()
    });
    let started = Instant::now();
    world
        .client
        .wallet_address(&world.wallet("alice"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    world.sandbox.set_faults(Faults {
        expire_interactions: true,
        ..Faults::default()
    });
    let pending = world.pending(|b| b, &Nonce::generate()).await;
    let start = Browser::new()
        .http
        .get(pending.interact.redirect.clone())
        .send()
        .await
        .unwrap();
    assert!(start.headers()["location"]
        .to_str()
        .unwrap()
        .contains("result=invalid_interaction"));

    world.sandbox.set_faults("too-fast".parse().unwrap());
    let nonce = Nonce::generate();
    let pending = world.pending(|b| b, &nonce).await;
    world.sandbox.set_faults(Faults {
        too_fast: true,
        ..Faults::default()
    });
    let finish = Browser::new().consent(&world, &pending, "accept").await;
    let consent_desk_protocol::FinishOutcome::Approved { interact_ref } =
        consent_desk_protocol::verify_finish(
            finish.as_str(),
            &nonce,
            &Nonce::new(pending.interact.finish.clone()),
            world.auth().as_str(),
        )
        .unwrap()
    else {
        panic!()
    };
    let impatient = consent_desk_protocol::Client::builder()
        .key(crate::support::copy_key(&world.key), world.key_id.clone())
        .client_wallet(world.wallet(CLIENT_NAME).as_str())
        .allow_http_loopback(true)
        .too_fast_retries(0)
        .build()
        .unwrap();
    let error = impatient
        .continue_grant(&pending.continue_, &interact_ref)
        .await
        .unwrap_err();
    assert_eq!(error.gnap_code().map(|c| c.as_str()), Some("too_fast"));
}

#[test]
fn fault_flags_parse_or_say_what_is_wrong() {
    let fail: RouteFault = "POST /auth:503".parse().unwrap();
    assert_eq!(
        (fail.method.as_deref(), fail.path.as_str(), fail.status),
        (Some("POST"), "/auth", 503)
    );
    let faults: Faults = "latency=250".parse().unwrap();
    assert_eq!(faults.latency_ms, 250);
    for (text, says) in [
        ("latency", "needs a value"),
        ("latency=soon", "milliseconds"),
        ("fail=/auth:999", "not an HTTP status"),
        ("fail=auth", "must start with `/`"),
        ("slow", "unknown fault"),
    ] {
        let error = text.parse::<Faults>().unwrap_err();
        assert!(error.contains(says), "`{text}`: {error}");
    }
}

#[tokio::test]
async fn the_clock_moves_on_through_the_admin_api_and_never_back() {
    let world = world().await;
    let admin = reqwest::Client::new();
    let url = world.sandbox.base_url().join("admin/clock").unwrap();
    let read = |value: &serde_json::Value| {
        time::OffsetDateTime::parse(
            value["now"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let before: serde_json::Value = admin
        .get(url.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before["offsetSeconds"], 0);
    let moved: serde_json::Value = admin
        .put(url.clone())
        .json(&serde_json::json!({"advanceSeconds": 86400}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["offsetSeconds"], 86400);
    let gained = read(&moved) - read(&before);
    assert!(gained >= time::Duration::days(1), "{gained}");
    let back = admin
        .put(url)
        .json(&serde_json::json!({"advanceSeconds": -60}))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 400);
}
