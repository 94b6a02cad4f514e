//! `scf deploy DIR`: zips a directory (honouring `.gitignore` and `.scfignore`), creates the
//! function or updates its code and configuration, and waits until it is `Active` — what one would
//! do by hand with `create-function` or `update-function-code`, then `get-function` in a loop, with
//! exactly those API calls, so it works the same against the service and against `scf local`.
//!
//! Its flags for the function's settings are `CreateFunction`'s members, made by the same code as
//! every action's flags.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::{Arg, ArgAction, ArgMatches, Command, ValueHint, value_parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scf_sdk::catalog;
use scf_sdk::runtime::{
    ActionDescriptor, ApiClient, MemberDescriptor, ReqwestTransport, TransportSettings, validate_input,
};
use serde_json::{Map, Value, json};

use crate::action;
use crate::cli::{flag_name, member_arg};
use crate::exit::{CliError, Kind, Source};
use crate::globals::{self, Globals};
use crate::json::Json;

/// The members of `CreateFunction` that `deploy` takes as flags.
const SETTINGS: [&str; 7] = ["FunctionName", "Namespace", "Runtime", "Handler", "MemorySize", "Timeout", "Description"];
/// Of those, the ones `UpdateFunctionConfiguration` changes on an existing function.
const CONFIGURATION: [&str; 4] = ["Runtime", "MemorySize", "Timeout", "Description"];
const DIR: &str = "dir";
const ENV: &str = "env";
const WAIT_TIMEOUT: &str = "wait-timeout";
/// The limit on each request of a deploy unless `--timeout` (before `deploy`) says otherwise:
/// uploads take longer than other calls.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

fn descriptor(name: &str) -> Result<&'static ActionDescriptor, CliError> {
    catalog::action(name).ok_or_else(|| CliError::internal(format!("the catalogue has no `{name}`")))
}

fn settings() -> impl Iterator<Item = &'static MemberDescriptor> {
    let create = catalog::action("CreateFunction");
    SETTINGS.into_iter().filter_map(move |name| create.and_then(|a| a.input_member(name)))
}

/// `scf deploy`.
pub fn command() -> Command {
    let mut command = Command::new("deploy")
        .about("Zip a directory, create or update the function, and wait until it is Active")
        .long_about(
            "Zips DIR — honouring .gitignore and .scfignore files (gitignore syntax), leaving out .git — then \
             creates the function (CreateFunction) or, if it exists, updates its code (UpdateFunctionCode) and the \
             settings given here (UpdateFunctionConfiguration), and waits until it is Active (GetFunction). \
             Prints the function as GetFunction describes it.\n\n\
             Packages go inline, base64 in the request: at most about 7.5 MB zipped (the API takes 10 MB per \
             request). Larger ones go through COS: create-function --code '{\"CosBucketName\": …}'.",
        )
        .max_term_width(100)
        .arg(
            Arg::new(DIR)
                .value_name("DIR")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .value_hint(ValueHint::DirPath)
                .help("The directory to deploy; its contents become the root of the code package"),
        );
    let mut taken = Vec::new();
    for member in settings() {
        command = command.arg(member_arg(member, &[]));
        taken.push(flag_name(member.name));
    }
    command =
        command
            .arg(
                Arg::new(ENV).long(ENV).value_name("KEY=VALUE").action(ArgAction::Append).value_parser(env_pair).help(
                    "An environment variable of the function (repeat for more); replaces the function's variables",
                ),
            )
            .arg(
                Arg::new(WAIT_TIMEOUT)
                    .long(WAIT_TIMEOUT)
                    .value_name("SECONDS")
                    .value_parser(value_parser!(u64).range(1..=3600))
                    .default_value("300")
                    .help("How long to wait for the function to become Active"),
            );
    command = globals::add(command, &taken, true);
    command.after_long_help(
        "Here --timeout is the function's Timeout. The CLI's own --timeout goes before `deploy`:\n  \
         scf --timeout 600 deploy …",
    )
}

fn env_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE".into()),
    }
}

/// A code package.
#[derive(Debug)]
pub struct Package {
    /// The zip archive.
    pub zip: Vec<u8>,
    /// The paths inside it, sorted.
    pub files: Vec<String>,
}

/// Zips the files under `dir` that no `.gitignore` or `.scfignore` excludes (nor `.git`), in a
/// deterministic archive: sorted paths, fixed times, executable bits kept.
pub fn package(dir: &Path) -> Result<Package, CliError> {
    let fail = |why: String| CliError::usage(format!("cannot package `{}`: {why}", dir.display()));
    if !dir.is_dir() {
        return Err(CliError::usage(format!("`{}` is not a directory", dir.display())));
    }
    // Only the ignore files inside DIR count: a `.gitignore` above it (a home directory's, say)
    // is not about this package.
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .follow_links(true)
        .add_custom_ignore_filename(".scfignore")
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    let mut entries = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| fail(e.to_string()))?;
        let path = entry.path();
        // Symbolic links are followed: to a file, it is packaged; to a directory, it is walked (the
        // walker stops at a loop).
        if entry.file_type().is_some_and(|t| t.is_dir()) || !path.is_file() {
            continue;
        }
        let Ok(relative) = path.strip_prefix(dir) else { continue };
        let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let content = std::fs::read(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        entries.push((name, content, mode(path)));
    }
    if entries.is_empty() {
        return Err(CliError::usage(format!(
            "nothing to deploy: `{}` has no files (after .gitignore and .scfignore)",
            dir.display()
        )));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let bad = |e: &dyn std::fmt::Display| CliError::internal(format!("cannot write the zip archive: {e}"));
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content, mode) in &entries {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode)
            .last_modified_time(zip::DateTime::default());
        writer.start_file(name.as_str(), options).map_err(|e| bad(&e))?;
        writer.write_all(content).map_err(|e| bad(&e))?;
    }
    let zip = writer.finish().map_err(|e| bad(&e))?.into_inner();
    Ok(Package { zip, files: entries.into_iter().map(|(name, ..)| name).collect() })
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode(_: &Path) -> u32 {
    0o644
}

/// What the command line asks to deploy.
struct Spec {
    name: String,
    /// The members given as flags (`FunctionName`, `Runtime`, …), as sent.
    settings: Map<String, Value>,
    environment: Option<Value>,
    wait: Duration,
}

impl Spec {
    /// `FunctionName`, and `Namespace` if given: what names the function in every request.
    fn target(&self) -> Map<String, Value> {
        self.only(&["FunctionName", "Namespace"])
    }

    fn only(&self, names: &[&str]) -> Map<String, Value> {
        self.settings.iter().filter(|(k, _)| names.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn source_of(member: &str) -> Option<Source> {
        match member {
            "ZipFile" | "Code" => Some(Source::Container("the package".into())),
            "Environment" => Some(Source::Flag("--env".into())),
            other => SETTINGS.contains(&other).then(|| Source::Flag(format!("--{}", flag_name(other)))),
        }
    }
}

/// Runs `scf deploy`.
pub fn run(globals: &Globals, matches: &ArgMatches) -> Result<(), CliError> {
    let get_function = descriptor("GetFunction")?;
    let query = action::checked_query(globals, get_function)?;
    let dir = matches
        .try_get_one::<PathBuf>(DIR)
        .ok()
        .flatten()
        .ok_or_else(|| CliError::usage("deploy needs a directory"))?;
    let mut given = Map::new();
    for member in settings() {
        if let Some(value) = matches.try_get_one::<Value>(member.name).ok().flatten() {
            given.insert(member.name.to_owned(), value.clone());
        }
    }
    let name = given.get("FunctionName").and_then(Value::as_str).unwrap_or_default().to_owned();
    let environment = matches.try_get_many::<(String, String)>(ENV).ok().flatten().map(|pairs| {
        let variables: Vec<Value> = pairs.map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        json!({ "Variables": variables })
    });
    let wait = matches.try_get_one::<u64>(WAIT_TIMEOUT).ok().flatten().copied().unwrap_or(300);
    let spec = Spec { name, settings: given, environment, wait: Duration::from_secs(wait) };

    // Check the settings before reading files or the network: the request as CreateFunction takes it.
    let mut create = spec.settings.clone();
    if let Some(environment) = &spec.environment {
        create.insert("Environment".into(), environment.clone());
    }
    create.insert("Code".into(), json!({ "ZipFile": "" }));
    let create_function = descriptor("CreateFunction")?;
    validate_input(create_function, &Value::Object(create.clone()))
        .map_err(|e| CliError::from_sdk(scf_sdk::runtime::Error::Validation(e), Spec::source_of))?;

    let started = Instant::now();
    let package = package(dir)?;
    let zipped = base64::engine::general_purpose::STANDARD.encode(&package.zip);
    note(&format!(
        "Packaged {} file{} from {} ({} zipped).",
        package.files.len(),
        if package.files.len() == 1 { "" } else { "s" },
        dir.display(),
        size(package.zip.len() as u64)
    ));
    tracing::debug!(files = ?package.files, "packaged");

    let terminal = std::io::stderr().is_terminal();
    let upload_bar = ProgressBar::hidden();
    let timeout = globals.timeout_or(UPLOAD_TIMEOUT);
    // Ordinary calls (status polls, configuration) keep the ordinary limit; only uploads get longer.
    let client = ApiClient::new(globals::checked(globals.config_builder(globals::DEFAULT_TIMEOUT)?.build())?)
        .map_err(|e| CliError::config(e.message))?;
    let progress = upload_bar.clone();
    let transport = ReqwestTransport::new(TransportSettings {
        connect_timeout: Duration::from_secs(10),
        timeout,
        max_response_bytes: 32 * 1024 * 1024,
    })
    .map_err(|e| CliError::config(e.to_string()))?
    .with_upload_progress(move |sent, total| {
        progress.set_length(total);
        progress.set_position(sent);
    });
    let uploader =
        ApiClient::new(globals::checked(globals.config_builder(UPLOAD_TIMEOUT)?.transport(transport).build())?)
            .map_err(|e| CliError::config(e.message))?;
    let deadline = Instant::now() + spec.wait;
    let deployer = Deployer { client, uploader, upload_bar, terminal, spec: &spec, deadline };

    let function = action::runtime()?.block_on(deployer.deploy(create, zipped)).map_err(|mut e| {
        if e.kind == Kind::Usage && e.field.as_deref() == Some("request") {
            e.message.push_str(
                "; larger packages go through COS: upload the zip, then create-function --code \
                 '{\"CosBucketName\": …, \"CosObjectName\": …}'",
            );
        }
        e
    })?;
    note(&format!("`{}` is Active ({:.1} s).", spec.name, started.elapsed().as_secs_f64()));
    action::print(&function, globals, query.as_ref())
}

/// A progress line on stderr.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

struct Deployer<'a> {
    client: ApiClient,
    /// The same configuration, with a transport that reports upload progress.
    uploader: ApiClient,
    upload_bar: ProgressBar,
    terminal: bool,
    spec: &'a Spec,
    /// When waiting for the function ends (`--wait-timeout`, for the whole deploy).
    deadline: Instant,
}

/// What a wait for the function's status waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// No change in progress: `Active`, a `…Failed` status, or gone.
    Settled,
    /// `Active`; a `…Failed` status, or the function going away, ends the wait with an error.
    Active,
}

impl Deployer<'_> {
    async fn deploy(&self, mut create: Map<String, Value>, zipped: String) -> Result<Json, CliError> {
        let name = &self.spec.name;
        // A change in progress (`Creating`, `Updating`, `Deleting`, …) is waited out; a failed one
        // is not an obstacle: new code is what fixes it.
        let existing = match self.get().await? {
            Some(function) if in_progress(status(&function)) => self.wait(Until::Settled).await?,
            existing => existing,
        };
        match existing {
            None => {
                note(&format!("Creating function `{name}`…"));
                create.insert("Code".into(), json!({ "ZipFile": zipped }));
                self.upload("CreateFunction", create).await?;
            }
            Some(_) => {
                note(&format!("Updating the code of `{name}`…"));
                let mut update = self.spec.target();
                update.extend(self.spec.only(&["Handler"]));
                update.insert("ZipFile".into(), Value::String(zipped));
                self.upload("UpdateFunctionCode", update).await?;
                let mut configuration = self.spec.only(&CONFIGURATION);
                if let Some(environment) = &self.spec.environment {
                    configuration.insert("Environment".into(), environment.clone());
                }
                if !configuration.is_empty() {
                    self.wait(Until::Active).await?;
                    note(&format!("Updating the configuration of `{name}`…"));
                    configuration.extend(self.spec.target());
                    self.send(&self.client, "UpdateFunctionConfiguration", configuration).await?;
                }
            }
        }
        self.wait(Until::Active)
            .await?
            .ok_or_else(|| CliError::new(Kind::NotActive, format!("`{name}` disappeared while deploying")))
    }

    async fn send(&self, client: &ApiClient, name: &str, params: Map<String, Value>) -> Result<Json, CliError> {
        action::send(client, descriptor(name)?, Value::Object(params), Spec::source_of).await
    }

    /// Sends the request that carries the package, with a progress bar on a terminal.
    async fn upload(&self, name: &str, params: Map<String, Value>) -> Result<Json, CliError> {
        if self.terminal {
            self.upload_bar.set_style(
                ProgressStyle::with_template("  uploading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.upload_bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let result = self.send(&self.uploader, name, params).await;
        self.upload_bar.finish_and_clear();
        result
    }

    /// The function, or `None` if it does not exist; no later than the deadline.
    async fn get(&self) -> Result<Option<Json>, CliError> {
        let left = self.deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(1));
        let call = self.send(&self.client, "GetFunction", self.spec.target());
        match tokio::time::timeout(left, call).await {
            Ok(Ok(function)) => Ok(Some(function)),
            Ok(Err(e)) if e.code.as_deref().is_some_and(|c| c.starts_with("ResourceNotFound.Function")) => Ok(None),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(self.late("no answer to GetFunction")),
        }
    }

    /// Polls `GetFunction` until `until` holds, or the deadline passes.
    async fn wait(&self, until: Until) -> Result<Option<Json>, CliError> {
        let name = &self.spec.name;
        let spinner = if self.terminal { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        spinner.enable_steady_tick(Duration::from_millis(120));
        let mut pause = Duration::from_millis(250);
        let result = loop {
            let Some(function) = self.get().await? else {
                break match until {
                    Until::Settled => Ok(None),
                    Until::Active => {
                        Err(CliError::new(Kind::NotActive, format!("`{name}` disappeared while deploying")))
                    }
                };
            };
            let status = status(&function).to_owned();
            if status == "Active" || (until == Until::Settled && !in_progress(&status)) {
                break Ok(Some(function));
            }
            if status.ends_with("Failed") {
                let mut why = function.get("StatusDesc").and_then(Json::as_str).unwrap_or_default().to_owned();
                if let Some(reasons) =
                    function.get("StatusReasons").filter(|r| !matches!(r, Json::Array(a) if a.is_empty()))
                {
                    why.push_str(&format!(" {}", reasons.to_compact()));
                }
                break Err(CliError::new(Kind::NotActive, format!("`{name}` is {status}: {}", why.trim())));
            }
            if Instant::now() >= self.deadline {
                break Err(self.late(&format!("`{name}` is still {status}")));
            }
            spinner.set_message(format!("waiting for `{name}` ({status})"));
            tokio::time::sleep(pause.min(self.deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        };
        spinner.finish_and_clear();
        result
    }

    fn late(&self, what: &str) -> CliError {
        CliError::new(Kind::NotActive, format!("{what} after {} s (--wait-timeout)", self.spec.wait.as_secs()))
    }
}

/// A status of a change still under way (`Creating`, `Updating`, `Publishing`, `Deleting`).
fn in_progress(status: &str) -> bool {
    status.ends_with("ing")
}

fn status(function: &Json) -> &str {
    function.get("Status").and_then(Json::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn names_in(zip: &[u8]) -> Vec<(String, String, u32)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut content = String::new();
                file.read_to_string(&mut content).unwrap();
                (file.name().unwrap().into_owned(), content, file.unix_mode().unwrap_or(0) & 0o777)
            })
            .collect()
    }

    #[test]
    fn every_setting_is_a_create_function_member() {
        assert_eq!(settings().count(), SETTINGS.len());
        let update = catalog::action("UpdateFunctionConfiguration").unwrap();
        for name in CONFIGURATION {
            assert!(update.input_member(name).is_some(), "{name}");
        }
        assert!(catalog::action("UpdateFunctionCode").unwrap().input_member("ZipFile").is_some());
    }

    #[test]
    fn packages_honour_ignore_files_and_keep_executable_bits() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("lib/tests")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("index.py"), "x = 1\n").unwrap();
        std::fs::write(root.join("bootstrap"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(root.join("bootstrap"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(root.join("lib/util.py"), "").unwrap();
        std::fs::write(root.join("lib/tests/test_util.py"), "").unwrap();
        std::fs::write(root.join("secret.env"), "KEY=1").unwrap();
        std::fs::write(root.join(".git/config"), "").unwrap();
        std::fs::write(root.join(".gitignore"), "*.env\n").unwrap();
        std::fs::write(root.join("lib/.scfignore"), "tests/\n").unwrap();
        let package = package(root).unwrap();
        assert_eq!(package.files, [".gitignore", "bootstrap", "index.py", "lib/.scfignore", "lib/util.py"]);
        let entries = names_in(&package.zip);
        assert_eq!(entries[1], ("bootstrap".to_owned(), "#!/bin/sh\n".to_owned(), 0o755));
        assert_eq!(entries[2].1, "x = 1\n");
        // Deterministic: the same files give the same archive.
        assert_eq!(package.zip, super::package(root).unwrap().zip);
    }

    #[test]
    fn nothing_to_package_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = package(dir.path()).unwrap_err();
        assert!(error.message.starts_with("nothing to deploy"), "{}", error.message);
        assert_eq!(error.kind.exit_code(), 2);
        let error = package(&dir.path().join("missing")).unwrap_err();
        assert!(error.message.ends_with("is not a directory"), "{}", error.message);
    }

    #[test]
    fn env_pairs() {
        assert_eq!(env_pair("A=b=c"), Ok(("A".to_owned(), "b=c".to_owned())));
        assert_eq!(env_pair("A="), Ok(("A".to_owned(), String::new())));
        assert!(env_pair("=x").is_err() && env_pair("novalue").is_err());
    }

    #[test]
    fn only_ignore_files_inside_the_directory_count_and_links_are_followed() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(".gitignore"), "*.cfg\n").unwrap();
        let shared = root.path().join("shared");
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::write(shared.join("util.py"), "X = 1\n").unwrap();
        let dir = root.path().join("fn");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.py"), "").unwrap();
        std::fs::write(dir.join("app.cfg"), "").unwrap();
        std::fs::write(dir.join(".scfignore"), "secret.txt\n").unwrap();
        std::fs::write(dir.join("secret.txt"), "").unwrap();
        std::os::unix::fs::symlink(&shared, dir.join("lib")).unwrap();
        let package = package(&dir).unwrap();
        assert_eq!(package.files, [".scfignore", "app.cfg", "index.py", "lib/util.py"]);
    }
}
