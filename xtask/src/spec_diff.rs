//! `cargo xtask spec-diff`: our API description against Tencent's own machine-readable one
//! (`tccli/services/scf/v20180416/api.json`): every action, structure and member, with its type and
//! required flags. Differences are printed as a table; any that `api-spec/scf/spec-diff-allow.json`
//! does not list, with a reason, fails the run — as does an allow-list entry that matches nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use codegen::ir::{self, Type};
use serde_json::Value;

use crate::tccli;

const SPEC: &str = "api-spec/scf/2018-04-16.json";
const ALLOW_LIST: &str = "api-spec/scf/spec-diff-allow.json";

/// One member as compared: canonical type and the flags that apply where the type travels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    ty: String,
    required: Option<bool>,
    output_required: Option<bool>,
    nullable: Option<bool>,
}

/// A structure's members, by name, in both descriptions.
type Objects = BTreeMap<String, BTreeMap<String, Member>>;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Difference {
    kind: &'static str,
    item: String,
    official: String,
    ours: String,
}

pub fn run() -> ExitCode {
    match diff() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn diff() -> Result<bool, String> {
    let root = crate::workspace::root()?;
    let official_dir = tccli::scf_dir(&root)?;
    let official: Value = read_json(&official_dir.join("api.json"))?;
    let spec_text = std::fs::read_to_string(root.join(SPEC)).map_err(|e| format!("{SPEC}: {e}"))?;
    let service = codegen::analyze(&spec_text).map_err(|e| format!("{SPEC}: {e}"))?;
    let allowed: Vec<Value> = read_json(&root.join(ALLOW_LIST))
        .and_then(|v: Value| v.as_array().cloned().ok_or_else(|| format!("{ALLOW_LIST}: expected a list")))?;

    let comparison = compare(&official, &service)?;
    let differences = comparison.differences;
    // Match differences against the allow-list.
    let mut used = vec![false; allowed.len()];
    let mut unexplained = 0;
    let rows: Vec<[String; 5]> = differences
        .iter()
        .map(|d| {
            let entry = allowed.iter().position(|a| a["kind"] == d.kind && a["item"] == d.item.as_str());
            let status = match entry {
                Some(i) => {
                    used[i] = true;
                    "allowed".to_owned()
                }
                None => {
                    unexplained += 1;
                    "DIFFERS".to_owned()
                }
            };
            [d.kind.to_owned(), d.item.clone(), d.official.clone(), d.ours.clone(), status]
        })
        .collect();
    for entry in &allowed {
        if entry["reason"].as_str().is_none_or(|r| r.trim().is_empty()) {
            return Err(format!("{ALLOW_LIST}: entry {entry} has no reason"));
        }
    }
    let stale: Vec<&Value> = allowed.iter().zip(&used).filter(|(_, used)| !**used).map(|(entry, _)| entry).collect();

    if !rows.is_empty() {
        print_table(&["kind", "item", "official", "ours", "status"], &rows);
        println!();
    }
    println!("official description: tccli {} ({})", tccli::TCCLI_VERSION, official_dir.display());
    for (what, [official, ours, matched]) in
        [("actions", comparison.actions), ("structures", comparison.structures), ("members", comparison.members)]
    {
        println!("{what:<11} {matched}/{official} matched ({ours} in our spec)");
    }
    println!(
        "differences: {} ({} allowed with a reason, {unexplained} unexplained)",
        differences.len(),
        differences.len() - unexplained
    );
    for entry in &stale {
        println!("stale allow-list entry (matches no difference): {entry}");
    }
    Ok(unexplained == 0 && stale.is_empty())
}

/// What [`compare`] found: counts as `[official, ours, matched]`, and the differences.
struct Comparison {
    actions: [usize; 3],
    structures: [usize; 3],
    members: [usize; 3],
    differences: Vec<Difference>,
}

/// Compares the official description (`api.json`) with ours.
fn compare(official: &Value, service: &ir::Service) -> Result<Comparison, String> {
    let (official_actions, official_objects) = official_model(official)?;
    let (our_actions, our_objects) = our_model(service);
    let mut differences = Vec::new();
    compare_sets(["missing action", "extra action"], &official_actions, &our_actions, &mut differences);
    let official_names: BTreeSet<String> = official_objects.keys().cloned().collect();
    let our_names: BTreeSet<String> = our_objects.keys().cloned().collect();
    compare_sets(["missing structure", "extra structure"], &official_names, &our_names, &mut differences);
    let mut matched_members = 0;
    for (object, official_members) in &official_objects {
        let Some(our_members) = our_objects.get(object) else { continue };
        for (name, theirs) in official_members {
            let item = format!("{object}.{name}");
            let Some(ours) = our_members.get(name) else {
                differences.push(Difference {
                    kind: "missing member",
                    item,
                    official: theirs.ty.clone(),
                    ours: "-".into(),
                });
                continue;
            };
            matched_members += 1;
            if theirs.ty != ours.ty {
                differences.push(Difference {
                    kind: "type",
                    item: item.clone(),
                    official: theirs.ty.clone(),
                    ours: ours.ty.clone(),
                });
            }
            for (kind, a, b) in [
                ("required", theirs.required, ours.required),
                ("output_required", theirs.output_required, ours.output_required),
                ("nullable", theirs.nullable, ours.nullable),
            ] {
                if let (Some(a), Some(b)) = (a, b)
                    && a != b
                {
                    differences.push(Difference {
                        kind,
                        item: item.clone(),
                        official: a.to_string(),
                        ours: b.to_string(),
                    });
                }
            }
        }
        for name in our_members.keys().filter(|n| !official_members.contains_key(*n)) {
            differences.push(Difference {
                kind: "extra member",
                item: format!("{object}.{name}"),
                official: "-".into(),
                ours: "present".into(),
            });
        }
    }
    let count = |objects: &Objects| objects.values().map(BTreeMap::len).sum();
    Ok(Comparison {
        actions: [official_actions.len(), our_actions.len(), official_actions.intersection(&our_actions).count()],
        structures: [official_names.len(), our_names.len(), official_names.intersection(&our_names).count()],
        members: [count(&official_objects), count(&our_objects), matched_members],
        differences,
    })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Names in one set and not the other, as `missing` (official only) and `extra` (ours only).
fn compare_sets(
    [missing, extra]: [&'static str; 2],
    official: &BTreeSet<String>,
    ours: &BTreeSet<String>,
    out: &mut Vec<Difference>,
) {
    for name in official.difference(ours) {
        out.push(Difference { kind: missing, item: name.clone(), official: "present".into(), ours: "-".into() });
    }
    for name in ours.difference(official) {
        out.push(Difference { kind: extra, item: name.clone(), official: "-".into(), ours: "present".into() });
    }
}

/// Where a structure travels, which decides which flags of its members mean something.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Output,
    Both,
}

/// The official description, normalised: actions, and every object's members. Output members that
/// the official description marks `required` (it does so for a few) are read as `output_required`,
/// and every response's `RequestId` as always returned.
fn official_model(api: &Value) -> Result<(BTreeSet<String>, Objects), String> {
    let actions_json = api["actions"].as_object().ok_or("api.json has no `actions`")?;
    let objects_json = api["objects"].as_object().ok_or("api.json has no `objects`")?;
    let actions = actions_json.keys().cloned().collect();
    let mut objects = Objects::new();
    for (name, object) in objects_json {
        let side = if name.ends_with("Request") && actions_json.contains_key(name.trim_end_matches("Request")) {
            Side::Input
        } else if name.ends_with("Response") && actions_json.contains_key(name.trim_end_matches("Response")) {
            Side::Output
        } else {
            match object["usage"].as_str() {
                Some("in") => Side::Input,
                Some("out") => Side::Output,
                _ => Side::Both,
            }
        };
        let mut members = BTreeMap::new();
        for m in object["members"].as_array().ok_or_else(|| format!("object {name} has no members"))? {
            let member_name = m["name"].as_str().ok_or("a member without a name")?.to_owned();
            let required = m["required"].as_bool().unwrap_or(false);
            let output_required = m["output_required"].as_bool().unwrap_or(false);
            let nullable = m["value_allowed_null"].as_bool().unwrap_or(false);
            // API 3.0 puts a `RequestId` in every response, which the description leaves unflagged.
            let output_required = output_required || (side == Side::Output && member_name == "RequestId");
            let (required, output_required) = match side {
                Side::Input => (Some(required), None),
                Side::Output => (None, Some(output_required || required)),
                Side::Both => (Some(required), Some(output_required)),
            };
            let nullable = (side != Side::Input).then_some(nullable);
            members.insert(member_name, Member { ty: official_type(m), required, output_required, nullable });
        }
        objects.insert(name.clone(), members);
    }
    Ok((actions, objects))
}

fn official_type(m: &Value) -> String {
    let member = m["member"].as_str().unwrap_or_default();
    match m["type"].as_str().unwrap_or_default() {
        "object" => format!("object<{member}>"),
        "list" => format!("list<{}>", if member == "int" { "int64" } else { member }),
        "int" => member.to_owned(),
        "string" if member == "datetime" => "datetime".into(),
        other => other.to_owned(),
    }
}

/// Our description, seen the same way (from the IR, so implied members such as `RequestId` count).
fn our_model(service: &ir::Service) -> (BTreeSet<String>, Objects) {
    let spec_names: BTreeMap<&str, &str> =
        service.structures.iter().map(|s| (s.rust_name.as_str(), s.spec_name.as_str())).collect();
    let type_name = |ty: &Type| -> String {
        fn name(ty: &Type, spec_names: &BTreeMap<&str, &str>) -> String {
            match ty {
                Type::String | Type::Json(_) | Type::Enum(_) => "string".into(),
                Type::DateTime => "datetime".into(),
                Type::Int64 => "int64".into(),
                Type::UInt64 => "uint64".into(),
                Type::Float => "float".into(),
                Type::Bool => "bool".into(),
                Type::Structure(rust) => spec_names.get(rust.as_str()).copied().unwrap_or(rust).to_owned(),
                Type::List(inner) => name(inner, spec_names),
            }
        }
        match ty {
            Type::Structure(_) => format!("object<{}>", name(ty, &spec_names)),
            Type::List(inner) => format!("list<{}>", name(inner, &spec_names)),
            other => name(other, &spec_names),
        }
    };
    let members = |members: &[ir::Member]| -> BTreeMap<String, Member> {
        members
            .iter()
            .map(|m| {
                let member = Member {
                    ty: type_name(&m.ty),
                    required: Some(m.required),
                    output_required: Some(m.output_required),
                    nullable: Some(m.nullable),
                };
                (m.wire_name.clone(), member)
            })
            .collect()
    };
    let mut objects = Objects::new();
    for s in &service.structures {
        objects.insert(s.spec_name.clone(), members(&s.members));
    }
    for a in &service.actions {
        objects.insert(a.request.spec_name.clone(), members(&a.request.members));
        objects.insert(a.response.spec_name.clone(), members(&a.response.members));
    }
    (service.actions.iter().map(|a| a.name.clone()).collect(), objects)
}

fn print_table(header: &[&str; 5], rows: &[[String; 5]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("| {} |", padded.join(" | "));
    };
    line(*header);
    println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
    for row in rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SPEC: &str = r#"{
        "format": 1,
        "service": { "name": "demo", "title": "Demo", "version": "2020-01-01", "docs": "Demo.",
                     "endpoint": "demo.example.com", "regional_endpoint": "demo.{region}.example.com" },
        "regions": [{ "id": "ap-guangzhou", "name": "Guangzhou" }],
        "error_codes": [],
        "structures": [{ "name": "Thing", "docs": "A thing.", "members": [
            { "name": "Id", "type": "string", "required": true, "output_required": true, "docs": "Id." },
            { "name": "Size", "type": "int64", "docs": "Size." }
        ]}],
        "actions": [{ "name": "GetThing", "docs": "Gets one.", "errors": [],
            "input": [{ "name": "Id", "type": "string", "required": true, "docs": "Which." }],
            "output": [{ "name": "Thing", "type": "Thing", "output_required": true, "nullable": true, "docs": "It." }] }]
    }"#;

    fn official() -> Value {
        json!({
            "actions": { "GetThing": { "input": "GetThingRequest", "output": "GetThingResponse" } },
            "objects": {
                "GetThingRequest": { "members": [
                    { "name": "Id", "type": "string", "member": "string", "required": true }
                ]},
                "GetThingResponse": { "members": [
                    { "name": "Thing", "type": "object", "member": "Thing", "output_required": true, "value_allowed_null": true },
                    { "name": "RequestId", "type": "string", "member": "string" }
                ]},
                "Thing": { "usage": "both", "members": [
                    { "name": "Id", "type": "string", "member": "string", "required": true, "output_required": true },
                    { "name": "Size", "type": "int", "member": "int64", "required": false, "output_required": false }
                ]}
            }
        })
    }

    fn kinds(official: &Value) -> Vec<(String, String)> {
        let service = codegen::analyze(SPEC).unwrap();
        compare(official, &service).unwrap().differences.into_iter().map(|d| (d.kind.to_owned(), d.item)).collect()
    }

    #[test]
    fn identical_descriptions_have_no_differences() {
        let service = codegen::analyze(SPEC).unwrap();
        let comparison = compare(&official(), &service).unwrap();
        assert!(comparison.differences.is_empty(), "{:?}", comparison.differences);
        assert_eq!(comparison.actions, [1, 1, 1]);
        assert_eq!(comparison.structures, [3, 3, 3]);
        assert_eq!(comparison.members, [5, 5, 5]);
    }

    #[test]
    fn every_kind_of_difference_is_found() {
        let mut api = official();
        api["actions"]["DeleteThing"] = json!({ "input": "DeleteThingRequest", "output": "DeleteThingResponse" });
        api["objects"]["Thing"]["members"][1]["member"] = json!("uint64");
        api["objects"]["Thing"]["members"][1]["required"] = json!(true);
        api["objects"]["GetThingRequest"]["members"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "name": "Verbose", "type": "bool", "member": "bool" }));
        api["objects"]["GetThingResponse"]["members"][0]["value_allowed_null"] = json!(false);
        api["objects"]["Thing"]["members"].as_array_mut().unwrap().remove(0);
        assert_eq!(
            kinds(&api),
            [
                ("missing action".to_owned(), "DeleteThing".to_owned()),
                ("missing member".to_owned(), "GetThingRequest.Verbose".to_owned()),
                ("nullable".to_owned(), "GetThingResponse.Thing".to_owned()),
                ("type".to_owned(), "Thing.Size".to_owned()),
                ("required".to_owned(), "Thing.Size".to_owned()),
                ("extra member".to_owned(), "Thing.Id".to_owned()),
            ]
        );
    }
}
