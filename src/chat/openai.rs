//! The `openai` agent: an OpenAI-compatible chat-completions model calling the MCP tools.
//!
//! Requests go through `async-openai`'s client (base URL, key, error bodies); responses are
//! read into the lenient types below, because local providers (Ollama, llama.cpp server, vLLM)
//! omit fields the official schema marks as required, and some send tool arguments as an
//! object instead of a JSON string.

use std::time::Duration;

use async_openai::{Client, config::OpenAIConfig, error::OpenAIError};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::agent::{Role, Turn};
use super::local::{
    self, bulk,
    command::{BulkAction, Command},
};
use super::tools::{MAX_TOOL_STEPS, ToolBox};
use crate::config::ChatSettings;
use crate::error::ApiError;

/// How long to wait for a connection to the provider; the turn's deadline bounds the rest.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A configured OpenAI-compatible provider.
#[derive(Clone)]
pub struct OpenAiAgent {
    client: Client<OpenAIConfig>,
    model: String,
    turn_deadline: Duration,
    /// Kept to take it out of provider errors before they are logged.
    api_key: Option<secrecy::SecretString>,
}

impl std::fmt::Debug for OpenAiAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiAgent")
            .field("model", &self.model)
            .field("turn_deadline", &self.turn_deadline)
            .finish_non_exhaustive()
    }
}

/// A chat-completions response, reading only what the agent needs.
#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Debug, Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<RequestedCall>>,
}

#[derive(Debug, Deserialize)]
struct RequestedCall {
    #[serde(default)]
    id: String,
    function: RequestedFunction,
}

#[derive(Debug, Deserialize)]
struct RequestedFunction {
    name: String,
    /// A JSON string per the API; an object from some local providers.
    #[serde(default)]
    arguments: Value,
}

impl OpenAiAgent {
    /// A client for the configured provider.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(settings: &ChatSettings) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let mut config = OpenAIConfig::new().with_api_base(&settings.openai_base_url);
        if let Some(key) = &settings.openai_api_key {
            config = config.with_api_key(key.expose_secret());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(Self {
            client: Client::with_config(config).with_http_client(http),
            model: settings.model.clone(),
            turn_deadline: settings.llm_timeout,
            api_key: settings.openai_api_key.clone(),
        })
    }

    /// Answers one turn by letting the model call tools, at most [`MAX_TOOL_STEPS`] times.
    ///
    /// # Errors
    /// 502 when the provider fails or answers nonsense, 504 past the turn's deadline.
    pub async fn reply(&self, turn: &Turn<'_>, tools: &mut ToolBox) -> Result<String, ApiError> {
        // The "yes" to a bulk question this agent asked is carried out as asked, from the
        // stored question, without the model: what is deleted is what the user saw listed.
        if bulk::pending(turn.history).is_some()
            && local::parse(turn.message, turn.now, turn.timezone) == Command::Confirm
        {
            return bulk::confirm(turn.history, tools).await;
        }
        let deadline = Instant::now() + self.turn_deadline;
        let mut deletes = DeleteGuard::default();
        let tool_specs: Vec<Value> = tools
            .definitions()
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description.as_deref().unwrap_or_default(),
                        "parameters": tool.input_schema.as_ref(),
                    }
                })
            })
            .collect();
        let mut messages = opening_messages(turn);
        // One more model call than tool steps: the last one must answer in words.
        for _ in 0..=MAX_TOOL_STEPS {
            let may_call_tools = tools.steps_left() > 0;
            let mut request = json!({
                "model": self.model,
                "messages": messages,
                "stream": false,
            });
            if may_call_tools {
                request["tools"] = Value::Array(tool_specs.clone());
            }
            let message = self.complete(request, deadline).await?;
            let requested = message.tool_calls.unwrap_or_default();
            if requested.is_empty() || !may_call_tools {
                let said = message
                    .content
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or_else(|| "Done.".to_owned());
                return deletes.finish(said, tools).await;
            }
            messages.push(json!({
                "role": "assistant",
                "content": message.content,
                "tool_calls": requested.iter().map(|call| json!({
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.function.name,
                        "arguments": arguments_text(&call.function.arguments),
                    }
                })).collect::<Vec<_>>(),
            }));
            let batch_deletes = requested
                .iter()
                .filter(|c| is_delete(&c.function.name))
                .count();
            for call in requested {
                let arguments = parse_arguments(call.function.arguments);
                let content = if is_delete(&call.function.name)
                    && let Some(refusal) = deletes.hold(&arguments, batch_deletes)
                {
                    refusal
                } else {
                    let outcome = tools.call(&call.function.name, arguments).await?;
                    if is_delete(&call.function.name) && outcome.ok {
                        deletes.ran += 1;
                    }
                    outcome.value.to_string()
                };
                messages.push(json!({
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": content,
                }));
            }
        }
        deletes
            .finish(
                "I stopped after too many steps; ask me again with fewer things at once."
                    .to_owned(),
                tools,
            )
            .await
    }

    async fn complete(
        &self,
        request: Value,
        deadline: Instant,
    ) -> Result<AssistantMessage, ApiError> {
        let chat = self.client.chat();
        let call = chat.create_byot::<Value, Completion>(request);
        let started = std::time::Instant::now();
        let answer = match tokio::time::timeout_at(deadline, call).await {
            Err(_) => Err(ApiError::GatewayTimeout),
            Ok(Err(err)) => Err(provider_error(&err, self.api_key.as_ref())),
            Ok(Ok(completion)) => completion
                .choices
                .into_iter()
                .next()
                .map(|choice| choice.message)
                .ok_or_else(|| {
                    tracing::warn!("LLM provider answered without any choice");
                    ApiError::BadGateway
                }),
        };
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(ApiError::GatewayTimeout) => "timeout",
            Err(_) => "error",
        };
        crate::metrics::llm_call(outcome, started.elapsed());
        answer
    }
}

fn is_delete(name: &str) -> bool {
    matches!(name, "delete_task" | "todo_delete")
}

/// Deletes of one turn: one may run; asked for more than one, none of the rest run and the
/// turn ends with the bulk question of the local agent, which the user's "yes" answers.
#[derive(Default)]
struct DeleteGuard {
    ran: usize,
    held: Vec<Value>,
}

impl DeleteGuard {
    /// The tool result to give the model instead of running this delete, when it must wait.
    fn hold(&mut self, arguments: &Value, in_batch: usize) -> Option<String> {
        if in_batch <= 1 && self.ran == 0 && self.held.is_empty() {
            return None;
        }
        let id = arguments
            .get("task_id")
            .or_else(|| arguments.get("id"))
            .cloned()
            .unwrap_or(Value::Null);
        if !id.is_null() && !self.held.contains(&id) {
            self.held.push(id);
        }
        Some(
            json!({ "error": "Not deleted yet: deleting several tasks needs the user's \
                confirmation. Do not retry; tell the user they will be asked to reply yes." })
            .to_string(),
        )
    }

    /// The turn's reply: the model's words, and the question about held deletes.
    async fn finish(self, said: String, tools: &mut ToolBox) -> Result<String, ApiError> {
        if self.held.is_empty() {
            return Ok(said);
        }
        let question = bulk::ask_ids(BulkAction::Delete, &self.held, tools).await?;
        Ok(format!("{said}\n{question}"))
    }
}

/// The system prompt, the recent history and the new message.
fn opening_messages(turn: &Turn<'_>) -> Vec<Value> {
    let local = turn.now.with_timezone(&turn.timezone);
    let system = format!(
        "You are tudu, a helpful assistant that manages the user's task list. You can act only \
         through the tools; never claim to have changed something without a successful tool \
         call. It is now {} in the user's time zone {} ({} UTC). Pass dates to tools as a date \
         or date-time without offset (2026-12-01 or 2026-12-01T17:00), which the tools read in \
         the user's time zone; a time alone means today if still ahead, else tomorrow. Refer \
         to tasks by their number; a task in a list someone shared with the user by its id \
         (numbers are per owner). Tasks live in lists (projects; every user has an Inbox): \
         pass a list's name as `project` to add_task, update_task or list_tasks, and call \
         list_projects to see the user's lists (shared ones too, with the user's role); a \
         name that is none of them is not a list. share_project shares a list by email; \
         list_members, unshare_project, change_member_role and leave_project see and change \
         who it is shared with: a person only by their whole email, never guessed. Rules: never act on a request the user negates (\"don't \
         delete it\" changes nothing). \"It\", \"that one\" or \"the last one\" mean only a \
         task named or shown earlier in this conversation; with none, ask which task. A task \
         is named by whole words of its title, never by part of a word. A task number is a \
         whole number from 1: for anything else (0, -1, 2.5, \"a couple\") ask. When a \
         request could mean several tasks, ask which one, listing their numbers, instead of \
         guessing. Delete at most one task per message: to delete several, call delete_task \
         for each and the app will list them and ask the user to confirm. Answer in one or \
         two short, friendly sentences.",
        local.format("%A %-d %B %Y, %H:%M"),
        turn.timezone.name(),
        turn.now.format("%Y-%m-%dT%H:%MZ"),
    );
    let mut messages = Vec::with_capacity(turn.history.len() + 2);
    messages.push(json!({ "role": "system", "content": system }));
    for past in turn.history {
        let role = match past.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({ "role": role, "content": past.content }));
    }
    messages.push(json!({ "role": "user", "content": turn.message }));
    messages
}

/// Tool arguments as the model sent them: a JSON string to parse, or already an object. A
/// string that is not JSON is passed on as a string, which the tool session refuses with a
/// message the model can act on.
fn parse_arguments(arguments: Value) -> Value {
    match arguments {
        Value::String(text) if text.trim().is_empty() => json!({}),
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Value::Null => json!({}),
        other => other,
    }
}

fn arguments_text(arguments: &Value) -> String {
    match arguments {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Logs what the provider said (never the key) and maps it to 502, or 504 for its timeouts.
fn provider_error(err: &OpenAIError, api_key: Option<&secrecy::SecretString>) -> ApiError {
    // Some providers quote the key they were sent in their error ("Incorrect API key
    // provided: sk-…"), so it is cut out of whatever they said.
    let redacted = |text: String| match api_key.map(secrecy::ExposeSecret::expose_secret) {
        Some(key) if !key.is_empty() => text.replace(key, "[redacted]"),
        _ => text,
    };
    match err {
        OpenAIError::Reqwest(e) if e.is_timeout() => ApiError::GatewayTimeout,
        OpenAIError::ApiError(e) => {
            let said = redacted(e.api_error.to_string());
            tracing::warn!(status = %e.status_code, provider_error = %said, "LLM provider refused the request");
            ApiError::BadGateway
        }
        other => {
            let error = redacted(other.to_string());
            tracing::warn!(%error, "LLM provider call failed");
            ApiError::BadGateway
        }
    }
}
