//! Versions: publish (a snapshot of `$LATEST`), list, delete. Numbers start at 1 and are never
//! reused.

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    DeleteFunctionVersionRequest, DeleteFunctionVersionResponse, ListVersionByFunctionRequest,
    ListVersionByFunctionResponse, PublishVersionRequest, PublishVersionResponse,
};
use scf_sdk::runtime::{Action as _, ActionDescriptor};
use scf_sdk::types::{FunctionStatus, FunctionVersion, SortOrder};

use super::{documented, error, function, page, require_active, scope};
use crate::api_error::ApiError;
use crate::records::{FunctionKey, FunctionRecord};
use crate::server::{Call, Contract, Handlers};
use crate::state::State;

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&PUBLISH, publish_version);
    handlers.add(&LIST, list_versions);
    handlers.add_change(&DELETE, delete_function_version);
}

const PUBLISH: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::FailedOperationPublishVersion,
    ],
    honours: &["FunctionName", "Description", "Namespace"],
    refuses: &[],
};

const LIST: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundNamespace, ErrorCode::ResourceNotFoundFunction],
    honours: &["FunctionName", "Namespace", "Offset", "Limit", "Order", "OrderBy"],
    refuses: &[],
};

const DELETE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::InvalidParameterValueQualifier,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::UnsupportedOperationAliasBind,
    ],
    honours: &["FunctionName", "Qualifier", "Namespace"],
    // Deleting at once, even with invocations running: instances here finish what they run.
    refuses: &["ForceDelete"],
};

/// Publishes `$LATEST` as the next version; returns the new version.
pub(super) fn publish(state: &State, key: &FunctionKey, description: &str) -> Result<Arc<FunctionRecord>, ApiError> {
    let entry = function(state, PublishVersionRequest::DESCRIPTOR, &key.scope, &key.name)?;
    require_active(PublishVersionRequest::DESCRIPTOR, &entry.latest)?;
    publish_record(state, &entry.latest, description)
}

/// Publishes `latest` (a snapshot of `$LATEST`) as the next version of its function.
pub(super) fn publish_record(
    state: &State,
    latest: &FunctionRecord,
    description: &str,
) -> Result<Arc<FunctionRecord>, ApiError> {
    let key = latest.key();
    let mut record = latest.clone();
    record.status = FunctionStatus::Active;
    record.version_description = description.to_owned();
    let now = crate::util::now();
    record.add_time = now.clone();
    record.mod_time = now;
    let record = state.change(
        |w| {
            let number = w.next_version(&key)?;
            let mut record = record.clone();
            record.version = number.to_string();
            w.put_function(&record)?;
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
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let record = publish(&state, &key, request.description.as_deref().unwrap_or_default())?;
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
    let entry = function(
        &state,
        ListVersionByFunctionRequest::DESCRIPTOR,
        &scope(&call, &request.namespace),
        &request.function_name,
    )?;
    let mut records: Vec<Arc<FunctionRecord>> =
        std::iter::once(entry.latest.clone()).chain(entry.versions.values().cloned()).collect();
    let by_mod_time = request.order_by.as_ref().is_some_and(|o| o.as_str() == "ModTime");
    records.sort_by(|a, b| if by_mod_time { a.mod_time.cmp(&b.mod_time) } else { a.add_time.cmp(&b.add_time) });
    if request.order.as_ref() == Some(&SortOrder::Desc) {
        records.reverse();
    }
    let names: Vec<String> = records.iter().map(|r| r.version.clone()).collect();
    let total = records.len() as u64;
    let versions = page(
        ListVersionByFunctionRequest::DESCRIPTOR,
        records,
        request.offset.map(|o| i64::try_from(o).unwrap_or(i64::MAX)),
        request.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
        20,
    )?
    .iter()
    .map(|r| {
        let description = if r.version == "$LATEST" { &r.description } else { &r.version_description };
        FunctionVersion::builder()
            .version(&r.version)
            .description(description)
            .add_time(&r.add_time)
            .mod_time(&r.mod_time)
            .status(r.status.clone())
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
/// `descriptor` is the action's (`DeleteFunction` with a `Qualifier`, or `DeleteFunctionVersion`),
/// whose own codes answer a missing version and one an alias routes to.
pub(super) fn delete_version(
    state: &State,
    descriptor: &ActionDescriptor,
    key: &FunctionKey,
    qualifier: &str,
) -> Result<(), ApiError> {
    let name = &key.name;
    let entry = function(state, descriptor, &key.scope, name)?;
    let number = super::version_number(qualifier)
        .filter(|n| entry.versions.contains_key(n))
        .ok_or_else(|| super::version_not_found(descriptor, super::QUALIFIER_NOT_FOUND, name, qualifier))?;
    let routes_to = |alias: &&Arc<crate::records::AliasRecord>| {
        alias.version == qualifier
            || alias.weights.iter().any(|(v, _)| v == qualifier)
            || alias.matches.iter().any(|m| m.version == qualifier)
    };
    if let Some(alias) = entry.aliases.values().find(routes_to) {
        return Err(error(
            documented(
                descriptor,
                &[ErrorCode::UnsupportedOperationAliasBind, ErrorCode::ResourceInUseAlias],
                ErrorCode::ResourceInUse,
            ),
            format!("Version {qualifier} is used by alias `{}`; change the alias first.", alias.name),
            format!("版本 {qualifier} 正被别名 `{}` 使用。", alias.name),
        ));
    }
    let retired = format!("{}#", entry.versions[&number].pool_prefix());
    state.change(
        |w| w.delete_function(key, Some(qualifier)),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(key) {
                entry.versions.remove(&number);
            }
        },
    )?;
    state.pools.retire(&retired);
    Ok(())
}

async fn delete_function_version(
    state: Arc<State>,
    call: Call,
    request: DeleteFunctionVersionRequest,
) -> Result<DeleteFunctionVersionResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    if request.qualifier == "$LATEST" {
        return Err(error(
            ErrorCode::InvalidParameterValueQualifier,
            "`$LATEST` cannot be deleted as a version: delete the function.",
            "$LATEST 版本不能单独删除。",
        ));
    }
    delete_version(&state, DeleteFunctionVersionRequest::DESCRIPTOR, &key, &request.qualifier)?;
    super::collect_code(&state).await;
    DeleteFunctionVersionResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}
