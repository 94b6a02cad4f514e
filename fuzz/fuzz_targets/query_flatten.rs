#![no_main]
//! The emulator's reading of a GET query (`Filters.0.Values.1=x&Limit=1`) into typed JSON.
//!
//! Input: `[action, query…]`: `action` picks one of the catalogue's actions (its members type the
//! values), the rest is the query string.
//!
//! Never panics; an accepted query gives a JSON object no deeper than the depth cap, which the
//! catalogue's validation then checks without panicking; a refusal says why.

use libfuzzer_sys::fuzz_target;
use scf_local::fuzzing::{QUERY_MAX_DEPTH, params_from_query};
use serde_json::Value;

/// Levels of `value`, as the query's keys count them (`{"Filters":[{"Name":"x"}]}`, from
/// `Filters.0.Name`, is 3).
fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, query @ ..] = data else { return };
    let actions = scf_sdk::catalog::ACTIONS;
    let action = actions[usize::from(*pick) % actions.len()];
    let query = String::from_utf8_lossy(query);
    match params_from_query(action.name, &query) {
        Ok(params) => {
            assert!(params.is_object(), "{params}");
            assert!(depth(&params) <= QUERY_MAX_DEPTH, "deeper than the cap: {query}");
            let _ = scf_sdk::runtime::validate_input(action, &params);
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
});
