//! Jobs: everything that waits or runs on threads - the historical generator (and, with the
//! desktop, the live runner) and the Snowflake live feed. The window and the command line drive the same jobs.

pub mod export;
pub mod feed;
pub mod historical;
pub mod live;
pub mod messages;
pub mod snowflake_tasks;
