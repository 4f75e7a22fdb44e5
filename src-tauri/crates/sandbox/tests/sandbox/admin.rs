//! The admin API refuses what a web page could send (issue 15, finding 3):
//! a cross-site `text/plain` post needs no CORS preflight, and a DNS name
//! rebound to 127.0.0.1 makes a page same-origin with the sandbox. Each
//! refusal is a 403 that says why and leaves the sandbox as it was; the
//! requests the tests, the harness and QA's curl send still work.

use consent_desk_protocol::{AccessItem, Jwks, QuoteAction};
use consent_desk_sandbox::Faults;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{world, World, CLIENT_NAME};

/// What a browser sends for `fetch(url, {method, body, mode: "no-cors"})`
/// from a page at `origin` with a string body: `text/plain`, no preflight.
fn from_a_page(method: &str, path: &str, host: &str, origin: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Length: {}\r\nContent-Type: text/plain;charset=UTF-8\r\nOrigin: {origin}\r\n\
         Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nSec-Fetch-Dest: empty\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\r\n{body}",
        body.len()
    )
}

/// A request as a program writes it: `headers` are extra lines.
fn from_a_program(method: &str, path: &str, host: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
}

/// Sends `request` byte for byte to the sandbox; its status and JSON body.
async fn send(world: &World, request: &str) -> (u16, serde_json::Value) {
    let base = world.sandbox.base_url();
    let address = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    );
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {answer}"))
    };
    (status, body)
}

/// The sandbox's own `Host`.
fn own_host(world: &World) -> String {
    let base = world.sandbox.base_url();
    format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    )
}

async fn client_keys(world: &World) -> Jwks {
    reqwest::get(format!("{}/jwks.json", world.wallet(CLIENT_NAME)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn grant_state(world: &World, continue_id: &str) -> u16 {
    let url = world
        .sandbox
        .base_url()
        .join(&format!("admin/grants/{continue_id}"))
        .unwrap();
    reqwest::get(url).await.unwrap().status().as_u16()
}

fn assert_refused(status: u16, body: &serde_json::Value, words: &str) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let description = body["error"]["description"].as_str().unwrap();
    assert!(description.contains(words), "{description}");
}

#[tokio::test]
async fn a_web_page_cannot_reset_the_wallet_or_replace_the_apps_client() {
    let world = world().await;
    let host = own_host(&world);
    let grant = world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }])
        .await;
    let continue_id = grant
        .continue_
        .uri
        .0
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap()
        .to_owned();
    let keys = client_keys(&world).await;
    assert_eq!(keys.keys.len(), 1);

    let evil = "https://evil.example";
    let replace = format!(r#"{{"name":"{CLIENT_NAME}","publicName":"Evil"}}"#);
    for (method, path, body) in [
        ("POST", "/admin/reset", ""),
        ("POST", "/admin/wallet-addresses", replace.as_str()),
        ("PUT", "/admin/faults", r#"{"tooFast":true}"#),
        (
            "PUT",
            "/admin/fees",
            r#"{"USD":{"fixed":10000,"basisPoints":0}}"#,
        ),
        ("PUT", "/admin/clock", r#"{"advanceSeconds":31536000}"#),
    ] {
        let (status, answer) = send(&world, &from_a_page(method, path, &host, evil, body)).await;
        assert_refused(status, &answer, "https://evil.example");
    }
    // Nothing changed: the grant, the client's key, the switches, the fees,
    // the clock.
    assert_eq!(grant_state(&world, &continue_id).await, 200);
    assert_eq!(client_keys(&world).await, keys);
    assert_eq!(world.sandbox.faults(), Faults::default());
    assert!(world.sandbox.fees().is_empty());
    let clock: serde_json::Value =
        reqwest::get(world.sandbox.base_url().join("admin/clock").unwrap())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(clock["offsetSeconds"], 0);
    // The app's client still signs: its grant requests are still honoured.
    world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }])
        .await;
}

#[tokio::test]
async fn each_mark_of_a_web_page_is_enough_to_refuse() {
    let world = world().await;
    let host = own_host(&world);
    let port = world.sandbox.base_url().port().unwrap();
    let json = "Content-Type: application/json\r\n";
    let faults = r#"{"tooFast":true}"#;
    for (request, words) in [
        // Another site's page, even with a JSON body (a preflight it would
        // fail; refused before that matters).
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                &format!("{json}Origin: https://evil.example\r\n"),
                faults,
            ),
            "comes from the web page `https://evil.example`",
        ),
        // A sandboxed frame or a file:// page.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                &format!("{json}Origin: null\r\n"),
                faults,
            ),
            "comes from the web page `null`",
        ),
        // The same port on another loopback name is not the sandbox's origin
        // when the scheme differs.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                &format!("{json}Origin: https://{host}\r\n"),
                faults,
            ),
            "comes from the web page",
        ),
        // DNS rebinding: a page under a name that now resolves to 127.0.0.1
        // is same-origin with itself, so it sends no foreign Origin; the Host
        // still names the page's site.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &format!("rebind.evil.example:{port}"),
                json,
                faults,
            ),
            "addressed to `rebind.evil.example:",
        ),
        // The sandbox's name at another port (a proxy in front of it).
        (
            from_a_program("PUT", "/admin/faults", "127.0.0.1:1", json, faults),
            "addressed to `127.0.0.1:1`",
        ),
        // A browser's own marker, without Origin.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                &format!("{json}Sec-Fetch-Site: same-site\r\n"),
                faults,
            ),
            "Sec-Fetch-Site: same-site",
        ),
        // No Origin at all, but a body any form can post.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                "Content-Type: text/plain\r\n",
                faults,
            ),
            "sent `text/plain`",
        ),
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                "Content-Type: application/x-www-form-urlencoded\r\n",
                faults,
            ),
            "must send `Content-Type: application/json`",
        ),
        (
            from_a_program("POST", "/admin/reset", &host, "", ""),
            "(this one sent none)",
        ),
        // JSON in the wrong media type's clothes.
        (
            from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                "Content-Type: text/json\r\n",
                faults,
            ),
            "sent `text/json`",
        ),
    ] {
        let (status, answer) = send(&world, &request).await;
        assert_refused(status, &answer, words);
        assert_eq!(world.sandbox.faults(), Faults::default(), "{request}");
    }
}

#[tokio::test]
async fn programs_on_this_computer_still_use_it_by_any_loopback_name() {
    let world = world().await;
    let port = world.sandbox.base_url().port().unwrap();
    let json = "Content-Type: application/json; charset=utf-8\r\n";
    // The sandbox's own origin may send its Origin (a page it serves).
    let own_origin = format!("Origin: http://127.0.0.1:{port}\r\n{json}");
    for (host, headers) in [
        (format!("127.0.0.1:{port}"), json.to_owned()),
        (format!("localhost:{port}"), json.to_owned()),
        (format!("LOCALHOST:{port}"), json.to_owned()),
        (format!("[::1]:{port}"), json.to_owned()),
        (format!("127.0.0.1:{port}"), own_origin),
        (
            format!("127.0.0.1:{port}"),
            format!("Sec-Fetch-Site: same-origin\r\n{json}"),
        ),
    ] {
        let (status, answer) = send(
            &world,
            &from_a_program(
                "PUT",
                "/admin/faults",
                &host,
                &headers,
                r#"{"tooFast":true}"#,
            ),
        )
        .await;
        assert_eq!(status, 200, "{host} {headers}: {answer}");
        assert!(world.sandbox.faults().too_fast);
        world.sandbox.set_faults(Faults::default());
    }
    // Reading needs no content type; a reset with JSON goes through.
    let (status, accounts) = send(
        &world,
        &from_a_program(
            "GET",
            "/admin/accounts",
            &format!("localhost:{port}"),
            "",
            "",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(accounts.as_array().is_some_and(|list| !list.is_empty()));
    let (status, _) = send(
        &world,
        &from_a_program(
            "POST",
            "/admin/reset",
            &format!("127.0.0.1:{port}"),
            "Content-Type: application/json\r\n",
            "",
        ),
    )
    .await;
    assert_eq!(status, 204);
    // reqwest's `.json(…)`, as the Rust tests send it.
    let set = reqwest::Client::new()
        .put(world.sandbox.base_url().join("admin/faults").unwrap())
        .json(&serde_json::json!({"tooFast": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
}
