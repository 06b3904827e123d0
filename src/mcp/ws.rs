//! MCP over WebSocket (SPEC §12): `GET /mcp` with `Upgrade: websocket` carries the JSON-RPC
//! messages of the Streamable HTTP endpoint, one per text frame, to the same [`TodoMcp`].
//!
//! The upgrade request passes the checks of `/mcp` ([`auth::check_origin`],
//! [`auth::authenticate`]); its token may also come as the subprotocol `bearer.<token>`, which
//! browsers can set where they cannot set headers. After the upgrade one task owns the socket:
//! it re-authenticates the token before every message (a deleted user or a revoked token ends
//! the connection at its next message), hands the message to rmcp's serve loop with that user
//! attached, writes rmcp's answers back, pings the client and bounds what a client may ask for.
//! rmcp sees the socket as a [`Transport`] of two channels to that task.

use std::{collections::HashSet, time::Duration};

use axum::{
    body::Bytes,
    extract::{
        FromRequestParts, Request, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket, close_code},
    },
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rmcp::{
    RoleServer, ServiceExt,
    model::{
        ClientJsonRpcMessage, ClientNotification, ErrorCode, ErrorData, GetExtensions,
        JsonRpcMessage, RequestId, ServerJsonRpcMessage,
    },
    service::ServerInitializeError,
    transport::Transport,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::Instrument;

use super::{TodoMcp, auth};
use crate::auth::{AuthUser, extractor, scope::Scope};
use crate::error::ApiError;
use crate::observe::REQUEST_ID_HEADER;
use crate::shutdown::Draining;
use crate::state::AppState;

/// Largest message accepted, as for HTTP request bodies; a larger one closes the connection
/// with 1009.
pub const MAX_MESSAGE_BYTES: usize = crate::startup::MAX_BODY_BYTES;
/// Requests of one connection being handled at once; more are answered with an error at once.
pub const MAX_IN_FLIGHT: usize = 16;
/// The subprotocol prefix that carries a token: `Sec-WebSocket-Protocol: bearer.<token>`.
pub const BEARER_PROTOCOL_PREFIX: &str = "bearer.";
/// The JSON-RPC error (implementation-defined range) of a request over [`MAX_IN_FLIGHT`].
pub const TOO_MANY_IN_FLIGHT: ErrorCode = ErrorCode(-32000);
/// How long a closing connection waits for the client's close frame before dropping it.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// The shortest ping period, whatever the settings say.
const MIN_KEEPALIVE: Duration = Duration::from_millis(10);
/// Longest close reason a close frame can carry (RFC 6455 §5.5: 125-byte control payloads).
const MAX_CLOSE_REASON: usize = 123;

/// Answers WebSocket upgrade requests to `/mcp` here; every other request goes on to the
/// Streamable HTTP service.
pub async fn upgrade_or_next(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_websocket_upgrade(&request) {
        accept(state, request).await
    } else {
        next.run(request).await
    }
}

fn is_websocket_upgrade(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// Checks the upgrade request as `/mcp` checks a request (Origin, token, then Host) and only
/// then switches protocols.
async fn accept(state: AppState, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if let Err(refusal) = auth::check_origin(&state, &parts.headers) {
        return refusal.into_response();
    }
    let offered = offered_token(&parts.headers);
    let token = extractor::bearer_token(&parts)
        .map(str::to_owned)
        .or_else(|| offered.as_ref().map(|(_, token)| token.clone()));
    if let Err(refusal) = auth::authenticate(&state, token.as_deref()).await {
        return refusal;
    }
    if !super::http::host_allowed(&parts.headers, &state.settings.public_url) {
        return ApiError::Forbidden("this Host is not served here (DNS rebinding guard)")
            .into_response();
    }
    let draining = parts.extensions.get::<Draining>().cloned();
    if draining.as_ref().is_some_and(Draining::has_begun) {
        return ApiError::ServiceUnavailable.into_response();
    }
    let mut upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return auth::as_problem(rejection.into_response()).await,
    };
    if let Some((protocol, _)) = offered {
        // Browsers fail a handshake whose answer selects none of the protocols they offered.
        upgrade.set_selected_protocol(protocol);
    }
    let request_id = parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Inside the upgrade request's span, which names the request id and the user.
    let span = tracing::info_span!("mcp_websocket");
    let connection = Connection {
        state: state.clone(),
        // Present: it has just been accepted.
        token: SecretString::from(token.unwrap_or_default()),
        request_id,
        keepalive: state.settings.mcp_ws_keepalive,
        draining,
        in_flight: InFlight::default(),
        received: 0,
    };
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(|err| tracing::debug!(error = %err, "WebSocket upgrade failed"))
        .on_upgrade(move |socket| connection.run(socket).instrument(span))
}

/// The first `bearer.<token>` subprotocol offered, as offered, and its token.
fn offered_token(headers: &HeaderMap) -> Option<(HeaderValue, String)> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find_map(|protocol| {
            let token = protocol.strip_prefix(BEARER_PROTOCOL_PREFIX)?;
            let value = HeaderValue::from_str(protocol).ok()?;
            (!token.is_empty()).then(|| (value, token.to_owned()))
        })
}

/// One upgraded connection: its credentials and what it has in flight.
struct Connection {
    state: AppState,
    token: SecretString,
    /// The upgrade request's id; message `n` is logged as `<id>:<n>`.
    request_id: String,
    keepalive: Duration,
    draining: Option<Draining>,
    in_flight: InFlight,
    received: u64,
}

/// What to do with a text frame.
enum Verdict {
    /// Hand it to the MCP service.
    Serve(ClientJsonRpcMessage),
    /// Answer it here (malformed, over the limit, or the user could not be checked).
    Answer(ServerJsonRpcMessage),
    /// Drop it (a notification that cannot be served).
    Drop,
    /// End the connection.
    Close(CloseFrame),
}

impl Connection {
    async fn run(mut self, mut socket: WebSocket) {
        tracing::info!("MCP WebSocket opened");
        let (to_service, from_socket) = mpsc::channel(MAX_IN_FLIGHT);
        let (to_socket, mut from_service) = mpsc::channel(MAX_IN_FLIGHT);
        let channels = Channels {
            to_socket,
            from_socket,
        };
        let mut service =
            tokio::spawn(serve(TodoMcp::new(self.state.db.clone()), channels).in_current_span());
        let period = self.keepalive.max(MIN_KEEPALIVE);
        let mut keepalive = tokio::time::interval_at(Instant::now() + period, period);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut awaiting_pong = false;
        let mut draining = self.draining.take();
        // Once the service has stopped, its last answers are still written before closing.
        let mut serving = true;
        // Once the server is shutting down, no message is read and the answers in flight are
        // written before closing, for at most `shutdown::IDLE_GRACE` (which the drain waits).
        let mut drain_deadline: Option<Instant> = None;
        let close = loop {
            if drain_deadline.is_some() && self.in_flight.is_empty() {
                break Some(close_frame(close_code::AWAY, "the server is shutting down"));
            }
            tokio::select! {
                frame = socket.recv(), if serving && drain_deadline.is_none() => match frame {
                    Some(Ok(Message::Text(text))) => match self.admit(text.as_str()).await {
                        Verdict::Serve(message) => {
                            serving = to_service.send(message).await.is_ok();
                        }
                        Verdict::Answer(message) => {
                            if socket.send(Message::Text(encode(&message).into())).await.is_err() {
                                break None;
                            }
                        }
                        Verdict::Drop => {}
                        Verdict::Close(frame) => break Some(frame),
                    },
                    Some(Ok(Message::Binary(_))) => {
                        break Some(close_frame(
                            close_code::UNSUPPORTED,
                            "MCP messages are JSON text frames",
                        ));
                    }
                    // tungstenite answers pings itself.
                    Some(Ok(Message::Ping(_))) => {}
                    Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                    // The client closed (tungstenite answers its close frame) or vanished.
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Err(err)) => break refusal_of(&err),
                },
                message = from_service.recv() => {
                    let Some(message) = message else {
                        break Some(ended(&mut service).await);
                    };
                    self.in_flight.answered(&message);
                    if socket.send(Message::Text(encode(&message).into())).await.is_err() {
                        break None;
                    }
                }
                _ = keepalive.tick(), if serving && drain_deadline.is_none() => {
                    if awaiting_pong {
                        let reason = format!("no pong within {} s", self.keepalive.as_secs_f32());
                        break Some(close_frame(close_code::POLICY, &reason));
                    }
                    if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                        break None;
                    }
                    awaiting_pong = true;
                }
                () = shutdown(draining.as_mut()), if drain_deadline.is_none() => {
                    drain_deadline = Some(Instant::now() + crate::shutdown::IDLE_GRACE);
                }
                () = until(drain_deadline) => {
                    break Some(close_frame(close_code::AWAY, "the server is shutting down"));
                }
            }
        };
        // The service stops reading once its channel closes; in-flight handlers finish unheard.
        drop(to_service);
        if let Some(frame) = close {
            tracing::info!(code = frame.code, reason = %frame.reason, "closing MCP WebSocket");
            if socket.send(Message::Close(Some(frame))).await.is_ok() {
                // Wait for the client's close frame, so that closing the TCP connection first
                // cannot reset it before the client has read ours.
                let _ = tokio::time::timeout(CLOSE_GRACE, async {
                    while let Some(Ok(_)) = socket.recv().await {}
                })
                .await;
            }
        }
        tracing::info!(messages = self.received, "MCP WebSocket closed");
    }

    /// Checks one text frame: the token's user still exists, the message is JSON-RPC, and a
    /// request stays within [`MAX_IN_FLIGHT`]. A message to serve carries the user it acts as.
    async fn admit(&mut self, text: &str) -> Verdict {
        self.received += 1;
        let user = match extractor::authenticate(&self.state, self.token.expose_secret())
            .await
            .and_then(|user| user.require(Scope::Mcp).map(|()| user))
        {
            Ok(user) => user,
            Err(err)
                if matches!(
                    err.status(),
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ) =>
            {
                return Verdict::Close(close_frame(close_code::POLICY, &err.to_string()));
            }
            Err(err) => {
                if let ApiError::Internal(cause) = &err {
                    let (error, sqlstate) = crate::error::loggable(cause);
                    tracing::error!(error, sqlstate, "MCP WebSocket: user lookup failed");
                }
                return match id_of(text) {
                    Some(id) => Verdict::Answer(ServerJsonRpcMessage::error(
                        ErrorData::internal_error(err.to_string(), None),
                        Some(id),
                    )),
                    None => Verdict::Drop,
                };
            }
        };
        let mut message = match serde_json::from_str::<ClientJsonRpcMessage>(text) {
            Ok(message) => message,
            Err(err) => return Verdict::Answer(malformed(text, &err)),
        };
        match &message {
            JsonRpcMessage::Request(request) => {
                if let Err(error) = self.in_flight.start(&request.id) {
                    return Verdict::Answer(ServerJsonRpcMessage::error(
                        error,
                        Some(request.id.clone()),
                    ));
                }
            }
            JsonRpcMessage::Notification(notification) => {
                // rmcp sends no answer to a cancelled request.
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.in_flight.forget(id);
                }
            }
            JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {}
        }
        let parts = self.parts_for(user);
        match &mut message {
            JsonRpcMessage::Request(request) => {
                request.request.extensions_mut().insert(parts);
            }
            JsonRpcMessage::Notification(notification) => {
                notification.notification.extensions_mut().insert(parts);
            }
            JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {}
        }
        Verdict::Serve(message)
    }

    /// What a tool reads its caller from, as over HTTP: request parts whose extensions hold the
    /// user just authenticated, with the message's request id. The token is not copied.
    fn parts_for(&self, user: AuthUser) -> Parts {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.uri = Uri::from_static("/mcp");
        if let Ok(id) = HeaderValue::from_str(&format!("{}:{}", self.request_id, self.received)) {
            parts.headers.insert(REQUEST_ID_HEADER, id);
        }
        parts.extensions.insert(user);
        parts
    }
}

/// Runs `TodoMcp` over the connection's channels until either side stops; returns the close
/// frame for a service that stopped while the client was still there.
async fn serve(mcp: TodoMcp, channels: Channels) -> CloseFrame {
    // Both lifecycles: `initialize` first (2025-11-25), or `server/discover` and requests
    // carrying their protocol version in `_meta` (2026-07-28); rmcp chooses by the first
    // message.
    match mcp.serve(channels).await {
        Ok(running) => match running.waiting().await {
            Ok(reason) => close_frame(
                close_code::ERROR,
                &format!("the MCP session ended ({reason:?})"),
            ),
            Err(err) => {
                tracing::error!(error = %err, "MCP WebSocket service failed");
                close_frame(close_code::ERROR, "the MCP session failed")
            }
        },
        Err(ServerInitializeError::ExpectedInitializeRequest(_)) => close_frame(
            close_code::PROTOCOL,
            "expected initialize, server/discover or a request with _meta first",
        ),
        Err(err) => close_frame(
            close_code::PROTOCOL,
            &format!("the MCP session could not start: {err}"),
        ),
    }
}

/// The close frame of a service that has stopped.
async fn ended(service: &mut tokio::task::JoinHandle<CloseFrame>) -> CloseFrame {
    service
        .await
        .unwrap_or_else(|_| close_frame(close_code::ERROR, "the MCP session failed"))
}

/// Resolves when the server begins shutting down; never without a shutdown signal.
async fn shutdown(draining: Option<&mut Draining>) {
    match draining {
        Some(draining) => draining.begun().await,
        None => std::future::pending().await,
    }
}

/// Resolves at `deadline`; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The close frame for a frame that could not be read, if the socket can still send one.
fn refusal_of(err: &axum::Error) -> Option<CloseFrame> {
    use std::error::Error as _;
    use tungstenite::error::{CapacityError, Error};
    let frame = match err.source()?.downcast_ref::<Error>()? {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => close_frame(
            close_code::SIZE,
            &format!("a message may be at most {MAX_MESSAGE_BYTES} bytes"),
        ),
        Error::Utf8(_) => close_frame(close_code::INVALID, "a text frame was not UTF-8"),
        Error::Protocol(_) => close_frame(close_code::PROTOCOL, "WebSocket protocol error"),
        _ => return None,
    };
    Some(frame)
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame {
        code,
        reason: reason[..end].into(),
    }
}

/// The JSON-RPC error for a text frame that is not a message the server understands: a parse
/// error for text that is not JSON, else an invalid request (with its id, if one can be read).
fn malformed(text: &str, err: &serde_json::Error) -> ServerJsonRpcMessage {
    if err.is_syntax() || err.is_eof() {
        return ServerJsonRpcMessage::error(
            ErrorData::parse_error("the message is not valid JSON", None),
            None,
        );
    }
    ServerJsonRpcMessage::error(
        ErrorData::invalid_request(format!("not an MCP JSON-RPC message: {err}"), None),
        id_of(text),
    )
}

/// The `id` of a JSON-RPC message, if it has one.
fn id_of(text: &str) -> Option<RequestId> {
    #[derive(Deserialize)]
    struct Probe {
        id: Option<RequestId>,
    }
    serde_json::from_str::<Probe>(text).ok()?.id
}

fn encode(message: &ServerJsonRpcMessage) -> String {
    serde_json::to_string(message).unwrap_or_else(|err| {
        tracing::error!(error = %err, "MCP WebSocket: an answer could not be serialized");
        let id = match message {
            JsonRpcMessage::Response(response) => Some(response.id.clone()),
            JsonRpcMessage::Error(error) => error.id.clone(),
            JsonRpcMessage::Request(_) | JsonRpcMessage::Notification(_) => None,
        };
        let fallback =
            ServerJsonRpcMessage::error(ErrorData::internal_error("internal error", None), id);
        serde_json::to_string(&fallback).unwrap_or_default()
    })
}

/// The requests of one connection that are being handled.
#[derive(Debug, Default)]
struct InFlight(HashSet<RequestId>);

impl InFlight {
    /// Admits a request, unless its id is already in flight or [`MAX_IN_FLIGHT`] are.
    fn start(&mut self, id: &RequestId) -> Result<(), ErrorData> {
        if self.0.contains(id) {
            return Err(ErrorData::invalid_request(
                "a request with this id is already in flight on this connection",
                None,
            ));
        }
        if self.0.len() >= MAX_IN_FLIGHT {
            return Err(ErrorData::new(
                TOO_MANY_IN_FLIGHT,
                format!(
                    "too many requests in flight: at most {MAX_IN_FLIGHT} per connection; wait \
                     for answers before sending more"
                ),
                None,
            ));
        }
        self.0.insert(id.clone());
        Ok(())
    }

    /// Frees the slot of a request that `message` answers.
    fn answered(&mut self, message: &ServerJsonRpcMessage) {
        match message {
            JsonRpcMessage::Response(response) => self.forget(&response.id),
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    self.forget(id);
                }
            }
            JsonRpcMessage::Request(_) | JsonRpcMessage::Notification(_) => {}
        }
    }

    fn forget(&mut self, id: &RequestId) {
        self.0.remove(id);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// rmcp's end of a connection: what it sends goes to the socket task, what it receives comes
/// from there, already checked.
struct Channels {
    to_socket: mpsc::Sender<ServerJsonRpcMessage>,
    from_socket: mpsc::Receiver<ClientJsonRpcMessage>,
}

/// The socket task is gone.
#[derive(Debug, thiserror::Error)]
#[error("the WebSocket connection is closed")]
pub struct Closed;

impl Transport<RoleServer> for Channels {
    type Error = Closed;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Closed>> + Send + 'static {
        let to_socket = self.to_socket.clone();
        async move { to_socket.send(item).await.map_err(|_| Closed) }
    }

    fn receive(&mut self) -> impl Future<Output = Option<ClientJsonRpcMessage>> + Send {
        self.from_socket.recv()
    }

    async fn close(&mut self) -> Result<(), Closed> {
        self.from_socket.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> RequestId {
        RequestId::Number(n)
    }

    #[test]
    fn requests_beyond_the_limit_are_refused_until_one_is_answered() {
        let mut in_flight = InFlight::default();
        for n in 0..MAX_IN_FLIGHT {
            assert!(in_flight.start(&id(n as i64)).is_ok());
        }
        let refused = in_flight.start(&id(99)).expect_err("over the limit");
        assert_eq!(refused.code, TOO_MANY_IN_FLIGHT);
        in_flight.answered(&ServerJsonRpcMessage::error(
            ErrorData::internal_error("x", None),
            Some(id(3)),
        ));
        assert!(in_flight.start(&id(99)).is_ok());
        in_flight.forget(&id(4));
        assert!(in_flight.start(&id(100)).is_ok());
        assert!(in_flight.start(&id(101)).is_err());
    }

    #[test]
    fn an_id_already_in_flight_is_refused() {
        let mut in_flight = InFlight::default();
        assert!(in_flight.start(&id(1)).is_ok());
        let refused = in_flight.start(&id(1)).expect_err("duplicate");
        assert_eq!(refused.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn the_token_comes_from_the_first_bearer_subprotocol() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("mcp, bearer., bearer.abc.def, bearer.other"),
        );
        let (protocol, token) = offered_token(&headers).expect("offered");
        assert_eq!(protocol, "bearer.abc.def");
        assert_eq!(token, "abc.def");
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("mcp"),
        );
        assert!(offered_token(&headers).is_none());
    }

    fn error_of(text: &str) -> (ErrorCode, Option<RequestId>) {
        let err = serde_json::from_str::<ClientJsonRpcMessage>(text).expect_err("malformed");
        match malformed(text, &err) {
            JsonRpcMessage::Error(e) => (e.error.code, e.id),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn malformed_messages_get_json_rpc_errors() {
        assert_eq!(error_of("{"), (ErrorCode::PARSE_ERROR, None));
        assert_eq!(error_of("not json"), (ErrorCode::PARSE_ERROR, None));
        assert_eq!(
            error_of(r#"{"jsonrpc":"2.0","id":7}"#),
            (ErrorCode::INVALID_REQUEST, Some(id(7)))
        );
        assert_eq!(
            error_of(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            (ErrorCode::INVALID_REQUEST, None)
        );
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let frame = close_frame(close_code::POLICY, &"é".repeat(100));
        assert!(frame.reason.len() <= MAX_CLOSE_REASON);
        assert!(frame.reason.starts_with('é'));
    }
}
