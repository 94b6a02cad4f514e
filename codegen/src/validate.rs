//! Checks the meaning of a parsed spec and reports every problem at once, each with its JSON path.
//!
//! After [`validate`] succeeds, [`crate::ir::lower`] may assume that every reference resolves, every
//! name is a valid identifier and no two items get the same Rust name.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{SpecError, SpecErrors};
use crate::naming;
use crate::spec::{self, ActionErrors, JsonPayload, Member, Spec};

/// Primitive type names of the format.
pub const PRIMITIVES: &[&str] = &["string", "int64", "uint64", "float", "bool", "datetime"];

/// The output member every response carries; the generator adds it, so the spec must not list it.
pub const REQUEST_ID: &str = "RequestId";

/// Checks `spec`; returns every problem found.
pub fn validate(spec: &Spec) -> Result<(), SpecErrors> {
    let mut checker = Checker::new(spec);
    checker.check();
    if checker.errors.is_empty() { Ok(()) } else { Err(SpecErrors(checker.errors)) }
}

/// What a type name in the spec refers to.
#[derive(Clone, Copy)]
enum Named<'a> {
    Enum(&'a spec::Enum),
    Structure(&'a spec::Structure),
}

struct Checker<'a> {
    spec: &'a Spec,
    /// Named types by spec name (the first definition wins when a name is duplicated).
    types: BTreeMap<&'a str, Named<'a>>,
    errors: Vec<SpecError>,
}

impl<'a> Checker<'a> {
    fn new(spec: &'a Spec) -> Self {
        let mut types = BTreeMap::new();
        for e in &spec.enums {
            types.entry(e.name.as_str()).or_insert(Named::Enum(e));
        }
        for s in &spec.structures {
            types.entry(s.name.as_str()).or_insert(Named::Structure(s));
        }
        Self { spec, types, errors: Vec::new() }
    }

    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SpecError { path: path.into(), message: message.into() });
    }

    fn check(&mut self) {
        let spec = self.spec;
        if spec.format != spec::FORMAT_VERSION {
            self.error(
                "$.format",
                format!(
                    "format {} is not supported; this generator reads format {}",
                    spec.format,
                    spec::FORMAT_VERSION
                ),
            );
        }
        self.check_service();
        self.check_regions();
        self.check_error_codes();
        self.check_type_names();
        for (i, e) in spec.enums.iter().enumerate() {
            self.check_enum(&format!("$.enums[{i}]"), e);
        }
        for (i, s) in spec.structures.iter().enumerate() {
            let path = format!("$.structures[{i}]");
            self.check_docs(&format!("{path}.docs"), &s.docs);
            self.check_deprecated(&format!("{path}.deprecated"), s.deprecated.as_deref());
            self.check_members(&format!("{path}.members"), &s.members, Side::Structure);
            self.check_recursion(&path, s);
        }
        self.check_actions();
        self.check_waiters();
    }

    fn check_service(&mut self) {
        let service = &self.spec.service;
        let name_ok = service.name.starts_with(|c: char| c.is_ascii_lowercase())
            && service.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !name_ok {
            self.error(
                "$.service.name",
                format!("`{}` is not a service name: use lowercase ASCII letters and digits", service.name),
            );
        }
        if service.title.trim().is_empty() {
            self.error("$.service.title", "the title is empty");
        }
        if !is_api_version(&service.version) {
            self.error(
                "$.service.version",
                format!("`{}` is not an API version: expected YYYY-MM-DD", service.version),
            );
        }
        self.check_docs("$.service.docs", &service.docs);
        if !is_host(&service.endpoint) {
            self.error(
                "$.service.endpoint",
                format!("`{}` is not a host name (lowercase labels separated by dots)", service.endpoint),
            );
        }
        let pattern = &service.regional_endpoint;
        if pattern.matches("{region}").count() != 1 || !is_host(&pattern.replace("{region}", "ap-guangzhou")) {
            self.error(
                "$.service.regional_endpoint",
                format!("`{pattern}` must be a host name containing `{{region}}` exactly once"),
            );
        }
    }

    fn check_regions(&mut self) {
        if self.spec.regions.is_empty() {
            self.error("$.regions", "the service has no regions");
        }
        let mut ids = BTreeMap::new();
        let mut variants = BTreeMap::new();
        for (i, region) in self.spec.regions.iter().enumerate() {
            let path = format!("$.regions[{i}]");
            if !is_region_id(&region.id) {
                self.error(
                    format!("{path}.id"),
                    format!(
                        "`{}` is not a region id: expected lowercase words joined by `-`, such as `ap-guangzhou`",
                        region.id
                    ),
                );
                continue;
            }
            if let Some(first) = ids.insert(region.id.as_str(), i) {
                self.error(format!("{path}.id"), format!("duplicate region `{}` (also $.regions[{first}])", region.id));
                continue;
            }
            if let Some(first) = variants.insert(naming::variant_name(&region.id), i) {
                self.error(
                    format!("{path}.id"),
                    format!("region `{}` gets the same Rust variant as $.regions[{first}]", region.id),
                );
            }
            if region.name.trim().is_empty() {
                self.error(format!("{path}.name"), format!("region `{}` has no English name", region.id));
            }
        }
    }

    fn check_error_codes(&mut self) {
        let mut codes = BTreeMap::new();
        let mut variants = BTreeMap::new();
        for (i, code) in self.spec.error_codes.iter().enumerate() {
            let path = format!("$.error_codes[{i}]");
            self.check_docs(&format!("{path}.docs"), &code.docs);
            if !is_error_code(&code.code) {
                self.error(
                    format!("{path}.code"),
                    format!(
                        "`{}` is not an error code: expected PascalCase words joined by `.`, such as `ResourceNotFound.Function`",
                        code.code
                    ),
                );
                continue;
            }
            if let Some(first) = codes.insert(code.code.as_str(), i) {
                self.error(
                    format!("{path}.code"),
                    format!("duplicate error code `{}` (also $.error_codes[{first}])", code.code),
                );
                continue;
            }
            if let Some(first) = variants.insert(naming::variant_name(&code.code), i) {
                self.error(
                    format!("{path}.code"),
                    format!(
                        "error code `{}` gets the same Rust variant `{}` as $.error_codes[{first}]",
                        code.code,
                        naming::variant_name(&code.code)
                    ),
                );
            }
        }
    }

    /// Spec names of types, and every Rust type name the generator will emit, must be distinct.
    fn check_type_names(&mut self) {
        let spec = self.spec;
        let mut spec_names: BTreeMap<&str, String> = BTreeMap::new();
        // Rust type name → the path of the item that produces it.
        let mut rust_names: BTreeMap<String, String> = BTreeMap::new();
        // Claims the names of one item; reports only its first clash.
        let mut claim = |checker: &mut Self, names: Vec<String>, path: String, what: &str| {
            for rust_name in &names {
                if let Some(first) = rust_names.get(rust_name) {
                    checker.error(
                        path,
                        format!("{what} gets the Rust type name `{rust_name}`, which {first} already has"),
                    );
                    return;
                }
            }
            for rust_name in names {
                rust_names.insert(rust_name, path.clone());
            }
        };
        let named =
            spec.enums.iter().enumerate().map(|(i, e)| (format!("$.enums[{i}]"), e.name.as_str(), false)).chain(
                spec.structures.iter().enumerate().map(|(i, s)| (format!("$.structures[{i}]"), s.name.as_str(), true)),
            );
        for (path, name, is_structure) in named {
            if !naming::is_type_identifier(name) {
                self.error(
                    format!("{path}.name"),
                    format!(
                        "`{name}` is not a type name: use ASCII letters and digits, starting with an uppercase letter"
                    ),
                );
                continue;
            }
            if let Some(first) = spec_names.get(name) {
                self.error(format!("{path}.name"), format!("duplicate type name `{name}` (also {first})"));
                continue;
            }
            spec_names.insert(name, path.clone());
            let rust_name = naming::type_name(name);
            let mut names = vec![rust_name.clone()];
            if is_structure {
                names.push(naming::builder_type(&rust_name));
            }
            claim(self, names, format!("{path}.name"), &format!("type `{name}`"));
        }
        let mut actions = BTreeSet::new();
        for (i, action) in spec.actions.iter().enumerate() {
            // Invalid and duplicate action names are reported by `check_actions`.
            if !naming::is_type_identifier(&action.name) || !actions.insert(action.name.as_str()) {
                continue;
            }
            let request = naming::request_type(&action.name);
            let response = naming::response_type(&action.name);
            let names = vec![
                naming::builder_type(&request),
                naming::builder_type(&response),
                naming::error_code_type(&action.name),
            ];
            let names = [request, response].into_iter().chain(names).collect();
            claim(self, names, format!("$.actions[{i}].name"), &format!("action `{}`", action.name));
        }
        let mut waiters = BTreeSet::new();
        for (i, waiter) in spec.waiters.iter().enumerate() {
            // Invalid and duplicate waiter names are reported by `check_waiters`.
            if !naming::is_type_identifier(&waiter.name) || !waiters.insert(waiter.name.as_str()) {
                continue;
            }
            let names = vec![naming::waiter_type(&waiter.name)];
            claim(self, names, format!("$.waiters[{i}].name"), &format!("waiter `{}`", waiter.name));
        }
    }

    fn check_enum(&mut self, path: &str, e: &spec::Enum) {
        self.check_docs(&format!("{path}.docs"), &e.docs);
        if e.values.is_empty() {
            self.error(format!("{path}.values"), format!("enum `{}` has no values", e.name));
        }
        let mut values = BTreeMap::new();
        let mut variants = BTreeMap::new();
        for (i, value) in e.values.iter().enumerate() {
            let vpath = format!("{path}.values[{i}]");
            self.check_docs(&format!("{vpath}.docs"), &value.docs);
            let variant = naming::variant_name(&value.value);
            if variant.is_empty() {
                self.error(
                    format!("{vpath}.value"),
                    format!("value `{}` has no letters or digits to name a Rust variant after", value.value),
                );
                continue;
            }
            if let Some(first) = values.insert(value.value.as_str(), i) {
                self.error(
                    format!("{vpath}.value"),
                    format!("duplicate value `{}` in enum `{}` (also {path}.values[{first}])", value.value, e.name),
                );
                continue;
            }
            if let Some(first) = variants.insert(variant.clone(), i) {
                self.error(
                    format!("{vpath}.value"),
                    format!(
                        "value `{}` gets the same Rust variant `{variant}` as {path}.values[{first}] in enum `{}`",
                        value.value, e.name
                    ),
                );
            }
        }
    }

    fn check_actions(&mut self) {
        let spec = self.spec;
        let known_codes: BTreeSet<&str> = spec.error_codes.iter().map(|c| c.code.as_str()).collect();
        let mut names = BTreeMap::new();
        let mut methods = BTreeMap::new();
        for (i, action) in spec.actions.iter().enumerate() {
            let path = format!("$.actions[{i}]");
            if !naming::is_type_identifier(&action.name) {
                self.error(
                    format!("{path}.name"),
                    format!("`{}` is not an action name: use PascalCase ASCII letters and digits", action.name),
                );
            } else if let Some(first) = names.insert(action.name.as_str(), i) {
                self.error(
                    format!("{path}.name"),
                    format!("duplicate action `{}` (also $.actions[{first}])", action.name),
                );
            } else if let Some(first) = methods.insert(naming::action_method(&action.name), i) {
                self.error(
                    format!("{path}.name"),
                    format!("action `{}` gets the same Rust method name as $.actions[{first}]", action.name),
                );
            }
            self.check_docs(&format!("{path}.docs"), &action.docs);
            self.check_deprecated(&format!("{path}.deprecated"), action.deprecated.as_deref());
            self.check_members(&format!("{path}.input"), &action.input, Side::Input);
            self.check_members(&format!("{path}.output"), &action.output, Side::Output);
            if let Some(pagination) = &action.pagination {
                self.check_pagination(&format!("{path}.pagination"), action, pagination);
            }
            if let ActionErrors::Listed(codes) = &action.errors {
                let mut seen = BTreeMap::new();
                for (j, code) in codes.iter().enumerate() {
                    let cpath = format!("{path}.errors[{j}]");
                    if !known_codes.contains(code.as_str()) {
                        self.error(cpath, format!("unknown error code `{code}`: it is not defined in $.error_codes"));
                    } else if let Some(first) = seen.insert(code.as_str(), j) {
                        self.error(cpath, format!("error code `{code}` is listed twice (also {path}.errors[{first}])"));
                    }
                }
            }
        }
    }

    fn check_pagination(&mut self, path: &str, action: &'a spec::Action, p: &spec::Pagination) {
        let find = |members: &'a [Member], name: &str| members.iter().find(|m| m.name == name);
        let action_name = &action.name;
        for (key, name) in [("offset", &p.offset), ("limit", &p.limit)] {
            match find(&action.input, name) {
                None => {
                    self.error(format!("{path}.{key}"), format!("`{name}` is not an input member of `{action_name}`"))
                }
                Some(m) if m.list || m.json.is_some() || !matches!(m.ty.as_str(), "int64" | "uint64" | "string") => {
                    self.error(
                        format!("{path}.{key}"),
                        format!(
                            "input member `{name}` carries the {key}: it must be a single `int64`, `uint64` or `string`"
                        ),
                    )
                }
                Some(_) => {}
            }
        }
        match find(&action.output, &p.items) {
            None => {
                self.error(format!("{path}.items"), format!("`{}` is not an output member of `{action_name}`", p.items))
            }
            Some(m) if !m.list => self.error(
                format!("{path}.items"),
                format!("output member `{}` holds the items: it must be a list", p.items),
            ),
            Some(_) => {}
        }
        if let Some(total) = &p.total {
            match find(&action.output, total) {
                None => {
                    self.error(format!("{path}.total"), format!("`{total}` is not an output member of `{action_name}`"))
                }
                Some(m) if m.list || !matches!(m.ty.as_str(), "int64" | "uint64") => self.error(
                    format!("{path}.total"),
                    format!("output member `{total}` counts the items: it must be a single `int64` or `uint64`"),
                ),
                Some(_) => {}
            }
        }
        let limit_max = find(&action.input, &p.limit).and_then(|m| m.max);
        match (p.page_size, limit_max) {
            (Some(0), _) => self.error(format!("{path}.page_size"), "a page holds at least 1 item"),
            (Some(size), Some(max)) if size as f64 > max => self.error(
                format!("{path}.page_size"),
                format!("page size {size} is above the limit member `{}`'s `max` ({max})", p.limit),
            ),
            _ if p.resolved_page_size(action).is_none() => self.error(
                format!("{path}.page_size"),
                format!(
                    "say the page size: the limit member `{}` has neither a `max` nor a `default` to take it from",
                    p.limit
                ),
            ),
            _ => {}
        }
    }

    fn check_waiters(&mut self) {
        let spec = self.spec;
        let mut names = BTreeMap::new();
        for (i, waiter) in spec.waiters.iter().enumerate() {
            let path = format!("$.waiters[{i}]");
            if !naming::is_type_identifier(&waiter.name) {
                self.error(
                    format!("{path}.name"),
                    format!("`{}` is not a waiter name: use PascalCase ASCII letters and digits", waiter.name),
                );
            } else if let Some(first) = names.insert(naming::waiter_method(&waiter.name), i) {
                self.error(
                    format!("{path}.name"),
                    format!("waiter `{}` gets the same Rust method as $.waiters[{first}]", waiter.name),
                );
            }
            self.check_docs(&format!("{path}.docs"), &waiter.docs);
            let Some(action) = spec.actions.iter().find(|a| a.name == waiter.action) else {
                self.error(format!("{path}.action"), format!("unknown action `{}`", waiter.action));
                continue;
            };
            self.check_waiter(&path, waiter, action);
        }
    }

    fn check_waiter(&mut self, path: &str, waiter: &spec::Waiter, action: &'a spec::Action) {
        for member in &action.input {
            let field = naming::field_name(&member.name);
            if naming::WAITER_METHODS.contains(&field.as_str()) {
                self.error(
                    format!("{path}.action"),
                    format!(
                        "input member `{}` of `{}` gets the Rust name `{field}`, which clashes with a method of the waiter",
                        member.name, action.name
                    ),
                );
            }
        }
        let status = match &waiter.status {
            Some(status) => match self.output_path(action, status) {
                Ok(m)
                    if m.list
                        || !(m.ty == "string" && m.json.is_none()
                            || matches!(self.types.get(m.ty.as_str()), Some(Named::Enum(_)))) =>
                {
                    self.error(
                        format!("{path}.status"),
                        format!("`{status}` holds the status: it must be a single string or enum member"),
                    );
                    None
                }
                Ok(m) => Some(m),
                Err(why) => {
                    self.error(format!("{path}.status"), why);
                    None
                }
            },
            None => None,
        };
        if let Some(reasons) = &waiter.reasons
            && let Err(why) = self.output_path(action, reasons)
        {
            self.error(format!("{path}.reasons"), why);
        }
        let (min, max, total) = (waiter.min_delay_seconds, waiter.max_delay_seconds, waiter.max_wait_seconds);
        if min == 0 || min > max || max > total {
            self.error(
                format!("{path}.min_delay_seconds"),
                format!(
                    "the waits must grow from `min_delay_seconds` ({min}, at least 1) to `max_delay_seconds` ({max}), \
                     within `max_wait_seconds` ({total})"
                ),
            );
        }
        let spec = self.spec;
        let enum_values = status.and_then(|m| match self.types.get(m.ty.as_str()).copied() {
            Some(Named::Enum(e)) => Some(e),
            _ => None,
        });
        let known_codes: BTreeSet<&str> = spec.error_codes.iter().map(|c| c.code.as_str()).collect();
        let action_codes: Option<BTreeSet<&str>> = match &action.errors {
            ActionErrors::ServiceWide => None,
            ActionErrors::Listed(codes) => Some(
                codes
                    .iter()
                    .map(String::as_str)
                    .chain(spec.error_codes.iter().filter(|c| c.common).map(|c| c.code.as_str()))
                    .collect(),
            ),
        };
        let mut seen: BTreeMap<&str, String> = BTreeMap::new();
        let mut success = false;
        for (j, acceptor) in waiter.acceptors.iter().enumerate() {
            let apath = format!("{path}.acceptors[{j}]");
            success |= acceptor.state == spec::WaiterState::Success;
            match (acceptor.status.is_empty(), acceptor.errors.is_empty()) {
                (true, true) | (false, false) => {
                    self.error(apath.clone(), "an acceptor matches either `status` values or `errors`, one of the two");
                    continue;
                }
                (false, true) if waiter.status.is_none() => {
                    self.error(
                        format!("{apath}.status"),
                        "the waiter has no `status` member for these values to match",
                    );
                }
                _ => {}
            }
            for (k, value) in acceptor.status.iter().enumerate() {
                let vpath = format!("{apath}.status[{k}]");
                if let Some(e) = enum_values
                    && !e.values.iter().any(|v| &v.value == value)
                {
                    self.error(vpath.clone(), format!("`{value}` is not a value of enum `{}`", e.name));
                }
                if let Some(first) = seen.insert(value.as_str(), vpath.clone()) {
                    self.error(vpath, format!("`{value}` is matched twice (also {first})"));
                }
            }
            for (k, code) in acceptor.errors.iter().enumerate() {
                let cpath = format!("{apath}.errors[{k}]");
                if !known_codes.contains(code.as_str()) {
                    self.error(
                        cpath.clone(),
                        format!("unknown error code `{code}`: it is not defined in $.error_codes"),
                    );
                } else if action_codes.as_ref().is_some_and(|codes| !codes.contains(code.as_str())) {
                    self.error(
                        cpath.clone(),
                        format!(
                            "`{}` does not return `{code}`: it is not among its errors or the common codes",
                            action.name
                        ),
                    );
                }
                if let Some(first) = seen.insert(code.as_str(), cpath.clone()) {
                    self.error(cpath, format!("`{code}` is matched twice (also {first})"));
                }
            }
        }
        if !success {
            self.error(format!("{path}.acceptors"), format!("waiter `{}` has no `success` acceptor", waiter.name));
        }
    }

    /// The output member at a dotted path (`Result.Status`) of `action`, through structures.
    fn output_path(&self, action: &'a spec::Action, path: &str) -> Result<&'a Member, String> {
        let mut members: &'a [Member] = &action.output;
        let mut segments = path.split('.').peekable();
        while let Some(segment) = segments.next() {
            let Some(member) = members.iter().find(|m| m.name == segment) else {
                return Err(format!("`{path}`: `{segment}` is not an output member of `{}` there", action.name));
            };
            if segments.peek().is_none() {
                return Ok(member);
            }
            match self.types.get(member.ty.as_str()) {
                Some(Named::Structure(s)) if !member.list => members = &s.members,
                _ => return Err(format!("`{path}`: `{segment}` is not a structure, so the path cannot go on")),
            }
        }
        Err(format!("`{path}` is not a member path"))
    }

    fn check_members(&mut self, path: &str, members: &[Member], side: Side) {
        let mut wire_names = BTreeMap::new();
        // Builder method name → index of the member it belongs to.
        let mut methods: BTreeMap<String, usize> = BTreeMap::new();
        for (i, member) in members.iter().enumerate() {
            let mpath = format!("{path}[{i}]");
            let name = member.name.as_str();
            if !naming::is_member_identifier(name) {
                self.error(
                    format!("{mpath}.name"),
                    format!("`{name}` is not a member name: use ASCII letters, digits and `_`, starting with a letter"),
                );
            } else if let Some(first) = wire_names.insert(name, i) {
                self.error(format!("{mpath}.name"), format!("duplicate member `{name}` (also {path}[{first}])"));
            } else {
                let field = naming::field_name(name);
                let setter = naming::option_setter(&field);
                for method in [field, setter] {
                    let clash = if naming::BUILDER_METHODS.contains(&method.as_str()) {
                        Some("a builder method of its own".to_owned())
                    } else {
                        methods.get(&method).map(|first| format!("{path}[{first}] (`{}`)", members[*first].name))
                    };
                    if let Some(clash) = clash {
                        self.error(
                            format!("{mpath}.name"),
                            format!("member `{name}` gets the Rust name `{method}`, which clashes with {clash}"),
                        );
                        break;
                    }
                    methods.insert(method, i);
                }
            }
            if side == Side::Output && name == REQUEST_ID {
                self.error(format!("{mpath}.name"), "`RequestId` is part of every response; do not list it");
            }
            if side == Side::Input && (member.output_required || member.nullable) {
                let key = if member.output_required { "output_required" } else { "nullable" };
                self.error(
                    format!("{mpath}.{key}"),
                    format!("member `{name}` is an input: `{key}` applies only to output"),
                );
            }
            if side == Side::Output && (member.required || member.default.is_some()) {
                let key = if member.required { "required" } else { "default" };
                self.error(
                    format!("{mpath}.{key}"),
                    format!("member `{name}` is an output: `{key}` applies only to input (use `output_required`)"),
                );
            }
            self.check_docs(&format!("{mpath}.docs"), &member.docs);
            self.check_deprecated(&format!("{mpath}.deprecated"), member.deprecated.as_deref());
            self.check_member_type(&mpath, member);
        }
    }

    fn check_member_type(&mut self, path: &str, m: &Member) {
        let name = &m.name;
        let named = self.types.get(m.ty.as_str()).copied();
        let primitive = PRIMITIVES.contains(&m.ty.as_str());
        if !primitive && named.is_none() {
            self.error(
                format!("{path}.type"),
                format!(
                    "member `{name}` has unknown type `{}`: expected one of {} or the name of an enum or structure",
                    m.ty,
                    PRIMITIVES.join(", ")
                ),
            );
            return;
        }
        let is_string = m.ty == "string" && !m.list;
        let is_number = matches!(m.ty.as_str(), "int64" | "uint64" | "float") && !m.list;
        if m.json.is_some() && !is_string {
            self.error(
                format!("{path}.json"),
                format!("member `{name}`: `json` applies only to a single `string` member"),
            );
        }
        if m.max_bytes.is_some() && !is_string {
            self.error(
                format!("{path}.max_bytes"),
                format!("member `{name}`: `max_bytes` applies only to a single `string` member"),
            );
        }
        if m.format.is_some() && (!is_string || m.json.is_some()) {
            self.error(
                format!("{path}.format"),
                format!("member `{name}`: `format` applies only to a single plain `string` member"),
            );
        }
        if m.min_bytes.is_some() && !is_string {
            self.error(
                format!("{path}.min_bytes"),
                format!("member `{name}`: `min_bytes` applies only to a single `string` member"),
            );
        }
        if let (Some(min), Some(max)) = (m.min_bytes, m.max_bytes)
            && min > max
        {
            self.error(
                format!("{path}.min_bytes"),
                format!("member `{name}`: `min_bytes` {min} is above `max_bytes` {max}"),
            );
        }
        for (key, bound) in [("min", m.min), ("max", m.max)] {
            if bound.is_some() && !is_number {
                self.error(
                    format!("{path}.{key}"),
                    format!("member `{name}`: `{key}` applies only to a single number member"),
                );
            }
        }
        if let (Some(min), Some(max)) = (m.min, m.max)
            && min > max
        {
            self.error(format!("{path}.min"), format!("member `{name}`: `min` {min} is above `max` {max}"));
        }
        if m.max_items.is_some() && !m.list {
            self.error(
                format!("{path}.max_items"),
                format!("member `{name}`: `max_items` applies only to a list member"),
            );
        }
        if let Some(default) = &m.default {
            if m.required {
                self.error(
                    format!("{path}.default"),
                    format!("member `{name}` is required, so it cannot have a default"),
                );
            } else if let Err(why) = default_fits(default, m, named) {
                self.error(format!("{path}.default"), format!("member `{name}`: default {default} {why}"));
            }
        }
        if let Some(example) = &m.example
            && (example.contains(['\t', '\n', '\r']) || example.contains('`'))
        {
            self.error(
                format!("{path}.example"),
                format!("member `{name}`: write the example on one line, without tabs or backticks"),
            );
        }
        if let (Some(json), Some(example)) = (m.json, &m.example) {
            let parsed = serde_json::from_str::<serde_json::Value>(example);
            let fits = match (json, &parsed) {
                (_, Err(_)) => false,
                (JsonPayload::Any, Ok(_)) => true,
                (JsonPayload::StringMap, Ok(value)) => {
                    value.as_object().is_some_and(|o| o.values().all(serde_json::Value::is_string))
                }
            };
            if !fits {
                self.error(
                    format!("{path}.example"),
                    format!("member `{name}`: the example is not the JSON its `json` setting describes"),
                );
            }
        }
    }

    /// A structure must not contain itself except through a list (it would have infinite size).
    fn check_recursion(&mut self, path: &str, root: &'a spec::Structure) {
        let mut stack = vec![root];
        let mut seen = BTreeSet::new();
        while let Some(s) = stack.pop() {
            for m in s.members.iter().filter(|m| !m.list) {
                if let Some(Named::Structure(inner)) = self.types.get(m.ty.as_str()).copied() {
                    if inner.name == root.name {
                        self.error(
                            format!("{path}.members"),
                            format!(
                                "structure `{}` contains itself through `{}.{}`; only a list may refer back to it",
                                root.name, s.name, m.name
                            ),
                        );
                        return;
                    }
                    if seen.insert(inner.name.as_str()) {
                        stack.push(inner);
                    }
                }
            }
        }
    }

    fn check_docs(&mut self, path: &str, docs: &str) {
        if docs.trim().is_empty() {
            self.error(path, "the documentation is empty: every item needs a sentence of English");
        } else if has_bare_url(docs) {
            self.error(path, "the documentation has a bare URL: write it as <https://…> so rustdoc links it");
        }
    }

    fn check_deprecated(&mut self, path: &str, reason: Option<&str>) {
        if reason.is_some_and(|r| r.trim().is_empty()) {
            self.error(path, "say why the item is deprecated (the reason is empty)");
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
    Structure,
}

fn default_fits(default: &serde_json::Value, m: &Member, named: Option<Named<'_>>) -> Result<(), String> {
    use serde_json::Value;
    if m.list {
        return Err("is not allowed: lists have no default".into());
    }
    match (m.ty.as_str(), default, named) {
        ("string" | "datetime", Value::String(_), _) => Ok(()),
        ("int64", Value::Number(n), _) if n.is_i64() => Ok(()),
        ("uint64", Value::Number(n), _) if n.is_u64() => Ok(()),
        ("float", Value::Number(_), _) => Ok(()),
        ("bool", Value::Bool(_), _) => Ok(()),
        (_, Value::String(s), Some(Named::Enum(e))) => {
            if e.values.iter().any(|v| &v.value == s) {
                Ok(())
            } else {
                Err(format!("is not one of the values of enum `{}`", e.name))
            }
        }
        (_, _, Some(Named::Structure(_))) => Err("is not allowed: structures have no default".into()),
        (ty, _, _) => Err(format!("does not have type `{ty}`")),
    }
}

fn is_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

fn is_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// `ap-guangzhou`, `ap-shanghai-fsi`, `na-siliconvalley`: a two-letter area, then words.
fn is_region_id(id: &str) -> bool {
    let mut words = id.split('-');
    let area_ok = words.next().is_some_and(|a| a.len() == 2 && a.chars().all(|c| c.is_ascii_lowercase()));
    let rest: Vec<&str> = words.collect();
    area_ok
        && !rest.is_empty()
        && rest.iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// `InternalError`, `ResourceNotFound.Function`, `RequestLimitExceeded.IPLimitExceeded`.
fn is_error_code(code: &str) -> bool {
    code.split('.').all(naming::is_type_identifier)
}

fn has_bare_url(docs: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        docs.match_indices(scheme).any(|(at, _)| {
            let before = docs[..at].chars().next_back();
            !matches!(before, Some('<' | '(' | '`'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_ids() {
        for ok in ["ap-guangzhou", "ap-shanghai-fsi", "na-siliconvalley", "eu-frankfurt", "ap-1a"] {
            assert!(is_region_id(ok), "{ok}");
        }
        for bad in ["guangzhou", "AP-guangzhou", "ap-", "ap--x", "apx-y", "ap_guangzhou", ""] {
            assert!(!is_region_id(bad), "{bad}");
        }
    }

    #[test]
    fn error_codes() {
        assert!(is_error_code("InternalError"));
        assert!(is_error_code("RequestLimitExceeded.IPLimitExceeded"));
        assert!(!is_error_code("internalError"));
        assert!(!is_error_code("Internal Error"));
        assert!(!is_error_code("A..B"));
        assert!(!is_error_code(""));
    }

    #[test]
    fn hosts_and_versions() {
        assert!(is_host("scf.tencentcloudapi.com"));
        assert!(!is_host("scf"));
        assert!(!is_host("https://scf.tencentcloudapi.com"));
        assert!(is_api_version("2018-04-16"));
        assert!(!is_api_version("2018-4-16"));
    }

    #[test]
    fn bare_urls() {
        assert!(has_bare_url("see https://example.com"));
        assert!(!has_bare_url("see <https://example.com>"));
        assert!(!has_bare_url("see [docs](https://example.com)"));
        assert!(!has_bare_url("no links"));
    }
}
