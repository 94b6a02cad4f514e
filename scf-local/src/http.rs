//! The HTTP server under every listener of the emulator — the API and each instance's runtime API —
//! with the limits that let it run unattended (`SECURITY.md`):
//!
//! - **Who may talk to it.** A request is answered only when its `Host` names this server (a
//!   loopback name, the listening address, or a name allowed with `--allow-host`) and it carries
//!   no `Origin` header, unless that origin is allowed with `--allow-origin` (then it gets CORS
//!   headers). A web page whose host name was rebound to 127.0.0.1 sends its own name and its
//!   origin, so it is refused before anything runs.
//! - **Slow and idle clients.** hyper's header-read timeout runs whenever a connection waits for
//!   a request head — the first one or the next on a kept-alive connection — so a socket that sends
//!   nothing, or trickles a header, is closed after it. Bodies are read under their own timeout
//!   ([`read_body`]).
//! - **How many.** At most `max_connections` at once. When a new one arrives at the cap, the
//!   connection idle the longest (no request in progress) is closed to make room, so sockets
//!   held open by someone else cannot lock real clients out; with every connection busy, new ones
//!   wait.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// How a listener serves.
#[derive(Debug, Clone)]
pub(crate) struct ServerOptions {
    /// Connections open at once.
    pub max_connections: usize,
    /// How long a connection may take to send a request head (or stay idle between requests).
    pub header_read_timeout: Duration,
    pub access: Arc<Access>,
}

/// A running server: stop it gracefully with [`Server::shutdown`], or drop it to stop at once.
#[derive(Debug)]
pub(crate) struct Server {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on `listener` until stopped.
    pub fn spawn(listener: TcpListener, router: Router, options: ServerOptions) -> Server {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, options, stopped));
        Server { stop, task: Some(task) }
    }

    /// Stops accepting, lets requests in progress finish (up to `grace`), then closes everything.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(grace, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // The connections are in the task's `JoinSet`: they go with it.
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    options: ServerOptions,
    mut stopped: watch::Receiver<bool>,
) {
    let registry = Arc::new(Registry::default());
    let mut connections = JoinSet::new();
    let mut next_id: u64 = 0;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
            // Reap finished connection tasks as they end, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, most likely: wait for connections to close rather than spin.
                tracing::warn!("cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if !registry.make_room(options.max_connections, &mut stopped).await {
            break;
        }
        next_id += 1;
        let state = registry.add(next_id);
        let service = Service {
            router: router.clone(),
            access: options.access.clone(),
            state: state.clone(),
            registry: registry.clone(),
            peer,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout).keep_alive(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let (registry, mut stopped) = (registry.clone(), stopped.clone());
        let id = next_id;
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                // Closed to make room: dropping the connection closes the socket.
                _ = state.evict.notified() => {}
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            registry.remove(id);
        });
    }
    // Graceful: connections finish what they are doing (each saw the stop signal).
    while connections.join_next().await.is_some() {}
}

/// The open connections, to count them and pick one to close at the cap.
#[derive(Debug)]
struct Registry {
    live: Mutex<HashMap<u64, Arc<ConnectionState>>>,
    /// A connection closed or became idle.
    changed: Notify,
    epoch: Instant,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { live: Mutex::new(HashMap::new()), changed: Notify::new(), epoch: Instant::now() }
    }
}

#[derive(Debug)]
struct ConnectionState {
    /// Requests in progress (from the head read to the end of the response body).
    busy: AtomicUsize,
    /// When it last became idle, in milliseconds since the registry's epoch.
    idle_since: AtomicU64,
    evict: Notify,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnectionState>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn add(&self, id: u64) -> Arc<ConnectionState> {
        let state = Arc::new(ConnectionState {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now()),
            evict: Notify::new(),
        });
        self.lock().insert(id, state.clone());
        state
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
        self.changed.notify_one();
    }

    /// Waits until there is room for one more connection, closing the longest-idle one at the cap.
    /// `false` if the server is stopping.
    async fn make_room(&self, max: usize, stopped: &mut watch::Receiver<bool>) -> bool {
        loop {
            {
                let mut live = self.lock();
                if live.len() < max {
                    return true;
                }
                let victim = live
                    .iter()
                    .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                    .min_by_key(|(_, c)| c.idle_since.load(Ordering::Acquire))
                    .map(|(id, _)| *id);
                if let Some(id) = victim.and_then(|id| live.remove(&id)) {
                    id.evict.notify_one();
                    tracing::debug!(max, "closed the longest-idle connection to make room");
                    return true;
                }
            }
            tokio::select! {
                _ = self.changed.notified() => {}
                _ = stopped.changed() => return false,
            }
        }
    }
}

/// Counts a request as in progress until dropped (with the response body, or with the request's
/// future if the client goes away first).
#[derive(Debug)]
struct Busy {
    state: Arc<ConnectionState>,
    registry: Arc<Registry>,
}

impl Busy {
    fn new(state: Arc<ConnectionState>, registry: Arc<Registry>) -> Busy {
        state.busy.fetch_add(1, Ordering::AcqRel);
        Busy { state, registry }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.state.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.state.idle_since.store(self.registry.now(), Ordering::Release);
            self.registry.changed.notify_one();
        }
    }
}

/// A response body that keeps its request counted as in progress until it is sent.
struct CountedBody {
    inner: Body,
    _busy: Busy,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[derive(Clone)]
struct Service {
    router: Router,
    access: Arc<Access>,
    state: Arc<ConnectionState>,
    registry: Arc<Registry>,
    /// The client's address, for handlers that report it (`axum::extract::ConnectInfo`).
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response<CountedBody>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let busy = Busy::new(self.state.clone(), self.registry.clone());
        let mut router = self.router.clone();
        let access = self.access.clone();
        let mut request = request;
        request.extensions_mut().insert(axum::extract::ConnectInfo(self.peer));
        Box::pin(async move {
            let response = match access.check(request.method(), request.headers()) {
                Verdict::Refuse(why) => refusal(&why),
                Verdict::Preflight(origin) => preflight(&origin, request.headers()),
                Verdict::Allow(origin) => {
                    let result = tower_service::Service::call(&mut router, request.map(Body::new)).await;
                    let mut response = result.unwrap_or_else(|never| match never {});
                    if let Some(origin) = origin {
                        allow_origin(response.headers_mut(), &origin);
                    }
                    response
                }
            };
            Ok(response.map(|inner| CountedBody { inner, _busy: busy }))
        })
    }
}

fn refusal(why: &str) -> Response<Body> {
    tracing::warn!("refused a request: {why}");
    let mut response = Response::new(Body::from(format!("scf-local refused the request: {why}\n")));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The answer to a CORS preflight from an allowed origin.
fn preflight(origin: &str, headers: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let out = response.headers_mut();
    allow_origin(out, origin);
    out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Which hosts and origins a listener answers.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    port: u16,
    /// Host names (lower case, IPv6 without brackets), any with the listening port or none.
    names: Vec<String>,
    /// `name:port` given explicitly.
    hosts_with_port: Vec<String>,
    /// Allowed origins (lower case); `*` allows any.
    origins: Vec<String>,
}

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Serve it; with the origin to allow in the answer, if it came from an allowed one.
    Allow(Option<String>),
    /// A CORS preflight from an allowed origin.
    Preflight(String),
    Refuse(String),
}

impl Access {
    /// Answers requests for `listen` and loopback names, plus `hosts` (`name` or `name:port`),
    /// from `origins`.
    pub fn new(listen: SocketAddr, hosts: &[String], origins: &[String]) -> Access {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        if !listen.ip().is_unspecified() {
            names.push(listen.ip().to_string());
        }
        let mut hosts_with_port = Vec::new();
        for host in hosts {
            let host = host.trim().to_ascii_lowercase();
            match split_host(&host) {
                Some((_, Some(_))) => hosts_with_port.push(host.clone()),
                Some((name, None)) => names.push(name.to_owned()),
                None => {}
            }
        }
        let origins = origins.iter().map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase()).collect();
        Access { port: listen.port(), names, hosts_with_port, origins }
    }

    /// Loopback names only, on `port` (the runtime APIs).
    pub fn loopback(port: u16) -> Access {
        Access::new(SocketAddr::from(([127, 0, 0, 1], port)), &[], &[])
    }

    fn check(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return Verdict::Refuse("the request has no `Host` header".into());
        };
        if !self.allows_host(host) {
            return Verdict::Refuse(format!(
                "the `Host` header `{}` does not name this server (start it with `--allow-host NAME` to accept another name)",
                crate::util::head(host, 200)
            ));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            // Browsers leave `Origin` out of some requests a page starts (a link, an image, a
            // script), but mark them as coming from another site.
            let site = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok()).unwrap_or("none");
            if matches!(site, "cross-site" | "same-site") && !self.origins.iter().any(|allowed| allowed == "*") {
                return Verdict::Refuse(format!(
                    "requests from web pages are refused (this one is `Sec-Fetch-Site: {site}`; start with `--allow-origin '*'` to allow them)"
                ));
            }
            return Verdict::Allow(None);
        };
        let origin = origin.to_str().unwrap_or_default().trim().trim_end_matches('/').to_ascii_lowercase();
        if !self.origins.iter().any(|allowed| allowed == "*" || *allowed == origin) {
            return Verdict::Refuse(format!(
                "requests from web pages are refused: the origin `{}` is not allowed (start it with `--allow-origin ORIGIN` to allow one)",
                crate::util::head(&origin, 200)
            ));
        }
        if method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            Verdict::Preflight(origin)
        } else {
            Verdict::Allow(Some(origin))
        }
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        // tccli's `--endpoint http://…` sends the scheme in `Host` (the signature check decides on
        // that quirk; here only the name matters).
        let host = host.strip_prefix("http://").or_else(|| host.strip_prefix("https://")).unwrap_or(&host);
        let Some((name, port)) = split_host(host) else { return false };
        if port.is_some() && self.hosts_with_port.iter().any(|h| h == host) {
            return true;
        }
        let port_matches = match port {
            None => true,
            Some(_) => port_of(host) == Some(self.port),
        };
        port_matches && self.names.iter().any(|allowed| allowed == name)
    }
}

/// `name[:port]` or `[v6][:port]` → the name (IPv6 without brackets) and the port text, if any.
fn split_host(host: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        return match after {
            "" => Some((name, None)),
            _ => Some((name, Some(after.strip_prefix(':')?))),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => Some((name, Some(port))),
        Some(_) => None, // A bare IPv6 address must be bracketed.
        None => Some((host, None)),
    }
    .filter(|(name, _)| !name.is_empty())
}

fn port_of(host: &str) -> Option<u16> {
    split_host(host)?.1?.parse().ok()
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the limit (by its `Content-Length`, before reading, or while reading).
    TooLarge,
    /// Not received within the body-read timeout.
    Timeout,
    /// The connection failed while reading.
    Failed,
}

/// Reads a request body of at most `limit` bytes within `timeout`. A declared length over the
/// limit is refused before a byte is read.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) => {
            let too_large =
                std::error::Error::source(&error).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            Err(if too_large { BodyError::TooLarge } else { BodyError::Failed })
        }
    }
}

/// The body's length from its `Content-Length` header.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Reads and drops a body of at most `max` bytes within `timeout`, so the connection stays usable
/// for the client's next request; `false` if it is longer or slower (then the connection closes).
pub(crate) async fn discard_body(body: Body, max: u64, timeout: Duration) -> bool {
    use http_body_util::BodyExt as _;
    let mut body = body;
    let mut seen: u64 = 0;
    let drained = tokio::time::timeout(timeout, async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > max {
                return false;
            }
        }
        true
    });
    drained.await.unwrap_or(false)
}

/// The descriptor limit the emulator was started with, if [`raise_descriptor_limit`] changed it.
static ORIGINAL_DESCRIPTOR_LIMIT: std::sync::OnceLock<rustix::process::Rlimit> = std::sync::OnceLock::new();

/// Lets the emulator hold as many descriptors as the system allows it (connections, pipes of
/// function processes): the common soft limit of 1,024 is easily reached.
pub(crate) fn raise_descriptor_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum
        && limit.current.is_some_and(|soft| soft < hard)
    {
        let raised = rustix::process::Rlimit { current: Some(hard), maximum: Some(hard) };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                let _ = ORIGINAL_DESCRIPTOR_LIMIT.set(limit);
            }
            Err(error) => tracing::debug!("cannot raise the descriptor limit: {error}"),
        }
    }
}

/// The limit function processes get back (they are not the emulator: a program that walks every
/// possible descriptor, as some do before `exec`, would walk the raised limit's million).
pub(crate) fn original_descriptor_limit() -> Option<rustix::process::Rlimit> {
    ORIGINAL_DESCRIPTOR_LIMIT.get().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn verdict(access: &Access, pairs: &[(&'static str, &str)]) -> Verdict {
        access.check(&Method::POST, &headers(pairs))
    }

    #[test]
    fn only_this_servers_names_are_answered() {
        let access = Access::new("127.0.0.1:9100".parse().unwrap(), &["dev.box".into(), "ci:8080".into()], &[]);
        for host in [
            "127.0.0.1:9100",
            "localhost:9100",
            "LOCALHOST:9100",
            "[::1]:9100",
            "localhost",
            "http://127.0.0.1:9100",
            "dev.box:9100",
            "ci:8080",
        ] {
            assert_eq!(verdict(&access, &[("host", host)]), Verdict::Allow(None), "{host}");
        }
        for host in
            ["evil.example:9100", "evil.example", "127.0.0.1:9101", "localhost:80", "ci:9100", "::1", "", "[::1"]
        {
            assert!(matches!(verdict(&access, &[("host", host)]), Verdict::Refuse(_)), "{host}");
        }
        assert!(matches!(verdict(&access, &[]), Verdict::Refuse(_)), "no Host");
        let any = Access::new("0.0.0.0:9100".parse().unwrap(), &[], &[]);
        assert!(matches!(verdict(&any, &[("host", "0.0.0.0:9100")]), Verdict::Refuse(_)));
        let lan = Access::new("192.168.1.5:9100".parse().unwrap(), &[], &[]);
        assert_eq!(verdict(&lan, &[("host", "192.168.1.5:9100")]), Verdict::Allow(None));
    }

    #[test]
    fn origins_are_refused_unless_allowed() {
        let closed = Access::loopback(9100);
        let Verdict::Refuse(why) = verdict(&closed, &[("host", "127.0.0.1:9100"), ("origin", "http://evil.example")])
        else {
            panic!("an origin must be refused by default")
        };
        assert!(why.contains("--allow-origin"), "{why}");
        let open = Access::new("127.0.0.1:9100".parse().unwrap(), &[], &["http://localhost:3000/".into()]);
        assert_eq!(
            verdict(&open, &[("host", "127.0.0.1:9100"), ("origin", "http://localhost:3000")]),
            Verdict::Allow(Some("http://localhost:3000".into()))
        );
        assert!(matches!(verdict(&open, &[("host", "127.0.0.1:9100"), ("origin", "null")]), Verdict::Refuse(_)));
        // Without `Origin`, a browser's own mark of a request another site started.
        for site in ["cross-site", "same-site"] {
            let marked = [("host", "127.0.0.1:9100"), ("sec-fetch-site", site)];
            assert!(matches!(verdict(&closed, &marked), Verdict::Refuse(_)), "{site}");
            let any = Access::new("127.0.0.1:9100".parse().unwrap(), &[], &["*".into()]);
            assert_eq!(verdict(&any, &marked), Verdict::Allow(None), "{site} with `*`");
        }
        for site in ["none", "same-origin"] {
            assert_eq!(
                verdict(&closed, &[("host", "127.0.0.1:9100"), ("sec-fetch-site", site)]),
                Verdict::Allow(None),
                "{site}: typed into the address bar, or the emulator's own page"
            );
        }
        let preflight = open.check(
            &Method::OPTIONS,
            &headers(&[
                ("host", "127.0.0.1:9100"),
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "POST"),
            ]),
        );
        assert_eq!(preflight, Verdict::Preflight("http://localhost:3000".into()));
    }
}
