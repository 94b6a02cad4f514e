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
//! ```text
//! cargo bench -p scf-local --bench invoke                      # 60 s, 64 in flight, Python
//! cargo bench -p scf-local --bench invoke -- --runtime rust --seconds 10 --cold-starts 20
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
}

fn options() -> Result<Options, String> {
    let mut options = Options { seconds: 60, in_flight: 64, cold_starts: 20, runtime: Runtime::Python };
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
            // What `cargo bench` passes to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: invoke [--runtime python|rust] [--seconds N] [--in-flight N] [--cold-starts N]"
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
    let package = Package::new(options.runtime)?;
    // Started on its own runtime: every task it spawns (connections, instances) runs there.
    let config = EmulatorConfig::default().max_instances(options.in_flight.max(64));
    let emulator = emulator_runtime.spawn(Emulator::start(config)).await??;
    let client = emulator.client()?;
    println!(
        "scf-local invoke benchmark, {:?} no-op ({} logical CPUs, load {})",
        options.runtime,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );

    if options.cold_starts > 0 {
        cold_starts(&client, &package, options.cold_starts).await?;
    }

    create(&client, &package, "noop").await?;
    // Warm up: start one instance per call in flight.
    let warm_up: Vec<_> = (0..options.in_flight).map(|_| tokio::spawn(invoke(client.clone(), "noop"))).collect();
    for call in warm_up {
        call.await??;
    }
    println!(
        "\nwarm InvokeFunction, {} in flight, {} s, {} instances",
        options.in_flight,
        options.seconds,
        emulator.live_instances()
    );
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
    emulator_runtime.spawn(async move { emulator.shutdown(Duration::from_secs(5)).await }).await?;
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
