//! Checking a request against the documented limits of its action, before anything is sent.
//!
//! The checks are driven by the catalogue (each member's type, `required`, byte and number limits,
//! allowed enum values, character rule), applied to the request as it goes on the wire — JSON — so
//! one mechanism serves every action, the SDK's typed requests and JSON from the command line or an
//! emulator alike. Every error names the member (with its path for nested ones) and the limit.

use serde_json::Value;

use super::catalog::{ActionDescriptor, MemberDescriptor, TypeDescriptor};
use super::error::{ValidationError, ValidationErrorKind as Kind};

/// Checks `request` (the action's input as wire JSON) against `action`'s input members.
pub fn validate_input(action: &ActionDescriptor, request: &Value) -> Result<(), ValidationError> {
    validate_members(action.input, request, "", action.name)
}

/// Checks the JSON object `value` against `members`; `path` prefixes member names in errors and
/// `owner` names the action or structure for unknown members.
pub fn validate_members(
    members: &[MemberDescriptor],
    value: &Value,
    path: &str,
    owner: &str,
) -> Result<(), ValidationError> {
    let field = |name: &str| {
        if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
    };
    let Some(object) = value.as_object() else {
        let at = if path.is_empty() { "request" } else { path };
        return Err(ValidationError::new(
            at,
            Kind::WrongType,
            format!("must be a JSON object (the members of `{owner}`)"),
        ));
    };
    if let Some(unknown) = object.keys().find(|key| !members.iter().any(|m| m.name == key.as_str())) {
        return Err(ValidationError::new(field(unknown), Kind::Unknown, format!("is not a member of `{owner}`")));
    }
    for member in members {
        match object.get(member.name) {
            None | Some(Value::Null) if member.required => {
                return Err(ValidationError::new(field(member.name), Kind::Missing, "is required"));
            }
            None | Some(Value::Null) => {}
            Some(value) => check_value(member, &member.ty, value, &field(member.name))?,
        }
    }
    Ok(())
}

fn check_value(
    member: &MemberDescriptor,
    ty: &TypeDescriptor,
    value: &Value,
    field: &str,
) -> Result<(), ValidationError> {
    let error = |kind: Kind, message: String| Err(ValidationError::new(field, kind, message));
    let limits = &member.limits;
    match ty {
        TypeDescriptor::String | TypeDescriptor::DateTime => {
            let Some(text) = value.as_str() else {
                return error(Kind::WrongType, "must be a string".into());
            };
            let len = text.len() as u64;
            if let Some(max) = limits.max_bytes.filter(|max| len > *max) {
                return error(
                    Kind::TooLong,
                    format!("is {len} bytes long; at most {max} bytes{} are allowed", human_size(max)),
                );
            }
            if let Some(min) = limits.min_bytes.filter(|min| len < *min) {
                return error(Kind::TooShort, format!("is {len} bytes long; at least {min} bytes are required"));
            }
            if let Some(format) = member.format.filter(|f| !f.matches(text)) {
                return error(Kind::Format, format!("{}; got {}", format.describe(), shown(member, text)));
            }
        }
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            let number = match ty {
                TypeDescriptor::Int64 => value.as_i64().map(|n| n as f64),
                TypeDescriptor::UInt64 => value.as_u64().map(|n| n as f64),
                _ => value.as_f64(),
            };
            let Some(number) = number else {
                let kind = match ty {
                    TypeDescriptor::Int64 => "an integer",
                    TypeDescriptor::UInt64 => "a non-negative integer",
                    _ => "a number",
                };
                return error(Kind::WrongType, format!("must be {kind}"));
            };
            if let Some(min) = limits.min.filter(|min| number < *min) {
                return error(Kind::OutOfRange, format!("is {number}; the minimum is {min}"));
            }
            if let Some(max) = limits.max.filter(|max| number > *max) {
                return error(Kind::OutOfRange, format!("is {number}; the maximum is {max}"));
            }
        }
        TypeDescriptor::Bool => {
            if !value.is_boolean() {
                return error(Kind::WrongType, "must be true or false".into());
            }
        }
        TypeDescriptor::Enum(descriptor) => {
            let Some(text) = value.as_str() else {
                return error(Kind::WrongType, "must be a string".into());
            };
            if !descriptor.open && !descriptor.values.iter().any(|v| v.value == text) {
                let allowed: Vec<String> = descriptor.values.iter().map(|v| format!("`{}`", v.value)).collect();
                return error(
                    Kind::NotAllowed,
                    format!("is {}; the allowed values are {}", shown(member, text), allowed.join(", ")),
                );
            }
        }
        TypeDescriptor::Structure(descriptor) => {
            validate_members(descriptor.members, value, field, descriptor.name)?;
        }
        TypeDescriptor::List(item) => {
            let Some(items) = value.as_array() else {
                return error(Kind::WrongType, "must be a list".into());
            };
            if let Some(max) = limits.max_items.filter(|max| items.len() as u64 > *max) {
                return error(Kind::TooManyItems, format!("has {} items; at most {max} are allowed", items.len()));
            }
            for (i, value) in items.iter().enumerate() {
                check_value(member, item, value, &format!("{field}[{i}]"))?;
            }
        }
    }
    Ok(())
}

/// How a value appears in an error: quoted and cut short, or not at all for sensitive members.
fn shown(member: &MemberDescriptor, text: &str) -> String {
    const MAX_CHARS: usize = 64;
    if member.sensitive {
        return "a value (not shown: the member is sensitive)".into();
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!("`{cut}{more}`")
}

fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) { format!(" ({} MB)", bytes / MB) } else { String::new() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::runtime::catalog::{EnumDescriptor, EnumValueDescriptor, ServiceInfo, StringFormat, StructDescriptor};

    static SERVICE: ServiceInfo =
        ServiceInfo::new("demo", "Demo", "2020-01-01", "demo.example.com", "demo.{region}.example.com", &[]);
    static MODE: EnumDescriptor = EnumDescriptor::new(
        "Mode",
        "Mode",
        "",
        &[EnumValueDescriptor::new("On", ""), EnumValueDescriptor::new("Off", "")],
    );
    static TAG: StructDescriptor = StructDescriptor::new(
        "Tag",
        "Tag",
        "",
        &[MemberDescriptor::new("Key", "", TypeDescriptor::String).required().max_bytes(3)],
    );
    static ACTION: ActionDescriptor = ActionDescriptor::new(
        &SERVICE,
        "Demo",
        "",
        &[
            MemberDescriptor::new("Name", "", TypeDescriptor::String)
                .required()
                .format(StringFormat::Name)
                .max_bytes(10),
            MemberDescriptor::new("Secret", "", TypeDescriptor::String).format(StringFormat::Name).sensitive(),
            MemberDescriptor::new("Count", "", TypeDescriptor::Int64).min(1.0).max(5.0),
            MemberDescriptor::new("Mode", "", TypeDescriptor::Enum(&MODE)),
            MemberDescriptor::new("Tags", "", TypeDescriptor::List(&TypeDescriptor::Structure(&TAG))).max_items(2),
            MemberDescriptor::new("Flag", "", TypeDescriptor::Bool),
        ],
        &[],
        &[],
    );

    fn check(request: serde_json::Value) -> Result<(), String> {
        validate_input(&ACTION, &request).map_err(|e| e.to_string())
    }

    #[test]
    fn a_valid_request_passes() {
        check(json!({"Name": "ok-name", "Count": 3, "Mode": "On", "Tags": [{"Key": "a"}], "Flag": true})).unwrap();
    }

    #[test]
    fn every_limit_is_named_with_its_field() {
        assert_eq!(check(json!({})).unwrap_err(), "`Name` is required");
        assert_eq!(check(json!({"Name": "a", "Nope": 1})).unwrap_err(), "`Nope` is not a member of `Demo`");
        assert_eq!(
            check(json!({"Name": "abcdefghijk"})).unwrap_err(),
            "`Name` is 11 bytes long; at most 10 bytes are allowed"
        );
        assert_eq!(
            check(json!({"Name": "1abc"})).unwrap_err(),
            "`Name` must start with a letter, contain only letters, digits, `-` and `_`, and not end with `-` or `_`; got `1abc`"
        );
        assert_eq!(check(json!({"Name": "a", "Count": 9})).unwrap_err(), "`Count` is 9; the maximum is 5");
        assert_eq!(check(json!({"Name": "a", "Count": 0})).unwrap_err(), "`Count` is 0; the minimum is 1");
        assert_eq!(check(json!({"Name": "a", "Count": "3"})).unwrap_err(), "`Count` must be an integer");
        assert_eq!(
            check(json!({"Name": "a", "Mode": "Auto"})).unwrap_err(),
            "`Mode` is `Auto`; the allowed values are `On`, `Off`"
        );
        assert_eq!(check(json!({"Name": "a", "Flag": 1})).unwrap_err(), "`Flag` must be true or false");
        assert_eq!(
            check(json!({"Name": "a", "Tags": [{}, {}, {}]})).unwrap_err(),
            "`Tags` has 3 items; at most 2 are allowed"
        );
        assert_eq!(
            check(json!({"Name": "a", "Tags": [{"Key": "abcd"}]})).unwrap_err(),
            "`Tags[0].Key` is 4 bytes long; at most 3 bytes are allowed"
        );
        assert_eq!(
            check(json!({"Name": "a", "Tags": [{"Key": "a", "X": 1}]})).unwrap_err(),
            "`Tags[0].X` is not a member of `Tag`"
        );
        assert_eq!(check(json!([1])).unwrap_err(), "`request` must be a JSON object (the members of `Demo`)");
    }

    #[test]
    fn sensitive_values_are_not_quoted() {
        let message = check(json!({"Name": "a", "Secret": "-hunter2"})).unwrap_err();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn long_values_are_cut_short() {
        let name = format!("1{}", "a".repeat(5));
        let message = validate_members(&ACTION.input[..1], &json!({"Name": name}), "", "Demo").unwrap_err().to_string();
        assert!(message.ends_with("got `1aaaaa`"), "{message}");
        let long = "é".repeat(100);
        let member = MemberDescriptor::new("X", "", TypeDescriptor::String);
        assert_eq!(shown(&member, &long).chars().count(), 64 + 3);
    }
}
