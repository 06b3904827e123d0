//! Carrying out a [`Command`] through the MCP tools, and saying what actually happened.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::command::{Change, Command, ListSpec, LocalDue, NewTaskSpec, TaskRef};
use super::reply::{self, TaskView, hashtags, repeats, when};
use crate::chat::tools::{ToolBox, ToolOutcome};
use crate::error::ApiError;
use crate::tasks::dates::resolve_local;
use crate::tasks::model::Priority;

/// Most tasks a listing shows; the reply says how many more there are.
const LIST_LIMIT: usize = 20;
/// Most candidates an ambiguous reference lists back.
const CHOICES: usize = 8;
/// The opening of the question asked when a reference is ambiguous; follow-ups look for it.
pub const WHICH_ONE: &str = "Which one do you mean:";

/// The clock and zone a turn is read in.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The current instant.
    pub now: DateTime<Utc>,
    /// The user's zone.
    pub tz: Tz,
}

impl Clock {
    fn instant(self, due: LocalDue) -> String {
        resolve_local(self.tz, due)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

/// Runs `command` and returns the reply.
///
/// # Errors
/// The tool session broke.
pub async fn run(command: Command, clock: Clock, tools: &mut ToolBox) -> Result<String, ApiError> {
    match command {
        Command::Add(spec) => add(spec, clock, tools).await,
        Command::List(spec) => list(&spec, clock, tools).await,
        Command::Complete(task) => set_done(&task, true, clock, tools).await,
        Command::Reopen(task) => set_done(&task, false, clock, tools).await,
        Command::Delete(task) => delete(&task, tools).await,
        Command::Update(task, change) => update(&task, change, clock, tools).await,
        Command::Stats => stats(tools).await,
        Command::Help => Ok(reply::HELP.to_owned()),
        Command::Greeting => Ok(format!(
            "Hi! I'm your task assistant. {}",
            "Tell me what to add or ask \"what's due today?\" — say \"help\" for more."
        )),
        Command::Thanks => Ok("You're welcome! Anything else?".to_owned()),
        Command::Incomplete(kind) => Ok(reply::incomplete(kind).to_owned()),
        Command::Unknown => Ok(reply::NOT_UNDERSTOOD.to_owned()),
    }
}

async fn add(spec: NewTaskSpec, clock: Clock, tools: &mut ToolBox) -> Result<String, ApiError> {
    let mut args = Map::new();
    args.insert("title".into(), json!(spec.title));
    if let Some(priority) = spec.priority {
        args.insert("priority".into(), json!(priority.as_str()));
    }
    if !spec.tags.is_empty() {
        args.insert("tags".into(), json!(spec.tags));
    }
    if let Some(due) = spec.due {
        args.insert("due_date".into(), json!(clock.instant(due)));
    }
    if let Some(repeat) = spec.repeat {
        args.insert("is_recurring".into(), json!(true));
        args.insert("recurrence_pattern".into(), json!(repeat.pattern.as_str()));
        args.insert("recurrence_interval".into(), json!(repeat.interval));
    }
    let outcome = tools.call("add_task", Value::Object(args)).await?;
    Ok(match task_of(&outcome) {
        Some(task) => format!("Added {}.", task.describe(clock.tz, clock.now)),
        None => reply::failure(outcome.error_message()),
    })
}

async fn list(spec: &ListSpec, clock: Clock, tools: &mut ToolBox) -> Result<String, ApiError> {
    let mut args = Map::new();
    if let Some(status) = spec.status {
        args.insert("status".into(), json!(status));
    }
    if spec.overdue {
        args.insert("overdue".into(), json!(true));
    }
    if let Some(priority) = spec.priority {
        args.insert("priority".into(), json!(priority.as_str()));
    }
    if !spec.tags.is_empty() {
        args.insert("tags".into(), json!(spec.tags));
    }
    if let Some(q) = &spec.q {
        args.insert("q".into(), json!(q));
    }
    if let Some(after) = &spec.due_after {
        args.insert("due_after".into(), json!(after));
    }
    if let Some(before) = &spec.due_before {
        args.insert("due_before".into(), json!(before));
    }
    let by_due = spec.overdue || spec.due_before.is_some();
    args.insert(
        "sort".into(),
        json!(if by_due { "due_date" } else { "number" }),
    );
    args.insert("order".into(), json!("asc"));
    args.insert("limit".into(), json!(LIST_LIMIT));
    let outcome = tools.call("list_tasks", Value::Object(args)).await?;
    let Some((tasks, total)) = page_of(&outcome) else {
        return Ok(reply::failure(outcome.error_message()));
    };
    if tasks.is_empty() {
        return Ok(if spec.label.is_empty() {
            "You have no tasks yet. Try \"add buy milk tomorrow\".".to_owned()
        } else {
            format!("No {}.", tasks_named(&spec.label, "tasks"))
        });
    }
    let noun = if total == 1 { "task" } else { "tasks" };
    let mut lines = vec![format!(
        "You have {total} {}:",
        tasks_named(&spec.label, noun)
    )];
    lines.extend(tasks.iter().map(|t| t.line(clock.tz, clock.now)));
    let more = total - i64::try_from(tasks.len()).unwrap_or(total);
    if more > 0 {
        lines.push(format!("…and {more} more."));
    }
    Ok(lines.join("\n"))
}

/// "overdue high priority tasks due today tagged #work": adjectives before the noun, phrases
/// ("due …", "tagged …", "matching …") after it.
#[must_use]
pub fn tasks_named(label: &str, noun: &str) -> String {
    // Whole words only: "overdue" must not read as "due".
    let padded = format!(" {label}");
    let split = [" due ", " tagged ", " matching "]
        .iter()
        .filter_map(|phrase| padded.find(phrase))
        .min()
        .unwrap_or(label.len());
    let (before, after) = label.split_at(split);
    [before.trim(), noun, after.trim()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn set_done(
    task: &TaskRef,
    done: bool,
    clock: Clock,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::Completed(!done), tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    if found.completed == done {
        return Ok(if done {
            format!("{} is already done.", found.name())
        } else {
            format!(
                "{} is not done yet, so there is nothing to reopen.",
                found.name()
            )
        });
    }
    let outcome = tools
        .call(
            "complete_task",
            json!({ "task_id": found.number, "completed": done }),
        )
        .await?;
    let Some(updated) = task_of(&outcome) else {
        return Ok(reply::failure(outcome.error_message()));
    };
    if !done {
        return Ok(format!(
            "Reopened {}.",
            updated.describe(clock.tz, clock.now)
        ));
    }
    let next = outcome
        .value
        .get("next_occurrence")
        .and_then(TaskView::from_value);
    Ok(match next {
        Some(next) => format!(
            "Done: {}. Next one: {}.",
            updated.name(),
            next.describe(clock.tz, clock.now)
        ),
        None => format!("Done: {}. Nice work!", updated.name()),
    })
}

async fn delete(task: &TaskRef, tools: &mut ToolBox) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::ExactTitle, tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let outcome = tools
        .call("delete_task", json!({ "task_id": found.number }))
        .await?;
    Ok(if outcome.ok {
        format!("Deleted {}.", found.name())
    } else {
        reply::failure(outcome.error_message())
    })
}

async fn update(
    task: &TaskRef,
    change: Change,
    clock: Clock,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::ExactTitle, tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let mut args = Map::new();
    args.insert("task_id".into(), json!(found.number));
    match &change {
        Change::Rename(title) => {
            args.insert("title".into(), json!(title));
        }
        Change::Priority(priority) => {
            args.insert("priority".into(), json!(priority.as_str()));
        }
        Change::Due(due) => {
            args.insert("due_date".into(), json!(clock.instant(*due)));
        }
        Change::ClearDue => {
            if found.due_date.is_none() {
                return Ok(format!("{} has no due date.", found.name()));
            }
            args.insert("due_date".into(), Value::Null);
        }
        Change::AddTags(tags) => {
            let mut all = found.tags.clone();
            all.extend(tags.iter().filter(|t| !found.tags.contains(t)).cloned());
            args.insert("tags".into(), json!(all));
        }
        Change::RemoveTags(tags) => {
            if !tags.iter().any(|t| found.tags.contains(t)) {
                return Ok(format!("{} isn't tagged {}.", found.name(), hashtags(tags)));
            }
            let kept: Vec<&String> = found.tags.iter().filter(|t| !tags.contains(t)).collect();
            args.insert("tags".into(), json!(kept));
        }
        Change::Repeat(repeat) => {
            args.insert("is_recurring".into(), json!(true));
            args.insert("recurrence_pattern".into(), json!(repeat.pattern.as_str()));
            args.insert("recurrence_interval".into(), json!(repeat.interval));
        }
        Change::StopRepeat => {
            args.insert("is_recurring".into(), json!(false));
        }
    }
    let outcome = tools.call("update_task", Value::Object(args)).await?;
    let Some(updated) = task_of(&outcome) else {
        return Ok(reply::failure(outcome.error_message()));
    };
    let name = updated.name();
    Ok(match change {
        Change::Rename(_) => format!("Renamed #{} to \"{}\".", updated.number, updated.title),
        Change::Priority(Priority::None) => format!("{name} no longer has a priority."),
        Change::Priority(p) => format!("{name} is now {} priority.", p.as_str().to_lowercase()),
        Change::Due(_) => match updated.due_date {
            Some(due) => format!("{name} is now due {}.", when(due, clock.tz, clock.now)),
            None => format!("{name} has no due date."),
        },
        Change::ClearDue => format!("{name} no longer has a due date."),
        Change::AddTags(_) | Change::RemoveTags(_) if updated.tags.is_empty() => {
            format!("{name} has no tags now.")
        }
        Change::AddTags(_) | Change::RemoveTags(_) => {
            format!("{name} is now tagged {}.", hashtags(&updated.tags))
        }
        Change::Repeat(r) => format!("{name} now {}.", repeats(r.pattern, r.interval)),
        Change::StopRepeat => format!("{name} no longer repeats."),
    })
}

async fn stats(tools: &mut ToolBox) -> Result<String, ApiError> {
    let mut totals = Vec::new();
    for filter in [
        json!({ "status": "pending", "limit": 1 }),
        json!({ "status": "completed", "limit": 1 }),
        json!({ "overdue": true, "limit": 1 }),
    ] {
        let outcome = tools.call("list_tasks", filter).await?;
        match page_of(&outcome) {
            Some((_, total)) => totals.push(total),
            None => return Ok(reply::failure(outcome.error_message())),
        }
    }
    let [pending, completed, overdue] = totals[..] else {
        return Ok(reply::failure(None));
    };
    let total = pending + completed;
    if total == 0 {
        return Ok("You have no tasks yet. Try \"add buy milk tomorrow\".".to_owned());
    }
    let percent = completed * 100 / total;
    let late = if overdue > 0 {
        format!(" ({overdue} overdue)")
    } else {
        String::new()
    };
    let cheer = match percent {
        100 => "All done — well done!",
        50..=99 => "More than halfway there!",
        _ => "Keep going!",
    };
    Ok(format!(
        "You have {total} tasks: {pending} pending{late} and {completed} completed — {percent}% done. {cheer}"
    ))
}

/// How a command settles which of several matching tasks it is about.
#[derive(Debug, Clone, Copy)]
enum Prefer {
    /// Complete and reopen: only a task whose `completed` is this can change, so those win
    /// over the others; then an exact title.
    Completed(bool),
    /// Delete and update: any matching task could be meant, and guessing wrong loses or
    /// changes the wrong one, so only an exact title settles it.
    ExactTitle,
}

/// Finds the one task `task` names, or the sentence to answer instead (none found, or which
/// one of several).
async fn resolve(
    task: &TaskRef,
    prefer: Prefer,
    tools: &mut ToolBox,
) -> Result<Result<TaskView, String>, ApiError> {
    match task {
        TaskRef::Number(number) => {
            let outcome = tools.call("get_task", json!({ "task_id": number })).await?;
            Ok(task_of(&outcome).ok_or_else(|| {
                if outcome
                    .error_message()
                    .is_some_and(|m| m.contains("not found"))
                {
                    format!("I couldn't find task #{number}. Say \"list my tasks\" to see their numbers.")
                } else {
                    reply::failure(outcome.error_message())
                }
            }))
        }
        TaskRef::Text(fragment) => {
            // `q` also searches descriptions and inside words; a task is only named by whole
            // words of its title ("art" never names "Start the car").
            let wanted = words_of(fragment);
            let mut candidates: Vec<TaskView> = search(
                tools,
                json!({ "q": fragment, "sort": "number", "order": "asc", "limit": 100 }),
            )
            .await?
            .into_iter()
            .filter(|t| names_in_order(&words_of(&t.title), &wanted))
            .collect();
            if candidates.is_empty() {
                // "the dentist" for "Dentist appointment" matched already; this catches words
                // out of order ("report write" for "write report").
                let words: Vec<String> = wanted
                    .iter()
                    .filter(|w| w.chars().count() > 2)
                    .cloned()
                    .collect();
                if words.len() > 1 {
                    let first = words.first().cloned().unwrap_or_default();
                    candidates = search(
                        tools,
                        json!({ "q": first, "sort": "number", "order": "asc", "limit": 100 }),
                    )
                    .await?
                    .into_iter()
                    .filter(|t| {
                        let title = words_of(&t.title);
                        words
                            .iter()
                            .all(|w| title.iter().any(|word| same_word(word, w)))
                    })
                    .collect();
                }
            }
            Ok(pick(candidates, fragment, prefer))
        }
    }
}

async fn search(tools: &mut ToolBox, args: Value) -> Result<Vec<TaskView>, ApiError> {
    let outcome = tools.call("list_tasks", args).await?;
    Ok(page_of(&outcome)
        .map(|(tasks, _)| tasks)
        .unwrap_or_default())
}

/// Case-insensitive in any script: "MÜSLI" names "müsli kaufen".
fn folded(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The folded words of a title or a reference, split at anything not a letter or digit
/// ("mom's" → "mom", "s").
fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The same word, or one the plural of the other ("letter" and "letters", "box" and "boxes").
fn same_word(a: &str, b: &str) -> bool {
    let plural_of = |plural: &str, single: &str| {
        plural
            .strip_prefix(single)
            .is_some_and(|rest| rest == "s" || rest == "es")
    };
    a == b || plural_of(a, b) || plural_of(b, a)
}

/// Whether `wanted` appears in `title` as consecutive whole words.
fn names_in_order(title: &[String], wanted: &[String]) -> bool {
    !wanted.is_empty()
        && title
            .windows(wanted.len())
            .any(|run| run.iter().zip(wanted).all(|(word, w)| same_word(word, w)))
}

/// Chooses among the tasks a fragment matched (see [`Prefer`]); several left means asking
/// back.
fn pick(candidates: Vec<TaskView>, fragment: &str, prefer: Prefer) -> Result<TaskView, String> {
    if candidates.is_empty() {
        return Err(format!(
            "I couldn't find a task matching \"{fragment}\". Say \"list my tasks\" to see them."
        ));
    }
    let pool = match prefer {
        Prefer::Completed(wanted) if candidates.iter().any(|t| t.completed == wanted) => candidates
            .into_iter()
            .filter(|t| t.completed == wanted)
            .collect(),
        Prefer::Completed(_) | Prefer::ExactTitle => candidates,
    };
    let wanted = folded(fragment);
    let exact: Vec<&TaskView> = pool.iter().filter(|t| folded(&t.title) == wanted).collect();
    if let [one] = exact.as_slice() {
        return Ok((*one).clone());
    }
    match pool.as_slice() {
        [one] => Ok(one.clone()),
        many => {
            let listed: Vec<String> = many
                .iter()
                .take(CHOICES)
                .map(|t| format!("#{} {}", t.number, t.title))
                .collect();
            let more = if many.len() > CHOICES { ", …" } else { "" };
            Err(format!("{WHICH_ONE} {}{more}?", listed.join(", ")))
        }
    }
}

fn task_of(outcome: &ToolOutcome) -> Option<TaskView> {
    outcome
        .ok
        .then(|| TaskView::from_value(&outcome.value))
        .flatten()
}

fn page_of(outcome: &ToolOutcome) -> Option<(Vec<TaskView>, i64)> {
    if !outcome.ok {
        return None;
    }
    let tasks = outcome
        .value
        .get("tasks")?
        .as_array()?
        .iter()
        .filter_map(TaskView::from_value)
        .collect();
    let total = outcome.value.get("total")?.as_i64()?;
    Some((tasks, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(title: &str, reference: &str) -> bool {
        names_in_order(&words_of(title), &words_of(reference))
    }

    #[test]
    fn a_reference_names_whole_words_of_a_title_in_order() {
        assert!(names("Post the letter", "letter"));
        assert!(names("Post the letters", "the letter"));
        assert!(names("Call mom's dentist", "mom"));
        assert!(names("Pack two boxes", "box"));
        assert!(names("MÜSLI kaufen", "müsli"));
    }

    #[test]
    fn a_reference_never_matches_inside_a_word() {
        assert!(!names("Start the car", "art"));
        assert!(!names("Submit report", "it"));
        assert!(!names("Buy milkshake", "milk"));
        assert!(!names("letter post", "post letter"));
        assert!(!names("anything", ""));
    }
}
