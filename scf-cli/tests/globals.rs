//! The global options, each against `scf-local`: before or after the command name, and what each
//! one changes.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use common::{Local, REGION, closed_port, deploy_python};
use scf_local::EmulatorConfig;
use serde_json::json;

const SLEEPY: &str =
    "import time\n\ndef main_handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 'awake'\n";

/// The emulator's keys, and nothing else: no endpoint, no region.
fn keyed(local: &Local) -> common::Scf {
    let credentials = local.emulator().credentials();
    local
        .bare()
        .env("TENCENTCLOUD_SECRET_ID", credentials.secret_id())
        .env("TENCENTCLOUD_SECRET_KEY", credentials.secret_key())
}

#[test]
fn region_comes_from_the_flag_before_or_after_the_command_or_the_environment() {
    let local = Local::start();
    let endpoint = local.endpoint();
    let region_of = |run: common::Run| {
        let run = run.ok();
        let line = run.stderr.lines().find(|l| l.contains("sending")).unwrap_or_default().to_owned();
        line.split("region=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
    };
    let flag_before =
        keyed(&local).args(["--region", "ap-beijing", "--debug", "list-functions", "--endpoint-url", &endpoint]);
    assert_eq!(region_of(flag_before.run()), "ap-beijing");
    let flag_after =
        keyed(&local).args(["list-functions", "--endpoint-url", &endpoint, "--debug", "--region", "ap-chengdu"]);
    assert_eq!(region_of(flag_after.run()), "ap-chengdu");
    let from_env = keyed(&local).env("TENCENTCLOUD_REGION", "ap-shanghai");
    assert_eq!(
        region_of(from_env.args(["list-functions", "--endpoint-url", &endpoint, "--debug"]).run()),
        "ap-shanghai"
    );
    let flag_wins = keyed(&local).env("TENCENTCLOUD_REGION", "ap-shanghai");
    let flag_wins = flag_wins.args(["list-functions", "--endpoint-url", &endpoint, "--debug", "--region", REGION]);
    assert_eq!(region_of(flag_wins.run()), REGION);
    // None at all: a configuration error that says how to give one.
    let run = keyed(&local).args(["list-functions", "--endpoint-url", &endpoint]).run().expect_code(3);
    assert!(
        run.error_json()["Error"]["Message"].as_str().unwrap().starts_with("no region: pass --region"),
        "{}",
        run.stderr
    );
}

#[test]
fn endpoint_url_from_the_flag_or_the_environment() {
    let local = Local::start();
    let from_env = keyed(&local).env("TENCENTCLOUD_ENDPOINT_URL_SCF", local.endpoint());
    from_env.args(["list-functions", "--region", REGION]).run().ok();
    // The flag wins over the environment.
    let flag_wins = keyed(&local).env("TENCENTCLOUD_ENDPOINT_URL", "http://127.0.0.1:1");
    flag_wins.args(["list-functions", "--region", REGION, "--endpoint-url", &local.endpoint()]).run().ok();
    let run =
        keyed(&local).args(["list-functions", "--region", REGION, "--endpoint-url", "ftp://x"]).run().expect_code(3);
    assert_eq!(run.error_json()["Error"]["Message"], "the endpoint URL `ftp://x` must start with http:// or https://");
}

#[test]
fn plain_http_to_another_host_needs_allow_insecure_http() {
    let home = tempfile::tempdir().unwrap();
    let scf = || {
        common::Scf::new(home.path())
            .env("TENCENTCLOUD_SECRET_ID", "AKIDexample")
            .env("TENCENTCLOUD_SECRET_KEY", "key")
            .args(["--region", REGION])
    };
    // 0.0.0.0 is not a loopback address (though connecting to it reaches this machine on Linux).
    let url = format!("http://0.0.0.0:{}", closed_port());
    let expected = format!(
        "the endpoint URL `{url}` uses plain http:// to another host than this machine: the SecretId, the session \
         token and each request's signature would travel in clear, readable and replayable on the way. Use \
         https://, or allow it explicitly (`ConfigBuilder::allow_insecure_http(true)`; for `scf`, \
         --allow-insecure-http)"
    );
    let run = scf().args(["list-functions", "--endpoint-url", &url]).run().expect_code(3);
    assert_eq!(run.error_json()["Error"]["Kind"], "config");
    assert_eq!(run.error_json()["Error"]["Message"], expected);
    let run = scf().env("TENCENTCLOUD_ENDPOINT_URL_SCF", &url).args(["list-functions"]).run().expect_code(3);
    assert_eq!(run.error_json()["Error"]["Message"], expected, "the same rule for the environment");
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("index.py", SLEEPY)]);
    let deploy = ["deploy", dir.path().to_str().unwrap(), "--function-name", "fn", "--endpoint-url", &url];
    assert_eq!(scf().args(deploy).run().expect_code(3).last_line_json()["Error"]["Message"], expected);
    // Allowed, the request goes out: nothing listens there, so no response (exit 4).
    let run = scf().args(["list-functions", "--endpoint-url", &url, "--allow-insecure-http"]).run().expect_code(4);
    assert_eq!(run.error_json()["Error"]["Kind"], "transport");
    scf().args(["--allow-insecure-http"]).args(deploy).run().expect_code(4);
}

#[test]
fn language_chooses_the_language_of_the_service_s_messages() {
    let local = Local::start();
    let message = |language: Option<&str>| {
        let mut scf = local.scf().args(["get-function", "--function-name", "missing"]);
        if let Some(language) = language {
            scf = scf.args(["--language", language]);
        }
        let run = scf.run().expect_code(1);
        run.error_json()["Error"]["Message"].as_str().unwrap().to_owned()
    };
    let english = message(Some("en-US"));
    assert!(english.contains("does not exist"), "{english}");
    let chinese = message(Some("zh-CN"));
    assert!(chinese.contains("不存在"), "{chinese}");
    assert_eq!(message(None), chinese, "the service's default");
    let run = local.scf().args(["list-functions", "--language", "fr-FR"]).run().expect_code(2);
    assert!(run.stderr.contains("[possible values: zh-CN, en-US]"), "{}", run.stderr);
}

#[test]
fn output_formats_and_query() {
    let local = Local::start();
    deploy_python(&local, "hello", SLEEPY);
    let json = local.scf().args(["list-functions"]).run().ok();
    assert_eq!(json.stdout.lines().count(), 1, "one line when stdout is not a terminal");
    assert_eq!(json.json()["Functions"][0]["FunctionName"], "hello");
    let text = local.scf().args(["list-functions", "--output", "text"]).run().ok().stdout;
    assert!(text.contains("Functions[0].FunctionName\thello\n"), "{text}");
    assert!(text.contains("TotalCount\t1\n"), "{text}");
    let table = local.scf().args(["--output", "table", "list-functions"]).run().ok().stdout;
    assert!(table.starts_with("+------------+"), "{table}");
    assert!(table.contains("| TotalCount | 1 "), "{table}");
    assert!(table.contains("Functions (1)\n+-"), "{table}");
    assert!(table.contains("| hello "), "{table}");
    let names = local.scf().args(["list-functions", "--query", "Functions[].FunctionName", "--output", "table"]).run();
    assert_eq!(names.ok().stdout, "+-------+\n| Value |\n+-------+\n| hello |\n+-------+\n");
    let count = local.scf().args(["list-functions", "--query", "TotalCount"]).run().ok();
    assert_eq!(count.stdout, "1\n");
    // A path the output does not have fails before sending.
    let run = local.scf().args(["list-functions", "--query", "Functions.Name"]).run().expect_code(2);
    assert_eq!(
        run.error_json()["Error"]["Message"],
        "--query `Functions` is a list: pick an item with `[N]` or every item with `[]`"
    );
}

#[test]
fn timeout_limits_each_attempt_and_a_member_of_the_same_name_wins_after_the_command() {
    let local = Local::start();
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("index.py", SLEEPY)]);
    // `deploy --timeout 10` is the function's Timeout (seconds it may run)…
    local
        .scf()
        .args([
            "deploy",
            dir.path().to_str().unwrap(),
            "--function-name",
            "sleepy",
            "--runtime",
            "Python3.9",
            "--timeout",
            "10",
        ])
        .run()
        .ok();
    let function = local.scf().args(["get-function", "--function-name", "sleepy", "--query", "Timeout"]).run();
    assert_eq!(function.ok().stdout, "10\n");
    // …while after `invoke-function`, which has no such member, it is the CLI's.
    let started = std::time::Instant::now();
    let run = local
        .scf()
        .args(["invoke-function", "--function-name", "sleepy", "--event", r#"{"sleep": 9}"#, "--timeout", "1"])
        .run()
        .expect_code(4);
    // Well before the function's 9 s, with room for a loaded machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(7), "{:?}", started.elapsed());
    let error = run.error_json();
    assert_eq!(error["Error"]["Kind"], "transport");
    assert!(error["Error"]["Message"].as_str().unwrap().contains("timed out"), "{error}");
    // Before the command name it is always the CLI's.
    let run = local
        .scf()
        .args(["--timeout", "1", "invoke-function", "--function-name", "sleepy", "--event", r#"{"sleep": 3}"#])
        .run();
    run.expect_code(4);
    local
        .scf()
        .args(["--timeout", "10", "invoke-function", "--function-name", "sleepy", "--event", r#"{"sleep": 1}"#])
        .run()
        .ok();
    let run = local.scf().args(["list-functions", "--timeout", "0"]).run().expect_code(2);
    assert!(run.stderr.contains("0 is not in 1..=86400"), "{}", run.stderr);
}

#[test]
fn debug_logs_the_call_without_secrets_or_sensitive_members() {
    let local = Local::start();
    deploy_python(&local, "hello", SLEEPY);
    let key = local.emulator().credentials().secret_key().to_owned();
    let run = local
        .scf()
        .args(["invoke-function", "--function-name", "hello", "--event", r#"{"password": "hunter2"}"#, "--debug"])
        .run()
        .ok();
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    assert!(run.stderr.contains(r#"action="InvokeFunction""#), "{}", run.stderr);
    assert!(run.stderr.contains("call succeeded"), "the SDK's events too: {}", run.stderr);
    assert!(run.stderr.contains(r#""Event":"** redacted (23 bytes) **""#), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(!run.stderr.contains(&key), "{}", run.stderr);
    assert!(!run.stderr.contains("Authorization") && !run.stderr.contains("Signature="), "{}", run.stderr);
    assert_eq!(run.json()["Result"]["RetMsg"], "awake");
    // Without --debug, nothing on stderr.
    let quiet = local.scf().args(["list-functions"]).run().ok();
    assert_eq!(quiet.stderr, "");
    // A deploy logs its package's files, never its content.
    let dir = tempfile::tempdir().unwrap();
    common::write_files(dir.path(), &[("index.py", "SECRET_MARKER = 1\ndef main_handler(e, c): return 1\n")]);
    let run = local
        .scf()
        .args(["--debug", "deploy", dir.path().to_str().unwrap(), "--function-name", "hello", "--runtime", "Python3.9"])
        .run()
        .ok();
    assert!(run.stderr.contains("index.py"), "{}", run.stderr);
    assert!(run.stderr.contains(r#""ZipFile":"** redacted ("#), "{}", run.stderr);
    assert!(!run.stderr.contains("UEsDB"), "no zip archive in base64: {}", run.stderr);
    assert!(!run.stderr.contains("SECRET_MARKER"), "{}", run.stderr);
}

#[test]
fn connection_failures_are_transport_errors() {
    let local = Local::start_with(EmulatorConfig::default());
    let url = format!("http://127.0.0.1:{}", closed_port());
    let run = local.scf().args(["list-functions", "--endpoint-url", &url]).run().expect_code(4);
    let error = run.error_json();
    assert_eq!(error["Error"]["Kind"], "transport");
    assert!(error["Error"]["Message"].as_str().unwrap().contains("could not connect"), "{error}");
    assert_eq!(error["Error"]["ExitCode"], json!(4));
}

/// Exit 70 is the CLI's own failure: here, an answer it cannot write (a full disk).
#[test]
fn an_answer_that_cannot_be_written_is_exit_70() {
    let local = Local::start();
    let run = local.scf_via_shell("exec \"$0\" \"$@\" >/dev/full").args(["list-functions"]).run().expect_code(70);
    assert!(run.stderr.contains("cannot write the output"), "{}", run.stderr);
}
