//! Entry points for the fuzz targets (`fuzz/`), property tests and the test suite: the emulator's
//! parsers of untrusted input, callable on their own, and what its handlers declare. Not a stable API.

use std::path::Path;

pub use crate::query::{MAX_DEPTH as QUERY_MAX_DEPTH, MAX_MEMBERS as QUERY_MAX_MEMBERS};
pub use crate::unzip::{Extracted, Limits as UnzipLimits, MAX_ENTRIES, MAX_EXTRACTED_BYTES};

/// GET query parsing for `action` (see the emulator's query module): the JSON parameters, or why
/// the query was refused.
pub fn params_from_query(action: &str, query: &str) -> Result<serde_json::Value, String> {
    let descriptor = scf_sdk::catalog::action(action).ok_or_else(|| format!("no action `{action}`"))?;
    crate::query::parse(query, descriptor.input).map_err(|e| e.0)
}

/// Decodes a request to action `A` as the emulator does before its handler runs: the parameters
/// from the query (GET) or the body, the catalogue's checks, then `A`'s `Deserialize`. The error is
/// the message the caller would get.
pub fn decode_request<A: scf_sdk::runtime::Action>(method: &str, query: &str, body: &[u8]) -> Result<A, String> {
    let params = crate::server::params(A::DESCRIPTOR, method, query, body).map_err(|e| e.en)?;
    crate::server::decode(A::DESCRIPTOR, params).map_err(|e| e.en)
}

/// A timer trigger's cron expression as `CreateTrigger` takes it, parsed once.
#[derive(Debug, Clone)]
pub struct CronSchedule(crate::cron::Schedule);

impl CronSchedule {
    /// The schedule, or why the expression was refused (starting with the field's name).
    pub fn parse(expression: &str) -> Result<CronSchedule, String> {
        crate::cron::Schedule::parse(expression).map(CronSchedule).map_err(|e| format!("{}: {}", e.field, e.message))
    }

    /// The first second after `after` (Unix seconds) it names, if any.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        self.0.next_after(after)
    }

    /// Whether it names second `unix`.
    pub fn matches(&self, unix: i64) -> bool {
        self.0.matches(unix)
    }
}

/// Extracts a code package into `dest` with the emulator's checks and limits.
pub fn extract_zip(zip: &[u8], dest: &Path, limits: UnzipLimits) -> Result<Extracted, String> {
    crate::unzip::extract(zip, dest, limits).map_err(|e| e.0)
}

/// Verifies a request's TC3 signature as the emulator does, against one key pair (and token).
/// `headers` are name/value pairs as received; `now` is Unix seconds. Returns the error code.
pub fn verify_signature(
    method: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    key: &crate::AccessKey,
    strict: bool,
    now: i64,
) -> Result<(), String> {
    let mut map = axum::http::HeaderMap::new();
    for (name, value) in headers {
        let (Ok(name), Ok(value)) =
            (axum::http::HeaderName::try_from(name.as_str()), axum::http::HeaderValue::try_from(value.as_str()))
        else {
            return Err("not an HTTP header".into());
        };
        map.append(name, value);
    }
    let received = crate::auth::Received { method, query, headers: &map, body };
    crate::auth::verify(&received, std::slice::from_ref(key), scf_sdk::catalog::SERVICE.name, strict, now)
        .map_err(|e| e.code.as_str().to_owned())
}

/// Every error code some handler declares it may answer (each action's contract), with the actions
/// that answer it: what the test suite must show in a situation that produces it.
pub fn declared_codes() -> std::collections::BTreeMap<&'static str, Vec<&'static str>> {
    let mut codes: std::collections::BTreeMap<&'static str, Vec<&'static str>> = Default::default();
    for (action, contract) in crate::service::handlers().contracts() {
        for code in contract.answers {
            codes.entry(code.as_str()).or_default().push(action);
        }
    }
    codes
}

/// An archive of `copies` entries that all point at one deflated entry of `size` zeros (the
/// "overlapping files" zip bomb): a few KB that would expand to `size × copies`. For tests of the
/// extraction limits.
pub fn overlapping_bomb(size: usize, copies: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // Writing into memory does not fail.
    writer.start_file("z", options).expect("an entry in memory");
    writer.write_all(&vec![0u8; size]).expect("an entry in memory");
    let one = writer.finish().expect("an archive in memory").into_inner();
    let position =
        |signature: [u8; 4]| one.windows(4).rposition(|w| w == signature).expect("a record the writer wrote");
    let central = position([0x50, 0x4b, 0x01, 0x02]);
    let end = position([0x50, 0x4b, 0x05, 0x06]);
    let record = &one[central..end];
    let mut out = one[..central].to_vec();
    let directory_start = out.len() as u32;
    for i in 0..copies {
        // The same record (same data offset) under another name: `z` becomes `f<i>`.
        let name = format!("f{i}");
        let mut named = record[..46].to_vec();
        named[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        named.extend_from_slice(name.as_bytes());
        named.extend_from_slice(&record[47..]);
        out.extend_from_slice(&named);
    }
    let directory_size = out.len() as u32 - directory_start;
    let mut eocd = one[end..].to_vec();
    eocd[8..10].copy_from_slice(&(copies as u16).to_le_bytes());
    eocd[10..12].copy_from_slice(&(copies as u16).to_le_bytes());
    eocd[12..16].copy_from_slice(&directory_size.to_le_bytes());
    eocd[16..20].copy_from_slice(&directory_start.to_le_bytes());
    out.extend_from_slice(&eocd);
    out
}
