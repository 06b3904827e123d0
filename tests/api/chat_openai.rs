//! The `openai` agent against a scripted OpenAI-compatible server over real HTTP: the tool
//! loop, acting as the right user, history, the step limit and provider failures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tudu::config::{AgentKind, Settings};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::chat::say;
use crate::helpers::{Backend, TestApp, assert_problem, each_backend};
use crate::metrics::{sample, scrape};

const API_KEY: &str = "sk-test-do-not-leak-0123456789";

/// Answers the n-th completion request with the n-th scripted reply (the last one repeats).
struct Script {
    replies: Vec<ResponseTemplate>,
    next: AtomicUsize,
}

impl Respond for Script {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        self.replies[n.min(self.replies.len() - 1)].clone()
    }
}

fn completion(message: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{ "index": 0, "finish_reason": "stop", "message": message }],
    }))
}

fn says(text: &str) -> ResponseTemplate {
    completion(json!({ "role": "assistant", "content": text }))
}

/// A reply calling one tool; `arguments` is sent verbatim when it is a string.
fn calls(id: &str, tool: &str, arguments: Value) -> ResponseTemplate {
    let arguments = match arguments {
        Value::String(raw) => raw,
        other => other.to_string(),
    };
    completion(json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{ "id": id, "type": "function",
                         "function": { "name": tool, "arguments": arguments } }],
    }))
}

/// A reply calling one tool with `arguments` as a JSON object, as Ollama sends them, rather
/// than the JSON string of the OpenAI schema.
fn calls_with_object(id: &str, tool: &str, arguments: Value) -> ResponseTemplate {
    completion(json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{ "id": id, "type": "function",
                         "function": { "name": tool, "arguments": arguments } }],
    }))
}

async fn model(replies: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Script {
            replies,
            next: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    server
}

fn use_model(settings: &mut Settings, server: &MockServer) {
    settings.chat.agent = AgentKind::Openai;
    settings.chat.openai_base_url = format!("{}/v1", server.uri());
    settings.chat.openai_api_key = Some(SecretString::from(API_KEY));
    settings.chat.model = "test-model".to_owned();
}

async fn app_with(backend: Backend, server: &MockServer) -> TestApp {
    TestApp::spawn_with(backend, |s| use_model(s, server)).await
}

/// The JSON bodies the model server received, in order.
async fn requests_to(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("request body is JSON"))
        .collect()
}

async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    app.list_tasks(token, "")
        .await
        .json()
        .as_array()
        .expect("task array")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

each_backend!(
    the_model_calls_tools_as_the_user_and_sees_their_results,
    earlier_turns_are_sent_as_history,
    a_turn_stops_after_eight_tool_calls,
    eight_tool_calls_run_even_when_one_reply_asks_for_more,
    provider_failures_are_502_and_keep_the_message,
    a_slow_provider_is_504,
    malformed_tool_calls_are_reported_to_the_model,
    tool_arguments_sent_as_an_object_are_accepted,
    only_the_configured_number_of_earlier_messages_is_sent,
    tool_calls_made_before_a_provider_failure_are_stored,
    several_deletes_in_one_reply_wait_for_a_yes,
    a_second_delete_in_a_turn_waits_for_a_yes,
    the_model_puts_a_task_in_a_project_by_name,
);

async fn the_model_calls_tools_as_the_user_and_sees_their_results(backend: Backend) {
    let server = model(vec![
        calls(
            "call_1",
            "add_task",
            json!({ "title": "call mom", "priority": "HIGH", "due_date": "2026-12-01T18:00" }),
        ),
        calls("call_2", "list_tasks", json!({ "status": "pending" })),
        says("Added \"call mom\" for Dec 1 at 18:00."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user_with(json!({ "timezone": "Asia/Tokyo" })).await;
    let bystander = app.new_user().await;
    app.create_task_ok(&bystander.token, &json!({ "title": "bystander's task" }))
        .await;
    let before = scrape(&app).await;

    let res = say(
        &app,
        &user.token,
        "remind me to call mom on Dec 1 at 6pm, high priority",
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body["response"], "Added \"call mom\" for Dec 1 at 18:00.");
    let tool_calls = body["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(tool_calls.len(), 2);
    assert_eq!(tool_calls[0]["name"], "add_task");
    assert_eq!(tool_calls[0]["arguments"]["title"], "call mom");
    assert_eq!(tool_calls[0]["result"]["title"], "call mom");
    // 18:00 in Tokyo is 09:00 UTC: the tool read the date in the user's zone.
    assert_eq!(tool_calls[0]["result"]["due_date"], "2026-12-01T09:00:00Z");
    assert_eq!(
        tool_calls[1]["result"]["total"], 1,
        "list_tasks saw only the user's tasks"
    );

    assert_eq!(titles(&app, &user.token).await, ["call mom"]);
    assert_eq!(titles(&app, &bystander.token).await, ["bystander's task"]);

    let sent = requests_to(&server).await;
    assert_eq!(sent.len(), 3);
    let first = &sent[0];
    assert_eq!(first["model"], "test-model");
    let system = first["messages"][0]["content"]
        .as_str()
        .expect("system prompt");
    assert!(system.contains("Asia/Tokyo"), "{system}");
    for rule in [
        "negates",
        "whole words",
        "whole number from 1",
        "confirm",
        "ask which",
    ] {
        assert!(
            system.contains(rule),
            "the rule {rule:?} is missing: {system}"
        );
    }
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo);
    assert!(
        system.contains(&today.format("%B %Y").to_string()),
        "{system}"
    );
    let tool_names: Vec<&str> = first["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    for name in [
        "add_task",
        "list_tasks",
        "get_task",
        "update_task",
        "complete_task",
        "delete_task",
    ] {
        assert!(
            tool_names.contains(&name),
            "{name} not offered: {tool_names:?}"
        );
    }
    // The second request carries the first call and its result.
    let second = sent[1]["messages"].as_array().expect("messages");
    let tool_message = second
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("a tool message");
    assert_eq!(tool_message["tool_call_id"], "call_1");
    assert!(
        tool_message["content"]
            .as_str()
            .expect("content")
            .contains("call mom")
    );
    assert!(
        second
            .iter()
            .any(|m| m["role"] == "assistant" && m["tool_calls"][0]["id"] == "call_1")
    );

    let received = server.received_requests().await.unwrap_or_default();
    let auth = received[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert_eq!(auth, Some(format!("Bearer {API_KEY}").as_str()));
    assert!(!res.text.contains(API_KEY));

    // The stored reply carries the same tool calls.
    let id = body["conversation_id"].as_str().expect("conversation_id");
    let stored = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/conversations/{id}"),
            &user.token,
        ))
        .await
        .json();
    assert_eq!(stored["messages"][1]["tool_calls"], body["tool_calls"]);

    // The turn, its three model calls and its tool calls are counted (other tests in this
    // process share the recorder, hence "at least").
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    let turns = [("agent", "openai"), ("outcome", "ok")];
    assert!(grew("tudu_chat_turns_total", &turns) >= 1.0);
    assert!(grew("tudu_llm_calls_total", &[("outcome", "ok")]) >= 3.0);
    let added = [("tool", "add_task"), ("outcome", "ok")];
    assert!(grew("tudu_mcp_tool_calls_total", &added) >= 1.0);
}

async fn earlier_turns_are_sent_as_history(backend: Backend) {
    let server = model(vec![says("Hello! What shall we do?"), says("Sure.")]).await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let first = say(&app, &user.token, "hello", None).await.json();
    let id = first["conversation_id"].as_str().expect("conversation_id");
    // The next turn lands on another replica: the history comes from the database.
    let replica = app.replica_with(|s| use_model(s, &server)).await;
    let second = say(&replica, &user.token, "and now?", Some(id)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);

    let sent = requests_to(&server).await;
    let messages: Vec<(String, String)> = sent[1]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .skip(1)
        .map(|m| {
            (
                m["role"].as_str().unwrap_or_default().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("user", "hello"),
        ("assistant", "Hello! What shall we do?"),
        ("user", "and now?"),
    ]
    .map(|(r, c)| (r.to_owned(), c.to_owned()));
    assert_eq!(messages, expected);
}

async fn a_turn_stops_after_eight_tool_calls(backend: Backend) {
    let server = model(vec![calls("call_n", "list_tasks", json!({}))]).await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let res = say(&app, &user.token, "keep looking", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["tool_calls"].as_array().map(Vec::len), Some(8));
    let sent = requests_to(&server).await;
    assert_eq!(
        sent.len(),
        9,
        "eight tool rounds and one last call for words"
    );
    assert!(
        sent[8].get("tools").is_none(),
        "the last call offers no tools"
    );
    assert!(sent[7].get("tools").is_some());
}

/// The step limit counts calls, not model replies: ten `add_task` calls in one reply create
/// eight tasks.
async fn eight_tool_calls_run_even_when_one_reply_asks_for_more(backend: Backend) {
    let many = (1..=10)
        .map(|n| {
            json!({ "id": format!("call_{n}"), "type": "function",
                    "function": { "name": "add_task",
                                  "arguments": json!({ "title": format!("task {n}") }).to_string() } })
        })
        .collect::<Vec<_>>();
    let server = model(vec![
        completion(json!({ "role": "assistant", "content": null, "tool_calls": many })),
        completion(json!({ "role": "assistant", "content": "Added what I could." })),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let res = say(&app, &user.token, "add ten tasks", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let tasks = app.list_tasks(&user.token, "").await.json();
    assert_eq!(tasks.as_array().map(Vec::len), Some(8), "{tasks}");
    // The two refused calls ran nothing and are not stored as calls made.
    assert_eq!(res.json()["tool_calls"].as_array().map(Vec::len), Some(8));
}

async fn provider_failures_are_502_and_keep_the_message(backend: Backend) {
    let server = model(vec![
        ResponseTemplate::new(500).set_body_json(json!({
            "error": { "message": "upstream exploded", "type": "server_error", "param": null, "code": null }
        })),
        ResponseTemplate::new(200).set_body_string("this is not JSON"),
        ResponseTemplate::new(200).set_body_json(json!({ "choices": [] })),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let failed = say(&app, &user.token, "add buy milk", None).await;
    let problem = assert_problem(&failed, StatusCode::BAD_GATEWAY);
    assert!(!failed.text.contains("upstream exploded"));
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("saved"))
    );

    let conversations = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    let id = conversations[0]["id"]
        .as_str()
        .expect("a conversation was kept")
        .to_owned();
    let garbage = say(&app, &user.token, "again", Some(&id)).await;
    assert_problem(&garbage, StatusCode::BAD_GATEWAY);
    let empty = say(&app, &user.token, "once more", Some(&id)).await;
    assert_problem(&empty, StatusCode::BAD_GATEWAY);

    let stored = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/conversations/{id}"),
            &user.token,
        ))
        .await
        .json();
    let contents: Vec<&str> = stored["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["add buy milk", "again", "once more"]);
    assert!(titles(&app, &user.token).await.is_empty());
}

async fn a_slow_provider_is_504(backend: Backend) {
    let server = model(vec![says("too late").set_delay(Duration::from_secs(30))]).await;
    let app = TestApp::spawn_with(backend, |s| {
        use_model(s, &server);
        s.chat.llm_timeout = Duration::from_secs(1);
    })
    .await;
    let user = app.new_user().await;
    let res = say(&app, &user.token, "hello?", None).await;
    assert_problem(&res, StatusCode::GATEWAY_TIMEOUT);
    let conversations = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    assert_eq!(conversations[0]["message_count"], 1, "the message was kept");
}

async fn malformed_tool_calls_are_reported_to_the_model(backend: Backend) {
    let server = model(vec![
        calls(
            "call_1",
            "add_task",
            Value::String("{\"title\": ".to_owned()),
        ),
        calls(
            "call_2",
            "add_task",
            json!({ "title": "x", "priority": "EXTREME" }),
        ),
        calls("call_3", "no_such_tool", json!({})),
        calls("call_4", "add_task", json!(["not", "an", "object"])),
        says("Sorry, I could not add that."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let res = say(&app, &user.token, "add something odd", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let tool_calls = res.json()["tool_calls"].clone();
    let tool_calls = tool_calls.as_array().expect("tool_calls");
    assert_eq!(tool_calls.len(), 4);
    for call in tool_calls {
        let error = call["result"]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {call}"));
        assert!(!error.is_empty());
    }
    assert!(
        tool_calls[1]["result"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("priority"))
    );
    assert!(titles(&app, &user.token).await.is_empty());
    // Every failure went back to the model as a tool message.
    let sent = requests_to(&server).await;
    let last = sent[4]["messages"].as_array().expect("messages");
    assert_eq!(last.iter().filter(|m| m["role"] == "tool").count(), 4);
}

async fn tool_arguments_sent_as_an_object_are_accepted(backend: Backend) {
    // Arrange
    let server = model(vec![
        calls_with_object(
            "call_1",
            "add_task",
            json!({ "title": "call mom", "priority": "HIGH" }),
        ),
        says("Added."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;

    // Act
    let res = say(&app, &user.token, "add call mom, high priority", None).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body["tool_calls"][0]["arguments"]["title"], "call mom");
    assert_eq!(body["tool_calls"][0]["result"]["priority"], "HIGH");
    assert_eq!(titles(&app, &user.token).await, ["call mom"]);
}

async fn only_the_configured_number_of_earlier_messages_is_sent(backend: Backend) {
    // Arrange
    let server = model(vec![says("one"), says("two"), says("three")]).await;
    let app = TestApp::spawn_with(backend, |s| {
        use_model(s, &server);
        s.chat.history = 2;
    })
    .await;
    let user = app.new_user().await;
    let first = say(&app, &user.token, "first", None).await.json();
    let id = first["conversation_id"].as_str().expect("conversation_id");
    assert_eq!(
        say(&app, &user.token, "second", Some(id)).await.status,
        StatusCode::OK
    );

    // Act
    let third = say(&app, &user.token, "third", Some(id)).await;

    // Assert
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    let sent = requests_to(&server).await;
    let messages: Vec<(&str, &str)> = sent[2]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .skip(1)
        .map(|m| {
            (
                m["role"].as_str().unwrap_or_default(),
                m["content"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    // Four earlier messages exist; only the last two go with the new one.
    assert_eq!(
        messages,
        [("user", "second"), ("assistant", "two"), ("user", "third")]
    );
}

async fn tool_calls_made_before_a_provider_failure_are_stored(backend: Backend) {
    // Arrange
    let server = model(vec![
        calls("call_1", "add_task", json!({ "title": "buy milk" })),
        ResponseTemplate::new(500).set_body_json(json!({
            "error": { "message": "upstream exploded", "type": "server_error", "param": null, "code": null }
        })),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;

    // Act
    let res = say(&app, &user.token, "add buy milk", None).await;

    // Assert
    assert_problem(&res, StatusCode::BAD_GATEWAY);
    assert_eq!(titles(&app, &user.token).await, ["buy milk"]);
    let conversations = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    let id = conversations[0]["id"].as_str().expect("a conversation");
    let stored = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/conversations/{id}"),
            &user.token,
        ))
        .await
        .json();
    let messages = stored["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2, "{stored}");
    assert_eq!(messages[0]["content"], "add buy milk");
    assert_eq!(messages[1]["role"], "assistant");
    let calls = messages[1]["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["name"], "add_task");
    assert_eq!(calls[0]["result"]["title"], "buy milk");
}

/// Two deletes in one model reply: neither runs; the turn ends with the list of both and a
/// question, and the next message's "yes" deletes exactly them, without asking the model.
async fn several_deletes_in_one_reply_wait_for_a_yes(backend: Backend) {
    let both = ["call_1", "call_2"]
        .iter()
        .zip([1, 2])
        .map(|(id, n)| {
            json!({ "id": id, "type": "function",
                    "function": { "name": "delete_task",
                                  "arguments": json!({ "task_id": n }).to_string() } })
        })
        .collect::<Vec<_>>();
    let server = model(vec![
        completion(json!({ "role": "assistant", "content": null, "tool_calls": both })),
        says("Deleted both."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    for title in ["buy milk", "call mom", "walk dog"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let res = say(&app, &user.token, "delete the first two", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(
        titles(&app, &user.token).await.len(),
        3,
        "nothing deleted before the yes"
    );
    let reply = body["response"].as_str().expect("reply");
    assert!(
        reply.contains("#1 buy milk") && reply.contains("#2 call mom"),
        "{reply}"
    );
    assert!(reply.contains("Reply \"yes\""), "{reply}");
    let conversation = body["conversation_id"].as_str().expect("id").to_owned();
    let asked = requests_to(&server).await.len();

    let res = say(&app, &user.token, "yes", Some(&conversation)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(titles(&app, &user.token).await, ["walk dog"]);
    assert_eq!(
        requests_to(&server).await.len(),
        asked,
        "the yes is carried out without the model"
    );
}

/// One delete per turn runs; a second one in a later step of the same turn waits for a yes.
async fn a_second_delete_in_a_turn_waits_for_a_yes(backend: Backend) {
    let server = model(vec![
        calls("call_1", "delete_task", json!({ "task_id": 1 })),
        calls("call_2", "delete_task", json!({ "task_id": 2 })),
        says("Done."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    for title in ["buy milk", "call mom"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let res = say(&app, &user.token, "delete milk and mom", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(titles(&app, &user.token).await, ["call mom"]);
    let reply = res.json()["response"].as_str().expect("reply").to_owned();
    assert!(reply.contains("#2 call mom"), "{reply}");
    let sent = requests_to(&server).await;
    let refused = sent[2]["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(refused.contains("confirmation"), "{refused}");
    // "no" keeps it.
    let conversation = res.json()["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = say(&app, &user.token, "no", Some(&conversation)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(titles(&app, &user.token).await, ["call mom"]);
}

async fn the_model_puts_a_task_in_a_project_by_name(backend: Backend) {
    // Arrange: the model lists the projects, then adds to one by name, then to one the user
    // does not have
    let server = model(vec![
        calls("call_1", "list_projects", json!({})),
        calls(
            "call_2",
            "add_task",
            json!({ "title": "milk", "project": "Groceries" }),
        ),
        calls(
            "call_3",
            "add_task",
            json!({ "title": "spy", "project": "Secret plans" }),
        ),
        says("Added milk to Groceries."),
    ])
    .await;
    let app = app_with(backend, &server).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let created = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &user.token,
            Some(&json!({ "name": "groceries" })),
        ))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let groceries = created.json()["id"].clone();
    let theirs = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &other.token,
            Some(&json!({ "name": "Secret plans" })),
        ))
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);

    // Act
    let res = say(&app, &user.token, "add milk to my groceries list", None).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    let calls = body["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls.len(), 3);
    let names: Vec<&str> = calls[0]["result"]["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Inbox", "groceries"]);
    assert_eq!(calls[1]["result"]["project_id"], groceries);
    let refused = calls[2]["result"]["error"].as_str().expect("an error");
    assert!(refused.contains("No project named"), "{refused}");
    assert_eq!(titles(&app, &user.token).await, ["milk"]);
    // The model was offered the project tools and saw the failure as a tool message.
    let sent = requests_to(&server).await;
    let offered: Vec<&str> = sent[0]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    for tool in [
        "list_projects",
        "add_project",
        "share_project",
        "list_members",
        "unshare_project",
        "change_member_role",
        "leave_project",
    ] {
        assert!(offered.contains(&tool), "{tool} not offered: {offered:?}");
    }
    let add = sent[0]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["function"]["name"] == "add_task")
        .expect("add_task offered");
    assert!(add["function"]["parameters"]["properties"]["project"].is_object());
    let last = sent[3]["messages"].as_array().expect("messages");
    assert!(
        last.iter().any(|m| m["role"] == "tool"
            && m["content"]
                .as_str()
                .is_some_and(|c| c.contains("No project named"))),
        "{last:?}"
    );
}
