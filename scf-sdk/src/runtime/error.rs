//! The one error type a call returns.
//!
//! [`Error`] tells apart what went wrong — the service answered with an error code, the request was
//! invalid before it was sent, no credentials, no usable configuration, no response, no outcome
//! within the operation timeout, or a response that is not what the API promises — and
//! [`Error::code`], [`Error::request_id`] and [`Error::as_service_error`] reach the details without
//! matching through layers. Its `Display`
//! always says what happened (`ResourceNotFound.Function: … (request id …)`), never just
//! "service error".

use std::fmt;
use std::time::Duration;

use super::action::ActionErrorCode;
use super::build::BuildError;
use super::credentials::CredentialsError;
use super::transport::TransportError;

/// Why a call failed. `C` is the action's error-code enum.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error<C> {
    /// The service processed the request and answered with an error code.
    Service(ServiceError<C>),
    /// The request broke a documented limit; nothing was sent.
    Validation(ValidationError),
    /// No credentials could be found; nothing was sent.
    Credentials(CredentialsError),
    /// The client is not configured well enough to send (no region, a bad endpoint URL).
    Config(ConfigError),
    /// No response: the connection failed or timed out.
    Transport(TransportError),
    /// The call's overall deadline (`ConfigBuilder::operation_timeout`) passed before it had an
    /// outcome: during an attempt, or before a retry could start.
    OperationTimeout(OperationTimeoutError),
    /// A response came, but not the one the API promises (not JSON, truncated, missing fields,
    /// an unexpected HTTP status).
    Response(ResponseError),
}

impl<C: ActionErrorCode> Error<C> {
    /// The service's error, if the service answered with one.
    pub fn as_service_error(&self) -> Option<&ServiceError<C>> {
        match self {
            Error::Service(error) => Some(error),
            _ => None,
        }
    }

    /// The service's error code, if the service answered with one.
    pub fn code(&self) -> Option<&C> {
        self.as_service_error().map(|e| &e.code)
    }

    /// The request id, when the service assigned one (service errors, and bad responses that
    /// carried it).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(error) => Some(&error.request_id),
            Error::Response(error) => error.request_id.as_deref(),
            _ => None,
        }
    }

    /// The same error with its code converted, e.g. into the service-wide `ErrorCode` so that
    /// errors of different actions can be handled together.
    pub fn map_code<D: ActionErrorCode>(self) -> Error<D> {
        match self {
            Error::Service(e) => Error::Service(ServiceError {
                code: D::from(e.code.as_str()),
                message: e.message,
                request_id: e.request_id,
                http_status: e.http_status,
            }),
            Error::Validation(e) => Error::Validation(e),
            Error::Credentials(e) => Error::Credentials(e),
            Error::Config(e) => Error::Config(e),
            Error::Transport(e) => Error::Transport(e),
            Error::OperationTimeout(e) => Error::OperationTimeout(e),
            Error::Response(e) => Error::Response(e),
        }
    }
}

impl<C: ActionErrorCode> fmt::Display for Error<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Service(e) => e.fmt(f),
            Error::Validation(e) => write!(f, "invalid request: {e}"),
            Error::Credentials(e) => e.fmt(f),
            Error::Config(e) => write!(f, "configuration: {e}"),
            Error::Transport(e) => write!(f, "no response: {e}"),
            Error::OperationTimeout(e) => e.fmt(f),
            Error::Response(e) => e.fmt(f),
        }
    }
}

impl<C: ActionErrorCode> std::error::Error for Error<C> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Credentials(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::OperationTimeout(e) => Some(e),
            _ => None,
        }
    }
}

impl<C> From<BuildError> for Error<C> {
    fn from(error: BuildError) -> Self {
        Error::Validation(ValidationError::from(error))
    }
}

impl<C> From<ValidationError> for Error<C> {
    fn from(error: ValidationError) -> Self {
        Error::Validation(error)
    }
}

/// The service's answer when it rejected or failed a request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServiceError<C> {
    /// The error code (`Response.Error.Code`).
    pub code: C,
    /// The service's message (`Response.Error.Message`), in the configured language.
    pub message: String,
    /// The request id; quote it when asking Tencent Cloud for help.
    pub request_id: String,
    /// The HTTP status (200 for every error the API itself reports).
    pub http_status: u16,
}

impl<C: ActionErrorCode> fmt::Display for ServiceError<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (request id {})", self.code.as_str(), self.message, self.request_id)
    }
}

impl<C: ActionErrorCode> std::error::Error for ServiceError<C> {}

/// A request that breaks a documented limit, found before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// Where in the request: a member (`Event`), a nested one (`Tags[0].Key`), or `request` for the
    /// whole body.
    pub field: String,
    /// What kind of limit it breaks.
    pub kind: ValidationErrorKind,
    /// What is wrong, with the limit.
    pub message: String,
}

/// The kinds of [`ValidationError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationErrorKind {
    /// A required member is absent.
    Missing,
    /// A member the action does not have.
    Unknown,
    /// A value of the wrong JSON type.
    WrongType,
    /// A string longer than its limit.
    TooLong,
    /// A string shorter than its minimum.
    TooShort,
    /// A string that does not follow its character rule.
    Format,
    /// A value outside its enum's allowed values.
    NotAllowed,
    /// A number outside its range.
    OutOfRange,
    /// A list with more items than allowed.
    TooManyItems,
    /// The whole request is larger than the API accepts.
    TooLarge,
}

impl ValidationError {
    /// A new validation error.
    pub fn new(field: impl Into<String>, kind: ValidationErrorKind, message: impl Into<String>) -> Self {
        Self { field: field.into(), kind, message: message.into() }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

impl From<BuildError> for ValidationError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::MissingMember { member, .. } => {
                ValidationError::new(member, ValidationErrorKind::Missing, "is required but not set")
            }
        }
    }
}

/// The client cannot send: it lacks a region, or its endpoint is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// What is missing or wrong, and how to fix it.
    pub message: String,
}

impl ConfigError {
    /// A new configuration error.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A call that had no outcome within its operation timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationTimeoutError {
    /// The limit that passed (`ConfigBuilder::operation_timeout`).
    pub operation_timeout: Duration,
    /// Attempts started, the one cut short included (0 if the deadline passed while credentials
    /// were being looked up).
    pub attempts: u32,
    /// Whether a request may have reached the service (an attempt was cut short, or failed after
    /// it may have been sent): for an action that is not idempotent, it may have run.
    pub maybe_sent: bool,
    /// Why the last finished attempt failed, if one did.
    pub last_failure: Option<String>,
}

impl fmt::Display for OperationTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        let sent = if self.maybe_sent { "; the request may have reached the service" } else { "" };
        write!(
            f,
            "no outcome within the operation timeout of {} ms ({} attempt{plural}{sent})",
            self.operation_timeout.as_millis(),
            self.attempts
        )?;
        if let Some(last) = &self.last_failure {
            write!(f, "; the last failure: {last}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OperationTimeoutError {}

/// A response that is not what the API promises.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseError {
    /// What kind of wrong it is; decides whether the request is worth repeating.
    pub kind: ResponseErrorKind,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong with it.
    pub reason: String,
    /// The request id, if the body carried one.
    pub request_id: Option<String>,
    /// The start of the body (at most [`ResponseError::EXCERPT_BYTES`] bytes, lossily decoded).
    pub excerpt: String,
    /// The body's full length in bytes.
    pub body_len: usize,
}

/// The kinds of [`ResponseError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseErrorKind {
    /// An HTTP status other than 200 without an API error in the body: a gateway's or a proxy's
    /// answer (`502 Bad Gateway`), which may be worth repeating.
    HttpStatus,
    /// A body that is not an API answer: not UTF-8, not JSON, cut short, without a `Response`
    /// object or its `RequestId`.
    Malformed,
    /// An API answer whose `Response` does not match the action's output.
    OutputMismatch,
    /// Pages of a paginated action that do not end.
    Paging,
}

impl ResponseError {
    /// How much of the body an error keeps.
    pub const EXCERPT_BYTES: usize = 256;

    /// An error for `body`, keeping a bounded excerpt of it.
    pub fn new(kind: ResponseErrorKind, status: u16, reason: impl Into<String>, body: &[u8]) -> Self {
        let cut = body.len().min(Self::EXCERPT_BYTES);
        let excerpt = String::from_utf8_lossy(&body[..cut]).trim_end_matches('\u{fffd}').to_owned();
        Self { kind, status, reason: reason.into(), request_id: None, excerpt, body_len: body.len() }
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected response (HTTP {}): {}", self.status, self.reason)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if self.body_len == 0 {
            f.write_str("; the body is empty")
        } else {
            let more = if self.body_len > self.excerpt.len() { "…" } else { "" };
            write!(f, "; body ({} bytes): {:?}{more}", self.body_len, self.excerpt)
        }
    }
}

impl std::error::Error for ResponseError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::RetryClass;

    #[derive(Debug, Clone, PartialEq)]
    struct Code(String);

    impl From<&str> for Code {
        fn from(code: &str) -> Self {
            Code(code.to_owned())
        }
    }

    impl fmt::Display for Code {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl ActionErrorCode for Code {
        fn as_str(&self) -> &str {
            &self.0
        }
        fn description(&self) -> Option<&'static str> {
            None
        }
        fn retry_class(&self) -> Option<RetryClass> {
            None
        }
    }

    #[test]
    fn service_errors_display_code_message_and_request_id() {
        let error: Error<Code> = Error::Service(ServiceError {
            code: Code::from("ResourceNotFound.Function"),
            message: "The function does not exist.".into(),
            request_id: "req-1".into(),
            http_status: 200,
        });
        assert_eq!(error.to_string(), "ResourceNotFound.Function: The function does not exist. (request id req-1)");
        assert_eq!(error.code().map(ActionErrorCode::as_str), Some("ResourceNotFound.Function"));
        assert_eq!(error.request_id(), Some("req-1"));
    }

    #[test]
    fn response_errors_keep_a_bounded_excerpt() {
        let body = "x".repeat(20_000);
        let error = ResponseError::new(ResponseErrorKind::HttpStatus, 502, "not JSON", body.as_bytes());
        assert_eq!(error.excerpt.len(), ResponseError::EXCERPT_BYTES);
        let shown = error.to_string();
        assert!(shown.starts_with("unexpected response (HTTP 502): not JSON; body (20000 bytes): \"xxx"), "{shown}");
        assert!(shown.len() < 400);
        // A multi-byte character cut in half is dropped, not shown as garbage.
        let error = ResponseError::new(ResponseErrorKind::Malformed, 200, "r", "é".repeat(200).as_bytes());
        assert!(!error.excerpt.contains('\u{fffd}'));
    }
}
