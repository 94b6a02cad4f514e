//! Writing generated files to disk, or checking that the files on disk are up to date.
//!
//! Files whose content is unchanged are not rewritten (their mtime stays, so nothing rebuilds), and
//! `.rs` files in the output directory that the generator no longer produces are removed — or, when
//! checking, reported as stale.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::GeneratedFile;

/// Whether to write the files or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What differed between the generated files and the directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Files whose content differed (rewritten in [`Mode::Write`]).
    pub changed: Vec<PathBuf>,
    /// Files that did not exist (created in [`Mode::Write`]).
    pub missing: Vec<PathBuf>,
    /// `.rs` files the generator does not produce (deleted in [`Mode::Write`]).
    pub extra: Vec<PathBuf>,
}

impl Report {
    /// Whether the directory matched the generated files.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// Every path that differed.
    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.changed.iter().chain(&self.missing).chain(&self.extra)
    }
}

/// Brings `dir` in line with `files` ([`Mode::Write`]) or reports how it differs ([`Mode::Check`]).
pub fn sync(dir: &Path, files: &[GeneratedFile], mode: Mode) -> io::Result<Report> {
    let mut report = Report::default();
    let mut expected = std::collections::BTreeSet::new();
    for file in files {
        let path = dir.join(&file.path);
        expected.insert(path.clone());
        match fs::read_to_string(&path) {
            Ok(existing) if normalize(&existing) == file.contents => continue,
            Ok(_) => report.changed.push(path.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.missing.push(path.clone()),
            Err(e) => {
                return Err(io::Error::new(e.kind(), format!("reading {}: {e}", path.display())));
            }
        }
        if mode == Mode::Write {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            write_atomically(&path, &file.contents)?;
        }
    }
    for path in rust_files(dir)? {
        if !expected.contains(&path) {
            if mode == Mode::Write {
                fs::remove_file(&path)?;
            }
            report.extra.push(path);
        }
    }
    Ok(report)
}

/// Line endings may have been converted by git on checkout; the generator always writes `\n`.
fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves half a file.
fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let tmp = path.with_extension("rs.tmp");
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)
}

fn rust_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if !dir.exists() {
        return Ok(found);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile { path: path.into(), contents: contents.into() }
    }

    #[test]
    fn check_reports_and_write_fixes_every_kind_of_difference() {
        let dir = std::env::temp_dir().join(format!("codegen-output-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("same.rs"), "same\r\n").unwrap();
        fs::write(dir.join("changed.rs"), "old\n").unwrap();
        fs::write(dir.join("sub/extra.rs"), "gone\n").unwrap();
        fs::write(dir.join("notes.txt"), "not ours\n").unwrap();
        let files = [file("same.rs", "same\n"), file("changed.rs", "new\n"), file("sub/new.rs", "fresh\n")];

        let report = sync(&dir, &files, Mode::Check).unwrap();
        assert_eq!(report.changed, vec![dir.join("changed.rs")]);
        assert_eq!(report.missing, vec![dir.join("sub/new.rs")]);
        assert_eq!(report.extra, vec![dir.join("sub/extra.rs")]);
        assert_eq!(fs::read_to_string(dir.join("changed.rs")).unwrap(), "old\n", "check must not write");

        assert!(!sync(&dir, &files, Mode::Write).unwrap().is_clean());
        assert!(sync(&dir, &files, Mode::Check).unwrap().is_clean());
        assert_eq!(fs::read_to_string(dir.join("sub/new.rs")).unwrap(), "fresh\n");
        assert!(!dir.join("sub/extra.rs").exists());
        assert!(dir.join("notes.txt").exists(), "only .rs files are ours to delete");
        fs::remove_dir_all(&dir).unwrap();
    }
}
