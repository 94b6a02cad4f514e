//! The smallest function: answers the event it got, with the invocation's request id.
//!
//! ```sh
//! cargo build --release -p scf-runtime --example echo   # target/release/examples/echo is a `bootstrap`
//! ```

use scf_runtime::{Context, Error, service_fn};

async fn handler(event: serde_json::Value, ctx: Context) -> Result<serde_json::Value, Error> {
    Ok(serde_json::json!({ "echo": event, "request_id": ctx.request_id }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    scf_runtime::run(service_fn(handler)).await
}
