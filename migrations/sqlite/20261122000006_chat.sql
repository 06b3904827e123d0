-- Chat conversations and their messages; see the PostgreSQL migration for the reasoning.
create table conversation (
    id            blob primary key,
    user_id       text not null references app_user (id) on delete cascade,
    title         text not null,
    message_count integer not null default 0,
    created_at    text not null,
    updated_at    text not null
);

create index conversation_user_recent_idx on conversation (user_id, updated_at desc, id desc);

create table chat_message (
    id              blob primary key,
    conversation_id blob not null references conversation (id) on delete cascade,
    seq             integer not null,
    role            text not null check (role in ('user', 'assistant')),
    content         text not null,
    tool_calls      text not null default '[]',
    created_at      text not null,
    unique (conversation_id, seq)
);
