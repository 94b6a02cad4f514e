//! `scf-sdk/examples/invoke_function.rs` as a user runs it: a real process, configured only by the
//! environment, against the signature-verifying test server.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use std::path::PathBuf;
use std::process::Output;

use scf_tests::server::{SECRET_ID, SECRET_KEY, TestServer};

/// The example, as cargo built it for these tests (see `tests/Cargo.toml`).
fn example_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_invoke-function-example"))
}

async fn run(server: &TestServer, secret_key: &str, region: &str, args: &[&str]) -> Output {
    let binary = example_binary();
    let mut command = tokio::process::Command::new(binary);
    command
        .args(args)
        .env_clear()
        .env("HOME", std::env::temp_dir().join("scf-tests-no-home"))
        .env("TENCENTCLOUD_ENDPOINT_URL_SCF", server.url())
        .env("TENCENTCLOUD_REGION", region)
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", secret_key);
    command.output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn invokes_a_function_and_prints_the_response() {
    let server = TestServer::start().await;
    let dir = scf_tests::TempDir::new("event");
    let event_file = dir.join("event.json");
    std::fs::write(&event_file, r#"{"from": "file"}"#).unwrap();
    let event_arg = format!("@{}", event_file.display());
    let output = run(
        &server,
        SECRET_KEY,
        "ap-guangzhou",
        &[
            "--function-name",
            "hello",
            "--event",
            &event_arg,
            "--log-type",
            "Tail",
            "--namespace",
            "default",
            "--qualifier",
            "$LATEST",
            "--routing-key",
            r#"{"k":"v"}"#,
        ],
    )
    .await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["Result"]["RetMsg"], r#"{"from":"file"}"#);
    assert!(printed["Result"]["Log"].as_str().unwrap().contains("hello from the test server"));
    assert!(printed["RequestId"].is_string());
    let request = &server.requests()[0];
    assert_eq!(request.verdict, Ok(()));
    assert_eq!(request.params()["Qualifier"], "$LATEST");
    assert_eq!(request.params()["RoutingKey"], r#"{"k":"v"}"#);
}

#[tokio::test]
async fn fails_clearly_for_wrong_keys_wrong_region_and_missing_functions() {
    let server = TestServer::start().await;
    for (key, region, name, expected) in [
        (
            "wrong-key",
            "ap-guangzhou",
            "hello",
            "error: AuthFailure.SignatureFailure: the signature does not match (request id ",
        ),
        (
            SECRET_KEY,
            "ap-atlantis",
            "hello",
            "error: UnsupportedRegion: The region `ap-atlantis` is not supported. (request id ",
        ),
        (
            SECRET_KEY,
            "ap-guangzhou",
            "missing-fn",
            "error: ResourceNotFound.Function: The function `missing-fn` does not exist. (request id ",
        ),
    ] {
        let output = run(&server, key, region, &["--function-name", name]).await;
        assert_eq!(output.status.code(), Some(1), "{name} in {region}");
        let stderr = text(&output.stderr);
        assert!(stderr.starts_with(expected), "{stderr}");
        assert!(!stderr.contains(SECRET_KEY), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[tokio::test]
async fn bad_arguments_exit_with_usage() {
    let server = TestServer::start().await;
    let output = run(&server, SECRET_KEY, "ap-guangzhou", &["--event", "{not json", "--function-name", "f1"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--event is not valid JSON"), "{}", text(&output.stderr));
    let output = run(&server, SECRET_KEY, "ap-guangzhou", &[]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--function-name is required"));
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invokes_a_real_function_on_the_emulator() {
    let (emulator, client) = scf_tests::local::start().await;
    let source = "def main_handler(event, context):\n    print('example ran')\n    return {'got': event}\n";
    scf_tests::local::create_function(&client, scf_tests::local::FunctionSpec::python("example-target", source)).await;
    let credentials = emulator.credentials();
    let output = tokio::process::Command::new(example_binary())
        .args(["--function-name", "example-target", "--event", r#"{"k":"v"}"#, "--log-type", "Tail"])
        .env_clear()
        .env("HOME", std::env::temp_dir().join("scf-tests-no-home"))
        .env("TENCENTCLOUD_ENDPOINT_URL_SCF", emulator.endpoint_url())
        .env("TENCENTCLOUD_REGION", "ap-guangzhou")
        .env("TENCENTCLOUD_SECRET_ID", credentials.secret_id())
        .env("TENCENTCLOUD_SECRET_KEY", credentials.secret_key())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["Result"]["RetMsg"], r#"{"got": {"k": "v"}}"#);
    assert!(printed["Result"]["Log"].as_str().unwrap().contains("example ran"), "{printed}");
}
