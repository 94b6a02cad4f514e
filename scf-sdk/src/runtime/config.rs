//! Client configuration: region, credentials, endpoint, language, timeouts, retries, method.
//!
//! [`Config::builder`] starts empty; [`ConfigBuilder::from_env`] starts from the environment the way
//! Tencent Cloud's tools do:
//! - region: `TENCENTCLOUD_REGION`, else the tccli profile's region;
//! - endpoint: `TENCENTCLOUD_ENDPOINT_URL_<SERVICE>` (e.g. `TENCENTCLOUD_ENDPOINT_URL_SCF`), else
//!   `TENCENTCLOUD_ENDPOINT_URL` — for emulators, proxies and tests;
//! - credentials: the default chain (see [`credentials`](super::credentials)).
//!
//! Anything set on the builder afterwards wins.
//!
//! One rule holds for every endpoint URL, from the builder or from the environment: `https://`, or
//! `http://` to this machine only (`localhost`, `127.0.0.0/8`, `[::1]`). Over plain HTTP the
//! SecretId, the session token and each request's signature travel in clear, so anyone on the path
//! could read them and replay the request; to reach an emulator on another host anyway, say so with
//! [`ConfigBuilder::allow_insecure_http`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::catalog::ServiceInfo;
use super::credentials::{DefaultCredentialsChain, ProvideCredentials};
use super::env::Environment;
use super::error::ConfigError;
use super::profile;
use super::retry::{Clock, RetryPolicy, SystemClock};
use super::transport::{HttpMethod, Transport};

const ENDPOINT_URL_VAR: &str = "TENCENTCLOUD_ENDPOINT_URL";

/// The language of the service's error messages (`X-TC-Language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Language {
    /// Simplified Chinese (`zh-CN`), the service's default.
    ZhCn,
    /// English (`en-US`).
    EnUs,
}

impl Language {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::EnUs => "en-US",
        }
    }
}

/// How a client reaches and talks to the API. Build one with [`Config::builder`] or
/// [`ConfigBuilder::from_env`].
#[derive(Clone)]
pub struct Config {
    pub(crate) region: Option<String>,
    pub(crate) credentials: Arc<dyn ProvideCredentials>,
    pub(crate) endpoint_url: Option<String>,
    /// From the environment: service name (lower case) → URL; `""` for the URL of every service.
    pub(crate) env_endpoint_urls: BTreeMap<String, String>,
    pub(crate) regional_endpoint: bool,
    pub(crate) language: Option<Language>,
    pub(crate) allow_insecure_http: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) method: HttpMethod,
    pub(crate) max_response_bytes: usize,
    pub(crate) unsigned_payload: bool,
    pub(crate) transport: Option<Arc<dyn Transport>>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credential providers redact secrets in their own Debug.
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("endpoint_url", &self.endpoint_url.as_deref().map(redact_userinfo))
            .field(
                "env_endpoint_urls",
                &self.env_endpoint_urls.iter().map(|(k, v)| (k, redact_userinfo(v))).collect::<BTreeMap<_, _>>(),
            )
            .field("regional_endpoint", &self.regional_endpoint)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("language", &self.language)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("retry", &self.retry)
            .field("method", &self.method)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("unsigned_payload", &self.unsigned_payload)
            .field("transport", &self.transport)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Config {
    /// An empty builder: no region, the default credentials chain, the public endpoint.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Everything from the process environment ([`ConfigBuilder::from_env`]).
    pub fn from_env() -> Config {
        ConfigBuilder::from_env().build()
    }

    /// The region requests are sent to.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The language of error messages, if one was chosen.
    pub fn language(&self) -> Option<Language> {
        self.language
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The limit on each attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The limit on a whole call, every attempt and wait between them included, if one was set.
    pub fn operation_timeout(&self) -> Option<Duration> {
        self.operation_timeout
    }

    /// Whether `http://` endpoints on other hosts than this machine are allowed.
    pub fn allow_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// The HTTP method.
    pub fn http_method(&self) -> HttpMethod {
        self.method
    }

    /// The endpoint URL set explicitly or through the environment for `service`, if any.
    pub fn endpoint_url_for(&self, service: &str) -> Option<&str> {
        self.endpoint_url
            .as_deref()
            .or_else(|| self.env_endpoint_urls.get(&service.to_ascii_lowercase()).map(String::as_str))
            .or_else(|| self.env_endpoint_urls.get("").map(String::as_str))
    }

    /// Where requests for `service` in `region` go.
    pub(crate) fn endpoint(&self, service: &ServiceInfo, region: &str) -> Result<Endpoint, ConfigError> {
        match self.endpoint_url_for(service.name) {
            Some(url) => Endpoint::parse(url, self.allow_insecure_http),
            None => {
                let host =
                    if self.regional_endpoint { service.regional_host(region) } else { service.endpoint.to_owned() };
                Ok(Endpoint { base_url: format!("https://{host}/"), host })
            }
        }
    }

    /// Checks every endpoint URL this configuration could use.
    pub(crate) fn check_endpoint_urls(&self) -> Result<(), ConfigError> {
        self.endpoint_url
            .iter()
            .chain(self.env_endpoint_urls.values())
            .try_for_each(|url| Endpoint::parse(url, self.allow_insecure_http).map(drop))
    }
}

/// A resolved endpoint: the URL to send to and the `Host` value signed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `scheme://authority/`.
    pub base_url: String,
    /// `host` or `host:port`.
    pub host: String,
}

impl Endpoint {
    /// Checks `url` and resolves it; `http://` to another host than this machine only if
    /// `allow_insecure_http`.
    pub(crate) fn parse(url: &str, allow_insecure_http: bool) -> Result<Endpoint, ConfigError> {
        let fail = |why: &str| ConfigError::new(format!("the endpoint URL `{}` {why}", redact_userinfo(url)));
        let parsed = reqwest::Url::parse(url).map_err(|e| fail(&format!("is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(fail("must start with http:// or https://"));
        }
        let Some(host) = parsed.host_str() else {
            return Err(fail("has no host"));
        };
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(fail("must not have a path, query or fragment: the API is served at `/`"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(fail("must not carry credentials"));
        }
        if parsed.scheme() == "http" && !allow_insecure_http && !is_loopback(&parsed) {
            return Err(fail(
                "uses plain http:// to another host than this machine: the SecretId, the session token and \
                 each request's signature would travel in clear, readable and replayable on the way. Use \
                 https://, or allow it explicitly (`ConfigBuilder::allow_insecure_http(true)`; for `scf`, \
                 --allow-insecure-http)",
            ));
        }
        // The Host header reqwest sends: the port only when it is not the scheme's default.
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint { base_url: format!("{}://{host}/", parsed.scheme()), host })
    }
}

/// Whether the URL's host is this machine: `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(url: &reqwest::Url) -> bool {
    // The parsed URL's host is normalised: `127.1` reads `127.0.0.1`, IPv6 is in brackets.
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `url` with any user name and password in its authority replaced by `***`, for messages: a URL
/// that wrongly carries credentials must not show them.
fn redact_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// Builds a [`Config`].
#[derive(Default)]
#[must_use]
pub struct ConfigBuilder {
    region: Option<String>,
    credentials: Option<Arc<dyn ProvideCredentials>>,
    endpoint_url: Option<String>,
    env_endpoint_urls: BTreeMap<String, String>,
    regional_endpoint: bool,
    allow_insecure_http: bool,
    language: Option<Language>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    method: HttpMethod,
    max_response_bytes: Option<usize>,
    unsigned_payload: bool,
    transport: Option<Arc<dyn Transport>>,
    clock: Option<Arc<dyn Clock>>,
    env: Environment,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url.as_deref().map(redact_userinfo))
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    /// A builder preset from the process environment.
    pub fn from_env() -> Self {
        Self::from_environment(Environment::process())
    }

    /// A builder preset from `env`: region, endpoint URLs and the credentials chain.
    pub fn from_environment(env: Environment) -> Self {
        let region = env.var("TENCENTCLOUD_REGION").or_else(|| profile::tccli_region(&env));
        let env_endpoint_urls = env
            .vars_with_prefix(ENDPOINT_URL_VAR)
            .into_iter()
            .filter_map(|(name, url)| {
                let rest = name.strip_prefix(ENDPOINT_URL_VAR)?;
                let service = if rest.is_empty() {
                    Some(String::new())
                } else {
                    rest.strip_prefix('_').map(str::to_ascii_lowercase)
                };
                service.map(|service| (service, url.trim().to_owned()))
            })
            .collect();
        Self { region, env_endpoint_urls, env, ..Self::default() }
    }

    /// The region, e.g. `Region::ApGuangzhou` or `"ap-guangzhou"`.
    pub fn region(mut self, region: impl AsRef<str>) -> Self {
        self.region = Some(region.as_ref().to_owned());
        self
    }

    /// Explicit credentials (or any provider), instead of the default chain.
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Sends every request to this URL (an emulator, a proxy, a test server). Wins over the
    /// environment's endpoint variables. `https://`, or `http://` to this machine only (`localhost`,
    /// `127.0.0.0/8`, `[::1]`) unless [`allow_insecure_http`](Self::allow_insecure_http) says
    /// otherwise; [`Client::new`](crate::Client::new) refuses any other.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Allows `http://` endpoint URLs on other hosts than this machine, e.g. an emulator in another
    /// container (default: refused). Over plain HTTP the SecretId, the session token and every
    /// request's signature travel in clear: anyone on the path can read them and replay requests.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Use the region's own host (`scf.ap-guangzhou.tencentcloudapi.com`) instead of the nearest
    /// one (`scf.tencentcloudapi.com`).
    pub fn regional_endpoint(mut self, regional: bool) -> Self {
        self.regional_endpoint = regional;
        self
    }

    /// The language of error messages.
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Limit on connecting (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit on each attempt, from sending to the last byte of the answer (default 60 s). A
    /// synchronous `InvokeFunction` takes as long as the function runs: raise it to cover the
    /// function's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit on a whole call: every attempt, and every wait between attempts (default: none, each
    /// attempt is limited by [`timeout`](Self::timeout) alone). When it passes, the call ends at
    /// once with [`Error::OperationTimeout`](super::Error::OperationTimeout), whatever it was doing;
    /// a retry whose wait would end past it is not started.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::standard`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// POST (default) or GET; GET fails for requests over 32 KB.
    pub fn http_method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// Responses with a larger body fail (default 32 MB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash (`X-TC-Content-SHA256`).
    pub fn unsigned_payload(mut self, unsigned: bool) -> Self {
        self.unsigned_payload = unsigned;
        self
    }

    /// A transport of your own instead of the built-in `reqwest` one.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// A clock of your own (signing time and waits between attempts).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The configuration.
    pub fn build(self) -> Config {
        let env = self.env;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        Config {
            region: self.region,
            credentials: self
                .credentials
                .unwrap_or_else(|| Arc::new(DefaultCredentialsChain::new(env).with_clock(clock.clone()))),
            endpoint_url: self.endpoint_url,
            env_endpoint_urls: self.env_endpoint_urls,
            regional_endpoint: self.regional_endpoint,
            allow_insecure_http: self.allow_insecure_http,
            language: self.language,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            timeout: self.timeout.unwrap_or(Duration::from_secs(60)),
            operation_timeout: self.operation_timeout,
            retry: self.retry.unwrap_or_default(),
            method: self.method,
            max_response_bytes: self.max_response_bytes.unwrap_or(32 * 1024 * 1024),
            unsigned_payload: self.unsigned_payload,
            transport: self.transport,
            clock,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SCF: ServiceInfo = ServiceInfo::new(
        "scf",
        "SCF",
        "2018-04-16",
        "scf.tencentcloudapi.com",
        "scf.{region}.tencentcloudapi.com",
        &[],
    );

    #[test]
    fn default_and_regional_endpoints() {
        let config = Config::builder().build();
        let endpoint = config.endpoint(&SCF, "ap-guangzhou").unwrap();
        assert_eq!(
            endpoint,
            Endpoint { base_url: "https://scf.tencentcloudapi.com/".into(), host: "scf.tencentcloudapi.com".into() }
        );
        let regional = Config::builder().regional_endpoint(true).build().endpoint(&SCF, "ap-guangzhou").unwrap();
        assert_eq!(regional.host, "scf.ap-guangzhou.tencentcloudapi.com");
    }

    #[test]
    fn endpoint_urls_from_the_builder_and_the_environment() {
        let env = Environment::from_vars([
            ("TENCENTCLOUD_ENDPOINT_URL", "https://proxy.example.com"),
            ("TENCENTCLOUD_ENDPOINT_URL_SCF", "http://127.0.0.1:9100"),
            ("TENCENTCLOUD_REGION", "ap-chengdu"),
        ]);
        let config = ConfigBuilder::from_environment(env.clone()).build();
        assert_eq!(config.region(), Some("ap-chengdu"));
        let scf = config.endpoint(&SCF, "ap-chengdu").unwrap();
        assert_eq!(scf, Endpoint { base_url: "http://127.0.0.1:9100/".into(), host: "127.0.0.1:9100".into() });
        assert_eq!(config.endpoint_url_for("cvm"), Some("https://proxy.example.com"));
        let explicit = ConfigBuilder::from_environment(env).endpoint_url("https://[::1]:8443/").build();
        assert_eq!(explicit.endpoint(&SCF, "x").unwrap().host, "[::1]:8443");
        let default_port = Config::builder().endpoint_url("https://h.example.com:443").build();
        assert_eq!(default_port.endpoint(&SCF, "x").unwrap().host, "h.example.com");
    }

    #[test]
    fn bad_endpoint_urls_are_explained() {
        for (url, why) in [
            ("ftp://x", "must start with http:// or https://"),
            ("scf.tencentcloudapi.com", "is not a URL"),
            ("http://127.0.0.1:9100/v1", "must not have a path"),
            ("http://user:pw@h", "must not carry credentials"),
        ] {
            let error = Config::builder().endpoint_url(url).build().check_endpoint_urls().unwrap_err();
            assert!(error.message.contains(why), "{url}: {error}");
        }
    }

    #[test]
    fn plain_http_goes_to_this_machine_only_unless_allowed() {
        let from_builder = |url: &str| Config::builder().endpoint_url(url).build();
        let from_env = |url: &str| {
            ConfigBuilder::from_environment(Environment::from_vars([("TENCENTCLOUD_ENDPOINT_URL_SCF", url)])).build()
        };
        for url in [
            "http://localhost:9100",
            "http://LocalHost",
            "http://127.0.0.1:9100",
            "http://127.8.9.10",
            "http://127.1:9100",
            "http://[::1]:9100",
            "https://scf.example.com",
            "https://10.0.0.1:8443",
        ] {
            for config in [from_builder(url), from_env(url)] {
                assert_eq!(config.check_endpoint_urls(), Ok(()), "{url}");
                assert!(config.endpoint(&SCF, "x").is_ok(), "{url}");
            }
        }
        for url in [
            "http://scf.example.com",
            "http://10.0.0.1:9100",
            "http://0.0.0.0:9100",
            "http://[::]:9100",
            "http://[::ffff:10.0.0.1]",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
        ] {
            for config in [from_builder(url), from_env(url)] {
                let error = config.check_endpoint_urls().unwrap_err();
                assert!(error.message.starts_with(&format!("the endpoint URL `{url}` uses plain http://")), "{error}");
                assert!(error.message.contains("would travel in clear"), "{error}");
                assert!(error.message.contains("allow_insecure_http(true)"), "{error}");
                assert!(config.endpoint(&SCF, "x").is_err(), "{url}");
            }
            let allowed = Config::builder().endpoint_url(url).allow_insecure_http(true).build();
            assert!(allowed.allow_insecure_http());
            assert_eq!(allowed.check_endpoint_urls(), Ok(()), "{url}");
            let allowed = ConfigBuilder::from_environment(Environment::from_vars([("TENCENTCLOUD_ENDPOINT_URL", url)]))
                .allow_insecure_http(true)
                .build();
            assert_eq!(allowed.check_endpoint_urls(), Ok(()), "{url}");
        }
    }

    #[test]
    fn credentials_in_an_endpoint_url_are_never_shown() {
        let url = "https://user:pa55word@proxy.example.com/";
        let config = ConfigBuilder::from_environment(Environment::from_vars([("TENCENTCLOUD_ENDPOINT_URL", url)]))
            .endpoint_url("http://me:pa55word@[::1]:1")
            .build();
        let error = config.check_endpoint_urls().unwrap_err();
        assert_eq!(error.message, "the endpoint URL `http://***@[::1]:1` must not carry credentials");
        let debug = format!("{config:?} {:?}", Config::builder().endpoint_url(url));
        assert!(!debug.contains("pa55word") && debug.contains("https://***@proxy.example.com/"), "{debug}");
        assert_eq!(redact_userinfo("no-scheme@host/x@y"), "***@host/x@y");
        assert_eq!(redact_userinfo("https://h/p?q=a@b"), "https://h/p?q=a@b");
    }

    #[test]
    fn region_accepts_strings_and_debug_shows_no_secrets() {
        let config = Config::builder()
            .region("ap-beijing")
            .credentials(crate::runtime::Credentials::new("AKID", "very-secret"))
            .build();
        assert_eq!(config.region(), Some("ap-beijing"));
        let debug = format!("{config:?}");
        assert!(debug.contains("AKID") && !debug.contains("very-secret"), "{debug}");
    }
}
