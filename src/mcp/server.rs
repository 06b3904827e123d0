//! `TodoMcp`: one MCP tool per task operation, each a thin adapter over [`crate::tasks::service`]
//! (the project tools are in [`super::projects`]).

use std::{borrow::Cow, fmt, sync::Arc, time::Instant};

use rmcp::handler::server::{
    common::FromContextPart,
    router::tool::ToolRouter,
    tool::{IntoCallToolResult, ToolCallContext},
};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, Json, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tracing::Instrument;

use secrecy::{ExposeSecret, SecretString};

use super::auth;
use crate::auth::{
    AuthUser, credential,
    scope::{Scope, Scopes},
};
use crate::db::Db;
use crate::error::ApiError;
use crate::tasks::model::{
    CompletedTask, Deleted, NewTask, Precondition, Task, TaskPatch, TaskRef,
};
use crate::tasks::query::{ListTasks, ParentFilter};
use crate::tasks::service;
use uuid::Uuid;

/// The MCP server. Over HTTP it acts, on every request, as the user of that request's token;
/// over stdio as the user it was started for.
#[derive(Clone)]
pub struct TodoMcp {
    pub(super) db: Db,
    /// The user a stdio server acts as; `None` over HTTP, where each request names its own.
    local_user: Option<String>,
    /// What the local user may do (over HTTP, each request's token says).
    local_scopes: Scopes,
    /// The personal access token a stdio server was started with, checked again on every call
    /// so that revoking it stops the server acting.
    local_token: Option<Arc<SecretString>>,
    /// The request id logged with calls that arrive without an HTTP request (in-process).
    request_id: Option<String>,
    tool_router: Arc<ToolRouter<Self>>,
}

impl fmt::Debug for TodoMcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TodoMcp")
            .field("local_user", &self.local_user)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// A task named by its UUID or its per-user number.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TaskId {
    /// The per-user number ("task 3" → 3).
    Number(i64),
    /// The UUID, or the number as text ("3", "#3").
    Text(String),
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Arguments of `add_task`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct AddTaskArgs {
    /// The new task.
    #[serde(flatten)]
    pub task: NewTask,
    /// The project (list) to put it in, by name ("Groceries": ignoring case, among the user's
    /// projects that are not archived, shared ones included; "inbox" is the Inbox) or by UUID;
    /// instead of `project_id`. The Inbox when neither is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Make it a subtask of this task: its number as shown to the user (e.g. 5) or its UUID;
    /// instead of `parent_id`. A subtask goes in its parent's project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TaskId>,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `get_task` and `delete_task`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TaskArgs {
    /// The task: its number as shown to the user (e.g. 3) or its UUID. A task in a project
    /// someone shared with the user takes its UUID: numbers are per owner.
    #[serde(alias = "id")]
    pub task_id: TaskId,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `update_task`: the task, and only the fields to change.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct UpdateTaskArgs {
    /// The task: its number as shown to the user (e.g. 3) or its UUID. A task in a project
    /// someone shared with the user takes its UUID: numbers are per owner.
    #[serde(alias = "id")]
    pub task_id: TaskId,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Fields to change; absent fields stay as they are, null clears a field.
    #[serde(flatten)]
    pub changes: TaskPatch,
    /// Move the task to this project (list), by name ("Work": ignoring case, among the user's
    /// projects that are not archived; "inbox" is the Inbox) or by UUID; instead of
    /// `project_id`. Only between projects of one owner (a shared task stays among its
    /// owner's projects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Make it a subtask of this task (its number, e.g. 5, or its UUID), moving it into that
    /// task's project; instead of `parent_id` (`parent_id: null` moves it to the top level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TaskId>,
}

/// Arguments of `complete_task`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CompleteTaskArgs {
    /// The task: its number as shown to the user (e.g. 3) or its UUID. A task in a project
    /// someone shared with the user takes its UUID: numbers are per owner.
    #[serde(alias = "id")]
    pub task_id: TaskId,
    /// true (default) marks the task done; false reopens it. Completing a recurring task also
    /// creates its next occurrence, returned as `next_occurrence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Arguments of `list_tasks`: the core's list request, and the reference design's `user_id`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListTasksArgs {
    /// What to list; every filter is optional and they combine.
    #[serde(flatten)]
    pub list: ListTasks,
    /// Only tasks of this project (list), by name ("Groceries": ignoring case, among the
    /// user's projects that are not archived, shared ones included; "inbox" is the Inbox) or
    /// by UUID; instead of `project_id`. A name that is none of the user's projects is an error, not an empty
    /// page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only the subtasks of this task: its number (e.g. 5) or its UUID; instead of
    /// `parent_id` (which also takes `none`: top-level tasks only). Sort by `position`, `asc`,
    /// for the order the user arranged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TaskId>,
    /// Optional, for clients of the reference design: the signed-in user's id. Any other value
    /// is refused; omit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl From<ListTasks> for ListTasksArgs {
    fn from(list: ListTasks) -> Self {
        Self {
            list,
            project: None,
            parent: None,
            user_id: None,
        }
    }
}

impl TaskArgs {
    /// Names the signed-in user's task by number.
    #[must_use]
    pub fn number(number: i64) -> Self {
        Self {
            task_id: TaskId::Number(number),
            user_id: None,
        }
    }
}

/// One page of tasks.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TaskList {
    /// The matching tasks, in the requested order.
    pub tasks: Vec<Task>,
    /// How many tasks match, over all pages.
    pub total: i64,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Tool arguments, read like rmcp's own `Parameters` but naming the argument at fault when one
/// is malformed (`priority: must be one of …`), so that the model can correct it.
#[derive(Debug)]
pub struct Parameters<T>(pub T);

impl<T: JsonSchema> JsonSchema for Parameters<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let arguments = context.arguments.take().unwrap_or_default();
        if let Some(field) = crate::input::find_nul_in(&arguments, "") {
            return Err(ErrorData::invalid_params(
                format!(
                    "failed to deserialize parameters: {field}: must not contain a NUL \
                     character (U+0000). Correct the arguments and call the tool again."
                ),
                None,
            ));
        }
        serde_path_to_error::deserialize(serde_json::Value::Object(arguments.clone()))
            .map(Self)
            .map_err(|err| {
                let path = err.path().to_string();
                let at = if path == "." {
                    culprit::<T>(&arguments).map_or_else(String::new, |key| format!("{key}: "))
                } else {
                    format!("{path}: ")
                };
                // rmcp turns errors with this prefix into `isError` results.
                ErrorData::invalid_params(
                    format!(
                        "failed to deserialize parameters: {at}{}. Correct the arguments and call \
                         the tool again.",
                        err.into_inner()
                    ),
                    None,
                )
            })
    }
}

/// The one argument without which the others parse. Errors inside `#[serde(flatten)]`ed fields
/// carry no path, so this names the field for the model.
fn culprit<T: DeserializeOwned>(arguments: &JsonObject) -> Option<&str> {
    arguments.keys().map(String::as_str).find(|key| {
        let mut rest = arguments.clone();
        rest.remove(*key);
        serde_json::from_value::<T>(serde_json::Value::Object(rest)).is_ok()
    })
}

/// Why a tool call failed.
#[derive(Debug)]
pub enum ToolError {
    /// A failure the model can read and correct: an `isError` result.
    Failed(String),
    /// A protocol failure (no identity): a JSON-RPC error.
    Protocol(ErrorData),
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        match self {
            Self::Failed(message) => {
                Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into())
            }
            Self::Protocol(error) => Err(error),
        }
    }
}

impl From<ApiError> for ToolError {
    fn from(err: ApiError) -> Self {
        Self::Failed(describe(err))
    }
}

/// A message for the model: what is wrong and what to do, never internals.
fn describe(err: ApiError) -> String {
    match err {
        ApiError::Validation(errors) => {
            let fields: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            format!(
                "Invalid input: {}. Correct these fields and call the tool again.",
                fields.join("; ")
            )
        }
        ApiError::Internal(cause) => {
            let (error, sqlstate) = crate::error::loggable(&cause);
            tracing::error!(error, sqlstate, "MCP tool failed");
            "Internal error; it has been logged. Try again later.".to_owned()
        }
        other => other.to_string(),
    }
}

#[tool_router]
impl TodoMcp {
    /// A server for HTTP: each request acts as its token's user.
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self {
            db,
            local_user: None,
            local_scopes: Scopes::NONE,
            local_token: None,
            request_id: None,
            tool_router: Arc::new(Self::routes()),
        }
    }

    /// A server acting as `user_id` (stdio, in-process clients), allowed to read and write
    /// tasks.
    #[must_use]
    pub fn for_user(db: Db, user_id: String) -> Self {
        Self {
            local_user: Some(user_id),
            local_scopes: Scopes::NONE.with(Scope::TasksRead).with(Scope::TasksWrite),
            ..Self::new(db)
        }
    }

    /// Limits the local user to `scopes` (the chat agent acts with its caller's token's).
    #[must_use]
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.local_scopes = scopes;
        self
    }

    /// Checks the personal access token `token` before every call (stdio started with one).
    #[must_use]
    pub fn with_token(mut self, token: SecretString) -> Self {
        self.local_token = Some(Arc::new(token));
        self
    }

    /// Logs calls that carry no HTTP request (the chat agent's, in-process) under
    /// `request_id`, so that they can be traced to the request that caused them.
    #[must_use]
    pub fn with_request_id(mut self, request_id: String) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// Every tool: the task tools here and the project tools of [`super::projects`].
    fn routes() -> ToolRouter<Self> {
        Self::tool_router() + Self::project_router()
    }

    /// The definitions of every tool, as `tools/list` returns them.
    #[must_use]
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        self.tool_router.list_all()
    }

    /// The user this call acts as: the request's authenticated user over HTTP (read on every
    /// call, never remembered), the configured one otherwise; refused unless its token carries
    /// `scope`. A `user_id` argument must name that same user.
    pub(super) async fn caller(
        &self,
        ctx: &RequestContext<RoleServer>,
        claimed: Option<&str>,
        scope: Scope,
    ) -> Result<String, ToolError> {
        let (user_id, scopes) = match ctx.extensions.get::<axum::http::request::Parts>() {
            Some(parts) => parts
                .extensions
                .get::<AuthUser>()
                .map(|user| (user.user_id.clone(), user.scopes)),
            None => self.local_user.clone().map(|id| (id, self.local_scopes)),
        }
        .ok_or_else(|| {
            ToolError::Protocol(ErrorData::invalid_request("authentication required", None))
        })?;
        if !scopes.contains(scope) {
            return Err(ApiError::InsufficientScope(Some(scope)).into());
        }
        if let Some(token) = &self.local_token {
            let standing = credential::find_pat(&self.db, token.expose_secret()).await?;
            let now = chrono::Utc::now();
            if standing.is_none_or(|pat| pat.expires_at.is_some_and(|at| at <= now)) {
                return Err(ToolError::Failed(
                    "the access token this server was started with has been revoked or has expired"
                        .to_owned(),
                ));
            }
        }
        match claimed.map(str::trim).filter(|c| !c.is_empty()) {
            Some(claimed) if !crate::auth::model::is_same_user(claimed, &user_id) => {
                Err(ToolError::Failed(
                    "user_id is not the signed-in user: tools only act as the signed-in user. \
                 Omit user_id."
                        .to_owned(),
                ))
            }
            _ => Ok(user_id),
        }
    }

    /// Add a task for the signed-in user. Only `title` is required; `project` names the list
    /// to put it in ("Groceries", also a project shared with the user as editor or admin),
    /// else it goes to the Inbox. Returns the created task with its `number`, the handle the
    /// user will use to refer to it (in a shared project: its owner's number; use its `id`).
    #[tool(annotations(
        title = "Add a task",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn add_task(
        &self,
        Parameters(mut args): Parameters<AddTaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Task>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        args.task.project_id = self
            .project_id(&user, args.project.as_deref(), args.task.project_id)
            .await?;
        args.task.parent_id = self
            .parent_id(&user, args.parent.as_ref(), args.task.parent_id)
            .await?;
        Ok(Json(service::create(&self.db, &user, args.task).await?))
    }

    /// List the signed-in user's tasks, newest first unless `sort`/`order` say otherwise,
    /// optionally filtered by project (`project`: "Work"; a project shared with the user lists
    /// its owner's tasks there, which are then named by `id`), status, priority, tags, text,
    /// due dates or overdue. Returns one page (`limit`, default 100) with the total and the cursor
    /// of the next page.
    #[tool(annotations(
        title = "List tasks",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_tasks(
        &self,
        Parameters(mut args): Parameters<ListTasksArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<TaskList>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksRead)
            .await?;
        args.list.project_id = self
            .project_id(&user, args.project.as_deref(), args.list.project_id)
            .await?;
        if args.parent.is_some() {
            let asked = match args.list.parent_id {
                Some(ParentFilter::Of(id)) => Some(id),
                _ => None,
            };
            args.list.parent_id = self
                .parent_id(&user, args.parent.as_ref(), asked)
                .await?
                .map(ParentFilter::Of);
        }
        let filter = service::filter_for(&self.db, &user, &args.list, Vec::new()).await?;
        let page = service::list(&self.db, &user, &filter).await?;
        Ok(Json(TaskList {
            tasks: page.tasks,
            total: page.total,
            next_cursor: page.next_cursor,
        }))
    }

    /// Get one task: the signed-in user's own by number or UUID, a task of a project shared
    /// with them by UUID (numbers are per owner).
    #[tool(annotations(
        title = "Get a task",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn get_task(
        &self,
        Parameters(args): Parameters<TaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Task>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksRead)
            .await?;
        let task = task_ref(&args.task_id)?;
        service::get(&self.db, &user, task)
            .await
            .map(Json)
            .map_err(|e| not_found(e, &args.task_id))
    }

    /// Change some fields of a task; fields left out stay as they are, null clears a field.
    /// `project` moves it to another list ("Work"). A task of a project shared with the user
    /// is named by its UUID (numbers are per owner), and viewers of it cannot change it.
    /// Returns the updated task.
    #[tool(annotations(
        title = "Update a task",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn update_task(
        &self,
        Parameters(mut args): Parameters<UpdateTaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Task>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let task = task_ref(&args.task_id)?;
        args.changes.project_id = self
            .project_id(&user, args.project.as_deref(), args.changes.project_id)
            .await?;
        if args.parent.is_some() {
            let asked = args.changes.parent_id.flatten();
            args.changes.parent_id =
                Some(self.parent_id(&user, args.parent.as_ref(), asked).await?);
        }
        service::update(&self.db, &user, task, args.changes, &Precondition::None)
            .await
            .map(Json)
            .map_err(|e| not_found(e, &args.task_id))
    }

    /// Mark a task done (or, with completed=false, not done). Completing a recurring task
    /// schedules its next occurrence, returned as `next_occurrence`. A task of a project
    /// shared with the user is named by its UUID (numbers are per owner); viewers cannot
    /// complete it.
    #[tool(annotations(
        title = "Complete a task",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn complete_task(
        &self,
        Parameters(args): Parameters<CompleteTaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<CompletedTask>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let task = task_ref(&args.task_id)?;
        let completed = Some(args.completed.unwrap_or(true));
        service::set_completed(&self.db, &user, task, completed, &Precondition::None)
            .await
            .map(Json)
            .map_err(|e| not_found(e, &args.task_id))
    }

    /// Delete a task for good. A task of a project shared with the user is named by its UUID
    /// (numbers are per owner); viewers cannot delete it. Returns the id of the deleted task.
    #[tool(annotations(
        title = "Delete a task",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn delete_task(
        &self,
        Parameters(args): Parameters<TaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<Deleted>, ToolError> {
        let user = self
            .caller(&ctx, args.user_id.as_deref(), Scope::TasksWrite)
            .await?;
        let task = task_ref(&args.task_id)?;
        let deleted_id = service::delete(&self.db, &user, task, &Precondition::None)
            .await
            .map_err(|e| not_found(e, &args.task_id))?;
        Ok(Json(Deleted {
            message: "Task deleted successfully",
            deleted_id,
        }))
    }
}

#[tool_handler(
    router = self.tool_router,
    name = "tudu",
    instructions = "tudu: the signed-in user's task list. Every tool acts as that user only. Refer to a task by its number as shown to the user (task 3 → task_id 3) or by its UUID; a task in a project another user shared with this one only by its UUID (numbers are per owner). Tasks live in projects (lists; every user has an Inbox): list_projects shows them, those shared with the user too with the user's role (viewer, editor, admin), share_project shares one by email, list_members shows who a project is shared with, unshare_project removes a member by email, change_member_role changes a member's role (owner hands the project over), leave_project leaves a project shared with the user, and add_task, update_task and list_tasks take a project by name (project: \"Groceries\"). A task can have subtasks: add_task and update_task take parent (the parent task's number or UUID), list_tasks takes parent to list one task's subtasks; completing a task completes its open subtasks. Dates are RFC 3339 instants (2026-12-01T17:00:00Z) or a date/date-time without offset, read in the user's time zone (2026-12-01, 2026-12-01T17:00). Failed calls return isError with a message saying what to correct."
)]
impl ServerHandler for TodoMcp {
    /// Routes a call, accepting the reference design's `todo_*` names as aliases.
    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(name) = canonical_name(&request.name, request.arguments.as_ref()) {
            request.name = Cow::Borrowed(name);
        }
        let tool = tool_label(&request.name);
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let request_id = parts
            .and_then(|p| p.headers.get(crate::observe::REQUEST_ID_HEADER))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| self.request_id.clone());
        let user_id = parts.map_or_else(|| self.local_user.clone(), auth::user_of);
        let span = tracing::info_span!(
            "tool_call",
            tool,
            request_id = request_id.as_deref(),
            user_id = user_id.as_deref(),
        );
        let start = Instant::now();
        let call = ToolCallContext::new(self, request, context);
        let result = self.tool_router.call(call).instrument(span.clone()).await;
        let elapsed = start.elapsed();
        let outcome = outcome_of(&result);
        span.in_scope(|| {
            tracing::info!(
                outcome,
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "tool call completed"
            );
        });
        crate::metrics::mcp_tool_call(tool, outcome, elapsed);
        result
    }
}

/// Every tool's name, for metric labels: a name a client makes up must not become a series.
const TOOL_NAMES: [&str; 13] = [
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
    "update_task",
];

fn tool_label(name: &str) -> &'static str {
    TOOL_NAMES
        .into_iter()
        .find(|known| *known == name)
        .unwrap_or(crate::metrics::UNKNOWN_TOOL)
}

/// `ok`, `tool_error` (an `isError` result the model can act on) or `protocol_error`.
fn outcome_of(result: &Result<CallToolResponse, ErrorData>) -> &'static str {
    match result {
        Ok(CallToolResponse::Complete(done)) if done.is_error == Some(true) => "tool_error",
        Ok(_) => "ok",
        Err(_) => "protocol_error",
    }
}

/// The scope the tool (or alias) `name` needs; `None` for a name that is no tool.
#[must_use]
pub fn tool_scope(name: &str, arguments: Option<&JsonObject>) -> Option<Scope> {
    match canonical_name(name, arguments).unwrap_or(name) {
        // As on REST: projects are read and written with the task scopes.
        "list_tasks" | "get_task" | "list_projects" | "list_members" => Some(Scope::TasksRead),
        "add_task" | "update_task" | "complete_task" | "delete_task" | "add_project"
        | "share_project" | "unshare_project" | "leave_project" | "change_member_role" => {
            Some(Scope::TasksWrite)
        }
        _ => None,
    }
}

/// The tool an alias stands for; `todo_read` reads one task when given an id, else lists.
fn canonical_name(name: &str, arguments: Option<&JsonObject>) -> Option<&'static str> {
    let names_a_task =
        arguments.is_some_and(|args| args.contains_key("task_id") || args.contains_key("id"));
    match name {
        "todo_create" => Some("add_task"),
        "todo_read" if names_a_task => Some("get_task"),
        "todo_read" | "todo_list" => Some("list_tasks"),
        "todo_update" => Some("update_task"),
        "todo_delete" => Some("delete_task"),
        _ => None,
    }
}

impl TodoMcp {
    /// The task `parent` names, as the `parent_id` it stands for; `parent_id` when `parent`
    /// is not given.
    async fn parent_id(
        &self,
        user: &str,
        parent: Option<&TaskId>,
        parent_id: Option<Uuid>,
    ) -> Result<Option<Uuid>, ToolError> {
        let Some(parent) = parent else {
            return Ok(parent_id);
        };
        let found = service::get(&self.db, user, task_ref(parent)?)
            .await
            .map_err(|err| match err {
                ApiError::NotFound(_) => ToolError::Failed(format!(
                    "parent {parent} is not one of the user's tasks. Call list_tasks to see them."
                )),
                other => other.into(),
            })?;
        match parent_id {
            Some(id) if id != found.id => Err(ToolError::Failed(format!(
                "parent {parent} and parent_id {id} name different tasks. Pass only one of them."
            ))),
            _ => Ok(Some(found.id)),
        }
    }
}

fn task_ref(task_id: &TaskId) -> Result<TaskRef, ToolError> {
    let parsed = match task_id {
        TaskId::Number(n) => TaskRef::parse(&n.to_string()),
        TaskId::Text(t) => TaskRef::parse(t),
    };
    parsed.ok_or_else(|| {
        ToolError::Failed(format!(
            "task_id {task_id} is neither a task number (1, 2, 3 …) nor a task UUID. \
             Call list_tasks to see the user's tasks."
        ))
    })
}

/// Names the task in a not-found message; other failures as usual.
fn not_found(err: ApiError, task_id: &TaskId) -> ToolError {
    match err {
        ApiError::NotFound(_) => ToolError::Failed(format!(
            "Task {task_id} was not found among the user's tasks. Call list_tasks to see them \
             with their numbers."
        )),
        other => other.into(),
    }
}

/// Serves the tools of `server` (made for one user) over stdin/stdout until the client closes
/// the stream.
///
/// # Errors
/// The client never completed the handshake, or the transport failed.
pub async fn serve_stdio(server: TodoMcp) -> anyhow::Result<()> {
    let server = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("MCP session over stdio failed to start: {e}"))?;
    server.waiting().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{TOOL_NAMES, TodoMcp, tool_label};

    #[test]
    fn every_tool_has_its_own_metric_label() {
        let routed: Vec<String> = TodoMcp::routes()
            .list_all()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect();
        assert_eq!(routed, TOOL_NAMES.map(str::to_owned));
        assert_eq!(tool_label("list_tasks"), "list_tasks");
        assert_eq!(tool_label("made_up_by_a_client"), "unknown");
    }
}
