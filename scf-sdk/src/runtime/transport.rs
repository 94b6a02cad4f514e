//! Sending a signed request and reading the answer.
//!
//! [`Transport`] is deliberately small — one method from request to response — so tests and users
//! can plug in a replay or in-memory transport; [`ReqwestTransport`] is the real one: one pooled
//! `reqwest` client per SDK client, reused across calls, with a cap on the response size.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;

/// An HTTP method the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HttpMethod {
    /// JSON body (the default, and the only method for requests over 32 KB).
    #[default]
    Post,
    /// Parameters in the query string; requests up to 32 KB.
    Get,
}

impl HttpMethod {
    /// `POST` or `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Get => "GET",
        }
    }
}

/// A request ready to send: signed, with every header set.
#[derive(Clone)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The full URL, query string included.
    pub url: String,
    /// Headers to send, `Host` among them. Values that are the same for every request (the
    /// action, the version, the content type) are borrowed, not copied for each.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body (empty for GET). Cheap to clone, so retries do not copy it.
    pub body: Bytes,
}

impl fmt::Debug for HttpRequest {
    /// Shows the URL without its query, header names and sizes only: header values carry the
    /// signature and the session token, and the query (GET) and the body carry the request's
    /// members, sensitive ones among them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (url, query) = self.url.split_once('?').unwrap_or((&self.url, ""));
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &url)
            .field("query_len", &query.len())
            .field("headers", &self.headers.iter().map(|(name, _)| *name).collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpRequest {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }
}

/// What came back.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse").field("status", &self.status).field("body_len", &self.body.len()).finish()
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportError {
    /// What kind of failure it was.
    pub kind: TransportErrorKind,
    /// Whether the request may have reached the service. `false` only when it certainly did not
    /// (the connection was never made): only then is re-sending a non-idempotent request safe.
    pub maybe_sent: bool,
    /// Details from the HTTP stack.
    pub message: String,
}

/// The kinds of [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, unreachable).
    Connect,
    /// The connect or request timeout expired.
    Timeout,
    /// The TLS handshake failed.
    Tls,
    /// The connection broke while sending or receiving.
    Io,
    /// The response body was larger than the configured limit.
    ResponseTooLarge,
}

impl TransportError {
    /// A new error.
    pub fn new(kind: TransportErrorKind, maybe_sent: bool, message: impl Into<String>) -> Self {
        Self { kind, maybe_sent, message: message.into() }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Tls => "TLS handshake failed",
            TransportErrorKind::Io => "connection failed",
            TransportErrorKind::ResponseTooLarge => "response too large",
        };
        write!(f, "{kind}: {}", self.message)?;
        if self.maybe_sent && self.kind != TransportErrorKind::ResponseTooLarge {
            f.write_str(" (the request may have reached the service)")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// The future a [`Transport`] returns.
pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends requests. Implement it to replay recorded answers or to route requests elsewhere.
pub trait Transport: fmt::Debug + Send + Sync {
    /// Sends `request` and returns the whole response.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

/// The default transport: a pooled `reqwest` client.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_response_bytes: usize,
    upload_progress: Option<UploadProgress>,
    /// The first URL sent to, parsed: a client sends every request to the same one.
    parsed_url: OnceLock<(String, reqwest::Url)>,
}

/// A callback told how much of a request body has been sent.
#[derive(Clone)]
struct UploadProgress(Arc<dyn Fn(u64, u64) + Send + Sync>);

impl fmt::Debug for UploadProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UploadProgress")
    }
}

/// Settings of [`ReqwestTransport`].
#[derive(Debug, Clone, Copy)]
pub struct TransportSettings {
    /// Limit on establishing a connection.
    pub connect_timeout: Duration,
    /// Limit on a whole request, from sending to the last byte of the response.
    pub timeout: Duration,
    /// Responses with a larger body fail with [`TransportErrorKind::ResponseTooLarge`].
    pub max_response_bytes: usize,
}

/// How long a pooled connection may rest before the transport closes it.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

impl ReqwestTransport {
    /// A transport with its own connection pool.
    pub fn new(settings: TransportSettings) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(super::USER_AGENT)
            // Close pooled connections before servers commonly do (scf-local after 30 s, many
            // load balancers after 60 s): a request sent on a connection the server is closing at
            // that moment fails, and one that may have been sent is not retried.
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            // The API never redirects; a redirect would change the signed host.
            .redirect(reqwest::redirect::Policy::none());
        let builder = tls::configure(builder)?;
        let client = builder.build().map_err(|e| {
            TransportError::new(TransportErrorKind::Tls, false, format!("cannot set up the HTTP client: {e}"))
        })?;
        Ok(Self {
            client,
            max_response_bytes: settings.max_response_bytes,
            upload_progress: None,
            parsed_url: OnceLock::new(),
        })
    }

    /// Reports how far the body of each request has been sent: `progress(sent, total)`, in bytes,
    /// called each time a chunk (at most 64 KB) is handed to the connection, up to `total`. For a
    /// progress bar while a code package uploads; a retried request reports from the start again.
    pub fn with_upload_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.upload_progress = Some(UploadProgress(Arc::new(progress)));
        self
    }

    async fn send_inner(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Get => reqwest::Method::GET,
        };
        let mut http_request = reqwest::Request::new(method, self.url(&request.url)?);
        let headers = http_request.headers_mut();
        headers.reserve(request.headers.len());
        for (name, value) in request.headers {
            // reqwest derives `Host` from the URL, exactly as signed.
            if !name.eq_ignore_ascii_case("host") {
                let (name, value) = header(name, value)?;
                headers.append(name, value);
            }
        }
        let body = match &self.upload_progress {
            Some(progress) if !request.body.is_empty() => {
                reqwest::Body::wrap(ProgressBody { data: request.body, sent: 0, progress: progress.0.clone() })
            }
            _ => reqwest::Body::from(request.body),
        };
        *http_request.body_mut() = Some(body);
        let mut response = self.client.execute(http_request).await.map_err(classify)?;
        let status = response.status().as_u16();
        let limit = self.max_response_bytes;
        let too_large = |size: String| {
            TransportError::new(
                TransportErrorKind::ResponseTooLarge,
                true,
                format!("the body is {size} bytes; the limit is {limit} bytes (HTTP {status})"),
            )
        };
        if let Some(length) = response.content_length()
            && length > limit as u64
        {
            return Err(too_large(length.to_string()));
        }
        // A body that comes in one piece (most answers) is kept as it came, without a copy.
        let mut first = Bytes::new();
        let mut rest = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if first.len() + rest.len() + chunk.len() > limit {
                return Err(too_large(format!("more than {limit}")));
            }
            if first.is_empty() && rest.is_empty() {
                first = chunk;
            } else {
                if rest.is_empty() {
                    rest.reserve(response.content_length().map_or(2 * first.len(), |l| l as usize));
                    rest.extend_from_slice(&first);
                }
                rest.extend_from_slice(&chunk);
            }
        }
        let body = if rest.is_empty() { first } else { rest.into() };
        Ok(HttpResponse { status, body })
    }

    /// `text` parsed, from the cache when it is the URL this transport sent to first.
    fn url(&self, text: &str) -> Result<reqwest::Url, TransportError> {
        if let Some((cached, url)) = self.parsed_url.get()
            && cached == text
        {
            return Ok(url.clone());
        }
        let url = reqwest::Url::parse(text)
            .map_err(|e| TransportError::new(TransportErrorKind::Io, true, format!("builder error: {e}")))?;
        let _ = self.parsed_url.set((text.to_owned(), url.clone()));
        Ok(url)
    }
}

/// A header for reqwest: the API's own names without parsing them, values without copying them.
fn header(
    name: &'static str,
    value: Cow<'static, str>,
) -> Result<(reqwest::header::HeaderName, reqwest::header::HeaderValue), TransportError> {
    use reqwest::header::{HeaderName, HeaderValue};
    // The names made at compile time (`from_static` is a `const fn`; at run time it would parse
    // each name again on every request), found by the spelling the signer gives them.
    macro_rules! known {
        ($($name:literal),* $(,)?) => { [$(($name, HeaderName::from_static($name))),*] };
    }
    static KNOWN: [(&str, HeaderName); 10] = known!(
        "content-type",
        "authorization",
        "x-tc-action",
        "x-tc-version",
        "x-tc-timestamp",
        "x-tc-region",
        "x-tc-requestclient",
        "x-tc-token",
        "x-tc-language",
        "x-tc-content-sha256",
    );
    let invalid = |what: &dyn fmt::Display| {
        TransportError::new(TransportErrorKind::Io, true, format!("builder error: the header `{name}`: {what}"))
    };
    let name = match KNOWN.iter().find(|(spelling, _)| spelling.eq_ignore_ascii_case(name)) {
        Some((_, known)) => known.clone(),
        None => HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(&e))?,
    };
    let value = match value {
        Cow::Borrowed(text) => HeaderValue::from_maybe_shared(Bytes::from_static(text.as_bytes())),
        Cow::Owned(text) => HeaderValue::from_maybe_shared(Bytes::from(text)),
    }
    .map_err(|e| invalid(&e))?;
    Ok((name, value))
}

impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.send_inner(request))
    }
}

/// A request body handed over in chunks, reporting each one: the length is known in advance, so it
/// still goes with a `Content-Length`.
struct ProgressBody {
    data: Bytes,
    sent: usize,
    progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
}

impl ProgressBody {
    const CHUNK: usize = 64 * 1024;
}

impl http_body::Body for ProgressBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let total = self.data.len();
        if self.sent >= total {
            return std::task::Poll::Ready(None);
        }
        let end = (self.sent + Self::CHUNK).min(total);
        let chunk = self.data.slice(self.sent..end);
        self.sent = end;
        (self.progress)(end as u64, total as u64);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.data.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact((self.data.len() - self.sent) as u64)
    }
}

fn classify(mut error: reqwest::Error) -> TransportError {
    // reqwest names the URL; for GET its query holds the request's members, sensitive ones among
    // them, and an error message is no place for those.
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    // Walk the source chain for the most specific message (reqwest's own is often just
    // "error sending request").
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    let tls = message.contains("certificate") || message.contains("tls") || message.contains("TLS");
    if error.is_connect() {
        let kind = if error.is_timeout() {
            TransportErrorKind::Timeout
        } else if tls {
            TransportErrorKind::Tls
        } else {
            TransportErrorKind::Connect
        };
        TransportError::new(kind, false, message)
    } else if error.is_timeout() {
        TransportError::new(TransportErrorKind::Timeout, true, message)
    } else {
        TransportError::new(TransportErrorKind::Io, true, message)
    }
}

#[cfg(feature = "rustls")]
mod tls {
    use std::sync::Arc;

    use super::{TransportError, TransportErrorKind};

    /// rustls with the `ring` provider and the operating system's certificate store. The
    /// configuration is built here rather than installed process-wide, so it never conflicts with
    /// another crypto provider the application chose.
    pub(super) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
        let fail = |e: &dyn std::fmt::Display| {
            TransportError::new(TransportErrorKind::Tls, false, format!("cannot set up TLS: {e}"))
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| fail(&e))?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(&e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(builder.tls_backend_preconfigured(config))
    }
}

#[cfg(not(feature = "rustls"))]
mod tls {
    use super::TransportError;

    /// The platform TLS library (feature `native-tls`), or plain HTTP only when no TLS feature is on.
    pub(super) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TransportError> {
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use http_body::Body as _;

    use super::*;

    #[test]
    fn progress_bodies_go_in_chunks_and_report_each_one() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let report = seen.clone();
        let total = 150 * 1024;
        let mut body = ProgressBody {
            data: Bytes::from(vec![7u8; total]),
            sent: 0,
            progress: Arc::new(move |sent, total| report.lock().unwrap().push((sent, total))),
        };
        assert_eq!(body.size_hint().exact(), Some(total as u64), "sent with a Content-Length");
        let mut context = Context::from_waker(Waker::noop());
        let mut chunks = Vec::new();
        while let Poll::Ready(Some(frame)) = Pin::new(&mut body).poll_frame(&mut context) {
            chunks.push(frame.unwrap().into_data().unwrap().len());
        }
        assert!(body.is_end_stream());
        assert_eq!(chunks, [65536, 65536, 22528]);
        let total = total as u64;
        assert_eq!(*seen.lock().unwrap(), [(65536, total), (131072, total), (total, total)]);
    }
}
