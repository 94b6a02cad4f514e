//! The intermediate representation the emitters read.
//!
//! [`lower`] turns a validated [`Spec`] into this model: references are resolved, every Rust name is
//! decided (through [`crate::naming`]), implied members such as `RequestId` are added, and derived
//! facts (which structures can be `Eq`, which members are `Option`) are computed once. Emitters only
//! read it; they never look at the raw spec.

use std::collections::{BTreeMap, BTreeSet};

use crate::naming;
use crate::spec::{self, ActionErrors, Spec};
pub use crate::spec::{JsonPayload, RetryClass, StringFormat, WaiterState};
use crate::validate::REQUEST_ID;

/// A whole service, ready to emit.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub title: String,
    pub version: String,
    pub docs: String,
    pub endpoint: String,
    pub regional_endpoint: String,
    pub regions: Vec<Region>,
    /// Every error code of the service, sorted by code.
    pub error_codes: Vec<ErrorCode>,
    pub enums: Vec<Enum>,
    pub structures: Vec<Structure>,
    pub actions: Vec<Action>,
    /// Sorted by name.
    pub waiters: Vec<Waiter>,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub variant: String,
}

#[derive(Debug, Clone)]
pub struct ErrorCode {
    pub code: String,
    pub variant: String,
    pub docs: String,
    pub common: bool,
    pub retry: Option<RetryClass>,
}

/// A closed set of string values, plus the generated catch-all for values this SDK does not know.
#[derive(Debug, Clone)]
pub struct Enum {
    /// The service may use values beyond these.
    pub open: bool,
    pub spec_name: String,
    pub rust_name: String,
    pub module: String,
    pub docs: String,
    pub values: Vec<EnumValue>,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub value: String,
    pub variant: String,
    pub docs: String,
}

/// A structure, an action's request or an action's response.
#[derive(Debug, Clone)]
pub struct Structure {
    /// The name in the spec (for requests and responses, the generated one).
    pub spec_name: String,
    pub rust_name: String,
    pub builder_name: String,
    /// File stem (structures only; requests and responses live in their action's file).
    pub module: String,
    pub docs: String,
    pub deprecated: Option<String>,
    pub members: Vec<Member>,
    /// No member is (or contains) a float, so `Eq` can be derived.
    pub eq: bool,
}

impl Structure {
    /// Whether `Debug` must be written by hand to hide sensitive members.
    pub fn has_sensitive(&self) -> bool {
        self.members.iter().any(|m| m.sensitive)
    }
}

#[derive(Debug, Clone)]
pub struct Member {
    pub wire_name: String,
    pub field: String,
    /// The builder's `set_…` method (takes an `Option`).
    pub setter_option: String,
    pub docs: String,
    pub ty: Type,
    /// The Rust field is an `Option`.
    pub optional: bool,
    /// The caller must send it.
    pub required: bool,
    /// The service always returns it.
    pub output_required: bool,
    pub nullable: bool,
    pub default: Option<serde_json::Value>,
    pub limits: Limits,
    pub format: Option<StringFormat>,
    pub sensitive: bool,
    pub deprecated: Option<String>,
    pub example: Option<String>,
}

/// Limits documented for a member; checked by the runtime before a request is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub min_bytes: Option<u64>,
    pub max_bytes: Option<u64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub max_items: Option<u64>,
}

/// The Rust-side type of a member (without the `Option` of an optional member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Int64,
    UInt64,
    Float,
    Bool,
    /// A date-time string in the service's format (`YYYY-MM-DD hh:mm:ss`), kept as a string.
    DateTime,
    /// A string on the wire whose content is JSON.
    Json(JsonPayload),
    /// A generated enum, by Rust name.
    Enum(String),
    /// A generated structure, by Rust name.
    Structure(String),
    List(Box<Type>),
}

#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub method: String,
    pub module: String,
    /// Name of the static descriptor in the catalogue.
    pub descriptor: String,
    pub docs: String,
    pub deprecated: Option<String>,
    pub idempotent: bool,
    pub request: Structure,
    pub response: Structure,
    pub errors: ActionErrorCodes,
    pub pagination: Option<Pagination>,
}

/// How a paginated action pages, by wire names of its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub offset: String,
    pub limit: String,
    pub items: String,
    pub total: Option<String>,
    pub page_size: u64,
}

/// A waiter: an action polled until its answer (or an error code) reaches a state.
#[derive(Debug, Clone)]
pub struct Waiter {
    pub name: String,
    pub docs: String,
    /// The client's method (`wait_until_function_active`).
    pub method: String,
    /// The builder type (`FunctionActiveWaiter`).
    pub type_name: String,
    pub module: String,
    /// Name of the static descriptor in the catalogue.
    pub descriptor: String,
    /// The action polled, by name.
    pub action: String,
    /// Wire names from the output down to the status member; empty without one.
    pub status: Vec<String>,
    /// Wire names down to the member explaining failures; empty without one.
    pub reasons: Vec<String>,
    pub min_delay_seconds: u64,
    pub max_delay_seconds: u64,
    pub max_wait_seconds: u64,
    pub acceptors: Vec<Acceptor>,
    /// Success comes from an error code (the waiter gives `()`), not from an answer.
    pub succeeds_on_error: bool,
}

#[derive(Debug, Clone)]
pub struct Acceptor {
    pub state: WaiterState,
    pub status: Vec<String>,
    pub errors: Vec<String>,
}

/// The error-code type of an action.
#[derive(Debug, Clone)]
pub enum ActionErrorCodes {
    /// A dedicated enum: the listed codes plus the common ones (indexes into
    /// [`Service::error_codes`], sorted by code).
    Own { type_name: String, listed: Vec<String>, codes: Vec<usize> },
    /// The action uses the service-wide enum; `type_name` is an alias of it.
    ServiceWide { type_name: String },
}

impl ActionErrorCodes {
    pub fn type_name(&self) -> &str {
        match self {
            Self::Own { type_name, .. } | Self::ServiceWide { type_name } => type_name,
        }
    }
}

/// Docs of the implied `RequestId` output member.
const REQUEST_ID_DOCS: &str = "Unique ID of the request, generated by the service. Quote it when reporting a problem.";

/// Builds the IR from a spec that [`crate::validate::validate`] accepted.
pub fn lower(spec: &Spec) -> Service {
    let type_names: BTreeMap<&str, TypeKind> = spec
        .enums
        .iter()
        .map(|e| (e.name.as_str(), TypeKind::Enum))
        .chain(spec.structures.iter().map(|s| (s.name.as_str(), TypeKind::Structure)))
        .collect();
    let usage = structure_usage(spec);
    let lower_members = |members: &[spec::Member], usage: Usage| -> Vec<Member> {
        members.iter().map(|m| lower_member(m, usage, &type_names)).collect()
    };

    let mut error_codes: Vec<ErrorCode> = spec
        .error_codes
        .iter()
        .map(|c| ErrorCode {
            code: c.code.clone(),
            variant: naming::variant_name(&c.code),
            docs: c.docs.clone(),
            common: c.common,
            retry: c.retry,
        })
        .collect();
    error_codes.sort_by(|a, b| a.code.cmp(&b.code));
    let code_index: BTreeMap<&str, usize> = error_codes.iter().enumerate().map(|(i, c)| (c.code.as_str(), i)).collect();

    let mut structures: Vec<Structure> = spec
        .structures
        .iter()
        .map(|s| {
            let rust_name = naming::type_name(&s.name);
            Structure {
                spec_name: s.name.clone(),
                builder_name: naming::builder_type(&rust_name),
                module: naming::module_name(&rust_name),
                rust_name,
                docs: s.docs.clone(),
                deprecated: s.deprecated.clone(),
                members: lower_members(&s.members, usage.get(s.name.as_str()).copied().unwrap_or(Usage::BOTH)),
                eq: true,
            }
        })
        .collect();

    let mut actions: Vec<Action> = spec
        .actions
        .iter()
        .map(|a| {
            let request_name = naming::request_type(&a.name);
            let response_name = naming::response_type(&a.name);
            let mut output = lower_members(&a.output, Usage::OUTPUT);
            output.push(Member {
                wire_name: REQUEST_ID.to_owned(),
                field: naming::field_name(REQUEST_ID),
                setter_option: naming::option_setter(&naming::field_name(REQUEST_ID)),
                docs: REQUEST_ID_DOCS.to_owned(),
                ty: Type::String,
                optional: false,
                required: false,
                output_required: true,
                nullable: false,
                default: None,
                limits: Limits::default(),
                format: None,
                sensitive: false,
                deprecated: None,
                example: None,
            });
            let errors = match &a.errors {
                ActionErrors::Listed(listed) => {
                    let mut codes: BTreeSet<usize> =
                        listed.iter().filter_map(|c| code_index.get(c.as_str()).copied()).collect();
                    codes.extend(error_codes.iter().enumerate().filter(|(_, c)| c.common).map(|(i, _)| i));
                    ActionErrorCodes::Own {
                        type_name: naming::error_code_type(&a.name),
                        listed: listed.clone(),
                        codes: codes.into_iter().collect(),
                    }
                }
                ActionErrors::ServiceWide => {
                    ActionErrorCodes::ServiceWide { type_name: naming::error_code_type(&a.name) }
                }
            };
            Action {
                name: a.name.clone(),
                method: naming::action_method(&a.name),
                module: naming::module_name(&a.name),
                descriptor: naming::static_name(&a.name),
                docs: a.docs.clone(),
                deprecated: a.deprecated.clone(),
                idempotent: a.idempotent,
                request: Structure {
                    spec_name: request_name.clone(),
                    builder_name: naming::builder_type(&request_name),
                    module: naming::module_name(&a.name),
                    rust_name: request_name,
                    docs: format!("{}\n\nThe input of the `{}` action.", a.docs, a.name),
                    deprecated: a.deprecated.clone(),
                    members: lower_members(&a.input, Usage::INPUT),
                    eq: true,
                },
                response: Structure {
                    spec_name: response_name.clone(),
                    builder_name: naming::builder_type(&response_name),
                    module: naming::module_name(&a.name),
                    rust_name: response_name,
                    docs: format!("The output of the `{}` action.", a.name),
                    deprecated: None,
                    members: output,
                    eq: true,
                },
                errors,
                pagination: a.pagination.as_ref().map(|p| Pagination {
                    offset: p.offset.clone(),
                    limit: p.limit.clone(),
                    items: p.items.clone(),
                    total: p.total.clone(),
                    // Validation made sure the spec says it, one way or another.
                    page_size: p.resolved_page_size(a).unwrap_or(1),
                }),
            }
        })
        .collect();

    // `Eq` holds for a structure when none of its members (transitively) is a float.
    let mut has_float: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = has_float.len();
        for s in &structures {
            if s.members.iter().any(|m| m.ty.contains_float(&has_float)) {
                has_float.insert(s.rust_name.clone());
            }
        }
        if has_float.len() == before {
            break;
        }
    }
    let not_float = |s: &Structure| !s.members.iter().any(|m| m.ty.contains_float(&has_float));
    for s in &mut structures {
        s.eq = not_float(s);
    }
    for a in &mut actions {
        a.request.eq = not_float(&a.request);
        a.response.eq = not_float(&a.response);
    }

    Service {
        name: spec.service.name.clone(),
        title: spec.service.title.clone(),
        version: spec.service.version.clone(),
        docs: spec.service.docs.clone(),
        endpoint: spec.service.endpoint.clone(),
        regional_endpoint: spec.service.regional_endpoint.clone(),
        regions: spec
            .regions
            .iter()
            .map(|r| Region { id: r.id.clone(), name: r.name.clone(), variant: naming::variant_name(&r.id) })
            .collect(),
        error_codes,
        enums: spec
            .enums
            .iter()
            .map(|e| {
                let rust_name = naming::type_name(&e.name);
                Enum {
                    open: e.open,
                    spec_name: e.name.clone(),
                    module: naming::module_name(&rust_name),
                    rust_name,
                    docs: e.docs.clone(),
                    values: e
                        .values
                        .iter()
                        .map(|v| EnumValue {
                            value: v.value.clone(),
                            variant: naming::variant_name(&v.value),
                            docs: v.docs.clone(),
                        })
                        .collect(),
                }
            })
            .collect(),
        structures,
        actions,
        waiters: lower_waiters(spec),
    }
}

fn lower_waiters(spec: &Spec) -> Vec<Waiter> {
    let path = |p: &Option<String>| p.as_deref().map(|p| p.split('.').map(str::to_owned).collect()).unwrap_or_default();
    let mut waiters: Vec<Waiter> = spec
        .waiters
        .iter()
        .map(|w| Waiter {
            name: w.name.clone(),
            docs: w.docs.clone(),
            method: naming::waiter_method(&w.name),
            type_name: naming::waiter_type(&w.name),
            module: naming::module_name(&w.name),
            descriptor: naming::static_name(&w.name),
            action: w.action.clone(),
            status: path(&w.status),
            reasons: path(&w.reasons),
            min_delay_seconds: w.min_delay_seconds,
            max_delay_seconds: w.max_delay_seconds,
            max_wait_seconds: w.max_wait_seconds,
            acceptors: w
                .acceptors
                .iter()
                .map(|a| Acceptor { state: a.state, status: a.status.clone(), errors: a.errors.clone() })
                .collect(),
            succeeds_on_error: w.acceptors.iter().any(|a| a.state == WaiterState::Success && !a.errors.is_empty()),
        })
        .collect();
    waiters.sort_by(|a, b| a.name.cmp(&b.name));
    waiters
}

/// Where a type travels: in requests, in responses, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    input: bool,
    output: bool,
}

impl Usage {
    const INPUT: Usage = Usage { input: true, output: false };
    const OUTPUT: Usage = Usage { input: false, output: true };
    /// Also used for structures no action refers to.
    const BOTH: Usage = Usage { input: true, output: true };
}

/// For every structure, whether some request or some response contains it (directly or nested).
fn structure_usage(spec: &Spec) -> BTreeMap<&str, Usage> {
    let structures: BTreeMap<&str, &spec::Structure> = spec.structures.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut usage: BTreeMap<&str, Usage> = BTreeMap::new();
    for action in &spec.actions {
        for (members, input) in [(&action.input, true), (&action.output, false)] {
            let mut pending: Vec<&str> = members.iter().map(|m| m.ty.as_str()).collect();
            while let Some(name) = pending.pop() {
                let Some(structure) = structures.get(name) else { continue };
                let entry = usage.entry(structure.name.as_str()).or_insert(Usage { input: false, output: false });
                let seen = if input { entry.input } else { entry.output };
                if !seen {
                    if input {
                        entry.input = true
                    } else {
                        entry.output = true
                    }
                    pending.extend(structure.members.iter().map(|m| m.ty.as_str()));
                }
            }
        }
    }
    usage
}

#[derive(Clone, Copy)]
enum TypeKind {
    Enum,
    Structure,
}

fn lower_member(m: &spec::Member, usage: Usage, types: &BTreeMap<&str, TypeKind>) -> Member {
    let base = match (m.ty.as_str(), m.json) {
        ("string", Some(payload)) => Type::Json(payload),
        ("string", None) => Type::String,
        ("int64", _) => Type::Int64,
        ("uint64", _) => Type::UInt64,
        ("float", _) => Type::Float,
        ("bool", _) => Type::Bool,
        ("datetime", _) => Type::DateTime,
        (name, _) => match types.get(name) {
            Some(TypeKind::Enum) => Type::Enum(naming::type_name(name)),
            // Validation guarantees the name resolves; a structure is the only other kind.
            Some(TypeKind::Structure) | None => Type::Structure(naming::type_name(name)),
        },
    };
    let ty = if m.list { Type::List(Box::new(base)) } else { base };
    // A member is a plain (non-`Option`) field only when it is always there in every direction the
    // type travels: always sent where it is input, always returned (never null, not deprecated)
    // where it is output. Anything else must be an `Option`, or building a request would demand
    // what the API does not, or deserialising an answer would fail on what the service may omit.
    let always_sent = m.required;
    let always_returned = m.output_required && !m.nullable && m.deprecated.is_none();
    let optional = match (usage.input, usage.output) {
        (true, false) => !always_sent,
        (false, true) => !always_returned,
        _ => !(always_sent && always_returned),
    };
    let field = naming::field_name(&m.name);
    Member {
        wire_name: m.name.clone(),
        setter_option: naming::option_setter(&field),
        field,
        docs: m.docs.clone(),
        ty,
        optional,
        required: m.required,
        output_required: m.output_required,
        nullable: m.nullable,
        default: m.default.clone(),
        limits: Limits {
            min_bytes: m.min_bytes,
            max_bytes: m.max_bytes,
            min: m.min,
            max: m.max,
            max_items: m.max_items,
        },
        format: m.format,
        sensitive: m.sensitive,
        deprecated: m.deprecated.clone(),
        example: m.example.clone(),
    }
}

impl Type {
    fn contains_float(&self, float_structures: &BTreeSet<String>) -> bool {
        match self {
            Type::Float => true,
            Type::Structure(name) => float_structures.contains(name),
            Type::List(inner) => inner.contains_float(float_structures),
            _ => false,
        }
    }
}
