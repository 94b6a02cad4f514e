//! Every Rust name the generator emits is decided here, and only here.
//!
//! The rules, applied to wire names from the spec:
//! - types keep their spec name (already PascalCase); a name that would shadow a Rust prelude item or
//!   a type the generator itself emits (`Result`, `Option`, `Region`, `Client`, …) gets the suffix
//!   `Value` (`Result` → `ResultValue`);
//! - members become snake_case fields (`FunctionName` → `function_name`); a Rust keyword gets a
//!   trailing underscore (`Type` → `type_`);
//! - enum values, regions and error codes become PascalCase variants, non-alphanumeric characters
//!   acting as word breaks (`ap-shanghai-fsi` → `ApShanghaiFsi`, `ResourceNotFound.Function` →
//!   `ResourceNotFoundFunction`, `Python3.9` → `Python39`, `$LATEST` → `Latest`); a variant that
//!   would start with a digit gets a `V` prefix, and `Unknown` (the generated catch-all) becomes
//!   `UnknownValue`;
//! - actions become snake_case methods and modules (`InvokeFunction` → `invoke_function`), and
//!   their request, response and error-code types are `<Action>Request`, `<Action>Response` and
//!   `<Action>ErrorCode`.
//!
//! Two different wire names can still map to one Rust name (`VpcId` and `VPCId` both give `vpc_id`);
//! [`crate::validate`] reports such collisions as errors rather than inventing a third name.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Names of the Rust prelude and of the items the generator emits beside the spec's own types.
const RESERVED_TYPE_NAMES: &[&str] = &[
    // Rust prelude (2024 edition) and common std names that would confuse readers when shadowed.
    "Box",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "Err",
    "Error",
    "Fn",
    "FromIterator",
    "Into",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Self",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "Vec",
    // Emitted by the generator.
    "Client",
    "ErrorCode",
    "Region",
];

/// Suffix added to type and variant names that are reserved.
const RESERVED_SUFFIX: &str = "Value";

/// Rust keywords of the 2024 edition, strict and reserved.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The Rust name of a spec structure or enum.
pub fn type_name(spec_name: &str) -> String {
    if RESERVED_TYPE_NAMES.contains(&spec_name) {
        format!("{spec_name}{RESERVED_SUFFIX}")
    } else {
        spec_name.to_owned()
    }
}

/// The Rust field (and builder method) name of a member.
pub fn field_name(wire_name: &str) -> String {
    escape_keyword(wire_name.to_snake_case())
}

/// The builder method that takes an `Option` for a member (`type_` → `set_type`).
pub fn option_setter(field: &str) -> String {
    format!("set_{}", field.trim_end_matches('_'))
}

/// Method names every builder has besides its setters.
pub const BUILDER_METHODS: &[&str] = &["build"];

/// The Rust method name of an action on the client.
pub fn action_method(action: &str) -> String {
    escape_keyword(action.to_snake_case())
}

/// The module (and file stem) holding an action or a type.
pub fn module_name(type_or_action: &str) -> String {
    escape_keyword(type_or_action.to_snake_case())
}

/// The name of an action's request type.
pub fn request_type(action: &str) -> String {
    format!("{action}Request")
}

/// The name of an action's response type.
pub fn response_type(action: &str) -> String {
    format!("{action}Response")
}

/// The name of an action's error-code type.
pub fn error_code_type(action: &str) -> String {
    format!("{action}ErrorCode")
}

/// The name of an action's request builder.
pub fn builder_type(type_name: &str) -> String {
    format!("{type_name}Builder")
}

/// The client method that starts a waiter (`FunctionActive` → `wait_until_function_active`).
pub fn waiter_method(waiter: &str) -> String {
    format!("wait_until_{}", waiter.to_snake_case())
}

/// The name of a waiter's builder type (`FunctionActive` → `FunctionActiveWaiter`).
pub fn waiter_type(waiter: &str) -> String {
    format!("{waiter}Waiter")
}

/// Method names every waiter builder has besides the action's setters.
pub const WAITER_METHODS: &[&str] = &["max_wait", "min_delay", "max_delay", "on_poll", "send"];

/// The name of a static descriptor in the catalogue (`InvokeFunction` → `INVOKE_FUNCTION`).
pub fn static_name(name: &str) -> String {
    name.to_snake_case().to_uppercase()
}

/// The enum variant for an enum value, a region id or an error code.
pub fn variant_name(value: &str) -> String {
    // Non-alphanumeric characters are word breaks; heck then joins the words in PascalCase.
    let spaced: String = value.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
    let mut name = spaced.to_upper_camel_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Unknown" || name == "Self" {
        name.push_str(RESERVED_SUFFIX);
    }
    name
}

fn escape_keyword(name: String) -> String {
    if KEYWORDS.contains(&name.as_str()) { name + "_" } else { name }
}

/// Whether `name` can be used as given for a type: an ASCII identifier starting with an uppercase
/// letter.
pub fn is_type_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Whether `name` is acceptable as a member's wire name: ASCII letters, digits and `_`, starting with
/// a letter.
pub fn is_member_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_snake_case_and_keywords_are_escaped() {
        assert_eq!(field_name("FunctionName"), "function_name");
        assert_eq!(field_name("VpcConfig"), "vpc_config");
        assert_eq!(field_name("L5Enable"), "l5_enable");
        assert_eq!(field_name("Type"), "type_");
        assert_eq!(field_name("Async"), "async_");
        assert_eq!(field_name("Ref"), "ref_");
        assert_eq!(field_name("Self"), "self_");
        // The collision `validate` must catch.
        assert_eq!(field_name("VPCId"), field_name("VpcId"));
        assert_eq!(option_setter("type_"), "set_type");
        assert_eq!(option_setter("function_name"), "set_function_name");
    }

    #[test]
    fn reserved_type_names_get_a_suffix() {
        assert_eq!(type_name("Result"), "ResultValue");
        assert_eq!(type_name("Region"), "RegionValue");
        assert_eq!(type_name("Function"), "Function");
        assert_eq!(type_name("K8SLabel"), "K8SLabel");
    }

    #[test]
    fn variants_use_non_alphanumerics_as_word_breaks() {
        assert_eq!(variant_name("ap-shanghai-fsi"), "ApShanghaiFsi");
        assert_eq!(variant_name("ResourceNotFound.Function"), "ResourceNotFoundFunction");
        assert_eq!(variant_name("RequestLimitExceeded.IPLimitExceeded"), "RequestLimitExceededIpLimitExceeded");
        assert_eq!(variant_name("Python3.9"), "Python39");
        assert_eq!(variant_name("$LATEST"), "Latest");
        assert_eq!(variant_name("None"), "None");
        assert_eq!(variant_name("2xx"), "V2xx");
        assert_eq!(variant_name("Unknown"), "UnknownValue");
        assert_eq!(variant_name("self"), "SelfValue");
    }

    #[test]
    fn action_names() {
        assert_eq!(waiter_method("FunctionActive"), "wait_until_function_active");
        assert_eq!(waiter_type("FunctionActive"), "FunctionActiveWaiter");
        assert_eq!(action_method("InvokeFunction"), "invoke_function");
        assert_eq!(request_type("InvokeFunction"), "InvokeFunctionRequest");
        assert_eq!(static_name("InvokeFunction"), "INVOKE_FUNCTION");
    }

    #[test]
    fn identifier_checks() {
        assert!(is_type_identifier("Result"));
        assert!(!is_type_identifier("result"));
        assert!(!is_type_identifier("My-Type"));
        assert!(!is_type_identifier(""));
        assert!(is_member_identifier("FunctionName"));
        assert!(is_member_identifier("lower_case"));
        assert!(!is_member_identifier("9Lives"));
        assert!(!is_member_identifier("Has Space"));
    }
}
