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
mod faults;
pub mod package;
mod runtime;
pub mod serve;
mod server;
mod service;
mod state;
mod store;
mod util;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::serve::ListenerExt as _;
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
    data_dir: Option<PathBuf>,
    keys: Vec<AccessKey>,
    strict: bool,
    activation_delay: Duration,
    max_instances: usize,
    idle_timeout: Duration,
    python: String,
    node: String,
    faults: Vec<Fault>,
}

impl Default for EmulatorConfig {
    /// A free port of 127.0.0.1, a temporary data directory (removed when the emulator stops), the
    /// development keys, 64 instances per function version, idle instances stopped after 10
    /// minutes, `python3` and `node` from `PATH`.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            keys: Vec::new(),
            strict: false,
            activation_delay: Duration::ZERO,
            max_instances: 64,
            idle_timeout: Duration::from_secs(600),
            python: "python3".into(),
            node: "node".into(),
            faults: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = address;
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

    fn keys(&self) -> Vec<AccessKey> {
        if self.keys.is_empty() {
            vec![AccessKey { secret_id: DEV_SECRET_ID.into(), secret_key: DEV_SECRET_KEY.into(), token: None }]
        } else {
            self.keys.clone()
        }
    }
}

/// Why an emulator did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The listen address could not be bound.
    Listen { address: SocketAddr, source: std::io::Error },
    /// The data directory could not be created, opened or read.
    DataDir { dir: PathBuf, message: String },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Listen { address, source } => write!(f, "cannot listen on {address}: {source}"),
            StartError::DataDir { dir, message } => {
                write!(f, "cannot use the data directory {}: {message}", dir.display())
            }
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Listen { source, .. } => Some(source),
            StartError::DataDir { .. } => None,
        }
    }
}

/// A running emulator. Dropping it stops the server and kills every function process.
#[derive(Debug)]
pub struct Emulator {
    state: Arc<State>,
    address: SocketAddr,
    keys: Vec<AccessKey>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Removes the data directory when the emulator goes, if it is a temporary one.
    _temporary: Option<TemporaryDir>,
}

impl Emulator {
    /// Binds the address, opens (or creates) the data directory and starts serving. Needs a Tokio
    /// runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { address: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| StartError::Listen { address: config.listen, source })?;
        let (data_dir, temporary) = match &config.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!("scf-local-{}", util::request_id()));
                (dir.clone(), Some(TemporaryDir(dir)))
            }
        };
        let data_error = |message: String| StartError::DataDir { dir: data_dir.clone(), message };
        std::fs::create_dir_all(&data_dir).map_err(|e| data_error(e.to_string()))?;
        let store = Arc::new(store::Store::open(&data_dir).map_err(|e| data_error(e.0))?);
        let model = state::load(&store).map_err(|e| data_error(e.0))?;
        let runtimes = Runtimes::prepare(&data_dir.join("runtimes"), &config.python, &config.node)
            .map_err(|e| data_error(format!("cannot write the runtime bootstraps: {e}")))?;
        // Scratch directories of instances from an earlier run are not used by anyone.
        let _ = std::fs::remove_dir_all(data_dir.join("instances"));
        let pools = Pools::new(
            PoolsConfig { max_instances: config.max_instances, idle_timeout: config.idle_timeout },
            Groups::default(),
        );
        let faults = Faults::default();
        for fault in &config.faults {
            faults.inject(fault.clone());
        }
        let (logs, log_commands) = mpsc::unbounded_channel();
        let keys = config.keys();
        let state = Arc::new(State {
            settings: Settings {
                keys: keys.clone(),
                strict: config.strict,
                activation_delay: config.activation_delay,
                base_url: format!("http://{address}"),
                data_dir: data_dir.clone(),
            },
            store,
            model: std::sync::RwLock::new(model),
            pools,
            runtimes,
            faults,
            logs,
            running_async: Mutex::new(Default::default()),
            changes: tokio::sync::Mutex::new(()),
        });
        service::ensure_default(&state).map_err(|e| data_error(e.en))?;
        tokio::spawn(service::log_writer(state.store.clone(), log_commands));
        let router = server::router(state.clone(), Arc::new(service::handlers()));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            // Small request/response exchanges: send each at once rather than wait for an ACK.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let serving = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::error!("the server stopped: {error}");
            }
        });
        tracing::info!(%address, data_dir = %data_dir.display(), "scf-local is serving");
        Ok(Emulator {
            state,
            address,
            keys,
            stop: Mutex::new(Some(stop)),
            server: Mutex::new(Some(server)),
            _temporary: temporary,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give a client, e.g. `http://127.0.0.1:9100`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
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

    /// Stops accepting requests, lets requests in progress finish (up to `grace`), then kills
    /// every function process and stores what is pending.
    pub async fn shutdown(self, grace: Duration) {
        if let Some(stop) = lock(&self.stop).take() {
            let _ = stop.send(());
        }
        let server = lock(&self.server).take();
        if let Some(mut server) = server
            && tokio::time::timeout(grace, &mut server).await.is_err()
        {
            server.abort();
        }
        self.stop_everything();
        let (flushed, done) = oneshot::channel();
        if self.state.logs.send(state::LogCommand::Flush(flushed)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
        }
    }

    fn stop_everything(&self) {
        let running: Vec<_> = std::mem::take(&mut *lock(&self.state.running_async)).into_values().collect();
        for task in running {
            task.abort();
        }
        self.state.pools.shutdown();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = lock(&self.stop).take() {
            let _ = stop.send(());
        }
        if let Some(server) = lock(&self.server).take() {
            server.abort();
        }
        self.stop_everything();
    }
}

/// A data directory that is removed when the emulator stops.
#[derive(Debug)]
struct TemporaryDir(PathBuf);

impl Drop for TemporaryDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
