//! Listing: every filter alone and combined, every sort key in both orders, `X-Total-Count`,
//! `Link` keyset paging, 422 for bad parameters, isolation between users, a page written
//! exactly like the single-task responses, and a property test of paging while other tasks are
//! created and deleted.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, assert_invalid, both_backends, link_next, string_at};

both_backends!(
    status_filter_selects_pending_or_completed,
    priority_filter_accepts_any_case,
    one_tag_filters_and_two_tags_must_all_match,
    q_searches_title_and_description_ignoring_case,
    q_treats_like_metacharacters_literally,
    q_ignores_case_beyond_ascii,
    due_before_and_due_after_are_inclusive_instants,
    bare_dates_bound_whole_days_in_the_users_time_zone,
    overdue_lists_pending_tasks_past_their_due_date,
    filters_combine_with_and,
    every_sort_key_orders_both_ways_with_id_tie_breaks,
    total_count_ignores_limit_and_link_appears_only_before_the_last_page,
    following_link_walks_every_page_once_for_every_sort,
    following_link_keeps_the_filters,
    bad_query_parameters_return_422,
    cursor_for_another_sort_or_order_or_tampered_returns_422,
    other_users_tasks_never_appear,
    a_page_is_the_single_task_responses_byte_for_byte,
);

/// Every sort key the API accepts.
const SORTS: [&str; 6] = [
    "created_at",
    "updated_at",
    "due_date",
    "priority",
    "title",
    "number",
];

// ---- helpers ----

/// Percent-encodes a query value.
fn enc(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn array(res: &TestResponse) -> Vec<Value> {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .unwrap_or_else(|| panic!("expected an array: {}", res.text))
        .clone()
}

fn titles_of(tasks: &[Value]) -> Vec<String> {
    tasks.iter().map(|t| string_at(t, "/title")).collect()
}

fn ids_of(tasks: &[Value]) -> Vec<String> {
    tasks.iter().map(|t| string_at(t, "/id")).collect()
}

/// Titles of the tasks a query lists (one page, up to 1000), sorted so that the order of the
/// listing does not matter.
async fn titles(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let query = if query.is_empty() {
        "limit=1000".to_owned()
    } else {
        format!("{query}&limit=1000")
    };
    let res = app.list_tasks(token, &query).await;
    let mut titles = titles_of(&array(&res));
    titles.sort();
    titles
}

fn sorted(titles: &[&str]) -> Vec<String> {
    let mut titles: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
    titles.sort();
    titles
}

fn total(res: &TestResponse) -> i64 {
    res.header("x-total-count")
        .unwrap_or_else(|| panic!("no X-Total-Count: {:?}", res.headers))
        .parse()
        .expect("X-Total-Count is an integer")
}

/// The URL of the task list's `Link: <…>; rel="next"`.
fn next_link(res: &TestResponse) -> Option<String> {
    link_next(res, "/api/v1/tasks?")
}

/// The `cursor` parameter of a `Link` URL.
fn cursor_of(url: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no cursor in {url}"))
}

/// Follows `Link` headers from `/api/v1/tasks?<query>`; returns every task in order and the
/// number of pages. Asserts that every page is 200, holds at most `limit` tasks (when the query
/// has one), and carries the same `X-Total-Count`.
async fn walk(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, usize) {
    let limit = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "limit")
        .map(|(_, v)| v.parse::<usize>().expect("numeric limit"));
    let mut url = format!("/api/v1/tasks?{query}");
    let mut tasks = Vec::new();
    let mut pages = 0;
    let mut expected_total = None;
    loop {
        let res = app.send(app.authed(Method::GET, &url, token)).await;
        let page = array(&res);
        pages += 1;
        if let Some(limit) = limit {
            assert!(
                page.len() <= limit,
                "[{}] page over limit at {url}",
                app.backend
            );
        }
        let page_total = total(&res);
        assert_eq!(
            *expected_total.get_or_insert(page_total),
            page_total,
            "[{}] X-Total-Count changed while paging at {url}",
            app.backend
        );
        tasks.extend(page);
        match next_link(&res) {
            Some(next) => url = next,
            None => break,
        }
        assert!(pages < 10_000, "paging does not end");
    }
    (tasks, pages)
}

fn instant_at(task: &Value, field: &str) -> Option<DateTime<Utc>> {
    task[field].as_str().map(|s| {
        s.parse()
            .unwrap_or_else(|err| panic!("{field} is not RFC 3339 ({err}): {task}"))
    })
}

fn rank(task: &Value) -> u8 {
    match task["priority"].as_str() {
        Some("NONE") => 0,
        Some("LOW") => 1,
        Some("MEDIUM") => 2,
        Some("HIGH") => 3,
        other => panic!("unknown priority {other:?}"),
    }
}

fn uuid_of(task: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(&string_at(task, "/id")).expect("id is a UUID")
}

/// The documented order: by `sort`, ties by id in the same direction; undated tasks last in
/// both orders of `due_date`.
fn compare(a: &Value, b: &Value, sort: &str, desc: bool) -> Ordering {
    let primary = match sort {
        "created_at" | "updated_at" => instant_at(a, sort).cmp(&instant_at(b, sort)),
        "due_date" => match (instant_at(a, "due_date"), instant_at(b, "due_date")) {
            (Some(x), Some(y)) => x.cmp(&y),
            (None, None) => Ordering::Equal,
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
        },
        "priority" => rank(a).cmp(&rank(b)),
        "title" => string_at(a, "/title").cmp(&string_at(b, "/title")),
        "number" => a["number"].as_i64().cmp(&b["number"].as_i64()),
        other => panic!("unknown sort {other}"),
    };
    let order = primary.then_with(|| uuid_of(a).cmp(&uuid_of(b)));
    if desc { order.reverse() } else { order }
}

fn expected_order(tasks: &[Value], sort: &str, desc: bool) -> Vec<String> {
    let mut tasks = tasks.to_vec();
    tasks.sort_by(|a, b| compare(a, b, sort, desc));
    ids_of(&tasks)
}

/// Every task of the user, in no particular order.
async fn all_tasks(app: &TestApp, token: &str) -> Vec<Value> {
    array(&app.list_tasks(token, "limit=1000").await)
}

/// Nine tasks with ties on every key but number, undated ones, and an update order that differs
/// from the creation order. Titles are lower-case ASCII so that every collation agrees.
async fn sort_fixture(app: &TestApp, token: &str) -> Vec<Value> {
    let specs = [
        ("delta", "high", Some("2026-05-01T10:00:00Z")),
        ("alpha", "LOW", None),
        ("charlie", "HIGH", Some("2026-05-01T10:00:00Z")),
        ("bravo", "none", Some("2026-04-01T08:00:00Z")),
        ("alpha", "Medium", Some("2026-06-01T00:00:00Z")),
        ("echo", "NONE", None),
        ("bravo", "low", Some("2026-04-01T08:00:00Z")),
        ("foxtrot", "MEDIUM", None),
        ("golf", "HIGH", Some("2026-03-15T12:00:00Z")),
    ];
    for (title, priority, due) in specs {
        app.create_task_ok(
            token,
            &json!({ "title": title, "priority": priority, "due_date": due }),
        )
        .await;
    }
    for number in ["3", "1", "6"] {
        let res = app
            .patch_task(token, number, &json!({ "description": "touched" }))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    all_tasks(app, token).await
}

// ---- filters ----

async fn status_filter_selects_pending_or_completed(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in ["open one", "done one", "open two", "done two"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    for number in ["2", "4"] {
        let res = app
            .complete_task(&user.token, number, Some(&json!({ "completed": true })))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }

    // Act / Assert
    let every = sorted(&["open one", "done one", "open two", "done two"]);
    assert_eq!(titles(&app, &user.token, "").await, every);
    assert_eq!(titles(&app, &user.token, "status=all").await, every);
    assert_eq!(
        titles(&app, &user.token, "status=pending").await,
        sorted(&["open one", "open two"])
    );
    assert_eq!(
        titles(&app, &user.token, "status=completed").await,
        sorted(&["done one", "done two"])
    );
    assert_eq!(
        titles(&app, &user.token, "status=Completed").await,
        sorted(&["done one", "done two"])
    );
}

async fn priority_filter_accepts_any_case(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for (title, priority) in [
        ("h1", "HIGH"),
        ("h2", "high"),
        ("m", "MEDIUM"),
        ("l", "LOW"),
        ("n", "NONE"),
    ] {
        app.create_task_ok(
            &user.token,
            &json!({ "title": title, "priority": priority }),
        )
        .await;
    }
    app.create_task_ok(&user.token, &json!({ "title": "default" }))
        .await;

    // Act / Assert
    for query in ["priority=HIGH", "priority=high", "priority=High"] {
        assert_eq!(
            titles(&app, &user.token, query).await,
            sorted(&["h1", "h2"]),
            "[{}] {query}",
            app.backend
        );
    }
    assert_eq!(titles(&app, &user.token, "priority=medium").await, ["m"]);
    assert_eq!(titles(&app, &user.token, "priority=low").await, ["l"]);
    assert_eq!(
        titles(&app, &user.token, "priority=none").await,
        sorted(&["n", "default"])
    );
    let res = app.list_tasks(&user.token, "priority=high").await;
    assert_eq!(total(&res), 2);
}

async fn one_tag_filters_and_two_tags_must_all_match(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for (title, tags) in [
        ("w", json!(["work"])),
        ("wu", json!(["Work", "urgent"])),
        ("hu", json!(["home", "urgent"])),
        ("none", json!([])),
    ] {
        app.create_task_ok(&user.token, &json!({ "title": title, "tags": tags }))
            .await;
    }

    // Act / Assert
    assert_eq!(
        titles(&app, &user.token, "tag=work").await,
        sorted(&["w", "wu"])
    );
    assert_eq!(
        titles(&app, &user.token, "tag=URGENT").await,
        sorted(&["wu", "hu"])
    );
    assert_eq!(
        titles(&app, &user.token, "tag=work&tag=urgent").await,
        ["wu"]
    );
    assert_eq!(
        titles(&app, &user.token, "tag=urgent&tag=work").await,
        ["wu"]
    );
    assert_eq!(
        titles(&app, &user.token, "tag=work&tag=work").await,
        sorted(&["w", "wu"])
    );
    assert!(
        titles(&app, &user.token, "tag=work&tag=home")
            .await
            .is_empty()
    );
    let res = app.list_tasks(&user.token, "tag=missing").await;
    assert_eq!(array(&res), Vec::<Value>::new());
    assert_eq!(total(&res), 0);
    // A tag is matched whole, not as a substring.
    assert!(titles(&app, &user.token, "tag=wor").await.is_empty());
}

async fn q_searches_title_and_description_ignoring_case(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for (title, description) in [
        ("Buy MILK", None),
        ("call mom", Some("ask about the Milkshake recipe")),
        ("unrelated", Some("nothing to see")),
        ("another", None),
    ] {
        app.create_task_ok(
            &user.token,
            &json!({ "title": title, "description": description }),
        )
        .await;
    }

    // Act / Assert
    let milk = sorted(&["Buy MILK", "call mom"]);
    for q in ["milk", "MILK", "mIlK", "  milk  "] {
        assert_eq!(
            titles(&app, &user.token, &format!("q={}", enc(q))).await,
            milk,
            "[{}] q={q:?}",
            app.backend
        );
    }
    assert_eq!(
        titles(&app, &user.token, "q=NOTHING").await,
        ["unrelated"],
        "description only"
    );
    assert_eq!(
        titles(&app, &user.token, &format!("q={}", enc("buy milk"))).await,
        ["Buy MILK"]
    );
    assert!(titles(&app, &user.token, "q=zebra").await.is_empty());
    let res = app.list_tasks(&user.token, "q=milk&limit=1").await;
    assert_eq!(total(&res), 2);
}

async fn q_treats_like_metacharacters_literally(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in [
        "50% off sale",
        "5000 off",
        "snake_case name",
        "snakeXcase name",
        r"back\slash",
        "backslash",
    ] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    app.create_task_ok(
        &user.token,
        &json!({ "title": "plain", "description": "100% sure" }),
    )
    .await;

    // Act / Assert
    let search = |q: &str| format!("q={}", enc(q));
    assert_eq!(
        titles(&app, &user.token, &search("50%")).await,
        ["50% off sale"]
    );
    assert_eq!(
        titles(&app, &user.token, &search("%")).await,
        sorted(&["50% off sale", "plain"])
    );
    assert_eq!(
        titles(&app, &user.token, &search("e_c")).await,
        ["snake_case name"]
    );
    assert_eq!(
        titles(&app, &user.token, &search("_")).await,
        ["snake_case name"]
    );
    assert_eq!(
        titles(&app, &user.token, &search(r"k\s")).await,
        [r"back\slash"]
    );
    assert_eq!(
        titles(&app, &user.token, &search("%_")).await,
        Vec::<String>::new()
    );
    // SQLite searches with `glob`: its metacharacters are literal too.
    for title in ["glob * star", "what?", "[draft] notes", "draft"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    assert_eq!(
        titles(&app, &user.token, &search("*")).await,
        ["glob * star"]
    );
    assert_eq!(titles(&app, &user.token, &search("?")).await, ["what?"]);
    assert_eq!(
        titles(&app, &user.token, &search("[draft]")).await,
        ["[draft] notes"]
    );
}

async fn q_ignores_case_beyond_ascii(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in ["École d'été", "ÅNGSTRÖM units", "Σίσυφος", "Kelvin scale"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    app.create_task_ok(
        &user.token,
        &json!({ "title": "plain", "description": "Über alles" }),
    )
    .await;

    // Act / Assert
    let search = |q: &str| format!("q={}", enc(q));
    for (q, expected) in [
        ("école", &["École d'été"][..]),
        ("ÉTÉ", &["École d'été"]),
        ("ångström", &["ÅNGSTRÖM units"]),
        ("ΣΊΣΥΦ", &["Σίσυφος"]),
        ("über", &["plain"]),
        // U+212A KELVIN SIGN folds to an ASCII k
        ("\u{212a}elvin", &["Kelvin scale"]),
        // accents are not folded away, as in PostgreSQL's ilike
        ("ecole", &[]),
    ] {
        assert_eq!(
            titles(&app, &user.token, &search(q)).await,
            expected,
            "[{}] q={q:?}",
            app.backend
        );
    }
}

async fn due_before_and_due_after_are_inclusive_instants(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for (title, due) in [
        ("t10", Some("2026-03-10T10:00:00Z")),
        ("t12", Some("2026-03-10T12:00:00Z")),
        ("t14", Some("2026-03-10T14:00:00Z")),
        ("undated", None),
    ] {
        app.create_task_ok(&user.token, &json!({ "title": title, "due_date": due }))
            .await;
    }
    let at = |param: &str, value: &str| format!("{param}={}", enc(value));

    // Act / Assert
    assert_eq!(
        titles(&app, &user.token, &at("due_after", "2026-03-10T12:00:00Z")).await,
        sorted(&["t12", "t14"])
    );
    assert_eq!(
        titles(&app, &user.token, &at("due_before", "2026-03-10T12:00:00Z")).await,
        sorted(&["t10", "t12"])
    );
    let both = format!(
        "{}&{}",
        at("due_after", "2026-03-10T12:00:00Z"),
        at("due_before", "2026-03-10T12:00:00Z")
    );
    assert_eq!(titles(&app, &user.token, &both).await, ["t12"]);
    // Offsets are honoured (13:00+02:00 = 11:00Z).
    assert_eq!(
        titles(
            &app,
            &user.token,
            &at("due_after", "2026-03-10T13:00:00+02:00")
        )
        .await,
        sorted(&["t12", "t14"])
    );
    assert_eq!(
        titles(
            &app,
            &user.token,
            &at("due_before", "2026-03-10T11:59:59.999Z")
        )
        .await,
        ["t10"]
    );
    // An empty range and a range that excludes everything list nothing and count 0.
    let res = app
        .list_tasks(
            &user.token,
            &format!(
                "{}&{}",
                at("due_after", "2026-03-10T13:00:00Z"),
                at("due_before", "2026-03-10T12:00:00Z")
            ),
        )
        .await;
    assert_eq!(array(&res), Vec::<Value>::new());
    assert_eq!(total(&res), 0);
}

async fn bare_dates_bound_whole_days_in_the_users_time_zone(app: TestApp) {
    // Arrange: Asia/Tokyo is UTC+9 all year, so 2026-03-10 there is
    // [2026-03-09T15:00Z, 2026-03-10T15:00Z).
    let user = app.new_user_with(json!({ "timezone": "Asia/Tokyo" })).await;
    for (title, due) in [
        ("eve", "2026-03-09T14:59:59Z"),      // 23:59:59 on the 9th in Tokyo
        ("midnight", "2026-03-09T15:00:00Z"), // 00:00 on the 10th
        ("noon", "2026-03-10T03:00:00Z"),     // 12:00 on the 10th
        ("last", "2026-03-10T14:59:59.500Z"), // 23:59:59.5 on the 10th
        ("next", "2026-03-10T15:00:00Z"),     // 00:00 on the 11th
        ("bare", "2026-03-10"),               // by the end of the 10th, Tokyo time
        ("local", "2026-03-10T08:30"),        // 08:30 Tokyo time
    ] {
        app.create_task_ok(&user.token, &json!({ "title": title, "due_date": due }))
            .await;
    }
    app.create_task_ok(&user.token, &json!({ "title": "undated" }))
        .await;

    // Act / Assert
    let day = ["midnight", "noon", "last", "bare", "local"];
    assert_eq!(
        titles(&app, &user.token, "due_after=2026-03-10").await,
        sorted(&["midnight", "noon", "last", "next", "bare", "local"])
    );
    assert_eq!(
        titles(&app, &user.token, "due_before=2026-03-10").await,
        sorted(&["eve", "midnight", "noon", "last", "bare", "local"])
    );
    assert_eq!(
        titles(
            &app,
            &user.token,
            "due_after=2026-03-10&due_before=2026-03-10"
        )
        .await,
        sorted(&day)
    );
    // A naive date-time is read in the user's zone too (12:00 Tokyo = 03:00Z), inclusively.
    assert_eq!(
        titles(
            &app,
            &user.token,
            "due_after=2026-03-10T00:00&due_before=2026-03-10T12:00"
        )
        .await,
        sorted(&["midnight", "noon", "local"])
    );
    assert_eq!(
        titles(
            &app,
            &user.token,
            &format!("due_before={}", enc("2026-03-10 08:30:00"))
        )
        .await,
        sorted(&["eve", "midnight", "local"])
    );

    // The same bare date in UTC is a different day: [2026-03-10T00:00Z, 2026-03-11T00:00Z).
    let res = app
        .patch_me(&user.token, &json!({ "timezone": "UTC" }))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        titles(
            &app,
            &user.token,
            "due_after=2026-03-10&due_before=2026-03-10"
        )
        .await,
        sorted(&["noon", "last", "next", "bare"]),
        "[{}] bare dates are read in the user's current zone",
        app.backend
    );
}

async fn overdue_lists_pending_tasks_past_their_due_date(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for (title, due, priority) in [
        ("late high", Some("2020-01-01T00:00:00Z"), "HIGH"),
        ("late low", Some("2021-06-01T12:00:00Z"), "LOW"),
        ("late done", Some("2020-01-01T00:00:00Z"), "HIGH"),
        ("future", Some("2099-01-01T00:00:00Z"), "HIGH"),
        ("undated", None, "HIGH"),
    ] {
        app.create_task_ok(
            &user.token,
            &json!({ "title": title, "due_date": due, "priority": priority }),
        )
        .await;
    }
    let res = app
        .complete_task(&user.token, "3", Some(&json!({ "completed": true })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Act / Assert
    let late = sorted(&["late high", "late low"]);
    assert_eq!(titles(&app, &user.token, "overdue=true").await, late);
    assert_eq!(titles(&app, &user.token, "overdue=TRUE").await, late);
    assert_eq!(titles(&app, &user.token, "overdue=1").await, late);
    assert_eq!(titles(&app, &user.token, "overdue=false").await.len(), 5);
    assert_eq!(
        titles(&app, &user.token, "overdue=true&priority=high").await,
        ["late high"]
    );
    assert!(
        titles(&app, &user.token, "overdue=true&status=completed")
            .await
            .is_empty()
    );
    let res = app.list_tasks(&user.token, "overdue=true&limit=1").await;
    assert_eq!(total(&res), 2);
    assert!(next_link(&res).is_some());
}

async fn filters_combine_with_and(app: TestApp) {
    // Arrange: one task matches every filter; each decoy fails exactly one of them.
    let user = app.new_user().await;
    let matching = json!({
        "title": "Quarterly report",
        "priority": "HIGH",
        "tags": ["work", "q3"],
        "due_date": "2026-09-15T12:00:00Z",
    });
    let mut decoys = HashMap::new();
    for (name, field, value) in [
        ("done", "title", json!("Quarterly report (done)")),
        ("low", "priority", json!("LOW")),
        ("one tag", "tags", json!(["work"])),
        ("other text", "title", json!("Quarterly summary")),
        ("too early", "due_date", json!("2026-08-31T23:59:59Z")),
        ("too late", "due_date", json!("2026-10-01T00:00:00Z")),
        ("undated", "due_date", Value::Null),
    ] {
        let mut body = matching.clone();
        body[field] = value;
        let task = app.create_task_ok(&user.token, &body).await;
        decoys.insert(name, string_at(&task, "/id"));
    }
    let target = string_at(&app.create_task_ok(&user.token, &matching).await, "/id");
    let res = app
        .complete_task(
            &user.token,
            &decoys["done"],
            Some(&json!({ "completed": true })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let filters = [
        ("status=pending", "done"),
        ("priority=high", "low"),
        ("tag=work&tag=q3", "one tag"),
        ("q=REPORT", "other text"),
        ("due_after=2026-09-01", "too early"),
        ("due_before=2026-09-30", "too late"),
    ];

    // Act / Assert
    let all: Vec<&str> = filters.iter().map(|(q, _)| *q).collect();
    let res = app.list_tasks(&user.token, &all.join("&")).await;
    assert_eq!(
        ids_of(&array(&res)),
        std::slice::from_ref(&target),
        "[{}]",
        app.backend
    );
    assert_eq!(total(&res), 1);
    for (filter, decoy) in filters {
        let ids = ids_of(&array(&app.list_tasks(&user.token, filter).await));
        assert!(
            ids.contains(&target),
            "[{}] {filter} drops the match",
            app.backend
        );
        assert!(
            !ids.contains(&decoys[decoy]),
            "[{}] {filter} keeps the decoy {decoy}",
            app.backend
        );
        // Every other filter alone lets this decoy through (bar the undated one, which no due
        // filter keeps).
        let others: Vec<&str> = all.iter().copied().filter(|q| *q != filter).collect();
        let ids = ids_of(&array(
            &app.list_tasks(&user.token, &others.join("&")).await,
        ));
        assert!(
            ids.contains(&decoys[decoy]),
            "[{}] without {filter} the decoy {decoy} is expected",
            app.backend
        );
    }
    let ids = ids_of(&array(
        &app.list_tasks(&user.token, "due_after=2026-01-01").await,
    ));
    assert!(!ids.contains(&decoys["undated"]));
}

// ---- sorting ----

async fn every_sort_key_orders_both_ways_with_id_tie_breaks(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let tasks = sort_fixture(&app, &user.token).await;
    assert_eq!(tasks.len(), 9);

    // Act / Assert
    for sort in SORTS {
        for (order, desc) in [("asc", false), ("desc", true)] {
            let res = app
                .list_tasks(&user.token, &format!("sort={sort}&order={order}"))
                .await;
            let listed = array(&res);
            assert_eq!(
                ids_of(&listed),
                expected_order(&tasks, sort, desc),
                "[{}] sort={sort}&order={order}: {:?}",
                app.backend,
                titles_of(&listed)
            );
        }
    }
    // The defaults: created_at, desc.
    let default = array(&app.list_tasks(&user.token, "").await);
    assert_eq!(ids_of(&default), expected_order(&tasks, "created_at", true));
    let desc_only = array(&app.list_tasks(&user.token, "order=desc").await);
    assert_eq!(
        ids_of(&desc_only),
        expected_order(&tasks, "created_at", true)
    );
    let number_only = array(&app.list_tasks(&user.token, "sort=number").await);
    assert_eq!(ids_of(&number_only), expected_order(&tasks, "number", true));
    // Enum values are case-insensitive, sort keys included.
    let shouted = array(&app.list_tasks(&user.token, "sort=NUMBER&order=ASC").await);
    assert_eq!(ids_of(&shouted), expected_order(&tasks, "number", false));
    // Spot checks of the documented meaning.
    let by_priority = array(
        &app.list_tasks(&user.token, "sort=priority&order=desc")
            .await,
    );
    assert_eq!(by_priority[0]["priority"], "HIGH");
    assert_eq!(by_priority[8]["priority"], "NONE");
    for order in ["asc", "desc"] {
        let by_due = array(
            &app.list_tasks(&user.token, &format!("sort=due_date&order={order}"))
                .await,
        );
        let undated: Vec<bool> = by_due.iter().map(|t| t["due_date"].is_null()).collect();
        assert_eq!(
            undated,
            [false, false, false, false, false, false, true, true, true],
            "[{}] undated last with order={order}",
            app.backend
        );
    }
    let by_title = array(&app.list_tasks(&user.token, "sort=title&order=asc").await);
    assert_eq!(
        titles_of(&by_title),
        [
            "alpha", "alpha", "bravo", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"
        ]
    );
}

// ---- paging ----

async fn total_count_ignores_limit_and_link_appears_only_before_the_last_page(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for n in 0..7 {
        let tags = if n % 2 == 0 { json!(["x"]) } else { json!([]) };
        app.create_task_ok(
            &user.token,
            &json!({ "title": format!("t{n}"), "tags": tags }),
        )
        .await;
    }

    // Act / Assert
    for (query, len, has_next) in [
        ("", 7, false),
        ("limit=1", 1, true),
        ("limit=6", 6, true),
        ("limit=7", 7, false),
        ("limit=8", 7, false),
        ("limit=1000", 7, false),
    ] {
        let res = app.list_tasks(&user.token, query).await;
        assert_eq!(array(&res).len(), len, "[{}] {query}", app.backend);
        assert_eq!(total(&res), 7, "[{}] {query}", app.backend);
        assert_eq!(
            next_link(&res).is_some(),
            has_next,
            "[{}] {query}",
            app.backend
        );
    }
    let res = app.list_tasks(&user.token, "tag=x&limit=3").await;
    assert_eq!(total(&res), 4);
    let next = next_link(&res).expect("a second page");
    let last = app.send(app.authed(Method::GET, &next, &user.token)).await;
    assert_eq!(array(&last).len(), 1);
    assert_eq!(total(&last), 4, "the total is the same on every page");
    assert_eq!(next_link(&last), None, "no Link on the last page");
    // An exact fit: the second page of 2 + 2 holds the last tasks and has no Link.
    let (tasks, pages) = walk(&app, &user.token, "tag=x&limit=2").await;
    assert_eq!((tasks.len(), pages), (4, 2));
    // A page left empty by deletions after its cursor was issued still counts the matches.
    let res = app
        .list_tasks(&user.token, "tag=x&sort=number&order=asc&limit=3")
        .await;
    let next = next_link(&res).expect("a second page");
    let res = app.delete_task(&user.token, "7").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let emptied = app.send(app.authed(Method::GET, &next, &user.token)).await;
    assert_eq!(
        (array(&emptied).len(), total(&emptied), next_link(&emptied)),
        (0, 3, None),
        "[{}]",
        app.backend
    );
    // An empty listing.
    let res = app.list_tasks(&user.token, "tag=nothing&limit=1").await;
    assert_eq!(
        (array(&res).len(), total(&res), next_link(&res)),
        (0, 0, None)
    );
}

async fn following_link_walks_every_page_once_for_every_sort(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let tasks = sort_fixture(&app, &user.token).await;

    // Act / Assert
    for sort in SORTS {
        for (order, desc) in [("asc", false), ("desc", true)] {
            let expected = expected_order(&tasks, sort, desc);
            for limit in [1, 2, 4, 9] {
                let query = format!("sort={sort}&order={order}&limit={limit}");
                let (walked, pages) = walk(&app, &user.token, &query).await;
                assert_eq!(
                    ids_of(&walked),
                    expected,
                    "[{}] {query}: {:?}",
                    app.backend,
                    titles_of(&walked)
                );
                assert_eq!(
                    pages,
                    expected.len().div_ceil(limit),
                    "[{}] {query}",
                    app.backend
                );
            }
        }
    }
    // The default order pages too.
    let (walked, _) = walk(&app, &user.token, "limit=2").await;
    assert_eq!(ids_of(&walked), expected_order(&tasks, "created_at", true));
}

async fn following_link_keeps_the_filters(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut matching = Vec::new();
    for n in 0..12 {
        let body = json!({
            "title": format!("item {n} {}", if n % 3 == 0 { "50% match" } else { "other" }),
            "tags": if n % 2 == 0 { json!(["a", "b"]) } else { json!(["a"]) },
            "priority": if n % 4 == 0 { "LOW" } else { "HIGH" },
        });
        let task = app.create_task_ok(&user.token, &body).await;
        if n % 2 == 0 && n % 3 == 0 && n % 4 != 0 {
            matching.push(task);
        }
    }
    assert_eq!(matching.len(), 1);
    let query = format!(
        "tag=a&tag=b&priority=high&q={}&sort=title&order=asc&limit=1",
        enc("50% MATCH")
    );

    // Act
    let first = app.list_tasks(&user.token, &query).await;
    let (walked, pages) = walk(&app, &user.token, &query).await;
    let broad = "tag=a&tag=b&sort=title&order=asc&limit=2";
    let (walked_broad, pages_broad) = walk(&app, &user.token, broad).await;

    // Assert
    assert_eq!(total(&first), 1);
    assert_eq!(next_link(&first), None);
    assert_eq!((ids_of(&walked), pages), (ids_of(&matching), 1));
    assert_eq!((walked_broad.len(), pages_broad), (6, 3));
    let second = app.list_tasks(&user.token, broad).await;
    let link = next_link(&second).expect("a next page");
    for part in [
        "tag=a",
        "tag=b",
        "sort=title",
        "order=asc",
        "limit=2",
        "cursor=",
    ] {
        assert!(
            link.contains(part),
            "[{}] {part} missing from {link}",
            app.backend
        );
    }
    assert!(walked_broad.iter().all(|t| t["tags"] == json!(["a", "b"])));
}

// ---- bad parameters ----

async fn bad_query_parameters_return_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "one" }))
        .await;
    let long_q = format!("q={}", "x".repeat(201));

    // Act / Assert
    for (query, field) in [
        ("status=done", "status"),
        ("status=", "status"),
        ("priority=urgent", "priority"),
        ("priority=", "priority"),
        ("sort=colour", "sort"),
        ("sort=id", "sort"),
        ("order=up", "order"),
        ("order=", "order"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("overdue=maybe", "overdue"),
        ("due_before=tomorrow", "due_before"),
        ("due_before=2026-13-01", "due_before"),
        ("due_after=2026-02-30", "due_after"),
        ("due_after=10/03/2026", "due_after"),
        ("cursor=garbage", "cursor"),
        ("cursor=", "cursor"),
        (long_q.as_str(), "q"),
    ] {
        let res = app.list_tasks(&user.token, query).await;
        assert_invalid(&res, field);
    }
    // Several bad parameters are all reported at once.
    let res = app.list_tasks(&user.token, "status=x&limit=0&sort=y").await;
    let body = assert_invalid(&res, "status");
    let fields: HashSet<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, HashSet::from(["status", "limit", "sort"]));
    // The limits themselves are fine.
    for query in [
        "limit=1",
        "limit=1000",
        "sort=number&order=ASC",
        "overdue=false",
    ] {
        let res = app.list_tasks(&user.token, query).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "[{}] {query}: {}",
            app.backend,
            res.text
        );
    }
}

async fn cursor_for_another_sort_or_order_or_tampered_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    for title in ["a", "b", "c"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let res = app
        .list_tasks(&user.token, "sort=title&order=asc&limit=1")
        .await;
    let cursor = cursor_of(&next_link(&res).expect("a next page"));
    let id = uuid_of(&array(&res)[0]);
    let forged = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());

    // Act / Assert
    for query in [
        format!("sort=priority&order=asc&limit=1&cursor={cursor}"),
        format!("sort=title&order=desc&limit=1&cursor={cursor}"),
        format!("limit=1&cursor={cursor}"),
        format!(
            "sort=title&order=asc&cursor={}",
            &cursor[..cursor.len() - 3]
        ),
        format!("sort=title&order=asc&cursor={cursor}xyz"),
        format!(
            "sort=title&order=asc&cursor={}",
            forged(json!({ "s": "title", "o": "asc", "v": 5, "i": id }))
        ),
        format!(
            "sort=due_date&order=asc&cursor={}",
            forged(json!({ "s": "due_date", "o": "asc", "v": "not a date", "i": id }))
        ),
        format!(
            "sort=number&order=asc&cursor={}",
            forged(json!({ "s": "number", "o": "asc", "v": 1, "i": "not-a-uuid" }))
        ),
        format!(
            "sort=title&order=asc&cursor={}",
            forged(json!({ "s": "colour", "o": "asc", "v": "a", "i": id }))
        ),
        format!("cursor={}", forged(json!([1, 2, 3]))),
    ] {
        let res = app.list_tasks(&user.token, &query).await;
        assert_invalid(&res, "cursor");
    }
    // The same cursor with its own sort and order, and other filters, is accepted.
    let res = app
        .list_tasks(
            &user.token,
            &format!("sort=title&order=asc&limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(titles_of(&array(&res)), ["b"]);
    let res = app
        .list_tasks(
            &user.token,
            &format!("sort=title&order=ASC&status=pending&cursor={cursor}"),
        )
        .await;
    assert_eq!(titles_of(&array(&res)), ["b", "c"]);
}

// ---- isolation ----

async fn other_users_tasks_never_appear(app: TestApp) {
    // Arrange: both users have tasks matching the same filters.
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let mut mine = HashSet::new();
    for n in 0..5 {
        let body = json!({
            "title": format!("shared title {n}"),
            "tags": ["common"],
            "priority": "HIGH",
            "due_date": "2020-01-01T00:00:00Z",
        });
        mine.insert(string_at(
            &app.create_task_ok(&alice.token, &body).await,
            "/id",
        ));
        app.create_task_ok(&bob.token, &body).await;
    }
    let queries = [
        "limit=2".to_owned(),
        "tag=common&limit=2".to_owned(),
        "q=shared&priority=high&limit=3".to_owned(),
        "overdue=true&limit=4".to_owned(),
        "due_before=2020-01-02&limit=1".to_owned(),
    ];

    // Act / Assert
    for sort in SORTS {
        for query in &queries {
            let query = format!("{query}&sort={sort}");
            let (tasks, _) = walk(&app, &alice.token, &query).await;
            let ids: HashSet<String> = ids_of(&tasks).into_iter().collect();
            assert_eq!(ids, mine, "[{}] {query}", app.backend);
            assert!(tasks.iter().all(|t| t["user_id"] == alice.id.as_str()));
        }
    }
    let res = app.list_tasks(&alice.token, "").await;
    assert_eq!(total(&res), 5);
    // Alice's cursor in Bob's hands only pages through Bob's tasks.
    let res = app
        .list_tasks(&alice.token, "sort=title&order=asc&limit=1")
        .await;
    let cursor = cursor_of(&next_link(&res).expect("a next page"));
    let res = app
        .list_tasks(&bob.token, &format!("sort=title&order=asc&cursor={cursor}"))
        .await;
    let bobs = array(&res);
    // Bob's "shared title 0" sorts after Alice's (same title, later UUID v7), so all five show.
    assert_eq!(bobs.len(), 5);
    assert!(bobs.iter().all(|t| t["user_id"] == bob.id.as_str()));
    assert_eq!(total(&res), 5);
}

// ---- property: paging under concurrent change ----

mod paging_under_concurrent_change {
    //! For random tasks, sort, order and page size, other tasks are created and deleted between
    //! page fetches; every task that exists throughout must appear exactly once, in order.

    use std::collections::HashSet;

    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use reqwest::{Method, StatusCode};
    use serde_json::{Value, json};

    use super::{SORTS, compare, next_link};
    use crate::helpers::{Backend, TestApp, string_at};

    const TITLES: [&str; 4] = ["alpha", "bravo", "charlie", "delta"];
    const PRIORITIES: [&str; 4] = ["NONE", "LOW", "MEDIUM", "HIGH"];

    #[derive(Debug, Clone)]
    struct Spec {
        title: usize,
        priority: usize,
        /// Hours after a fixed instant; few values, so that ties are common.
        due: Option<u8>,
    }

    impl Spec {
        fn body(&self) -> Value {
            let due = self.due.map(|h| format!("2026-07-01T{:02}:00:00Z", 9 + h));
            json!({
                "title": TITLES[self.title],
                "priority": PRIORITIES[self.priority],
                "due_date": due,
            })
        }
    }

    #[derive(Debug, Clone)]
    enum Change {
        Insert(Spec),
        /// Deletes one of the tasks that may go (initial ones marked so, and inserted ones).
        Delete(Index),
    }

    #[derive(Debug, Clone)]
    struct Scenario {
        /// Initial tasks; `true` marks one that may be deleted while paging.
        initial: Vec<(Spec, bool)>,
        sort: usize,
        desc: bool,
        limit: usize,
        /// Changes made after the first, second, … page.
        changes: Vec<Vec<Change>>,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            0..TITLES.len(),
            0..PRIORITIES.len(),
            proptest::option::of(0..4u8),
        )
            .prop_map(|(title, priority, due)| Spec {
                title,
                priority,
                due,
            })
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        let change = prop_oneof![
            spec().prop_map(Change::Insert),
            any::<Index>().prop_map(Change::Delete),
        ];
        (
            proptest::collection::vec((spec(), proptest::bool::weighted(0.3)), 5..=40),
            0..SORTS.len(),
            any::<bool>(),
            1..=7usize,
            proptest::collection::vec(proptest::collection::vec(change, 0..=3), 0..=12),
        )
            .prop_map(|(initial, sort, desc, limit, changes)| Scenario {
                initial,
                sort,
                desc,
                limit,
                changes,
            })
    }

    async fn create(app: &TestApp, token: &str, spec: &Spec) -> Result<String, TestCaseError> {
        let res = app.create_task(token, &spec.body()).await;
        prop_assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        Ok(string_at(&res.json(), "/id"))
    }

    async fn check(app: &TestApp, scenario: Scenario) -> Result<(), TestCaseError> {
        let user = app.new_user().await;
        // Created all at once: equal creation times are likely, and the id must break the tie.
        let requests = scenario
            .initial
            .iter()
            .map(|(spec, _)| {
                app.authed(Method::POST, "/api/v1/tasks", &user.token)
                    .json(&spec.body())
            })
            .collect();
        let mut stable = HashSet::new();
        let mut deletable = Vec::new();
        for (res, (_, may_go)) in app
            .send_all(requests)
            .await
            .into_iter()
            .zip(&scenario.initial)
        {
            prop_assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            let id = string_at(&res.json(), "/id");
            if *may_go {
                deletable.push(id);
            } else {
                stable.insert(id);
            }
        }

        let sort = SORTS[scenario.sort];
        let order = if scenario.desc { "desc" } else { "asc" };
        let mut url = format!(
            "/api/v1/tasks?sort={sort}&order={order}&limit={}",
            scenario.limit
        );
        let mut seen: Vec<Value> = Vec::new();
        let mut pages = 0;
        loop {
            let res = app.send(app.authed(Method::GET, &url, &user.token)).await;
            prop_assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let page = res.json().as_array().cloned().unwrap_or_default();
            prop_assert!(page.len() <= scenario.limit);
            seen.extend(page);
            let Some(next) = next_link(&res) else { break };
            url = next;
            for change in scenario.changes.get(pages).into_iter().flatten() {
                match change {
                    Change::Insert(spec) => deletable.push(create(app, &user.token, spec).await?),
                    Change::Delete(index) if !deletable.is_empty() => {
                        let id = deletable.swap_remove(index.index(deletable.len()));
                        let res = app.delete_task(&user.token, &id).await;
                        prop_assert_eq!(res.status, StatusCode::OK, "{}", res.text);
                    }
                    Change::Delete(_) => {}
                }
            }
            pages += 1;
            prop_assert!(pages < 1000, "paging does not end");
        }

        let ids: Vec<String> = seen.iter().map(|t| string_at(t, "/id")).collect();
        let mut once = HashSet::new();
        for id in &ids {
            prop_assert!(
                once.insert(id.clone()),
                "task {} listed twice: {:?}",
                id,
                ids
            );
        }
        for id in &stable {
            prop_assert!(once.contains(id), "task {} skipped; listed {:?}", id, ids);
        }
        // Nothing changes the sort values, so the pages joined are in strict order.
        for pair in seen.windows(2) {
            prop_assert_eq!(
                compare(&pair[0], &pair[1], sort, scenario.desc),
                std::cmp::Ordering::Less,
                "out of order: {} then {}",
                pair[0],
                pair[1]
            );
        }
        Ok(())
    }

    fn run(backend: Backend) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build a runtime");
        let app = runtime.block_on(TestApp::spawn(backend));
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(24);
        let mut runner = TestRunner::new(Config {
            cases,
            max_shrink_iters: 200,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&scenario(), |scenario| {
            runtime.block_on(check(&app, scenario))
        });
        if let Err(err) = result {
            panic!("[{}] {err}", app.backend);
        }
    }

    #[test]
    fn sqlite() {
        run(Backend::Sqlite);
    }

    #[test]
    fn postgres() {
        if let Some(backend) = Backend::postgres(module_path!()) {
            run(backend);
        }
    }
}

/// Pages are written straight from the rows (`src/tasks/page_json.rs`), single tasks through
/// serde: the two must agree byte for byte, with text needing every kind of escape, in tags
/// too, and every optional field both set and null.
async fn a_page_is_the_single_task_responses_byte_for_byte(app: TestApp) {
    let user = app.new_user().await;
    let bodies = [
        json!({ "title": "plain" }),
        json!({
            "title": "quote \" backslash \\ tab \t newline \n bell \u{7} del \u{7f}",
            "description": "</script> é 🎉 \u{1f} \u{2028} \r\n",
            "tags": ["a \"b\"", "back\\slash", "ctl\u{1}x", "ünï", "x y"],
            "priority": "high",
            "due_date": "2026-12-01T17:00:00.123Z",
        }),
        json!({
            "title": "weekly",
            "is_recurring": true,
            "recurrence_pattern": "weekly",
            "recurrence_interval": 3,
            "due_date": "2027-01-31T08:00:00Z",
            "tags": [],
        }),
        json!({ "title": "done", "completed": true, "description": "" }),
    ];
    for body in &bodies {
        app.create_task_ok(&user.token, body).await;
    }
    for query in ["limit=50", "limit=2", "sort=title&order=asc"] {
        let page = app.list_tasks(&user.token, query).await;
        let listed = array(&page);
        let mut expected = Vec::new();
        for task in &listed {
            let single = app.get_task(&user.token, &string_at(task, "/id")).await;
            assert_eq!(single.status, StatusCode::OK, "{}", single.text);
            expected.push(single.text);
        }
        assert_eq!(page.text, format!("[{}]", expected.join(",")), "{query}");
    }
}
