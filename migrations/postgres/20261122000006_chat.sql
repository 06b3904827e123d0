-- Chat conversations and their messages. A message's position is `seq`, handed out from the
-- conversation's `message_count` in the writing transaction, so order never depends on clocks
-- of different replicas.
create table conversation (
    id            uuid primary key,
    user_id       text not null references app_user (id) on delete cascade,
    title         text not null,
    message_count bigint not null default 0,
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);

-- Serves "my conversations, most recently active first".
create index conversation_user_recent_idx on conversation (user_id, updated_at desc, id desc);

create table chat_message (
    id              uuid primary key,
    conversation_id uuid not null references conversation (id) on delete cascade,
    seq             bigint not null,
    role            text not null check (role in ('user', 'assistant')),
    content         text not null,
    -- [{name, arguments, result}] for assistant messages, [] otherwise
    tool_calls      jsonb not null default '[]',
    created_at      timestamptz not null,
    unique (conversation_id, seq)
);
