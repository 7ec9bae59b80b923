//! The feed's errors, with Snowflake's stable error codes (`{"code":"<STABLE_CODE>",..}`).

use crate::snowflake::errors::SnowflakeError;

/// The channel was reopened since this continuation token was issued.
pub const STALE_CONTINUATION_TOKEN_SEQUENCER: &str = "STALE_CONTINUATION_TOKEN_SEQUENCER";
/// The continuation token is not the channel's latest (a lost answer, a reset channel).
pub const INVALID_CONTINUATION_TOKEN: &str = "INVALID_CONTINUATION_TOKEN";
/// The channel does not exist (dropped, or never opened).
pub const CHANNEL_DOES_NOT_EXIST: &str = "ERR_CHANNEL_DOES_NOT_EXIST";
/// The pipe does not exist or the role may not use it.
pub const PIPE_DOES_NOT_EXIST: &str = "ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED";
/// A body line is not a JSON object, or gzip is broken.
pub const INVALID_PAYLOAD: &str = "ERR_INVALID_PAYLOAD";
/// The body is larger than 4 MB.
pub const PAYLOAD_TOO_LARGE: &str = "ERR_PAYLOAD_TOO_LARGE";
/// Too many requests or bytes per second on a channel.
pub const RATE_LIMITED: &str = "ERR_RATE_LIMITED";
/// The scoped (OAuth) token is not valid for this call.
pub const INVALID_OAUTH_TOKEN: &str = "390303";
/// The scoped (OAuth) token has expired.
pub const EXPIRED_OAUTH_TOKEN: &str = "390318";

/// Why a streaming call failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Settings, key-pair login, network or TLS trouble, explained as for the SQL API.
    #[error(transparent)]
    Snowflake(Box<SnowflakeError>),
    /// The channel must be reopened (stale or unknown continuation token, channel reset or
    /// dropped); the feed then resends from the committed offset.
    #[error("the channel {channel} must be reopened ({code}): it was reset or reopened elsewhere; resending from its committed offset")]
    Reopen {
        /// The channel.
        channel: String,
        /// The stable code Snowflake sent.
        code: String,
    },
    /// The scoped token was refused or expired: a new one is needed.
    #[error("Snowflake refused the scoped streaming token (code {code}: {message}); requesting a new one")]
    Token {
        /// Snowflake's code.
        code: String,
        /// Snowflake's message.
        message: String,
    },
    /// A refusal that sending again will not fix until something changes.
    #[error("Snowflake refused to {what} (HTTP {status}, {code}: {message}){hint}")]
    Rejected {
        /// What was attempted.
        what: String,
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: String,
        /// Snowflake's message.
        message: String,
        /// What the user can do.
        hint: String,
    },
    /// Server trouble (429, 5xx): retried with backoff.
    #[error("Snowflake could not {what} right now (HTTP {status}, {code}: {message}); retrying with backoff")]
    Server {
        /// What was attempted.
        what: String,
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: String,
        /// Snowflake's message.
        message: String,
    },
}

impl From<SnowflakeError> for StreamError {
    fn from(e: SnowflakeError) -> Self {
        StreamError::Snowflake(Box::new(e))
    }
}

impl StreamError {
    /// Whether trying again later (with backoff) may succeed without the user doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            StreamError::Snowflake(e) => e.is_transient(),
            StreamError::Reopen { .. } | StreamError::Token { .. } | StreamError::Server { .. } => {
                true
            }
            StreamError::Rejected { .. } => false,
        }
    }

    /// The stable code, when Snowflake sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            StreamError::Reopen { code, .. }
            | StreamError::Token { code, .. }
            | StreamError::Rejected { code, .. }
            | StreamError::Server { code, .. } => Some(code),
            StreamError::Snowflake(_) => None,
        }
    }
}

/// What a user can do about a refusal with this code.
pub fn hint(code: &str, status: u16) -> String {
    match code {
        PIPE_DOES_NOT_EXIST => " - create the streaming pipes (parking-iot snowflake setup), or check the database, schema, pipe names and that the role may use them".into(),
        PAYLOAD_TOO_LARGE => " - a request above 4 MB; this is a bug in parking-iot: please report it".into(),
        INVALID_PAYLOAD => " - a row Snowflake could not read; this is a bug in parking-iot: please report it".into(),
        _ if status == 403 => " - the role lacks a privilege on the pipe or table: grant OPERATE on the pipe and INSERT on the table to the role (SNOWFLAKE_ROLE)".into(),
        _ => String::new(),
    }
}
