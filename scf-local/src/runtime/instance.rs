//! One instance of a function: a process of its own (in its own process group), its runtime API,
//! and a supervisor task that hands it one event at a time and watches the clock, memory and exit.

use std::future::Future as _;
use std::path::PathBuf;
use std::pin::pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::sync::{mpsc, oneshot};

use super::process_tree;
use super::runtime_api::{Completion, Delivery, RuntimeApi};

/// Everything needed to start an instance.
#[derive(Debug, Clone)]
pub(crate) struct InstanceSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub code_dir: PathBuf,
    /// The merged layers (what stands for `/opt`), if the function binds any.
    pub layer_dir: Option<PathBuf>,
    /// The whole environment of the process (nothing is inherited from the emulator).
    pub env: Vec<(String, String)>,
    pub memory_limit_mb: u64,
    pub timeout: Duration,
    pub init_timeout: Duration,
    /// Parent of the per-instance temporary directories.
    pub scratch_root: PathBuf,
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The function answered (`/runtime/invocation/response`).
    Response(Bytes),
    /// The function reported an error (`/runtime/invocation/error`).
    FunctionError(Bytes),
    /// The function returned more than the service allows (6 MB).
    ResultTooLarge,
    /// The timeout expired; the process was killed.
    Timeout,
    /// The process used more memory than configured; it was killed.
    OutOfMemory,
    /// The process exited while running the event.
    Exited(String),
}

impl Outcome {
    /// Whether the instance is gone after this outcome.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Outcome::Timeout | Outcome::OutOfMemory | Outcome::Exited(_))
    }
}

/// A finished invocation.
#[derive(Debug, Clone)]
pub(crate) struct Completed {
    pub outcome: Outcome,
    /// What the process wrote to stdout and stderr while running the event.
    pub output: String,
    pub duration: Duration,
    /// Peak resident memory during the invocation, in bytes.
    pub peak_memory: u64,
}

/// Why an instance could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartError {
    /// The program could not be run at all (missing, not executable): nothing of the function ran.
    Spawn(String),
    /// The process exited (or dropped its runtime API) before it was ready: the code failed to
    /// load, or the handler is missing.
    Exited(String),
    /// It was not ready within the initialisation timeout.
    Timeout(String),
}

struct Job {
    request_id: String,
    event: Bytes,
    reply: oneshot::Sender<Completed>,
}

/// A started instance. Dropping it stops the process, at once, even mid-invocation.
#[derive(Debug)]
pub(crate) struct Instance {
    jobs: mpsc::Sender<Job>,
    groups: super::Groups,
    /// The process group (the process's id), for killing everything it started.
    pub group: i32,
    pub last_used: Instant,
    /// How long the start took.
    pub start_duration: Duration,
}

impl Instance {
    /// Starts the process and waits until it reports ready (or fails, exits, or takes too long).
    pub async fn start(spec: Arc<InstanceSpec>, groups: super::Groups) -> Result<Instance, StartError> {
        let started = Instant::now();
        // The runtime's connection rests while its handler runs: up to the timeout, and then some.
        let idle = spec.timeout.max(spec.init_timeout) + Duration::from_secs(60);
        let mut api = RuntimeApi::start(idle)
            .await
            .map_err(|e| StartError::Spawn(format!("cannot open the runtime API: {e}")))?;
        // From here on, whatever happens — including the caller giving up — leaves nothing behind.
        let runtime_api = [("SCF_RUNTIME_API", "127.0.0.1".to_owned()), ("SCF_RUNTIME_API_PORT", api.port.to_string())];
        let Spawned { starting, mut child, group, mut stdout, mut stderr, scratch } =
            spawn(&spec, &groups, &runtime_api)?;
        let mut output = Captured::default();
        let ready = api.ready.take();
        let outcome = {
            let mut ready = pin!(async move {
                match ready {
                    Some(ready) => ready.await.is_ok(),
                    None => false,
                }
            });
            let mut deadline = pin!(tokio::time::sleep(spec.init_timeout));
            let (mut out_open, mut err_open) = (true, true);
            let (mut out_buf, mut err_buf) = ([0u8; READ_CHUNK], [0u8; READ_CHUNK]);
            loop {
                tokio::select! {
                    ok = &mut ready => break if ok { Ok(()) } else { Err(StartError::Exited("the runtime API closed".to_owned())) },
                    status = child.wait() => break Err(StartError::Exited(format!("the process exited during initialisation ({})", describe_exit(status)))),
                    _ = &mut deadline => break Err(StartError::Timeout(format!("initialisation took longer than {} s", spec.init_timeout.as_secs()))),
                    read = stdout.read(&mut out_buf), if out_open => collect(read, &out_buf, &mut output, &mut out_open),
                    read = stderr.read(&mut err_buf), if err_open => collect(read, &err_buf, &mut output, &mut err_open),
                }
            }
        };
        if let Err(error) = outcome {
            let mut buf = [0u8; READ_CHUNK];
            drain(&mut stdout, &mut output, &mut buf);
            drain(&mut stderr, &mut output, &mut buf);
            drop(starting);
            let _ = child.wait().await;
            let output = output.into_string();
            let output = crate::util::tail(output.trim(), 2048);
            let with_output = |why: String| if output.is_empty() { why } else { format!("{why}: {output}") };
            return Err(match error {
                StartError::Spawn(why) => StartError::Spawn(with_output(why)),
                StartError::Exited(why) => StartError::Exited(with_output(why)),
                StartError::Timeout(why) => StartError::Timeout(with_output(why)),
            });
        }
        starting.disarm();
        let (jobs, receiver) = mpsc::channel(1);
        let supervisor_groups = groups.clone();
        let supervisor = Supervisor {
            spec,
            api,
            child,
            stdout,
            stderr,
            out_open: true,
            err_open: true,
            out_buf: vec![0; READ_CHUNK].into_boxed_slice(),
            err_buf: vec![0; READ_CHUNK].into_boxed_slice(),
            group,
            groups,
            scratch,
            memory: MemoryProbe::open(group),
        };
        tokio::spawn(supervisor.run(receiver));
        Ok(Instance {
            jobs,
            groups: supervisor_groups,
            group,
            last_used: Instant::now(),
            start_duration: started.elapsed(),
        })
    }

    /// Whether the instance's supervisor (and so its process) is still running.
    pub fn is_alive(&self) -> bool {
        !self.jobs.is_closed()
    }

    /// Runs one event. An instance whose process died reports it as `Exited`.
    pub async fn invoke(&self, request_id: String, event: Bytes) -> Completed {
        let (reply, answer) = oneshot::channel();
        let gone = || Completed {
            outcome: Outcome::Exited("the instance is gone".into()),
            output: String::new(),
            duration: Duration::ZERO,
            peak_memory: 0,
        };
        if self.jobs.send(Job { request_id, event, reply }).await.is_err() {
            return gone();
        }
        answer.await.unwrap_or_else(|_| gone())
    }
}

/// The command that starts an instance's first process: `spec`'s program in the code directory,
/// with `spec`'s environment only (and its own `HOME` and `TMPDIR`, `scratch`), in a process group
/// of its own, a child subreaper whose tree carries the instance marker `id`.
fn command(spec: &InstanceSpec, scratch: &std::path::Path, id: &str) -> Command {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.code_dir)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("HOME", scratch)
        .env("TMPDIR", scratch)
        // Inherited by everything the function starts: how its processes are still found
        // after its first process has exited and they were reparented away.
        .env(process_tree::INSTANCE_MARKER, id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let as_root = process_tree::running_as_root();
    let descriptors = crate::http::original_descriptor_limit();
    // SAFETY: the closure runs in the child between `fork` and `exec`; it makes only
    // async-signal-safe system calls (prctl) through rustix, allocates nothing and touches no
    // lock.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || process_tree::prepare_child(as_root, descriptors));
    }
    command
}

/// A process started for an instance, registered in `groups`, with its output pipes; `starting`
/// undoes it all unless disarmed.
pub(super) struct Spawned {
    pub starting: Starting,
    pub child: Child,
    pub group: i32,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
    pub scratch: PathBuf,
}

/// Starts `spec`'s program (see [`command`]) with `extra_env` as well, in a scratch directory of
/// its own, and registers it in `groups` — the one way every kind of instance starts.
pub(super) fn spawn(
    spec: &InstanceSpec,
    groups: &super::Groups,
    extra_env: &[(&str, String)],
) -> Result<Spawned, StartError> {
    let id = crate::util::request_id();
    let mut starting =
        Starting { groups: groups.clone(), group: None, scratch: spec.scratch_root.join(format!("instance-{id}")) };
    let scratch = starting.scratch.clone();
    std::fs::create_dir_all(&scratch)
        .map_err(|e| StartError::Spawn(format!("cannot create {}: {e}", scratch.display())))?;
    let mut command = command(spec, &scratch, &id);
    command.envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut child =
        command.spawn().map_err(|e| StartError::Spawn(format!("cannot start `{}`: {e}", spec.program.display())))?;
    let group = child.id().map_or(0, |pid| pid as i32);
    groups.add(group, spec, id);
    starting.group = Some(group);
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(StartError::Spawn("the process has no output pipes".into()));
    };
    Ok(Spawned { starting, child, group, stdout, stderr, scratch })
}

/// An instance being started: dropped before [`Starting::disarm`], it kills the process group,
/// unregisters it and removes the scratch directory.
pub(super) struct Starting {
    pub groups: super::Groups,
    pub group: Option<i32>,
    pub scratch: PathBuf,
}

impl Starting {
    pub fn disarm(mut self) {
        self.group = None;
        self.scratch = PathBuf::new();
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(group) = self.group.take() {
            self.groups.stop(group);
        }
        if !self.scratch.as_os_str().is_empty() {
            crate::store::remove_tree(&self.scratch);
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.groups.stop(self.group);
    }
}

struct Supervisor {
    spec: Arc<InstanceSpec>,
    api: RuntimeApi,
    child: Child,
    stdout: ChildStdout,
    stderr: ChildStderr,
    /// Whether the pipes are still open (reading a closed pipe returns at once, forever).
    out_open: bool,
    err_open: bool,
    /// What reads of the pipes go through: kept for the instance's life (a fresh buffer for
    /// each read was zeroed each time, 48 KB per invocation).
    out_buf: Box<[u8]>,
    err_buf: Box<[u8]>,
    group: i32,
    groups: super::Groups,
    scratch: PathBuf,
    memory: MemoryProbe,
}

impl Supervisor {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        loop {
            let mut ignored = Captured::default();
            let job = tokio::select! {
                job = jobs.recv() => job,
                _ = self.child.wait() => None,
                // Output between invocations belongs to none of them.
                read = self.stdout.read(&mut self.out_buf), if self.out_open => {
                    collect(read, &self.out_buf, &mut ignored, &mut self.out_open);
                    continue;
                }
                read = self.stderr.read(&mut self.err_buf), if self.err_open => {
                    collect(read, &self.err_buf, &mut ignored, &mut self.err_open);
                    continue;
                }
            };
            let Some(job) = job else { break };
            let completed = self.invoke(job.request_id, job.event).await;
            let fatal = completed.outcome.is_fatal();
            let _ = job.reply.send(completed);
            if fatal {
                break;
            }
        }
        // Unregister before reaping (when the process has not been reaped already), so nothing
        // kills a process id the system may reuse.
        self.groups.stop(self.group);
        let _ = self.child.wait().await;
        // The function may have made parts of it read-only: write bits are given back first.
        crate::store::remove_tree(&self.scratch);
    }

    async fn invoke(&mut self, request_id: String, event: Bytes) -> Completed {
        self.memory.reset_peak();
        let started = Instant::now();
        let (done, completion) = oneshot::channel();
        let delivery = Delivery {
            request_id,
            event,
            memory_limit_mb: self.spec.memory_limit_mb,
            time_limit_ms: self.spec.timeout.as_millis() as u64,
            done,
        };
        let limit = self.spec.memory_limit_mb * 1024 * 1024;
        let mut output = Captured::default();
        let outcome = if self.api.deliveries.send(delivery).await.is_err() {
            Outcome::Exited("the runtime API is closed".into())
        } else {
            let mut completion = pin!(completion);
            let mut deadline = pin!(tokio::time::sleep(self.spec.timeout));
            // Memory is checked at the end; long invocations are also watched while they run.
            let mut watch = tokio::time::interval_at(
                tokio::time::Instant::now() + Duration::from_millis(50),
                Duration::from_millis(25),
            );
            loop {
                tokio::select! {
                    // An answer that arrived wins over the process's exit right after it.
                    biased;
                    completion = &mut completion => break match completion {
                        Ok(Completion::Response(body)) => Outcome::Response(body),
                        Ok(Completion::Error(body)) => Outcome::FunctionError(body),
                        Ok(Completion::TooLarge) => Outcome::ResultTooLarge,
                        Err(_) => Outcome::Exited("the runtime API closed".into()),
                    },
                    status = self.child.wait() => break Outcome::Exited(describe_exit(status)),
                    _ = &mut deadline => break Outcome::Timeout,
                    _ = watch.tick() => if self.memory.tree_resident() > limit { break Outcome::OutOfMemory },
                    read = self.stdout.read(&mut self.out_buf), if self.out_open => collect(read, &self.out_buf, &mut output, &mut self.out_open),
                    read = self.stderr.read(&mut self.err_buf), if self.err_open => collect(read, &self.err_buf, &mut output, &mut self.err_open),
                }
            }
        };
        let duration = started.elapsed();
        // The process wrote its output before answering, so it is in the pipes now.
        drain(&mut self.stdout, &mut output, &mut self.out_buf);
        drain(&mut self.stderr, &mut output, &mut self.err_buf);
        let peak_memory = self.memory.peak().unwrap_or(0);
        let outcome = match outcome {
            Outcome::Response(_) | Outcome::FunctionError(_) if peak_memory > limit => Outcome::OutOfMemory,
            other => other,
        };
        Completed { outcome, output: output.into_string(), duration, peak_memory }
    }
}

/// What a process printed, bounded: the last [`Captured::KEEP`] bytes (what `Tail` and the stored
/// log use, which keeps a little more for the log's framing), with a count of what was dropped
/// before them. A function printing without end costs
/// the emulator no more memory than that.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    bytes: Vec<u8>,
    /// Bytes written before `bytes[0]`.
    base: u64,
}

impl Captured {
    pub const KEEP: usize = 60 * 1024;

    pub(super) fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * Self::KEEP {
            let cut = self.bytes.len() - Self::KEEP;
            self.bytes.drain(..cut);
            self.base += cut as u64;
        }
    }

    /// Where what was written so far ends: a mark for [`Captured::since`].
    pub(super) fn end(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }

    /// What was written after `mark`: its last [`Captured::KEEP`] bytes, after a line saying how
    /// many came before them.
    pub(super) fn since(&self, mark: u64) -> String {
        let start = usize::try_from(mark.saturating_sub(self.base)).unwrap_or(usize::MAX).min(self.bytes.len());
        let from = start.max(self.bytes.len().saturating_sub(Self::KEEP));
        let dropped = self.base.saturating_sub(mark) + (from - start) as u64;
        let text = String::from_utf8_lossy(&self.bytes[from..]);
        if dropped == 0 {
            text.into_owned()
        } else {
            format!("[scf-local: {dropped} earlier bytes of output not kept]\n{text}")
        }
    }

    pub(super) fn into_string(self) -> String {
        self.since(0)
    }
}

/// Keeps what a read got; marks the pipe closed at its end.
fn collect(read: std::io::Result<usize>, buf: &[u8], into: &mut Captured, open: &mut bool) {
    match read {
        Ok(n) if n > 0 => into.push(&buf[..n]),
        _ => *open = false,
    }
}

/// How much one read of a process's output pipe takes at most.
pub(super) const READ_CHUNK: usize = 8192;

/// Reads what is already in a pipe, without waiting for more, through `buf`.
pub(super) fn drain<R: tokio::io::AsyncRead + Unpin>(pipe: &mut R, into: &mut Captured, buf: &mut [u8]) {
    let mut context = Context::from_waker(Waker::noop());
    loop {
        match pin!(pipe.read(buf)).poll(&mut context) {
            Poll::Ready(Ok(n)) if n > 0 => into.push(&buf[..n]),
            _ => break,
        }
    }
}

pub(super) fn describe_exit(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => e.to_string(),
    }
}

/// An instance's memory: its first process's, read from `/proc/<pid>/status` and reset through
/// `/proc/<pid>/clear_refs`, and its descendants' (Linux); see [`process_tree`]. The files stay open for the instance's life: opening them costs more than reading.
/// Where they cannot be opened, memory is reported as 0 and not enforced.
#[derive(Debug)]
pub(super) struct MemoryProbe {
    pid: i32,
    /// The most the descendants held together since the last reset (seen while watching).
    descendants_peak: u64,
    status: Option<std::fs::File>,
    clear_refs: Option<std::fs::File>,
    buffer: Vec<u8>,
}

impl MemoryProbe {
    pub(super) fn open(pid: i32) -> MemoryProbe {
        MemoryProbe {
            pid,
            descendants_peak: 0,
            status: std::fs::File::open(format!("/proc/{pid}/status")).ok(),
            clear_refs: std::fs::OpenOptions::new().write(true).open(format!("/proc/{pid}/clear_refs")).ok(),
            buffer: Vec::with_capacity(4096),
        }
    }

    /// Resets the peak, so the next reading covers one invocation (writing 5 resets `VmHWM`).
    /// Where that is not possible, the peak covers the process's life.
    fn reset_peak(&mut self) {
        use std::os::unix::fs::FileExt as _;
        if let Some(file) = &self.clear_refs {
            let _ = file.write_at(b"5", 0);
        }
        self.descendants_peak = 0;
    }

    /// Peak resident memory since the last reset, in bytes: the first process's `VmHWM`, plus the
    /// most its descendants were seen holding together.
    fn peak(&mut self) -> Option<u64> {
        Some(self.field("VmHWM:")? + self.descendants_peak)
    }

    /// Resident memory of the whole instance (every process of its tree), in bytes: the first
    /// process's resident size alone, or with descendants, the tree's proportional shares
    /// (memory they share is counted once).
    pub(super) fn tree_resident(&mut self) -> u64 {
        let root = self.resident().unwrap_or(0);
        let tree = process_tree::tree(self.pid);
        if tree.len() == 1 {
            return root;
        }
        let together = process_tree::resident_bytes(&tree);
        // What the descendants add to the first process, for the peak.
        self.descendants_peak = self.descendants_peak.max(together.saturating_sub(root));
        together.max(root)
    }

    /// Current resident memory (`VmRSS`), in bytes.
    fn resident(&mut self) -> Option<u64> {
        self.field("VmRSS:")
    }

    fn field(&mut self, name: &str) -> Option<u64> {
        use std::os::unix::fs::FileExt as _;
        let file = self.status.as_ref()?;
        self.buffer.clear();
        let mut chunk = [0u8; 4096];
        loop {
            let n = file.read_at(&mut chunk, self.buffer.len() as u64).ok()?;
            if n == 0 {
                break;
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        parse_status_field(&self.buffer, name)
    }
}

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn parse_status_field(status: &[u8], name: &str) -> Option<u64> {
    let text = std::str::from_utf8(status).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_of_this_process() {
        let mut probe = MemoryProbe::open(std::process::id() as i32);
        let rss = probe.resident().unwrap();
        let peak = probe.peak().unwrap();
        assert!(rss > 0 && peak >= rss, "rss {rss}, peak {peak}");
    }
}
