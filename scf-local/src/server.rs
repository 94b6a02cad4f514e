//! The API front: `POST /` (JSON) and `GET /` (query string), checked in the order the real
//! service checks — body size, signature and timestamp, version, action, region, parameters —
//! then decoded with the generated request type and answered with the generated response type.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use scf_sdk::ErrorCode;
use scf_sdk::runtime::{Action, ActionDescriptor, ValidationError, ValidationErrorKind};
use serde_json::{Map, Value};

use crate::api_error::{ApiError, Language};
use crate::auth;
use crate::state::State;

/// The API's limit on a request body (the SDK's, which refuses to send more).
const MAX_BODY_BYTES: usize = scf_sdk::runtime::MAX_POST_BYTES;

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

/// What a handler promises, declared beside it and enforced here:
/// - `answers`: the error codes it may answer, each from the action's documented list (the common
///   codes, and those of the parameter checks every action makes, need no declaring). A handler
///   error with an undeclared code is answered as `InternalError` naming it, and a test checks every
///   declared code against the action's list.
/// - `honours` and `refuses`: every input member of the action, once. An honoured member is stored,
///   returned or acted on as documented; a refused one (something the emulator cannot do) is
///   answered `UnsupportedOperation` naming it, unless it is empty or switched off. Nothing is
///   accepted and silently dropped: a test checks the two lists cover the action's input exactly.
#[derive(Debug)]
pub(crate) struct Contract {
    pub answers: &'static [ErrorCode],
    // Read by the tests that check every member is declared.
    #[cfg_attr(not(test), allow(dead_code))]
    pub honours: &'static [&'static str],
    pub refuses: &'static [&'static str],
}

/// The supported actions, each decoded into its generated request type and answered with its
/// generated response type: no action's JSON is written by hand.
#[derive(Default)]
pub(crate) struct Handlers(HashMap<&'static str, (Handler, &'static Contract)>);

impl Handlers {
    /// Registers the handler of action `A`, which reads state or invokes.
    pub fn add<A, F, Fut>(&mut self, contract: &'static Contract, handler: F)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        self.register(contract, handler, false);
    }

    /// Registers the handler of action `A`, which changes state: it runs alone among changes (see
    /// [`State::lock_changes`]), so what it checked still holds when it writes.
    pub fn add_change<A, F, Fut>(&mut self, contract: &'static Contract, handler: F)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        self.register(contract, handler, true);
    }

    fn register<A, F, Fut>(&mut self, contract: &'static Contract, handler: F, serialised: bool)
    where
        A: Action,
        F: Fn(Arc<State>, Call, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Response, ApiError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let run: Handler = Box::new(move |state, call, params| {
            let handler = handler.clone();
            Box::pin(async move {
                refuse_unsupported(A::DESCRIPTOR, contract, &params)?;
                let request: A = decode(A::DESCRIPTOR, params)?;
                // Every generated response carries the `RequestId` the handler was given.
                let answer = if serialised {
                    // A change runs to its end in a task of its own, even if the client goes away
                    // meanwhile: the change lock is held until everything it does (the code
                    // packages' collection included) is done.
                    let task = tokio::spawn(async move {
                        let _changing = state.lock_changes().await;
                        handler(state.clone(), call, request).await
                    });
                    task.await.map_err(|e| ApiError::internal(format!("the change failed ({e})")))?
                } else {
                    handler(state, call, request).await
                };
                let response = answer.map_err(|error| declared(A::DESCRIPTOR, contract, error))?;
                serde_json::to_vec(&response).map_err(ApiError::internal)
            })
        });
        self.0.insert(A::DESCRIPTOR.name, (run, contract));
    }

    /// The supported action names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Every supported action's contract.
    pub fn contracts(&self) -> Vec<(&'static str, &'static Contract)> {
        let mut contracts: Vec<_> = self.0.iter().map(|(name, (_, contract))| (*name, *contract)).collect();
        contracts.sort_unstable_by_key(|(name, _)| *name);
        contracts
    }
}

/// A refused member sent with a value is answered `UnsupportedOperation`, naming it.
fn refuse_unsupported(descriptor: &ActionDescriptor, contract: &Contract, params: &Value) -> Result<(), ApiError> {
    for member in contract.refuses {
        if let Some(value) = params.get(*member).filter(|v| !is_empty(v)) {
            let shown = crate::util::head(&value.to_string(), 120).to_owned();
            // The action's own `UnsupportedOperation.<Member>` where it lists one.
            let specific = format!("UnsupportedOperation.{member}");
            let code = if lists(descriptor, &specific) {
                ErrorCode::from(specific.as_str())
            } else {
                ErrorCode::UnsupportedOperation
            };
            return Err(ApiError::new(
                code,
                format!(
                    "scf-local does not emulate `{member}` of `{}` (sent: {shown}); leave it out to run here.",
                    descriptor.name
                ),
                format!("scf-local 不支持 `{}` 的参数 `{member}`，请去掉该参数。", descriptor.name),
            ));
        }
    }
    Ok(())
}

/// Whether a member's value asks for nothing: absent-like (`null`, `""`, `[]`, `{}`), switched off
/// (`FALSE`, `false`, `0`), or a structure of such values.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s.eq_ignore_ascii_case("FALSE"),
        Value::Array(items) => items.iter().all(is_empty),
        Value::Object(members) => members.values().all(is_empty),
    }
}

/// A handler's error, if its code is one the handler declares (or every action may answer);
/// otherwise an `InternalError` that names it, so the slip shows.
fn declared(descriptor: &ActionDescriptor, contract: &Contract, error: ApiError) -> ApiError {
    if error.code.is_common() || contract.answers.contains(&error.code) {
        return error;
    }
    tracing::error!(
        action = descriptor.name,
        code = error.code.as_str(),
        "a handler answered a code it does not declare"
    );
    ApiError::internal(format!(
        "scf-local answered `{}` for `{}` without declaring it ({})",
        error.code.as_str(),
        descriptor.name,
        error.en
    ))
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
    // Who is asking is known from the headers: a client without a key gets no body read at all.
    let now = crate::util::unix_now();
    auth::check_headers(headers, &state.settings.keys, now)?;
    let timeout = state.settings.limits.body_read_timeout;
    let body = crate::http::read_body(headers, body, MAX_BODY_BYTES, timeout).await.map_err(|e| match e {
        crate::http::BodyError::TooLarge => ApiError::new(
            ErrorCode::RequestSizeLimitExceeded,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes (10 MB)."),
            format!("请求包大小超过 {MAX_BODY_BYTES} 字节（10 MB）。"),
        ),
        crate::http::BodyError::Timeout => ApiError::new(
            ErrorCode::InvalidRequest,
            format!("The request body did not arrive within {} s.", timeout.as_secs()),
            format!("请求体未在 {} 秒内收到。", timeout.as_secs()),
        ),
        crate::http::BodyError::Failed => {
            ApiError::new(ErrorCode::InvalidRequest, "The request body could not be read.", "无法读取请求体。")
        }
    })?;
    let query = uri.query().unwrap_or_default();
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
    let params = params(descriptor, method.as_str(), query, &body)?;
    let function = params.get("FunctionName").and_then(Value::as_str);
    if let Some(fault) = state.faults.take(descriptor.name, function) {
        return Err(fault);
    }
    let (handler, _) = handlers.0.get(descriptor.name).ok_or_else(|| {
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

/// The request's parameters as JSON, from the query (GET) or the body, checked against the
/// catalogue: what every handler's [`decode`] starts from.
pub(crate) fn params(descriptor: &ActionDescriptor, method: &str, query: &str, body: &[u8]) -> Result<Value, ApiError> {
    let params =
        if method == Method::GET.as_str() { params_from_query(descriptor, query)? } else { params_from_body(body)? };
    scf_sdk::runtime::validate_input(descriptor, &params).map_err(|e| validation_error(descriptor, &params, &e))?;
    Ok(params)
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
pub(crate) fn decode<A: Action>(descriptor: &ActionDescriptor, params: Value) -> Result<A, ApiError> {
    serde_path_to_error::deserialize::<_, A>(params).map_err(|error| {
        let field = error.path().to_string();
        let message = error.into_inner().to_string();
        let member = field.split(['.', '[']).next().unwrap_or_default();
        let json_member = descriptor.input_member(member).is_some_and(|m| m.json.is_some());
        let code = if json_member && lists(descriptor, "InvalidParameterValue.Param") {
            // The seed page's code for "the input is not valid JSON".
            ErrorCode::InvalidParameterValueParam
        } else {
            member_code(descriptor, member)
        };
        ApiError::new(code, format!("`{field}`: {message}"), format!("参数 `{field}` 取值错误：{message}"))
    })
}

/// The code for a bad value of `member`: the action's own `InvalidParameterValue.<Member>` or
/// `InvalidParameter.<Member>` when it lists one, else `InvalidParameterValue`.
pub(crate) fn member_code(descriptor: &ActionDescriptor, member: &str) -> ErrorCode {
    [format!("InvalidParameterValue.{member}"), format!("InvalidParameter.{member}")]
        .into_iter()
        .find(|code| lists(descriptor, code))
        .map_or(ErrorCode::InvalidParameterValue, |code| ErrorCode::from(code.as_str()))
}

fn lists(descriptor: &ActionDescriptor, code: &str) -> bool {
    (descriptor.service_wide_errors && !matches!(ErrorCode::from(code), ErrorCode::Unknown(_)))
        || descriptor.errors.contains(&code)
}

/// Maps a validation error of the SDK's catalogue-driven checks to the code the action uses (a
/// number over its maximum is the action's `LimitExceeded.<Member>` where it lists one).
fn validation_error(descriptor: &ActionDescriptor, params: &Value, error: &ValidationError) -> ApiError {
    let member = error.field.split(['.', '[']).next().unwrap_or_default();
    let over_maximum = || {
        let max = descriptor.input_member(member).and_then(|m| m.limits.max);
        let value = params.get(member).and_then(Value::as_f64);
        matches!((value, max), (Some(value), Some(max)) if value > max)
    };
    let limit_exceeded = format!("LimitExceeded.{member}");
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
        ValidationErrorKind::OutOfRange if over_maximum() && lists(descriptor, &limit_exceeded) => {
            ErrorCode::from(limit_exceeded.as_str())
        }
        _ => member_code(descriptor, member),
    };
    let en = match error.kind {
        ValidationErrorKind::Unknown => {
            format!("The parameter `{}` is not a parameter of `{}`.", error.field, descriptor.name)
        }
        _ => error.to_string(),
    };
    ApiError::new(code, en, format!("参数 `{}` 不合法：{}", error.field, error.message))
}

/// The parameters of a GET request (see [`crate::query`]).
pub(crate) fn params_from_query(descriptor: &ActionDescriptor, query: &str) -> Result<Value, ApiError> {
    crate::query::parse(query, descriptor.input).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("The query string is not valid: {e}."),
            format!("查询字符串不合法：{e}。"),
        )
    })
}

/// Code packages for download (`GetFunctionAddress`): only with a valid, unexpired signature, like
/// the service's pre-signed URLs.
async fn code(
    Extract((state, _)): Extract<(Arc<State>, Arc<Handlers>)>,
    Path(file): Path<String>,
    uri: Uri,
) -> Response {
    let Some(sha) = file.strip_suffix(".zip").filter(|s| s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = crate::util::unix_now();
    if let Err(why) = state.settings.code_url_key.verify(sha, uri.query().unwrap_or_default(), now) {
        return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{why}\n"))
            .into_response();
    }
    match tokio::fs::read(state.store.zip_path(sha)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_over_its_maximum_is_the_actions_limit_exceeded_code() {
        let update = scf_sdk::catalog::action("UpdateFunctionConfiguration").unwrap();
        let check = |params: Value| {
            let error = scf_sdk::runtime::validate_input(update, &params).unwrap_err();
            validation_error(update, &params, &error).code
        };
        assert_eq!(check(serde_json::json!({"FunctionName": "f1", "Timeout": 901})), ErrorCode::LimitExceededTimeout);
        assert_ne!(check(serde_json::json!({"FunctionName": "f1", "Timeout": 0})), ErrorCode::LimitExceededTimeout);
    }

    #[test]
    fn validation_errors_map_to_the_actions_codes() {
        let invoke = scf_sdk::catalog::action("InvokeFunction").unwrap();
        let check = |params: Value| {
            let error = scf_sdk::runtime::validate_input(invoke, &params).unwrap_err();
            validation_error(invoke, &params, &error).code
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
