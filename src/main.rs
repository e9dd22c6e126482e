//! The `snapinspect` command: parses flags, calls the library, prints, exits with one code.

mod cmd;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = cmd::run(std::env::args_os().collect());
    ExitCode::from(code as u8)
}
