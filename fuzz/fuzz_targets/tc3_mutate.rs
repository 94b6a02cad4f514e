#![no_main]
//! A request signed by the SDK's signer, verified by the emulator, then changed and verified again.
//!
//! Input: `[n: u16 LE][n bytes: the base request][mutations]`. The base is in the text form of
//! `scf_fuzz::Request`; its method, query, body and its `Host`, `Content-Type`, `X-TC-Token` and
//! `X-TC-Content-SHA256` headers are signed as `ApiClient` signs (the other headers the SDK sends
//! are added). The rest of the input is a list of changes (`arbitrary`): to the method, query,
//! body, any header, the `Authorization` text, one digit of the signature, the timestamp.
//!
//! - The signed base passes (the signer and the verifier agree on every well-formed request).
//! - A changed request passes only if everything signed is unchanged: method, query, payload
//!   (unless unsigned), `Host` and `Content-Type` (as the algorithm normalises them: trimmed,
//!   lower-case), the timestamp's value, the token, and the signature itself.
//! - `--strict` accepts nothing the lenient check refuses. Nothing panics.

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use scf_fuzz::{NOW, Request, SECRET_ID, SECRET_KEY};
use scf_local::AccessKey;
use scf_local::fuzzing::verify_signature;
use scf_sdk::runtime::sign;

/// How far before `NOW` the base is signed (inside the allowed skew).
const SIGNED_AGO: i64 = 7;

#[derive(Debug, Arbitrary)]
enum Mutation {
    Method(Edit),
    Query(Edit),
    Body(Edit),
    Header(Name, Edit),
    Add(Name, String),
    Remove(Name),
    /// Sets one digit of the signature in `Authorization`.
    SignatureDigit {
        at: u8,
        digit: u8,
    },
    /// Moves `X-TC-Timestamp` by this many seconds.
    Timestamp(i16),
}

#[derive(Debug, Arbitrary)]
enum Name {
    Host,
    ContentType,
    Authorization,
    Timestamp,
    Token,
    ContentSha256,
    Action,
    Other(String),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Host => "Host",
            Name::ContentType => "Content-Type",
            Name::Authorization => "Authorization",
            Name::Timestamp => "X-TC-Timestamp",
            Name::Token => "X-TC-Token",
            Name::ContentSha256 => "X-TC-Content-SHA256",
            Name::Action => "X-TC-Action",
            Name::Other(name) => name,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Set(Vec<u8>),
    Insert { at: u16, bytes: Vec<u8> },
    Remove { at: u16, len: u8 },
    Replace { at: u16, byte: u8 },
    Upper,
    Lower,
    Pad,
}

impl Edit {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let at = |at: u16| usize::from(at) % (bytes.len() + 1);
        match self {
            Edit::Set(new) => *bytes = new.clone(),
            Edit::Insert { at: i, bytes: new } => {
                let i = at(*i);
                bytes.splice(i..i, new.iter().copied());
            }
            Edit::Remove { at: i, len } => {
                let i = at(*i);
                let end = (i + usize::from(*len)).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Replace { at: i, byte } => {
                if !bytes.is_empty() {
                    let i = usize::from(*i) % bytes.len();
                    bytes[i] = *byte;
                }
            }
            Edit::Upper => bytes.make_ascii_uppercase(),
            Edit::Lower => bytes.make_ascii_lowercase(),
            Edit::Pad => {
                bytes.insert(0, b' ');
                bytes.push(b'\t');
            }
        }
    }

    fn apply_text(&self, text: &mut String) {
        let mut bytes = std::mem::take(text).into_bytes();
        self.apply(&mut bytes);
        *text = String::from_utf8_lossy(&bytes).into_owned();
    }
}

/// What the signature covers, read from a request as the algorithm defines it.
#[derive(Debug, PartialEq, Eq)]
struct Signed {
    method: String,
    query: String,
    /// `None` when `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is sent.
    payload: Option<Vec<u8>>,
    host: Option<String>,
    content_type: Option<String>,
    timestamp: Option<i64>,
    token: Option<String>,
}

/// A header value as the emulator can read it (visible ASCII), else `None`.
fn readable<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).filter(|v| v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)))
}

fn signed(request: &Request) -> Signed {
    let normal = |name| readable(request, name).map(|v| v.trim().to_ascii_lowercase());
    let unsigned = readable(request, "x-tc-content-sha256") == Some(sign::UNSIGNED_PAYLOAD);
    Signed {
        method: request.method.clone(),
        query: request.query.clone(),
        payload: (!unsigned).then(|| request.body.clone()),
        host: normal("host"),
        content_type: normal("content-type"),
        timestamp: readable(request, "x-tc-timestamp").and_then(|t| t.trim().parse().ok()),
        token: readable(request, "x-tc-token").map(str::to_owned),
    }
}

/// Whether `authorization` carries exactly `signature` as its `Signature=` value.
fn carries(authorization: &str, signature: &str) -> bool {
    authorization.split(',').any(|part| part.trim().strip_prefix("Signature=") == Some(signature))
}

/// The base request, signed as `ApiClient` does, and its key. `None` if the base is not a request
/// HTTP could carry (a header value the emulator cannot read).
fn sign_base(base: &Request) -> Option<(Request, AccessKey, String)> {
    let host = readable(base, "host").unwrap_or_default().to_owned();
    let content_type = readable(base, "content-type").unwrap_or_default().to_owned();
    let token = base.header("x-tc-token").map(str::to_owned);
    if token.as_deref().is_some_and(|t| readable(base, "x-tc-token") != Some(t)) {
        return None;
    }
    let unsigned = base.header("x-tc-content-sha256") == Some(sign::UNSIGNED_PAYLOAD);
    let payload_hash = sign::hash_payload(if unsigned { sign::UNSIGNED_PAYLOAD.as_bytes() } else { &base.body });
    let timestamp = NOW - SIGNED_AGO;
    let authorization = sign::sign(
        &sign::SignableRequest {
            method: &base.method,
            query: &base.query,
            content_type: &content_type,
            host: &host,
            payload_hash: &payload_hash,
        },
        &sign::SigningParams { secret_id: SECRET_ID, secret_key: SECRET_KEY, service: "scf", timestamp },
    );
    let signature = authorization.rsplit_once("Signature=")?.1.to_owned();
    let mut headers = vec![
        ("Host".to_owned(), host),
        ("Content-Type".to_owned(), content_type),
        ("Authorization".to_owned(), authorization),
        ("X-TC-Action".to_owned(), "ListFunctions".to_owned()),
        ("X-TC-Version".to_owned(), "2018-04-16".to_owned()),
        ("X-TC-Timestamp".to_owned(), timestamp.to_string()),
        ("X-TC-Region".to_owned(), "ap-guangzhou".to_owned()),
    ];
    if let Some(token) = &token {
        headers.push(("X-TC-Token".to_owned(), token.clone()));
    }
    if unsigned {
        headers.push(("X-TC-Content-SHA256".to_owned(), sign::UNSIGNED_PAYLOAD.to_owned()));
    }
    let key = AccessKey { secret_id: SECRET_ID.into(), secret_key: SECRET_KEY.into(), token };
    Some((Request { headers, ..base.clone() }, key, signature))
}

fn verify(request: &Request, key: &AccessKey, strict: bool) -> bool {
    verify_signature(&request.method, &request.query, &request.headers, &request.body, key, strict, NOW).is_ok()
}

fn mutate(request: &mut Request, mutation: &Mutation) {
    let position =
        |request: &Request, name: &str| request.headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(name));
    match mutation {
        Mutation::Method(edit) => edit.apply_text(&mut request.method),
        Mutation::Query(edit) => edit.apply_text(&mut request.query),
        Mutation::Body(edit) => edit.apply(&mut request.body),
        Mutation::Header(name, edit) => match position(request, name.as_str()) {
            Some(i) => edit.apply_text(&mut request.headers[i].1),
            None => {
                let mut value = String::new();
                edit.apply_text(&mut value);
                request.headers.push((name.as_str().to_owned(), value));
            }
        },
        Mutation::Add(name, value) => request.headers.push((name.as_str().to_owned(), value.clone())),
        Mutation::Remove(name) => {
            if let Some(i) = position(request, name.as_str()) {
                request.headers.remove(i);
            }
        }
        Mutation::SignatureDigit { at, digit } => {
            if let Some(i) = position(request, "authorization") {
                let value = &mut request.headers[i].1;
                if let Some(start) = value.find("Signature=").map(|s| s + "Signature=".len()) {
                    let len = value.len() - start;
                    if len > 0 && value.is_char_boundary(start + usize::from(*at) % len) {
                        let i = start + usize::from(*at) % len;
                        let digit = char::from(b"0123456789abcdef"[usize::from(digit % 16)]);
                        let end = value[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                        value.replace_range(i..end, digit.encode_utf8(&mut [0; 4]));
                    }
                }
            }
        }
        Mutation::Timestamp(delta) => {
            if let Some(i) = position(request, "x-tc-timestamp") {
                let value = &mut request.headers[i].1;
                if let Ok(t) = value.trim().parse::<i64>() {
                    *value = t.saturating_add(i64::from(*delta)).to_string();
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else { return };
    let split = usize::from(u16::from_le_bytes([*a, *b])).min(rest.len());
    let (base, program) = rest.split_at(split);
    let Some(base) = Request::parse(base) else { return };
    let Some((original, key, signature)) = sign_base(&base) else { return };
    assert!(verify(&original, &key, false), "the emulator refused a request the SDK signed: {original:?}");

    let Ok(mutations) = Vec::<Mutation>::arbitrary_take_rest(Unstructured::new(program)) else { return };
    let mut request = original.clone();
    for mutation in &mutations {
        mutate(&mut request, mutation);
    }
    let lenient = verify(&request, &key, false);
    let strict = verify(&request, &key, true);
    assert!(lenient || !strict, "--strict accepted a request the lenient check refused");
    if lenient {
        assert_eq!(signed(&request), signed(&original), "a changed signed part still verified: {mutations:?}");
        let authorization = readable(&request, "authorization").unwrap_or_default();
        assert!(carries(authorization, &signature), "a changed signature still verified: {authorization:?}");
    }
});
