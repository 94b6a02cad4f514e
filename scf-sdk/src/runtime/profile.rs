//! The configuration files of Tencent Cloud's tools, so an existing setup just works:
//! tccli's `~/.tccli/<profile>.credential` and `.configure` (JSON), and the SDKs'
//! `~/.tencentcloud/credentials` (INI).

use std::path::PathBuf;

use serde::Deserialize;

use super::env::Environment;

/// A key pair (and session token) as a profile file holds it; the credentials module makes
/// `Credentials` of it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Keys {
    pub secret_id: String,
    pub secret_key: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("secret_id", &self.secret_id).finish_non_exhaustive()
    }
}

/// The tccli profile in use: `TCCLI_PROFILE`, or `default`.
pub fn tccli_profile_name(env: &Environment) -> String {
    env.var("TCCLI_PROFILE").unwrap_or_else(|| "default".to_owned())
}

/// `~/.tccli/<profile>.<kind>` (`kind` is `credential` or `configure`).
pub fn tccli_file(env: &Environment, profile: &str, kind: &str) -> Option<PathBuf> {
    env.home().map(|home| home.join(".tccli").join(format!("{profile}.{kind}")))
}

/// Parses a tccli `.credential` file: `{"secretId": …, "secretKey": …, "token": …}`.
pub(crate) fn parse_tccli_credential(text: &str) -> Result<Keys, String> {
    #[derive(Deserialize)]
    struct File {
        #[serde(rename = "secretId")]
        secret_id: Option<String>,
        #[serde(rename = "secretKey")]
        secret_key: Option<String>,
        token: Option<String>,
    }
    // The serde error names the position, never the content, so no secret leaks through it.
    let file: File = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    let non_empty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let id = non_empty(file.secret_id).ok_or("`secretId` is missing")?;
    let key = non_empty(file.secret_key).ok_or("`secretKey` is missing")?;
    Ok(Keys { secret_id: id, secret_key: key, token: non_empty(file.token) })
}

/// The region of a tccli profile (`_sys_param.region` in `<profile>.configure`), if set.
pub fn tccli_region(env: &Environment) -> Option<String> {
    #[derive(Deserialize)]
    struct File {
        #[serde(rename = "_sys_param")]
        sys_param: Option<SysParam>,
    }
    #[derive(Deserialize)]
    struct SysParam {
        region: Option<String>,
    }
    let path = tccli_file(env, &tccli_profile_name(env), "configure")?;
    let text = std::fs::read_to_string(path).ok()?;
    let file: File = serde_json::from_str(&text).ok()?;
    file.sys_param?.region.filter(|r| !r.trim().is_empty())
}

/// Parses the `[default]` section of an SDK credentials file (INI: `secret_id`, `secret_key`).
pub(crate) fn parse_sdk_credentials(text: &str) -> Result<Keys, String> {
    let mut in_default = false;
    let mut seen_default = false;
    let (mut id, mut key) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_default = section.trim() == "default";
            seen_default |= in_default;
            continue;
        }
        if !in_default {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            let value = value.trim().to_owned();
            match name.trim() {
                "secret_id" => id = Some(value).filter(|v| !v.is_empty()),
                "secret_key" => key = Some(value).filter(|v| !v.is_empty()),
                _ => {}
            }
        }
    }
    if !seen_default {
        return Err("no [default] section".into());
    }
    let id = id.ok_or("`secret_id` is missing from [default]")?;
    let key = key.ok_or("`secret_key` is missing from [default]")?;
    Ok(Keys { secret_id: id, secret_key: key, token: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tccli_credential_files() {
        let c = parse_tccli_credential(r#"{"secretId":"id","secretKey":"key","token":""}"#).unwrap();
        assert_eq!((c.secret_id.as_str(), c.secret_key.as_str(), c.token), ("id", "key", None));
        assert_eq!(parse_tccli_credential(r#"{"secretId":"id"}"#).unwrap_err(), "`secretKey` is missing");
        let err = parse_tccli_credential(r#"{"secretId": "id", "secretKey": "hunter2""#).unwrap_err();
        assert!(err.starts_with("not valid JSON") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn sdk_credential_files() {
        let c = parse_sdk_credentials("[default]\nsecret_id=a\nsecret_key = b \n").unwrap();
        assert_eq!((c.secret_id.as_str(), c.secret_key.as_str()), ("a", "b"));
        assert_eq!(parse_sdk_credentials("[x]\nsecret_id=a\n").unwrap_err(), "no [default] section");
        assert_eq!(
            parse_sdk_credentials("[default]\nsecret_id=a\n").unwrap_err(),
            "`secret_key` is missing from [default]"
        );
    }

    #[test]
    fn tccli_region_from_configure() {
        let home = std::env::temp_dir().join(format!("scf-sdk-profile-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(
            home.join(".tccli/default.configure"),
            r#"{"_sys_param":{"region":"ap-chengdu","output":"json"},"scf":{"endpoint":"scf.tencentcloudapi.com"}}"#,
        )
        .unwrap();
        let env = Environment::from_vars([("HOME", home.display().to_string())]);
        assert_eq!(tccli_region(&env).as_deref(), Some("ap-chengdu"));
        let other = Environment::from_vars([("HOME", home.display().to_string()), ("TCCLI_PROFILE", "x".to_owned())]);
        assert_eq!(tccli_region(&other), None);
        std::fs::remove_dir_all(&home).unwrap();
    }
}
