//! The local agent's corpus: plain-English commands from `tests/chat_corpus/*.txt`, each sent
//! through `POST /api/v1/chat` and judged by the task state it leaves (never by the wording).
//! The file format is described at the top of `tests/chat_corpus/add.txt` and in
//! `docs/chat.md`.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, TestUser, both_backends};

both_backends!(
    corpus_add,
    corpus_list,
    corpus_complete,
    corpus_update,
    corpus_conversation,
    corpus_safety,
    corpus_undo,
    corpus_intent,
    corpus_done_said,
    corpus_dates,
    corpus_recurrence,
    corpus_fields,
    corpus_followup,
    corpus_holdout,
    corpus_holdout2,
    corpus_holdout3,
    corpus_projects,
    corpus_holdout_projects,
    corpus_subtasks,
    corpus_sharing
);

/// The share of each file's cases that must pass. The files that existed before issue 18 and
/// the safety and undo files must pass whole (one miss there is a defect); the other new files
/// passed whole when last measured and may lose at most one case in twenty before the test
/// fails; the held-out file is held to the rate it reached once its rules were fixed
/// (docs/chat.md has the figures).
const FLOORS: &[(&str, f64)] = &[
    ("add.txt", 1.0),
    ("list.txt", 1.0),
    ("complete.txt", 1.0),
    ("update.txt", 1.0),
    ("conversation.txt", 1.0),
    ("safety.txt", 1.0),
    ("undo.txt", 1.0),
    ("intent.txt", 0.95),
    ("done_said.txt", 0.95),
    ("dates.txt", 0.95),
    ("recurrence.txt", 0.95),
    ("fields.txt", 0.95),
    ("followup.txt", 0.95),
    ("holdout.txt", 0.9),
    ("holdout2.txt", 0.9),
    ("holdout3.txt", 0.9),
    ("projects.txt", 1.0),
    ("holdout_projects.txt", 0.9),
    ("subtasks.txt", 1.0),
    ("sharing.txt", 1.0),
];

/// Runs one file of `tests/chat_corpus/`.
macro_rules! corpus {
    ($app:expr, $file:literal) => {
        run(
            &$app,
            $file,
            include_str!(concat!("../chat_corpus/", $file)),
        )
        .await
    };
}

async fn corpus_add(app: TestApp) {
    corpus!(app, "add.txt");
}

async fn corpus_list(app: TestApp) {
    corpus!(app, "list.txt");
}

async fn corpus_complete(app: TestApp) {
    corpus!(app, "complete.txt");
}

async fn corpus_update(app: TestApp) {
    corpus!(app, "update.txt");
}

async fn corpus_conversation(app: TestApp) {
    corpus!(app, "conversation.txt");
}

async fn corpus_safety(app: TestApp) {
    corpus!(app, "safety.txt");
}

async fn corpus_undo(app: TestApp) {
    corpus!(app, "undo.txt");
}

async fn corpus_intent(app: TestApp) {
    corpus!(app, "intent.txt");
}

async fn corpus_done_said(app: TestApp) {
    corpus!(app, "done_said.txt");
}

async fn corpus_dates(app: TestApp) {
    corpus!(app, "dates.txt");
}

async fn corpus_recurrence(app: TestApp) {
    corpus!(app, "recurrence.txt");
}

async fn corpus_fields(app: TestApp) {
    corpus!(app, "fields.txt");
}

async fn corpus_followup(app: TestApp) {
    corpus!(app, "followup.txt");
}

async fn corpus_holdout(app: TestApp) {
    corpus!(app, "holdout.txt");
}

async fn corpus_holdout2(app: TestApp) {
    corpus!(app, "holdout2.txt");
}

async fn corpus_holdout3(app: TestApp) {
    corpus!(app, "holdout3.txt");
}

async fn corpus_projects(app: TestApp) {
    corpus!(app, "projects.txt");
}

async fn corpus_holdout_projects(app: TestApp) {
    corpus!(app, "holdout_projects.txt");
}

async fn corpus_subtasks(app: TestApp) {
    corpus!(app, "subtasks.txt");
}

async fn corpus_sharing(app: TestApp) {
    corpus!(app, "sharing.txt");
}

/// One case of a corpus file.
#[derive(Debug, Default)]
struct Case {
    line: usize,
    tz: Option<String>,
    projects: Vec<String>,
    accounts: Vec<String>,
    setup: Vec<String>,
    messages: Vec<String>,
    expectations: Vec<String>,
}

fn cases(source: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case = Case::default();
    for (index, raw) in source.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("//") {
            continue;
        }
        if line.is_empty() {
            if !case.messages.is_empty() {
                cases.push(std::mem::take(&mut case));
            }
            continue;
        }
        if case.line == 0 {
            case.line = index + 1;
        }
        if let Some(zone) = line.strip_prefix("tz:") {
            case.tz = Some(zone.trim().to_owned());
        } else if let Some(project) = line.strip_prefix("project:") {
            case.projects.push(project.trim().to_owned());
        } else if let Some(account) = line.strip_prefix("account:") {
            case.accounts.push(account.trim().to_owned());
        } else if let Some(task) = line.strip_prefix("task:") {
            case.setup.push(task.trim().to_owned());
        } else if let Some(message) = line.strip_prefix('>') {
            case.messages.push(message.trim().to_owned());
        } else if let Some(expectation) = line.strip_prefix('=') {
            case.expectations.push(expectation.trim().to_owned());
        } else {
            panic!("line {}: not a corpus line: {raw}", index + 1);
        }
    }
    if !case.messages.is_empty() {
        cases.push(case);
    }
    cases
}

/// Runs every case of one file against `app`, prints its pass rate (`--nocapture` shows it)
/// and fails with all the failures at once when the rate is below the file's floor.
async fn run(app: &TestApp, file: &str, source: &str) {
    let cases = cases(source);
    assert!(!cases.is_empty(), "{file} has no cases");
    let floor = FLOORS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, floor)| *floor)
        .unwrap_or_else(|| panic!("{file} has no floor in FLOORS"));
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run_case(app, case).await {
            failures.push(format!("{file}:{} {:?}: {why}", case.line, case.messages));
        }
    }
    let passed = cases.len() - failures.len();
    #[allow(clippy::cast_precision_loss)]
    let rate = passed as f64 / cases.len() as f64;
    let utterances: usize = cases.iter().map(|c| c.messages.len()).sum();
    println!(
        "corpus [{}] {file}: {passed}/{} cases ({:.1} %), {utterances} utterances",
        app.backend,
        cases.len(),
        rate * 100.0
    );
    if !failures.is_empty() {
        println!("{}", failures.join("\n"));
    }
    assert!(
        rate >= floor,
        "[{}] {file}: {} of {} corpus cases failed (floor {:.0} %):\n{}",
        app.backend,
        failures.len(),
        cases.len(),
        floor * 100.0,
        failures.join("\n")
    );
}

async fn run_case(app: &TestApp, case: &Case) -> Result<(), String> {
    let zone = case.tz.as_deref().unwrap_or("UTC");
    let tz: Tz = zone.parse().map_err(|_| format!("unknown zone {zone}"))?;
    let user = app.new_user_with(json!({ "timezone": zone })).await;
    for project in &case.projects {
        create_project(app, &user, project).await?;
    }
    for email in &case.accounts {
        account(app, email).await?;
    }
    let setup_projects = projects(app, &user).await;
    for task in &case.setup {
        create(app, &user, task, tz, &setup_projects).await?;
    }
    let before = tasks(app, &user).await;
    let mut conversation: Option<String> = None;
    let mut answer = Answer::default();
    for message in &case.messages {
        answer = say(app, &user, message, conversation.as_deref()).await?;
        conversation = Some(answer.conversation_id.clone());
    }
    let after = tasks(app, &user).await;
    let after_projects = projects(app, &user).await;
    let wants_members = case
        .expectations
        .iter()
        .any(|e| e.starts_with("members=") || e.starts_with("owner=") || e == "unshared");
    let mut members = Vec::new();
    let mut owners = Vec::new();
    if wants_members {
        for project in &after_projects {
            let (owner, others) = shared_with(app, &user, project).await;
            owners.push(owner);
            members.push(others);
        }
    }
    for expectation in &case.expectations {
        let state = State {
            before: &before,
            after: &after,
            projects: &after_projects,
            members: &members,
            owners: &owners,
        };
        check(expectation, &state, &answer, tz).map_err(|why| {
            format!(
                "{why}\n    reply: {:?}\n    tasks: {}",
                answer.reply,
                summary(&after)
            )
        })?;
    }
    Ok(())
}

/// What the last message of a case got back.
#[derive(Debug, Default)]
struct Answer {
    reply: String,
    conversation_id: String,
    tool_calls: Vec<Value>,
}

/// Sends one chat message; the only place that knows how the agent is reached.
async fn say(
    app: &TestApp,
    user: &TestUser,
    message: &str,
    conversation: Option<&str>,
) -> Result<Answer, String> {
    let mut body = json!({ "message": message });
    if let Some(id) = conversation {
        body["conversation_id"] = json!(id);
    }
    let res = app
        .send(app.authed_json(Method::POST, "/api/v1/chat", &user.token, Some(&body)))
        .await;
    if res.status != StatusCode::OK {
        return Err(format!("chat answered {}: {}", res.status, res.text));
    }
    let json = res.json();
    Ok(Answer {
        reply: json["response"].as_str().unwrap_or_default().to_owned(),
        conversation_id: json["conversation_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        tool_calls: json["tool_calls"].as_array().cloned().unwrap_or_default(),
    })
}

/// Creates a setup project: `Name` or `Name | archived`.
async fn create_project(app: &TestApp, user: &TestUser, spec: &str) -> Result<(), String> {
    let mut parts = spec.split('|').map(str::trim);
    let name = parts.next().unwrap_or_default();
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &user.token,
            Some(&json!({ "name": name })),
        ))
        .await;
    if res.status != StatusCode::CREATED {
        return Err(format!("setup project {spec:?} failed: {}", res.text));
    }
    for part in parts {
        if part != "archived" {
            return Err(format!("unknown project attribute {part}"));
        }
        let id = res.json()["id"].as_str().unwrap_or_default().to_owned();
        let archived = app
            .send(app.authed_json(
                Method::PATCH,
                &format!("/api/v1/projects/{id}"),
                &user.token,
                Some(&json!({ "archived": true })),
            ))
            .await;
        if archived.status != StatusCode::OK {
            return Err(format!("archiving {spec:?} failed: {}", archived.text));
        }
    }
    Ok(())
}

/// Signs up `email` unless an account has it already (another case made it).
async fn account(app: &TestApp, email: &str) -> Result<(), String> {
    let body = json!({ "email": email, "password": crate::helpers::PASSWORD, "name": "Sam" });
    let res = app.signup(&body).await;
    match res.status {
        StatusCode::CREATED | StatusCode::CONFLICT => Ok(()),
        other => Err(format!(
            "setup account {email} failed: {other} {}",
            res.text
        )),
    }
}

/// The email of `project`'s owner, and who it is shared with besides them, as `email/role`,
/// sorted.
async fn shared_with(app: &TestApp, user: &TestUser, project: &Value) -> (String, Vec<String>) {
    let id = project["id"].as_str().unwrap_or_default();
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{id}/members"),
            &user.token,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let people = res.json();
    let owner = people
        .as_array()
        .and_then(|all| all.iter().find(|m| m["role"] == "owner"))
        .and_then(|m| m["email"].as_str())
        .unwrap_or_default()
        .to_owned();
    let mut members: Vec<String> = people
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["role"] != "owner")
                .map(|m| {
                    format!(
                        "{}/{}",
                        m["email"].as_str().unwrap_or_default(),
                        m["role"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    members.sort();
    (owner, members)
}

/// Every project of the user's, archived ones too, in the user's order.
async fn projects(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let res = app
        .send(app.authed(Method::GET, "/api/v1/projects?archived=true", &user.token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json().as_array().cloned().unwrap_or_default()
}

/// Creates a setup task: `title | done | priority=HIGH | tags=a,b | due=<spec> | every=WEEKLY/2
/// | description=text | project=Name`.
async fn create(
    app: &TestApp,
    user: &TestUser,
    spec: &str,
    tz: Tz,
    projects: &[Value],
) -> Result<(), String> {
    let mut parts = spec.split('|').map(str::trim);
    let title = parts.next().unwrap_or_default();
    let mut body = Map::new();
    body.insert("title".into(), json!(title));
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        match key {
            "done" => {
                body.insert("completed".into(), json!(true));
            }
            "description" => {
                body.insert("description".into(), json!(value));
            }
            "project" => {
                let project = projects
                    .iter()
                    .find(|p| p["name"] == value)
                    .ok_or_else(|| format!("setup names no project {value:?}"))?;
                body.insert("project_id".into(), project["id"].clone());
            }
            "priority" => {
                body.insert("priority".into(), json!(value));
            }
            "tags" => {
                body.insert("tags".into(), json!(value.split(',').collect::<Vec<_>>()));
            }
            "due" => {
                let due = expected_due(value, tz)?;
                body.insert(
                    "due_date".into(),
                    json!(due.format("%Y-%m-%dT%H:%M:%S").to_string()),
                );
            }
            "every" => {
                let (pattern, interval) = value.split_once('/').unwrap_or((value, "1"));
                body.insert("recurrence_pattern".into(), json!(pattern));
                body.insert(
                    "recurrence_interval".into(),
                    json!(interval.parse::<i32>().unwrap_or(1)),
                );
            }
            other => return Err(format!("unknown setup attribute {other}")),
        }
    }
    let res = app.create_task(&user.token, &Value::Object(body)).await;
    if res.status == StatusCode::CREATED {
        Ok(())
    } else {
        Err(format!("setup {spec:?} failed: {}", res.text))
    }
}

async fn tasks(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let res = app
        .list_tasks(&user.token, "limit=1000&sort=number&order=asc")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json().as_array().cloned().unwrap_or_default()
}

fn summary(tasks: &[Value]) -> String {
    let lines: Vec<String> = tasks
        .iter()
        .map(|t| {
            format!(
                "#{} {:?} done={} {} tags={} due={} every={}",
                t["number"],
                t["title"].as_str().unwrap_or_default(),
                t["completed"],
                t["priority"].as_str().unwrap_or_default(),
                t["tags"],
                t["due_date"],
                t["recurrence_pattern"]
            )
        })
        .collect();
    format!("[{}]", lines.join("; "))
}

/// The fields a state comparison looks at (not timestamps or versions).
fn essence(task: &Value) -> Value {
    json!([
        task["project_id"],
        task["parent_id"],
        task["number"],
        task["title"],
        task["completed"],
        task["priority"],
        task["tags"],
        task["due_date"],
        task["is_recurring"],
        task["recurrence_pattern"],
        task["recurrence_interval"]
    ])
}

/// The user's tasks before and after a case's messages, and their projects after (with
/// their members, `email/role`, in the same order, when a check needs them).
struct State<'a> {
    before: &'a [Value],
    after: &'a [Value],
    projects: &'a [Value],
    members: &'a [Vec<String>],
    owners: &'a [String],
}

/// Checks one `=` line against the state after the conversation.
fn check(expectation: &str, state: &State<'_>, answer: &Answer, tz: Tz) -> Result<(), String> {
    let (before, after) = (state.before, state.after);
    if let Some(names) = expectation.strip_prefix("projects=") {
        let want: Vec<&str> = names.split(',').map(str::trim).collect();
        let got: Vec<&str> = state
            .projects
            .iter()
            .filter(|p| p["archived"] == false)
            .filter_map(|p| p["name"].as_str())
            .collect();
        return if want == got {
            Ok(())
        } else {
            Err(format!("projects are {got:?}, expected {want:?}"))
        };
    }
    if let Some(spec) = expectation.strip_prefix("members=") {
        let (name, want) = spec.split_once(':').ok_or("members=Name:email/role,…")?;
        let at = state
            .projects
            .iter()
            .position(|p| p["name"] == name.trim().trim_matches('"'))
            .ok_or_else(|| format!("no project {name}"))?;
        let mut want: Vec<&str> = want
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect();
        want.sort_unstable();
        let got = &state.members[at];
        return if *got == want {
            Ok(())
        } else {
            Err(format!("{name} is shared with {got:?}, expected {want:?}"))
        };
    }
    if let Some(spec) = expectation.strip_prefix("owner=") {
        let (name, want) = spec.split_once(':').ok_or("owner=Name:email")?;
        let at = state
            .projects
            .iter()
            .position(|p| p["name"] == name.trim().trim_matches('"'))
            .ok_or_else(|| format!("no project {name}"))?;
        let got = &state.owners[at];
        return if got == want.trim() {
            Ok(())
        } else {
            Err(format!("{name} is owned by {got:?}, expected {want:?}"))
        };
    }
    if expectation == "unshared" {
        return match state.members.iter().find(|m| !m.is_empty()) {
            None => Ok(()),
            Some(members) => Err(format!("a project was shared with {members:?}")),
        };
    }
    if expectation == "unchanged" {
        let same = before.iter().map(essence).eq(after.iter().map(essence));
        return if same {
            Ok(())
        } else {
            Err("the tasks changed".into())
        };
    }
    if let Some(count) = expectation.strip_prefix("count=") {
        let want: usize = count.parse().map_err(|_| format!("bad count {count}"))?;
        return if after.len() == want {
            Ok(())
        } else {
            Err(format!("expected {want} tasks, found {}", after.len()))
        };
    }
    if let Some(numbers) = expectation.strip_prefix("listed=") {
        return check_listed(numbers, &answer.tool_calls);
    }
    if let Some(text) = expectation.strip_prefix("reply~") {
        let wanted = text.trim().to_lowercase();
        return if answer.reply.to_lowercase().contains(&wanted) {
            Ok(())
        } else {
            Err(format!("reply does not contain {wanted:?}"))
        };
    }
    let tokens = tokens(expectation);
    let (target, checks) = tokens.split_first().ok_or("empty expectation")?;
    let task = if let Some(number) = target.strip_prefix('#') {
        let number: i64 = number
            .parse()
            .map_err(|_| format!("bad task number {target}"))?;
        let found = after.iter().find(|t| t["number"].as_i64() == Some(number));
        if checks.iter().any(|c| c == "gone") {
            return match found {
                None => Ok(()),
                Some(_) => Err(format!("task #{number} still exists")),
            };
        }
        let found = found.ok_or_else(|| format!("no task #{number}"))?;
        if checks.iter().any(|c| c == "same") {
            let was = before.iter().find(|t| t["number"].as_i64() == Some(number));
            if was.map(|t| &t["id"]) != Some(&found["id"]) {
                return Err(format!("task #{number} does not have the id it had before"));
            }
        }
        found
    } else {
        let title = target.trim_matches('"');
        let found: Vec<&Value> = after.iter().filter(|t| t["title"] == title).collect();
        match found.as_slice() {
            [one] => *one,
            [] => return Err(format!("no task titled {title:?}")),
            _ => return Err(format!("several tasks titled {title:?}")),
        }
    };
    for check in checks {
        if let Some(name) = check.strip_prefix("project=") {
            let project = state
                .projects
                .iter()
                .find(|p| p["id"] == task["project_id"]);
            let got = project.and_then(|p| p["name"].as_str()).unwrap_or("?");
            if got != name.trim_matches('"') {
                return Err(format!(
                    "#{} is in {got:?}, expected {name}",
                    task["number"]
                ));
            }
            continue;
        }
        if let Some(parent) = check.strip_prefix("parent=") {
            let want = match parent.strip_prefix('#') {
                Some(number) => {
                    let number: i64 = number.parse().map_err(|_| format!("bad parent {parent}"))?;
                    let found = after.iter().find(|t| t["number"].as_i64() == Some(number));
                    found.map_or(Value::Null, |t| t["id"].clone())
                }
                None => Value::Null,
            };
            if task["parent_id"] != want || (parent != "none" && want.is_null()) {
                return Err(format!(
                    "#{} has parent {}, expected {parent}",
                    task["number"], task["parent_id"]
                ));
            }
            continue;
        }
        check_field(task, check, tz)?;
    }
    Ok(())
}

/// `listed=1,3` (or `listed=` for none): exactly these task numbers, in any order, came back
/// from the turn's last `list_tasks` call.
fn check_listed(numbers: &str, tool_calls: &[Value]) -> Result<(), String> {
    let mut want = numbers
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<i64>()
                .map_err(|_| format!("bad listed number {n}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let call = tool_calls
        .iter()
        .rev()
        .find(|c| c["name"] == "list_tasks")
        .ok_or("no list_tasks call")?;
    let tasks = call["result"]["tasks"]
        .as_array()
        .ok_or_else(|| format!("list_tasks returned no tasks: {}", call["result"]))?;
    let mut got = tasks
        .iter()
        .map(|t| t["number"].as_i64().ok_or("a listed task has no number"))
        .collect::<Result<Vec<_>, _>>()?;
    want.sort_unstable();
    got.sort_unstable();
    if want == got {
        Ok(())
    } else {
        Err(format!(
            "listed {got:?}, expected {want:?} (arguments {})",
            call["arguments"]
        ))
    }
}

fn check_field(task: &Value, check: &str, tz: Tz) -> Result<(), String> {
    let (key, value) = check.split_once('=').unwrap_or((check, ""));
    let value = value.trim_matches('"');
    let ok = match key {
        "done" => task["completed"] == true,
        "pending" => task["completed"] == false,
        "title" => task["title"] == value,
        "priority" => task["priority"] == value,
        "tags" => {
            let mut want: Vec<&str> = if value == "none" {
                vec![]
            } else {
                value.split(',').collect()
            };
            let mut got: Vec<&str> = task["tags"]
                .as_array()
                .map(|tags| tags.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            want.sort_unstable();
            got.sort_unstable();
            want == got
        }
        "every" => {
            if value == "none" {
                task["is_recurring"] == false
            } else {
                let (pattern, interval) = value.split_once('/').unwrap_or((value, "1"));
                task["is_recurring"] == true
                    && task["recurrence_pattern"] == pattern
                    && task["recurrence_interval"].as_i64() == interval.parse::<i64>().ok()
            }
        }
        "due" => return check_due(task, value, tz),
        "same" => true,
        "description" => {
            if value == "none" {
                task["description"].is_null()
            } else {
                task["description"] == value
            }
        }
        other => return Err(format!("unknown check {other}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("#{} fails {check}", task["number"]))
    }
}

fn check_due(task: &Value, spec: &str, tz: Tz) -> Result<(), String> {
    let due = task["due_date"]
        .as_str()
        .map(|s| {
            s.parse::<DateTime<Utc>>()
                .map_err(|e| format!("bad due_date {s}: {e}"))
        })
        .transpose()?;
    if spec == "none" {
        return match due {
            None => Ok(()),
            Some(d) => Err(format!("#{} is due {d}, expected none", task["number"])),
        };
    }
    let due = due.ok_or_else(|| format!("#{} has no due date, expected {spec}", task["number"]))?;
    if let Some(hours) = spec.strip_prefix('+').and_then(|s| s.strip_suffix('h')) {
        let hours: i64 = hours.parse().map_err(|_| format!("bad spec {spec}"))?;
        let want = Utc::now() + chrono::TimeDelta::hours(hours);
        return if (due - want).num_minutes().abs() <= 5 {
            Ok(())
        } else {
            Err(format!(
                "#{} is due {due}, expected about {want}",
                task["number"]
            ))
        };
    }
    let local = due.with_timezone(&tz).naive_local();
    let want = expected_due(spec, tz)?;
    if local == want {
        Ok(())
    } else {
        Err(format!(
            "#{} is due {local} local, expected {want} ({spec})",
            task["number"]
        ))
    }
}

/// The local date-time a due spec names today: `<day>[@HH:MM]`, where day is `today`,
/// `yesterday`, `tomorrow`, `+3d`, `+2w`, `+1m`, a weekday `fri` (the next one, 1–7 days ahead), `this-fri`
/// (today counts), `nextweek` (next Monday), `weekend` (Saturday; Sunday on a Sunday), `eom`,
/// `nextmonth` (its 1st), `dom-15` (the next 15th, today counts), `2026-12-01`, `12-01` (the next such date), or `clock` (with a time:
/// today if still ahead, else tomorrow). Without a time: 23:59:59.
fn expected_due(spec: &str, tz: Tz) -> Result<NaiveDateTime, String> {
    let now = Utc::now().with_timezone(&tz).naive_local();
    let today = now.date();
    let (day, time) = match spec.split_once('@') {
        Some((day, time)) => (
            day,
            Some(NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| format!("bad time {spec}"))?),
        ),
        None => (spec, None),
    };
    let bad = || format!("bad due spec {spec}");
    let plus = |n: &str, unit: u64| -> Result<NaiveDate, String> {
        let n: u64 = n.parse().map_err(|_| bad())?;
        today.checked_add_days(Days::new(n * unit)).ok_or_else(bad)
    };
    let after = |weekday: Weekday, today_counts: bool| {
        let ahead =
            (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        let ahead = if ahead == 0 && !today_counts {
            7
        } else {
            ahead
        };
        today + Days::new(u64::from(ahead))
    };
    let date = match day {
        "today" => today,
        "yesterday" => today - Days::new(1),
        "tomorrow" => today + Days::new(1),
        "nextweek" => after(Weekday::Mon, false),
        "weekend" if today.weekday() == Weekday::Sun => today,
        "weekend" => after(Weekday::Sat, true),
        "eom" => (today.with_day(1).ok_or_else(bad)? + Months::new(1))
            .pred_opt()
            .ok_or_else(bad)?,
        "nextmonth" => today.with_day(1).ok_or_else(bad)? + Months::new(1),
        "clock" => {
            let time = time.ok_or_else(bad)?;
            if today.and_time(time) > now {
                today
            } else {
                today + Days::new(1)
            }
        }
        _ => {
            if let Some(n) = day.strip_prefix('+').and_then(|d| d.strip_suffix('d')) {
                plus(n, 1)?
            } else if let Some(n) = day.strip_prefix('+').and_then(|d| d.strip_suffix('w')) {
                plus(n, 7)?
            } else if let Some(n) = day.strip_prefix('+').and_then(|d| d.strip_suffix('m')) {
                today + Months::new(n.parse().map_err(|_| bad())?)
            } else if let Some(dom) = day.strip_prefix("dom-") {
                // The next date with this day of the month, today included.
                let dom: u32 = dom.parse().map_err(|_| bad())?;
                (0..13)
                    .filter_map(|ahead| (today.with_day(1)? + Months::new(ahead)).with_day(dom))
                    .find(|d| *d >= today)
                    .ok_or_else(bad)?
            } else if let Some(name) = day.strip_prefix("this-") {
                after(name.parse().map_err(|_| bad())?, true)
            } else if let Ok(weekday) = day.parse::<Weekday>() {
                after(weekday, false)
            } else if let Ok(date) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                date
            } else {
                let (m, d) = day.split_once('-').ok_or_else(bad)?;
                let (m, d): (u32, u32) =
                    (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
                match NaiveDate::from_ymd_opt(today.year(), m, d) {
                    Some(date) if date >= today => date,
                    _ => NaiveDate::from_ymd_opt(today.year() + 1, m, d).ok_or_else(bad)?,
                }
            }
        }
    };
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).ok_or_else(bad)?;
    Ok(date.and_time(time.unwrap_or(end_of_day)))
}

/// Splits an expectation at spaces, keeping `title="two words"` together.
fn tokens(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}
