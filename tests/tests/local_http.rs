//! The HTTP listener of `scf-local`: event functions reached with API Gateway events, web
//! functions (`Type` `HTTP`) proxied to their own server, and the listener's checks.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::Duration;

use scf_sdk::Client;
use scf_sdk::types::Code;
use scf_tests::local::{self, FunctionSpec, create_function, raw_http, wait_active};
use serde_json::Value;

/// Echoes the event back in an integration response whose body is base64 (of JSON holding the
/// event and the request body's bytes as hex), and fails or sleeps on request.
const ECHO: &str = r#"import base64, json, os, time


def main_handler(event, context):
    path = event.get("path")
    print("handling", event.get("httpMethod"), path)
    if path == "/fail":
        raise ValueError("boom")
    if path == "/slow":
        time.sleep(30)
    if path == "/plain":
        return {"version": os.environ["SCF_FUNCTIONVERSION"]}
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    answer = json.dumps({"event": event, "raw": raw.hex()}).encode()
    return {"statusCode": 201, "isBase64Encoded": True,
            "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
            "body": base64.b64encode(answer).decode()}
"#;

fn http_client() -> reqwest::Client {
    // The workspace's reqwest is built without a TLS provider of its own (the SDK brings its own);
    // plain HTTP needs none, but building a client asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

/// The status, the headers and the body as JSON.
async fn json_of(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, headers, body)
}

#[tokio::test]
async fn get_and_post_reach_an_event_function_as_api_gateway_events() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("echo", ECHO)).await;
    let http = http_client();
    let base = format!("{}/default/echo", emulator.http_url());

    let response =
        http.get(format!("{base}/users/7?tag=a&tag=b&q=x%20y")).header("X-Custom", "one").send().await.unwrap();
    let (status, headers, answer) = json_of(response).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(headers["x-echo"], "yes");
    assert_eq!(headers["content-type"], "application/json");
    let event = &answer["event"];
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["path"], "/users/7");
    assert_eq!(event["queryString"]["tag"], serde_json::json!(["a", "b"]));
    assert_eq!(event["queryString"]["q"], "x y");
    assert_eq!(event["headers"]["x-custom"], "one", "headers by lower-case name: {event}");
    assert_eq!(event.get("body"), None, "a GET without a body has none");
    let context = &event["requestContext"];
    assert_eq!(context["sourceIp"], "127.0.0.1");
    assert_eq!(context["stage"], "release");
    assert_eq!(context["httpMethod"], "GET");
    assert_eq!(context["path"], "/");
    let first_id = context["requestId"].as_str().unwrap().to_owned();
    assert_eq!(first_id.len(), 36, "{first_id}");

    // A binary body goes to the function as base64, and comes back byte for byte.
    let bytes: Vec<u8> = (0..=255u8).rev().chain([0, 0xff, 0xfe]).collect();
    let response = http
        .post(format!("{base}/upload"))
        .header("Content-Type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let (status, _, answer) = json_of(response).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["event"]["isBase64Encoded"], true);
    assert_eq!(answer["event"]["httpMethod"], "POST");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(answer["raw"], hex.as_str());
    assert_ne!(answer["event"]["requestContext"]["requestId"], first_id.as_str(), "an id per request");

    // Text goes as it is.
    let response = http
        .post(format!("{base}/notes"))
        .header("Content-Type", "application/json")
        .body(r#"{"note":"你好"}"#)
        .send()
        .await
        .unwrap();
    let (_, _, answer) = json_of(response).await;
    assert_eq!(answer["event"]["isBase64Encoded"], false);
    assert_eq!(answer["event"]["body"], r#"{"note":"你好"}"#);

    // A value that is not an integration response is the body, as JSON.
    let (status, headers, answer) = json_of(http.get(format!("{base}/plain")).send().await.unwrap()).await;
    assert_eq!((status, answer), (200, serde_json::json!({"version": "$LATEST"})));
    assert_eq!(headers["content-type"], "application/json");

    // Each request is an invocation in the function's log.
    #[allow(deprecated)] // Offline on the service; scf-local keeps it.
    let logs = client.get_function_logs().function_name("echo").send().await.unwrap();
    assert_eq!(logs.total_count, 4, "{:?}", logs.data);
    assert!(logs.data.iter().any(|record| record.log.contains("handling POST /upload")), "{:?}", logs.data);
}

#[tokio::test]
async fn a_function_error_is_a_502_and_a_timeout_a_504_with_json_bodies() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("echo", ECHO).timeout(1)).await;
    let http = http_client();
    let base = format!("{}/default/echo", emulator.http_url());

    let (status, _, answer) = json_of(http.get(format!("{base}/fail")).send().await.unwrap()).await;
    assert_eq!(status, 502);
    assert_eq!(answer["errno"], 502);
    let error = answer["error"].as_str().unwrap();
    assert!(error.starts_with("requestId ") && error.contains("user code exception caught"), "{error}");
    assert!(!error.contains("boom"), "the stack trace stays in the log: {error}");

    let (status, _, answer) = json_of(http.get(format!("{base}/slow")).send().await.unwrap()).await;
    assert_eq!(status, 504);
    assert_eq!(answer["errno"], 504);
    assert!(answer["error"].as_str().unwrap().contains("timed out after 1 seconds"), "{answer}");
}

#[tokio::test]
async fn a_qualifier_in_the_path_picks_the_version_and_what_does_not_exist_is_a_404() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("echo", ECHO)).await;
    client.publish_version().function_name("echo").send().await.unwrap();
    let http = http_client();
    let url = emulator.http_url();

    let (_, _, published) = json_of(http.get(format!("{url}/default/echo@1/plain")).send().await.unwrap()).await;
    assert_eq!(published["version"], "1");
    let (_, _, latest) = json_of(http.get(format!("{url}/default/echo@$LATEST/plain")).send().await.unwrap()).await;
    assert_eq!(latest["version"], "$LATEST");

    for missing in ["/default/nothing/", "/elsewhere/echo/", "/default/echo@7/", "/default"] {
        let (status, _, answer) = json_of(http.get(format!("{url}{missing}")).send().await.unwrap()).await;
        assert_eq!(status, 404, "{missing}: {answer}");
        assert_eq!(answer["errno"], 404, "{missing}");
    }
}

#[tokio::test]
async fn the_listener_answers_only_its_own_host_names() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("echo", ECHO)).await;
    let address = emulator.http_address();
    let request = |host: &str| format!("GET /default/echo/plain HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, _, body) = raw_http(address, request("evil.example").as_bytes()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--allow-host"), "{body}");
    let (status, _, body) = raw_http(address, request(&address.to_string()).as_bytes()).await;
    assert_eq!(status, 200, "{body}");
}

/// A web server on `PORT` (9000 when unset), as SCF's web functions are written.
const SERVER: &str = r#"import json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

both_arrived = threading.Barrier(2, timeout=20)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.answer(b"")

    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def answer(self, body):
        print("served", self.command, self.path, flush=True)
        if self.path == "/big":
            payload = b"x" * (6 * 1024 * 1024 + 1)
        elif self.path == "/sleep":
            time.sleep(30)
        else:
            if self.path == "/together":
                both_arrived.wait()
            payload = json.dumps({"pid": os.getpid(), "port": os.environ.get("PORT"), "method": self.command,
                                  "path": self.path, "body": body.hex()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path == "/fat-headers":
            self.send_header("X-Fat", "f" * 5000)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "9000"))), Handler).serve_forever()
"#;

const BOOTSTRAP: &str = "#!/bin/sh\nexec python3 -u server.py\n";

/// Creates a web function (`Type` `HTTP`) from `files` and waits until it is `Active`.
async fn create_web_function(client: &Client, name: &str, files: &[(&str, &str)], timeout: i64) {
    let zip = scf_local::package::zip_files(files).unwrap();
    let code = Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap();
    client
        .create_function()
        .function_name(name)
        .runtime("Python3.9")
        .type_("HTTP")
        .timeout(timeout)
        .code(code)
        .send()
        .await
        .unwrap();
    wait_active(client, name, None).await;
}

#[tokio::test]
async fn a_web_function_serves_requests_from_one_reused_instance() {
    let (emulator, client) = local::start().await;
    create_web_function(&client, "web", &[("scf_bootstrap", BOOTSTRAP), ("server.py", SERVER)], 3).await;
    let http = http_client();
    let base = format!("{}/default/web", emulator.http_url());

    let (status, headers, first) = json_of(http.get(format!("{base}/hello?x=1")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/hello?x=1", "the path after the function's, with the query");
    assert!(first["port"].as_str().unwrap().parse::<u16>().is_ok(), "told its port: {first}");

    let body: Vec<u8> = vec![0, 1, 2, 0xff];
    let (status, _, posted) = json_of(http.post(format!("{base}/items")).body(body).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!((posted["method"].as_str(), posted["body"].as_str()), (Some("POST"), Some("000102ff")));
    assert_eq!(posted["pid"], first["pid"], "the instance is reused");

    // Two requests at once, each waiting for the other: one instance serves both.
    let (a, b) = tokio::join!(http.get(format!("{base}/together")).send(), http.get(format!("{base}/together")).send());
    let ((_, _, a), (_, _, b)) = (json_of(a.unwrap()).await, json_of(b.unwrap()).await);
    assert_eq!((a["pid"].clone(), b["pid"].clone()), (first["pid"].clone(), first["pid"].clone()), "{a} {b}");
    assert_eq!(emulator.live_instances(), 1);

    // Over the platform's limits: a 502 saying which.
    let (status, _, answer) = json_of(http.get(format!("{base}/big")).send().await.unwrap()).await;
    assert_eq!(status, 502);
    assert!(answer["error"].as_str().unwrap().contains("6 MB"), "{answer}");
    let (status, _, answer) = json_of(http.get(format!("{base}/fat-headers")).send().await.unwrap()).await;
    assert_eq!(status, 502);
    assert!(answer["error"].as_str().unwrap().contains("4 KB"), "{answer}");

    // Each request is in the log, with what the server printed meanwhile.
    #[allow(deprecated)] // Offline on the service; scf-local keeps it.
    let logs = client.get_function_logs().function_name("web").send().await.unwrap();
    assert!(logs.data.iter().any(|record| record.log.contains("served POST /items")), "{:?}", logs.data);

    // Past the function's timeout: a 504, the instance killed, the next request on a new one.
    let (status, _, answer) = json_of(http.get(format!("{base}/sleep")).send().await.unwrap()).await;
    assert_eq!(status, 504, "{answer}");
    let (status, _, after) = json_of(http.get(format!("{base}/hello")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{after}");
    assert_ne!(after["pid"], first["pid"], "a new instance after the timeout");
    let old_pid = first["pid"].as_u64().unwrap() as u32;
    assert!(local::process_gone(old_pid), "the timed-out server is killed");
}

#[tokio::test]
async fn a_bootstrap_that_never_listens_is_a_502_naming_the_port_and_its_output() {
    let (emulator, client) = local::start().await;
    let quitter = "#!/bin/sh\necho 'no server today'\nexit 3\n";
    create_web_function(&client, "quitter", &[("scf_bootstrap", quitter)], 3).await;
    let http = http_client();
    let (status, _, answer) =
        json_of(http.get(format!("{}/default/quitter/", emulator.http_url())).send().await.unwrap()).await;
    assert_eq!(status, 502);
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("`PORT`") && error.contains("no server today"), "{error}");
    // Invoking it with an event is refused, as on SCF, and so is a timer, which would.
    let invoked = client.invoke_function().function_name("quitter").send().await;
    assert!(invoked.is_err(), "{invoked:?}");
    let timer = client
        .create_trigger()
        .function_name("quitter")
        .trigger_name("every-second")
        .type_(scf_sdk::types::TriggerType::Timer)
        .trigger_desc("* * * * * * *")
        .send()
        .await
        .unwrap_err();
    assert_eq!(timer.code().map(|c| c.as_str().to_owned()).as_deref(), Some("UnsupportedOperation.Trigger"));
}

/// A client that hangs up does not leave its request running past the function's timeout: the
/// server that hangs is still stopped, and the instance does not count as busy for ever.
#[tokio::test]
async fn a_request_whose_client_hangs_up_still_ends_at_the_timeout() {
    let (emulator, client) = local::start().await;
    create_web_function(&client, "web", &[("scf_bootstrap", BOOTSTRAP), ("server.py", SERVER)], 2).await;
    let base = format!("{}/default/web", emulator.http_url());
    let (status, _, hello) = json_of(http_client().get(format!("{base}/hello")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{hello}");
    let pid = hello["pid"].as_u64().unwrap() as u32;

    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    assert!(impatient.get(format!("{base}/sleep")).send().await.is_err(), "the client gave up");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !local::process_gone(pid) {
        assert!(std::time::Instant::now() < deadline, "the hanging server outlived the function's 2 s timeout");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
