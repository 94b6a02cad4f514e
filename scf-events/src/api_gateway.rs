//! The API Gateway trigger: the request a function gets (integration request) and the response it
//! returns (integration response).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// An HTTP request API Gateway passes to the function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiGatewayRequest {
    pub request_context: RequestContext,
    /// The request's headers (see [`ApiGatewayRequest::header`] for a case-insensitive lookup).
    pub headers: BTreeMap<String, String>,
    /// The body as text; absent for requests without one (see [`ApiGatewayRequest::body_json`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Whether [`ApiGatewayRequest::body`] is base64 (binary bodies); absent in most events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_base64_encoded: Option<bool>,
    /// Parameters of the API's path (`/test/{path}`), by name.
    pub path_parameters: BTreeMap<String, String>,
    /// Query parameters the API declares.
    pub query_string_parameters: BTreeMap<String, String>,
    /// Header parameters the API declares.
    pub header_parameters: BTreeMap<String, String>,
    /// Variables of the API's environment (stage).
    pub stage_variables: BTreeMap<String, String>,
    /// The path that was requested (`/test/value`).
    pub path: String,
    /// Every query parameter of the request (see [`ApiGatewayRequest::query`]).
    pub query_string: BTreeMap<String, QueryValue>,
    pub http_method: String,
}

impl ApiGatewayRequest {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// A query parameter's (first) value.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_string.get(name).and_then(QueryValue::first)
    }

    /// The body parsed as JSON into `T` (`None` without a body).
    pub fn body_json<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.body.as_deref().map(serde_json::from_str)
    }
}

/// A query parameter's value: one, or several when the parameter is repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QueryValue {
    One(String),
    Many(Vec<String>),
}

impl QueryValue {
    /// The value, or the first of several.
    pub fn first(&self) -> Option<&str> {
        match self {
            QueryValue::One(value) => Some(value),
            QueryValue::Many(values) => values.first().map(String::as_str),
        }
    }
}

/// Where the request came from and which API took it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequestContext {
    /// The API Gateway service (`service-f94sy04v`).
    pub service_id: String,
    /// The API's path as configured (`/test/{path}`).
    pub path: String,
    pub http_method: String,
    /// API Gateway's id of the request.
    pub request_id: String,
    /// Who called: with key-pair authentication, the `secretId`.
    pub identity: BTreeMap<String, String>,
    pub source_ip: String,
    /// The environment: `test`, `prepub` or `release`.
    pub stage: String,
}

/// The response a function returns to API Gateway when the API uses integration responses.
///
/// ```
/// use scf_events::ApiGatewayResponse;
///
/// let html = ApiGatewayResponse::new(200, "<h1>hello</h1>").header("Content-Type", "text/html");
/// let json = ApiGatewayResponse::json(201, &serde_json::json!({ "id": 7 }))?;
/// assert_eq!(json.headers["Content-Type"], "application/json");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiGatewayResponse {
    /// Whether [`ApiGatewayResponse::body`] is base64, for API Gateway to decode (binary bodies).
    pub is_base64_encoded: bool,
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl ApiGatewayResponse {
    /// A response with this status and text body, and no headers.
    pub fn new(status_code: u16, body: impl Into<String>) -> Self {
        Self { is_base64_encoded: false, status_code, headers: BTreeMap::new(), body: body.into() }
    }

    /// A response whose body is `value` as JSON, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(status_code: u16, value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::new(status_code, serde_json::to_string(value)?).header("Content-Type", "application/json"))
    }

    /// A response whose body is already base64 (API Gateway decodes it before answering).
    pub fn base64(status_code: u16, base64_body: impl Into<String>) -> Self {
        Self { is_base64_encoded: true, ..Self::new(status_code, base64_body) }
    }

    /// Adds (or replaces) a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}
