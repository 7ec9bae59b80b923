//! The Live tab's Snowflake feed row: the switch, a status light and the feed's figures (rows
//! sent and committed, backlog, latency, the last error in words).

use eframe::egui::{self, Color32, RichText, Ui};

use crate::jobs::live::{FeedState, FeedStatus};
use crate::ui::format;

/// The switch's state and what the runner last reported about the feed.
#[derive(Default)]
pub struct FeedBar {
    /// The switch as the user set it (the feed may still be starting or stopping).
    pub on: bool,
    /// The runner has the feed's settings (it streams, or retries).
    pub active: bool,
    /// The runner's latest figures (`None`: the feed is off).
    pub status: Option<FeedStatus>,
    /// Why the feed could not be turned on, shown until the switch is used again.
    pub refused: Option<String>,
    /// A line shown while the app reconnects a feed that was on when the window closed.
    pub resuming: Option<String>,
    /// The user flipped the switch this frame (taken by the app, which has the connection).
    request: Option<bool>,
}

impl FeedBar {
    /// What the user asked for since the last call, if anything.
    pub fn take_request(&mut self) -> Option<bool> {
        self.request.take()
    }

    /// The status light's colour and word.
    pub fn light(&self) -> (Color32, &'static str) {
        if self.on && self.status.is_none() {
            // Wanted but not started: connecting, or holding rows until a connection.
            return (Color32::from_rgb(235, 165, 40), "waiting for a connection");
        }
        let state = self.status.as_ref().map(|s| s.state).unwrap_or_default();
        match state {
            FeedState::Off => (Color32::GRAY, "off"),
            FeedState::Connecting => (Color32::from_rgb(90, 160, 255), "connecting"),
            FeedState::Streaming => (Color32::from_rgb(70, 180, 100), "streaming"),
            FeedState::Retrying => (Color32::from_rgb(235, 165, 40), "retrying"),
            FeedState::Error => (Color32::from_rgb(220, 70, 60), "error"),
        }
    }

    /// Shows the row.
    pub fn ui(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            let mut on = self.on;
            if ui
                .checkbox(&mut on, "Stream to Snowflake")
                .on_hover_text(
                    "Send live events and session changes to Snowflake over Snowpipe Streaming. \
                     Rows wait in the local store's outbox until Snowflake has committed them, \
                     so nothing is lost or doubled when the network or the app stops.",
                )
                .changed()
            {
                self.request = Some(on);
                self.on = on;
                self.refused = None;
            }
            let (colour, word) = self.light();
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().circle_filled(rect.center(), 5.5, colour);
            ui.label(RichText::new(word).color(colour).strong());
            if let Some(s) = &self.status {
                if s.state != FeedState::Off || s.rows_sent > 0 {
                    ui.separator();
                    ui.label(format!(
                        "sent {} · committed {} · backlog {}",
                        format::int(s.rows_sent),
                        format::int(s.rows_committed),
                        format::int(s.backlog_rows)
                    ));
                    if let Some(l) = s.latency {
                        ui.label(format!("· latency {:.1} s", l.as_secs_f64()));
                    }
                }
            }
            if let Some(line) = &self.resuming {
                ui.spinner();
                ui.label(RichText::new(line).weak());
            }
        });
        let error = self
            .refused
            .as_deref()
            .or_else(|| self.status.as_ref().and_then(|s| s.last_error.as_deref()));
        if let Some(e) = error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
    }
}
