//! The active sessions table: the cars parked now, sortable by any column, virtualised (only
//! visible rows are laid out). Sorting happens when the data or the sort key changes, not per frame.

use std::sync::Arc;

use chrono_tz::Tz;
use eframe::egui::{self, Ui};
use egui_extras::{Column, TableBuilder};

use crate::catalog::Catalog;
use crate::jobs::live::ActiveCar;
use crate::model::Millis;
use crate::ui::format;

/// A small painted triangle (the default fonts have no arrow glyphs): up when ascending.
fn sort_arrow(ui: &mut Ui, ascending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let c = rect.center();
    let (tip, base) = if ascending {
        (c.y - 4.0, c.y + 4.0)
    } else {
        (c.y + 4.0, c.y - 4.0)
    };
    let points = vec![
        egui::pos2(c.x, tip),
        egui::pos2(c.x - 4.5, base),
        egui::pos2(c.x + 4.5, base),
    ];
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        ui.visuals().strong_text_color(),
        egui::Stroke::NONE,
    ));
}

/// Sortable columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Facility name.
    Facility,
    /// Plate text.
    Plate,
    /// Plate state.
    State,
    /// Arrival time.
    TimeIn,
    /// Time parked (the reverse of arrival time).
    Parked,
    /// Probability of leaving within the next hour.
    Leave,
}

impl SortKey {
    /// Every key with its column title.
    pub const ALL: [(SortKey, &'static str); 6] = [
        (SortKey::Facility, "Facility"),
        (SortKey::Plate, "Plate"),
        (SortKey::State, "State"),
        (SortKey::TimeIn, "Time in"),
        (SortKey::Parked, "Parked"),
        (SortKey::Leave, "Leaves within 1 h"),
    ];
}

/// The table's data and sort state.
pub struct SessionsTable {
    cars: Arc<Vec<ActiveCar>>,
    order: Vec<u32>,
    plates: Vec<(String, String)>,
    /// The column sorted by.
    pub key: SortKey,
    /// Ascending order.
    pub ascending: bool,
    dirty: bool,
}

impl Default for SessionsTable {
    fn default() -> Self {
        SessionsTable {
            cars: Arc::new(Vec::new()),
            order: Vec::new(),
            plates: Vec::new(),
            key: SortKey::Leave,
            ascending: false,
            dirty: false,
        }
    }
}

impl SessionsTable {
    /// Replaces the data (sorted again on the next frame).
    pub fn set(&mut self, cars: Arc<Vec<ActiveCar>>) {
        self.cars = cars;
        self.dirty = true;
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.cars.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.cars.is_empty()
    }

    /// Sorts by `key` (the same key again flips the direction).
    pub fn sort_by(&mut self, key: SortKey) {
        if self.key == key {
            self.ascending = !self.ascending;
        } else {
            self.key = key;
            self.ascending = !matches!(key, SortKey::Leave | SortKey::Parked);
        }
        self.dirty = true;
    }

    /// The row order as car indices (sorted first if needed).
    pub fn order(&mut self, catalog: &Catalog) -> &[u32] {
        if self.dirty {
            self.resort(catalog);
        }
        &self.order
    }

    fn resort(&mut self, catalog: &Catalog) {
        self.dirty = false;
        let mut buf = String::new();
        self.plates = self
            .cars
            .iter()
            .map(|c| {
                let st = catalog.plates.render(c.plate, &mut buf).to_owned();
                (buf.clone(), st)
            })
            .collect();
        let cars = &self.cars;
        let plates = &self.plates;
        let mut order: Vec<u32> = (0..cars.len() as u32).collect();
        let fname = |i: u32| {
            catalog.facilities[cars[i as usize].facility as usize]
                .name
                .as_str()
        };
        match self.key {
            SortKey::Facility => order.sort_by(|a, b| {
                fname(*a)
                    .cmp(fname(*b))
                    .then(cars[*a as usize].in_time.cmp(&cars[*b as usize].in_time))
            }),
            SortKey::Plate => {
                order.sort_by(|a, b| plates[*a as usize].0.cmp(&plates[*b as usize].0))
            }
            SortKey::State => order.sort_by(|a, b| {
                plates[*a as usize]
                    .1
                    .cmp(&plates[*b as usize].1)
                    .then(plates[*a as usize].0.cmp(&plates[*b as usize].0))
            }),
            SortKey::TimeIn => order.sort_by_key(|i| cars[*i as usize].in_time),
            SortKey::Parked => order.sort_by_key(|i| std::cmp::Reverse(cars[*i as usize].in_time)),
            SortKey::Leave => order.sort_by(|a, b| {
                cars[*a as usize]
                    .leave_prob
                    .total_cmp(&cars[*b as usize].leave_prob)
            }),
        }
        if !self.ascending {
            order.reverse();
        }
        self.order = order;
    }

    /// Shows the table at `now` (simulated), `height` points tall.
    pub fn show(&mut self, ui: &mut Ui, catalog: &Catalog, tz: Tz, now: Millis, height: f32) {
        self.order(catalog);
        let mut clicked = None;
        let table = TableBuilder::new(ui)
            .id_salt("sessions")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::remainder().at_least(160.0).clip(true))
            .column(Column::exact(80.0))
            .column(Column::exact(50.0))
            .column(Column::exact(120.0))
            .column(Column::exact(70.0))
            .column(Column::exact(120.0))
            .min_scrolled_height(height.min(18.0 * self.order.len() as f32 + 4.0))
            .max_scroll_height(height);
        let (key, ascending) = (self.key, self.ascending);
        table
            .header(20.0, |mut header| {
                for (k, title) in SortKey::ALL {
                    header.col(|ui| {
                        if ui
                            .add(
                                egui::Button::new(egui::RichText::new(title).strong()).frame(false),
                            )
                            .on_hover_text(format!("Sort by {title}"))
                            .clicked()
                        {
                            clicked = Some(k);
                        }
                        if k == key {
                            sort_arrow(ui, ascending);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(18.0, self.order.len(), |mut row| {
                    let Some(c) = self
                        .order
                        .get(row.index())
                        .and_then(|i| self.cars.get(*i as usize))
                    else {
                        return;
                    };
                    let (plate, st) = self
                        .plates
                        .get(self.order[row.index()] as usize)
                        .cloned()
                        .unwrap_or_default();
                    row.col(|ui| {
                        ui.label(&catalog.facilities[c.facility as usize].name);
                    });
                    row.col(|ui| {
                        ui.monospace(plate);
                    });
                    row.col(|ui| {
                        ui.label(st);
                    });
                    row.col(|ui| {
                        ui.label(format::local(tz, c.in_time, "%m-%d %H:%M"));
                    });
                    row.col(|ui| {
                        ui.label(format::duration(now - c.in_time));
                    });
                    row.col(|ui| {
                        let p = c.leave_prob.clamp(0.0, 1.0);
                        ui.add(
                            egui::ProgressBar::new(p)
                                .desired_width(110.0)
                                .text(format!("{:.0}%", p * 100.0)),
                        );
                    });
                });
            });
        if let Some(k) = clicked {
            self.sort_by(k);
        }
    }
}
