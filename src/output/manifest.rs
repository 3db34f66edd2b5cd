//! The marker every waymark output folder carries: the list of files
//! waymark wrote there, so that a later build replaces or deletes exactly
//! those and nothing an author put beside them.

use std::collections::BTreeSet;
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
}

/// The files one build wrote, as `/`-separated paths relative to the folder.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Manifest {
    pub files: BTreeSet<String>,
    pub building_pid: Option<u32>,
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
        })
    }

    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let on_disk = OnDisk {
            format: FORMAT.to_owned(),
            building_pid: self.building_pid,
            files: self.files.clone(),
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
        };
        manifest.write(dir.path()).unwrap();
        assert_eq!(Manifest::read(dir.path()), Some(manifest));
        fs::write(dir.path().join(MARKER), "{\"format\":\"other\",\"files\":[]}").unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
        fs::write(dir.path().join(MARKER), "not json").unwrap();
        assert_eq!(Manifest::read(dir.path()), None);
    }
}
