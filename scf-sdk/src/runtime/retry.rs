//! When a failed attempt is tried again, and how long to wait first.
//!
//! The policy follows the official SDKs by default: retry what certainly did not reach the service
//! (a connection that was never made) and what the service turned away by rate limiting
//! (`RequestLimitExceeded*`), with capped exponential backoff and jitter. A request that *may* have
//! reached the service — a timeout after sending, a broken connection, a gateway's 502 — is re-sent
//! only for idempotent actions, unless the caller chooses otherwise ([`Resend`]): `InvokeFunction`
//! runs user code, and running it twice is not a retry.
//!
//! Which codes are retryable is data from the API description ([`RetryClass`]); this module only
//! decides. Every decision is a `tracing` event.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use super::action::RetryClass;
use super::transport::{TransportError, TransportErrorKind};

/// How a client retries failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 disables retries).
    pub max_attempts: u32,
    /// The backoff ceiling before the second attempt; it doubles with every further attempt.
    pub initial_backoff: Duration,
    /// The backoff never exceeds this.
    pub max_backoff: Duration,
    /// Whether a request that may have reached the service is sent again.
    pub resend: Resend,
    /// Whether codes of class [`RetryClass::Transient`] (`InternalError`, `ServiceUnavailable`) are
    /// retried. The service saw those requests, so [`resend`](Self::resend) applies as well.
    pub retry_transient_codes: bool,
}

/// Whether a request that may have reached the service may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Resend {
    /// Never: a request that may have reached the service is not sent again.
    Never,
    /// Only for actions the API description marks idempotent (reads). The default.
    #[default]
    IfIdempotent,
    /// Always, even for actions with effects such as `InvokeFunction`: opt in only when running
    /// the action twice is acceptable.
    Always,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, backoff from 1 s up to 20 s, re-sending only idempotent requests, transient codes
    /// not retried.
    pub const fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            resend: Resend::IfIdempotent,
            retry_transient_codes: false,
        }
    }

    /// A single attempt.
    pub const fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::standard() }
    }

    /// Sets [`max_attempts`](Self::max_attempts) (at least 1).
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// Sets the backoff range.
    pub const fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets [`resend`](Self::resend).
    pub const fn with_resend(mut self, resend: Resend) -> Self {
        self.resend = resend;
        self
    }

    /// Sets [`retry_transient_codes`](Self::retry_transient_codes).
    pub const fn with_retry_transient_codes(mut self, retry: bool) -> Self {
        self.retry_transient_codes = retry;
        self
    }

    /// The wait before attempt `next_attempt` (2 for the first retry): "equal jitter", half of the
    /// capped exponential ceiling plus a random part of the other half.
    pub fn backoff(&self, next_attempt: u32) -> Duration {
        let exponent = next_attempt.saturating_sub(2).min(30);
        let ceiling = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Whether to retry after a failure, and why.
    pub(crate) fn decide(&self, failure: &Failure<'_>, attempt: u32, idempotent: bool) -> Decision {
        let may_resend = match self.resend {
            Resend::Never => false,
            Resend::IfIdempotent => idempotent,
            Resend::Always => true,
        };
        let (retryable, reason) = match failure {
            Failure::Transport(e) if e.kind == TransportErrorKind::ResponseTooLarge => {
                (false, "the response is too large")
            }
            Failure::Transport(e) if !e.maybe_sent => (true, "the request was not sent"),
            Failure::Transport(_) if may_resend => (true, "the request may have been sent, and may be sent again"),
            Failure::Transport(_) => {
                (false, "the request may have reached the service, and the action is not safe to repeat")
            }
            Failure::Code(Some(RetryClass::Throttling)) => (true, "throttled"),
            Failure::Code(Some(RetryClass::Transient)) if self.retry_transient_codes && may_resend => {
                (true, "transient service error")
            }
            Failure::Code(Some(RetryClass::Transient)) if self.retry_transient_codes => {
                (false, "transient service error, but the action is not safe to repeat")
            }
            Failure::Code(Some(RetryClass::Credentials)) => (false, "the credentials were refused"),
            Failure::Code(_) => (false, "the error code is not retryable"),
            Failure::Status(429) => (true, "throttled (HTTP 429)"),
            Failure::Status(502..=504) if may_resend => (true, "gateway error"),
            Failure::Status(_) => (false, "unexpected response"),
            Failure::Final => (false, "not retryable"),
        };
        if !retryable {
            Decision::Stop { reason }
        } else if attempt >= self.max_attempts {
            Decision::Stop { reason: "no attempts left" }
        } else {
            Decision::Retry { reason, delay: self.backoff(attempt + 1) }
        }
    }
}

/// What went wrong in one attempt, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Failure<'a> {
    Transport(&'a TransportError),
    /// A service error code and its class.
    Code(Option<RetryClass>),
    /// A response that is not an API answer, by HTTP status.
    Status(u16),
    /// Never worth retrying (for instance a response that does not match the action's output).
    Final,
}

/// The outcome of [`RetryPolicy::decide`].
#[derive(Debug, PartialEq)]
pub(crate) enum Decision {
    Retry { reason: &'static str, delay: Duration },
    Stop { reason: &'static str },
}

/// The future of [`Clock::sleep`].
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The client's source of time: the timestamp that requests are signed with, and the waits between
/// attempts. Replace it to test retries without waiting (`test_util::ManualClock`, with the
/// `test-util` feature).
pub trait Clock: fmt::Debug + Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// Wall-clock time and `tokio` timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(maybe_sent: bool) -> TransportError {
        TransportError::new(TransportErrorKind::Timeout, maybe_sent, "t")
    }

    #[test]
    fn standard_policy_retries_what_was_not_sent_and_throttling() {
        let policy = RetryPolicy::standard();
        assert!(matches!(policy.decide(&Failure::Transport(&transport(false)), 1, false), Decision::Retry { .. }));
        assert!(matches!(
            policy.decide(&Failure::Code(Some(RetryClass::Throttling)), 1, false),
            Decision::Retry { .. }
        ));
        assert!(matches!(policy.decide(&Failure::Status(429), 1, false), Decision::Retry { .. }));
        // Not for a non-idempotent action that may have run.
        assert!(matches!(policy.decide(&Failure::Transport(&transport(true)), 1, false), Decision::Stop { .. }));
        assert!(matches!(policy.decide(&Failure::Status(502), 1, false), Decision::Stop { .. }));
        // But for an idempotent one.
        assert!(matches!(policy.decide(&Failure::Transport(&transport(true)), 1, true), Decision::Retry { .. }));
        // Transient codes only when asked, and never for what is unsafe to repeat.
        assert!(matches!(policy.decide(&Failure::Code(Some(RetryClass::Transient)), 1, true), Decision::Stop { .. }));
        let eager = policy.with_retry_transient_codes(true);
        assert!(matches!(eager.decide(&Failure::Code(Some(RetryClass::Transient)), 1, true), Decision::Retry { .. }));
        assert!(matches!(eager.decide(&Failure::Code(Some(RetryClass::Transient)), 1, false), Decision::Stop { .. }));
        let always = eager.with_resend(Resend::Always);
        assert!(matches!(always.decide(&Failure::Code(Some(RetryClass::Transient)), 1, false), Decision::Retry { .. }));
        assert!(matches!(policy.decide(&Failure::Code(None), 1, true), Decision::Stop { .. }));
        assert!(matches!(policy.decide(&Failure::Final, 1, true), Decision::Stop { .. }));
    }

    #[test]
    fn attempts_are_capped() {
        let policy = RetryPolicy::standard().with_max_attempts(2);
        assert!(matches!(
            policy.decide(&Failure::Code(Some(RetryClass::Throttling)), 1, false),
            Decision::Retry { .. }
        ));
        assert_eq!(
            policy.decide(&Failure::Code(Some(RetryClass::Throttling)), 2, false),
            Decision::Stop { reason: "no attempts left" }
        );
        assert_eq!(RetryPolicy::standard().with_max_attempts(0).max_attempts, 1);
    }

    #[test]
    fn backoff_doubles_within_its_cap_with_jitter() {
        let policy = RetryPolicy::standard().with_backoff(Duration::from_millis(100), Duration::from_millis(500));
        for _ in 0..100 {
            let first = policy.backoff(2);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let second = policy.backoff(3);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200), "{second:?}");
            let capped = policy.backoff(20);
            assert!(capped >= Duration::from_millis(250) && capped <= Duration::from_millis(500), "{capped:?}");
        }
    }
}
