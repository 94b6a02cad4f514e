//! `GetFunctionLogs`: the stored record of each invocation (the emulator keeps the newest
//! 100,000), filtered, sorted and paged as the service does.
//!
//! The service has taken this action offline in favour of CLS log search (the SDK marks it
//! deprecated); locally it is still the simplest way to read what an invocation printed.
#![allow(deprecated)]

use std::sync::Arc;

use scf_sdk::ErrorCode;
use scf_sdk::actions::{GetFunctionLogsRequest, GetFunctionLogsResponse};
use scf_sdk::types::{FunctionLog, LogRetCode, LogSortKey, LogSortOrder};
use tokio::sync::oneshot;

use super::{error, function, namespace};
use crate::api_error::ApiError;
use crate::server::{Call, Handlers};
use crate::state::{LogCommand, LogRecord, State};

pub(super) fn register(handlers: &mut Handlers) {
    handlers.add(get_function_logs);
}

/// The service's limit on `Offset` + `Limit`.
const MAX_WINDOW: i64 = 10_000;

async fn get_function_logs(
    state: Arc<State>,
    call: Call,
    request: GetFunctionLogsRequest,
) -> Result<GetFunctionLogsResponse, ApiError> {
    let namespace = namespace(&request.namespace).to_owned();
    let name = super::required(&request.function_name, "FunctionName")?.to_owned();
    function(&state, &namespace, &name)?;
    let (offset, limit) = (request.offset.unwrap_or(0), request.limit.unwrap_or(MAX_WINDOW));
    if offset < 0 || limit < 0 || offset + limit > MAX_WINDOW {
        return Err(error(
            ErrorCode::InvalidParameterValueOffset,
            format!(
                "`Offset` ({offset}) and `Limit` ({limit}) must not be negative, and add up to at most {MAX_WINDOW}."
            ),
            format!("Offset 与 Limit 之和不能超过 {MAX_WINDOW}。"),
        ));
    }
    let window = match (&request.start_time, &request.end_time) {
        (Some(start), Some(end)) => Some((start.clone(), end.clone())),
        (None, None) => None,
        _ => {
            return Err(error(
                ErrorCode::InvalidParameterValueStartTimeOrEndTime,
                "`StartTime` and `EndTime` must be given together.",
                "StartTime 和 EndTime 必须同时指定。",
            ));
        }
    };
    // Invocations that just finished may still be on their way to the store.
    let (flushed, done) = oneshot::channel();
    if state.logs.send(LogCommand::Flush(flushed)).is_ok() {
        let _ = done.await;
    }
    let mut logs: Vec<LogRecord> =
        state.store.logs(&namespace, &name).map_err(|e| ApiError::internal(format!("cannot read the logs ({e})")))?;
    if let Some(qualifier) = request.qualifier.as_deref().filter(|q| !q.is_empty()) {
        logs.retain(|l| l.qualifier == qualifier);
    }
    if let Some(id) = request.function_request_id.as_deref().filter(|id| !id.is_empty()) {
        logs.retain(|l| l.request_id == id);
    }
    if let Some((start, end)) = &window {
        logs.retain(|l| l.start_time.as_str() >= start.as_str() && l.start_time.as_str() <= end.as_str());
    }
    if let Some(ret_code) = request.filter.as_ref().and_then(|f| f.ret_code.as_ref()) {
        let keep: fn(i64) -> bool = match ret_code {
            LogRetCode::Is0 => |code| code == 0,
            LogRetCode::Not0 => |code| code != 0,
            LogRetCode::UserCodeException => |code| code == 430,
            LogRetCode::TimeLimitExceeded => |code| code == 433,
            LogRetCode::ResourceLimitExceeded => |code| code == 434,
            other => {
                return Err(error(
                    ErrorCode::InvalidParameterValueRetCode,
                    format!("`Filter.RetCode` `{}` is not one of {}.", other.as_str(), known(LogRetCode::KNOWN)),
                    "Filter.RetCode 取值错误。",
                ));
            }
        };
        logs.retain(|l| keep(l.ret_code));
    }
    let order_by = request.order_by.clone().unwrap_or(LogSortKey::StartTime);
    match order_by {
        LogSortKey::StartTime => logs.sort_by(|a, b| a.start_time.cmp(&b.start_time)),
        LogSortKey::FunctionName => logs.sort_by(|a, b| a.function.cmp(&b.function)),
        LogSortKey::Duration => logs.sort_by(|a, b| a.duration.total_cmp(&b.duration)),
        LogSortKey::MemUsage => logs.sort_by_key(|l| l.mem_usage),
        other => {
            return Err(error(
                ErrorCode::InvalidParameterValueOrderBy,
                format!("`OrderBy` `{}` is not one of {}.", other.as_str(), known(LogSortKey::KNOWN)),
                "OrderBy 取值错误。",
            ));
        }
    }
    match request.order.clone().unwrap_or(LogSortOrder::Desc) {
        LogSortOrder::Desc => logs.reverse(),
        LogSortOrder::Asc => {}
        other => {
            return Err(error(
                ErrorCode::InvalidParameterValueOrder,
                format!("`Order` `{}` is not `desc` or `asc`.", other.as_str()),
                "Order 取值错误。",
            ));
        }
    }
    let total = logs.len() as i64;
    let data = super::page(logs, Some(offset), Some(limit), MAX_WINDOW as usize)
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
        .total_count(total)
        .data(data)
        .request_id(call.request_id)
        .build()
        .map_err(ApiError::internal)
}

/// The wire values of an enum, for messages.
fn known<T: AsRef<str>>(values: &[T]) -> String {
    values.iter().map(|v| format!("`{}`", v.as_ref())).collect::<Vec<_>>().join(", ")
}
