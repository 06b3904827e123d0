-- Accounts and tasks. Timestamps are bound from the application as RFC 3339 UTC text, which
-- compares correctly as text; never use SQLite's CURRENT_TIMESTAMP (a different format).
create table app_user (
    id            text primary key,
    email         text not null unique,
    name          text not null,
    timezone      text not null default 'UTC',
    password_hash text,
    task_seq      integer not null default 0,
    created_at    text not null,
    updated_at    text not null,
    last_login_at text
);

create table task (
    id                  blob primary key,
    user_id             text not null references app_user (id) on delete cascade,
    number              integer not null,
    title               text not null,
    description         text,
    completed           integer not null default 0,
    priority            integer not null default 0,
    tags                text not null default '[]',
    due_date            text,
    is_recurring        integer not null default 0,
    recurrence_pattern  text,
    recurrence_interval integer not null default 1,
    -- bumped by every write; the ETag and the optimistic-concurrency check of updates
    version             bigint not null default 1,
    created_at          text not null,
    updated_at          text not null,
    completed_at        text,
    unique (user_id, number)
);

create index task_user_created_idx on task (user_id, created_at desc, id desc);
