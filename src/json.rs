//! Hot-path JSON helpers: large bodies written with SIMD string escaping, timestamps written
//! without the formatting machinery.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};
use sonic_rs::format::{CompactFormatter, Formatter};

/// `value` as JSON, byte for byte what `serde_json::to_vec` writes (see the tests), in a buffer
/// of `capacity` bytes to begin with.
///
/// sonic-rs scans strings for characters to escape 16 or 32 bytes at a time where serde_json
/// goes byte by byte; escaping was the largest single cost of a listing page (a quarter of the
/// server's instructions per page).
///
/// # Errors
/// Whatever `value`'s `Serialize` implementation reports.
pub fn to_vec<T: Serialize + ?Sized>(value: &T, capacity: usize) -> sonic_rs::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(capacity);
    sonic_rs::to_writer(&mut body, value)?;
    Ok(body)
}

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it.
pub fn write_str(text: &str, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail: its only error would be an allocation failure, which aborts.
    let _ = CompactFormatter.write_string_fast(out, text, true);
}

/// Appends `t` as a JSON string, exactly as [`instant`] (and so chrono) writes it.
pub fn write_instant(t: &DateTime<Utc>, out: &mut Vec<u8>) {
    let mut buf = [0u8; 30];
    match write_rfc3339(t, &mut buf) {
        Some(len) => {
            out.push(b'"');
            out.extend_from_slice(&buf[..len]);
            out.push(b'"');
        }
        // Years past 9999 and leap seconds: chrono's own form (it cannot fail into a Vec).
        None => {
            let _ = serde_json::to_writer(&mut *out, t);
        }
    }
}

/// Writes `t` as RFC 3339 in UTC with `Z`, with 0, 3, 6 or 9 fractional digits like chrono's
/// `SecondsFormat::AutoSi`, so the output is byte-for-byte what chrono's serde impl produces.
fn write_rfc3339(t: &DateTime<Utc>, out: &mut [u8; 30]) -> Option<usize> {
    // `DateTime`'s own accessors convert to local time on every call; UTC needs no conversion.
    let naive = t.naive_utc();
    let (date, time) = (naive.date(), naive.time());
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None; // leap second: let chrono handle it
    }
    put(out, 0, year, 4);
    put(out, 5, date.month(), 2);
    put(out, 8, date.day(), 2);
    put(out, 11, time.hour(), 2);
    put(out, 14, time.minute(), 2);
    put(out, 17, time.second(), 2);
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

    proptest! {
        // Any text a user can store: quotes, backslashes, control characters, non-ASCII, and
        // lengths around the 16/32-byte SIMD blocks.
        #[test]
        fn to_vec_matches_serde_json(
            texts in proptest::collection::vec("(?s).{0,70}", 0..6),
            number in any::<i64>(),
            flag in any::<bool>(),
        ) {
            let value = serde_json::json!({
                "texts": texts,
                "number": number,
                "flag": flag,
                "nothing": null,
                "nested": [{ "first": texts.first() }],
            });
            let ours = to_vec(&value, 0).expect("serialises");
            let theirs = serde_json::to_vec(&value).expect("serialises");
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }
}
