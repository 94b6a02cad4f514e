//! Where the workspace is: found at run time from the current directory, never from where xtask
//! was compiled. Clones that share one `CARGO_TARGET_DIR` share one `xtask` binary, so a path
//! baked in at compile time (`CARGO_MANIFEST_DIR`) may name another clone, or one since deleted.

use std::path::{Path, PathBuf};

/// The workspace `cargo xtask` was run in: the nearest directory at or above the current one
/// whose `Cargo.toml` has a `[workspace]` table.
pub fn root() -> Result<PathBuf, String> {
    let current = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    find_root(&current).ok_or_else(|| {
        format!(
            "no workspace at or above {}: run `cargo xtask` inside the scf-rs workspace (no Cargo.toml with a \
             [workspace] table was found)",
            current.display()
        )
    })
}

/// The nearest directory at or above `start` whose `Cargo.toml` declares a workspace.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|dir| declares_workspace(&dir.join("Cargo.toml"))).map(Path::to_path_buf)
}

/// Whether the manifest at `path` has a `[workspace]` table (a member's manifest has none).
fn declares_workspace(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_workspace_above_wins_and_members_do_not_count() {
        let base = std::env::temp_dir().join(format!("xtask-workspace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("clone");
        let member = root.join("scf-sdk/src/runtime");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(base.join("Cargo.toml"), "[workspace]\nmembers = [\"other\"]\n").unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nresolver = \"3\"\n\n[workspace.package]\n").unwrap();
        std::fs::write(root.join("scf-sdk/Cargo.toml"), "[package]\nname = \"x\"\n\n[lints]\nworkspace = true\n")
            .unwrap();
        assert_eq!(find_root(&member), Some(root.clone()), "from a member's subdirectory");
        assert_eq!(find_root(&root.join("scf-sdk")), Some(root.clone()), "from a member");
        assert_eq!(find_root(&root), Some(root.clone()));
        assert_eq!(find_root(&base), Some(base.clone()), "an enclosing workspace is another one");
        std::fs::remove_file(base.join("Cargo.toml")).unwrap();
        std::fs::remove_file(root.join("Cargo.toml")).unwrap();
        assert_eq!(find_root(&member), find_root(&std::env::temp_dir()), "nothing in between");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn this_workspace_is_found_from_the_test_directory() {
        // `cargo test` runs unit tests in the package's directory: the workspace is its parent.
        let root = root().unwrap();
        assert!(root.join("api-spec").is_dir() && root.join("xtask").is_dir(), "{}", root.display());
    }
}
