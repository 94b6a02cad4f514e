//! Serde adapters for members that are JSON inside a string on the wire (`"Event": "{\"k\":1}"`).
//!
//! Used as `#[serde(with = "…::json_string")]` (required members) or
//! `#[serde(with = "…::json_string::option")]` (optional members) by generated code.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::wire::EMBEDDED_JSON;

/// Encodes `value` as JSON, then sends that text as a string.
///
/// The value goes to the serializer as a newtype of a private name: any serializer gets the
/// string, and the SDK's own request writer writes the text straight into the body instead.
pub fn serialize<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(EMBEDDED_JSON, &Embedded(value))
}

/// A value sent as the string of its JSON text.
struct Embedded<'a, T>(&'a T);

impl<T: Serialize> Serialize for Embedded<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if super::wire::take_embedded_request() {
            // The request writer, which escapes the JSON as it writes it.
            return self.0.serialize(serializer);
        }
        let bytes = to_vec(self.0).map_err(serde::ser::Error::custom)?;
        // serde_json writes valid UTF-8; the check is a fast scan, kept so no `unsafe` is needed.
        let text = std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

/// `value` as compact JSON, like `serde_json::to_vec`, but with strings scanned eight bytes at a
/// time and without doubling the buffer after one large write (a 6 MB string written in one piece,
/// then a closing quote, would otherwise leave a 12 MB buffer): see [`super::wire`].
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    match super::wire::write(value, &mut out) {
        Ok(()) => Ok(out),
        // A shape the fast writer leaves to serde_json (a non-string map key, a NaN, …).
        Err(super::wire::Stop) => serde_json::to_vec(value),
    }
}

/// Reads a string and decodes its content as JSON.
pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    serde_json::from_str(&text)
        .map_err(|e| D::Error::custom(format_args!("the string does not hold the expected JSON: {e}")))
}

/// The same, for `Option` members: `None` is left out by the generated `skip_serializing_if`, and a
/// JSON `null` reads as `None`.
pub mod option {
    use super::*;

    /// Encodes the value inside `Some` like [`super::serialize`].
    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Decodes like [`super::deserialize`]; `null` gives `None`.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| D::Error::custom(format_args!("the string does not hold the expected JSON: {e}")))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Carrier {
        #[serde(with = "super")]
        required: Value,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "super::option")]
        map: Option<BTreeMap<String, String>>,
    }

    #[test]
    fn round_trips_as_a_string() {
        let value =
            Carrier { required: json!({"k": [1, "two"]}), map: Some(BTreeMap::from([("a".into(), "b".into())])) };
        let wire = serde_json::to_string(&value).unwrap();
        assert_eq!(wire, r#"{"required":"{\"k\":[1,\"two\"]}","map":"{\"a\":\"b\"}"}"#);
        assert_eq!(serde_json::from_str::<Carrier>(&wire).unwrap(), value);
    }

    #[test]
    fn absent_and_null_optional_members_are_none() {
        let absent: Carrier = serde_json::from_str(r#"{"required":"1"}"#).unwrap();
        assert_eq!(absent.map, None);
        let null: Carrier = serde_json::from_str(r#"{"required":"1","map":null}"#).unwrap();
        assert_eq!(null.map, None);
        assert_eq!(serde_json::to_string(&absent).unwrap(), r#"{"required":"1"}"#);
    }

    #[test]
    fn content_that_is_not_the_expected_json_is_an_error() {
        let err = serde_json::from_str::<Carrier>(r#"{"required":"{not json"}"#).unwrap_err();
        assert!(err.to_string().contains("does not hold the expected JSON"), "{err}");
        let err = serde_json::from_str::<Carrier>(r#"{"required":"1","map":"{\"a\":1}"}"#).unwrap_err();
        assert!(err.to_string().contains("does not hold the expected JSON"), "{err}");
    }
}
