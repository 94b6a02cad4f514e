//! `scf` follows the pages of paginated actions unless asked for one page, and `scf wait`
//! waits for the API description's waiters, against `scf-local`.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::time::Duration;

use common::Local;
use scf_local::{EmulatorConfig, package};
use scf_sdk::types::Code;
use serde_json::json;

fn code() -> Code {
    let zip = package::zip_files(&[("index.py", "def main_handler(event, context):\n    return 'ok'\n")]).unwrap();
    Code::builder().zip_file(package::to_base64(&zip)).build().unwrap()
}

/// Creates `count` functions through the SDK (quicker than one `scf` process each).
fn create_functions(local: &Local, count: usize) {
    let client = local.client();
    local.block_on(async {
        for i in 0..count {
            let request =
                client.create_function().function_name(format!("fn-{i:02}")).runtime("Python3.9").code(code());
            request.send().await.unwrap();
        }
    });
}

#[test]
fn paginated_actions_follow_every_page_unless_asked_for_one() {
    let local = Local::start();
    create_functions(&local, 25);
    let names = |args: &[&str]| {
        let run = local.scf().args(["list-functions", "--query", "Functions[].FunctionName"]).args(args).run().ok();
        run.json().as_array().unwrap().len()
    };
    assert_eq!(names(&[]), 25, "two pages of 20, as one answer");
    assert_eq!(names(&["--no-paginate"]), 20, "the first page alone");
    assert_eq!(names(&["--limit", "5"]), 5, "an explicit limit is one page");
    assert_eq!(names(&["--offset", "20"]), 5, "so is an explicit offset");
    let all = local.scf().args(["list-functions", "--output", "json"]).run().ok().json();
    assert_eq!(all["TotalCount"], json!(25));
    let listed: std::collections::BTreeSet<&str> =
        all["Functions"].as_array().unwrap().iter().map(|f| f["FunctionName"].as_str().unwrap()).collect();
    let created: std::collections::BTreeSet<String> = (0..25).map(|i| format!("fn-{i:02}")).collect();
    assert_eq!(listed, created.iter().map(String::as_str).collect(), "each function once");
    // Each page is a request of its own.
    let debug = local.scf().args(["--debug", "list-functions"]).run().ok();
    let sent = debug.stderr.lines().filter(|l| l.contains("sending") && l.contains("ListFunctions")).count();
    assert_eq!(sent, 2, "{}", debug.stderr);
    assert!(debug.stderr.contains(r#"request={"Limit":20,"Offset":20}"#), "{}", debug.stderr);
    let help = local.scf().args(["list-functions", "--help"]).run().ok();
    assert!(help.stdout.contains("--no-paginate"), "{}", help.stdout);
}

#[test]
fn scf_wait_waits_for_a_function_to_be_active_and_then_gone() {
    let local = Local::start_with(EmulatorConfig::default().activation_delay(Duration::from_millis(800)));
    let client = local.client();
    local.block_on(client.create_function().function_name("slow").runtime("Python3.9").code(code()).send()).unwrap();
    let run = local
        .scf()
        .args(["wait", "function-active", "--function-name", "slow", "--max-wait", "30"])
        .args(["--query", "Status", "--output", "text"])
        .run()
        .ok();
    assert_eq!(run.stdout, "Active\n");

    local.scf().args(["delete-function", "--function-name", "slow"]).run().ok();
    let run = local.scf().args(["wait", "function-deleted", "--function-name", "slow", "--max-wait", "30"]).run().ok();
    assert_eq!(run.stdout, "", "the state is an error code: nothing to print");

    // No such function: the poll's own error, with its exit code.
    let run = local.scf().args(["wait", "function-active", "--function-name", "nobody", "--max-wait", "30"]).run();
    let error = run.expect_code(1).error_json();
    assert!(error["Error"]["Code"].as_str().unwrap().starts_with("ResourceNotFound.Function"), "{error}");
    // The action's flags are checked as the action's are.
    let run = local.scf().args(["wait", "function-active", "--function-name", "f", "--show-code", "MAYBE"]).run();
    assert!(run.expect_code(2).stderr.contains("invalid value 'MAYBE' for '--show-code"));
}

#[test]
fn a_wait_that_runs_out_of_time_exits_6_with_the_last_status() {
    let local = Local::start_with(EmulatorConfig::default().activation_delay(Duration::from_secs(60)));
    let client = local.client();
    local.block_on(client.create_function().function_name("slow").runtime("Python3.9").code(code()).send()).unwrap();
    let run = local.scf().args(["wait", "function-active", "--function-name", "slow", "--max-wait", "1"]).run();
    let error = run.expect_code(6).error_json();
    assert_eq!(error["Error"]["Kind"], "wait");
    let message = error["Error"]["Message"].as_str().unwrap();
    assert!(message.starts_with("waiting for FunctionActive: gave up after "), "{message}");
    assert!(message.ends_with("the last status was `Creating`"), "{message}");
}

#[test]
fn scf_wait_waits_for_an_asynchronous_event() {
    let local = Local::start();
    common::deploy_python(
        &local,
        "worker",
        "import time\ndef main_handler(event, context):\n    time.sleep(0.2)\n    return 1\n",
    );
    let started = local
        .scf()
        .args([
            "invoke",
            "--function-name",
            "worker",
            "--invocation-type",
            "Event",
            "--query",
            "Result.FunctionRequestId",
        ])
        .args(["--output", "text"])
        .run()
        .ok();
    let id = started.stdout.trim();
    let run = local
        .scf()
        .args(["wait", "async-event-finished", "--invoke-request-id", id, "--max-wait", "30"])
        .args(["--query", "Result.Status", "--output", "text"])
        .run()
        .ok();
    assert_eq!(run.stdout, "FINISHED\n");
    let help = local.scf().args(["wait", "--help"]).run().ok();
    for waiter in ["function-active", "function-deleted", "async-event-finished"] {
        assert!(help.stdout.contains(waiter), "{}", help.stdout);
    }
}
