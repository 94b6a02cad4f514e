//! The runtime end to end over real HTTP on 127.0.0.1, against a server that verifies every TC3
//! signature on its own: the wire format of every seed parameter, credentials sources, errors of
//! every class, retries and validation.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use scf_sdk::actions::InvokeFunctionErrorCode;
use scf_sdk::runtime::credentials::{
    DefaultCredentialsChain, EnvironmentCredentials, SdkProfileCredentials, TccliProfileCredentials,
};
use scf_sdk::runtime::test_util::{ManualClock, ReplayTransport};
use scf_sdk::runtime::{
    Config, ConfigBuilder, Credentials, Environment, Error, HttpMethod, HttpRequest, Language, ProvideCredentials,
    Resend, RetryPolicy, Transport, TransportErrorKind, TransportFuture,
};
use scf_sdk::types::LogType;
use scf_sdk::{Client, ErrorCode};
use scf_tests::TempDir;
use scf_tests::server::{Reply, SECRET_ID, SECRET_KEY, TestServer};
use serde_json::json;

fn client(config: ConfigBuilder) -> Client {
    Client::new(config.build()).unwrap()
}

#[tokio::test]
async fn every_seed_parameter_reaches_the_wire() {
    let server = TestServer::start().await;
    let response = client(server.config().language(Language::EnUs))
        .invoke_function()
        .function_name("hello")
        .qualifier("$LATEST")
        .event(json!({"key": "value", "n": [1, 2]}))
        .log_type(LogType::Tail)
        .namespace("default")
        .routing_key([("k", "v")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.result.ret_msg, r#"{"key":"value","n":[1,2]}"#);
    assert!(response.result.log.contains("hello from the test server"));
    assert!(response.request_id.starts_with("00000000-test"));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.verdict, Ok(()), "the server's own verifier accepts the signature");
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.params(),
        json!({
            "FunctionName": "hello",
            "Qualifier": "$LATEST",
            "Event": "{\"key\":\"value\",\"n\":[1,2]}",
            "LogType": "Tail",
            "Namespace": "default",
            "RoutingKey": "{\"k\":\"v\"}"
        })
    );
    assert_eq!(request.header("x-tc-action"), Some("InvokeFunction"));
    assert_eq!(request.header("x-tc-version"), Some("2018-04-16"));
    assert_eq!(request.header("x-tc-region"), Some("ap-guangzhou"));
    assert_eq!(request.header("x-tc-language"), Some("en-US"));
    assert_eq!(request.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(request.header("host"), Some(server.url().trim_start_matches("http://")));
    let client_name = format!("scf-rs/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(request.header("x-tc-requestclient"), Some(client_name.as_str()));
    assert_eq!(request.header("user-agent"), Some(client_name.as_str()));
    assert_eq!(request.header("x-tc-token"), None);
    let timestamp: u64 = request.header("x-tc-timestamp").unwrap().parse().unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert!(now.abs_diff(timestamp) < 60);
}

#[tokio::test]
async fn get_requests_carry_parameters_in_the_signed_query() {
    let server = TestServer::start().await;
    let response = client(server.config().http_method(HttpMethod::Get))
        .invoke_function()
        .function_name("hello")
        .event(json!({"a b": "c&d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.result.ret_msg, r#"{"a b":"c&d"}"#);
    let request = &server.requests()[0];
    assert_eq!((request.method.as_str(), request.verdict.clone()), ("GET", Ok(())));
    assert!(request.body.is_empty());
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.params()["FunctionName"], "hello");
}

#[tokio::test]
async fn session_tokens_and_unsigned_payloads() {
    let server = TestServer::start().await;
    client(
        server
            .config()
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token("sts-token"))
            .unsigned_payload(true),
    )
    .invoke_function()
    .function_name("hello")
    .send()
    .await
    .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.verdict, Ok(()));
    assert_eq!(request.header("x-tc-token"), Some("sts-token"));
    assert_eq!(request.header("x-tc-content-sha256"), Some("UNSIGNED-PAYLOAD"));
}

/// A temporary home directory with the given files, removed when dropped.
fn home_with(files: &[(&str, &str)]) -> TempDir {
    let home = TempDir::new("home");
    for (path, content) in files {
        let path = home.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    home
}

async fn secret_id_seen_with(server: &TestServer, env: Vec<(String, String)>) -> Result<String, String> {
    let config = ConfigBuilder::from_environment(Environment::from_vars(env))
        .endpoint_url(server.url())
        .region("ap-guangzhou")
        .build();
    let before = server.requests().len();
    match Client::new(config).unwrap().invoke_function().function_name("hello").send().await {
        Ok(_) => {
            let request = server.requests()[before].clone();
            let authorization = request.header("authorization").unwrap().to_owned();
            Ok(authorization.split("Credential=").nth(1).unwrap().split('/').next().unwrap().to_owned())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn each_credentials_source_signs_requests() {
    let server = TestServer::start().await;
    let vars = |home: &std::path::Path, extra: &[(&str, &str)]| {
        // No instance metadata service here: the chain's CVM role must not reach out for one.
        let mut vars = vec![
            ("HOME".to_owned(), home.display().to_string()),
            ("TENCENTCLOUD_METADATA_DISABLED".to_owned(), "true".to_owned()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        vars
    };
    let tccli = format!(r#"{{"secretId":"{SECRET_ID}","secretKey":"{SECRET_KEY}"}}"#);
    let sdk = format!("[default]\nsecret_id = {SECRET_ID}\nsecret_key = {SECRET_KEY}\n");

    // The environment.
    let empty = home_with(&[]);
    let env = vars(&empty, &[("TENCENTCLOUD_SECRET_ID", SECRET_ID), ("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)]);
    assert_eq!(secret_id_seen_with(&server, env).await.unwrap(), SECRET_ID);
    // A tccli profile, chosen by TCCLI_PROFILE.
    let home = home_with(&[(".tccli/ci.credential", &tccli)]);
    assert_eq!(secret_id_seen_with(&server, vars(&home, &[("TCCLI_PROFILE", "ci")])).await.unwrap(), SECRET_ID);
    // The SDK profile file.
    let home = home_with(&[(".tencentcloud/credentials", &sdk)]);
    assert_eq!(secret_id_seen_with(&server, vars(&home, &[])).await.unwrap(), SECRET_ID);
    // The environment wins over files.
    let home = home_with(&[(".tccli/default.credential", r#"{"secretId":"AKIDfromfile","secretKey":"x"}"#)]);
    let env = vars(&home, &[("TENCENTCLOUD_SECRET_ID", SECRET_ID), ("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)]);
    assert_eq!(secret_id_seen_with(&server, env).await.unwrap(), SECRET_ID);
    let requests_so_far = server.requests().len();

    // None: the error lists every source, and nothing was sent.
    let error = secret_id_seen_with(&server, vars(&empty, &[])).await.unwrap_err();
    assert!(error.starts_with("no credentials found; tried environment ("), "{error}");
    assert!(error.contains("tccli profile `default`") && error.contains("SDK profile"), "{error}");
    assert!(error.contains("CVM instance role (turned off by TENCENTCLOUD_METADATA_DISABLED)"), "{error}");
    assert!(error.contains("TKE OIDC web identity (TKE_REGION, TKE_PROVIDER_ID"), "{error}");
    assert_eq!(server.requests().len(), requests_so_far);
}

#[tokio::test]
async fn secrets_never_show_in_debug_output_or_errors() {
    let server = TestServer::start().await;
    let client =
        client(server.config().credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token("sts-secret-token")));
    let debug = format!("{client:?}");
    assert!(!debug.contains(SECRET_KEY) && !debug.contains("sts-secret-token"), "{debug}");
    assert!(debug.contains(SECRET_ID));
    server.reply(Reply::error("InternalError", "boom"));
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET_KEY) && !shown.contains("sts-secret-token"), "{shown}");
}

#[tokio::test]
async fn no_debug_output_shows_a_secret_from_the_environment() {
    const KEY: &str = "env-secret-key-0123456789";
    const TOKEN: &str = "env-session-token-0123456789";
    let server = TestServer::start().await;
    let home = home_with(&[]);
    let env = Environment::from_vars([
        ("HOME", home.display().to_string()),
        ("TENCENTCLOUD_SECRET_ID", SECRET_ID.to_owned()),
        ("TENCENTCLOUD_SECRET_KEY", KEY.to_owned()),
        ("TENCENTCLOUD_TOKEN", TOKEN.to_owned()),
        ("TENCENTCLOUD_REGION", "ap-guangzhou".to_owned()),
        ("TENCENTCLOUD_ENDPOINT_URL", server.url()),
    ]);
    let chain = DefaultCredentialsChain::new(env.clone());
    assert_eq!(chain.provide_credentials().await.unwrap().secret_key(), KEY, "the chain has them, cached");
    let config = ConfigBuilder::from_environment(env.clone()).http_method(HttpMethod::Get).build();
    let client = Client::new(config.clone()).unwrap();
    // The first attempt's request as sent, signed with the key and carrying the token, over GET.
    let request = client.invoke_function().function_name("hello").event(serde_json::json!({"password": "hunter2"}));
    let prepared = client.api().prepare(&request.clone().build().unwrap()).await.unwrap();
    assert_eq!(prepared.header("X-TC-Token"), Some(TOKEN));
    let signing =
        scf_sdk::runtime::sign::SigningParams { secret_id: SECRET_ID, secret_key: KEY, service: "scf", timestamp: 0 };
    let query = prepared.url.split_once('?').unwrap().1;
    let signable = scf_sdk::runtime::sign::SignableRequest {
        method: "GET",
        query,
        content_type: "application/x-www-form-urlencoded",
        host: "h",
        payload_hash: "x",
    };
    let shown = [
        ("Environment", format!("{env:?}"), format!("{env:#?}")),
        ("EnvironmentCredentials", format!("{:?}", EnvironmentCredentials::new(env.clone())), String::new()),
        ("TccliProfileCredentials", format!("{:?}", TccliProfileCredentials::new(env.clone())), String::new()),
        ("SdkProfileCredentials", format!("{:?}", SdkProfileCredentials::new(env.clone())), String::new()),
        ("DefaultCredentialsChain", format!("{chain:?}"), format!("{chain:#?}")),
        ("ConfigBuilder", format!("{:?}", ConfigBuilder::from_environment(env.clone())), String::new()),
        ("Config", format!("{config:?}"), format!("{config:#?}")),
        ("Client", format!("{client:?}"), format!("{client:#?}")),
        ("HttpRequest", format!("{prepared:?}"), format!("{prepared:#?}")),
        ("SigningParams", format!("{signing:?}"), format!("{signing:#?}")),
        ("SignableRequest", format!("{signable:?}"), format!("{signable:#?}")),
    ];
    for (what, debug, pretty) in &shown {
        for text in [debug, pretty] {
            for secret in [KEY, TOKEN, "hunter2"] {
                assert!(!text.contains(secret), "{what} shows `{secret}`: {text}");
            }
        }
    }
    // What is not secret stays visible where it helps.
    let has = |what: &str, part: &str| {
        let (_, debug, _) = shown.iter().find(|(w, ..)| *w == what).unwrap();
        assert!(debug.contains(part), "{what} should show `{part}`: {debug}");
    };
    has("Environment", "TENCENTCLOUD_SECRET_KEY");
    has("Environment", "TENCENTCLOUD_TOKEN");
    has("DefaultCredentialsChain", SECRET_ID);
    has("Config", &server.url());
    has("HttpRequest", &server.url());
    has("HttpRequest", "X-TC-Token");
    has("SigningParams", SECRET_ID);
    // The server knows another key for that SecretId: the error says so, and shows no secret either.
    let error = request.send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::AuthFailureSignatureFailure), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY) && !shown.contains(TOKEN) && !shown.contains("hunter2"), "{shown}");
}

#[tokio::test]
async fn service_errors_are_typed_and_readable() {
    let server = TestServer::start().await;
    let client = client(server.config());
    let error = client.invoke_function().function_name("missing-fn").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::ResourceNotFoundFunction));
    let service_error = error.as_service_error().unwrap();
    assert_eq!(service_error.message, "The function `missing-fn` does not exist.");
    assert_eq!(error.request_id(), Some(service_error.request_id.as_str()));
    assert_eq!(
        error.to_string(),
        format!(
            "ResourceNotFound.Function: The function `missing-fn` does not exist. (request id {})",
            service_error.request_id
        )
    );
    // Errors of different actions convert to the service-wide enum.
    let any: Error<ErrorCode> = error.map_code();
    assert_eq!(any.code(), Some(&ErrorCode::ResourceNotFoundFunction));

    // A code this SDK does not know is kept, not lost.
    server.reply(Reply::error("FailedOperation.Brand.New", "new"));
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(
        matches!(error.code(), Some(InvokeFunctionErrorCode::Unknown(code)) if code.as_str() == "FailedOperation.Brand.New")
    );
}

#[tokio::test]
async fn wrong_keys_and_expired_timestamps_are_rejected_by_the_server() {
    let server = TestServer::start().await;
    let wrong_key = client(server.config().credentials(Credentials::new(SECRET_ID, "not-the-key")));
    let error = wrong_key.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::AuthFailureSignatureFailure));

    let wrong_id = client(server.config().credentials(Credentials::new("AKIDunknown", SECRET_KEY)));
    let error = wrong_id.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::AuthFailureSecretIdNotFound));

    let ten_minutes_ago = ManualClock::new(SystemTime::now() - Duration::from_secs(600));
    let stale = client(server.config().clock(ten_minutes_ago));
    let error = stale.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::AuthFailureSignatureExpire));
}

#[tokio::test]
async fn wrong_region_and_missing_region() {
    let server = TestServer::start().await;
    let error = client(server.config().region("ap-atlantis"))
        .invoke_function()
        .function_name("hello")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::UnsupportedRegion));

    let no_region =
        Config::builder().endpoint_url(server.url()).credentials(Credentials::new(SECRET_ID, SECRET_KEY)).build();
    let error = Client::new(no_region).unwrap().invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(error.to_string().starts_with("configuration: no region"), "{error}");
    assert!(server.requests().len() == 1, "nothing is sent without a region");
}

fn response_reason<C: scf_sdk::runtime::ActionErrorCode>(error: &Error<C>) -> (u16, String, String) {
    match error {
        Error::Response(e) => (e.status, e.reason.clone(), error.to_string()),
        other => panic!("expected a response error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_responses_of_every_kind_are_reported_with_a_bounded_excerpt() {
    let server = TestServer::start().await;
    let client = client(server.config().retry_policy(RetryPolicy::disabled()));
    let call = || client.invoke_function().function_name("hello").send();

    server.reply(Reply::raw(500, "text/html", "<html><body>Internal Server Error</body></html>"));
    let (status, reason, shown) = response_reason(&call().await.unwrap_err());
    assert_eq!(
        (status, reason.as_str()),
        (500, "HTTP 500, and the body is not JSON (expected value at line 1 column 1)")
    );
    assert!(shown.contains("<html><body>Internal Server Error"), "{shown}");

    server.reply(Reply::raw(200, "text/html", "<html>maintenance</html>"));
    assert!(response_reason(&call().await.unwrap_err()).1.starts_with("not JSON"));

    server.reply(Reply::raw(200, "application/json", r#"{"Response":{"Result":{"MemUsage":3207168,"Log""#));
    assert_eq!(response_reason(&call().await.unwrap_err()).1, "cut short (incomplete JSON)");

    server.reply(Reply::envelope(json!({"Result": {"Log": ""}})));
    let (_, reason, _) = response_reason(&call().await.unwrap_err());
    assert!(reason.contains("missing field `RetMsg`"), "{reason}");

    server.reply(Reply::json(200, &json!({"Data": 1})));
    assert_eq!(response_reason(&call().await.unwrap_err()).1, "JSON without a `Response` object");

    // 20 MB of something that is not an answer: read within the limit, reported in a few hundred bytes.
    server.reply(Reply::raw(200, "application/json", vec![b'x'; 20 * 1024 * 1024]));
    let (_, _, shown) = response_reason(&call().await.unwrap_err());
    assert!(shown.len() < 600, "{} bytes of error", shown.len());
    assert!(shown.contains("20971520 bytes"), "{shown}");
}

#[tokio::test]
async fn oversized_cut_and_slow_responses_are_transport_errors() {
    let server = TestServer::start().await;
    let limited = client(server.config().max_response_bytes(1024 * 1024).retry_policy(RetryPolicy::disabled()));
    server.reply(Reply::raw(200, "application/json", vec![b' '; 2 * 1024 * 1024]));
    let error = limited.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.kind == TransportErrorKind::ResponseTooLarge), "{error:?}");

    server.reply(Reply::Truncated { declared: 1000, body: "{\"Response\":".into() });
    let error = limited.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.maybe_sent), "{error:?}");

    let impatient = client(server.config().timeout(Duration::from_millis(300)));
    server.reply(Reply::Delay(Duration::from_secs(3), Box::new(Reply::error("InternalError", "late"))));
    let before = server.requests().len();
    let error = impatient.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport(e) if e.kind == TransportErrorKind::Timeout && e.maybe_sent),
        "{error:?}"
    );
    // Counted, not timed: any re-send would have happened before the call returned.
    assert_eq!(requests_seen(&server, before + 1).await, before + 1, "a timed-out InvokeFunction is not re-sent");
}

#[tokio::test]
async fn throttling_is_retried_with_backoff() {
    let server = TestServer::start().await;
    let clock = ManualClock::new(SystemTime::now());
    let client = client(server.config().clock(clock.clone()).retry_policy(RetryPolicy::standard()));
    server.reply(Reply::error("RequestLimitExceeded", "slow down"));
    server.reply(Reply::error("RequestLimitExceeded.UinLimitExceeded", "slow down"));
    let response = client.invoke_function().function_name("hello").send().await.unwrap();
    assert_eq!(response.result.function_request_id, "6add56fa-58f1-11e8-89a9-5254005d5fdb");
    assert_eq!(server.requests().len(), 3);
    assert!(server.requests().iter().all(|r| r.verdict.is_ok()), "each attempt is signed afresh");
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= Duration::from_millis(500) && sleeps[0] <= Duration::from_secs(1), "{sleeps:?}");
    assert!(sleeps[1] >= Duration::from_secs(1) && sleeps[1] <= Duration::from_secs(2), "{sleeps:?}");

    // Throttled every time: three attempts, then the last error.
    for _ in 0..3 {
        server.reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::RequestLimitExceeded));
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn a_request_that_may_have_run_is_not_sent_again_unless_asked() {
    let server = TestServer::start().await;
    server.reply(Reply::Drop);
    let error = client(server.config()).invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.maybe_sent), "{error:?}");
    assert_eq!(server.requests().len(), 1, "InvokeFunction is not idempotent: one attempt");

    server.reply(Reply::error("InternalError", "oops"));
    let error = client(server.config()).invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::InternalError));
    assert_eq!(server.requests().len(), 2, "transient codes are not retried by default");

    // Opting in re-sends both.
    let eager = client(
        server.config().retry_policy(
            RetryPolicy::standard()
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2))
                .with_resend(Resend::Always)
                .with_retry_transient_codes(true),
        ),
    );
    server.reply(Reply::Drop);
    server.reply(Reply::error("InternalError", "oops"));
    eager.invoke_function().function_name("hello").send().await.unwrap();
    assert_eq!(server.requests().len(), 5);
}

/// A gateway's answer (not an API envelope) and a connection dropped after the request went out,
/// end to end: retried for an idempotent read; for `InvokeFunction`, only what proves the function
/// did not run (HTTP 429) is retried. Counted by the requests the server saw.
#[tokio::test]
async fn gateway_errors_and_dropped_connections_are_retried_only_where_safe() {
    let server = TestServer::start().await;
    let client = client(server.config());
    let listed = || Reply::envelope(json!({"Namespaces": [], "TotalCount": 0}));
    let gateway = |status| Reply::raw(status, "text/html", "<html><body>Bad Gateway</body></html>");
    for status in [502, 503, 504, 429] {
        let before = server.requests().len();
        server.reply(gateway(status));
        server.reply(listed());
        let namespaces = client.list_namespaces().send().await.unwrap_or_else(|e| panic!("HTTP {status}: {e}"));
        assert_eq!(namespaces.total_count, 0);
        assert_eq!(server.requests().len(), before + 2, "ListNamespaces after HTTP {status}: sent again");
    }
    let before = server.requests().len();
    server.reply(Reply::Drop);
    server.reply(listed());
    client.list_namespaces().send().await.unwrap();
    assert_eq!(server.requests().len(), before + 2, "ListNamespaces after a dropped connection: sent again");

    for status in [502, 503, 504] {
        let before = server.requests().len();
        server.reply(gateway(status));
        let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
        assert_eq!(response_reason(&error).0, status, "{error:?}");
        assert_eq!(server.requests().len(), before + 1, "InvokeFunction after HTTP {status}: not sent again");
    }
    let before = server.requests().len();
    server.reply(gateway(429));
    client.invoke_function().function_name("hello").send().await.unwrap();
    assert_eq!(server.requests().len(), before + 2, "InvokeFunction after HTTP 429 (turned away): sent again");
    let before = server.requests().len();
    server.reply(Reply::Drop);
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.maybe_sent), "{error:?}");
    assert_eq!(server.requests().len(), before + 1, "InvokeFunction after a dropped connection: not sent again");
}

/// Envelopes that are not what API 3.0 promises each give a typed error, never a panic or a
/// success: an `Error` without a `Code`, no `RequestId`, a `Response` that is not an object.
#[tokio::test]
async fn malformed_envelopes_are_typed_errors() {
    let server = TestServer::start().await;
    let client = client(server.config().retry_policy(RetryPolicy::disabled()));
    let cases = [
        json!({"Response": {"Error": {"Message": "no code"}, "RequestId": "r-1"}}),
        json!({"Response": {"Error": {"Code": 7, "Message": "a number"}, "RequestId": "r-2"}}),
        json!({"Response": {"Namespaces": [], "TotalCount": 0}}),
        json!({"Response": "not an object"}),
        json!({"Response": null}),
        json!({"Response": []}),
    ];
    for case in cases {
        server.reply(Reply::json(200, &case));
        let error = client.list_namespaces().send().await.expect_err(&case.to_string());
        match &error {
            Error::Response(response) => {
                assert_eq!(response.status, 200, "{case}");
                assert!(!response.reason.is_empty(), "{case}");
            }
            other => panic!("{case}: expected a response error, got {other:?}"),
        }
    }
    // An error whose code is readable stays the service's error, even without a `RequestId`: the
    // code is what the caller acts on. The missing id shows as empty, not invented.
    server.reply(Reply::json(200, &json!({"Response": {"Error": {"Code": "InternalError", "Message": "no id"}}})));
    match client.list_namespaces().send().await.unwrap_err() {
        Error::Service(error) => assert_eq!((error.code.as_str(), error.request_id.as_str()), ("InternalError", "")),
        other => panic!("expected the service's error, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_failures_before_sending_are_retried() {
    // A port with nothing listening: the request is never sent, so retrying is safe.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let clock = ManualClock::new(SystemTime::now());
    let config = Config::builder()
        .endpoint_url(url)
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .clock(clock.clone())
        .build();
    let error = Client::new(config).unwrap().invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport(e) if e.kind == TransportErrorKind::Connect && !e.maybe_sent),
        "{error:?}"
    );
    assert_eq!(clock.sleeps().len(), 2, "three attempts in all");
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_unless_allowed() {
    let server = TestServer::start().await;
    // 0.0.0.0 is not a loopback address, though connecting to it reaches this machine on Linux.
    let elsewhere = server.url().replace("127.0.0.1", "0.0.0.0");
    let error = Client::new(server.config().endpoint_url(&elsewhere).build()).unwrap_err();
    assert!(error.message.starts_with(&format!("the endpoint URL `{elsewhere}` uses plain http://")), "{error}");
    let env = Environment::from_vars([("TENCENTCLOUD_ENDPOINT_URL", elsewhere.as_str())]);
    let error = Client::new(ConfigBuilder::from_environment(env.clone()).build()).unwrap_err();
    assert!(error.message.contains("would travel in clear"), "{error}");
    assert!(server.requests().is_empty());
    let allowed = ConfigBuilder::from_environment(env)
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .allow_insecure_http(true);
    client(allowed).invoke_function().function_name("hello").send().await.unwrap();
    assert_eq!(server.requests()[0].header("host"), Some(elsewhere.trim_start_matches("http://")));
}

#[tokio::test]
async fn transport_errors_name_the_endpoint_but_not_the_query() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = Config::builder()
        .endpoint_url(&url)
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .http_method(HttpMethod::Get)
        .retry_policy(RetryPolicy::disabled())
        .build();
    let error = Client::new(config)
        .unwrap()
        .invoke_function()
        .function_name("hello")
        .event(json!({"password": "hunter2"}))
        .send()
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(matches!(&error, Error::Transport(e) if e.kind == TransportErrorKind::Connect), "{shown}");
    assert!(shown.contains(&url) && !shown.contains("hunter2") && !shown.contains("FunctionName"), "{shown}");
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending_with_the_field_and_limit() {
    let server = TestServer::start().await;
    let client = client(server.config());
    let cases = [
        (client.invoke_function().qualifier("1"), "`FunctionName` is required but not set"),
        (
            client.invoke_function().function_name("1-starts-with-a-digit"),
            "`FunctionName` must start with a letter, contain only letters, digits, `-` and `_`, and not end with `-` or `_`; got `1-starts-with-a-digit`",
        ),
        (client.invoke_function().function_name("x"), "`FunctionName` is 1 bytes long; at least 2 bytes are required"),
        (
            client.invoke_function().function_name("a".repeat(61)),
            "`FunctionName` is 61 bytes long; at most 60 bytes are allowed",
        ),
        (
            client.invoke_function().function_name("hello").event("x".repeat(6 * 1024 * 1024)),
            "`Event` is 6291458 bytes long; at most 6291456 bytes (6 MB) are allowed",
        ),
        (
            client.invoke_function().function_name("hello").routing_key([("k", "v".repeat(1020))]),
            "`RoutingKey` is 1028 bytes long; at most 1024 bytes are allowed",
        ),
        (
            client.invoke_function().function_name("hello").log_type("Head"),
            "`LogType` is `Head`; the allowed values are `None`, `Tail`",
        ),
    ];
    for (builder, message) in cases {
        let error = builder.send().await.unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
        assert_eq!(error.to_string(), format!("invalid request: {message}"));
    }
    let error = scf_tests_get_client(&server)
        .invoke_function()
        .function_name("hello")
        .event("y".repeat(40_000))
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("GET allows at most 32768 bytes (32 KB): use POST"), "{error}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

fn scf_tests_get_client(server: &TestServer) -> Client {
    client(server.config().http_method(HttpMethod::Get))
}

#[tokio::test]
async fn a_tampered_request_fails_the_servers_check() {
    // The server's verifier is independent of the signer: a body changed after signing is caught.
    #[derive(Debug)]
    struct Tamper(scf_sdk::runtime::ReqwestTransport);
    impl scf_sdk::runtime::Transport for Tamper {
        fn send(&self, mut request: scf_sdk::runtime::HttpRequest) -> scf_sdk::runtime::TransportFuture<'_> {
            request.body = String::from_utf8(request.body.to_vec()).unwrap().replace("hello", "hellp").into();
            self.0.send(request)
        }
    }
    let server = TestServer::start().await;
    let inner = scf_sdk::runtime::ReqwestTransport::new(scf_sdk::runtime::TransportSettings {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
        max_response_bytes: 1 << 20,
    })
    .unwrap();
    let error = client(server.config().transport(Tamper(inner)))
        .invoke_function()
        .function_name("hello")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::AuthFailureSignatureFailure));
}

#[tokio::test]
async fn caller_types_in_and_out() {
    #[derive(serde::Serialize)]
    struct Order {
        id: u64,
        items: Vec<&'static str>,
    }
    #[derive(serde::Deserialize, PartialEq, Debug)]
    struct Echo {
        id: u64,
        items: Vec<String>,
    }
    let server = TestServer::start().await;
    let response = client(server.config())
        .invoke_function()
        .function_name("hello")
        .event_from(&Order { id: 7, items: vec!["tea"] })
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(response.result.ret_msg_as::<Echo>().unwrap(), Echo { id: 7, items: vec!["tea".into()] });
}

/// A transport that never answers, counting what it was sent.
#[derive(Debug, Default, Clone)]
struct Stalls(Arc<AtomicU32>);

impl Transport for Stalls {
    fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

fn manual_config(transport: impl Transport + 'static, clock: &ManualClock) -> ConfigBuilder {
    Config::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .transport(transport)
        .clock(clock.clone())
}

#[tokio::test]
async fn the_operation_timeout_cuts_an_attempt_short() {
    let clock = ManualClock::new(SystemTime::now());
    let transport = Stalls::default();
    let config = manual_config(transport.clone(), &clock).operation_timeout(Duration::from_millis(300)).build();
    assert_eq!(config.operation_timeout(), Some(Duration::from_millis(300)));
    let call = Client::new(config).unwrap().invoke_function().function_name("hello").send();
    let error = tokio::time::timeout(Duration::from_secs(10), call).await.expect("the call ends").unwrap_err();
    let Error::OperationTimeout(timeout) = &error else { panic!("{error:?}") };
    assert_eq!(timeout.operation_timeout, Duration::from_millis(300));
    assert_eq!((timeout.attempts, timeout.maybe_sent, timeout.last_failure.as_deref()), (1, true, None));
    assert_eq!(transport.0.load(Ordering::SeqCst), 1);
    assert_eq!(clock.sleeps(), [Duration::from_millis(300)], "the wait for the deadline, on the client's clock");
    assert_eq!(
        error.to_string(),
        "no outcome within the operation timeout of 300 ms (1 attempt; the request may have reached the service)"
    );
}

#[tokio::test]
async fn a_retry_whose_wait_would_outlast_the_operation_timeout_is_not_started() {
    let clock = ManualClock::new(SystemTime::now());
    let throttled = br#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}"#;
    let transport =
        ReplayTransport::new().answer(200, &throttled[..]).answer(200, &throttled[..]).answer(200, &throttled[..]);
    // Waits of 0.5–1 s, then 1–2 s: the first ends before the deadline, the second cannot.
    let config = manual_config(transport.clone(), &clock)
        .retry_policy(RetryPolicy::standard().with_backoff(Duration::from_secs(1), Duration::from_secs(20)))
        .operation_timeout(Duration::from_millis(1500));
    let error = client(config).invoke_function().function_name("hello").send().await.unwrap_err();
    let Error::OperationTimeout(timeout) = &error else { panic!("{error:?}") };
    assert_eq!((timeout.attempts, timeout.maybe_sent), (2, false), "throttled requests did not run");
    assert!(
        timeout.last_failure.as_deref().is_some_and(|f| f.starts_with("RequestLimitExceeded: slow down")),
        "{error}"
    );
    assert_eq!(transport.requests().len(), 2);
    assert_eq!(clock.sleeps().len(), 1, "no wait that ends past the deadline: {:?}", clock.sleeps());
    // Without an operation timeout, the same answers are retried to the policy's end.
    let transport =
        ReplayTransport::new().answer(200, &throttled[..]).answer(200, &throttled[..]).answer(200, &throttled[..]);
    let error = client(manual_config(transport.clone(), &clock))
        .invoke_function()
        .function_name("hello")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&InvokeFunctionErrorCode::RequestLimitExceeded));
    assert_eq!(transport.requests().len(), 3);
}

/// Waits (up to 5 s) until the server has recorded `count` requests, and returns how many it has.
async fn requests_seen(server: &TestServer, count: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.requests().len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.requests().len()
}

#[tokio::test]
async fn the_operation_timeout_holds_against_a_server_that_stalls() {
    let server = TestServer::start().await;
    // Each answer would take 30 s; the per-attempt limit (60 s by default) never comes into play.
    server.reply(Reply::Delay(Duration::from_secs(30), Box::new(Reply::error("InternalError", "late"))));
    let started = Instant::now();
    let error = client(server.config().operation_timeout(Duration::from_millis(300)))
        .invoke_function()
        .function_name("hello")
        .send()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("the call returned {elapsed:?} after it started, with an operation timeout of 300 ms");
    assert!(elapsed < Duration::from_secs(10), "returned after {elapsed:?}");
    let Error::OperationTimeout(timeout) = &error else { panic!("{error:?}") };
    assert_eq!((timeout.attempts, timeout.maybe_sent), (1, true));
    assert_eq!(requests_seen(&server, 1).await, 1);

    // Throttled at once, with real waits of 100–200 ms, then 200–400 ms: the second wait cannot end
    // within 300 ms of the start, so the call ends without it.
    let seen_before = server.requests().len();
    for _ in 0..3 {
        server.reply(Reply::error("RequestLimitExceeded", "slow down"));
    }
    let policy = RetryPolicy::standard().with_backoff(Duration::from_millis(200), Duration::from_secs(1));
    let error = client(server.config().retry_policy(policy).operation_timeout(Duration::from_millis(300)))
        .invoke_function()
        .function_name("hello")
        .send()
        .await
        .unwrap_err();
    let Error::OperationTimeout(timeout) = &error else { panic!("{error:?}") };
    assert!((1..=2).contains(&timeout.attempts), "{error}");
    let attempts = timeout.attempts as usize;
    assert_eq!(requests_seen(&server, seen_before + attempts).await - seen_before, attempts, "one request per attempt");
}
