//! `scf-local`: a local Tencent Cloud SCF. It speaks API 3.0 (`POST /` and `GET /`, TC3 signatures
//! checked), keeps functions, versions, aliases and namespaces in a data directory, and runs
//! functions as real local processes through the SCF custom-runtime protocol — no Docker, no
//! account, no network.
//!
//! In a test, start one and point a client at it; dropping it stops everything:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = scf_local::Emulator::start(scf_local::EmulatorConfig::default()).await?;
//! let client = emulator.client()?;
//! let functions = client.list_functions().send().await?;
//! assert_eq!(functions.total_count, 0);
//! # Ok(()) }
//! ```
//!
//! The layout: [`server`](crate) checks and decodes requests with the SDK's generated types;
//! `service/` holds one module per group of actions; `state` and `store` keep the model (memory,
//! then SQLite and files); `runtime/` starts and pools function processes.

mod api_error;
mod auth;
mod code_url;
mod cron;
mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod gateway;
mod http;
pub mod package;
mod query;
mod records;
mod runtime;
pub mod serve;
mod server;
mod service;
mod state;
mod store;
mod timers;
mod unzip;
mod util;

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

pub use api_error::Language;
pub use auth::AccessKey;
pub use faults::{Fault, Faults};

use crate::runtime::{Groups, Pools, PoolsConfig, Runtimes};
use crate::state::{Settings, State};

/// The SecretId the emulator accepts when no keys are configured. Not a secret: printed at start.
pub const DEV_SECRET_ID: &str = "AKIDscflocalDEVELOPMENTxxxxxxxxxxxxx";
/// The SecretKey that goes with [`DEV_SECRET_ID`].
pub const DEV_SECRET_KEY: &str = "scflocalDEVELOPMENTxxxxxxxxxxxxx";

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    listen: SocketAddr,
    http_listen: SocketAddr,
    data_dir: Option<PathBuf>,
    keys: Vec<AccessKey>,
    strict: bool,
    activation_delay: Duration,
    max_instances: usize,
    idle_timeout: Duration,
    python: String,
    node: String,
    faults: Vec<Fault>,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
    limits: Limits,
}

/// The limits that keep a long-running emulator bounded, whatever its clients and functions do
/// (`SECURITY.md` lists each with the option that changes it). Start from the default and change
/// what you need: `let mut limits = Limits::default(); limits.max_connections = 64;`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections to the API open at once (default 1,024); at the cap, the longest-idle one is
    /// closed to make room.
    pub max_connections: usize,
    /// How long a client may take to send a request head, or stay idle between requests on a
    /// kept-alive connection (default 30 s).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body (default 60 s).
    pub body_read_timeout: Duration,
    /// Function instances (processes) alive at once across all functions (default 256); beyond
    /// it, invocations get the service's concurrency error. `max_instances` limits each version.
    pub max_total_instances: usize,
    /// Asynchronous events kept (default 10,000): the oldest finished ones go first; while this
    /// many are running, new asynchronous invocations are refused.
    pub max_async_events: usize,
    /// Invocation records kept for `GetFunctionLogs` (default 100,000), oldest first out.
    pub max_log_records: u64,
    /// Bytes of invocation records kept (default 256 MiB), oldest first out.
    pub max_log_bytes: u64,
    /// How long a code address from `GetFunctionAddress` stays valid (default 10 minutes).
    pub code_url_ttl: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
            max_total_instances: 256,
            max_async_events: 10_000,
            max_log_records: 100_000,
            max_log_bytes: 256 * 1024 * 1024,
            code_url_ttl: Duration::from_secs(600),
        }
    }
}

impl Default for EmulatorConfig {
    /// A free port of 127.0.0.1, a temporary data directory (removed when the emulator stops), the
    /// development keys, 64 instances per function version, idle instances stopped after 10
    /// minutes, `python3` and `node` from `PATH`.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            keys: Vec::new(),
            strict: false,
            activation_delay: Duration::ZERO,
            max_instances: 64,
            idle_timeout: Duration::from_secs(600),
            python: "python3".into(),
            node: "node".into(),
            faults: Vec::new(),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            limits: Limits::default(),
        }
    }
}

impl EmulatorConfig {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = address;
        self
    }

    /// The address of the HTTP listener that reaches functions as API Gateway would
    /// (`/<namespace>/<function>[@<qualifier>]/<path>`; default `127.0.0.1:0`, a free port). See
    /// [`Emulator::http_url`].
    pub fn http_listen(mut self, address: SocketAddr) -> Self {
        self.http_listen = address;
        self
    }

    /// Keeps the state in `dir` (created if needed), so that a restart finds it. By default the
    /// emulator uses a temporary directory and removes it when it stops.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Accepts this key pair (instead of the development keys); call again for more.
    pub fn key(mut self, key: AccessKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Rejects the known quirks of official clients pointed at a local address (a scheme in the
    /// `Host` header; the service scoped as the host's first label).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// How long a function stays `Creating` or `Updating` before it is `Active` (default: none).
    /// The real service takes a moment; a delay here lets code rehearse waiting for it.
    pub fn activation_delay(mut self, delay: Duration) -> Self {
        self.activation_delay = delay;
        self
    }

    /// Concurrent instances per function version (default 64); beyond it, invocations get the
    /// service's concurrency-exceeded answer.
    pub fn max_instances(mut self, max: usize) -> Self {
        self.max_instances = max.max(1);
        self
    }

    /// How long an instance may stay idle before it is stopped (default 10 minutes).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The Python 3 interpreter (a name on `PATH` or a path; default `python3`).
    pub fn python(mut self, program: impl Into<String>) -> Self {
        self.python = program.into();
        self
    }

    /// The Node.js interpreter (default `node`).
    pub fn node(mut self, program: impl Into<String>) -> Self {
        self.node = program.into();
        self
    }

    /// A fault in force from the start (see [`Faults`]).
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Also answers requests whose `Host` is `name` (any port of the listener's) or `name:port`.
    /// By default only the listening address and loopback names are answered, so a web page whose
    /// host name is rebound to 127.0.0.1 cannot use the emulator.
    pub fn allow_host(mut self, name: impl Into<String>) -> Self {
        self.allowed_hosts.push(name.into());
        self
    }

    /// Answers requests from web pages of `origin` (e.g. `http://localhost:3000`, or `*` for any),
    /// with CORS headers. By default a request carrying an `Origin` header is refused.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// The limits (see [`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn keys(&self) -> Vec<AccessKey> {
        if self.keys.is_empty() {
            vec![AccessKey { secret_id: DEV_SECRET_ID.into(), secret_key: DEV_SECRET_KEY.into(), token: None }]
        } else {
            self.keys.clone()
        }
    }
}

/// What a running emulator holds (see [`Emulator::stats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Function instances (processes) alive.
    pub live_instances: usize,
    /// The stored code packages (their SHA-256), sorted.
    pub code_packages: Vec<String>,
    /// Invocation records stored, and their size in bytes.
    pub log_records: u64,
    pub log_bytes: u64,
    /// Asynchronous events kept.
    pub async_events: usize,
}

/// Why an emulator did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listen address could not be bound.
    Listen { address: SocketAddr, source: std::io::Error },
    /// The data directory could not be created, opened or read.
    DataDir { dir: PathBuf, message: String },
    /// Another emulator is using the data directory.
    DataDirInUse { dir: PathBuf, holder: Option<u32> },
    /// The development keys (which are public) on an address other machines can reach.
    PublicKeysOffLoopback { address: SocketAddr },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Listen { address, source } => write!(f, "cannot listen on {address}: {source}"),
            StartError::DataDir { dir, message } => {
                write!(f, "cannot use the data directory {}: {message}", dir.display())
            }
            StartError::DataDirInUse { dir, holder } => {
                write!(f, "another scf-local is using the data directory {}", dir.display())?;
                match holder {
                    Some(pid) => write!(f, " (process {pid}); stop it, or give another --data-dir"),
                    None => write!(f, "; stop it, or give another --data-dir"),
                }
            }
            StartError::PublicKeysOffLoopback { address } => write!(
                f,
                "{address} is reachable from other machines: give your own key pair (--secret-id and --secret-key), since the development keys are public"
            ),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Listen { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A running emulator. Dropping it stops the server and kills every function process.
#[derive(Debug)]
pub struct Emulator {
    state: Arc<State>,
    address: SocketAddr,
    http_address: SocketAddr,
    keys: Vec<AccessKey>,
    server: Mutex<Option<http::Server>>,
    /// The HTTP listener for functions.
    http_server: Mutex<Option<http::Server>>,
    /// The task firing timer triggers.
    timers: tokio::task::AbortHandle,
    /// Holds the data directory's lock while the emulator runs.
    _lock: std::fs::File,
    /// Removes the data directory when the emulator goes, if it is a temporary one.
    _temporary: Option<TemporaryDir>,
}

impl Emulator {
    /// Binds the address, opens (or creates) the data directory and starts serving. Needs a Tokio
    /// runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
        let keys = config.keys();
        if !config.listen.ip().is_loopback() && config.keys.is_empty() {
            // The development keys are published: on a network, anyone could run code here.
            return Err(StartError::PublicKeysOffLoopback { address: config.listen });
        }
        http::raise_descriptor_limit();
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { address: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| StartError::Listen { address: config.listen, source })?;
        let http_listener = TcpListener::bind(config.http_listen)
            .await
            .map_err(|source| StartError::Listen { address: config.http_listen, source })?;
        let http_address =
            http_listener.local_addr().map_err(|source| StartError::Listen { address: config.http_listen, source })?;
        let (data_dir, temporary) = match &config.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!("scf-local-{}", util::request_id()));
                (dir.clone(), Some(TemporaryDir(dir)))
            }
        };
        let data_error = |message: String| StartError::DataDir { dir: data_dir.clone(), message };
        // Only its owner may enter it: it holds the functions' code and environment.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&data_dir)
            .map_err(|e| data_error(e.to_string()))?;
        let lock = lock_data_dir(&data_dir)?;
        // A directory that already existed (an earlier run, or one the user made) is made private too.
        std::fs::set_permissions(&data_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| data_error(e.to_string()))?;
        let store = Arc::new(store::Store::open(&data_dir).map_err(|e| data_error(e.0))?);
        let model = state::load(&store).map_err(|e| data_error(e.0))?;
        // Packages whose extraction was cut short are extracted again; unreferenced ones go.
        let broken = store.reconcile_packages(&model.code_packages());
        if !broken.is_empty() {
            tracing::error!(packages = ?broken, "code packages are damaged: their functions will not start until their code is updated");
        }
        // The layers functions bind, merged: built where missing, the unused removed.
        store.reconcile_layer_dirs(&model.layer_dirs());
        let runtimes = Runtimes::prepare(&data_dir.join("runtimes"), &config.python, &config.node)
            .map_err(|e| data_error(format!("cannot write the runtime bootstraps: {e}")))?;
        // Scratch directories of instances from an earlier run are not used by anyone.
        store::remove_tree(&data_dir.join("instances"));
        let limits = config.limits.clone();
        let pools = Pools::new(
            PoolsConfig {
                max_instances: config.max_instances,
                max_total_instances: limits.max_total_instances.max(1),
                idle_timeout: config.idle_timeout,
            },
            Groups::default(),
        );
        let faults = Faults::default();
        for fault in &config.faults {
            faults.inject(fault.clone());
        }
        let (logs, log_commands) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            settings: Settings {
                keys: keys.clone(),
                strict: config.strict,
                activation_delay: config.activation_delay,
                base_url: endpoint_url(address),
                data_dir: data_dir.clone(),
                limits: limits.clone(),
                code_url_key: code_url::CodeUrlKey::new(
                    code_url_key().map_err(|e| data_error(format!("cannot read /dev/urandom: {e}")))?,
                ),
            },
            store,
            model: std::sync::RwLock::new(model),
            pools,
            runtimes,
            faults,
            logs,
            running_async: Mutex::new(Default::default()),
            changes: tokio::sync::Mutex::new(()),
            timers_changed: tokio::sync::Notify::new(),
        });
        service::ensure_defaults(&state).map_err(|e| data_error(e.en))?;
        let log_limits = store::LogLimits { rows: limits.max_log_records, bytes: limits.max_log_bytes };
        tokio::spawn(service::log_writer(state.store.clone(), log_commands, log_limits));
        service::fail_interrupted_events(&state).map_err(|e| data_error(e.en))?;
        let timers = tokio::spawn(timers::run(state.clone())).abort_handle();
        let router = server::router(state.clone(), Arc::new(service::handlers()));
        let access = http::Access::new(address, &config.allowed_hosts, &config.allowed_origins);
        let server = http::Server::spawn(
            listener,
            router,
            http::ServerOptions {
                max_connections: limits.max_connections.max(1),
                header_read_timeout: limits.header_read_timeout,
                access: Arc::new(access),
            },
        );
        // The functions' listener: the same checks of who may talk to it, under the same limits.
        let http_access = http::Access::new(http_address, &config.allowed_hosts, &config.allowed_origins);
        let http_server = http::Server::spawn(
            http_listener,
            gateway::router(state.clone()),
            http::ServerOptions {
                max_connections: limits.max_connections.max(1),
                header_read_timeout: limits.header_read_timeout,
                access: Arc::new(http_access),
            },
        );
        tracing::info!(%address, %http_address, data_dir = %data_dir.display(), "scf-local is serving");
        Ok(Emulator {
            state,
            address,
            http_address,
            keys,
            server: Mutex::new(Some(server)),
            http_server: Mutex::new(Some(http_server)),
            timers,
            _lock: lock,
            _temporary: temporary,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give a client, e.g. `http://127.0.0.1:9100` (loopback when the emulator
    /// listens on every address: a client on this machine reaches it there).
    pub fn endpoint_url(&self) -> String {
        endpoint_url(self.address)
    }

    /// Credentials the emulator accepts (the first configured key).
    pub fn credentials(&self) -> scf_sdk::runtime::Credentials {
        let key = &self.keys[0];
        let credentials = scf_sdk::runtime::Credentials::new(&key.secret_id, &key.secret_key);
        match &key.token {
            Some(token) => credentials.with_token(token),
            None => credentials,
        }
    }

    /// The address of the HTTP listener for functions.
    pub fn http_address(&self) -> SocketAddr {
        self.http_address
    }

    /// The base URL of the HTTP listener for functions, e.g. `http://127.0.0.1:9200`: function
    /// `f` of namespace `default` (region `ap-guangzhou`) answers at `{http_url}/default/f/…`.
    pub fn http_url(&self) -> String {
        endpoint_url(self.http_address)
    }

    /// A client configuration for this emulator: its endpoint and credentials, region
    /// `ap-guangzhou`. Adjust it with [`Emulator::config_builder`].
    pub fn config(&self) -> scf_sdk::runtime::Config {
        self.config_builder().build()
    }

    /// A client configuration builder preset for this emulator.
    pub fn config_builder(&self) -> scf_sdk::runtime::ConfigBuilder {
        scf_sdk::runtime::Config::builder()
            .endpoint_url(self.endpoint_url())
            .credentials(self.credentials())
            .region("ap-guangzhou")
    }

    /// A client for this emulator.
    pub fn client(&self) -> Result<scf_sdk::Client, scf_sdk::runtime::ConfigError> {
        scf_sdk::Client::new(self.config())
    }

    /// The faults in force: inject one to make actions answer its code.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.state.settings.data_dir
    }

    /// How many function instances (processes) are alive.
    pub fn live_instances(&self) -> usize {
        self.state.pools.live_instances()
    }

    /// What the emulator holds now: instances, code packages, stored records (invocations that
    /// finished are stored first).
    pub async fn stats(&self) -> Stats {
        let (flushed, done) = oneshot::channel();
        if self.state.logs.send(state::LogCommand::Flush(flushed)).is_ok() {
            let _ = done.await;
        }
        let (log_records, log_bytes) = self.state.store.log_usage().unwrap_or_default();
        Stats {
            live_instances: self.state.pools.live_instances(),
            code_packages: self.state.store.packages(),
            log_records,
            log_bytes,
            async_events: self.state.read().async_events.len(),
        }
    }

    /// Stops accepting requests, lets requests in progress finish (up to `grace`), then kills
    /// every function process and stores what is pending.
    pub async fn shutdown(self, grace: Duration) {
        let server = lock(&self.server).take();
        let http_server = lock(&self.http_server).take();
        for server in [server, http_server].into_iter().flatten() {
            server.shutdown(grace).await;
        }
        self.stop_everything();
        let (flushed, done) = oneshot::channel();
        if self.state.logs.send(state::LogCommand::Flush(flushed)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
        }
    }

    fn stop_everything(&self) {
        self.timers.abort();
        let running: Vec<_> = std::mem::take(&mut *lock(&self.state.running_async)).into_values().collect();
        for task in running {
            task.abort();
        }
        self.state.pools.shutdown();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Dropping the server closes its connections at once.
        drop(lock(&self.server).take());
        drop(lock(&self.http_server).take());
        self.stop_everything();
    }
}

/// The URL of `address`, loopback in place of an unspecified address.
fn endpoint_url(mut address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{address}")
}

/// Removes a data directory and everything in it, unless an emulator is using it. Its code packages
/// are read-only, as on the service, so a plain `rm -rf` cannot remove them (as with Go's module
/// cache); this gives the write bits back first.
pub fn remove_data_dir(dir: &Path) -> Result<(), StartError> {
    if !dir.exists() {
        return Ok(());
    }
    // A mistyped path must not cost the user a directory: only what looks like a data directory
    // (or an empty one) is removed.
    let is_data_dir = [store::DB_FILE, LOCK_FILE].iter().any(|name| dir.join(name).exists());
    let is_empty = std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()).unwrap_or(false);
    if !is_data_dir && !is_empty {
        return Err(StartError::DataDir {
            dir: dir.to_path_buf(),
            message: format!("not an scf-local data directory (it has no {}); nothing was removed", store::DB_FILE),
        });
    }
    let lock = lock_data_dir(dir)?;
    drop(lock);
    store::remove_tree(dir);
    if dir.exists() {
        return Err(StartError::DataDir {
            dir: dir.to_path_buf(),
            message: "could not remove everything in it".into(),
        });
    }
    Ok(())
}

/// The data directory's lock file.
const LOCK_FILE: &str = "scf-local.lock";

/// Takes the data directory's lock (an OS file lock, released when the process ends, however it
/// ends), so two emulators never share one directory.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, StartError> {
    use std::io::{Read as _, Seek as _, Write as _};
    let path = dir.join(LOCK_FILE);
    let error =
        |e: std::io::Error| StartError::DataDir { dir: dir.to_path_buf(), message: format!("{}: {e}", path.display()) };
    let mut file =
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(error)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(StartError::DataDirInUse { dir: dir.to_path_buf(), holder: holder.trim().parse().ok() });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(error(e)),
    }
    // Who holds it, for the message another emulator gives.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(file)
}

/// A fresh random key for signing code addresses; it never leaves the process.
fn code_url_key() -> Result<[u8; 32], std::io::Error> {
    use std::io::Read as _;
    let mut key = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
    Ok(key)
}

/// A data directory that is removed when the emulator stops.
#[derive(Debug)]
struct TemporaryDir(PathBuf);

impl Drop for TemporaryDir {
    fn drop(&mut self) {
        store::remove_tree(&self.0);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
