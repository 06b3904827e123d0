//! The MCP server: the task and project services as tools (`TodoMcp`), served over Streamable HTTP at `/mcp`
//! (stateless, bearer-authenticated), over WebSocket at the same path, and over stdio
//! (`tudu mcp --user EMAIL`).

pub mod auth;
pub mod http;
pub mod projects;
pub mod server;
pub mod ws;

pub use server::TodoMcp;
