-- The user's task numbers, counts and list version are kept by triggers on `task` instead of a
-- second statement in every write transaction: a create, update, completion or delete is then
-- one statement (one round trip, committed on its own), and no code path can write a task
-- without keeping the counters right.

-- Before a task is inserted: the user's next number, taken under the user row's lock (creates
-- of one user run concurrently here, so a number read without that lock could be taken twice).
create function task_before_insert() returns trigger language plpgsql as $$
begin
    update app_user set task_seq = task_seq + 1, task_count = task_count + 1,
        completed_count = completed_count + new.completed::int,
        list_version = list_version + 1
    where id = new.user_id
    returning task_seq into new.number;
    return new;
end $$;

create function task_after_update() returns trigger language plpgsql as $$
begin
    update app_user set
        completed_count = completed_count + new.completed::int - old.completed::int,
        list_version = list_version + 1
    where id = new.user_id;
    return null;
end $$;

create function task_after_delete() returns trigger language plpgsql as $$
begin
    update app_user set task_count = task_count - 1,
        completed_count = completed_count - old.completed::int,
        list_version = list_version + 1
    where id = old.user_id;
    return null;
end $$;

create trigger task_numbered before insert on task
    for each row execute function task_before_insert();
create trigger task_updated after update on task
    for each row execute function task_after_update();
create trigger task_deleted after delete on task
    for each row execute function task_after_delete();
