//! Test helpers for code that uses the SDK (feature `test-util`): a transport that replays canned
//! answers and records requests, and a clock that never waits.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::retry::{Clock, SleepFuture};
use super::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportFuture};

/// Answers requests from a queue, in order, and records every request it got.
#[derive(Debug, Clone, Default)]
pub struct ReplayTransport {
    answers: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl ReplayTransport {
    /// An empty transport; queue answers with [`answer`](Self::answer) and [`fail`](Self::fail).
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an HTTP answer.
    pub fn answer(self, status: u16, body: impl Into<Bytes>) -> Self {
        self.lock_answers().push_back(Ok(HttpResponse { status, body: body.into() }));
        self
    }

    /// Queues a transport failure.
    pub fn fail(self, error: TransportError) -> Self {
        self.lock_answers().push_back(Err(error));
        self
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn lock_answers(&self) -> std::sync::MutexGuard<'_, VecDeque<Result<HttpResponse, TransportError>>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Transport for ReplayTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).push(request);
        let answer = self.lock_answers().pop_front().unwrap_or_else(|| {
            Err(TransportError::new(
                super::transport::TransportErrorKind::Connect,
                false,
                "the replay transport has no answers left",
            ))
        });
        Box::pin(std::future::ready(answer))
    }
}

/// A clock that stands still until slept on: `sleep` returns at once and moves the time forward,
/// and every wait is recorded.
///
/// Under an operation timeout, an attempt whose transport does not answer at once is cut short
/// at once: the wait for the deadline is a `sleep` too, so the time jumps to it.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl ManualClock {
    /// A clock reading `now`.
    pub fn new(now: SystemTime) -> Self {
        Self { now: Arc::new(Mutex::new(now)), sleeps: Arc::default() }
    }

    /// Every wait so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Moves the time.
    pub fn set(&self, now: SystemTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.sleeps.lock().unwrap_or_else(|e| e.into_inner()).push(duration);
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += duration;
        Box::pin(std::future::ready(()))
    }
}
