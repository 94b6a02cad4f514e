//! How fast a Rust function starts and answers: a release build of an example (`echo` by default)
//! run as a real process against a runtime API on 127.0.0.1 that plays the platform's side, as
//! scf-local's does.
//!
//! - cold start: from spawning the process to its `POST /runtime/init/ready` (p50, p90, p99);
//! - warm round trip: from writing an event (the answer to `GET /runtime/invocation/next`) to
//!   reading its `POST /runtime/invocation/response` (p50, p90, p99).
//!
//! ```text
//! cargo bench -p scf-runtime --bench runtime
//! cargo bench -p scf-runtime --bench runtime -- --example lifecycle --cold-starts 200 --invocations 20000
//! ```
//!
//! The example is built first (`cargo build --release --example NAME`, with the `cargo` that runs
//! the benchmark). Goals (issue 11): cold start ≤ 10 ms, warm round trip ≤ 0.3 ms (p50).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use support::{Function, RuntimeApi};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    example: String,
    cold_starts: usize,
    invocations: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options { example: "echo".into(), cold_starts: 100, invocations: 10_000 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, text: String| {
            text.parse::<usize>().map_err(|_| format!("{name}: `{text}` is not a whole number"))
        };
        match arg.as_str() {
            "--example" => options.example = value("--example")?,
            "--cold-starts" => options.cold_starts = number("--cold-starts", value("--cold-starts")?)?.max(1),
            "--invocations" => options.invocations = number("--invocations", value("--invocations")?)?.max(1),
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
            eprintln!("error: {message}\nusage: runtime [--example NAME] [--cold-starts N] [--invocations N]");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
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
    let program = build(&options.example)?;
    let size = std::fs::metadata(&program)?.len();
    println!(
        "scf-runtime benchmark: example `{}` ({}, {:.0} KiB), {} logical CPUs",
        options.example,
        program.display(),
        size as f64 / 1024.0,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let scratch = tempfile::tempdir()?;

    // Cold starts: spawn → init/ready.
    let mut cold = Vec::with_capacity(options.cold_starts);
    for _ in 0..options.cold_starts {
        let mut api = RuntimeApi::bind().await;
        let started = Instant::now();
        let mut function = Function::start(&program, api.port, scratch.path(), &[]);
        let ready = api.request().await;
        cold.push(started.elapsed());
        assert_eq!(ready.path, "/runtime/init/ready");
        function.child.kill().await?;
    }
    report("cold start (spawn → POST /runtime/init/ready)", &mut cold);

    // Warm round trips on one instance.
    let mut api = RuntimeApi::bind().await;
    let _function = Function::start(&program, api.port, scratch.path(), &[]);
    api.expect_ready().await;
    let event = br#"{"key":"value","n":1}"#;
    let mut warm = Vec::with_capacity(options.invocations);
    for n in 0..options.invocations + options.invocations / 10 {
        let next = api.request().await;
        assert_eq!(next.path, "/runtime/invocation/next");
        let id = format!("bench-{n}");
        let started = Instant::now();
        api.respond(200, &[("request_id", &id), ("memory_limit_in_mb", "128"), ("time_limit_in_ms", "3000")], event)
            .await;
        let answer = api.request().await;
        let elapsed = started.elapsed();
        assert_eq!(answer.path, "/runtime/invocation/response", "{}", answer.text());
        api.respond(202, &[], b"").await;
        // The first tenth warms up caches and the allocator.
        if n >= options.invocations / 10 {
            warm.push(elapsed);
        }
    }
    report("warm round trip (event out → result in)", &mut warm);
    Ok(())
}

/// Builds the example in release mode; its path.
fn build(example: &str) -> Result<PathBuf, BoxError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "-p", "scf-runtime", "--example", example, "--message-format=json"])
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("cargo build of the example `{example}` failed").into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == example)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo built no executable for the example `{example}`").into())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: n={} p50={:.3} ms p90={:.3} ms p99={:.3} ms min={:.3} ms max={:.3} ms",
        samples.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}
