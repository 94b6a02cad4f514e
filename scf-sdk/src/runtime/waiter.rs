//! Waiting for a state: an action polled, with capped exponential backoff on the client's
//! [`Clock`], until its answer (or error code) reaches a state the [`WaiterDescriptor`]'s acceptors
//! name, a failure state, or the time limit.
//!
//! The generated waiters (`client.wait_until_function_active()`) and tools that call actions as
//! JSON (`scf wait`) share this loop: acceptors are matched on the answer's wire JSON, so both
//! judge a poll the same way.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::action::{Action, ActionErrorCode};
use super::build::BuildError;
use super::catalog::{WaiterDescriptor, WaiterState};
use super::client::ApiClient;
use super::error::{Error, ServiceError};

/// How long a wait may take and how often it polls. [`WaitSettings::new`] takes the waiter's own
/// figures from the API description; the generated waiters' `max_wait`, `min_delay` and
/// `max_delay` change them.
#[derive(Clone)]
#[non_exhaustive]
pub struct WaitSettings {
    /// The first wait between polls; later ones double up to [`max_delay`](Self::max_delay).
    pub min_delay: Duration,
    /// The longest wait between polls.
    pub max_delay: Duration,
    /// How long to wait in all before giving up.
    pub max_wait: Duration,
    /// Called after every poll that does not end the wait.
    pub on_poll: Option<OnPoll>,
}

/// A callback told where a wait stands after each poll that does not end it.
pub type OnPoll = Arc<dyn Fn(&WaitProgress<'_>) + Send + Sync>;

impl fmt::Debug for WaitSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitSettings")
            .field("min_delay", &self.min_delay)
            .field("max_delay", &self.max_delay)
            .field("max_wait", &self.max_wait)
            .field("on_poll", &self.on_poll.is_some())
            .finish()
    }
}

impl WaitSettings {
    /// The waiter's delays and time limit, from the API description.
    pub fn new(waiter: &WaiterDescriptor) -> Self {
        Self { min_delay: waiter.min_delay, max_delay: waiter.max_delay, max_wait: waiter.max_wait, on_poll: None }
    }

    /// The wait before poll `poll + 1`: "equal jitter" on a ceiling that doubles from
    /// `min_delay` up to `max_delay` — never less than `min_delay`.
    pub fn delay(&self, poll: u32) -> Duration {
        let min = self.min_delay;
        let max = self.max_delay.max(min);
        let ceiling = min.saturating_mul(1 << poll.saturating_sub(1).min(30)).min(max);
        let half = ceiling / 2;
        (half + half.mul_f64(fastrand::f64())).max(min)
    }
}

/// Where a wait stands, for [`WaitSettings::on_poll`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WaitProgress<'a> {
    /// The status (or error code) the last poll found, if any.
    pub status: Option<&'a str>,
    /// Time since the wait began.
    pub waited: Duration,
    /// Polls so far.
    pub polls: u32,
}

/// A wait that did not reach its state: why, the last status seen and how long it waited.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WaitError<C> {
    /// The waiter (`FunctionActive`).
    pub waiter: &'static str,
    /// The action it polls (`GetFunction`).
    pub action: &'static str,
    /// Why the wait ended.
    pub kind: WaitErrorKind<C>,
    /// The last status (or error code) a poll found.
    pub last_status: Option<String>,
    /// Time since the wait began.
    pub waited: Duration,
    /// Polls made.
    pub polls: u32,
}

/// The kinds of [`WaitError`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WaitErrorKind<C> {
    /// A state from which the one waited for cannot come (`CreateFailed`); `reasons` is what the
    /// answer says about it (its `StatusReasons`, as JSON), if anything.
    Failed {
        /// The answer's explanation, as JSON text.
        reasons: Option<String>,
    },
    /// The time limit passed first.
    TimedOut {
        /// The limit.
        max_wait: Duration,
    },
    /// A poll failed in a way no acceptor expects (no such function, no credentials, no
    /// response), or the request was invalid and nothing was sent.
    Call(Box<Error<C>>),
}

impl<C: ActionErrorCode> WaitError<C> {
    /// The error for a request that could not be built: nothing was sent.
    pub fn invalid_request(waiter: &WaiterDescriptor, error: BuildError) -> Self {
        Self {
            waiter: waiter.name,
            action: waiter.action.name,
            kind: WaitErrorKind::Call(Box::new(Error::from(error))),
            last_status: None,
            waited: Duration::ZERO,
            polls: 0,
        }
    }

    /// The error of the failed poll, if that is why the wait ended.
    pub fn as_call_error(&self) -> Option<&Error<C>> {
        match &self.kind {
            WaitErrorKind::Call(error) => Some(error),
            _ => None,
        }
    }

    /// The same error with its code converted (as [`Error::map_code`]).
    pub fn map_code<D: ActionErrorCode>(self) -> WaitError<D> {
        WaitError {
            waiter: self.waiter,
            action: self.action,
            kind: match self.kind {
                WaitErrorKind::Failed { reasons } => WaitErrorKind::Failed { reasons },
                WaitErrorKind::TimedOut { max_wait } => WaitErrorKind::TimedOut { max_wait },
                WaitErrorKind::Call(error) => WaitErrorKind::Call(Box::new(error.map_code())),
            },
            last_status: self.last_status,
            waited: self.waited,
            polls: self.polls,
        }
    }
}

impl<C: ActionErrorCode> fmt::Display for WaitError<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waited = format!("{:.1} s", self.waited.as_secs_f64());
        let polls = format!("{} poll{}", self.polls, if self.polls == 1 { "" } else { "s" });
        let last = self.last_status.as_deref().map(|s| format!("; the last status was `{s}`")).unwrap_or_default();
        write!(f, "waiting for {}: ", self.waiter)?;
        match &self.kind {
            WaitErrorKind::Failed { reasons } => {
                let status = self.last_status.as_deref().unwrap_or("?");
                write!(f, "the status is `{status}`, a failure, after {waited} ({polls})")?;
                match reasons {
                    Some(reasons) => write!(f, ": {reasons}"),
                    None => Ok(()),
                }
            }
            WaitErrorKind::TimedOut { max_wait } => {
                write!(f, "gave up after {waited} (the limit is {} s; {polls}){last}", max_wait.as_secs_f64())
            }
            WaitErrorKind::Call(error) if self.polls == 0 => write!(f, "{error}"),
            WaitErrorKind::Call(error) => write!(f, "{} failed after {waited} ({polls}{last}): {error}", self.action),
        }
    }
}

impl<C: ActionErrorCode> std::error::Error for WaitError<C> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            WaitErrorKind::Call(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

/// Waits with `waiter` for `request`'s answer to reach the success state, and returns that answer.
/// An error code, here, is never a success: it ends the wait as the poll's error.
pub async fn wait_for_output<A: Action>(
    client: &ApiClient,
    request: &A,
    waiter: &'static WaiterDescriptor,
    settings: &WaitSettings,
) -> Result<A::Response, WaitError<A::ErrorCode>> {
    run(client, waiter, settings, || client.call(request), |answer| answer, Err).await
}

/// Waits with `waiter` for `request` to reach the success state — for waiters whose success is an
/// error code (`FunctionDeleted`: `ResourceNotFound.Function`).
pub async fn wait_for_error<A: Action>(
    client: &ApiClient,
    request: &A,
    waiter: &'static WaiterDescriptor,
    settings: &WaitSettings,
) -> Result<(), WaitError<A::ErrorCode>> {
    run(client, waiter, settings, || client.call(request), drop, |_| Ok(())).await
}

/// Waits with `waiter`, polling its action with `params` as wire JSON (as
/// [`ApiClient::call_json`]): the last answer, or `None` if the success was an error code.
pub async fn wait_json<C: ActionErrorCode>(
    client: &ApiClient,
    params: &Value,
    waiter: &'static WaiterDescriptor,
    settings: &WaitSettings,
) -> Result<Option<Box<RawValue>>, WaitError<C>> {
    let poll = || client.call_json::<C>(waiter.action, params.clone());
    run(client, waiter, settings, poll, Some, |_| Ok(None)).await
}

/// When a wait began, on the client's clock.
struct Started<'a> {
    client: &'a ApiClient,
    at: SystemTime,
}

impl<'a> Started<'a> {
    fn now(client: &'a ApiClient) -> Self {
        Self { client, at: client.config().clock.now() }
    }

    fn elapsed(&self) -> Duration {
        self.client.config().clock.now().duration_since(self.at).unwrap_or_default()
    }

    fn error<C>(
        &self,
        waiter: &WaiterDescriptor,
        kind: WaitErrorKind<C>,
        last_status: Option<String>,
        polls: u32,
    ) -> WaitError<C> {
        WaitError { waiter: waiter.name, action: waiter.action.name, kind, last_status, waited: self.elapsed(), polls }
    }
}

/// The loop: poll, judge the outcome by the acceptors, wait, until a final state or the limit.
/// What a success gives comes from `answered` (an answer) or `errored` (an error code counted as
/// success; giving the error back makes it the poll's error).
async fn run<T, C, O, F, Fut>(
    client: &ApiClient,
    waiter: &'static WaiterDescriptor,
    settings: &WaitSettings,
    mut poll: F,
    answered: impl FnOnce(T) -> O,
    errored: impl FnOnce(ServiceError<C>) -> Result<O, ServiceError<C>>,
) -> Result<O, WaitError<C>>
where
    T: Serialize,
    C: ActionErrorCode,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error<C>>>,
{
    let started = Started::now(client);
    let clock = client.config().clock.clone();
    let mut polls = 0;
    let mut last_status = None;
    loop {
        polls += 1;
        let outcome = poll().await;
        let (state, status, answer) = match &outcome {
            Ok(answer) => {
                let json = serde_json::to_value(answer).unwrap_or(Value::Null);
                let status = member_text(&json, waiter.status);
                (status.as_deref().and_then(|s| waiter.state_of_status(s)), status, Some(json))
            }
            Err(Error::Service(error)) => {
                let code = error.code.as_str().to_owned();
                (waiter.state_of_error(&code), Some(code), None)
            }
            Err(_) => (None, None, None),
        };
        if status.is_some() {
            last_status = status;
        }
        tracing::debug!(waiter = waiter.name, polls, status = last_status.as_deref(), state = ?state.map(WaiterState::as_str), "polled");
        match (state, outcome) {
            (Some(WaiterState::Success), Ok(answer)) => return Ok(answered(answer)),
            (Some(WaiterState::Success), Err(Error::Service(error))) => {
                return errored(error).map_err(|error| {
                    started.error(waiter, WaitErrorKind::Call(Box::new(Error::Service(error))), last_status, polls)
                });
            }
            (Some(WaiterState::Failure), _) => {
                let reasons = answer.as_ref().and_then(|json| member(json, waiter.reasons)).filter(|r| !is_empty(r));
                let kind = WaitErrorKind::Failed { reasons: reasons.map(|r| r.to_string()) };
                return Err(started.error(waiter, kind, last_status, polls));
            }
            // An answer no acceptor names is a state on the way: poll again.
            (Some(WaiterState::Retry) | None, Ok(_)) | (Some(WaiterState::Retry), Err(_)) => {}
            (_, Err(error)) => {
                return Err(started.error(waiter, WaitErrorKind::Call(Box::new(error)), last_status, polls));
            }
        }
        let waited = started.elapsed();
        if waited >= settings.max_wait {
            let kind = WaitErrorKind::TimedOut { max_wait: settings.max_wait };
            return Err(started.error(waiter, kind, last_status, polls));
        }
        if let Some(on_poll) = &settings.on_poll {
            on_poll(&WaitProgress { status: last_status.as_deref(), waited, polls });
        }
        // The last wait ends at the limit, so that the last poll comes right at it.
        clock.sleep(settings.delay(polls).min(settings.max_wait - waited)).await;
    }
}

/// The member at `path` (wire names through structures), if the answer has it.
fn member<'a>(json: &'a Value, path: &[&str]) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.iter().try_fold(json, |value, name| value.get(name))
}

/// A status member's text.
fn member_text(json: &Value, path: &[&str]) -> Option<String> {
    member(json, path).and_then(Value::as_str).map(str::to_owned)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_minimum_up_to_the_maximum() {
        let settings = WaitSettings {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            max_wait: Duration::from_secs(10),
            on_poll: None,
        };
        for _ in 0..100 {
            assert_eq!(settings.delay(1), Duration::from_millis(100), "never below the minimum");
            let second = settings.delay(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200), "{second:?}");
            let fourth = settings.delay(4);
            assert!(fourth >= Duration::from_millis(350) && fourth <= Duration::from_millis(700), "{fourth:?}");
            assert!(settings.delay(60) <= Duration::from_millis(700), "capped");
        }
    }

    #[test]
    fn members_are_found_through_structures() {
        let json = serde_json::json!({"Result": {"Status": "RUNNING"}, "Reasons": [], "Status": "Active"});
        assert_eq!(member_text(&json, &["Status"]).as_deref(), Some("Active"));
        assert_eq!(member_text(&json, &["Result", "Status"]).as_deref(), Some("RUNNING"));
        assert_eq!(member_text(&json, &["Missing"]), None);
        assert_eq!(member_text(&json, &[]), None);
        assert!(member(&json, &["Reasons"]).is_some_and(is_empty));
    }
}
