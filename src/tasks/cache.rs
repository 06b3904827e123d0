//! Listing pages kept in memory as the JSON sent, per user and resolved filter, and served again
//! only while the user's `list_version` (bumped in every transaction that writes their tasks)
//! is the one the page was read at. Checking costs one primary-key read instead of the page
//! query, and because the version lives in the database, every replica sees every write.

use std::time::Duration;

use axum::body::Bytes;

use super::listing::TaskFilter;
use super::service;
use crate::db::Db;
use crate::error::{ApiError, Result};

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

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageKey {
    user_id: Box<str>,
    filter: Box<str>,
}

#[derive(Debug, Clone)]
struct CachedPage {
    version: i64,
    page: RenderedPage,
}

/// The cache of rendered pages; disabled when built with a budget of 0 bytes.
#[derive(Clone)]
pub struct ListCache {
    pages: Option<moka::sync::Cache<PageKey, CachedPage>>,
}

/// Pages are also dropped after this long, so that even a user row recreated under the same id
/// (its version starting again at 0) cannot meet a page of its predecessor for long.
const TIME_TO_LIVE: Duration = Duration::from_mins(10);

impl ListCache {
    /// A cache holding at most `max_bytes` of pages (0 disables it).
    #[must_use]
    pub fn new(max_bytes: u64) -> Self {
        let pages = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &PageKey, cached: &CachedPage| {
                    let bytes = key.user_id.len()
                        + key.filter.len()
                        + cached.page.body.len()
                        + cached.page.next_cursor.as_ref().map_or(0, String::len)
                        + 128;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build()
        });
        Self { pages }
    }

    /// The page of `user_id`'s tasks matching `filter`, from memory when their tasks have not
    /// changed since it was read.
    ///
    /// # Errors
    /// Database failure.
    pub async fn page(&self, db: &Db, user_id: &str, filter: &TaskFilter) -> Result<RenderedPage> {
        let Some(pages) = self.pages.as_ref().filter(|_| cacheable(filter)) else {
            return render(service::list(db, user_id, filter).await?);
        };
        // Read before the page: a page read afterwards is at least as new as this version, so
        // filing it under this version can never make an older page look current.
        let Some(version) = service::list_version(db, user_id).await? else {
            return render(service::list(db, user_id, filter).await?);
        };
        let key = PageKey {
            user_id: user_id.into(),
            filter: format!("{filter:?}").into(),
        };
        if let Some(cached) = pages.get(&key)
            && cached.version == version
        {
            return Ok(cached.page);
        }
        let page = render(service::list(db, user_id, filter).await?)?;
        pages.insert(
            key,
            CachedPage {
                version,
                page: page.clone(),
            },
        );
        Ok(page)
    }
}

/// Whether a page depends only on the user's tasks and the query: `overdue` compares due dates
/// with the current time, so its answer changes without any write.
fn cacheable(filter: &TaskFilter) -> bool {
    !filter.overdue
}

fn render(page: super::model::TaskPage) -> Result<RenderedPage> {
    // A task is 300–600 bytes of JSON; sizing the buffer once avoids repeated regrowth.
    let body = crate::json::to_vec(&page.tasks, 512 * page.tasks.len() + 2)
        .map_err(|err| ApiError::Internal(err.into()))?;
    Ok(RenderedPage {
        body: Bytes::from(body),
        total: page.total,
        next_cursor: page.next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::tasks::model::{Priority, RecurrencePattern, Task, TaskPage};

    /// A page is rendered exactly as `serde_json` (what every other response uses) writes it.
    #[test]
    fn rendered_page_is_serde_json_byte_for_byte() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 22, 9, 30, 0)
            .single()
            .expect("valid");
        let task = |number: i64, title: &str, description: Option<&str>| Task {
            id: Uuid::now_v7(),
            number,
            user_id: "user-1".to_owned(),
            title: title.to_owned(),
            description: description.map(str::to_owned),
            completed: number % 2 == 0,
            priority: Priority::High,
            tags: vec![
                "home".to_owned(),
                "q\"uote\\d".to_owned(),
                "émoji 🎉".to_owned(),
            ],
            due_date: (number == 1).then_some(at + chrono::Duration::nanoseconds(1_500)),
            is_recurring: number == 1,
            recurrence_pattern: (number == 1).then_some(RecurrencePattern::Weekly),
            recurrence_interval: 2,
            created_at: at,
            updated_at: at + chrono::Duration::milliseconds(7),
            completed_at: None,
            version: 3,
            recurrence_anchor_day: None,
        };
        let tasks = vec![
            task(
                1,
                "Call mom\n\t\u{1}",
                Some("line one\r\nline \"two\" </script>"),
            ),
            task(2, "x".repeat(200).as_str(), None),
        ];
        let expected = serde_json::to_vec(&tasks).expect("serialises");
        let page = render(TaskPage {
            tasks,
            total: 2,
            next_cursor: None,
        })
        .expect("renders");
        assert_eq!(
            String::from_utf8_lossy(&page.body),
            String::from_utf8_lossy(&expected)
        );
    }
}
