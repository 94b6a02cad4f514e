//! A test server that speaks Tencent Cloud API 3.0 on 127.0.0.1: it verifies every request's TC3
//! signature and timestamp (with [`crate::tc3`], not the SDK's signer), records what it received,
//! and answers either with scripted [`Reply`]s — envelopes, errors, broken connections, slow or cut
//! answers — or, when none is queued, like a tiny SCF that knows `InvokeFunction`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scf_sdk::runtime::{Config, ConfigBuilder, Credentials};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::tc3::{self, Rejection};

/// The SecretId the server accepts.
pub const SECRET_ID: &str = "AKIDscfrsTEST0000000000000000000000";
/// The SecretKey the server accepts.
pub const SECRET_KEY: &str = "scf-rs-test-secret-key-000000000000";
/// The SCF regions of the seed page.
pub const REGIONS: [&str; 17] = [
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-guangzhou",
    "ap-hongkong",
    "ap-jakarta",
    "ap-mumbai",
    "ap-nanjing",
    "ap-seoul",
    "ap-shanghai",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-singapore",
    "ap-tokyo",
    "eu-frankfurt",
    "na-siliconvalley",
    "sa-saopaulo",
];

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An HTTP answer.
    Http { status: u16, content_type: &'static str, body: Bytes },
    /// Close the connection without answering (after reading the request).
    Drop,
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// Declare a `Content-Length` of `declared` bytes, send `body`, then break the connection.
    Truncated { declared: usize, body: Bytes },
}

impl Reply {
    /// HTTP 200 with `{"Response": response}` (a `RequestId` is added when missing).
    pub fn envelope(mut response: Value) -> Reply {
        if response.get("RequestId").is_none() {
            response["RequestId"] = json!(next_request_id());
        }
        Reply::json(200, &json!({ "Response": response }))
    }

    /// An API error envelope.
    pub fn error(code: &str, message: &str) -> Reply {
        Reply::envelope(json!({ "Error": { "Code": code, "Message": message } }))
    }

    /// Any JSON with any status.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::Http { status, content_type: "application/json", body: Bytes::from(body.to_string()) }
    }

    /// Any bytes with any status.
    pub fn raw(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
        Reply::Http { status, content_type, body: body.into() }
    }
}

/// A request as received, with the verifier's verdict.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub verdict: Result<(), Rejection>,
}

impl RecordedRequest {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The parameters: the JSON body, or the query string as a flat JSON object.
    pub fn params(&self) -> Value {
        if self.method == "GET" {
            let pairs = self.query.split('&').filter(|p| !p.is_empty()).filter_map(|p| p.split_once('='));
            Value::Object(pairs.map(|(k, v)| (percent_decode(k), Value::String(percent_decode(v)))).collect())
        } else {
            serde_json::from_slice(&self.body).unwrap_or(Value::Null)
        }
    }
}

#[derive(Debug, Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<RecordedRequest>,
}

/// A running test server; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
                    // A scripted `Drop` ends the connection with an error; nothing to report.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a scripted reply; replies are used in order, one per verified request.
    pub fn reply(&self, reply: Reply) {
        self.state.lock().expect("state").replies.push_back(reply);
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().expect("state").requests.clone()
    }

    /// A config builder aimed at this server: its URL, `ap-guangzhou`, the accepted keys, and no
    /// retry backoff worth waiting for.
    pub fn config(&self) -> ConfigBuilder {
        Config::builder()
            .endpoint_url(self.url())
            .region("ap-guangzhou")
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
            .retry_policy(
                scf_sdk::runtime::RetryPolicy::standard()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
    }
}

async fn handle(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Result<Response<ReplyBody>, std::io::Error> {
    let method = request.method().as_str().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let verdict = tc3::verify(
        &tc3::Received { method: &method, query: &query, headers: &headers, body: &body },
        "scf",
        SECRET_ID,
        SECRET_KEY,
        now,
    );
    let recorded = RecordedRequest { method, query, headers, body, verdict: verdict.clone() };
    let reply = {
        let mut state = state.lock().expect("state");
        state.requests.push(recorded.clone());
        match verdict {
            Err(rejection) => Reply::error(rejection.code, &rejection.message),
            Ok(()) => state.replies.pop_front().unwrap_or_else(|| fake_scf(&recorded)),
        }
    };
    respond(reply).await
}

fn respond(
    reply: Reply,
) -> Pin<Box<dyn std::future::Future<Output = Result<Response<ReplyBody>, std::io::Error>> + Send>> {
    Box::pin(async move {
        match reply {
            Reply::Http { status, content_type, body } => Ok(Response::builder()
                .status(status)
                .header("content-type", content_type)
                .body(ReplyBody { data: Some(body), fail_after: false })
                .expect("valid response")),
            Reply::Drop => Err(std::io::Error::other("scripted: drop the connection")),
            Reply::Delay(delay, reply) => {
                tokio::time::sleep(delay).await;
                respond(*reply).await
            }
            Reply::Truncated { declared, body } => Ok(Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("content-length", declared)
                .body(ReplyBody { data: Some(body), fail_after: true })
                .expect("valid response")),
        }
    })
}

/// A body that sends its data, then (for truncated replies) fails, breaking the connection.
#[derive(Debug)]
pub struct ReplyBody {
    data: Option<Bytes>,
    fail_after: bool,
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.data.take() {
            Some(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
            None if self.fail_after => Poll::Ready(Some(Err(std::io::Error::other("scripted: cut the body short")))),
            None => Poll::Ready(None),
        }
    }
}

/// The default behaviour: a tiny SCF that knows `InvokeFunction`. Functions whose name starts
/// with `missing` do not exist; the others echo their event as their return value.
fn fake_scf(request: &RecordedRequest) -> Reply {
    let header = |name: &str| request.header(name).unwrap_or_default().to_owned();
    if header("x-tc-version") != "2018-04-16" {
        return Reply::error("NoSuchVersion", "The API version does not exist.");
    }
    if !REGIONS.contains(&header("x-tc-region").as_str()) {
        return Reply::error("UnsupportedRegion", &format!("The region `{}` is not supported.", header("x-tc-region")));
    }
    if header("x-tc-action") != "InvokeFunction" {
        return Reply::error("InvalidAction", "The action does not exist.");
    }
    let params = request.params();
    let name = params["FunctionName"].as_str().unwrap_or_default();
    if name.starts_with("missing") {
        return Reply::error("ResourceNotFound.Function", &format!("The function `{name}` does not exist."));
    }
    let event = params["Event"].as_str().unwrap_or("{}");
    let log = if params["LogType"] == "Tail" { "START\nhello from the test server\nEND\n" } else { "" };
    Reply::envelope(json!({
        "Result": {
            "MemUsage": 3207168,
            "Log": log,
            "RetMsg": event,
            "BillDuration": 2,
            "FunctionRequestId": "6add56fa-58f1-11e8-89a9-5254005d5fdb",
            "Duration": 1.5,
            "ErrMsg": "",
            "InvokeResult": 0
        }
    }))
}

fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("00000000-test-0000-0000-{:012}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
