//! Layers on `scf-local` through `scf-sdk`: versions published, listed, described and deleted (per
//! region, numbers never reused), functions binding them (checked, shown, copied into published
//! versions), a Python function importing from them with the later layer winning, a layer in use
//! kept, and everything kept across a restart.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::Duration;

use scf_local::{EmulatorConfig, package};
use scf_sdk::Client;
use scf_sdk::types::{Code, LayerStatus, LayerVersionSimple};
use scf_tests::TempDir;
use scf_tests::local::{self, FunctionSpec, create_function, wait_active};

fn code_of<E: scf_sdk::runtime::ActionErrorCode>(error: scf_sdk::runtime::Error<E>) -> String {
    error.code().map(|c| c.as_str().to_owned()).unwrap_or_else(|| panic!("not a service error: {error}"))
}

fn zip_content(files: &[(&str, &str)]) -> Code {
    let zip = package::zip_files(files).unwrap();
    Code::builder().zip_file(package::to_base64(&zip)).build().unwrap()
}

/// Publishes a version of `name` holding `files`, compatible with `runtimes`; returns its number.
async fn publish(client: &Client, name: &str, runtimes: &[&str], files: &[(&str, &str)]) -> i64 {
    client
        .publish_layer_version()
        .layer_name(name)
        .compatible_runtimes(runtimes.iter().map(|r| (*r).to_owned()))
        .content(zip_content(files))
        .description(format!("{name} layer"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PublishLayerVersion {name}: {e}"))
        .layer_version
}

fn layer(name: &str, version: i64) -> LayerVersionSimple {
    LayerVersionSimple::builder().layer_name(name).layer_version(version).build().unwrap()
}

/// Binds `layers` to the function (replacing what it binds) and waits until it is `Active`.
async fn bind(client: &Client, function: &str, layers: Vec<LayerVersionSimple>) {
    client.update_function_configuration().function_name(function).layers(layers).send().await.unwrap();
    wait_active(client, function, None).await;
}

async fn invoke(client: &Client, function: &str, event: &str) -> scf_sdk::types::ResultValue {
    let event: serde_json::Value = serde_json::from_str(event).unwrap();
    client.invoke_function().function_name(function).event(event).log_type("Tail").send().await.unwrap().result
}

#[tokio::test]
async fn layer_versions_are_published_listed_described_and_deleted() {
    let (emulator, client) = local::start().await;
    assert_eq!(publish(&client, "shared", &["Python3.9"], &[("mymod.py", "V = 1\n")]).await, 1);
    assert_eq!(publish(&client, "shared", &["Python3.9", "Python3.10"], &[("mymod.py", "V = 2\n")]).await, 2);
    assert_eq!(publish(&client, "node-libs", &["Nodejs18.15"], &[("node_modules/x/index.js", "")]).await, 1);

    let all = client.list_layers().send().await.unwrap();
    assert_eq!(all.total_count, 2);
    let latest: Vec<(&str, i64)> = all.layers.iter().map(|l| (l.layer_name.as_str(), l.layer_version)).collect();
    assert_eq!(latest, [("node-libs", 1), ("shared", 2)], "each layer once, at its latest version");
    assert!(all.layers.iter().all(|l| l.status == LayerStatus::Active));
    let python = client.list_layers().compatible_runtime("Python3.9").send().await.unwrap();
    assert_eq!(python.layers.iter().map(|l| l.layer_name.as_str()).collect::<Vec<_>>(), ["shared"]);
    let only_v1 = client.list_layers().search_key("sha").send().await.unwrap();
    assert_eq!(only_v1.total_count, 1);
    let paged = client.list_layers().offset(1).limit(1).send().await.unwrap();
    assert_eq!((paged.total_count, paged.layers[0].layer_name.as_str()), (2, "shared"));
    let bad = client.list_layers().compatible_runtime("Cobol85").send().await.unwrap_err();
    assert_eq!(code_of(bad), "InvalidParameterValue.Runtime");

    let versions = client.list_layer_versions().layer_name("shared").send().await.unwrap();
    assert_eq!(versions.layer_versions.iter().map(|v| v.layer_version).collect::<Vec<_>>(), [2, 1], "newest first");
    let for_310 = client.list_layer_versions().layer_name("shared").compatible_runtime(["Python3.10".to_owned()]);
    assert_eq!(for_310.send().await.unwrap().layer_versions.len(), 1);
    let missing = client.list_layer_versions().layer_name("nothing").send().await.unwrap_err();
    assert_eq!(code_of(missing), "ResourceNotFound.Layer");

    let got = client.get_layer_version().layer_name("shared").layer_version(1).send().await.unwrap();
    assert_eq!((got.layer_name.as_str(), got.layer_version), ("shared", 1));
    assert_eq!(got.compatible_runtimes, ["Python3.9"]);
    assert_eq!(got.description, "shared layer");
    assert_eq!(got.status, LayerStatus::Active);
    use sha2::Digest as _;
    let zip = package::zip_files(&[("mymod.py", "V = 1\n")]).unwrap();
    let sha: String = sha2::Sha256::digest(&zip).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(got.code_sha256, sha);
    assert!(got.location.starts_with(&emulator.endpoint_url()), "{}", got.location);

    // Layers are per region.
    let shanghai = Client::new(emulator.config_builder().region("ap-shanghai").build()).unwrap();
    assert_eq!(shanghai.list_layers().send().await.unwrap().total_count, 0);
    let elsewhere = shanghai.get_layer_version().layer_name("shared").layer_version(1).send().await.unwrap_err();
    assert_eq!(code_of(elsewhere), "ResourceNotFound.LayerVersion");

    client.delete_layer_version().layer_name("shared").layer_version(2).send().await.unwrap();
    let gone = client.get_layer_version().layer_name("shared").layer_version(2).send().await.unwrap_err();
    assert_eq!(code_of(gone), "ResourceNotFound.LayerVersion");
    let again = client.delete_layer_version().layer_name("shared").layer_version(2).send().await.unwrap_err();
    assert_eq!(code_of(again), "ResourceNotFound.LayerVersion");
    assert_eq!(publish(&client, "shared", &["Python3.9"], &[("mymod.py", "V = 3\n")]).await, 3, "2 is not reused");
    client.delete_layer_version().layer_name("node-libs").layer_version(1).send().await.unwrap();
    assert_eq!(publish(&client, "node-libs", &["Nodejs18.15"], &[("a.js", "")]).await, 2, "not even when none is left");
}

#[tokio::test]
async fn bad_layer_content_and_runtimes_are_refused() {
    let (_emulator, client) = local::start().await;
    let publish = |runtimes: Vec<String>, content: Code| {
        client.publish_layer_version().layer_name("bad").compatible_runtimes(runtimes).content(content).send()
    };
    let python = || vec!["Python3.9".to_owned()];
    let unknown = publish(vec!["Python9.9".into()], zip_content(&[("a.py", "")])).await.unwrap_err();
    assert_eq!(code_of(unknown), "InvalidParameterValue.CompatibleRuntimes");
    let none = publish(Vec::new(), zip_content(&[("a.py", "")])).await.unwrap_err();
    assert_eq!(code_of(none), "InvalidParameterValue.CompatibleRuntimes");
    let not_base64 = publish(python(), Code::builder().zip_file("%%%").build().unwrap()).await.unwrap_err();
    assert_eq!(code_of(not_base64), "InvalidParameterValue.ZipFileBase64BinasciiError");
    let not_zip =
        publish(python(), Code::builder().zip_file(package::to_base64(b"text")).build().unwrap()).await.unwrap_err();
    assert_eq!(code_of(not_zip), "InvalidParameterValue.Content");
    let cos = Code::builder().cos_bucket_name("bucket").cos_object_name("/layer.zip").build().unwrap();
    assert_eq!(code_of(publish(python(), cos).await.unwrap_err()), "UnsupportedOperation");
    let relative = Code::builder().cos_object_name("layer-dir").build().unwrap();
    assert_eq!(code_of(publish(python(), relative).await.unwrap_err()), "InvalidParameterValue.CosObjectName");
    assert_eq!(client.list_layers().send().await.unwrap().total_count, 0, "nothing half-published");
}

/// The local-directory form: `Content.CosObjectName` naming an absolute directory, no bucket.
#[tokio::test]
async fn a_layer_is_published_from_a_local_directory() {
    let (_emulator, client) = local::start().await;
    let dir = TempDir::new("layer-dir");
    std::fs::write(dir.join("mymod.py"), "NAME = 'from a directory'\n").unwrap();
    let content = Code::builder().cos_object_name(dir.path().display().to_string()).build().unwrap();
    let published = client
        .publish_layer_version()
        .layer_name("local")
        .compatible_runtimes(["Python3.9".to_owned()])
        .content(content)
        .send()
        .await
        .unwrap();
    assert_eq!(published.layer_version, 1);
    let source = "import mymod\n\ndef main_handler(event, context):\n    return mymod.NAME\n";
    create_function(&client, FunctionSpec::python("from-dir", source)).await;
    bind(&client, "from-dir", vec![layer("local", 1)]).await;
    assert_eq!(invoke(&client, "from-dir", "{}").await.ret_msg, "\"from a directory\"");
}

const IMPORTER: &str = r#"import os
import mymod
import only_first


def main_handler(event, context):
    print("layer dir: " + os.environ["SCF_LOCAL_LAYER_DIR"])
    if event.get("fail"):
        mymod.fail()
    return {"mymod": mymod.NAME, "only_first": only_first.HERE, "opt_on_path": os.environ["SCF_LOCAL_LAYER_DIR"] in os.environ["PYTHONPATH"].split(":")}
"#;

fn layer_module(name: &str) -> String {
    format!("NAME = {name:?}\n\n\ndef fail():\n    raise ValueError('raised in a layer')\n")
}

/// A Python function imports modules from its layers (zipped at the layer's root, as SCF puts
/// `/opt` on `PYTHONPATH`); a later layer's file replaces an earlier one's; a change of layers
/// reaches the next invocation; paths show as `/opt`.
#[tokio::test]
async fn a_python_function_imports_from_its_layers_the_later_winning() {
    let (_emulator, client) = local::start().await;
    let first_module = layer_module("first");
    let second_module = layer_module("second");
    let first_files = [("mymod.py", first_module.as_str()), ("only_first.py", "HERE = 1\n")];
    let first = publish(&client, "first", &["Python3.9"], &first_files).await;
    let second = publish(&client, "second", &["Python3.9"], &[("mymod.py", &second_module)]).await;

    client
        .create_function()
        .function_name("importer")
        .runtime("Python3.9")
        .code(zip_content(&[("index.py", IMPORTER)]))
        .layers([layer("first", first), layer("second", second)])
        .send()
        .await
        .unwrap();
    wait_active(&client, "importer", None).await;
    let result = invoke(&client, "importer", "{}").await;
    assert!(result.err_msg.is_empty(), "{}", result.log);
    let answer: serde_json::Value = serde_json::from_str(&result.ret_msg).unwrap();
    assert_eq!(answer, serde_json::json!({"mymod": "second", "only_first": 1, "opt_on_path": true}));
    assert!(result.log.contains("layer dir: /opt\n"), "the layers' directory shows as /opt: {}", result.log);

    let failed = invoke(&client, "importer", r#"{"fail": true}"#).await;
    assert!(failed.err_msg.contains("/opt/mymod.py"), "a trace through a layer names /opt: {}", failed.err_msg);

    let function = client.get_function().function_name("importer").send().await.unwrap();
    let bound: Vec<(&str, i64)> = function.layers.iter().map(|l| (l.layer_name.as_str(), l.layer_version)).collect();
    assert_eq!(bound, [("first", first), ("second", second)], "in the order bound");

    // The other order: the first layer now wins, on the next invocation (warm instances retire).
    bind(&client, "importer", vec![layer("second", second), layer("first", first)]).await;
    let answer: serde_json::Value = serde_json::from_str(&invoke(&client, "importer", "{}").await.ret_msg).unwrap();
    assert_eq!(answer["mymod"], "first");
}

/// Bindings are checked; a layer version a function version binds cannot be deleted until no
/// function version binds it — published versions included, which keep the layers they had.
#[tokio::test]
async fn bindings_are_checked_and_a_layer_in_use_is_kept() {
    let (emulator, client) = local::start().await;
    let shared = publish(&client, "shared", &["Python3.9"], &[("mymod.py", "NAME = 'v1'\n")]).await;
    let source = "import mymod\n\ndef main_handler(event, context):\n    return mymod.NAME\n";
    create_function(&client, FunctionSpec::python("user", source)).await;

    let missing = client.update_function_configuration().function_name("user").layers([layer("shared", 9)]);
    assert_eq!(code_of(missing.send().await.unwrap_err()), "ResourceNotFound.Layer");
    let unknown = client.update_function_configuration().function_name("user").layers([layer("nope", 1)]);
    assert_eq!(code_of(unknown.send().await.unwrap_err()), "ResourceNotFound.Layer");
    let six = client.update_function_configuration().function_name("user").layers(vec![layer("shared", shared); 6]);
    assert_eq!(code_of(six.send().await.unwrap_err()), "InvalidParameterValue.Layers");
    let created = client
        .create_function()
        .function_name("never")
        .runtime("Python3.9")
        .code(zip_content(&[("index.py", source)]))
        .layers([layer("absent", 1)])
        .send()
        .await;
    assert_eq!(code_of(created.unwrap_err()), "ResourceNotFound.Layer");

    bind(&client, "user", vec![layer("shared", shared)]).await;
    assert_eq!(invoke(&client, "user", "{}").await.ret_msg, "\"v1\"");
    let published = client.publish_version().function_name("user").send().await.unwrap();
    let v1 = client.get_function().function_name("user").qualifier(&published.function_version).send().await.unwrap();
    assert_eq!(v1.layers.len(), 1, "the published version keeps its layers");

    let in_use = client.delete_layer_version().layer_name("shared").layer_version(shared).send().await.unwrap_err();
    assert_eq!(code_of(in_use), "ResourceInUse.LayerVersion");
    // Unbinding from $LATEST (the service's form: an empty name) leaves the published version's.
    bind(&client, "user", vec![layer("", 0)]).await;
    assert!(client.get_function().function_name("user").send().await.unwrap().layers.is_empty());
    let still = client.delete_layer_version().layer_name("shared").layer_version(shared).send().await.unwrap_err();
    assert_eq!(code_of(still), "ResourceInUse.LayerVersion");
    let by_version = client.invoke_function().function_name("user").qualifier(&published.function_version);
    assert_eq!(by_version.send().await.unwrap().result.ret_msg, "\"v1\"");

    // Deleting the function frees the layer; then nothing of it is left on disk.
    let merged = emulator.data_dir().join("layers");
    assert_eq!(std::fs::read_dir(&merged).unwrap().count(), 1, "one merged directory, shared by both versions");
    client.delete_function().function_name("user").send().await.unwrap();
    assert_eq!(std::fs::read_dir(&merged).unwrap().count(), 0, "collected with the last function using it");
    let package = client.get_layer_version().layer_name("shared").layer_version(shared).send().await.unwrap();
    client.delete_layer_version().layer_name("shared").layer_version(shared).send().await.unwrap();
    assert!(!emulator.stats().await.code_packages.contains(&package.code_sha256), "the layer's package is collected");
}

#[tokio::test]
async fn layers_and_bindings_survive_a_restart() {
    let temp = TempDir::new("local-layers-restart");
    let dir = temp.join("data");
    let source = "import mymod\n\ndef main_handler(event, context):\n    return mymod.NAME\n";
    {
        let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
        publish(&client, "kept", &["Python3.9"], &[("mymod.py", "NAME = 'kept'\n")]).await;
        create_function(&client, FunctionSpec::python("survivor", source)).await;
        bind(&client, "survivor", vec![layer("kept", 1)]).await;
        emulator.shutdown(Duration::from_secs(1)).await;
    }
    let (emulator, client) = local::start_with(EmulatorConfig::default().data_dir(&dir)).await;
    let listed = client.list_layers().send().await.unwrap();
    assert_eq!(
        listed.layers.iter().map(|l| (l.layer_name.as_str(), l.layer_version)).collect::<Vec<_>>(),
        [("kept", 1)]
    );
    assert_eq!(invoke(&client, "survivor", "{}").await.ret_msg, "\"kept\"");
    let in_use = client.delete_layer_version().layer_name("kept").layer_version(1).send().await.unwrap_err();
    assert_eq!(code_of(in_use), "ResourceInUse.LayerVersion", "bindings are kept too");
    assert_eq!(publish(&client, "kept", &["Python3.9"], &[("mymod.py", "")]).await, 2, "numbers continue");
    drop(emulator);
    scf_local::remove_data_dir(&dir).unwrap();
}
