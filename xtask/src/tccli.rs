//! The official machine-readable SCF description, as shipped in the `tccli` Python package:
//! downloaded once (pinned version) into `target/tccli-cache/`, then read from there, offline.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The tccli release the spec is compared with. Raise it deliberately, then run `spec-diff`.
pub const TCCLI_VERSION: &str = "3.1.189.1";

/// Where the SCF description of that release is cached.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.join("target").join("tccli-cache").join(TCCLI_VERSION)
}

/// The directory holding `api.json` and `examples.json`, if it is cached.
pub fn scf_dir_if_cached(root: &Path) -> Option<PathBuf> {
    let dir = cache_dir(root).join("tccli/services/scf/v20180416");
    (dir.join("api.json").is_file() && dir.join("examples.json").is_file()).then_some(dir)
}

/// The directory holding `api.json` and `examples.json`, downloading the package if needed.
pub fn scf_dir(root: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = scf_dir_if_cached(root) {
        return Ok(dir);
    }
    let cache = cache_dir(root);
    let wheels = cache.join("wheels");
    eprintln!("downloading tccli {TCCLI_VERSION} from PyPI into {}", cache.display());
    run(Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "--dest"])
        .arg(&wheels)
        .arg(format!("tccli=={TCCLI_VERSION}")))?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("{}: {e}", wheels.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| format!("pip left no wheel in {}", wheels.display()))?;
    // Only the SCF part of the (large) wheel is needed.
    let extract = "import sys, zipfile\n\
                   z = zipfile.ZipFile(sys.argv[1])\n\
                   [z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith('tccli/services/scf/v20180416/')]";
    run(Command::new("python3").args(["-c", extract]).arg(&wheel).arg(&cache))?;
    std::fs::remove_dir_all(&wheels).map_err(|e| format!("{}: {e}", wheels.display()))?;
    scf_dir_if_cached(root).ok_or_else(|| format!("tccli {TCCLI_VERSION} has no scf/v20180416 description"))
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command.status().map_err(|e| format!("cannot run {shown}: {e} (is python3 with pip installed?)"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} failed ({status})")) }
}
