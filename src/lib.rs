//! tudu: a multi-user task backend (REST API, MCP server and chat agent).

pub mod account;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod compat;
pub mod config;
pub mod db;
pub mod error;
pub mod input;
pub mod json;
pub mod mcp;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod projects;
pub mod server;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod validate;
pub mod web;
