//! The runtime against a scripted runtime API: this crate's examples run as real processes, and the
//! test plays the platform, checking every request on the wire — the `Host` header, `Content-Length`
//! framing, one keep-alive connection (reopened when the platform closes it) — and each outcome:
//! results, errors, panics, events that do not decode, logs, runtime errors.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod support;

use serde_json::{Value, json};
use support::{Function, RuntimeApi, example, within, written};

/// A function started from the example `name`, and its runtime API, ready for events.
async fn started(name: &str, env: &[(&str, &str)]) -> (RuntimeApi, Function, tempfile::TempDir) {
    let output = tempfile::tempdir().unwrap();
    let mut api = RuntimeApi::bind().await;
    let function = Function::start(&example(name), api.port, output.path(), env);
    let ready = api.expect_ready().await;
    assert!(ready.body.is_empty(), "init/ready has an empty body");
    assert_eq!(ready.header("content-length"), Some("0"));
    (api, function, output)
}

#[tokio::test]
async fn echo_over_one_keep_alive_connection() {
    let (mut api, _function, _output) = started("echo", &[]).await;
    for (n, event) in [json!({"key": "value"}), json!({}), json!({"n": [1, 2.5, null, "é"]})].iter().enumerate() {
        let id = format!("request-{n}");
        let answer = api.invoke(&id, event).await;
        assert_eq!(answer.path, "/runtime/invocation/response");
        assert_eq!(answer.json(), json!({"echo": event, "request_id": id}));
        assert_eq!(answer.header("content-length"), Some(answer.body.len().to_string().as_str()));
        assert_eq!(answer.header("content-type"), Some("application/json"));
    }
    assert_eq!(api.connections, 1, "one keep-alive connection for init and three invocations");
}

#[tokio::test]
async fn requests_name_the_address_connected_to_and_nothing_else() {
    let (mut api, _function, _output) = started("echo", &[]).await;
    let next = api.send_event("r1", b"{}").await;
    let host = format!("127.0.0.1:{}", api.port);
    assert_eq!(next.header("host"), Some(host.as_str()));
    assert!(next.body.is_empty() && next.header("content-length").is_none(), "a GET has no body");
    let answer = api.answer().await;
    assert_eq!(answer.header("host"), Some(host.as_str()));
    // A runtime API that refuses browsers' requests must see none of their marks.
    for request in [&next, &answer] {
        let names: Vec<&str> = request.headers.iter().map(|(name, _)| name.as_str()).collect();
        assert!(names.iter().all(|n| ["host", "content-type", "content-length"].contains(n)), "{names:?}");
    }
}

#[tokio::test]
async fn context_comes_from_the_environment_and_the_event_headers() {
    let env = [
        ("SCF_FUNCTIONNAME", "lifecycle"),
        ("SCF_FUNCTIONVERSION", "2"),
        ("SCF_NAMESPACE", "team"),
        ("TENCENTCLOUD_REGION", "ap-shanghai"),
        ("TENCENTCLOUD_APPID", "1250000000"),
        ("TENCENTCLOUD_UIN", "100000000001"),
    ];
    let (mut api, _function, _output) = started("lifecycle", &env).await;
    api.send_event_with("ctx-1", b"{}", &[("Memory_Limit_In_Mb", "256"), ("Time_Limit_In_Ms", "1500")]).await;
    let context = api.answer().await.json();
    assert_eq!(context["request_id"], "ctx-1");
    assert_eq!(context["function_name"], "lifecycle");
    assert_eq!(context["function_version"], "2");
    assert_eq!(context["namespace"], "team");
    assert_eq!(context["memory_limit_in_mb"], 256);
    assert_eq!(context["time_limit_in_ms"], 1500);
    assert!(context["remaining_ms"].as_u64().unwrap() <= 1500);
    assert_eq!(context["region"], "ap-shanghai");
    assert_eq!(context["appid"], "1250000000");
    assert_eq!(context["uin"], "100000000001");
    assert_eq!(context["tmp_writable"], true, "TMPDIR is where the function writes");

    // Without the platform's values: SCF's defaults, and no region, appid or uin.
    let (mut api, _function, _output) = started("lifecycle", &[]).await;
    let context = api.invoke("ctx-2", &json!({})).await.json();
    assert_eq!(
        (context["function_version"].as_str(), context["namespace"].as_str()),
        (Some("$LATEST"), Some("default"))
    );
    assert_eq!((context["memory_limit_in_mb"].as_u64(), context["time_limit_in_ms"].as_u64()), (Some(128), Some(3000)));
    assert_eq!((&context["region"], &context["appid"], &context["uin"]), (&Value::Null, &Value::Null, &Value::Null));
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_reopened() {
    let (mut api, _function, _output) = started("echo", &[]).await;
    // Closed after init/ready, and after an answer: the next request goes on a new connection.
    api.close();
    let answer = api.invoke("a", &json!({"n": 1})).await;
    assert_eq!(answer.json()["request_id"], "a");
    api.close();
    let answer = api.invoke("b", &json!({"n": 2})).await;
    assert_eq!(answer.json()["request_id"], "b");
    assert_eq!(api.connections, 3);

    // Closed just as the function sent its request (the close raced the request): sent again, once.
    let first = api.request().await;
    assert_eq!(first.path, "/runtime/invocation/next");
    api.close();
    api.send_event("c", b"{\"n\":3}").await;
    assert_eq!(api.answer().await.json(), json!({"echo": {"n": 3}, "request_id": "c"}));
    assert_eq!(api.connections, 4);
}

#[tokio::test]
async fn a_request_closed_twice_without_an_answer_is_a_runtime_error() {
    let (mut api, mut function, output) = started("echo", &[]).await;
    api.request().await;
    api.close();
    api.request().await;
    api.close();
    assert_eq!(function.exit_code().await, Some(1));
    let stderr = written(output.path(), "stderr");
    assert!(
        stderr.starts_with(&format!(
            "Error: GET http://127.0.0.1:{}/runtime/invocation/next failed: the connection broke",
            api.port
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn handler_errors_are_reported_as_json() {
    let (mut api, _function, output) = started("lifecycle", &[]).await;
    let answer = api.invoke("e1", &json!({"action": "error", "message": "the order is gone"})).await;
    assert_eq!(answer.path, "/runtime/invocation/error");
    assert_eq!(
        answer.json(),
        json!({"errorType": "LifecycleError", "errorMessage": "the order is gone",
               "stackTrace": "LifecycleError: the order is gone"})
    );
    assert!(written(output.path(), "stderr").contains("LifecycleError: the order is gone\n"), "and in the log");

    let answer = api.invoke("e2", &json!({"action": "jump"})).await;
    assert_eq!(answer.json()["errorType"], "Error");
    assert_eq!(answer.json()["errorMessage"], "unknown action `jump`");
}

#[tokio::test]
async fn a_panic_is_reported_and_the_next_event_is_served_by_the_same_process() {
    let (mut api, function, output) = started("lifecycle", &[]).await;
    let answer = api.invoke("p1", &json!({"action": "panic", "message": "index out of range"})).await;
    assert_eq!(answer.path, "/runtime/invocation/error");
    assert_eq!(
        answer.json(),
        json!({"errorType": "Panic", "errorMessage": "index out of range", "stackTrace": "Panic: index out of range"})
    );
    assert!(written(output.path(), "stderr").contains("panicked at"), "the panic hook's message is in the log");

    let context = api.invoke("p2", &json!({})).await.json();
    assert_eq!(context["request_id"], "p2");
    assert_eq!(context["invocations"], 2, "the same handler, after the panic");
    assert_eq!(context["pid"], function.child.id().unwrap());
}

#[tokio::test]
async fn events_that_do_not_decode_are_reported_and_the_function_goes_on() {
    let (mut api, _function, _output) = started("lifecycle", &[]).await;
    let answer = api.invoke("d1", &json!({"action": "sleep", "ms": "soon"})).await;
    assert_eq!(answer.path, "/runtime/invocation/error");
    let error = answer.json();
    assert_eq!(error["errorType"], "InvalidEvent");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("the event does not decode into the handler's event type: invalid type"), "{message}");

    api.send_event("d2", b"not json").await;
    assert_eq!(api.answer().await.json()["errorType"], "InvalidEvent");
    // An empty event is `{}`.
    api.send_event("d3", b"").await;
    assert_eq!(api.answer().await.json()["request_id"], "d3");
}

#[tokio::test]
async fn output_is_written_before_the_answer() {
    let (mut api, _function, output) = started("lifecycle", &[]).await;
    let answer = api.invoke("o1", &json!({"action": "print", "text": "no newline here"})).await;
    assert_eq!(answer.json(), json!({"printed": "no newline here"}));
    // Read when the answer arrived: stdout was flushed before it was sent.
    assert_eq!(written(output.path(), "stdout"), "no newline here");
    let stderr = written(output.path(), "stderr");
    assert!(stderr.contains("to stderr: no newline here"), "{stderr}");
    assert!(stderr.contains("a tracing event text=no newline here"), "{stderr}");
}

#[tokio::test]
async fn large_events_and_results_travel_whole() {
    let (mut api, _function, _output) = started("echo", &[]).await;
    let text = "0123456789abcdef".repeat(5 * 1024 * 1024 / 16);
    let answer = api.invoke("big", &json!({ "text": text })).await;
    assert_eq!(answer.json()["echo"]["text"].as_str().map(str::len), Some(text.len()));

    let (mut api, _function, _output) = started("lifecycle", &[]).await;
    let answer = api.invoke("big", &json!({"action": "large", "bytes": 6 * 1024 * 1024})).await;
    assert_eq!(answer.body.len(), 6 * 1024 * 1024 + 2);
    assert_eq!(answer.header("content-length"), Some((6 * 1024 * 1024 + 2).to_string().as_str()));
}

#[tokio::test]
async fn chunked_and_close_delimited_events_are_read() {
    let (mut api, _function, _output) = started("echo", &[]).await;
    let request = api.request().await;
    assert_eq!(request.path, "/runtime/invocation/next");
    api.write(b"HTTP/1.1 200 OK\r\nrequest_id: c1\r\ntransfer-encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")
        .await;
    assert_eq!(api.answer().await.json(), json!({"echo": {"a": 1}, "request_id": "c1"}));

    let request = api.request().await;
    assert_eq!(request.path, "/runtime/invocation/next");
    api.write(b"HTTP/1.1 200 OK\r\nrequest_id: c2\r\nconnection: close\r\n\r\n{\"b\":2}").await;
    api.close();
    assert_eq!(api.answer().await.json(), json!({"echo": {"b": 2}, "request_id": "c2"}));
}

#[tokio::test]
async fn runtime_errors_are_a_message_and_a_non_zero_exit() {
    let output = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(example("echo"));
        command.env_clear().envs(env.iter().copied());
        command.output().unwrap()
    };

    // Started by hand, not by SCF.
    let outcome = run(&[]);
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(outcome.status.code(), Some(1));
    assert!(
        stderr.starts_with("Error: SCF_RUNTIME_API is not set: this program is an SCF function's `bootstrap`"),
        "{stderr}"
    );

    // Nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let outcome = run(&[("SCF_RUNTIME_API", "127.0.0.1"), ("SCF_RUNTIME_API_PORT", &port)]);
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(outcome.status.code(), Some(1));
    assert!(stderr.starts_with(&format!("Error: cannot reach the runtime API at 127.0.0.1:{port}: ")), "{stderr}");

    // Something that is not the runtime API.
    let mut api = RuntimeApi::bind().await;
    let mut function = Function::start(&example("echo"), api.port, output.path(), &[]);
    api.request().await;
    api.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
    assert_eq!(function.exit_code().await, Some(1));
    let stderr = written(output.path(), "stderr");
    assert!(stderr.contains("malformed response: a status line `SSH-2.0-OpenSSH_9.6`"), "{stderr}");

    // An event without a request id.
    let mut api = RuntimeApi::bind().await;
    let mut function = Function::start(&example("echo"), api.port, output.path(), &[]);
    api.expect_ready().await;
    api.request().await;
    api.respond(200, &[], b"{}").await;
    assert_eq!(function.exit_code().await, Some(1));
    let stderr = written(output.path(), "stderr");
    assert!(stderr.contains("answered an event without a `request_id` header"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The platform refuses init/ready.
    let mut api = RuntimeApi::bind().await;
    let mut function = Function::start(&example("echo"), api.port, output.path(), &[]);
    api.request().await;
    api.respond(403, &[], b"no").await;
    assert_eq!(within("exit", function.exit_code()).await, Some(1));
    let stderr = written(output.path(), "stderr");
    assert!(stderr.contains("the runtime API answered POST /runtime/init/ready with status 403: no"), "{stderr}");
}
