//! `scf-local` across its own life: a restart on the same data directory loses nothing, and
//! stopping it leaves no process behind — not the functions' processes, nor what they started.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::Duration;

use scf_local::EmulatorConfig;
use scf_tests::local::{self, FunctionSpec, create_function, process_gone};
use serde_json::Value;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scf-local-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
#[allow(deprecated)] // GetFunctionLogs
async fn a_restart_on_the_same_data_directory_loses_nothing() {
    let dir = temp_dir("restart");
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
    assert_eq!(function.status, "Active");
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
    std::fs::remove_dir_all(&dir).unwrap();
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
