//! Example responses survive a round trip through the generated response types, with no field
//! lost: our own examples (`tests/fixtures/examples.json`), always; and every official example
//! (`examples.json` of the tccli package), once `cargo xtask spec-diff` has cached it (ignored until
//! asked for with `-- --ignored`, as `.ci/run` does).
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use std::path::{Path, PathBuf};

use scf_sdk::catalog;
use scf_tests::examples::RoundTrip;

fn round_trip(examples: &serde_json::Value) -> RoundTrip {
    let mut round_trip = RoundTrip::new(examples).unwrap();
    for action in round_trip.actions() {
        assert!(catalog::action(action).is_some(), "example for an unknown action `{action}`");
    }
    catalog::visit_actions(&mut round_trip);
    round_trip
}

#[test]
fn our_example_responses_round_trip() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples.json");
    let examples = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let result = round_trip(&examples);
    assert!(result.failures.is_empty(), "{}", result.failures.join("\n"));
    assert!(result.checked >= 6, "only {} examples checked", result.checked);
}

/// `target/tccli-cache/<version>/…/examples.json`, whichever version `spec-diff` cached.
fn cached_official_examples() -> Option<PathBuf> {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tccli-cache");
    std::fs::read_dir(cache)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("tccli/services/scf/v20180416/examples.json"))
        .find(|path| path.is_file())
}

#[test]
#[ignore = "needs the official examples: `cargo xtask spec-diff` caches them, then `-- --ignored` (.ci/run does both)"]
fn every_official_example_response_round_trips() {
    let path = cached_official_examples()
        .expect("the official examples are not cached: run `cargo xtask spec-diff` first, which fetches them");
    let examples = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let result = round_trip(&examples);
    assert!(
        result.failures.is_empty(),
        "{} of {} examples lost something:\n{}",
        result.failures.len(),
        result.checked,
        result.failures.join("\n")
    );
    assert_eq!(result.checked, 54, "the official description has 54 examples");
}
