//! Round-tripping example responses through the generated response types: every field of the
//! example must come back after deserialising and serialising again — nothing lost, nothing
//! invented. Nulls may come back absent (output members the service may leave null deserialise as
//! `None`), numbers compare by value (`100` and `100.0`), and strings that hold JSON compare by the
//! JSON they hold.

use std::collections::BTreeMap;

use scf_sdk::runtime::{Action, ActionVisitor};
use serde_json::Value;

/// Example responses by action name (each `{"Response": {...}}`), and what round-tripping found.
#[derive(Debug, Default)]
pub struct RoundTrip {
    examples: BTreeMap<String, Vec<Value>>,
    /// How many examples were checked.
    pub checked: usize,
    /// One line per example that did not survive the round trip.
    pub failures: Vec<String>,
}

impl RoundTrip {
    /// Examples in the layout of tccli's `examples.json`: `{"actions": {"Name": [{"output": "<JSON text>"}]}}`
    /// (an `output` may also be the JSON itself).
    pub fn new(examples: &Value) -> Result<Self, String> {
        let actions = examples["actions"].as_object().ok_or("no `actions` object")?;
        let mut parsed = BTreeMap::new();
        for (action, list) in actions {
            let list = list.as_array().ok_or_else(|| format!("{action}: not a list"))?;
            let outputs = list
                .iter()
                .map(|example| match &example["output"] {
                    Value::String(text) => serde_json::from_str(text).map_err(|e| format!("{action}: {e}")),
                    other => Ok(other.clone()),
                })
                .collect::<Result<Vec<Value>, String>>()?;
            parsed.insert(action.clone(), outputs);
        }
        Ok(Self { examples: parsed, ..Self::default() })
    }

    /// Actions that have examples.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.examples.keys().map(String::as_str)
    }
}

impl ActionVisitor for RoundTrip {
    fn visit<A: Action>(&mut self) {
        let name = A::DESCRIPTOR.name;
        let Some(outputs) = self.examples.get(name) else { return };
        for (i, output) in outputs.iter().enumerate() {
            self.checked += 1;
            let original = &output["Response"];
            let typed: A::Response = match serde_json::from_value(original.clone()) {
                Ok(typed) => typed,
                Err(e) => {
                    self.failures.push(format!("{name} example {i}: does not deserialise: {e}"));
                    continue;
                }
            };
            let back = match serde_json::to_value(&typed) {
                Ok(back) => back,
                Err(e) => {
                    self.failures.push(format!("{name} example {i}: does not serialise: {e}"));
                    continue;
                }
            };
            let mut differences = Vec::new();
            compare("Response", original, &back, &mut differences);
            for difference in differences {
                self.failures.push(format!("{name} example {i}: {difference}"));
            }
        }
    }
}

/// Records where `back` (after the round trip) differs from `original`.
fn compare(path: &str, original: &Value, back: &Value, out: &mut Vec<String>) {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => compare(&child, value, other, out),
                    None if value.is_null() => {}
                    None => out.push(format!("{child} was lost")),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{key} appeared"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (Value::String(a), Value::String(b)) if a != b && same_json(a, b) => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path} changed from {a} to {b}")),
    }
}

fn same_json(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(x), Ok(y)) => {
            let mut differences = Vec::new();
            compare("", &x, &y, &mut differences);
            differences.is_empty()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn comparison_rules() {
        let mut out = Vec::new();
        compare(
            "R",
            &json!({"a": 100, "b": null, "c": "{\"k\": 1}"}),
            &json!({"a": 100.0, "c": "{\"k\":1}"}),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        compare("R", &json!({"a": 1, "d": [1, 2]}), &json!({"e": 2, "d": [1]}), &mut out);
        assert_eq!(out, ["R.a was lost", "R.d changed from [1,2] to [1]", "R.e appeared"]);
    }
}
