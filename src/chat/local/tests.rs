//! `parse` against a fixed clock: Friday 20 Nov 2026, 15:00 UTC (10:00 in New York).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use chrono_tz::UTC;
use proptest::prelude::*;

use super::command::{Change, Command, ListSpec, NewTaskSpec, Repeat, TaskRef};
use super::parse;
use crate::tasks::dates::resolve_local;
use crate::tasks::model::{Priority, RecurrencePattern, StatusFilter};

fn now() -> DateTime<Utc> {
    "2026-11-20T15:00:00Z".parse().expect("instant")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, s))
        .expect("valid date")
}

fn eod(y: i32, m: u32, d: u32) -> NaiveDateTime {
    at(y, m, d, 23, 59, 59)
}

fn add_in(message: &str, tz: Tz, clock: DateTime<Utc>) -> NewTaskSpec {
    match parse(message, clock, tz) {
        Command::Add(spec) => spec,
        other => panic!("{message:?} parsed as {other:?}"),
    }
}

fn add(message: &str) -> NewTaskSpec {
    add_in(message, UTC, now())
}

fn due_of(message: &str, tz: Tz) -> Option<NaiveDateTime> {
    add_in(message, tz, now()).due
}

fn cmd(message: &str) -> Command {
    parse(message, now(), UTC)
}

fn num(n: i64) -> TaskRef {
    TaskRef::Number(n)
}

fn text(s: &str) -> TaskRef {
    TaskRef::Text(s.to_owned())
}

#[test]
fn add_takes_the_rest_as_title() {
    let spec = add("add buy milk");
    assert_eq!(spec.title, "buy milk");
    assert_eq!((spec.priority, spec.due, spec.repeat), (None, None, None));
    assert_eq!(add("Please add Buy Milk.").title, "Buy Milk");
    assert_eq!(
        add("can you add a task to call the bank?").title,
        "call the bank"
    );
    assert_eq!(add("new task: write report").title, "write report");
    assert_eq!(add("add \"fix the bike\" to my list").title, "fix the bike");
}

#[test]
fn add_with_everything() {
    let spec = add("remind me to call mom tomorrow at 6pm, high priority");
    assert_eq!(spec.title, "call mom");
    assert_eq!(spec.priority, Some(Priority::High));
    assert_eq!(spec.due, Some(at(2026, 11, 21, 18, 0, 0)));

    let spec = add("create task pay rent on Dec 1 #bills");
    assert_eq!(spec.title, "pay rent");
    assert_eq!(spec.tags, ["bills"]);
    assert_eq!(spec.due, Some(eod(2026, 12, 1)));

    let spec = add("new task: write report due next friday urgent");
    assert_eq!(spec.title, "write report");
    assert_eq!(spec.priority, Some(Priority::High));
    assert_eq!(spec.due, Some(eod(2026, 11, 27)));
}

#[test]
fn priorities() {
    for (message, priority) in [
        ("add a urgent", Priority::High),
        ("add b important", Priority::High),
        ("add c with high priority", Priority::High),
        ("add d, low priority", Priority::Low),
        ("add e medium priority", Priority::Medium),
        ("add f priority: low", Priority::Low),
    ] {
        let spec = add(message);
        assert_eq!(spec.priority, Some(priority), "{message}");
        assert_eq!(spec.title.len(), 1, "{message}: {}", spec.title);
    }
}

#[test]
fn recurrence() {
    let rep = |pattern, interval| Some(Repeat { pattern, interval });
    for (message, pattern, interval) in [
        ("add water plants every week", RecurrencePattern::Weekly, 1),
        ("add stretch daily", RecurrencePattern::Daily, 1),
        ("add stretch every day", RecurrencePattern::Daily, 1),
        ("add pay rent monthly", RecurrencePattern::Monthly, 1),
        ("add pay rent every month", RecurrencePattern::Monthly, 1),
        ("add bins every 2 weeks", RecurrencePattern::Weekly, 2),
        ("add bins every other week", RecurrencePattern::Weekly, 2),
        ("add review weekly", RecurrencePattern::Weekly, 1),
    ] {
        assert_eq!(add(message).repeat, rep(pattern, interval), "{message}");
    }
    assert_eq!(add("add water plants every week").title, "water plants");
    let monday = add("add team sync every monday");
    assert_eq!(monday.title, "team sync");
    assert_eq!(monday.repeat, rep(RecurrencePattern::Weekly, 1));
    assert_eq!(monday.due, Some(eod(2026, 11, 23)));
}

#[test]
fn due_phrases_in_utc() {
    // Friday 20 Nov 2026, 15:00.
    let cases = [
        ("add x today", eod(2026, 11, 20)),
        ("add x tonight", at(2026, 11, 20, 20, 0, 0)),
        ("add x tomorrow", eod(2026, 11, 21)),
        ("add x tomorrow at 5pm", at(2026, 11, 21, 17, 0, 0)),
        ("add x tomorrow at 5:30 pm", at(2026, 11, 21, 17, 30, 0)),
        ("add x tomorrow morning", at(2026, 11, 21, 9, 0, 0)),
        ("add x at 17:00", at(2026, 11, 20, 17, 0, 0)),
        ("add x at 9am", at(2026, 11, 21, 9, 0, 0)),
        ("add x next friday", eod(2026, 11, 27)),
        ("add x on friday", eod(2026, 11, 27)),
        ("add x this friday", eod(2026, 11, 20)),
        ("add x on monday at 10am", at(2026, 11, 23, 10, 0, 0)),
        ("add x in 3 days", eod(2026, 11, 23)),
        ("add x in 2 weeks", eod(2026, 12, 4)),
        ("add x in a month", eod(2026, 12, 20)),
        ("add x in 2 hours", at(2026, 11, 20, 17, 0, 0)),
        ("add x on Dec 1", eod(2026, 12, 1)),
        ("add x December 1st", eod(2026, 12, 1)),
        ("add x 1 dec", eod(2026, 12, 1)),
        ("add x by the 1st of december", eod(2026, 12, 1)),
        ("add x 2026-12-01", eod(2026, 12, 1)),
        ("add x on Nov 2", eod(2027, 11, 2)),
        ("add x jan 5 2027", eod(2027, 1, 5)),
        ("add x this weekend", eod(2026, 11, 21)),
        ("add x next week", eod(2026, 11, 23)),
        ("add x end of month", eod(2026, 11, 30)),
        ("add x by end of the week", eod(2026, 11, 22)),
        ("add x next month", eod(2026, 12, 1)),
        ("add x the day after tomorrow", eod(2026, 11, 22)),
        ("add x on the 25th", eod(2026, 11, 25)),
    ];
    for (message, expected) in cases {
        assert_eq!(due_of(message, UTC), Some(expected), "{message}");
        assert_eq!(add(message).title, "x", "{message}");
    }
}

#[test]
fn due_phrases_in_new_york() {
    // 10:00 on Friday 20 Nov in New York.
    assert_eq!(due_of("add x today", New_York), Some(eod(2026, 11, 20)));
    assert_eq!(
        due_of("add x at 9am", New_York),
        Some(at(2026, 11, 21, 9, 0, 0))
    );
    assert_eq!(
        due_of("add x at 11am", New_York),
        Some(at(2026, 11, 20, 11, 0, 0))
    );
    assert_eq!(
        due_of("add x in 2 hours", New_York),
        Some(at(2026, 11, 20, 12, 0, 0))
    );
    // Late evening in New York is already tomorrow in UTC.
    let late: DateTime<Utc> = "2026-11-21T03:30:00Z".parse().expect("instant");
    assert_eq!(
        add_in("add x tomorrow", New_York, late).due,
        Some(eod(2026, 11, 21))
    );
    assert_eq!(
        add_in("add x tomorrow", UTC, late).due,
        Some(eod(2026, 11, 22))
    );
    assert_eq!(
        add_in("add x today", New_York, late).due,
        Some(eod(2026, 11, 20))
    );
}

#[test]
fn due_phrases_across_the_dst_change() {
    // Friday 30 Oct 2026, 11:00 EDT; New York falls back on Sunday 1 Nov.
    let before: DateTime<Utc> = "2026-10-30T15:00:00Z".parse().expect("instant");
    let spec = add_in("add x in 3 days at 11am", New_York, before);
    assert_eq!(spec.due, Some(at(2026, 11, 2, 11, 0, 0)));
    // Same wall clock, one more hour of offset: 16:00 UTC instead of 15:00.
    let due = resolve_local(New_York, at(2026, 11, 2, 11, 0, 0));
    assert_eq!(
        due,
        "2026-11-02T16:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("instant")
    );
    // "in 48 hours" is exact, so the wall clock moves by the hour gained.
    let spec = add_in("add x in 48 hours", New_York, before);
    assert_eq!(spec.due, Some(at(2026, 11, 1, 10, 0, 0)));
}

#[test]
fn listing() {
    let list = |m: &str| match cmd(m) {
        Command::List(spec) => spec,
        other => panic!("{m:?} parsed as {other:?}"),
    };
    assert_eq!(list("list my tasks"), ListSpec::default());
    assert_eq!(list("show pending").status, Some(StatusFilter::Pending));
    assert_eq!(list("what's left?").status, Some(StatusFilter::Pending));
    assert_eq!(list("show completed").status, Some(StatusFilter::Completed));
    assert_eq!(
        list("completed tasks").status,
        Some(StatusFilter::Completed)
    );
    assert!(list("what's overdue?").overdue);
    let today = list("what's due today");
    assert_eq!(today.due_after.as_deref(), Some("2026-11-20"));
    assert_eq!(today.due_before.as_deref(), Some("2026-11-20"));
    let week = list("due this week");
    assert_eq!(week.due_after.as_deref(), Some("2026-11-16"));
    assert_eq!(week.due_before.as_deref(), Some("2026-11-22"));
    assert_eq!(list("show tasks tagged #work").tags, ["work"]);
    assert_eq!(list("show tasks tagged work").tags, ["work"]);
    assert_eq!(list("high priority tasks").priority, Some(Priority::High));
    assert_eq!(list("search milk").q.as_deref(), Some("milk"));
    assert_eq!(
        list("find tasks about the dentist").q.as_deref(),
        Some("dentist")
    );
}

#[test]
fn completing_reopening_deleting() {
    assert_eq!(cmd("complete task 3"), Command::Complete(num(3)));
    assert_eq!(cmd("mark #3 as done"), Command::Complete(num(3)));
    assert_eq!(cmd("mark number 3 done"), Command::Complete(num(3)));
    assert_eq!(cmd("done with milk"), Command::Complete(text("milk")));
    assert_eq!(
        cmd("I finished the report"),
        Command::Complete(text("report"))
    );
    assert_eq!(cmd("task 3 is done"), Command::Complete(num(3)));
    assert_eq!(cmd("reopen task 2"), Command::Reopen(num(2)));
    assert_eq!(
        cmd("uncomplete buy milk"),
        Command::Reopen(text("buy milk"))
    );
    assert_eq!(cmd("mark 2 as not done"), Command::Reopen(num(2)));
    assert_eq!(cmd("delete task 4"), Command::Delete(num(4)));
    assert_eq!(cmd("remove the milk task"), Command::Delete(text("milk")));
    assert_eq!(cmd("please delete 4!"), Command::Delete(num(4)));
}

#[test]
fn updating() {
    let up = |t, c| Command::Update(t, c);
    assert_eq!(
        cmd("rename task 2 to buy oat milk"),
        up(num(2), Change::Rename("buy oat milk".into()))
    );
    assert_eq!(
        cmd("change task 3 priority to low"),
        up(num(3), Change::Priority(Priority::Low))
    );
    assert_eq!(
        cmd("set the priority of task 3 to high"),
        up(num(3), Change::Priority(Priority::High))
    );
    assert_eq!(
        cmd("make task 3 urgent"),
        up(num(3), Change::Priority(Priority::High))
    );
    assert_eq!(
        cmd("set due date of task 1 to friday"),
        up(num(1), Change::Due(eod(2026, 11, 27)))
    );
    assert_eq!(
        cmd("move the dentist to next monday"),
        up(text("dentist"), Change::Due(eod(2026, 11, 23)))
    );
    assert_eq!(
        cmd("reschedule task 2 to tomorrow at 9am"),
        up(num(2), Change::Due(at(2026, 11, 21, 9, 0, 0)))
    );
    assert_eq!(
        cmd("add tag #home to task 2"),
        up(num(2), Change::AddTags(vec!["home".into()]))
    );
    assert_eq!(
        cmd("tag task 2 with work"),
        up(num(2), Change::AddTags(vec!["work".into()]))
    );
    assert_eq!(
        cmd("remove tag #home from task 2"),
        up(num(2), Change::RemoveTags(vec!["home".into()]))
    );
    assert_eq!(
        cmd("clear the due date of task 5"),
        up(num(5), Change::ClearDue)
    );
    assert_eq!(
        cmd("remove the due date from task 5"),
        up(num(5), Change::ClearDue)
    );
    assert_eq!(
        cmd("make task 2 repeat every week"),
        up(
            num(2),
            Change::Repeat(Repeat {
                pattern: RecurrencePattern::Weekly,
                interval: 1
            })
        )
    );
}

#[test]
fn conversation() {
    assert_eq!(cmd("help"), Command::Help);
    assert_eq!(cmd("What can you do?"), Command::Help);
    assert_eq!(cmd("stats"), Command::Stats);
    assert_eq!(cmd("how am I doing?"), Command::Stats);
    assert_eq!(cmd("hello!"), Command::Greeting);
    assert_eq!(cmd("thanks"), Command::Thanks);
    assert_eq!(cmd("what is the meaning of life"), Command::Unknown);
    assert_eq!(cmd(""), Command::Unknown);
    assert_eq!(cmd("delete"), Command::Incomplete("delete"));
    assert_eq!(cmd("add"), Command::Incomplete("add"));
}

/// "delete milk", answered with "Which one do you mean: #2 …, #5 …?".
fn delete_milk_asked_which() -> [crate::chat::agent::PastMessage; 2] {
    use crate::chat::agent::{PastMessage, Role};
    [
        PastMessage {
            role: Role::User,
            content: "delete milk".into(),
            tool_calls: Vec::new(),
        },
        PastMessage {
            role: Role::Assistant,
            content: "Which one do you mean: #2 buy milk, #5 buy milk powder?".into(),
            tool_calls: Vec::new(),
        },
    ]
}

#[test]
fn follow_up_answers_pick_from_the_question() {
    use super::followup::follow_up;
    let history = delete_milk_asked_which();
    let pick = |m: &str| follow_up(m, &history, now(), UTC);
    assert_eq!(pick("#5"), Some(Command::Delete(num(5))));
    assert_eq!(pick("5"), Some(Command::Delete(num(5))));
    assert_eq!(pick("the first one"), Some(Command::Delete(num(2))));
    assert_eq!(pick("the second"), Some(Command::Delete(num(5))));
    assert_eq!(pick("2"), Some(Command::Delete(num(2))));
    assert_eq!(pick("task 5"), Some(Command::Delete(num(5))));
    assert_eq!(pick("the last one"), Some(Command::Delete(num(5))));
    assert_eq!(pick("The 2nd task."), Some(Command::Delete(num(5))));
    assert_eq!(pick("add bread"), None);
    assert_eq!(follow_up("#5", &history[..1], now(), UTC), None);
    // The question alone does not say what to do: TUDU_CHAT_HISTORY=1 cannot answer it.
    assert_eq!(follow_up("#5", &history[1..], now(), UTC), None);
}

#[test]
fn a_command_of_its_own_is_not_an_answer() {
    use super::followup::follow_up;
    let history = delete_milk_asked_which();
    let pick = |m: &str| follow_up(m, &history, now(), UTC);
    // Each of these once re-ran the delete on a listed task.
    for message in [
        "add first aid kit",
        "show last week's tasks",
        "complete the second task",
        "the first and the last",
        "first aid",
        "5 apples",
    ] {
        assert_eq!(pick(message), None, "{message}");
    }
    assert_eq!(pick("last"), Some(Command::Delete(num(5))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// No message, however odd, makes `parse` panic.
    #[test]
    fn parse_never_panics(message in "\\PC{0,120}") {
        let _ = parse(&message, now(), New_York);
    }

    /// Nor do messages built from the words the grammar looks for.
    #[test]
    fn parse_never_panics_on_grammar_words(
        words in proptest::collection::vec(proptest::sample::select(vec![
            "add", "task", "#3", "3", "to", "in", "every", "next", "the", "of", "end", "at",
            "5pm", "12:99", "dec", "31st", "2026-02-30", "tomorrow", "mark", "as", "done",
            "priority", "high", "#tag", "#", "rename", "move", "remove", "tag", "due", "date",
            "99999999999999999999", "0", "other", "day", "weeks", "hours", "this", "weekend",
        ]), 0..12),
        seconds in 0i64..4_000_000_000,
    ) {
        let message = words.join(" ");
        let clock = DateTime::from_timestamp(seconds, 0).unwrap_or_else(now);
        let _ = parse(&message, clock, New_York);
    }
}

#[test]
fn list_labels_read_as_english() {
    use super::execute::tasks_named;
    assert_eq!(tasks_named("due today", "tasks"), "tasks due today");
    assert_eq!(tasks_named("overdue", "tasks"), "overdue tasks");
    assert_eq!(
        tasks_named("pending high priority tagged #work", "task"),
        "pending high priority task tagged #work"
    );
    assert_eq!(
        tasks_named("overdue due today", "tasks"),
        "overdue tasks due today"
    );
    assert_eq!(tasks_named("", "tasks"), "tasks");
}

fn list_name(name: &str, explicit: bool) -> super::command::ListName {
    super::command::ListName {
        name: name.to_owned(),
        explicit,
    }
}

#[test]
fn an_add_closing_with_a_list_keeps_both_readings() {
    // Whether "Groceries" is a list is settled against the user's projects when it runs.
    let spec = add("add milk to Groceries tomorrow");
    assert_eq!(spec.title, "milk to Groceries");
    assert_eq!(spec.due, Some(eod(2026, 11, 21)));
    let to = spec.to_list.expect("a list");
    assert_eq!(
        (to.title.as_str(), to.list),
        ("milk", list_name("Groceries", false))
    );
    let to = add("put call mom on the Work list")
        .to_list
        .expect("a list");
    assert_eq!(
        (to.title.as_str(), to.list),
        ("call mom", list_name("Work", true))
    );
    let to = add("add milk to my groceries list, urgent")
        .to_list
        .expect("a list");
    assert_eq!(to.list, list_name("groceries", true));
    // Title filler is no list, and neither is a pronoun.
    assert_eq!(add("add milk to my list").to_list, None);
    assert_eq!(add("remind me to call the bank").to_list, None);
    assert_eq!(add("add talk to me").to_list, None);
    let to = add("add call to mom").to_list.expect("maybe a list");
    assert_eq!(to.list, list_name("mom", false));
}

#[test]
fn list_phrases_become_commands() {
    assert_eq!(
        cmd("move task 3 to Work"),
        Command::MoveTo(num(3), list_name("Work", false))
    );
    assert_eq!(
        cmd("move 'buy milk' to the Groceries list"),
        Command::MoveTo(text("buy milk"), list_name("Groceries", true))
    );
    assert_eq!(
        cmd("put task 2 in errands"),
        Command::MoveTo(num(2), list_name("errands", false))
    );
    // A date still reschedules.
    assert!(matches!(
        cmd("move the dentist to friday"),
        Command::Update(_, Change::Due(_))
    ));
    assert_eq!(cmd("move everything to Work"), Command::Incomplete("move"));
    assert!(!super::safety::changes(&cmd("don't move task 3 to Work")));
    assert!(!super::safety::changes(&cmd(
        "please don't move it to Work"
    )));
    assert_eq!(cmd("what lists do I have"), Command::Projects);
    assert_eq!(cmd("show my projects"), Command::Projects);
    assert_eq!(
        cmd("create a list called Groceries"),
        Command::NewProject("Groceries".to_owned())
    );
    assert_eq!(
        cmd("new project Work"),
        Command::NewProject("Work".to_owned())
    );
    assert!(!super::safety::changes(&cmd(
        "don't create a list called Work"
    )));
    for (message, name, explicit) in [
        ("what's in my Work list", "Work", true),
        ("show my Groceries list", "Groceries", true),
        ("list tasks in Work", "Work", false),
        ("what's in Work?", "Work", false),
    ] {
        match cmd(message) {
            Command::List(spec) => {
                assert_eq!(spec.project, Some(list_name(name, explicit)), "{message}");
            }
            other => panic!("{message:?} parsed as {other:?}"),
        }
    }
    match cmd("show my pending tasks") {
        Command::List(spec) => assert_eq!(spec.project, None),
        other => panic!("parsed as {other:?}"),
    }
    // A task with a date that opens like a listing stays one.
    assert!(matches!(
        cmd("get my hair cut on the 15th"),
        Command::Add(_)
    ));
}

#[test]
fn a_subtask_names_its_parent_by_number_and_keeps_its_own_fields() {
    let spec = add("add a subtask check tyres to task 5 tomorrow high priority");
    assert_eq!(
        (spec.title.as_str(), spec.parent, spec.due, spec.priority),
        (
            "check tyres",
            Some(5),
            Some(eod(2026, 11, 21)),
            Some(Priority::High)
        )
    );
    assert_eq!(
        add("put call the garage as a subtask of #2").parent,
        Some(2)
    );
    assert_eq!(add("add call to mom").parent, None);
    // A subtask under a task named any other way is asked about, never guessed.
    assert_eq!(
        cmd("add a subtask wash it to the car one"),
        Command::Incomplete("subtask")
    );
}
