//! The account's data as one document: export (streamed) and import (merged, all or nothing).

pub mod export;
pub mod http;
pub mod import;
pub mod model;
pub mod store;

pub use http::router;
