//! Triggers: create, list, update, enable or disable, delete. Every type is kept and listed as the
//! service keeps it; timers fire here (the scheduler in `timers.rs`), the others (COS, CMQ, CKafka, …) have no
//! event source on this machine, which a debug log says when one is made.

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    CreateTriggerRequest, CreateTriggerResponse, DeleteTriggerRequest, DeleteTriggerResponse, ListTriggersRequest,
    ListTriggersResponse, UpdateTriggerRequest, UpdateTriggerResponse, UpdateTriggerStatusRequest,
    UpdateTriggerStatusResponse,
};
use scf_sdk::runtime::{Action as _, ActionDescriptor};
use scf_sdk::types::{
    FilterName, FunctionType, OpenState, SortOrder, Trigger, TriggerAvailability, TriggerInfo, TriggerSortKey,
    TriggerType,
};
use serde_json::Value;

use super::{documented, error, function, scope};
use crate::api_error::ApiError;
use crate::cron::Schedule;
use crate::records::{FunctionKey, TriggerKey, TriggerRecord};
use crate::server::{Call, Contract, Handlers};
use crate::state::{FunctionEntry, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&CREATE, create);
    handlers.add(&LIST, list);
    handlers.add_change(&UPDATE, update);
    handlers.add_change(&UPDATE_STATUS, update_status);
    handlers.add_change(&DELETE, delete);
}

/// Triggers one function may have (the service's quota).
pub(crate) const MAX_TRIGGERS_PER_FUNCTION: usize = 10;
/// The longest timer name (the spec's limit for `TriggerName` of a timer).
const MAX_TIMER_NAME_CHARS: usize = 100;
/// The longest `CustomArgument` (the service's limit for a timer's message).
const MAX_CUSTOM_ARGUMENT_BYTES: usize = 4096;
/// The longest `TriggerDesc` kept for any type.
const MAX_TRIGGER_DESC_BYTES: usize = 16 * 1024;

const CREATE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::ResourceInUseTrigger,
        ErrorCode::InvalidParameterValueTriggerName,
        ErrorCode::InvalidParameterValueTriggerDesc,
        ErrorCode::InvalidParameterValueCustomArgument,
        ErrorCode::InvalidParameterValueType,
        ErrorCode::LimitExceededTrigger,
        ErrorCode::UnsupportedOperationTrigger,
        ErrorCode::InvalidParameterValueDescription,
    ],
    honours: &[
        "FunctionName",
        "TriggerName",
        "Type",
        "TriggerDesc",
        "Namespace",
        "Qualifier",
        "Enable",
        "CustomArgument",
        "Description",
    ],
    refuses: &[],
};

const LIST: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFound,
        ErrorCode::InvalidParameterValueFilters,
        ErrorCode::InvalidParameterValueOrder,
        ErrorCode::InvalidParameterValueOrderBy,
    ],
    honours: &["FunctionName", "Namespace", "Offset", "Limit", "OrderBy", "Order", "Filters"],
    refuses: &[],
};

const UPDATE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::ResourceNotFoundTrigger,
        ErrorCode::InvalidParameterValueTriggerDesc,
        ErrorCode::InvalidParameterValueType,
        ErrorCode::InvalidParameterValueDescription,
    ],
    honours: &[
        "FunctionName",
        "TriggerName",
        "Type",
        "Enable",
        "Qualifier",
        "Namespace",
        "TriggerDesc",
        "Description",
        "CustomArgument",
    ],
    refuses: &[],
};

const UPDATE_STATUS: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::ResourceNotFoundTrigger,
    ],
    honours: &["Enable", "FunctionName", "TriggerName", "Type", "Qualifier", "Namespace", "TriggerDesc"],
    refuses: &[],
};

const DELETE: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundFunction, ErrorCode::ResourceNotFoundTrigger],
    honours: &["FunctionName", "TriggerName", "Type", "Namespace", "TriggerDesc", "Qualifier"],
    refuses: &[],
};

async fn create(
    state: Arc<State>,
    call: Call,
    request: CreateTriggerRequest,
) -> Result<CreateTriggerResponse, ApiError> {
    let descriptor = CreateTriggerRequest::DESCRIPTOR;
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, descriptor, &key.scope, &key.name)?;
    let qualifier = qualifier(descriptor, &entry, request.qualifier.as_deref())?;
    let kind = known_type(descriptor, &request.type_)?;
    if kind == TriggerType::Timer && entry.latest.function_type == FunctionType::Http.as_str() {
        return Err(error(
            documented(descriptor, &[ErrorCode::UnsupportedOperationTrigger], ErrorCode::UnsupportedOperation),
            format!("`{}` is a web function: it serves HTTP requests, and a timer cannot invoke it.", key.name),
            "Web 函数不支持定时触发器。",
        ));
    }
    check_name(&kind, &request.trigger_name)?;
    super::bounded_text(descriptor, "TriggerName", Some(&request.trigger_name))?;
    super::bounded_text(descriptor, "Description", request.description.as_deref())?;
    let desc = trigger_desc(descriptor, &kind, request.trigger_desc.as_deref())?;
    let custom_argument = custom_argument(descriptor, request.custom_argument.as_deref())?;
    let trigger_key = TriggerKey { function: key.clone(), kind: kind.as_str().to_owned(), name: request.trigger_name };
    {
        let model = state.read();
        if model.triggers.contains_key(&trigger_key) {
            return Err(error(
                documented(descriptor, &[ErrorCode::ResourceInUseTrigger], ErrorCode::ResourceInUse),
                format!("The function already has a {} trigger named `{}`.", trigger_key.kind, trigger_key.name),
                format!("函数已存在名为 `{}` 的 {} 触发器。", trigger_key.name, trigger_key.kind),
            ));
        }
        let count = model.triggers_of(&key).count();
        if count >= MAX_TRIGGERS_PER_FUNCTION {
            return Err(error(
                documented(descriptor, &[ErrorCode::LimitExceededTrigger], ErrorCode::LimitExceeded),
                format!("A function has at most {MAX_TRIGGERS_PER_FUNCTION} triggers; `{}` has {count}.", key.name),
                format!("单个函数最多 {MAX_TRIGGERS_PER_FUNCTION} 个触发器，`{}` 已有 {count} 个。", key.name),
            ));
        }
    }
    let now = crate::util::now();
    let record = TriggerRecord {
        region: key.scope.region.clone(),
        namespace: key.scope.namespace.clone(),
        function: key.name.clone(),
        name: trigger_key.name.clone(),
        kind,
        qualifier,
        enabled: request.enable.as_ref() != Some(&OpenState::Close),
        desc,
        custom_argument,
        description: request.description.unwrap_or_default(),
        add_time: now.clone(),
        mod_time: now,
    };
    if record.kind != TriggerType::Timer {
        tracing::debug!(
            function = %key.name,
            trigger = %record.name,
            kind = %record.kind.as_str(),
            "kept the trigger; scf-local has no such event source, so it never fires"
        );
    }
    save(&state, &record)?;
    CreateTriggerResponse::builder()
        .trigger_info(trigger(&record)?)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn list(state: Arc<State>, call: Call, request: ListTriggersRequest) -> Result<ListTriggersResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    function(&state, ListTriggersRequest::DESCRIPTOR, &key.scope, &key.name)?;
    let mut triggers: Vec<TriggerRecord> = state.read().triggers_of(&key).cloned().collect();
    for filter in request.filters.iter().flatten() {
        let field: fn(&TriggerRecord) -> &str = match filter.name {
            FilterName::Qualifier => |t| &t.qualifier,
            FilterName::TriggerName => |t| &t.name,
            FilterName::Description => |t| &t.description,
            ref other => {
                return Err(error(
                    documented(
                        ListTriggersRequest::DESCRIPTOR,
                        &[ErrorCode::InvalidParameterValueFilters],
                        ErrorCode::InvalidParameterValue,
                    ),
                    format!(
                        "`Filters.Name` `{}` is not one triggers are filtered on (Qualifier, TriggerName, Description).",
                        other.as_str()
                    ),
                    "Filters.Name 仅支持 Qualifier、TriggerName、Description。",
                ));
            }
        };
        triggers.retain(|t| filter.values.iter().any(|v| v == field(t)));
    }
    let descriptor = ListTriggersRequest::DESCRIPTOR;
    let unknown = |member: &str, value: &str, known: Vec<&str>| {
        let known = known.join(", ");
        error(
            crate::server::member_code(descriptor, member),
            format!("`{member}` is `{value}`; it must be one of {known}."),
            format!("{member} 取值须为 {known}。"),
        )
    };
    let by_add_time = match &request.order_by {
        None | Some(TriggerSortKey::ModTime) => false,
        Some(TriggerSortKey::AddTime) => true,
        Some(other) => {
            return Err(unknown("OrderBy", other.as_str(), TriggerSortKey::KNOWN.iter().map(|k| k.as_str()).collect()));
        }
    };
    let ascending = match &request.order {
        None | Some(SortOrder::Desc) => false,
        Some(SortOrder::Asc) => true,
        Some(other) => {
            return Err(unknown("Order", other.as_str(), SortOrder::KNOWN.iter().map(|k| k.as_str()).collect()));
        }
    };
    triggers.sort_by(|a, b| {
        let (a_time, b_time) = if by_add_time { (&a.add_time, &b.add_time) } else { (&a.mod_time, &b.mod_time) };
        a_time.cmp(b_time).then_with(|| a.name.cmp(&b.name))
    });
    if !ascending {
        triggers.reverse();
    }
    let total = triggers.len() as u64;
    let as_i64 = |n: Option<u64>| n.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let triggers = super::page(descriptor, triggers, as_i64(request.offset), as_i64(request.limit), 20)?
        .iter()
        .map(trigger_info)
        .collect::<Result<Vec<_>, _>>()?;
    ListTriggersResponse::builder()
        .total_count(total)
        .triggers(triggers)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn update(
    state: Arc<State>,
    call: Call,
    request: UpdateTriggerRequest,
) -> Result<UpdateTriggerResponse, ApiError> {
    let descriptor = UpdateTriggerRequest::DESCRIPTOR;
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let entry = function(&state, descriptor, &key.scope, &key.name)?;
    let mut record = existing(&state, descriptor, &key, &request.type_, &request.trigger_name)?;
    if let Some(qualifier_given) = request.qualifier.as_deref() {
        record.qualifier = qualifier(descriptor, &entry, Some(qualifier_given))?;
    }
    if let Some(desc) = request.trigger_desc.as_deref() {
        record.desc = trigger_desc(descriptor, &record.kind, Some(desc))?;
    }
    if let Some(argument) = request.custom_argument.as_deref() {
        record.custom_argument = custom_argument(descriptor, Some(argument))?;
    }
    if let Some(description) = request.description {
        super::bounded_text(descriptor, "Description", Some(&description))?;
        record.description = description;
    }
    if let Some(enable) = &request.enable {
        record.enabled = *enable == OpenState::Open;
    }
    record.mod_time = crate::util::now();
    save(&state, &record)?;
    UpdateTriggerResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn update_status(
    state: Arc<State>,
    call: Call,
    request: UpdateTriggerStatusRequest,
) -> Result<UpdateTriggerStatusResponse, ApiError> {
    let descriptor = UpdateTriggerStatusRequest::DESCRIPTOR;
    let key = scope(&call, &request.namespace).function(&request.function_name);
    function(&state, descriptor, &key.scope, &key.name)?;
    let mut record = existing(&state, descriptor, &key, &request.type_, &request.trigger_name)?;
    if names_another(&record, request.qualifier.as_deref(), request.trigger_desc.as_deref()) {
        return Err(trigger_not_found(descriptor, &request.trigger_name));
    }
    record.enabled = request.enable == OpenState::Open;
    record.mod_time = crate::util::now();
    save(&state, &record)?;
    UpdateTriggerStatusResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn delete(
    state: Arc<State>,
    call: Call,
    request: DeleteTriggerRequest,
) -> Result<DeleteTriggerResponse, ApiError> {
    let descriptor = DeleteTriggerRequest::DESCRIPTOR;
    let key = scope(&call, &request.namespace).function(&request.function_name);
    function(&state, descriptor, &key.scope, &key.name)?;
    let record = existing(&state, descriptor, &key, &request.type_, &request.trigger_name)?;
    let desc = request.trigger_desc.as_ref().map(|desc| match desc {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    if names_another(&record, request.qualifier.as_deref(), desc.as_deref()) {
        return Err(trigger_not_found(descriptor, &request.trigger_name));
    }
    let trigger_key = record.key();
    state.change(
        |w| w.delete_trigger(&trigger_key),
        |model, _| {
            model.triggers.remove(&trigger_key);
        },
    )?;
    state.timers_changed.notify_one();
    DeleteTriggerResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

/// Whether a `Qualifier` or `TriggerDesc` given to pick out a trigger (as `UpdateTriggerStatus` and
/// `DeleteTrigger` take them, beside its type and name) names another one than `record`: then
/// `record` is not the trigger asked for. A timer's description is compared as its expression.
fn names_another(record: &TriggerRecord, qualifier: Option<&str>, desc: Option<&str>) -> bool {
    let other_qualifier = qualifier.is_some_and(|q| !q.is_empty() && q != record.qualifier);
    let Some(desc) = desc.filter(|d| !d.trim().is_empty()) else { return other_qualifier };
    let other_desc = if record.kind == TriggerType::Timer {
        let fields = |expression: &str| expression.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        fields(&timer_expression(desc)) != fields(&record.desc)
    } else {
        let json = |text: &str| serde_json::from_str::<Value>(text).ok();
        match (json(desc), json(&record.desc)) {
            (Some(given), Some(kept)) => given != kept,
            _ => desc != record.desc,
        }
    };
    other_qualifier || other_desc
}

/// Stores a trigger (new or changed) and tells the timer scheduler.
fn save(state: &State, record: &TriggerRecord) -> Result<(), ApiError> {
    state.change(
        |w| w.put_trigger(record),
        |model, _| {
            model.triggers.insert(record.key(), record.clone());
        },
    )?;
    state.timers_changed.notify_one();
    Ok(())
}

/// A function's trigger of that type and name.
fn existing(
    state: &State,
    descriptor: &ActionDescriptor,
    key: &FunctionKey,
    kind: &TriggerType,
    name: &str,
) -> Result<TriggerRecord, ApiError> {
    let trigger_key = TriggerKey { function: key.clone(), kind: kind.as_str().to_owned(), name: name.to_owned() };
    state.read().triggers.get(&trigger_key).cloned().ok_or_else(|| trigger_not_found(descriptor, name))
}

fn trigger_not_found(descriptor: &ActionDescriptor, name: &str) -> ApiError {
    error(
        documented(descriptor, &[ErrorCode::ResourceNotFoundTrigger], ErrorCode::ResourceNotFound),
        format!("The trigger `{name}` does not exist."),
        format!("触发器 `{name}` 不存在。"),
    )
}

/// The version or alias a trigger invokes (default `$LATEST`), which must exist.
fn qualifier(descriptor: &ActionDescriptor, entry: &FunctionEntry, given: Option<&str>) -> Result<String, ApiError> {
    let qualifier = given.filter(|q| !q.is_empty()).unwrap_or("$LATEST");
    if super::version(entry, qualifier).is_none() {
        return Err(super::version_not_found(descriptor, super::QUALIFIER_NOT_FOUND, &entry.latest.name, qualifier));
    }
    Ok(qualifier.to_owned())
}

/// The trigger's type, one the API lists.
fn known_type(descriptor: &ActionDescriptor, kind: &TriggerType) -> Result<TriggerType, ApiError> {
    if TriggerType::KNOWN.contains(kind) {
        return Ok(kind.clone());
    }
    let known: Vec<&str> = TriggerType::KNOWN.iter().map(TriggerType::as_str).collect();
    Err(error(
        documented(descriptor, &[ErrorCode::InvalidParameterValueType], ErrorCode::InvalidParameterValue),
        format!("`Type` `{}` is not a trigger type; one of: {}.", kind.as_str(), known.join(", ")),
        format!("触发器类型 `{}` 不存在。", kind.as_str()),
    ))
}

/// A timer's name: letters, digits, `-` and `_`, starting with a letter, at most 100 characters.
/// Other types' names name their event source and are kept as given.
fn check_name(kind: &TriggerType, name: &str) -> Result<(), ApiError> {
    let rules = "定时触发器名称须以字母开头，仅含字母、数字、- 和 _，最长 100 个字符。";
    let bad = |en: String, zh: &'static str| error(ErrorCode::InvalidParameterValueTriggerName, en, zh);
    if name.is_empty() {
        return Err(bad("`TriggerName` is empty.".into(), "TriggerName 不能为空。"));
    }
    if *kind != TriggerType::Timer {
        return Ok(());
    }
    let chars = name.chars().count();
    if chars > MAX_TIMER_NAME_CHARS {
        return Err(bad(
            format!("`TriggerName` is {chars} characters; a timer's is at most {MAX_TIMER_NAME_CHARS}."),
            rules,
        ));
    }
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(bad(
            format!(
                "`TriggerName` `{name}`: a timer's name starts with a letter and has only letters, digits, `-` and `_`."
            ),
            rules,
        ));
    }
    Ok(())
}

/// The trigger's description as kept. A timer's is its cron expression, given as is or as the
/// `{"cron": "…"}` the service lists it as; it must parse.
fn trigger_desc(descriptor: &ActionDescriptor, kind: &TriggerType, given: Option<&str>) -> Result<String, ApiError> {
    let bad = |en: String, zh: String| {
        error(
            documented(descriptor, &[ErrorCode::InvalidParameterValueTriggerDesc], ErrorCode::InvalidParameterValue),
            en,
            zh,
        )
    };
    let given = given.unwrap_or("");
    if given.len() > MAX_TRIGGER_DESC_BYTES {
        return Err(bad(
            format!("`TriggerDesc` is {} bytes; at most {MAX_TRIGGER_DESC_BYTES} are kept.", given.len()),
            format!("TriggerDesc 不能超过 {MAX_TRIGGER_DESC_BYTES} 字节。"),
        ));
    }
    if *kind != TriggerType::Timer {
        return Ok(given.to_owned());
    }
    let expression = timer_expression(given);
    if expression.trim().is_empty() {
        return Err(bad(
            "A timer's `TriggerDesc` is its cron expression, e.g. `0 */5 * * * * *`; it is empty.".into(),
            "定时触发器的 TriggerDesc 须为 Cron 表达式，例如 `0 */5 * * * * *`。".into(),
        ));
    }
    Schedule::parse(&expression).map_err(|e| {
        bad(
            format!("`TriggerDesc`: {}", e.message),
            format!("TriggerDesc 的 Cron 表达式中“{}”字段不合法（{}）。", e.field_zh(), e.message),
        )
    })?;
    Ok(expression)
}

/// The cron expression in a timer's `TriggerDesc`: the text, or its `cron` member when JSON.
pub(crate) fn timer_expression(desc: &str) -> String {
    match serde_json::from_str::<Value>(desc) {
        Ok(Value::Object(map)) => map.get("cron").and_then(Value::as_str).unwrap_or_default().to_owned(),
        _ => desc.to_owned(),
    }
}

fn custom_argument(descriptor: &ActionDescriptor, given: Option<&str>) -> Result<String, ApiError> {
    let argument = given.unwrap_or_default();
    if argument.len() > MAX_CUSTOM_ARGUMENT_BYTES {
        return Err(error(
            documented(descriptor, &[ErrorCode::InvalidParameterValueCustomArgument], ErrorCode::InvalidParameterValue),
            format!("`CustomArgument` is {} bytes; at most {MAX_CUSTOM_ARGUMENT_BYTES}.", argument.len()),
            "CustomArgument 不能超过 4 KB。",
        ));
    }
    Ok(argument.to_owned())
}

/// `TriggerDesc` as the service answers it: a timer's as `{"cron":"…"}`, others' as given (JSON
/// when it is JSON).
fn desc_value(record: &TriggerRecord) -> Value {
    if record.kind == TriggerType::Timer {
        return serde_json::json!({ "cron": record.desc });
    }
    serde_json::from_str(&record.desc).unwrap_or_else(|_| Value::String(record.desc.clone()))
}

/// The trigger as `CreateTrigger` and `GetFunction` answer it.
pub(crate) fn trigger(record: &TriggerRecord) -> Result<Trigger, ApiError> {
    Trigger::builder()
        .mod_time(&record.mod_time)
        .type_(record.kind.as_str())
        .trigger_desc(desc_value(record))
        .trigger_name(&record.name)
        .add_time(&record.add_time)
        .enable(i64::from(record.enabled))
        .custom_argument(&record.custom_argument)
        .available_status(TriggerAvailability::Available)
        .qualifier(&record.qualifier)
        .description(&record.description)
        .build()
        .map_err(ApiError::internal)
}

/// The trigger as `ListTriggers` answers it.
fn trigger_info(record: &TriggerRecord) -> Result<TriggerInfo, ApiError> {
    TriggerInfo::builder()
        .enable(u64::from(record.enabled))
        .qualifier(&record.qualifier)
        .trigger_name(&record.name)
        .type_(record.kind.as_str())
        .trigger_desc(desc_value(record))
        .available_status(TriggerAvailability::Available)
        .custom_argument(&record.custom_argument)
        .add_time(&record.add_time)
        .mod_time(&record.mod_time)
        .description(&record.description)
        .build()
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_desc_is_its_expression_given_plainly_or_as_json() {
        let descriptor = CreateTriggerRequest::DESCRIPTOR;
        let timer = TriggerType::Timer;
        assert_eq!(trigger_desc(descriptor, &timer, Some("0 */5 * * * * *")).unwrap(), "0 */5 * * * * *");
        assert_eq!(trigger_desc(descriptor, &timer, Some(r#"{"cron":"*/2 * * * * * *"}"#)).unwrap(), "*/2 * * * * * *");
        for bad in [None, Some(""), Some("{}"), Some("61 * * * * * *"), Some("* * *")] {
            let error = trigger_desc(descriptor, &timer, bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidParameterValueTriggerDesc, "{bad:?}");
        }
        let error = trigger_desc(descriptor, &timer, Some("* * 25 * * * *")).unwrap_err();
        assert!(error.en.contains("hour"), "{}", error.en);
        // Other types keep theirs as given.
        let cos = TriggerType::Cos;
        assert_eq!(trigger_desc(descriptor, &cos, Some(r#"{"event":"cos:ObjectCreated:*"}"#)).unwrap().len(), 31);
    }

    #[test]
    fn a_qualifier_or_description_given_must_name_this_trigger() {
        let timer = TriggerRecord {
            region: "ap-guangzhou".into(),
            namespace: "default".into(),
            function: "f".into(),
            name: "t".into(),
            kind: TriggerType::Timer,
            qualifier: "$LATEST".into(),
            enabled: true,
            desc: "0 */5 * * * * *".into(),
            custom_argument: String::new(),
            description: String::new(),
            add_time: String::new(),
            mod_time: String::new(),
        };
        assert!(!names_another(&timer, None, None));
        assert!(!names_another(&timer, Some(""), Some("")));
        assert!(!names_another(&timer, Some("$LATEST"), Some(r#"{"cron":"0  */5 * * * * *"}"#)));
        assert!(names_another(&timer, Some("1"), None));
        assert!(names_another(&timer, None, Some("0 */6 * * * * *")));
        let cos = TriggerRecord { kind: TriggerType::Cos, desc: r#"{"event":"cos:ObjectCreated:*"}"#.into(), ..timer };
        assert!(!names_another(&cos, None, Some(r#"{ "event": "cos:ObjectCreated:*" }"#)));
        assert!(names_another(&cos, None, Some(r#"{"event":"cos:ObjectRemove:*"}"#)));
    }

    #[test]
    fn timer_names_follow_the_service_rules() {
        let timer = TriggerType::Timer;
        for good in ["a", "every-5s", "Nightly_job", &"a".repeat(100)] {
            check_name(&timer, good).unwrap();
        }
        for bad in ["", "5s", "-a", "a b", "名字", &"a".repeat(101)] {
            assert_eq!(check_name(&timer, bad).unwrap_err().code, ErrorCode::InvalidParameterValueTriggerName, "{bad}");
        }
        check_name(&TriggerType::Cos, "bucket-1250000000.cos.ap-guangzhou.myqcloud.com").unwrap();
    }
}
