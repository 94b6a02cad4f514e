//! Client configuration: region, credentials, endpoint, language, timeouts, retries, method.
//!
//! [`Config::builder`] starts empty; [`ConfigBuilder::from_env`] starts from the environment the way
//! Tencent Cloud's tools do:
//! - region: `TENCENTCLOUD_REGION`, else the tccli profile's region;
//! - endpoint: `TENCENTCLOUD_ENDPOINT_URL_<SERVICE>` (e.g. `TENCENTCLOUD_ENDPOINT_URL_SCF`), else
//!   `TENCENTCLOUD_ENDPOINT_URL` — for emulators and tests; `http://` is allowed only here;
//! - credentials: the default chain (see [`credentials`](super::credentials)).
//!
//! Anything set on the builder afterwards wins.

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
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
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
            .field("endpoint_url", &self.endpoint_url)
            .field("env_endpoint_urls", &self.env_endpoint_urls)
            .field("regional_endpoint", &self.regional_endpoint)
            .field("language", &self.language)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
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
            Some(url) => Endpoint::parse(url),
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
            .try_for_each(|url| Endpoint::parse(url).map(drop))
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
    fn parse(url: &str) -> Result<Endpoint, ConfigError> {
        let fail = |why: &str| ConfigError::new(format!("the endpoint URL `{url}` {why}"));
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
        // The Host header reqwest sends: the port only when it is not the scheme's default.
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint { base_url: format!("{}://{host}/", parsed.scheme()), host })
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
    language: Option<Language>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
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
            .field("endpoint_url", &self.endpoint_url)
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

    /// Sends every request to this URL (an emulator, a proxy, a test server). `http://` is
    /// allowed here only. Wins over the environment's endpoint variables.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
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
        Config {
            region: self.region,
            credentials: self.credentials.unwrap_or_else(|| Arc::new(DefaultCredentialsChain::new(env))),
            endpoint_url: self.endpoint_url,
            env_endpoint_urls: self.env_endpoint_urls,
            regional_endpoint: self.regional_endpoint,
            language: self.language,
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            timeout: self.timeout.unwrap_or(Duration::from_secs(60)),
            retry: self.retry.unwrap_or_default(),
            method: self.method,
            max_response_bytes: self.max_response_bytes.unwrap_or(32 * 1024 * 1024),
            unsigned_payload: self.unsigned_payload,
            transport: self.transport,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
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
