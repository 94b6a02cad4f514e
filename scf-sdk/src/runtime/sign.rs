//! TC3-HMAC-SHA256 request signing, split the way the algorithm is:
//!
//! 1. [`canonical_request`]: method, URI, query, signed headers and the payload hash;
//! 2. [`string_to_sign`]: algorithm, timestamp, credential scope and the canonical request's hash;
//! 3. [`signing_key`]: `HMAC("TC3" + SecretKey, date)` → service → `"tc3_request"`;
//! 4. [`signature`]: hex `HMAC(signing key, string to sign)`;
//! 5. [`authorization`]: the `Authorization` header value.
//!
//! [`sign`] runs them in order. The signer knows nothing about HTTP libraries: it takes strings and
//! returns strings, so every stage is tested on its own against Tencent's published example. The
//! payload is hashed once by the caller ([`hash_payload`]), however many times a request is signed
//! (each retry is signed afresh with a new timestamp).

use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name in the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The headers the official SDKs sign, in canonical (sorted) order.
pub const SIGNED_HEADERS: &str = "content-type;host";

/// The literal hashed in place of the body when `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is sent.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What a request looks like to the signer. `Debug` shows the query's length, not the query: for
/// GET it carries the request's members, sensitive ones among them.
#[derive(Clone, Copy)]
pub struct SignableRequest<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The query string exactly as sent (empty for POST).
    pub query: &'a str,
    /// The `Content-Type` header value.
    pub content_type: &'a str,
    /// The `Host` header value exactly as sent (with the port, if the URL has one).
    pub host: &'a str,
    /// Lower-case hex SHA-256 of the payload, from [`hash_payload`].
    pub payload_hash: &'a str,
}

/// Everything besides the request that goes into a signature.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    /// The SecretId, named in the `Authorization` header.
    pub secret_id: &'a str,
    /// The SecretKey the signing key is derived from.
    pub secret_key: &'a str,
    /// Service name in the credential scope, e.g. `scf`.
    pub service: &'a str,
    /// Unix seconds, also sent as `X-TC-Timestamp`.
    pub timestamp: i64,
}

impl std::fmt::Debug for SignableRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignableRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.len())
            .field("content_type", &self.content_type)
            .field("host", &self.host)
            .field("payload_hash", &self.payload_hash)
            .finish()
    }
}

impl std::fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningParams")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"** redacted **")
            .field("service", &self.service)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// Lower-case hex SHA-256 of `payload` (the body for POST, empty for GET).
pub fn hash_payload(payload: &[u8]) -> String {
    hash_payload_hex(payload).iter().map(|&b| char::from(b)).collect()
}

/// [`hash_payload`] on the stack: ASCII hex digits.
pub(crate) fn hash_payload_hex(payload: &[u8]) -> [u8; 64] {
    hex_array(&Sha256::digest(payload).into())
}

/// Stage 1: the canonical request.
pub fn canonical_request(request: &SignableRequest<'_>) -> String {
    // Tencent's signing document: header names and values lower-cased and trimmed.
    format!(
        "{method}\n/\n{query}\ncontent-type:{content_type}\nhost:{host}\n\n{SIGNED_HEADERS}\n{payload_hash}",
        method = request.method,
        query = request.query,
        content_type = request.content_type.trim().to_ascii_lowercase(),
        host = request.host.trim().to_ascii_lowercase(),
        payload_hash = request.payload_hash,
    )
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp, as the credential scope wants it.
pub fn scope_date(timestamp: i64) -> String {
    DateOf(timestamp).to_string()
}

/// `{date}/{service}/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/tc3_request")
}

/// Stage 2: the string to sign.
pub fn string_to_sign(timestamp: i64, scope: &str, canonical_request: &str) -> String {
    let hashed = hex(&Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{timestamp}\n{scope}\n{hashed}")
}

/// Stage 3: the signing key derived from the secret key, the date and the service.
pub fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, b"tc3_request")
}

/// Stage 4: the hex signature of the string to sign.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Stage 5: the `Authorization` header value.
pub fn authorization(secret_id: &str, scope: &str, signature: &str) -> String {
    format!("{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}")
}

/// All stages: the `Authorization` header for `request`. The same result as the stage functions
/// composed, computed without building their intermediate strings (a signature per attempt is on
/// every call's path).
pub fn sign(request: &SignableRequest<'_>, params: &SigningParams<'_>) -> String {
    sign_with_key(request, params, |date| signing_key(params.secret_key, date, params.service))
}

/// [`sign`], with the signing key for the request's date (`YYYY-MM-DD`) from `signing_key`, which
/// derives it from `params.secret_key` as [`signing_key`] does (or remembers it).
pub(crate) fn sign_with_key(
    request: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    signing_key: impl FnOnce(&str) -> [u8; 32],
) -> String {
    let mut date_buffer = [0u8; 32];
    let date = write_to(&mut date_buffer, format_args!("{}", DateOf(params.timestamp)));
    let mut timestamp_buffer = [0u8; 24];
    let timestamp = write_to(&mut timestamp_buffer, format_args!("{}", params.timestamp));

    // Stage 1, hashed as it is produced.
    let mut canonical = Sha256::new();
    for part in [
        request.method,
        "\n/\n",
        request.query,
        "\ncontent-type:",
        &lower_trimmed(request.content_type),
        "\nhost:",
        &lower_trimmed(request.host),
        "\n\n",
        SIGNED_HEADERS,
        "\n",
        request.payload_hash,
    ] {
        canonical.update(part.as_bytes());
    }
    let canonical_hash = hex_array(&canonical.finalize().into());

    // Stage 3, then stage 2 fed straight into stage 4's HMAC.
    let key = signing_key(date);
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    for part in [ALGORITHM, "\n", timestamp, "\n", date, "/", params.service, "/tc3_request\n"] {
        mac.update(part.as_bytes());
    }
    mac.update(&canonical_hash);
    let signature = hex_array(&mac.finalize().into_bytes().into());

    // Stage 5.
    let parts = [
        ALGORITHM,
        " Credential=",
        params.secret_id,
        "/",
        date,
        "/",
        params.service,
        "/tc3_request, SignedHeaders=",
        SIGNED_HEADERS,
        ", Signature=",
    ];
    let mut authorization = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + signature.len());
    parts.iter().for_each(|part| authorization.push_str(part));
    authorization.extend(signature.iter().map(|&b| char::from(b)));
    authorization
}

/// The signing key one secret key derived last, with the date and service it is for. Every request
/// signed with the same credentials on the same day derives the same key: three HMACs this saves.
/// A thread that finds the cache in use by another derives the key itself rather than wait. It
/// belongs with its secret key: [`Credentials`](super::Credentials) keeps one beside its own.
#[derive(Default)]
pub(crate) struct SigningKeyCache(std::sync::Mutex<Option<CachedKey>>);

struct CachedKey {
    date: String,
    service: String,
    key: [u8; 32],
}

impl SigningKeyCache {
    /// [`signing_key`], from the cache when it holds the key for `date` and `service`.
    pub(crate) fn signing_key(&self, secret_key: &str, date: &str, service: &str) -> [u8; 32] {
        let Ok(mut cached) = self.0.try_lock() else { return signing_key(secret_key, date, service) };
        match cached.as_ref() {
            Some(hit) if hit.date == date && hit.service == service => hit.key,
            _ => {
                let key = signing_key(secret_key, date, service);
                let entry =
                    cached.get_or_insert_with(|| CachedKey { date: String::new(), service: String::new(), key });
                // The strings are kept: credentials that sign for two services in turn miss every
                // time, and should cost no more than without a cache.
                entry.date.clear();
                entry.date.push_str(date);
                entry.service.clear();
                entry.service.push_str(service);
                entry.key = key;
                key
            }
        }
    }
}

/// A copy starts empty: the cache is not part of what the credentials are.
impl Clone for SigningKeyCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Credentials are equal by their keys, whatever either has cached.
impl PartialEq for SigningKeyCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SigningKeyCache {}

/// The UTC date of a Unix timestamp, displayed as [`scope_date`] writes it.
struct DateOf(i64);

impl std::fmt::Display for DateOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month, day) = civil_from_days(self.0.div_euclid(86_400));
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

/// Formats into `buffer` (large enough for what is written into it here) and returns the text.
fn write_to<'a>(buffer: &'a mut [u8], args: std::fmt::Arguments<'_>) -> &'a str {
    use std::io::Write as _;
    let capacity = buffer.len();
    let mut rest = &mut buffer[..];
    // Dates and timestamps are short; a longer text would be cut short, never overflow.
    let _ = rest.write_fmt(args);
    let written = capacity - rest.len();
    std::str::from_utf8(&buffer[..written]).unwrap_or_default()
}

/// `text` trimmed and lower-cased, copied only when it has capitals.
fn lower_trimmed(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.trim();
    if text.bytes().any(|b| b.is_ascii_uppercase()) { text.to_ascii_lowercase().into() } else { text.into() }
}

/// Lower-case hex of a digest, on the stack.
fn hex_array(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`): the calendar of the credential scope's date, for anything
/// else that writes dates the way the API does.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tencent's published example (api3-common.md): DescribeInstances on cvm.
    const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
    const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    const TIMESTAMP: i64 = 1551113065;
    const PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    fn example() -> (String, SigningParams<'static>) {
        let params =
            SigningParams { secret_id: SECRET_ID, secret_key: SECRET_KEY, service: "cvm", timestamp: TIMESTAMP };
        (hash_payload(PAYLOAD.as_bytes()), params)
    }

    fn request(payload_hash: &str) -> SignableRequest<'_> {
        SignableRequest {
            method: "POST",
            query: "",
            content_type: "application/json; charset=utf-8",
            host: "cvm.tencentcloudapi.com",
            payload_hash,
        }
    }

    #[test]
    fn canonical_request_matches_the_official_example() {
        let (hash, _) = example();
        let canonical = canonical_request(&request(&hash));
        assert_eq!(
            canonical,
            format!(
                "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n{hash}"
            )
        );
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
    }

    #[test]
    fn string_to_sign_matches_the_official_example() {
        let (hash, _) = example();
        let scope = credential_scope(&scope_date(TIMESTAMP), "cvm");
        assert_eq!(scope, "2019-02-25/cvm/tc3_request");
        assert_eq!(
            string_to_sign(TIMESTAMP, &scope, &canonical_request(&request(&hash))),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
    }

    #[test]
    fn signature_and_authorization_match_the_official_example() {
        let (hash, params) = example();
        let expected = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";
        let key = signing_key(SECRET_KEY, "2019-02-25", "cvm");
        let to_sign = string_to_sign(TIMESTAMP, "2019-02-25/cvm/tc3_request", &canonical_request(&request(&hash)));
        assert_eq!(signature(&key, &to_sign), expected);
        assert_eq!(
            sign(&request(&hash), &params),
            format!(
                "TC3-HMAC-SHA256 Credential={SECRET_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature={expected}"
            )
        );
    }

    #[test]
    fn header_values_are_trimmed_and_lower_cased() {
        let hash = hash_payload(b"");
        let mut messy = request(&hash);
        messy.host = " CVM.TencentCloudAPI.com ";
        messy.content_type = "Application/JSON; charset=utf-8 ";
        assert_eq!(canonical_request(&messy), canonical_request(&request(&hash)));
    }

    /// `sign` computes the stages without their strings: the same result as the stages composed.
    #[test]
    fn sign_is_the_stages_composed() {
        let hash = hash_payload(b"{}");
        let mut messy = request(&hash);
        messy.host = " CVM.TencentCloudAPI.com:8443 ";
        messy.query = "Limit=1&Name=a%20b";
        for timestamp in [0, 951_782_400, TIMESTAMP, 4_102_444_800, 300_000_000_000] {
            for secret_key in ["k", &"long-secret".repeat(20)] {
                let params = SigningParams { secret_id: "id", secret_key, service: "scf", timestamp };
                let date = scope_date(timestamp);
                let scope = credential_scope(&date, "scf");
                let to_sign = string_to_sign(timestamp, &scope, &canonical_request(&messy));
                let composed =
                    authorization("id", &scope, &signature(&signing_key(secret_key, &date, "scf"), &to_sign));
                assert_eq!(sign(&messy, &params), composed, "{timestamp}");
            }
        }
    }

    /// The key is `"TC3"` and the secret key however long the secret is (short ones are put
    /// together on the stack, long ones on the heap).
    #[test]
    fn the_signing_key_takes_secret_keys_of_any_length() {
        for length in [0, 1, 124, 125, 126, 300] {
            let secret_key = "s".repeat(length);
            let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), b"2026-12-01");
            let expected = hmac_sha256(&hmac_sha256(&k_date, b"scf"), b"tc3_request");
            assert_eq!(signing_key(&secret_key, "2026-12-01", "scf"), expected, "{length}");
        }
    }

    #[test]
    fn a_cached_signing_key_signs_as_a_fresh_one() {
        let (hash, params) = example();
        let cache = SigningKeyCache::default();
        // The same day twice, then the next day, another service, and the first day again: each
        // signed as by `sign`, which derives the key afresh.
        for (timestamp, service) in [
            (TIMESTAMP, "cvm"),
            (TIMESTAMP + 60, "cvm"),
            (TIMESTAMP + 86_400, "cvm"),
            (TIMESTAMP + 86_400, "scf"),
            (TIMESTAMP, "cvm"),
        ] {
            let params = SigningParams { timestamp, service, ..params };
            let cached = sign_with_key(&request(&hash), &params, |date| cache.signing_key(SECRET_KEY, date, service));
            assert_eq!(cached, sign(&request(&hash), &params));
        }
        // Held elsewhere, the cache is passed by: the key is derived, not waited for.
        let held = cache.0.lock().unwrap();
        let params = SigningParams { timestamp: TIMESTAMP + 2 * 86_400, ..params };
        let cached = sign_with_key(&request(&hash), &params, |date| cache.signing_key(SECRET_KEY, date, "cvm"));
        assert_eq!(cached, sign(&request(&hash), &params));
        drop(held);
        assert!(cache.0.lock().unwrap().as_ref().is_some_and(|hit| hit.date == scope_date(TIMESTAMP)));
    }

    #[test]
    fn scope_dates_are_utc() {
        assert_eq!(scope_date(0), "1970-01-01");
        assert_eq!(scope_date(86_399), "1970-01-01");
        assert_eq!(scope_date(86_400), "1970-01-02");
        assert_eq!(scope_date(951_782_400), "2000-02-29");
        assert_eq!(scope_date(1_709_251_199), "2024-02-29");
        assert_eq!(scope_date(4_102_444_800), "2100-01-01");
        assert_eq!(scope_date(-1), "1969-12-31");
    }

    #[test]
    fn empty_payload_hash() {
        assert_eq!(hash_payload(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn debug_redacts_the_secret_key() {
        let (_, params) = example();
        let debug = format!("{params:?}");
        assert!(!debug.contains(SECRET_KEY), "{debug}");
        assert!(debug.contains(SECRET_ID));
    }
}
