//! ISO 8601 repeating intervals as grants carry them: parsing never panics,
//! what parses reads back the same from its own text, and the interval found
//! for an instant contains it.
#![no_main]

use consent_desk_protocol::RepeatingInterval;
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(interval) = RepeatingInterval::parse(text) else {
        return;
    };
    assert_eq!(
        RepeatingInterval::parse(interval.as_str()).as_ref(),
        Ok(&interval)
    );
    assert_eq!(interval.to_string(), interval.as_str());
    for at in [
        datetime!(1970-01-01 00:00 UTC),
        datetime!(2025-04-22 08:00 UTC),
        datetime!(2025-04-23 07:59:59.999 UTC),
        datetime!(2026-11-30 13:00 UTC),
        datetime!(0001-01-01 00:00 UTC),
        datetime!(9999-12-31 23:59:59 UTC),
        datetime!(2025-04-22 08:00 +05:30),
    ] {
        if let Some(bounds) = interval.current(at) {
            assert!(bounds.contains(at), "{interval}: {at} is not in {bounds:?}");
            assert!(bounds.start < bounds.end, "{interval}: empty {bounds:?}");
        }
    }
});
