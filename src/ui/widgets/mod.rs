//! Painted widgets of the live tab: district gauges, facility tiles, the event list, the
//! sessions table, the charts and the Snowflake feed row. Each paints only what is visible.

pub mod charts;
pub mod event_list;
pub mod feed_bar;
pub mod gauge;
pub mod sessions;
pub mod tile;

use eframe::egui::Color32;

/// The colour of an occupancy fraction: green, amber from 70 %, red from 90 %.
pub fn occupancy_color(fraction: f32) -> Color32 {
    if fraction >= 0.9 {
        Color32::from_rgb(220, 70, 60)
    } else if fraction >= 0.7 {
        Color32::from_rgb(235, 165, 40)
    } else {
        Color32::from_rgb(70, 180, 100)
    }
}

/// A distinct colour for district `i` in the charts and gauges.
pub fn district_color(i: usize) -> Color32 {
    const COLORS: [Color32; 8] = [
        Color32::from_rgb(90, 160, 255),
        Color32::from_rgb(255, 140, 60),
        Color32::from_rgb(110, 200, 110),
        Color32::from_rgb(230, 90, 160),
        Color32::from_rgb(180, 140, 255),
        Color32::from_rgb(240, 210, 70),
        Color32::from_rgb(80, 210, 210),
        Color32::from_rgb(200, 200, 200),
    ];
    COLORS[i % COLORS.len()]
}
