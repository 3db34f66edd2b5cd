//! What the preview keeps from one load to the next: each text file as it
//! was read and parsed, so that a rebuild reads and parses again only the
//! files whose size or modification time changed.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diag::{FileId, SourceFile};

use super::Parsed;

/// Files of the last load, by path on disk. Keyed by the path's bytes:
/// hashing a `Path` walks its components, a tenth of a 5,000-file load.
#[derive(Default)]
pub struct Reuse {
    kept: FxHashMap<OsString, Kept>,
    /// The current load; files not seen in it are dropped after it.
    load: u64,
    /// The paths the file watcher reported since the last load, when it
    /// reported every change: a kept file outside them (and outside every
    /// reported folder) is unchanged without looking at it. `None`: any
    /// file may have changed, so each is looked at.
    reported: Option<Vec<OsString>>,
    /// The files the last walk of `content/` found, when it reported
    /// nothing and met no symlink.
    listing: Option<Listing>,
}

/// One walk of `content/`: its files in walk order, and their paths.
struct Listing {
    jobs: Arc<[super::Job]>,
    paths: FxHashSet<OsString>,
}

/// A file kept as read and parsed. Files whose parse reported anything are
/// not kept: their diagnostics point into a file id of that load only.
pub(super) struct Kept {
    stamp: Stamp,
    /// Whether `stamp` was settled when the file was read. An unsettled
    /// file is kept only for rebuilds the watcher reports every change to:
    /// its stamp alone cannot tell that it changed since.
    settled: bool,
    seen: u64,
    file: Arc<SourceFile>,
    parsed: Parsed,
}

/// Size and modification time, taken before the file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: SystemTime,
}

/// A file changed this recently may change again within the file system's
/// timestamp granularity without its stamp changing, so it is not trusted
/// (as git treats "racily clean" files).
const SETTLED: Duration = Duration::from_secs(2);

impl Stamp {
    pub(super) fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok()?,
        })
    }

    fn settled(self) -> bool {
        SystemTime::now()
            .duration_since(self.modified)
            .is_ok_and(|age| age >= SETTLED)
    }
}

impl Reuse {
    /// Says which paths changed since the last load (`None`: unknown).
    pub fn report(&mut self, changed: Option<&[std::path::PathBuf]>) {
        self.reported = changed.map(|paths| paths.iter().map(|p| p.as_os_str().to_owned()).collect());
    }

    /// Whether the file at `path` is kept and no change was reported for it
    /// or a folder above it.
    pub(super) fn unreported(&self, path: &Path) -> bool {
        let Some(reported) = &self.reported else { return false };
        self.kept.contains_key(path.as_os_str())
            && !reported.iter().any(|changed| at_or_under(path.as_os_str(), changed))
    }

    /// The files under `content` as the last walk found them, when no
    /// reported change can have added or removed one: every path reported
    /// under `content` is a file of that walk and still a file, is hidden
    /// from walks (editor files), or is gone and held none of its files (a
    /// temporary file that a save by `sed -i` or an IDE made and renamed
    /// away). A rename, a new or deleted file or folder reports a path that
    /// fails this, and `content` is walked again.
    pub(super) fn listing(&self, content: &Path) -> Option<Arc<[super::Job]>> {
        let (reported, listing) = (self.reported.as_ref()?, self.listing.as_ref()?);
        let unchanged = reported.iter().all(|changed| {
            let changed = Path::new(changed);
            let Ok(inside) = changed.strip_prefix(content) else {
                // Outside `content`, unless it holds it.
                return !content.starts_with(changed);
            };
            let hidden = inside
                .iter()
                .any(|part| part.to_str().is_some_and(super::is_ignored_name));
            if hidden {
                return true;
            }
            match std::fs::symlink_metadata(changed) {
                Ok(meta) => meta.is_file() && listing.paths.contains(changed.as_os_str()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    !listing.paths.iter().any(|path| at_or_under(path, changed.as_os_str()))
                }
                Err(_) => false,
            }
        });
        unchanged.then(|| Arc::clone(&listing.jobs))
    }

    /// Keeps a walk's files for [`Reuse::listing`] (`None`: walk again next time).
    pub(super) fn keep_listing(&mut self, jobs: Option<Arc<[super::Job]>>) {
        self.listing = jobs.map(|jobs| Listing {
            paths: jobs.iter().map(|(_, path, _)| path.as_os_str().to_owned()).collect(),
            jobs,
        });
    }

    /// Whether the file at `path` is kept and has not changed since.
    pub(super) fn is_unchanged(&self, path: &Path, stamp: Option<Stamp>) -> bool {
        self.kept
            .get(path.as_os_str())
            .is_some_and(|kept| kept.settled && Some(kept.stamp) == stamp)
    }

    /// Starts a load.
    pub(super) fn begin(&mut self) {
        self.load += 1;
    }

    /// The kept file at `path`, which this load uses as it is.
    pub(super) fn reuse(&mut self, path: &Path) -> Option<&Kept> {
        let kept = self.kept.get_mut(path.as_os_str())?;
        kept.seen = self.load;
        Some(kept)
    }

    /// After a load: `read` are the files read again (kept anew, or no
    /// longer when they cannot be); files this load did not see are dropped.
    pub(super) fn update<'a>(&mut self, read: impl Iterator<Item = (&'a Path, Option<Kept>)>) {
        for (path, kept) in read {
            match kept {
                Some(mut kept) => {
                    kept.seen = self.load;
                    self.kept.insert(path.as_os_str().to_owned(), kept);
                }
                None => {
                    self.kept.remove(path.as_os_str());
                }
            }
        }
        let load = self.load;
        self.kept.retain(|_, kept| kept.seen == load);
    }
}

/// Whether `path` is `folder` or inside it. Compared as bytes: walking
/// both paths' components for each of thousands of files costs more.
fn at_or_under(path: &std::ffi::OsStr, folder: &std::ffi::OsStr) -> bool {
    let (path, folder) = (path.as_encoded_bytes(), folder.as_encoded_bytes());
    path.starts_with(folder) && (path.len() == folder.len() || std::path::is_separator(char::from(path[folder.len()])))
}

impl Kept {
    /// Keeps a file read with `stamp` (noting whether it had settled), when
    /// its parse reported nothing.
    pub(super) fn new(stamp: Option<Stamp>, file: &Arc<SourceFile>, parsed: &Parsed) -> Option<Kept> {
        let stamp = stamp?;
        parsed.diagnostics.is_empty().then(|| Kept {
            stamp,
            settled: stamp.settled(),
            seen: 0,
            file: Arc::clone(file),
            parsed: parsed.clone(),
        })
    }

    pub(super) fn file(&self) -> &Arc<SourceFile> {
        &self.file
    }

    /// The kept parse, pointing at the file's id in this load.
    pub(super) fn parsed(&self, file: FileId) -> Parsed {
        let mut parsed = self.parsed.clone();
        if let Some(loaded) = &mut parsed.roadmap {
            loaded.file = file;
        }
        if let Some(loaded) = &mut parsed.phase {
            loaded.file = file;
        }
        if let Some(loaded) = &mut parsed.doc {
            loaded.file = file;
        }
        parsed
    }
}
