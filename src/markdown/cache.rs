//! The preview's store of parsed texts, so that a rebuild parses again
//! only the texts that changed.

use std::sync::Arc;

use super::{ParseOptions, Parsed, parse};
use crate::diag::SourceFile;

/// Parses every text of a site, reusing parses of texts seen in the last
/// build: the preview server re-parses only what changed.
#[derive(Default)]
pub struct Cache {
    entries: rustc_hash::FxHashMap<u64, Arc<Parsed>>,
    /// The key of each text that is a slice of a file, by where it sits:
    /// an unchanged file is the same shared one from load to load, so its
    /// texts need not be hashed again (they were a 5,000-article rebuild's
    /// largest single cost). The entry holds the file, so no other file can
    /// take its address while the entry exists.
    in_files: rustc_hash::FxHashMap<Place, InFile>,
}

/// A text's place: its file's address, and where in the file it starts and ends.
type Place = (usize, usize, usize);

struct InFile {
    file: Arc<SourceFile>,
    opts: ParseOptions,
    key: u64,
}

/// One text to parse, and the file it is a slice of, if it is one.
pub struct Text<'a> {
    pub text: &'a str,
    pub opts: ParseOptions,
    pub file: Option<&'a Arc<SourceFile>>,
}

impl Cache {
    fn key(text: &str, opts: &ParseOptions) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        opts.allow_html.hash(&mut hasher);
        opts.id_prefix.hash(&mut hasher);
        opts.page_body.hash(&mut hasher);
        // The text in one call: hashing it through `Hash` streams it through
        // a buffer, and every text of the site is hashed on every rebuild.
        xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), hasher.finish())
    }

    /// Where `text` sits in `file`, when it is a slice of it.
    fn place(text: &str, file: &SourceFile) -> Option<Place> {
        let start = (text.as_ptr() as usize).checked_sub(file.text.as_ptr() as usize)?;
        (start + text.len() <= file.text.len()).then_some((file.text.as_ptr() as usize, start, text.len()))
    }

    /// Parses `texts` in parallel, taking unchanged ones from the cache, and
    /// keeps exactly these texts for next time.
    pub fn parse_all(&mut self, texts: &[Text]) -> Vec<Arc<Parsed>> {
        use rayon::prelude::*;
        let results: Vec<(u64, Arc<Parsed>)> = texts
            .par_iter()
            .map(|Text { text, opts, file }| {
                let known = file.and_then(|file| {
                    let known = self.in_files.get(&Cache::place(text, file)?)?;
                    (Arc::ptr_eq(&known.file, file) && known.opts == *opts).then_some(known.key)
                });
                let key = known.unwrap_or_else(|| Cache::key(text, opts));
                let parsed = match self.entries.get(&key) {
                    Some(hit) => hit.clone(),
                    None => Arc::new(parse(text, opts)),
                };
                (key, parsed)
            })
            .collect();
        // Made anew each time, so that the cache keeps only these texts.
        let mut in_files = rustc_hash::FxHashMap::with_capacity_and_hasher(texts.len(), Default::default());
        in_files.extend(
            texts
                .iter()
                .zip(&results)
                .filter_map(|(Text { text, opts, file }, (key, _))| {
                    let file = (*file)?;
                    let known = InFile {
                        file: Arc::clone(file),
                        opts: opts.clone(),
                        key: *key,
                    };
                    Some((Cache::place(text, file)?, known))
                }),
        );
        self.in_files = in_files;
        self.entries = results.iter().map(|(k, p)| (*k, p.clone())).collect();
        results.into_iter().map(|(_, parsed)| parsed).collect()
    }

    /// Parses `now`, a new version of `before` (a text of the last build,
    /// a slice of its file), and keeps it in `before`'s stead. Returns the
    /// parse `before` had and the new one, or `None` when the cache does
    /// not hold `before`.
    pub fn reparse(&mut self, before: &Text, now: &Text) -> Option<(Arc<Parsed>, Arc<Parsed>)> {
        let before_file = before.file?;
        let place = Cache::place(before.text, before_file)?;
        let known = self.in_files.get(&place)?;
        if !Arc::ptr_eq(&known.file, before_file) || known.opts != before.opts {
            return None;
        }
        let old_key = known.key;
        let old = Arc::clone(self.entries.get(&old_key)?);
        let key = Cache::key(now.text, &now.opts);
        let parsed = match self.entries.get(&key) {
            Some(hit) => Arc::clone(hit),
            None => Arc::new(parse(now.text, &now.opts)),
        };
        self.in_files.remove(&place);
        // Another text may have the same words; its parse stays.
        if !self.in_files.values().any(|other| other.key == old_key) {
            self.entries.remove(&old_key);
        }
        self.entries.insert(key, Arc::clone(&parsed));
        if let Some(file) = now.file {
            if let Some(place) = Cache::place(now.text, file) {
                let known = InFile {
                    file: Arc::clone(file),
                    opts: now.opts.clone(),
                    key,
                };
                self.in_files.insert(place, known);
            }
        }
        Some((old, parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_file(file: &Arc<SourceFile>, page_body: bool) -> Text<'_> {
        Text {
            // After a front matter's fence: a slice, as a page's body is.
            text: &file.text[4..],
            opts: ParseOptions {
                page_body,
                ..ParseOptions::default()
            },
            file: Some(file),
        }
    }

    #[test]
    fn the_cache_takes_a_files_text_by_place_only_while_it_holds_that_file() {
        let file = |text: &str| Arc::new(SourceFile::new("a.md".into(), text.to_owned()));
        let first = file("---\n# One\n");
        let mut cache = Cache::default();
        let parsed = cache.parse_all(&[in_file(&first, true)]);
        // The same file: the same parse, found by place.
        assert!(Arc::ptr_eq(&parsed[0], &cache.parse_all(&[in_file(&first, true)])[0]));
        // Other options: another parse, though the place is the same.
        let other = cache.parse_all(&[in_file(&first, false)]);
        assert!(!Arc::ptr_eq(&parsed[0], &other[0]));
        // A file read again: taken by its text, and parsed again once changed.
        let same = file("---\n# One\n");
        assert!(Arc::ptr_eq(&other[0], &cache.parse_all(&[in_file(&same, false)])[0]));
        let changed = file("---\n# Two\n");
        let again = cache.parse_all(&[in_file(&changed, false)]);
        assert_eq!(again[0].headings[0].text, "Two");
        // Only this build's texts are kept, with their files.
        assert_eq!(cache.in_files.len(), 1);
        assert_eq!(Arc::strong_count(&same), 1);
    }
}
