-- The user's task numbers, counts and list version are kept by triggers on `task` instead of a
-- second statement in every write transaction: a create, update, completion or delete is then
-- one statement (one hand-off to the writer thread, committed on its own), and no code path can
-- write a task without keeping the counters right.

-- SQLite has one writer at a time, so the number the insert computed from `task_seq` is final;
-- the trigger records it.
create trigger task_inserted after insert on task
begin
    update app_user set task_seq = max(task_seq, new.number), task_count = task_count + 1,
        completed_count = completed_count + new.completed,
        list_version = list_version + 1
    where id = new.user_id;
end;

create trigger task_updated after update on task
begin
    update app_user set completed_count = completed_count + new.completed - old.completed,
        list_version = list_version + 1
    where id = new.user_id;
end;

create trigger task_deleted after delete on task
begin
    update app_user set task_count = task_count - 1,
        completed_count = completed_count - old.completed,
        list_version = list_version + 1
    where id = old.user_id;
end;
