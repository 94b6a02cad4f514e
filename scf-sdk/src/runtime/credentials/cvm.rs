//! Temporary keys of the CAM role bound to a CVM instance, from the instance metadata service: the
//! role's name, then its keys and their expiry, as the official SDKs read them.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::Deserialize;

use super::{Cache, Credentials, CredentialsError, CredentialsFuture, Http, ProvideCredentials};
use crate::runtime::env::Environment;
use crate::runtime::retry::{Clock, SystemClock};
use crate::runtime::transport::{HttpMethod, HttpRequest};

const SOURCE: &str = "CVM instance role";

/// Credentials of the CVM instance's role: `GET <metadata>/cam/security-credentials/` names the
/// role, `GET <metadata>/cam/security-credentials/<role>` gives its temporary keys, which are kept
/// until five minutes before they expire.
///
/// Off a CVM instance there is no metadata service: the provider fails within about a second (a
/// short connect timeout) and says so. `TENCENTCLOUD_METADATA_ENDPOINT` points it elsewhere (a
/// proxy, a test server), and `TENCENTCLOUD_METADATA_DISABLED=true` turns it off.
#[derive(Debug, Clone)]
pub struct CvmRoleCredentials {
    /// The metadata base URL, ending with `/`.
    endpoint: String,
    role: Option<String>,
    /// Why the provider is off, if it is.
    disabled: Option<String>,
    http: Arc<Http>,
    cache: Cache,
}

impl Default for CvmRoleCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl CvmRoleCredentials {
    /// Where CVM instances reach their metadata.
    pub const DEFAULT_ENDPOINT: &'static str = "http://metadata.tencentyun.com/latest/meta-data/";
    /// The variable that replaces [`DEFAULT_ENDPOINT`](Self::DEFAULT_ENDPOINT).
    pub const ENDPOINT_VAR: &'static str = "TENCENTCLOUD_METADATA_ENDPOINT";
    /// The variable that turns the provider off (`true` or `1`).
    pub const DISABLED_VAR: &'static str = "TENCENTCLOUD_METADATA_DISABLED";

    /// The role bound to this instance, from the metadata service.
    pub fn new() -> Self {
        Self {
            endpoint: Self::DEFAULT_ENDPOINT.to_owned(),
            role: None,
            disabled: None,
            // The metadata service answers at once on CVM; anywhere else nothing answers.
            http: Arc::new(Http::new(Duration::from_secs(1), Duration::from_secs(3))),
            cache: Cache::new(Arc::new(SystemClock)),
        }
    }

    /// As [`new`](Self::new), with the metadata URL and the off switch from `env`.
    pub fn from_env(env: &Environment) -> Self {
        let mut provider = Self::new();
        if let Some(url) = env.var(Self::ENDPOINT_VAR) {
            provider = provider.endpoint(url.trim());
        }
        if env.var(Self::DISABLED_VAR).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1")) {
            provider.disabled = Some(format!("turned off by {}", Self::DISABLED_VAR));
        }
        provider
    }

    /// The metadata service's base URL (what `cam/security-credentials/` follows).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        let mut url = url.into();
        if !url.ends_with('/') {
            url.push('/');
        }
        self.endpoint = url;
        self
    }

    /// This role, instead of asking the metadata service which one the instance has.
    pub fn role(mut self, name: impl Into<String>) -> Self {
        self.role = Some(name.into());
        self
    }

    /// Reads expiry against `clock` instead of the system's time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = Cache::new(clock);
        self
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.cache.fresh() {
            return Ok(credentials);
        }
        let fail = |reason: String| CredentialsError::single(SOURCE, reason);
        if let Some(why) = &self.disabled {
            return Err(fail(why.clone()));
        }
        let base = format!("{}cam/security-credentials/", self.endpoint);
        let role = match &self.role {
            Some(role) => role.clone(),
            None => {
                let text = self.get(&base).await.map_err(|why| fail(format!("no role: {why}")))?;
                text.lines().next().unwrap_or_default().trim().to_owned()
            }
        };
        if role.is_empty() || role.contains(['/', '?', '#', ' ', '%']) {
            return Err(fail(format!("the metadata service names no usable role (`{role}`)")));
        }
        let text = self.get(&format!("{base}{role}")).await.map_err(|why| fail(format!("role `{role}`: {why}")))?;
        // The serde error names a position, never the content, which holds the keys.
        let keys: RoleKeys = serde_json::from_str(&text)
            .map_err(|e| fail(format!("role `{role}`: the answer is not the expected JSON ({e})")))?;
        if let Some(code) = keys.code.filter(|c| c != "Success") {
            return Err(fail(format!("role `{role}`: the metadata service says `{code}`")));
        }
        let expiry = UNIX_EPOCH + Duration::from_secs(u64::try_from(keys.expired_time).unwrap_or(0));
        let credentials =
            Credentials::new(keys.tmp_secret_id, keys.tmp_secret_key).with_token(keys.token).with_expiry(expiry);
        let credentials = self.cache.check(SOURCE, credentials)?;
        self.cache.store(&credentials);
        tracing::debug!(role, "credentials from the CVM instance role");
        Ok(credentials)
    }

    /// A GET of the metadata service: the body, or why there is none.
    async fn get(&self, url: &str) -> Result<String, String> {
        let request =
            HttpRequest { method: HttpMethod::Get, url: url.to_owned(), headers: Vec::new(), body: Default::default() };
        let response = self.http.send(request).await.map_err(|why| {
            format!("the metadata service at {} does not answer ({why}); is this a CVM instance?", self.endpoint)
        })?;
        if response.status != 200 {
            return Err(format!("HTTP {} from {url}", response.status));
        }
        String::from_utf8(response.body.to_vec()).map_err(|_| format!("the answer from {url} is not UTF-8 text"))
    }
}

impl ProvideCredentials for CvmRoleCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.load())
    }

    fn refresh_credentials(&self) -> CredentialsFuture<'_> {
        self.cache.clear();
        Box::pin(self.load())
    }

    fn source_name(&self) -> String {
        SOURCE.to_owned()
    }
}

/// What the metadata service says about a role.
#[derive(Deserialize)]
struct RoleKeys {
    #[serde(rename = "TmpSecretId")]
    tmp_secret_id: String,
    #[serde(rename = "TmpSecretKey")]
    tmp_secret_key: String,
    #[serde(rename = "Token")]
    token: String,
    /// Unix seconds.
    #[serde(rename = "ExpiredTime")]
    expired_time: i64,
    #[serde(rename = "Code")]
    code: Option<String>,
}
