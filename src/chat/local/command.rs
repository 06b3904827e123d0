//! What a message asks for, as data: the output of [`super::grammar::parse`], the input of
//! [`super::execute`].

use chrono::NaiveDateTime;

use crate::projects::model::Role;
use crate::tasks::model::{Priority, RecurrencePattern, StatusFilter};

/// A task named in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// "task 3", "#3", "number 3", "3".
    Number(i64),
    /// A fragment of its title ("the milk task" → "milk").
    Text(String),
    /// A statement that the task is done ("posted the letter"): names a task whose title words
    /// all appear in it, or that holds all of its words.
    Said(String),
    /// Only pointing words ("it", "that one", "the last one"): the task the conversation's
    /// last turn named or showed, if there is exactly one.
    Previous,
    /// "the first one", "the second task": that place among the tasks the conversation's last
    /// turn showed (0-based).
    Nth(usize),
    /// Something that cannot be a task number ("0", "-1", "2.5", "a couple"): asked back.
    Invalid(String),
}

/// Which tasks a bulk request covers ("all completed tasks", "everything tagged #work").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BulkSpec {
    /// Pending or completed; `None` for all.
    pub status: Option<StatusFilter>,
    /// Only overdue ones.
    pub overdue: bool,
    /// Only tasks carrying these tags.
    pub tags: Vec<String>,
    /// Only tasks whose title holds these whole words.
    pub words: Vec<String>,
    /// Exactly these numbers ("delete tasks 3 and 4").
    pub numbers: Vec<i64>,
    /// Not tasks whose title holds these words ("everything except the milk").
    pub except: Vec<String>,
}

/// What a bulk request would do to each task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Delete them.
    Delete,
    /// Mark them done.
    Complete,
}

impl BulkAction {
    /// The verb, as the confirmation question and its answer spell it.
    #[must_use]
    pub const fn verb(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Complete => "complete",
        }
    }
}

/// A due date as the user's wall clock reads it; resolved in their zone when sent.
pub type LocalDue = NaiveDateTime;

/// How a task repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// Daily, weekly or monthly.
    pub pattern: RecurrencePattern,
    /// How many periods between occurrences.
    pub interval: i32,
}

/// A project (list) named in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListName {
    /// As said ("Groceries", "work"); matched ignoring case.
    pub name: String,
    /// Said as a list ("the Work list", "my Groceries project"). Otherwise ("to Groceries")
    /// the words name a project only when the user has one of that name; a name said as a
    /// list that the user has not is answered, never read as something else.
    pub explicit: bool,
}

/// The closing "to Groceries" of an add, which may name a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToList {
    /// The list.
    pub list: ListName,
    /// The title without the phrase, used when the list is one of the user's.
    pub title: String,
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewTaskSpec {
    /// What is left of the message once the other phrases are taken out.
    pub title: String,
    /// From "high priority", "urgent", ….
    pub priority: Option<Priority>,
    /// From `#tags`.
    pub tags: Vec<String>,
    /// From "tomorrow at 5pm", "next friday", ….
    pub due: Option<LocalDue>,
    /// From "every week", "daily", ….
    pub repeat: Option<Repeat>,
    /// From "… to Groceries", "… on the Work list"; `title` keeps those words in case they
    /// name no project.
    pub to_list: Option<ToList>,
    /// From "a subtask … to task 5": the number of the parent task.
    pub parent: Option<i64>,
}

/// Which tasks to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListSpec {
    /// Pending or completed; `None` for all.
    pub status: Option<StatusFilter>,
    /// Only past their due date (and pending).
    pub overdue: bool,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only tasks carrying all of these.
    pub tags: Vec<String>,
    /// Text to search for.
    pub q: Option<String>,
    /// Due on or after this local date (`YYYY-MM-DD`).
    pub due_after: Option<String>,
    /// Due on or before this local date (`YYYY-MM-DD`).
    pub due_before: Option<String>,
    /// How the user named the selection, for the reply ("due today", "overdue").
    pub label: String,
    /// Only the tasks of this project ("what's in my Work list").
    pub project: Option<ListName>,
}

/// One change to an existing task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new title.
    Rename(String),
    /// A new priority.
    Priority(Priority),
    /// A new due date.
    Due(LocalDue),
    /// No due date any more.
    ClearDue,
    /// Tags to add.
    AddTags(Vec<String>),
    /// Tags to take off.
    RemoveTags(Vec<String>),
    /// Make it repeat.
    Repeat(Repeat),
    /// Make it repeat, tied to a day ("every friday"): due on the first such day.
    RepeatFrom(Repeat, LocalDue),
    /// Stop it repeating.
    StopRepeat,
    /// A new description ("note: …").
    Describe(String),
    /// Move its due date by this many days (negative: earlier).
    Shift(i64),
}

/// What a message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Create a task.
    Add(NewTaskSpec),
    /// Show tasks.
    List(ListSpec),
    /// Show one task ("show task 2", "what's task 1?").
    Show(TaskRef),
    /// Mark a task done.
    Complete(TaskRef),
    /// Mark a task not done.
    Reopen(TaskRef),
    /// Delete a task.
    Delete(TaskRef),
    /// Change a task.
    Update(TaskRef, Change),
    /// Move a task to another project ("move task 3 to Work").
    MoveTo(TaskRef, ListName),
    /// The user's projects ("what lists do I have").
    Projects,
    /// Create a project ("create a list called Groceries").
    NewProject(String),
    /// Share a project with the tudu account of `email` ("share Groceries with
    /// sam@example.com as an editor").
    Share {
        /// The list to share.
        list: ListName,
        /// Their email, lower case.
        email: String,
        /// What they may do in it; editor unless said.
        role: Role,
    },
    /// Who a project is shared with ("who can see Groceries").
    Members(ListName),
    /// Stop sharing a project with the account of `email` ("remove sam@example.com from
    /// Groceries"); without an email, the question which member, and no change.
    Unshare {
        /// The list.
        list: ListName,
        /// Their email, lower case; `None` when the message named nobody.
        email: Option<String>,
    },
    /// Give a member another role; `Owner` hands the project to them.
    ChangeRole {
        /// The list.
        list: ListName,
        /// Their email, lower case.
        email: String,
        /// The new role.
        role: Role,
    },
    /// Leave a project someone shared with the user ("leave Groceries").
    Leave(ListName),
    /// Several tasks at once: never done in one turn, only listed with a question.
    Bulk(BulkAction, BulkSpec),
    /// "yes" to the question a bulk request asked.
    Confirm,
    /// Reverse the agent's last change in this conversation.
    Undo,
    /// A negated request ("don't delete it"): changes nothing.
    Declined,
    /// Counts of pending, completed and overdue tasks.
    Stats,
    /// What the agent understands.
    Help,
    /// "hi".
    Greeting,
    /// "thanks".
    Thanks,
    /// A command that needs a task but named none ("delete"), or an add without a title.
    Incomplete(&'static str),
    /// Anything else: changes nothing.
    Unknown,
}
