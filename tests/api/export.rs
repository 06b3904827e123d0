//! Account export and import: the document round-trips, re-imports create nothing, bad input
//! writes nothing, and no user's data reaches another.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tudu::db::{Db, PoolSettings};
use uuid::Uuid;

use crate::chat::say;
use crate::helpers::{
    TestApp, TestResponse, assert_invalid, assert_problem, assert_unauthorized, both_backends,
};

both_backends!(
    an_export_imported_into_another_account_round_trips,
    importing_the_same_document_again_creates_nothing,
    a_bad_task_in_the_middle_is_422_naming_it_and_writes_nothing,
    exports_hold_only_their_users_data_and_imports_never_touch_anothers,
    an_export_of_thousands_of_tasks_is_complete_and_valid_json,
    an_unknown_format_or_version_is_422,
    an_imported_monthly_series_keeps_its_day_of_month,
    export_and_import_need_a_token,
    a_database_failure_mid_export_cuts_the_body_off,
    openapi_documents_export_and_import,
);

async fn export(app: &TestApp, token: &str) -> Value {
    let res = app
        .send(app.authed(Method::GET, "/api/v1/auth/export", token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let disposition = res.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"tudu-export-20")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    res.json()
}

async fn import(app: &TestApp, token: &str, document: &Value) -> TestResponse {
    app.send(app.authed_json(Method::POST, "/api/v1/auth/import", token, Some(document)))
        .await
}

async fn import_ok(app: &TestApp, token: &str, document: &Value) -> Value {
    let res = import(app, token, document).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn total_tasks(app: &TestApp, token: &str) -> i64 {
    let res = app.list_tasks(token, "limit=1").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.header("x-total-count")
        .and_then(|n| n.parse().ok())
        .expect("X-Total-Count")
}

fn tasks(document: &Value) -> &Vec<Value> {
    document["tasks"].as_array().expect("tasks")
}

/// A document's value without the keys that name rows (ids, owners, numbers), which an import
/// into another account reassigns by design.
fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(fields) => fields
            .iter()
            // A task's project is the importing account's Inbox, not the exporter's project, and
            // the importing account wrote it.
            .filter(|(key, _)| {
                !matches!(
                    key.as_str(),
                    "id" | "user_id" | "number" | "project_id" | "created_by"
                )
            })
            .map(|(key, item)| (key.clone(), without_ids(item)))
            .collect(),
        Value::Array(items) => items.iter().map(without_ids).collect(),
        other => other.clone(),
    }
}

/// A document of `n` tasks with fresh ids and long descriptions.
fn generated(n: usize) -> Value {
    let tasks: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": Uuid::now_v7(),
                "title": format!("Task {i}"),
                "description": "x".repeat(500),
                "tags": [format!("tag{}", i % 7)],
            })
        })
        .collect();
    json!({ "format": "tudu-export", "version": 1, "tasks": tasks })
}

/// A user with a monthly series past a short month, a fortnightly task, a completed one, a
/// plain one and a chat conversation with tool calls.
async fn rich_account(app: &TestApp) -> crate::helpers::TestUser {
    let user = app
        .new_user_with(json!({ "timezone": "Europe/Paris" }))
        .await;
    let rent = app
        .create_task_ok(
            &user.token,
            &json!({"title": "Pay rent", "description": "flat 3", "priority": "high",
                "tags": ["home", "money"], "due_date": "2026-01-31T09:00:00Z",
                "recurrence_pattern": "monthly"}),
        )
        .await;
    let done = app
        .complete_task(&user.token, "1", Some(&json!({"completed": true})))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.json()["next_occurrence"].is_object(), "{rent}");
    app.create_task_ok(
        &user.token,
        &json!({"title": "Water plants", "recurrence_pattern": "weekly",
            "recurrence_interval": 2, "due_date": "2026-03-02T18:00:00Z"}),
    )
    .await;
    app.create_task_ok(&user.token, &json!({"title": "Done", "completed": true}))
        .await;
    app.create_task_ok(&user.token, &json!({"title": "Plain"}))
        .await;
    let turn = say(app, &user.token, "add buy milk #shopping", None).await;
    assert_eq!(turn.status, StatusCode::OK, "{}", turn.text);
    user
}

async fn an_export_imported_into_another_account_round_trips(app: TestApp) {
    // Arrange
    let source = rich_account(&app).await;
    let original = export(&app, &source.token).await;
    let target = app.new_user().await;
    app.create_task_ok(&target.token, &json!({"title": "Already mine"}))
        .await;
    // A cached listing that the import must retire.
    assert_eq!(total_tasks(&app, &target.token).await, 1);

    // Act
    let report = import_ok(&app, &target.token, &original).await;
    let copy = export(&app, &target.token).await;

    // Assert
    let n = tasks(&original).len();
    assert_eq!(n, 6, "{original}");
    assert_eq!(
        report,
        json!({"tasks_created": n, "tasks_skipped": 0, "conversations_created": 1,
            "conversations_skipped": 0, "messages_created": 2, "messages_skipped": 0})
    );
    assert_eq!(original["format"], "tudu-export");
    assert_eq!(original["version"], 1);
    assert!(original["exported_at"].is_string());
    assert_eq!(original["user"]["email"], source.email);
    assert_eq!(original["user"]["timezone"], "Europe/Paris");
    assert_eq!(copy["user"]["id"], target.id.as_str());
    assert_eq!(total_tasks(&app, &target.token).await, 7);
    let completed = app
        .list_tasks(&target.token, "status=completed&limit=1")
        .await;
    assert_eq!(
        completed.header("x-total-count"),
        Some("2"),
        "the counters follow"
    );
    let next = app
        .create_task_ok(&target.token, &json!({"title": "after"}))
        .await;
    assert_eq!(next["number"], 8, "the sequence continues after the import");
    let copied = &tasks(&copy)[1..];
    assert_eq!(
        without_ids(&Value::from(copied.to_vec())),
        without_ids(&original["tasks"])
    );
    // Numbers continue the account's own sequence, in the document's order.
    let numbers: Vec<i64> = copied
        .iter()
        .map(|t| t["number"].as_i64().expect("number"))
        .collect();
    assert_eq!(numbers, (2..=7).collect::<Vec<_>>());
    // The ids belong to the source account, so the copy has its own.
    let source_ids: HashSet<&Value> = tasks(&original).iter().map(|t| &t["id"]).collect();
    assert!(copied.iter().all(|t| !source_ids.contains(&t["id"])));
    assert_eq!(
        without_ids(&copy["conversations"]),
        without_ids(&original["conversations"])
    );
    let messages = &copy["conversations"][0]["messages"];
    assert_eq!(messages[0]["role"], "user");
    assert!(
        messages[1]["tool_calls"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{copy}"
    );
}

async fn importing_the_same_document_again_creates_nothing(app: TestApp) {
    // Arrange
    let source = rich_account(&app).await;
    let document = export(&app, &source.token).await;
    let target = app.new_user().await;
    import_ok(&app, &target.token, &document).await;
    let before = export(&app, &target.token).await;

    // Act
    let again = import_ok(&app, &target.token, &document).await;
    let own = import_ok(&app, &source.token, &document).await;

    // Assert
    let skipped = json!({"tasks_created": 0, "tasks_skipped": 6, "conversations_created": 0,
        "conversations_skipped": 1, "messages_created": 0, "messages_skipped": 2});
    assert_eq!(again, skipped);
    assert_eq!(own, skipped, "the source account already has every row");
    let after = export(&app, &target.token).await;
    assert_eq!(after["tasks"], before["tasks"]);
    assert_eq!(after["conversations"], before["conversations"]);
    assert_eq!(total_tasks(&app, &source.token).await, 6);
}

async fn a_bad_task_in_the_middle_is_422_naming_it_and_writes_nothing(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut document = generated(30);
    document["tasks"][17]["title"] = json!("   ");
    document["conversations"] = json!([{"id": Uuid::now_v7(), "title": "hi",
        "messages": [{"id": Uuid::now_v7(), "role": "user", "content": "hello"}]}]);
    let mut mistyped = generated(5);
    mistyped["tasks"][3]["priority"] = json!("urgent");
    let mut repeated = generated(3);
    repeated["tasks"][2]["id"] = repeated["tasks"][0]["id"].clone();

    // Act
    let invalid = import(&app, &user.token, &document).await;
    let wrong_type = import(&app, &user.token, &mistyped).await;
    let twice = import(&app, &user.token, &repeated).await;

    // Assert
    let body = assert_invalid(&invalid, "tasks[17].title");
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
    assert_invalid(&wrong_type, "tasks[3].priority");
    assert_invalid(&twice, "tasks[2].id");
    assert_eq!(total_tasks(&app, &user.token).await, 0);
    let conversations = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await;
    assert_eq!(conversations.json(), json!([]));
}

async fn exports_hold_only_their_users_data_and_imports_never_touch_anothers(app: TestApp) {
    // Arrange
    let victim = rich_account(&app).await;
    let victims = export(&app, &victim.token).await;
    let attacker = app.new_user().await;
    app.create_task_ok(&attacker.token, &json!({"title": "mine"}))
        .await;
    let stolen_id = victims["tasks"][0]["id"].clone();
    let conversation_id = victims["conversations"][0]["id"].clone();
    let forged = json!({"format": "tudu-export", "version": 1,
        "tasks": [{"id": stolen_id, "title": "overwritten", "completed": true}],
        "conversations": [{"id": conversation_id, "title": "overwritten", "messages": []}]});

    // Act
    let attackers = export(&app, &attacker.token).await;
    let report = import_ok(&app, &attacker.token, &forged).await;

    // Assert
    assert_eq!(tasks(&attackers).len(), 1);
    assert_eq!(attackers["conversations"], json!([]));
    let text = attackers.to_string();
    assert!(
        !text.contains(&victim.email) && !text.contains("Pay rent"),
        "{text}"
    );
    assert_eq!(report["tasks_created"], 1, "{report}");
    assert_eq!(export(&app, &victim.token).await["tasks"], victims["tasks"]);
    assert_eq!(
        export(&app, &victim.token).await["conversations"],
        victims["conversations"]
    );
    let stolen = stolen_id.as_str().expect("id");
    let probe = app.get_task(&attacker.token, stolen).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{}", probe.text);
    let copied = export(&app, &attacker.token).await;
    let copy = tasks(&copied).iter().find(|t| t["title"] == "overwritten");
    assert!(copy.is_some_and(|t| t["id"] != stolen_id), "{copied}");
}

async fn an_export_of_thousands_of_tasks_is_complete_and_valid_json(app: TestApp) {
    // Arrange: five pages of the exporter, and a body past the 1 MiB default limit.
    let user = app.new_user().await;
    let document = generated(2_500);
    assert!(document.to_string().len() > 1024 * 1024);
    let report = import_ok(&app, &user.token, &document).await;
    assert_eq!(report["tasks_created"], 2_500);

    // Act
    let exported = export(&app, &user.token).await;

    // Assert
    let listed = tasks(&exported);
    let numbers: Vec<i64> = listed
        .iter()
        .map(|t| t["number"].as_i64().expect("number"))
        .collect();
    assert_eq!(numbers, (1..=2_500).collect::<Vec<_>>());
    let sent: HashSet<&Value> = tasks(&document).iter().map(|t| &t["id"]).collect();
    let got: HashSet<&Value> = listed.iter().map(|t| &t["id"]).collect();
    assert_eq!(got, sent, "free ids are kept");
    assert_eq!(total_tasks(&app, &user.token).await, 2_500);
}

async fn an_unknown_format_or_version_is_422(app: TestApp) {
    let user = app.new_user().await;
    let mut newer = generated(2);
    newer["version"] = json!(2);
    let mut foreign = generated(2);
    foreign["format"] = json!("todoist-backup");
    let unversioned = json!({"format": "tudu-export", "tasks": []});

    assert_invalid(&import(&app, &user.token, &newer).await, "version");
    assert_invalid(&import(&app, &user.token, &foreign).await, "format");
    assert_invalid(&import(&app, &user.token, &unversioned).await, "version");
    assert_eq!(total_tasks(&app, &user.token).await, 0);
}

async fn an_imported_monthly_series_keeps_its_day_of_month(app: TestApp) {
    // Arrange: a series on the 31st, now at its February occurrence.
    let user = app.new_user().await;
    let document = json!({"format": "tudu-export", "version": 1, "tasks": [{
        "id": Uuid::now_v7(), "title": "Pay rent", "due_date": "2027-02-28T09:00:00Z",
        "is_recurring": true, "recurrence_pattern": "MONTHLY", "recurrence_anchor_day": 31}]});
    import_ok(&app, &user.token, &document).await;

    // Act
    let done = app
        .complete_task(&user.token, "1", Some(&json!({"completed": true})))
        .await;

    // Assert
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        done.json()["next_occurrence"]["due_date"],
        "2027-03-31T09:00:00Z"
    );
    assert_eq!(
        tasks(&export(&app, &user.token).await)[1]["recurrence_anchor_day"],
        31
    );
}

async fn export_and_import_need_a_token(app: TestApp) {
    let exported = app
        .send(app.request(Method::GET, "/api/v1/auth/export"))
        .await;
    let imported = app
        .send(
            app.request(Method::POST, "/api/v1/auth/import")
                .json(&generated(1)),
        )
        .await;

    assert_unauthorized(&exported);
    assert_unauthorized(&imported);
    let user = app.new_user().await;
    let plain = app
        .send(
            app.authed(Method::POST, "/api/v1/auth/import", &user.token)
                .body("{}"),
        )
        .await;
    assert_problem(&plain, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn a_database_failure_mid_export_cuts_the_body_off(app: TestApp) {
    // Arrange: more tasks than the server buffers, and a conversation whose messages can no
    // longer be read.
    let user = app.new_user().await;
    import_ok(&app, &user.token, &generated(2_500)).await;
    say(&app, &user.token, "help", None).await;
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    let dropped: tudu::error::Result<()> = async {
        tudu::with_writer!(&db, |conn| sqlx::query("drop table chat_message")
            .execute(conn)
            .await
            .map(drop)?);
        Ok(())
    }
    .await;
    dropped.expect("drop the messages");

    // Act
    let mut res = app
        .authed(Method::GET, "/api/v1/auth/export", &user.token)
        .send()
        .await
        .expect("the response starts");
    let status = res.status();
    let mut received = Vec::new();
    let ended = loop {
        match res.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(ended.is_err(), "the body ended normally");
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.starts_with(r#"{"format":"tudu-export""#),
        "{text:.200}"
    );
    // The first pages were on the wire before the failure (more than the server buffers); what
    // was still buffered when it came is lost with the connection.
    assert!(text.contains(r#""title":"Task 0""#), "{text:.200}");
    assert!(serde_json::from_slice::<Value>(&received).is_err());
}

async fn openapi_documents_export_and_import(app: TestApp) {
    let res = app.send(app.request(Method::GET, "/openapi.json")).await;

    let doc = res.json();
    assert!(doc["paths"]["/api/v1/auth/export"]["get"].is_object());
    let import = &doc["paths"]["/api/v1/auth/import"]["post"];
    assert!(import["requestBody"].is_object(), "{import}");
    for schema in [
        "ExportDocument",
        "ExportedTask",
        "ExportedConversation",
        "ImportReport",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
}
