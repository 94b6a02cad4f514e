//! `scf deploy DIR` for a Cargo package: builds its binary in release mode for Linux (cargo's own
//! output shown as it builds), and stages it as the executable `bootstrap` of a custom runtime, in a
//! directory of its own that `deploy` then packages like any other.
//!
//! Cargo is `$CARGO` if set (as cargo sets it for the programs it runs), else `cargo` on `PATH`.
//! The binary is found in cargo's JSON messages (`--message-format=json-render-diagnostics`), not
//! guessed from the target directory.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Arg, ArgMatches};
use scf_sdk::types::Runtime;
use serde_json::Value;

use crate::exit::CliError;

/// What SCF runs functions on.
pub const DEFAULT_TARGET: &str = "x86_64-unknown-linux-gnu";
/// The runtime of a function whose code is a `bootstrap`.
pub const RUNTIME: Runtime = Runtime::CustomRuntime;
/// The executable SCF starts in a custom runtime's package.
const BOOTSTRAP: &str = "bootstrap";

const TARGET: &str = "target";
const BIN: &str = "bin";

/// The flags `deploy` takes for Cargo packages.
pub fn args() -> [Arg; 2] {
    [
        Arg::new(TARGET)
            .long(TARGET)
            .value_name("TRIPLE")
            .default_value(DEFAULT_TARGET)
            .help("For a Cargo package: the target to build for (e.g. x86_64-unknown-linux-musl for a static binary)"),
        Arg::new(BIN).long(BIN).value_name("NAME").help("For a Cargo package with several binaries: the one to deploy"),
    ]
}

/// How to build.
#[derive(Debug, Clone)]
pub struct Build {
    pub target: String,
    pub bin: Option<String>,
}

impl Build {
    pub fn from_matches(matches: &ArgMatches) -> Build {
        let string = |id: &str| matches.try_get_one::<String>(id).ok().flatten().cloned();
        Build { target: string(TARGET).unwrap_or_else(|| DEFAULT_TARGET.to_owned()), bin: string(BIN) }
    }
}

/// DIR's `Cargo.toml`, if DIR holds a Cargo package (or workspace).
pub fn manifest(dir: &Path) -> Option<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    manifest.is_file().then_some(manifest)
}

/// Builds the binary and stages it as `bootstrap`, alone in a directory beside cargo's output
/// (`<target>/<triple>/release/scf-deploy/<binary>/`): the directory to package.
pub fn stage(manifest: &Path, build: &Build) -> Result<PathBuf, CliError> {
    let binary = compile(manifest, build)?;
    let name = binary.file_name().unwrap_or_default().to_owned();
    let dir = binary.parent().unwrap_or(Path::new(".")).join("scf-deploy").join(name);
    let fail =
        |e: std::io::Error| CliError::usage(format!("cannot stage {} in {}: {e}", binary.display(), dir.display()));
    // Nothing but the bootstrap: whatever an earlier deploy left goes.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(fail)?;
    }
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let bootstrap = dir.join(BOOTSTRAP);
    let bytes = std::fs::copy(&binary, &bootstrap).map_err(fail)?;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).map_err(fail)?;
    note(&format!("Built {} ({}), staged as {}.", binary.display(), size(bytes), bootstrap.display()));
    Ok(dir)
}

/// `cargo build --release` of `manifest` for the target; the binary's path.
fn compile(manifest: &Path, build: &Build) -> Result<PathBuf, CliError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--release", "--message-format=json-render-diagnostics", "--target", &build.target])
        .arg("--manifest-path")
        .arg(manifest);
    if let Some(bin) = &build.bin {
        command.args(["--bin", bin]);
    }
    note(&format!("Building {} for {} (cargo build --release)…", manifest.display(), build.target));
    // Cargo's progress and the compiler's messages go straight to stderr; its JSON comes here.
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|e| {
            CliError::usage(format!("cannot run `{}`: {e} (install Rust: https://rustup.rs)", cargo.to_string_lossy()))
        })?;
    let mut binaries: Vec<(String, PathBuf)> = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(binary) = binary_in(&line)
                && !binaries.iter().any(|(name, _)| *name == binary.0)
            {
                binaries.push(binary);
            }
        }
    }
    let status = child.wait().map_err(|e| CliError::internal(format!("waiting for cargo: {e}")))?;
    if !status.success() {
        return Err(CliError::usage(format!(
            "cargo build failed ({status}); its errors are above. Nothing was deployed."
        )));
    }
    choose(binaries, build.bin.as_deref(), manifest)
}

/// The binary a line of cargo's JSON messages announces: `(target name, executable)`.
fn binary_in(line: &str) -> Option<(String, PathBuf)> {
    let message: Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = message.get("target")?;
    if !target.get("kind")?.as_array()?.iter().any(|kind| kind.as_str() == Some("bin")) {
        return None;
    }
    let name = target.get("name")?.as_str()?.to_owned();
    let executable = PathBuf::from(message.get("executable")?.as_str()?);
    Some((name, executable))
}

fn choose(binaries: Vec<(String, PathBuf)>, bin: Option<&str>, manifest: &Path) -> Result<PathBuf, CliError> {
    if let Some(bin) = bin {
        return binaries.into_iter().find(|(name, _)| name == bin).map(|(_, path)| path).ok_or_else(|| {
            CliError::usage(format!("cargo built no binary named `{bin}` from {}", manifest.display()))
        });
    }
    match binaries.len() {
        1 => Ok(binaries.into_iter().map(|(_, path)| path).next().unwrap_or_default()),
        0 => Err(CliError::usage(format!(
            "{} builds no binary: a function needs one (src/main.rs, or a [[bin]] target)",
            manifest.display()
        ))),
        _ => {
            let names: Vec<&str> = binaries.iter().map(|(name, _)| name.as_str()).collect();
            Err(CliError::usage(format!(
                "{} builds several binaries ({}): choose one with --bin NAME",
                manifest.display(),
                names.join(", ")
            )))
        }
    }
}

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_from_cargo_messages() {
        let bin = r#"{"reason":"compiler-artifact","package_id":"path+file:///p#hello@0.1.0","target":{"kind":["bin"],"name":"hello"},"executable":"/p/target/x86_64-unknown-linux-gnu/release/hello","fresh":false}"#;
        assert_eq!(
            binary_in(bin),
            Some(("hello".to_owned(), PathBuf::from("/p/target/x86_64-unknown-linux-gnu/release/hello")))
        );
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"serde"},"executable":null}"#;
        let script = r#"{"reason":"compiler-artifact","target":{"kind":["custom-build"],"name":"build-script-build"},"executable":null}"#;
        for line in [lib, script, r#"{"reason":"build-finished","success":true}"#, "Compiling hello", ""] {
            assert_eq!(binary_in(line), None, "{line}");
        }
    }

    #[test]
    fn one_binary_or_a_choice() {
        let manifest = Path::new("/p/Cargo.toml");
        let one = vec![("hello".to_owned(), PathBuf::from("/p/hello"))];
        assert_eq!(choose(one.clone(), None, manifest).unwrap(), PathBuf::from("/p/hello"));
        let two = vec![one[0].clone(), ("admin".to_owned(), PathBuf::from("/p/admin"))];
        let error = choose(two.clone(), None, manifest).unwrap_err();
        assert_eq!(error.message, "/p/Cargo.toml builds several binaries (hello, admin): choose one with --bin NAME");
        assert_eq!(error.kind.exit_code(), 2);
        assert_eq!(choose(two, Some("admin"), manifest).unwrap(), PathBuf::from("/p/admin"));
        assert!(choose(Vec::new(), None, manifest).unwrap_err().message.contains("builds no binary"));
    }
}
