//! `cargo xtask <task>`: project automation, in Rust so it runs wherever cargo does.

mod codegen_task;
mod spec_diff;
mod tccli;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen [--check]   regenerate scf-sdk/src/generated from api-spec/ (--check: only verify, exit 1 if stale)
  spec-diff           compare api-spec/scf with the official description in tccli (downloaded once
                      into target/tccli-cache); exit 1 on a difference the allow-list does not explain";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen_task::run(codegen::output::Mode::Write),
        ["codegen", "--check"] => codegen_task::run(codegen::output::Mode::Check),
        ["spec-diff"] => spec_diff::run(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
