//! `parking-iot`: without arguments the desktop window; with a command, the command line.

use clap::Parser;

fn main() {
    let cli = parking_iot::cli::Cli::parse();
    std::process::exit(parking_iot::cli::run(cli));
}
