//! The agent's hands: the MCP tools of [`crate::mcp`], reached through a real in-process MCP
//! session acting as one user, so chat can do exactly what an MCP client can and nothing more.

use std::borrow::Cow;

use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::scope::{Scope, Scopes};
use crate::db::Db;
use crate::error::ApiError;
use crate::mcp::server::TodoMcp;

/// Most tool calls one chat turn may make.
pub const MAX_TOOL_STEPS: usize = 8;

/// Buffer of the in-memory pipe between the agent's client and the tool server.
const PIPE_BYTES: usize = 256 * 1024;

/// One tool call of a turn, as stored and returned to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ToolCall {
    /// The tool's name, e.g. `add_task`.
    pub name: String,
    /// The arguments it was called with.
    #[schema(value_type = Object)]
    pub arguments: Value,
    /// What it returned: the structured result, or `{"error": message}` when it failed.
    #[schema(value_type = Object)]
    pub result: Value,
}

/// What one tool call gave back to the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    /// Whether the tool succeeded.
    pub ok: bool,
    /// The structured result on success; `{"error": message}` otherwise.
    pub value: Value,
}

impl ToolOutcome {
    /// The result of a successful call read as the type the tool returns (`Task`, `TaskList`,
    /// …); `None` when the call failed or returned something else.
    #[must_use]
    pub fn read<T: DeserializeOwned>(&self) -> Option<T> {
        if !self.ok {
            return None;
        }
        T::deserialize(&self.value).ok()
    }

    /// The error message of a failed call.
    #[must_use]
    pub fn error_message(&self) -> Option<&str> {
        if self.ok {
            return None;
        }
        self.value.get("error").and_then(Value::as_str)
    }
}

/// An open tool session for one user and one chat turn; records every call it makes.
pub struct ToolBox {
    client: RunningService<RoleClient, ()>,
    definitions: Vec<Tool>,
    calls: Vec<ToolCall>,
    /// For [`ToolBox::restore`], the one action no MCP tool offers (held to the same scopes).
    db: Db,
    user_id: String,
    scopes: Scopes,
}

impl ToolBox {
    /// Starts the tool server as `user_id`, limited to `scopes` (the agent can do no more than
    /// the token that called it), and connects a client to it; the tools' logs carry
    /// `request_id`, the id of the HTTP request the turn serves.
    ///
    /// # Errors
    /// The in-process session failed to start (a bug, reported as a 500).
    pub async fn open(
        db: &Db,
        user_id: &str,
        scopes: Scopes,
        request_id: Option<&str>,
    ) -> Result<Self, ApiError> {
        let (server_end, client_end) = tokio::io::duplex(PIPE_BYTES);
        let mut server = TodoMcp::for_user(db.clone(), user_id.to_owned()).with_scopes(scopes);
        if let Some(request_id) = request_id {
            server = server.with_request_id(request_id.to_owned());
        }
        tokio::spawn(async move {
            match server.serve(server_end).await {
                Ok(running) => drop(running.waiting().await),
                Err(err) => tracing::error!(error = %err, "in-process MCP server did not start"),
            }
        });
        let client = ()
            .serve(client_end)
            .await
            .map_err(|e| anyhow::anyhow!("in-process MCP session failed to start: {e}"))?;
        let definitions = client
            .list_all_tools()
            .await
            .map_err(|e| anyhow::anyhow!("in-process tools/list failed: {e}"))?;
        Ok(Self {
            client,
            definitions,
            calls: Vec::new(),
            db: db.clone(),
            user_id: user_id.to_owned(),
            scopes,
        })
    }

    /// The user the tools act as.
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The tools as `tools/list` describes them (name, description, input schema).
    #[must_use]
    pub fn definitions(&self) -> &[Tool] {
        &self.definitions
    }

    /// How many more calls this turn may make.
    #[must_use]
    pub fn steps_left(&self) -> usize {
        MAX_TOOL_STEPS.saturating_sub(self.calls.len())
    }

    /// Calls a tool and records the call. A tool's own failure (bad arguments, unknown task)
    /// is an `ok: false` outcome the agent can act on; past [`MAX_TOOL_STEPS`] nothing runs and
    /// the outcome says so.
    ///
    /// # Errors
    /// The in-process session broke (a bug, reported as a 500).
    pub async fn call(&mut self, name: &str, arguments: Value) -> Result<ToolOutcome, ApiError> {
        if self.steps_left() == 0 {
            return Ok(ToolOutcome {
                ok: false,
                value: json!({
                    "error": format!(
                        "Step limit reached: at most {MAX_TOOL_STEPS} tool calls per message. \
                         Answer the user with what you have."
                    )
                }),
            });
        }
        let object = match &arguments {
            Value::Object(map) => Some(map.clone()),
            Value::Null => None,
            _ => {
                let outcome = failure("Tool arguments must be a JSON object.");
                self.record(name, arguments, &outcome);
                return Ok(outcome);
            }
        };
        let mut request = CallToolRequestParams::new(Cow::Owned(name.to_owned()));
        request.arguments = object;
        let mut outcome = match self.client.call_tool(request).await {
            Ok(result) => outcome_of(result),
            // Unknown tool names and unreadable arguments come back as protocol errors; the
            // model can correct both, so they are reported to it rather than failing the turn.
            Err(rmcp::ServiceError::McpError(err)) => failure(&err.message),
            Err(err) => {
                return Err(anyhow::anyhow!("in-process tool call {name} failed: {err}").into());
            }
        };
        self.record(name, arguments, &outcome);
        hide_foreign_numbers(&mut outcome.value, &self.user_id);
        Ok(outcome)
    }

    /// [`Self::call`] with the tool's own argument type (`AddTaskArgs`, `ListTasksArgs`, …), so
    /// that a renamed field fails to compile rather than at run time.
    ///
    /// # Errors
    /// As [`Self::call`].
    pub async fn call_with<A: Serialize>(
        &mut self,
        name: &str,
        arguments: &A,
    ) -> Result<ToolOutcome, ApiError> {
        let arguments = serde_json::to_value(arguments)
            .map_err(|e| anyhow::anyhow!("tool arguments of {name} did not serialise: {e}"))?;
        self.call(name, arguments).await
    }

    /// Puts back a task this conversation deleted, with its id and number (`undo`); recorded
    /// as a `restore_task` call. Not an MCP tool: only the agent's own undo may do it, from the
    /// deleted task as its stored `delete` turn read it.
    ///
    /// # Errors
    /// Never for the task's own failures (those are an `ok: false` outcome).
    pub async fn restore(&mut self, task: Value) -> Result<ToolOutcome, ApiError> {
        let outcome = match serde_json::from_value(task.clone()) {
            // The caller's token must allow writing tasks, as `add_task` would.
            Ok(_) if !self.scopes.contains(Scope::TasksWrite) => {
                failure(&ApiError::InsufficientScope(Some(Scope::TasksWrite)).to_string())
            }
            Ok(deleted) => {
                match crate::tasks::service::restore(&self.db, &self.user_id, deleted).await {
                    Ok(restored) => ToolOutcome {
                        ok: true,
                        value: serde_json::to_value(&restored).unwrap_or(Value::Null),
                    },
                    Err(err) => failure(&err.to_string()),
                }
            }
            Err(err) => failure(&format!("not a deleted task: {err}")),
        };
        self.record("restore_task", task, &outcome);
        Ok(outcome)
    }

    /// The calls made so far, in order.
    #[must_use]
    pub fn calls(&self) -> &[ToolCall] {
        &self.calls
    }

    /// Ends the session, returning every call made.
    pub async fn close(self) -> Vec<ToolCall> {
        let Self { client, calls, .. } = self;
        if let Err(err) = client.cancel().await {
            tracing::debug!(error = %err, "closing the in-process MCP session");
        }
        calls
    }

    fn record(&mut self, name: &str, arguments: Value, outcome: &ToolOutcome) {
        self.calls.push(ToolCall {
            name: name.to_owned(),
            arguments,
            result: outcome.value.clone(),
        });
    }
}

/// Sets to 0 the `number` of every task in `value` that is not `caller`'s (one of a project
/// shared with them). Its number is its owner's, and a number said back to the agent names one of
/// the caller's own tasks, so an agent that showed it would invite a change to another task;
/// such a task is named by title and reached by its UUID. The stored call keeps the number.
fn hide_foreign_numbers(value: &mut Value, caller: &str) {
    match value {
        Value::Object(fields) => {
            let foreign = fields
                .get("user_id")
                .and_then(Value::as_str)
                .is_some_and(|owner| !crate::auth::model::is_same_user(owner, caller));
            if foreign && let Some(number) = fields.get_mut("number") {
                *number = Value::from(0);
            }
            for field in fields.values_mut() {
                hide_foreign_numbers(field, caller);
            }
        }
        Value::Array(items) => {
            for item in items {
                hide_foreign_numbers(item, caller);
            }
        }
        _ => {}
    }
}

fn failure(message: &str) -> ToolOutcome {
    ToolOutcome {
        ok: false,
        value: json!({ "error": message }),
    }
}

fn outcome_of(result: CallToolResult) -> ToolOutcome {
    let text = || {
        result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if result.is_error == Some(true) {
        return failure(&text());
    }
    let value = result.structured_content.clone().unwrap_or_else(|| {
        let text = text();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    });
    ToolOutcome { ok: true, value }
}
