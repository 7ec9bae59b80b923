//! `parking-iot`: without arguments the desktop window; with a command, the command line.

// A double-clicked release build on Windows opens no console window beside the app; debug
// builds keep the console for their log output.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use clap::Parser;

fn main() {
    #[cfg(windows)]
    if std::env::args_os().len() > 1 {
        windows_console::attach_to_parent();
    }
    let cli = parking_iot::cli::Cli::parse();
    if cli.command.is_none() {
        // What a double-click does: the window (it reports a missing display or OpenGL in words).
        std::process::exit(parking_iot::ui::run_app());
    }
    std::process::exit(parking_iot::cli::run(cli));
}

/// A GUI-subsystem program starts without a console, so `parking-iot historical ...` typed in
/// a terminal would print nothing. Attaching to the terminal's console gives the command line
/// its output back; output redirected to a file or pipe already has valid handles and is left
/// alone.
#[cfg(windows)]
mod windows_console {
    use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::System::Console::{
        AttachConsole, GetStdHandle, ATTACH_PARENT_PROCESS, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
    };

    fn usable(handle: HANDLE) -> bool {
        !handle.is_null() && handle != INVALID_HANDLE_VALUE
    }

    /// Attaches to the parent process's console when neither output stream goes anywhere.
    pub fn attach_to_parent() {
        // SAFETY: GetStdHandle and AttachConsole take plain integers and only read process
        // state; a failure (no parent console, e.g. started from Explorer) is reported by the
        // return value, which is fine to ignore: the program then simply has no console.
        unsafe {
            if usable(GetStdHandle(STD_OUTPUT_HANDLE)) || usable(GetStdHandle(STD_ERROR_HANDLE)) {
                return;
            }
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
