//! The MCP server driven by the rmcp client: over Streamable HTTP at `/mcp` (both protocol
//! lifecycles), and over stdio through the built binary.

use std::collections::HashMap;

use reqwest::{Method, StatusCode, header::HeaderValue};
use rmcp::{
    ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ProtocolVersion, Tool},
    service::RunningService,
    transport::{
        StreamableHttpClientTransport, TokioChildProcess,
        streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TEST_SECRET, TestApp, assert_not_found, assert_problem, both_backends, string_at,
    task_total,
};
use crate::sharing::ACTORS;

both_backends!(
    tools_are_listed_with_schemas_and_annotations,
    every_tool_works_and_its_effects_show_through_rest,
    failures_are_error_results_with_a_clear_message,
    another_users_tasks_are_out_of_reach,
    user_id_argument_must_be_the_callers,
    todo_aliases_are_accepted_but_not_listed,
    stateless_clients_of_2026_07_28_work_without_initialize,
    missing_or_invalid_token_is_401_with_resource_metadata,
    a_foreign_origin_is_403,
    a_session_refuses_another_users_token,
    two_replicas_serve_one_client_alternately,
    the_public_host_is_accepted_and_others_refused,
    a_token_without_the_mcp_scope_is_refused_with_the_scope_challenge,
    tools_outside_the_tokens_scopes_are_refused_at_the_door,
    project_tools_list_and_add_projects,
    task_tools_take_a_project_by_name,
    a_project_name_reaches_only_the_callers_projects,
    task_tools_take_a_parent_by_number,
    shared_projects_through_mcp_allow_exactly_what_each_role_may,
    share_project_refuses_the_inbox_unknown_accounts_and_members_twice,
);

type Client = RunningService<RoleClient, ()>;

fn transport(app: &TestApp, token: &str) -> StreamableHttpClientTransport<reqwest::Client> {
    StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.address))
            .auth_header(token),
    )
}

/// A client of MCP 2025-11-25: `initialize` first.
async fn connect(app: &TestApp, token: &str) -> Client {
    ().serve(transport(app, token))
        .await
        .unwrap_or_else(|err| panic!("[{}] initialize failed: {err}", app.backend))
}

async fn call(client: &Client, name: &str, arguments: Value) -> CallToolResult {
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|err| panic!("{name} failed at the protocol level: {err}"))
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The structured result of a successful call, checked to equal its text content.
fn ok(result: &CallToolResult) -> Value {
    assert_ne!(
        result.is_error,
        Some(true),
        "tool failed: {}",
        text_of(result)
    );
    let structured = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structuredContent: {result:?}"));
    let text: Value = serde_json::from_str(&text_of(result)).expect("text content is JSON");
    assert_eq!(text, structured, "text and structured content differ");
    structured
}

/// The message of a failed call, checked to leak nothing.
fn failed(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "expected isError: {result:?}");
    let text = text_of(result);
    assert!(!text.is_empty(), "an error result without a message");
    for leak in ["sqlx", "select ", "SELECT", "/work", "panicked"] {
        assert!(!text.contains(leak), "error result leaks {leak:?}: {text}");
    }
    text
}

fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

async fn tools_are_listed_with_schemas_and_annotations(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;

    // Act
    let tools = client.list_all_tools().await.expect("tools/list");

    // Assert
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("tudu")
    );
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "add_project",
            "add_task",
            "change_member_role",
            "complete_task",
            "delete_task",
            "get_task",
            "leave_project",
            "list_members",
            "list_projects",
            "list_tasks",
            "share_project",
            "unshare_project",
            "update_task"
        ]
    );
    // (read-only, destructive, idempotent) per tool.
    let expected = [
        ("add_project", false, false, false),
        ("list_projects", true, false, true),
        ("add_task", false, false, false),
        ("list_tasks", true, false, true),
        ("get_task", true, false, true),
        ("update_task", false, true, true),
        ("complete_task", false, true, true),
        ("delete_task", false, true, true),
        ("share_project", false, false, false),
        ("list_members", true, false, true),
        ("unshare_project", false, true, true),
        ("leave_project", false, true, true),
        ("change_member_role", false, true, true),
    ];
    for (name, read_only, destructive, idempotent) in expected {
        let tool = tool(&tools, name);
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 20),
            "{name} has no description"
        );
        let hints = tool.annotations.as_ref().expect("annotations");
        assert_eq!(hints.read_only_hint, Some(read_only), "{name} readOnlyHint");
        assert_eq!(
            hints.destructive_hint,
            Some(destructive),
            "{name} destructiveHint"
        );
        assert_eq!(
            hints.idempotent_hint,
            Some(idempotent),
            "{name} idempotentHint"
        );
        assert_eq!(hints.open_world_hint, Some(false), "{name} openWorldHint");
        let input = Value::Object(tool.input_schema.as_ref().clone());
        assert_eq!(input["type"], "object", "{name} input schema");
        assert!(
            input["properties"]["user_id"]["description"].is_string(),
            "{name} documents user_id"
        );
        let output = tool
            .output_schema
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no output schema"));
        assert_eq!(
            output.get("type"),
            Some(&json!("object")),
            "{name} output schema"
        );
    }
    let add = Value::Object(tool(&tools, "add_task").input_schema.as_ref().clone());
    assert_eq!(add["required"], json!(["title"]));
    for field in [
        "title",
        "description",
        "priority",
        "tags",
        "due_date",
        "recurrence_pattern",
    ] {
        assert!(
            add["properties"][field]["description"].is_string(),
            "add_task.{field} is undocumented: {add}"
        );
    }
    for name in ["get_task", "update_task", "complete_task", "delete_task"] {
        let input = Value::Object(tool(&tools, name).input_schema.as_ref().clone());
        assert_eq!(input["required"], json!(["task_id"]), "{name}");
    }
    let list = Value::Object(tool(&tools, "list_tasks").input_schema.as_ref().clone());
    for filter in [
        "status",
        "priority",
        "tags",
        "q",
        "due_before",
        "due_after",
        "overdue",
        "sort",
    ] {
        assert!(
            list["properties"][filter].is_object(),
            "list_tasks lacks {filter}"
        );
    }
    for name in ["add_task", "update_task", "list_tasks"] {
        let input = Value::Object(tool(&tools, name).input_schema.as_ref().clone());
        assert!(
            input["properties"]["project"]["description"].is_string(),
            "{name} does not document project: {input}"
        );
    }
    let add_project = Value::Object(tool(&tools, "add_project").input_schema.as_ref().clone());
    assert_eq!(add_project["required"], json!(["name"]));
    assert!(add_project["properties"]["color"]["description"].is_string());
    let list_projects = Value::Object(tool(&tools, "list_projects").input_schema.as_ref().clone());
    assert!(list_projects["properties"]["include_archived"]["description"].is_string());
    let share = Value::Object(tool(&tools, "share_project").input_schema.as_ref().clone());
    assert_eq!(share["required"], json!(["project", "email"]));
    for field in ["project", "email", "role"] {
        assert!(
            share["properties"][field]["description"].is_string(),
            "share_project.{field} is undocumented: {share}"
        );
    }
    let share_says = tool(&tools, "share_project")
        .description
        .as_deref()
        .unwrap_or_default();
    for point in ["owner", "admins", "Inbox", "tudu account"] {
        assert!(share_says.contains(point), "share_project: {share_says}");
    }
    for (name, required) in [
        ("list_members", json!(["project"])),
        ("unshare_project", json!(["project", "email"])),
        ("leave_project", json!(["project"])),
        ("change_member_role", json!(["project", "email", "role"])),
    ] {
        let input = Value::Object(tool(&tools, name).input_schema.as_ref().clone());
        assert_eq!(input["required"], required, "{name}: {input}");
        for field in required.as_array().into_iter().flatten() {
            let field = field.as_str().unwrap_or_default();
            assert!(
                input["properties"][field]["description"].is_string(),
                "{name}.{field} is undocumented: {input}"
            );
        }
    }
    let roles_say = tool(&tools, "change_member_role")
        .description
        .as_deref()
        .unwrap_or_default();
    for point in [
        "admins",
        "hands the project over",
        "only the owner may do that",
        "list_members",
    ] {
        assert!(
            roles_say.contains(point),
            "change_member_role lacks {point:?}: {roles_say}"
        );
    }
    let projects_say = tool(&tools, "list_projects")
        .description
        .as_deref()
        .unwrap_or_default();
    assert!(
        projects_say.contains("shared") && projects_say.contains("role"),
        "{projects_say}"
    );
    for name in ["get_task", "update_task", "complete_task", "delete_task"] {
        let says = tool(&tools, name)
            .description
            .as_deref()
            .unwrap_or_default();
        assert!(
            says.contains("shared") && says.contains("UUID"),
            "{name} does not say shared tasks go by UUID: {says}"
        );
    }
    let _ = client.cancel().await;
}

async fn every_tool_works_and_its_effects_show_through_rest(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;

    // Act: add
    let added = ok(&call(
        &client,
        "add_task",
        json!({"title": " Buy milk ", "priority": "high", "tags": ["Home"], "due_date": "2099-01-02T10:00:00Z"}),
    )
    .await);
    // Assert
    assert_eq!(added["number"], 1);
    assert_eq!(added["title"], "Buy milk");
    assert_eq!(added["priority"], "HIGH");
    let id = string_at(&added, "/id");
    let rest = app.get_task(&user.token, &id).await;
    assert_eq!(rest.status, StatusCode::OK);
    assert_eq!(rest.json()["title"], "Buy milk");

    // list, with filters
    ok(&call(&client, "add_task", json!({"title": "Walk the dog"})).await);
    let listed = ok(&call(&client, "list_tasks", json!({})).await);
    assert_eq!(listed["total"], 2);
    let listed = ok(&call(
        &client,
        "list_tasks",
        json!({"priority": "HIGH", "tags": ["home"], "status": "pending"}),
    )
    .await);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tasks"][0]["id"], id.as_str());
    let paged = ok(&call(
        &client,
        "list_tasks",
        json!({"limit": 1, "sort": "number", "order": "asc"}),
    )
    .await);
    assert_eq!(paged["tasks"][0]["number"], 1);
    let cursor = string_at(&paged, "/next_cursor");
    let next = ok(&call(
        &client,
        "list_tasks",
        json!({"limit": 1, "sort": "number", "order": "asc", "cursor": cursor}),
    )
    .await);
    assert_eq!(next["tasks"][0]["number"], 2);
    assert!(next["next_cursor"].is_null());

    // get, by number (integer and text) and by UUID
    for task_id in [json!(1), json!("1"), json!("#1"), json!(id)] {
        let got = ok(&call(&client, "get_task", json!({ "task_id": task_id })).await);
        assert_eq!(got["id"], id.as_str(), "get_task {task_id}");
    }

    // update: only the given fields change, null clears
    let updated = ok(&call(
        &client,
        "update_task",
        json!({"task_id": 1, "title": "Buy oat milk", "due_date": null}),
    )
    .await);
    assert_eq!(updated["title"], "Buy oat milk");
    assert!(updated["due_date"].is_null());
    let rest = app.get_task(&user.token, "1").await.json();
    assert_eq!(rest["title"], "Buy oat milk");
    assert_eq!(rest["priority"], "HIGH", "unchanged");
    assert!(rest["due_date"].is_null());

    // complete, reopen, and a recurring task's next occurrence
    let done = ok(&call(&client, "complete_task", json!({"task_id": id})).await);
    assert_eq!(done["completed"], true);
    assert_eq!(
        app.get_task(&user.token, &id).await.json()["completed"],
        true
    );
    let reopened = ok(&call(
        &client,
        "complete_task",
        json!({"task_id": 1, "completed": false}),
    )
    .await);
    assert_eq!(reopened["completed"], false);
    ok(&call(
        &client,
        "add_task",
        json!({"title": "Water plants", "recurrence_pattern": "weekly"}),
    )
    .await);
    let done = ok(&call(&client, "complete_task", json!({"task_id": 3})).await);
    assert_eq!(done["next_occurrence"]["number"], 4);
    assert_eq!(done["next_occurrence"]["completed"], false);

    // delete
    let deleted = ok(&call(&client, "delete_task", json!({"task_id": id})).await);
    assert_eq!(deleted["deleted_id"], id.as_str());
    assert_eq!(deleted["message"], "Task deleted successfully");
    assert_not_found(&app.get_task(&user.token, &id).await);
    let _ = client.cancel().await;
}

async fn failures_are_error_results_with_a_clear_message(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;
    ok(&call(&client, "add_task", json!({"title": "Existing"})).await);

    // Act + Assert: validation names the fields
    let message = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "   ", "tags": ["ok", ""]}),
        )
        .await,
    );
    assert!(
        message.contains("title") && message.contains("tags[1]"),
        "{message}"
    );
    let message = failed(&call(&client, "add_task", json!({"description": "no title"})).await);
    assert!(message.contains("title"), "{message}");
    let message = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "x", "priority": "urgent"}),
        )
        .await,
    );
    assert!(
        message.contains("priority: ") && message.contains("HIGH, MEDIUM, LOW, NONE"),
        "{message}"
    );
    let message = failed(
        &call(
            &client,
            "update_task",
            json!({"task_id": 1, "tags": "home"}),
        )
        .await,
    );
    assert!(message.contains("tags: "), "{message}");
    let message = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "x", "is_recurring": true}),
        )
        .await,
    );
    assert!(message.contains("recurrence_pattern"), "{message}");
    let message = failed(&call(&client, "list_tasks", json!({"status": "done"})).await);
    assert!(message.contains("status"), "{message}");
    let message = failed(&call(&client, "list_tasks", json!({"limit": 5000})).await);
    assert!(message.contains("limit"), "{message}");
    let message = failed(&call(&client, "update_task", json!({"task_id": 1, "title": null})).await);
    assert!(message.contains("title"), "{message}");

    // unknown or malformed task ids
    for name in ["get_task", "update_task", "complete_task", "delete_task"] {
        let message = failed(&call(&client, name, json!({"task_id": 99})).await);
        assert!(message.contains("not found"), "{name}: {message}");
        let message = failed(&call(&client, name, json!({"task_id": "not-a-task"})).await);
        assert!(message.contains("task_id"), "{name}: {message}");
        failed(&call(&client, name, json!({})).await);
    }
    // Nothing changed.
    let rest = app.list_tasks(&user.token, "").await.json();
    assert_eq!(rest.as_array().map(Vec::len), Some(1));
    assert_eq!(rest[0]["title"], "Existing");
    let _ = client.cancel().await;
}

async fn another_users_tasks_are_out_of_reach(app: TestApp) {
    // Arrange
    let owner = app.new_user().await;
    let task = app
        .create_task_ok(
            &owner.token,
            &json!({"title": "Private", "description": "mine"}),
        )
        .await;
    let id = string_at(&task, "/id");
    let intruder = app.new_user().await;
    let client = connect(&app, &intruder.token).await;

    // Act + Assert: by UUID and by the owner's number, every tool fails
    for task_id in [json!(id), json!(1)] {
        failed(&call(&client, "get_task", json!({ "task_id": task_id })).await);
        failed(
            &call(
                &client,
                "update_task",
                json!({ "task_id": task_id, "title": "Mine now" }),
            )
            .await,
        );
        failed(&call(&client, "complete_task", json!({ "task_id": task_id })).await);
        failed(&call(&client, "delete_task", json!({ "task_id": task_id })).await);
    }
    let listed = ok(&call(&client, "list_tasks", json!({})).await);
    assert_eq!(listed["total"], 0);

    // Nothing changed for the owner.
    let rest = app.get_task(&owner.token, &id).await.json();
    assert_eq!(rest["title"], "Private");
    assert_eq!(rest["completed"], false);
    assert_eq!(rest["updated_at"], task["updated_at"]);
    let _ = client.cancel().await;
}

async fn user_id_argument_must_be_the_callers(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let other = app.new_user().await;
    let client = connect(&app, &user.token).await;

    // Act + Assert
    let message = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "x", "user_id": other.id}),
        )
        .await,
    );
    assert!(message.contains("user_id"), "{message}");
    failed(&call(&client, "list_tasks", json!({"user_id": other.id})).await);
    assert_eq!(app.list_tasks(&other.token, "").await.json(), json!([]));
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
    let added = ok(&call(
        &client,
        "add_task",
        json!({"title": "x", "user_id": user.id}),
    )
    .await);
    assert_eq!(added["user_id"], user.id.as_str());
    let listed = ok(&call(&client, "list_tasks", json!({"user_id": user.id})).await);
    assert_eq!(listed["total"], 1);
    // The same UUID in capitals is the same user, as in the compatibility routes' paths.
    let shouted = ok(&call(
        &client,
        "list_tasks",
        json!({"user_id": user.id.to_uppercase()}),
    )
    .await);
    assert_eq!(shouted["total"], 1);
    let _ = client.cancel().await;
}

async fn todo_aliases_are_accepted_but_not_listed(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;

    // Act + Assert
    let created = ok(&call(&client, "todo_create", json!({"title": "Via alias"})).await);
    assert_eq!(created["number"], 1);
    let listed = ok(&call(&client, "todo_list", json!({"status": "pending"})).await);
    assert_eq!(listed["total"], 1);
    let all = ok(&call(&client, "todo_read", json!({})).await);
    assert_eq!(all["total"], 1);
    let read = ok(&call(&client, "todo_read", json!({"task_id": 1})).await);
    assert_eq!(read["title"], "Via alias");
    let updated = ok(&call(&client, "todo_update", json!({"id": 1, "completed": true})).await);
    assert_eq!(updated["completed"], true);
    ok(&call(&client, "todo_delete", json!({"task_id": 1})).await);
    assert_not_found(&app.get_task(&user.token, "1").await);
    let tools = client.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().all(|t| !t.name.starts_with("todo_")));
    let _ = client.cancel().await;
}

async fn stateless_clients_of_2026_07_28_work_without_initialize(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act: server/discover, then self-contained requests
    let client = ()
        .serve_with_lifecycle(
            transport(&app, &user.token),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .expect("server/discover");

    // Assert
    let info = client.peer_info().expect("discover result");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);
    assert_eq!(client.list_all_tools().await.expect("tools/list").len(), 13);
    let added = ok(&call(&client, "add_task", json!({"title": "Stateless"})).await);
    assert_eq!(added["number"], 1);
    assert_eq!(
        app.get_task(&user.token, "1").await.json()["title"],
        "Stateless"
    );
    let _ = client.cancel().await;
}

fn initialize_body() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    })
}

fn add_task_body(title: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "add_task", "arguments": {"title": title}}
    })
}

/// A raw JSON-RPC POST to `/mcp`.
fn post(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::RequestBuilder {
    let request = app
        .request(Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(body);
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

async fn missing_or_invalid_token_is_401_with_resource_metadata(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let missing = app.send(post(&app, None, &initialize_body())).await;
    let invalid = app
        .send(post(&app, Some("not.a.token"), &initialize_body()))
        .await;
    let metadata = app
        .send(app.request(Method::GET, "/.well-known/oauth-protected-resource"))
        .await;

    // Assert
    for res in [&missing, &invalid] {
        assert_problem(res, StatusCode::UNAUTHORIZED);
        let challenge = res.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer ")
                && challenge.contains(
                    r#"resource_metadata="http://127.0.0.1:0/.well-known/oauth-protected-resource""#
                ),
            "{challenge}"
        );
    }
    assert!(
        invalid
            .header("www-authenticate")
            .is_some_and(|c| c.contains(r#"error="invalid_token""#))
    );
    assert_eq!(metadata.status, StatusCode::OK);
    let metadata = metadata.json();
    assert_eq!(metadata["resource"], "http://127.0.0.1:0/mcp");
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    // A client with a bad token cannot even start.
    assert!(().serve(transport(&app, "not.a.token")).await.is_err());
    // And a tool call without a token is an HTTP 401, not a tool result.
    let res = app.send(post(&app, None, &add_task_body("x"))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
}

async fn a_foreign_origin_is_403(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let foreign = app
        .send(
            post(&app, Some(&user.token), &add_task_body("x"))
                .header("origin", "https://evil.example"),
        )
        .await;
    let allowed = app
        .send(
            post(&app, Some(&user.token), &initialize_body())
                .header("origin", "http://localhost:3000"),
        )
        .await;

    // Assert
    assert_problem(&foreign, StatusCode::FORBIDDEN);
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
    // Through the rmcp client too.
    let mut headers = HashMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        HeaderValue::from_static("https://evil.example"),
    );
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.address))
        .auth_header(user.token.clone())
        .custom_headers(headers);
    assert!(
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .is_err()
    );
}

async fn a_session_refuses_another_users_token(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let init = app
        .send(post(&app, Some(&alice.token), &initialize_body()))
        .await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    let session = init
        .header("mcp-session-id")
        .expect("initialize assigns a session id")
        .to_owned();

    // Act
    let hijack = app
        .send(
            post(&app, Some(&bob.token), &add_task_body("bob's"))
                .header("mcp-session-id", &session),
        )
        .await;
    let forged = app
        .send(
            post(&app, Some(&bob.token), &add_task_body("bob's"))
                .header("mcp-session-id", "tudu1.forged"),
        )
        .await;
    let own = app
        .send(
            post(&app, Some(&alice.token), &add_task_body("alice's"))
                .header("mcp-session-id", &session),
        )
        .await;

    // Assert
    assert_not_found(&hijack);
    assert_not_found(&forged);
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(
        own.json()["result"]["structuredContent"]["title"],
        "alice's"
    );
    assert_eq!(app.list_tasks(&bob.token, "").await.json(), json!([]));
    assert_eq!(
        app.list_tasks(&alice.token, "")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn two_replicas_serve_one_client_alternately(app: TestApp) {
    // Arrange: a second server on the same database, as behind a load balancer.
    let replica = app.replica().await;
    let user = app.new_user().await;
    let init = app
        .send(post(&app, Some(&user.token), &initialize_body()))
        .await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    let session = init
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    let list = json!({
        "jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "list_tasks", "arguments": {}}
    });

    // Act: the session started on one replica goes on on the other, and back.
    let added = replica
        .send(
            post(&replica, Some(&user.token), &add_task_body("via B"))
                .header("mcp-session-id", &session),
        )
        .await;
    let listed = app
        .send(post(&app, Some(&user.token), &list).header("mcp-session-id", &session))
        .await;
    let stateless = replica
        .send(post(
            &replica,
            Some(&user.token),
            &add_task_body("no session"),
        ))
        .await;

    // Assert
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(
        added.json()["result"]["structuredContent"]["title"],
        "via B"
    );
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(
        listed.json()["result"]["structuredContent"]["tasks"][0]["title"],
        "via B"
    );
    assert_eq!(stateless.status, StatusCode::OK, "{}", stateless.text);
    assert_eq!(
        app.list_tasks(&user.token, "")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

async fn the_public_host_is_accepted_and_others_refused(app: TestApp) {
    // Arrange: a server known as todo.example.com
    let backend = match app.backend {
        "postgres" => match Backend::postgres(module_path!()) {
            Some(backend) => backend,
            None => return,
        },
        _ => Backend::Sqlite,
    };
    let public = TestApp::spawn_with(backend, |s| {
        s.public_url = "https://todo.example.com".to_owned();
    })
    .await;
    let user = public.new_user().await;

    // Act
    let behind_proxy = public
        .send(
            post(&public, Some(&user.token), &initialize_body()).header("host", "todo.example.com"),
        )
        .await;
    let rebinding = public
        .send(post(&public, Some(&user.token), &initialize_body()).header("host", "evil.example"))
        .await;
    let unauthorized = public.send(post(&public, None, &initialize_body())).await;

    // Assert
    assert_eq!(behind_proxy.status, StatusCode::OK, "{}", behind_proxy.text);
    assert_problem(&rebinding, StatusCode::FORBIDDEN);
    assert!(
        unauthorized.header("www-authenticate").is_some_and(|c| c
            .contains(r#"resource_metadata="https://todo.example.com/.well-known/oauth-protected-resource""#)),
        "{:?}",
        unauthorized.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_server_acts_as_the_given_user() {
    // Arrange: a SQLite file prepared through the HTTP API
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let database_url = format!("sqlite://{}/stdio.db", dir.path().display());
    let url = database_url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| s.database_url = url).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    app.create_task_ok(&user.token, &json!({"title": "From REST"}))
        .await;
    app.create_task_ok(&other.token, &json!({"title": "Someone else's"}))
        .await;

    // Act
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tudu"));
    command
        .args(["mcp", "--user", &user.email])
        .env("DATABASE_URL", &database_url)
        .env("BETTER_AUTH_SECRET", TEST_SECRET)
        .env("RUST_LOG", "info");
    let (transport, stderr) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn tudu mcp");
    let mut stderr = stderr.expect("piped stderr");
    // Drained as it comes, so the child never blocks on a full pipe; ends when it exits.
    let log = tokio::spawn(async move {
        let mut text = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut text).await;
        text
    });
    let client = ().serve(transport).await.expect("initialize over stdio");
    let tools = client.list_all_tools().await.expect("tools/list");
    let listed = ok(&call(&client, "list_tasks", json!({})).await);
    let added = ok(&call(&client, "add_task", json!({"title": "From stdio"})).await);
    let foreign = call(
        &client,
        "update_task",
        json!({"task_id": 1, "title": "hijacked"}),
    )
    .await;
    let _ = client.cancel().await;
    let log = log.await.expect("the log reader");

    // Assert
    assert_eq!(tools.len(), 13);
    let serving = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "serving MCP over stdio")
        .unwrap_or_else(|| panic!("no start line in {log}"));
    assert_eq!(serving["user_id"], user.id.as_str(), "{serving}");
    assert!(!log.contains(&user.email), "the email was logged: {log}");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tasks"][0]["title"], "From REST");
    assert_eq!(added["number"], 2);
    assert_eq!(
        app.get_task(&user.token, "2").await.json()["title"],
        "From stdio"
    );
    // Task 1 is the user's own; the other user's task 1 is untouched.
    ok(&foreign);
    assert_eq!(
        app.get_task(&other.token, "1").await.json()["title"],
        "Someone else's"
    );
}

/// A personal access token of `user` with `scopes`.
async fn personal_token(app: &TestApp, token: &str, scopes: &[&str]) -> String {
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/auth/tokens",
            token,
            Some(&json!({"name": "mcp test", "scopes": scopes})),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    string_at(&res.json(), "/token")
}

fn assert_scope_challenge(res: &crate::helpers::TestResponse, scope: &str) {
    let problem = assert_problem(res, StatusCode::FORBIDDEN);
    assert_eq!(problem["error"], "insufficient_scope");
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(&format!(r#"scope="{scope}""#))
            && challenge.contains("resource_metadata="),
        "{challenge}"
    );
}

async fn a_token_without_the_mcp_scope_is_refused_with_the_scope_challenge(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let rest_only = personal_token(&app, &user.token, &["tasks:read", "tasks:write"]).await;

    // Act
    let res = app
        .send(post(&app, Some(&rest_only), &initialize_body()))
        .await;

    // Assert
    assert_scope_challenge(&res, "mcp");
}

async fn tools_outside_the_tokens_scopes_are_refused_at_the_door(app: TestApp) {
    // Arrange: a read-only MCP token
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({"title": "Read me"}))
        .await;
    let reader = personal_token(&app, &user.token, &["mcp", "tasks:read"]).await;

    // Act
    let client = connect(&app, &reader).await;
    let listed = ok(&call(&client, "list_tasks", json!({})).await);
    let projects = ok(&call(&client, "list_projects", json!({})).await);
    let refused = app
        .send(post(&app, Some(&reader), &add_task_body("Nope")))
        .await;
    let no_project = app
        .send(post(
            &app,
            Some(&reader),
            &json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                    "params": {"name": "add_project", "arguments": {"name": "Nope"}}}),
        ))
        .await;
    let alias = app
        .send(post(
            &app,
            Some(&reader),
            &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                    "params": {"name": "todo_delete", "arguments": {"task_id": 1}}}),
        ))
        .await;
    let _ = client.cancel().await;

    // Assert
    assert_eq!(listed["total"], 1);
    assert_eq!(projects["projects"][0]["name"], "Inbox");
    assert_scope_challenge(&refused, "tasks:write");
    assert_scope_challenge(&no_project, "tasks:write");
    assert_scope_challenge(&alias, "tasks:write");
    assert_eq!(task_total(&app, &user.token).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_server_with_a_personal_access_token_keeps_to_its_scopes_and_stops_when_revoked() {
    // Arrange: a SQLite file, a user, and a read-only MCP token of theirs
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let database_url = format!("sqlite://{}/stdio.db", dir.path().display());
    let url = database_url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| s.database_url = url).await;
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({"title": "From REST"}))
        .await;
    let reader = personal_token(&app, &user.token, &["mcp", "tasks:read"]).await;

    // Act
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tudu"));
    command
        .arg("mcp")
        .env("TUDU_TOKEN", &reader)
        .env("DATABASE_URL", &database_url)
        .env("BETTER_AUTH_SECRET", TEST_SECRET);
    let transport = TokioChildProcess::new(command).expect("spawn tudu mcp");
    let client = ().serve(transport).await.expect("initialize over stdio");
    let listed = ok(&call(&client, "list_tasks", json!({})).await);
    let added = call(&client, "add_task", json!({"title": "From stdio"})).await;
    let tokens = app
        .send(app.authed(Method::GET, "/api/v1/auth/tokens", &user.token))
        .await;
    let id = string_at(&tokens.json(), "/0/id");
    let revoked = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            &user.token,
        ))
        .await;
    let after = call(&client, "list_tasks", json!({})).await;
    let _ = client.cancel().await;

    // Assert
    assert_eq!(listed["total"], 1);
    assert_eq!(added.is_error, Some(true));
    assert!(
        text_of(&added).contains("tasks:write"),
        "{}",
        text_of(&added)
    );
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(after.is_error, Some(true));
    assert!(text_of(&after).contains("revoked"), "{}", text_of(&after));
    assert_eq!(task_total(&app, &user.token).await, 1);
}

async fn project_tools_list_and_add_projects(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;

    // Act
    let added = ok(&call(
        &client,
        "add_project",
        json!({"name": " Groceries ", "color": "#2A9D8F"}),
    )
    .await);
    let invalid = failed(
        &call(
            &client,
            "add_project",
            json!({"name": "", "color": "green"}),
        )
        .await,
    );
    let missing = failed(&call(&client, "add_project", json!({"color": "#fff"})).await);
    let listed = ok(&call(&client, "list_projects", json!({})).await);
    let archived = app
        .send(app.authed_json(
            Method::PATCH,
            &format!("/api/v1/projects/{}", string_at(&added, "/id")),
            &user.token,
            Some(&json!({"archived": true})),
        ))
        .await;
    let active = ok(&call(&client, "list_projects", json!({})).await);
    let all = ok(&call(&client, "list_projects", json!({"include_archived": true})).await);
    let _ = client.cancel().await;

    // Assert
    assert_eq!(added["name"], "Groceries");
    assert_eq!(added["color"], "#2a9d8f");
    assert_eq!(added["is_inbox"], false);
    assert!(
        invalid.contains("name") && invalid.contains("color"),
        "{invalid}"
    );
    assert!(missing.contains("name"), "{missing}");
    let names = |list: &Value| -> Vec<String> {
        list["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .map(|p| p["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(&listed), ["Inbox", "Groceries"]);
    // The tool and REST see the same projects.
    let rest = app
        .send(app.authed(Method::GET, "/api/v1/projects?archived=true", &user.token))
        .await
        .json();
    assert_eq!(rest.as_array().map(Vec::len), Some(2));
    assert_eq!(rest[1]["id"], added["id"]);
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text);
    assert_eq!(names(&active), ["Inbox"]);
    assert_eq!(names(&all), ["Inbox", "Groceries"]);
}

async fn task_tools_take_a_project_by_name(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let client = connect(&app, &user.token).await;
    let groceries = ok(&call(&client, "add_project", json!({"name": "Groceries"})).await);
    let work = ok(&call(&client, "add_project", json!({"name": "Work"})).await);
    let groceries_id = string_at(&groceries, "/id");
    let work_id = string_at(&work, "/id");

    // Act
    let milk = ok(&call(
        &client,
        "add_task",
        json!({"title": "Milk", "project": "groceries"}),
    )
    .await);
    let by_id = ok(&call(
        &client,
        "add_task",
        json!({"title": "Eggs", "project": groceries_id}),
    )
    .await);
    let both = ok(&call(
        &client,
        "add_task",
        json!({"title": "Bread", "project": "GROCERIES", "project_id": groceries_id}),
    )
    .await);
    let plain = ok(&call(&client, "add_task", json!({"title": "Inbox item"})).await);
    let clash = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "Clash", "project": "Groceries", "project_id": work_id}),
        )
        .await,
    );
    let unknown = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "Lost", "project": "Hobbies"}),
        )
        .await,
    );
    let moved = ok(&call(
        &client,
        "update_task",
        json!({"task_id": 1, "project": "Work"}),
    )
    .await);
    let back = ok(&call(
        &client,
        "update_task",
        json!({"task_id": 1, "project": "inbox"}),
    )
    .await);
    let moved_again = ok(&call(
        &client,
        "update_task",
        json!({"task_id": 1, "project": " work "}),
    )
    .await);
    let no_move = failed(
        &call(
            &client,
            "update_task",
            json!({"task_id": 2, "project": "Nowhere"}),
        )
        .await,
    );
    let in_groceries = ok(&call(&client, "list_tasks", json!({"project": "Groceries"})).await);
    let in_inbox = ok(&call(&client, "list_tasks", json!({"project": "Inbox"})).await);
    let list_unknown = failed(&call(&client, "list_tasks", json!({"project": "Hobbies"})).await);
    let _ = client.cancel().await;

    // Assert
    assert_eq!(milk["project_id"], groceries["id"]);
    assert_eq!(by_id["project_id"], groceries["id"]);
    assert_eq!(both["project_id"], groceries["id"]);
    assert_ne!(plain["project_id"], groceries["id"]);
    assert!(clash.contains("different projects"), "{clash}");
    assert!(
        unknown.contains("No project named \"Hobbies\""),
        "{unknown}"
    );
    assert_eq!(moved["project_id"], work["id"]);
    assert_eq!(back["project_id"], plain["project_id"]);
    assert_eq!(moved_again["project_id"], work["id"]);
    assert!(no_move.contains("Nowhere"), "{no_move}");
    assert_eq!(
        app.get_task(&user.token, "2").await.json()["project_id"],
        groceries["id"]
    );
    assert_eq!(task_total(&app, &user.token).await, 4);
    let titles = |list: &Value| -> Vec<String> {
        let mut titles: Vec<String> = list["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(titles(&in_groceries), ["Bread", "Eggs"]);
    assert_eq!(titles(&in_inbox), ["Inbox item"]);
    assert!(list_unknown.contains("list_projects"), "{list_unknown}");
}

async fn a_project_name_reaches_only_the_callers_projects(app: TestApp) {
    // Arrange: another user's project, by name and by id
    let user = app.new_user().await;
    let other = app.new_user().await;
    let theirs = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &other.token,
            Some(&json!({"name": "Secret plans"})),
        ))
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    let their_id = string_at(&theirs.json(), "/id");
    let client = connect(&app, &user.token).await;

    // Act
    let by_name = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "x", "project": "Secret plans"}),
        )
        .await,
    );
    let by_id = failed(
        &call(
            &client,
            "add_task",
            json!({"title": "x", "project": their_id}),
        )
        .await,
    );
    let listed = failed(&call(&client, "list_tasks", json!({"project": their_id})).await);
    let _ = client.cancel().await;

    // Assert: the same answer as for a project that does not exist, naming nothing of theirs
    assert!(by_name.starts_with("No project named"), "{by_name}");
    assert!(by_id.starts_with("No project named"), "{by_id}");
    assert!(listed.starts_with("No project named"), "{listed}");
    assert_eq!(task_total(&app, &user.token).await, 0);
    assert_eq!(task_total(&app, &other.token).await, 0);
}

async fn task_tools_take_a_parent_by_number(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let other = app.new_user().await;
    app.create_task_ok(&other.token, &json!({"title": "theirs"}))
        .await;
    let client = connect(&app, &user.token).await;
    let car = ok(&call(&client, "add_task", json!({"title": "Service the car"})).await);
    let car_id = string_at(&car, "/id");

    // Act
    let tyres = ok(&call(
        &client,
        "add_task",
        json!({"title": "Check tyres", "parent": car["number"]}),
    )
    .await);
    let oil = ok(&call(
        &client,
        "add_task",
        json!({"title": "Change oil", "parent": car_id, "parent_id": car_id}),
    )
    .await);
    let listed = ok(&call(
        &client,
        "list_tasks",
        json!({"parent": car["number"], "sort": "position", "order": "asc"}),
    )
    .await);
    let top = ok(&call(&client, "list_tasks", json!({"parent_id": "none"})).await);
    let lifted = ok(&call(
        &client,
        "update_task",
        json!({"task_id": oil["number"], "parent_id": null}),
    )
    .await);
    let foreign = failed(&call(&client, "add_task", json!({"title": "x", "parent": 99})).await);
    let clash = failed(
        &call(
            &client,
            "update_task",
            json!({"task_id": tyres["number"], "parent": car["number"], "parent_id": oil["id"]}),
        )
        .await,
    );
    let done = ok(&call(&client, "complete_task", json!({"task_id": car["number"]})).await);

    // Assert
    assert_eq!(tyres["parent_id"], car["id"]);
    assert_eq!(oil["parent_id"], car["id"]);
    let titles: Vec<&str> = listed["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(titles, ["Check tyres", "Change oil"]);
    assert_eq!(top["total"], 1, "{top}");
    assert_eq!(lifted["parent_id"], Value::Null);
    assert!(foreign.contains("parent 99"), "{foreign}");
    assert!(clash.contains("different tasks"), "{clash}");
    assert_eq!(done["completed"], true);
    let subtask = app.get_task(&user.token, &string_at(&tyres, "/id")).await;
    assert_eq!(
        subtask.json()["completed"],
        true,
        "completing the parent completed it"
    );
}

/// A tool call on a shared project or one of its tasks (tasks named by UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SharedOp {
    ListTasks,
    UpdateTask,
    CompleteTask,
    DeleteTask,
    AddTask,
    Share,
    ListMembers,
    /// Removes a newcomer the owner made a viewer just before.
    Unshare,
    /// Makes such a newcomer an editor.
    ChangeRole,
    /// Makes such a newcomer the owner (handed back afterwards).
    HandOver,
    /// The actor leaves (and is shared with again afterwards).
    Leave,
}

/// How a cell's call must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// It succeeds, and did what it says.
    Done,
    /// A failed call saying viewers cannot change it; nothing changed.
    ViewerRefused,
    /// A failed call saying only the owner and admins may; nothing changed.
    AdminsOnly,
    /// A failed call saying only the owner may; nothing changed.
    OwnerOnly,
    /// A failed call saying the owner cannot leave; nothing changed.
    OwnerStays,
    /// A failed call reading as for a task or project that does not exist; nothing changed.
    Unknown,
}

/// The MCP cells of the sharing matrix (REST's is in `sharing.rs`): for each tool, what each
/// actor (owner, admin, editor, viewer, non-member) gets.
const MCP_MATRIX: &[(SharedOp, [Outcome; 5])] = {
    use Outcome::{AdminsOnly, Done, OwnerOnly, OwnerStays, Unknown, ViewerRefused};
    &[
        (SharedOp::ListTasks, [Done, Done, Done, Done, Unknown]),
        (
            SharedOp::UpdateTask,
            [Done, Done, Done, ViewerRefused, Unknown],
        ),
        (
            SharedOp::CompleteTask,
            [Done, Done, Done, ViewerRefused, Unknown],
        ),
        (
            SharedOp::DeleteTask,
            [Done, Done, Done, ViewerRefused, Unknown],
        ),
        (
            SharedOp::AddTask,
            [Done, Done, Done, ViewerRefused, Unknown],
        ),
        (
            SharedOp::Share,
            [Done, Done, AdminsOnly, AdminsOnly, Unknown],
        ),
        (SharedOp::ListMembers, [Done, Done, Done, Done, Unknown]),
        (
            SharedOp::Unshare,
            [Done, Done, AdminsOnly, AdminsOnly, Unknown],
        ),
        (
            SharedOp::ChangeRole,
            [Done, Done, AdminsOnly, AdminsOnly, Unknown],
        ),
        (
            SharedOp::HandOver,
            [Done, OwnerOnly, OwnerOnly, OwnerOnly, Unknown],
        ),
        (SharedOp::Leave, [OwnerStays, Done, Done, Done, Unknown]),
    ]
};

async fn shared_projects_through_mcp_allow_exactly_what_each_role_may(app: TestApp) {
    // Arrange: Groceries shared with an admin, an editor and a viewer; a stranger
    let users = [
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    ];
    let owner = &users[0];
    let created = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &owner.token,
            Some(&json!({"name": "Groceries"})),
        ))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let project = string_at(&created.json(), "/id");
    let owner_client = connect(&app, &owner.token).await;
    for (member, role) in [
        (&users[1], "admin"),
        (&users[2], "editor"),
        (&users[3], "viewer"),
    ] {
        ok(&call(
            &owner_client,
            "share_project",
            json!({"project": "Groceries", "email": member.email, "role": role}),
        )
        .await);
    }
    let mut clients = Vec::new();
    for user in &users {
        clients.push(connect(&app, &user.token).await);
    }

    // Act and assert, cell by cell
    let mut wrong = Vec::new();
    for (op, row) in MCP_MATRIX {
        for ((actor, want), (user, client)) in
            ACTORS.iter().zip(row).zip(users.iter().zip(&clients))
        {
            let cell = format!("{op:?} as {actor:?}");
            if let Err(why) = shared_cell(&app, owner, &project, *op, user, client, *want).await {
                wrong.push(format!("{cell}: {why}"));
            }
        }
    }
    for client in clients {
        let _ = client.cancel().await;
    }
    let _ = owner_client.cancel().await;
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
}

/// Performs `op` as `user` through `client` on a fresh task of `project` (the owner's), and
/// checks both the call's result and what it left behind; a cell that changed who is in the
/// project puts it back, so that the next cell starts from the same people.
async fn shared_cell(
    app: &TestApp,
    owner: &crate::helpers::TestUser,
    project: &str,
    op: SharedOp,
    user: &crate::helpers::TestUser,
    client: &Client,
    want: Outcome,
) -> Result<(), String> {
    let task = app
        .create_task_ok(
            &owner.token,
            &json!({"title": "change me", "project_id": project}),
        )
        .await;
    let task_id = string_at(&task, "/id");
    let newcomer = app.new_user().await;
    // The member cells act on a newcomer who is a viewer already.
    let on_member = matches!(
        op,
        SharedOp::Unshare | SharedOp::ChangeRole | SharedOp::HandOver
    );
    if on_member {
        member_set(
            app,
            owner,
            project,
            "POST",
            "",
            &json!({"email": newcomer.email, "role": "viewer"}),
        )
        .await?;
    }
    let role_before = role_in(app, owner, project, &user.id).await;
    // Unique to the cell, so that what earlier cells added does not count.
    let added_title = format!("added for {}", newcomer.id);
    let result = match op {
        SharedOp::ListTasks => call(client, "list_tasks", json!({"project": project})).await,
        SharedOp::UpdateTask => {
            call(
                client,
                "update_task",
                json!({"task_id": task_id, "title": "changed"}),
            )
            .await
        }
        SharedOp::CompleteTask => call(client, "complete_task", json!({"task_id": task_id})).await,
        SharedOp::DeleteTask => call(client, "delete_task", json!({"task_id": task_id})).await,
        SharedOp::AddTask => {
            call(
                client,
                "add_task",
                json!({"title": added_title, "project": project}),
            )
            .await
        }
        SharedOp::Share => {
            call(
                client,
                "share_project",
                json!({"project": project, "email": newcomer.email, "role": "viewer"}),
            )
            .await
        }
        SharedOp::ListMembers => call(client, "list_members", json!({"project": project})).await,
        SharedOp::Unshare => {
            call(
                client,
                "unshare_project",
                json!({"project": project, "email": newcomer.email.to_uppercase()}),
            )
            .await
        }
        SharedOp::ChangeRole => {
            call(
                client,
                "change_member_role",
                json!({"project": project, "email": newcomer.email, "role": "editor"}),
            )
            .await
        }
        SharedOp::HandOver => {
            call(
                client,
                "change_member_role",
                json!({"project": project, "email": newcomer.email, "role": "owner"}),
            )
            .await
        }
        SharedOp::Leave => call(client, "leave_project", json!({"project": project})).await,
    };
    let after = app.get_task(&owner.token, &task_id).await;
    let owner_now = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{project}"),
            &newcomer.token,
        ))
        .await;
    let handed_over =
        owner_now.status == StatusCode::OK && owner_now.json()["owner_id"] == newcomer.id.as_str();
    if handed_over {
        // Back to the owner, and the newcomer out, as REST does it.
        member_set(
            app,
            &newcomer,
            project,
            "PATCH",
            &owner.id,
            &json!({"role": "owner"}),
        )
        .await?;
        member_set(app, owner, project, "DELETE", &newcomer.id, &json!({})).await?;
    }
    let newcomer_role = role_in(app, owner, project, &newcomer.id).await;
    let role_after = role_in(app, owner, project, &user.id).await;
    if op == SharedOp::Leave
        && role_after.is_none()
        && let Some(role) = &role_before
    {
        member_set(
            app,
            owner,
            project,
            "POST",
            "",
            &json!({"email": user.email, "role": role}),
        )
        .await?;
    }
    let listed = app
        .list_tasks(&owner.token, &format!("project_id={project}&limit=1000"))
        .await
        .json();
    let added: Vec<&Value> = listed
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|t| t["title"] == added_title.as_str())
                .collect()
        })
        .unwrap_or_default();
    // What the call must have left, when it was refused: the task as it was, nobody added,
    // the newcomer as they were, the caller still in with their role, the owner still owner.
    let newcomer_as_was = if on_member {
        newcomer_role.as_deref() == Some("viewer")
    } else {
        newcomer_role.is_none()
    };
    let untouched = after.status == StatusCode::OK
        && after.json()["title"] == "change me"
        && after.json()["completed"] == false
        && added.is_empty()
        && newcomer_as_was
        && role_after == role_before
        && !handed_over;
    if want != Outcome::Done {
        if result.is_error != Some(true) {
            return Err(format!("succeeded: {}", text_of(&result)));
        }
        let message = failed(&result);
        let expected = match want {
            Outcome::ViewerRefused => "viewers of a shared project cannot change",
            Outcome::AdminsOnly => "only the project's owner and admins",
            Outcome::OwnerOnly => "only the project's owner may",
            Outcome::OwnerStays => "the owner cannot leave",
            Outcome::Unknown
                if !matches!(
                    op,
                    SharedOp::UpdateTask | SharedOp::CompleteTask | SharedOp::DeleteTask
                ) =>
            {
                "No project named"
            }
            _ => "was not found among the user's tasks",
        };
        if !message.contains(expected) {
            return Err(format!("message {message:?} lacks {expected:?}"));
        }
        return if untouched {
            Ok(())
        } else {
            Err("a refused call changed something".to_owned())
        };
    }
    if result.is_error == Some(true) {
        return Err(format!("failed: {}", text_of(&result)));
    }
    let value = ok(&result);
    let done = match op {
        SharedOp::ListTasks => value["tasks"]
            .as_array()
            .is_some_and(|tasks| tasks.iter().any(|t| t["id"] == task["id"])),
        SharedOp::UpdateTask => value["title"] == "changed" && after.json()["title"] == "changed",
        SharedOp::CompleteTask => value["completed"] == true && after.json()["completed"] == true,
        SharedOp::DeleteTask => {
            value["deleted_id"] == task["id"] && after.status == StatusCode::NOT_FOUND
        }
        // Into the owner's project, as the owner's task, created by the caller.
        SharedOp::AddTask => {
            added.len() == 1
                && added[0]["user_id"] == owner.id.as_str()
                && added[0]["created_by"] == user.id.as_str()
                && value["project_id"] == project
        }
        SharedOp::Share => {
            value["email"] == newcomer.email.as_str()
                && value["role"] == "viewer"
                && newcomer_role.as_deref() == Some("viewer")
        }
        // The owner first, then everyone else, the caller among them with their role.
        SharedOp::ListMembers => {
            let members = value["members"].as_array().cloned().unwrap_or_default();
            value["project_id"] == project
                && members
                    .first()
                    .is_some_and(|m| m["user_id"] == owner.id.as_str() && m["role"] == "owner")
                && members.iter().any(|m| {
                    m["user_id"] == user.id.as_str()
                        && m["email"] == user.email.as_str()
                        && m["role"].as_str() == role_before.as_deref()
                })
        }
        SharedOp::Unshare => {
            value["removed"]["email"] == newcomer.email.as_str()
                && value["removed"]["role"] == "viewer"
                && value["left"] == false
                && newcomer_role.is_none()
        }
        SharedOp::ChangeRole => {
            value["member"]["role"] == "editor"
                && value["previous_role"] == "viewer"
                && newcomer_role.as_deref() == Some("editor")
        }
        SharedOp::HandOver => {
            value["member"]["user_id"] == newcomer.id.as_str()
                && value["member"]["role"] == "owner"
                && value["previous_role"] == "viewer"
                && handed_over
        }
        SharedOp::Leave => {
            value["left"] == true
                && value["removed"]["user_id"] == user.id.as_str()
                && role_after.is_none()
        }
    };
    if done {
        Ok(())
    } else {
        Err(format!("succeeded without its effect: {value}"))
    }
}

/// Sends a members request of REST as `by` (`POST` shares, `PATCH`/`DELETE` act on
/// `member`), failing unless it succeeds.
async fn member_set(
    app: &TestApp,
    by: &crate::helpers::TestUser,
    project: &str,
    method: &str,
    member: &str,
    body: &Value,
) -> Result<(), String> {
    let (method, path) = match method {
        "POST" => (Method::POST, format!("/api/v1/projects/{project}/members")),
        "PATCH" => (
            Method::PATCH,
            format!("/api/v1/projects/{project}/members/{member}"),
        ),
        _ => (
            Method::DELETE,
            format!("/api/v1/projects/{project}/members/{member}"),
        ),
    };
    let body = (method != Method::DELETE).then_some(body);
    let res = app
        .send(app.authed_json(method.clone(), &path, &by.token, body))
        .await;
    if res.status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{method} {path} answered {}: {}",
            res.status, res.text
        ))
    }
}

/// `user_id`'s role in `project` as its owner reads the members; `None` when not in it.
async fn role_in(
    app: &TestApp,
    owner: &crate::helpers::TestUser,
    project: &str,
    user_id: &str,
) -> Option<String> {
    let members = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{project}/members"),
            &owner.token,
        ))
        .await
        .json();
    members.as_array().and_then(|all| {
        all.iter()
            .find(|m| m["user_id"] == user_id)
            .and_then(|m| m["role"].as_str())
            .map(str::to_owned)
    })
}

async fn share_project_refuses_the_inbox_unknown_accounts_and_members_twice(app: TestApp) {
    // Arrange
    let owner = app.new_user().await;
    let sam = app.new_user().await;
    let client = connect(&app, &owner.token).await;
    ok(&call(&client, "add_project", json!({"name": "Groceries"})).await);

    // Act
    let shared = ok(&call(
        &client,
        "share_project",
        json!({"project": "groceries", "email": sam.email.to_uppercase()}),
    )
    .await);
    let twice = failed(
        &call(
            &client,
            "share_project",
            json!({"project": "Groceries", "email": sam.email}),
        )
        .await,
    );
    let inbox = failed(
        &call(
            &client,
            "share_project",
            json!({"project": "Inbox", "email": sam.email}),
        )
        .await,
    );
    let nobody = failed(
        &call(
            &client,
            "share_project",
            json!({"project": "Groceries", "email": "nobody@example.invalid"}),
        )
        .await,
    );
    let no_list = failed(
        &call(
            &client,
            "share_project",
            json!({"project": "Hobbies", "email": sam.email}),
        )
        .await,
    );
    let owner_role = failed(
        &call(
            &client,
            "share_project",
            json!({"project": "Groceries", "email": sam.email, "role": "owner"}),
        )
        .await,
    );
    let sam_client = connect(&app, &sam.token).await;
    let theirs = ok(&call(&sam_client, "list_projects", json!({})).await);
    let _ = client.cancel().await;
    let _ = sam_client.cancel().await;

    // Assert: the default role is editor, and the member sees the project with it
    assert_eq!(shared["email"], sam.email.as_str());
    assert_eq!(shared["user_id"], sam.id.as_str());
    assert_eq!(shared["role"], "editor");
    assert!(twice.contains("member already"), "{twice}");
    assert!(inbox.contains("Inbox cannot be shared"), "{inbox}");
    assert!(
        nobody.contains("email") && nobody.contains("no tudu account"),
        "{nobody}"
    );
    assert!(no_list.starts_with("No project named"), "{no_list}");
    assert!(owner_role.contains("role"), "{owner_role}");
    let groceries = theirs["projects"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "Groceries"))
        .unwrap_or_else(|| panic!("Sam does not see Groceries: {theirs}"));
    assert_eq!(groceries["role"], "editor");
}
