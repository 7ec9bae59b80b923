//! parking-iot: a simulator of the IoT feed of NYC parking facilities.
//!
//! Layers, each depending only on those below it: `model` and `catalog` (plain data),
//! `engine` (pure simulation), `store` (SQLite), `jobs` (threads, checkpoints), and the faces
//! `cli` and `ui`.

pub mod catalog;
pub mod model;
pub mod engine;
pub mod store;
pub mod snowflake;
pub mod jobs;
pub mod cli;
pub mod validate;
pub mod ui;
