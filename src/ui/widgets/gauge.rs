//! An occupancy gauge: a half ring filled to the occupancy, the percentage and the district.

use eframe::egui::{self, Align2, Color32, FontId, Pos2, Sense, Shape, Stroke, Ui, Vec2};

use super::occupancy_color;

/// Paints a gauge `width` wide for `fraction` (0-1) with a `label` under it.
pub fn gauge(ui: &mut Ui, label: &str, fraction: f32, detail: &str, width: f32) -> egui::Response {
    let size = Vec2::new(width, width * 0.62 + 30.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    if ui.is_rect_visible(rect) {
        let painter = ui.painter_at(rect);
        let fraction = fraction.clamp(0.0, 1.0);
        let radius = width * 0.42;
        let thickness = width * 0.1;
        let center = Pos2::new(rect.center().x, rect.top() + radius + thickness * 0.6);
        let arc = |from: f32, to: f32| -> Vec<Pos2> {
            let steps = 40;
            (0..=steps)
                .map(|i| {
                    let a =
                        std::f32::consts::PI * (1.0 + from + (to - from) * i as f32 / steps as f32);
                    center + Vec2::new(a.cos(), a.sin()) * radius
                })
                .collect()
        };
        let track = ui.visuals().widgets.inactive.bg_fill;
        painter.add(Shape::line(arc(0.0, 1.0), Stroke::new(thickness, track)));
        if fraction > 0.0 {
            painter.add(Shape::line(
                arc(0.0, fraction),
                Stroke::new(thickness, occupancy_color(fraction)),
            ));
        }
        let text = ui.visuals().strong_text_color();
        painter.text(
            center - Vec2::new(0.0, radius * 0.25),
            Align2::CENTER_CENTER,
            format!("{:.0}%", fraction * 100.0),
            FontId::proportional(width * 0.16),
            text,
        );
        painter.text(
            Pos2::new(rect.center().x, rect.bottom() - 22.0),
            Align2::CENTER_CENTER,
            label,
            FontId::proportional(13.0),
            text,
        );
        painter.text(
            Pos2::new(rect.center().x, rect.bottom() - 7.0),
            Align2::CENTER_CENTER,
            detail,
            FontId::proportional(11.0),
            ui.visuals().weak_text_color(),
        );
    }
    let spoken = format!("{label} occupancy {:.0}%", fraction.clamp(0.0, 1.0) * 100.0);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &spoken));
    response.on_hover_text(format!(
        "{label}: {:.1}% occupied ({detail})",
        fraction * 100.0
    ))
}

/// The text colour that reads on top of a fill.
pub fn text_on(fill: Color32) -> Color32 {
    let [r, g, b, _] = fill.to_array();
    if (r as u32 * 299 + g as u32 * 587 + b as u32 * 114) / 1000 > 140 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}
