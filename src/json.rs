//! Hot-path JSON helpers: strings escaped with SIMD, timestamps written without the formatting
//! machinery.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};
use sonic_rs::format::{CompactFormatter, Formatter};

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it (see the tests).
///
/// sonic-rs scans for characters to escape 16 or 32 bytes at a time where serde_json goes byte
/// by byte; escaping was the largest single cost of a listing page (a quarter of the server's
/// instructions per page) before pages were written by `tasks::page_json`.
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

/// Writes instants given as microseconds after the Unix epoch (PostgreSQL sends timestamps as
/// such a count) as JSON strings, exactly as [`write_instant`] writes them, without building a
/// `DateTime`: going through chrono cost a listing page a tenth of its instructions. It keeps
/// the dates of the days it wrote last, since a page's timestamps fall on few days.
#[derive(Debug)]
pub struct MicrosWriter {
    /// Days since the epoch and their `YYYY-MM-DD`, by day modulo their number.
    dates: [(i64, [u8; 10]); 16],
    /// `"`, the date, then the time of the instant being written.
    text: [u8; 29],
}

impl Default for MicrosWriter {
    fn default() -> Self {
        Self {
            // no instant chrono can represent falls on day i64::MIN
            dates: [(i64::MIN, [0; 10]); 16],
            text: *b"\"0000-00-00T00:00:00.000000Z\"",
        }
    }
}

impl MicrosWriter {
    /// Appends the instant `micros` µs after the Unix epoch; `None`, writing nothing, for an
    /// instant chrono cannot represent either.
    pub fn write(&mut self, micros: i64, out: &mut Vec<u8>) -> Option<()> {
        let (seconds, micro) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
        let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let slot = &mut self.dates[usize::try_from(days.rem_euclid(16)).unwrap_or(0)];
        if slot.0 != days {
            let (year, month, day) = civil_from_days(days);
            let Some(year) = u32::try_from(year).ok().filter(|y| *y <= 9999) else {
                // chrono writes other years with a sign
                write_instant(&DateTime::<Utc>::from_timestamp_micros(micros)?, out);
                return Some(());
            };
            let date = &mut slot.1;
            put_pair(date, 0, year / 100);
            put_pair(date, 2, year % 100);
            date[4] = b'-';
            put_pair(date, 5, month);
            date[7] = b'-';
            put_pair(date, 8, day);
            slot.0 = days;
        }
        self.text[1..11].copy_from_slice(&slot.1);
        // both are below their divisor, so they fit
        let second_of_day = u32::try_from(second_of_day).unwrap_or(0);
        let micro = u32::try_from(micro).unwrap_or(0);
        let text = &mut self.text;
        put_pair(text, 12, second_of_day / 3600);
        text[14] = b':';
        put_pair(text, 15, second_of_day / 60 % 60);
        text[17] = b':';
        put_pair(text, 18, second_of_day % 60);
        // chrono's AutoSi: no fraction, milliseconds or microseconds, whichever is exact
        let end = if micro == 0 {
            20
        } else if micro.is_multiple_of(1000) {
            let millis = micro / 1000;
            text[20] = b'.';
            put_pair(text, 21, millis / 10);
            text[23] = b'0' + u8::try_from(millis % 10).unwrap_or(0);
            24
        } else {
            text[20] = b'.';
            put_pair(text, 21, micro / 10_000);
            put_pair(text, 23, micro / 100 % 100);
            put_pair(text, 25, micro % 100);
            27
        };
        text[end] = b'Z';
        text[end + 1] = b'"';
        out.extend_from_slice(&text[..end + 2]);
        Some(())
    }
}

/// Writes `value` (below 100) as two digits at `at`.
fn put_pair(out: &mut [u8], at: usize, value: u32) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
    let from = (value as usize % 100) * 2;
    out[at..at + 2].copy_from_slice(&PAIRS[from..from + 2]);
}

/// Year, month (1–12) and day (1–31) of the proleptic Gregorian calendar `days` after
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // from 0000-03-01, so that leap days end each cycle
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // both are small and positive by construction
    let to_u32 = |v: i64| u32::try_from(v).unwrap_or(0);
    (year, to_u32(month), to_u32(day))
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
    Some(write_fields(
        out,
        [year, date.month(), date.day()],
        [time.hour(), time.minute(), time.second()],
        nanos,
    ))
}

/// Writes `YYYY-MM-DDTHH:MM:SS[.fff[fff[fff]]]Z` (year ≤ 9999, nanoseconds < 10⁹) and returns
/// its length.
fn write_fields(
    out: &mut [u8; 30],
    [year, month, day]: [u32; 3],
    hms: [u32; 3],
    nanos: u32,
) -> usize {
    put(out, 0, year, 4);
    put(out, 5, month, 2);
    put(out, 8, day, 2);
    put(out, 11, hms[0], 2);
    put(out, 14, hms[1], 2);
    put(out, 17, hms[2], 2);
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
    len + 1
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

    proptest! {
        // Microseconds from year -300 to 12000: signed years, leap days and centuries, 9999→10000.
        #[test]
        fn unix_micros_match_chrono(micros in -71_700_000_000_000_000i64..316_500_000_000_000_000,
                                    whole in any::<bool>()) {
            let micros = if whole { micros - micros.rem_euclid(1_000_000) } else { micros };
            let t = DateTime::<Utc>::from_timestamp_micros(micros).expect("in range");
            let mut ours = Vec::new();
            prop_assert!(MicrosWriter::default().write(micros, &mut ours).is_some());
            let chrono = serde_json::to_string(&t).expect("serialises");
            prop_assert_eq!(String::from_utf8_lossy(&ours), chrono);
        }
    }

    #[test]
    fn unix_micros_at_the_edges_match_chrono() {
        for micros in [
            0,
            -1,
            1,
            999,
            1000,
            951_782_400_000_000,
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            -62_167_219_200_000_000,
            -62_167_219_200_000_001,
        ] {
            let t = DateTime::<Utc>::from_timestamp_micros(micros).expect("in range");
            let mut ours = Vec::new();
            assert!(MicrosWriter::default().write(micros, &mut ours).is_some());
            assert_eq!(
                String::from_utf8_lossy(&ours),
                serde_json::to_string(&t).expect("serialises")
            );
        }
        assert!(
            MicrosWriter::default()
                .write(i64::MAX, &mut Vec::new())
                .is_none()
        );
    }

    proptest! {
        // One writer through instants hours or weeks apart, so that it reuses its dates and
        // replaces them (16 days apart share a slot).
        #[test]
        fn a_reused_writer_matches_chrono(start in 0i64..4_000_000_000_000_000,
                                          steps in proptest::collection::vec(
                                              prop_oneof![0i64..30_000_000_000, 0i64..3_000_000_000_000], 1..40)) {
            let mut writer = MicrosWriter::default();
            let mut micros = start;
            for step in steps {
                micros += step;
                let t = DateTime::<Utc>::from_timestamp_micros(micros).expect("in range");
                let mut ours = Vec::new();
                prop_assert!(writer.write(micros, &mut ours).is_some());
                prop_assert_eq!(String::from_utf8_lossy(&ours), serde_json::to_string(&t).expect("serialises"));
            }
        }
    }

    #[derive(Serialize)]
    struct Wrapper(#[serde(serialize_with = "instant")] DateTime<Utc>);

    proptest! {
        // Any text a user can store: quotes, backslashes, control characters, non-ASCII, and
        // lengths around the 16/32-byte SIMD blocks.
        #[test]
        fn write_str_matches_serde_json(text in "(?s).{0,70}") {
            let mut ours = Vec::new();
            write_str(&text, &mut ours);
            let theirs = serde_json::to_vec(&text).expect("serialises");
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }
}
