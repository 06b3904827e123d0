//! Scopes: what a token may do, and the one table of what every route needs. The docs' scope
//! matrix is rendered from [`ROUTES`] (a test keeps `docs/api.md` equal to it).

use std::fmt;

use axum::http::Method;
use serde::{Serialize, Serializer, ser::SerializeSeq};

/// One permission a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read tasks and their statistics.
    TasksRead,
    /// Create, change, complete and delete tasks.
    TasksWrite,
    /// Talk to the chat agent and read the stored conversations.
    Chat,
    /// Use the MCP endpoint (each tool also needs its tasks scope).
    Mcp,
    /// Manage the account and its tokens: sessions only, never a personal access token.
    Account,
}

impl Scope {
    /// Every scope, in the order documents list them.
    pub const ALL: [Self; 5] = [
        Self::TasksRead,
        Self::TasksWrite,
        Self::Chat,
        Self::Mcp,
        Self::Account,
    ];

    /// The scope's name in requests, responses and `WWW-Authenticate`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::TasksRead => "tasks:read",
            Self::TasksWrite => "tasks:write",
            Self::Chat => "chat",
            Self::Mcp => "mcp",
            Self::Account => "account",
        }
    }

    /// The scope named `name`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// No scope at all.
    pub const NONE: Self = Self(0);
    /// What a session (the token of a login) may do: everything.
    pub const SESSION: Self = Self(0b1_1111);

    /// Whether `scope` is in the set.
    #[must_use]
    pub const fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The set with `scope` added.
    #[must_use]
    pub const fn with(self, scope: Scope) -> Self {
        Self(self.0 | scope.bit())
    }

    /// The set with `scope` removed.
    #[must_use]
    pub const fn without(self, scope: Scope) -> Self {
        Self(self.0 & !scope.bit())
    }

    /// The scopes in the set, in [`Scope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Every subset of all scopes (for exhaustive tests).
    pub fn every_subset() -> impl Iterator<Item = Self> {
        (0..=Self::SESSION.0).map(Self)
    }

    /// The stored form: names separated by spaces.
    #[must_use]
    pub fn to_stored(self) -> String {
        self.iter().map(Scope::name).collect::<Vec<_>>().join(" ")
    }

    /// Reads the stored form; unknown names (from a newer version) grant nothing.
    #[must_use]
    pub fn from_stored(stored: &str) -> Self {
        stored
            .split_whitespace()
            .filter_map(Scope::parse)
            .fold(Self::NONE, Self::with)
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for scope in self.iter() {
            seq.serialize_element(scope.name())?;
        }
        seq.end()
    }
}

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: no token needed.
    Public,
    /// Any valid token, whatever its scopes (reading one's own profile, logging the token out).
    AnyToken,
    /// A token with this scope.
    Scope(Scope),
}

/// One row of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    /// HTTP method.
    pub method: &'static str,
    /// The route as the router matches it (`{param}` for parameters).
    pub path: &'static str,
    /// What it needs.
    pub needs: Needs,
}

const fn rule(method: &'static str, path: &'static str, needs: Needs) -> RouteRule {
    RouteRule {
        method,
        path,
        needs,
    }
}

use Needs::{AnyToken, Public};
const READ: Needs = Needs::Scope(Scope::TasksRead);
const WRITE: Needs = Needs::Scope(Scope::TasksWrite);
const CHAT: Needs = Needs::Scope(Scope::Chat);
const MCP: Needs = Needs::Scope(Scope::Mcp);
const ACCOUNT: Needs = Needs::Scope(Scope::Account);

/// Every route that takes a token, and what it needs. A route missing here is open to sessions
/// only: a personal access token is refused there (fail closed).
pub const ROUTES: &[RouteRule] = &[
    rule("POST", "/api/v1/auth/signup", Public),
    rule("POST", "/api/v1/auth/login", Public),
    rule("GET", "/api/v1/auth/me", AnyToken),
    rule("PATCH", "/api/v1/auth/me", ACCOUNT),
    rule("DELETE", "/api/v1/auth/me", ACCOUNT),
    rule("GET", "/api/v1/auth/validate-token", AnyToken),
    rule("POST", "/api/v1/auth/logout", AnyToken),
    rule("POST", "/api/v1/auth/logout-all", ACCOUNT),
    rule("GET", "/api/v1/auth/tokens", ACCOUNT),
    rule("POST", "/api/v1/auth/tokens", ACCOUNT),
    rule("DELETE", "/api/v1/auth/tokens/{id}", ACCOUNT),
    rule("GET", "/api/v1/auth/export", ACCOUNT),
    rule("POST", "/api/v1/auth/import", ACCOUNT),
    rule("GET", "/api/v1/tasks", READ),
    rule("POST", "/api/v1/tasks", WRITE),
    rule("GET", "/api/v1/tasks/stats", READ),
    rule("GET", "/api/v1/tasks/{id}", READ),
    rule("PUT", "/api/v1/tasks/{id}", WRITE),
    rule("PATCH", "/api/v1/tasks/{id}", WRITE),
    rule("DELETE", "/api/v1/tasks/{id}", WRITE),
    rule("PATCH", "/api/v1/tasks/{id}/complete", WRITE),
    rule("GET", "/api/v1/projects", READ),
    rule("POST", "/api/v1/projects", WRITE),
    rule("GET", "/api/v1/projects/{id}", READ),
    rule("PATCH", "/api/v1/projects/{id}", WRITE),
    rule("DELETE", "/api/v1/projects/{id}", WRITE),
    rule("GET", "/api/v1/projects/{id}/members", READ),
    rule("POST", "/api/v1/projects/{id}/members", WRITE),
    rule("PATCH", "/api/v1/projects/{id}/members/{user_id}", WRITE),
    rule("DELETE", "/api/v1/projects/{id}/members/{user_id}", WRITE),
    rule("POST", "/api/v1/chat", CHAT),
    rule("GET", "/api/v1/conversations", CHAT),
    rule("GET", "/api/v1/conversations/{id}", CHAT),
    rule("DELETE", "/api/v1/conversations/{id}", CHAT),
    rule("GET", "/mcp", MCP),
    rule("POST", "/mcp", MCP),
    rule("DELETE", "/mcp", MCP),
    // Compatibility routes (reference designs A, B, D).
    rule("POST", "/api/auth/signup", Public),
    rule("POST", "/api/auth/login", Public),
    rule("POST", "/api/v1/users/register", Public),
    rule("POST", "/api/v1/users/login", Public),
    rule("GET", "/api/v1/me", AnyToken),
    rule("GET", "/api/v1/validate-token", AnyToken),
    rule("GET", "/api/{user_id}/tasks", READ),
    rule("POST", "/api/{user_id}/tasks", WRITE),
    rule("GET", "/api/{user_id}/tasks/{id}", READ),
    rule("PUT", "/api/{user_id}/tasks/{id}", WRITE),
    rule("PATCH", "/api/{user_id}/tasks/{id}", WRITE),
    rule("DELETE", "/api/{user_id}/tasks/{id}", WRITE),
    rule("PATCH", "/api/{user_id}/tasks/{id}/complete", WRITE),
    rule("POST", "/api/{user_id}/chat", CHAT),
    rule("GET", "/api/v1/{user_id}/todos", READ),
    rule("POST", "/api/v1/{user_id}/todos", WRITE),
    rule("GET", "/api/v1/{user_id}/todos/{id}", READ),
    rule("PUT", "/api/v1/{user_id}/todos/{id}", WRITE),
    rule("DELETE", "/api/v1/{user_id}/todos/{id}", WRITE),
    rule("PATCH", "/api/v1/{user_id}/todos/{id}/complete", WRITE),
    rule("GET", "/api/v1/{user_id}/tasks", READ),
    rule("POST", "/api/v1/{user_id}/tasks", WRITE),
    rule("GET", "/api/v1/{user_id}/tasks/{id}", READ),
    rule("PUT", "/api/v1/{user_id}/tasks/{id}", WRITE),
    rule("DELETE", "/api/v1/{user_id}/tasks/{id}", WRITE),
    rule("PATCH", "/api/v1/{user_id}/tasks/{id}/complete", WRITE),
];

/// What the route `path` (as matched) needs for `method`; `None` for a route not in the table.
#[must_use]
pub fn needed(method: &Method, path: &str) -> Option<Needs> {
    // HEAD is answered by the GET route.
    let method = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTES
        .iter()
        .find(|rule| rule.method == method && rule.path == path)
        .map(|rule| rule.needs)
}

/// Whether a token with `scopes` may use a route that `needs` this; `needs` is `None` for a
/// route missing from the table, which only a session may use.
#[must_use]
pub fn allows(scopes: Scopes, needs: Option<Needs>) -> bool {
    match needs {
        Some(Needs::Public | Needs::AnyToken) => true,
        Some(Needs::Scope(scope)) => scopes.contains(scope),
        None => scopes == Scopes::SESSION,
    }
}

/// The scope matrix as the Markdown table of `docs/api.md`.
#[must_use]
pub fn markdown_table() -> String {
    let mut table = String::from("| Method | Route | Needs |\n|---|---|---|\n");
    for rule in ROUTES {
        let needs = match rule.needs {
            Needs::Public => "no token".to_owned(),
            Needs::AnyToken => "any valid token".to_owned(),
            Needs::Scope(Scope::Account) => "`account` (sessions only)".to_owned(),
            Needs::Scope(scope) => format!("`{scope}`"),
        };
        table.push_str(&format!(
            "| {} | `{}` | {needs} |\n",
            rule.method, rule.path
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_scopes_round_trip_and_unknown_names_grant_nothing() {
        for scopes in Scopes::every_subset() {
            assert_eq!(Scopes::from_stored(&scopes.to_stored()), scopes);
        }
        assert_eq!(
            Scopes::from_stored("admin tasks:read"),
            Scopes::NONE.with(Scope::TasksRead)
        );
    }

    #[test]
    fn a_route_outside_the_table_is_for_sessions_only() {
        let all_but_account = Scopes::SESSION.without(Scope::Account);
        assert!(!allows(all_but_account, needed(&Method::GET, "/nowhere")));
        assert!(allows(Scopes::SESSION, needed(&Method::GET, "/nowhere")));
        assert!(allows(
            Scopes::NONE,
            needed(&Method::HEAD, "/api/v1/auth/me")
        ));
    }

    #[test]
    fn every_route_appears_once() {
        let mut seen = std::collections::HashSet::new();
        for rule in ROUTES {
            assert!(
                seen.insert((rule.method, rule.path)),
                "{} {}",
                rule.method,
                rule.path
            );
        }
    }
}
