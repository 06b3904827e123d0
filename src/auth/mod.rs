//! Accounts and authentication: users, passwords, JWTs and the `AuthUser` extractor.

pub mod extractor;
pub mod http;
pub mod jwks;
pub mod limit;
pub mod model;
pub mod password;
pub mod service;
pub mod token;

pub use extractor::AuthUser;
