//! Versions: publish (a snapshot of `$LATEST`), list, delete. Numbers start at 1 and are never
//! reused.

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    DeleteFunctionVersionRequest, DeleteFunctionVersionResponse, ListVersionByFunctionRequest,
    ListVersionByFunctionResponse, PublishVersionRequest, PublishVersionResponse,
};
use scf_sdk::types::{FunctionVersion, SortOrder};

use super::{error, function, namespace, page, require_active};
use crate::api_error::ApiError;
use crate::server::{Call, Handlers};
use crate::state::{FunctionRecord, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(publish_version);
    handlers.add(list_versions);
    handlers.add_change(delete_function_version);
}

/// Publishes `$LATEST` as the next version; returns the new version.
pub(super) fn publish(
    state: &State,
    namespace: &str,
    name: &str,
    description: &str,
) -> Result<Arc<FunctionRecord>, ApiError> {
    let entry = function(state, namespace, name)?;
    require_active(&entry.latest)?;
    publish_record(state, &entry.latest, description)
}

/// Publishes `latest` (a snapshot of `$LATEST`) as the next version of its function.
pub(super) fn publish_record(
    state: &State,
    latest: &FunctionRecord,
    description: &str,
) -> Result<Arc<FunctionRecord>, ApiError> {
    let (namespace, name) = (latest.namespace.as_str(), latest.name.as_str());
    let mut record = latest.clone();
    record.status = "Active".into();
    record.version_description = description.to_owned();
    let now = crate::util::now();
    record.add_time = now.clone();
    record.mod_time = now;
    let counter = format!("version:{namespace}/{name}");
    let key = (namespace.to_owned(), name.to_owned());
    let record = state.change(
        |w| {
            let number = w.next(&counter)?;
            let mut record = record.clone();
            record.version = number.to_string();
            w.put_function(namespace, name, &record.version, &record)?;
            Ok(Arc::new(record))
        },
        |model, record: &Arc<FunctionRecord>| {
            if let (Some(entry), Ok(number)) = (model.functions.get_mut(&key), record.version.parse::<u64>()) {
                entry.versions.insert(number, record.clone());
            }
        },
    )?;
    Ok(record)
}

async fn publish_version(
    state: Arc<State>,
    call: Call,
    request: PublishVersionRequest,
) -> Result<PublishVersionResponse, ApiError> {
    let namespace = namespace(&request.namespace).to_owned();
    let record =
        publish(&state, &namespace, &request.function_name, request.description.as_deref().unwrap_or_default())?;
    PublishVersionResponse::builder()
        .function_version(&record.version)
        .code_size(record.code_size)
        .memory_size(record.memory_size)
        .description(&record.version_description)
        .handler(&record.handler)
        .timeout(record.timeout)
        .runtime(&record.runtime)
        .namespace(&record.namespace)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn list_versions(
    state: Arc<State>,
    call: Call,
    request: ListVersionByFunctionRequest,
) -> Result<ListVersionByFunctionResponse, ApiError> {
    let namespace = namespace(&request.namespace).to_owned();
    let entry = function(&state, &namespace, &request.function_name)?;
    let mut records: Vec<Arc<FunctionRecord>> =
        std::iter::once(entry.latest.clone()).chain(entry.versions.values().cloned()).collect();
    let by_mod_time = request.order_by.as_ref().is_some_and(|o| o.as_str() == "ModTime");
    records.sort_by(|a, b| if by_mod_time { a.mod_time.cmp(&b.mod_time) } else { a.add_time.cmp(&b.add_time) });
    if request.order.as_ref() == Some(&SortOrder::Desc) {
        records.reverse();
    }
    let names: Vec<String> = records.iter().map(|r| r.version.clone()).collect();
    let total = records.len() as u64;
    let versions = page(records, request.offset, request.limit, 20)
        .iter()
        .map(|r| {
            let description = if r.version == "$LATEST" { &r.description } else { &r.version_description };
            FunctionVersion::builder()
                .version(&r.version)
                .description(description)
                .add_time(&r.add_time)
                .mod_time(&r.mod_time)
                .status(&r.status)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    ListVersionByFunctionResponse::builder()
        .function_version(names)
        .versions(versions)
        .total_count(total)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// Deletes a published version; refused while an alias routes to it.
pub(super) fn delete_version(state: &State, namespace: &str, name: &str, qualifier: &str) -> Result<(), ApiError> {
    let entry = function(state, namespace, name)?;
    let number = super::version_number(qualifier)
        .filter(|n| entry.versions.contains_key(n))
        .ok_or_else(|| ApiError::version_not_found(name, qualifier))?;
    let routes_to = |alias: &&Arc<crate::state::AliasRecord>| {
        alias.version == qualifier
            || alias.weights.iter().any(|(v, _)| v == qualifier)
            || alias.matches.iter().any(|m| m.version == qualifier)
    };
    if let Some(alias) = entry.aliases.values().find(routes_to) {
        return Err(error(
            ErrorCode::ResourceInUseAlias,
            format!("Version {qualifier} is used by alias `{}`; change the alias first.", alias.name),
            format!("版本 {qualifier} 正被别名 `{}` 使用。", alias.name),
        ));
    }
    let key = (namespace.to_owned(), name.to_owned());
    state.change(
        |w| w.delete_function(namespace, name, Some(qualifier)),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(&key) {
                entry.versions.remove(&number);
            }
        },
    )?;
    state.pools.retire(&format!("{namespace}/{name}/{qualifier}#"));
    Ok(())
}

async fn delete_function_version(
    state: Arc<State>,
    call: Call,
    request: DeleteFunctionVersionRequest,
) -> Result<DeleteFunctionVersionResponse, ApiError> {
    let namespace = namespace(&request.namespace).to_owned();
    if request.qualifier == "$LATEST" {
        return Err(error(
            ErrorCode::InvalidParameterValueQualifier,
            "`$LATEST` cannot be deleted as a version: delete the function.",
            "$LATEST 版本不能单独删除。",
        ));
    }
    delete_version(&state, &namespace, &request.function_name, &request.qualifier)?;
    DeleteFunctionVersionResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}
