//! The consent page of the sandbox wallet: what a person sees when an app asks
//! to move money from their account, and the small message pages around it
//! ("this request expired", …).
//!
//! Plain server-rendered HTML with inline CSS only: the page is served with a
//! CSP that allows no scripts and no external resources, and it must work with
//! a keyboard, a screen reader, 400–900 px wide windows, and light or dark
//! themes. Every interpolated text goes through [`escape_html`]: client names,
//! asset codes and URLs come from the requesting client and must never become
//! markup.

use std::fmt::{self, Write as _};

use consent_desk_protocol::describe::{
    describe_interval, format_amount_of, format_clock, format_date, machine_date_time,
};
use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    AccessItem, Amount, IncomingPaymentAction, LimitAmount, OutgoingLimits, OutgoingPaymentAction,
    QuoteAction, Repetitions,
};
use time::OffsetDateTime;

/// Everything the consent page shows about one pending grant.
#[derive(Debug, Clone)]
pub(crate) struct ConsentView {
    /// The client's `publicName`, e.g. "Consent Desk".
    pub(crate) client_name: String,
    /// The client's wallet address URL.
    pub(crate) client_url: String,
    /// The wallet that pays (the identifier of the outgoing-payment access).
    pub(crate) account: AccountView,
    /// The access asked for.
    pub(crate) access: Vec<AccessItem>,
    /// Resolved from `limits.receiver` when the sandbox knows it.
    pub(crate) receiver: Option<ReceiverView>,
    /// An ownership proof (spec 1.3 `subject`): the wallet address the
    /// person is asked to confirm they own; no access is asked then.
    pub(crate) subject: Option<String>,
    /// The form action URL (POST, same origin).
    pub(crate) action: String,
    /// When this request expires.
    pub(crate) expires_at: Option<OffsetDateTime>,
}

/// The paying account.
#[derive(Debug, Clone)]
pub(crate) struct AccountView {
    pub(crate) url: String,
    pub(crate) public_name: Option<String>,
    pub(crate) asset_code: String,
    pub(crate) asset_scale: u8,
}

/// The receiver a grant is limited to, when the sandbox knows it.
#[derive(Debug, Clone)]
pub(crate) struct ReceiverView {
    pub(crate) incoming_payment: String,
    pub(crate) wallet_address: String,
    pub(crate) public_name: Option<String>,
}

/// Escapes the five characters that matter in HTML text and in quoted
/// attribute values, so one function serves both places.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Names come from other parties and may hold right-to-left marks; `<bdi>`
/// keeps them from reordering the sentence around them.
fn bdi(text: &str) -> String {
    format!("<bdi>{}</bdi>", escape_html(text))
}

fn capitalize(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------
// What an access item means, in words
// ---------------------------------------------------------------------------

/// The "How much" part of one outgoing-payment access item.
struct Headline {
    /// Large type: "Up to $13.20 every day from 22 Apr 2025".
    text: String,
    /// One plain sentence under it.
    detail: String,
    /// Set when nothing limits the amount.
    warning: Option<String>,
}

fn headline(limits: Option<&OutgoingLimits>, client: &str) -> Headline {
    let interval = limits.and_then(|limits| limits.interval.as_ref());
    let renews = interval.map(describe_interval);
    let once = interval.is_some_and(|interval| interval.repetitions() == Repetitions::Limited(0));
    // The headline reads "Up to $5.00 from 22 Apr to 23 Apr" rather than
    // "Up to $5.00 once, from …".
    let when = renews
        .as_deref()
        .map(|text| text.strip_prefix("once, ").unwrap_or(text));
    let with_when = |base: String| match when {
        Some(when) => format!("{base} {when}"),
        None => base,
    };
    let per = match (interval, once) {
        (None, _) => "in total",
        (Some(_), true) => "in total during that time",
        (Some(_), false) => "in each period",
    };
    match limits.and_then(|limits| limits.amount.as_ref()) {
        Some(LimitAmount::Debit(amount)) => {
            let amount = format_amount_of(amount);
            Headline {
                text: with_when(format!("Up to {amount}")),
                detail: format!("Up to {amount} leaves your account {per}, fees included."),
                warning: None,
            }
        }
        Some(LimitAmount::Receive(amount)) => {
            let amount = format_amount_of(amount);
            Headline {
                text: with_when(format!("Up to {amount} delivered to the receiver")),
                detail: format!(
                    "The receiver gets up to {amount} {per}. Fees and currency exchange can make \
                     what leaves your account more than that."
                ),
                warning: None,
            }
        }
        None => {
            let anyone = limits.and_then(|limits| limits.receiver.as_ref()).is_none();
            Headline {
                text: "Any amount".to_owned(),
                detail: "There is no spending limit on this permission.".to_owned(),
                warning: Some(format!(
                    "{client} could send any amount from your account{}. Approve only if you \
                     trust it completely.",
                    if anyone { ", to anyone" } else { "" }
                )),
            }
        }
    }
}

/// A debitAmount is counted in the paying account's asset; one in another
/// asset or scale will not match its payments. Worth saying on a test wallet,
/// where that is usually a mistake in the client under test.
fn asset_mismatch(account: &AccountView, limit: &Amount) -> Option<String> {
    if limit.asset_code != account.asset_code {
        Some(format!(
            "Note: this limit is in {}, but this account holds {}, so payments under it may be \
             refused.",
            limit.asset_code, account.asset_code
        ))
    } else if limit.asset_scale != account.asset_scale {
        Some(format!(
            "Note: this limit counts {} decimal places, but this account counts {}, so payments \
             under it may be refused.",
            limit.asset_scale, account.asset_scale
        ))
    } else {
        None
    }
}

/// Outgoing-payment actions in plain words. Reading and listing are the same
/// thing to a person, and "all payments" covers "payments it made".
fn outgoing_phrases(actions: &[OutgoingPaymentAction]) -> Vec<&'static str> {
    let has = |wanted: &[OutgoingPaymentAction]| actions.iter().any(|a| wanted.contains(a));
    let mut phrases = Vec::new();
    if has(&[OutgoingPaymentAction::Create]) {
        phrases.push("send payments");
    }
    if has(&[
        OutgoingPaymentAction::ReadAll,
        OutgoingPaymentAction::ListAll,
    ]) {
        phrases.push("see all payments of this account");
    } else if has(&[OutgoingPaymentAction::Read, OutgoingPaymentAction::List]) {
        phrases.push("see payments it made");
    }
    phrases
}

fn incoming_phrases(actions: &[IncomingPaymentAction]) -> Vec<&'static str> {
    let has = |wanted: &[IncomingPaymentAction]| actions.iter().any(|a| wanted.contains(a));
    let mut phrases = Vec::new();
    if has(&[IncomingPaymentAction::Create]) {
        phrases.push("create requests to receive money");
    }
    if has(&[IncomingPaymentAction::Complete]) {
        phrases.push("close requests to receive money");
    }
    if has(&[
        IncomingPaymentAction::ReadAll,
        IncomingPaymentAction::ListAll,
    ]) {
        phrases.push("see all money this account received");
    } else if has(&[IncomingPaymentAction::Read, IncomingPaymentAction::List]) {
        phrases.push("see the requests to receive money it created");
    }
    phrases
}

fn quote_phrases(actions: &[QuoteAction]) -> Vec<&'static str> {
    let mut phrases = Vec::new();
    if actions.contains(&QuoteAction::Create) {
        phrases.push("get the price and fees of a payment (a quote)");
    }
    if actions.contains(&QuoteAction::ReadAll) {
        phrases.push("see all quotes of this account");
    } else if actions.contains(&QuoteAction::Read) {
        phrases.push("see the quotes it got");
    }
    phrases
}

/// Whether two URL strings name the same resource, ignoring what URL
/// normalisation changes (a trailing slash after the host, letter case of the
/// host).
fn same_url(left: &str, right: &str) -> bool {
    left == right
        || matches!(
            (Url::parse(left), Url::parse(right)),
            (Ok(left), Ok(right)) if left == right
        )
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

const STYLE: &str = r#"
:root {
  color-scheme: light dark;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, "SF Mono", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --bg: #f3f5f7;
  --surface: #ffffff;
  --text: #17202a;
  --muted: #4b5866;
  --border: #d3dae1;
  --border-strong: #6b7785;
  --accent: #0b5d52;
  --accent-hover: #084a41;
  --accent-text: #ffffff;
  --focus: #1a56b8;
  --warn-bg: #fff5e0;
  --warn-border: #b26b00;
  --warn-text: #5c3a00;
  --error: #a4161a;
  --error-bg: #fdeceb;
  --error-text: #7a1013;
  --info-bg: #e6f3f0;
  --info-text: #0b3f38;
  --shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 1px 3px rgb(16 24 40 / 10%);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --surface: #1a1f25;
    --text: #e8ecf0;
    --muted: #a9b4bf;
    --border: #2f3741;
    --border-strong: #7d8894;
    --accent: #5cc8b3;
    --accent-hover: #7fd6c5;
    --accent-text: #0a1714;
    --focus: #8cb8ff;
    --warn-bg: #33270f;
    --warn-border: #d99a2b;
    --warn-text: #ffd894;
    --error: #ff8a80;
    --error-bg: #3a1a1a;
    --error-text: #ffc4bf;
    --info-bg: #11302b;
    --info-text: #bfeee4;
    --shadow: none;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 1rem/1.5 var(--font); }
.site { background: var(--surface); border-bottom: 1px solid var(--border); }
.site-inner, main { max-width: 40rem; margin: 0 auto; padding-left: 1rem; padding-right: 1rem; }
.site-inner { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; padding-top: 0.75rem; padding-bottom: 0.75rem; }
.brand { display: flex; align-items: center; gap: 0.5rem; margin: 0; font-weight: 600; }
.brand svg { color: var(--accent); flex: none; }
.test-note { margin: 0; font-size: 0.8125rem; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 0.125rem 0.625rem; }
main { padding-top: 1.75rem; padding-bottom: 3rem; }
h1 { font-size: 1.5rem; line-height: 1.25; font-weight: 650; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
.lead { margin: 0 0 1.25rem; color: var(--muted); }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 12px; box-shadow: var(--shadow); padding: 0.25rem 1.25rem; }
.facts { margin: 0; }
.facts > div { padding: 0.875rem 0; border-top: 1px solid var(--border); }
.facts > div:first-child { border-top: 0; }
.facts dt { font-size: 0.875rem; font-weight: 600; color: var(--muted); margin: 0 0 0.125rem; }
.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
@media (min-width: 36rem) {
  .facts > div { display: grid; grid-template-columns: 7.5rem 1fr; gap: 1rem; }
  .facts dt { margin: 0; padding-top: 0.125rem; }
  .facts > .amount-row dt { padding-top: 0.375rem; }
}
.name { font-weight: 600; }
.mono { display: block; font-family: var(--mono); font-size: 0.875rem; color: var(--muted); overflow-wrap: anywhere; }
.headline { margin: 0; font-size: 1.375rem; line-height: 1.3; font-weight: 700; }
.detail { margin: 0.25rem 0 0; color: var(--muted); font-size: 0.9375rem; }
.warning { margin: 0.75rem 0 0; padding: 0.75rem 0.875rem; background: var(--warn-bg); color: var(--warn-text); border: 1px solid var(--warn-border); border-left-width: 4px; border-radius: 8px; }
.plain-list { margin: 0; padding-left: 1.25rem; }
/* Approve and Reject stay in view at the bottom of a short window: the person never scrolls to decide. */
.decision { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.25rem 0 0; position: sticky; bottom: 0; z-index: 1; padding: 0.75rem 0; background: var(--bg); }
.decision button { flex: 1 1 10rem; min-height: 48px; padding: 0.625rem 1.5rem; font: inherit; font-weight: 600; border-radius: 8px; cursor: pointer; }
.approve { background: var(--accent); color: var(--accent-text); border: 1px solid var(--accent); }
.approve:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
.reject { background: var(--surface); color: var(--text); border: 1px solid var(--border-strong); }
.reject:hover { background: var(--bg); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.fineprint { margin: 1rem 0 0; font-size: 0.875rem; color: var(--muted); }
.message { display: flex; gap: 0.875rem; align-items: flex-start; padding: 1.25rem; border-left-width: 4px; }
.message svg { flex: none; margin-top: 0.125rem; }
.message h1 { font-size: 1.375rem; }
.message p { margin: 0; }
.message.info { border-left-color: var(--accent); }
.message.info svg { color: var(--accent); }
.message.error { border-left-color: var(--error); }
.message.error svg { color: var(--error); }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (forced-colors: active) {
  .decision button, .warning, .card { border: 1px solid CanvasText; }
  .approve { border-width: 3px; }
}
"#;

/// A shield, the header's mark: decorative, hidden from screen readers.
const BRAND_ICON: &str = r#"<svg aria-hidden="true" focusable="false" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M12 3l7 3v5c0 4.5-3 8.5-7 10-4-1.5-7-5.5-7-10V6z"/><path d="M9 12l2 2 4-4"/></svg>"#;

const INFO_ICON: &str = r#"<svg aria-hidden="true" focusable="false" width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="9"/><path d="M12 11v5"/><path d="M12 7.5v.01"/></svg>"#;

const ERROR_ICON: &str = r#"<svg aria-hidden="true" focusable="false" width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="9"/><path d="M12 7v6"/><path d="M12 16.5v.01"/></svg>"#;

/// Everything up to and including the opening `<main>`.
fn write_page_start(out: &mut String, title: &str) -> fmt::Result {
    write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"site\"><div class=\"site-inner\">\
         <p class=\"brand\">{BRAND_ICON}<span>Sandbox wallet</span></p>\
         <p class=\"test-note\">Test wallet · no real money</p>\
         </div></header>\n<main>\n",
        title = escape_html(title),
    )
}

fn write_page_end(out: &mut String) -> fmt::Result {
    out.write_str("</main>\n</body>\n</html>\n")
}

/// A full page with a title and a sentence: "This request expired", "Open
/// this page from the app that asked", … `tone` is "error" or "info"; anything
/// else is shown as "info".
pub(crate) fn render_message(title: &str, message: &str, tone: &str) -> String {
    let mut out = String::with_capacity(8 * 1024);
    write_message(&mut out, title, message, tone).expect("writing to a String cannot fail");
    out
}

fn write_message(out: &mut String, title: &str, message: &str, tone: &str) -> fmt::Result {
    let (tone, icon) = if tone == "error" {
        ("error", ERROR_ICON)
    } else {
        ("info", INFO_ICON)
    };
    write_page_start(out, &format!("{title} – Sandbox wallet"))?;
    writeln!(
        out,
        "<section class=\"card message {tone}\">{icon}<div>\
         <h1 data-testid=\"message-title\">{title}</h1>\
         <p data-testid=\"message-text\">{message}</p>\
         </div></section>",
        title = escape_html(title),
        message = escape_html(message),
    )?;
    write_page_end(out)
}

/// The consent page: who asks, from which account, how much, to whom, how
/// often, until when; then Approve and Reject.
pub(crate) fn render_consent(view: &ConsentView) -> String {
    let mut out = String::with_capacity(16 * 1024);
    write_consent(&mut out, view).expect("writing to a String cannot fail");
    out
}

fn write_consent(out: &mut String, view: &ConsentView) -> fmt::Result {
    // A blank publicName must not leave "wants to send payments" without a
    // subject.
    let client_name = match view.client_name.trim() {
        "" => "An app",
        name => name,
    };
    let client = bdi(client_name);
    let outgoing: Vec<_> = view
        .access
        .iter()
        .filter_map(|item| match item {
            AccessItem::OutgoingPayment {
                actions,
                identifier,
                limits,
            } => Some((actions.as_slice(), identifier, limits.as_ref())),
            _ => None,
        })
        .collect();
    let sends = outgoing
        .iter()
        .any(|(actions, _, _)| actions.contains(&OutgoingPaymentAction::Create));

    write_page_start(out, "Approve a payment – Sandbox wallet")?;
    let (goal, lead) = if view.subject.is_some() {
        (
            "wants to confirm that you own this account",
            format!(
                "If you approve, {client} learns that you own the account below. It gets no \
                 access to it and nothing is paid."
            ),
        )
    } else if sends {
        (
            "wants to send payments from your account",
            format!(
                "Check the details below. If you approve, {client} can send payments from your \
                 account within these limits, without asking you again."
            ),
        )
    } else if outgoing.is_empty() {
        (
            "wants access to your account",
            "Check the details below before you decide.".to_owned(),
        )
    } else {
        (
            "wants to see the payments of your account",
            "Check the details below before you decide.".to_owned(),
        )
    };
    write!(
        out,
        "<h1>{client} {goal}</h1>\n<p class=\"lead\">{lead}</p>\n"
    )?;

    out.write_str(
        "<section class=\"card\" aria-labelledby=\"details-heading\">\
         <h2 id=\"details-heading\" class=\"visually-hidden\">Request details</h2>\n\
         <dl class=\"facts\">\n",
    )?;
    writeln!(
        out,
        "<div><dt>Who asks</dt><dd><span class=\"name\" data-testid=\"consent-client-name\">{client}</span> \
         <span class=\"mono\" data-testid=\"consent-client-url\">{}</span></dd></div>",
        escape_html(&view.client_url),
    )?;
    write_account_row(out, &view.account)?;

    let several = outgoing.len() > 1;
    for (index, (actions, identifier, limits)) in outgoing.iter().enumerate() {
        if several {
            writeln!(
                out,
                "<div><dt>Permission</dt><dd class=\"name\">{} of {}</dd></div>",
                index + 1,
                outgoing.len()
            )?;
        }
        // The page's "From" is the account of the request; an item for
        // another wallet (unusual) names its own.
        if !same_url(identifier.as_str(), &view.account.url) {
            writeln!(
                out,
                "<div><dt>From</dt><dd><span class=\"mono\">{}</span></dd></div>",
                escape_html(identifier.as_str())
            )?;
        }
        if actions.contains(&OutgoingPaymentAction::Create) {
            write_payment_rows(out, view, *limits, client_name)?;
        }
        write_list_row(out, "What it can do", &outgoing_phrases(actions))?;
    }

    let others = other_access(&view.access, &view.account.url);
    if !others.is_empty() {
        let label = if outgoing.is_empty() {
            "What it can do"
        } else {
            "It can also"
        };
        write_list_row(out, label, &others)?;
    }

    if let Some(expires_at) = view.expires_at {
        writeln!(
            out,
            "<div><dt>Expires</dt><dd data-testid=\"consent-expires\">This request expires at \
             <time datetime=\"{}\">{} on {}</time>. After that, start again from {client}.</dd></div>",
            machine_date_time(expires_at),
            format_clock(expires_at),
            format_date(expires_at, false),
        )?;
    }
    out.write_str("</dl>\n</section>\n")?;

    write_decision(out, &view.action, &client)?;
    write_page_end(out)
}

/// The form and what each choice means. `client` is markup (escaped, in
/// `<bdi>`).
fn write_decision(out: &mut String, action: &str, client: &str) -> fmt::Result {
    // No autofocus on Approve: pressing Enter out of habit must not approve.
    writeln!(
        out,
        "<form class=\"decision\" method=\"post\" action=\"{}\">\
         <button type=\"submit\" class=\"approve\" name=\"choice\" value=\"accept\" data-testid=\"consent-approve\">Approve</button>\
         <button type=\"submit\" class=\"reject\" name=\"choice\" value=\"reject\" data-testid=\"consent-reject\">Reject</button>\
         </form>",
        escape_html(action),
    )?;
    writeln!(
        out,
        "<p class=\"fineprint\">If you reject, {client} gets no access and nothing is sent. \
         This is a sandbox wallet for testing: no real money moves.</p>"
    )
}

fn write_account_row(out: &mut String, account: &AccountView) -> fmt::Result {
    let name = account
        .public_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or("Your account");
    writeln!(
        out,
        "<div><dt>From</dt><dd data-testid=\"consent-account\"><span class=\"name\">{}</span> \
         <span class=\"mono\">{}</span></dd></div>",
        bdi(name),
        escape_html(&account.url),
    )
}

/// How much, To and How often of one outgoing-payment item that may send.
fn write_payment_rows(
    out: &mut String,
    view: &ConsentView,
    limits: Option<&OutgoingLimits>,
    client_name: &str,
) -> fmt::Result {
    let client = bdi(client_name);
    let Headline {
        text,
        detail,
        warning,
    } = headline(limits, client_name);
    write!(
        out,
        "<div class=\"amount-row\"><dt>How much</dt><dd>\
         <p class=\"headline\" data-testid=\"consent-amount\">{}</p>\
         <p class=\"detail\">{}</p>",
        escape_html(&text),
        escape_html(&detail),
    )?;
    if let Some(warning) = warning {
        write!(
            out,
            "<p class=\"warning\" data-testid=\"consent-warning\"><strong>Warning: no spending \
             limit.</strong> {}</p>",
            escape_html(&warning)
        )?;
    }
    if let Some(LimitAmount::Debit(amount)) = limits.and_then(|limits| limits.amount.as_ref()) {
        if let Some(note) = asset_mismatch(&view.account, amount) {
            write!(out, "<p class=\"detail\">{}</p>", escape_html(&note))?;
        }
    }
    out.write_str("</dd></div>\n")?;

    out.write_str("<div><dt>To</dt><dd data-testid=\"consent-receiver\">")?;
    match limits.and_then(|limits| limits.receiver.as_ref()) {
        None => write!(
            out,
            "<span class=\"name\">Any receiver</span> \
             <p class=\"detail\">{client} chooses who gets paid.</p>"
        )?,
        Some(receiver) => match view
            .receiver
            .as_ref()
            .filter(|known| same_url(&known.incoming_payment, receiver.as_str()))
        {
            Some(known) => {
                let name = known
                    .public_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .unwrap_or("This receiver only");
                write!(
                    out,
                    "<span class=\"name\">{}</span> <span class=\"mono\">{}</span>\
                     <p class=\"detail\">Payments can go to this receiver only.</p>",
                    bdi(name),
                    escape_html(&known.wallet_address),
                )?;
            }
            None => write!(
                out,
                "<span class=\"name\">One specific payment request</span> \
                 <span class=\"mono\">{}</span>",
                escape_html(receiver.as_str()),
            )?,
        },
    }
    out.write_str("</dd></div>\n")?;

    let interval = limits.and_then(|limits| limits.interval.as_ref());
    let amount_limited = limits.is_some_and(|limits| limits.amount.is_some());
    let often = match interval {
        Some(interval) if interval.repetitions() == Repetitions::Limited(0) => {
            capitalize(&describe_interval(interval))
        }
        Some(interval) => format!(
            "{}. The limit starts again each period.",
            capitalize(&describe_interval(interval))
        ),
        None if amount_limited => "One time: the limit does not renew.".to_owned(),
        None => "Any time, for as long as the permission lasts.".to_owned(),
    };
    writeln!(
        out,
        "<div><dt>How often</dt><dd data-testid=\"consent-interval\">{}</dd></div>",
        escape_html(&often)
    )
}

fn write_list_row(out: &mut String, label: &str, phrases: &[impl AsRef<str>]) -> fmt::Result {
    write!(out, "<div><dt>{}</dt><dd>", escape_html(label))?;
    if phrases.is_empty() {
        out.write_str("Nothing")?;
    } else {
        out.write_str("<ul class=\"plain-list\">")?;
        for phrase in phrases {
            write!(
                out,
                "<li>{}</li>",
                escape_html(&capitalize(phrase.as_ref()))
            )?;
        }
        out.write_str("</ul>")?;
    }
    out.write_str("</dd></div>\n")
}

/// Incoming-payment and quote access in plain words; an incoming item for
/// another wallet than the paying one names it.
fn other_access(access: &[AccessItem], account_url: &str) -> Vec<String> {
    let mut phrases = Vec::new();
    for item in access {
        match item {
            AccessItem::IncomingPayment {
                actions,
                identifier,
            } => {
                let suffix = match identifier {
                    Some(url) if !same_url(url.as_str(), account_url) => format!(" (for {url})"),
                    _ => String::new(),
                };
                phrases.extend(
                    incoming_phrases(actions)
                        .into_iter()
                        .map(|phrase| format!("{phrase}{suffix}")),
                );
            }
            AccessItem::Quote { actions } => {
                phrases.extend(quote_phrases(actions).into_iter().map(str::to_owned));
            }
            AccessItem::OutgoingPayment { .. } => {}
        }
    }
    phrases.dedup();
    phrases
}

#[cfg(test)]
mod tests {
    use consent_desk_protocol::RepeatingInterval;
    use time::Month;

    use super::*;

    fn interval(text: &str) -> RepeatingInterval {
        RepeatingInterval::parse(text).unwrap()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn at(year: i32, month: Month, day: u8, hour: u8, minute: u8) -> OffsetDateTime {
        time::Date::from_calendar_date(year, month, day)
            .unwrap()
            .with_hms(hour, minute, 0)
            .unwrap()
            .assume_utc()
    }

    fn usd(value: u64) -> Amount {
        Amount {
            value,
            asset_code: "USD".to_owned(),
            asset_scale: 2,
        }
    }

    const ACCOUNT: &str = "https://wallet.sandbox.test/alice";

    fn view(limits: Option<OutgoingLimits>) -> ConsentView {
        ConsentView {
            client_name: "Consent Desk".to_owned(),
            client_url: "https://wallet.sandbox.test/consent-desk".to_owned(),
            account: AccountView {
                url: ACCOUNT.to_owned(),
                public_name: Some("Alice Smith".to_owned()),
                asset_code: "USD".to_owned(),
                asset_scale: 2,
            },
            access: vec![AccessItem::OutgoingPayment {
                actions: vec![
                    OutgoingPaymentAction::List,
                    OutgoingPaymentAction::ListAll,
                    OutgoingPaymentAction::Read,
                    OutgoingPaymentAction::ReadAll,
                    OutgoingPaymentAction::Create,
                ],
                identifier: url(ACCOUNT),
                limits,
            }],
            receiver: None,
            subject: None,
            action: "/interact/abc123/decision".to_owned(),
            expires_at: Some(at(2025, Month::April, 22, 8, 10)),
        }
    }

    fn daily_debit() -> OutgoingLimits {
        OutgoingLimits {
            receiver: None,
            amount: Some(LimitAmount::Debit(usd(1320))),
            interval: Some(interval("R/2025-04-22T00:00:00Z/P1D")),
        }
    }

    #[test]
    fn escapes_all_five_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn escapes_client_supplied_text_everywhere() {
        let mut view = view(Some(OutgoingLimits {
            receiver: Some(url("https://wallet.sandbox.test/bob/incoming-payments/1")),
            amount: Some(LimitAmount::Debit(Amount {
                value: 100,
                asset_code: "<img src=x>".to_owned(),
                asset_scale: 2,
            })),
            interval: None,
        }));
        view.client_name = "<script>alert(1)</script>".to_owned();
        view.client_url = "https://evil.test/\"><script>alert(2)</script>".to_owned();
        view.account.public_name = Some("<b>Alice</b>".to_owned());
        view.action = "/x\" onmouseover=\"alert(3)".to_owned();
        view.receiver = Some(ReceiverView {
            incoming_payment: "https://wallet.sandbox.test/bob/incoming-payments/1".to_owned(),
            wallet_address: "https://wallet.sandbox.test/bob'<i>".to_owned(),
            public_name: Some("Bob <em>&</em>".to_owned()),
        });
        let page = render_consent(&view);
        for raw in [
            "<script",
            "<img",
            "<b>",
            "<em>",
            "<i>",
            "\" onmouseover",
            "bob'",
        ] {
            assert!(!page.contains(raw), "{raw} is not escaped");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("1.00 &lt;img src=x&gt;"));
        assert!(page.contains("Bob &lt;em&gt;&amp;&lt;/em&gt;"));

        let message = render_message("<script>t</script>", "<script>m</script>", "error");
        assert!(!message.contains("<script"));
        assert!(message.contains("&lt;script&gt;m&lt;/script&gt;"));
    }

    #[test]
    fn shows_the_headline_buttons_and_every_testid() {
        let page = render_consent(&view(Some(daily_debit())));
        assert!(page.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert!(page.contains("<meta charset=\"utf-8\">"));
        assert!(page.contains("<title>Approve a payment – Sandbox wallet</title>"));
        assert!(page
            .contains("<h1><bdi>Consent Desk</bdi> wants to send payments from your account</h1>"));
        assert!(page.contains(
            "data-testid=\"consent-amount\">Up to $13.20 every day from 22 Apr 2025</p>"
        ));
        assert!(page.contains("Up to $13.20 leaves your account in each period"));
        assert!(page.contains(
            "<form class=\"decision\" method=\"post\" action=\"/interact/abc123/decision\">"
        ));
        assert!(page.contains(
            "name=\"choice\" value=\"accept\" data-testid=\"consent-approve\">Approve</button>"
        ));
        assert!(page.contains(
            "name=\"choice\" value=\"reject\" data-testid=\"consent-reject\">Reject</button>"
        ));
        for testid in [
            "consent-client-name",
            "consent-client-url",
            "consent-account",
            "consent-amount",
            "consent-receiver",
            "consent-interval",
            "consent-expires",
            "consent-approve",
            "consent-reject",
        ] {
            let attribute = format!("data-testid=\"{testid}\"");
            assert_eq!(page.matches(&attribute).count(), 1, "{testid}");
        }
        assert!(page.contains("Any receiver"));
        assert!(page.contains("Every day from 22 Apr 2025."));
        assert!(page.contains("This request expires at <time datetime=\"2025-04-22T08:10:00Z\">08:10 UTC on 22 Apr 2025</time>"));
        assert!(page.contains("<li>Send payments</li><li>See all payments of this account</li>"));
        assert!(!page.contains("consent-warning"));
        // No script and nothing fetched from elsewhere (CSP forbids both).
        assert!(!page.contains("<script"));
        assert!(!page.contains("src="));
        assert!(!page.contains("<link"));
    }

    #[test]
    fn shows_the_known_receiver() {
        let incoming = "https://wallet.sandbox.test/bob/incoming-payments/7f3a";
        let mut view = view(Some(OutgoingLimits {
            receiver: Some(url(incoming)),
            amount: Some(LimitAmount::Receive(Amount {
                value: 1000,
                asset_code: "EUR".to_owned(),
                asset_scale: 2,
            })),
            interval: None,
        }));
        view.receiver = Some(ReceiverView {
            incoming_payment: incoming.to_owned(),
            wallet_address: "https://wallet.sandbox.test/bob".to_owned(),
            public_name: Some("Bob's Bakery".to_owned()),
        });
        let page = render_consent(&view);
        assert!(page.contains("Up to €10.00 delivered to the receiver</p>"));
        assert!(page.contains("Bob&#39;s Bakery"));
        assert!(page.contains("https://wallet.sandbox.test/bob</span>"));
        assert!(page.contains("One time: the limit does not renew."));
        assert!(!page.contains("Any receiver"));

        // A receiver the sandbox does not know: the URL, not a made-up name.
        view.receiver = None;
        let page = render_consent(&view);
        assert!(page.contains("One specific payment request"));
        assert!(page.contains(incoming));
    }

    #[test]
    fn notes_a_debit_limit_in_another_asset() {
        let page = render_consent(&view(Some(daily_debit())));
        assert!(!page.contains("Note:"));
        let mut limits = daily_debit();
        limits.amount = Some(LimitAmount::Debit(Amount {
            value: 500,
            asset_code: "EUR".to_owned(),
            asset_scale: 2,
        }));
        let page = render_consent(&view(Some(limits.clone())));
        assert!(page.contains("this limit is in EUR, but this account holds USD"));
        limits.amount = Some(LimitAmount::Debit(Amount {
            value: 500,
            asset_code: "USD".to_owned(),
            asset_scale: 9,
        }));
        let page = render_consent(&view(Some(limits)));
        assert!(page.contains("this limit counts 9 decimal places, but this account counts 2"));
    }

    #[test]
    fn warns_when_the_amount_is_unlimited() {
        let page = render_consent(&view(None));
        assert!(page.contains("data-testid=\"consent-amount\">Any amount</p>"));
        assert!(page.contains("data-testid=\"consent-warning\""));
        assert!(page.contains("could send any amount from your account, to anyone"));
    }

    #[test]
    fn headlines_say_once_without_the_word_once() {
        let limits = OutgoingLimits {
            interval: Some(interval("R0/2025-04-22T00:00:00Z/P1D")),
            ..daily_debit()
        };
        let headline = headline(Some(&limits), "Consent Desk");
        assert_eq!(
            headline.text,
            "Up to $13.20 from 22 Apr 2025 to 23 Apr 2025"
        );
        assert!(headline.detail.contains("in total during that time"));
    }

    #[test]
    fn lists_actions_in_plain_words() {
        assert_eq!(
            outgoing_phrases(&[OutgoingPaymentAction::Read, OutgoingPaymentAction::Create]),
            ["send payments", "see payments it made"]
        );
        let mut view = view(Some(daily_debit()));
        view.access.push(AccessItem::Quote {
            actions: vec![QuoteAction::Create, QuoteAction::Read],
        });
        view.access.push(AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
            identifier: Some(url("https://wallet.sandbox.test/bob")),
        });
        let page = render_consent(&view);
        assert!(page.contains("<dt>It can also</dt>"));
        assert!(page.contains("<li>Get the price and fees of a payment (a quote)</li>"));
        assert!(page.contains(
            "<li>Create requests to receive money (for https://wallet.sandbox.test/bob)</li>"
        ));
    }

    #[test]
    fn pages_without_outgoing_access_ask_for_access() {
        let mut view = view(None);
        view.access = vec![AccessItem::Quote {
            actions: vec![QuoteAction::Create],
        }];
        view.expires_at = None;
        let page = render_consent(&view);
        assert!(page.contains("wants access to your account</h1>"));
        assert!(page.contains("<dt>What it can do</dt>"));
        assert!(!page.contains("consent-expires"));
        assert!(page.contains("data-testid=\"consent-approve\""));
    }

    #[test]
    fn renders_message_pages() {
        let page = render_message(
            "This request expired",
            "Start again from Consent Desk.",
            "error",
        );
        assert!(page.contains("<title>This request expired – Sandbox wallet</title>"));
        assert!(page.contains("<h1 data-testid=\"message-title\">This request expired</h1>"));
        assert!(page.contains("<p data-testid=\"message-text\">Start again from Consent Desk.</p>"));
        assert!(page.contains("class=\"card message error\""));
        assert!(render_message("Done", "You can close this tab.", "bogus")
            .contains("class=\"card message info\""));
    }

    /// Every element opened is closed, innermost first (void and
    /// self-closing elements aside): a browser would otherwise guess.
    fn assert_well_formed(page: &str) {
        const VOID: &[&str] = &["!doctype", "meta", "link", "img", "input", "br", "hr"];
        let mut open: Vec<&str> = Vec::new();
        let mut rest = page;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let end = rest.find('>').expect("every tag ends with >");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "</{name}> closes the wrong element");
                continue;
            }
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default();
            if !(tag.ends_with('/') || VOID.contains(&name)) {
                open.push(name);
            }
        }
        assert!(open.is_empty(), "never closed: {open:?}");
    }

    #[test]
    fn the_checker_finds_an_unclosed_element() {
        for broken in ["<div><p>text</div>", "<main><dl><dt>a</dt>", "<p></span>"] {
            assert!(
                std::panic::catch_unwind(|| assert_well_formed(broken)).is_err(),
                "{broken}"
            );
        }
        assert_well_formed("<svg><path d=\"M0\"/></svg><meta charset=\"utf-8\"><p>a &gt; b</p>");
    }

    /// The pages a person sees most, whole: a limited payment to a known
    /// receiver, an unlimited one, a message. With
    /// `SAVE_CONSENT_EXAMPLE=<folder>` they are also written there to look
    /// at in a browser.
    #[test]
    fn the_example_pages_are_whole_documents() {
        let incoming = "https://wallet.sandbox.test/bob/incoming-payments/7f3a";
        let mut limited = view(Some(OutgoingLimits {
            receiver: Some(url(incoming)),
            ..daily_debit()
        }));
        limited.receiver = Some(ReceiverView {
            incoming_payment: incoming.to_owned(),
            wallet_address: "https://wallet.sandbox.test/bob".to_owned(),
            public_name: Some("Bob's Bakery".to_owned()),
        });
        let pages = [
            ("consent-example.html", render_consent(&limited)),
            (
                "consent-example-unlimited.html",
                render_consent(&view(None)),
            ),
            (
                "consent-example-message.html",
                render_message(
                    "This request expired",
                    "Go back to Consent Desk and start again.",
                    "error",
                ),
            ),
        ];
        for (name, page) in &pages {
            assert!(page.starts_with("<!doctype html>\n"), "{name}");
            assert!(page.ends_with("</html>\n"), "{name}");
            assert_well_formed(page);
        }
        let limited = &pages[0].1;
        assert!(limited.contains("Bob&#39;s Bakery"), "the receiver by name");
        assert!(limited.contains("data-testid=\"consent-approve\""));
        assert!(
            !pages[1].1.contains("Bob"),
            "no receiver when there is none"
        );
        assert!(pages[2].1.contains("This request expired"));
        if let Some(folder) = std::env::var_os("SAVE_CONSENT_EXAMPLE") {
            for (name, page) in &pages {
                std::fs::write(std::path::Path::new(&folder).join(name), page).unwrap();
            }
        }
    }

    #[test]
    fn an_ownership_proof_asks_to_confirm_the_account_and_nothing_else() {
        let mut view = view(None);
        view.access.clear();
        view.subject = Some(ACCOUNT.to_owned());
        let page = render_consent(&view);
        assert!(
            page.contains(
                "<h1><bdi>Consent Desk</bdi> wants to confirm that you own this account</h1>"
            ),
            "{page}"
        );
        assert!(page.contains("nothing is paid"), "{page}");
        assert!(page.contains(ACCOUNT), "{page}");
        assert!(!page.contains("send payments"), "{page}");
    }
}
