-- Every token tudu issues has a row here: a session (the JWT of a login or sign-up, which names
-- its row in the `sid` claim) or a personal access token (found by the SHA-256 of its secret).
-- A token is accepted only while its row exists, so revoking one is deleting a row, and every
-- replica sees that at its next request.
create table credential (
    id           text primary key,
    user_id      text not null references app_user (id) on delete cascade,
    kind         text not null check (kind in ('session', 'pat')),
    name         text,
    -- space-separated scopes (sessions hold all of them)
    scopes       text not null,
    secret_hash  text unique,
    created_at   timestamptz not null,
    expires_at   timestamptz,
    last_used_at timestamptz
);
create index credential_user_idx on credential (user_id, kind, created_at);

-- Tokens without a row (an external issuer's, or signed with the secret outside tudu): those
-- issued at or before this Unix second are refused (a password change and logout-all move it
-- to the present; logging such a token out moves it to the token's `iat`).
alter table app_user add column tokens_valid_after bigint not null default 0;
