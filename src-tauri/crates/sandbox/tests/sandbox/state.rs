//! State in SQLite: a restarted sandbox keeps accounts, grants and payments;
//! reset restores the seed; a broken or newer state file is reported.

use consent_desk_protocol::CreateOutgoingPayment;
use consent_desk_sandbox::{Sandbox, SandboxError, STATE_FILE};

use crate::support::{amount, client_for, world, CLIENT_NAME};

#[tokio::test]
async fn a_restarted_sandbox_keeps_its_state() {
    let world = world().await;
    let invoice = world.incoming_payment("dave", None).await;
    let grant = world
        .approved("alice", |b| b.debit_amount(amount(700, "USD", 2)))
        .await;
    let token = grant.access_token.value.clone();
    let payment = world
        .client
        .create_outgoing_payment(
            &world.rs(),
            &token,
            &CreateOutgoingPayment::FromIncomingPayment {
                wallet_address: world.wallet("alice"),
                incoming_payment: invoice.id.clone(),
                debit_amount: amount(700, "USD", 2),
                metadata: None,
            },
        )
        .await
        .unwrap();
    let balances = world.sandbox.accounts().unwrap();
    let dir = world.dir.path().to_owned();
    let port = world.sandbox.base_url().port().unwrap();
    let crate::support::World {
        sandbox,
        key,
        key_id,
        log,
        dir: tempdir,
        ..
    } = world;
    sandbox.shutdown().await;

    // Same folder, same port (URLs in the state stay valid), no client key
    // given this time: it was stored.
    let restarted = Sandbox::builder(&dir)
        .port(port)
        .wait_seconds(0)
        .start()
        .await
        .unwrap();
    assert_eq!(restarted.accounts().unwrap(), balances);
    let client = client_for(&restarted, &key, &key_id, log);
    let again = client
        .get_outgoing_payment(&payment.id, &token)
        .await
        .unwrap();
    assert_eq!(again.debit_amount.value, 700);
    let spent = client
        .outgoing_payment_grant(&restarted.base_url().join("rs").unwrap(), &token)
        .await
        .unwrap();
    assert_eq!(spent.spent_debit_amount.map(|a| a.value), Some(700));

    // Reset: seeded balances back, grants gone, the client wallet kept.
    restarted.reset().unwrap();
    let alice = restarted
        .accounts()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "alice")
        .unwrap();
    assert_eq!(alice.balance, 100_000);
    let gone = client
        .get_outgoing_payment(&payment.id, &token)
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(401), "{gone}");
    assert!(restarted
        .accounts()
        .unwrap()
        .iter()
        .any(|a| a.name == CLIENT_NAME));
    restarted.shutdown().await;
    drop(tempdir);
}

#[tokio::test]
async fn reset_without_a_server_and_broken_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    consent_desk_sandbox::reset(dir.path()).unwrap();
    assert!(dir.path().join(STATE_FILE).exists());

    // A file written by a newer sandbox is not touched.
    let conn = rusqlite::Connection::open(dir.path().join(STATE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let error = Sandbox::builder(dir.path()).start().await.unwrap_err();
    assert!(error.to_string().contains("newer"), "{error}");

    // Not a database at all.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join(STATE_FILE), vec![0x42; 4096]).unwrap();
    let error = Sandbox::builder(broken.path()).start().await.unwrap_err();
    assert!(matches!(error, SandboxError::Store(_)), "{error:?}");
    assert!(error.to_string().contains("state file"), "{error}");

    // A port in use says so and what to do.
    let first = Sandbox::builder(dir.path().join("other"))
        .start()
        .await
        .unwrap();
    let port = first.base_url().port().unwrap();
    let error = Sandbox::builder(dir.path().join("third"))
        .port(port)
        .start()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("--port"), "{error}");
}
