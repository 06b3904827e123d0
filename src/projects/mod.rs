//! Projects: the lists a user keeps tasks in (each user's undeletable Inbox among them), their
//! rules, the only SQL on `project`, sharing with members, and the REST routes of
//! `/api/v1/projects`.

pub mod http;
pub mod model;
pub mod service;
pub mod sharing;
