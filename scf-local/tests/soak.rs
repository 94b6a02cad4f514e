//! A soak: `scf-local serve` (the real binary, so its memory is its own) under mixed load at a
//! bounded rate — synchronous and asynchronous invocations, functions created, updated and
//! deleted, logs read — for 60 s (`SCF_LOCAL_SOAK_SECONDS` for longer). It must show no
//! unexpected error, resident memory growing less than 10% after warm-up, a flat count of file
//! descriptors, no process left behind, and a database bounded by the log limits.
//!
//! `cargo test -p scf-local --test soak -- --nocapture` prints the figures.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scf_local::package;
use scf_sdk::Client;
use scf_sdk::runtime::{Config, Credentials};
use scf_sdk::types::{Code, InvocationType};

/// Operations per second, all kinds together (a bounded rate, not a benchmark).
const RATE: u64 = 50;
/// The log limit the emulator runs with, small so that the database reaches its steady size during
/// the warm-up (and memory with it: SQLite caches pages).
const LOG_LIMIT_MB: u64 = 1;

const ECHO: &str = "import os\n\ndef main_handler(event, context):\n    print('event', event)\n    return {'pid': os.getpid(), 'pad': 'x' * 2048}\n";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data_dir: &std::path::Path) -> (Server, Client) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scf-local"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--idle-timeout",
            "5s",
            "--max-async-events",
            "50",
        ])
        .args(["--max-log-mb", &LOG_LIMIT_MB.to_string(), "--data-dir"])
        .arg(data_dir)
        .env_remove("SCF_LOCAL_SECRET_ID")
        .env_remove("SCF_LOCAL_SECRET_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    while !printed.contains("SecretKey:") {
        printed.push_str(&lines.next().expect("the banner").unwrap());
        printed.push('\n');
    }
    let url = printed.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let config = Config::builder()
        .endpoint_url(url)
        .region("ap-guangzhou")
        .credentials(Credentials::new(scf_local::DEV_SECRET_ID, scf_local::DEV_SECRET_KEY))
        .timeout(Duration::from_secs(30))
        .build();
    (Server(child), Client::new(config).unwrap())
}

fn code(source: &str) -> Code {
    let zip = package::zip_files(&[("index.py", source)]).unwrap();
    Code::builder().zip_file(package::to_base64(&zip)).build().unwrap()
}

/// The emulator's resident memory (bytes) and open descriptors.
fn usage(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    (kib * 1024, fds)
}

/// The database's files together (the write-ahead log included).
fn database_bytes(dir: &std::path::Path) -> u64 {
    let sizes: Vec<u64> = ["scf-local.db", "scf-local.db-wal", "scf-local.db-shm"]
        .iter()
        .map(|name| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len()))
        .collect();
    sizes.iter().sum()
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

/// The instance processes the load saw (answers carry their pid), to check none survives.
#[derive(Default)]
struct Seen {
    pids: std::sync::Mutex<std::collections::BTreeSet<u32>>,
}

async fn one_operation(client: &Client, tick: u64, seen: &Seen) -> Result<(), String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    match tick % 20 {
        // Asynchronous invocations.
        0 | 10 => {
            client
                .invoke()
                .function_name("steady")
                .invocation_type(InvocationType::Event)
                .send()
                .await
                .map_err(|e| fail("Invoke Event", &e))?;
        }
        // Log reads (paged).
        5 => {
            #[allow(deprecated)]
            client
                .get_function_logs()
                .function_name("steady")
                .limit(50)
                .send()
                .await
                .map_err(|e| fail("GetFunctionLogs", &e))?;
        }
        // Churn: a function created, invoked, updated, invoked and deleted.
        15 => {
            let name = format!("churn{tick}");
            client
                .create_function()
                .function_name(&name)
                .runtime("Python3.9")
                .handler("index.main_handler")
                .code(code(ECHO))
                .send()
                .await
                .map_err(|e| fail("CreateFunction", &e))?;
            let invoked = client.invoke_function().function_name(&name).send().await;
            record_pid(invoked.map_err(|e| fail("InvokeFunction churn", &e))?.result.ret_msg, seen);
            client
                .update_function_code()
                .function_name(&name)
                .handler("index.main_handler")
                .code(code(&ECHO.replace("2048", &format!("{}", 2000 + tick % 7))))
                .send()
                .await
                .map_err(|e| fail("UpdateFunctionCode", &e))?;
            let invoked = client.invoke_function().function_name(&name).send().await;
            record_pid(invoked.map_err(|e| fail("InvokeFunction updated", &e))?.result.ret_msg, seen);
            client.delete_function().function_name(&name).send().await.map_err(|e| fail("DeleteFunction", &e))?;
        }
        // Synchronous invocations, the bulk.
        _ => {
            let invoked = client
                .invoke_function()
                .function_name("steady")
                .event(serde_json::json!({"tick": tick}))
                .send()
                .await
                .map_err(|e| fail("InvokeFunction", &e))?;
            record_pid(invoked.result.ret_msg, seen);
        }
    }
    Ok(())
}

fn record_pid(ret_msg: String, seen: &Seen) {
    if let Some(pid) = serde_json::from_str::<serde_json::Value>(&ret_msg).ok().and_then(|v| v["pid"].as_u64()) {
        seen.pids.lock().unwrap().insert(pid as u32);
    }
}

/// Runs the load for `duration`; returns the operations started and the errors seen.
async fn run_load(client: &Client, seen: &Arc<Seen>, first_tick: u64, duration: Duration) -> (u64, Vec<String>) {
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = tokio::task::JoinSet::new();
    let mut tick = first_tick;
    let mut errors: Vec<String> = Vec::new();
    let mut keep = |done: Option<Result<Result<(), String>, tokio::task::JoinError>>| {
        if let Some(Ok(Err(e))) = done {
            errors.push(e);
        }
    };
    while started.elapsed() < duration {
        ticker.tick().await;
        tick += 1;
        // Bounded: at most 32 operations in flight (a slow emulator lowers the rate, not piles up).
        while tasks.len() >= 32 {
            keep(tasks.join_next().await);
        }
        while let Some(done) = tasks.try_join_next() {
            keep(Some(done));
        }
        let (client, seen) = (client.clone(), seen.clone());
        tasks.spawn(async move { one_operation(&client, tick, &seen).await });
    }
    while let Some(done) = tasks.join_next().await {
        keep(Some(done));
    }
    (tick - first_tick, errors)
}

/// The emulator at rest (idle instances reaped): resident memory, descriptors by kind, database.
#[derive(Debug, Clone, Copy)]
struct AtRest {
    rss: u64,
    sockets: usize,
    other_fds: usize,
    database: u64,
}

async fn at_rest(pid: u32, dir: &std::path::Path) -> AtRest {
    // The idle timeout (5 s) and the reaper's tick.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let (rss, _) = usage(pid);
    let links: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .collect();
    let sockets = links.iter().filter(|l| l.starts_with("socket:")).count();
    AtRest { rss, sockets, other_fds: links.len() - sockets, database: database_bytes(dir) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scf_local_holds_steady_under_mixed_load() {
    let seconds: u64 = std::env::var("SCF_LOCAL_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let warm_up = Duration::from_secs((seconds / 3).max(20));
    let dir = std::env::temp_dir().join(format!("scf-local-soak-{}", std::process::id()));
    let _ = scf_local::remove_data_dir(&dir);
    let (mut server, client) = serve(&dir);
    let pid = server.0.id();
    client
        .create_function()
        .function_name("steady")
        .runtime("Python3.9")
        .handler("index.main_handler")
        .code(code(ECHO))
        .send()
        .await
        .unwrap();
    client
        .wait_until_function_active()
        .function_name("steady")
        .min_delay(Duration::from_millis(50))
        .max_wait(Duration::from_secs(5))
        .send()
        .await
        .unwrap();

    let seen = Arc::new(Seen::default());
    let (warm_ops, mut errors) = run_load(&client, &seen, 0, warm_up).await;
    let after_warm_up = at_rest(pid, &dir).await;
    let started = Instant::now();
    let (ops, more_errors) = run_load(&client, &seen, warm_ops, Duration::from_secs(seconds) - warm_up).await;
    let loaded = started.elapsed();
    errors.extend(more_errors);
    let at_end = at_rest(pid, &dir).await;
    let operations = warm_ops + ops;

    // Stop it; nothing it started may remain.
    rustix::process::kill_process(rustix::process::Pid::from_child(&server.0), rustix::process::Signal::TERM).unwrap();
    let status = server.0.wait().unwrap();
    let pids: Vec<u32> = seen.pids.lock().unwrap().iter().copied().collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pids.iter().all(|p| gone(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|p| !gone(*p)).collect();

    let mib = |bytes: u64| bytes as f64 / 1048576.0;
    eprintln!(
        "soak: {operations} operations in {seconds} s of load (after warm-up: {:.0}/s), {} errors; at rest after warm-up → at the end: RSS {:.1} → {:.1} MiB, sockets {} → {}, other descriptors {} → {}, database {:.2} → {:.2} MiB (log limit {LOG_LIMIT_MB} MiB); {} instance processes seen, {} left",
        ops as f64 / loaded.as_secs_f64(),
        errors.len(),
        mib(after_warm_up.rss),
        mib(at_end.rss),
        after_warm_up.sockets,
        at_end.sockets,
        after_warm_up.other_fds,
        at_end.other_fds,
        mib(after_warm_up.database),
        mib(at_end.database),
        pids.len(),
        left.len(),
    );
    assert!(errors.is_empty(), "{} unexpected errors, the first: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    assert!(status.success(), "{status}");
    assert!(operations >= RATE * seconds / 2, "the load ran at less than half its rate: {operations}");
    assert!(at_end.rss * 10 < after_warm_up.rss * 11, "memory grew: {after_warm_up:?} → {at_end:?}");
    assert!(at_end.other_fds <= after_warm_up.other_fds + 2, "descriptors grew: {after_warm_up:?} → {at_end:?}");
    // Sockets: the client's pooled connections, at most one per operation in flight.
    assert!(at_end.sockets <= after_warm_up.sockets.max(40), "sockets grew: {after_warm_up:?} → {at_end:?}");
    assert!(left.is_empty(), "left behind: {left:?}");
    let bound = 3 * LOG_LIMIT_MB * 1048576 + 8 * 1048576;
    assert!(at_end.database <= bound, "the database grew past its bound: {at_end:?}");
    scf_local::remove_data_dir(&dir).unwrap();
}
