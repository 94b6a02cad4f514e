//! Extracting a code package: a zip archive from a request, so every byte of it is untrusted.
//!
//! - The number of entries and the sizes they declare are checked before anything is written, and
//!   the bytes actually produced are counted too (a declared size may lie).
//! - Names are read as the archive's own paths, `\` included (archives made on Windows use it), and
//!   an absolute name, a `..` or a NUL refuses the whole archive: nothing is written outside `dest`.
//! - Symbolic links are made last, after every file, so no file is written through one; each
//!   target is resolved inside the package (through the archive's other links) and one that would
//!   leave it refuses the archive.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The most entries a package may have.
pub const MAX_ENTRIES: usize = 65_535;
/// The most a package may expand to (the service allows 500 MB per version, code and layers).
pub const MAX_EXTRACTED_BYTES: u64 = 500 * 1024 * 1024;
/// The longest symbolic-link target.
const MAX_LINK_TARGET: u64 = 4096;
/// How many links one resolution may go through (as the kernel's `ELOOP` limit).
const MAX_LINK_HOPS: usize = 40;

/// Why an archive was refused; the message names the entry and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnzipError(pub String);

impl std::fmt::Display for UnzipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an extraction produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extracted {
    pub files: usize,
    pub bytes: u64,
}

/// Limits of one extraction.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_entries: MAX_ENTRIES, max_bytes: MAX_EXTRACTED_BYTES }
    }
}

enum Kind {
    Dir,
    File { mode: u32 },
    Link,
}

/// Extracts `zip` into `dest` (created if needed). On error, `dest` may hold part of the archive:
/// the caller extracts into a scratch directory and removes it.
pub fn extract(zip: &[u8], dest: &Path, limits: Limits) -> Result<Extracted, UnzipError> {
    let bad = |why: String| UnzipError(why);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| bad(format!("the code is not a zip archive ({e})")))?;
    if archive.len() > limits.max_entries {
        return Err(bad(format!(
            "the zip archive has {} entries; at most {} are allowed",
            archive.len(),
            limits.max_entries
        )));
    }
    // Everything the central directory says, checked before a byte is written.
    let mut entries = Vec::with_capacity(archive.len());
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| bad(format!("the zip archive is damaged ({e})")))?;
        let raw_name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let path = enclosed(&raw_name)
            .ok_or_else(|| bad(format!("the zip archive has an entry outside its root: `{}`", shown(&raw_name))))?;
        declared = declared.saturating_add(entry.size());
        if declared > limits.max_bytes {
            return Err(bad(format!("the code expands to more than {} MB", limits.max_bytes / 1024 / 1024)));
        }
        let kind = if entry.is_symlink() {
            Kind::Link
        } else if entry.is_dir() || raw_name.ends_with('\\') {
            Kind::Dir
        } else {
            Kind::File { mode: entry.unix_mode().unwrap_or(0o644) & 0o777 }
        };
        entries.push((index, path, kind));
    }
    std::fs::create_dir_all(dest).map_err(|e| bad(format!("cannot create {}: {e}", dest.display())))?;
    let mut extracted = Extracted::default();
    let mut links: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut buf = vec![0u8; 64 * 1024];
    for (index, relative, kind) in &entries {
        let path = dest.join(relative);
        let mut entry = archive.by_index(*index).map_err(|e| bad(format!("the zip archive is damaged ({e})")))?;
        match kind {
            Kind::Dir => std::fs::create_dir_all(&path).map_err(|e| bad(format!("`{}`: {e}", relative.display())))?,
            Kind::Link => {
                let mut target = String::new();
                (&mut entry)
                    .take(MAX_LINK_TARGET + 1)
                    .read_to_string(&mut target)
                    .map_err(|e| bad(format!("the link `{}` is damaged ({e})", relative.display())))?;
                if target.len() as u64 > MAX_LINK_TARGET || target.is_empty() {
                    return Err(bad(format!("the link `{}` has no usable target", relative.display())));
                }
                links.insert(relative.clone(), PathBuf::from(target));
            }
            Kind::File { mode } => {
                let declared = entry.size();
                let mut written: u64 = 0;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| bad(format!("`{}`: {e}", relative.display())))?;
                }
                let mut out =
                    std::fs::File::create(&path).map_err(|e| bad(format!("`{}`: {e}", relative.display())))?;
                loop {
                    let n = entry.read(&mut buf).map_err(|e| bad(format!("the zip archive is damaged ({e})")))?;
                    if n == 0 {
                        break;
                    }
                    written += n as u64;
                    if written > declared {
                        return Err(bad(format!(
                            "`{}` expands to more than the {declared} bytes it declares",
                            relative.display()
                        )));
                    }
                    extracted.bytes += n as u64;
                    if extracted.bytes > limits.max_bytes {
                        return Err(bad(format!(
                            "the code expands to more than {} MB",
                            limits.max_bytes / 1024 / 1024
                        )));
                    }
                    out.write_all(&buf[..n]).map_err(|e| bad(format!("`{}`: {e}", relative.display())))?;
                }
                use std::os::unix::fs::PermissionsExt;
                // Readable by its owner whatever the archive says: the emulator must read it back.
                let _ = out.set_permissions(std::fs::Permissions::from_mode(mode | 0o600));
                extracted.files += 1;
            }
        }
    }
    for (link, target) in &links {
        if resolve(&links, link, target).is_none() {
            return Err(bad(format!(
                "the link `{}` → `{}` leads outside the package",
                link.display(),
                target.display()
            )));
        }
        let path = dest.join(link);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| bad(format!("`{}`: {e}", link.display())))?;
        }
        std::os::unix::fs::symlink(target, &path).map_err(|e| bad(format!("`{}`: {e}", link.display())))?;
    }
    Ok(extracted)
}

/// The entry's path inside the package, if it stays inside: separators `/` or `\`, no absolute
/// path, no drive, no `..`, no NUL. `.` and empty segments are dropped.
fn enclosed(name: &str) -> Option<PathBuf> {
    if name.contains('\0') || name.starts_with('/') || name.starts_with('\\') {
        return None;
    }
    if name.as_bytes().get(1) == Some(&b':') {
        return None; // `C:…`
    }
    let mut path = PathBuf::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return None,
            part => path.push(part),
        }
    }
    (!path.as_os_str().is_empty()).then_some(path)
}

/// Where `target` (a link at `link`) leads, inside the package, following the archive's other
/// links as the kernel would (`..` after a link goes up from where the link leads). `None` if it
/// leaves the package, is absolute, or loops.
///
/// The walk starts at the root with the link's own directory: when that path goes through another
/// link, the link is made where that one leads, and its `..` counts from there.
fn resolve(links: &BTreeMap<PathBuf, PathBuf>, link: &Path, target: &Path) -> Option<PathBuf> {
    let target = target.to_str()?;
    if target.starts_with('/') {
        return None;
    }
    // Components still to walk (in reverse: the link's directory, then its target), and where the
    // walk is.
    let mut pending: Vec<String> = target.split('/').rev().map(str::to_owned).collect();
    pending.extend(link.parent().map(components).unwrap_or_default().into_iter().rev());
    let mut at: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => {}
            ".." => {
                at.pop()?;
            }
            name => {
                at.push(name.to_owned());
                let here: PathBuf = at.iter().collect();
                if let Some(next) = links.get(&here) {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return None;
                    }
                    let next = next.to_str()?;
                    if next.starts_with('/') {
                        return None;
                    }
                    at.pop();
                    pending.extend(next.split('/').rev().map(str::to_owned));
                }
            }
        }
    }
    Some(at.iter().collect())
}

fn components(path: &Path) -> Vec<String> {
    path.iter().map(|c| c.to_string_lossy().into_owned()).collect()
}

/// A name for a message: at most 200 characters.
fn shown(name: &str) -> &str {
    crate::util::head(name, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("scf-local-unzip-{name}-{}", crate::util::request_id()))
    }

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in entries {
            writer.start_file(*name, SimpleFileOptions::default()).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn with_links(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in files {
            writer.start_file(*name, SimpleFileOptions::default()).unwrap();
            writer.write_all(content).unwrap();
        }
        for (name, target) in links {
            writer.add_symlink(*name, *target, SimpleFileOptions::default()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn names_that_leave_the_package_are_refused() {
        for name in ["../escape", "/etc/passwd", "a/../../b", "..\\..\\evil", "\\abs", "C:\\windows", "a\0b"] {
            let dest = temp("names");
            let error = extract(&archive(&[(name, b"x")]), &dest, Limits::default()).unwrap_err();
            assert!(error.0.contains("outside its root"), "{name}: {error}");
            assert!(!dest.exists(), "{name}: nothing is written before the names are checked");
        }
        let dest = temp("backslash");
        extract(&archive(&[("dir\\file.txt", b"x")]), &dest, Limits::default()).unwrap();
        assert_eq!(std::fs::read(dest.join("dir/file.txt")).unwrap(), b"x", "`\\` is a separator");
        std::fs::remove_dir_all(dest).unwrap();
    }

    #[test]
    fn entries_and_sizes_are_capped_before_writing() {
        let dest = temp("count");
        let many: Vec<(String, &[u8])> = (0..11).map(|i| (format!("f{i}"), &b""[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        let error = extract(&archive(&many), &dest, Limits { max_entries: 10, max_bytes: 1 << 20 }).unwrap_err();
        assert!(error.0.contains("11 entries; at most 10"), "{error}");
        assert!(!dest.exists());
        let big = vec![0u8; 2 << 20];
        let error =
            extract(&archive(&[("big", &big)]), &dest, Limits { max_entries: 10, max_bytes: 1 << 20 }).unwrap_err();
        assert!(error.0.contains("more than 1 MB"), "{error}");
        assert!(!dest.exists(), "the declared size is refused before writing");
    }

    #[test]
    fn links_inside_the_package_are_kept_and_links_out_refused() {
        let dest = temp("links");
        let zip = with_links(
            &[("lib/real.py", b"X = 1\n"), ("node_modules/tsc/bin/tsc", b"#!")],
            &[("alias.py", "lib/real.py"), ("node_modules/.bin/tsc", "../tsc/bin/tsc"), ("here", ".")],
        );
        extract(&zip, &dest, Limits::default()).unwrap();
        assert_eq!(std::fs::read(dest.join("alias.py")).unwrap(), b"X = 1\n");
        assert_eq!(std::fs::read(dest.join("node_modules/.bin/tsc")).unwrap(), b"#!");
        std::fs::remove_dir_all(&dest).unwrap();
        for links in [
            &[("out", "../../etc/passwd")][..],
            &[("abs", "/etc/passwd")][..],
            // Lexically inside, but `here/..` goes above the root once `here` is followed.
            &[("here", "."), ("up", "here/..")][..],
            &[("a", "b"), ("b", "a")][..],
        ] {
            let dest = temp("links-out");
            let error = extract(&with_links(&[("f", b"x")], links), &dest, Limits::default()).unwrap_err();
            assert!(error.0.contains("leads outside the package"), "{links:?}: {error}");
            let _ = std::fs::remove_dir_all(&dest);
        }
    }

    /// A link made inside a directory reached through another link sits where that link leads,
    /// so its `..` must count from there, not from the name it has in the archive.
    #[test]
    fn links_under_a_linked_directory_count_from_where_they_really_are() {
        // `p` is the root itself: `p/p/q/up` is really `q/up`, and `../..` from there leaves.
        let dest = temp("linked-parent");
        let zip = with_links(&[("f", b"x")], &[("p", "."), ("p/p/q/up", "../../etc/passwd")]);
        let error = extract(&zip, &dest, Limits::default()).unwrap_err();
        assert!(error.0.contains("leads outside the package"), "{error}");
        let _ = std::fs::remove_dir_all(&dest);
        // The same shape that stays inside is kept: `p/q/in` is `q/in`, and `..` is the root.
        let dest = temp("linked-parent-ok");
        let zip = with_links(&[("f", b"x")], &[("p", "."), ("p/q/in", "../f")]);
        extract(&zip, &dest, Limits::default()).unwrap();
        assert_eq!(std::fs::read(dest.join("q/in")).unwrap(), b"x");
        std::fs::remove_dir_all(&dest).unwrap();
    }

    #[test]
    fn a_bomb_is_refused_quickly() {
        // 1 GB of zeros in one entry, ~1 MB compressed: refused from its declared size.
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer
            .start_file("zeros", SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated))
            .unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            writer.write_all(&chunk).unwrap();
        }
        let bomb = writer.finish().unwrap().into_inner();
        let dest = temp("bomb");
        let error = extract(&bomb, &dest, Limits::default()).unwrap_err();
        assert!(error.0.contains("more than 500 MB"), "{error}");
        assert!(!dest.exists());
    }

    #[test]
    fn overlapping_entries_are_refused_from_their_declared_sizes() {
        let bomb = crate::fuzzing::overlapping_bomb(10 << 20, 100);
        assert!(bomb.len() < 30 * 1024, "{} bytes", bomb.len());
        let dest = temp("overlap");
        let error = extract(&bomb, &dest, Limits::default()).unwrap_err();
        assert!(error.0.contains("more than 500 MB"), "{error}");
        assert!(!dest.exists());
    }
}
