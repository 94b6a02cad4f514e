//! The payload of the catch-all variant of generated enums.

use std::fmt;

/// A value (region, error code, enum value) that this version of the SDK does not know.
///
/// It is opaque on purpose: read it with [`as_str`](Self::as_str) rather than matching on it, so
/// code keeps working when a later version of the SDK gives the value a variant of its own.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    /// The value as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for UnknownValue {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
