//! Invoking functions on `scf-local`: real Python, Node.js and shell processes behind the SCF
//! custom-runtime protocol, with what the real service reports for success, raised errors,
//! timeouts, memory overruns, crashes and concurrency limits.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::{Duration, Instant};

use scf_local::EmulatorConfig;
use scf_sdk::types::{AsyncEventState, InvocationType, LogType};
use scf_tests::local::{self, FunctionSpec, create_function, process_gone};
use serde_json::{Value, json};

const ECHO: &str = r#"import json
import os


def main_handler(event, context):
    print("event:", json.dumps(event, sort_keys=True))
    return {"event": event, "pid": os.getpid(), "request_id": context.request_id,
            "function": context.function_name, "memory": context.memory_limit_in_mb,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "env": {k: os.environ.get(k) for k in ("GREETING", "SCF_FUNCTIONNAME", "TENCENTCLOUD_REGION", "HOME", "TENCENTCLOUD_SECRET_KEY")},
            "cwd": os.getcwd()}
"#;

fn ret_msg(result: &scf_sdk::types::ResultValue) -> Value {
    serde_json::from_str(&result.ret_msg).unwrap_or_else(|e| panic!("RetMsg is not JSON ({e}): {}", result.ret_msg))
}

#[tokio::test]
async fn a_python_function_runs_and_reports_like_the_service() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("echo", ECHO)).await;
    let response = client
        .invoke_function()
        .function_name("echo")
        .event_from(&json!({"name": "SCF"}))
        .unwrap()
        .log_type(LogType::Tail)
        .send()
        .await
        .unwrap();
    let result = &response.result;
    let answer = ret_msg(result);
    assert_eq!(answer["event"], json!({"name": "SCF"}));
    assert_eq!(answer["request_id"], result.function_request_id.as_str());
    assert_eq!(answer["function"], "echo");
    assert_eq!(answer["memory"], 128);
    // The deadline comes from the 3 s timeout (how much is left depends on the machine's load).
    assert!((1..=3000).contains(&answer["remaining_ms"].as_i64().unwrap()), "{answer}");
    assert_eq!(answer["env"]["SCF_FUNCTIONNAME"], "echo");
    assert_eq!(answer["env"]["TENCENTCLOUD_REGION"], "ap-guangzhou");
    assert_eq!(answer["env"]["TENCENTCLOUD_SECRET_KEY"], Value::Null, "the host's environment does not leak in");
    assert_ne!(answer["env"]["HOME"], std::env::var("HOME").unwrap(), "a per-instance home");
    assert!(result.err_msg.is_empty());
    #[allow(deprecated)]
    let invoke_result = result.invoke_result;
    assert_eq!(invoke_result, Some(0));
    // The log: the framing of the service, what the function printed, at most 4 KB.
    assert!(result.log.starts_with(&format!("START RequestId: {}", result.function_request_id)), "{}", result.log);
    assert!(result.log.contains("event: {\"name\": \"SCF\"}"), "{}", result.log);
    assert!(result.log.contains(&format!("Report RequestId: {}", result.function_request_id)), "{}", result.log);
    // Duration in ms (fractional), BillDuration its ceiling (at least 1), MemUsage peak RSS in bytes.
    assert!(result.duration > 0.0 && result.duration < 3000.0, "{}", result.duration);
    assert_eq!(result.bill_duration, (result.duration.ceil() as i64).max(1));
    assert!((2 << 20..128 << 20).contains(&result.mem_usage), "{}", result.mem_usage);
}

/// The bootstrap imports `decimal` only if the function does: a `Decimal` result still comes back
/// as its text, and anything else JSON cannot hold is still the function's error.
#[tokio::test]
async fn a_decimal_result_is_its_text_and_other_objects_are_an_error() {
    let (_emulator, client) = local::start().await;
    let source = "import decimal\n\ndef main_handler(event, context):\n    return decimal.Decimal('1.50') if event.get('decimal') else object()\n";
    create_function(&client, FunctionSpec::python("decimal", source)).await;
    let invoke = |event: Value| {
        let client = client.clone();
        async move { client.invoke_function().function_name("decimal").event_from(&event).unwrap().send().await }
    };
    let response = invoke(json!({"decimal": true})).await.unwrap();
    assert_eq!(ret_msg(&response.result), json!("1.50"));
    let failed = invoke(json!({})).await.unwrap();
    assert!(failed.result.err_msg.contains("is not JSON serializable"), "{}", failed.result.err_msg);
}

#[tokio::test]
async fn without_tail_there_is_no_log_and_the_tail_is_the_last_4_kb() {
    let (_emulator, client) = local::start().await;
    let chatty = "def main_handler(event, context):\n    for i in range(2000):\n        print('line %04d' % i)\n    return 'done'\n";
    create_function(&client, FunctionSpec::python("chatty", chatty)).await;
    let quiet = client.invoke_function().function_name("chatty").send().await.unwrap();
    assert_eq!(quiet.result.log, "");
    assert_eq!(quiet.result.ret_msg, "\"done\"");
    let tail = client.invoke_function().function_name("chatty").log_type(LogType::Tail).send().await.unwrap();
    assert!(tail.result.log.len() <= 4096 && tail.result.log.len() > 3000, "{}", tail.result.log.len());
    assert!(tail.result.log.contains("line 1999"));
    assert!(!tail.result.log.contains("line 0000"));
}

#[tokio::test]
async fn warm_instances_are_reused() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("warm", ECHO)).await;
    let first = client.invoke_function().function_name("warm").send().await.unwrap();
    let second = client.invoke_function().function_name("warm").send().await.unwrap();
    // The property itself (no second start), not a race between two durations.
    assert_eq!(ret_msg(&first.result)["pid"], ret_msg(&second.result)["pid"], "the same instance");
    assert_eq!(emulator.live_instances(), 1);
}

#[tokio::test]
async fn a_raised_error_is_a_result_with_status_430_and_the_traceback() {
    let (_emulator, client) = local::start().await;
    let failing = "def main_handler(event, context):\n    print('about to fail')\n    raise ValueError('boom')\n";
    create_function(&client, FunctionSpec::python("failing", failing)).await;
    let response = client.invoke_function().function_name("failing").log_type(LogType::Tail).send().await.unwrap();
    let result = &response.result;
    let payload = ret_msg(result);
    assert_eq!(payload["errorCode"], 1);
    assert_eq!(payload["errorMessage"], "user code exception caught");
    assert_eq!(payload["statusCode"], 430);
    assert!(payload["stackTrace"].as_str().unwrap().contains("ValueError: boom"), "{payload}");
    assert_eq!(result.err_msg, result.ret_msg);
    #[allow(deprecated)]
    let invoke_result = result.invoke_result;
    assert_eq!(invoke_result, Some(1));
    assert!(result.log.contains("about to fail") && result.log.contains("ERROR RequestId:"), "{}", result.log);
    // The instance survives a raised error.
    let again = client.invoke_function().function_name("failing").send().await.unwrap();
    assert_eq!(ret_msg(&again.result)["statusCode"], 430);
}

#[tokio::test]
async fn a_timeout_kills_the_process_and_reports_433() {
    let (_emulator, client) = local::start().await;
    let slow = "import os, time\n\ndef main_handler(event, context):\n    if event.get('sleep'):\n        time.sleep(30)\n    return os.getpid()\n";
    create_function(&client, FunctionSpec::python("slow", slow).timeout(1)).await;
    let first_pid: u32 =
        client.invoke_function().function_name("slow").send().await.unwrap().result.ret_msg.parse().unwrap();
    let started = Instant::now();
    let response = client
        .invoke_function()
        .function_name("slow")
        .event_from(&json!({"sleep": true}))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "the timeout is enforced: {:?}", started.elapsed());
    let payload = ret_msg(&response.result);
    assert_eq!(payload["statusCode"], 433);
    assert_eq!(payload["errorMessage"], "Invoking task timed out after 1 seconds");
    assert_eq!(response.result.duration, 1000.0);
    assert!(wait_until(|| process_gone(first_pid)).await, "the timed-out process is killed");
    // The next call gets a fresh instance.
    let next: u32 =
        client.invoke_function().function_name("slow").send().await.unwrap().result.ret_msg.parse().unwrap();
    assert_ne!(next, first_pid);
}

#[tokio::test]
async fn a_function_over_its_memory_is_killed_with_434() {
    let (_emulator, client) = local::start().await;
    let hungry = "import time\n\ndef main_handler(event, context):\n    block = b'x' * (200 * 1024 * 1024)\n    time.sleep(0.5)\n    return len(block)\n";
    create_function(&client, FunctionSpec::python("hungry", hungry).memory(128)).await;
    let response = client.invoke_function().function_name("hungry").send().await.unwrap();
    let payload = ret_msg(&response.result);
    assert_eq!(payload["statusCode"], 434, "{payload}");
    assert_eq!(payload["errorMessage"], "Task memory exceeded 128 MB");
    // With enough memory the same code succeeds.
    let (_emulator2, client2) = local::start().await;
    create_function(&client2, FunctionSpec::python("hungry", hungry).memory(512)).await;
    let fine = client2.invoke_function().function_name("hungry").send().await.unwrap();
    assert_eq!(fine.result.ret_msg, (200 * 1024 * 1024).to_string());
    assert!(fine.result.mem_usage > 200 << 20, "{}", fine.result.mem_usage);
}

#[tokio::test]
async fn a_crash_never_takes_the_emulator_down_and_the_next_call_gets_a_fresh_instance() {
    let (_emulator, client) = local::start().await;
    let crashing = "import os\n\ndef main_handler(event, context):\n    if event.get('crash'):\n        os._exit(3)\n    return os.getpid()\n";
    create_function(&client, FunctionSpec::python("crashing", crashing)).await;
    let before: u32 =
        client.invoke_function().function_name("crashing").send().await.unwrap().result.ret_msg.parse().unwrap();
    let crashed = client
        .invoke_function()
        .function_name("crashing")
        .event_from(&json!({"crash": true}))
        .unwrap()
        .send()
        .await
        .unwrap();
    let payload = ret_msg(&crashed.result);
    assert_eq!(payload["statusCode"], 439);
    assert_eq!(payload["errorMessage"], "User process exit when running");
    let after: u32 =
        client.invoke_function().function_name("crashing").send().await.unwrap().result.ret_msg.parse().unwrap();
    assert_ne!(before, after);
}

#[tokio::test]
async fn a_handler_that_cannot_load_reports_437() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("broken", "import no_such_module\n")).await;
    let response = client.invoke_function().function_name("broken").send().await.unwrap();
    let payload = ret_msg(&response.result);
    assert_eq!(payload["statusCode"], 437);
    assert!(payload["errorMessage"].as_str().unwrap().contains("no_such_module"), "{payload}");
}

#[tokio::test]
async fn beyond_the_concurrency_limit_invocations_get_432() {
    let (emulator, client) = local::start_with(EmulatorConfig::default().max_instances(2)).await;
    // Each call holds its instance until the test says so: the third surely finds both busy.
    let held = "import os, time\n\ndef main_handler(event, context):\n    open(event['started'], 'w').close()\n    for _ in range(600):\n        if os.path.exists(event['release']):\n            return 'ok'\n        time.sleep(0.05)\n    return 'never released'\n";
    create_function(&client, FunctionSpec::python("held", held).timeout(60)).await;
    let dir = emulator.data_dir().join("test-held");
    std::fs::create_dir_all(&dir).unwrap();
    let release = dir.join("release");
    let call = |name: &str| {
        let client = client.clone();
        let event = json!({"started": dir.join(name), "release": release});
        tokio::spawn(async move {
            client.invoke_function().function_name("held").event_from(&event).unwrap().send().await.unwrap().result
        })
    };
    let busy = [call("a"), call("b")];
    assert!(wait_until(|| dir.join("a").exists() && dir.join("b").exists()).await, "both calls started");
    let refused = call("c").await.unwrap();
    assert_eq!(ret_msg(&refused)["statusCode"], 432, "{refused:?}");
    std::fs::write(&release, b"").unwrap();
    for call in busy {
        assert_eq!(call.await.unwrap().ret_msg, "\"ok\"");
    }
}

#[tokio::test]
async fn node_functions_run_async_and_callback_handlers() {
    let (_emulator, client) = local::start().await;
    let source = r#"
exports.main_handler = async (event, context) => {
  console.log('node got', JSON.stringify(event));
  if (event.fail) throw new Error('node boom');
  return { sum: event.a + event.b, request: context.request_id };
};
exports.callback_handler = (event, context, callback) => { setTimeout(() => callback(null, 'called back'), 10); };
"#;
    create_function(&client, FunctionSpec::node("adder", source)).await;
    let response = client
        .invoke_function()
        .function_name("adder")
        .event_from(&json!({"a": 2, "b": 3}))
        .unwrap()
        .log_type(LogType::Tail)
        .send()
        .await
        .unwrap();
    let answer = ret_msg(&response.result);
    assert_eq!(answer["sum"], 5);
    assert_eq!(answer["request"], response.result.function_request_id.as_str());
    assert!(response.result.log.contains("node got {\"a\":2,\"b\":3}"), "{}", response.result.log);
    let failed = client
        .invoke_function()
        .function_name("adder")
        .event_from(&json!({"fail": true}))
        .unwrap()
        .send()
        .await
        .unwrap();
    let payload = ret_msg(&failed.result);
    assert_eq!(payload["statusCode"], 430);
    assert!(payload["stackTrace"].as_str().unwrap().contains("node boom"), "{payload}");

    let callback_source = "exports.main_handler = (event, context, callback) => { setTimeout(() => callback(null, 'called back'), 10); };\n";
    let zip = scf_local::package::zip_files(&[("index.js", callback_source)]).unwrap();
    client
        .update_function_code()
        .function_name("adder")
        .zip_file(scf_local::package::to_base64(&zip))
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "adder", None).await;
    let called_back = client.invoke_function().function_name("adder").send().await.unwrap();
    assert_eq!(called_back.result.ret_msg, "\"called back\"");
}

/// A custom runtime: a bash script speaking the runtime API over `/dev/tcp`.
const SHELL_BOOTSTRAP: &str = r#"#!/bin/bash
set -u
api() {
  exec 3<>"/dev/tcp/$SCF_RUNTIME_API/$SCF_RUNTIME_API_PORT"
  printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$1" "$2" "${#3}" "$3" >&3
  cat <&3
  exec 3>&-
}
api POST /runtime/init/ready "" >/dev/null
while true; do
  response=$(api GET /runtime/invocation/next "")
  body=${response#*$'\r\n\r\n'}
  echo "shell got $body"
  api POST /runtime/invocation/response "{\"echo\":$body,\"shell\":true}" >/dev/null
done
"#;

#[tokio::test]
async fn any_executable_bootstrap_runs_as_a_custom_runtime() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::custom("shell", SHELL_BOOTSTRAP)).await;
    let response = client
        .invoke_function()
        .function_name("shell")
        .event_from(&json!({"k": "v"}))
        .unwrap()
        .log_type(LogType::Tail)
        .send()
        .await
        .unwrap();
    assert_eq!(ret_msg(&response.result), json!({"echo": {"k": "v"}, "shell": true}));
    assert!(response.result.log.contains("shell got {\"k\":\"v\"}"), "{}", response.result.log);
}

#[tokio::test]
async fn configuration_changes_reach_new_instances() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("configured", ECHO)).await;
    let before = client.invoke_function().function_name("configured").send().await.unwrap();
    assert_eq!(ret_msg(&before.result)["env"]["GREETING"], Value::Null);
    let environment = scf_sdk::types::Environment::builder()
        .variables([scf_sdk::types::Variable::builder().key("GREETING").value("hi").build().unwrap()])
        .build()
        .unwrap();
    client
        .update_function_configuration()
        .function_name("configured")
        .environment(environment)
        .memory_size(256)
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "configured", None).await;
    let after = client.invoke_function().function_name("configured").send().await.unwrap();
    let answer = ret_msg(&after.result);
    assert_eq!(answer["env"]["GREETING"], "hi");
    assert_eq!(answer["memory"], 256);
    assert_ne!(answer["pid"], ret_msg(&before.result)["pid"], "the old instance is not reused");
}

#[tokio::test]
async fn qualifiers_versions_and_aliases_route_invocations() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("routed", "def main_handler(e, c):\n    return 'v1'\n")).await;
    client.publish_version().function_name("routed").send().await.unwrap();
    let zip = scf_local::package::zip_files(&[("index.py", "def main_handler(e, c):\n    return 'v2'\n")]).unwrap();
    client
        .update_function_code()
        .function_name("routed")
        .zip_file(scf_local::package::to_base64(&zip))
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "routed", None).await;
    let invoke = |qualifier: &'static str| {
        let client = client.clone();
        async move {
            client.invoke_function().function_name("routed").qualifier(qualifier).send().await.unwrap().result.ret_msg
        }
    };
    assert_eq!(invoke("1").await, "\"v1\"");
    assert_eq!(invoke("$LATEST").await, "\"v2\"");
    assert_eq!(invoke("$DEFAULT").await, "\"v2\"", "$DEFAULT points at $LATEST");
    // An alias with a rule: RoutingKey `user=beta` goes to $LATEST, everything else to version 1.
    let rule = scf_sdk::types::VersionMatch::builder()
        .version("$LATEST")
        .key("invoke.headers.user")
        .method("exact")
        .expression("beta")
        .build()
        .unwrap();
    let routing = scf_sdk::types::RoutingConfig::builder().addtion_version_matchs([rule]).build().unwrap();
    client
        .create_alias()
        .function_name("routed")
        .name("live")
        .function_version("1")
        .routing_config(routing)
        .send()
        .await
        .unwrap();
    assert_eq!(invoke("live").await, "\"v1\"");
    let beta = client
        .invoke_function()
        .function_name("routed")
        .qualifier("live")
        .routing_key([("user", "beta")])
        .send()
        .await
        .unwrap();
    assert_eq!(beta.result.ret_msg, "\"v2\"");
    // Invoke (not InvokeFunction) defaults to $LATEST.
    let invoked = client.invoke().function_name("routed").send().await.unwrap();
    assert_eq!(invoked.result.ret_msg, "\"v2\"");
}

#[tokio::test]
async fn async_events_run_report_and_can_be_terminated() {
    let (emulator, client) = local::start().await;
    let source = "import os, time\n\ndef main_handler(event, context):\n    with open(event['pid_file'], 'w') as f:\n        f.write(str(os.getpid()))\n    time.sleep(event.get('sleep', 0))\n    return 'done'\n";
    create_function(&client, FunctionSpec::python("background", source).timeout(60)).await;
    let dir = emulator.data_dir().join("test-pids");
    std::fs::create_dir_all(&dir).unwrap();
    let event = |name: &str, sleep: f64| json!({"pid_file": dir.join(name).display().to_string(), "sleep": sleep});

    let quick = client
        .invoke()
        .function_name("background")
        .invocation_type(InvocationType::Event)
        .client_context(event("quick", 0.0))
        .send()
        .await
        .unwrap();
    let quick_id = quick.result.function_request_id.clone();
    assert_eq!(quick.result.ret_msg, "", "an asynchronous call returns at once, without a result");
    let mut status = AsyncEventState::Running;
    for _ in 0..100 {
        status = client.get_async_event_status().invoke_request_id(&quick_id).send().await.unwrap().result.status;
        if status != AsyncEventState::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, AsyncEventState::Finished);

    let slow = client
        .invoke()
        .function_name("background")
        .invocation_type(InvocationType::Event)
        .client_context(event("slow", 30.0))
        .send()
        .await
        .unwrap();
    let slow_id = slow.result.function_request_id.clone();
    let pid_file = dir.join("slow");
    assert!(wait_until(|| pid_file.is_file() && std::fs::read_to_string(&pid_file).is_ok_and(|p| !p.is_empty())).await);
    let pid: u32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let listed = client.list_async_events().function_name("background").send().await.unwrap();
    assert_eq!(listed.total_count, 2);
    let running = client.get_async_event_status().invoke_request_id(&slow_id).send().await.unwrap();
    assert_eq!(running.result.status, AsyncEventState::Running);
    client.terminate_async_event().function_name("background").invoke_request_id(&slow_id).send().await.unwrap();
    let aborted = client.get_async_event_status().invoke_request_id(&slow_id).send().await.unwrap();
    assert_eq!(aborted.result.status, AsyncEventState::Aborted);
    assert_eq!(aborted.result.status_code, 499);
    assert!(wait_until(|| process_gone(pid)).await, "terminating an event kills its process");
    let again = client.terminate_async_event().function_name("background").invoke_request_id(&slow_id).send().await;
    assert_eq!(again.unwrap_err().code().map(|c| c.as_str()), Some("FailedOperation.AsyncEventStatus"));
}

/// Polls `condition` for up to 5 s.
async fn wait_until(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn results_up_to_6_mb_come_back_and_larger_ones_are_a_407() {
    let (_emulator, client) = local::start().await;
    let source = "def main_handler(event, context):\n    return 'x' * event['size']\n";
    create_function(&client, FunctionSpec::python("big", source)).await;
    let invoke = |size: usize| {
        let client = client.clone();
        async move {
            client
                .invoke_function()
                .function_name("big")
                .event_from(&json!({"size": size}))
                .unwrap()
                .send()
                .await
                .unwrap()
        }
    };
    let three_mb = invoke(3 << 20).await;
    assert_eq!(three_mb.result.ret_msg.len(), (3 << 20) + 2, "the string, quoted");
    let too_big = invoke(7 << 20).await;
    let payload = ret_msg(&too_big.result);
    assert_eq!(payload["statusCode"], 407);
    assert_eq!(payload["errorMessage"], "The size of response exceeds the upper limit (6MB)");
    // The instance is still fine.
    assert_eq!(invoke(2).await.result.ret_msg, "\"xx\"");
}

#[tokio::test]
async fn an_instance_that_dies_while_idle_is_replaced_without_an_error() {
    let (_emulator, client) = local::start().await;
    let source = "import os, threading\n\ndef main_handler(event, context):\n    if event.get('die_later'):\n        threading.Timer(0.2, lambda: os._exit(1)).start()\n    return os.getpid()\n";
    create_function(&client, FunctionSpec::python("fragile", source)).await;
    let first: u32 = client
        .invoke_function()
        .function_name("fragile")
        .event_from(&json!({"die_later": true}))
        .unwrap()
        .send()
        .await
        .unwrap()
        .result
        .ret_msg
        .parse()
        .unwrap();
    assert!(wait_until(|| process_gone(first)).await);
    let next = client.invoke_function().function_name("fragile").send().await.unwrap().result;
    let second: u32 = next.ret_msg.parse().unwrap_or_else(|_| panic!("not a fresh instance: {}", next.ret_msg));
    assert_ne!(first, second);
}

#[tokio::test]
async fn endless_output_costs_the_emulator_a_bounded_amount() {
    let (_emulator, client) = local::start().await;
    let source = "import sys\n\ndef main_handler(event, context):\n    line = 'y' * 1023 + '\\n'\n    for _ in range(50 * 1024):\n        sys.stdout.write(line)\n    print('the end')\n    return 'done'\n";
    create_function(&client, FunctionSpec::python("chatterbox", source).timeout(30)).await;
    let response = client.invoke_function().function_name("chatterbox").log_type(LogType::Tail).send().await.unwrap();
    assert_eq!(response.result.ret_msg, "\"done\"");
    assert!(response.result.log.contains("the end"), "the end of the output is kept");
    assert!(response.result.log.len() <= 4096);
    #[allow(deprecated)]
    let logs = client.get_function_logs().function_name("chatterbox").send().await.unwrap();
    let stored = &logs.data[0].log;
    assert!(stored.len() < 70 * 1024, "{}", stored.len());
    assert!(stored.contains("earlier bytes of output not kept"), "{}", &stored[..200.min(stored.len())]);
}
