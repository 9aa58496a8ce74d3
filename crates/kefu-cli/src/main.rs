//! `kefu`: the service standards as an executable rulebook, on the command line.

mod args;
mod backup_cmd;
mod commands;
mod diagnostic;
mod help_zh;
mod input;
mod inspect_cmd;
mod load;
mod report;
mod serve_cmd;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = help_zh::parse_or_exit();
    let code = commands::run(&cli);
    ExitCode::from(code)
}
