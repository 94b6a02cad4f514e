//! [`ApiClient`]: calls any action described by the catalogue — validates, encodes, signs, sends,
//! retries and decodes.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::Instrument as _;

use super::action::{Action, ActionErrorCode, RetryClass};
use super::catalog::{ActionDescriptor, ServiceInfo};
use super::config::Config;
use super::credentials::Credentials;
use super::encode::{self, Encoded};
use super::error::{
    ConfigError, Error, OperationTimeoutError, ResponseError, ResponseErrorKind, ServiceError, ValidationError,
    ValidationErrorKind,
};
use super::retry::{Clock, Decision, Failure};
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
    /// Where the first service called goes (in practice the only one): worked out once.
    target: OnceLock<Target>,
}

/// Where a service's requests go from this client: the region and the endpoint.
#[derive(Clone)]
struct Target {
    service: &'static ServiceInfo,
    region: String,
    /// The `Host` value signed and sent.
    host: String,
    /// `scheme://authority/`.
    base_url: String,
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
        Ok(Self { inner: Arc::new(Inner { config, transport, target: OnceLock::new() }) })
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
        let target = self.target(descriptor.service).map_err(Error::map_code)?;
        let encoded = self.encode_typed(request).map_err(Error::map_code)?;
        let retry_class = |code: &str| A::ErrorCode::from(code).retry_class();
        let answer = self
            .execute(descriptor, &target, encoded, retry_class)
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
        let target = self.target(descriptor.service).map_err(Error::map_code)?;
        let encoded = validate::validate_input(descriptor, &params)
            .and_then(|()| encode::encode(self.inner.config.method, &params))
            .map_err(Error::Validation)?;
        drop(params);
        let retry_class = |code: &str| C::from(code).retry_class();
        let answer = self
            .execute(descriptor, &target, encoded, retry_class)
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
        let target = self.target(A::DESCRIPTOR.service).map_err(Error::map_code)?;
        let encoded = self.encode_typed(request).map_err(Error::map_code)?;
        let prepared = self.hash(&target, encoded);
        let credentials = self.inner.config.credentials.provide_credentials().await.map_err(Error::Credentials)?;
        Ok(prepared.sign(A::DESCRIPTOR, &credentials, self.timestamp()))
    }

    fn timestamp(&self) -> i64 {
        self.inner.config.clock.now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }

    /// Where requests for `service` go: worked out on the first call, then reused.
    fn target(&self, service: &'static ServiceInfo) -> Result<Cow<'_, Target>, Error<RawCode>> {
        let cached = &self.inner.target;
        if let Some(target) = cached.get().filter(|target| std::ptr::eq(target.service, service)) {
            return Ok(Cow::Borrowed(target));
        }
        let config = &self.inner.config;
        let region = config.region.clone().ok_or_else(|| {
            Error::Config(ConfigError::new(format!(
                "no region: set one with the config builder's `region`, the TENCENTCLOUD_REGION variable or a tccli profile (e.g. `{}`)",
                service.regions.first().copied().unwrap_or("ap-guangzhou")
            )))
        })?;
        let endpoint = config.endpoint(service, &region).map_err(Error::Config)?;
        let target = Target { service, region, host: endpoint.host, base_url: endpoint.base_url };
        if cached.set(target.clone()).is_ok() {
            return Ok(Cow::Borrowed(cached.get().unwrap_or_else(|| unreachable!("just set"))));
        }
        Ok(Cow::Owned(target))
    }

    /// A typed request, validated and encoded: for POST straight from the request, checked as it
    /// is written; otherwise (or if that finds a problem) through its JSON, which the validator
    /// checks and reports on.
    fn encode_typed<A: Action>(&self, request: &A) -> Result<Encoded, Error<RawCode>> {
        let method = self.inner.config.method;
        if method == HttpMethod::Post
            && let Some(encoded) = encode::encode_post_checked(request, A::DESCRIPTOR.input)
        {
            return Ok(encoded?);
        }
        let params = to_params(request)?;
        validate::validate_input(A::DESCRIPTOR, &params)?;
        Ok(encode::encode(method, &params)?)
    }

    /// Everything about a request that does not change between attempts.
    fn hash<'a>(&'a self, target: &'a Target, encoded: Encoded) -> Prepared<'a> {
        let config = &self.inner.config;
        let Encoded { body, query, content_type } = encoded;
        // Hash the payload once; every attempt is signed afresh, with its own timestamp.
        let payload_hash = match (config.unsigned_payload, config.method) {
            (true, _) => sign::hash_payload_hex(sign::UNSIGNED_PAYLOAD.as_bytes()),
            (false, HttpMethod::Get) => sign::hash_payload_hex(b""),
            (false, HttpMethod::Post) => sign::hash_payload_hex(&body),
        };
        let url = if query.is_empty() {
            Cow::Borrowed(target.base_url.as_str())
        } else {
            Cow::Owned(format!("{}?{query}", target.base_url))
        };
        Prepared { config, target, url, query, content_type, body, payload_hash }
    }

    /// Sends a request and retries as the policy allows, within the operation timeout: the untyped
    /// core of [`call`](Self::call). `retry_class` classifies the service's error codes.
    async fn execute(
        &self,
        descriptor: &'static ActionDescriptor,
        target: &Target,
        encoded: Encoded,
        retry_class: fn(&str) -> Option<RetryClass>,
    ) -> Result<Answer, Error<RawCode>> {
        let span = tracing::Span::current();
        // The clock is read for the latency only when a subscriber records it.
        let started = (!span.is_disabled()).then(Instant::now);
        let record_end = |attempts: u32| {
            span.record("attempts", attempts);
            if let Some(started) = started {
                span.record("latency_ms", started.elapsed().as_millis() as u64);
            }
        };
        let config = &self.inner.config;
        let deadline = Deadline::new(config.clock.as_ref(), config.operation_timeout);
        let prepared = self.hash(target, encoded);
        let mut attempt = 0;
        // What the operation timeout's error reports if it passes.
        let mut maybe_sent = false;
        let mut last_failure = None;
        let timed_out = |attempts: u32, maybe_sent: bool, last_failure: Option<String>| {
            record_end(attempts);
            tracing::debug!(attempts, "the operation timeout passed");
            Error::OperationTimeout(OperationTimeoutError {
                operation_timeout: config.operation_timeout.unwrap_or_default(),
                attempts,
                maybe_sent,
                last_failure,
            })
        };
        let Some(credentials) = deadline.within(config.credentials.provide_credentials()).await else {
            return Err(timed_out(0, false, None));
        };
        let mut credentials = credentials.map_err(Error::Credentials)?;
        // Credentials the service refused as stale are looked up again, once per call.
        let mut refreshed = false;
        loop {
            if deadline.passed() {
                return Err(timed_out(attempt, maybe_sent, last_failure));
            }
            attempt += 1;
            let request = prepared.sign(descriptor, &credentials, self.timestamp());
            let result = match deadline.within(self.inner.transport.send(request)).await {
                None => return Err(timed_out(attempt, true, last_failure)),
                Some(Ok(response)) => decode(response),
                Some(Err(error)) => Err(Error::Transport(error)),
            };
            if !span.is_disabled()
                && let Some(id) = match &result {
                    Ok(answer) => Some(answer.request_id()),
                    Err(error) => error.request_id(),
                }
            {
                span.record("request_id", id);
            }
            let error = match result {
                Ok(answer) => {
                    record_end(attempt);
                    tracing::debug!(attempt, "call succeeded");
                    return Ok(answer);
                }
                Err(error) => error,
            };
            if let Error::Service(e) = &error
                && !refreshed
                && retry_class(&e.code.0) == Some(RetryClass::Credentials)
            {
                refreshed = true;
                match deadline.within(config.credentials.refresh_credentials()).await {
                    None => return Err(timed_out(attempt, maybe_sent, Some(error.to_string()))),
                    Some(Ok(fresh)) if fresh != credentials => {
                        tracing::info!(attempt, error = %error, "the credentials were refused: sending again with fresh ones");
                        credentials = fresh;
                        last_failure = Some(error.to_string());
                        continue;
                    }
                    Some(Ok(_)) => tracing::debug!("the credentials were refused, and looking again found the same"),
                    Some(Err(why)) => tracing::debug!(%why, "the credentials were refused, and looking again failed"),
                }
            }
            let failure = match &error {
                Error::Transport(e) => Failure::Transport(e),
                Error::Service(e) => Failure::Code(retry_class(&e.code.0)),
                Error::Response(e) if e.kind == ResponseErrorKind::HttpStatus => Failure::Status(e.status),
                _ => Failure::Final,
            };
            // A service error means the service turned the request away; anything else may have
            // come after it ran.
            maybe_sent |= match &error {
                Error::Transport(e) => e.maybe_sent,
                Error::Service(_) => false,
                _ => true,
            };
            match config.retry.decide(&failure, attempt, descriptor.idempotent) {
                Decision::Retry { delay, .. } if !deadline.allows_wait(delay) => {
                    tracing::info!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "not retrying: the wait would outlast the operation timeout");
                    return Err(timed_out(attempt, maybe_sent, Some(error.to_string())));
                }
                Decision::Retry { reason, delay } => {
                    tracing::info!(attempt, reason, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
                    last_failure = Some(error.to_string());
                    config.clock.sleep(delay).await;
                }
                Decision::Stop { reason } => {
                    record_end(attempt);
                    tracing::debug!(attempt, reason, error = %error, "not retrying");
                    return Err(error);
                }
            }
        }
    }
}

/// The end of a call's operation timeout, read on the client's clock (so a manual clock tests it).
struct Deadline<'a> {
    clock: &'a dyn Clock,
    /// `None`: no operation timeout.
    at: Option<SystemTime>,
}

impl<'a> Deadline<'a> {
    fn new(clock: &'a dyn Clock, timeout: Option<Duration>) -> Self {
        Self { clock, at: timeout.map(|timeout| clock.now() + timeout) }
    }

    /// The time left: `None` without a limit.
    fn remaining(&self) -> Option<Duration> {
        self.at.map(|at| at.duration_since(self.clock.now()).unwrap_or(Duration::ZERO))
    }

    fn passed(&self) -> bool {
        self.remaining().is_some_and(|left| left.is_zero())
    }

    /// Whether a wait of `delay` ends before the deadline.
    fn allows_wait(&self, delay: Duration) -> bool {
        self.remaining().is_none_or(|left| delay < left)
    }

    /// `future`'s output, or `None` if the deadline passes first.
    async fn within<F: Future>(&self, future: F) -> Option<F::Output> {
        let Some(left) = self.remaining() else {
            return Some(future.await);
        };
        // The timer is made only once the future has had its first chance: a future that is
        // ready at once never starts one (a manual clock's wait would move its time).
        let mut future = pin!(future);
        let mut timer = pin!(async { self.clock.sleep(left).await });
        std::future::poll_fn(|context| {
            if let Poll::Ready(output) = future.as_mut().poll(context) {
                return Poll::Ready(Some(output));
            }
            timer.as_mut().poll(context).map(|()| None)
        })
        .await
    }
}

/// A request's parameters as wire JSON.
fn to_params<A: Action, C>(request: &A) -> Result<Value, Error<C>> {
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
    /// Part of `body` (a copy only if the answer escaped a character in it).
    request_id: bytes::Bytes,
}

impl Answer {
    /// The request id the answer gave.
    pub fn request_id(&self) -> &str {
        std::str::from_utf8(&self.request_id).unwrap_or_default()
    }

    /// The `Response` object as `T`; if it is not one, a response error saying `what`, with the
    /// request id.
    pub(crate) fn decode<'a, T: Deserialize<'a>, C>(&'a self, what: &str) -> Result<T, Error<C>> {
        serde_json::from_slice(&self.body[self.response.clone()]).map_err(|e| {
            let mut error =
                ResponseError::new(ResponseErrorKind::OutputMismatch, 200, format!("{what}: {e}"), &self.body);
            error.request_id = Some(self.request_id().to_owned());
            Error::Response(error)
        })
    }
}

/// A request encoded and hashed, ready to be signed for each attempt.
struct Prepared<'a> {
    config: &'a Config,
    target: &'a Target,
    url: Cow<'a, str>,
    query: String,
    content_type: &'static str,
    body: bytes::Bytes,
    /// Lower-case hex digits.
    payload_hash: [u8; 64],
}

impl Prepared<'_> {
    /// The request for one attempt, signed at `timestamp`.
    fn sign(&self, descriptor: &ActionDescriptor, credentials: &Credentials, timestamp: i64) -> HttpRequest {
        let config = self.config;
        let service = descriptor.service;
        let authorization = sign::sign_with_key(
            &SignableRequest {
                method: config.method.as_str(),
                query: &self.query,
                content_type: self.content_type,
                host: &self.target.host,
                payload_hash: std::str::from_utf8(&self.payload_hash).unwrap_or_default(),
            },
            &SigningParams {
                secret_id: credentials.secret_id(),
                secret_key: credentials.secret_key(),
                service: service.name,
                timestamp,
            },
            |date| credentials.signing_key(date, service.name),
        );
        let mut headers = Vec::with_capacity(11);
        headers.extend([
            ("Host", Cow::Owned(self.target.host.clone())),
            ("Content-Type", Cow::Borrowed(self.content_type)),
            ("Authorization", Cow::Owned(authorization)),
            ("X-TC-Action", Cow::Borrowed(descriptor.name)),
            ("X-TC-Version", Cow::Borrowed(service.version)),
            ("X-TC-Timestamp", Cow::Owned(timestamp.to_string())),
            ("X-TC-Region", Cow::Owned(self.target.region.clone())),
            ("X-TC-RequestClient", Cow::Borrowed(super::USER_AGENT)),
        ]);
        if let Some(token) = credentials.token() {
            headers.push(("X-TC-Token", Cow::Owned(token.to_owned())));
        }
        if let Some(language) = config.language {
            headers.push(("X-TC-Language", Cow::Borrowed(language.as_str())));
        }
        if config.unsigned_payload {
            headers.push(("X-TC-Content-SHA256", Cow::Borrowed(sign::UNSIGNED_PAYLOAD)));
        }
        HttpRequest { method: config.method, url: self.url.clone().into_owned(), headers, body: self.body.clone() }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Response", borrow)]
    response: &'a RawValue,
}

/// The parts of `Response` every answer has.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
    #[serde(rename = "RequestId", borrow)]
    request_id: Option<Text<'a>>,
}

/// A string borrowed from the answer unless it has escapes (serde borrows a `Cow` only when it is
/// the field's own type, not inside an `Option`).
#[derive(Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

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
    // Anything but 200 without an API error is some other server's answer (a gateway's, a proxy's).
    let kind = if status == 200 { ResponseErrorKind::Malformed } else { ResponseErrorKind::HttpStatus };
    let bad = |reason: String| Error::Response(ResponseError::new(kind, status, reason, body));
    let http = |what: &str| {
        if status == 200 { what.to_owned() } else { format!("HTTP {status}, and the body is {what}") }
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(http("not UTF-8 text")))?;
    // An answer laid out as the service sends it, `{"Response":{…}}` with nothing else, is read
    // once here: if its `Head` parses, the object is one JSON value, and so the body is the
    // envelope. Any other layout, or a `Head` that does not parse, goes the general way.
    let compact = text
        .strip_prefix(r#"{"Response":"#)
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|raw| raw.starts_with('{') && raw.ends_with('}'))
        .and_then(|raw| Some((raw, serde_json::from_str::<Head<'_>>(raw).ok()?)));
    let (raw, head) = match compact {
        Some(found) => found,
        None => {
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
            let head = serde_json::from_str(raw)
                .map_err(|e| bad(http(&format!("an API answer with malformed `Error` or `RequestId` ({e})"))))?;
            (raw, head)
        }
    };
    let request_id = head.request_id.map(|Text(id)| id);
    let with_id = |mut error: ResponseError| {
        error.request_id = request_id.as_deref().map(str::to_owned);
        Error::Response(error)
    };
    if let Some(error) = head.error {
        return Err(Error::Service(ServiceError {
            code: RawCode(error.code),
            message: error.message,
            request_id: request_id.map(Cow::into_owned).unwrap_or_default(),
            http_status: status,
        }));
    }
    if status != 200 {
        return Err(with_id(ResponseError::new(kind, status, format!("HTTP {status}"), body)));
    }
    let request_id = match &request_id {
        Some(Cow::Borrowed(id)) => response.body.slice_ref(id.as_bytes()),
        Some(Cow::Owned(id)) => bytes::Bytes::copy_from_slice(id.as_bytes()),
        None => return Err(with_id(ResponseError::new(kind, status, "the answer has no `RequestId`", body))),
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
                ResponseErrorKind::OutputMismatch,
                status,
                format!("the answer does not match the action's output: {e}"),
                &[],
            ))
        })?;
        Ok((output, answer.request_id().to_owned()))
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
        // A request id with an escape is read as it means, borrowed or not.
        let (_, id) = decode_body(200, r#"{"Response":{"Value":7,"RequestId":"r\u0033"}}"#).unwrap();
        assert_eq!(id, "r3");
        let error = decode_body(200, r#"{"Response":{"Error":{"Code":"A.B"},"RequestId":"r\u0034"}}"#).unwrap_err();
        assert_eq!(error.request_id(), Some("r4"));
        // An error envelope counts whatever the status.
        assert!(matches!(
            decode_body(500, r#"{"Response":{"Error":{"Code":"InternalError"},"RequestId":"r"}}"#),
            Err(Error::Service(_))
        ));
    }

    /// The compact layout is read without parsing the envelope; every other layout of the same
    /// answer, and every answer that only looks compact, must read exactly as the general way does.
    #[test]
    fn every_layout_of_the_envelope_reads_the_same() {
        let outcome = |body: &str| format!("{:?}", decode_body(200, body).map_err(|e| e.to_string()));
        let compact = r#"{"Response":{"Value":7,"RequestId":"r1"}}"#;
        assert_eq!(outcome(compact), r#"Ok((Output { value: 7 }, "r1"))"#);
        for layout in [
            r#"{ "Response" : { "Value" : 7, "RequestId" : "r1" } }"#,
            "{\"Response\":{\"Value\":7,\"RequestId\":\"r1\"}}\n",
            r#"{"Other":[1],"Response":{"Value":7,"RequestId":"r1"}}"#,
            r#"{"Response":{"Value":7,"RequestId":"r1"},"Other":{}}"#,
        ] {
            assert_eq!(outcome(layout), outcome(compact), "{layout}");
        }
        // Looks compact, but the object is followed by another member: the general way reads it.
        assert_eq!(outcome(r#"{"Response":{"Value":7,"RequestId":"r1"},"X":{"Y":1}}"#), outcome(compact));
        // ... or by a second `Response`, which the general way refuses.
        let twice = r#"{"Response":{"Value":7,"RequestId":"r1"},"Response":{"Value":8,"RequestId":"r2"}}"#;
        assert_eq!(reason(decode_body(200, twice)), "JSON without a `Response` object");
        // A malformed `Head` in the compact layout gets the general way's reason.
        let malformed = reason(decode_body(200, r#"{"Response":{"Value":7,"RequestId":5}}"#));
        assert!(malformed.starts_with("an API answer with malformed `Error` or `RequestId`"), "{malformed}");
        assert_eq!(malformed, reason(decode_body(200, r#"{ "Response": {"Value":7,"RequestId":5} }"#)));
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
        let kind = |status: u16, body: &str| match decode_body(status, body) {
            Err(Error::Response(e)) => e.kind,
            other => panic!("{other:?}"),
        };
        // Another server's answer (worth repeating, for idempotent actions) is told apart by kind.
        assert_eq!(kind(502, "<html>Bad Gateway</html>"), ResponseErrorKind::HttpStatus);
        assert_eq!(kind(503, r#"{"Response":{"RequestId":"r"}}"#), ResponseErrorKind::HttpStatus);
        assert_eq!(kind(200, "<html>"), ResponseErrorKind::Malformed);
        assert_eq!(kind(200, r#"{"Response":{"Value":7}}"#), ResponseErrorKind::Malformed);
        assert_eq!(kind(200, r#"{"Response":{"RequestId":"r"}}"#), ResponseErrorKind::OutputMismatch);
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
