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
//! Each instance gets its own listener on 127.0.0.1, so requests need no instance id.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// The largest result (or error) a function may return; the service's limit for a synchronous
/// invocation.
pub(crate) const MAX_RESULT_BYTES: usize = 6 * 1024 * 1024;

/// What the function answered.
#[derive(Debug)]
pub(crate) enum Completion {
    Response(Bytes),
    Error(Bytes),
    /// A result or error over [`MAX_RESULT_BYTES`] (not kept).
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
pub(crate) struct RuntimeApi {
    pub port: u16,
    pub deliveries: mpsc::Sender<Delivery>,
    pub ready: Option<oneshot::Receiver<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Starts a runtime API on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<RuntimeApi> {
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
            // Results are limited where they are read (`read_result`), to answer 407 rather than 413.
            .layer(DefaultBodyLimit::disable())
            .with_state(shared);
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(RuntimeApi { port, deliveries, ready: Some(ready_rx), server })
    }
}

// Handlers take the body even when they ignore it: an unread body makes the server close the
// connection, and the runtime would have to reconnect for every request.
async fn ready(State(shared): State<Arc<Shared>>, _body: Bytes) -> StatusCode {
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

async fn respond(State(shared): State<Arc<Shared>>, body: Body) -> StatusCode {
    let completion = match read_result(body).await {
        Some(bytes) => Completion::Response(bytes),
        None => Completion::TooLarge,
    };
    complete(&shared, completion)
}

async fn fail(State(shared): State<Arc<Shared>>, body: Body) -> StatusCode {
    let completion = match read_result(body).await {
        Some(bytes) => Completion::Error(bytes),
        None => Completion::TooLarge,
    };
    complete(&shared, completion)
}

/// A result body, or `None` if it is over the limit (the rest is not read: the connection
/// closes, and the runtime reconnects for its next request).
async fn read_result(body: Body) -> Option<Bytes> {
    axum::body::to_bytes(body, MAX_RESULT_BYTES).await.ok()
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
