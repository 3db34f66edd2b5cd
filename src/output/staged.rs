//! A staging folder next to the output: the whole build is written there
//! first, and moved into place only when everything succeeded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::claim::Spare;
use super::manifest::{self, MARKER, Manifest, Written};
use super::{Sink, checked};

pub const STAGING_PREFIX: &str = ".waymark-staging-";
pub const PREVIOUS_PREFIX: &str = ".waymark-previous-";

/// The files of one build, staged; dropped without being committed, the
/// folder disappears and the output is untouched.
pub struct StagedDir {
    staging: tempfile::TempDir,
    written: Mutex<BTreeSet<String>>,
    records: Mutex<BTreeMap<String, Written>>,
    /// The output folder and what its build wrote, to link unchanged files
    /// from instead of writing them again.
    previous: Option<(PathBuf, BTreeMap<String, Written>)>,
    /// Mixed into each page's fingerprint: another waymark may render the
    /// same inputs differently.
    renderer: u64,
    /// The output of the build before the previous one, taken over as this
    /// staging folder, and its manifest: what this build makes again, the
    /// same, stays where it is, and its folders are not made again.
    recycled: Option<Manifest>,
    /// Where the output this build replaces is kept, for the next build to
    /// take over (`None`: it is deleted).
    spare: Option<Spare>,
}

impl StagedDir {
    /// Stages next to `target` (same file system, so moving is a rename).
    /// The staging folder carries a marker naming this process, so a later
    /// build can tell a leftover of a killed build from a running one.
    pub(super) fn new(target: &Path, spare: Option<Spare>) -> io::Result<StagedDir> {
        let parent = parent_of(target);
        fs::create_dir_all(&parent)?;
        let staging = tempfile::Builder::new()
            // The process in the name too: the marker stops naming it once
            // the build is finished, just before it is moved in.
            .prefix(&format!(
                "{}{}-",
                sibling_prefix(STAGING_PREFIX, target),
                std::process::id()
            ))
            .tempdir_in(&parent)?;
        let recycled = match &spare {
            Some(spare) => recycle(&spare.path, staging.path())?,
            None => None,
        };
        Manifest {
            files: BTreeSet::new(),
            building_pid: Some(std::process::id()),
            written: BTreeMap::new(),
        }
        .write(staging.path())?;
        let previous = Manifest::read(target).map(|m| (target.to_path_buf(), m.written));
        Ok(StagedDir {
            staging,
            written: Mutex::new(BTreeSet::new()),
            records: Mutex::new(BTreeMap::new()),
            previous,
            renderer: renderer(),
            recycled,
            spare,
        })
    }

    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    fn full_path(&self, path: &Path) -> io::Result<(PathBuf, String)> {
        let path = checked(path)?;
        let key = manifest::key(path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a UTF-8 file name: {}", path.display()),
            )
        })?;
        if key == MARKER {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{MARKER} is the name of waymark's own marker file"),
            ));
        }
        let full = self.staging.path().join(path);
        if let Some(parent) = full.parent() {
            if fs::create_dir_all(parent).is_err() && self.recycled.is_some() {
                // A file of the recycled output where this build has a folder.
                clear_way(self.staging.path(), parent)?;
            }
            fs::create_dir_all(parent)?;
        }
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone());
        Ok((full, key))
    }

    fn manifest(&self) -> Manifest {
        Manifest {
            files: self.written.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            building_pid: None,
            written: self.records.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// The previous build's file at `key` and its record, when the record
    /// `matches` and the file is still as that build left it (same size and
    /// time: not edited by hand since).
    fn previous_file(&self, key: &str, matches: impl Fn(&Written) -> bool) -> Option<(PathBuf, Written)> {
        let (dir, records) = self.previous.as_ref()?;
        let record = records.get(key).filter(|r| matches(r))?;
        let old = dir.join(key);
        as_written(&old, record).then_some((old, *record))
    }

    /// The recycled output's record of `key`, when it `matches` and the
    /// file is still in the staging folder as that build left it.
    fn recycled_file(&self, key: &str, matches: impl Fn(&Written) -> bool) -> Option<Written> {
        let record = self.recycled.as_ref()?.written.get(key).filter(|r| matches(r))?;
        as_written(&self.staging.path().join(key), record).then_some(*record)
    }

    /// Clears `full` before something new is written there. A recycled
    /// file may be a hard link shared with the live output, so it is never
    /// written through, only unlinked.
    fn vacate(&self, full: &Path) -> io::Result<()> {
        if self.recycled.is_none() {
            return Ok(());
        }
        match fs::symlink_metadata(full) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(full),
            Ok(_) => fs::remove_file(full),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Deletes the recycled output's files that this build did not make
    /// again, with the folders they leave empty.
    fn drop_stale(&self) -> io::Result<()> {
        let Some(recycled) = &self.recycled else { return Ok(()) };
        let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        for key in recycled.files.difference(&written) {
            let stale = self.staging.path().join(key);
            // Gone already where this build put a file or folder in its way.
            if fs::symlink_metadata(&stale).is_ok_and(|meta| !meta.is_dir()) {
                fs::remove_file(&stale)?;
                remove_empty_parents(self.staging.path(), &stale);
            }
        }
        Ok(())
    }

    fn record(&self, key: String, written: Written) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, written);
    }

    /// A page's fingerprint as recorded: with this waymark's identity.
    fn inputs(&self, fingerprint: u64) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(&fingerprint.to_le_bytes(), self.renderer)
    }

    /// Writes `bytes`, or links the previous build's file when it holds the
    /// same bytes, and records it with `inputs`.
    fn write_recorded(&self, path: &Path, bytes: &[u8], inputs: Option<u64>) -> io::Result<()> {
        let (full, key) = self.full_path(path)?;
        let hash = xxhash_rust::xxh3::xxh3_64(bytes);
        let same_bytes = |r: &Written| r.hash == hash && r.len == bytes.len() as u64;
        if let Some(record) = self.recycled_file(&key, same_bytes) {
            self.record(key, Written { inputs, ..record });
            return Ok(());
        }
        self.vacate(&full)?;
        if let Some((old, record)) = self.previous_file(&key, same_bytes) {
            if fs::hard_link(&old, &full).is_ok() {
                self.record(key, Written { inputs, ..record });
                return Ok(());
            }
        }
        fs::write(&full, bytes)?;
        if let Some(record) = fs::metadata(&full).ok().and_then(|meta| Written::of(hash, &meta)) {
            self.record(key, Written { inputs, ..record });
        }
        Ok(())
    }

    /// Makes the staged folder the output folder. `target` must be missing,
    /// empty, or hold only files an earlier build listed (checked by the
    /// caller): the previous folder is kept as the spare, or deleted whole.
    pub(super) fn replace(self, target: &Path) -> io::Result<()> {
        self.drop_stale()?;
        self.manifest().write(self.staging.path())?;
        let staged = self.staging.keep();
        let result = swap(&staged, target, self.spare.as_ref());
        if result.is_err() {
            let _ = fs::remove_dir_all(&staged);
        }
        result
    }

    /// Moves each staged file into `target`, replacing files of the same
    /// name and leaving every other file alone; files the previous build
    /// wrote and this one did not are removed. For folders that also hold
    /// the author's files (`--force`).
    pub(super) fn merge_into(self, target: &Path, previous: Option<&Manifest>) -> io::Result<()> {
        let mut manifest = self.manifest();
        for key in &manifest.files {
            check_room(target, key)?;
        }
        fs::create_dir_all(target)?;
        for key in &manifest.files {
            let destination = target.join(key);
            if let Some(parent) = destination.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(self.staging.path().join(key), destination)?;
        }
        if let Some(previous) = previous {
            for key in previous.files.difference(&manifest.files) {
                let stale = target.join(key);
                match fs::remove_file(&stale) {
                    Ok(()) => remove_empty_parents(target, &stale),
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err),
                }
            }
        }
        manifest.building_pid = None;
        manifest.write(target)
        // Dropping `self` removes the now empty staging folder.
    }
}

/// Before moving anything in, each file's place must be free of folders
/// and each folder on its way free of files, so a merge cannot stop half way.
fn check_room(target: &Path, key: &str) -> io::Result<()> {
    let destination = target.join(key);
    if destination.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is a folder, where the site has a file", destination.display()),
        ));
    }
    let mut dir = destination.parent();
    while let Some(current) = dir {
        if current == target {
            break;
        }
        if current.exists() && !current.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} is a file, where the site has a folder", current.display()),
            ));
        }
        dir = current.parent();
    }
    Ok(())
}

/// Puts `staged` in the place of `target`, keeping the previous folder
/// aside until the new one is in, so no moment leaves a half-written site.
fn swap(staged: &Path, target: &Path, spare: Option<&Spare>) -> io::Result<()> {
    if !target.exists() {
        return fs::rename(staged, target);
    }
    let old = tempfile::Builder::new()
        .prefix(&sibling_prefix(PREVIOUS_PREFIX, target))
        .tempdir_in(parent_of(target))?
        .keep();
    // tempdir_in made an empty folder; rename needs the name free.
    fs::remove_dir(&old)?;
    fs::rename(target, &old)?;
    if let Err(err) = fs::rename(staged, target) {
        // Put the previous site back before reporting.
        let _ = fs::rename(&old, target);
        return Err(err);
    }
    retire(&old, spare)
}

/// Keeps the replaced output as the spare, for the next build to recycle
/// (a rename, where deleting its thousands of files and folders would be
/// most of a warm build), or deletes it where it cannot be kept: no spare
/// place, another file system, or a spare already there.
fn retire(old: &Path, spare: Option<&Spare>) -> io::Result<()> {
    if let Some((spare, spares)) = spare.and_then(|spare| Some((spare, spare.path.parent()?))) {
        // The cache folder is made as every command makes it, with its
        // .gitignore, and only once there is something to keep in it.
        let room = crate::cache_dir::create(&spare.site_root).is_ok() && fs::create_dir_all(spares).is_ok();
        if room && fs::rename(old, &spare.path).is_ok() {
            evict_spares(spares);
            return Ok(());
        }
    }
    remove_tree(old)
}

/// Spares are kept for this many output folders, the most recently built.
const SPARES_KEPT: usize = 4;

/// Deletes the spares of all but the [`SPARES_KEPT`] output folders built
/// last (a spare's folder time is its build's), so that outputs built once
/// (a test, a folder since deleted) do not pile up in the cache.
fn evict_spares(spares: &Path) {
    let Ok(entries) = fs::read_dir(spares) else { return };
    let mut kept: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .collect();
    if kept.len() <= SPARES_KEPT {
        return;
    }
    kept.sort();
    for (_, path) in &kept[..kept.len() - SPARES_KEPT] {
        let _ = fs::remove_dir_all(path);
    }
}

/// Whether the file at `path` is still as `record` says it was written:
/// the same size and time, so not edited by hand since.
fn as_written(path: &Path, record: &Written) -> bool {
    let meta = fs::symlink_metadata(path).ok().filter(fs::Metadata::is_file);
    meta.and_then(|meta| Written::of(record.hash, &meta))
        .is_some_and(|now| {
            Written {
                inputs: record.inputs,
                ..now
            } == *record
        })
}

/// Takes the spare output over as the staging folder `into` (an empty
/// folder), returning its manifest; `None` when there is no spare, or it
/// cannot be moved (another file system, or another build took it).
/// A spare without a finished manifest is emptied: nothing in it is known.
fn recycle(spare: &Path, into: &Path) -> io::Result<Option<Manifest>> {
    if fs::rename(spare, into).is_err() {
        return Ok(None);
    }
    let manifest = Manifest::read(into).filter(|m| m.building_pid.is_none());
    if manifest.is_none() {
        fs::remove_dir_all(into)?;
        fs::create_dir(into)?;
    }
    Ok(manifest)
}

/// Removes the files of a recycled output that stand where `dir` needs
/// folders, from the top down.
fn clear_way(staging: &Path, dir: &Path) -> io::Result<()> {
    let relative = dir.strip_prefix(staging).map_err(io::Error::other)?;
    let mut current = staging.to_path_buf();
    for part in relative.components() {
        current.push(part);
        if fs::symlink_metadata(&current).is_ok_and(|meta| !meta.is_dir()) {
            fs::remove_file(&current)?;
        }
    }
    Ok(())
}

/// Deletes the previous output, which is all waymark's. Unlinking thousands
/// of files is most of a warm build's commit; on every core it takes less.
fn remove_tree(dir: &Path) -> io::Result<()> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    // Contents first, so that each folder comes after everything in it.
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(io::Error::from)?;
        if entry.file_type().is_dir() {
            dirs.push(entry.into_path());
        } else {
            files.push(entry.into_path());
        }
    }
    // The marker goes last, just before the folder itself, after every other
    // file and sub-folder: a deletion killed half way leaves either a folder
    // that still says it is waymark's, so the next build finishes the job,
    // or an empty one.
    let marker = dir.join(MARKER);
    files.retain(|file| *file != marker);
    dirs.retain(|sub| sub != dir);
    files.par_iter().try_for_each(fs::remove_file)?;
    dirs.iter().try_for_each(fs::remove_dir)?;
    match fs::remove_file(&marker) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    fs::remove_dir(dir)
}

fn remove_empty_parents(output: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == output || fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

/// `.waymark-staging-public-` for an output folder named `public`: the
/// leftovers of one output folder are told from another's.
pub fn sibling_prefix(prefix: &str, target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    format!("{prefix}{name}-")
}

pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Which waymark renders: its version and, since a development build keeps
/// its version number, the size and time of its executable.
fn renderer() -> u64 {
    let exe = std::env::current_exe().and_then(fs::metadata).ok();
    let stamp = exe.and_then(|meta| Some((meta.len(), meta.modified().ok()?)));
    let identity = format!("{} {stamp:?}", env!("CARGO_PKG_VERSION"));
    xxhash_rust::xxh3::xxh3_64(identity.as_bytes())
}

impl Sink for StagedDir {
    /// Writes the file, or links the previous build's file when its bytes
    /// are the same: most files of a rebuild are, and a link costs neither
    /// the writing nor, when the previous folder is deleted, the freeing.
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.write_recorded(path, bytes, None)
    }

    fn keeps_pages(&self) -> bool {
        true
    }

    /// Links the previous build's page, rendered from the same inputs by
    /// this same waymark, while it is as that build left it.
    fn keep(&self, path: &Path, fingerprint: u64) -> bool {
        let Some(key) = manifest::key(path) else { return false };
        let inputs = Some(self.inputs(fingerprint));
        if let Some(record) = self.recycled_file(&key, |r| r.inputs == inputs) {
            return match self.full_path(path) {
                Ok((_, key)) => {
                    self.record(key, record);
                    true
                }
                Err(_) => false,
            };
        }
        let Some((old, record)) = self.previous_file(&key, |r| r.inputs == inputs) else {
            return false;
        };
        match self.full_path(path) {
            Ok((full, key)) if self.vacate(&full).is_ok() && fs::hard_link(&old, &full).is_ok() => {
                self.record(key, record);
                true
            }
            _ => false,
        }
    }

    fn write_page(&self, path: &Path, bytes: &[u8], fingerprint: Option<u64>) -> io::Result<()> {
        self.write_recorded(path, bytes, fingerprint.map(|f| self.inputs(f)))
    }

    fn copy(&self, path: &Path, from: &Path) -> io::Result<()> {
        let full = self.full_path(path)?.0;
        self.vacate(&full)?;
        fs::copy(from, full).map(|_| ())
    }
}
