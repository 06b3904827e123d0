//! The scope matrix (`tudu::auth::scope::ROUTES`), checked exhaustively: every route that
//! takes a token, called with a personal access token of every possible set of scopes, is
//! refused for scope exactly when the table says so; the table covers every route the API
//! documents; and `docs/api.md` shows the same table.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tudu::auth::scope::{self, Needs, Scope, Scopes};

use crate::helpers::{TestApp, both_backends, string_at};

both_backends!(
    every_route_refuses_exactly_the_scopes_the_matrix_refuses,
    the_matrix_covers_every_documented_route,
);

/// A body the route accepts, where it takes one.
fn body_for(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("POST", p) if p.ends_with("/chat") => Some(json!({"message": "help"})),
        ("POST", "/api/v1/auth/tokens") => Some(json!({"name": "n", "scopes": ["mcp"]})),
        ("PATCH", "/api/v1/auth/me") => Some(json!({})),
        ("DELETE", "/api/v1/auth/me") => Some(json!({"password": "wrong password"})),
        ("POST" | "PUT" | "PATCH", p) if p.contains("task") || p.contains("todo") => {
            Some(json!({"title": "scoped"}))
        }
        ("POST", "/mcp") => Some(json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "matrix", "version": "0"}}
        })),
        _ => None,
    }
}

async fn every_route_refuses_exactly_the_scopes_the_matrix_refuses(app: TestApp) {
    let user = app.new_user().await;
    let pat_scopes = Scope::ALL.into_iter().filter(|s| *s != Scope::Account);
    let subsets: Vec<Scopes> = Scopes::every_subset()
        .filter(|s| !s.contains(Scope::Account))
        .collect();
    assert_eq!(subsets.len(), 1 << pat_scopes.count());
    for scopes in subsets {
        let names: Vec<&str> = scopes.iter().map(Scope::name).collect();
        let token = if names.is_empty() {
            None
        } else {
            let res = app
                .send(app.authed_json(
                    Method::POST,
                    "/api/v1/auth/tokens",
                    &user.token,
                    Some(&json!({"name": "matrix", "scopes": names})),
                ))
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            Some(string_at(&res.json(), "/token"))
        };
        let Some(token) = token else { continue };
        for rule in scope::ROUTES {
            // Logging out would revoke the token under test; it is any token's right and is
            // tested on its own.
            if rule.needs == Needs::Public || rule.path == "/api/v1/auth/logout" {
                continue;
            }
            let path = rule
                .path
                .replace("{user_id}", &user.id)
                .replace("{id}", &uuid::Uuid::now_v7().to_string());
            let method = Method::from_bytes(rule.method.as_bytes()).expect("a method");
            let mut request = app
                .authed_json(
                    method,
                    &path,
                    &token,
                    body_for(rule.method, rule.path).as_ref(),
                )
                .header("accept", "application/json, text/event-stream");
            if rule.path == "/mcp" {
                request = request.header("mcp-protocol-version", "2025-11-25");
            }
            let res = app.send(request).await;
            let refused_for_scope =
                res.status == StatusCode::FORBIDDEN && res.json()["error"] == "insufficient_scope";
            let allowed = scope::allows(scopes, Some(rule.needs));
            assert_eq!(
                refused_for_scope, !allowed,
                "{} {} with {names:?}: {} {}",
                rule.method, rule.path, res.status, res.text
            );
        }
    }
}

async fn the_matrix_covers_every_documented_route(app: TestApp) {
    let document = app
        .send(app.request(Method::GET, "/openapi.json"))
        .await
        .json();
    let paths = document["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            if path.starts_with("/api/") {
                documented.push((method, path.clone()));
            }
        }
    }
    for (method, path) in &documented {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        assert!(
            scope::needed(&method, path).is_some(),
            "{method} {path} is documented but missing from the scope matrix"
        );
    }
    for rule in scope::ROUTES.iter().filter(|r| r.path != "/mcp") {
        assert!(
            documented
                .iter()
                .any(|(method, path)| method == rule.method && path == rule.path),
            "{} {} is in the matrix but is no documented route",
            rule.method,
            rule.path
        );
    }
}

#[test]
fn the_docs_show_the_matrix_of_the_code() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md"))
        .expect("docs/api.md");
    let table = scope::markdown_table();
    assert!(
        docs.contains(&table),
        "docs/api.md's scope matrix differs from the code's; paste this table:\n{table}"
    );
}
