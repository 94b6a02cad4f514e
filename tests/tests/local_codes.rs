//! Every error code an scf-local handler declares (its action's contract) is asserted by some test
//! in the situation that produces it. The situations no other test meets are here; the last test
//! checks the whole set against the suite's sources, so a code added later without a test fails it.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::collections::BTreeSet;
use std::path::Path;

use scf_tests::local::{self, FunctionSpec, RawRequest, create_function, error_code};
use serde_json::{Value, json};

const HELLO: &str = "def main_handler(event, context):\n    return 'hello'\n";

#[tokio::test]
async fn codes_no_other_test_meets_appear_in_their_situations() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("hello", HELLO)).await;
    let emulator = &emulator;
    let call = |action: &'static str, params: Value| async move {
        let response = RawRequest::new(emulator, action, &params).send(emulator).await;
        assert!(response["RequestId"].is_string(), "{response}");
        error_code(&response).map(str::to_owned)
    };
    client.publish_version().function_name("hello").send().await.unwrap();
    let zip = json!({"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="});
    let big_environment: Vec<Value> =
        (0..10).map(|i| json!({"Key": format!("VARIABLE_{i}"), "Value": "x".repeat(500)})).collect();
    let routing = json!({
        "AdditionalVersionWeights": [{"Version": "1", "Weight": 0.5}],
        "AddtionVersionMatchs": [{"Version": "1", "Key": "invoke.headers.User", "Method": "exact", "Expression": "a"}],
    });
    let cases: [(&str, &str, Value); 12] = [
        (
            "InvalidParameterValue.Name",
            "CreateAlias",
            json!({"FunctionName": "hello", "Name": "9-starts-with-a-digit", "FunctionVersion": "$LATEST"}),
        ),
        ("InvalidParameterValue.Order", "GetFunctionLogs", json!({"FunctionName": "hello", "Order": "sideways"})),
        ("InvalidParameterValue.OrderBy", "GetFunctionLogs", json!({"FunctionName": "hello", "OrderBy": "colour"})),
        (
            "InvalidParameterValue.RetCode",
            "GetFunctionLogs",
            json!({"FunctionName": "hello", "Filter": {"RetCode": "Sometimes"}}),
        ),
        (
            "MissingParameter.Code",
            "CreateFunction",
            json!({"FunctionName": "codeless", "Runtime": "Python3.9", "Code": {}}),
        ),
        (
            "ResourceNotFound.AsyncEvent",
            "GetAsyncEventStatus",
            json!({"InvokeRequestId": "00000000-0000-0000-0000-000000000000"}),
        ),
        (
            "ResourceNotFound.Namespace",
            "CreateFunction",
            json!({"FunctionName": "homeless", "Runtime": "Python3.9", "Namespace": "nowhere", "Code": zip}),
        ),
        ("InvalidParameterValue.NamespaceInvalid", "CreateNamespace", json!({"Namespace": "not a name!"})),
        (
            "InvalidParameterValue.EnvironmentExceededLimit",
            "UpdateFunctionConfiguration",
            json!({"FunctionName": "hello", "Environment": {"Variables": big_environment}}),
        ),
        (
            "InvalidParameterValue.PublicNetConfig",
            "CreateFunction",
            json!({"FunctionName": "offline", "Runtime": "Python3.9", "Code": zip, "PublicNetConfig": {"PublicNetStatus": "DISABLE"}}),
        ),
        // The SDK refuses an unknown order before sending; the emulator does too.
        ("InvalidParameterValue.Order", "ListTriggers", json!({"FunctionName": "hello", "Order": "SIDEWAYS"})),
        (
            "InvalidParameterValue.RoutingConfig",
            "CreateAlias",
            json!({"FunctionName": "hello", "Name": "both", "FunctionVersion": "$LATEST", "RoutingConfig": routing}),
        ),
    ];
    for (code, action, params) in cases {
        assert_eq!(call(action, params.clone()).await.as_deref(), Some(code), "{action} {params}");
    }
}

/// The string literals of the integration tests' sources: where a code is asserted.
fn suite_sources() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut text = String::new();
    for dir in ["tests/tests", "scf-cli/tests", "scf-local/tests"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    text
}

#[test]
fn every_code_a_handler_declares_is_asserted_by_a_test() {
    let sources = suite_sources();
    let declared = scf_local::fuzzing::declared_codes();
    assert!(declared.len() >= 40, "only {} codes declared: is the list read?", declared.len());
    let unasserted: BTreeSet<String> = declared
        .iter()
        .filter(|(code, _)| !sources.contains(&format!("\"{code}\"")))
        .map(|(code, actions)| format!("{code} (answered by {})", actions.join(", ")))
        .collect();
    assert!(unasserted.is_empty(), "codes scf-local answers that no test asserts: {unasserted:#?}");
}
