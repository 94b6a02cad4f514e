//! The global options — `--region`, `--profile`, `--endpoint-url`, `--allow-insecure-http`,
//! `--language`, `--output`, `--query`, `--timeout`, `--debug` — and the SDK configuration they
//! make.
//!
//! Credentials and region come through the SDK's default chain, exactly as an SDK program gets
//! them: the environment (`TENCENTCLOUD_SECRET_ID`, `_SECRET_KEY`, `_TOKEN`, `TENCENTCLOUD_REGION`),
//! then the tccli profile (`~/.tccli/<TCCLI_PROFILE or default>.credential` and `.configure`), then
//! the SDK profile (`~/.tencentcloud/credentials`). `--profile NAME` does what tccli's does: that
//! profile's files alone, the environment's keys and region ignored. `--region` wins over all.
//!
//! Global options are accepted before or after the command name. Clap's own `global(true)` cannot
//! be used: a member may take a global's name (`CreateFunction`'s `Timeout` is `--timeout`), and
//! there the member wins; the global can still be given before the command name.

use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use scf_sdk::runtime::credentials::TccliProfileCredentials;
use scf_sdk::runtime::{Config, ConfigBuilder, Environment, Language};

use crate::exit::CliError;
use crate::output::{Format, Query};

const HEADING: &str = "Global options";
const REGION: &str = "region";
const PROFILE: &str = "profile";
const ENDPOINT_URL: &str = "endpoint-url";
const ALLOW_INSECURE_HTTP: &str = "allow-insecure-http";
const LANGUAGE: &str = "language";
const OUTPUT: &str = "output";
const QUERY: &str = "query";
const TIMEOUT: &str = "timeout";
const DEBUG: &str = "debug";

/// How long the CLI waits for an answer unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The same for actions that run a function synchronously: SCF runs one for up to 900 s.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(905);

/// The global options' flags.
fn args() -> Vec<Arg> {
    let regions = scf_sdk::catalog::SERVICE.regions.join(", ");
    vec![
        Arg::new(REGION)
            .long(REGION)
            .value_name("REGION")
            .help("Region to call, e.g. ap-guangzhou [default: TENCENTCLOUD_REGION, else the tccli profile's]")
            .long_help(format!(
                "Region to call, e.g. ap-guangzhou. Without it: TENCENTCLOUD_REGION, else the region of the tccli \
                 profile (~/.tccli/<profile>.configure).\n\nKnown regions: {regions}."
            )),
        Arg::new(PROFILE)
            .long(PROFILE)
            .value_name("NAME")
            .value_parser(profile_name)
            .help("tccli profile: ~/.tccli/NAME.credential and NAME.configure, as tccli's --profile")
            .long_help(
                "The tccli profile to use: credentials from ~/.tccli/NAME.credential, region from \
                 ~/.tccli/NAME.configure. As with tccli's --profile, TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, \
                 TENCENTCLOUD_TOKEN and TENCENTCLOUD_REGION are then ignored. Without it, the SDK's default chain \
                 applies: the environment, then the tccli profile named by TCCLI_PROFILE (or `default`), then \
                 ~/.tencentcloud/credentials.",
            ),
        Arg::new(ENDPOINT_URL)
            .long(ENDPOINT_URL)
            .value_name("URL")
            .value_hint(clap::ValueHint::Url)
            .help("Send requests to this URL, e.g. http://127.0.0.1:9100 for `scf local serve`")
            .long_help(
                "Send requests to this URL instead of the public endpoint: an emulator (`scf local serve`: \
                 http://127.0.0.1:9100), a proxy. Without it: TENCENTCLOUD_ENDPOINT_URL_SCF, else \
                 TENCENTCLOUD_ENDPOINT_URL, else https://scf.tencentcloudapi.com. https://, or http:// to this \
                 machine only (localhost, 127.0.0.0/8, [::1]) unless --allow-insecure-http.",
            ),
        Arg::new(ALLOW_INSECURE_HTTP)
            .long(ALLOW_INSECURE_HTTP)
            .action(ArgAction::SetTrue)
            .help("Allow an http:// endpoint URL on another host than this machine (keys and signatures in clear)")
            .long_help(
                "Allow an http:// endpoint URL on another host than this machine, e.g. an emulator in another \
                 container. Without it such a URL is refused (exit code 3): over plain HTTP the SecretId, the \
                 session token and every request's signature travel in clear, readable and replayable by anyone \
                 on the way.",
            ),
        Arg::new(LANGUAGE)
            .long(LANGUAGE)
            .value_name("LANGUAGE")
            .value_parser(["zh-CN", "en-US"])
            .help("Language of the service's error messages [default: the service's, zh-CN]"),
        Arg::new(OUTPUT)
            .long(OUTPUT)
            .value_name("FORMAT")
            .value_parser(Format::NAMES)
            .help("Output format: json (indented on a terminal), table, or text (tab-separated) [default: json]"),
        Arg::new(QUERY)
            .long(QUERY)
            .value_name("PATH")
            .help("Print only this part of the answer, e.g. Result.RetMsg or Functions[].FunctionName")
            .long_help(
                "Print only this part of the answer: member names joined by dots, [N] for a list's item \
                 (negative from the end), [] for every item. E.g. Result.RetMsg, Functions[0].FunctionName, \
                 Functions[].FunctionName. The path is checked against the action's output members before \
                 the request is sent; a part that is absent from an answer prints as null.",
            ),
        Arg::new(TIMEOUT)
            .long(TIMEOUT)
            .value_name("SECONDS")
            .value_parser(value_parser!(u64).range(1..=86_400))
            .help("Limit on each HTTP attempt [default: 60; 905 for actions that run a function]"),
        Arg::new(DEBUG)
            .long(DEBUG)
            .action(ArgAction::SetTrue)
            .help("Log what the CLI and the SDK do to stderr (secrets and sensitive members redacted)"),
    ]
    .into_iter()
    .map(|arg| arg.help_heading(HEADING))
    .collect()
}

/// A profile name is a file name under `~/.tccli`.
fn profile_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err("a profile name has letters, digits, `-`, `_` and `.`, and does not start with `.`".into())
    }
}

/// Adds the global options to `command`, except those whose names its own flags already have.
/// `detailed`: with their long help (for a command's `--help`; the root's stays a summary).
pub fn add(mut command: Command, taken: &[String], detailed: bool) -> Command {
    for arg in args() {
        let arg = if detailed { arg } else { arg.long_help(None) };
        let shadowed = arg.get_long().is_some_and(|long| taken.iter().any(|t| t == long));
        if !shadowed {
            command = command.arg(arg);
        }
    }
    command
}

/// The global options' names that `taken` shadows (`timeout` for `create-function`).
pub fn shadowed(taken: &[String]) -> Vec<&'static str> {
    [REGION, PROFILE, ENDPOINT_URL, ALLOW_INSECURE_HTTP, LANGUAGE, OUTPUT, QUERY, TIMEOUT, DEBUG]
        .into_iter()
        .filter(|name| taken.iter().any(|t| t == name))
        .collect()
}

/// The global options as given, after the command name or before it.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub allow_insecure_http: bool,
    pub language: Option<Language>,
    pub format: Format,
    pub query: Option<String>,
    pub timeout: Option<Duration>,
    pub debug: bool,
}

impl Globals {
    /// Reads the options from the command's matches first, then from the root's.
    pub fn read(root: &ArgMatches, command: Option<&ArgMatches>) -> Globals {
        let levels: Vec<&ArgMatches> = command.into_iter().chain([root]).collect();
        let string = |id: &str| levels.iter().find_map(|m| m.try_get_one::<String>(id).ok().flatten().cloned());
        let flag = |id: &str| levels.iter().any(|m| m.try_get_one::<bool>(id).ok().flatten().copied().unwrap_or(false));
        Globals {
            region: string(REGION),
            profile: string(PROFILE),
            endpoint_url: string(ENDPOINT_URL),
            allow_insecure_http: flag(ALLOW_INSECURE_HTTP),
            language: string(LANGUAGE).map(|l| if l == "en-US" { Language::EnUs } else { Language::ZhCn }),
            format: string(OUTPUT).and_then(|o| Format::from_name(&o)).unwrap_or_default(),
            query: string(QUERY),
            timeout: levels
                .iter()
                .find_map(|m| m.try_get_one::<u64>(TIMEOUT).ok().flatten().copied())
                .map(Duration::from_secs),
            debug: flag(DEBUG),
        }
    }

    /// The parsed `--query`, if given.
    pub fn query(&self) -> Result<Option<Query>, CliError> {
        self.query.as_deref().map(|q| Query::parse(q).map_err(|e| CliError::usage(format!("--query {e}")))).transpose()
    }

    /// The limit on each HTTP attempt.
    pub fn timeout_or(&self, default: Duration) -> Duration {
        self.timeout.unwrap_or(default)
    }

    /// A configuration builder: the default chain (or the `--profile`), then the flags.
    pub fn config_builder(&self, default_timeout: Duration) -> Result<ConfigBuilder, CliError> {
        let mut builder = match &self.profile {
            None => ConfigBuilder::from_env(),
            Some(name) => {
                let env = profile_environment(name);
                let home =
                    env.home().ok_or_else(|| CliError::config("--profile: no home directory (HOME is not set)"))?;
                let dir = home.join(".tccli");
                let exists =
                    ["credential", "configure"].iter().any(|kind| dir.join(format!("{name}.{kind}")).is_file());
                if !exists {
                    return Err(CliError::config(format!(
                        "--profile {name}: no such tccli profile (neither {0}/{name}.credential nor {0}/{name}.configure exists)",
                        dir.display()
                    )));
                }
                ConfigBuilder::from_environment(env.clone()).credentials(TccliProfileCredentials::new(env))
            }
        };
        if let Some(region) = &self.region {
            builder = builder.region(region);
        }
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        if self.allow_insecure_http {
            builder = builder.allow_insecure_http(true);
        }
        if let Some(language) = self.language {
            builder = builder.language(language);
        }
        Ok(builder.timeout(self.timeout_or(default_timeout)))
    }
}

/// The configuration, checked for what the CLI needs before sending: a region.
pub fn checked(config: Config) -> Result<Config, CliError> {
    if config.region().is_none() {
        return Err(CliError::config(
            "no region: pass --region (e.g. --region ap-guangzhou), set TENCENTCLOUD_REGION, or set one in the tccli \
             profile (`tccli configure`)",
        ));
    }
    Ok(config)
}

/// The process environment as `--profile NAME` sees it: that tccli profile, and none of the
/// environment's keys or region (tccli ignores them when a profile is named); the system-wide
/// files as the process reads them.
fn profile_environment(name: &str) -> Environment {
    const IGNORED: [&str; 5] = [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_TOKEN",
        "TENCENTCLOUD_REGION",
        "TCCLI_PROFILE",
    ];
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
        .chain([("TCCLI_PROFILE".to_owned(), name.to_owned())]);
    Environment::from_vars(vars).with_system_dir(scf_sdk::runtime::SYSTEM_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Globals {
        let root =
            add(Command::new("scf").subcommand(add(Command::new("x"), &["timeout".to_owned()], true)), &[], false);
        let matches = root.try_get_matches_from(args).unwrap();
        Globals::read(&matches, matches.subcommand().map(|(_, m)| m))
    }

    #[test]
    fn globals_go_before_or_after_the_command_and_after_wins() {
        let globals =
            parse(&["scf", "--region", "ap-beijing", "--output", "table", "x", "--region", "ap-chengdu", "--debug"]);
        assert_eq!(globals.region.as_deref(), Some("ap-chengdu"));
        assert_eq!(globals.format, Format::Table);
        assert!(globals.debug);
        assert_eq!(parse(&["scf", "x"]).format, Format::Json);
    }

    #[test]
    fn a_member_shadows_a_global_of_the_same_name_after_the_command_only() {
        assert_eq!(shadowed(&["timeout".to_owned(), "function-name".to_owned()]), ["timeout"]);
        assert_eq!(parse(&["scf", "--timeout", "9", "x"]).timeout, Some(Duration::from_secs(9)));
        let root =
            add(Command::new("scf").subcommand(add(Command::new("x"), &["timeout".to_owned()], true)), &[], false);
        assert!(
            root.try_get_matches_from(["scf", "x", "--timeout", "9"]).is_err(),
            "`x` has no --timeout of its own here"
        );
    }

    #[test]
    fn profile_names_are_file_names() {
        assert!(profile_name("work-2.cn").is_ok());
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(profile_name(bad).is_err(), "{bad:?}");
        }
    }
}
