-- The mix of bench/mix.lua (list 60 %, create 20 %, update 10 %, complete 5 %, delete 5 %) as the
-- statements tudu sends for each operation (src/tasks/service.rs, captured from the server with
-- RUST_LOG=sqlx::query=debug), one pgbench transaction per API request. Per-user copies are
-- made by bench/run.sh exactly as for list.sql (:uid and :last_created renamed per user).
-- Variables: -D half=<tasks per user / 2> bounds the numbers that update/complete touch (seeded,
-- never deleted here); last_created_K starts at 0. Values the server computes in Rust (UUIDv7 ids,
-- timestamps) are computed by PostgreSQL here (gen_random_uuid(), now()); NULL parameters that
-- pgbench cannot send are typed NULL literals.
\set r random(1, 100)
\set n random(1, :half)
\if :r <= 60
-- list: the page statement the server sends when its list cache misses (or is off)
\set lim 51
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, (select task_count from app_user where id = :uid) as total_count
  from task where user_id = :uid order by created_at desc, id desc limit :lim;
\elif :r <= 80
-- create: one statement; the trigger task_numbered takes the number and counts the task
insert into task (id, user_id, number, title, description, completed, priority, tags, due_date,
                  is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at,
                  completed_at, recurrence_anchor_day)
  select gen_random_uuid(), id, task_seq + 1, 'Prepare the sprint demo #42',
         'Low effort but keeps slipping. Block 30 minutes in the calendar.', false, 2,
         '["work","q4"]', now() + interval '14 days', false, null, 1, now(), now(), null, null
  from app_user where id = :uid
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, user_id \gset c_
\set last_created :c_number
\elif :r <= 90
-- update: read the task by number, then the version-checked update (one statement; the trigger
-- task_updated bumps the user's list version)
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, user_id
  from task where user_id = :uid and number = :n \gset t_
update task set title = 'Review the quarterly report (edited)', description = 'Moved after the review.',
    completed = :t_completed, priority = 3, tags = '["work","edited"]',
    due_date = now() + interval '7 days', is_recurring = false, recurrence_pattern = null,
    recurrence_interval = 1, completed_at = nullif(:t_completed_at, '')::timestamptz,
    updated_at = now(), recurrence_anchor_day = null, version = version + 1
  where id = :t_id and user_id = :uid and version = :t_version
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, user_id;
\elif :r <= 95
-- complete (toggle): read, then the conditional update (one statement, the trigger counts it)
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, user_id
  from task where user_id = :uid and number = :n \gset t_
update task set completed = not :t_completed::boolean,
    completed_at = case when :t_completed::boolean then null else now() end,
    updated_at = now(), version = version + 1
  where id = :t_id and user_id = :uid and completed <> not :t_completed::boolean
    and (null::bigint is null or version = null::bigint)
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, user_id;
\elif :last_created > 0
-- delete the task this client last created for this user (one statement, the trigger counts it)
delete from task where user_id = :uid and (id = null::uuid or number = :last_created)
    and (null::bigint is null or version = null::bigint)
  returning id;
\set last_created 0
\else
-- no task of this user created by this client since its last delete (about one delete in five):
-- the server's path for a delete that finds nothing (a 404)
delete from task where user_id = :uid and (id = null::uuid or number = 0)
    and (null::bigint is null or version = null::bigint)
  returning id;
\endif
