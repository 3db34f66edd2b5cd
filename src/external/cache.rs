//! What earlier runs learnt about outside links, so that a run within a day
//! asks again only about the links that failed. Kept at
//! `.waymark-cache/external-links.json` in the site's folder: beside the
//! content it describes, never walked (the folder is hidden and outside
//! `content/`, `static/` and `templates/`), so never published.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How long an answer is trusted: a day, in seconds.
pub const PERIOD: u64 = 24 * 60 * 60;

const FILE: &str = "external-links.json";
const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Moved,
    Broken,
}

/// One address's last answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub status: Status,
    /// Seconds since the Unix epoch.
    pub checked_at: u64,
    /// The new address of a moved link; what went wrong with a broken one.
    #[serde(default)]
    pub detail: String,
}

#[derive(Deserialize)]
struct CacheFile {
    version: u32,
    links: BTreeMap<String, Entry>,
}

#[derive(Debug, Default)]
pub struct Cache {
    links: BTreeMap<String, Entry>,
}

/// Where a site's cache lives.
pub fn path(root: &Path) -> PathBuf {
    crate::cache_dir::path(root).join(FILE)
}

impl Cache {
    /// The cache of the site at `root`: empty when there is none yet, and
    /// empty with the reason when it cannot be read or parsed (a cache is
    /// only ever a shortcut).
    pub fn load(root: &Path) -> (Cache, Option<String>) {
        let path = path(root);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return (Cache::default(), None),
            Err(err) => return (Cache::default(), Some(format!("cannot read it: {err}"))),
        };
        match serde_json::from_slice::<CacheFile>(&bytes) {
            Ok(file) if file.version == VERSION => (Cache { links: file.links }, None),
            Ok(file) => (
                Cache::default(),
                Some(format!("it has version {}, not {VERSION}", file.version)),
            ),
            Err(err) => (Cache::default(), Some(format!("it is not a valid cache: {err}"))),
        }
    }

    /// The answer to reuse for `url` at time `now`: one less than a day old
    /// that was not a failure. Failures are always asked again, and so is
    /// an answer from the future (the clock was set back).
    pub fn reusable(&self, url: &str, now: u64) -> Option<&Entry> {
        self.links
            .get(url)
            .filter(|e| e.status != Status::Broken && e.checked_at <= now && now - e.checked_at < PERIOD)
    }

    pub fn record(&mut self, url: String, entry: Entry) {
        self.links.insert(url, entry);
    }

    /// Writes the cache, leaving out answers too old to be used again. The
    /// file is replaced whole (a temporary file renamed over it), so a run
    /// that is killed leaves the old cache or the new one, never half of one.
    pub fn save(&mut self, root: &Path, now: u64) -> std::io::Result<()> {
        self.links
            .retain(|_, e| e.checked_at <= now && now - e.checked_at < PERIOD);
        let path = path(root);
        let dir = crate::cache_dir::create(root)?;
        let json = serde_json::to_vec_pretty(&serde_json::json!({ "version": VERSION, "links": &self.links }))
            .map_err(std::io::Error::other)?;
        let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
        temp.write_all(&json)?;
        temp.persist(&path).map_err(|err| err.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: Status, checked_at: u64) -> Entry {
        Entry {
            status,
            checked_at,
            detail: String::new(),
        }
    }

    #[test]
    fn answers_are_reused_for_a_day_and_failures_never() {
        let mut cache = Cache::default();
        let t = 1_700_000_000;
        cache.record("https://a.org/".into(), entry(Status::Ok, t));
        cache.record("https://m.org/".into(), entry(Status::Moved, t));
        cache.record("https://b.org/".into(), entry(Status::Broken, t));
        for url in ["https://a.org/", "https://m.org/"] {
            assert!(cache.reusable(url, t).is_some(), "{url}");
            assert!(cache.reusable(url, t + PERIOD - 1).is_some(), "{url}");
            assert!(cache.reusable(url, t + PERIOD).is_none(), "{url}: a day old");
            assert!(cache.reusable(url, t - 60).is_none(), "{url}: from the future");
        }
        assert!(cache.reusable("https://b.org/", t).is_none());
        assert!(cache.reusable("https://unknown.org/", t).is_none());
    }

    #[test]
    fn saving_drops_stale_answers_and_loading_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let t = 1_700_000_000;
        let mut cache = Cache::default();
        cache.record("https://old.org/".into(), entry(Status::Ok, t - PERIOD));
        cache.record("https://new.org/".into(), entry(Status::Ok, t - 10));
        cache.record("https://bad.org/".into(), entry(Status::Broken, t));
        cache.save(dir.path(), t).unwrap();
        let (loaded, problem) = Cache::load(dir.path());
        assert_eq!(problem, None);
        let urls: Vec<&String> = loaded.links.keys().collect();
        assert_eq!(urls, ["https://bad.org/", "https://new.org/"]);
        assert!(dir.path().join(".waymark-cache/.gitignore").is_file());
    }

    #[test]
    fn a_corrupt_cache_is_ignored_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, problem) = Cache::load(dir.path());
        assert!(cache.links.is_empty() && problem.is_none(), "no cache yet is fine");
        std::fs::create_dir_all(crate::cache_dir::path(dir.path())).unwrap();
        std::fs::write(path(dir.path()), "{ not json").unwrap();
        let (cache, problem) = Cache::load(dir.path());
        assert!(cache.links.is_empty());
        assert!(problem.is_some_and(|p| p.contains("not a valid cache")));
    }
}
