//! The web app (SPEC §13): the shell and its headers, hashed assets, the `/` redirect, and the
//! session cookie with its same-origin rule for writes.

use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestResponse, assert_problem, both_backends};

both_backends!(
    the_shell_is_served_with_a_strict_csp_and_no_cache,
    deep_links_get_the_shell_but_the_app_api_never_does,
    hashed_assets_are_immutable_and_gzipped,
    browsers_are_redirected_from_root_and_json_clients_are_not,
    login_sets_an_http_only_strict_cookie_and_returns_no_token,
    the_cookie_is_secure_outside_loopback,
    signup_sets_the_cookie_and_a_wrong_password_sets_none,
    session_routes_refuse_foreign_origins,
    the_cookie_authenticates_reads,
    a_cookie_write_needs_a_same_origin_origin,
    bearer_clients_are_unaffected_by_the_origin_rule,
    logout_clears_the_cookie,
    the_session_route_says_who_is_signed_in,
    quick_add_is_parsed_without_saving,
);

fn origin(app: &TestApp) -> String {
    app.address.clone()
}

/// The `tudu_session` value set by a response, if any.
fn session_cookie(res: &TestResponse) -> Option<(String, String)> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tudu_session="))
        .map(|v| {
            let value = v
                .trim_start_matches("tudu_session=")
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned();
            (value, v.to_owned())
        })
}

/// Signs a user up through the REST API, then logs in through the web app; returns the email
/// and the cookie's value.
async fn web_session(app: &TestApp) -> (String, String) {
    let user = app.new_user().await;
    let res = web_login(app, &user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (cookie, _) = session_cookie(&res).expect("a session cookie");
    (user.email, cookie)
}

async fn web_login(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.send(
        app.request(Method::POST, "/app/api/session")
            .header(header::ORIGIN, origin(app))
            .json(&json!({ "email": email, "password": password })),
    )
    .await
}

fn with_cookie(request: RequestBuilder, cookie: &str) -> RequestBuilder {
    request.header(header::COOKIE, format!("tudu_session={cookie}"))
}

async fn task_count(app: &TestApp, cookie: &str) -> usize {
    let res = app
        .send(with_cookie(
            app.request(Method::GET, "/api/v1/tasks"),
            cookie,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json().as_array().map_or(0, Vec::len)
}

async fn the_shell_is_served_with_a_strict_csp_and_no_cache(app: TestApp) {
    // Act
    let res = app.send(app.request(Method::GET, "/app")).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    let csp = res.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-"), "{csp}");
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    // No inline script or style for the CSP to refuse.
    assert!(!res.text.contains("<script>") && !res.text.contains("style="));
    assert!(
        res.text
            .contains("<script type=\"module\" src=\"/app/assets/main.")
    );
}

async fn deep_links_get_the_shell_but_the_app_api_never_does(app: TestApp) {
    for path in ["/app/", "/app/tasks/42", "/app/chat/x/y"] {
        let res = app.send(app.request(Method::GET, path)).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert!(res.text.starts_with("<!doctype html>"), "{path}");
    }
    for path in ["/app/api/nothing", "/app/assets/main.js", "/api/v1/nothing"] {
        let res = app
            .send(
                app.request(Method::GET, path)
                    .header(header::ACCEPT, "text/html"),
            )
            .await;
        assert_problem(&res, StatusCode::NOT_FOUND);
    }
}

/// The asset URLs the shell names.
fn asset_urls(shell: &str) -> Vec<String> {
    shell
        .split('"')
        .filter(|part| part.starts_with("/app/assets/"))
        .map(str::to_owned)
        .collect()
}

async fn hashed_assets_are_immutable_and_gzipped(app: TestApp) {
    // Arrange
    let shell = app.send(app.request(Method::GET, "/app")).await;
    let urls = asset_urls(&shell.text);
    assert!(urls.len() >= 4, "{urls:?}");
    let mut total = 0;

    for url in &urls {
        // Act
        let res = app
            .request(Method::GET, url)
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .expect("asset");

        // Assert
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let headers = res.headers().clone();
        let value = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            value(header::CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_eq!(value(header::CONTENT_ENCODING), "gzip", "{url}");
        assert_eq!(value(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{url}");
        let body = res.bytes().await.expect("body");
        assert_eq!(&body[..2], &[0x1f, 0x8b], "{url} is not gzip");
        total += body.len();
    }
    // SPEC §13: the first load, compressed, stays under 150 KB.
    assert!(total < 150 * 1024, "first load is {total} bytes");

    let plain = app
        .send(app.request(Method::GET, &urls[urls.len() - 1]))
        .await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(plain.text.contains("import"), "{}", plain.text);
}

async fn browsers_are_redirected_from_root_and_json_clients_are_not(app: TestApp) {
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let res = app
        .send(
            app.request(Method::GET, "/")
                .header(header::ACCEPT, browser),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/app"));

    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut request = app.request(Method::GET, "/");
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        let res = app.send(request).await;
        assert_eq!(res.status, StatusCode::OK, "{accept:?}");
        assert_eq!(res.json()["message"], "Todo API is running", "{accept:?}");
    }
}

async fn login_sets_an_http_only_strict_cookie_and_returns_no_token(app: TestApp) {
    // Arrange
    let user = app.new_user().await;

    // Act
    let res = web_login(&app, &user.email, PASSWORD).await;

    // Assert
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (value, cookie) = session_cookie(&res).expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "loopback: {cookie}");
    assert_eq!(res.json()["user"]["email"], user.email.as_str());
    assert!(
        !res.text.contains(&value),
        "the token is readable by the page"
    );
    assert!(res.json().get("token").is_none());
}

async fn the_cookie_is_secure_outside_loopback(app: TestApp) {
    let user = app.new_user().await;
    let res = app
        .send(
            app.request(Method::POST, "/app/api/session")
                .header(header::HOST, "tasks.example.com")
                .header(header::ORIGIN, "https://tasks.example.com")
                .json(&json!({ "email": user.email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (_, cookie) = session_cookie(&res).expect("a session cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

mod secure_behind_an_https_public_url {
    use super::*;
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        // Arrange: a proxy terminating TLS that sends the request on with a loopback Host.
        let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
            settings.public_url = "https://tasks.example.com".to_owned();
        })
        .await;
        let user = app.new_user().await;

        // Act
        let res = app
            .send(
                app.request(Method::POST, "/app/api/session")
                    .header(header::ORIGIN, "https://tasks.example.com")
                    .json(&json!({ "email": user.email, "password": PASSWORD })),
            )
            .await;

        // Assert
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let (_, cookie) = session_cookie(&res).expect("a session cookie");
        assert!(cookie.ends_with("; Secure"), "{cookie}");
    }
}

async fn signup_sets_the_cookie_and_a_wrong_password_sets_none(app: TestApp) {
    let email = crate::helpers::unique_email();
    let res = app
        .send(
            app.request(Method::POST, "/app/api/signup")
                .header(header::ORIGIN, origin(&app))
                .json(&json!({ "email": email, "password": PASSWORD, "name": "Web" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(session_cookie(&res).is_some());
    assert_eq!(res.json()["user"]["name"], "Web");

    let wrong = web_login(&app, &email, "not the password").await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());
}

async fn session_routes_refuse_foreign_origins(app: TestApp) {
    let user = app.new_user().await;
    let body = json!({ "email": user.email, "password": PASSWORD });
    for foreign in [None, Some("https://evil.example")] {
        let mut request = app.request(Method::POST, "/app/api/session").json(&body);
        if let Some(foreign) = foreign {
            request = request.header(header::ORIGIN, foreign);
        }
        let res = app.send(request).await;
        assert_problem(&res, StatusCode::FORBIDDEN);
        assert!(session_cookie(&res).is_none(), "{foreign:?}");
    }
}

async fn the_cookie_authenticates_reads(app: TestApp) {
    let (email, cookie) = web_session(&app).await;
    let me = app
        .send(with_cookie(
            app.request(Method::GET, "/api/v1/auth/me"),
            &cookie,
        ))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["email"], email.as_str());
    assert_eq!(task_count(&app, &cookie).await, 0);

    let forged = app
        .send(with_cookie(
            app.request(Method::GET, "/api/v1/tasks"),
            "not-a-token",
        ))
        .await;
    assert_problem(&forged, StatusCode::UNAUTHORIZED);
}

async fn a_cookie_write_needs_a_same_origin_origin(app: TestApp) {
    // Arrange
    let (_, cookie) = web_session(&app).await;
    let body = json!({ "title": "written from a page" });

    // Act
    let missing = app
        .send(with_cookie(app.request(Method::POST, "/api/v1/tasks"), &cookie).json(&body))
        .await;
    let foreign = app
        .send(
            with_cookie(app.request(Method::POST, "/api/v1/tasks"), &cookie)
                .header(header::ORIGIN, "https://evil.example")
                .json(&body),
        )
        .await;
    let other_port = app
        .send(
            with_cookie(app.request(Method::DELETE, "/api/v1/tasks/1"), &cookie)
                .header(header::ORIGIN, "http://127.0.0.1:1"),
        )
        .await;

    // Assert
    assert_problem(&missing, StatusCode::FORBIDDEN);
    assert_problem(&foreign, StatusCode::FORBIDDEN);
    assert_problem(&other_port, StatusCode::FORBIDDEN);
    assert_eq!(task_count(&app, &cookie).await, 0, "a refused write wrote");

    let same = app
        .send(
            with_cookie(app.request(Method::POST, "/api/v1/tasks"), &cookie)
                .header(header::ORIGIN, origin(&app))
                .json(&body),
        )
        .await;
    assert_eq!(same.status, StatusCode::CREATED, "{}", same.text);
    assert_eq!(task_count(&app, &cookie).await, 1);
}

async fn bearer_clients_are_unaffected_by_the_origin_rule(app: TestApp) {
    let user = app.new_user().await;
    let body = json!({ "title": "from a script" });
    let plain = app.create_task(&user.token, &body).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.text);
    // A bearer token wins over a cookie, and no browser attaches it by itself: no Origin rule.
    let foreign = app
        .send(
            app.authed(Method::POST, "/api/v1/tasks", &user.token)
                .header(header::ORIGIN, "https://elsewhere.example")
                .header(header::COOKIE, "tudu_session=garbage")
                .json(&body),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::CREATED, "{}", foreign.text);
}

async fn logout_clears_the_cookie(app: TestApp) {
    // Arrange
    let (_, cookie) = web_session(&app).await;

    // Act
    let refused = app
        .send(with_cookie(
            app.request(Method::DELETE, "/app/api/session"),
            &cookie,
        ))
        .await;
    let res = app
        .send(
            with_cookie(app.request(Method::DELETE, "/app/api/session"), &cookie)
                .header(header::ORIGIN, origin(&app)),
        )
        .await;

    // Assert
    assert_problem(&refused, StatusCode::FORBIDDEN);
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let (value, set) = session_cookie(&res).expect("a clearing cookie");
    assert_eq!(value, "");
    assert!(
        set.contains("Max-Age=0") && set.contains("HttpOnly"),
        "{set}"
    );
    // The token itself is revoked: a copy kept elsewhere no longer works.
    let replayed = app
        .send(with_cookie(
            app.request(Method::GET, "/api/v1/auth/me"),
            &cookie,
        ))
        .await;
    assert_problem(&replayed, StatusCode::UNAUTHORIZED);
    // The task list checks the token in its own query: the revoked cookie is refused there too.
    let listed = app
        .send(with_cookie(
            app.request(Method::GET, "/api/v1/tasks"),
            &cookie,
        ))
        .await;
    assert_problem(&listed, StatusCode::UNAUTHORIZED);
}

async fn the_session_route_says_who_is_signed_in(app: TestApp) {
    let nobody = app.send(app.request(Method::GET, "/app/api/session")).await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(nobody.json(), json!({ "user": null }));

    let stale = app
        .send(with_cookie(
            app.request(Method::GET, "/app/api/session"),
            "expired.or.forged",
        ))
        .await;
    assert_eq!(stale.json(), json!({ "user": null }));

    let (email, cookie) = web_session(&app).await;
    let me = app
        .send(with_cookie(
            app.request(Method::GET, "/app/api/session"),
            &cookie,
        ))
        .await;
    assert_eq!(me.json()["user"]["email"], email.as_str());
}

async fn quick_add_is_parsed_without_saving(app: TestApp) {
    // Arrange
    let user = app.new_user_with(json!({ "timezone": "Asia/Tokyo" })).await;
    let res = web_login(&app, &user.email, PASSWORD).await;
    let (cookie, _) = session_cookie(&res).expect("cookie");
    let parse = |text: &str| {
        with_cookie(app.request(Method::GET, "/app/api/parse"), &cookie).query(&[("text", text)])
    };

    // Act
    let rent = app
        .send(parse("pay rent every month on the 1st #home !high"))
        .await;
    let timed = app.send(parse("call mom tomorrow at 5pm")).await;
    let empty = app.send(parse("   ")).await;
    let anonymous = app
        .send(app.request(Method::GET, "/app/api/parse?text=milk"))
        .await;

    // Assert
    assert_eq!(rent.status, StatusCode::OK, "{}", rent.text);
    let task: Value = rent.json();
    assert_eq!(task["title"], "pay rent");
    assert_eq!(task["priority"], "HIGH");
    assert_eq!(task["tags"], json!(["home"]));
    assert_eq!(task["recurrence_pattern"], "MONTHLY");
    let due = task["due_date"].as_str().expect("a due date");
    // The 1st, 23:59:59 in Tokyo (no daylight saving time): 14:59:59 UTC.
    assert!(due.ends_with("-01T14:59:59Z"), "{due}");
    let due = timed.json()["due_date"].as_str().map(str::to_owned);
    assert!(
        due.as_deref().is_some_and(|d| d.ends_with("T08:00:00Z")),
        "17:00 in Tokyo is 08:00 UTC: {due:?}"
    );
    crate::helpers::assert_invalid(&empty, "text");
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED);
    assert_eq!(task_count(&app, &cookie).await, 0, "parsing saved a task");
}
