//! One connection's view of Snowpipe Streaming: the ingest host and the scoped token (found
//! once, renewed before it expires or when refused) and the channel calls. Each call is one
//! attempt (apart from one fresh token after a refusal): retries, backoff and reopening belong
//! to the feed, which alone knows what was committed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::codes::{self, StreamError};
use super::discovery::{
    form_encode, host_of, ingest_base_url, parse_hostname, parse_token, path_segment,
};
use crate::snowflake::account::{token_account, token_user};
use crate::snowflake::errors::SnowflakeError;
use crate::snowflake::jwt::{self, JwtRejection};
use crate::snowflake::keys::KeyPair;
use crate::snowflake::setup::canonical_name;
use crate::snowflake::sql_api::{user_agent, ApiSettings};

/// Scoped tokens are renewed this long after they were issued when Snowflake does not say
/// how long they last (they last an hour; renewing early avoids a refusal mid-stream).
pub const DEFAULT_TOKEN_RENEWAL: Duration = Duration::from_secs(30 * 60);

/// A channel just opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedChannel {
    /// The token for the first append.
    pub continuation_token: String,
    /// The offset token of the last committed batch (`None`: nothing committed yet).
    pub committed_offset: Option<String>,
}

/// A channel as bulk-channel-status reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelStatus {
    /// The offset token of the last committed batch.
    pub committed_offset: Option<String>,
    /// Rows inserted (committed) so far, when reported.
    pub rows_inserted: Option<u64>,
    /// Rows Snowflake could not load, when reported.
    pub rows_in_error: Option<u64>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct OpenAnswer {
    next_continuation_token: Option<String>,
    channel_status: Option<StatusBody>,
}

#[derive(Deserialize, Default)]
struct StatusBody {
    last_committed_offset_token: Option<String>,
    #[serde(alias = "rows_inserted_count")]
    rows_inserted: Option<u64>,
    #[serde(alias = "rows_error_count")]
    rows_in_error: Option<u64>,
}

#[derive(Deserialize)]
struct AppendAnswer {
    next_continuation_token: Option<String>,
}

#[derive(Deserialize)]
struct BulkAnswer {
    channel_statuses: Option<HashMap<String, StatusBody>>,
}

struct Token {
    text: String,
    renew_at: Instant,
}

/// The Snowpipe Streaming client of one account, user and key.
pub struct IngestClient {
    settings: Arc<ApiSettings>,
    key: Arc<KeyPair>,
    http: reqwest::blocking::Client,
    ingest: Option<String>,
    token: Option<Token>,
    renewal: Duration,
}

impl IngestClient {
    /// A client; `request_timeout` bounds each HTTP exchange.
    pub fn new(
        settings: ApiSettings,
        key: Arc<KeyPair>,
        request_timeout: Duration,
    ) -> Result<IngestClient, StreamError> {
        if settings.account.trim().is_empty() || settings.user.trim().is_empty() {
            return Err(SnowflakeError::Settings(
                "the Snowflake feed needs an account and a user (SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER)"
                    .into(),
            )
            .into());
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| SnowflakeError::Settings(format!("cannot start the HTTP client: {e}")))?;
        Ok(IngestClient {
            settings: Arc::new(settings),
            key,
            http,
            ingest: None,
            token: None,
            renewal: DEFAULT_TOKEN_RENEWAL,
        })
    }

    /// Renews scoped tokens this long after issue at the latest (tests use short times).
    pub fn set_token_renewal(&mut self, after: Duration) {
        self.renewal = after;
    }

    /// The ingest base URL once discovered.
    pub fn ingest_url(&self) -> Option<&str> {
        self.ingest.as_deref()
    }

    /// Forgets the ingest host and token, so the next call discovers both again (after an
    /// outage the account may answer from elsewhere).
    pub fn reset(&mut self) {
        self.ingest = None;
        self.token = None;
    }

    fn account_base(&self) -> &str {
        self.settings.base_url.trim_end_matches('/')
    }

    fn jwt(&self) -> String {
        jwt::mint(&self.key, &self.settings.account, &self.settings.user)
    }

    fn network(&self, url: &str, e: reqwest::Error) -> StreamError {
        use std::error::Error as _;
        let mut detail = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        let lower = detail.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("handshake") {
            SnowflakeError::Tls {
                url: url.into(),
                detail,
            }
            .into()
        } else {
            SnowflakeError::Network {
                url: url.into(),
                detail,
            }
            .into()
        }
    }

    fn jwt_refused(&self, body: &str) -> StreamError {
        let code = parse_error(body).0;
        let code = if code.is_empty() {
            "390144".into()
        } else {
            code
        };
        SnowflakeError::Auth {
            detail: JwtRejection::from_code(&code),
            code,
            account: self.settings.account.clone(),
            token_account: token_account(&self.settings.account),
            user: token_user(&self.settings.user),
            fingerprint: self.key.fingerprint().to_string(),
        }
        .into()
    }

    /// Finds the ingest host (`GET /v2/streaming/hostname` with the JWT).
    pub fn discover(&mut self) -> Result<String, StreamError> {
        if let Some(u) = &self.ingest {
            return Ok(u.clone());
        }
        let url = format!("{}/v2/streaming/hostname", self.account_base());
        let response = self
            .http
            .get(&url)
            .header("Authorization", format!("Bearer {}", self.jwt()))
            .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
            .header("Accept", "application/json, text/plain")
            .header("User-Agent", user_agent())
            .send()
            .map_err(|e| self.network(&url, e))?;
        let (status, text) = read(response, &url, self)?;
        match status {
            200 => {
                let host = parse_hostname(&text).ok_or_else(|| {
                    StreamError::from(SnowflakeError::Protocol {
                        url: url.clone(),
                        detail: format!("no ingest host name in the answer ({})", snippet(&text)),
                    })
                })?;
                let base = ingest_base_url(&self.settings.base_url, &host);
                self.ingest = Some(base.clone());
                Ok(base)
            }
            401 => Err(self.jwt_refused(&text)),
            _ => Err(classify(
                status,
                &text,
                "find the streaming ingest host",
                "",
            )),
        }
    }

    /// A valid scoped token, exchanging a fresh JWT for one when there is none or it is due
    /// for renewal.
    fn scoped_token(&mut self) -> Result<String, StreamError> {
        if let Some(t) = &self.token {
            if Instant::now() < t.renew_at {
                return Ok(t.text.clone());
            }
        }
        let ingest = self.discover()?;
        let url = format!("{}/oauth/token", self.account_base());
        let form = format!(
            "grant_type={}&scope={}",
            form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            form_encode(host_of(&ingest))
        );
        let response = self
            .http
            .post(&url)
            .header("Authorization", format!("Bearer {}", self.jwt()))
            .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json, text/plain")
            .header("User-Agent", user_agent())
            .body(form)
            .send()
            .map_err(|e| self.network(&url, e))?;
        let (status, text) = read(response, &url, self)?;
        match status {
            200 => {
                let (token, expires) = parse_token(&text).ok_or_else(|| {
                    StreamError::from(SnowflakeError::Protocol {
                        url: url.clone(),
                        detail: "no scoped token in the answer".into(),
                    })
                })?;
                // Renew at half the stated lifetime, so a token never expires mid-request.
                let life = expires
                    .map(|s| Duration::from_secs(s / 2))
                    .unwrap_or(self.renewal)
                    .min(self.renewal);
                self.token = Some(Token {
                    text: token.clone(),
                    renew_at: Instant::now() + life,
                });
                Ok(token)
            }
            401 => Err(self.jwt_refused(&text)),
            _ => Err(classify(status, &text, "issue a streaming token", "")),
        }
    }

    fn channel_url(&self, ingest: &str, pipe: &str, channel: &str) -> String {
        let s = &self.settings;
        format!(
            "{ingest}/v2/streaming/databases/{}/schemas/{}/pipes/{}/channels/{}",
            path_segment(&canonical_name(s.database.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(s.schema.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(pipe)),
            path_segment(channel)
        )
    }

    /// Sends one request built by `build` with the scoped token; after a token refusal, once
    /// more with a new token.
    fn with_token(
        &mut self,
        url: &str,
        build: impl Fn(&reqwest::blocking::Client, &str) -> reqwest::blocking::RequestBuilder,
    ) -> Result<(u16, String), StreamError> {
        for attempt in 0..2 {
            let token = self.scoped_token()?;
            let response = build(&self.http, &token)
                .header("User-Agent", user_agent())
                .header("Accept", "application/json")
                .send()
                .map_err(|e| self.network(url, e))?;
            let (status, text) = read(response, url, self)?;
            if status == 401 && attempt == 0 {
                self.token = None;
                continue;
            }
            if status == 401 {
                let (code, message) = parse_error(&text);
                return Err(StreamError::Token { code, message });
            }
            return Ok((status, text));
        }
        Err(StreamError::Token {
            code: codes::INVALID_OAUTH_TOKEN.into(),
            message: "refused twice".into(),
        })
    }

    /// Opens (or reopens) a channel: `PUT .../channels/{channel}` with `{}`. Reopening
    /// invalidates the continuation tokens issued before.
    pub fn open_channel(
        &mut self,
        pipe: &str,
        channel: &str,
    ) -> Result<OpenedChannel, StreamError> {
        let ingest = self.discover()?;
        let url = self.channel_url(&ingest, pipe, channel);
        let (status, text) = self.with_token(&url, |http, token| {
            http.put(&url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body("{}")
        })?;
        if status != 200 {
            return Err(classify(
                status,
                &text,
                &format!("open the channel {channel} on pipe {pipe}"),
                channel,
            ));
        }
        let answer: OpenAnswer = serde_json::from_str(&text).map_err(|e| {
            StreamError::from(SnowflakeError::Protocol {
                url: url.clone(),
                detail: format!("the open-channel answer is not understood: {e}"),
            })
        })?;
        let continuation_token = answer.next_continuation_token.ok_or_else(|| {
            StreamError::from(SnowflakeError::Protocol {
                url: url.clone(),
                detail: "the open-channel answer has no next_continuation_token".into(),
            })
        })?;
        Ok(OpenedChannel {
            continuation_token,
            committed_offset: answer
                .channel_status
                .and_then(|s| s.last_committed_offset_token),
        })
    }

    /// Appends one NDJSON body (already gzip-compressed when `gzipped`) under `offset_token`;
    /// returns the next continuation token. Success means received, not committed.
    pub fn append(
        &mut self,
        pipe: &str,
        channel: &str,
        continuation_token: &str,
        offset_token: &str,
        body: Vec<u8>,
        gzipped: bool,
    ) -> Result<String, StreamError> {
        let ingest = self.discover()?;
        let s = &self.settings;
        let url = format!(
            "{ingest}/v2/streaming/data/databases/{}/schemas/{}/pipes/{}/channels/{}/rows?continuationToken={}&offsetToken={}",
            path_segment(&canonical_name(s.database.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(s.schema.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(pipe)),
            path_segment(channel),
            form_encode(continuation_token),
            form_encode(offset_token)
        );
        let (status, text) = self.with_token(&url, |http, token| {
            let r = http
                .post(&url)
                .bearer_auth(token)
                .header("Content-Type", "application/x-ndjson")
                .body(body.clone());
            if gzipped {
                r.header("Content-Encoding", "gzip")
            } else {
                r
            }
        })?;
        if status != 200 {
            return Err(classify(
                status,
                &text,
                &format!("append rows to the channel {channel}"),
                channel,
            ));
        }
        serde_json::from_str::<AppendAnswer>(&text)
            .ok()
            .and_then(|a| a.next_continuation_token)
            .ok_or_else(|| {
                SnowflakeError::Protocol {
                    url,
                    detail: "the append answer has no next_continuation_token".into(),
                }
                .into()
            })
    }

    /// The status of some channels of one pipe (`POST .../pipes/{pipe}:bulk-channel-status`).
    pub fn bulk_status(
        &mut self,
        pipe: &str,
        channels: &[&str],
    ) -> Result<HashMap<String, ChannelStatus>, StreamError> {
        let ingest = self.discover()?;
        let s = &self.settings;
        let url = format!(
            "{ingest}/v2/streaming/databases/{}/schemas/{}/pipes/{}:bulk-channel-status",
            path_segment(&canonical_name(s.database.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(s.schema.as_deref().unwrap_or_default())),
            path_segment(&canonical_name(pipe)),
        );
        let body = serde_json::json!({ "channel_names": channels }).to_string();
        let (status, text) = self.with_token(&url, |http, token| {
            http.post(&url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(body.clone())
        })?;
        if status != 200 {
            return Err(classify(
                status,
                &text,
                &format!("read the channel status of pipe {pipe}"),
                "",
            ));
        }
        let answer: BulkAnswer = serde_json::from_str(&text).map_err(|e| {
            StreamError::from(SnowflakeError::Protocol {
                url: url.clone(),
                detail: format!("the channel status answer is not understood: {e}"),
            })
        })?;
        Ok(answer
            .channel_statuses
            .unwrap_or_default()
            .into_iter()
            .map(|(name, st)| {
                (
                    name,
                    ChannelStatus {
                        committed_offset: st.last_committed_offset_token,
                        rows_inserted: st.rows_inserted,
                        rows_in_error: st.rows_in_error,
                    },
                )
            })
            .collect())
    }

    /// Drops a channel (`DELETE` on its URL); its committed offset is forgotten.
    pub fn drop_channel(&mut self, pipe: &str, channel: &str) -> Result<(), StreamError> {
        let ingest = self.discover()?;
        let url = self.channel_url(&ingest, pipe, channel);
        let (status, text) =
            self.with_token(&url, |http, token| http.delete(&url).bearer_auth(token))?;
        match status {
            200 | 204 => Ok(()),
            _ => Err(classify(
                status,
                &text,
                &format!("drop the channel {channel}"),
                channel,
            )),
        }
    }
}

fn read(
    response: reqwest::blocking::Response,
    url: &str,
    client: &IngestClient,
) -> Result<(u16, String), StreamError> {
    let status = response.status().as_u16();
    let text = response.text().map_err(|e| client.network(url, e))?;
    Ok((status, text))
}

fn parse_error(text: &str) -> (String, String) {
    let b: ErrorBody = serde_json::from_str(text).unwrap_or_default();
    let code = match b.code {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    (code, b.message.unwrap_or_else(|| snippet(text)))
}

/// The error of a non-200 answer.
fn classify(status: u16, text: &str, what: &str, channel: &str) -> StreamError {
    let (code, message) = parse_error(text);
    let reopen = matches!(
        code.as_str(),
        codes::STALE_CONTINUATION_TOKEN_SEQUENCER
            | codes::INVALID_CONTINUATION_TOKEN
            | codes::CHANNEL_DOES_NOT_EXIST
    );
    if reopen && !channel.is_empty() {
        return StreamError::Reopen {
            channel: channel.into(),
            code,
        };
    }
    if status == 429 || status >= 500 || status == 408 {
        return StreamError::Server {
            what: what.into(),
            status,
            code: if code.is_empty() { "-".into() } else { code },
            message,
        };
    }
    StreamError::Rejected {
        what: what.into(),
        status,
        hint: codes::hint(&code, status),
        code: if code.is_empty() { "-".into() } else { code },
        message,
    }
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.trim().is_empty() {
        "no details".into()
    } else {
        t
    }
}
