//! Listing pages kept in memory as the JSON sent, per user and resolved filter, and served again
//! only while the user's `list_version` (bumped in every transaction that writes their tasks)
//! is the one the page was read at. Checking costs one primary-key read instead of the page
//! query, and because the version lives in the database, every replica sees every write.

use std::time::Duration;

use super::listing::TaskFilter;
use super::page_json::RenderedPage;
use super::service;
use crate::db::Db;
use crate::error::Result;

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

    /// Whether a page for `filter` would be served from (or kept in) memory.
    #[must_use]
    pub fn serves(&self, filter: &TaskFilter) -> bool {
        self.pages.is_some() && cacheable(filter)
    }

    /// The page of `user_id`'s tasks matching `filter`, from memory when their tasks have not
    /// changed since it was read. `known_version` is the user's `list_version` if the caller
    /// read it already (authentication does), before anything else of the request.
    ///
    /// # Errors
    /// Database failure.
    pub async fn page(
        &self,
        db: &Db,
        user_id: &str,
        known_version: Option<i64>,
        filter: &TaskFilter,
    ) -> Result<RenderedPage> {
        let Some(pages) = self.pages.as_ref().filter(|_| cacheable(filter)) else {
            return service::list_json(db, user_id, filter).await;
        };
        // Read before the page: a page read afterwards is at least as new as this version, so
        // filing it under this version can never make an older page look current.
        let version = match known_version {
            Some(version) => Some(version),
            None => service::list_version(db, user_id).await?,
        };
        let Some(version) = version else {
            return service::list_json(db, user_id, filter).await;
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
        let page = service::list_json(db, user_id, filter).await?;
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
