//! Everything the emulator must not lose across restarts, in its data directory:
//! - `scf-local.db` (SQLite): namespaces, functions and their versions, aliases, asynchronous
//!   events, invocation records — each row a JSON record (with the columns queries filter on),
//!   written in transactions;
//! - `code/<sha256>.zip` and `code/<sha256>/`: code packages, as uploaded and extracted,
//!   content-addressed and written through a temporary name and a rename, so a crash mid-write
//!   leaves nothing half-written in place.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

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

/// Limit on a package's extracted size (the service allows 500 MB per version, code and layers).
const MAX_EXTRACTED_BYTES: u64 = 500 * 1024 * 1024;

pub(crate) struct Store {
    db: Mutex<Connection>,
    code_dir: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("code_dir", &self.code_dir).finish_non_exhaustive()
    }
}

/// The tables; every record is JSON, so the schema stays stable as records grow.
const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS functions (
        namespace TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (namespace, name, version));
    CREATE TABLE IF NOT EXISTS aliases (
        namespace TEXT NOT NULL, function TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (namespace, function, name));
    CREATE TABLE IF NOT EXISTS async_events (
        request_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, function TEXT NOT NULL, record TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS invocations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, function TEXT NOT NULL,
        qualifier TEXT NOT NULL, request_id TEXT NOT NULL, start_time TEXT NOT NULL,
        ret_code INTEGER NOT NULL, duration REAL NOT NULL, mem_usage INTEGER NOT NULL, record TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS invocations_by_function ON invocations (namespace, function, seq);
    CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

impl Store {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let code_dir = data_dir.join("code");
        std::fs::create_dir_all(&code_dir)?;
        let db = Connection::open(data_dir.join("scf-local.db"))?;
        db.execute_batch(SCHEMA)?;
        // Leftovers of an interrupted write are never referenced: remove them.
        for entry in std::fs::read_dir(&code_dir)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
        Ok(Store { db: Mutex::new(db), code_dir })
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
    pub fn logs(&self, query: &LogQuery) -> Result<(u64, Vec<crate::state::LogRecord>), StoreError> {
        let mut filter = String::from("namespace = ? AND function = ?");
        let mut values: Vec<rusqlite::types::Value> =
            vec![query.namespace.clone().into(), query.function.clone().into()];
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
        let records = rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect::<Result<Vec<_>, StoreError>>()?;
        Ok((total.max(0) as u64, records))
    }

    /// Keeps only the newest `keep` invocation records.
    pub fn trim_logs(&self, keep: i64) -> Result<(), StoreError> {
        self.db().execute(
            "DELETE FROM invocations WHERE seq <= (SELECT seq FROM invocations ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
            params![keep],
        )?;
        Ok(())
    }

    /// Stores a zip archive: checks it, extracts it, keeps both. Content-addressed, so storing the
    /// same archive twice costs nothing.
    pub fn put_zip(&self, zip: &[u8]) -> Result<CodeRef, CodeError> {
        let sha256 = hex(&Sha256::digest(zip));
        let code = CodeRef { sha256: sha256.clone(), size: zip.len() as u64 };
        let dir = self.code_dir(&sha256);
        if dir.is_dir() && self.zip_path(&sha256).is_file() {
            return Ok(code);
        }
        let internal = |e: std::io::Error| CodeError(format!("cannot store the code: {e}"));
        let tmp_dir = self.code_dir.join(format!(".tmp-{}", crate::util::request_id()));
        let extracted = extract(zip, &tmp_dir);
        if let Err(e) = extracted {
            let _ = std::fs::remove_dir_all(&tmp_dir);
            return Err(e);
        }
        let tmp_zip = self.code_dir.join(format!(".tmp-{}.zip", crate::util::request_id()));
        std::fs::write(&tmp_zip, zip).map_err(internal)?;
        std::fs::rename(&tmp_zip, self.zip_path(&sha256)).map_err(internal)?;
        if !dir.is_dir()
            && let Err(e) = std::fs::rename(&tmp_dir, &dir)
            // Another request storing the same package at the same moment may have won the rename.
            && !dir.is_dir()
        {
            let _ = std::fs::remove_dir_all(&tmp_dir);
            return Err(internal(e));
        }
        // Still there only if the package was stored already.
        let _ = std::fs::remove_dir_all(&tmp_dir);
        Ok(code)
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
}

/// What `GetFunctionLogs` asks for.
#[derive(Debug, Clone)]
pub(crate) struct LogQuery {
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
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Namespaces => "namespaces",
            Table::Functions => "functions",
            Table::Aliases => "aliases",
            Table::AsyncEvents => "async_events",
        }
    }
}

/// Writes inside one transaction.
pub(crate) struct Writer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl Writer<'_> {
    pub fn put_namespace<T: Serialize>(&self, name: &str, record: &T) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO namespaces (name, record) VALUES (?1, ?2)",
            params![name, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn delete_namespace(&self, name: &str) -> Result<(), StoreError> {
        self.tx.execute("DELETE FROM namespaces WHERE name = ?1", params![name])?;
        Ok(())
    }

    pub fn put_function<T: Serialize>(
        &self,
        namespace: &str,
        name: &str,
        version: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO functions (namespace, name, version, record) VALUES (?1, ?2, ?3, ?4)",
            params![namespace, name, version, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    /// Deletes one version, or (with `None`) every version, every alias and the logs of a function.
    pub fn delete_function(&self, namespace: &str, name: &str, version: Option<&str>) -> Result<(), StoreError> {
        match version {
            Some(version) => {
                self.tx.execute(
                    "DELETE FROM functions WHERE namespace = ?1 AND name = ?2 AND version = ?3",
                    params![namespace, name, version],
                )?;
            }
            None => {
                self.tx
                    .execute("DELETE FROM functions WHERE namespace = ?1 AND name = ?2", params![namespace, name])?;
                self.tx
                    .execute("DELETE FROM aliases WHERE namespace = ?1 AND function = ?2", params![namespace, name])?;
                self.tx.execute(
                    "DELETE FROM invocations WHERE namespace = ?1 AND function = ?2",
                    params![namespace, name],
                )?;
            }
        }
        Ok(())
    }

    pub fn put_alias<T: Serialize>(
        &self,
        namespace: &str,
        function: &str,
        name: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO aliases (namespace, function, name, record) VALUES (?1, ?2, ?3, ?4)",
            params![namespace, function, name, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn delete_alias(&self, namespace: &str, function: &str, name: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM aliases WHERE namespace = ?1 AND function = ?2 AND name = ?3",
            params![namespace, function, name],
        )?;
        Ok(())
    }

    pub fn put_async_event<T: Serialize>(
        &self,
        request_id: &str,
        namespace: &str,
        function: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO async_events (request_id, namespace, function, record) VALUES (?1, ?2, ?3, ?4)",
            params![request_id, namespace, function, serde_json::to_string(record)?],
        )?;
        Ok(())
    }

    pub fn add_log(&self, record: &crate::state::LogRecord) -> Result<(), StoreError> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO invocations (namespace, function, qualifier, request_id, start_time, ret_code, duration, mem_usage, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        insert.execute(params![
            record.namespace,
            record.function,
            record.qualifier,
            record.request_id,
            record.start_time,
            record.ret_code,
            record.duration,
            record.mem_usage,
            serde_json::to_string(record)?
        ])?;
        Ok(())
    }

    /// Increments a counter and returns its new value (version numbers are never reused).
    pub fn next(&self, counter: &str) -> Result<i64, StoreError> {
        let current: Option<i64> = self
            .tx
            .query_row("SELECT value FROM counters WHERE name = ?1", params![counter], |r| r.get(0))
            .optional()?;
        let next = current.unwrap_or(0) + 1;
        self.tx.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?1, ?2)", params![counter, next])?;
        Ok(next)
    }
}

/// Extracts `zip` into `dest`, refusing paths that leave it and archives that expand too much.
fn extract(zip: &[u8], dest: &Path) -> Result<(), CodeError> {
    let bad = |why: String| CodeError(why);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| bad(format!("the code is not a zip archive ({e})")))?;
    std::fs::create_dir_all(dest).map_err(|e| bad(format!("cannot create {}: {e}", dest.display())))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(format!("the zip archive is damaged ({e})")))?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(bad(format!(
                "the zip archive has an entry outside its root: `{}`",
                entry.name().unwrap_or_default()
            )));
        };
        let path = dest.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| bad(e.to_string()))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
        }
        let mut out = std::fs::File::create(&path).map_err(|e| bad(e.to_string()))?;
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buf).map_err(|e| bad(format!("the zip archive is damaged ({e})")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_EXTRACTED_BYTES {
                return Err(bad(format!("the code expands to more than {} MB", MAX_EXTRACTED_BYTES / 1024 / 1024)));
            }
            out.write_all(&buf[..n]).map_err(|e| bad(e.to_string()))?;
        }
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777));
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scf-local-store-{name}-{}", crate::util::request_id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
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
        let store = Store::open(&temp("data")).unwrap();
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

    #[test]
    fn transactions_and_counters() {
        let store = Store::open(&temp("db")).unwrap();
        store.write(|w| w.put_namespace("default", &serde_json::json!({"name": "default"}))).unwrap();
        let failed: Result<(), StoreError> = store.write(|w| {
            w.put_namespace("half", &serde_json::json!({"name": "half"}))?;
            Err(StoreError("abort".into()))
        });
        assert!(failed.is_err());
        let all: Vec<serde_json::Value> = store.all(Table::Namespaces).unwrap();
        assert_eq!(all.len(), 1, "the aborted write left nothing");
        assert_eq!(store.write(|w| w.next("v")).unwrap(), 1);
        assert_eq!(store.write(|w| w.next("v")).unwrap(), 2);
    }
}
