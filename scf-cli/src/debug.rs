//! `--debug`: what the CLI and the SDK do, logged to stderr. Only the CLI's and the SDK's own
//! events are shown (the HTTP stack's are not: they add nothing and could grow to include header
//! values); requests are logged with sensitive members redacted, and the SDK never logs keys.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Starts logging to stderr.
pub fn init() {
    let filter = EnvFilter::new("off,scf=debug,scf_sdk=debug");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
