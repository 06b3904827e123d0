//! The listing cache must be invisible: after any write, on any replica, for any user, a
//! listing answers exactly what a server without the cache answers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends, string_at};

both_backends!(
    cached_listings_follow_every_kind_of_write,
    cached_listings_follow_writes_made_on_another_replica,
    cached_listings_follow_a_time_zone_change,
    cached_listings_are_never_served_to_another_user,
    overdue_listings_are_not_cached,
    cached_subtask_listings_follow_cascades_made_on_another_replica,
    every_members_cached_listing_follows_writes_to_a_shared_project_on_another_replica,
);

/// The queries compared after every step: the default page, a filtered and sorted one, a
/// small page with a cursor, and a status filter.
const QUERIES: [&str; 4] = [
    "",
    "limit=50",
    "status=pending&sort=due_date&order=asc&tag=home",
    "limit=2",
];

/// A replica of `app` on the same database with the cache switched off: the ground truth.
async fn uncached(app: &TestApp) -> TestApp {
    app.replica_with(|s| s.list_cache_bytes = 0).await
}

/// Body, total and next link of a listing, as a client sees them.
async fn listing(
    app: &TestApp,
    token: &str,
    query: &str,
) -> (Value, Option<String>, Option<String>) {
    let res = app.list_tasks(token, query).await;
    assert_eq!(
        res.status, 200,
        "[{}] list {query}: {}",
        app.backend, res.text
    );
    let total = res.header("x-total-count").map(str::to_owned);
    let link = res.header("link").map(str::to_owned);
    (res.json(), total, link)
}

/// Lists twice on `cached` (filling the cache, then from it) and once on `truth`; all three
/// must agree, for every query and for the second page of the small one.
async fn assert_current(cached: &TestApp, truth: &TestApp, token: &str, step: &str) {
    for query in QUERIES {
        let first = listing(cached, token, query).await;
        let second = listing(cached, token, query).await;
        let expected = listing(truth, token, query).await;
        assert_eq!(first, expected, "[{}] {step}: ?{query}", cached.backend);
        assert_eq!(
            second, expected,
            "[{}] {step}: ?{query} (again)",
            cached.backend
        );
    }
    let (_, _, link) = listing(cached, token, "limit=2").await;
    if let Some(link) = link {
        let next = link
            .split_once("?")
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(query, _)| query.to_owned())
            .unwrap_or_default();
        let page = listing(cached, token, &next).await;
        assert_eq!(
            page,
            listing(truth, token, &next).await,
            "[{}] {step}: second page",
            cached.backend
        );
    }
}

async fn cached_listings_follow_every_kind_of_write(app: TestApp) {
    // Arrange
    let truth = uncached(&app).await;
    let user = app.new_user().await;
    let t = &user.token;
    assert_current(&app, &truth, t, "empty").await;

    // Act and assert, after every kind of write.
    let first = app
        .create_task_ok(
            t,
            &json!({"title": "water plants", "tags": ["home"], "due_date": "2099-01-01T09:00:00Z"}),
        )
        .await;
    let daily = app
        .create_task_ok(t, &json!({"title": "stretch", "tags": ["home"], "recurrence_pattern": "DAILY", "due_date": "2099-01-02T07:00:00Z"}))
        .await;
    app.create_task_ok(t, &json!({"title": "third"})).await;
    assert_current(&app, &truth, t, "created").await;

    let res = app
        .patch_task(
            t,
            &string_at(&first, "/id"),
            &json!({"title": "water all plants", "priority": "high"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "updated").await;

    let res = app
        .put_task(t, &string_at(&first, "/id"), &json!({"tags": []}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "tags cleared by PUT").await;

    let res = app
        .complete_task(
            t,
            &string_at(&first, "/id"),
            Some(&json!({"completed": true})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "completed").await;

    let res = app.complete_task(t, &string_at(&first, "/id"), None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "reopened by toggle").await;

    let before = listing(&app, t, "").await.0;
    let res = app.complete_task(t, &string_at(&daily, "/id"), None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.json()["next_occurrence"].is_object(), "{}", res.text);
    assert_current(&app, &truth, t, "recurring completed").await;
    let after = listing(&app, t, "").await.0;
    assert_eq!(
        after.as_array().map(Vec::len),
        before.as_array().map(|b| b.len() + 1),
        "[{}] the next occurrence is listed",
        app.backend
    );

    let res = app.delete_task(t, &string_at(&first, "/id")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "deleted").await;

    let res = app
        .send(
            app.authed(reqwest::Method::POST, "/api/v1/tasks", t)
                .header("idempotency-key", "k1")
                .json(&json!({"title": "once"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_current(&app, &truth, t, "idempotent create").await;
}

async fn cached_listings_follow_writes_made_on_another_replica(app: TestApp) {
    // Arrange: two caching replicas, and one without a cache as the truth.
    let other = app.replica().await;
    let truth = uncached(&app).await;
    let user = app.new_user().await;
    let t = &user.token;
    let task = app
        .create_task_ok(t, &json!({"title": "shared", "tags": ["home"]}))
        .await;
    let id = string_at(&task, "/id");
    assert_current(&app, &truth, t, "seeded").await;
    assert_current(&other, &truth, t, "seeded, other replica").await;

    // Act and assert: each write on one replica is seen by the cache of the other.
    other
        .create_task_ok(t, &json!({"title": "from the other"}))
        .await;
    assert_current(&app, &truth, t, "created elsewhere").await;

    let res = other
        .patch_task(t, &id, &json!({"title": "renamed elsewhere"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "updated elsewhere").await;

    let res = app.complete_task(t, &id, None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&other, &truth, t, "completed elsewhere").await;

    let res = other.delete_task(t, &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_current(&app, &truth, t, "deleted elsewhere").await;
    assert_current(&other, &truth, t, "deleted here").await;
}

async fn cached_listings_follow_a_time_zone_change(app: TestApp) {
    // Arrange: due at 20:00 UTC on 10 March, which is 11 March in Tokyo.
    let truth = uncached(&app).await;
    let user = app.new_user().await;
    let t = &user.token;
    app.create_task_ok(
        t,
        &json!({"title": "evening", "due_date": "2026-03-10T20:00:00Z"}),
    )
    .await;
    let query = "due_after=2026-03-10&due_before=2026-03-10";
    let (in_utc, _, _) = listing(&app, t, query).await;
    let (again, _, _) = listing(&app, t, query).await;
    assert_eq!(
        in_utc.as_array().map(Vec::len),
        Some(1),
        "[{}] {in_utc}",
        app.backend
    );
    assert_eq!(again, in_utc);

    // Act
    let res = app.patch_me(t, &json!({"timezone": "Asia/Tokyo"})).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Assert: the bare date now means 10 March in Tokyo, which ends before 20:00 UTC.
    let (in_tokyo, total, _) = listing(&app, t, query).await;
    assert_eq!(
        in_tokyo,
        json!([]),
        "[{}] stale page after a zone change",
        app.backend
    );
    assert_eq!(total.as_deref(), Some("0"));
    assert_eq!(listing(&truth, t, query).await.0, in_tokyo);
}

async fn cached_listings_are_never_served_to_another_user(app: TestApp) {
    // Arrange: two users at the same list version, with the same query.
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    app.create_task_ok(&alice.token, &json!({"title": "alice's"}))
        .await;
    app.create_task_ok(&bob.token, &json!({"title": "bob's"}))
        .await;

    for _ in 0..2 {
        // Act
        let (alices, _, _) = listing(&app, &alice.token, "limit=50").await;
        let (bobs, _, _) = listing(&app, &bob.token, "limit=50").await;

        // Assert
        let titles = |page: &Value| -> Vec<String> {
            page.as_array()
                .into_iter()
                .flatten()
                .map(|t| string_at(t, "/title"))
                .collect()
        };
        assert_eq!(titles(&alices), ["alice's"], "[{}]", app.backend);
        assert_eq!(titles(&bobs), ["bob's"], "[{}]", app.backend);
    }
}

async fn overdue_listings_are_not_cached(app: TestApp) {
    // Arrange: a task that becomes overdue without any write.
    let user = app.new_user().await;
    let t = &user.token;
    let due = chrono::Utc::now() + chrono::TimeDelta::milliseconds(1500);
    app.create_task_ok(t, &json!({"title": "soon", "due_date": due.to_rfc3339()}))
        .await;
    let (now, _, _) = listing(&app, t, "overdue=true").await;
    assert_eq!(now, json!([]), "[{}]", app.backend);

    // Act
    tokio::time::sleep(Duration::from_millis(2000)).await;

    // Assert
    let (later, total, _) = listing(&app, t, "overdue=true").await;
    assert_eq!(
        later.as_array().map(Vec::len),
        Some(1),
        "[{}] {later}",
        app.backend
    );
    assert_eq!(total.as_deref(), Some("1"));
}

async fn cached_subtask_listings_follow_cascades_made_on_another_replica(app: TestApp) {
    // Arrange: a parent with two levels below it, its level listed (and cached) here.
    let other = app.replica().await;
    let truth = uncached(&app).await;
    let user = app.new_user().await;
    let t = &user.token;
    let parent = app.create_task_ok(t, &json!({"title": "parent"})).await;
    let child = app
        .create_task_ok(t, &json!({"title": "child", "parent_id": parent["id"]}))
        .await;
    app.create_task_ok(t, &json!({"title": "grandchild", "parent_id": child["id"]}))
        .await;
    let level = format!(
        "parent_id={}&sort=position&order=asc",
        string_at(&parent, "/id")
    );
    let below = format!("parent_id={}", string_at(&child, "/id"));
    for query in [level.as_str(), below.as_str(), "parent_id=none"] {
        listing(&app, t, query).await;
    }

    // Act and assert: the cascades of a completion and of a delete on the other replica show
    // here at once.
    let res = other
        .complete_task(t, &string_at(&parent, "/id"), None)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    for query in [level.as_str(), below.as_str(), "status=pending"] {
        let (tasks, ..) = listing(&app, t, query).await;
        assert_eq!(tasks, listing(&truth, t, query).await.0, "{query}");
        assert!(
            tasks
                .as_array()
                .is_some_and(|all| all.iter().all(|t| t["completed"] == true)),
            "{query}: {tasks}"
        );
    }
    let res = other.delete_task(t, &string_at(&parent, "/id")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for query in [level.as_str(), below.as_str(), ""] {
        let (tasks, total, _) = listing(&app, t, query).await;
        assert_eq!(tasks, json!([]), "{query}");
        assert_eq!(total.as_deref(), Some("0"), "{query}");
    }
}

async fn every_members_cached_listing_follows_writes_to_a_shared_project_on_another_replica(
    app: TestApp,
) {
    // Arrange: a project shared with two members; each member's page of it, and the owner's,
    // cached on this replica.
    let other = app.replica().await;
    let truth = uncached(&app).await;
    let owner = app.new_user().await;
    let members = [app.new_user().await, app.new_user().await];
    let res = app
        .send(app.authed_json(
            reqwest::Method::POST,
            "/api/v1/projects",
            &owner.token,
            Some(&json!({"name": "Household"})),
        ))
        .await;
    let project = string_at(&res.json(), "/id");
    for (member, role) in members.iter().zip(["editor", "viewer"]) {
        let res = app
            .send(app.authed_json(
                reqwest::Method::POST,
                &format!("/api/v1/projects/{project}/members"),
                &owner.token,
                Some(&json!({"email": member.email, "role": role})),
            ))
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let task = app
        .create_task_ok(
            &owner.token,
            &json!({"title": "bins", "project_id": project}),
        )
        .await;
    let queries = [
        format!("project_id={project}"),
        format!("project_id={project}&status=pending&limit=1"),
    ];
    let everyone = [&owner, &members[0], &members[1]];
    let assert_all_current = |step: &'static str| {
        let (app, truth, queries) = (&app, &truth, &queries);
        async move {
            for user in everyone {
                for query in queries {
                    let cached = listing(app, &user.token, query).await;
                    assert_eq!(
                        cached,
                        listing(truth, &user.token, query).await,
                        "{step}: {query}"
                    );
                }
            }
        }
    };
    assert_all_current("shared").await;

    // Act and assert: writes by the editor and the owner on the other replica show in every
    // member's cached page here at once.
    other
        .create_task_ok(
            &members[0].token,
            &json!({"title": "milk", "project_id": project}),
        )
        .await;
    assert_all_current("the editor added").await;
    let (tasks, total, _) = listing(&app, &members[1].token, &queries[0]).await;
    assert_eq!(total.as_deref(), Some("2"), "{tasks}");
    let res = other
        .complete_task(&owner.token, &string_at(&task, "/id"), None)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_all_current("the owner completed").await;
    let res = other
        .patch_task(
            &members[0].token,
            &string_at(&task, "/id"),
            &json!({"title": "recycling"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_all_current("the editor renamed").await;
    let (tasks, ..) = listing(&app, &members[1].token, &queries[0]).await;
    assert!(tasks.to_string().contains("recycling"), "{tasks}");

    // A member removed on the other replica is refused here at once, cached page or not.
    let res = other
        .send(other.authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/projects/{project}/members/{}", members[1].id),
            &owner.token,
        ))
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    let res = app.list_tasks(&members[1].token, &queries[0]).await;
    assert_eq!(res.status, 404, "{}", res.text);
}
