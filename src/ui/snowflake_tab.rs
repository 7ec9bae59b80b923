//! The Snowflake tab. Until the Snowflake connection lands it says that nothing is connected and
//! that the local store holds everything.

use eframe::egui::{RichText, Ui};

/// What the tab says while no account is connected.
pub const NOT_CONNECTED: &str = "not connected - everything works locally";

/// Shows the tab.
pub fn ui(ui: &mut Ui, store: &str) {
    ui.heading("Snowflake");
    ui.label(RichText::new(NOT_CONNECTED).strong());
    ui.add_space(6.0);
    ui.label(format!("Every event and session goes to the local store ({store}). It opens in any SQLite tool, and the sample queries in sql/ run on it."));
    ui.label("Connecting an account (key-pair authentication, batch loads and the live feed through Snowpipe Streaming) is not available in this version yet.");
}
