//! What the preview keeps from one load to the next: each text file as it
//! was read and parsed, so that a rebuild reads and parses again only the
//! files whose size or modification time changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::diag::{FileId, SourceFile};

use super::Parsed;

/// Files of the last load, by path on disk.
#[derive(Default)]
pub struct Reuse {
    kept: HashMap<PathBuf, Kept>,
}

/// A file kept as read and parsed. Files whose parse reported anything are
/// not kept: their diagnostics point into a file id of that load only.
pub(super) struct Kept {
    stamp: Stamp,
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
    /// Whether the file at `path` is kept and has not changed since.
    pub(super) fn is_unchanged(&self, path: &Path, stamp: Option<Stamp>) -> bool {
        self.kept.get(path).is_some_and(|kept| Some(kept.stamp) == stamp)
    }

    /// Hands over what is kept, to be replaced by the files of this load.
    pub(super) fn take(&mut self) -> HashMap<PathBuf, Kept> {
        std::mem::take(&mut self.kept)
    }

    pub(super) fn replace(&mut self, kept: HashMap<PathBuf, Kept>) {
        self.kept = kept;
    }
}

impl Kept {
    /// Keeps a file read with `stamp`, when that stamp can be trusted and
    /// its parse reported nothing.
    pub(super) fn new(stamp: Option<Stamp>, file: &Arc<SourceFile>, parsed: &Parsed) -> Option<Kept> {
        let stamp = stamp.filter(|s| s.settled())?;
        parsed.diagnostics.is_empty().then(|| Kept {
            stamp,
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
