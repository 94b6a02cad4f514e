//! Property tests: the SDK and the emulator agree about the wire, for arbitrary valid requests of
//! every action of the catalogue.
//!
//! - sign → verify: what `ApiClient` puts on the wire (GET and POST, with and without a session
//!   token, signed or unsigned payload, non-ASCII values) passes the emulator's TC3 check, and
//!   changing any one signed part makes it fail;
//! - GET flattening ↔ query parsing: the SDK's query string, read back by the emulator, is the JSON
//!   the request serialises to;
//! - every request type: serialised as the SDK sends it (POST body and GET query), decoded as the
//!   emulator decodes it, gives the same value;
//! - timer cron expressions: any text is parsed or refused without a panic, and for expressions
//!   built from every field form, the next tick is after the given time, matches, and no second in
//!   between does.
//!
//! Requests are generated from the catalogue's member descriptors (types, required members, byte
//! and number limits, enum values, name rules, JSON-in-string members), and every action's types
//! are reached through `visit_actions`, so a new action is covered without a line here.
//!
//! What GET cannot carry is left out by construction and said where: an empty list or object has
//! no key in Tencent's flattening (so values are compared after dropping them, see [`prune`]); an
//! empty list item would leave a gap in the numbering, and an empty required list or object would
//! arrive missing, so those always carry something when sent with GET ([`carries_something`]).
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use scf_local::AccessKey;
use scf_local::fuzzing::{CronSchedule, decode_request, params_from_query, verify_signature};
use scf_sdk::catalog::ACTIONS;
use scf_sdk::runtime::test_util::{ManualClock, ReplayTransport};
use scf_sdk::runtime::{
    Action, ActionVisitor, ApiClient, Config, Credentials, HttpMethod, HttpRequest, JsonPayload, MemberDescriptor,
    RetryPolicy, StringFormat, TypeDescriptor,
};
use serde_json::{Map, Value};

/// The clock of both sides, in Unix seconds.
const NOW: i64 = 1_700_000_000;
/// Cases of the sign → verify property, over all actions.
const SIGNATURE_CASES: u32 = 10_000;
/// Cases per action of the two round-trip properties.
const CASES_PER_ACTION: u32 = 48;

// --- arbitrary valid requests, from the catalogue ------------------------------------------------

/// Characters that stress encodings: the query's own syntax, JSON escapes, and non-ASCII.
fn character() -> BoxedStrategy<char> {
    let special = vec!['&', '=', '.', '%', '+', ' ', '/', '?', '#', '"', '\\', '\n', '\t', '\0', '~', '-', '_', '*'];
    let wide = vec!['é', 'ß', '中', '文', '𝄞', '🦀', '\u{2028}', '\u{feff}', '\u{7f}'];
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('0', '9'),
        3 => select(special),
        2 => select(wide),
        1 => any::<char>(),
    ]
    .boxed()
}

fn text(max_chars: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(character(), 0..=max_chars).prop_map(String::from_iter).boxed()
}

/// A string within the member's byte limits and character rule.
fn string(member: &'static MemberDescriptor) -> BoxedStrategy<String> {
    let min = member.limits.min_bytes.unwrap_or(0) as usize;
    let max = member.limits.max_bytes.map_or(usize::MAX, |m| m as usize);
    if member.format == Some(StringFormat::Name) {
        // A letter, then letters, digits, `-` and `_`, ending with a letter or digit.
        let len = min.max(1)..=max.min(24).max(min.max(1));
        let middle =
            prop_oneof![proptest::char::range('a', 'z'), proptest::char::range('0', '9'), select(vec!['-', '_'])];
        return (len, proptest::char::range('A', 'z').prop_filter("a letter", char::is_ascii_alphabetic))
            .prop_flat_map(move |(len, first)| {
                let inner = len.saturating_sub(2);
                let last = if len > 1 { 1 } else { 0 };
                (
                    Just(first),
                    proptest::collection::vec(middle.clone(), inner),
                    proptest::collection::vec(proptest::char::range('a', 'z'), last),
                )
            })
            .prop_map(|(first, middle, last)| std::iter::once(first).chain(middle).chain(last).collect())
            .boxed();
    }
    text(16)
        .prop_map(move |mut s| {
            while s.len() > max {
                s.pop();
            }
            while s.len() < min {
                s.push('x');
            }
            s
        })
        .boxed()
}

/// Any JSON value, small.
fn json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        text(8).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(text(6), inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn number_in(member: &MemberDescriptor, lo: f64, hi: f64) -> (f64, f64) {
    (member.limits.min.unwrap_or(lo).max(lo), member.limits.max.unwrap_or(hi).min(hi))
}

/// A valid wire value of `member` (of type `ty`: the member's, or its list's item type).
/// `get`: list items always carry something (see the module's documentation).
fn value(
    member: &'static MemberDescriptor,
    ty: &'static TypeDescriptor,
    get: bool,
    depth: u32,
) -> BoxedStrategy<Value> {
    match ty {
        TypeDescriptor::String | TypeDescriptor::DateTime => match member.json {
            Some(JsonPayload::Any) => json().prop_map(|v| Value::String(v.to_string())).boxed(),
            Some(JsonPayload::StringMap) => proptest::collection::btree_map(text(8), text(8), 0..3)
                .prop_map(|m| Value::String(serde_json::to_string(&m).unwrap()))
                .boxed(),
            Some(other) => panic!("{}: no generator for JSON payloads of kind {other:?}", member.name),
            None => string(member).prop_map(Value::String).boxed(),
        }
        .prop_filter("within the byte limit", move |v| {
            member.limits.max_bytes.is_none_or(|max| v.as_str().is_some_and(|s| s.len() as u64 <= max))
        })
        .boxed(),
        TypeDescriptor::Int64 => {
            let (lo, hi) = number_in(member, i64::MIN as f64, i64::MAX as f64);
            let (lo, hi) = (lo.ceil() as i64, hi.floor() as i64);
            prop_oneof![lo..=hi, Just(lo), Just(hi)].prop_map(Value::from).boxed()
        }
        TypeDescriptor::UInt64 => {
            let (lo, hi) = number_in(member, 0.0, u64::MAX as f64);
            let (lo, hi) = (lo.ceil() as u64, hi.floor() as u64);
            prop_oneof![lo..=hi, Just(lo), Just(hi)].prop_map(Value::from).boxed()
        }
        TypeDescriptor::Float => {
            let (lo, hi) = number_in(member, -1e15, 1e15);
            prop_oneof![lo..=hi, Just(lo), Just(hi), Just(0.5_f64.clamp(lo, hi))].prop_map(Value::from).boxed()
        }
        TypeDescriptor::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        TypeDescriptor::Enum(e) => {
            let values: Vec<&'static str> = e.values.iter().map(|v| v.value).collect();
            let known = select(values).prop_map(|v| Value::String(v.to_owned()));
            if e.open { prop_oneof![3 => known, 1 => text(8).prop_map(Value::String)].boxed() } else { known.boxed() }
        }
        TypeDescriptor::Structure(s) => object(s.members, get, depth + 1),
        TypeDescriptor::List(item) => {
            let max = member.limits.max_items.map_or(3, |m| m.min(3) as usize);
            let item = carries_something(value(member, item, get, depth + 1), get);
            proptest::collection::vec(item, 0..=max).prop_map(Value::Array).boxed()
        }
        other => panic!("{}: no generator for members of type {other:?}", member.name),
    }
}

/// With `get`, only values that have something to send: GET has no key for an empty list or object,
/// so an empty list item would leave a gap in the numbering and an empty required member would
/// arrive missing.
fn carries_something(value: BoxedStrategy<Value>, get: bool) -> BoxedStrategy<Value> {
    if get { value.prop_filter("GET cannot carry an empty value here", |v| prune(v).is_some()).boxed() } else { value }
}

/// A valid object of `members`: the required ones, and each optional one or not.
fn object(members: &'static [MemberDescriptor], get: bool, depth: u32) -> BoxedStrategy<Value> {
    let all_optional = !members.iter().any(|m| m.required);
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = members
        .iter()
        // Deep down, only what is required (keeps cases small whatever the nesting), unless
        // nothing is.
        .filter(|m| m.required || depth < 4 || all_optional)
        .map(|m| {
            let name = m.name;
            let value = value(m, &m.ty, get, depth);
            if m.required {
                carries_something(value, get).prop_map(move |v| Some((name.to_owned(), v))).boxed()
            } else {
                proptest::option::of(value).prop_map(move |v| v.map(|v| (name.to_owned(), v))).boxed()
            }
        })
        .collect();
    fields.prop_map(|fields| Value::Object(fields.into_iter().flatten().collect())).boxed()
}

/// `value` as a GET request can carry it: without nulls, empty lists and empty objects (none of
/// which has a key in the flattening). `None` if nothing is left.
fn prune(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) => {
            let items: Vec<Value> = items.iter().filter_map(prune).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(members) => {
            let members: Map<String, Value> =
                members.iter().filter_map(|(k, v)| prune(v).map(|v| (k.clone(), v))).collect();
            (!members.is_empty()).then_some(Value::Object(members))
        }
        other => Some(other.clone()),
    }
}

fn pruned(value: &Value) -> Value {
    prune(value).unwrap_or_else(|| Value::Object(Map::new()))
}

// --- the SDK's side: a request as it goes on the wire ---------------------------------------------

/// How the SDK is set up for one case.
#[derive(Debug, Clone)]
struct Setup {
    method: HttpMethod,
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    unsigned_payload: bool,
    port: u16,
    region: &'static str,
}

impl Setup {
    fn plain(method: HttpMethod) -> Setup {
        Setup {
            method,
            secret_id: "AKIDproperty".into(),
            secret_key: "property-key".into(),
            token: None,
            unsigned_payload: false,
            port: 9100,
            region: "ap-guangzhou",
        }
    }

    fn key(&self) -> AccessKey {
        AccessKey { secret_id: self.secret_id.clone(), secret_key: self.secret_key.clone(), token: self.token.clone() }
    }

    /// The request `ApiClient` sends first for `request`: validated, encoded and signed at `NOW`.
    fn prepare<A: Action>(&self, request: &A) -> HttpRequest {
        let mut credentials = Credentials::new(&self.secret_id, &self.secret_key);
        if let Some(token) = &self.token {
            credentials = credentials.with_token(token);
        }
        let config = Config::builder()
            .region(self.region)
            .credentials(credentials)
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .http_method(self.method)
            .unsigned_payload(self.unsigned_payload)
            .retry_policy(RetryPolicy::disabled())
            .clock(ManualClock::new(UNIX_EPOCH + Duration::from_secs(NOW as u64)))
            // Never used (nothing is sent); spares building an HTTPS client per case.
            .transport(ReplayTransport::new())
            .build();
        let client = ApiClient::new(config).unwrap();
        let prepared = client.prepare(request);
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(prepared).unwrap_or_else(|e| panic!("{}: {e}", A::DESCRIPTOR.name))
    }
}

/// A request's parts as the emulator receives them.
#[derive(Debug, Clone)]
struct Wire {
    method: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn from(request: &HttpRequest) -> Wire {
        Wire {
            method: request.method.as_str().to_owned(),
            query: request.url.split_once('?').map_or("", |(_, q)| q).to_owned(),
            headers: request.headers.iter().map(|(n, v)| ((*n).to_owned(), v.to_string())).collect(),
            body: request.body.to_vec(),
        }
    }

    fn verify(&self, key: &AccessKey) -> Result<(), String> {
        verify_signature(&self.method, &self.query, &self.headers, &self.body, key, true, NOW)
    }

    fn header_mut(&mut self, name: &str) -> &mut String {
        let at = self.headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)).unwrap();
        &mut self.headers[at].1
    }
}

/// The typed request of `A` for wire JSON the generator made (valid by construction).
fn typed<A: Action>(params: &Value) -> Result<A, TestCaseError> {
    serde_json::from_value(params.clone())
        .map_err(|e| TestCaseError::fail(format!("{}: generated {params} is not a request: {e}", A::DESCRIPTOR.name)))
}

fn runner(cases: u32) -> TestRunner {
    // Failures are reported with the shrunk case; no file of past failures is kept.
    TestRunner::new(RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() })
}

// --- sign → verify ---------------------------------------------------------------------------------

fn setup() -> impl Strategy<Value = Setup> {
    let ascii_token = proptest::collection::vec(proptest::char::range('!', '~'), 1..40).prop_map(String::from_iter);
    (
        any::<bool>(),
        proptest::collection::vec(
            proptest::char::range('A', 'z').prop_filter("alphanumeric", char::is_ascii_alphanumeric),
            1..24,
        )
        .prop_map(String::from_iter),
        text(24),
        proptest::option::of(ascii_token),
        prop_oneof![4 => Just(false), 1 => Just(true)],
        1024u16..,
        select(scf_sdk::catalog::SERVICE.regions.to_vec()),
    )
        .prop_map(|(get, secret_id, secret_key, token, unsigned_payload, port, region)| Setup {
            method: if get { HttpMethod::Get } else { HttpMethod::Post },
            secret_id,
            secret_key,
            token,
            unsigned_payload,
            port,
            region,
        })
}

/// Signs the request to the action named `action` with `params` as `setup` says.
struct SignOne<'a> {
    action: &'static str,
    params: &'a Value,
    setup: &'a Setup,
    wire: Option<Result<Wire, TestCaseError>>,
}

impl ActionVisitor for SignOne<'_> {
    fn visit<A: Action>(&mut self) {
        if A::DESCRIPTOR.name == self.action {
            self.wire = Some(typed::<A>(self.params).map(|request| Wire::from(&self.setup.prepare(&request))));
        }
    }
}

/// Every way of changing one signed part, each named, and whether it must now fail.
fn one_change_each(wire: &Wire, setup: &Setup) -> Vec<(&'static str, Wire, AccessKey)> {
    let key = setup.key();
    let mut changes = Vec::new();
    let mut change = |what, edit: &dyn Fn(&mut Wire, &mut AccessKey)| {
        let (mut wire, mut key) = (wire.clone(), key.clone());
        edit(&mut wire, &mut key);
        changes.push((what, wire, key));
    };
    change("method", &|w, _| w.method = if w.method == "GET" { "POST".into() } else { "GET".into() });
    change("query", &|w, _| w.query.push_str(if w.query.is_empty() { "A=1" } else { "&A=1" }));
    change("one query byte", &|w, _| {
        if let Some(last) = w.query.pop() {
            w.query.push(if last == 'x' { 'y' } else { 'x' });
        } else {
            w.query.push('x');
        }
    });
    change("body", &|w, _| w.body.push(b' '));
    change("host", &|w, _| w.header_mut("host").push('1'));
    change("content type", &|w, _| *w.header_mut("content-type") = "text/plain".into());
    change("timestamp", &|w, _| {
        let t = w.header_mut("x-tc-timestamp");
        *t = (t.parse::<i64>().unwrap() + 1).to_string();
    });
    change("signature", &|w, _| {
        let authorization = w.header_mut("authorization");
        let last = authorization.pop().unwrap();
        authorization.push(if last == '0' { '1' } else { '0' });
    });
    change("secret id", &|w, k| {
        let authorization = w.header_mut("authorization");
        let credential = format!("Credential={}/", k.secret_id);
        *authorization = authorization.replacen(&credential, &format!("Credential={}X/", k.secret_id), 1);
    });
    change("secret key", &|_, k| k.secret_key.push('X'));
    change("token", &|w, k| match &k.token {
        Some(_) => w.header_mut("x-tc-token").push('X'),
        None => w.headers.push(("X-TC-Token".into(), "unexpected".into())),
    });
    if setup.token.is_some() {
        change("no token", &|w, _| w.headers.retain(|(n, _)| n != "X-TC-Token"));
    }
    changes
}

#[test]
fn what_the_sdk_signs_the_emulator_verifies_and_any_change_fails() {
    let strategy = (0..ACTIONS.len(), setup()).prop_flat_map(|(i, setup)| {
        let get = setup.method == HttpMethod::Get;
        (Just(ACTIONS[i].name), object(ACTIONS[i].input, get, 0), Just(setup))
    });
    let started = std::time::Instant::now();
    runner(SIGNATURE_CASES)
        .run(&strategy, |(action, params, setup)| {
            let mut visitor = SignOne { action, params: &params, setup: &setup, wire: None };
            scf_sdk::catalog::visit_actions(&mut visitor);
            let wire = visitor.wire.unwrap()?;
            prop_assert_eq!(wire.verify(&setup.key()), Ok(()), "{:?}", wire);
            for (what, changed, key) in one_change_each(&wire, &setup) {
                let verdict = changed.verify(&key);
                // With `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` the body is not signed, by design.
                if what == "body" && setup.unsigned_payload {
                    prop_assert_eq!(verdict, Ok(()), "the body is not signed: {:?}", changed);
                } else {
                    prop_assert!(verdict.is_err(), "changed {} and still verified: {:?}", what, changed);
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!("sign → verify: {SIGNATURE_CASES} cases in {:.1?}", started.elapsed());
}

// --- round trips through the emulator's decoding --------------------------------------------------

/// Runs `Check` over every action of the catalogue.
struct EveryAction<C> {
    check: C,
    cases: u32,
}

trait Check {
    /// Whether list items must carry something (requests sent with GET).
    const GET: bool;
    fn check<A: Action>(&self, params: &Value) -> Result<(), TestCaseError>;
}

impl<C: Check> ActionVisitor for EveryAction<C> {
    fn visit<A: Action>(&mut self) {
        let name = A::DESCRIPTOR.name;
        runner(self.cases)
            .run(&object(A::DESCRIPTOR.input, C::GET, 0), |params| self.check.check::<A>(&params))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn every_action<C: Check>(check: C, what: &str) {
    let started = std::time::Instant::now();
    scf_sdk::catalog::visit_actions(&mut EveryAction { check, cases: CASES_PER_ACTION });
    let total = CASES_PER_ACTION as usize * ACTIONS.len();
    eprintln!("{what}: {total} cases ({CASES_PER_ACTION} per action) in {:.1?}", started.elapsed());
}

/// The SDK's GET query, read back by the emulator's query parser, is the request's JSON.
struct QueryRoundTrip;

impl Check for QueryRoundTrip {
    const GET: bool = true;

    fn check<A: Action>(&self, params: &Value) -> Result<(), TestCaseError> {
        let request = typed::<A>(params)?;
        let wire = Wire::from(&Setup::plain(HttpMethod::Get).prepare(&request));
        let parsed = params_from_query(A::DESCRIPTOR.name, &wire.query).map_err(TestCaseError::fail)?;
        let sent = serde_json::to_value(&request).unwrap();
        prop_assert_eq!(pruned(&parsed), pruned(&sent), "query {}", wire.query);
        Ok(())
    }
}

#[test]
fn the_sdks_get_query_reads_back_as_the_same_parameters() {
    every_action(QueryRoundTrip, "GET flattening ↔ query parsing");
}

/// Serialised as the SDK sends it, decoded as the emulator decodes it: the same request.
struct RequestRoundTrip {
    method: HttpMethod,
}

impl Check for RequestRoundTrip {
    const GET: bool = true;

    fn check<A: Action>(&self, params: &Value) -> Result<(), TestCaseError> {
        let request = typed::<A>(params)?;
        let wire = Wire::from(&Setup::plain(self.method).prepare(&request));
        let decoded: A = decode_request(&wire.method, &wire.query, &wire.body).map_err(TestCaseError::fail)?;
        let (sent, got) = (serde_json::to_value(&request).unwrap(), serde_json::to_value(&decoded).unwrap());
        match self.method {
            HttpMethod::Get => prop_assert_eq!(pruned(&got), pruned(&sent), "query {}", wire.query),
            _ => {
                prop_assert_eq!(&got, &sent, "body {}", String::from_utf8_lossy(&wire.body));
                // The SDK's one-pass writer (JSON-carrying members escaped as they are written)
                // writes exactly what serde_json writes for the request.
                let expected = serde_json::to_vec(&request).unwrap();
                prop_assert_eq!(String::from_utf8_lossy(&wire.body), String::from_utf8_lossy(&expected));
            }
        }
        Ok(())
    }
}

/// POST carries what GET cannot (empty lists, empty objects in lists): generated without limits.
struct PostRoundTrip;

impl Check for PostRoundTrip {
    const GET: bool = false;

    fn check<A: Action>(&self, params: &Value) -> Result<(), TestCaseError> {
        RequestRoundTrip { method: HttpMethod::Post }.check::<A>(params)
    }
}

#[test]
fn every_request_type_survives_post_and_the_emulators_decoding() {
    every_action(PostRoundTrip, "request types over POST");
}

#[test]
fn every_request_type_survives_get_and_the_emulators_decoding() {
    every_action(RequestRoundTrip { method: HttpMethod::Get }, "request types over GET");
}

// --- timer cron expressions ---------------------------------------------------------------------------

/// One field of a cron expression in any of its forms, within `low..=high`.
fn cron_field(low: u32, high: u32) -> BoxedStrategy<String> {
    let item = prop_oneof![
        Just("*".to_owned()),
        (low..=high).prop_map(|v| v.to_string()),
        (low..=high, 0..=3u32).prop_map(move |(a, span)| format!("{a}-{}", (a + span).min(high))),
        (1..=7u32).prop_map(|step| format!("*/{step}")),
        (low..=high, 1..=7u32).prop_map(|(a, step)| format!("{a}/{step}")),
    ];
    proptest::collection::vec(item, 1..=3).prop_map(|items| items.join(",")).boxed()
}

fn cron_expression() -> impl Strategy<Value = String> {
    (
        cron_field(0, 59),
        cron_field(0, 59),
        cron_field(0, 23),
        cron_field(1, 31),
        cron_field(1, 12),
        cron_field(0, 6),
        prop_oneof![Just("*".to_owned()), (2026..=2030u32).prop_map(|y| y.to_string())],
    )
        .prop_map(|(s, m, h, d, mo, w, y)| format!("{s} {m} {h} {d} {mo} {w} {y}"))
}

#[test]
fn any_text_is_a_cron_expression_or_a_refusal_naming_its_field() {
    let mut runner = runner(5_000);
    let fields = ["expression", "second", "minute", "hour", "day of month", "month", "day of week", "year"];
    runner
        .run(&("[ 0-9*/,A-Za-z-]{0,40}", any::<i64>()), |(text, after)| {
            match CronSchedule::parse(&text) {
                Ok(schedule) => {
                    let _ = schedule.next_after(after);
                }
                Err(message) => prop_assert!(fields.iter().any(|f| message.starts_with(f)), "{message}"),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_next_tick_is_the_first_matching_second_after() {
    let mut runner = runner(100);
    // From 2026-01-01 to the end of 2029 (UTC); the seconds in between are checked over a day.
    let after = 1_767_225_600i64..1_893_456_000;
    const WINDOW: i64 = 86_400;
    runner
        .run(&(cron_expression(), after), |(expression, after)| {
            let schedule = CronSchedule::parse(&expression).unwrap();
            let next = schedule.next_after(after);
            let end = next.map_or(after + WINDOW, |next| next.min(after + WINDOW));
            if let Some(next) = next {
                prop_assert!(next > after, "{expression}: {next} is not after {after}");
                prop_assert!(schedule.matches(next), "{expression}: {next} does not match");
            }
            for t in (after + 1)..end {
                prop_assert!(!schedule.matches(t), "{expression}: {t} matches before {next:?}");
            }
            Ok(())
        })
        .unwrap();
}
