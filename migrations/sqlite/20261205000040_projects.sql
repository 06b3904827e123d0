-- Projects: the lists a user keeps tasks in. Every user has exactly one Inbox, which cannot be
-- deleted, archived or renamed, and every task belongs to a project of its owner. Sharing adds
-- members beside the owner later; `owner_id` stays the owner.
create table project (
    id         blob primary key,
    owner_id   text not null references app_user (id) on delete cascade,
    name       text not null,
    color      text,
    position   bigint not null default 0,
    archived   integer not null default 0,
    is_inbox   integer not null default 0,
    -- bumped by every write; the ETag
    version    bigint not null default 1,
    created_at text not null,
    updated_at text not null
);

create unique index project_one_inbox_idx on project (owner_id) where is_inbox;
-- The listing order: Inbox first, then by position.
create index project_owner_position_idx on project (owner_id, is_inbox desc, position, id);

-- The Inbox comes with the user, in the statement that creates the user, whichever path
-- creates it (sign-up, a first external token, tests). Its id is a random (version 4) UUID.
create trigger app_user_inbox after insert on app_user
begin
    insert into project (id, owner_id, name, is_inbox, created_at, updated_at)
    values (unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || '8'
                || substr(hex(randomblob(2)), 2) || hex(randomblob(6))),
            new.id, 'Inbox', 1, new.created_at, new.created_at);
end;

insert into project (id, owner_id, name, is_inbox, created_at, updated_at)
select unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || '8'
           || substr(hex(randomblob(2)), 2) || hex(randomblob(6))),
       id, 'Inbox', 1, created_at, created_at
from app_user;

-- Nullable only because SQLite cannot add a column that is not; the application always sets it.
alter table task add column project_id blob references project (id);
update task set project_id = (select p.id from project p where p.owner_id = task.user_id and p.is_inbox);

create index task_user_project_created_idx on task (user_id, project_id, created_at desc, id desc);
