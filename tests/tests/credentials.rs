//! Credentials that expire and refresh: the CVM instance role against a fake metadata service,
//! TKE's OIDC web identity against a fake STS, the default chain's order and expiry, and the
//! client looking credentials up again — once per call — when the service refuses them.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scf_sdk::Client;
use scf_sdk::runtime::credentials::{
    CredentialsFuture, CvmRoleCredentials, DefaultCredentialsChain, ProvideCredentials, TkeOidcCredentials,
};
use scf_sdk::runtime::test_util::ManualClock;
use scf_sdk::runtime::{Credentials, Environment};
use scf_tests::fake_http::FakeHttp;
use scf_tests::server::{Reply, SECRET_ID, SECRET_KEY, TestServer};
use serde_json::{Value, json};

const ROLES: &str = "/latest/meta-data/cam/security-credentials/";

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn role_keys(id: &str, expires: SystemTime) -> String {
    json!({
        "TmpSecretId": id,
        "TmpSecretKey": "cvm-secret-key",
        "Token": "cvm-token",
        "ExpiredTime": unix(expires),
        "Expiration": "2030-01-01T00:00:00Z",
        "Code": "Success"
    })
    .to_string()
}

async fn metadata_with_role(id: &str, expires: SystemTime) -> FakeHttp {
    let metadata = FakeHttp::start().await;
    metadata.route("GET", ROLES, 200, "scf-role");
    metadata.route("GET", &format!("{ROLES}scf-role"), 200, role_keys(id, expires));
    metadata
}

fn cvm(metadata: &FakeHttp) -> CvmRoleCredentials {
    CvmRoleCredentials::new().endpoint(format!("{}/latest/meta-data/", metadata.url()))
}

#[tokio::test]
async fn the_cvm_role_gives_its_keys_and_they_are_kept_until_shortly_before_they_expire() {
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = ManualClock::new(start);
    let metadata = metadata_with_role("AKIDcvm1", start + Duration::from_secs(3600)).await;
    let provider = cvm(&metadata).with_clock(Arc::new(clock.clone()));
    let credentials = provider.provide_credentials().await.unwrap();
    assert_eq!((credentials.secret_id(), credentials.token()), ("AKIDcvm1", Some("cvm-token")));
    assert_eq!(credentials.expiry(), Some(start + Duration::from_secs(3600)));
    let paths: Vec<String> = metadata.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [ROLES.to_owned(), format!("{ROLES}scf-role")], "the role, then its keys");

    // Rotated keys are not fetched while the ones held are good for more than five minutes…
    metadata.route("GET", &format!("{ROLES}scf-role"), 200, role_keys("AKIDcvm2", start + Duration::from_secs(7200)));
    clock.set(start + Duration::from_secs(3600 - 301));
    assert_eq!(provider.provide_credentials().await.unwrap().secret_id(), "AKIDcvm1");
    assert_eq!(metadata.received().len(), 2);
    // …and are once they are not.
    clock.set(start + Duration::from_secs(3600 - 299));
    assert_eq!(provider.provide_credentials().await.unwrap().secret_id(), "AKIDcvm2");
    // A refresh always asks.
    assert_eq!(provider.refresh_credentials().await.unwrap().secret_id(), "AKIDcvm2");
    assert_eq!(metadata.received().len(), 6);
}

#[tokio::test]
async fn cvm_role_failures_name_the_provider_and_never_a_secret() {
    let metadata = FakeHttp::start().await;
    let error =
        |provider: CvmRoleCredentials| async move { provider.provide_credentials().await.unwrap_err().to_string() };

    let message = error(cvm(&metadata)).await;
    assert!(message.starts_with("no credentials found; tried CVM instance role (no role: HTTP 404 from "), "{message}");

    metadata.route("GET", ROLES, 200, "scf-role");
    metadata.route("GET", &format!("{ROLES}scf-role"), 200, r#"{"TmpSecretId": "AKID", "TmpSecretKey": "s3cr3t""#);
    let message = error(cvm(&metadata)).await;
    assert!(message.contains("role `scf-role`: the answer is not the expected JSON"), "{message}");
    assert!(!message.contains("s3cr3t"), "{message}");

    metadata.route(
        "GET",
        &format!("{ROLES}scf-role"),
        200,
        role_keys("AKIDold", UNIX_EPOCH + Duration::from_secs(1_000)),
    );
    let message = error(cvm(&metadata)).await;
    assert!(
        message.starts_with("no credentials found; tried CVM instance role (the credentials it gave expired "),
        "{message}"
    );

    metadata.route(
        "GET",
        &format!("{ROLES}scf-role"),
        200,
        r#"{"Code": "Failure", "TmpSecretId": "", "TmpSecretKey": "", "Token": "", "ExpiredTime": 0}"#,
    );
    assert!(error(cvm(&metadata)).await.contains("the metadata service says `Failure`"));

    // Nothing listening: a clear error at once, naming where it looked.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let message = error(CvmRoleCredentials::new().endpoint(format!("http://{closed}/latest/meta-data/"))).await;
    assert!(
        message.contains(&format!("the metadata service at http://{closed}/latest/meta-data/ does not answer")),
        "{message}"
    );
    assert!(message.ends_with("is this a CVM instance?)"), "{message}");

    // Turned off: not even a request.
    let before = metadata.received().len();
    let env = Environment::from_vars([
        ("TENCENTCLOUD_METADATA_ENDPOINT", format!("{}/latest/meta-data/", metadata.url())),
        ("TENCENTCLOUD_METADATA_DISABLED", "true".to_owned()),
    ]);
    let message = error(CvmRoleCredentials::from_env(&env)).await;
    assert_eq!(message, "no credentials found; tried CVM instance role (turned off by TENCENTCLOUD_METADATA_DISABLED)");
    assert_eq!(metadata.received().len(), before);
}

fn sts_answer(id: &str, expires: SystemTime) -> String {
    json!({
        "Response": {
            "Credentials": { "Token": "sts-token", "TmpSecretId": id, "TmpSecretKey": "sts-secret-key" },
            "ExpiredTime": unix(expires),
            "Expiration": "2030-01-01T00:00:00Z",
            "RequestId": "sts-request-1"
        }
    })
    .to_string()
}

fn tke_env(token_file: &std::path::Path, sts: &FakeHttp) -> Vec<(String, String)> {
    [
        ("TKE_REGION", "ap-guangzhou".to_owned()),
        ("TKE_PROVIDER_ID", "tke-oidc".to_owned()),
        ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.display().to_string()),
        ("TKE_ROLE_ARN", "qcs::cam::uin/100000000001:roleName/scf-deployer".to_owned()),
        ("TENCENTCLOUD_ENDPOINT_URL_STS", sts.url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test]
async fn the_tke_web_identity_is_exchanged_with_sts_unsigned_and_the_token_file_is_read_again() {
    let dir = scf_tests::TempDir::new("oidc");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "eyJ-first-token\n").unwrap();
    let sts = FakeHttp::start().await;
    let expires = SystemTime::now() + Duration::from_secs(7200);
    sts.route("POST", "/", 200, sts_answer("AKIDsts1", expires));
    let provider = TkeOidcCredentials::from_env(Environment::from_vars(tke_env(&token_file, &sts)));
    let credentials = provider.provide_credentials().await.unwrap();
    assert_eq!((credentials.secret_id(), credentials.secret_key()), ("AKIDsts1", "sts-secret-key"));
    assert_eq!(credentials.token(), Some("sts-token"));
    assert_eq!(credentials.expiry().map(unix), Some(unix(expires)));

    let request = &sts.received()[0];
    assert_eq!(request.header("authorization"), Some("SKIP"), "the token is the proof: no signature");
    assert_eq!(request.header("x-tc-action"), Some("AssumeRoleWithWebIdentity"));
    assert_eq!(request.header("x-tc-version"), Some("2018-08-13"));
    assert_eq!(request.header("x-tc-region"), Some("ap-guangzhou"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["ProviderId"], "tke-oidc");
    assert_eq!(body["WebIdentityToken"], "eyJ-first-token");
    assert_eq!(body["RoleArn"], "qcs::cam::uin/100000000001:roleName/scf-deployer");
    assert_eq!(body["DurationSeconds"], 7200);
    assert!(body["RoleSessionName"].as_str().unwrap().starts_with("scf-rs-"), "{body}");

    // Kept while fresh; after a refresh, the (renewed) token file is read again.
    provider.provide_credentials().await.unwrap();
    assert_eq!(sts.received().len(), 1);
    std::fs::write(&token_file, "eyJ-second-token").unwrap();
    provider.refresh_credentials().await.unwrap();
    let body: Value = serde_json::from_slice(&sts.received()[1].body).unwrap();
    assert_eq!(body["WebIdentityToken"], "eyJ-second-token");
}

#[tokio::test]
async fn tke_web_identity_failures_name_the_provider() {
    let dir = scf_tests::TempDir::new("oidc-errors");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "eyJ-token").unwrap();
    let sts = FakeHttp::start().await;
    sts.route(
        "POST",
        "/",
        200,
        json!({"Response": {"Error": {"Code": "InvalidParameter.WebIdentityTokenError", "Message": "bad token"}, "RequestId": "r-9"}})
            .to_string(),
    );
    let env = tke_env(&token_file, &sts);
    let message = TkeOidcCredentials::from_env(Environment::from_vars(env.clone()))
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        format!(
            "no credentials found; tried TKE OIDC web identity (STS AssumeRoleWithWebIdentity at {}/: \
             InvalidParameter.WebIdentityTokenError: bad token (request id r-9))",
            sts.url()
        )
    );
    // The STS endpoint follows the client's rule for plain http.
    let mut elsewhere = env.clone();
    elsewhere.retain(|(k, _)| k != "TENCENTCLOUD_ENDPOINT_URL_STS");
    elsewhere.push(("TENCENTCLOUD_ENDPOINT_URL_STS".into(), "http://sts.example.com".into()));
    let message = TkeOidcCredentials::from_env(Environment::from_vars(elsewhere))
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("TENCENTCLOUD_ENDPOINT_URL_STS: the endpoint URL `http://sts.example.com` uses plain http://"),
        "{message}"
    );
    // A token file that is not there.
    let mut missing = env;
    missing.retain(|(k, _)| k != "TKE_WEB_IDENTITY_TOKEN_FILE");
    missing.push(("TKE_WEB_IDENTITY_TOKEN_FILE".into(), dir.join("nope").display().to_string()));
    let message = TkeOidcCredentials::from_env(Environment::from_vars(missing))
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("cannot read the token file"), "{message}");
}

#[tokio::test]
async fn the_default_chain_tries_the_cvm_role_then_the_tke_web_identity_last() {
    let home = scf_tests::TempDir::new("chain-home");
    let dir = scf_tests::TempDir::new("chain");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "eyJ-token").unwrap();
    let metadata = metadata_with_role("AKIDcvm", SystemTime::now() + Duration::from_secs(3600)).await;
    let sts = FakeHttp::start().await;
    sts.route("POST", "/", 200, sts_answer("AKIDsts", SystemTime::now() + Duration::from_secs(7200)));
    let mut vars = tke_env(&token_file, &sts);
    vars.push(("HOME".into(), home.display().to_string()));
    vars.push(("TENCENTCLOUD_METADATA_ENDPOINT".into(), format!("{}/latest/meta-data/", metadata.url())));
    let chain = |vars: &[(String, String)]| DefaultCredentialsChain::new(Environment::from_vars(vars.to_vec()));

    // The environment comes first: neither service is asked.
    let mut with_keys = vars.clone();
    with_keys
        .extend([("TENCENTCLOUD_SECRET_ID".into(), "AKIDenv".into()), ("TENCENTCLOUD_SECRET_KEY".into(), "k".into())]);
    assert_eq!(chain(&with_keys).provide_credentials().await.unwrap().secret_id(), "AKIDenv");
    assert!(metadata.received().is_empty() && sts.received().is_empty());

    // Then the files, then the CVM role…
    assert_eq!(chain(&vars).provide_credentials().await.unwrap().secret_id(), "AKIDcvm");
    assert!(sts.received().is_empty());
    // …then the TKE web identity.
    metadata.route("GET", ROLES, 404, "no role");
    assert_eq!(chain(&vars).provide_credentials().await.unwrap().secret_id(), "AKIDsts");
    // None: every source, in order.
    sts.route("POST", "/", 500, "down");
    let message = chain(&vars).provide_credentials().await.unwrap_err().to_string();
    let order = [
        "environment (",
        "tccli profile `default` (",
        "SDK profile (",
        "CVM instance role (",
        "TKE OIDC web identity (",
    ];
    let positions: Vec<usize> =
        order.iter().map(|s| message.find(s).unwrap_or_else(|| panic!("{s}: {message}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{message}");
}

/// Hands out the accepted keys with a new token each time it is asked, and counts.
#[derive(Debug, Clone, Default)]
struct Rotating {
    asked: Arc<AtomicUsize>,
    expiry: Option<SystemTime>,
    /// Always the same token.
    fixed: bool,
}

impl ProvideCredentials for Rotating {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let token = if self.fixed { "token".to_owned() } else { format!("token-{n}") };
        let credentials = Credentials::new(SECRET_ID, SECRET_KEY).with_token(token);
        let credentials = match self.expiry {
            Some(expiry) => credentials.with_expiry(expiry),
            None => credentials,
        };
        Box::pin(std::future::ready(Ok(credentials)))
    }
}

#[tokio::test]
async fn the_chain_looks_again_shortly_before_expiry() {
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = ManualClock::new(start);
    let provider = Rotating { expiry: Some(start + Duration::from_secs(600)), ..Rotating::default() };
    let chain =
        DefaultCredentialsChain::from_providers(vec![Box::new(provider.clone())]).with_clock(Arc::new(clock.clone()));
    assert_eq!(chain.provide_credentials().await.unwrap().token(), Some("token-1"));
    clock.set(start + Duration::from_secs(200));
    assert_eq!(chain.provide_credentials().await.unwrap().token(), Some("token-1"), "400 s left: kept");
    clock.set(start + Duration::from_secs(400));
    assert_eq!(chain.provide_credentials().await.unwrap().token(), Some("token-2"), "200 s left: looked up again");
    assert_eq!(provider.asked.load(Ordering::SeqCst), 2);
    // Credentials that come already expired are the provider's failure, and say so.
    clock.set(start + Duration::from_secs(10_000));
    let error = chain.provide_credentials().await.unwrap_err().to_string();
    assert!(
        error.starts_with("no credentials found; tried credentials provider (the credentials it gave expired "),
        "{error}"
    );
}

fn token_failure() -> Reply {
    Reply::error("AuthFailure.TokenFailure", "The token has expired.")
}

#[tokio::test]
async fn a_refused_token_is_looked_up_again_and_the_request_sent_once_more() {
    let server = TestServer::start().await;
    let provider = Rotating::default();
    let chain = DefaultCredentialsChain::from_providers(vec![Box::new(provider.clone())]);
    let client = Client::new(server.config().credentials(chain).build()).unwrap();
    server.reply(token_failure());
    // Even for InvokeFunction, which is not safe to repeat: the service refused the request.
    client.invoke_function().function_name("hello").send().await.unwrap();
    let tokens: Vec<String> =
        server.requests().iter().map(|r| r.header("x-tc-token").unwrap_or_default().to_owned()).collect();
    assert_eq!(tokens, ["token-1", "token-2"]);
    // The fresh credentials are kept for the next call.
    client.invoke_function().function_name("hello").send().await.unwrap();
    assert_eq!(server.requests()[2].header("x-tc-token"), Some("token-2"));
    assert_eq!(provider.asked.load(Ordering::SeqCst), 2);

    // At most once per call: a second refusal is the call's error.
    server.reply(token_failure());
    server.reply(token_failure());
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("AuthFailure.TokenFailure"));
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn a_refusal_is_final_when_looking_again_finds_the_same_credentials() {
    let server = TestServer::start().await;
    let provider = Rotating { fixed: true, ..Rotating::default() };
    let client = Client::new(server.config().credentials(provider.clone()).build()).unwrap();
    server.reply(Reply::error("AuthFailure.SecretIdNotFound", "The SecretId does not exist."));
    let error = client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("AuthFailure.SecretIdNotFound"));
    assert_eq!(server.requests().len(), 1, "the same keys are not sent again");
    assert_eq!(provider.asked.load(Ordering::SeqCst), 2, "asked, then asked again");
    // Other refusals (a bad signature) are not a reason to look again.
    server.reply(Reply::error("AuthFailure.SignatureFailure", "The signature does not match."));
    client.invoke_function().function_name("hello").send().await.unwrap_err();
    assert_eq!(provider.asked.load(Ordering::SeqCst), 3);
}
