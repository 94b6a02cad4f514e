//! The SCF runtime API, as the function's process sees it (custom-runtime protocol):
//!
//! - `POST /runtime/init/ready` once, when initialisation is done (an empty body);
//! - `GET /runtime/invocation/next`: waits for the next event (the body), with the headers
//!   `request_id`, `memory_limit_in_mb` and `time_limit_in_ms`;
//! - `POST /runtime/invocation/response` with the result, or `POST /runtime/invocation/error`
//!   with the error.
//!
//! Its address is `SCF_RUNTIME_API` (host) and `SCF_RUNTIME_API_PORT`.

use std::time::Instant;

use crate::Error;
use crate::http::{Connection, HttpError, Response};

const READY: &str = "/runtime/init/ready";
const NEXT: &str = "/runtime/invocation/next";
const RESPONSE: &str = "/runtime/invocation/response";
const ERROR: &str = "/runtime/invocation/error";

/// Used when the platform leaves out `memory_limit_in_mb` (the service's default memory).
const DEFAULT_MEMORY_MB: u64 = 128;
/// Used when the platform leaves out `time_limit_in_ms` (the service's default timeout).
const DEFAULT_TIME_LIMIT_MS: u64 = 3000;

/// An event to handle.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub request_id: String,
    pub memory_limit_in_mb: u64,
    pub time_limit_in_ms: u64,
    pub event: Vec<u8>,
    /// When the event arrived: the deadline counts from here.
    pub arrived: Instant,
}

/// The connection to the runtime API.
#[derive(Debug)]
pub(crate) struct RuntimeApi {
    connection: Connection,
}

impl RuntimeApi {
    /// The runtime API named by `SCF_RUNTIME_API` and `SCF_RUNTIME_API_PORT`.
    pub fn from_env() -> Result<RuntimeApi, Error> {
        let (host, port) = address(|name| std::env::var(name).ok())?;
        Ok(RuntimeApi::new(&host, port))
    }

    pub fn new(host: &str, port: u16) -> RuntimeApi {
        RuntimeApi { connection: Connection::new(host, port) }
    }

    /// Says initialisation is done.
    pub async fn ready(&mut self) -> Result<(), Error> {
        let response = self.send("POST", READY, b"").await?;
        expect_success("POST", READY, &response)
    }

    /// Waits for the next event.
    pub async fn next(&mut self) -> Result<Invocation, Error> {
        let response = self.send("GET", NEXT, b"").await?;
        let arrived = Instant::now();
        if response.status != 200 {
            return Err(unexpected("GET", NEXT, &response));
        }
        let request_id = response
            .header("request_id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::runtime(format!("GET {NEXT} answered an event without a `request_id` header")))?
            .to_owned();
        let number = |name: &str, default: u64| -> Result<u64, Error> {
            match response.header(name) {
                None => Ok(default),
                Some(text) => text.trim().parse().map_err(|_| {
                    Error::runtime(format!("GET {NEXT} answered `{name}: {text}`, which is not a whole number"))
                }),
            }
        };
        let memory_limit_in_mb = number("memory_limit_in_mb", DEFAULT_MEMORY_MB)?;
        let time_limit_in_ms = number("time_limit_in_ms", DEFAULT_TIME_LIMIT_MS)?;
        Ok(Invocation { request_id, memory_limit_in_mb, time_limit_in_ms, event: response.body, arrived })
    }

    /// Sends the invocation's result (JSON).
    pub async fn respond(&mut self, result: &[u8]) -> Result<(), Error> {
        let response = self.send("POST", RESPONSE, result).await?;
        expect_success("POST", RESPONSE, &response)
    }

    /// Sends the invocation's error (JSON).
    pub async fn fail(&mut self, error: &[u8]) -> Result<(), Error> {
        let response = self.send("POST", ERROR, error).await?;
        expect_success("POST", ERROR, &response)
    }

    async fn send(&mut self, method: &str, path: &str, body: &[u8]) -> Result<Response, Error> {
        self.connection.send(method, path, body).await.map_err(|error| {
            let at = self.connection.authority();
            match error {
                HttpError::Connect(e) => Error::runtime(format!("cannot reach the runtime API at {at}: {e}")),
                other => Error::runtime(format!("{method} http://{at}{path} failed: {other}")),
            }
        })
    }
}

/// `SCF_RUNTIME_API` and `SCF_RUNTIME_API_PORT`, checked.
fn address(lookup: impl Fn(&str) -> Option<String>) -> Result<(String, u16), Error> {
    const HOST: &str = "SCF_RUNTIME_API";
    const PORT: &str = "SCF_RUNTIME_API_PORT";
    let missing = |name: &str| {
        Error::runtime(format!(
            "{name} is not set: this program is an SCF function's `bootstrap`, to be started by SCF or by scf-local \
             (`scf deploy` packages it)"
        ))
    };
    let host = lookup(HOST).filter(|h| !h.trim().is_empty()).ok_or_else(|| missing(HOST))?;
    let port_text = lookup(PORT).ok_or_else(|| missing(PORT))?;
    let port = port_text
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| Error::runtime(format!("{PORT} is `{port_text}`, not a port number (1 to 65535)")))?;
    Ok((host.trim().trim_start_matches('[').trim_end_matches(']').to_owned(), port))
}

fn expect_success(method: &str, path: &str, response: &Response) -> Result<(), Error> {
    if (200..300).contains(&response.status) { Ok(()) } else { Err(unexpected(method, path, response)) }
}

fn unexpected(method: &str, path: &str, response: &Response) -> Error {
    let body = String::from_utf8_lossy(&response.body);
    let body = body.trim();
    let mut cut = body.len().min(200);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let detail = if body.is_empty() { String::new() } else { format!(": {}", &body[..cut]) };
    Error::runtime(format!("the runtime API answered {method} {path} with status {}{detail}", response.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address_of(host: Option<&str>, port: Option<&str>) -> Result<(String, u16), String> {
        address(|name| match name {
            "SCF_RUNTIME_API" => host.map(str::to_owned),
            "SCF_RUNTIME_API_PORT" => port.map(str::to_owned),
            _ => None,
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn addresses_from_the_environment() {
        assert_eq!(address_of(Some("127.0.0.1"), Some("9001")), Ok(("127.0.0.1".into(), 9001)));
        assert_eq!(address_of(Some("[::1]"), Some(" 9001 ")), Ok(("::1".into(), 9001)));
        assert!(address_of(None, Some("9001")).unwrap_err().starts_with("SCF_RUNTIME_API is not set"));
        assert!(address_of(Some("127.0.0.1"), None).unwrap_err().starts_with("SCF_RUNTIME_API_PORT is not set"));
        assert_eq!(
            address_of(Some("127.0.0.1"), Some("70000")).unwrap_err(),
            "SCF_RUNTIME_API_PORT is `70000`, not a port number (1 to 65535)"
        );
        assert!(address_of(Some("127.0.0.1"), Some("0")).is_err());
    }
}
