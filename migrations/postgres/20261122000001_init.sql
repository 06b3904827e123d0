-- Accounts and tasks. Timestamps are always bound from the application (UTC, microseconds)
-- so that both backends store the same instants.
create table app_user (
    id            text primary key,
    email         text not null unique,
    name          text not null,
    timezone      text not null default 'UTC',
    password_hash text,
    -- last task number handed out; bumped in the task-creating transaction so numbers are never reused
    task_seq      bigint not null default 0,
    created_at    timestamptz not null,
    updated_at    timestamptz not null,
    last_login_at timestamptz
);

create table task (
    id                  uuid primary key,
    user_id             text not null references app_user (id) on delete cascade,
    number              bigint not null,
    title               text not null,
    description         text,
    completed           boolean not null default false,
    -- 0 = NONE … 3 = HIGH, so that ordering by the column orders by importance
    priority            integer not null default 0,
    tags                jsonb not null default '[]',
    due_date            timestamptz,
    is_recurring        boolean not null default false,
    recurrence_pattern  text,
    recurrence_interval integer not null default 1,
    -- bumped by every write; the ETag and the optimistic-concurrency check of updates
    version             bigint not null default 1,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    completed_at        timestamptz,
    unique (user_id, number)
);

-- Matches the default listing order exactly (newest first, id as tie-breaker).
create index task_user_created_idx on task (user_id, created_at desc, id desc);
