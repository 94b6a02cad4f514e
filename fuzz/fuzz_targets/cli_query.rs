#![no_main]
//! The CLI's `--query` paths (`Functions[0].FunctionName`, `Functions[].Tags[*].Key`): parsing,
//! checking against every action's output members, and picking from an answer, then printing the
//! pick in every output format.
//!
//! Input: `query\nanswer`: the path, then JSON text standing for the answer.
//!
//! scf-cli is a binary crate, so its `json` and `output` modules are compiled into this target by
//! path (`output` names `crate::json`, which resolves to the module below): no library target to
//! add and keep up for the fuzzer alone.

#[allow(dead_code)]
#[path = "../../scf-cli/src/json.rs"]
mod json;
#[allow(dead_code)]
#[path = "../../scf-cli/src/output.rs"]
mod output;

use libfuzzer_sys::fuzz_target;

use crate::json::Json;
use crate::output::{Format, Query};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, answer) = text.split_once('\n').unwrap_or((&text, ""));
    let answer = Json::parse(answer).ok();
    if let Some(mut answer) = answer.clone() {
        output::decode_ret_msg(&mut answer);
    }
    let Ok(query) = Query::parse(path) else { return };
    for action in scf_sdk::catalog::ACTIONS {
        let _ = query.check(action);
    }
    if let Some(answer) = answer {
        let picked = query.apply(&answer);
        for format in [Format::Json, Format::Table, Format::Text] {
            for terminal in [false, true] {
                let _ = output::render(&picked, format, terminal);
            }
        }
    }
});
