//! Catalogue actions end to end against `scf-local`: flags of every kind (string, integer, enum,
//! boolean, structure, list, JSON-carrying) reach the service as the API wants them,
//! `--cli-input-json` from a file and from stdin, `--generate-cli-skeleton`, and the conveniences
//! of `invoke-function`.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use base64::Engine as _;
use common::{Local, deploy_python};
use serde_json::json;

const ECHO: &str = r#"import json

def main_handler(event, context):
    print("got", json.dumps(event, sort_keys=True))
    return {"event": event, "function": context.function_name}
"#;

fn zip_b64(files: &[(&str, &str)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(scf_local::package::zip_files(files).unwrap())
}

#[test]
fn struct_list_integer_and_enum_flags_create_and_find_functions() {
    let local = Local::start();
    let code = json!({ "ZipFile": zip_b64(&[("index.py", ECHO)]) }).to_string();
    let environment = r#"{"Variables": [{"Key": "GREETING", "Value": "hi"}]}"#;
    for name in ["alpha", "beta"] {
        local
            .scf()
            .args(["create-function", "--function-name", name, "--code", &code, "--runtime", "Python3.9"])
            .args(["--handler", "index.main_handler", "--memory-size", "256", "--environment", environment])
            .run()
            .ok();
    }
    // Structure and integer members arrived.
    let function = local.scf().args(["get-function", "--function-name", "beta"]).run().ok().json();
    assert_eq!(function["MemorySize"], 256);
    assert_eq!(function["Environment"]["Variables"], json!([{"Key": "GREETING", "Value": "hi"}]));
    // Integers page, an enum orders, a list of structures filters.
    let page = |args: &[&str]| {
        local.scf().args(["list-functions"]).args(args).args(["--query", "Functions[].FunctionName"]).run().ok().json()
    };
    assert_eq!(page(&["--order", "ASC", "--orderby", "FunctionName"]), json!(["alpha", "beta"]));
    assert_eq!(page(&["--order", "DESC", "--orderby", "FunctionName", "--limit", "1"]), json!(["beta"]));
    assert_eq!(page(&["--order", "ASC", "--orderby", "FunctionName", "--offset", "1"]), json!(["beta"]));
    assert_eq!(page(&["--filters", r#"[{"Name": "Status", "Values": ["Active"]}]"#]).as_array().unwrap().len(), 2);
    assert_eq!(page(&["--filters", r#"[{"Name": "Status", "Values": ["Creating"]}]"#]), json!([]));
    // The enum's allowed values are checked by clap, before anything is sent.
    let run = local.scf().args(["list-functions", "--order", "UP"]).run().expect_code(2);
    assert!(run.stderr.contains("[possible values: ASC, DESC]"), "{}", run.stderr);
}

#[test]
fn boolean_flags_take_true_false_or_nothing() {
    let local = Local::start();
    deploy_python(&local, "flag", ECHO);
    for args in [&["--ignore-sys-log"][..], &["--ignore-sys-log", "false"], &["--ignore-sys-log", "TRUE"]] {
        let run = local
            .scf()
            .args(["--debug", "update-function-configuration", "--function-name", "flag"])
            .args(args)
            .run()
            .ok();
        let expected = if args.get(1) == Some(&"false") { "false" } else { "true" };
        assert!(run.stderr.contains(&format!(r#""IgnoreSysLog":{expected}"#)), "{args:?}: {}", run.stderr);
    }
    let run =
        local.scf().args(["update-function-configuration", "--function-name", "flag", "--ignore-sys-log", "yes"]).run();
    assert!(run.expect_code(2).stderr.contains("[possible values: true, false]"));
}

#[test]
fn float_and_unsigned_flags_are_typed() {
    let local = Local::start();
    // Sent as numbers (the emulator does not keep provisioned concurrency: its answer does not matter here).
    let run = local
        .scf()
        .args(["--debug", "put-provisioned-concurrency-config", "--function-name", "fn", "--qualifier", "1"])
        .args(["--version-provisioned-concurrency-num", "2", "--tracking-target", "0.5"])
        .run();
    assert!(run.stderr.contains(r#""TrackingTarget":0.5"#), "{}", run.stderr);
    assert!(run.stderr.contains(r#""VersionProvisionedConcurrencyNum":2"#), "{}", run.stderr);
    for (flag, value, why) in [
        ("--tracking-target", "half", "expected a number"),
        ("--version-provisioned-concurrency-num", "-2", "expected a non-negative integer"),
        ("--version-provisioned-concurrency-num", "2.5", "expected a non-negative integer"),
    ] {
        let run = local
            .scf()
            .args(["put-provisioned-concurrency-config", "--function-name", "fn", "--qualifier", "1", flag, value])
            .run()
            .expect_code(2);
        let expected = format!("error: invalid value '{value}' for '{flag} <");
        assert!(run.stderr.starts_with(&expected) && run.stderr.contains(why), "{flag} {value}: {}", run.stderr);
    }
}

#[test]
fn invoke_function_decodes_ret_msg_and_prints_the_tail_log_on_stderr() {
    let local = Local::start();
    deploy_python(&local, "echo", ECHO);
    let run = local
        .scf()
        .args(["invoke-function", "--function-name", "echo", "--event", r#"{"k": "v"}"#, "--log-type", "Tail"])
        .run()
        .ok();
    let answer = run.json();
    assert_eq!(answer["Result"]["RetMsg"], json!({"event": {"k": "v"}, "function": "echo"}), "decoded");
    assert!(answer["RequestId"].is_string());
    assert!(run.stderr.contains(r#"got {"k": "v"}"#), "the tail log: {}", run.stderr);
    assert!(run.stderr.starts_with("START RequestId:"), "{}", run.stderr);
    // Without Tail, no log.
    let quiet = local.scf().args(["invoke-function", "--function-name", "echo"]).run().ok();
    assert_eq!(quiet.stderr, "");
    // --query picks one field; text prints it bare.
    let run = local
        .scf()
        .args(["invoke-function", "--function-name", "echo", "--event", r#"{"v": "plain"}"#])
        .args(["--query", "Result.RetMsg.event.v", "--output", "text"])
        .run()
        .ok();
    assert_eq!(run.stdout, "plain\n");
    // Event from a file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("event.json"), r#"{"from": "file"}"#).unwrap();
    let file = format!("file://{}", dir.path().join("event.json").display());
    let run = local.scf().args(["invoke-function", "--function-name", "echo", "--event", &file]).run().ok();
    assert_eq!(run.json()["Result"]["RetMsg"]["event"], json!({"from": "file"}));
}

#[test]
fn the_request_comes_from_cli_input_json_and_flags_override_it() {
    let local = Local::start();
    deploy_python(&local, "echo", ECHO);
    deploy_python(&local, "other", ECHO);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("request.json");
    // JSON-carrying members may be given as JSON values; they are sent as strings.
    std::fs::write(&file, r#"{"FunctionName": "echo", "Event": {"n": 1}, "LogType": "None"}"#).unwrap();
    let path = file.to_str().unwrap();
    let run = local.scf().args(["invoke-function", "--cli-input-json", path]).run().ok();
    assert_eq!(run.json()["Result"]["RetMsg"], json!({"event": {"n": 1}, "function": "echo"}));
    let run = local.scf().args(["invoke-function", "--cli-input-json", path, "--function-name", "other"]).run().ok();
    assert_eq!(run.json()["Result"]["RetMsg"]["function"], "other");
    // From stdin, in the API's own form (Event as a string).
    let run = local
        .scf()
        .args(["invoke-function", "--cli-input-json", "-"])
        .stdin(r#"{"FunctionName": "other", "Event": "{\"s\": true}"}"#)
        .run()
        .ok();
    assert_eq!(run.json()["Result"]["RetMsg"]["event"], json!({"s": true}));
    // A member the action does not have, named with the file it came from.
    std::fs::write(&file, r#"{"FunctionName": "echo", "Nope": 1}"#).unwrap();
    let run = local.scf().args(["--output", "text", "invoke-function", "--cli-input-json", path]).run().expect_code(2);
    assert_eq!(run.stderr, format!("error: --cli-input-json {path}: `Nope` is not a member of `InvokeFunction`\n"));
}

#[test]
fn the_skeleton_is_an_empty_request_that_works_once_filled_in() {
    let local = Local::start();
    deploy_python(&local, "echo", ECHO);
    // No credentials, no region needed: nothing is sent.
    let run = local.bare().args(["invoke-function", "--generate-cli-skeleton"]).run().ok();
    assert_eq!(
        run.stdout,
        "{\n  \"FunctionName\": \"\",\n  \"Qualifier\": \"$DEFAULT\",\n  \"Event\": {},\n  \"LogType\": \"None\",\n  \"Namespace\": \"default\",\n  \"RoutingKey\": {}\n}\n"
    );
    let mut skeleton = run.json();
    skeleton["FunctionName"] = json!("echo");
    skeleton["Event"] = json!({"filled": "in"});
    skeleton.as_object_mut().unwrap().remove("RoutingKey");
    let run = local.scf().args(["invoke-function", "--cli-input-json", "-"]).stdin(skeleton.to_string()).run().ok();
    assert_eq!(run.json()["Result"]["RetMsg"]["event"], json!({"filled": "in"}));
    // Structures and lists are spelled out.
    let create = local.bare().args(["create-function", "--generate-cli-skeleton"]).run().ok().json();
    assert_eq!(create["Code"]["ZipFile"], "");
    assert_eq!(create["Tags"], json!([{"Key": "", "Value": ""}]));
    assert_eq!(create["MemorySize"], 128);
}

#[test]
fn every_action_is_a_command() {
    let local = Local::start();
    let help = local.bare().args(["--help"]).run().ok().stdout;
    for action in scf_sdk::catalog::ACTIONS {
        let command = kebab(action.name);
        assert!(help.contains(&format!("\n  {command}\n")), "{command} in --help");
        local.bare().args([command.as_str(), "--help"]).run().ok();
    }
    // An action reaches the service even when the emulator does not emulate it: the answer is the
    // service's error (exit 1), not the CLI's.
    let run = local.scf().args(["get-account"]).run().expect_code(1);
    assert_eq!(run.error_json()["Error"]["Code"], "UnsupportedOperation", "{run:?}");
}

/// The CLI's naming, spelled out independently: a capital starts a word.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
