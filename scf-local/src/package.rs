//! Code packages: the zip archives that `CreateFunction` and `UpdateFunctionCode` take (base64 in
//! `Code.ZipFile`). Archives are deterministic — sorted paths, fixed times — so the same files
//! give the same `CodeSha256` (and the same bytes as `scf deploy` makes of the same files).

use std::path::{Component, Path};

use base64::Engine as _;

/// Why a package could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageError(String);

impl std::fmt::Display for PackageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PackageError {}

/// A zip archive of `files` (path inside the package, content). Every file is stored executable,
/// so a custom runtime's `bootstrap` among them can run.
pub fn zip_files<P: AsRef<str>, C: AsRef<[u8]>>(files: &[(P, C)]) -> Result<Vec<u8>, PackageError> {
    let mut entries: Vec<(String, &[u8], u32)> =
        files.iter().map(|(path, content)| (path.as_ref().to_owned(), content.as_ref(), 0o755)).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    write(entries)
}

/// A zip archive of the files under `dir`, keeping their executable bits (symbolic links are
/// left out).
pub fn zip_dir(dir: &Path) -> Result<Vec<u8>, PackageError> {
    use std::os::unix::fs::PermissionsExt;
    let bad = |why: String| PackageError(why);
    if !dir.is_dir() {
        return Err(bad(format!("`{}` is not a directory", dir.display())));
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| bad(format!("{}: {e}", current.display())))? {
            let entry = entry.map_err(|e| bad(e.to_string()))?;
            // Symbolic links are not followed: one could lead out of the directory, or round in a
            // circle.
            let kind = entry.file_type().map_err(|e| bad(e.to_string()))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    let mut contents = Vec::with_capacity(files.len());
    for path in &files {
        let relative = path.strip_prefix(dir).map_err(|e| bad(e.to_string()))?;
        if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
            continue;
        }
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o644);
        let content = std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        contents.push((relative.to_string_lossy().replace('\\', "/"), content, mode));
    }
    write(contents.iter().map(|(name, content, mode)| (name.clone(), content.as_slice(), *mode)).collect())
}

/// A package as `Code.ZipFile` wants it: base64.
pub fn to_base64(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(zip)
}

/// The archive of `entries`, written as `scf deploy` writes one (the shared `scf-package` writer).
fn write(entries: Vec<(String, &[u8], u32)>) -> Result<Vec<u8>, PackageError> {
    let bad = |e: scf_package::PackageError| PackageError(e.to_string());
    let mut writer = scf_package::PackageWriter::new(None);
    for (name, mut content, mode) in entries {
        writer.add(&name, &mut content, mode).map_err(bad)?;
    }
    writer.finish().map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_deterministic() {
        let a = zip_files(&[("index.py", "x = 1\n"), ("lib/a.py", "")]).unwrap();
        let b = zip_files(&[("lib/a.py", ""), ("index.py", "x = 1\n")]).unwrap();
        assert_eq!(a, b);
        assert!(to_base64(&a).starts_with("UEsDB"), "a zip archive starts with PK\\3\\4");
    }
}
