//! scf-local against what an unattended emulator meets: web pages and other hosts (Host and Origin
//! checks, signed code addresses), hostile input (deep queries, zip bombs, escaping archives), idle
//! and trickling sockets, and buggy functions (writing to their code, children over the memory
//! limit, descendants that leave the process group) — and the limits that keep its state bounded.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use scf_local::{Emulator, EmulatorConfig, Limits, StartError, package};
use scf_sdk::types::{AsyncEventState, Code, InvocationType};
use scf_tests::TempDir;
use scf_tests::local::{self, FunctionSpec, RawRequest, create_function, process_gone, raw_http};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A signed POST of `action` as a browser on `host` could send it (it knows the public keys).
fn signed_post(emulator: &Emulator, host: &str, action: &str, body: &Value, extra: &[(&str, &str)]) -> Vec<u8> {
    let request = RawRequest::new(emulator, action, body).build(&format!("http://{host}"), None);
    let mut text = String::from("POST / HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n", request.body.len()));
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(&request.body);
    bytes
}

fn total_count(body: &str) -> i64 {
    let envelope: Value = serde_json::from_str(body).expect("JSON");
    envelope["Response"]["TotalCount"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_rebound_host_name_or_a_web_origin_is_refused_before_anything_runs() {
    let (emulator, client) = local::start().await;
    let address = emulator.address();
    let port = address.port();
    let create = json!({
        "FunctionName": "planted",
        "Runtime": "CustomRuntime",
        "Code": {"ZipFile": package::to_base64(&package::zip_files(&[("bootstrap", "#!/bin/sh\ntouch /tmp/pwned\n")]).unwrap())}
    });
    // DNS rebinding: the page's own host name, now resolving to 127.0.0.1.
    let evil = format!("evil.example:{port}");
    let (status, _, body) = raw_http(address, &signed_post(&emulator, &evil, "CreateFunction", &create, &[])).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--allow-host"), "{body}");
    // The right host, but sent by a web page.
    let good = format!("127.0.0.1:{port}");
    let from_page = signed_post(&emulator, &good, "CreateFunction", &create, &[("Origin", "http://evil.example")]);
    let (status, head, body) = raw_http(address, &from_page).await;
    assert_eq!(status, 403, "{body}");
    assert!(!head.to_ascii_lowercase().contains("access-control-allow-origin"), "no CORS by default: {head}");
    assert_eq!(client.list_functions().send().await.unwrap().total_count, 0, "nothing was created");
    let (status, _, body) = raw_http(address, &signed_post(&emulator, &good, "ListFunctions", &json!({}), &[])).await;
    assert_eq!((status, total_count(&body)), (200, 0), "{body}");
    let localhost = format!("localhost:{port}");
    let (status, _, _) = raw_http(address, &signed_post(&emulator, &localhost, "ListFunctions", &json!({}), &[])).await;
    assert_eq!(status, 200);
    // The package address needs no API signature, but it needs its own.
    let (status, _, _) = raw_http(
        address,
        format!("GET /code/{}.zip HTTP/1.1\r\nHost: {good}\r\nConnection: close\r\n\r\n", "a".repeat(64)).as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn allowed_hosts_and_origins_are_answered_with_cors_headers() {
    let config = EmulatorConfig::default().allow_host("dev.box").allow_origin("http://localhost:3000");
    let (emulator, _client) = local::start_with(config).await;
    let address = emulator.address();
    let host = format!("dev.box:{}", address.port());
    let (status, _, body) = raw_http(address, &signed_post(&emulator, &host, "ListFunctions", &json!({}), &[])).await;
    assert_eq!((status, total_count(&body)), (200, 0), "{body}");
    let request = signed_post(&emulator, &host, "ListFunctions", &json!({}), &[("Origin", "http://localhost:3000")]);
    let (status, head, _) = raw_http(address, &request).await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("access-control-allow-origin: http://localhost:3000"), "{head}");
    let preflight = format!(
        "OPTIONS / HTTP/1.1\r\nHost: {host}\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, x-tc-action\r\nConnection: close\r\n\r\n"
    );
    let (status, head, _) = raw_http(address, preflight.as_bytes()).await;
    assert_eq!(status, 204, "{head}");
    assert!(head.to_ascii_lowercase().contains("access-control-allow-headers: authorization, x-tc-action"), "{head}");
    let other = signed_post(&emulator, &host, "ListFunctions", &json!({}), &[("Origin", "http://localhost:4000")]);
    assert_eq!(raw_http(address, &other).await.0, 403, "only the allowed origin");
}

#[tokio::test]
async fn code_addresses_are_signed_by_the_emulator() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("downloadable", "def main_handler(e, c):\n    return 1\n")).await;
    let url = client.get_function_address().function_name("downloadable").send().await.unwrap().url;
    let (path, query) = url.trim_start_matches(&emulator.endpoint_url()).split_once('?').expect("a signed address");
    let host = emulator.address().to_string();
    let get = |target: String| format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_http(emulator.address(), get(format!("{path}?{query}")).as_bytes()).await.0, 200);
    assert_eq!(raw_http(emulator.address(), get(path.to_owned()).as_bytes()).await.0, 403, "unsigned");
    let forged = query.replace("Expires=", "Expires=9");
    assert_eq!(raw_http(emulator.address(), get(format!("{path}?{forged}")).as_bytes()).await.0, 403, "forged");
}

#[tokio::test]
async fn the_library_refuses_the_public_keys_off_loopback_too() {
    let config = EmulatorConfig::default().listen("0.0.0.0:0".parse().unwrap());
    match Emulator::start(config).await {
        Err(StartError::PublicKeysOffLoopback { address }) => assert!(address.ip().is_unspecified()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn idle_and_trickling_sockets_cannot_lock_clients_out() {
    let mut limits = Limits::default();
    limits.header_read_timeout = Duration::from_secs(3);
    let (emulator, client) = local::start_with(EmulatorConfig::default().limits(limits)).await;
    let address = emulator.address();
    // 2,000 sockets, over the 1,024 the emulator keeps: half say nothing, half trickle a header.
    let mut held = Vec::new();
    for i in 0..2000 {
        let mut stream = TcpStream::connect(address).await.expect("connects");
        if i % 2 == 1 {
            stream.write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\nX-Slow: ").as_bytes()).await.unwrap();
        }
        held.push(stream);
    }
    let trickle = async {
        loop {
            for stream in held.iter_mut().skip(1).step_by(2) {
                let _ = stream.write_all(b"x").await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let call = async {
        let started = Instant::now();
        let listed = client.list_functions().send().await.expect("a real call still gets through");
        (listed.total_count, started.elapsed())
    };
    let (count, took) = tokio::select! {
        answer = call => answer,
        _ = trickle => unreachable!("the trickle never ends"),
    };
    assert_eq!(count, 0);
    assert!(took < Duration::from_secs(1), "{took:?}");
    // The server closes every one of them: the evicted at once, the rest after the header timeout.
    let closed = async {
        for stream in &mut held {
            let mut buf = [0u8; 256];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {} // A `408` or nothing: wait for the close.
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), closed).await.expect("the server closed every held socket");
}

/// A client that holds no key is answered from its headers alone: the emulator neither waits for
/// nor buffers the body it announces.
#[tokio::test]
async fn an_unknown_key_is_refused_before_the_body_is_read() {
    let (emulator, _client) = local::start().await;
    let address = emulator.address();
    let known = emulator.credentials().secret_id().to_owned();
    for (secret_id, age, code) in
        [("AKIDnobody", 0, "AuthFailure.SecretIdNotFound"), (known.as_str(), 3600, "AuthFailure.SignatureExpire")]
    {
        let mut request = RawRequest::new(&emulator, "ListFunctions", &json!({}));
        request.secret_id = secret_id.into();
        request.timestamp -= age;
        let signed = request.build(&format!("http://{address}"), None);
        // 5 MB announced, none of it sent: the default body timeout is 60 s.
        let mut head = String::from("POST / HTTP/1.1\r\n");
        for (name, value) in &signed.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("Content-Length: 5000000\r\n\r\n");
        let mut stream = TcpStream::connect(address).await.expect("connects");
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = async {
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&answer).contains("RequestId") {
                let n = stream.read(&mut buf).await.expect("reads");
                assert!(n > 0, "closed without an answer: {}", String::from_utf8_lossy(&answer));
                answer.extend_from_slice(&buf[..n]);
            }
            String::from_utf8_lossy(&answer).into_owned()
        };
        let answer =
            tokio::time::timeout(Duration::from_secs(20), answer).await.expect("answered without waiting for the body");
        assert!(answer.contains(code), "{secret_id:?}: {answer}");
    }
}

fn code_dir_entries(emulator: &Emulator) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(emulator.data_dir().join("code"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn zip_bombs_and_escaping_archives_are_refused_and_leave_nothing() {
    let (emulator, client) = local::start().await;
    let bomb = scf_local::fuzzing::overlapping_bomb(10 << 20, 100);
    assert!(bomb.len() < 20 * 1024, "{} bytes expanding to 1 GB", bomb.len());
    let mut escaping = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    escaping.add_symlink("index.py", "../../../../etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
    let escaping = escaping.finish().unwrap().into_inner();
    let many: Vec<(String, String)> = (0..70_000).map(|i| (format!("f{i}"), String::new())).collect();
    let many = package::zip_files(&many).unwrap();
    for (archive, why) in [(bomb, "more than 500 MB"), (escaping, "leads outside the package"), (many, "at most 65535")]
    {
        let started = Instant::now();
        let error = client
            .create_function()
            .function_name("bomb")
            .runtime("Python3.9")
            .code(Code::builder().zip_file(package::to_base64(&archive)).build().unwrap())
            .send()
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{why}: {:?}", started.elapsed());
        assert_eq!(error.code().map(|c| c.as_str().to_owned()).as_deref(), Some("InvalidParameterValue.Code"));
        assert!(error.to_string().contains(why), "{error}");
        assert!(code_dir_entries(&emulator).is_empty(), "nothing left: {:?}", code_dir_entries(&emulator));
    }
}

const WRITER: &str = r#"import os

def main_handler(event, context):
    try:
        with open("written-by-" + event["me"], "w") as f:
            f.write("x")
        code = "written"
    except OSError as error:
        code = type(error).__name__
    with open(os.path.join(os.environ["TMPDIR"], "mine"), "w") as f:
        f.write(event["me"])
    # A directory of its scratch made read-only: it still goes with the instance.
    locked = os.path.join(os.environ["TMPDIR"], "locked")
    os.makedirs(locked, exist_ok=True)
    open(os.path.join(locked, "kept"), "w").close()
    os.chmod(locked, 0o500)
    caps = {}
    for line in open("/proc/self/status"):
        name, _, value = line.partition(":")
        if name in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            caps[name] = int(value, 16)
    return {"caps": caps, "code": code, "tmp": os.environ["TMPDIR"], "seen": sorted(os.listdir("."))}
"#;

#[tokio::test]
async fn functions_cannot_write_their_code_and_each_instance_has_its_own_scratch() {
    let (_emulator, client) = local::start().await;
    // Two functions from the same package share its (read-only) extraction.
    create_function(&client, FunctionSpec::python("first", WRITER)).await;
    create_function(&client, FunctionSpec::python("second", WRITER)).await;
    let run = |name: &'static str| {
        let client = client.clone();
        async move {
            let response = client
                .invoke_function()
                .function_name(name)
                .event_from(&json!({"me": name}))
                .unwrap()
                .send()
                .await
                .unwrap();
            serde_json::from_str::<Value>(&response.result.ret_msg).unwrap()
        }
    };
    let first = run("first").await;
    let second = run("second").await;
    assert_eq!(first["code"], "PermissionError", "{first}");
    assert_eq!(second["code"], "PermissionError", "{second}");
    assert_eq!(second["seen"], json!(["index.py"]), "nothing of the first function's: {second}");
    assert_ne!(first["tmp"], second["tmp"]);
    // No set the function's processes hold has a capability that bypasses file permissions
    // (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: bits 1 to 3), whoever runs the emulator.
    for (set, value) in first["caps"].as_object().unwrap() {
        assert_eq!(value.as_u64().unwrap() & 0b1110, 0, "{set}: {value}");
    }
    // The scratch directories go with their instances, read-only parts and all.
    for name in ["first", "second"] {
        client.delete_function().function_name(name).send().await.unwrap();
    }
    let scratches = [first["tmp"].as_str().unwrap(), second["tmp"].as_str().unwrap()];
    let deadline = Instant::now() + Duration::from_secs(10);
    while scratches.iter().any(|dir| std::path::Path::new(dir).exists()) {
        assert!(Instant::now() < deadline, "scratch directories left: {scratches:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const MEMORY_HOG_PARENT: &str = r#"import subprocess, sys, time

def main_handler(event, context):
    subprocess.Popen([sys.executable, "-c", "b = b'x' * (300 << 20); import time; time.sleep(60)"])
    time.sleep(8)
    return "not caught"
"#;

#[tokio::test]
async fn a_child_over_the_memory_limit_is_caught() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("hog", MEMORY_HOG_PARENT).memory(128).timeout(10)).await;
    let started = Instant::now();
    let response = client.invoke_function().function_name("hog").send().await.unwrap();
    let payload: Value = serde_json::from_str(&response.result.ret_msg).unwrap();
    assert_eq!(payload["statusCode"], 434, "{payload}");
    assert!(started.elapsed() < Duration::from_secs(5), "caught while it runs: {:?}", started.elapsed());
    assert_eq!(emulator.live_instances(), 0, "the instance and its child are gone");
}

const FORKER: &str = r#"import os, time

def main_handler(event, context):
    shared = b"x" * (100 << 20)
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return len(shared) >> 20
"#;

/// Forked children share their parent's pages: 100 MB held by five processes is 100 MB, not 500,
/// against a 256 MB limit.
#[tokio::test]
async fn memory_shared_by_forked_children_is_counted_once() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("forker", FORKER).memory(256).timeout(20)).await;
    let response = client.invoke_function().function_name("forker").send().await.unwrap();
    assert_eq!(response.result.ret_msg, "100", "{:?}", response.result);
}

const SPAWNER: &str = r#"import subprocess, time

def main_handler(event, context):
    pids = []
    # A child in a session (and process group) of its own.
    pids.append(subprocess.Popen(["sleep", "300"], start_new_session=True).pid)
    # A grandchild that leaves the group and whose parent exits at once (a daemon).
    daemon = subprocess.run(["sh", "-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True)
    pids.append(int(daemon.stdout.strip()))
    with open(event["pidfile"], "w") as f:
        f.write(" ".join(str(p) for p in pids))
    time.sleep(30)
"#;

#[tokio::test]
async fn a_timeout_kills_every_descendant_even_those_that_left_the_group() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("spawner", SPAWNER).timeout(2)).await;
    let dir = TempDir::new("hardening");
    let pidfile = dir.join("pids");
    let response = client
        .invoke_function()
        .function_name("spawner")
        .event_from(&json!({"pidfile": pidfile}))
        .unwrap()
        .send()
        .await
        .unwrap();
    let payload: Value = serde_json::from_str(&response.result.ret_msg).unwrap();
    assert_eq!(payload["statusCode"], 433, "{payload}");
    let pids: Vec<u32> =
        std::fs::read_to_string(&pidfile).unwrap().split_whitespace().map(|p| p.parse().unwrap()).collect();
    assert_eq!(pids.len(), 2);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !pids.iter().all(|&pid| process_gone(pid)) {
        assert!(
            Instant::now() < deadline,
            "left behind: {:?}",
            pids.iter().filter(|&&p| !process_gone(p)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const DESERTER: &str = r#"import os, subprocess

def main_handler(event, context):
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    with open(event["pidfile"], "w") as f:
        f.write(str(child.pid))
    # The runtime's own process ends; its child is reparented away from the instance's tree.
    os._exit(3)
"#;

#[tokio::test]
async fn processes_outlive_neither_their_instance_nor_its_first_process() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("deserter", DESERTER)).await;
    let dir = TempDir::new("hardening-deserter");
    let pidfile = dir.join("pid");
    let response = client
        .invoke_function()
        .function_name("deserter")
        .event_from(&json!({"pidfile": pidfile}))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert!(!response.result.err_msg.is_empty(), "the instance exited: {:?}", response.result);
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !process_gone(pid) {
        assert!(Instant::now() < deadline, "the child {pid} outlived its instance");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emulator.live_instances(), 0);
}

const SLEEPER: &str = "import time\n\ndef main_handler(event, context):\n    time.sleep(1.5)\n    return 'done'\n";

#[tokio::test]
async fn instances_are_capped_across_all_functions() {
    let mut limits = Limits::default();
    limits.max_total_instances = 2;
    let (emulator, client) = local::start_with(EmulatorConfig::default().limits(limits)).await;
    for name in ["s1", "s2", "s3"] {
        create_function(&client, FunctionSpec::python(name, SLEEPER)).await;
    }
    let invoke = |name: &'static str| {
        let client = client.clone();
        async move {
            let response = client.invoke_function().function_name(name).send().await.unwrap();
            serde_json::from_str::<Value>(&response.result.ret_msg).unwrap()
        }
    };
    let results = tokio::join!(invoke("s1"), invoke("s2"), invoke("s3"));
    let results = [results.0, results.1, results.2];
    let refused = results.iter().filter(|r| r["statusCode"] == 432).count();
    let done = results.iter().filter(|r| **r == json!("done")).count();
    assert_eq!((done, refused), (2, 1), "{results:?}");
    // Now both instances are idle: one of them makes room for whichever function was refused.
    let refused = ["s1", "s2", "s3"][results.iter().position(|r| r["statusCode"] == 432).unwrap()];
    assert_eq!(invoke(refused).await, json!("done"), "an idle instance of another function is stopped for it");
    let deadline = Instant::now() + Duration::from_secs(5);
    while emulator.stats().await.live_instances > 2 {
        assert!(Instant::now() < deadline, "the stopped instance's process is still counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const PID_SLEEPER: &str = "import os, time\n\ndef main_handler(event, context):\n    with open(event['pidfile'], 'w') as f:\n        f.write(str(os.getpid()))\n    time.sleep(20)\n    return 'late'\n";

/// Deleting a function stops its running asynchronous events: the process goes, and nothing of
/// them is recorded afterwards (not even under a new function of the same name).
#[tokio::test]
async fn deleting_a_function_stops_its_asynchronous_events() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("doomed", PID_SLEEPER).timeout(30)).await;
    let dir = TempDir::new("hardening-doomed");
    let pidfile = dir.join("pid");
    client
        .invoke()
        .function_name("doomed")
        .invocation_type(InvocationType::Event)
        .client_context(json!({"pidfile": pidfile}))
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid: u32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile).ok().and_then(|p| p.trim().parse().ok()) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the event never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    client.delete_function().function_name("doomed").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !process_gone(pid) {
        assert!(Instant::now() < deadline, "the event's process {pid} outlived its function");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    create_function(&client, FunctionSpec::python("doomed", "def main_handler(e, c):\n    return 'new'\n")).await;
    client.invoke_function().function_name("doomed").send().await.unwrap();
    let events = client.list_async_events().function_name("doomed").send().await.unwrap();
    assert_eq!(events.total_count, 0, "{events:?}");
    // Logs are written in order: once the new invocation's row is there, an old one would be too.
    let deadline = Instant::now() + Duration::from_secs(10);
    let logs = loop {
        #[allow(deprecated)] // GetFunctionLogs is deprecated on the service; scf-local keeps it.
        let logs = client.get_function_logs().function_name("doomed").send().await.unwrap();
        if logs.total_count > 0 {
            break logs;
        }
        assert!(Instant::now() < deadline, "the new invocation was never logged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(logs.total_count, 1, "{:?}", logs.data);
}

#[tokio::test]
async fn asynchronous_events_are_kept_up_to_the_limit() {
    let mut limits = Limits::default();
    limits.max_async_events = 5;
    let (emulator, client) = local::start_with(EmulatorConfig::default().limits(limits)).await;
    create_function(&client, FunctionSpec::python("quick", "def main_handler(e, c):\n    return 1\n")).await;
    for _ in 0..12 {
        let started =
            client.invoke().function_name("quick").invocation_type(InvocationType::Event).send().await.unwrap();
        let id = started.result.function_request_id;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = client.get_async_event_status().invoke_request_id(&id).send().await.unwrap();
            if status.result.status != AsyncEventState::Running {
                break;
            }
            assert!(Instant::now() < deadline, "the event did not finish");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let listed = client.list_async_events().function_name("quick").send().await.unwrap();
    assert!(listed.total_count <= 5, "{}", listed.total_count);
    assert!(emulator.stats().await.async_events <= 5);
}

#[tokio::test]
async fn invocation_logs_are_bounded_by_bytes_and_one_answer_is_capped() {
    let mut limits = Limits::default();
    limits.max_log_bytes = 1 << 20;
    let (emulator, client) = local::start_with(EmulatorConfig::default().limits(limits)).await;
    let source = "def main_handler(event, context):\n    return 'x' * (60 * 1024)\n";
    create_function(&client, FunctionSpec::python("chatty", source)).await;
    for _ in 0..40 {
        client.invoke_function().function_name("chatty").send().await.unwrap();
    }
    let stats = emulator.stats().await;
    // Trimmed whenever a tenth of the limit has been written since the last trim.
    assert!(stats.log_bytes <= (1 << 20) + (1 << 20) / 10 + 70 * 1024, "{stats:?}");
    assert!(stats.log_records < 40, "{stats:?}");

    // With the default limits, 200 records of 60 KB do not fit one 8 MB answer.
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("chatty", source)).await;
    for _ in 0..200 {
        client.invoke_function().function_name("chatty").send().await.unwrap();
    }
    #[allow(deprecated)]
    let logs = client.get_function_logs().function_name("chatty").limit(200).send().await.unwrap();
    assert_eq!(logs.total_count, 200);
    assert!(!logs.data.is_empty() && logs.data.len() < 200, "{} records", logs.data.len());
}

fn zip_code(files: &[(&str, &str)]) -> Code {
    Code::builder().zip_file(package::to_base64(&package::zip_files(files).unwrap())).build().unwrap()
}

#[tokio::test]
async fn code_packages_nothing_refers_to_are_removed() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("f1", "def main_handler(e, c):\n    return 1\n")).await;
    let first = emulator.stats().await.code_packages;
    assert_eq!(first.len(), 1);
    client
        .update_function_code()
        .function_name("f1")
        .handler("index.main_handler")
        .code(zip_code(&[("index.py", "def main_handler(e, c):\n    return 2\n")]))
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "f1", None).await;
    let second = emulator.stats().await.code_packages;
    assert_eq!(second.len(), 1);
    assert_ne!(second, first, "the replaced package is gone");
    client.publish_version().function_name("f1").send().await.unwrap();
    client
        .update_function_code()
        .function_name("f1")
        .handler("index.main_handler")
        .code(zip_code(&[("index.py", "def main_handler(e, c):\n    return 3\n")]))
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "f1", None).await;
    assert_eq!(emulator.stats().await.code_packages.len(), 2, "version 1 still refers to the second package");
    client.delete_function().function_name("f1").send().await.unwrap();
    assert_eq!(emulator.stats().await.code_packages, Vec::<String>::new());
}

#[tokio::test]
async fn at_start_packages_are_repaired_and_unreferenced_ones_removed() {
    let temp = TempDir::new("hardening-data");
    let dir = temp.join("data");
    let config = || EmulatorConfig::default().data_dir(&dir);
    let source = "import os\n\ndef main_handler(e, c):\n    return sorted(os.listdir('.'))\n";
    let sha = {
        let (emulator, client) = local::start_with(config()).await;
        let files = vec![("index.py", source), ("data.txt", "payload")];
        create_function(&client, FunctionSpec { files, ..FunctionSpec::python("kept", source) }).await;
        let sha = emulator.stats().await.code_packages[0].clone();
        emulator.shutdown(Duration::from_secs(5)).await;
        sha
    };
    // A crash cut the extraction short (its marker is written last), and a package nothing refers
    // to was left behind.
    let code = dir.join("code");
    std::fs::remove_file(code.join(format!("{sha}.ok"))).unwrap();
    std::fs::set_permissions(code.join(&sha), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_file(code.join(&sha).join("data.txt")).unwrap();
    let stray = "f".repeat(64);
    std::fs::write(code.join(format!("{stray}.zip")), b"PK").unwrap();
    let (emulator, client) = local::start_with(config()).await;
    assert_eq!(emulator.stats().await.code_packages, vec![sha.clone()]);
    let response = client.invoke_function().function_name("kept").send().await.unwrap();
    assert_eq!(response.result.ret_msg, r#"["data.txt", "index.py"]"#);
    let mode = std::fs::metadata(code.join(&sha)).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "read-only again: {mode:o}");
    drop(emulator);
    scf_local::remove_data_dir(&dir).unwrap();
}

#[tokio::test]
async fn the_data_directory_is_private_and_used_by_one_emulator_at_a_time() {
    let temp = TempDir::new("hardening-lock");
    let dir = temp.join("data");
    // Made by the user with the usual umask: the emulator makes it private.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (emulator, _client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("scf-local.db")), 0o600);
    match Emulator::start(EmulatorConfig::default().data_dir(&dir)).await {
        Err(StartError::DataDirInUse { holder, .. }) => assert_eq!(holder, Some(std::process::id())),
        other => panic!("a second emulator on the same directory must be refused, got {other:?}"),
    }
    drop(emulator);
    let again = Emulator::start(EmulatorConfig::default().data_dir(&dir)).await.expect("free again once stopped");
    drop(again);
    scf_local::remove_data_dir(&dir).unwrap();
    assert!(!dir.exists());
    // A directory that is not a data directory (a mistyped `--data-dir`) is left alone.
    let other = TempDir::new("hardening-not-data");
    std::fs::write(other.join("thesis.tex"), b"years of work").unwrap();
    let error = scf_local::remove_data_dir(&other).unwrap_err().to_string();
    assert!(error.contains("not an scf-local data directory"), "{error}");
    assert_eq!(std::fs::read(other.join("thesis.tex")).unwrap(), b"years of work");
}
