//! Reading due dates (instants or naive local times) and stepping recurring dates in a zone.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use super::model::RecurrencePattern;

/// A parsed due date before the user's zone is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDate {
    /// Carried an offset: already an instant.
    Instant(DateTime<Utc>),
    /// No offset: a wall-clock time in the user's zone.
    Local(NaiveDateTime),
}

/// Parses RFC 3339, `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` or `YYYY-MM-DD` (end of that day).
#[must_use]
pub fn parse_due(raw: &str) -> Option<DueDate> {
    let raw = raw.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Some(DueDate::Instant(instant.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(DueDate::Local(naive));
        }
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59)?;
    Some(DueDate::Local(date.and_time(end_of_day)))
}

/// The instant a wall-clock time names in `tz`. In a DST gap the time does not exist and the
/// first instant after the gap is used; in an overlap the earlier of the two.
#[must_use]
pub fn resolve_local(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; step forward minute by minute is overkill, an hour
            // is enough for every zone in the tz database.
            let later = naive + TimeDelta::hours(1);
            tz.from_local_datetime(&later)
                .earliest()
                .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
        }
    }
}

/// `periods` periods after `start`, stepping the wall clock of `tz` so that "9:00 every day"
/// stays 9:00 across DST changes. Months clamp to the last day of shorter months.
///
/// Monthly steps land on `anchor_day` (the series' day of month) when the month has it, else
/// on its last day: a series on the 31st goes 31 Jan → 28 Feb → 31 Mar.
fn advance(
    start: NaiveDateTime,
    pattern: RecurrencePattern,
    periods: u32,
    anchor_day: Option<u32>,
) -> Option<NaiveDateTime> {
    match pattern {
        RecurrencePattern::Daily => start.checked_add_days(Days::new(u64::from(periods))),
        RecurrencePattern::Weekly => start.checked_add_days(Days::new(7 * u64::from(periods))),
        RecurrencePattern::Monthly => {
            let first = start
                .date()
                .with_day(1)?
                .checked_add_months(Months::new(periods))?;
            let wanted = anchor_day.unwrap_or(start.day()).clamp(1, 31);
            let day = wanted.min(days_in_month(first.year(), first.month())?);
            Some(first.with_day(day)?.and_time(start.time()))
        }
    }
}

fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    u32::try_from(next.signed_duration_since(first).num_days()).ok()
}

/// The day of month a monthly series keeps: the local day of its due date.
#[must_use]
pub fn anchor_day(
    due: Option<DateTime<Utc>>,
    pattern: Option<RecurrencePattern>,
    tz: Tz,
) -> Option<i32> {
    match (due, pattern) {
        (Some(due), Some(RecurrencePattern::Monthly)) => {
            i32::try_from(due.with_timezone(&tz).day()).ok()
        }
        _ => None,
    }
}

/// The due date of the occurrence after one completed at `completed_at`: the old due date
/// advanced by whole periods until it is after the completion (no backlog of overdue copies),
/// or the completion time plus one period when there was no due date.
#[must_use]
pub fn next_due(
    due: Option<DateTime<Utc>>,
    pattern: RecurrencePattern,
    interval: i32,
    anchor_day: Option<i32>,
    tz: Tz,
    completed_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let anchor_day = anchor_day.and_then(|d| u32::try_from(d).ok());
    let step = u32::try_from(interval.max(1)).unwrap_or(1);
    let base = due.unwrap_or(completed_at).with_timezone(&tz).naive_local();
    let mut periods = step;
    loop {
        let Some(candidate) = advance(base, pattern, periods, anchor_day) else {
            return completed_at;
        };
        let instant = resolve_local(tz, candidate);
        if instant > completed_at || due.is_none() {
            return instant;
        }
        periods = match periods.checked_add(step) {
            Some(p) => p,
            None => return completed_at,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .expect("valid date")
    }

    #[test]
    fn bare_date_means_end_of_that_day_locally() {
        let due = parse_due("2026-03-01").expect("parses");
        let DueDate::Local(naive) = due else {
            panic!("expected local")
        };
        assert_eq!(
            resolve_local(chrono_tz::Europe::Paris, naive),
            utc("2026-03-01T22:59:59Z")
        );
    }

    #[test]
    fn offsets_are_instants() {
        assert_eq!(
            parse_due("2026-03-01T10:00:00+02:00"),
            Some(DueDate::Instant(utc("2026-03-01T08:00:00Z")))
        );
        assert_eq!(parse_due("tomorrow"), None);
        assert_eq!(parse_due("2026-02-30"), None);
    }

    #[test]
    fn daily_skips_the_backlog() {
        let next = next_due(
            Some(utc("2026-01-01T09:00:00Z")),
            RecurrencePattern::Daily,
            1,
            None,
            chrono_tz::UTC,
            utc("2026-01-05T12:00:00Z"),
        );
        assert_eq!(next, utc("2026-01-06T09:00:00Z"));
    }

    #[test]
    fn daily_keeps_wall_clock_across_dst() {
        // Paris switches to summer time on 2026-03-29.
        let next = next_due(
            Some(utc("2026-03-28T08:00:00Z")),
            RecurrencePattern::Daily,
            1,
            None,
            chrono_tz::Europe::Paris,
            utc("2026-03-28T09:00:00Z"),
        );
        assert_eq!(next, utc("2026-03-29T07:00:00Z"));
    }

    #[test]
    fn monthly_clamps_to_month_end() {
        let next = next_due(
            Some(utc("2026-01-31T10:00:00Z")),
            RecurrencePattern::Monthly,
            1,
            Some(31),
            chrono_tz::UTC,
            utc("2026-01-31T11:00:00Z"),
        );
        assert_eq!(next, utc("2026-02-28T10:00:00Z"));
        // From the clamped occurrence, the series returns to the 31st.
        let after = next_due(
            Some(next),
            RecurrencePattern::Monthly,
            1,
            Some(31),
            chrono_tz::UTC,
            utc("2026-02-28T11:00:00Z"),
        );
        assert_eq!(after, utc("2026-03-31T10:00:00Z"));
    }

    #[test]
    fn without_due_date_one_period_after_completion() {
        let done = utc("2026-05-10T15:30:00Z");
        let next = next_due(
            None,
            RecurrencePattern::Weekly,
            2,
            None,
            chrono_tz::UTC,
            done,
        );
        assert_eq!(next, utc("2026-05-24T15:30:00Z"));
    }
}

#[cfg(test)]
mod properties {
    use chrono::{Datelike, NaiveDate, TimeDelta, Timelike};
    use proptest::prelude::*;

    use super::*;

    const ZONES: [Tz; 4] = [
        chrono_tz::UTC,
        chrono_tz::Europe::Paris,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Sydney,
    ];

    fn local_start() -> impl Strategy<Value = NaiveDateTime> {
        (2023i32..2031, 1u32..=12, 1u32..=31, 0u32..24, 0u32..60)
            .prop_filter_map("valid date", |(y, m, d, h, min)| {
                NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(h, min, 0)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Monthly: the next occurrence falls on the anchor day (or the month's last day), at
        /// the same wall-clock time, after the completion, and is the first such occurrence.
        #[test]
        fn monthly_keeps_anchor_day_and_skips_backlog(
            start in local_start(),
            zone in 0usize..ZONES.len(),
            interval in 1i32..4,
            late_days in 0i64..400,
        ) {
            let tz = ZONES[zone];
            let due = resolve_local(tz, start);
            let anchor = i32::try_from(start.day()).ok();
            let completed_at = due + TimeDelta::days(late_days);
            let next = next_due(Some(due), RecurrencePattern::Monthly, interval, anchor, tz, completed_at);
            let local = next.with_timezone(&tz).naive_local();
            prop_assert!(next > completed_at);
            let month_len = days_in_month(local.year(), local.month()).unwrap_or(31);
            prop_assert_eq!(local.day(), start.day().min(month_len));
            // As for daily and weekly: a start inside a DST gap was stored shifted past it, and
            // that stored wall clock is the one the series keeps.
            if tz.from_local_datetime(&start).single().is_some()
                && tz.from_local_datetime(&local.with_hour(start.hour()).unwrap_or(local)).single().is_some()
            {
                prop_assert_eq!((local.hour(), local.minute()), (start.hour(), start.minute()));
            }
            // One interval earlier would not have been after the completion.
            let months = (local.year() - start.year()) * 12 + i32::try_from(local.month()).unwrap_or(0)
                - i32::try_from(start.month()).unwrap_or(0);
            prop_assert!(months >= interval && months % interval == 0);
            // The occurrence after that one, counted from it, is back on the anchor day.
            let then = next_due(Some(next), RecurrencePattern::Monthly, interval, anchor, tz, next);
            let then_local = then.with_timezone(&tz).naive_local();
            let then_len = days_in_month(then_local.year(), then_local.month()).unwrap_or(31);
            prop_assert_eq!(then_local.day(), start.day().min(then_len));
            if months > interval {
                let back = u32::try_from(months - interval).unwrap_or(0);
                let earlier = advance(start, RecurrencePattern::Monthly, back, Some(start.day()))
                    .map(|n| resolve_local(tz, n));
                prop_assert!(earlier.is_some_and(|e| e <= completed_at));
            }
        }

        /// Daily and weekly keep the wall-clock time across DST (unless it falls in a gap),
        /// land after the completion, and never leave a whole period of backlog.
        #[test]
        fn daily_and_weekly_keep_wall_clock(
            start in local_start(),
            zone in 0usize..ZONES.len(),
            weekly in any::<bool>(),
            interval in 1i32..5,
            late_hours in 0i64..(24 * 90),
        ) {
            let tz = ZONES[zone];
            let pattern = if weekly { RecurrencePattern::Weekly } else { RecurrencePattern::Daily };
            let due = resolve_local(tz, start);
            let completed_at = due + TimeDelta::hours(late_hours);
            let next = next_due(Some(due), pattern, interval, None, tz, completed_at);
            prop_assert!(next > completed_at);
            let local = next.with_timezone(&tz).naive_local();
            if tz.from_local_datetime(&start.date().and_time(start.time())).single().is_some()
                && tz.from_local_datetime(&local.date().and_time(start.time())).single().is_some()
            {
                prop_assert_eq!(local.time(), start.time());
            }
            let step_days = i64::from(interval) * if weekly { 7 } else { 1 };
            let previous = local.date().and_time(start.time()) - TimeDelta::days(step_days);
            if previous.date() > start.date() {
                prop_assert!(resolve_local(tz, previous) <= completed_at);
            }
        }

        /// Without a due date the next one is exactly one period after completion.
        #[test]
        fn undated_series_is_one_period_after_completion(
            start in local_start(),
            zone in 0usize..ZONES.len(),
        ) {
            let tz = ZONES[zone];
            let done = resolve_local(tz, start);
            let next = next_due(None, RecurrencePattern::Daily, 1, None, tz, done);
            prop_assert!(next > done);
            prop_assert!(next - done <= TimeDelta::hours(25) && next - done >= TimeDelta::hours(23));
        }
    }

    #[test]
    fn leap_years_give_february_its_29th() {
        let jan31 = utc_at(2028, 1, 31);
        let next = next_due(
            Some(jan31),
            RecurrencePattern::Monthly,
            1,
            Some(31),
            chrono_tz::UTC,
            jan31 + TimeDelta::hours(1),
        );
        assert_eq!(next, utc_at(2028, 2, 29));
        let next_year = next_due(
            Some(utc_at(2027, 1, 31)),
            RecurrencePattern::Monthly,
            1,
            Some(31),
            chrono_tz::UTC,
            utc_at(2027, 1, 31) + TimeDelta::hours(1),
        );
        assert_eq!(next_year, utc_at(2027, 2, 28));
    }

    fn utc_at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(10, 0, 0))
            .map(|n| Utc.from_utc_datetime(&n))
            .expect("valid date")
    }
}
