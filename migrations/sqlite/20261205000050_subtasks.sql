-- Subtasks and manual order. A subtask is a task whose `parent_id` names a task of the same
-- project (the service keeps the project and a depth of at most 4 levels); deleting a task
-- deletes its subtasks. `position` orders siblings (the top-level tasks of a project, or the
-- subtasks of one task); new tasks go to the end.
alter table task add column parent_id blob references task (id) on delete cascade;
alter table task add column position bigint not null default 0;

-- Existing tasks keep their creation order: numbers grow with it.
update task set position = number;

-- The subtasks of a task in order, and the end of a project's top level.
create index task_parent_position_idx on task (parent_id, position) where parent_id is not null;
create index task_top_level_position_idx on task (project_id, position) where parent_id is null;

-- A subtask follows its parent, in the statement that changes the parent; each level's update
-- fires these again for the next (the writer connection sets `recursive_triggers`), so no code
-- path can leave a subtask behind.

-- Completing a task completes its open subtasks; reopening leaves them as they are.
create trigger task_completes_subtasks after update of completed on task
when new.completed and not old.completed
begin
    update task set completed = true, completed_at = new.completed_at,
        updated_at = new.updated_at, version = version + 1
    where parent_id = new.id and not completed;
end;

-- A task moved to another project takes its subtasks along.
create trigger task_moves_subtasks after update of project_id on task
when new.project_id <> old.project_id
begin
    update task set project_id = new.project_id, updated_at = new.updated_at,
        version = version + 1
    where parent_id = new.id and project_id <> new.project_id;
end;
