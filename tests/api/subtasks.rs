//! Subtasks and manual order: a subtask lives in its parent's project, at most four levels
//! deep, never under itself; completing a parent completes its open subtasks (also when a child
//! is completed at the same moment), a recurring parent's next occurrence copies them reopened,
//! and moving or deleting a parent takes them along.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_invalid, both_backends, string_at};

both_backends!(
    subtasks_take_their_parents_project_and_keep_a_manual_order,
    subtasks_nest_at_most_four_levels,
    a_task_cannot_go_under_itself_or_one_of_its_subtasks,
    a_parent_must_be_one_of_the_users_tasks_in_the_asked_project,
    completing_a_parent_completes_its_open_subtasks_and_reopening_does_not_reopen_them,
    a_parent_and_a_child_completed_at_once_keep_the_counters_right,
    a_recurring_parents_next_occurrence_copies_its_subtasks_reopened,
    moving_a_parent_takes_its_subtasks_and_a_subtask_moved_alone_leaves_its_parent,
    deleting_a_parent_deletes_its_subtasks,
    stats_count_one_project,
    bad_subtask_input_returns_422,
);

async fn add(app: &TestApp, user: &TestUser, body: Value) -> Value {
    app.create_task_ok(&user.token, &body).await
}

async fn add_under(app: &TestApp, user: &TestUser, title: &str, parent: &Value) -> Value {
    add(
        app,
        user,
        json!({"title": title, "parent_id": parent["id"]}),
    )
    .await
}

async fn new_project(app: &TestApp, user: &TestUser, name: &str) -> String {
    let body = json!({"name": name});
    let res = app
        .send(app.authed_json(Method::POST, "/api/v1/projects", &user.token, Some(&body)))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    string_at(&res.json(), "/id")
}

/// Titles of the tasks a list query returns, in order.
async fn titles(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let res = app.list_tasks(&user.token, query).await;
    assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.text);
    res.json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t["title"].as_str().expect("a title").to_owned())
        .collect()
}

async fn fetch(app: &TestApp, user: &TestUser, task: &Value) -> Value {
    let res = app.get_task(&user.token, &string_at(task, "/id")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn patch(
    app: &TestApp,
    user: &TestUser,
    task: &Value,
    body: Value,
) -> crate::helpers::TestResponse {
    app.patch_task(&user.token, &string_at(task, "/id"), &body)
        .await
}

async fn set_completed(
    app: &TestApp,
    user: &TestUser,
    task: &Value,
    completed: bool,
) -> crate::helpers::TestResponse {
    app.complete_task(
        &user.token,
        &string_at(task, "/id"),
        Some(&json!({ "completed": completed })),
    )
    .await
}

async fn subtasks_take_their_parents_project_and_keep_a_manual_order(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let work = new_project(&app, &user, "Work").await;
    let parent = add(&app, &user, json!({"title": "ship", "project_id": work})).await;

    // Act
    let first = add_under(&app, &user, "write", &parent).await;
    let second = add_under(&app, &user, "test", &parent).await;
    let third = add_under(&app, &user, "deploy", &parent).await;

    // Assert: in the parent's project, one after the other.
    for subtask in [&first, &second, &third] {
        assert_eq!(subtask["project_id"], work.as_str(), "{subtask}");
        assert_eq!(subtask["parent_id"], parent["id"], "{subtask}");
    }
    assert_eq!(parent["parent_id"], Value::Null);
    let in_order = format!(
        "parent_id={}&sort=position&order=asc",
        string_at(&parent, "/id")
    );
    assert_eq!(
        titles(&app, &user, &in_order).await,
        ["write", "test", "deploy"]
    );
    assert_eq!(titles(&app, &user, "parent_id=none").await, ["ship"]);
    assert_eq!(
        titles(&app, &user, "parent_id=NONE&sort=position").await,
        ["ship"]
    );

    // Act: the first goes last; a new one asked at the front goes first.
    let moved = patch(
        &app,
        &user,
        &first,
        json!({"position": third["position"].as_i64().expect("int") + 1}),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    add(
        &app,
        &user,
        json!({"title": "plan", "parent_id": parent["id"], "position": -1}),
    )
    .await;

    // Assert
    assert_eq!(
        titles(&app, &user, &in_order).await,
        ["plan", "test", "deploy", "write"]
    );
    // Top-level tasks of a project are siblings too, after those already there.
    let later = add(&app, &user, json!({"title": "later", "project_id": work})).await;
    assert!(
        later["position"].as_i64() > parent["position"].as_i64(),
        "{later}"
    );
}

async fn subtasks_nest_at_most_four_levels(app: TestApp) {
    // Arrange: a top-level task and four levels below it.
    let user = app.new_user().await;
    let mut chain = vec![add(&app, &user, json!({"title": "level 0"})).await];
    for level in 1..=4 {
        let parent = chain.last().expect("a parent").clone();
        chain.push(add_under(&app, &user, &format!("level {level}"), &parent).await);
    }

    // Act: a fifth level.
    let too_deep = app
        .create_task(
            &user.token,
            &json!({"title": "level 5", "parent_id": chain[4]["id"]}),
        )
        .await;

    // Assert
    assert_invalid(&too_deep, "parent_id");
    // A task with a subtask of its own fits under level 2, not level 3.
    let branch = add(&app, &user, json!({"title": "branch"})).await;
    add_under(&app, &user, "leaf", &branch).await;
    let fits = patch(&app, &user, &branch, json!({"parent_id": chain[2]["id"]})).await;
    assert_eq!(fits.status, StatusCode::OK, "{}", fits.text);
    let deeper = patch(&app, &user, &branch, json!({"parent_id": chain[3]["id"]})).await;
    assert_invalid(&deeper, "parent_id");
    assert_eq!(
        fetch(&app, &user, &branch).await["parent_id"],
        chain[2]["id"]
    );
}

async fn a_task_cannot_go_under_itself_or_one_of_its_subtasks(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let top = add(&app, &user, json!({"title": "top"})).await;
    let child = add_under(&app, &user, "child", &top).await;
    let grandchild = add_under(&app, &user, "grandchild", &child).await;

    // Act
    let under_itself = patch(&app, &user, &top, json!({"parent_id": top["id"]})).await;
    let under_grandchild = patch(&app, &user, &top, json!({"parent_id": grandchild["id"]})).await;

    // Assert: refused, and nothing moved.
    assert_invalid(&under_itself, "parent_id");
    assert_invalid(&under_grandchild, "parent_id");
    assert_eq!(fetch(&app, &user, &top).await["parent_id"], Value::Null);
    // Back to the top level with null.
    let up = patch(&app, &user, &grandchild, json!({"parent_id": null})).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text);
    assert_eq!(up.json()["parent_id"], Value::Null);
    let mut top_level = titles(&app, &user, "parent_id=none").await;
    top_level.sort();
    assert_eq!(top_level, ["grandchild", "top"]);
}

async fn a_parent_must_be_one_of_the_users_tasks_in_the_asked_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let other = app.new_user().await;
    let theirs = add(&app, &other, json!({"title": "theirs"})).await;
    let work = new_project(&app, &user, "Work").await;
    let mine = add(&app, &user, json!({"title": "mine"})).await;

    // Act
    let under_theirs = app
        .create_task(
            &user.token,
            &json!({"title": "x", "parent_id": theirs["id"]}),
        )
        .await;
    let elsewhere = app
        .create_task(
            &user.token,
            &json!({"title": "x", "parent_id": mine["id"], "project_id": work}),
        )
        .await;
    let moved_under_theirs = patch(&app, &user, &mine, json!({"parent_id": theirs["id"]})).await;

    // Assert: another user's task reads like no task at all; the projects must agree.
    let problem = assert_invalid(&under_theirs, "parent_id");
    assert!(!problem.to_string().contains("theirs"), "{problem}");
    assert_invalid(&elsewhere, "project_id");
    assert_invalid(&moved_under_theirs, "parent_id");
    assert_eq!(titles(&app, &user, "").await, ["mine"]);
    assert_eq!(titles(&app, &other, "").await, ["theirs"]);
    let listed = titles(
        &app,
        &user,
        &format!("parent_id={}", string_at(&theirs, "/id")),
    )
    .await;
    assert!(listed.is_empty(), "{listed:?}");
}

async fn completing_a_parent_completes_its_open_subtasks_and_reopening_does_not_reopen_them(
    app: TestApp,
) {
    // Arrange
    let user = app.new_user().await;
    let parent = add(&app, &user, json!({"title": "parent"})).await;
    let child = add_under(&app, &user, "child", &parent).await;
    let grandchild = add_under(&app, &user, "grandchild", &child).await;
    let done_before = add_under(&app, &user, "done before", &parent).await;
    let done_res = set_completed(&app, &user, &done_before, true).await;
    let done_at = done_res.json()["completed_at"].clone();
    let unrelated = add(&app, &user, json!({"title": "unrelated"})).await;

    // Act
    let res = set_completed(&app, &user, &parent, true).await;

    // Assert: every level below is done, with the parent's completion time; one completed
    // earlier keeps its own; others are untouched.
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let completed_at = res.json()["completed_at"].clone();
    for task in [&child, &grandchild] {
        let read = fetch(&app, &user, task).await;
        assert_eq!(read["completed"], true, "{read}");
        assert_eq!(read["completed_at"], completed_at, "{read}");
    }
    assert_eq!(
        fetch(&app, &user, &done_before).await["completed_at"],
        done_at
    );
    assert_eq!(fetch(&app, &user, &unrelated).await["completed"], false);
    let stats = app.stats(&user.token).await.json();
    assert_eq!(
        (stats["total"].as_i64(), stats["completed"].as_i64()),
        (Some(5), Some(4))
    );

    // Act: reopen the parent.
    let reopened = set_completed(&app, &user, &parent, false).await;

    // Assert
    assert_eq!(reopened.json()["completed"], false);
    assert_eq!(fetch(&app, &user, &child).await["completed"], true);
    assert_eq!(app.stats(&user.token).await.json()["completed"], 3);
}

async fn a_parent_and_a_child_completed_at_once_keep_the_counters_right(app: TestApp) {
    // Arrange: ten families of a parent, a child and a grandchild.
    let user = app.new_user().await;
    let mut requests = Vec::new();
    let mut families = Vec::new();
    for n in 0..10 {
        let parent = add(&app, &user, json!({"title": format!("parent {n}")})).await;
        let child = add_under(&app, &user, &format!("child {n}"), &parent).await;
        let grandchild = add_under(&app, &user, &format!("grandchild {n}"), &child).await;
        for task in [&parent, &child] {
            let path = format!("/api/v1/tasks/{}/complete", string_at(task, "/id"));
            requests.push(app.authed_json(
                Method::PATCH,
                &path,
                &user.token,
                Some(&json!({"completed": true})),
            ));
        }
        families.push([parent, child, grandchild]);
    }

    // Act: each parent and its child completed concurrently.
    let answers = app.send_all(requests).await;

    // Assert: no error, every task done, and the counters agree with the rows.
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    for family in &families {
        for task in family {
            assert_eq!(fetch(&app, &user, task).await["completed"], true, "{task}");
        }
    }
    let stats = app.stats(&user.token).await.json();
    assert_eq!(
        (stats["total"].as_i64(), stats["completed"].as_i64()),
        (Some(30), Some(30))
    );
    let pending = app.list_tasks(&user.token, "status=pending").await;
    assert_eq!(
        pending.header("x-total-count"),
        Some("0"),
        "{}",
        pending.text
    );
}

async fn a_recurring_parents_next_occurrence_copies_its_subtasks_reopened(app: TestApp) {
    // Arrange: a daily parent with a subtask due an hour before it, and one below that.
    let user = app.new_user().await;
    let parent = add(
        &app,
        &user,
        json!({"title": "weekly review", "due_date": "2026-12-10T17:00:00Z", "recurrence_pattern": "DAILY"}),
    )
    .await;
    let child = add(
        &app,
        &user,
        json!({"title": "inbox zero", "parent_id": parent["id"], "due_date": "2026-12-10T16:00:00Z", "priority": "HIGH", "tags": ["mail"]}),
    )
    .await;
    add_under(&app, &user, "archive", &child).await;

    // Act
    let res = set_completed(&app, &user, &parent, true).await;

    // Assert: the next occurrence has its own copies, open, due a day later too.
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let next = res.json()["next_occurrence"].clone();
    assert_eq!(next["due_date"], "2026-12-11T17:00:00Z", "{next}");
    let copies = app
        .list_tasks(
            &user.token,
            &format!("parent_id={}", string_at(&next, "/id")),
        )
        .await
        .json();
    assert_eq!(copies.as_array().map(Vec::len), Some(1), "{copies}");
    let copy = &copies[0];
    assert_eq!(copy["title"], "inbox zero");
    assert_eq!(copy["completed"], false);
    assert_eq!(copy["due_date"], "2026-12-11T16:00:00Z");
    assert_eq!(copy["priority"], "HIGH");
    assert_eq!(copy["tags"], json!(["mail"]));
    assert_ne!(copy["id"], child["id"]);
    let below = titles(
        &app,
        &user,
        &format!("parent_id={}", string_at(copy, "/id")),
    )
    .await;
    assert_eq!(below, ["archive"]);
    // The completed occurrence keeps its own subtasks, done.
    assert_eq!(fetch(&app, &user, &child).await["completed"], true);
    let stats = app.stats(&user.token).await.json();
    assert_eq!(
        (stats["total"].as_i64(), stats["completed"].as_i64()),
        (Some(6), Some(3))
    );
}

async fn moving_a_parent_takes_its_subtasks_and_a_subtask_moved_alone_leaves_its_parent(
    app: TestApp,
) {
    // Arrange
    let user = app.new_user().await;
    let work = new_project(&app, &user, "Work").await;
    let home = new_project(&app, &user, "Home").await;
    let parent = add(&app, &user, json!({"title": "parent"})).await;
    let child = add_under(&app, &user, "child", &parent).await;
    let grandchild = add_under(&app, &user, "grandchild", &child).await;

    // Act
    let moved = patch(&app, &user, &parent, json!({"project_id": work})).await;

    // Assert: the whole family is in Work.
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let mut in_work = titles(&app, &user, &format!("project_id={work}")).await;
    in_work.sort();
    assert_eq!(in_work, ["child", "grandchild", "parent"]);
    assert_eq!(
        fetch(&app, &user, &grandchild).await["parent_id"],
        child["id"]
    );

    // Act: the child alone to Home.
    let alone = patch(&app, &user, &child, json!({"project_id": home})).await;

    // Assert: it leaves its parent, and takes its own subtask.
    assert_eq!(alone.status, StatusCode::OK, "{}", alone.text);
    assert_eq!(alone.json()["parent_id"], Value::Null);
    assert_eq!(
        fetch(&app, &user, &grandchild).await["project_id"],
        home.as_str()
    );
    assert_eq!(
        titles(&app, &user, &format!("project_id={work}")).await,
        ["parent"]
    );

    // Act: under a task of another project, it moves there.
    let back = patch(&app, &user, &child, json!({"parent_id": parent["id"]})).await;

    // Assert
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.json()["project_id"], work.as_str());
    assert_eq!(
        fetch(&app, &user, &grandchild).await["project_id"],
        work.as_str()
    );
}

async fn deleting_a_parent_deletes_its_subtasks(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let parent = add(&app, &user, json!({"title": "parent"})).await;
    let child = add_under(&app, &user, "child", &parent).await;
    let grandchild = add_under(&app, &user, "grandchild", &child).await;
    set_completed(&app, &user, &grandchild, true).await;
    add(&app, &user, json!({"title": "other"})).await;

    // Act
    let res = app
        .delete_task(&user.token, &string_at(&parent, "/id"))
        .await;

    // Assert
    assert!(res.status.is_success(), "{}", res.text);
    for task in [&child, &grandchild] {
        let gone = app.get_task(&user.token, &string_at(task, "/id")).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
    }
    let stats = app.stats(&user.token).await.json();
    assert_eq!(
        (stats["total"].as_i64(), stats["completed"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(titles(&app, &user, "").await, ["other"]);
}

async fn stats_count_one_project(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let other = app.new_user().await;
    let work = new_project(&app, &user, "Work").await;
    add(
        &app,
        &user,
        json!({"title": "a", "project_id": work, "priority": "HIGH"}),
    )
    .await;
    add(&app, &user, json!({"title": "b"})).await;
    let theirs = new_project(&app, &other, "Theirs").await;
    add(&app, &other, json!({"title": "c", "project_id": theirs})).await;

    // Act
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/tasks/stats?project_id={work}"),
            &user.token,
        ))
        .await;
    let foreign = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/tasks/stats?project_id={theirs}"),
            &user.token,
        ))
        .await;
    let bad = app
        .send(app.authed(
            Method::GET,
            "/api/v1/tasks/stats?project_id=work",
            &user.token,
        ))
        .await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["total"], 1);
    assert_eq!(res.json()["by_priority"]["HIGH"], 1);
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.text);
    assert_invalid(&bad, "project_id");
    assert_eq!(app.stats(&user.token).await.json()["total"], 2);
}

async fn bad_subtask_input_returns_422(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let task = add(&app, &user, json!({"title": "task"})).await;

    // Act
    let no_task = app
        .create_task(
            &user.token,
            &json!({"title": "x", "parent_id": uuid::Uuid::now_v7()}),
        )
        .await;
    let not_uuid = app
        .create_task(&user.token, &json!({"title": "x", "parent_id": "task 3"}))
        .await;
    let far = patch(&app, &user, &task, json!({"position": 1_i64 << 60})).await;
    let listed = app.list_tasks(&user.token, "parent_id=top").await;
    let sorted = app.list_tasks(&user.token, "sort=manual").await;

    // Assert
    assert_invalid(&no_task, "parent_id");
    assert_eq!(
        not_uuid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        not_uuid.text
    );
    assert_invalid(&far, "position");
    assert_invalid(&listed, "parent_id");
    assert_invalid(&sorted, "sort");
    assert_eq!(titles(&app, &user, "").await, ["task"]);
}
