//! Everything the emulator must not lose across restarts, in its data directory:
//! - `scf-local.db` (SQLite): namespaces, functions and their versions, aliases, asynchronous
//!   events, invocation records — each row a JSON record (with the columns queries filter on),
//!   written in transactions;
//! - `code/<sha256>.zip` and `code/<sha256>/`: code packages, as uploaded and extracted,
//!   content-addressed and written through a temporary name, synced, then renamed into place;
//!   `code/<sha256>.ok` is written last, so a package without it (a crash before its data reached
//!   the disk) is extracted again at start. Extracted packages are read-only, as on the service;
//! - `layers/<id>/`: the layer packages a function uses, merged in order into the one read-only
//!   directory that stands for its `/opt`, named by the ordered list of packages (so every
//!   function with the same layers shares it), built once and collected when nothing uses it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::records::{
    AliasRecord, AsyncEventRecord, FunctionKey, FunctionRecord, LayerRecord, MIGRATED_REGION, NamespaceRecord, Scope,
    StoredAliasRef, TriggerKey, TriggerRecord, migrated_region,
};

/// The database file in the data directory.
pub(crate) const DB_FILE: &str = "scf-local.db";

/// Why the store failed.
#[derive(Debug)]
pub(crate) struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("database: {e}"))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError(format!("file system: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(format!("record: {e}"))
    }
}

/// Why a code package was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeError(pub String);

/// A stored code package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeRef {
    pub sha256: String,
    /// Size of the zip archive, in bytes.
    pub size: u64,
}

pub(crate) struct Store {
    db: Mutex<Connection>,
    code_dir: PathBuf,
    /// The merged layer directories.
    layer_root: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("code_dir", &self.code_dir).finish_non_exhaustive()
    }
}

/// The tables; every record is JSON, so the schema stays stable as records grow.
const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA journal_size_limit = 4194304;
    PRAGMA synchronous = NORMAL;
";

/// The tables, each resource keyed by its region first (schema version 1).
const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS namespaces (
        region TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (region, name));
    CREATE TABLE IF NOT EXISTS functions (
        region TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        record TEXT NOT NULL, PRIMARY KEY (region, namespace, name, version));
    CREATE TABLE IF NOT EXISTS aliases (
        region TEXT NOT NULL, namespace TEXT NOT NULL, function TEXT NOT NULL, name TEXT NOT NULL,
        record TEXT NOT NULL, PRIMARY KEY (region, namespace, function, name));
    CREATE TABLE IF NOT EXISTS async_events (
        request_id TEXT PRIMARY KEY, region TEXT NOT NULL, namespace TEXT NOT NULL, function TEXT NOT NULL,
        record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS invocations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, region TEXT NOT NULL, namespace TEXT NOT NULL,
        function TEXT NOT NULL, qualifier TEXT NOT NULL, request_id TEXT NOT NULL, start_time TEXT NOT NULL,
        ret_code INTEGER NOT NULL, duration REAL NOT NULL, mem_usage INTEGER NOT NULL, record TEXT NOT NULL,
        bytes INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS invocations_by_function ON invocations (region, namespace, function, seq);
    CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS triggers (
        region TEXT NOT NULL, namespace TEXT NOT NULL, function TEXT NOT NULL, type TEXT NOT NULL,
        name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (region, namespace, function, type, name));
    CREATE TABLE IF NOT EXISTS layers (
        region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (region, name, version));
    PRAGMA user_version = 1;
";

/// Schema version 0 (no regions) to 1: every table gains its region, and what was stored goes to
/// the region records without one are read into ([`MIGRATED_REGION`]).
const MIGRATE_TO_REGIONS: &str = "
    ALTER TABLE namespaces RENAME TO namespaces_v0;
    ALTER TABLE functions RENAME TO functions_v0;
    ALTER TABLE aliases RENAME TO aliases_v0;
    ALTER TABLE async_events RENAME TO async_events_v0;
    ALTER TABLE invocations RENAME TO invocations_v0;
    DROP INDEX IF EXISTS invocations_by_function;
";

const COPY_FROM_V0: &str = "
    INSERT INTO namespaces SELECT ?1, name, record FROM namespaces_v0;
    INSERT INTO functions SELECT ?1, namespace, name, version, record FROM functions_v0;
    INSERT INTO aliases SELECT ?1, namespace, function, name, record FROM aliases_v0;
    INSERT INTO async_events SELECT request_id, ?1, namespace, function, record FROM async_events_v0;
    INSERT INTO invocations SELECT seq, ?1, namespace, function, qualifier, request_id, start_time, ret_code,
        duration, mem_usage, record, length(record) FROM invocations_v0;
    UPDATE counters SET name = 'version:' || ?1 || '/' || substr(name, 9) WHERE name LIKE 'version:%';
    DROP TABLE namespaces_v0;
    DROP TABLE functions_v0;
    DROP TABLE aliases_v0;
    DROP TABLE async_events_v0;
    DROP TABLE invocations_v0;
";

impl Store {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let code_dir = data_dir.join("code");
        std::fs::create_dir_all(&code_dir)?;
        let layer_root = data_dir.join("layers");
        std::fs::create_dir_all(&layer_root)?;
        let db_path = data_dir.join(DB_FILE);
        // Only its owner may read it: it holds environment variables, which may be secrets. SQLite
        // gives its journal files the database's permissions.
        create_private(&db_path)?;
        let mut db = Connection::open(&db_path)?;
        db.execute_batch(SCHEMA)?;
        migrate(&mut db)?;
        // Leftovers of an interrupted write are never referenced: remove them.
        for entry in std::fs::read_dir(&code_dir)?.flatten().chain(std::fs::read_dir(&layer_root)?.flatten()) {
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                remove_tree(&entry.path());
            }
        }
        Ok(Store { db: Mutex::new(db), code_dir, layer_root })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` in a transaction: all of it is written, or none.
    pub fn write<T>(&self, f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let result = f(&Writer { tx: &tx })?;
        tx.commit()?;
        Ok(result)
    }

    /// Every record of a table, for loading the state at start.
    pub fn all<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare(&format!("SELECT record FROM {} ORDER BY rowid", table.name()))?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
    }

    /// The invocation records `query` selects, and how many there are in all, filtered, sorted
    /// and paged by SQLite (a function may have 100,000).
    pub fn logs(&self, query: &LogQuery) -> Result<(u64, Vec<LogRecord>), StoreError> {
        let mut filter = String::from("region = ? AND namespace = ? AND function = ?");
        let mut values: Vec<rusqlite::types::Value> =
            vec![query.region.clone().into(), query.namespace.clone().into(), query.function.clone().into()];
        if let Some(qualifier) = &query.qualifier {
            filter.push_str(" AND qualifier = ?");
            values.push(qualifier.clone().into());
        }
        if let Some(request_id) = &query.request_id {
            filter.push_str(" AND request_id = ?");
            values.push(request_id.clone().into());
        }
        if let Some((start, end)) = &query.window {
            filter.push_str(" AND start_time >= ? AND start_time <= ?");
            values.push(start.clone().into());
            values.push(end.clone().into());
        }
        match query.ret_code {
            RetCodeFilter::Any => {}
            RetCodeFilter::Success => filter.push_str(" AND ret_code = 0"),
            RetCodeFilter::Failure => filter.push_str(" AND ret_code <> 0"),
            RetCodeFilter::Status(code) => {
                filter.push_str(" AND ret_code = ?");
                values.push(code.into());
            }
        }
        let column = match query.order_by {
            LogOrder::StartTime => "start_time",
            LogOrder::FunctionName => "function",
            LogOrder::Duration => "duration",
            LogOrder::MemUsage => "mem_usage",
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        let db = self.db();
        let total: i64 = db.query_row(
            &format!("SELECT COUNT(*) FROM invocations WHERE {filter}"),
            rusqlite::params_from_iter(values.iter()),
            |row| row.get(0),
        )?;
        let mut statement = db.prepare(&format!(
            "SELECT record FROM invocations WHERE {filter} ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?"
        ))?;
        values.push((query.limit.min(i64::MAX as u64) as i64).into());
        values.push((query.offset.min(i64::MAX as u64) as i64).into());
        let rows = statement.query_map(rusqlite::params_from_iter(values.iter()), |row| row.get::<_, String>(0))?;
        // One answer holds at most `max_bytes` of records (at least one record), whatever `Limit` says.
        let mut records = Vec::new();
        let mut bytes = 0;
        for row in rows {
            let row = row?;
            bytes += row.len();
            if bytes > query.max_bytes && !records.is_empty() {
                break;
            }
            records.push(serde_json::from_str(&row)?);
        }
        Ok((total.max(0) as u64, records))
    }

    /// Keeps the newest invocation records within `limits`: at most `rows` records and `bytes` bytes
    /// of records (a record holds up to 64 KB of output and 64 KB of result).
    pub fn trim_logs(&self, limits: LogLimits) -> Result<(), StoreError> {
        let db = self.db();
        db.execute(
            "DELETE FROM invocations WHERE seq <= (SELECT seq FROM invocations ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
            params![limits.rows as i64],
        )?;
        let total: i64 = db.query_row("SELECT COALESCE(SUM(bytes), 0) FROM invocations", [], |r| r.get(0))?;
        if total as u64 > limits.bytes {
            // The newest records whose sizes add up to the limit stay.
            db.execute(
                "DELETE FROM invocations WHERE seq <= (
                     SELECT seq FROM (SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC) AS newer FROM invocations)
                     WHERE newer > ?1 ORDER BY seq DESC LIMIT 1)",
                params![limits.bytes.min(i64::MAX as u64) as i64],
            )?;
        }
        Ok(())
    }

    /// The number of invocation records and their size in bytes.
    pub fn log_usage(&self) -> Result<(u64, u64), StoreError> {
        let (rows, bytes): (i64, i64) =
            self.db().query_row("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM invocations", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok((rows.max(0) as u64, bytes.max(0) as u64))
    }

    /// Stores a zip archive: checks it, extracts it, keeps both. Content-addressed, so storing the
    /// same archive twice costs nothing. The extracted package is read-only and synced to disk
    /// before it is renamed into place.
    pub fn put_zip(&self, zip: &[u8]) -> Result<CodeRef, CodeError> {
        let sha256 = hex(&Sha256::digest(zip));
        let code = CodeRef { sha256: sha256.clone(), size: zip.len() as u64 };
        if self.is_complete(&sha256) {
            return Ok(code);
        }
        let internal = |e: std::io::Error| CodeError(format!("cannot store the code: {e}"));
        let tmp_zip = self.code_dir.join(format!(".tmp-{}.zip", crate::util::request_id()));
        let stored = write_synced(&tmp_zip, zip)
            .map_err(internal)
            .and_then(|()| self.extract_package(&sha256, zip))
            .and_then(|()| std::fs::rename(&tmp_zip, self.zip_path(&sha256)).map_err(internal));
        if let Err(e) = stored {
            let _ = std::fs::remove_file(&tmp_zip);
            return Err(e);
        }
        self.mark_complete(&sha256).map_err(internal)?;
        Ok(code)
    }

    /// Extracts an archive into `code/<sha256>/` (replacing what is there): into a scratch
    /// directory first, made read-only and synced to disk, then renamed into place.
    fn extract_package(&self, sha256: &str, zip: &[u8]) -> Result<(), CodeError> {
        let tmp_dir = self.code_dir.join(format!(".tmp-{}", crate::util::request_id()));
        if let Err(e) = crate::unzip::extract(zip, &tmp_dir, crate::unzip::Limits::default()) {
            remove_tree(&tmp_dir);
            return Err(CodeError(e.0));
        }
        make_read_only(&tmp_dir);
        let dir = self.code_dir(sha256);
        let placed = sync_filesystem(&tmp_dir).and_then(|()| {
            remove_tree(&dir);
            std::fs::rename(&tmp_dir, &dir)
        });
        placed.map_err(|e| {
            remove_tree(&tmp_dir);
            CodeError(format!("cannot store the code: {e}"))
        })
    }

    /// Records that the package's archive and extraction are both in place (written last).
    fn mark_complete(&self, sha256: &str) -> std::io::Result<()> {
        sync_dir(&self.code_dir)?;
        write_synced(&self.marker_path(sha256), sha256.as_bytes())?;
        sync_dir(&self.code_dir)
    }

    /// Whether the package is stored and fully extracted.
    fn is_complete(&self, sha256: &str) -> bool {
        self.marker_path(sha256).is_file() && self.code_dir(sha256).is_dir() && self.zip_path(sha256).is_file()
    }

    /// Stores a local directory (an emulator extension), as the zip archive of its files.
    pub fn put_dir(&self, dir: &Path) -> Result<CodeRef, CodeError> {
        let zip = crate::package::zip_dir(dir).map_err(|e| CodeError(e.to_string()))?;
        self.put_zip(&zip)
    }

    /// Where a stored package is extracted.
    pub fn code_dir(&self, sha256: &str) -> PathBuf {
        self.code_dir.join(sha256)
    }

    /// Where a stored package's archive is.
    pub fn zip_path(&self, sha256: &str) -> PathBuf {
        self.code_dir.join(format!("{sha256}.zip"))
    }

    fn marker_path(&self, sha256: &str) -> PathBuf {
        self.code_dir.join(format!("{sha256}.ok"))
    }

    /// Makes the store's packages exactly `referenced`: extracts again any whose extraction did not
    /// finish (from its archive, if that is intact), and removes every package nothing refers to.
    /// Returns the packages that could not be made whole.
    pub fn reconcile_packages(&self, referenced: &HashSet<String>) -> Vec<String> {
        let mut broken = Vec::new();
        for sha256 in referenced {
            if self.is_complete(sha256) {
                continue;
            }
            let repaired = std::fs::read(self.zip_path(sha256))
                .ok()
                .filter(|zip| hex(&Sha256::digest(zip)) == *sha256)
                .is_some_and(|zip| self.extract_package(sha256, &zip).is_ok() && self.mark_complete(sha256).is_ok());
            if repaired {
                tracing::warn!(package = %sha256, "extracted a code package again (its extraction had not finished)");
            } else {
                tracing::error!(package = %sha256, "a code package is damaged or missing");
                broken.push(sha256.clone());
            }
        }
        self.collect_garbage(referenced);
        broken
    }

    /// Removes the packages nothing refers to.
    pub fn collect_garbage(&self, referenced: &HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(&self.code_dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let sha256 = name.split('.').next().unwrap_or_default();
            let is_package = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if is_package && !referenced.contains(sha256) {
                remove_tree(&entry.path());
            }
        }
    }

    /// Where the merged layer directory `id` (see [`layer_dir_id`]) is.
    pub fn layer_dir(&self, id: &str) -> PathBuf {
        self.layer_root.join(id)
    }

    /// Merges stored packages, in order, into one read-only directory (what a function sees as
    /// `/opt`): a later package's entry replaces an earlier one's at the same path, as the service
    /// documents for layers. Built once (in a scratch directory, synced, renamed into place), so
    /// its existence means it is whole. Returns its id.
    pub fn put_layer_dir(&self, packages: &[String]) -> Result<String, CodeError> {
        let id = layer_dir_id(packages);
        let dir = self.layer_dir(&id);
        if dir.is_dir() {
            return Ok(id);
        }
        let tmp = self.layer_root.join(format!(".tmp-{}", crate::util::request_id()));
        let built = std::fs::create_dir(&tmp).and_then(|()| {
            for sha256 in packages {
                if !self.is_complete(sha256) {
                    return Err(std::io::Error::other(format!("the layer package {sha256} is not stored")));
                }
                merge_tree(&self.code_dir(sha256), &tmp)?;
            }
            make_read_only(&tmp);
            sync_filesystem(&tmp)?;
            std::fs::rename(&tmp, &dir)?;
            sync_dir(&self.layer_root)
        });
        built.map(|()| id).map_err(|e| {
            remove_tree(&tmp);
            CodeError(format!("cannot merge the layers: {e}"))
        })
    }

    /// Makes the merged layer directories exactly `referenced` (by id, with their packages in
    /// order): builds any that are missing, removes the others. Returns the ids that could not be
    /// built.
    pub fn reconcile_layer_dirs(&self, referenced: &HashMap<String, Vec<String>>) -> Vec<String> {
        let mut broken = Vec::new();
        for (id, packages) in referenced {
            if let Err(e) = self.put_layer_dir(packages) {
                tracing::error!(layers = %id, "cannot build a function's layer directory: {}", e.0);
                broken.push(id.clone());
            }
        }
        self.collect_layer_dirs(&referenced.keys().cloned().collect());
        broken
    }

    /// Removes the merged layer directories not in `referenced`.
    pub fn collect_layer_dirs(&self, referenced: &HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(&self.layer_root) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_layer_dir = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
            if is_layer_dir && !referenced.contains(&name) {
                remove_tree(&entry.path());
            }
        }
    }

    /// The packages in the store (archives), for tests and checks.
    pub fn packages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.code_dir) else { return Vec::new() };
        let mut packages: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".zip").map(str::to_owned))
            .filter(|name| !name.starts_with('.'))
            .collect();
        packages.sort();
        packages
    }
}

/// The id of the directory merging `packages` in this order: a hash of their hashes.
pub(crate) fn layer_dir_id(packages: &[String]) -> String {
    let mut hasher = Sha256::new();
    for sha256 in packages {
        hasher.update(sha256.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// Copies the tree `from` into the directory `into`, replacing whatever is at each path (a file, a
/// link, a directory where `from` has a file, a file where it has a directory); directories
/// merge. Files are hard links where possible (packages are read-only, so they can share). Links
/// are copied as links, never followed, and nothing is written through one: every directory
/// written into was made here or checked to be a real directory.
fn merge_tree(from: &Path, into: &Path) -> std::io::Result<()> {
    let mut pending = vec![(from.to_path_buf(), into.to_path_buf())];
    while let Some((source, target)) = pending.pop() {
        for entry in std::fs::read_dir(&source)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = target.join(entry.file_name());
            let existing = std::fs::symlink_metadata(&path).ok();
            if kind.is_dir() {
                if !existing.as_ref().is_some_and(|m| m.is_dir()) {
                    if existing.is_some() {
                        remove_tree(&path);
                    }
                    std::fs::create_dir(&path)?;
                }
                pending.push((entry.path(), path));
                continue;
            }
            if existing.is_some() {
                remove_tree(&path);
            }
            if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &path)?;
            } else if kind.is_file() && std::fs::hard_link(entry.path(), &path).is_err() {
                std::fs::copy(entry.path(), &path)?;
            }
        }
    }
    Ok(())
}

/// How much of the invocation log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogLimits {
    pub rows: u64,
    pub bytes: u64,
}

/// What `GetFunctionLogs` asks for.
#[derive(Debug, Clone)]
pub(crate) struct LogQuery {
    pub region: String,
    pub namespace: String,
    pub function: String,
    pub qualifier: Option<String>,
    pub request_id: Option<String>,
    /// Start times from, to (inclusive), as `YYYY-MM-DD hh:mm:ss`.
    pub window: Option<(String, String)>,
    pub ret_code: RetCodeFilter,
    pub order_by: LogOrder,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    /// The most bytes of records one answer carries.
    pub max_bytes: usize,
}

/// Which outcomes an invocation query keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetCodeFilter {
    Any,
    Success,
    Failure,
    /// One execution status code (430, 433, …).
    Status(i64),
}

/// What invocation records are sorted by (then by arrival).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogOrder {
    StartTime,
    FunctionName,
    Duration,
    MemUsage,
}

/// The tables holding records.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Namespaces,
    Functions,
    Aliases,
    AsyncEvents,
    Triggers,
    Layers,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Namespaces => "namespaces",
            Table::Functions => "functions",
            Table::Aliases => "aliases",
            Table::AsyncEvents => "async_events",
            Table::Triggers => "triggers",
            Table::Layers => "layers",
        }
    }
}

/// Writes inside one transaction.
pub(crate) struct Writer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Writer<'_> {
    pub fn put_namespace(&self, record: &NamespaceRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO namespaces (region, name, record) VALUES (?1, ?2, ?3)",
            params![record.region, record.name, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn delete_namespace(&self, scope: &Scope) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM namespaces WHERE region = ?1 AND name = ?2",
            params![scope.region, scope.namespace],
        )?;
        Ok(())
    }

    pub fn put_function(&self, record: &FunctionRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO functions (region, namespace, name, version, record) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![record.region, record.namespace, record.name, record.version, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    /// Deletes one version, or (with `None`) the function: every version, alias, asynchronous event
    /// and log record, and its version counter (a function made again under the name starts at 1).
    pub fn delete_function(&self, key: &FunctionKey, version: Option<&str>) -> Result<(), StoreError> {
        let (region, namespace, name) = (&key.scope.region, &key.scope.namespace, &key.name);
        match version {
            Some(version) => {
                self.tx.execute(
                    "DELETE FROM functions WHERE region = ?1 AND namespace = ?2 AND name = ?3 AND version = ?4",
                    params![region, namespace, name, version],
                )?;
            }
            None => {
                for table in [
                    "functions WHERE region = ?1 AND namespace = ?2 AND name = ?3",
                    "aliases WHERE region = ?1 AND namespace = ?2 AND function = ?3",
                    "invocations WHERE region = ?1 AND namespace = ?2 AND function = ?3",
                    "async_events WHERE region = ?1 AND namespace = ?2 AND function = ?3",
                    "triggers WHERE region = ?1 AND namespace = ?2 AND function = ?3",
                ] {
                    self.tx.execute(&format!("DELETE FROM {table}"), params![region, namespace, name])?;
                }
                self.tx.execute("DELETE FROM counters WHERE name = ?1", params![version_counter(key)])?;
            }
        }
        Ok(())
    }

    /// Whether the function (its `$LATEST`) is stored.
    pub fn has_function(&self, key: &FunctionKey) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM functions WHERE region = ?1 AND namespace = ?2 AND name = ?3 AND version = '$LATEST'",
                params![key.scope.region, key.scope.namespace, key.name],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    pub fn put_alias(&self, key: &FunctionKey, alias: &AliasRecord) -> Result<(), StoreError> {
        let stored =
            StoredAliasRef { region: &key.scope.region, namespace: &key.scope.namespace, function: &key.name, alias };
        self.tx.execute(
            "INSERT OR REPLACE INTO aliases (region, namespace, function, name, record) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.scope.region, key.scope.namespace, key.name, alias.name, serde_json::to_string(&stored)?],
        )?;
        Ok(())
    }

    pub fn delete_alias(&self, key: &FunctionKey, name: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM aliases WHERE region = ?1 AND namespace = ?2 AND function = ?3 AND name = ?4",
            params![key.scope.region, key.scope.namespace, key.name, name],
        )?;
        Ok(())
    }

    pub fn put_trigger(&self, record: &TriggerRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO triggers (region, namespace, function, type, name, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.region,
                record.namespace,
                record.function,
                record.kind.as_str(),
                record.name,
                serde_json::to_string(record)?
            ],
        )?;
        Ok(())
    }

    pub fn delete_trigger(&self, key: &TriggerKey) -> Result<(), StoreError> {
        let function = &key.function;
        self.tx.execute(
            "DELETE FROM triggers WHERE region = ?1 AND namespace = ?2 AND function = ?3 AND type = ?4 AND name = ?5",
            params![function.scope.region, function.scope.namespace, function.name, key.kind, key.name],
        )?;
        Ok(())
    }

    pub fn put_async_event(&self, record: &AsyncEventRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO async_events (request_id, region, namespace, function, record) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![record.request_id, record.region, record.namespace, record.function, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn delete_async_event(&self, request_id: &str) -> Result<(), StoreError> {
        self.tx.execute("DELETE FROM async_events WHERE request_id = ?1", params![request_id])?;
        Ok(())
    }

    pub fn add_log(&self, record: &LogRecord) -> Result<(), StoreError> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO invocations (region, namespace, function, qualifier, request_id, start_time, ret_code, duration, mem_usage, record, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let json = serde_json::to_string(record)?;
        let bytes = json.len() as i64;
        insert.execute(params![
            record.region,
            record.namespace,
            record.function,
            record.qualifier,
            record.request_id,
            record.start_time,
            record.ret_code,
            record.duration,
            record.mem_usage,
            json,
            bytes
        ])?;
        Ok(())
    }

    pub fn put_layer(&self, record: &LayerRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO layers (region, name, version, record) VALUES (?1, ?2, ?3, ?4)",
            params![record.region, record.name, record.version, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn delete_layer(&self, region: &str, name: &str, version: i64) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM layers WHERE region = ?1 AND name = ?2 AND version = ?3",
            params![region, name, version],
        )?;
        Ok(())
    }

    /// The next version number of a layer: never reused, even after every version is deleted.
    pub fn next_layer_version(&self, region: &str, name: &str) -> Result<i64, StoreError> {
        self.next(&format!("layer:{region}/{name}"))
    }

    /// The next version number of a function (numbers are not reused while it exists).
    pub fn next_version(&self, key: &FunctionKey) -> Result<i64, StoreError> {
        self.next(&version_counter(key))
    }

    /// Increments a counter and returns its new value.
    fn next(&self, counter: &str) -> Result<i64, StoreError> {
        let current: Option<i64> = self
            .tx
            .query_row("SELECT value FROM counters WHERE name = ?1", params![counter], |r| r.get(0))
            .optional()?;
        let next = current.unwrap_or(0) + 1;
        self.tx.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?1, ?2)", params![counter, next])?;
        Ok(next)
    }
}

/// The counter of a function's version numbers.
fn version_counter(key: &FunctionKey) -> String {
    format!("version:{}/{}/{}", key.scope.region, key.scope.namespace, key.name)
}

/// Creates the tables, or brings an older database up to the current schema (in one transaction).
fn migrate(db: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tx = db.transaction()?;
    let has_v0_tables =
        version == 0 && tx.prepare("SELECT 1 FROM sqlite_master WHERE name = 'functions'")?.exists([])?;
    if has_v0_tables {
        let has_bytes = tx.prepare("SELECT 1 FROM pragma_table_info('invocations') WHERE name = 'bytes'")?.exists([])?;
        if !has_bytes {
            tx.execute_batch("ALTER TABLE invocations ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;")?;
        }
        tx.execute_batch(MIGRATE_TO_REGIONS)?;
        tx.execute_batch(TABLES)?;
        for statement in COPY_FROM_V0.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let mut statement = tx.prepare(statement)?;
            if statement.parameter_count() == 1 {
                statement.execute(params![MIGRATED_REGION])?;
            } else {
                statement.execute([])?;
            }
        }
        tracing::info!(region = MIGRATED_REGION, "kept what was stored, now per region, in the region records name");
    } else {
        tx.execute_batch(TABLES)?;
    }
    tx.commit()?;
    Ok(())
}

/// Creates `path` (if missing) readable and writable by its owner only, and makes an existing one so.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Writes `path` and syncs it to disk.
fn write_synced(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(content)?;
    file.sync_all()
}

/// Syncs a directory's entries (a rename into it) to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Syncs everything written to the file system holding `path`: one call for a package's thousands
/// of files, instead of one each.
fn sync_filesystem(path: &Path) -> std::io::Result<()> {
    let dir = std::fs::File::open(path)?;
    rustix::fs::syncfs(&dir).map_err(std::io::Error::from)
}

/// Takes the write bits off every file and directory under `root` (links are left alone).
fn make_read_only(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    pending.push(entry.path());
                } else if kind.is_file()
                    && let Ok(metadata) = entry.metadata()
                {
                    let mode = metadata.permissions().mode() & 0o555;
                    let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode));
                }
            }
        }
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555));
    }
}

/// Removes a file or a directory tree, read-only directories included (their write bit is given
/// back first: without it, not even their owner may remove what is inside).
pub(crate) fn remove_tree(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::symlink_metadata(path) else { return };
    if !metadata.is_dir() {
        let _ = std::fs::remove_file(path);
        return;
    }
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            pending.extend(entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()));
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One invocation, as `GetFunctionLogs` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LogRecord {
    #[serde(default = "migrated_region")]
    pub region: String,
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

impl LogRecord {
    /// About the size of its stored form, in bytes.
    pub fn approximate_bytes(&self) -> u64 {
        (self.ret_msg.len() + self.log.len() + self.namespace.len() + self.function.len() + 256) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed (read-only packages too) when dropped.
    struct Temp(PathBuf);

    impl std::ops::Deref for Temp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            remove_tree(&self.0);
        }
    }

    fn temp(name: &str) -> Temp {
        let dir = std::env::temp_dir().join(format!("scf-local-store-{name}-{}", crate::util::request_id()));
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir)
    }

    #[test]
    fn code_round_trips_through_zip_with_executable_bits() {
        let source = temp("src");
        std::fs::create_dir_all(source.join("lib")).unwrap();
        std::fs::write(source.join("index.py"), "def main_handler(e, c): return 1\n").unwrap();
        std::fs::write(source.join("lib/util.py"), "X = 1\n").unwrap();
        std::fs::write(source.join("bootstrap"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(source.join("bootstrap"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = temp("data");
        let store = Store::open(&data).unwrap();
        let code = store.put_dir(&source).unwrap();
        assert_eq!(store.put_dir(&source).unwrap(), code, "deterministic and content-addressed");
        let dir = store.code_dir(&code.sha256);
        assert_eq!(std::fs::read_to_string(dir.join("lib/util.py")).unwrap(), "X = 1\n");
        let mode = std::fs::metadata(dir.join("bootstrap")).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
        assert!(store.zip_path(&code.sha256).is_file());
    }

    #[test]
    fn bad_archives_are_refused_and_leave_nothing() {
        let data = temp("bad");
        let store = Store::open(&data).unwrap();
        assert!(store.put_zip(b"not a zip").unwrap_err().0.contains("not a zip archive"));
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer.start_file("../escape.txt", zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(b"x").unwrap();
        let evil = writer.finish().unwrap().into_inner();
        assert!(store.put_zip(&evil).unwrap_err().0.contains("outside its root"));
        let leftovers: Vec<_> = std::fs::read_dir(data.join("code")).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    fn zip(files: &[(&str, &str)]) -> Vec<u8> {
        crate::package::zip_files(files).unwrap()
    }

    /// Layers merge in order: a later package's file replaces an earlier one's, whatever either is
    /// (a file, a directory); directories merge; the result is read-only, shared by every list of
    /// the same packages in the same order, and collected when unreferenced.
    #[test]
    fn layers_merge_in_order_later_ones_winning() {
        use std::os::unix::fs::PermissionsExt;
        let data = temp("layers");
        let store = Store::open(&data).unwrap();
        let first = store
            .put_zip(&zip(&[("mod.py", "first"), ("only_first.py", "1"), ("lib/a.txt", "a1"), ("x/inner", "dir")]))
            .unwrap()
            .sha256;
        let second =
            store.put_zip(&zip(&[("mod.py", "second"), ("lib/b.txt", "b2"), ("x", "file now")])).unwrap().sha256;
        let packages = vec![first.clone(), second.clone()];
        let id = store.put_layer_dir(&packages).unwrap();
        assert_eq!(id, layer_dir_id(&packages));
        let dir = store.layer_dir(&id);
        let read = |path: &str| std::fs::read_to_string(dir.join(path)).unwrap();
        assert_eq!(read("mod.py"), "second", "the later layer wins");
        assert_eq!(read("only_first.py"), "1");
        assert_eq!((read("lib/a.txt"), read("lib/b.txt")), ("a1".into(), "b2".into()), "directories merge");
        assert_eq!(read("x"), "file now", "a later file replaces an earlier directory");
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o222, 0, "read-only");
        assert_eq!(store.put_layer_dir(&packages).unwrap(), id, "built once, then reused");

        let reversed = store.put_layer_dir(&[second.clone(), first.clone()]).unwrap();
        assert_ne!(reversed, id, "the order is part of the identity");
        assert_eq!(std::fs::read_to_string(store.layer_dir(&reversed).join("mod.py")).unwrap(), "first");
        assert!(store.layer_dir(&reversed).join("x/inner").is_file(), "a later directory replaces an earlier file");

        assert!(store.put_layer_dir(&["0".repeat(64)]).unwrap_err().0.contains("not stored"));
        store.collect_layer_dirs(&[id.clone()].into_iter().collect());
        assert!(store.layer_dir(&id).is_dir());
        assert!(!store.layer_dir(&reversed).exists(), "unreferenced: removed");
        let leftovers: Vec<_> =
            std::fs::read_dir(data.join("layers")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no scratch directory left: {leftovers:?}");

        // At start: what is referenced and missing is built again from the packages.
        remove_tree(&store.layer_dir(&id));
        let broken = store.reconcile_layer_dirs(&[(id.clone(), packages)].into_iter().collect());
        assert!(broken.is_empty());
        assert_eq!(std::fs::read_to_string(store.layer_dir(&id).join("mod.py")).unwrap(), "second");
    }

    #[test]
    fn layer_version_numbers_are_per_region_and_never_reused() {
        let data = temp("layer-numbers");
        let store = Store::open(&data).unwrap();
        assert_eq!(store.write(|w| w.next_layer_version("ap-guangzhou", "l")).unwrap(), 1);
        assert_eq!(store.write(|w| w.next_layer_version("ap-guangzhou", "l")).unwrap(), 2);
        assert_eq!(store.write(|w| w.next_layer_version("ap-shanghai", "l")).unwrap(), 1);
        store.write(|w| w.delete_layer("ap-guangzhou", "l", 1)).unwrap();
        store.write(|w| w.delete_layer("ap-guangzhou", "l", 2)).unwrap();
        assert_eq!(store.write(|w| w.next_layer_version("ap-guangzhou", "l")).unwrap(), 3);
    }

    fn namespace(region: &str, name: &str) -> NamespaceRecord {
        NamespaceRecord {
            region: region.into(),
            name: name.into(),
            description: String::new(),
            add_time: String::new(),
            mod_time: String::new(),
        }
    }

    #[test]
    fn transactions_and_version_counters() {
        let data = temp("db");
        let store = Store::open(&data).unwrap();
        store.write(|w| w.put_namespace(&namespace("ap-guangzhou", "default"))).unwrap();
        let failed: Result<(), StoreError> = store.write(|w| {
            w.put_namespace(&namespace("ap-guangzhou", "half"))?;
            Err(StoreError("abort".into()))
        });
        assert!(failed.is_err());
        let all: Vec<serde_json::Value> = store.all(Table::Namespaces).unwrap();
        assert_eq!(all.len(), 1, "the aborted write left nothing");
        let scope = Scope { region: "ap-guangzhou".into(), namespace: "default".into() };
        let key = scope.function("f");
        let elsewhere = Scope { region: "ap-shanghai".into(), ..scope.clone() }.function("f");
        assert_eq!(store.write(|w| w.next_version(&key)).unwrap(), 1);
        assert_eq!(store.write(|w| w.next_version(&key)).unwrap(), 2);
        assert_eq!(store.write(|w| w.next_version(&elsewhere)).unwrap(), 1, "numbers are per region");
        store.write(|w| w.delete_function(&key, Some("1"))).unwrap();
        assert_eq!(store.write(|w| w.next_version(&key)).unwrap(), 3, "not reused while the function exists");
        store.write(|w| w.delete_function(&key, None)).unwrap();
        assert_eq!(store.write(|w| w.next_version(&key)).unwrap(), 1, "a new function starts again at 1");
    }

    /// A data directory from before regions: its records move to the documented region.
    #[test]
    fn a_store_without_regions_is_migrated() {
        let dir = temp("v0");
        let dir = &*dir;
        {
            let db = Connection::open(dir.join("scf-local.db")).unwrap();
            db.execute_batch(
                r#"
                CREATE TABLE namespaces (name TEXT PRIMARY KEY, record TEXT NOT NULL);
                CREATE TABLE functions (namespace TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (namespace, name, version));
                CREATE TABLE aliases (namespace TEXT NOT NULL, function TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (namespace, function, name));
                CREATE TABLE async_events (request_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, function TEXT NOT NULL, record TEXT NOT NULL);
                CREATE TABLE invocations (seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, function TEXT NOT NULL, qualifier TEXT NOT NULL, request_id TEXT NOT NULL, start_time TEXT NOT NULL, ret_code INTEGER NOT NULL, duration REAL NOT NULL, mem_usage INTEGER NOT NULL, record TEXT NOT NULL);
                CREATE INDEX invocations_by_function ON invocations (namespace, function, seq);
                CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO namespaces VALUES ('default', '{"name":"default","description":"","add_time":"t","mod_time":"t"}');
                INSERT INTO invocations (namespace, function, qualifier, request_id, start_time, ret_code, duration, mem_usage, record)
                    VALUES ('default', 'f', '$LATEST', 'r', 't', 0, 1.0, 1, '{}');
                INSERT INTO counters VALUES ('version:default/f', 4);
                "#,
            )
            .unwrap();
        }
        let store = Store::open(dir).unwrap();
        let namespaces: Vec<NamespaceRecord> = store.all(Table::Namespaces).unwrap();
        assert_eq!(namespaces[0].region, MIGRATED_REGION);
        assert_eq!(store.log_usage().unwrap().0, 1, "invocation records kept");
        let key = Scope { region: MIGRATED_REGION.into(), namespace: "default".into() }.function("f");
        assert_eq!(store.write(|w| w.next_version(&key)).unwrap(), 5, "version numbers continue");
        drop(store);
        let again = Store::open(dir).unwrap();
        assert_eq!(again.all::<NamespaceRecord>(Table::Namespaces).unwrap().len(), 1, "migrated once");
    }

    fn log(function: &str, qualifier: &str, n: u32, ret_code: i64, duration: f64) -> LogRecord {
        LogRecord {
            region: "ap-guangzhou".into(),
            namespace: "default".into(),
            function: function.into(),
            qualifier: qualifier.into(),
            request_id: format!("req-{n}"),
            start_time: format!("2026-12-01 10:00:{n:02}"),
            duration,
            bill_duration: 1,
            mem_usage: i64::from(n) * 1024,
            ret_code,
            ret_msg: format!("answer {n}"),
            log: String::new(),
        }
    }

    fn query(function: &str) -> LogQuery {
        LogQuery {
            region: "ap-guangzhou".into(),
            namespace: "default".into(),
            function: function.into(),
            qualifier: None,
            request_id: None,
            window: None,
            ret_code: RetCodeFilter::Any,
            order_by: LogOrder::StartTime,
            descending: false,
            offset: 0,
            limit: 100,
            max_bytes: usize::MAX,
        }
    }

    fn ids(answer: (u64, Vec<LogRecord>)) -> (u64, Vec<String>) {
        (answer.0, answer.1.into_iter().map(|r| r.request_id).collect())
    }

    /// `GetFunctionLogs`' filters, order, paging and size cap, and the trimming that bounds the
    /// log, all done by SQLite: each checked on its own.
    #[test]
    fn invocation_records_are_filtered_sorted_paged_capped_and_trimmed() {
        let data = temp("logs");
        let store = Store::open(&data).unwrap();
        let records = [
            log("f", "$LATEST", 1, 0, 5.0),
            log("f", "1", 2, 433, 3.0),
            log("f", "$LATEST", 3, 430, 9.0),
            log("f", "1", 4, 0, 1.0),
            log("g", "$LATEST", 5, 0, 2.0),
        ];
        store.write(|w| records.iter().try_for_each(|r| w.add_log(r))).unwrap();
        let strings = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let all = strings(&["req-1", "req-2", "req-3", "req-4"]);

        assert_eq!(ids(store.logs(&query("f")).unwrap()), (4, all.clone()), "one function's records only");
        let other_region = LogQuery { region: "ap-shanghai".into(), ..query("f") };
        assert_eq!(store.logs(&other_region).unwrap().0, 0, "regions are kept apart");
        let version_1 = LogQuery { qualifier: Some("1".into()), ..query("f") };
        assert_eq!(ids(store.logs(&version_1).unwrap()), (2, strings(&["req-2", "req-4"])));
        let one = LogQuery { request_id: Some("req-3".into()), ..query("f") };
        assert_eq!(ids(store.logs(&one).unwrap()), (1, strings(&["req-3"])));
        let window =
            LogQuery { window: Some(("2026-12-01 10:00:02".into(), "2026-12-01 10:00:03".into())), ..query("f") };
        assert_eq!(ids(store.logs(&window).unwrap()), (2, strings(&["req-2", "req-3"])), "inclusive at both ends");

        for (filter, expected) in [
            (RetCodeFilter::Success, &["req-1", "req-4"][..]),
            (RetCodeFilter::Failure, &["req-2", "req-3"]),
            (RetCodeFilter::Status(433), &["req-2"]),
            (RetCodeFilter::Status(434), &[]),
        ] {
            let filtered = LogQuery { ret_code: filter, ..query("f") };
            assert_eq!(ids(store.logs(&filtered).unwrap()).1, strings(expected), "{filter:?}");
        }

        let by_duration = LogQuery { order_by: LogOrder::Duration, descending: true, ..query("f") };
        assert_eq!(ids(store.logs(&by_duration).unwrap()).1, strings(&["req-3", "req-1", "req-2", "req-4"]));
        let by_memory = LogQuery { order_by: LogOrder::MemUsage, ..query("f") };
        assert_eq!(ids(store.logs(&by_memory).unwrap()).1, all);
        let page = LogQuery { offset: 1, limit: 2, ..query("f") };
        assert_eq!(ids(store.logs(&page).unwrap()), (4, strings(&["req-2", "req-3"])), "TotalCount counts all");
        let past_the_end = LogQuery { offset: u64::MAX, ..query("f") };
        assert_eq!(ids(store.logs(&past_the_end).unwrap()), (4, vec![]));

        // A size cap smaller than one record still answers that record, and only it.
        let tiny = LogQuery { max_bytes: 1, ..query("f") };
        assert_eq!(ids(store.logs(&tiny).unwrap()), (4, strings(&["req-1"])));

        // Trimming keeps the newest records within the row and byte limits.
        store.trim_logs(LogLimits { rows: 3, bytes: u64::MAX }).unwrap();
        assert_eq!(store.log_usage().unwrap().0, 3);
        assert_eq!(ids(store.logs(&query("f")).unwrap()).1, strings(&["req-3", "req-4"]), "the oldest went first");
        let (_, bytes) = store.log_usage().unwrap();
        store.trim_logs(LogLimits { rows: 100, bytes: bytes - 1 }).unwrap();
        assert_eq!(store.log_usage().unwrap().0, 2, "one record over the byte limit: the oldest goes");
        assert_eq!(ids(store.logs(&query("g")).unwrap()).1, strings(&["req-5"]));
    }
}
