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
    let at = |(kind, message): (Kind, String)| ValidationError::new(field, kind, message);
    match ty {
        TypeDescriptor::String | TypeDescriptor::DateTime | TypeDescriptor::Enum(_) => {
            let Some(text) = value.as_str() else {
                return Err(at((Kind::WrongType, "must be a string".into())));
            };
            check_str(member, ty, text).map_err(at)
        }
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            let number = match value {
                Value::Number(n) => n
                    .as_u64()
                    .map(Number::Unsigned)
                    .or(n.as_i64().map(Number::Signed))
                    .or(n.as_f64().map(Number::Float)),
                _ => None,
            };
            check_number(member, ty, number).map_err(at)
        }
        TypeDescriptor::Bool => {
            if !value.is_boolean() {
                return Err(at((Kind::WrongType, "must be true or false".into())));
            }
            Ok(())
        }
        TypeDescriptor::Structure(descriptor) => validate_members(descriptor.members, value, field, descriptor.name),
        TypeDescriptor::List(item) => {
            let Some(items) = value.as_array() else {
                return Err(at((Kind::WrongType, "must be a list".into())));
            };
            check_items(member, items.len()).map_err(at)?;
            for (i, value) in items.iter().enumerate() {
                check_value(member, item, value, &format!("{field}[{i}]"))?;
            }
            Ok(())
        }
    }
}

/// A number as the encoder met it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    Signed(i64),
    Unsigned(u64),
    Float(f64),
}

/// A rule broken: the kind of error and its message (without the field's name).
pub(crate) type Broken = (Kind, String);

/// The rules for a string (or date-time, or enum) value of `member` whose type is `ty`.
pub(crate) fn check_str(member: &MemberDescriptor, ty: &TypeDescriptor, text: &str) -> Result<(), Broken> {
    if let TypeDescriptor::Enum(descriptor) = ty {
        if !descriptor.open && !descriptor.values.iter().any(|v| v.value == text) {
            let allowed: Vec<String> = descriptor.values.iter().map(|v| format!("`{}`", v.value)).collect();
            return Err((
                Kind::NotAllowed,
                format!("is {}; the allowed values are {}", shown(member, text), allowed.join(", ")),
            ));
        }
        return Ok(());
    }
    check_length(member, text.len())?;
    if let Some(format) = member.format.filter(|f| !f.matches(text)) {
        return Err((Kind::Format, format!("{}; got {}", format.describe(), shown(member, text))));
    }
    Ok(())
}

/// The length rules for a string of `len` bytes, a value of `member`.
pub(crate) fn check_length(member: &MemberDescriptor, len: usize) -> Result<(), Broken> {
    let limits = &member.limits;
    let len = len as u64;
    if let Some(max) = limits.max_bytes.filter(|max| len > *max) {
        return Err((
            Kind::TooLong,
            format!("is {len} bytes long; at most {max} bytes{} are allowed", human_size(max)),
        ));
    }
    if let Some(min) = limits.min_bytes.filter(|min| len < *min) {
        return Err((Kind::TooShort, format!("is {len} bytes long; at least {min} bytes are required")));
    }
    Ok(())
}

/// The rules for a number value of `member` whose type is `ty` (`None`: the value is not a
/// number). A number of the wrong kind (a fraction, or a negative one, for an integer type)
/// breaks the type's rule, as JSON read back would.
pub(crate) fn check_number(
    member: &MemberDescriptor,
    ty: &TypeDescriptor,
    number: Option<Number>,
) -> Result<(), Broken> {
    let limits = &member.limits;
    let number = match (ty, number) {
        (TypeDescriptor::Int64, Some(Number::Signed(n))) => Some(n as f64),
        (TypeDescriptor::Int64, Some(Number::Unsigned(n))) => i64::try_from(n).ok().map(|n| n as f64),
        (TypeDescriptor::UInt64, Some(Number::Unsigned(n))) => Some(n as f64),
        (TypeDescriptor::UInt64, Some(Number::Signed(n))) => u64::try_from(n).ok().map(|n| n as f64),
        (TypeDescriptor::Float, Some(Number::Signed(n))) => Some(n as f64),
        (TypeDescriptor::Float, Some(Number::Unsigned(n))) => Some(n as f64),
        (TypeDescriptor::Float, Some(Number::Float(n))) => Some(n),
        _ => None,
    };
    let Some(number) = number else {
        let kind = match ty {
            TypeDescriptor::Int64 => "an integer",
            TypeDescriptor::UInt64 => "a non-negative integer",
            _ => "a number",
        };
        return Err((Kind::WrongType, format!("must be {kind}")));
    };
    if let Some(min) = limits.min.filter(|min| number < *min) {
        return Err((Kind::OutOfRange, format!("is {number}; the minimum is {min}")));
    }
    if let Some(max) = limits.max.filter(|max| number > *max) {
        return Err((Kind::OutOfRange, format!("is {number}; the maximum is {max}")));
    }
    Ok(())
}

/// The rule for the number of items of a list `member`.
pub(crate) fn check_items(member: &MemberDescriptor, count: usize) -> Result<(), Broken> {
    if let Some(max) = member.limits.max_items.filter(|max| count as u64 > *max) {
        return Err((Kind::TooManyItems, format!("has {count} items; at most {max} are allowed")));
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
