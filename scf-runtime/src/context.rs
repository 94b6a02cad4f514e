//! [`Context`]: what a handler knows about the invocation and the function.

use std::time::{Duration, Instant};

/// The invocation and the function it runs in: SCF's `context`.
///
/// The request id, memory and time limit come with each event; the function's name, version,
/// namespace, region, appid and uin come from the environment SCF sets (`SCF_FUNCTIONNAME`,
/// `SCF_FUNCTIONVERSION`, `SCF_NAMESPACE`, `TENCENTCLOUD_REGION`, `TENCENTCLOUD_APPID`,
/// `TENCENTCLOUD_UIN`).
///
/// In a test, start from [`Context::default`] and set what matters:
///
/// ```
/// let mut ctx = scf_runtime::Context::default();
/// ctx.request_id = "test-1".into();
/// assert_eq!(ctx.function_version, "$LATEST");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Context {
    /// The invocation's id (SCF's `FunctionRequestId`): it names the invocation in the logs.
    pub request_id: String,
    /// The function's name.
    pub function_name: String,
    /// The version that runs: `$LATEST` or a number.
    pub function_version: String,
    /// The function's namespace (`default` unless one was chosen).
    pub namespace: String,
    /// The function's memory, in MB.
    pub memory_limit_in_mb: u64,
    /// The function's timeout, in milliseconds.
    pub time_limit_in_ms: u64,
    /// When the invocation times out: `time_limit_in_ms` after the event arrived.
    pub deadline: Instant,
    /// The region the function runs in (`ap-guangzhou`), when the platform says.
    pub region: Option<String>,
    /// The account's AppId, when the platform says.
    pub appid: Option<String>,
    /// The account's UIN, when the platform says.
    pub uin: Option<String>,
}

impl Context {
    /// How long is left before the invocation times out (zero once it has).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

impl Default for Context {
    /// A context for tests: no request id, function `""` at `$LATEST` in namespace `default`,
    /// 128 MB, 3 s from now.
    fn default() -> Context {
        Context {
            request_id: String::new(),
            function_name: String::new(),
            function_version: "$LATEST".into(),
            namespace: "default".into(),
            memory_limit_in_mb: 128,
            time_limit_in_ms: 3000,
            deadline: Instant::now() + Duration::from_millis(3000),
            region: None,
            appid: None,
            uin: None,
        }
    }
}

/// The values of [`Context`] that stay the same for the process's life, read once at start.
#[derive(Debug, Clone)]
pub(crate) struct FunctionEnvironment {
    function_name: String,
    function_version: String,
    namespace: String,
    region: Option<String>,
    appid: Option<String>,
    uin: Option<String>,
}

impl FunctionEnvironment {
    /// From the process's environment; the defaults are the Python runtime's.
    pub fn from_env() -> FunctionEnvironment {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> FunctionEnvironment {
        let set = |name: &str| lookup(name).filter(|value| !value.is_empty());
        FunctionEnvironment {
            function_name: set("SCF_FUNCTIONNAME").unwrap_or_default(),
            function_version: set("SCF_FUNCTIONVERSION").unwrap_or_else(|| "$LATEST".into()),
            namespace: set("SCF_NAMESPACE").unwrap_or_else(|| "default".into()),
            region: set("TENCENTCLOUD_REGION"),
            appid: set("TENCENTCLOUD_APPID"),
            uin: set("TENCENTCLOUD_UIN"),
        }
    }

    /// The context of an invocation that arrived at `arrived`.
    pub fn context(&self, request_id: String, memory_mb: u64, time_limit_ms: u64, arrived: Instant) -> Context {
        Context {
            request_id,
            function_name: self.function_name.clone(),
            function_version: self.function_version.clone(),
            namespace: self.namespace.clone(),
            memory_limit_in_mb: memory_mb,
            time_limit_in_ms: time_limit_ms,
            deadline: arrived + Duration::from_millis(time_limit_ms),
            region: self.region.clone(),
            appid: self.appid.clone(),
            uin: self.uin.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_from_the_environment() {
        let values = [
            ("SCF_FUNCTIONNAME", "hello"),
            ("SCF_FUNCTIONVERSION", "3"),
            ("SCF_NAMESPACE", "team"),
            ("TENCENTCLOUD_REGION", "ap-shanghai"),
            ("TENCENTCLOUD_APPID", "1250000000"),
            ("TENCENTCLOUD_UIN", ""),
        ];
        let environment = FunctionEnvironment::from_lookup(|name| {
            values.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
        });
        let arrived = Instant::now();
        let ctx = environment.context("req-1".into(), 256, 1500, arrived);
        assert_eq!(ctx.request_id, "req-1");
        assert_eq!((ctx.function_name.as_str(), ctx.function_version.as_str()), ("hello", "3"));
        assert_eq!(ctx.namespace, "team");
        assert_eq!((ctx.memory_limit_in_mb, ctx.time_limit_in_ms), (256, 1500));
        assert_eq!(ctx.deadline, arrived + Duration::from_millis(1500));
        assert!(ctx.remaining() <= Duration::from_millis(1500));
        assert_eq!(ctx.region.as_deref(), Some("ap-shanghai"));
        assert_eq!(ctx.appid.as_deref(), Some("1250000000"));
        assert_eq!(ctx.uin, None, "empty is unset");

        let bare = FunctionEnvironment::from_lookup(|_| None).context("r".into(), 128, 0, arrived);
        assert_eq!((bare.function_version.as_str(), bare.namespace.as_str()), ("$LATEST", "default"));
        assert_eq!(bare.remaining(), Duration::ZERO);
    }
}
