//! Errors from builders.

use std::fmt;

/// A builder could not produce its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A required member was not set.
    MissingMember {
        /// The Rust type being built, e.g. `InvokeFunctionRequest`.
        structure: &'static str,
        /// The member's wire name, e.g. `FunctionName`.
        member: &'static str,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingMember { structure, member } => {
                write!(f, "cannot build `{structure}`: the required member `{member}` is not set")
            }
        }
    }
}

impl std::error::Error for BuildError {}
