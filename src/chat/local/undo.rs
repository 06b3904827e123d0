//! `undo`: reverses the agent's last change in this conversation, read from the tool calls the
//! conversation stored. A deleted task comes back with its id and number; a completion is
//! reopened and the occurrence it spawned removed; an update gets its previous values back; an
//! added task is deleted. A share is taken back, a removed member shared with again in their
//! old role, and a changed role set back; a new list, leaving a list and handing one over
//! stay (the reply says so: only someone else can reverse them). Undo turns are
//! skipped, with the change each undid, so a second `undo` reaches one change further back.

use serde::Deserialize;
use serde_json::Value;

use super::bulk::number_argument;
use super::context::{CHANGING, UNDONE, changes, snapshot};
use super::execute::Clock;
use super::filing::role_phrase;
use crate::chat::agent::PastMessage;
use crate::chat::tools::{ToolBox, ToolCall};
use crate::error::ApiError;
use crate::mcp::projects::{
    ChangeMemberRoleArgs, RoleChanged, ShareProjectArgs, UnshareProjectArgs, Unshared,
};
use crate::mcp::server::{CompleteTaskArgs, TaskArgs, TaskId, UpdateTaskArgs};
use crate::projects::model::{Role, ShareProject};
use crate::tasks::model::{DueDateInput, Task, TaskPatch};

/// Reverses the last change of the conversation.
///
/// # Errors
/// The tool session broke.
pub async fn undo(
    history: &[PastMessage],
    _clock: Clock,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let Some(at) = changes(history).into_iter().next() else {
        return Ok("There's no change of mine in this conversation to undo.".to_owned());
    };
    let calls = &history[at].tool_calls;
    let earlier = || history[..at].iter().flat_map(|m| m.tool_calls.iter());
    let mut done = Vec::new();
    for (index, call) in calls.iter().enumerate().rev() {
        if call.result.get("error").is_some() {
            continue;
        }
        let before = || earlier().chain(calls[..index].iter());
        if let Some(line) = reverse(call, before, tools).await? {
            done.push(line);
        }
    }
    done.reverse();
    // Only a turn that reversed something is an undo turn: one that failed (no write access,
    // the task is back already) leaves the change for a later `undo`.
    let reversed = tools
        .calls()
        .iter()
        .any(|c| CHANGING.contains(&c.name.as_str()) && c.result.get("error").is_none());
    if !reversed {
        let why = if done.is_empty() {
            String::new()
        } else {
            format!(": {}", done.join("; "))
        };
        return Ok(format!("I couldn't undo that{why}. Nothing was changed."));
    }
    Ok(format!("{UNDONE} {}.", done.join("; ")))
}

/// Reverses one call, saying what was done; `None` for calls that changed nothing.
async fn reverse<'c, I>(
    call: &ToolCall,
    before: impl Fn() -> I,
    tools: &mut ToolBox,
) -> Result<Option<String>, ApiError>
where
    I: DoubleEndedIterator<Item = &'c ToolCall>,
{
    let number = call
        .result
        .get("number")
        .and_then(Value::as_i64)
        .or_else(|| number_argument(&call.arguments));
    let title = |task: &Value| {
        task.get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(match (call.name.as_str(), number) {
        ("add_task", Some(n)) => {
            // By id: a task added to a list shared with the user has its owner's number,
            // which for the user names another task, or none.
            let args = match call.result.get("id").and_then(Value::as_str) {
                Some(id) => TaskArgs {
                    task_id: TaskId::Text(id.to_owned()),
                    user_id: None,
                },
                None => TaskArgs::number(n),
            };
            let outcome = tools.call_with("delete_task", &args).await?;
            Some(said(
                outcome.ok,
                format!("removed #{n} \"{}\" again", title(&call.result)),
                n,
            ))
        }
        ("delete_task", Some(n)) => {
            let Some(task) = snapshot(before(), n) else {
                return Ok(Some(format!(
                    "couldn't bring back #{n}: I never saw it whole"
                )));
            };
            let name = title(&task);
            let outcome = tools.restore(task).await?;
            Some(said(outcome.ok, format!("brought back #{n} \"{name}\""), n))
        }
        ("complete_task", Some(n)) => {
            let completed = call
                .arguments
                .get("completed")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let mut parts = Vec::new();
            if let Some(next) = call
                .result
                .get("next_occurrence")
                .and_then(|t| t.get("number"))
                .and_then(Value::as_i64)
            {
                let outcome = tools
                    .call_with("delete_task", &TaskArgs::number(next))
                    .await?;
                parts.push(said(
                    outcome.ok,
                    format!("removed its next occurrence #{next}"),
                    next,
                ));
            }
            let args = CompleteTaskArgs {
                task_id: TaskId::Number(n),
                completed: Some(!completed),
                user_id: None,
            };
            let outcome = tools.call_with("complete_task", &args).await?;
            let verb = if completed { "reopened" } else { "marked done" };
            parts.insert(
                0,
                said(
                    outcome.ok,
                    format!("{verb} #{n} \"{}\"", title(&call.result)),
                    n,
                ),
            );
            Some(parts.join(", "))
        }
        ("update_task", Some(n)) => {
            let Some(task) = snapshot(before(), n).and_then(|t| Task::deserialize(t).ok()) else {
                return Ok(Some(format!(
                    "couldn't restore #{n}: I never saw it before the change"
                )));
            };
            let args = UpdateTaskArgs {
                task_id: TaskId::Number(n),
                user_id: None,
                changes: as_it_was(&task),
                project: None,
                parent: None,
            };
            let outcome = tools.call_with("update_task", &args).await?;
            Some(said(
                outcome.ok,
                format!("#{n} \"{}\" is back as it was", task.title),
                n,
            ))
        }
        // No tool deletes a project, so a new list stays; saying so beats undoing an older
        // change the user did not mean.
        ("add_project", _) => Some(format!(
            "the list \"{}\" stays (delete it in the app)",
            call.result
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )),
        // Taking a share back is removing them again.
        ("share_project", _) => {
            let (Some(project), Some(email)) = (
                call.arguments.get("project").and_then(Value::as_str),
                call.result.get("email").and_then(Value::as_str),
            ) else {
                return Ok(None);
            };
            let args = UnshareProjectArgs {
                project: project.to_owned(),
                email: email.to_owned(),
                user_id: None,
            };
            let outcome = tools.call_with("unshare_project", &args).await?;
            Some(if outcome.ok {
                format!("stopped sharing the list with {email} again")
            } else {
                format!("couldn't take the list back from {email}")
            })
        }
        ("unshare_project" | "leave_project", _) => {
            let Ok(gone) = Unshared::deserialize(&call.result) else {
                return Ok(None);
            };
            // Only the owner or an admin can let someone back in, and that is not the one
            // who left.
            if gone.left {
                return Ok(Some(
                    "you left the list, and only its owner or an admin can share it with you \
                     again"
                        .to_owned(),
                ));
            }
            let email = gone.removed.email;
            let args = ShareProjectArgs {
                project: gone.project_id.to_string(),
                share: ShareProject {
                    email: Some(email.clone()),
                    role: Some(gone.removed.role),
                },
                user_id: None,
            };
            let outcome = tools.call_with("share_project", &args).await?;
            Some(if outcome.ok {
                format!(
                    "{email} is back on the list as {}",
                    role_phrase(gone.removed.role)
                )
            } else {
                format!("couldn't share the list with {email} again")
            })
        }
        ("change_member_role", _) => {
            let Ok(changed) = RoleChanged::deserialize(&call.result) else {
                return Ok(None);
            };
            let email = changed.member.email;
            // A hand-over is the new owner's to reverse: the caller is only an admin now.
            if changed.member.role == Role::Owner {
                return Ok(Some(format!(
                    "the list stays {email}'s: only they can hand it back"
                )));
            }
            let args = ChangeMemberRoleArgs {
                project: changed.project_id.to_string(),
                email: email.clone(),
                role: changed.previous_role,
                user_id: None,
            };
            let outcome = tools.call_with("change_member_role", &args).await?;
            Some(if outcome.ok {
                format!("{email} is {} again", role_phrase(changed.previous_role))
            } else {
                format!("couldn't give {email} their old role back")
            })
        }
        _ => None,
    })
}

/// The update that puts back every field a change may have touched.
fn as_it_was(task: &Task) -> TaskPatch {
    let repeats = task.is_recurring;
    TaskPatch {
        title: Some(Some(task.title.clone())),
        description: Some(task.description.clone()),
        priority: Some(Some(task.priority)),
        tags: Some(Some(task.tags.clone())),
        due_date: Some(
            task.due_date
                .map(|due| DueDateInput(due.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))),
        ),
        is_recurring: Some(repeats),
        recurrence_pattern: repeats.then_some(task.recurrence_pattern),
        recurrence_interval: repeats.then_some(task.recurrence_interval),
        completed: None,
        project_id: Some(task.project_id),
        ..TaskPatch::default()
    }
}

fn said(ok: bool, done: String, number: i64) -> String {
    if ok {
        done
    } else {
        format!("couldn't change #{number} back")
    }
}
