//! Chat: people manage their tasks in plain language. Each turn loads the conversation from the
//! database, lets an agent act through the MCP tools as the requesting user, and stores the
//! user's message, every tool call and the reply.

pub mod agent;
pub mod http;
pub mod limit;
pub mod local;
pub mod model;
pub mod openai;
pub mod service;
pub mod store;
pub mod tools;
