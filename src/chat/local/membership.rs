//! Carrying out requests about a list's people through the MCP tools: listing who it is
//! shared with, removing a member, changing a role or handing the list over, and leaving it.
//! The list is looked up first, so an unknown name changes nothing; what the user may do is
//! the tools' to say, and their refusals are put in a person's words.
//!
//! Leaving a list and handing it over cannot be undone by the user, so, like a bulk change,
//! they are only asked about: the reply ends with a line naming the change, and a "yes" in the
//! next message carries out that line ([`pending`], [`confirm`]).

use super::bulk::{CONFIRM_LINE, LINE_END};
use super::command::ListName;
use super::filing::{Lookup, lookup, missing, project, role_phrase, several};
use super::reply;
use crate::chat::agent::{PastMessage, Role as Speaker};
use crate::chat::tools::ToolBox;
use crate::error::ApiError;
use crate::mcp::projects::{
    ChangeMemberRoleArgs, MemberList, ProjectArgs, RoleChanged, UnshareProjectArgs, Unshared,
};
use crate::projects::model::{Member, Project, Role};

/// "\"Groceries\" is shared with sam@example.com (editor). Its owner is …".
///
/// # Errors
/// The tool session broke.
pub async fn members(list: &ListName, tools: &mut ToolBox) -> Result<String, ApiError> {
    let project = match project(list, tools).await? {
        Ok(project) => project,
        Err(answer) => return Ok(answer),
    };
    Ok(match people(&project, tools).await? {
        Ok(people) => describe(&project, &people),
        Err(answer) => answer,
    })
}

/// Stops sharing the list with `email`; with nobody named, lists the members and asks which
/// one, changing nothing (never "everyone").
///
/// # Errors
/// The tool session broke.
pub async fn unshare(
    list: &ListName,
    email: Option<&str>,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let project = match project(list, tools).await? {
        Ok(project) => project,
        Err(answer) => return Ok(answer),
    };
    let name = &project.name;
    let Some(email) = email else {
        let people = match people(&project, tools).await? {
            Ok(people) => people,
            Err(answer) => return Ok(answer),
        };
        let others = shared_with(&people);
        return Ok(match people.get(1) {
            None => format!("\"{name}\" isn't shared with anyone, so I changed nothing."),
            Some(first) => format!(
                "Who should I stop sharing \"{name}\" with? It's shared with {others}. Say e.g. \
                 \"stop sharing {name} with {}\". Nothing was changed.",
                first.email
            ),
        });
    };
    let args = UnshareProjectArgs {
        project: project.id.to_string(),
        email: email.to_owned(),
        user_id: None,
    };
    let outcome = tools.call_with("unshare_project", &args).await?;
    if let Some(gone) = outcome.read::<Unshared>() {
        return Ok(if gone.left {
            left(name)
        } else {
            format!(
                "Stopped sharing \"{name}\" with {} (they were {}).",
                gone.removed.email,
                role_phrase(gone.removed.role)
            )
        });
    }
    let error = outcome.error_message().unwrap_or_default();
    Ok(if error.contains("owner and admins") {
        only_managers_may(&project, "remove people")
    } else if error.contains("not a member") {
        not_a_member(email, name)
    } else if error.contains("owner cannot") {
        format!(
            "{email} owns \"{name}\" and can't be removed, so I changed nothing. The owner can \
             make another member the owner first."
        )
    } else {
        reply::failure(outcome.error_message())
    })
}

/// Gives the member `email` the role `role`; for `Owner`, asks whether to hand the list to
/// them.
///
/// # Errors
/// The tool session broke.
pub async fn change_role(
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
        return ask_hand_over(&project, email, tools).await;
    }
    set_role(&project, email, role, tools).await
}

/// Asks whether to hand `project` to its member `email`, after checking that it can be done.
async fn ask_hand_over(
    project: &Project,
    email: &str,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let name = &project.name;
    if project.role != Role::Owner {
        return Ok(only_the_owner_hands_over(project));
    }
    let people = match people(project, tools).await? {
        Ok(people) => people,
        Err(answer) => return Ok(answer),
    };
    let Some(member) = people.iter().find(|m| m.email.eq_ignore_ascii_case(email)) else {
        return Ok(not_a_member(email, name));
    };
    if member.role == Role::Owner {
        return Ok(owner_role_fixed(email, name));
    }
    Ok(format!(
        "\"{name}\" would belong to {email}: you'd stay on as an admin, and only they could hand \
         it back.\n{CONFIRM_LINE}hand \"{name}\" over to {}{LINE_END}",
        member.email
    ))
}

/// Gives the member `email` of `project` the role `role` (`Owner`: hands it over).
async fn set_role(
    project: &Project,
    email: &str,
    role: Role,
    tools: &mut ToolBox,
) -> Result<String, ApiError> {
    let name = &project.name;
    let args = ChangeMemberRoleArgs {
        project: project.id.to_string(),
        email: email.to_owned(),
        role,
        user_id: None,
    };
    let outcome = tools.call_with("change_member_role", &args).await?;
    if let Some(changed) = outcome.read::<RoleChanged>() {
        let who = &changed.member.email;
        return Ok(if role == Role::Owner {
            format!(
                "\"{name}\" now belongs to {who}; you stay on as an admin. Only they can hand it \
                 back, so undo can't."
            )
        } else if changed.previous_role == role {
            format!(
                "{who} is already {} of \"{name}\", so nothing changed.",
                role_phrase(role)
            )
        } else {
            format!(
                "{who} is now {} of \"{name}\" (was {}).",
                role_phrase(role),
                role_phrase(changed.previous_role)
            )
        });
    }
    let error = outcome.error_message().unwrap_or_default();
    Ok(if error.contains("only the project's owner may") {
        only_the_owner_hands_over(project)
    } else if error.contains("owner and admins") {
        only_managers_may(project, "change roles")
    } else if error.contains("not a member") {
        not_a_member(email, name)
    } else if error.contains("owner's role cannot change") {
        owner_role_fixed(email, name)
    } else {
        reply::failure(outcome.error_message())
    })
}

/// The refusal of a member who is no admin: "Only the owner of … and its admins can `what`".
fn only_managers_may(project: &Project, what: &str) -> String {
    format!(
        "Only the owner of \"{}\" and its admins can {what}, and you're {} there, so I changed \
         nothing.",
        project.name,
        role_phrase(project.role)
    )
}

fn only_the_owner_hands_over(project: &Project) -> String {
    format!(
        "Only the owner of \"{}\" can hand it over, and you're {} there, so I changed nothing.",
        project.name,
        role_phrase(project.role)
    )
}

fn owner_role_fixed(email: &str, name: &str) -> String {
    format!("{email} owns \"{name}\"; the owner's role can't change, so I changed nothing.")
}

/// Asks whether to leave a list someone shared with the user; its owner cannot.
///
/// # Errors
/// The tool session broke.
pub async fn leave(list: &ListName, tools: &mut ToolBox) -> Result<String, ApiError> {
    let project = match lookup(&list.name, tools).await? {
        Ok(Lookup::Found(project)) => project,
        // "leave work early" names no list: it was never a request about one.
        Ok(Lookup::Missing) if !list.explicit => return Ok(reply::NOT_UNDERSTOOD.to_owned()),
        Ok(Lookup::Missing) => return Ok(missing(list)),
        Ok(Lookup::Several) => return Ok(several(list)),
        Err(answer) => return Ok(answer),
    };
    let name = &project.name;
    if project.role == Role::Owner {
        return Ok(owner_cannot_leave(name));
    }
    Ok(format!(
        "You'd no longer see \"{name}\" or its tasks, and only its owner or an admin could share \
         it with you again.\n{CONFIRM_LINE}leave \"{name}\"{LINE_END}"
    ))
}

/// Leaves `project`.
async fn leave_now(project: &Project, tools: &mut ToolBox) -> Result<String, ApiError> {
    let name = &project.name;
    let args = ProjectArgs {
        project: project.id.to_string(),
        user_id: None,
    };
    let outcome = tools.call_with("leave_project", &args).await?;
    if outcome.read::<Unshared>().is_some() {
        return Ok(left(name));
    }
    let error = outcome.error_message().unwrap_or_default();
    Ok(if error.contains("owner cannot") {
        owner_cannot_leave(name)
    } else {
        reply::failure(outcome.error_message())
    })
}

fn owner_cannot_leave(name: &str) -> String {
    format!(
        "You own \"{name}\", so you can't leave it; make another member the owner first (e.g. \
         \"make sam@example.com the owner of {name}\"). Nothing was changed."
    )
}

/// A change of a list's people that waits for a "yes".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Leave the list of this name.
    Leave(String),
    /// Hand the list of this name over to the member with this email.
    HandOver {
        /// The list's name.
        list: String,
        /// The new owner's email.
        email: String,
    },
}

/// The change the conversation's last message asks a "yes" for, if it asked about leaving a
/// list or handing one over.
#[must_use]
pub fn pending(history: &[PastMessage]) -> Option<Pending> {
    let last = history.last().filter(|m| m.role == Speaker::Assistant)?;
    let line = last
        .content
        .lines()
        .next_back()?
        .strip_prefix(CONFIRM_LINE)?
        .strip_suffix(LINE_END)?;
    if let Some(name) = line.strip_prefix("leave \"") {
        return Some(Pending::Leave(name.strip_suffix('"')?.to_owned()));
    }
    let (list, email) = line.strip_prefix("hand \"")?.rsplit_once("\" over to ")?;
    Some(Pending::HandOver {
        list: list.to_owned(),
        email: email.to_owned(),
    })
}

/// Carries out the change a "yes" answered, on the list of that name as it is now (it may
/// have gone, or the user's role in it changed, since the question).
///
/// # Errors
/// The tool session broke.
pub async fn confirm(change: Pending, tools: &mut ToolBox) -> Result<String, ApiError> {
    let name = match &change {
        Pending::Leave(list) | Pending::HandOver { list, .. } => list.clone(),
    };
    let list = ListName {
        name,
        explicit: true,
    };
    let project = match project(&list, tools).await? {
        Ok(project) => project,
        Err(answer) => return Ok(answer),
    };
    match change {
        Pending::Leave(_) => leave_now(&project, tools).await,
        Pending::HandOver { email, .. } => set_role(&project, &email, Role::Owner, tools).await,
    }
}

/// The people of `project`, or the reply saying why they could not be read.
async fn people(
    project: &Project,
    tools: &mut ToolBox,
) -> Result<Result<Vec<Member>, String>, ApiError> {
    let args = ProjectArgs {
        project: project.id.to_string(),
        user_id: None,
    };
    let outcome = tools.call_with("list_members", &args).await?;
    Ok(match outcome.read::<MemberList>() {
        Some(list) => Ok(list.members),
        None => Err(reply::failure(outcome.error_message())),
    })
}

/// Who the project is shared with, and its owner.
fn describe(project: &Project, people: &[Member]) -> String {
    let name = &project.name;
    let owner = people
        .iter()
        .find(|m| m.role == Role::Owner)
        .map_or("its owner", |m| m.email.as_str());
    if people.len() < 2 {
        return format!(
            "\"{name}\" isn't shared with anyone; only {owner} sees it. Share it with e.g. \
             \"share {name} with sam@example.com\"."
        );
    }
    format!(
        "\"{name}\" is shared with {}. Its owner is {owner}.",
        shared_with(people)
    )
}

/// "sam@example.com (editor), kim@example.com (viewer)": everyone but the owner.
fn shared_with(people: &[Member]) -> String {
    people
        .iter()
        .filter(|m| m.role != Role::Owner)
        .map(|m| format!("{} ({})", m.email, m.role.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn left(name: &str) -> String {
    format!(
        "You left \"{name}\": you no longer see it or its tasks. Its owner or an admin can share \
         it with you again."
    )
}

fn not_a_member(email: &str, name: &str) -> String {
    format!(
        "{email} isn't a member of \"{name}\", so I changed nothing. Say \"who is {name} shared \
         with\" to see who is."
    )
}
