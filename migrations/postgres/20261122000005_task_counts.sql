-- Per-user task counts, kept in the same transactions as the task writes, so that
-- X-Total-Count of an unfiltered (or status-only) listing costs one row read instead of a
-- count over every task of the user.
alter table app_user add column task_count bigint not null default 0;
alter table app_user add column completed_count bigint not null default 0;

update app_user set
    task_count = (select count(*) from task where task.user_id = app_user.id),
    completed_count = (select count(*) from task where task.user_id = app_user.id and task.completed);
