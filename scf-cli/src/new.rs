//! `scf new PATH`: a Rust function project — `Cargo.toml` depending on scf-runtime, `src/main.rs`
//! with a handler and its tests (the template is `templates/function/main.rs`, built and tested as
//! this crate's example `new-function`, so what `scf new` writes always compiles).
//!
//! Where scf-runtime comes from: `--runtime-path` (or `SCF_RUNTIME_PATH`) if given; else, when the
//! project is created inside a checkout of scf-rs, that checkout's `scf-runtime` (a relative path);
//! else the version on crates.io.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use clap::{Arg, ArgMatches, Command, ValueHint, value_parser};

use crate::exit::CliError;

/// The handler and `main` every new project starts from.
pub const MAIN_RS: &str = include_str!("../templates/function/main.rs");

const PATH: &str = "path";
const RUNTIME_PATH: &str = "runtime-path";

/// `scf new`.
pub fn command() -> Command {
    Command::new("new")
        .about("Create a Rust function project (scf-runtime): Cargo.toml, src/main.rs with a handler and its tests")
        .long_about(
            "Creates PATH with a Cargo.toml that depends on scf-runtime and a src/main.rs with a handler and its \
             tests. `cargo test` in it runs the tests; `scf deploy PATH --function-name NAME` builds it for Linux \
             x86_64, packages the binary as `bootstrap` and deploys it (runtime CustomRuntime).\n\n\
             scf-runtime comes from --runtime-path if given; else, inside a checkout of scf-rs, from that \
             checkout (a relative path); else from crates.io.",
        )
        .max_term_width(100)
        .arg(
            Arg::new(PATH)
                .value_name("PATH")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .value_hint(ValueHint::DirPath)
                .help("The directory to create; its name is the package's (and the binary's)"),
        )
        .arg(
            Arg::new(RUNTIME_PATH)
                .long(RUNTIME_PATH)
                .value_name("DIR")
                .env("SCF_RUNTIME_PATH")
                .value_parser(value_parser!(PathBuf))
                .value_hint(ValueHint::DirPath)
                .help("Depend on the scf-runtime crate in DIR (a checkout's scf-runtime directory)"),
        )
}

/// Runs `scf new`.
pub fn run(matches: &ArgMatches) -> Result<(), CliError> {
    let path =
        matches.try_get_one::<PathBuf>(PATH).ok().flatten().ok_or_else(|| CliError::usage("new needs a path"))?;
    let runtime_path = matches.try_get_one::<PathBuf>(RUNTIME_PATH).ok().flatten();
    let project = plan(path, runtime_path.map(PathBuf::as_path))?;
    project.write()?;
    let shown = path.display();
    note(&format!("Created `{}` in {shown} (Cargo.toml, src/main.rs).", project.name));
    if let Dependency::Crates = project.dependency {
        note(
            "It depends on scf-runtime from crates.io; until scf-runtime is published there, point it at a checkout \
             of scf-rs with --runtime-path PATH/TO/scf-rs/scf-runtime.",
        );
    }
    note(&format!(
        "Test it with `cargo test --manifest-path {shown}/Cargo.toml`; deploy it with `scf deploy {shown} \
         --function-name {}`.",
        project.name
    ));
    Ok(())
}

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Where scf-runtime comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dependency {
    /// A path, as written into Cargo.toml (relative to the project when it can be).
    Path(String),
    /// The version on crates.io.
    Crates,
}

/// A project to create.
#[derive(Debug)]
struct Project {
    dir: PathBuf,
    name: String,
    dependency: Dependency,
    /// The project sits inside another Cargo workspace: it declares its own, so cargo does not
    /// take it for a forgotten member of the one around it.
    own_workspace: bool,
}

fn plan(path: &Path, runtime_path: Option<&Path>) -> Result<Project, CliError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::usage(format!("`{}` does not end in a name", path.display())))?
        .to_owned();
    check_name(&name)?;
    if path.exists() {
        return Err(CliError::usage(format!("`{}` already exists; scf new creates a new directory", path.display())));
    }
    // Where the project will be, as an absolute path without `..`: its parent must exist.
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent.canonicalize().map_err(|e| CliError::usage(format!("{}: {e}", parent.display())))?;
    let dir = parent.join(&name);
    let dependency = match runtime_path {
        Some(runtime) => {
            let runtime = runtime
                .canonicalize()
                .map_err(|e| CliError::usage(format!("--runtime-path {}: {e}", runtime.display())))?;
            if !is_scf_runtime(&runtime) {
                return Err(CliError::usage(format!(
                    "--runtime-path {}: no Cargo.toml of the scf-runtime package there",
                    runtime.display()
                )));
            }
            Dependency::Path(relative_if_near(&dir, &runtime))
        }
        None => match parent.ancestors().map(|a| a.join("scf-runtime")).find(|c| is_scf_runtime(c)) {
            Some(runtime) => Dependency::Path(relative_if_near(&dir, &runtime)),
            None => Dependency::Crates,
        },
    };
    let own_workspace = parent.ancestors().any(|a| {
        std::fs::read_to_string(a.join("Cargo.toml")).is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
    });
    Ok(Project { dir, name, dependency, own_workspace })
}

/// A package name cargo takes that is also a valid SCF function name (so the default
/// `--function-name` can be the same): a letter first, then letters, digits, `-` and `_`, not
/// ending in `-` or `_`, 2 to 60 characters.
fn check_name(name: &str) -> Result<(), CliError> {
    const RESERVED: [&str; 13] = [
        "test",
        "std",
        "core",
        "alloc",
        "proc_macro",
        "build",
        "deps",
        "examples",
        "incremental",
        "self",
        "super",
        "crate",
        "fn",
    ];
    let valid = (2..=60).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.ends_with(['-', '_']);
    if !valid {
        return Err(CliError::usage(format!(
            "`{name}` cannot name a function: use 2 to 60 letters, digits, `-` and `_`, starting with a letter and \
             not ending with `-` or `_`"
        )));
    }
    if RESERVED.contains(&name) {
        return Err(CliError::usage(format!("`{name}` is reserved by Cargo or Rust; choose another name")));
    }
    Ok(())
}

fn is_scf_runtime(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.lines().any(|line| line.replace(' ', "") == "name=\"scf-runtime\""))
}

/// `to` relative to `from` when they share more than the root (`../scf-runtime`), else absolute.
fn relative_if_near(from: &Path, to: &Path) -> String {
    let common = from.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let shared_normal = from.components().take(common).filter(|c| matches!(c, Component::Normal(_))).count();
    let path = if shared_normal == 0 {
        to.to_path_buf()
    } else {
        let ups = from.components().count() - common;
        let mut relative: PathBuf = std::iter::repeat_n(Component::ParentDir.as_os_str(), ups).collect();
        relative.extend(to.components().skip(common));
        relative
    };
    path.to_string_lossy().replace('\\', "/")
}

impl Project {
    fn cargo_toml(&self) -> String {
        let dependency = match &self.dependency {
            Dependency::Path(path) => format!("{{ path = {} }}", toml_string(path)),
            Dependency::Crates => format!("\"{}\"", crates_version()),
        };
        let workspace = if self.own_workspace {
            "\n# A workspace of its own, not a member of the one around it.\n[workspace]\n"
        } else {
            ""
        };
        format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
scf-runtime = {dependency}
serde = {{ version = "1", features = ["derive"] }}
tokio = {{ version = "1", features = ["macros", "rt"] }}

# `scf deploy` builds the release profile: a small binary starts faster. Keep the default
# `panic = "unwind"`, with which scf-runtime reports a panicking handler as the invocation's error
# and serves the next event.
[profile.release]
strip = true
{workspace}"#,
            name = self.name,
        )
    }

    /// Writes the project: into a scratch directory beside it, renamed into place at the end, so a
    /// failure leaves nothing half-written.
    fn write(&self) -> Result<(), CliError> {
        let fail = |e: std::io::Error| CliError::usage(format!("cannot create `{}`: {e}", self.dir.display()));
        let parent = self.dir.parent().unwrap_or(Path::new("."));
        let scratch = parent.join(format!(".{}.scf-new-{}", self.name, std::process::id()));
        let result = (|| {
            std::fs::create_dir_all(scratch.join("src"))?;
            std::fs::write(scratch.join("Cargo.toml"), self.cargo_toml())?;
            std::fs::write(scratch.join("src").join("main.rs"), MAIN_RS)?;
            std::fs::write(scratch.join(".gitignore"), "/target\n")?;
            if self.dir.exists() {
                return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "it appeared meanwhile"));
            }
            std::fs::rename(&scratch, &self.dir)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&scratch);
        }
        result.map_err(fail)
    }
}

/// The scf-runtime version that goes with this CLI (`major.minor`).
fn crates_version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["hello", "hello-world", "my_fn2", "ab"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["a", "2fast", "hello-", "héllo", "with space", "x".repeat(61).as_str()] {
            let error = check_name(bad).unwrap_err();
            assert!(error.message.contains("cannot name a function"), "{bad}: {}", error.message);
        }
        assert!(check_name("test").unwrap_err().message.contains("reserved"));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_if_near(Path::new("/work/repo/hello"), Path::new("/work/repo/scf-runtime")),
            "../scf-runtime"
        );
        assert_eq!(
            relative_if_near(Path::new("/work/repo/a/b"), Path::new("/work/repo/scf-runtime")),
            "../../scf-runtime"
        );
        assert_eq!(relative_if_near(Path::new("/tmp/hello"), Path::new("/work/scf-runtime")), "/work/scf-runtime");
    }

    #[test]
    fn toml_strings() {
        assert_eq!(toml_string(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        assert_eq!(crates_version().matches('.').count(), 1, "major.minor");
    }
}
