//! `cargo bench -p scf-sdk --bench sign`: what it costs to build and sign requests.
//!
//! - `invoke_function_6mb/*`: validating, encoding and signing an `InvokeFunction` request whose
//!   event is just under the 6 MB limit (two shapes: many small records, one big string), beside a
//!   bare SHA-256 of the event's JSON text — the least any signed request must cost (goal: ≤ 2×) —
//!   and three floors: a SHA-256 of the body itself, `serde_json` writing the event alone, and a
//!   walk of the event's `Value` without serde writing it as the body carries it;
//! - `sign_small`: signing alone, for a small request;
//! - before the timings, the peak memory the 6 MB request takes beyond the event itself
//!   (goal: ≤ 3× the event's size), measured with a counting allocator.
#![allow(unsafe_code)] // The counting allocator below; nothing else.
#![allow(clippy::unwrap_used)] // A benchmark fails by panicking.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput};
use scf_sdk::Client;
use scf_sdk::actions::InvokeFunctionRequest;
use scf_sdk::runtime::sign::{self, SignableRequest, SigningParams};
use scf_sdk::runtime::{ApiClient, Config, Credentials};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Counts live bytes and their peak, on top of the system allocator.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Just under the API's 6 MB limit on `Event`.
const EVENT_BYTES: usize = 6 * 1024 * 1024 - 1024;

/// Many small records, like a batch of log lines or messages.
fn records_event() -> Value {
    let mut records = Vec::new();
    let mut size = 20;
    let mut i = 0;
    while size < EVENT_BYTES - 300 {
        let record = json!({
            "id": i,
            "user": format!("user-{i:08}"),
            "action": "checkout",
            "at": "2026-11-26T02:54:06Z",
            "note": "x".repeat(120),
        });
        size += record.to_string().len() + 1;
        records.push(record);
        i += 1;
    }
    json!({ "records": records })
}

/// One large string, like a base64 document.
fn string_event() -> Value {
    json!({ "document": "A".repeat(EVENT_BYTES - 20) })
}

fn client() -> ApiClient {
    let config = Config::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDbenchmark000000000000000000000", "benchmark-secret-key-00000000000"))
        .build();
    Client::new(config).unwrap().api().clone()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

fn request(event: &Value) -> InvokeFunctionRequest {
    InvokeFunctionRequest::builder().function_name("bench").event(event.clone()).build().unwrap()
}

/// Peak bytes allocated beyond the request itself while preparing it (the prepared request is
/// kept alive until the peak is read, so its body counts).
fn report_memory() {
    let client = client();
    let rt = runtime();
    for (shape, event) in [("records", records_event()), ("string", string_event())] {
        let event_bytes = event.to_string().len();
        let request = request(&event);
        drop(event);
        let baseline = LIVE.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        let prepared = rt.block_on(client.prepare(&request)).unwrap();
        let peak = PEAK.load(Ordering::Relaxed) - baseline;
        let body = prepared.body.len();
        drop(prepared);
        println!(
            "memory/{shape}: event {:.2} MB, body {:.2} MB, peak extra {:.2} MB = {:.2}x the event",
            mb(event_bytes),
            mb(body),
            mb(peak),
            peak as f64 / event_bytes as f64
        );
    }
}

/// The event's JSON text as the body carries it, escaped into a string (without its quotes),
/// written by walking the `Value` directly: no serde visitor (numbers alone go through serde_json,
/// for its digits), one scan per string. A floor for any writer of an event held as a
/// `serde_json::Value`.
fn walk_event(event: &Value) -> Vec<u8> {
    fn string(text: &str, out: &mut Vec<u8>) {
        if !text.bytes().fold(false, |escape, byte| escape | (byte < 0x20) | (byte == b'"') | (byte == b'\\')) {
            out.extend_from_slice(b"\\\"");
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\\\"");
        } else {
            // None in these events: serde_json's escapes, escaped once more.
            for byte in serde_json::to_string(text).unwrap().bytes() {
                if byte == b'"' || byte == b'\\' {
                    out.push(b'\\');
                }
                out.push(byte);
            }
        }
    }
    fn value(event: &Value, out: &mut Vec<u8>) {
        match event {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(number) => serde_json::to_writer(&mut *out, number).unwrap(),
            Value::String(text) => string(text, out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    value(item, out);
                }
                out.push(b']');
            }
            Value::Object(members) => {
                out.push(b'{');
                for (i, (name, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    string(name, out);
                    out.push(b':');
                    value(item, out);
                }
                out.push(b'}');
            }
        }
    }
    let mut out = Vec::new();
    value(event, &mut out);
    out
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn benches(c: &mut Criterion) {
    let client = client();
    let rt = runtime();
    for (shape, event) in [("records", records_event()), ("string", string_event())] {
        let text = event.to_string();
        let request = request(&event);
        let mut group = c.benchmark_group(format!("invoke_function_6mb/{shape}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.sample_size(30);
        group.bench_function("sha256_of_event", |b| b.iter(|| Sha256::digest(black_box(text.as_bytes()))));
        // Three floors beside the anchor: hashing the body itself (the event escaped into a string
        // is longer than the event); `serde_json` writing the event alone, without escaping it into
        // a string (what encoding an event held as a `serde_json::Value` costs at least with
        // serde's visitor); and a walk of the `Value` without that visitor writing exactly the
        // body's bytes for the event.
        let body = serde_json::to_vec(&json!({ "Event": text })).unwrap();
        group.bench_function("sha256_of_body", |b| b.iter(|| Sha256::digest(black_box(&body))));
        group.bench_function("serde_json_of_event", |b| b.iter(|| serde_json::to_vec(black_box(&event)).unwrap()));
        let start = br#"{"Event":""#.len();
        let walked = walk_event(&event);
        assert!(body.get(start..body.len() - 2) == Some(&walked[..]), "the walk does not write the body's event");
        group.bench_function("value_walk_of_event", |b| b.iter(|| walk_event(black_box(&event))));
        group
            .bench_function("build_and_sign", |b| b.iter(|| rt.block_on(client.prepare(black_box(&request))).unwrap()));
        group.finish();
    }

    let payload_hash = sign::hash_payload(br#"{"FunctionName":"hello"}"#);
    c.bench_function("sign_small", |b| {
        b.iter(|| {
            sign::sign(
                black_box(&SignableRequest {
                    method: "POST",
                    query: "",
                    content_type: "application/json; charset=utf-8",
                    host: "scf.tencentcloudapi.com",
                    payload_hash: &payload_hash,
                }),
                &SigningParams {
                    secret_id: "AKIDbenchmark",
                    secret_key: "secret",
                    service: "scf",
                    timestamp: 1_764_125_646,
                },
            )
        })
    });
    let small = InvokeFunctionRequest::builder().function_name("hello").event(json!({"k": "v"})).build().unwrap();
    c.bench_function("build_and_sign_small", |b| b.iter(|| rt.block_on(client.prepare(black_box(&small))).unwrap()));
}

fn main() {
    report_memory();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
