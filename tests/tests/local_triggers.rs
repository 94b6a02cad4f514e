//! Triggers on `scf-local`: the trigger actions through `scf-sdk`, with the service's errors, and
//! timers that fire (the Timer event, `TRIGGER_SRC`, disabled timers, restarts).
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::time::{Duration, Instant};

use scf_local::EmulatorConfig;
use scf_sdk::Client;
use scf_sdk::types::{AsyncEventState, Filter, FunctionLog, OpenState, TriggerType};
use scf_tests::local::{self, FunctionSpec, create_function};
use scf_tests::temp::TempDir;
use serde_json::Value;

/// Returns what a timer invocation needs checking: the event and `TRIGGER_SRC`.
const TICK: &str = "import os\n\
def main_handler(event, context):\n    \
    return {'event': event, 'trigger_src': os.environ.get('TRIGGER_SRC')}\n";

fn code_of<E: scf_sdk::runtime::ActionErrorCode>(error: scf_sdk::runtime::Error<E>) -> String {
    error.code().map(|c| c.as_str().to_owned()).unwrap_or_else(|| panic!("not a service error: {error}"))
}

/// The function's invocation records (every one finished so far).
#[allow(deprecated)] // `GetFunctionLogs` is offline on the service; scf-local keeps it.
async fn invocations(client: &Client, function: &str) -> Vec<FunctionLog> {
    client.get_function_logs().function_name(function).limit(100).send().await.unwrap().data
}

/// Polls until the function has `count` invocation records, or `deadline` passes; what it has then.
async fn wait_for_invocations(client: &Client, function: &str, count: usize, deadline: Instant) -> Vec<FunctionLog> {
    loop {
        let found = invocations(client, function).await;
        if found.len() >= count || Instant::now() >= deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn triggers_are_created_listed_updated_and_deleted() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;

    let created = client
        .create_trigger()
        .function_name("ticker")
        .trigger_name("nightly")
        .type_(TriggerType::Timer)
        .trigger_desc("0 0 2 * * * *")
        .custom_argument("hello")
        .enable(OpenState::Close)
        .description("every night")
        .send()
        .await
        .unwrap();
    let info = created.trigger_info;
    assert_eq!((info.trigger_name.as_str(), info.type_.as_str()), ("nightly", "timer"));
    assert_eq!(info.trigger_desc, serde_json::json!({"cron": "0 0 2 * * * *"}), "listed as the service lists it");
    assert_eq!((info.enable, info.qualifier.as_str()), (0, "$LATEST"));
    assert_eq!(info.custom_argument, "hello");
    // A type without an event source here is kept too.
    client
        .create_trigger()
        .function_name("ticker")
        .trigger_name("bucket-1250000000.cos.ap-guangzhou.myqcloud.com")
        .type_(TriggerType::Cos)
        .trigger_desc(r#"{"event":"cos:ObjectCreated:*"}"#)
        .send()
        .await
        .unwrap();

    let listed = client.list_triggers().function_name("ticker").order("ASC").order_by("add_time").send().await.unwrap();
    assert_eq!(listed.total_count, 2);
    let mut types: Vec<&str> = listed.triggers.iter().map(|t| t.type_.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["cos", "timer"]);
    let filtered = client
        .list_triggers()
        .function_name("ticker")
        .filters([Filter::builder().name("TriggerName").values(["nightly"]).build().unwrap()])
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.triggers.len(), 1);
    let bad_filter = client
        .list_triggers()
        .function_name("ticker")
        .filters([Filter::builder().name("Runtime").values(["x"]).build().unwrap()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(bad_filter), "InvalidParameterValue.Filters");

    let function = client.get_function().function_name("ticker").send().await.unwrap();
    assert_eq!(function.triggers.len(), 2, "GetFunction shows them");

    client
        .update_trigger()
        .function_name("ticker")
        .trigger_name("nightly")
        .type_(TriggerType::Timer)
        .trigger_desc("0 30 3 * * * *")
        .send()
        .await
        .unwrap();
    client
        .update_trigger_status()
        .function_name("ticker")
        .trigger_name("nightly")
        .type_(TriggerType::Timer)
        .enable(OpenState::Open)
        .send()
        .await
        .unwrap();
    let nightly = client.list_triggers().function_name("ticker").send().await.unwrap();
    let nightly = nightly.triggers.iter().find(|t| t.trigger_name == "nightly").unwrap();
    assert_eq!(nightly.trigger_desc["cron"], "0 30 3 * * * *");
    assert_eq!(nightly.enable, 1);
    assert_eq!(nightly.description.as_deref(), Some("every night"), "kept when not given");

    client
        .delete_trigger()
        .function_name("ticker")
        .trigger_name("nightly")
        .type_(TriggerType::Timer)
        .send()
        .await
        .unwrap();
    let left = client.list_triggers().function_name("ticker").send().await.unwrap();
    assert_eq!(left.total_count, 1);
}

#[tokio::test]
async fn bad_triggers_get_the_service_codes() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;
    let timer = |name: &str, cron: &str| {
        client.create_trigger().function_name("ticker").trigger_name(name).type_(TriggerType::Timer).trigger_desc(cron)
    };

    let bad_hour = timer("t1", "0 0 25 * * * *").send().await.unwrap_err();
    let message = bad_hour.to_string();
    assert_eq!(code_of(bad_hour), "InvalidParameterValue.TriggerDesc");
    assert!(message.contains("hour") && message.contains("25"), "the message names the field and value: {message}");
    let six_fields = timer("t1", "* * * * * *").send().await.unwrap_err();
    assert_eq!(code_of(six_fields), "InvalidParameterValue.TriggerDesc");
    let bad_name = timer("1st", "* * * * * * *").send().await.unwrap_err();
    assert_eq!(code_of(bad_name), "InvalidParameterValue.TriggerName");
    let missing_qualifier = timer("t1", "* * * * * * *").qualifier("7").send().await.unwrap_err();
    assert_eq!(code_of(missing_qualifier), "ResourceNotFound.Qualifier");
    let missing_function =
        client.create_trigger().function_name("nope").trigger_name("t1").type_(TriggerType::Timer).send().await;
    assert_eq!(code_of(missing_function.unwrap_err()), "ResourceNotFound.Function");
    let unknown_type = client.create_trigger().function_name("ticker").trigger_name("t1").type_("sundial").send().await;
    assert_eq!(code_of(unknown_type.unwrap_err()), "InvalidParameterValue.Type");
    let long_argument = timer("t1", "* * * * * * *").custom_argument("x".repeat(4097)).send().await.unwrap_err();
    assert_eq!(code_of(long_argument), "InvalidParameterValue.CustomArgument");
    let long_description = timer("t1", "* * * * * * *").description("x".repeat(1001)).send().await.unwrap_err();
    let message = long_description.to_string();
    assert_eq!(code_of(long_description), "InvalidParameterValue.Description");
    assert!(message.contains("1000"), "the message names the limit: {message}");
    let listed = client.list_triggers().function_name("nope").send().await.unwrap_err();
    assert_eq!(code_of(listed), "ResourceNotFound", "ListTriggers lists no finer code for a missing function");

    timer("t1", "0 0 * * * * *").send().await.unwrap();
    let again = timer("t1", "0 0 * * * * *").send().await.unwrap_err();
    assert_eq!(code_of(again), "ResourceInUse.Trigger");
    for n in 2..=10 {
        timer(&format!("t{n}"), "0 0 * * * * *").send().await.unwrap();
    }
    let eleventh = timer("t11", "0 0 * * * * *").send().await.unwrap_err();
    assert_eq!(code_of(eleventh), "LimitExceeded.Trigger");

    let gone = client.delete_trigger().function_name("ticker").trigger_name("t99").type_(TriggerType::Timer).send();
    assert_eq!(code_of(gone.await.unwrap_err()), "ResourceNotFound.Trigger");
    let status = client
        .update_trigger_status()
        .function_name("ticker")
        .trigger_name("t99")
        .type_(TriggerType::Timer)
        .enable(OpenState::Close)
        .send()
        .await;
    assert_eq!(code_of(status.unwrap_err()), "ResourceNotFound.Trigger");

    // A deleted function takes its triggers with it.
    client.delete_function().function_name("ticker").send().await.unwrap();
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;
    assert_eq!(client.list_triggers().function_name("ticker").send().await.unwrap().total_count, 0);
}

#[tokio::test]
async fn a_timer_every_second_fires_with_the_timer_event() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;
    let started = Instant::now();
    client
        .create_trigger()
        .function_name("ticker")
        .trigger_name("every-second")
        .type_(TriggerType::Timer)
        .trigger_desc("*/1 * * * * * *")
        .custom_argument("tick tock")
        .send()
        .await
        .unwrap();

    let fired = wait_for_invocations(&client, "ticker", 2, started + Duration::from_millis(3500)).await;
    assert!(fired.len() >= 2, "fired {} times in 3.5 s", fired.len());
    for log in &fired {
        let answer: Value = serde_json::from_str(&log.ret_msg).unwrap();
        let event = &answer["event"];
        assert_eq!(event["Type"], "Timer");
        assert_eq!(event["TriggerName"], "every-second");
        assert_eq!(event["Message"], "tick tock");
        let time = event["Time"].as_str().unwrap();
        assert!(time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T', "{time}");
        assert_eq!(answer["trigger_src"], "timer");
        assert_eq!(log.ret_code, 0);
    }
    // Each firing was an asynchronous invocation, as on the service.
    let events = client.list_async_events().function_name("ticker").send().await.unwrap();
    assert!(events.event_list.iter().all(|e| e.invoke_type == "TRIGGER_TIMER"), "{:?}", events.event_list);
    assert!(events.event_list.len() >= 2);
    // An invocation through the API does not see `TRIGGER_SRC`.
    let direct = client.invoke_function().function_name("ticker").send().await.unwrap();
    let answer: Value = serde_json::from_str(&direct.result.ret_msg).unwrap();
    assert_eq!(answer["trigger_src"], Value::Null);
}

#[tokio::test]
async fn disabled_timers_stay_silent_until_enabled() {
    let (_emulator, client) = local::start().await;
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;
    client
        .create_trigger()
        .function_name("ticker")
        .trigger_name("every-second")
        .type_(TriggerType::Timer)
        .trigger_desc("* * * * * * *")
        .enable(OpenState::Close)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(invocations(&client, "ticker").await.len(), 0, "a disabled timer fired");

    let status = |enable: OpenState| {
        client
            .update_trigger_status()
            .function_name("ticker")
            .trigger_name("every-second")
            .type_(TriggerType::Timer)
            .enable(enable)
            .send()
    };
    status(OpenState::Open).await.unwrap();
    let fired = wait_for_invocations(&client, "ticker", 1, Instant::now() + Duration::from_secs(5)).await;
    assert!(!fired.is_empty(), "an enabled timer did not fire in 5 s");

    status(OpenState::Close).await.unwrap();
    // An invocation already started when it was disabled may still finish: wait until none runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let events = client.list_async_events().function_name("ticker").send().await.unwrap().event_list;
        if events.iter().all(|e| e.status != AsyncEventState::Running) {
            break;
        }
        assert!(Instant::now() < deadline, "timer invocations still running after 10 s: {events:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let settled = invocations(&client, "ticker").await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(invocations(&client, "ticker").await.len(), settled, "fired after it was disabled again");
}

/// Triggers are kept across restarts; a tick that came while the emulator was stopped is not
/// replayed when it starts again.
#[tokio::test]
async fn timers_survive_restarts_without_replaying_missed_ticks() {
    let dir = TempDir::new("triggers-restart");
    let config = || EmulatorConfig::default().data_dir(dir.path());
    let (emulator, client) = local::start_with(config()).await;
    create_function(&client, FunctionSpec::python("ticker", TICK)).await;
    // One tick, 3 seconds from now (in UTC+8, as expressions are read): after the emulator stops.
    let at = local::now() + 3 + 8 * 3600;
    let (days, of_day) = (at.div_euclid(86_400), at.rem_euclid(86_400));
    let (year, month, day) = scf_sdk::runtime::sign::civil_from_days(days);
    let cron = format!("{} {} {} {day} {month} * {year}", of_day % 60, of_day % 3600 / 60, of_day / 3600);
    client
        .create_trigger()
        .function_name("ticker")
        .trigger_name("once")
        .type_(TriggerType::Timer)
        .trigger_desc(&cron)
        .send()
        .await
        .unwrap();
    assert_eq!(invocations(&client, "ticker").await.len(), 0, "the tick came before the emulator stopped");
    drop(client);
    drop(emulator);
    tokio::time::sleep(Duration::from_secs(4)).await;

    let (_emulator, client) = local::start_with(config()).await;
    let kept = client.list_triggers().function_name("ticker").send().await.unwrap();
    assert_eq!(kept.triggers.iter().map(|t| t.trigger_name.as_str()).collect::<Vec<_>>(), ["once"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(invocations(&client, "ticker").await.len(), 0, "the missed tick was replayed");
}
