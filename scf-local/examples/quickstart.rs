//! The whole loop, offline: start an embedded SCF emulator, create a Python function with
//! `CreateFunction`, invoke it with `LogType` `Tail`, and print what the service returns.
//!
//! ```text
//! cargo run --release -p scf-local --example quickstart
//! ```
//!
//! Nothing here is emulator-specific except the first lines: the same `scf_sdk::Client` calls work
//! against the real service with a real endpoint and credentials.

use std::error::Error;
use std::time::Duration;

use scf_local::{Emulator, EmulatorConfig, package};
use scf_sdk::types::{Code, LogType};

/// The function: SCF's Python entry point, `index.main_handler(event, context)`.
const HANDLER: &str = r#"import json


def main_handler(event, context):
    print("Hello from scf-local! The event was", json.dumps(event))
    return {"message": "Hello, %s!" % event.get("name", "world"), "requestId": context.request_id}
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!("scf-local is running at {}\n", emulator.endpoint_url());
    let client = emulator.client()?;

    let zip = package::zip_files(&[("index.py", HANDLER)])?;
    client
        .create_function()
        .function_name("hello")
        .runtime("Python3.9")
        .handler("index.main_handler")
        .memory_size(128)
        .timeout(3)
        .code(Code::builder().zip_file(package::to_base64(&zip)).build()?)
        .send()
        .await?;

    // A new function is `Creating` for a moment, on the real service too: wait until `Active`
    // (polling `GetFunction` with backoff; a failed creation ends the wait with its reasons).
    client.wait_until_function_active().function_name("hello").min_delay(Duration::from_millis(100)).send().await?;

    let response = client
        .invoke_function()
        .function_name("hello")
        .event_from(&serde_json::json!({ "name": "SCF" }))?
        .log_type(LogType::Tail)
        .send()
        .await?;
    let result = &response.result;
    println!("RetMsg:       {}", result.ret_msg);
    println!("Duration:     {} ms", result.duration);
    println!("BillDuration: {} ms", result.bill_duration);
    println!("MemUsage:     {} bytes ({:.1} MB)", result.mem_usage, result.mem_usage as f64 / 1048576.0);
    println!("RequestId:    {}", response.request_id);
    println!("\nLog (last 4 KB):\n{}", result.log);

    emulator.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
