//! Project routes, and tasks in projects: the Inbox, CRUD, moving, the list filter, deleting
//! with and without `move_to`, and another user's projects looking like none at all.

use std::str::FromStr;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::helpers::{
    Backend, TestApp, assert_invalid, assert_not_found, assert_problem, both_backends,
    each_backend, string_at,
};

both_backends!(
    a_new_user_has_an_inbox_that_cannot_be_deleted_renamed_or_archived,
    create_get_patch_and_list_projects,
    archived_projects_are_listed_only_when_asked_and_take_no_new_tasks,
    a_task_without_project_lands_in_the_inbox_and_with_one_in_that_project,
    patch_moves_a_task_between_projects,
    list_tasks_filters_by_project,
    delete_project_deletes_its_tasks_and_keeps_the_counters_right,
    delete_project_with_move_to_moves_its_tasks,
    another_users_project_is_not_found_everywhere,
    bad_project_input_returns_422,
    if_match_protects_a_project,
    the_next_occurrence_of_a_recurring_task_keeps_its_project,
);

fn project_path(id: &str) -> String {
    format!("/api/v1/projects/{id}")
}

async fn list_projects(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .send(app.authed(Method::GET, &format!("/api/v1/projects{query}"), token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn create_project(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app
        .send(app.authed_json(Method::POST, "/api/v1/projects", token, Some(body)))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

async fn inbox_id(app: &TestApp, token: &str) -> String {
    let projects = list_projects(app, token, "").await;
    assert_eq!(projects[0]["is_inbox"], true, "{projects}");
    string_at(&projects, "/0/id")
}

async fn stats(app: &TestApp, token: &str) -> Value {
    let res = app.stats(token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn a_new_user_has_an_inbox_that_cannot_be_deleted_renamed_or_archived(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let projects = list_projects(&app, &user.token, "").await;

    // Assert
    assert_eq!(projects.as_array().map(Vec::len), Some(1), "{projects}");
    let inbox = &projects[0];
    assert_eq!(inbox["name"], "Inbox");
    assert_eq!(inbox["is_inbox"], true);
    assert_eq!(inbox["archived"], false);
    assert_eq!(inbox["owner_id"], user.id.as_str());
    let path = project_path(inbox["id"].as_str().expect("id"));
    let deleted = app
        .send(app.authed(Method::DELETE, &path, &user.token))
        .await;
    assert_problem(&deleted, StatusCode::CONFLICT);
    for body in [json!({ "name": "Other" }), json!({ "archived": true })] {
        let res = app
            .send(app.authed_json(Method::PATCH, &path, &user.token, Some(&body)))
            .await;
        assert_problem(&res, StatusCode::CONFLICT);
    }
    // Its color and position may change.
    let res = app
        .send(app.authed_json(
            Method::PATCH,
            &path,
            &user.token,
            Some(&json!({ "color": "#AABBCC" })),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["color"], "#aabbcc");
    assert_eq!(
        list_projects(&app, &user.token, "").await[0]["name"],
        "Inbox"
    );
}

async fn create_get_patch_and_list_projects(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &user.token,
            Some(&json!({ "name": "  Work  ", "color": "#f00" })),
        ))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let work = res.json();
    let id = string_at(&work, "/id");
    assert_eq!(res.header("location"), Some(project_path(&id).as_str()));
    assert!(res.header("etag").is_some());
    assert_eq!(work["name"], "Work");
    assert_eq!(work["color"], "#f00");
    assert_eq!(work["is_inbox"], false);
    let fetched = app
        .send(app.authed(Method::GET, &project_path(&id), &user.token))
        .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json(), work);

    let home = create_project(&app, &user.token, &json!({ "name": "Home" })).await;
    assert!(home["position"].as_i64() > work["position"].as_i64());
    let patched = app
        .send(app.authed_json(
            Method::PATCH,
            &project_path(&id),
            &user.token,
            Some(&json!({ "name": "Job", "color": null, "position": 99 })),
        ))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let job = patched.json();
    assert_eq!(job["name"], "Job");
    assert_eq!(job["color"], Value::Null);
    assert_eq!(job["position"], 99);

    let names: Vec<_> = list_projects(&app, &user.token, "")
        .await
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(names, ["Inbox", "Home", "Job"]);
}

async fn archived_projects_are_listed_only_when_asked_and_take_no_new_tasks(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let old = create_project(&app, &user.token, &json!({ "name": "Old" })).await;
    let id = string_at(&old, "/id");

    // Act
    let res = app
        .send(app.authed_json(
            Method::PATCH,
            &project_path(&id),
            &user.token,
            Some(&json!({ "archived": true })),
        ))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        list_projects(&app, &user.token, "")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let all = list_projects(&app, &user.token, "?archived=true").await;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let refused = app
        .create_task(&user.token, &json!({ "title": "x", "project_id": id }))
        .await;
    assert_invalid(&refused, "project_id");
}

async fn a_task_without_project_lands_in_the_inbox_and_with_one_in_that_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let inbox = inbox_id(&app, &user.token).await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;

    // Act
    let loose = app
        .create_task_ok(&user.token, &json!({ "title": "loose" }))
        .await;
    let filed = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "filed", "project_id": work["id"] }),
        )
        .await;

    // Assert
    assert_eq!(loose["project_id"], inbox.as_str());
    assert_eq!(filed["project_id"], work["id"]);
    // The page writer and the single read agree.
    let listed = app
        .list_tasks(&user.token, "sort=number&order=asc")
        .await
        .json();
    assert_eq!(listed[0]["project_id"], inbox.as_str());
    assert_eq!(listed[1]["project_id"], work["id"]);
    let fetched = app
        .get_task(&user.token, &string_at(&filed, "/id"))
        .await
        .json();
    assert_eq!(fetched, filed);
}

async fn patch_moves_a_task_between_projects(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let inbox = inbox_id(&app, &user.token).await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;
    let task = app
        .create_task_ok(&user.token, &json!({ "title": "move me" }))
        .await;
    let id = string_at(&task, "/id");

    // Act
    let moved = app
        .patch_task(&user.token, &id, &json!({ "project_id": work["id"] }))
        .await;

    // Assert
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.json()["project_id"], work["id"]);
    assert_eq!(moved.json()["number"], task["number"]);
    let back = app
        .patch_task(&user.token, &id, &json!({ "project_id": inbox }))
        .await;
    assert_eq!(back.json()["project_id"], inbox.as_str());
    // Other fields leave the project alone.
    let renamed = app
        .patch_task(&user.token, &id, &json!({ "title": "renamed" }))
        .await;
    assert_eq!(renamed.json()["project_id"], inbox.as_str());
}

async fn list_tasks_filters_by_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;
    let work_id = string_at(&work, "/id");
    app.create_task_ok(&user.token, &json!({ "title": "a" }))
        .await;
    app.create_task_ok(&user.token, &json!({ "title": "b", "project_id": work_id }))
        .await;
    app.create_task_ok(&user.token, &json!({ "title": "c", "project_id": work_id }))
        .await;

    // Act
    let res = app
        .list_tasks(&user.token, &format!("project_id={work_id}"))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("x-total-count"), Some("2"));
    let titles: Vec<_> = res
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect();
    assert_eq!(titles, ["c", "b"]);
    let unknown = app
        .list_tasks(&user.token, &format!("project_id={}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    let bad = app.list_tasks(&user.token, "project_id=nope").await;
    assert_invalid(&bad, "project_id");
}

async fn delete_project_deletes_its_tasks_and_keeps_the_counters_right(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;
    let work_id = string_at(&work, "/id");
    app.create_task_ok(&user.token, &json!({ "title": "stays" }))
        .await;
    app.create_task_ok(
        &user.token,
        &json!({ "title": "goes", "project_id": work_id, "completed": true }),
    )
    .await;
    app.create_task_ok(
        &user.token,
        &json!({ "title": "goes too", "project_id": work_id }),
    )
    .await;
    assert_eq!(stats(&app, &user.token).await["total"], 3);

    // Act
    let res = app
        .send(app.authed(Method::DELETE, &project_path(&work_id), &user.token))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["tasks_deleted"], 2);
    assert_eq!(res.json()["deleted_id"], work_id.as_str());
    let counts = stats(&app, &user.token).await;
    assert_eq!(counts["total"], 1, "{counts}");
    assert_eq!(counts["completed"], 0, "{counts}");
    assert_eq!(counts["pending"], 1, "{counts}");
    let listed = app.list_tasks(&user.token, "").await;
    assert_eq!(listed.header("x-total-count"), Some("1"));
    assert_eq!(listed.json()[0]["title"], "stays");
    let gone = app
        .send(app.authed(Method::GET, &project_path(&work_id), &user.token))
        .await;
    assert_not_found(&gone);
    // New tasks keep counting on.
    let next = app
        .create_task_ok(&user.token, &json!({ "title": "next" }))
        .await;
    assert_eq!(next["number"], 4);
}

async fn delete_project_with_move_to_moves_its_tasks(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let inbox = inbox_id(&app, &user.token).await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;
    let work_id = string_at(&work, "/id");
    let task = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "keep me", "project_id": work_id, "completed": true }),
        )
        .await;

    // Act
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!("{}?move_to={inbox}", project_path(&work_id)),
            &user.token,
        ))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["tasks_moved"], 1);
    assert_eq!(res.json()["tasks_deleted"], 0);
    let moved = app
        .get_task(&user.token, &string_at(&task, "/id"))
        .await
        .json();
    assert_eq!(moved["project_id"], inbox.as_str());
    assert_eq!(moved["number"], task["number"]);
    let counts = stats(&app, &user.token).await;
    assert_eq!(
        (counts["total"].as_i64(), counts["completed"].as_i64()),
        (Some(1), Some(1))
    );
    // Moving to the project deleted itself, or to no project, is refused.
    let other = create_project(&app, &user.token, &json!({ "name": "Other" })).await;
    let other_path = project_path(&string_at(&other, "/id"));
    for target in [
        string_at(&other, "/id"),
        "nope".to_owned(),
        uuid::Uuid::now_v7().to_string(),
    ] {
        let res = app
            .send(app.authed(
                Method::DELETE,
                &format!("{other_path}?move_to={target}"),
                &user.token,
            ))
            .await;
        assert_invalid(&res, "move_to");
    }
}

async fn another_users_project_is_not_found_everywhere(app: TestApp) {
    // Arrange
    let owner = app.new_user().await;
    let stranger = app.new_user().await;
    let secret = create_project(&app, &owner.token, &json!({ "name": "Secret" })).await;
    let id = string_at(&secret, "/id");
    app.create_task_ok(
        &owner.token,
        &json!({ "title": "hidden", "project_id": id }),
    )
    .await;
    let stranger_inbox = inbox_id(&app, &stranger.token).await;
    let stranger_project = create_project(&app, &stranger.token, &json!({ "name": "Mine" })).await;

    // Act and assert
    let path = project_path(&id);
    assert_not_found(
        &app.send(app.authed(Method::GET, &path, &stranger.token))
            .await,
    );
    let patch = json!({ "name": "Taken" });
    assert_not_found(
        &app.send(app.authed_json(Method::PATCH, &path, &stranger.token, Some(&patch)))
            .await,
    );
    assert_not_found(
        &app.send(app.authed(Method::DELETE, &path, &stranger.token))
            .await,
    );
    // As a task's project: the same answer as a project that does not exist.
    let foreign = app
        .create_task(&stranger.token, &json!({ "title": "x", "project_id": id }))
        .await;
    let missing = app
        .create_task(
            &stranger.token,
            &json!({ "title": "x", "project_id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(
        assert_invalid(&foreign, "project_id")["errors"],
        assert_invalid(&missing, "project_id")["errors"]
    );
    let task = app
        .create_task_ok(&stranger.token, &json!({ "title": "mine" }))
        .await;
    let moved = app
        .patch_task(
            &stranger.token,
            &string_at(&task, "/id"),
            &json!({ "project_id": id }),
        )
        .await;
    assert_invalid(&moved, "project_id");
    // As move_to.
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!(
                "{}?move_to={id}",
                project_path(&string_at(&stranger_project, "/id"))
            ),
            &stranger.token,
        ))
        .await;
    assert_invalid(&res, "move_to");
    // As a list filter: not found either.
    let listed = app
        .list_tasks(&stranger.token, &format!("project_id={id}"))
        .await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND, "{}", listed.text);
    // The owner still has it all.
    let own = app
        .list_tasks(&owner.token, &format!("project_id={id}"))
        .await;
    assert_eq!(own.json()[0]["title"], "hidden");
    assert_ne!(stranger_inbox, id);
}

async fn bad_project_input_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let post = |body: Value| {
        let app = &app;
        let token = user.token.clone();
        async move {
            app.send(app.authed_json(Method::POST, "/api/v1/projects", &token, Some(&body)))
                .await
        }
    };

    // Act and assert
    assert_invalid(&post(json!({})).await, "name");
    assert_invalid(&post(json!({ "name": "   " })).await, "name");
    assert_invalid(&post(json!({ "name": "x".repeat(101) })).await, "name");
    assert_invalid(
        &post(json!({ "name": "ok", "color": "red" })).await,
        "color",
    );
    assert_invalid(&post(json!({ "name": 5 })).await, "name");
    let ok = post(json!({ "name": "x".repeat(100) })).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let id = string_at(&ok.json(), "/id");
    let patch = app
        .send(app.authed_json(
            Method::PATCH,
            &project_path(&id),
            &user.token,
            Some(&json!({ "name": "" })),
        ))
        .await;
    assert_invalid(&patch, "name");
    let task = app
        .create_task(
            &user.token,
            &json!({ "title": "x", "project_id": "not-a-uuid" }),
        )
        .await;
    assert_invalid(&task, "project_id");
    // A path that is not a UUID names no project.
    assert_not_found(
        &app.send(app.authed(Method::GET, &project_path("nope"), &user.token))
            .await,
    );
    let archived = app
        .send(app.authed(Method::GET, "/api/v1/projects?archived=maybe", &user.token))
        .await;
    assert_invalid(&archived, "archived");
}

async fn if_match_protects_a_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &user.token,
            Some(&json!({ "name": "Work" })),
        ))
        .await;
    let etag = res.header("etag").expect("etag").to_owned();
    let path = project_path(&string_at(&res.json(), "/id"));
    let first = app
        .send(
            app.authed_json(
                Method::PATCH,
                &path,
                &user.token,
                Some(&json!({ "position": 5 })),
            )
            .header("if-match", &etag),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    // Act
    let stale = app
        .send(
            app.authed_json(
                Method::PATCH,
                &path,
                &user.token,
                Some(&json!({ "position": 6 })),
            )
            .header("if-match", &etag),
        )
        .await;

    // Assert
    assert_problem(&stale, StatusCode::PRECONDITION_FAILED);
    let stale_delete = app
        .send(
            app.authed(Method::DELETE, &path, &user.token)
                .header("if-match", &etag),
        )
        .await;
    assert_problem(&stale_delete, StatusCode::PRECONDITION_FAILED);
}

async fn the_next_occurrence_of_a_recurring_task_keeps_its_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let work = create_project(&app, &user.token, &json!({ "name": "Work" })).await;
    let task = app
        .create_task_ok(
            &user.token,
            &json!({ "title": "standup", "recurrence_pattern": "DAILY",
                "due_date": "2099-01-01T09:00:00Z", "project_id": work["id"] }),
        )
        .await;

    // Act
    let done = app
        .complete_task(
            &user.token,
            &string_at(&task, "/id"),
            Some(&json!({ "completed": true })),
        )
        .await;

    // Assert
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let next = &done.json()["next_occurrence"];
    assert!(next.is_object(), "{}", done.text);
    assert_eq!(next["project_id"], work["id"]);
}

each_backend!(migrating_puts_every_existing_task_in_its_owners_inbox);

/// Inserts two users with tasks through `$conn`, as the schema before projects had them.
macro_rules! seed_before_projects {
    ($conn:expr) => {{
        let now = chrono::Utc::now();
        for (user, tasks) in [("u-1", 3_i64), ("u-2", 2)] {
            sqlx::query(
                "insert into app_user (id, email, name, created_at, updated_at)
                 values ($1, $2, $1, $3, $3)",
            )
            .bind(user)
            .bind(format!("{user}@example.com"))
            .bind(now)
            .execute(&mut *$conn)
            .await
            .expect("insert a user");
            for number in 1..=tasks {
                sqlx::query(
                    "insert into task (id, user_id, number, title, completed, created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(user)
                .bind(number)
                .bind(format!("task {number}"))
                .bind(number == 2)
                .bind(now)
                .execute(&mut *$conn)
                .await
                .expect("insert a task");
            }
        }
    }};
}

/// What the migrations must keep or give: every task's owner, number, project's owner and kind
/// and place in the tree, and each user's counters and Inbox count.
macro_rules! migrated_state {
    ($conn:expr) => {{
        let tasks: Vec<(String, i64, Option<String>, Option<bool>, bool)> = sqlx::query_as(
            "select t.user_id, t.number, p.owner_id, p.is_inbox,
                 t.parent_id is null and t.position = t.number
             from task t left join project p on p.id = t.project_id
             order by t.user_id, t.number",
        )
        .fetch_all(&mut *$conn)
        .await
        .expect("read the tasks");
        let users: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "select u.id, u.task_count, u.completed_count,
                 (select count(*) from project p where p.owner_id = u.id and p.is_inbox)
             from app_user u order by u.id",
        )
        .fetch_all(&mut *$conn)
        .await
        .expect("read the users");
        (tasks, users)
    }};
}

/// The migrations before projects, in a directory of their own.
fn migrations_before_projects(backend: &Backend) -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().expect("a temporary directory");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend.name());
    for entry in std::fs::read_dir(source).expect("the migrations") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < "20261205000040" {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy a migration");
        }
    }
    dir
}

async fn migrating_puts_every_existing_task_in_its_owners_inbox(backend: Backend) {
    // Arrange
    let (url, _sqlite_dir) = backend.fresh_database().await;
    let older = sqlx::migrate::Migrator::new(migrations_before_projects(&backend).path())
        .await
        .expect("read the older migrations");
    // Seeds through `$conn` at the older schema, then runs `$migrator` to the end: the numbers
    // before, and the migrated state.
    macro_rules! seed_then_migrate {
        ($conn:expr, $migrator:expr) => {{
            older
                .run(&mut $conn)
                .await
                .expect("migrate to before projects");
            seed_before_projects!(&mut $conn);
            let before: Vec<(String, i64)> =
                sqlx::query_as("select user_id, number from task order by user_id, number")
                    .fetch_all(&mut $conn)
                    .await
                    .expect("read the numbers");

            // Act
            $migrator.run(&mut $conn).await.expect("migrate fully");
            (before, migrated_state!(&mut $conn))
        }};
    }
    let (before, after) = match backend {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(&url)
                .expect("a SQLite URL")
                .create_if_missing(true);
            let mut conn = SqliteConnection::connect_with(&options)
                .await
                .expect("open");
            seed_then_migrate!(conn, sqlx::migrate!("migrations/sqlite"))
        }
        Backend::Postgres { .. } => {
            let mut conn = PgConnection::connect(&url).await.expect("connect");
            seed_then_migrate!(conn, sqlx::migrate!("migrations/postgres"))
        }
    };

    // Assert
    let (tasks, users) = after;
    assert_eq!(tasks.len(), 5);
    for (user_id, _, owner, is_inbox, top_level_in_order) in &tasks {
        assert_eq!(owner.as_deref(), Some(user_id.as_str()), "{tasks:?}");
        assert_eq!(*is_inbox, Some(true), "{tasks:?}");
        // Subtasks came later: every task is at the top level, in the order of its number.
        assert!(top_level_in_order, "{tasks:?}");
    }
    let numbers: Vec<(String, i64)> = tasks.iter().map(|t| (t.0.clone(), t.1)).collect();
    assert_eq!(numbers, before);
    assert_eq!(
        users,
        [("u-1".to_owned(), 3, 1, 1), ("u-2".to_owned(), 2, 1, 1)]
    );
}
