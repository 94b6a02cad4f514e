//! Invokes an SCF function and prints the response as JSON.
//!
//! ```text
//! cargo run -p scf-sdk --example invoke_function -- --function-name NAME [--event JSON|@FILE]
//!     [--log-type Tail] [--namespace NS] [--qualifier Q] [--routing-key JSON]
//! ```
//!
//! Region, credentials and endpoint come from the environment and Tencent Cloud's usual files:
//! `TENCENTCLOUD_REGION`, `TENCENTCLOUD_SECRET_ID`/`TENCENTCLOUD_SECRET_KEY`, a tccli profile, or
//! `~/.tencentcloud/credentials`; `TENCENTCLOUD_ENDPOINT_URL_SCF` points it at an emulator.
//! On failure the error (code, message, request id) goes to stderr and the exit status is 1
//! (2 for bad arguments).

use std::process::ExitCode;
use std::time::Duration;

use scf_sdk::Client;
use scf_sdk::runtime::{Config, ConfigBuilder};

const USAGE: &str = "usage: invoke_function --function-name NAME [--event JSON|@FILE] [--log-type None|Tail]
                       [--namespace NS] [--qualifier Q] [--routing-key JSON]";

#[derive(Default)]
struct Args {
    function_name: Option<String>,
    event: Option<String>,
    log_type: Option<String>,
    namespace: Option<String>,
    qualifier: Option<String>,
    routing_key: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut input = std::env::args().skip(1);
    while let Some(flag) = input.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let slot = match flag.as_str() {
            "--function-name" => &mut args.function_name,
            "--event" => &mut args.event,
            "--log-type" => &mut args.log_type,
            "--namespace" => &mut args.namespace,
            "--qualifier" => &mut args.qualifier,
            "--routing-key" => &mut args.routing_key,
            other => return Err(format!("unknown argument `{other}`")),
        };
        *slot = Some(input.next().ok_or_else(|| format!("`{flag}` needs a value"))?);
    }
    Ok(args)
}

/// The event: inline JSON, or `@path` to read it from a file (a 6 MB event does not fit in an
/// argument).
fn read_event(text: &str) -> Result<serde_json::Value, String> {
    let (json, origin) = match text.strip_prefix('@') {
        Some(path) => {
            (std::fs::read_to_string(path).map_err(|e| format!("cannot read event file `{path}`: {e}"))?, path)
        }
        None => (text.to_owned(), "--event"),
    };
    serde_json::from_str(&json).map_err(|e| format!("{origin} is not valid JSON: {e}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(function_name) = args.function_name else {
        eprintln!("error: --function-name is required\n{USAGE}");
        return ExitCode::from(2);
    };
    let event = match args.event.as_deref().map(read_event).transpose() {
        Ok(event) => event,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let routing_key = match args.routing_key.as_deref().map(serde_json::from_str).transpose() {
        Ok(key) => key,
        Err(e) => {
            eprintln!("error: --routing-key must be a JSON object of strings: {e}");
            return ExitCode::from(2);
        }
    };

    // A synchronous invocation lasts as long as the function runs: allow up to 15 minutes.
    let config: Config = ConfigBuilder::from_env().timeout(Duration::from_secs(900)).build();
    let client = match Client::new(config) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let response = client
        .invoke_function()
        .function_name(function_name)
        .set_event(event)
        .set_log_type(args.log_type.as_deref().map(Into::into))
        .set_namespace(args.namespace)
        .set_qualifier(args.qualifier)
        .set_routing_key(routing_key)
        .send()
        .await;
    match response {
        Ok(response) => match serde_json::to_string_pretty(&response) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot print the response: {e}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(description) = error.code().and_then(|code| scf_sdk::ErrorCode::from(code).description()) {
                eprintln!("  ({description})");
            }
            ExitCode::FAILURE
        }
    }
}
