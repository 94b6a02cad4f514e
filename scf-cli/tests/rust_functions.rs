//! Functions written in Rust on `scf-local`: scf-runtime's examples, as cargo built them, deployed
//! with `scf deploy` (a directory holding the `bootstrap`) and invoked with the SDK — echo, a
//! handler error, a panic and then a good invocation on the same instance, a timeout, a Timer
//! event, logs — and `scf deploy` of a Cargo package, built by a real cargo.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Local;
use scf_sdk::types::{LogType, ResultValue};
use serde_json::{Value, json};

/// The longest an invocation may take here.
const INVOKE_DEADLINE: Duration = Duration::from_secs(60);

/// An example of scf-runtime, where cargo put it: `target/<profile>/examples/NAME`, beside this
/// test's own directory. `cargo test --workspace` builds them.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is missing: build scf-runtime's examples first (`cargo test --workspace` does; or `cargo build -p \
         scf-runtime --examples`)",
        path.display()
    );
    path
}

/// Deploys the example `name` as the function `function` with `scf deploy` of a directory holding
/// only its `bootstrap`.
fn deploy_example(local: &Local, name: &str, function: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = dir.path().join("bootstrap");
    std::fs::copy(example(name), &bootstrap).unwrap();
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = local
        .scf()
        .args(["deploy", dir.path().to_str().unwrap(), "--function-name", function, "--runtime", "CustomRuntime"])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .run()
        .ok();
    run.json()
}

/// Invokes `function` with the SDK (`LogType` `Tail`).
fn invoke(local: &Local, function: &str, event: Value) -> ResultValue {
    let client = local.emulator().client().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let call = client.invoke_function().function_name(function).event(event).log_type(LogType::Tail).send();
    let response = runtime
        .block_on(async { tokio::time::timeout(INVOKE_DEADLINE, call).await })
        .expect("the invocation ends in time")
        .expect("InvokeFunction succeeds");
    response.result
}

fn ret_msg(result: &ResultValue) -> Value {
    serde_json::from_str(&result.ret_msg).unwrap_or_else(|e| panic!("RetMsg is not JSON ({e}): {}", result.ret_msg))
}

#[allow(deprecated)] // `InvokeResult` is deprecated, but the service still sends it.
fn invoke_result(result: &ResultValue) -> Option<i64> {
    result.invoke_result
}

#[test]
fn echo() {
    let local = Local::start();
    let function = deploy_example(&local, "echo", "echo", &[]);
    assert_eq!((function["Runtime"].as_str(), function["Status"].as_str()), (Some("CustomRuntime"), Some("Active")));
    for n in 0..3 {
        let event = json!({"n": n, "text": "héllo"});
        let result = invoke(&local, "echo", event.clone());
        assert_eq!(invoke_result(&result), Some(0), "{result:?}");
        assert_eq!(ret_msg(&result), json!({"echo": event, "request_id": result.function_request_id}));
        assert!(result.log.starts_with(&format!("START RequestId: {}", result.function_request_id)), "{}", result.log);
    }
}

#[test]
fn errors_panics_and_logs_on_one_instance() {
    let local = Local::start();
    deploy_example(&local, "lifecycle", "lifecycle", &["--memory-size", "256", "--timeout", "5"]);

    let first = ret_msg(&invoke(&local, "lifecycle", json!({})));
    assert_eq!(first["function_name"], "lifecycle");
    assert_eq!(first["function_version"], "$LATEST");
    assert_eq!(first["namespace"], "default");
    assert_eq!(first["memory_limit_in_mb"], 256);
    assert_eq!(first["time_limit_in_ms"], 5000);
    assert_eq!(first["region"], common::REGION);
    assert!(first["appid"].is_string() && first["uin"].is_string(), "{first}");
    assert_eq!(first["tmp_writable"], true);
    assert_eq!(first["invocations"], 1);

    let error = invoke(&local, "lifecycle", json!({"action": "error", "message": "the order is gone"}));
    assert_eq!(invoke_result(&error), Some(1), "{error:?}");
    assert!(error.err_msg.contains("LifecycleError: the order is gone"), "{}", error.err_msg);
    assert!(error.log.contains("LifecycleError: the order is gone"), "{}", error.log);

    let panic = invoke(&local, "lifecycle", json!({"action": "panic", "message": "boom"}));
    assert_eq!(invoke_result(&panic), Some(1), "{panic:?}");
    assert!(panic.err_msg.contains("Panic: boom"), "{}", panic.err_msg);
    assert!(panic.log.contains("panicked at") && panic.log.contains("boom"), "{}", panic.log);

    let printed = invoke(&local, "lifecycle", json!({"action": "print", "text": "hello log"}));
    assert_eq!(ret_msg(&printed), json!({"printed": "hello log"}));
    for line in ["hello log", "to stderr: hello log", "a tracing event text=hello log"] {
        assert!(printed.log.contains(line), "`{line}` in {}", printed.log);
    }

    let after = ret_msg(&invoke(&local, "lifecycle", json!({})));
    assert_eq!(after["invocations"], 5, "the same instance served them all: {after}");
    assert_eq!(after["pid"], first["pid"]);
}

#[test]
fn a_timeout_ends_the_instance_and_the_next_invocation_starts_another() {
    let local = Local::start();
    deploy_example(&local, "lifecycle", "slow", &["--timeout", "1"]);
    let first = ret_msg(&invoke(&local, "slow", json!({})));
    let timed_out = invoke(&local, "slow", json!({"action": "sleep", "ms": 5000}));
    assert_eq!(invoke_result(&timed_out), Some(-1), "{timed_out:?}");
    assert!(timed_out.err_msg.contains("Invoking task timed out after 1 seconds"), "{}", timed_out.err_msg);
    let next = ret_msg(&invoke(&local, "slow", json!({})));
    assert_eq!(next["invocations"], 1, "a new instance: {next}");
    assert_ne!(next["pid"], first["pid"]);
}

#[test]
fn a_timer_event() {
    let local = Local::start();
    deploy_example(&local, "timer", "nightly", &[]);
    let event = json!({"Type": "Timer", "TriggerName": "EveryDay", "Time": "2019-02-21T11:49:00Z", "Message": "user define msg body"});
    let result = invoke(&local, "nightly", event);
    assert_eq!(
        ret_msg(&result),
        json!({"trigger": "EveryDay", "time": "2019-02-21T11:49:00Z", "message": "user define msg body"})
    );
    assert!(result.log.contains("EveryDay fired at 2019-02-21T11:49:00Z"), "{}", result.log);

    let wrong = invoke(&local, "nightly", json!({"Type": "Cos"}));
    assert!(
        wrong.err_msg.contains("UnexpectedTrigger: this function runs on a timer, not on `Cos`"),
        "{}",
        wrong.err_msg
    );
}

/// A copy of the fixture package `tiny-function` (no dependencies) in a scratch directory, built by
/// the real cargo (`CARGO`, the seam `scf deploy` builds with), offline, into a target directory of
/// its own.
struct TinyPackage {
    dir: tempfile::TempDir,
}

impl TinyPackage {
    fn new() -> TinyPackage {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-function");
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        for file in ["Cargo.toml", "src/main.rs"] {
            std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
        }
        TinyPackage { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn scf(&self, local: &Local) -> common::Scf {
        local
            .scf()
            .with_toolchain()
            .env("CARGO_TARGET_DIR", self.path().join("target"))
            .env("CARGO_NET_OFFLINE", "true")
            .timeout(Duration::from_secs(300))
    }
}

#[test]
fn deploy_builds_a_cargo_package_and_deploys_its_binary_as_bootstrap() {
    let local = Local::start();
    let package = TinyPackage::new();
    let run =
        package.scf(&local).args(["deploy", package.path().to_str().unwrap(), "--function-name", "tiny"]).run().ok();
    let function = run.json();
    assert_eq!(function["Runtime"], "CustomRuntime", "the default for a Cargo package");
    assert_eq!(function["Status"], "Active");
    assert!(run.stderr.contains("Building "), "{}", run.stderr);
    assert!(run.stderr.contains("Finished `release` profile"), "cargo's own output is shown: {}", run.stderr);
    let staged = package.path().join("target/x86_64-unknown-linux-gnu/release/scf-deploy/tiny-function");
    assert!(run.stderr.contains(&format!("Packaged 1 file from {}", staged.display())), "{}", run.stderr);
    let mode = std::fs::metadata(staged.join("bootstrap")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);

    let result = invoke(&local, "tiny", json!({"k": "v"}));
    assert_eq!(ret_msg(&result), json!({"tiny": {"k": "v"}}), "{result:?}");
}

#[test]
fn deploy_of_a_cargo_package_names_the_binary_and_reports_build_failures() {
    let local = Local::start();
    let package = TinyPackage::new();
    std::fs::create_dir_all(package.path().join("src/bin")).unwrap();
    std::fs::write(package.path().join("src/bin/admin.rs"), "fn main() {}\n").unwrap();
    let path = package.path().to_str().unwrap();

    let run = package.scf(&local).args(["deploy", path, "--function-name", "tiny", "--output", "text"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("builds several binaries (admin, tiny-function): choose one with --bin NAME")
            || run.stderr.contains("builds several binaries (tiny-function, admin): choose one with --bin NAME"),
        "{}",
        run.stderr
    );

    let run =
        package.scf(&local).args(["deploy", path, "--function-name", "tiny", "--bin", "tiny-function"]).run().ok();
    assert_eq!(run.json()["Status"], "Active");

    // A build failure: cargo's errors, exit code 2, nothing deployed.
    std::fs::write(package.path().join("src/main.rs"), "fn main() { let x: u32 = \"text\"; }\n").unwrap();
    let run = package.scf(&local).args(["deploy", path, "--function-name", "broken", "--output", "text"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("error[E0308]: mismatched types"), "cargo's errors are shown: {}", run.stderr);
    assert!(run.stderr.contains("cargo build failed"), "{}", run.stderr);
    let names = local.scf().args(["list-functions", "--query", "Functions[].FunctionName"]).run().ok();
    assert_eq!(names.json(), json!(["tiny"]), "nothing of `broken` was deployed");
}
