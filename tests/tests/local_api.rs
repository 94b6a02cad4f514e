//! `scf-local`'s API front, over real HTTP: signatures, timestamps, version, region, action,
//! parameters and body limits are checked before any action runs, and every error comes in the
//! API 3.0 envelope with a `RequestId`, in the language asked for.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use scf_local::{AccessKey, EmulatorConfig};
use scf_sdk::ErrorCode;
use scf_sdk::runtime::{Error, HttpMethod};
use scf_tests::local::{self, RawRequest, error_code};
use serde_json::json;

#[tokio::test]
async fn a_signed_request_is_answered_with_a_request_id() {
    let (emulator, _) = local::start().await;
    let response = RawRequest::new(&emulator, "ListFunctions", &json!({})).send(&emulator).await;
    assert_eq!(response["TotalCount"], 0);
    assert_eq!(response["Functions"], json!([]));
    assert_eq!(response["RequestId"].as_str().unwrap().len(), 36);
    // Members come in the API's order, as the service sends them.
    let request = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    let text = local::send_text(request.build(&emulator.endpoint_url(), None)).await;
    assert!(text.starts_with(r#"{"Response":{"Functions":[],"TotalCount":0,"RequestId":""#), "{text}");
}

#[tokio::test]
async fn a_tampered_body_fails_the_signature() {
    let (emulator, _) = local::start().await;
    let request = RawRequest::new(&emulator, "ListFunctions", &json!({"Limit": 1}));
    let tampered = request.build(&emulator.endpoint_url(), Some(br#"{"Limit":2}"#));
    let response = local::send(tampered).await;
    assert_eq!(error_code(&response), Some("AuthFailure.SignatureFailure"));
    assert!(response["RequestId"].is_string());
}

#[tokio::test]
async fn an_expired_timestamp_a_wrong_key_and_an_unknown_id_are_refused() {
    let (emulator, _) = local::start().await;
    let mut expired = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    expired.timestamp -= 301;
    let response = expired.send(&emulator).await;
    assert_eq!(error_code(&response), Some("AuthFailure.SignatureExpire"));
    assert!(response["Error"]["Message"].as_str().unwrap().contains("more than 5 minutes"), "{response}");

    let mut just_in_time = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    just_in_time.timestamp -= 290;
    assert_eq!(error_code(&just_in_time.send(&emulator).await), None);

    let mut wrong_key = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    wrong_key.secret_key = "not-the-key".into();
    assert_eq!(error_code(&wrong_key.send(&emulator).await), Some("AuthFailure.SignatureFailure"));

    let mut unknown_id = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    unknown_id.secret_id = "AKIDnobody".into();
    assert_eq!(error_code(&unknown_id.send(&emulator).await), Some("AuthFailure.SecretIdNotFound"));

    let mut unsigned = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    unsigned.extra_headers.push(("Authorization", String::new()));
    assert_eq!(error_code(&unsigned.send(&emulator).await), Some("AuthFailure.InvalidAuthorization"));
}

#[tokio::test]
async fn sts_tokens_are_required_when_configured() {
    let key = AccessKey { secret_id: "AKIDsts".into(), secret_key: "sts-key".into(), token: Some("session".into()) };
    let (emulator, client) = local::start_with(EmulatorConfig::default().key(key)).await;
    // The emulator's own client sends the token.
    client.list_functions().send().await.unwrap();
    let mut without = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    assert_eq!(error_code(&without.send(&emulator).await), Some("AuthFailure.TokenFailure"));
    without.extra_headers.push(("X-TC-Token", "wrong".into()));
    assert_eq!(error_code(&without.send(&emulator).await), Some("AuthFailure.TokenFailure"));
}

#[tokio::test]
async fn version_region_and_action_are_checked_in_that_order() {
    let (emulator, _) = local::start().await;
    let mut request = RawRequest::new(&emulator, "NoSuchAction", &json!({}));
    request.version = "2017-01-01".into();
    request.region = "mars-1".into();
    assert_eq!(error_code(&request.send(&emulator).await), Some("NoSuchVersion"));
    request.version = "2018-04-16".into();
    assert_eq!(error_code(&request.send(&emulator).await), Some("InvalidAction"));
    request.action = "ListFunctions".into();
    let response = request.send(&emulator).await;
    assert_eq!(error_code(&response), Some("UnsupportedRegion"));
    assert!(response["Error"]["Message"].as_str().unwrap().contains("mars-1"));
}

#[tokio::test]
async fn every_region_of_the_service_is_accepted() {
    let (emulator, _) = local::start().await;
    assert_eq!(scf_sdk::catalog::SERVICE.regions.len(), 17);
    for region in scf_sdk::catalog::SERVICE.regions {
        let mut request = RawRequest::new(&emulator, "ListNamespaces", &json!({}));
        request.region = (*region).into();
        assert_eq!(error_code(&request.send(&emulator).await), None, "{region}");
    }
}

#[tokio::test]
async fn parameters_are_checked_against_the_action() {
    let (emulator, _) = local::start().await;
    let unknown = RawRequest::new(&emulator, "ListFunctions", &json!({"Bogus": 1})).send(&emulator).await;
    assert_eq!(error_code(&unknown), Some("UnknownParameter"));
    assert!(unknown["Error"]["Message"].as_str().unwrap().contains("`Bogus`"), "{unknown}");

    let wrong_type = RawRequest::new(&emulator, "ListFunctions", &json!({"Limit": "ten"})).send(&emulator).await;
    // The action lists a code of its own for a bad `Limit`.
    assert_eq!(error_code(&wrong_type), Some("InvalidParameterValue.Limit"));
    assert!(wrong_type["Error"]["Message"].as_str().unwrap().contains("Limit"), "{wrong_type}");

    let missing = RawRequest::new(&emulator, "InvokeFunction", &json!({})).send(&emulator).await;
    assert_eq!(error_code(&missing), Some("MissingParameter"));
    assert!(missing["Error"]["Message"].as_str().unwrap().contains("FunctionName"), "{missing}");

    let mut not_json = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    not_json.body = b"{not json".to_vec();
    assert_eq!(error_code(&not_json.send(&emulator).await), Some("InvalidParameter"));
}

#[tokio::test]
async fn a_body_over_10_mb_is_refused() {
    let (emulator, _) = local::start().await;
    let mut request = RawRequest::new(&emulator, "ListFunctions", &json!({}));
    request.body = vec![b' '; 10 * 1024 * 1024 + 1];
    assert_eq!(error_code(&request.send(&emulator).await), Some("RequestSizeLimitExceeded"));
}

#[tokio::test]
async fn messages_come_in_the_language_asked_for() {
    let (emulator, _) = local::start().await;
    let mut request = RawRequest::new(&emulator, "GetFunction", &json!({"FunctionName": "missing"}));
    let english = request.send(&emulator).await;
    assert_eq!(error_code(&english), Some("ResourceNotFound.Function"));
    assert!(english["Error"]["Message"].as_str().unwrap().contains("does not exist"), "{english}");
    request.language = None;
    let chinese = request.send(&emulator).await;
    assert!(chinese["Error"]["Message"].as_str().unwrap().contains("不存在"), "{chinese}");
}

#[tokio::test]
async fn actions_the_emulator_does_not_run_say_what_it_supports() {
    let (emulator, client) = local::start().await;
    let error = client.get_account().send().await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("UnsupportedOperation"));
    let message = error.to_string();
    for supported in ["InvokeFunction", "CreateFunction", "ListAliases", "GetFunctionLogs"] {
        assert!(message.contains(supported), "{message}");
    }
    drop(emulator);
}

#[tokio::test]
async fn get_requests_are_answered_like_post_requests() {
    let (emulator, _) = local::start().await;
    let client = scf_sdk::Client::new(emulator.config_builder().http_method(HttpMethod::Get).build()).unwrap();
    client.create_namespace().namespace("by-get").description("a b&c=d").send().await.unwrap();
    let listed = client.list_namespaces().limit(10).order("ASC").send().await.unwrap();
    let names: Vec<&str> = listed.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let created = listed.namespaces.iter().find(|n| n.name == "by-get").unwrap();
    assert_eq!(created.description, "a b&c=d", "query values are decoded");
}

#[tokio::test]
async fn the_sdk_sees_service_errors_as_typed_errors() {
    let (_emulator, client) = local::start().await;
    let error = client.invoke_function().function_name("missing").send().await.unwrap_err();
    let Error::Service(service) = &error else { panic!("{error:?}") };
    assert_eq!(service.code, scf_sdk::actions::InvokeFunctionErrorCode::ResourceNotFoundFunctionName);
    assert_eq!(service.request_id.len(), 36);
    assert_eq!(ErrorCode::from(error.code().unwrap().as_str()), ErrorCode::ResourceNotFoundFunctionName);
}
