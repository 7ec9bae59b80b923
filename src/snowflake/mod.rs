//! Snowflake: key-pair authentication, connection settings, the SQL API v2 client, the setup
//! SQL and historical loads. The protocol facts are in `shared/spec/snowflake.md`; the local
//! stand-in server ([`standin`]) implements the same checks so that everything is testable on a
//! machine that cannot reach Snowflake.

pub mod account;
pub mod errors;
pub mod jwt;
pub mod keys;
pub mod setup;

pub use errors::SnowflakeError;
pub use keys::{KeyError, KeyPair};
pub mod commands;
pub mod config;
pub mod sql_api;
pub mod standin;
pub mod streaming;
pub mod upload;
