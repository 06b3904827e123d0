//! Finding the one task a reference names, or the question to ask instead. Titles are named by
//! whole words (stemmed: "letters" names "letter", "posted" names "post"), never by pieces of
//! words; pointing words name only what the conversation's last turn named or showed.

use super::command::TaskRef;
use super::execute::{WHICH_ONE, page_of, task_of};
use super::reply;
use super::stem::stem;
use crate::chat::tools::ToolBox;
use crate::error::ApiError;
use crate::mcp::server::{ListTasksArgs, TaskArgs};
use crate::tasks::listing::{SortKey, SortOrder};
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::query::ListTasks;

/// Most candidates an ambiguous reference lists back.
const CHOICES: usize = 8;
/// Most tasks read when a reference has to be matched word by word.
const SCAN: i64 = 200;

/// Words that never name a task on their own, in titles and references alike.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "the", "a", "an", "my", "to", "of", "for", "with", "and", "at", "on", "in", "up", "out", "off",
    "our", "your", "from", "by", "s",
];

/// Words of a statement of what was done that say nothing about which task ("I finally …").
#[rustfmt::skip]
const NEWS_WORDS: &[&str] = &[
    "i", "me", "it", "is", "was", "this", "that", "just", "finally", "already", "today",
    "yesterday", "now", "all", "also", "so", "we", "ve", "have", "earlier", "morning", "tonight",
    "overnight", "back", "again", "too", "well",
];

/// How a command settles which of several matching tasks it is about.
#[derive(Debug, Clone, Copy)]
pub enum Prefer {
    /// Complete and reopen: only a task whose `completed` is this can change, so those win
    /// over the others; then an exact title.
    Completed(bool),
    /// Delete and update: any matching task could be meant, and guessing wrong loses or
    /// changes the wrong one, so only an exact title settles it.
    ExactTitle,
}

/// One level of how well a title fits a statement.
type Tier<'a> = dyn Fn(&[String]) -> bool + 'a;

/// A task the conversation's last turn named or showed: its number and title.
pub type Shown = (i64, String);

/// Finds the one task `task` names, or the sentence to answer instead (none found, which one
/// of several, or what "it" is). `shown` are the tasks pointing words may mean.
///
/// # Errors
/// The tool session broke.
pub async fn resolve(
    task: &TaskRef,
    prefer: Prefer,
    shown: &[Shown],
    tools: &mut ToolBox,
) -> Result<Result<Task, String>, ApiError> {
    match task {
        TaskRef::Number(number) => by_number(*number, tools).await,
        TaskRef::Previous => match shown {
            [] => Ok(Err(
                "Which task do you mean? Nothing in this conversation tells me what that refers \
                 to, so I changed nothing. Say its number (\"task 3\") or words of its title."
                    .to_owned(),
            )),
            [(number, _)] => by_number(*number, tools).await,
            many => Ok(Err(which_one(
                many.iter().map(|(n, title)| (*n, title.as_str())),
                many.len(),
            ))),
        },
        TaskRef::Nth(place) => match shown.get(*place) {
            Some((number, _)) if shown.len() > 1 || *place == 0 => by_number(*number, tools).await,
            _ => Ok(Err(
                "Which task do you mean? Nothing shown in this conversation has that place, so I \
                 changed nothing. Say its number (\"task 3\") or words of its title."
                    .to_owned(),
            )),
        },
        TaskRef::Invalid(said) => Ok(Err(format!(
            "\"{said}\" can't be a task number: numbers are whole and start at 1. Which task do \
             you mean? Say e.g. \"task 3\", or \"list my tasks\" to see them."
        ))),
        TaskRef::Text(fragment) => {
            let candidates = by_words(fragment, tools).await?;
            Ok(pick(candidates, fragment, prefer))
        }
        TaskRef::Said(statement) => {
            let candidates = by_statement(statement, prefer, tools).await?;
            Ok(pick(candidates, statement, prefer))
        }
    }
}

async fn by_number(number: i64, tools: &mut ToolBox) -> Result<Result<Task, String>, ApiError> {
    let outcome = tools
        .call_with("get_task", &TaskArgs::number(number))
        .await?;
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

/// Tasks whose title holds the fragment's words: in order first, then in any order.
async fn by_words(fragment: &str, tools: &mut ToolBox) -> Result<Vec<Task>, ApiError> {
    // `q` also searches descriptions and inside words; a task is only named by whole words of
    // its title ("art" never names "Start the car").
    let wanted = words_of(fragment);
    let in_order: Vec<Task> = search(tools, oldest_first(Some(fragment.to_owned()), 100))
        .await?
        .into_iter()
        .filter(|t| names_in_order(&words_of(&t.title), &wanted))
        .collect();
    if !in_order.is_empty() {
        return Ok(in_order);
    }
    // "report write" for "write report", "letters" for "letter": every significant word, as
    // a stem, among the title's words.
    let significant = significant(&wanted);
    let Some(longest) = significant.iter().max_by_key(|w| w.chars().count()) else {
        return Ok(Vec::new());
    };
    Ok(search(tools, oldest_first(Some(stem(longest)), SCAN))
        .await?
        .into_iter()
        .filter(|t| covers(&words_of(&t.title), &significant))
        .collect())
}

/// Tasks a statement of what was done describes: every significant word of the title is in
/// the statement ("I posted the letter to grandma" → "Post letter"), or every significant
/// word of the statement is in the title.
async fn by_statement(
    statement: &str,
    prefer: Prefer,
    tools: &mut ToolBox,
) -> Result<Vec<Task>, ApiError> {
    let said: Vec<String> = significant(&words_of(statement))
        .into_iter()
        .filter(|w| !NEWS_WORDS.contains(&w.as_str()))
        .collect();
    let mut args = oldest_first(None, SCAN);
    if let Prefer::Completed(done) = prefer {
        args.status = Some(if done {
            StatusFilter::Completed
        } else {
            StatusFilter::Pending
        });
    }
    // Best first: the same words; then a title the statement covers ("posted the letter to
    // grandma" → "Post letter"); then a title that covers the statement.
    let tasks = search(tools, args).await?;
    let tiers: [&Tier<'_>; 3] = [
        &|title| covers(&said, title) && covers(title, &said),
        &|title| covers(&said, title),
        &|title| covers(title, &said),
    ];
    for tier in tiers {
        let found: Vec<Task> = tasks
            .iter()
            .filter(|t| {
                let title = significant(&words_of(&t.title));
                !title.is_empty() && tier(&title)
            })
            .cloned()
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Tasks matching `q` (all when `None`), oldest first.
fn oldest_first(q: Option<String>, limit: i64) -> ListTasks {
    ListTasks {
        q,
        sort: Some(SortKey::Number),
        order: Some(SortOrder::Asc),
        limit: Some(limit),
        ..ListTasks::default()
    }
}

async fn search(tools: &mut ToolBox, list: ListTasks) -> Result<Vec<Task>, ApiError> {
    let outcome = tools
        .call_with("list_tasks", &ListTasksArgs::from(list))
        .await?;
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
#[must_use]
pub fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn significant(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// The same word, or another form of it ("letter" and "letters", "posted" and "post").
#[must_use]
pub fn same_word(a: &str, b: &str) -> bool {
    a == b || stem(a) == stem(b)
}

/// Whether every one of `wanted` is among `words`.
#[must_use]
pub fn covers(words: &[String], wanted: &[String]) -> bool {
    !wanted.is_empty()
        && wanted
            .iter()
            .all(|w| words.iter().any(|word| same_word(word, w)))
}

/// Whether `wanted` appears in `title` as consecutive whole words.
#[must_use]
pub fn names_in_order(title: &[String], wanted: &[String]) -> bool {
    !wanted.is_empty()
        && title
            .windows(wanted.len())
            .any(|run| run.iter().zip(wanted).all(|(word, w)| same_word(word, w)))
}

/// "Which one do you mean: #2 buy milk, #5 buy milk powder?"
fn which_one<'t>(tasks: impl Iterator<Item = (i64, &'t str)>, count: usize) -> String {
    let listed: Vec<String> = tasks
        .take(CHOICES)
        .map(|(number, title)| format!("#{number} {title}"))
        .collect();
    let more = if count > CHOICES { ", …" } else { "" };
    format!("{WHICH_ONE} {}{more}?", listed.join(", "))
}

/// Chooses among the tasks a fragment matched (see [`Prefer`]); several left means asking
/// back.
fn pick(candidates: Vec<Task>, fragment: &str, prefer: Prefer) -> Result<Task, String> {
    if candidates.is_empty() {
        return Err(format!(
            "I couldn't find a task matching \"{fragment}\", so I changed nothing. Say \"list my \
             tasks\" to see them."
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
    let exact: Vec<&Task> = pool.iter().filter(|t| folded(&t.title) == wanted).collect();
    if let [one] = exact.as_slice() {
        return Ok((*one).clone());
    }
    match pool.as_slice() {
        [one] => Ok(one.clone()),
        many => Err(which_one(
            many.iter().map(|t| (t.number, t.title.as_str())),
            many.len(),
        )),
    }
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
        assert!(names("Post the letter", "posted the letter"));
    }

    #[test]
    fn a_reference_never_matches_inside_a_word() {
        assert!(!names("Start the car", "art"));
        assert!(!names("Submit report", "it"));
        assert!(!names("Buy milkshake", "milk"));
        assert!(!names("letter post", "post letter"));
        assert!(!names("anything", ""));
    }

    #[test]
    fn statements_cover_titles() {
        let said = significant(&words_of("I finally paid the electricity bill"));
        assert!(covers(
            &said,
            &significant(&words_of("Pay electricity bill"))
        ));
        assert!(!covers(&said, &significant(&words_of("Pay water bill"))));
    }
}
