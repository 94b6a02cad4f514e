//! Paginators and waiters against `scf-local`: 120 functions listed 20 at a time, each once;
//! `FunctionActive` through a deployment delay, `FunctionDeleted`, `AsyncEventFinished` for an
//! event that finishes and one that fails.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::collections::BTreeSet;
use std::time::Duration;

use scf_local::{EmulatorConfig, package};
use scf_sdk::actions::GetFunctionErrorCode;
use scf_sdk::runtime::WaitErrorKind;
use scf_sdk::types::{AsyncEventState, Code, FunctionStatus, InvocationType};
use scf_tests::local::{self, FunctionSpec, create_function};

const NOOP: &str = "def main_handler(event, context):\n    return 'ok'\n";

#[tokio::test]
async fn a_paginator_lists_120_functions_20_at_a_time_each_once() {
    let (_emulator, client) = local::start().await;
    let zip = package::zip_files(&[("index.py", NOOP)]).unwrap();
    let code = Code::builder().zip_file(package::to_base64(&zip)).build().unwrap();
    for i in 0..120 {
        client
            .create_function()
            .function_name(format!("fn-{i:03}"))
            .runtime("Python3.9")
            .handler("index.main_handler")
            .code(code.clone())
            .send()
            .await
            .unwrap();
    }
    let mut pages = client.list_functions().into_paginator().page_size(20);
    let mut sizes = Vec::new();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert_eq!(page.total_count, 120);
        sizes.push(page.functions.len());
        names.extend(page.functions.into_iter().map(|f| f.function_name));
    }
    assert_eq!(sizes, [20; 6]);
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!((names.len(), unique.len()), (120, 120), "all 120 came back, each once");

    // Items across pages, with the description's page size (20 for ListFunctions).
    let functions = client.list_functions().into_paginator().items().try_collect().await.unwrap();
    assert_eq!(functions.len(), 120);
    // From an offset set on the request.
    let rest = client.list_functions().offset(110).into_paginator().items().try_collect().await.unwrap();
    assert_eq!(rest.len(), 10);
}

#[tokio::test]
async fn function_active_waits_out_the_deployment_and_function_deleted_the_deletion() {
    let (_emulator, client) =
        local::start_with(EmulatorConfig::default().activation_delay(Duration::from_millis(600))).await;
    let zip = package::zip_files(&[("index.py", NOOP)]).unwrap();
    let code = Code::builder().zip_file(package::to_base64(&zip)).build().unwrap();
    client.create_function().function_name("slow").runtime("Python3.9").code(code).send().await.unwrap();
    assert_eq!(client.get_function().function_name("slow").send().await.unwrap().status, FunctionStatus::Creating);
    let statuses = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = statuses.clone();
    let function = client
        .wait_until_function_active()
        .function_name("slow")
        .min_delay(Duration::from_millis(50))
        .max_wait(Duration::from_secs(10))
        .on_poll(move |progress| seen.lock().unwrap().push(progress.status.map(str::to_owned)))
        .send()
        .await
        .unwrap();
    assert_eq!(function.status, FunctionStatus::Active);
    assert!(statuses.lock().unwrap().contains(&Some("Creating".to_owned())), "it was seen on the way");

    client.delete_function().function_name("slow").send().await.unwrap();
    client
        .wait_until_function_deleted()
        .function_name("slow")
        .min_delay(Duration::from_millis(50))
        .max_wait(Duration::from_secs(10))
        .send()
        .await
        .unwrap();

    // A function that does not exist is not waited for: the poll's error ends the wait.
    let error = client
        .wait_until_function_active()
        .function_name("nobody")
        .min_delay(Duration::from_millis(50))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.as_call_error().and_then(|e| e.code()),
            Some(GetFunctionErrorCode::ResourceNotFoundFunction | GetFunctionErrorCode::ResourceNotFoundFunctionName)
        ),
        "{error}"
    );
    assert_eq!(error.polls, 1);
}

#[tokio::test]
async fn async_event_finished_waits_for_the_event_and_reports_a_failed_one() {
    let (_emulator, client) = local::start().await;
    let source = "import time\n\ndef main_handler(event, context):\n    time.sleep(0.3)\n    if event.get('fail'):\n        raise Exception('asked to fail')\n    return 'done'\n";
    create_function(&client, FunctionSpec::python("worker", source).timeout(10)).await;
    let invoke = |event: serde_json::Value| {
        let client = client.clone();
        async move {
            let started = client
                .invoke()
                .function_name("worker")
                .invocation_type(InvocationType::Event)
                .client_context(event)
                .send();
            started.await.unwrap().result.function_request_id
        }
    };
    let id = invoke(serde_json::json!({})).await;
    let finished = client
        .wait_until_async_event_finished()
        .invoke_request_id(&id)
        .min_delay(Duration::from_millis(50))
        .max_wait(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert_eq!(finished.result.status, AsyncEventState::Finished);

    let id = invoke(serde_json::json!({"fail": true})).await;
    let error = client
        .wait_until_async_event_finished()
        .invoke_request_id(&id)
        .min_delay(Duration::from_millis(50))
        .max_wait(Duration::from_secs(20))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error.kind, WaitErrorKind::Failed { .. }), "{error}");
    assert_eq!(error.last_status.as_deref(), Some("FAILED"));
    assert!(
        error.to_string().starts_with("waiting for AsyncEventFinished: the status is `FAILED`, a failure"),
        "{error}"
    );
}
