use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use consent_desk_protocol::{
    http, url::Url, AccessToken, Client, Error, GnapErrorCode, GrantRequest, KeyId, SigningKey,
    TransportError,
};

use crate::support::fixture;
use crate::support::openapi::{validate_text, Doc};
use crate::support::server::TestServer;
use crate::{client_with, key_and_jwks};

async fn answering(status: u16, body: &'static str) -> (TestServer, Client) {
    let (key, key_id, jwks) = key_and_jwks();
    let server = TestServer::start(jwks, move |_, base| {
        let body = if body.ends_with(".json") {
            fixture(body, base)
        } else {
            body.to_owned()
        };
        (status, body)
    })
    .await;
    let client = client_with(key, key_id, &server.base);
    (server, client)
}

fn grant(base: &str) -> GrantRequest {
    GrantRequest::non_interactive(format!("{base}/client").parse().unwrap(), vec![])
}

#[tokio::test]
async fn gnap_error_keeps_code_description_and_status() {
    let (server, client) = answering(400, "error_too_fast.json").await;
    let error = client
        .request_grant(&server.url("/auth"), &grant(&server.base))
        .await
        .unwrap_err();
    assert_eq!(error.gnap_code(), Some(&GnapErrorCode::TooFast));
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        error.to_string(),
        "The wallet answered `too_fast` (\"Continued too soon\"): the grant was continued too \
         early: wait and try again (HTTP 400 from 127.0.0.1)."
    );
}

#[tokio::test]
async fn validation_error_without_code() {
    let (server, client) = answering(400, "error_validation.json").await;
    let error = client
        .request_grant(&server.url("/auth"), &grant(&server.base))
        .await
        .unwrap_err();
    let Error::Gnap {
        error: gnap,
        status,
        ..
    } = &error
    else {
        panic!("expected a GNAP error, got {error:?}");
    };
    assert_eq!(*status, 400);
    assert_eq!(gnap.code, None);
    assert!(gnap.description.as_deref().unwrap().contains("oneOf"));
}

#[tokio::test]
async fn resource_server_token_errors_are_classified() {
    let token = AccessToken::new("tok");
    for (status, body, rotate, spent) in [
        (401, "error_invalid_token.json", true, false),
        (403, "error_inactive_token.json", true, false),
        (403, "error_insufficient_grant.json", false, true),
    ] {
        let (server, client) = answering(status, body).await;
        let error = client
            .outgoing_payment_grant(&server.url("/op"), &token)
            .await
            .unwrap_err();
        assert_eq!(error.needs_token_rotation(), rotate, "{body}");
        assert_eq!(error.is_budget_spent(), spent, "{body}");
        assert_eq!(error.status(), Some(status));
        let sentence = if spent {
            "The wallet at 127.0.0.1 refused: the approved budget is spent or does not cover this \
             payment. Approve a new payment to continue."
        } else {
            "The wallet at 127.0.0.1 no longer accepts this access token. It is rotated and the \
             call retried; if that fails, approve the payment again."
        };
        assert_eq!(error.to_string(), sentence);
        assert_eq!(
            error.response_body(),
            Some(fixture(body, &server.base).as_bytes())
        );
        validate_text(
            Doc::Resource,
            "/outgoing-payment-grant",
            "get",
            Some(200),
            b"{\"spentReceiveAmount\":null,\"spentDebitAmount\":null}",
        );
    }
}

#[tokio::test]
async fn html_error_page_keeps_body() {
    let (server, client) = answering(502, "<html><body>Bad gateway</body></html>").await;
    let error = client
        .wallet_address(&server.url("/alice"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.response_body(),
        Some(&b"<html><body>Bad gateway</body></html>"[..])
    );
    assert_eq!(
        error.to_string(),
        "The wallet at 127.0.0.1 answered with HTTP 502. Try again later, or report it to the \
         wallet if it keeps happening."
    );
}

#[tokio::test]
async fn wrong_answers_name_the_json_path() {
    for (body, path) in [
        ("<!doctype html><p>hello</p>", "."),
        ("not json at all", "."),
        (
            r#"{"id":"https://w.example/a","assetCode":"USD","assetScale":"two","authServer":"https://a.example","resourceServer":"https://r.example"}"#,
            "assetScale",
        ),
        (
            r#"{"id":"https://w.example/a","assetCode":"USD","assetScale":2,"authServer":"not a url","resourceServer":"https://r.example"}"#,
            "authServer",
        ),
        (
            r#"{"id":"https://w.example/a","assetCode":"USD","assetScale":2,"authServer":"https://a.example"}"#,
            ".",
        ),
    ] {
        let (server, client) = answering(200, body).await;
        let error = client
            .wallet_address(&server.url("/alice"))
            .await
            .unwrap_err();
        let Error::InvalidResponse {
            path: found,
            body: kept,
            ..
        } = &error
        else {
            panic!("expected InvalidResponse for {body}, got {error:?}");
        };
        assert_eq!(found, path, "{body}");
        assert_eq!(&kept[..], body.as_bytes());
        let debug = format!("{error:?}");
        assert!(
            debug.contains(&format!("<{} bytes>", body.len())),
            "Debug shows the body's length, not the body: {debug}"
        );
        assert!(error
            .to_string()
            .starts_with("The wallet at 127.0.0.1 sent an answer this app cannot read"));
    }
}

#[tokio::test]
async fn nested_path_in_grant_answer() {
    let (server, client) = answering(200, r#"{"interact":{"redirect":"https://idp.example","finish":"n"},"continue":{"access_token":{"value":7},"uri":"https://a.example/c"}}"#).await;
    let error = client
        .request_grant(&server.url("/auth"), &grant(&server.base))
        .await
        .unwrap_err();
    // An untagged enum cannot point deeper than itself; the body is kept whole.
    assert!(matches!(error, Error::InvalidResponse { .. }), "{error:?}");
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            open.push(socket);
        }
    });
    let (key, key_id, _) = key_and_jwks();
    let client = Client::builder()
        .key(key, key_id)
        .client_wallet("https://wallet.example/client")
        .timeout(Duration::from_millis(300))
        .allow_http_loopback(true)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client
        .wallet_address(&format!("http://{addr}/alice").parse().unwrap())
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        error.to_string(),
        "The wallet at 127.0.0.1 took longer than 0.3 s to answer. Check your connection and try again."
    );
    hold.abort();
}

#[tokio::test]
async fn refused_connection_is_a_network_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (key, key_id, _) = key_and_jwks();
    let client = client_with(key, key_id, "https://wallet.example");
    let error = client
        .wallet_address(&format!("http://{addr}/alice").parse().unwrap())
        .await
        .unwrap_err();
    assert!(error.is_network(), "{error:?}");
    assert_eq!(
        error.to_string(),
        "The wallet at 127.0.0.1 is not answering. Check your connection and the address, then try again."
    );
}

#[tokio::test]
async fn insecure_urls_are_refused_before_sending() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let transport = move |_: http::Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Err::<http::Response<Vec<u8>>, _>(TransportError::Timeout) }
    };
    let key = SigningKey::generate();
    let strict = Client::builder()
        .key(key, KeyId::new("k").unwrap())
        .client_wallet("https://wallet.example/client")
        .build_with(transport.clone())
        .unwrap();
    let lenient = Client::builder()
        .key(SigningKey::generate(), KeyId::new("k").unwrap())
        .client_wallet("https://wallet.example/client")
        .allow_http_loopback(true)
        .build_with(transport)
        .unwrap();
    for url in [
        "http://wallet.example/alice",
        "http://10.0.0.1/alice",
        "ftp://wallet.example/alice",
    ] {
        let url: Url = url.parse().unwrap();
        for client in [&strict, &lenient] {
            let error = client.wallet_address(&url).await.unwrap_err();
            assert!(
                matches!(error, Error::InsecureUrl { .. }),
                "{url}: {error:?}"
            );
        }
    }
    for url in [
        "http://127.0.0.1:9/a",
        "http://127.8.0.1/a",
        "http://[::1]/a",
        "http://localhost/a",
    ] {
        let url: Url = url.parse().unwrap();
        let error = strict.wallet_address(&url).await.unwrap_err();
        assert!(error.to_string().contains("allow_http_loopback"), "{error}");
        // Allowed: it reaches the transport (which times out here).
        assert!(
            lenient.wallet_address(&url).await.unwrap_err().is_timeout(),
            "{url}"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let error = strict
        .wallet_address(&"http://wallet.example/alice".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "The address http://wallet.example/alice does not use HTTPS, so it was not contacted. Use \
         an https:// address."
    );
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_requests_are_rejected() {
    let (_, _, jwks) = key_and_jwks();
    let server =
        TestServer::start(jwks, |_, base| (200, fixture("grant_approved.json", base))).await;

    // No signature at all: the test server refuses it like the AS does.
    let raw = reqwest::Client::new()
        .post(format!("{}/auth", server.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);

    // Signed with a key the client's JWKS does not list.
    let stranger = client_with(
        SigningKey::generate(),
        KeyId::new("test-key").unwrap(),
        &server.base,
    );
    let error = stranger
        .request_grant(&server.url("/auth"), &grant(&server.base))
        .await
        .unwrap_err();
    assert_eq!(error.gnap_code(), Some(&GnapErrorCode::InvalidClient));
    assert_eq!(error.status(), Some(401));
    assert!(server.seen().iter().all(|seen| !seen.signed));
}

#[tokio::test]
async fn builder_reports_missing_and_invalid_settings() {
    let error = Client::builder()
        .client_wallet("https://w.example")
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "The client is not set up correctly: no signing key was given; set one with `key`."
    );
    let error = Client::builder()
        .client_wallet("not a url")
        .client_wallet("also bad")
        .key(SigningKey::generate(), KeyId::new("k").unwrap())
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("`not a url`"),
        "the first invalid value wins: {error}"
    );
}
