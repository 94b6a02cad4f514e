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

/// The codes each test below produces, one list per test; together they must be the seed page's.
const REFUSED_REQUESTS: [&str; 8] = [
    "ResourceNotFound.FunctionName",
    "ResourceNotFound.Function",
    "ResourceNotFound.Qualifier",
    "InvalidParameter.FunctionName",
    "InvalidParameterValue",
    "InvalidParameterValue.Param",
    "InvalidParameterValue.ClientContext",
    "InvalidParameter.RequestTooLarge",
];
const FUNCTIONS_THAT_CANNOT_RUN: [&str; 2] = ["InvalidParameterValue.FunctionType", "FailedOperation.InvokeFunction"];
const INJECTED_FAULTS: [&str; 6] = [
    "InternalError",
    "InternalError.System",
    "LimitExceeded.Quota",
    "ResourceUnavailable.InsufficientBalance",
    "ResourceUnavailable.ServiceSuspended",
    "UnauthorizedOperation.CAM",
];
const DEPLOYING: [&str; 1] = ["FailedOperation.FunctionStatusError"];

#[test]
fn the_tests_below_produce_every_seed_code_and_only_those() {
    let produced: Vec<&str> =
        [&REFUSED_REQUESTS[..], &FUNCTIONS_THAT_CANNOT_RUN, &INJECTED_FAULTS, &DEPLOYING].concat();
    let unique: BTreeSet<&str> = produced.iter().copied().collect();
    assert_eq!(unique.len(), produced.len(), "a code listed twice: {produced:?}");
    let listed: BTreeSet<&str> = catalog::action("InvokeFunction").unwrap().errors.iter().copied().collect();
    assert_eq!(listed.len(), 17);
    assert_eq!(unique, listed, "every code of the seed page, and only those");
}

/// Checks answers against their expected codes and reports every mismatch at the end, so one
/// wrong answer does not hide the others.
#[derive(Default)]
struct Answers {
    seen: Vec<String>,
    wrong: Vec<String>,
}

impl Answers {
    fn expect(&mut self, code: &str, response: Value) {
        if error_code(&response) == Some(code) && response["RequestId"].is_string() {
            self.seen.push(code.to_owned());
        } else {
            self.wrong.push(format!("expected {code}, got {response}"));
        }
    }

    fn assert_exactly(self, codes: &[&str]) {
        assert!(self.wrong.is_empty(), "{} wrong answer(s):\n{}", self.wrong.len(), self.wrong.join("\n"));
        assert_eq!(self.seen, codes);
    }
}

async fn invoke(emulator: &scf_local::Emulator, params: Value) -> Value {
    RawRequest::new(emulator, "InvokeFunction", &params).send(emulator).await
}

async fn create(client: &scf_sdk::Client, name: &str, runtime: &str, type_: Option<&str>, files: &[(&str, &str)]) {
    let zip = scf_local::package::zip_files(files).unwrap();
    let mut request = client
        .create_function()
        .function_name(name)
        .runtime(runtime)
        .code(scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap());
    if let Some(type_) = type_ {
        request = request.type_(type_);
    }
    request.send().await.unwrap();
}

#[tokio::test]
async fn requests_the_emulator_refuses() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("hello", HELLO)).await;
    let big_event = json!({"data": "x".repeat(6 * 1024 * 1024)}).to_string();
    let cases = [
        json!({"FunctionName": "nobody"}),
        json!({"FunctionName": "hello", "Namespace": "nowhere"}),
        json!({"FunctionName": "hello", "Qualifier": "7"}),
        json!({"FunctionName": "1-starts-with-a-digit"}),
        json!({"FunctionName": "hello", "LogType": "Head"}),
        json!({"FunctionName": "hello", "Event": "{not json"}),
        json!({"FunctionName": "hello", "Event": "[1, 2]"}),
        json!({"FunctionName": "hello", "Event": big_event}),
    ];
    let mut answers = Answers::default();
    for (code, params) in REFUSED_REQUESTS.iter().zip(cases) {
        answers.expect(code, invoke(&emulator, params).await);
    }
    answers.assert_exactly(&REFUSED_REQUESTS);
}

#[tokio::test]
async fn functions_that_cannot_run_an_event() {
    let (emulator, client) = local::start().await;
    let mut answers = Answers::default();
    // A web function cannot be invoked with an event.
    create(&client, "web", "Python3.9", Some("HTTP"), &[("scf_bootstrap", "#!/bin/sh\n")]).await;
    local::wait_active(&client, "web", None).await;
    answers.expect("InvalidParameterValue.FunctionType", invoke(&emulator, json!({"FunctionName": "web"})).await);

    // A custom runtime without a `bootstrap` cannot be started.
    create(&client, "no-bootstrap", "CustomRuntime", None, &[("index.py", HELLO)]).await;
    local::wait_active(&client, "no-bootstrap", None).await;
    let response = invoke(&emulator, json!({"FunctionName": "no-bootstrap"})).await;
    let message = response["Error"]["Message"].as_str().unwrap_or_default().to_owned();
    answers.expect("FailedOperation.InvokeFunction", response);
    answers.assert_exactly(&FUNCTIONS_THAT_CANNOT_RUN);
    assert!(message.contains("bootstrap"), "{message}");
}

#[tokio::test]
async fn what_only_fault_injection_can_produce() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("hello", HELLO)).await;
    create_function(&client, FunctionSpec::python("other", HELLO)).await;
    let mut answers = Answers::default();
    for code in INJECTED_FAULTS {
        // Each fault applies once, and to `hello` only.
        emulator.faults().inject(Fault::new(code).for_function("hello").times(1));
        let other = invoke(&emulator, json!({"FunctionName": "other"})).await;
        assert_eq!(other["Result"]["RetMsg"], "\"hello\"", "{code} reached another function: {other}");
        answers.expect(code, invoke(&emulator, json!({"FunctionName": "hello"})).await);
        let response = invoke(&emulator, json!({"FunctionName": "hello"})).await;
        assert_eq!(response["Result"]["RetMsg"], "\"hello\"", "{code} was not used up: {response}");
    }
    answers.assert_exactly(&INJECTED_FAULTS);
}

#[tokio::test]
async fn a_function_that_is_still_deploying() {
    let (emulator, client) =
        local::start_with(EmulatorConfig::default().activation_delay(Duration::from_secs(30))).await;
    create(&client, "deploying", "Python3.9", None, &[("index.py", HELLO)]).await;
    let status = client.get_function().function_name("deploying").send().await.unwrap().status;
    assert_eq!(status, FunctionStatus::Creating);
    let mut answers = Answers::default();
    answers
        .expect("FailedOperation.FunctionStatusError", invoke(&emulator, json!({"FunctionName": "deploying"})).await);
    answers.assert_exactly(&DEPLOYING);
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
