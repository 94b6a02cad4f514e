//! A GET whose query nests 30,000 levels (it once overflowed the emulator's stack and aborted
//! it): refused at once, with little memory. Alone in its binary, so the resident memory it
//! measures is its own, not that of tests running beside it.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::{Duration, Instant};

use scf_local::Emulator;
use scf_sdk::runtime::sign::{self, SignableRequest, SigningParams};
use scf_tests::local::{self, raw_http};
use serde_json::Value;

/// This process's resident memory (the emulator runs inside it), in bytes.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// A signed GET of `action` with `query`, byte for byte.
fn signed_get(emulator: &Emulator, action: &str, query: &str) -> Vec<u8> {
    let credentials = emulator.credentials();
    let host = emulator.address().to_string();
    let timestamp = local::now();
    let content_type = "application/x-www-form-urlencoded";
    let authorization = sign::sign(
        &SignableRequest { method: "GET", query, content_type, host: &host, payload_hash: &sign::hash_payload(b"") },
        &SigningParams {
            secret_id: credentials.secret_id(),
            secret_key: credentials.secret_key(),
            service: "scf",
            timestamp,
        },
    );
    format!(
        "GET /?{query} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nAuthorization: {authorization}\r\nX-TC-Action: {action}\r\nX-TC-Version: 2018-04-16\r\nX-TC-Region: ap-guangzhou\r\nX-TC-Timestamp: {timestamp}\r\nX-TC-Language: en-US\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_query_nested_thirty_thousand_levels_is_refused_and_the_emulator_keeps_serving() {
    let (emulator, client) = local::start().await;
    let query = format!("FunctionName=hello&Event.{}x=1", "0.".repeat(30_000));
    let before = resident_bytes();
    let started = Instant::now();
    let (status, _, body) = raw_http(emulator.address(), &signed_get(&emulator, "InvokeFunction", &query)).await;
    let took = started.elapsed();
    let grown = resident_bytes().saturating_sub(before);
    eprintln!("a 30,000-level query: refused in {took:?}, resident memory +{} KiB", grown / 1024);
    assert!(grown < 50 << 20, "memory grew by {grown} bytes");
    assert_eq!(status, 200, "{body}");
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["Response"]["Error"]["Code"], "InvalidParameter", "{body}");
    assert!(envelope["Response"]["Error"]["Message"].as_str().unwrap().contains("more than 16 levels"), "{body}");
    // A generous bound: the refusal is immediate (the benchmark in the note measures it).
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(client.list_functions().send().await.unwrap().total_count, 0, "still serving");
}
