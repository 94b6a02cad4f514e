//! An SCF function in Rust. `handler` answers each event; `main` runs scf-runtime, which fetches the
//! events from SCF and sends back the answers.
//!
//! ```text
//! cargo test                              # the handler's tests; no SCF needed
//! scf deploy . --function-name NAME       # build for Linux x86_64, package `bootstrap`, deploy
//! ```

use scf_runtime::{Context, Error, service_fn};
use serde::{Deserialize, Serialize};

/// The event: `{"name": "…"}`. Members the event leaves out take their default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Request {
    name: String,
}

/// The answer, sent back as JSON.
#[derive(Debug, PartialEq, Serialize)]
struct Response {
    message: String,
    request_id: String,
}

async fn handler(event: Request, ctx: Context) -> Result<Response, Error> {
    if event.name.is_empty() {
        // Reported as the invocation's error (`errorType` `Error`).
        return Err(Error::from("the event has no `name`"));
    }
    // stdout and stderr are the invocation's log.
    println!("greeting {}", event.name);
    Ok(Response { message: format!("Hello, {}!", event.name), request_id: ctx.request_id })
}

// One thread is enough: events come one at a time.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    scf_runtime::run(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn greets_by_name() {
        let mut ctx = Context::default();
        ctx.request_id = "test-request".into();
        let response = handler(Request { name: "SCF".into() }, ctx).await.unwrap();
        assert_eq!(response, Response { message: "Hello, SCF!".into(), request_id: "test-request".into() });
    }

    #[tokio::test]
    async fn a_missing_name_is_an_error() {
        let error = handler(Request::default(), Context::default()).await.unwrap_err();
        assert_eq!(error.to_string(), "the event has no `name`");
    }
}
