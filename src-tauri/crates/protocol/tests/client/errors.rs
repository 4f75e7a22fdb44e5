use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use consent_desk_protocol::{
    http, url::Url, AccessToken, Client, Error, GnapErrorCode, GrantRequest, KeyId, SigningKey,
    TokenProblem, TransportError, MAX_ANSWER_BYTES, MAX_EXCERPT_CHARS,
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
    }
}

#[tokio::test]
async fn spent_amounts_before_the_first_payment_are_read_and_written_as_the_spec_says() {
    // A grant that has paid nothing: both amounts null. What the client made
    // of it, written back, must still be the operation's answer (both keys
    // present, null), or a consumer that re-serves it breaks.
    let (server, client) = answering(200, "grant_spent_none.json").await;
    let spent = client
        .outgoing_payment_grant(&server.url("/op"), &AccessToken::new("tok"))
        .await
        .unwrap();
    assert_eq!(spent.spent_debit_amount, None);
    assert_eq!(spent.spent_receive_amount, None);
    validate_text(
        Doc::Resource,
        "/outgoing-payment-grant",
        "get",
        Some(200),
        &serde_json::to_vec(&spent).unwrap(),
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/op/outgoing-payment-grant")
    );
    assert!(seen[0].signed, "a token call is signed");
    assert_eq!(seen[0].headers["authorization"], "GNAP tok");
}

#[tokio::test]
async fn refusals_without_a_gnap_description_are_read_from_their_words() {
    // Older wallets and proxies answer 401/403 with nothing, an HTML page or
    // a description nobody knows. A 401 is always the token; such a 403 may
    // be, so it is rotated once; neither is ever a spent budget.
    let token = AccessToken::new("tok");
    let html_401 = "<html><head><title>401 Authorization Required</title></head>\
                    <body><h1>Authorization Required</h1></body></html>";
    let html_403 = "<html><body><h1>403 Forbidden</h1><p>Access denied.</p></body></html>";
    let unknown = r#"{"error":{"code":"403","description":"Forbidden"}}"#;
    for (status, body, problem) in [
        (401, "", TokenProblem::InvalidToken),
        (401, html_401, TokenProblem::InvalidToken),
        (403, "", TokenProblem::Unexplained),
        (403, html_403, TokenProblem::Unexplained),
        (403, unknown, TokenProblem::Unexplained),
    ] {
        let (server, client) = answering(status, body).await;
        let error = client
            .get_outgoing_payment(&server.url("/op/outgoing-payments/1"), &token)
            .await
            .unwrap_err();
        let Error::Token { problem: found, .. } = &error else {
            panic!("{status} {body:?}: expected a token error, got {error:?}");
        };
        assert_eq!(*found, problem, "{status} {body:?}");
        assert!(error.needs_token_rotation(), "{status} {body:?}");
        assert!(
            !error.is_budget_spent() && !error.is_insufficient_grant(),
            "{status} {body:?}"
        );
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.response_body(), Some(body.as_bytes()));
        let sentence = error.to_string();
        assert!(
            !sentence.contains('<') && !sentence.contains("Forbidden"),
            "the page is not echoed: {sentence}"
        );
        assert_eq!(server.seen().len(), 1, "the client itself does not retry");
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
    // The client's own 0.3 s timeout must end the call; the harness's 30 s
    // deadline only stops a client that would wait for ever.
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        client.wallet_address(&format!("http://{addr}/alice").parse().unwrap()),
    )
    .await
    .expect("the client gives up on its own")
    .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
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

/// A wallet on loopback that answers every request with `head` and then
/// `body_bytes` of JSON-ish filler in 64 KiB chunks (chunked encoding when
/// `head` has no Content-Length), for as long as the client reads. Returns
/// its base URL and the number of body bytes it managed to send.
async fn flooding(head: String, body_bytes: u64) -> (String, tokio::task::JoinHandle<u64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let chunked = !head.to_ascii_lowercase().contains("content-length");
    let sent = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the client closed before its request ended");
            request.extend_from_slice(&buffer[..read]);
        }
        socket.write_all(head.as_bytes()).await.unwrap();
        let filler = vec![b' '; 64 * 1024];
        let mut sent = 0u64;
        while sent < body_bytes {
            let written = if chunked {
                let mut chunk = format!("{:x}\r\n", filler.len()).into_bytes();
                chunk.extend_from_slice(&filler);
                chunk.extend_from_slice(b"\r\n");
                socket.write_all(&chunk).await
            } else {
                socket.write_all(&filler).await
            };
            if written.is_err() {
                // The client hung up: it stopped reading.
                break;
            }
            sent += filler.len() as u64;
        }
        sent
    });
    (base, sent)
}

const GIB: u64 = 1 << 30;

#[tokio::test]
async fn an_endless_answer_is_refused_at_the_cap_without_being_read() {
    // No Content-Length: the body is counted as it arrives.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\n\r\n";
    let (base, sent) = flooding(head.to_owned(), GIB).await;
    let (key, key_id, _) = key_and_jwks();
    let client = client_with(key, key_id, &base);
    let error = tokio::time::timeout(
        Duration::from_secs(60),
        client.wallet_address(&format!("{base}/alice").parse().unwrap()),
    )
    .await
    .expect("the client stops reading on its own")
    .unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit, .. } if limit == MAX_ANSWER_BYTES),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "The wallet at 127.0.0.1 sent an answer larger than 4 MiB; it was not read. An Open \
         Payments answer is a few kilobytes: try again later, or report it to the wallet if it \
         keeps happening."
    );
    drop(client);
    let sent = tokio::time::timeout(Duration::from_secs(60), sent)
        .await
        .expect("the wallet notices the client hung up")
        .unwrap();
    // What the wallet pushed beyond the cap sits in socket buffers (a few
    // MiB on loopback); it never got near the gibibyte it had to send.
    assert!(
        sent < 64 << 20,
        "the client read {sent} bytes of a 1 GiB answer"
    );
}

#[tokio::test]
async fn an_answer_that_declares_its_size_too_large_is_refused_before_its_body() {
    // Content-Length says 1 GiB, then the wallet sends nothing more: reading
    // would wait for the client's 10 s timeout; the header alone refuses it.
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {GIB}\r\n\r\n"
    );
    let (base, sent) = flooding(head, 0).await;
    let (key, key_id, _) = key_and_jwks();
    let client = client_with(key, key_id, &base);
    let error = tokio::time::timeout(
        Duration::from_secs(60),
        client.wallet_address(&format!("{base}/alice").parse().unwrap()),
    )
    .await
    .expect("the client answers on its own")
    .unwrap_err();
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    assert_eq!(sent.await.unwrap(), 0);
}

#[tokio::test]
async fn an_answer_just_over_the_cap_is_refused_and_one_at_the_cap_is_read() {
    // Through a real server that sends Content-Length: one byte decides.
    for (extra, refused) in [(1, true), (0, false)] {
        let padding = MAX_ANSWER_BYTES - 2 + extra;
        let (key, key_id, jwks) = key_and_jwks();
        let server = TestServer::start(jwks, move |_, _| {
            (200, format!("[{}]", " ".repeat(padding)))
        })
        .await;
        let client = client_with(key, key_id, &server.base);
        let error = client
            .wallet_address(&server.url("/alice"))
            .await
            .unwrap_err();
        assert_eq!(
            matches!(error, Error::TooLarge { .. }),
            refused,
            "{} bytes: {error:?}",
            padding + 2
        );
        // At the cap it is read, and found not to be a wallet address.
        assert_eq!(
            matches!(error, Error::InvalidResponse { .. }),
            !refused,
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_huge_error_body_is_not_echoed_in_the_message() {
    let flood = "A".repeat(1 << 20);
    let description = format!(r#"{{"error":{{"code":"request_denied","description":"{flood}"}}}}"#);
    let wrong_type = format!(
        r#"{{"id":"https://w.example/a","assetCode":"USD","assetScale":"{flood}","authServer":"https://a.example","resourceServer":"https://r.example"}}"#
    );
    let cases: Vec<(u16, String)> = vec![
        // A GNAP error whose description is a megabyte.
        (400, description),
        // A plain-text error page of a megabyte.
        (502, flood.clone()),
        // A 403 of a megabyte.
        (403, flood.clone()),
        // A success whose wrong value (echoed by the JSON parser) is a megabyte.
        (200, wrong_type),
        // A GNAP error code of a megabyte.
        (400, format!(r#"{{"error":"{flood}"}}"#)),
    ];
    for (status, body) in cases {
        let (key, key_id, jwks) = key_and_jwks();
        let answer = body.clone();
        let server = TestServer::start(jwks, move |_, _| (status, answer.clone())).await;
        let client = client_with(key, key_id, &server.base);
        let error = client
            .wallet_address(&server.url("/alice"))
            .await
            .unwrap_err();
        let sentence = error.to_string();
        assert!(
            sentence.len() < 2 * MAX_EXCERPT_CHARS + 400,
            "HTTP {status}: a {} byte message: {}…",
            sentence.len(),
            &sentence[..300]
        );
        assert!(!sentence.contains(&"A".repeat(MAX_EXCERPT_CHARS + 1)));
        // The body itself stays available to whoever wants to look.
        if status != 400 {
            assert_eq!(error.response_body(), Some(body.as_bytes()));
        }
    }
}
