//! Every way talking to Snowflake can fail, each explained in words a user can act on.

use super::jwt::JwtRejection;
use super::keys::KeyError;

/// A failure of a Snowflake operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnowflakeError {
    /// The key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The connection settings are incomplete or wrong.
    #[error("{0}")]
    Settings(String),
    /// Snowflake refused the key-pair token (HTTP 401).
    #[error("{}", auth_message(.code, .detail, .account, .token_account, .user, .fingerprint))]
    Auth {
        /// The code in the answer (390144 or a detailed 3943xx code).
        code: String,
        /// The detailed reason, when the answer named one.
        detail: Option<JwtRejection>,
        /// The account as configured.
        account: String,
        /// The account as it went into the token.
        token_account: String,
        /// The user as it went into the token.
        user: String,
        /// The fingerprint of the key used.
        fingerprint: String,
    },
    /// The user or role may not do this (HTTP 403).
    #[error("Snowflake refused access (HTTP 403: {message}): the role {role} may lack privileges on the warehouse, database or schema, or a network policy blocks this computer's address; ask an administrator to grant USAGE (and CREATE/INSERT) to the role, or pick another role")]
    Forbidden {
        /// Snowflake's message.
        message: String,
        /// The role used.
        role: String,
    },
    /// HTTP 429 (390505) persisted through every retry.
    #[error("Snowflake is throttling requests (HTTP 429, too many requests) and kept doing so after {attempts} attempts: wait a minute and try again, or lower the number of statements in flight")]
    TooManyRequests {
        /// Attempts made.
        attempts: u32,
    },
    /// The server could not be reached.
    #[error("cannot reach Snowflake at {url}: {detail}. Check the account name (it makes the host name), the network connection, any proxy, and SNOWFLAKE_HOST/PORT/PROTOCOL if you set them")]
    Network {
        /// The URL tried.
        url: String,
        /// What failed.
        detail: String,
    },
    /// TLS failed.
    #[error("the secure connection to {url} failed: {detail}. Check that the host is a Snowflake host, that the system clock is right, and that the ca-certificates package is installed; a proxy that inspects TLS must be trusted by this computer")]
    Tls {
        /// The URL tried.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The statement failed in Snowflake (HTTP 422).
    #[error("Snowflake could not run the statement: {message} (code {code}, SQL state {sql_state}){}", hint_for_sql(.code, .message))]
    Sql {
        /// Snowflake's error code.
        code: String,
        /// SQL state.
        sql_state: String,
        /// Snowflake's message.
        message: String,
        /// The statement handle, for Snowflake's query history.
        statement_handle: String,
    },
    /// Snowflake refused the request body (HTTP 400).
    #[error("Snowflake refused the request (HTTP 400, code {code}: {message}); this is a bug in parking-iot: please report it with this message")]
    BadRequest {
        /// Snowflake's code (390142 for a bad payload).
        code: String,
        /// Snowflake's message.
        message: String,
    },
    /// The statement was too large (HTTP 413).
    #[error("Snowflake refused a statement as too large (HTTP 413, {bytes} bytes): lower the batch size")]
    TooLarge {
        /// Size of the request body.
        bytes: usize,
    },
    /// The statement ran out of time (HTTP 408 or the client's own limit).
    #[error("the statement timed out ({detail}): the warehouse may be suspended, too small or queued; resume or enlarge it, or try again")]
    Timeout {
        /// What timed out.
        detail: String,
    },
    /// Server trouble (HTTP 5xx) persisted through every retry.
    #[error("Snowflake answered HTTP {status} ({message}) after {attempts} attempts: the service may be degraded; try again later (a load resumes where it stopped)")]
    Server {
        /// Last HTTP status.
        status: u16,
        /// Snowflake's message.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An answer that does not follow the SQL API.
    #[error("unexpected answer from {url}: {detail}; check that the host is a Snowflake account URL (SNOWFLAKE_HOST/PORT/PROTOCOL)")]
    Protocol {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl SnowflakeError {
    /// Whether Snowflake answered that it did not run the statement (refused or failed it):
    /// then sending it again cannot double anything.
    pub fn statement_did_not_run(&self) -> bool {
        matches!(
            self,
            SnowflakeError::Sql { .. }
                | SnowflakeError::BadRequest { .. }
                | SnowflakeError::TooLarge { .. }
                | SnowflakeError::Forbidden { .. }
                | SnowflakeError::Auth { .. }
        )
    }

    /// Whether the same request may succeed when sent again (429, 5xx, network, timeouts).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SnowflakeError::TooManyRequests { .. }
                | SnowflakeError::Network { .. }
                | SnowflakeError::Server { .. }
                | SnowflakeError::Timeout { .. }
        )
    }
}

fn hint_for_sql(code: &str, message: &str) -> String {
    let m = message.to_ascii_lowercase();
    if m.contains("does not exist or not authorized") {
        " - create the objects first (parking-iot snowflake setup), or check the database, schema and role".into()
    } else if m.contains("no active warehouse") || code == "000606" {
        " - set a warehouse (SNOWFLAKE_WAREHOUSE or the Warehouse field) that this role may use"
            .into()
    } else if m.contains("external volume") {
        " - the Iceberg variant needs an existing external volume: create it (or ask an administrator), or use the standard tables".into()
    } else {
        String::new()
    }
}

fn auth_message(
    code: &str,
    detail: &Option<JwtRejection>,
    account: &str,
    token_account: &str,
    user: &str,
    fingerprint: &str,
) -> String {
    let head = format!("Snowflake refused the key-pair login (HTTP 401, code {code})");
    let account_hint = format!("the account '{account}' becomes '{token_account}' in the token: use the account identifier from your account URL (org-account, or the locator such as xy12345.us-east-2.aws)");
    let user_hint =
        format!("the user '{user}' must be the Snowflake login name (LOGIN_NAME in DESC USER)");
    let key_hint = format!("the public key of this private key (fingerprint {fingerprint}) must be registered for that user: run the ALTER USER ... SET RSA_PUBLIC_KEY line shown in the Snowflake tab (or by parking-iot snowflake test) and compare with RSA_PUBLIC_KEY_FP in DESC USER");
    let clock_hint = "this computer's clock must be within a minute of the real time: turn on automatic time synchronisation";
    match detail {
        Some(JwtRejection::UserUnknown) => format!("{head}: the user is unknown or has no public key: {user_hint}"),
        Some(JwtRejection::MissingTimes) => format!("{head}: the token lacks its issue or expiry time; this is a bug in parking-iot: please report it"),
        Some(JwtRejection::IssuedTooLongAgo) => format!("{head}: the token's issue time is too far from Snowflake's clock: {clock_hint}"),
        Some(JwtRejection::Expired) => format!("{head}: the token had expired when it arrived: {clock_hint}"),
        Some(JwtRejection::FingerprintMismatch) => format!("{head}: the key does not match the one registered: {key_hint}"),
        Some(JwtRejection::WrongAlgorithm) => format!("{head}: the token is not signed with RS256; this is a bug in parking-iot: please report it"),
        Some(JwtRejection::BadSignature) => format!("{head}: the signature does not verify against the registered public key: {key_hint}"),
        Some(JwtRejection::AccountMismatch) => format!("{head}: the account in the token is not this account: {account_hint}"),
        None => format!("{head}, JWT token is invalid. Likely causes: (1) {account_hint}; (2) {user_hint}; (3) {key_hint}; (4) {clock_hint}"),
    }
}
