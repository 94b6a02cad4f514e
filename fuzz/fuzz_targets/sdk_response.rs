#![no_main]
//! The SDK's decoding of an answer, as `ApiClient::call` and `call_json` do it: the envelope (UTF-8,
//! JSON, `Response`, its `Error` and `RequestId`), then the action's generated response type.
//!
//! Input: `[action, mode, body…]`. `action` picks one of the catalogue's actions (reached through
//! `visit_actions`, so every generated response type is covered); `mode`'s low 3 bits pick the
//! HTTP status, bit 3 `call_json` instead of `call`. The transport answers with `body`.
//!
//! Never panics; a decoded response serialises and decodes back to the same value; an error
//! formats without panicking.

use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use scf_fuzz::{SECRET_ID, SECRET_KEY, minimal_params};
use scf_sdk::runtime::{
    Action, ActionVisitor, ApiClient, Config, Credentials, HttpRequest, HttpResponse, RetryPolicy, Transport,
    TransportFuture,
};

const STATUSES: [u16; 8] = [200, 200, 200, 200, 400, 429, 500, 503];

/// Answers every request with the current input.
#[derive(Debug, Clone, Default)]
struct Canned(Arc<Mutex<Option<HttpResponse>>>);

impl Transport for Canned {
    fn send(&self, _request: HttpRequest) -> TransportFuture<'_> {
        let response = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        let response = response.unwrap_or(HttpResponse { status: 200, body: bytes::Bytes::new() });
        Box::pin(std::future::ready(Ok(response)))
    }
}

struct Harness {
    answer: Canned,
    client: ApiClient,
    runtime: tokio::runtime::Runtime,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let answer = Canned::default();
        let config = Config::builder()
            .region("ap-guangzhou")
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
            .retry_policy(RetryPolicy::disabled())
            .transport(answer.clone())
            .build();
        let client = ApiClient::new(config).expect("a client with a canned transport");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        Harness { answer, client, runtime }
    })
}

struct DecodeNth<'a> {
    index: usize,
    seen: usize,
    json: bool,
    harness: &'a Harness,
}

impl ActionVisitor for DecodeNth<'_> {
    fn visit<A: Action>(&mut self) {
        if self.seen == self.index {
            decode::<A>(self.harness, self.json);
        }
        self.seen += 1;
    }
}

fn decode<A: Action>(harness: &Harness, json: bool) {
    let params = minimal_params(A::DESCRIPTOR.input);
    if json {
        let result = harness.runtime.block_on(harness.client.call_json::<scf_sdk::ErrorCode>(A::DESCRIPTOR, params));
        match result {
            Ok(raw) => assert!(serde_json::from_str::<serde_json::Value>(raw.get()).is_ok_and(|v| v.is_object())),
            Err(error) => check_error(&error),
        }
        return;
    }
    let request: A = serde_json::from_value(params).expect("the minimal request of every action is valid");
    match harness.runtime.block_on(harness.client.call(&request)) {
        Ok(response) => {
            let wire = serde_json::to_value(&response).expect("a response serialises");
            let again: A::Response =
                serde_json::from_value(wire.clone()).expect("a response decodes from its own JSON");
            assert_eq!(serde_json::to_value(&again).ok(), Some(wire), "a response survives a round trip");
            let _ = format!("{response:?}");
        }
        Err(error) => check_error(&error),
    }
}

fn check_error<C: scf_sdk::runtime::ActionErrorCode>(error: &scf_sdk::runtime::Error<C>) {
    let _ = (error.to_string(), format!("{error:?}"), error.request_id(), error.code().map(|c| c.description()));
}

fuzz_target!(|data: &[u8]| {
    let [action, mode, body @ ..] = data else { return };
    let harness = harness();
    let status = STATUSES[usize::from(mode & 7)];
    *harness.answer.0.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(HttpResponse { status, body: bytes::Bytes::copy_from_slice(body) });
    let index = usize::from(*action) % scf_sdk::catalog::ACTIONS.len();
    let mut visitor = DecodeNth { index, seen: 0, json: mode & 8 != 0, harness };
    scf_sdk::catalog::visit_actions(&mut visitor);
});
