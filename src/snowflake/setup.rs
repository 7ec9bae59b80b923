//! The setup SQL (`sql/snowflake_setup.sql`) rendered with the configured names, and the
//! quoting rules that keep any name (quotes, semicolons, unicode) from changing the SQL.

use super::errors::SnowflakeError;

/// The setup template.
pub const SETUP_TEMPLATE: &str = include_str!("../../sql/snowflake_setup.sql");

/// Longest identifier Snowflake accepts.
pub const MAX_IDENT_CHARS: usize = 255;

/// Whether Snowflake would read `name` unquoted as itself upper-cased.
fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The name Snowflake stores for `name`: a plain identifier (letters, digits, `_`, `$`) is
/// upper-cased, as Snowflake does for unquoted names; anything else is kept exactly, as a
/// quoted identifier is. This is the form the SQL API's `database`/`schema`/`role` fields want.
pub fn canonical_name(name: &str) -> String {
    let name = name.trim();
    if is_plain(name) {
        name.to_ascii_uppercase()
    } else {
        name.to_string()
    }
}

/// A double-quoted identifier for `name` (see [`canonical_name`]), inner quotes doubled. Always
/// quoting makes reserved words safe; upper-casing plain names keeps them the same object as
/// when written unquoted.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", canonical_name(name).replace('"', "\"\""))
}

/// A single-quoted string literal: quotes doubled and backslashes doubled (Snowflake reads
/// backslash escapes inside string literals).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// The names of the objects, as the user configured them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectNames {
    /// Database (default `PARKING_IOT`).
    pub database: String,
    /// Schema (default `RAW_DATA`).
    pub schema: String,
    /// Events table.
    pub events_table: String,
    /// Sessions table.
    pub sessions_table: String,
    /// Facilities table.
    pub facilities_table: String,
    /// Streaming pipe for events.
    pub events_pipe: String,
    /// Streaming pipe for sessions.
    pub sessions_pipe: String,
}

impl Default for ObjectNames {
    fn default() -> Self {
        ObjectNames {
            database: "PARKING_IOT".into(),
            schema: "RAW_DATA".into(),
            events_table: "PARKING_EVENTS".into(),
            sessions_table: "PARKING_SESSIONS".into(),
            facilities_table: "PARKING_FACILITIES".into(),
            events_pipe: "PARKING_EVENTS_PIPE".into(),
            sessions_pipe: "PARKING_SESSIONS_PIPE".into(),
        }
    }
}

impl ObjectNames {
    /// The view with each session's current state: `<SESSIONS_TABLE>_CURRENT`
    /// (`PARKING_SESSIONS_CURRENT` by default).
    pub fn sessions_current_view(&self) -> String {
        format!("{}_CURRENT", canonical_name(&self.sessions_table))
    }

    /// `"DB"."SCHEMA"."TABLE"` for one of the tables.
    pub fn qualified(&self, table: &str) -> String {
        format!(
            "{}.{}.{}",
            quote_ident(&self.database),
            quote_ident(&self.schema),
            quote_ident(table)
        )
    }

    /// Checks every name is usable.
    pub fn check(&self) -> Result<(), SnowflakeError> {
        for (what, name) in [
            ("database", &self.database),
            ("schema", &self.schema),
            ("events table", &self.events_table),
            ("sessions table", &self.sessions_table),
            ("facilities table", &self.facilities_table),
            ("events pipe", &self.events_pipe),
            ("sessions pipe", &self.sessions_pipe),
        ] {
            let n = name.trim();
            if n.is_empty() {
                return Err(SnowflakeError::Settings(format!(
                    "the {what} name is empty: enter a name (default {})",
                    default_for(what)
                )));
            }
            if n.chars().count() > MAX_IDENT_CHARS {
                return Err(SnowflakeError::Settings(format!(
                    "the {what} name is longer than {MAX_IDENT_CHARS} characters: choose a shorter name"
                )));
            }
        }
        Ok(())
    }
}

fn default_for(what: &str) -> String {
    let d = ObjectNames::default();
    match what {
        "database" => d.database,
        "schema" => d.schema,
        "events table" => d.events_table,
        "sessions table" => d.sessions_table,
        "facilities table" => d.facilities_table,
        "events pipe" => d.events_pipe,
        _ => d.sessions_pipe,
    }
}

/// Which tables to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Standard Snowflake tables (no external volume needed).
    Standard,
    /// Iceberg tables managed by Snowflake's catalog on an existing external volume.
    Iceberg {
        /// The external volume (must exist).
        external_volume: String,
        /// Folder under the volume; each table gets its own subfolder.
        base_location: String,
    },
}

/// The setup statements for `names` and `variant`, in order, each without its final `;`.
pub fn statements(names: &ObjectNames, variant: &Variant) -> Result<Vec<String>, SnowflakeError> {
    names.check()?;
    let mut values: Vec<(&str, String)> = vec![
        ("{{DATABASE}}", quote_ident(&names.database)),
        ("{{SCHEMA}}", quote_ident(&names.schema)),
        ("{{EVENTS_TABLE}}", quote_ident(&names.events_table)),
        ("{{SESSIONS_TABLE}}", quote_ident(&names.sessions_table)),
        ("{{FACILITIES_TABLE}}", quote_ident(&names.facilities_table)),
        ("{{EVENTS_PIPE}}", quote_ident(&names.events_pipe)),
        ("{{SESSIONS_PIPE}}", quote_ident(&names.sessions_pipe)),
        (
            "{{SESSIONS_CURRENT_VIEW}}",
            quote_ident(&names.sessions_current_view()),
        ),
    ];
    let wanted = match variant {
        Variant::Standard => "standard",
        Variant::Iceberg {
            external_volume,
            base_location,
        } => {
            if external_volume.trim().is_empty() {
                return Err(SnowflakeError::Settings("Iceberg tables need an external volume: give its name (--external-volume NAME); it must already exist (CREATE EXTERNAL VOLUME, usually by an administrator), or use the standard tables".into()));
            }
            let base = base_location.trim().trim_end_matches('/');
            let sub = |t: &str| {
                let folder = t.to_ascii_lowercase();
                if base.is_empty() {
                    folder
                } else {
                    format!("{base}/{folder}")
                }
            };
            // The volume is an identifier in Snowflake but the clause takes it as a string.
            values.push((
                "{{EXTERNAL_VOLUME}}",
                quote_literal(&canonical_name(external_volume)),
            ));
            values.push((
                "{{BASE_LOCATION_EVENTS}}",
                quote_literal(&sub("parking_events")),
            ));
            values.push((
                "{{BASE_LOCATION_SESSIONS}}",
                quote_literal(&sub("parking_sessions")),
            ));
            values.push((
                "{{BASE_LOCATION_FACILITIES}}",
                quote_literal(&sub("parking_facilities")),
            ));
            "iceberg"
        }
    };
    let mut section = "common";
    let mut out = Vec::new();
    let mut current = String::new();
    for line in SETUP_TEMPLATE.lines() {
        let trimmed = line.trim();
        if let Some(marker) = trimmed.strip_prefix("-- @") {
            section = match marker.trim() {
                "standard" => "standard",
                "iceberg" => "iceberg",
                _ => "common",
            };
            continue;
        }
        if section != "common" && section != wanted {
            continue;
        }
        if trimmed.starts_with("--") || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        // Statements are split on the template, before names are substituted, so a `;` in a
        // name can never end a statement.
        if trimmed.ends_with(';') {
            let line = line.trim_end();
            current.push_str(&line[..line.len() - 1]);
            out.push(substitute(&current, &values));
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    Ok(out)
}

fn substitute(text: &str, values: &[(&str, String)]) -> String {
    // One pass over the template: replaced text is never scanned again, so a name that looks
    // like a placeholder stays literal.
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match values.iter().find(|(k, _)| tail.starts_with(k)) {
            Some((k, v)) => {
                out.push_str(v);
                rest = &tail[k.len()..];
            }
            None => {
                out.push_str("{{");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The rendered setup as one script, for showing and copying.
pub fn script(names: &ObjectNames, variant: &Variant) -> Result<String, SnowflakeError> {
    let stmts = statements(names, variant)?;
    let kind = match variant {
        Variant::Standard => "standard tables",
        Variant::Iceberg { .. } => "Iceberg tables",
    };
    let mut text = format!("-- parking-iot setup ({kind}); idempotent: safe to run again.\n");
    for s in stmts {
        text.push('\n');
        text.push_str(&s);
        text.push_str(";\n");
    }
    Ok(text)
}
