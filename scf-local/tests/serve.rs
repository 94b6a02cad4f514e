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
    let mut child = Command::new(env!("CARGO_BIN_EXE_scf-local"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    while !printed.contains("SecretKey:") {
        printed.push_str(&lines.next().expect("the banner").unwrap());
        printed.push('\n');
    }
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
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    let result = client.invoke_function().function_name("spawner").send().await.unwrap().result;
    serde_json::from_str(&result.ret_msg).unwrap()
}

fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
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

fn signal(child: &Child, signal: rustix::process::Signal) {
    rustix::process::kill_process(rustix::process::Pid::from_child(child), signal).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("scf-local-serve-{name}-{}", std::process::id()))
}

#[tokio::test]
async fn sigterm_stops_every_function_process() {
    let dir = temp_dir("term");
    let (mut server, client) = serve(&dir);
    let pids = start_spawner(&client).await;
    assert!(!gone(pids[0]) && !gone(pids[1]));
    signal(&server.0, rustix::process::Signal::TERM);
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(wait_gone(&pids), "left behind: {:?}", pids.iter().filter(|p| !gone(**p)).collect::<Vec<_>>());
    assert!(dir.join("scf-local.db").is_file(), "the data directory stays");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn killed_outright_its_idle_instances_exit_on_their_own() {
    let dir = temp_dir("kill");
    let (mut server, client) = serve(&dir);
    let pids = start_spawner(&client).await;
    signal(&server.0, rustix::process::Signal::KILL);
    server.0.wait().unwrap();
    // The instance's runtime API died with the emulator; its next poll fails and it exits.
    assert!(wait_gone(&pids[..1]), "the instance outlived the emulator");
    // What the function started itself is orphaned: only a graceful stop can kill it.
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pids[1] as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .ok();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_are_refused_before_anything_starts() {
    let output = Command::new(env!("CARGO_BIN_EXE_scf-local"))
        .args(["serve", "--listen", "nowhere", "--fault", "NotACode"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--listen"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_scf-local")).args(["serve", "--fault", "NotACode"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`NotACode` is not an SCF error code"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_scf-local"))
        .args(["serve", "--secret-id", "AKIDx"])
        .env_remove("SCF_LOCAL_SECRET_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--secret-key"), "{stderr}");
}

#[test]
fn the_public_development_keys_are_refused_on_a_network_address() {
    let output = Command::new(env!("CARGO_BIN_EXE_scf-local"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(temp_dir("public"))
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give --secret-id and --secret-key"), "{stderr}");
    let _ = std::fs::remove_dir_all(temp_dir("public"));
}
