//! Carrying out what a message asks of projects (lists) through the MCP tools: finding a
//! named list among the user's, listing, creating and sharing lists, and moving a task to
//! one.

use super::command::{ListName, TaskRef};
use super::reply::{self, Spoken};
use super::resolve::{Prefer, Shown, resolve};
use crate::chat::tools::ToolBox;
use crate::error::ApiError;
use crate::mcp::projects::{AddProjectArgs, ListProjectsArgs, ProjectList, ShareProjectArgs};
use crate::mcp::server::{TaskId, UpdateTaskArgs};
use crate::projects::model::{Member, Named, NewProject, Project, Role, ShareProject, named};
use crate::tasks::model::{Task, TaskPatch};

/// What a list name turned out to be among the user's projects.
#[derive(Debug)]
pub enum Lookup {
    /// This project.
    Found(Project),
    /// None of the user's projects that are not archived has that name.
    Missing,
    /// Several have it.
    Several,
}

/// Finds the project `name` names, as the task tools' `project` argument would
/// ([`named`]: ignoring case, "inbox" is the Inbox); `Err` holds the reply when the tool
/// failed.
///
/// # Errors
/// The tool session broke.
pub async fn lookup(name: &str, tools: &mut ToolBox) -> Result<Result<Lookup, String>, ApiError> {
    let outcome = tools
        .call_with("list_projects", &ListProjectsArgs::default())
        .await?;
    let Some(list) = outcome.read::<ProjectList>() else {
        return Ok(Err(reply::failure(outcome.error_message())));
    };
    Ok(Ok(match named(&list.projects, name) {
        Named::One(project) => Lookup::Found(project.clone()),
        Named::Nothing => Lookup::Missing,
        Named::Several => Lookup::Several,
    }))
}

/// The answer when `list` is not one of the user's lists: nothing changed.
#[must_use]
pub fn missing(list: &ListName) -> String {
    format!(
        "You don't have a list called \"{}\", so I changed nothing. Say \"show my lists\" to \
         see them, or \"create a list called {}\" to make it.",
        list.name, list.name
    )
}

/// The answer when several of the user's lists have the name.
#[must_use]
pub fn several(list: &ListName) -> String {
    format!(
        "You have more than one list called \"{}\", so I changed nothing. Rename one of them \
         in the app, then ask again.",
        list.name
    )
}

/// The project `list` names, or the reply saying why there is none to use.
///
/// # Errors
/// The tool session broke.
pub async fn project(
    list: &ListName,
    tools: &mut ToolBox,
) -> Result<Result<Project, String>, ApiError> {
    Ok(match lookup(&list.name, tools).await? {
        Ok(Lookup::Found(project)) => Ok(project),
        Ok(Lookup::Missing) => Err(missing(list)),
        Ok(Lookup::Several) => Err(several(list)),
        Err(answer) => Err(answer),
    })
}

/// "Your lists: Inbox, Groceries, Work."
///
/// # Errors
/// The tool session broke.
pub async fn projects(tools: &mut ToolBox) -> Result<String, ApiError> {
    let outcome = tools
        .call_with("list_projects", &ListProjectsArgs::default())
        .await?;
    let Some(list) = outcome.read::<ProjectList>() else {
        return Ok(reply::failure(outcome.error_message()));
    };
    Ok(match list.projects.as_slice() {
        [] => "You have no lists yet.".to_owned(),
        [only] => format!(
            "You have one list, {}. Make another with \"create a list called Groceries\".",
            only.name
        ),
        many => {
            let names: Vec<&str> = many.iter().map(|p| p.name.as_str()).collect();
            format!(
                "You have {} lists: {}. Say \"what's in my {} list\" to see one.",
                many.len(),
                names.join(", "),
                names[1]
            )
        }
    })
}

/// Creates the list `name`, unless the user already has one of that name.
///
/// # Errors
/// The tool session broke.
pub async fn create(name: String, tools: &mut ToolBox) -> Result<String, ApiError> {
    let list = ListName {
        name,
        explicit: true,
    };
    match lookup(&list.name, tools).await? {
        Ok(Lookup::Found(existing)) => {
            return Ok(format!(
                "You already have a list called \"{}\", so I made no new one.",
                existing.name
            ));
        }
        Ok(Lookup::Missing | Lookup::Several) => {}
        Err(answer) => return Ok(answer),
    }
    let args = AddProjectArgs {
        project: NewProject {
            name: Some(list.name),
            ..NewProject::default()
        },
        user_id: None,
    };
    let outcome = tools.call_with("add_project", &args).await?;
    Ok(match outcome.read::<Project>() {
        Some(project) => format!(
            "Created the list \"{}\". Add to it with \"add milk to {}\".",
            project.name, project.name
        ),
        None => reply::failure(outcome.error_message()),
    })
}

/// Moves the task `task` names to the list `list` names. The list is looked up first, so an
/// unknown name answers without reading any task; the task is found by the same rules as
/// every other change (a vague or ambiguous reference asks back and changes nothing).
///
/// # Errors
/// The tool session broke.
pub async fn move_to(
    task: &TaskRef,
    list: &ListName,
    shown: &[Shown],
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let project = match lookup(&list.name, tools).await? {
        Ok(Lookup::Found(project)) => project,
        // "move task 3 to later": neither a date nor a list.
        Ok(Lookup::Missing) if !list.explicit => {
            return Ok(format!(
                "\"{}\" is neither one of your lists nor a date I understand, so I changed \
                 nothing. Say \"show my lists\" to see your lists.",
                list.name
            ));
        }
        Ok(Lookup::Missing) => return Ok(missing(list)),
        Ok(Lookup::Several) => return Ok(several(list)),
        Err(answer) => return Ok(answer),
    };
    let found = match resolve(task, Prefer::ExactTitle, shown, tools).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    if found.project_id == project.id {
        return Ok(format!("{} is already in {}.", found.name(), project.name));
    }
    let args = UpdateTaskArgs {
        task_id: TaskId::Number(found.number),
        user_id: None,
        changes: TaskPatch {
            project_id: Some(project.id),
            ..TaskPatch::default()
        },
        project: None,
        parent: None,
    };
    let outcome = tools.call_with("update_task", &args).await?;
    Ok(match outcome.read::<Task>() {
        Some(moved) => format!("Moved {} to {}.", moved.name(), project.name),
        None => reply::failure(outcome.error_message()),
    })
}

/// Shares the list `list` names with the account of `email` as `role`. The list is looked up
/// first, so a list the user cannot see answers as one they do not have; whether they may
/// share it is the tool's to say, and its refusals are put in a person's words.
///
/// # Errors
/// The tool session broke.
pub async fn share(
    list: &ListName,
    email: &str,
    role: Role,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let project = match project(list, tools).await? {
        Ok(project) => project,
        Err(answer) => return Ok(answer),
    };
    if role == Role::Owner {
        return Ok(format!(
            "I don't share a list as its owner, so nothing was shared. Share it first, then hand \
             it over with \"make {email} the owner of {}\".",
            project.name
        ));
    }
    let args = ShareProjectArgs {
        project: project.id.to_string(),
        share: ShareProject {
            email: Some(email.to_owned()),
            role: Some(role),
        },
        user_id: None,
    };
    let outcome = tools.call_with("share_project", &args).await?;
    if let Some(member) = outcome.read::<Member>() {
        return Ok(format!(
            "Shared \"{}\" with {} as {}.",
            project.name,
            member.email,
            role_phrase(member.role)
        ));
    }
    let error = outcome.error_message().unwrap_or_default();
    let name = &project.name;
    Ok(if error.contains("owner and admins") {
        format!(
            "Only the owner of \"{name}\" and its admins can share it, and you're {} there, so \
             I shared nothing.",
            role_phrase(project.role)
        )
    } else if error.contains("Inbox cannot be shared") {
        "Your Inbox can't be shared, so I shared nothing. Share another list, e.g. \"share \
         Groceries with sam@example.com\"."
            .to_owned()
    } else if error.contains("no tudu account") {
        format!(
            "There's no tudu account for {email}, so I shared nothing. Ask them to sign up, then \
             try again."
        )
    } else if error.contains("member already") {
        format!("{email} already has access to \"{name}\", so I changed nothing.")
    } else if error.contains("own this project") {
        format!("{email} owns \"{name}\", so there's nothing to share.")
    } else {
        reply::failure(outcome.error_message())
    })
}

/// "an editor", "a viewer", "an admin", "the owner".
pub(super) fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Viewer => "a viewer",
        Role::Editor => "an editor",
        Role::Admin => "an admin",
        Role::Owner => "the owner",
    }
}
