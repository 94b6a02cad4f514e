//! Load benchmark of `scf-local`: warm `InvokeFunction` of a no-op Python function with many calls
//! in flight, and the cold start of a Python function. The client is `scf-sdk` in this process,
//! over real HTTP on 127.0.0.1 (signing, verification, JSON, the runtime protocol: all of it).
//!
//! ```text
//! cargo bench -p scf-local --bench invoke                      # 60 s, 64 in flight
//! cargo bench -p scf-local --bench invoke -- --seconds 10 --in-flight 32 --cold-starts 20
//! ```
//!
//! Goals (issue 6): ≥ 10,000 invocations/s with p99 ≤ 10 ms and no errors; a cold start ≤ 100 ms.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use scf_local::{Emulator, EmulatorConfig, package};
use scf_sdk::Client;
use scf_sdk::types::Code;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const NO_OP: &str = "def main_handler(event, context):\n    return 'ok'\n";

struct Options {
    seconds: u64,
    in_flight: usize,
    cold_starts: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options { seconds: 60, in_flight: 64, cold_starts: 20 };
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
            eprintln!("error: {message}\nusage: invoke [--seconds N] [--in-flight N] [--cold-starts N]");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), BoxError> {
    let emulator = Emulator::start(EmulatorConfig::default().max_instances(options.in_flight.max(64))).await?;
    let client = emulator.client()?;
    println!(
        "scf-local invoke benchmark ({} logical CPUs)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    if options.cold_starts > 0 {
        cold_starts(&client, options.cold_starts).await?;
    }

    create(&client, "noop").await?;
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
    latencies.sort_unstable();
    let total = latencies.len() as u64 + errors;
    println!("  invocations  {total} ({:.0}/s)", total as f64 / elapsed);
    println!("  errors       {errors}");
    println!(
        "  latency      p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().map_or(0.0, |m| *m as f64 / 1000.0)
    );
    emulator.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

/// Cold starts: the first invocation of each of `count` new functions (a new process, Python's
/// start-up, the handler's import, the runtime's ready call, then the invocation).
async fn cold_starts(client: &Client, count: usize) -> Result<(), BoxError> {
    let mut times = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("cold-{i}");
        create(client, &name).await?;
        let started = Instant::now();
        invoke(client.clone(), &name).await?;
        times.push(started.elapsed().as_micros() as u32);
    }
    times.sort_unstable();
    println!(
        "cold start (first InvokeFunction of a new Python function, {count} functions): p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        percentile(&times, 50.0),
        percentile(&times, 90.0),
        times.last().map_or(0.0, |m| *m as f64 / 1000.0)
    );
    Ok(())
}

async fn create(client: &Client, name: &str) -> Result<(), BoxError> {
    let zip = package::zip_files(&[("index.py", NO_OP)])?;
    client
        .create_function()
        .function_name(name)
        .code(Code::builder().zip_file(package::to_base64(&zip)).build()?)
        .send()
        .await?;
    Ok(())
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
