//! `undo`: reverses the agent's last change in this conversation, read from the tool calls the
//! conversation stored. A deleted task comes back with its id and number; a completion is
//! reopened and the occurrence it spawned removed; an update gets its previous values back; an
//! added task is deleted. Undo turns are skipped, with the change each undid, so a second
//! `undo` reaches one change further back.

use serde_json::{Map, Value, json};

use super::bulk::number_argument;
use super::context::{CHANGING, UNDONE, changes, snapshot};
use super::execute::Clock;
use crate::chat::agent::PastMessage;
use crate::chat::tools::{ToolBox, ToolCall};
use crate::error::ApiError;

/// The fields an update may have changed, put back as they were.
const RESTORED_FIELDS: &[&str] = &[
    "title",
    "description",
    "priority",
    "tags",
    "due_date",
    "is_recurring",
    "recurrence_pattern",
    "recurrence_interval",
];

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
            let outcome = tools.call("delete_task", json!({ "task_id": n })).await?;
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
                    .call("delete_task", json!({ "task_id": next }))
                    .await?;
                parts.push(said(
                    outcome.ok,
                    format!("removed its next occurrence #{next}"),
                    next,
                ));
            }
            let outcome = tools
                .call(
                    "complete_task",
                    json!({ "task_id": n, "completed": !completed }),
                )
                .await?;
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
            let Some(task) = snapshot(before(), n) else {
                return Ok(Some(format!(
                    "couldn't restore #{n}: I never saw it before the change"
                )));
            };
            let mut args = Map::new();
            args.insert("task_id".into(), json!(n));
            for field in RESTORED_FIELDS {
                args.insert(
                    (*field).into(),
                    task.get(*field).cloned().unwrap_or(Value::Null),
                );
            }
            if args.get("priority").is_some_and(Value::is_null) {
                args.insert("priority".into(), json!("NONE"));
            }
            if args.get("tags").is_some_and(Value::is_null) {
                args.insert("tags".into(), json!([]));
            }
            if args.get("is_recurring") == Some(&json!(false)) {
                args.remove("recurrence_pattern");
                args.remove("recurrence_interval");
            }
            let outcome = tools.call("update_task", Value::Object(args)).await?;
            Some(said(
                outcome.ok,
                format!("#{n} \"{}\" is back as it was", title(&task)),
                n,
            ))
        }
        _ => None,
    })
}

fn said(ok: bool, done: String, number: i64) -> String {
    if ok {
        done
    } else {
        format!("couldn't change #{number} back")
    }
}
