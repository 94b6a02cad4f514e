//! Namespaces: `default` always exists; the others are created, listed, described and deleted
//! (only when they hold no function).

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    CreateNamespaceRequest, CreateNamespaceResponse, DeleteNamespaceRequest, DeleteNamespaceResponse,
    ListNamespacesRequest, ListNamespacesResponse, UpdateNamespaceRequest, UpdateNamespaceResponse,
};
use scf_sdk::types::{Namespace, SortOrder};

use super::{error, page};
use crate::api_error::ApiError;
use crate::server::{Call, Handlers};
use crate::state::{NamespaceRecord, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(create);
    handlers.add(list);
    handlers.add_change(update);
    handlers.add_change(delete);
}

/// Creates the `default` namespace if the store has none (first start).
pub(crate) fn ensure_default(state: &State) -> Result<(), ApiError> {
    if state.read().namespaces.contains_key("default") {
        return Ok(());
    }
    let now = crate::util::now();
    let record =
        NamespaceRecord { name: "default".into(), description: String::new(), add_time: now.clone(), mod_time: now };
    state.change(
        |w| w.put_namespace("default", &record),
        |model, _| {
            model.namespaces.insert("default".into(), record.clone());
        },
    )
}

async fn create(
    state: Arc<State>,
    call: Call,
    request: CreateNamespaceRequest,
) -> Result<CreateNamespaceResponse, ApiError> {
    let name = request.namespace.clone();
    if name == "default" {
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
    if state.read().namespaces.contains_key(&name) {
        return Err(error(
            ErrorCode::ResourceInUseNamespace,
            format!("The namespace `{name}` already exists."),
            format!("命名空间 `{name}` 已存在。"),
        ));
    }
    let now = crate::util::now();
    let record = NamespaceRecord {
        name: name.clone(),
        description: request.description.clone().unwrap_or_default(),
        add_time: now.clone(),
        mod_time: now,
    };
    state.change(
        |w| w.put_namespace(&name, &record),
        |model, _| {
            model.namespaces.insert(name.clone(), record.clone());
        },
    )?;
    CreateNamespaceResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn list(
    state: Arc<State>,
    call: Call,
    request: ListNamespacesRequest,
) -> Result<ListNamespacesResponse, ApiError> {
    let mut namespaces: Vec<NamespaceRecord> = state.read().namespaces.values().cloned().collect();
    for key in request.search_key.iter().flatten() {
        let value = key.value.as_str();
        match key.key.as_str() {
            "Namespace" => namespaces.retain(|n| n.name.contains(value)),
            "Description" => namespaces.retain(|n| n.description.contains(value)),
            _ => {}
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
    let namespaces = page(namespaces, request.offset, request.limit, 20)
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
    let mut record = state.read().namespaces.get(&name).cloned().ok_or_else(|| ApiError::namespace_not_found(&name))?;
    record.description = request.description.clone();
    record.mod_time = crate::util::now();
    state.change(
        |w| w.put_namespace(&name, &record),
        |model, _| {
            model.namespaces.insert(name.clone(), record.clone());
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
    if name == "default" {
        return Err(error(
            ErrorCode::FailedOperationDeleteNamespace,
            "The `default` namespace cannot be deleted.",
            "default 命名空间不能删除。",
        ));
    }
    {
        let model = state.read();
        if !model.namespaces.contains_key(&name) {
            return Err(ApiError::namespace_not_found(&name));
        }
        if model.functions.keys().any(|(ns, _)| *ns == name) {
            return Err(error(
                ErrorCode::ResourceInUseNamespace,
                format!("The namespace `{name}` still has functions; delete them first."),
                format!("命名空间 `{name}` 下仍有函数，请先删除函数。"),
            ));
        }
    }
    state.change(
        |w| w.delete_namespace(&name),
        |model, _| {
            model.namespaces.remove(&name);
        },
    )?;
    DeleteNamespaceResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}
