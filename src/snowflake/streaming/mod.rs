//! Snowpipe Streaming REST (`snowflake.md` §3), the live feed's wire protocol: ingest-host
//! discovery and scoped-token exchange with the key-pair JWT ([`discovery`]), then channels
//! opened, appended to, polled and dropped with the scoped token ([`client`]). Bodies are NDJSON,
//! gzip-compressed, at most [`body::MAX_REQUEST_BYTES`] per request ([`body`]). Errors keep
//! Snowflake's stable codes so the feed can tell a stale channel from an outage ([`codes`]).
//!
//! This module only speaks the protocol; the durable outbox, rate limits, retries and reopening
//! live in `jobs::feed`.

pub mod body;
pub mod client;
pub mod codes;
pub mod discovery;

pub use client::{ChannelStatus, IngestClient, OpenedChannel};
pub use codes::StreamError;

/// The stable name of one of this installation's channels: the same store file reopens the
/// same channel (and so resumes from its committed offset token); another file never shares it.
pub fn channel_name(installation_id: &str, table: &str) -> String {
    format!(
        "PARKING_IOT_{}_{}",
        installation_id.to_ascii_uppercase(),
        table.to_ascii_uppercase()
    )
}
