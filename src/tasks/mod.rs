//! Tasks: the model, its rules, the service every entry point calls, and the REST routes.

pub mod access;
pub mod cache;
pub mod dates;
pub mod http;
pub mod listing;
pub mod model;
pub mod page_json;
pub mod query;
pub mod row;
pub mod rules;
pub mod search;
pub mod service;
pub mod tree;
