//! Layers, per region (not per namespace, as on the service): publish a version, list layers and
//! versions, get and delete a version. Versions number from 1 per layer name and are never reused,
//! even after every version is deleted. A layer's content is stored as a function's code is (the
//! same content-addressed packages, extraction limits and size checks); the layers a function
//! binds are merged, in order, into one read-only directory that stands for its `/opt`
//! (`Store::put_layer_dir`).
//!
//! The local-directory form (an emulator extension, as `CodeSource` `Local` is for functions;
//! `PublishLayerVersion` has no `CodeSource`): `Content.CosObjectName` holding an absolute path,
//! with no `Content.CosBucketName`, publishes that local directory.

use std::path::Path;
use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    DeleteLayerVersionRequest, DeleteLayerVersionResponse, GetLayerVersionRequest, GetLayerVersionResponse,
    ListLayerVersionsRequest, ListLayerVersionsResponse, ListLayersRequest, ListLayersResponse,
    PublishLayerVersionRequest, PublishLayerVersionResponse,
};
use scf_sdk::runtime::Action as _;
use scf_sdk::types::{Code, LayerStamp, LayerStatus, LayerVersionInfo, LayerVersionSimple, Runtime, Tag};

use super::functions::{MAX_ZIP_CREATE, Package, store_package};
use super::{error, page};
use crate::api_error::ApiError;
use crate::records::{FunctionRecord, LayerBinding, LayerRecord};
use crate::server::{Call, Contract, Handlers};
use crate::state::State;

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&PUBLISH, publish);
    handlers.add(&LIST_LAYERS, list_layers);
    handlers.add(&LIST_VERSIONS, list_versions);
    handlers.add(&GET, get);
    handlers.add_change(&DELETE, delete);
}

const PUBLISH: Contract = Contract {
    answers: &[
        ErrorCode::InvalidParameterValueCompatibleRuntimes,
        ErrorCode::InvalidParameterValueContent,
        ErrorCode::InvalidParameterValueZipFileBase64BinasciiError,
        ErrorCode::InvalidParameterValueCosObjectName,
        ErrorCode::InvalidParameterValueDescription,
    ],
    // `Content.CosObjectName` names a local directory when `Content.CosBucketName` is absent; COS,
    // templates, Git and images are refused (`content`).
    honours: &["LayerName", "CompatibleRuntimes", "Content", "Description", "LicenseInfo", "Tags"],
    refuses: &[],
};

const LIST_LAYERS: Contract = Contract {
    answers: &[ErrorCode::InvalidParameterValueRuntime],
    honours: &["CompatibleRuntime", "Offset", "Limit", "SearchKey"],
    refuses: &[],
};

const LIST_VERSIONS: Contract = Contract {
    answers: &[ErrorCode::InvalidParameterValueRuntime, ErrorCode::ResourceNotFoundLayer],
    honours: &["LayerName", "CompatibleRuntime"],
    refuses: &[],
};

const GET: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundLayerVersion],
    honours: &["LayerName", "LayerVersion"],
    refuses: &[],
};

const DELETE: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundLayerVersion, ErrorCode::ResourceInUseLayerVersion],
    honours: &["LayerName", "LayerVersion"],
    refuses: &[],
};

/// The most layers a function binds (the service's limit).
pub(super) const MAX_FUNCTION_LAYERS: usize = 5;
/// The most runtimes a layer version names (the service's limit).
const MAX_COMPATIBLE_RUNTIMES: usize = 5;

async fn publish(
    state: Arc<State>,
    call: Call,
    request: PublishLayerVersionRequest,
) -> Result<PublishLayerVersionResponse, ApiError> {
    let name = request.layer_name.clone();
    let runtimes = compatible_runtimes(&request.compatible_runtimes)?;
    super::bounded_text(PublishLayerVersionRequest::DESCRIPTOR, "Description", request.description.as_deref())?;
    super::bounded_text(PublishLayerVersionRequest::DESCRIPTOR, "LicenseInfo", request.license_info.as_deref())?;
    let description = request.description.clone().unwrap_or_default();
    let tags = super::functions::tags(request.tags.as_deref())?;
    let package = content(&request.content)?;
    let descriptor = PublishLayerVersionRequest::DESCRIPTOR;
    let code = store_package(&state, descriptor, "Content", package, MAX_ZIP_CREATE).await?;
    let mut record = LayerRecord {
        region: call.region.clone(),
        name: name.clone(),
        version: 0,
        compatible_runtimes: runtimes,
        description,
        license_info: request.license_info.clone().unwrap_or_default(),
        tags,
        code_sha256: code.sha256,
        code_size: code.size as i64,
        status: LayerStatus::Active,
        add_time: crate::util::now(),
    };
    let record = state.change(
        |w| {
            record.version = w.next_layer_version(&record.region, &record.name)?;
            w.put_layer(&record)?;
            Ok(Arc::new(record))
        },
        |model, record| {
            let versions = model.layers.entry((record.region.clone(), record.name.clone())).or_default();
            versions.insert(record.version, record.clone());
        },
    )?;
    PublishLayerVersionResponse::builder()
        .layer_version(record.version)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// Where a layer's files come from: `Content.ZipFile`, or a local directory named by
/// `Content.CosObjectName` (an absolute path) without `Content.CosBucketName`.
fn content(content: &Code) -> Result<Package, ApiError> {
    if let Some(zip) = &content.zip_file {
        return Ok(Package::Base64(zip.clone()));
    }
    if super::functions::from_elsewhere(content) {
        return Err(error(
            ErrorCode::UnsupportedOperation,
            "scf-local cannot fetch a layer from COS, templates, Git or images: send `Content.ZipFile`, or name a local directory in `Content.CosObjectName` (without `Content.CosBucketName`).",
            "scf-local 不支持从 COS、模板、Git 或镜像获取层，请使用 Content.ZipFile，或在 Content.CosObjectName 中填写本地目录（不填 CosBucketName）。",
        ));
    }
    match content.cos_object_name.as_deref() {
        Some(dir) if Path::new(dir).is_absolute() => Ok(Package::Directory(Path::new(dir).to_path_buf())),
        Some(dir) => Err(error(
            ErrorCode::InvalidParameterValueCosObjectName,
            format!(
                "`Content.CosObjectName` `{dir}` must be the absolute path of a local directory (scf-local reads no COS)."
            ),
            format!("Content.CosObjectName `{dir}` 须为本地目录的绝对路径。"),
        )),
        None => Err(error(
            ErrorCode::InvalidParameterValueContent,
            "The layer's content is missing: set `Content.ZipFile`, or `Content.CosObjectName` to a local directory.",
            "缺少层的内容，请设置 Content.ZipFile，或在 Content.CosObjectName 中填写本地目录。",
        )),
    }
}

/// The runtimes a layer version names: 1 to 5, each a runtime of the API.
fn compatible_runtimes(runtimes: &[String]) -> Result<Vec<String>, ApiError> {
    let bad = |why: String| {
        error(
            ErrorCode::InvalidParameterValueCompatibleRuntimes,
            format!("`CompatibleRuntimes`: {why}."),
            format!("CompatibleRuntimes 不合法：{why}。"),
        )
    };
    if runtimes.is_empty() || runtimes.len() > MAX_COMPATIBLE_RUNTIMES {
        return Err(bad(format!("{} runtimes given; 1 to {MAX_COMPATIBLE_RUNTIMES} are allowed", runtimes.len())));
    }
    if let Some(unknown) = runtimes.iter().find(|r| !known_runtime(r)) {
        return Err(bad(format!("`{unknown}` is not a runtime of SCF (e.g. `Python3.9`, `Nodejs18.15`)")));
    }
    Ok(runtimes.to_vec())
}

fn known_runtime(runtime: &str) -> bool {
    !matches!(Runtime::from(runtime), Runtime::Unknown(_))
}

/// A `CompatibleRuntime` filter, checked: a runtime of the API.
fn runtime_filter(runtime: &str) -> Result<&str, ApiError> {
    if known_runtime(runtime) {
        return Ok(runtime);
    }
    Err(error(
        ErrorCode::InvalidParameterValueRuntime,
        format!("`CompatibleRuntime` `{runtime}` is not a runtime of SCF (e.g. `Python3.9`, `Nodejs18.15`)."),
        format!("CompatibleRuntime `{runtime}` 不是合法的运行环境。"),
    ))
}

/// A layer version as the API describes it.
fn info(record: &LayerRecord) -> Result<LayerVersionInfo, ApiError> {
    let tags = record
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    LayerVersionInfo::builder()
        .compatible_runtimes(record.compatible_runtimes.clone())
        .add_time(&record.add_time)
        .description(&record.description)
        .license_info(&record.license_info)
        .layer_version(record.version)
        .layer_name(&record.name)
        .status(record.status.clone())
        .stamp(LayerStamp::Default)
        .tags(tags)
        .build()
        .map_err(ApiError::internal)
}

async fn list_layers(
    state: Arc<State>,
    call: Call,
    request: ListLayersRequest,
) -> Result<ListLayersResponse, ApiError> {
    let runtime = request.compatible_runtime.as_deref().filter(|r| !r.is_empty()).map(runtime_filter).transpose()?;
    let search = request.search_key.as_deref().unwrap_or_default();
    // Each layer once, as its latest version (compatible with the runtime asked for), by name.
    let layers: Vec<Arc<LayerRecord>> = state
        .read()
        .layers
        .iter()
        .filter(|((region, name), _)| *region == call.region && name.contains(search))
        .filter_map(|(_, versions)| {
            versions
                .values()
                .rev()
                .find(|v| runtime.is_none_or(|r| v.compatible_runtimes.iter().any(|c| c == r)))
                .cloned()
        })
        .collect();
    let total = layers.len() as i64;
    let layers = page(ListLayersRequest::DESCRIPTOR, layers, request.offset, request.limit, 20)?;
    ListLayersResponse::builder()
        .layers(layers.iter().map(|l| info(l)).collect::<Result<Vec<_>, _>>()?)
        .total_count(total)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn list_versions(
    state: Arc<State>,
    call: Call,
    request: ListLayerVersionsRequest,
) -> Result<ListLayerVersionsResponse, ApiError> {
    let runtimes = request.compatible_runtime.clone().unwrap_or_default();
    for runtime in &runtimes {
        runtime_filter(runtime)?;
    }
    let name = &request.layer_name;
    let versions: Vec<Arc<LayerRecord>> = state
        .read()
        .layers
        .get(&(call.region.clone(), name.clone()))
        .map(|versions| versions.values().rev().cloned().collect())
        .unwrap_or_default();
    if versions.is_empty() {
        return Err(error(
            ErrorCode::ResourceNotFoundLayer,
            format!("The layer `{name}` does not exist in {}.", call.region),
            format!("层 `{name}` 不存在。"),
        ));
    }
    let compatible =
        |v: &&Arc<LayerRecord>| runtimes.is_empty() || v.compatible_runtimes.iter().any(|c| runtimes.contains(c));
    ListLayerVersionsResponse::builder()
        .layer_versions(versions.iter().filter(compatible).map(|v| info(v)).collect::<Result<Vec<_>, _>>()?)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// A layer version of the caller's region, or `ResourceNotFound.LayerVersion`.
fn layer_version(state: &State, region: &str, name: &str, version: i64) -> Result<Arc<LayerRecord>, ApiError> {
    let found = state.read().layers.get(&(region.to_owned(), name.to_owned())).and_then(|v| v.get(&version)).cloned();
    found.ok_or_else(|| {
        error(
            ErrorCode::ResourceNotFoundLayerVersion,
            format!("Version {version} of the layer `{name}` does not exist in {region}."),
            format!("层 `{name}` 的版本 {version} 不存在。"),
        )
    })
}

async fn get(
    state: Arc<State>,
    call: Call,
    request: GetLayerVersionRequest,
) -> Result<GetLayerVersionResponse, ApiError> {
    let record = layer_version(&state, &call.region, &request.layer_name, request.layer_version)?;
    let expires = crate::util::unix_now() + state.settings.limits.code_url_ttl.as_secs() as i64;
    GetLayerVersionResponse::builder()
        .compatible_runtimes(record.compatible_runtimes.clone())
        .code_sha256(&record.code_sha256)
        .location(state.settings.code_url_key.url(&state.settings.base_url, &record.code_sha256, expires))
        .add_time(&record.add_time)
        .description(&record.description)
        .license_info(&record.license_info)
        .layer_version(record.version)
        .layer_name(&record.name)
        .status(record.status.clone())
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// Deletes a layer version; refused while a function version binds it (that function's layers
/// would change under it).
async fn delete(
    state: Arc<State>,
    call: Call,
    request: DeleteLayerVersionRequest,
) -> Result<DeleteLayerVersionResponse, ApiError> {
    let (name, version) = (&request.layer_name, request.layer_version);
    let record = layer_version(&state, &call.region, name, version)?;
    let user: Option<Arc<FunctionRecord>> = state
        .read()
        .functions
        .values()
        .flat_map(|entry| std::iter::once(&entry.latest).chain(entry.versions.values()))
        .find(|f| f.region == record.region && f.layers.iter().any(|l| l.name == *name && l.version == version))
        .cloned();
    if let Some(user) = user {
        return Err(error(
            ErrorCode::ResourceInUseLayerVersion,
            format!(
                "Version {version} of the layer `{name}` is used by version {} of the function `{}` (namespace `{}`); unbind it first.",
                user.version, user.name, user.namespace
            ),
            format!("层 `{name}` 的版本 {version} 正被函数 `{}` 使用。", user.name),
        ));
    }
    let key = (record.region.clone(), record.name.clone());
    state.change(
        |w| w.delete_layer(&record.region, &record.name, record.version),
        |model, _| {
            if let Some(versions) = model.layers.get_mut(&key) {
                versions.remove(&version);
                if versions.is_empty() {
                    model.layers.remove(&key);
                }
            }
        },
    )?;
    super::collect_code(&state).await;
    DeleteLayerVersionResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

/// The layers a function is to bind, checked: each a version that exists in the function's region,
/// at most 5, in the order given. An entry with an empty `LayerName` unbinds (the service's way
/// of clearing a function's layers), so `[{"LayerName": "", "LayerVersion": 0}]` leaves none.
pub(super) fn bindings(
    state: &State,
    region: &str,
    layers: &[LayerVersionSimple],
) -> Result<Vec<LayerBinding>, ApiError> {
    let layers: Vec<&LayerVersionSimple> = layers.iter().filter(|l| !l.layer_name.is_empty()).collect();
    if layers.len() > MAX_FUNCTION_LAYERS {
        return Err(error(
            ErrorCode::InvalidParameterValueLayers,
            format!("`Layers` has {} layers; a function binds at most {MAX_FUNCTION_LAYERS}.", layers.len()),
            format!("Layers 包含 {} 个层，一个函数最多绑定 {MAX_FUNCTION_LAYERS} 个层。", layers.len()),
        ));
    }
    let model = state.read();
    layers
        .into_iter()
        .map(|layer| {
            let (name, version) = (&layer.layer_name, layer.layer_version);
            let record =
                model.layers.get(&(region.to_owned(), name.clone())).and_then(|v| v.get(&version)).ok_or_else(
                    || {
                        error(
                            ErrorCode::ResourceNotFoundLayer,
                            format!("`Layers`: version {version} of the layer `{name}` does not exist in {region}."),
                            format!("层 `{name}` 的版本 {version} 不存在。"),
                        )
                    },
                )?;
            Ok(LayerBinding { name: name.clone(), version, code_sha256: record.code_sha256.clone() })
        })
        .collect()
}

/// Builds (once) the directory that merges `layers` in order, so the function's instances find
/// it ready. Done when the function is configured, off the async workers.
pub(super) async fn prepare_layer_dir(state: &State, layers: &[LayerBinding]) -> Result<(), ApiError> {
    if layers.is_empty() {
        return Ok(());
    }
    let packages: Vec<String> = layers.iter().map(|l| l.code_sha256.clone()).collect();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.put_layer_dir(&packages))
        .await
        .map_err(ApiError::internal)?
        .map(|_| ())
        .map_err(|e| ApiError::internal(e.0))
}

/// The layers a function version binds, as `GetFunction` shows them.
pub(super) fn bound(state: &State, record: &FunctionRecord) -> Result<Vec<LayerVersionInfo>, ApiError> {
    let model = state.read();
    record
        .layers
        .iter()
        .map(|binding| {
            let layer =
                model.layers.get(&(record.region.clone(), binding.name.clone())).and_then(|v| v.get(&binding.version));
            match layer {
                Some(layer) => info(layer),
                // Not reachable while deleting a bound version is refused; shown rather than hidden.
                None => info(&LayerRecord {
                    region: record.region.clone(),
                    name: binding.name.clone(),
                    version: binding.version,
                    compatible_runtimes: Vec::new(),
                    description: String::new(),
                    license_info: String::new(),
                    tags: Vec::new(),
                    code_sha256: binding.code_sha256.clone(),
                    code_size: 0,
                    status: LayerStatus::Deleted,
                    add_time: String::new(),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_with(zip: Option<&str>, bucket: Option<&str>, object: Option<&str>) -> Code {
        Code::builder()
            .set_zip_file(zip.map(str::to_owned))
            .set_cos_bucket_name(bucket.map(str::to_owned))
            .set_cos_object_name(object.map(str::to_owned))
            .build()
            .unwrap()
    }

    #[test]
    fn content_is_a_zip_or_an_absolute_local_directory_and_nothing_from_cos() {
        assert!(matches!(content(&code_with(Some("UEsF"), None, None)), Ok(Package::Base64(_))));
        match content(&code_with(None, None, Some("/srv/layer"))) {
            Ok(Package::Directory(dir)) => assert_eq!(dir, Path::new("/srv/layer")),
            _ => panic!("an absolute CosObjectName without a bucket is a local directory"),
        }
        let code = |c: &Code| content(c).err().map(|e| e.code.as_str().to_owned());
        assert_eq!(code(&code_with(None, Some("bucket"), Some("/layer.zip"))).as_deref(), Some("UnsupportedOperation"));
        assert_eq!(
            code(&code_with(None, None, Some("relative"))).as_deref(),
            Some("InvalidParameterValue.CosObjectName")
        );
        assert_eq!(code(&code_with(None, None, None)).as_deref(), Some("InvalidParameterValue.Content"));
    }

    #[test]
    fn compatible_runtimes_are_the_apis_one_to_five() {
        let list = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert!(compatible_runtimes(&list(&["Python3.9", "Java8", "CustomRuntime"])).is_ok(), "any runtime of the API");
        for bad in [list(&[]), list(&["Python3.9"; 6]), list(&["Python3.9", "python3.9"])] {
            let error = compatible_runtimes(&bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidParameterValueCompatibleRuntimes, "{bad:?}");
        }
        assert!(runtime_filter("Nodejs18.15").is_ok());
        assert_eq!(runtime_filter("Cobol").unwrap_err().code, ErrorCode::InvalidParameterValueRuntime);
    }
}
