//! `kefu`: the service standards as an executable rulebook, on the command line.

mod args;
mod backup_cmd;
mod commands;
mod diagnostic;
mod input;
mod inspect_cmd;
mod load;
mod report;
mod serve_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = commands::run(&cli);
    ExitCode::from(code)
}
