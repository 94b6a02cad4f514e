//! Generates the fixture's code into `OUT_DIR/generated/` and a `mount.rs` that mounts it with an
//! absolute `#[path]`, so `src/lib.rs` can include a whole generated module tree.

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let spec_path = Path::new(&manifest_dir).join("../../codegen/tests/fixtures/demo.json");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let json = std::fs::read_to_string(&spec_path).expect("the fixture spec is readable");
    let options = codegen::Options {
        spec_path: "codegen/tests/fixtures/demo.json".into(),
        runtime_path: "::scf_sdk::runtime".into(),
        generated_path: "crate::generated".into(),
    };
    let files = codegen::generate(&json, &options).unwrap_or_else(|e| panic!("{e}"));
    let generated_dir = Path::new(&out_dir).join("generated");
    codegen::output::sync(&generated_dir, &files, codegen::output::Mode::Write).expect("OUT_DIR is writable");
    let mount = format!("#[path = {:?}]\npub mod generated;\n", generated_dir.join("mod.rs").display().to_string());
    std::fs::write(Path::new(&out_dir).join("mount.rs"), mount).expect("OUT_DIR is writable");
}
