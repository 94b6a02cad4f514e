//! Putting a request's parameters on the wire: a JSON body (POST) or a query string (GET).

use std::fmt::Write as _;

use bytes::Bytes;
use serde_json::Value;

use super::error::{ValidationError, ValidationErrorKind};
use super::transport::HttpMethod;

/// The API's limit on a POST body signed with TC3.
pub const MAX_POST_BYTES: usize = 10 * 1024 * 1024;
/// The API's limit on a GET request's query string.
pub const MAX_GET_BYTES: usize = 32 * 1024;

pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// A request's parameters, encoded.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub body: Bytes,
    pub query: String,
    pub content_type: &'static str,
}

/// The body of a POST request for `request`, an object with `members`, written straight from it:
/// `None` if a member breaks a rule of its descriptor (or has a shape the fast writer leaves to
/// `serde_json`), and the request must go the general way — [`validate`](super::validate) its JSON,
/// then [`encode`] — which reports the error exactly.
pub(crate) fn encode_post_checked<T: serde::Serialize + ?Sized>(
    request: &T,
    members: &'static [super::catalog::MemberDescriptor],
) -> Option<Result<Encoded, ValidationError>> {
    let mut body = Vec::with_capacity(256);
    super::wire::write_checked(request, members, &mut body).ok()?;
    Some(post(body))
}

/// A POST body within the API's limit.
fn post(body: Vec<u8>) -> Result<Encoded, ValidationError> {
    if body.len() > MAX_POST_BYTES {
        return Err(ValidationError::new(
            "request",
            ValidationErrorKind::TooLarge,
            format!("is {} bytes as JSON; the API accepts at most {MAX_POST_BYTES} bytes (10 MB)", body.len()),
        ));
    }
    Ok(Encoded { body: body.into(), query: String::new(), content_type: JSON_CONTENT_TYPE })
}

/// Encodes `params` (a JSON object) for `method`, enforcing the API's size limit for it.
pub(crate) fn encode(method: HttpMethod, params: &Value) -> Result<Encoded, ValidationError> {
    match method {
        HttpMethod::Post => {
            let body = super::json_string::to_vec(params).map_err(|e| {
                ValidationError::new(
                    "request",
                    ValidationErrorKind::WrongType,
                    format!("cannot be encoded as JSON: {e}"),
                )
            })?;
            post(body)
        }
        HttpMethod::Get => {
            let mut query = String::new();
            flatten(None, params, &mut query);
            if query.len() > MAX_GET_BYTES {
                return Err(ValidationError::new(
                    "request",
                    ValidationErrorKind::TooLarge,
                    format!(
                        "is {} bytes as a query string; GET allows at most {MAX_GET_BYTES} bytes (32 KB): use POST",
                        query.len()
                    ),
                ));
            }
            Ok(Encoded { body: Bytes::new(), query, content_type: FORM_CONTENT_TYPE })
        }
    }
}

/// Tencent Cloud's flattening for query strings: `Filters.0.Name=x&Limit=1`.
fn flatten(prefix: Option<&str>, value: &Value, out: &mut String) {
    let mut pair = |key: &str, text: &str| {
        if !out.is_empty() {
            out.push('&');
        }
        percent_encode(key, out);
        out.push('=');
        percent_encode(text, out);
    };
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, child) in map {
                let key = prefix.map_or_else(|| key.clone(), |p| format!("{p}.{key}"));
                flatten(Some(&key), child, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let key = prefix.map_or_else(|| i.to_string(), |p| format!("{p}.{i}"));
                flatten(Some(&key), child, out);
            }
        }
        Value::String(text) => pair(prefix.unwrap_or_default(), text),
        Value::Bool(b) => pair(prefix.unwrap_or_default(), if *b { "true" } else { "false" }),
        Value::Number(n) => pair(prefix.unwrap_or_default(), &n.to_string()),
    }
}

/// RFC 3986 percent-encoding: everything but unreserved characters.
fn percent_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn get_flattens_nested_parameters() {
        let params = json!({"Limit": 1, "Filters": [{"Name": "instance-name", "Values": ["a b", "c&d"]}], "On": true, "Skip": null});
        let encoded = encode(HttpMethod::Get, &params).unwrap();
        assert_eq!(
            encoded.query,
            "Filters.0.Name=instance-name&Filters.0.Values.0=a%20b&Filters.0.Values.1=c%26d&Limit=1&On=true"
        );
        assert!(encoded.body.is_empty());
        assert_eq!(encoded.content_type, FORM_CONTENT_TYPE);
    }

    #[test]
    fn post_is_json() {
        let encoded = encode(HttpMethod::Post, &json!({"A": "é"})).unwrap();
        assert_eq!(&encoded.body[..], "{\"A\":\"é\"}".as_bytes());
        assert!(encoded.query.is_empty());
    }

    /// What the SDK writes, a reader gets back bit for bit: POST bodies and GET values alike (found
    /// by the property tests: without serde_json's `float_roundtrip`, both came back one bit off).
    #[test]
    fn floats_read_back_exactly() {
        for x in [0.9763627579507933_f64, 255575910554552.22, 1e-7, 5e-324, f64::MAX] {
            let encoded = encode(HttpMethod::Post, &json!({ "A": x })).unwrap();
            let back: Value = serde_json::from_slice(&encoded.body).unwrap();
            assert_eq!(back["A"].as_f64(), Some(x), "POST {x:e}");
            let encoded = encode(HttpMethod::Get, &json!({ "A": x })).unwrap();
            // The only escape a number can need: the exponent's sign (`1e+308`).
            let text = encoded.query.strip_prefix("A=").unwrap().replace("%2B", "+");
            let number: serde_json::Number = text.parse().unwrap();
            assert_eq!(number.as_f64(), Some(x), "GET {text}");
        }
    }

    #[test]
    fn size_limits_name_the_method() {
        let big = json!({"Event": "x".repeat(MAX_POST_BYTES)});
        let err = encode(HttpMethod::Post, &big).unwrap_err();
        assert!(err.message.contains("at most 10485760 bytes (10 MB)"), "{err}");
        let err = encode(HttpMethod::Get, &json!({"Event": "x".repeat(MAX_GET_BYTES)})).unwrap_err();
        assert!(err.message.ends_with("use POST"), "{err}");
    }
}
