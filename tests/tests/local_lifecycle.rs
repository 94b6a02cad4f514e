//! `scf-local` across its own life: a restart on the same data directory loses nothing, and
//! stopping it leaves no process behind — not the functions' processes, nor what they started.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::Duration;

use scf_local::EmulatorConfig;
use scf_sdk::types::FunctionStatus;
use scf_tests::TempDir;
use scf_tests::local::{self, FunctionSpec, create_function, process_gone};
use serde_json::Value;

/// A data directory's path inside a temporary directory that goes with the test, pass or fail.
fn temp_dir(name: &str) -> (TempDir, std::path::PathBuf) {
    let temp = TempDir::new(&format!("local-{name}"));
    let dir = temp.join("data");
    (temp, dir)
}

#[tokio::test]
#[allow(deprecated)] // GetFunctionLogs
async fn a_restart_on_the_same_data_directory_loses_nothing() {
    let (_temp, dir) = temp_dir("restart");
    let source = "def main_handler(event, context):\n    print('persisted')\n    return 'from disk'\n";
    let request_id = {
        let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
        client.create_namespace().namespace("kept").send().await.unwrap();
        create_function(&client, FunctionSpec::python("survivor", source).namespace("kept")).await;
        client.publish_version().function_name("survivor").namespace("kept").send().await.unwrap();
        client
            .create_alias()
            .function_name("survivor")
            .namespace("kept")
            .name("live")
            .function_version("1")
            .send()
            .await
            .unwrap();
        let result = client.invoke_function().function_name("survivor").namespace("kept").send().await.unwrap().result;
        emulator.shutdown(Duration::from_secs(1)).await;
        result.function_request_id
    };
    let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
    let function = client.get_function().function_name("survivor").namespace("kept").send().await.unwrap();
    assert_eq!(function.status, FunctionStatus::Active);
    let versions = client.list_version_by_function().function_name("survivor").namespace("kept").send().await.unwrap();
    assert_eq!(versions.function_version, ["$LATEST", "1"]);
    let alias = client.get_alias().function_name("survivor").namespace("kept").name("live").send().await.unwrap();
    assert_eq!(alias.function_version, "1");
    let logs = client.get_function_logs().function_name("survivor").namespace("kept").send().await.unwrap();
    assert_eq!(logs.data.iter().map(|l| l.request_id.as_str()).collect::<Vec<_>>(), [request_id.as_str()]);
    let result =
        client.invoke_function().function_name("survivor").namespace("kept").qualifier("live").send().await.unwrap();
    assert_eq!(result.result.ret_msg, "\"from disk\"");
    let next = client.publish_version().function_name("survivor").namespace("kept").send().await.unwrap();
    assert_eq!(next.function_version, "2", "version numbers continue");
    drop(emulator);
    scf_local::remove_data_dir(&dir).unwrap();
}

/// An asynchronous event cut off by a stop did not finish: after the restart it is `FAILED`, and
/// its log row says why.
#[tokio::test]
#[allow(deprecated)] // GetFunctionLogs
async fn events_cut_off_by_a_stop_are_failed_with_a_log_row() {
    let (_temp, dir) = temp_dir("cut-off");
    let source = "import time\n\ndef main_handler(event, context):\n    time.sleep(30)\n";
    let id = {
        let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
        create_function(&client, FunctionSpec::python("slow", source).timeout(60)).await;
        let started = client
            .invoke()
            .function_name("slow")
            .invocation_type(scf_sdk::types::InvocationType::Event)
            .send()
            .await
            .unwrap();
        emulator.shutdown(Duration::from_secs(1)).await;
        started.result.function_request_id
    };
    let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
    let status = client.get_async_event_status().invoke_request_id(&id).send().await.unwrap().result;
    assert_eq!(status.status.as_str(), "FAILED");
    // Log rows are written in the background: poll, with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let logs = loop {
        let logs = client.get_function_logs().function_name("slow").function_request_id(&id).send().await.unwrap();
        if logs.total_count > 0 {
            break logs;
        }
        assert!(std::time::Instant::now() < deadline, "no log row for the cut-off event");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(logs.total_count, 1, "{:?}", logs.data);
    assert!(logs.data[0].ret_msg.contains("The emulator stopped"), "{:?}", logs.data[0]);
    drop(emulator);
    scf_local::remove_data_dir(&dir).unwrap();
}

const SPAWNER: &str = r#"import os, subprocess

def main_handler(event, context):
    child = subprocess.Popen(["sleep", "300"])
    return {"pid": os.getpid(), "child": child.pid}
"#;

#[tokio::test]
async fn dropping_the_emulator_kills_every_process_it_started() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("spawner", SPAWNER)).await;
    let mut pids = Vec::new();
    for _ in 0..2 {
        let result = client.invoke_function().function_name("spawner").send().await.unwrap().result;
        let answer: Value = serde_json::from_str(&result.ret_msg).unwrap();
        pids.push(answer["pid"].as_u64().unwrap() as u32);
        pids.push(answer["child"].as_u64().unwrap() as u32);
    }
    assert!(pids.iter().all(|pid| !process_gone(*pid)), "all running before the drop");
    let data_dir = emulator.data_dir().to_path_buf();
    drop(emulator);
    for _ in 0..100 {
        if pids.iter().all(|pid| process_gone(*pid)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let alive: Vec<u32> = pids.iter().copied().filter(|pid| !process_gone(*pid)).collect();
    assert!(alive.is_empty(), "still alive after the drop: {alive:?}");
    assert!(!data_dir.exists(), "the temporary data directory is removed");
}

#[tokio::test]
async fn idle_instances_are_stopped_after_the_idle_timeout() {
    let config = EmulatorConfig::default().idle_timeout(Duration::from_secs(1));
    let (emulator, client) = local::start_with(config).await;
    create_function(&client, FunctionSpec::python("idle", SPAWNER)).await;
    let result = client.invoke_function().function_name("idle").send().await.unwrap().result;
    let answer: Value = serde_json::from_str(&result.ret_msg).unwrap();
    let pid = answer["pid"].as_u64().unwrap() as u32;
    assert_eq!(emulator.live_instances(), 1);
    for _ in 0..100 {
        if emulator.live_instances() == 0 && process_gone(pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(emulator.live_instances(), 0);
    assert!(process_gone(pid));
}
