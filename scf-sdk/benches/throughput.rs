//! `cargo bench -p scf-sdk --bench throughput`: how many small `InvokeFunction` calls per second the
//! SDK makes, beside bare `reqwest` posting the same body to the same server.
//!
//! The server is this program started again as a child process (`--serve`): a minimal HTTP/1.1
//! keep-alive server on 127.0.0.1 answering every request with one canned `InvokeFunction` answer.
//! It runs apart so that the CPU time and allocations measured here are the client's alone.
//!
//! Three clients take turns: bare `reqwest` (the same connection settings as the SDK's transport,
//! the same body and headers, prepared once); "signed+typed", the same bare call plus what any
//! signed, typed client must do per call (encode the typed request with serde_json, hash and sign
//! it, decode the answer into the typed output in one pass), with nothing else: no validation, no
//! retries, no tracing, and the signing key derived afresh each call by `sign::sign`; and
//! `Client::invoke_function().send()`. Each runs `--in-flight` calls at a time, in half-second
//! slices taken in turn for `--seconds` each per round, so that the machine's slower moments (this
//! is often a VM, with other guests taking CPU time) fall on all three alike. For each it prints the
//! rate, the client's CPU time per call (user + system, from `/proc/self/stat`), the server's, and
//! heap allocations per call (a counting allocator). The summary gives the median ratios to bare
//! `reqwest` over the rounds (goal for the SDK: ≥ 85%).
//!
//! ```text
//! cargo bench -p scf-sdk --bench throughput
//! cargo bench -p scf-sdk --bench throughput -- --seconds 5 --rounds 5 --in-flight 64
//! cargo bench -p scf-sdk --bench throughput -- --only sdk --seconds 20   # one client, for a profiler
//! cargo bench -p scf-sdk --bench throughput -- --only floor --seconds 20 # signed+typed alone
//! ```
#![allow(unsafe_code)] // The counting allocator below; nothing else.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead as _, Write as _};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use scf_sdk::Client;
use scf_sdk::actions::{InvokeFunctionRequest, InvokeFunctionResponse};
use scf_sdk::runtime::{Action as _, Config, Credentials, sign};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Counts allocations (and reallocations) on top of the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a client runs before the next takes its turn.
const SLICE: Duration = Duration::from_millis(500);

const FUNCTION_NAME: &str = "bench";
const SECRET_ID: &str = "AKIDbenchmark000000000000000000000";
const SECRET_KEY: &str = "benchmark-secret-key-00000000000";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// What the SDK sends for `invoke_function().function_name(FUNCTION_NAME)`; bare reqwest sends it too.
const BODY: &str = r#"{"FunctionName":"bench"}"#;
/// The canned answer: what the service answers a successful synchronous invocation.
const ANSWER: &str = r#"{"Response":{"Result":{"MemUsage":7671808,"Log":"","RetMsg":"\"ok\"","BillDuration":1,"FunctionRequestId":"6f1a3f33-4e4b-4d25-9e0c-6a3f3b5b9c11","Duration":0.53,"ErrMsg":"","InvokeResult":0},"RequestId":"3c140219-cfe9-470e-b241-907877d6fb03"}}"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Which {
    // The values index the rates of a round.
    Bare = 0,
    Sdk = 1,
    Floor = 2,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Bare => "bare reqwest",
            Which::Sdk => "scf-sdk",
            Which::Floor => "signed+typed",
        }
    }
}

struct Options {
    seconds: u64,
    rounds: usize,
    in_flight: usize,
    only: Option<Which>,
    threads: usize,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut options = Options { seconds: 5, rounds: 3, in_flight: 64, only: None, threads: 2 };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            text.parse().map_err(|_| format!("{name}: `{text}` is not a whole number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = value("--seconds")?.max(1) as u64,
            "--rounds" => options.rounds = value("--rounds")?.max(1),
            "--in-flight" => options.in_flight = value("--in-flight")?.max(1),
            "--threads" => options.threads = value("--threads")?.max(1),
            "--only" => {
                options.only = match args.next().map(String::as_str) {
                    Some("sdk") => Some(Which::Sdk),
                    Some("bare") => Some(Which::Bare),
                    Some("floor") => Some(Which::Floor),
                    other => return Err(format!("--only takes `sdk`, `bare` or `floor`, not {other:?}")),
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return match serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("server: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\nusage: throughput [--seconds N] [--rounds N] [--in-flight N] [--threads N] [--only sdk|bare|floor]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The server process, stopped when the benchmark ends (or dies: the server exits when its
/// standard input closes).
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Result<Server, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the server has no standard output")?;
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let port = line.trim().parse().map_err(|_| format!("the server said `{}`, not its port", line.trim()))?;
        Ok(Server { child, port })
    }

    /// The server's CPU time so far.
    fn cpu(&self) -> Duration {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU time of a process, from its `/proc/<pid>/stat` (in 1/100 s).
fn cpu_time(path: &str) -> Duration {
    let Ok(stat) = std::fs::read_to_string(path) else { return Duration::ZERO };
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the line; 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Phase {
    which: Which,
    calls: u64,
    errors: u64,
    seconds: f64,
    client_cpu: Duration,
    server_cpu: Duration,
    allocations: u64,
}

impl Phase {
    fn new(which: Which) -> Phase {
        Phase {
            which,
            calls: 0,
            errors: 0,
            seconds: 0.0,
            client_cpu: Duration::ZERO,
            server_cpu: Duration::ZERO,
            allocations: 0,
        }
    }

    fn rate(&self) -> f64 {
        self.calls as f64 / self.seconds
    }

    fn per_call(&self, cpu: Duration) -> f64 {
        cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }

    fn print(&self) {
        println!(
            "  {:<12} {:>8.0} calls/s  client CPU {:>5.1} µs/call  server CPU {:>4.1} µs/call  {:>5.1} allocations/call  errors {}  (load {})",
            self.which.name(),
            self.rate(),
            self.per_call(self.client_cpu),
            self.per_call(self.server_cpu),
            self.allocations as f64 / self.calls.max(1) as f64,
            self.errors,
            load_average(),
        );
    }
}

fn run(options: &Options) -> Result<(), BoxError> {
    let server = Server::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(options.threads).enable_all().build()?;
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let config = Config::builder()
        .region("ap-guangzhou")
        .endpoint_url(&endpoint)
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build();
    let sdk = Client::new(config)?;
    let bare = Arc::new(Bare::new(&endpoint)?);
    println!(
        "scf-sdk throughput: {} in flight, {} s per client per round, {} client threads, {} logical CPUs, server pid {}",
        options.in_flight,
        options.seconds,
        options.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server.child.id()
    );
    // Warm up each (connections, pools, lazy statics).
    for which in [Which::Bare, Which::Floor, Which::Sdk] {
        runtime.block_on(drive(which, &bare, &sdk, options.in_flight, Duration::from_millis(500)))?;
    }
    let order: &[Which] = match options.only {
        Some(Which::Bare) => &[Which::Bare],
        Some(Which::Sdk) => &[Which::Sdk],
        Some(Which::Floor) => &[Which::Floor],
        None => &[Which::Bare, Which::Floor, Which::Sdk],
    };
    // Per round: (SDK / bare, signed+typed / bare).
    let mut ratios = Vec::new();
    let mut phases = Vec::new();
    for round in 1..=options.rounds {
        println!("round {round}");
        // The clients take turns in slices, so that the machine's slower and faster moments (a VM
        // here: other guests take CPU time) fall on all of them alike; each slice, and each
        // round, starts with another client.
        let mut totals: Vec<Phase> = order.iter().map(|&which| Phase::new(which)).collect();
        let slices = (options.seconds * 1000).div_ceil(SLICE.as_millis() as u64).max(1);
        for slice in 0..slices as usize {
            for i in (0..order.len()).cycle().skip(round - 1 + slice).take(order.len()) {
                let which = order[i];
                let cpu_before = cpu_time("/proc/self/stat");
                let server_before = server.cpu();
                let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
                let started = Instant::now();
                let (calls, errors) = runtime.block_on(drive(which, &bare, &sdk, options.in_flight, SLICE))?;
                let total = &mut totals[i];
                total.calls += calls;
                total.errors += errors;
                total.seconds += started.elapsed().as_secs_f64();
                total.client_cpu += cpu_time("/proc/self/stat").saturating_sub(cpu_before);
                total.server_cpu += server.cpu().saturating_sub(server_before);
                total.allocations += ALLOCATIONS.load(Ordering::Relaxed) - allocations_before;
            }
        }
        let mut rates = [0.0; 3];
        for phase in totals {
            phase.print();
            rates[phase.which as usize] = phase.rate();
            phases.push(phase);
        }
        if options.only.is_none() {
            let bare = rates[Which::Bare as usize];
            let (sdk, floor) = (rates[Which::Sdk as usize] / bare, rates[Which::Floor as usize] / bare);
            println!("  ratio        scf-sdk {:.1}%, signed+typed {:.1}% of bare reqwest", sdk * 100.0, floor * 100.0);
            ratios.push((sdk, floor));
        }
    }
    if !ratios.is_empty() {
        let median = |mut values: Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let cpu = |which: Which| {
            median(phases.iter().filter(|p| p.which == which).map(|p| p.per_call(p.client_cpu)).collect())
        };
        let allocations = |which: Which| {
            let (calls, allocations) =
                phases.iter().filter(|p| p.which == which).fold((0, 0), |(c, a), p| (c + p.calls, a + p.allocations));
            allocations as f64 / calls.max(1) as f64
        };
        println!(
            "summary (medians of {} rounds):\n  scf-sdk at {:.1}% of bare reqwest (goal ≥ 85%); signed+typed (bare reqwest + encode, sign, decode) at {:.1}%",
            ratios.len(),
            median(ratios.iter().map(|r| r.0).collect()) * 100.0,
            median(ratios.iter().map(|r| r.1).collect()) * 100.0,
        );
        println!(
            "  client CPU per call: bare {:.1} µs, signed+typed {:.1} µs, scf-sdk {:.1} µs ({:.2}× bare, {:.2}× signed+typed)",
            cpu(Which::Bare),
            cpu(Which::Floor),
            cpu(Which::Sdk),
            cpu(Which::Sdk) / cpu(Which::Bare),
            cpu(Which::Sdk) / cpu(Which::Floor),
        );
        println!(
            "  allocations per call: bare {:.1}, signed+typed {:.1}, scf-sdk {:.1}",
            allocations(Which::Bare),
            allocations(Which::Floor),
            allocations(Which::Sdk),
        );
    }
    let errors: u64 = phases.iter().map(|p| p.errors).sum();
    if errors > 0 {
        return Err(format!("{errors} calls failed").into());
    }
    Ok(())
}

/// Bare `reqwest`: the SDK transport's connection settings, a request prepared once.
struct Bare {
    client: reqwest::Client,
    url: reqwest::Url,
    /// `127.0.0.1:port`, as signed.
    host: String,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
}

/// The answer's envelope, for the signed+typed client.
#[derive(serde::Deserialize)]
struct Answer {
    #[serde(rename = "Response")]
    response: InvokeFunctionResponse,
}

impl Bare {
    fn new(endpoint: &str) -> Result<Bare, BoxError> {
        // reqwest is built without a default TLS provider (the SDK passes its own configuration):
        // the bare client uses the same one, ring, installed for the process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(scf_sdk::runtime::USER_AGENT)
            .pool_idle_timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut headers = reqwest::header::HeaderMap::new();
        // The headers the SDK sends, with values of the same length.
        for (name, value) in [
            ("content-type", CONTENT_TYPE),
            (
                "authorization",
                "TC3-HMAC-SHA256 Credential=AKIDbenchmark000000000000000000000/2026-11-30/scf/tc3_request, SignedHeaders=content-type;host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            ),
            ("x-tc-action", "InvokeFunction"),
            ("x-tc-version", "2018-04-16"),
            ("x-tc-timestamp", "1764520000"),
            ("x-tc-region", "ap-guangzhou"),
            ("x-tc-requestclient", scf_sdk::runtime::USER_AGENT),
        ] {
            headers.insert(name, value.parse()?);
        }
        let url: reqwest::Url = format!("{endpoint}/").parse()?;
        let host = format!("{}:{}", url.host_str().unwrap_or_default(), url.port().unwrap_or(80));
        Ok(Bare { client, url, host, headers, body: Bytes::from_static(BODY.as_bytes()) })
    }

    /// What any signed, typed client does per call, around the same bare `reqwest` call:
    /// encode the typed request with serde_json, hash and sign it (the SDK's public TC3 signer),
    /// set the two headers that change per call, send it, and decode the answer into the typed
    /// output in one serde_json pass. No validation, no retries, no timeouts, no tracing.
    async fn signed_typed_call(&self) -> Result<(), BoxError> {
        use reqwest::header::{AUTHORIZATION, HeaderValue};
        let request = InvokeFunctionRequest::builder().function_name(FUNCTION_NAME).build()?;
        let body = serde_json::to_vec(&request)?;
        let payload_hash = sign::hash_payload(&body);
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
        let authorization = sign::sign(
            &sign::SignableRequest {
                method: "POST",
                query: "",
                content_type: CONTENT_TYPE,
                host: &self.host,
                payload_hash: &payload_hash,
            },
            &sign::SigningParams {
                secret_id: SECRET_ID,
                secret_key: SECRET_KEY,
                service: InvokeFunctionRequest::DESCRIPTOR.service.name,
                timestamp,
            },
        );
        let mut headers = self.headers.clone();
        headers.insert(AUTHORIZATION, HeaderValue::try_from(authorization)?);
        headers.insert("x-tc-timestamp", HeaderValue::from(timestamp));
        let response = self.client.post(self.url.clone()).headers(headers).body(body).send().await?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()).into());
        }
        let answer: Answer = serde_json::from_slice(&response.bytes().await?)?;
        if answer.response.result.ret_msg != "\"ok\"" {
            return Err("unexpected answer".into());
        }
        Ok(())
    }

    async fn call(&self) -> Result<(), BoxError> {
        let response =
            self.client.post(self.url.clone()).headers(self.headers.clone()).body(self.body.clone()).send().await?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()).into());
        }
        let body = response.bytes().await?;
        if body.len() != ANSWER.len() {
            return Err("unexpected answer".into());
        }
        Ok(())
    }
}

async fn sdk_call(client: &Client) -> Result<(), BoxError> {
    let response = client.invoke_function().function_name(FUNCTION_NAME).send().await?;
    if response.result.ret_msg != "\"ok\"" {
        return Err("unexpected answer".into());
    }
    Ok(())
}

/// `in_flight` loops calling until `length` passes: (calls that succeeded, calls that failed).
async fn drive(
    which: Which,
    bare: &Arc<Bare>,
    sdk: &Client,
    in_flight: usize,
    length: Duration,
) -> Result<(u64, u64), BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (stop, bare, sdk) = (stop.clone(), bare.clone(), sdk.clone());
        workers.spawn(async move {
            let (mut calls, mut errors) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let result = match which {
                    Which::Bare => bare.call().await,
                    Which::Sdk => sdk_call(&sdk).await,
                    Which::Floor => bare.signed_typed_call().await,
                };
                match result {
                    Ok(()) => calls += 1,
                    Err(error) => {
                        if errors == 0 {
                            eprintln!("{}: {error}", which.name());
                        }
                        errors += 1;
                    }
                }
            }
            (calls, errors)
        });
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let (mut calls, mut errors) = (0, 0);
    while let Some(worker) = workers.join_next().await {
        let (c, e) = worker?;
        calls += c;
        errors += e;
    }
    Ok((calls, errors))
}

/// The canned-response server: one thread, keep-alive, every request answered with [`ANSWER`].
/// Prints its port, then serves until its standard input closes.
fn serve() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?.port());
        std::io::stdout().flush()?;
        let response: Bytes = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{ANSWER}",
            ANSWER.len()
        )
        .into();
        let mut stdin = tokio::io::stdin();
        let parent_gone = async move {
            let mut buf = [0u8; 64];
            while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
        };
        let accept = async {
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                tokio::spawn(connection(stream, response.clone()));
            }
            #[allow(unreachable_code)]
            Ok::<(), BoxError>(())
        };
        tokio::select! {
            () = parent_gone => Ok(()),
            result = accept => result,
        }
    })
}

/// Answers each request on one connection: reads the head and a `Content-Length` body, writes the
/// canned response.
async fn connection(mut stream: tokio::net::TcpStream, response: Bytes) {
    let mut buffer = Vec::with_capacity(8192);
    loop {
        let Some(head_end) = find(&buffer, b"\r\n\r\n") else {
            if buffer.len() > 64 * 1024 || !read_more(&mut stream, &mut buffer).await {
                return;
            }
            continue;
        };
        let length = content_length(&buffer[..head_end]);
        let total = head_end + 4 + length;
        while buffer.len() < total {
            if !read_more(&mut stream, &mut buffer).await {
                return;
            }
        }
        buffer.drain(..total);
        if stream.write_all(&response).await.is_err() {
            return;
        }
    }
}

async fn read_more(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> bool {
    buffer.reserve(8192);
    matches!(stream.read_buf(buffer).await, Ok(n) if n > 0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn content_length(head: &[u8]) -> usize {
    let head = String::from_utf8_lossy(head);
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}
