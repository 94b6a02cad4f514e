//! The processes of one instance, found and stopped together (Linux, through `/proc`).
//!
//! An instance's first process is made a *child subreaper* when it starts ([`prepare_child`]), so
//! every process it starts stays below it — one that forks twice, or calls `setsid` to leave the
//! process group, is reparented to it rather than to `init`. Its tree is then all of the
//! instance: the memory limit counts it ([`resident_bytes`]) and a timeout stops it
//! ([`kill_tree`]), whatever process groups or sessions are inside.
//!
//! When the first process itself exits, its descendants are reparented away (to `init`) and the
//! tree no longer holds them; they are then found by the marker every process of the instance
//! inherits in its environment ([`INSTANCE_MARKER`]).

use std::collections::HashSet;

use rustix::process::{Pid, Signal};

/// The environment variable, set to the instance's id, that marks its processes.
pub(crate) const INSTANCE_MARKER: &str = "SCF_LOCAL_INSTANCE_ID";

/// The most processes one instance's tree is walked for (a fork bomb is stopped at that many).
const MAX_PROCESSES: usize = 4096;

/// Called in the new process between `fork` and `exec`: only async-signal-safe system calls.
/// - it becomes a child subreaper (its descendants stay in its tree);
/// - it is killed if the emulator's thread that started it goes (a crashed emulator leaves no
///   instance behind);
/// - when the emulator runs as root, the capabilities that bypass file permissions leave its
///   bounding set, so a read-only code directory is read-only for it too, as on the service;
/// - it gets back the descriptor limit the emulator started with (`descriptors`), if the emulator
///   raised its own.
pub(crate) fn prepare_child(as_root: bool, descriptors: Option<rustix::process::Rlimit>) -> std::io::Result<()> {
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
    if let Some(limit) = descriptors {
        rustix::process::setrlimit(rustix::process::Resource::Nofile, limit)?;
    }
    if as_root {
        use rustix::thread::{CapabilitySet, remove_capability_from_bounding_set};
        let bypass = CapabilitySet::DAC_OVERRIDE | CapabilitySet::DAC_READ_SEARCH | CapabilitySet::FOWNER;
        for capability in [CapabilitySet::DAC_OVERRIDE, CapabilitySet::DAC_READ_SEARCH, CapabilitySet::FOWNER] {
            remove_capability_from_bounding_set(capability)?;
        }
        // A root `exec` also keeps what the inheritable and ambient sets hold (some container
        // runtimes fill them): those go too.
        let mut sets = rustix::thread::capabilities(None)?;
        sets.inheritable.remove(bypass);
        rustix::thread::set_capabilities(None, sets)?;
        rustix::thread::clear_ambient_capability_set()?;
    }
    Ok(())
}

/// Whether the emulator runs as root (its function processes then give up file-permission bypass).
pub(crate) fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `root` and all its descendants that are alive, `root` first.
pub(crate) fn tree(root: i32) -> Vec<i32> {
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() && found.len() < MAX_PROCESSES {
        let pid = found[next];
        next += 1;
        found.extend(children(pid));
    }
    found.truncate(MAX_PROCESSES);
    found
}

/// The children of every thread of `pid` (`/proc/<pid>/task/<tid>/children`: a process started
/// from another thread is that thread's child).
fn children(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut children = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(list.split_ascii_whitespace().filter_map(|c| c.parse::<i32>().ok()));
        }
    }
    children
}

/// Whether a process of `root`'s tree holds a socket listening on TCP `port` (IPv4 or IPv6): the
/// socket's inode, from `/proc/net/tcp{,6}`, among the tree's open descriptors. Something else
/// listening there (another emulator's function, any server) is not the instance.
pub(crate) fn tree_listens_on(root: i32, port: u16) -> bool {
    let listening: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| listening_inodes(&table, port))
        .collect();
    if listening.is_empty() {
        return false;
    }
    tree(root).into_iter().any(|pid| {
        let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
        descriptors.flatten().any(|fd| {
            let Ok(target) = std::fs::read_link(fd.path()) else { return false };
            let target = target.to_string_lossy();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|inode| listening.iter().any(|l| l == inode))
        })
    })
}

/// The inodes of the sockets listening on `port` in a `/proc/net/tcp` table (local address
/// `ADDR:PORT` in hex, state `0A`, inode the tenth field).
fn listening_inodes(table: &str, port: u16) -> Vec<String> {
    let port = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let local_port = fields.get(1)?.rsplit_once(':')?.1;
            (local_port == port && *fields.get(3)? == "0A").then(|| fields.get(9).map(|i| (*i).to_owned()))?
        })
        .collect()
}

/// The memory `pids` hold together, in bytes: each process's proportional share of its resident
/// pages (`Pss` in `/proc/<pid>/smaps_rollup`), so pages a forked child shares with its parent
/// count once, not once per process; its whole resident size (`statm`) where `Pss` is unreadable.
pub(crate) fn resident_bytes(pids: &[i32]) -> u64 {
    let page = rustix::param::page_size() as u64;
    let resident = |pid: i32| {
        let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
        Some(statm.split_ascii_whitespace().nth(1)?.parse::<u64>().ok()? * page)
    };
    let proportional = |pid: i32| {
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
        let line = rollup.lines().find(|line| line.starts_with("Pss:"))?;
        Some(line["Pss:".len()..].trim().trim_end_matches("kB").trim().parse::<u64>().ok()? * 1024)
    };
    pids.iter().filter_map(|&pid| proportional(pid).or_else(|| resident(pid))).sum()
}

/// Stops every process of the instance: the tree is frozen first (each process found is sent
/// `SIGSTOP`, so none can start another or slip away, until a walk finds nothing new), then
/// everything is killed, the process group too. If `root` has already exited, the processes
/// carrying `marker` are found across the system as well (only then: it takes a walk of `/proc`).
pub(crate) fn kill_tree(root: i32, marker: &str) {
    signal_group(root, Signal::STOP);
    let orphans = !alive(root);
    let mut stopped: HashSet<i32> = HashSet::new();
    loop {
        let mut new = false;
        let mut found = tree(root);
        if orphans {
            found.extend(marked(marker));
        }
        for pid in found {
            if stopped.insert(pid) {
                signal(pid, Signal::STOP);
                new = true;
            }
        }
        if !new || stopped.len() >= MAX_PROCESSES {
            break;
        }
    }
    for pid in &stopped {
        signal(*pid, Signal::KILL);
    }
    signal_group(root, Signal::KILL);
}

/// Whether `pid` is running (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        // The state is the field after the parenthesised command name.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
    }
}

/// The processes (of this user: others' environments are unreadable) whose environment has
/// `INSTANCE_MARKER=marker`.
fn marked(marker: &str) -> Vec<i32> {
    let wanted = format!("{INSTANCE_MARKER}={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|environ| environ.split(|b| *b == 0).any(|var| var == wanted.as_bytes()))
        })
        .take(MAX_PROCESSES)
        .collect()
}

fn signal(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

fn signal_group(group: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(group) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_socket_is_found_in_the_tree_that_holds_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let me = std::process::id() as i32;
        assert!(tree_listens_on(me, port));
        // A child of this process does not hold it.
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        assert!(!tree_listens_on(child.id() as i32, port));
        child.kill().unwrap();
        child.wait().unwrap();
        drop(listener);
        assert!(!tree_listens_on(me, port), "closed");
    }

    #[test]
    fn listening_inodes_are_read_from_the_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0\n   1: 0100007F:2328 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0\n";
        assert_eq!(listening_inodes(table, 9000), ["4242"], "listening only, not the connection");
        assert!(listening_inodes(table, 9001).is_empty());
        assert!(listening_inodes("garbage\nline without fields\n", 9000).is_empty());
    }

    #[test]
    fn the_tree_of_this_process_includes_its_children() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let me = std::process::id() as i32;
        let found = tree(me);
        assert_eq!(found[0], me);
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
        assert!(resident_bytes(&[me]) > 0);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
