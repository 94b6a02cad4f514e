//! `scf local serve` and `scf local clean`: the `scf-local` emulator from the same binary, with the
//! same options as `scf-local serve` and `scf-local clean` (feature `local`, on by default).

use std::process::ExitCode;

use clap::{ArgMatches, Args as _, Command, FromArgMatches as _};
use scf_local::serve::{self, CleanArgs, ServeArgs};

/// `scf local`.
pub fn command() -> Command {
    Command::new("local")
        .about("Run SCF on this machine: `scf local serve` starts the scf-local emulator")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(ServeArgs::augment_args(Command::new("serve").about(
            "Serve the SCF API (POST / and GET /) until Ctrl-C; functions run as local processes. \
             Point scf at it with --endpoint-url and the keys it prints.",
        )))
        .subcommand(CleanArgs::augment_args(
            Command::new("clean")
                .about("Remove an emulator's data directory (its code packages are read-only, so `rm -rf` cannot)"),
        ))
}

/// Runs `scf local serve` until interrupted.
pub fn run(matches: &ArgMatches) -> ExitCode {
    let matches = match matches.subcommand() {
        Some(("serve", matches)) => matches,
        Some(("clean", matches)) => {
            return match CleanArgs::from_arg_matches(matches) {
                Ok(args) => serve::clean(args),
                Err(error) => {
                    let _ = error.print();
                    ExitCode::from(crate::exit::Kind::Usage.exit_code())
                }
            };
        }
        _ => return ExitCode::from(crate::exit::Kind::Usage.exit_code()),
    };
    let args = match ServeArgs::from_arg_matches(matches) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(crate::exit::Kind::Usage.exit_code());
        }
    };
    serve::init_tracing("info");
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(serve::run(args)),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::from(crate::exit::Kind::Internal.exit_code())
        }
    }
}
