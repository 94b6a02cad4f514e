//! One test per kind of spec mistake: each asserts the JSON path and the message, and that nothing
//! is generated. Every test starts from a small valid spec and breaks one thing.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use codegen::{Error, Options, SpecError};
use serde_json::{Value, json};

fn valid() -> Value {
    json!({
        "format": 1,
        "service": {
            "name": "demo",
            "title": "Demo",
            "version": "2020-01-01",
            "docs": "A demo service.",
            "endpoint": "demo.tencentcloudapi.com",
            "regional_endpoint": "demo.{region}.tencentcloudapi.com"
        },
        "regions": [{ "id": "ap-guangzhou", "name": "Guangzhou" }],
        "error_codes": [
            { "code": "InternalError", "common": true, "docs": "Internal error." },
            { "code": "ResourceNotFound.Thing", "docs": "No such thing." }
        ],
        "enums": [{ "name": "Mode", "docs": "A mode.", "values": [{ "value": "On", "docs": "On." }] }],
        "structures": [{
            "name": "Thing",
            "docs": "A thing.",
            "members": [{ "name": "Id", "type": "string", "required": true, "docs": "Its id." }]
        }],
        "actions": [{
            "name": "GetThing",
            "docs": "Gets a thing.",
            "input": [
                { "name": "Id", "type": "string", "required": true, "docs": "Which thing." },
                { "name": "Mode", "type": "Mode", "docs": "The mode." }
            ],
            "output": [{ "name": "Thing", "type": "Thing", "output_required": true, "docs": "The thing." }],
            "errors": ["ResourceNotFound.Thing"]
        }]
    })
}

fn options() -> Options {
    Options {
        spec_path: "demo.json".into(),
        runtime_path: "crate::runtime".into(),
        generated_path: "crate::generated".into(),
    }
}

/// Generates from `spec`, which must fail, and returns its errors.
fn errors(spec: &Value) -> Vec<SpecError> {
    match codegen::generate(&spec.to_string(), &options()) {
        Ok(files) => panic!("expected errors, but {} files were generated", files.len()),
        Err(Error::Spec(errors)) => errors.0,
        Err(other) => panic!("expected spec errors, got {other}"),
    }
}

/// Applies `edit` to the valid spec and asserts exactly one error, at `path`, containing `message`.
#[track_caller]
fn assert_single_error(edit: impl FnOnce(&mut Value), path: &str, message: &str) {
    let mut spec = valid();
    edit(&mut spec);
    let errors = errors(&spec);
    assert_eq!(errors.len(), 1, "expected one error, got: {errors:#?}");
    assert_eq!(errors[0].path, path, "{errors:#?}");
    assert!(errors[0].message.contains(message), "message {:?} lacks {message:?}", errors[0].message);
}

fn at<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut Value {
    spec.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer} in the test spec"))
}

/// Sets the value at `pointer`, creating the last key if needed.
fn set(spec: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    at(spec, parent).as_object_mut().unwrap_or_else(|| panic!("{parent} is not an object")).insert(key.into(), value);
}

#[test]
fn the_base_spec_is_valid() {
    codegen::generate(&valid().to_string(), &options()).unwrap();
}

#[test]
fn invalid_json() {
    let errors = codegen::analyze("{\"format\": 1,").unwrap_err().0;
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("EOF"), "{errors:?}");
}

#[test]
fn unknown_key() {
    assert_single_error(
        |s| set(s, "/actions/0/input/0/max_byte", json!(3)),
        "$.actions[0].input[0].max_byte",
        "unknown field `max_byte`",
    );
}

#[test]
fn wrong_json_type() {
    assert_single_error(
        |s| set(s, "/actions/0/input/0/required", json!("yes")),
        "$.actions[0].input[0].required",
        "expected a boolean",
    );
}

#[test]
fn unsupported_format_version() {
    assert_single_error(|s| set(s, "/format", json!(2)), "$.format", "format 2 is not supported");
}

#[test]
fn bad_service_name_version_and_endpoints() {
    assert_single_error(|s| set(s, "/service/name", json!("Demo")), "$.service.name", "not a service name");
    assert_single_error(|s| set(s, "/service/version", json!("2020-1-1")), "$.service.version", "expected YYYY-MM-DD");
    assert_single_error(
        |s| set(s, "/service/endpoint", json!("https://demo")),
        "$.service.endpoint",
        "not a host name",
    );
    assert_single_error(
        |s| set(s, "/service/regional_endpoint", json!("demo.tencentcloudapi.com")),
        "$.service.regional_endpoint",
        "containing `{region}` exactly once",
    );
}

#[test]
fn unknown_type_reference() {
    assert_single_error(
        |s| set(s, "/actions/0/output/0/type", json!("Thingy")),
        "$.actions[0].output[0].type",
        "unknown type `Thingy`",
    );
}

#[test]
fn duplicate_member() {
    assert_single_error(
        |s| {
            let first = at(s, "/actions/0/input/0").clone();
            at(s, "/actions/0/input").as_array_mut().unwrap().push(first);
        },
        "$.actions[0].input[2].name",
        "duplicate member `Id` (also $.actions[0].input[0])",
    );
}

#[test]
fn bad_member_identifier() {
    assert_single_error(
        |s| set(s, "/structures/0/members/0/name", json!("Thing Id")),
        "$.structures[0].members[0].name",
        "not a member name",
    );
}

#[test]
fn bad_type_identifier() {
    assert_single_error(
        |s| {
            set(s, "/enums/0/name", json!("mode"));
            set(s, "/actions/0/input/1/type", json!("mode"));
        },
        "$.enums[0].name",
        "not a type name",
    );
}

#[test]
fn empty_enum() {
    assert_single_error(|s| set(s, "/enums/0/values", json!([])), "$.enums[0].values", "enum `Mode` has no values");
}

#[test]
fn duplicate_enum_value() {
    assert_single_error(
        |s| at(s, "/enums/0/values").as_array_mut().unwrap().push(json!({ "value": "On", "docs": "Again." })),
        "$.enums[0].values[1].value",
        "duplicate value `On`",
    );
}

#[test]
fn enum_values_that_collide_as_variants() {
    assert_single_error(
        |s| at(s, "/enums/0/values").as_array_mut().unwrap().push(json!({ "value": "on", "docs": "Lowercase." })),
        "$.enums[0].values[1].value",
        "same Rust variant `On`",
    );
}

#[test]
fn malformed_region_id() {
    assert_single_error(|s| set(s, "/regions/0/id", json!("Guangzhou")), "$.regions[0].id", "not a region id");
}

#[test]
fn duplicate_region() {
    assert_single_error(
        |s| at(s, "/regions").as_array_mut().unwrap().push(json!({ "id": "ap-guangzhou", "name": "Again" })),
        "$.regions[1].id",
        "duplicate region `ap-guangzhou`",
    );
}

#[test]
fn duplicate_error_code() {
    assert_single_error(
        |s| at(s, "/error_codes").as_array_mut().unwrap().push(json!({ "code": "InternalError", "docs": "Again." })),
        "$.error_codes[2].code",
        "duplicate error code `InternalError` (also $.error_codes[0])",
    );
}

#[test]
fn malformed_error_code() {
    assert_single_error(
        |s| set(s, "/error_codes/0/code", json!("internal.error")),
        "$.error_codes[0].code",
        "not an error code",
    );
}

#[test]
fn error_codes_that_collide_as_variants() {
    assert_single_error(
        |s| {
            at(s, "/error_codes")
                .as_array_mut()
                .unwrap()
                .push(json!({ "code": "ResourceNotFoundThing", "docs": "Clash." }))
        },
        "$.error_codes[2].code",
        "same Rust variant `ResourceNotFoundThing`",
    );
}

#[test]
fn action_refers_to_an_undefined_error_code() {
    assert_single_error(
        |s| at(s, "/actions/0/errors").as_array_mut().unwrap().push(json!("ResourceNotFound.Other")),
        "$.actions[0].errors[1]",
        "unknown error code `ResourceNotFound.Other`",
    );
}

#[test]
fn action_lists_an_error_code_twice() {
    assert_single_error(
        |s| at(s, "/actions/0/errors").as_array_mut().unwrap().push(json!("ResourceNotFound.Thing")),
        "$.actions[0].errors[1]",
        "listed twice",
    );
}

#[test]
fn duplicate_action() {
    assert_single_error(
        |s| {
            let first = at(s, "/actions/0").clone();
            at(s, "/actions").as_array_mut().unwrap().push(first);
        },
        "$.actions[1].name",
        "duplicate action `GetThing`",
    );
}

#[test]
fn duplicate_type_name() {
    assert_single_error(
        |s| {
            let first = at(s, "/structures/0").clone();
            at(s, "/structures").as_array_mut().unwrap().push(first);
        },
        "$.structures[1].name",
        "duplicate type name `Thing` (also $.structures[0])",
    );
}

#[test]
fn members_that_collide_as_rust_fields() {
    assert_single_error(
        |s| {
            at(s, "/structures/0/members")
                .as_array_mut()
                .unwrap()
                .push(json!({ "name": "ID", "type": "string", "docs": "Clashes with `Id`." }))
        },
        "$.structures[0].members[1].name",
        "gets the Rust name `id`, which clashes with $.structures[0].members[0] (`Id`)",
    );
}

#[test]
fn member_that_collides_with_a_builder_method() {
    assert_single_error(
        |s| {
            at(s, "/structures/0/members")
                .as_array_mut()
                .unwrap()
                .push(json!({ "name": "Build", "type": "string", "docs": "Clashes with `build()`." }))
        },
        "$.structures[0].members[1].name",
        "clashes with a builder method",
    );
}

#[test]
fn structure_whose_rust_name_collides_with_a_renamed_one() {
    // `Result` is renamed `ResultValue`, which a second structure already uses.
    assert_single_error(
        |s| {
            let structures = at(s, "/structures").as_array_mut().unwrap();
            structures.push(json!({ "name": "ResultValue", "docs": "Taken.", "members": [] }));
            structures.push(json!({ "name": "Result", "docs": "Renamed.", "members": [] }));
        },
        "$.structures[2].name",
        "gets the Rust type name `ResultValue`, which $.structures[1].name already has",
    );
}

#[test]
fn structure_that_collides_with_an_action_type() {
    assert_single_error(
        |s| {
            at(s, "/structures")
                .as_array_mut()
                .unwrap()
                .push(json!({ "name": "GetThingRequest", "docs": "Taken.", "members": [] }))
        },
        "$.actions[0].name",
        "gets the Rust type name `GetThingRequest`",
    );
}

#[test]
fn direction_flags_on_the_wrong_side() {
    assert_single_error(
        |s| set(s, "/actions/0/output/0/required", json!(true)),
        "$.actions[0].output[0].required",
        "is an output: `required` applies only to input (use `output_required`)",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/0/output_required", json!(true)),
        "$.actions[0].input[0].output_required",
        "is an input: `output_required` applies only to output",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/0/nullable", json!(true)),
        "$.actions[0].input[0].nullable",
        "is an input: `nullable` applies only to output",
    );
}

#[test]
fn request_id_must_not_be_listed() {
    assert_single_error(
        |s| {
            at(s, "/actions/0/output")
                .as_array_mut()
                .unwrap()
                .push(json!({ "name": "RequestId", "type": "string", "docs": "Implied." }))
        },
        "$.actions[0].output[1].name",
        "`RequestId` is part of every response",
    );
}

#[test]
fn limit_on_the_wrong_type() {
    assert_single_error(
        |s| set(s, "/actions/0/input/1/max_bytes", json!(10)),
        "$.actions[0].input[1].max_bytes",
        "applies only to a single `string` member",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/0/max", json!(10)),
        "$.actions[0].input[0].max",
        "applies only to a single number member",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/0/max_items", json!(10)),
        "$.actions[0].input[0].max_items",
        "applies only to a list member",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/1/json", json!("any")),
        "$.actions[0].input[1].json",
        "applies only to a single `string` member",
    );
}

#[test]
fn inverted_range() {
    assert_single_error(
        |s| {
            set(s, "/actions/0/input/0/min_bytes", json!(10));
            set(s, "/actions/0/input/0/max_bytes", json!(5));
        },
        "$.actions[0].input[0].min_bytes",
        "`min_bytes` 10 is above `max_bytes` 5",
    );
}

#[test]
fn default_of_the_wrong_type() {
    assert_single_error(
        |s| set(s, "/actions/0/input/1/default", json!("Off")),
        "$.actions[0].input[1].default",
        "is not one of the values of enum `Mode`",
    );
    assert_single_error(
        |s| set(s, "/actions/0/input/0/default", json!(1)),
        "$.actions[0].input[0].default",
        "cannot have a default",
    );
}

#[test]
fn json_example_that_is_not_json() {
    assert_single_error(
        |s| {
            set(s, "/actions/0/input/0/json", json!("string_map"));
            set(s, "/actions/0/input/0/example", json!("{\"k\": 1}"));
        },
        "$.actions[0].input[0].example",
        "not the JSON its `json` setting describes",
    );
}

#[test]
fn structure_containing_itself() {
    assert_single_error(
        |s| {
            at(s, "/structures/0/members")
                .as_array_mut()
                .unwrap()
                .push(json!({ "name": "Parent", "type": "Thing", "docs": "Infinite." }))
        },
        "$.structures[0].members",
        "contains itself through `Thing.Parent`",
    );
}

#[test]
fn empty_docs_and_bare_urls() {
    assert_single_error(|s| set(s, "/actions/0/docs", json!("  ")), "$.actions[0].docs", "documentation is empty");
    assert_single_error(
        |s| set(s, "/enums/0/values/0/docs", json!("See https://x.y")),
        "$.enums[0].values[0].docs",
        "bare URL",
    );
}

#[test]
fn empty_deprecation_reason() {
    assert_single_error(|s| set(s, "/actions/0/deprecated", json!("")), "$.actions[0].deprecated", "say why");
}

#[test]
fn bad_errors_keyword() {
    assert_single_error(|s| set(s, "/actions/0/errors", json!("all")), "$.actions[0].errors", r#"or "service-wide""#);
}

/// The issue's acceptance case: three different mistakes, all reported with their paths.
#[test]
fn every_mistake_is_reported_at_once() {
    let mut spec = valid();
    set(&mut spec, "/regions/0/id", json!("guangzhou"));
    set(&mut spec, "/actions/0/output/0/type", json!("Thingy"));
    at(&mut spec, "/error_codes").as_array_mut().unwrap().push(json!({ "code": "InternalError", "docs": "Again." }));
    let errors = errors(&spec);
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["$.regions[0].id", "$.error_codes[2].code", "$.actions[0].output[0].type"], "{errors:#?}");
    let report = codegen::Error::Spec(codegen::SpecErrors(errors)).to_string();
    assert!(report.starts_with("3 errors in the spec:"), "{report}");
}

/// The base spec with a paginated action, a status enum and a waiter.
fn with_pages_and_waiter() -> Value {
    let mut spec = valid();
    at(&mut spec, "/enums").as_array_mut().unwrap().push(json!({
        "name": "ThingStatus", "docs": "A thing's state.", "open": true,
        "values": [
            { "value": "Ready", "docs": "Ready." },
            { "value": "Failed", "docs": "Failed." },
            { "value": "Pending", "docs": "Pending." }
        ]
    }));
    at(&mut spec, "/structures/0/members")
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "Status", "type": "ThingStatus", "docs": "Its state." }));
    at(&mut spec, "/actions").as_array_mut().unwrap().push(json!({
        "name": "ListThings",
        "docs": "Lists things.",
        "input": [
            { "name": "Offset", "type": "int64", "docs": "Start." },
            { "name": "Limit", "type": "int64", "max": 100, "docs": "Count." }
        ],
        "output": [
            { "name": "Things", "type": "Thing", "list": true, "docs": "Things." },
            { "name": "TotalCount", "type": "int64", "docs": "All." }
        ],
        "errors": [],
        "pagination": { "offset": "Offset", "limit": "Limit", "items": "Things", "total": "TotalCount" }
    }));
    set(
        &mut spec,
        "/waiters",
        json!([{
            "name": "ThingReady",
            "docs": "Waits until the thing is ready.",
            "action": "GetThing",
            "status": "Thing.Status",
            "min_delay_seconds": 1,
            "max_delay_seconds": 5,
            "max_wait_seconds": 60,
            "acceptors": [
                { "state": "success", "status": ["Ready"] },
                { "state": "failure", "status": ["Failed"] },
                { "state": "retry", "errors": ["ResourceNotFound.Thing"] }
            ]
        }]),
    );
    spec
}

/// As [`assert_single_error`], from [`with_pages_and_waiter`].
#[track_caller]
fn assert_single_paging_error(edit: impl FnOnce(&mut Value), path: &str, message: &str) {
    let mut spec = with_pages_and_waiter();
    edit(&mut spec);
    let errors = errors(&spec);
    assert_eq!(errors.len(), 1, "expected one error, got: {errors:#?}");
    assert_eq!(errors[0].path, path, "{errors:#?}");
    assert!(errors[0].message.contains(message), "message {:?} lacks {message:?}", errors[0].message);
}

#[test]
fn the_paging_and_waiter_spec_is_valid() {
    let files = codegen::generate(&with_pages_and_waiter().to_string(), &options()).unwrap();
    assert!(files.iter().any(|f| f.path == "waiters/thing_ready.rs"));
    let list = files.iter().find(|f| f.path == "actions/list_things.rs").unwrap();
    assert!(list.contents.contains("pub fn into_paginator(self)"), "{}", list.contents);
}

#[test]
fn pagination_members_must_exist_with_the_right_types() {
    let p = "$.actions[1].pagination";
    assert_single_paging_error(
        |s| set(s, "/actions/1/pagination/offset", json!("Start")),
        &format!("{p}.offset"),
        "`Start` is not an input member of `ListThings`",
    );
    assert_single_paging_error(
        |s| {
            set(s, "/actions/1/input/1/type", json!("bool"));
            at(s, "/actions/1/input/1").as_object_mut().unwrap().remove("max");
            set(s, "/actions/1/pagination/page_size", json!(10));
        },
        &format!("{p}.limit"),
        "it must be a single `int64`, `uint64` or `string`",
    );
    assert_single_paging_error(
        |s| set(s, "/actions/1/output/0/list", json!(false)),
        &format!("{p}.items"),
        "it must be a list",
    );
    assert_single_paging_error(
        |s| set(s, "/actions/1/output/1/type", json!("string")),
        &format!("{p}.total"),
        "it must be a single `int64` or `uint64`",
    );
}

#[test]
fn the_page_size_comes_from_the_spec_and_fits_the_limit() {
    let p = "$.actions[1].pagination.page_size";
    assert_single_paging_error(|s| set(s, "/actions/1/pagination/page_size", json!(500)), p, "above the limit member");
    assert_single_paging_error(|s| set(s, "/actions/1/pagination/page_size", json!(0)), p, "at least 1 item");
    assert_single_paging_error(
        |s| {
            at(s, "/actions/1/input/1").as_object_mut().unwrap().remove("max");
        },
        p,
        "has neither a `max` nor a `default`",
    );
    // A default will do, as will an explicit size.
    for edit in [json!({"default": 25}), json!({})] {
        let mut spec = with_pages_and_waiter();
        at(&mut spec, "/actions/1/input/1").as_object_mut().unwrap().remove("max");
        for (key, value) in edit.as_object().unwrap() {
            set(&mut spec, &format!("/actions/1/input/1/{key}"), value.clone());
        }
        if edit.as_object().unwrap().is_empty() {
            set(&mut spec, "/actions/1/pagination/page_size", json!(7));
        }
        codegen::generate(&spec.to_string(), &options()).unwrap();
    }
}

#[test]
fn waiters_name_a_real_action_and_status_member() {
    let w = "$.waiters[0]";
    assert_single_paging_error(
        |s| set(s, "/waiters/0/action", json!("GetThings")),
        &format!("{w}.action"),
        "unknown action",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/status", json!("Thing.State")),
        &format!("{w}.status"),
        "`State` is not an output member",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/status", json!("Thing.Id.Length")),
        &format!("{w}.status"),
        "`Id` is not a structure",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/status", json!("Thing")),
        &format!("{w}.status"),
        "must be a single string or enum member",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/reasons", json!("Thing.Why")),
        &format!("{w}.reasons"),
        "`Why` is not an output member",
    );
}

#[test]
fn acceptors_match_known_values_and_codes_once() {
    let w = "$.waiters[0]";
    assert_single_paging_error(
        |s| set(s, "/waiters/0/acceptors/0/status", json!(["Done"])),
        &format!("{w}.acceptors[0].status[0]"),
        "`Done` is not a value of enum `ThingStatus`",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/acceptors/1/status", json!(["Ready"])),
        &format!("{w}.acceptors[1].status[0]"),
        "`Ready` is matched twice",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/acceptors/2/errors", json!(["InternalError", "Nope"])),
        &format!("{w}.acceptors[2].errors[1]"),
        "unknown error code `Nope`",
    );
    assert_single_paging_error(
        |s| {
            at(s, "/error_codes")
                .as_array_mut()
                .unwrap()
                .push(json!({"code": "FailedOperation.Other", "docs": "Other."}));
            set(s, "/waiters/0/acceptors/2/errors", json!(["FailedOperation.Other"]));
        },
        &format!("{w}.acceptors[2].errors[0]"),
        "`GetThing` does not return `FailedOperation.Other`",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/acceptors/2/status", json!(["Pending"])),
        &format!("{w}.acceptors[2]"),
        "either `status` values or `errors`",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/acceptors/0/state", json!("retry")),
        &format!("{w}.acceptors"),
        "has no `success` acceptor",
    );
    assert_single_paging_error(
        |s| {
            at(s, "/waiters/0").as_object_mut().unwrap().remove("status");
            at(s, "/waiters/0/acceptors").as_array_mut().unwrap().remove(1);
        },
        &format!("{w}.acceptors[0].status"),
        "no `status` member",
    );
}

#[test]
fn waiter_delays_names_and_methods_do_not_clash() {
    let w = "$.waiters[0]";
    assert_single_paging_error(
        |s| set(s, "/waiters/0/min_delay_seconds", json!(10)),
        &format!("{w}.min_delay_seconds"),
        "must grow from `min_delay_seconds` (10",
    );
    assert_single_paging_error(
        |s| {
            at(s, "/structures")
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "ThingReadyWaiter", "docs": "Clash.", "members": []}));
        },
        &format!("{w}.name"),
        "gets the Rust type name `ThingReadyWaiter`",
    );
    assert_single_paging_error(
        |s| {
            at(s, "/actions/0/input")
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "MaxWait", "type": "int64", "docs": "Clash."}));
        },
        &format!("{w}.action"),
        "clashes with a method of the waiter",
    );
    assert_single_paging_error(
        |s| set(s, "/waiters/0/name", json!("thing")),
        &format!("{w}.name"),
        "not a waiter name",
    );
}
