//! A local stand-in for Snowflake's SQL API v2, for tests, benchmarks and demonstrations on a
//! machine that cannot reach Snowflake. It listens on `127.0.0.1:0` (std::net, a thread per
//! connection) and applies the checks of `snowflake.md` §1-2: the JWT (signature against the
//! registered public key, RS256, account, user, fingerprint, `iat` within 60 s, `exp` at most
//! `iat` + 1 h), the required headers and content type, bindings (string values, known types,
//! as many as `?` placeholders), `MULTI_STATEMENT_COUNT`, requestId de-duplication with
//! `retry=true`, 202 + status polling for slow statements, result partitions, and 413 above
//! 1 MB. It keeps the rows it received per table, and injects faults on demand.

mod http;
pub mod sql;
pub mod streaming;

use std::collections::{HashMap, VecDeque};
use std::io::BufReader;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rsa::RsaPublicKey;
use serde::Deserialize;
use serde_json::json;

use super::jwt::{self, Registration};
use super::sql_api::BindType;
use sql::{Stmt, Value};
pub use streaming::{StreamFault, StreamingConfig, StreamingStats};

/// Requests above this many bytes are refused with 413.
pub const DEFAULT_MAX_BODY: usize = 1_048_576;

/// A fault to inject into the next statement request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// No fault: answer normally (to place later faults in a queue).
    Pass,
    /// Answer with this HTTP status (401, 429, 500, 503, 504, ...) without running anything.
    Status(u16),
    /// Close the connection without an answer, before running the statement.
    DropBefore,
    /// Run the statement, then close the connection without an answer.
    DropAfter,
    /// Run the statement but answer 202; the status URL answers 202 until this delay passed.
    Slow(Duration),
}

impl Fault {
    /// The faults Snowflake can answer with that the client rides through (429, 503, 504 and
    /// dropped connections; no 500, which it rightly does not retry), with `slow` answers.
    pub fn ridden_through(slow: Duration) -> Vec<Fault> {
        vec![
            Fault::Status(429),
            Fault::Status(503),
            Fault::Status(504),
            Fault::DropBefore,
            Fault::DropAfter,
            Fault::Slow(slow),
        ]
    }
}

/// How the stand-in is set up.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    /// The account as it must appear in the token (`XY12345`).
    pub account: String,
    /// The user (upper-case login name).
    pub user: String,
    /// The registered public key.
    pub public_key: RsaPublicKey,
    /// Answer 401 with the detailed 3943xx code instead of the generic 390144.
    pub detailed_auth_errors: bool,
    /// Largest accepted body.
    pub max_body: usize,
    /// Rows per result partition.
    pub partition_rows: usize,
    /// The Snowpipe Streaming side.
    pub streaming: StreamingConfig,
}

impl StandInConfig {
    /// A stand-in for one user and key with the usual limits.
    pub fn new(account: &str, user: &str, public_key: RsaPublicKey) -> StandInConfig {
        StandInConfig {
            account: super::account::token_account(account),
            user: super::account::token_user(user),
            public_key,
            detailed_auth_errors: true,
            max_body: DEFAULT_MAX_BODY,
            partition_rows: 10_000,
            streaming: StreamingConfig::default(),
        }
    }
}

/// A table as the stand-in holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names in order.
    pub columns: Vec<String>,
    /// Rows; values as the bindings carried them (`None` for NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// Created as an Iceberg table.
    pub iceberg: bool,
}

impl Table {
    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Counters for tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Statement POSTs received.
    pub posts: u64,
    /// Statements executed.
    pub executed: u64,
    /// POSTs answered from the requestId cache (`retry=true`).
    pub deduplicated: u64,
    /// Faults injected.
    pub faults: u64,
    /// Requests refused for authentication.
    pub auth_refused: u64,
    /// Status polls answered.
    pub polls: u64,
    /// Largest body seen.
    pub largest_body: usize,
    /// Most statements running at once.
    pub max_in_flight: u64,
}

struct Done {
    status: u16,
    body: serde_json::Value,
    ready_at: Instant,
    partitions: Vec<Vec<Vec<Option<String>>>>,
}

#[derive(Default)]
struct State {
    tables: HashMap<String, Table>,
    objects: Vec<(String, String)>,
    by_request: HashMap<String, String>,
    results: HashMap<String, Done>,
    faults: VecDeque<Fault>,
    random_faults: Option<(u64, u32, Vec<Fault>)>,
    stats: Stats,
    statements: Vec<String>,
    next_handle: u64,
    /// Pipe (full key) to the table (full key) its COPY INTO loads.
    pipe_targets: HashMap<String, String>,
}

struct Shared {
    cfg: Mutex<StandInConfig>,
    state: Mutex<State>,
    /// The streaming side; locked before `state` when both are needed.
    stream: Mutex<streaming::Streaming>,
    addr: SocketAddr,
    stop: AtomicBool,
    in_flight: AtomicU64,
}

/// A running stand-in; stops when dropped.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test thread that panicked while holding the lock leaves usable data behind.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StandIn {
    /// Starts a stand-in on `127.0.0.1:0`.
    pub fn start(cfg: StandInConfig) -> std::io::Result<StandIn> {
        Self::start_on("127.0.0.1:0", cfg)
    }

    /// Starts a stand-in on a given loopback address.
    pub fn start_on(addr: &str, cfg: StandInConfig) -> std::io::Result<StandIn> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            stream: Mutex::new(streaming::Streaming::new(cfg.streaming.clone())),
            addr,
            cfg: Mutex::new(cfg),
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            in_flight: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = conn {
                    let s = s.clone();
                    std::thread::spawn(move || serve(stream, s));
                }
            }
        });
        Ok(StandIn {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`: the base URL to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues faults for the next statement requests, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.state).faults.extend(faults);
    }

    /// Injects one of `faults` into about `per_mille`/1000 of the statement requests, chosen by
    /// a generator seeded with `seed` (reproducible), until cleared with `per_mille` 0.
    pub fn inject_randomly(&self, seed: u64, per_mille: u32, faults: Vec<Fault>) {
        lock(&self.shared.state).random_faults = if per_mille == 0 || faults.is_empty() {
            None
        } else {
            Some((seed | 1, per_mille, faults))
        };
    }

    /// Changes the configuration (for example to register another key).
    pub fn configure(&self, f: impl FnOnce(&mut StandInConfig)) {
        f(&mut lock(&self.shared.cfg));
    }

    /// A copy of a table, found by its last name part (`PARKING_EVENTS`).
    pub fn table(&self, name: &str) -> Option<Table> {
        let st = lock(&self.shared.state);
        st.tables
            .iter()
            .find(|(k, _)| k.rsplit('\u{1}').next() == Some(name))
            .map(|(_, t)| t.clone())
    }

    /// Full names (parts joined by `.`) of the tables created.
    pub fn table_names(&self) -> Vec<String> {
        let st = lock(&self.shared.state);
        let mut v: Vec<String> = st.tables.keys().map(|k| k.replace('\u{1}', ".")).collect();
        v.sort();
        v
    }

    /// The databases, schemas and pipes created: (kind, full name).
    pub fn objects(&self) -> Vec<(String, String)> {
        lock(&self.shared.state).objects.clone()
    }

    /// Every statement executed, in order.
    pub fn statements(&self) -> Vec<String> {
        lock(&self.shared.state).statements.clone()
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        lock(&self.shared.state).stats.clone()
    }

    /// Changes how the streaming side behaves (commit lag, token lifetime, answer format).
    pub fn configure_streaming(&self, f: impl FnOnce(&mut StreamingConfig)) {
        lock(&self.shared.stream).configure(f);
    }

    /// Queues faults for the next streaming requests, in order.
    pub fn inject_streaming(&self, faults: impl IntoIterator<Item = StreamFault>) {
        lock(&self.shared.stream).inject(faults);
    }

    /// Injects one of `faults` into about `per_mille`/1000 streaming requests (seeded).
    pub fn inject_streaming_randomly(&self, seed: u64, per_mille: u32, faults: Vec<StreamFault>) {
        lock(&self.shared.stream).inject_randomly(seed, per_mille, faults);
    }

    /// An outage of the streaming side: every request answers `status` (0: the connection is
    /// dropped) until called with `None`.
    pub fn set_streaming_outage(&self, status: Option<u16>) {
        lock(&self.shared.stream).set_outage(status);
    }

    /// The rows streamed into a table (found by its last name part) and committed, as JSON.
    pub fn streamed_rows(&self, table: &str) -> Vec<serde_json::Value> {
        lock(&self.shared.stream).rows(table)
    }

    /// The committed offset token of a channel (found by its name).
    pub fn committed_offset(&self, channel: &str) -> Option<String> {
        lock(&self.shared.stream).committed_offset(channel)
    }

    /// Counters of the streaming side.
    pub fn streaming_stats(&self) -> StreamingStats {
        lock(&self.shared.stream).stats()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(256 * 1024, read_half);
    let mut stream = stream;
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        // Streaming appends may reach 4 MB; statements keep their own, lower limit below.
        let max_body = {
            let cfg = lock(&shared.cfg);
            cfg.max_body.max(cfg.streaming.max_request)
        };
        let request = match http::read_request(&mut reader, max_body) {
            Ok(Some(r)) => r,
            _ => return,
        };
        let request = match request {
            Ok(r) => r,
            Err(413) => {
                let body = error_body(
                    "390142",
                    "Request entity too large: a statement is limited to 1 MB",
                );
                if http::write_response(&mut stream, 413, &body).is_err() {
                    return;
                }
                continue;
            }
            Err(status) => {
                let _ =
                    http::write_response(&mut stream, status, &error_body("390142", "bad request"));
                return;
            }
        };
        match handle(&request, &shared) {
            Reply::Answer(status, body) => {
                if http::write_response(&mut stream, status, &body).is_err() {
                    return;
                }
            }
            Reply::Drop => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

enum Reply {
    Answer(u16, String),
    Drop,
}

fn error_body(code: &str, message: &str) -> String {
    json!({"code": code, "message": message}).to_string()
}

fn uuid_like(n: u64) -> String {
    format!("01b2c3d4-0000-4000-8000-{n:012x}")
}

#[derive(Deserialize)]
struct Body {
    statement: Option<String>,
    #[allow(dead_code)]
    timeout: Option<serde_json::Value>,
    database: Option<String>,
    schema: Option<String>,
    warehouse: Option<String>,
    role: Option<String>,
    bindings: Option<HashMap<String, BindingIn>>,
    parameters: Option<HashMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct BindingIn {
    #[serde(rename = "type")]
    kind: Option<String>,
    value: serde_json::Value,
}

fn check_auth(req: &Request, shared: &Shared) -> Result<(), Reply> {
    let cfg = lock(&shared.cfg).clone();
    let refuse = |code: &str| {
        let code = if cfg.detailed_auth_errors {
            code
        } else {
            "390144"
        };
        Reply::Answer(
            401,
            error_body(code, &format!("JWT token is invalid. [{}]", uuid_like(0))),
        )
    };
    if req.header("x-snowflake-authorization-token-type") != Some("KEYPAIR_JWT") {
        return Err(refuse("390144"));
    }
    let Some(token) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return Err(refuse("390144"));
    };
    let reg = Registration {
        account: cfg.account.clone(),
        user: cfg.user.clone(),
        public_key: cfg.public_key.clone(),
    };
    jwt::verify(token, &reg, jwt::now_secs())
        .map(|_| ())
        .map_err(|r| refuse(r.code()))
}

use http::Request;

fn handle(req: &Request, shared: &Shared) -> Reply {
    if streaming::is_streaming(req) {
        return streaming::handle(req, shared);
    }
    if req.body.len() > lock(&shared.cfg).max_body {
        return Reply::Answer(
            413,
            error_body(
                "390142",
                "Request entity too large: a statement is limited to 1 MB",
            ),
        );
    }
    let is_statements = req.path == "/api/v2/statements";
    let status_handle = req.path.strip_prefix("/api/v2/statements/");
    if req.header("user-agent").is_none_or(|u| u.trim().is_empty()) {
        return Reply::Answer(400, error_body("390142", "User-Agent header is required"));
    }
    if !req
        .header("accept")
        .is_some_and(|a| a.contains("application/json") || a.contains("*/*"))
    {
        return Reply::Answer(
            406,
            error_body("390142", "Accept must allow application/json"),
        );
    }
    if let Err(reply) = check_auth(req, shared) {
        lock(&shared.state).stats.auth_refused += 1;
        return reply;
    }
    if req.method == "GET" {
        if let Some(handle) = status_handle {
            return status(handle, req.param("partition"), shared);
        }
    }
    if req.method == "POST" && is_statements {
        let n = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let reply = post_statement(req, shared);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut st = lock(&shared.state);
        st.stats.max_in_flight = st.stats.max_in_flight.max(n);
        return reply;
    }
    Reply::Answer(
        404,
        error_body("390404", "no such endpoint in the stand-in"),
    )
}

fn status(handle: &str, partition: Option<&str>, shared: &Shared) -> Reply {
    let mut st = lock(&shared.state);
    st.stats.polls += 1;
    let Some(done) = st.results.get(handle) else {
        return Reply::Answer(404, error_body("390404", "unknown statement handle"));
    };
    if Instant::now() < done.ready_at {
        return Reply::Answer(
            202,
            json!({"code": "333334", "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
                   "statementHandle": handle, "statementStatusUrl": format!("/api/v2/statements/{handle}")})
            .to_string(),
        );
    }
    match partition.and_then(|p| p.parse::<usize>().ok()) {
        Some(p) if p > 0 => match done.partitions.get(p) {
            Some(rows) => Reply::Answer(200, json!({"data": rows}).to_string()),
            None => Reply::Answer(422, error_body("000709", "partition out of range")),
        },
        _ => Reply::Answer(done.status, done.body.to_string()),
    }
}

fn post_statement(req: &Request, shared: &Shared) -> Reply {
    {
        let mut st = lock(&shared.state);
        st.stats.posts += 1;
        st.stats.largest_body = st.stats.largest_body.max(req.body.len());
    }
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Reply::Answer(
            415,
            error_body("390142", "Content-Type must be application/json"),
        );
    }
    let Some(request_id) = req.param("requestId").filter(|r| r.len() == 36) else {
        return Reply::Answer(400, error_body("390142", "requestId (a UUID) is required"));
    };
    let retry = req.param("retry") == Some("true");
    // The fault, if any, for this request.
    let fault = {
        let mut st = lock(&shared.state);
        let f = st.faults.pop_front().or_else(|| {
            let (seed, per_mille, faults) = st.random_faults.as_mut()?;
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            if (*seed % 1000) < *per_mille as u64 {
                Some(faults[(*seed / 1000) as usize % faults.len()].clone())
            } else {
                None
            }
        });
        if f.is_some() {
            st.stats.faults += 1;
        }
        f
    };
    match &fault {
        Some(Fault::Status(s)) => {
            let (code, msg) = match s {
                401 => ("390144", "JWT token is invalid."),
                429 => ("390505", "Too many requests. Please retry later."),
                503 => ("390503", "Service unavailable."),
                504 => ("390504", "Gateway timeout."),
                _ => ("390500", "Internal error."),
            };
            return Reply::Answer(*s, error_body(code, msg));
        }
        Some(Fault::DropBefore) => return Reply::Drop,
        _ => {}
    }
    if retry {
        let mut st = lock(&shared.state);
        if let Some(handle) = st.by_request.get(request_id).cloned() {
            st.stats.deduplicated += 1;
            if let Some(done) = st.results.get(&handle) {
                if Instant::now() < done.ready_at {
                    drop(st);
                    return status(&handle, None, shared);
                }
                return Reply::Answer(done.status, done.body.to_string());
            }
        }
    }
    let (status_code, body, partitions, wait) = execute(req, shared);
    let mut st = lock(&shared.state);
    st.next_handle += 1;
    let handle = uuid_like(st.next_handle);
    let mut body = body;
    if let Some(obj) = body.as_object_mut() {
        obj.insert("statementHandle".into(), json!(handle));
        obj.insert(
            "statementStatusUrl".into(),
            json!(format!("/api/v2/statements/{handle}")),
        );
    }
    let slow = match &fault {
        Some(Fault::Slow(d)) => Some(*d),
        _ => wait,
    };
    st.by_request.insert(request_id.to_string(), handle.clone());
    st.results.insert(
        handle.clone(),
        Done {
            status: status_code,
            body: body.clone(),
            ready_at: Instant::now() + slow.unwrap_or_default(),
            partitions,
        },
    );
    drop(st);
    if fault == Some(Fault::DropAfter) {
        return Reply::Drop;
    }
    if slow.is_some() {
        return status(&handle, None, shared);
    }
    Reply::Answer(status_code, body.to_string())
}

type Outcome = (
    u16,
    serde_json::Value,
    Vec<Vec<Vec<Option<String>>>>,
    Option<Duration>,
);

fn sql_error(code: &str, state: &str, message: &str) -> Outcome {
    (
        422,
        json!({"code": code, "sqlState": state, "message": message}),
        Vec::new(),
        None,
    )
}

fn execute(req: &Request, shared: &Shared) -> Outcome {
    let body: Body = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(e) => {
            return (
                400,
                json!({"code": "390142", "message": format!("Incoming request does not contain a valid payload: {e}")}),
                Vec::new(),
                None,
            )
        }
    };
    let Some(statement) = body.statement.as_deref() else {
        return (
            400,
            json!({"code": "390142", "message": "statement is required"}),
            Vec::new(),
            None,
        );
    };
    let statements = sql::split_statements(statement);
    let desired = body
        .parameters
        .as_ref()
        .and_then(|p| p.get("MULTI_STATEMENT_COUNT"))
        .map(|v| match v {
            serde_json::Value::String(s) => s.parse::<usize>().unwrap_or(usize::MAX),
            serde_json::Value::Number(n) => n.as_u64().map(|n| n as usize).unwrap_or(usize::MAX),
            _ => usize::MAX,
        })
        .unwrap_or(1);
    if desired != 0 && desired != statements.len() {
        return sql_error(
            "000008",
            "0A000",
            &format!(
                "Actual statement count {} did not match the desired statement count {desired}.",
                statements.len()
            ),
        );
    }
    // Bindings: keys 1..N, string (or null) values, known types, N = number of placeholders.
    let mut binds: Vec<Option<String>> = Vec::new();
    if let Some(b) = &body.bindings {
        if statements.len() > 1 && !b.is_empty() {
            return sql_error(
                "000002",
                "0A000",
                "Bind variables are not supported in multi-statement requests.",
            );
        }
        binds = vec![None; b.len()];
        for (k, v) in b {
            let Some(i) = k.parse::<usize>().ok().filter(|i| *i >= 1 && *i <= b.len()) else {
                return (
                    400,
                    json!({"code": "390142", "message": format!("binding key '{k}' is not 1..{}", b.len())}),
                    Vec::new(),
                    None,
                );
            };
            let Some(kind) = v.kind.as_deref().and_then(BindType::parse) else {
                return (
                    400,
                    json!({"code": "390142", "message": format!("binding {k} has an unknown type {:?}", v.kind)}),
                    Vec::new(),
                    None,
                );
            };
            binds[i - 1] = match &v.value {
                serde_json::Value::String(s) => {
                    if let Err(m) = check_value(kind, s) {
                        return sql_error("100038", "22018", &format!("binding {k}: {m}"));
                    }
                    Some(s.clone())
                }
                serde_json::Value::Null => None,
                other => {
                    return (
                        400,
                        json!({"code": "390142", "message": format!("binding {k} value must be a string, got {other}")}),
                        Vec::new(),
                        None,
                    )
                }
            };
        }
    }
    let placeholders: usize = statements.iter().map(|s| sql::count_placeholders(s)).sum();
    if placeholders != binds.len() {
        return sql_error(
            "002049",
            "42601",
            &format!(
                "SQL compilation error: {placeholders} bind variables in the statement, {} bindings given",
                binds.len()
            ),
        );
    }
    let cfg = lock(&shared.cfg).clone();
    let ctx = (
        body.database.clone().unwrap_or_default(),
        body.schema.clone().unwrap_or_default(),
    );
    let mut inserted = 0u64;
    let mut result_rows: Vec<Vec<Option<String>>> = Vec::new();
    let mut columns: Vec<String> = vec!["status".into()];
    let mut wait = None;
    let mut st = lock(&shared.state);
    for s in &statements {
        let parsed = match sql::parse(s) {
            Ok(p) => p,
            Err(m) => return sql_error("001003", "42000", &format!("SQL compilation error: {m}")),
        };
        st.statements.push(s.clone());
        st.stats.executed += 1;
        match parsed {
            Stmt::Transaction => {}
            Stmt::CreateObject { kind, name } => {
                let full = qualify(
                    &name,
                    &ctx,
                    if kind == "DATABASE" {
                        1
                    } else if kind == "SCHEMA" {
                        2
                    } else {
                        3
                    },
                );
                if kind == "PIPE" {
                    if let Some(target) = copy_into_target(s, &ctx) {
                        st.pipe_targets.insert(full.clone(), target);
                    }
                }
                if !st.objects.iter().any(|(k, n)| *k == kind && *n == full) {
                    st.objects.push((kind, full));
                }
                result_rows = vec![vec![Some("Statement executed successfully.".into())]];
            }
            Stmt::CreateTable {
                name,
                columns: cols,
                iceberg,
            } => {
                let key = qualify(&name, &ctx, 3);
                st.tables.entry(key).or_insert(Table {
                    columns: cols,
                    rows: Vec::new(),
                    iceberg,
                });
                result_rows = vec![vec![Some("Table successfully created.".into())]];
            }
            Stmt::Insert {
                table,
                columns: cols,
                rows,
            } => {
                let key = qualify(&table, &ctx, 3);
                let Some(t) = st.tables.get_mut(&key) else {
                    return sql_error(
                        "002003",
                        "42S02",
                        &format!(
                            "SQL compilation error: Table '{}' does not exist or not authorized.",
                            key.replace('\u{1}', ".")
                        ),
                    );
                };
                let mut idx = Vec::with_capacity(cols.len());
                for c in &cols {
                    match t.column(c) {
                        Some(i) => idx.push(i),
                        None => return sql_error("000904", "42000", &format!("SQL compilation error: error line 1 at position 0 invalid identifier '{c}'")),
                    }
                }
                let now = format!("{}", jwt::now_secs() as i128 * 1_000_000_000);
                let mut next = 0usize;
                let width = t.columns.len();
                let mut new_rows = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut out = vec![None; width];
                    for (v, i) in r.into_iter().zip(&idx) {
                        out[*i] = match v {
                            Value::Placeholder => {
                                next += 1;
                                binds[next - 1].clone()
                            }
                            Value::Null => None,
                            Value::Now => Some(now.clone()),
                            Value::Literal(l) => Some(l),
                        };
                    }
                    new_rows.push(out);
                }
                inserted += new_rows.len() as u64;
                t.rows.extend(new_rows);
                columns = vec!["number of rows inserted".into()];
                result_rows = vec![vec![Some(inserted.to_string())]];
            }
            Stmt::Count { table } => {
                let key = qualify(&table, &ctx, 3);
                let Some(t) = st.tables.get(&key) else {
                    return sql_error(
                        "002003",
                        "42S02",
                        &format!(
                            "SQL compilation error: Object '{}' does not exist or not authorized.",
                            key.replace('\u{1}', ".")
                        ),
                    );
                };
                columns = vec!["COUNT(*)".into()];
                result_rows = vec![vec![Some(t.rows.len().to_string())]];
            }
            Stmt::TestQuery => {
                columns = vec![
                    "CURRENT_VERSION()".into(),
                    "CURRENT_USER()".into(),
                    "CURRENT_ROLE()".into(),
                    "CURRENT_WAREHOUSE()".into(),
                ];
                result_rows = vec![vec![
                    Some("9.99.0 (parking-iot stand-in)".into()),
                    Some(cfg.user.clone()),
                    Some(body.role.clone().unwrap_or_else(|| "PUBLIC".into())),
                    body.warehouse.clone(),
                ]];
            }
            Stmt::Wait(secs) => {
                wait = Some(Duration::from_secs_f64(secs.clamp(0.0, 600.0)));
                columns = vec!["SYSTEM$WAIT".into()];
                result_rows = vec![vec![Some(format!("waited {secs} seconds"))]];
            }
        }
    }
    drop(st);
    let mut partitions: Vec<Vec<Vec<Option<String>>>> = result_rows
        .chunks(cfg.partition_rows.max(1))
        .map(|c| c.to_vec())
        .collect();
    if partitions.is_empty() {
        partitions.push(Vec::new());
    }
    let info: Vec<serde_json::Value> = partitions
        .iter()
        .map(|p| json!({"rowCount": p.len(), "uncompressedSize": 0}))
        .collect();
    let row_type: Vec<serde_json::Value> = columns
        .iter()
        .map(|c| json!({"name": c, "type": "text", "nullable": true}))
        .collect();
    let mut answer = json!({
        "code": "090001",
        "sqlState": "00000",
        "message": "Statement executed successfully.",
        "createdOn": jwt::now_secs() * 1000,
        "resultSetMetaData": {"numRows": result_rows.len(), "format": "jsonv2", "rowType": row_type, "partitionInfo": info},
        "data": partitions[0],
    });
    if inserted > 0 {
        answer["stats"] = json!({"numRowsInserted": inserted});
    }
    (200, answer, partitions, wait)
}

fn check_value(kind: BindType, s: &str) -> Result<(), String> {
    let ok = match kind {
        BindType::Fixed => {
            s.parse::<i128>().is_ok() || s.parse::<f64>().is_ok_and(|f| f.is_finite())
        }
        BindType::Real => s.parse::<f64>().is_ok(),
        BindType::Boolean => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "1" | "0"
        ),
        BindType::Date | BindType::Time | BindType::TimestampNtz | BindType::TimestampLtz => {
            s.parse::<i128>().is_ok()
        }
        BindType::TimestampTz => {
            let mut it = s.split(' ');
            matches!(
                (
                    it.next().map(|a| a.parse::<i128>()),
                    it.next().map(|b| b.parse::<i32>()),
                    it.next()
                ),
                (Some(Ok(_)), Some(Ok(_)), None)
            )
        }
        BindType::Text => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("'{s}' is not a valid {} value", kind.as_str()))
    }
}

/// The table key a `CREATE PIPE .. AS COPY INTO <table> ..` loads.
fn copy_into_target(statement: &str, ctx: &(String, String)) -> Option<String> {
    let upper = statement.to_ascii_uppercase();
    let at = upper.find("COPY INTO")? + "COPY INTO".len();
    let name = statement[at..].split_whitespace().next()?;
    let parts: Vec<String> = name
        .split('.')
        .map(|p| {
            let p = p.trim();
            match p.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
                Some(q) => q.replace("\"\"", "\""),
                None => p.to_ascii_uppercase(),
            }
        })
        .collect();
    Some(qualify(&parts, ctx, 3))
}

/// The full key of a name with `parts` levels, filling missing leading parts from the context.
fn qualify(name: &[String], ctx: &(String, String), levels: usize) -> String {
    let canon = |s: &str| super::setup::canonical_name(s);
    let mut full: Vec<String> = Vec::new();
    let missing = levels.saturating_sub(name.len());
    let context = [canon(&ctx.0), canon(&ctx.1)];
    full.extend(context.iter().take(missing).cloned());
    full.extend(name.iter().cloned());
    full.join("\u{1}")
}
