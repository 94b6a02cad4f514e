//! A plain HTTP server on 127.0.0.1 that answers by route — `(method, path)` to a status and a
//! body — and records every request: the stand-in for the CVM metadata service and for STS in
//! the credentials tests. Routes can change while it runs (keys rotated, a role removed).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Received {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

type Routes = BTreeMap<(String, String), (u16, String)>;

#[derive(Debug, Default)]
struct State {
    routes: Routes,
    received: Vec<Received>,
}

/// A running fake server; stops when dropped.
#[derive(Debug)]
pub struct FakeHttp {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeHttp {
    /// Starts a server on a free port of 127.0.0.1. Requests without a route get a 404.
    pub async fn start() -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeHttp { addr, state, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `method path` with `status` and `body` from now on.
    pub fn route(&self, method: &str, path: &str, status: u16, body: impl Into<String>) {
        let mut state = self.state.lock().expect("state");
        state.routes.insert((method.to_owned(), path.to_owned()), (status, body.into()));
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("state").received.clone()
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let (status, answer) = {
        let mut state = state.lock().expect("state");
        let answer = state.routes.get(&(method.clone(), path.clone())).cloned();
        state.received.push(Received { method, path, headers, body });
        answer.unwrap_or((404, "not found".to_owned()))
    };
    Ok(Response::builder().status(status).body(Full::new(Bytes::from(answer))).expect("a valid response"))
}
