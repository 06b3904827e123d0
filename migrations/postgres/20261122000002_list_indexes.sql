-- One index per listing order, each matching its ORDER BY exactly (PostgreSQL scans a btree in
-- either direction, so `key, id` serves both `asc` and `desc` when key and id go the same way).
create index task_user_updated_idx on task (user_id, updated_at desc, id desc);
create index task_user_due_idx on task (user_id, due_date asc nulls last, id asc);
-- Backwards, the index above would put undated tasks first; `desc` needs its own.
create index task_user_due_desc_idx on task (user_id, due_date desc nulls last, id desc);
create index task_user_priority_idx on task (user_id, priority desc, id desc);
create index task_user_title_idx on task (user_id, title, id);
