//! One chat turn, end to end: budget, conversation, agent, storage.

use std::sync::Arc;

use tracing::Instrument as _;

use super::agent::{Agent, Turn};
use super::limit::{Allowance, ChatLimiter};
use super::model::{ChatInput, ChatResponse, ConversationRef};
use super::store;
use super::tools::ToolBox;
use crate::auth::scope::Scopes;
use crate::config::{AgentKind, ChatSettings, Settings};
use crate::db::Db;
use crate::error::{ApiError, Result};

/// The chat agent, its limiter and how much history it sees; built once at start.
#[derive(Debug, Clone)]
pub struct Chat {
    /// The agent that answers.
    pub agent: Agent,
    /// Per-user message budget.
    pub limiter: ChatLimiter,
    /// Earlier messages given to the agent with each turn.
    pub history: usize,
}

impl Chat {
    /// Builds the configured agent and limiter (connecting to Redis when `REDIS_URL` is set).
    ///
    /// # Errors
    /// Redis does not answer, or the provider's HTTP client cannot be built.
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Arc<Self>> {
        let limiter = match &settings.redis_url {
            Some(url) => ChatLimiter::redis(url, settings.chat.rate_limit_per_minute).await?,
            None => ChatLimiter::in_memory(settings.chat.rate_limit_per_minute),
        };
        Ok(Arc::new(Self {
            agent: agent_for(&settings.chat)?,
            limiter,
            history: settings.chat.history,
        }))
    }
}

fn agent_for(settings: &ChatSettings) -> anyhow::Result<Agent> {
    Ok(match settings.agent {
        AgentKind::Local => Agent::Local,
        AgentKind::Openai => Agent::OpenAi(Box::new(super::openai::OpenAiAgent::new(settings)?)),
    })
}

/// Answers one message of `user_id`: spends one unit of the user's budget, stores the
/// message, lets the agent act through the tools as that user, and stores the reply with its
/// tool calls.
///
/// # Errors
/// 429 past the budget, 404 for a conversation that is not the user's, 502/504 when the
/// model provider fails or is too slow (the user's message is kept either way).
pub async fn send(
    chat: &Arc<Chat>,
    db: &Db,
    user_id: &str,
    scopes: Scopes,
    request_id: Option<&str>,
    input: ChatInput,
) -> Result<(ChatResponse, Allowance)> {
    let allowance = chat.limiter.check(user_id).await?;
    // A client that hangs up drops this future. Run inline, the turn would stop wherever it
    // was: after tools had changed tasks but before they were stored, leaving a conversation
    // that does not show what was done. Spawned, the turn always finishes and is stored.
    let turn = tokio::spawn(
        {
            let chat = Arc::clone(chat);
            let db = db.clone();
            let user_id = user_id.to_owned();
            let request_id = request_id.map(str::to_owned);
            async move {
                let started = std::time::Instant::now();
                let answered =
                    answer(&chat, &db, &user_id, scopes, request_id.as_deref(), input).await;
                let outcome = match &answered {
                    Ok(_) => "ok",
                    Err(ApiError::BadGateway) => "provider_error",
                    Err(ApiError::GatewayTimeout) => "timeout",
                    Err(ApiError::NotFound(_)) => "not_found",
                    Err(_) => "error",
                };
                crate::metrics::chat_turn(chat.agent.name(), outcome, started.elapsed());
                answered
            }
        }
        .in_current_span(),
    );
    let answered = turn.await.unwrap_or_else(|err| {
        Err(ApiError::Internal(
            anyhow::Error::new(err).context("chat turn"),
        ))
    });
    answered.map(|response| (response, allowance))
}

async fn answer(
    chat: &Chat,
    db: &Db,
    user_id: &str,
    scopes: Scopes,
    request_id: Option<&str>,
    input: ChatInput,
) -> Result<ChatResponse> {
    let conversation = match input.conversation {
        ConversationRef::New => None,
        ConversationRef::Existing(id) => Some(id),
        ConversationRef::Unknown => return Err(ApiError::NotFound("conversation not found")),
    };
    let timezone = crate::auth::service::timezone(db, user_id).await?;
    let opened = store::open_turn(db, user_id, conversation, &input.message, chat.history).await?;
    let turn = Turn {
        message: &input.message,
        history: &opened.history,
        now: crate::db::now(),
        timezone,
    };
    let mut tools = ToolBox::open(db, user_id, scopes, request_id).await?;
    let reply = chat.agent.reply(&turn, &mut tools).await;
    let tool_calls = tools.close().await;
    match reply {
        Ok(response) => {
            store::close_turn(db, user_id, opened.conversation_id, &response, &tool_calls).await?;
            Ok(ChatResponse {
                conversation_id: opened.conversation_id,
                agent_response: response.clone(),
                response,
                tool_calls,
            })
        }
        Err(err) => {
            // Tools that ran before the failure changed tasks; the conversation must show it.
            if !tool_calls.is_empty() {
                let note = format!("(No reply: {err})");
                if let Err(store_err) =
                    store::close_turn(db, user_id, opened.conversation_id, &note, &tool_calls).await
                {
                    tracing::warn!(error = %store_err, "could not store the tool calls of a failed turn");
                }
            }
            Err(err)
        }
    }
}
