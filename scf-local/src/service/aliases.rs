//! Aliases: names for a version, optionally routing part of the traffic to one more version — by
//! weight, or by rules on the invocation's `RoutingKey`. `$DEFAULT` exists from the start, points
//! at `$LATEST` and cannot be deleted.

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    CreateAliasRequest, CreateAliasResponse, DeleteAliasRequest, DeleteAliasResponse, GetAliasRequest,
    GetAliasResponse, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest, UpdateAliasResponse,
};
use scf_sdk::runtime::{Action as _, ActionDescriptor};
use scf_sdk::types::{Alias, RoutingConfig, VersionMatch, VersionWeight};

use super::{documented, error, function, page, scope};
use crate::api_error::ApiError;
use crate::records::{AliasRecord, FunctionKey, MatchRule};
use crate::server::{Call, Contract, Handlers};
use crate::state::{FunctionEntry, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&CREATE, create);
    handlers.add(&GET, get);
    handlers.add_change(&UPDATE, update);
    handlers.add_change(&DELETE, delete);
    handlers.add(&LIST, list);
}

const CREATE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::InvalidParameterValueName,
        ErrorCode::ResourceInUseAlias,
        ErrorCode::ResourceNotFoundFunctionVersion,
        ErrorCode::InvalidParameterValueRoutingConfig,
    ],
    honours: &["Name", "FunctionName", "FunctionVersion", "Namespace", "RoutingConfig", "Description"],
    refuses: &[],
};

const UPDATE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundAlias,
        ErrorCode::ResourceNotFoundFunctionVersion,
        ErrorCode::InvalidParameterValueRoutingConfig,
    ],
    honours: &["FunctionName", "Name", "FunctionVersion", "Namespace", "RoutingConfig", "Description"],
    refuses: &[],
};

const GET: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundAlias,
    ],
    honours: &["FunctionName", "Name", "Namespace"],
    refuses: &[],
};

const DELETE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundAlias,
        ErrorCode::InvalidParameterValueAlias,
    ],
    honours: &["FunctionName", "Name", "Namespace"],
    refuses: &[],
};

const LIST: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundNamespace, ErrorCode::ResourceNotFoundFunction],
    honours: &["FunctionName", "Namespace", "FunctionVersion", "Offset", "Limit"],
    refuses: &[],
};

async fn create(state: Arc<State>, call: Call, request: CreateAliasRequest) -> Result<CreateAliasResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, CreateAliasRequest::DESCRIPTOR, &key.scope, &key.name)?;
    check_name(&request.name)?;
    if entry.aliases.contains_key(&request.name) {
        return Err(error(
            ErrorCode::ResourceInUseAlias,
            format!("The alias `{}` already exists.", request.name),
            format!("别名 `{}` 已存在。", request.name),
        ));
    }
    let now = crate::util::now();
    let named = Named {
        name: request.name.clone(),
        description: request.description.clone().unwrap_or_default(),
        add_time: now.clone(),
        mod_time: now,
    };
    let alias = routing(
        CreateAliasRequest::DESCRIPTOR,
        &entry,
        named,
        &request.function_version,
        request.routing_config.as_ref(),
    )?;
    save(&state, &key, alias)?;
    CreateAliasResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn update(state: Arc<State>, call: Call, request: UpdateAliasRequest) -> Result<UpdateAliasResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, UpdateAliasRequest::DESCRIPTOR, &key.scope, &key.name)?;
    let existing = entry.aliases.get(&request.name).ok_or_else(|| not_found(&request.name))?;
    let description = request.description.clone().or_else(|| Some(existing.description.clone()));
    let named = Named {
        name: request.name.clone(),
        description: description.unwrap_or_default(),
        add_time: existing.add_time.clone(),
        mod_time: crate::util::now(),
    };
    let alias = routing(
        UpdateAliasRequest::DESCRIPTOR,
        &entry,
        named,
        &request.function_version,
        request.routing_config.as_ref(),
    )?;
    save(&state, &key, alias)?;
    UpdateAliasResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn get(state: Arc<State>, call: Call, request: GetAliasRequest) -> Result<GetAliasResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, GetAliasRequest::DESCRIPTOR, &key.scope, &key.name)?;
    let alias = entry.aliases.get(&request.name).ok_or_else(|| not_found(&request.name))?;
    GetAliasResponse::builder()
        .function_version(&alias.version)
        .name(&alias.name)
        .routing_config(routing_config(alias)?)
        .description(&alias.description)
        .add_time(&alias.add_time)
        .mod_time(&alias.mod_time)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn delete(state: Arc<State>, call: Call, request: DeleteAliasRequest) -> Result<DeleteAliasResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, DeleteAliasRequest::DESCRIPTOR, &key.scope, &key.name)?;
    if request.name == "$DEFAULT" {
        return Err(error(
            documented(
                DeleteAliasRequest::DESCRIPTOR,
                &[ErrorCode::InvalidParameterValueAlias],
                ErrorCode::InvalidParameterValue,
            ),
            "The `$DEFAULT` alias cannot be deleted.",
            "默认别名 $DEFAULT 不能删除。",
        ));
    }
    if !entry.aliases.contains_key(&request.name) {
        return Err(not_found(&request.name));
    }
    state.change(
        |w| w.delete_alias(&key, &request.name),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(&key) {
                entry.aliases.remove(&request.name);
            }
        },
    )?;
    DeleteAliasResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn list(state: Arc<State>, call: Call, request: ListAliasesRequest) -> Result<ListAliasesResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, ListAliasesRequest::DESCRIPTOR, &key.scope, &key.name)?;
    let mut aliases: Vec<Arc<AliasRecord>> = entry.aliases.values().cloned().collect();
    if let Some(version) = request.function_version.as_deref() {
        aliases.retain(|a| a.version == version);
    }
    aliases.sort_by(|a, b| a.add_time.cmp(&b.add_time).then(a.name.cmp(&b.name)));
    let total = aliases.len() as u64;
    // This action takes its paging as strings.
    let number = |member: &str, text: &Option<String>| -> Result<Option<i64>, ApiError> {
        let Some(text) = text.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
        text.trim().parse::<i64>().map(Some).map_err(|_| {
            error(
                ErrorCode::InvalidParameterValue,
                format!("`{member}` is `{text}`; it must be a number."),
                format!("{member} 须为数字。"),
            )
        })
    };
    let (offset, limit) = (number("Offset", &request.offset)?, number("Limit", &request.limit)?);
    let aliases = page(ListAliasesRequest::DESCRIPTOR, aliases, offset, limit, 20)?
        .iter()
        .map(|a| {
            Alias::builder()
                .function_version(&a.version)
                .name(&a.name)
                .routing_config(routing_config(a)?)
                .description(&a.description)
                .add_time(&a.add_time)
                .mod_time(&a.mod_time)
                .build()
                .map_err(ApiError::internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    ListAliasesResponse::builder()
        .aliases(aliases)
        .total_count(total)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// What an alias is called and described as, and when it was made and changed.
struct Named {
    name: String,
    description: String,
    add_time: String,
    mod_time: String,
}

/// An alias record from a request, after checking the versions and the routing rules.
fn routing(
    descriptor: &ActionDescriptor,
    entry: &FunctionEntry,
    named: Named,
    version: &str,
    config: Option<&RoutingConfig>,
) -> Result<AliasRecord, ApiError> {
    let exists = |v: &str| v == "$LATEST" || super::version_number(v).is_some_and(|n| entry.versions.contains_key(&n));
    if !exists(version) {
        return Err(super::version_not_found(descriptor, VERSION_NOT_FOUND, &entry.latest.name, version));
    }
    let weights: Vec<(String, f64)> = config
        .and_then(|c| c.additional_version_weights.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|w| (w.version, w.weight))
        .collect();
    let matches: Vec<MatchRule> = config
        .and_then(|c| c.addtion_version_matchs.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|m| MatchRule {
            version: m.version,
            key: m.key,
            method: m.method.as_str().to_owned(),
            expression: m.expression,
        })
        .collect();
    let invalid = |en: String, zh: &str| error(ErrorCode::InvalidParameterValueRoutingConfig, en, zh.to_owned());
    if !weights.is_empty() && !matches.is_empty() {
        return Err(invalid("Route by weight or by rules, not both.".into(), "权重路由和规则路由不能同时配置。"));
    }
    let additional: Vec<&str> =
        weights.iter().map(|(v, _)| v.as_str()).chain(matches.iter().map(|m| m.version.as_str())).collect();
    if additional.iter().any(|v| *v != additional[0]) {
        return Err(invalid(
            "An alias routes to at most one additional version.".into(),
            "别名最多只能配置一个附加版本。",
        ));
    }
    if let Some(other) = additional.first() {
        if *other == version {
            return Err(invalid(
                "The additional version must differ from the alias's version.".into(),
                "附加版本不能与主版本相同。",
            ));
        }
        if !exists(other) {
            return Err(super::version_not_found(descriptor, VERSION_NOT_FOUND, &entry.latest.name, other));
        }
    }
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    if weights.iter().any(|(_, w)| !(0.0..=1.0).contains(w)) || total > 1.0 {
        return Err(invalid(
            format!("Weights must be between 0 and 1 and add up to at most 1 (got {total})."),
            "权重须在 0 到 1 之间，总和不超过 1。",
        ));
    }
    for rule in &matches {
        if !rule.key.starts_with("invoke.headers.") || !matches!(rule.method.as_str(), "exact" | "range") {
            return Err(invalid(
                format!(
                    "A rule needs a `Key` of the form `invoke.headers.<key>` and a `Method` of `exact` or `range` (got `{}`, `{}`).",
                    rule.key, rule.method
                ),
                "规则路由的 Key 须为 invoke.headers.<key>，Method 须为 exact 或 range。",
            ));
        }
        if rule.method == "range" && parse_range(&rule.expression).is_none() {
            return Err(invalid(
                format!("`{}` is not a range such as `[1,50]` or `(1,50)`.", rule.expression),
                "范围表达式格式错误。",
            ));
        }
    }
    Ok(AliasRecord {
        name: named.name,
        version: version.to_owned(),
        weights,
        matches,
        description: named.description,
        add_time: named.add_time,
        mod_time: named.mod_time,
    })
}

/// How a missing version is named where the member is a version.
const VERSION_NOT_FOUND: &[ErrorCode] =
    &[ErrorCode::ResourceNotFoundFunctionVersion, ErrorCode::ResourceNotFoundVersion];

/// `[a,b]` (inclusive) or `(a,b)` (exclusive), with integer bounds.
pub(super) fn parse_range(expression: &str) -> Option<(bool, i64, i64, bool)> {
    let text = expression.trim();
    let open = text.chars().next()?;
    let close = text.chars().last()?;
    let (a, b) = text.get(1..text.len() - 1)?.split_once(',')?;
    let inclusive = |c: char, inc: char, exc: char| {
        if c == inc {
            Some(true)
        } else if c == exc {
            Some(false)
        } else {
            None
        }
    };
    Some((inclusive(open, '[', '(')?, a.trim().parse().ok()?, b.trim().parse().ok()?, inclusive(close, ']', ')')?))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let valid = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        return Ok(());
    }
    Err(error(
        ErrorCode::InvalidParameterValueName,
        format!("The alias name `{name}` must be 1 to 64 letters, digits, `_` or `-`, starting with a letter."),
        format!("别名 `{name}` 不合法。"),
    ))
}

fn not_found(name: &str) -> ApiError {
    error(
        ErrorCode::ResourceNotFoundAlias,
        format!("The alias `{name}` does not exist."),
        format!("别名 `{name}` 不存在。"),
    )
}

fn save(state: &State, key: &FunctionKey, alias: AliasRecord) -> Result<(), ApiError> {
    state.change(
        |w| w.put_alias(key, &alias),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(key) {
                entry.aliases.insert(alias.name.clone(), Arc::new(alias.clone()));
            }
        },
    )
}

fn routing_config(alias: &AliasRecord) -> Result<RoutingConfig, ApiError> {
    let weights = alias
        .weights
        .iter()
        .map(|(version, weight)| VersionWeight::builder().version(version).weight(*weight).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    let matches = alias
        .matches
        .iter()
        .map(|m| {
            VersionMatch::builder()
                .version(&m.version)
                .key(&m.key)
                .method(m.method.as_str())
                .expression(&m.expression)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    RoutingConfig::builder()
        .additional_version_weights(weights)
        .addtion_version_matchs(matches)
        .build()
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("[1,50]"), Some((true, 1, 50, true)));
        assert_eq!(parse_range("(1, 50)"), Some((false, 1, 50, false)));
        assert_eq!(parse_range("1,50"), None);
        assert_eq!(parse_range("[a,b]"), None);
    }
}
