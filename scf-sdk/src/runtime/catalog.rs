//! Descriptors: the API description as static data, emitted by the generator into
//! `catalog.rs`. They let the runtime, the emulator and the CLI handle every action generically.
//!
//! Descriptors are built with `const fn` constructors and modifiers, so generated statics stay short
//! and new fields can be added without breaking generated code.

use std::time::Duration;

/// A service: identity, endpoints and regions.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServiceInfo {
    /// Short name, used in hosts and in the signing scope (`scf`).
    pub name: &'static str,
    /// Product name.
    pub title: &'static str,
    /// API version (`2018-04-16`).
    pub version: &'static str,
    /// Default host (`scf.tencentcloudapi.com`).
    pub endpoint: &'static str,
    /// Host for a given region, with `{region}` in place of the region id.
    pub regional_endpoint: &'static str,
    /// Ids of the regions where the service is available.
    pub regions: &'static [&'static str],
}

impl ServiceInfo {
    /// A service description.
    pub const fn new(
        name: &'static str,
        title: &'static str,
        version: &'static str,
        endpoint: &'static str,
        regional_endpoint: &'static str,
        regions: &'static [&'static str],
    ) -> Self {
        Self { name, title, version, endpoint, regional_endpoint, regions }
    }

    /// The host serving `region` (`scf.ap-guangzhou.tencentcloudapi.com`).
    pub fn regional_host(&self, region: &str) -> String {
        self.regional_endpoint.replace("{region}", region)
    }
}

/// An action: its members and the error codes it may return.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ActionDescriptor {
    /// The service the action belongs to.
    pub service: &'static ServiceInfo,
    /// Wire name (`InvokeFunction`).
    pub name: &'static str,
    /// English documentation.
    pub docs: &'static str,
    /// Input members.
    pub input: &'static [MemberDescriptor],
    /// Output members, `RequestId` included.
    pub output: &'static [MemberDescriptor],
    /// The codes listed for this action (the common codes apply as well).
    pub errors: &'static [&'static str],
    /// No per-action list is published; every code of the service may apply.
    pub service_wide_errors: bool,
    /// Repeating the call has no further effect.
    pub idempotent: bool,
    /// Why the action should no longer be used, if so.
    pub deprecated: Option<&'static str>,
    /// How the action's results come in pages, if they do.
    pub pagination: Option<PaginationDescriptor>,
}

impl ActionDescriptor {
    /// An action that is not idempotent, not deprecated, with listed error codes.
    pub const fn new(
        service: &'static ServiceInfo,
        name: &'static str,
        docs: &'static str,
        input: &'static [MemberDescriptor],
        output: &'static [MemberDescriptor],
        errors: &'static [&'static str],
    ) -> Self {
        Self {
            service,
            name,
            docs,
            input,
            output,
            errors,
            service_wide_errors: false,
            idempotent: false,
            deprecated: None,
            pagination: None,
        }
    }

    /// Marks the action idempotent.
    pub const fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Marks the action's error codes as the service-wide list.
    pub const fn service_wide_errors(mut self) -> Self {
        self.service_wide_errors = true;
        self
    }

    /// Marks the action deprecated.
    pub const fn deprecated(mut self, reason: &'static str) -> Self {
        self.deprecated = Some(reason);
        self
    }

    /// Marks the action paginated.
    pub const fn paginated(mut self, pagination: PaginationDescriptor) -> Self {
        self.pagination = Some(pagination);
        self
    }

    /// The input member with this wire name.
    pub fn input_member(&self, name: &str) -> Option<&'static MemberDescriptor> {
        self.input.iter().find(|m| m.name == name)
    }

    /// The output member with this wire name.
    pub fn output_member(&self, name: &str) -> Option<&'static MemberDescriptor> {
        self.output.iter().find(|m| m.name == name)
    }
}

/// How a paginated action pages: the request says where a page starts and how long it is, the
/// answer holds the page's items and, usually, how many there are in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaginationDescriptor {
    /// Input member: the offset of the page's first item (`Offset`).
    pub offset: &'static str,
    /// Input member: the most items a page may hold (`Limit`).
    pub limit: &'static str,
    /// Output member: the page's items, a list (`Functions`).
    pub items: &'static str,
    /// Output member: how many items there are in all (`TotalCount`), if the action says.
    pub total: Option<&'static str>,
    /// How many items to ask for per page, from the API description.
    pub page_size: u64,
}

impl PaginationDescriptor {
    /// Pages read through `offset` and `limit`, items in `items`, `page_size` at a time.
    pub const fn new(offset: &'static str, limit: &'static str, items: &'static str, page_size: u64) -> Self {
        Self { offset, limit, items, total: None, page_size }
    }

    /// The output member counting every item.
    pub const fn total(mut self, member: &'static str) -> Self {
        self.total = Some(member);
        self
    }
}

/// A waiter: an action polled until its answer (or error code) reaches a state its acceptors
/// name — `FunctionActive` polls `GetFunction` until `Status` is `Active`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WaiterDescriptor {
    /// Name in the API description (`FunctionActive`).
    pub name: &'static str,
    /// English documentation.
    pub docs: &'static str,
    /// The action polled.
    pub action: &'static ActionDescriptor,
    /// Path of wire names, through structures, to the output member holding the status that
    /// acceptors match (`["Status"]`, `["Result", "Status"]`); empty if only error codes count.
    pub status: &'static [&'static str],
    /// Path to the output member that explains a failure state (`["StatusReasons"]`), if any.
    pub reasons: &'static [&'static str],
    /// What each status or error code means for the wait.
    pub acceptors: &'static [Acceptor],
    /// The first wait between polls.
    pub min_delay: Duration,
    /// Waits between polls double up to this.
    pub max_delay: Duration,
    /// How long to wait in all, unless the caller says otherwise.
    pub max_wait: Duration,
}

impl WaiterDescriptor {
    /// A waiter polling `action`, waiting 1 s to 10 s between polls, 300 s in all.
    pub const fn new(
        name: &'static str,
        docs: &'static str,
        action: &'static ActionDescriptor,
        acceptors: &'static [Acceptor],
    ) -> Self {
        Self {
            name,
            docs,
            action,
            status: &[],
            reasons: &[],
            acceptors,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_wait: Duration::from_secs(300),
        }
    }

    /// Sets the path of the status member.
    pub const fn status(mut self, path: &'static [&'static str]) -> Self {
        self.status = path;
        self
    }

    /// Sets the path of the member explaining failures.
    pub const fn reasons(mut self, path: &'static [&'static str]) -> Self {
        self.reasons = path;
        self
    }

    /// Sets the waits, in seconds: between polls from `min` doubling up to `max`, `max_wait` in all.
    pub const fn delays(mut self, min: u64, max: u64, max_wait: u64) -> Self {
        self.min_delay = Duration::from_secs(min);
        self.max_delay = Duration::from_secs(max);
        self.max_wait = Duration::from_secs(max_wait);
        self
    }

    /// The state a status value means, if an acceptor names it.
    pub fn state_of_status(&self, status: &str) -> Option<WaiterState> {
        self.acceptors.iter().find_map(|a| match a.matcher {
            Matcher::Status(values) if values.contains(&status) => Some(a.state),
            _ => None,
        })
    }

    /// The state an error code means, if an acceptor names it.
    pub fn state_of_error(&self, code: &str) -> Option<WaiterState> {
        self.acceptors.iter().find_map(|a| match a.matcher {
            Matcher::Errors(codes) if codes.contains(&code) => Some(a.state),
            _ => None,
        })
    }

    /// Whether success comes from an error code (`FunctionDeleted`: `ResourceNotFound.Function`)
    /// rather than from an answer.
    pub fn succeeds_on_error(&self) -> bool {
        self.acceptors.iter().any(|a| a.state == WaiterState::Success && matches!(a.matcher, Matcher::Errors(_)))
    }
}

/// What a status value or an error code means for a wait.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Acceptor {
    /// Where the wait stands when the matcher matches.
    pub state: WaiterState,
    /// What it matches.
    pub matcher: Matcher,
}

impl Acceptor {
    /// `state` when the status is one of `values`.
    pub const fn status(state: WaiterState, values: &'static [&'static str]) -> Self {
        Self { state, matcher: Matcher::Status(values) }
    }

    /// `state` when the action fails with one of `codes`.
    pub const fn errors(state: WaiterState, codes: &'static [&'static str]) -> Self {
        Self { state, matcher: Matcher::Errors(codes) }
    }
}

/// What an [`Acceptor`] matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Matcher {
    /// The waiter's status member holds one of these values.
    Status(&'static [&'static str]),
    /// The action failed with one of these error codes.
    Errors(&'static [&'static str]),
}

/// Where a wait stands after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaiterState {
    /// Done: the state waited for is reached.
    Success,
    /// Done: a state from which the one waited for cannot come (`CreateFailed`).
    Failure,
    /// Not yet: poll again.
    Retry,
}

impl WaiterState {
    /// `success`, `failure` or `retry`, as in the API description.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiterState::Success => "success",
            WaiterState::Failure => "failure",
            WaiterState::Retry => "retry",
        }
    }
}

/// A member of a structure, a request or a response.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct MemberDescriptor {
    /// Wire name (`FunctionName`).
    pub name: &'static str,
    /// English documentation.
    pub docs: &'static str,
    /// The member's type; JSON-carrying members are `String` here, see [`json`](Self::json).
    pub ty: TypeDescriptor,
    /// The caller must send it.
    pub required: bool,
    /// The service always returns it.
    pub output_required: bool,
    /// Output: may be `null`.
    pub nullable: bool,
    /// The value the service assumes when the member is absent.
    pub default: Option<Literal>,
    /// Set for a string member whose content is JSON.
    pub json: Option<JsonPayload>,
    /// Documented limits.
    pub limits: Limits,
    /// A rule the characters of a string follow.
    pub format: Option<StringFormat>,
    /// The value may carry user data or secrets.
    pub sensitive: bool,
    /// Why the member should no longer be used, if so.
    pub deprecated: Option<&'static str>,
    /// An example value as written on the wire.
    pub example: Option<&'static str>,
}

impl MemberDescriptor {
    /// An optional member with no limits.
    pub const fn new(name: &'static str, docs: &'static str, ty: TypeDescriptor) -> Self {
        Self {
            name,
            docs,
            ty,
            required: false,
            output_required: false,
            nullable: false,
            default: None,
            json: None,
            limits: Limits::NONE,
            format: None,
            sensitive: false,
            deprecated: None,
            example: None,
        }
    }

    /// Marks the member required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the member as always returned.
    pub const fn output_required(mut self) -> Self {
        self.output_required = true;
        self
    }

    /// Marks the member as possibly `null` in output.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Sets the default value.
    pub const fn default(mut self, value: Literal) -> Self {
        self.default = Some(value);
        self
    }

    /// Marks the member as JSON carried in a string.
    pub const fn json(mut self, payload: JsonPayload) -> Self {
        self.json = Some(payload);
        self
    }

    /// Sets the minimum UTF-8 length.
    pub const fn min_bytes(mut self, value: u64) -> Self {
        self.limits.min_bytes = Some(value);
        self
    }

    /// Sets the maximum UTF-8 length.
    pub const fn max_bytes(mut self, value: u64) -> Self {
        self.limits.max_bytes = Some(value);
        self
    }

    /// Sets the lower bound of a number.
    pub const fn min(mut self, value: f64) -> Self {
        self.limits.min = Some(value);
        self
    }

    /// Sets the upper bound of a number.
    pub const fn max(mut self, value: f64) -> Self {
        self.limits.max = Some(value);
        self
    }

    /// Sets the maximum number of list items.
    pub const fn max_items(mut self, value: u64) -> Self {
        self.limits.max_items = Some(value);
        self
    }

    /// Sets the character rule.
    pub const fn format(mut self, format: StringFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Marks the member sensitive.
    pub const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the member deprecated.
    pub const fn deprecated(mut self, reason: &'static str) -> Self {
        self.deprecated = Some(reason);
        self
    }

    /// Sets the example value.
    pub const fn example(mut self, value: &'static str) -> Self {
        self.example = Some(value);
        self
    }
}

/// Documented limits of a member.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Limits {
    /// Minimum UTF-8 length of a string.
    pub min_bytes: Option<u64>,
    /// Maximum UTF-8 length of a string (of its JSON text for JSON-carrying members).
    pub max_bytes: Option<u64>,
    /// Lower bound of a number.
    pub min: Option<f64>,
    /// Upper bound of a number.
    pub max: Option<f64>,
    /// Maximum number of items of a list.
    pub max_items: Option<u64>,
}

impl Limits {
    /// No limits.
    pub const NONE: Limits = Limits { min_bytes: None, max_bytes: None, min: None, max: None, max_items: None };
}

/// The type of a member.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum TypeDescriptor {
    /// A string.
    String,
    /// A signed 64-bit integer.
    Int64,
    /// An unsigned 64-bit integer.
    UInt64,
    /// A 64-bit float.
    Float,
    /// A boolean.
    Bool,
    /// A date-time string.
    DateTime,
    /// A string from a closed set.
    Enum(&'static EnumDescriptor),
    /// A structure.
    Structure(&'static StructDescriptor),
    /// A list.
    List(&'static TypeDescriptor),
}

/// A rule for the characters of a string member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StringFormat {
    /// A resource name: starts with an ASCII letter; ASCII letters, digits, `-` and `_`; does not
    /// end with `-` or `_`.
    Name,
}

impl StringFormat {
    /// Whether `value` follows the rule.
    pub fn matches(self, value: &str) -> bool {
        match self {
            StringFormat::Name => {
                value.starts_with(|c: char| c.is_ascii_alphabetic())
                    && !value.ends_with(['-', '_'])
                    && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }
        }
    }

    /// The rule in words, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            StringFormat::Name => {
                "must start with a letter, contain only letters, digits, `-` and `_`, and not end with `-` or `_`"
            }
        }
    }
}

/// What a JSON-carrying string member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonPayload {
    /// Any JSON value.
    Any,
    /// A JSON object whose values are strings.
    StringMap,
}

/// A default value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// A string (also enum values and date-times).
    Str(&'static str),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// A structure.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct StructDescriptor {
    /// Name in the API (`Result`).
    pub name: &'static str,
    /// Name of the generated Rust type (`ResultValue`).
    pub rust_name: &'static str,
    /// English documentation.
    pub docs: &'static str,
    /// Members.
    pub members: &'static [MemberDescriptor],
}

impl StructDescriptor {
    /// A structure description.
    pub const fn new(
        name: &'static str,
        rust_name: &'static str,
        docs: &'static str,
        members: &'static [MemberDescriptor],
    ) -> Self {
        Self { name, rust_name, docs, members }
    }
}

/// An enum.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EnumDescriptor {
    /// Name in the API.
    pub name: &'static str,
    /// Name of the generated Rust type.
    pub rust_name: &'static str,
    /// English documentation.
    pub docs: &'static str,
    /// The documented values.
    pub values: &'static [EnumValueDescriptor],
    /// The service may accept values beyond [`values`](Self::values), so requests with other values
    /// are not refused before sending.
    pub open: bool,
}

impl EnumDescriptor {
    /// An enum description.
    pub const fn new(
        name: &'static str,
        rust_name: &'static str,
        docs: &'static str,
        values: &'static [EnumValueDescriptor],
    ) -> Self {
        Self { name, rust_name, docs, values, open: false }
    }

    /// Marks the enum open.
    pub const fn open(mut self) -> Self {
        self.open = true;
        self
    }
}

/// One allowed value of an enum.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EnumValueDescriptor {
    /// The value on the wire.
    pub value: &'static str,
    /// English documentation.
    pub docs: &'static str,
}

impl EnumValueDescriptor {
    /// A value description.
    pub const fn new(value: &'static str, docs: &'static str) -> Self {
        Self { value, docs }
    }
}
