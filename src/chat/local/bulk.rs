//! Requests that cover several tasks ("delete everything", "clear my completed tasks",
//! "complete tasks 3 and 4"). They never act in the turn that asks: the reply lists what would
//! change and ends with a line naming exactly those tasks; a "yes" in the next message carries
//! out that line, read back from the stored conversation (so any replica can).
//!
//! The `openai` agent shares this: several deletes asked for in one turn become the same
//! question ([`ask_numbers`]), and the same "yes" carries them out ([`confirm`]).

use serde::Deserialize;
use serde_json::Value;

use super::command::{BulkAction, BulkSpec};
use super::execute::{page_of, task_of};
use super::resolve::{covers, words_of};
use crate::chat::agent::{PastMessage, Role};
use crate::chat::tools::ToolBox;
use crate::error::ApiError;
use crate::mcp::server::{CompleteTaskArgs, ListTasksArgs, TaskArgs, TaskId};
use crate::tasks::listing::{SortKey, SortOrder};
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::query::ListTasks;

/// The opening of the last line of a bulk question; the line names the tasks, the answer
/// reads them from it.
pub const CONFIRM_LINE: &str = "Reply \"yes\" to ";
/// Where the list of tasks on that line ends.
pub const LINE_END: &str = " — anything else changes nothing.";
/// Most tasks a question lists one per line (the last line still names them all).
const SHOWN: usize = 20;
/// Most tasks one bulk question covers.
const MOST: i64 = 200;

/// Lists what `action` would change among the tasks `spec` selects and asks for a "yes".
///
/// # Errors
/// The tool session broke.
pub async fn ask(
    action: BulkAction,
    spec: &BulkSpec,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    if !spec.numbers.is_empty() {
        return ask_numbers(action, &spec.numbers, tools).await;
    }
    let list = ListTasks {
        status: match action {
            // Completing what is done already changes nothing: only pending tasks are listed.
            BulkAction::Complete => Some(StatusFilter::Pending),
            BulkAction::Delete => spec.status,
        },
        overdue: spec.overdue.then_some(true),
        tags: spec.tags.clone(),
        sort: Some(SortKey::Number),
        order: Some(SortOrder::Asc),
        limit: Some(MOST),
        ..ListTasks::default()
    };
    let outcome = tools
        .call_with("list_tasks", &ListTasksArgs::from(list))
        .await?;
    let Some((tasks, _)) = page_of(&outcome) else {
        return Ok(super::reply::failure(outcome.error_message()));
    };
    let tasks: Vec<Task> = tasks
        .into_iter()
        .filter(|t| spec.words.is_empty() || covers(&words_of(&t.title), &spec.words))
        .filter(|t| spec.except.is_empty() || !covers(&words_of(&t.title), &spec.except))
        .collect();
    Ok(question(action, &tasks))
}

/// The question for exactly these task numbers, read one by one (so that the conversation
/// keeps each task as it was, for `undo`).
///
/// # Errors
/// The tool session broke.
pub async fn ask_numbers(
    action: BulkAction,
    numbers: &[i64],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let ids: Vec<Value> = numbers.iter().map(|n| Value::from(*n)).collect();
    ask_ids(action, &ids, tools).await
}

/// [`ask_numbers`] for tasks named by number or UUID, as a model names them.
///
/// # Errors
/// The tool session broke.
pub async fn ask_ids(
    action: BulkAction,
    ids: &[Value],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let mut tasks: Vec<Task> = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        if tools.steps_left() == 0 {
            missing.push(id.to_string());
            continue;
        }
        let Ok(task_id) = TaskId::deserialize(id) else {
            missing.push(id.to_string());
            continue;
        };
        let args = TaskArgs {
            task_id,
            user_id: None,
        };
        let outcome = tools.call_with("get_task", &args).await?;
        match task_of(&outcome) {
            // A task of a shared project (its number hidden) cannot be named back by number,
            // which is how the confirmation acts: it is left to be changed one at a time.
            Some(task) if task.number == 0 => missing.push(id.to_string()),
            Some(task) if !tasks.iter().any(|t| t.number == task.number) => tasks.push(task),
            Some(_) => {}
            None => missing.push(id.to_string()),
        }
    }
    let mut reply = question(action, &tasks);
    if !missing.is_empty() {
        reply = format!("I couldn't find {}.\n{reply}", missing.join(", "));
    }
    Ok(reply)
}

fn question(action: BulkAction, tasks: &[Task]) -> String {
    let verb = action.verb();
    if tasks.is_empty() {
        return format!("No tasks match, so there is nothing to {verb}. Nothing was changed.");
    }
    let noun = if tasks.len() == 1 { "task" } else { "tasks" };
    let mut lines = vec![format!("This would {verb} {} {noun}:", tasks.len())];
    lines.extend(
        tasks
            .iter()
            .take(SHOWN)
            .map(|t| format!("• #{} {}", t.number, t.title.replace(['\n', '\r'], " "))),
    );
    if tasks.len() > SHOWN {
        lines.push(format!("…and {} more.", tasks.len() - SHOWN));
    }
    let numbers: Vec<String> = tasks.iter().map(|t| format!("#{}", t.number)).collect();
    lines.push(format!(
        "{CONFIRM_LINE}{verb} {}{LINE_END}",
        numbers.join(", ")
    ));
    lines.join("\n")
}

/// The action and tasks the conversation's last message asks a "yes" for, if it is a bulk
/// question.
#[must_use]
pub fn pending(history: &[PastMessage]) -> Option<(BulkAction, Vec<i64>)> {
    let last = history.last().filter(|m| m.role == Role::Assistant)?;
    let line = last
        .content
        .lines()
        .next_back()?
        .strip_prefix(CONFIRM_LINE)?;
    let line = line.strip_suffix(LINE_END)?;
    let (verb, numbers) = line.split_once(' ')?;
    let action = [BulkAction::Delete, BulkAction::Complete]
        .into_iter()
        .find(|a| a.verb() == verb)?;
    let numbers = numbers
        .split(", ")
        .map(|n| n.strip_prefix('#')?.parse::<i64>().ok())
        .collect::<Option<Vec<_>>>()?;
    Some((action, numbers))
}

/// Carries out the bulk question the last message asked, as many tasks as this turn's tool
/// steps allow; the rest are asked about again.
///
/// # Errors
/// The tool session broke.
pub async fn confirm(history: &[PastMessage], tools: &mut ToolBox) -> Result<String, ApiError> {
    let Some((action, numbers)) = pending(history) else {
        return Ok("There's nothing waiting for a yes, so I changed nothing.".to_owned());
    };
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let mut left = Vec::new();
    for number in numbers {
        if tools.steps_left() == 0 {
            left.push(number);
            continue;
        }
        let outcome = match action {
            BulkAction::Delete => {
                tools
                    .call_with("delete_task", &TaskArgs::number(number))
                    .await?
            }
            BulkAction::Complete => {
                let args = CompleteTaskArgs {
                    task_id: TaskId::Number(number),
                    completed: Some(true),
                    user_id: None,
                };
                tools.call_with("complete_task", &args).await?
            }
        };
        if outcome.ok {
            done.push(format!("#{number}"));
        } else {
            failed.push(format!("#{number}"));
        }
    }
    let past = match action {
        BulkAction::Delete => "Deleted",
        BulkAction::Complete => "Completed",
    };
    let mut lines = Vec::new();
    if !done.is_empty() {
        lines.push(format!("{past} {}.", done.join(", ")));
    }
    if !failed.is_empty() {
        lines.push(format!(
            "Couldn't {} {} (gone already?).",
            action.verb(),
            failed.join(", ")
        ));
    }
    if !left.is_empty() {
        let numbers: Vec<String> = left.iter().map(|n| format!("#{n}")).collect();
        lines.push(format!("{} more to go.", left.len()));
        lines.push(format!(
            "{CONFIRM_LINE}{} {}{LINE_END}",
            action.verb(),
            numbers.join(", ")
        ));
    }
    if lines.is_empty() {
        lines.push("Nothing was changed.".to_owned());
    }
    Ok(lines.join("\n"))
}

/// The number a delete call names, if it names one by number.
#[must_use]
pub fn number_argument(arguments: &Value) -> Option<i64> {
    match arguments.get("task_id").or_else(|| arguments.get("id"))? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().trim_start_matches('#').parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assistant(content: &str) -> PastMessage {
        PastMessage {
            role: Role::Assistant,
            content: content.to_owned(),
            tool_calls: Vec::new(),
        }
    }

    #[test]
    fn a_question_names_its_tasks_on_its_last_line() {
        let tasks = [
            crate::chat::local::reply::sample(3, "buy #5 milk"),
            crate::chat::local::reply::sample(7, "call\nmom"),
        ];
        let asked = question(BulkAction::Delete, &tasks);
        assert_eq!(
            pending(&[assistant(&asked)]),
            Some((BulkAction::Delete, vec![3, 7]))
        );
        // Only the last message counts, and only an assistant's.
        let later = [assistant(&asked), assistant("Deleted #3.")];
        assert_eq!(pending(&later), None);
        let user = PastMessage {
            role: Role::User,
            ..assistant(&asked)
        };
        assert_eq!(pending(&[user]), None);
        assert!(question(BulkAction::Delete, &[]).contains("Nothing was changed"));
    }
}
