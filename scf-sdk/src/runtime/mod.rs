//! The hand-written runtime that generated code builds on.
//!
//! Nothing here names an SCF action: the runtime is a client for any Tencent Cloud API 3.0 action
//! ([`ApiClient::call`]), described by the generated catalogue ([`Action`], [`ActionDescriptor`]).
//!
//! - [`sign`]: TC3-HMAC-SHA256, stage by stage;
//! - [`credentials`]: where credentials come from;
//! - [`Config`]: region, endpoint, language, timeouts, retries;
//! - [`Transport`]: sending requests (`reqwest` by default);
//! - [`RetryPolicy`] and [`Clock`]: what is retried and how long to wait;
//! - [`Error`]: what a failed call tells you;
//! - [`Paginator`]: the pages of a paginated action as a stream;
//! - [`WaiterDescriptor`] and [`wait_for_output`]: polling an action until a state is reached.

mod action;
mod build;
mod catalog;
mod client;
mod config;
pub mod credentials;
#[doc(hidden)]
pub mod de;
mod encode;
mod env;
mod error;
pub mod json_string;
mod paginate;
mod profile;
mod retry;
pub mod sign;
#[cfg(feature = "test-util")]
pub mod test_util;
mod transport;
mod unknown;
mod validate;
mod waiter;
mod wire;

pub use action::{Action, ActionErrorCode, ActionVisitor, RetryClass};
pub use build::BuildError;
pub use catalog::{
    Acceptor, ActionDescriptor, EnumDescriptor, EnumValueDescriptor, JsonPayload, Limits, Literal, Matcher,
    MemberDescriptor, PaginationDescriptor, ServiceInfo, StringFormat, StructDescriptor, TypeDescriptor,
    WaiterDescriptor, WaiterState,
};
pub use client::ApiClient;
pub use config::{Config, ConfigBuilder, Language};
pub use credentials::{Credentials, CredentialsError, ProvideCredentials};
pub use encode::{MAX_GET_BYTES, MAX_POST_BYTES};
pub use env::{Environment, SYSTEM_DIR};
pub use error::{
    ConfigError, Error, OperationTimeoutError, ResponseError, ResponseErrorKind, ServiceError, ValidationError,
    ValidationErrorKind,
};
pub use paginate::{Items, PageCursor, Paginated, Paginator};
pub use retry::{Clock, Resend, RetryPolicy, SleepFuture, SystemClock};
pub use transport::{
    HttpMethod, HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError, TransportErrorKind,
    TransportFuture, TransportSettings,
};
pub use unknown::UnknownValue;
pub use validate::{validate_input, validate_members};
pub use waiter::{
    OnPoll, WaitError, WaitErrorKind, WaitProgress, WaitSettings, wait_for_error, wait_for_output, wait_json,
};

/// How the SDK names itself in `User-Agent` and `X-TC-RequestClient`.
pub const USER_AGENT: &str = concat!("scf-rs/", env!("CARGO_PKG_VERSION"));
