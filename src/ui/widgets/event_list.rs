//! The event stream: newest first, one painted row per event, and only the visible rows are
//! laid out (`ScrollArea::show_rows`), so 50,000 rows scroll as smoothly as 50.
//!
//! Auto-scroll: at the top the list follows the newest events; once the user scrolls down it
//! keeps the rows they are reading in place (new rows arrive above) until they go back up.

use chrono_tz::Tz;
use eframe::egui::{self, Align2, Color32, FontId, Pos2, Sense, Ui, Vec2};

use crate::catalog::Catalog;
use crate::model::{Event, EventKind};
use crate::ui::format;

/// Height of one row.
pub const ROW_HEIGHT: f32 = 18.0;

/// Scroll state kept between frames.
#[derive(Clone, Debug, Default)]
pub struct EventListState {
    /// Rows shown last frame (to tell how many arrived above).
    pub last_rows: usize,
    /// The scroll offset last frame.
    pub offset: f32,
    /// New rows that arrived above while the user was scrolled down.
    pub unseen: usize,
    /// Jump back to the newest rows on the next frame.
    pub jump_to_top: bool,
}

impl EventListState {
    /// Whether the list is following the newest events.
    pub fn following(&self) -> bool {
        self.offset <= 1.0
    }
}

/// Column x offsets and widths: time, type, facility, plate, state, cost, free.
const COLUMNS: [(&str, f32); 7] = [
    ("Time", 64.0),
    ("Type", 62.0),
    ("Facility", 0.0),
    ("Plate", 76.0),
    ("St", 30.0),
    ("Cost", 62.0),
    ("Free", 40.0),
];

fn column_x(width: f32) -> [f32; 8] {
    let fixed: f32 = COLUMNS.iter().map(|c| c.1).sum();
    let flexible = (width - fixed).max(80.0);
    let mut xs = [0.0; 8];
    for (i, (_, w)) in COLUMNS.iter().enumerate() {
        xs[i + 1] = xs[i] + if *w == 0.0 { flexible } else { *w };
    }
    xs
}

/// Shows the list of `rows` events; `row_at(i)` is the i-th newest.
pub fn event_list<'e>(
    ui: &mut Ui,
    id: &str,
    rows: usize,
    row_at: impl Fn(usize) -> &'e Event,
    catalog: &Catalog,
    tz: Tz,
    state: &mut EventListState,
) {
    let spacing = ui.spacing().item_spacing.y;
    let row_step = ROW_HEIGHT + spacing;
    let arrived = rows.saturating_sub(state.last_rows);
    let mut scroll = egui::ScrollArea::vertical()
        .id_salt(id)
        .auto_shrink([false, false]);
    if state.jump_to_top {
        scroll = scroll.vertical_scroll_offset(0.0);
        state.jump_to_top = false;
        state.unseen = 0;
    } else if arrived > 0 && !state.following() {
        // Keep the rows being read in place: move the view down by what arrived above.
        scroll = scroll.vertical_scroll_offset(state.offset + arrived as f32 * row_step);
        state.unseen += arrived;
    }
    if state.following() {
        state.unseen = 0;
    }
    state.last_rows = rows;

    let header_rect = ui
        .allocate_exact_size(Vec2::new(ui.available_width(), ROW_HEIGHT), Sense::hover())
        .0;
    let xs = column_x(header_rect.width());
    let weak = ui.visuals().weak_text_color();
    let painter = ui.painter();
    for (i, (name, _)) in COLUMNS.iter().enumerate() {
        painter.text(
            Pos2::new(header_rect.left() + xs[i], header_rect.center().y),
            Align2::LEFT_CENTER,
            *name,
            FontId::proportional(12.0),
            weak,
        );
    }

    let mut plate = String::with_capacity(12);
    let output = scroll.show_rows(ui, ROW_HEIGHT, rows, |ui, range| {
        let strong = ui.visuals().strong_text_color();
        let text = ui.visuals().text_color();
        let font = FontId::monospace(12.0);
        for i in range {
            let (rect, response) =
                ui.allocate_exact_size(Vec2::new(ui.available_width(), ROW_HEIGHT), Sense::hover());
            if !ui.is_rect_visible(rect) {
                continue;
            }
            let e = row_at(i);
            response.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Row,
                    true,
                    format!(
                        "{} at {}",
                        e.kind.as_str(),
                        catalog.facilities[e.facility as usize].name
                    ),
                )
            });
            let painter = ui.painter();
            if i % 2 == 1 {
                painter.rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
            }
            let y = rect.center().y;
            let x = |c: usize| rect.left() + xs[c];
            let (kind, color) = match e.kind {
                EventKind::CarIn => ("CAR_IN", Color32::from_rgb(80, 190, 110)),
                EventKind::CarOut => ("CAR_OUT", Color32::from_rgb(110, 160, 255)),
            };
            let fac = &catalog.facilities[e.facility as usize];
            let st = catalog.plates.render(e.plate, &mut plate).to_owned();
            painter.text(
                Pos2::new(x(0), y),
                Align2::LEFT_CENTER,
                format::clock(tz, e.time),
                font.clone(),
                text,
            );
            painter.text(
                Pos2::new(x(1), y),
                Align2::LEFT_CENTER,
                kind,
                font.clone(),
                color,
            );
            let mut job = egui::text::LayoutJob::simple_singleline(
                fac.name.clone(),
                FontId::proportional(12.5),
                strong,
            );
            job.wrap = egui::text::TextWrapping::truncate_at_width(xs[3] - xs[2] - 6.0);
            painter.galley(Pos2::new(x(2), y - 8.0), painter.layout_job(job), strong);
            painter.text(
                Pos2::new(x(3), y),
                Align2::LEFT_CENTER,
                &plate,
                font.clone(),
                strong,
            );
            painter.text(
                Pos2::new(x(4), y),
                Align2::LEFT_CENTER,
                st,
                font.clone(),
                text,
            );
            if e.kind == EventKind::CarOut {
                painter.text(
                    Pos2::new(x(6) - 8.0, y),
                    Align2::RIGHT_CENTER,
                    format::dollars(e.cost_cents),
                    font.clone(),
                    text,
                );
            }
            painter.text(
                Pos2::new(x(7) - 4.0, y),
                Align2::RIGHT_CENTER,
                e.available_after.to_string(),
                font.clone(),
                text,
            );
        }
    });
    state.offset = output.state.clamped_offset().y;
}
