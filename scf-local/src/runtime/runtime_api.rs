//! The SCF custom-runtime API one instance's process talks to: the single contract between the
//! emulator and function code, whatever the language.
//!
//! - `POST /runtime/init/ready`: initialisation is done;
//! - `GET /runtime/invocation/next`: long-polls for the next event (body), with the headers
//!   `request_id`, `memory_limit_in_mb` and `time_limit_in_ms`; asked again before answering, it
//!   returns the same event;
//! - `POST /runtime/invocation/response`: the result (body);
//! - `POST /runtime/invocation/error`: the error (body).
//!
//! Each instance gets its own listener on 127.0.0.1, so requests need no instance id. It answers
//! loopback names only, no web page (see `crate::http`), and caps bodies before reading them.

use std::sync::{Arc, Mutex};

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::http::{Access, BodyError, Server, ServerOptions, declared_length, discard_body, read_body};

/// The largest result a function may return; the service's limit for a synchronous invocation.
pub(crate) const MAX_RESULT_BYTES: usize = 6 * 1024 * 1024;
/// The largest error report: a result-sized message plus its JSON framing (type, stack trace).
const MAX_ERROR_BYTES: usize = MAX_RESULT_BYTES + 64 * 1024;
/// The body of `/runtime/init/ready` carries nothing the emulator reads.
const MAX_READY_BYTES: usize = 64 * 1024;
/// The most of a too-large result that is read (and dropped) to keep the connection open.
const MAX_DISCARDED_BYTES: u64 = 64 * 1024 * 1024;
/// Connections one instance's API accepts at once (a runtime needs one or two).
const MAX_CONNECTIONS: usize = 8;
/// How long a body may take to arrive.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What the function answered.
#[derive(Debug)]
pub(crate) enum Completion {
    Response(Bytes),
    Error(Bytes),
    /// A result over [`MAX_RESULT_BYTES`], or an error over its own cap (not kept).
    TooLarge,
}

/// An event handed to the process.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub request_id: String,
    pub event: Bytes,
    pub memory_limit_mb: u64,
    pub time_limit_ms: u64,
    pub done: oneshot::Sender<Completion>,
}

/// The event being processed: kept to deliver it again if asked, with the way to complete it.
struct Current {
    request_id: String,
    event: Bytes,
    memory_limit_mb: u64,
    time_limit_ms: u64,
    done: Option<oneshot::Sender<Completion>>,
}

struct Shared {
    deliveries: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
    current: Mutex<Option<Current>>,
    ready: Mutex<Option<oneshot::Sender<()>>>,
}

/// A running runtime API: its port, where to send events, and when the process said it is ready.
/// Dropping it closes the listener and its connections.
pub(crate) struct RuntimeApi {
    pub port: u16,
    pub deliveries: mpsc::Sender<Delivery>,
    pub ready: Option<oneshot::Receiver<()>>,
    _server: Server,
}

impl RuntimeApi {
    /// Starts a runtime API on a free port of 127.0.0.1. A connection may stay idle between
    /// requests for `idle_timeout` (the function's timeout and then some: the runtime's connection
    /// rests while the handler runs).
    pub async fn start(idle_timeout: Duration) -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (deliveries, receiver) = mpsc::channel(1);
        let (ready_tx, ready_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            deliveries: tokio::sync::Mutex::new(receiver),
            current: Mutex::new(None),
            ready: Mutex::new(Some(ready_tx)),
        });
        let router = Router::new()
            .route("/runtime/init/ready", post(ready))
            .route("/runtime/invocation/next", get(next))
            .route("/runtime/invocation/response", post(respond))
            .route("/runtime/invocation/error", post(fail))
            .with_state(shared);
        let options = ServerOptions {
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: idle_timeout,
            access: Arc::new(Access::loopback(port)),
        };
        Ok(RuntimeApi { port, deliveries, ready: Some(ready_rx), _server: Server::spawn(listener, router, options) })
    }
}

// Handlers read the body even when they ignore it: an unread body makes the server close the
// connection, and the runtime would have to reconnect for every request.
async fn ready(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> StatusCode {
    if read_body(&headers, body, MAX_READY_BYTES, BODY_READ_TIMEOUT).await.is_err() {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    if let Some(ready) = lock(&shared.ready).take() {
        let _ = ready.send(());
    }
    StatusCode::ACCEPTED
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    // Asked again before answering: the same event.
    if let Some(current) = lock(&shared.current).as_ref()
        && current.done.is_some()
    {
        return event_response(&current.request_id, &current.event, current.memory_limit_mb, current.time_limit_ms);
    }
    let delivery = shared.deliveries.lock().await.recv().await;
    let Some(delivery) = delivery else {
        // The instance is going away.
        return StatusCode::GONE.into_response();
    };
    let response =
        event_response(&delivery.request_id, &delivery.event, delivery.memory_limit_mb, delivery.time_limit_ms);
    *lock(&shared.current) = Some(Current {
        request_id: delivery.request_id,
        event: delivery.event,
        memory_limit_mb: delivery.memory_limit_mb,
        time_limit_ms: delivery.time_limit_ms,
        done: Some(delivery.done),
    });
    response
}

fn event_response(request_id: &str, event: &Bytes, memory_mb: u64, time_ms: u64) -> Response {
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put("request_id", request_id.to_owned());
    put("memory_limit_in_mb", memory_mb.to_string());
    put("time_limit_in_ms", time_ms.to_string());
    (StatusCode::OK, headers, event.clone()).into_response()
}

async fn respond(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> StatusCode {
    finish(&shared, &headers, body, MAX_RESULT_BYTES, Completion::Response).await
}

async fn fail(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> StatusCode {
    finish(&shared, &headers, body, MAX_ERROR_BYTES, Completion::Error).await
}

/// Completes the invocation with the body, read up to `limit`. A body declared larger completes it
/// as too large before a byte is buffered; its bytes are then read and dropped (up to a bound), so
/// the runtime's connection stays usable. One that turns out larger while reading does the same,
/// and the connection closes. A body that does not arrive leaves the invocation to its timeout.
async fn finish(
    shared: &Shared,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    completion: fn(Bytes) -> Completion,
) -> StatusCode {
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        complete(shared, Completion::TooLarge);
        discard_body(body, MAX_DISCARDED_BYTES, BODY_READ_TIMEOUT).await;
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    match read_body(headers, body, limit, BODY_READ_TIMEOUT).await {
        Ok(bytes) => complete(shared, completion(bytes)),
        Err(BodyError::TooLarge) => {
            complete(shared, Completion::TooLarge);
            StatusCode::PAYLOAD_TOO_LARGE
        }
        Err(BodyError::Timeout) => StatusCode::REQUEST_TIMEOUT,
        Err(BodyError::Failed) => StatusCode::BAD_REQUEST,
    }
}

fn complete(shared: &Shared, completion: Completion) -> StatusCode {
    let done = lock(&shared.current).as_mut().and_then(|current| current.done.take());
    match done {
        Some(done) => {
            let _ = done.send(completion);
            StatusCode::ACCEPTED
        }
        // An answer with no event in progress.
        None => StatusCode::CONFLICT,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    async fn exchange(port: u16, request: String) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    }

    #[tokio::test]
    async fn bodies_over_their_cap_are_refused_before_they_are_read() {
        let mut api = RuntimeApi::start(Duration::from_secs(10)).await.unwrap();
        let port = api.port;
        // A declared gigabyte, none of it sent: refused at once, not waited for.
        let started = Instant::now();
        let answer = exchange(
            port,
            format!(
                "POST /runtime/init/ready HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 1000000000\r\n\r\n"
            ),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let mut ready = api.ready.take().unwrap();
        assert!(ready.try_recv().is_err(), "not ready from a refused request");
        // An event in progress, then a result declared over 6 MB: the invocation ends as too large.
        let (done, completion) = oneshot::channel();
        let delivery = Delivery {
            request_id: "r".into(),
            event: Bytes::from_static(b"{}"),
            memory_limit_mb: 128,
            time_limit_ms: 3000,
            done,
        };
        api.deliveries.send(delivery).await.unwrap();
        let next =
            exchange(port, format!("GET /runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")).await;
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
        let too_large = exchange(
            port,
            format!(
                "POST /runtime/invocation/response HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\r\n",
                MAX_RESULT_BYTES + 1
            ),
        );
        // The server drains what it refused: the exchange ends when the client stops sending.
        let _ = tokio::time::timeout(Duration::from_millis(500), too_large).await;
        assert!(matches!(completion.await, Ok(Completion::TooLarge)));
    }

    #[tokio::test]
    async fn only_loopback_names_and_no_web_page_may_call_it() {
        let api = RuntimeApi::start(Duration::from_secs(10)).await.unwrap();
        let port = api.port;
        let ready = |host: &str, extra: &str| {
            format!("POST /runtime/init/ready HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: 0\r\n\r\n")
        };
        let answer = exchange(port, ready(&format!("evil.example:{port}"), "")).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        let answer = exchange(port, ready(&format!("127.0.0.1:{port}"), "Origin: http://evil.example\r\n")).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        let answer = exchange(port, ready("localhost", "")).await;
        assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    }
}
