//! The MCP server: the task service as tools (`TodoMcp`), served over Streamable HTTP at `/mcp`
//! (stateless, bearer-authenticated) and over stdio (`tudu mcp --user EMAIL`).

pub mod auth;
pub mod http;
pub mod server;

pub use server::TodoMcp;
