//! Load benchmark of `scf-local`: warm `InvokeFunction` of a no-op function with many calls in
//! flight, and the cold start of the same function. The client is `scf-sdk` in this process, over
//! real HTTP on 127.0.0.1 (signing, verification, JSON, the runtime protocol: all of it).
//!
//! The function is Python (`--runtime python`, the default) or compiled (`--runtime rust`:
//! scf-runtime's `noop` example as a `CustomRuntime` bootstrap, built here with `cargo build
//! --release`). Besides the rate and the latencies it prints the CPU time per invocation of the
//! emulator, of the client and of the function processes: the emulator runs on a Tokio runtime of
//! its own, whose threads are named, and each thread's CPU time is read from `/proc`.
//!
//! `--floor` (compiled function only) runs the same warm phase against a minimal relay instead of
//! the emulator: the same client, the same function binary and the same three HTTP exchanges per
//! invocation (the SDK's `InvokeFunction`, the runtime's `next` long poll, its `response`), but no
//! signature check, no function state, no logs and no memory probe. Its figures are the least an
//! emulator serving these exchanges with hyper on Tokio costs on the machine: the bound the
//! emulator's own figures are judged against (cold starts are not measured with it).
//!
//! ```text
//! cargo bench -p scf-local --bench invoke                      # 60 s, 64 in flight, Python
//! cargo bench -p scf-local --bench invoke -- --runtime rust --seconds 10 --cold-starts 20
//! cargo bench -p scf-local --bench invoke -- --runtime rust --floor --seconds 10
//! ```
//!
//! Goals (issue 12): the compiled function ≥ 12,000 invocations/s with p99 ≤ 10 ms and no errors,
//! the Python one ≥ 7,000/s; a cold start ≤ 10 ms p90 (compiled), ≤ 50 ms p90 (Python).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use scf_local::{Emulator, EmulatorConfig, package};
use scf_sdk::Client;
use scf_sdk::types::Code;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const NO_OP: &str = "def main_handler(event, context):\n    return 'ok'\n";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Runtime {
    Python,
    Rust,
}

struct Options {
    seconds: u64,
    in_flight: usize,
    cold_starts: usize,
    runtime: Runtime,
    /// Against the floor relay instead of the emulator.
    floor: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options { seconds: 60, in_flight: 64, cold_starts: 20, runtime: Runtime::Python, floor: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            text.parse().map_err(|_| format!("{name}: `{text}` is not a whole number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds")? as u64,
            "--in-flight" => options.in_flight = value("--in-flight")?.max(1),
            "--cold-starts" => options.cold_starts = value("--cold-starts")?,
            "--runtime" => {
                options.runtime = match args.next().as_deref() {
                    Some("python") => Runtime::Python,
                    Some("rust") => Runtime::Rust,
                    other => return Err(format!("--runtime takes `python` or `rust`, not {other:?}")),
                }
            }
            "--floor" => options.floor = true,
            // What `cargo bench` passes to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.floor && options.runtime != Runtime::Rust {
        return Err("--floor runs the compiled function only: add `--runtime rust`".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: invoke [--runtime python|rust] [--seconds N] [--in-flight N] [--cold-starts N]\n       invoke --runtime rust --floor [--seconds N] [--in-flight N]"
            );
            return ExitCode::from(2);
        }
    };
    // Two runtimes: the emulator's threads are told apart from the client's by their names.
    let build = |name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name(name)
            // Blocking threads live through the run, so their CPU time is still there to read.
            .thread_keep_alive(Duration::from_secs(3600))
            .enable_all()
            .build()
    };
    let (emulator_runtime, client_runtime) = match (build(EMULATOR_THREADS), build("bench-client")) {
        (Ok(emulator), Ok(client)) => (emulator, client),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("error: cannot start the async runtimes: {error}");
            return ExitCode::FAILURE;
        }
    };
    match client_runtime.block_on(run(options, emulator_runtime.handle().clone())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The name of the emulator's runtime threads (at most 15 bytes: the kernel's limit for a name).
const EMULATOR_THREADS: &str = "scf-local-emu";

async fn run(options: Options, emulator_runtime: tokio::runtime::Handle) -> Result<(), BoxError> {
    if options.floor {
        return run_floor(options, emulator_runtime).await;
    }
    let package = Package::new(options.runtime)?;
    // Started on its own runtime: every task it spawns (connections, instances) runs there.
    let config = EmulatorConfig::default().max_instances(options.in_flight.max(64));
    let emulator = emulator_runtime.spawn(Emulator::start(config)).await??;
    let client = emulator.client()?;
    print_banner(options.runtime, "");

    if options.cold_starts > 0 {
        cold_starts(&client, &package, options.cold_starts).await?;
    }

    create(&client, &package, "noop").await?;
    warm(&client, &options, || {
        format!(
            "warm InvokeFunction, {} in flight, {} s, {} instances",
            options.in_flight,
            options.seconds,
            emulator.live_instances()
        )
    })
    .await?;
    emulator_runtime.spawn(async move { emulator.shutdown(Duration::from_secs(5)).await }).await?;
    Ok(())
}

/// `--floor`: the warm phase against [`floor::Relay`], started on the emulator's runtime so that
/// its CPU time is counted as the emulator's.
async fn run_floor(options: Options, emulator_runtime: tokio::runtime::Handle) -> Result<(), BoxError> {
    let noop = build_noop()?;
    let relay = emulator_runtime.spawn(floor::Relay::start(noop, options.in_flight)).await??;
    // The relay checks no signature; any key will do.
    let config = scf_sdk::runtime::Config::builder()
        .endpoint_url(relay.endpoint.clone())
        .credentials(scf_sdk::runtime::Credentials::new("AKIDfloor", "floor"))
        .region("ap-guangzhou")
        .build();
    let client = Client::new(config)?;
    print_banner(options.runtime, ", floor relay");
    warm(&client, &options, || {
        format!(
            "warm InvokeFunction against the floor relay (no signature check, no state, no logs, no memory probe), \
             {} in flight, {} s, {} function processes",
            options.in_flight,
            options.seconds,
            relay.processes()
        )
    })
    .await?;
    emulator_runtime.spawn(relay.stop()).await?;
    Ok(())
}

fn print_banner(runtime: Runtime, mode: &str) {
    println!(
        "scf-local invoke benchmark, {runtime:?} no-op{mode} ({} logical CPUs, load {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
}

/// The warm phase, the same in both modes: one call per worker first (in the emulator, this starts
/// the instances), then `in_flight` workers call `noop` in a loop for `seconds`. Prints `header`
/// (made after the warm-up, so it may count instances), the rate, the CPU time per invocation and
/// the latencies.
async fn warm(client: &Client, options: &Options, header: impl FnOnce() -> String) -> Result<(), BoxError> {
    let warm_up: Vec<_> = (0..options.in_flight).map(|_| tokio::spawn(invoke(client.clone(), "noop"))).collect();
    for call in warm_up {
        call.await??;
    }
    println!("\n{}", header());
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let cpu_before = (threads_cpu(), children_cpu());
    let started = Instant::now();
    let workers: Vec<_> = (0..options.in_flight)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(1 << 16);
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let call = Instant::now();
                    match invoke(client.clone(), "noop").await {
                        Ok(()) => latencies.push(call.elapsed().as_micros() as u32),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (mut l, e) = worker.await?;
        latencies.append(&mut l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (emulator_after, client_after) = threads_cpu();
    let emulator_cpu = emulator_after.saturating_sub(cpu_before.0.0);
    let client_cpu = client_after.saturating_sub(cpu_before.0.1);
    let function_cpu = children_cpu().saturating_sub(cpu_before.1);
    latencies.sort_unstable();
    let total = latencies.len() as u64 + errors;
    let per_call = |cpu: Duration| cpu.as_secs_f64() * 1e6 / total.max(1) as f64;
    println!("  invocations  {total} ({:.0}/s, load {})", total as f64 / elapsed, load_average());
    println!("  errors       {errors}");
    println!(
        "  CPU          {:.1} µs/invocation in the emulator, {:.1} µs in the SDK client, {:.1} µs in the function processes",
        per_call(emulator_cpu),
        per_call(client_cpu),
        per_call(function_cpu)
    );
    println!(
        "  latency      p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().map_or(0.0, |m| *m as f64 / 1000.0)
    );
    Ok(())
}

/// Cold starts: the first invocation of each of `count` new functions (a new process, Python's
/// start-up, the handler's import, the runtime's ready call, then the invocation).
async fn cold_starts(client: &Client, package: &Package, count: usize) -> Result<(), BoxError> {
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("cold-{i}");
        create(client, package, &name).await?;
        let started = Instant::now();
        invoke(client.clone(), &name).await?;
        times.push(started.elapsed().as_micros() as u32);
    }
    times.sort_unstable();
    println!(
        "cold start (first InvokeFunction of a new {:?} function, {count} functions): p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        package.runtime,
        percentile(&times, 50.0),
        percentile(&times, 90.0),
        times.last().map_or(0.0, |m| *m as f64 / 1000.0)
    );
    if package.runtime == Runtime::Python {
        interpreter_start(count)?;
    }
    Ok(())
}

/// The anchor for Python's cold start: the interpreter alone starting and exiting (`-u -c pass`,
/// `site` and whatever `.pth` files the installation has included), `count` times — what no
/// emulator can take off a Python function's cold start on this machine.
fn interpreter_start(count: usize) -> Result<(), BoxError> {
    // The interpreter the emulator runs: `python3` on `PATH`, resolved past any shim.
    let output = std::process::Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output()?;
    let python = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || python.is_empty() {
        return Err("`python3` could not say where it is".into());
    }
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        // A bare environment, as the emulator gives its functions (none of this shell's `PYTHON…`).
        let status = std::process::Command::new(&python)
            .args(["-u", "-c", "pass"])
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .status()?;
        if !status.success() {
            return Err(format!("`{python} -u -c pass` failed: {status}").into());
        }
        times.push(started.elapsed().as_micros() as u32);
    }
    times.sort_unstable();
    println!(
        "  the interpreter alone ({python} -u -c pass, {count} times): p50 {:.1} ms, p90 {:.1} ms",
        percentile(&times, 50.0),
        percentile(&times, 90.0)
    );
    Ok(())
}

/// The no-op function's code package.
struct Package {
    runtime: Runtime,
    zip_base64: String,
}

impl Package {
    fn new(runtime: Runtime) -> Result<Package, BoxError> {
        let zip = match runtime {
            Runtime::Python => package::zip_files(&[("index.py", NO_OP.as_bytes().to_vec())])?,
            Runtime::Rust => package::zip_files(&[("bootstrap", std::fs::read(build_noop()?)?)])?,
        };
        Ok(Package { runtime, zip_base64: package::to_base64(&zip) })
    }

    fn runtime_name(&self) -> &'static str {
        match self.runtime {
            Runtime::Python => "Python3.9",
            Runtime::Rust => "CustomRuntime",
        }
    }
}

/// Builds scf-runtime's `noop` example with cargo (release) and returns the executable's path.
fn build_noop() -> Result<std::path::PathBuf, BoxError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building scf-runtime's `noop` example (cargo build --release)…");
    let output = std::process::Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "scf-runtime", "--example", "noop", "--message-format=json"])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err("cargo could not build scf-runtime's `noop` example".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "noop")
        .find_map(|message| message["executable"].as_str().map(std::path::PathBuf::from))
        .ok_or_else(|| "cargo did not name the `noop` executable".into())
}

async fn create(client: &Client, package: &Package, name: &str) -> Result<(), BoxError> {
    client
        .create_function()
        .function_name(name)
        .runtime(package.runtime_name())
        .code(Code::builder().zip_file(package.zip_base64.clone()).build()?)
        .send()
        .await?;
    Ok(())
}

/// User + system CPU time of a process, from its `/proc/<pid>/stat` (in 1/100 s).
/// CPU time of this process's threads: the emulator's runtime threads, and every other one (the
/// client's runtime, the main thread).
fn threads_cpu() -> (Duration, Duration) {
    let (mut emulator, mut others) = (0, 0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
            let name = stat.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')')).map_or("", |(name, _)| name);
            let ticks = stat_ticks(&stat, &[11, 12]);
            if name == EMULATOR_THREADS {
                emulator += ticks;
            } else {
                others += ticks;
            }
        }
    }
    (Duration::from_millis(emulator * 10), Duration::from_millis(others * 10))
}

/// CPU time of the function processes: every process descended from this one (running, or
/// exited and waited for: their parents' cutime and cstime).
fn children_cpu() -> Duration {
    let mut processes = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            let fields: Vec<u64> = stat
                .rsplit_once(')')
                .map_or("", |(_, rest)| rest)
                .split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or(0);
            // Field 4 of the line (the parent) is the second after the name; then utime, stime,
            // cutime, cstime at 11 to 14.
            processes.push((pid, field(1) as u32, field(11) + field(12), field(13) + field(14)));
        }
    }
    let mut family = vec![std::process::id()];
    let mut ticks = 0;
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        for &(pid, ppid, own, children) in &processes {
            if pid == parent {
                ticks += children + if i == 0 { 0 } else { own };
            }
            if ppid == parent && !family.contains(&pid) {
                family.push(pid);
            }
        }
        i += 1;
    }
    Duration::from_millis(ticks * 10)
}

/// The sum of the given fields of a `/proc/…/stat` line, counted after the command name.
fn stat_ticks(stat: &str, indexes: &[usize]) -> u64 {
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    indexes.iter().map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0)).sum()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn invoke(client: Client, name: &str) -> Result<(), BoxError> {
    let response = client.invoke_function().function_name(name).send().await?;
    if response.result.ret_msg != "\"ok\"" {
        return Err(format!("unexpected result: {}", response.result.ret_msg).into());
    }
    Ok(())
}

/// The `p`th percentile of sorted microseconds, in milliseconds.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[index] as f64 / 1000.0
}

/// The floor relay (`--floor`): the least an emulator can do for one warm invocation while keeping
/// its three HTTP/1.1 exchanges, so that the emulator's figures can be read against it. It keeps
/// what no emulator can drop — an HTTP server for the API and one for the runtime API, reading each
/// body, handing each event to an idle function process and matching its answer to the caller —
/// and nothing else: no signature check, no function records, no logs, no memory probe, no
/// timeouts.
mod floor {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::path::PathBuf;
    use std::process::Stdio;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};
    use hyper::body::Incoming;
    use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
    use hyper::server::conn::http1;
    use hyper::service::{Service, service_fn};
    use hyper::{Method, Request, Response, StatusCode};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;
    use tokio::process::{Child, Command};
    use tokio::sync::{mpsc, oneshot};
    use tokio::task::JoinHandle;

    use super::BoxError;

    /// How long the function processes may take to say they are ready.
    const READY_TIMEOUT: Duration = Duration::from_secs(30);

    /// A running relay: its API endpoint, the function processes, the two accept loops.
    pub(super) struct Relay {
        pub endpoint: String,
        processes: Vec<Child>,
        servers: [JoinHandle<()>; 2],
    }

    impl Relay {
        /// Opens both listeners and starts `count` processes of `program` (a `CustomRuntime`
        /// bootstrap), then waits until each said it is ready. To be run on the emulator's runtime:
        /// the connections' tasks are spawned where this runs.
        pub async fn start(program: PathBuf, count: usize) -> Result<Relay, BoxError> {
            let api = TcpListener::bind("127.0.0.1:0").await?;
            let runtime_api = TcpListener::bind("127.0.0.1:0").await?;
            let endpoint = format!("http://{}", api.local_addr()?);
            let runtime_port = runtime_api.local_addr()?.port();
            let (ready, mut readies) = mpsc::unbounded_channel();
            let shared = Arc::new(Shared { queue: Mutex::default(), ready });
            let servers = [
                serve(api, {
                    let shared = Arc::clone(&shared);
                    move || {
                        let shared = Arc::clone(&shared);
                        service_fn(move |request| invoke_function(Arc::clone(&shared), request))
                    }
                }),
                serve(runtime_api, move || {
                    let shared = Arc::clone(&shared);
                    // One process, one keep-alive connection (scf-runtime's client): the
                    // connection is what ties a `response` to the event its `next` received, as a
                    // listener of its own per instance does in the emulator.
                    let current = Arc::new(Mutex::new(None));
                    service_fn(move |request| runtime_api_request(Arc::clone(&shared), Arc::clone(&current), request))
                }),
            ];
            let mut relay = Relay { endpoint, processes: Vec::with_capacity(count), servers };
            for _ in 0..count {
                relay.processes.push(function_command(&program, runtime_port).spawn()?);
            }
            // Waiting here turns a process that cannot start into an error, not a hung benchmark.
            let mut ready_count = 0;
            let all_ready = async {
                while ready_count < count && readies.recv().await.is_some() {
                    ready_count += 1;
                }
            };
            if tokio::time::timeout(READY_TIMEOUT, all_ready).await.is_err() {
                relay.stop().await;
                return Err(format!(
                    "only {ready_count} of {count} function processes said they were ready within {} s",
                    READY_TIMEOUT.as_secs()
                )
                .into());
            }
            Ok(relay)
        }

        /// How many function processes it started.
        pub fn processes(&self) -> usize {
            self.processes.len()
        }

        /// Kills the function processes and waits for them (they are reaped, so nothing is left).
        pub async fn stop(mut self) {
            for process in &mut self.processes {
                let _ = process.start_kill();
            }
            for process in &mut self.processes {
                let _ = process.wait().await;
            }
        }
    }

    impl Drop for Relay {
        fn drop(&mut self) {
            // The processes are killed on drop (`kill_on_drop`); the listeners close here.
            for server in &self.servers {
                server.abort();
            }
        }
    }

    /// The environment scf-local gives a `CustomRuntime` instance (src/service/invoke.rs and
    /// src/runtime/instance.rs), so the function does at start-up what it does there.
    fn function_command(program: &std::path::Path, runtime_port: u16) -> Command {
        let scratch = std::env::temp_dir();
        let code_dir = program.parent().unwrap_or(&scratch).to_owned();
        let mut command = Command::new(program);
        command
            .current_dir(&code_dir)
            .env_clear()
            .envs([
                ("PATH", "/usr/local/bin:/usr/bin:/bin"),
                ("LANG", "C.UTF-8"),
                ("LC_ALL", "C.UTF-8"),
                ("TENCENTCLOUD_RUNENV", "SCF"),
                ("TENCENTCLOUD_REGION", "ap-guangzhou"),
                ("TENCENTCLOUD_APPID", "1250000000"),
                ("TENCENTCLOUD_UIN", "100000000001"),
                ("TENCENTCLOUD_TZ", "UTC"),
                ("SCF_RUNTIME", "CustomRuntime"),
                ("SCF_FUNCTIONNAME", "noop"),
                ("SCF_FUNCTIONVERSION", "$LATEST"),
                ("SCF_NAMESPACE", "default"),
                ("_HANDLER", "index.main_handler"),
                ("SCF_RUNTIME_API", "127.0.0.1"),
            ])
            .env("SCF_RUNTIME_API_PORT", runtime_port.to_string())
            .env("USER_CODE_ROOT", &code_dir)
            .env("HOME", &scratch)
            .env("TMPDIR", &scratch)
            // No logs are kept: stdout goes nowhere. stderr is the benchmark's, so a function that
            // cannot start says why.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        command
    }

    /// An event on its way to a function process, and where its answer goes.
    struct Job {
        request_id: String,
        event: Bytes,
        done: oneshot::Sender<Answer>,
    }

    /// What the function posted.
    enum Answer {
        Response(Bytes),
        Error(Bytes),
    }

    /// The pool shared by every function process: at any time, either idle processes (their `next`
    /// long polls, waiting) or invocations waiting for one, never both.
    #[derive(Default)]
    struct Queue {
        idle: VecDeque<oneshot::Sender<Job>>,
        waiting: VecDeque<Job>,
    }

    struct Shared {
        queue: Mutex<Queue>,
        ready: mpsc::UnboundedSender<()>,
    }

    impl Shared {
        /// Gives `job` to an idle process, or queues it until one asks.
        fn dispatch(&self, mut job: Job) {
            let mut queue = lock(&self.queue);
            while let Some(process) = queue.idle.pop_front() {
                match process.send(job) {
                    Ok(()) => return,
                    // That long poll's connection closed: the job comes back for the next one.
                    Err(back) => job = back,
                }
            }
            queue.waiting.push_back(job);
        }

        /// The next job for a process: a waiting one, or the next to come.
        async fn next_job(&self) -> Option<Job> {
            let job = {
                let mut queue = lock(&self.queue);
                if let Some(job) = queue.waiting.pop_front() {
                    return Some(job);
                }
                let (sender, job) = oneshot::channel();
                queue.idle.push_back(sender);
                job
            };
            job.await.ok()
        }
    }

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(|e| e.into_inner())
    }

    type HttpResponse = Response<Full<Bytes>>;

    /// Accepts connections on `listener` and serves each with a new `service_for` service, as
    /// plain HTTP/1.1 with keep-alive (hyper's defaults: no timer, no timeouts).
    fn serve<F, S>(listener: TcpListener, mut service_for: F) -> JoinHandle<()>
    where
        F: FnMut() -> S + Send + 'static,
        S: Service<Request<Incoming>, Response = HttpResponse, Error = Infallible> + Send + 'static,
        S::Future: Send + 'static,
    {
        tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // Out of descriptors, or a connection gone before it was accepted: try again.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                // Answers are written whole; waiting to coalesce them would only add latency.
                let _ = stream.set_nodelay(true);
                let service = service_for();
                tokio::spawn(async move {
                    // An error here is the peer going away; it ends that connection only.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        })
    }

    fn status(status: StatusCode) -> HttpResponse {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        response
    }

    /// InvokeFunction's parameters: only the event is read (a JSON string, as the SDK sends it).
    #[derive(serde::Deserialize)]
    struct InvokeFunction {
        #[serde(rename = "Event")]
        event: Option<String>,
    }

    /// The API: any request is an `InvokeFunction` (action, function and signature unread).
    async fn invoke_function(shared: Arc<Shared>, request: Request<Incoming>) -> Result<HttpResponse, Infallible> {
        let Ok(body) = request.into_body().collect().await.map(|body| body.to_bytes()) else {
            return Ok(status(StatusCode::BAD_REQUEST));
        };
        let event = match serde_json::from_slice::<InvokeFunction>(&body) {
            Ok(InvokeFunction { event: Some(event) }) => Bytes::from(event),
            // No event: `{}`, as the emulator passes it.
            Ok(InvokeFunction { event: None }) => Bytes::from_static(b"{}"),
            Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
        };
        let request_id = request_id();
        let (done, answer) = oneshot::channel();
        shared.dispatch(Job { request_id: request_id.clone(), event, done });
        // The process's connection closed mid-invocation: no answer will come.
        let Ok(answer) = answer.await else {
            return Ok(status(StatusCode::BAD_GATEWAY));
        };
        let (ret_msg, err_msg, invoke_result) = match &answer {
            Answer::Response(result) => (json_string(result), "\"\"".to_owned(), 0),
            Answer::Error(error) => (json_string(error), json_string(error), 1),
        };
        let body = format!(
            r#"{{"Response":{{"Result":{{"MemUsage":0,"Log":"","RetMsg":{ret_msg},"BillDuration":1,"FunctionRequestId":"{request_id}","Duration":0.1,"ErrMsg":{err_msg},"InvokeResult":{invoke_result}}},"RequestId":"{request_id}"}}}}"#
        );
        let mut response = Response::new(Full::new(Bytes::from(body)));
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(response)
    }

    /// Text as a JSON string (`RetMsg` and `ErrMsg` carry the function's JSON as text).
    fn json_string(bytes: &[u8]) -> String {
        serde_json::to_string(&String::from_utf8_lossy(bytes)).unwrap_or_else(|_| "\"\"".to_owned())
    }

    /// A request id unique within the run (the SDK takes any text; the emulator's are UUIDs).
    fn request_id() -> String {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        format!("floor-{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    enum Route {
        Ready,
        Next,
        Response,
        Error,
    }

    /// The runtime API of every process. `current` is the invocation this connection's process is
    /// running: set by `next`, completed by `response` or `error`. Both spellings of the answer's
    /// path are served: `/runtime/invocation/response` (what scf-runtime posts) and
    /// `/runtime/invocation/{request_id}/response`.
    async fn runtime_api_request(
        shared: Arc<Shared>,
        current: Arc<Mutex<Option<oneshot::Sender<Answer>>>>,
        request: Request<Incoming>,
    ) -> Result<HttpResponse, Infallible> {
        let path = request.uri().path();
        let answer = path.strip_prefix("/runtime/invocation/");
        let route = match *request.method() {
            Method::POST if path == "/runtime/init/ready" => Route::Ready,
            Method::GET if path == "/runtime/invocation/next" => Route::Next,
            Method::POST if answer.is_some_and(|rest| rest == "response" || rest.ends_with("/response")) => {
                Route::Response
            }
            Method::POST if answer.is_some_and(|rest| rest == "error" || rest.ends_with("/error")) => Route::Error,
            _ => return Ok(status(StatusCode::NOT_FOUND)),
        };
        // Every body is read, even when unused: an unread body would close the connection.
        let Ok(body) = request.into_body().collect().await.map(|body| body.to_bytes()) else {
            return Ok(status(StatusCode::BAD_REQUEST));
        };
        let completion = match route {
            Route::Ready => {
                let _ = shared.ready.send(());
                return Ok(status(StatusCode::ACCEPTED));
            }
            Route::Next => {
                let Some(job) = shared.next_job().await else {
                    return Ok(status(StatusCode::GONE));
                };
                *lock(&current) = Some(job.done);
                let mut response = Response::new(Full::new(job.event));
                let headers = response.headers_mut();
                if let Ok(request_id) = HeaderValue::try_from(job.request_id) {
                    headers.insert(HeaderName::from_static("request_id"), request_id);
                }
                headers.insert(HeaderName::from_static("memory_limit_in_mb"), HeaderValue::from_static("128"));
                headers.insert(HeaderName::from_static("time_limit_in_ms"), HeaderValue::from_static("3000"));
                return Ok(response);
            }
            Route::Response => Answer::Response(body),
            Route::Error => Answer::Error(body),
        };
        let done = lock(&current).take();
        Ok(match done {
            Some(done) => {
                let _ = done.send(completion);
                status(StatusCode::ACCEPTED)
            }
            // An answer with no event in progress on this connection.
            None => status(StatusCode::CONFLICT),
        })
    }
}
