//! What the `scf` tests share: an `scf-local` emulator started in the test process (on its own
//! multi-thread runtime, so it serves while the test waits for `scf`), and `scf` spawned with a
//! clean environment — an empty temporary HOME and no TENCENTCLOUD_* variables but those a test
//! sets — so that the machine's own configuration never leaks in.
#![allow(dead_code, clippy::unwrap_used)] // Each test file uses part of it; tests fail by panicking.

use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use scf_local::{Emulator, EmulatorConfig};

/// How long one `scf` run may take unless a test says otherwise.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// The region every test calls.
pub const REGION: &str = "ap-guangzhou";

/// An emulator and the runtime it runs on. Dropping it stops the emulator and its functions.
pub struct Local {
    emulator: Option<Emulator>,
    runtime: tokio::runtime::Runtime,
    /// The HOME `scf` sees: empty unless the test writes profiles into it.
    pub home: tempfile::TempDir,
}

impl Local {
    pub fn start() -> Local {
        Self::start_with(EmulatorConfig::default())
    }

    pub fn start_with(config: EmulatorConfig) -> Local {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let emulator = runtime.block_on(Emulator::start(config)).expect("the emulator starts");
        Local { emulator: Some(emulator), runtime, home: tempfile::tempdir().unwrap() }
    }

    pub fn emulator(&self) -> &Emulator {
        self.emulator.as_ref().unwrap()
    }

    pub fn endpoint(&self) -> String {
        self.emulator().endpoint_url()
    }

    /// An SDK client for the emulator, to set a scene faster than through `scf`.
    pub fn client(&self) -> scf_sdk::Client {
        self.emulator().client().unwrap()
    }

    /// Runs `future` on the emulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// `scf` with only HOME and PATH: no endpoint, no keys, no region.
    pub fn bare(&self) -> Scf {
        Scf::new(self.home.path())
    }

    /// `scf` pointed at the emulator: `--endpoint-url` and `--region` before the command, the
    /// emulator's keys in the environment.
    pub fn scf(&self) -> Scf {
        self.pointed(self.bare())
    }

    /// As [`Local::scf`], started by `sh -c SCRIPT` with `$0` the `scf` binary (for redirections a
    /// test cannot make through pipes, as `exec "$0" "$@" >/dev/full`).
    pub fn scf_via_shell(&self, script: &str) -> Scf {
        self.pointed(Scf::via_shell(self.home.path(), script))
    }

    fn pointed(&self, scf: Scf) -> Scf {
        let credentials = self.emulator().credentials();
        scf.env("TENCENTCLOUD_SECRET_ID", credentials.secret_id())
            .env("TENCENTCLOUD_SECRET_KEY", credentials.secret_key())
            .args(["--endpoint-url", &self.endpoint(), "--region", REGION])
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // Stop it on its runtime, then let the runtime go.
        let _guard = self.runtime.enter();
        drop(self.emulator.take());
    }
}

/// A command line for `scf`.
#[derive(Debug)]
pub struct Scf {
    command: assert_cmd::Command,
}

impl Scf {
    /// `scf` with an environment of HOME and PATH only.
    pub fn new(home: &Path) -> Scf {
        Scf::clean(assert_cmd::Command::new(env!("CARGO_BIN_EXE_scf")), home)
    }

    /// `scf` started by `sh -c SCRIPT`, `$0` being the binary and `$@` the arguments given later.
    pub fn via_shell(home: &Path, script: &str) -> Scf {
        let mut shell = assert_cmd::Command::new("sh");
        shell.args(["-c", script, env!("CARGO_BIN_EXE_scf")]);
        Scf::clean(shell, home)
    }

    /// The clean environment, and a deadline: a hang fails the test (a test that waits longer
    /// sets its own with [`Scf::timeout`]).
    fn clean(mut command: assert_cmd::Command, home: &Path) -> Scf {
        // No instance metadata service on a test machine: the credentials chain's CVM role must
        // not go looking for one.
        command.env_clear().env("HOME", home).env("TENCENTCLOUD_METADATA_DISABLED", "true").timeout(DEADLINE);
        // PATH to find tools; LLVM_PROFILE_FILE so that a coverage run (`cargo llvm-cov`) counts
        // the command's lines (and leaves no profile in the working directory).
        for name in ["PATH", "LLVM_PROFILE_FILE"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        Scf { command }
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Scf {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Scf {
        self.command.env(key, value);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Scf {
        self.command.write_stdin(input);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Scf {
        self.command.current_dir(dir);
        self
    }

    /// The Rust toolchain `scf deploy` builds Cargo packages with, under the clean environment:
    /// `CARGO` (this test's cargo), and where rustup and cargo keep their files (HOME is a scratch
    /// directory here).
    pub fn with_toolchain(mut self) -> Scf {
        self = self.env("CARGO", std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        for (name, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
            match (std::env::var_os(name), &home) {
                (Some(value), _) => self = self.env(name, value),
                (None, Some(home)) => self = self.env(name, home.join(default)),
                (None, None) => {}
            }
        }
        for name in ["RUSTUP_TOOLCHAIN", "RUSTC", "RUSTUP_AUTO_INSTALL"] {
            if let Some(value) = std::env::var_os(name) {
                self = self.env(name, value);
            }
        }
        self
    }

    /// Kills `scf` if it runs longer than `limit` (the run then fails).
    pub fn timeout(mut self, limit: std::time::Duration) -> Scf {
        self.command.timeout(limit);
        self
    }

    /// Runs it to the end.
    pub fn run(mut self) -> Run {
        Run::from(self.command.output().unwrap())
    }
}

/// What a finished `scf` said.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with everything `scf` said unless it exited with `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn ok(self) -> Run {
        self.expect_code(0)
    }

    /// stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// The last line of stderr as JSON: the error object after a command's progress notes.
    pub fn last_line_json(&self) -> serde_json::Value {
        let line = self.stderr.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| panic!("the last line is not JSON ({e}): {}", self.stderr))
    }

    /// stderr as JSON (an error object).
    pub fn error_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stderr).unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", self.stderr))
    }
}

/// A Python function's code directory under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// A local port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Creates a Python function through `scf deploy`.
pub fn deploy_python(local: &Local, name: &str, source: &str) {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("index.py", source)]);
    local
        .scf()
        .args(["deploy", dir.path().to_str().unwrap(), "--function-name", name, "--runtime", "Python3.9"])
        .args(["--handler", "index.main_handler"])
        .run()
        .ok();
}
