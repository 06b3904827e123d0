//! Accounts and authentication: users, passwords, JWTs and the `AuthUser` extractor.

pub mod credential;
pub mod extractor;
pub mod http;
pub mod jwks;
pub mod limit;
pub mod model;
pub mod password;
pub mod scope;
pub mod service;
pub mod token;
pub mod tokens_http;

pub use extractor::AuthUser;
