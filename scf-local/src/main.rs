//! The `scf-local` command: `scf-local serve` runs the emulator until Ctrl-C (or SIGTERM), then
//! stops every function process; `scf-local clean` removes a data directory.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "scf-local",
    version,
    about = "A local Tencent Cloud SCF: API 3.0 with signatures checked, functions run as local processes."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the SCF API (POST / and GET /) until interrupted.
    Serve(Box<scf_local::serve::ServeArgs>),
    /// Remove a data directory (its code packages are read-only, so `rm -rf` cannot).
    Clean(scf_local::serve::CleanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    scf_local::serve::init_tracing("info");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve(serve) => runtime.block_on(scf_local::serve::run(*serve)),
        Command::Clean(clean) => scf_local::serve::clean(clean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
