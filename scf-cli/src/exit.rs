//! Exit codes, and the one error type every command returns: what went wrong, in which category
//! (each with its own exit code), and how it is shown on stderr — a line of text, or a JSON object
//! with `--output json`.

use std::io::{IsTerminal as _, Write as _};

use scf_sdk::ErrorCode;
use scf_sdk::runtime::{Error, WaitError, WaitErrorKind};

use crate::json::Json;
use crate::output::Format;

/// The exit codes, as documented in `scf --help` and the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   the service answered with an error: its code, message and RequestId are on stderr
  2   usage or validation error (a bad flag, bad JSON, a broken limit); nothing was sent
  3   credentials or configuration error (no credentials or region, an unknown profile)
  4   no response: the connection failed or timed out
  5   an unexpected response: not the API's JSON (a proxy's error page, a cut body)
  6   deploy or wait: the state waited for was not reached (a failure state came, or the time ran out)
  70  internal error: the CLI itself failed (please report it)";

/// The categories of failure, each with its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The service answered with an error code.
    Service,
    /// The command line or the request is wrong; nothing was sent.
    Usage,
    /// No credentials could be found.
    Credentials,
    /// No region, a bad endpoint URL, an unknown profile.
    Config,
    /// No response.
    Transport,
    /// A response that is not the API's.
    Response,
    /// `deploy` or `wait`: the state waited for was not reached.
    Wait,
    /// The CLI itself failed.
    Internal,
}

impl Kind {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Service => 1,
            Kind::Usage => 2,
            Kind::Credentials | Kind::Config => 3,
            Kind::Transport => 4,
            Kind::Response => 5,
            Kind::Wait => 6,
            Kind::Internal => 70,
        }
    }

    /// The name shown as `Kind` in JSON errors.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Usage => "usage",
            Kind::Credentials => "credentials",
            Kind::Config => "config",
            Kind::Transport => "transport",
            Kind::Response => "response",
            Kind::Wait => "wait",
            Kind::Internal => "internal",
        }
    }
}

/// Where a request member came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The member's own flag (`--function-name`).
    Flag(String),
    /// A flag or file holding the whole request (`--cli-input-json req.json`).
    Container(String),
}

/// A failed command.
#[derive(Debug, Clone, PartialEq)]
pub struct CliError {
    pub kind: Kind,
    /// What happened; for service errors, the service's message.
    pub message: String,
    /// The service's error code.
    pub code: Option<String>,
    /// What the code means, in English (the service's message may be in Chinese).
    pub description: Option<&'static str>,
    /// The request id, when the service assigned one.
    pub request_id: Option<String>,
    /// The member a validation error is about (`Tags[0].Key`).
    pub field: Option<String>,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), code: None, description: None, request_id: None, field: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Kind::Internal, message)
    }

    /// An SDK error; `source_of` names the flag or file a validation error's member came from.
    pub fn from_sdk(error: Error<ErrorCode>, source_of: impl Fn(&str) -> Option<Source>) -> Self {
        match error {
            Error::Service(e) => Self {
                kind: Kind::Service,
                description: e.code.description(),
                code: Some(e.code.as_str().to_owned()),
                message: e.message,
                request_id: Some(e.request_id),
                field: None,
            },
            Error::Validation(e) => {
                // `Tags[0].Key` came from `--tags`: say so, with the limit the SDK names.
                let top = e.field.split(['.', '[']).next().unwrap_or_default();
                let message = match source_of(top) {
                    Some(Source::Flag(flag)) if top == e.field => format!("{flag} {}", e.message),
                    Some(Source::Flag(label) | Source::Container(label)) => {
                        format!("{label}: `{}` {}", e.field, e.message)
                    }
                    None if e.field == "request" => format!("the request {}", e.message),
                    None => format!("invalid request: {e}"),
                };
                Self { field: Some(e.field), ..Self::usage(message) }
            }
            Error::Credentials(e) => Self::new(Kind::Credentials, e.to_string()),
            Error::Config(e) => Self::config(e.message),
            Error::Transport(e) => Self::new(Kind::Transport, format!("no response: {e}")),
            Error::OperationTimeout(e) => Self::new(Kind::Transport, e.to_string()),
            Error::Response(e) => Self { request_id: e.request_id.clone(), ..Self::new(Kind::Response, e.to_string()) },
            // `Error` is non-exhaustive: a kind added later is still reported, as internal.
            other => Self::internal(other.to_string()),
        }
    }

    /// A wait that did not reach its state: a failure state or the time limit (exit code 6, with
    /// the last status and the time waited), or a poll's own error, reported as that error.
    pub fn from_wait(error: WaitError<ErrorCode>, source_of: impl Fn(&str) -> Option<Source>) -> Self {
        let message = error.to_string();
        match error.kind {
            WaitErrorKind::Call(call) => Self::from_sdk(*call, source_of),
            _ => Self::new(Kind::Wait, message),
        }
    }

    /// The error as a JSON object: `{"Error": {"Kind", "Code", "Message", "RequestId", …}}`.
    pub fn to_json(&self) -> Json {
        let mut members = vec![("Kind".to_owned(), Json::String(self.kind.name().to_owned()))];
        let mut add = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                members.push((key.to_owned(), Json::String(value.to_owned())));
            }
        };
        add("Code", self.code.as_deref());
        add("Message", Some(&self.message));
        add("Description", self.description);
        add("Field", self.field.as_deref());
        add("RequestId", self.request_id.as_deref());
        members.push(("ExitCode".to_owned(), Json::Number(self.kind.exit_code().into())));
        Json::Object(vec![("Error".to_owned(), Json::Object(members))])
    }

    /// The error as one line of text (two with a code's description).
    pub fn to_text(&self) -> String {
        let mut text = String::from("error: ");
        if let Some(code) = &self.code {
            text.push_str(code);
            text.push_str(": ");
        }
        text.push_str(&self.message);
        if let Some(id) = &self.request_id {
            text.push_str(&format!(" (RequestId: {id})"));
        }
        if let (Some(code), Some(description)) = (&self.code, self.description) {
            text.push_str(&format!("\n  {code}: {description}"));
        }
        text
    }

    /// Writes the error to stderr in `format`'s style.
    pub fn report(&self, format: Format) {
        let stderr = std::io::stderr();
        let text = match format {
            Format::Json if stderr.is_terminal() => self.to_json().to_pretty(),
            Format::Json => self.to_json().to_compact(),
            Format::Table | Format::Text => self.to_text(),
        };
        let _ = writeln!(stderr.lock(), "{text}");
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use scf_sdk::runtime::{
        ApiClient, Config, Credentials, HttpRequest, HttpResponse, Transport, TransportFuture, ValidationError,
        ValidationErrorKind,
    };

    use super::*;

    #[test]
    fn every_kind_has_its_own_exit_code_but_credentials_and_config_share_one() {
        let kinds =
            [Kind::Service, Kind::Usage, Kind::Config, Kind::Transport, Kind::Response, Kind::Wait, Kind::Internal];
        let mut codes: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
        assert_eq!(Kind::Credentials.exit_code(), Kind::Config.exit_code());
        assert!(!codes.contains(&0));
        for code in codes {
            assert!(EXIT_CODES.contains(&format!("  {code} ")), "exit code {code} is documented");
        }
    }

    /// A transport that answers every request with `body`.
    #[derive(Debug)]
    struct Answer(&'static str);

    impl Transport for Answer {
        fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
            Box::pin(std::future::ready(Ok(HttpResponse { status: 200, body: self.0.as_bytes().to_vec().into() })))
        }
    }

    /// What calling `ListFunctions` makes of an answer.
    fn answered(body: &'static str) -> CliError {
        let config =
            Config::builder().region("ap-guangzhou").credentials(Credentials::new("id", "key")).transport(Answer(body));
        let client = ApiClient::new(config.build()).unwrap();
        let action = scf_sdk::catalog::action("ListFunctions").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let error = runtime.block_on(client.call_json::<ErrorCode>(action, serde_json::json!({}))).unwrap_err();
        CliError::from_sdk(error, |_| None)
    }

    #[test]
    fn service_errors_show_code_message_request_id_and_description() {
        let error = answered(
            r#"{"Response":{"Error":{"Code":"ResourceNotFound.Function","Message":"函数不存在"},"RequestId":"req-1"}}"#,
        );
        assert_eq!(error.kind.exit_code(), 1);
        let text = error.to_text();
        assert_eq!(
            text,
            "error: ResourceNotFound.Function: 函数不存在 (RequestId: req-1)\n  ResourceNotFound.Function: The function does not exist."
        );
        let json = error.to_json().to_compact();
        assert_eq!(
            json,
            r#"{"Error":{"Kind":"service","Code":"ResourceNotFound.Function","Message":"函数不存在","Description":"The function does not exist.","RequestId":"req-1","ExitCode":1}}"#
        );
    }

    #[test]
    fn bad_answers_are_response_errors() {
        let error = answered(r#"{"Response":{}}"#);
        assert_eq!(error.kind, Kind::Response);
        assert_eq!(error.kind.exit_code(), 5);
        assert!(
            error.message.starts_with("unexpected response (HTTP 200): the answer has no `RequestId`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn validation_errors_name_the_flag_their_member_came_from() {
        let flag_of = |member: &str| (member == "Tags" || member == "Limit").then(|| Source::Flag("--x".to_owned()));
        let nested = ValidationError::new(
            "Tags[0].Key",
            ValidationErrorKind::TooLong,
            "is 4 bytes long; at most 3 bytes are allowed",
        );
        let error = CliError::from_sdk(Error::Validation(nested), flag_of);
        assert_eq!(error.message, "--x: `Tags[0].Key` is 4 bytes long; at most 3 bytes are allowed");
        assert_eq!(error.kind.exit_code(), 2);
        let top = ValidationError::new("Limit", ValidationErrorKind::OutOfRange, "is 900; the maximum is 100");
        assert_eq!(CliError::from_sdk(Error::Validation(top), flag_of).message, "--x is 900; the maximum is 100");
        let unknown = ValidationError::new("Other", ValidationErrorKind::Unknown, "is not a member of `A`");
        assert_eq!(
            CliError::from_sdk(Error::Validation(unknown.clone()), flag_of).message,
            "invalid request: `Other` is not a member of `A`"
        );
        let from_file = |_: &str| Some(Source::Container("--cli-input-json r.json".to_owned()));
        assert_eq!(
            CliError::from_sdk(Error::Validation(unknown), from_file).message,
            "--cli-input-json r.json: `Other` is not a member of `A`"
        );
        let large = ValidationError::new("request", ValidationErrorKind::TooLarge, "is 11 MB as JSON");
        assert_eq!(CliError::from_sdk(Error::Validation(large), |_| None).message, "the request is 11 MB as JSON");
    }
}
