//! What a list request may ask, typed once for every door: REST reads it from the query string,
//! MCP's `list_tasks` takes it as its arguments and the chat agent builds it. The core checks it
//! once, in [`super::listing::check`], into the filter a listing runs.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;

use super::listing::{SortKey, SortOrder};
use super::model::{Priority, StatusFilter};
use crate::error::FieldError;

/// A list request: every filter is optional and they combine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTasks {
    /// all (default), pending (not done) or completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
    /// Only tasks of this priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Only tasks carrying every one of these tags (in a URL: `tag`, repeated).
    #[serde(
        default,
        alias = "tag",
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[param(rename = "tag")]
    pub tags: Vec<String>,
    /// Text searched, case-insensitively, in titles and descriptions.
    #[serde(default, alias = "search", skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only tasks due at or before this instant or date (a date: by the end of that day, in the
    /// user's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_before: Option<String>,
    /// Only tasks due at or after this instant or date (a date: from the start of that day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_after: Option<String>,
    /// true: only pending tasks past their due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// Only tasks of this project (list) of the user's; an id that is not one of the user's
    /// projects matches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    /// Only the subtasks of this task (a UUID), or `none`: only top-level tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<String>)]
    #[schemars(with = "Option<String>")]
    pub parent_id: Option<ParentFilter>,
    /// Sort key; default created_at. Tasks without a due date always come last.
    #[serde(default, alias = "sort_by", skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortKey>,
    /// Sort direction; default desc (priority desc = HIGH first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
    /// Page size, 1–1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (REST: from `Link: <…>; rel="next"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl ListTasks {
    /// Reads a URL query string: `tag` may repeat, other keys keep their last value, values are
    /// read case-insensitively. A value that cannot be read is left out and reported, so that the
    /// check can name it together with every other bad parameter.
    #[must_use]
    pub fn from_query_string(raw: &str) -> (Self, Vec<FieldError>) {
        let mut list = Self::default();
        let mut unreadable = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let mut read = |field: &str, parsed: Result<(), &str>| {
                // The last value counts, readable or not.
                unreadable.retain(|e: &FieldError| e.field != field);
                if let Err(message) = parsed {
                    unreadable.push(FieldError::new(field, message));
                }
            };
            match key.as_ref() {
                "status" => read("status", value.parse().map(|v| list.status = Some(v))),
                "priority" => read("priority", value.parse().map(|v| list.priority = Some(v))),
                "tag" | "tags" => list.tags.push(value.into_owned()),
                "q" | "search" => list.q = Some(value.into_owned()),
                "due_before" => list.due_before = Some(value.into_owned()),
                "due_after" => list.due_after = Some(value.into_owned()),
                "overdue" => read("overdue", flag(&value).map(|v| list.overdue = Some(v))),
                "sort" | "sort_by" => read("sort", value.parse().map(|v| list.sort = Some(v))),
                "order" => read("order", value.parse().map(|v| list.order = Some(v))),
                "limit" => read(
                    "limit",
                    value
                        .trim()
                        .parse()
                        .map(|v| list.limit = Some(v))
                        .map_err(|_| super::listing::LIMIT_RULE),
                ),
                "cursor" => list.cursor = Some(value.into_owned()),
                "project_id" => read(
                    "project_id",
                    value
                        .trim()
                        .parse()
                        .map(|v| list.project_id = Some(v))
                        .map_err(|_| "must be a UUID"),
                ),
                "parent_id" => read("parent_id", value.parse().map(|v| list.parent_id = Some(v))),
                _ => {}
            }
        }
        (list, unreadable)
    }
}

/// Which level of the task tree a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentFilter {
    /// Top-level tasks only (`none`).
    TopLevel,
    /// The direct subtasks of this task.
    Of(Uuid),
}

impl std::str::FromStr for ParentFilter {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("null") {
            return Ok(Self::TopLevel);
        }
        s.parse()
            .map(Self::Of)
            .map_err(|_| "must be a task's UUID, or none for top-level tasks")
    }
}

impl Serialize for ParentFilter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::TopLevel => serializer.serialize_str("none"),
            Self::Of(id) => id.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ParentFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// Models often send `null` for an argument they do not use: no tags, then.
fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Option::<Vec<String>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A boolean as people write it in a URL.
fn flag(raw: &str) -> Result<bool, &'static str> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("must be true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_read_into_the_typed_request() {
        let (list, unreadable) = ListTasks::from_query_string(
            "status=PENDING&tag=a&tags=b&sort_by=Due_Date&order=asc&overdue=yes&limit=5&search=x",
        );
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(
            list,
            ListTasks {
                status: Some(StatusFilter::Pending),
                tags: vec!["a".into(), "b".into()],
                q: Some("x".into()),
                overdue: Some(true),
                sort: Some(SortKey::DueDate),
                order: Some(SortOrder::Asc),
                limit: Some(5),
                ..ListTasks::default()
            }
        );
    }

    #[test]
    fn unreadable_values_are_each_reported_once() {
        let (list, unreadable) = ListTasks::from_query_string("status=x&status=y&limit=1.5&sort=");
        let fields: Vec<_> = unreadable.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "limit", "sort"]);
        assert_eq!(list, ListTasks::default());
    }

    #[test]
    fn project_id_reads_from_a_url_and_is_a_uuid_in_the_tool_schema() {
        let id = uuid::Uuid::now_v7();
        let (list, unreadable) = ListTasks::from_query_string(&format!("project_id={id}"));
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(list.project_id, Some(id));
        let (_, unreadable) = ListTasks::from_query_string("project_id=inbox");
        assert_eq!(unreadable[0].field, "project_id");
        let schema = serde_json::to_value(schemars::schema_for!(ListTasks)).expect("a schema");
        assert_eq!(
            schema["properties"]["project_id"]["format"], "uuid",
            "{schema}"
        );
    }

    #[test]
    fn the_typed_request_serialises_only_what_it_asks() {
        let list = ListTasks {
            status: Some(StatusFilter::Completed),
            limit: Some(3),
            ..ListTasks::default()
        };
        let value = serde_json::to_value(&list).expect("serialisable");
        assert_eq!(
            value,
            serde_json::json!({ "status": "completed", "limit": 3 })
        );
        let back: ListTasks = serde_json::from_value(value).expect("readable");
        assert_eq!(back, list);
        let nulls = serde_json::json!({ "tags": null, "status": null, "limit": null });
        let read: ListTasks = serde_json::from_value(nulls).expect("nulls are absent values");
        assert_eq!(read, ListTasks::default());
    }
}
