//! An independent TC3-HMAC-SHA256 verifier for the test server: it rebuilds the canonical request
//! from the request as received — whichever headers the `Authorization` header says were signed —
//! and recomputes the signature. Written apart from `scf_sdk::runtime::sign` on purpose, so a bug
//! in the signer cannot hide itself.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// A request as the server saw it.
#[derive(Debug)]
pub struct Received<'a> {
    pub method: &'a str,
    pub query: &'a str,
    /// Header names (any case) and values, as received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Why a signature was not accepted, as an API 3.0 error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

fn reject(code: &'static str, message: impl Into<String>) -> Rejection {
    Rejection { code, message: message.into() }
}

/// Verifies `request` for `service`, signed with `secret_id`/`secret_key`, `now` in Unix seconds.
pub fn verify(
    request: &Received<'_>,
    service: &str,
    secret_id: &str,
    secret_key: &str,
    now: i64,
) -> Result<(), Rejection> {
    let header =
        |name: &str| request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let authorization =
        header("authorization").ok_or_else(|| reject("AuthFailure.InvalidAuthorization", "no Authorization header"))?;
    let rest = authorization
        .strip_prefix("TC3-HMAC-SHA256 ")
        .ok_or_else(|| reject("AuthFailure.InvalidAuthorization", "not TC3-HMAC-SHA256"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(", ") {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {
                return Err(reject("AuthFailure.InvalidAuthorization", format!("unexpected `{part}`")));
            }
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(reject("AuthFailure.InvalidAuthorization", "incomplete Authorization header"));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [id, date, scope_service, "tc3_request"] = scope[..] else {
        return Err(reject("AuthFailure.InvalidAuthorization", "malformed Credential"));
    };
    if id != secret_id {
        return Err(reject("AuthFailure.SecretIdNotFound", format!("unknown SecretId `{id}`")));
    }
    if scope_service != service {
        return Err(reject("AuthFailure.SignatureFailure", format!("the scope names service `{scope_service}`")));
    }
    let timestamp: i64 = header("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| reject("MissingParameter", "X-TC-Timestamp is missing or not a number"))?;
    if (now - timestamp).abs() > 300 {
        return Err(reject(
            "AuthFailure.SignatureExpire",
            format!("timestamp {timestamp} is more than 5 minutes from {now}"),
        ));
    }
    if date != utc_date(timestamp) {
        return Err(reject("AuthFailure.SignatureFailure", "the scope date is not the timestamp's date"));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(reject("AuthFailure.SignatureFailure", "content-type and host must be signed"));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = header(name)
            .ok_or_else(|| reject("AuthFailure.SignatureFailure", format!("signed header {name} is missing")))?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim().to_lowercase()));
    }
    let payload_hash = if header("x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD") {
        sha256_hex(b"UNSIGNED-PAYLOAD")
    } else {
        sha256_hex(request.body)
    };
    let canonical = [request.method, "/", request.query, &canonical_headers, signed_headers, &payload_hash].join("\n");
    let string_to_sign =
        format!("TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}", sha256_hex(canonical.as_bytes()));
    let mut key = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    key = hmac(&key, service.as_bytes());
    key = hmac(&key, b"tc3_request");
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if expected != signature {
        return Err(reject("AuthFailure.SignatureFailure", "the signature does not match"));
    }
    Ok(())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `YYYY-MM-DD` of a Unix timestamp, by counting days (a different method from the SDK's).
pub fn utc_date(timestamp: i64) -> String {
    let mut days = timestamp.div_euclid(86_400);
    let mut year = 1970;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let lengths = [31, if is_leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while days >= lengths[month] {
        days -= lengths[month];
        month += 1;
    }
    format!("{year:04}-{:02}-{:02}", month + 1, days + 1)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verifier itself must accept Tencent's published example.
    #[test]
    fn accepts_the_official_example() {
        let headers = vec![
            ("Content-Type".to_owned(), "application/json; charset=utf-8".to_owned()),
            ("Host".to_owned(), "cvm.tencentcloudapi.com".to_owned()),
            ("X-TC-Timestamp".to_owned(), "1551113065".to_owned()),
            (
                "Authorization".to_owned(),
                "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168".to_owned(),
            ),
        ];
        let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let request = Received { method: "POST", query: "", headers: &headers, body };
        let verdict = verify(
            &request,
            "cvm",
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            1551113065 + 10,
        );
        assert_eq!(verdict, Ok(()));
        let late = verify(
            &request,
            "cvm",
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            1551113065 + 301,
        );
        assert_eq!(late.unwrap_err().code, "AuthFailure.SignatureExpire");
        let wrong_key = verify(&request, "cvm", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "nope", 1551113065);
        assert_eq!(wrong_key.unwrap_err().code, "AuthFailure.SignatureFailure");
    }

    #[test]
    fn dates() {
        assert_eq!(utc_date(1551113065), "2019-02-25");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(0), "1970-01-01");
    }
}
