//! The official Tencent Cloud clients against `scf-local`, unchanged but for their endpoint: the
//! Python SDK (`tencentcloud-sdk-python`), `tccli` and the Node.js SDK
//! (`tencentcloud-sdk-nodejs-scf`), each run as a child process while the emulator serves. The
//! Python SDK also invokes functions written in Rust (scf-runtime's examples, as cargo built them).
//!
//! The clients come from `tests/official-clients/install.sh` (pinned versions, into
//! `target/official-clients/`), so these tests are ignored by a plain `cargo test`; `.ci/run` installs
//! the clients and runs them (`-- --ignored`). Run without the clients, they fail and say why.
//!
//! On the wire (API 3.0, TC3-HMAC-SHA256, `SignedHeaders=content-type;host` for all three):
//! - the Python SDK, `HttpProfile(protocol="http", endpoint="127.0.0.1:PORT")`, sends and signs
//!   `Host: 127.0.0.1:PORT` with service `scf`: it passes in strict mode too;
//! - tccli, `--endpoint http://127.0.0.1:PORT`, sends and signs `Host: http://127.0.0.1:PORT`;
//! - the Node.js SDK, `endpoint: "127.0.0.1:PORT", protocol: "http://"`, sends
//!   `Host: 127.0.0.1:PORT` but signs `host:127.0.0.1` with service `127`.
//!
//! The last two are accepted unless the emulator is strict, which these tests check as well.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use scf_local::{Emulator, EmulatorConfig, package};
use scf_tests::local::{FunctionSpec, create_function};
use serde_json::Value;
use tokio::process::Command;

/// How long one client run may take (they take about a second).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

const INSTALL_HINT: &str = "run `bash tests/official-clients/install.sh`";

/// The function the Node.js SDK creates.
const NODE_HANDLER: &str = r#"exports.main_handler = async (event, context) => {
  console.log("hello from the official Node.js SDK test: " + JSON.stringify(event));
  return { echo: event, function: context.function_name };
};
"#;

/// The function tccli invokes.
const PYTHON_HANDLER: &str = r#"import json


def main_handler(event, context):
    print("hello from the tccli test: " + json.dumps(event, sort_keys=True))
    return {"echo": event, "function": context.function_name}
"#;

/// Where the installed clients are.
#[derive(Debug)]
struct Clients {
    python: PathBuf,
    tccli: PathBuf,
    node_modules: PathBuf,
    scripts: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is a directory of the workspace").to_path_buf()
}

impl Clients {
    fn at(root: &Path) -> Self {
        let installed = root.join("target").join("official-clients");
        Clients {
            python: installed.join("python").join("bin").join("python"),
            tccli: installed.join("python").join("bin").join("tccli"),
            node_modules: installed.join("node").join("node_modules"),
            scripts: root.join("tests").join("official-clients"),
        }
    }

    /// What is missing or stale, if anything: the stamp must name every version the install script
    /// pins (`NAME_VERSION=...`), and the programs must be there.
    fn problem(&self, root: &Path) -> Option<String> {
        let installed = root.join("target").join("official-clients");
        let script = self.scripts.join("install.sh");
        let pins = std::fs::read_to_string(&script)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", script.display()))
            .lines()
            .filter_map(|line| line.split_once('='))
            .filter(|(name, _)| name.ends_with("_VERSION") && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .map(|(_, version)| version.trim().to_owned())
            .collect::<Vec<_>>();
        assert!(pins.len() >= 3, "{} pins no versions (NAME_VERSION=...)", script.display());
        let Ok(stamp) = std::fs::read_to_string(installed.join("stamp")) else {
            return Some(format!("{} is not installed", installed.display()));
        };
        if let Some(pin) = pins.iter().find(|pin| !stamp.split([' ', '=', '@', '\n']).any(|word| word == pin.as_str()))
        {
            return Some(format!("the clients in {} do not match the pinned version {pin}", installed.display()));
        }
        [&self.python, &self.tccli, &self.node_modules.join("tencentcloud-sdk-nodejs-scf")]
            .into_iter()
            .find(|path| !path.exists())
            .map(|path| format!("{} is missing", path.display()))
    }
}

/// The installed clients; a test run without them fails, saying how to install them.
fn installed_clients() -> Clients {
    let root = workspace_root();
    let clients = Clients::at(&root);
    if let Some(problem) = clients.problem(&root) {
        panic!("the official clients are not ready ({problem}): {INSTALL_HINT} first");
    }
    clients
}

/// A scratch `HOME` (tccli writes `~/.tccli/`), removed when dropped.
struct Home(PathBuf);

impl Home {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("scf-official-clients-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Home(dir)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command with a clean environment: `PATH`, a scratch `HOME`, no proxy, and the emulator's keys
/// in the variables every official client reads (never on the command line, never printed).
fn command(program: impl AsRef<std::ffi::OsStr>, emulator: &Emulator, home: &Home) -> Command {
    let credentials = emulator.credentials();
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("LANG", "C.UTF-8")
        .env("TENCENTCLOUD_SECRET_ID", credentials.secret_id())
        .env("TENCENTCLOUD_SECRET_KEY", credentials.secret_key())
        .env("SCF_LOCAL_ENDPOINT", emulator.address().to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn run(mut command: Command, what: &str) -> Output {
    let started = Instant::now();
    let output = tokio::time::timeout(CLIENT_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {CLIENT_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    eprintln!("{what}: {} in {:.1?}", output.status, started.elapsed());
    output
}

/// The JSON a successful run printed.
fn json_output(output: &Output, what: &str) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what} failed ({}):\nstdout: {stdout}\nstderr: {stderr}", output.status);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{what} printed no JSON ({e}):\n{stdout}\nstderr: {stderr}"))
}

fn python_script(clients: &Clients, emulator: &Emulator, home: &Home, mode: &str) -> Command {
    let mut command = command(&clients.python, emulator, home);
    command.arg(clients.scripts.join("python_sdk.py")).env("SCF_TEST_MODE", mode);
    command
}

fn node_script(clients: &Clients, emulator: &Emulator, home: &Home, mode: &str) -> Command {
    let mut command = command("node", emulator, home);
    command.arg(clients.scripts.join("node_sdk.js")).env("NODE_PATH", &clients.node_modules).env("SCF_TEST_MODE", mode);
    command
}

fn tccli(clients: &Clients, emulator: &Emulator, home: &Home, args: &[&str]) -> Command {
    let mut command = command(&clients.tccli, emulator, home);
    command.arg("scf").args(args).args([
        "--endpoint",
        &emulator.endpoint_url(),
        "--region",
        "ap-guangzhou",
        "--language",
        "en-US",
    ]);
    command
}

/// What the `flow` mode of both SDK scripts reports: the function became `Active`, its invocation
/// echoed the event and logged, and a missing function is the service's error.
fn assert_flow(summary: &Value, function: &str, event: &Value, log_line: &str) {
    assert_eq!(summary["status"], "Active", "{summary}");
    assert_eq!(summary["handler"], "index.main_handler", "{summary}");
    let invoke = &summary["invoke"];
    let ret_msg = invoke["ret_msg"].as_str().unwrap_or_else(|| panic!("no RetMsg: {summary}"));
    let answer: Value = serde_json::from_str(ret_msg).unwrap_or_else(|e| panic!("RetMsg is not JSON ({e}): {ret_msg}"));
    assert_eq!(answer["echo"], *event, "{summary}");
    assert_eq!(answer["function"], function, "{summary}");
    assert_eq!(invoke["invoke_result"], 0, "{summary}");
    assert_eq!(invoke["err_msg"], "", "{summary}");
    let log = invoke["log"].as_str().unwrap_or_else(|| panic!("no Log: {summary}"));
    let request_id = invoke["function_request_id"].as_str().unwrap_or_default();
    assert!(!request_id.is_empty(), "{summary}");
    assert!(log.starts_with(&format!("START RequestId: {request_id}")), "{log}");
    assert!(log.contains(log_line), "the log lacks {log_line:?}: {log}");
    assert_eq!(summary["missing"]["code"], "ResourceNotFound.FunctionName", "{summary}");
    assert!(
        summary["missing"]["message"].as_str().is_some_and(|m| m.contains(&format!("{function}-missing"))),
        "{summary}"
    );
    assert!(summary["missing"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn the_python_sdk_creates_waits_for_invokes_and_gets_errors_even_in_strict_mode() {
    let clients = installed_clients();
    let home = Home::new("python");
    for strict in [false, true] {
        let emulator =
            Emulator::start(EmulatorConfig::default().strict(strict).activation_delay(Duration::from_millis(300)))
                .await
                .expect("the emulator starts");
        let what = format!("python_sdk.py (strict: {strict})");
        let summary = json_output(&run(python_script(&clients, &emulator, &home, "flow"), &what).await, &what);
        assert_eq!(summary["listed_before"], 0, "{summary}");
        assert!(
            summary["status_polls"].as_u64().is_some_and(|polls| polls > 1),
            "the activation delay was waited out: {summary}"
        );
        assert_flow(
            &summary,
            "python-sdk-hello",
            &serde_json::json!({"client": "python-sdk", "n": 1}),
            r#"hello from the official Python SDK test: {"client": "python-sdk", "n": 1}"#,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn the_node_sdk_works_with_its_service_scope_quirk_and_strict_mode_refuses_it() {
    let clients = installed_clients();
    let home = Home::new("node");
    let zip = package::zip_files(&[("index.js", NODE_HANDLER)]).expect("the package zips");

    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("the emulator starts");
    let mut flow = node_script(&clients, &emulator, &home, "flow");
    flow.env("SCF_TEST_ZIP_BASE64", package::to_base64(&zip));
    let summary = json_output(&run(flow, "node_sdk.js").await, "node_sdk.js");
    assert_eq!(summary["runtime"], "Nodejs18.15", "{summary}");
    assert_flow(
        &summary,
        "node-sdk-hello",
        &serde_json::json!({"client": "node-sdk", "n": 2}),
        r#"hello from the official Node.js SDK test: {"client":"node-sdk","n":2}"#,
    );
    assert_eq!(summary["listed_names"], serde_json::json!(["node-sdk-hello"]), "ListFunctions over GET: {summary}");

    let strict = Emulator::start(EmulatorConfig::default().strict(true)).await.expect("the strict emulator starts");
    let what = "node_sdk.js probe (strict)";
    let probe = json_output(&run(node_script(&clients, &strict, &home, "probe"), what).await, what);
    assert_eq!(probe["ok"], false, "{probe}");
    assert_eq!(probe["code"], "AuthFailure.SignatureFailure", "{probe}");
    assert!(probe["message"].as_str().is_some_and(|m| m.contains("service `127`")), "{probe}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn tccli_lists_and_invokes_with_its_host_quirk_and_strict_mode_refuses_it() {
    let clients = installed_clients();
    let home = Home::new("tccli");
    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    create_function(&client, FunctionSpec::python("tccli-hello", PYTHON_HANDLER)).await;

    let listed =
        json_output(&run(tccli(&clients, &emulator, &home, &["ListFunctions"]), "tccli ListFunctions").await, "tccli");
    assert_eq!(listed["TotalCount"], 1, "{listed}");
    assert_eq!(listed["Functions"][0]["FunctionName"], "tccli-hello", "{listed}");
    assert_eq!(listed["Functions"][0]["Status"], "Active", "{listed}");

    let invoke =
        ["InvokeFunction", "--FunctionName", "tccli-hello", "--Event", r#"{"client":"tccli"}"#, "--LogType", "Tail"];
    let invoked = json_output(&run(tccli(&clients, &emulator, &home, &invoke), "tccli InvokeFunction").await, "tccli");
    let result = &invoked["Result"];
    let ret_msg = result["RetMsg"].as_str().unwrap_or_else(|| panic!("no RetMsg: {invoked}"));
    let answer: Value = serde_json::from_str(ret_msg).unwrap_or_else(|e| panic!("RetMsg is not JSON ({e}): {ret_msg}"));
    assert_eq!(answer, serde_json::json!({"echo": {"client": "tccli"}, "function": "tccli-hello"}));
    assert_eq!(result["InvokeResult"], 0, "{invoked}");
    assert!(
        result["Log"].as_str().is_some_and(|log| log.contains(r#"hello from the tccli test: {"client": "tccli"}"#)),
        "{invoked}"
    );

    // An API error: tccli exits non-zero and prints the code.
    let missing = ["InvokeFunction", "--FunctionName", "tccli-missing"];
    let output = run(tccli(&clients, &emulator, &home, &missing), "tccli InvokeFunction (missing)").await;
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{printed}");
    assert!(printed.contains("code:ResourceNotFound.FunctionName"), "{}", printed.trim());

    let strict = Emulator::start(EmulatorConfig::default().strict(true)).await.expect("the strict emulator starts");
    let output = run(tccli(&clients, &strict, &home, &["ListFunctions"]), "tccli ListFunctions (strict)").await;
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "{}", printed.trim());
    assert!(printed.contains("code:AuthFailure.SignatureFailure"), "{}", printed.trim());
    let host = format!("`{}`", strict.endpoint_url());
    assert!(printed.contains(&host), "the error names the Host header {host}: {}", printed.trim());
}

/// An example of scf-runtime, where cargo put it (`target/<profile>/examples/NAME`, beside this
/// test's directory); `cargo test --workspace` builds them.
fn rust_example(name: &str) -> Vec<u8> {
    let exe = std::env::current_exe().expect("the test's own path");
    let path = exe.parent().and_then(Path::parent).expect("target/<profile>/deps").join("examples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build scf-runtime's examples first (`cargo test --workspace` does; or `cargo build -p \
             scf-runtime --examples`)",
            path.display()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn the_python_sdk_invokes_functions_written_in_rust() {
    let clients = installed_clients();
    let home = Home::new("python-rust");
    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    for (name, example) in [("rust-echo", "echo"), ("rust-lifecycle", "lifecycle")] {
        let zip = package::zip_files(&[("bootstrap", rust_example(example))]).expect("the package zips");
        let code = scf_sdk::types::Code::builder().zip_file(package::to_base64(&zip)).build().expect("Code builds");
        client
            .create_function()
            .function_name(name)
            .runtime("CustomRuntime")
            .code(code)
            .send()
            .await
            .expect("CreateFunction succeeds");
        scf_tests::local::wait_active(&client, name, None).await;
    }

    let invoke = |function: &str, event: &str| {
        let mut command = python_script(&clients, &emulator, &home, "invoke");
        command.env("SCF_TEST_FUNCTION", function).env("SCF_TEST_EVENT", event);
        command
    };
    let what = "python_sdk.py invoke (echo)";
    let summary = json_output(&run(invoke("rust-echo", r#"{"client":"python-sdk","lang":"rust"}"#), what).await, what);
    let ret_msg = summary["ret_msg"].as_str().unwrap_or_else(|| panic!("no RetMsg: {summary}"));
    let answer: Value = serde_json::from_str(ret_msg).unwrap_or_else(|e| panic!("RetMsg is not JSON ({e}): {ret_msg}"));
    assert_eq!(
        answer,
        serde_json::json!({"echo": {"client": "python-sdk", "lang": "rust"}, "request_id": summary["function_request_id"]})
    );
    assert_eq!(summary["invoke_result"], 0, "{summary}");

    let what = "python_sdk.py invoke (an error)";
    let summary =
        json_output(&run(invoke("rust-lifecycle", r#"{"action":"error","message":"no stock"}"#), what).await, what);
    assert_eq!(summary["invoke_result"], 1, "{summary}");
    let err_msg = summary["err_msg"].as_str().unwrap_or_default();
    assert!(err_msg.contains("LifecycleError: no stock"), "{summary}");
    assert!(summary["log"].as_str().is_some_and(|log| log.contains("LifecycleError: no stock")), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn the_python_sdk_manages_triggers() {
    let clients = installed_clients();
    let home = Home::new("python-triggers");
    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    create_function(&client, FunctionSpec::python("python-sdk-triggers", PYTHON_HANDLER)).await;

    let mut command = python_script(&clients, &emulator, &home, "triggers");
    command.env("SCF_TEST_FUNCTION", "python-sdk-triggers");
    let what = "python_sdk.py triggers";
    let summary = json_output(&run(command, what).await, what);
    assert_eq!(
        summary["created"],
        serde_json::json!({
            "name": "python-sdk-timer", "type": "timer", "desc": r#"{"cron":"0 */5 * * * * *"}"#,
            "enable": 0, "custom_argument": "from the Python SDK"
        }),
        "{summary}"
    );
    assert_eq!(
        summary["listed"],
        serde_json::json!([{"name": "python-sdk-timer", "enable": 1, "desc": r#"{"cron":"0 */5 * * * * *"}"#}]),
        "{summary}"
    );
    assert_eq!(summary["function_triggers"], serde_json::json!(["python-sdk-timer"]), "{summary}");
    assert_eq!(summary["left"], 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the official clients: `bash tests/official-clients/install.sh`, then `-- --ignored` (.ci/run does both)"]
async fn the_python_sdk_publishes_and_lists_layers() {
    let clients = installed_clients();
    let home = Home::new("python-layer");
    let emulator = Emulator::start(EmulatorConfig::default().strict(true)).await.expect("the emulator starts");
    let what = "python_sdk.py layer";
    let summary = json_output(&run(python_script(&clients, &emulator, &home, "layer"), what).await, what);
    assert_eq!(summary["published"], serde_json::json!([1, 2]), "{summary}");
    assert_eq!(summary["total_count"], 1, "{summary}");
    assert_eq!(summary["layers"], serde_json::json!([["python-sdk-layer", 2, "Active"]]), "{summary}");
    assert_eq!(summary["versions"], serde_json::json!([2, 1]), "{summary}");
    let got = &summary["got"];
    assert_eq!(
        (&got["name"], &got["version"], &got["status"]),
        (&"python-sdk-layer".into(), &1.into(), &"Active".into())
    );
    assert_eq!(got["runtimes"], serde_json::json!(["Python3.9"]), "{summary}");
    assert_eq!(got["code_sha256"].as_str().map(str::len), Some(64), "{summary}");
    // What the SDK published is what the emulator holds.
    let client = emulator.client().expect("a client for the emulator");
    let versions = client.list_layer_versions().layer_name("python-sdk-layer").send().await.expect("ListLayerVersions");
    assert_eq!(versions.layer_versions.len(), 2);
}
