-- Subtasks and manual order. A subtask is a task whose `parent_id` names a task of the same
-- project (the service keeps the project and a depth of at most 4 levels); deleting a task
-- deletes its subtasks. `position` orders siblings (the top-level tasks of a project, or the
-- subtasks of one task); new tasks go to the end.
alter table task add column parent_id uuid references task (id) on delete cascade;
alter table task add column position bigint not null default 0;

-- Existing tasks keep their creation order: numbers grow with it.
alter table task disable trigger task_updated;
update task set position = number;
alter table task enable trigger task_updated;
update app_user set list_version = list_version + 1;

-- The subtasks of a task in order, and the end of a project's top level.
create index task_parent_position_idx on task (parent_id, position) where parent_id is not null;
create index task_top_level_position_idx on task (project_id, position) where parent_id is null;

-- A subtask follows its parent, in the statement that changes the parent (each level's update
-- fires these again for the next), so no code path can leave a subtask behind. These triggers
-- sort before `task_updated`: the owner's row is locked after every task row, the order every
-- single-task write takes too, so a cascade cannot deadlock with one.

-- Completing a task completes its open subtasks; reopening leaves them as they are.
create function task_complete_subtasks() returns trigger language plpgsql as $$
begin
    update task set completed = true, completed_at = new.completed_at,
        updated_at = new.updated_at, version = version + 1
    where parent_id = new.id and not completed;
    return null;
end $$;

create trigger task_completes_subtasks after update of completed on task
    for each row when (new.completed and not old.completed)
    execute function task_complete_subtasks();

-- A task moved to another project takes its subtasks along.
create function task_move_subtasks() returns trigger language plpgsql as $$
begin
    update task set project_id = new.project_id, updated_at = new.updated_at,
        version = version + 1
    where parent_id = new.id and project_id <> new.project_id;
    return null;
end $$;

create trigger task_moves_subtasks after update of project_id on task
    for each row when (new.project_id <> old.project_id)
    execute function task_move_subtasks();
