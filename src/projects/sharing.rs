//! A project's members: sharing it, changing roles, handing it over, removing and leaving. The
//! only SQL on `project_member`, but for the reads that check a member's access.

use uuid::Uuid;

use super::model::{Member, MemberPatch, Project, Role, ShareProject};
use super::service::{get, get_for};
use crate::db::{self, BeginWrite, Db, Dialect};
use crate::error::{ApiError, Result};
use crate::{with_pool, with_writer};

const NOT_A_MEMBER: ApiError = ApiError::NotFound("member not found");

/// The people of project `$1` (all of them, or only the user `$2` when it is not null): its
/// owner first, then its members in the order they joined.
const PEOPLE: &str = "select u.id as user_id, u.email, u.name, 'owner' as role,
         p.created_at as added_at, 0 as rank
     from project p join app_user u on u.id = p.owner_id
     where p.id = $1 and ($2 is null or u.id = $2)
     union all
     select u.id, u.email, u.name, m.role, m.created_at, 1
     from project_member m join app_user u on u.id = m.user_id
     where m.project_id = $1 and ($2 is null or u.id = $2)
     order by rank, added_at, user_id";

/// The project's owner, then its members in the order they joined. Any member may read it.
///
/// # Errors
/// 404 when the user cannot see the project.
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %project_id))]
pub async fn members(db: &Db, user: &str, project_id: Uuid) -> Result<Vec<Member>> {
    get(db, user, project_id).await?;
    Ok(with_pool!(db, |conn| {
        sqlx::query_as::<_, Member>(PEOPLE)
            .bind(project_id)
            .bind(None::<&str>)
            .fetch_all(conn)
            .await?
    }))
}

/// One person of the project, as [`members`] lists them.
async fn member(db: &Db, project_id: Uuid, user_id: &str) -> Result<Member> {
    let found = with_pool!(db, |conn| {
        sqlx::query_as::<_, Member>(PEOPLE)
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?
    });
    found.ok_or(NOT_A_MEMBER)
}

/// Shares the project with the account that has `email` (owner and admins; not the Inbox).
///
/// # Errors
/// 404 when the user cannot see the project, 403 below admin, 409 for the Inbox, its owner or
/// a member already in, 422 when no account has that email or the role is `owner`.
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %project_id))]
pub async fn share(db: &Db, user: &str, project_id: Uuid, input: ShareProject) -> Result<Member> {
    let project = get_for(db, user, project_id, Role::Admin).await?;
    if project.is_inbox {
        return Err(ApiError::Conflict(
            "the Inbox cannot be shared; share another project",
        ));
    }
    let role = input.role.unwrap_or(Role::Editor);
    if role == Role::Owner {
        return Err(ApiError::invalid(
            "role",
            "must be viewer, editor or admin; hand a project over by making a member its owner",
        ));
    }
    let Some(email) = input
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
    else {
        return Err(ApiError::invalid("email", "is required"));
    };
    let account: Option<String> = with_pool!(db, |conn| {
        sqlx::query_scalar("select id from app_user where email = $1")
            .bind(&email)
            .fetch_optional(conn)
            .await?
    });
    let Some(account) = account else {
        return Err(ApiError::invalid(
            "email",
            "no tudu account has this email; they need to sign up first",
        ));
    };
    if account == project.owner_id {
        return Err(ApiError::Conflict("they own this project"));
    }
    let now = db::now();
    let added = with_writer!(db, |conn| {
        sqlx::query(
            "insert into project_member (project_id, user_id, role, created_at)
             values ($1, $2, $3, $4)",
        )
        .bind(project_id)
        .bind(&account)
        .bind(role)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    });
    match added {
        Ok(_) => member(db, project_id, &account).await,
        Err(err) if db::is_unique_violation(&err) => Err(ApiError::Conflict(
            "they are a member already; change their role instead",
        )),
        // The project was deleted meanwhile.
        Err(err) if db::is_foreign_key_violation(&err) => {
            Err(ApiError::NotFound("project not found"))
        }
        Err(err) => Err(err.into()),
    }
}

/// Changes a member's role (owner and admins), or, with `owner`, hands the project to them
/// (the owner only; the previous owner stays as an admin).
///
/// # Errors
/// 404 when the user cannot see the project or `member_id` is not a member, 403 below admin
/// (below owner for `owner`), 409 for the owner's own role.
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %project_id))]
pub async fn set_role(
    db: &Db,
    user: &str,
    project_id: Uuid,
    member_id: &str,
    patch: MemberPatch,
) -> Result<Member> {
    let needed = if patch.role == Role::Owner {
        Role::Owner
    } else {
        Role::Admin
    };
    let project = get_for(db, user, project_id, needed).await?;
    if member_id == project.owner_id {
        return Err(ApiError::Conflict(
            "the owner's role cannot change; make another member the owner first",
        ));
    }
    if patch.role == Role::Owner {
        hand_over(db, &project, member_id).await?;
    } else {
        let changed = with_writer!(db, |conn| {
            sqlx::query(
                "update project_member set role = $1 where project_id = $2 and user_id = $3",
            )
            .bind(patch.role)
            .bind(project_id)
            .bind(member_id)
            .execute(conn)
            .await?
            .rows_affected()
        });
        if changed == 0 {
            return Err(NOT_A_MEMBER);
        }
    }
    member(db, project_id, member_id).await
}

/// Removes a member (owner and admins), or the user themselves (leaving). Tasks assigned to
/// them in the project become unassigned, in the same transaction.
///
/// # Errors
/// 404 when the user cannot see the project or `member_id` is not a member, 403 when a member
/// below admin removes someone else, 409 for the owner.
#[tracing::instrument(skip_all, fields(user_id = %user, project_id = %project_id))]
pub async fn remove(db: &Db, user: &str, project_id: Uuid, member_id: &str) -> Result<()> {
    let project = if member_id == user {
        get(db, user, project_id).await?
    } else {
        get_for(db, user, project_id, Role::Admin).await?
    };
    if member_id == project.owner_id {
        return Err(ApiError::Conflict(
            "the owner cannot leave or be removed; make another member the owner first",
        ));
    }
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let removed =
            sqlx::query("delete from project_member where project_id = $1 and user_id = $2")
                .bind(project_id)
                .bind(member_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if removed == 0 {
            return Err(NOT_A_MEMBER);
        }
        sqlx::query(
            "update task set assignee_id = null, version = version + 1
             where project_id = $1 and assignee_id = $2",
        )
        .bind(project_id)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Makes `member_id` the owner of `project` in one transaction: the tasks move into the new
/// owner's numbering (in their old order), both owners' counters follow, and the previous owner
/// becomes an admin.
///
/// Lock order on PostgreSQL: the project row (which a task insert key-shares first too), then
/// task rows, then user rows, as every task write takes them.
async fn hand_over(db: &Db, project: &Project, member_id: &str) -> Result<()> {
    let now = db::now();
    let dialect = db.dialect();
    with_writer!(db, |conn| {
        let mut tx = conn.begin_write().await?;
        let lock = if dialect == Dialect::Postgres {
            "select 1 from project where id = $1 and owner_id = $2 for update"
        } else {
            "select 1 from project where id = $1 and owner_id = $2"
        };
        let still_owner: Option<i32> = sqlx::query_scalar(lock)
            .bind(project.id)
            .bind(&project.owner_id)
            .fetch_optional(&mut *tx)
            .await?;
        if still_owner.is_none() {
            return Err(ApiError::Conflict(
                "the project changed hands meanwhile; read it again",
            ));
        }
        let was_member =
            sqlx::query("delete from project_member where project_id = $1 and user_id = $2")
                .bind(project.id)
                .bind(member_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if was_member == 0 {
            return Err(NOT_A_MEMBER);
        }
        sqlx::query(
            "insert into project_member (project_id, user_id, role, created_at)
             values ($1, $2, 'admin', $3)",
        )
        .bind(project.id)
        .bind(&project.owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update project set owner_id = $1, updated_at = $2, version = version + 1
             where id = $3",
        )
        .bind(member_id)
        .bind(now)
        .bind(project.id)
        .execute(&mut *tx)
        .await?;
        if dialect == Dialect::Postgres {
            // The counters are kept below, once, not by the per-row triggers.
            sqlx::query("select set_config('tudu.bulk_insert', 'on', true)")
                .execute(&mut *tx)
                .await?;
        }
        let (moved, completed): (i64, i64) = sqlx::query_as(
            "select count(*), count(*) filter (where completed) from task where project_id = $1",
        )
        .bind(project.id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "update task set user_id = $1,
                 number = (select task_seq from app_user where id = $1) + renumbered.n,
                 updated_at = $2, version = version + 1
             from (select id, row_number() over (order by number) as n
                   from task where project_id = $3) as renumbered
             where task.id = renumbered.id",
        )
        .bind(member_id)
        .bind(now)
        .bind(project.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update app_user set task_seq = task_seq + $2, task_count = task_count + $2,
                 completed_count = completed_count + $3, list_version = list_version + 1
             where id = $1",
        )
        .bind(member_id)
        .bind(moved)
        .bind(completed)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "update app_user set task_count = task_count - $2,
                 completed_count = completed_count - $3, list_version = list_version + 1
             where id = $1",
        )
        .bind(&project.owner_id)
        .bind(moved)
        .bind(completed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    })
}
