//! Hot-path JSON helpers: timestamps written without the formatting machinery.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// Writes `t` as RFC 3339 in UTC with `Z`, with 0, 3, 6 or 9 fractional digits like chrono's
/// `SecondsFormat::AutoSi`, so the output is byte-for-byte what chrono's serde impl produces.
fn write_rfc3339(t: &DateTime<Utc>, out: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None; // leap second: let chrono handle it
    }
    put(out, 0, year, 4);
    put(out, 5, t.month(), 2);
    put(out, 8, t.day(), 2);
    put(out, 11, t.hour(), 2);
    put(out, 14, t.minute(), 2);
    put(out, 17, t.second(), 2);
    out[4] = b'-';
    out[7] = b'-';
    out[10] = b'T';
    out[13] = b':';
    out[16] = b':';
    let mut len = 19;
    let (value, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if digits > 0 {
        out[len] = b'.';
        put(out, len + 1, value, digits);
        len += 1 + digits;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// Writes `value` as exactly `digits` decimal digits at `at`.
fn put(out: &mut [u8], at: usize, value: u32, digits: usize) {
    let mut rest = value;
    for slot in out[at..at + digits].iter_mut().rev() {
        *slot = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
    }
}

/// `serialize_with` for `DateTime<Utc>`.
///
/// # Errors
/// Whatever the serializer reports.
pub fn instant<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write_rfc3339(t, &mut buf).and_then(|len| std::str::from_utf8(&buf[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => t.serialize(serializer),
    }
}

/// `serialize_with` for `Option<DateTime<Utc>>`.
///
/// # Errors
/// Whatever the serializer reports.
#[allow(clippy::ref_option)] // serde's serialize_with passes `&Option<T>`
pub fn optional_instant<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => instant(t, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn matches_chrono_byte_for_byte(secs in 0i64..253_402_300_799, nanos in prop_oneof![
            Just(0u32), (0u32..1000).prop_map(|m| m * 1_000_000),
            (0u32..1_000_000).prop_map(|u| u * 1000), 0u32..1_000_000_000,
        ]) {
            let t = Utc.timestamp_opt(secs, nanos).single().expect("in range");
            let ours = serde_json::to_string(&Wrapper(t)).expect("serialises");
            let chrono = serde_json::to_string(&t).expect("serialises");
            prop_assert_eq!(ours, chrono);
        }
    }

    #[derive(Serialize)]
    struct Wrapper(#[serde(serialize_with = "instant")] DateTime<Utc>);
}
