//! `GET /metrics`: HTTP series labelled by route template, pool gauges, MCP tool calls.
//!
//! Every application of the test process shares one recorder, so tests compare a series
//! before and after their own requests instead of expecting exact totals.

use reqwest::{Method, StatusCode};
use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_not_found, both_backends};

both_backends!(
    metrics_count_requests_by_route_template,
    unmatched_paths_share_one_label,
    pool_gauges_are_reported_per_pool,
    mcp_tool_calls_are_counted_by_tool_and_outcome,
    metrics_route_is_in_the_openapi_document,
);

/// The scrape text, checked to be the Prometheus text format.
pub async fn scrape(app: &TestApp) -> String {
    let res = app.send(app.request(Method::GET, "/metrics")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    res.text
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (set, value) = match rest.strip_prefix('{') {
                Some(rest) => rest.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            let matches = labels
                .iter()
                .all(|(k, v)| set.contains(&format!(r#"{k}="{v}""#)));
            matches.then(|| value.trim().parse::<f64>().ok()).flatten()
        })
        .sum()
}

async fn metrics_count_requests_by_route_template(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let missing = uuid::Uuid::now_v7().to_string();
    let series = [
        ("method", "GET"),
        ("route", "/api/v1/tasks/{id}"),
        ("status", "404"),
    ];
    let before = sample(&scrape(&app).await, "http_requests_total", &series);

    // Act
    for _ in 0..3 {
        assert_not_found(&app.get_task(&user.token, &missing).await);
    }
    let text = scrape(&app).await;

    // Assert
    let after = sample(&text, "http_requests_total", &series);
    assert!(after >= before + 3.0, "{before} → {after}\n{text}");
    assert!(!text.contains(&missing), "a task id became a label");
    let fast = [
        ("route", "/api/v1/tasks/{id}"),
        ("status", "404"),
        ("le", "10"),
    ];
    assert!(
        sample(&text, "http_request_duration_seconds_bucket", &fast) >= 3.0,
        "no latency buckets for the route:\n{text}"
    );
    assert!(
        text.contains(r#"le="0.001""#),
        "no millisecond bucket:\n{text}"
    );
}

async fn unmatched_paths_share_one_label(app: TestApp) {
    // Arrange
    let paths: Vec<String> = (0..3)
        .map(|_| format!("/no/such/{}", uuid::Uuid::now_v7().simple()))
        .collect();
    let series = [("route", "unmatched"), ("status", "404")];
    let before = sample(&scrape(&app).await, "http_requests_total", &series);

    // Act
    for path in &paths {
        assert_not_found(&app.send(app.request(Method::GET, path)).await);
    }
    let text = scrape(&app).await;

    // Assert
    let after = sample(&text, "http_requests_total", &series);
    assert!(after >= before + 3.0, "{before} → {after}");
    for path in &paths {
        assert!(!text.contains(path.as_str()), "{path} became a label");
    }
}

async fn pool_gauges_are_reported_per_pool(app: TestApp) {
    // Act
    let text = scrape(&app).await;

    // Assert
    let pools: &[(&str, f64)] = match app.backend {
        "sqlite" => &[("sqlite_read", 4.0), ("sqlite_write", 1.0)],
        _ => &[("postgres", 8.0)],
    };
    for (pool, max) in pools {
        let labels = [("pool", *pool)];
        for gauge in [
            "tudu_db_pool_connections_in_use",
            "tudu_db_pool_connections_idle",
        ] {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(gauge) && l.contains(&format!(r#"pool="{pool}""#))),
                "no {gauge} for {pool}:\n{text}"
            );
        }
        // Another test's app may have scraped last; the maximum is the same for all of them.
        assert_eq!(
            sample(&text, "tudu_db_pool_connections_max", &labels),
            *max,
            "{pool}:\n{text}"
        );
    }
}

async fn mcp_tool_calls_are_counted_by_tool_and_outcome(app: TestApp) {
    // Arrange
    let user = app.new_user().await;
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.address))
        .auth_header(user.token.clone());
    let client =
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .expect("initialize");
    let ok = [("tool", "list_tasks"), ("outcome", "ok")];
    let tool_error = [("tool", "get_task"), ("outcome", "tool_error")];
    let protocol_error = [("tool", "unknown"), ("outcome", "protocol_error")];
    let counts = |text: &str| {
        [ok, tool_error, protocol_error].map(|l| sample(text, "tudu_mcp_tool_calls_total", &l))
    };
    let before = counts(&scrape(&app).await);

    // Act
    let call = |name: &str, args: Value| {
        let args = args.as_object().cloned().unwrap_or_default();
        client.call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(args))
    };
    let listed = call("list_tasks", json!({})).await.expect("list_tasks");
    let missing = call("get_task", json!({ "task_id": 999 }))
        .await
        .expect("get_task");
    let unknown = call("no_such_tool", json!({})).await;
    let text = scrape(&app).await;

    // Assert
    assert_ne!(listed.is_error, Some(true));
    assert_eq!(missing.is_error, Some(true));
    assert!(unknown.is_err(), "{unknown:?}");
    let after = counts(&text);
    for (i, labels) in [ok, tool_error, protocol_error].iter().enumerate() {
        assert!(
            after[i] > before[i],
            "{labels:?}: {} → {}",
            before[i],
            after[i]
        );
    }
    assert!(
        sample(
            &text,
            "tudu_mcp_tool_call_duration_seconds_count",
            &[("tool", "list_tasks")]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        !text.contains("no_such_tool"),
        "a made-up tool became a label"
    );
    let _ = client.cancel().await;
}

async fn metrics_route_is_in_the_openapi_document(app: TestApp) {
    // Act
    let doc = app
        .send(app.request(Method::GET, "/openapi.json"))
        .await
        .json();

    // Assert
    let get = &doc["paths"]["/metrics"]["get"];
    assert_eq!(get["tags"], json!(["operations"]), "{get}");
    assert!(get["security"].is_null(), "/metrics needs no token: {get}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_disabled() {
    // Arrange
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.metrics_enabled = false).await;

    // Act
    let res = app.send(app.request(Method::GET, "/metrics")).await;

    // Assert
    assert_not_found(&res);
}
