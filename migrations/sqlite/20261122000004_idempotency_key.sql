-- Responses to POST /tasks remembered by Idempotency-Key for 24 h, so a retried request
-- returns the first answer instead of creating a second task. Written in the same transaction
-- as the task it records.
create table idempotency_key (
    user_id     text not null references app_user (id) on delete cascade,
    key         text not null,
    fingerprint text not null,
    status      integer not null,
    response    text not null,
    created_at  text not null,
    primary key (user_id, key)
);

create index idempotency_key_created_idx on idempotency_key (created_at);
