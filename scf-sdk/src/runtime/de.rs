//! Support for the `Deserialize` impls the generator emits for structures (hidden from the docs).
//!
//! serde's derive generates, per structure, a field enum with its own visitor, a sequence visitor
//! and a map visitor; the API only ever sends JSON objects, so the generator emits a single map
//! visitor per structure instead, built on these helpers — about a third of the code to compile.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, Visitor};

/// An object key: borrowed from the input when it can be, owned otherwise.
#[derive(Debug)]
pub enum Key<'de> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Copied (the input had escapes, or is not a string slice).
    Owned(String),
}

impl Key<'_> {
    /// The key.
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(key) => key,
            Key::Owned(key) => key,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(key))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key.to_owned()))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key))
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The value of a required member, or serde's "missing field" error naming it.
pub fn required<T, E: de::Error>(value: Option<T>, member: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(member))
}

/// A member that is JSON carried in a string: deserialises the string, then its content as `T`
/// (`null` and an absent member give `None`).
#[derive(Debug)]
pub struct JsonString<T>(pub Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for JsonString<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::json_string::option::deserialize(deserializer).map(JsonString)
    }
}

/// The `expecting` text of a structure's visitor.
pub fn expecting(f: &mut fmt::Formatter<'_>, structure: &str) -> fmt::Result {
    write!(f, "a `{structure}` object")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_borrow_when_they_can() {
        let key: Key<'_> = serde_json::from_str(r#""Plain""#).unwrap();
        assert!(matches!(key, Key::Borrowed("Plain")));
        let key: Key<'_> = serde_json::from_str(r#""Esc\u0061ped""#).unwrap();
        assert!(matches!(&key, Key::Owned(k) if k == "Escaped"));
        let value = serde_json::json!("Owned");
        let key = Key::deserialize(&value).unwrap();
        assert_eq!(key.as_str(), "Owned");
    }
}
