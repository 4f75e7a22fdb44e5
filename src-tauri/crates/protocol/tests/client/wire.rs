use consent_desk_protocol::{
    AccessToken, Amount, ContinueToken, Error, GrantRequest, GrantRequestError, LimitAmount, Nonce,
    OutgoingLimits, OutgoingPaymentAction, RepeatingInterval,
};
use serde_json::json;

use crate::support::openapi::{validate, Doc};

fn usd(value: u64) -> Amount {
    Amount {
        value,
        asset_code: "USD".into(),
        asset_scale: 2,
    }
}

fn seed_builder() -> consent_desk_protocol::OutgoingPaymentGrantBuilder {
    GrantRequest::outgoing_payment("https://ilp.interledger-test.dev/alice".parse().unwrap())
        .client("https://ilp.interledger-test.dev/client".parse().unwrap())
        .finish(
            "https://localhost/?paymentId=123423".parse().unwrap(),
            Nonce::new("1234567890"),
        )
}

/// The seed document's PHP example, "with an interval" (same fields as the
/// Node one), and the JSON this crate sends for it.
#[test]
fn outgoing_grant_with_interval_matches_the_seed_shape() {
    let request = seed_builder()
        .debit_amount(usd(132))
        .interval_str("R/2025-04-22T08:00:00Z/P1D")
        .build()
        .unwrap();
    let expected = json!({
        "access_token": {"access": [{
            "type": "outgoing-payment",
            "actions": ["list", "list-all", "read", "read-all", "create"],
            "identifier": "https://ilp.interledger-test.dev/alice",
            "limits": {
                "debitAmount": {"value": "132", "assetCode": "USD", "assetScale": 2},
                "interval": "R/2025-04-22T08:00:00Z/P1D"
            }
        }]},
        "client": "https://ilp.interledger-test.dev/client",
        "interact": {
            "start": ["redirect"],
            "finish": {"method": "redirect", "uri": "https://localhost/?paymentId=123423", "nonce": "1234567890"}
        }
    });
    assert_eq!(serde_json::to_value(&request).unwrap(), expected);
    validate(Doc::Auth, "/", "post", None, &expected);
    // Round trip, as the sandbox reads it.
    let back: GrantRequest = serde_json::from_value(expected).unwrap();
    assert_eq!(back, request);
}

#[test]
fn outgoing_grant_without_interval_with_receiver() {
    let receiver =
        "https://ilp.interledger-test.dev/incoming-payments/08394f02-7b7b-45e2-b645-51d04e7c330c";
    let request = seed_builder()
        .receiver(receiver.parse().unwrap())
        .debit_amount(usd(130))
        .actions(vec![
            OutgoingPaymentAction::Create,
            OutgoingPaymentAction::Read,
        ])
        .build()
        .unwrap();
    let value = serde_json::to_value(&request).unwrap();
    assert_eq!(
        value["access_token"]["access"][0]["limits"],
        json!({"receiver": receiver, "debitAmount": {"value": "130", "assetCode": "USD", "assetScale": 2}})
    );
    assert_eq!(
        value["access_token"]["access"][0]["actions"],
        json!(["create", "read"])
    );
    validate(Doc::Auth, "/", "post", None, &value);
}

#[test]
fn outgoing_grant_with_receive_amount_or_no_limit() {
    let request = seed_builder()
        .receive_amount(usd(7))
        .interval(RepeatingInterval::parse("R12/2025-01-01T00:00:00Z/P1M").unwrap())
        .build()
        .unwrap();
    let value = serde_json::to_value(&request).unwrap();
    assert_eq!(
        value["access_token"]["access"][0]["limits"],
        json!({"receiveAmount": {"value": "7", "assetCode": "USD", "assetScale": 2}, "interval": "R12/2025-01-01T00:00:00Z/P1M"})
    );
    validate(Doc::Auth, "/", "post", None, &value);

    let unlimited = serde_json::to_value(seed_builder().build().unwrap()).unwrap();
    assert!(unlimited["access_token"]["access"][0]
        .get("limits")
        .is_none());
    validate(Doc::Auth, "/", "post", None, &unlimited);
}

#[test]
fn debit_and_receive_amount_are_exclusive() {
    let error = seed_builder()
        .debit_amount(usd(1))
        .receive_amount(usd(2))
        .build()
        .unwrap_err();
    assert!(
        matches!(error, Error::GrantRequest(GrantRequestError::BothAmounts)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "a grant limits either the amount sent (debitAmount) or the amount received \
         (receiveAmount), not both; choose one"
    );
    let error = seed_builder()
        .receive_amount(usd(2))
        .debit_amount(usd(1))
        .build()
        .unwrap_err();
    assert!(matches!(
        error,
        Error::GrantRequest(GrantRequestError::BothAmounts)
    ));

    // Parsing refuses both too.
    let both = json!({
        "debitAmount": {"value": "1", "assetCode": "USD", "assetScale": 2},
        "receiveAmount": {"value": "1", "assetCode": "USD", "assetScale": 2}
    });
    let parsed = serde_json::from_value::<OutgoingLimits>(both);
    assert!(parsed
        .unwrap_err()
        .to_string()
        .contains("both debitAmount and receiveAmount"));
    let one: OutgoingLimits = serde_json::from_value(
        json!({"receiveAmount": {"value": "1", "assetCode": "EUR", "assetScale": 2}}),
    )
    .unwrap();
    assert!(matches!(one.amount, Some(LimitAmount::Receive(_))));
}

#[test]
fn builder_keeps_the_first_invalid_value() {
    let error = seed_builder()
        .interval_str("every day")
        .receiver("https://ilp.example/not-a-payment".parse().unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(error, Error::GrantRequest(GrantRequestError::Interval(_))),
        "{error:?}"
    );
    let error = GrantRequest::outgoing_payment("https://w.example/a".parse().unwrap())
        .finish("https://localhost/".parse().unwrap(), Nonce::new("n"))
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the grant request has no client wallet address; set it with `client`"
    );
}

#[test]
fn secrets_are_redacted_in_debug() {
    let access = AccessToken::new("OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0");
    let cont = ContinueToken::new("33OMUKMKSKU80UPRY5NM");
    assert_eq!(format!("{access:?}"), "AccessToken([redacted])");
    assert_eq!(format!("{cont:?}"), "ContinueToken([redacted])");
    assert_eq!(access.secret(), "OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0");
    // Also inside the structs that carry them.
    let grant: consent_desk_protocol::GrantResponse = serde_json::from_str(
        &crate::support::fixture("grant_approved.json", "https://w.example"),
    )
    .unwrap();
    let debug = format!("{grant:?}");
    assert!(
        !debug.contains("OS9M2PMHKUR64TB8N6BW7OZB8CDFONP219RP1LT0"),
        "{debug}"
    );
    assert!(!debug.contains("33OMUKMKSKU80UPRY5NM"), "{debug}");
    // And serialize as the plain string, for the sandbox.
    assert_eq!(
        serde_json::to_string(&cont).unwrap(),
        "\"33OMUKMKSKU80UPRY5NM\""
    );
}
