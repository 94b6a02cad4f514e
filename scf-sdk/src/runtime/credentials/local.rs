//! The providers that read this machine: the environment and the profile files of Tencent Cloud's
//! tools. They read afresh on every call, so a chain that resolves again sees what changed.

use std::path::{Path, PathBuf};

use super::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};
use crate::runtime::env::Environment;
use crate::runtime::profile;

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

    fn source_name(&self) -> String {
        "environment".to_owned()
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
        let text = read_optional(&path).map_err(fail)?.ok_or_else(|| fail("not found".into()))?;
        profile::parse_tccli_credential(&text).map(Credentials::from).map_err(fail)
    }
}

impl ProvideCredentials for TccliProfileCredentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(std::future::ready(self.load()))
    }

    fn source_name(&self) -> String {
        format!("tccli profile `{}`", profile::tccli_profile_name(&self.env))
    }
}

/// Credentials from the SDK profile file: `~/.tencentcloud/credentials`, else
/// `/etc/tencentcloud/credentials` (under [`Environment::system_dir`]), section `[default]`, keys
/// `secret_id` and `secret_key`.
#[derive(Debug, Clone)]
pub struct SdkProfileCredentials {
    env: Environment,
    system_file: Option<PathBuf>,
}

impl SdkProfileCredentials {
    /// Reads the file under `env`'s home directory, then the one under its system directory.
    pub fn new(env: Environment) -> Self {
        let system_file = env.system_dir().map(|dir| dir.join("tencentcloud").join("credentials"));
        Self { env, system_file }
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
                        .map(Credentials::from)
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

    fn source_name(&self) -> String {
        "SDK profile".to_owned()
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
