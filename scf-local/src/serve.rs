//! `scf-local serve`: the emulator as a server, until Ctrl-C or SIGTERM. Shared by the
//! `scf-local` binary and `scf local serve`, so both take the same options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::{AccessKey, Emulator, EmulatorConfig, Fault, Limits};

/// The options of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Use a non-loopback address only on a network you trust.
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: SocketAddr,
    /// Address of the HTTP listener that reaches functions as API Gateway would:
    /// `/<namespace>/<function>[@<qualifier>]/<path>`. It checks no signature: use a non-loopback
    /// address only on a network you trust.
    #[arg(long, default_value = "127.0.0.1:9200")]
    pub http_listen: SocketAddr,
    /// Where functions, code and logs are kept (created if missing).
    #[arg(long, default_value = ".scf-local")]
    pub data_dir: PathBuf,
    /// SecretId to accept (default: the development key pair, printed at start).
    #[arg(long, env = "SCF_LOCAL_SECRET_ID", requires = "secret_key")]
    pub secret_id: Option<String>,
    /// SecretKey that goes with --secret-id.
    #[arg(long, env = "SCF_LOCAL_SECRET_KEY", requires = "secret_id", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Session token: requests must carry it (X-TC-Token), as with temporary (STS) credentials.
    #[arg(long, env = "SCF_LOCAL_STS_TOKEN", requires = "secret_id", hide_env_values = true)]
    pub sts_token: Option<String>,
    /// Reject the known quirks of tccli and the Node.js SDK pointed at a local address.
    #[arg(long)]
    pub strict: bool,
    /// Answer an error code instead of running: `CODE`, `CODE:FUNCTION` or `CODE@ACTION[:FUNCTION]`
    /// (default action: InvokeFunction and Invoke). Repeat for more.
    #[arg(long = "fault", value_name = "CODE[@ACTION][:FUNCTION]")]
    pub faults: Vec<Fault>,
    /// Concurrent instances per function version.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_instances: u32,
    /// Stop an instance idle this long (e.g. 600s, 10m).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Keep new and updated functions `Creating`/`Updating` this long (e.g. 2s), as the real
    /// service does for a moment.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub activation_delay: Duration,
    /// Python 3 interpreter for Python functions.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Node.js interpreter for Node.js functions.
    #[arg(long, default_value = "node")]
    pub node: String,
    /// Also answer requests whose `Host` is NAME (or NAME:PORT); by default only the listening
    /// address and loopback names are answered. Repeat for more.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Answer requests from web pages of ORIGIN (e.g. http://localhost:3000; `*` for any), with
    /// CORS headers; by default requests carrying an `Origin` header are refused. Repeat for more.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Connections to the API open at once; at the cap, the longest-idle one is closed.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Function instances alive at once across all functions.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_total_instances: u32,
    /// Asynchronous events kept (the oldest finished ones go first).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_async_events: u32,
    /// Invocation records kept for GetFunctionLogs.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_log_records: u64,
    /// Megabytes of invocation records kept for GetFunctionLogs.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_log_mb: u64,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "** redacted **");
        f.debug_struct("ServeArgs")
            .field("listen", &self.listen)
            .field("http_listen", &self.http_listen)
            .field("data_dir", &self.data_dir)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &redacted(&self.secret_key))
            .field("sts_token", &redacted(&self.sts_token))
            .field("strict", &self.strict)
            .field("faults", &self.faults)
            .field("max_instances", &self.max_instances)
            .field("idle_timeout", &self.idle_timeout)
            .field("activation_delay", &self.activation_delay)
            .field("python", &self.python)
            .field("node", &self.node)
            .field("allow_hosts", &self.allow_hosts)
            .field("allow_origins", &self.allow_origins)
            .field("max_connections", &self.max_connections)
            .field("max_total_instances", &self.max_total_instances)
            .field("max_async_events", &self.max_async_events)
            .field("max_log_records", &self.max_log_records)
            .field("max_log_mb", &self.max_log_mb)
            .finish()
    }
}

/// `500ms`, `2s`, `10m` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a duration such as 500ms, 2s or 10m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("`{unit}` is not a unit: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// `println!` that ignores a closed stdout: whoever started the server may stop reading its
/// banner, and that must not stop the server.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The options of `clean`.
#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// The data directory to remove (with every function, package and log in it).
    #[arg(long, default_value = ".scf-local")]
    pub data_dir: PathBuf,
}

/// Removes a data directory (`clean`), refusing while an emulator uses it.
pub fn clean(args: CleanArgs) -> ExitCode {
    match crate::remove_data_dir(&args.data_dir) {
        Ok(()) => {
            say!("removed {}", args.data_dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `default_filter`).
pub fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Runs the emulator with `serve`'s options until interrupted, then stops every function process.
pub async fn run(serve: ServeArgs) -> ExitCode {
    let limits = Limits {
        max_connections: serve.max_connections as usize,
        max_total_instances: serve.max_total_instances as usize,
        max_async_events: serve.max_async_events as usize,
        max_log_records: serve.max_log_records,
        max_log_bytes: serve.max_log_mb * 1024 * 1024,
        ..Limits::default()
    };
    let mut config = EmulatorConfig::default()
        .limits(limits)
        .listen(serve.listen)
        .http_listen(serve.http_listen)
        .data_dir(&serve.data_dir)
        .strict(serve.strict)
        .max_instances(serve.max_instances as usize)
        .idle_timeout(serve.idle_timeout)
        .activation_delay(serve.activation_delay)
        .python(serve.python)
        .node(serve.node);
    let custom_keys = serve.secret_id.is_some();
    if let (Some(secret_id), Some(secret_key)) = (serve.secret_id, serve.secret_key) {
        config = config.key(AccessKey { secret_id, secret_key, token: serve.sts_token });
    }
    for fault in serve.faults {
        config = config.fault(fault);
    }
    for host in serve.allow_hosts {
        config = config.allow_host(host);
    }
    for origin in serve.allow_origins {
        config = config.allow_origin(origin);
    }
    if !serve.http_listen.ip().is_loopback() {
        tracing::warn!(
            "functions answer HTTP on {} without any signature: anyone who can reach it can call them",
            serve.http_listen
        );
    }
    if !serve.listen.ip().is_loopback() && custom_keys {
        tracing::warn!("listening on {}: anyone who can reach it and knows the key can run code here", serve.listen);
    }
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        // Refusing the public keys off loopback is a usage error, as a bad option is.
        Err(error @ crate::StartError::PublicKeysOffLoopback { .. }) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let endpoint = emulator.endpoint_url();
    let credentials = emulator.credentials();
    say!("scf-local serving SCF 2018-04-16 at {endpoint} (data: {})", emulator.data_dir().display());
    if custom_keys {
        say!("  SecretId:  {} (key from the command line or environment)", credentials.secret_id());
    } else {
        say!("  SecretId:  {}", credentials.secret_id());
        say!("  SecretKey: {} (development key pair)", credentials.secret_key());
    }
    say!(
        "  try: tccli scf ListFunctions --region ap-guangzhou --endpoint {endpoint} --secretId <SecretId> --secretKey <SecretKey>"
    );
    let http_url = emulator.http_url();
    say!(
        "  functions over HTTP (as API Gateway): {http_url}/<namespace>/<function>/<path>, e.g. curl {http_url}/default/hello/"
    );
    say!("  Ctrl-C stops the emulator and every function process.");
    wait_for_signal().await;
    say!("stopping…");
    emulator.shutdown(Duration::from_secs(5)).await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("3 days").is_err());
        assert!(parse_duration("x").is_err());
    }
}
