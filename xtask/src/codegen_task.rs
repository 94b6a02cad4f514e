//! `cargo xtask codegen [--check]`: the API description → `scf-sdk/src/generated/`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use codegen::Options;
use codegen::output::{self, Mode, Report};

/// A spec and where its code goes.
pub struct Target {
    /// Spec path, relative to the workspace root.
    pub spec: &'static str,
    /// Output directory, relative to the workspace root.
    pub out_dir: &'static str,
    pub runtime_path: &'static str,
    pub generated_path: &'static str,
}

/// Everything `cargo xtask codegen` generates.
pub const TARGETS: &[Target] = &[Target {
    spec: "api-spec/scf/2018-04-16.json",
    out_dir: "scf-sdk/src/generated",
    runtime_path: "crate::runtime",
    generated_path: "crate::generated",
}];

/// Generates (or checks) every target; the error says what went wrong, ready to print.
pub fn generate_all(root: &Path, mode: Mode) -> Result<Vec<Report>, String> {
    TARGETS
        .iter()
        .map(|target| {
            let spec_path = root.join(target.spec);
            let json =
                std::fs::read_to_string(&spec_path).map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
            let options = Options {
                spec_path: target.spec.to_owned(),
                runtime_path: target.runtime_path.to_owned(),
                generated_path: target.generated_path.to_owned(),
            };
            let files = codegen::generate(&json, &options).map_err(|e| format!("{}: {e}", target.spec))?;
            output::sync(&root.join(target.out_dir), &files, mode).map_err(|e| format!("{}: {e}", target.out_dir))
        })
        .collect()
}

pub fn run(mode: Mode) -> ExitCode {
    let root = match crate::workspace::root() {
        Ok(root) => root,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let reports = match generate_all(&root, mode) {
        Ok(reports) => reports,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let elapsed = started.elapsed();
    let stale: Vec<String> = reports
        .iter()
        .flat_map(Report::paths)
        .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
        .collect();
    match mode {
        Mode::Check if !stale.is_empty() => {
            eprintln!("error: generated code is stale; run `cargo xtask codegen` and commit the result:");
            for path in &stale {
                eprintln!("  {path}");
            }
            ExitCode::FAILURE
        }
        Mode::Check => {
            eprintln!("generated code is up to date ({} ms)", elapsed.as_millis());
            ExitCode::SUCCESS
        }
        Mode::Write => {
            for path in &stale {
                eprintln!("updated {path}");
            }
            eprintln!("codegen: {} file(s) updated in {} ms", stale.len(), elapsed.as_millis());
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same check as `cargo xtask codegen --check`, so `cargo test` catches stale code too.
    #[test]
    fn generated_code_is_up_to_date() {
        let root = crate::workspace::root().unwrap();
        let reports = generate_all(&root, Mode::Check).unwrap();
        let stale: Vec<_> = reports.iter().flat_map(Report::paths).collect();
        assert!(stale.is_empty(), "generated code is stale; run `cargo xtask codegen`: {stale:#?}");
    }
}
