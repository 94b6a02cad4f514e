//! `scf deploy` streams files into the archive and stops at the inline limit as it goes: a
//! directory with a 200 MB file costs the `scf` process less than 100 MB of memory at its peak,
//! whether the file is refused (too large once zipped) or zips small. The peak is the process's
//! own high-water mark (`VmHWM` in `/proc/<pid>/status`), sampled until it exits.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::closed_port;

const MB: u64 = 1024 * 1024;
/// The bound the issue sets.
const PEAK_LIMIT_KB: u64 = 100 * 1024;

/// How a measured run ended.
struct Measured {
    code: i32,
    stderr: String,
    /// The highest `VmHWM` seen, in kB.
    peak_kb: u64,
    samples: usize,
}

/// Runs `scf deploy DIR` against a port where nothing listens, sampling the process's peak
/// resident set every few milliseconds; it is killed, and the test fails, after 120 s.
fn deploy_measured(dir: &Path) -> Measured {
    let home = tempfile::tempdir().unwrap();
    let stderr_path = home.path().join("stderr");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_scf"))
        .env_clear()
        .env("HOME", home.path())
        .env("TENCENTCLOUD_SECRET_ID", "AKIDexample")
        .env("TENCENTCLOUD_SECRET_KEY", "key")
        .args(["--output", "text", "--region", "ap-guangzhou", "--endpoint-url", &endpoint])
        .args(["deploy", dir.to_str().unwrap(), "--function-name", "big"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut peak_kb, mut samples) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scf deploy did not finish within 120 s");
        }
        // Gone between the two reads once it has exited; the next `try_wait` sees it.
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().as_deref().and_then(high_water_mark_kb) {
            peak_kb = peak_kb.max(kb);
            samples += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Measured {
        code: status.code().unwrap_or(-1),
        stderr: std::fs::read_to_string(stderr_path).unwrap(),
        peak_kb,
        samples,
    }
}

/// `VmHWM:   12345 kB` → 12345.
fn high_water_mark_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A 200 MB file: `noise` bytes that deflate cannot shrink, then a hole (zeros, not on disk).
fn big_file(path: &Path, noise: u64) {
    let mut file = std::fs::File::create(path).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let chunk: Vec<u8> = (0..MB)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for i in 0..noise / MB {
        // A different megabyte each time, so deflate finds no repeats.
        let shifted: Vec<u8> = chunk.iter().map(|b| b.wrapping_add(i as u8).rotate_left(i as u32 % 8)).collect();
        file.write_all(&shifted).unwrap();
    }
    file.seek(SeekFrom::Start(0)).unwrap();
    file.set_len(200 * MB).unwrap();
}

fn assert_peak_under_the_limit(run: &Measured) {
    assert!(run.samples > 0, "the process was never measured: {}", run.stderr);
    assert!(
        run.peak_kb < PEAK_LIMIT_KB,
        "peak resident set {} kB, over {} kB\n{}",
        run.peak_kb,
        PEAK_LIMIT_KB,
        run.stderr
    );
    eprintln!("peak resident set: {} kB over {} samples", run.peak_kb, run.samples);
}

#[test]
fn a_200_mb_file_that_does_not_zip_small_is_refused_as_it_streams() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.py"), "def main_handler(event, context):\n    return 1\n").unwrap();
    big_file(&dir.path().join("model.bin"), 16 * MB);
    let run = deploy_measured(dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot package `{}`: with `model.bin` (200.0 MiB) the zip archive grows past 7864320 bytes (7.5 MiB), \
             the most that goes inline",
            dir.path().display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "the error alone: {}", run.stderr);
    assert_peak_under_the_limit(&run);
}

#[test]
fn a_200_mb_file_that_zips_small_is_packaged_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.py"), "def main_handler(event, context):\n    return 1\n").unwrap();
    big_file(&dir.path().join("zeros.bin"), 0);
    let run = deploy_measured(dir.path());
    // Packaged, then no one answers at the endpoint: exit 4.
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.starts_with(&format!("Packaged 2 files from {} (", dir.path().display())), "{}", run.stderr);
    assert_peak_under_the_limit(&run);
}
