//! `cargo xtask <task>`: project automation, in Rust so it runs wherever cargo does.

mod codegen_task;
mod error_lists;
mod spec_diff;
mod tccli;
mod workspace;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen [--check]   regenerate scf-sdk/src/generated from api-spec/ (--check: only verify, exit 1 if stale)
  spec-diff           compare api-spec/scf with the official description in tccli (downloaded once
                      into target/tccli-cache); exit 1 on a difference the allow-list does not explain
  error-lists --from CLIENT_GO [--write]
                      compare each action's error codes in api-spec/scf with the official Go SDK's
                      tencentcloud/scf/v20180416/client.go (exit 1 if they differ); --write updates them";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen_task::run(codegen::output::Mode::Write),
        ["codegen", "--check"] => codegen_task::run(codegen::output::Mode::Check),
        ["spec-diff"] => spec_diff::run(),
        ["error-lists", rest @ ..] => error_lists::run(rest),
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
