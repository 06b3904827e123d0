-- One index per listing order (see the PostgreSQL migration of the same name).
create index task_user_updated_idx on task (user_id, updated_at desc, id desc);
create index task_user_due_idx on task (user_id, due_date, id);
create index task_user_priority_idx on task (user_id, priority desc, id desc);
create index task_user_title_idx on task (user_id, title, id);
