//! Write Tencent Cloud SCF functions in Rust.
//!
//! A Rust function is a custom runtime: an executable named `bootstrap` that SCF (or scf-local)
//! starts, and that fetches events from SCF's runtime API and posts back results. This crate is
//! that loop; you write the handler:
//!
//! ```no_run
//! use scf_runtime::{service_fn, Context, Error};
//!
//! async fn handler(event: serde_json::Value, ctx: Context) -> Result<serde_json::Value, Error> {
//!     Ok(serde_json::json!({ "echo": event, "request_id": ctx.request_id }))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     scf_runtime::run(service_fn(handler)).await
//! }
//! ```
//!
//! `scf new NAME` creates such a project and `scf deploy DIR` builds, packages and deploys it
//! (runtime `CustomRuntime`); see the repository's README, "Functions in Rust".
//!
//! - **Events and results.** The event is any [`serde::de::DeserializeOwned`] type (a struct of
//!   yours, `serde_json::Value`, or a trigger's event from the `scf-events` crate), the result any
//!   [`serde::Serialize`] type, sent as JSON.
//! - **Errors.** A handler's `Err` is reported to SCF as the invocation's error, as JSON with
//!   `errorType`, `errorMessage` and `stackTrace` (see [`Error`]); the caller sees it in
//!   `InvokeResult` and `ErrMsg`. An event that does not decode into the handler's event type is
//!   reported the same way (`errorType` `InvalidEvent`), and so is a result that cannot be encoded.
//! - **Panics.** A panic in the handler is caught and reported as the invocation's error
//!   (`errorType` `Panic`, the panic's message); the process goes on with the next event. This
//!   needs the default `panic = "unwind"`: with `panic = "abort"` the process ends and SCF reports
//!   the invocation as failed.
//! - **Logs.** Whatever the process writes to stdout and stderr — `println!`, `eprintln!`, a
//!   `tracing` subscriber writing to either — is the invocation's log. stdout is flushed before
//!   each result is sent, so nothing printed is left for the next invocation.
//! - **Initialisation.** Do it in `main` before [`run`]: [`run`] tells SCF the function is ready,
//!   then serves events. A failure there (returning `Err` from `main`) exits non-zero, and SCF
//!   reports the invocation that started the instance as failed.
//! - **Runtime errors.** If the runtime API cannot be reached or answers nonsense, [`run`] returns
//!   an [`Error`] saying so; returned from `main`, it is printed on stderr and the process exits
//!   non-zero.
//!
//! The runtime speaks HTTP/1.1 over one keep-alive connection, opened again if the platform closes
//! it while idle. It needs a Tokio runtime with I/O enabled (`#[tokio::main]`); one thread is
//! enough, since events come one at a time (`#[tokio::main(flavor = "current_thread")]` starts
//! faster).

mod api;
mod context;
mod error;
mod handler;
mod http;

use std::any::Any;
use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::task::Poll;

use serde::de::DeserializeOwned;

pub use context::Context;
pub use error::Error;
pub use handler::{Handler, ServiceFn, service_fn};

use crate::api::{Invocation, RuntimeApi};
use crate::context::FunctionEnvironment;

/// Serves events with `handler` until the process is stopped: tells the runtime API the function
/// is ready, then takes one event at a time and answers it.
///
/// Returns only when the runtime cannot go on — the runtime API is unreachable, or its answers are
/// not the protocol's — with an [`Error`] that says why.
pub async fn run<H, E>(mut handler: H) -> Result<(), Error>
where
    H: Handler<E>,
    E: DeserializeOwned,
{
    let environment = FunctionEnvironment::from_env();
    let mut api = RuntimeApi::from_env()?;
    api.ready().await?;
    loop {
        let invocation = api.next().await?;
        let outcome = invoke(&mut handler, &environment, invocation).await;
        // The log of this invocation is what was written before its answer.
        let _ = std::io::stdout().flush();
        let sent = match &outcome {
            Ok(result) => api.respond(result).await,
            Err(failure) => api.fail(&failure.to_json()).await,
        };
        if let Err(error) = sent {
            // The platform ends an invocation it got no answer for; the next request says whether
            // the runtime API is still there.
            eprintln!("scf-runtime: the answer could not be delivered: {error:?}");
        }
    }
}

/// Runs one event through the handler: the result as JSON, or the failure to report.
async fn invoke<H, E>(
    handler: &mut H,
    environment: &FunctionEnvironment,
    invocation: Invocation,
) -> Result<Vec<u8>, Failure>
where
    H: Handler<E>,
    E: DeserializeOwned,
{
    let Invocation { request_id, memory_limit_in_mb, time_limit_in_ms, event, arrived } = invocation;
    // An empty event is `{}`, as in SCF's own runtimes.
    let event: E = serde_json::from_slice(if event.is_empty() { b"{}" } else { &event }).map_err(|e| {
        Failure::logged("InvalidEvent", format!("the event does not decode into the handler's event type: {e}"))
    })?;
    let context = environment.context(request_id, memory_limit_in_mb, time_limit_in_ms, arrived);
    let future = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(event, context))).map_err(Failure::panic)?;
    let output = catch_panic(future).await.map_err(Failure::panic)?.map_err(|e| Failure::handler(e.into()))?;
    serde_json::to_vec(&output)
        .map_err(|e| Failure::logged("InvalidResult", format!("the handler's result cannot be encoded as JSON: {e}")))
}

/// Polls `future` to the end, catching a panic in any poll.
async fn catch_panic<F: Future>(future: F) -> Result<F::Output, Box<dyn Any + Send>> {
    // Boxed, so that a future that panicked can be dropped inside `catch_unwind` too.
    let mut future = Box::pin(future);
    let outcome =
        std::future::poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        })
        .await;
    if outcome.is_err() {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(future)));
    }
    outcome
}

/// A failed invocation, as reported to `/runtime/invocation/error`.
#[derive(Debug)]
struct Failure {
    error_type: String,
    message: String,
    /// The message and its causes (SCF shows `stackTrace` in `ErrMsg`).
    trace: String,
}

impl Failure {
    /// A failure of the runtime's own making, also written to the log.
    fn logged(error_type: &str, message: String) -> Failure {
        eprintln!("{error_type}: {message}");
        Failure { error_type: error_type.to_owned(), trace: format!("{error_type}: {message}"), message }
    }

    /// The handler returned an error: it goes to the log as well, as SCF's runtimes print it.
    fn handler(error: Error) -> Failure {
        let trace = format!("{}: {}", error.error_type(), error.report());
        eprintln!("{trace}");
        Failure { error_type: error.error_type().to_owned(), message: error.to_string(), trace }
    }

    /// The handler panicked (the panic hook has already written the message and where).
    fn panic(payload: Box<dyn Any + Send>) -> Failure {
        let message = match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
            (Some(text), _) => (*text).to_owned(),
            (_, Some(text)) => text.clone(),
            _ => "the handler panicked (with a payload that is not text)".to_owned(),
        };
        Failure { error_type: "Panic".into(), trace: format!("Panic: {message}"), message }
    }

    /// The error's JSON, each text cut to [`MAX_ERROR_TEXT_BYTES`] so that the whole stays far below
    /// the platform's 6 MB limit on an answer.
    fn to_json(&self) -> Vec<u8> {
        serde_json::json!({
            "errorType": cut(&self.error_type),
            "errorMessage": cut(&self.message),
            "stackTrace": cut(&self.trace),
        })
        .to_string()
        .into_bytes()
    }
}

/// The most of each text of a reported error (`errorType`, `errorMessage`, `stackTrace`).
const MAX_ERROR_TEXT_BYTES: usize = 256 * 1024;

fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_ERROR_TEXT_BYTES {
        return text.into();
    }
    let mut end = MAX_ERROR_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes not sent)", &text[..end], text.len() - end).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_are_caught_in_any_poll() {
        let caught = catch_panic(async {
            tokio::task::yield_now().await;
            panic!("boom {}", 7);
        })
        .await;
        let failure = Failure::panic(caught.unwrap_err());
        assert_eq!((failure.error_type.as_str(), failure.message.as_str()), ("Panic", "boom 7"));
        let failure = Failure::panic(catch_panic(async { std::panic::panic_any(42) }).await.unwrap_err());
        assert!(failure.message.contains("not text"));
        assert_eq!(catch_panic(async { 5 }).await.ok(), Some(5));
    }

    #[test]
    fn long_error_texts_are_cut() {
        let failure = Failure::handler(Error::from("é".repeat(MAX_ERROR_TEXT_BYTES)));
        let json: serde_json::Value = serde_json::from_slice(&failure.to_json()).unwrap();
        let message = json["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with("éé") && message.ends_with("… (262144 more bytes not sent)"),
            "{}",
            &message[message.len() - 40..]
        );
        assert!(failure.to_json().len() < 3 * MAX_ERROR_TEXT_BYTES);
    }

    #[test]
    fn failures_as_json() {
        let failure = Failure::handler(Error::from("no such user"));
        let json: serde_json::Value = serde_json::from_slice(&failure.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errorType": "Error", "errorMessage": "no such user", "stackTrace": "Error: no such user"})
        );
    }
}

/// The crate's README (the page crates.io shows): its examples compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
