-- An import writes thousands of tasks in one transaction. Updating the user row once per task
-- there left a dead row version per task that every following update had to walk past, so an
-- import grew quadratically (20 000 tasks: 31 s). A transaction that sets `tudu.bulk_insert`
-- numbers its tasks itself, under the user row's lock, and updates the counters once at the end
-- (`account::store`); every other insert is numbered and counted here as before.
create or replace function task_before_insert() returns trigger language plpgsql as $$
begin
    if current_setting('tudu.bulk_insert', true) = 'on' then
        return new;
    end if;
    update app_user set task_seq = task_seq + 1, task_count = task_count + 1,
        completed_count = completed_count + new.completed::int,
        list_version = list_version + 1
    where id = new.user_id
    returning task_seq into new.number;
    return new;
end $$;
