//! The emulator's model: namespaces, functions with their versions and aliases, asynchronous
//! events. Reads come from memory; every change is written to the store first (one transaction),
//! then applied in memory, so a restart finds exactly what was acknowledged.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::api_error::ApiError;
use crate::auth::AccessKey;
use crate::faults::Faults;
use crate::runtime::{Pools, Runtimes};
use crate::store::{Store, Table};

/// A function version's configuration and code (`$LATEST` or a published number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FunctionRecord {
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub function_id: String,
    pub handler: String,
    pub runtime: String,
    pub memory_size: i64,
    pub timeout: i64,
    pub init_timeout: i64,
    pub description: String,
    pub environment: Vec<(String, String)>,
    /// `Event` or `HTTP`.
    pub function_type: String,
    pub code_sha256: String,
    pub code_size: i64,
    pub status: String,
    pub status_desc: String,
    pub add_time: String,
    pub mod_time: String,
    /// Changes with every change of `$LATEST`, so warm instances of an old revision are not reused.
    pub revision: u64,
    /// For published versions: the description given to `PublishVersion`.
    pub version_description: String,
}

impl FunctionRecord {
    /// The key of this version's instance pool.
    pub fn pool_key(&self) -> String {
        format!("{}/{}/{}#{}", self.namespace, self.name, self.version, self.revision)
    }
}

/// An alias: a name for a version, with optional routing to one more version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AliasRecord {
    pub name: String,
    pub version: String,
    /// `(version, weight)`: random routing by weight.
    pub weights: Vec<(String, f64)>,
    /// Rules routing by `RoutingKey`.
    pub matches: Vec<MatchRule>,
    pub description: String,
    pub add_time: String,
    pub mod_time: String,
}

/// A routing rule: requests whose `RoutingKey` matches go to `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MatchRule {
    pub version: String,
    /// `invoke.headers.<key>`.
    pub key: String,
    /// `exact` or `range`.
    pub method: String,
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NamespaceRecord {
    pub name: String,
    pub description: String,
    pub add_time: String,
    pub mod_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AsyncEventRecord {
    pub request_id: String,
    pub namespace: String,
    pub function: String,
    pub qualifier: String,
    pub invoke_type: String,
    /// `RUNNING`, `FINISHED`, `ABORTED` or `FAILED`.
    pub status: String,
    /// The execution status code (200, 430, 433, …; 499 when terminated).
    pub status_code: i64,
    pub start_time: String,
    pub end_time: String,
}

/// One invocation, as `GetFunctionLogs` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LogRecord {
    pub namespace: String,
    pub function: String,
    pub qualifier: String,
    pub request_id: String,
    pub start_time: String,
    pub duration: f64,
    pub bill_duration: i64,
    pub mem_usage: i64,
    /// 0 for success, the execution status code otherwise.
    pub ret_code: i64,
    pub ret_msg: String,
    pub log: String,
}

/// Messages for the log writer.
#[derive(Debug)]
pub(crate) enum LogCommand {
    Record(LogRecord),
    /// Everything sent before is stored when the reply comes.
    Flush(oneshot::Sender<()>),
}

/// A function: `$LATEST`, its published versions and its aliases.
#[derive(Debug, Clone)]
pub(crate) struct FunctionEntry {
    pub latest: Arc<FunctionRecord>,
    pub versions: BTreeMap<u64, Arc<FunctionRecord>>,
    pub aliases: BTreeMap<String, Arc<AliasRecord>>,
}

/// Everything, in memory.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub namespaces: BTreeMap<String, NamespaceRecord>,
    /// By `(namespace, name)`.
    pub functions: BTreeMap<(String, String), FunctionEntry>,
    pub async_events: BTreeMap<String, AsyncEventRecord>,
}

/// Settings the handlers need.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub keys: Vec<AccessKey>,
    pub strict: bool,
    /// How long a function stays `Creating` / `Updating` before it becomes `Active`.
    pub activation_delay: Duration,
    /// The emulator's own URL (for code download addresses).
    pub base_url: String,
    pub data_dir: PathBuf,
}

/// The shared state of a running emulator.
#[derive(Debug)]
pub(crate) struct State {
    pub settings: Settings,
    pub store: Arc<Store>,
    pub model: RwLock<Model>,
    pub pools: Arc<Pools>,
    pub runtimes: Runtimes,
    pub faults: Faults,
    /// Invocation logs on their way to the store (written in batches, off the invocation path).
    pub logs: mpsc::UnboundedSender<LogCommand>,
    /// Running asynchronous invocations, by request id, to terminate them. Whoever removes an
    /// entry (the event finishing, or `TerminateAsyncEvent`) decides the event's final state.
    pub running_async: Mutex<BTreeMap<String, tokio::task::AbortHandle>>,
    /// See [`State::lock_changes`].
    pub changes: tokio::sync::Mutex<()>,
}

impl State {
    /// Reads the model.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the model.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Model> {
        self.model.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Serialises the management actions: each checks the model, then changes it, with no other
    /// change in between (two `CreateFunction`s of one name, an update racing a delete). Invocations
    /// never take it.
    pub async fn lock_changes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.changes.lock().await
    }

    /// Persists with `f` (one transaction), then — only if that worked — applies `apply` in memory.
    /// The model is locked only for `apply`, never while waiting for the database, so readers (every
    /// request) never queue behind a write.
    pub fn change<T>(
        &self,
        f: impl FnOnce(&crate::store::Writer<'_>) -> Result<T, crate::store::StoreError>,
        apply: impl FnOnce(&mut Model, &T),
    ) -> Result<T, ApiError> {
        let value = self.store.write(f).map_err(|e| ApiError::internal(format!("the store failed ({e})")))?;
        apply(&mut self.write(), &value);
        Ok(value)
    }
}

/// Loads the model from the store; functions left mid-deployment by a stop become `Active` (their
/// code was stored before they were recorded).
pub(crate) fn load(store: &Store) -> Result<Model, crate::store::StoreError> {
    let mut model = Model::default();
    for namespace in store.all::<NamespaceRecord>(Table::Namespaces)? {
        model.namespaces.insert(namespace.name.clone(), namespace);
    }
    let mut records = store.all::<FunctionRecord>(Table::Functions)?;
    records.sort_by_key(|r| r.version != "$LATEST");
    for mut record in records {
        if record.status.ends_with("ing") {
            record.status = "Active".into();
        }
        let key = (record.namespace.clone(), record.name.clone());
        let record = Arc::new(record);
        if record.version == "$LATEST" {
            model
                .functions
                .insert(key, FunctionEntry { latest: record, versions: BTreeMap::new(), aliases: BTreeMap::new() });
        } else if let (Some(entry), Ok(number)) = (model.functions.get_mut(&key), record.version.parse::<u64>()) {
            entry.versions.insert(number, record);
        }
    }
    #[derive(Deserialize)]
    struct StoredAlias {
        namespace: String,
        function: String,
        #[serde(flatten)]
        alias: AliasRecord,
    }
    for stored in store.all::<StoredAlias>(Table::Aliases)? {
        if let Some(entry) = model.functions.get_mut(&(stored.namespace, stored.function)) {
            entry.aliases.insert(stored.alias.name.clone(), Arc::new(stored.alias));
        }
    }
    for event in store.all::<AsyncEventRecord>(Table::AsyncEvents)? {
        let mut event = event;
        if event.status == "RUNNING" {
            // It was running when the emulator stopped: it did not finish.
            event.status = "FAILED".into();
            event.status_code = 500;
        }
        model.async_events.insert(event.request_id.clone(), event);
    }
    Ok(model)
}

/// The stored form of an alias (with its function, for loading).
#[derive(Debug, Serialize)]
pub(crate) struct StoredAliasRef<'a> {
    pub namespace: &'a str,
    pub function: &'a str,
    #[serde(flatten)]
    pub alias: &'a AliasRecord,
}
