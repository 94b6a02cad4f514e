//! The fixture's generated code behaves as its spec says: wire names, renamed types, keyword
//! members, JSON-carrying strings, redaction, nullable output, catch-all variants, the catalogue.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use fixture_sdk::actions::{
    DescribeEverythingErrorCode, DescribeEverythingRequest, DescribeEverythingResponse, OldActionErrorCode,
};
use fixture_sdk::types::{Color, Everything, Node, OptionValue, ResultValue, Tag};
use fixture_sdk::{ErrorCode, catalog};
use scf_sdk::runtime::{ActionErrorCode, JsonPayload, Literal, RetryClass, TypeDescriptor};
use serde_json::json;

#[test]
fn every_kind_of_member_reaches_the_wire_with_its_wire_name() {
    let everything = Everything::builder()
        .text("hi")
        .count(-1)
        .size(10)
        .ratio(0.5)
        .enabled(true)
        .created_at("2020-01-01 00:00:00")
        .color(Color::DarkBlue)
        .choice(OptionValue::A)
        .outcome(ResultValue::builder().ok(true).score(1.5).build().unwrap())
        .names(["a", "b"])
        .numbers([1, 2])
        .tags([Tag::builder().key("k").value("v").build().unwrap()])
        .colors([Color::V2x, Color::UnknownValue, Color::Python39])
        .tree(Node::builder().name("root").children([Node::builder().name("leaf").build().unwrap()]).build().unwrap())
        .payload(json!({"k": [1, 2]}))
        .labels([("env", "prod")])
        .type_("t")
        .async_(false)
        .ref_("r")
        .secret("s3cr3t")
        .build()
        .unwrap();
    let wire = serde_json::to_value(&everything).unwrap();
    assert_eq!(
        wire,
        json!({
            "Text": "hi", "Count": -1, "Size": 10, "Ratio": 0.5, "Enabled": true,
            "CreatedAt": "2020-01-01 00:00:00", "Color": "dark-blue", "Choice": "A",
            "Outcome": {"Ok": true, "Score": 1.5}, "Names": ["a", "b"], "Numbers": [1, 2],
            "Tags": [{"Key": "k", "Value": "v"}], "Colors": ["2x", "Unknown", "Python3.9"],
            "Tree": {"Name": "root", "Children": [{"Name": "leaf"}]},
            "Payload": "{\"k\":[1,2]}", "Labels": "{\"env\":\"prod\"}",
            "Type": "t", "Async": false, "Ref": "r", "Secret": "s3cr3t"
        })
    );
    assert_eq!(serde_json::from_value::<Everything>(wire).unwrap(), everything);
}

#[test]
fn sensitive_members_are_redacted_from_debug() {
    let builder = Everything::builder().text("hi").secret("s3cr3t");
    assert!(!format!("{builder:?}").contains("s3cr3t"));
    let value = builder.build().unwrap();
    let debug = format!("{value:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("secret: Some(\"** redacted **\")"), "{debug}");
    assert!(debug.contains("text: \"hi\""), "{debug}");
}

#[test]
fn required_json_members_are_strings_on_the_wire() {
    let request = DescribeEverythingRequest::builder().id("1").filter([("a", "b")]).build().unwrap();
    assert_eq!(serde_json::to_string(&request).unwrap(), r#"{"Id":"1","Filter":"{\"a\":\"b\"}"}"#);
    let err = DescribeEverythingRequest::builder().id("1").build().unwrap_err();
    assert!(err.to_string().contains("`Filter`"), "{err}");
}

#[test]
fn nullable_and_optional_output_members_may_be_null_or_absent() {
    let response: DescribeEverythingResponse = serde_json::from_value(json!({
        "Everything": {"Text": "x"}, "Maybe": null, "RequestId": "r"
    }))
    .unwrap();
    assert_eq!(response.maybe, None);
    assert_eq!(response.total, None);
    assert_eq!(response.everything.text, "x");
}

#[test]
fn catch_all_variants_and_renamed_variants_are_distinct() {
    assert_eq!(Color::from("Unknown"), Color::UnknownValue);
    assert!(matches!(Color::from("green"), Color::Unknown(v) if v.as_str() == "green"));
    assert_eq!(Color::from("2x"), Color::V2x);
    assert_eq!(DescribeEverythingErrorCode::from("Unknown"), DescribeEverythingErrorCode::UnknownValue);
    assert_eq!(
        DescribeEverythingErrorCode::from("FailedOperation.IPBlocked"),
        DescribeEverythingErrorCode::FailedOperationIpBlocked
    );
    assert!(matches!(DescribeEverythingErrorCode::from("Nope"), DescribeEverythingErrorCode::Unknown(_)));
}

#[test]
fn action_error_enums_hold_their_codes_and_the_common_ones() {
    let codes: Vec<&str> = DescribeEverythingErrorCode::KNOWN.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        codes,
        ["FailedOperation.IPBlocked", "InternalError", "RequestLimitExceeded", "ResourceNotFound.Widget", "Unknown"]
    );
    assert_eq!(DescribeEverythingErrorCode::RequestLimitExceeded.retry_class(), Some(RetryClass::Throttling));
    assert_eq!(DescribeEverythingErrorCode::InternalError.retry_class(), Some(RetryClass::Transient));
    assert_eq!(DescribeEverythingErrorCode::ResourceNotFoundWidget.description(), Some("The widget does not exist."));
    // An action with service-wide errors uses the service enum itself.
    let _: ErrorCode = OldActionErrorCode::ResourceNotFoundWidget;
}

#[test]
fn eq_is_derived_only_without_floats() {
    fn is_eq<T: Eq>() {}
    is_eq::<Tag>();
    is_eq::<Node>();
    is_eq::<DescribeEverythingRequest>();
    // `ResultValue` and `Everything` hold floats: they are only `PartialEq`, which the line below
    // would not compile without.
    assert_ne!(
        ResultValue::builder().ok(true).score(f64::NAN).build().unwrap(),
        ResultValue::builder().ok(true).score(f64::NAN).build().unwrap()
    );
}

#[test]
fn the_catalogue_carries_defaults_limits_and_flags() {
    let everything = match catalog::action("DescribeEverything").unwrap().output[0].ty {
        TypeDescriptor::Structure(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(everything.name, "Everything");
    let member = |name: &str| everything.members.iter().find(|m| m.name == name).unwrap();
    assert_eq!(member("Count").default, Some(Literal::Int(-1)));
    assert_eq!(member("Count").limits.min, Some(-1.0));
    assert_eq!(member("Count").limits.max, Some(100.0));
    assert_eq!(member("Size").default, Some(Literal::UInt(10)));
    assert_eq!(member("Ratio").default, Some(Literal::Float(0.5)));
    assert_eq!(member("Enabled").default, Some(Literal::Bool(true)));
    assert_eq!(member("Color").default, Some(Literal::Str("red")));
    assert_eq!(member("Names").limits.max_items, Some(3));
    assert_eq!(member("Payload").json, Some(JsonPayload::Any));
    assert_eq!(member("Labels").json, Some(JsonPayload::StringMap));
    assert!(member("Secret").sensitive);
    assert_eq!(member("OldField").deprecated, Some("Use `Text`."));
    assert!(matches!(member("Tags").ty, TypeDescriptor::List(TypeDescriptor::Structure(s)) if s.rust_name == "Tag"));
    let outcome = match member("Outcome").ty {
        TypeDescriptor::Structure(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!((outcome.name, outcome.rust_name), ("Result", "ResultValue"));
    let old = catalog::action("OldAction").unwrap();
    assert!(old.service_wide_errors);
    assert_eq!(old.deprecated, Some("Use `DescribeEverything`."));
    assert!(catalog::action("DescribeEverything").unwrap().idempotent);
}

#[test]
fn emitted_deserialize_skips_unknown_members_and_names_missing_ones() {
    let tag: Tag = serde_json::from_value(json!({"Key": "k", "Value": null, "Surprise": {"deep": [1]}})).unwrap();
    assert_eq!((tag.key.as_str(), tag.value), ("k", None));
    let err = serde_json::from_str::<Tag>(r#"{"Value": "v"}"#).unwrap_err();
    assert!(err.to_string().starts_with("missing field `Key`"), "{err}");
    let err = serde_json::from_str::<Tag>(r#"{"Key": 7}"#).unwrap_err();
    assert!(err.to_string().starts_with("invalid type: integer `7`, expected a string"), "{err}");
    let err = serde_json::from_str::<Tag>(r#"["k", "v"]"#).unwrap_err();
    assert!(err.to_string().contains("expected a `Tag` object"), "{err}");
    let request: DescribeEverythingRequest =
        serde_json::from_str(r#"{"Id":"a1","Filter":"{\"x\":\"y\"}","Tags":[{"Key":"k","Value":"v"}]}"#).unwrap();
    assert_eq!(request.filter.get("x").map(String::as_str), Some("y"));
    let err = serde_json::from_str::<DescribeEverythingRequest>(r#"{"Id":"a1","Filter":"not json"}"#).unwrap_err();
    assert!(err.to_string().contains("does not hold the expected JSON"), "{err}");
}
