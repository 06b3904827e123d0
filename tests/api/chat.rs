//! Chat persistence and ownership, whatever the agent: conversations are created, continued,
//! listed, read back in order and deleted, only by their owner.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tudu::db::{Db, PoolSettings};
use uuid::Uuid;

use crate::helpers::{
    TestApp, TestResponse, assert_invalid, assert_not_found, both_backends, link_next, string_at,
};

pub async fn say(
    app: &TestApp,
    token: &str,
    message: &str,
    conversation: Option<&str>,
) -> TestResponse {
    let body = match conversation {
        Some(id) => json!({ "message": message, "conversation_id": id }),
        None => json!({ "message": message }),
    };
    app.send(app.authed_json(Method::POST, "/api/v1/chat", token, Some(&body)))
        .await
}

async fn conversation(app: &TestApp, token: &str, id: &str) -> TestResponse {
    app.send(app.authed(Method::GET, &format!("/api/v1/conversations/{id}"), token))
        .await
}

/// Rows of `chat_message` kept for a conversation, read from the database itself.
async fn stored_messages(app: &TestApp, conversation_id: &str) -> i64 {
    let id = Uuid::parse_str(conversation_id).expect("a UUID");
    let db = Db::connect(app.database_url(), &PoolSettings::default())
        .await
        .expect("connect");
    let count: tudu::error::Result<i64> = async {
        Ok(tudu::with_pool!(&db, |conn| sqlx::query_scalar(
            "select count(*) from chat_message where conversation_id = $1"
        )
        .bind(id)
        .fetch_one(conn)
        .await?))
    }
    .await;
    count.expect("count messages")
}

fn roles_and_contents(conversation: &Value) -> Vec<(String, String)> {
    conversation["messages"]
        .as_array()
        .expect("messages array")
        .iter()
        .map(|m| {
            (
                m["role"].as_str().expect("role").to_owned(),
                m["content"].as_str().expect("content").to_owned(),
            )
        })
        .collect()
}

both_backends!(
    a_turn_is_stored_and_the_conversation_continues,
    another_users_conversation_is_not_found,
    conversations_are_listed_newest_first_and_deleted_with_their_messages,
    the_conversation_list_pages_through_link_cursors,
    chat_input_is_validated,
    chat_needs_a_token,
    compatibility_chat_route_checks_the_user,
    a_question_asked_on_one_replica_is_answered_on_another,
    a_pointing_word_or_a_piece_of_a_word_never_changes_a_task,
    a_bulk_question_and_its_undo_are_answered_on_other_replicas,
    undo_writes_only_with_a_token_that_may_write_tasks,
    chat_lists_reach_only_the_users_own_projects,
    a_list_made_in_chat_takes_tasks_and_is_listed,
    a_read_only_token_makes_no_list_in_chat,
    chat_adds_a_subtask_only_under_a_task_named_by_number,
    chat_shares_a_list_only_as_the_roles_allow,
    a_shared_tasks_number_never_reaches_the_members_own_task,
    chat_changes_a_lists_people_only_as_the_roles_allow,
    chat_undo_sets_a_role_back_but_not_a_hand_over,
);

async fn a_turn_is_stored_and_the_conversation_continues(app: TestApp) {
    let user = app.new_user().await;
    let first = say(&app, &user.token, "help", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let body = first.json();
    let id = body["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();
    let reply = body["response"].as_str().expect("response").to_owned();
    assert!(!reply.is_empty());
    assert_eq!(body["agent_response"], body["response"]);
    assert!(body["tool_calls"].is_array());
    assert!(first.header("ratelimit-limit").is_some());

    let second = say(&app, &user.token, "help again", Some(&id)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(second.json()["conversation_id"], id.as_str());

    let stored = conversation(&app, &user.token, &id).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text);
    let stored = stored.json();
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(stored["title"], "help");
    let messages = roles_and_contents(&stored);
    let roles: Vec<&str> = messages.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert_eq!(messages[0].1, "help");
    assert_eq!(messages[1].1, reply);
    assert_eq!(messages[2].1, "help again");
    for message in stored["messages"].as_array().expect("messages") {
        assert!(message["id"].is_string() && message["created_at"].is_string());
        assert!(message["tool_calls"].is_array());
    }
}

async fn another_users_conversation_is_not_found(app: TestApp) {
    let owner = app.new_user().await;
    let other = app.new_user().await;
    let id = say(&app, &owner.token, "help", None).await.json()["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();

    assert_not_found(&conversation(&app, &other.token, &id).await);
    assert_not_found(&say(&app, &other.token, "help", Some(&id)).await);
    let delete = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/conversations/{id}"),
            &other.token,
        ))
        .await;
    assert_not_found(&delete);
    let listed = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &other.token))
        .await;
    assert_eq!(listed.json(), json!([]));

    // The owner's conversation is untouched by the other user's attempts.
    let stored = conversation(&app, &owner.token, &id).await.json();
    assert_eq!(roles_and_contents(&stored).len(), 2);
    // Ids that cannot exist are 404 too, not 422 or 500.
    assert_not_found(&conversation(&app, &owner.token, "not-a-uuid").await);
    assert_not_found(&say(&app, &owner.token, "help", Some("42")).await);
    let numeric = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/chat",
            &owner.token,
            Some(&json!({ "message": "help", "conversation_id": 42 })),
        ))
        .await;
    assert_not_found(&numeric);
}

/// The ids of a conversation list response, in order.
fn conversation_ids(res: &TestResponse) -> Vec<String> {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn the_conversation_list_pages_through_link_cursors(app: TestApp) {
    let user = app.new_user().await;
    let other = app.new_user().await;
    say(&app, &other.token, "not yours", None).await;
    let mut started = Vec::new();
    for message in ["one", "two", "three", "four", "five"] {
        let res = say(&app, &user.token, message, None).await;
        started.push(
            res.json()["conversation_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let whole = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await;
    assert!(whole.header("link").is_none(), "one page needs no Link");
    let newest_first: Vec<String> = started.iter().rev().cloned().collect();
    assert_eq!(conversation_ids(&whole), newest_first);

    // Pages of two: every conversation exactly once, in order, and no Link on the last page.
    let mut url = Some("/api/v1/conversations?limit=2".to_owned());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(next) = url {
        let res = app.send(app.authed(Method::GET, &next, &user.token)).await;
        let ids = conversation_ids(&res);
        assert!(ids.len() <= 2, "page larger than its limit: {ids:?}");
        seen.extend(ids);
        pages += 1;
        url = link_next(&res, "/api/v1/conversations?");
        assert!(
            url.as_deref().is_none_or(|u| u.contains("limit=2")),
            "{url:?}"
        );
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first);

    // A conversation continued between pages moves to the front; the pages after the
    // cursor neither repeat nor skip the others.
    let first = app
        .send(app.authed(Method::GET, "/api/v1/conversations?limit=2", &user.token))
        .await;
    let next = link_next(&first, "/api/v1/conversations?").expect("a second page");
    say(&app, &user.token, "more", Some(&started[0])).await;
    let rest = conversation_ids(&app.send(app.authed(Method::GET, &next, &user.token)).await);
    assert_eq!(rest, [started[2].clone(), started[1].clone()]);

    let bad = app
        .send(app.authed(
            Method::GET,
            "/api/v1/conversations?cursor=nope",
            &user.token,
        ))
        .await;
    assert_invalid(&bad, "cursor");
}

async fn conversations_are_listed_newest_first_and_deleted_with_their_messages(app: TestApp) {
    let user = app.new_user().await;
    let older = say(&app, &user.token, "first conversation", None)
        .await
        .json();
    let newer = say(&app, &user.token, "second conversation", None)
        .await
        .json();
    let (older, newer) = (
        older["conversation_id"].as_str().expect("id").to_owned(),
        newer["conversation_id"].as_str().expect("id").to_owned(),
    );
    let list = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let ids: Vec<String> = list
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, [newer.clone(), older.clone()]);
    assert_eq!(list.json()[0]["message_count"], 2);

    // Continuing the older one makes it the most recent.
    say(&app, &user.token, "more", Some(&older)).await;
    let list = app
        .send(app.authed(Method::GET, "/api/v1/conversations?limit=1", &user.token))
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], older.as_str());

    let deleted = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/conversations/{older}"),
            &user.token,
        ))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(deleted.json()["deleted_id"], older.as_str());
    assert_not_found(&conversation(&app, &user.token, &older).await);
    assert_not_found(&say(&app, &user.token, "more", Some(&older)).await);
    assert_eq!(
        stored_messages(&app, &older).await,
        0,
        "messages left behind"
    );
    assert!(stored_messages(&app, &newer).await > 0);
    let left = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    assert_eq!(left.as_array().map(Vec::len), Some(1));
    assert_eq!(left[0]["id"], newer.as_str());

    let bad_limit = app
        .send(app.authed(Method::GET, "/api/v1/conversations?limit=0", &user.token))
        .await;
    assert_invalid(&bad_limit, "limit");
}

async fn chat_input_is_validated(app: TestApp) {
    let user = app.new_user().await;
    assert_invalid(&say(&app, &user.token, "", None).await, "message");
    assert_invalid(&say(&app, &user.token, "   ", None).await, "message");
    assert_invalid(
        &say(&app, &user.token, &"x".repeat(4001), None).await,
        "message",
    );
    let longest = say(&app, &user.token, &"é".repeat(4000), None).await;
    assert_eq!(longest.status, StatusCode::OK, "{}", longest.text);
    let odd_id = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/chat",
            &user.token,
            Some(&json!({ "message": "help", "conversation_id": {"x": 1} })),
        ))
        .await;
    assert_invalid(&odd_id, "conversation_id");
    let no_message = app
        .send(app.authed_json(Method::POST, "/api/v1/chat", &user.token, Some(&json!({}))))
        .await;
    assert_eq!(
        no_message.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_message.text
    );
    // Rejected messages start no conversation.
    let list = app
        .send(app.authed(Method::GET, "/api/v1/conversations", &user.token))
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

async fn chat_needs_a_token(app: TestApp) {
    let res = app
        .send(
            app.request(Method::POST, "/api/v1/chat")
                .json(&json!({ "message": "help" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = app
        .send(app.request(Method::GET, "/api/v1/conversations"))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

async fn compatibility_chat_route_checks_the_user(app: TestApp) {
    let user = app.new_user().await;
    let other = app.new_user().await;
    let body = json!({ "message": "help" });
    let own = app
        .send(app.authed_json(
            Method::POST,
            &format!("/api/{}/chat", user.id),
            &user.token,
            Some(&body),
        ))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert!(own.json()["conversation_id"].is_string());
    let foreign = app
        .send(app.authed_json(
            Method::POST,
            &format!("/api/{}/chat", other.id),
            &user.token,
            Some(&body),
        ))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.text);
}

/// Replicas behind a load balancer keep nothing between turns: the local agent asks "which
/// one?" on one replica, the pick lands on a second, and the next turn goes back to the first.
async fn a_question_asked_on_one_replica_is_answered_on_another(app: TestApp) {
    let replica = app.replica().await;
    let user = app.new_user().await;
    for title in ["buy milk", "buy milk powder"] {
        app.create_task_ok(&user.token, &json!({ "title": title }))
            .await;
    }
    let question = say(&app, &user.token, "done with milk", None).await;
    assert_eq!(question.status, StatusCode::OK, "{}", question.text);
    let id = question.json()["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();
    let reply = question.json()["response"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(reply.contains("which one"), "{reply}");

    let pick = say(&replica, &user.token, "#2", Some(&id)).await;
    assert_eq!(pick.status, StatusCode::OK, "{}", pick.text);
    let back = say(&app, &user.token, "delete task 1", Some(&id)).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);

    let tasks = app.list_tasks(&user.token, "").await.json();
    let tasks = tasks.as_array().expect("task array");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["title"], "buy milk powder");
    assert_eq!(tasks[0]["completed"], true);
    let stored = conversation(&replica, &user.token, &id).await.json();
    assert_eq!(roles_and_contents(&stored).len(), 6, "{stored}");
}

/// The confirmation and the undo are read from the stored conversation: a "yes" on another
/// replica deletes what was listed, and an undo on a third brings the tasks back with their
/// ids and numbers.
async fn a_bulk_question_and_its_undo_are_answered_on_other_replicas(app: TestApp) {
    let replica = app.replica().await;
    let user = app.new_user().await;
    for task in [
        json!({ "title": "buy milk", "completed": true }),
        json!({ "title": "call mom" }),
    ] {
        app.create_task_ok(&user.token, &task).await;
    }
    let before = app
        .list_tasks(&user.token, "sort=number&order=asc")
        .await
        .json();
    let asked = say(&app, &user.token, "delete all completed tasks", None).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    let id = asked.json()["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();
    assert_eq!(
        app.list_tasks(&user.token, "sort=number&order=asc")
            .await
            .json(),
        before,
        "asked, not done"
    );

    let yes = say(&replica, &user.token, "yes", Some(&id)).await;
    assert_eq!(yes.status, StatusCode::OK, "{}", yes.text);
    let left = app.list_tasks(&user.token, "").await.json();
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left[0]["title"], "call mom");

    let undo = say(&app, &user.token, "undo", Some(&id)).await;
    assert_eq!(undo.status, StatusCode::OK, "{}", undo.text);
    let after = app
        .list_tasks(&user.token, "sort=number&order=asc")
        .await
        .json();
    let ids = |tasks: &Value| -> Vec<(Value, Value)> {
        tasks
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| (t["id"].clone(), t["number"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(ids(&after), ids(&before), "{after}");
}

/// `undo` puts a deleted task back outside the MCP tools, so it checks the caller's scopes
/// itself: a token that may chat and read tasks cannot bring a task back.
async fn undo_writes_only_with_a_token_that_may_write_tasks(app: TestApp) {
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "buy milk" }))
        .await;
    let deleted = say(&app, &user.token, "delete task 1", None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let id = deleted.json()["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();
    let token = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/auth/tokens",
            &user.token,
            Some(&json!({ "name": "reader", "scopes": ["chat", "tasks:read"] })),
        ))
        .await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
    let reader = token.json()["token"].as_str().expect("token").to_owned();

    let refused = say(&app, &reader, "undo", Some(&id)).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.text);
    let listed = app.list_tasks(&user.token, "").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");

    let undone = say(&app, &user.token, "undo", Some(&id)).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.text);
    let listed = app.list_tasks(&user.token, "").await.json();
    assert_eq!(listed[0]["number"], 1, "{listed}");
}

async fn a_pointing_word_or_a_piece_of_a_word_never_changes_a_task(app: TestApp) {
    // Arrange: titles holding "it" and "art" inside longer words.
    let user = app.new_user().await;
    for title in ["Submit report", "Start the car"] {
        app.create_task_ok(&user.token, &serde_json::json!({ "title": title }))
            .await;
    }

    // Act: each in a new conversation, with nothing said before to point at.
    for message in [
        "delete it",
        "complete it",
        "remove that one",
        "delete art",
        "finish it",
    ] {
        let res = say(&app, &user.token, message, None).await;
        assert_eq!(res.status, StatusCode::OK, "[{}] {message}", app.backend);
        let called: Vec<String> = res.json()["tool_calls"]
            .as_array()
            .expect("tool_calls")
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        assert!(
            !called
                .iter()
                .any(|n| n == "delete_task" || n == "complete_task" || n == "update_task"),
            "[{}] {message} changed a task: {called:?}",
            app.backend
        );
    }

    // Assert: both tasks are still there, open.
    let listed = app
        .send(app.authed(reqwest::Method::GET, "/api/v1/tasks", &user.token))
        .await
        .json();
    let open: Vec<(&str, bool)> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|t| {
            (
                t["title"].as_str().unwrap_or_default(),
                t["completed"] == true,
            )
        })
        .collect();
    assert_eq!(
        open,
        [("Start the car", false), ("Submit report", false)],
        "[{}]",
        app.backend
    );
}

/// Generated requests never change a task they do not name: verbs × fragments that share no
/// whole word with any title (only pieces of words: "art" and "Start"), negated requests,
/// pointers in a new conversation and bulk requests, over random task lists.
mod safety_property {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use reqwest::{Method, StatusCode};
    use serde_json::{Value, json};

    use crate::helpers::{Backend, TestApp};

    /// Title words; none shares a whole word (or a stem) with the words below.
    const TITLE_WORDS: &[&str] = &[
        "start",
        "submit",
        "milkshake",
        "carpet",
        "phone",
        "scatter",
        "snowman",
        "category",
        "notebook",
        "painting",
        "partner",
        "item",
        "cargo",
        "bonnet",
        "alliance",
        "together",
    ];
    /// Pieces of the title words, sent as references.
    const FRAGMENTS: &[&str] = &[
        "art", "it", "milk", "car", "one", "cat", "snow", "book", "pain", "part", "tem", "go",
        "bonn", "all", "get", "her",
    ];
    const VERBS: &[&str] = &[
        "delete",
        "remove",
        "complete",
        "finish",
        "mark {} as done",
        "done with",
        "get rid of",
        "rename {} to something",
        "move {} to tomorrow",
        "make {} high priority",
        "cancel",
        "tick off",
        "I finished",
        "set {} to low priority",
        "clear the due date of",
        "stop repeating",
        "add a note to {}: x",
        "tag {} with #x",
        "drop",
        "scrap",
    ];
    const NEGATIONS: &[&str] = &[
        "don't",
        "do not",
        "never",
        "please don't",
        "no, don't",
        "I don't want to",
        "dont",
        "you shouldn't",
        "do NOT",
    ];
    const POINTERS: &[&str] = &[
        "it",
        "that",
        "that one",
        "the last one",
        "this",
        "them",
        "the previous one",
        "this one",
        "those",
        "it please",
        "the first one",
        "the 2nd task",
        "the top one",
        "it's",
    ];
    const BULK: &[&str] = &[
        "everything",
        "all my tasks",
        "all tasks",
        "all of them",
        "everything on my list",
        "all completed tasks",
        "all the pending tasks",
        "my whole list",
        "every task",
        "everything except the first",
        "all but one",
        "tasks 1 and 2",
        "1, 2 and 3",
    ];

    #[derive(Debug, Clone)]
    enum Request {
        /// A verb with a piece of a title word.
        Fragment(usize, usize),
        /// A negated verb with a word that does name a task.
        Negated(usize, usize, usize),
        /// A verb with only pointing words, in a new conversation.
        Pointer(usize, usize),
        /// A verb with a bulk phrase.
        Bulk(usize, usize),
        /// A clearing request.
        Clear(usize),
    }

    fn phrase(verb: &str, object: &str) -> String {
        if verb.contains("{}") {
            verb.replace("{}", object)
        } else {
            format!("{verb} {object}")
        }
    }

    impl Request {
        fn text(&self, titles: &[Vec<usize>]) -> String {
            match *self {
                Self::Fragment(v, f) => phrase(VERBS[v], FRAGMENTS[f]),
                Self::Negated(n, v, t) => {
                    let words: Vec<&str> = titles[t % titles.len()]
                        .iter()
                        .map(|w| TITLE_WORDS[*w])
                        .collect();
                    format!("{} {}", NEGATIONS[n], phrase(VERBS[v], &words.join(" ")))
                }
                Self::Pointer(v, p) => phrase(VERBS[v], POINTERS[p]),
                Self::Bulk(v, b) => phrase(VERBS[v], BULK[b]),
                Self::Clear(b) => format!("clear {}", BULK[b]),
            }
        }
    }

    fn request() -> impl Strategy<Value = Request> {
        let v = 0..VERBS.len();
        prop_oneof![
            (v.clone(), 0..FRAGMENTS.len()).prop_map(|(v, f)| Request::Fragment(v, f)),
            (0..NEGATIONS.len(), v.clone(), 0..4usize)
                .prop_map(|(n, v, t)| Request::Negated(n, v, t)),
            (v.clone(), 0..POINTERS.len()).prop_map(|(v, p)| Request::Pointer(v, p)),
            (v, 0..BULK.len()).prop_map(|(v, b)| Request::Bulk(v, b)),
            (0..BULK.len()).prop_map(Request::Clear),
        ]
    }

    fn scenario() -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<bool>, Request)> {
        let title = proptest::collection::vec(0..TITLE_WORDS.len(), 1..=3);
        (
            proptest::collection::vec(title, 1..=4),
            proptest::collection::vec(any::<bool>(), 4),
            request(),
        )
    }

    /// The fields a change would touch, by number.
    fn essence(tasks: &Value) -> Vec<Value> {
        tasks
            .as_array()
            .map(|tasks| {
                tasks
                    .iter()
                    .map(|t| {
                        json!([
                            t["id"],
                            t["number"],
                            t["title"],
                            t["description"],
                            t["completed"],
                            t["priority"],
                            t["tags"],
                            t["due_date"],
                            t["is_recurring"],
                            t["recurrence_pattern"],
                            t["recurrence_interval"]
                        ])
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn check(
        app: &TestApp,
        (titles, done, request): (Vec<Vec<usize>>, Vec<bool>, Request),
    ) -> Result<(), TestCaseError> {
        let user = app.new_user().await;
        for (title, done) in titles.iter().zip(done) {
            let words: Vec<&str> = title.iter().map(|w| TITLE_WORDS[*w]).collect();
            let res = app
                .create_task(
                    &user.token,
                    &json!({ "title": words.join(" "), "completed": done }),
                )
                .await;
            prop_assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        }
        let list = "limit=1000&sort=number&order=asc";
        let before = essence(&app.list_tasks(&user.token, list).await.json());
        let message = request.text(&titles);
        let res = app
            .send(app.authed_json(
                Method::POST,
                "/api/v1/chat",
                &user.token,
                Some(&json!({ "message": message })),
            ))
            .await;
        prop_assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let after = essence(&app.list_tasks(&user.token, list).await.json());
        // New tasks may appear (a request can read as an add); none of the old ones may
        // change or go.
        prop_assert!(
            after.len() >= before.len() && after[..before.len()] == before[..],
            "{message:?} changed tasks:\n  before {before:?}\n  after {after:?}\n  reply {}",
            res.json()["response"]
        );
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
            .unwrap_or(64);
        let mut runner = TestRunner::new(Config {
            cases,
            max_shrink_iters: 100,
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

/// Creates a project through REST and returns its id.
async fn new_project(app: &TestApp, token: &str, name: &str) -> String {
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            token,
            Some(&json!({ "name": name })),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// The user's projects, as `GET /api/v1/projects` lists them.
async fn projects_of(app: &TestApp, token: &str) -> Value {
    app.send(app.authed(Method::GET, "/api/v1/projects", token))
        .await
        .json()
}

fn reply(res: &TestResponse) -> String {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["response"]
        .as_str()
        .expect("response")
        .to_owned()
}

async fn chat_lists_reach_only_the_users_own_projects(app: TestApp) {
    // Arrange: the user has Groceries; someone else has Work
    let user = app.new_user().await;
    let other = app.new_user().await;
    let groceries = new_project(&app, &user.token, "Groceries").await;
    let work = new_project(&app, &other.token, "Work").await;
    app.create_task_ok(&user.token, &json!({ "title": "write report" }))
        .await;

    // Act
    let added = say(&app, &user.token, "add milk to groceries", None).await;
    let not_theirs = say(&app, &user.token, "add call to Work", None).await;
    let said_as_list = say(&app, &user.token, "move task 1 to the Work list", None).await;
    let lists = say(&app, &user.token, "what lists do I have", None).await;
    let shown = say(&app, &user.token, "what's in my Groceries list", None).await;

    // Assert
    let body = added.json();
    assert!(reply(&added).contains("Groceries"), "{body}");
    let calls = body["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls[0]["name"], "list_projects");
    assert_eq!(calls[1]["name"], "add_task");
    assert_eq!(calls[1]["result"]["project_id"], groceries.as_str());
    assert_eq!(calls[1]["result"]["title"], "milk");
    // Another user's "Work" is no list of this user's: the words stay in the title.
    assert_eq!(
        not_theirs.json()["tool_calls"][1]["result"]["title"],
        "call to Work"
    );
    assert!(reply(&said_as_list).contains("don't have a list called \"Work\""));
    let task = app.get_task(&user.token, "1").await.json();
    assert_ne!(task["project_id"], work.as_str());
    let lists = reply(&lists);
    assert!(
        lists.contains("Inbox") && lists.contains("Groceries"),
        "{lists}"
    );
    assert!(!lists.contains("Work"), "{lists}");
    let shown = reply(&shown);
    assert!(
        shown.contains("milk") && !shown.contains("write report"),
        "{shown}"
    );
    let theirs = app
        .list_tasks(&other.token, &format!("project_id={work}"))
        .await
        .json();
    assert_eq!(theirs, json!([]));
}

async fn a_list_made_in_chat_takes_tasks_and_is_listed(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    app.create_task_ok(&user.token, &json!({ "title": "buy stamps" }))
        .await;

    // Act
    let created = say(&app, &user.token, "create a list called Errands", None).await;
    let id = created.json()["conversation_id"]
        .as_str()
        .expect("conversation_id")
        .to_owned();
    let again = say(&app, &user.token, "new project errands", Some(&id)).await;
    let undo = say(&app, &user.token, "undo", Some(&id)).await;
    let moved = say(
        &app,
        &user.token,
        "move the stamps task to errands",
        Some(&id),
    )
    .await;
    let undone = say(&app, &user.token, "undo", Some(&id)).await;
    let moved_again = say(&app, &user.token, "move task 1 to Errands", None).await;

    // Assert
    assert!(reply(&created).contains("Errands"));
    assert!(
        reply(&again).contains("already have a list"),
        "{}",
        again.text
    );
    assert!(reply(&undo).contains("stays"), "{}", undo.text);
    let projects = projects_of(&app, &user.token).await;
    let names: Vec<&str> = projects
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Inbox", "Errands"]);
    let errands = projects[1]["id"].clone();
    assert!(reply(&moved).starts_with("Moved #1"), "{}", moved.text);
    assert!(reply(&undone).starts_with("Undone"), "{}", undone.text);
    assert!(
        reply(&moved_again).starts_with("Moved #1"),
        "{}",
        moved_again.text
    );
    let task = app.get_task(&user.token, "1").await.json();
    assert_eq!(task["project_id"], errands);
    assert_eq!(task["title"], "buy stamps");
}

async fn a_read_only_token_makes_no_list_in_chat(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let token = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/auth/tokens",
            &user.token,
            Some(&json!({ "name": "reader", "scopes": ["chat", "tasks:read"] })),
        ))
        .await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
    let reader = token.json()["token"].as_str().expect("token").to_owned();

    // Act
    let refused = say(&app, &reader, "create a list called Errands", None).await;
    let lists = say(&app, &reader, "show my lists", None).await;

    // Assert
    assert!(
        reply(&refused).starts_with("Sorry, that didn't work"),
        "{}",
        refused.text
    );
    assert!(reply(&lists).contains("Inbox"), "{}", lists.text);
    let projects = projects_of(&app, &user.token).await;
    assert_eq!(projects.as_array().map(Vec::len), Some(1), "{projects}");
}

async fn chat_adds_a_subtask_only_under_a_task_named_by_number(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let car = app
        .create_task_ok(&user.token, &json!({"title": "service the car"}))
        .await;
    let number = car["number"].as_i64().expect("a number");

    // Act
    let added = say(
        &app,
        &user.token,
        &format!("add a subtask check tyres to task {number} tomorrow"),
        None,
    )
    .await;
    let vague = say(
        &app,
        &user.token,
        "add a subtask wash it to the car one",
        None,
    )
    .await;
    let missing = say(&app, &user.token, "add a subtask polish to task 99", None).await;

    // Assert
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert!(
        reply(&added).contains(&format!("subtask of #{number}")),
        "{}",
        reply(&added)
    );
    let subtasks = app
        .list_tasks(
            &user.token,
            &format!("parent_id={}", string_at(&car, "/id")),
        )
        .await
        .json();
    assert_eq!(subtasks.as_array().map(Vec::len), Some(1), "{subtasks}");
    assert_eq!(subtasks[0]["title"], "check tyres");
    assert!(subtasks[0]["due_date"].is_string(), "{subtasks}");
    assert!(reply(&vague).contains("Which task"), "{}", reply(&vague));
    assert!(!reply(&missing).contains("Added"), "{}", reply(&missing));
    let all = app.list_tasks(&user.token, "").await.json();
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(2),
        "nothing else was added: {all}"
    );
}

/// Who `project` is shared with besides its owner, as `email/role`, read as `by` over REST.
async fn shared_with(app: &TestApp, by: &str, project: &str) -> Vec<String> {
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{project}/members"),
            by,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut members: Vec<String> = res
        .json()
        .as_array()
        .expect("members")
        .iter()
        .filter(|m| m["role"] != "owner")
        .map(|m| format!("{}/{}", string_at(m, "/email"), string_at(m, "/role")))
        .collect();
    members.sort();
    members
}

async fn chat_shares_a_list_only_as_the_roles_allow(app: TestApp) {
    // Arrange: the owner's Groceries, already shared with a viewer; an editor-to-be, a
    // stranger, and someone nobody may add
    let owner = app.new_user().await;
    let editor = app.new_user().await;
    let viewer = app.new_user().await;
    let stranger = app.new_user().await;
    let newcomer = app.new_user().await;
    let groceries = new_project(&app, &owner.token, "Groceries").await;
    let shared = app
        .send(app.authed_json(
            Method::POST,
            &format!("/api/v1/projects/{groceries}/members"),
            &owner.token,
            Some(&json!({ "email": viewer.email, "role": "viewer" })),
        ))
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    let viewer_member = format!("{}/viewer", viewer.email);

    // Act and assert, one cell at a time
    // The owner shares in words.
    let by_owner = reply(
        &say(
            &app,
            &owner.token,
            &format!("share Groceries with {} as editor", editor.email),
            None,
        )
        .await,
    );
    assert_eq!(
        by_owner,
        format!("Shared \"Groceries\" with {} as an editor.", editor.email)
    );
    let mut expected = vec![format!("{}/editor", editor.email), viewer_member.clone()];
    expected.sort();
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, expected);

    // A viewer may not share it: refused in words, nobody added.
    let by_viewer = reply(
        &say(
            &app,
            &viewer.token,
            &format!("share Groceries with {} as viewer", newcomer.email),
            None,
        )
        .await,
    );
    assert!(
        by_viewer.contains("Only the owner of \"Groceries\" and its admins can share it")
            && by_viewer.contains("you're a viewer")
            && !by_viewer.contains("user's"),
        "{by_viewer}"
    );
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, expected);

    // To a stranger the list does not exist.
    let by_stranger = reply(
        &say(
            &app,
            &stranger.token,
            &format!("share Groceries with {} as viewer", newcomer.email),
            None,
        )
        .await,
    );
    assert!(
        by_stranger.contains("You don't have a list called \"Groceries\""),
        "{by_stranger}"
    );
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, expected);

    // The editor adds to the owner's list: the owner's task, created by the editor.
    let by_editor = reply(&say(&app, &editor.token, "add milk to Groceries", None).await);
    assert!(by_editor.starts_with("Added to Groceries"), "{by_editor}");
    let listed = app
        .list_tasks(&owner.token, &format!("project_id={groceries}"))
        .await
        .json();
    let tasks = listed.as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "{listed}");
    assert_eq!(tasks[0]["title"], "milk");
    assert_eq!(tasks[0]["user_id"], owner.id.as_str());
    assert_eq!(tasks[0]["created_by"], editor.id.as_str());

    // The viewer may not add: refused in words, nothing added.
    let eggs = reply(&say(&app, &viewer.token, "add eggs to Groceries", None).await);
    assert!(
        eggs.contains("viewer") && !eggs.contains("user's"),
        "{eggs}"
    );
    let listed = app
        .list_tasks(&owner.token, &format!("project_id={groceries}"))
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let theirs = app.list_tasks(&viewer.token, "").await.json();
    assert_eq!(theirs, json!([]), "the viewer's own list got the task");
}

async fn a_shared_tasks_number_never_reaches_the_members_own_task(app: TestApp) {
    // Arrange: the editor's own task #1, and the owner's Groceries, where the editor's milk
    // will be the owner's #1
    let owner = app.new_user().await;
    let editor = app.new_user().await;
    let groceries = new_project(&app, &owner.token, "Groceries").await;
    let shared = app
        .send(app.authed_json(
            Method::POST,
            &format!("/api/v1/projects/{groceries}/members"),
            &owner.token,
            Some(&json!({ "email": editor.email, "role": "editor" })),
        ))
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    let own = app
        .create_task_ok(&editor.token, &json!({ "title": "own thing" }))
        .await;
    assert_eq!(own["number"], 1);

    // Act
    let added = say(&app, &editor.token, "add milk to Groceries", None).await;
    let id = string_at(&added.json(), "/conversation_id");
    let listing = reply(&say(&app, &editor.token, "what's in Groceries", Some(&id)).await);
    let pointed = reply(&say(&app, &editor.token, "make it high priority", Some(&id)).await);
    let undone = reply(&say(&app, &editor.token, "undo", Some(&id)).await);

    // Assert: "it" asked back rather than reach the editor's #1; undo removed the milk by id
    assert!(reply(&added).contains("milk"), "{}", added.text);
    // The owner's number of the milk is never said to the editor, whose "#1" is their own task.
    assert!(!reply(&added).contains("#1"), "{}", added.text);
    assert!(
        listing.contains("milk") && !listing.contains("#1"),
        "{listing}"
    );
    let mine = app.get_task(&editor.token, &string_at(&own, "/id")).await;
    assert_eq!(
        mine.status,
        StatusCode::OK,
        "undo deleted the editor's own task"
    );
    assert_eq!(mine.json()["priority"], "NONE", "{pointed}");
    assert!(undone.starts_with("Undone:"), "{undone}");
    let listed = app
        .list_tasks(&owner.token, &format!("project_id={groceries}"))
        .await
        .json();
    assert_eq!(listed, json!([]), "{undone}");
}

/// Shares `project` as its owner over REST.
async fn share_over_rest(app: &TestApp, owner: &str, project: &str, email: &str, role: &str) {
    let shared = app
        .send(app.authed_json(
            Method::POST,
            &format!("/api/v1/projects/{project}/members"),
            owner,
            Some(&json!({ "email": email, "role": role })),
        ))
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
}

/// The reply to `message`, said as the user of `token` in a new conversation.
async fn told(app: &TestApp, token: &str, message: &str) -> String {
    reply(&say(app, token, message, None).await)
}

/// The owner's email of `project`, read as `by`.
async fn owner_of(app: &TestApp, by: &str, project: &str) -> String {
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{project}/members"),
            by,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .and_then(|all| all.iter().find(|m| m["role"] == "owner"))
        .map(|m| string_at(m, "/email"))
        .unwrap_or_default()
}

async fn chat_changes_a_lists_people_only_as_the_roles_allow(app: TestApp) {
    // Arrange: Groceries shared with an admin, an editor and a viewer
    let owner = app.new_user().await;
    let admin = app.new_user().await;
    let editor = app.new_user().await;
    let viewer = app.new_user().await;
    let groceries = new_project(&app, &owner.token, "Groceries").await;
    for (user, role) in [(&admin, "admin"), (&editor, "editor"), (&viewer, "viewer")] {
        share_over_rest(&app, &owner.token, &groceries, &user.email, role).await;
    }
    let mut everyone = vec![
        format!("{}/admin", admin.email),
        format!("{}/editor", editor.email),
        format!("{}/viewer", viewer.email),
    ];
    everyone.sort();

    // Act and assert: what each may not do is refused in words and changes nothing
    let by_viewer = told(
        &app,
        &viewer.token,
        &format!("remove {} from Groceries", editor.email),
    )
    .await;
    assert!(
        by_viewer.contains("Only the owner of \"Groceries\" and its admins can remove people"),
        "{by_viewer}"
    );
    let by_editor = told(
        &app,
        &editor.token,
        &format!("make {} an admin of Groceries", viewer.email),
    )
    .await;
    assert!(
        by_editor.contains("and its admins can change roles"),
        "{by_editor}"
    );
    let by_admin = told(
        &app,
        &admin.token,
        &format!("give Groceries to {}", editor.email),
    )
    .await;
    assert!(
        by_admin.contains("Only the owner of \"Groceries\" can hand it over"),
        "{by_admin}"
    );
    let by_owner = told(&app, &owner.token, "leave Groceries").await;
    assert!(by_owner.contains("You own \"Groceries\""), "{by_owner}");
    let vague = told(&app, &owner.token, "unshare Groceries").await;
    assert!(
        vague.contains("Who should I stop sharing") && vague.contains(&editor.email),
        "{vague}"
    );
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, everyone);
    assert_eq!(owner_of(&app, &owner.token, &groceries).await, owner.email);
    // Any member may see who else is in.
    let seen = told(&app, &viewer.token, "who is Groceries shared with").await;
    assert!(
        seen.contains(&format!("{} (editor)", editor.email)) && seen.contains(&owner.email),
        "{seen}"
    );

    // An admin removes the editor, and undo brings them back as an editor.
    let removed = say(
        &app,
        &admin.token,
        &format!("stop sharing Groceries with {}", editor.email),
        None,
    )
    .await;
    assert!(
        reply(&removed).starts_with("Stopped sharing"),
        "{}",
        removed.text
    );
    assert!(
        !shared_with(&app, &owner.token, &groceries)
            .await
            .iter()
            .any(|m| m.starts_with(&editor.email))
    );
    let conversation = string_at(&removed.json(), "/conversation_id");
    let undone = reply(&say(&app, &admin.token, "undo", Some(&conversation)).await);
    assert!(undone.starts_with("Undone:"), "{undone}");
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, everyone);

    // The viewer asks to leave, which only a "yes" does; undo cannot let them back in and says
    // so.
    let asked = say(&app, &viewer.token, "leave the Groceries list", None).await;
    assert!(
        reply(&asked)
            .ends_with("Reply \"yes\" to leave \"Groceries\" — anything else changes nothing."),
        "{}",
        asked.text
    );
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, everyone);
    let conversation = string_at(&asked.json(), "/conversation_id");
    let left = reply(&say(&app, &viewer.token, "yes", Some(&conversation)).await);
    assert!(left.starts_with("You left \"Groceries\""), "{left}");
    let refused = reply(&say(&app, &viewer.token, "undo", Some(&conversation)).await);
    assert!(
        refused.contains("couldn't undo") && refused.contains("Nothing was changed"),
        "{refused}"
    );
    let mut rest = everyone.clone();
    rest.retain(|m| !m.starts_with(&viewer.email));
    assert_eq!(shared_with(&app, &owner.token, &groceries).await, rest);
}

async fn chat_undo_sets_a_role_back_but_not_a_hand_over(app: TestApp) {
    // Arrange: Groceries shared with sam as a viewer
    let owner = app.new_user().await;
    let sam = app.new_user().await;
    let groceries = new_project(&app, &owner.token, "Groceries").await;
    share_over_rest(&app, &owner.token, &groceries, &sam.email, "viewer").await;

    // Act: a role change and its undo
    let changed = say(
        &app,
        &owner.token,
        &format!("make {} an admin of Groceries", sam.email),
        None,
    )
    .await;
    let after_change = shared_with(&app, &owner.token, &groceries).await;
    let conversation = string_at(&changed.json(), "/conversation_id");
    let undone = reply(&say(&app, &owner.token, "undo", Some(&conversation)).await);
    let after_undo = shared_with(&app, &owner.token, &groceries).await;

    // Assert
    assert!(reply(&changed).contains("now an admin"), "{}", changed.text);
    assert_eq!(after_change, [format!("{}/admin", sam.email)]);
    assert!(undone.contains("a viewer again"), "{undone}");
    assert_eq!(after_undo, [format!("{}/viewer", sam.email)]);

    // Act: a hand-over, asked and then confirmed, and its undo
    let asked = say(
        &app,
        &owner.token,
        &format!("make {} the owner of Groceries", sam.email),
        None,
    )
    .await;
    let owner_when_asked = owner_of(&app, &owner.token, &groceries).await;
    let conversation = string_at(&asked.json(), "/conversation_id");
    let handed = reply(&say(&app, &owner.token, "yes", Some(&conversation)).await);
    let refused = reply(&say(&app, &owner.token, "undo", Some(&conversation)).await);

    // Assert: nothing changed before the yes; then sam owns it, the old owner is an admin, and
    // undo changed nothing
    assert!(reply(&asked).contains("would belong to"), "{}", asked.text);
    assert_eq!(owner_when_asked, owner.email);
    assert!(handed.contains("now belongs to"), "{handed}");
    assert!(
        refused.contains("only they can hand it back") && refused.contains("Nothing was changed"),
        "{refused}"
    );
    assert_eq!(owner_of(&app, &owner.token, &groceries).await, sam.email);
    assert_eq!(
        shared_with(&app, &owner.token, &groceries).await,
        [format!("{}/admin", owner.email)]
    );
}
