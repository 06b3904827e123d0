//! Subtasks: where a task may hang in its project's tree, read from the database in one
//! statement and checked here. What follows a parent (completion, a move to another project,
//! deletion) is kept by the database itself (migration `subtasks`).

use uuid::Uuid;

use super::rules::MAX_DEPTH;
use crate::error::{ApiError, Result};

/// Facts about a would-be parent and the task being placed under it, read by [`FACTS`]:
/// `(parent's project, parent's depth, whether the parent is the task or one of its subtasks,
/// how many levels of subtasks the task has)`; the project is `None` when the parent is not
/// one of the user's tasks.
pub type Facts = (Option<Uuid>, i32, bool, i32);

/// Reads [`Facts`]: `$1` the parent, `$2` the user, `$3` the task being moved (nil for a new
/// one). Cycles cannot exist, but the walks stop after a bounded number of levels anyway.
pub const FACTS: &str = "with recursive
     up (up_id, up_parent, up_project, depth) as (
         select id, parent_id, project_id, 0 from task where id = $1 and user_id = $2
         union all
         select t.id, t.parent_id, t.project_id, up.depth + 1
         from task t join up on t.id = up.up_parent where up.depth < 16
     ),
     down (down_id, depth) as (
         select id, 0 from task where id = $3 and user_id = $2
         union all
         select t.id, down.depth + 1 from task t join down on t.parent_id = down.down_id
         where down.depth < 16
     )
     select (select up_project from up where depth = 0),
         coalesce((select max(depth) from up), 0),
         exists (select 1 from up where up_id = $3),
         coalesce((select max(depth) from down), 0)";

/// The subtasks of `$1` at every level as task rows, parents before their subtasks, in order.
pub const DESCENDANTS: &str = concat!(
    "with recursive sub (sub_id, depth) as (
         select id, 1 from task where parent_id = $1
         union all
         select t.id, sub.depth + 1 from task t join sub on t.parent_id = sub.sub_id
         where sub.depth < 16
     )
     select ",
    crate::task_columns!(),
    " from task join sub on sub.sub_id = task.id order by sub.depth, task.position, task.id"
);

/// Checks that a task may go under the parent the facts describe, and gives the project it
/// then belongs to: its parent's. `asked_project` is a project the request named explicitly.
///
/// # Errors
/// 422 naming `parent_id` or `project_id`.
pub fn check(facts: Facts, asked_project: Option<Uuid>) -> Result<Uuid> {
    let (project, parent_depth, inside_itself, levels_below) = facts;
    let Some(project) = project else {
        return Err(ApiError::invalid("parent_id", "is not one of your tasks"));
    };
    if inside_itself {
        return Err(ApiError::invalid(
            "parent_id",
            "cannot be the task itself or one of its subtasks",
        ));
    }
    if i64::from(parent_depth) + 1 + i64::from(levels_below) > MAX_DEPTH {
        return Err(ApiError::invalid(
            "parent_id",
            format!("subtasks nest at most {MAX_DEPTH} levels below a top-level task"),
        ));
    }
    if asked_project.is_some_and(|asked| asked != project) {
        return Err(ApiError::invalid(
            "project_id",
            "must be the project of the parent task (or be left out)",
        ));
    }
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(result: Result<Uuid>) -> String {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_parent_gives_its_project_within_four_levels() {
        let project = Uuid::now_v7();
        assert_eq!(
            check((Some(project), 3, false, 0), None).ok(),
            Some(project)
        );
        assert_eq!(
            field(check((Some(project), 4, false, 0), None)),
            "parent_id"
        );
        // A task with two levels below it fits under a task at depth 1, not 2.
        assert!(check((Some(project), 1, false, 2), Some(project)).is_ok());
        assert_eq!(
            field(check((Some(project), 2, false, 2), None)),
            "parent_id"
        );
    }

    #[test]
    fn foreign_parents_cycles_and_other_projects_are_refused() {
        let project = Uuid::now_v7();
        assert_eq!(field(check((None, 0, false, 0), None)), "parent_id");
        assert_eq!(field(check((Some(project), 0, true, 0), None)), "parent_id");
        assert_eq!(
            field(check((Some(project), 0, false, 0), Some(Uuid::now_v7()))),
            "project_id"
        );
    }
}
