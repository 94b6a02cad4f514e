//! Flags to request parameters. Scalar members become typed flags whose values clap checks (an
//! integer flag refuses `abc`); structures, lists and JSON-carrying members take JSON text (or
//! `file://PATH`); `--cli-input-json` gives the whole request; `--generate-cli-skeleton` prints an
//! empty one. The request is then checked against the catalogue's limits before anything is sent,
//! and every error names the flag (or the file) the bad value came from.

use std::io::Read as _;

use clap::ArgMatches;
use scf_sdk::runtime::{ActionDescriptor, JsonPayload, MemberDescriptor, TypeDescriptor, validate_input};
use serde_json::{Map, Value};

use crate::exit::{CliError, Source};
use crate::flags::{CLI_INPUT_JSON, flag_name, literal, takes_json};
use crate::json::Json;

/// Where each member of a request came from, to name it in errors.
#[derive(Debug, Default)]
pub struct Origins {
    flags: Vec<&'static str>,
    input: Option<String>,
}

impl Origins {
    /// The flag or file a member's value came from.
    pub fn source_of(&self, member: &str) -> Option<Source> {
        if let Some(name) = self.flags.iter().find(|name| **name == member) {
            return Some(Source::Flag(format!("--{}", flag_name(name))));
        }
        self.input.as_ref().map(|file| Source::Container(format!("--{CLI_INPUT_JSON} {file}")))
    }
}

/// The request the command line describes, checked against the action's limits.
pub fn build(action: &'static ActionDescriptor, matches: &ArgMatches) -> Result<(Value, Origins), CliError> {
    let mut origins = Origins::default();
    let mut params = match matches.try_get_one::<String>(CLI_INPUT_JSON).ok().flatten() {
        Some(source) => {
            origins.input = Some(source.clone());
            read_input(action, source)?
        }
        None => Map::new(),
    };
    for member in action.input {
        let value = if takes_json(member) {
            match matches.try_get_one::<String>(member.name).ok().flatten() {
                Some(text) => json_flag(member, text)?,
                None => continue,
            }
        } else {
            match matches.try_get_one::<Value>(member.name).ok().flatten() {
                Some(value) => value.clone(),
                None => continue,
            }
        };
        // A flag wins over the same member in --cli-input-json.
        params.insert(member.name.to_owned(), value);
        origins.flags.push(member.name);
    }
    let params = Value::Object(params);
    validate_input(action, &params)
        .map_err(|e| CliError::from_sdk(scf_sdk::runtime::Error::Validation(e), |m| origins.source_of(m)))?;
    Ok((params, origins))
}

/// A JSON flag's value: parsed, shaped as the member wants, JSON-carrying members as strings.
fn json_flag(member: &MemberDescriptor, text: &str) -> Result<Value, CliError> {
    let flag = format!("--{}", flag_name(member.name));
    let text = match text.strip_prefix("file://") {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{flag}: cannot read `{path}`: {e}")))?
        }
        None => text.to_owned(),
    };
    let mut value: Value =
        serde_json::from_str(&text).map_err(|e| CliError::usage(format!("{flag} must be JSON, and is not: {e}")))?;
    match (member.json, member.ty) {
        (Some(payload), _) => {
            check_payload(member, payload, &value)?;
            Ok(Value::String(text.trim().to_owned()))
        }
        (None, TypeDescriptor::Structure(s)) => match &mut value {
            Value::Object(map) => {
                normalize_members(s.members, map)?;
                Ok(value)
            }
            _ => Err(CliError::usage(format!("{flag} must be a JSON object (the members of `{}`)", s.name))),
        },
        (None, TypeDescriptor::List(item)) => match &mut value {
            Value::Array(items) => {
                items.iter_mut().try_for_each(|v| normalize(item, v))?;
                Ok(value)
            }
            _ => Err(CliError::usage(format!("{flag} must be a JSON list, e.g. [\"a\", \"b\"] or [{{…}}]"))),
        },
        (None, _) => Ok(value),
    }
}

/// `--cli-input-json FILE|-`: the request as a JSON object.
fn read_input(action: &ActionDescriptor, source: &str) -> Result<Map<String, Value>, CliError> {
    let fail = |why: String| CliError::usage(format!("--{CLI_INPUT_JSON} {source}: {why}"));
    let text = if source == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| fail(format!("cannot read stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(source).map_err(|e| fail(format!("cannot read it: {e}")))?
    };
    match serde_json::from_str(&text).map_err(|e| fail(format!("not valid JSON: {e}")))? {
        Value::Object(mut map) => {
            normalize_members(action.input, &mut map)?;
            Ok(map)
        }
        _ => Err(fail(format!("must be a JSON object (the members of `{}`)", action.name))),
    }
}

/// JSON-carrying members given as JSON values (`"Event": {"k": "v"}`) become the strings the API
/// wants (`"Event": "{\"k\":\"v\"}"`), at any depth, after the same checks as their flags.
pub fn normalize_members(members: &[MemberDescriptor], map: &mut Map<String, Value>) -> Result<(), CliError> {
    for member in members {
        let Some(value) = map.get_mut(member.name) else { continue };
        match member.json {
            Some(payload) => {
                if !value.is_string() && !value.is_null() {
                    check_payload(member, payload, value)?;
                    *value = Value::String(value.to_string());
                }
            }
            None => normalize(&member.ty, value)?,
        }
    }
    Ok(())
}

/// What a JSON-carrying member must hold: any JSON, or (`RoutingKey`) an object of strings.
fn check_payload(member: &MemberDescriptor, payload: JsonPayload, value: &Value) -> Result<(), CliError> {
    let is_string_map = || value.as_object().is_some_and(|map| map.values().all(Value::is_string));
    if payload == JsonPayload::StringMap && !is_string_map() {
        return Err(CliError::usage(format!(
            "--{} must be a JSON object whose values are strings",
            flag_name(member.name)
        )));
    }
    Ok(())
}

fn normalize(ty: &TypeDescriptor, value: &mut Value) -> Result<(), CliError> {
    match (ty, value) {
        (TypeDescriptor::Structure(s), Value::Object(map)) => normalize_members(s.members, map),
        (TypeDescriptor::List(item), Value::Array(items)) => items.iter_mut().try_for_each(|v| normalize(item, v)),
        _ => Ok(()),
    }
}

/// An empty request: every member, with its default or an empty value of its type, in the
/// catalogue's order. JSON-carrying members appear as JSON (`{}`); they are sent as strings.
pub fn skeleton(action: &ActionDescriptor) -> Json {
    skeleton_members(action.input, 0)
}

fn skeleton_members(members: &[MemberDescriptor], depth: usize) -> Json {
    Json::Object(members.iter().map(|m| (m.name.to_owned(), skeleton_member(m, depth))).collect())
}

fn skeleton_member(member: &MemberDescriptor, depth: usize) -> Json {
    if let Some(default) = member.default {
        return literal(default);
    }
    if member.json.is_some() {
        return Json::Object(Vec::new());
    }
    skeleton_type(&member.ty, depth)
}

fn skeleton_type(ty: &TypeDescriptor, depth: usize) -> Json {
    // Structures may nest; the skeleton stops where a real request would not go.
    const MAX_DEPTH: usize = 6;
    match ty {
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 => Json::Number(0.into()),
        TypeDescriptor::Float => serde_json::Number::from_f64(0.0).map_or(Json::Null, Json::Number),
        TypeDescriptor::Bool => Json::Bool(false),
        TypeDescriptor::Structure(s) if depth < MAX_DEPTH => skeleton_members(s.members, depth + 1),
        TypeDescriptor::Structure(_) => Json::Object(Vec::new()),
        TypeDescriptor::List(item) => Json::Array(vec![skeleton_type(item, depth + 1)]),
        _ => Json::String(String::new()),
    }
}

/// A copy of `params` with the values of sensitive members (`Event`, `Code.ZipFile`) replaced by
/// their size, for `--debug`.
pub fn redacted(members: &[MemberDescriptor], params: &Value) -> Value {
    let Value::Object(map) = params else { return params.clone() };
    let mut out = map.clone();
    for member in members {
        let Some(value) = out.get_mut(member.name) else { continue };
        if member.sensitive {
            let size = match &*value {
                Value::String(s) => s.len(),
                other => other.to_string().len(),
            };
            *value = Value::String(format!("** redacted ({size} bytes) **"));
        } else {
            redact_type(&member.ty, value);
        }
    }
    Value::Object(out)
}

fn redact_type(ty: &TypeDescriptor, value: &mut Value) {
    match ty {
        TypeDescriptor::Structure(s) if value.is_object() => {
            let copy = redacted(s.members, value);
            *value = copy;
        }
        TypeDescriptor::List(item) => {
            if let Value::Array(items) = value {
                items.iter_mut().for_each(|v| redact_type(item, v));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use scf_sdk::catalog;
    use serde_json::json;

    use super::*;

    fn matches(action: &str, args: &[&str]) -> Result<ArgMatches, clap::Error> {
        let root = crate::cli::command();
        let name = flag_name(action);
        let command = root.find_subcommand(&name).cloned().unwrap();
        command.try_get_matches_from(std::iter::once(name.as_str()).chain(args.iter().copied()))
    }

    fn request(action: &str, args: &[&str]) -> Result<Value, String> {
        let matches = matches(action, args).map_err(|e| e.to_string())?;
        build(catalog::action(action).unwrap(), &matches).map(|(params, _)| params).map_err(|e| e.message)
    }

    #[test]
    fn scalar_flags_are_typed() {
        assert_eq!(
            request("ListFunctions", &["--limit", "20", "--offset", "3"]).unwrap(),
            json!({"Limit": 20, "Offset": 3})
        );
        let error = matches("ListFunctions", &["--limit", "twenty"]).unwrap_err().to_string();
        assert!(error.contains("invalid value 'twenty' for '--limit <LIMIT>': expected an integer"), "{error}");
        let error =
            matches("InvokeFunction", &["--function-name", "fn", "--log-type", "Head"]).unwrap_err().to_string();
        assert!(error.contains("[possible values: None, Tail]"), "{error}");
        let bool_flag = request("UpdateFunctionConfiguration", &["--function-name", "fn", "--ignore-sys-log"]).unwrap();
        assert_eq!(bool_flag, json!({"FunctionName": "fn", "IgnoreSysLog": true}));
        let bool_flag =
            request("UpdateFunctionConfiguration", &["--function-name", "fn", "--ignore-sys-log", "FALSE"]).unwrap();
        assert_eq!(bool_flag["IgnoreSysLog"], json!(false));
    }

    #[test]
    fn json_flags_take_json_and_json_carrying_members_become_strings() {
        let params = request(
            "InvokeFunction",
            &["--function-name", "fn", "--event", r#" {"k": "v"} "#, "--routing-key", r#"{"a":"b"}"#],
        )
        .unwrap();
        assert_eq!(params, json!({"FunctionName": "fn", "Event": r#"{"k": "v"}"#, "RoutingKey": r#"{"a":"b"}"#}));
        let code = request(
            "CreateFunction",
            &["--function-name", "fn", "--code", r#"{"ZipFile":"UEs="}"#, "--tags", r#"[{"Key":"a","Value":"b"}]"#],
        )
        .unwrap();
        assert_eq!(
            code,
            json!({"FunctionName": "fn", "Code": {"ZipFile": "UEs="}, "Tags": [{"Key": "a", "Value": "b"}]})
        );
        let error = request("InvokeFunction", &["--function-name", "fn", "--event", "{secret: 1"]).unwrap_err();
        assert!(error.starts_with("--event must be JSON, and is not: key must be a string at line 1"), "{error}");
        assert!(!error.contains("secret"), "sensitive values are not quoted: {error}");
        let error = request("InvokeFunction", &["--function-name", "fn", "--routing-key", r#"{"a":1}"#]).unwrap_err();
        assert_eq!(error, "--routing-key must be a JSON object whose values are strings");
        let error = request("CreateFunction", &["--function-name", "fn", "--code", "[]"]).unwrap_err();
        assert_eq!(error, "--code must be a JSON object (the members of `Code`)");
    }

    #[test]
    fn limits_are_checked_before_sending_and_name_the_flag() {
        let long = "f".repeat(61);
        let error = request("InvokeFunction", &["--function-name", &long]).unwrap_err();
        assert_eq!(error, "--function-name is 61 bytes long; at most 60 bytes are allowed");
        let error = request("CreateFunction", &["--function-name", "fn", "--code", "{}", "--tags", r#"[{"Nope":1}]"#])
            .unwrap_err();
        assert_eq!(error, "--tags: `Tags[0].Nope` is not a member of `Tag`");
        assert!(matches("InvokeFunction", &[]).unwrap_err().to_string().contains("--function-name <FUNCTION_NAME>"));
    }

    #[test]
    fn the_input_file_gives_the_request_and_flags_override_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("request.json");
        std::fs::write(&file, r#"{"FunctionName": "from-file", "Event": {"k": [1]}, "LogType": "Tail"}"#).unwrap();
        let path = file.to_str().unwrap();
        let params = request("InvokeFunction", &["--cli-input-json", path]).unwrap();
        assert_eq!(params, json!({"FunctionName": "from-file", "Event": r#"{"k":[1]}"#, "LogType": "Tail"}));
        let params = request("InvokeFunction", &["--cli-input-json", path, "--function-name", "flag"]).unwrap();
        assert_eq!(params["FunctionName"], "flag");
        std::fs::write(&file, r#"{"FunctionName": "1bad"}"#).unwrap();
        let error = request("InvokeFunction", &["--cli-input-json", path]).unwrap_err();
        assert!(
            error.starts_with(&format!("--cli-input-json {path}: `FunctionName` must start with a letter")),
            "{error}"
        );
        std::fs::write(&file, "[]").unwrap();
        let error = request("InvokeFunction", &["--cli-input-json", path]).unwrap_err();
        assert_eq!(error, format!("--cli-input-json {path}: must be a JSON object (the members of `InvokeFunction`)"));
        let error = request("InvokeFunction", &["--cli-input-json", "/nonexistent/x.json"]).unwrap_err();
        assert!(error.starts_with("--cli-input-json /nonexistent/x.json: cannot read it:"), "{error}");
    }

    #[test]
    fn skeletons_list_every_member_in_order_with_defaults() {
        let skeleton = skeleton(catalog::action("InvokeFunction").unwrap());
        assert_eq!(
            skeleton.to_compact(),
            r#"{"FunctionName":"","Qualifier":"$DEFAULT","Event":{},"LogType":"None","Namespace":"default","RoutingKey":{}}"#
        );
        // Every action has one, and it is a valid request once required strings are filled.
        for action in catalog::ACTIONS {
            assert!(matches!(super::skeleton(action), Json::Object(_)), "{}", action.name);
        }
    }

    #[test]
    fn debug_copies_hide_sensitive_members_at_any_depth() {
        let action = catalog::action("CreateFunction").unwrap();
        let params = json!({"FunctionName": "fn", "Code": {"ZipFile": "c2VjcmV0", "CosBucketName": "b"}});
        let shown = redacted(action.input, &params).to_string();
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(
            shown.contains(r#""ZipFile":"** redacted (8 bytes) **""#) && shown.contains(r#""CosBucketName":"b""#),
            "{shown}"
        );
        let invoke = catalog::action("InvokeFunction").unwrap();
        let shown = redacted(invoke.input, &json!({"FunctionName": "fn", "Event": "{\"password\":1}"})).to_string();
        assert!(!shown.contains("password"), "{shown}");
    }

    #[test]
    fn environment_values_are_redacted_for_debug() {
        let create = catalog::action("CreateFunction").unwrap();
        let params =
            json!({"FunctionName": "f1", "Environment": {"Variables": [{"Key": "DB_PASSWORD", "Value": "hunter2"}]}});
        let shown = redacted(create.input, &params).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("DB_PASSWORD"), "names stay: {shown}");
    }
}
