//! What the stored conversation says: the tasks its last turn named or showed (what "it"
//! points at), the bulk question waiting for a "yes", and the last change (for `undo`).
//!
//! Everything here is read from the history the service loads for each turn, never from
//! memory: any replica answers the next message the same way.

use serde_json::Value;

use crate::chat::agent::{PastMessage, Role};
use crate::chat::tools::ToolCall;

/// Tools that change tasks (or, `add_project` and the sharing tools, the user's lists).
pub const CHANGING: &[&str] = &[
    "add_project",
    "share_project",
    "unshare_project",
    "leave_project",
    "change_member_role",
    "add_task",
    "update_task",
    "complete_task",
    "delete_task",
    "restore_task",
];

/// How many stored messages back a pointer may reach: the last exchange and the one before.
const POINTER_REACH: usize = 4;

/// The opening of a reply that reversed a change; `undo` skips such turns and what they undid.
pub const UNDONE: &str = "Undone:";

/// The tasks (number and title) of `caller`'s that the most recent assistant turn (within
/// [`POINTER_REACH`] messages) changed or, changing none, showed. Empty: nothing to point at.
#[must_use]
pub fn referents(history: &[PastMessage], caller: &str) -> Vec<(i64, String)> {
    history
        .iter()
        .rev()
        .take(POINTER_REACH)
        .filter(|m| m.role == Role::Assistant)
        .map(|m| {
            // Only what the reply put in front of the user counts (a count in a summary
            // read tasks it never showed).
            let mut tasks = numbers_in(&m.tool_calls, caller);
            tasks.retain(|(n, _)| mentions(&m.content, *n));
            tasks
        })
        .find(|tasks| !tasks.is_empty())
        .unwrap_or_default()
}

/// Whether `text` names task `number` as `#number` (not the start of a longer number).
#[must_use]
pub fn mentions(text: &str, number: i64) -> bool {
    let tag = format!("#{number}");
    text.match_indices(&tag).any(|(at, _)| {
        !text[at + tag.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// A task's number and title, out of a tool result; `None` for a task of someone else's
/// (in a project shared with `caller`): its number is its owner's, and the tools read a number
/// as one of the caller's own tasks, so pointing at it would reach another task.
fn shown(task: &Value, caller: &str) -> Option<(i64, String)> {
    if task
        .get("user_id")
        .and_then(Value::as_str)
        .is_some_and(|owner| !crate::auth::model::is_same_user(owner, caller))
    {
        return None;
    }
    Some((
        task.get("number")?.as_i64()?,
        task.get("title")?.as_str()?.to_owned(),
    ))
}

/// The tasks a turn's calls changed, or else the tasks its last read showed.
fn numbers_in(calls: &[ToolCall], caller: &str) -> Vec<(i64, String)> {
    let ok = |c: &&ToolCall| c.result.get("error").is_none();
    let mut changed: Vec<(i64, String)> = Vec::new();
    let mut deleted = false;
    for call in calls.iter().filter(ok) {
        if !CHANGING.contains(&call.name.as_str()) {
            continue;
        }
        // A deleted task is gone: "it" cannot mean it any more.
        if call.name == "delete_task" {
            deleted = true;
            continue;
        }
        if let Some(task) = shown(&call.result, caller)
            && !changed.iter().any(|(n, _)| *n == task.0)
        {
            changed.push(task);
        }
    }
    if !changed.is_empty() || deleted {
        return changed;
    }
    let Some(last_read) = calls.iter().rfind(ok) else {
        return Vec::new();
    };
    match last_read.name.as_str() {
        "get_task" => shown(&last_read.result, caller).into_iter().collect(),
        "list_tasks" => last_read
            .result
            .get("tasks")
            .and_then(Value::as_array)
            .map(|tasks| tasks.iter().filter_map(|t| shown(t, caller)).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The assistant turns that changed tasks, newest first, leaving out undo turns and the
/// turns they undid: the first is the change `undo` reverses.
#[must_use]
pub fn changes(history: &[PastMessage]) -> Vec<usize> {
    let mut skip = 0usize;
    let mut found = Vec::new();
    for (at, message) in history.iter().enumerate().rev() {
        if message.role != Role::Assistant {
            continue;
        }
        if message.content.starts_with(UNDONE) {
            skip += 1;
            continue;
        }
        let changed = message
            .tool_calls
            .iter()
            .any(|c| CHANGING.contains(&c.name.as_str()) && c.result.get("error").is_none());
        if !changed {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        found.push(at);
    }
    found
}

/// The task `number` as the conversation last read it before it was changed: the newest
/// task of that number among the results of reads (and of changes that returned it) in
/// `calls`, which are searched from the end.
#[must_use]
pub fn snapshot<'c>(
    calls: impl DoubleEndedIterator<Item = &'c ToolCall>,
    number: i64,
) -> Option<Value> {
    let has = |t: &Value| t.get("number").and_then(Value::as_i64) == Some(number);
    calls.rev().find_map(|call| match call.name.as_str() {
        "get_task" | "add_task" | "update_task" | "restore_task" => {
            has(&call.result).then(|| call.result.clone())
        }
        "list_tasks" => call
            .result
            .get("tasks")
            .and_then(Value::as_array)
            .and_then(|tasks| tasks.iter().find(|t| has(t)).cloned()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn said(role: Role, content: &str, calls: Vec<ToolCall>) -> PastMessage {
        PastMessage {
            role,
            content: content.to_owned(),
            tool_calls: calls,
        }
    }

    fn call(name: &str, arguments: Value, result: Value) -> ToolCall {
        ToolCall {
            name: name.to_owned(),
            arguments,
            result,
        }
    }

    fn task(number: i64, title: &str) -> Value {
        json!({ "number": number, "title": title })
    }

    #[test]
    fn pointers_reach_only_what_the_last_turn_showed() {
        assert!(referents(&[], "u").is_empty());
        let added = [
            said(Role::User, "add milk", vec![]),
            said(
                Role::Assistant,
                "Added #4 \"milk\".",
                vec![call("add_task", json!({}), task(4, "milk"))],
            ),
        ];
        assert_eq!(referents(&added, "u"), vec![(4, "milk".to_owned())]);
        // A listing shows every task it names; a count reads tasks it never shows.
        let listed = [said(
            Role::Assistant,
            "You have 2 tasks:\n• #1 a\n• #2 b",
            vec![call(
                "list_tasks",
                json!({}),
                json!({ "tasks": [task(1, "a"), task(2, "b")], "total": 2 }),
            )],
        )];
        assert_eq!(referents(&listed, "u").len(), 2);
        let counted = [said(
            Role::Assistant,
            "You have 1 task: 1 pending.",
            vec![call(
                "list_tasks",
                json!({ "limit": 1 }),
                json!({ "tasks": [task(1, "a")], "total": 1 }),
            )],
        )];
        assert!(referents(&counted, "u").is_empty());
        // A deleted task is no referent; a failed call neither.
        let deleted = [said(
            Role::Assistant,
            "Deleted #3 \"x\".",
            vec![
                call("get_task", json!({ "task_id": 3 }), task(3, "x")),
                call(
                    "delete_task",
                    json!({ "task_id": 3 }),
                    json!({ "deleted_id": "…" }),
                ),
            ],
        )];
        assert!(referents(&deleted, "u").is_empty());
        // A task of a list shared with the user carries its owner's number: no referent.
        let shared = [said(
            Role::Assistant,
            "Added to Groceries: #4 \"milk\".",
            vec![call(
                "add_task",
                json!({}),
                json!({ "number": 4, "title": "milk", "user_id": "owner", "created_by": "u" }),
            )],
        )];
        assert!(referents(&shared, "u").is_empty());
        assert_eq!(referents(&shared, "owner"), vec![(4, "milk".to_owned())]);
        assert!(mentions("#12 and #3", 3));
        assert!(!mentions("#12 and #34", 3));
    }

    #[test]
    fn undo_skips_undo_turns_and_what_they_undid() {
        let change = |n: i64| {
            said(
                Role::Assistant,
                &format!("Added #{n}."),
                vec![call("add_task", json!({}), task(n, "t"))],
            )
        };
        let undone = said(
            Role::Assistant,
            "Undone: removed #2.",
            vec![call("delete_task", json!({ "task_id": 2 }), json!({}))],
        );
        let history = [change(1), change(2), undone];
        assert_eq!(changes(&history), vec![0]);
        let calls = [
            call(
                "get_task",
                json!({}),
                json!({ "number": 5, "title": "old" }),
            ),
            call(
                "update_task",
                json!({}),
                json!({ "number": 5, "title": "new" }),
            ),
        ];
        assert_eq!(
            snapshot(calls[..1].iter(), 5),
            Some(calls[0].result.clone())
        );
        assert_eq!(snapshot(calls.iter(), 6), None);
    }
}
