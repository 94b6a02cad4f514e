//! The fixture's paginators and waiters against a replayed service and a manual clock: what each
//! page asks for (offset and limit in their wire types), when paging stops, and how waiters judge
//! statuses and error codes, back off, give up, and report.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use fixture_sdk::Client;
use fixture_sdk::actions::DescribeEverythingErrorCode;
use fixture_sdk::types::Color;
use futures_core::Stream;
use scf_sdk::runtime::test_util::{ManualClock, ReplayTransport};
use scf_sdk::runtime::{Config, Credentials, Error, RetryPolicy, WaitErrorKind};
use serde_json::{Value, json};

fn client(replay: &ReplayTransport, clock: &ManualClock) -> Client {
    let config = Config::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDtest", "key"))
        .transport(replay.clone())
        .clock(clock.clone())
        .retry_policy(RetryPolicy::disabled())
        .build();
    Client::new(config).unwrap()
}

fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

fn envelope(response: Value) -> String {
    let mut response = response;
    response["RequestId"] = json!("r-1");
    json!({ "Response": response }).to_string()
}

fn tags(from: usize, count: usize) -> Value {
    Value::Array((from..from + count).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect())
}

/// The parameters of every request sent.
fn sent(replay: &ReplayTransport) -> Vec<Value> {
    replay.requests().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

#[tokio::test]
async fn pages_follow_the_total_with_the_limits_max_as_page_size() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    for (from, count) in [(0, 50), (50, 50), (100, 20)] {
        replay.clone().answer(200, envelope(json!({"Tags": tags(from, count), "Total": 120})));
    }
    let items = client(&replay, &clock).list_tags().prefix("k").into_paginator().items().try_collect().await.unwrap();
    let keys: Vec<String> = items.iter().map(|t| t.key.clone()).collect();
    assert_eq!(keys.len(), 120);
    assert_eq!(keys.iter().collect::<std::collections::BTreeSet<_>>().len(), 120, "each once");
    // `Offset` is a string on the wire, `Limit` a number: each keeps its type.
    assert_eq!(
        sent(&replay),
        [
            json!({"Offset": "0", "Limit": 50, "Prefix": "k"}),
            json!({"Offset": "50", "Limit": 50, "Prefix": "k"}),
            json!({"Offset": "100", "Limit": 50, "Prefix": "k"}),
        ]
    );
}

#[tokio::test]
async fn an_offset_and_limit_set_on_the_request_are_where_paging_starts() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    replay.clone().answer(200, envelope(json!({"Tags": tags(10, 5), "Total": 17})));
    replay.clone().answer(200, envelope(json!({"Tags": tags(15, 2), "Total": 17})));
    let mut pages = client(&replay, &clock).list_tags().offset("10").limit(5).into_paginator();
    assert_eq!(pages.next().await.unwrap().unwrap().tags.len(), 5);
    assert_eq!(pages.next().await.unwrap().unwrap().tags.len(), 2);
    assert!(pages.next().await.is_none());
    let offsets: Vec<Value> = sent(&replay).iter().map(|p| p["Offset"].clone()).collect();
    assert_eq!(offsets, [json!("10"), json!("15")]);
}

#[tokio::test]
async fn without_a_total_paging_stops_at_a_short_page_and_pages_are_a_stream() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    for count in [3, 3, 1] {
        let nodes: Vec<Value> = (0..count).map(|i| json!({"Name": format!("n{i}")})).collect();
        replay.clone().answer(200, envelope(json!({"Nodes": nodes})));
    }
    let mut pages = client(&replay, &clock).list_nodes().root("r").into_paginator();
    let mut lengths = Vec::new();
    // Polled as a `Stream`, the way `StreamExt` combinators would.
    while let Some(page) = std::future::poll_fn(|cx| Pin::new(&mut pages).poll_next(cx)).await {
        lengths.push(page.unwrap().nodes.map_or(0, |n| n.len()));
    }
    assert_eq!(lengths, [3, 3, 1]);
    let offsets: Vec<Value> = sent(&replay).iter().map(|p| json!([p["Offset"], p["Limit"]])).collect();
    assert_eq!(offsets, [json!([0, 3]), json!([3, 3]), json!([6, 3])], "numbers, the spec's page size");
}

#[tokio::test]
async fn a_request_that_cannot_be_built_and_a_failing_page_end_the_stream_with_their_error() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    let mut pages = client(&replay, &clock).list_nodes().into_paginator();
    assert!(matches!(pages.next().await, Some(Err(Error::Validation(e))) if e.field == "Root"));
    assert!(pages.next().await.is_none());
    assert!(replay.requests().is_empty(), "nothing was sent");

    replay.clone().answer(200, envelope(json!({"Tags": tags(0, 50), "Total": 100})));
    replay.clone().answer(200, envelope(json!({"Error": {"Code": "InternalError", "Message": "boom"}})));
    let mut items = client(&replay, &clock).list_tags().into_paginator().items();
    for _ in 0..50 {
        assert!(items.next().await.unwrap().is_ok());
    }
    let error = items.next().await.unwrap().unwrap_err();
    assert_eq!(error.to_string(), "InternalError: boom (request id r-1)");
    assert!(items.next().await.is_none(), "no page after an error");
}

fn everything(color: &str) -> String {
    envelope(json!({"Everything": {"Text": "t", "Color": color, "Tags": tags(0, 1)}, "Maybe": null}))
}

fn error(code: &str) -> String {
    envelope(json!({"Error": {"Code": code, "Message": "m"}}))
}

#[tokio::test]
async fn a_waiter_polls_with_capped_backoff_until_success_and_returns_the_answer() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    for answer in [everything("2x"), error("ResourceNotFound.Widget"), everything("green"), everything("red")] {
        replay.clone().answer(200, answer);
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let answer = client(&replay, &clock)
        .wait_until_everything_red()
        .id("w1")
        .filter([("a", "b")])
        .on_poll(move |progress| log.lock().unwrap().push(progress.status.map(str::to_owned)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.everything.color, Some(Color::Red));
    assert_eq!(replay.requests().len(), 4);
    assert_eq!(sent(&replay)[0], json!({"Id": "w1", "Filter": "{\"a\":\"b\"}"}));
    // A retry status, a retry error code and a status no acceptor names all mean: poll again.
    let statuses = seen.lock().unwrap().clone();
    assert_eq!(statuses, [Some("2x".into()), Some("ResourceNotFound.Widget".into()), Some("green".into())]);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    assert_eq!(sleeps[0], Duration::from_secs(1), "the first wait is the minimum");
    assert!(sleeps.iter().all(|s| *s >= Duration::from_secs(1) && *s <= Duration::from_secs(4)), "{sleeps:?}");
}

#[tokio::test]
async fn a_failure_state_ends_the_wait_with_the_status_the_reasons_and_the_time() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    replay.clone().answer(200, everything("2x"));
    replay.clone().answer(200, everything("dark-blue"));
    let error =
        client(&replay, &clock).wait_until_everything_red().id("w").filter([("a", "b")]).send().await.unwrap_err();
    assert!(matches!(&error.kind, WaitErrorKind::Failed { reasons: Some(r) } if r.contains("\"k0\"")), "{error:?}");
    assert_eq!((error.last_status.as_deref(), error.polls), (Some("dark-blue"), 2));
    assert_eq!(error.waited, Duration::from_secs(1));
    assert_eq!(
        error.to_string(),
        "waiting for EverythingRed: the status is `dark-blue`, a failure, after 1.0 s (2 polls): [{\"Key\":\"k0\",\"Value\":\"v\"}]"
    );
}

#[tokio::test]
async fn the_time_limit_ends_the_wait_right_at_it_with_the_last_status() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    for _ in 0..100 {
        replay.clone().answer(200, everything("2x"));
    }
    let error = client(&replay, &clock)
        .wait_until_everything_red()
        .id("w")
        .filter([("a", "b")])
        .max_wait(Duration::from_secs(20))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error.kind, WaitErrorKind::TimedOut { max_wait } if max_wait == Duration::from_secs(20)));
    assert_eq!(error.waited, Duration::from_secs(20), "the last wait ends at the limit, and one more poll follows");
    assert_eq!(clock.sleeps().iter().sum::<Duration>(), Duration::from_secs(20));
    assert_eq!(error.last_status.as_deref(), Some("2x"));
    let text = error.to_string();
    assert!(text.starts_with("waiting for EverythingRed: gave up after 20.0 s (the limit is 20 s; "), "{text}");
    assert!(text.ends_with("; the last status was `2x`"), "{text}");
}

#[tokio::test]
async fn an_unexpected_error_ends_the_wait_as_the_calls_error() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    replay.clone().answer(200, everything("2x"));
    replay.clone().answer(200, error("InternalError"));
    let error =
        client(&replay, &clock).wait_until_everything_red().id("w").filter([("a", "b")]).send().await.unwrap_err();
    let call = error.as_call_error().unwrap();
    assert_eq!(call.code(), Some(&DescribeEverythingErrorCode::InternalError));
    assert_eq!(
        error.to_string(),
        "waiting for EverythingRed: DescribeEverything failed after 1.0 s (2 polls; the last status was \
         `InternalError`): InternalError: m (request id r-1)"
    );
    // An invalid request is refused before anything is sent.
    let error = client(&replay, &clock).wait_until_everything_red().id("w").send().await.unwrap_err();
    assert!(matches!(error.as_call_error(), Some(Error::Validation(e)) if e.field == "Filter"), "{error:?}");
    assert_eq!((error.polls, replay.requests().len()), (0, 2));
}

#[tokio::test]
async fn a_waiter_whose_success_is_an_error_code() {
    let (replay, clock) = (ReplayTransport::new(), clock());
    replay.clone().answer(200, everything("red"));
    replay.clone().answer(200, error("ResourceNotFound.Widget"));
    client(&replay, &clock).wait_until_widget_gone().id("w").filter([("a", "b")]).send().await.unwrap();
    assert_eq!(clock.sleeps(), [Duration::from_secs(2)]);
}

#[test]
fn the_catalogue_describes_pagination_and_waiters() {
    use scf_sdk::runtime::{Matcher, WaiterState};
    let list_tags = fixture_sdk::catalog::action("ListTags").unwrap().pagination.unwrap();
    assert_eq!((list_tags.offset, list_tags.limit, list_tags.items), ("Offset", "Limit", "Tags"));
    assert_eq!((list_tags.total, list_tags.page_size), (Some("Total"), 50));
    let nodes = fixture_sdk::catalog::action("ListNodes").unwrap().pagination.unwrap();
    assert_eq!((nodes.total, nodes.page_size), (None, 3));
    assert!(fixture_sdk::catalog::action("DescribeEverything").unwrap().pagination.is_none());
    let names: Vec<&str> = fixture_sdk::catalog::WAITERS.iter().map(|w| w.name).collect();
    assert_eq!(names, ["EverythingRed", "WidgetGone"]);
    let red = fixture_sdk::catalog::waiter("EverythingRed").unwrap();
    assert_eq!(
        (red.status, red.reasons, red.action.name),
        (&["Everything", "Color"][..], &["Everything", "Tags"][..], "DescribeEverything")
    );
    assert_eq!(red.state_of_status("red"), Some(WaiterState::Success));
    assert_eq!(red.state_of_status("dark-blue"), Some(WaiterState::Failure));
    assert_eq!(red.state_of_status("green"), None);
    assert_eq!(red.state_of_error("ResourceNotFound.Widget"), Some(WaiterState::Retry));
    assert_eq!(
        (red.min_delay, red.max_delay, red.max_wait),
        (Duration::from_secs(1), Duration::from_secs(4), Duration::from_secs(30))
    );
    assert!(!red.succeeds_on_error());
    let gone = fixture_sdk::catalog::waiter("WidgetGone").unwrap();
    assert!(gone.succeeds_on_error());
    assert_eq!(gone.acceptors[0].matcher, Matcher::Errors(&["ResourceNotFound.Widget"]));
}
