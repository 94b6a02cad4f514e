//! Web functions (`Type` `HTTP`): the package's executable `scf_bootstrap` starts a web server and
//! HTTP requests are proxied to it.
//!
//! One instance per function version serves every request: a web server handles concurrency
//! itself, and several servers of one version could not all have the documented port. The
//! instance is told its port in `PORT` (9000, the documented one, when it is free on this machine;
//! another otherwise) and is ready once that port accepts connections. It is started with the
//! event functions' process start ([`super::instance::command`]: process group, subreaper, scratch
//! `HOME`, the function's environment), watched for memory and exit, and its output is kept so each
//! request's log can show what was printed meanwhile. It counts towards the emulator's instance cap,
//! is stopped when idle as long as event instances are, and retired with its function's pools.

use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, Request, Response, header};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt as _;
use tokio::sync::watch;

use super::Groups;
use super::instance::{self, Captured, InstanceSpec, MemoryProbe, Spawned, StartError};
use super::pool::NoInstance;

/// The executable a web function's package starts its server with.
pub(crate) const BOOTSTRAP: &str = "scf_bootstrap";
/// The port the platform documents for a web function's server (`0.0.0.0:9000`).
pub(crate) const DOCUMENTED_PORT: u16 = 9000;
/// The largest response body the platform passes on (6 MB).
pub(crate) const MAX_RESPONSE_BODY: usize = 6 * 1024 * 1024;
/// The most the response's headers (names and values together) may hold: the platform's 4 KB.
pub(crate) const MAX_RESPONSE_HEADERS: usize = 4 * 1024;

/// The program that starts a web function from `code_dir`, or why it cannot start.
pub(crate) fn bootstrap(code_dir: &Path) -> Result<(PathBuf, Vec<String>), String> {
    let program = code_dir.join(BOOTSTRAP);
    if !program.is_file() {
        return Err(format!(
            "a web function needs an executable `{BOOTSTRAP}` at the top of its code package, starting a server on the port in `PORT` (9000 on SCF)"
        ));
    }
    Ok((program, Vec::new()))
}

/// Hop-by-hop headers: they describe one connection, so they are not forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether a header describes one connection only.
pub(crate) fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

/// The web instances, one per function version (keyed as the event pools are).
#[derive(Debug)]
pub(crate) struct WebInstances {
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    groups: Groups,
    /// Instances alive across every pool and this registry, and their limit.
    total: Arc<AtomicUsize>,
    total_limit: usize,
}

/// Ports given to live instances of any emulator in this process, so two starting at once do not
/// both take 9000.
static PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A version's instance; its lock is held while one starts, so requests arriving meanwhile wait
/// for it rather than start their own.
#[derive(Debug, Default)]
struct Entry {
    current: tokio::sync::Mutex<Option<Arc<WebInstance>>>,
    /// The last start that failed, and when: requests that waited for it share its answer instead
    /// of each trying (and waiting out an initialisation timeout) again.
    failed: Mutex<Option<(Instant, StartError)>>,
}

/// Why a request got no instance.
#[derive(Debug)]
pub(crate) enum NoWebInstance<E> {
    /// The instance could not be described (the function cannot run here).
    Spec(E),
    /// It could not start, or the instance cap is reached.
    Failed(NoInstance),
}

impl WebInstances {
    pub fn new(groups: Groups, total: Arc<AtomicUsize>, total_limit: usize) -> WebInstances {
        WebInstances { entries: Mutex::default(), groups, total, total_limit }
    }

    /// The running instance for `key`, started with `spec` if there is none (or it died).
    pub async fn instance<E>(
        &self,
        key: &str,
        spec: impl FnOnce() -> Result<InstanceSpec, E>,
    ) -> Result<Arc<WebInstance>, NoWebInstance<E>> {
        let entry = self.lock().entry(key.to_owned()).or_default().clone();
        let waiting_since = Instant::now();
        let mut current = entry.current.lock().await;
        if let Some(instance) = current.as_ref().filter(|instance| instance.is_alive()) {
            return Ok(instance.clone());
        }
        let failed_meanwhile = entry
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(at, _)| *at >= waiting_since)
            .map(|(_, why)| why.clone());
        if let Some(why) = failed_meanwhile {
            return Err(NoWebInstance::Failed(NoInstance::StartFailed(why)));
        }
        // A dead one goes first (its count and port with it).
        *current = None;
        let spec = Arc::new(spec().map_err(NoWebInstance::Spec)?);
        if self.total.fetch_add(1, Ordering::AcqRel) >= self.total_limit {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return Err(NoWebInstance::Failed(NoInstance::ConcurrencyLimit { limit: self.total_limit }));
        }
        let lease = Lease { total: self.total.clone(), port: pick_port() };
        let instance = WebInstance::start(spec, self.groups.clone(), lease).await.map_err(|why| {
            *entry.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), why.clone()));
            NoWebInstance::Failed(NoInstance::StartFailed(why))
        })?;
        let instance = Arc::new(instance);
        *current = Some(instance.clone());
        Ok(instance)
    }

    /// Forgets the instances whose key starts with `prefix`: each stops once the requests using it
    /// have finished.
    pub fn retire(&self, prefix: &str) {
        self.lock().retain(|key, _| !key.starts_with(prefix));
    }

    /// Stops instances idle for `idle_timeout` and forgets dead ones.
    pub fn reap(&self, idle_timeout: Duration) {
        self.lock().retain(|_, entry| {
            let Ok(mut current) = entry.current.try_lock() else { return true };
            if current.as_ref().is_some_and(|i| !i.is_alive() || i.idle_for().is_some_and(|idle| idle >= idle_timeout))
            {
                *current = None;
                tracing::debug!("stopped an idle web function instance");
            }
            current.is_some()
        });
    }

    /// Forgets every instance (the emulator kills their processes).
    pub fn shutdown(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 9000 when no instance has it and it is free on this machine; a free port otherwise.
fn pick_port() -> u16 {
    let mut ports = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let free = |port: u16| {
        std::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).and_then(|listener| listener.local_addr())
    };
    let port = if !ports.contains(&DOCUMENTED_PORT) && free(DOCUMENTED_PORT).is_ok() {
        DOCUMENTED_PORT
    } else {
        // Port 0 asks the system for a free one; if even that fails, the start reports it.
        free(0).map_or(DOCUMENTED_PORT, |address| address.port())
    };
    ports.insert(port);
    port
}

/// An instance's place under the cap and its port, given back when it goes.
#[derive(Debug)]
struct Lease {
    total: Arc<AtomicUsize>,
    port: u16,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.total.fetch_sub(1, Ordering::AcqRel);
        PORTS.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.port);
    }
}

/// How an instance's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It exited (or was killed: timeout, retirement).
    Exited(String),
    /// It used more memory than the function has; it was killed.
    OutOfMemory,
}

/// A running web server of a function. Dropped (by its registry and every request using it), it
/// stops its process tree.
#[derive(Debug)]
pub(crate) struct WebInstance {
    pub port: u16,
    group: i32,
    groups: Groups,
    output: Arc<Mutex<Captured>>,
    ended: watch::Receiver<Option<Ended>>,
    /// Killed by a request's timeout: no new request goes to it.
    killed: AtomicBool,
    in_flight: AtomicUsize,
    last_used: Mutex<Instant>,
    _lease: Lease,
}

impl Drop for WebInstance {
    fn drop(&mut self) {
        self.groups.stop(self.group);
    }
}

/// Why a request got no answer from the server.
#[derive(Debug)]
pub(crate) enum ForwardError {
    /// The function's timeout passed; the instance was killed.
    Timeout,
    /// The answer is over a platform limit (what was over, and by how much).
    TooLarge(String),
    /// The process ended while the request ran.
    Ended(Ended),
    /// The connection failed otherwise.
    Failed(String),
}

impl WebInstance {
    /// Starts `spec`'s program with `PORT` set and waits (up to the init timeout) until that port
    /// accepts connections.
    async fn start(spec: Arc<InstanceSpec>, groups: Groups, lease: Lease) -> Result<WebInstance, StartError> {
        let port = lease.port;
        let Spawned { starting, child, group, stdout, stderr, scratch } =
            instance::spawn(&spec, &groups, &[("PORT", port.to_string())])?;
        let output = Arc::new(Mutex::new(Captured::default()));
        let (ended_sender, ended) = watch::channel(None);
        let supervisor = Supervisor {
            child,
            stdout,
            stderr,
            output: output.clone(),
            ended: ended_sender,
            group,
            groups: groups.clone(),
            scratch,
            memory_limit: spec.memory_limit_mb * 1024 * 1024,
        };
        tokio::spawn(supervisor.run());
        let listening = wait_listening(port, group, ended.clone(), spec.init_timeout).await;
        if let Err(why) = listening {
            drop(starting);
            let printed = output.lock().unwrap_or_else(|e| e.into_inner()).since(0);
            let printed = crate::util::tail(printed.trim(), 2048).to_owned();
            let why = if printed.is_empty() { why } else { why.with_output(&printed) };
            return Err(why);
        }
        starting.disarm();
        Ok(WebInstance {
            port,
            group,
            groups,
            output,
            ended,
            killed: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last_used: Mutex::new(Instant::now()),
            _lease: lease,
        })
    }

    /// Whether new requests may go to it.
    pub fn is_alive(&self) -> bool {
        !self.killed.load(Ordering::Acquire) && self.ended.borrow().is_none()
    }

    /// How long it has had no request, if it has none now.
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.last_used.lock().unwrap_or_else(|e| e.into_inner()).elapsed())
    }

    /// Where the output it has printed so far ends (see [`WebInstance::output_since`]).
    pub fn output_mark(&self) -> u64 {
        self.output.lock().unwrap_or_else(|e| e.into_inner()).end()
    }

    /// What it printed since `mark` (every request's output, when several run at once), bounded.
    pub fn output_since(&self, mark: u64) -> String {
        self.output.lock().unwrap_or_else(|e| e.into_inner()).since(mark)
    }

    /// Sends `request` (its URI the path and query to ask the server for) and reads the answer
    /// within `timeout`; past it, the instance is killed.
    /// The exchange runs in a task of its own: a client that hangs up does not cut it short, so the
    /// request is still counted until it ends and the timeout still stops a server that hangs.
    pub async fn forward(
        self: &Arc<Self>,
        request: Request<Bytes>,
        timeout: Duration,
    ) -> Result<Response<Bytes>, ForwardError> {
        let instance = self.clone();
        let exchange = tokio::spawn(async move {
            instance.in_flight.fetch_add(1, Ordering::AcqRel);
            let answer = tokio::time::timeout(timeout, instance.exchange(request)).await;
            *instance.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            instance.in_flight.fetch_sub(1, Ordering::AcqRel);
            match answer {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(error)) => Err(instance.why_failed(error).await),
                Err(_) => {
                    // As for event functions: the whole tree goes, and the next request starts anew.
                    instance.killed.store(true, Ordering::Release);
                    instance.groups.stop(instance.group);
                    Err(ForwardError::Timeout)
                }
            }
        });
        exchange.await.unwrap_or_else(|e| Err(ForwardError::Failed(format!("the exchange stopped: {e}"))))
    }

    /// A failure, or the process's end if that is what caused it (its supervisor may take a moment
    /// to see it).
    async fn why_failed(&self, error: ForwardError) -> ForwardError {
        if !matches!(error, ForwardError::Failed(_)) {
            return error;
        }
        let mut ended = self.ended.clone();
        let seen = tokio::time::timeout(Duration::from_millis(500), ended.wait_for(Option::is_some)).await;
        match seen {
            Ok(Ok(why)) => why.clone().map_or(error, ForwardError::Ended),
            _ => error,
        }
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ForwardError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| ForwardError::Failed(format!("{what}: {e}"));
        let stream = tokio::net::TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
            .await
            .map_err(|e| failed(&format!("cannot connect to the function's server on port {}", self.port), &e))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed("the connection to the function's server failed", &e))?;
        // The connection ends with the exchange (dropping the task's handle does not stop it; the
        // sender's end does).
        let driver = tokio::spawn(connection);
        let response = sender
            .send_request(request.map(Full::new))
            .await
            .map_err(|e| failed("the function's server did not answer", &e))?;
        let (mut head, body) = response.into_parts();
        let header_bytes: usize = head.headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
        if header_bytes > MAX_RESPONSE_HEADERS {
            driver.abort();
            return Err(ForwardError::TooLarge(format!(
                "the response's headers hold {header_bytes} bytes; the platform passes at most {MAX_RESPONSE_HEADERS} (4 KB)"
            )));
        }
        let declared = crate::http::declared_length(&head.headers);
        if declared.is_some_and(|length| length > MAX_RESPONSE_BODY as u64) {
            driver.abort();
            return Err(body_too_large());
        }
        let body = Limited::new(body, MAX_RESPONSE_BODY).collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                body_too_large()
            } else {
                failed("the function's server broke off its response", &e)
            }
        })?;
        driver.abort();
        head.headers.retain_hop_by_hop_free();
        Ok(Response::from_parts(head, body.to_bytes()))
    }
}

fn body_too_large() -> ForwardError {
    ForwardError::TooLarge(format!(
        "the response's body is over {MAX_RESPONSE_BODY} bytes (6 MB), the most the platform passes"
    ))
}

/// Drops the headers that describe one connection (and the length, which the emulator sets).
trait RetainHopByHopFree {
    fn retain_hop_by_hop_free(&mut self);
}

impl RetainHopByHopFree for HeaderMap {
    fn retain_hop_by_hop_free(&mut self) {
        let drop: Vec<HeaderName> =
            self.keys().filter(|name| is_hop_by_hop(name) || *name == header::CONTENT_LENGTH).cloned().collect();
        for name in drop {
            self.remove(name);
        }
    }
}

impl StartError {
    fn with_output(self, output: &str) -> StartError {
        match self {
            StartError::Spawn(why) => StartError::Spawn(format!("{why}: {output}")),
            StartError::Exited(why) => StartError::Exited(format!("{why}: {output}")),
            StartError::Timeout(why) => StartError::Timeout(format!("{why}: {output}")),
        }
    }
}

/// Waits until the instance (the process tree of `group`) accepts connections on `port` of
/// 127.0.0.1, the process ends, or `init_timeout` passes. A server of another process on that port
/// (another emulator gave its function the same port) does not count.
async fn wait_listening(
    port: u16,
    group: i32,
    mut ended: watch::Receiver<Option<Ended>>,
    init_timeout: Duration,
) -> Result<(), StartError> {
    let deadline = tokio::time::Instant::now() + init_timeout;
    let hint = format!(
        "`{BOOTSTRAP}` must start a server listening on port {port} (given in its `PORT` environment variable; read `PORT`, with 9000 as the fallback, as on SCF)"
    );
    loop {
        if let Some(why) = ended.borrow().clone() {
            let why = match why {
                Ended::Exited(status) => format!("{status} before it listened"),
                Ended::OutOfMemory => "it used more memory than the function has before it listened".into(),
            };
            return Err(StartError::Exited(format!("{hint}; {why}")));
        }
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let accepted = tokio::time::timeout(Duration::from_millis(250), tokio::net::TcpStream::connect(address)).await;
        let someone_listens = matches!(accepted, Ok(Ok(_)));
        if someone_listens && super::process_tree::tree_listens_on(group, port) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            let what = if someone_listens {
                "another process listens there, not the function,"
            } else {
                "nothing listened there"
            };
            return Err(StartError::Timeout(format!(
                "{hint}; {what} within the initialisation timeout ({} s)",
                init_timeout.as_secs()
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = ended.changed() => {}
        }
    }
}

/// Watches an instance's process: keeps its output, enforces its memory, reports its end.
struct Supervisor {
    child: tokio::process::Child,
    stdout: tokio::process::ChildStdout,
    stderr: tokio::process::ChildStderr,
    output: Arc<Mutex<Captured>>,
    ended: watch::Sender<Option<Ended>>,
    group: i32,
    groups: Groups,
    scratch: PathBuf,
    memory_limit: u64,
}

impl Supervisor {
    async fn run(mut self) {
        let mut memory = MemoryProbe::open(self.group);
        let mut watch = tokio::time::interval(Duration::from_millis(250));
        let (mut out_open, mut err_open) = (true, true);
        let (mut out_buf, mut err_buf) = ([0u8; instance::READ_CHUNK], [0u8; instance::READ_CHUNK]);
        let status = loop {
            tokio::select! {
                status = self.child.wait() => break instance::describe_exit(status),
                _ = watch.tick() => if self.ended.borrow().is_none() && memory.tree_resident() > self.memory_limit {
                    self.ended.send_replace(Some(Ended::OutOfMemory));
                    self.groups.stop(self.group);
                },
                read = self.stdout.read(&mut out_buf), if out_open => self.keep(read, &out_buf, &mut out_open),
                read = self.stderr.read(&mut err_buf), if err_open => self.keep(read, &err_buf, &mut err_open),
            }
        };
        // What is left in the pipes, without waiting for processes that still hold them.
        {
            let mut output = self.output.lock().unwrap_or_else(|e| e.into_inner());
            let mut buf = [0u8; instance::READ_CHUNK];
            instance::drain(&mut self.stdout, &mut output, &mut buf);
            instance::drain(&mut self.stderr, &mut output, &mut buf);
        }
        // Whatever the first process started goes with it.
        self.groups.stop(self.group);
        self.ended.send_if_modified(|ended| {
            if ended.is_none() {
                *ended = Some(Ended::Exited(format!("the process exited ({status})")));
            }
            true
        });
        crate::store::remove_tree(&self.scratch);
    }

    fn keep(&self, read: std::io::Result<usize>, buf: &[u8], open: &mut bool) {
        match read {
            Ok(n) if n > 0 => self.output.lock().unwrap_or_else(|e| e.into_inner()).push(&buf[..n]),
            _ => *open = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_after_a_mark_is_bounded_and_says_what_it_dropped() {
        let mut log = Captured::default();
        log.push(b"before\n");
        let mark = log.end();
        log.push(b"during\n");
        assert_eq!(log.since(mark), "during\n");
        assert_eq!(log.since(0), "before\nduring\n");
        let keep = Captured::KEEP;
        log.push(&vec![b'x'; 3 * keep]);
        let text = log.since(mark);
        assert!(text.starts_with("[scf-local: "), "{}", &text[..80]);
        assert!(text.len() <= keep + 100, "{}", text.len());
    }
}
