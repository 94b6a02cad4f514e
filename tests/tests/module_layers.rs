//! The modules of a crate form layers: no module reaches, through `crate::` paths, back to one that
//! reaches it (`scf-cli`'s `flags` at the bottom, `scf-local`'s `records` under both `state` and
//! `store`). Unit tests (`#[cfg(test)] mod tests`) may use anything and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src` and the top-level modules its code names with `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("src is readable") {
        let path = entry.expect("an entry").path();
        let module = match path.extension().and_then(|e| e.to_str()) {
            Some("rs") => path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned(),
            _ if path.is_dir() => path.file_name().and_then(|s| s.to_str()).unwrap_or_default().to_owned(),
            _ => continue,
        };
        let files: Vec<_> = if path.is_dir() { walk(&path) } else { vec![path.clone()] };
        let uses: &mut BTreeSet<String> = graph.entry(module.clone()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            uses.extend(crate_references(without_unit_tests(&text)).into_iter().filter(|m| *m != module));
        }
    }
    graph
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn without_unit_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests").map_or(text, |at| &text[..at])
}

/// The first segment of every `crate::` path, braces (`use crate::{a, b::c}`) included.
fn crate_references(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// A cycle through `start`, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().cloned().unwrap_or_default();
        for next in graph.get(&last).into_iter().flatten() {
            if next == start {
                return Some([path.clone(), vec![start.to_owned()]].concat());
            }
            if graph.contains_key(next) && seen.insert(next.clone()) {
                stack.push([path.clone(), vec![next.clone()]].concat());
            }
        }
    }
    None
}

fn assert_layered(crate_dir: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(crate_dir).join("src");
    let graph = module_graph(&src);
    assert!(graph.len() > 3, "{crate_dir}: modules found: {graph:?}");
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, module) {
            panic!("{crate_dir}: an import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn scf_cli_modules_form_layers() {
    assert_layered("scf-cli");
}

#[test]
fn scf_local_modules_form_layers() {
    assert_layered("scf-local");
}

#[test]
fn references_are_found_in_paths_and_groups() {
    let text = "use crate::a::X;\nuse crate::{b, c::{D, E}, self};\nfn f() { crate::d::g() }\n";
    let names: Vec<_> = crate_references(text).into_iter().collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("x".to_owned(), BTreeSet::from(["y".to_owned()])), ("y".to_owned(), BTreeSet::from(["x".to_owned()]))].into();
    assert_eq!(cycle_through(&graph, "x"), Some(vec!["x".to_owned(), "y".to_owned(), "x".to_owned()]));
}
