//! The parameters of a GET request: Tencent Cloud's flattening (`Filters.0.Values.1=x&Limit=1`) read
//! back into the JSON a POST would carry, with numbers and booleans typed as the action's members say.
//!
//! The query comes from anyone who can reach the port, so parsing is bounded: no recursion over the
//! input, at most [`MAX_DEPTH`] levels per key and [`MAX_MEMBERS`] pairs per query, and lists are
//! kept sparse while parsing (an index costs one entry, whatever its value) and must be numbered
//! from 0 without gaps, as every client numbers them.

use std::collections::BTreeMap;

use scf_sdk::runtime::{MemberDescriptor, TypeDescriptor};
use serde_json::{Map, Value};

/// The deepest key accepted (`Filters.0.Values.1` is 4 levels). The API's deepest input is far
/// shallower; a test keeps this above it.
pub const MAX_DEPTH: usize = 16;
/// The most `key=value` pairs one query may carry.
pub const MAX_MEMBERS: usize = 10_000;

/// Why a query was refused; the message names the key and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The query's parameters as JSON, typed by `members` (the action's input).
pub fn parse(query: &str, members: &[MemberDescriptor]) -> Result<Value, QueryError> {
    let mut root = Node::Empty;
    for (count, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if count >= MAX_MEMBERS {
            return Err(QueryError(format!("the query has more than {MAX_MEMBERS} parameters")));
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key);
        let depth = key.split('.').take(MAX_DEPTH + 1).count();
        if depth > MAX_DEPTH {
            let shown = crate::util::head(&key, 64);
            return Err(QueryError(format!("`{shown}…` is nested more than {MAX_DEPTH} levels deep")));
        }
        root.insert(&key, percent_decode(value));
    }
    let mut path = String::new();
    let mut value = root.into_value(&mut path)?;
    if let Value::Null = value {
        value = Value::Object(Map::new());
    }
    if !value.is_object() {
        return Err(QueryError("the query's parameters must be named (`Name=value`)".into()));
    }
    coerce_members(&mut value, members);
    Ok(value)
}

/// The parameters while parsing. Lists are sparse: `Filters.4000000000.Name=x` costs one entry.
#[derive(Debug)]
enum Node {
    Empty,
    Leaf(String),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<u64, Node>),
}

impl Node {
    /// Sets the value at the dotted `key`; a later pair wins over an earlier one of the same key.
    fn insert(&mut self, key: &str, leaf: String) {
        let mut node = self;
        for part in key.split('.') {
            node = match part.parse::<u64>() {
                Ok(index) => {
                    if !matches!(node, Node::List(_)) {
                        *node = Node::List(BTreeMap::new());
                    }
                    let Node::List(items) = node else { return };
                    items.entry(index).or_insert(Node::Empty)
                }
                Err(_) => {
                    if !matches!(node, Node::Map(_)) {
                        *node = Node::Map(BTreeMap::new());
                    }
                    let Node::Map(members) = node else { return };
                    members.entry(part.to_owned()).or_insert(Node::Empty)
                }
            };
        }
        *node = Node::Leaf(leaf);
    }

    /// The JSON value; recursion is bounded by [`MAX_DEPTH`]. `path` is the key so far, for errors.
    fn into_value(self, path: &mut String) -> Result<Value, QueryError> {
        Ok(match self {
            Node::Empty => Value::Null,
            Node::Leaf(text) => Value::String(text),
            Node::Map(members) => {
                let mut map = Map::new();
                for (name, child) in members {
                    let len = path.len();
                    push_segment(path, &name);
                    map.insert(name, child.into_value(path)?);
                    path.truncate(len);
                }
                Value::Object(map)
            }
            Node::List(items) => {
                let mut list = Vec::with_capacity(items.len());
                for (expected, (index, child)) in items.into_iter().enumerate() {
                    let len = path.len();
                    if index != expected as u64 {
                        push_segment(path, &expected.to_string());
                        return Err(QueryError(format!(
                            "`{path}` is missing: list items are numbered from 0 without gaps"
                        )));
                    }
                    push_segment(path, &expected.to_string());
                    list.push(child.into_value(path)?);
                    path.truncate(len);
                }
                Value::Array(list)
            }
        })
    }
}

fn push_segment(path: &mut String, segment: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
}

fn coerce_members(node: &mut Value, members: &[MemberDescriptor]) {
    let Some(map) = node.as_object_mut() else { return };
    for member in members {
        if let Some(value) = map.get_mut(member.name) {
            coerce(value, &member.ty);
        }
    }
}

/// Strings become numbers and booleans where the member is one; anything else stays as sent (the
/// catalogue's validation names what is wrong).
fn coerce(value: &mut Value, ty: &TypeDescriptor) {
    match ty {
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            if let Some(number) = value.as_str().and_then(|s| serde_json::from_str::<serde_json::Number>(s).ok()) {
                *value = Value::Number(number);
            }
        }
        TypeDescriptor::Bool => match value.as_str() {
            Some("true" | "True" | "TRUE") => *value = Value::Bool(true),
            Some("false" | "False" | "FALSE") => *value = Value::Bool(false),
            _ => {}
        },
        TypeDescriptor::Structure(s) => coerce_members(value, s.members),
        TypeDescriptor::List(item) => {
            if let Some(items) = value.as_array_mut() {
                items.iter_mut().for_each(|v| coerce(v, item));
            }
        }
        _ => {}
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; anything else as is.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(action: &str) -> &'static [MemberDescriptor] {
        scf_sdk::catalog::action(action).unwrap().input
    }

    #[test]
    fn parameters_become_typed_json() {
        let params = parse(
            "Limit=20&Offset=0&SearchKey=a%20b&Filters.0.Name=Runtime&Filters.0.Values.0=Python3.9&Filters.0.Values.1=x+y",
            members("ListFunctions"),
        )
        .unwrap();
        assert_eq!(
            params,
            serde_json::json!({
                "Limit": 20, "Offset": 0, "SearchKey": "a b",
                "Filters": [{"Name": "Runtime", "Values": ["Python3.9", "x y"]}]
            })
        );
        assert_eq!(parse("", members("ListFunctions")).unwrap(), serde_json::json!({}));
        assert_eq!(percent_decode("%+1%41"), "% 1A", "`%+1` is not an escape (a sign is no hex digit)");
    }

    #[test]
    fn gaps_and_huge_indexes_are_refused_without_allocating_them() {
        let error = parse("Filters.4000000000.Name=x", members("ListFunctions")).unwrap_err();
        assert!(error.0.contains("`Filters.0` is missing"), "{error}");
        let error = parse("Filters.0.Name=a&Filters.2.Name=b", members("ListFunctions")).unwrap_err();
        assert!(error.0.contains("`Filters.1` is missing"), "{error}");
        let error = parse("Filters.0.Values.3=a", members("ListFunctions")).unwrap_err();
        assert!(error.0.contains("`Filters.0.Values.0` is missing"), "{error}");
    }

    #[test]
    fn depth_and_member_count_are_capped() {
        let deep = format!("FunctionName=hello&Event.{}x=1", "0.".repeat(30_000));
        let error = parse(&deep, members("InvokeFunction")).unwrap_err();
        assert!(error.0.contains("more than 16 levels"), "{error}");
        let ok_depth = format!("A{}=1", ".b".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok_depth, &[]).is_ok());
        let wide: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("K{i}=v")).collect();
        let error = parse(&wide.join("&"), &[]).unwrap_err();
        assert!(error.0.contains("more than 10000 parameters"), "{error}");
    }

    #[test]
    fn a_query_must_name_its_parameters() {
        assert!(parse("0=x", &[]).is_err());
        assert_eq!(parse("A=1&A.B=2", &[]).unwrap(), serde_json::json!({"A": {"B": "2"}}), "the later pair wins");
    }

    /// The API's deepest input member, counted as query levels, stays well under the cap.
    #[test]
    fn the_cap_is_above_every_actions_deepest_member() {
        fn depth(ty: &TypeDescriptor, seen: usize) -> usize {
            if seen > MAX_DEPTH {
                return seen;
            }
            match ty {
                TypeDescriptor::Structure(s) => s.members.iter().map(|m| depth(&m.ty, seen + 1)).max().unwrap_or(seen),
                TypeDescriptor::List(item) => depth(item, seen + 1),
                _ => seen,
            }
        }
        let deepest =
            scf_sdk::catalog::ACTIONS.iter().flat_map(|a| a.input.iter()).map(|m| depth(&m.ty, 1)).max().unwrap();
        assert!(deepest * 2 <= MAX_DEPTH, "deepest input is {deepest} levels");
    }
}
