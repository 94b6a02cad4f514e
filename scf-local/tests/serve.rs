//! The `scf-local serve` binary: it prints where it listens and with which keys, serves the SDK,
//! and on SIGTERM stops every function process (and what they started) before exiting. Killed
//! outright, its idle instances still exit on their own: their runtime API goes with it.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scf_local::package;
use scf_sdk::Client;
use scf_sdk::runtime::{Config, Credentials};
use scf_sdk::types::Code;

const SPAWNER: &str = r#"import os, subprocess

def main_handler(event, context):
    child = subprocess.Popen(["sleep", "300"])
    return [os.getpid(), child.pid]
"#;

/// How long a server or command may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `command` to its end, or fails the test (killing it) after [`DEADLINE`].
fn output_within(mut command: Command) -> std::process::Output {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = rustix::process::Pid::from_child(&child);
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(DEADLINE) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            panic!("{command:?} did not finish within {DEADLINE:?}");
        }
    }
}

/// The server process, killed if a test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port; returns it and a client built from what it printed.
fn serve(data_dir: &std::path::Path) -> (Server, Client) {
    serve_via(Command::new(env!("CARGO_BIN_EXE_scf-local")), data_dir)
}

/// As [`serve`], started through `command` (the binary's path is its last argument).
fn serve_via(mut command: Command, data_dir: &std::path::Path) -> (Server, Client) {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The banner, read on a thread of its own so that a server that never prints it fails the test
    // within the deadline instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (banner, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            printed.push_str(&line);
            printed.push('\n');
            if printed.contains("SecretKey:") {
                break;
            }
        }
        let _ = banner.send(printed);
    });
    let printed = read.recv_timeout(DEADLINE).expect("the banner within the deadline");
    assert!(printed.contains("SecretKey:"), "the server ended before its banner: {printed}");
    let field = |label: &str| {
        let line = printed.lines().find(|l| l.contains(label)).unwrap();
        line.split_whitespace().nth(1).unwrap().to_owned()
    };
    let url = printed.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    assert_eq!(field("SecretId:"), scf_local::DEV_SECRET_ID);
    let config = Config::builder()
        .endpoint_url(url)
        .region("ap-guangzhou")
        .credentials(Credentials::new(field("SecretId:"), field("SecretKey:")))
        .build();
    (Server(child), Client::new(config).unwrap())
}

async fn start_spawner(client: &Client) -> Vec<u32> {
    let zip = package::zip_files(&[("index.py", SPAWNER)]).unwrap();
    client
        .create_function()
        .function_name("spawner")
        .runtime("Python3.9")
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    let result = client.invoke_function().function_name("spawner").send().await.unwrap().result;
    serde_json::from_str(&result.ret_msg).unwrap()
}

/// Whether `pid` is gone or a zombie; fails where there is no /proc rather than answer "gone".
fn gone(pid: u32) -> bool {
    assert!(std::path::Path::new("/proc/self/stat").exists(), "the no-orphan checks need /proc");
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
        Err(error) => panic!("cannot read /proc/{pid}/stat: {error}"),
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_gone(pids: &[u32]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if pids.iter().all(|pid| gone(*pid)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Waits for `child` to exit, or fails the test (killing it) after [`DEADLINE`].
fn exit_within(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, signal: rustix::process::Signal) {
    rustix::process::kill_process(rustix::process::Pid::from_child(child), signal).unwrap();
}

/// A data directory for one test, removed when dropped (whether the test passed or not).
struct DataDir(std::path::PathBuf);

impl std::ops::Deref for DataDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for DataDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.0.exists() {
            let _ = scf_local::remove_data_dir(&self.0);
        }
    }
}

fn temp_dir(name: &str) -> DataDir {
    DataDir(std::env::temp_dir().join(format!("scf-local-serve-{name}-{}", std::process::id())))
}

#[tokio::test]
async fn sigterm_stops_every_function_process() {
    let dir = temp_dir("term");
    let (mut server, client) = serve(&dir);
    let pids = start_spawner(&client).await;
    assert!(!gone(pids[0]) && !gone(pids[1]));
    signal(&server.0, rustix::process::Signal::TERM);
    let status = exit_within(&mut server.0);
    assert!(status.success(), "{status}");
    assert!(wait_gone(&pids), "left behind: {:?}", pids.iter().filter(|p| !gone(**p)).collect::<Vec<_>>());
    assert!(dir.join("scf-local.db").is_file(), "the data directory stays");
    scf_local::remove_data_dir(&dir).unwrap();
}

#[tokio::test]
async fn killed_outright_its_idle_instances_exit_on_their_own() {
    let dir = temp_dir("kill");
    let (mut server, client) = serve(&dir);
    let pids = start_spawner(&client).await;
    signal(&server.0, rustix::process::Signal::KILL);
    exit_within(&mut server.0);
    // The instance's runtime API died with the emulator; its next poll fails and it exits.
    assert!(wait_gone(&pids[..1]), "the instance outlived the emulator");
    // What the function started itself is orphaned: only a graceful stop can kill it.
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pids[1] as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .ok();
    scf_local::remove_data_dir(&dir).unwrap();
}

#[test]
fn bad_arguments_are_refused_before_anything_starts() {
    let scf_local = || Command::new(env!("CARGO_BIN_EXE_scf-local"));
    let mut command = scf_local();
    command.args(["serve", "--listen", "nowhere", "--fault", "NotACode"]);
    let output = output_within(command);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--listen"), "{stderr}");
    // A port of its own (never the default 9100), should the check ever let it start.
    let mut command = scf_local();
    command.args(["serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--fault", "NotACode"]);
    let output = output_within(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`NotACode` is not an SCF error code"), "{stderr}");
    let mut command = scf_local();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--secret-id", "AKIDx"])
        .env_remove("SCF_LOCAL_SECRET_KEY");
    let output = output_within(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--secret-key"), "{stderr}");
}

#[test]
fn the_public_development_keys_are_refused_on_a_network_address() {
    let dir = temp_dir("public");
    let mut command = Command::new(env!("CARGO_BIN_EXE_scf-local"));
    command
        .args(["serve", "--listen", "0.0.0.0:0", "--http-listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY");
    let output = output_within(command);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give your own key pair (--secret-id and --secret-key)"), "{stderr}");
}

#[tokio::test]
async fn a_second_emulator_on_the_same_data_directory_is_refused_at_once() {
    let dir = temp_dir("lock");
    let (server, client) = serve(&dir);
    create_function(&client).await;
    let started = Instant::now();
    let mut second = Command::new(env!("CARGO_BIN_EXE_scf-local"));
    second
        .args(["serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY");
    let output = output_within(second);
    // It does not wait for the lock (that would last as long as the first server): a generous bound
    // for a loaded machine; it takes milliseconds.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let holder = format!("another scf-local is using the data directory {} (process {})", dir.display(), server.0.id());
    assert!(stderr.contains(&holder), "{stderr}");
    // `clean` refuses too while it runs; then removes everything, read-only packages included.
    let clean = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scf-local"));
        command.args(["clean", "--data-dir"]).arg(&dir);
        output_within(command)
    };
    assert_eq!(clean().status.code(), Some(1));
    assert!(dir.join("code").is_dir());
    drop(server);
    let cleaned = clean();
    assert!(cleaned.status.success(), "{}", String::from_utf8_lossy(&cleaned.stderr));
    assert!(!dir.exists());
}

async fn create_function(client: &Client) {
    let zip = package::zip_files(&[("index.py", "def main_handler(e, c):\n    return 1\n")]).unwrap();
    client
        .create_function()
        .function_name("packaged")
        .runtime("Python3.9")
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
}

/// The emulator raises its own descriptor limit (it holds many connections and pipes); the
/// functions get back the one it was started with.
#[tokio::test]
async fn functions_get_the_descriptor_limit_the_emulator_was_started_with() {
    let dir = temp_dir("nofile");
    let mut shell = Command::new("sh");
    shell.args(["-c", "ulimit -Sn 512 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_scf-local")]);
    let (server, client) = serve_via(shell, &dir);
    let source =
        "import resource\n\ndef main_handler(e, c):\n    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n";
    let zip = package::zip_files(&[("index.py", source)]).unwrap();
    client
        .create_function()
        .function_name("limits")
        .runtime("Python3.9")
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    let result = client.invoke_function().function_name("limits").send().await.unwrap().result;
    assert_eq!(result.ret_msg, "512", "{result:?}");
    drop(server);
    scf_local::remove_data_dir(&dir).unwrap();
}
