//! Running functions: every language through one contract, the SCF custom-runtime protocol.
//!
//! Python and Node.js functions run under small bootstraps of ours (`bootstraps/`) that speak the
//! protocol and call `index.main_handler(event, context)`; any other code package runs its own
//! executable `bootstrap` (a custom runtime). Instances are pooled per function version: warm ones
//! are reused, more are started on demand up to a limit, idle ones are stopped.

mod instance;
mod pool;
mod process_tree;
mod runtime_api;
mod web;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(crate) use instance::{Completed, InstanceSpec, Outcome, StartError};
pub(crate) use pool::{NoInstance, Pools, PoolsConfig};
pub(crate) use web::{Ended, ForwardError, NoWebInstance};
pub(crate) use web::{bootstrap as web_bootstrap, is_hop_by_hop};

const PYTHON_BOOTSTRAP: &str = include_str!("bootstraps/python_bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstraps/node_bootstrap.js");

/// The process groups of every live instance (with its code directory), so that stopping the
/// emulator can kill them all — including anything the functions started — even while invocations
/// are running, and so that a code package in use is not removed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Groups(Arc<Mutex<HashMap<i32, Member>>>);

/// A live instance: its code directory, and the marker its processes carry in their environment.
#[derive(Debug, Clone)]
struct Member {
    code_dir: PathBuf,
    marker: String,
    /// Other stored directories it runs from (its merged layers), kept while it lives.
    uses: Vec<PathBuf>,
}

impl Groups {
    /// Registers the live instance `group`, started from `spec` with `marker` in its processes'
    /// environment: its code directory and merged layers are in use while it lives.
    fn add(&self, group: i32, spec: &InstanceSpec, marker: String) {
        let uses = spec.layer_dir.iter().cloned().collect();
        self.lock().insert(group, Member { code_dir: spec.code_dir.clone(), marker, uses });
    }

    /// Kills `group` and unregisters it, if it is still registered (so never after its process was
    /// reaped: the system may reuse its id). Whoever stops an instance first does it — its owner
    /// dropping it, or its supervisor when the process ends — and at once, so a code package's
    /// collection right after sees the package free.
    fn stop(&self, group: i32) {
        let mut groups = self.lock();
        if let Some(member) = groups.remove(&group) {
            process_tree::kill_tree(group, &member.marker);
        }
    }

    /// Kills every instance (SIGKILL), with everything it started.
    pub fn kill_all(&self) {
        for (group, member) in self.lock().drain() {
            process_tree::kill_tree(group, &member.marker);
        }
    }

    /// How many instances are alive.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The code directories (and merged layer directories) of live instances.
    pub fn code_dirs(&self) -> HashSet<PathBuf> {
        self.lock().values().flat_map(|member| std::iter::once(&member.code_dir).chain(&member.uses)).cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Member>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The kind of runtime a function uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuntimeKind {
    Python,
    Node,
    /// The code package's own executable `bootstrap`.
    Custom,
}

impl RuntimeKind {
    /// The kind for an SCF runtime name (`Python3.9`, `Nodejs18.15`, `CustomRuntime`), if the
    /// emulator can run it.
    pub fn of(runtime: &str) -> Option<RuntimeKind> {
        let lower = runtime.to_ascii_lowercase();
        if lower.starts_with("python3") {
            Some(RuntimeKind::Python)
        } else if lower.starts_with("nodejs") {
            Some(RuntimeKind::Node)
        } else if lower == "customruntime" {
            Some(RuntimeKind::Custom)
        } else {
            None
        }
    }
}

/// The local interpreters and the bootstraps written for them.
#[derive(Debug, Clone)]
pub(crate) struct Runtimes {
    python: Option<Interpreter>,
    node: Option<Interpreter>,
    python_bootstrap: PathBuf,
    node_bootstrap: PathBuf,
}

#[derive(Debug, Clone)]
struct Interpreter {
    path: PathBuf,
    /// `major.minor` (Python) or `major` (Node.js).
    version: String,
}

impl Runtimes {
    /// Finds `python3` and `node` (names or paths) and writes the bootstraps under `dir`.
    pub fn prepare(dir: &Path, python: &str, node: &str) -> std::io::Result<Runtimes> {
        std::fs::create_dir_all(dir)?;
        let python_bootstrap = dir.join("python_bootstrap.py");
        let node_bootstrap = dir.join("node_bootstrap.js");
        write_if_changed(&python_bootstrap, PYTHON_BOOTSTRAP)?;
        write_if_changed(&node_bootstrap, NODE_BOOTSTRAP)?;
        // Ask each interpreter for its real path: `python3` on `PATH` may be a shim (pyenv, asdf)
        // that would add its own start-up time to every cold start.
        let python = find(python).and_then(|path| {
            interpreter(&path, &["-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"])
        });
        let node = find(node).and_then(|path| {
            interpreter(
                &path,
                &["-e", "console.log(process.versions.node.split('.')[0]); console.log(process.execPath)"],
            )
        });
        Ok(Runtimes { python, node, python_bootstrap, node_bootstrap })
    }

    /// The program and arguments that run a function of `kind` from `code_dir`, or why it cannot
    /// run here.
    pub fn command(&self, kind: RuntimeKind, runtime: &str, code_dir: &Path) -> Result<(PathBuf, Vec<String>), String> {
        match kind {
            RuntimeKind::Python => {
                let python = self.python.as_ref().ok_or("no `python3` was found on this machine")?;
                warn_on_version_mismatch(runtime, "Python", &python.version);
                Ok((python.path.clone(), vec!["-u".into(), self.python_bootstrap.display().to_string()]))
            }
            RuntimeKind::Node => {
                let node = self.node.as_ref().ok_or("no `node` was found on this machine")?;
                warn_on_version_mismatch(runtime, "Nodejs", &node.version);
                Ok((node.path.clone(), vec![self.node_bootstrap.display().to_string()]))
            }
            RuntimeKind::Custom => {
                let bootstrap = code_dir.join("bootstrap");
                if !bootstrap.is_file() {
                    return Err(
                        "a custom runtime needs an executable `bootstrap` at the top of the code package".into()
                    );
                }
                Ok((bootstrap, Vec::new()))
            }
        }
    }
}

/// A different local version is a warning, not an error (once per runtime name).
fn warn_on_version_mismatch(runtime: &str, prefix: &str, local: &str) {
    static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let wanted = runtime.get(prefix.len()..).unwrap_or_default();
    let matches =
        wanted == local || wanted.starts_with(&format!("{local}.")) || wanted.split('.').next() == Some(local);
    if !matches {
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if warned.get_or_insert_with(HashSet::new).insert(runtime.to_owned()) {
            tracing::warn!("functions with runtime {runtime} run on the local {prefix} {local}");
        }
    }
}

fn write_if_changed(path: &Path, content: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(content) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, content)?;
        std::fs::rename(tmp, path)?;
    }
    Ok(())
}

/// `name` on `PATH` (or `name` itself when it is a path).
fn find(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(name)).find(|p| p.is_file())
}

/// Runs `program` with `args`, which print the version and then the interpreter's own path.
fn interpreter(program: &Path, args: &[&str]) -> Option<Interpreter> {
    let output = std::process::Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines().map(str::trim);
    let version = lines.next().filter(|v| !v.is_empty())?.to_owned();
    let path = lines.next().map(PathBuf::from).filter(|p| p.is_file()).unwrap_or_else(|| program.to_path_buf());
    Some(Interpreter { path, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names() {
        assert_eq!(RuntimeKind::of("Python3.9"), Some(RuntimeKind::Python));
        assert_eq!(RuntimeKind::of("Nodejs18.15"), Some(RuntimeKind::Node));
        assert_eq!(RuntimeKind::of("CustomRuntime"), Some(RuntimeKind::Custom));
        assert_eq!(RuntimeKind::of("Go1"), None);
        assert_eq!(RuntimeKind::of("Python2.7"), None);
    }
}
