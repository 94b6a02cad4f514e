//! Where configuration comes from: environment variables, the home directory and the system-wide
//! configuration directory.
//!
//! Everything that reads the environment takes an [`Environment`], so tests (and programs that manage
//! several profiles) can supply their own variables, home directory and system directory instead of
//! mutating the process's or reading the machine's.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a process reads system-wide configuration (`tencentcloud/credentials`).
pub const SYSTEM_DIR: &str = "/etc";

/// A source of environment variables, a home directory and a system-wide configuration directory.
///
/// `Debug` shows the variables' names, never their values: any of them may hold a secret
/// (`TENCENTCLOUD_SECRET_KEY`, a token, a password).
#[derive(Clone)]
pub struct Environment {
    /// `None`: the process environment.
    vars: Option<Arc<BTreeMap<String, String>>>,
    /// Where system-wide files are read (`/etc` for the process); `None`: nowhere.
    system_dir: Option<Arc<PathBuf>>,
}

impl Default for Environment {
    fn default() -> Self {
        Self::process()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = f.debug_struct("Environment");
        match &self.vars {
            None => shown.field("vars", &"process"),
            Some(vars) => shown.field("names", &vars.keys().collect::<Vec<_>>()),
        };
        shown.field("system_dir", &self.system_dir.as_deref()).finish()
    }
}

impl Environment {
    /// The process's environment, with [`SYSTEM_DIR`] as the system directory.
    pub fn process() -> Self {
        Self { vars: None, system_dir: Some(Arc::new(PathBuf::from(SYSTEM_DIR))) }
    }

    /// Exactly these variables (`HOME` among them, if the home directory matters), and no
    /// system-wide files unless [`with_system_dir`](Self::with_system_dir) names a directory: a
    /// test never reads the machine's `/etc`.
    pub fn from_vars<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { vars: Some(Arc::new(vars)), system_dir: None }
    }

    /// Reads system-wide files (`tencentcloud/credentials`) under `dir` instead of `/etc`.
    pub fn with_system_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.system_dir = Some(Arc::new(dir.into()));
        self
    }

    /// The system-wide configuration directory, if this environment has one.
    pub fn system_dir(&self) -> Option<&std::path::Path> {
        self.system_dir.as_deref().map(PathBuf::as_path)
    }

    /// A variable's value; unset, empty and non-UTF-8 values all count as absent.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// Every variable whose name starts with `prefix`.
    pub fn vars_with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        let matching = |(k, v): (String, String)| (k.starts_with(prefix) && !v.trim().is_empty()).then_some((k, v));
        match &self.vars {
            Some(vars) => vars.iter().map(|(k, v)| (k.clone(), v.clone())).filter_map(matching).collect(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .filter_map(matching)
                .collect(),
        }
    }

    /// The user's home directory: `HOME`, or `USERPROFILE` on Windows.
    pub fn home(&self) -> Option<PathBuf> {
        self.var("HOME").or_else(|| self.var("USERPROFILE")).map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_variables_replace_the_process_environment() {
        let env = Environment::from_vars([("HOME", "/home/u"), ("EMPTY", " "), ("TENCENTCLOUD_A", "1")]);
        assert_eq!(env.var("HOME").as_deref(), Some("/home/u"));
        assert_eq!(env.var("EMPTY"), None);
        assert_eq!(env.var("PATH"), None);
        assert_eq!(env.home(), Some(PathBuf::from("/home/u")));
        assert_eq!(env.vars_with_prefix("TENCENTCLOUD_").len(), 1);
    }

    #[test]
    fn debug_shows_names_and_never_values() {
        let env = Environment::from_vars([("TENCENTCLOUD_SECRET_KEY", "k3y-value"), ("HOME", "/home/u")]);
        for shown in [format!("{env:?}"), format!("{env:#?}")] {
            assert!(shown.contains("TENCENTCLOUD_SECRET_KEY") && shown.contains("HOME"), "{shown}");
            assert!(!shown.contains("k3y-value") && !shown.contains("/home/u"), "{shown}");
        }
        let process = format!("{:?}", Environment::process());
        assert_eq!(process, r#"Environment { vars: "process", system_dir: Some("/etc") }"#);
    }
}
