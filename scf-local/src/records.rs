//! The records the emulator keeps: namespaces, function versions, aliases, asynchronous events and
//! layer versions, each in its region — the data both the model in memory (`state`) and the store (`store`) hold.
//! States are the SDK's enums (`FunctionStatus`, `AsyncEventState`, `LayerStatus`), stored as their API text.

use scf_sdk::catalog::waiters::FUNCTION_ACTIVE;
use scf_sdk::runtime::WaiterState;
use scf_sdk::types::{AsyncEventState, FunctionStatus, LayerStatus, TriggerType};
use serde::{Deserialize, Serialize};

/// The region of records stored before resources were kept per region.
pub(crate) const MIGRATED_REGION: &str = "ap-guangzhou";

pub(crate) fn migrated_region() -> String {
    MIGRATED_REGION.to_owned()
}

/// Where a resource lives: a namespace of a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Scope {
    pub region: String,
    pub namespace: String,
}

impl Scope {
    /// The key of function `name` here.
    pub fn function(&self, name: &str) -> FunctionKey {
        FunctionKey { scope: self.clone(), name: name.to_owned() }
    }

    /// The key of this namespace.
    pub fn namespace_key(&self) -> (String, String) {
        (self.region.clone(), self.namespace.clone())
    }
}

/// A function's identity: its name in a namespace of a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FunctionKey {
    pub scope: Scope,
    pub name: String,
}

/// A function version's configuration and code (`$LATEST` or a published number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FunctionRecord {
    #[serde(default = "migrated_region")]
    pub region: String,
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
    pub status: FunctionStatus,
    pub status_desc: String,
    pub add_time: String,
    pub mod_time: String,
    /// Changes with every change of `$LATEST`, so warm instances of an old revision are not reused.
    pub revision: u64,
    /// For published versions: the description given to `PublishVersion`.
    pub version_description: String,
    /// `(key, value)`, as given at creation.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub async_run_enable: bool,
    /// Logs hold the function's output only, without the platform's lines.
    #[serde(default)]
    pub ignore_sys_log: bool,
    /// The layer versions bound to it, in order (later ones overwrite files of earlier ones).
    #[serde(default)]
    pub layers: Vec<LayerBinding>,
}

impl FunctionRecord {
    /// The key of this version's instance pool.
    pub fn pool_key(&self) -> String {
        format!("{}#{}", self.pool_prefix(), self.revision)
    }

    /// What the keys of this version's pools (any revision) start with.
    pub fn pool_prefix(&self) -> String {
        format!("{}{}", function_pool_prefix(&self.key()), self.version)
    }

    pub fn scope(&self) -> Scope {
        Scope { region: self.region.clone(), namespace: self.namespace.clone() }
    }

    pub fn key(&self) -> FunctionKey {
        self.scope().function(&self.name)
    }

    /// Whether a change is in progress (`Creating`, `Updating`, …): a state the `FunctionActive`
    /// waiter waits out, as the spec declares it.
    pub fn in_progress(&self) -> bool {
        FUNCTION_ACTIVE.state_of_status(self.status.as_str()) == Some(WaiterState::Retry)
    }
}

/// What the keys of every pool of a function start with.
pub(crate) fn function_pool_prefix(key: &FunctionKey) -> String {
    format!("{}/{}/{}/", key.scope.region, key.scope.namespace, key.name)
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

/// A layer version a function uses, with the package it holds (layer versions never change, and
/// one in use is never deleted: the package is known without looking the layer up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LayerBinding {
    pub name: String,
    pub version: i64,
    pub code_sha256: String,
}

/// A layer version: its package and description, in its region (layers are not in namespaces).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LayerRecord {
    pub region: String,
    pub name: String,
    pub version: i64,
    pub compatible_runtimes: Vec<String>,
    pub description: String,
    pub license_info: String,
    /// `(key, value)`, as given.
    pub tags: Vec<(String, String)>,
    pub code_sha256: String,
    pub code_size: i64,
    pub status: LayerStatus,
    pub add_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NamespaceRecord {
    #[serde(default = "migrated_region")]
    pub region: String,
    pub name: String,
    pub description: String,
    pub add_time: String,
    pub mod_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AsyncEventRecord {
    pub request_id: String,
    #[serde(default = "migrated_region")]
    pub region: String,
    pub namespace: String,
    pub function: String,
    pub qualifier: String,
    pub invoke_type: String,
    pub status: AsyncEventState,
    /// The execution status code (200, 430, 433, …; 499 when terminated).
    pub status_code: i64,
    pub start_time: String,
    pub end_time: String,
}

impl AsyncEventRecord {
    /// The function it invokes.
    pub fn function_key(&self) -> FunctionKey {
        Scope { region: self.region.clone(), namespace: self.namespace.clone() }.function(&self.function)
    }
}

/// A trigger of a function. Only timers fire here; the others are kept and listed as the
/// service keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TriggerRecord {
    pub region: String,
    pub namespace: String,
    pub function: String,
    pub name: String,
    pub kind: TriggerType,
    /// The version or alias it invokes.
    pub qualifier: String,
    pub enabled: bool,
    /// `TriggerDesc` as given (for a timer: its cron expression).
    pub desc: String,
    /// For a timer: the event's `Message`.
    pub custom_argument: String,
    pub description: String,
    pub add_time: String,
    pub mod_time: String,
}

impl TriggerRecord {
    pub fn function_key(&self) -> FunctionKey {
        Scope { region: self.region.clone(), namespace: self.namespace.clone() }.function(&self.function)
    }

    /// Its key: a function's triggers are known by type and name.
    pub fn key(&self) -> TriggerKey {
        TriggerKey { function: self.function_key(), kind: self.kind.as_str().to_owned(), name: self.name.clone() }
    }
}

/// A trigger's identity: its function, type (as the API writes it) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TriggerKey {
    pub function: FunctionKey,
    pub kind: String,
    pub name: String,
}

/// The stored form of an alias (with its function, for loading).
#[derive(Debug, Serialize)]
pub(crate) struct StoredAliasRef<'a> {
    pub region: &'a str,
    pub namespace: &'a str,
    pub function: &'a str,
    #[serde(flatten)]
    pub alias: &'a AliasRecord,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn stored_function(status: &str) -> FunctionRecord {
        let json = serde_json::json!({
            "namespace": "default", "name": "f", "version": "$LATEST", "function_id": "id", "handler": "index.main",
            "runtime": "Python3.9", "memory_size": 128, "timeout": 3, "init_timeout": 65, "description": "",
            "environment": [], "function_type": "Event", "code_sha256": "", "code_size": 0, "status": status,
            "status_desc": "", "add_time": "", "mod_time": "", "revision": 1, "version_description": ""
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn states_are_stored_as_their_api_text_and_read_back_as_the_enums() {
        let record = stored_function("Updating");
        assert_eq!(record.status, FunctionStatus::Updating);
        assert_eq!(serde_json::to_value(&record).unwrap()["status"], "Updating");
        // A state this build does not know survives a round trip unchanged.
        let unknown = stored_function("Migrating");
        assert_eq!(unknown.status.as_str(), "Migrating");
        assert_eq!(serde_json::to_value(&unknown).unwrap()["status"], "Migrating");
    }

    #[test]
    fn changes_in_progress_are_the_states_the_function_active_waiter_waits_out() {
        let in_progress = |status: FunctionStatus| FunctionRecord { status, ..stored_function("Active") }.in_progress();
        for status in [FunctionStatus::Creating, FunctionStatus::Updating, FunctionStatus::Publishing] {
            assert!(in_progress(status.clone()), "{status}");
        }
        for status in [FunctionStatus::Active, FunctionStatus::CreateFailed, FunctionStatus::Deleting] {
            assert!(!in_progress(status.clone()), "{status}");
        }
        assert!(!in_progress(FunctionStatus::from("Migrating")));
    }
}
