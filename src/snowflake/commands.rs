//! The `parking-iot snowflake test|setup|sql` commands as library functions returning an exit
//! code and the text to print, so the command line (and the window) only wire them up.

use std::sync::Arc;

use super::setup::{self, ObjectNames, Variant};
use super::sql_api::{ApiSettings, SqlApi};
use super::KeyPair;

/// What a command printed and how it ended (0 success, 1 failure, 2 bad input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code.
    pub code: i32,
    /// Text for standard output (success) or standard error (failure).
    pub text: String,
}

fn fail(code: i32, text: String) -> CommandOutput {
    CommandOutput { code, text }
}

/// `snowflake sql`: the setup script rendered with the names.
pub fn sql(names: &ObjectNames, variant: &Variant) -> CommandOutput {
    match setup::script(names, variant) {
        Ok(text) => CommandOutput { code: 0, text },
        Err(e) => fail(2, format!("error: {e}")),
    }
}

/// `snowflake test`: runs the test query and prints version, user, role, warehouse, the key's
/// fingerprint and the ALTER USER line (also on failure, since registering the key is the
/// usual fix).
pub fn test(settings: ApiSettings, key: KeyPair) -> CommandOutput {
    let alter = key.alter_user_line(&settings.user);
    let fingerprint = key.fingerprint().to_string();
    let api = match SqlApi::new(settings, Arc::new(key)) {
        Ok(a) => a,
        Err(e) => return fail(2, format!("error: {e}")),
    };
    match api.test_connection() {
        Ok(info) => CommandOutput {
            code: 0,
            text: format!(
                "connected: Snowflake {}, user {}, role {}, warehouse {}\nkey fingerprint: {fingerprint}\n",
                info.version,
                info.user,
                info.role,
                if info.warehouse.is_empty() { "(none)" } else { &info.warehouse }
            ),
        },
        Err(e) => fail(
            1,
            format!("error: {e}\nkey fingerprint: {fingerprint}\nto register this key, run in Snowflake:\n{alter}\n"),
        ),
    }
}

/// `snowflake setup`: runs the rendered setup in one multi-statement request.
pub fn run_setup(
    settings: ApiSettings,
    key: KeyPair,
    names: &ObjectNames,
    variant: &Variant,
) -> CommandOutput {
    let statements = match setup::statements(names, variant) {
        Ok(s) => s,
        Err(e) => return fail(2, format!("error: {e}")),
    };
    let api = match SqlApi::new(settings, Arc::new(key)) {
        Ok(a) => a,
        Err(e) => return fail(2, format!("error: {e}")),
    };
    match api.query_multi(&statements) {
        Ok(_) => CommandOutput {
            code: 0,
            text: format!("{}\n", created_summary(names, statements.len())),
        },
        Err(e) => fail(1, format!("error: {e}")),
    }
}

/// What a setup created (if missing), for the command line and the window.
pub fn created_summary(names: &ObjectNames, statements: usize) -> String {
    format!(
        "created (if missing): database {}, schema {}, tables {}, {}, {}, pipes {}, {} ({statements} statements)",
        setup::quote_ident(&names.database),
        setup::quote_ident(&names.schema),
        setup::quote_ident(&names.events_table),
        setup::quote_ident(&names.sessions_table),
        setup::quote_ident(&names.facilities_table),
        setup::quote_ident(&names.events_pipe),
        setup::quote_ident(&names.sessions_pipe),
    )
}
