-- Projects: the lists a user keeps tasks in. Every user has exactly one Inbox, which cannot be
-- deleted, archived or renamed, and every task belongs to a project of its owner. Sharing adds
-- members beside the owner later; `owner_id` stays the owner.
create table project (
    id         uuid primary key,
    owner_id   text not null references app_user (id) on delete cascade,
    name       text not null,
    color      text,
    position   bigint not null default 0,
    archived   boolean not null default false,
    is_inbox   boolean not null default false,
    -- bumped by every write; the ETag
    version    bigint not null default 1,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create unique index project_one_inbox_idx on project (owner_id) where is_inbox;
-- The listing order: Inbox first, then by position.
create index project_owner_position_idx on project (owner_id, is_inbox desc, position, id);

-- The Inbox comes with the user, in the statement that creates the user, whichever path
-- creates it (sign-up, a first external token, tests).
create function app_user_inbox() returns trigger language plpgsql as $$
begin
    insert into project (id, owner_id, name, is_inbox, created_at, updated_at)
    values (gen_random_uuid(), new.id, 'Inbox', true, new.created_at, new.created_at);
    return null;
end $$;

create trigger app_user_inbox after insert on app_user
    for each row execute function app_user_inbox();

insert into project (id, owner_id, name, is_inbox, created_at, updated_at)
select gen_random_uuid(), id, 'Inbox', true, created_at, created_at from app_user;

alter table task add column project_id uuid references project (id);
-- A move between lists changes no counter; the list version is bumped by the update itself.
alter table task disable trigger task_updated;
update task set project_id = (select p.id from project p where p.owner_id = task.user_id and p.is_inbox);
alter table task enable trigger task_updated;
update app_user set list_version = list_version + 1;
alter table task alter column project_id set not null;

create index task_user_project_created_idx on task (user_id, project_id, created_at desc, id desc);
