//! Who may read and write which tasks: a user's own, and those of the projects shared with
//! them, by role. The checks the task service makes before it writes as a project's owner.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::model::{Task, TaskRef};
use super::rules::TaskFields;
use super::service::{TASK_NOT_FOUND, get};
use crate::auth::credential::Standing;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::projects::model::Role;
use crate::with_pool;

/// Checks that a task's assignee is its project's owner or a member. One that only stops
/// qualifying because the task moves to another project is dropped, not refused.
pub(super) async fn check_assignee(
    db: &Db,
    owner: &str,
    fields: &mut TaskFields,
    moving: Option<&Task>,
) -> Result<()> {
    let Some(assignee) = fields.assignee_id.as_deref() else {
        return Ok(());
    };
    let kept = moving.is_some_and(|t| t.assignee_id.as_deref() == Some(assignee));
    let moved = moving.is_some_and(|t| fields.project_id != Some(t.project_id));
    if assignee == owner || (kept && !moved) {
        return Ok(());
    }
    let member = match fields.project_id {
        Some(project) => with_pool!(db, |conn| {
            sqlx::query_scalar::<_, i32>(
                "select 1 from project_member where project_id = $1 and user_id = $2",
            )
            .bind(project)
            .bind(assignee)
            .fetch_optional(conn)
            .await?
        })
        .is_some(),
        // The owner's Inbox, which nobody else sees.
        None => false,
    };
    match (member, kept) {
        (true, _) => Ok(()),
        (false, true) => {
            fields.assignee_id = None;
            Ok(())
        }
        (false, false) => Err(ApiError::invalid(
            "assignee_id",
            "must be the project's owner or one of its members",
        )),
    }
}

/// Says whether `user` may write `task`, which they can see: theirs, or in a project shared
/// with them as editor or admin.
///
/// # Errors
/// 403 for a viewer.
pub(super) async fn check_writable(db: &Db, user: &str, task: &Task) -> Result<()> {
    if task.user_id == user {
        return Ok(());
    }
    let role: Option<Role> = with_pool!(db, |conn| {
        sqlx::query_scalar("select role from project_member where project_id = $1 and user_id = $2")
            .bind(task.project_id)
            .bind(user)
            .fetch_optional(conn)
            .await?
    });
    match role {
        Some(role) if role.writes_tasks() => Ok(()),
        Some(_) => Err(VIEWERS_READ_ONLY),
        // No longer a member since the task was read.
        None => Err(TASK_NOT_FOUND),
    }
}

const VIEWERS_READ_ONLY: ApiError =
    ApiError::Forbidden("viewers of a shared project cannot change its tasks");

/// Whose tasks a new task joins, after checking `user` may add it there: the owner of the
/// project it names (which must not be archived), else of the parent it names, else the
/// user's own.
///
/// # Errors
/// 422 on a project or parent the user cannot see, 403 for a viewer.
pub(super) async fn owner_for_new(
    db: &Db,
    user: &str,
    project: Option<Uuid>,
    parent: Option<Uuid>,
) -> Result<String> {
    if let Some(project) = project {
        return match crate::projects::service::get(db, user, project).await {
            Ok(project) if project.archived => Err(ApiError::invalid("project_id", "is archived")),
            Ok(project) if project.role.writes_tasks() => Ok(project.owner_id),
            Ok(_) => Err(VIEWERS_READ_ONLY),
            Err(ApiError::NotFound(_)) => Err(ApiError::invalid(
                "project_id",
                "is not one of your projects",
            )),
            Err(err) => Err(err),
        };
    }
    if let Some(parent) = parent {
        return match get(db, user, TaskRef::Id(parent)).await {
            Ok(parent) => {
                check_writable(db, user, &parent).await?;
                Ok(parent.user_id)
            }
            Err(ApiError::NotFound(_)) => {
                Err(ApiError::invalid("parent_id", "is not one of your tasks"))
            }
            Err(err) => Err(err),
        };
    }
    Ok(user.to_owned())
}

/// The owner of the project a list, count or page reads, with their `list_version`, when `user`
/// may see it: one statement, so the access check and the version a cached page is filed under
/// are read together.
///
/// # Errors
/// 404 when the user cannot see the project.
pub async fn project_owner(db: &Db, user: &str, project: Uuid) -> Result<(String, i64)> {
    let found = project_owner_standing(db, user, project, None).await?;
    found.ok_or(ApiError::NotFound("project not found"))
}

/// [`project_owner`] whose statement also checks that the credential the user presented still
/// stands, so that a cached page of a shared project costs one read. `None` when the project is
/// out of sight or the credential no longer stands, which the caller must tell apart.
///
/// # Errors
/// Database failure.
pub async fn project_owner_standing(
    db: &Db,
    user: &str,
    project: Uuid,
    standing: Option<Standing<'_>>,
) -> Result<Option<(String, i64)>> {
    // `Standing::condition` speaks of the user as `$1` and leaves `$3` and `)` to add.
    let standing_check = standing.map_or(String::new(), |s| format!(" and {}$3)", s.condition()));
    let sql = format!(
        "select p.owner_id, u.list_version from project p join app_user u on u.id = p.owner_id
         where p.id = $2 and (p.owner_id = $1 or exists (select 1 from project_member m
             where m.project_id = p.id and m.user_id = $1)){standing_check}"
    );
    Ok(with_pool!(db, |conn| {
        let query = sqlx::query_as(AssertSqlSafe(sql.as_str()))
            .bind(user)
            .bind(project);
        let query = match standing {
            None => query,
            Some(Standing::Session(id)) => query.bind(id),
            Some(Standing::IssuedAt(at)) => query.bind(at),
        };
        query.fetch_optional(conn).await?
    }))
}
