//! `cargo xtask error-lists --from CLIENT_GO [--write]`: the spec's per-action error-code lists against
//! the official Go SDK's (`tencentcloud/scf/v20180416/client.go` of TencentCloud/tencentcloud-sdk-go).
//! That file puts a comment `// 可能返回的错误码:` ("error codes it may return") followed by one
//! `//  CONSTANT = "Code"` line per code right before each action's method.
//!
//! An action's list becomes the Go list, except where `api-spec/scf/error-lists-overrides.json` says
//! otherwise, each time with a reason: codes kept beside the Go list (the seed page's), or an action kept
//! `"service-wide"` because its Go list is not credible. An action the Go file lists nothing for keeps
//! what it has, a list or `"service-wide"`. Without `--write` the run prints what would change and exits 1 if
//! anything would; `--write` rewrites those `"errors"` lines of the spec and nothing else. A code missing
//! from the spec's `error_codes` needs a description written by hand first: the run names it and writes
//! nothing.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

const SPEC: &str = "api-spec/scf/2018-04-16.json";
const OVERRIDES: &str = "api-spec/scf/error-lists-overrides.json";

/// The comment line that opens an action's list in `client.go`.
const LIST_MARKER: &str = "// 可能返回的错误码:";

/// Error codes by action, as the Go file lists them; an empty set means it lists none.
pub type GoLists = BTreeMap<String, BTreeSet<String>>;

pub const USAGE: &str = "error-lists --from CLIENT_GO [--write]";

pub fn run(args: &[&str]) -> ExitCode {
    let (from, write) = match args {
        ["--from", path] => (*path, false),
        ["--from", path, "--write"] | ["--write", "--from", path] => (*path, true),
        _ => {
            eprintln!("usage: cargo xtask {USAGE}");
            return ExitCode::from(2);
        }
    };
    match error_lists(Path::new(from), write) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Compares (and with `write`, updates); `Ok(true)` when the spec is, or now is, up to date.
fn error_lists(from: &Path, write: bool) -> Result<bool, String> {
    let root = crate::workspace::root()?;
    let go_text = std::fs::read_to_string(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let go = parse_client_go(&go_text).map_err(|e| format!("{}: {e}", from.display()))?;
    let spec_text = std::fs::read_to_string(root.join(SPEC)).map_err(|e| format!("{SPEC}: {e}"))?;
    let spec: Value = serde_json::from_str(&spec_text).map_err(|e| format!("{SPEC}: {e}"))?;
    let overrides_text = std::fs::read_to_string(root.join(OVERRIDES)).map_err(|e| format!("{OVERRIDES}: {e}"))?;
    let overrides: Value = serde_json::from_str(&overrides_text).map_err(|e| format!("{OVERRIDES}: {e}"))?;

    let plan = plan(&spec, &go, &overrides)?;
    print_plan(&plan, from);
    if !plan.unknown_codes.is_empty() {
        eprintln!(
            "error: add these codes to `error_codes` in {SPEC}, each with a description, then run again: {}",
            join(&plan.unknown_codes)
        );
        return Ok(false);
    }
    let targets: BTreeMap<&str, &Errors> = plan
        .actions
        .iter()
        .filter(|a| a.changes())
        .filter_map(|a| Some((a.name.as_str(), a.target.as_ref()?)))
        .collect();
    if targets.is_empty() {
        println!("the spec's lists are up to date");
        return Ok(true);
    }
    if !write {
        println!("{} action(s) would change; run again with --write to update {SPEC}", targets.len());
        return Ok(false);
    }
    let updated = rewrite_errors(&spec_text, &targets)?;
    let path = root.join(SPEC);
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, updated).map_err(|e| format!("{}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("updated the lists of {} action(s) in {SPEC}", targets.len());
    Ok(true)
}

/// Reads the per-action lists of a Go SDK `client.go`. Each action has two methods (`X` and
/// `XWithContext`) with the same comment; they must agree. A list not followed by a method is an error,
/// so that a change of layout cannot go unnoticed.
pub fn parse_client_go(text: &str) -> Result<GoLists, String> {
    let mut lists = GoLists::new();
    let mut pending: Option<(usize, BTreeSet<String>)> = None;
    let mut in_list = false;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim_end();
        if line == LIST_MARKER {
            if let Some((first, _)) = pending {
                return Err(format!(
                    "line {number}: a second error-code list in the comment (the first is at line {first})"
                ));
            }
            pending = Some((number, BTreeSet::new()));
            in_list = true;
        } else if let Some((_, codes)) = pending.as_mut().filter(|_| in_list && line.starts_with("//  ")) {
            let code = parse_code_line(line).map_err(|e| format!("line {number}: {e}"))?;
            if !codes.insert(code.clone()) {
                return Err(format!("line {number}: `{code}` is listed twice"));
            }
        } else if let Some(method) = client_method(line) {
            let codes = pending.take().map(|(_, codes)| codes).unwrap_or_default();
            in_list = false;
            let action = method.strip_suffix("WithContext").unwrap_or(method);
            match lists.entry(action.to_owned()) {
                Entry::Vacant(entry) => {
                    entry.insert(codes);
                }
                Entry::Occupied(entry) if *entry.get() == codes => {}
                Entry::Occupied(_) => {
                    return Err(format!(
                        "line {number}: `{method}` lists other codes than the other method of `{action}`"
                    ));
                }
            }
        } else {
            in_list = false;
            if let Some((first, _)) = pending.as_ref().filter(|_| !line.starts_with("//")) {
                return Err(format!("line {first}: an error-code list that no `func (c *Client)` method follows"));
            }
        }
    }
    match pending {
        Some((first, _)) => Err(format!("line {first}: an error-code list that no `func (c *Client)` method follows")),
        None => Ok(lists),
    }
}

/// `//  CONSTANT = "Code"` → `Code`; the constant must be the code's own spelling (upper case, `_`
/// for `.`), which catches a line that is something else.
fn parse_code_line(line: &str) -> Result<String, String> {
    let expected = || format!("expected `//  CONSTANT = \"Code\"`, found `{line}`");
    let (constant, quoted) = line.strip_prefix("//  ").and_then(|rest| rest.split_once(" = ")).ok_or_else(expected)?;
    let code = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).ok_or_else(expected)?;
    if code.is_empty() || constant != code.to_uppercase().replace('.', "_") {
        return Err(format!("the constant `{constant}` does not spell the code `{code}`"));
    }
    Ok(code.to_owned())
}

/// The method name of a line `func (c *Client) Name(…`.
fn client_method(line: &str) -> Option<&str> {
    let (name, _) = line.strip_prefix("func (c *Client) ")?.split_once('(')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
}

/// An action's `errors` in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Errors {
    /// `"service-wide"`: no list of its own.
    ServiceWide,
    Listed(BTreeSet<String>),
}

impl Errors {
    fn codes(&self) -> Option<&BTreeSet<String>> {
        match self {
            Self::ServiceWide => None,
            Self::Listed(codes) => Some(codes),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::ServiceWide => "service-wide".to_owned(),
            Self::Listed(codes) => codes.len().to_string(),
        }
    }

    /// The JSON of the spec's `errors` member.
    fn to_json(&self) -> Value {
        match self {
            Self::ServiceWide => Value::from("service-wide"),
            Self::Listed(codes) => codes.iter().map(|c| Value::from(c.as_str())).collect(),
        }
    }
}

/// What the overrides file says about one action.
#[derive(Debug, Default)]
struct Override {
    /// Codes kept beside the Go list.
    keep: BTreeSet<String>,
    /// The Go list is not used: the action stays (or becomes) `"service-wide"`.
    service_wide: bool,
}

/// One action of the spec: its errors today, the Go SDK's list, and what they become.
#[derive(Debug)]
struct ActionPlan {
    name: String,
    current: Errors,
    /// The Go SDK's list; empty when it has none.
    go: BTreeSet<String>,
    /// Codes an override keeps that the Go list lacks.
    kept: BTreeSet<String>,
    /// An override made the action service-wide despite its Go list.
    overridden: bool,
    /// Another action whose Go list is the same (non-empty) list: worth a look.
    same_as: Option<String>,
    /// What the spec should have; `None`: leave it as it is (the Go file lists nothing).
    target: Option<Errors>,
}

impl ActionPlan {
    fn changes(&self) -> bool {
        self.target.as_ref().is_some_and(|target| *target != self.current)
    }
}

#[derive(Debug)]
struct Plan {
    actions: Vec<ActionPlan>,
    /// Actions the Go file has and the spec lacks.
    go_only: Vec<String>,
    /// Codes of the new lists that the spec's `error_codes` lacks.
    unknown_codes: BTreeSet<String>,
}

fn plan(spec: &Value, go: &GoLists, overrides: &Value) -> Result<Plan, String> {
    let spec_actions = spec["actions"].as_array().ok_or_else(|| format!("{SPEC}: no `actions` list"))?;
    let known_codes: BTreeSet<&str> = spec["error_codes"]
        .as_array()
        .ok_or_else(|| format!("{SPEC}: no `error_codes` list"))?
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    let overrides = read_overrides(overrides)?;
    let mut actions = Vec::new();
    for action in spec_actions {
        let name = action["name"].as_str().ok_or_else(|| format!("{SPEC}: an action without a name"))?;
        let current = match &action["errors"] {
            Value::String(s) if s == "service-wide" => Errors::ServiceWide,
            Value::Array(codes) => Errors::Listed(
                codes
                    .iter()
                    .map(|c| {
                        c.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| format!("{SPEC}: {name}: a code that is not a string"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("{SPEC}: {name}: unexpected `errors` value {other}")),
        };
        let go_list = go.get(name).cloned().unwrap_or_default();
        let same_as = go
            .iter()
            .find(|(other, codes)| other.as_str() != name && !go_list.is_empty() && **codes == go_list)
            .map(|(other, _)| other.clone());
        let no_override = Override::default();
        let over = overrides.get(name).unwrap_or(&no_override);
        let target = match () {
            () if go_list.is_empty() => None,
            () if over.service_wide => Some(Errors::ServiceWide),
            () => Some(Errors::Listed(go_list.union(&over.keep).cloned().collect())),
        };
        actions.push(ActionPlan {
            name: name.to_owned(),
            current,
            kept: over.keep.difference(&go_list).cloned().collect(),
            overridden: over.service_wide && !go_list.is_empty(),
            go: go_list,
            same_as,
            target,
        });
    }
    let names: BTreeSet<&str> = actions.iter().map(|a| a.name.as_str()).collect();
    if let Some(unknown) = overrides.keys().find(|action| !names.contains(action.as_str())) {
        return Err(format!("{OVERRIDES}: `{unknown}` is not an action of the spec"));
    }
    let go_only = go.keys().filter(|action| !names.contains(action.as_str())).cloned().collect();
    let unknown_codes = actions
        .iter()
        .filter_map(|a| a.target.as_ref()?.codes())
        .flatten()
        .filter(|code| !known_codes.contains(code.as_str()))
        .cloned()
        .collect();
    Ok(Plan { actions, go_only, unknown_codes })
}

/// `[{"action": …, "reason": …, "keep": [codes]}` or `"service_wide": true` instead of `keep`] →
/// overrides by action; every entry needs a reason and exactly one of the two.
fn read_overrides(overrides: &Value) -> Result<BTreeMap<String, Override>, String> {
    let mut by_action: BTreeMap<String, Override> = BTreeMap::new();
    for entry in overrides.as_array().ok_or_else(|| format!("{OVERRIDES}: expected a list"))? {
        let action = entry["action"].as_str().ok_or_else(|| format!("{OVERRIDES}: entry {entry} has no `action`"))?;
        if entry["reason"].as_str().is_none_or(|r| r.trim().is_empty()) {
            return Err(format!("{OVERRIDES}: the entry for `{action}` has no reason"));
        }
        let over = by_action.entry(action.to_owned()).or_default();
        match (&entry["keep"], &entry["service_wide"]) {
            (Value::Array(codes), Value::Null) if !codes.is_empty() => {
                for code in codes {
                    let code =
                        code.as_str().ok_or_else(|| format!("{OVERRIDES}: `{action}`: a code that is not a string"))?;
                    over.keep.insert(code.to_owned());
                }
            }
            (Value::Null, Value::Bool(true)) => over.service_wide = true,
            _ => {
                return Err(format!(
                    "{OVERRIDES}: the entry for `{action}` needs either `keep` (a list of codes) or `\"service_wide\": true`"
                ));
            }
        }
        if over.service_wide && !over.keep.is_empty() {
            return Err(format!("{OVERRIDES}: `{action}` cannot both keep codes and be service-wide"));
        }
    }
    Ok(by_action)
}

fn print_plan(plan: &Plan, from: &Path) {
    println!("Go SDK lists: {}", from.display());
    let width = plan.actions.iter().map(|a| a.name.len()).max().unwrap_or(0);
    let (mut added, mut removed) = (0, 0);
    for action in &plan.actions {
        let current = action.current.describe();
        let mut line = match &action.target {
            None => format!("{current}, unchanged: the Go file lists no codes"),
            Some(_) if !action.changes() => format!("{current}, up to date"),
            Some(target) => {
                let empty = BTreeSet::new();
                let (before, after) = (action.current.codes().unwrap_or(&empty), target.codes().unwrap_or(&empty));
                let plus: Vec<&String> = after.difference(before).collect();
                let minus: Vec<&String> = before.difference(after).collect();
                added += plus.len();
                removed += minus.len();
                let mut line = format!("{current} -> {}", target.describe());
                if !plus.is_empty() {
                    line += &format!("; + {}", join(plus));
                }
                if !minus.is_empty() {
                    line += &format!("; - {}", join(minus));
                }
                line
            }
        };
        if !action.kept.is_empty() {
            line += &format!("; kept beside the Go list ({OVERRIDES}): {}", join(&action.kept));
        }
        if action.overridden {
            line += &format!("; service-wide by {OVERRIDES}, Go list not used ({} codes)", action.go.len());
        }
        if let Some(other) = &action.same_as {
            line += &format!("; note: the Go file gives `{other}` the same list");
        }
        println!("  {:<width$}  {line}", action.name);
    }
    for action in &plan.go_only {
        println!("  {action:<width$}  in the Go file only (not an action of the spec)");
    }
    let changing = plan.actions.iter().filter(|a| a.changes()).count();
    println!(
        "{} actions: {changing} change, {} without a Go list, {} service-wide by an override; \
         codes: {added} added to lists, {removed} removed",
        plan.actions.len(),
        plan.actions.iter().filter(|a| a.target.is_none()).count(),
        plan.actions.iter().filter(|a| a.overridden).count(),
    );
}

fn join<'a>(codes: impl IntoIterator<Item = &'a String>) -> String {
    codes.into_iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// Replaces the `"errors"` line of each action in `targets`, keeping the spec's layout: one line per
/// action's list. Checks that the result is the same document with only those lists changed.
fn rewrite_errors(text: &str, targets: &BTreeMap<&str, &Errors>) -> Result<String, String> {
    const NAME: &str = "      \"name\": \"";
    const ERRORS: &str = "      \"errors\": ";
    let mut out = String::with_capacity(text.len());
    let mut in_actions = false;
    let mut action: Option<&str> = None;
    let mut replaced = BTreeSet::new();
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content == "  \"actions\": [" {
            in_actions = true;
        } else if let Some(name) = content.strip_prefix(NAME).filter(|_| in_actions) {
            action = name.strip_suffix("\",");
        } else if let Some(rest) = content.strip_prefix(ERRORS).filter(|_| in_actions)
            && let Some((name, errors)) = action.and_then(|name| Some((name, *targets.get(name)?)))
        {
            let comma = if rest.ends_with(',') { "," } else { "" };
            let json = match errors {
                Errors::ServiceWide => errors.to_json().to_string(),
                Errors::Listed(codes) => {
                    let quoted: Vec<String> = codes.iter().map(|c| Value::from(c.as_str()).to_string()).collect();
                    format!("[{}]", quoted.join(", "))
                }
            };
            out += &format!("{ERRORS}{json}{comma}{}", &line[content.len()..]);
            if !replaced.insert(name) {
                return Err(format!("{SPEC}: two `errors` lines for `{name}`"));
            }
            continue;
        }
        out += line;
    }
    if let Some(missing) = targets.keys().find(|name| !replaced.contains(*name)) {
        return Err(format!("{SPEC}: found no `errors` line for `{missing}` (is the file laid out as usual?)"));
    }
    // The rewritten text must parse to the original document with exactly these members replaced.
    let mut expected: Value = serde_json::from_str(text).map_err(|e| format!("{SPEC}: {e}"))?;
    for action in expected["actions"].as_array_mut().into_iter().flatten() {
        if let Some(errors) = action["name"].as_str().and_then(|name| targets.get(name)) {
            action["errors"] = errors.to_json();
        }
    }
    let actual: Value = serde_json::from_str(&out).map_err(|e| format!("rewritten {SPEC} is not JSON: {e}"))?;
    if actual != expected {
        return Err(format!("rewriting {SPEC} changed more than the lists; nothing written"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FIXTURE: &str = include_str!("../fixtures/client.go");

    fn set(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn the_fixture_parses_to_one_list_per_action() {
        let lists = parse_client_go(FIXTURE).unwrap();
        let expected: GoLists = [
            ("DeleteThing", set(&["FailedOperation.DeleteThing.Locked", "ResourceInUse.Thing"])),
            ("GetThing", set(&["InternalError", "InvalidParameter.ThingId", "ResourceNotFound.Thing"])),
            ("ListThings", set(&[])),
        ]
        .into_iter()
        .map(|(name, codes)| (name.to_owned(), codes))
        .collect();
        assert_eq!(lists, expected);
    }

    #[test]
    fn methods_of_one_action_must_agree() {
        let text = FIXTURE.replacen("//  RESOURCEINUSE_THING = \"ResourceInUse.Thing\"\n", "", 1);
        let error = parse_client_go(&text).unwrap_err();
        assert!(error.contains("`DeleteThingWithContext` lists other codes"), "{error}");
    }

    #[test]
    fn a_constant_that_does_not_spell_its_code_is_an_error() {
        let text = FIXTURE.replace("RESOURCENOTFOUND_THING = ", "RESOURCENOTFOUND_OTHER = ");
        let error = parse_client_go(&text).unwrap_err();
        assert!(error.starts_with("line 14: the constant `RESOURCENOTFOUND_OTHER`"), "{error}");
    }

    #[test]
    fn a_malformed_code_line_is_an_error() {
        let text = FIXTURE.replacen("//  INTERNALERROR = \"InternalError\"", "//  INTERNALERROR: InternalError", 1);
        let error = parse_client_go(&text).unwrap_err();
        assert!(error.starts_with("line 12: expected `//  CONSTANT = \"Code\"`"), "{error}");
    }

    #[test]
    fn a_list_without_a_method_is_an_error() {
        let text = FIXTURE.replacen("func (c *Client) GetThing(", "func GetThing(", 1);
        let error = parse_client_go(&text).unwrap_err();
        assert!(error.contains("line 11: an error-code list that no `func (c *Client)` method follows"), "{error}");
        let error = parse_client_go("// X\n//\n// 可能返回的错误码:\n//  A = \"A\"\n").unwrap_err();
        assert!(error.contains("line 3: an error-code list"), "{error}");
    }

    #[test]
    fn a_code_listed_twice_is_an_error() {
        let text = "// 可能返回的错误码:\n//  A_B = \"A.B\"\n//  A_B = \"A.B\"\nfunc (c *Client) X(r *R) {\n";
        assert_eq!(parse_client_go(text).unwrap_err(), "line 3: `A.B` is listed twice");
    }

    /// A spec in the layout of the real one, for the plan and the rewrite.
    const SPEC_TEXT: &str = r#"{
  "error_codes": [
    {"code": "FailedOperation.DeleteThing.Locked", "docs": "Locked."},
    {"code": "InternalError", "common": true, "docs": "Internal error."},
    {"code": "InvalidParameter.ThingId", "docs": "Bad id."},
    {"code": "ResourceInUse.Thing", "docs": "In use."},
    {"code": "ResourceNotFound.Thing", "docs": "No such thing."},
    {"code": "UnsupportedOperation.Seed", "docs": "From the seed page."}
  ],
  "structures": [
    {
      "name": "Thing",
      "members": []
    }
  ],
  "actions": [
    {
      "name": "DeleteThing",
      "input": [],
      "errors": "service-wide"
    },
    {
      "name": "GetThing",
      "input": [
        {"name": "ThingId", "type": "string"}
      ],
      "errors": ["InvalidParameter.ThingId", "UnsupportedOperation.Seed"],
      "idempotent": true
    },
    {
      "name": "ListThings",
      "errors": ["InternalError"]
    }
  ]
}
"#;

    fn overrides() -> Value {
        json!([{ "action": "GetThing", "reason": "The seed page lists it.", "keep": ["UnsupportedOperation.Seed"] }])
    }

    fn plan_of(spec_text: &str, overrides: &Value) -> Result<Plan, String> {
        let spec: Value = serde_json::from_str(spec_text).unwrap();
        plan(&spec, &parse_client_go(FIXTURE).unwrap(), overrides)
    }

    fn listed(codes: &[&str]) -> Errors {
        Errors::Listed(set(codes))
    }

    #[test]
    fn the_plan_takes_the_go_lists_keeps_what_it_must_and_leaves_unlisted_actions() {
        let plan = plan_of(SPEC_TEXT, &overrides()).unwrap();
        assert!(plan.unknown_codes.is_empty() && plan.go_only.is_empty(), "{plan:?}");
        let [delete, get, list] = &plan.actions[..] else { panic!("{plan:?}") };
        assert_eq!(delete.current, Errors::ServiceWide);
        assert_eq!(delete.target, Some(listed(&["FailedOperation.DeleteThing.Locked", "ResourceInUse.Thing"])));
        assert_eq!(
            get.target,
            Some(listed(&[
                "InternalError",
                "InvalidParameter.ThingId",
                "ResourceNotFound.Thing",
                "UnsupportedOperation.Seed"
            ]))
        );
        assert_eq!(get.kept, set(&["UnsupportedOperation.Seed"]));
        assert!(delete.changes() && get.changes());
        assert_eq!((&list.target, list.changes()), (&None, false), "no Go list: unchanged");
    }

    #[test]
    fn an_override_keeps_an_action_service_wide() {
        let mut overrides = overrides();
        overrides.as_array_mut().unwrap().push(json!({ "action": "DeleteThing", "reason": "r", "service_wide": true }));
        let plan = plan_of(SPEC_TEXT, &overrides).unwrap();
        let delete = &plan.actions[0];
        assert_eq!((&delete.target, delete.overridden, delete.changes()), (&Some(Errors::ServiceWide), true, false));
    }

    #[test]
    fn codes_missing_from_error_codes_and_unknown_actions_are_reported() {
        let mut spec: Value = serde_json::from_str(SPEC_TEXT).unwrap();
        spec["error_codes"].as_array_mut().unwrap().retain(|c| c["code"] != "ResourceNotFound.Thing");
        spec["actions"].as_array_mut().unwrap().remove(0);
        let plan = plan(&spec, &parse_client_go(FIXTURE).unwrap(), &overrides()).unwrap();
        assert_eq!(plan.unknown_codes, set(&["ResourceNotFound.Thing"]));
        assert_eq!(plan.go_only, ["DeleteThing"]);
    }

    #[test]
    fn overrides_need_a_reason_a_known_action_and_one_kind() {
        let error = |entry: Value| plan_of(SPEC_TEXT, &json!([entry])).unwrap_err();
        assert!(
            error(json!({ "action": "GetThing", "keep": ["InternalError"], "reason": " " })).contains("has no reason")
        );
        assert!(
            error(json!({ "action": "Nope", "keep": ["InternalError"], "reason": "r" }))
                .contains("`Nope` is not an action")
        );
        assert!(error(json!({ "action": "GetThing", "keep": [], "reason": "r" })).contains("needs either `keep`"));
        let both = json!({ "action": "GetThing", "keep": ["InternalError"], "service_wide": true, "reason": "r" });
        assert!(error(both).contains("needs either `keep`"));
    }

    #[test]
    fn the_rewrite_changes_only_the_lists_and_keeps_the_layout() {
        let plan = plan_of(SPEC_TEXT, &overrides()).unwrap();
        let targets = plan
            .actions
            .iter()
            .filter(|a| a.changes())
            .map(|a| (a.name.as_str(), a.target.as_ref().unwrap()))
            .collect();
        let out = rewrite_errors(SPEC_TEXT, &targets).unwrap();
        let expected = SPEC_TEXT
            .replace(
                r#""errors": "service-wide""#,
                r#""errors": ["FailedOperation.DeleteThing.Locked", "ResourceInUse.Thing"]"#,
            )
            .replace(
                r#""errors": ["InvalidParameter.ThingId", "UnsupportedOperation.Seed"],"#,
                r#""errors": ["InternalError", "InvalidParameter.ThingId", "ResourceNotFound.Thing", "UnsupportedOperation.Seed"],"#,
            );
        assert_eq!(out, expected);
        // And back to service-wide.
        let service_wide = Errors::ServiceWide;
        let back = rewrite_errors(&out, &[("DeleteThing", &service_wide)].into_iter().collect()).unwrap();
        assert_eq!(back, SPEC_TEXT.replace(
            r#""errors": ["InvalidParameter.ThingId", "UnsupportedOperation.Seed"],"#,
            r#""errors": ["InternalError", "InvalidParameter.ThingId", "ResourceNotFound.Thing", "UnsupportedOperation.Seed"],"#,
        ));
    }

    #[test]
    fn the_rewrite_refuses_a_layout_it_does_not_know() {
        let text =
            SPEC_TEXT.replace("      \"errors\": \"service-wide\"", "      \"errors\":\n        \"service-wide\"");
        let errors = listed(&["InternalError"]);
        let error = rewrite_errors(&text, &[("DeleteThing", &errors)].into_iter().collect()).unwrap_err();
        assert!(error.contains("found no `errors` line for `DeleteThing`"), "{error}");
    }
}
