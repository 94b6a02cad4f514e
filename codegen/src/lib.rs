//! The scf-rs code generator: JSON API description → typed Rust.
//!
//! The pipeline, one module per stage:
//! 1. [`spec`]: the serde model of the description; [`parse`] rejects malformed JSON and unknown keys.
//! 2. [`validate`]: every semantic problem at once, each with its JSON path.
//! 3. [`ir`]: the model the emitters read, with every Rust name decided by [`naming`].
//! 4. [`emit`]: `quote` token streams, formatted by `prettyplease`, one [`GeneratedFile`] each.
//!
//! The same spec always gives byte-identical files.

pub mod emit;
pub mod error;
pub mod ir;
pub mod naming;
pub mod output;
pub mod spec;
pub mod validate;

use std::fmt;

pub use emit::{GeneratedFile, Options};
pub use error::{SpecError, SpecErrors};

/// Why generation failed.
#[derive(Debug)]
pub enum Error {
    /// The spec is malformed or inconsistent.
    Spec(SpecErrors),
    /// The generator produced invalid Rust: a bug in the generator, not in the spec.
    Emit(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec(errors) => errors.fmt(f),
            Error::Emit(message) => write!(f, "internal generator error: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parses a spec document. Fails on invalid JSON, unknown keys and values of the wrong JSON type,
/// naming the JSON path of the first such problem.
pub fn parse(json: &str) -> Result<spec::Spec, SpecErrors> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { "$".to_owned() } else { format!("$.{path}") };
        SpecErrors::one(path, error.into_inner().to_string())
    })
}

/// Parses, validates and lowers a spec into the IR.
pub fn analyze(json: &str) -> Result<ir::Service, SpecErrors> {
    let spec = parse(json)?;
    validate::validate(&spec)?;
    Ok(ir::lower(&spec))
}

/// Generates every file for the spec in `json`.
pub fn generate(json: &str, options: &Options) -> Result<Vec<GeneratedFile>, Error> {
    let service = analyze(json).map_err(Error::Spec)?;
    emit::emit(&service, options).map_err(Error::Emit)
}
