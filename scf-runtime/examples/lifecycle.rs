//! What the runtime does with each outcome of a handler; scf-runtime's and scf's tests drive it.
//! A handler with state (the count of events this instance has handled), implementing `Handler`
//! itself. The event's `action` says what to do:
//!
//! - `context` (the default): answers the context, the process id and the count;
//! - `error`: returns an error with `message`;
//! - `panic`: panics with `message`;
//! - `sleep`: sleeps `ms` milliseconds, then answers like `context`;
//! - `print`: prints `text` to stdout (without a newline), a line to stderr, and a `tracing` event;
//! - `large`: answers a string of `bytes` bytes.

use std::future::Future;

use scf_runtime::{Context, Error, Handler};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Event {
    action: String,
    message: String,
    ms: u64,
    text: String,
    bytes: usize,
}

#[derive(Default)]
struct Lifecycle {
    invocations: u64,
}

impl Handler<Event> for Lifecycle {
    type Output = Value;
    type Error = Error;

    fn call(&mut self, event: Event, ctx: Context) -> impl Future<Output = Result<Value, Error>> {
        self.invocations += 1;
        let invocations = self.invocations;
        async move {
            match event.action.as_str() {
                "" | "context" => Ok(describe(&ctx, invocations)),
                "error" => Err(Error::new("LifecycleError", event.message)),
                "panic" => panic!("{}", event.message),
                "sleep" => {
                    tokio::time::sleep(std::time::Duration::from_millis(event.ms)).await;
                    Ok(describe(&ctx, invocations))
                }
                "print" => {
                    print!("{}", event.text);
                    eprintln!("to stderr: {}", event.text);
                    tracing::info!(text = %event.text, "a tracing event");
                    Ok(json!({ "printed": event.text }))
                }
                "large" => Ok(Value::String("x".repeat(event.bytes))),
                other => Err(Error::from(format!("unknown action `{other}`"))),
            }
        }
    }
}

fn describe(ctx: &Context, invocations: u64) -> Value {
    // Each instance has a writable TMPDIR of its own (the code directory may be read-only).
    let tmp = std::env::temp_dir().join(format!("lifecycle-{}", std::process::id()));
    let tmp_writable = std::fs::write(&tmp, b"ok").is_ok();
    let _ = std::fs::remove_file(&tmp);
    json!({
        "request_id": ctx.request_id,
        "function_name": ctx.function_name,
        "function_version": ctx.function_version,
        "namespace": ctx.namespace,
        "memory_limit_in_mb": ctx.memory_limit_in_mb,
        "time_limit_in_ms": ctx.time_limit_in_ms,
        "remaining_ms": ctx.remaining().as_millis() as u64,
        "region": ctx.region,
        "appid": ctx.appid,
        "uin": ctx.uin,
        "pid": std::process::id(),
        "invocations": invocations,
        "tmp_writable": tmp_writable,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // `tracing` to stderr, without colours or times: the invocation's log has its own.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).without_time().init();
    scf_runtime::run(Lifecycle::default()).await
}
