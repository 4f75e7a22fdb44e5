//! ISO 8601 repeating intervals, the `interval` of Open Payments grant limits
//! (ISO 8601-1:2019 §5.6, "recurring time interval"): a budget that renews,
//! such as `R/2025-04-22T08:00:00Z/P1D`, "every day from 22 April".
//!
//! Three shapes after the repetition count: `<start>/<duration>`,
//! `<duration>/<end>` (repeating backwards from `end`) and `<start>/<end>`
//! (repeating with the exact length `end - start`).
//!
//! The arithmetic follows the Rafiki resource server's `getInterval`, since
//! that is what decides whether a payment fits the budget:
//!
//! - `R` (or `R-1`) repeats without end; `R<n>` means the first interval and
//!   `n` more;
//! - each interval starts where the previous one ended (backwards: ends where
//!   the next one starts), so month clamping carries over: monthly from
//!   31 January gives 29 February, then 29 March;
//! - years and months are added first, clamping the day to the month's
//!   length, then weeks and days, then hours, minutes and seconds, all in UTC
//!   (Rafiki sets luxon's default zone to UTC).
//!
//! Date-times must carry a UTC offset; a local time would mean different
//! instants to the client and the wallet. Durations take whole numbers only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::error::IntervalError;

/// An ISO 8601 duration (`PnYnMnWnDTnHnMnS`), whole numbers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IsoDuration {
    /// Calendar years.
    pub years: u32,
    /// Calendar months.
    pub months: u32,
    /// Weeks of seven days.
    pub weeks: u32,
    /// Days (24 hours in UTC).
    pub days: u32,
    /// Hours.
    pub hours: u32,
    /// Minutes.
    pub minutes: u32,
    /// Seconds.
    pub seconds: u32,
}

impl IsoDuration {
    /// Whether the duration is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the length is fixed, i.e. has no years or months.
    fn is_exact(&self) -> bool {
        self.years == 0 && self.months == 0
    }

    /// The weeks-to-seconds part, whose length never depends on the date.
    fn exact_seconds(&self) -> i64 {
        i64::from(self.weeks) * 7 * 86_400
            + i64::from(self.days) * 86_400
            + i64::from(self.hours) * 3_600
            + i64::from(self.minutes) * 60
            + i64::from(self.seconds)
    }

    /// Moves `at` (in UTC) by this duration, forwards or backwards, the way
    /// luxon's `DateTime.plus` and `minus` do.
    fn shift(&self, at: OffsetDateTime, forward: bool) -> Option<OffsetDateTime> {
        let sign: i64 = if forward { 1 } else { -1 };
        let mut shifted = at;
        if !self.is_exact() {
            let months = i64::from(at.year()) * 12
                + i64::from(u8::from(at.month()) - 1)
                + sign * (i64::from(self.years) * 12 + i64::from(self.months));
            let year = i32::try_from(months.div_euclid(12)).ok()?;
            let month = Month::try_from(u8::try_from(months.rem_euclid(12) + 1).ok()?).ok()?;
            let day = at.day().min(time::util::days_in_month(month, year));
            let date = Date::from_calendar_date(year, month, day).ok()?;
            shifted = date.with_time(at.time()).assume_utc();
        }
        shifted.checked_add(time::Duration::seconds(sign * self.exact_seconds()))
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("PT0S");
        }
        f.write_str("P")?;
        for (value, unit) in [
            (self.years, 'Y'),
            (self.months, 'M'),
            (self.weeks, 'W'),
            (self.days, 'D'),
        ] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        if self.hours > 0 || self.minutes > 0 || self.seconds > 0 {
            f.write_str("T")?;
            for (value, unit) in [(self.hours, 'H'), (self.minutes, 'M'), (self.seconds, 'S')] {
                if value > 0 {
                    write!(f, "{value}{unit}")?;
                }
            }
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = IntervalError;

    fn from_str(text: &str) -> Result<Self, IntervalError> {
        let bad = |reason| IntervalError::BadDuration {
            part: text.to_owned(),
            reason,
        };
        let rest = text
            .strip_prefix('P')
            .ok_or_else(|| bad("it must start with `P`"))?;
        let (date_part, time_part) = match rest.split_once('T') {
            Some((_, "")) => return Err(bad("`T` must be followed by hours, minutes or seconds")),
            Some((date, time)) => (date, Some(time)),
            None => (rest, None),
        };
        let mut duration = Self::default();
        let mut any = false;
        {
            let mut slots = [
                ('Y', &mut duration.years),
                ('M', &mut duration.months),
                ('W', &mut duration.weeks),
                ('D', &mut duration.days),
            ];
            any |= parse_components(date_part, &mut slots).map_err(bad)?;
        }
        if let Some(time_part) = time_part {
            let mut slots = [
                ('H', &mut duration.hours),
                ('M', &mut duration.minutes),
                ('S', &mut duration.seconds),
            ];
            any |= parse_components(time_part, &mut slots).map_err(bad)?;
        }
        if any {
            Ok(duration)
        } else {
            Err(bad("it has no components"))
        }
    }
}

/// Parses `<digits><unit>…` into the slots, which give the allowed units in
/// their required order. Returns whether any component was present.
fn parse_components(text: &str, slots: &mut [(char, &mut u32)]) -> Result<bool, &'static str> {
    let mut rest = text;
    let mut next_slot = 0;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(match rest.as_bytes()[0] {
                b'.' | b',' => "fractions are not supported",
                b'-' | b'+' => "components cannot have a sign",
                _ => "each component is a whole number followed by a unit letter",
            });
        }
        let value: u32 = rest[..digits]
            .parse()
            .map_err(|_| "a component is too large")?;
        let unit = rest[digits..]
            .chars()
            .next()
            .ok_or("a number is missing its unit letter")?;
        if matches!(unit, '.' | ',') {
            return Err("fractions are not supported");
        }
        let position = slots[next_slot..]
            .iter()
            .position(|(letter, _)| *letter == unit)
            .ok_or("a unit is unknown, repeated or out of order (years, months, weeks, days; then T, hours, minutes, seconds)")?;
        next_slot += position;
        *slots[next_slot].1 = value;
        next_slot += 1;
        any = true;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(any)
}

/// How many times an interval recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repetitions {
    /// `R` or `R-1`: forever.
    Unbounded,
    /// `R<n>`: the first interval and `n` more.
    Limited(u32),
}

/// The first interval of a repeating interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalSpan {
    /// `<start>/<duration>`: repeats forwards from `start`.
    StartDuration {
        /// The first interval's start.
        start: OffsetDateTime,
        /// Each interval's length.
        duration: IsoDuration,
    },
    /// `<duration>/<end>`: repeats backwards from `end`.
    DurationEnd {
        /// Each interval's length.
        duration: IsoDuration,
        /// The first (latest) interval's end.
        end: OffsetDateTime,
    },
    /// `<start>/<end>`: repeats forwards with the exact length `end - start`.
    StartEnd {
        /// The first interval's start.
        start: OffsetDateTime,
        /// The first interval's end.
        end: OffsetDateTime,
    },
}

/// One interval, `[start, end)`, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntervalBounds {
    /// Inclusive start.
    pub start: OffsetDateTime,
    /// Exclusive end.
    pub end: OffsetDateTime,
}

impl IntervalBounds {
    /// Whether `at` falls in `[start, end)`.
    #[must_use]
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.start <= at && at < self.end
    }
}

/// A repeating interval such as `R/2025-04-22T08:00:00Z/P1D`.
///
/// Parsing keeps the text, so [`Display`](fmt::Display) and serialization give
/// back exactly what was parsed; [`new`](Self::new) renders a canonical text.
/// Equality compares that text too, so `R/…` and `R-1/…` differ even though
/// both repeat forever. Serializes as a JSON string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepeatingInterval {
    repetitions: Repetitions,
    span: IntervalSpan,
    text: String,
}

impl RepeatingInterval {
    /// Builds an interval and renders it (`R` or `R<n>`, then RFC 3339
    /// date-times in UTC and canonical durations).
    ///
    /// # Errors
    ///
    /// [`IntervalError::Empty`] for a zero duration or an end not after the
    /// start, [`IntervalError::OutOfRange`] if the first interval leaves the
    /// supported years.
    pub fn new(repetitions: Repetitions, span: IntervalSpan) -> Result<Self, IntervalError> {
        let span = to_utc(span);
        let date_time =
            |at: OffsetDateTime| at.format(&Rfc3339).map_err(|_| IntervalError::OutOfRange);
        let count = match repetitions {
            Repetitions::Unbounded => "R".to_owned(),
            Repetitions::Limited(n) => format!("R{n}"),
        };
        let text = match span {
            IntervalSpan::StartDuration { start, duration } => {
                format!("{count}/{}/{duration}", date_time(start)?)
            }
            IntervalSpan::DurationEnd { duration, end } => {
                format!("{count}/{duration}/{}", date_time(end)?)
            }
            IntervalSpan::StartEnd { start, end } => {
                format!("{count}/{}/{}", date_time(start)?, date_time(end)?)
            }
        };
        let interval = Self {
            repetitions,
            span,
            text,
        };
        interval.first()?;
        Ok(interval)
    }

    /// Parses `R[n]/<start>/<duration>`, `R[n]/<duration>/<end>` or
    /// `R[n]/<start>/<end>`.
    ///
    /// # Errors
    ///
    /// An [`IntervalError`] naming the part that is wrong.
    pub fn parse(text: &str) -> Result<Self, IntervalError> {
        let mut parts = text.split('/');
        let (Some(count), Some(first), Some(second), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(IntervalError::WrongShape {
                text: text.to_owned(),
            });
        };
        let repetitions = parse_repetitions(count)?;
        let span = match (first.starts_with('P'), second.starts_with('P')) {
            (false, true) => IntervalSpan::StartDuration {
                start: parse_date_time(first)?,
                duration: second.parse()?,
            },
            (true, false) => IntervalSpan::DurationEnd {
                duration: first.parse()?,
                end: parse_date_time(second)?,
            },
            (false, false) => IntervalSpan::StartEnd {
                start: parse_date_time(first)?,
                end: parse_date_time(second)?,
            },
            (true, true) => {
                return Err(IntervalError::TwoDurations {
                    text: text.to_owned(),
                })
            }
        };
        let interval = Self {
            repetitions,
            span: to_utc(span),
            text: text.to_owned(),
        };
        interval.first()?;
        Ok(interval)
    }

    /// How often it repeats.
    #[must_use]
    pub fn repetitions(&self) -> Repetitions {
        self.repetitions
    }

    /// The first interval as written, with date-times converted to UTC.
    #[must_use]
    pub fn span(&self) -> IntervalSpan {
        self.span
    }

    /// The text, exactly as parsed or rendered.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The interval that contains `at`, or `None` if `at` is before the first
    /// one (forward shapes), after the first one (`<duration>/<end>`), or past
    /// the last repetition.
    #[must_use]
    pub fn current(&self, at: OffsetDateTime) -> Option<IntervalBounds> {
        let at = at.to_offset(UtcOffset::UTC);
        let first = self.first().ok()?;
        let (duration, forward) = match self.span {
            IntervalSpan::StartDuration { duration, .. } => (Some(duration), true),
            IntervalSpan::DurationEnd { duration, .. } => (Some(duration), false),
            IntervalSpan::StartEnd { .. } => (None, true),
        };
        if first.contains(at) {
            return Some(first);
        }
        if (forward && at < first.start) || (!forward && at >= first.end) {
            return None;
        }
        let limit = match self.repetitions {
            Repetitions::Unbounded => u64::MAX,
            Repetitions::Limited(n) => u64::from(n),
        };
        match duration.filter(|duration| !duration.is_exact()) {
            Some(calendar) => step_calendar(first, calendar, forward, at, limit),
            None => jump_exact(first, forward, at, limit),
        }
    }

    /// The first interval, checked to be non-empty and in range.
    fn first(&self) -> Result<IntervalBounds, IntervalError> {
        let bounds = match self.span {
            IntervalSpan::StartDuration { start, duration } => IntervalBounds {
                start,
                end: non_zero(duration)?
                    .shift(start, true)
                    .ok_or(IntervalError::OutOfRange)?,
            },
            IntervalSpan::DurationEnd { duration, end } => IntervalBounds {
                start: non_zero(duration)?
                    .shift(end, false)
                    .ok_or(IntervalError::OutOfRange)?,
                end,
            },
            IntervalSpan::StartEnd { start, end } => IntervalBounds { start, end },
        };
        if bounds.end > bounds.start {
            Ok(bounds)
        } else {
            Err(IntervalError::Empty)
        }
    }
}

fn non_zero(duration: IsoDuration) -> Result<IsoDuration, IntervalError> {
    if duration.is_zero() {
        Err(IntervalError::Empty)
    } else {
        Ok(duration)
    }
}

/// Steps interval by interval, as Rafiki does; needed when months and years
/// make each interval's length depend on where it starts. Each step moves at
/// least a month, so the loop is bounded by the months between the first
/// interval and `at`.
fn step_calendar(
    first: IntervalBounds,
    duration: IsoDuration,
    forward: bool,
    at: OffsetDateTime,
    limit: u64,
) -> Option<IntervalBounds> {
    let mut current = first;
    for _ in 0..limit {
        current = if forward {
            IntervalBounds {
                start: current.end,
                end: duration.shift(current.end, true)?,
            }
        } else {
            IntervalBounds {
                start: duration.shift(current.start, false)?,
                end: current.start,
            }
        };
        if current.contains(at) {
            return Some(current);
        }
    }
    None
}

/// Computes the interval index directly when every interval has the same
/// length, which stepping would only reach after millions of steps for, say,
/// `PT1S` started a year ago.
fn jump_exact(
    first: IntervalBounds,
    forward: bool,
    at: OffsetDateTime,
    limit: u64,
) -> Option<IntervalBounds> {
    let length = (first.end - first.start).whole_nanoseconds();
    // Whole intervals between the first one and the one holding `at`.
    let index = if forward {
        (at - first.start).whole_nanoseconds() / length
    } else {
        ((first.end - at).whole_nanoseconds() - 1) / length
    };
    if index > i128::from(limit) {
        return None;
    }
    let offset = nanoseconds(index.checked_mul(length)?)?;
    Some(if forward {
        let start = first.start.checked_add(offset)?;
        IntervalBounds {
            start,
            end: start.checked_add(first.end - first.start)?,
        }
    } else {
        let end = first.end.checked_sub(offset)?;
        IntervalBounds {
            start: end.checked_sub(first.end - first.start)?,
            end,
        }
    })
}

/// An `i128` of nanoseconds as a `time::Duration`, which `i64` nanoseconds
/// (about 292 years) could not always hold.
fn nanoseconds(total: i128) -> Option<time::Duration> {
    let seconds = i64::try_from(total / 1_000_000_000).ok()?;
    let rest = i32::try_from(total % 1_000_000_000).ok()?;
    Some(time::Duration::new(seconds, rest))
}

fn to_utc(span: IntervalSpan) -> IntervalSpan {
    let utc = |at: OffsetDateTime| at.to_offset(UtcOffset::UTC);
    match span {
        IntervalSpan::StartDuration { start, duration } => IntervalSpan::StartDuration {
            start: utc(start),
            duration,
        },
        IntervalSpan::DurationEnd { duration, end } => IntervalSpan::DurationEnd {
            duration,
            end: utc(end),
        },
        IntervalSpan::StartEnd { start, end } => IntervalSpan::StartEnd {
            start: utc(start),
            end: utc(end),
        },
    }
}

fn parse_repetitions(part: &str) -> Result<Repetitions, IntervalError> {
    let bad = || IntervalError::BadRepetitions {
        part: part.to_owned(),
    };
    match part.strip_prefix('R').ok_or_else(bad)? {
        "" | "-1" => Ok(Repetitions::Unbounded),
        digits if digits.bytes().all(|byte| byte.is_ascii_digit()) => {
            digits.parse().map(Repetitions::Limited).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

fn parse_date_time(part: &str) -> Result<OffsetDateTime, IntervalError> {
    OffsetDateTime::parse(part, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(part, &Iso8601::DEFAULT))
        .map_err(|error| IntervalError::BadDateTime {
            part: part.to_owned(),
            reason: error.to_string(),
        })
}

impl fmt::Display for RepeatingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for RepeatingInterval {
    type Err = IntervalError;

    fn from_str(text: &str) -> Result<Self, IntervalError> {
        Self::parse(text)
    }
}

impl Serialize for RepeatingInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for RepeatingInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
