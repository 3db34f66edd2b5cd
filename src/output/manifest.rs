//! The marker every waymark output folder carries: the list of files
//! waymark wrote there, so that a later build replaces or deletes exactly
//! those and nothing an author put beside them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The marker's file name, at the top of the output folder.
pub const MARKER: &str = ".waymark-output";

const FORMAT: &str = "waymark-output";

#[derive(Serialize, Deserialize)]
struct OnDisk {
    format: String,
    /// The process still writing this folder (staging folders only): a
    /// leftover whose process is gone may be cleaned up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    building_pid: Option<u32>,
    files: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    written: BTreeMap<String, Written>,
}

/// The files one build wrote, as `/`-separated paths relative to the folder.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Manifest {
    pub files: BTreeSet<String>,
    pub building_pid: Option<u32>,
    /// What `build` knows of each file it wrote (`watch` writes in place and
    /// records none).
    pub written: BTreeMap<String, Written>,
}

/// A file as a build wrote it: a hash of its bytes, its size and its
/// modification time right after, and for a page a fingerprint of what it
/// was rendered from. The next build links a file whose new bytes have the
/// same hash (or a page whose inputs have the same fingerprint, without
/// rendering it) instead of writing it again, but only while its size and
/// time are still these: a file changed since (by hand) is written afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Written {
    pub hash: u64,
    pub len: u64,
    /// Seconds and nanoseconds since the Unix epoch.
    pub modified: (u64, u32),
    pub inputs: Option<u64>,
}

impl Written {
    /// The size and time `meta` gives, for bytes with `hash`.
    pub fn of(hash: u64, meta: &fs::Metadata) -> Option<Written> {
        let since = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Written {
            hash,
            len: meta.len(),
            modified: (since.as_secs(), since.subsec_nanos()),
            inputs: None,
        })
    }
}

impl From<Written> for String {
    fn from(w: Written) -> String {
        let record = format!("{:016x} {} {}.{:09}", w.hash, w.len, w.modified.0, w.modified.1);
        match w.inputs {
            Some(inputs) => format!("{record} {inputs:016x}"),
            None => record,
        }
    }
}

impl TryFrom<String> for Written {
    type Error = String;

    fn try_from(text: String) -> Result<Written, String> {
        let bad = || format!("not a file record: {text}");
        let mut parts = text.split(' ');
        let hash = u64::from_str_radix(parts.next().ok_or_else(bad)?, 16).map_err(|_| bad())?;
        let len = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let (secs, nanos) = parts.next().ok_or_else(bad)?.split_once('.').ok_or_else(bad)?;
        let inputs = match parts.next() {
            Some(inputs) => Some(u64::from_str_radix(inputs, 16).map_err(|_| bad())?),
            None => None,
        };
        Ok(Written {
            hash,
            len,
            modified: (secs.parse().map_err(|_| bad())?, nanos.parse().map_err(|_| bad())?),
            inputs,
        })
    }
}

impl Manifest {
    /// The folder's manifest; `None` when it has no marker, or one that is
    /// not waymark's (a folder is then treated as the author's).
    pub fn read(dir: &Path) -> Option<Manifest> {
        let bytes = fs::read(dir.join(MARKER)).ok()?;
        let on_disk: OnDisk = serde_json::from_slice(&bytes).ok()?;
        (on_disk.format == FORMAT).then_some(Manifest {
            files: on_disk.files,
            building_pid: on_disk.building_pid,
            written: on_disk.written,
        })
    }

    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let on_disk = OnDisk {
            format: FORMAT.to_owned(),
            building_pid: self.building_pid,
            files: self.files.clone(),
            written: self.written.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&on_disk).map_err(io::Error::other)?;
        json.push(b'\n');
        fs::write(dir.join(MARKER), json)
    }

    pub fn contains(&self, relative: &str) -> bool {
        self.files.contains(relative)
    }
}

/// A relative path as the manifest spells it; `None` for a name that is
/// not valid UTF-8 (such a file is never counted as waymark's).
pub fn key(relative: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for part in relative.components() {
        parts.push(part.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_foreign_markers() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
        let manifest = Manifest {
            files: ["index.html", "a b/ü.txt"].map(String::from).into(),
            building_pid: None,
            written: [(
                "index.html".to_owned(),
                Written {
                    hash: u64::MAX,
                    len: 12,
                    modified: (1_700_000_000, 5),
                    inputs: Some(7),
                },
            )]
            .into(),
        };
        manifest.write(dir.path()).unwrap();
        assert_eq!(Manifest::read(dir.path()), Some(manifest));
        fs::write(dir.path().join(MARKER), "{\"format\":\"other\",\"files\":[]}").unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
        fs::write(dir.path().join(MARKER), "not json").unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
    }
}
