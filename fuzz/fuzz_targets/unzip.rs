#![no_main]
//! The emulator's extraction of a code package (a zip from the request) into a fresh directory.
//!
//! Input: the archive. Each input is extracted into its own directory under one scratch directory,
//! with small limits (so bombs are cut short quickly), and everything is removed afterwards.
//!
//! Never panics; after a successful extraction nothing exists beside the destination, and every
//! path inside it, and every link's target followed as the kernel would, stays inside.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use scf_local::fuzzing::{UnzipLimits, extract_zip};

const LIMITS: UnzipLimits = UnzipLimits { max_entries: 256, max_bytes: 4 * 1024 * 1024 };
/// How many links one resolution may go through before the kernel gives up (`ELOOP`).
const MAX_HOPS: usize = 40;

/// The scratch directory, holding only the destination being tested.
fn scratch() -> &'static Path {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("scf-fuzz-unzip-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir.canonicalize().expect("the scratch directory's real path")
    })
}

/// Where `link` leads, resolved component by component on the real file system (following links
/// as the kernel does, and lexically past what does not exist). `None` after too many links.
fn resolve_link(link: &Path) -> Option<PathBuf> {
    let mut hops = 0;
    let mut at = link.parent()?.to_path_buf();
    let mut pending: Vec<PathBuf> = vec![std::fs::read_link(link).ok()?];
    // Walk a queue of targets: each component either moves `at` or expands into a link's target.
    while let Some(target) = pending.pop() {
        let mut components: Vec<Component<'_>> = target.components().collect();
        components.reverse();
        while let Some(component) = components.pop() {
            match component {
                Component::RootDir | Component::Prefix(_) => at = PathBuf::from("/"),
                Component::CurDir => {}
                Component::ParentDir => {
                    at.pop();
                }
                Component::Normal(name) => {
                    let next = at.join(name);
                    match std::fs::read_link(&next) {
                        Ok(inner) => {
                            hops += 1;
                            if hops > MAX_HOPS {
                                return None;
                            }
                            // Finish the inner target first, then the rest of this one.
                            let rest: PathBuf = components.iter().rev().collect();
                            pending.push(rest);
                            pending.push(inner);
                            components.clear();
                        }
                        Err(_) => at = next,
                    }
                }
            }
        }
    }
    Some(at)
}

/// Every path under `dest`, without following links.
fn walk(dest: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dest) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        out.push(path.clone());
        if is_dir {
            walk(&path, out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let scratch = scratch();
    let dest = scratch.join(COUNT.fetch_add(1, Ordering::Relaxed).to_string());
    let result = extract_zip(data, &dest, LIMITS);
    if let Ok(extracted) = result {
        assert!(extracted.bytes <= LIMITS.max_bytes);
        let beside: Vec<_> = std::fs::read_dir(scratch).expect("the scratch directory").flatten().collect();
        assert_eq!(beside.len(), 1, "something was written beside the destination: {beside:?}");
        let mut paths = Vec::new();
        walk(&dest, &mut paths);
        for path in &paths {
            assert!(path.starts_with(&dest), "{} is outside {}", path.display(), dest.display());
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link && let Some(target) = resolve_link(path) {
                assert!(
                    target.starts_with(&dest),
                    "the link {} leads to {}, outside the package",
                    path.display(),
                    target.display()
                );
            }
        }
    }
    // A refused archive may leave part of itself: the caller removes the directory, as here.
    let _ = std::fs::remove_dir_all(&dest);
    let leftovers = std::fs::read_dir(scratch).map_or(0, |entries| entries.count());
    assert_eq!(leftovers, 0, "the scratch directory is not empty after removing the destination");
});
