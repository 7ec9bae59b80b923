//! parking-iot: a simulator of the IoT feed of NYC parking facilities.
//!
//! Layers, each depending only on those below it: `model` and `catalog` (plain data),
//! `engine` (pure simulation), `store` (SQLite), `jobs` (threads, checkpoints), and the faces
//! `cli` and `ui`.

pub mod catalog;
pub mod cli;
pub mod engine;
pub mod jobs;
pub mod model;
pub mod snowflake;
pub mod store;
pub mod ui;
pub mod validate;
