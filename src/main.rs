//! `parking-iot`: without arguments the desktop window; with a command, the command line.

use clap::Parser;

fn main() {
    let cli = parking_iot::cli::Cli::parse();
    if cli.command.is_none() {
        // What a double-click does: the window (it reports a missing display or OpenGL in words).
        std::process::exit(parking_iot::ui::run_app());
    }
    std::process::exit(parking_iot::cli::run(cli));
}
