//! A database that restarts or goes away (SPEC §3, §9): the server answers 503 with
//! `Retry-After`, never 500, recovers by itself once the database is back, and loses no write it
//! acknowledged.
//!
//! These tests restart and stop a PostgreSQL cluster of their own (`initdb` into a temporary
//! directory, served on a free port), never the shared server `TUDU_TEST_DATABASE_URL` names.
//! Like every PostgreSQL test they run only when that variable is set, and they are skipped
//! (saying so) when the PostgreSQL server binaries are not installed. The causes of 500s and the
//! warnings logged are read from the lines `logs.rs` captures.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::watch;
use tudu::db::PoolSettings;

use crate::helpers::{TestApp, link_next};
use crate::logs;

/// Concurrent clients creating tasks, as many as the pool has connections.
const WRITERS: usize = 8;
/// Creates acknowledged before the first fault, and after each restart before the next fault.
const ACKS_BETWEEN_FAULTS: usize = 40;
/// How long the writers may take to reach a condition; past it the test reports a failure.
const PHASE_DEADLINE: Duration = Duration::from_secs(30);
/// A request still unanswered after this long counts as hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Requests sent, one after the other, while the database is stopped.
const REQUESTS_WHILE_STOPPED: usize = 20;
/// WARN or ERROR lines those requests may log between them: an outage is worth a line or two,
/// not one per request.
const MAX_WARNINGS_WHILE_STOPPED: usize = 2;

/// The stretches of the restart test, for the report.
const PHASES: [&str; 5] = ["warm-up", "1st restart", "2nd restart", "stop", "start"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarting_database_gives_503_with_retry_after_and_loses_no_acknowledged_write() {
    let started = Instant::now();
    let Some(cluster) = Cluster::start("faults::a_restarting_database…").await else {
        return;
    };
    // Before the first request, so that the causes of the server's 500s can be reported.
    let capturing = logs::capturing();
    // Arrange
    let app = Arc::new(TestApp::spawn_on_postgres(&cluster.url()).await);
    let user = app.new_user().await;
    logs::watch(&user.id);
    let token = user.token;
    let (tally, mut seen) = watch::channel(Tally::default());
    let tally = Arc::new(tally);
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        writers.spawn(write_tasks(
            Arc::clone(&app),
            token.clone(),
            writer,
            Arc::clone(&tally),
            Arc::clone(&stop),
        ));
    }
    let mut failures = Vec::new();

    // Act: two fast restarts and a stop, each while the writers run, each followed by enough
    // acknowledged creates to show the server came back before the next fault.
    let acks = |t: &Tally| t.acked.len();
    failures.extend(
        wait_for(&mut seen, "the writers' first creates", |t| {
            acks(t) >= ACKS_BETWEEN_FAULTS
        })
        .await,
    );
    for phase in [1, 2] {
        tally.send_modify(|t| t.phase = phase);
        cluster.pg_ctl(&["restart", "-m", "fast"]).await;
        let before = acks(&seen.borrow());
        failures.extend(
            wait_for(
                &mut seen,
                &format!("creates after the {}", PHASES[phase]),
                |t| acks(t) >= before + ACKS_BETWEEN_FAULTS,
            )
            .await,
        );
    }
    tally.send_modify(|t| t.phase = 3);
    cluster.pg_ctl(&["stop", "-m", "fast"]).await;
    let answered = seen.borrow().responses;
    failures.extend(
        wait_for(&mut seen, "answers while the database is stopped", |t| {
            t.responses >= answered + 2 * WRITERS
        })
        .await,
    );
    tally.send_modify(|t| t.phase = 4);
    cluster.pg_ctl(&["start"]).await;
    let before = acks(&seen.borrow());
    failures.extend(
        wait_for(&mut seen, "creates after the database started again", |t| {
            acks(t) >= before + ACKS_BETWEEN_FAULTS
        })
        .await,
    );
    stop.store(true, Ordering::Relaxed);
    writers.join_all().await;

    // Assert
    let mut acked: Vec<String> = seen.borrow().acked.clone();
    let after = format!("fault-after-{}", uuid::Uuid::now_v7().simple());
    let (app, token, title) = (&*app, token.as_str(), after.as_str());
    let created = eventually(PHASE_DEADLINE, || async move {
        let request = app
            .authed(Method::POST, "/api/v1/tasks", token)
            .json(&json!({ "title": title }));
        matches!(send(request).await, Outcome::Acked).then_some(())
    })
    .await;
    match created {
        Some(()) => acked.push(after),
        None => failures.push(format!(
            "no create succeeded within {PHASE_DEADLINE:?} after the writers stopped"
        )),
    }
    let ready = eventually(PHASE_DEADLINE, || async move {
        (readiness(app).await == Some(StatusCode::OK)).then_some(())
    })
    .await;
    if ready.is_none() {
        failures.push(format!(
            "/health/ready did not answer 200 within {PHASE_DEADLINE:?}"
        ));
    }
    let stored = match all_titles(app, token).await {
        Ok(titles) => titles,
        Err(err) => {
            failures.push(err);
            HashSet::new()
        }
    };
    let missing: Vec<&String> = acked.iter().filter(|t| !stored.contains(*t)).collect();
    if !missing.is_empty() {
        failures.push(format!(
            "{} of {} acknowledged creates are missing, e.g. {:?}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    let tally = seen.borrow();
    failures.extend(tally.failures());
    let mut report = format!(
        "{} acknowledged creates ({} stored, {} tasks in all), {} answers 503, {} answers in all; \
         by phase: {}",
        acked.len(),
        acked.len() - missing.len(),
        stored.len(),
        tally.unavailable,
        tally.responses,
        tally.by_phase(),
    );
    if capturing {
        let mut sqlstates: BTreeMap<String, usize> = BTreeMap::new();
        for line in logs::lines_of(&user.id) {
            if line["level"] == "ERROR" {
                let sqlstate = line["sqlstate"].as_str().unwrap_or("none").to_owned();
                *sqlstates.entry(sqlstate).or_default() += 1;
            }
        }
        report.push_str(&format!("; ERROR lines by SQLSTATE: {sqlstates:?}"));
    }
    report.push_str(&format!("; took {:.1} s", started.elapsed().as_secs_f64()));
    eprintln!("{}: {report}", module_path!());
    assert!(
        failures.is_empty(),
        "a restarting database was not survived:\n- {}\n{report}",
        failures.join("\n- ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_answers_503_with_retry_after_at_once_and_logs_no_warning_per_request() {
    let Some(cluster) = Cluster::start("faults::a_stopped_database…").await else {
        return;
    };
    // Before the first request, so that every line of this test's requests is captured.
    let capturing = logs::capturing();
    // Arrange
    let app = TestApp::spawn_on_postgres(&cluster.url()).await;
    let user = app.new_user().await;
    logs::watch(&user.id);
    app.create_task_ok(&user.token, &json!({ "title": "before the outage" }))
        .await;
    cluster.pg_ctl(&["stop", "-m", "fast"]).await;
    // SPEC §3 wants the answer fast: a request that waited for the pool's acquire timeout
    // (let alone a connect timeout and then an acquire timeout) would be a hanging request.
    let bound = PoolSettings::default().acquire_timeout;

    // Act: lists and creates in turn, so both reads and writes meet the stopped database.
    let mut answers = Vec::new();
    for n in 0..REQUESTS_WHILE_STOPPED {
        let id = logs::request_id();
        let request = if n % 2 == 0 {
            app.authed(Method::GET, "/api/v1/tasks", &user.token)
        } else {
            app.authed(Method::POST, "/api/v1/tasks", &user.token)
                .json(&json!({ "title": format!("during the outage {n}") }))
        };
        let start = Instant::now();
        let outcome = send(request.header("x-request-id", &id)).await;
        answers.push((id, outcome, start.elapsed()));
    }
    let start = Instant::now();
    let ready = readiness(&app).await;
    let ready_took = start.elapsed();

    // Assert
    let mut failures = Vec::new();
    let mut wrong: BTreeMap<String, usize> = BTreeMap::new();
    for (_, outcome, _) in &answers {
        if !matches!(
            outcome,
            Outcome::Unavailable {
                problem: true,
                retry_after: true
            }
        ) {
            *wrong.entry(outcome.describe()).or_default() += 1;
        }
    }
    for (outcome, n) in wrong {
        failures.push(format!(
            "{n} of {REQUESTS_WHILE_STOPPED} answered {outcome}"
        ));
    }
    let slow = answers.iter().filter(|(_, _, took)| *took >= bound).count();
    let slowest = answers.iter().map(|(_, _, took)| *took).max();
    if slow > 0 {
        failures.push(format!(
            "{slow} of {REQUESTS_WHILE_STOPPED} took {bound:?} or more (slowest {slowest:?})"
        ));
    }
    if ready != Some(StatusCode::SERVICE_UNAVAILABLE) || ready_took >= bound {
        failures.push(format!(
            "/health/ready answered {ready:?} after {ready_took:?}, not 503 under {bound:?}"
        ));
    }
    let mut report = format!(
        "{REQUESTS_WHILE_STOPPED} requests with the database stopped: {:?}, slowest {slowest:?}",
        answers
            .iter()
            .fold(BTreeMap::new(), |mut counts, (_, outcome, _)| {
                *counts.entry(outcome.label()).or_insert(0) += 1;
                counts
            })
    );
    if capturing {
        // A line of these requests names the request id, or only the user when a service
        // function's span is the innermost one.
        let mut lines = logs::lines_of(&user.id);
        lines.extend(answers.iter().flat_map(|(id, _, _)| logs::lines_of(id)));
        let warnings: HashSet<String> = lines
            .iter()
            .filter(|l| l["level"] == "WARN" || l["level"] == "ERROR")
            .map(Value::to_string)
            .collect();
        report.push_str(&format!(", {} WARN/ERROR lines logged", warnings.len()));
        if warnings.len() > MAX_WARNINGS_WHILE_STOPPED {
            failures.push(format!(
                "{} WARN/ERROR lines for {REQUESTS_WHILE_STOPPED} requests (at most \
                 {MAX_WARNINGS_WHILE_STOPPED} allowed), e.g. {}",
                warnings.len(),
                warnings.iter().min().map_or("", String::as_str)
            ));
        }
    } else {
        logs::skip("the log part of a_stopped_database_answers_503…");
    }
    eprintln!("{}: {report}", module_path!());
    assert!(
        failures.is_empty(),
        "a stopped database was not answered with a fast 503:\n- {}\n{report}",
        failures.join("\n- ")
    );
}

/// What a writer's request came to.
#[derive(Debug)]
enum Outcome {
    /// 201.
    Acked,
    /// 503, and whether it carried what SPEC §3 and §9 require.
    Unavailable { problem: bool, retry_after: bool },
    /// Any other status, with the start of the body.
    Other(StatusCode, String),
    /// No answer at all (refused, reset, or over [`REQUEST_TIMEOUT`]).
    NoAnswer(String),
}

impl Outcome {
    /// A short name to count outcomes by.
    fn label(&self) -> String {
        match self {
            Self::Acked => "201".to_owned(),
            Self::Unavailable {
                problem: true,
                retry_after: true,
            } => "503".to_owned(),
            Self::Unavailable { .. } => "503 malformed".to_owned(),
            Self::Other(status, _) => status.as_u16().to_string(),
            Self::NoAnswer(_) => "no answer".to_owned(),
        }
    }

    /// What a failure report says about it.
    fn describe(&self) -> String {
        match self {
            Self::Acked => "201 Created".to_owned(),
            Self::Unavailable {
                problem,
                retry_after,
            } => format!("503 (problem+json: {problem}, Retry-After: {retry_after})"),
            Self::Other(status, body) => format!("{status}: {body}"),
            Self::NoAnswer(err) => format!("no answer: {err}"),
        }
    }
}

/// Sends a request and classifies its answer.
async fn send(request: reqwest::RequestBuilder) -> Outcome {
    let response = match request.timeout(REQUEST_TIMEOUT).send().await {
        Ok(response) => response,
        Err(err) => return Outcome::NoAnswer(err.to_string()),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.text().await {
        Ok(body) => body,
        Err(err) => return Outcome::NoAnswer(format!("{status}, then {err}")),
    };
    match status {
        StatusCode::CREATED => Outcome::Acked,
        StatusCode::SERVICE_UNAVAILABLE => Outcome::Unavailable {
            problem: header(&headers, "content-type") == Some("application/problem+json")
                && serde_json::from_str::<Value>(&body).is_ok_and(|p| p["status"] == 503),
            retry_after: header(&headers, "retry-after").is_some_and(retry_after_is_valid),
        },
        _ => Outcome::Other(status, body.chars().take(200).collect()),
    }
}

/// The status of `GET /health/ready` (a probe's answer, not problem+json), if any.
async fn readiness(app: &TestApp) -> Option<StatusCode> {
    let request = app.request(Method::GET, "/health/ready");
    request
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// RFC 9110: delay-seconds or an HTTP date.
fn retry_after_is_valid(value: &str) -> bool {
    value.parse::<u64>().is_ok() || chrono::DateTime::parse_from_rfc2822(value).is_ok()
}

/// What the writers saw.
#[derive(Debug, Default)]
struct Tally {
    /// Index into [`PHASES`] of the stretch now under way.
    phase: usize,
    /// Titles of the tasks created with a 201.
    acked: Vec<String>,
    /// Answers of any kind.
    responses: usize,
    /// Answers 503, well-formed or not.
    unavailable: usize,
    /// Outcomes counted per phase.
    counts: [BTreeMap<String, usize>; PHASES.len()],
    /// The first few different outcomes that break the rules, with their phase.
    examples: Vec<String>,
}

impl Tally {
    fn record(&mut self, title: String, outcome: &Outcome) {
        self.responses += 1;
        *self.counts[self.phase].entry(outcome.label()).or_default() += 1;
        match outcome {
            Outcome::Acked => self.acked.push(title),
            Outcome::Unavailable {
                problem: true,
                retry_after: true,
            } => self.unavailable += 1,
            other => {
                if let Outcome::Unavailable { .. } = other {
                    self.unavailable += 1;
                }
                let example = format!("{}: {}", PHASES[self.phase], other.describe());
                if self.examples.len() < 5 && !self.examples.contains(&example) {
                    self.examples.push(example);
                }
            }
        }
    }

    /// Counts per phase, e.g. `warm-up: 201×40; 1st restart: 201×45, 500×3`.
    fn by_phase(&self) -> String {
        PHASES
            .iter()
            .zip(&self.counts)
            .map(|(phase, counts)| {
                let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}×{n}")).collect();
                format!("{phase}: {}", counts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Every rule the answers broke, one line each.
    fn failures(&self) -> Vec<String> {
        let (mut server_errors, mut malformed, mut unexpected, mut no_answer) = (0, 0, 0, 0);
        for (label, n) in self.counts.iter().flatten() {
            match label.as_str() {
                "201" | "503" => {}
                "503 malformed" => malformed += n,
                "no answer" => no_answer += n,
                status if status.starts_with('5') => server_errors += n,
                _ => unexpected += n,
            }
        }
        let mut failures = Vec::new();
        if server_errors > 0 {
            failures.push(format!("{server_errors} answers were 5xx other than 503"));
        }
        if malformed > 0 {
            failures.push(format!(
                "{malformed} of {} answers 503 lacked problem+json or Retry-After",
                self.unavailable
            ));
        }
        if unexpected > 0 {
            failures.push(format!("{unexpected} answers had an unexpected status"));
        }
        if no_answer > 0 {
            failures.push(format!(
                "{no_answer} requests got no answer within {REQUEST_TIMEOUT:?}"
            ));
        }
        if !self.examples.is_empty() {
            failures.push(format!("e.g. {}", self.examples.join(" | ")));
        }
        failures
    }
}

/// Creates tasks with titles unique to this writer, one after the other, until `stop`.
async fn write_tasks(
    app: Arc<TestApp>,
    token: String,
    writer: usize,
    tally: Arc<watch::Sender<Tally>>,
    stop: Arc<AtomicBool>,
) {
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let title = format!("fault-{writer}-{n}");
        let request = app
            .authed(Method::POST, "/api/v1/tasks", &token)
            .json(&json!({ "title": title.as_str() }));
        let outcome = send(request).await;
        tally.send_modify(|t| t.record(title, &outcome));
    }
}

/// Waits until the writers' tally meets `condition`; the failure to report when it does not
/// within [`PHASE_DEADLINE`].
async fn wait_for(
    seen: &mut watch::Receiver<Tally>,
    what: &str,
    condition: impl FnMut(&Tally) -> bool,
) -> Option<String> {
    match tokio::time::timeout(PHASE_DEADLINE, seen.wait_for(condition)).await {
        Ok(Ok(_)) => None,
        Ok(Err(_)) => Some(format!("the writers stopped before {what}")),
        Err(_) => Some(format!("no {what} within {PHASE_DEADLINE:?}")),
    }
}

/// Tries `attempt` until it gives `Some`, for at most `within`.
async fn eventually<T, F: Future<Output = Option<T>>>(
    within: Duration,
    mut attempt: impl FnMut() -> F,
) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(done) = attempt().await {
            return Some(done);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The titles of all the user's tasks, read page by page.
async fn all_titles(app: &TestApp, token: &str) -> Result<HashSet<String>, String> {
    let mut titles = HashSet::new();
    let mut path = Some("/api/v1/tasks?limit=250".to_owned());
    while let Some(page) = path.take() {
        let res = app.send(app.authed(Method::GET, &page, token)).await;
        if res.status != StatusCode::OK {
            return Err(format!(
                "listing {page} answered {}: {}",
                res.status, res.text
            ));
        }
        let tasks = res.json();
        for task in tasks.as_array().into_iter().flatten() {
            titles.insert(task["title"].as_str().unwrap_or_default().to_owned());
        }
        path = link_next(&res, "/api/v1/tasks");
    }
    Ok(titles)
}

/// A PostgreSQL cluster of the test's own, stopped (`-m immediate`) and deleted when dropped.
struct Cluster {
    ctl: PgCtl,
    port: u16,
    _dir: TempDir,
}

/// How to run `pg_ctl` on one cluster.
#[derive(Clone)]
struct PgCtl {
    bin: PathBuf,
    dir: PathBuf,
    /// `Some("postgres")` when the test runs as root, which PostgreSQL refuses to run as.
    run_as: Option<&'static str>,
    /// The server options (`-o`): port, socket directory, listen address.
    options: String,
}

impl Cluster {
    /// Initialises and starts a cluster, or says on stderr why `test` is skipped: no
    /// `TUDU_TEST_DATABASE_URL` (PostgreSQL tests are off) or no PostgreSQL server binaries.
    async fn start(test: &str) -> Option<Self> {
        crate::helpers::Backend::postgres(test)?;
        let skip = |why: String| {
            // Written to the stream itself: libtest would swallow `eprintln!` of a passing test.
            let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
        };
        let Some(bin) = server_binaries() else {
            skip(
                "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin \
                 or pg_config --bindir"
                    .to_owned(),
            );
            return None;
        };
        tokio::task::spawn_blocking(move || Self::init(&bin))
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
            .map_err(skip)
            .ok()
    }

    /// `initdb` and `pg_ctl start`; `Err` (a reason to skip) when this user cannot run a
    /// cluster at all.
    fn init(bin: &Path) -> Result<Self, String> {
        let dir = TempDir::new().expect("create a temporary directory");
        let run_as = if output("id", &["-u"]).as_deref() == Some("0") {
            let uid = output("id", &["-u", "postgres"]);
            let gid = output("id", &["-g", "postgres"]);
            let (Some(uid), Some(gid)) = (uid, gid) else {
                return Err("running as root and there is no postgres user to run as".to_owned());
            };
            let (uid, gid) = (uid.parse().ok(), gid.parse().ok());
            std::os::unix::fs::chown(dir.path(), uid, gid).expect("chown the cluster directory");
            Some("postgres")
        } else {
            None
        };
        let mut ctl = PgCtl {
            bin: bin.to_owned(),
            dir: dir.path().to_owned(),
            run_as,
            options: String::new(),
        };
        let data = ctl.data();
        let data = data.to_str().expect("a UTF-8 temporary path");
        let initdb = [
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ];
        if let Err(err) = ctl.run("initdb", &initdb) {
            panic!("initdb of the test's PostgreSQL cluster failed: {err}");
        }
        // A free port can be taken between finding it and binding it: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            ctl.options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1",
                ctl.dir.display()
            );
            match ctl.pg_ctl(&["start"]) {
                Ok(()) => {
                    return Ok(Self {
                        ctl,
                        port,
                        _dir: dir,
                    });
                }
                Err(err) => last_error = err,
            }
        }
        panic!("the test's PostgreSQL cluster did not start: {last_error}");
    }

    /// The URL of its `postgres` database.
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `pg_ctl <args>` off the runtime's threads, panicking when it fails.
    async fn pg_ctl(&self, args: &[&str]) {
        let ctl = self.ctl.clone();
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ctl.pg_ctl(&args)
        })
        .await
        .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
        .unwrap_or_else(|err| panic!("{err}"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Also on panic: a cluster left running would outlive its deleted directory.
        let _ = self.ctl.pg_ctl(&["stop", "-m", "immediate"]);
    }
}

impl PgCtl {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `pg_ctl -D <data> -l <log> -o <options> -w <args>`.
    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let data = self.data();
        let log = self.dir.join("server.log");
        let mut all = vec![
            "-D",
            data.to_str().expect("UTF-8"),
            // Without a log file the server would inherit, and hold open, this process's pipes.
            "-l",
            log.to_str().expect("UTF-8"),
            "-o",
            &self.options,
            "-w",
            "-t",
            "60",
        ];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all).map_err(|err| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{err}\nserver log:\n{}", tail.join("\n"))
        })
    }

    /// Runs one of the server binaries as the cluster's owner.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        let out = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot run {}: {err}", program.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} {} failed ({}): {}{}",
                program.display(),
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: the newest Debian-style install, else what
/// `pg_config --bindir` says.
fn server_binaries() -> Option<PathBuf> {
    let complete = |bin: &Path| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file();
    let mut installed: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| complete(bin))
        .collect();
    installed.sort();
    installed
        .pop()
        .map(|(_, bin)| bin)
        .or_else(|| output("pg_config", &["--bindir"]).map(PathBuf::from))
        .filter(|bin| complete(bin))
}

/// The trimmed standard output of a command that succeeded.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}
