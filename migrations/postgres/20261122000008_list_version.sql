-- A per-user version of everything a task listing shows, bumped in every transaction that
-- writes the user's tasks (or their time zone). Cached listing pages are tagged with it, so any
-- replica can tell with one primary-key read whether a cached page is still current.
alter table app_user add column list_version bigint not null default 0;
