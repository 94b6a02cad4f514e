//! The runtime end to end over real HTTP on 127.0.0.1, against a server that verifies every TC3
//! signature on its own: the wire format of every seed parameter, credentials sources, errors of
//! every class, retries and validation.
#![allow(clippy::unwrap_used)] // Tests fail by panicking; helpers outside #[test] fns unwrap too.

use std::time::{Duration, SystemTime};

use scf_sdk::actions::InvokeFunctionErrorCode;
use scf_sdk::runtime::test_util::ManualClock;
use scf_sdk::runtime::{
    Config, ConfigBuilder, Credentials, Environment, Error, HttpMethod, Language, Resend, RetryPolicy,
    TransportErrorKind,
};
use scf_sdk::types::LogType;
use scf_sdk::{Client, ErrorCode};
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

/// A temporary home directory with the given files.
fn home_with(files: &[(&str, &str)]) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!(
        "scf-tests-home-{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos()
    ));
    for (path, content) in files {
        let path = home.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::create_dir_all(&home).unwrap();
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
        let mut vars = vec![("HOME".to_owned(), home.display().to_string())];
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
    let started = std::time::Instant::now();
    let error = impatient.invoke_function().function_name("hello").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport(e) if e.kind == TransportErrorKind::Timeout && e.maybe_sent),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "a timed-out InvokeFunction is not re-sent");
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
