//! Listing: the query a client sends, checked into a [`TaskFilter`], and the one SQL statement
//! (plus its count) that answers it on either backend, with opaque keyset cursors.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dates::{self, DueDate};
use super::model::{Priority, StatusFilter, Task};
use super::query::{ListTasks, ParentFilter};
use super::row::TaskColumn;
use super::rules::{MAX_TAG_CHARS, MAX_TITLE};
use super::search;
use crate::auth::credential::Standing;
use crate::db::Dialect;
use crate::error::{ApiError, FieldError};
use crate::{listed_task_columns, paging};

/// Page size when the client gives none.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 1000;
/// What a page size must be.
pub const LIMIT_RULE: &str = "must be an integer between 1 and 1000";
/// Longest search text: a search longer than any title could match nothing more.
pub const MAX_SEARCH: usize = MAX_TITLE;

/// Column a list is ordered by; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Due date; tasks without one always come last.
    DueDate,
    /// Importance (`desc` = HIGH first).
    Priority,
    /// Title, in the database's collation.
    Title,
    /// Task number.
    Number,
    /// Manual order among siblings (with `parent_id`, the order a person arranged).
    Position,
}

impl std::str::FromStr for SortKey {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s.trim()))
            .map(|(_, key)| *key)
            .ok_or(
                "must be one of created_at, updated_at, due_date, priority, title, number, \
                 position",
            )
    }
}

impl SortKey {
    const ALL: [(&'static str, Self); 7] = [
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("due_date", Self::DueDate),
        ("priority", Self::Priority),
        ("title", Self::Title),
        ("number", Self::Number),
        ("position", Self::Position),
    ];

    fn column(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::DueDate => "due_date",
            Self::Priority => "priority",
            Self::Title => "title",
            Self::Number => "number",
            Self::Position => "position",
        }
    }
}

/// Direction of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Smallest, oldest or least important first.
    Asc,
    /// Largest, newest or most important first (default).
    Desc,
}

impl std::str::FromStr for SortOrder {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err("must be asc or desc"),
        }
    }
}

/// A checked list request: filters, order, page size and position.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFilter {
    /// Completion filter.
    pub status: StatusFilter,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Every one of these tags must be present.
    pub tags: Vec<String>,
    /// Case-insensitive text in title or description.
    pub search: Option<String>,
    /// Due at or before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Due at or after this instant.
    pub due_after: Option<DateTime<Utc>>,
    /// Only pending tasks past their due date.
    pub overdue: bool,
    /// Only tasks of this project (another user's matches nothing).
    pub project_id: Option<Uuid>,
    /// Only top-level tasks, or only the subtasks of one task.
    pub parent: Option<ParentFilter>,
    /// Order column.
    pub sort: SortKey,
    /// Order direction.
    pub order: SortOrder,
    /// Page size.
    pub limit: i64,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
}

impl Default for TaskFilter {
    fn default() -> Self {
        Self {
            status: StatusFilter::All,
            priority: None,
            tags: Vec::new(),
            search: None,
            due_before: None,
            due_after: None,
            overdue: false,
            project_id: None,
            parent: None,
            sort: SortKey::CreatedAt,
            order: SortOrder::Desc,
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl TaskFilter {
    /// The `app_user` expression holding this filter's total, when only `status` filters (the
    /// counters are kept in every task-writing transaction), so the total costs one row read
    /// instead of a count over all the user's tasks.
    fn counted_total(&self) -> Option<&'static str> {
        let only_status = self.priority.is_none()
            && self.tags.is_empty()
            && self.search.is_none()
            && self.due_before.is_none()
            && self.due_after.is_none()
            && !self.overdue
            && self.project_id.is_none()
            && self.parent.is_none();
        only_status.then_some(match self.status {
            StatusFilter::All => "task_count",
            StatusFilter::Pending => "task_count - completed_count",
            StatusFilter::Completed => "completed_count",
        })
    }
}

/// The sort value of the last task of a page, and its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    sort: SortKey,
    #[serde(rename = "o")]
    order: SortOrder,
    /// The sort value, read back according to `sort` (a title may look like a date).
    #[serde(rename = "v")]
    value: serde_json::Value,
    #[serde(rename = "i")]
    id: Uuid,
}

impl Cursor {
    /// The cursor pointing after `task` in this filter's order.
    #[must_use]
    pub fn after(task: &Task, filter: &TaskFilter) -> Self {
        use serde_json::json;
        let value = match filter.sort {
            SortKey::CreatedAt => json!(task.created_at),
            SortKey::UpdatedAt => json!(task.updated_at),
            SortKey::DueDate => json!(task.due_date),
            SortKey::Priority => json!(task.priority.rank()),
            SortKey::Title => json!(task.title),
            SortKey::Number => json!(task.number),
            SortKey::Position => json!(task.position),
        };
        Self {
            sort: filter.sort,
            order: filter.order,
            value,
            id: task.id,
        }
    }

    /// The opaque form sent to clients.
    #[must_use]
    pub fn encode(&self) -> String {
        paging::encode_cursor(self)
    }

    fn decode(raw: &str) -> Option<Self> {
        let cursor: Self = paging::decode_cursor(raw)?;
        cursor.bound().map(|_| cursor)
    }

    /// The sort value as a bind argument: `None` when malformed, `Some(None)` for a null due date.
    fn bound(&self) -> Option<Option<Arg>> {
        use serde_json::Value;
        let time = |v: &Value| v.as_str()?.parse::<DateTime<Utc>>().ok().map(Arg::Time);
        match (self.sort, &self.value) {
            (SortKey::DueDate, Value::Null) => Some(None),
            (SortKey::CreatedAt | SortKey::UpdatedAt | SortKey::DueDate, v) => time(v).map(Some),
            (SortKey::Priority | SortKey::Number | SortKey::Position, v) => {
                v.as_i64().map(|n| Some(Arg::Int(n)))
            }
            (SortKey::Title, v) => v.as_str().map(|t| Some(Arg::Text(t.to_owned()))),
        }
    }
}

/// Checks a list request once, for every door, into the filter a listing runs; naive dates are
/// read in `tz`. `unreadable` holds what a door could not read into `list` (REST's query
/// string), reported together with every other bad parameter.
///
/// # Errors
/// 422 listing every bad parameter.
pub fn check(
    list: &ListTasks,
    tz: Tz,
    unreadable: Vec<FieldError>,
) -> Result<TaskFilter, ApiError> {
    let mut errors = unreadable;
    let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
    let mut filter = TaskFilter {
        status: list.status.unwrap_or_default(),
        priority: list.priority,
        overdue: list.overdue.unwrap_or(false),
        project_id: list.project_id,
        parent: list.parent_id,
        sort: list.sort.unwrap_or(SortKey::CreatedAt),
        order: list.order.unwrap_or(SortOrder::Desc),
        ..TaskFilter::default()
    };
    for tag in &list.tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS {
            bad("tag", &format!("must be 1–{MAX_TAG_CHARS} characters"));
        } else if !filter.tags.contains(&tag) {
            filter.tags.push(tag);
        }
    }
    filter.search = list
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    if filter
        .search
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH)
    {
        bad("q", &format!("must be at most {MAX_SEARCH} characters"));
    }
    let bound = |raw: &str, end_of_day: bool| -> Option<DateTime<Utc>> {
        match dates::parse_due(raw)? {
            DueDate::Instant(instant) => Some(instant),
            DueDate::Local(naive) if raw.trim().len() > 10 => Some(dates::resolve_local(tz, naive)),
            // A bare date bounds the whole day: from its start (after) to its last microsecond,
            // the precision both databases store (before; 23:59:59 would miss 23:59:59.5).
            // Where the clock goes back at midnight that time occurs twice: the later one ends
            // the day.
            DueDate::Local(naive) if end_of_day => {
                let end = naive
                    .date()
                    .and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)?);
                Some(
                    tz.from_local_datetime(&end)
                        .latest()
                        .map_or_else(|| dates::resolve_local(tz, end), |t| t.with_timezone(&Utc)),
                )
            }
            DueDate::Local(naive) => Some(dates::resolve_local(
                tz,
                naive.date().and_time(NaiveTime::MIN),
            )),
        }
    };
    if let Some(raw) = list.due_before.as_deref() {
        filter.due_before = bound(raw, true);
        if filter.due_before.is_none() {
            bad(
                "due_before",
                "must be an RFC 3339 date-time or a date (YYYY-MM-DD)",
            );
        }
    }
    if let Some(raw) = list.due_after.as_deref() {
        filter.due_after = bound(raw, false);
        if filter.due_after.is_none() {
            bad(
                "due_after",
                "must be an RFC 3339 date-time or a date (YYYY-MM-DD)",
            );
        }
    }
    if let Some(limit) = list.limit {
        if (1..=MAX_LIMIT).contains(&limit) {
            filter.limit = limit;
        } else {
            bad("limit", LIMIT_RULE);
        }
    }
    if let Some(raw) = list.cursor.as_deref() {
        match Cursor::decode(raw) {
            Some(cursor) if cursor.sort == filter.sort && cursor.order == filter.order => {
                filter.after = Some(cursor);
            }
            Some(_) => bad("cursor", "was issued for another sort or order"),
            None => bad("cursor", "is not a cursor issued by this server"),
        }
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Text.
    Text(String),
    /// 64-bit integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// Instant.
    Time(DateTime<Utc>),
    /// UUID.
    Uuid(Uuid),
}

/// SQL text with `$n` placeholders (both backends accept them) and the values they bind.
#[derive(Debug, Default, Clone)]
pub struct Statement {
    /// The SQL.
    pub sql: String,
    /// Values for `$1`, `$2`, ….
    pub args: Vec<Arg>,
}

impl Statement {
    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }
}

/// Binds every [`Arg`] of a statement to an sqlx query, whichever backend it targets.
#[macro_export]
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        // By reference: a statement may run a second time (see `with_connection!`).
        for arg in $args.iter() {
            query = match arg {
                $crate::tasks::listing::Arg::Text(v) => query.bind(v.as_str()),
                $crate::tasks::listing::Arg::Int(v) => query.bind(*v),
                $crate::tasks::listing::Arg::Bool(v) => query.bind(*v),
                $crate::tasks::listing::Arg::Time(v) => query.bind(*v),
                $crate::tasks::listing::Arg::Uuid(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// Position of `total_count` in a row of the page query: right after the
/// [`listed_task_columns!`].
pub const TOTAL_COLUMN: usize = TaskColumn::LISTED;
/// Where a [`Whose::VisibleTo`] page row says whose task it is (the project's owner's id).
pub const OWNER_COLUMN: usize = TOTAL_COLUMN + 1;

/// Whose tasks a listing statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose<'a> {
    /// This user's own tasks (with a project filter: a project of theirs, or of an owner whose
    /// project the caller was already let into).
    Own(&'a str),
    /// The tasks of the filter's project if this user owns it or is one of its members, else
    /// none: the statement itself checks, so authorising a page costs no round trip of its
    /// own. Rows carry their owner's id in [`OWNER_COLUMN`]. Without a project filter, the
    /// user's own tasks.
    VisibleTo(&'a str),
}

impl Whose<'_> {
    /// Whether the statement finds the tasks' owner itself, and its rows name them in
    /// [`OWNER_COLUMN`].
    #[must_use]
    pub const fn finds_owner(self, filter: &TaskFilter) -> bool {
        matches!(self, Self::VisibleTo(_)) && filter.project_id.is_some()
    }
}

/// The page query ([`listed_task_columns!`] of one row more than the limit, to know whether
/// another page follows, and the count of every matching task as a trailing column) and the
/// count alone, for an empty page.
#[must_use]
pub fn statements(
    filter: &TaskFilter,
    whose: Whose<'_>,
    standing: Option<Standing<'_>>,
    dialect: Dialect,
    now: DateTime<Utc>,
) -> (Statement, Statement) {
    let mut conditions = Statement::default();
    match (whose, filter.project_id) {
        (Whose::VisibleTo(user_id), Some(project_id)) => {
            // `$1` stays the caller, as the standing check below expects. Uncorrelated, so
            // evaluated once: its owner id then serves the owner index like a bound value.
            conditions
                .push(" from task where user_id = (select p.owner_id from project p where (p.owner_id = ")
                .bind(Arg::Text(user_id.to_owned()))
                .push(
                    " or exists (select 1 from project_member m \
                     where m.project_id = p.id and m.user_id = $1)) and p.id = ",
                )
                .bind(Arg::Uuid(project_id))
                .push(")");
        }
        (Whose::Own(user_id) | Whose::VisibleTo(user_id), _) => {
            conditions
                .push(" from task where user_id = ")
                .bind(Arg::Text(user_id.to_owned()));
        }
    }
    // Uncorrelated, so the database evaluates it once per statement: a revoked token's page is
    // empty, and the caller then asks why.
    if let Some(standing) = standing {
        conditions.push(" and ").push(standing.condition());
        conditions.bind(match standing {
            Standing::Session(id) => Arg::Text(id.to_owned()),
            Standing::IssuedAt(at) => Arg::Int(at),
        });
        conditions.push(")");
    }
    match filter.status {
        StatusFilter::All => {}
        StatusFilter::Pending => {
            conditions.push(" and completed = ").bind(Arg::Bool(false));
        }
        StatusFilter::Completed => {
            conditions.push(" and completed = ").bind(Arg::Bool(true));
        }
    }
    // Tasks are their owner's (`user_id` above), so another owner's project matches nothing.
    if let Some(project_id) = filter.project_id {
        conditions
            .push(" and project_id = ")
            .bind(Arg::Uuid(project_id));
    }
    match filter.parent {
        None => {}
        Some(ParentFilter::TopLevel) => {
            conditions.push(" and parent_id is null");
        }
        Some(ParentFilter::Of(parent)) => {
            conditions.push(" and parent_id = ").bind(Arg::Uuid(parent));
        }
    }
    if let Some(priority) = filter.priority {
        conditions
            .push(" and priority = ")
            .bind(Arg::Int(i64::from(priority.rank())));
    }
    for tag in &filter.tags {
        match dialect {
            Dialect::Postgres => {
                let element = serde_json::to_string(&[tag]).unwrap_or_default();
                conditions
                    .push(" and tags @> ")
                    .bind(Arg::Text(element))
                    .push("::jsonb");
            }
            Dialect::Sqlite => {
                conditions
                    .push(" and exists (select 1 from json_each(task.tags) where value = ")
                    .bind(Arg::Text(tag.clone()))
                    .push(")");
            }
        }
    }
    if let Some(text) = &filter.search {
        let (pattern, matches, escape) = match dialect {
            Dialect::Postgres => (search::like_pattern(text), "ilike", " escape '\\'"),
            Dialect::Sqlite => (search::caseless_glob_pattern(text), "glob", ""),
        };
        conditions
            .push(&format!(" and (title {matches} "))
            .bind(Arg::Text(pattern.clone()))
            .push(&format!("{escape} or description {matches} "))
            .bind(Arg::Text(pattern))
            .push(&format!("{escape})"));
    }
    if let Some(before) = filter.due_before {
        conditions.push(" and due_date <= ").bind(Arg::Time(before));
    }
    if let Some(after) = filter.due_after {
        conditions.push(" and due_date >= ").bind(Arg::Time(after));
    }
    if filter.overdue {
        conditions.push(" and completed = ").bind(Arg::Bool(false));
        conditions.push(" and due_date < ").bind(Arg::Time(now));
    }

    let mut count = Statement {
        sql: "select count(*)".to_owned(),
        args: Vec::new(),
    };
    count.sql.push_str(&conditions.sql);
    count.args.clone_from(&conditions.args);

    // The total rides along as a trailing column computed once per query (an uncorrelated
    // subquery reusing the same `$n`), saving a round trip on every page.
    let total = match filter.counted_total() {
        Some(counter) => format!("(select {counter} from app_user where id = $1)"),
        None => format!("(select count(*){})", conditions.sql),
    };
    let owner = if whose.finds_owner(filter) {
        ", user_id"
    } else {
        ""
    };
    let mut page = Statement {
        sql: format!(
            "select {}, {total} as total_count{owner}",
            listed_task_columns!()
        ),
        args: Vec::new(),
    };
    page.sql.push_str(&conditions.sql);
    page.args = conditions.args;
    if let Some(cursor) = &filter.after {
        keyset(&mut page, cursor);
    }
    let direction = match filter.order {
        SortOrder::Asc => "asc",
        SortOrder::Desc => "desc",
    };
    let column = filter.sort.column();
    // Numbers are unique per user, so they need no tie-breaker (and the unique index serves).
    let order_by = match filter.sort {
        SortKey::DueDate => format!("{column} {direction} nulls last, id {direction}"),
        SortKey::Number => format!("{column} {direction}"),
        _ => format!("{column} {direction}, id {direction}"),
    };
    page.push(&format!(" order by {order_by} limit "));
    page.bind(Arg::Int(filter.limit + 1));
    (page, count)
}

/// Restricts `page` to rows strictly after the cursor in its order. Tasks created or deleted
/// between pages cannot shift it: the position is a value, not an offset.
fn keyset(page: &mut Statement, cursor: &Cursor) {
    let (beyond, column) = (
        match cursor.order {
            SortOrder::Asc => ">",
            SortOrder::Desc => "<",
        },
        cursor.sort.column(),
    );
    let id = Arg::Uuid(cursor.id);
    let Some(Some(value)) = cursor.bound() else {
        // Past the last dated task: only undated ones remain, ordered by id.
        page.push(&format!(" and {column} is null and id {beyond} "))
            .bind(id);
        return;
    };
    page.push(&format!(" and ({column} {beyond} "))
        .bind(value.clone());
    page.push(&format!(" or ({column} = ")).bind(value);
    page.push(&format!(" and id {beyond} ")).bind(id).push(")");
    if cursor.sort == SortKey::DueDate {
        page.push(&format!(" or {column} is null"));
    }
    page.push(")");
}

#[cfg(test)]
mod tests {
    use sqlx::{Column, Row};

    use super::*;
    use crate::tasks::row::tests::sqlite_with_a_task;

    /// The rows of the page statement for `filter` and `whose`, run on SQLite.
    async fn page_rows(
        conn: &mut sqlx::SqliteConnection,
        filter: &TaskFilter,
        whose: Whose<'_>,
    ) -> Vec<sqlx::sqlite::SqliteRow> {
        let (page, _) = statements(filter, whose, None, Dialect::Sqlite, Utc::now());
        let query = sqlx::query(sqlx::AssertSqlSafe(page.sql.as_str()));
        crate::bind_args!(query, page.args)
            .fetch_all(conn)
            .await
            .expect("list")
    }

    #[tokio::test]
    async fn the_total_is_read_where_the_page_query_puts_it() {
        let (mut conn, task) = sqlite_with_a_task().await;
        let filter = TaskFilter::default();
        let rows = page_rows(&mut conn, &filter, Whose::Own(&task.user_id)).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].column(TOTAL_COLUMN).name(), "total_count");
        assert_eq!(rows[0].try_get::<i64, _>(TOTAL_COLUMN).expect("a count"), 1);
        let read = Task::from_listed_row(&rows[0], task.user_id.clone()).expect("decodes");
        assert_eq!(format!("{read:?}"), format!("{task:?}"));
    }

    #[tokio::test]
    async fn a_page_visible_to_a_user_checks_their_access_in_its_own_statement() {
        let (mut conn, task) = sqlite_with_a_task().await;
        // `assignee-1` is made a member; `creator-1` stays a stranger to the project.
        sqlx::query(
            "insert into project_member (project_id, user_id, role, created_at)
             values ($1, 'assignee-1', 'viewer', $2)",
        )
        .bind(task.project_id)
        .bind(task.created_at)
        .execute(&mut conn)
        .await
        .expect("share");
        let filter = TaskFilter {
            project_id: Some(task.project_id),
            ..TaskFilter::default()
        };
        for (user, sees) in [
            ("owner-1", true),
            ("assignee-1", true),
            ("creator-1", false),
        ] {
            let rows = page_rows(&mut conn, &filter, Whose::VisibleTo(user)).await;
            assert_eq!(rows.len(), usize::from(sees), "{user}");
            if let Some(row) = rows.first() {
                let owner: &str = row.try_get(OWNER_COLUMN).expect("an owner");
                assert_eq!(owner, task.user_id, "{user}");
            }
        }
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = Cursor {
            sort: SortKey::DueDate,
            order: SortOrder::Asc,
            value: serde_json::Value::Null,
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
    }

    #[test]
    fn bare_dates_bound_the_whole_local_day() {
        let query = ListTasks {
            due_after: Some("2026-03-10".into()),
            due_before: Some("2026-03-10".into()),
            ..ListTasks::default()
        };
        let filter = check(&query, chrono_tz::Asia::Tokyo, Vec::new()).expect("valid dates");
        let utc = |s: &str| s.parse::<DateTime<Utc>>().expect("RFC 3339");
        assert_eq!(filter.due_after, Some(utc("2026-03-09T15:00:00Z")));
        assert_eq!(filter.due_before, Some(utc("2026-03-10T14:59:59.999999Z")));
        // Chile leaves summer time at midnight: 23:00–24:00 on 4 April 2026 happens twice.
        let query = ListTasks {
            due_after: Some("2026-04-04".into()),
            due_before: Some("2026-04-04".into()),
            ..ListTasks::default()
        };
        let filter = check(&query, chrono_tz::America::Santiago, Vec::new()).expect("valid dates");
        assert_eq!(filter.due_after, Some(utc("2026-04-04T03:00:00Z")));
        assert_eq!(filter.due_before, Some(utc("2026-04-05T03:59:59.999999Z")));
    }

    #[test]
    fn bad_tags_and_big_limits_are_reported_with_what_the_door_could_not_read() {
        let query = ListTasks {
            priority: Some(Priority::High),
            limit: Some(1001),
            tags: vec![" ".into()],
            ..ListTasks::default()
        };
        let unreadable = vec![FieldError::new("sort", "must be …")];
        let Err(ApiError::Validation(errors)) = check(&query, chrono_tz::UTC, unreadable) else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sort", "tag", "limit"]);
    }
}
