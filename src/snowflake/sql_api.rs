//! The SQL API v2 client (`snowflake.md` §2): `POST /api/v2/statements?requestId=..` with a
//! fresh key-pair JWT per request, 202 polling through `statementStatusUrl`, result partitions,
//! retries with exponential backoff and jitter on 429/503/504 and network errors (resending the
//! same requestId with `retry=true`), one new token after a 401, and no retry of 400/422.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::account::{token_account, token_user};
use super::errors::SnowflakeError;
use super::jwt::{self, JwtRejection};
use super::keys::KeyPair;

/// The largest request body sent (statement and bindings), per `snowflake.md` §2.
pub const MAX_STATEMENT_BYTES: usize = 1_000_000;

/// A bind variable's Snowflake type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindType {
    /// Integers and decimals (`"123"`).
    Fixed,
    /// Floating point (`"1.5"`).
    Real,
    /// Text.
    Text,
    /// `"true"` / `"false"`.
    Boolean,
    /// Epoch milliseconds.
    Date,
    /// Nanoseconds since midnight.
    Time,
    /// Epoch nanoseconds, no zone.
    TimestampNtz,
    /// Epoch nanoseconds, session zone.
    TimestampLtz,
    /// `"<epoch ns> <offset minutes>"`.
    TimestampTz,
}

impl BindType {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            BindType::Fixed => "FIXED",
            BindType::Real => "REAL",
            BindType::Text => "TEXT",
            BindType::Boolean => "BOOLEAN",
            BindType::Date => "DATE",
            BindType::Time => "TIME",
            BindType::TimestampNtz => "TIMESTAMP_NTZ",
            BindType::TimestampLtz => "TIMESTAMP_LTZ",
            BindType::TimestampTz => "TIMESTAMP_TZ",
        }
    }

    /// The type with this API name.
    pub fn parse(name: &str) -> Option<BindType> {
        use BindType::*;
        [
            Fixed,
            Real,
            Text,
            Boolean,
            Date,
            Time,
            TimestampNtz,
            TimestampLtz,
            TimestampTz,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

/// One bind variable: its type and its value as text (`None` for NULL).
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The type.
    pub kind: BindType,
    /// The value, always sent as a JSON string; `None` is sent as null.
    pub value: Option<String>,
}

/// Appends `s` to `out` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Where and as whom statements run.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// `https://<account>.snowflakecomputing.com`, or an override such as the stand-in's URL.
    pub base_url: String,
    /// The account as configured (normalised for the token here).
    pub account: String,
    /// The login name.
    pub user: String,
    /// Role (as SHOW ROLES prints it); `None` uses the user's default.
    pub role: Option<String>,
    /// Warehouse; `None` uses the user's default.
    pub warehouse: Option<String>,
    /// Database context.
    pub database: Option<String>,
    /// Schema context.
    pub schema: Option<String>,
    /// Statement timeout Snowflake enforces, in seconds.
    pub statement_timeout_secs: u32,
    /// Retry and polling behaviour.
    pub retry: RetryPolicy,
}

/// Retry and polling behaviour.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts of one request before giving up on a transient failure.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// First wait between status polls of a 202 answer (grows to 1 s).
    pub poll_interval: Duration,
    /// Time limit of one HTTP exchange.
    pub request_timeout: Duration,
    /// Time limit of one statement including polling.
    pub overall_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            poll_interval: Duration::from_millis(100),
            request_timeout: Duration::from_secs(120),
            overall_timeout: Duration::from_secs(3600),
        }
    }
}

/// A statement's result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    /// The statement handle.
    pub statement_handle: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, every partition included; values as text, `None` for NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// `stats.numRowsInserted`, when present.
    pub rows_inserted: Option<u64>,
    /// Attempts the POST took (1 when nothing went wrong).
    pub attempts: u32,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Answer {
    code: Option<String>,
    message: Option<String>,
    sql_state: Option<String>,
    statement_handle: Option<String>,
    statement_status_url: Option<String>,
    result_set_meta_data: Option<Meta>,
    data: Option<Vec<Vec<Option<String>>>>,
    stats: Option<Stats>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    row_type: Option<Vec<Column>>,
    partition_info: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct Column {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    num_rows_inserted: Option<u64>,
}

/// The client. Cheap to clone; clones share the HTTP connection pool.
#[derive(Clone)]
pub struct SqlApi {
    settings: Arc<ApiSettings>,
    key: Arc<KeyPair>,
    http: reqwest::blocking::Client,
}

/// What a request turned into.
enum Step {
    Done(Box<QueryResult>),
    Poll(String, String),
}

impl SqlApi {
    /// A client for these settings and this key.
    pub fn new(settings: ApiSettings, key: Arc<KeyPair>) -> Result<SqlApi, SnowflakeError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(settings.retry.request_timeout)
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| SnowflakeError::Settings(format!("cannot start the HTTP client: {e}")))?;
        if settings.account.trim().is_empty() {
            return Err(SnowflakeError::Settings(
                "no Snowflake account given: enter the account identifier (SNOWFLAKE_ACCOUNT)"
                    .into(),
            ));
        }
        if settings.user.trim().is_empty() {
            return Err(SnowflakeError::Settings(
                "no Snowflake user given: enter the login name (SNOWFLAKE_USER)".into(),
            ));
        }
        Ok(SqlApi {
            settings: Arc::new(settings),
            key,
            http,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &ApiSettings {
        &self.settings
    }

    /// The key in use.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The request body for a statement with bindings (none for multi-statement requests).
    pub fn body(&self, sql: &str, bindings: &[Binding], statement_count: u32) -> String {
        let mut b = String::with_capacity(sql.len() + bindings.len() * 48 + 256);
        self.body_head(&mut b, sql);
        if !bindings.is_empty() {
            b.push_str(",\"bindings\":{");
            for (i, bind) in bindings.iter().enumerate() {
                if i > 0 {
                    b.push(',');
                }
                push_binding(&mut b, i + 1, bind.kind, bind.value.as_deref());
            }
            b.push('}');
        }
        self.body_tail(&mut b, statement_count);
        b
    }

    /// Writes `{"statement":..,"timeout":..,` and the context fields into `b`.
    pub fn body_head(&self, b: &mut String, sql: &str) {
        let s = &self.settings;
        b.push_str("{\"statement\":");
        push_json_string(b, sql);
        b.push_str(&format!(",\"timeout\":{}", s.statement_timeout_secs));
        for (name, value) in [
            ("database", &s.database),
            ("schema", &s.schema),
            ("warehouse", &s.warehouse),
            ("role", &s.role),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                b.push_str(&format!(",\"{name}\":"));
                push_json_string(b, &super::setup::canonical_name(v));
            }
        }
    }

    /// Closes a body begun with [`SqlApi::body_head`].
    pub fn body_tail(&self, b: &mut String, statement_count: u32) {
        b.push_str(&format!(
            ",\"parameters\":{{\"MULTI_STATEMENT_COUNT\":\"{statement_count}\"}}}}"
        ));
    }

    /// Runs one statement with bindings under a fresh random requestId.
    pub fn query(&self, sql: &str, bindings: &[Binding]) -> Result<QueryResult, SnowflakeError> {
        let body = self.body(sql, bindings, 1);
        self.execute(&body, &random_request_id(), false)
    }

    /// Runs several statements (no bindings) in one request; `BEGIN ... COMMIT` inside is one
    /// transaction.
    pub fn query_multi(&self, statements: &[String]) -> Result<QueryResult, SnowflakeError> {
        let sql = statements.join(";\n");
        let body = self.body(&sql, &[], statements.len() as u32);
        self.execute(&body, &random_request_id(), false)
    }

    /// Sends a prepared body under `request_id`. With `already_sent`, the first attempt carries
    /// `retry=true` too (the same work may have reached Snowflake before a crash).
    pub fn execute(
        &self,
        body: &str,
        request_id: &str,
        already_sent: bool,
    ) -> Result<QueryResult, SnowflakeError> {
        if body.len() > MAX_STATEMENT_BYTES + 48_576 {
            return Err(SnowflakeError::TooLarge { bytes: body.len() });
        }
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut retry = already_sent;
        let mut refreshed = false;
        let mut last_transient: Option<SnowflakeError> = None;
        loop {
            attempt += 1;
            if attempt > self.settings.retry.max_attempts.max(1) {
                return Err(last_transient.unwrap_or(SnowflakeError::Timeout {
                    detail: "no attempt left".into(),
                }));
            }
            if attempt > 1 {
                std::thread::sleep(self.backoff(attempt - 1));
            }
            let url = format!(
                "{}/api/v2/statements?requestId={request_id}{}",
                self.base(),
                if retry { "&retry=true" } else { "" }
            );
            let response = self
                .http
                .post(&url)
                .header("Authorization", format!("Bearer {}", self.token()))
                .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("User-Agent", user_agent())
                .body(body.to_owned())
                .send();
            // From here on the request may have reached Snowflake: resend only as a retry.
            retry = true;
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    let err = self.transport_error(&url, &e);
                    if matches!(err, SnowflakeError::Tls { .. }) {
                        return Err(err);
                    }
                    last_transient = Some(err);
                    continue;
                }
            };
            match self.read_answer(response, &url, attempt) {
                Ok(Step::Done(mut result)) => {
                    result.attempts = attempt;
                    return Ok(*result);
                }
                Ok(Step::Poll(handle, status_url)) => {
                    let mut result = self.poll(&handle, &status_url, started)?;
                    result.attempts = attempt;
                    return Ok(result);
                }
                Err(SnowflakeError::Auth { .. }) if !refreshed => {
                    // One new token: the first may have aged in a queue or crossed a clock step.
                    refreshed = true;
                    attempt -= 1;
                }
                Err(e) if e.is_transient() && !matches!(e, SnowflakeError::Timeout { .. }) => {
                    last_transient = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn base(&self) -> &str {
        self.settings.base_url.trim_end_matches('/')
    }

    fn token(&self) -> String {
        jwt::mint(&self.key, &self.settings.account, &self.settings.user)
    }

    fn backoff(&self, retries: u32) -> Duration {
        let p = &self.settings.retry;
        let exp = p
            .initial_backoff
            .saturating_mul(1u32 << retries.saturating_sub(1).min(16));
        let cap = exp.min(p.max_backoff);
        // Jitter in [50%, 100%] spreads retries of parallel statements apart.
        let r = rsa::rand_core::RngCore::next_u32(&mut rsa::rand_core::OsRng) % 501;
        cap.mul_f64(0.5 + r as f64 / 1000.0)
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> SnowflakeError {
        use std::error::Error as _;
        let mut detail = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        let lower = detail.to_ascii_lowercase();
        if e.is_timeout() {
            SnowflakeError::Network {
                url: url.into(),
                detail: format!("no answer in time ({detail})"),
            }
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
        {
            SnowflakeError::Tls {
                url: url.into(),
                detail,
            }
        } else {
            SnowflakeError::Network {
                url: url.into(),
                detail,
            }
        }
    }

    fn auth_error(&self, code: &str) -> SnowflakeError {
        SnowflakeError::Auth {
            code: code.into(),
            detail: JwtRejection::from_code(code),
            account: self.settings.account.clone(),
            token_account: token_account(&self.settings.account),
            user: token_user(&self.settings.user),
            fingerprint: self.key.fingerprint().to_string(),
        }
    }

    fn read_answer(
        &self,
        response: reqwest::blocking::Response,
        url: &str,
        attempt: u32,
    ) -> Result<Step, SnowflakeError> {
        let status = response.status().as_u16();
        let text = response.text().map_err(|e| SnowflakeError::Network {
            url: url.into(),
            detail: format!("the answer was cut off ({e})"),
        })?;
        let answer: Answer = serde_json::from_str(&text).unwrap_or_default();
        let code = answer.code.clone().unwrap_or_default();
        let message = answer.message.clone().unwrap_or_else(|| snippet(&text));
        match status {
            200 => self.finish(answer, url).map(|r| Step::Done(Box::new(r))),
            202 => match (answer.statement_handle, answer.statement_status_url) {
                (Some(h), Some(u)) => Ok(Step::Poll(h, u)),
                (Some(h), None) => Ok(Step::Poll(h.clone(), format!("/api/v2/statements/{h}"))),
                _ => Err(SnowflakeError::Protocol {
                    url: url.into(),
                    detail: "HTTP 202 without a statement handle".into(),
                }),
            },
            401 => Err(self.auth_error(if code.is_empty() { "390144" } else { &code })),
            403 => Err(SnowflakeError::Forbidden {
                message,
                role: self
                    .settings
                    .role
                    .clone()
                    .unwrap_or_else(|| "(default)".into()),
            }),
            400 => Err(SnowflakeError::BadRequest { code, message }),
            408 => Err(SnowflakeError::Timeout { detail: message }),
            413 => Err(SnowflakeError::TooLarge { bytes: 0 }),
            415 => Err(SnowflakeError::Protocol {
                url: url.into(),
                detail: format!("HTTP 415 unsupported media type: {message}"),
            }),
            422 => Err(SnowflakeError::Sql {
                code,
                sql_state: answer.sql_state.unwrap_or_default(),
                message,
                statement_handle: answer.statement_handle.unwrap_or_default(),
            }),
            429 => Err(SnowflakeError::TooManyRequests { attempts: attempt }),
            503 | 504 => Err(SnowflakeError::Server {
                status,
                message,
                attempts: attempt,
            }),
            // 500 and anything else: not retried (snowflake.md lists 429/503/504 only); a load
            // that stops here resumes with the same requestIds.
            _ => Err(SnowflakeError::Server {
                status,
                message: format!("{message} (not retried)"),
                attempts: attempt,
            }),
        }
    }

    fn finish(&self, answer: Answer, url: &str) -> Result<QueryResult, SnowflakeError> {
        let handle = answer.statement_handle.unwrap_or_default();
        let meta = answer.result_set_meta_data.unwrap_or_default();
        let columns = meta
            .row_type
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let mut rows = answer.data.unwrap_or_default();
        let partitions = meta.partition_info.map(|p| p.len()).unwrap_or(1);
        for partition in 1..partitions {
            let part_url = format!(
                "{}/api/v2/statements/{handle}?partition={partition}",
                self.base()
            );
            let answer = self.get_with_retries(&part_url)?;
            match answer {
                (200, a) => rows.extend(a.data.unwrap_or_default()),
                (status, _) => {
                    return Err(SnowflakeError::Protocol {
                        url: url.into(),
                        detail: format!("partition {partition} answered HTTP {status}"),
                    })
                }
            }
        }
        Ok(QueryResult {
            statement_handle: handle,
            columns,
            rows,
            rows_inserted: answer.stats.and_then(|s| s.num_rows_inserted),
            attempts: 1,
        })
    }

    fn get_with_retries(&self, url: &str) -> Result<(u16, Answer), SnowflakeError> {
        let mut last = None;
        for attempt in 1..=self.settings.retry.max_attempts.max(1) {
            if attempt > 1 {
                std::thread::sleep(self.backoff(attempt - 1));
            }
            let response = self
                .http
                .get(url)
                .header("Authorization", format!("Bearer {}", self.token()))
                .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
                .header("Accept", "application/json")
                .header("User-Agent", user_agent())
                .send();
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    last = Some(self.transport_error(url, &e));
                    continue;
                }
            };
            let status = response.status().as_u16();
            let text = match response.text() {
                Ok(t) => t,
                Err(e) => {
                    last = Some(SnowflakeError::Network {
                        url: url.into(),
                        detail: e.to_string(),
                    });
                    continue;
                }
            };
            if matches!(status, 429 | 503 | 504) {
                last = Some(SnowflakeError::Server {
                    status,
                    message: snippet(&text),
                    attempts: attempt,
                });
                continue;
            }
            if status == 401 {
                // A fresh token is minted on the next loop anyway; count this as one attempt.
                last = Some(self.auth_error("390144"));
                continue;
            }
            return Ok((status, serde_json::from_str(&text).unwrap_or_default()));
        }
        Err(last.unwrap_or(SnowflakeError::Timeout {
            detail: "no attempt left".into(),
        }))
    }

    fn poll(
        &self,
        handle: &str,
        status_url: &str,
        started: Instant,
    ) -> Result<QueryResult, SnowflakeError> {
        let url = if status_url.starts_with("http") {
            status_url.to_string()
        } else {
            format!("{}{status_url}", self.base())
        };
        let mut wait = self.settings.retry.poll_interval;
        loop {
            if started.elapsed() > self.settings.retry.overall_timeout {
                return Err(SnowflakeError::Timeout {
                    detail: format!(
                        "statement {handle} still running after {:?}",
                        started.elapsed()
                    ),
                });
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(1));
            let (status, answer) = self.get_with_retries(&url)?;
            match status {
                202 => continue,
                200 => return self.finish(answer, &url),
                422 => {
                    return Err(SnowflakeError::Sql {
                        code: answer.code.unwrap_or_default(),
                        sql_state: answer.sql_state.unwrap_or_default(),
                        message: answer.message.unwrap_or_default(),
                        statement_handle: handle.into(),
                    })
                }
                other => {
                    return Err(SnowflakeError::Server {
                        status: other,
                        message: answer.message.unwrap_or_default(),
                        attempts: 1,
                    })
                }
            }
        }
    }
}

/// Appends `"n":{"type":"T","value":"v"}` (or `null`) to a bindings object being written.
pub fn push_binding(b: &mut String, n: usize, kind: BindType, value: Option<&str>) {
    use std::fmt::Write as _;
    let _ = write!(b, "\"{n}\":{{\"type\":\"{}\",\"value\":", kind.as_str());
    match value {
        Some(v) => push_json_string(b, v),
        None => b.push_str("null"),
    }
    b.push('}');
}

/// `parking-iot/<version>`: Snowflake requires a User-Agent.
pub fn user_agent() -> String {
    format!("parking-iot/{}", env!("CARGO_PKG_VERSION"))
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    if t.trim().is_empty() {
        "no details".into()
    } else {
        t
    }
}

/// A random version-4 UUID for one-off statements.
pub fn random_request_id() -> String {
    let mut bytes = [0u8; 16];
    rsa::rand_core::RngCore::fill_bytes(&mut rsa::rand_core::OsRng, &mut bytes);
    uuid_text(bytes, 4)
}

/// A UUID (version `version`, RFC 4122 variant) from 16 bytes.
pub fn uuid_text(mut bytes: [u8; 16], version: u8) -> String {
    bytes[6] = (bytes[6] & 0x0F) | (version << 4);
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let mut buf = [0u8; 36];
    crate::model::format_uuid(u128::from_be_bytes(bytes), &mut buf).to_string()
}

/// The version, user, role and warehouse a test query saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Snowflake's version.
    pub version: String,
    /// Current user.
    pub user: String,
    /// Current role.
    pub role: String,
    /// Current warehouse (empty when none).
    pub warehouse: String,
}

/// The test query of `parking-iot snowflake test`.
pub const TEST_QUERY: &str =
    "SELECT CURRENT_VERSION(), CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE()";

impl SqlApi {
    /// Runs the test query.
    pub fn test_connection(&self) -> Result<ConnectionInfo, SnowflakeError> {
        let r = self.query(TEST_QUERY, &[])?;
        let row = r.rows.first().cloned().unwrap_or_default();
        let col = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        Ok(ConnectionInfo {
            version: col(0),
            user: col(1),
            role: col(2),
            warehouse: col(3),
        })
    }
}
