//! Carrying out a [`Command`] through the MCP tools, and saying what actually happened.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::command::{Change, Command, ListSpec, LocalDue, NewTaskSpec, TaskRef};
use super::context;
use super::filing::{self, Lookup};
use super::membership;
use super::reply::{self, Spoken, hashtags, repeats, when};
use super::resolve::{Prefer, Shown, resolve};
use crate::chat::agent::PastMessage;
use crate::chat::tools::{ToolBox, ToolOutcome};
use crate::error::ApiError;
use crate::mcp::server::{
    AddTaskArgs, CompleteTaskArgs, ListTasksArgs, TaskArgs, TaskId, TaskList, UpdateTaskArgs,
};
use crate::tasks::dates::resolve_local;
use crate::tasks::listing::{SortKey, SortOrder};
use crate::tasks::model::{
    CompletedTask, DueDateInput, NewTask, Priority, StatusFilter, Task, TaskPatch,
};
use crate::tasks::query::ListTasks;

/// Most tasks a listing shows; the reply says how many more there are.
const LIST_LIMIT: i64 = 20;
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
    fn instant(self, due: LocalDue) -> DueDateInput {
        utc(resolve_local(self.tz, due))
    }
}

/// Runs `command`, reading pointers, confirmations and `undo` from `history`, and returns
/// the reply.
///
/// # Errors
/// The tool session broke.
pub async fn run(
    command: Command,
    clock: Clock,
    history: &[PastMessage],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let shown = context::referents(history, tools.user_id());
    match command {
        Command::Add(spec) => add(spec, clock, tools).await,
        Command::List(spec) => list(&spec, clock, tools).await,
        Command::Show(task) => Ok(
            match resolve(&task, Prefer::ExactTitle, &shown, tools).await? {
                Ok(found) => {
                    let mut line = found.describe(clock.tz, clock.now);
                    if found.completed {
                        line.push_str(", done");
                    }
                    match found.description.as_deref() {
                        Some(note) if !note.is_empty() => format!("{line}. Note: {note}"),
                        _ => format!("{line}."),
                    }
                }
                Err(answer) => answer,
            },
        ),
        Command::Complete(task) => set_done(&task, true, clock, &shown, tools).await,
        Command::Reopen(task) => set_done(&task, false, clock, &shown, tools).await,
        Command::Delete(task) => delete(&task, &shown, tools).await,
        Command::Update(task, change) => update(&task, change, clock, &shown, tools).await,
        Command::MoveTo(task, list) => filing::move_to(&task, &list, &shown, tools).await,
        Command::Projects => filing::projects(tools).await,
        Command::NewProject(name) => filing::create(name, tools).await,
        Command::Share { list, email, role } => filing::share(&list, &email, role, tools).await,
        Command::Members(list) => membership::members(&list, tools).await,
        Command::Unshare { list, email } => {
            membership::unshare(&list, email.as_deref(), tools).await
        }
        Command::ChangeRole { list, email, role } => {
            membership::change_role(&list, &email, role, tools).await
        }
        Command::Leave(list) => membership::leave(&list, tools).await,
        Command::Bulk(action, spec) => super::bulk::ask(action, &spec, tools).await,
        Command::Confirm => match membership::pending(history) {
            Some(change) => membership::confirm(change, tools).await,
            None => super::bulk::confirm(history, tools).await,
        },
        Command::Undo => super::undo::undo(history, clock, tools).await,
        Command::Declined => Ok(reply::DECLINED.to_owned()),
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
    // "milk to Groceries": a project only when the user has one of that name; else the words
    // stay in the title ("call to mom"), unless they were said as a list ("to my Errands
    // list"), which is answered rather than guessed.
    let (title, project) = match spec.to_list {
        None => (spec.title, None),
        Some(to) => match filing::lookup(&to.list.name, tools).await? {
            Ok(Lookup::Found(project)) => (to.title, Some(project)),
            // A token that may add but not read lists still adds, as it did before lists.
            Ok(Lookup::Missing) | Err(_) if !to.list.explicit => (spec.title, None),
            Ok(Lookup::Missing) => return Ok(filing::missing(&to.list)),
            Ok(Lookup::Several) => return Ok(filing::several(&to.list)),
            Err(answer) => return Ok(answer),
        },
    };
    let task = NewTask {
        title: Some(title),
        priority: spec.priority,
        tags: (!spec.tags.is_empty()).then_some(spec.tags),
        due_date: spec.due.map(|due| clock.instant(due)),
        is_recurring: spec.repeat.map(|_| true),
        recurrence_pattern: spec.repeat.map(|r| r.pattern),
        recurrence_interval: spec.repeat.map(|r| r.interval),
        project_id: project.as_ref().map(|p| p.id),
        ..NewTask::default()
    };
    let args = AddTaskArgs {
        task,
        project: None,
        parent: spec.parent.map(TaskId::Number),
        user_id: None,
    };
    let outcome = tools.call_with("add_task", &args).await?;
    if let Some(project) = project.as_ref().filter(|p| !p.role.writes_tasks())
        && task_of(&outcome).is_none()
    {
        return Ok(format!(
            "You can only view \"{}\" (it was shared with you as a viewer), so I added \
             nothing.",
            project.name
        ));
    }
    Ok(match (task_of(&outcome), project, spec.parent) {
        (Some(task), _, Some(parent)) => format!(
            "Added a subtask of #{parent}: {}.",
            task.describe(clock.tz, clock.now)
        ),
        (Some(task), Some(project), None) => format!(
            "Added to {}: {}.",
            project.name,
            task.describe(clock.tz, clock.now)
        ),
        (Some(task), None, None) => format!("Added {}.", task.describe(clock.tz, clock.now)),
        (None, ..) => reply::failure(outcome.error_message()),
    })
}

async fn list(spec: &ListSpec, clock: Clock, tools: &mut ToolBox) -> Result<String, ApiError> {
    // "what's in my Work list"; a closing "in Work" that names no list is read as before.
    let project = match &spec.project {
        None => None,
        Some(list) => match filing::lookup(&list.name, tools).await? {
            Ok(Lookup::Found(project)) => Some(project),
            Ok(Lookup::Missing) if !list.explicit => None,
            Ok(Lookup::Missing) => return Ok(filing::missing(list)),
            Ok(Lookup::Several) => return Ok(filing::several(list)),
            Err(answer) => return Ok(answer),
        },
    };
    let by_due = spec.overdue || spec.due_before.is_some();
    let list = ListTasks {
        status: spec.status,
        overdue: spec.overdue.then_some(true),
        priority: spec.priority,
        tags: spec.tags.clone(),
        q: spec.q.clone(),
        due_after: spec.due_after.clone(),
        due_before: spec.due_before.clone(),
        sort: Some(if by_due {
            SortKey::DueDate
        } else {
            SortKey::Number
        }),
        order: Some(SortOrder::Asc),
        limit: Some(LIST_LIMIT),
        project_id: project.as_ref().map(|p| p.id),
        ..ListTasks::default()
    };
    let outcome = tools
        .call_with("list_tasks", &ListTasksArgs::from(list))
        .await?;
    let Some((tasks, total)) = page_of(&outcome) else {
        return Ok(reply::failure(outcome.error_message()));
    };
    let place = project
        .as_ref()
        .map_or_else(String::new, |p| format!(" in {}", p.name));
    if tasks.is_empty() {
        return Ok(if spec.label.is_empty() && project.is_none() {
            "You have no tasks yet. Try \"add buy milk tomorrow\".".to_owned()
        } else {
            format!("No {}{place}.", tasks_named(&spec.label, "tasks"))
        });
    }
    let noun = if total == 1 { "task" } else { "tasks" };
    let mut lines = vec![format!(
        "You have {total} {}{place}:",
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
    shown: &[Shown],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::Completed(!done), shown, tools).await? {
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
    let args = CompleteTaskArgs {
        task_id: TaskId::Number(found.number),
        completed: Some(done),
        user_id: None,
    };
    let outcome = tools.call_with("complete_task", &args).await?;
    let Some(CompletedTask {
        task: updated,
        next_occurrence: next,
    }) = outcome.read()
    else {
        return Ok(reply::failure(outcome.error_message()));
    };
    if !done {
        return Ok(format!(
            "Reopened {}.",
            updated.describe(clock.tz, clock.now)
        ));
    }
    Ok(match next {
        Some(next) => format!(
            "Done: {}. Next one: {}.",
            updated.name(),
            next.describe(clock.tz, clock.now)
        ),
        None => format!("Done: {}. Nice work!", updated.name()),
    })
}

async fn delete(task: &TaskRef, shown: &[Shown], tools: &mut ToolBox) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::ExactTitle, shown, tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let outcome = tools
        .call_with("delete_task", &TaskArgs::number(found.number))
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
    shown: &[Shown],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let found = match resolve(task, Prefer::ExactTitle, shown, tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let mut changes = TaskPatch::default();
    match &change {
        Change::Rename(title) => {
            changes.title = Some(Some(title.clone()));
        }
        Change::Priority(priority) => {
            changes.priority = Some(Some(*priority));
        }
        Change::Due(due) => {
            changes.due_date = Some(Some(clock.instant(*due)));
        }
        Change::ClearDue => {
            if found.due_date.is_none() {
                return Ok(format!("{} has no due date.", found.name()));
            }
            changes.due_date = Some(None);
        }
        Change::AddTags(tags) => {
            let mut all = found.tags.clone();
            all.extend(tags.iter().filter(|t| !found.tags.contains(t)).cloned());
            changes.tags = Some(Some(all));
        }
        Change::RemoveTags(tags) => {
            if !tags.iter().any(|t| found.tags.contains(t)) {
                return Ok(format!("{} isn't tagged {}.", found.name(), hashtags(tags)));
            }
            let kept = found.tags.iter().filter(|t| !tags.contains(t));
            changes.tags = Some(Some(kept.cloned().collect()));
        }
        Change::Repeat(repeat) => {
            changes.is_recurring = Some(true);
            changes.recurrence_pattern = Some(Some(repeat.pattern));
            changes.recurrence_interval = Some(repeat.interval);
        }
        Change::RepeatFrom(repeat, first) => {
            changes.is_recurring = Some(true);
            changes.recurrence_pattern = Some(Some(repeat.pattern));
            changes.recurrence_interval = Some(repeat.interval);
            changes.due_date = Some(Some(clock.instant(*first)));
        }
        Change::StopRepeat => {
            if !found.is_recurring {
                return Ok(format!("{} doesn't repeat.", found.name()));
            }
            changes.is_recurring = Some(false);
        }
        Change::Describe(note) => {
            changes.description = Some(Some(note.clone()));
        }
        Change::Shift(days) => {
            let base = found.due_date.unwrap_or_else(|| {
                resolve_local(
                    clock.tz,
                    clock
                        .now
                        .with_timezone(&clock.tz)
                        .date_naive()
                        .and_time(super::when::end_of_day()),
                )
            });
            let moved = base + chrono::TimeDelta::days(*days);
            changes.due_date = Some(Some(utc(moved)));
        }
    }
    let args = UpdateTaskArgs {
        task_id: TaskId::Number(found.number),
        user_id: None,
        changes,
        project: None,
        parent: None,
    };
    let outcome = tools.call_with("update_task", &args).await?;
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
        Change::RepeatFrom(r, _) => match updated.due_date {
            Some(due) => format!(
                "{name} now {}, next due {}.",
                repeats(r.pattern, r.interval),
                when(due, clock.tz, clock.now)
            ),
            None => format!("{name} now {}.", repeats(r.pattern, r.interval)),
        },
        Change::StopRepeat => format!("{name} no longer repeats."),
        Change::Describe(_) => format!(
            "{name} now has the note \"{}\".",
            updated.description.as_deref().unwrap_or_default()
        ),
        Change::Shift(_) => match updated.due_date {
            Some(due) => format!("{name} is now due {}.", when(due, clock.tz, clock.now)),
            None => format!("{name} has no due date."),
        },
    })
}

async fn stats(tools: &mut ToolBox) -> Result<String, ApiError> {
    let mut totals = Vec::new();
    let count = |list: ListTasks| {
        ListTasksArgs::from(ListTasks {
            limit: Some(1),
            ..list
        })
    };
    for filter in [
        count(ListTasks {
            status: Some(StatusFilter::Pending),
            ..ListTasks::default()
        }),
        count(ListTasks {
            status: Some(StatusFilter::Completed),
            ..ListTasks::default()
        }),
        count(ListTasks {
            overdue: Some(true),
            ..ListTasks::default()
        }),
    ] {
        let outcome = tools.call_with("list_tasks", &filter).await?;
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

/// The task a successful tool call returned.
pub fn task_of(outcome: &ToolOutcome) -> Option<Task> {
    outcome.read()
}

/// The tasks and total of a successful `list_tasks` call.
pub fn page_of(outcome: &ToolOutcome) -> Option<(Vec<Task>, i64)> {
    outcome
        .read::<TaskList>()
        .map(|page| (page.tasks, page.total))
}

/// An instant as the tools take it: RFC 3339 in UTC, to the second.
fn utc(instant: DateTime<Utc>) -> DueDateInput {
    DueDateInput(instant.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
