//! Invoking: `InvokeFunction` and `Invoke` (synchronous, or asynchronous with `Event`), and the
//! asynchronous events' status, list and termination.
//!
//! What a function's failure looks like follows the real service (sources in the README's fidelity
//! notes): the call succeeds, and `Result` carries the failure — `InvokeResult` 1 and
//! `{"errorCode":1,"errorMessage":"user code exception caught",…,"statusCode":430}` when the code
//! raised; `InvokeResult` -1 with status 433 (timeout), 434 (memory), 439 (the process exited),
//! 407 (return value over 6 MB) or 432 (concurrency limit). Only request-level problems (no such
//! function or version, a function not `Active`, bad parameters) are API errors.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use scf_sdk::ErrorCode;
use scf_sdk::actions::{
    GetAsyncEventStatusRequest, GetAsyncEventStatusResponse, InvokeFunctionRequest, InvokeFunctionResponse,
    InvokeRequest, InvokeResponse, ListAsyncEventsRequest, ListAsyncEventsResponse, TerminateAsyncEventRequest,
    TerminateAsyncEventResponse,
};
use scf_sdk::runtime::Action as _;
use scf_sdk::runtime::ActionDescriptor;
use scf_sdk::types::{
    AsyncEvent, AsyncEventState, AsyncEventStatus, FunctionStatus, FunctionType, InvocationType, ResultValue, SortOrder,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{documented, error, page, scope};
use crate::api_error::ApiError;
use crate::records::{AliasRecord, AsyncEventRecord, FunctionRecord, Scope};
use crate::runtime::{Completed, InstanceSpec, NoInstance, Outcome, RuntimeKind, StartError};
use crate::server::{Call, Contract, Handlers};
use crate::state::{FunctionEntry, LogCommand, State};
use crate::store::LogRecord;
use crate::store::Store;

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add(&INVOKE_FUNCTION, invoke_function);
    handlers.add(&INVOKE, invoke);
    handlers.add(&GET_ASYNC_EVENT_STATUS, get_async_event_status);
    handlers.add(&LIST_ASYNC_EVENTS, list_async_events);
    handlers.add(&TERMINATE_ASYNC_EVENT, terminate_async_event);
}

const INVOKE_FUNCTION: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundFunctionName,
        ErrorCode::ResourceNotFoundQualifier,
        ErrorCode::FailedOperationFunctionStatusError,
        ErrorCode::FailedOperationInvokeFunction,
        ErrorCode::InvalidParameterValueFunctionType,
        ErrorCode::InvalidParameterValueClientContext,
    ],
    honours: &["FunctionName", "Qualifier", "Event", "LogType", "Namespace", "RoutingKey"],
    refuses: &[],
};

const INVOKE: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::ResourceNotFoundFunctionName,
        ErrorCode::FailedOperationFunctionStatusError,
        ErrorCode::FailedOperationInvokeFunction,
    ],
    honours: &["FunctionName", "InvocationType", "Qualifier", "ClientContext", "LogType", "Namespace", "RoutingKey"],
    refuses: &[],
};

const GET_ASYNC_EVENT_STATUS: Contract =
    Contract { answers: &[ErrorCode::ResourceNotFoundAsyncEvent], honours: &["InvokeRequestId"], refuses: &[] };

const LIST_ASYNC_EVENTS: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundNamespace,
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::InvalidParameterValueLimit,
    ],
    honours: &[
        "FunctionName",
        "Namespace",
        "Qualifier",
        "InvokeType",
        "Status",
        "StartTimeInterval",
        "EndTimeInterval",
        "Order",
        "Orderby",
        "Offset",
        "Limit",
        "InvokeRequestId",
    ],
    refuses: &[],
};

const TERMINATE_ASYNC_EVENT: Contract = Contract {
    answers: &[ErrorCode::ResourceNotFoundAsyncEvent, ErrorCode::FailedOperationAsyncEventStatus],
    honours: &["FunctionName", "InvokeRequestId", "Namespace"],
    // A graceful stop (`SIGTERM` and a grace period) is not emulated: terminating kills at once.
    refuses: &["GraceShutdown"],
};

/// What `LogType` `Tail` returns of the log: its end.
const TAIL_BYTES: usize = 4 * 1024;
/// What the invocation log keeps for `GetFunctionLogs`: what the process printed (at most
/// `Captured::KEEP`, 60 KB) with the framing lines around it.
const MAX_STORED_LOG_BYTES: usize = 64 * 1024;
/// The asynchronous event limit (the synchronous one, 6 MB, is checked with the parameters).
const MAX_ASYNC_EVENT_BYTES: usize = 128 * 1024;

async fn invoke_function(
    state: Arc<State>,
    call: Call,
    request: InvokeFunctionRequest,
) -> Result<InvokeFunctionResponse, ApiError> {
    let target = Target::resolve(
        &state,
        InvokeFunctionRequest::DESCRIPTOR,
        &scope(&call, &request.namespace),
        &request.function_name,
        request.qualifier.as_deref().unwrap_or("$DEFAULT"),
        request.routing_key.as_ref(),
    )?;
    target.refuse_web_function(ErrorCode::InvalidParameterValueFunctionType)?;
    let event = event_bytes(InvokeFunctionRequest::DESCRIPTOR, request.event.as_ref())?;
    let tail = request.log_type.as_ref().is_some_and(|t| t.as_str() == "Tail");
    let result = run(&state, &target, event, tail).await?;
    InvokeFunctionResponse::builder().result(result).request_id(call.request_id).build().map_err(ApiError::internal)
}

async fn invoke(state: Arc<State>, call: Call, request: InvokeRequest) -> Result<InvokeResponse, ApiError> {
    let target = Target::resolve(
        &state,
        InvokeRequest::DESCRIPTOR,
        &scope(&call, &request.namespace),
        &request.function_name,
        request.qualifier.as_deref().unwrap_or("$LATEST"),
        request.routing_key.as_ref(),
    )?;
    // `Invoke` lists no code of its own for this.
    target.refuse_web_function(ErrorCode::InvalidParameterValue)?;
    let event = event_bytes(InvokeRequest::DESCRIPTOR, request.client_context.as_ref())?;
    let result = if request.invocation_type.as_ref() == Some(&InvocationType::Event) {
        if event.len() > MAX_ASYNC_EVENT_BYTES {
            return Err(error(
                documented(
                    InvokeRequest::DESCRIPTOR,
                    &[ErrorCode::InvalidParameterRequestTooLarge],
                    ErrorCode::InvalidParameterValue,
                ),
                format!("An asynchronous event is at most 128 KB; this one is {} bytes.", event.len()),
                "异步调用的事件大小不能超过 128 KB。",
            ));
        }
        start_async(&state, target, event)?
    } else {
        let tail = request.log_type.as_deref() == Some("Tail");
        run(&state, &target, event, tail).await?
    };
    InvokeResponse::builder().result(result).request_id(call.request_id).build().map_err(ApiError::internal)
}

/// What an invocation from inside the emulator (a trigger, an HTTP request) produced.
#[derive(Debug)]
pub(crate) struct Invocation {
    /// As `InvokeFunction` answers it (without the log).
    pub result: ResultValue,
    /// 200 on success, else the execution status code (430 the code raised, 433 timeout, …).
    pub status_code: i64,
}

/// Invokes `qualifier` of function `name` synchronously from inside the emulator, with `event` as
/// the function receives it (a JSON object). Recorded for `GetFunctionLogs` like any invocation.
/// Errors are those `InvokeFunction` would answer (no such function, not `Active`, …).
pub(crate) async fn invoke_sync(
    state: &Arc<State>,
    scope: &Scope,
    name: &str,
    qualifier: &str,
    event: Bytes,
    source: Source,
) -> Result<Invocation, ApiError> {
    let target = Target::internal(state, scope, name, qualifier, source)?;
    let request_id = crate::util::request_id();
    let start_time = crate::util::now();
    let report = execute(state, &target, &request_id, event).await?;
    record_log(state, &target.record, &target.qualifier, &request_id, start_time, &report);
    Ok(Invocation { result: report.result, status_code: report.status_code })
}

/// Invokes `qualifier` of function `name` asynchronously from inside the emulator: an
/// asynchronous event (listed by `ListAsyncEvents` with the source's `InvokeType`). Its request id.
pub(crate) fn invoke_async(
    state: &Arc<State>,
    scope: &Scope,
    name: &str,
    qualifier: &str,
    event: Bytes,
    source: Source,
) -> Result<String, ApiError> {
    let target = Target::internal(state, scope, name, qualifier, source)?;
    Ok(start_async(state, target, event)?.function_request_id)
}

/// The version `qualifier` of function `name` names (an alias routed as `InvokeFunction` routes
/// it), if it exists and is `Active`; errors are those `InvokeFunction` would answer.
pub(crate) fn resolve_version(
    state: &State,
    scope: &Scope,
    name: &str,
    qualifier: &str,
) -> Result<Arc<FunctionRecord>, ApiError> {
    Ok(Target::resolve(state, InvokeFunctionRequest::DESCRIPTOR, scope, name, qualifier, None)?.record)
}

/// One request a web function served (or failed to), for `GetFunctionLogs`.
#[derive(Debug)]
pub(crate) struct HttpRequestRecord<'a> {
    pub record: &'a FunctionRecord,
    /// The qualifier as given.
    pub qualifier: &'a str,
    pub request_id: &'a str,
    pub start_time: String,
    pub duration: Duration,
    /// 200 when the function's server answered (whatever its status), else the execution status
    /// code (433 timeout, 434 memory, 439 exited, …).
    pub status_code: i64,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// What the process printed meanwhile.
    pub output: String,
}

/// Records a web function's request as an invocation, framed as event functions' logs are.
pub(crate) fn record_http_request(state: &State, request: HttpRequestRecord<'_>) {
    let HttpRequestRecord { record, qualifier, request_id, start_time, duration, status_code, failure, output } =
        request;
    let duration_ms = milliseconds(duration);
    let payload = failure.map(|why| failure_payload(-1, &why, None, request_id, status_code));
    let log = if record.ignore_sys_log {
        output
    } else {
        log_text(request_id, &output, payload.as_deref(), duration_ms, record.memory_size, 0)
    };
    let invoke_result = if payload.is_some() { -1 } else { 0 };
    let payload = payload.unwrap_or_default();
    let bill_duration = (duration_ms.ceil() as i64).max(1);
    let result = result_value(request_id, payload.clone(), payload, duration_ms, bill_duration, 0, invoke_result);
    record_log(state, record, qualifier, request_id, start_time, &Report { result, log, status_code });
}

/// A duration in milliseconds, to the microsecond, as `Duration` reports it.
fn milliseconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

/// The function version an invocation runs, after resolving the qualifier and routing.
pub(crate) struct Target {
    record: Arc<FunctionRecord>,
    /// The qualifier as given (an alias name, a version, `$LATEST`).
    qualifier: String,
    source: Source,
}

/// Where an invocation comes from. Triggered invocations run in instances of their own: the
/// service tells a function its trigger in the process environment (`TRIGGER_SRC`), which a warm
/// process cannot change between invocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `Invoke`, `InvokeFunction`, and HTTP requests (API Gateway events, web functions).
    Api,
    /// A timer trigger.
    Timer,
}

impl Source {
    /// `TRIGGER_SRC` in the function's environment.
    fn trigger_src(self) -> Option<&'static str> {
        match self {
            Source::Api => None,
            Source::Timer => Some("timer"),
        }
    }

    /// The `InvokeType` of an asynchronous event from here, as `ListAsyncEvents` shows it.
    fn invoke_type(self) -> &'static str {
        match self {
            Source::Api => "OTHERS",
            Source::Timer => "TRIGGER_TIMER",
        }
    }

    /// The pool of instances for `record` invoked from here.
    fn pool_key(self, record: &FunctionRecord) -> String {
        match self.trigger_src() {
            None => record.pool_key(),
            Some(trigger) => format!("{}#{trigger}", record.pool_key()),
        }
    }
}

impl Target {
    fn resolve(
        state: &State,
        descriptor: &ActionDescriptor,
        scope: &Scope,
        name: &str,
        qualifier: &str,
        routing_key: Option<&BTreeMap<String, String>>,
    ) -> Result<Target, ApiError> {
        // The seed page's codes: `ResourceNotFound.FunctionName` for a missing function, and
        // `ResourceNotFound.Function` when its namespace does not exist either.
        let entry: FunctionEntry = {
            let model = state.read();
            let namespace = &scope.namespace;
            if !model.has_namespace(scope) {
                return Err(error(
                    ErrorCode::ResourceNotFoundFunction,
                    format!("The function `{name}` does not exist: there is no namespace `{namespace}`."),
                    format!("函数 `{name}` 不存在（命名空间 `{namespace}` 不存在）。"),
                ));
            }
            model.functions.get(&scope.function(name)).cloned().ok_or_else(|| {
                error(
                    ErrorCode::ResourceNotFoundFunctionName,
                    format!("Function not found: [{name}]"),
                    format!("函数不存在：[{name}]"),
                )
            })?
        };
        let version = match entry.aliases.get(qualifier) {
            Some(alias) => route(alias, routing_key),
            None => qualifier.to_owned(),
        };
        let record = super::version(&entry, &version).ok_or_else(|| {
            error(
                documented(descriptor, super::QUALIFIER_NOT_FOUND, ErrorCode::ResourceNotFound),
                format!("The version or alias `{qualifier}` of `{name}` does not exist."),
                format!("函数 `{name}` 的版本或别名 `{qualifier}` 不存在。"),
            )
        })?;
        // A failed update leaves published versions usable; what is deploying is not.
        if record.status != FunctionStatus::Active {
            return Err(ApiError::status(name, record.status.as_str()));
        }
        Ok(Target { record, qualifier: qualifier.to_owned(), source: Source::Api })
    }
}

impl Target {
    /// The event function an invocation from inside the emulator runs (resolved and refused as
    /// `InvokeFunction` would), in `source`'s instances.
    fn internal(state: &State, scope: &Scope, name: &str, qualifier: &str, source: Source) -> Result<Target, ApiError> {
        let mut target = Target::resolve(state, InvokeFunctionRequest::DESCRIPTOR, scope, name, qualifier, None)?;
        target.refuse_web_function(ErrorCode::InvalidParameterValueFunctionType)?;
        target.source = source;
        Ok(target)
    }

    /// A web (`HTTP`) function serves HTTP requests; it cannot be invoked with an event.
    fn refuse_web_function(&self, code: ErrorCode) -> Result<(), ApiError> {
        if self.record.function_type != "HTTP" {
            return Ok(());
        }
        Err(error(
            code,
            format!(
                "`{}` is a web function: it serves HTTP requests and cannot be invoked with an event.",
                self.record.name
            ),
            "Web 函数不支持事件调用。",
        ))
    }
}

/// The version an alias sends this invocation to: a matching rule, else a weighted draw, else
/// the alias's own version.
fn route(alias: &AliasRecord, routing_key: Option<&BTreeMap<String, String>>) -> String {
    for rule in &alias.matches {
        let key = rule.key.strip_prefix("invoke.headers.").unwrap_or(&rule.key);
        let Some(value) = routing_key.and_then(|k| k.get(key)) else { continue };
        let matched = match rule.method.as_str() {
            "exact" => *value == rule.expression,
            "range" => match (super::aliases::parse_range(&rule.expression), value.trim().parse::<i64>()) {
                (Some((low_in, low, high, high_in)), Ok(n)) => {
                    (if low_in { n >= low } else { n > low }) && (if high_in { n <= high } else { n < high })
                }
                _ => false,
            },
            _ => false,
        };
        if matched {
            return rule.version.clone();
        }
    }
    let draw = fastrand::f64();
    let mut cumulative = 0.0;
    for (version, weight) in &alias.weights {
        cumulative += weight;
        if draw < cumulative {
            return version.clone();
        }
    }
    alias.version.clone()
}

/// The event as the function receives it: a JSON object (`{}` when absent).
fn event_bytes(descriptor: &ActionDescriptor, event: Option<&Value>) -> Result<Bytes, ApiError> {
    match event {
        None => Ok(Bytes::from_static(b"{}")),
        Some(value @ Value::Object(_)) => Ok(Bytes::from(serde_json::to_vec(value).map_err(ApiError::internal)?)),
        Some(other) => Err(error(
            documented(descriptor, &[ErrorCode::InvalidParameterValueClientContext], ErrorCode::InvalidParameterValue),
            format!("The event must be a JSON object; got {}.", kind_of(other)),
            "函数的入参须为 JSON 对象。",
        )),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How an instance of this version is started.
pub(crate) fn instance_spec(state: &State, record: &FunctionRecord, source: Source) -> Result<InstanceSpec, ApiError> {
    let cannot_run = |why: String| {
        error(
            ErrorCode::FailedOperationInvokeFunction,
            format!("Invoking the function failed: {why}."),
            format!("调用函数失败：{why}。"),
        )
    };
    let code_dir = state.store.code_dir(&record.code_sha256);
    // A web function's package starts its own server, whatever its runtime.
    let (program, args) = if record.function_type == FunctionType::Http.as_str() {
        crate::runtime::web_bootstrap(&code_dir).map_err(cannot_run)?
    } else {
        let kind = RuntimeKind::of(&record.runtime)
            .ok_or_else(|| cannot_run(format!("scf-local cannot run `{}`", record.runtime)))?;
        state.runtimes.command(kind, &record.runtime, &code_dir).map_err(cannot_run)?
    };
    let code = code_dir.display().to_string();
    let layer_dir = layer_dir(state, record);
    if let Some(dir) = layer_dir.as_ref().filter(|dir| !dir.is_dir()) {
        return Err(cannot_run(format!("its layers' directory {} is missing (see the emulator's log)", dir.display())));
    }
    // The layers' directory stands for `/opt`, on the paths where the service puts `/opt`.
    let opt = layer_dir.as_ref().map(|dir| dir.display().to_string());
    let after = |paths: String, layer_paths: &dyn Fn(&str) -> String| match &opt {
        Some(opt) => format!("{paths}:{}", layer_paths(opt)),
        None => paths,
    };
    let mut env: Vec<(String, String)> = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
        ("PYTHONUNBUFFERED", "1"),
        ("PYTHONDONTWRITEBYTECODE", "x"),
        ("PYTHONPATH", &after(code.clone(), &|opt| opt.to_owned())),
        ("NODE_PATH", &after(format!("{code}:{code}/node_modules"), &|opt| format!("{opt}:{opt}/node_modules"))),
        ("LD_LIBRARY_PATH", &after(code.clone(), &|opt| opt.to_owned())),
        ("USER_CODE_ROOT", code.as_str()),
        ("TENCENTCLOUD_RUNENV", "SCF"),
        ("TENCENTCLOUD_REGION", record.region.as_str()),
        ("TENCENTCLOUD_APPID", "1250000000"),
        ("TENCENTCLOUD_UIN", "100000000001"),
        ("TENCENTCLOUD_TZ", "UTC"),
        ("SCF_RUNTIME", record.runtime.as_str()),
        ("SCF_FUNCTIONNAME", record.name.as_str()),
        ("SCF_FUNCTIONVERSION", record.version.as_str()),
        ("SCF_NAMESPACE", record.namespace.as_str()),
        ("_HANDLER", record.handler.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(trigger) = source.trigger_src() {
        env.push(("TRIGGER_SRC".to_owned(), trigger.to_owned()));
    }
    if let Some(opt) = &opt {
        env.push((LAYER_DIR_VARIABLE.to_owned(), opt.clone()));
    }
    env.extend(record.environment.iter().cloned());
    Ok(InstanceSpec {
        program,
        args,
        code_dir,
        layer_dir,
        env,
        memory_limit_mb: record.memory_size.max(1) as u64,
        timeout: Duration::from_secs(record.timeout.max(1) as u64),
        init_timeout: super::init_timeout(record),
        scratch_root: state.settings.data_dir.join("instances"),
    })
}

/// The variable that tells a function where its layers are (scf-local's own: on the service they
/// are at `/opt`, which no variable names). Code that reads layer files by absolute path can use
/// `os.environ.get("SCF_LOCAL_LAYER_DIR", "/opt")` and run unchanged on both.
pub(crate) const LAYER_DIR_VARIABLE: &str = "SCF_LOCAL_LAYER_DIR";

/// The merged directory of the version's layers, if it binds any.
fn layer_dir(state: &State, record: &FunctionRecord) -> Option<std::path::PathBuf> {
    if record.layers.is_empty() {
        return None;
    }
    let packages: Vec<String> = record.layers.iter().map(|l| l.code_sha256.clone()).collect();
    Some(state.store.layer_dir(&crate::store::layer_dir_id(&packages)))
}

/// What one invocation produced, ready to report.
struct Report {
    result: ResultValue,
    /// The whole log (for `GetFunctionLogs`).
    log: String,
    /// 200 on success, the execution status code otherwise.
    status_code: i64,
}

/// Runs one invocation synchronously and reports it (log record included).
async fn run(state: &Arc<State>, target: &Target, event: Bytes, tail: bool) -> Result<ResultValue, ApiError> {
    let request_id = crate::util::request_id();
    let start_time = crate::util::now();
    let report = execute(state, target, &request_id, event).await?;
    record_log(state, &target.record, &target.qualifier, &request_id, start_time, &report);
    let log = if tail { crate::util::tail(&report.log, TAIL_BYTES).to_owned() } else { String::new() };
    let mut result = report.result;
    result.log = log;
    Ok(result)
}

/// Runs one invocation, `function_request_id`, on the version's pool; the outcome becomes a
/// `Result` (failures of the function included) and a log (which the caller records: an
/// asynchronous invocation that is retried or terminated is recorded once, as it ended).
async fn execute(
    state: &Arc<State>,
    target: &Target,
    function_request_id: &str,
    event: Bytes,
) -> Result<Report, ApiError> {
    let record = &target.record;
    let key = target.source.pool_key(record);
    let pool = match state.pools.get_existing(&key) {
        Some(pool) => pool,
        None => {
            let spec = instance_spec(state, record, target.source)?;
            state.pools.get(&key, || spec)
        }
    };
    let started = Instant::now();
    let report = match pool.invoke(function_request_id.to_owned(), event).await {
        Ok(run) => {
            if let Some(cold) = run.cold_start {
                tracing::debug!(function = %record.name, cold_start_ms = cold.as_millis() as u64, "started an instance");
            }
            let completed = as_on_service(state, record, run.completed);
            report(record, function_request_id, &completed)
        }
        Err(NoInstance::ConcurrencyLimit { limit }) => platform_failure(
            record,
            function_request_id,
            432,
            format!(
                "Function [ {} ] concurrency exceeded region unreserved quota {} MB",
                record.name,
                limit as i64 * record.memory_size
            ),
            started.elapsed(),
        ),
        // The package failed to load, or the handler was not found.
        Err(NoInstance::StartFailed(StartError::Exited(why))) => {
            platform_failure(record, function_request_id, 437, format!("HandlerNotFound: {why}"), started.elapsed())
        }
        Err(NoInstance::StartFailed(StartError::Timeout(why))) => platform_failure(
            record,
            function_request_id,
            450,
            format!("InitContainerTimeout: {why}"),
            started.elapsed(),
        ),
        // Nothing of the function ran: the emulator could not start it.
        Err(NoInstance::StartFailed(StartError::Spawn(why))) => {
            return Err(error(
                ErrorCode::FailedOperationInvokeFunction,
                format!("Invoking the function failed: {why}."),
                format!("调用函数失败：{why}。"),
            ));
        }
    };
    Ok(report)
}

/// An event's time (with microseconds) as invocation records keep times (whole seconds).
fn to_seconds(time: &str) -> String {
    time.split('.').next().unwrap_or(time).to_owned()
}

/// Records a terminated asynchronous event's invocation, under its id.
/// Asynchronous events an earlier run left running did not finish: each becomes `FAILED`, stored
/// so, with a log row that says why.
pub(crate) fn fail_interrupted_events(state: &State) -> Result<(), ApiError> {
    let interrupted: Vec<AsyncEventRecord> =
        state.read().async_events.values().filter(|event| event.status == AsyncEventState::Running).cloned().collect();
    for mut event in interrupted {
        event.status = AsyncEventState::Failed;
        event.status_code = 500;
        event.end_time = crate::util::now_micros();
        record_unfinished(state, &event, "The emulator stopped while the asynchronous event ran");
        save_event(state, event)?;
    }
    Ok(())
}

/// The log row of an event that ended without a result (terminated, or cut off by a stop).
fn record_unfinished(state: &State, event: &AsyncEventRecord, why: &str) {
    let payload = failure_payload(-1, why, None, &event.request_id, event.status_code);
    let log = log_text(&event.request_id, "", Some(&payload), 0.0, 0, 0);
    let _ = state.logs.send(LogCommand::Record(Box::new(LogRecord {
        region: event.region.clone(),
        namespace: event.namespace.clone(),
        function: event.function.clone(),
        qualifier: event.qualifier.clone(),
        request_id: event.request_id.clone(),
        start_time: to_seconds(&event.start_time),
        duration: 0.0,
        bill_duration: 0,
        mem_usage: 0,
        ret_code: event.status_code,
        ret_msg: payload,
        log,
    })));
}

/// What an invocation printed and reported, with this machine's paths written as the service's:
/// the code directory as `/var/user`, the runtime bootstraps' as `/var/runtime`, the layers' as
/// `/opt` (a stack trace then reads as it would on SCF, and shows nothing of the host).
fn as_on_service(state: &State, record: &FunctionRecord, mut completed: Completed) -> Completed {
    let code_dir = state.store.code_dir(&record.code_sha256).display().to_string();
    let runtime_dir = state.settings.data_dir.join("runtimes").display().to_string();
    let mut dirs = vec![(code_dir, "/var/user"), (runtime_dir, "/var/runtime")];
    if let Some(layer_dir) = layer_dir(state, record) {
        dirs.push((layer_dir.display().to_string(), "/opt"));
    }
    let mentions = |text: &str| dirs.iter().any(|(dir, _)| text.contains(dir.as_str()));
    let rewrite =
        |text: &str| dirs.iter().fold(text.to_owned(), |text, (dir, shown)| text.replace(dir.as_str(), shown));
    if mentions(&completed.output) {
        completed.output = rewrite(&completed.output);
    }
    if let Outcome::FunctionError(body) = &completed.outcome {
        let text = String::from_utf8_lossy(body);
        if mentions(&text) {
            completed.outcome = Outcome::FunctionError(Bytes::from(rewrite(&text)));
        }
    }
    completed
}

/// Sends an invocation's record to the log writer.
fn record_log(
    state: &State,
    record: &FunctionRecord,
    qualifier: &str,
    request_id: &str,
    start_time: String,
    report: &Report,
) {
    let _ = state.logs.send(LogCommand::Record(Box::new(LogRecord {
        region: record.region.clone(),
        namespace: record.namespace.clone(),
        function: record.name.clone(),
        qualifier: qualifier.to_owned(),
        request_id: request_id.to_owned(),
        start_time,
        duration: report.result.duration,
        bill_duration: report.result.bill_duration,
        mem_usage: report.result.mem_usage,
        ret_code: if report.status_code == 200 { 0 } else { report.status_code },
        ret_msg: crate::util::head(&report.result.ret_msg, MAX_STORED_LOG_BYTES).to_owned(),
        log: crate::util::tail(&report.log, MAX_STORED_LOG_BYTES).to_owned(),
    })));
}

/// The `Result` and log of a finished invocation.
fn report(record: &FunctionRecord, request_id: &str, completed: &Completed) -> Report {
    let mut duration_ms = milliseconds(completed.duration);
    let (ret_msg, invoke_result, status_code, payload) = match &completed.outcome {
        Outcome::ResultTooLarge => {
            let payload =
                failure_payload(-1, "The size of response exceeds the upper limit (6MB)", None, request_id, 407);
            (payload.clone(), -1, 407, Some(payload))
        }
        Outcome::Response(body) => (String::from_utf8_lossy(body).into_owned(), 0, 200, None),
        Outcome::FunctionError(body) => {
            let stack = stack_trace(body);
            let payload = failure_payload(1, "user code exception caught", Some(&stack), request_id, 430);
            (payload.clone(), 1, 430, Some(payload))
        }
        Outcome::Timeout => {
            duration_ms = (record.timeout * 1000) as f64;
            let message = format!("Invoking task timed out after {} seconds", record.timeout);
            let payload = failure_payload(-1, &message, None, request_id, 433);
            (payload.clone(), -1, 433, Some(payload))
        }
        Outcome::OutOfMemory => {
            let payload =
                failure_payload(-1, &format!("Task memory exceeded {} MB", record.memory_size), None, request_id, 434);
            (payload.clone(), -1, 434, Some(payload))
        }
        Outcome::Exited(_) => {
            let payload = failure_payload(-1, "User process exit when running", None, request_id, 439);
            (payload.clone(), -1, 439, Some(payload))
        }
    };
    let bill_duration = (duration_ms.ceil() as i64).max(1);
    let mem_usage = completed.peak_memory as i64;
    // `IgnoreSysLog`: the function's own output only, without the platform's lines.
    let log = if record.ignore_sys_log {
        completed.output.clone()
    } else {
        log_text(request_id, &completed.output, payload.as_deref(), duration_ms, record.memory_size, mem_usage)
    };
    let result = result_value(
        request_id,
        ret_msg,
        payload.unwrap_or_default(),
        duration_ms,
        bill_duration,
        mem_usage,
        invoke_result,
    );
    Report { result, log, status_code }
}

/// A failure of the platform rather than of the code (no instance could run it).
fn platform_failure(
    record: &FunctionRecord,
    request_id: &str,
    status_code: i64,
    message: String,
    elapsed: Duration,
) -> Report {
    let payload = failure_payload(-1, &message, None, request_id, status_code);
    let duration_ms = milliseconds(elapsed);
    let log = if record.ignore_sys_log {
        String::new()
    } else {
        log_text(request_id, "", Some(&payload), duration_ms, record.memory_size, 0)
    };
    let result = result_value(request_id, payload.clone(), payload, duration_ms, 0, 0, -1);
    Report { result, log, status_code }
}

/// `InvokeResult` is deprecated, but the service still sends it (0 success, 1 the code raised, -1
/// the platform stopped it), so the emulator does too.
#[allow(deprecated)]
fn result_value(
    request_id: &str,
    ret_msg: String,
    err_msg: String,
    duration: f64,
    bill_duration: i64,
    mem_usage: i64,
    invoke_result: i64,
) -> ResultValue {
    ResultValue::builder()
        .invoke_result(invoke_result)
        .log("")
        .ret_msg(ret_msg)
        .err_msg(err_msg)
        .mem_usage(mem_usage)
        .duration(duration)
        .bill_duration(bill_duration)
        .function_request_id(request_id)
        .build()
        .unwrap_or_else(|_| unreachable!("every required member is set above"))
}

/// The service's failure JSON (compact, keys in its order).
fn failure_payload(code: i64, message: &str, stack: Option<&str>, request_id: &str, status_code: i64) -> String {
    let mut payload = serde_json::Map::new();
    payload.insert("errorCode".into(), json!(code));
    payload.insert("errorMessage".into(), json!(message));
    payload.insert("requestId".into(), json!(request_id));
    if let Some(stack) = stack {
        payload.insert("stackTrace".into(), json!(stack));
    }
    payload.insert("statusCode".into(), json!(status_code));
    Value::Object(payload).to_string()
}

/// The stack trace in an error the runtime posted (its `stackTrace`, else the whole text).
fn stack_trace(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => match value.get("stackTrace").and_then(Value::as_str) {
            Some(stack) if !stack.is_empty() => stack.to_owned(),
            _ => value
                .get("errorMessage")
                .and_then(Value::as_str)
                .map_or_else(|| text.clone().into_owned(), str::to_owned),
        },
        Err(_) => text.into_owned(),
    }
}

/// The invocation's log, framed as the service frames it.
fn log_text(
    request_id: &str,
    output: &str,
    failure: Option<&str>,
    duration_ms: f64,
    memory_mb: i64,
    mem_usage: i64,
) -> String {
    let mut log = format!("START RequestId: {request_id}\nEvent RequestId: {request_id}\n");
    log.push_str(output);
    if !output.is_empty() && !output.ends_with('\n') {
        log.push('\n');
    }
    if let Some(failure) = failure {
        log.push_str(&format!("ERROR RequestId:{request_id} Result:{failure}\n"));
    }
    log.push_str(&format!(
        "\nEND RequestId: {request_id}\nReport RequestId: {request_id} Duration:{}ms Memory:{memory_mb}MB MemUsage:{:.6}MB\n",
        duration_ms.ceil() as i64,
        mem_usage as f64 / (1024.0 * 1024.0)
    ));
    log
}

/// Starts an asynchronous invocation; returns the `Result` of its acceptance.
fn start_async(state: &Arc<State>, target: Target, event: Bytes) -> Result<ResultValue, ApiError> {
    let max_events = state.settings.limits.max_async_events;
    let running = state.running_async.lock().unwrap_or_else(|e| e.into_inner()).len();
    if running >= max_events {
        return Err(error(
            ErrorCode::FailedOperationInvokeFunction,
            format!(
                "{running} asynchronous events are running, the most scf-local keeps ({max_events}); try again when some have finished."
            ),
            format!("正在运行的异步事件已达上限（{max_events}），请稍后重试。"),
        ));
    }
    retain_async_events(state, max_events.saturating_sub(1))?;
    let request_id = crate::util::request_id();
    let record = AsyncEventRecord {
        request_id: request_id.clone(),
        region: target.record.region.clone(),
        namespace: target.record.namespace.clone(),
        function: target.record.name.clone(),
        qualifier: target.qualifier.clone(),
        invoke_type: target.source.invoke_type().into(),
        status: AsyncEventState::Running,
        status_code: 202,
        start_time: crate::util::now_micros(),
        end_time: String::new(),
    };
    save_event(state, record.clone())?;
    let state_for_task = state.clone();
    // Registered before the task can finish, under the lock it finishes under.
    let mut running = state.running_async.lock().unwrap_or_else(|e| e.into_inner());
    let task = tokio::spawn(async move {
        let state = state_for_task;
        let started = Instant::now();
        // Like the service, wait for capacity instead of failing (the service retries every minute).
        let deadline = started + Duration::from_secs(60);
        let report = loop {
            match execute(&state, &target, &record.request_id, event.clone()).await {
                Ok(report) if report.status_code == 432 && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Ok(report) => break report,
                Err(error) => {
                    break platform_failure(&target.record, &record.request_id, 500, error.en, started.elapsed());
                }
            }
        };
        // Whoever takes the event out of the running set ends it: here, `TerminateAsyncEvent` or
        // `DeleteFunction`.
        let was_running = state.running_async.lock().unwrap_or_else(|e| e.into_inner()).remove(&record.request_id);
        if was_running.is_none() {
            return;
        }
        let done_id = record.request_id.clone();
        let start_time = to_seconds(&record.start_time);
        let mut done = record;
        done.status = if report.status_code == 200 { AsyncEventState::Finished } else { AsyncEventState::Failed };
        done.status_code = report.status_code;
        done.end_time = crate::util::now_micros();
        match finish_event(&state, done) {
            Ok(true) => record_log(&state, &target.record, &target.qualifier, &done_id, start_time, &report),
            Ok(false) => {} // The function was deleted meanwhile: nothing of it is kept.
            Err(error) => tracing::error!("cannot record an asynchronous event: {}", error.en),
        }
    });
    running.insert(request_id.clone(), task.abort_handle());
    drop(running);
    Ok(result_value(&request_id, String::new(), String::new(), 0.0, 0, 0, 0))
}

/// Keeps at most `keep` asynchronous events: the oldest finished ones go (a tenth more than needed,
/// so this is not done for every event). Running events always stay.
fn retain_async_events(state: &State, keep: usize) -> Result<(), ApiError> {
    let expired: Vec<String> = {
        let model = state.read();
        if model.async_events.len() <= keep {
            return Ok(());
        }
        let excess = model.async_events.len() - keep + keep / 10;
        let mut finished: Vec<&AsyncEventRecord> =
            model.async_events.values().filter(|e| e.status != AsyncEventState::Running).collect();
        finished.sort_by(|a, b| a.start_time.cmp(&b.start_time));
        finished.iter().take(excess).map(|e| e.request_id.clone()).collect()
    };
    state.change(
        |w| expired.iter().try_for_each(|id| w.delete_async_event(id)),
        |model, _| {
            for id in &expired {
                model.async_events.remove(id);
            }
        },
    )
}

fn save_event(state: &State, record: AsyncEventRecord) -> Result<(), ApiError> {
    state.change(
        |w| w.put_async_event(&record),
        |model, _| {
            model.async_events.insert(record.request_id.clone(), record.clone());
        },
    )
}

/// Records a finished event, unless its function was deleted while it ran (checked in the same
/// transaction as the write, so a deletion cannot slip in between). Whether it was recorded.
fn finish_event(state: &State, record: AsyncEventRecord) -> Result<bool, ApiError> {
    let key = record.function_key();
    state.change(
        |w| {
            let exists = w.has_function(&key)?;
            if exists {
                w.put_async_event(&record)?;
            }
            Ok(exists)
        },
        |model, exists| {
            if *exists {
                model.async_events.insert(record.request_id.clone(), record.clone());
            }
        },
    )
}

/// Stops the running asynchronous events of a function that is being deleted: none of them
/// records anything afterwards. Each stopped task drops its instance, which kills the process.
pub(crate) fn stop_async_events_of(state: &State, key: &crate::records::FunctionKey) {
    let ids: Vec<String> = state
        .read()
        .async_events
        .values()
        .filter(|event| event.function_key() == *key)
        .map(|event| event.request_id.clone())
        .collect();
    let mut running = state.running_async.lock().unwrap_or_else(|e| e.into_inner());
    for id in ids {
        if let Some(task) = running.remove(&id) {
            task.abort();
        }
    }
}

fn event_not_found(id: &str) -> ApiError {
    error(
        ErrorCode::ResourceNotFoundAsyncEvent,
        format!("There is no asynchronous event `{id}`."),
        format!("异步事件 `{id}` 不存在。"),
    )
}

async fn get_async_event_status(
    state: Arc<State>,
    call: Call,
    request: GetAsyncEventStatusRequest,
) -> Result<GetAsyncEventStatusResponse, ApiError> {
    let event = state
        .read()
        .async_events
        .get(&request.invoke_request_id)
        .filter(|event| event.region == call.region)
        .cloned()
        .ok_or_else(|| event_not_found(&request.invoke_request_id))?;
    let status = AsyncEventStatus::builder()
        .status(event.status.clone())
        .status_code(if event.status == AsyncEventState::Running { 0 } else { event.status_code })
        .invoke_request_id(&event.request_id)
        .build()
        .map_err(ApiError::internal)?;
    GetAsyncEventStatusResponse::builder()
        .result(status)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn list_async_events(
    state: Arc<State>,
    call: Call,
    request: ListAsyncEventsRequest,
) -> Result<ListAsyncEventsResponse, ApiError> {
    let key = scope(&call, &request.namespace).function(&request.function_name);
    super::function(&state, ListAsyncEventsRequest::DESCRIPTOR, &key.scope, &key.name)?;
    let mut events: Vec<AsyncEventRecord> =
        state.read().async_events.values().filter(|e| e.function_key() == key).cloned().collect();
    if let Some(qualifier) = &request.qualifier {
        events.retain(|e| &e.qualifier == qualifier);
    }
    if let Some(id) = &request.invoke_request_id {
        events.retain(|e| &e.request_id == id);
    }
    if let Some(statuses) = request.status.as_ref().filter(|s| !s.is_empty()) {
        events.retain(|e| statuses.contains(&e.status));
    }
    if let Some(types) = request.invoke_type.as_ref().filter(|t| !t.is_empty()) {
        events.retain(|e| types.contains(&e.invoke_type));
    }
    // Half-open `[Start, End)`; times compare as text (`…:ss.ffffff` after `…:ss`).
    for (member, interval, time) in [
        (
            "StartTimeInterval",
            &request.start_time_interval,
            (|e: &AsyncEventRecord| e.start_time.clone()) as fn(&AsyncEventRecord) -> String,
        ),
        ("EndTimeInterval", &request.end_time_interval, |e: &AsyncEventRecord| e.end_time.clone()),
    ] {
        let Some(interval) = interval else { continue };
        for (part, text) in [("Start", &interval.start), ("End", &interval.end)] {
            if !crate::util::is_time(text) {
                return Err(error(
                    ErrorCode::InvalidParameterValue,
                    format!("`{member}.{part}` is `{text}`; it must be a time such as `2024-01-02 15:04:05`."),
                    format!("{member}.{part} 时间格式错误，应为 %Y-%m-%d %H:%M:%S。"),
                ));
            }
        }
        events.retain(|e| {
            let time = time(e);
            !time.is_empty() && time.as_str() >= interval.start.as_str() && time.as_str() < interval.end.as_str()
        });
    }
    let by_end = request.orderby.as_ref().is_some_and(|o| o.as_str() == "EndTime");
    events.sort_by(|a, b| if by_end { a.end_time.cmp(&b.end_time) } else { a.start_time.cmp(&b.start_time) });
    if request.order.as_ref() != Some(&SortOrder::Asc) {
        events.reverse();
    }
    let total = events.len() as i64;
    let list = page(ListAsyncEventsRequest::DESCRIPTOR, events, request.offset, request.limit, 20)?
        .iter()
        .map(|e| {
            AsyncEvent::builder()
                .invoke_request_id(&e.request_id)
                .invoke_type(&e.invoke_type)
                .qualifier(&e.qualifier)
                .status(e.status.clone())
                .start_time(&e.start_time)
                .end_time(&e.end_time)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    ListAsyncEventsResponse::builder()
        .total_count(total)
        .event_list(list)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

async fn terminate_async_event(
    state: Arc<State>,
    call: Call,
    request: TerminateAsyncEventRequest,
) -> Result<TerminateAsyncEventResponse, ApiError> {
    let id = request.invoke_request_id.clone();
    let key = scope(&call, &request.namespace).function(&request.function_name);
    let event = state.read().async_events.get(&id).cloned().ok_or_else(|| event_not_found(&id))?;
    if event.function_key() != key {
        return Err(event_not_found(&id));
    }
    let running = state.running_async.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    let Some(task) = running.filter(|_| event.status == AsyncEventState::Running) else {
        return Err(error(
            ErrorCode::FailedOperationAsyncEventStatus,
            format!("The event `{id}` is {}; only a running event can be terminated.", event.status),
            "当前异步事件状态不支持此操作，请稍后重试。",
        ));
    };
    // Stopping the task drops its instance, which kills the process.
    task.abort();
    let mut aborted = event;
    aborted.status = AsyncEventState::Aborted;
    aborted.status_code = 499;
    aborted.end_time = crate::util::now_micros();
    record_unfinished(&state, &aborted, "The asynchronous event was terminated");
    save_event(&state, aborted)?;
    TerminateAsyncEventResponse::builder().request_id(call.request_id).build().map_err(ApiError::internal)
}

/// Stores invocation logs off the invocation path, gathered into one transaction per 100 ms (or
/// per 2,000 records, or at a flush); keeps the newest within `limits` (rows and bytes). It owns the
/// store, so what was sent is written even while the emulator is being dropped.
pub(crate) async fn log_writer(
    store: Arc<Store>,
    mut commands: mpsc::UnboundedReceiver<LogCommand>,
    limits: crate::store::LogLimits,
) {
    const GATHER: Duration = Duration::from_millis(100);
    const MAX_BATCH: usize = 2_000;
    // Trim when a tenth of either limit has been written since the last trim (and once at start).
    let (mut rows_since_trim, mut bytes_since_trim) = (limits.rows, limits.bytes);
    while let Some(first) = commands.recv().await {
        let deadline = tokio::time::Instant::now() + GATHER;
        let mut batch = Vec::new();
        let mut flush = None;
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                LogCommand::Record(record) => batch.push(*record),
                LogCommand::Flush(reply) => {
                    flush = Some(reply);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = tokio::time::timeout_at(deadline, commands.recv()).await.ok().flatten();
            }
        }
        if !batch.is_empty() {
            rows_since_trim += batch.len() as u64;
            bytes_since_trim += batch.iter().map(LogRecord::approximate_bytes).sum::<u64>();
            let trim = rows_since_trim >= limits.rows / 10 || bytes_since_trim >= limits.bytes / 10;
            if trim {
                (rows_since_trim, bytes_since_trim) = (0, 0);
            }
            let store = store.clone();
            // SQLite blocks: keep it off the async workers.
            let written = tokio::task::spawn_blocking(move || {
                store.write(|w| batch.iter().try_for_each(|record| w.add_log(record)))?;
                if trim {
                    store.trim_logs(limits)?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
            .await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!("cannot store invocation logs: {error}"),
                Err(error) => tracing::error!("the log writer failed: {error}"),
            }
        }
        if let Some(reply) = flush {
            let _ = reply.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(weights: Vec<(&str, f64)>, matches: Vec<(&str, &str, &str, &str)>) -> AliasRecord {
        AliasRecord {
            name: "a".into(),
            version: "1".into(),
            weights: weights.into_iter().map(|(v, w)| (v.into(), w)).collect(),
            matches: matches
                .into_iter()
                .map(|(version, key, method, expression)| crate::records::MatchRule {
                    version: version.into(),
                    key: key.into(),
                    method: method.into(),
                    expression: expression.into(),
                })
                .collect(),
            description: String::new(),
            add_time: String::new(),
            mod_time: String::new(),
        }
    }

    #[test]
    fn routing_by_rules_and_weights() {
        let rules = alias(
            vec![],
            vec![("2", "invoke.headers.User", "exact", "bob"), ("3", "invoke.headers.Hash", "range", "[1,50]")],
        );
        let key = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert_eq!(route(&rules, Some(&key("User", "bob"))), "2");
        assert_eq!(route(&rules, Some(&key("User", "eve"))), "1");
        assert_eq!(route(&rules, Some(&key("Hash", "50"))), "3");
        assert_eq!(route(&rules, Some(&key("Hash", "51"))), "1");
        assert_eq!(route(&rules, None), "1");
        let weighted = alias(vec![("2", 0.3)], vec![]);
        let to_two = (0..10_000).filter(|_| route(&weighted, None) == "2").count();
        assert!((2_500..3_500).contains(&to_two), "{to_two}");
    }

    #[test]
    fn failure_payloads_have_the_services_shape() {
        assert_eq!(
            failure_payload(-1, "Invoking task timed out after 3 seconds", None, "r", 433),
            r#"{"errorCode":-1,"errorMessage":"Invoking task timed out after 3 seconds","requestId":"r","statusCode":433}"#
        );
        assert_eq!(stack_trace(br#"{"errorMessage":"boom","stackTrace":"Traceback..."}"#), "Traceback...");
        assert_eq!(stack_trace(b"plain text"), "plain text");
    }

    #[test]
    fn logs_are_framed() {
        let log = log_text("id", "hello\n", None, 1.2, 128, 10 * 1024 * 1024);
        assert_eq!(
            log,
            "START RequestId: id\nEvent RequestId: id\nhello\n\nEND RequestId: id\nReport RequestId: id Duration:2ms Memory:128MB MemUsage:10.000000MB\n"
        );
    }
}
