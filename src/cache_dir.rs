//! `.waymark-cache/` in the site's folder: work a later run can reuse (the
//! highlight cache, the answers of `check --external`). Never published:
//! the source walker reads only `content/`, `static/` and `templates/`, and
//! the output may not be this folder (see `output`).

use std::io;
use std::path::{Path, PathBuf};

pub const NAME: &str = ".waymark-cache";

pub fn path(root: &Path) -> PathBuf {
    root.join(NAME)
}

/// Creates the folder, with a `.gitignore` that keeps it out of version
/// control, as pytest and ruff do with theirs; written once, and left alone
/// if the author changed it.
pub fn create(root: &Path) -> io::Result<PathBuf> {
    let dir = path(root);
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Made by waymark: this folder holds caches, not content.\n*\n",
        )?;
    }
    Ok(dir)
}
