//! What the SDK logs: a span per call (action, region, request id, attempts, latency), an event per
//! retry decision, and never a secret or a request body.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scf_sdk::Client;
use scf_sdk::runtime::{Credentials, RetryPolicy};
use scf_tests::server::{Reply, SECRET_ID, SECRET_KEY, TestServer};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn calls_and_retries_are_traced_without_secrets_or_bodies() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::start().await;
    server.reply(Reply::error("RequestLimitExceeded", "slow down"));
    let client = Client::new(
        server
            .config()
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token("sts-token-value"))
            .retry_policy(RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(2)))
            .build(),
    )
    .unwrap();
    let response = client
        .invoke_function()
        .function_name("hello")
        .event(json!({"card": "4111-1111-1111-1111"}))
        .send()
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying") && logs.contains("reason=\"throttled\""), "{logs}");
    assert!(logs.contains("action=\"InvokeFunction\"") && logs.contains("region=\"ap-guangzhou\""), "{logs}");
    assert!(logs.contains(&format!("request_id=\"{}\"", response.request_id)), "{logs}");
    assert!(logs.contains("attempts=2") && logs.contains("latency_ms="), "{logs}");
    for secret in [SECRET_KEY, "sts-token-value", "4111-1111-1111-1111", "Signature="] {
        assert!(!logs.contains(secret), "`{secret}` leaked into the logs:\n{logs}");
    }
}
