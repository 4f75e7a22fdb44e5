//! The whole "send a payment" flow with the Rust client, every answer checked
//! against the OpenAPI documents.

use consent_desk_protocol::{
    AccessItem, Amount, CreateOutgoingPayment, CreateQuote, FinishOutcome, IncomingPaymentAction,
    Nonce, PageQuery, QuoteAction,
};

use crate::support::{approved, world, Browser, CLIENT_NAME};

#[tokio::test]
async fn send_a_payment_across_assets_end_to_end() {
    let world = world().await;
    let (alice_before, bob_before) = (world.balance("alice"), world.balance("bob"));

    // Wallet addresses, keys, DID document.
    let alice = world
        .client
        .wallet_address(&world.wallet("alice"))
        .await
        .unwrap();
    assert_eq!((alice.asset_code.as_str(), alice.asset_scale), ("USD", 2));
    assert_eq!(alice.auth_server, world.auth());
    let jwks = world.client.jwks(&world.wallet(CLIENT_NAME)).await.unwrap();
    assert!(jwks.find(world.key_id.as_str()).is_some());
    world
        .client
        .did_document(&world.wallet("alice"))
        .await
        .unwrap();

    // Incoming payment at bob (EUR): 10.00 EUR.
    let incoming = world.incoming_payment("bob", Some(1000)).await;
    assert_eq!(incoming.received_amount.value, 0);
    assert!(incoming
        .methods
        .as_ref()
        .is_some_and(|methods| !methods.is_empty()));
    let public = world
        .client
        .get_public_incoming_payment(&incoming.id)
        .await
        .unwrap();
    assert_eq!(public.auth_server, world.auth());

    // Quote at alice (USD) for it: the rate table and the 1% fee decide.
    let quote_grant = world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create, QuoteAction::Read],
        }])
        .await;
    let quote = world
        .client
        .create_quote(
            &world.rs(),
            &quote_grant.access_token.value,
            &CreateQuote {
                wallet_address: world.wallet("alice"),
                receiver: incoming.id.clone(),
                method: "ilp".into(),
                amount: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(quote.receive_amount.value, 1000);
    assert_eq!(quote.receive_amount.asset_code, "EUR");
    assert_eq!(quote.debit_amount.asset_code, "USD");
    assert_eq!(quote.debit_amount.value, 1098);
    let again = world
        .client
        .get_quote(&quote.id, &quote_grant.access_token.value)
        .await
        .unwrap();
    assert_eq!(again, quote);

    // Interactive grant limited to the quote's debit amount, approved in the
    // browser, finish hash checked, continued.
    let nonce = Nonce::generate();
    let pending = world
        .pending(
            |b| {
                b.debit_amount(quote.debit_amount.clone())
                    .receiver(incoming.id.clone())
            },
            &nonce,
        )
        .await;
    let browser = Browser::new();
    let (page_url, html) = browser.open(&pending).await;
    assert!(html.contains("Consent Desk"), "the page names who asks");
    assert!(
        html.contains("$10.98"),
        "the page shows the amount with its scale"
    );
    let step = browser.choose(&page_url, "accept").await;
    let finish = browser.finish(&step).await;
    assert!(finish.as_str().starts_with(crate::support::FINISH_URI));
    let outcome = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap();
    let FinishOutcome::Approved { interact_ref } = outcome else {
        panic!("{outcome:?}")
    };
    let grant = approved(
        world
            .client
            .continue_grant(&pending.continue_, &interact_ref)
            .await
            .unwrap(),
    );
    let token = grant.access_token.value.clone();

    // Pay the quote; balances move, the incoming payment completes.
    let payment = world
        .client
        .create_outgoing_payment(
            &world.rs(),
            &token,
            &CreateOutgoingPayment::FromQuote {
                wallet_address: world.wallet("alice"),
                quote_id: quote.id.clone(),
                metadata: None,
            },
        )
        .await
        .unwrap();
    assert!(!payment.failed);
    assert_eq!(
        payment.grant_spent_debit_amount.as_ref().map(|a| a.value),
        Some(1098)
    );
    assert_eq!(world.balance("alice"), alice_before - 1098);
    assert_eq!(world.balance("bob"), bob_before + 1000);
    let fetched = world
        .client
        .get_outgoing_payment(&payment.id, &token)
        .await
        .unwrap();
    assert_eq!(fetched.debit_amount.value, 1098);
    let listed = world
        .client
        .list_outgoing_payments(
            &world.rs(),
            &token,
            &world.wallet("alice"),
            &PageQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.result.len(), 1);
    let spent = world
        .client
        .outgoing_payment_grant(&world.rs(), &token)
        .await
        .unwrap();
    assert_eq!(spent.spent_debit_amount.map(|a| a.value), Some(1098));
    assert_eq!(
        spent.spent_receive_amount.map(|a| (a.value, a.asset_code)),
        Some((1000, "EUR".into()))
    );

    // The receiver sees the money arrive.
    let receiver_grant = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![
                IncomingPaymentAction::ReadAll,
                IncomingPaymentAction::ListAll,
            ],
            identifier: Some(world.wallet("bob")),
        }])
        .await;
    let arrived = world
        .client
        .get_incoming_payment(&incoming.id, &receiver_grant.access_token.value)
        .await
        .unwrap();
    assert_eq!(arrived.received_amount.value, 1000);
    assert!(arrived.completed);
    let bob_list = world
        .client
        .list_incoming_payments(
            &world.rs(),
            &receiver_grant.access_token.value,
            &world.wallet("bob"),
            &PageQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(bob_list.result.len(), 1);

    // Rotate: a new value and a new manage URL; the old value stops working.
    let rotated = world
        .client
        .rotate_token(&grant.access_token.manage, &token)
        .await
        .unwrap();
    assert_ne!(rotated.access_token.manage, grant.access_token.manage);
    assert_ne!(rotated.access_token.value.secret(), token.secret());
    let old = world
        .client
        .get_outgoing_payment(&payment.id, &token)
        .await
        .unwrap_err();
    assert!(old.needs_token_rotation(), "{old}");
    let new_token = rotated.access_token.value.clone();
    world
        .client
        .get_outgoing_payment(&payment.id, &new_token)
        .await
        .unwrap();

    // Revoke, then cancel the grant.
    world
        .client
        .revoke_token(&rotated.access_token.manage, &new_token)
        .await
        .unwrap();
    let revoked = world
        .client
        .get_outgoing_payment(&payment.id, &new_token)
        .await
        .unwrap_err();
    assert_eq!(revoked.status(), Some(401), "{revoked}");
    let admin_view = |id: String| {
        let url = world
            .sandbox
            .base_url()
            .join(&format!("admin/grants/{id}"))
            .unwrap();
        async move {
            let answer = reqwest::get(url).await.unwrap();
            assert_eq!(answer.status(), 200);
            answer.json::<serde_json::Value>().await.unwrap()
        }
    };
    let continue_id = grant
        .continue_
        .uri
        .0
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap()
        .to_owned();
    assert_eq!(admin_view(continue_id.clone()).await["state"], "issued");
    world.client.cancel_grant(&grant.continue_).await.unwrap();
    let seen = admin_view(continue_id.clone()).await;
    assert_eq!(seen["state"], "revoked", "{seen}");
    assert_eq!(seen["continueId"], continue_id.as_str());
    let by_id = admin_view(seen["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(by_id, seen);
    let cancelled = world
        .client
        .rotate_token(&rotated.access_token.manage, &new_token)
        .await
        .unwrap_err();
    assert_eq!(cancelled.status(), Some(400), "{cancelled}");
    assert_eq!(
        cancelled.gnap_code().map(|code| code.as_str()),
        Some("invalid_rotation")
    );

    let checked = world.check_openapi();
    assert!(
        checked >= 15,
        "only {checked} answers were checked against the OpenAPI documents"
    );
}

#[tokio::test]
async fn incoming_payments_page_and_complete() {
    let world = world().await;
    let grant = world
        .grant_now(vec![AccessItem::IncomingPayment {
            actions: vec![
                IncomingPaymentAction::Create,
                IncomingPaymentAction::List,
                IncomingPaymentAction::Complete,
            ],
            identifier: Some(world.wallet("carol")),
        }])
        .await;
    let token = &grant.access_token.value;
    let mut created = Vec::new();
    for value in [100, 200, 300] {
        let payment = world
            .client
            .create_incoming_payment(
                &world.rs(),
                token,
                &consent_desk_protocol::CreateIncomingPayment {
                    wallet_address: world.wallet("carol"),
                    incoming_amount: Some(Amount {
                        value,
                        asset_code: "MXN".into(),
                        asset_scale: 2,
                    }),
                    expires_at: Some("2099-01-01T00:00:00Z".into()),
                    metadata: Some(
                        serde_json::json!({"note": value})
                            .as_object()
                            .unwrap()
                            .clone(),
                    ),
                },
            )
            .await
            .unwrap();
        created.push(payment.id);
    }
    let rs = world.rs();
    let carol = world.wallet("carol");
    let first = world
        .client
        .list_incoming_payments(
            &rs,
            token,
            &carol,
            &PageQuery::Forward {
                first: 2,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        first
            .result
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>(),
        created[..2]
    );
    assert!(first.pagination.has_next_page && !first.pagination.has_previous_page);
    let second = world
        .client
        .list_incoming_payments(&rs, token, &carol, &first.next_query(2).unwrap())
        .await
        .unwrap();
    assert_eq!(second.result.len(), 1);
    assert_eq!(second.result[0].id, created[2]);
    assert!(!second.pagination.has_next_page && second.pagination.has_previous_page);
    let back = world
        .client
        .list_incoming_payments(&rs, token, &carol, &second.previous_query(2).unwrap())
        .await
        .unwrap();
    assert_eq!(
        back.result.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        created[..2]
    );

    let completed = world
        .client
        .complete_incoming_payment(&created[0], token)
        .await
        .unwrap();
    assert!(completed.completed);
    world.check_openapi();
}

#[tokio::test]
async fn the_object_form_of_client_is_accepted_like_the_string() {
    // Open Payments 1.3 deprecates `"client": "https://…"` for
    // `{"walletAddress": …}`; a profile may choose either.
    let mut world = world().await;
    world.client = consent_desk_protocol::Client::builder()
        .key(crate::support::copy_key(&world.key), world.key_id.clone())
        .client_wallet(world.wallet(CLIENT_NAME).as_str())
        .client_form(consent_desk_protocol::ClientForm::Object)
        .allow_http_loopback(true)
        .build_with(crate::support::Recorder::new(world.log.clone()))
        .unwrap();
    // Interactive: the consent page names the client, the continuation is
    // signed by the same client and answers the token.
    let grant = world.approved("alice", |b| b).await;
    assert!(!grant.access_token.value.secret().is_empty());
    // Non-interactive.
    world
        .grant_now(vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }])
        .await;
    // What the client sent in this form is checked against auth-server.yaml
    // by the protocol crate; here, every answer to it matches the documents.
    assert!(world.check_openapi() > 0);
}

#[tokio::test]
async fn an_ownership_proof_is_confirmed_at_the_consent_page_and_answers_the_subject_only() {
    // Spec 1.3: `subject` and no `access_token`; the continuation carries
    // `subject` and no token.
    let world = world().await;
    let alice = world.wallet("alice");
    let nonce = Nonce::generate();
    let request = consent_desk_protocol::SubjectRequest::ownership_of(
        &alice,
        world.wallet(CLIENT_NAME),
        crate::support::FINISH_URI.parse().unwrap(),
        &nonce,
    );
    let consent_desk_protocol::GrantResponse::Pending(pending) = world
        .client
        .request_subject(&world.auth(), &request)
        .await
        .unwrap()
    else {
        panic!("an ownership proof needs the person");
    };
    let browser = Browser::new();
    let (page_url, html) = browser.open(&pending).await;
    assert!(
        html.contains("<bdi>Consent Desk</bdi> wants to confirm that you own this account"),
        "{html}"
    );
    assert!(html.contains(alice.as_str()), "the page names the account");
    let step = browser.choose(&page_url, "accept").await;
    let finish = browser.finish(&step).await;
    let FinishOutcome::Approved { interact_ref } = consent_desk_protocol::verify_finish(
        finish.as_str(),
        &nonce,
        &Nonce::new(pending.interact.finish.clone()),
        world.auth().as_str(),
    )
    .unwrap() else {
        panic!("approved");
    };
    let answer = world
        .client
        .continue_grant(&pending.continue_, &interact_ref)
        .await
        .unwrap();
    let consent_desk_protocol::GrantResponse::Subject(proved) = answer else {
        panic!("expected the subject and no token, got {answer:?}");
    };
    assert!(proved.subject.names(&alice), "{:?}", proved.subject);
    assert_eq!(proved.subject.sub_ids.len(), 1);
    assert!(world.check_openapi() > 0);

    // Only its own wallet addresses: the sandbox cannot vouch for others.
    let foreign = consent_desk_protocol::SubjectRequest::ownership_of(
        &"https://wallet.example/alice".parse().unwrap(),
        world.wallet(CLIENT_NAME),
        crate::support::FINISH_URI.parse().unwrap(),
        &Nonce::generate(),
    );
    let refused = world
        .client
        .request_subject(&world.auth(), &foreign)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    assert!(refused.to_string().contains("its own"), "{refused}");
}
