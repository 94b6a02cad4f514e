//! Emitters: IR → token streams (`quote`) → formatted files (`prettyplease`).
//!
//! Each submodule emits one kind of item; this module holds what they share (paths, doc comments,
//! Rust types of members) and assembles the file set. Generated files use prelude names (`String`,
//! `Option`) — safe because the generator owns every item in its modules and renames spec types
//! that would shadow them — and import the generated types they use by their full path, so the
//! code compiles whatever the crate around it imports.

mod actions;
mod catalog;
mod client;
mod enums;
mod structures;
mod waiters;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::{JsonPayload, Member, Service, StringFormat, Type};

/// Where the generated code lives and what it refers to.
#[derive(Debug, Clone)]
pub struct Options {
    /// Path of the spec as shown in the `@generated` header (relative to the workspace).
    pub spec_path: String,
    /// Rust path of the hand-written runtime the generated code implements (e.g. `crate::runtime`).
    pub runtime_path: String,
    /// Rust path at which the generated module is mounted (e.g. `crate::generated`).
    pub generated_path: String,
}

/// One generated file, relative to the output directory (always `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// Shared state of one emission run.
pub(crate) struct Ctx<'a> {
    pub service: &'a Service,
    pub options: &'a Options,
    /// Tokens of `options.runtime_path`.
    pub rt: TokenStream,
    /// Tokens of `options.generated_path`.
    pub generated: TokenStream,
}

/// Emits every file for `service`. An error means the generator produced tokens that do not parse
/// as Rust: a bug in the generator, reported with the file it happened in.
pub fn emit(service: &Service, options: &Options) -> Result<Vec<GeneratedFile>, String> {
    let ctx = Ctx {
        service,
        options,
        rt: parse_path(&options.runtime_path)?,
        generated: parse_path(&options.generated_path)?,
    };
    let mut files: Vec<(String, TokenStream)> = vec![
        ("mod.rs".into(), root_module(&ctx)),
        ("region.rs".into(), enums::region(&ctx)),
        ("error_codes.rs".into(), enums::service_error_codes(&ctx)),
        ("catalog.rs".into(), catalog::catalog(&ctx)),
        ("client.rs".into(), client::client(&ctx)),
    ];

    let mut type_modules = Vec::new();
    for e in &service.enums {
        files.push((format!("types/{}.rs", e.module), enums::value_enum(&ctx, e)));
        type_modules.push((e.module.clone(), vec![e.rust_name.clone()]));
    }
    for s in &service.structures {
        files.push((format!("types/{}.rs", s.module), structures::structure_file(&ctx, s)));
        type_modules.push((s.module.clone(), vec![s.rust_name.clone(), s.builder_name.clone()]));
    }
    type_modules.sort();
    files.push((
        "types/mod.rs".into(),
        index_module("Structures and enums shared by the actions' requests and responses.", &type_modules),
    ));

    let mut action_modules = Vec::new();
    for a in &service.actions {
        files.push((format!("actions/{}.rs", a.module), actions::action_file(&ctx, a)));
        let names = [
            &a.request.rust_name,
            &a.request.builder_name,
            &a.response.rust_name,
            &a.response.builder_name,
            &a.errors.type_name().to_owned(),
        ];
        action_modules.push((a.module.clone(), names.into_iter().cloned().collect()));
    }
    action_modules.sort();
    files.push((
        "actions/mod.rs".into(),
        index_module(
            "Every action of the service: its request (with a builder), its response and its error codes.",
            &action_modules,
        ),
    ));

    let mut waiter_modules = Vec::new();
    for w in &service.waiters {
        files.push((format!("waiters/{}.rs", w.module), waiters::waiter_file(&ctx, w)));
        waiter_modules.push((w.module.clone(), vec![w.type_name.clone()]));
    }
    waiter_modules.sort();
    files.push((
        "waiters/mod.rs".into(),
        index_module(
            "Every waiter of the service: a builder that polls an action until its answer reaches a state.",
            &waiter_modules,
        ),
    ));

    let mut out: Vec<GeneratedFile> = files
        .into_iter()
        .map(|(path, tokens)| {
            let contents = format_file(&options.spec_path, tokens).map_err(|e| format!("{path}: {e}"))?;
            Ok(GeneratedFile { path, contents })
        })
        .collect::<Result<_, String>>()?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn parse_path(path: &str) -> Result<TokenStream, String> {
    syn::parse_str::<syn::Path>(path).map(|p| quote!(#p)).map_err(|e| format!("`{path}` is not a Rust path: {e}"))
}

/// Formats a file and puts the `@generated` header on top.
fn format_file(spec_path: &str, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated tokens do not parse: {e}"))?;
    let body = space_items(&prettyplease::unparse(&file));
    Ok(format!("// @generated by `cargo xtask codegen` from {spec_path}. Do not edit by hand.\n\n{body}"))
}

/// prettyplease puts items right under one another. A blank line after module docs and inner
/// attributes, and between items (top-level ones and those of an impl or inline module) makes the
/// files readable; consecutive one-line declarations of one kind (`mod a;`, `pub use a::A;`) stay
/// together, and function bodies are left alone.
fn space_items(text: &str) -> String {
    const ITEM_STARTS: &[&str] = &[
        "///", "//", "#[", "pub ", "pub(", "fn ", "impl", "mod ", "use ", "static ", "const ", "type ", "enum ",
        "struct ",
    ];
    const DECLARATIONS: &[&str] = &["pub use ", "use ", "pub mod ", "mod "];
    let indent = |l: &str| l.len() - l.trim_start().len();
    let declaration = |l: &str| DECLARATIONS.iter().find(|d| l.starts_with(*d) && l.ends_with(';'));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let Some(next) = lines.get(i + 1) else {
            continue;
        };
        let (this, next_trim) = (line.trim(), next.trim());
        if next_trim.is_empty() {
            continue;
        }
        let ends_header = (this.starts_with("//!") && !next_trim.starts_with("//!"))
            || (this.starts_with("#![") && !next_trim.starts_with("#!["));
        let ends_item = (matches!(this, "}" | "};" | ");" | "];") || this.ends_with(';') || this.ends_with("{}"))
            && indent(line) <= 4
            && indent(line) == indent(next)
            && ITEM_STARTS.iter().any(|start| next_trim.starts_with(start));
        let same_declarations = declaration(this).is_some() && declaration(this) == declaration(next_trim);
        if ends_header || (ends_item && !same_declarations) {
            out.push('\n');
        }
    }
    out
}

fn root_module(ctx: &Ctx<'_>) -> TokenStream {
    let s = ctx.service;
    let docs = inner_doc(&format!(
        "Code generated from the API description of {} (`{}`, version {}).\n\n{}",
        s.title, s.name, s.version, s.docs
    ));
    quote! {
        #docs
        #![allow(deprecated)]

        pub mod actions;
        pub mod catalog;
        mod client;
        mod error_codes;
        mod region;
        pub mod types;
        pub mod waiters;

        pub use client::Client;
        pub use error_codes::ErrorCode;
        pub use region::Region;
    }
}

/// A `mod.rs` that declares private modules and re-exports their items flat.
fn index_module(docs: &str, modules: &[(String, Vec<String>)]) -> TokenStream {
    let docs = inner_doc(docs);
    let declarations = modules.iter().map(|(module, _)| format_ident!("{}", module));
    let uses = modules.iter().map(|(module, names)| {
        let module = format_ident!("{}", module);
        let names = names.iter().map(|n| format_ident!("{}", n));
        quote!(pub use #module::{#(#names),*};)
    });
    quote! {
        #docs
        #(mod #declarations;)*
        #(#uses)*
    }
}

/// `#[doc = "…"]` attributes, one per line of `text`.
pub(crate) fn doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote! { #(#[doc = #lines])* }
}

/// `#![doc = "…"]` attributes (module docs), one per line of `text`.
pub(crate) fn inner_doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote! { #(#![doc = #lines])* }
}

/// `#[deprecated(note = "…")]` when `reason` is set.
pub(crate) fn deprecated(reason: Option<&str>) -> TokenStream {
    match reason {
        Some(note) => quote! { #[deprecated(note = #note)] },
        None => quote! {},
    }
}

/// The first sentence (or line) of a doc text, for one-line summaries.
pub(crate) fn summary(docs: &str) -> &str {
    let first_line = docs.lines().next().unwrap_or_default();
    match first_line.find(". ") {
        Some(end) => &first_line[..=end],
        None => first_line,
    }
}

impl Ctx<'_> {
    /// The Rust type of a member's value (without the `Option` of optional members).
    pub(crate) fn value_type(&self, ty: &Type) -> TokenStream {
        match ty {
            Type::String | Type::DateTime => quote!(String),
            Type::Int64 => quote!(i64),
            Type::UInt64 => quote!(u64),
            Type::Float => quote!(f64),
            Type::Bool => quote!(bool),
            Type::Json(JsonPayload::Any) => quote!(serde_json::Value),
            Type::Json(JsonPayload::StringMap) => {
                quote!(std::collections::BTreeMap<String, String>)
            }
            Type::Enum(name) | Type::Structure(name) => {
                let name = format_ident!("{}", name);
                quote!(#name)
            }
            Type::List(inner) => {
                let inner = self.value_type(inner);
                quote!(Vec<#inner>)
            }
        }
    }

    /// `use` of the generated types that `members` refer to, except those named in `defined`.
    pub(crate) fn type_imports<'m>(
        &self,
        members: impl IntoIterator<Item = &'m Member>,
        defined: &[&str],
    ) -> TokenStream {
        fn named(ty: &Type) -> Option<&str> {
            match ty {
                Type::Enum(name) | Type::Structure(name) => Some(name),
                Type::List(inner) => named(inner),
                _ => None,
            }
        }
        let names: std::collections::BTreeSet<&str> =
            members.into_iter().filter_map(|m| named(&m.ty)).filter(|n| !defined.contains(n)).collect();
        if names.is_empty() {
            return quote!();
        }
        let generated = &self.generated;
        let names = names.into_iter().map(|n| format_ident!("{}", n));
        quote! { use #generated::types::{#(#names),*}; }
    }

    /// The Rust type of a member's field.
    pub(crate) fn field_type(&self, m: &Member) -> TokenStream {
        let value = self.value_type(&m.ty);
        if m.optional { quote!(Option<#value>) } else { value }
    }

    /// A runtime path as a string, for serde's `with = "…"` attributes.
    pub(crate) fn runtime_str(&self, item: &str) -> String {
        format!("{}::{item}", self.options.runtime_path)
    }
}

/// Documentation of a member: its own text, then the facts the spec records about it.
pub(crate) fn member_docs(m: &Member) -> String {
    let mut facts = Vec::new();
    if let Some(default) = &m.default {
        facts.push(format!("Default when absent: `{}`.", literal_text(default)));
    }
    let limits = &m.limits;
    match (limits.min_bytes, limits.max_bytes) {
        (Some(min), Some(max)) => facts.push(format!("Length: {min} to {max} bytes.")),
        (Some(min), None) => facts.push(format!("Length: at least {min} bytes.")),
        (None, Some(max)) => facts.push(format!("Length: at most {max} bytes{}.", human_size(max))),
        (None, None) => {}
    }
    match (limits.min, limits.max) {
        (Some(min), Some(max)) => facts.push(format!("Range: {} to {}.", number_text(min), number_text(max))),
        (Some(min), None) => facts.push(format!("Minimum: {}.", number_text(min))),
        (None, Some(max)) => facts.push(format!("Maximum: {}.", number_text(max))),
        (None, None) => {}
    }
    if let Some(max) = limits.max_items {
        facts.push(format!("At most {max} items."));
    }
    if let Some(StringFormat::Name) = m.format {
        facts.push("Starts with a letter; letters, digits, `-` and `_`; does not end with `-` or `_`.".to_owned());
    }
    if let Type::Json(_) = m.ty {
        facts.push("Sent as a string of JSON.".to_owned());
    }
    if let Some(example) = m.example.as_deref().filter(|e| !e.contains('`') && !e.is_empty()) {
        facts.push(format!("Example: `{example}`."));
    }
    if facts.is_empty() { m.docs.clone() } else { format!("{}\n\n{}", m.docs, facts.join(" ")) }
}

fn literal_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// ` (6 MB)` for sizes that are a whole number of KB or MB, else nothing.
fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!(" ({} MB)", bytes / MB)
    } else if bytes >= 4 * KB && bytes.is_multiple_of(KB) {
        format!(" ({} KB)", bytes / KB)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_stop_at_the_first_sentence() {
        assert_eq!(summary("Invokes a function. The rate limit is high."), "Invokes a function.");
        assert_eq!(summary("One line\nsecond line"), "One line");
        assert_eq!(summary(""), "");
    }

    #[test]
    fn items_are_spaced_but_blocks_are_not() {
        let text = "//! Docs.\nmod a;\nmod b;\npub use a::A;\npub use b::B;\nuse a::B;\nstruct A {\n    x: u8,\n}\nimpl A {\n    fn f() {}\n    fn g() {\n        h();\n        match x {\n            A => {\n                1\n            }\n            B => 2,\n        }\n    }\n    fn i() {}\n}\nstatic S: T = T::new(\n    1,\n);\nenum E {}\n";
        let expected = "//! Docs.\n\nmod a;\nmod b;\n\npub use a::A;\npub use b::B;\n\nuse a::B;\n\nstruct A {\n    x: u8,\n}\n\nimpl A {\n    fn f() {}\n\n    fn g() {\n        h();\n        match x {\n            A => {\n                1\n            }\n            B => 2,\n        }\n    }\n\n    fn i() {}\n}\n\nstatic S: T = T::new(\n    1,\n);\n\nenum E {}\n";
        assert_eq!(space_items(text), expected);
    }

    #[test]
    fn sizes_are_humanised_when_exact() {
        assert_eq!(human_size(6 * 1024 * 1024), " (6 MB)");
        assert_eq!(human_size(1024), "");
        assert_eq!(human_size(8192), " (8 KB)");
        assert_eq!(human_size(1000), "");
    }
}
