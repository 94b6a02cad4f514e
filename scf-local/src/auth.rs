//! TC3-HMAC-SHA256 verification of incoming requests, from the request exactly as received, with
//! the SDK's signing primitives (canonical request → string to sign → signing key → signature).
//!
//! Official clients pointed at a local address have two known quirks, accepted (and logged at debug
//! level) unless the emulator runs `--strict`:
//! - `tccli --endpoint http://127.0.0.1:9100` sends, and signs, `Host: http://127.0.0.1:9100`;
//! - the Node.js SDK given `127.0.0.1:9100` signs the service as `127` (the host's first label) and
//!   the host without its port.

use axum::http::HeaderMap;
use scf_sdk::ErrorCode;
use scf_sdk::runtime::sign;

use crate::api_error::ApiError;

/// A key pair the emulator accepts; with a token, requests must carry it (`X-TC-Token`).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The SecretId.
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: String,
    /// The session token of temporary (STS) credentials.
    pub token: Option<String>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"** redacted **")
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// A request as received.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub method: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Received<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        header(self.headers, name)
    }
}

/// How far a request's timestamp may be from the emulator's clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// What [`check_headers`] found: the parsed `Authorization`, its key and the request's timestamp.
pub(crate) struct Checked<'h, 'k> {
    authorization: Authorization<'h>,
    key: &'k AccessKey,
    timestamp: i64,
}

/// The checks that need no body: a TC3 `Authorization` for a known SecretId, with a timestamp
/// within [`MAX_SKEW_SECONDS`]. Done before the body is read, so a client that holds no key cannot
/// make the emulator wait for, or buffer, a body at all. [`verify`] repeats them.
pub(crate) fn check_headers<'h, 'k>(
    headers: &'h HeaderMap,
    keys: &'k [AccessKey],
    now: i64,
) -> Result<Checked<'h, 'k>, ApiError> {
    let authorization = header(headers, "authorization").ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthFailureInvalidAuthorization,
            "The `Authorization` header is missing.",
            "缺少 Authorization 请求头。",
        )
    })?;
    let parsed = parse_authorization(authorization).ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthFailureInvalidAuthorization,
            "The `Authorization` header is not a TC3-HMAC-SHA256 authorization.",
            "Authorization 请求头格式错误。",
        )
    })?;
    let key = keys.iter().find(|k| k.secret_id == parsed.secret_id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthFailureSecretIdNotFound,
            format!("The SecretId `{}` is not known to this emulator.", parsed.secret_id),
            format!("SecretId `{}` 不存在。", parsed.secret_id),
        )
    })?;
    let timestamp: i64 = header(headers, "x-tc-timestamp").and_then(|t| t.trim().parse().ok()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::MissingParameter,
            "The `X-TC-Timestamp` header is missing or not a number.",
            "缺少 X-TC-Timestamp 请求头。",
        )
    })?;
    if now.abs_diff(timestamp) > MAX_SKEW_SECONDS as u64 {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureExpire,
            format!(
                "The signature has expired: timestamp {timestamp} is more than 5 minutes away from the server time {now}."
            ),
            format!("签名过期：请求时间戳 {timestamp} 与服务器时间 {now} 相差超过 5 分钟。"),
        ));
    }
    Ok(Checked { authorization: parsed, key, timestamp })
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the request's signature and timestamp against `keys`; `now` is Unix seconds.
pub fn verify(
    request: &Received<'_>,
    keys: &[AccessKey],
    service: &str,
    strict: bool,
    now: i64,
) -> Result<(), ApiError> {
    let Checked { authorization: parsed, key, timestamp } = check_headers(request.headers, keys, now)?;
    let mismatch = || {
        ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            "The signature does not match: check the SecretKey and how the request is signed.",
            "签名验证失败，请检查 SecretKey 和签名方法。",
        )
    };
    if parsed.date != sign::scope_date(timestamp) {
        return Err(mismatch());
    }
    // `Host` is signed: without a readable one there is nothing to check the signature against
    // (reading it as empty would let a signature over an empty host pass with any `Host`).
    let host = request.header("host").ok_or_else(mismatch)?;
    if strict && host.contains("://") {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            format!("The `Host` header `{host}` contains a scheme (refused in strict mode)."),
            format!("Host 请求头 `{host}` 包含协议名（严格模式下拒绝）。"),
        ));
    }
    // The quirk of the Node.js SDK: service = the host's first label, host without the port.
    let host_without_port = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) && !h.contains("://") { h } else { host }
    });
    let first_label = host_without_port.split('.').next().unwrap_or_default();
    let node_quirk = parsed.service != service && parsed.service == first_label;
    if parsed.service != service && !node_quirk {
        return Err(mismatch());
    }
    if node_quirk && strict {
        return Err(ApiError::new(
            ErrorCode::AuthFailureSignatureFailure,
            format!(
                "The credential scope names service `{}`, not `{service}` (refused in strict mode).",
                parsed.service
            ),
            format!("签名范围中的服务名 `{}` 不是 `{service}`（严格模式下拒绝）。", parsed.service),
        ));
    }
    let payload_hash = if request.header("x-tc-content-sha256") == Some(sign::UNSIGNED_PAYLOAD) {
        sign::hash_payload(sign::UNSIGNED_PAYLOAD.as_bytes())
    } else {
        sign::hash_payload(request.body)
    };
    let key_for_date = sign::signing_key(&key.secret_key, &parsed.date, &parsed.service);
    let scope = sign::credential_scope(&parsed.date, &parsed.service);
    let candidate_hosts: &[&str] = if node_quirk { &[host_without_port, host] } else { &[host] };
    let mut matched = false;
    for candidate in candidate_hosts {
        let canonical =
            canonical_request(request, &parsed.signed_headers, candidate, &payload_hash).ok_or_else(mismatch)?;
        let string_to_sign = sign::string_to_sign(timestamp, &scope, &canonical);
        if constant_time_eq(sign::signature(&key_for_date, &string_to_sign).as_bytes(), parsed.signature.as_bytes()) {
            matched = true;
            break;
        }
    }
    if !matched {
        return Err(mismatch());
    }
    if node_quirk {
        tracing::debug!(service = %parsed.service, host, "accepted a signature scoped to the host's first label (Node.js SDK quirk)");
    }
    if host.contains("://") {
        tracing::debug!(host, "accepted a Host header with a scheme (tccli --endpoint quirk)");
    }
    let token = request.header("x-tc-token");
    match (&key.token, token) {
        (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.as_bytes()) => Ok(()),
        (None, None) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::AuthFailureTokenFailure,
            "The session token (`X-TC-Token`) is missing, unknown or does not belong to this SecretId.",
            "临时证书 Token 错误。",
        )),
    }
}

/// The canonical request over the headers the client says it signed, with `host` in place of the
/// `Host` header (the quirks sign a different host than they send).
fn canonical_request(request: &Received<'_>, signed_headers: &str, host: &str, payload_hash: &str) -> Option<String> {
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let value = if name == "host" { host } else { request.header(name)? };
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&value.trim().to_ascii_lowercase());
        canonical_headers.push('\n');
    }
    Some(format!("{}\n/\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}", request.method, request.query))
}

struct Authorization<'a> {
    secret_id: &'a str,
    date: String,
    service: String,
    signed_headers: String,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("TC3-HMAC-SHA256")?.trim_start();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let (secret_id, date, service, terminator) = (scope.next()?, scope.next()?, scope.next()?, scope.next()?);
    let signed_headers = signed_headers?.to_ascii_lowercase();
    let required =
        signed_headers.split(';').any(|h| h == "host") && signed_headers.split(';').any(|h| h == "content-type");
    (terminator == "tc3_request" && scope.next().is_none() && required).then(|| Authorization {
        secret_id,
        date: date.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: signature.unwrap_or_default(),
    })
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const ID: &str = "AKIDlocal";
    const KEY: &str = "local-key";

    fn keys() -> Vec<AccessKey> {
        vec![AccessKey { secret_id: ID.into(), secret_key: KEY.into(), token: None }]
    }

    /// Signs like a client would: with `signed_host` and `service` in the scope, sending `sent_host`.
    fn signed(sent_host: &str, signed_host: &str, service: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
        let content_type = "application/json; charset=utf-8";
        let authorization = sign::sign(
            &sign::SignableRequest {
                method: "POST",
                query: "",
                content_type,
                host: signed_host,
                payload_hash: &sign::hash_payload(body),
            },
            &sign::SigningParams { secret_id: ID, secret_key: KEY, service, timestamp },
        );
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(sent_host).unwrap());
        headers.insert("content-type", HeaderValue::from_static(content_type));
        headers.insert("x-tc-timestamp", HeaderValue::from_str(&timestamp.to_string()).unwrap());
        headers.insert("authorization", HeaderValue::from_str(&authorization).unwrap());
        headers
    }

    fn check(headers: &HeaderMap, body: &[u8], strict: bool, now: i64) -> Result<(), ErrorCode> {
        let received = Received { method: "POST", query: "", headers, body };
        verify(&received, &keys(), "scf", strict, now).map_err(|e| e.code)
    }

    #[test]
    fn a_correct_signature_passes_and_tampering_fails() {
        let body = br#"{"FunctionName":"f"}"#;
        let headers = signed("127.0.0.1:9100", "127.0.0.1:9100", "scf", 1_000_000, body);
        assert_eq!(check(&headers, body, true, 1_000_010), Ok(()));
        assert_eq!(
            check(&headers, br#"{"FunctionName":"g"}"#, false, 1_000_010),
            Err(ErrorCode::AuthFailureSignatureFailure)
        );
        assert_eq!(check(&headers, body, false, 1_000_000 + 301), Err(ErrorCode::AuthFailureSignatureExpire));
        let mut wrong_id = headers.clone();
        let auth = wrong_id["authorization"].to_str().unwrap().replace(ID, "AKIDother");
        wrong_id.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert_eq!(check(&wrong_id, body, false, 1_000_000), Err(ErrorCode::AuthFailureSecretIdNotFound));
        let mut unsigned = headers.clone();
        unsigned.remove("authorization");
        assert_eq!(check(&unsigned, body, false, 1_000_000), Err(ErrorCode::AuthFailureInvalidAuthorization));
    }

    #[test]
    fn client_quirks_pass_unless_strict() {
        let body = b"{}";
        // tccli: the Host header carries the scheme, and is signed that way.
        let tccli = signed("http://127.0.0.1:9100", "http://127.0.0.1:9100", "scf", 1_000_000, body);
        assert_eq!(check(&tccli, body, false, 1_000_000), Ok(()));
        assert_eq!(check(&tccli, body, true, 1_000_000), Err(ErrorCode::AuthFailureSignatureFailure));
        // Node.js SDK: service `127`, host without the port.
        let node = signed("127.0.0.1:9100", "127.0.0.1", "127", 1_000_000, body);
        assert_eq!(check(&node, body, false, 1_000_000), Ok(()));
        assert_eq!(check(&node, body, true, 1_000_000), Err(ErrorCode::AuthFailureSignatureFailure));
        // Any other service is refused.
        let other = signed("127.0.0.1:9100", "127.0.0.1:9100", "cvm", 1_000_000, body);
        assert_eq!(check(&other, body, false, 1_000_000), Err(ErrorCode::AuthFailureSignatureFailure));
    }

    /// Found by fuzzing (`tc3_mutate`): an unreadable or missing `Host` was read as an empty one,
    /// so a request signed for an empty host passed whatever `Host` it carried.
    #[test]
    fn a_missing_or_unreadable_host_fails() {
        let body = b"{}";
        let mut headers = signed("", "", "scf", 1_000_000, body);
        assert_eq!(check(&headers, body, false, 1_000_000), Ok(()), "the empty host is what was signed");
        headers.insert("host", HeaderValue::from_bytes(b"\x80").unwrap());
        assert_eq!(check(&headers, body, false, 1_000_000), Err(ErrorCode::AuthFailureSignatureFailure));
        headers.remove("host");
        assert_eq!(check(&headers, body, false, 1_000_000), Err(ErrorCode::AuthFailureSignatureFailure));
    }

    #[test]
    fn tokens_must_match_their_key() {
        let body = b"{}";
        let mut headers = signed("h:1", "h:1", "scf", 1_000_000, body);
        let with_token = vec![AccessKey { secret_id: ID.into(), secret_key: KEY.into(), token: Some("tok".into()) }];
        let received = Received { method: "POST", query: "", headers: &headers, body };
        assert_eq!(
            verify(&received, &with_token, "scf", false, 1_000_000).map_err(|e| e.code),
            Err(ErrorCode::AuthFailureTokenFailure)
        );
        headers.insert("x-tc-token", HeaderValue::from_static("tok"));
        let received = Received { method: "POST", query: "", headers: &headers, body };
        assert_eq!(verify(&received, &with_token, "scf", false, 1_000_000).map_err(|e| e.code), Ok(()));
        assert_eq!(
            verify(&received, &keys(), "scf", false, 1_000_000).map_err(|e| e.code),
            Err(ErrorCode::AuthFailureTokenFailure)
        );
    }
}
