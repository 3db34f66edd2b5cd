//! WRITE: where rendered files go. A build renders into a fresh staging
//! folder next to the output and swaps it in only when everything
//! succeeded, so a failed build leaves the previous site untouched.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A destination for rendered files. Paths are relative to the output root
/// and come from the site model, never from a request.
pub trait Sink: Sync {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    fn copy(&self, path: &Path, from: &Path) -> io::Result<()>;
}

/// A staging folder that becomes the output folder on [`StagedDir::commit`]
/// and disappears if dropped without it.
pub struct StagedDir {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl StagedDir {
    /// Stages next to `target` (same file system, so the swap is a rename).
    pub fn new(target: &Path) -> io::Result<StagedDir> {
        let parent = parent_of(target);
        fs::create_dir_all(&parent)?;
        let staging = tempfile::Builder::new()
            .prefix(".waymark-staging-")
            .tempdir_in(&parent)?;
        Ok(StagedDir {
            staging,
            target: target.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Replaces the output folder with the staged one.
    pub fn commit(self) -> io::Result<()> {
        let staged = self.staging.keep();
        if self.target.exists() {
            let old = tempfile::Builder::new()
                .prefix(".waymark-previous-")
                .tempdir_in(parent_of(&self.target))?
                .keep();
            // tempdir_in made an empty folder; rename needs the name free.
            fs::remove_dir(&old)?;
            fs::rename(&self.target, &old)?;
            if let Err(err) = fs::rename(&staged, &self.target) {
                // Put the previous site back before reporting.
                let _ = fs::rename(&old, &self.target);
                let _ = fs::remove_dir_all(&staged);
                return Err(err);
            }
            fs::remove_dir_all(&old)?;
        } else if let Err(err) = fs::rename(&staged, &self.target) {
            let _ = fs::remove_dir_all(&staged);
            return Err(err);
        }
        Ok(())
    }
}

impl Sink for StagedDir {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let full = self.staging.path().join(checked(path)?);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(full, bytes)
    }

    fn copy(&self, path: &Path, from: &Path) -> io::Result<()> {
        let full = self.staging.path().join(checked(path)?);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from, full).map(|_| ())
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

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Why an output folder is refused, if it is: it must not be the site root,
/// hold the site's sources, or sit inside them.
pub fn refuse_output(root: &Path, output: &Path) -> Option<String> {
    let root = absolute(root);
    let output = absolute(output);
    if output == root {
        return Some("the output folder cannot be the site root itself".into());
    }
    if root.starts_with(&output) {
        return Some("the output folder cannot be a parent of the site root: building would replace the site".into());
    }
    for source in ["content", "templates", "static", "site.yaml"] {
        let source_path = root.join(source);
        if output == source_path || output.starts_with(&source_path) {
            return Some(format!(
                "the output folder cannot be `{source}` or inside it: that is where the site's sources are"
            ));
        }
    }
    None
}

/// An absolute, normalised path, resolving symlinks where the path exists,
/// so that `./content/../content` and a symlink to `content` are both caught.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut lexical = PathBuf::new();
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
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = fs::canonicalize(&existing).unwrap_or(existing);
    out.extend(rest.into_iter().rev());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_source_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("content")).unwrap();
        assert!(refuse_output(root, root).is_some());
        assert!(refuse_output(root, &root.join("content")).is_some());
        assert!(refuse_output(root, &root.join("content/sub")).is_some());
        assert!(refuse_output(root, &root.join("static")).is_some());
        assert!(refuse_output(root, root.parent().unwrap()).is_some());
        assert!(refuse_output(root, &root.join("public")).is_none());
        assert!(refuse_output(root, &root.join("public/../content")).is_some());
    }

    #[test]
    fn staged_output_replaces_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.html"), "old").unwrap();

        let staged = StagedDir::new(&target).unwrap();
        staged.write(Path::new("a/index.html"), b"new").unwrap();
        drop(staged);
        assert!(target.join("old.html").exists(), "dropping must not touch the output");

        let staged = StagedDir::new(&target).unwrap();
        staged.write(Path::new("a/index.html"), b"new").unwrap();
        staged.commit().unwrap();
        assert!(!target.join("old.html").exists());
        assert_eq!(fs::read_to_string(target.join("a/index.html")).unwrap(), "new");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging or previous folder left behind");
    }

    #[test]
    fn sinks_refuse_escaping_paths() {
        let dir = tempfile::tempdir().unwrap();
        let sink = StagedDir::new(&dir.path().join("out")).unwrap();
        assert!(sink.write(Path::new("../x"), b"").is_err());
        assert!(sink.write(Path::new("/etc/x"), b"").is_err());
        assert!(sink.write(Path::new("ok/x"), b"").is_ok());
    }
}
