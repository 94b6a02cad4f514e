//! A scripted runtime API for driving a function's `bootstrap` (one of this crate's examples, as
//! cargo built it) as a real process: the test plays the platform's side of the protocol, request
//! by request, over real TCP on 127.0.0.1. Shared by the tests and the benchmark.
#![allow(dead_code, clippy::unwrap_used)] // Each user takes part of it; tests fail by panicking.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

/// How long any one step may take before the test fails.
pub const STEP: Duration = Duration::from_secs(20);

/// An example binary of this crate, where cargo put it (`target/<profile>/examples/NAME`): beside the
/// directory of the running test or benchmark.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the examples first (`cargo test -p scf-runtime` and `cargo test --workspace` do; or \
         `cargo build -p scf-runtime --examples`)",
        path.display()
    );
    path
}

/// `future`, or a panic naming `what` after [`STEP`].
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// A request the function sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {} sent no JSON ({e}): {}", self.method, self.path, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The platform's end of the runtime API: a listener and the connection in use.
pub struct RuntimeApi {
    listener: TcpListener,
    pub port: u16,
    connection: Option<TcpStream>,
    buffer: Vec<u8>,
    /// How many connections the function opened.
    pub connections: usize,
}

impl RuntimeApi {
    pub async fn bind() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        RuntimeApi { listener, port, connection: None, buffer: Vec::new(), connections: 0 }
    }

    /// The next request, from the connection in use or, once that is closed, a new one.
    pub async fn request(&mut self) -> Request {
        within("a request from the function", async {
            loop {
                if self.connection.is_none() {
                    let (stream, _) = self.listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    self.connection = Some(stream);
                    self.buffer.clear();
                    self.connections += 1;
                }
                if let Some(request) = self.read_request().await {
                    return request;
                }
                self.connection = None;
            }
        })
        .await
    }

    /// Reads a request from the connection in use; `None` if it closes first.
    async fn read_request(&mut self) -> Option<Request> {
        let stream = self.connection.as_mut()?;
        let head_end = loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            if stream.read_buf(&mut self.buffer).await.ok()? == 0 {
                return None;
            }
        };
        let head = String::from_utf8(self.buffer[..head_end].to_vec()).unwrap();
        self.buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut start = lines.next().unwrap().split(' ');
        let (method, path) = (start.next().unwrap().to_owned(), start.next().unwrap().to_owned());
        assert_eq!(start.next(), Some("HTTP/1.1"), "{head}");
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        assert!(!headers.iter().any(|(name, _)| name == "transfer-encoding"), "requests are never chunked: {head}");
        let length: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
        while self.buffer.len() < length {
            if stream.read_buf(&mut self.buffer).await.ok()? == 0 {
                return None;
            }
        }
        let body = self.buffer.drain(..length).collect();
        Some(Request { method, path, headers, body })
    }

    /// Answers the request just read.
    pub async fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut response = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        self.write(&[response.as_bytes(), body].concat()).await;
    }

    /// Writes raw bytes on the connection in use.
    pub async fn write(&mut self, bytes: &[u8]) {
        let stream = self.connection.as_mut().expect("a connection");
        within("writing to the function", stream.write_all(bytes)).await.unwrap();
    }

    /// Closes the connection in use, as a server does with an idle one.
    pub fn close(&mut self) {
        self.connection = None;
    }

    /// Expects `POST /runtime/init/ready` and accepts it.
    pub async fn expect_ready(&mut self) -> Request {
        let request = self.request().await;
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/runtime/init/ready"));
        self.respond(202, &[], b"").await;
        request
    }

    /// Expects `GET /runtime/invocation/next` and answers it with `event`.
    pub async fn send_event(&mut self, request_id: &str, event: &[u8]) -> Request {
        self.send_event_with(request_id, event, &[("memory_limit_in_mb", "128"), ("time_limit_in_ms", "3000")]).await
    }

    pub async fn send_event_with(&mut self, request_id: &str, event: &[u8], extra: &[(&str, &str)]) -> Request {
        let request = self.request().await;
        assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/runtime/invocation/next"));
        let mut headers = vec![("request_id", request_id), ("content-type", "application/json")];
        headers.extend_from_slice(extra);
        self.respond(200, &headers, event).await;
        request
    }

    /// Reads the answer to the event (`/runtime/invocation/response` or `/error`) and accepts it.
    pub async fn answer(&mut self) -> Request {
        let request = self.request().await;
        assert_eq!(request.method, "POST");
        assert!(
            request.path == "/runtime/invocation/response" || request.path == "/runtime/invocation/error",
            "{}",
            request.path
        );
        self.respond(202, &[], b"").await;
        request
    }

    /// One invocation: the event out, its answer back.
    pub async fn invoke(&mut self, request_id: &str, event: &serde_json::Value) -> Request {
        self.send_event(request_id, event.to_string().as_bytes()).await;
        self.answer().await
    }
}

/// A function's process, killed when dropped.
pub struct Function {
    pub child: Child,
}

impl Function {
    /// Starts `program` as SCF would: the runtime API's address and the function's environment,
    /// nothing inherited; stdout and stderr into `output` (files, so a test can read what was
    /// written at any moment).
    pub fn start(program: &Path, port: u16, output: &Path, extra_env: &[(&str, &str)]) -> Function {
        let stdout = std::fs::File::create(output.join("stdout")).unwrap();
        let stderr = std::fs::File::create(output.join("stderr")).unwrap();
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("SCF_RUNTIME_API", "127.0.0.1")
            .env("SCF_RUNTIME_API_PORT", port.to_string())
            .env("TMPDIR", output)
            .env("HOME", output)
            .envs(extra_env.iter().copied())
            // Not SCF's: lets a coverage run (`cargo llvm-cov`) count the function's lines.
            .envs(std::env::var_os("LLVM_PROFILE_FILE").map(|value| ("LLVM_PROFILE_FILE", value)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true);
        Function { child: command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display())) }
    }

    /// Waits for the process to exit; its exit code.
    pub async fn exit_code(&mut self) -> Option<i32> {
        within("the function to exit", self.child.wait()).await.unwrap().code()
    }
}

/// What the process wrote to `output/NAME` so far.
pub fn written(output: &Path, name: &str) -> String {
    std::fs::read_to_string(output.join(name)).unwrap_or_default()
}
