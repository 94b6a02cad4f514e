//! Temporary keys for a TKE pod's OIDC web identity: the pod's token (a file TKE keeps fresh)
//! exchanged with STS `AssumeRoleWithWebIdentity` (version 2018-08-13) for a role's keys. The
//! request is not signed — the token is the proof — so it goes with `Authorization: SKIP`, as the
//! official SDKs send it.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::Deserialize;

use super::{Cache, Credentials, CredentialsError, CredentialsFuture, Http, ProvideCredentials};
use crate::runtime::client::{RawCode, decode};
use crate::runtime::config::Endpoint;
use crate::runtime::env::Environment;
use crate::runtime::retry::{Clock, SystemClock};
use crate::runtime::transport::{HttpMethod, HttpRequest};

const SOURCE: &str = "TKE OIDC web identity";
/// The STS API that exchanges the token, as the official SDKs call it.
const STS_HOST: &str = "sts.tencentcloudapi.com";
const STS_VERSION: &str = "2018-08-13";
const STS_ACTION: &str = "AssumeRoleWithWebIdentity";
/// The variables TKE sets in a pod with an OIDC identity.
const VARS: [&str; 4] = ["TKE_REGION", "TKE_PROVIDER_ID", "TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_ROLE_ARN"];

/// Credentials for TKE's OIDC web identity: `TKE_REGION`, `TKE_PROVIDER_ID`, `TKE_ROLE_ARN` and
/// the token in `TKE_WEB_IDENTITY_TOKEN_FILE`, exchanged with STS for the role's temporary keys
/// (valid 2 hours; kept until five minutes before they expire). The variables and the token file
/// are read again at every exchange, as TKE renews the token.
///
/// STS is `https://sts.tencentcloudapi.com`; `TENCENTCLOUD_ENDPOINT_URL_STS` replaces it (as
/// `TENCENTCLOUD_ENDPOINT_URL_<SERVICE>` does for a client), with the same rule: `https://`, or
/// `http://` to this machine only.
#[derive(Debug, Clone)]
pub struct TkeOidcCredentials {
    env: Environment,
    /// The STS URL, if not the public one.
    endpoint: Option<String>,
    duration: Duration,
    http: Arc<Http>,
    cache: Cache,
}

impl TkeOidcCredentials {
    /// The variable that replaces the STS endpoint.
    pub const ENDPOINT_VAR: &'static str = "TENCENTCLOUD_ENDPOINT_URL_STS";

    /// Reads the `TKE_*` variables and the STS endpoint variable from `env`.
    pub fn from_env(env: Environment) -> Self {
        let endpoint = env.var(Self::ENDPOINT_VAR).map(|url| url.trim().to_owned());
        Self {
            env,
            endpoint,
            duration: Duration::from_secs(7200),
            http: Arc::new(Http::new(Duration::from_secs(5), Duration::from_secs(20))),
            cache: Cache::new(Arc::new(SystemClock)),
        }
    }

    /// Sends the exchange to this STS URL.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Asks for keys valid this long (STS allows up to 12 hours; 2 hours by default).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Reads expiry and signs timestamps against `clock` instead of the system's time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = Cache::new(clock);
        self
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.cache.fresh() {
            return Ok(credentials);
        }
        let fail = |reason: String| CredentialsError::single(SOURCE, reason);
        let missing: Vec<&str> = VARS.iter().copied().filter(|name| self.env.var(name).is_none()).collect();
        if !missing.is_empty() {
            let verb = if missing.len() == 1 { "is" } else { "are" };
            return Err(fail(format!("{} {verb} not set", join_names(&missing))));
        }
        let var = |name: &str| self.env.var(name).unwrap_or_default();
        let token_file = var("TKE_WEB_IDENTITY_TOKEN_FILE");
        let token = std::fs::read_to_string(&token_file)
            .map_err(|e| fail(format!("cannot read the token file {token_file} (TKE_WEB_IDENTITY_TOKEN_FILE): {e}")))?;
        let endpoint = match &self.endpoint {
            Some(url) => Endpoint::parse(url, false).map_err(|e| fail(format!("{}: {e}", Self::ENDPOINT_VAR)))?,
            None => Endpoint { base_url: format!("https://{STS_HOST}/"), host: STS_HOST.to_owned() },
        };
        let now = self.cache.clock.now();
        let timestamp = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let body = serde_json::json!({
            "ProviderId": var("TKE_PROVIDER_ID"),
            "WebIdentityToken": token.trim(),
            "RoleArn": var("TKE_ROLE_ARN"),
            "RoleSessionName": format!("scf-rs-{}", now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros())),
            "DurationSeconds": self.duration.as_secs(),
        });
        let request = HttpRequest {
            method: HttpMethod::Post,
            url: endpoint.base_url.clone(),
            headers: vec![
                ("Host", endpoint.host.clone().into()),
                ("Content-Type", "application/json".into()),
                ("Authorization", "SKIP".into()),
                ("X-TC-Action", STS_ACTION.into()),
                ("X-TC-Version", STS_VERSION.into()),
                ("X-TC-Timestamp", timestamp.to_string().into()),
                ("X-TC-Region", var("TKE_REGION").into()),
                ("X-TC-RequestClient", crate::runtime::USER_AGENT.into()),
            ],
            body: body.to_string().into(),
        };
        let sts = format!("STS {STS_ACTION} at {}", endpoint.base_url);
        let response = self.http.send(request).await.map_err(|why| fail(format!("{sts}: no answer ({why})")))?;
        // The answer is an API 3.0 envelope: an error code, or the keys.
        let answer = decode(response).map_err(|e| fail(format!("{sts}: {e}")))?;
        let keys: Answer = answer
            .decode::<Answer, RawCode>("the answer does not hold the keys")
            .map_err(|e| fail(format!("{sts}: {e}")))?;
        let expiry = UNIX_EPOCH + Duration::from_secs(u64::try_from(keys.expired_time).unwrap_or(0));
        let credentials = Credentials::new(keys.credentials.tmp_secret_id, keys.credentials.tmp_secret_key)
            .with_token(keys.credentials.token)
            .with_expiry(expiry);
        let credentials = self.cache.check(SOURCE, credentials)?;
        self.cache.store(&credentials);
        tracing::debug!(role = %var("TKE_ROLE_ARN"), "credentials from the TKE OIDC web identity");
        Ok(credentials)
    }
}

fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl ProvideCredentials for TkeOidcCredentials {
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

/// STS's answer.
#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Credentials")]
    credentials: Keys,
    /// Unix seconds.
    #[serde(rename = "ExpiredTime")]
    expired_time: i64,
}

#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "Token")]
    token: String,
    #[serde(rename = "TmpSecretId")]
    tmp_secret_id: String,
    #[serde(rename = "TmpSecretKey")]
    tmp_secret_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_variables_are_named() {
        assert_eq!(join_names(&["A"]), "A");
        assert_eq!(join_names(&["A", "B", "C"]), "A, B and C");
        let provider = TkeOidcCredentials::from_env(Environment::from_vars([("TKE_REGION", "ap-guangzhou")]));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let error = runtime.block_on(provider.provide_credentials()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no credentials found; tried TKE OIDC web identity (TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE and \
             TKE_ROLE_ARN are not set)"
        );
    }
}
