//! Managing functions on `scf-local` through `scf-sdk`: functions, code, configuration, versions,
//! aliases, namespaces, logs and code addresses, with the service's errors for the wrong cases.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::Duration;

use scf_local::{EmulatorConfig, package};
use scf_sdk::types::{Code, Filter, FunctionStatus, LogFilter, RoutingConfig, VersionWeight};
use scf_tests::local::{self, FunctionSpec, create_function, wait_active};

const V1: &str = "def main_handler(event, context):\n    print('running v1')\n    return 'v1'\n";

fn code(source: &str) -> Code {
    let zip = package::zip_files(&[("index.py", source)]).unwrap();
    Code::builder().zip_file(package::to_base64(&zip)).build().unwrap()
}

fn code_of<E: scf_sdk::runtime::ActionErrorCode>(error: scf_sdk::runtime::Error<E>) -> String {
    error.code().map(|c| c.as_str().to_owned()).unwrap_or_else(|| panic!("not a service error: {error}"))
}

#[tokio::test]
async fn functions_are_created_and_described() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("alpha", V1).timeout(7).memory(256)).await;

    let function = client.get_function().function_name("alpha").show_code("TRUE").send().await.unwrap();
    assert_eq!(function.function_name, "alpha");
    assert_eq!(function.runtime.as_deref(), Some("Python3.9"));
    assert_eq!(function.handler, "index.main_handler");
    assert_eq!((function.timeout, function.memory_size), (7, 256));
    assert_eq!(function.status, FunctionStatus::Active);
    assert_eq!(function.namespace, "default");
    assert_eq!(function.function_version, "$LATEST");
    assert_eq!(function.code_info, V1, "ShowCode returns the handler's source");
    assert!(function.code_size > 0);

    let again =
        client.create_function().function_name("alpha").runtime("Python3.9").code(code(V1)).send().await.unwrap_err();
    assert_eq!(code_of(again), "ResourceInUse.Function");
}

#[tokio::test]
async fn functions_are_listed_paged_searched_and_filtered() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("alpha", V1)).await;
    create_function(&client, FunctionSpec::python("beta", V1)).await;
    let all = client.list_functions().send().await.unwrap();
    assert_eq!(all.total_count, 2);
    let page = client.list_functions().limit(1).offset(1).order("ASC").orderby("FunctionName").send().await.unwrap();
    assert_eq!(page.total_count, 2);
    assert_eq!(page.functions.iter().map(|f| f.function_name.as_str()).collect::<Vec<_>>(), ["beta"]);
    let searched = client.list_functions().search_key("alp").send().await.unwrap();
    assert_eq!(searched.functions.len(), 1);
    let filtered = client
        .list_functions()
        .filters([Filter::builder().name("Runtime").values(["Nodejs18.15"]).build().unwrap()])
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.total_count, 0);
}

#[tokio::test]
async fn configuration_and_code_are_updated_and_bad_values_refused() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("alpha", V1).timeout(7).memory(256)).await;
    client
        .update_function_configuration()
        .function_name("alpha")
        .timeout(9)
        .description("configured")
        .send()
        .await
        .unwrap();
    wait_active(&client, "alpha", None).await;
    let updated = client.get_function().function_name("alpha").send().await.unwrap();
    assert_eq!((updated.timeout, updated.description.as_str()), (9, "configured"));
    let bad_memory = client.update_function_configuration().function_name("alpha").memory_size(100).send().await;
    assert_eq!(code_of(bad_memory.unwrap_err()), "InvalidParameterValue.MemorySize");
    let bad_runtime = client.update_function_configuration().function_name("alpha").runtime("Go1").send().await;
    assert_eq!(code_of(bad_runtime.unwrap_err()), "InvalidParameterValue.Runtime");

    let v2 = "def main_handler(event, context):\n    return 'v2'\n";
    client.update_function_code().function_name("alpha").code(code(v2)).send().await.unwrap();
    wait_active(&client, "alpha", None).await;
    let result = client.invoke_function().function_name("alpha").send().await.unwrap().result;
    assert_eq!(result.ret_msg, "\"v2\"");
}

#[tokio::test]
async fn a_deleted_function_is_gone_and_the_others_stay() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("alpha", V1)).await;
    create_function(&client, FunctionSpec::python("beta", V1)).await;
    client.delete_function().function_name("alpha").send().await.unwrap();
    let gone = client.get_function().function_name("alpha").send().await.unwrap_err();
    assert_eq!(code_of(gone), "ResourceNotFound.Function");
    assert_eq!(client.list_functions().send().await.unwrap().total_count, 1);
}

#[tokio::test]
async fn bad_code_packages_are_refused_with_the_reason() {
    let (_emulator, client) = local::start().await;
    let not_base64 = Code::builder().zip_file("%%%").build().unwrap();
    let error =
        client.create_function().function_name("fn1").runtime("Python3.9").code(not_base64).send().await.unwrap_err();
    assert_eq!(code_of(error), "InvalidParameterValue.ZipFile");
    let not_zip = Code::builder().zip_file(package::to_base64(b"plain text")).build().unwrap();
    let error =
        client.create_function().function_name("fn1").runtime("Python3.9").code(not_zip).send().await.unwrap_err();
    assert_eq!(code_of(error), "InvalidParameterValue.Code");
    let from_cos = Code::builder().cos_bucket_name("bucket").cos_object_name("/code.zip").build().unwrap();
    let error =
        client.create_function().function_name("fn1").runtime("Python3.9").code(from_cos).send().await.unwrap_err();
    assert_eq!(code_of(error), "UnsupportedOperation");
    assert_eq!(client.list_functions().send().await.unwrap().total_count, 0, "nothing half-created");
}

#[tokio::test]
async fn environment_variables_are_checked() {
    let (_emulator, client) = local::start().await;
    let environment = |key: &str| {
        scf_sdk::types::Environment::builder()
            .variables([scf_sdk::types::Variable::builder().key(key).value("v").build().unwrap()])
            .build()
            .unwrap()
    };
    let reserved = client
        .create_function()
        .function_name("fn1")
        .runtime("Python3.9")
        .code(code(V1))
        .environment(environment("SCF_X"))
        .send()
        .await;
    assert_eq!(code_of(reserved.unwrap_err()), "InvalidParameterValue.EnvironmentSystemProtect");
    let invalid = client
        .create_function()
        .function_name("fn1")
        .runtime("Python3.9")
        .code(code(V1))
        .environment(environment("9x"))
        .send()
        .await;
    assert_eq!(code_of(invalid.unwrap_err()), "InvalidParameterValue.Environment");
}

#[tokio::test]
async fn a_deploying_function_refuses_changes_until_active() {
    let (_emulator, client) =
        local::start_with(EmulatorConfig::default().activation_delay(Duration::from_secs(3))).await;
    client.create_function().function_name("slow").runtime("Python3.9").code(code(V1)).send().await.unwrap();
    assert_eq!(client.get_function().function_name("slow").send().await.unwrap().status, FunctionStatus::Creating);
    let refused = client.update_function_code().function_name("slow").code(code(V1)).send().await.unwrap_err();
    assert_eq!(code_of(refused), "FailedOperation.FunctionStatusError");
    wait_active(&client, "slow", None).await;
    client.update_function_code().function_name("slow").code(code(V1)).send().await.unwrap();
    assert_eq!(client.get_function().function_name("slow").send().await.unwrap().status, FunctionStatus::Updating);
}

#[tokio::test]
async fn versions_are_published_listed_and_deleted() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("versioned", V1)).await;
    let published = client.publish_version().function_name("versioned").description("first").send().await.unwrap();
    assert_eq!(published.function_version, "1");
    assert_eq!(published.description, "first");
    assert_eq!(client.publish_version().function_name("versioned").send().await.unwrap().function_version, "2");
    let listed = client.list_version_by_function().function_name("versioned").send().await.unwrap();
    assert_eq!(listed.function_version, ["$LATEST", "1", "2"]);
    assert_eq!(listed.total_count, 3);
    let one = client.get_function().function_name("versioned").qualifier("1").send().await.unwrap();
    assert_eq!(one.function_version, "1");

    client.delete_function_version().function_name("versioned").qualifier("2").send().await.unwrap();
    let missing = client.get_function().function_name("versioned").qualifier("2").send().await.unwrap_err();
    assert_eq!(code_of(missing), "ResourceNotFound.Version");
    assert_eq!(
        client.publish_version().function_name("versioned").send().await.unwrap().function_version,
        "3",
        "never reused"
    );
    let latest = client.delete_function_version().function_name("versioned").qualifier("$LATEST").send().await;
    assert_eq!(code_of(latest.unwrap_err()), "InvalidParameterValue.Qualifier");
}

#[tokio::test]
async fn aliases_are_created_read_updated_listed_and_deleted() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("aliased", V1)).await;
    client.publish_version().function_name("aliased").send().await.unwrap();
    client.publish_version().function_name("aliased").send().await.unwrap();
    let weights = RoutingConfig::builder()
        .additional_version_weights([VersionWeight::builder().version("2").weight(0.25).build().unwrap()])
        .build()
        .unwrap();
    client
        .create_alias()
        .function_name("aliased")
        .name("canary")
        .function_version("1")
        .routing_config(weights)
        .description("a quarter to v2")
        .send()
        .await
        .unwrap();
    let alias = client.get_alias().function_name("aliased").name("canary").send().await.unwrap();
    assert_eq!(alias.function_version, "1");
    assert_eq!(alias.description, "a quarter to v2");
    let routed = alias.routing_config.additional_version_weights.unwrap();
    assert_eq!((routed[0].version.as_str(), routed[0].weight), ("2", 0.25));

    let duplicate = client.create_alias().function_name("aliased").name("canary").function_version("1").send().await;
    assert_eq!(code_of(duplicate.unwrap_err()), "ResourceInUse.Alias");
    let to_nowhere = client.create_alias().function_name("aliased").name("other").function_version("9").send().await;
    assert_eq!(code_of(to_nowhere.unwrap_err()), "ResourceNotFound.FunctionVersion");
    let in_use = client.delete_function_version().function_name("aliased").qualifier("2").send().await;
    assert_eq!(code_of(in_use.unwrap_err()), "UnsupportedOperation.AliasBind");

    client.update_alias().function_name("aliased").name("canary").function_version("2").send().await.unwrap();
    assert_eq!(client.get_alias().function_name("aliased").name("canary").send().await.unwrap().function_version, "2");
    let listed = client.list_aliases().function_name("aliased").send().await.unwrap();
    let names: Vec<&str> = listed.aliases.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["$DEFAULT", "canary"]);
    assert_eq!(listed.total_count, 2);

    client.delete_alias().function_name("aliased").name("canary").send().await.unwrap();
    let gone = client.get_alias().function_name("aliased").name("canary").send().await.unwrap_err();
    assert_eq!(code_of(gone), "ResourceNotFound.Alias");
    let default = client.delete_alias().function_name("aliased").name("$DEFAULT").send().await;
    assert_eq!(code_of(default.unwrap_err()), "InvalidParameterValue.Alias");
}

#[tokio::test]
async fn namespaces_hold_their_own_functions() {
    let (_emulator, client) = local::start().await;
    client.create_namespace().namespace("team-a").description("Team A").send().await.unwrap();
    let duplicate = client.create_namespace().namespace("team-a").send().await.unwrap_err();
    assert_eq!(code_of(duplicate), "ResourceInUse.Namespace");
    let default = client.create_namespace().namespace("default").send().await.unwrap_err();
    assert_eq!(code_of(default), "InvalidParameterValue.DefaultNamespace");
    create_function(&client, FunctionSpec::python("same-name", V1).namespace("team-a")).await;
    create_function(&client, FunctionSpec::python("same-name", V1)).await;
    let in_a = client.list_functions().namespace("team-a").send().await.unwrap();
    assert_eq!(in_a.total_count, 1);
    let ret =
        client.invoke_function().function_name("same-name").namespace("team-a").send().await.unwrap().result.ret_msg;
    assert_eq!(ret, "\"v1\"");

    client.update_namespace().namespace("team-a").description("Team A, renamed").send().await.unwrap();
    let listed = client.list_namespaces().send().await.unwrap();
    assert_eq!(listed.total_count, 2);
    let team_a = listed.namespaces.iter().find(|n| n.name == "team-a").unwrap();
    assert_eq!(team_a.description, "Team A, renamed");

    let busy = client.delete_namespace().namespace("team-a").send().await.unwrap_err();
    assert_eq!(code_of(busy), "ResourceInUse.Namespace");
    client.delete_function().function_name("same-name").namespace("team-a").send().await.unwrap();
    client.delete_namespace().namespace("team-a").send().await.unwrap();
    let undeletable = client.delete_namespace().namespace("default").send().await.unwrap_err();
    assert_eq!(code_of(undeletable), "FailedOperation.DeleteNamespace");
}

#[tokio::test]
#[allow(deprecated)] // GetFunctionLogs: offline on the service, kept by the emulator.
async fn invocation_logs_are_kept_and_filtered() {
    let (_emulator, client) = local::start().await;
    let source = "def main_handler(event, context):\n    print('handling', event.get('n'))\n    if event.get('fail'):\n        raise RuntimeError('failed on purpose')\n    return event.get('n')\n";
    create_function(&client, FunctionSpec::python("logged", source)).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let event = serde_json::json!({"n": n, "fail": n == 1});
        let result =
            client.invoke_function().function_name("logged").event_from(&event).unwrap().send().await.unwrap().result;
        ids.push(result.function_request_id);
    }
    let logs = client.get_function_logs().function_name("logged").send().await.unwrap();
    assert_eq!(logs.total_count, 3);
    assert_eq!(logs.data[0].request_id, ids[2], "newest first");
    assert!(logs.data[0].log.contains("handling 2"), "{}", logs.data[0].log);
    assert_eq!(logs.data[0].ret_code, 0);
    let failed = client
        .get_function_logs()
        .function_name("logged")
        .filter(LogFilter::builder().ret_code("not0").build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(failed.total_count, 1);
    assert_eq!(failed.data[0].request_id, ids[1]);
    assert_eq!(failed.data[0].ret_code, 430);
    let one = client.get_function_logs().function_name("logged").function_request_id(&ids[0]).send().await.unwrap();
    assert_eq!(one.data.len(), 1);
    let window = client.get_function_logs().function_name("logged").start_time("2000-01-01 00:00:00").send().await;
    assert_eq!(code_of(window.unwrap_err()), "InvalidParameterValue.StartTimeOrEndTime");
}

#[tokio::test]
async fn code_can_be_downloaded_from_its_address() {
    let (emulator, client) = local::start().await;
    let zip = package::zip_files(&[("index.py", V1)]).unwrap();
    client
        .create_function()
        .function_name("downloadable")
        .runtime("Python3.9")
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    wait_active(&client, "downloadable", None).await;
    let address = client.get_function_address().function_name("downloadable").send().await.unwrap();
    assert!(address.url.starts_with(&emulator.endpoint_url()), "{}", address.url);
    let request = scf_sdk::runtime::HttpRequest {
        method: scf_sdk::runtime::HttpMethod::Get,
        url: address.url.clone(),
        headers: Vec::new(),
        body: Default::default(),
    };
    let settings = scf_sdk::runtime::TransportSettings {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        max_response_bytes: 1 << 20,
    };
    use scf_sdk::runtime::Transport as _;
    let downloaded = scf_sdk::runtime::ReqwestTransport::new(settings).unwrap().send(request).await.unwrap();
    assert_eq!(downloaded.status, 200);
    assert_eq!(downloaded.body.as_ref(), zip.as_slice(), "the package as uploaded");
    use sha2::Digest as _;
    let sha: String = sha2::Sha256::digest(&zip).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(address.code_sha256, sha);
}

#[tokio::test]
async fn version_numbers_are_only_written_one_way() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("canonical", V1)).await;
    client.publish_version().function_name("canonical").send().await.unwrap();
    client.create_alias().function_name("canonical").name("live").function_version("1").send().await.unwrap();
    // `01` is not another name for version 1: it names no version at all.
    let padded = client.delete_function_version().function_name("canonical").qualifier("01").send().await;
    assert_eq!(code_of(padded.unwrap_err()), "ResourceNotFound.Qualifier");
    let invoked = client.invoke_function().function_name("canonical").qualifier("live").send().await.unwrap();
    assert_eq!(invoked.result.ret_msg, "\"v1\"");
}

#[tokio::test]
async fn handlers_must_name_a_file_inside_the_package() {
    let (_emulator, client) = local::start().await;
    for handler in ["../../etc/passwd.x", "/abs/index.main", "index", "index.", ".main"] {
        let error = client
            .create_function()
            .function_name("escape")
            .runtime("Python3.9")
            .handler(handler)
            .code(code(V1))
            .send()
            .await;
        assert_eq!(code_of(error.unwrap_err()), "InvalidParameterValue.Handler", "{handler}");
    }
    let nested = "def main_handler(event, context):\n    return 'nested'\n";
    let zip = package::zip_files(&[("src/app.py", nested)]).unwrap();
    client
        .create_function()
        .function_name("nested")
        .runtime("Python3.9")
        .handler("src/app.main_handler")
        .code(Code::builder().zip_file(package::to_base64(&zip)).build().unwrap())
        .send()
        .await
        .unwrap();
    wait_active(&client, "nested", None).await;
    let result = client.invoke_function().function_name("nested").send().await.unwrap().result;
    assert_eq!(result.ret_msg, "\"nested\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_of_one_function_stay_consistent() {
    let temp = scf_tests::TempDir::new("races");
    let dir = temp.join("data");
    {
        let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
        // Two creations of one name: exactly one succeeds.
        let creations: Vec<_> = (0..2)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client.create_function().function_name("raced").runtime("Python3.9").code(code(V1)).send().await
                })
            })
            .collect();
        let mut succeeded = 0;
        for creation in creations {
            match creation.await.unwrap() {
                Ok(_) => succeeded += 1,
                Err(error) => assert_eq!(code_of(error), "ResourceInUse.Function"),
            }
        }
        assert_eq!(succeeded, 1);
        // An update racing a delete: whichever comes second sees the other's result.
        let update = {
            let client = client.clone();
            tokio::spawn(
                async move { client.update_function_code().function_name("raced").code(code(V1)).send().await },
            )
        };
        let delete = client.delete_function().function_name("raced").send().await;
        let update = update.await.unwrap();
        // Changes run one at a time: the delete always succeeds (an update leaves the function
        // active at once), and an update that comes second finds no function.
        assert!(delete.is_ok(), "{delete:?}");
        if let Err(error) = update {
            assert_eq!(code_of(error), "ResourceNotFound.Function");
        }
        emulator.shutdown(Duration::from_secs(1)).await;
    }
    // What is on disk is what the emulator said.
    let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
    let listed = client.list_functions().send().await.unwrap();
    assert_eq!(listed.total_count, 0, "the delete won, whatever the order: {:?}", listed.functions);
    drop(emulator);
    scf_local::remove_data_dir(&dir).unwrap();
}
