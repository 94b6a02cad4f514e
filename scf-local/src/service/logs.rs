//! `GetFunctionLogs`: the stored record of each invocation (the newest within the emulator's log
//! limits: 100,000 records and 256 MiB by default), filtered, sorted and paged as the service does.
//!
//! The service has taken this action offline in favour of CLS log search (the SDK marks it
//! deprecated); locally it is still the simplest way to read what an invocation printed.
#![allow(deprecated)]

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{GetFunctionLogsRequest, GetFunctionLogsResponse};
use scf_sdk::runtime::Action as _;
use scf_sdk::types::{FunctionLog, LogRetCode, LogSortKey, LogSortOrder};
use tokio::sync::oneshot;

use super::{error, function, scope};
use crate::api_error::ApiError;
use crate::server::{Call, Contract, Handlers};
use crate::state::{LogCommand, State};
use crate::store::{LogOrder, LogQuery, RetCodeFilter};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add(&GET_FUNCTION_LOGS, get_function_logs);
}

const GET_FUNCTION_LOGS: Contract = Contract {
    answers: &[
        ErrorCode::ResourceNotFoundFunction,
        ErrorCode::InvalidParameterValueOffset,
        ErrorCode::InvalidParameterValueStartTimeOrEndTime,
        ErrorCode::InvalidParameterValueDateTime,
        ErrorCode::InvalidParameterValueRetCode,
        ErrorCode::InvalidParameterValueOrderBy,
        ErrorCode::InvalidParameterValueOrder,
    ],
    honours: &[
        "FunctionName",
        "Offset",
        "Limit",
        "Order",
        "OrderBy",
        "Filter",
        "Namespace",
        "Qualifier",
        "FunctionRequestId",
        "StartTime",
        "EndTime",
        // "No longer used" by the service either: accepted and ignored there too.
        "SearchContext",
    ],
    refuses: &[],
};

/// The service's limit on `Offset` + `Limit`.
const MAX_WINDOW: i64 = 10_000;
/// The widest `StartTime`–`EndTime` window: one day.
const MAX_WINDOW_SECONDS: i64 = 24 * 3600;
/// Records returned when `Limit` is absent.
const DEFAULT_LIMIT: i64 = 20;
/// The most bytes of records one answer carries (a record holds up to 64 KB of output and 64 KB of
/// result; 10,000 of them would be over a gigabyte). `TotalCount` still counts every match, so a
/// caller pages on with `Offset`.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

async fn get_function_logs(
    state: Arc<State>,
    call: Call,
    request: GetFunctionLogsRequest,
) -> Result<GetFunctionLogsResponse, ApiError> {
    let scope = scope(&call, &request.namespace);
    let name = super::required(&request.function_name, "FunctionName")?.to_owned();
    function(&state, GetFunctionLogsRequest::DESCRIPTOR, &scope, &name)?;
    let (offset, limit) = (request.offset.unwrap_or(0), request.limit.unwrap_or(DEFAULT_LIMIT));
    if offset < 0 || limit < 0 || offset.saturating_add(limit) > MAX_WINDOW {
        return Err(error(
            ErrorCode::InvalidParameterValueOffset,
            format!(
                "`Offset` ({offset}) and `Limit` ({limit}) must not be negative, and add up to at most {MAX_WINDOW}."
            ),
            format!("Offset 与 Limit 之和不能超过 {MAX_WINDOW}。"),
        ));
    }
    let window = match (&request.start_time, &request.end_time) {
        (Some(start), Some(end)) => {
            let (Some(from), Some(to)) = (crate::util::parse_time(start), crate::util::parse_time(end)) else {
                return Err(error(
                    ErrorCode::InvalidParameterValueDateTime,
                    format!(
                        "`StartTime` (`{start}`) and `EndTime` (`{end}`) must be times such as `2024-01-02 15:04:05`."
                    ),
                    "StartTime 与 EndTime 须为 YYYY-MM-DD HH:MM:SS 格式。",
                ));
            };
            if to < from || to - from > MAX_WINDOW_SECONDS {
                return Err(error(
                    ErrorCode::InvalidParameterValueStartTimeOrEndTime,
                    format!(
                        "`EndTime` must not be before `StartTime`, and at most one day after it (`{start}` to `{end}`)."
                    ),
                    "EndTime 不能早于 StartTime，且两者相差不能超过一天。",
                ));
            }
            Some((start.clone(), end.clone()))
        }
        (None, None) => None,
        _ => {
            return Err(error(
                ErrorCode::InvalidParameterValueStartTimeOrEndTime,
                "`StartTime` and `EndTime` must be given together.",
                "StartTime 和 EndTime 必须同时指定。",
            ));
        }
    };
    let ret_code = match request.filter.as_ref().and_then(|f| f.ret_code.as_ref()) {
        None => RetCodeFilter::Any,
        Some(LogRetCode::Is0) => RetCodeFilter::Success,
        Some(LogRetCode::Not0) => RetCodeFilter::Failure,
        Some(LogRetCode::UserCodeException) => RetCodeFilter::Status(430),
        Some(LogRetCode::TimeLimitExceeded) => RetCodeFilter::Status(433),
        Some(LogRetCode::ResourceLimitExceeded) => RetCodeFilter::Status(434),
        Some(other) => {
            return Err(error(
                ErrorCode::InvalidParameterValueRetCode,
                format!("`Filter.RetCode` `{}` is not one of {}.", other.as_str(), known(LogRetCode::KNOWN)),
                "Filter.RetCode 取值错误。",
            ));
        }
    };
    let order_by = match request.order_by.clone().unwrap_or(LogSortKey::StartTime) {
        LogSortKey::StartTime => LogOrder::StartTime,
        LogSortKey::FunctionName => LogOrder::FunctionName,
        LogSortKey::Duration => LogOrder::Duration,
        LogSortKey::MemUsage => LogOrder::MemUsage,
        other => {
            return Err(error(
                ErrorCode::InvalidParameterValueOrderBy,
                format!("`OrderBy` `{}` is not one of {}.", other.as_str(), known(LogSortKey::KNOWN)),
                "OrderBy 取值错误。",
            ));
        }
    };
    let descending = match request.order.clone().unwrap_or(LogSortOrder::Desc) {
        LogSortOrder::Desc => true,
        LogSortOrder::Asc => false,
        other => {
            return Err(error(
                ErrorCode::InvalidParameterValueOrder,
                format!("`Order` `{}` is not `desc` or `asc`.", other.as_str()),
                "Order 取值错误。",
            ));
        }
    };
    // Invocations that just finished may still be on their way to the store.
    let (flushed, done) = oneshot::channel();
    if state.logs.send(LogCommand::Flush(flushed)).is_ok() {
        let _ = done.await;
    }
    let query = LogQuery {
        region: scope.region,
        namespace: scope.namespace,
        function: name,
        qualifier: request.qualifier.clone().filter(|q| !q.is_empty()),
        request_id: request.function_request_id.clone().filter(|id| !id.is_empty()),
        window,
        ret_code,
        order_by,
        descending,
        offset: offset as u64,
        limit: limit as u64,
        max_bytes: MAX_ANSWER_BYTES,
    };
    // Up to 10,000 records: read off the async workers.
    let store = state.store.clone();
    let (total, logs) = tokio::task::spawn_blocking(move || store.logs(&query))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("cannot read the logs ({e})")))?;
    let data = logs
        .into_iter()
        .map(|l| {
            FunctionLog::builder()
                .function_name(l.function)
                .ret_msg(l.ret_msg)
                .request_id(l.request_id)
                .start_time(l.start_time)
                .ret_code(l.ret_code)
                .invoke_finished(1)
                .duration(l.duration)
                .bill_duration(l.bill_duration)
                .mem_usage(l.mem_usage)
                .log(l.log)
                .level(if l.ret_code == 0 { "INFO" } else { "ERROR" })
                .source("")
                .retry_num(0)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    GetFunctionLogsResponse::builder()
        .total_count(total as i64)
        .data(data)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// The wire values of an enum, for messages.
fn known<T: AsRef<str>>(values: &[T]) -> String {
    values.iter().map(|v| format!("`{}`", v.as_ref())).collect::<Vec<_>>().join(", ")
}
