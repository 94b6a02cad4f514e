//! Running one action of the catalogue: the request from the flags, sent through the SDK's untyped
//! core (`ApiClient::call_json`, which validates, signs, sends and retries as for typed calls),
//! the answer printed in the chosen format. Paginated actions follow their pages, as the AWS CLI
//! does: one answer with every item, unless `--no-paginate`, `--offset` or `--limit` says
//! otherwise.

use std::io::{IsTerminal as _, Write as _};

use clap::ArgMatches;
use scf_sdk::ErrorCode;
use scf_sdk::catalog::SERVICE;
use scf_sdk::runtime::{ActionDescriptor, ApiClient, PageCursor, PaginationDescriptor, TypeDescriptor};
use serde_json::Value;

use crate::exit::{CliError, Kind, Source};
use crate::flags::{GENERATE_CLI_SKELETON, NO_PAGINATE};
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
    let no_paginate = matches.try_get_one::<bool>(NO_PAGINATE).ok().flatten().copied().unwrap_or(false);
    // Pages are followed unless the command line asks for one page or a window of its own.
    let pagination =
        action.pagination.filter(|p| !no_paginate && params.get(p.offset).is_none() && params.get(p.limit).is_none());
    let source_of = |member: &str| origins.source_of(member);
    let client = ApiClient::new(config.clone()).map_err(|e| CliError::config(e.message))?;
    let mut response = match pagination {
        Some(pagination) => runtime()?.block_on(all_pages(&client, action, pagination, params, source_of))?,
        None => runtime()?.block_on(send(&client, action, params, source_of))?,
    };
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

/// Sends a request for every page and returns one answer: the first page's, with the items of
/// every page in its item list. The paging rules (where the next page starts, when to stop, and
/// giving up on a service whose pages never end) are the SDK's, as for typed paginators.
async fn all_pages(
    client: &ApiClient,
    action: &'static ActionDescriptor,
    pagination: PaginationDescriptor,
    params: Value,
    source_of: impl Fn(&str) -> Option<Source>,
) -> Result<Json, CliError> {
    let mut cursor = PageCursor::for_request(&pagination, None, None);
    let mut first: Option<Json> = None;
    let mut items = Vec::new();
    while let Some((offset, limit)) = cursor.next_page() {
        let mut page_params = params.clone();
        if let Value::Object(map) = &mut page_params {
            map.insert(pagination.offset.to_owned(), number_as(action, pagination.offset, offset));
            map.insert(pagination.limit.to_owned(), number_as(action, pagination.limit, limit));
        }
        let mut page = send(client, action, page_params, &source_of).await?;
        let page_items = match page.get_mut(pagination.items) {
            Some(Json::Array(page_items)) => std::mem::take(page_items),
            _ => Vec::new(),
        };
        let total = pagination.total.and_then(|member| page.get(member)).and_then(|total| match total {
            Json::Number(n) => n.as_u64(),
            _ => None,
        });
        cursor.advance(page_items.len(), total).map_err(|why| CliError::new(Kind::Response, why))?;
        tracing::debug!(action = action.name, offset, items = page_items.len(), ?total, "page");
        items.extend(page_items);
        first.get_or_insert(page);
    }
    let mut answer = first.unwrap_or(Json::Object(Vec::new()));
    if let Json::Object(members) = &mut answer {
        match members.iter_mut().find(|(name, _)| name == pagination.items) {
            Some((_, list)) => *list = Json::Array(items),
            None => members.insert(0, (pagination.items.to_owned(), Json::Array(items))),
        }
    }
    Ok(answer)
}

/// An offset or a limit as the member carries it: a number, or (`ListAliases`) a string.
fn number_as(action: &ActionDescriptor, member: &str, value: u64) -> Value {
    match action.input_member(member).map(|m| m.ty) {
        Some(TypeDescriptor::String) => Value::String(value.to_string()),
        _ => Value::from(value),
    }
}

/// Sends one request with `client` and returns the answer's `Response` object. `source_of` names
/// the flag each member came from, for validation errors.
pub async fn send(
    client: &ApiClient,
    action: &'static ActionDescriptor,
    params: Value,
    source_of: impl Fn(&str) -> Option<Source>,
) -> Result<Json, CliError> {
    log_sending(client, action, &params);
    let answer = client.call_json::<ErrorCode>(action, params).await.map_err(|e| CliError::from_sdk(e, source_of))?;
    tracing::debug!(action = action.name, bytes = answer.get().len(), "answered");
    Json::parse(answer.get()).map_err(|e| CliError::new(Kind::Response, format!("the answer cannot be read: {e}")))
}

/// The `--debug` event for a request about to go: where, and its members, sensitive ones redacted.
pub fn log_sending(client: &ApiClient, action: &ActionDescriptor, params: &Value) {
    let config = client.config();
    tracing::debug!(
        action = action.name,
        region = config.region().unwrap_or(""),
        endpoint = config.endpoint_url_for(SERVICE.name).unwrap_or(SERVICE.endpoint),
        language = config.language().map_or("(the service's default)", |l| l.as_str()),
        request = %request::redacted(action.input, params),
        "sending"
    );
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
