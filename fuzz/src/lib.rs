//! What the fuzz targets share: the text form of an HTTP request their seeds are written in, the
//! key pair they sign and verify with, and a minimal valid request for any action.
//!
//! The seeds in `seeds/` are made by `tests/tests/fuzz_seeds.rs` in the main workspace, which
//! includes this file to write requests in the same form and check that every seed reads back.

use scf_sdk::runtime::{MemberDescriptor, StringFormat, TypeDescriptor};
use serde_json::{Map, Value};

/// The emulator's clock in the signature targets (Unix seconds); the seeds are signed near it.
pub const NOW: i64 = 1_700_000_000;
/// The key pair the signature targets verify against.
pub const SECRET_ID: &str = "AKIDfuzz";
/// See [`SECRET_ID`].
pub const SECRET_KEY: &str = "fuzz-secret-key";
/// The session token of the targets' second key, the same pair with a token.
pub const TOKEN: &str = "fuzz-session-token";

/// A request as the signature targets read it:
///
/// ```text
/// POST /?Query=string          ← method and request target ("/" or "/?query")
/// Host: 127.0.0.1:9100         ← headers, one per line, until an empty line
/// Content-Type: application/json
///
/// {"body": "the rest, as bytes"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// Reads the text form, leniently: anything that is not a `Name: value` line ends the headers.
    /// `None` if the head is not UTF-8.
    pub fn parse(data: &[u8]) -> Option<Request> {
        let split = data.windows(2).position(|w| w == b"\n\n");
        let (head, body) = match split {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        let head = std::str::from_utf8(head).ok()?;
        let mut lines = head.split('\n');
        let first = lines.next().unwrap_or_default();
        let (method, target) = first.split_once(' ').unwrap_or((first, ""));
        let query = target.strip_prefix("/?").or_else(|| target.strip_prefix('/')).unwrap_or(target);
        let headers = lines
            .map_while(|line| line.split_once(": ").map(|(name, value)| (name.to_owned(), value.to_owned())))
            .collect();
        Some(Request { method: method.to_owned(), query: query.to_owned(), headers, body: body.to_vec() })
    }

    /// The text form [`parse`](Self::parse) reads.
    pub fn to_text(&self) -> Vec<u8> {
        let target = if self.query.is_empty() { "/".to_owned() } else { format!("/?{}", self.query) };
        let mut out = format!("{} {target}\n", self.method);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\n"));
        }
        out.push('\n');
        let mut out = out.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    /// The first value of the header `name` (case-insensitive), as the emulator reads it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The smallest input that passes the catalogue's validation: every required member, each with
/// the simplest valid value. For targets that must get a request past validation to reach what
/// they fuzz.
pub fn minimal_params(members: &[MemberDescriptor]) -> Value {
    let mut map = Map::new();
    for member in members.iter().filter(|m| m.required) {
        map.insert(member.name.to_owned(), minimal_value(member, &member.ty));
    }
    Value::Object(map)
}

fn minimal_value(member: &MemberDescriptor, ty: &TypeDescriptor) -> Value {
    match ty {
        TypeDescriptor::String | TypeDescriptor::DateTime => {
            let text = match member.json {
                // `{}` is both any JSON and a map of strings.
                Some(_) => "{}".to_owned(),
                None if member.format == Some(StringFormat::Name) => "a".repeat(min_len(member)),
                None => "x".repeat(min_len(member)),
            };
            Value::String(text)
        }
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 => Value::from(member.limits.min.unwrap_or(0.0).max(0.0) as u64),
        TypeDescriptor::Float => Value::from(member.limits.min.unwrap_or(0.0)),
        TypeDescriptor::Bool => Value::Bool(false),
        TypeDescriptor::Enum(e) => Value::String(e.values.first().map_or("x", |v| v.value).to_owned()),
        TypeDescriptor::Structure(s) => minimal_params(s.members),
        TypeDescriptor::List(_) => Value::Array(Vec::new()),
        // A kind of member newer than this file: left for validation to name.
        _ => Value::Null,
    }
}

fn min_len(member: &MemberDescriptor) -> usize {
    member.limits.min_bytes.unwrap_or(1).max(1) as usize
}
