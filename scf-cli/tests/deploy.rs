//! `scf deploy` against `scf-local`: the issue's "done when" — deploy a directory, invoke it with
//! a tail log, list functions, with the commands that work against the real service — then
//! updates, ignore files, waiting for `Active`, and its failures.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::time::Duration;

use common::{Local, write_files};
use scf_local::EmulatorConfig;
use serde_json::json;

const APP: &str = r#"import json, os

GREETING = "hello"

def main_handler(event, context):
    print("invoked with", json.dumps(event))
    root = os.path.dirname(os.path.abspath(__file__))
    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    return {"greeting": GREETING, "files": files, "env": os.environ.get("STAGE")}
"#;

/// An emulator whose functions stay `Creating`/`Updating` a moment, as on the real service (deploy
/// must wait), and a directory holding the app with files to leave out.
fn app() -> (Local, tempfile::TempDir) {
    let local = Local::start_with(EmulatorConfig::default().activation_delay(Duration::from_millis(700)));
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("index.py", APP),
            ("lib/helper.py", ""),
            ("lib/tests/test_helper.py", ""),
            ("notes.md", ""),
            ("secret.env", "TOKEN=1"),
            (".gitignore", "*.env\n"),
            (".scfignore", "*.md\nlib/tests/\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
        ],
    );
    (local, dir)
}

fn deploy_new(local: &Local, path: &str) -> common::Run {
    local
        .scf()
        .args(["deploy", path, "--function-name", "hello", "--runtime", "Python3.9", "--handler", "index.main_handler"])
        .run()
        .ok()
}

#[test]
fn deploy_invoke_with_a_tail_log_and_list() {
    let (local, dir) = app();
    let path = dir.path().to_str().unwrap();
    let run = deploy_new(&local, path);
    let function = run.json();
    assert_eq!(function["Status"], "Active", "deploy waited for Active");
    assert_eq!(function["FunctionName"], "hello");
    assert_eq!(function["Runtime"], "Python3.9");
    assert!(run.stderr.starts_with("Packaged 4 files from "), "{}", run.stderr);
    assert!(run.stderr.contains("Creating function `hello`…"), "{}", run.stderr);
    assert!(run.stderr.contains("`hello` is Active"), "{}", run.stderr);

    let run = local
        .scf()
        .args(["invoke-function", "--function-name", "hello", "--event", r#"{"k":"v"}"#, "--log-type", "Tail"])
        .run()
        .ok();
    let answer = run.json();
    assert_eq!(
        answer["Result"]["RetMsg"],
        json!({"greeting": "hello", "files": [".gitignore", ".scfignore", "index.py", "lib/helper.py"], "env": null}),
        "ignored files were left out; RetMsg decoded"
    );
    assert!(run.stderr.contains(r#"invoked with {"k": "v"}"#), "tail log on stderr: {}", run.stderr);

    let names = local.scf().args(["list-functions", "--query", "Functions[].FunctionName"]).run().ok();
    assert_eq!(names.json(), json!(["hello"]));
}

#[test]
fn deploying_again_updates_the_code_and_the_settings_given() {
    let (local, dir) = app();
    let path = dir.path().to_str().unwrap();
    deploy_new(&local, path);
    write_files(dir.path(), &[("index.py", &APP.replace("\"hello\"", "\"bonjour\""))]);
    let run = local
        .scf()
        .args(["deploy", path, "--function-name", "hello", "--memory-size", "256", "--env", "STAGE=prod"])
        .args(["--query", "MemorySize", "--output", "text"])
        .run()
        .ok();
    assert_eq!(run.stdout, "256\n");
    assert!(run.stderr.contains("Updating the code of `hello`…"), "{}", run.stderr);
    assert!(run.stderr.contains("Updating the configuration of `hello`…"), "{}", run.stderr);
    let answer =
        local.scf().args(["invoke-function", "--function-name", "hello", "--query", "Result.RetMsg"]).run().ok();
    assert_eq!(answer.json()["greeting"], "bonjour");
    assert_eq!(answer.json()["env"], "prod");
    let count = local.scf().args(["list-functions", "--query", "TotalCount"]).run().ok();
    assert_eq!(count.stdout, "1\n");
}

#[test]
fn a_function_that_stays_inactive_ends_the_wait_with_exit_6() {
    let local = Local::start_with(EmulatorConfig::default().activation_delay(Duration::from_secs(30)));
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("index.py", APP)]);
    let run = local
        .scf()
        .args(["deploy", dir.path().to_str().unwrap(), "--function-name", "slow", "--runtime", "Python3.9"])
        .args(["--wait-timeout", "1"])
        .run()
        .expect_code(6);
    // Progress notes come first on stderr; the error is its last line.
    let error = run.last_line_json();
    assert_eq!(error["Error"]["Kind"], "wait");
    assert_eq!(error["Error"]["Message"], "`slow` is still Creating after 1 s (--wait-timeout)");
}

#[test]
fn deploy_checks_its_flags_and_the_directory_before_sending() {
    let local = Local::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let text = |args: &[&str], code: i32| {
        local
            .scf()
            .args(["--output", "text", "deploy", path, "--function-name", "fn"])
            .args(args)
            .run()
            .expect_code(code)
            .stderr
    };
    assert_eq!(
        text(&[], 2),
        format!("error: nothing to deploy: `{path}` has no files (after .gitignore and .scfignore)\n")
    );
    write_files(dir.path(), &[("index.py", APP)]);
    assert!(text(&["--memory-size", "lots"], 2).contains("invalid value 'lots' for '--memory-size <MEMORY_SIZE>'"));
    assert_eq!(
        text(&["--env", "NOEQUALS"], 2).lines().next().unwrap(),
        "error: invalid value 'NOEQUALS' for '--env <KEY=VALUE>': expected KEY=VALUE"
    );
    let long = "x".repeat(61);
    let run = local.scf().args(["--output", "text", "deploy", path, "--function-name", &long]).run().expect_code(2);
    assert_eq!(run.stderr, "error: --function-name is 61 bytes long; at most 60 bytes are allowed\n");
    let missing = dir.path().join("missing");
    let run = local.scf().args(["deploy", missing.to_str().unwrap(), "--function-name", "fn"]).run().expect_code(2);
    assert!(run.error_json()["Error"]["Message"].as_str().unwrap().ends_with("is not a directory"));
    // `Runtime` is an open enum: values beyond the known ones go to the service, which may refuse them.
    let run = local.scf().args(["deploy", path, "--function-name", "fn", "--runtime", "Cobol"]).run().expect_code(1);
    assert_eq!(run.last_line_json()["Error"]["Code"], "InvalidParameterValue.Runtime");
    assert_eq!(local.scf().args(["list-functions", "--query", "TotalCount"]).run().ok().stdout, "0\n");
}

#[test]
fn links_outside_are_followed_with_a_warning_and_loops_are_refused() {
    let local = Local::start();
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    write_files(&shared, &[("util.py", "X = 1\n")]);
    let dir = root.path().join("fn");
    write_files(&dir, &[("index.py", APP)]);
    std::os::unix::fs::symlink(&shared, dir.join("lib")).unwrap();
    let path = dir.to_str().unwrap();
    let deploy = || {
        local
            .scf()
            .args(["deploy", path, "--function-name", "linked", "--runtime", "Python3.9"])
            .args(["--handler", "index.main_handler"])
    };
    let run = deploy().run().ok();
    let warning = format!(
        "warning: `lib` is a symbolic link to `{}`, outside `{path}`; it is followed, and what it leads to is packaged\n",
        std::fs::canonicalize(&shared).unwrap().display()
    );
    assert!(run.stderr.starts_with(&warning), "{}", run.stderr);
    assert!(run.stderr.contains("Packaged 2 files from "), "{}", run.stderr);

    std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
    let run = deploy().run().expect_code(2);
    assert_eq!(
        run.error_json()["Error"]["Message"],
        format!(
            "cannot package `{path}`: `loop` is a symbolic link in a loop of symbolic links: it never leads to a file"
        )
    );
}

#[test]
fn an_empty_environment_value_is_refused_with_the_sdk_s_message() {
    let local = Local::start();
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("index.py", APP)]);
    let run = local
        .scf()
        .args(["deploy", dir.path().to_str().unwrap(), "--function-name", "fn", "--env", "STAGE=prod", "--env", "KEY="])
        .run()
        .expect_code(2);
    // The rule is the catalogue's (`Variable.Value` has a minimum length), applied by the SDK.
    let request = json!({
        "FunctionName": "fn",
        "Code": {"ZipFile": ""},
        "Environment": {"Variables": [{"Key": "STAGE", "Value": "prod"}, {"Key": "KEY", "Value": ""}]}
    });
    let create_function = scf_sdk::catalog::action("CreateFunction").unwrap();
    let sdk = scf_sdk::runtime::validate_input(create_function, &request).unwrap_err();
    assert_eq!(sdk.field, "Environment.Variables[1].Value");
    let error = run.error_json();
    assert_eq!(error["Error"]["Message"], format!("--env: {sdk}"));
    assert_eq!(error["Error"]["Field"], "Environment.Variables[1].Value");
    assert_eq!(
        local.scf().args(["list-functions", "--query", "TotalCount"]).run().ok().stdout,
        "0\n",
        "nothing was sent"
    );
}
