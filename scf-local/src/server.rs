//! The API front: `POST /` (JSON) and `GET /` (query string), checked in the order the real
//! service checks — body size, signature and timestamp, version, action, region, parameters —
//! then decoded with the generated request type and answered with the generated response type.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use scf_sdk::ErrorCode;
use scf_sdk::runtime::{Action, ActionDescriptor, TypeDescriptor, ValidationError, ValidationErrorKind};
use serde_json::{Map, Value};

use crate::api_error::{ApiError, Language};
use crate::auth;
use crate::state::State;

/// The API's limit on a request body.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// What a handler knows about its call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub request_id: String,
    pub region: String,
}

/// A handler's answer: the `Response` object, serialised by the generated type (so its members come
/// in the API's order, as the service sends them).
type HandlerFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, ApiError>> + Send>>;
type Handler = Box<dyn Fn(Arc<State>, Call, Value) -> HandlerFuture + Send + Sync>;

/// The supported actions, each decoded into its generated request type and answered with its
/// generated response type: no action's JSON is written by hand.
#[derive(Default)]
pub(crate) struct Handlers(HashMap<&'static str, Handler>);

impl Handlers {
    /// Registers the handler of action `A`, which reads state or invokes.
    pub fn add<A, F, Fut>(&mut self, handler: F)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        self.register(handler, false);
    }

    /// Registers the handler of action `A`, which changes state: it runs alone among changes (see
    /// [`State::lock_changes`]), so what it checked still holds when it writes.
    pub fn add_change<A, F, Fut>(&mut self, handler: F)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        self.register(handler, true);
    }

    fn register<A, F, Fut>(&mut self, handler: F, serialised: bool)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.0.insert(
            A::DESCRIPTOR.name,
            Box::new(move |state, call, params| {
                let handler = handler.clone();
                Box::pin(async move {
                    let request: A = decode(A::DESCRIPTOR, params)?;
                    // Every generated response carries the `RequestId` the handler was given.
                    let response = if serialised {
                        let _changing = state.lock_changes().await;
                        handler(state.clone(), call, request).await?
                    } else {
                        handler(state, call, request).await?
                    };
                    serde_json::to_vec(&response).map_err(ApiError::internal)
                })
            }),
        );
    }

    /// The supported action names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Handlers").field(&self.names()).finish()
    }
}

/// The emulator's HTTP routes.
pub(crate) fn router(state: Arc<State>, handlers: Arc<Handlers>) -> Router {
    Router::new().route("/", get(api).post(api)).route("/code/{file}", get(code)).with_state((state, handlers))
}

async fn api(
    Extract((state, handlers)): Extract<(Arc<State>, Arc<Handlers>)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = crate::util::request_id();
    let language = Language::from_header(headers.get("x-tc-language").and_then(|v| v.to_str().ok()));
    let action = header_value(&headers, "x-tc-action").unwrap_or_default().to_owned();
    let (response, code) = match handle(&state, &handlers, &method, &uri, &headers, body, &request_id).await {
        Ok(response) => (response, None),
        Err(error) => {
            let response = serde_json::to_vec(&error.to_response(&request_id, language)).unwrap_or_default();
            (response, Some(error.code))
        }
    };
    tracing::debug!(
        action = %action,
        request_id = %request_id,
        code = code.as_ref().map_or("", |c| c.as_str()),
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    let mut body = Vec::with_capacity(response.len() + 14);
    body.extend_from_slice(b"{\"Response\":");
    body.extend_from_slice(&response);
    body.push(b'}');
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[allow(clippy::too_many_arguments)] // The parts of one request, taken apart by axum.
async fn handle(
    state: &Arc<State>,
    handlers: &Handlers,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes (10 MB)."),
            format!("请求包大小超过 {MAX_BODY_BYTES} 字节（10 MB）。"),
        )
    })?;
    let query = uri.query().unwrap_or_default();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let received = auth::Received { method: method.as_str(), query, headers, body: &body };
    auth::verify(&received, &state.settings.keys, scf_sdk::catalog::SERVICE.name, state.settings.strict, now)?;

    let service = &scf_sdk::catalog::SERVICE;
    let version = header_value(headers, "x-tc-version").ok_or_else(|| missing_header("X-TC-Version"))?;
    if version != service.version {
        return Err(ApiError::new(
            ErrorCode::NoSuchVersion,
            format!("The API version `{version}` does not exist for scf; use `{}`.", service.version),
            format!("接口版本 `{version}` 不存在。"),
        ));
    }
    let action_name = header_value(headers, "x-tc-action").ok_or_else(|| missing_header("X-TC-Action"))?;
    let descriptor = scf_sdk::catalog::action(action_name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidAction,
            format!("The action `{action_name}` does not exist for scf {}.", service.version),
            format!("接口 `{action_name}` 不存在。"),
        )
    })?;
    let region = header_value(headers, "x-tc-region").ok_or_else(|| missing_header("X-TC-Region"))?;
    if !service.regions.contains(&region) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedRegion,
            format!("The action is not supported in region `{region}`."),
            format!("接口不支持地域 `{region}`。"),
        ));
    }
    let params = if method == Method::GET { params_from_query(descriptor, query)? } else { params_from_body(&body)? };
    scf_sdk::runtime::validate_input(descriptor, &params).map_err(|e| validation_error(descriptor, &e))?;
    let function = params.get("FunctionName").and_then(Value::as_str);
    if let Some(fault) = state.faults.take(descriptor.name, function) {
        return Err(fault);
    }
    let handler = handlers.0.get(descriptor.name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!("scf-local does not emulate `{}`. It supports: {}.", descriptor.name, handlers.names().join(", ")),
            format!("scf-local 暂不支持接口 `{}`。支持的接口：{}。", descriptor.name, handlers.names().join(", ")),
        )
    })?;
    let call = Call { request_id: request_id.to_owned(), region: region.to_owned() };
    handler(state.clone(), call, params).await
}

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn missing_header(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MissingParameter,
        format!("The `{name}` header is missing."),
        format!("缺少 {name} 请求头。"),
    )
}

fn params_from_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("The request body is not valid JSON ({e})."),
            format!("请求体不是合法的 JSON（{e}）。"),
        )
    })
}

/// Decodes the parameters into the action's generated request type; an error names the member.
fn decode<A: Action>(descriptor: &ActionDescriptor, params: Value) -> Result<A, ApiError> {
    serde_path_to_error::deserialize::<_, A>(params).map_err(|error| {
        let field = error.path().to_string();
        let message = error.into_inner().to_string();
        let member = field.split(['.', '[']).next().unwrap_or_default();
        let json_member = descriptor.input_member(member).is_some_and(|m| m.json.is_some());
        let code = if json_member && lists(descriptor, "InvalidParameterValue.Param") {
            // The seed page's code for "the input is not valid JSON".
            ErrorCode::InvalidParameterValueParam
        } else {
            code_for(descriptor, member)
        };
        ApiError::new(code, format!("`{field}`: {message}"), format!("参数 `{field}` 取值错误：{message}"))
    })
}

/// The code for a bad value of `member`: the action's own `InvalidParameterValue.<Member>` or
/// `InvalidParameter.<Member>` when it lists one, else `InvalidParameterValue`.
fn code_for(descriptor: &ActionDescriptor, member: &str) -> ErrorCode {
    [format!("InvalidParameterValue.{member}"), format!("InvalidParameter.{member}")]
        .into_iter()
        .find(|code| lists(descriptor, code))
        .map_or(ErrorCode::InvalidParameterValue, |code| ErrorCode::from(code.as_str()))
}

fn lists(descriptor: &ActionDescriptor, code: &str) -> bool {
    (descriptor.service_wide_errors && !matches!(ErrorCode::from(code), ErrorCode::Unknown(_)))
        || descriptor.errors.contains(&code)
}

/// Maps a validation error of the SDK's catalogue-driven checks to the code the action uses.
fn validation_error(descriptor: &ActionDescriptor, error: &ValidationError) -> ApiError {
    let member = error.field.split(['.', '[']).next().unwrap_or_default();
    let code = match error.kind {
        ValidationErrorKind::Unknown => ErrorCode::UnknownParameter,
        ValidationErrorKind::Missing => {
            let specific = format!("MissingParameter.{member}");
            if lists(descriptor, &specific) { ErrorCode::from(specific.as_str()) } else { ErrorCode::MissingParameter }
        }
        ValidationErrorKind::TooLong
            if descriptor.input_member(member).is_some_and(|m| m.json.is_some())
                && lists(descriptor, "InvalidParameter.RequestTooLarge") =>
        {
            ErrorCode::InvalidParameterRequestTooLarge
        }
        ValidationErrorKind::TooLarge => ErrorCode::RequestSizeLimitExceeded,
        _ => code_for(descriptor, member),
    };
    let en = match error.kind {
        ValidationErrorKind::Unknown => {
            format!("The parameter `{}` is not a parameter of `{}`.", error.field, descriptor.name)
        }
        _ => error.to_string(),
    };
    ApiError::new(code, en, format!("参数 `{}` 不合法：{}", error.field, error.message))
}

/// The parameters of a GET request: `Filters.0.Name=x&Limit=1` back into JSON, with numbers and
/// booleans read as the action's members say.
pub(crate) fn params_from_query(descriptor: &ActionDescriptor, query: &str) -> Result<Value, ApiError> {
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let mut root = Value::Object(Map::new());
    for pair in &pairs {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key);
        let path: Vec<&str> = key.split('.').collect();
        // Every list item takes at least one pair: an index beyond their number names a gap.
        if path.iter().filter_map(|part| part.parse::<usize>().ok()).any(|index| index >= pairs.len()) {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("`{key}`: the list index is beyond the number of parameters sent ({}).", pairs.len()),
                format!("参数 `{key}` 的列表下标超出范围。"),
            ));
        }
        insert(&mut root, &path, Value::String(percent_decode(value)));
    }
    coerce_members(&mut root, descriptor.input);
    Ok(root)
}

fn insert(node: &mut Value, path: &[&str], leaf: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let child = match first.parse::<usize>() {
        Ok(index) => {
            if !node.is_array() {
                *node = Value::Array(Vec::new());
            }
            let Some(items) = node.as_array_mut() else { return };
            while items.len() <= index {
                items.push(Value::Null);
            }
            &mut items[index]
        }
        Err(_) => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Some(map) = node.as_object_mut() else { return };
            map.entry(first.to_string()).or_insert(Value::Null)
        }
    };
    if rest.is_empty() {
        *child = leaf;
    } else {
        insert(child, rest, leaf);
    }
}

fn coerce_members(node: &mut Value, members: &[scf_sdk::runtime::MemberDescriptor]) {
    let Some(map) = node.as_object_mut() else { return };
    for member in members {
        if let Some(value) = map.get_mut(member.name) {
            coerce(value, &member.ty);
        }
    }
}

fn coerce(value: &mut Value, ty: &TypeDescriptor) {
    match ty {
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            if let Some(number) = value.as_str().and_then(|s| serde_json::from_str::<serde_json::Number>(s).ok()) {
                *value = Value::Number(number);
            }
        }
        TypeDescriptor::Bool => match value.as_str() {
            Some("true" | "True" | "TRUE") => *value = Value::Bool(true),
            Some("false" | "False" | "FALSE") => *value = Value::Bool(false),
            _ => {}
        },
        TypeDescriptor::Structure(s) => coerce_members(value, s.members),
        TypeDescriptor::List(item) => {
            if let Some(items) = value.as_array_mut() {
                items.iter_mut().for_each(|v| coerce(v, item));
            }
        }
        _ => {}
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Code packages for download (`GetFunctionAddress`), like the service's pre-signed URLs.
async fn code(Extract((state, _)): Extract<(Arc<State>, Arc<Handlers>)>, Path(file): Path<String>) -> Response {
    let Some(sha) = file.strip_suffix(".zip").filter(|s| s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(state.store.zip_path(sha)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_become_typed_json() {
        let descriptor = scf_sdk::catalog::action("ListFunctions").unwrap();
        let params = params_from_query(
            descriptor,
            "Limit=20&Offset=0&SearchKey=a%20b&Filters.0.Name=Runtime&Filters.0.Values.0=Python3.9&Filters.0.Values.1=x+y",
        )
        .unwrap();
        assert_eq!(
            params,
            serde_json::json!({
                "Limit": 20, "Offset": 0, "SearchKey": "a b",
                "Filters": [{"Name": "Runtime", "Values": ["Python3.9", "x y"]}]
            })
        );
    }

    #[test]
    fn query_list_indexes_beyond_the_parameters_are_refused() {
        let descriptor = scf_sdk::catalog::action("ListFunctions").unwrap();
        let error = params_from_query(descriptor, "Filters.4000000000.Name=x").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidParameter);
        assert!(error.en.contains("Filters.4000000000.Name"), "{}", error.en);
        assert_eq!(percent_decode("%+1%41"), "% 1A", "`%+1` is not an escape (a sign is no hex digit)");
    }

    #[test]
    fn validation_errors_map_to_the_actions_codes() {
        let invoke = scf_sdk::catalog::action("InvokeFunction").unwrap();
        let check = |params: Value| {
            let error = scf_sdk::runtime::validate_input(invoke, &params).unwrap_err();
            validation_error(invoke, &error).code
        };
        assert_eq!(check(serde_json::json!({})), ErrorCode::MissingParameter);
        assert_eq!(check(serde_json::json!({"FunctionName": "f1", "Bogus": 1})), ErrorCode::UnknownParameter);
        assert_eq!(check(serde_json::json!({"FunctionName": "1f"})), ErrorCode::InvalidParameterFunctionName);
        assert_eq!(
            check(serde_json::json!({"FunctionName": "f1", "Event": "x".repeat(6 * 1024 * 1024 + 1)})),
            ErrorCode::InvalidParameterRequestTooLarge
        );
        assert_eq!(
            check(serde_json::json!({"FunctionName": "f1", "LogType": "Head"})),
            ErrorCode::InvalidParameterValue
        );
    }
}
