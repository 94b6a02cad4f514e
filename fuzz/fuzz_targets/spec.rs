#![no_main]
//! The code generator's reading of an API description: parsing (unknown keys and wrong types are
//! errors) and validation (every semantic problem, with its JSON path), then, for a description it
//! accepts, generation itself.
//!
//! Input: JSON text. Never panics: a bad description is an error that names where; and one that
//! validates generates Rust without an internal error (validation must catch what generation
//! cannot handle).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match codegen::analyze(text) {
        Err(errors) => assert!(!errors.0.is_empty(), "a refusal without a reason"),
        Ok(_) => {
            let options = codegen::Options {
                spec_path: "fuzz.json".into(),
                runtime_path: "crate::runtime".into(),
                generated_path: "crate::generated".into(),
            };
            if let Err(codegen::Error::Emit(message)) = codegen::generate(text, &options) {
                panic!("a description that validates cannot be generated: {message}");
            }
        }
    }
});
