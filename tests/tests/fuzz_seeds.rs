//! The fuzz targets' seed corpus (`fuzz/seeds/<target>/`), made here from real inputs — requests
//! signed by the SDK, its GET queries, answers shaped by the catalogue, zip archives (links
//! included), fragments of the real API description — and checked to be what each claims: a
//! signed request verifies, a query parses back, an answer decodes, an archive extracts or is
//! refused as it should.
//!
//! The committed files must be exactly what this makes (like generated code). After changing a
//! seed here, write them with `SCF_UPDATE_FUZZ_SEEDS=1 cargo test -p scf-tests --test fuzz_seeds`.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

/// The fuzz targets' own helpers: the request text form and the key pair, shared so the seeds
/// are written exactly as the targets read them.
#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_format;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use fuzz_format::{NOW, Request, SECRET_ID, SECRET_KEY, TOKEN, minimal_params};
use scf_local::AccessKey;
use scf_local::fuzzing::{UnzipLimits, extract_zip, params_from_query, verify_signature};
use scf_sdk::catalog::ACTIONS;
use scf_sdk::runtime::test_util::{ManualClock, ReplayTransport};
use scf_sdk::runtime::{
    Action, ActionVisitor, ApiClient, Config, Credentials, HttpMethod, HttpRequest, MemberDescriptor, RetryPolicy,
    TypeDescriptor, sign,
};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

/// Seeds by path under `fuzz/seeds/`.
type Seeds = BTreeMap<String, Vec<u8>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

// --- signed requests ---------------------------------------------------------------------------

/// The request `ApiClient` sends for `action` with `params`, signed `ago` seconds before `NOW`.
fn prepared(action: &str, params: Value, method: HttpMethod, token: bool, unsigned: bool, ago: i64) -> Request {
    struct Prepare<'a> {
        action: &'a str,
        params: &'a Value,
        client: &'a ApiClient,
        out: Option<HttpRequest>,
    }
    impl ActionVisitor for Prepare<'_> {
        fn visit<A: Action>(&mut self) {
            if A::DESCRIPTOR.name == self.action {
                let request: A = serde_json::from_value(self.params.clone()).unwrap();
                self.out = Some(runtime().block_on(self.client.prepare(&request)).unwrap());
            }
        }
    }
    let mut credentials = Credentials::new(SECRET_ID, SECRET_KEY);
    if token {
        credentials = credentials.with_token(TOKEN);
    }
    let config = Config::builder()
        .region("ap-guangzhou")
        .credentials(credentials)
        .endpoint_url("http://127.0.0.1:9100")
        .http_method(method)
        .unsigned_payload(unsigned)
        .clock(ManualClock::new(UNIX_EPOCH + Duration::from_secs((NOW - ago) as u64)))
        .build();
    let client = ApiClient::new(config).unwrap();
    let mut visitor = Prepare { action, params: &params, client: &client, out: None };
    scf_sdk::catalog::visit_actions(&mut visitor);
    let request = visitor.out.unwrap();
    Request {
        method: request.method.as_str().to_owned(),
        query: request.url.split_once('?').map_or("", |(_, q)| q).to_owned(),
        headers: request.headers.iter().map(|(n, v)| ((*n).to_owned(), v.to_string())).collect(),
        body: request.body.to_vec(),
    }
}

/// `request` signed again as a client with a quirk does: `signed_host` and `service` in place of
/// what it sends.
fn resigned(mut request: Request, sent_host: &str, signed_host: &str, service: &str) -> Request {
    let timestamp: i64 = request.header("X-TC-Timestamp").unwrap().parse().unwrap();
    let authorization = sign::sign(
        &sign::SignableRequest {
            method: &request.method,
            query: &request.query,
            content_type: request.header("Content-Type").unwrap(),
            host: signed_host,
            payload_hash: &sign::hash_payload(&request.body),
        },
        &sign::SigningParams { secret_id: SECRET_ID, secret_key: SECRET_KEY, service, timestamp },
    );
    for (name, value) in &mut request.headers {
        match name.as_str() {
            "Host" => *value = sent_host.to_owned(),
            "Authorization" => value.clone_from(&authorization),
            _ => {}
        }
    }
    request
}

fn invoke_params() -> Value {
    // `Event` as the SDK writes it (compact, keys sorted), so the query seed reads back to it.
    json!({"FunctionName": "hello", "Event": "{\"emoji\":\"🦀\",\"n\":[1,2.5],\"名前\":\"値\"}", "LogType": "Tail"})
}

fn list_params() -> Value {
    json!({
        "SearchKey": "中文 & a=b %2F+",
        "Limit": 20,
        "Offset": 0,
        "Filters": [{"Name": "Runtime", "Values": ["Python3.9", "Nodejs18.15"]}]
    })
}

/// The requests of the signature seeds, and whether each passes leniently and `--strict`.
fn signed_requests() -> Vec<(&'static str, Request, bool, bool)> {
    let post = prepared("InvokeFunction", invoke_params(), HttpMethod::Post, false, false, 3);
    let get = prepared("ListFunctions", list_params(), HttpMethod::Get, false, false, 3);
    let token = prepared("InvokeFunction", invoke_params(), HttpMethod::Post, true, false, 3);
    let unsigned = prepared("InvokeFunction", invoke_params(), HttpMethod::Post, false, true, 3);
    let tccli = resigned(post.clone(), "http://127.0.0.1:9100", "http://127.0.0.1:9100", "scf");
    let node = resigned(post.clone(), "127.0.0.1:9100", "127.0.0.1", "127");
    let expired = prepared("InvokeFunction", invoke_params(), HttpMethod::Post, false, false, 1_000);
    let mut unauthorized = post.clone();
    unauthorized.headers.retain(|(name, _)| name != "Authorization");
    let mut lower_case = get.clone();
    for (name, _) in &mut lower_case.headers {
        name.make_ascii_lowercase();
    }
    vec![
        ("post_invoke_non_ascii", post, true, true),
        ("get_list_functions_non_ascii", get, true, true),
        ("post_with_token", token, true, true),
        ("unsigned_payload", unsigned, true, true),
        ("tccli_host_with_scheme", tccli, true, false),
        ("nodejs_service_from_host", node, true, false),
        ("expired", expired, false, false),
        ("no_authorization", unauthorized, false, false),
        ("lower_case_header_names", lower_case, true, true),
    ]
}

fn key(request: &Request) -> AccessKey {
    let token = request.header("X-TC-Token").map(str::to_owned);
    AccessKey { secret_id: SECRET_ID.into(), secret_key: SECRET_KEY.into(), token }
}

fn verifies(request: &Request, strict: bool) -> bool {
    let (method, query, body) = (&request.method, &request.query, &request.body);
    verify_signature(method, query, &request.headers, body, &key(request), strict, NOW).is_ok()
}

fn tc3_seeds(seeds: &mut Seeds) {
    for (name, request, lenient, strict) in signed_requests() {
        assert_eq!((verifies(&request, false), verifies(&request, true)), (lenient, strict), "{name}");
        seeds.insert(format!("tc3_verify/{name}.txt"), request.to_text());
    }
    // The mutation target signs its base itself: the base is the request without the signature,
    // then a few change programs (read by `arbitrary`, so any bytes are one).
    let programs: [&[u8]; 3] = [b"", b"\x03\x00\x01\x41", b"\x06\x05\x02\x07\x00\x10\x01"];
    for (name, request, _, _) in signed_requests().into_iter().take(4) {
        let signed_parts = ["Host", "Content-Type", "X-TC-Token", "X-TC-Content-SHA256"];
        let headers = request.headers.iter().filter(|(n, _)| signed_parts.contains(&n.as_str())).cloned().collect();
        let base = Request { headers, ..request }.to_text();
        for (i, program) in programs.iter().enumerate() {
            let mut seed = (base.len() as u16).to_le_bytes().to_vec();
            seed.extend_from_slice(&base);
            seed.extend_from_slice(program);
            seeds.insert(format!("tc3_mutate/{name}_{i}.bin"), seed);
        }
    }
}

// --- GET queries -------------------------------------------------------------------------------

fn action_index(name: &str) -> u8 {
    ACTIONS.iter().position(|a| a.name == name).unwrap() as u8
}

fn query_seeds(seeds: &mut Seeds) {
    let update = json!({
        "FunctionName": "hello",
        "Environment": {"Variables": [{"Key": "A&B", "Value": "x=1%2+中"}, {"Key": "SPACE", "Value": " "}]},
        "MemorySize": 256,
        "Timeout": 3
    });
    let logs = json!({
        "FunctionName": "hello",
        "Limit": 10,
        "Filter": {"RetCode": "is0"},
        "StartTime": "2024-01-01 00:00:00",
        "EndTime": "2024-01-02 00:00:00"
    });
    let trigger = json!({
        "FunctionName": "hello",
        "TriggerName": "every-minute",
        "Type": "timer",
        "TriggerDesc": "0 */1 * * * * *",
        "Enable": "OPEN"
    });
    let real = [
        ("ListFunctions", list_params()),
        ("InvokeFunction", invoke_params()),
        ("UpdateFunctionConfiguration", update),
        ("GetFunctionLogs", logs),
        ("CreateTrigger", trigger),
    ];
    for (action, params) in real {
        let query = prepared(action, params.clone(), HttpMethod::Get, false, false, 0).query;
        assert_eq!(params_from_query(action, &query), Ok(params), "{action}: {query}");
        let mut seed = vec![action_index(action)];
        seed.extend_from_slice(query.as_bytes());
        seeds.insert(format!("query_flatten/{action}.txt"), seed);
    }
    let deepest = format!("FunctionName=f&Event{}=1", ".a".repeat(15));
    let too_deep = format!("FunctionName=f&Event{}=1", ".a".repeat(16));
    let edges: [(&str, &str, String, bool); 7] = [
        ("deepest_key", "InvokeFunction", deepest, true),
        ("too_deep", "InvokeFunction", too_deep, false),
        ("list_gap", "ListFunctions", "Filters.0.Name=a&Filters.2.Name=b".into(), false),
        ("huge_index", "ListFunctions", "Filters.4000000000.Name=x".into(), false),
        ("escapes", "ListFunctions", "SearchKey=a+b%20c%zz%E4%B8%AD%&Limit=%32".into(), true),
        ("later_pair_wins", "ListFunctions", "Limit=1&Limit=2&Offset=0&Offset.x=1".into(), true),
        ("unnamed", "ListFunctions", "0=x&1=y".into(), false),
    ];
    for (name, action, query, accepted) in edges {
        assert_eq!(params_from_query(action, &query).is_ok(), accepted, "{name}: {query}");
        let mut seed = vec![action_index(action)];
        seed.extend_from_slice(query.as_bytes());
        seeds.insert(format!("query_flatten/{name}.txt"), seed);
    }
}

// --- answers -----------------------------------------------------------------------------------

/// A plausible value of an output member: its example when it has one, else a value of its type.
fn example(member: &MemberDescriptor, ty: &TypeDescriptor, depth: usize) -> Value {
    let from_example = member.example.and_then(|e| match ty {
        TypeDescriptor::String | TypeDescriptor::DateTime | TypeDescriptor::Enum(_) => Some(Value::String(e.into())),
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float | TypeDescriptor::Bool => {
            serde_json::from_str(&e.to_ascii_lowercase()).ok().filter(|v: &Value| v.is_number() || v.is_boolean())
        }
        _ => None,
    });
    if let Some(value) = from_example {
        return value;
    }
    match ty {
        TypeDescriptor::String if member.json.is_some() => Value::String("{\"key\":\"value\"}".into()),
        TypeDescriptor::String => Value::String("text".into()),
        TypeDescriptor::DateTime => Value::String("2024-01-01 00:00:00".into()),
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 => Value::from(1),
        TypeDescriptor::Float => Value::from(1.5),
        TypeDescriptor::Bool => Value::Bool(true),
        TypeDescriptor::Enum(e) => Value::String(e.values.first().map_or("x", |v| v.value).into()),
        TypeDescriptor::Structure(s) if depth < 6 => object(s.members, depth + 1),
        TypeDescriptor::Structure(_) => json!({}),
        TypeDescriptor::List(item) => Value::Array(vec![example(member, item, depth + 1)]),
        _ => Value::Null,
    }
}

fn object(members: &[MemberDescriptor], depth: usize) -> Value {
    Value::Object(members.iter().map(|m| (m.name.to_owned(), example(m, &m.ty, depth))).collect())
}

/// Every action: its index in `visit_actions`' order, its name, a successful answer, and whether
/// that answer decodes into the action's response type through `ApiClient::call`.
struct Answers(Vec<(u8, &'static str, Vec<u8>)>);

impl ActionVisitor for Answers {
    fn visit<A: Action>(&mut self) {
        let mut response = object(A::DESCRIPTOR.output, 0);
        response["RequestId"] = json!("8f6e2d1c-0000-4000-8000-00000000fuzz");
        let body = serde_json::to_vec(&json!({ "Response": response })).unwrap();
        let request: A = serde_json::from_value(minimal_params(A::DESCRIPTOR.input)).unwrap();
        let config = Config::builder()
            .region("ap-guangzhou")
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
            .retry_policy(RetryPolicy::disabled())
            .transport(ReplayTransport::new().answer(200, body.clone()))
            .build();
        let decoded = runtime().block_on(ApiClient::new(config).unwrap().call(&request));
        assert!(decoded.is_ok(), "{}: {:?}", A::DESCRIPTOR.name, decoded.err());
        self.0.push((self.0.len() as u8, A::DESCRIPTOR.name, body));
    }
}

fn answer_seeds(seeds: &mut Seeds) -> Answers {
    let mut answers = Answers(Vec::new());
    scf_sdk::catalog::visit_actions(&mut answers);
    for (index, name, body) in &answers.0 {
        let mut seed = vec![*index, 0];
        seed.extend_from_slice(body);
        seeds.insert(format!("sdk_response/{name}.json.bin"), seed);
    }
    let invoke = answers.0.iter().find(|(_, n, _)| *n == "InvokeFunction").unwrap().0;
    let list = answers.0.iter().find(|(_, n, _)| *n == "ListFunctions").unwrap().0;
    // Mode: the low 3 bits pick the status (0: 200, 4: 400, 6: 500, 7: 503), bit 3 `call_json`.
    let odd: [(&str, u8, u8, &str); 8] = [
        (
            "service_error",
            invoke,
            0,
            r#"{"Response":{"Error":{"Code":"ResourceNotFound.Function","Message":"no such function"},"RequestId":"r1"}}"#,
        ),
        ("internal_error_500", list, 6, r#"{"Response":{"Error":{"Code":"InternalError"},"RequestId":"r2"}}"#),
        ("html_503", list, 7, "<html><body>Service Unavailable</body></html>"),
        ("cut_short", list, 0, r#"{"Response":{"Functions":[{"FunctionName":"f""#),
        ("no_request_id", list, 0, r#"{"Response":{"Functions":[],"TotalCount":0}}"#),
        ("wrong_types", list, 0, r#"{"Response":{"Functions":"x","TotalCount":-1,"RequestId":7}}"#),
        ("json_mode", invoke, 8, r#"{"Response":{"Result":{"RetMsg":"\"ok\""},"RequestId":"r3"}}"#),
        ("error_as_string", invoke, 4, r#"{"Response":{"Error":"denied","RequestId":"r4"}}"#),
    ];
    for (name, index, mode, body) in odd {
        let mut seed = vec![index, mode];
        seed.extend_from_slice(body.as_bytes());
        seeds.insert(format!("sdk_response/{name}.bin"), seed);
    }
    answers
}

// --- --query paths -----------------------------------------------------------------------------

fn cli_query_seeds(seeds: &mut Seeds, answers: &Answers) {
    let response = |action: &str| {
        let body = &answers.0.iter().find(|(_, n, _)| *n == action).unwrap().2;
        let envelope: Value = serde_json::from_slice(body).unwrap();
        envelope["Response"].to_string()
    };
    let cases = [
        ("ret_msg", "Result.RetMsg", "InvokeFunction"),
        ("first_function_name", "Functions[0].FunctionName", "ListFunctions"),
        ("every_tag_key", "Functions[].Tags[*].Key", "ListFunctions"),
        ("last_function", "Functions[-1]", "ListFunctions"),
        ("inside_a_json_string", "Triggers[0].TriggerDesc.cron", "ListTriggers"),
        ("variables", "Environment.Variables[].Key", "GetFunction"),
        ("unclosed_bracket", "Functions[0.FunctionName", "ListFunctions"),
        ("empty_member", "Functions..FunctionName", "ListFunctions"),
        ("not_an_index", "Functions[x]", "ListFunctions"),
    ];
    for (name, path, action) in cases {
        seeds.insert(format!("cli_query/{name}.txt"), format!("{path}\n{}", response(action)).into_bytes());
    }
}

// --- archives ----------------------------------------------------------------------------------

enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Deflated(&'a str, &'a [u8]),
    Dir(&'a str),
    Link(&'a str, &'a str),
}

fn archive(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .compression_method(zip::CompressionMethod::Stored);
    for entry in entries {
        match entry {
            Entry::File(name, content, mode) => {
                writer.start_file(*name, options.unix_permissions(*mode)).unwrap();
                writer.write_all(content).unwrap();
            }
            Entry::Deflated(name, content) => {
                writer.start_file(*name, options.compression_method(zip::CompressionMethod::Deflated)).unwrap();
                writer.write_all(content).unwrap();
            }
            Entry::Dir(name) => writer.add_directory(*name, options).unwrap(),
            Entry::Link(name, target) => writer.add_symlink(*name, *target, options).unwrap(),
        }
    }
    writer.finish().unwrap().into_inner()
}

fn unzip_seeds(seeds: &mut Seeds) {
    use Entry::{Deflated, Dir, File, Link};
    let handler = b"def main_handler(event, context):\n    return {\"ok\": True}\n";
    let zeros = vec![0u8; 5 << 20];
    let archives: Vec<(&str, Vec<u8>, bool)> = vec![
        ("python_function", archive(&[File("index.py", handler, 0o644), Deflated("lib/util.py", &[b'#'; 600])]), true),
        (
            "node_modules_links",
            archive(&[
                File("node_modules/tsc/bin/tsc", b"#!/usr/bin/env node\n", 0o755),
                Link("node_modules/.bin/tsc", "../tsc/bin/tsc"),
                Link("alias.js", "node_modules/tsc/bin/tsc"),
                Link("here", "."),
            ]),
            true,
        ),
        ("bootstrap_and_dirs", archive(&[Dir("conf/"), File("bootstrap", b"#!/bin/sh\nexec ./app\n", 0o755)]), true),
        ("backslash_names", archive(&[File("dir\\file.txt", b"x", 0o644)]), true),
        ("empty", archive(&[]), true),
        ("escape_dot_dot", archive(&[File("../escape", b"x", 0o644)]), false),
        ("escape_absolute", archive(&[File("/etc/passwd", b"x", 0o644)]), false),
        ("escape_drive", archive(&[File("C:\\windows\\x", b"x", 0o644)]), false),
        ("link_out", archive(&[File("f", b"x", 0o644), Link("out", "../../etc/passwd")]), false),
        ("link_absolute", archive(&[Link("abs", "/etc/passwd")]), false),
        ("link_loop", archive(&[Link("a", "b"), Link("b", "a")]), false),
        // The escape the fuzzing found: `p` is the root, so `p/p/q/up` is made at `q/up`.
        ("link_under_linked_dir", archive(&[Link("p", "."), Link("p/p/q/up", "../../etc/passwd")]), false),
        ("bomb_5mb", archive(&[Deflated("zeros", &zeros)]), false),
    ];
    // The fuzz target's limits: 256 entries, 4 MB.
    let limits = UnzipLimits { max_entries: 256, max_bytes: 4 << 20 };
    let scratch = scf_tests::TempDir::new("fuzz-seeds");
    for (name, zip, extracts) in archives {
        assert!(zip.len() < 16 * 1024, "{name}: {} bytes", zip.len());
        let dest = scratch.join(name);
        let result = extract_zip(&zip, &dest, limits);
        assert_eq!(result.is_ok(), extracts, "{name}: {result:?}");
        seeds.insert(format!("unzip/{name}.zip"), zip);
    }
}

// --- API descriptions --------------------------------------------------------------------------

/// The real description cut down to one action and what it refers to.
fn fragment(spec: &Value, action: &str) -> Value {
    let action = spec["actions"].as_array().unwrap().iter().find(|a| a["name"] == action).unwrap().clone();
    let structures: BTreeMap<&str, &Value> =
        spec["structures"].as_array().unwrap().iter().map(|s| (s["name"].as_str().unwrap(), s)).collect();
    let mut wanted: Vec<String> = Vec::new();
    let mut pending: Vec<&Value> = ["input", "output"].iter().flat_map(|k| action[k].as_array().unwrap()).collect();
    while let Some(member) = pending.pop() {
        let ty = member["type"].as_str().unwrap().to_owned();
        if !wanted.contains(&ty) {
            if let Some(s) = structures.get(ty.as_str()) {
                pending.extend(s["members"].as_array().unwrap());
            }
            wanted.push(ty);
        }
    }
    let pick = |key: &str| -> Vec<Value> {
        let all = spec[key].as_array().unwrap();
        all.iter().filter(|x| wanted.iter().any(|w| x["name"] == w.as_str())).cloned().collect()
    };
    let errors: Vec<Value> = spec["error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["common"] == true || action["errors"].as_array().is_some_and(|a| a.contains(&e["code"])))
        .cloned()
        .collect();
    json!({
        "format": spec["format"],
        "service": spec["service"],
        "regions": spec["regions"].as_array().unwrap()[..2],
        "error_codes": errors,
        "enums": pick("enums"),
        "structures": pick("structures"),
        "actions": [action],
    })
}

fn spec_seeds(seeds: &mut Seeds) {
    let real: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("api-spec/scf/2018-04-16.json")).unwrap()).unwrap();
    let demo = std::fs::read_to_string(root().join("codegen/tests/fixtures/demo.json")).unwrap();
    let mut specs = vec![("demo_every_feature".to_owned(), demo)];
    for action in ["InvokeFunction", "ListFunctions", "CreateTrigger", "GetFunctionLogs"] {
        specs.push((format!("scf_{action}"), fragment(&real, action).to_string()));
    }
    for (name, text) in specs {
        assert!(text.len() < 16 * 1024, "{name}: {} bytes", text.len());
        if let Err(errors) = codegen::analyze(&text) {
            panic!("{name}: {errors}");
        }
        seeds.insert(format!("spec/{name}.json"), text.into_bytes());
    }
    let mut unknown_key = fragment(&real, "InvokeFunction");
    unknown_key["actions"][0]["inputs"] = json!([]);
    let text = unknown_key.to_string();
    assert!(codegen::analyze(&text).is_err());
    seeds.insert("spec/unknown_key.json".into(), text.into_bytes());
}

// --- the corpus ----------------------------------------------------------------------------------

fn seeds() -> Seeds {
    let mut seeds = Seeds::new();
    tc3_seeds(&mut seeds);
    query_seeds(&mut seeds);
    let answers = answer_seeds(&mut seeds);
    cli_query_seeds(&mut seeds, &answers);
    unzip_seeds(&mut seeds);
    spec_seeds(&mut seeds);
    seeds
}

fn committed(dir: &Path) -> Seeds {
    let mut found = Seeds::new();
    for target in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for seed in std::fs::read_dir(target.path()).unwrap().flatten() {
            let name = format!("{}/{}", target.file_name().to_string_lossy(), seed.file_name().to_string_lossy());
            found.insert(name, std::fs::read(seed.path()).unwrap());
        }
    }
    found
}

#[test]
fn the_committed_fuzz_seeds_are_current() {
    let dir = root().join("fuzz/seeds");
    let seeds = seeds();
    if std::env::var_os("SCF_UPDATE_FUZZ_SEEDS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in &seeds {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
    let found = committed(&dir);
    let stale: Vec<&String> = seeds.keys().filter(|k| found.get(*k) != seeds.get(*k)).collect();
    let extra: Vec<&String> = found.keys().filter(|k| !seeds.contains_key(*k)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "fuzz/seeds is out of date (changed or missing: {stale:?}; not made here: {extra:?}); \
         run `SCF_UPDATE_FUZZ_SEEDS=1 cargo test -p scf-tests --test fuzz_seeds`"
    );
    for target in ["sdk_response", "tc3_verify", "tc3_mutate", "query_flatten", "unzip", "cli_query", "spec"] {
        let (count, bytes) = seeds
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{target}/")))
            .fold((0, 0), |(n, b), (_, v)| (n + 1, b + v.len()));
        assert!(count >= 3, "{target} has {count} seeds");
        assert!(bytes < 200 * 1024, "{target}'s seeds take {bytes} bytes");
    }
}
