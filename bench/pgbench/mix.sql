-- The mix of bench/mix.lua (list 60 %, create 20 %, update 10 %, complete 5 %, delete 5 %) as the
-- statements tudu sends for each operation (src/tasks/service.rs, captured from the server with
-- RUST_LOG=sqlx::query=debug), one pgbench transaction per API request. Per-user copies are
-- made by bench/run.sh exactly as for list.sql (:uid and :last_created renamed per user).
-- Every request first reads the caller's session (the credential check, which also gives the
-- user's list version to the list cache). Variables: -D half=<tasks per user / 2> bounds the
-- numbers that update/complete touch (seeded, never deleted here); last_created_K starts at 0;
-- :sid is the user's session id. Values the server computes in Rust (UUIDv7 ids,
-- timestamps) are computed by PostgreSQL here (gen_random_uuid(), now()); NULL parameters that
-- pgbench cannot send are typed NULL literals.
\set r random(1, 100)
\set n random(1, :half)
select u.list_version from credential c join app_user u on u.id = c.user_id where c.id = :sid and c.user_id = :uid;
\if :r <= 60
-- list: the page statement the server sends when its list cache misses (or is off)
\set lim 51
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, (select task_count from app_user where id = :uid) as total_count
  from task where user_id = :uid order by created_at desc, id desc limit :lim;
\elif :r <= 80
-- create: one statement; the trigger task_numbered takes the number and counts the task
insert into task (id, user_id, number, title, description, completed, priority, tags, due_date,
                  is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at,
                  completed_at, recurrence_anchor_day, project_id, parent_id, position, assignee_id,
                  created_by)
  select gen_random_uuid(), id, task_seq + 1, 'Prepare the sprint demo #42',
         'Low effort but keeps slipping. Block 30 minutes in the calendar.', false, 2,
         '["work","q4"]', now() + interval '14 days', false, null, 1, now(), now(), null, null,
         coalesce(null::uuid, (select p.id from project p where p.owner_id = :uid and p.is_inbox)),
         null::uuid,
         coalesce(null::bigint, coalesce(case when null::uuid is null
             then (select max(position) from task where parent_id is null and project_id = coalesce(null::uuid,
                 (select p.id from project p where p.owner_id = :uid and p.is_inbox)))
             else (select max(position) from task where parent_id = null::uuid) end, 0) + 1),
         null::text, :uid
  from app_user where id = :uid
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, user_id \gset c_
\set last_created :c_number
\elif :r <= 90
-- update: read the task by number, then the version-checked update (one statement; the trigger
-- task_updated bumps the user's list version)
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, user_id
  from task where user_id = :uid and number = :n \gset t_
update task set title = 'Review the quarterly report (edited)', description = 'Moved after the review.',
    completed = :t_completed, priority = 3, tags = '["work","edited"]',
    due_date = now() + interval '7 days', is_recurring = false, recurrence_pattern = null,
    recurrence_interval = 1, completed_at = nullif(:t_completed_at, '')::timestamptz,
    updated_at = now(), recurrence_anchor_day = null,
    project_id = coalesce(:t_project_id::uuid, project_id), parent_id = nullif(:t_parent_id, '')::uuid,
    assignee_id = nullif(:t_assignee_id, ''),
    position = coalesce(:t_position::bigint, coalesce(case when nullif(:t_parent_id, '')::uuid is null
        then (select max(position) from task where parent_id is null and project_id = coalesce(:t_project_id::uuid, task.project_id))
        else (select max(position) from task where parent_id = nullif(:t_parent_id, '')::uuid) end, 0) + 1),
    version = version + 1
  where id = :t_id and user_id = :uid and version = :t_version
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, user_id;
\elif :r <= 95
-- complete (toggle): read, then the conditional update (one statement, the trigger counts it)
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, user_id
  from task where user_id = :uid and number = :n \gset t_
update task set completed = not :t_completed::boolean,
    completed_at = case when :t_completed::boolean then null else now() end,
    updated_at = now(), version = version + 1
  where id = :t_id and user_id = :uid and completed <> not :t_completed::boolean
    and (null::bigint is null or version = null::bigint)
  returning id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, user_id;
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
