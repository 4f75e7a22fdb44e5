//! The words the UI's test backend (`ui/src/lib/ipc/mock.ts`) shows, made
//! by the engine's own functions and written to
//! `ui/src/lib/ipc/fixtures/words.json`, so the mock never retypes a Rust
//! sentence. `UPDATE_FIXTURES=1` (or `npm run fixtures`) rewrites the file;
//! otherwise this test fails when the file is stale.
//!
//! Values the mock fills in are placeholders in braces (`{host}`): each
//! sentence is made by the real code from the placeholder as its input.

use std::path::Path;

use consent_desk_engine::words::{self, Problem, Progress};
use consent_desk_engine::{
    Error, FlowError, GrantOutcome, GrantSpec, IpcError, PaymentProblem, WalletCode,
};
use consent_desk_identity::{IdentityError, KeyFileError, KeyringError, ProfileError, WalletError};
use consent_desk_protocol::{Error as ProtocolError, GnapError, GnapErrorCode};
use serde_json::{json, Map, Value};

/// A failure as the UI receives it: `{code, problem, message, details}`.
fn ipc(error: impl Into<Error>) -> Value {
    serde_json::to_value(error.into()).expect("errors serialize")
}

fn flow(error: impl Into<FlowError>) -> Value {
    ipc(error.into())
}

fn identity(error: impl Into<IdentityError>) -> Value {
    ipc(error.into())
}

fn problem(problem: &Problem) -> Value {
    serde_json::to_value(IpcError::from(problem)).expect("errors serialize")
}

/// `value` with `example` (what the real code was given) put back as
/// `{placeholder}` wherever the sentence repeats it.
fn templated(value: Value, example: &str, placeholder: &str) -> Value {
    let text = value
        .to_string()
        .replace(example, &format!("{{{placeholder}}}"));
    serde_json::from_str(&text).expect("still JSON")
}

fn spec_error(receiver: Option<&str>, interval: Option<&str>) -> FlowError {
    GrantSpec::parse("https://w.example/alice", None, None, receiver, interval)
        .expect_err("refused")
}

fn errors() -> Map<String, Value> {
    let mut errors = Map::new();
    let mut add = |name: &str, value: Value| {
        errors.insert(name.to_owned(), value);
    };
    // Amounts as typed, in an asset of scale 2.
    let amount =
        |text: &str| flow(consent_desk_engine::parse_major_units(text, 2).expect_err("refused"));
    add("amountMissing", amount(""));
    add("amountNotDecimal", amount("{text}"));
    add(
        "amountTooPrecise",
        templated(amount("13.201"), "13.201", "text"),
    );
    add("amountZero", amount("0"));
    add("intervalInvalid", flow(spec_error(None, Some("{text}"))));
    add("receiverInvalid", flow(spec_error(Some("not a url"), None)));
    // Wallets.
    add(
        "walletUnreachable",
        flow(ProtocolError::Network {
            host: "{host}".into(),
            source: Box::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            )),
        }),
    );
    add(
        "walletUnavailable",
        flow(ProtocolError::Gnap {
            status: 503,
            host: "{host}".into(),
            error: GnapError {
                code: Some(GnapErrorCode::Other("injected_fault".into())),
                description: Some("the sandbox was asked to fail this call".into()),
            },
        }),
    );
    add(
        "walletSlow",
        flow(ProtocolError::Timeout {
            host: "{host}".into(),
            timeout_ms: 15_000,
        }),
    );
    add(
        "previewUnreachable",
        identity(WalletError::Unreachable {
            host: "{host}".into(),
            detail: "Connection refused (os error 111)".into(),
        }),
    );
    add(
        "noPublicName",
        identity(WalletError::NoPublicName {
            url: "{url}".into(),
        }),
    );
    // Profiles and keys.
    add(
        "profileNotFound",
        identity(ProfileError::NotFound("{id}".into())),
    );
    add(
        "profileExists",
        identity(ProfileError::Exists("{name}".into())),
    );
    add("profileBuiltIn", identity(ProfileError::BuiltIn));
    add(
        "keyringUnavailable",
        identity(KeyringError::Unavailable {
            detail: "{problem}".into(),
        }),
    );
    add(
        "keyNotPem",
        identity(consent_desk_protocol::KeyError::NotPem {
            reason: "no PEM block".into(),
        }),
    );
    add("weakPassphrase", identity(KeyFileError::WeakPassphrase));
    add(
        "needsPassphrase",
        identity(IdentityError::NeedsPassphrase {
            profile: "{profile}".into(),
        }),
    );
    add(
        "wrongPassphrase",
        identity(KeyFileError::WrongPassphrase {
            path: "{path}".into(),
        }),
    );
    // Payments and finishes.
    add("quoteExpired", flow(FlowError::QuoteExpired));
    add("unknownFinish", problem(&Problem::UnknownFinish));
    errors
}

fn steps() -> Value {
    json!({
        "requesting": Progress::Asking.words(),
        "waiting": Progress::WaitingInWindow.words(),
        "waitingInBrowser": Progress::WaitingInBrowser.words(),
        "verifying": Progress::Verifying.words(),
        "continuing": Progress::Continuing.words(),
        "done": Progress::Approved { summary: "{summary}" }.words(),
        "proved": Progress::Proved { wallet: "{wallet}" }.words(),
        "notApproved": Progress::NotApproved.words(),
        "refused": Problem::UnknownFinish.message(),
        "cancelled": Progress::CancelledByYou.words(),
        "windowClosed": Progress::WindowClosed.words(),
    })
}

fn payments() -> Value {
    json!({
        "quoted": Progress::Quoted.words(),
        "requoted": Progress::Requoted.words(),
        "approve": Progress::ApprovePayment.words(),
        "sending": Progress::Sending.words(),
        "stopped": Progress::PaymentStopped.words(),
    })
}

/// Why a grant ended without approval, as its view says.
fn grant_outcomes() -> Value {
    let wallet = |code: WalletCode, description: Option<&str>| GrantOutcome::Wallet {
        code,
        description: description.map(str::to_owned),
    };
    json!({
        "rejected": words::grant_outcome(&wallet(WalletCode::GrantRejected, None)),
        "expired": words::grant_outcome(&wallet(
            WalletCode::InvalidInteraction,
            Some("interaction expired"),
        )),
        "cancelled": words::grant_outcome(&GrantOutcome::Cancelled),
    })
}

/// Why a payment failed or stopped, as its view says.
fn payment_problems() -> Value {
    let renews = consent_desk_engine::outcome::Renewal {
        at: time::macros::datetime!(2026-12-01 00:00 UTC),
        daily: true,
    };
    json!({
        "cancelled": words::payment_problem(&PaymentProblem::Cancelled),
        "budgetSpentToday": words::payment_problem(&PaymentProblem::BudgetSpent {
            renews: Some(renews),
        }),
    })
}

/// How the sandbox quotes: its fixed rates and its cross-asset fee, and the
/// exchange rate's sentence.
fn sandbox() -> Value {
    let rates: Map<String, Value> = consent_desk_sandbox::EXCHANGE_RATES
        .iter()
        .map(|(asset, millionths)| {
            (
                (*asset).to_owned(),
                json!(u64::try_from(*millionths).unwrap()),
            )
        })
        .collect();
    json!({
        "millionthsPerUsd": rates,
        "crossAssetFeeBasisPoints": u64::try_from(consent_desk_sandbox::CROSS_ASSET_FEE_BASIS_POINTS).unwrap(),
        "rate": words::rate_words("{debitAsset}", "{rate}", "{receiveAsset}"),
        "feeInRate": words::FEE_IN_RATE,
    })
}

fn fixture() -> String {
    let value = json!({
        "comment": "Written by src-tauri/crates/engine/tests/words_fixture.rs (npm run fixtures); do not edit.",
        "steps": steps(),
        "payments": payments(),
        "grantOutcomes": grant_outcomes(),
        "paymentProblems": payment_problems(),
        "errors": errors(),
        "sandbox": sandbox(),
    });
    serde_json::to_string_pretty(&value).expect("JSON") + "\n"
}

#[test]
fn the_mock_backend_words_fixture_is_current() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/lib/ipc/fixtures/words.json");
    let expected = fixture();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).expect("fixtures folder");
        std::fs::write(&path, &expected).expect("write the fixture");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run `npm run fixtures` and commit the result",
        path.display()
    );
}

#[test]
fn the_fixture_says_nothing_a_person_should_not_read() {
    for (name, error) in errors() {
        let message = error["message"].as_str().unwrap();
        assert!(!message.contains(['`', '_']), "{name}: {message}");
        assert!(!message.contains("Http"), "{name}: {message}");
        assert!(message.ends_with(['.', '?', '!']), "{name}: {message}");
    }
    // The server's own words go to the details, not the sentence.
    let unavailable = &errors()["walletUnavailable"];
    assert_eq!(unavailable["code"], "network", "{unavailable}");
    assert!(
        unavailable["details"]
            .as_str()
            .is_some_and(|details| details.contains("injected_fault")),
        "{unavailable}"
    );
}
