//! Amounts and repeating intervals in plain English words, for a person
//! deciding whether to approve a grant: "$13.20", "every day from 22 Apr
//! 2025", "22 Apr 2025 08:10 UTC".
//!
//! The sandbox wallet's consent page words grant limits with these functions;
//! the desktop app uses the same ones, so both say the same thing about the
//! same grant.
//! Amounts are exact for every `u64` and scale (never through a float), and
//! dates and times are always shown in UTC, with the month as a word so they
//! read the same to people used to either day/month order.
//!
//! ```
//! use consent_desk_protocol::describe::{describe_interval, format_amount, format_amount_of};
//! use consent_desk_protocol::{Amount, RepeatingInterval};
//!
//! assert_eq!(format_amount(1320, "USD", 2), "$13.20");
//! let limit = Amount { value: 1320, asset_code: "USD".to_owned(), asset_scale: 2 };
//! assert_eq!(format_amount_of(&limit), "$13.20");
//!
//! let daily = RepeatingInterval::parse("R/2025-04-22T00:00:00Z/P1D").expect("a valid interval");
//! assert_eq!(describe_interval(&daily), "every day from 22 Apr 2025");
//! ```

use std::fmt::Write as _;

use time::{Month, OffsetDateTime, Time, UtcOffset};

use crate::{Amount, IntervalBounds, IntervalSpan, IsoDuration, RepeatingInterval, Repetitions};

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
pub fn format_amount(value: u64, asset_code: &str, asset_scale: u8) -> String {
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

/// Shows an [`Amount`] as [`format_amount`] does: "$13.20" for
/// `{"value":"1320","assetCode":"USD","assetScale":2}`.
pub fn format_amount_of(amount: &Amount) -> String {
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
pub fn describe_interval(interval: &RepeatingInterval) -> String {
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

/// The first interval, computed by [`RepeatingInterval::current`] so that
/// month clamping ("monthly from 31 January") matches what a resource server
/// using this crate enforces.
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

/// "22 Apr 2025", or "22 Apr 2025 08:00 UTC" with `with_time` (as
/// [`format_clock`] shows it): the date in UTC, day first and a month name,
/// so it reads the same to people used to either day/month order.
pub fn format_date(at: OffsetDateTime, with_time: bool) -> String {
    let at = to_utc(at);
    let mut text = format!("{} {} {}", at.day(), month_name(at.month()), at.year());
    if with_time {
        text.push(' ');
        text.push_str(&format_clock(at));
    }
    text
}

/// "08:10 UTC": the time of day in UTC, with seconds only when there are some
/// ("08:10:30 UTC").
pub fn format_clock(at: OffsetDateTime) -> String {
    let at = to_utc(at);
    if at.second() == 0 {
        format!("{:02}:{:02} UTC", at.hour(), at.minute())
    } else {
        format!("{:02}:{:02}:{:02} UTC", at.hour(), at.minute(), at.second())
    }
}

/// "2025-04-22T08:10:00Z": the instant in UTC to whole seconds, as the
/// machine-readable `datetime` attribute of an HTML `<time>` element that
/// shows [`format_clock`] or [`format_date`].
pub fn machine_date_time(at: OffsetDateTime) -> String {
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

/// A duration in milliseconds as seconds in words: "15", "2.5", "0.25".
#[must_use]
pub fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
            .trim_end_matches('0')
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn interval(text: &str) -> RepeatingInterval {
        RepeatingInterval::parse(text).unwrap()
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
    fn formats_dates_and_clocks_in_utc() {
        let at = datetime!(2025-04-22 08:10:00 UTC);
        assert_eq!(format_date(at, false), "22 Apr 2025");
        assert_eq!(format_date(at, true), "22 Apr 2025 08:10 UTC");
        assert_eq!(format_clock(at), "08:10 UTC");
        assert_eq!(machine_date_time(at), "2025-04-22T08:10:00Z");

        let at = datetime!(2025-12-31 23:30:05 -02:00);
        assert_eq!(format_date(at, false), "1 Jan 2026");
        assert_eq!(format_date(at, true), "1 Jan 2026 01:30:05 UTC");
        assert_eq!(format_clock(at), "01:30:05 UTC");
        assert_eq!(machine_date_time(at), "2026-01-01T01:30:05Z");
    }
}
