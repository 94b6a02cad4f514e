//! Functions: create, get, list, delete, update code and configuration, code address.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    CreateFunctionRequest, CreateFunctionResponse, DeleteFunctionRequest, DeleteFunctionResponse,
    GetFunctionAddressRequest, GetFunctionAddressResponse, GetFunctionRequest, GetFunctionResponse,
    ListFunctionsRequest, ListFunctionsResponse, UpdateFunctionCodeRequest, UpdateFunctionCodeResponse,
    UpdateFunctionConfigurationRequest, UpdateFunctionConfigurationResponse,
};
use scf_sdk::runtime::{Action as _, ActionDescriptor};
use scf_sdk::types::{
    AccessInfo, BillingStatus, CfsConfig, Code, DeadLetterConfig, EipConfigOut, EipOutConfig, EnableState, Environment,
    FilterName, Function, FunctionStatus, FunctionType, PublicNetConfigIn, PublicNetConfigOut, SortOrder, Switch, Tag,
    Variable, VpcConfig,
};

use super::{activate_later, documented, error, function, page, require_active, scope};
use crate::api_error::ApiError;
use crate::records::{AliasRecord, FunctionRecord};
use crate::runtime::RuntimeKind;
use crate::server::{Call, Contract, Handlers};
use crate::state::{FunctionEntry, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add_change(&CREATE, create);
    handlers.add(&GET, get);
    handlers.add(&LIST, list);
    handlers.add_change(&DELETE, delete);
    handlers.add_change(&UPDATE_CODE, update_code);
    handlers.add_change(&UPDATE_CONFIGURATION, update_configuration);
    handlers.add(&ADDRESS, address);
}

const CREATE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceInUseFunction,
        ErrorCode::MissingParameterRuntime,
        ErrorCode::InvalidParameterValueRuntime,
        ErrorCode::InvalidParameterValueMemorySize,
        ErrorCode::InvalidParameterValueHandler,
        ErrorCode::InvalidParameterValueEnvironment,
        ErrorCode::InvalidParameterValueEnvironmentSystemProtect,
        ErrorCode::InvalidParameterValueEnvironmentExceededLimit,
        ErrorCode::InvalidParameterValuePublicNetConfig,
        ErrorCode::MissingParameterCode,
        ErrorCode::InvalidParameterValueZipFile,
        ErrorCode::InvalidParameterValueCode,
        ErrorCode::ResourceNotFoundLayer,
        ErrorCode::InvalidParameterValueLayers,
    ],
    honours: &[
        "FunctionName",
        "Code",
        "Handler",
        "Description",
        "MemorySize",
        "Timeout",
        "Environment",
        "Runtime",
        "Namespace",
        "Type",
        "CodeSource",
        "InitTimeout",
        "Tags",
        "AsyncRunEnable",
        // Functions here reach the network as the machine does: public access on, no fixed IP.
        "PublicNetConfig",
        "Layers",
    ],
    refuses: &[
        "VpcConfig",
        "Role",
        "InstallDependency",
        "ClsLogsetId",
        "ClsTopicId",
        "DeadLetterConfig",
        "CfsConfig",
        "TraceEnable",
        "AutoDeployClsTopicIndex",
        "AutoCreateClsTopic",
        "ProtocolType",
        "ProtocolParams",
        "InstanceConcurrencyConfig",
        "DnsCache",
        "IntranetConfig",
    ],
};

const GET: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundVersion,
    ],
    honours: &["FunctionName", "Qualifier", "Namespace", "ShowCode"],
    refuses: &[],
};

const LIST: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::InvalidParameterValueOffset,
        ErrorCode::InvalidParameterValueLimit,
    ],
    honours: &["Order", "Orderby", "Offset", "Limit", "SearchKey", "Namespace", "Description", "Filters"],
    refuses: &[],
};

const DELETE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::UnsupportedOperationAliasBind,
        ErrorCode::FailedOperationFunctionStatusError,
    ],
    honours: &["FunctionName", "Namespace", "Qualifier"],
    refuses: &[],
};

const UPDATE_CODE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::FailedOperationFunctionStatusError,
        ErrorCode::InvalidParameterValueHandler,
        ErrorCode::InvalidParameterValueZipFile,
        ErrorCode::InvalidParameterValueCode,
    ],
    // `CosBucketName`/`CosObjectName` name a local directory with `CodeSource` `Local`, and are
    // refused otherwise (`store_code`).
    honours: &[
        "FunctionName",
        "Handler",
        "CosBucketName",
        "CosObjectName",
        "ZipFile",
        "Namespace",
        "Publish",
        "Code",
        "CodeSource",
    ],
    refuses: &["CosBucketRegion", "InstallDependency", "EnvId"],
};

const UPDATE_CONFIGURATION: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::FailedOperationUpdateFunctionConfiguration,
        ErrorCode::InvalidParameterValueRuntime,
        ErrorCode::InvalidParameterValueMemorySize,
        ErrorCode::InvalidParameterValueEnvironment,
        ErrorCode::InvalidParameterValueEnvironmentSystemProtect,
        ErrorCode::InvalidParameterValueEnvironmentExceededLimit,
        ErrorCode::InvalidParameterValuePublicNetConfig,
        ErrorCode::ResourceNotFoundLayer,
        ErrorCode::InvalidParameterValueLayers,
    ],
    honours: &[
        "FunctionName",
        "Description",
        "MemorySize",
        "Timeout",
        "Runtime",
        "Environment",
        "Namespace",
        "Publish",
        "InitTimeout",
        "PublicNetConfig",
        "IgnoreSysLog",
        "Layers",
    ],
    refuses: &[
        "VpcConfig",
        "Role",
        "InstallDependency",
        "ClsLogsetId",
        "ClsTopicId",
        "L5Enable",
        "DeadLetterConfig",
        "CfsConfig",
        "ProtocolParams",
        "InstanceConcurrencyConfig",
        "DnsCache",
        "IntranetConfig",
    ],
};

const ADDRESS: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundVersion,
        ErrorCode::ResourceNotFoundFunctionVersion,
        ErrorCode::FailedOperationFunctionStatusError,
    ],
    honours: &["FunctionName", "Qualifier", "Namespace"],
    refuses: &[],
};

/// The extension to the API for local development: `CodeSource` `Local` takes the code from the
/// directory named in `Code.CosObjectName`.
pub const LOCAL_CODE_SOURCE: &str = "Local";

/// The service's limit on `Code.ZipFile` for `CreateFunction` (the request body's 10 MB limit comes
/// first in practice).
pub(super) const MAX_ZIP_CREATE: usize = 50 * 1024 * 1024;
/// The same for `UpdateFunctionCode`.
const MAX_ZIP_UPDATE: usize = 20 * 1024 * 1024;
/// The service's limit on all environment variables together.
const MAX_ENVIRONMENT_BYTES: usize = 4 * 1024;

async fn create(
    state: Arc<State>,
    call: Call,
    request: CreateFunctionRequest,
) -> Result<CreateFunctionResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let (namespace, name) = (scope.namespace.clone(), request.function_name.clone());
    let key = scope.function(&name);
    if !state.read().has_namespace(&scope) {
        return Err(ApiError::namespace_not_found(&namespace));
    }
    if state.read().functions.contains_key(&key) {
        return Err(error(
            ErrorCode::ResourceInUseFunction,
            format!("The function `{name}` already exists in namespace `{namespace}`."),
            format!("函数 `{name}` 已存在。"),
        ));
    }
    // The service's default runtime is Python 2.7, which scf-local does not run: name one.
    let runtime = request.runtime.as_ref().map(|r| r.as_str().to_owned()).ok_or_else(|| {
        error(
            ErrorCode::MissingParameterRuntime,
            "`Runtime` is required here: the service's default is Python2.7, which scf-local cannot run; give e.g. `Python3.9`.",
            "请指定 Runtime：服务默认的 Python2.7 无法在 scf-local 中运行。",
        )
    })?;
    check_runtime(&runtime)?;
    check_public_net(request.public_net_config.as_ref())?;
    let tags = tags(request.tags.as_deref())?;
    let memory_size = request.memory_size.unwrap_or(128);
    check_memory(memory_size)?;
    let handler = request.handler.clone().unwrap_or_else(|| "index.main_handler".into());
    check_handler(&handler)?;
    let environment = environment(request.environment.as_ref())?;
    let layers = super::layers::bindings(&state, &scope.region, request.layers.as_deref().unwrap_or_default())?;
    super::layers::prepare_layer_dir(&state, &layers).await?;
    let code_source = request.code_source.as_ref().map(|s| s.as_str().to_owned());
    let code =
        store_code(&state, CreateFunctionRequest::DESCRIPTOR, code_source.as_deref(), &request.code, MAX_ZIP_CREATE)
            .await?;
    let now = crate::util::now();
    let record = FunctionRecord {
        region: scope.region.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
        version: "$LATEST".into(),
        function_id: format!("lam-{}", &crate::util::request_id()[..8]),
        handler,
        runtime,
        memory_size,
        timeout: request.timeout.unwrap_or(3),
        init_timeout: request.init_timeout.unwrap_or(65),
        description: request.description.clone().unwrap_or_default(),
        environment,
        function_type: request.type_.as_ref().map_or("Event", |t| t.as_str()).to_owned(),
        code_sha256: code.sha256,
        code_size: code.size as i64,
        status: FunctionStatus::Creating,
        status_desc: String::new(),
        add_time: now.clone(),
        mod_time: now.clone(),
        revision: fastrand::u64(..),
        version_description: String::new(),
        tags,
        async_run_enable: request.async_run_enable.as_ref() == Some(&Switch::True),
        ignore_sys_log: false,
        layers,
    };
    let default_alias = AliasRecord {
        name: "$DEFAULT".into(),
        version: "$LATEST".into(),
        weights: Vec::new(),
        matches: Vec::new(),
        description: String::new(),
        add_time: now.clone(),
        mod_time: now,
    };
    let revision = record.revision;
    state.change(
        |w| {
            w.put_function(&record)?;
            w.put_alias(&key, &default_alias)
        },
        |model, _| {
            let mut entry = FunctionEntry {
                latest: Arc::new(record.clone()),
                versions: Default::default(),
                aliases: Default::default(),
            };
            entry.aliases.insert("$DEFAULT".into(), Arc::new(default_alias.clone()));
            model.functions.insert(key.clone(), entry);
        },
    )?;
    activate_later(&state, &key, revision);
    CreateFunctionResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

/// Public network access on and no fixed IP: what a local process has. Anything else is refused.
fn check_public_net(config: Option<&PublicNetConfigIn>) -> Result<(), ApiError> {
    let Some(config) = config else { return Ok(()) };
    let eip = config.eip_config.as_ref().is_some_and(|e| e.eip_status == EnableState::Enable);
    if config.public_net_status == EnableState::Enable && !eip {
        return Ok(());
    }
    Err(error(
        ErrorCode::InvalidParameterValuePublicNetConfig,
        "scf-local functions reach the network as this machine does: `PublicNetConfig` can only ask for public access (`ENABLE`) without a fixed IP.",
        "scf-local 的函数按本机网络访问外网：PublicNetConfig 仅支持开启公网且不使用固定 IP。",
    ))
}

/// The tags: unique keys, at most 50, keys up to 127 and values up to 255 characters.
pub(super) fn tags(tags: Option<&[Tag]>) -> Result<Vec<(String, String)>, ApiError> {
    let tags = tags.unwrap_or_default();
    let bad = |why: String| {
        error(ErrorCode::InvalidParameterValue, format!("`Tags`: {why}."), format!("标签不合法：{why}。"))
    };
    if tags.len() > 50 {
        return Err(bad(format!("{} tags; at most 50 are allowed", tags.len())));
    }
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 127 || tag.value.chars().count() > 255 {
            return Err(bad(format!(
                "`{}` must have a key of 1 to 127 characters and a value of at most 255",
                tag.key
            )));
        }
        if pairs.iter().any(|(key, _)| *key == tag.key) {
            return Err(bad(format!("the key `{}` is given twice", tag.key)));
        }
        pairs.push((tag.key.clone(), tag.value.clone()));
    }
    Ok(pairs)
}

/// The tags as the API returns them.
fn tag_list(record: &FunctionRecord) -> Result<Vec<Tag>, ApiError> {
    record
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)
}

/// What a `ListFunctions` filter looks at.
enum FilterField {
    Runtime,
    Status,
    Type,
    AsyncRunEnable,
    PublicNetStatus,
    TraceEnable,
    /// An attribute no local function sets (a VPC, a log topic, a role): matches `""`.
    Unset,
    Tag(String),
}

impl FilterField {
    /// Every filter the API describes, and `tag-<key>` for a tag.
    fn named(name: &FilterName) -> Option<FilterField> {
        Some(match name {
            FilterName::Runtime => FilterField::Runtime,
            FilterName::Status => FilterField::Status,
            FilterName::FunctionType => FilterField::Type,
            FilterName::AsyncRunEnable => FilterField::AsyncRunEnable,
            FilterName::PublicNetStatus => FilterField::PublicNetStatus,
            FilterName::TraceEnable => FilterField::TraceEnable,
            FilterName::VpcId
            | FilterName::SubnetId
            | FilterName::ClsTopicId
            | FilterName::ClsLogsetId
            | FilterName::Role
            | FilterName::CfsId
            | FilterName::CfsMountInsId
            | FilterName::Eip => FilterField::Unset,
            other => FilterField::Tag(other.as_str().strip_prefix("tag-")?.to_owned()),
        })
    }

    fn value(&self, f: &FunctionRecord) -> String {
        match self {
            FilterField::Runtime => f.runtime.clone(),
            FilterField::Status => f.status.as_str().to_owned(),
            FilterField::Type => f.function_type.clone(),
            FilterField::AsyncRunEnable => switch(f.async_run_enable).as_str().to_owned(),
            FilterField::PublicNetStatus => EnableState::Enable.as_str().to_owned(),
            FilterField::TraceEnable => Switch::False.as_str().to_owned(),
            FilterField::Unset => String::new(),
            FilterField::Tag(key) => f.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default(),
        }
    }
}

fn switch(on: bool) -> Switch {
    if on { Switch::True } else { Switch::False }
}

/// The runtimes the emulator runs (`python3`, `node`, or the package's own `bootstrap`).
fn check_runtime(runtime: &str) -> Result<(), ApiError> {
    if RuntimeKind::of(runtime).is_some() {
        return Ok(());
    }
    Err(error(
        ErrorCode::InvalidParameterValueRuntime,
        format!(
            "scf-local cannot run `{runtime}`: it runs Python 3 (`Python3.x`), Node.js (`Nodejs…`) and custom runtimes (`CustomRuntime`)."
        ),
        format!("scf-local 不支持运行环境 `{runtime}`，支持 Python3.x、Nodejs 和 CustomRuntime。"),
    ))
}

/// `file.function`, where the file may sit in directories of the package (`src/index.main_handler`):
/// letters, digits, `_` and `-` in each part, so the handler never names a file outside the package.
fn check_handler(handler: &str) -> Result<(), ApiError> {
    let part = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let valid = handler.len() <= 256
        && handler.rsplit_once('.').is_some_and(|(file, function)| file.split('/').all(part) && part(function));
    if valid {
        return Ok(());
    }
    Err(error(
        ErrorCode::InvalidParameterValueHandler,
        format!(
            "`Handler` `{handler}` must be `file.function` (e.g. `index.main_handler`), the file's path inside the package in letters, digits, `_`, `-` and `/`."
        ),
        format!("Handler `{handler}` 格式错误，应为“文件名.函数名”。"),
    ))
}

/// 64 MB, or 128 to 3072 MB in steps of 128 (as the service allows).
fn check_memory(memory: i64) -> Result<(), ApiError> {
    if memory == 64 || ((128..=3072).contains(&memory) && memory % 128 == 0) {
        return Ok(());
    }
    Err(error(
        ErrorCode::InvalidParameterValueMemorySize,
        format!("`MemorySize` is {memory}; it must be 64, or 128 to 3072 in steps of 128 (MB)."),
        format!("内存 {memory} MB 不合法，可选 64 MB，或 128 MB 至 3072 MB 之间 128 MB 的倍数。"),
    ))
}

/// The environment variables: names `[A-Za-z][A-Za-z0-9_]*`, not the platform's prefixes, 4 KB
/// in all.
fn environment(environment: Option<&Environment>) -> Result<Vec<(String, String)>, ApiError> {
    let variables = environment.and_then(|e| e.variables.clone()).unwrap_or_default();
    let mut pairs = Vec::new();
    for variable in variables {
        let key = variable.key.unwrap_or_default();
        let value = variable.value.unwrap_or_default();
        if key.is_empty() && value.is_empty() {
            continue; // The service's way of clearing every variable.
        }
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(error(
                ErrorCode::InvalidParameterValueEnvironment,
                format!(
                    "The environment variable name `{key}` must start with a letter and contain only letters, digits and `_`."
                ),
                format!("环境变量名 `{key}` 不合法。"),
            ));
        }
        if ["SCF_", "QCLOUD_", "TENCENTCLOUD_"].iter().any(|p| key.starts_with(p)) {
            return Err(error(
                ErrorCode::InvalidParameterValueEnvironmentSystemProtect,
                format!(
                    "The environment variable `{key}` uses a prefix reserved by the platform (SCF_, QCLOUD_, TENCENTCLOUD_)."
                ),
                format!("环境变量 `{key}` 使用了系统保留前缀。"),
            ));
        }
        pairs.push((key, value));
    }
    let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_ENVIRONMENT_BYTES {
        return Err(error(
            ErrorCode::InvalidParameterValueEnvironmentExceededLimit,
            format!("The environment variables take {size} bytes; at most 4 KB is allowed."),
            "环境变量大小超限，请保持在 4KB 以内。",
        ));
    }
    Ok(pairs)
}

/// Stores the code of a `Code` structure (base64 zip, or a local directory with `CodeSource`
/// `Local`).
async fn store_code(
    state: &State,
    descriptor: &'static ActionDescriptor,
    source: Option<&str>,
    code: &Code,
    max_zip: usize,
) -> Result<crate::store::CodeRef, ApiError> {
    let package = if source == Some(LOCAL_CODE_SOURCE) {
        let dir = code.cos_object_name.as_deref().ok_or_else(|| {
            error(
                documented(descriptor, &[ErrorCode::MissingParameterCode], ErrorCode::MissingParameter),
                "With `CodeSource` `Local`, `Code.CosObjectName` names the local directory of the code.",
                "CodeSource 为 Local 时，Code.CosObjectName 须为本地代码目录。",
            )
        })?;
        Package::Directory(Path::new(dir).to_path_buf())
    } else if let Some(zip) = &code.zip_file {
        Package::Base64(zip.clone())
    } else if from_elsewhere(code) {
        return Err(error(
            ErrorCode::UnsupportedOperation,
            "scf-local cannot fetch code from COS, templates, Git or images: send `Code.ZipFile`, or use `CodeSource` `Local`.",
            "scf-local 不支持从 COS、模板、Git 或镜像获取代码，请使用 Code.ZipFile 或 CodeSource Local。",
        ));
    } else {
        return Err(error(
            documented(descriptor, &[ErrorCode::MissingParameterCode], ErrorCode::MissingParameter),
            "The code is missing: set `Code.ZipFile`.",
            "缺少代码，请设置 Code.ZipFile。",
        ));
    };
    store_package(state, descriptor, "Code", package, max_zip).await
}

/// Whether a `Code` names a source scf-local cannot fetch from: COS, a template, Git, an image.
#[allow(deprecated)] // `GitUrl` is deprecated, and still refused clearly when sent.
pub(super) fn from_elsewhere(code: &Code) -> bool {
    code.cos_bucket_name.is_some()
        || code.temp_cos_object_name.is_some()
        || code.demo_id.is_some()
        || code.git_url.is_some()
        || code.image_config.is_some()
}

/// Where a package comes from.
pub(super) enum Package {
    /// A local directory (an emulator extension), zipped as it is.
    Directory(std::path::PathBuf),
    /// A zip archive, in base64.
    Base64(String),
}

/// Stores a package (a function's code or a layer's content): decoded, its size checked, then
/// checked and extracted by the store. `member` is the request's structure that carried it
/// (`Code`, `Content`), as the messages name it; the codes are the first the action lists.
pub(super) async fn store_package(
    state: &State,
    descriptor: &'static ActionDescriptor,
    member: &'static str,
    package: Package,
    max_zip: usize,
) -> Result<crate::store::CodeRef, ApiError> {
    // Decoding, checking and extracting a package takes a while: off the async workers.
    let store = state.store.clone();
    let stored = tokio::task::spawn_blocking(move || match package {
        Package::Directory(dir) => Ok(store.put_dir(&dir)),
        Package::Base64(zip) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(zip.trim()).map_err(|e| {
                error(
                    documented(
                        descriptor,
                        &[
                            ErrorCode::InvalidParameterValueZipFile,
                            ErrorCode::InvalidParameterValueZipFileBase64BinasciiError,
                        ],
                        ErrorCode::InvalidParameterValue,
                    ),
                    format!("`{member}.ZipFile` is not base64 ({e})."),
                    format!("{member}.ZipFile 不是合法的 base64 编码。"),
                )
            })?;
            if bytes.len() > max_zip {
                return Err(error(
                    documented(
                        descriptor,
                        &[ErrorCode::InvalidParameterValueZipFile, ErrorCode::InvalidParameterValueContent],
                        ErrorCode::InvalidParameterValue,
                    ),
                    format!(
                        "The zip archive is {} bytes; at most {} MB is allowed.",
                        bytes.len(),
                        max_zip / 1024 / 1024
                    ),
                    "代码包大小超限。",
                ));
            }
            Ok(store.put_zip(&bytes))
        }
    })
    .await
    .map_err(ApiError::internal)??;
    stored.map_err(|e| {
        error(
            documented(
                descriptor,
                &[ErrorCode::InvalidParameterValueCode, ErrorCode::InvalidParameterValueContent],
                ErrorCode::InvalidParameterValue,
            ),
            format!("The code package is not usable: {}.", e.0),
            format!("代码包不可用：{}。", e.0),
        )
    })
}

async fn get(state: Arc<State>, call: Call, request: GetFunctionRequest) -> Result<GetFunctionResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let name = super::required(&request.function_name, "FunctionName")?;
    let entry = function(&state, GetFunctionRequest::DESCRIPTOR, &scope, name)?;
    let qualifier = request.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
    let record = super::version(&entry, &qualifier).ok_or_else(|| {
        super::version_not_found(GetFunctionRequest::DESCRIPTOR, super::QUALIFIER_NOT_FOUND, name, &qualifier)
    })?;
    let show_code = request.show_code.as_ref() == Some(&Switch::True);
    let variables = record
        .environment
        .iter()
        .map(|(k, v)| Variable::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    // Every trigger of the function, or with a `Qualifier` those bound to it.
    let triggers = state
        .read()
        .triggers_of(&scope.function(name))
        .filter(|t| request.qualifier.as_deref().is_none_or(|q| t.qualifier == q))
        .map(super::triggers::trigger)
        .collect::<Result<Vec<_>, _>>()?;
    let internal = ApiError::internal;
    let response = GetFunctionResponse::builder()
        .mod_time(&record.mod_time)
        .add_time(&record.add_time)
        .code_info(if show_code { code_info(&state, &record) } else { String::new() })
        .description(&record.description)
        .triggers(triggers)
        .handler(&record.handler)
        .code_size(record.code_size)
        .timeout(record.timeout)
        .function_version(&record.version)
        .memory_size(record.memory_size)
        .runtime(&record.runtime)
        .function_name(&record.name)
        .vpc_config(VpcConfig::builder().vpc_id("").subnet_id("").build().map_err(internal)?)
        .use_gpu("FALSE")
        .environment(Environment::builder().variables(variables).build().map_err(internal)?)
        .code_result("success")
        .code_error("")
        .err_no(0)
        .namespace(&record.namespace)
        .role("")
        .install_dependency("FALSE")
        .status(record.status.clone())
        .status_desc(&record.status_desc)
        .cls_logset_id("")
        .cls_topic_id("")
        .function_id(&record.function_id)
        .tags(tag_list(&record)?)
        .eip_config(
            EipOutConfig::builder().eip_fixed(Switch::False).eips(Vec::<String>::new()).build().map_err(internal)?,
        )
        .access_info(AccessInfo::builder().host("").vip("").build().map_err(internal)?)
        .type_(FunctionType::from(record.function_type.as_str()))
        .l5_enable("FALSE")
        .layers(super::layers::bound(&state, &record)?)
        .dead_letter_config(DeadLetterConfig::builder().type_("").name("").filter_type("").build().map_err(internal)?)
        .public_net_config(
            PublicNetConfigOut::builder()
                .public_net_status(EnableState::Enable)
                .eip_config(
                    EipConfigOut::builder()
                        .eip_status(EnableState::Disable)
                        .eip_address(Vec::<String>::new())
                        .build()
                        .map_err(internal)?,
                )
                .build()
                .map_err(internal)?,
        )
        .ons_enable("FALSE")
        .cfs_config(CfsConfig::builder().build().map_err(internal)?)
        .available_status(BillingStatus::Available)
        .qualifier(&qualifier)
        .init_timeout(record.init_timeout)
        .status_reasons([])
        .async_run_enable(switch(record.async_run_enable))
        .trace_enable(Switch::False)
        .dns_cache("FALSE")
        .request_id(call.request_id)
        .build()
        .map_err(internal)?;
    Ok(response)
}

/// `ShowCode`: the code of small packages, as the console shows it (the handler file's text).
fn code_info(state: &State, record: &FunctionRecord) -> String {
    let file = record.handler.rsplit_once('.').map_or("index", |(file, _)| file);
    let dir = state.store.code_dir(&record.code_sha256);
    ["py", "js"]
        .iter()
        .find_map(|ext| std::fs::read_to_string(dir.join(format!("{file}.{ext}"))).ok())
        .unwrap_or_default()
}

async fn list(state: Arc<State>, call: Call, request: ListFunctionsRequest) -> Result<ListFunctionsResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let mut functions: Vec<Arc<FunctionRecord>> = {
        let model = state.read();
        if !model.has_namespace(&scope) {
            return Err(ApiError::namespace_not_found(&scope.namespace));
        }
        model.functions_in(&scope).map(|entry| entry.latest.clone()).collect()
    };
    if let Some(key) = request.search_key.as_deref().filter(|k| !k.is_empty()) {
        functions.retain(|f| f.name.contains(key));
    }
    if let Some(description) = request.description.as_deref().filter(|k| !k.is_empty()) {
        functions.retain(|f| f.description.contains(description));
    }
    for filter in request.filters.iter().flatten() {
        let field = FilterField::named(&filter.name).ok_or_else(|| {
            error(
                ErrorCode::InvalidParameterValue,
                format!("`Filters.Name` `{}` is not a filter of ListFunctions.", filter.name.as_str()),
                format!("过滤条件 `{}` 不合法。", filter.name.as_str()),
            )
        })?;
        functions.retain(|f| filter.values.contains(&field.value(f)));
    }
    let order_by = request.orderby.as_ref().map_or("AddTime", |o| o.as_str()).to_owned();
    functions.sort_by(|a, b| match order_by.as_str() {
        "ModTime" => a.mod_time.cmp(&b.mod_time),
        "FunctionName" => a.name.cmp(&b.name),
        _ => a.add_time.cmp(&b.add_time),
    });
    if request.order.as_ref() != Some(&SortOrder::Asc) {
        functions.reverse();
    }
    let total = functions.len() as i64;
    let page = page(ListFunctionsRequest::DESCRIPTOR, functions, request.offset, request.limit, 20)?;
    let functions = page
        .iter()
        .map(|f| {
            Function::builder()
                .mod_time(&f.mod_time)
                .add_time(&f.add_time)
                .runtime(&f.runtime)
                .function_name(&f.name)
                .function_id(&f.function_id)
                .namespace(&f.namespace)
                .status(f.status.clone())
                .status_desc(&f.status_desc)
                .description(&f.description)
                .tags(tag_list(f)?)
                .type_(f.function_type.as_str())
                .status_reasons([])
                .async_run_enable(switch(f.async_run_enable))
                .trace_enable(Switch::False)
                .build()
                .map_err(ApiError::internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    ListFunctionsResponse::builder()
        .functions(functions)
        .total_count(total)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn delete(
    state: Arc<State>,
    call: Call,
    request: DeleteFunctionRequest,
) -> Result<DeleteFunctionResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let name = request.function_name.clone();
    let key = scope.function(&name);
    let entry = function(&state, DeleteFunctionRequest::DESCRIPTOR, &scope, &name)?;
    match request.qualifier.as_deref().filter(|q| !q.is_empty() && *q != "$LATEST") {
        // A published version only.
        Some(qualifier) => super::versions::delete_version(&state, DeleteFunctionRequest::DESCRIPTOR, &key, qualifier)?,
        None => {
            if entry.latest.in_progress() {
                require_active(DeleteFunctionRequest::DESCRIPTOR, &entry.latest)?;
            }
            super::invoke::stop_async_events_of(&state, &key);
            state.change(
                |w| w.delete_function(&key, None),
                |model, _| {
                    model.functions.remove(&key);
                    model.async_events.retain(|_, event| event.function_key() != key);
                    model.triggers.retain(|trigger, _| trigger.function != key);
                },
            )?;
            state.timers_changed.notify_one();
            state.pools.retire(&crate::records::function_pool_prefix(&key));
        }
    }
    super::collect_code(&state).await;
    DeleteFunctionResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn update_code(
    state: Arc<State>,
    call: Call,
    request: UpdateFunctionCodeRequest,
) -> Result<UpdateFunctionCodeResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let entry = function(&state, UpdateFunctionCodeRequest::DESCRIPTOR, &scope, &request.function_name)?;
    require_active(UpdateFunctionCodeRequest::DESCRIPTOR, &entry.latest)?;
    if let Some(handler) = &request.handler {
        check_handler(handler)?;
    }
    // The code may come as `Code` or as the older top-level members.
    let code = match request.code.clone() {
        Some(code) => code,
        None => Code::builder()
            .set_zip_file(request.zip_file.clone())
            .set_cos_bucket_name(request.cos_bucket_name.clone())
            .set_cos_object_name(request.cos_object_name.clone())
            .build()
            .map_err(ApiError::internal)?,
    };
    let source = request.code_source.as_ref().map(|s| s.as_str().to_owned());
    let stored =
        store_code(&state, UpdateFunctionCodeRequest::DESCRIPTOR, source.as_deref(), &code, MAX_ZIP_UPDATE).await?;
    let mut record = (*entry.latest).clone();
    record.code_sha256 = stored.sha256;
    record.code_size = stored.size as i64;
    if let Some(handler) = &request.handler {
        record.handler = handler.clone();
    }
    let publish = request.publish.as_deref() == Some("TRUE");
    apply_update(&state, record, publish)?;
    super::collect_code(&state).await;
    UpdateFunctionCodeResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn update_configuration(
    state: Arc<State>,
    call: Call,
    request: UpdateFunctionConfigurationRequest,
) -> Result<UpdateFunctionConfigurationResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let entry = function(&state, UpdateFunctionConfigurationRequest::DESCRIPTOR, &scope, &request.function_name)?;
    require_active(UpdateFunctionConfigurationRequest::DESCRIPTOR, &entry.latest)?;
    let mut record = (*entry.latest).clone();
    if let Some(runtime) = &request.runtime {
        check_runtime(runtime)?;
        record.runtime = runtime.clone();
    }
    if let Some(memory) = request.memory_size {
        check_memory(memory)?;
        record.memory_size = memory;
    }
    if let Some(timeout) = request.timeout {
        record.timeout = timeout;
    }
    if let Some(init_timeout) = request.init_timeout {
        record.init_timeout = init_timeout;
    }
    check_public_net(request.public_net_config.as_ref())?;
    if let Some(ignore) = request.ignore_sys_log {
        record.ignore_sys_log = ignore;
    }
    if let Some(description) = &request.description {
        record.description = description.clone();
    }
    if request.environment.is_some() {
        record.environment = environment(request.environment.as_ref())?;
    }
    if let Some(layers) = &request.layers {
        record.layers = super::layers::bindings(&state, &scope.region, layers)?;
        super::layers::prepare_layer_dir(&state, &record.layers).await?;
    }
    let publish = request.publish.as_deref() == Some("TRUE");
    apply_update(&state, record, publish)?;
    if request.layers.is_some() {
        // The layers' former directory may be used by nothing now.
        super::collect_code(&state).await;
    }
    UpdateFunctionConfigurationResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

/// Stores a changed `$LATEST` (status `Updating`, then `Active`), retires its warm instances, and
/// publishes a version if asked.
fn apply_update(state: &Arc<State>, mut record: FunctionRecord, publish: bool) -> Result<(), ApiError> {
    let key = record.key();
    record.mod_time = crate::util::now();
    record.revision = record.revision.wrapping_add(1);
    record.status = FunctionStatus::Updating;
    let revision = record.revision;
    state.change(
        |w| w.put_function(&record),
        |model, _| {
            if let Some(entry) = model.functions.get_mut(&key) {
                entry.latest = Arc::new(record.clone());
            }
        },
    )?;
    state.pools.retire(&format!("{}#", record.pool_prefix()));
    activate_later(state, &key, revision);
    if publish {
        // The version is what the update made, whenever `$LATEST` becomes `Active`.
        super::versions::publish_record(state, &record, "")?;
    }
    Ok(())
}

async fn address(
    state: Arc<State>,
    call: Call,
    request: GetFunctionAddressRequest,
) -> Result<GetFunctionAddressResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let entry = function(&state, GetFunctionAddressRequest::DESCRIPTOR, &scope, &request.function_name)?;
    let qualifier = request.qualifier.clone().unwrap_or_else(|| "$LATEST".into());
    let record = super::version(&entry, &qualifier).ok_or_else(|| {
        super::version_not_found(
            GetFunctionAddressRequest::DESCRIPTOR,
            super::QUALIFIER_NOT_FOUND,
            &request.function_name,
            &qualifier,
        )
    })?;
    require_active(GetFunctionAddressRequest::DESCRIPTOR, &record)?;
    let expires = crate::util::unix_now() + state.settings.limits.code_url_ttl.as_secs() as i64;
    GetFunctionAddressResponse::builder()
        .url(state.settings.code_url_key.url(&state.settings.base_url, &record.code_sha256, expires))
        .code_sha256(&record.code_sha256)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}
