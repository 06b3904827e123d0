//! Every project operation, for every door; the only SQL on `project`.

use uuid::Uuid;

use super::model::{
    INBOX, MAX_NAME, Named, NewProject, Project, ProjectDeleted, ProjectPatch, Role, named,
};
use crate::db::{self, BeginWrite, Db, Dialect};
use crate::error::{ApiError, FieldError, Result};
use crate::tasks::model::Precondition;
use crate::validate;
use crate::{with_pool, with_writer};

/// Columns of [`Project`], as a literal so that it can be `concat!`ed into `'static` SQL.
macro_rules! project_columns {
    () => {
        "id, owner_id, name, color, position, archived, is_inbox, created_at, updated_at, version"
    };
}

const NOT_FOUND: ApiError = ApiError::NotFound("project not found");
/// Said of a project id that is not one of the user's: another user's project and one that
/// does not exist read the same.
const NOT_YOURS: &str = "is not one of your projects";

/// `select` of a project as the user `$1` sees it, with their role; members see it through
/// `project_member` (the owner never has a row there).
macro_rules! visible_project {
    () => {
        "select p.id, p.owner_id, p.name, p.color, p.position, p.archived, p.is_inbox,
             p.created_at, p.updated_at, p.version, coalesce(m.role, 'owner') as role,
             (select count(*) from project_member c where c.project_id = p.id) as member_count
         from project p
         left join project_member m on m.project_id = p.id and m.user_id = $1
         where (p.owner_id = $1 or m.user_id is not null)"
    };
}

/// The user's projects and those shared with them: the Inbox first, then their own by
/// position, then the shared ones; archived ones only when asked.
///
/// # Errors
/// Database failure.
#[tracing::instrument(skip_all, fields(user_id = %user))]
pub async fn list(db: &Db, user: &str, include_archived: bool) -> Result<Vec<Project>> {
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, Project>(concat!(
            visible_project!(),
            " and ($2 or not p.archived)
             order by p.is_inbox desc, p.owner_id <> $1, p.position, p.id"
        ))
        .bind(user)
        .bind(include_archived)
        .fetch_all(conn)
        .await?
    }))
}

/// A project the user owns or is a member of, with their role in it.
///
/// # Errors
/// 404 when it is neither (another user's project and one that does not exist read the same).
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %id))]
pub async fn get(db: &Db, user: &str, id: Uuid) -> Result<Project> {
    let project = with_pool!(db, |conn| {
        sqlx::query_as::<_, Project>(concat!(visible_project!(), " and p.id = $2"))
            .bind(user)
            .bind(id)
            .fetch_optional(conn)
            .await?
    });
    project.ok_or(NOT_FOUND)
}

/// [`get`], for a write that needs at least `needed`.
///
/// # Errors
/// 404 when the user cannot see the project, 403 when their role is below `needed`.
pub async fn get_for(db: &Db, user: &str, id: Uuid, needed: Role) -> Result<Project> {
    let project = get(db, user, id).await?;
    if project.role < needed {
        return Err(ApiError::Forbidden(match needed {
            Role::Owner => "only the project's owner may do this",
            Role::Admin => "only the project's owner and admins may do this",
            Role::Editor | Role::Viewer => "viewers of a shared project cannot change it",
        }));
    }
    Ok(project)
}

/// One of the user's projects named by its UUID, or by its name (ignoring case, among those
/// not archived; "inbox" is the Inbox), as MCP clients and the chat agent name them.
///
/// # Errors
/// 404 when no project of the user's has that id or name (another user's read the same), 409
/// when several of the user's projects have that name.
#[tracing::instrument(skip_all, fields(user_id = %owner))]
pub async fn find(db: &Db, owner: &str, name_or_id: &str) -> Result<Project> {
    let wanted = name_or_id.trim();
    if let Ok(id) = wanted.parse::<Uuid>() {
        return get(db, owner, id).await;
    }
    // A user has a handful of projects, and the comparison must fold case the same way on
    // both backends (SQLite's `lower` only knows ASCII), so names are compared here.
    let projects = list(db, owner, false).await?;
    match named(&projects, wanted) {
        Named::One(project) => Ok(project.clone()),
        Named::Nothing => Err(NOT_FOUND),
        Named::Several => Err(ApiError::Conflict(
            "several of your projects have that name; name the project by its id",
        )),
    }
}

/// Creates a project; without a position it goes after the user's others.
///
/// # Errors
/// 422 on an invalid name or color.
#[tracing::instrument(skip_all, fields(user_id = %owner))]
pub async fn create(db: &Db, owner: &str, input: NewProject) -> Result<Project> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        Some(name) => validate::text(name, "name", 1, MAX_NAME, &mut errors),
        None => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    };
    let color = input.color.as_deref().and_then(|c| color(c, &mut errors));
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let now = db::now();
    Ok(with_writer!(db, |conn| {
        sqlx::query_as::<_, Project>(concat!(
            "insert into project (id, owner_id, name, color, position, created_at, updated_at)
             values ($1, $2, $3, $4, coalesce($5,
                 (select coalesce(max(position), 0) + 1 from project where owner_id = $2)), $6, $6)
             returning ",
            project_columns!()
        ))
        .bind(Uuid::now_v7())
        .bind(owner)
        .bind(&name)
        .bind(&color)
        .bind(input.position)
        .bind(now)
        .fetch_one(conn)
        .await?
    }))
}

/// Changes name, color, position and/or archived (the owner and admins). The Inbox keeps its
/// name and cannot be archived.
///
/// # Errors
/// 404 when the user cannot see it, 403 below admin, 409 for the Inbox's name or archiving,
/// 412 on a stale `If-Match`, 422 on invalid fields.
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %id))]
pub async fn update(
    db: &Db,
    user: &str,
    id: Uuid,
    patch: ProjectPatch,
    precondition: &Precondition,
) -> Result<Project> {
    let mut errors = Vec::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| validate::text(n, "name", 1, MAX_NAME, &mut errors));
    let new_color = match patch.color.as_ref() {
        Some(Some(c)) => Some(color(c, &mut errors)),
        Some(None) => Some(None),
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    loop {
        let current = get_for(db, user, id, Role::Admin).await?;
        if !precondition.allows(current.version) {
            return Err(ApiError::PreconditionFailed);
        }
        if current.is_inbox {
            if name.as_deref().is_some_and(|n| n != INBOX) {
                return Err(ApiError::Conflict("the Inbox cannot be renamed"));
            }
            if patch.archived == Some(true) {
                return Err(ApiError::Conflict("the Inbox cannot be archived"));
            }
        }
        let now = db::now();
        let updated = with_writer!(db, |conn| {
            sqlx::query_as::<_, Project>(concat!(
                "update project set name = $1, color = $2, position = $3, archived = $4,
                     updated_at = $5, version = version + 1
                 where id = $6 and owner_id = $7 and version = $8
                 returning ",
                project_columns!()
            ))
            .bind(name.as_ref().unwrap_or(&current.name))
            .bind(new_color.clone().unwrap_or(current.color.clone()))
            .bind(patch.position.unwrap_or(current.position))
            .bind(patch.archived.unwrap_or(current.archived))
            .bind(now)
            .bind(id)
            .bind(&current.owner_id)
            .bind(current.version)
            .fetch_optional(conn)
            .await?
        });
        if let Some(updated) = updated {
            return Ok(Project {
                role: current.role,
                member_count: current.member_count,
                ..updated
            });
        }
    }
}

/// Deletes a project with its tasks, or, with `move_to`, after moving its tasks there, in one
/// transaction (the owner only). The task triggers keep the user's counters, row by row.
///
/// # Errors
/// 404 when the user cannot see it, 403 for a member, 409 for the Inbox, 412 on a stale `If-Match`, 422 when
/// `move_to` is not another of the user's projects that is not archived.
#[tracing::instrument(skip_all, fields(user_id = %owner, project_id = %id))]
pub async fn delete(
    db: &Db,
    owner: &str,
    id: Uuid,
    move_to: Option<&str>,
    precondition: &Precondition,
) -> Result<ProjectDeleted> {
    // A member learns that only the owner may delete it; anyone else that it is not there.
    get_for(db, owner, id, Role::Owner).await?;
    let move_to = match move_to.map(str::trim) {
        None => None,
        Some(raw) => Some(
            raw.parse::<Uuid>()
                .map_err(|_| ApiError::invalid("move_to", "must be a UUID"))?,
        ),
    };
    if move_to == Some(id) {
        return Err(ApiError::invalid(
            "move_to",
            "must be another project than the one deleted",
        ));
    }
    // PostgreSQL: the row lock makes a concurrent change of the project wait for the delete.
    let select = if db.dialect() == Dialect::Postgres {
        "select is_inbox, version from project where id = $1 and owner_id = $2 for update"
    } else {
        "select is_inbox, version from project where id = $1 and owner_id = $2"
    };
    let now = db::now();
    let deleted = with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let found: Option<(bool, i64)> = sqlx::query_as(select)
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((is_inbox, version)) = found else {
            return Err(NOT_FOUND);
        };
        if !precondition.allows(version) {
            return Err(ApiError::PreconditionFailed);
        }
        if is_inbox {
            return Err(ApiError::Conflict("the Inbox cannot be deleted"));
        }
        let (mut tasks_deleted, mut tasks_moved) = (0, 0);
        if let Some(target) = move_to {
            let archived: Option<bool> =
                sqlx::query_scalar("select archived from project where id = $1 and owner_id = $2")
                    .bind(target)
                    .bind(owner)
                    .fetch_optional(&mut *tx)
                    .await?;
            match archived {
                None => return Err(ApiError::invalid("move_to", NOT_YOURS)),
                Some(true) => return Err(ApiError::invalid("move_to", "is archived")),
                Some(false) => {}
            }
            tasks_moved = sqlx::query(
                "update task set project_id = $1, updated_at = $2, version = version + 1
                 where user_id = $3 and project_id = $4",
            )
            .bind(target)
            .bind(now)
            .bind(owner)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        } else {
            tasks_deleted = sqlx::query("delete from task where user_id = $1 and project_id = $2")
                .bind(owner)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        sqlx::query("delete from project where id = $1 and owner_id = $2")
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        ProjectDeleted {
            message: "Project deleted successfully",
            deleted_id: id,
            tasks_deleted,
            tasks_moved,
        }
    });
    Ok(deleted)
}

/// Checks that a task may be put into `project_id`: one of the user's projects, not archived.
///
/// # Errors
/// 422 on the field `project_id` otherwise.
pub async fn check_target(db: &Db, owner: &str, project_id: Uuid) -> Result<()> {
    let archived: Option<bool> = with_pool!(db, |conn| {
        sqlx::query_scalar("select archived from project where id = $1 and owner_id = $2")
            .bind(project_id)
            .bind(owner)
            .fetch_optional(conn)
            .await?
    });
    match archived {
        None => Err(ApiError::invalid("project_id", NOT_YOURS)),
        Some(true) => Err(ApiError::invalid("project_id", "is archived")),
        Some(false) => Ok(()),
    }
}

/// A task write that named a project deleted after [`check_target`] passed fails on the
/// foreign key: the same 422 as a project that was never there, not a 500.
#[must_use]
pub fn gone_or(err: sqlx::Error) -> ApiError {
    if db::is_foreign_key_violation(&err) {
        ApiError::invalid("project_id", NOT_YOURS)
    } else {
        err.into()
    }
}

/// A checked color: `#rgb` or `#rrggbb`, kept lower-case.
fn color(raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw.trim();
    let ok = raw.strip_prefix('#').is_some_and(|hex| {
        matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    if ok {
        Some(raw.to_ascii_lowercase())
    } else {
        errors.push(FieldError::new("color", "must be #rgb or #rrggbb"));
        None
    }
}
