//! The rebuild engine behind `watch` and `serve`: keeps what the last good
//! build produced, and on each rebuild re-parses only changed Markdown,
//! re-renders only pages whose inputs changed, and reports which output
//! files actually changed.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::build;
use crate::diag::{Diagnostics, SourceMap};
use crate::output::Sink;
use crate::render::{self, Fingerprints, Stats, Theme};
use crate::resolve::Options;

/// One output file as the last good build left it.
#[derive(Clone, Debug)]
pub enum Stored {
    /// Rendered bytes, kept for serving from memory.
    Bytes { data: Arc<[u8]>, hash: u64 },
    /// Rendered bytes already written to disk: only their hash is kept.
    Hash(u64),
    /// A file copied as it is (static files, content assets).
    Copy {
        source: PathBuf,
        stamp: Option<(u64, SystemTime)>,
    },
}

/// The files of the last good build, by output path (`roadmaps/ml/index.html`).
/// A hash map: lookups need no order.
pub type Files = rustc_hash::FxHashMap<String, Stored>;

/// What a rebuild changed in the output, with the new contents of each
/// changed file (for `watch`, which writes them to disk).
pub struct Changes {
    pub changed: Vec<(String, Content)>,
    /// How many of `changed` are new files.
    pub added: usize,
    pub removed: Vec<String>,
    pub stats: Stats,
}

impl Changes {
    /// Whether the rebuild left every file as it was.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

pub enum Content {
    Bytes(Arc<[u8]>),
    Copy(PathBuf),
}

/// A failed rebuild: the diagnostics, with the sources they point into.
pub struct Failure {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
}

pub struct Outcome {
    pub elapsed: Duration,
    pub result: Result<Changes, Failure>,
    /// Warnings of a successful build, printable with `warning_sources`.
    pub warnings: Diagnostics,
    pub warning_sources: SourceMap,
}

pub struct Session {
    root: PathBuf,
    opts: Options,
    keep_bytes: bool,
    kept: build::Kept,
    fingerprints: Fingerprints,
    /// The pages' keys in the last good build.
    keys: Fingerprints,
    /// Shared with the server, which serves from it: a rebuild updates it
    /// in place, file by file.
    files: Arc<RwLock<Files>>,
    /// The theme of the last good build, and the site templates it was made from.
    theme: Option<(Vec<crate::source::Template>, Theme)>,
}

impl Session {
    /// `keep_bytes`: keep rendered files in memory (the server) or only
    /// their hashes (`watch`, which has them on disk).
    pub fn new(root: &Path, opts: Options, keep_bytes: bool) -> Session {
        Session {
            root: root.to_path_buf(),
            opts,
            keep_bytes,
            kept: build::Kept::default(),
            fingerprints: Fingerprints::default(),
            keys: Fingerprints::default(),
            files: Arc::default(),
            theme: None,
        }
    }

    /// The files of the last good build, as the server shares them.
    pub fn shared_files(&self) -> Arc<RwLock<Files>> {
        Arc::clone(&self.files)
    }

    /// The files of the last good build, read.
    #[cfg(test)]
    pub fn files(&self) -> std::sync::RwLockReadGuard<'_, Files> {
        self.files.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Rebuilds; a panic inside (a bug in waymark, never the author's
    /// fault) becomes an internal error and the last good build stays, so
    /// the preview never ends because of one bad edit.
    /// `changed`: every path that changed since the last rebuild, as the
    /// file watcher reported them (`None`: not known).
    pub fn rebuild(&mut self, changed: Option<&[PathBuf]>) -> Outcome {
        let started = Instant::now();
        self.kept.report(changed);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.rebuild_unguarded())) {
            Ok(outcome) => outcome,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // The caches may be half updated: the next rebuild starts
                // afresh, compared with the last good build's files.
                let files = Arc::clone(&self.files);
                *self = Session::new(&self.root, self.opts.clone(), self.keep_bytes);
                self.files = files;
                let mut diagnostics = Diagnostics::default();
                diagnostics.push(
                    crate::diag::Diagnostic::error(format!(
                        "internal error: waymark crashed while rebuilding ({what})"
                    ))
                    .with_hint("the last good build is still served; please report this with the edit that caused it"),
                );
                Outcome {
                    elapsed: started.elapsed(),
                    result: Err(Failure {
                        sources: SourceMap::default(),
                        diagnostics,
                    }),
                    warnings: Diagnostics::default(),
                    warning_sources: SourceMap::default(),
                }
            }
        }
    }

    fn rebuild_unguarded(&mut self) -> Outcome {
        let started = Instant::now();
        let mut loaded = build::load(&self.root, &self.opts, Some(&mut self.kept));
        let failed = |mut loaded: build::Loaded| {
            loaded.diagnostics.sort(&loaded.sources.map);
            Outcome {
                elapsed: started.elapsed(),
                result: Err(Failure {
                    sources: loaded.sources.map,
                    diagnostics: loaded.diagnostics,
                }),
                warnings: Diagnostics::default(),
                warning_sources: SourceMap::default(),
            }
        };
        if loaded.diagnostics.has_errors() {
            return failed(loaded);
        }
        let Some(site) = loaded.site.as_ref() else {
            return failed(loaded);
        };
        // The last build's theme, while the site's templates are the same.
        let kept_theme = self
            .theme
            .take()
            .filter(|(templates, _)| *templates == loaded.sources.templates);
        let mut theme = match kept_theme.map_or_else(|| Theme::load(&loaded.sources.templates), |(_, theme)| Ok(theme))
        {
            Ok(theme) => theme,
            Err(errors) => {
                loaded.diagnostics.extend(errors);
                return failed(loaded);
            }
        };
        let sink = CollectSink::default();
        let previous = render::Previous {
            fingerprints: &self.fingerprints,
            keys: &self.keys,
        };
        let rendered = match render::render(site, &loaded.sources.map, &mut theme, &sink, Some(previous)) {
            Ok(rendered) => rendered,
            Err(errors) => {
                loaded.diagnostics.extend(errors);
                return failed(loaded);
            }
        };

        let t0 = Instant::now();
        let (writes, copies) = sink.into_parts();
        let files_changed = self.compare(writes, copies, &rendered.unchanged);
        build::stage("compare", t0);
        let old_fingerprints = std::mem::replace(&mut self.fingerprints, rendered.fingerprints);
        let old_keys = std::mem::replace(&mut self.keys, rendered.keys);
        self.theme = Some((std::mem::take(&mut loaded.sources.templates), theme));
        let replaced = self.kept.take_replaced();
        let (warnings, warning_sources, unkept) = match self.kept.keep(loaded) {
            None => (Diagnostics::default(), SourceMap::default(), None),
            Some(mut loaded) => (
                std::mem::take(&mut loaded.diagnostics),
                std::mem::take(&mut loaded.sources.map),
                Some(loaded),
            ),
        };
        // Freed while the browser hears of the new build.
        build::drop_later((unkept, replaced, rendered.unchanged, old_fingerprints, old_keys));
        let (changed, added, removed) = files_changed;
        Outcome {
            elapsed: started.elapsed(),
            result: Ok(Changes {
                changed,
                added,
                removed,
                stats: rendered.stats,
            }),
            warnings,
            warning_sources,
        }
    }
}

impl Session {
    /// Compares what a render wrote (`writes`, `copies`) and left as it was
    /// (`unchanged`) with the last good build, and updates its files in
    /// place: the files that changed (with how many are new), and the files
    /// removed, in order. A rebuild after an edit changes a few files of
    /// thousands, so only those are touched.
    fn compare(
        &mut self,
        writes: Writes,
        copies: Copies,
        unchanged: &[PathBuf],
    ) -> (Vec<(String, Content)>, usize, Vec<String>) {
        let mut changed = Vec::new();
        let mut updates = Vec::new();
        // Every file written or copied, changed or not.
        let mut made: Vec<String> = Vec::with_capacity(writes.len() + copies.len());
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        for (path, bytes) in writes {
            made.push(path.clone());
            let hash = hash_bytes(&bytes);
            if let Some(Stored::Bytes { hash: h, .. } | Stored::Hash(h)) = files.get(&path) {
                if *h == hash {
                    continue;
                }
            }
            let data: Arc<[u8]> = bytes.into();
            let stored = if self.keep_bytes {
                Stored::Bytes {
                    data: data.clone(),
                    hash,
                }
            } else {
                Stored::Hash(hash)
            };
            updates.push((path.clone(), stored));
            changed.push((path, Content::Bytes(data)));
        }
        for (path, source) in copies {
            made.push(path.clone());
            let stamp = stamp(&source);
            if let Some(Stored::Copy { source: s, stamp: t }) = files.get(&path) {
                if *s == source && *t == stamp && stamp.is_some() {
                    continue;
                }
            }
            updates.push((
                path.clone(),
                Stored::Copy {
                    source: source.clone(),
                    stamp,
                },
            ));
            changed.push((path, Content::Copy(source)));
        }
        let added = changed.iter().filter(|(path, _)| !files.contains_key(path)).count();
        // Each file of the new build, borrowed: no page path is copied.
        let now: rustc_hash::FxHashSet<Cow<str>> = made
            .iter()
            .map(|path| Cow::Borrowed(path.as_str()))
            .chain(unchanged.iter().map(|page| slash(page)))
            .collect();
        let mut removed: Vec<String> = files
            .keys()
            .filter(|path| !now.contains(path.as_str()))
            .cloned()
            .collect();
        removed.sort_unstable();
        drop(now);
        drop(files);
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        for path in &removed {
            files.remove(path);
        }
        files.extend(updates);
        (changed, added, removed)
    }
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Size and modification time: enough to tell a copied file changed.
fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

fn slash(path: &Path) -> Cow<'_, str> {
    if std::path::MAIN_SEPARATOR == '/' {
        // Already slashed: no copy at all.
        return path.to_string_lossy();
    }
    path.iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
        .into()
}

/// Rendered files (output path, bytes) and copied files (output path, source).
type Writes = Vec<(String, Vec<u8>)>;
type Copies = Vec<(String, PathBuf)>;

/// Collects what a render writes, so the session can compare it with the
/// last build before anything is served or written.
#[derive(Default)]
struct CollectSink {
    writes: Mutex<Writes>,
    copies: Mutex<Copies>,
}

impl CollectSink {
    fn into_parts(self) -> (Writes, Copies) {
        let writes = self.writes.into_inner().unwrap_or_else(|p| p.into_inner());
        let copies = self.copies.into_inner().unwrap_or_else(|p| p.into_inner());
        (writes, copies)
    }
}

impl Sink for CollectSink {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut writes = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        writes.push((slash(path).into_owned(), bytes.to_vec()));
        Ok(())
    }

    fn copy(&self, path: &Path, from: &Path) -> io::Result<()> {
        let mut copies = self.copies.lock().unwrap_or_else(|p| p.into_inner());
        copies.push((slash(path).into_owned(), from.to_path_buf()));
        Ok(())
    }
}

/// Errors in the form the browser overlay shows them.
#[derive(Serialize, Clone, Debug)]
pub struct ErrorReport {
    pub errors: Vec<ErrorItem>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ErrorItem {
    pub location: Option<String>,
    pub message: String,
    pub hints: Vec<String>,
}

impl Failure {
    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            errors: self
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| ErrorItem {
                    location: d.location(&self.sources),
                    message: d.message.clone(),
                    hints: d.hints.clone(),
                })
                .collect(),
        }
    }
}

/// Also used by the property test beside this module (`same_as_fresh`).
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::serve) fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn changed(outcome: &Outcome) -> Vec<String> {
        let changes = outcome.result.as_ref().ok().expect("a good build");
        let mut paths: Vec<String> = changes.changed.iter().map(|(p, _)| p.clone()).collect();
        paths.sort();
        paths
    }

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "site.yaml", "title: T\nbase_url: https://example.org/\n");
        write(root, "content/roadmaps/r/roadmap.yaml", "title: R\n");
        write(
            root,
            "content/roadmaps/r/phases/01-p.yaml",
            "title: P\ntopics:\n  - id: a\n    title: A\n  - id: b\n    title: B\n",
        );
        write(
            root,
            "content/articles/one.md",
            "---\ntitle: One\ndate: 2025-01-01\n---\nSee [](@topic:a).\n",
        );
        write(
            root,
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-01-02\n---\nAlone.\n",
        );
        write(root, "static/extra.css", "a {}");
        dir
    }

    #[test]
    fn a_body_edit_rewrites_only_the_pages_that_show_it() {
        let dir = site();
        let mut session = Session::new(dir.path(), Options::default(), true);
        let first = session.rebuild(None);
        assert!(changed(&first).len() > 10);
        let again = session.rebuild(None);
        assert_eq!(
            changed(&again),
            Vec::<String>::new(),
            "nothing changed, nothing rewritten"
        );

        write(
            dir.path(),
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-01-02\n---\nAlone, edited.\n",
        );
        let edit = session.rebuild(None);
        let files = changed(&edit);
        assert!(files.contains(&"articles/two/index.html".to_owned()), "{files:?}");
        assert!(files.contains(&"atom.xml".to_owned()), "the feed shows article bodies");
        assert!(!files.contains(&"articles/one/index.html".to_owned()), "{files:?}");
        assert!(!files.contains(&"roadmaps/r/p/a/index.html".to_owned()), "{files:?}");
        // The article, and the two lists whose cards quote its first words.
        let stats = edit.result.as_ref().ok().unwrap().stats;
        assert_eq!(stats.pages - stats.unchanged, 3, "{files:?}");
        // Only pages that read the article made their context again: those
        // three, and the tags, resources and 404 pages, which always do.
        assert_eq!(stats.pages - stats.kept_by_key, 6);
        assert!(files.contains(&"articles/index.html".to_owned()) && files.contains(&"index.html".to_owned()));
    }

    /// Files saved long enough ago to be kept, as after a while of editing.
    fn settle(root: &Path) {
        let long_ago = SystemTime::now() - std::time::Duration::from_secs(60);
        for entry in walkdir::WalkDir::new(root.join("content")) {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let file = std::fs::File::options().write(true).open(entry.path()).unwrap();
                file.set_modified(long_ago).unwrap();
            }
        }
    }

    #[test]
    fn a_kept_file_is_read_again_only_when_the_watcher_reports_it_or_its_folder() {
        let dir = site();
        let root = dir.path();
        settle(root);
        let mut session = Session::new(root, Options::default(), true);
        session.rebuild(None);
        let two = |text: &str| format!("---\ntitle: Two\ndate: 2025-01-02\n---\n{text}\n");
        let page_changed = |outcome: &Outcome| changed(outcome).contains(&"articles/two/index.html".to_owned());

        write(root, "content/articles/two.md", &two("First edit."));
        settle(root);
        let other = [root.join("content/articles/one.md")];
        assert!(!page_changed(&session.rebuild(Some(&other))), "not reported: not read");
        let folder = [root.join("content/articles")];
        assert!(page_changed(&session.rebuild(Some(&folder))), "its folder reported");

        write(root, "content/articles/two.md", &two("Second edit."));
        settle(root);
        let itself = [root.join("content/articles/two.md")];
        assert!(page_changed(&session.rebuild(Some(&itself))), "itself reported");

        write(root, "content/articles/two.md", &two("Third edit."));
        settle(root);
        assert!(
            page_changed(&session.rebuild(None)),
            "nothing known: every file looked at"
        );
    }

    #[test]
    fn a_file_saved_just_before_it_was_read_is_read_again_unless_the_watcher_vouches_for_it() {
        let dir = site();
        let root = dir.path();
        let mut session = Session::new(root, Options::default(), true);
        // Every file was written just now: none has a settled stamp.
        session.rebuild(None);
        let path = root.join("content/articles/two.md");
        let stamp = std::fs::metadata(&path).unwrap().modified().unwrap();
        // Same size, same time: only the watcher, or the unsettled stamp, tells.
        write(
            root,
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-01-02\n---\nAlone!\n",
        );
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(stamp)
            .unwrap();
        let page_changed = |outcome: &Outcome| changed(outcome).contains(&"articles/two/index.html".to_owned());
        let other = [root.join("content/articles/one.md")];
        assert!(!page_changed(&session.rebuild(Some(&other))), "not reported: kept");
        assert!(page_changed(&session.rebuild(None)), "nothing known: read again");
    }

    #[test]
    fn content_is_walked_again_only_when_a_report_can_mean_a_new_or_deleted_file() {
        let dir = site();
        let root = dir.path();
        settle(root);
        let mut session = Session::new(root, Options::default(), true);
        session.rebuild(None);
        let article = |name: &str| root.join(format!("content/articles/{name}.md"));
        let published =
            |session: &Session, name: &str| session.files().contains_key(&format!("articles/{name}/index.html"));
        let published_at = |session: &Session, path: &str| session.files().contains_key(path);
        let three = "---\ntitle: Three\ndate: 2025-01-03\n---\nNew.\n";

        write(root, "content/articles/three.md", three);
        session.rebuild(Some(&[article("one")]));
        assert!(!published(&session, "three"), "an edit elsewhere: the last walk holds");
        write(root, "content/articles/.three.md.swp", "editor state");
        session.rebuild(Some(&[root.join("content/articles/.three.md.swp")]));
        assert!(!published(&session, "three"), "a file no walk sees");
        session.rebuild(Some(&[root.join("content/articles/sedX1y2Z3")]));
        assert!(!published(&session, "three"), "a temporary file, already gone");
        session.rebuild(Some(&[article("three")]));
        assert!(published(&session, "three"), "a new file reported");

        std::fs::remove_file(article("two")).unwrap();
        session.rebuild(Some(&[article("two")]));
        assert!(!published(&session, "two"), "a deleted file reported");

        write(root, "content/pages/about.md", "---\ntitle: About\n---\nUs.\n");
        session.rebuild(Some(&[root.join("content/pages")]));
        assert!(published_at(&session, "about/index.html"), "a new folder reported");
        std::fs::remove_dir_all(root.join("content/pages")).unwrap();
        session.rebuild(Some(&[root.join("content/pages")]));
        assert!(!published_at(&session, "about/index.html"), "a deleted folder reported");

        write(root, "content/articles/four.md", &three.replace("Three", "Four"));
        session.rebuild(Some(&[root.join("content/articles")]));
        assert!(published(&session, "four"), "its folder reported");
        write(root, "content/articles/five.md", &three.replace("Three", "Five"));
        session.rebuild(None);
        assert!(published(&session, "five"), "nothing known: walked");
    }

    #[test]
    fn the_sitemap_and_feed_are_made_again_only_when_their_data_changes() {
        let dir = site();
        let root = dir.path();
        let mut session = Session::new(root, Options::default(), true);
        session.rebuild(None);
        let sitemap = |session: &Session| match &session.files()["sitemap.xml"] {
            Stored::Bytes { data, .. } => String::from_utf8(data.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        write(
            root,
            "content/roadmaps/r/phases/01-p.yaml",
            "title: P\ntopics:\n  - id: a\n    title: A\n  - id: b\n    title: B renamed\n",
        );
        let outcome = session.rebuild(None);
        let files = changed(&outcome);
        // No article shows topic b's title (`one` shows a's): the feed stays.
        assert!(files.contains(&"roadmaps/r/p/b/index.html".to_owned()), "{files:?}");
        assert!(
            !files.iter().any(|f| f == "sitemap.xml" || f == "atom.xml"),
            "{files:?}"
        );
        assert!(session.files().contains_key("atom.xml") && sitemap(&session).contains("2025-01-02"));
        for data in ["sitemap.xml", "atom.xml"] {
            assert!(
                session.fingerprints.contains_key(Path::new(data).as_os_str()),
                "{data} fingerprinted"
            );
        }

        write(
            root,
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-03-04\n---\nAlone.\n",
        );
        let files = changed(&session.rebuild(None));
        assert!(
            files.contains(&"sitemap.xml".to_owned()) && files.contains(&"atom.xml".to_owned()),
            "{files:?}"
        );
        assert!(sitemap(&session).contains("2025-03-04"), "{}", sitemap(&session));
    }

    #[test]
    fn an_edit_inside_a_code_block_or_a_link_target_rewrites_the_page() {
        let dir = site();
        let two = |code: &str, topic: &str| {
            format!(
                "---\ntitle: Two\ndate: 2025-01-02\n---\nSee [](@topic:{topic}).\n\n```rust\nlet x = {code};\n```\n"
            )
        };
        write(dir.path(), "content/articles/two.md", &two("1", "a"));
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        let page = |session: &Session| match &session.files()["articles/two/index.html"] {
            Stored::Bytes { data, .. } => String::from_utf8(data.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        write(dir.path(), "content/articles/two.md", &two("2", "a"));
        assert!(changed(&session.rebuild(None)).contains(&"articles/two/index.html".to_owned()));
        assert!(page(&session).contains(">2<"), "{}", page(&session));
        write(dir.path(), "content/articles/two.md", &two("2", "b"));
        assert!(changed(&session.rebuild(None)).contains(&"articles/two/index.html".to_owned()));
        assert!(page(&session).contains("/p/b/"), "{}", page(&session));
    }

    #[test]
    fn the_search_index_follows_edits_to_descriptions_and_headings() {
        let dir = site();
        let two = |description: &str, heading: &str| {
            format!("---\ntitle: Two\ndate: 2025-01-02\ndescription: {description}\n---\n## {heading}\n\nAlone.\n")
        };
        write(dir.path(), "content/articles/two.md", &two("First words", "Setup"));
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        let entry = |session: &Session| {
            let Stored::Bytes { data, .. } = &session.files()["search-index.json"] else {
                panic!("the search index is made in memory")
            };
            let index: serde_json::Value = serde_json::from_slice(data).unwrap();
            let entries = index["entries"].as_array().unwrap();
            let two = entries.iter().find(|e| e[0] == "Two").expect("an entry for Two");
            two[4].as_str().unwrap().to_owned()
        };
        // As a fresh build makes it.
        let fresh = |dir: &Path| {
            let mut session = Session::new(dir, Options::default(), true);
            session.rebuild(None);
            entry(&session)
        };
        let first = entry(&session);
        assert!(first.starts_with("First words · Setup"), "{first}");
        for (description, heading) in [
            ("Other words", "Setup"),
            ("Other words", "Usage"),
            ("First words", "Setup"),
        ] {
            write(dir.path(), "content/articles/two.md", &two(description, heading));
            session.rebuild(None);
            let text = entry(&session);
            assert!(text.starts_with(&format!("{description} · {heading}")), "{text}");
            assert_eq!(text, fresh(dir.path()));
        }
        // An edit elsewhere keeps it as it is.
        write(
            dir.path(),
            "content/articles/one.md",
            "---\ntitle: One\ndate: 2025-01-01\n---\nEdited.\n",
        );
        session.rebuild(None);
        assert_eq!(entry(&session), first);
        // A new title over the same body: the entry is kept with the
        // body's parse, and must not keep the old title.
        let index = |session: &Session| match &session.files()["search-index.json"] {
            Stored::Bytes { data, .. } => String::from_utf8(data.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        write(
            dir.path(),
            "content/articles/two.md",
            &two("First words", "Setup").replace("title: Two", "title: Deux"),
        );
        session.rebuild(None);
        assert!(index(&session).contains("\"Deux\"") && !index(&session).contains("\"Two\""));
        let mut fresh = Session::new(dir.path(), Options::default(), true);
        fresh.rebuild(None);
        assert_eq!(index(&session), index(&fresh));
    }

    #[test]
    fn a_title_edit_reaches_lists_backlinks_and_the_search_index() {
        let dir = site();
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        write(
            dir.path(),
            "content/articles/one.md",
            "---\ntitle: One renamed\ndate: 2025-01-01\n---\nSee [](@topic:a).\n",
        );
        let files = changed(&session.rebuild(None));
        for expected in [
            "articles/one/index.html",
            "articles/index.html",
            "index.html",
            "roadmaps/r/p/a/index.html",
            "search-index.json",
        ] {
            assert!(files.contains(&expected.to_owned()), "{expected} not in {files:?}");
        }
        assert!(!files.contains(&"articles/two/index.html".to_owned()), "{files:?}");
    }

    #[test]
    fn a_topic_rename_renders_again_only_pages_whose_links_show_its_title() {
        let dir = site();
        // `one` shows topic a's title (a link without text); `two` links to a in its own words.
        write(
            dir.path(),
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-01-02\n---\nSee [the first topic](@topic:a).\n",
        );
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        let fingerprint = |session: &Session, page: &str| session.fingerprints[Path::new(page).as_os_str()];
        let (one, two, home) = (
            fingerprint(&session, "articles/one/index.html"),
            fingerprint(&session, "articles/two/index.html"),
            fingerprint(&session, "index.html"),
        );
        write(
            dir.path(),
            "content/roadmaps/r/phases/01-p.yaml",
            "title: P\ntopics:\n  - id: a\n    title: A renamed\n  - id: b\n    title: B\n",
        );
        let files = changed(&session.rebuild(None));
        assert!(files.contains(&"articles/one/index.html".to_owned()), "{files:?}");
        assert_ne!(fingerprint(&session, "articles/one/index.html"), one);
        assert_eq!(
            fingerprint(&session, "articles/two/index.html"),
            two,
            "not rendered again"
        );
        // The home page draws each roadmap's topics, but not their titles.
        assert_eq!(fingerprint(&session, "index.html"), home, "home not rendered again");
        assert_eq!(bytes_of(&session), fresh(dir.path()));
    }

    #[test]
    fn a_rebuild_the_watcher_reports_nothing_for_changes_nothing() {
        // What `serve`'s warm-up rebuild relies on: no reload, no file sent.
        let dir = site();
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        let before = bytes_of(&session);
        let outcome = session.rebuild(Some(&[]));
        let changes = outcome.result.as_ref().ok().expect("a good build");
        assert!(changes.is_empty(), "{:?}", changed(&outcome));
        assert_eq!(changes.stats.unchanged, changes.stats.pages, "no page rendered again");
        assert_eq!(bytes_of(&session), before);
    }

    #[test]
    fn a_phase_edit_rewrites_its_handout_and_the_booklet_only() {
        let dir = site();
        write(
            dir.path(),
            "content/roadmaps/r/phases/02-q.yaml",
            "title: Q\ntopics:\n  - id: c\n    title: C\n",
        );
        let mut session = Session::new(dir.path(), Options::default(), true);
        let first = changed(&session.rebuild(None));
        assert!(first.contains(&"handouts/r/q/index.html".to_owned()), "{first:?}");
        write(
            dir.path(),
            "content/roadmaps/r/phases/02-q.yaml",
            "title: Q\ntopics:\n  - id: c\n    title: C renamed\n",
        );
        let outcome = session.rebuild(None);
        let files = changed(&outcome);
        assert!(files.contains(&"handouts/r/q/index.html".to_owned()), "{files:?}");
        assert!(files.contains(&"handouts/r/index.html".to_owned()), "{files:?}");
        assert!(!files.contains(&"handouts/r/p/index.html".to_owned()), "{files:?}");
        assert!(session.files().contains_key("handouts/r/p/index.html"), "kept");
        assert_eq!(bytes_of(&session), fresh(dir.path()));
    }

    #[test]
    fn templates_and_static_files_change_only_what_uses_them() {
        let dir = site();
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        write(dir.path(), "static/extra.css", "a { color: red }");
        assert_eq!(changed(&session.rebuild(None)), ["extra.css"]);
        write(
            dir.path(),
            "templates/topic.html",
            "{% extends \"base.html\" %}{% block content %}<h1>{{ topic.title }}!</h1>{% endblock content %}",
        );
        let files = changed(&session.rebuild(None));
        assert_eq!(files, ["roadmaps/r/p/a/index.html", "roadmaps/r/p/b/index.html"]);
    }

    /// Writes a file as if saved `age` ago, so the preview trusts its stamp
    /// and keeps it (files saved within the last seconds are always read).
    fn write_aged(root: &Path, path: &str, text: &str, age: Duration) {
        write(root, path, text);
        let file = std::fs::File::options().write(true).open(root.join(path)).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    /// Every page and file as a fresh session builds them.
    pub(in crate::serve) fn fresh(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut session = Session::new(root, Options::default(), true);
        if let Err(failure) = session.rebuild(None).result {
            panic!("{:?}", failure.report());
        }
        bytes_of(&session)
    }

    pub(in crate::serve) fn bytes_of(session: &Session) -> std::collections::BTreeMap<String, Vec<u8>> {
        session
            .files()
            .iter()
            .map(|(path, stored)| match stored {
                Stored::Bytes { data, .. } => (path.clone(), data.to_vec()),
                Stored::Copy { source, .. } => (path.clone(), std::fs::read(source).unwrap()),
                Stored::Hash(_) => unreachable!("the session keeps bytes"),
            })
            .collect()
    }

    #[test]
    fn kept_files_are_read_again_when_their_size_or_time_changes() {
        let dir = site();
        let root = dir.path();
        let hour = Duration::from_secs(3600);
        let one = |word: &str| format!("---\ntitle: One {word}\ndate: 2025-01-01\n---\nSee [](@topic:a).\n");
        write_aged(root, "content/articles/one.md", &one("aaa"), hour);
        let mut session = Session::new(root, Options::default(), true);
        session.rebuild(None);

        // Same size, another time: read again.
        write_aged(root, "content/articles/one.md", &one("bbb"), hour / 2);
        session.rebuild(None);
        assert_eq!(bytes_of(&session), fresh(root));
        assert!(String::from_utf8_lossy(&bytes_of(&session)["articles/one/index.html"]).contains("One bbb"));

        // Another size, the same time: read again.
        write_aged(root, "content/articles/one.md", &one("cccc"), hour / 2);
        session.rebuild(None);
        assert_eq!(bytes_of(&session), fresh(root));

        // A phase edit, a new article and a removed one.
        write_aged(
            root,
            "content/roadmaps/r/phases/01-p.yaml",
            "title: P\ntopics:\n  - id: a\n    title: A renamed\n  - id: b\n    title: B\n",
            hour / 3,
        );
        write_aged(
            root,
            "content/articles/three.md",
            "---\ntitle: Three\ndate: 2025-02-01\n---\nNew.\n",
            hour,
        );
        std::fs::remove_file(root.join("content/articles/two.md")).unwrap();
        session.rebuild(None);
        assert_eq!(bytes_of(&session), fresh(root));
        assert!(!bytes_of(&session).contains_key("articles/two/index.html"));

        // A broken file and its fix, both old.
        write_aged(root, "content/articles/three.md", "---\ntitle: [\n---\n", hour / 4);
        assert!(session.rebuild(None).result.is_err());
        write_aged(
            root,
            "content/articles/three.md",
            "---\ntitle: Three again\ndate: 2025-02-01\n---\nNew.\n",
            hour / 5,
        );
        session.rebuild(None);
        assert_eq!(bytes_of(&session), fresh(root));
    }

    #[test]
    fn a_failed_rebuild_keeps_the_last_good_files() {
        let dir = site();
        let mut session = Session::new(dir.path(), Options::default(), true);
        session.rebuild(None);
        let files = |session: &Session| {
            let mut files: Vec<String> = session.files().iter().map(|file| format!("{file:?}")).collect();
            files.sort_unstable();
            files
        };
        let before = files(&session);
        write(dir.path(), "content/roadmaps/r/phases/01-p.yaml", "title: [\n");
        let outcome = session.rebuild(None);
        let failure = outcome.result.err().expect("a failure");
        let report = failure.report();
        assert!(
            report.errors[0]
                .location
                .as_deref()
                .unwrap()
                .starts_with("content/roadmaps/r/phases/01-p.yaml:")
        );
        assert_eq!(before, files(&session));
    }
}
