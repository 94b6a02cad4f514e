//! Where request members become command-line flags: the one place wire names become flag names
//! (`FunctionName` → `--function-name`), and each member's flag — its parser, typed by the member's
//! descriptor, and its help from the API's documentation. The command tree (`cli`), the request
//! builder (`request`), `deploy` and `wait` all build on it; it depends on none of them.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _, ValueParser};
use clap::{Arg, ArgAction, ValueHint};
use scf_sdk::runtime::{JsonPayload, Literal, MemberDescriptor, TypeDescriptor};
use serde_json::Value;

use crate::json::Json;

/// The flag that reads the whole request from a file.
pub const CLI_INPUT_JSON: &str = "cli-input-json";
/// The flag that prints an empty request.
pub const GENERATE_CLI_SKELETON: &str = "generate-cli-skeleton";
/// The flag of paginated actions that asks for one page rather than every page.
pub const NO_PAGINATE: &str = "no-paginate";

/// A wire name in kebab case: `FunctionName` → `function-name`, `L5Enable` → `l5-enable`,
/// `VPCConfig` → `vpc-config`.
pub fn flag_name(wire: &str) -> String {
    let chars: Vec<char> = wire.chars().collect();
    let mut out = String::with_capacity(wire.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            out.push('-');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary =
                prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A type in a few words: `integer`, `list of Function (FunctionName, …)`.
pub fn type_summary(ty: &TypeDescriptor) -> String {
    match ty {
        TypeDescriptor::String => "string".into(),
        TypeDescriptor::DateTime => "date-time string".into(),
        TypeDescriptor::Int64 => "integer".into(),
        TypeDescriptor::UInt64 => "non-negative integer".into(),
        TypeDescriptor::Float => "number".into(),
        TypeDescriptor::Bool => "true or false".into(),
        TypeDescriptor::Enum(e) => {
            let values: Vec<_> = e.values.iter().map(|v| v.value).collect();
            format!("one of {}", values.join(", "))
        }
        TypeDescriptor::Structure(s) => {
            let members: Vec<_> = s.members.iter().map(|m| m.name).collect();
            format!("object {} ({})", s.name, members.join(", "))
        }
        TypeDescriptor::List(item) => format!("list of {}", type_summary(item)),
        _ => "value".into(),
    }
}

/// Whether the member's flag takes JSON text rather than a scalar.
pub fn takes_json(member: &MemberDescriptor) -> bool {
    member.json.is_some() || matches!(member.ty, TypeDescriptor::Structure(_) | TypeDescriptor::List(_))
}

/// The parser of a member's flag. Scalars are parsed here, into the JSON value sent; JSON text is
/// kept as given and parsed by the request builder, whose errors never quote it (it may be sensitive).
pub fn value_parser(member: &'static MemberDescriptor) -> ValueParser {
    if takes_json(member) {
        return ValueParser::string();
    }
    match member.ty {
        TypeDescriptor::Int64 => ValueParser::new(|text: &str| {
            text.trim().parse::<i64>().map(Value::from).map_err(|_| "expected an integer".to_owned())
        }),
        TypeDescriptor::UInt64 => ValueParser::new(|text: &str| {
            text.trim().parse::<u64>().map(Value::from).map_err(|_| "expected a non-negative integer".to_owned())
        }),
        TypeDescriptor::Float => ValueParser::new(|text: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| "expected a number".to_owned())
        }),
        TypeDescriptor::Bool => PossibleValuesParser::new(["true", "false"])
            .map(|text| Value::Bool(text.eq_ignore_ascii_case("true")))
            .into(),
        TypeDescriptor::Enum(descriptor) if !descriptor.open => {
            PossibleValuesParser::new(descriptor.values.iter().map(|v| PossibleValue::new(v.value).help(v.docs)))
                .map(Value::String)
                .into()
        }
        _ => ValueParser::new(|text: &str| Ok::<_, std::convert::Infallible>(Value::String(text.to_owned()))),
    }
}

/// The flag of an input member. `required_unless`: flags that may stand in for a required one
/// (`--cli-input-json`).
pub fn member_arg(member: &'static MemberDescriptor, required_unless: &[&'static str]) -> Arg {
    let mut arg = Arg::new(member.name)
        .long(flag_name(member.name))
        .value_name(value_name(member))
        .value_parser(value_parser(member))
        .action(ArgAction::Set)
        .help(short_help(member))
        .long_help(long_help(member));
    if member.required {
        arg = if required_unless.is_empty() {
            arg.required(true)
        } else {
            arg.required_unless_present_any(required_unless.iter().copied())
        };
    }
    match member.ty {
        TypeDescriptor::Bool if !takes_json(member) => {
            // `--flag` alone means true; `--flag false` says false.
            arg = arg.num_args(0..=1).default_missing_value("true").ignore_case(true);
        }
        TypeDescriptor::Structure(_) | TypeDescriptor::List(_) => arg = arg.value_hint(ValueHint::Other),
        // `--offset -1` is a value, not a flag: its parser or the service's limits judge it.
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            arg = arg.allow_negative_numbers(true)
        }
        _ => {}
    }
    arg
}

pub fn value_name(member: &MemberDescriptor) -> String {
    if takes_json(member) {
        return "JSON".into();
    }
    match member.ty {
        TypeDescriptor::Bool => "true|false".into(),
        _ => flag_name(member.name).replace('-', "_").to_ascii_uppercase(),
    }
}

/// The first sentence of some docs.
pub fn summary(docs: &str) -> String {
    let first_paragraph = docs.split("\n\n").next().unwrap_or(docs);
    let end = first_paragraph.find(". ").map_or(first_paragraph.len(), |at| at + 1);
    first_paragraph[..end].replace('\n', " ")
}

/// `-h`: the first sentence, required, default.
fn short_help(member: &MemberDescriptor) -> String {
    let mut text = summary(member.docs);
    if let Some(reason) = member.deprecated {
        text = format!("[deprecated: {reason}] {text}");
    }
    if member.required {
        text.push_str(" [required]");
    }
    if let Some(default) = member.default {
        text.push_str(&format!(" [default: {}]", literal_text(default)));
    }
    text
}

/// `--help`: the whole documentation, then what the value must be.
fn long_help(member: &'static MemberDescriptor) -> String {
    let mut text = String::new();
    if let Some(reason) = member.deprecated {
        text.push_str(&format!("Deprecated: {reason}\n\n"));
    }
    text.push_str(member.docs);
    let mut facts: Vec<String> = Vec::new();
    match (member.json, &member.ty) {
        (Some(JsonPayload::StringMap), _) => {
            facts.push("JSON: an object whose values are strings (sent as a string); or file://PATH.".into())
        }
        (Some(_), _) => facts.push("JSON: any value (sent as a string); or file://PATH.".into()),
        (None, TypeDescriptor::Structure(s)) => facts.push(format!(
            "JSON: an object {} with the members {}; or file://PATH.",
            s.name,
            s.members.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        )),
        (None, TypeDescriptor::List(item)) => {
            facts.push(format!("JSON: a list of {}; or file://PATH.", type_summary(item)))
        }
        (None, TypeDescriptor::Int64) => facts.push("An integer.".into()),
        (None, TypeDescriptor::UInt64) => facts.push("A non-negative integer.".into()),
        (None, TypeDescriptor::Float) => facts.push("A number.".into()),
        (None, TypeDescriptor::Bool) => facts.push("true or false; the flag alone means true.".into()),
        (None, TypeDescriptor::Enum(e)) if e.open => {
            let values: Vec<_> = e.values.iter().map(|v| v.value).collect();
            facts.push(format!("Known values: {}; others are sent as given.", values.join(", ")));
        }
        _ => {}
    }
    let limits = &member.limits;
    match (limits.min_bytes, limits.max_bytes) {
        (Some(min), Some(max)) => facts.push(format!("Length: {min} to {max} bytes.")),
        (None, Some(max)) => facts.push(format!("Length: at most {max} bytes{}.", mebibytes(max))),
        (Some(min), None) => facts.push(format!("Length: at least {min} bytes.")),
        (None, None) => {}
    }
    match (limits.min, limits.max) {
        (Some(min), Some(max)) => facts.push(format!("Range: {min} to {max}.")),
        (Some(min), None) => facts.push(format!("Minimum: {min}.")),
        (None, Some(max)) => facts.push(format!("Maximum: {max}.")),
        (None, None) => {}
    }
    if let Some(max) = limits.max_items {
        facts.push(format!("At most {max} items."));
    }
    if let Some(format) = member.format {
        facts.push(format!("Format: {}.", format.describe()));
    }
    if let Some(example) = member.example {
        facts.push(format!("Example: {example}"));
    }
    if member.sensitive {
        facts.push("Sensitive: never shown by --debug.".into());
    }
    if !facts.is_empty() {
        text.push_str("\n\n");
        text.push_str(&facts.join("\n"));
    }
    let mut tags = Vec::new();
    if member.required {
        tags.push("[required]".to_owned());
    }
    if let Some(default) = member.default {
        tags.push(format!("[default: {}]", literal_text(default)));
    }
    if !tags.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tags.join(" "));
    }
    text
}

fn mebibytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) { format!(" ({} MB)", bytes / MB) } else { String::new() }
}

fn literal_text(value: scf_sdk::runtime::Literal) -> String {
    match literal(value) {
        Json::String(s) => s,
        other => other.to_compact(),
    }
}

/// A default value as JSON.
pub fn literal(value: Literal) -> Json {
    match value {
        Literal::Str(s) => Json::String(s.to_owned()),
        Literal::Int(i) => Json::Number(i.into()),
        Literal::UInt(u) => Json::Number(u.into()),
        Literal::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        Literal::Bool(b) => Json::Bool(b),
        _ => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use scf_sdk::catalog;

    use super::*;

    #[test]
    fn wire_names_become_kebab_case() {
        for (wire, flag) in [
            ("FunctionName", "function-name"),
            ("InvokeFunction", "invoke-function"),
            ("L5Enable", "l5-enable"),
            ("VPCConfig", "vpc-config"),
            ("Orderby", "orderby"),
            ("OrderBy", "order-by"),
            ("VersionProvisionedConcurrencyNum", "version-provisioned-concurrency-num"),
            ("ZipFile", "zip-file"),
            ("Limit", "limit"),
        ] {
            assert_eq!(flag_name(wire), flag, "{wire}");
        }
    }

    #[test]
    fn help_says_what_a_value_must_be() {
        let member = catalog::action("InvokeFunction").unwrap().input_member("FunctionName").unwrap();
        let help = long_help(member);
        assert!(help.contains("Length: 2 to 60 bytes."), "{help}");
        assert!(help.contains("Format: must start with a letter"), "{help}");
        assert!(help.ends_with("[required]"), "{help}");
        let event = catalog::action("InvokeFunction").unwrap().input_member("Event").unwrap();
        assert!(long_help(event).contains("Length: at most 6291456 bytes (6 MB)."));
        assert_eq!(summary("One. Two.\n\nThree."), "One.");
        assert_eq!(summary("No period"), "No period");
    }
}
