//! WRITE: where rendered files go, and the one rule for which folders
//! waymark may write a site into.
//!
//! A build renders into a fresh staging folder next to the output and
//! moves it into place only when everything succeeded, so a failed or
//! killed build leaves the previous site untouched. Every build leaves a
//! manifest ([`MARKER`]) listing the files it wrote; waymark replaces or
//! deletes only folders and files that such a manifest accounts for.

mod claim;
mod manifest;
mod staged;

pub use claim::{OutputDir, Refusal, claim};
pub use manifest::MARKER;
pub use staged::StagedDir;

use std::io;
use std::path::{Component, Path};

/// A destination for rendered files. Paths are relative to the output root
/// and come from the site model, never from a request.
pub trait Sink: Sync {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    fn copy(&self, path: &Path, from: &Path) -> io::Result<()>;

    /// Whether [`Sink::keep`] can keep pages, so that rendering should
    /// fingerprint them.
    fn keeps_pages(&self) -> bool {
        false
    }

    /// Keeps the previous build's page at `path` when it was rendered from
    /// inputs with this fingerprint and is still as written. `false`: the
    /// page must be rendered.
    fn keep(&self, _path: &Path, _inputs: u64) -> bool {
        false
    }

    /// Writes a page rendered from inputs with this fingerprint (`None`
    /// when it was not taken).
    fn write_page(&self, path: &Path, bytes: &[u8], _inputs: Option<u64>) -> io::Result<()> {
        self.write(path, bytes)
    }
}

/// Refuses any path that could leave the output root.
fn checked(path: &Path) -> io::Result<&Path> {
    if path.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write outside the output folder: {}", path.display()),
        ))
    }
}

/// Why an output folder is refused, if it is: it must not be the site root,
/// hold the site's sources, or sit inside them.
fn refuse_sources(root: &Path, output: &Path) -> Option<String> {
    let root = absolute(root);
    let output = absolute(output);
    if output == root {
        return Some("the output folder cannot be the site root itself".into());
    }
    if root.starts_with(&output) {
        return Some("the output folder cannot be a parent of the site root: building would replace the site".into());
    }
    for source in ["content", "templates", "static", "site.yaml", "site.yml"] {
        let source_path = root.join(source);
        if output == source_path || output.starts_with(&source_path) {
            return Some(format!(
                "the output folder cannot be `{source}` or inside it: that is where the site's sources are"
            ));
        }
    }
    let cache = crate::cache_dir::path(&root);
    if output == cache || output.starts_with(&cache) {
        return Some("the output folder cannot be `.waymark-cache` or inside it: that is waymark's cache".into());
    }
    None
}

/// An absolute, normalised path, resolving symlinks where the path exists,
/// so that `./content/../content` and a symlink to `content` are both caught.
fn absolute(path: &Path) -> std::path::PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut lexical = std::path::PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    // Canonicalise the longest existing prefix, then append the rest.
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(&existing).unwrap_or(existing);
    out.extend(rest.into_iter().rev());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn refuses_source_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("content")).unwrap();
        assert!(refuse_sources(root, root).is_some());
        assert!(refuse_sources(root, &root.join("content")).is_some());
        assert!(refuse_sources(root, &root.join("content/sub")).is_some());
        assert!(refuse_sources(root, &root.join("static")).is_some());
        assert!(refuse_sources(root, root.parent().unwrap()).is_some());
        assert!(refuse_sources(root, &root.join("public")).is_none());
        assert!(refuse_sources(root, &root.join(".waymark-cache/x")).is_some());
        assert!(refuse_sources(root, &root.join("public/../content")).is_some());
    }
}
