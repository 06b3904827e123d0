//! Chat and conversation routes: thin adapters over [`super::service`] and [`super::store`].

use axum::{
    extract::{OriginalUri, Path, Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::model::{
    ChatRequest, ChatResponse, Conversation, ConversationDeleted, ConversationSummary,
};
use super::{service, store};
use crate::auth::AuthUser;
use crate::error::{ApiError, AppJson, Problem, Result};
use crate::paging;
use crate::state::AppState;

/// Conversations returned by one list call when `limit` is not given.
const DEFAULT_CONVERSATIONS: i64 = 50;
/// Most conversations one list call returns.
const MAX_CONVERSATIONS: i64 = 500;

/// `/api/v1/chat`.
pub fn chat_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(chat))
}

/// `/api/v1/conversations`.
pub fn conversations_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation, delete_conversation))
}

/// Send a message to the agent. It acts on the user's tasks through the MCP tools and
/// answers; the message, each tool call and the reply are stored in the conversation.
#[utoipa::path(post, path = "", tag = "chat", security(("bearer" = [])), request_body = ChatRequest,
    responses(
        (status = 200, body = ChatResponse, headers(("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32),
            ("RateLimit-Reset" = u64, description = "seconds until the whole budget is available again"))),
        (status = 401, body = Problem), (status = 404, body = Problem, description = "conversation not found"),
        (status = 422, body = Problem), (status = 429, body = Problem, headers(("Retry-After" = u64))),
        (status = 502, body = Problem, description = "the model provider failed"),
        (status = 504, body = Problem, description = "the model provider did not answer in time")))]
pub async fn chat(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    AppJson(request): AppJson<ChatRequest>,
) -> Result<Response> {
    let input = request.validate()?;
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok());
    let (answer, allowance) = service::send(
        &state.chat,
        &state.db,
        &auth.user_id,
        auth.scopes,
        request_id,
        input,
    )
    .await?;
    let mut response = AppJson(answer).into_response();
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(allowance.limit));
    headers.insert(
        "ratelimit-remaining",
        HeaderValue::from(allowance.remaining),
    );
    headers.insert("ratelimit-reset", HeaderValue::from(allowance.reset_secs));
    Ok(response)
}

/// Paging of the conversation list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ConversationQuery {
    /// How many to return, 1–500 (default 50), most recently active first.
    pub limit: Option<String>,
    /// Where to continue: the opaque cursor of the previous page's `Link: <…>; rel="next"`.
    pub cursor: Option<String>,
}

/// The user's conversations, most recently active first. When more follow, `Link: <…>;
/// rel="next"` gives the URL of the next page.
#[utoipa::path(get, path = "", tag = "chat", security(("bearer" = [])), params(ConversationQuery),
    responses((status = 200, body = [ConversationSummary], headers(("Link" = String, description = "the next page, when there is one"))),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    auth: AuthUser,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<ConversationQuery>,
) -> Result<Response> {
    let limit = match query.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_CONVERSATIONS,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_CONVERSATIONS).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_CONVERSATIONS}"),
                )
            })?,
    };
    let after = match query.cursor.as_deref() {
        None => None,
        Some(raw) => Some(
            paging::decode_cursor::<store::ConversationCursor>(raw).ok_or_else(|| {
                ApiError::invalid("cursor", "is not a cursor issued by this server")
            })?,
        ),
    };
    // One more than asked tells whether another page follows.
    let page_size = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut conversations =
        store::list(&state.db, &auth.user_id, limit + 1, after.as_ref()).await?;
    let next = if conversations.len() > page_size {
        conversations.truncate(page_size);
        conversations.last().map(store::ConversationCursor::after)
    } else {
        None
    };
    let mut response = AppJson(conversations).into_response();
    if let Some(link) =
        next.and_then(|cursor| paging::next_link(&uri, &paging::encode_cursor(&cursor)))
    {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// One conversation with its messages (and their tool calls) in order.
#[utoipa::path(get, path = "/{id}", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "conversation id")),
    responses((status = 200, body = Conversation), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<AppJson<Conversation>> {
    let id = conversation_id(&id)?;
    Ok(AppJson(store::get(&state.db, &auth.user_id, id).await?))
}

/// Delete a conversation and all its messages.
#[utoipa::path(delete, path = "/{id}", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "conversation id")),
    responses((status = 200, body = ConversationDeleted), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<AppJson<ConversationDeleted>> {
    let id = conversation_id(&id)?;
    store::delete(&state.db, &auth.user_id, id).await?;
    Ok(AppJson(ConversationDeleted {
        message: "Conversation deleted successfully",
        deleted_id: id,
    }))
}

/// A path id that is not a UUID names no conversation: 404, as for another user's.
fn conversation_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::NotFound("conversation not found"))
}
