//! Where configuration comes from: environment variables and the home directory.
//!
//! Everything that reads the environment takes an [`Environment`], so tests (and programs that manage
//! several profiles) can supply their own variables and home directory instead of mutating the
//! process's.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A source of environment variables and a home directory.
///
/// `Debug` shows the variables' names, never their values: any of them may hold a secret
/// (`TENCENTCLOUD_SECRET_KEY`, a token, a password).
#[derive(Clone, Default)]
pub struct Environment {
    /// `None`: the process environment.
    vars: Option<Arc<BTreeMap<String, String>>>,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Environment(process)"),
            Some(vars) => f.debug_struct("Environment").field("names", &vars.keys().collect::<Vec<_>>()).finish(),
        }
    }
}

impl Environment {
    /// The process's environment.
    pub fn process() -> Self {
        Self { vars: None }
    }

    /// Exactly these variables (`HOME` among them, if the home directory matters).
    pub fn from_vars<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self { vars: Some(Arc::new(vars)) }
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
        assert_eq!(format!("{:?}", Environment::process()), "Environment(process)");
    }
}
