-- Sharing: a project's members beside its owner. A task stays its project owner's (`user_id`,
-- numbered in the owner's sequence); members reach it through `project_member`. The Inbox is
-- never shared (the service refuses it).
create table project_member (
    project_id blob not null references project (id) on delete cascade,
    user_id    text not null references app_user (id) on delete cascade,
    role       text not null check (role in ('viewer', 'editor', 'admin')),
    created_at text not null,
    primary key (project_id, user_id)
);

-- A user's shared projects, for the project list and every member check.
create index project_member_user_idx on project_member (user_id, project_id);

-- Who wrote a task first, and who is to do it; both outlive the account they name as null.
alter table task add column assignee_id text references app_user (id) on delete set null;
alter table task add column created_by text references app_user (id) on delete set null;

-- Existing tasks were all written by their owners.
update task set created_by = user_id;

-- A task belongs to its project's owner: a write that read the owner before the project changed
-- hands fails instead of leaving a task in the old owner's numbering (SQLite runs one writer at
-- a time, so the check here sees any hand-over that committed first).
create trigger task_in_owners_project_insert before insert on task
when not exists (select 1 from project where id = new.project_id and owner_id = new.user_id)
begin
    select raise(abort, 'the task''s project has another owner');
end;

create trigger task_in_owners_project_update before update of project_id on task
when not exists (select 1 from project where id = new.project_id and owner_id = new.user_id)
begin
    select raise(abort, 'the task''s project has another owner');
end;
