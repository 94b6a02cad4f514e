//! `scf local serve`: the emulator from the same binary, then `scf` against it.
#![cfg(feature = "local")]
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Scf;

/// The emulator child process; killed (by its own id) when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn local_serve_runs_the_emulator_that_scf_then_talks_to() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_scf"))
            .args([
                "local",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--http-listen",
                "127.0.0.1:0",
                "--data-dir",
                data.to_str().unwrap(),
            ])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut endpoint, mut secret_id, mut secret_key) = (None, None, None);
    while secret_key.is_none() {
        let line =
            received.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the emulator starts");
        if let Some(rest) = line.strip_prefix("scf-local serving SCF 2018-04-16 at ") {
            endpoint = rest.split(' ').next().map(str::to_owned);
        } else if let Some(id) = line.trim().strip_prefix("SecretId:") {
            secret_id = Some(id.trim().to_owned());
        } else if let Some(key) = line.trim().strip_prefix("SecretKey:") {
            secret_key = key.split_whitespace().next().map(str::to_owned);
        }
    }
    let endpoint = endpoint.unwrap();
    let run = Scf::new(home.path())
        .env("TENCENTCLOUD_SECRET_ID", secret_id.unwrap())
        .env("TENCENTCLOUD_SECRET_KEY", secret_key.unwrap())
        .args(["list-functions", "--endpoint-url", &endpoint, "--region", "ap-guangzhou"])
        .run()
        .ok();
    assert_eq!(run.json()["TotalCount"], 0);
    assert!(data.join("runtimes").is_dir(), "the data directory given was used");
}
