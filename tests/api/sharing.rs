//! Shared projects over REST: every role against every project and task operation (one table,
//! every cell asserted), members' lists and counts, hand-over with renumbering, leaving,
//! assignees, and the rules of sharing itself.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestResponse, TestUser, assert_invalid, assert_not_found, assert_problem,
    assert_unauthorized, both_backends, link_next, string_at,
};

both_backends!(
    every_role_can_do_exactly_what_it_may,
    members_list_count_and_see_each_others_changes,
    a_member_reaches_shared_tasks_by_id_and_only_their_own_by_number,
    handing_a_project_over_renumbers_its_tasks_into_the_new_owners_sequence,
    a_member_may_leave_and_the_owner_may_not,
    assignees_are_members_and_lose_their_tasks_when_they_go,
    sharing_refuses_the_inbox_unknown_emails_and_members_twice,
    a_deleted_members_tasks_stay_and_a_deleted_owners_projects_go,
    creates_racing_a_hand_over_all_end_in_the_new_owners_numbering,
    a_project_page_checks_token_and_membership_on_every_path,
);

/// Who acts, in the order of the matrices' columns (this one and MCP's in `mcp.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    Owner,
    Admin,
    Editor,
    Viewer,
    Stranger,
}

pub(crate) const ACTORS: [Actor; 5] = [
    Actor::Owner,
    Actor::Admin,
    Actor::Editor,
    Actor::Viewer,
    Actor::Stranger,
];

/// An operation on a shared project or one of its tasks.
#[derive(Debug, Clone, Copy)]
enum Op {
    GetProject,
    ListMembers,
    ListTasks,
    ProjectStats,
    GetTaskById,
    GetTaskByOwnersNumber,
    CreateTask,
    UpdateTask,
    CompleteTask,
    DeleteTask,
    RenameProject,
    Share,
    ChangeRole,
    RemoveMember,
    DeleteProject,
}

const OK: u16 = 200;
const CREATED: u16 = 201;
const GONE: u16 = 204;
const FORBIDDEN: u16 = 403;
const NOT_FOUND: u16 = 404;
const INVALID: u16 = 422;

/// The whole matrix: for each operation, the status each actor gets (owner, admin, editor,
/// viewer, non-member).
const MATRIX: &[(Op, [u16; 5])] = &[
    (Op::GetProject, [OK, OK, OK, OK, NOT_FOUND]),
    (Op::ListMembers, [OK, OK, OK, OK, NOT_FOUND]),
    (Op::ListTasks, [OK, OK, OK, OK, NOT_FOUND]),
    (Op::ProjectStats, [OK, OK, OK, OK, NOT_FOUND]),
    (Op::GetTaskById, [OK, OK, OK, OK, NOT_FOUND]),
    // Numbers are the owner's: for anyone else the number names their own task, or none.
    (
        Op::GetTaskByOwnersNumber,
        [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    ),
    // A project nobody showed them is, for a stranger, a bad field of their own task.
    (
        Op::CreateTask,
        [CREATED, CREATED, CREATED, FORBIDDEN, INVALID],
    ),
    (Op::UpdateTask, [OK, OK, OK, FORBIDDEN, NOT_FOUND]),
    (Op::CompleteTask, [OK, OK, OK, FORBIDDEN, NOT_FOUND]),
    (Op::DeleteTask, [OK, OK, OK, FORBIDDEN, NOT_FOUND]),
    (Op::RenameProject, [OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
    (
        Op::Share,
        [CREATED, CREATED, FORBIDDEN, FORBIDDEN, NOT_FOUND],
    ),
    (Op::ChangeRole, [OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND]),
    (
        Op::RemoveMember,
        [GONE, GONE, FORBIDDEN, FORBIDDEN, NOT_FOUND],
    ),
    (
        Op::DeleteProject,
        [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_FOUND],
    ),
];

/// A project shared with one member of each role, and someone it is not shared with.
struct World {
    owner: TestUser,
    admin: TestUser,
    editor: TestUser,
    viewer: TestUser,
    stranger: TestUser,
    project: String,
}

impl World {
    async fn new(app: &TestApp) -> Self {
        let owner = app.new_user().await;
        let project = new_project(app, &owner, "Groceries").await;
        let world = Self {
            admin: app.new_user().await,
            editor: app.new_user().await,
            viewer: app.new_user().await,
            stranger: app.new_user().await,
            owner,
            project,
        };
        world.share_all(app, &world.project).await;
        world
    }

    /// Shares `project` (the owner's) with the admin, editor and viewer.
    async fn share_all(&self, app: &TestApp, project: &str) {
        for (member, role) in [
            (&self.admin, "admin"),
            (&self.editor, "editor"),
            (&self.viewer, "viewer"),
        ] {
            let res = share(app, &self.owner, project, &member.email, role).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        }
    }

    fn user(&self, actor: Actor) -> &TestUser {
        match actor {
            Actor::Owner => &self.owner,
            Actor::Admin => &self.admin,
            Actor::Editor => &self.editor,
            Actor::Viewer => &self.viewer,
            Actor::Stranger => &self.stranger,
        }
    }
}

async fn new_project(app: &TestApp, user: &TestUser, name: &str) -> String {
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/projects",
            &user.token,
            Some(&json!({ "name": name })),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    string_at(&res.json(), "/id")
}

async fn share(
    app: &TestApp,
    by: &TestUser,
    project: &str,
    email: &str,
    role: &str,
) -> crate::helpers::TestResponse {
    app.send(app.authed_json(
        Method::POST,
        &format!("/api/v1/projects/{project}/members"),
        &by.token,
        Some(&json!({ "email": email, "role": role })),
    ))
    .await
}

async fn members(app: &TestApp, by: &TestUser, project: &str) -> Value {
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{project}/members"),
            &by.token,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn add_task(app: &TestApp, by: &TestUser, project: &str, title: &str) -> Value {
    app.create_task_ok(&by.token, &json!({ "title": title, "project_id": project }))
        .await
}

/// Titles of a project's tasks as `by` lists them.
async fn titles(app: &TestApp, by: &TestUser, project: &str) -> Vec<String> {
    let res = app
        .list_tasks(
            &by.token,
            &format!("project_id={project}&sort=position&order=asc"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| string_at(t, "/title"))
        .collect()
}

/// Performs `op` as `actor` on fresh resources of `world`, and gives the status it got.
async fn perform(app: &TestApp, world: &World, op: Op, actor: Actor) -> StatusCode {
    let user = world.user(actor);
    let project = &world.project;
    let project_path = format!("/api/v1/projects/{project}");
    let request = match op {
        Op::GetProject => app.authed(Method::GET, &project_path, &user.token),
        Op::ListMembers => app.authed(Method::GET, &format!("{project_path}/members"), &user.token),
        Op::ListTasks => app.authed(
            Method::GET,
            &format!("/api/v1/tasks?project_id={project}"),
            &user.token,
        ),
        Op::ProjectStats => app.authed(
            Method::GET,
            &format!("/api/v1/tasks/stats?project_id={project}"),
            &user.token,
        ),
        Op::GetTaskById | Op::GetTaskByOwnersNumber => {
            let task = add_task(app, &world.owner, project, "read me").await;
            let key = if matches!(op, Op::GetTaskById) {
                string_at(&task, "/id")
            } else {
                task["number"].to_string()
            };
            app.authed(Method::GET, &format!("/api/v1/tasks/{key}"), &user.token)
        }
        Op::CreateTask => app.authed_json(
            Method::POST,
            "/api/v1/tasks",
            &user.token,
            Some(&json!({ "title": "added", "project_id": project })),
        ),
        Op::UpdateTask | Op::CompleteTask | Op::DeleteTask => {
            let task = add_task(app, &world.owner, project, "change me").await;
            let path = format!("/api/v1/tasks/{}", string_at(&task, "/id"));
            match op {
                Op::UpdateTask => app.authed_json(
                    Method::PATCH,
                    &path,
                    &user.token,
                    Some(&json!({ "title": "changed" })),
                ),
                Op::CompleteTask => {
                    app.authed(Method::PATCH, &format!("{path}/complete"), &user.token)
                }
                _ => app.authed(Method::DELETE, &path, &user.token),
            }
        }
        Op::RenameProject => app.authed_json(
            Method::PATCH,
            &project_path,
            &user.token,
            Some(&json!({ "name": "Groceries" })),
        ),
        Op::Share => {
            let newcomer = app.new_user().await;
            app.authed_json(
                Method::POST,
                &format!("{project_path}/members"),
                &user.token,
                Some(&json!({ "email": newcomer.email, "role": "viewer" })),
            )
        }
        Op::ChangeRole | Op::RemoveMember => {
            let member = app.new_user().await;
            let res = share(app, &world.owner, project, &member.email, "viewer").await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            let path = format!("{project_path}/members/{}", member.id);
            if matches!(op, Op::ChangeRole) {
                app.authed_json(
                    Method::PATCH,
                    &path,
                    &user.token,
                    Some(&json!({ "role": "editor" })),
                )
            } else {
                app.authed(Method::DELETE, &path, &user.token)
            }
        }
        Op::DeleteProject => {
            // A project of its own, so the rows after this one still have theirs.
            let doomed = new_project(app, &world.owner, "Doomed").await;
            world.share_all(app, &doomed).await;
            app.authed(
                Method::DELETE,
                &format!("/api/v1/projects/{doomed}"),
                &user.token,
            )
        }
    };
    let res = app.send(request).await;
    if res.status.is_client_error() {
        // Every refusal is a problem document that says why.
        assert_problem(&res, res.status);
    }
    res.status
}

async fn every_role_can_do_exactly_what_it_may(app: TestApp) {
    let world = World::new(&app).await;
    let mut wrong = Vec::new();
    for (op, expected) in MATRIX {
        for (actor, status) in ACTORS.iter().zip(expected) {
            let got = perform(&app, &world, *op, *actor).await;
            if got.as_u16() != *status {
                wrong.push(format!("{op:?} as {actor:?}: expected {status}, got {got}"));
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
    // What the writes that were allowed did: the owner, admin and editor each added one.
    let added = titles(&app, &world.owner, &world.project).await;
    assert_eq!(added.iter().filter(|t| *t == "added").count(), 3);
}

async fn members_list_count_and_see_each_others_changes(app: TestApp) {
    let world = World::new(&app).await;
    let listed = members(&app, &world.viewer, &world.project).await;
    let roles: Vec<(String, String)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| (string_at(m, "/user_id"), string_at(m, "/role")))
        .collect();
    assert_eq!(
        roles,
        [
            (world.owner.id.clone(), "owner".to_owned()),
            (world.admin.id.clone(), "admin".to_owned()),
            (world.editor.id.clone(), "editor".to_owned()),
            (world.viewer.id.clone(), "viewer".to_owned()),
        ]
    );
    assert_eq!(string_at(&listed[1], "/email"), world.admin.email);

    // The shared project is in each member's project list with their role.
    let res = app
        .send(app.authed(Method::GET, "/api/v1/projects", &world.editor.token))
        .await;
    let projects = res.json();
    let shared: Vec<&Value> = projects
        .as_array()
        .expect("a list")
        .iter()
        .filter(|p| p["id"] == world.project.as_str())
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["role"], "editor");
    assert_eq!(shared[0]["owner_id"], world.owner.id.as_str());
    assert_eq!(shared[0]["member_count"], 3);

    // One member's write shows in every member's (cached) list and count at once.
    assert!(titles(&app, &world.viewer, &world.project).await.is_empty());
    let milk = add_task(&app, &world.editor, &world.project, "milk").await;
    assert_eq!(milk["user_id"], world.owner.id.as_str());
    assert_eq!(milk["created_by"], world.editor.id.as_str());
    assert_eq!(titles(&app, &world.viewer, &world.project).await, ["milk"]);
    let id = string_at(&milk, "/id");
    let res = app.complete_task(&world.admin.token, &id, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .list_tasks(
            &world.viewer.token,
            &format!("project_id={}&status=completed", world.project),
        )
        .await;
    assert_eq!(res.json().as_array().map(Vec::len), Some(1));
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/tasks/stats?project_id={}", world.project),
            &world.viewer.token,
        ))
        .await;
    assert_eq!(res.json()["completed"], 1, "{}", res.text);

    // A member's own list and counters stay their own: the shared task is the owner's.
    let res = app.list_tasks(&world.editor.token, "").await;
    assert_eq!(res.json().as_array().map(Vec::len), Some(0));
    let res = app.stats(&world.owner.token).await;
    assert_eq!(res.json()["total"], 1, "{}", res.text);

    // ETag and If-Match protect a member's edit from another's.
    let res = app.get_task(&world.editor.token, &id).await;
    let etag = res.header("etag").expect("an ETag").to_owned();
    let res = app
        .patch_task(&world.admin.token, &id, &json!({"title": "oat milk"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .send(
            app.authed_json(
                Method::PATCH,
                &format!("/api/v1/tasks/{id}"),
                &world.editor.token,
                Some(&json!({"title": "soy milk"})),
            )
            .header("if-match", etag),
        )
        .await;
    assert_problem(&res, StatusCode::PRECONDITION_FAILED);
}

async fn a_member_reaches_shared_tasks_by_id_and_only_their_own_by_number(app: TestApp) {
    let world = World::new(&app).await;
    let shared = add_task(&app, &world.owner, &world.project, "shared").await;
    let own = app
        .create_task_ok(&world.editor.token, &json!({ "title": "mine" }))
        .await;
    // Both are number 1, each in its owner's sequence.
    assert_eq!(shared["number"], 1);
    assert_eq!(own["number"], 1);
    let res = app.get_task(&world.editor.token, "1").await;
    assert_eq!(string_at(&res.json(), "/title"), "mine");
    let res = app
        .get_task(&world.editor.token, &string_at(&shared, "/id"))
        .await;
    assert_eq!(string_at(&res.json(), "/title"), "shared");

    // A subtask under a shared task goes to the owner, written by the member.
    let sub = app
        .create_task_ok(
            &world.editor.token,
            &json!({ "title": "semi-skimmed", "parent_id": shared["id"] }),
        )
        .await;
    assert_eq!(sub["user_id"], world.owner.id.as_str());
    assert_eq!(sub["project_id"], world.project.as_str());
    let res = app
        .create_task(
            &world.viewer.token,
            &json!({ "title": "nope", "parent_id": shared["id"] }),
        )
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);

    // Tasks move only between projects of one owner.
    let editors_project = new_project(&app, &world.editor, "Mine").await;
    let res = app
        .patch_task(
            &world.editor.token,
            &string_at(&shared, "/id"),
            &json!({ "project_id": editors_project }),
        )
        .await;
    assert_invalid(&res, "project_id");
    let res = app
        .patch_task(
            &world.editor.token,
            &string_at(&own, "/id"),
            &json!({ "project_id": world.project }),
        )
        .await;
    assert_invalid(&res, "project_id");
    assert_eq!(
        titles(&app, &world.owner, &world.project).await,
        ["shared", "semi-skimmed"]
    );
}

async fn handing_a_project_over_renumbers_its_tasks_into_the_new_owners_sequence(app: TestApp) {
    let world = World::new(&app).await;
    for title in ["one", "two", "three"] {
        add_task(&app, &world.owner, &world.project, title).await;
    }
    let done = add_task(&app, &world.owner, &world.project, "four").await;
    app.complete_task(&world.owner.token, &string_at(&done, "/id"), None)
        .await;
    app.create_task_ok(&world.owner.token, &json!({"title": "stays"}))
        .await;
    app.create_task_ok(&world.editor.token, &json!({"title": "editor's own"}))
        .await;

    // Only the owner hands over.
    let path = format!(
        "/api/v1/projects/{}/members/{}",
        world.project, world.editor.id
    );
    let res = app
        .send(app.authed_json(
            Method::PATCH,
            &path,
            &world.admin.token,
            Some(&json!({"role": "owner"})),
        ))
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);
    let res = app
        .send(app.authed_json(
            Method::PATCH,
            &path,
            &world.owner.token,
            Some(&json!({"role": "owner"})),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["role"], "owner");

    let res = app
        .list_tasks(
            &world.editor.token,
            &format!("project_id={}&sort=created_at&order=asc", world.project),
        )
        .await;
    let tasks = res.json();
    let numbered: Vec<(String, i64)> = tasks
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| (string_at(t, "/title"), t["number"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(
        numbered,
        [
            ("one".to_owned(), 2),
            ("two".to_owned(), 3),
            ("three".to_owned(), 4),
            ("four".to_owned(), 5)
        ]
    );
    assert!(
        tasks
            .as_array()
            .expect("a list")
            .iter()
            .all(|t| t["user_id"] == world.editor.id.as_str())
    );
    // The new owner reaches them by their numbers now; the old owner keeps the rest.
    let res = app.get_task(&world.editor.token, "3").await;
    assert_eq!(string_at(&res.json(), "/title"), "two");
    let res = app.get_task(&world.owner.token, "2").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let counts = |user: &TestUser| {
        let token = user.token.clone();
        let app = &app;
        async move { app.stats(&token).await.json() }
    };
    let new_owner = counts(&world.editor).await;
    assert_eq!(
        (new_owner["total"].as_i64(), new_owner["completed"].as_i64()),
        (Some(5), Some(1))
    );
    let old_owner = counts(&world.owner).await;
    assert_eq!(
        (old_owner["total"].as_i64(), old_owner["completed"].as_i64()),
        (Some(1), Some(0))
    );
    // The next task of the new owner follows on.
    let next = app
        .create_task_ok(&world.editor.token, &json!({"title": "next"}))
        .await;
    assert_eq!(next["number"], 6);

    // The previous owner stays as an admin.
    let roles = members(&app, &world.owner, &world.project).await;
    let role_of = |id: &str| {
        roles
            .as_array()
            .and_then(|all| all.iter().find(|m| m["user_id"] == id))
            .map(|m| string_at(m, "/role"))
    };
    assert_eq!(role_of(&world.editor.id).as_deref(), Some("owner"));
    assert_eq!(role_of(&world.owner.id).as_deref(), Some("admin"));
}

async fn a_member_may_leave_and_the_owner_may_not(app: TestApp) {
    let world = World::new(&app).await;
    let leave = |user: &TestUser| {
        app.authed(
            Method::DELETE,
            &format!("/api/v1/projects/{}/members/{}", world.project, user.id),
            &user.token,
        )
    };
    let res = app.send(leave(&world.viewer)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{}", world.project),
            &world.viewer.token,
        ))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = app
        .list_tasks(
            &world.viewer.token,
            &format!("project_id={}", world.project),
        )
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = app.send(leave(&world.owner)).await;
    assert_problem(&res, StatusCode::CONFLICT);
    // An editor cannot remove anyone else; an admin cannot remove the owner.
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!(
                "/api/v1/projects/{}/members/{}",
                world.project, world.admin.id
            ),
            &world.editor.token,
        ))
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!(
                "/api/v1/projects/{}/members/{}",
                world.project, world.owner.id
            ),
            &world.admin.token,
        ))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);
}

async fn assignees_are_members_and_lose_their_tasks_when_they_go(app: TestApp) {
    let world = World::new(&app).await;
    let task = add_task(&app, &world.owner, &world.project, "bread").await;
    let id = string_at(&task, "/id");
    let res = app
        .patch_task(
            &world.owner.token,
            &id,
            &json!({"assignee_id": world.stranger.id}),
        )
        .await;
    assert_invalid(&res, "assignee_id");
    let res = app
        .patch_task(
            &world.admin.token,
            &id,
            &json!({"assignee_id": world.viewer.id}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["assignee_id"], world.viewer.id.as_str());
    let res = app
        .create_task(
            &world.editor.token,
            &json!({"title": "eggs", "project_id": world.project, "assignee_id": world.editor.id}),
        )
        .await;
    assert_eq!(
        res.json()["assignee_id"],
        world.editor.id.as_str(),
        "{}",
        res.text
    );
    // Nobody else can be given a task in the owner's Inbox.
    let res = app
        .create_task(
            &world.owner.token,
            &json!({"title": "x", "assignee_id": world.admin.id}),
        )
        .await;
    assert_invalid(&res, "assignee_id");

    // Removing the viewer unassigns their task, and the change shows in every member's list.
    titles(&app, &world.admin, &world.project).await;
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!(
                "/api/v1/projects/{}/members/{}",
                world.project, world.viewer.id
            ),
            &world.admin.token,
        ))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = app
        .list_tasks(
            &world.admin.token,
            &format!("project_id={}&q=bread", world.project),
        )
        .await;
    assert_eq!(res.json()[0]["assignee_id"], Value::Null, "{}", res.text);
}

async fn sharing_refuses_the_inbox_unknown_emails_and_members_twice(app: TestApp) {
    let world = World::new(&app).await;
    let res = app
        .send(app.authed(Method::GET, "/api/v1/projects", &world.owner.token))
        .await;
    let inbox = res
        .json()
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|p| p["is_inbox"] == true)
                .map(|p| string_at(p, "/id"))
        })
        .expect("an Inbox");
    let res = share(&app, &world.owner, &inbox, &world.stranger.email, "editor").await;
    assert_problem(&res, StatusCode::CONFLICT);
    let res = share(
        &app,
        &world.owner,
        &world.project,
        "nobody@example.com",
        "editor",
    )
    .await;
    assert_invalid(&res, "email");
    let res = share(
        &app,
        &world.owner,
        &world.project,
        &world.editor.email.to_uppercase(),
        "viewer",
    )
    .await;
    assert_problem(&res, StatusCode::CONFLICT);
    let res = share(
        &app,
        &world.admin,
        &world.project,
        &world.owner.email,
        "viewer",
    )
    .await;
    assert_problem(&res, StatusCode::CONFLICT);
    let res = share(
        &app,
        &world.owner,
        &world.project,
        &world.stranger.email,
        "owner",
    )
    .await;
    assert_invalid(&res, "role");
    let res = share(
        &app,
        &world.owner,
        &world.project,
        &world.stranger.email,
        "boss",
    )
    .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    // The owner's role is not a member's to change.
    let res = app
        .send(app.authed_json(
            Method::PATCH,
            &format!(
                "/api/v1/projects/{}/members/{}",
                world.project, world.owner.id
            ),
            &world.admin.token,
            Some(&json!({"role": "viewer"})),
        ))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);
    // The stranger's view of the project is the same as of one that does not exist.
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{}/members", world.project),
            &world.stranger.token,
        ))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
}

async fn delete_account(app: &TestApp, user: &TestUser) {
    let res = app
        .send(app.authed_json(
            Method::DELETE,
            "/api/v1/auth/me",
            &user.token,
            Some(&json!({"password": user.password})),
        ))
        .await;
    assert!(res.status.is_success(), "{}", res.text);
}

async fn a_deleted_members_tasks_stay_and_a_deleted_owners_projects_go(app: TestApp) {
    let world = World::new(&app).await;
    let milk = app
        .create_task_ok(
            &world.editor.token,
            &json!({"title": "milk", "project_id": world.project, "assignee_id": world.editor.id}),
        )
        .await;
    titles(&app, &world.viewer, &world.project).await;
    delete_account(&app, &world.editor).await;
    let res = app
        .get_task(&world.viewer.token, &string_at(&milk, "/id"))
        .await;
    let kept = res.json();
    assert_eq!(kept["title"], "milk", "{}", res.text);
    assert_eq!(kept["created_by"], Value::Null);
    assert_eq!(kept["assignee_id"], Value::Null);
    // The member's cached page follows too.
    let res = app
        .list_tasks(
            &world.viewer.token,
            &format!("project_id={}", world.project),
        )
        .await;
    assert_eq!(res.json()[0]["created_by"], Value::Null, "{}", res.text);
    assert_eq!(
        members(&app, &world.admin, &world.project)
            .await
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    delete_account(&app, &world.owner).await;
    let res = app
        .send(app.authed(
            Method::GET,
            &format!("/api/v1/projects/{}", world.project),
            &world.admin.token,
        ))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
}

async fn creates_racing_a_hand_over_all_end_in_the_new_owners_numbering(app: TestApp) {
    // Arrange: a shared project with tasks, and a batch of creates by the admin (who stays a
    // member either way) sent together with the hand-over to the editor.
    let world = World::new(&app).await;
    for title in ["a", "b", "c"] {
        add_task(&app, &world.owner, &world.project, title).await;
    }
    let mut requests: Vec<_> = (0..12)
        .map(|i| {
            app.authed_json(
                Method::POST,
                "/api/v1/tasks",
                &world.admin.token,
                Some(&json!({ "title": format!("raced {i}"), "project_id": world.project })),
            )
        })
        .collect();
    requests.insert(
        6,
        app.authed_json(
            Method::PATCH,
            &format!(
                "/api/v1/projects/{}/members/{}",
                world.project, world.editor.id
            ),
            &world.owner.token,
            Some(&json!({"role": "owner"})),
        ),
    );

    // Act
    let responses = app.send_all(requests).await;
    eprintln!(
        "RACE {:?}",
        responses
            .iter()
            .map(|r| r.status.as_u16())
            .collect::<Vec<_>>()
    );

    // Assert: each create either landed or was refused as a stale write (409, never a 500), and
    // every task of the project is the new owner's, numbered in one unbroken sequence that the
    // counters agree with.
    assert_eq!(responses[6].status, StatusCode::OK, "{}", responses[6].text);
    let created = responses
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6)
        .filter(|(_, res)| {
            assert!(
                matches!(res.status.as_u16(), 201 | 409),
                "{}: {}",
                res.status,
                res.text
            );
            res.status == StatusCode::CREATED
        })
        .count();
    let res = app
        .list_tasks(
            &world.editor.token,
            &format!("project_id={}&limit=100", world.project),
        )
        .await;
    let tasks = res.json();
    let tasks = tasks.as_array().expect("a list");
    assert_eq!(tasks.len(), 3 + created, "{}", res.text);
    assert!(
        tasks
            .iter()
            .all(|t| t["user_id"] == world.editor.id.as_str())
    );
    let mut numbers: Vec<i64> = tasks.iter().filter_map(|t| t["number"].as_i64()).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=i64::try_from(tasks.len()).unwrap_or(0)).collect::<Vec<_>>()
    );
    assert_eq!(
        app.stats(&world.editor.token).await.json()["total"],
        tasks.len(),
    );
    assert_eq!(app.stats(&world.owner.token).await.json()["total"], 0);
}

/// A project page as `token` lists it on each server, with every query of `queries`, and the
/// second page of a one-task page.
async fn project_pages(servers: &[&TestApp], token: &str, queries: &[String]) -> Vec<TestResponse> {
    let mut pages = Vec::new();
    for server in servers {
        for query in queries {
            pages.push(server.list_tasks(token, query).await);
        }
        let first = server
            .list_tasks(token, &format!("{}&limit=1", queries[0]))
            .await;
        if let Some(next) = link_next(&first, "/api/v1/tasks?") {
            pages.push(server.send(server.authed(Method::GET, &next, token)).await);
        }
        pages.push(first);
    }
    pages
}

async fn a_project_page_checks_token_and_membership_on_every_path(app: TestApp) {
    // Arrange: one database served with the list cache (`app`) and without (a replica), so a
    // project page is read on each of its paths (cached, `overdue` which is never cached, and
    // uncached), by a signed session, a second session and a personal access token.
    let uncached = app.replica_with(|s| s.list_cache_bytes = 0).await;
    let servers = [&app, &uncached];
    let (owner, member, stranger) = (
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    );
    let full = new_project(&app, &owner, "Full").await;
    let empty = new_project(&app, &owner, "Empty").await;
    for project in [&full, &empty] {
        let res = share(&app, &owner, project, &member.email, "editor").await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    app.create_task_ok(
        &owner.token,
        &json!({"title": "late", "project_id": full, "due_date": "2020-01-01T09:00:00Z"}),
    )
    .await;
    add_task(&app, &member, &full, "fresh").await;
    let res = app.login(&member.email, &member.password).await;
    let laptop = string_at(&res.json(), "/token");
    let res = app
        .send(app.authed_json(
            Method::POST,
            "/api/v1/auth/tokens",
            &member.token,
            Some(&json!({"name": "script", "scopes": ["tasks:read"]})),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let script = string_at(&res.json(), "/token");
    let queries_of = |project: &str| {
        vec![
            format!("project_id={project}"),
            format!("project_id={project}&overdue=true"),
        ]
    };
    let (full_queries, empty_queries) = (queries_of(&full), queries_of(&empty));

    // Act and assert: members get the owner's tasks (named as the owner's) or an empty page.
    for token in [&member.token, &laptop, &script, &owner.token] {
        for page in project_pages(&servers, token, &full_queries).await {
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            let tasks = page.json();
            let tasks = tasks.as_array().expect("a list");
            assert!(!tasks.is_empty(), "{}", page.text);
            assert!(
                tasks.iter().all(|t| t["user_id"] == owner.id.as_str()),
                "{}",
                page.text
            );
            assert!(
                tasks.iter().all(|t| t["project_id"] == full.as_str()),
                "{}",
                page.text
            );
        }
        for page in project_pages(&servers, token, &empty_queries).await {
            assert_eq!((page.status, page.json()), (StatusCode::OK, json!([])));
            assert_eq!(page.header("x-total-count"), Some("0"));
        }
    }
    let overdue = app.list_tasks(&member.token, &full_queries[1]).await;
    assert_eq!(
        overdue.header("x-total-count"),
        Some("1"),
        "{}",
        overdue.text
    );

    // Strangers get a 404 for a full project and an empty one alike, on every path.
    for queries in [&full_queries, &empty_queries] {
        for page in project_pages(&servers, &stranger.token, queries).await {
            assert_not_found(&page);
        }
    }

    // A logged-out session is refused (401, not 404) where the member's other credentials
    // still read.
    let res = app
        .send(app.authed(Method::POST, "/api/v1/auth/logout", &laptop))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    for queries in [&full_queries, &empty_queries] {
        for page in project_pages(&servers, &laptop, queries).await {
            assert_unauthorized(&page);
        }
        for page in project_pages(&servers, &script, queries).await {
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        }
    }

    // A removed member is a stranger at once, cached pages or not.
    let res = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/projects/{full}/members/{}", member.id),
            &owner.token,
        ))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    for token in [&member.token, &script] {
        for page in project_pages(&servers, token, &full_queries).await {
            assert_not_found(&page);
        }
    }
}
