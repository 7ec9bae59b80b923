//! The live charts (egui_plot): occupancy per district over simulated time, and events per
//! simulated minute. The x axis is simulated time, labelled in New York local time.

use std::collections::VecDeque;

use chrono_tz::Tz;
use eframe::egui::{self, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::district_color;
use crate::catalog::Catalog;
use crate::jobs::live::HistoryPoint;
use crate::ui::format;

/// Chart points shown: the newest ones only, so that new data keeps its width after a fast
/// phase instead of being squeezed into the last pixels of the whole session.
const CHART_WINDOW: usize = 240;

/// The newest [`CHART_WINDOW`] points, oldest first.
fn recent(history: &VecDeque<HistoryPoint>) -> impl Iterator<Item = &HistoryPoint> + Clone {
    history
        .iter()
        .skip(history.len().saturating_sub(CHART_WINDOW))
}

fn span_of(history: &VecDeque<HistoryPoint>) -> f64 {
    match (recent(history).next(), history.back()) {
        (Some(a), Some(b)) => x_of(b) - x_of(a),
        _ => 0.0,
    }
}

fn x_of(p: &HistoryPoint) -> f64 {
    p.clock_ms as f64 / 1000.0
}

/// Sets the x range around the newest point when there are too few points to span one, so an
/// empty chart is labelled with the simulated time instead of the start of 1970.
fn frame_x<'a>(plot: Plot<'a>, history: &VecDeque<HistoryPoint>, points: usize) -> Plot<'a> {
    match history.back() {
        Some(last) if points < 2 => plot.include_x(x_of(last) - 60.0).include_x(x_of(last)),
        _ => plot,
    }
}

fn time_axis(
    tz: Tz,
    span_s: f64,
) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    let format = if span_s > 2.0 * 86_400.0 {
        "%m-%d %Hh"
    } else {
        "%H:%M"
    };
    move |mark, _| format::local(tz, (mark.value * 1000.0) as i64, format)
}

/// Occupancy (%) of every district over time.
pub fn occupancy_chart(
    ui: &mut Ui,
    history: &VecDeque<HistoryPoint>,
    catalog: &Catalog,
    tz: Tz,
    height: f32,
) {
    let span = span_of(history);
    let plot = frame_x(
        Plot::new("occupancy_chart"),
        history,
        recent(history).count(),
    );
    plot.height(height)
        // Small and mostly transparent: the legend sits over the top of the plot, where lines
        // only run when garages are nearly full.
        .legend(
            Legend::default()
                .text_style(egui::TextStyle::Small)
                .background_alpha(0.5)
                .follow_insertion_order(true),
        )
        .include_y(0.0)
        .include_y(100.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label("occupied %")
        .x_axis_formatter(time_axis(tz, span))
        .show(ui, |plot| {
            for (d, district) in catalog.districts.iter().enumerate() {
                let points: PlotPoints = recent(history)
                    .map(|p| {
                        [
                            x_of(p),
                            p.district_occupancy.get(d).copied().unwrap_or(0.0) as f64 * 100.0,
                        ]
                    })
                    .collect();
                plot.line(
                    Line::new(district.name.clone(), points)
                        .color(district_color(d))
                        .width(1.8),
                );
            }
        });
}

/// Events per simulated minute over time.
pub fn events_chart(ui: &mut Ui, history: &VecDeque<HistoryPoint>, tz: Tz, height: f32) {
    let span = span_of(history);
    // The first point of a run has no interval before it.
    let skip = usize::from(history.len() <= CHART_WINDOW);
    let points: PlotPoints = recent(history)
        .skip(skip)
        .map(|p| [x_of(p), p.events_per_min as f64])
        .collect();
    let plot = frame_x(Plot::new("events_chart"), history, points.points().len());
    plot.height(height)
        .include_y(0.0)
        .include_y(10.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label("events / min")
        .x_axis_formatter(time_axis(tz, span))
        .show(ui, |plot| {
            plot.line(
                Line::new("events per minute", points)
                    .color(egui::Color32::from_rgb(255, 170, 80))
                    .width(1.8),
            );
        });
}
