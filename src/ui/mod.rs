//! The desktop window (eframe/egui): tabs Live, Historical and Snowflake over the same local
//! store as the command line. The window only sends commands to jobs and renders what they
//! report; it never simulates, writes files or touches the network itself.

pub mod about;
pub mod app;
pub mod export_panel;
pub mod format;
pub mod historical_tab;
pub mod live_tab;
pub mod settings;
pub mod snowflake_tab;
pub mod widgets;

pub use app::ParkingApp;
pub use settings::{Settings, Tab};

/// The window title.
pub const TITLE: &str = "NYC Smart Parking IoT";

/// The app icon (256 px), compiled in so the window shows it without any installed file.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/parking-iot-256.png");

/// The window icon decoded from [`ICON_PNG`]; `None` (eframe's default icon) if it cannot be
/// decoded, which only a broken build could cause and which must not stop the window.
pub fn window_icon() -> Option<eframe::egui::IconData> {
    eframe::icon_data::from_png_bytes(ICON_PNG).ok()
}

/// Opens the window and runs it until it is closed; returns the process exit code.
///
/// The glow (OpenGL 2+/GLES) renderer is used because it also works on plain software OpenGL
/// (Mesa llvmpipe), where wgpu often finds no adapter. A machine with no usable OpenGL gets a
/// message saying so instead of a panic.
pub fn run_app() -> i32 {
    let mut viewport = eframe::egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id(about::APP_ID)
        .with_inner_size([1400.0, 900.0])
        .with_min_inner_size([900.0, 600.0]);
    if let Some(icon) = window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persistence_path: settings::prepare_settings_file(),
        ..Default::default()
    };
    let result = eframe::run_native(
        TITLE,
        options,
        Box::new(|cc| Ok(Box::new(ParkingApp::new(cc)))),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", window_error_message(&e.to_string()));
            1
        }
    }
}

/// Turns eframe's start-up error into words a user can act on.
pub fn window_error_message(error: &str) -> String {
    let lower = error.to_lowercase();
    if lower.contains("gl")
        || lower.contains("opengl")
        || lower.contains("egl")
        || lower.contains("context")
        || lower.contains("config")
    {
        format!(
            "could not open a window: no OpenGL 2+/GLES context ({error}).\n\
             Install an OpenGL driver (on Debian/Ubuntu: apt-get install libgl1-mesa-dri libegl1 libgl1), \
             or use the command line instead: parking-iot --help"
        )
    } else if lower.contains("display")
        || lower.contains("wayland")
        || lower.contains("x11")
        || lower.contains("xlib")
        || lower.contains("event loop")
    {
        format!(
            "could not open a window: no display found ({error}).\n\
             Run it from a desktop session (or under Xvfb), or use the command line instead: parking-iot --help"
        )
    } else {
        format!("could not open a window: {error}.\nThe command line works without a window: parking-iot --help")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_icon_decodes_to_a_256_pixel_square_with_transparency() {
        let icon = window_icon().unwrap_or_else(|| panic!("the embedded icon does not decode"));
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        // The corners are transparent (rounded square) and the middle is opaque.
        assert_eq!(icon.rgba[3], 0, "top-left corner alpha");
        let centre = (128 * 256 + 128) * 4;
        assert_eq!(icon.rgba[centre + 3], 255, "centre alpha");
    }
}
