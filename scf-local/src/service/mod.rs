//! The emulated actions, one module per area. Every handler takes the action's generated request
//! type and returns its generated response type.

mod aliases;
mod functions;
mod invoke;
mod logs;
mod namespaces;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use scf_sdk::ErrorCode;

use crate::api_error::ApiError;
use crate::server::Handlers;
use crate::state::{FunctionEntry, FunctionRecord, State};

pub(crate) use invoke::log_writer;
pub(crate) use namespaces::ensure_default;

/// Every supported action.
pub(crate) fn handlers() -> Handlers {
    let mut handlers = Handlers::default();
    functions::register(&mut handlers);
    versions::register(&mut handlers);
    aliases::register(&mut handlers);
    namespaces::register(&mut handlers);
    invoke::register(&mut handlers);
    logs::register(&mut handlers);
    handlers
}

/// The namespace of a call (`default` when absent).
pub(crate) fn namespace(namespace: &Option<String>) -> &str {
    namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or("default")
}

/// A member the official description leaves optional but the action cannot do without.
pub(crate) fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, ApiError> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
        error(ErrorCode::MissingParameter, format!("`{member}` is required."), format!("缺少参数 {member}。"))
    })
}

/// A function, after checking its namespace exists.
pub(crate) fn function(state: &State, namespace: &str, name: &str) -> Result<FunctionEntry, ApiError> {
    let model = state.read();
    if !model.namespaces.contains_key(namespace) {
        return Err(ApiError::namespace_not_found(namespace));
    }
    model
        .functions
        .get(&(namespace.to_owned(), name.to_owned()))
        .cloned()
        .ok_or_else(|| ApiError::function_not_found(namespace, name))
}

/// The number of a published version, written as the service writes it (`1`, not `01` or `+1`:
/// those would name the same version under another key).
pub(crate) fn version_number(qualifier: &str) -> Option<u64> {
    qualifier.parse::<u64>().ok().filter(|n| n.to_string() == qualifier)
}

/// The version a qualifier names: `$LATEST`, a version number, or an alias (its main version).
pub(crate) fn version(entry: &FunctionEntry, qualifier: &str) -> Option<Arc<FunctionRecord>> {
    if qualifier == "$LATEST" {
        return Some(entry.latest.clone());
    }
    if let Some(number) = version_number(qualifier) {
        return entry.versions.get(&number).cloned();
    }
    let alias = entry.aliases.get(qualifier)?;
    version(entry, &alias.version)
}

/// Moves `$LATEST` to `Active` after the configured delay (deployments take a moment in the
/// real service too; the delay makes the transient state observable). The caller holds the
/// changes lock: with no delay, the function is `Active` before the caller answers.
pub(crate) fn activate_later(state: &Arc<State>, namespace: &str, name: &str, revision: u64) {
    let delay = state.settings.activation_delay;
    if delay.is_zero() {
        activate(state, namespace, name, revision);
        return;
    }
    let (state, namespace, name) = (state.clone(), namespace.to_owned(), name.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _changing = state.lock_changes().await;
        activate(&state, &namespace, &name, revision);
    });
}

/// Makes `$LATEST` `Active` if it is still at `revision` (a later change supersedes this one).
fn activate(state: &State, namespace: &str, name: &str, revision: u64) {
    let key = (namespace.to_owned(), name.to_owned());
    let current = state.read().functions.get(&key).map(|entry| entry.latest.clone());
    let Some(latest) = current.filter(|latest| latest.revision == revision && latest.status != "Active") else {
        return;
    };
    let mut record = (*latest).clone();
    record.status = "Active".into();
    let result = state.change(
        |w| w.put_function(namespace, name, "$LATEST", &record),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(&key) {
                entry.latest = Arc::new(record.clone());
            }
        },
    );
    if let Err(error) = result {
        tracing::error!(function = %name, "cannot activate: {}", error.en);
    }
}

/// Requires the function's `$LATEST` to be `Active`.
pub(crate) fn require_active(record: &FunctionRecord) -> Result<(), ApiError> {
    if record.status == "Active" { Ok(()) } else { Err(ApiError::status(&record.name, &record.status)) }
}

/// Paging as the API does it (`Offset`, `Limit`), with the action's default limit; a negative
/// offset counts as 0 and a negative limit as 0.
pub(crate) fn page<T, N: TryInto<usize>>(
    items: Vec<T>,
    offset: Option<N>,
    limit: Option<N>,
    default_limit: usize,
) -> Vec<T> {
    let offset = offset.and_then(|o| o.try_into().ok()).unwrap_or(0);
    let limit = limit.map_or(default_limit, |l| l.try_into().unwrap_or(0));
    items.into_iter().skip(offset).take(limit).collect()
}

/// How long a function may take to initialise, from its configuration.
pub(crate) fn init_timeout(record: &FunctionRecord) -> Duration {
    Duration::from_secs(record.init_timeout.clamp(1, 300) as u64)
}

/// An error of a code in the catalogue with messages in both languages.
pub(crate) fn error(code: ErrorCode, en: impl Into<String>, zh: impl Into<String>) -> ApiError {
    ApiError::new(code, en, zh)
}
