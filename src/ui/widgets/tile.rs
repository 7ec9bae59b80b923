//! A facility tile: name, occupancy bar in its colour, available/total, rate, and a burst badge.

use eframe::egui::{
    self, Align2, Color32, CornerRadius, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Ui, Vec2,
};

use super::gauge::text_on;
use super::occupancy_color;
use crate::ui::format;

/// What a tile shows.
pub struct TileData<'a> {
    /// Facility name.
    pub name: &'a str,
    /// District name.
    pub district: &'a str,
    /// Cars inside.
    pub occupied: u32,
    /// Spots.
    pub spots: u32,
    /// Hourly rate in cents.
    pub rate_cents: i64,
    /// A burst is in force.
    pub burst: bool,
    /// Cars turned away so far.
    pub turned_away: u64,
}

/// The size of a tile.
pub const TILE_SIZE: Vec2 = Vec2::new(168.0, 74.0);

/// Paints one tile.
pub fn tile(ui: &mut Ui, t: &TileData<'_>) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(TILE_SIZE, Sense::hover());
    if ui.is_rect_visible(rect) {
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        let fraction = if t.spots > 0 {
            t.occupied as f32 / t.spots as f32
        } else {
            0.0
        };
        let color = occupancy_color(fraction);
        painter.rect_filled(rect, CornerRadius::same(6), visuals.extreme_bg_color);
        let border = if t.burst {
            Stroke::new(2.0, Color32::from_rgb(255, 90, 200))
        } else {
            Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color)
        };
        painter.rect_stroke(rect, CornerRadius::same(6), border, StrokeKind::Inside);
        let inner = rect.shrink(7.0);
        let strong = visuals.strong_text_color();
        let weak = visuals.weak_text_color();
        // Long names are cut to the tile's width (the tooltip has the full name).
        let mut job = egui::text::LayoutJob::simple_singleline(
            t.name.to_owned(),
            FontId::proportional(12.5),
            strong,
        );
        job.wrap = egui::text::TextWrapping::truncate_at_width(
            inner.width() - if t.burst { 46.0 } else { 0.0 },
        );
        painter.galley(inner.left_top(), painter.layout_job(job), strong);
        if t.burst {
            let badge = Rect::from_min_size(
                Pos2::new(inner.right() - 42.0, inner.top()),
                Vec2::new(42.0, 15.0),
            );
            let fill = Color32::from_rgb(255, 90, 200);
            painter.rect_filled(badge, CornerRadius::same(4), fill);
            painter.text(
                badge.center(),
                Align2::CENTER_CENTER,
                "BURST",
                FontId::proportional(10.0),
                text_on(fill),
            );
        }
        let bar = Rect::from_min_size(
            Pos2::new(inner.left(), inner.top() + 22.0),
            Vec2::new(inner.width(), 12.0),
        );
        painter.rect_filled(bar, CornerRadius::same(3), visuals.widgets.inactive.bg_fill);
        let filled = Rect::from_min_size(
            bar.min,
            Vec2::new(bar.width() * fraction.clamp(0.0, 1.0), bar.height()),
        );
        painter.rect_filled(filled, CornerRadius::same(3), color);
        painter.text(
            bar.center(),
            Align2::CENTER_CENTER,
            format!("{:.0}%", fraction * 100.0),
            FontId::proportional(10.0),
            if fraction > 0.5 {
                text_on(color)
            } else {
                strong
            },
        );
        let y = inner.bottom();
        painter.text(
            Pos2::new(inner.left(), y),
            Align2::LEFT_BOTTOM,
            format!("{} / {} free", t.spots.saturating_sub(t.occupied), t.spots),
            FontId::proportional(11.5),
            strong,
        );
        painter.text(
            Pos2::new(inner.right(), y),
            Align2::RIGHT_BOTTOM,
            format!("{}/h", format::dollars(t.rate_cents)),
            FontId::proportional(11.5),
            weak,
        );
    }
    // Screen readers (and the UI tests) read the tile through this label.
    let label = format!(
        "{}: {} of {} spots free{}",
        t.name,
        t.spots.saturating_sub(t.occupied),
        t.spots,
        if t.burst { ", burst" } else { "" }
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
    let data = (
        t.name.to_owned(),
        t.district.to_owned(),
        t.occupied,
        t.spots,
        t.turned_away,
        t.burst,
    );
    response.on_hover_ui(move |ui| {
        let (name, district, occupied, spots, turned_away, burst) = &data;
        ui.strong(name);
        ui.label(format!("{district} · {occupied} of {spots} spots taken"));
        ui.label(format!("{turned_away} cars turned away when full"));
        if *burst {
            ui.label("A burst of arrivals is in force");
        }
    })
}
