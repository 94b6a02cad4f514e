//! What a command prints: an answer as JSON (indented on a terminal, one line otherwise), a table
//! or tab-separated text; `--query` to pick part of it, checked against the action's output members
//! before anything is sent; and the conveniences of invoking, `RetMsg` decoded and the tail log.

use scf_sdk::runtime::{ActionDescriptor, MemberDescriptor, TypeDescriptor};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use crate::json::Json;

/// The output formats of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON, as the API answers (the default).
    #[default]
    Json,
    /// Tables, for reading.
    Table,
    /// `path<TAB>value` lines, or bare values, for shell scripts.
    Text,
}

impl Format {
    pub const NAMES: [&str; 3] = ["json", "table", "text"];

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            "table" => Some(Format::Table),
            "text" => Some(Format::Text),
            _ => None,
        }
    }
}

/// `value` as `format`, without a trailing newline. `terminal`: JSON is indented for a person.
pub fn render(value: &Json, format: Format, terminal: bool) -> String {
    match format {
        Format::Json if terminal => value.to_pretty(),
        Format::Json => value.to_compact(),
        Format::Text => text(value),
        Format::Table => table(value),
    }
}

// --- --query ---------------------------------------------------------------------------------

/// A `--query` path: `Result.RetMsg`, `Functions[0].FunctionName`, `Functions[].FunctionName`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// An object's member.
    Key(String),
    /// A list's item; negative counts from the end.
    Index(i64),
    /// Every item of a list (`[]` or `[*]`); nested projections are flattened.
    Project,
}

/// What a query step lands on, as far as the catalogue knows.
#[derive(Clone, Copy)]
enum Shape {
    Members(&'static [MemberDescriptor], &'static str),
    Type(&'static TypeDescriptor),
    /// Text whose content may be JSON (`RetMsg`, `Event`): anything may follow.
    Open,
}

impl Query {
    /// Parses a path; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut steps = Vec::new();
        if text.trim().is_empty() {
            return Err("is empty: give a path such as `Result.RetMsg` or `Functions[0].FunctionName`".into());
        }
        for segment in text.split('.') {
            let (name, mut rest) = match segment.find('[') {
                Some(at) => segment.split_at(at),
                None => (segment, ""),
            };
            if name.is_empty() && (!steps.is_empty() || rest.is_empty()) {
                return Err(format!("`{text}` has an empty member name"));
            }
            if name.contains(']') {
                return Err(format!("`{text}` has a `]` without its `[`"));
            }
            if !name.is_empty() {
                steps.push(Step::Key(name.to_owned()));
            }
            while !rest.is_empty() {
                let Some(inner) = rest.strip_prefix('[') else {
                    return Err(format!("`{text}`: `{rest}` must be `[N]`, `[]` or `[*]`"));
                };
                let Some(close) = inner.find(']') else {
                    return Err(format!("`{text}` has a `[` without its `]`"));
                };
                let index = inner[..close].trim();
                steps.push(match index {
                    "" | "*" => Step::Project,
                    n => Step::Index(n.parse().map_err(|_| format!("`{text}`: `[{n}]` is not a list index"))?),
                });
                rest = &inner[close + 1..];
            }
        }
        Ok(Query { steps })
    }

    /// Checks the path against an action's output members, so that a typo fails before the
    /// request is sent rather than printing `null` after it.
    pub fn check(&self, action: &ActionDescriptor) -> Result<(), String> {
        let mut shape = Shape::Members(action.output, action.name);
        let mut path = String::new();
        for step in &self.steps {
            shape = match (step, shape) {
                (_, Shape::Open) => Shape::Open,
                (Step::Key(key), Shape::Members(members, owner)) => member_step(members, owner, key)?,
                (Step::Key(key), Shape::Type(ty)) => match ty {
                    TypeDescriptor::Structure(s) => member_step(s.members, s.name, key)?,
                    TypeDescriptor::String => Shape::Open,
                    TypeDescriptor::List(_) => {
                        return Err(format!("`{path}` is a list: pick an item with `[N]` or every item with `[]`"));
                    }
                    other => return Err(format!("`{path}` is {}: it has no members", describe(other))),
                },
                (Step::Index(_) | Step::Project, Shape::Type(TypeDescriptor::List(item))) => Shape::Type(item),
                (Step::Index(_) | Step::Project, Shape::Type(TypeDescriptor::String)) => Shape::Open,
                (Step::Index(_) | Step::Project, Shape::Type(other)) => {
                    return Err(format!("`{path}` is {}, not a list", describe(other)));
                }
                (Step::Index(_) | Step::Project, Shape::Members(..)) => {
                    let what = if path.is_empty() { "the answer".to_owned() } else { format!("`{path}`") };
                    return Err(format!("{what} is an object, not a list"));
                }
            };
            match step {
                Step::Key(key) if path.is_empty() => path.push_str(key),
                Step::Key(key) => path.push_str(&format!(".{key}")),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
                Step::Project => path.push_str("[]"),
            }
        }
        Ok(())
    }

    /// The part of `value` the path picks; `null` where there is nothing.
    pub fn apply(&self, value: &Json) -> Json {
        apply(&self.steps, value)
    }
}

/// The member `key` of `owner`, or why there is none (with the members there are).
fn member_step(members: &'static [MemberDescriptor], owner: &str, key: &str) -> Result<Shape, String> {
    match members.iter().find(|m| m.name == key) {
        Some(member) if member.json.is_some() => Ok(Shape::Open),
        Some(member) => Ok(Shape::Type(&member.ty)),
        None => {
            let hint = match members.iter().find(|m| m.name.eq_ignore_ascii_case(key)) {
                Some(close) => format!("did you mean `{}`?", close.name),
                None => {
                    let names: Vec<_> = members.iter().map(|m| m.name).collect();
                    format!("its members are {}", names.join(", "))
                }
            };
            Err(format!("`{key}` is not a member of `{owner}`; {hint}"))
        }
    }
}

fn describe(ty: &TypeDescriptor) -> &'static str {
    match ty {
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => "a number",
        TypeDescriptor::Bool => "a boolean",
        TypeDescriptor::Structure(_) => "an object",
        TypeDescriptor::List(_) => "a list",
        _ => "a string",
    }
}

fn apply(steps: &[Step], value: &Json) -> Json {
    let Some((step, rest)) = steps.split_first() else {
        return value.clone();
    };
    match (step, value) {
        // A member the API carries as JSON in a string (`Event`, `TriggerDesc`): go inside it.
        (_, Json::String(text)) => match Json::parse(text) {
            Ok(inner @ (Json::Object(_) | Json::Array(_))) => apply(steps, &inner),
            _ => Json::Null,
        },
        (Step::Key(key), _) => value.get(key).map_or(Json::Null, |v| apply(rest, v)),
        (Step::Index(i), Json::Array(items)) => {
            let at = if *i < 0 { items.len().checked_sub(i.unsigned_abs() as usize) } else { Some(*i as usize) };
            at.and_then(|at| items.get(at)).map_or(Json::Null, |v| apply(rest, v))
        }
        (Step::Project, Json::Array(items)) => {
            let flatten = rest.contains(&Step::Project);
            let mut out = Vec::new();
            for item in items {
                match apply(rest, item) {
                    Json::Null => {}
                    Json::Array(inner) if flatten => out.extend(inner),
                    picked => out.push(picked),
                }
            }
            Json::Array(out)
        }
        _ => Json::Null,
    }
}

// --- invoking ----------------------------------------------------------------------------------

/// Whether the action answers with a function's result: an output `Result` holding `RetMsg` and
/// `Log` (`InvokeFunction`, `Invoke`). Decided from the catalogue, not by action name.
pub fn answers_a_function_result(action: &ActionDescriptor) -> bool {
    action.output.iter().any(|m| {
        m.name == "Result"
            && matches!(m.ty, TypeDescriptor::Structure(s)
                if ["RetMsg", "Log"].iter().all(|name| s.members.iter().any(|x| x.name == *name)))
    })
}

/// Replaces `Result.RetMsg`, the function's return value as JSON text, by that JSON; text that is
/// not JSON stays as it is.
pub fn decode_ret_msg(response: &mut Json) {
    if let Some(ret_msg) = response.get_mut("Result").and_then(|r| r.get_mut("RetMsg"))
        && let Some(decoded) = ret_msg.as_str().filter(|text| numbers_survive(text)).and_then(|t| Json::parse(t).ok())
    {
        *ret_msg = decoded;
    }
}

/// Whether every number in the JSON `text` survives decoding: a float keeps about 15 significant
/// digits, so a longer number (`12345678901234567890123`) stays in the text, which is left as it is.
fn numbers_survive(text: &str) -> bool {
    let (mut in_string, mut escaped, mut digits, mut in_number) = (false, false, 0, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '0'..='9' => {
                digits += 1;
                in_number = true;
            }
            '-' | '+' | '.' | 'e' | 'E' if in_number || c == '-' => in_number = true,
            _ => {
                digits = 0;
                in_number = false;
            }
        }
        if digits > 15 {
            return false;
        }
    }
    true
}

/// The invocation's log (`Result.Log`), if there is one.
pub fn function_log(response: &Json) -> Option<&str> {
    response.get("Result").and_then(|r| r.get("Log")).and_then(Json::as_str).filter(|log| !log.is_empty())
}

// --- text ----------------------------------------------------------------------------------------

/// A scalar as text: strings bare, the rest as JSON, `null` as nothing.
fn scalar_text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_compact(),
    }
}

/// One line per value: escapes what would break lines or columns.
fn one_line(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r").replace('\t', "\\t")
}

fn text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        v if v.is_scalar() => scalar_text(v),
        Json::Array(items) if items.iter().all(Json::is_scalar) => {
            items.iter().map(|item| one_line(&scalar_text(item))).collect::<Vec<_>>().join("\n")
        }
        v => {
            let mut lines = Vec::new();
            flatten(v, String::new(), &mut lines);
            lines.iter().map(|(path, value)| format!("{path}\t{}", one_line(value))).collect::<Vec<_>>().join("\n")
        }
    }
}

/// Every scalar under `value` with its path (`Functions[0].FunctionName`).
fn flatten(value: &Json, path: String, out: &mut Vec<(String, String)>) {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Json::Object(members) if members.is_empty() => out.push((path, "{}".into())),
        Json::Object(members) => members.iter().for_each(|(k, v)| flatten(v, join(k), out)),
        Json::Array(items) if items.is_empty() => out.push((path, "[]".into())),
        Json::Array(items) => items.iter().enumerate().for_each(|(i, v)| flatten(v, format!("{path}[{i}]"), out)),
        scalar => out.push((path, scalar_text(scalar))),
    }
}

// --- tables --------------------------------------------------------------------------------------

/// Cells wider than this are cut short (the JSON output has everything).
const MAX_CELL_WIDTH: usize = 60;

fn table(value: &Json) -> String {
    match value {
        v if v.is_scalar() => scalar_text(v),
        Json::Array(items) if items.iter().all(Json::is_scalar) => {
            grid(&["Value".to_owned()], &items.iter().map(|item| vec![cell(item)]).collect::<Vec<_>>())
        }
        Json::Array(items) => rows_table(items),
        object => {
            let mut pairs = Vec::new();
            let mut lists = Vec::new();
            split(object, String::new(), &mut pairs, &mut lists);
            let mut sections = Vec::new();
            if !pairs.is_empty() {
                let rows: Vec<Vec<String>> = pairs.into_iter().map(|(k, v)| vec![k, v]).collect();
                sections.push(boxed(&rows, None));
            }
            for (path, items) in lists {
                sections.push(format!("{path} ({})\n{}", items.len(), rows_table(items)));
            }
            sections.join("\n")
        }
    }
}

/// Splits an object into key/value rows and the lists of objects under it, which get tables of
/// their own.
fn split<'a>(value: &'a Json, path: String, pairs: &mut Vec<(String, String)>, lists: &mut Vec<(String, &'a [Json])>) {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Json::Object(members) if !members.is_empty() => {
            for (key, member) in members {
                split(member, join(key), pairs, lists);
            }
        }
        Json::Array(items) if items.iter().any(|i| !i.is_scalar()) => lists.push((path, items)),
        other => pairs.push((path, cell(other))),
    }
}

/// A table with one row per item and a column per scalar member (nested ones dotted).
fn rows_table(items: &[Json]) -> String {
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    for item in items {
        let mut cells = Vec::new();
        match item {
            Json::Object(_) => row_cells(item, String::new(), &mut cells),
            other => cells.push(("Value".to_owned(), cell(other))),
        }
        for (column, _) in &cells {
            if !columns.contains(column) {
                columns.push(column.clone());
            }
        }
        rows.push(cells);
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|cells| {
            columns
                .iter()
                .map(|c| cells.iter().find(|(k, _)| k == c).map(|(_, v)| v.clone()).unwrap_or_default())
                .collect()
        })
        .collect();
    grid(&columns, &rows)
}

fn row_cells(value: &Json, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Json::Object(members) if !members.is_empty() => {
            for (key, member) in members {
                let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                row_cells(member, path, out);
            }
        }
        other => out.push((path, cell(other))),
    }
}

/// A value in one cell: scalars as text, lists of scalars joined, anything else as JSON.
fn cell(value: &Json) -> String {
    let text = match value {
        Json::Array(items) if items.iter().all(Json::is_scalar) => {
            items.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
        }
        v if v.is_scalar() => scalar_text(v),
        v => v.to_compact(),
    };
    cut(&one_line(&text))
}

fn cut(text: &str) -> String {
    if text.width() <= MAX_CELL_WIDTH {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if width + w > MAX_CELL_WIDTH - 1 {
            break;
        }
        width += w;
        out.push(c);
    }
    out.push('…');
    out
}

fn grid(header: &[String], rows: &[Vec<String>]) -> String {
    boxed(rows, Some(header))
}

/// Draws rows in a box, with an optional header row.
fn boxed(rows: &[Vec<String>], header: Option<&[String]>) -> String {
    let columns = header.map_or_else(|| rows.iter().map(Vec::len).max().unwrap_or(0), <[String]>::len);
    let mut widths = vec![0; columns];
    for row in header.into_iter().chain(rows.iter().map(Vec::as_slice)) {
        for (i, text) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(text.width());
        }
    }
    let rule = {
        let mut line = String::from("+");
        for width in &widths {
            line.push_str(&"-".repeat(width + 2));
            line.push('+');
        }
        line
    };
    let line = |row: &[String]| {
        let mut out = String::from("|");
        for (i, width) in widths.iter().enumerate() {
            let text = row.get(i).map_or("", String::as_str);
            out.push(' ');
            out.push_str(text);
            out.push_str(&" ".repeat(width - text.width() + 1));
            out.push('|');
        }
        out
    };
    let mut out = vec![rule.clone()];
    if let Some(header) = header {
        out.push(line(header));
        out.push(rule.clone());
    }
    out.extend(rows.iter().map(|row| line(row)));
    out.push(rule);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use scf_sdk::catalog;

    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text).unwrap()
    }

    fn invoke() -> &'static ActionDescriptor {
        catalog::action("InvokeFunction").unwrap()
    }

    #[test]
    fn queries_parse_pick_and_project() {
        let answer = json(
            r#"{"Functions":[{"FunctionName":"a","Tags":[{"Key":"k1"}]},{"FunctionName":"b","Tags":[{"Key":"k2"},{"Key":"k3"}]}],"TotalCount":2}"#,
        );
        let pick = |q: &str| Query::parse(q).unwrap().apply(&answer).to_compact();
        assert_eq!(pick("TotalCount"), "2");
        assert_eq!(pick("Functions[0].FunctionName"), r#""a""#);
        assert_eq!(pick("Functions[-1].FunctionName"), r#""b""#);
        assert_eq!(pick("Functions[].FunctionName"), r#"["a","b"]"#);
        assert_eq!(pick("Functions[*].Tags[].Key"), r#"["k1","k2","k3"]"#);
        assert_eq!(pick("Functions[5].FunctionName"), "null");
        assert_eq!(pick("Nope"), "null");
        assert_eq!(Query::parse("[1]").unwrap().apply(&json("[1,2]")).to_compact(), "2");
        for bad in ["", "a..b", "a.[0]", ".a", "a[", "a[x]", "a]", "a[0]x"] {
            assert!(Query::parse(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn queries_are_checked_against_the_output_members() {
        let check = |action: &str, q: &str| Query::parse(q).unwrap().check(catalog::action(action).unwrap());
        check("InvokeFunction", "Result.RetMsg").unwrap();
        check("InvokeFunction", "Result.RetMsg.any.thing[0]").unwrap(); // RetMsg may hold any JSON
        check("ListFunctions", "Functions[].FunctionName").unwrap();
        check("ListFunctions", "Functions[0].Tags[].Key").unwrap();
        assert_eq!(
            check("InvokeFunction", "Result.RetMsgs").unwrap_err(),
            "`RetMsgs` is not a member of `Result`; its members are Log, RetMsg, ErrMsg, MemUsage, Duration, BillDuration, FunctionRequestId, InvokeResult"
        );
        assert_eq!(
            check("InvokeFunction", "result").unwrap_err(),
            "`result` is not a member of `InvokeFunction`; did you mean `Result`?"
        );
        assert_eq!(
            check("InvokeFunction", "Result.Duration.x").unwrap_err(),
            "`Result.Duration` is a number: it has no members"
        );
        assert_eq!(
            check("ListFunctions", "Functions.FunctionName").unwrap_err(),
            "`Functions` is a list: pick an item with `[N]` or every item with `[]`"
        );
        assert_eq!(check("ListFunctions", "[0]").unwrap_err(), "the answer is an object, not a list");
        assert_eq!(check("ListFunctions", "TotalCount[0]").unwrap_err(), "`TotalCount` is a number, not a list");
    }

    #[test]
    fn ret_msg_is_decoded_when_it_is_json() {
        assert!(answers_a_function_result(invoke()));
        assert!(answers_a_function_result(catalog::action("Invoke").unwrap()));
        assert!(!answers_a_function_result(catalog::action("ListFunctions").unwrap()));
        let mut answer = json(r#"{"Result":{"RetMsg":"{\"b\":1,\"a\":[2]}","Log":"line 1\nline 2"},"RequestId":"r"}"#);
        decode_ret_msg(&mut answer);
        assert_eq!(
            answer.to_compact(),
            r#"{"Result":{"RetMsg":{"b":1,"a":[2]},"Log":"line 1\nline 2"},"RequestId":"r"}"#
        );
        assert_eq!(function_log(&answer), Some("line 1\nline 2"));
        let mut plain = json(r#"{"Result":{"RetMsg":"hello world","Log":""}}"#);
        decode_ret_msg(&mut plain);
        assert_eq!(plain.get("Result").and_then(|r| r.get("RetMsg")), Some(&Json::String("hello world".into())));
        assert_eq!(function_log(&plain), None);
    }

    #[test]
    fn text_is_bare_values_or_path_tab_value_lines() {
        assert_eq!(render(&json(r#""hi there""#), Format::Text, false), "hi there");
        assert_eq!(render(&json(r#"["a","b"]"#), Format::Text, false), "a\nb");
        assert_eq!(render(&Json::Null, Format::Text, false), "");
        assert_eq!(
            render(&json(r#"{"A":{"B":"x\ny","C":[1,{"D":null}]},"E":[]}"#), Format::Text, false),
            "A.B\tx\\ny\nA.C[0]\t1\nA.C[1].D\t\nE\t[]"
        );
    }

    #[test]
    fn json_is_indented_only_for_a_terminal() {
        let value = json(r#"{"B":1,"A":2}"#);
        assert_eq!(render(&value, Format::Json, false), r#"{"B":1,"A":2}"#);
        assert_eq!(render(&value, Format::Json, true), "{\n  \"B\": 1,\n  \"A\": 2\n}");
    }

    #[test]
    fn tables_put_lists_of_objects_in_tables_of_their_own() {
        let answer = json(
            r#"{"Functions":[{"FunctionName":"hello","Status":"Active"},{"FunctionName":"世界","Extra":[1,2]}],"TotalCount":2,"RequestId":"r-1"}"#,
        );
        let expected = "\
+------------+-----+
| TotalCount | 2   |
| RequestId  | r-1 |
+------------+-----+
Functions (2)
+--------------+--------+-------+
| FunctionName | Status | Extra |
+--------------+--------+-------+
| hello        | Active |       |
| 世界         |        | 1, 2  |
+--------------+--------+-------+";
        assert_eq!(render(&answer, Format::Table, false), expected);
        assert_eq!(render(&json("3"), Format::Table, false), "3");
        let long = format!(r#"{{"Log":"{}"}}"#, "x".repeat(100));
        let table = render(&json(&long), Format::Table, false);
        assert!(table.contains(&format!("| Log | {}… |", "x".repeat(59))), "{table}");
    }

    #[test]
    fn ret_msg_is_decoded_only_when_nothing_is_lost() {
        let mut exact = Json::parse(r#"{"Result":{"RetMsg":"{\"n\": 12, \"s\": \"12345678901234567890\"}"}}"#).unwrap();
        decode_ret_msg(&mut exact);
        assert_eq!(
            exact.get("Result").and_then(|r| r.get("RetMsg")).and_then(|m| m.get("n")),
            Some(&Json::Number(12.into()))
        );
        let mut big = Json::parse(r#"{"Result":{"RetMsg":"12345678901234567890123"}}"#).unwrap();
        decode_ret_msg(&mut big);
        assert_eq!(
            big.get("Result").and_then(|r| r.get("RetMsg")),
            Some(&Json::String("12345678901234567890123".into())),
            "kept as the function wrote it"
        );
    }

    #[test]
    fn queries_go_inside_members_carried_as_json_strings() {
        let answer = Json::parse(r#"{"Triggers":[{"TriggerDesc":"{\"cron\":\"0 * * * *\"}"}]}"#).unwrap();
        let query = Query::parse("Triggers[0].TriggerDesc.cron").unwrap();
        assert_eq!(query.apply(&answer), Json::String("0 * * * *".into()));
    }
}
