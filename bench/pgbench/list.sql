-- tudu's list statement for GET /api/v1/tasks?limit=50 (src/tasks/listing.rs builds it; the
-- task columns come from listed_task_columns! in src/tasks/row.rs, without user_id, which the
-- server already knows), run by pgbench -M prepared like sqlx runs it (extended protocol,
-- named prepared statement). The server asks for limit + 1 rows to
-- know whether there is a next page, and reads the user's task counter for X-Total-Count.
-- bench/run.sh checks after tudu's list phase that this statement still matches the server's
-- (pg_stat_activity), with :uid read as $1 and :lim as $2.
-- :uid is one seeded user's id. pgbench's \set holds only numbers, so bench/run.sh makes one copy
-- of this file per user with :uid renamed :uid_K and passes -D uid_K=<id>; pgbench then picks one
-- copy (= one user) at random for every transaction.
\set lim 51
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, (select task_count from app_user where id = :uid) as total_count
  from task where user_id = :uid order by created_at desc, id desc limit :lim;
