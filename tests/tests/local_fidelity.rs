//! scf-local answers as the service does: resources kept per region, asynchronous invocations
//! traceable by the id `Invoke` returns, version numbers per function lifetime.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::{Duration, Instant};

use scf_local::Emulator;
use scf_sdk::Client;
use scf_sdk::types::{AsyncEventState, InvocationType};
use scf_tests::local::{self, FunctionSpec, create_function};

fn client_in(emulator: &Emulator, region: &str) -> Client {
    Client::new(emulator.config_builder().region(region).build()).unwrap()
}

const WHERE: &str = "import os\n\ndef main_handler(event, context):\n    return os.environ['TENCENTCLOUD_REGION']\n";

#[tokio::test]
async fn each_region_keeps_its_own_functions_and_namespaces() {
    let (emulator, guangzhou) = local::start().await;
    let shanghai = client_in(&emulator, "ap-shanghai");
    create_function(&guangzhou, FunctionSpec::python("same-name", WHERE)).await;
    assert_eq!(shanghai.list_functions().send().await.unwrap().total_count, 0, "not listed in another region");
    let missing = shanghai.get_function().function_name("same-name").send().await.unwrap_err();
    assert_eq!(missing.code().unwrap().as_str(), "ResourceNotFound.Function");
    // The same name is free in another region.
    create_function(&shanghai, FunctionSpec::python("same-name", WHERE)).await;
    let invoke = |client: &Client| {
        let client = client.clone();
        async move { client.invoke_function().function_name("same-name").send().await.unwrap().result.ret_msg }
    };
    assert_eq!(invoke(&guangzhou).await, "\"ap-guangzhou\"");
    assert_eq!(invoke(&shanghai).await, "\"ap-shanghai\"");
    // Namespaces too: `default` everywhere, others where they were made.
    guangzhou.create_namespace().namespace("team").send().await.unwrap();
    let names = |client: &Client| {
        let client = client.clone();
        async move {
            let listed = client.list_namespaces().send().await.unwrap();
            listed.namespaces.iter().map(|n| n.name.clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(&shanghai).await, ["default"]);
    assert!(names(&guangzhou).await.contains(&"team".to_owned()));
    shanghai.create_namespace().namespace("team").send().await.unwrap();
    // Deleting in one region leaves the other's.
    guangzhou.delete_function().function_name("same-name").send().await.unwrap();
    assert_eq!(invoke(&shanghai).await, "\"ap-shanghai\"");
    assert_eq!(guangzhou.list_functions().send().await.unwrap().total_count, 0);
}

#[tokio::test]
async fn the_id_invoke_returns_names_the_log_record_and_the_event() {
    let (_emulator, client) = local::start().await;
    let source = "import time\n\ndef main_handler(event, context):\n    print('working')\n    time.sleep(event.get('sleep', 0))\n    return 'done'\n";
    create_function(&client, FunctionSpec::python("traced", source).timeout(30)).await;
    let started = client.invoke().function_name("traced").invocation_type(InvocationType::Event).send().await.unwrap();
    let id = started.result.function_request_id;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get_async_event_status().invoke_request_id(&id).send().await.unwrap().result.status
        == AsyncEventState::Running
    {
        assert!(Instant::now() < deadline, "the event did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    #[allow(deprecated)]
    let logs = client.get_function_logs().function_name("traced").function_request_id(&id).send().await.unwrap();
    assert_eq!(logs.total_count, 1, "one record, under the id Invoke returned");
    assert_eq!(logs.data[0].request_id, id);
    assert!(logs.data[0].log.contains("working"), "{}", logs.data[0].log);
    let listed = client.list_async_events().function_name("traced").send().await.unwrap();
    assert_eq!(listed.event_list[0].invoke_request_id, id);

    // A terminated event leaves its record too, with its status.
    let long = client
        .invoke()
        .function_name("traced")
        .invocation_type(InvocationType::Event)
        .client_context(serde_json::json!({"sleep": 20}))
        .send()
        .await
        .unwrap()
        .result
        .function_request_id;
    client.terminate_async_event().function_name("traced").invoke_request_id(&long).send().await.unwrap();
    #[allow(deprecated)]
    let logs = client.get_function_logs().function_name("traced").function_request_id(&long).send().await.unwrap();
    assert_eq!(logs.total_count, 1);
    assert_eq!(logs.data[0].ret_code, 499, "{:?}", logs.data[0]);
}

#[tokio::test]
async fn version_numbers_start_at_one_for_each_function_made() {
    let (_emulator, client) = local::start().await;
    let source = "def main_handler(e, c):\n    return 1\n";
    create_function(&client, FunctionSpec::python("numbered", source)).await;
    for expected in ["1", "2"] {
        let published = client.publish_version().function_name("numbered").send().await.unwrap();
        assert_eq!(published.function_version, expected);
    }
    client.delete_function().function_name("numbered").send().await.unwrap();
    create_function(&client, FunctionSpec::python("numbered", source)).await;
    let published = client.publish_version().function_name("numbered").send().await.unwrap();
    assert_eq!(published.function_version, "1", "a new function, numbered from 1");
}

/// The error code of a call the SDK sends (its `Display` starts with the code).
fn code_of<T: std::fmt::Debug, C: scf_sdk::runtime::ActionErrorCode>(
    result: Result<T, scf_sdk::runtime::Error<C>>,
) -> String {
    let error = result.expect_err("the call must fail");
    error.code().map(|c| c.as_str().to_owned()).unwrap_or_else(|| format!("not a service error: {error}"))
}

/// The error code of a request signed by hand (for what the SDK refuses to send).
async fn raw_code(emulator: &Emulator, action: &str, body: serde_json::Value) -> String {
    let response = scf_tests::local::RawRequest::new(emulator, action, &body).send(emulator).await;
    scf_tests::local::error_code(&response).unwrap_or("none").to_owned()
}

const ONE: &str = "def main_handler(e, c):\n    return 1\n";

#[tokio::test]
async fn each_mistake_gets_the_code_its_action_documents() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("coded", ONE)).await;
    client.publish_version().function_name("coded").send().await.unwrap();
    client.create_alias().function_name("coded").name("live").function_version("1").send().await.unwrap();
    // DeleteFunction of a version an alias routes to, and of a version that does not exist.
    let bound = client.delete_function().function_name("coded").qualifier("1").send().await;
    assert_eq!(code_of(bound), "UnsupportedOperation.AliasBind");
    let missing = client.delete_function().function_name("coded").qualifier("9").send().await;
    assert_eq!(code_of(missing), "ResourceNotFound.Qualifier");
    // The `$DEFAULT` alias cannot be deleted.
    let default = client.delete_alias().function_name("coded").name("$DEFAULT").send().await;
    assert_eq!(code_of(default), "InvalidParameterValue.Alias");
    // An alias to a version that does not exist.
    let create = client.create_alias().function_name("coded").name("gone").function_version("7").send().await;
    assert_eq!(code_of(create), "ResourceNotFound.FunctionVersion");
    let update = client.update_alias().function_name("coded").name("live").function_version("7").send().await;
    assert_eq!(code_of(update), "ResourceNotFound.FunctionVersion");
    // A timeout over the maximum (the SDK refuses to send it, so by hand).
    let body = serde_json::json!({"FunctionName": "coded", "Timeout": 901});
    assert_eq!(raw_code(&emulator, "UpdateFunctionConfiguration", body).await, "LimitExceeded.Timeout");
    // A namespace search on an unknown key.
    let key = scf_sdk::types::SearchKey::builder().key("Owner").value("x").build().unwrap();
    assert_eq!(code_of(client.list_namespaces().search_key([key]).send().await), "InvalidParameterValue.SearchKey");
}

#[tokio::test]
async fn changes_while_a_function_updates_get_the_actions_own_codes() {
    let config = scf_local::EmulatorConfig::default().activation_delay(Duration::from_secs(30));
    let (_emulator, client) = local::start_with(config).await;
    let zip = scf_local::package::zip_files(&[("index.py", ONE)]).unwrap();
    let code = scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap();
    client.create_function().function_name("busy").runtime("Python3.9").code(code).send().await.unwrap();
    let publish = client.publish_version().function_name("busy").send().await;
    assert_eq!(code_of(publish), "FailedOperation.PublishVersion");
    let configure = client.update_function_configuration().function_name("busy").memory_size(256).send().await;
    assert_eq!(code_of(configure), "FailedOperation.UpdateFunctionConfiguration");
}

#[tokio::test]
async fn tags_and_async_run_are_kept_returned_and_filtered_on() {
    let (_emulator, client) = local::start().await;
    let zip = scf_local::package::zip_files(&[("index.py", ONE)]).unwrap();
    let code = || scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap();
    let tag = |k: &str, v: &str| scf_sdk::types::Tag::builder().key(k).value(v).build().unwrap();
    client
        .create_function()
        .function_name("tagged")
        .runtime("Python3.9")
        .code(code())
        .tags([tag("team", "blue")])
        .async_run_enable(scf_sdk::types::Switch::True)
        .send()
        .await
        .unwrap();
    client.create_function().function_name("plain").runtime("Python3.9").code(code()).send().await.unwrap();
    let got = client.get_function().function_name("tagged").send().await.unwrap();
    assert_eq!(got.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect::<Vec<_>>(), [("team", "blue")]);
    assert_eq!(got.async_run_enable, scf_sdk::types::Switch::True);
    let filter = |name: &str, value: &str| {
        scf_sdk::types::Filter::builder().name(name).values([value.to_owned()]).build().unwrap()
    };
    let names = |filters: Vec<scf_sdk::types::Filter>| {
        let client = client.clone();
        async move {
            let listed = client.list_functions().filters(filters).send().await.unwrap();
            listed.functions.iter().map(|f| f.function_name.clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(vec![filter("tag-team", "blue")]).await, ["tagged"]);
    assert_eq!(names(vec![filter("AsyncRunEnable", "TRUE")]).await, ["tagged"]);
    assert_eq!(names(vec![filter("AsyncRunEnable", "FALSE")]).await, ["plain"]);
    assert!(names(vec![filter("VpcId", "vpc-1")]).await.is_empty(), "no local function is in a VPC");
    let unknown = client.list_functions().filters([filter("Colour", "red")]).send().await;
    assert_eq!(code_of(unknown), "InvalidParameterValue");
    let negative = client.list_functions().offset(-1).send().await;
    assert_eq!(code_of(negative), "InvalidParameterValue.Offset");
}

#[tokio::test]
async fn what_the_emulator_cannot_do_is_refused_by_name_and_nothing_is_dropped() {
    let (_emulator, client) = local::start().await;
    let zip = scf_local::package::zip_files(&[("index.py", ONE)]).unwrap();
    let code = || scf_sdk::types::Code::builder().zip_file(scf_local::package::to_base64(&zip)).build().unwrap();
    let vpc = scf_sdk::types::VpcConfig::builder().vpc_id("vpc-1").subnet_id("subnet-1").build().unwrap();
    let refused = client
        .create_function()
        .function_name("in-vpc")
        .runtime("Python3.9")
        .code(code())
        .vpc_config(vpc)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code().unwrap().as_str(), "UnsupportedOperation.VpcConfig", "the action's own code for it");
    assert!(refused.to_string().contains("`VpcConfig`"), "{refused}");
    let cfs = scf_sdk::types::CfsConfig::builder()
        .cfs_ins_list([scf_sdk::types::CfsInsInfo::builder()
            .user_id("1")
            .user_group_id("1")
            .cfs_id("cfs-1")
            .mount_ins_id("m-1")
            .local_mount_dir("/mnt")
            .remote_mount_dir("/")
            .build()
            .unwrap()])
        .build()
        .unwrap();
    let refused = client
        .create_function()
        .function_name("cfs")
        .runtime("Python3.9")
        .code(code())
        .cfs_config(cfs)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code().unwrap().as_str(), "UnsupportedOperation");
    assert!(refused.to_string().contains("`CfsConfig`"), "{refused}");
    // Empty, it asks for nothing: accepted.
    let empty = scf_sdk::types::VpcConfig::builder().vpc_id("").subnet_id("").build().unwrap();
    client
        .create_function()
        .function_name("no-vpc")
        .runtime("Python3.9")
        .code(code())
        .vpc_config(empty)
        .send()
        .await
        .unwrap();
    // Without `Runtime` the service would use Python 2.7, which does not run here: said clearly.
    let defaulted = client.create_function().function_name("py27").code(code()).send().await.unwrap_err();
    assert_eq!(defaulted.code().unwrap().as_str(), "MissingParameter.Runtime");
    assert!(defaulted.to_string().contains("Python2.7"), "{defaulted}");
}

#[tokio::test]
async fn log_windows_and_event_times_follow_the_documented_formats() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("timed", ONE)).await;
    #[allow(deprecated)]
    let logs = |start: &str, end: &str| {
        let client = client.clone();
        let (start, end) = (start.to_owned(), end.to_owned());
        async move { client.get_function_logs().function_name("timed").start_time(start).end_time(end).send().await }
    };
    assert_eq!(
        code_of(logs("2025-01-01 00:00:00", "2025-01-03 00:00:00").await),
        "InvalidParameterValue.StartTimeOrEndTime"
    );
    assert_eq!(code_of(logs("yesterday", "today").await), "InvalidParameterValue.DateTime");
    assert!(logs("2025-01-01 00:00:00", "2025-01-01 23:59:59").await.is_ok());

    let id = client
        .invoke()
        .function_name("timed")
        .invocation_type(InvocationType::Event)
        .send()
        .await
        .unwrap()
        .result
        .function_request_id;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get_async_event_status().invoke_request_id(&id).send().await.unwrap().result.status
        == AsyncEventState::Running
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = client.list_async_events().function_name("timed").send().await.unwrap();
    let event = &listed.event_list[0];
    // `%Y-%m-%d %H:%M:%S.%f`
    assert_eq!(event.start_time.len(), 26, "{}", event.start_time);
    assert_eq!(&event.start_time[19..20], ".", "{}", event.start_time);
    let interval =
        |start: &str, end: &str| scf_sdk::types::TimeInterval::builder().start(start).end(end).build().unwrap();
    let day = &event.start_time[..10];
    let within = client
        .list_async_events()
        .function_name("timed")
        .start_time_interval(interval(&format!("{day} 00:00:00"), "2999-01-01 00:00:00"))
        .send()
        .await
        .unwrap();
    assert_eq!(within.total_count, 1);
    let before = client
        .list_async_events()
        .function_name("timed")
        .start_time_interval(interval("2000-01-01 00:00:00", &format!("{day} 00:00:00")))
        .send()
        .await
        .unwrap();
    assert_eq!(before.total_count, 0);
}

#[tokio::test]
async fn stack_traces_show_the_services_paths_not_the_hosts() {
    let (emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("raising", "def main_handler(e, c):\n    raise ValueError('no')\n"))
        .await;
    let response =
        client.invoke_function().function_name("raising").log_type(scf_sdk::types::LogType::Tail).send().await.unwrap();
    let data_dir = emulator.data_dir().display().to_string();
    assert!(response.result.ret_msg.contains("/var/user/index.py"), "{}", response.result.ret_msg);
    assert!(!response.result.ret_msg.contains(&data_dir), "{}", response.result.ret_msg);
    assert!(!response.result.log.contains(&data_dir), "{}", response.result.log);
}

#[tokio::test]
async fn ignore_sys_log_leaves_the_functions_own_output() {
    let (_emulator, client) = local::start().await;
    create_function(
        &client,
        FunctionSpec::python("quiet", "def main_handler(e, c):\n    print('mine')\n    return 1\n"),
    )
    .await;
    client.update_function_configuration().function_name("quiet").ignore_sys_log(true).send().await.unwrap();
    local::wait_active(&client, "quiet", None).await;
    let response =
        client.invoke_function().function_name("quiet").log_type(scf_sdk::types::LogType::Tail).send().await.unwrap();
    assert_eq!(response.result.log, "mine\n");
}
