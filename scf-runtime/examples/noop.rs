//! A function that does nothing: answers `"ok"` to any event. The compiled function of
//! scf-local's load benchmark (`cargo bench -p scf-local --bench invoke -- --runtime rust`).
//!
//! ```sh
//! cargo build --release -p scf-runtime --example noop   # target/release/examples/noop is a `bootstrap`
//! ```

use scf_runtime::{Context, Error, service_fn};

async fn handler(_event: serde::de::IgnoredAny, _ctx: Context) -> Result<&'static str, Error> {
    Ok("ok")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    scf_runtime::run(service_fn(handler)).await
}
