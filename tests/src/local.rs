//! Helpers for the tests that run against `scf-local`: an emulator, functions created through the
//! SDK, and raw signed requests for what the SDK itself would refuse to send (unknown parameters,
//! bad JSON, tampered signatures).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use scf_local::{Emulator, EmulatorConfig, package};
use scf_sdk::Client;
use scf_sdk::runtime::sign::{self, SignableRequest, SigningParams};
use scf_sdk::runtime::{HttpMethod, HttpRequest, ReqwestTransport, Transport, TransportSettings};
use scf_sdk::types::Code;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// An emulator with the default configuration, and a client for it.
pub async fn start() -> (Emulator, Client) {
    start_with(EmulatorConfig::default()).await
}

/// An emulator with `config`, and a client for it.
pub async fn start_with(config: EmulatorConfig) -> (Emulator, Client) {
    let emulator = Emulator::start(config).await.expect("the emulator starts");
    let client = emulator.client().expect("a client for the emulator");
    (emulator, client)
}

/// What a test function is made of.
#[derive(Debug, Clone)]
pub struct FunctionSpec<'a> {
    pub name: &'a str,
    pub runtime: &'a str,
    pub files: Vec<(&'a str, &'a str)>,
    pub timeout: i64,
    pub memory: i64,
    pub namespace: Option<&'a str>,
}

impl<'a> FunctionSpec<'a> {
    /// A Python 3.9 function whose `index.py` is `source`.
    pub fn python(name: &'a str, source: &'a str) -> Self {
        Self { name, runtime: "Python3.9", files: vec![("index.py", source)], timeout: 3, memory: 128, namespace: None }
    }

    /// A Node.js 18 function whose `index.js` is `source`.
    pub fn node(name: &'a str, source: &'a str) -> Self {
        Self { runtime: "Nodejs18.15", files: vec![("index.js", source)], ..Self::python(name, "") }
    }

    /// A custom runtime whose executable `bootstrap` is `source`.
    pub fn custom(name: &'a str, source: &'a str) -> Self {
        Self { runtime: "CustomRuntime", files: vec![("bootstrap", source)], ..Self::python(name, "") }
    }

    pub fn timeout(mut self, seconds: i64) -> Self {
        self.timeout = seconds;
        self
    }

    pub fn memory(mut self, mb: i64) -> Self {
        self.memory = mb;
        self
    }

    pub fn namespace(mut self, namespace: &'a str) -> Self {
        self.namespace = Some(namespace);
        self
    }
}

/// Creates a function through `CreateFunction` and waits until it is `Active`.
pub async fn create_function(client: &Client, spec: FunctionSpec<'_>) {
    let zip = package::zip_files(&spec.files).expect("the package zips");
    let code = Code::builder().zip_file(package::to_base64(&zip)).build().expect("Code builds");
    client
        .create_function()
        .function_name(spec.name)
        .runtime(spec.runtime)
        .handler("index.main_handler")
        .timeout(spec.timeout)
        .memory_size(spec.memory)
        .set_namespace(spec.namespace.map(str::to_owned))
        .code(code)
        .send()
        .await
        .expect("CreateFunction succeeds");
    wait_active(client, spec.name, spec.namespace).await;
}

/// Waits with the `FunctionActive` waiter until the function is `Active` (at most 10 s), polling
/// every 50 ms to 200 ms.
pub async fn wait_active(client: &Client, name: &str, namespace: Option<&str>) {
    client
        .wait_until_function_active()
        .function_name(name)
        .set_namespace(namespace.map(str::to_owned))
        .min_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(200))
        .max_wait(Duration::from_secs(10))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name} did not become Active: {e}"));
}

/// A request signed by hand, to send what the SDK would refuse to.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub action: String,
    pub version: String,
    pub region: String,
    pub body: Vec<u8>,
    pub secret_id: String,
    pub secret_key: String,
    pub timestamp: i64,
    pub language: Option<String>,
    /// Headers added after signing (e.g. a token), or replacing signed ones.
    pub extra_headers: Vec<(&'static str, String)>,
}

impl RawRequest {
    /// A POST of `body` for `action`, signed now with the emulator's credentials.
    pub fn new(emulator: &Emulator, action: &str, body: &Value) -> Self {
        let credentials = emulator.credentials();
        Self {
            action: action.into(),
            version: "2018-04-16".into(),
            region: "ap-guangzhou".into(),
            body: serde_json::to_vec(body).expect("JSON encodes"),
            secret_id: credentials.secret_id().into(),
            secret_key: credentials.secret_key().into(),
            timestamp: now(),
            language: Some("en-US".into()),
            extra_headers: Vec::new(),
        }
    }

    /// The request as sent: signed over its body, then (for tampering tests) `body_after_signing`
    /// in place of the body if given.
    pub fn build(&self, endpoint_url: &str, body_after_signing: Option<&[u8]>) -> HttpRequest {
        let host = endpoint_url.trim_start_matches("http://").trim_end_matches('/');
        let content_type = "application/json; charset=utf-8";
        let authorization = sign::sign(
            &SignableRequest {
                method: "POST",
                query: "",
                content_type,
                host,
                payload_hash: &sign::hash_payload(&self.body),
            },
            &SigningParams {
                secret_id: &self.secret_id,
                secret_key: &self.secret_key,
                service: "scf",
                timestamp: self.timestamp,
            },
        );
        let mut headers = vec![
            ("Host", host.to_owned()),
            ("Content-Type", content_type.to_owned()),
            ("Authorization", authorization),
            ("X-TC-Action", self.action.clone()),
            ("X-TC-Version", self.version.clone()),
            ("X-TC-Region", self.region.clone()),
            ("X-TC-Timestamp", self.timestamp.to_string()),
        ];
        if let Some(language) = &self.language {
            headers.push(("X-TC-Language", language.clone()));
        }
        for (name, value) in &self.extra_headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name, value.clone()));
        }
        let body = Bytes::from(body_after_signing.unwrap_or(&self.body).to_vec());
        let headers = headers.into_iter().map(|(name, value)| (name, value.into())).collect();
        HttpRequest { method: HttpMethod::Post, url: format!("{endpoint_url}/"), headers, body }
    }

    /// Sends it and returns the envelope's `Response` object.
    pub async fn send(&self, emulator: &Emulator) -> Value {
        send(self.build(&emulator.endpoint_url(), None)).await
    }
}

/// Sends a request with the SDK's transport; returns the envelope's `Response`.
pub async fn send(request: HttpRequest) -> Value {
    let text = send_text(request).await;
    let mut envelope: Value = serde_json::from_str(&text).expect("the answer is JSON");
    envelope["Response"].take()
}

/// Sends a request with the SDK's transport; returns the answer's body as sent.
pub async fn send_text(request: HttpRequest) -> String {
    let settings = TransportSettings {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(60),
        max_response_bytes: 32 * 1024 * 1024,
    };
    let transport = ReqwestTransport::new(settings).expect("a transport");
    let response = transport.send(request).await.expect("the emulator answers");
    assert_eq!(response.status, 200, "API 3.0 answers 200, errors included");
    String::from_utf8(response.body.to_vec()).expect("the answer is UTF-8")
}

/// The error code of an envelope's `Response`, if it is an error.
pub fn error_code(response: &Value) -> Option<&str> {
    response["Error"]["Code"].as_str()
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Whether process `pid` is gone (or only a zombie left for its new parent to reap). Needs `/proc`
/// (Linux, where scf-local runs functions): without it this fails rather than answer "gone".
pub fn process_gone(pid: u32) -> bool {
    assert!(std::path::Path::new("/proc/self/stat").exists(), "the no-orphan checks need /proc");
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => true,
        Err(error) => panic!("cannot read /proc/{pid}/stat: {error}"),
        // The state is the field after the parenthesised command name.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// An HTTP/1.1 exchange over a fresh connection, written byte for byte: (status, head, body).
pub async fn raw_http(address: SocketAddr, request: &[u8]) -> (u16, String, String) {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await.expect("connects");
        stream.write_all(request).await.expect("writes");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("reads");
        answer
    };
    let answer = tokio::time::timeout(Duration::from_secs(30), exchange).await.expect("answered within 30 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}
