//! MCP over WebSocket at `GET /mcp` (SPEC §12), driven by a real WebSocket client: raw JSON-RPC
//! frames, and rmcp's own client over the socket in both protocol lifecycles.

use std::time::Duration;

use futures::{SinkExt, StreamExt, future};
use reqwest::{Method, StatusCode};
use rmcp::{
    ClientLifecycleMode, ClientServiceExt, ServiceExt,
    model::{CallToolRequestParams, ClientJsonRpcMessage, ProtocolVersion, ServerJsonRpcMessage},
};
use serde_json::{Value, json};
use tokio::{io::AsyncReadExt, net::TcpStream, time::timeout};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{
        self, Message,
        client::IntoClientRequest,
        http::{HeaderValue, Response},
        protocol::{CloseFrame, frame::coding::CloseCode},
    },
};

use crate::helpers::{
    Backend, TestApp, TestResponse, TestUser, assert_problem, assert_unauthorized, both_backends,
    each_backend,
};

both_backends!(
    tools_are_listed_and_called_over_a_socket,
    the_token_may_come_as_a_subprotocol_that_the_answer_selects,
    no_or_a_bad_token_is_401_before_the_upgrade,
    a_token_without_the_mcp_scope_is_403_before_the_upgrade,
    a_foreign_origin_or_host_is_403_before_the_upgrade,
    two_users_on_two_sockets_see_only_their_own_tasks,
    a_deleted_user_is_disconnected_at_the_next_message,
    rmcp_clients_of_both_lifecycles_work_over_a_socket,
    malformed_messages_get_errors_and_the_connection_stays_open,
    a_message_over_1_mib_closes_the_connection_with_1009,
    a_binary_frame_closes_the_connection_with_1003,
    pings_are_answered,
    the_server_shutting_down_closes_sockets_with_1001,
);

each_backend!(a_client_that_does_not_pong_is_closed);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any awaited event may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

fn ws_url(app: &TestApp) -> String {
    format!("{}/mcp", app.address.replacen("http://", "ws://", 1))
}

/// The handshake request, with extra headers.
fn handshake(app: &TestApp, headers: &[(&str, &str)]) -> tungstenite::handshake::client::Request {
    let mut request = ws_url(app)
        .into_client_request()
        .expect("a WebSocket request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    request
}

async fn connect_with(
    app: &TestApp,
    headers: &[(&str, &str)],
) -> Result<(Socket, Response<Option<Vec<u8>>>), tungstenite::Error> {
    timeout(DEADLINE, connect_async(handshake(app, headers)))
        .await
        .expect("the handshake finishes in time")
}

/// A socket authenticated by `Authorization: Bearer`.
async fn open(app: &TestApp, token: &str) -> Socket {
    let bearer = format!("Bearer {token}");
    let (socket, response) = connect_with(app, &[("authorization", &bearer)])
        .await
        .unwrap_or_else(|err| panic!("[{}] handshake failed: {err}", app.backend));
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

/// The same upgrade request sent with reqwest, to read a refusal in full.
async fn refused(app: &TestApp, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = app
        .request(Method::GET, "/mcp")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request).await
}

async fn send(socket: &mut Socket, message: &Value) {
    timeout(DEADLINE, socket.send(Message::text(message.to_string())))
        .await
        .expect("sent in time")
        .expect("send a frame");
}

/// The next frame that is not a ping or pong.
async fn next_frame(socket: &mut Socket) -> Option<Message> {
    timeout(DEADLINE, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(frame)) => return Some(frame),
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("a frame arrives in time")
}

/// The next JSON-RPC message.
async fn receive(socket: &mut Socket) -> Value {
    match next_frame(socket).await {
        Some(Message::Text(text)) => serde_json::from_str(&text).expect("a JSON text frame"),
        other => panic!("expected a JSON-RPC text frame, got {other:?}"),
    }
}

/// Sends a request and returns its answer (the `result` or `error` member's parent).
async fn call(socket: &mut Socket, id: i64, method: &str, params: Value) -> Value {
    send(
        socket,
        &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
    )
    .await;
    let answer = receive(socket).await;
    assert_eq!(answer["id"], id, "an answer to another request: {answer}");
    answer
}

/// `initialize` (2025-11-25) and `notifications/initialized`; returns the initialize result.
async fn initialize(socket: &mut Socket) -> Value {
    let answer = call(
        socket,
        0,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {},
               "clientInfo": {"name": "ws-test", "version": "0"}}),
    )
    .await;
    send(
        socket,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    answer["result"].clone()
}

/// `tools/call`, asserting success; returns the structured result.
async fn tool(socket: &mut Socket, id: i64, name: &str, arguments: Value) -> Value {
    let answer = call(
        socket,
        id,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    )
    .await;
    assert_ne!(answer["result"]["isError"], true, "{name} failed: {answer}");
    let structured = answer["result"]["structuredContent"].clone();
    assert!(
        structured.is_object(),
        "{name}: no structuredContent: {answer}"
    );
    structured
}

fn titles(list: &Value) -> Vec<String> {
    list["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("no tasks in {list}"))
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Asserts that the server closes the socket with `code` (after any text frames).
async fn assert_closed_with(socket: &mut Socket, code: CloseCode) -> String {
    match next_frame(socket).await {
        Some(Message::Close(Some(CloseFrame { code: got, reason }))) => {
            assert_eq!(got, code, "closed for another reason: {reason}");
            reason.to_string()
        }
        other => panic!("expected a close frame with {code}, got {other:?}"),
    }
}

async fn tools_are_listed_and_called_over_a_socket(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;

    // Act
    let init = initialize(&mut socket).await;
    let tools = call(&mut socket, 1, "tools/list", json!({})).await;
    let added = tool(
        &mut socket,
        2,
        "add_task",
        json!({"title": "Over a socket", "priority": "high"}),
    )
    .await;
    let listed = tool(&mut socket, 3, "list_tasks", json!({"status": "pending"})).await;

    // Assert
    assert_eq!(init["serverInfo"]["name"], "tudu", "{init}");
    let mut names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {tools}"))
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
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
    assert_eq!(added["title"], "Over a socket");
    assert_eq!(added["priority"], "HIGH");
    assert_eq!(added["number"], 1);
    assert_eq!(titles(&listed), ["Over a socket"]);
    assert_eq!(listed["total"], 1);
    // The task is the user's, as REST sees it.
    assert_eq!(
        app.get_task(&user.token, "1").await.json()["title"],
        "Over a socket"
    );
}

async fn the_token_may_come_as_a_subprotocol_that_the_answer_selects(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let protocol = format!("bearer.{}", user.token);

    // Act: as a browser, which cannot set Authorization, offers it
    let (mut socket, response) = connect_with(
        &app,
        &[("sec-websocket-protocol", &format!("mcp, {protocol}"))],
    )
    .await
    .unwrap_or_else(|err| panic!("[{}] handshake failed: {err}", app.backend));

    // Assert
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some(protocol.as_str()),
        "the answer must select exactly the offered bearer protocol"
    );
    initialize(&mut socket).await;
    let added = tool(&mut socket, 1, "add_task", json!({"title": "Browser"})).await;
    assert_eq!(added["title"], "Browser");
    assert_eq!(
        app.get_task(&user.token, "1").await.json()["title"],
        "Browser"
    );
}

async fn no_or_a_bad_token_is_401_before_the_upgrade(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let missing = refused(&app, &[]).await;
    let bad_header = refused(&app, &[("authorization", "Bearer not.a.token")]).await;
    let bad_protocol = refused(&app, &[("sec-websocket-protocol", "bearer.not.a.token")]).await;
    let empty_protocol = refused(&app, &[("sec-websocket-protocol", "bearer.")]).await;
    let client = connect_with(&app, &[("authorization", "Bearer not.a.token")]).await;

    // Assert
    for res in [&missing, &bad_header, &bad_protocol, &empty_protocol] {
        assert_unauthorized(res);
        let challenge = res.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains(
                r#"resource_metadata="http://127.0.0.1:0/.well-known/oauth-protected-resource""#
            ),
            "the challenge of /mcp: {challenge}"
        );
    }
    assert!(
        bad_header
            .header("www-authenticate")
            .is_some_and(|c| c.contains(r#"error="invalid_token""#))
    );
    match client {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        other => panic!("a client with a bad token must not connect: {other:?}"),
    }
    // A valid token with a malformed handshake is refused in problem+json too.
    let no_key = app
        .send(
            app.authed(Method::GET, "/mcp", &user.token)
                .header("connection", "Upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-version", "13"),
        )
        .await;
    assert_problem(&no_key, StatusCode::BAD_REQUEST);
    // The valid token works on the same path, and a plain GET is still Streamable HTTP's.
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;
    let plain = app.send(app.authed(Method::GET, "/mcp", &user.token)).await;
    assert_eq!(
        plain.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        plain.text
    );
}

async fn a_foreign_origin_or_host_is_403_before_the_upgrade(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let bearer = format!("Bearer {}", user.token);

    // Act
    let foreign = refused(
        &app,
        &[
            ("authorization", &bearer),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    let rebinding = refused(
        &app,
        &[("authorization", &bearer), ("host", "evil.example")],
    )
    .await;
    let client = connect_with(
        &app,
        &[
            ("authorization", &bearer),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    let allowed = connect_with(
        &app,
        &[
            ("authorization", &bearer),
            ("origin", "http://localhost:3000"),
        ],
    )
    .await;

    // Assert
    assert_problem(&foreign, StatusCode::FORBIDDEN);
    assert_problem(&rebinding, StatusCode::FORBIDDEN);
    match client {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        other => panic!("a foreign origin must not connect: {other:?}"),
    }
    let (mut socket, _) = allowed.expect("an allowed origin connects");
    initialize(&mut socket).await;
}

async fn two_users_on_two_sockets_see_only_their_own_tasks(app: TestApp) {
    // Arrange
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    let mut alices = open(&app, &alice.token).await;
    let mut bobs = open(&app, &bob.token).await;
    initialize(&mut alices).await;
    initialize(&mut bobs).await;

    // Act: interleaved on the two sockets
    let alices_task = tool(&mut alices, 1, "add_task", json!({"title": "Alice's"})).await;
    tool(&mut bobs, 1, "add_task", json!({"title": "Bob's"})).await;
    let alices_list = tool(&mut alices, 2, "list_tasks", json!({})).await;
    let bobs_list = tool(&mut bobs, 2, "list_tasks", json!({})).await;
    let snoop = call(
        &mut bobs,
        3,
        "tools/call",
        json!({"name": "get_task", "arguments": {"task_id": alices_task["id"]}}),
    )
    .await;
    let claim = call(
        &mut bobs,
        4,
        "tools/call",
        json!({"name": "list_tasks", "arguments": {"user_id": alice.id}}),
    )
    .await;

    // Assert
    assert_eq!(titles(&alices_list), ["Alice's"]);
    assert_eq!(titles(&bobs_list), ["Bob's"]);
    assert_eq!(snoop["result"]["isError"], true, "{snoop}");
    assert_eq!(claim["result"]["isError"], true, "{claim}");
    assert_eq!(
        app.list_tasks(&bob.token, "").await.json()[0]["title"],
        "Bob's"
    );
}

/// Deletes the account through the API, from another connection than the socket's.
async fn delete_user(app: &TestApp, user: &TestUser) {
    let res = app
        .send(
            app.authed(Method::DELETE, "/api/v1/auth/me", &user.token)
                .json(&json!({ "password": user.password })),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
}

async fn a_deleted_user_is_disconnected_at_the_next_message(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;
    tool(&mut socket, 1, "add_task", json!({"title": "Soon gone"})).await;

    // Act: the account disappears from the database while the socket is open
    delete_user(&app, &user).await;
    send(
        &mut socket,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "add_task", "arguments": {"title": "Too late"}}}),
    )
    .await;

    // Assert: no answer, a policy close
    let reason = assert_closed_with(&mut socket, CloseCode::Policy).await;
    assert!(reason.contains("revoked"), "{reason}");
    assert!(
        next_frame(&mut socket).await.is_none(),
        "the connection ends after the close frame"
    );
    let again = connect_with(
        &app,
        &[("authorization", &format!("Bearer {}", user.token))],
    )
    .await;
    assert!(
        matches!(&again, Err(tungstenite::Error::Http(r)) if r.status() == StatusCode::UNAUTHORIZED),
        "{again:?}"
    );
}

/// rmcp's client over the socket: one JSON-RPC message per text frame.
fn rmcp_transport(
    socket: Socket,
) -> (
    impl futures::Sink<ClientJsonRpcMessage, Error = tungstenite::Error> + Send + Unpin + 'static,
    impl futures::Stream<Item = ServerJsonRpcMessage> + Send + Unpin + 'static,
) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|message: ClientJsonRpcMessage| {
        let text = serde_json::to_string(&message).expect("serialize a message");
        future::ready(Ok::<_, tungstenite::Error>(Message::text(text)))
    });
    let stream = stream.filter_map(|frame| {
        future::ready(match frame {
            Ok(Message::Text(text)) => {
                Some(serde_json::from_str(&text).expect("the server sends JSON-RPC"))
            }
            _ => None,
        })
    });
    (sink, stream)
}

async fn rmcp_clients_of_both_lifecycles_work_over_a_socket(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act: 2025-11-25 (initialize first), then 2026-07-28 (server/discover, `_meta` per request)
    let legacy = ()
        .serve(rmcp_transport(open(&app, &user.token).await))
        .await
        .unwrap_or_else(|err| panic!("[{}] initialize failed: {err}", app.backend));
    let stateless = ()
        .serve_with_lifecycle(
            rmcp_transport(open(&app, &user.token).await),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap_or_else(|err| panic!("[{}] server/discover failed: {err}", app.backend));

    // Assert
    assert_eq!(
        stateless.peer_info().map(|i| i.protocol_version.clone()),
        Some(ProtocolVersion::V_2026_07_28)
    );
    for (client, title) in [(&legacy, "Legacy"), (&stateless, "Stateless")] {
        assert_eq!(client.list_all_tools().await.expect("tools/list").len(), 13);
        let arguments = json!({"title": title})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let added = client
            .call_tool(CallToolRequestParams::new("add_task").with_arguments(arguments))
            .await
            .expect("add_task");
        assert_ne!(added.is_error, Some(true), "{added:?}");
        assert_eq!(
            added
                .structured_content
                .as_ref()
                .map(|s| s["title"].clone()),
            Some(json!(title))
        );
    }
    let listed = app
        .list_tasks(&user.token, "sort=number&order=asc")
        .await
        .json();
    assert_eq!(listed[0]["title"], "Legacy");
    assert_eq!(listed[1]["title"], "Stateless");
    let _ = legacy.cancel().await;
    let _ = stateless.cancel().await;
}

async fn malformed_messages_get_errors_and_the_connection_stays_open(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;

    // Act
    socket
        .send(Message::text("this is not JSON"))
        .await
        .expect("send");
    let not_json = receive(&mut socket).await;
    send(&mut socket, &json!({"jsonrpc": "2.0", "id": 5})).await;
    let not_a_message = receive(&mut socket).await;
    let unknown = call(&mut socket, 6, "no/such/method", json!({})).await;
    let after = call(&mut socket, 7, "tools/list", json!({})).await;

    // Assert
    assert_eq!(not_json["error"]["code"], -32700, "{not_json}");
    assert_eq!(not_json["id"], Value::Null);
    assert_eq!(not_a_message["error"]["code"], -32600, "{not_a_message}");
    assert_eq!(not_a_message["id"], 5);
    assert!(unknown["error"]["code"].is_i64(), "{unknown}");
    assert!(after["result"]["tools"].is_array(), "{after}");
}

async fn a_message_over_1_mib_closes_the_connection_with_1009(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;
    let title = "x".repeat(1024 * 1024);

    // Act: the server refuses the frame from its header and may close before the client has
    // written all of it, so the write itself may fail (broken pipe); the close frame is the
    // answer either way.
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "add_task", "arguments": {"title": title}}});
    let _ = timeout(DEADLINE, socket.send(Message::text(request.to_string()))).await;

    // Assert
    assert_closed_with(&mut socket, CloseCode::Size).await;
    assert_eq!(app.list_tasks(&user.token, "").await.json(), json!([]));
}

async fn a_binary_frame_closes_the_connection_with_1003(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;

    // Act
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    socket
        .send(Message::binary(request.into_bytes()))
        .await
        .expect("send");

    // Assert
    assert_closed_with(&mut socket, CloseCode::Unsupported).await;
}

async fn pings_are_answered(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;

    // Act
    socket
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("send a ping");
    let pong = timeout(DEADLINE, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Pong(payload))) => return payload,
                Some(Ok(_)) => {}
                other => panic!("the socket ended before a pong: {other:?}"),
            }
        }
    })
    .await
    .expect("a pong in time");

    // Assert
    assert_eq!(&pong[..], b"are you there");
    initialize(&mut socket).await;
}

async fn a_client_that_does_not_pong_is_closed(backend: Backend) {
    // Arrange: a server that pings every 50 ms, and a client that never reads its frames (so
    // tungstenite never answers the pings)
    let app = TestApp::spawn_with(backend, |s| {
        s.mcp_ws_keepalive = Duration::from_millis(50);
    })
    .await;
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;

    // Act: read the raw bytes the server sends until a close frame
    let mut raw = Vec::new();
    let close = timeout(DEADLINE, async {
        let mut buf = [0_u8; 1024];
        loop {
            if let Some(close) = first_close_frame(&raw) {
                return Some(close);
            }
            let n = socket.get_mut().read(&mut buf).await.expect("read");
            if n == 0 {
                return None;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("closed in time");

    // Assert: pinged first, then closed for policy
    assert_eq!(
        raw.first(),
        Some(&0x89),
        "the first frame is a ping: {raw:?}"
    );
    let (code, reason) = close.expect("a close frame before the end of the stream");
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("pong"), "{reason}");
}

/// The code and reason of the first close frame among the unmasked frames in `raw`.
fn first_close_frame(raw: &[u8]) -> Option<(u16, String)> {
    let mut at = 0;
    while raw.len() >= at + 2 {
        let opcode = raw[at] & 0x0f;
        let len = usize::from(raw[at + 1] & 0x7f);
        assert!(len < 126, "the server sends only small control frames here");
        let payload = raw.get(at + 2..at + 2 + len)?;
        if opcode == 0x8 {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
        }
        at += 2 + len;
    }
    None
}

async fn the_server_shutting_down_closes_sockets_with_1001(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let mut socket = open(&app, &user.token).await;
    initialize(&mut socket).await;

    // Act
    drop(app);

    // Assert
    assert_closed_with(&mut socket, CloseCode::Away).await;
}

async fn a_token_without_the_mcp_scope_is_403_before_the_upgrade(app: TestApp) {
    // Arrange: a personal access token for REST only
    let user = app.new_user().await;
    let created = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/auth/tokens",
            &user.token,
            Some(&json!({"name": "rest", "scopes": ["tasks:read", "tasks:write"]})),
        ))
        .await;
    let rest_only = created.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Act
    let res = refused(&app, &[("authorization", &format!("Bearer {rest_only}"))]).await;

    // Assert
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#) && challenge.contains(r#"scope="mcp""#),
        "{challenge}"
    );
}
