//! Running one action of the catalogue: the request from the flags, sent through the SDK's untyped
//! core (`ApiClient::call_json`, which validates, signs, sends and retries as for typed calls),
//! the answer printed in the chosen format.

use std::io::{IsTerminal as _, Write as _};

use clap::ArgMatches;
use scf_sdk::ErrorCode;
use scf_sdk::catalog::SERVICE;
use scf_sdk::runtime::{ActionDescriptor, ApiClient, Config};
use serde_json::Value;

use crate::cli::GENERATE_CLI_SKELETON;
use crate::exit::{CliError, Kind, Source};
use crate::globals::{self, DEFAULT_TIMEOUT, Globals, INVOKE_TIMEOUT};
use crate::json::Json;
use crate::output::{self, Query};
use crate::request;

/// Runs `action` as the command line describes.
pub fn run(action: &'static ActionDescriptor, globals: &Globals, matches: &ArgMatches) -> Result<(), CliError> {
    if matches.try_get_one::<bool>(GENERATE_CLI_SKELETON).ok().flatten().copied().unwrap_or(false) {
        return write_stdout(&request::skeleton(action).to_pretty());
    }
    // Everything the command line can get wrong is found before credentials are looked for.
    let query = checked_query(globals, action)?;
    let (params, origins) = request::build(action, matches)?;
    let runs_a_function = output::answers_a_function_result(action);
    let default_timeout = if runs_a_function { INVOKE_TIMEOUT } else { DEFAULT_TIMEOUT };
    let config = globals::checked(globals.config_builder(default_timeout)?.build())?;
    let wants_tail = params.get("LogType").and_then(Value::as_str) == Some("Tail");
    let mut response = call(&config, action, params, |member| origins.source_of(member))?;
    if runs_a_function {
        output::decode_ret_msg(&mut response);
        if wants_tail && let Some(log) = output::function_log(&response) {
            // The log goes to stderr as text, so stdout stays the answer alone (for pipes).
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{log}{}", if log.ends_with('\n') { "" } else { "\n" });
        }
    }
    print(&response, globals, query.as_ref())
}

/// `--query`, parsed and checked against `action`'s output.
pub fn checked_query(globals: &Globals, action: &ActionDescriptor) -> Result<Option<Query>, CliError> {
    let query = globals.query()?;
    if let Some(query) = &query {
        query.check(action).map_err(|e| CliError::usage(format!("--query {e}")))?;
    }
    Ok(query)
}

/// Sends one request and returns the answer's `Response` object.
fn call(
    config: &Config,
    action: &'static ActionDescriptor,
    params: Value,
    source_of: impl Fn(&str) -> Option<Source>,
) -> Result<Json, CliError> {
    let client = ApiClient::new(config.clone()).map_err(|e| CliError::config(e.message))?;
    runtime()?.block_on(send(&client, action, params, source_of))
}

/// Sends one request with `client` and returns the answer's `Response` object. `source_of` names
/// the flag each member came from, for validation errors.
pub async fn send(
    client: &ApiClient,
    action: &'static ActionDescriptor,
    params: Value,
    source_of: impl Fn(&str) -> Option<Source>,
) -> Result<Json, CliError> {
    let config = client.config();
    tracing::debug!(
        action = action.name,
        region = config.region().unwrap_or(""),
        endpoint = config.endpoint_url_for(SERVICE.name).unwrap_or(SERVICE.endpoint),
        language = config.language().map_or("(the service's default)", |l| l.as_str()),
        request = %request::redacted(action.input, &params),
        "sending"
    );
    let answer = client.call_json::<ErrorCode>(action, params).await.map_err(|e| CliError::from_sdk(e, source_of))?;
    tracing::debug!(action = action.name, bytes = answer.get().len(), "answered");
    Json::parse(answer.get()).map_err(|e| CliError::new(Kind::Response, format!("the answer cannot be read: {e}")))
}

/// Prints an answer (or the part `--query` picks) to stdout in the chosen format.
pub fn print(response: &Json, globals: &Globals, query: Option<&Query>) -> Result<(), CliError> {
    let picked = match query {
        Some(query) => query.apply(response),
        None => response.clone(),
    };
    let text = output::render(&picked, globals.format, std::io::stdout().is_terminal());
    write_stdout(&text)
}

/// Writes `text` and a newline to stdout; a closed pipe (`scf … | head -1`) is not an error.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::internal(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

/// The async runtime a command runs its requests on: one thread, started in microseconds.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the async runtime: {e}")))
}
