//! [`ApiClient`]: calls any action described by the catalogue — validates, encodes, signs, sends,
//! retries and decodes.

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::Instrument as _;

use super::action::{Action, ActionErrorCode, RetryClass};
use super::catalog::ActionDescriptor;
use super::config::Config;
use super::credentials::Credentials;
use super::encode::{self, Encoded};
use super::error::{ConfigError, Error, ResponseError, ServiceError, ValidationError, ValidationErrorKind};
use super::retry::{Decision, Failure};
use super::sign::{self, SignableRequest, SigningParams};
use super::transport::{HttpMethod, HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportSettings};
use super::validate;

/// A client for Tencent Cloud API 3.0 actions. Cheap to clone: clones share the configuration and
/// the connection pool.
///
/// Service crates wrap it with one method per action (`scf_sdk::Client::invoke_function`); use it
/// directly to call an action by its request type with [`call`](Self::call).
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient").field("config", &self.inner.config).finish()
    }
}

impl ApiClient {
    /// A client for `config`. Fails if an endpoint URL is unusable or TLS cannot be set up.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.check_endpoint_urls()?;
        let transport: Arc<dyn Transport> = match &config.transport {
            Some(transport) => transport.clone(),
            None => Arc::new(
                ReqwestTransport::new(TransportSettings {
                    connect_timeout: config.connect_timeout,
                    timeout: config.timeout,
                    max_response_bytes: config.max_response_bytes,
                })
                .map_err(|e| ConfigError::new(e.to_string()))?,
            ),
        };
        Ok(Self { inner: Arc::new(Inner { config, transport }) })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Calls the action `A` with `request`.
    pub async fn call<A: Action>(&self, request: &A) -> Result<A::Response, Error<A::ErrorCode>> {
        let descriptor = A::DESCRIPTOR;
        // Only encoding and decoding depend on the action's types; everything between is shared by
        // all actions (one copy of the machinery, not one per action).
        let params = to_params(request)?;
        let retry_class = |code: &str| A::ErrorCode::from(code).retry_class();
        let answer = self
            .execute(descriptor, params, retry_class)
            .instrument(self.span(descriptor))
            .await
            .map_err(Error::map_code)?;
        answer.decode("the answer does not match the action's output")
    }

    /// Calls the action `descriptor` describes with `params`, its input as wire JSON, and returns
    /// the answer's `Response` object as received, `RequestId` included: for tools that reach every
    /// action through the catalogue rather than by its types (a command-line client, a proxy).
    ///
    /// The input is validated against the catalogue, signed, sent and retried exactly as by
    /// [`call`](Self::call). `C` is what the service's error codes are parsed into, and decides
    /// which of them are worth retrying: the service-wide `ErrorCode`, typically.
    pub async fn call_json<C: ActionErrorCode>(
        &self,
        descriptor: &'static ActionDescriptor,
        params: Value,
    ) -> Result<Box<RawValue>, Error<C>> {
        let retry_class = |code: &str| C::from(code).retry_class();
        let answer = self
            .execute(descriptor, params, retry_class)
            .instrument(self.span(descriptor))
            .await
            .map_err(Error::map_code)?;
        answer.decode("the `Response` object is not JSON")
    }

    /// The span every call runs in.
    fn span(&self, descriptor: &ActionDescriptor) -> tracing::Span {
        tracing::info_span!(
            "tencentcloud.call",
            service = descriptor.service.name,
            action = descriptor.name,
            region = self.inner.config.region.as_deref().unwrap_or(""),
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    /// Builds the request exactly as [`call`](Self::call) sends its first attempt — validated,
    /// encoded, signed — without sending it. For inspecting the wire format, and for benchmarks.
    pub async fn prepare<A: Action>(&self, request: &A) -> Result<HttpRequest, Error<A::ErrorCode>> {
        let prepared = self.encode(A::DESCRIPTOR, to_params(request)?).map_err(Error::map_code)?;
        let credentials = self.inner.config.credentials.provide_credentials().await.map_err(Error::Credentials)?;
        Ok(prepared.sign(A::DESCRIPTOR, &credentials, self.timestamp()))
    }

    fn timestamp(&self) -> i64 {
        self.inner.config.clock.now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }

    /// Everything about a request that does not change between attempts.
    fn encode(&self, descriptor: &'static ActionDescriptor, params: Value) -> Result<Prepared<'_>, Error<RawCode>> {
        let service = descriptor.service;
        let config = &self.inner.config;
        let region = config.region.clone().ok_or_else(|| {
            Error::Config(ConfigError::new(format!(
                "no region: set one with the config builder's `region`, the TENCENTCLOUD_REGION variable or a tccli profile (e.g. `{}`)",
                service.regions.first().copied().unwrap_or("ap-guangzhou")
            )))
        })?;
        let endpoint = config.endpoint(service, &region).map_err(Error::Config)?;
        validate::validate_input(descriptor, &params)?;
        let Encoded { body, query, content_type } = encode::encode(config.method, &params)?;
        drop(params);
        // Hash the payload once; every attempt is signed afresh, with its own timestamp.
        let payload_hash = match (config.unsigned_payload, config.method) {
            (true, _) => sign::hash_payload(sign::UNSIGNED_PAYLOAD.as_bytes()),
            (false, HttpMethod::Get) => sign::hash_payload(b""),
            (false, HttpMethod::Post) => sign::hash_payload(&body),
        };
        let url = if query.is_empty() { endpoint.base_url.clone() } else { format!("{}?{query}", endpoint.base_url) };
        Ok(Prepared { config, region, host: endpoint.host, url, query, content_type, body, payload_hash })
    }

    /// Sends a request and retries as the policy allows: the untyped core of [`call`](Self::call).
    /// `retry_class` classifies the service's error codes.
    async fn execute(
        &self,
        descriptor: &'static ActionDescriptor,
        params: Value,
        retry_class: fn(&str) -> Option<RetryClass>,
    ) -> Result<Answer, Error<RawCode>> {
        let started = Instant::now();
        let config = &self.inner.config;
        let prepared = self.encode(descriptor, params)?;
        let credentials = config.credentials.provide_credentials().await.map_err(Error::Credentials)?;
        let span = tracing::Span::current();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = prepared.sign(descriptor, &credentials, self.timestamp());
            let result = match self.inner.transport.send(request).await {
                Ok(response) => decode(response),
                Err(error) => Err(Error::Transport(error)),
            };
            if let Some(id) = match &result {
                Ok(answer) => Some(answer.request_id.as_str()),
                Err(error) => error.request_id(),
            } {
                span.record("request_id", id);
            }
            let error = match result {
                Ok(answer) => {
                    span.record("attempts", attempt);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    tracing::debug!(attempt, "call succeeded");
                    return Ok(answer);
                }
                Err(error) => error,
            };
            let failure = match &error {
                Error::Transport(e) => Failure::Transport(e),
                Error::Service(e) => Failure::Code(retry_class(&e.code.0)),
                Error::Response(e) if e.reason.starts_with("HTTP") => Failure::Status(e.status),
                _ => Failure::Final,
            };
            match config.retry.decide(&failure, attempt, descriptor.idempotent) {
                Decision::Retry { reason, delay } => {
                    tracing::info!(attempt, reason, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
                    config.clock.sleep(delay).await;
                }
                Decision::Stop { reason } => {
                    span.record("attempts", attempt);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    tracing::debug!(attempt, reason, error = %error, "not retrying");
                    return Err(error);
                }
            }
        }
    }
}

/// A request's parameters as wire JSON.
fn to_params<A: Action>(request: &A) -> Result<Value, Error<A::ErrorCode>> {
    serde_json::to_value(request).map_err(|e| {
        Error::Validation(ValidationError::new(
            "request",
            ValidationErrorKind::WrongType,
            format!("cannot be encoded as JSON: {e}"),
        ))
    })
}

/// An error code as received, before it is parsed into an action's enum.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCode(String);

impl From<&str> for RawCode {
    fn from(code: &str) -> Self {
        RawCode(code.to_owned())
    }
}

impl fmt::Display for RawCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ActionErrorCode for RawCode {
    fn as_str(&self) -> &str {
        &self.0
    }

    fn description(&self) -> Option<&'static str> {
        None
    }

    fn retry_class(&self) -> Option<RetryClass> {
        None
    }
}

/// A successful answer: the body, where its `Response` object lies in it, and the request id.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: bytes::Bytes,
    pub response: std::ops::Range<usize>,
    pub request_id: String,
}

impl Answer {
    /// The `Response` object as `T`; if it is not one, a response error saying `what`, with the
    /// request id.
    fn decode<'a, T: Deserialize<'a>, C>(&'a self, what: &str) -> Result<T, Error<C>> {
        serde_json::from_slice(&self.body[self.response.clone()]).map_err(|e| {
            let mut error = ResponseError::new(200, format!("{what}: {e}"), &self.body);
            error.request_id = Some(self.request_id.clone());
            Error::Response(error)
        })
    }
}

/// A request encoded and hashed, ready to be signed for each attempt.
struct Prepared<'a> {
    config: &'a Config,
    region: String,
    host: String,
    url: String,
    query: String,
    content_type: &'static str,
    body: bytes::Bytes,
    payload_hash: String,
}

impl Prepared<'_> {
    /// The request for one attempt, signed at `timestamp`.
    fn sign(&self, descriptor: &ActionDescriptor, credentials: &Credentials, timestamp: i64) -> HttpRequest {
        let config = self.config;
        let service = descriptor.service;
        let authorization = sign::sign(
            &SignableRequest {
                method: config.method.as_str(),
                query: &self.query,
                content_type: self.content_type,
                host: &self.host,
                payload_hash: &self.payload_hash,
            },
            &SigningParams {
                secret_id: credentials.secret_id(),
                secret_key: credentials.secret_key(),
                service: service.name,
                timestamp,
            },
        );
        let mut headers = vec![
            ("Host", self.host.clone()),
            ("Content-Type", self.content_type.to_owned()),
            ("Authorization", authorization),
            ("X-TC-Action", descriptor.name.to_owned()),
            ("X-TC-Version", service.version.to_owned()),
            ("X-TC-Timestamp", timestamp.to_string()),
            ("X-TC-Region", self.region.clone()),
            ("X-TC-RequestClient", super::USER_AGENT.to_owned()),
        ];
        if let Some(token) = credentials.token() {
            headers.push(("X-TC-Token", token.to_owned()));
        }
        if let Some(language) = config.language {
            headers.push(("X-TC-Language", language.as_str().to_owned()));
        }
        if config.unsigned_payload {
            headers.push(("X-TC-Content-SHA256", sign::UNSIGNED_PAYLOAD.to_owned()));
        }
        HttpRequest { method: config.method, url: self.url.clone(), headers, body: self.body.clone() }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Response", borrow)]
    response: &'a RawValue,
}

/// The parts of `Response` every answer has.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// Decodes an API 3.0 answer: where the `Response` object is and the request id, or the error it
/// reports. Never panics, whatever the body holds.
pub(crate) fn decode(response: HttpResponse) -> Result<Answer, Error<RawCode>> {
    let status = response.status;
    let body = &response.body[..];
    let bad = |reason: String| Error::Response(ResponseError::new(status, reason, body));
    let http = |what: &str| {
        if status == 200 { what.to_owned() } else { format!("HTTP {status}, and the body is {what}") }
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(http("not UTF-8 text")))?;
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        bad(http(&if e.is_eof() {
            "cut short (incomplete JSON)".to_owned()
        } else if e.is_data() {
            "JSON without a `Response` object".to_owned()
        } else {
            format!("not JSON ({e})")
        }))
    })?;
    let raw = envelope.response.get();
    let head: Head = serde_json::from_str(raw)
        .map_err(|e| bad(http(&format!("an API answer with malformed `Error` or `RequestId` ({e})"))))?;
    let with_id = |mut error: ResponseError| {
        error.request_id = head.request_id.clone();
        Error::Response(error)
    };
    if let Some(error) = head.error {
        return Err(Error::Service(ServiceError {
            code: RawCode(error.code),
            message: error.message,
            request_id: head.request_id.unwrap_or_default(),
            http_status: status,
        }));
    }
    if status != 200 {
        return Err(with_id(ResponseError::new(status, format!("HTTP {status}"), body)));
    }
    let Some(request_id) = head.request_id.clone() else {
        return Err(with_id(ResponseError::new(status, "the answer has no `RequestId`", body)));
    };
    // `raw` borrows from `text`, which is `body`: its offset locates the object without copying it.
    let start = raw.as_ptr() as usize - text.as_ptr() as usize;
    let range = start..start + raw.len();
    Ok(Answer { body: response.body.clone(), response: range, request_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Output {
        #[serde(rename = "Value")]
        value: u32,
    }

    /// Decodes like `call` does: the envelope, then the output.
    fn decode_body(status: u16, body: &str) -> Result<(Output, String), Error<RawCode>> {
        let answer = decode(HttpResponse { status, body: body.as_bytes().to_vec().into() })?;
        let output = serde_json::from_slice(&answer.body[answer.response.clone()]).map_err(|e| {
            Error::Response(ResponseError::new(
                status,
                format!("the answer does not match the action's output: {e}"),
                &[],
            ))
        })?;
        Ok((output, answer.request_id))
    }

    fn reason(result: Result<(Output, String), Error<RawCode>>) -> String {
        match result {
            Err(Error::Response(e)) => e.reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn success_and_service_errors() {
        let (output, id) = decode_body(200, r#"{"Response":{"Value":7,"RequestId":"r1","Extra":[1]}}"#).unwrap();
        assert_eq!((output.value, id.as_str()), (7, "r1"));
        let error =
            decode_body(200, r#"{"Response":{"Error":{"Code":"A.B","Message":"m"},"RequestId":"r2"}}"#).unwrap_err();
        assert_eq!(error.to_string(), "A.B: m (request id r2)");
        // An error envelope counts whatever the status.
        assert!(matches!(
            decode_body(500, r#"{"Response":{"Error":{"Code":"InternalError"},"RequestId":"r"}}"#),
            Err(Error::Service(_))
        ));
    }

    #[test]
    fn every_kind_of_bad_body_is_a_response_error() {
        assert_eq!(
            reason(decode_body(502, "<html>Bad Gateway</html>")),
            "HTTP 502, and the body is not JSON (expected value at line 1 column 1)"
        );
        assert_eq!(reason(decode_body(200, r#"{"Response":{"Value":7,"Req"#)), "cut short (incomplete JSON)");
        assert_eq!(reason(decode_body(200, r#"{"Result":1}"#)), "JSON without a `Response` object");
        assert_eq!(reason(decode_body(200, r#"{"Response":{"Value":7}}"#)), "the answer has no `RequestId`");
        assert!(reason(decode_body(200, r#"{"Response":{"RequestId":"r"}}"#)).contains("missing field `Value`"));
        assert!(reason(decode_body(200, r#"{"Response":{"Value":"x","RequestId":"r"}}"#)).contains("invalid type"));
        assert_eq!(reason(decode_body(503, r#"{"Response":{"RequestId":"r"}}"#)), "HTTP 503");
        assert_eq!(reason(decode_body(200, "")), "cut short (incomplete JSON)");
        assert_eq!(reason(decode_body(200, "\u{0}\u{ff}")), "not JSON (expected value at line 1 column 1)");
        let invalid_utf8 = decode(HttpResponse { status: 200, body: vec![0xff, 0xfe].into() });
        assert!(matches!(invalid_utf8, Err(Error::Response(e)) if e.reason == "not UTF-8 text"));
        let null = decode(HttpResponse { status: 200, body: b"null".to_vec().into() });
        assert!(null.is_err());
    }

    mod call_json {
        use std::sync::Mutex;

        use serde_json::json;

        use super::*;
        use crate::runtime::catalog::{MemberDescriptor, ServiceInfo, TypeDescriptor};
        use crate::runtime::transport::TransportFuture;

        static SERVICE: ServiceInfo =
            ServiceInfo::new("demo", "Demo", "2020-01-01", "demo.example.com", "demo.{region}.example.com", &[]);
        static ACTION: ActionDescriptor = ActionDescriptor::new(
            &SERVICE,
            "Demo",
            "",
            &[MemberDescriptor::new("Name", "", TypeDescriptor::String).required().max_bytes(5)],
            &[],
            &[],
        );

        /// Answers every request with `body` and keeps what it was sent.
        #[derive(Debug, Clone)]
        struct Canned {
            body: &'static str,
            sent: Arc<Mutex<Vec<HttpRequest>>>,
        }

        impl Transport for Canned {
            fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
                self.sent.lock().unwrap().push(request);
                let response = HttpResponse { status: 200, body: self.body.as_bytes().to_vec().into() };
                Box::pin(std::future::ready(Ok(response)))
            }
        }

        fn call(body: &'static str, params: Value) -> (Result<Box<RawValue>, Error<RawCode>>, Vec<HttpRequest>) {
            let transport = Canned { body, sent: Arc::default() };
            let config = Config::builder()
                .region("ap-guangzhou")
                .credentials(crate::runtime::Credentials::new("id", "key"))
                .transport(transport.clone())
                .build();
            let client = ApiClient::new(config).unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let result = runtime.block_on(client.call_json::<RawCode>(&ACTION, params));
            let sent = transport.sent.lock().unwrap().clone();
            (result, sent)
        }

        #[test]
        fn the_response_object_comes_back_as_received() {
            let (answer, sent) =
                call(r#"{"Response":{"Zeta":1,"Alpha":[true],"RequestId":"r1"}}"#, json!({"Name": "abc"}));
            assert_eq!(answer.unwrap().get(), r#"{"Zeta":1,"Alpha":[true],"RequestId":"r1"}"#);
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].header("X-TC-Action"), Some("Demo"));
            assert_eq!(&sent[0].body[..], br#"{"Name":"abc"}"#);
        }

        #[test]
        fn the_input_is_validated_before_sending_and_errors_keep_their_kind() {
            let (error, sent) = call("", json!({"Name": "too long"}));
            assert!(matches!(error, Err(Error::Validation(e)) if e.field == "Name"));
            assert!(sent.is_empty(), "nothing was sent");
            let (error, _) =
                call(r#"{"Response":{"Error":{"Code":"A.B","Message":"m"},"RequestId":"r2"}}"#, json!({"Name": "a"}));
            assert_eq!(error.unwrap_err().to_string(), "A.B: m (request id r2)");
        }
    }
}
