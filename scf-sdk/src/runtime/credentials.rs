//! Credentials: a SecretId/SecretKey pair and, for temporary (STS) keys, a session token.
//!
//! [`DefaultCredentialsChain`] looks in the places Tencent Cloud's own tools do, in this order:
//! 1. the environment: `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, `TENCENTCLOUD_TOKEN`;
//! 2. the tccli profile: `~/.tccli/<TCCLI_PROFILE or "default">.credential` (JSON);
//! 3. the SDK profile: `~/.tencentcloud/credentials`, else `/etc/tencentcloud/credentials` (INI,
//!    `[default]` section).
//!
//! Credentials given explicitly to the client (`ConfigBuilder::credentials`) bypass the chain. When no
//! source has credentials, the error lists every source and why it gave none. Secrets never appear
//! in `Debug` output, errors or logs.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::env::Environment;
use super::profile;

/// A SecretId, a SecretKey and an optional session token. `Debug` shows only the SecretId.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
}

impl Credentials {
    /// Long-term credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self { secret_id: secret_id.into(), secret_key: secret_key.into(), token: None }
    }

    /// Temporary (STS) credentials: the token is sent as `X-TC-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The SecretId (not a secret: it names the key).
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The SecretKey.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The session token of temporary credentials.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"** redacted **")
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// The future a [`ProvideCredentials`] returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials. Asynchronous, so sources that fetch credentials over the network (an
/// instance role, STS) fit the same trait.
pub trait ProvideCredentials: fmt::Debug + Send + Sync {
    /// Credentials, or why this source has none.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// Why no credentials were found: each source that was tried, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    /// `(source, reason)` pairs, in the order tried.
    pub tried: Vec<(String, String)>,
}

impl CredentialsError {
    fn single(source: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { tried: vec![(source.into(), reason.into())] }
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no credentials found")?;
        for (i, (source, reason)) in self.tried.iter().enumerate() {
            f.write_str(if i == 0 { "; tried " } else { "; " })?;
            write!(f, "{source} ({reason})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CredentialsError {}

/// Credentials from `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY` and `TENCENTCLOUD_TOKEN`.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentCredentials {
    env: Environment,
}

impl EnvironmentCredentials {
    /// Reads from `env`.
    pub fn new(env: Environment) -> Self {
        Self { env }
    }

    fn load(&self) -> Result<Credentials, CredentialsError> {
        const SOURCE: &str = "environment";
        let id = self.env.var("TENCENTCLOUD_SECRET_ID");
        let key = self.env.var("TENCENTCLOUD_SECRET_KEY");
        match (id, key) {
            (Some(id), Some(key)) => {
                let credentials = Credentials::new(id, key);
                Ok(match self.env.var("TENCENTCLOUD_TOKEN") {
                    Some(token) => credentials.with_token(token),
                    None => credentials,
                })
            }
            (None, None) => {
                Err(CredentialsError::single(SOURCE, "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY are not set"))
            }
            (Some(_), None) => Err(CredentialsError::single(SOURCE, "TENCENTCLOUD_SECRET_KEY is not set")),
            (None, Some(_)) => Err(CredentialsError::single(SOURCE, "TENCENTCLOUD_SECRET_ID is not set")),
        }
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.load()))
    }
}

/// Credentials from tccli's profile: `~/.tccli/<profile>.credential`, where the profile is
/// `TCCLI_PROFILE` or `default`.
#[derive(Debug, Clone, Default)]
pub struct TccliProfileCredentials {
    env: Environment,
}

impl TccliProfileCredentials {
    /// Reads the profile named by `env`, under its home directory.
    pub fn new(env: Environment) -> Self {
        Self { env }
    }

    fn load(&self) -> Result<Credentials, CredentialsError> {
        let profile = profile::tccli_profile_name(&self.env);
        let source = format!("tccli profile `{profile}`");
        let Some(path) = profile::tccli_file(&self.env, &profile, "credential") else {
            return Err(CredentialsError::single(source, "no home directory (HOME is not set)"));
        };
        let fail = |reason: String| CredentialsError::single(source.clone(), format!("{}: {reason}", path.display()));
        let text = read_optional(&path).map_err(&fail)?.ok_or_else(|| fail("not found".into()))?;
        profile::parse_tccli_credential(&text).map_err(fail)
    }
}

impl ProvideCredentials for TccliProfileCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.load()))
    }
}

/// Credentials from the SDK profile file: `~/.tencentcloud/credentials`, else
/// `/etc/tencentcloud/credentials`, section `[default]`, keys `secret_id` and `secret_key`.
#[derive(Debug, Clone)]
pub struct SdkProfileCredentials {
    env: Environment,
    system_file: Option<PathBuf>,
}

impl SdkProfileCredentials {
    /// Reads the file under `env`'s home directory, then the system-wide one.
    pub fn new(env: Environment) -> Self {
        Self { env, system_file: Some(PathBuf::from("/etc/tencentcloud/credentials")) }
    }

    /// The same, without the system-wide fallback (for tests and sandboxed programs).
    pub fn user_only(env: Environment) -> Self {
        Self { env, system_file: None }
    }

    fn load(&self) -> Result<Credentials, CredentialsError> {
        const SOURCE: &str = "SDK profile";
        let user_file = self.env.home().map(|home| home.join(".tencentcloud").join("credentials"));
        let mut reasons = Vec::new();
        for path in user_file.iter().chain(&self.system_file) {
            match read_optional(path) {
                Ok(Some(text)) => {
                    return profile::parse_sdk_credentials(&text)
                        .map_err(|reason| CredentialsError::single(SOURCE, format!("{}: {reason}", path.display())));
                }
                Ok(None) => reasons.push(format!("{}: not found", path.display())),
                Err(reason) => reasons.push(format!("{}: {reason}", path.display())),
            }
        }
        if user_file.is_none() {
            reasons.insert(0, "no home directory (HOME is not set)".into());
        }
        Err(CredentialsError::single(SOURCE, reasons.join(", ")))
    }
}

impl ProvideCredentials for SdkProfileCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.load()))
    }
}

/// A file's content, `None` if it does not exist, or why it could not be read.
fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Tries providers in order; the first that has credentials wins, and the result is cached.
///
/// Nothing is read until credentials are first needed. A failure is not cached, so credentials
/// written after a failed call are picked up by the next one.
#[derive(Debug, Clone)]
pub struct DefaultCredentialsChain {
    providers: Arc<Vec<Box<dyn ProvideCredentials>>>,
    cached: Arc<Mutex<Option<Credentials>>>,
}

impl DefaultCredentialsChain {
    /// Environment, tccli profile, SDK profile, all read from `env`.
    pub fn new(env: Environment) -> Self {
        Self::from_providers(vec![
            Box::new(EnvironmentCredentials::new(env.clone())),
            Box::new(TccliProfileCredentials::new(env.clone())),
            Box::new(SdkProfileCredentials::new(env)),
        ])
    }

    /// A chain of your own providers, tried in order.
    pub fn from_providers(providers: Vec<Box<dyn ProvideCredentials>>) -> Self {
        Self { providers: Arc::new(providers), cached: Arc::new(Mutex::new(None)) }
    }

    async fn resolve(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.cached.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(credentials);
        }
        let mut tried = Vec::new();
        for provider in self.providers.iter() {
            match provider.provide_credentials().await {
                Ok(credentials) => {
                    *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(credentials.clone());
                    return Ok(credentials);
                }
                Err(error) => tried.extend(error.tried),
            }
        }
        Err(CredentialsError { tried })
    }
}

impl ProvideCredentials for DefaultCredentialsChain {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.resolve())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-key-value";

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    fn temp_home(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scf-sdk-credentials-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn home_env(home: &Path, extra: &[(&str, &str)]) -> Environment {
        let mut vars = vec![("HOME".to_owned(), home.display().to_string())];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Environment::from_vars(vars)
    }

    fn chain(env: Environment) -> DefaultCredentialsChain {
        DefaultCredentialsChain::from_providers(vec![
            Box::new(EnvironmentCredentials::new(env.clone())),
            Box::new(TccliProfileCredentials::new(env.clone())),
            Box::new(SdkProfileCredentials::user_only(env)),
        ])
    }

    #[test]
    fn debug_never_shows_the_secret_key_or_token() {
        let credentials = Credentials::new("AKIDexample", SECRET).with_token("tok-value");
        let debug = format!("{credentials:?}");
        assert!(debug.contains("AKIDexample"));
        assert!(!debug.contains(SECRET) && !debug.contains("tok-value"), "{debug}");
    }

    #[test]
    fn environment_comes_first() {
        let home = temp_home("env-first");
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(home.join(".tccli/default.credential"), r#"{"secretId":"from-tccli","secretKey":"k"}"#).unwrap();
        let env = home_env(
            &home,
            &[("TENCENTCLOUD_SECRET_ID", "from-env"), ("TENCENTCLOUD_SECRET_KEY", SECRET), ("TENCENTCLOUD_TOKEN", "t")],
        );
        let credentials = block_on(chain(env).provide_credentials()).unwrap();
        assert_eq!(credentials.secret_id(), "from-env");
        assert_eq!(credentials.secret_key(), SECRET);
        assert_eq!(credentials.token(), Some("t"));
    }

    #[test]
    fn tccli_profile_named_by_tccli_profile() {
        let home = temp_home("tccli");
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(home.join(".tccli/default.credential"), r#"{"secretId":"default-id","secretKey":"k"}"#).unwrap();
        std::fs::write(home.join(".tccli/work.credential"), r#"{"secretId":"work-id","secretKey":"k2","token":"t2"}"#)
            .unwrap();
        let default = block_on(chain(home_env(&home, &[])).provide_credentials()).unwrap();
        assert_eq!(default.secret_id(), "default-id");
        let work = block_on(chain(home_env(&home, &[("TCCLI_PROFILE", "work")])).provide_credentials()).unwrap();
        assert_eq!((work.secret_id(), work.token()), ("work-id", Some("t2")));
    }

    #[test]
    fn sdk_profile_file_is_the_last_resort() {
        let home = temp_home("sdk");
        std::fs::create_dir_all(home.join(".tencentcloud")).unwrap();
        std::fs::write(
            home.join(".tencentcloud/credentials"),
            "# comment\n[other]\nsecret_id = nope\n\n[default]\nsecret_id = sdk-id\nsecret_key = sdk-key\n",
        )
        .unwrap();
        let credentials = block_on(chain(home_env(&home, &[])).provide_credentials()).unwrap();
        assert_eq!((credentials.secret_id(), credentials.secret_key()), ("sdk-id", "sdk-key"));
    }

    #[test]
    fn the_error_lists_every_source_and_never_a_secret() {
        let home = temp_home("none");
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(home.join(".tccli/default.credential"), format!(r#"{{"secretKey":"{SECRET}"}}"#)).unwrap();
        let env = home_env(&home, &[("TENCENTCLOUD_SECRET_KEY", SECRET)]);
        let error = block_on(chain(env).provide_credentials()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("no credentials found; tried environment (TENCENTCLOUD_SECRET_ID is not set)"),
            "{message}"
        );
        assert!(message.contains("tccli profile `default` ("), "{message}");
        assert!(message.contains("`secretId` is missing"), "{message}");
        assert!(message.contains("SDK profile ("), "{message}");
        assert!(message.contains(".tencentcloud/credentials: not found"), "{message}");
        assert!(!message.contains(SECRET), "{message}");
        assert_eq!(error.tried.len(), 3);
    }

    #[test]
    fn a_success_is_cached_and_a_failure_is_not() {
        let home = temp_home("cache");
        let chain = chain(home_env(&home, &[]));
        assert!(block_on(chain.provide_credentials()).is_err());
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(home.join(".tccli/default.credential"), r#"{"secretId":"late","secretKey":"k"}"#).unwrap();
        assert_eq!(block_on(chain.provide_credentials()).unwrap().secret_id(), "late");
        std::fs::remove_file(home.join(".tccli/default.credential")).unwrap();
        assert_eq!(block_on(chain.provide_credentials()).unwrap().secret_id(), "late", "cached");
    }
}
