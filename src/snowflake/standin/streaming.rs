//! The stand-in's Snowpipe Streaming REST endpoints (`snowflake.md` §3), with the checks a
//! client must pass: the key-pair JWT for hostname discovery and token exchange (form-encoded,
//! grant type and scope checked), the scoped token - and only it - afterwards, channel
//! sequencers with stale continuation tokens, offset tokens, NDJSON (optionally gzip) bodies
//! of JSON objects, the 4 MB limit, commits that lag behind appends, and injectable faults.
//! Committed rows land in the pipe's table (so `COUNT(*)` sees them) and are kept as JSON for
//! tests to compare by id.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::Request;
use super::{error_body, lock, Reply, Shared};
use crate::snowflake::jwt::{self, Registration};
use crate::snowflake::streaming::body::{gunzip, MAX_REQUEST_BYTES};
use crate::snowflake::streaming::codes;
use crate::snowflake::streaming::discovery::form_decode;

/// How the stand-in's streaming side behaves.
#[derive(Clone, Debug)]
pub struct StreamingConfig {
    /// How long after an append its rows are committed (Snowflake commits about once a second).
    pub commit_lag: Duration,
    /// Lifetime of a scoped token.
    pub token_ttl: Duration,
    /// Answer hostname and token requests as JSON (`true`) or as plain text.
    pub json_answers: bool,
    /// Largest (compressed) append body.
    pub max_request: usize,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        StreamingConfig {
            commit_lag: Duration::from_millis(200),
            token_ttl: Duration::from_secs(3600),
            json_answers: true,
            max_request: MAX_REQUEST_BYTES,
        }
    }
}

/// A fault for the next streaming request (after authentication).
#[derive(Clone, Debug, PartialEq)]
pub enum StreamFault {
    /// No fault (to place later faults in a queue).
    Pass,
    /// Answer with this HTTP status (500, 503, 429, ...) without doing anything.
    Status(u16),
    /// Close the connection without doing anything.
    DropBefore,
    /// Do the work (an append is received), then close the connection without answering.
    DropAfter,
    /// Expire every scoped token issued so far, then check this request (it fails with 401).
    ExpireToken,
    /// Reset the channel of this request first (new sequencer, uncommitted rows dropped), as
    /// when another client reopens it; the request then meets a stale continuation token.
    ResetChannel,
}

/// Counters of the streaming side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamingStats {
    /// Hostname requests answered.
    pub hostname_requests: u64,
    /// Scoped tokens issued.
    pub tokens_issued: u64,
    /// Channel opens (first and re-opens).
    pub opens: u64,
    /// Appends received (200).
    pub appends: u64,
    /// Appends with a gzip body.
    pub gzip_appends: u64,
    /// Rows received in appends.
    pub rows_received: u64,
    /// Rows committed.
    pub rows_committed: u64,
    /// Uncommitted rows dropped by reopens and resets.
    pub rows_discarded: u64,
    /// Requests refused for a stale or unknown continuation token.
    pub stale_refusals: u64,
    /// Requests refused for the token (JWT where a scoped token belongs, unknown, expired).
    pub token_refusals: u64,
    /// Faults injected.
    pub faults: u64,
    /// Largest append body (as sent).
    pub largest_body: usize,
    /// Most appends one channel received within one second.
    pub max_appends_per_second: u64,
    /// Bulk status requests answered.
    pub status_requests: u64,
}

struct Batch {
    ready_at: Instant,
    offset: Option<String>,
    rows: Vec<serde_json::Value>,
}

struct Channel {
    sequencer: u64,
    counter: u64,
    token: String,
    committed_offset: Option<String>,
    rows_committed: u64,
    pending: VecDeque<Batch>,
    recent: VecDeque<Instant>,
}

impl Channel {
    fn next_token(&mut self) -> String {
        self.counter += 1;
        self.token = format!("{}_{}", self.sequencer, self.counter);
        self.token.clone()
    }
}

/// The streaming side's state.
#[derive(Default)]
pub struct Streaming {
    cfg: StreamingConfig,
    tokens: HashMap<String, Instant>,
    next_token: u64,
    channels: HashMap<String, Channel>,
    faults: VecDeque<StreamFault>,
    random: Option<(u64, u32, Vec<StreamFault>)>,
    outage: Option<u16>,
    committed: HashMap<String, Vec<serde_json::Value>>,
    stats: StreamingStats,
}

impl Streaming {
    /// A streaming side with this configuration.
    pub fn new(cfg: StreamingConfig) -> Streaming {
        Streaming {
            cfg,
            ..Default::default()
        }
    }

    /// Changes the configuration.
    pub fn configure(&mut self, f: impl FnOnce(&mut StreamingConfig)) {
        f(&mut self.cfg);
    }

    /// Queues faults for the next streaming requests.
    pub fn inject(&mut self, faults: impl IntoIterator<Item = StreamFault>) {
        self.faults.extend(faults);
    }

    /// Injects one of `faults` into about `per_mille`/1000 requests (reproducibly from `seed`).
    pub fn inject_randomly(&mut self, seed: u64, per_mille: u32, faults: Vec<StreamFault>) {
        self.random = if per_mille == 0 || faults.is_empty() {
            None
        } else {
            Some((seed | 1, per_mille, faults))
        };
    }

    /// Every streaming request answers this status (0: the connection is dropped) until `None`.
    pub fn set_outage(&mut self, status: Option<u16>) {
        self.outage = status;
    }

    /// Committed rows of a table (by its last name part), in commit order.
    pub fn rows(&self, table: &str) -> Vec<serde_json::Value> {
        self.committed
            .iter()
            .filter(|(k, _)| k.rsplit('\u{1}').next() == Some(table))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }

    /// Counters.
    pub fn stats(&self) -> StreamingStats {
        self.stats.clone()
    }

    /// The last committed offset token of a channel, if it exists.
    pub fn committed_offset(&self, channel: &str) -> Option<String> {
        self.channels
            .iter()
            .find(|(k, _)| k.rsplit('\u{1}').next() == Some(channel))
            .and_then(|(_, c)| c.committed_offset.clone())
    }

    fn next_fault(&mut self) -> Option<StreamFault> {
        let f = self.faults.pop_front().or_else(|| {
            let (seed, per_mille, faults) = self.random.as_mut()?;
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            if (*seed % 1000) < *per_mille as u64 {
                Some(faults[(*seed / 1000) as usize % faults.len()].clone())
            } else {
                None
            }
        });
        if matches!(f, Some(StreamFault::Pass)) {
            return None;
        }
        if f.is_some() {
            self.stats.faults += 1;
        }
        f
    }
}

fn answer(status: u16, body: serde_json::Value) -> Reply {
    Reply::Answer(status, body.to_string())
}

fn refuse(status: u16, code: &str, message: &str) -> Reply {
    Reply::Answer(status, error_body(code, message))
}

/// Whether this request belongs to the streaming side.
pub(super) fn is_streaming(req: &Request) -> bool {
    req.path.starts_with("/v2/streaming/") || req.path == "/oauth/token"
}

fn check_jwt(req: &Request, shared: &Shared) -> Result<(), Reply> {
    let cfg = lock(&shared.cfg).clone();
    let generic = || {
        refuse(
            401,
            "390144",
            "JWT token is invalid. [01b2c3d4-0000-4000-8000-000000000000]",
        )
    };
    if req.header("x-snowflake-authorization-token-type") != Some("KEYPAIR_JWT") {
        return Err(generic());
    }
    let Some(token) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return Err(generic());
    };
    let reg = Registration {
        account: cfg.account.clone(),
        user: cfg.user.clone(),
        public_key: cfg.public_key.clone(),
    };
    jwt::verify(token, &reg, jwt::now_secs())
        .map(|_| ())
        .map_err(|r| {
            let code = if cfg.detailed_auth_errors {
                r.code()
            } else {
                "390144"
            };
            refuse(401, code, "JWT token is invalid.")
        })
}

fn check_scoped(req: &Request, st: &mut Streaming) -> Result<(), Reply> {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if req.header("x-snowflake-authorization-token-type") == Some("KEYPAIR_JWT")
        || token.split('.').count() == 3
    {
        st.stats.token_refusals += 1;
        return Err(refuse(
            401,
            codes::INVALID_OAUTH_TOKEN,
            "Invalid OAuth access token: streaming calls take the scoped token from /oauth/token, not the key-pair JWT",
        ));
    }
    match st.tokens.get(token) {
        None => {
            st.stats.token_refusals += 1;
            Err(refuse(
                401,
                codes::INVALID_OAUTH_TOKEN,
                "Invalid OAuth access token.",
            ))
        }
        Some(expires) if Instant::now() >= *expires => {
            st.stats.token_refusals += 1;
            Err(refuse(
                401,
                codes::EXPIRED_OAUTH_TOKEN,
                "OAuth access token expired.",
            ))
        }
        Some(_) => Ok(()),
    }
}

/// Path segments after a prefix, percent-decoded.
fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| form_decode(&s.replace('+', "%2B")).unwrap_or_else(|| s.to_string()))
        .collect()
}

/// Handles one streaming request.
pub(super) fn handle(req: &Request, shared: &Shared) -> Reply {
    if req.path == "/v2/streaming/hostname" || req.path == "/oauth/token" {
        if let Err(r) = check_jwt(req, shared) {
            lock(&shared.state).stats.auth_refused += 1;
            return r;
        }
    }
    let host = shared.addr.to_string();
    let mut st = lock(&shared.stream);
    if let Some(status) = st.outage {
        st.stats.faults += 1;
        return if status == 0 {
            Reply::Drop
        } else {
            refuse(status, "390503", "Service unavailable (stand-in outage).")
        };
    }
    if req.path == "/v2/streaming/hostname" && req.method == "GET" {
        st.stats.hostname_requests += 1;
        return if st.cfg.json_answers {
            answer(200, json!({ "hostname": host }))
        } else {
            Reply::Answer(200, host)
        };
    }
    if req.path == "/oauth/token" && req.method == "POST" {
        return token(req, &host, &mut st);
    }
    if let Err(r) = check_scoped(req, &mut st) {
        return r;
    }
    let fault = st.next_fault();
    match &fault {
        Some(StreamFault::Status(s)) => {
            return refuse(*s, "390500", "Injected server error.");
        }
        Some(StreamFault::DropBefore) => return Reply::Drop,
        Some(StreamFault::ExpireToken) => {
            let now = Instant::now();
            for exp in st.tokens.values_mut() {
                *exp = now;
            }
            if let Err(r) = check_scoped(req, &mut st) {
                return r;
            }
        }
        _ => {}
    }
    let seg = segments(&req.path);
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let reply = match (req.method.as_str(), seg.as_slice()) {
        (
            "PUT" | "DELETE",
            ["v2", "streaming", "databases", db, "schemas", schema, "pipes", pipe, "channels", channel],
        ) => {
            let key = [*db, *schema, *pipe, *channel].join("\u{1}");
            if fault == Some(StreamFault::ResetChannel) {
                reset(&mut st, shared, &key);
            }
            if req.method == "PUT" {
                open(shared, &mut st, db, schema, pipe, &key, channel)
            } else if st.channels.remove(&key).is_some() {
                answer(200, json!({}))
            } else {
                refuse(
                    404,
                    codes::CHANNEL_DOES_NOT_EXIST,
                    "Channel does not exist.",
                )
            }
        }
        (
            "POST",
            ["v2", "streaming", "data", "databases", db, "schemas", schema, "pipes", pipe, "channels", channel, "rows"],
        ) => {
            let key = [*db, *schema, *pipe, *channel].join("\u{1}");
            if fault == Some(StreamFault::ResetChannel) {
                reset(&mut st, shared, &key);
            }
            append(req, shared, &mut st, &key)
        }
        ("POST", ["v2", "streaming", "databases", db, "schemas", schema, "pipes", last]) => {
            match last.strip_suffix(":bulk-channel-status") {
                Some(pipe) => bulk_status(
                    req,
                    shared,
                    &mut st,
                    [*db, *schema, pipe],
                    fault == Some(StreamFault::ResetChannel),
                ),
                None => refuse(404, "390404", "no such streaming endpoint in the stand-in"),
            }
        }
        _ => refuse(404, "390404", "no such streaming endpoint in the stand-in"),
    };
    if fault == Some(StreamFault::DropAfter) {
        return Reply::Drop;
    }
    reply
}

fn token(req: &Request, host: &str, st: &mut Streaming) -> Reply {
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return refuse(
            400,
            "390142",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let text = String::from_utf8_lossy(&req.body);
    let mut grant = None;
    let mut scope = None;
    for pair in text.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = form_decode(v);
        match k {
            "grant_type" => grant = v,
            "scope" => scope = v,
            _ => {}
        }
    }
    if grant.as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return refuse(
            400,
            "invalid_grant",
            "grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer",
        );
    }
    if scope.as_deref() != Some(host) {
        return refuse(
            400,
            "invalid_scope",
            &format!("scope must be the ingest host {host}, got {scope:?}"),
        );
    }
    st.next_token += 1;
    let token = format!("scoped-{:08x}-{}", st.next_token, st.next_token * 7919);
    let ttl = st.cfg.token_ttl;
    st.tokens.insert(token.clone(), Instant::now() + ttl);
    st.stats.tokens_issued += 1;
    if st.cfg.json_answers {
        answer(
            200,
            json!({"token": token, "expires_in": ttl.as_secs(), "token_type": "Bearer"}),
        )
    } else {
        Reply::Answer(200, token)
    }
}

/// The table a pipe loads, if the pipe exists: a pipe created by `CREATE PIPE .. COPY INTO t`,
/// or the default pipe `<TABLE>-STREAMING` of an existing table.
fn pipe_table(shared: &Shared, db: &str, schema: &str, pipe: &str) -> Option<String> {
    let state = lock(&shared.state);
    let full = [db, schema, pipe].join("\u{1}");
    if let Some(t) = state.pipe_targets.get(&full) {
        return Some(t.clone());
    }
    let table = pipe.strip_suffix("-STREAMING")?;
    let key = [db, schema, table].join("\u{1}");
    state.tables.contains_key(&key).then_some(key)
}

/// Resets a channel as another opener would: what Snowflake has committed stays (and lands in
/// the table first), what it has not is dropped, and the sequencer moves on.
fn reset(st: &mut Streaming, shared: &Shared, key: &str) {
    settle(st, shared, key);
    if let Some(c) = st.channels.get_mut(key) {
        c.sequencer += 1;
        let dropped: usize = c.pending.drain(..).map(|b| b.rows.len()).sum();
        st.stats.rows_discarded += dropped as u64;
    }
}

fn open(
    shared: &Shared,
    st: &mut Streaming,
    db: &str,
    schema: &str,
    pipe: &str,
    key: &str,
    channel: &str,
) -> Reply {
    if pipe_table(shared, db, schema, pipe).is_none() {
        return refuse(
            404,
            codes::PIPE_DOES_NOT_EXIST,
            &format!("Pipe {db}.{schema}.{pipe} does not exist or not authorized."),
        );
    }
    settle(st, shared, key);
    st.stats.opens += 1;
    let c = st.channels.entry(key.to_string()).or_insert(Channel {
        sequencer: 0,
        counter: 0,
        token: String::new(),
        committed_offset: None,
        rows_committed: 0,
        pending: VecDeque::new(),
        recent: VecDeque::new(),
    });
    // Reopening starts a new sequencer: what the previous opener appended and Snowflake has
    // not committed yet is dropped, and its continuation tokens go stale.
    c.sequencer += 1;
    let dropped: usize = c.pending.drain(..).map(|b| b.rows.len()).sum();
    let token = c.next_token();
    let committed = c.committed_offset.clone();
    let inserted = c.rows_committed;
    st.stats.rows_discarded += dropped as u64;
    answer(
        200,
        json!({
            "next_continuation_token": token,
            "channel_status": {
                "channel_name": channel,
                "channel_status_code": "SUCCESS",
                "last_committed_offset_token": committed,
                "rows_inserted_count": inserted,
                "rows_error_count": 0,
            }
        }),
    )
}

fn append(req: &Request, shared: &Shared, st: &mut Streaming, key: &str) -> Reply {
    st.stats.largest_body = st.stats.largest_body.max(req.body.len());
    if req.body.len() > st.cfg.max_request {
        return refuse(413, codes::PAYLOAD_TOO_LARGE, "Request body exceeds 4 MB.");
    }
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-ndjson"))
    {
        return refuse(
            415,
            codes::INVALID_PAYLOAD,
            "Content-Type must be application/x-ndjson",
        );
    }
    settle(st, shared, key);
    let Some(c) = st.channels.get(key) else {
        return refuse(
            404,
            codes::CHANNEL_DOES_NOT_EXIST,
            "Channel does not exist: open it first.",
        );
    };
    let given = req.param("continuationToken").unwrap_or("");
    let given = form_decode(given).unwrap_or_default();
    let given_seq = given.split('_').next().and_then(|s| s.parse::<u64>().ok());
    if given_seq != Some(c.sequencer) {
        st.stats.stale_refusals += 1;
        return refuse(
            400,
            codes::STALE_CONTINUATION_TOKEN_SEQUENCER,
            "The continuation token belongs to an earlier opening of this channel: reopen it.",
        );
    }
    if given != c.token {
        st.stats.stale_refusals += 1;
        return refuse(
            400,
            codes::INVALID_CONTINUATION_TOKEN,
            "The continuation token is not the latest one issued for this channel.",
        );
    }
    let gzipped = req
        .header("content-encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    let raw = if gzipped {
        match gunzip(&req.body, 64 * 1024 * 1024) {
            Ok(r) => r,
            Err(e) => {
                return refuse(
                    400,
                    codes::INVALID_PAYLOAD,
                    &format!("The body is not valid gzip: {e}"),
                )
            }
        }
    } else {
        req.body.clone()
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return refuse(400, codes::INVALID_PAYLOAD, "The body is not UTF-8.");
    };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v @ serde_json::Value::Object(_)) => rows.push(v),
            _ => {
                return refuse(
                    400,
                    codes::INVALID_PAYLOAD,
                    &format!("Line {} is not a JSON object.", i + 1),
                )
            }
        }
    }
    let offset = req.param("offsetToken").and_then(form_decode);
    let lag = st.cfg.commit_lag;
    st.stats.appends += 1;
    st.stats.rows_received += rows.len() as u64;
    if gzipped {
        st.stats.gzip_appends += 1;
    }
    let now = Instant::now();
    let Some(c) = st.channels.get_mut(key) else {
        return refuse(
            404,
            codes::CHANNEL_DOES_NOT_EXIST,
            "Channel does not exist.",
        );
    };
    c.recent.push_back(now);
    while c
        .recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        c.recent.pop_front();
    }
    let per_second = c.recent.len() as u64;
    c.pending.push_back(Batch {
        ready_at: now + lag,
        offset,
        rows,
    });
    let token = c.next_token();
    st.stats.max_appends_per_second = st.stats.max_appends_per_second.max(per_second);
    answer(200, json!({ "next_continuation_token": token }))
}

/// Commits the batches of a channel whose lag has passed: their rows land in the pipe's table.
fn settle(st: &mut Streaming, shared: &Shared, key: &str) {
    let now = Instant::now();
    let Some(c) = st.channels.get_mut(key) else {
        return;
    };
    let mut done = Vec::new();
    while c.pending.front().is_some_and(|b| b.ready_at <= now) {
        if let Some(b) = c.pending.pop_front() {
            if b.offset.is_some() {
                c.committed_offset = b.offset.clone();
            }
            c.rows_committed += b.rows.len() as u64;
            done.push(b);
        }
    }
    if done.is_empty() {
        return;
    }
    let mut parts = key.split('\u{1}');
    let (db, schema, pipe) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let table =
        pipe_table(shared, db, schema, pipe).unwrap_or_else(|| [db, schema, pipe].join("\u{1}"));
    let n: usize = done.iter().map(|b| b.rows.len()).sum();
    st.stats.rows_committed += n as u64;
    let rows: Vec<serde_json::Value> = done.into_iter().flat_map(|b| b.rows).collect();
    let mut state = lock(&shared.state);
    if let Some(t) = state.tables.get_mut(&table) {
        for r in &rows {
            let row = t
                .columns
                .iter()
                .map(|col| {
                    let v = r.as_object().and_then(|o| {
                        o.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(col))
                            .map(|(_, v)| v)
                    });
                    match v {
                        None | Some(serde_json::Value::Null) => None,
                        Some(serde_json::Value::String(s)) => Some(s.clone()),
                        Some(other) => Some(other.to_string()),
                    }
                })
                .collect();
            t.rows.push(row);
        }
    }
    st.committed.entry(table).or_default().extend(rows);
}

/// Answers a bulk-channel-status request. With `reset_first` (an injected channel reset that
/// met a status request) the named channels are reset before their status is read, so the
/// fault takes effect whichever request it lands on.
fn bulk_status(
    req: &Request,
    shared: &Shared,
    st: &mut Streaming,
    [db, schema, pipe]: [&str; 3],
    reset_first: bool,
) -> Reply {
    #[derive(serde::Deserialize)]
    struct Body {
        channel_names: Vec<String>,
    }
    let Ok(body) = serde_json::from_slice::<Body>(&req.body) else {
        return refuse(
            400,
            codes::INVALID_PAYLOAD,
            "The body must be {\"channel_names\":[..]}.",
        );
    };
    st.stats.status_requests += 1;
    let mut out = serde_json::Map::new();
    for name in body.channel_names {
        let key = [db, schema, pipe, name.as_str()].join("\u{1}");
        if reset_first {
            reset(st, shared, &key);
        }
        settle(st, shared, &key);
        if let Some(c) = st.channels.get(&key) {
            out.insert(
                name.clone(),
                json!({
                    "channel_status_code": "SUCCESS",
                    "last_committed_offset_token": c.committed_offset,
                    "rows_inserted_count": c.rows_committed,
                    "rows_error_count": 0,
                }),
            );
        }
    }
    answer(200, json!({ "channel_statuses": out }))
}
