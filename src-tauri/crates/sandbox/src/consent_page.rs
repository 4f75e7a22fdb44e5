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

use consent_desk_protocol::url::Url;
use consent_desk_protocol::{
    AccessItem, Amount, IncomingPaymentAction, IntervalBounds, IntervalSpan, IsoDuration,
    LimitAmount, OutgoingLimits, OutgoingPaymentAction, QuoteAction, RepeatingInterval,
    Repetitions,
};
use time::{Month, OffsetDateTime, Time, UtcOffset};

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

// ---------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------

/// A currency people recognise by its symbol.
struct Currency {
    symbol: &'static str,
    /// The usual number of decimals (ISO 4217 minor unit).
    minor_digits: usize,
}

/// English (CLDR `en`) symbols, limited to those that are unambiguous next to
/// `$`: "MX$" and "CA$" rather than a bare "$". Anything else is shown with its
/// code after the number.
fn currency(code: &str) -> Option<Currency> {
    let (symbol, minor_digits) = match code {
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "JPY" => ("¥", 0),
        "MXN" => ("MX$", 2),
        "CAD" => ("CA$", 2),
        "AUD" => ("A$", 2),
        "NZD" => ("NZ$", 2),
        "HKD" => ("HK$", 2),
        "TWD" => ("NT$", 2),
        "BRL" => ("R$", 2),
        "CNY" => ("CN¥", 2),
        "INR" => ("₹", 2),
        "ILS" => ("₪", 2),
        "KRW" => ("₩", 0),
        "PHP" => ("₱", 2),
        "VND" => ("₫", 0),
        _ => return None,
    };
    Some(Currency {
        symbol,
        minor_digits,
    })
}

/// Shows an amount of smallest units in the major unit: "$13.20", "€5.00",
/// "MX$1,000.50", "¥500", "12.34 XYZ".
///
/// Exact for every `u64` and scale: the decimal point is placed in the digit
/// string, never through a float. For a known currency, trailing zeros beyond
/// its usual decimals are dropped ("$13.20" for 13200000000 at scale 9), which
/// changes no digit of the value; an unknown code keeps every decimal of the
/// scale, as its usual precision is not known.
pub(crate) fn format_amount(value: u64, asset_code: &str, asset_scale: u8) -> String {
    let scale = usize::from(asset_scale);
    let digits = value.to_string();
    // Left-pad so there is at least one digit before the point: 5 at scale 2
    // becomes "005", i.e. "0.05".
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let known = currency(asset_code);
    let fraction = match &known {
        Some(known) => {
            let keep = known.minor_digits.min(fraction.len());
            let significant = fraction.trim_end_matches('0').len();
            &fraction[..significant.max(keep)]
        }
        None => fraction,
    };
    let mut number = group_thousands(whole);
    if !fraction.is_empty() {
        number.push('.');
        number.push_str(fraction);
    }
    match known {
        Some(known) => format!("{}{number}", known.symbol),
        None if asset_code.is_empty() => number,
        None => format!("{number} {asset_code}"),
    }
}

/// "1234567" → "1,234,567" (ASCII digits only).
fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn format_limit(amount: &Amount) -> String {
    format_amount(amount.value, &amount.asset_code, amount.asset_scale)
}

// ---------------------------------------------------------------------------
// Intervals and dates
// ---------------------------------------------------------------------------

/// Says how often a budget renews: "every day from 22 Apr 2025", "every 2
/// weeks from 1 May 2025, 5 times", "every hour from 22 Apr 2025 08:00 UTC",
/// "every day until 30 Apr 2025" (`<duration>/<end>`), "once, from 22 Apr
/// 2025 to 23 Apr 2025" (`R0`).
///
/// Times are shown when the period is shorter than a day or does not start at
/// midnight UTC; a date alone would hide when the budget actually renews.
pub(crate) fn describe_interval(interval: &RepeatingInterval) -> String {
    // `R<n>` is the first interval and n more.
    let times = match interval.repetitions() {
        Repetitions::Unbounded => None,
        Repetitions::Limited(more) => Some(u64::from(more) + 1),
    };
    if times == Some(1) {
        return describe_once(interval);
    }
    let mut text = match interval.span() {
        IntervalSpan::StartDuration { start, duration } => format!(
            "every {} from {}",
            duration_phrase(&duration),
            format_date(start, shorter_than_a_day(&duration) || !is_midnight(start)),
        ),
        IntervalSpan::DurationEnd { duration, end } => format!(
            "every {} until {}",
            duration_phrase(&duration),
            format_date(end, shorter_than_a_day(&duration) || !is_midnight(end)),
        ),
        IntervalSpan::StartEnd { start, end } => {
            let length = end - start;
            format!(
                "every {} from {}",
                duration_phrase(&exact_duration(length)),
                format_date(start, length < time::Duration::DAY || !is_midnight(start)),
            )
        }
    };
    if let Some(times) = times {
        let _ = write!(text, ", {times} times");
    }
    text
}

/// `R0`: a single period, shown by its two ends.
fn describe_once(interval: &RepeatingInterval) -> String {
    match first_interval(interval) {
        Some(IntervalBounds { start, end }) => {
            let with_time = !is_midnight(start) || !is_midnight(end);
            format!(
                "once, from {} to {}",
                format_date(start, with_time),
                format_date(end, with_time)
            )
        }
        // Not reachable for a parsed interval (parsing checks the first
        // interval), but the raw text is better than nothing.
        None => format!("once ({})", interval.as_str()),
    }
}

/// The first interval, computed by the protocol crate so that month clamping
/// ("monthly from 31 January") matches what the resource server enforces.
fn first_interval(interval: &RepeatingInterval) -> Option<IntervalBounds> {
    let inside_first = match interval.span() {
        IntervalSpan::StartDuration { start, .. } | IntervalSpan::StartEnd { start, .. } => start,
        // The end is exclusive; durations are whole seconds, so one
        // nanosecond before it is inside the first interval.
        IntervalSpan::DurationEnd { end, .. } => end.checked_sub(time::Duration::nanoseconds(1))?,
    };
    interval.current(inside_first)
}

/// "day", "2 weeks", "1 day 12 hours".
fn duration_phrase(duration: &IsoDuration) -> String {
    let parts: Vec<(u32, &str)> = [
        (duration.years, "year"),
        (duration.months, "month"),
        (duration.weeks, "week"),
        (duration.days, "day"),
        (duration.hours, "hour"),
        (duration.minutes, "minute"),
        (duration.seconds, "second"),
    ]
    .into_iter()
    .filter(|(value, _)| *value > 0)
    .collect();
    match parts.as_slice() {
        // Zero-length intervals are refused by the parser; keep it readable.
        [] => "0 seconds".to_owned(),
        [(1, unit)] => (*unit).to_owned(),
        _ => parts
            .iter()
            .map(|(value, unit)| {
                if *value == 1 {
                    format!("1 {unit}")
                } else {
                    format!("{value} {unit}s")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn shorter_than_a_day(duration: &IsoDuration) -> bool {
    let seconds = u64::from(duration.hours) * 3_600
        + u64::from(duration.minutes) * 60
        + u64::from(duration.seconds);
    duration.years == 0
        && duration.months == 0
        && duration.weeks == 0
        && duration.days == 0
        && seconds < 86_400
}

/// The exact length of a `<start>/<end>` interval as whole weeks, or days,
/// hours, minutes and seconds.
fn exact_duration(length: time::Duration) -> IsoDuration {
    let total = u64::try_from(length.whole_seconds()).unwrap_or(0);
    let (days, rest) = (total / 86_400, total % 86_400);
    let part = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
    let (weeks, days) = if days > 0 && days.is_multiple_of(7) && rest == 0 {
        (days / 7, 0)
    } else {
        (0, days)
    };
    IsoDuration {
        weeks: part(weeks),
        days: part(days),
        hours: part(rest / 3_600),
        minutes: part(rest % 3_600 / 60),
        seconds: part(rest % 60),
        ..IsoDuration::default()
    }
}

fn to_utc(at: OffsetDateTime) -> OffsetDateTime {
    // Only fails at the very edge of the supported years; the original offset
    // is still a correct instant then.
    at.checked_to_offset(UtcOffset::UTC).unwrap_or(at)
}

fn is_midnight(at: OffsetDateTime) -> bool {
    to_utc(at).time() == Time::MIDNIGHT
}

/// "22 Apr 2025", or "22 Apr 2025 08:00 UTC": day first and a month name, so
/// it reads the same to people used to either day/month order.
fn format_date(at: OffsetDateTime, with_time: bool) -> String {
    let at = to_utc(at);
    let mut text = format!("{} {} {}", at.day(), month_name(at.month()), at.year());
    if with_time {
        text.push(' ');
        text.push_str(&format_clock(at));
    }
    text
}

/// "08:10 UTC", with seconds only when there are some.
fn format_clock(at: OffsetDateTime) -> String {
    let at = to_utc(at);
    if at.second() == 0 {
        format!("{:02}:{:02} UTC", at.hour(), at.minute())
    } else {
        format!("{:02}:{:02}:{:02} UTC", at.hour(), at.minute(), at.second())
    }
}

/// The machine-readable `datetime` of a `<time>` element, in UTC.
fn machine_date_time(at: OffsetDateTime) -> String {
    let at = to_utc(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn month_name(month: Month) -> &'static str {
    match month {
        Month::January => "Jan",
        Month::February => "Feb",
        Month::March => "Mar",
        Month::April => "Apr",
        Month::May => "May",
        Month::June => "Jun",
        Month::July => "Jul",
        Month::August => "Aug",
        Month::September => "Sep",
        Month::October => "Oct",
        Month::November => "Nov",
        Month::December => "Dec",
    }
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
            let amount = format_limit(amount);
            Headline {
                text: with_when(format!("Up to {amount}")),
                detail: format!("Up to {amount} leaves your account {per}, fees included."),
                warning: None,
            }
        }
        Some(LimitAmount::Receive(amount)) => {
            let amount = format_limit(amount);
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
.decision { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.5rem 0 0; }
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
    let (goal, lead) = if sends {
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
    fn formats_known_currencies() {
        assert_eq!(format_amount(1320, "USD", 2), "$13.20");
        assert_eq!(format_amount(500, "EUR", 2), "€5.00");
        assert_eq!(format_amount(100_050, "MXN", 2), "MX$1,000.50");
        assert_eq!(format_amount(500, "JPY", 0), "¥500");
        assert_eq!(format_amount(1234, "XYZ", 2), "12.34 XYZ");
        assert_eq!(format_amount(123_456_789, "XYZ", 2), "1,234,567.89 XYZ");
    }

    #[test]
    fn formats_scale_zero_and_small_values() {
        assert_eq!(format_amount(5, "USD", 0), "$5");
        assert_eq!(format_amount(1_000_000, "USD", 0), "$1,000,000");
        assert_eq!(format_amount(0, "USD", 2), "$0.00");
        assert_eq!(format_amount(0, "JPY", 0), "¥0");
        assert_eq!(format_amount(0, "XYZ", 0), "0 XYZ");
        assert_eq!(format_amount(5, "USD", 2), "$0.05");
        assert_eq!(format_amount(5, "XYZ", 4), "0.0005 XYZ");
        assert_eq!(format_amount(1, "USD", 9), "$0.000000001");
    }

    #[test]
    fn drops_only_zeros_beyond_the_usual_decimals() {
        assert_eq!(format_amount(13_200_000_000, "USD", 9), "$13.20");
        assert_eq!(format_amount(13_250_000_001, "USD", 9), "$13.250000001");
        assert_eq!(format_amount(50_000, "JPY", 2), "¥500");
        assert_eq!(format_amount(50_050, "JPY", 2), "¥500.5");
        assert_eq!(format_amount(13_200, "XYZ", 3), "13.200 XYZ");
    }

    #[test]
    fn formats_u64_max_exactly() {
        assert_eq!(
            format_amount(u64::MAX, "USD", 2),
            "$184,467,440,737,095,516.15"
        );
        assert_eq!(format_amount(u64::MAX, "USD", 18), "$18.446744073709551615");
        assert_eq!(
            format_amount(u64::MAX, "XYZ", 0),
            "18,446,744,073,709,551,615 XYZ"
        );
        assert_eq!(
            format_amount(u64::MAX, "USD", 255),
            format!("$0.{}18446744073709551615", "0".repeat(235))
        );
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands("1"), "1");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("100000"), "100,000");
        assert_eq!(group_thousands("1234567"), "1,234,567");
    }

    #[test]
    fn describes_forward_intervals() {
        let cases = [
            ("R/2025-04-22T00:00:00Z/P1D", "every day from 22 Apr 2025"),
            ("R-1/2025-04-22T00:00:00Z/P1D", "every day from 22 Apr 2025"),
            (
                "R4/2025-05-01T00:00:00Z/P2W",
                "every 2 weeks from 1 May 2025, 5 times",
            ),
            (
                "R1/2025-05-01T00:00:00Z/P1W",
                "every week from 1 May 2025, 2 times",
            ),
            ("R/2025-05-01T00:00:00Z/P1M", "every month from 1 May 2025"),
            ("R/2025-01-01T00:00:00Z/P1Y", "every year from 1 Jan 2025"),
            (
                "R/2025-04-22T08:00:00Z/PT1H",
                "every hour from 22 Apr 2025 08:00 UTC",
            ),
            (
                "R/2025-04-22T00:00:00Z/PT30M",
                "every 30 minutes from 22 Apr 2025 00:00 UTC",
            ),
            (
                "R/2025-04-22T08:00:00Z/P1D",
                "every day from 22 Apr 2025 08:00 UTC",
            ),
            (
                "R/2025-04-22T10:00:00+02:00/P1D",
                "every day from 22 Apr 2025 08:00 UTC",
            ),
            (
                "R/2025-04-22T08:00:30Z/P1D",
                "every day from 22 Apr 2025 08:00:30 UTC",
            ),
            (
                "R/2025-04-22T00:00:00Z/P1DT12H",
                "every 1 day 12 hours from 22 Apr 2025",
            ),
            (
                "R/2025-04-22T00:00:00Z/P1Y2M",
                "every 1 year 2 months from 22 Apr 2025",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(describe_interval(&interval(text)), expected, "{text}");
        }
    }

    #[test]
    fn describes_a_single_interval() {
        assert_eq!(
            describe_interval(&interval("R0/2025-04-22T00:00:00Z/P1D")),
            "once, from 22 Apr 2025 to 23 Apr 2025"
        );
        assert_eq!(
            describe_interval(&interval("R0/2025-04-22T08:00:00Z/PT2H")),
            "once, from 22 Apr 2025 08:00 UTC to 22 Apr 2025 10:00 UTC"
        );
        // Month clamping, as the resource server computes it.
        assert_eq!(
            describe_interval(&interval("R0/2025-01-31T00:00:00Z/P1M")),
            "once, from 31 Jan 2025 to 28 Feb 2025"
        );
        assert_eq!(
            describe_interval(&interval("R0/P1D/2025-04-30T00:00:00Z")),
            "once, from 29 Apr 2025 to 30 Apr 2025"
        );
        assert_eq!(
            describe_interval(&interval("R0/2025-04-22T00:00:00Z/2025-04-25T00:00:00Z")),
            "once, from 22 Apr 2025 to 25 Apr 2025"
        );
    }

    #[test]
    fn describes_backward_and_start_end_intervals() {
        let cases = [
            ("R/P1D/2025-04-30T00:00:00Z", "every day until 30 Apr 2025"),
            (
                "R2/P1W/2025-04-30T00:00:00Z",
                "every week until 30 Apr 2025, 3 times",
            ),
            (
                "R/PT1H/2025-04-30T12:00:00Z",
                "every hour until 30 Apr 2025 12:00 UTC",
            ),
            (
                "R/2025-04-22T00:00:00Z/2025-04-29T00:00:00Z",
                "every week from 22 Apr 2025",
            ),
            (
                "R/2025-04-22T00:00:00Z/2025-04-23T12:00:00Z",
                "every 1 day 12 hours from 22 Apr 2025",
            ),
            (
                "R3/2025-04-22T06:00:00Z/2025-04-22T06:45:00Z",
                "every 45 minutes from 22 Apr 2025 06:00 UTC, 4 times",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(describe_interval(&interval(text)), expected, "{text}");
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

    /// `SAVE_CONSENT_EXAMPLE=1 cargo test` writes example pages to /tmp to
    /// look at in a browser.
    #[test]
    fn saves_example_pages_on_request() {
        if std::env::var_os("SAVE_CONSENT_EXAMPLE").is_none() {
            return;
        }
        let incoming = "https://wallet.sandbox.test/bob/incoming-payments/7f3a";
        let mut view = view(Some(OutgoingLimits {
            receiver: Some(url(incoming)),
            ..daily_debit()
        }));
        view.receiver = Some(ReceiverView {
            incoming_payment: incoming.to_owned(),
            wallet_address: "https://wallet.sandbox.test/bob".to_owned(),
            public_name: Some("Bob's Bakery".to_owned()),
        });
        std::fs::write("/tmp/consent-example.html", render_consent(&view)).unwrap();
        std::fs::write(
            "/tmp/consent-example-unlimited.html",
            render_consent(&self::view(None)),
        )
        .unwrap();
        std::fs::write(
            "/tmp/consent-example-message.html",
            render_message(
                "This request expired",
                "Go back to Consent Desk and start again.",
                "error",
            ),
        )
        .unwrap();
    }
}
