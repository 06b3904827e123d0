-- tudu's list statement for GET /api/v1/tasks?limit=50 (src/tasks/listing.rs builds it; the
-- task columns come from listed_task_columns! in src/tasks/row.rs, without user_id, which the
-- server already knows), run by pgbench -M prepared like sqlx runs it (extended protocol,
-- named prepared statement). The server asks for limit + 1 rows to
-- know whether there is a next page, and reads the user's task counter for X-Total-Count. With the
-- list cache off, the statement also checks that the caller's session still stands (the
-- `exists` on `credential`), so a list is this one statement.
-- bench/run.sh checks after tudu's list phase that this statement still matches the server's
-- (pg_stat_activity), with :uid read as $1, :sid as $2 and :lim as $3.
-- :uid is one seeded user's id and :sid their session's id (the token's `sid`). pgbench's \set
-- holds only numbers, so bench/run.sh makes one copy of this file per user with :uid and :sid
-- renamed :uid_K and :sid_K and passes -D uid_K=<id> -D sid_K=<session>; pgbench then picks one
-- copy (= one user) at random for every transaction.
\set lim 51
select id, number, title, description, completed, priority, tags, due_date, is_recurring, recurrence_pattern, recurrence_interval, created_at, updated_at, completed_at, version, recurrence_anchor_day, project_id, parent_id, position, assignee_id, created_by, (select task_count from app_user where id = :uid) as total_count
  from task where user_id = :uid and exists (select 1 from credential where user_id = :uid and id = :sid) order by created_at desc, id desc limit :lim;
