//! Throughput of the sandbox on loopback: non-interactive grant requests per
//! second and full non-interactive flows per second (incoming-payment grant,
//! incoming payment, quote grant, quote), first with the Rust client, then with
//! the official Node SDK as the load client (`benches/node-load.mjs`).
//!
//! ```text
//! cargo bench -p consent-desk-sandbox --bench throughput [-- <seconds> <concurrency>]
//! ```
//!
//! A benchmark, not a test: it reports figures and asserts nothing about them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use consent_desk_protocol::{
    AccessItem, Amount, Client, CreateIncomingPayment, CreateQuote, GrantRequest, GrantResponse,
    IncomingPaymentAction, KeyId, QuoteAction, SigningKey,
};
use consent_desk_sandbox::{RunningSandbox, Sandbox};

struct Setup {
    sandbox: RunningSandbox,
    client: Client,
}

fn incoming_grant(setup: &Setup) -> GrantRequest {
    GrantRequest::non_interactive(
        setup.sandbox.wallet_address("bench"),
        vec![AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
            identifier: Some(setup.sandbox.wallet_address("bob")),
        }],
    )
}

async fn grant(setup: &Setup) -> Result<(), consent_desk_protocol::Error> {
    match setup
        .client
        .request_grant(&setup.sandbox.auth_server(), &incoming_grant(setup))
        .await?
    {
        GrantResponse::Approved(_) => Ok(()),
        _ => panic!("incoming-payment grants are non-interactive"),
    }
}

async fn flow(setup: &Setup) -> Result<(), consent_desk_protocol::Error> {
    let rs = setup.sandbox.base_url().join("rs").expect("a URL");
    let GrantResponse::Approved(incoming_grant) = setup
        .client
        .request_grant(&setup.sandbox.auth_server(), &incoming_grant(setup))
        .await?
    else {
        panic!("non-interactive")
    };
    let incoming = setup
        .client
        .create_incoming_payment(
            &rs,
            &incoming_grant.access_token.value,
            &CreateIncomingPayment {
                wallet_address: setup.sandbox.wallet_address("bob"),
                incoming_amount: Some(Amount {
                    value: 500,
                    asset_code: "EUR".into(),
                    asset_scale: 2,
                }),
                expires_at: None,
                metadata: None,
            },
        )
        .await?;
    let GrantResponse::Approved(quote_grant) = setup
        .client
        .request_grant(
            &setup.sandbox.auth_server(),
            &GrantRequest::non_interactive(
                setup.sandbox.wallet_address("bench"),
                vec![AccessItem::Quote {
                    actions: vec![QuoteAction::Create],
                }],
            ),
        )
        .await?
    else {
        panic!("non-interactive")
    };
    setup
        .client
        .create_quote(
            &rs,
            &quote_grant.access_token.value,
            &CreateQuote {
                wallet_address: setup.sandbox.wallet_address("alice"),
                receiver: incoming.id,
                method: "ilp".into(),
                amount: None,
            },
        )
        .await?;
    Ok(())
}

/// Runs `work` on `concurrency` tasks for `seconds`; returns (per second, errors).
async fn measure<F, Fut>(setup: Arc<Setup>, seconds: u64, concurrency: usize, work: F) -> (f64, u64)
where
    F: Fn(Arc<Setup>) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = Result<(), consent_desk_protocol::Error>> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (setup, done, errors) = (setup.clone(), done.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match work(setup.clone()).await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(error) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first error: {error}");
                        }
                        0
                    }
                };
            }
        }));
    }
    for task in tasks {
        task.await.expect("a worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        errors.load(Ordering::Relaxed),
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let key = SigningKey::generate();
        let key_id = KeyId::new("bench-1").expect("a key id");
        let sandbox = Sandbox::builder(dir.path())
            .wait_seconds(0)
            .client_wallet("bench", "Benchmark", key.public_jwk(&key_id))
            .start()
            .await
            .expect("the sandbox starts");
        let client = Client::builder()
            .key(key, key_id)
            .client_wallet(sandbox.wallet_address("bench").as_str())
            .allow_http_loopback(true)
            .build()
            .expect("a client");
        let setup = Arc::new(Setup { sandbox, client });

        println!("sandbox throughput on loopback, {seconds} s per phase, {concurrency} concurrent");
        let (grants, errors_a) = measure(setup.clone(), seconds, concurrency, |s| async move {
            grant(&s).await
        })
        .await;
        println!("rust client: {grants:>8.1} grant requests/s ({errors_a} errors)");
        let (flows, errors_b) = measure(setup.clone(), seconds, concurrency, |s| async move {
            flow(&s).await
        })
        .await;
        println!("rust client: {flows:>8.1} non-interactive flows/s ({errors_b} errors)");

        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/node-load.mjs");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let node = tokio::process::Command::from(programs::command("node"))
            .arg(script)
            .arg(seconds.to_string())
            .arg(concurrency.to_string())
            .env(
                "SANDBOX_URL",
                setup.sandbox.base_url().as_str().trim_end_matches('/'),
            )
            .current_dir(root)
            .output()
            .await;
        match node {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                let line = text.lines().last().unwrap_or_default();
                match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(json) => {
                        println!(
                            "node sdk:    {:>8.1} grant requests/s ({} errors)",
                            json["grantsPerSecond"].as_f64().unwrap_or(0.0),
                            json["errors"]
                        );
                        println!(
                            "node sdk:    {:>8.1} non-interactive flows/s",
                            json["flowsPerSecond"].as_f64().unwrap_or(0.0)
                        );
                    }
                    Err(_) => println!("node sdk: unexpected output: {text}"),
                }
            }
            Ok(output) => println!(
                "node sdk: failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => println!("node sdk: {}", programs::not_started("node", error)),
        }
    });
}
