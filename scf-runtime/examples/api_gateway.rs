//! A function behind API Gateway: takes the request (`ApiGatewayRequest`), answers with an
//! integration response (`ApiGatewayResponse`), and logs with `tracing`.

use scf_events::{ApiGatewayRequest, ApiGatewayResponse};
use scf_runtime::{Context, Error, service_fn};
use serde::Deserialize;

#[derive(Deserialize)]
struct Greeting {
    name: String,
}

async fn handler(request: ApiGatewayRequest, _ctx: Context) -> Result<ApiGatewayResponse, Error> {
    tracing::info!(method = %request.http_method, path = %request.path, "request");
    let response = match request.body_json::<Greeting>() {
        Some(Ok(greeting)) => {
            ApiGatewayResponse::json(200, &serde_json::json!({ "message": format!("hello, {}", greeting.name) }))?
        }
        Some(Err(error)) => ApiGatewayResponse::new(400, format!("bad body: {error}"))
            .header("Content-Type", "text/plain; charset=utf-8"),
        None => ApiGatewayResponse::new(200, "<h1>hello</h1>").header("Content-Type", "text/html"),
    };
    Ok(response)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Logs go to stdout, which is the invocation's log; SCF adds its own timestamps.
    tracing_subscriber::fmt().with_ansi(false).without_time().init();
    scf_runtime::run(service_fn(handler)).await
}
