//! SIGKILL at any moment of an approval and of a payment, many times
//! (`.ci/kill-test`): `consent-desk grant request` and `consent-desk pay`
//! run as real processes against the sandbox wallet, the person approves on
//! the consent page, the finish reaches the command's loopback listener, and
//! the command is killed after a delay that varies from one run to the next
//! (so the kills land before, during and after each store write: the finish
//! claimed, the continuation, the tokens kept, the payment sent). Then a
//! restart does what a person would: opens the wallet's link again
//! (`grant continue`) and resumes the payment (`payments resume`).
//!
//! Afterwards nothing may be lost, duplicated, stuck or orphaned: the money
//! that left alice is exactly what the store says was paid; no grant is
//! left `finishing` and no payment `sending` or `authorizing` with an
//! approved grant; every approved grant has its access token in the keyring
//! (a private gnome-keyring) and every token there belongs to a grant that
//! may hold it. The figures are printed.
//!
//! Runs `CONSENT_DESK_KILL_ITERATIONS` iterations (6 unless set):
//! `.ci/kill-test [ITERATIONS]`.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::time::Duration;

use libtest_mimic::Trial;

use crate::browser::approve;
use crate::loopback::{first_event, grant_cli, world};
use crate::session::Session;

/// Delays after the finish reaches the command, in milliseconds, used in
/// turn; `None` kills before the person approves (the command waiting).
const DELAYS: [Option<u64>; 20] = [
    None,
    Some(0),
    Some(2),
    Some(5),
    Some(10),
    Some(20),
    Some(40),
    Some(80),
    Some(150),
    Some(300),
    // The sandbox asks to wait 1 s before continuing (`wait`): past it,
    // the continuation, the tokens kept and the payment sent.
    Some(950),
    Some(1000),
    Some(1030),
    Some(1060),
    Some(1100),
    Some(1150),
    Some(1250),
    Some(1400),
    Some(1700),
    Some(2500),
];

/// How long a run's lease on a payment it sends lasts (the engine's
/// `SEND_LEASE`): a killed run's lease keeps the payment until then.
const LEASE: Duration = Duration::from_secs(120);

/// The states one iteration saw: at the kill, and after the restart.
#[derive(Debug, Default)]
struct Figures {
    iterations: usize,
    /// "grant pending", "payment sending", … at the moment of the kill.
    at_kill: BTreeMap<String, usize>,
    /// What the restart ended as.
    after: BTreeMap<String, usize>,
    /// The commands the restart ran, with how they exited.
    recovery: BTreeMap<String, usize>,
    /// Each grant's finish link, to open again.
    links: BTreeMap<String, String>,
}

fn count(map: &mut BTreeMap<String, usize>, key: String) {
    *map.entry(key).or_default() += 1;
}

/// A command of this session, run to its end; its exit code and JSON.
fn run(session: &Session, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let (code, json, _) = run_saying(session, args);
    (code, json)
}

/// [`run`], with the first line of what it said on stderr, ids replaced by
/// `<id>` so that like outcomes count together.
fn run_saying(session: &Session, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = grant_cli(session, args).output().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    // The sentence for the person (`error: …`), not the log lines before it.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .or_else(|| stderr.lines().rfind(|line| !line.trim().is_empty()))
        .unwrap_or("")
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if bare.len() == 36 && bare.matches('-').count() == 4 {
                word.replace(bare, "<id>")
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    (output.status.code(), json, said)
}

/// How a recovery command ended, for the figures.
fn outcome(what: &str, (code, _, said): &(Option<i32>, serde_json::Value, String)) -> String {
    match code {
        Some(0) => format!("{what}: exit 0"),
        code => format!("{what}: exit {} \"{said}\"", code.unwrap_or(-1)),
    }
}

fn grant_state(session: &Session, id: &str) -> String {
    let (_, grant) = run(session, &["grant", "show", id, "--json"]);
    grant["state"].as_str().unwrap_or("missing").to_owned()
}

/// Every payment in the store, newest first.
fn payments(session: &Session) -> Vec<serde_json::Value> {
    let (_, list) = run(session, &["payments", "list", "--limit", "1000", "--json"]);
    list.as_array().cloned().unwrap_or_default()
}

/// Every grant in the store, newest first.
fn grants(session: &Session) -> Vec<serde_json::Value> {
    let (_, list) = run(session, &["grant", "list", "--limit", "1000", "--json"]);
    list.as_array().cloned().unwrap_or_default()
}

/// The accounts (`grant:<id>:<kind>`) of the items in the session's
/// keyring. The bus is private to the test, so every item is the app's.
fn keyring_accounts(session: &Session) -> Vec<String> {
    let address = session.bus.as_deref().expect("a bus");
    let connection = zbus::blocking::connection::Builder::address(address)
        .and_then(zbus::blocking::connection::Builder::build)
        .expect("the private bus accepts connections");
    let collection = zbus::blocking::Proxy::new(
        &connection,
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets/collection/login",
        "org.freedesktop.Secret.Collection",
    )
    .unwrap();
    let items: Vec<zbus::zvariant::OwnedObjectPath> = collection.get_property("Items").unwrap();
    items
        .into_iter()
        .filter_map(|path| {
            let item = zbus::blocking::Proxy::new(
                &connection,
                "org.freedesktop.secrets",
                path,
                "org.freedesktop.Secret.Item",
            )
            .unwrap();
            let attributes: std::collections::HashMap<String, String> =
                item.get_property("Attributes").unwrap();
            attributes
                .into_values()
                .find(|value| value.starts_with("grant:"))
        })
        .collect()
}

/// Starts the command, approves, delivers the finish after `delay` and
/// kills it; then restarts as a person would.
async fn iteration(
    session: &Session,
    alice: &str,
    dave: &str,
    pay: bool,
    delay: Option<u64>,
    figures: &mut Figures,
) {
    let mut command = if pay {
        grant_cli(
            session,
            &[
                "pay",
                "--from",
                alice,
                "--to",
                dave,
                "--amount",
                "0.25",
                "--yes",
                "--json",
                "--passphrase-env",
                "PW",
                "--timeout",
                "60",
            ],
        )
    } else {
        grant_cli(
            session,
            &[
                "grant",
                "request",
                "--wallet",
                alice,
                "--debit",
                "0.25",
                "--finish",
                "loopback",
                "--json",
                "--passphrase-env",
                "PW",
                "--timeout",
                "60",
            ],
        )
    };
    let (mut child, mut stdout, mut event) = first_event(&mut command);
    // `pay` says the quote first (and how the wallet sends the person back).
    while event["event"] != "pending" {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        event = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line:?}"));
    }
    // `pay`: {id: payment, grant}; `grant request`: {id: grant}.
    let grant = event["grant"]
        .as_str()
        .or_else(|| event["id"].as_str())
        .unwrap_or_else(|| panic!("no grant in {event}"))
        .to_owned();
    let payment = pay.then(|| event["id"].as_str().unwrap().to_owned());
    let finish = approve(event["redirect"].as_str().unwrap()).await;
    figures.links.insert(grant.clone(), finish.clone());
    if let Some(delay) = delay {
        // The browser following the wallet's redirect to the listener.
        let link = finish.clone();
        tokio::spawn(async move {
            let _ = reqwest::get(link).await;
        });
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    // `Child::kill` is SIGKILL: no handler runs, nothing is flushed.
    let _ = child.kill();
    let _ = child.wait();
    drop(stdout);

    let state = grant_state(session, &grant);
    let label = match &payment {
        Some(id) => format!(
            "payment {} (grant {state})",
            run(session, &["payments", "show", id, "--json"]).1["state"]
                .as_str()
                .unwrap_or("missing")
        ),
        None => format!("grant {state}"),
    };
    count(&mut figures.at_kill, label);

    // The restart: the person opens the wallet's link again if the grant
    // did not finish, then the payment is resumed where it stopped.
    if matches!(state.as_str(), "pending" | "finishing") {
        let ran = run_saying(
            session,
            &[
                "grant",
                "continue",
                "--finish-url",
                &finish,
                "--passphrase-env",
                "PW",
                "--json",
            ],
        );
        count(
            &mut figures.recovery,
            outcome(&format!("grant continue ({state})"), &ran),
        );
    }
    if let Some(id) = &payment {
        let (_, shown) = run(session, &["payments", "show", id, "--json"]);
        let now = shown["state"].as_str().unwrap_or("missing").to_owned();
        if matches!(now.as_str(), "authorizing" | "sending" | "sent") {
            let ran = run_saying(
                session,
                &["payments", "resume", id, "--passphrase-env", "PW", "--json"],
            );
            count(
                &mut figures.recovery,
                outcome(&format!("payments resume ({now})"), &ran),
            );
        }
        let (_, shown) = run(session, &["payments", "show", id, "--json"]);
        count(
            &mut figures.after,
            format!(
                "payment {} (grant {})",
                shown["state"].as_str().unwrap_or("missing"),
                grant_state(session, &grant)
            ),
        );
    } else {
        count(
            &mut figures.after,
            format!("grant {}", grant_state(session, &grant)),
        );
    }
    figures.iterations += 1;
}

fn amount(value: &serde_json::Value) -> u64 {
    value["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn killed_anywhere_approve_and_pay_lose_nothing_pay_once_and_leave_nothing_behind() {
    let iterations: usize = std::env::var("CONSENT_DESK_KILL_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(6);
    let (session, sandbox, _dir) = world().await;
    let balance = |name: &str| crate::loopback::balance(&sandbox, name);
    let (alice_before, dave_before) = (balance("alice"), balance("dave"));
    let alice = sandbox.wallet_address("alice").to_string();
    let dave = sandbox.wallet_address("dave").to_string();
    let mut figures = Figures::default();
    for n in 0..iterations {
        // An approval and a payment with each delay; the delays taken 7
        // apart (7 and 20 share no factor: all 20 in 20 pairs), so even a
        // short pass kills early, mid-way and late.
        let delay = DELAYS[(n / 2 * 7) % DELAYS.len()];
        iteration(&session, &alice, &dave, n % 2 == 1, delay, &mut figures).await;
    }

    // A killed run's lease (owner and expiry in the store) on a payment it
    // was sending or an approval it was completing keeps other runs away
    // until it runs out: then every payment still waiting is resumed and
    // every approval still finishing has its link opened again, as a person
    // would after the next start.
    let waiting = |p: &serde_json::Value| {
        matches!(
            p["state"].as_str(),
            Some("sending" | "authorizing" | "sent")
        )
    };
    let mut swept = 0;
    let deadline = std::time::Instant::now() + LEASE + Duration::from_secs(15);
    loop {
        let left: Vec<String> = payments(&session)
            .into_iter()
            .filter(waiting)
            .filter_map(|p| p["id"].as_str().map(str::to_owned))
            .collect();
        for id in &left {
            let ran = run_saying(
                &session,
                &["payments", "resume", id, "--passphrase-env", "PW", "--json"],
            );
            if ran.0 == Some(0) {
                swept += 1;
            }
        }
        let finishing: Vec<String> = grants(&session)
            .into_iter()
            .filter(|g| g["state"] == "finishing")
            .filter_map(|g| g["id"].as_str().map(str::to_owned))
            .collect();
        for id in &finishing {
            let link = &figures.links[id];
            let ran = run_saying(
                &session,
                &[
                    "grant",
                    "continue",
                    "--finish-url",
                    link,
                    "--passphrase-env",
                    "PW",
                    "--json",
                ],
            );
            if ran.0 == Some(0) {
                swept += 1;
            }
        }
        let still = payments(&session).into_iter().filter(waiting).count()
            + grants(&session)
                .iter()
                .filter(|g| g["state"] == "finishing")
                .count();
        if still == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let grants = grants(&session);
    let payments = payments(&session);
    let paid: Vec<&serde_json::Value> = payments
        .iter()
        .filter(|p| matches!(p["state"].as_str(), Some("sent" | "completed")))
        .collect();
    let debited: u64 = paid
        .iter()
        .map(|p| amount(&p["quote"]["debitAmount"]))
        .sum();
    let received: u64 = paid
        .iter()
        .map(|p| amount(&p["quote"]["receiveAmount"]))
        .sum();
    let accounts = keyring_accounts(&session);
    let state_of = |id: &str| {
        grants
            .iter()
            .find(|g| g["id"] == id)
            .and_then(|g| g["state"].as_str())
            .unwrap_or("missing")
            .to_owned()
    };
    // A token may be kept for an approved grant (access) or one that can
    // still be continued (continue); any other is an orphan.
    let orphans: Vec<String> = accounts
        .iter()
        .filter(|account| {
            let mut parts = account.splitn(3, ':').skip(1);
            let (id, kind) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !matches!(
                (kind, state_of(id).as_str()),
                ("access", "approved")
                    | ("continue" | "interact", "pending" | "finishing")
                    | ("continue", "approved")
            )
        })
        .cloned()
        .collect();
    let tokenless: Vec<String> = grants
        .iter()
        .filter(|g| g["state"] == "approved")
        .filter_map(|g| g["id"].as_str())
        .filter(|id| !accounts.contains(&format!("grant:{id}:access")))
        .map(str::to_owned)
        .collect();
    let stuck: Vec<String> = grants
        .iter()
        .filter(|g| g["state"] == "finishing")
        .map(|g| format!("grant {} finishing", g["id"]))
        .chain(
            payments
                .iter()
                .filter(|p| {
                    matches!(p["state"].as_str(), Some("sending" | "sent"))
                        || (p["state"] == "authorizing"
                            && p["grantId"]
                                .as_str()
                                .is_some_and(|id| state_of(id) != "pending"))
                })
                .map(|p| format!("payment {} {}", p["id"], p["state"])),
        )
        .collect();

    println!(
        "kill test: {} iterations ({iterations} asked)",
        figures.iterations
    );
    println!("  state when killed:");
    for (state, n) in &figures.at_kill {
        println!("    {n:>4}  {state}");
    }
    println!("  restart ran:");
    for (what, n) in &figures.recovery {
        println!("    {n:>4}  {what}");
    }
    println!("  state after the restart:");
    for (state, n) in &figures.after {
        println!("    {n:>4}  {state}");
    }
    println!("  resumed or continued after the leases ran out: {swept}; then:");
    let mut last = BTreeMap::new();
    for grant in &grants {
        let paying = payments
            .iter()
            .find(|p| p["grantId"] == grant["id"])
            .and_then(|p| p["state"].as_str());
        let state = grant["state"].as_str().unwrap_or("?");
        count(
            &mut last,
            match paying {
                Some(paid) => format!("payment {paid} (grant {state})"),
                None => format!("grant {state}"),
            },
        );
    }
    for (state, n) in &last {
        println!("    {n:>4}  {state}");
    }
    println!(
        "  money: alice -{} (store says paid {debited} in {} payments), dave +{} (store: {received})",
        alice_before - balance("alice"),
        paid.len(),
        balance("dave") - dave_before
    );
    println!(
        "  keyring: {} items; {} orphaned, {} approved grants without a token; stuck: {}",
        accounts.len(),
        orphans.len(),
        tokenless.len(),
        stuck.len()
    );
    for orphan in &orphans {
        let id = orphan.split(':').nth(1).unwrap_or("");
        println!("    orphaned: {orphan} (grant {})", state_of(id));
    }
    for stuck in &stuck {
        println!("    stuck: {stuck}");
    }

    assert_eq!(figures.iterations, iterations);
    assert_eq!(
        alice_before - balance("alice"),
        debited,
        "what left alice is exactly what the store says was paid (none twice, none unrecorded)"
    );
    assert_eq!(balance("dave") - dave_before, received);
    assert_eq!(stuck, Vec::<String>::new(), "nothing stuck after a restart");
    assert_eq!(
        orphans,
        Vec::<String>::new(),
        "no token for a grant that cannot use it"
    );
    assert_eq!(
        tokenless,
        Vec::<String>::new(),
        "every approved grant kept its token"
    );
}

/// This file's tests, for `main`. Ignored in a plain `cargo test`: a kill
/// that holds a lease makes it wait the lease out (2 minutes).
/// `.ci/kill-test` runs it (60 iterations unless told).
pub(crate) fn tests() -> Vec<Trial> {
    vec![crate::asynchronous(
        "kill::killed_anywhere_approve_and_pay_lose_nothing_pay_once_and_leave_nothing_behind",
        killed_anywhere_approve_and_pay_lose_nothing_pay_once_and_leave_nothing_behind,
    )
    .with_ignored_flag(true)]
}
