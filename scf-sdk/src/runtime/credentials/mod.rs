//! Credentials: a SecretId/SecretKey pair and, for temporary (STS) keys, a session token and when
//! they expire.
//!
//! [`DefaultCredentialsChain`] looks in the places Tencent Cloud's own tools do, in this order:
//! 1. the environment: `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, `TENCENTCLOUD_TOKEN`;
//! 2. the tccli profile: `~/.tccli/<TCCLI_PROFILE or "default">.credential` (JSON);
//! 3. the SDK profile: `~/.tencentcloud/credentials`, else `/etc/tencentcloud/credentials` (INI,
//!    `[default]` section);
//! 4. the CVM instance role, from the instance metadata service ([`CvmRoleCredentials`]);
//! 5. TKE's OIDC web identity, exchanged with STS for temporary keys ([`TkeOidcCredentials`]).
//!
//! The chain keeps what it found until shortly before it expires, and looks again when the
//! service refuses it as stale (the client asks, once per call): temporary keys stay fresh in a
//! long-running process, and keys written to the environment or a file later are picked up.
//!
//! Credentials given explicitly to the client (`ConfigBuilder::credentials`) bypass the chain. When no
//! source has credentials, the error lists every source and why it gave none. Secrets never appear
//! in `Debug` output, errors or logs.

mod cvm;
mod local;
mod oidc;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use cvm::CvmRoleCredentials;
pub use local::{EnvironmentCredentials, SdkProfileCredentials, TccliProfileCredentials};
pub use oidc::TkeOidcCredentials;

use super::env::Environment;
use super::profile::Keys;
use super::retry::{Clock, SystemClock};
use super::sign::SigningKeyCache;
use super::transport::{HttpRequest, HttpResponse, ReqwestTransport, Transport as _, TransportSettings};

/// A SecretId, a SecretKey, and for temporary keys a session token and their expiry. `Debug` shows
/// only the SecretId and the expiry.
///
/// Cheap to clone (the keys are shared), as a provider hands out a copy for every call.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    keys: Arc<SharedKeys>,
    expiry: Option<SystemTime>,
}

#[derive(Clone, PartialEq, Eq)]
struct SharedKeys {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    signing_keys: SigningKeyCache,
}

impl Credentials {
    /// Long-term credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            keys: Arc::new(SharedKeys {
                secret_id: secret_id.into(),
                secret_key: secret_key.into(),
                token: None,
                signing_keys: SigningKeyCache::default(),
            }),
            expiry: None,
        }
    }

    /// Temporary (STS) credentials: the token is sent as `X-TC-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.keys).token = Some(token.into());
        self
    }

    /// When temporary credentials stop working.
    pub fn with_expiry(mut self, expiry: SystemTime) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// The SecretId (not a secret: it names the key).
    pub fn secret_id(&self) -> &str {
        &self.keys.secret_id
    }

    /// The SecretKey.
    pub fn secret_key(&self) -> &str {
        &self.keys.secret_key
    }

    /// The TC3 signing key for `date` (`YYYY-MM-DD`) and `service`, derived from the secret key
    /// once a day and service and shared by all copies of these credentials.
    pub(crate) fn signing_key(&self, date: &str, service: &str) -> [u8; 32] {
        self.keys.signing_keys.signing_key(&self.keys.secret_key, date, service)
    }

    /// The session token of temporary credentials.
    pub fn token(&self) -> Option<&str> {
        self.keys.token.as_deref()
    }

    /// When the credentials stop working, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// Whether the credentials expire within `margin` of `now` (or have).
    pub fn expires_within(&self, now: SystemTime, margin: Duration) -> bool {
        self.expiry.is_some_and(|expiry| expiry <= now + margin)
    }
}

impl From<Keys> for Credentials {
    fn from(keys: Keys) -> Self {
        let credentials = Credentials::new(keys.secret_id, keys.secret_key);
        match keys.token {
            Some(token) => credentials.with_token(token),
            None => credentials,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.keys.secret_id)
            .field("secret_key", &"** redacted **")
            .field("token", &self.keys.token.as_ref().map(|_| "** redacted **"))
            .field("expiry", &self.expiry.map(unix_seconds))
            .finish()
    }
}

/// Seconds since the Unix epoch (negative before it).
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}

/// The future a [`ProvideCredentials`] returns.
pub type CredentialsFuture<'a> = Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials. Asynchronous, so sources that fetch credentials over the network (an
/// instance role, STS) fit the same trait.
pub trait ProvideCredentials: fmt::Debug + Send + Sync {
    /// Credentials, or why this source has none.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;

    /// Credentials looked up afresh, not from any cache: the client asks when the service refused
    /// the ones it had as expired or unknown. By default the same as
    /// [`provide_credentials`](Self::provide_credentials).
    fn refresh_credentials(&self) -> CredentialsFuture<'_> {
        self.provide_credentials()
    }

    /// What errors call this source (`environment`, `CVM instance role`).
    fn source_name(&self) -> String {
        "credentials provider".to_owned()
    }
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }

    fn source_name(&self) -> String {
        "the configured credentials".to_owned()
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

/// The HTTP client of the providers that fetch credentials (metadata service, STS): made when
/// first needed, with its own short timeouts.
#[derive(Debug)]
struct Http {
    settings: TransportSettings,
    transport: OnceLock<Result<ReqwestTransport, String>>,
}

impl Http {
    fn new(connect_timeout: Duration, timeout: Duration) -> Self {
        Self {
            settings: TransportSettings { connect_timeout, timeout, max_response_bytes: 64 * 1024 },
            transport: OnceLock::new(),
        }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let transport = self
            .transport
            .get_or_init(|| ReqwestTransport::new(self.settings).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)?;
        transport.send(request).await.map_err(|e| e.to_string())
    }
}

/// Credentials kept until shortly before they expire.
#[derive(Debug, Clone)]
struct Cache {
    credentials: Arc<Mutex<Option<Credentials>>>,
    clock: Arc<dyn Clock>,
}

impl Cache {
    /// How long before they expire credentials are looked up again: the service refuses a
    /// request signed more than five minutes before it arrives, so anything closer is stale.
    const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

    fn new(clock: Arc<dyn Clock>) -> Self {
        Self { credentials: Arc::default(), clock }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.credentials.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is kept, unless it expires soon.
    fn fresh(&self) -> Option<Credentials> {
        let now = self.clock.now();
        self.lock().clone().filter(|c| !c.expires_within(now, Self::REFRESH_BEFORE_EXPIRY))
    }

    fn store(&self, credentials: &Credentials) {
        *self.lock() = Some(credentials.clone());
    }

    fn clear(&self) {
        *self.lock() = None;
    }

    /// `credentials` from `source`, unless they have already expired.
    fn check(&self, source: &str, credentials: Credentials) -> Result<Credentials, CredentialsError> {
        let now = self.clock.now();
        match credentials.expiry {
            Some(expiry) if expiry <= now => Err(CredentialsError::single(
                source,
                format!(
                    "the credentials it gave expired {} s ago (at Unix time {})",
                    now.duration_since(expiry).unwrap_or_default().as_secs(),
                    unix_seconds(expiry)
                ),
            )),
            _ => Ok(credentials),
        }
    }
}

/// Tries providers in order; the first that has credentials wins, and the result is kept until
/// shortly before it expires ([`Credentials::expiry`]), or until the client says the service
/// refused it ([`ProvideCredentials::refresh_credentials`]). Then every provider is asked again.
///
/// Nothing is read until credentials are first needed. A failure is not kept, so credentials
/// written after a failed call are picked up by the next one; credentials that a provider gives
/// already expired count as its failure.
#[derive(Debug, Clone)]
pub struct DefaultCredentialsChain {
    providers: Arc<Vec<Box<dyn ProvideCredentials>>>,
    cache: Cache,
}

impl DefaultCredentialsChain {
    /// Environment, tccli profile, SDK profile, CVM instance role, TKE OIDC web identity, all
    /// configured from `env`.
    pub fn new(env: Environment) -> Self {
        Self::from_providers(vec![
            Box::new(EnvironmentCredentials::new(env.clone())),
            Box::new(TccliProfileCredentials::new(env.clone())),
            Box::new(SdkProfileCredentials::new(env.clone())),
            Box::new(CvmRoleCredentials::from_env(&env)),
            Box::new(TkeOidcCredentials::from_env(env)),
        ])
    }

    /// A chain of your own providers, tried in order.
    pub fn from_providers(providers: Vec<Box<dyn ProvideCredentials>>) -> Self {
        Self { providers: Arc::new(providers), cache: Cache::new(Arc::new(SystemClock)) }
    }

    /// Reads expiry against `clock` instead of the system's time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = Cache::new(clock);
        self
    }

    async fn resolve(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.cache.fresh() {
            return Ok(credentials);
        }
        let mut tried = Vec::new();
        for provider in self.providers.iter() {
            match provider.provide_credentials().await {
                Ok(credentials) => match self.cache.check(&provider.source_name(), credentials) {
                    Ok(credentials) => {
                        self.cache.store(&credentials);
                        return Ok(credentials);
                    }
                    Err(error) => tried.extend(error.tried),
                },
                Err(error) => tried.extend(error.tried),
            }
        }
        Err(CredentialsError { tried })
    }

    async fn refresh(&self) -> Result<Credentials, CredentialsError> {
        tracing::debug!("looking up credentials again");
        self.cache.clear();
        self.resolve().await
    }
}

impl ProvideCredentials for DefaultCredentialsChain {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.resolve())
    }

    fn source_name(&self) -> String {
        "the default credentials chain".to_owned()
    }

    fn refresh_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.refresh())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    const SECRET: &str = "s3cr3t-key-value";

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    /// A fresh directory, removed when dropped.
    struct TempDir(PathBuf);

    impl std::ops::Deref for TempDir {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp_home(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("scf-sdk-credentials-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
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
    fn the_system_wide_file_is_read_when_the_home_has_none() {
        let home = temp_home("system-home");
        let system = temp_home("system-etc");
        std::fs::create_dir_all(system.join("tencentcloud")).unwrap();
        std::fs::write(
            system.join("tencentcloud/credentials"),
            "[default]\nsecret_id = etc-id\nsecret_key = etc-key\n",
        )
        .unwrap();
        let provider = SdkProfileCredentials::new(home_env(&home, &[]).with_system_dir(system.to_path_buf()));
        let credentials = block_on(provider.provide_credentials()).unwrap();
        assert_eq!((credentials.secret_id(), credentials.secret_key()), ("etc-id", "etc-key"));

        // The user's file wins over it.
        std::fs::create_dir_all(home.join(".tencentcloud")).unwrap();
        std::fs::write(home.join(".tencentcloud/credentials"), "[default]\nsecret_id = home-id\nsecret_key = k\n")
            .unwrap();
        assert_eq!(block_on(provider.provide_credentials()).unwrap().secret_id(), "home-id");

        // Without HOME, the system-wide file is still read…
        let no_home = Environment::from_vars([("PATH", "/usr/bin")]).with_system_dir(system.to_path_buf());
        let credentials = block_on(SdkProfileCredentials::new(no_home).provide_credentials()).unwrap();
        assert_eq!(credentials.secret_id(), "etc-id");
        // …and when it is missing too, the error says both.
        let nothing = Environment::from_vars([("PATH", "/usr/bin")]).with_system_dir(home.join("no-such-etc"));
        let message = block_on(SdkProfileCredentials::new(nothing).provide_credentials()).unwrap_err().to_string();
        assert!(message.contains("no home directory (HOME is not set)"), "{message}");
        assert!(message.contains("no-such-etc/tencentcloud/credentials: not found"), "{message}");
    }

    #[test]
    fn an_environment_of_given_variables_reads_no_system_file() {
        let env = Environment::from_vars([("PATH", "/usr/bin")]);
        assert_eq!(env.system_dir(), None);
        let message = block_on(SdkProfileCredentials::new(env).provide_credentials()).unwrap_err().to_string();
        assert!(!message.contains("/etc"), "the machine's /etc is not read: {message}");
        assert_eq!(Environment::process().system_dir(), Some(Path::new("/etc")));
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
