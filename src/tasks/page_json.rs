//! A listing page written as the JSON array sent, straight from its rows.
//!
//! Building a `Task` per row and serialising it through serde cost a page more than half of
//! the server's instructions: a `String` per text column and tag, a tag array parsed by
//! serde_json, every key escaped as if it were user text, timestamps turned into strings and
//! scanned for characters to escape. Here each row is read borrowed and written with its keys
//! as literals; only user text goes through the escaper.
//!
//! The bytes are exactly those of `serde_json::to_vec(&[Task])` (what every other response
//! uses): a test in `tests/api/listing.rs` compares a listing with the single-task
//! responses on both databases, with text that needs escaping in every field.

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgValueFormat, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteValueRef};
use sqlx::{ColumnIndex, Decode, Row};
use uuid::Uuid;

use super::model::{Priority, RecurrencePattern};
use super::row::TaskColumn;
use crate::json;

/// A listing page ready to send.
#[derive(Debug, Clone)]
pub struct RenderedPage {
    /// The JSON array of tasks.
    pub body: Bytes,
    /// How many tasks match the filters in all pages.
    pub total: i64,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
}

/// A JSON column's text, borrowed from the row.
pub struct JsonText<'r>(&'r [u8]);

impl<'r> Decode<'r, Postgres> for JsonText<'r> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let format = value.format();
        let bytes = value.as_bytes()?;
        match (format, bytes.split_first()) {
            // jsonb's binary form is a format version (1) and then the text
            (PgValueFormat::Binary, Some((1, text))) => Ok(Self(text)),
            (PgValueFormat::Binary, _) => Err("unsupported jsonb format version".into()),
            (PgValueFormat::Text, _) => Ok(Self(bytes)),
        }
    }
}

impl<'r> Decode<'r, Sqlite> for JsonText<'r> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <&[u8] as Decode<Sqlite>>::decode(value).map(Self)
    }
}

/// An integer column, read from PostgreSQL's fixed-width binary form directly: sqlx's own
/// decoding goes through a variable-width path with a `memcpy` call per value.
pub struct Int<T>(T);

macro_rules! int_column {
    ($ty:ty) => {
        impl<'r> Decode<'r, Postgres> for Int<$ty> {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                if value.format() == PgValueFormat::Binary {
                    let bytes = value.as_bytes()?;
                    let fixed = bytes
                        .try_into()
                        .map_err(|_| "integer of unexpected width")?;
                    Ok(Self(<$ty>::from_be_bytes(fixed)))
                } else {
                    <$ty as Decode<Postgres>>::decode(value).map(Self)
                }
            }
        }

        impl<'r> Decode<'r, Sqlite> for Int<$ty> {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                <$ty as Decode<Sqlite>>::decode(value).map(Self)
            }
        }
    };
}

int_column!(i64);
int_column!(i32);

/// A timestamp column, decoded no further than writing it needs.
pub enum Stamp {
    /// Microseconds after the Unix epoch (from PostgreSQL's binary form).
    UnixMicros(i64),
    /// Anything else, through chrono.
    Chrono(DateTime<Utc>),
}

/// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds after the Unix epoch.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl<'r> Decode<'r, Postgres> for Stamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.format() == PgValueFormat::Binary {
            let Int(since_2000) = <Int<i64> as Decode<Postgres>>::decode(value)?;
            let micros = since_2000
                .checked_add(POSTGRES_EPOCH_MICROS)
                .ok_or("timestamp out of range")?;
            Ok(Self::UnixMicros(micros))
        } else {
            <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Self::Chrono)
        }
    }
}

impl<'r> Decode<'r, Sqlite> for Stamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Sqlite>>::decode(value).map(Self::Chrono)
    }
}

/// Bytes reserved per task for a page's JSON.
const PAGE_BYTES_PER_TASK: usize = 896;

/// Writes `rows` (rows of `listed_task_columns!`, all of the user whose id is `owner`) as a
/// JSON array of tasks.
///
/// # Errors
/// A column that does not decode.
pub fn write_page<'r, R>(rows: &'r [R], owner: &str) -> Result<Vec<u8>, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database>,
    Int<i64>: Decode<'r, R::Database>,
    Int<i32>: Decode<'r, R::Database>,
    bool: Decode<'r, R::Database>,
    &'r str: Decode<'r, R::Database>,
    JsonText<'r>: Decode<'r, R::Database>,
    Stamp: Decode<'r, R::Database>,
{
    // A task is 400–700 bytes of JSON (more with a long description). Sizing the buffer once
    // for most pages matters: one regrowth copies the whole page, which cost 6 % of an uncached
    // list's instructions when tasks outgrew a smaller estimate (docs/benchmarks.md, session 12).
    let mut out = Vec::with_capacity(PAGE_BYTES_PER_TASK * rows.len() + 2);
    // Every row has the same owner (the listing filters on it): escape it once.
    let mut owner_json = Vec::with_capacity(owner.len() + 2);
    json::write_str(owner, &mut owner_json);
    let mut stamps = json::MicrosWriter::default();
    out.push(b'[');
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_task(row, &owner_json, &mut stamps, &mut out)?;
    }
    out.push(b']');
    Ok(out)
}

/// Writes one row as `Task`'s serde form: its fields in declaration order, `version` and
/// `recurrence_anchor_day` skipped. Columns are read at their [`TaskColumn`] positions.
// The bounds repeat `write_page`'s on purpose: a blanket-implemented trait carrying them once
// stopped the column reads being inlined here (+1.5–3 % instructions per page, measured).
fn write_task<'r, R>(
    row: &'r R,
    owner_json: &[u8],
    stamps: &mut json::MicrosWriter,
    out: &mut Vec<u8>,
) -> Result<(), sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database>,
    Int<i64>: Decode<'r, R::Database>,
    Int<i32>: Decode<'r, R::Database>,
    bool: Decode<'r, R::Database>,
    &'r str: Decode<'r, R::Database>,
    JsonText<'r>: Decode<'r, R::Database>,
    Stamp: Decode<'r, R::Database>,
{
    use TaskColumn as C;
    // Reading without sqlx's type check is safe for the reasons given in `super::row`.
    let mut uuid = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id: Uuid = row.try_get_unchecked(C::id)?;
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(id.as_hyphenated().encode_lower(&mut uuid).as_bytes());
    out.extend_from_slice(b"\",\"number\":");
    write_int(row.try_get_unchecked::<Int<i64>, _>(C::number)?.0, out);
    out.extend_from_slice(b",\"user_id\":");
    out.extend_from_slice(owner_json);
    out.extend_from_slice(b",\"project_id\":\"");
    let project: Uuid = row.try_get_unchecked(C::project_id)?;
    out.extend_from_slice(project.as_hyphenated().encode_lower(&mut uuid).as_bytes());
    out.extend_from_slice(b"\",\"parent_id\":");
    match row.try_get_unchecked::<Option<Uuid>, _>(C::parent_id)? {
        Some(parent) => {
            out.push(b'"');
            out.extend_from_slice(parent.as_hyphenated().encode_lower(&mut uuid).as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"position\":");
    write_int(row.try_get_unchecked::<Int<i64>, _>(C::position)?.0, out);
    for (column, key) in [
        (C::assignee_id, b",\"assignee_id\":".as_slice()),
        (C::created_by, b",\"created_by\":"),
    ] {
        out.extend_from_slice(key);
        match row.try_get_unchecked::<Option<&str>, _>(column)? {
            Some(user) => json::write_str(user, out),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.extend_from_slice(b",\"title\":");
    json::write_str(row.try_get_unchecked::<&str, _>(C::title)?, out);
    out.extend_from_slice(b",\"description\":");
    match row.try_get_unchecked::<Option<&str>, _>(C::description)? {
        Some(description) => json::write_str(description, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"completed\":");
    write_bool(row.try_get_unchecked(C::completed)?, out);
    out.extend_from_slice(b",\"priority\":\"");
    let Int(rank) = row.try_get_unchecked::<Int<i32>, _>(C::priority)?;
    let priority = Priority::from_rank(rank).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: C::priority.name().to_owned(),
        source: format!("unknown priority rank {rank}").into(),
    })?;
    out.extend_from_slice(priority.as_str().as_bytes());
    out.extend_from_slice(b"\",\"tags\":");
    let tags: JsonText<'r> = row.try_get_unchecked(C::tags)?;
    write_string_array(tags.0, out).map_err(|err| sqlx::Error::ColumnDecode {
        index: C::tags.name().to_owned(),
        source: err.into(),
    })?;
    out.extend_from_slice(b",\"due_date\":");
    write_stamp(row.try_get_unchecked(C::due_date)?, stamps, out)?;
    out.extend_from_slice(b",\"is_recurring\":");
    write_bool(row.try_get_unchecked(C::is_recurring)?, out);
    out.extend_from_slice(b",\"recurrence_pattern\":");
    match row.try_get_unchecked::<Option<&str>, _>(C::recurrence_pattern)? {
        Some(name) => {
            let pattern =
                name.parse::<RecurrencePattern>()
                    .map_err(|err| sqlx::Error::ColumnDecode {
                        index: C::recurrence_pattern.name().to_owned(),
                        source: err.into(),
                    })?;
            out.push(b'"');
            out.extend_from_slice(pattern.as_str().as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"recurrence_interval\":");
    let Int(interval) = row.try_get_unchecked::<Int<i32>, _>(C::recurrence_interval)?;
    write_int(interval, out);
    out.extend_from_slice(b",\"created_at\":");
    write_stamp(Some(row.try_get_unchecked(C::created_at)?), stamps, out)?;
    out.extend_from_slice(b",\"updated_at\":");
    write_stamp(Some(row.try_get_unchecked(C::updated_at)?), stamps, out)?;
    out.extend_from_slice(b",\"completed_at\":");
    write_stamp(row.try_get_unchecked(C::completed_at)?, stamps, out)?;
    out.push(b'}');
    Ok(())
}

fn write_int(value: impl itoa::Integer, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn write_bool(value: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

fn write_stamp(
    value: Option<Stamp>,
    stamps: &mut json::MicrosWriter,
    out: &mut Vec<u8>,
) -> Result<(), sqlx::Error> {
    match value {
        Some(Stamp::UnixMicros(micros)) => stamps.write(micros, out).ok_or_else(|| {
            sqlx::Error::Decode("timestamp outside the range chrono can represent".into())
        }),
        Some(Stamp::Chrono(t)) => {
            json::write_instant(&t, out);
            Ok(())
        }
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// Writes the stored JSON array of strings `text` as serde_json would write it.
///
/// Both stores already escape strings exactly as serde_json does (SQLite holds serde_json's own
/// output; PostgreSQL's jsonb output escapes the same characters the same way), so the strings
/// are copied as they are and only the whitespace between them (jsonb writes `", "`) is
/// dropped. Anything else is parsed and written again.
fn write_string_array(text: &[u8], out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let start = out.len();
    if copy_compact_string_array(text, out).is_none() {
        out.truncate(start);
        let tags: Vec<String> = serde_json::from_slice(text)?;
        serde_json::to_writer(&mut *out, &tags)?;
    }
    Ok(())
}

/// Copies `text` without insignificant whitespace when it is an array of strings that uses
/// only serde_json's escapes; `None` (leaving `out` partly written) otherwise.
fn copy_compact_string_array(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut at = skip_whitespace(text, 0);
    (text.get(at) == Some(&b'[')).then_some(())?;
    out.push(b'[');
    at = skip_whitespace(text, at + 1);
    if text.get(at) == Some(&b']') {
        out.push(b']');
        return (skip_whitespace(text, at + 1) == text.len()).then_some(());
    }
    loop {
        let end = string_end(text, at)?;
        out.extend_from_slice(&text[at..end]);
        at = skip_whitespace(text, end);
        match text.get(at)? {
            b',' => {
                out.push(b',');
                at = skip_whitespace(text, at + 1);
            }
            b']' => {
                out.push(b']');
                return (skip_whitespace(text, at + 1) == text.len()).then_some(());
            }
            _ => return None,
        }
    }
}

/// The position just after the JSON string starting at `start`, when it is valid UTF-8 with no
/// raw control characters and only the escapes serde_json writes. Outside strings only ASCII
/// tokens are accepted, so checking each string's UTF-8 checks the whole text's.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    (text.get(start) == Some(&b'"')).then_some(())?;
    let mut at = start + 1;
    let mut ascii = true;
    loop {
        match *text.get(at)? {
            b'"' => {
                // Most tags are ASCII: only the others pay for a UTF-8 check.
                if !ascii {
                    std::str::from_utf8(&text[start..at]).ok()?;
                }
                return Some(at + 1);
            }
            b'\\' => match *text.get(at + 1)? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                // serde_json writes `\u00XX` (lower-case hex) only for other control characters
                b'u' => {
                    let code = text.get(at + 2..at + 6)?;
                    let lower_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
                    let control = code.starts_with(b"00") && matches!(code[2], b'0' | b'1');
                    let plain = matches!(code, b"0008" | b"0009" | b"000a" | b"000c" | b"000d");
                    (control && !plain && code.iter().all(lower_hex)).then_some(())?;
                    at += 6;
                }
                _ => return None,
            },
            byte if byte < 0x20 => return None,
            byte => {
                ascii &= byte.is_ascii();
                at += 1;
            }
        }
    }
}

fn skip_whitespace(text: &[u8], mut at: usize) -> usize {
    while matches!(text.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::tasks::row::tests::sqlite_with_a_task;

    #[tokio::test]
    async fn a_page_is_what_serde_writes_for_its_tasks() {
        let (mut conn, task) = sqlite_with_a_task().await;
        let rows = sqlx::query(concat!(
            "select ",
            crate::listed_task_columns!(),
            " from task"
        ))
        .fetch_all(&mut conn)
        .await
        .expect("select the task");
        let page = write_page(&rows, &task.user_id).expect("writes");
        assert_eq!(
            String::from_utf8(page).expect("UTF-8"),
            serde_json::to_string(&[&task]).expect("serialises")
        );
    }

    fn compact(text: &str) -> String {
        let mut out = Vec::new();
        write_string_array(text.as_bytes(), &mut out).expect("an array of strings");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn jsonb_spacing_is_dropped_and_strings_are_kept() {
        assert_eq!(compact("[]"), "[]");
        assert_eq!(compact(" [ ] "), "[]");
        assert_eq!(
            compact(r#"["a", "b c", "\"q\\"]"#),
            r#"["a","b c","\"q\\"]"#
        );
        assert_eq!(compact(r#"["\u001f\n"]"#), r#"["\u001f\n"]"#);
    }

    #[test]
    fn escapes_serde_json_would_not_write_are_rewritten() {
        assert_eq!(compact(r#"["\u00e9", "\/"]"#), r#"["é","/"]"#);
        assert_eq!(compact(r#"["\u000a"]"#), r#"["\n"]"#);
        assert_eq!(compact(r#"["\u001F"]"#), r#"["\u001f"]"#);
    }

    #[test]
    fn anything_but_an_array_of_strings_is_an_error() {
        for text in [
            "",
            "[",
            r#"["a""#,
            r#"["a",]"#,
            "[1]",
            r#"{"a":1}"#,
            "[] x",
            "[\"\u{1}\"]",
        ] {
            let mut out = Vec::new();
            assert!(
                write_string_array(text.as_bytes(), &mut out).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn non_ascii_tags_are_copied_when_they_are_utf8() {
        assert_eq!(
            compact(r#"["café", "日本", "a"]"#),
            r#"["café","日本","a"]"#
        );
        for text in [
            &b"[\"\xff\"]"[..],
            b"[\"caf\xc3\"]",
            b"[\"ok\", \"\xe9t\xe9\"]",
        ] {
            let mut out = Vec::new();
            assert!(
                write_string_array(text, &mut out).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    proptest! {
        // PostgreSQL's jsonb output has a space after each comma; SQLite holds serde_json's own.
        #[test]
        fn matches_serde_json(tags in proptest::collection::vec("(?s).{0,12}", 0..5)) {
            let expected = serde_json::to_string(&tags).expect("serialises");
            let spaced = tags
                .iter()
                .map(|tag| serde_json::to_string(tag).expect("serialises"))
                .collect::<Vec<_>>()
                .join(", ");
            prop_assert_eq!(compact(&format!("[{spaced}]")), expected.clone());
            prop_assert_eq!(compact(&expected), expected);
        }
    }
}
