//! The serde model of the JSON API description (`api-spec/<service>/<version>.json`).
//!
//! This is the format exactly as written on disk: names are wire names, references are by name, and
//! nothing is checked beyond the shape of the JSON (unknown keys are rejected). [`crate::validate`]
//! checks the meaning, and [`crate::ir`] turns a valid spec into the model the emitters read.
//! `api-spec/schema.json` describes the same format for editors; a test keeps the two in step.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// The version of the description format this generator reads.
pub const FORMAT_VERSION: u32 = 1;

/// A whole service description.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Editor hint pointing at `schema.json`; ignored by the generator.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Must equal [`FORMAT_VERSION`].
    pub format: u32,
    pub service: Service,
    pub regions: Vec<Region>,
    pub error_codes: Vec<ErrorCode>,
    #[serde(default)]
    pub enums: Vec<Enum>,
    #[serde(default)]
    pub structures: Vec<Structure>,
    pub actions: Vec<Action>,
    /// Polls of an action until its answer reaches a state.
    #[serde(default)]
    pub waiters: Vec<Waiter>,
}

/// Service identity and endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Short name used in hosts and the signing scope, e.g. `scf`.
    pub name: String,
    /// Human-readable product name.
    pub title: String,
    /// API version, `YYYY-MM-DD`.
    pub version: String,
    pub docs: String,
    /// Default host, e.g. `scf.tencentcloudapi.com`.
    pub endpoint: String,
    /// Host pattern for a given region, containing `{region}` once.
    pub regional_endpoint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// e.g. `ap-guangzhou`.
    pub id: String,
    /// English name, e.g. `Guangzhou`.
    pub name: String,
}

/// One error code the service may return in `Response.Error.Code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCode {
    /// Dotted code, e.g. `ResourceNotFound.Function`.
    pub code: String,
    pub docs: String,
    /// A Tencent Cloud API 3.0 common code: every action may return it.
    #[serde(default)]
    pub common: bool,
    /// Set when repeating the request may succeed.
    pub retry: Option<RetryClass>,
}

/// Why a code may be worth retrying. The runtime decides whether it actually retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// The request was rejected by rate limiting before it did anything.
    Throttling,
    /// An internal or availability failure on the service side.
    Transient,
    /// The credentials were refused as expired or unknown: worth one more try with credentials
    /// looked up again.
    Credentials,
}

/// A named set of allowed string values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enum {
    pub name: String,
    pub docs: String,
    /// The service may accept or return values beyond these (runtimes, for instance): requests
    /// with other values are not refused before sending.
    #[serde(default)]
    pub open: bool,
    pub values: Vec<EnumValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: String,
    pub docs: String,
}

/// A named object type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    pub name: String,
    pub docs: String,
    /// Why the structure should no longer be used, if so.
    pub deprecated: Option<String>,
    pub members: Vec<Member>,
}

/// One action (operation) of the service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    pub docs: String,
    pub deprecated: Option<String>,
    /// Repeating the call has no further effect (reads, for instance). Decides whether the runtime
    /// may re-send a request that possibly reached the service.
    #[serde(default)]
    pub idempotent: bool,
    #[serde(default)]
    pub input: Vec<Member>,
    /// Output members; `RequestId` is implied and must not be listed.
    #[serde(default)]
    pub output: Vec<Member>,
    pub errors: ActionErrors,
    /// The results come in pages, through an offset and a limit.
    pub pagination: Option<Pagination>,
}

/// How a paginated action pages, by member names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// Input member: the offset of the page's first item (`int64`, `uint64` or a numeric `string`).
    pub offset: String,
    /// Input member: the most items a page holds (same types).
    pub limit: String,
    /// Output member: the page's items (a list).
    pub items: String,
    /// Output member: how many items there are in all (`int64` or `uint64`), if the action says.
    pub total: Option<String>,
    /// Items per page; by default the limit member's `max`, else its `default`.
    pub page_size: Option<u64>,
}

impl Pagination {
    /// Items per page: `page_size`, else the limit member's `max`, else its `default` (a number, or
    /// a string holding one). `None` if none of them says.
    pub fn resolved_page_size(&self, action: &Action) -> Option<u64> {
        let limit = action.input.iter().find(|m| m.name == self.limit);
        let max = limit.and_then(|m| m.max).filter(|max| *max >= 1.0).map(|max| max as u64);
        let default = limit.and_then(|m| m.default.as_ref()).and_then(|d| match d {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        self.page_size.or(max).or(default)
    }
}

/// A waiter: an action polled until its answer, or an error code, reaches a state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiter {
    /// PascalCase name (`FunctionActive`); the client's method is `wait_until_<snake_case>`.
    pub name: String,
    pub docs: String,
    /// The action polled (its input is the waiter's input).
    pub action: String,
    /// Output member holding the state that `status` acceptors match: a wire name, or a dotted path
    /// through structures (`Result.Status`).
    pub status: Option<String>,
    /// Output member (or dotted path) that explains a failure state; shown in the error.
    pub reasons: Option<String>,
    /// The first wait between polls, in seconds; later waits double.
    pub min_delay_seconds: u64,
    /// The longest wait between polls, in seconds.
    pub max_delay_seconds: u64,
    /// How long to wait in all, in seconds, unless the caller says otherwise.
    pub max_wait_seconds: u64,
    /// What each status value or error code means; a poll that none matches goes on waiting.
    pub acceptors: Vec<Acceptor>,
}

/// One condition of a waiter: a set of status values, or of error codes, and the state they mean.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptor {
    pub state: WaiterState,
    /// Values of the waiter's `status` member.
    #[serde(default)]
    pub status: Vec<String>,
    /// Error codes the action may return.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// Where a wait stands when an acceptor matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiterState {
    /// The state waited for.
    Success,
    /// A state from which the one waited for cannot come.
    Failure,
    /// Not there yet: poll again.
    Retry,
}

/// The error codes an action may return, beside the common ones.
#[derive(Debug)]
pub enum ActionErrors {
    /// The codes listed for this action.
    Listed(Vec<String>),
    /// No per-action list is published: every code of the service applies (`"service-wide"`).
    ServiceWide,
}

/// A member of a structure, an action's input or an action's output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Wire name, e.g. `FunctionName`.
    pub name: String,
    pub docs: String,
    /// A primitive (`string`, `int64`, `uint64`, `float`, `bool`, `datetime`), or the name of an
    /// enum or structure.
    #[serde(rename = "type")]
    pub ty: String,
    /// The member is a list of `type`.
    #[serde(default)]
    pub list: bool,
    /// The caller must send it (members of action inputs and of structures sent in requests).
    #[serde(default)]
    pub required: bool,
    /// The service always returns it (members of action outputs and of structures returned in
    /// responses).
    #[serde(default)]
    pub output_required: bool,
    /// The service may send `null` (or leave it out) even when it is `output_required`.
    #[serde(default)]
    pub nullable: bool,
    /// The value the service assumes when the member is absent.
    pub default: Option<serde_json::Value>,
    /// A string member whose content is JSON; its Rust type follows the payload, while the wire
    /// keeps it a string.
    pub json: Option<JsonPayload>,
    /// Limit on the UTF-8 length of a string (of the encoded JSON for `json` members).
    pub max_bytes: Option<u64>,
    /// Lower bound of a string's UTF-8 length.
    pub min_bytes: Option<u64>,
    /// A rule the characters of a string follow.
    pub format: Option<StringFormat>,
    /// Lower bound of a number.
    pub min: Option<f64>,
    /// Upper bound of a number.
    pub max: Option<f64>,
    /// Limit on the number of items of a list.
    pub max_items: Option<u64>,
    /// The value may hold user data or secrets: it is redacted from `Debug` output.
    #[serde(default)]
    pub sensitive: bool,
    /// Why the member should no longer be used, if so.
    pub deprecated: Option<String>,
    /// An example value, as written on the wire.
    pub example: Option<String>,
}

/// A rule for the characters of a string member, checked before a request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StringFormat {
    /// A resource name: starts with an ASCII letter; ASCII letters, digits, `-` and `_`; does not end
    /// with `-` or `_` (function, namespace and alias names).
    Name,
}

/// What a JSON-carrying string member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonPayload {
    /// Any JSON value.
    Any,
    /// A JSON object whose values are all strings.
    StringMap,
}

impl<'de> Deserialize<'de> for ActionErrors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ErrorsVisitor;

        impl<'de> Visitor<'de> for ErrorsVisitor {
            type Value = ActionErrors;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a list of error codes, or "service-wide""#)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ActionErrors, E> {
                match v {
                    "service-wide" => Ok(ActionErrors::ServiceWide),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ActionErrors, A::Error> {
                let mut codes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(code) = seq.next_element::<String>()? {
                    codes.push(code);
                }
                Ok(ActionErrors::Listed(codes))
            }
        }

        deserializer.deserialize_any(ErrorsVisitor)
    }
}
