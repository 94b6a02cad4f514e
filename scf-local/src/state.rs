//! The emulator's model: namespaces, functions with their versions and aliases, asynchronous
//! events, layers — each in its region, as the service keeps them: a function is known by its name within
//! a namespace within a region. Reads come from memory; every change is written to the store first (one transaction),
//! then applied in memory, so a restart finds exactly what was acknowledged. The records themselves
//! are in `records`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use scf_sdk::types::FunctionStatus;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::api_error::ApiError;
use crate::auth::AccessKey;
use crate::faults::Faults;
use crate::records::{
    AliasRecord, AsyncEventRecord, FunctionKey, FunctionRecord, LayerRecord, NamespaceRecord, Scope, TriggerKey,
    TriggerRecord, migrated_region,
};
use crate::runtime::{Pools, Runtimes};
use crate::store::{LogRecord, Store, Table};

/// Messages for the log writer.
#[derive(Debug)]
pub(crate) enum LogCommand {
    Record(Box<LogRecord>),
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
    /// By `(region, name)`.
    pub namespaces: BTreeMap<(String, String), NamespaceRecord>,
    pub functions: BTreeMap<FunctionKey, FunctionEntry>,
    pub async_events: BTreeMap<String, AsyncEventRecord>,
    pub triggers: BTreeMap<TriggerKey, TriggerRecord>,
    /// Layer versions, by `(region, name)` then version.
    pub layers: BTreeMap<(String, String), BTreeMap<i64, Arc<LayerRecord>>>,
}

impl Model {
    /// Whether the namespace exists.
    pub fn has_namespace(&self, scope: &Scope) -> bool {
        self.namespaces.contains_key(&scope.namespace_key())
    }

    /// The functions of a namespace.
    pub fn functions_in<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a FunctionEntry> + 'a {
        self.functions.iter().filter(move |(key, _)| key.scope == *scope).map(|(_, entry)| entry)
    }

    /// The triggers of a function, by type and then name.
    pub fn triggers_of<'a>(&'a self, key: &'a FunctionKey) -> impl Iterator<Item = &'a TriggerRecord> + 'a {
        self.triggers.iter().filter(move |(k, _)| k.function == *key).map(|(_, trigger)| trigger)
    }

    /// Every code package a function version or a layer version refers to.
    pub fn code_packages(&self) -> std::collections::HashSet<String> {
        let layers = self.layers.values().flat_map(|versions| versions.values()).map(|l| l.code_sha256.clone());
        self.function_versions()
            .flat_map(|record| std::iter::once(&record.code_sha256).chain(record.layers.iter().map(|l| &l.code_sha256)))
            .cloned()
            .chain(layers)
            .collect()
    }

    /// The merged layer directories function versions use: by id, with their packages in order.
    pub fn layer_dirs(&self) -> std::collections::HashMap<String, Vec<String>> {
        self.function_versions()
            .filter(|record| !record.layers.is_empty())
            .map(|record| {
                let packages: Vec<String> = record.layers.iter().map(|l| l.code_sha256.clone()).collect();
                (crate::store::layer_dir_id(&packages), packages)
            })
            .collect()
    }

    /// Every version (`$LATEST` and published) of every function.
    fn function_versions(&self) -> impl Iterator<Item = &Arc<FunctionRecord>> {
        self.functions.values().flat_map(|entry| std::iter::once(&entry.latest).chain(entry.versions.values()))
    }
}

/// Settings the handlers need.
#[derive(Debug)]
pub(crate) struct Settings {
    pub keys: Vec<AccessKey>,
    pub strict: bool,
    /// How long a function stays `Creating` / `Updating` before it becomes `Active`.
    pub activation_delay: Duration,
    /// The emulator's own URL (for code download addresses).
    pub base_url: String,
    pub data_dir: PathBuf,
    pub limits: crate::Limits,
    /// Signs code download addresses.
    pub code_url_key: crate::code_url::CodeUrlKey,
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
    /// Woken when timer triggers change, so the scheduler looks again.
    pub timers_changed: tokio::sync::Notify,
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
        model.namespaces.insert((namespace.region.clone(), namespace.name.clone()), namespace);
    }
    let mut records = store.all::<FunctionRecord>(Table::Functions)?;
    records.sort_by_key(|r| r.version != "$LATEST");
    for mut record in records {
        if record.in_progress() {
            record.status = FunctionStatus::Active;
        }
        let key = record.key();
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
        #[serde(default = "migrated_region")]
        region: String,
        namespace: String,
        function: String,
        #[serde(flatten)]
        alias: AliasRecord,
    }
    for stored in store.all::<StoredAlias>(Table::Aliases)? {
        let scope = Scope { region: stored.region, namespace: stored.namespace };
        if let Some(entry) = model.functions.get_mut(&scope.function(&stored.function)) {
            entry.aliases.insert(stored.alias.name.clone(), Arc::new(stored.alias));
        }
    }
    for trigger in store.all::<TriggerRecord>(Table::Triggers)? {
        if model.functions.contains_key(&trigger.function_key()) {
            model.triggers.insert(trigger.key(), trigger);
        }
    }
    // Events still `RUNNING` were cut off by a stop: the emulator marks them failed once it runs.
    for event in store.all::<AsyncEventRecord>(Table::AsyncEvents)? {
        model.async_events.insert(event.request_id.clone(), event);
    }
    for layer in store.all::<LayerRecord>(Table::Layers)? {
        let versions = model.layers.entry((layer.region.clone(), layer.name.clone())).or_default();
        versions.insert(layer.version, Arc::new(layer));
    }
    Ok(model)
}
