//! The emulated actions, one module per area. Every handler takes the action's generated request
//! type and returns its generated response type.

mod aliases;
mod functions;
mod invoke;
mod layers;
mod logs;
mod namespaces;
pub(crate) mod triggers;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use scf_sdk::ErrorCode;
use scf_sdk::runtime::ActionDescriptor;
use scf_sdk::types::FunctionStatus;

use crate::api_error::ApiError;
use crate::records::{FunctionKey, FunctionRecord, Scope};
use crate::server::Call;
use crate::server::Handlers;
use crate::state::{FunctionEntry, State};

pub(crate) use invoke::{HttpRequestRecord, instance_spec, record_http_request, resolve_version};
pub(crate) use invoke::{Invocation, Source, fail_interrupted_events, invoke_async, invoke_sync, log_writer};
pub(crate) use namespaces::ensure_defaults;

/// Every supported action.
pub(crate) fn handlers() -> Handlers {
    let mut handlers = Handlers::default();
    functions::register(&mut handlers);
    versions::register(&mut handlers);
    aliases::register(&mut handlers);
    namespaces::register(&mut handlers);
    invoke::register(&mut handlers);
    logs::register(&mut handlers);
    triggers::register(&mut handlers);
    layers::register(&mut handlers);
    handlers
}

/// Where a call acts: its region, and its namespace (`default` when absent).
pub(crate) fn scope(call: &Call, namespace: &Option<String>) -> Scope {
    let namespace = namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(DEFAULT_NAMESPACE);
    Scope { region: call.region.clone(), namespace: namespace.to_owned() }
}

/// The namespace every region has.
pub(crate) const DEFAULT_NAMESPACE: &str = "default";

/// A member the official description leaves optional but the action cannot do without.
pub(crate) fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, ApiError> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
        error(ErrorCode::MissingParameter, format!("`{member}` is required."), format!("缺少参数 {member}。"))
    })
}

/// The most scf-local keeps of a free-text member the API gives no limit for (a description, a
/// license, another service's resource name): `CreateFunction`'s documented limit for `Description`.
pub(crate) const MAX_TEXT_BYTES: usize = 1000;

/// Refuses a free-text member longer than [`MAX_TEXT_BYTES`], with the action's code for it.
pub(crate) fn bounded_text(descriptor: &ActionDescriptor, member: &str, value: Option<&str>) -> Result<(), ApiError> {
    let Some(length) = value.map(str::len).filter(|length| *length > MAX_TEXT_BYTES) else { return Ok(()) };
    Err(error(
        crate::server::member_code(descriptor, member),
        format!("`{member}` is {length} bytes; at most {MAX_TEXT_BYTES} are kept."),
        format!("{member} 不能超过 {MAX_TEXT_BYTES} 字节。"),
    ))
}

/// A function, after checking its namespace exists. A missing namespace is answered with
/// `ResourceNotFound.Namespace` where the action lists it, else `ResourceNotFound.Function`.
pub(crate) fn function(
    state: &State,
    descriptor: &ActionDescriptor,
    scope: &Scope,
    name: &str,
) -> Result<FunctionEntry, ApiError> {
    let model = state.read();
    if !model.has_namespace(scope) {
        let code = documented(
            descriptor,
            &[ErrorCode::ResourceNotFoundNamespace, ErrorCode::ResourceNotFoundFunction],
            ErrorCode::ResourceNotFound,
        );
        let mut error = ApiError::namespace_not_found(&scope.namespace);
        error.code = code;
        return Err(error);
    }
    model.functions.get(&scope.function(name)).cloned().ok_or_else(|| {
        let mut error = ApiError::function_not_found(&scope.namespace, name);
        error.code = documented(descriptor, &[ErrorCode::ResourceNotFoundFunction], ErrorCode::ResourceNotFound);
        error
    })
}

/// A version (or qualifier) that does not exist: the first of `preferred` the action lists (each
/// action names it its own way), else `ResourceNotFound`.
pub(crate) fn version_not_found(
    descriptor: &ActionDescriptor,
    preferred: &[ErrorCode],
    name: &str,
    version: &str,
) -> ApiError {
    let mut error = ApiError::version_not_found(name, version);
    error.code = documented(descriptor, preferred, ErrorCode::ResourceNotFound);
    error
}

/// How a missing version is named where the member is a qualifier (a version or an alias).
pub(crate) const QUALIFIER_NOT_FOUND: &[ErrorCode] = &[
    ErrorCode::ResourceNotFoundQualifier,
    ErrorCode::ResourceNotFoundVersion,
    ErrorCode::ResourceNotFoundFunctionVersion,
];

/// The first of `preferred` that `descriptor`'s action lists, else `fallback` (a common code): the
/// documented answer to a mistake that different actions name differently.
pub(crate) fn documented(descriptor: &ActionDescriptor, preferred: &[ErrorCode], fallback: ErrorCode) -> ErrorCode {
    preferred
        .iter()
        .find(|code| {
            descriptor.errors.contains(&code.as_str()) || (descriptor.service_wide_errors && !code.is_common())
        })
        .cloned()
        .unwrap_or(fallback)
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
pub(crate) fn activate_later(state: &Arc<State>, key: &FunctionKey, revision: u64) {
    let delay = state.settings.activation_delay;
    if delay.is_zero() {
        activate(state, key, revision);
        return;
    }
    let (state, key) = (state.clone(), key.clone());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _changing = state.lock_changes().await;
        activate(&state, &key, revision);
    });
}

/// Makes `$LATEST` `Active` if it is still at `revision` (a later change supersedes this one).
fn activate(state: &State, key: &FunctionKey, revision: u64) {
    let name = &key.name;
    let current = state.read().functions.get(key).map(|entry| entry.latest.clone());
    let Some(latest) = current.filter(|latest| latest.revision == revision && latest.status != FunctionStatus::Active)
    else {
        return;
    };
    let mut record = (*latest).clone();
    record.status = FunctionStatus::Active;
    let result = state.change(
        |w| w.put_function(&record),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(key) {
                entry.latest = Arc::new(record.clone());
            }
        },
    );
    if let Err(error) = result {
        tracing::error!(function = %name, "cannot activate: {}", error.en);
    }
}

/// Requires the function's `$LATEST` to be `Active`; otherwise `FailedOperation.FunctionStatusError`
/// where the action lists it, else the action's own failure code (`FailedOperation.PublishVersion`,
/// …), else `FailedOperation`.
pub(crate) fn require_active(descriptor: &ActionDescriptor, record: &FunctionRecord) -> Result<(), ApiError> {
    if record.status == FunctionStatus::Active {
        return Ok(());
    }
    let own = ErrorCode::from(format!("FailedOperation.{}", descriptor.name).as_str());
    let mut error = ApiError::status(&record.name, record.status.as_str());
    error.code =
        documented(descriptor, &[ErrorCode::FailedOperationFunctionStatusError, own], ErrorCode::FailedOperation);
    Err(error)
}

/// Paging as the API does it (`Offset`, `Limit`), with the action's default limit. A negative
/// offset or limit is refused with the action's own code for the member (or
/// `InvalidParameterValue`).
pub(crate) fn page<T>(
    descriptor: &ActionDescriptor,
    items: Vec<T>,
    offset: Option<i64>,
    limit: Option<i64>,
    default_limit: usize,
) -> Result<Vec<T>, ApiError> {
    for (member, value) in [("Offset", offset), ("Limit", limit)] {
        if let Some(value) = value.filter(|v| *v < 0) {
            return Err(error(
                crate::server::member_code(descriptor, member),
                format!("`{member}` is {value}; it must not be negative."),
                format!("{member} 不能为负数。"),
            ));
        }
    }
    let offset = offset.map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX));
    let limit = limit.map_or(default_limit, |l| usize::try_from(l).unwrap_or(usize::MAX));
    Ok(items.into_iter().skip(offset).take(limit).collect())
}

/// How long a function may take to initialise, from its configuration.
pub(crate) fn init_timeout(record: &FunctionRecord) -> Duration {
    Duration::from_secs(record.init_timeout.clamp(1, 300) as u64)
}

/// Removes the code packages (and merged layer directories) no function version or layer refers to
/// and no live instance runs from. Called by changes (under the changes lock, so no package being
/// stored is mistaken for garbage).
pub(crate) async fn collect_code(state: &State) {
    let (mut referenced, layer_dirs) = {
        let model = state.read();
        (model.code_packages(), model.layer_dirs())
    };
    referenced.extend(layer_dirs.into_keys());
    for dir in state.pools.code_dirs_in_use() {
        if let Some(name) = dir.file_name().and_then(|n| n.to_str()) {
            referenced.insert(name.to_owned());
        }
    }
    let store = state.store.clone();
    let _ = tokio::task::spawn_blocking(move || {
        store.collect_garbage(&referenced);
        store.collect_layer_dirs(&referenced);
    })
    .await;
}

/// An error of a code in the catalogue with messages in both languages.
pub(crate) fn error(code: ErrorCode, en: impl Into<String>, zh: impl Into<String>) -> ApiError {
    ApiError::new(code, en, zh)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn record(version: &str) -> Arc<FunctionRecord> {
        Arc::new(FunctionRecord {
            region: "ap-guangzhou".into(),
            namespace: "default".into(),
            name: "f".into(),
            version: version.into(),
            function_id: String::new(),
            handler: "index.main_handler".into(),
            runtime: "Python3.9".into(),
            memory_size: 128,
            timeout: 3,
            init_timeout: 65,
            description: String::new(),
            environment: Vec::new(),
            function_type: "Event".into(),
            code_sha256: String::new(),
            code_size: 0,
            status: FunctionStatus::Active,
            status_desc: String::new(),
            add_time: String::new(),
            mod_time: String::new(),
            revision: 1,
            version_description: String::new(),
            tags: Vec::new(),
            async_run_enable: false,
            ignore_sys_log: false,
            layers: Vec::new(),
        })
    }

    fn alias(name: &str, version: &str) -> (String, Arc<crate::records::AliasRecord>) {
        let record = crate::records::AliasRecord {
            name: name.into(),
            version: version.into(),
            weights: Vec::new(),
            matches: Vec::new(),
            description: String::new(),
            add_time: String::new(),
            mod_time: String::new(),
        };
        (name.to_owned(), Arc::new(record))
    }

    #[test]
    fn a_qualifier_names_latest_a_published_version_or_an_alias() {
        let entry = FunctionEntry {
            latest: record("$LATEST"),
            versions: [(1, record("1")), (2, record("2"))].into_iter().collect(),
            aliases: [alias("prod", "2"), alias("dangling", "9")].into_iter().collect(),
        };
        let resolved = |qualifier: &str| version(&entry, qualifier).map(|r| r.version.clone());
        assert_eq!(resolved("$LATEST").as_deref(), Some("$LATEST"));
        assert_eq!(resolved("1").as_deref(), Some("1"));
        assert_eq!(resolved("prod").as_deref(), Some("2"), "an alias resolves to its main version");
        for unknown in ["3", "01", "+1", " 1", "", "$latest", "dangling", "nope"] {
            assert_eq!(resolved(unknown), None, "{unknown:?}");
        }
        assert_eq!(version_number("18446744073709551615"), Some(u64::MAX));
        assert_eq!(version_number("18446744073709551616"), None, "too large for any version");
        assert_eq!(version_number("-1"), None);
    }

    /// Every code a handler may answer is in its action's documented list (or is a common code):
    /// the mechanical check that no mistake is answered with another action's code.
    #[test]
    fn every_code_an_action_answers_is_documented_for_it() {
        let mut undocumented = Vec::new();
        for (name, contract) in handlers().contracts() {
            let descriptor = scf_sdk::catalog::action(name).unwrap();
            for code in contract.answers {
                let listed = descriptor.errors.contains(&code.as_str())
                    || (descriptor.service_wide_errors && !matches!(code, ErrorCode::Unknown(_)));
                if !(listed || code.is_common()) {
                    undocumented.push(format!("{name}: {}", code.as_str()));
                }
            }
        }
        assert!(undocumented.is_empty(), "answered but not documented for the action:\n{}", undocumented.join("\n"));
    }

    /// Every input member of every supported action is honoured or refused, once: nothing is
    /// accepted and silently dropped.
    #[test]
    fn every_input_member_is_honoured_or_refused() {
        for (name, contract) in handlers().contracts() {
            let descriptor = scf_sdk::catalog::action(name).unwrap();
            let members: BTreeSet<&str> = descriptor.input.iter().map(|m| m.name).collect();
            let honoured: BTreeSet<&str> = contract.honours.iter().copied().collect();
            let refused: BTreeSet<&str> = contract.refuses.iter().copied().collect();
            assert_eq!(honoured.len(), contract.honours.len(), "{name}: a member honoured twice");
            assert!(
                honoured.is_disjoint(&refused),
                "{name}: honoured and refused: {:?}",
                honoured.intersection(&refused)
            );
            let declared: BTreeSet<&str> = honoured.union(&refused).copied().collect();
            let missing: Vec<_> = members.difference(&declared).collect();
            let unknown: Vec<_> = declared.difference(&members).collect();
            assert!(
                missing.is_empty() && unknown.is_empty(),
                "{name}: undeclared {missing:?}, not members {unknown:?}"
            );
        }
    }
}
