//! Namespaces, per region: `default` always exists in every region; the others are created, listed,
//! described and deleted (only when they hold no function).

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    CreateNamespaceRequest, CreateNamespaceResponse, DeleteNamespaceRequest, DeleteNamespaceResponse,
    ListNamespacesRequest, ListNamespacesResponse, UpdateNamespaceRequest, UpdateNamespaceResponse,
};
use scf_sdk::runtime::Action as _;
use scf_sdk::types::{Namespace, SortOrder};

use super::{DEFAULT_NAMESPACE, error, page};
use crate::api_error::ApiError;
use crate::records::{NamespaceRecord, Scope};
use crate::server::{Call, Contract, Handlers};
use crate::state::State;

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&CREATE, create);
    handlers.add(&LIST, list);
    handlers.add_change(&UPDATE, update);
    handlers.add_change(&DELETE, delete);
}

const CREATE: Contract = Contract {
    answers: &[
        ErrorCode::InvalidParameterValueDefaultNamespace,
        ErrorCode::InvalidParameterValueNamespaceInvalid,
        ErrorCode::ResourceInUseNamespace,
    ],
    honours: &["Namespace", "Description"],
    // An environment of Tencent's Cloud Base: nothing local stands for it.
    refuses: &["ResourceEnv"],
};

const LIST: Contract = Contract {
    answers: &[ErrorCode::InvalidParameterValueSearchKey],
    honours: &["Limit", "Offset", "Orderby", "Order", "SearchKey"],
    refuses: &[],
};

const UPDATE: Contract =
    Contract { answers: &[ErrorCode::ResourceNotFoundNamespace], honours: &["Namespace", "Description"], refuses: &[] };

const DELETE: Contract = Contract {
    answers: &[
        ErrorCode::FailedOperationDeleteNamespace,
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceInUseNamespace,
    ],
    honours: &["Namespace"],
    refuses: &[],
};

/// Creates the `default` namespace of every region the store lacks it in (first start).
pub(crate) fn ensure_defaults(state: &State) -> Result<(), ApiError> {
    let now = crate::util::now();
    let missing: Vec<NamespaceRecord> = {
        let model = state.read();
        scf_sdk::catalog::SERVICE
            .regions
            .iter()
            .filter(|region| !model.namespaces.contains_key(&(region.to_string(), DEFAULT_NAMESPACE.to_owned())))
            .map(|region| NamespaceRecord {
                region: region.to_string(),
                name: DEFAULT_NAMESPACE.into(),
                description: String::new(),
                add_time: now.clone(),
                mod_time: now.clone(),
            })
            .collect()
    };
    if missing.is_empty() {
        return Ok(());
    }
    state.change(
        |w| missing.iter().try_for_each(|record| w.put_namespace(record)),
        |model, _| {
            for record in &missing {
                model.namespaces.insert((record.region.clone(), record.name.clone()), record.clone());
            }
        },
    )
}

async fn create(
    state: Arc<State>,
    call: Call,
    request: CreateNamespaceRequest,
) -> Result<CreateNamespaceResponse, ApiError> {
    let name = request.namespace.clone();
    let scope = Scope { region: call.region.clone(), namespace: name.clone() };
    if name == DEFAULT_NAMESPACE {
        return Err(error(
            ErrorCode::InvalidParameterValueDefaultNamespace,
            "The `default` namespace always exists.",
            "default 命名空间已存在，不能创建。",
        ));
    }
    let valid =
        (1..=30).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(error(
            ErrorCode::InvalidParameterValueNamespaceInvalid,
            format!("The namespace `{name}` must be 1 to 30 letters, digits, `-` or `_`."),
            "Namespace 为英文字母、数字、-_ 符号组成，长度 30。",
        ));
    }
    if state.read().has_namespace(&scope) {
        return Err(error(
            ErrorCode::ResourceInUseNamespace,
            format!("The namespace `{name}` already exists."),
            format!("命名空间 `{name}` 已存在。"),
        ));
    }
    let now = crate::util::now();
    let record = NamespaceRecord {
        region: call.region.clone(),
        name: name.clone(),
        description: request.description.clone().unwrap_or_default(),
        add_time: now.clone(),
        mod_time: now,
    };
    state.change(
        |w| w.put_namespace(&record),
        |model, _| {
            model.namespaces.insert(scope.namespace_key(), record.clone());
        },
    )?;
    CreateNamespaceResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn list(
    state: Arc<State>,
    call: Call,
    request: ListNamespacesRequest,
) -> Result<ListNamespacesResponse, ApiError> {
    let mut namespaces: Vec<NamespaceRecord> =
        state.read().namespaces.values().filter(|n| n.region == call.region).cloned().collect();
    for key in request.search_key.iter().flatten() {
        let value = key.value.as_str();
        match key.key.as_str() {
            "Namespace" => namespaces.retain(|n| n.name.contains(value)),
            "Description" => namespaces.retain(|n| n.description.contains(value)),
            other => {
                return Err(error(
                    ErrorCode::InvalidParameterValueSearchKey,
                    format!("`SearchKey.Key` `{other}` is not `Namespace` or `Description`."),
                    format!("SearchKey.Key `{other}` 不合法，可选 Namespace 或 Description。"),
                ));
            }
        }
    }
    let by_name = request.orderby.as_ref().is_some_and(|o| o.as_str() == "Name");
    namespaces.sort_by(|a, b| {
        if by_name { a.name.cmp(&b.name) } else { a.mod_time.cmp(&b.mod_time).then(a.name.cmp(&b.name)) }
    });
    if request.order.as_ref() != Some(&SortOrder::Asc) {
        namespaces.reverse();
    }
    let total = namespaces.len() as i64;
    let namespaces = page(ListNamespacesRequest::DESCRIPTOR, namespaces, request.offset, request.limit, 20)?
        .iter()
        .map(|n| {
            Namespace::builder()
                .mod_time(&n.mod_time)
                .add_time(&n.add_time)
                .description(&n.description)
                .name(&n.name)
                .type_("default")
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    ListNamespacesResponse::builder()
        .namespaces(namespaces)
        .total_count(total)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn update(
    state: Arc<State>,
    call: Call,
    request: UpdateNamespaceRequest,
) -> Result<UpdateNamespaceResponse, ApiError> {
    let name = request.namespace.clone();
    let scope = Scope { region: call.region.clone(), namespace: name.clone() };
    let mut record = state
        .read()
        .namespaces
        .get(&scope.namespace_key())
        .cloned()
        .ok_or_else(|| ApiError::namespace_not_found(&name))?;
    record.description = request.description.clone();
    record.mod_time = crate::util::now();
    state.change(
        |w| w.put_namespace(&record),
        |model, _| {
            model.namespaces.insert(scope.namespace_key(), record.clone());
        },
    )?;
    UpdateNamespaceResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn delete(
    state: Arc<State>,
    call: Call,
    request: DeleteNamespaceRequest,
) -> Result<DeleteNamespaceResponse, ApiError> {
    let name = request.namespace.clone();
    let scope = Scope { region: call.region.clone(), namespace: name.clone() };
    if name == DEFAULT_NAMESPACE {
        return Err(error(
            ErrorCode::FailedOperationDeleteNamespace,
            "The `default` namespace cannot be deleted.",
            "default 命名空间不能删除。",
        ));
    }
    {
        let model = state.read();
        if !model.has_namespace(&scope) {
            return Err(ApiError::namespace_not_found(&name));
        }
        if model.functions_in(&scope).next().is_some() {
            return Err(error(
                ErrorCode::ResourceInUseNamespace,
                format!("The namespace `{name}` still has functions; delete them first."),
                format!("命名空间 `{name}` 下仍有函数，请先删除函数。"),
            ));
        }
    }
    state.change(
        |w| w.delete_namespace(&scope),
        |model, _| {
            model.namespaces.remove(&scope.namespace_key());
        },
    )?;
    DeleteNamespaceResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}
