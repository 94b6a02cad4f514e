//! `InvokeFunction` end to end through the generated types: the request's wire JSON, the official
//! example response, regions, error codes, and the catch-all cases. The expected values are those of
//! the seed page (`InvokeFunction.md`), written out here.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use scf_sdk::actions::{InvokeFunctionErrorCode, InvokeFunctionRequest, InvokeFunctionResponse};
use scf_sdk::runtime::{Action, ActionErrorCode, RetryClass};
use scf_sdk::types::LogType;
use scf_sdk::{ErrorCode, Region, catalog};
use serde_json::json;

#[test]
fn minimal_request_is_just_the_function_name() {
    let request = InvokeFunctionRequest::builder().function_name("hello").build().unwrap();
    assert_eq!(serde_json::to_string(&request).unwrap(), r#"{"FunctionName":"hello"}"#);
}

#[test]
fn full_request_serialises_to_the_exact_wire_json() {
    let request = InvokeFunctionRequest::builder()
        .function_name("hello")
        .qualifier("$LATEST")
        .event(json!({"key": "value"}))
        .log_type(LogType::Tail)
        .namespace("default")
        .routing_key([("k", "v")])
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"FunctionName":"hello","Qualifier":"$LATEST","Event":"{\"key\":\"value\"}","LogType":"Tail","Namespace":"default","RoutingKey":"{\"k\":\"v\"}"}"#
    );
    // And back: what the emulator will do with it.
    let decoded: InvokeFunctionRequest = serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
    assert_eq!(decoded, request);
}

#[test]
fn a_missing_function_name_is_named_by_the_builder() {
    let error = InvokeFunctionRequest::builder().qualifier("1").build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build `InvokeFunctionRequest`: the required member `FunctionName` is not set"
    );
}

#[test]
fn event_and_routing_key_that_are_not_the_promised_json_fail_to_decode() {
    let err = serde_json::from_str::<InvokeFunctionRequest>(r#"{"FunctionName":"f","Event":"{oops"}"#).unwrap_err();
    assert!(err.to_string().contains("does not hold the expected JSON"), "{err}");
    let err =
        serde_json::from_str::<InvokeFunctionRequest>(r#"{"FunctionName":"f","RoutingKey":"{\"k\":1}"}"#).unwrap_err();
    assert!(err.to_string().contains("does not hold the expected JSON"), "{err}");
}

#[test]
fn the_event_is_redacted_from_debug_output() {
    let request =
        InvokeFunctionRequest::builder().function_name("hello").event(json!({"password": "hunter2"})).build().unwrap();
    let debug = format!("{request:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

/// The example response of the seed page.
const EXAMPLE_RESPONSE: &str = r#"{
  "Response": {
    "Result": {
      "MemUsage": 3207168,
      "Log": "",
      "RetMsg": "hello from scf",
      "BillDuration": 100,
      "FunctionRequestId": "6add56fa-58f1-11e8-89a9-5254005d5fdb",
      "Duration": 0.826,
      "ErrMsg": "",
      "InvokeResult": 0
    },
    "RequestId": "c2af8a64-c922-4d55-aee0-bd86a5c2cd12"
  }
}"#;

#[test]
#[allow(deprecated)] // `InvokeResult` is deprecated, and checked all the same.
fn the_official_example_response_deserialises_field_by_field() {
    let envelope: serde_json::Value = serde_json::from_str(EXAMPLE_RESPONSE).unwrap();
    let response: InvokeFunctionResponse = serde_json::from_value(envelope["Response"].clone()).unwrap();
    assert_eq!(response.request_id, "c2af8a64-c922-4d55-aee0-bd86a5c2cd12");
    let result = &response.result;
    assert_eq!(result.mem_usage, 3207168);
    assert_eq!(result.log, "");
    assert_eq!(result.ret_msg, "hello from scf");
    assert_eq!(result.bill_duration, 100);
    assert_eq!(result.function_request_id, "6add56fa-58f1-11e8-89a9-5254005d5fdb");
    assert_eq!(result.duration, 0.826);
    assert_eq!(result.err_msg, "");
    assert_eq!(result.invoke_result, Some(0));
    // Nothing is lost on the way back.
    assert_eq!(serde_json::to_value(&response).unwrap(), envelope["Response"]);
}

#[test]
fn unknown_response_fields_are_ignored_and_missing_ones_are_named() {
    let mut response: serde_json::Value = serde_json::from_str(EXAMPLE_RESPONSE).unwrap();
    response["Response"]["Surprise"] = json!(1);
    response["Response"]["Result"]["NewField"] = json!("x");
    serde_json::from_value::<InvokeFunctionResponse>(response["Response"].clone()).unwrap();

    response["Response"]["Result"].as_object_mut().unwrap().remove("RetMsg");
    let err = serde_json::from_value::<InvokeFunctionResponse>(response["Response"].clone()).unwrap_err();
    assert!(err.to_string().contains("missing field `RetMsg`"), "{err}");
}

const REGIONS: [(&str, Region); 17] = [
    ("ap-beijing", Region::ApBeijing),
    ("ap-chengdu", Region::ApChengdu),
    ("ap-chongqing", Region::ApChongqing),
    ("ap-guangzhou", Region::ApGuangzhou),
    ("ap-hongkong", Region::ApHongkong),
    ("ap-jakarta", Region::ApJakarta),
    ("ap-mumbai", Region::ApMumbai),
    ("ap-nanjing", Region::ApNanjing),
    ("ap-seoul", Region::ApSeoul),
    ("ap-shanghai", Region::ApShanghai),
    ("ap-shanghai-fsi", Region::ApShanghaiFsi),
    ("ap-shenzhen-fsi", Region::ApShenzhenFsi),
    ("ap-singapore", Region::ApSingapore),
    ("ap-tokyo", Region::ApTokyo),
    ("eu-frankfurt", Region::EuFrankfurt),
    ("na-siliconvalley", Region::NaSiliconvalley),
    ("sa-saopaulo", Region::SaSaopaulo),
];

#[test]
fn all_17_regions_round_trip() {
    assert_eq!(Region::KNOWN.len(), 17);
    for (id, region) in REGIONS {
        assert_eq!(id.parse::<Region>().unwrap(), region);
        assert_eq!(region.as_str(), id);
        assert_eq!(region.to_string(), id);
        assert_eq!(serde_json::to_value(&region).unwrap(), json!(id));
        assert_eq!(serde_json::from_value::<Region>(json!(id)).unwrap(), region);
        assert!(region.name().is_some_and(|n| !n.is_empty()));
        assert!(catalog::SERVICE.regions.contains(&id));
    }
    assert_eq!(Region::ApGuangzhou.name(), Some("Guangzhou"));
}

#[test]
fn an_unknown_region_parses_to_the_unknown_case() {
    let region: Region = "ap-newcity".parse().unwrap();
    assert!(matches!(&region, Region::Unknown(value) if value.as_str() == "ap-newcity"));
    assert_eq!(region.to_string(), "ap-newcity");
    assert_eq!(region.name(), None);
    assert_eq!(serde_json::from_value::<Region>(json!("ap-newcity")).unwrap(), region);
}

/// The 17 codes of the seed page.
const SEED_CODES: [&str; 17] = [
    "FailedOperation.FunctionStatusError",
    "FailedOperation.InvokeFunction",
    "InternalError",
    "InternalError.System",
    "InvalidParameter.FunctionName",
    "InvalidParameter.RequestTooLarge",
    "InvalidParameterValue",
    "InvalidParameterValue.ClientContext",
    "InvalidParameterValue.FunctionType",
    "InvalidParameterValue.Param",
    "LimitExceeded.Quota",
    "ResourceNotFound.Function",
    "ResourceNotFound.FunctionName",
    "ResourceNotFound.Qualifier",
    "ResourceUnavailable.InsufficientBalance",
    "ResourceUnavailable.ServiceSuspended",
    "UnauthorizedOperation.CAM",
];

#[test]
fn every_error_code_round_trips_and_is_described() {
    let known: Vec<&str> = InvokeFunctionErrorCode::KNOWN.iter().map(|c| c.as_str()).collect();
    for code in SEED_CODES {
        assert!(known.contains(&code), "{code} is missing from InvokeFunctionErrorCode");
    }
    for code in InvokeFunctionErrorCode::KNOWN {
        let text = code.as_str();
        assert_eq!(&InvokeFunctionErrorCode::from(text), code);
        assert_eq!(text.parse::<InvokeFunctionErrorCode>().unwrap(), *code);
        assert_eq!(code.to_string(), text);
        assert!(!matches!(code, InvokeFunctionErrorCode::Unknown(_)));
        assert!(ActionErrorCode::description(code).is_some_and(|d| !d.is_empty()), "{text} has no description");
        assert_eq!(ErrorCode::from(code).as_str(), text);
    }
    assert_eq!(InvokeFunctionErrorCode::ResourceNotFoundFunction.as_str(), "ResourceNotFound.Function");
    assert_eq!(
        ActionErrorCode::description(&InvokeFunctionErrorCode::ResourceNotFoundFunction),
        Some("The function does not exist.")
    );
}

#[test]
fn the_common_codes_are_part_of_every_action_enum() {
    for code in ErrorCode::KNOWN.iter().filter(|c| c.is_common()) {
        let action_code = InvokeFunctionErrorCode::from(code.as_str());
        assert!(!matches!(action_code, InvokeFunctionErrorCode::Unknown(_)), "{code} is not in the action enum");
    }
    assert_eq!(ErrorCode::KNOWN.iter().filter(|c| c.is_common()).count(), 38);
}

#[test]
fn retry_classes_come_from_the_spec() {
    use InvokeFunctionErrorCode as Code;
    for throttled in [
        Code::RequestLimitExceeded,
        Code::RequestLimitExceededUinLimitExceeded,
        Code::RequestLimitExceededGlobalRegionUinLimitExceeded,
        Code::RequestLimitExceededIpLimitExceeded,
    ] {
        assert_eq!(throttled.retry_class(), Some(RetryClass::Throttling), "{throttled}");
    }
    assert_eq!(Code::InternalError.retry_class(), Some(RetryClass::Transient));
    assert!(Code::InternalErrorSystem.is_retryable());
    assert!(!Code::ResourceNotFoundFunction.is_retryable());
    assert!(!Code::AuthFailureSignatureFailure.is_retryable());
}

#[test]
fn an_unknown_code_parses_to_the_unknown_case() {
    let code = InvokeFunctionErrorCode::from("FailedOperation.SomethingNew");
    assert!(matches!(&code, InvokeFunctionErrorCode::Unknown(v) if v.as_str() == "FailedOperation.SomethingNew"));
    assert_eq!(code.as_str(), "FailedOperation.SomethingNew");
    assert_eq!(ActionErrorCode::description(&code), None);
    assert!(!code.is_retryable());
}

#[test]
fn an_unknown_log_type_parses_to_the_unknown_case() {
    assert_eq!(serde_json::from_value::<LogType>(json!("Tail")).unwrap(), LogType::Tail);
    assert_eq!(serde_json::from_value::<LogType>(json!("None")).unwrap(), LogType::None);
    let other = serde_json::from_value::<LogType>(json!("Head")).unwrap();
    assert!(matches!(&other, LogType::Unknown(v) if v.as_str() == "Head"));
    assert_eq!(serde_json::to_value(&other).unwrap(), json!("Head"));
    assert_eq!(LogType::KNOWN, [LogType::None, LogType::Tail]);
}

#[test]
fn the_catalogue_describes_invoke_function() {
    let action = catalog::action("InvokeFunction").unwrap();
    assert!(std::ptr::eq(action, InvokeFunctionRequest::DESCRIPTOR));
    assert_eq!(action.service.version, "2018-04-16");
    assert_eq!(action.service.endpoint, "scf.tencentcloudapi.com");
    assert_eq!(action.service.regional_host("ap-guangzhou"), "scf.ap-guangzhou.tencentcloudapi.com");
    let names: Vec<&str> = action.input.iter().map(|m| m.name).collect();
    assert_eq!(names, ["FunctionName", "Qualifier", "Event", "LogType", "Namespace", "RoutingKey"]);
    assert!(action.input_member("FunctionName").unwrap().required);
    assert_eq!(action.input_member("Event").unwrap().limits.max_bytes, Some(6 * 1024 * 1024));
    assert_eq!(action.input_member("RoutingKey").unwrap().limits.max_bytes, Some(1024));
    assert_eq!(action.input_member("Qualifier").unwrap().default, Some(scf_sdk::runtime::Literal::Str("$DEFAULT")));
    assert_eq!(action.input_member("LogType").unwrap().default, Some(scf_sdk::runtime::Literal::Str("None")));
    assert_eq!(action.input_member("Namespace").unwrap().default, Some(scf_sdk::runtime::Literal::Str("default")));
    assert_eq!(action.errors.len(), 17);
    assert!(!action.idempotent, "InvokeFunction runs user code; it is not idempotent");
    let outputs: Vec<&str> = action.output.iter().map(|m| m.name).collect();
    assert_eq!(outputs, ["Result", "RequestId"]);
    assert!(catalog::action("NoSuchAction").is_none());

    struct Names(Vec<&'static str>);
    impl scf_sdk::runtime::ActionVisitor for Names {
        fn visit<A: Action>(&mut self) {
            self.0.push(A::DESCRIPTOR.name);
        }
    }
    let mut visited = Names(Vec::new());
    catalog::visit_actions(&mut visited);
    assert_eq!(visited.0, catalog::ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>());
}
