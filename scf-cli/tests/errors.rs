//! Exit codes and error reports: one code per kind of failure, the service's code, message and
//! RequestId on stderr — a JSON object with `--output json` (the default), a line otherwise.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{Local, REGION};
use scf_local::{EmulatorConfig, Fault};
use serde_json::json;

#[test]
fn service_errors_exit_1_with_code_message_and_request_id() {
    let local = Local::start();
    let run =
        local.scf().args(["get-function", "--function-name", "missing", "--language", "en-US"]).run().expect_code(1);
    assert_eq!(run.stdout, "");
    let error = run.error_json();
    assert_eq!(error["Error"]["Kind"], "service");
    assert_eq!(error["Error"]["Code"], "ResourceNotFound.Function");
    assert_eq!(error["Error"]["Message"], "The function `missing` does not exist in namespace `default`.");
    assert_eq!(error["Error"]["Description"], "The function does not exist.");
    assert!(error["Error"]["RequestId"].as_str().unwrap().len() > 8, "{error}");
    assert_eq!(error["Error"]["ExitCode"], json!(1));
    // As text: the same facts on one line, and what the code means.
    let run = local
        .scf()
        .args(["get-function", "--function-name", "missing", "--language", "en-US", "--output", "text"])
        .run()
        .expect_code(1);
    let first = run.stderr.lines().next().unwrap();
    assert!(first.starts_with("error: ResourceNotFound.Function: The function `missing` does not exist"), "{first}");
    assert!(first.contains(" (RequestId: "), "{first}");
    assert_eq!(run.stderr.lines().nth(1), Some("  ResourceNotFound.Function: The function does not exist."));
}

#[test]
fn injected_service_faults_exit_1_too() {
    let local = Local::start_with(
        EmulatorConfig::default().fault(Fault::new("LimitExceeded.Function").for_action("ListFunctions")),
    );
    let run = local.scf().args(["list-functions"]).run().expect_code(1);
    assert_eq!(run.error_json()["Error"]["Code"], "LimitExceeded.Function");
}

#[test]
fn usage_and_validation_errors_exit_2_and_send_nothing() {
    let local = Local::start();
    // Clap: a non-number for an integer, a missing required flag, an unknown flag.
    for args in [
        &["list-functions", "--limit", "ten"][..],
        &["invoke-function"],
        &["invoke-function", "--function-name", "fn", "--nope"],
        &["no-such-action"],
    ] {
        let run = local.scf().args(args).run().expect_code(2);
        assert!(run.stderr.starts_with("error:"), "{args:?}: {}", run.stderr);
    }
    // The catalogue's limits, named by flag.
    let long = "a".repeat(61);
    let run = local.scf().args(["invoke-function", "--function-name", &long]).run().expect_code(2);
    let error = run.error_json();
    assert_eq!(error["Error"]["Kind"], "usage");
    assert_eq!(error["Error"]["Message"], "--function-name is 61 bytes long; at most 60 bytes are allowed");
    assert_eq!(error["Error"]["Field"], "FunctionName");
    let run =
        local.scf().args(["--output", "text", "invoke-function", "--function-name", "fn", "--event", "{oops"]).run();
    assert!(run.expect_code(2).stderr.starts_with("error: --event must be JSON, and is not: key must be a string"));
    let run = local.scf().args(["--output", "text", "create-function", "--function-name", "fn", "--code", "[1]"]).run();
    assert_eq!(run.expect_code(2).stderr, "error: --code must be a JSON object (the members of `Code`)\n");
    let run =
        local.scf().args(["--output", "text", "list-functions", "--filters", r#"{"Name":"x"}"#]).run().expect_code(2);
    assert!(run.stderr.starts_with("error: --filters must be a JSON list"), "{}", run.stderr);
    let run = local
        .scf()
        .args(["--output", "text", "create-function", "--function-name", "fn", "--code", "{}"])
        .args(["--tags", r#"[{"Key": 1}]"#])
        .run();
    assert_eq!(run.expect_code(2).stderr, "error: --tags: `Tags[0].Key` must be a string\n");
    // Nothing reached the service.
    let functions = local.scf().args(["list-functions", "--query", "TotalCount"]).run().ok();
    assert_eq!(functions.stdout, "0\n");
}

#[test]
fn credentials_and_configuration_errors_exit_3() {
    let local = Local::start();
    // No keys anywhere: the error lists every place looked at.
    let run = local.bare().args(["list-functions", "--region", REGION, "--endpoint-url", &local.endpoint()]).run();
    let error = run.expect_code(3).error_json();
    assert_eq!(error["Error"]["Kind"], "credentials");
    let message = error["Error"]["Message"].as_str().unwrap();
    assert!(message.starts_with("no credentials found; tried environment"), "{message}");
    assert!(message.contains("tccli profile `default`") && message.contains("SDK profile"), "{message}");
    // A profile that does not exist.
    let run = local.scf().args(["list-functions", "--profile", "nobody"]).run().expect_code(3);
    assert!(
        run.error_json()["Error"]["Message"].as_str().unwrap().starts_with("--profile nobody: no such tccli profile")
    );
    // A bad endpoint URL.
    let run = local.scf().args(["list-functions", "--endpoint-url", "http://127.0.0.1:9/path"]).run().expect_code(3);
    assert_eq!(run.error_json()["Error"]["Kind"], "config");
}

#[test]
fn an_answer_that_is_not_the_api_s_exits_5() {
    let local = Local::start();
    let (url, server) = answer_with("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n", "<html>captive portal</html>");
    let run = local.scf().args(["list-functions", "--endpoint-url", &url]).run().expect_code(5);
    let error = run.error_json();
    assert_eq!(error["Error"]["Kind"], "response");
    let message = error["Error"]["Message"].as_str().unwrap();
    assert!(message.starts_with("unexpected response (HTTP 200): not JSON"), "{message}");
    assert!(message.contains("captive portal"), "an excerpt of the body: {message}");
    drop(server);
}

/// A one-answer-per-connection HTTP server on 127.0.0.1 that answers every request alike, for at
/// most 10 s.
fn answer_with(head: &str, body: &str) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let answer = format!("{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    let server = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut served = 0;
        while Instant::now() < deadline && served < 5 {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                    read_request(&mut stream);
                    let _ = stream.write_all(answer.as_bytes());
                    served += 1;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (url, server)
}

/// Reads a request's head and its body (by Content-Length).
fn read_request(stream: &mut std::net::TcpStream) {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut buffer) else { return };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}
