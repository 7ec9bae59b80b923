//! The window's own cost per frame: the Live tab with 50 tiles, at least 10,000 events in the
//! stream and the simulator running at 3600×, drawn into a 1400×900 egui context without a GPU.
//! A frame is what eframe does on the UI thread before handing triangles to OpenGL: drain the
//! channels, lay out and paint the widgets (`run_ui`), and tessellate the shapes.
//!
//! Run: `cargo bench --bench ui_frame` (prints mean, median, p95 and max in milliseconds).

use std::time::{Duration, Instant};

use eframe::egui;
use parking_iot::jobs::live::LiveCommand;
use parking_iot::ui::ParkingApp;

fn main() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ui_frame: no temporary folder: {e}");
            std::process::exit(1);
        }
    };
    let mut app = ParkingApp::new_for_test(&dir.path().join("bench.db"));
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1400.0, 900.0),
        )),
        ..Default::default()
    };
    let frame = |app: &mut ParkingApp| -> (Duration, usize) {
        let began = Instant::now();
        let out = ctx.run_ui(input(), |ui| app.ui(ui));
        let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        let vertices = primitives
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                _ => 0,
            })
            .sum();
        (began.elapsed(), vertices)
    };

    // Warm up: the runner fills the garages, then runs at 3600× until the stream holds 10,000 events.
    let deadline = Instant::now() + Duration::from_secs(180);
    while !app.live.ready && Instant::now() < deadline {
        frame(&mut app);
        std::thread::sleep(Duration::from_millis(16));
    }
    app.live.speed_ui = 3600.0;
    app.live.send(LiveCommand::SetSpeed(3600.0));
    app.live.send(LiveCommand::Start);
    while app.live.events.len() < 10_000 && Instant::now() < deadline {
        frame(&mut app);
        std::thread::sleep(Duration::from_millis(16));
    }
    if app.live.events.len() < 10_000 {
        eprintln!(
            "ui_frame: the stream holds only {} events after 180 s",
            app.live.events.len()
        );
        std::process::exit(1);
    }

    // Measure 600 frames at about 60 per second while the simulator keeps running.
    let mut times = Vec::with_capacity(600);
    let mut vertices = 0;
    for _ in 0..600 {
        let (t, v) = frame(&mut app);
        times.push(t.as_secs_f64() * 1000.0);
        vertices = v;
        std::thread::sleep(Duration::from_millis(16));
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "ui_frame: Live tab, {} tiles, {} events in the stream, {} active sessions, simulator at {}×, {} chart points",
        app.live.facilities.len(),
        app.live.events.len(),
        app.live.sessions.len(),
        app.live.speed,
        app.live.history.len()
    );
    println!("ui_frame: per frame (run_ui + tessellate, CPU on the UI thread): mean {mean:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms; {vertices} vertices", at(0.5), at(0.95), at(1.0));
    app.live.send(LiveCommand::Stop);
}
