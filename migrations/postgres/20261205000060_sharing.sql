-- Sharing: a project's members beside its owner. A task stays its project owner's (`user_id`,
-- numbered in the owner's sequence); members reach it through `project_member`. The Inbox is
-- never shared (the service refuses it).
create table project_member (
    project_id uuid not null references project (id) on delete cascade,
    user_id    text not null references app_user (id) on delete cascade,
    role       text not null check (role in ('viewer', 'editor', 'admin')),
    created_at timestamptz not null,
    primary key (project_id, user_id)
);

-- A user's shared projects, for the project list and every member check.
create index project_member_user_idx on project_member (user_id, project_id);

-- Who wrote a task first, and who is to do it; both outlive the account they name as null.
alter table task add column assignee_id text references app_user (id) on delete set null;
alter table task add column created_by text references app_user (id) on delete set null;

-- Existing tasks were all written by their owners. No counter changes, so the update trigger
-- is off for it; the list version is bumped once.
alter table task disable trigger task_updated;
update task set created_by = user_id;
alter table task enable trigger task_updated;
update app_user set list_version = list_version + 1;

-- A project handed to a new owner moves its tasks into the new owner's numbering in one
-- statement, and keeps the counters itself, as an import does (see `tudu.bulk_insert` in
-- migration `bulk_task_import`): one update of the owner's row per task would leave a dead row
-- version per task behind.
create or replace function task_after_update() returns trigger language plpgsql as $$
begin
    if current_setting('tudu.bulk_insert', true) = 'on' then
        return null;
    end if;
    update app_user set
        completed_count = completed_count + new.completed::int - old.completed::int,
        list_version = list_version + 1
    where id = new.user_id;
    return null;
end $$;

-- A task belongs to its project's owner. The service writes tasks under the owner it read, but
-- the project may change hands meanwhile: the key-share lock waits for a hand-over in progress
-- and then reads the new owner, so a stale write fails (as a foreign key does) instead of
-- leaving a task behind in the old owner's numbering. Named to run before `task_numbered`.
create function task_matches_project_owner() returns trigger language plpgsql as $$
begin
    if current_setting('tudu.bulk_insert', true) = 'on' then
        return new;
    end if;
    perform 1 from project where id = new.project_id and owner_id = new.user_id for key share;
    if not found then
        raise foreign_key_violation using message = 'the task''s project has another owner';
    end if;
    return new;
end $$;

create trigger task_in_owners_project before insert or update of project_id on task
    for each row execute function task_matches_project_owner();
