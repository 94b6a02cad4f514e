//! `api-spec/schema.json` (for editors) and the generator's serde model (`codegen::spec`) must
//! describe the same format. Two checks:
//! - each object in the schema lists exactly the keys its serde type accepts;
//! - the real spec and the fixture (which uses every key) are valid against the schema.
//!
//! The validator below covers the JSON Schema keywords `schema.json` uses, except `pattern`
//! (the generator's own validation checks those rules, with better messages).
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use std::collections::BTreeSet;
use std::path::Path;

use codegen::spec;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn read(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The keys a `deny_unknown_fields` type accepts, read from the error serde gives for an unknown one.
fn serde_keys<T: DeserializeOwned + std::fmt::Debug>() -> BTreeSet<String> {
    let message = serde_json::from_str::<T>(r#"{"\u0000probe": 0}"#).unwrap_err().to_string();
    // "… expected `a` or `b` at line …" or "… expected one of `a`, `b`, `c` at line …"
    let expected = message.split(", expected ").nth(1).expect("serde lists the expected fields");
    let expected = expected.trim_start_matches("one of ").split(" at line").next().unwrap();
    expected.split(", ").flat_map(|k| k.split(" or ")).map(|k| k.trim_matches('`').to_owned()).collect()
}

fn schema_keys(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no {pointer}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn schema_objects_have_the_keys_of_the_serde_model() {
    let schema = read("api-spec/schema.json");
    let pairs = [
        ("/properties", serde_keys::<spec::Spec>()),
        ("/$defs/service/properties", serde_keys::<spec::Service>()),
        ("/$defs/region/properties", serde_keys::<spec::Region>()),
        ("/$defs/error_code/properties", serde_keys::<spec::ErrorCode>()),
        ("/$defs/enum/properties", serde_keys::<spec::Enum>()),
        ("/$defs/enum/properties/values/items/properties", serde_keys::<spec::EnumValue>()),
        ("/$defs/structure/properties", serde_keys::<spec::Structure>()),
        ("/$defs/action/properties", serde_keys::<spec::Action>()),
        ("/$defs/member/properties", serde_keys::<spec::Member>()),
        ("/$defs/pagination/properties", serde_keys::<spec::Pagination>()),
        ("/$defs/waiter/properties", serde_keys::<spec::Waiter>()),
        ("/$defs/acceptor/properties", serde_keys::<spec::Acceptor>()),
    ];
    for (pointer, serde) in pairs {
        assert_eq!(schema_keys(&schema, pointer), serde, "schema.json{pointer} differs from the serde model");
    }
}

#[test]
fn specs_are_valid_against_the_schema() {
    let schema = read("api-spec/schema.json");
    for spec in ["api-spec/scf/2018-04-16.json", "codegen/tests/fixtures/demo.json"] {
        let mut errors = Vec::new();
        validate(&schema, &schema, &read(spec), "$", &mut errors);
        assert!(errors.is_empty(), "{spec} does not follow schema.json:\n{}", errors.join("\n"));
    }
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let schema = read("api-spec/schema.json");
    let mut spec = read("codegen/tests/fixtures/demo.json");
    spec["actions"][0]["input"][0]["surprise"] = Value::Bool(true);
    spec["regions"][0].as_object_mut().unwrap().remove("name");
    spec["error_codes"][0]["retry"] = Value::from("sometimes");
    let mut errors = Vec::new();
    validate(&schema, &schema, &spec, "$", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

fn validate(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = root.pointer(reference.trim_start_matches('#')).unwrap_or_else(|| panic!("bad $ref {reference}"));
        return validate(root, target, value, path, errors);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => vec![other.as_str().unwrap()],
        };
        let fits = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => panic!("type {other} is not supported by this validator"),
        });
        if !fits {
            errors.push(format!("{path}: expected {types:?}, found {value}"));
            return;
        }
    }
    if let Some(expected) = schema.get("const").filter(|c| *c != value) {
        errors.push(format!("{path}: expected {expected}, found {value}"));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array).filter(|a| !a.contains(value)) {
        errors.push(format!("{path}: {value} is not one of {allowed:?}"));
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|option| {
                let mut inner = Vec::new();
                validate(root, option, value, path, &mut inner);
                inner.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{path}: matches {matching} of the oneOf alternatives"));
        }
    }
    if let (Some(min), Some(s)) = (schema.get("minLength").and_then(Value::as_u64), value.as_str())
        && (s.chars().count() as u64) < min
    {
        errors.push(format!("{path}: shorter than {min}"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        errors.push(format!("{path}: below {min}"));
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            errors.push(format!("{path}: fewer than {min} items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(root, item_schema, item, &format!("{path}[{i}]"), errors);
            }
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(key) {
                errors.push(format!("{path}: missing required key `{key}`"));
            }
        }
        for (key, child) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(child_schema) => validate(root, child_schema, child, &format!("{path}.{key}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: key `{key}` is not allowed"))
                }
                None => {}
            }
        }
    }
}
