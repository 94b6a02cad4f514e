//! The traits that tie an action's generated types together.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::catalog::ActionDescriptor;

/// An action's request type. Implemented by the generated `<Action>Request` types.
pub trait Action: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static {
    /// What the catalogue knows about the action (name, members, error codes, the service).
    const DESCRIPTOR: &'static ActionDescriptor;
    /// The action's response type.
    type Response: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
    /// The error codes the action may return.
    type ErrorCode: ActionErrorCode;
}

/// An error code as found in `Response.Error.Code`, parsed into an action's (or the service's) enum.
pub trait ActionErrorCode:
    for<'a> From<&'a str> + Clone + fmt::Debug + fmt::Display + PartialEq + Send + Sync + 'static
{
    /// The code as sent by the service, e.g. `ResourceNotFound.Function`.
    fn as_str(&self) -> &str;
    /// What the code means, in English; `None` for a code the SDK does not know.
    fn description(&self) -> Option<&'static str>;
    /// Why repeating the request may succeed, if it may. Whether the runtime actually retries is
    /// its retry policy's decision.
    fn retry_class(&self) -> Option<RetryClass>;
    /// Whether repeating the request may succeed.
    fn is_retryable(&self) -> bool {
        self.retry_class().is_some()
    }
}

/// Why an error code may be worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// The request was turned away by rate limiting before it had any effect: always safe to retry.
    Throttling,
    /// The service failed internally or was unavailable; the request may or may not have had an
    /// effect, so only idempotent requests are safe to retry.
    Transient,
    /// The service refused the credentials as expired or unknown (a stale session token, a key
    /// just rotated): worth one more try with credentials looked up again. The client does it,
    /// once per call.
    Credentials,
}

/// Receives every action type of a service from the generated `catalog::visit_actions`.
pub trait ActionVisitor {
    /// Called once per action.
    fn visit<A: Action>(&mut self);
}
