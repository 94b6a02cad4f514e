//! Each of the 17 error codes the seed page (`InvokeFunction.md`) lists, produced by `scf-local` in
//! the situation the page describes — or, where the emulator cannot meet the situation itself
//! (balance, suspension, CAM, quota, internal errors), by fault injection.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::collections::BTreeSet;
use std::time::Duration;

use scf_local::{EmulatorConfig, Fault};
use scf_sdk::catalog;
use scf_sdk::runtime::RetryPolicy;
use scf_sdk::types::FunctionStatus;
use scf_tests::local::{self, FunctionSpec, RawRequest, create_function, error_code};
use serde_json::{Value, json};

const HELLO: &str = "def main_handler(event, context):\n    return 'hello'\n";

#[tokio::test]
async fn every_seed_code_appears_in_its_situation() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("hello", HELLO)).await;
    let emulator = &emulator;
    let invoke = |params: Value| {
        let request = RawRequest::new(emulator, "InvokeFunction", &params);
        async move { request.send(emulator).await }
    };
    let mut seen = BTreeSet::new();
    let mut expect = |code: &str, response: Value| {
        assert_eq!(error_code(&response), Some(code), "{response}");
        assert!(response["RequestId"].is_string());
        seen.insert(code.to_owned());
    };

    // Requests the emulator itself refuses.
    expect("ResourceNotFound.FunctionName", invoke(json!({"FunctionName": "nobody"})).await);
    expect("ResourceNotFound.Function", invoke(json!({"FunctionName": "hello", "Namespace": "nowhere"})).await);
    expect("ResourceNotFound.Qualifier", invoke(json!({"FunctionName": "hello", "Qualifier": "7"})).await);
    expect("InvalidParameter.FunctionName", invoke(json!({"FunctionName": "1-starts-with-a-digit"})).await);
    expect("InvalidParameterValue", invoke(json!({"FunctionName": "hello", "LogType": "Head"})).await);
    expect("InvalidParameterValue.Param", invoke(json!({"FunctionName": "hello", "Event": "{not json"})).await);
    expect("InvalidParameterValue.ClientContext", invoke(json!({"FunctionName": "hello", "Event": "[1, 2]"})).await);
    let big_event = json!({"data": "x".repeat(6 * 1024 * 1024)}).to_string();
    expect("InvalidParameter.RequestTooLarge", invoke(json!({"FunctionName": "hello", "Event": big_event})).await);

    // A web function cannot be invoked with an event.
    let zip = scf_local::package::zip_files(&[("scf_bootstrap", "#!/bin/sh\n")]).unwrap();
    client
        .create_function()
        .function_name("web")
        .type_("HTTP")
        .runtime("Python3.9")
        .code(scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "web", None).await;
    expect("InvalidParameterValue.FunctionType", invoke(json!({"FunctionName": "web"})).await);

    // A custom runtime without a `bootstrap` cannot be started.
    let zip = scf_local::package::zip_files(&[("index.py", HELLO)]).unwrap();
    client
        .create_function()
        .function_name("no-bootstrap")
        .runtime("CustomRuntime")
        .code(scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    local::wait_active(&client, "no-bootstrap", None).await;
    let response = invoke(json!({"FunctionName": "no-bootstrap"})).await;
    assert!(response["Error"]["Message"].as_str().unwrap().contains("bootstrap"), "{response}");
    expect("FailedOperation.InvokeFunction", response);

    // What only fault injection can produce; each fault applies once, to `hello` only.
    for code in [
        "InternalError",
        "InternalError.System",
        "LimitExceeded.Quota",
        "ResourceUnavailable.InsufficientBalance",
        "ResourceUnavailable.ServiceSuspended",
        "UnauthorizedOperation.CAM",
    ] {
        emulator.faults().inject(Fault::new(code).for_function("hello").times(1));
        expect(code, invoke(json!({"FunctionName": "hello"})).await);
        // Used up: the next call runs.
        let response = invoke(json!({"FunctionName": "hello"})).await;
        assert_eq!(response["Result"]["RetMsg"], "\"hello\"", "{response}");
    }

    // A function that is still deploying.
    let (slow_emulator, slow_client) =
        local::start_with(EmulatorConfig::default().activation_delay(Duration::from_secs(30))).await;
    let zip = scf_local::package::zip_files(&[("index.py", HELLO)]).unwrap();
    slow_client
        .create_function()
        .function_name("deploying")
        .runtime("Python3.9")
        .code(scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    let status = slow_client.get_function().function_name("deploying").send().await.unwrap().status;
    assert_eq!(status, FunctionStatus::Creating);
    let response = RawRequest::new(&slow_emulator, "InvokeFunction", &json!({"FunctionName": "deploying"}))
        .send(&slow_emulator)
        .await;
    expect("FailedOperation.FunctionStatusError", response);

    let listed: BTreeSet<String> =
        catalog::action("InvokeFunction").unwrap().errors.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(listed.len(), 17);
    assert_eq!(seen, listed, "every code of the seed page, and only those");
}

#[tokio::test]
async fn faults_can_target_any_action_and_be_cleared() {
    let (emulator, _) = local::start_with(
        EmulatorConfig::default().fault("RequestLimitExceeded@ListFunctions".parse::<Fault>().unwrap()),
    )
    .await;
    // Without retries: the SDK would retry a throttling code.
    let client = scf_sdk::Client::new(emulator.config_builder().retry_policy(RetryPolicy::disabled()).build()).unwrap();
    let error = client.list_functions().send().await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("RequestLimitExceeded"));
    emulator.faults().clear();
    client.list_functions().send().await.unwrap();
}
