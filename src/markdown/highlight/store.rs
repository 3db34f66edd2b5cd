//! The persistent highlight cache: the highlighted HTML of each code block,
//! kept on disk between runs so that a build highlights only new or changed
//! code. Highlighting is most of a build's time, and code rarely changes.
//!
//! One file, `highlight.bin`, in the site's `.waymark-cache/`: a header
//! naming everything the output depends on besides the block itself (waymark,
//! syntect and grammar versions, class style), then entries of
//! `key (16 bytes) | length (u32) | checksum (u64) | HTML, LZ4-compressed`
//! (highlighted HTML is about ten times the size of its code and compresses
//! about as well). The key hashes
//! the language and the code. A file with another header is ignored whole;
//! an entry whose checksum fails is highlighted again, never served.
//!
//! A run reads entries as it needs them (the file is never loaded whole),
//! streams the blocks it highlights into a new temporary file, copies the
//! old entries it used after them and then, while the size limit allows,
//! those it did not, and renames the new file over the old. So concurrent
//! runs each leave a whole file (the last one wins), a killed run leaves the
//! old one, and entries no build has used for a while fall off the end.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_128};

/// What besides the code and its language changes the highlighted HTML. The
/// test below keeps the library versions in step with Cargo.lock.
const FINGERPRINT: &str = concat!(
    "waymark ",
    env!("CARGO_PKG_VERSION"),
    "; syntect 5.3.0; two-face 0.5.2+bat-0.26.1 extra_newlines; classes hl-"
);
const MAGIC: &[u8; 8] = b"WMHLC\x001\n";
/// The cache file stays under this size; the least recently used entries go.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;
const ENTRY_HEAD: usize = 16 + 4 + 8;
const FILE_NAME: &str = "highlight.bin";

pub type Key = u128;

pub fn key(language: &str, code: &str) -> Key {
    let mut hasher = Xxh3::new();
    hasher.update(language.as_bytes());
    hasher.update(&[0]);
    hasher.update(code.as_bytes());
    hasher.digest128()
}

fn header() -> Vec<u8> {
    let mut head = MAGIC.to_vec();
    head.extend_from_slice(&xxh3_128(FINGERPRINT.as_bytes()).to_le_bytes());
    head
}

#[derive(Clone, Copy)]
struct Entry {
    /// Where the HTML starts in the old file.
    offset: u64,
    len: u32,
    sum: u64,
}

/// The cache of one run. Reading and writing never fail the run: a cache
/// that cannot be read is empty, one that cannot be written is not.
pub struct Store {
    root: PathBuf,
    dir: PathBuf,
    writable: bool,
    max_bytes: u64,
    old: Option<File>,
    /// Old entries in file order, which is most recently used first.
    index: HashMap<Key, Entry>,
    order: Vec<Key>,
    used: Mutex<HashSet<Key>>,
    fresh: Mutex<Option<Fresh>>,
    corrupt: AtomicUsize,
}

struct Fresh {
    file: BufWriter<tempfile::NamedTempFile>,
    keys: HashSet<Key>,
    bytes: u64,
}

impl Store {
    /// The cache of the site at `root`; `writable: false` only reads it
    /// (`check`, which writes nothing).
    pub fn open(root: &Path, writable: bool) -> Store {
        let mut store = Store {
            root: root.to_path_buf(),
            dir: crate::cache_dir::path(root),
            writable,
            max_bytes: MAX_BYTES,
            old: None,
            index: HashMap::new(),
            order: Vec::new(),
            used: Mutex::new(HashSet::new()),
            fresh: Mutex::new(None),
            corrupt: AtomicUsize::new(0),
        };
        if writable {
            remove_stale_temporaries(&store.dir);
        }
        if let Ok(file) = File::open(store.dir.join(FILE_NAME)) {
            if let Ok((index, order)) = read_index(&file) {
                store.index = index;
                store.order = order;
                store.old = Some(file);
            }
        }
        store
    }

    /// The stored (LZ4-compressed) HTML of a block, if its checksum holds.
    pub fn get(&self, key: Key) -> Option<Vec<u8>> {
        let entry = *self.index.get(&key)?;
        let stored = self.read(entry).filter(|bytes| xxh3_64(bytes) == entry.sum);
        match stored {
            Some(html) => {
                lock(&self.used).insert(key);
                Some(html)
            }
            None => {
                self.corrupt.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// An entry's stored (compressed) bytes.
    fn read(&self, entry: Entry) -> Option<Vec<u8>> {
        let mut bytes = vec![0; entry.len as usize];
        read_exact_at(self.old.as_ref()?, &mut bytes, entry.offset).ok()?;
        Some(bytes)
    }

    /// Keeps a block highlighted in this run for the next: its HTML as
    /// `lz4_flex::compress_prepend_size` made it.
    pub fn put(&self, key: Key, stored: &[u8]) {
        if !self.writable {
            return;
        }
        let mut fresh = lock(&self.fresh);
        if fresh.is_none() {
            *fresh = self.start_file().ok();
        }
        let Some(out) = fresh.as_mut() else { return };
        if !out.keys.insert(key) {
            return;
        }
        if write_entry(&mut out.file, key, stored).is_err() {
            // A full disk, say: this run keeps nothing, the old file stays.
            *fresh = None;
            return;
        }
        out.bytes += (ENTRY_HEAD + stored.len()) as u64;
    }

    fn start_file(&self) -> io::Result<Fresh> {
        crate::cache_dir::create(&self.root)?;
        let temp = tempfile::Builder::new()
            .prefix("highlight-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)?;
        let mut file = BufWriter::new(temp);
        let head = header();
        file.write_all(&head)?;
        Ok(Fresh {
            file,
            keys: HashSet::new(),
            bytes: head.len() as u64,
        })
    }

    /// Writes the cache for the next run, when this one highlighted
    /// anything or found a broken entry; otherwise the file is already right.
    pub fn save(&self) -> io::Result<bool> {
        if !self.writable {
            return Ok(false);
        }
        let mut fresh = lock(&self.fresh).take();
        if fresh.is_none() && self.corrupt.load(Ordering::Relaxed) > 0 {
            fresh = Some(self.start_file()?);
        }
        let Some(mut out) = fresh else { return Ok(false) };
        let used = lock(&self.used);
        // Used entries first, then the rest in their old order, which keeps
        // the most recently used at the front and drops the oldest.
        let keep = self
            .order
            .iter()
            .filter(|k| used.contains(k))
            .chain(self.order.iter().filter(|k| !used.contains(k)));
        for &key in keep {
            if out.keys.contains(&key) {
                continue;
            }
            let entry = self.index[&key];
            if out.bytes + (ENTRY_HEAD as u64) + u64::from(entry.len) > self.max_bytes {
                break;
            }
            let Some(stored) = self.read(entry) else { continue };
            if xxh3_64(&stored) != entry.sum {
                continue;
            }
            write_entry(&mut out.file, key, &stored)?;
            out.keys.insert(key);
            out.bytes += (ENTRY_HEAD as u64) + u64::from(entry.len);
        }
        let temp = out.file.into_inner().map_err(|e| e.into_error())?;
        temp.as_file().sync_data()?;
        temp.persist(self.dir.join(FILE_NAME)).map_err(|e| e.error)?;
        Ok(true)
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Reads at an offset without moving a shared cursor, so every core can
/// read the cache at once (a lock around seek and read was a tenth of a
/// warm build).
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_entry(out: &mut impl Write, key: Key, stored: &[u8]) -> io::Result<()> {
    let len = u32::try_from(stored.len()).map_err(|_| io::Error::other("code block too large to cache"))?;
    out.write_all(&key.to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&xxh3_64(stored).to_le_bytes())?;
    out.write_all(stored)
}

/// The entries of a cache file, or an error when its header is not ours.
/// A truncated last entry (a full disk) ends the index.
fn read_index(file: &File) -> io::Result<(HashMap<Key, Entry>, Vec<Key>)> {
    let total = file.metadata()?.len();
    let mut reader = BufReader::new(file);
    let mut head = vec![0; header().len()];
    reader.read_exact(&mut head)?;
    if head != header() {
        return Err(io::Error::other("another version's cache"));
    }
    let mut offset = head.len() as u64;
    let mut index = HashMap::new();
    let mut order = Vec::new();
    let mut entry_head = [0u8; ENTRY_HEAD];
    while reader.read_exact(&mut entry_head).is_ok() {
        let key = Key::from_le_bytes(entry_head[..16].try_into().expect("16 bytes"));
        let len = u32::from_le_bytes(entry_head[16..20].try_into().expect("4 bytes"));
        let sum = u64::from_le_bytes(entry_head[20..].try_into().expect("8 bytes"));
        let start = offset + ENTRY_HEAD as u64;
        if start + u64::from(len) > total {
            break;
        }
        if index
            .insert(
                key,
                Entry {
                    offset: start,
                    len,
                    sum,
                },
            )
            .is_none()
        {
            order.push(key);
        }
        reader.seek_relative(i64::from(len))?;
        offset = start + u64::from(len);
    }
    Ok((index, order))
}

/// Temporary files of runs that were killed before renaming theirs.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < an_hour_ago);
        if name.starts_with("highlight-") && name.ends_with(".tmp") && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(html: &str) -> Vec<u8> {
        lz4_flex::compress_prepend_size(html.as_bytes())
    }

    #[test]
    fn fingerprint_names_the_locked_versions() {
        let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
        for (name, version) in [("syntect", "5.3.0"), ("two-face", "0.5.2+bat-0.26.1")] {
            assert!(
                lock.contains(&format!("name = \"{name}\"\nversion = \"{version}\"")),
                "Cargo.lock has another {name}: update FINGERPRINT, whose output may differ"
            );
            assert!(FINGERPRINT.contains(&format!("{name} {version}")));
        }
    }

    #[test]
    fn entries_survive_a_round_trip_and_corruption_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), true);
        assert!(store.get(key("rust", "fn a() {}")).is_none());
        store.put(key("rust", "fn a() {}"), &pack("<span>a</span>"));
        store.put(key("rust", "fn b() {}"), &pack("<span>b</span>"));
        store.save().unwrap();

        let store = Store::open(dir.path(), true);
        assert_eq!(store.get(key("rust", "fn a() {}")), Some(pack("<span>a</span>")));
        assert!(store.get(key("python", "fn a() {}")).is_none());
        drop(store);

        // Flip a byte of the first entry: it is redone, not served.
        let path = dir.path().join(".waymark-cache").join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = header().len() + ENTRY_HEAD + 2;
        bytes[at] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let store = Store::open(dir.path(), true);
        let first = store.order[0];
        assert!(store.get(first).is_none());
        assert_eq!(store.corrupt.load(Ordering::Relaxed), 1);
        store.save().unwrap();
        let store = Store::open(dir.path(), true);
        assert!(store.get(first).is_none(), "the broken entry is gone");
        assert_eq!(store.corrupt.load(Ordering::Relaxed), 0);
        assert_eq!(store.order.len(), 1, "the good one stays");

        // A truncated file keeps its whole entries; a foreign one is ignored.
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(Store::open(dir.path(), false).order.len(), 1);
        std::fs::write(&path, b"something else").unwrap();
        assert!(Store::open(dir.path(), false).order.is_empty());
    }

    #[test]
    fn the_least_recently_used_entries_go_first_when_the_cache_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let html = |n: u32| format!("<span>{n}</span>").repeat(50);
        let store = Store::open(dir.path(), true);
        for n in 0..4 {
            store.put(key("rust", &n.to_string()), &pack(&html(n)));
        }
        store.save().unwrap();
        // The next run uses blocks 2 and 3 and adds 4; there is room for
        // three entries, so the two unused old ones go.
        let mut store = Store::open(dir.path(), true);
        let head = header().len() as u64;
        store.max_bytes = head + (std::fs::metadata(store.path()).unwrap().len() - head) * 3 / 4 + 8;
        assert_eq!(store.get(key("rust", "2")), Some(pack(&html(2))));
        assert_eq!(store.get(key("rust", "3")), Some(pack(&html(3))));
        store.put(key("rust", "4"), &pack(&html(4)));
        store.save().unwrap();
        let store = Store::open(dir.path(), true);
        let kept: Vec<bool> = (0..5)
            .map(|n| store.index.contains_key(&key("rust", &n.to_string())))
            .collect();
        assert_eq!(kept, [false, false, true, true, true]);
    }

    #[test]
    fn a_read_only_store_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), false);
        store.put(key("rust", "x"), &pack("x"));
        store.save().unwrap();
        assert!(!dir.path().join(".waymark-cache").exists());
    }
}
