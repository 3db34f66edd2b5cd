//! The one rule every command that writes a site follows (`build`,
//! `watch`, `handouts`): waymark writes into a folder that is new, empty or
//! its own, and replaces or deletes only what it wrote there.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::{self, MARKER, Manifest};
use super::staged::{PREVIOUS_PREFIX, STAGING_PREFIX, StagedDir, parent_of, sibling_prefix};
use super::{absolute, refuse_sources};

/// Why waymark will not write into a folder (exit status 2).
#[derive(Debug)]
pub struct Refusal(pub String);

/// An output folder waymark may write: checked by [`claim`].
#[derive(Debug)]
pub struct OutputDir {
    /// The real, absolute path.
    path: PathBuf,
    /// The path as given, for messages.
    shown: PathBuf,
    /// Write the site into the folder beside the author's files (`--force`).
    force: bool,
    /// Where the output a build replaces is kept for the next one.
    spare: Option<Spare>,
}

/// What a folder holds, as far as waymark's rule is concerned.
enum Ownership {
    Missing,
    NotAFolder,
    /// Empty, or holding only files a waymark build listed in its marker.
    Ours(Option<Manifest>),
    /// Files waymark did not write (up to a few named), and the marker if any.
    Foreign {
        manifest: Option<Manifest>,
        examples: Vec<String>,
        count: usize,
    },
}

const EXAMPLES: usize = 3;

/// The cache folder's folder of replaced outputs, one per output path.
const SPARES: &str = "previous-outputs";

/// Where a replaced output is kept: a folder in a site's cache folder.
#[derive(Debug, Clone)]
pub(super) struct Spare {
    pub(super) site_root: PathBuf,
    pub(super) path: PathBuf,
}

/// Checks that `output` may receive the site at `root` and returns it, or
/// says why not. Leftovers of interrupted builds next to it are cleaned up.
pub fn claim(root: &Path, output: &Path, force: bool) -> Result<OutputDir, Refusal> {
    let shown = output.to_path_buf();
    let refuse = |why: String| Refusal(format!("refusing to write the site into {}: {why}", shown.display()));
    if let Some(reason) = refuse_sources(root, output) {
        return Err(refuse(reason));
    }
    let path = absolute(output);
    match ownership(&path) {
        Ownership::NotAFolder => return Err(refuse("it is a file, not a folder; it was left as it is".into())),
        Ownership::Foreign {
            manifest,
            examples,
            count,
        } if !force => {
            let listed = list(&examples, count);
            let why = if manifest.is_some() {
                format!(
                    "it holds {count} file(s) that waymark did not write ({listed}), and a new build would delete them.\n\
                     hint: move them into the site's static/ folder to publish them, or pass --force to write the site \
                     into the folder and leave them alone"
                )
            } else {
                format!(
                    "the folder is not empty and was not written by waymark (it has no {MARKER} marker; it holds {listed}).\n\
                     hint: choose a new or empty folder, or pass --force to write the site into it \
                     (waymark then replaces only files of the same name and deletes nothing else)"
                )
            };
            return Err(refuse(why));
        }
        _ => {}
    }
    clean_leftovers(&path);
    Ok(OutputDir {
        path,
        shown,
        force,
        spare: None,
    })
}

impl OutputDir {
    /// The folder as the user named it, for messages.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the output each build replaces in the cache folder of the site
    /// at `root`, so that the next build takes over its folders and
    /// unchanged files instead of making them all again and deleting the
    /// old ones. Not with `--force`: files are then moved in one by one.
    pub fn recycling(mut self, root: &Path) -> OutputDir {
        if !self.force {
            let name = xxhash_rust::xxh3::xxh3_64(self.path.as_os_str().as_encoded_bytes());
            self.spare = Some(Spare {
                site_root: root.to_path_buf(),
                path: crate::cache_dir::path(root).join(SPARES).join(format!("{name:016x}")),
            });
        }
        self
    }

    /// A staging folder for a new build of this output.
    pub fn stage(&self) -> std::io::Result<StagedDir> {
        StagedDir::new(&self.path, self.spare.clone())
    }

    /// Moves a finished build into place. The folder is checked again: it
    /// may have changed while the site was rendering.
    pub fn commit(&self, staged: StagedDir) -> std::io::Result<()> {
        match ownership(&self.path) {
            Ownership::Missing | Ownership::Ours(_) => staged.replace(&self.path),
            Ownership::Foreign { manifest, .. } if self.force => staged.merge_into(&self.path, manifest.as_ref()),
            Ownership::Foreign { examples, count, .. } => Err(std::io::Error::other(format!(
                "{} now holds {count} file(s) that waymark did not write ({}); nothing was replaced",
                self.shown.display(),
                list(&examples, count)
            ))),
            Ownership::NotAFolder => Err(std::io::Error::other(format!(
                "{} is now a file; nothing was replaced",
                self.shown.display()
            ))),
        }
    }

    /// Records the files a live rebuild (`watch`) has written in place.
    pub fn record(&self, files: impl IntoIterator<Item = String>) -> std::io::Result<()> {
        Manifest {
            files: files.into_iter().collect(),
            building_pid: None,
            written: Default::default(),
        }
        .write(&self.path)
    }
}

fn list(examples: &[String], count: usize) -> String {
    let mut listed = examples.join(", ");
    if count > examples.len() {
        listed.push_str(&format!(" and {} more", count - examples.len()));
    }
    listed
}

fn ownership(path: &Path) -> Ownership {
    let Ok(meta) = fs::metadata(path) else {
        return if fs::symlink_metadata(path).is_ok() {
            // A dangling symlink: not a folder waymark may replace.
            Ownership::NotAFolder
        } else {
            Ownership::Missing
        };
    };
    if !meta.is_dir() {
        return Ownership::NotAFolder;
    }
    let manifest = Manifest::read(path).filter(|m| m.building_pid.is_none());
    let mut examples = Vec::new();
    let mut count = 0;
    let mut walk = walkdir::WalkDir::new(path).min_depth(1).into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else {
            // Unreadable: never assume it is ours.
            count += 1;
            continue;
        };
        let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
        let key = manifest::key(relative);
        let ours = match (&key, &manifest) {
            (Some(key), Some(m)) if entry.file_type().is_dir() => {
                let prefix = format!("{key}/");
                m.files
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|f| f.starts_with(&prefix))
            }
            (Some(key), Some(m)) => entry.file_type().is_file() && (key == MARKER || m.contains(key)),
            _ => false,
        };
        if !ours {
            count += 1;
            if examples.len() < EXAMPLES {
                examples.push(relative.display().to_string());
            }
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
        }
    }
    if count == 0 {
        Ownership::Ours(manifest)
    } else {
        Ownership::Foreign {
            manifest,
            examples,
            count,
        }
    }
}

/// Removes what killed builds of this output left next to it: staging
/// folders whose process is gone, and previous outputs set aside during a
/// swap. Only folders carrying waymark's marker (or empty) are touched. If
/// a build was killed between setting the old output aside and moving the
/// new one in, the old output is put back first.
fn clean_leftovers(target: &Path) {
    let parent = parent_of(target);
    let Ok(entries) = fs::read_dir(&parent) else { return };
    let staging = sibling_prefix(STAGING_PREFIX, target);
    let previous = sibling_prefix(PREVIOUS_PREFIX, target);
    let mut set_aside: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_staging = name.starts_with(&staging);
        if !is_staging && !name.starts_with(&previous) {
            continue;
        }
        let path = entry.path();
        // Not a real folder (a symlink, a file): not waymark's.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if fs::remove_dir(&path).is_ok() {
            continue; // It was empty.
        }
        let Some(manifest) = Manifest::read(&path) else {
            continue;
        };
        if is_staging {
            // Still being written (the marker names the process), or
            // finished but killed before it was moved in (the name does).
            let named = name[staging.len()..].split('-').next().and_then(|pid| pid.parse().ok());
            if manifest.building_pid.or(named).is_some_and(|pid| !process_alive(pid)) {
                let _ = fs::remove_dir_all(&path);
            }
        } else if matches!(ownership(&path), Ownership::Ours(Some(_))) {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            set_aside.push((modified, path));
        }
    }
    set_aside.sort();
    if !target.exists() {
        if let Some((_, newest)) = set_aside.pop() {
            let _ = fs::rename(&newest, target);
        }
    }
    for (_, path) in set_aside {
        let _ = fs::remove_dir_all(&path);
    }
}

/// Whether a process still runs. Where that cannot be told, a process is
/// taken to be running: a leftover is then kept, never a live build deleted.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}
