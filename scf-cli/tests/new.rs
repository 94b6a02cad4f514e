//! `scf new`: the project it writes (whose `src/main.rs` is the example `new-function`, built and
//! tested with this crate), where scf-runtime comes from, and its refusals. Building a generated
//! project runs a nested cargo that compiles its dependencies: that end-to-end test is ignored by
//! default (see its attribute for the command that runs it).
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Local, Scf};

const TEMPLATE: &str = include_str!("../templates/function/main.rs");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn scf(home: &Path) -> Scf {
    Scf::new(home).timeout(Duration::from_secs(30))
}

#[test]
fn a_project_with_a_handler_and_its_tests() {
    let root = tempfile::tempdir().unwrap();
    let runtime = workspace().join("scf-runtime");
    let run = scf(root.path())
        .current_dir(root.path())
        .args(["new", "hello", "--runtime-path", runtime.to_str().unwrap()])
        .run()
        .ok();
    assert!(run.stdout.is_empty());
    assert!(run.stderr.starts_with("Created `hello` in hello (Cargo.toml, src/main.rs).\n"), "{}", run.stderr);
    assert!(run.stderr.contains("deploy it with `scf deploy hello --function-name hello`"), "{}", run.stderr);
    let dir = root.path().join("hello");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let runtime = runtime.canonicalize().unwrap();
    assert!(
        manifest.starts_with("[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n"),
        "{manifest}"
    );
    // Absolute, or relative to the project when the two share a directory (a checkout under the
    // same temporary directory as the test's): either way, the runtime given.
    let written = manifest
        .lines()
        .find_map(|line| line.strip_prefix("scf-runtime = { path = \"")?.strip_suffix("\" }"))
        .unwrap_or_else(|| panic!("no scf-runtime path dependency: {manifest}"));
    assert_eq!(dir.join(written).canonicalize().unwrap(), runtime, "{manifest}");
    assert!(manifest.contains("serde = { version = \"1\", features = [\"derive\"] }\n"), "{manifest}");
    assert!(manifest.contains("tokio = { version = \"1\", features = [\"macros\", \"rt\"] }\n"), "{manifest}");
    assert!(manifest.contains("[profile.release]\nstrip = true\n"), "{manifest}");
    assert!(!manifest.contains("[workspace]"), "a scratch directory is in no workspace: {manifest}");
    assert_eq!(std::fs::read_to_string(dir.join("src/main.rs")).unwrap(), TEMPLATE);
    assert_eq!(std::fs::read_to_string(dir.join(".gitignore")).unwrap(), "/target\n");
    let mut entries: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    entries.sort();
    assert_eq!(entries, ["hello"], "no scratch directory left behind");

    // Again: the directory exists.
    let run = scf(root.path()).current_dir(root.path()).args(["new", "hello"]).run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`hello` already exists"), "{}", run.stderr);
}

#[test]
fn inside_a_checkout_the_runtime_is_a_relative_path_and_the_project_its_own_workspace() {
    let root = tempfile::tempdir().unwrap();
    let checkout = root.path().join("scf-rs");
    std::fs::create_dir_all(checkout.join("scf-runtime")).unwrap();
    std::fs::create_dir_all(checkout.join("functions")).unwrap();
    std::fs::write(checkout.join("Cargo.toml"), "[workspace]\nmembers = [\"scf-runtime\"]\n").unwrap();
    std::fs::write(checkout.join("scf-runtime/Cargo.toml"), "[package]\nname = \"scf-runtime\"\n").unwrap();
    scf(root.path()).current_dir(&checkout).args(["new", "functions/orders"]).run().ok();
    let manifest = std::fs::read_to_string(checkout.join("functions/orders/Cargo.toml")).unwrap();
    assert!(manifest.contains("scf-runtime = { path = \"../../scf-runtime\" }\n"), "{manifest}");
    assert!(manifest.ends_with("\n[workspace]\n"), "{manifest}");
}

#[test]
fn elsewhere_the_runtime_comes_from_crates_io() {
    let root = tempfile::tempdir().unwrap();
    let run = scf(root.path()).current_dir(root.path()).args(["new", "far-away"]).run().ok();
    let manifest = std::fs::read_to_string(root.path().join("far-away/Cargo.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION").rsplit_once('.').unwrap().0;
    assert!(manifest.contains(&format!("scf-runtime = \"{version}\"\n")), "{manifest}");
    assert!(run.stderr.contains("until scf-runtime is published there"), "{}", run.stderr);
}

#[test]
fn bad_names_and_paths_are_refused() {
    let root = tempfile::tempdir().unwrap();
    for (args, message) in [
        (vec!["new", "9lives"], "`9lives` cannot name a function"),
        (vec!["new", "x"], "`x` cannot name a function"),
        (vec!["new", "test"], "`test` is reserved"),
        (vec!["new", "missing/parent/fn-a"], "missing/parent"),
        (vec!["new", "fn-b", "--runtime-path", "."], "no Cargo.toml of the scf-runtime package there"),
    ] {
        let run = scf(root.path()).current_dir(root.path()).args(&args).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0, "nothing was created");
}

/// The README's path: `scf new`, `cargo test` in the project, `scf deploy` of it to scf-local, an
/// invocation. The builds download (or take from cargo's cache) and compile the project's
/// dependencies, a nested cargo of a minute or more.
#[test]
#[ignore = "runs nested cargo builds of a generated project; run with `cargo test -p scf-cli --test new -- --ignored`"]
fn a_new_project_tests_deploys_and_answers() {
    let local = Local::start();
    let root = tempfile::tempdir().unwrap();
    let runtime = workspace().join("scf-runtime");
    scf(root.path())
        .current_dir(root.path())
        .args(["new", "hello", "--runtime-path", runtime.to_str().unwrap()])
        .run()
        .ok();
    let project = root.path().join("hello");
    // Share the workspace's target directory: the dependencies are most likely compiled there already.
    let target = workspace().join("target").join("scf-new-test");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let test = std::process::Command::new(&cargo)
        .args(["test", "--quiet", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .unwrap();
    assert!(test.success(), "the generated project's tests pass");

    let run = local
        .scf()
        .with_toolchain()
        .env("CARGO_TARGET_DIR", &target)
        .timeout(Duration::from_secs(1200))
        .args(["deploy", project.to_str().unwrap(), "--function-name", "hello"])
        .run()
        .ok();
    assert_eq!(run.json()["Runtime"], "CustomRuntime");
    let answer = local
        .scf()
        .args([
            "invoke-function",
            "--function-name",
            "hello",
            "--event",
            r#"{"name":"SCF"}"#,
            "--query",
            "Result.RetMsg",
        ])
        .run()
        .ok();
    let answer = answer.json();
    assert_eq!(answer["message"], "Hello, SCF!");
    assert!(answer["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{answer}");
}
