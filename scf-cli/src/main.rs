//! `scf`: Tencent Cloud SCF from the command line. Every action of the API is a command, built at
//! run time from the SDK's action catalogue; `deploy`, `wait`, `new`, `local serve` and `completions`
//! are the extras. This file only dispatches; see `cli` for the command tree.

mod action;
mod cargo_package;
mod cli;
mod debug;
mod deploy;
mod exit;
mod flags;
mod globals;
mod json;
#[cfg(feature = "local")]
mod local;
mod new;
mod output;
mod request;
mod wait;

use std::process::ExitCode;

use crate::exit::CliError;
use crate::globals::Globals;

fn main() -> ExitCode {
    let matches = match cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // Usage errors (exit code 2), and --help and --version (exit code 0).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let Some((name, command)) = matches.subcommand() else {
        return ExitCode::from(exit::Kind::Usage.exit_code());
    };
    // `wait` has a subcommand per waiter; the options are on those.
    let innermost = match (name, command.subcommand()) {
        ("wait", Some((_, waiter))) => waiter,
        _ => command,
    };
    let globals = Globals::read(&matches, Some(innermost));
    if globals.debug {
        debug::init();
    }
    let result = match name {
        "deploy" => deploy::run(&globals, command),
        "wait" => match command.subcommand() {
            Some((waiter, matches)) => wait::run(&globals, waiter, matches),
            None => Err(CliError::usage("wait needs a waiter, e.g. `scf wait function-active`")),
        },
        "new" => new::run(command),
        #[cfg(feature = "local")]
        "local" => return local::run(command),
        "completions" => completions(command),
        other => match cli::action_named(other) {
            Some(action) => action::run(action, &globals, command),
            None => Err(CliError::internal(format!("no command `{other}`"))),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error.report(globals.format);
            ExitCode::from(error.kind.exit_code())
        }
    }
}

/// `scf completions SHELL`.
fn completions(matches: &clap::ArgMatches) -> Result<(), CliError> {
    let shell = matches
        .try_get_one::<clap_complete::Shell>("shell")
        .ok()
        .flatten()
        .copied()
        .ok_or_else(|| CliError::usage("completions needs a shell"))?;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "scf", &mut script);
    action::write_stdout(String::from_utf8_lossy(&script).trim_end())
}
