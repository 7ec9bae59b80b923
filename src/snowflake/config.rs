//! Connection settings and where each one came from. Precedence, highest first: explicit values
//! (command-line flags or the window's fields), environment variables, a `.env` file in the
//! working folder, a named connection in Snowflake's `connections.toml`, then defaults (role
//! `SYSADMIN`, database `PARKING_IOT`, schema `RAW_DATA`).
//!
//! [`resolve`] is pure: it takes the environment and the file contents as inputs, so tests
//! never touch the real environment; [`load`] gathers those inputs from the system. The
//! passphrase is kept in a [`Secret`] that never prints, and [`ConnectionConfig::describe`]
//! only says whether one is set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::account;
use super::errors::SnowflakeError;
use super::setup::ObjectNames;
use super::sql_api::{ApiSettings, RetryPolicy};

/// Where a value came from, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag or a field of the window.
    Explicit,
    /// An environment variable (its name).
    Env(String),
    /// A `.env` file in the working folder (the variable's name).
    DotEnv(String),
    /// A connection of `connections.toml` (its name).
    Connections(String),
    /// The built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Explicit => write!(f, "command line / window"),
            Source::Env(name) => write!(f, "environment ({name})"),
            Source::DotEnv(name) => write!(f, ".env ({name})"),
            Source::Connections(name) => write!(f, "connections.toml [{name}]"),
            Source::Default => write!(f, "default"),
        }
    }
}

/// A value with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

/// A secret (the key passphrase): its `Debug` and `Display` never show the text, so it cannot
/// leak into logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret text, for the one place that needs it (decrypting the key).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(***)")
    }
}

/// Values given explicitly (flags or window fields); `None` leaves the choice to lower sources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explicit {
    /// Account identifier.
    pub account: Option<String>,
    /// Login name.
    pub user: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Warehouse.
    pub warehouse: Option<String>,
    /// Database.
    pub database: Option<String>,
    /// Schema.
    pub schema: Option<String>,
    /// Private key file.
    pub private_key_path: Option<PathBuf>,
    /// Passphrase (the window's field or an interactive prompt; never a flag).
    pub passphrase: Option<Secret>,
    /// Base URL overriding the account host (and SNOWFLAKE_HOST/PORT/PROTOCOL).
    pub base_url: Option<String>,
    /// The `connections.toml` connection to use.
    pub connection: Option<String>,
}

/// Everything [`resolve`] reads, gathered by the caller.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Explicit values.
    pub explicit: Explicit,
    /// The environment variables.
    pub env: HashMap<String, String>,
    /// The text of `.env` in the working folder, if there is one.
    pub dotenv: Option<String>,
    /// The text of `connections.toml`, if there is one, and its path (for messages).
    pub connections_toml: Option<(PathBuf, String)>,
    /// The home folder, to expand `~` in key paths.
    pub home: Option<PathBuf>,
}

/// The resolved settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionConfig {
    /// Account identifier.
    pub account: Option<Setting<String>>,
    /// Login name.
    pub user: Option<Setting<String>>,
    /// Role (default SYSADMIN).
    pub role: Setting<String>,
    /// Warehouse (none: the user's default).
    pub warehouse: Option<Setting<String>>,
    /// Database (default PARKING_IOT).
    pub database: Setting<String>,
    /// Schema (default RAW_DATA).
    pub schema: Setting<String>,
    /// Private key file.
    pub private_key_path: Option<Setting<PathBuf>>,
    /// Passphrase of an encrypted key.
    pub passphrase: Option<Setting<Secret>>,
    /// Whether the live feed uses Snowpipe Streaming.
    pub streaming: Setting<bool>,
    /// Base URL overriding the account host (explicit, or built from host/port/protocol).
    pub base_url: Option<Setting<String>>,
    /// The `connections.toml` connection consulted, if any.
    pub connection_name: Option<String>,
}

/// Environment variable names per setting, in order of preference.
const ENV_ACCOUNT: &[&str] = &["SNOWFLAKE_ACCOUNT"];
const ENV_USER: &[&str] = &["SNOWFLAKE_USER"];
const ENV_ROLE: &[&str] = &["SNOWFLAKE_ROLE"];
const ENV_WAREHOUSE: &[&str] = &["SNOWFLAKE_WAREHOUSE"];
const ENV_DATABASE: &[&str] = &["SNOWFLAKE_DATABASE"];
const ENV_SCHEMA: &[&str] = &["SNOWFLAKE_SCHEMA"];
const ENV_KEY: &[&str] = &["PRIVATE_KEY_PATH", "SNOWFLAKE_PRIVATE_KEY_PATH"];
const ENV_PASS: &[&str] = &["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"];
const ENV_STREAMING: &[&str] = &["ENABLE_SNOWPIPE_STREAMING"];
const ENV_HOST: &[&str] = &["SNOWFLAKE_HOST"];
const ENV_PORT: &[&str] = &["SNOWFLAKE_PORT"];
const ENV_PROTOCOL: &[&str] = &["SNOWFLAKE_PROTOCOL"];

/// Parses `.env` text: `KEY=VALUE` lines, optional `export `, `#` comments (whole lines, or
/// after an unquoted value), values in single or double quotes (double quotes understand
/// `\n`, `\"` and `\\`). Later lines win, as when a shell sources the file.
pub fn parse_dotenv(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        out.insert(key.to_string(), dotenv_value(value.trim()));
    }
    out
}

fn dotenv_value(v: &str) -> String {
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        // No closing quote: keep what was written rather than guess.
        return v.to_string();
    }
    if let Some(rest) = v.strip_prefix('\'') {
        if let Some(end) = rest.find('\'') {
            return rest[..end].to_string();
        }
        return v.to_string();
    }
    // An unquoted value ends at ` #` (a trailing comment); `#` inside a word stays.
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_string(),
        None => v.to_string(),
    }
}

/// Where Snowflake's tools keep `connections.toml`: `$SNOWFLAKE_HOME/connections.toml`, else
/// `~/.snowflake/connections.toml`.
pub fn connections_toml_path(
    env: &HashMap<String, String>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    match env.get("SNOWFLAKE_HOME").filter(|h| !h.trim().is_empty()) {
        Some(h) => Some(PathBuf::from(h).join("connections.toml")),
        None => home.map(|h| h.join(".snowflake").join("connections.toml")),
    }
}

/// One connection of `connections.toml`, values as text.
type Connection = HashMap<String, String>;

/// Picks the connection: `wanted`, else `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else the file's
/// `default_connection_name`, else `[default]`. Returns its name and values; `Ok(None)` when
/// nothing was asked for and there is no default (the file is then simply not used).
fn pick_connection(
    path: &Path,
    text: &str,
    wanted: Option<&str>,
    env: &HashMap<String, String>,
) -> Result<Option<(String, Connection)>, SnowflakeError> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        SnowflakeError::Settings(format!(
            "{} is not valid TOML ({}): fix the file or pass the settings another way",
            path.display(),
            e.message()
        ))
    })?;
    // Snowflake CLI's config.toml nests connections under [connections]; connections.toml puts
    // them at the top level. Accept both.
    let tables: &toml::Table = match doc.get("connections").and_then(|v| v.as_table()) {
        Some(t) => t,
        None => &doc,
    };
    let env_default = env
        .get("SNOWFLAKE_DEFAULT_CONNECTION_NAME")
        .filter(|s| !s.trim().is_empty())
        .map(String::as_str);
    let file_default = match doc.get("default_connection_name") {
        None => None,
        Some(toml::Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(SnowflakeError::Settings(format!(
                "{}: default_connection_name is not text but a TOML {}: write it as a string, e.g. default_connection_name = \"dev\"",
                path.display(),
                other.type_str()
            )))
        }
    };
    let (name, required) = match (wanted, env_default, file_default) {
        (Some(n), _, _) => (n.to_string(), true),
        (None, Some(n), _) => (n.to_string(), true),
        (None, None, Some(n)) => (n.to_string(), true),
        (None, None, None) => ("default".to_string(), false),
    };
    let Some(table) = tables.get(&name).and_then(|v| v.as_table()) else {
        if !required {
            return Ok(None);
        }
        let mut names: Vec<&str> = tables
            .iter()
            .filter(|(_, v)| v.is_table())
            .map(|(k, _)| k.as_str())
            .collect();
        names.sort();
        return Err(SnowflakeError::Settings(format!(
            "{} has no connection named '{name}': choose one of {} (--connection NAME)",
            path.display(),
            if names.is_empty() {
                "(none defined)".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let mut values = Connection::new();
    for (k, v) in table {
        let text = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            // Skipping it would report the setting as missing, far from the real mistake.
            other => {
                return Err(SnowflakeError::Settings(format!(
                    "{}: [{name}] {k} is not text but a TOML {}: write it as a string, e.g. {k} = \"...\"",
                    path.display(),
                    other.type_str()
                )))
            }
        };
        values.insert(k.to_ascii_lowercase(), text);
    }
    Ok(Some((name, values)))
}

/// The layered lookup of one setting.
struct Layers<'a> {
    env: &'a HashMap<String, String>,
    dotenv: &'a HashMap<String, String>,
    conn: Option<&'a (String, Connection)>,
}

impl Layers<'_> {
    /// The first non-empty value among env, .env and the connection (keys in that order).
    fn get(&self, env_names: &[&str], conn_keys: &[&str]) -> Option<Setting<String>> {
        for n in env_names {
            if let Some(v) = self.env.get(*n).filter(|v| !v.trim().is_empty()) {
                return Some(Setting {
                    value: v.trim().to_string(),
                    source: Source::Env((*n).to_string()),
                });
            }
        }
        for n in env_names {
            if let Some(v) = self.dotenv.get(*n).filter(|v| !v.trim().is_empty()) {
                return Some(Setting {
                    value: v.trim().to_string(),
                    source: Source::DotEnv((*n).to_string()),
                });
            }
        }
        let (name, values) = self.conn?;
        conn_keys.iter().find_map(|k| {
            values
                .get(*k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Setting {
                    value: v.trim().to_string(),
                    source: Source::Connections(name.clone()),
                })
        })
    }

    /// An explicit value if given, else the layered lookup.
    fn pick(
        &self,
        explicit: &Option<String>,
        env_names: &[&str],
        conn_keys: &[&str],
    ) -> Option<Setting<String>> {
        match explicit.as_ref().filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(Setting {
                value: v.trim().to_string(),
                source: Source::Explicit,
            }),
            None => self.get(env_names, conn_keys),
        }
    }
}

fn or_default(s: Option<Setting<String>>, default: &str) -> Setting<String> {
    s.unwrap_or_else(|| Setting {
        value: default.to_string(),
        source: Source::Default,
    })
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(path),
    }
}

/// Resolves the settings from the inputs (pure: no environment, file or clock access).
pub fn resolve(inputs: &Inputs) -> Result<ConnectionConfig, SnowflakeError> {
    let x = &inputs.explicit;
    let dotenv = inputs
        .dotenv
        .as_deref()
        .map(parse_dotenv)
        .unwrap_or_default();
    let conn = match &inputs.connections_toml {
        Some((path, text)) => pick_connection(path, text, x.connection.as_deref(), &inputs.env)?,
        None => match &x.connection {
            Some(name) => {
                return Err(SnowflakeError::Settings(format!(
                    "--connection {name}: no connections.toml found (looked in $SNOWFLAKE_HOME and ~/.snowflake); create it or pass the settings as flags"
                )))
            }
            None => None,
        },
    };
    let layers = Layers {
        env: &inputs.env,
        dotenv: &dotenv,
        conn: conn.as_ref(),
    };
    let home = inputs.home.as_deref();
    let private_key_path = match &x.private_key_path {
        Some(p) => Some(Setting {
            value: p.clone(),
            source: Source::Explicit,
        }),
        None => layers
            .get(ENV_KEY, &["private_key_file", "private_key_path"])
            .map(|s| Setting {
                value: expand_home(&s.value, home),
                source: s.source,
            }),
    };
    let passphrase = match &x.passphrase {
        Some(p) => Some(Setting {
            value: p.clone(),
            source: Source::Explicit,
        }),
        // Passphrases may legitimately have edge spaces: take them verbatim.
        None => passphrase_layer(&layers),
    };
    let streaming = match layers.get(ENV_STREAMING, &["enable_snowpipe_streaming"]) {
        Some(s) => Setting {
            value: parse_bool(&s.value).ok_or_else(|| {
                SnowflakeError::Settings(format!(
                    "ENABLE_SNOWPIPE_STREAMING is '{}' (from {}): use true or false",
                    s.value, s.source
                ))
            })?,
            source: s.source,
        },
        None => Setting {
            value: false,
            source: Source::Default,
        },
    };
    let base_url = match x.base_url.as_ref().filter(|u| !u.trim().is_empty()) {
        Some(u) => Some(Setting {
            value: u.trim().trim_end_matches('/').to_string(),
            source: Source::Explicit,
        }),
        None => host_url(&layers)?,
    };
    Ok(ConnectionConfig {
        account: layers.pick(&x.account, ENV_ACCOUNT, &["account"]),
        user: layers.pick(&x.user, ENV_USER, &["user"]),
        role: or_default(layers.pick(&x.role, ENV_ROLE, &["role"]), "SYSADMIN"),
        warehouse: layers.pick(&x.warehouse, ENV_WAREHOUSE, &["warehouse"]),
        database: or_default(
            layers.pick(&x.database, ENV_DATABASE, &["database"]),
            "PARKING_IOT",
        ),
        schema: or_default(layers.pick(&x.schema, ENV_SCHEMA, &["schema"]), "RAW_DATA"),
        private_key_path,
        passphrase,
        streaming,
        base_url,
        connection_name: conn.map(|(n, _)| n),
    })
}

fn passphrase_layer(layers: &Layers<'_>) -> Option<Setting<Secret>> {
    let found = |v: &String, source: Source| {
        Some(Setting {
            value: Secret::new(v.clone()),
            source,
        })
    };
    let n = ENV_PASS[0];
    if let Some(v) = layers.env.get(n).filter(|v| !v.is_empty()) {
        return found(v, Source::Env(n.into()));
    }
    if let Some(v) = layers.dotenv.get(n).filter(|v| !v.is_empty()) {
        return found(v, Source::DotEnv(n.into()));
    }
    let (name, values) = layers.conn?;
    values
        .get("private_key_file_pwd")
        .filter(|v| !v.is_empty())
        .and_then(|v| found(v, Source::Connections(name.clone())))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A base URL from host, port and protocol, when a host is set (each resolved on its own, so a
/// port from the environment may complete a host from `.env`).
fn host_url(layers: &Layers<'_>) -> Result<Option<Setting<String>>, SnowflakeError> {
    let Some(host) = layers.get(ENV_HOST, &["host"]) else {
        // A port or protocol without a host is almost always the stand-in's settings with the
        // host forgotten: going to the account's real host instead would surprise.
        if let Some(s) = layers
            .get(ENV_PORT, &["port"])
            .or_else(|| layers.get(ENV_PROTOCOL, &["protocol"]))
        {
            return Err(SnowflakeError::Settings(format!(
                "a port or protocol is set ('{}', from {}) but no host: set SNOWFLAKE_HOST too (127.0.0.1 for the local stand-in), or unset SNOWFLAKE_PORT and SNOWFLAKE_PROTOCOL to use the account's own host",
                s.value, s.source
            )));
        }
        return Ok(None);
    };
    let protocol = layers
        .get(ENV_PROTOCOL, &["protocol"])
        .map(|p| p.value.to_ascii_lowercase())
        .unwrap_or_else(|| "https".into());
    if protocol != "https" && protocol != "http" {
        return Err(SnowflakeError::Settings(format!(
            "the protocol '{protocol}' is not supported: use https (or http for a local stand-in)"
        )));
    }
    let port = match layers.get(ENV_PORT, &["port"]) {
        Some(p) => Some(
            p.value
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    SnowflakeError::Settings(format!(
                        "the port '{}' (from {}) is not a port number: use 1 to 65535",
                        p.value, p.source
                    ))
                })?,
        ),
        None => None,
    };
    let value = match port {
        Some(p) => format!("{protocol}://{}:{p}", host.value),
        None => format!("{protocol}://{}", host.value),
    };
    Ok(Some(Setting {
        value,
        source: host.source,
    }))
}

impl ConnectionConfig {
    /// The object names with this database and schema (tables and pipes keep their defaults).
    pub fn object_names(&self) -> ObjectNames {
        ObjectNames {
            database: self.database.value.clone(),
            schema: self.schema.value.clone(),
            ..ObjectNames::default()
        }
    }

    /// The base URL requests go to: the override, else the account's host.
    pub fn effective_base_url(&self) -> Option<String> {
        match (&self.base_url, &self.account) {
            (Some(u), _) => Some(u.value.clone()),
            (None, Some(a)) => Some(account::default_base_url(&a.value)),
            (None, None) => None,
        }
    }

    /// The client settings; fails with what is missing and how to give it.
    pub fn api_settings(&self, retry: RetryPolicy) -> Result<ApiSettings, SnowflakeError> {
        let account = self.account.as_ref().ok_or_else(|| {
            SnowflakeError::Settings(
                "no Snowflake account: fill in Account on the Snowflake tab, pass --account on the command line or set SNOWFLAKE_ACCOUNT (e.g. xy12345.us-east-2.aws or myorg-myaccount)".into(),
            )
        })?;
        let user = self.user.as_ref().ok_or_else(|| {
            SnowflakeError::Settings(
                "no Snowflake user: fill in User on the Snowflake tab, pass --user on the command line or set SNOWFLAKE_USER (the login name)".into(),
            )
        })?;
        account::check_account(&account.value)
            .map_err(|e| SnowflakeError::Settings(format!("{e} (from {})", account.source)))?;
        if let Some(u) = &self.base_url {
            account::check_base_url(&u.value)
                .map_err(|e| SnowflakeError::Settings(format!("{e} (from {})", u.source)))?;
        }
        let base_url = self
            .effective_base_url()
            .unwrap_or_else(|| account::default_base_url(&account.value));
        Ok(ApiSettings {
            base_url,
            account: account.value.clone(),
            user: user.value.clone(),
            role: Some(self.role.value.clone()),
            warehouse: self.warehouse.as_ref().map(|w| w.value.clone()),
            database: Some(self.database.value.clone()),
            schema: Some(self.schema.value.clone()),
            statement_timeout_secs: 600,
            retry,
        })
    }

    /// The key file, or what to do when none is set.
    pub fn key_path(&self) -> Result<&Path, SnowflakeError> {
        self.private_key_path
            .as_ref()
            .map(|p| p.value.as_path())
            .ok_or_else(|| {
                SnowflakeError::Settings(
                    "no private key file: choose it under Private key on the Snowflake tab, pass --private-key PATH (rsa_key.p8) on the command line or set PRIVATE_KEY_PATH".into(),
                )
            })
    }

    /// Each setting with its value and source, for display. The passphrase shows only as
    /// "(set)", never its text.
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        let mut text = |name: &'static str, s: Option<&Setting<String>>| match s {
            Some(s) => out.push((name, s.value.clone(), s.source.to_string())),
            None => out.push((name, "(not set)".into(), String::new())),
        };
        text("account", self.account.as_ref());
        text("user", self.user.as_ref());
        text("role", Some(&self.role));
        text("warehouse", self.warehouse.as_ref());
        text("database", Some(&self.database));
        text("schema", Some(&self.schema));
        text("base url", self.base_url.as_ref());
        match &self.private_key_path {
            Some(p) => out.push((
                "private key",
                p.value.display().to_string(),
                p.source.to_string(),
            )),
            None => out.push(("private key", "(not set)".into(), String::new())),
        }
        match &self.passphrase {
            Some(p) => out.push(("passphrase", "(set)".into(), p.source.to_string())),
            None => out.push(("passphrase", "(not set)".into(), String::new())),
        }
        out.push((
            "snowpipe streaming",
            self.streaming.value.to_string(),
            self.streaming.source.to_string(),
        ));
        out
    }
}

/// Gathers the inputs from this process: its environment, `.env` in the working folder and
/// `connections.toml`. Unreadable optional files are treated as absent, except a
/// `connections.toml` that exists but cannot be read, which is reported.
pub fn load(explicit: Explicit) -> Result<ConnectionConfig, SnowflakeError> {
    let mut inputs = gather()?;
    inputs.explicit = explicit;
    resolve(&inputs)
}

/// Reads the lower sources once (environment, `.env`, `connections.toml`), with no explicit
/// values: the window keeps them and resolves again, without reading files, as fields change.
pub fn gather() -> Result<Inputs, SnowflakeError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    // A .env that exists but cannot be read is named: silently skipping it would report its
    // settings as missing.
    let dotenv = match std::fs::read_to_string(".env") {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            let here = std::env::current_dir()
                .map(|d| d.join(".env").display().to_string())
                .unwrap_or_else(|_| ".env".into());
            return Err(SnowflakeError::Settings(format!(
                "cannot read {here}: {e}; fix it (plain UTF-8 text, NAME=value lines) or remove it"
            )));
        }
    };
    let connections_toml = match connections_toml_path(&env, home.as_deref()) {
        Some(path) if path.exists() => match std::fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(e) => {
                return Err(SnowflakeError::Settings(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        },
        _ => None,
    };
    Ok(Inputs {
        explicit: Explicit::default(),
        env,
        dotenv,
        connections_toml,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const TOML: &str = r#"
default_connection_name = "work"

[work]
account = "tomlacct"
user = "tomluser"
warehouse = "TOML_WH"
private_key_file = "~/keys/rsa_key.p8"
private_key_file_pwd = "toml secret"
host = "localhost"
port = 8085
protocol = "http"

[other]
account = "otheracct"
user = "otheruser"
role = "ANALYST"
"#;

    fn inputs() -> Inputs {
        Inputs {
            connections_toml: Some((PathBuf::from("/h/.snowflake/connections.toml"), TOML.into())),
            home: Some(PathBuf::from("/h")),
            ..Inputs::default()
        }
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = resolve(&Inputs::default()).expect("resolve");
        assert_eq!(c.role.value, "SYSADMIN");
        assert_eq!(c.role.source, Source::Default);
        assert_eq!(c.database.value, "PARKING_IOT");
        assert_eq!(c.schema.value, "RAW_DATA");
        assert!(c.account.is_none() && c.user.is_none() && c.base_url.is_none());
        assert!(!c.streaming.value);
        let err = c.api_settings(RetryPolicy::default()).unwrap_err();
        assert!(err.to_string().contains("SNOWFLAKE_ACCOUNT"), "{err}");
    }

    #[test]
    fn connections_toml_default_connection_is_used() {
        let c = resolve(&inputs()).expect("resolve");
        assert_eq!(c.connection_name.as_deref(), Some("work"));
        let account = c.account.as_ref().expect("account");
        assert_eq!(account.value, "tomlacct");
        assert_eq!(account.source, Source::Connections("work".into()));
        assert_eq!(c.warehouse.as_ref().expect("wh").value, "TOML_WH");
        assert_eq!(
            c.private_key_path.as_ref().expect("key").value,
            PathBuf::from("/h/keys/rsa_key.p8")
        );
        assert_eq!(
            c.passphrase.as_ref().expect("pass").value.expose(),
            "toml secret"
        );
        assert_eq!(
            c.base_url.as_ref().expect("url").value,
            "http://localhost:8085"
        );
        // Role was not in the connection: the default.
        assert_eq!(c.role.source, Source::Default);
    }

    #[test]
    fn named_connection_and_missing_connection() {
        let mut i = inputs();
        i.explicit.connection = Some("other".into());
        let c = resolve(&i).expect("resolve");
        assert_eq!(c.account.expect("a").value, "otheracct");
        assert_eq!(c.role.value, "ANALYST");
        assert!(c.base_url.is_none());
        i.explicit.connection = Some("nope".into());
        let err = resolve(&i).unwrap_err().to_string();
        assert!(err.contains("no connection named 'nope'"), "{err}");
        assert!(err.contains("other, work"), "{err}");
    }

    #[test]
    fn default_table_is_used_without_a_default_name() {
        let toml = "[default]\naccount = \"defacct\"\nuser = \"u\"\n[x]\naccount = \"x\"\n";
        let c = resolve(&Inputs {
            connections_toml: Some((PathBuf::from("c.toml"), toml.into())),
            ..Inputs::default()
        })
        .expect("resolve");
        assert_eq!(c.account.expect("a").value, "defacct");
        assert_eq!(c.connection_name.as_deref(), Some("default"));
        // Without [default] and without a default name the file is not used at all.
        let c = resolve(&Inputs {
            connections_toml: Some((PathBuf::from("c.toml"), "[x]\naccount = \"x\"\n".into())),
            ..Inputs::default()
        })
        .expect("resolve");
        assert!(c.account.is_none());
        // Broken TOML is reported with the file name.
        let err = resolve(&Inputs {
            connections_toml: Some((PathBuf::from("c.toml"), "[x\n".into())),
            ..Inputs::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.toml is not valid TOML"), "{err}");
    }

    #[test]
    fn dotenv_beats_connections_and_env_beats_dotenv_and_flags_beat_all() {
        let mut i = inputs();
        i.dotenv = Some(
            "# settings\nexport SNOWFLAKE_ACCOUNT=\"dotacct\"\nSNOWFLAKE_USER='dotuser'\nSNOWFLAKE_WAREHOUSE=DOT_WH # comment\nSNOWFLAKE_PORT=9000\n".into(),
        );
        i.env = env(&[
            ("SNOWFLAKE_ACCOUNT", "envacct"),
            ("SNOWFLAKE_ROLE", "ENVROLE"),
        ]);
        i.explicit.role = Some("FLAGROLE".into());
        let c = resolve(&i).expect("resolve");
        let account = c.account.clone().expect("a");
        assert_eq!(
            (account.value.as_str(), account.source),
            ("envacct", Source::Env("SNOWFLAKE_ACCOUNT".into()))
        );
        let user = c.user.clone().expect("u");
        assert_eq!(
            (user.value.as_str(), user.source),
            ("dotuser", Source::DotEnv("SNOWFLAKE_USER".into()))
        );
        assert_eq!(c.warehouse.clone().expect("w").value, "DOT_WH");
        assert_eq!(c.role.value, "FLAGROLE");
        assert_eq!(c.role.source, Source::Explicit);
        // Host and protocol from the connection, port from .env.
        assert_eq!(
            c.base_url.clone().expect("url").value,
            "http://localhost:9000"
        );
        // An explicit base URL overrides host/port/protocol; the settings use it.
        i.explicit.base_url = Some("http://127.0.0.1:4444/".into());
        let c = resolve(&i).expect("resolve");
        let s = c.api_settings(RetryPolicy::default()).expect("settings");
        assert_eq!(s.base_url, "http://127.0.0.1:4444");
        assert_eq!(s.account, "envacct");
        assert_eq!(s.user, "dotuser");
        assert_eq!(s.role.as_deref(), Some("FLAGROLE"));
    }

    #[test]
    fn key_path_variables_and_passphrase_sources() {
        let i = Inputs {
            env: env(&[
                ("SNOWFLAKE_PRIVATE_KEY_PATH", "/b.p8"),
                ("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", " spaced "),
            ]),
            ..Inputs::default()
        };
        let c = resolve(&i).expect("resolve");
        assert_eq!(c.key_path().expect("key"), Path::new("/b.p8"));
        assert_eq!(c.passphrase.clone().expect("p").value.expose(), " spaced ");
        // PRIVATE_KEY_PATH is preferred when both are set.
        let mut i2 = i.clone();
        i2.env.insert("PRIVATE_KEY_PATH".into(), "/a.p8".into());
        let c2 = resolve(&i2).expect("resolve");
        assert_eq!(c2.key_path().expect("key"), Path::new("/a.p8"));
        // The passphrase never shows in Debug or describe().
        let shown = format!("{c:?} {:?}", c.describe());
        assert!(!shown.contains("spaced"), "{shown}");
        assert!(c
            .describe()
            .iter()
            .any(|(n, v, _)| *n == "passphrase" && v == "(set)"));
    }

    #[test]
    fn host_from_environment_and_bad_values() {
        let c = resolve(&Inputs {
            env: env(&[
                ("SNOWFLAKE_ACCOUNT", "xy12345.us-east-2.aws"),
                ("SNOWFLAKE_HOST", "127.0.0.1"),
                ("SNOWFLAKE_PORT", "8080"),
                ("SNOWFLAKE_PROTOCOL", "HTTP"),
                ("ENABLE_SNOWPIPE_STREAMING", "true"),
            ]),
            ..Inputs::default()
        })
        .expect("resolve");
        assert_eq!(
            c.effective_base_url().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert!(c.streaming.value);
        let c = resolve(&Inputs {
            env: env(&[("SNOWFLAKE_ACCOUNT", "xy12345.us-east-2.aws")]),
            ..Inputs::default()
        })
        .expect("resolve");
        assert_eq!(
            c.effective_base_url().as_deref(),
            Some("https://xy12345.us-east-2.aws.snowflakecomputing.com")
        );
        for (k, v, phrase) in [
            ("SNOWFLAKE_PORT", "http", "not a port number"),
            ("SNOWFLAKE_PROTOCOL", "ftp", "not supported"),
            ("ENABLE_SNOWPIPE_STREAMING", "maybe", "use true or false"),
        ] {
            let mut e = env(&[("SNOWFLAKE_HOST", "h")]);
            e.insert(k.into(), v.into());
            let err = resolve(&Inputs {
                env: e,
                ..Inputs::default()
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains(phrase), "{k}: {err}");
        }
    }

    #[test]
    fn values_of_the_wrong_type_in_connections_toml_are_named() {
        let mut i = inputs();
        i.connections_toml = Some((
            PathBuf::from("c.toml"),
            "[default]\naccount = [\"a\", \"b\"]\nuser = \"u\"\n".into(),
        ));
        let e = resolve(&i).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("c.toml: [default] account is not text but a TOML array"),
            "{e}"
        );
        i.connections_toml = Some((
            PathBuf::from("c.toml"),
            "default_connection_name = 5\n[dev]\naccount = \"a\"\n".into(),
        ));
        let e = resolve(&i).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("default_connection_name is not text but a TOML integer"),
            "{e}"
        );
    }

    #[test]
    fn dotenv_parsing() {
        let m = parse_dotenv(
            "A=1\n  # c\nB = \"two words\" \nC='x # y'\nD=e#f\nE=\"l1\\nl2\\\"q\"\nnot a line\nA=3\nF=g # tail\n",
        );
        assert_eq!(m["A"], "3");
        assert_eq!(m["B"], "two words");
        assert_eq!(m["C"], "x # y");
        assert_eq!(m["D"], "e#f");
        assert_eq!(m["E"], "l1\nl2\"q");
        assert_eq!(m["F"], "g");
        assert_eq!(m.len(), 6);
    }

    #[test]
    fn snowflake_home_locates_connections_toml() {
        let e = env(&[("SNOWFLAKE_HOME", "/sf")]);
        assert_eq!(
            connections_toml_path(&e, Some(Path::new("/h"))),
            Some(PathBuf::from("/sf/connections.toml"))
        );
        assert_eq!(
            connections_toml_path(&HashMap::new(), Some(Path::new("/h"))),
            Some(PathBuf::from("/h/.snowflake/connections.toml"))
        );
    }
}
