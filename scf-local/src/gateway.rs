//! The HTTP listener for functions (`--http-listen`): what API Gateway does for SCF, locally.
//!
//! `/<namespace>/<function>[@<qualifier>]/<rest…>` reaches a function of the region
//! [`REGION`]:
//! - an **event function** gets an API Gateway event (`scf_events::ApiGatewayRequest`), as from an
//!   API at path `/` of stage `release` whose every sub-path reaches the function; its integration
//!   response (`scf_events::ApiGatewayResponse`) becomes the HTTP response, and any other return
//!   value is sent as JSON with status 200 (as API Gateway does without integration responses);
//! - a **web function** (`Type` `HTTP`) gets the request itself, proxied to its own server
//!   (`runtime/web.rs`).
//!
//! Errors are JSON in the shape API Gateway uses for its own (SCF's API Gateway trigger FAQ shows
//! `{"errno":403,"error":"requestId xxx , Invalid scf response. …"}`): `errno` is the HTTP status,
//! `error` starts with the request id.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State as Extract};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use base64::Engine as _;
use bytes::Bytes;
use scf_events::{ApiGatewayRequest, ApiGatewayResponse, QueryValue, RequestContext};
use scf_sdk::ErrorCode;
use scf_sdk::types::FunctionType;
use serde_json::Value;

use crate::api_error::ApiError;
use crate::records::{FunctionRecord, Scope};
use crate::runtime::{Ended, ForwardError, NoInstance, NoWebInstance, StartError};
use crate::service::{HttpRequestRecord, Invocation, Source};
use crate::state::State;

/// The region functions are looked up in: the one `Emulator::config` gives clients, where state
/// stored before regions were kept lives too.
pub(crate) const REGION: &str = crate::records::MIGRATED_REGION;
/// The largest request body passed to a function: the 6 MB of a synchronous invocation.
pub(crate) const MAX_REQUEST_BODY: usize = 6 * 1024 * 1024;
/// `requestContext.serviceId` of the events: the API Gateway service the emulator stands for.
const SERVICE_ID: &str = "service-scflocal";
/// `requestContext.stage`.
const STAGE: &str = "release";

/// The listener's routes: every path and method.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// What a request's path names.
#[derive(Debug, PartialEq, Eq)]
struct Route {
    namespace: String,
    function: String,
    qualifier: Option<String>,
    /// The rest of the path, from its `/` (`/` when there is none), as received.
    rest: String,
}

impl Route {
    /// `/<namespace>/<function>[@<qualifier>][/<rest…>]`.
    fn parse(path: &str) -> Option<Route> {
        let path = path.strip_prefix('/')?;
        let (namespace, after) = path.split_once('/')?;
        let (function, rest) = match after.find('/') {
            Some(at) => (&after[..at], &after[at..]),
            None => (after, "/"),
        };
        let function = crate::query::percent_decode(function);
        let (function, qualifier) = match function.split_once('@') {
            Some((function, qualifier)) => (function.to_owned(), Some(qualifier.to_owned())),
            None => (function, None),
        };
        let namespace = crate::query::percent_decode(namespace);
        if namespace.is_empty() || function.is_empty() || qualifier.as_deref() == Some("") {
            return None;
        }
        Some(Route { namespace, function, qualifier, rest: rest.to_owned() })
    }
}

async fn handle(
    Extract(state): Extract<Arc<State>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let request_id = crate::util::request_id();
    let (parts, body) = request.into_parts();
    let Some(route) = Route::parse(parts.uri.path()) else {
        return failure(
            StatusCode::NOT_FOUND,
            &request_id,
            "no function here: request /<namespace>/<function>/<path> or /<namespace>/<function>@<qualifier>/<path>",
        );
    };
    let timeout = state.settings.limits.body_read_timeout;
    let body = match crate::http::read_body(&parts.headers, body, MAX_REQUEST_BODY, timeout).await {
        Ok(body) => body,
        Err(crate::http::BodyError::TooLarge) => {
            let why = format!("the request body is over {MAX_REQUEST_BODY} bytes (6 MB)");
            return failure(StatusCode::PAYLOAD_TOO_LARGE, &request_id, &why);
        }
        Err(crate::http::BodyError::Timeout) => {
            let why = format!("the request body did not arrive within {} s", timeout.as_secs());
            return failure(StatusCode::REQUEST_TIMEOUT, &request_id, &why);
        }
        Err(crate::http::BodyError::Failed) => {
            return failure(StatusCode::BAD_REQUEST, &request_id, "the request body could not be read");
        }
    };
    let scope = Scope { region: REGION.to_owned(), namespace: route.namespace.clone() };
    let latest_type =
        state.read().functions.get(&scope.function(&route.function)).map(|entry| entry.latest.function_type.clone());
    let web = latest_type.as_deref() == Some(FunctionType::Http.as_str());
    if web {
        web_function(&state, &scope, &route, parts, body, &request_id).await
    } else {
        event_function(&state, &scope, &route, &parts, body, peer, &request_id).await
    }
}

/// An event function: the request as an API Gateway event, the answer from its integration response.
async fn event_function(
    state: &Arc<State>,
    scope: &Scope,
    route: &Route,
    parts: &Parts,
    body: Bytes,
    peer: SocketAddr,
    request_id: &str,
) -> Response<Body> {
    let event = api_gateway_event(parts, &route.rest, body, peer, request_id);
    let event = match serde_json::to_vec(&event) {
        Ok(event) => Bytes::from(event),
        Err(error) => return failure(StatusCode::BAD_GATEWAY, request_id, &error.to_string()),
    };
    // `$DEFAULT`, as `InvokeFunction` defaults.
    let qualifier = route.qualifier.as_deref().unwrap_or("$DEFAULT");
    match crate::service::invoke_sync(state, scope, &route.function, qualifier, event, Source::Api).await {
        Err(error) => api_failure(&error, request_id),
        Ok(invocation) if invocation.status_code == 200 => integration_response(&invocation.result.ret_msg, request_id),
        Ok(invocation) => {
            let status =
                if invocation.status_code == 433 { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
            failure(status, request_id, &invocation_failure(&invocation))
        }
    }
}

/// The event API Gateway would send for this request.
fn api_gateway_event(parts: &Parts, path: &str, body: Bytes, peer: SocketAddr, request_id: &str) -> ApiGatewayRequest {
    let mut event = ApiGatewayRequest::default();
    event.http_method = parts.method.as_str().to_owned();
    event.path = path.to_owned();
    event.headers = joined_headers(&parts.headers);
    event.query_string = query_string(parts.uri.query().unwrap_or_default());
    if !body.is_empty() {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        match std::str::from_utf8(&body) {
            Ok(text) if is_textual(content_type) => {
                event.body = Some(text.to_owned());
                event.is_base64_encoded = Some(false);
            }
            _ => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(&body));
                event.is_base64_encoded = Some(true);
            }
        }
    }
    let mut context = RequestContext::default();
    context.service_id = SERVICE_ID.to_owned();
    context.path = "/".to_owned();
    context.http_method = event.http_method.clone();
    context.request_id = request_id.to_owned();
    context.source_ip = peer.ip().to_canonical().to_string();
    context.stage = STAGE.to_owned();
    event.request_context = context;
    event
}

/// Headers by lower-case name (as received over HTTP/1.1 by hyper, and as HTTP/2 sends them); a
/// repeated header's values joined with `, `, as HTTP allows.
fn joined_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut joined: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        joined
            .entry(name.as_str().to_owned())
            .and_modify(|all| {
                all.push_str(", ");
                all.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    joined
}

/// Every query parameter, decoded; a repeated one as a list.
fn query_string(query: &str) -> BTreeMap<String, QueryValue> {
    let mut parameters: BTreeMap<String, QueryValue> = BTreeMap::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (crate::query::percent_decode(name), crate::query::percent_decode(value));
        match parameters.remove(&name) {
            None => parameters.insert(name, QueryValue::One(value)),
            Some(QueryValue::One(first)) => parameters.insert(name, QueryValue::Many(vec![first, value])),
            Some(QueryValue::Many(mut values)) => {
                values.push(value);
                parameters.insert(name, QueryValue::Many(values))
            }
        };
    }
    parameters
}

/// Whether a body of this type is passed as text (when it is UTF-8): no type, `text/*`, or a type
/// naming JSON, XML, JavaScript, form fields or GraphQL. Anything else is base64.
fn is_textual(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else { return true };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || ["json", "xml", "javascript", "x-www-form-urlencoded", "graphql"].iter().any(|kind| essence.contains(kind))
}

/// The function's answer as the HTTP response: an object with a `statusCode` is an integration
/// response; anything else is sent as JSON.
fn integration_response(ret_msg: &str, request_id: &str) -> Response<Body> {
    let value: Option<Value> = serde_json::from_str(ret_msg).ok();
    let is_integration = value.as_ref().is_some_and(|v| v.get("statusCode").is_some());
    let Some(value) = value.filter(|_| is_integration) else {
        let mut response = Response::new(Body::from(ret_msg.to_owned()));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return response;
    };
    let invalid =
        |why: String| failure(StatusCode::BAD_GATEWAY, request_id, &format!("Invalid scf response format: {why}"));
    let answer: ApiGatewayResponse = match serde_json::from_value(value) {
        Ok(answer) => answer,
        Err(error) => return invalid(error.to_string()),
    };
    // 1xx are not final answers: an HTTP server cannot send one as the response.
    let Some(status) = StatusCode::from_u16(answer.status_code).ok().filter(|status| status.as_u16() >= 200) else {
        return invalid(format!(
            "`statusCode` {} is not an HTTP status of a final answer (200-599)",
            answer.status_code
        ));
    };
    let body = if answer.is_base64_encoded {
        match base64::engine::general_purpose::STANDARD.decode(answer.body.trim()) {
            Ok(body) => Bytes::from(body),
            Err(error) => return invalid(format!("`isBase64Encoded` is true but `body` is not base64 ({error})")),
        }
    } else {
        Bytes::from(answer.body)
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in &answer.headers {
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
            return invalid(format!("the header `{}` is not a valid HTTP header", crate::util::head(name, 100)));
        };
        // The emulator frames the body itself.
        if !crate::runtime::is_hop_by_hop(&name) && name != header::CONTENT_LENGTH {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Why an invocation failed, for its client: the service's message and where to read more.
fn invocation_failure(invocation: &Invocation) -> String {
    let payload: Value = serde_json::from_str(&invocation.result.err_msg).unwrap_or_default();
    let message = payload.get("errorMessage").and_then(Value::as_str).unwrap_or("the function failed");
    format!(
        "the function failed with status {} ({message}); its log is invocation {} in GetFunctionLogs",
        invocation.status_code, invocation.result.function_request_id
    )
}

/// A request the emulator refused as `InvokeFunction` would: 404 for what does not exist.
fn api_failure(error: &ApiError, request_id: &str) -> Response<Body> {
    let not_found = matches!(
        error.code,
        ErrorCode::ResourceNotFound | ErrorCode::ResourceNotFoundFunction | ErrorCode::ResourceNotFoundFunctionName
    ) || crate::service::QUALIFIER_NOT_FOUND.contains(&error.code);
    let status = if not_found { StatusCode::NOT_FOUND } else { StatusCode::BAD_GATEWAY };
    failure(status, request_id, &error.en)
}

/// An error answer as API Gateway writes its own.
fn failure(status: StatusCode, request_id: &str, why: &str) -> Response<Body> {
    let body = serde_json::json!({ "errno": status.as_u16(), "error": format!("requestId {request_id} , {why}") });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A web function: the request proxied to its server (its one instance, started if needed).
async fn web_function(
    state: &Arc<State>,
    scope: &Scope,
    route: &Route,
    parts: Parts,
    body: Bytes,
    request_id: &str,
) -> Response<Body> {
    // `$LATEST`, as a web function's default path reaches it.
    let qualifier = route.qualifier.as_deref().unwrap_or("$LATEST");
    let record = match crate::service::resolve_version(state, scope, &route.function, qualifier) {
        Ok(record) => record,
        Err(error) => return api_failure(&error, request_id),
    };
    let started = Instant::now();
    let start_time = crate::util::now();
    let log = |status_code: i64, failure: Option<String>, output: String| {
        crate::service::record_http_request(
            state,
            HttpRequestRecord {
                record: &record,
                qualifier,
                request_id,
                start_time: start_time.clone(),
                duration: started.elapsed(),
                status_code,
                failure,
                output,
            },
        );
    };
    let instance = state
        .pools
        .web()
        .instance(&record.pool_key(), || crate::service::instance_spec(state, &record, Source::Api))
        .await;
    let instance = match instance {
        Ok(instance) => instance,
        Err(NoWebInstance::Spec(error)) => return failure(StatusCode::BAD_GATEWAY, request_id, &error.en),
        Err(NoWebInstance::Failed(why)) => {
            let (status_code, why) = match why {
                NoInstance::ConcurrencyLimit { limit } => {
                    (432, format!("{limit} instances are running, the most this emulator allows at once"))
                }
                NoInstance::StartFailed(StartError::Timeout(why)) => (450, why),
                NoInstance::StartFailed(StartError::Exited(why) | StartError::Spawn(why)) => (439, why),
            };
            let why = format!("the web function did not start: {why}");
            log(status_code, Some(why.clone()), String::new());
            return failure(StatusCode::BAD_GATEWAY, request_id, &why);
        }
    };
    let mark = instance.output_mark();
    let forwarded = instance.forward(upstream_request(parts, &route.rest, body), function_timeout(&record)).await;
    let output = instance.output_since(mark);
    match forwarded {
        Ok(response) => {
            log(200, None, output);
            response.map(Body::from)
        }
        Err(error) => {
            let (status, status_code, why) = match error {
                ForwardError::Timeout => (
                    StatusCode::GATEWAY_TIMEOUT,
                    433,
                    format!("Invoking task timed out after {} seconds", record.timeout),
                ),
                ForwardError::TooLarge(why) => (StatusCode::BAD_GATEWAY, 407, why),
                ForwardError::Ended(Ended::OutOfMemory) => {
                    (StatusCode::BAD_GATEWAY, 434, format!("Task memory exceeded {} MB", record.memory_size))
                }
                ForwardError::Ended(Ended::Exited(why)) => (StatusCode::BAD_GATEWAY, 439, why),
                ForwardError::Failed(why) => (StatusCode::BAD_GATEWAY, 439, why),
            };
            log(status_code, Some(why.clone()), output);
            failure(status, request_id, &why)
        }
    }
}

/// The request as the function's server gets it: the path after the function's, the query, the
/// headers but those of this connection, the body.
fn upstream_request(parts: Parts, rest: &str, body: Bytes) -> Request<Bytes> {
    let target = match parts.uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut request = Request::new(body);
    *request.method_mut() = parts.method;
    *request.uri_mut() = target.parse().unwrap_or_default();
    let headers = request.headers_mut();
    for (name, value) in &parts.headers {
        if !crate::runtime::is_hop_by_hop(name) {
            headers.append(name, value.clone());
        }
    }
    request
}

fn function_timeout(record: &FunctionRecord) -> Duration {
    Duration::from_secs(record.timeout.max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_a_namespace_a_function_a_qualifier_and_the_rest() {
        let route = |path: &str| Route::parse(path);
        assert_eq!(
            route("/default/echo/a/b"),
            Some(Route { namespace: "default".into(), function: "echo".into(), qualifier: None, rest: "/a/b".into() })
        );
        assert_eq!(route("/default/echo").map(|r| r.rest), Some("/".into()));
        assert_eq!(route("/default/echo/").map(|r| r.rest), Some("/".into()));
        let qualified = route("/ns/echo@prod/x").unwrap();
        assert_eq!((qualified.function.as_str(), qualified.qualifier.as_deref()), ("echo", Some("prod")));
        assert_eq!(route("/ns/echo%40%24LATEST/").unwrap().qualifier.as_deref(), Some("$LATEST"));
        for bad in ["/", "/default", "/default/", "//echo/x", "/ns/echo@/x"] {
            assert_eq!(route(bad), None, "{bad}");
        }
    }

    #[test]
    fn query_strings_keep_every_value() {
        let query = query_string("a=1&b=x%20y&a=2&a=3&flag&c=%E4%BD%A0+z");
        assert_eq!(query["a"], QueryValue::Many(vec!["1".into(), "2".into(), "3".into()]));
        assert_eq!(query["b"], QueryValue::One("x y".into()));
        assert_eq!(query["flag"], QueryValue::One(String::new()));
        assert_eq!(query["c"], QueryValue::One("你 z".into()));
        assert!(query_string("").is_empty());
    }

    #[test]
    fn text_and_binary_bodies() {
        for textual in [None, Some("text/plain"), Some("application/json; charset=utf-8"), Some("application/xml")] {
            assert!(is_textual(textual), "{textual:?}");
        }
        for binary in [Some("application/octet-stream"), Some("image/png"), Some("multipart/form-data; boundary=x")] {
            assert!(!is_textual(binary), "{binary:?}");
        }
    }

    #[test]
    fn integration_responses_and_other_values() {
        let plain = integration_response(r#"{"hello":"world"}"#, "r");
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(plain.headers()[header::CONTENT_TYPE], "application/json");
        let made = integration_response(
            r#"{"statusCode":201,"headers":{"X-Made":"yes","Content-Length":"1"},"body":"aGk=","isBase64Encoded":true}"#,
            "r",
        );
        assert_eq!(made.status(), StatusCode::CREATED);
        assert_eq!(made.headers()["x-made"], "yes");
        assert!(made.headers().get(header::CONTENT_LENGTH).is_none(), "the emulator frames the body");
        for broken in [
            r#"{"statusCode":"200"}"#,
            r#"{"statusCode":42}"#,
            r#"{"statusCode":101}"#,
            r#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"headers":{"bad name":"x"}}"#,
        ] {
            assert_eq!(integration_response(broken, "r").status(), StatusCode::BAD_GATEWAY, "{broken}");
        }
    }
}
