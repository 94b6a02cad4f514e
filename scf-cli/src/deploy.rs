//! `scf deploy DIR`: zips a directory (honouring `.gitignore` and `.scfignore`), creates the
//! function or updates its code and configuration, and waits until it is `Active` — what one would
//! do by hand with `create-function` or `update-function-code`, then `scf wait function-active`,
//! with exactly those API calls (typed requests, and the SDK's `FunctionActive` waiter), so it works
//! the same against the service and against `scf local`.
//!
//! Its flags for the function's settings are `CreateFunction`'s members, made by the same code as
//! every action's flags.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::{Arg, ArgAction, ArgMatches, Command, ValueHint, value_parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scf_package::{PackageError, PackageWriter};
use scf_sdk::actions::{
    CreateFunctionRequest, GetFunctionRequest, GetFunctionResponse, UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
};
use scf_sdk::catalog::waiters::FUNCTION_DELETED;
use scf_sdk::runtime::{
    Action, MAX_POST_BYTES, MemberDescriptor, ReqwestTransport, TransportSettings, TypeDescriptor, WaitError,
    WaitErrorKind, WaiterState, validate_input,
};
use scf_sdk::types::{Code, Environment, FunctionStatus, Runtime, Variable};
use scf_sdk::{Client, ErrorCode};
use serde_json::Value;

use crate::action;
use crate::cargo_package;
use crate::exit::{CliError, Kind, Source};
use crate::flags::{flag_name, member_arg};
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

fn settings() -> impl Iterator<Item = &'static MemberDescriptor> {
    SETTINGS.into_iter().filter_map(|name| CreateFunctionRequest::DESCRIPTOR.input_member(name))
}

/// `scf deploy`.
pub fn command() -> Command {
    let mut command = Command::new("deploy")
        .about("Zip a directory, create or update the function, and wait until it is Active")
        .long_about(
            "Zips DIR — honouring .gitignore and .scfignore files (gitignore syntax), leaving out .git, following \
             symbolic links (a warning names any that leads outside DIR; a loop is an error) — then \
             creates the function (CreateFunction) or, if it exists, updates its code (UpdateFunctionCode) and the \
             settings given here (UpdateFunctionConfiguration), and waits until it is Active (GetFunction). \
             Prints the function as GetFunction describes it.\n\n\
             Packages go inline, base64 in the request: at most about 7.5 MB zipped (the API takes 10 MB per \
             request). Larger ones go through COS: create-function --code '{\"CosBucketName\": …}'.\n\n\
             If DIR holds a Cargo package (a Cargo.toml), it is built first (cargo build --release for --target, \
             cargo's output shown) and its binary is the package, as the executable `bootstrap` of a custom \
             runtime: a new function gets --runtime CustomRuntime unless another is given.",
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
    command = command.args(cargo_package::args());
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
    /// What the user should know: symbolic links that lead outside the directory.
    pub warnings: Vec<String>,
}

/// The most a package may weigh zipped to go inline: its base64 text must fit `ZipFile`'s limit
/// in the catalogue (wherever a deploy sends it) and the API's limit on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InlineLimit {
    /// Bytes of zip archive.
    pub archive_bytes: u64,
    /// Bytes of base64 text, the binding limit.
    pub base64_bytes: u64,
}

impl InlineLimit {
    /// From the catalogue: `UpdateFunctionCode.ZipFile` and `CreateFunction.Code.ZipFile`, and the
    /// request limit.
    pub fn from_catalogue() -> InlineLimit {
        let update = UpdateFunctionCodeRequest::DESCRIPTOR.input_member("ZipFile");
        let create = CreateFunctionRequest::DESCRIPTOR.input_member("Code").and_then(|code| match code.ty {
            TypeDescriptor::Structure(code) => code.members.iter().find(|m| m.name == "ZipFile"),
            _ => None,
        });
        let base64_bytes = [update, create]
            .into_iter()
            .flatten()
            .filter_map(|member| member.limits.max_bytes)
            .chain([MAX_POST_BYTES as u64])
            .min()
            .unwrap_or(MAX_POST_BYTES as u64);
        // Every 3 bytes become 4 characters of base64.
        InlineLimit { archive_bytes: base64_bytes / 4 * 3, base64_bytes }
    }
}

/// Zips the files under `dir` that no `.gitignore` or `.scfignore` excludes (nor `.git`), in a
/// deterministic archive: sorted paths, fixed times, executable bits kept. Files are streamed into
/// the archive, which may not grow past `limit`: memory stays bounded whatever the directory holds.
/// Symbolic links are followed; a loop, or a link that leads nowhere, is an error, and a link that
/// leads outside `dir` is reported in [`Package::warnings`].
pub fn package(dir: &Path, limit: InlineLimit) -> Result<Package, CliError> {
    let fail = |why: String| CliError::usage(format!("cannot package `{}`: {why}", dir.display()));
    if !dir.is_dir() {
        return Err(CliError::usage(format!("`{}` is not a directory", dir.display())));
    }
    let (mut entries, warnings) = walk(dir).map_err(fail)?;
    if entries.is_empty() {
        return Err(CliError::usage(format!(
            "nothing to deploy: `{}` has no files (after .gitignore and .scfignore)",
            dir.display()
        )));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // `with`: what took the archive past the limit.
    let too_large = |with: String| {
        fail(format!(
            "with {with} the zip archive grows past {} bytes ({}), the most that goes inline: a request \
             carries it as base64, at most {} bytes; larger packages go through COS: upload the zip, then \
             create-function --code '{{\"CosBucketName\": …, \"CosObjectName\": …}}'",
            limit.archive_bytes,
            size(limit.archive_bytes),
            limit.base64_bytes
        ))
    };
    let package_error = |error: PackageError| match error {
        PackageError::TooLarge { entry: Some(name), .. } => {
            let size = entries
                .iter()
                .find(|(entry, _)| *entry == name)
                .and_then(|(_, path)| std::fs::metadata(path).ok())
                .map_or_else(String::new, |m| format!(" ({})", size(m.len())));
            too_large(format!("`{name}`{size}"))
        }
        PackageError::TooLarge { entry: None, .. } => too_large("its table of contents".to_owned()),
        PackageError::Read { entry, message } => fail(format!("`{entry}`: {message}")),
        other => CliError::internal(other.to_string()),
    };
    let mut writer = PackageWriter::new(Some(limit.archive_bytes));
    for (name, path) in &entries {
        let mut file = std::fs::File::open(path).map_err(|e| fail(format!("`{name}`: {e}")))?;
        writer.add(name, &mut file, mode(path)).map_err(package_error)?;
    }
    let zip = writer.finish().map_err(package_error)?;
    Ok(Package { zip, files: entries.into_iter().map(|(name, _)| name).collect(), warnings })
}

/// A file to package: its path inside the archive, and on disk.
type Entry = (String, PathBuf);

/// The files to package under `dir`, and warnings.
fn walk(dir: &Path) -> Result<(Vec<Entry>, Vec<String>), String> {
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
        // In order, so that warnings and errors come out the same every time.
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let inside = |path: &Path| path.strip_prefix(dir).unwrap_or(path).display().to_string();
    let root = std::fs::canonicalize(dir).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| walk_error(dir, &e))?;
        let path = entry.path();
        // Symbolic links are followed: to a file, it is packaged; to a directory, it is walked.
        if entry.path_is_symlink()
            && let Ok(target) = std::fs::canonicalize(path)
            && !target.starts_with(&root)
        {
            warnings.push(format!(
                "`{}` is a symbolic link to `{}`, outside `{}`; it is followed, and what it leads to is packaged",
                inside(path),
                target.display(),
                dir.display()
            ));
        }
        if entry.file_type().is_some_and(|t| t.is_dir()) || !path.is_file() {
            continue;
        }
        let Ok(relative) = path.strip_prefix(dir) else { continue };
        let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        entries.push((name, path.to_path_buf()));
    }
    Ok((entries, warnings))
}

/// What went wrong while walking `dir`, naming the path inside it.
fn walk_error(dir: &Path, error: &ignore::Error) -> String {
    let inside = |path: &Path| path.strip_prefix(dir).unwrap_or(path).display().to_string();
    match error {
        ignore::Error::WithPath { path, err } => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            match err.io_error() {
                Some(_) if is_link && std::fs::metadata(path).is_err() => {
                    format!("`{}` is a symbolic link {}", inside(path), broken_link(path))
                }
                Some(io) => format!("`{}`: {io}", inside(path)),
                None => walk_error(dir, err),
            }
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error(dir, err),
        ignore::Error::Loop { ancestor, child } => format!(
            "`{}` is a symbolic link loop: it leads back to `{}`, which contains it",
            inside(child),
            if ancestor == dir { ".".to_owned() } else { inside(ancestor) }
        ),
        other => other.to_string(),
    }
}

/// Why following the symbolic link at `path` leads nowhere: a loop, or a target that is missing.
fn broken_link(path: &Path) -> String {
    // The system gives up after 40 links; a chain that long is a loop in all but name.
    const MAX_HOPS: usize = 40;
    let mut seen = std::collections::HashSet::new();
    let mut current = path.to_path_buf();
    // Targets as the links spell them, for the message.
    let mut targets = Vec::new();
    for _ in 0..MAX_HOPS {
        let Ok(target) = std::fs::read_link(&current) else { break };
        current = current.parent().unwrap_or(Path::new("")).join(&target);
        targets.push(target);
        if !seen.insert(current.clone()) {
            return "in a loop of symbolic links: it never leads to a file".to_owned();
        }
    }
    match (targets.first(), targets.last()) {
        (Some(first), Some(last)) if std::fs::symlink_metadata(&current).is_err() => {
            let via = if targets.len() > 1 { format!(", which leads to `{}`", last.display()) } else { String::new() };
            format!("to `{}`{via}, which does not exist", first.display())
        }
        _ => "that cannot be followed (a loop, or a chain of more than 40 links)".to_owned(),
    }
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
    /// The members given as flags (`FunctionName`, `Runtime`, …), as their flags parsed them.
    settings: BTreeMap<&'static str, Value>,
    /// `--env KEY=VALUE`, if given.
    environment: Option<Vec<(String, String)>>,
    /// The runtime of a new function when `--runtime` is not given (a Cargo package's).
    default_runtime: Option<Runtime>,
    wait: Duration,
}

impl Spec {
    fn text(&self, member: &str) -> Option<String> {
        self.settings.get(member).and_then(Value::as_str).map(str::to_owned)
    }

    fn number(&self, member: &str) -> Option<i64> {
        self.settings.get(member).and_then(Value::as_i64)
    }

    fn namespace(&self) -> Option<String> {
        self.text("Namespace")
    }

    fn environment(&self) -> Option<Environment> {
        // Neither builds with anything required missing: every member is optional.
        let variables = self
            .environment
            .as_ref()?
            .iter()
            .filter_map(|(key, value)| Variable::builder().key(key).value(value).build().ok());
        Environment::builder().variables(variables).build().ok()
    }

    /// The `CreateFunction` request, carrying `zip` (base64).
    fn create(&self, zip: String) -> Result<CreateFunctionRequest, CliError> {
        let code = Code::builder().zip_file(zip).build().map_err(|e| CliError::internal(e.to_string()))?;
        CreateFunctionRequest::builder()
            .function_name(&self.name)
            .set_namespace(self.namespace())
            .set_runtime(self.text("Runtime").map(Into::into).or_else(|| self.default_runtime.clone()))
            .set_handler(self.text("Handler"))
            .set_memory_size(self.number("MemorySize"))
            .set_timeout(self.number("Timeout"))
            .set_description(self.text("Description"))
            .set_environment(self.environment())
            .code(code)
            .build()
            .map_err(|e| CliError::from_sdk(e.into(), Spec::source_of))
    }

    /// The `UpdateFunctionConfiguration` request, if a setting it changes was given.
    fn configuration(&self) -> Result<Option<UpdateFunctionConfigurationRequest>, CliError> {
        let changes = CONFIGURATION.iter().any(|m| self.settings.contains_key(m)) || self.environment.is_some();
        if !changes {
            return Ok(None);
        }
        UpdateFunctionConfigurationRequest::builder()
            .function_name(&self.name)
            .set_namespace(self.namespace())
            .set_runtime(self.text("Runtime"))
            .set_memory_size(self.number("MemorySize"))
            .set_timeout(self.number("Timeout"))
            .set_description(self.text("Description"))
            .set_environment(self.environment())
            .build()
            .map(Some)
            .map_err(|e| CliError::from_sdk(e.into(), Spec::source_of))
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
    let query = action::checked_query(globals, GetFunctionRequest::DESCRIPTOR)?;
    let dir = matches
        .try_get_one::<PathBuf>(DIR)
        .ok()
        .flatten()
        .ok_or_else(|| CliError::usage("deploy needs a directory"))?;
    let mut given = BTreeMap::new();
    for member in settings() {
        if let Some(value) = matches.try_get_one::<Value>(member.name).ok().flatten() {
            given.insert(member.name, value.clone());
        }
    }
    let name = given.get("FunctionName").and_then(Value::as_str).unwrap_or_default().to_owned();
    let environment =
        matches.try_get_many::<(String, String)>(ENV).ok().flatten().map(|pairs| pairs.cloned().collect::<Vec<_>>());
    let wait = matches.try_get_one::<u64>(WAIT_TIMEOUT).ok().flatten().copied().unwrap_or(300);
    // A Cargo package is built, and its binary deployed as a custom runtime's `bootstrap`.
    let cargo = cargo_package::manifest(dir);
    let default_runtime = cargo.as_ref().map(|_| cargo_package::RUNTIME);
    let spec = Spec { name, settings: given, environment, default_runtime, wait: Duration::from_secs(wait) };

    // Check the settings before reading files or the network: the request as CreateFunction takes it.
    let create = serde_json::to_value(spec.create(String::new())?)
        .map_err(|e| CliError::internal(format!("the request cannot be encoded: {e}")))?;
    validate_input(CreateFunctionRequest::DESCRIPTOR, &create)
        .map_err(|e| CliError::from_sdk(scf_sdk::runtime::Error::Validation(e), Spec::source_of))?;

    let terminal = std::io::stderr().is_terminal();
    let upload_bar = ProgressBar::hidden();
    let timeout = globals.timeout_or(UPLOAD_TIMEOUT);
    // Ordinary calls (status polls, configuration) keep the ordinary limit; only uploads get longer.
    let client = Client::new(globals::checked(globals.config_builder(globals::DEFAULT_TIMEOUT)?.build())?)
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
    let uploader = Client::new(globals::checked(globals.config_builder(UPLOAD_TIMEOUT)?.transport(transport).build())?)
        .map_err(|e| CliError::config(e.message))?;

    let started = Instant::now();
    let source = match &cargo {
        Some(manifest) => cargo_package::stage(manifest, &cargo_package::Build::from_matches(matches))?,
        None => dir.clone(),
    };
    let Package { zip, files, warnings } = package(&source, InlineLimit::from_catalogue())?;
    for warning in &warnings {
        note(&format!("warning: {warning}"));
    }
    let zipped = base64::engine::general_purpose::STANDARD.encode(&zip);
    note(&format!(
        "Packaged {} file{} from {} ({} zipped).",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        source.display(),
        size(zip.len() as u64)
    ));
    drop(zip);
    tracing::debug!(?files, "packaged");

    let deadline = Instant::now() + spec.wait;
    let deployer = Deployer { client, uploader, upload_bar, terminal, spec: &spec, deadline };

    let function = action::runtime()?.block_on(deployer.deploy(zipped)).map_err(|mut e| {
        if e.kind == Kind::Usage && e.field.as_deref() == Some("request") {
            e.message.push_str(
                "; larger packages go through COS: upload the zip, then create-function --code \
                 '{\"CosBucketName\": …, \"CosObjectName\": …}'",
            );
        }
        e
    })?;
    note(&format!("`{}` is Active ({:.1} s).", spec.name, started.elapsed().as_secs_f64()));
    let function = serde_json::to_string(&function)
        .ok()
        .and_then(|text| Json::parse(&text).ok())
        .ok_or_else(|| CliError::internal("the function cannot be shown as JSON"))?;
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
    client: Client,
    /// The same configuration, with a transport that reports upload progress.
    uploader: Client,
    upload_bar: ProgressBar,
    terminal: bool,
    spec: &'a Spec,
    /// When waiting for the function ends (`--wait-timeout`, for the whole deploy).
    deadline: Instant,
}

/// Where the function stands before the deploy changes it.
enum Existing {
    /// No such function: it is created.
    Absent,
    /// It exists, `Active` or failed (new code is what fixes a failed change): it is updated.
    Present,
}

impl Deployer<'_> {
    async fn deploy(&self, zipped: String) -> Result<GetFunctionResponse, CliError> {
        let name = &self.spec.name;
        match self.settle().await? {
            Existing::Absent => {
                note(&format!("Creating function `{name}`…"));
                let request = self.spec.create(zipped)?;
                self.upload(call(&self.uploader, &request)).await?;
            }
            Existing::Present => {
                note(&format!("Updating the code of `{name}`…"));
                let request = UpdateFunctionCodeRequest::builder()
                    .function_name(name)
                    .set_namespace(self.spec.namespace())
                    .set_handler(self.spec.text("Handler"))
                    .zip_file(zipped)
                    .build()
                    .map_err(|e| CliError::from_sdk(e.into(), Spec::source_of))?;
                self.upload(call(&self.uploader, &request)).await?;
                if let Some(configuration) = self.spec.configuration()? {
                    self.wait_active().await?;
                    note(&format!("Updating the configuration of `{name}`…"));
                    call(&self.client, &configuration).await?;
                }
            }
        }
        self.wait_active().await
    }

    /// Sends the request that carries the package, with a progress bar on a terminal.
    async fn upload<T>(&self, call: impl std::future::Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
        if self.terminal {
            self.upload_bar.set_style(
                ProgressStyle::with_template("  uploading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.upload_bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let result = call.await;
        self.upload_bar.finish_and_clear();
        result
    }

    /// Waits out a change in progress (`Creating`, `Updating`, `Deleting`, …) and says whether the
    /// function is there.
    async fn settle(&self) -> Result<Existing, CliError> {
        match self.wait_until_active().await {
            Ok(_) => Ok(Existing::Present),
            Err(e) if matches!(e.kind, WaitErrorKind::Failed { .. }) => {
                if e.last_status.as_deref() != Some(FunctionStatus::Deleting.as_str()) {
                    return Ok(Existing::Present);
                }
                // Going away: wait until it has, then create it anew.
                let gone = self.with_progress(
                    self.client
                        .wait_until_function_deleted()
                        .function_name(&self.spec.name)
                        .set_namespace(self.spec.namespace()),
                );
                gone.send().await.map_err(|e| self.wait_error(e.map_code()))?;
                Ok(Existing::Absent)
            }
            Err(e) if is_gone(&e) => Ok(Existing::Absent),
            Err(e) => Err(self.wait_error(e)),
        }
    }

    /// Waits until the function is `Active`; anything else ends the deploy with exit code 6.
    async fn wait_active(&self) -> Result<GetFunctionResponse, CliError> {
        self.wait_until_active().await.map_err(|e| match e.kind {
            WaitErrorKind::Call(_) if is_gone(&e) => {
                CliError::new(Kind::Wait, format!("`{}` disappeared while deploying", self.spec.name))
            }
            _ => self.wait_error(e),
        })
    }

    async fn wait_until_active(&self) -> Result<GetFunctionResponse, WaitError<ErrorCode>> {
        let waiter = self.with_progress(
            self.client
                .wait_until_function_active()
                .function_name(&self.spec.name)
                .set_namespace(self.spec.namespace()),
        );
        waiter.send().await.map_err(WaitError::map_code)
    }

    /// The deploy's pace for a waiter: quick polls (a deploy on `scf local` takes a moment), a
    /// spinner on a terminal, and what is left of `--wait-timeout`.
    fn with_progress<W: Waiter>(&self, waiter: W) -> W {
        let spinner = if self.terminal { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        spinner.enable_steady_tick(Duration::from_millis(120));
        let name = self.spec.name.clone();
        waiter
            .min_delay(Duration::from_millis(250))
            .max_delay(Duration::from_secs(2))
            .max_wait(self.deadline.saturating_duration_since(Instant::now()))
            .on_poll(move |progress| {
                spinner.set_message(format!("waiting for `{name}` ({})", progress.status.unwrap_or("…")));
            })
    }

    /// A wait that ended badly, said in deploy's terms.
    fn wait_error(&self, error: WaitError<ErrorCode>) -> CliError {
        let name = &self.spec.name;
        let status = error.last_status.clone().unwrap_or_default();
        match &error.kind {
            WaitErrorKind::Failed { reasons } => {
                let why = reasons.as_deref().unwrap_or_default();
                CliError::new(
                    Kind::Wait,
                    format!("`{name}` is {status}: {why}").trim_end_matches([' ', ':']).to_owned(),
                )
            }
            WaitErrorKind::TimedOut { .. } => CliError::new(
                Kind::Wait,
                format!("`{name}` is still {status} after {} s (--wait-timeout)", self.spec.wait.as_secs()),
            ),
            _ => CliError::from_wait(error, Spec::source_of),
        }
    }
}

/// Whether a wait ended because the function does not exist: an error code the
/// `FunctionDeleted` waiter counts as its success.
fn is_gone(error: &WaitError<ErrorCode>) -> bool {
    error
        .as_call_error()
        .and_then(|e| e.code())
        .is_some_and(|code| FUNCTION_DELETED.state_of_error(code.as_str()) == Some(WaiterState::Success))
}

/// Sends a typed request (logged for `--debug` as every command's are).
async fn call<A: Action>(client: &Client, request: &A) -> Result<A::Response, CliError> {
    if let Ok(params) = serde_json::to_value(request) {
        action::log_sending(client.api(), A::DESCRIPTOR, &params);
    }
    client.api().call(request).await.map_err(|e| CliError::from_sdk(e.map_code(), Spec::source_of))
}

/// The waiter settings a deploy sets, on either waiter.
trait Waiter: Sized {
    fn min_delay(self, delay: Duration) -> Self;
    fn max_delay(self, delay: Duration) -> Self;
    fn max_wait(self, max_wait: Duration) -> Self;
    fn on_poll(self, progress: impl Fn(&scf_sdk::runtime::WaitProgress<'_>) + Send + Sync + 'static) -> Self;
}

macro_rules! waiter_settings {
    ($($waiter:ty),*) => {$(
        impl Waiter for $waiter {
            fn min_delay(self, delay: Duration) -> Self {
                self.min_delay(delay)
            }
            fn max_delay(self, delay: Duration) -> Self {
                self.max_delay(delay)
            }
            fn max_wait(self, max_wait: Duration) -> Self {
                self.max_wait(max_wait)
            }
            fn on_poll(self, progress: impl Fn(&scf_sdk::runtime::WaitProgress<'_>) + Send + Sync + 'static) -> Self {
                self.on_poll(progress)
            }
        }
    )*};
}

waiter_settings!(scf_sdk::waiters::FunctionActiveWaiter, scf_sdk::waiters::FunctionDeletedWaiter);

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
        let update = UpdateFunctionConfigurationRequest::DESCRIPTOR;
        for name in CONFIGURATION {
            assert!(update.input_member(name).is_some(), "{name}");
        }
        assert!(UpdateFunctionCodeRequest::DESCRIPTOR.input_member("ZipFile").is_some());
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
        let package = package(root, InlineLimit::from_catalogue()).unwrap();
        assert_eq!(package.files, [".gitignore", "bootstrap", "index.py", "lib/.scfignore", "lib/util.py"]);
        let entries = names_in(&package.zip);
        assert_eq!(entries[1], ("bootstrap".to_owned(), "#!/bin/sh\n".to_owned(), 0o755));
        assert_eq!(entries[2].1, "x = 1\n");
        // Deterministic: the same files give the same archive.
        assert_eq!(package.zip, super::package(root, InlineLimit::from_catalogue()).unwrap().zip);
    }

    #[test]
    fn deploy_and_the_emulator_write_the_same_archive_of_the_same_files() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("index.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("lib/a.py"), "y = 2\n").unwrap();
        std::fs::set_permissions(dir.path().join("index.py"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deployed = package(dir.path(), InlineLimit::from_catalogue()).unwrap().zip;
        assert_eq!(deployed, scf_local::package::zip_dir(dir.path()).unwrap(), "one writer, one archive");
    }

    #[test]
    fn nothing_to_package_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = package(dir.path(), InlineLimit::from_catalogue()).unwrap_err();
        assert!(error.message.starts_with("nothing to deploy"), "{}", error.message);
        assert_eq!(error.kind.exit_code(), 2);
        let error = package(&dir.path().join("missing"), InlineLimit::from_catalogue()).unwrap_err();
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
        std::os::unix::fs::symlink("index.py", dir.join("main.py")).unwrap();
        let package = package(&dir, InlineLimit::from_catalogue()).unwrap();
        assert_eq!(package.files, [".scfignore", "app.cfg", "index.py", "lib/util.py", "main.py"]);
        // The link outside DIR is named with where it leads; the one inside is nothing to mention.
        let shared = std::fs::canonicalize(&shared).unwrap();
        assert_eq!(
            package.warnings,
            [format!(
                "`lib` is a symbolic link to `{}`, outside `{}`; it is followed, and what it leads to is packaged",
                shared.display(),
                dir.display()
            )]
        );
    }

    /// A deterministic stream of bytes that deflate cannot shrink.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    #[test]
    fn the_inline_limit_comes_from_the_catalogue() {
        let limit = InlineLimit::from_catalogue();
        let zip_file = UpdateFunctionCodeRequest::DESCRIPTOR.input_member("ZipFile").unwrap();
        let base64 = zip_file.limits.max_bytes.unwrap().min(MAX_POST_BYTES as u64);
        assert_eq!(limit, InlineLimit { archive_bytes: base64 / 4 * 3, base64_bytes: base64 });
        assert_eq!(limit.archive_bytes, 7_864_320, "7.5 MB, as the README says");
    }

    #[test]
    fn a_package_may_not_grow_past_the_limit_and_its_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.py"), "print(1)\n").unwrap();
        std::fs::write(dir.path().join("big.bin"), noise(300 * 1024)).unwrap();
        let limit = InlineLimit { archive_bytes: 256 * 1024, base64_bytes: 349_528 };
        let error = package(dir.path(), limit).unwrap_err();
        assert_eq!(error.kind.exit_code(), 2);
        assert_eq!(
            error.message,
            format!(
                "cannot package `{}`: with `big.bin` (300.0 KiB) the zip archive grows past 262144 bytes (256.0 KiB), \
                 the most that goes inline: a request carries it as base64, at most 349528 bytes; larger packages go \
                 through COS: upload the zip, then create-function --code '{{\"CosBucketName\": …, \"CosObjectName\": …}}'",
                dir.path().display()
            )
        );
        // What deflate shrinks below the limit is fine, however large it is on disk.
        std::fs::remove_file(dir.path().join("big.bin")).unwrap();
        std::fs::write(dir.path().join("zeros.bin"), vec![0u8; 4 * 1024 * 1024]).unwrap();
        let package = package(dir.path(), limit).unwrap();
        assert!(package.zip.len() < 64 * 1024, "{}", package.zip.len());
        assert_eq!(names_in(&package.zip)[0], ("a.py".to_owned(), "print(1)\n".to_owned(), 0o644));
    }

    #[test]
    fn symbolic_link_loops_and_dead_links_are_errors_that_name_the_link() {
        let limit = InlineLimit::from_catalogue();
        let message = |setup: &dyn Fn(&Path)| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("index.py"), "").unwrap();
            setup(dir.path());
            let error = package(dir.path(), limit).unwrap_err();
            assert_eq!(error.kind.exit_code(), 2, "{}", error.message);
            let prefix = format!("cannot package `{}`: ", dir.path().display());
            let message = error.message.strip_prefix(&prefix);
            assert!(message.is_some(), "{}", error.message);
            message.unwrap_or_default().to_owned()
        };
        use std::os::unix::fs::symlink;
        assert_eq!(
            message(&|dir| symlink("self", dir.join("self")).unwrap()),
            "`self` is a symbolic link in a loop of symbolic links: it never leads to a file"
        );
        assert_eq!(
            message(&|dir| {
                symlink("b", dir.join("a")).unwrap();
                symlink("a", dir.join("b")).unwrap();
            }),
            "`a` is a symbolic link in a loop of symbolic links: it never leads to a file"
        );
        assert_eq!(
            message(&|dir| {
                std::fs::create_dir(dir.join("sub")).unwrap();
                symlink("..", dir.join("sub/up")).unwrap();
            }),
            "`sub/up` is a symbolic link loop: it leads back to `.`, which contains it"
        );
        assert_eq!(
            message(&|dir| symlink("gone.py", dir.join("dead")).unwrap()),
            "`dead` is a symbolic link to `gone.py`, which does not exist"
        );
        assert_eq!(
            message(&|dir| {
                symlink("gone.py", dir.join("dead")).unwrap();
                symlink("dead", dir.join("alias")).unwrap();
            }),
            "`alias` is a symbolic link to `dead`, which leads to `gone.py`, which does not exist"
        );
    }
}
