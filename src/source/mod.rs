//! LOAD: walk a site, read every file once, split front matter, and parse
//! YAML into raw types that mirror the files. Nothing here knows what a
//! value means; `resolve` checks that.

pub(crate) mod frontmatter;
pub mod raw;
mod reuse;
pub mod yaml;

pub use reuse::Reuse;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Diagnostics, FileId, SourceFile, SourceMap, Span};
use raw::{RawConfig, RawFrontMatter, RawPhase, RawRoadmap};

/// A parsed file and where its YAML sits, for pointing at values later.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub file: FileId,
    /// Shared: the preview keeps parses of unchanged files from one load
    /// to the next, and each load takes them without copying.
    pub value: std::sync::Arc<T>,
    /// Byte range of the YAML inside the file (the front matter of a `.md`).
    pub yaml: Range<usize>,
    /// Where the Markdown body starts, for `.md` files.
    pub body: Range<usize>,
}

#[derive(Debug)]
pub struct RoadmapDir {
    /// The folder name: the roadmap's id.
    pub name: String,
    pub dir: PathBuf,
    pub roadmap: Option<Loaded<RawRoadmap>>,
    /// `(file stem, parsed phase)`, in file-name order.
    pub phases: Vec<(String, Loaded<RawPhase>)>,
    /// `(file stem, parsed page)`.
    pub pages: Vec<(String, Loaded<RawFrontMatter>)>,
    /// Whether any of its files failed to load (later stages then keep quiet
    /// about references into it rather than guess).
    pub incomplete: bool,
}

/// A file copied to the output as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedFile {
    pub source: PathBuf,
    /// Path relative to the output folder, with `/` separators.
    pub relative: String,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Template {
    /// The name templates use (`phase.html`, `partials/nav.html`).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

/// Everything read from a site, before any checking.
#[derive(Debug, Default)]
pub struct Sources {
    pub root: PathBuf,
    pub map: SourceMap,
    pub config: Option<Loaded<RawConfig>>,
    pub roadmaps: Vec<RoadmapDir>,
    pub articles: Vec<(String, Loaded<RawFrontMatter>)>,
    pub pages: Vec<(String, Loaded<RawFrontMatter>)>,
    /// Slugs of articles and pages that failed to load.
    pub broken_docs: Vec<String>,
    pub assets: Vec<CopiedFile>,
    pub static_files: Vec<CopiedFile>,
    pub templates: Vec<Template>,
}

/// A file under `content/`: its role, its path, and its path under `content/`.
type Job = (Role, PathBuf, PathBuf);

/// What a file under `content/` is, by where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Roadmap(String),
    Phase(String, String),
    RoadmapPage(String, String),
    Article(String),
    Page(String),
    Asset,
    Misplaced,
}

/// The site's settings file, as Zola and Hugo users spell YAML either way.
pub const CONFIG_NAMES: [&str; 2] = ["site.yaml", "site.yml"];

/// Which of [`CONFIG_NAMES`] the site has (`site.yaml` when both).
pub fn config_file(root: &Path) -> Option<&'static str> {
    CONFIG_NAMES.into_iter().find(|name| root.join(name).is_file())
}

fn classify(relative: &Path) -> Role {
    let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
    let ext = relative.extension().and_then(|e| e.to_str()).unwrap_or("");
    let stem = || relative.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_owned();
    match (parts.as_slice(), ext) {
        (["roadmaps", roadmap, "roadmap.yaml" | "roadmap.yml"], _) => Role::Roadmap((*roadmap).to_owned()),
        (["roadmaps", roadmap, "phases", _], "yaml" | "yml") => Role::Phase((*roadmap).to_owned(), stem()),
        (["roadmaps", roadmap, _], "md") => Role::RoadmapPage((*roadmap).to_owned(), stem()),
        (["articles", _], "md") => Role::Article(stem()),
        (["pages", _], "md") => Role::Page(stem()),
        (_, "md" | "yaml" | "yml") => Role::Misplaced,
        _ => Role::Asset,
    }
}

/// Editor droppings and hidden files: never content, never worth a rebuild.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name == "4913"
        || [".swp", ".swx", ".swo", ".tmp", ".bak", ".orig"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// Reads a whole site. Problems are collected, not fatal: a site with a
/// broken file still loads the rest, so one run can report everything.
/// With `reuse` (the preview), files unchanged since the last load are
/// taken from it instead of being read and parsed again.
pub fn load(root: &Path, diags: &mut Diagnostics, mut reuse: Option<&mut Reuse>) -> Sources {
    let mut sources = Sources {
        root: root.to_path_buf(),
        ..Sources::default()
    };

    match config_file(root) {
        None => diags.push(
            Diagnostic::error(format!("no site.yaml in {}", display_dir(root)))
                .with_hint("is this a waymark site? `waymark init DIR` makes one"),
        ),
        Some(name) => {
            if CONFIG_NAMES.iter().all(|n| root.join(n).is_file()) {
                diags.push(
                    Diagnostic::error("the site has both site.yaml and site.yml; waymark reads site.yaml")
                        .with_path(PathBuf::from(CONFIG_NAMES[1]))
                        .with_hint("keep one of them"),
                );
            }
            let config_path = root.join(name);
            let bytes = std::fs::read(&config_path);
            if let Some(file) = register(bytes, &config_path, name.into(), &mut sources.map, diags) {
                sources.config = parse_yaml(file, &sources.map, diags);
            }
        }
    }

    let content = root.join("content");
    let mut jobs: Arc<[Job]> = Arc::new([]);
    // A file reached through a symlink may change where no watcher sees it.
    let mut trusted = true;
    if let Some(listing) = reuse.as_deref().and_then(|reuse| reuse.listing(&content)) {
        jobs = listing;
    } else if content.is_dir() {
        let reported = diags.iter().count();
        let (files, linked) = walk(root, &content, diags);
        trusted = !linked;
        jobs = files
            .into_iter()
            .map(|entry| {
                let relative = entry.strip_prefix(&content).unwrap_or(&entry).to_path_buf();
                (classify(&relative), entry, relative)
            })
            .collect();
        if let Some(reuse) = reuse.as_deref_mut() {
            // A listing that reported something is made again, to report it again.
            let clean = diags.iter().count() == reported;
            reuse.keep_listing((trusted && clean).then(|| Arc::clone(&jobs)));
        }
    } else {
        diags.push(
            Diagnostic::warning("the site has no content/ folder, so there is nothing to publish")
                .with_path(display_rel(root, &content)),
        );
    }

    // Read and parse in parallel; register files in walk order so ids and
    // messages are stable from run to run.
    if let Some(reuse) = reuse.as_deref_mut() {
        reuse.begin();
    }
    let kept = reuse.as_deref();
    let read: Vec<Read> = jobs
        .par_iter()
        .map(|(role, path, _)| match role {
            Role::Asset | Role::Misplaced => Read::Skipped,
            // The watcher reported no change to it: not even looked at.
            _ if trusted && kept.is_some_and(|kept| kept.unreported(path)) => Read::Unchanged,
            _ => {
                let stamp = kept.and_then(|_| reuse::Stamp::of(path));
                match kept {
                    Some(kept) if kept.is_unchanged(path, stamp) => Read::Unchanged,
                    _ => Read::Bytes(std::fs::read(path), stamp),
                }
            }
        })
        .collect();
    let mut texts = Vec::with_capacity(jobs.len());
    let mut reused = Vec::with_capacity(jobs.len());
    for ((role, path, relative), read) in jobs.iter().zip(read) {
        let display = || Path::new("content").join(relative);
        match role {
            Role::Asset => sources.assets.push(CopiedFile {
                source: path.clone(),
                relative: slash_path(relative),
            }),
            Role::Misplaced => diags.push(
                Diagnostic::warning("this file is ignored: waymark reads Markdown and YAML only where the site layout puts them")
                    .with_path(display())
                    .with_hint("roadmaps go in content/roadmaps/<roadmap>/, phases in its phases/ folder, articles in content/articles/, pages in content/pages/"),
            ),
            _ => match read {
                Read::Unchanged => {
                    let kept = reuse.as_deref_mut().and_then(|r| r.reuse(path)).expect("an unchanged file is kept");
                    let file = sources.map.add_shared(std::sync::Arc::clone(kept.file()));
                    reused.push(kept.parsed(file));
                    texts.push((role.clone(), file, path, None));
                }
                Read::Bytes(bytes, stamp) => {
                    if let Some(file) = register(bytes, path, display(), &mut sources.map, diags) {
                        texts.push((role.clone(), file, path, Some(stamp)));
                    }
                }
                Read::Skipped => {}
            },
        }
    }
    let mut fresh: Vec<Option<Parsed>> = texts
        .par_iter()
        .map(|(role, file, _, read)| read.map(|_| parse_file(role, *file, &sources.map)))
        .collect();
    if let Some(reuse) = reuse {
        reuse.update(texts.iter().zip(&fresh).filter_map(|((_, file, path, read), parsed)| {
            let (stamp, parsed) = (read.as_ref()?, parsed.as_ref()?);
            Some((
                path.as_path(),
                reuse::Kept::new(*stamp, sources.map.shared(*file), parsed),
            ))
        }));
    }
    // In walk order: each file's fresh parse, or its kept one.
    let mut reused = reused.into_iter();
    let parsed: Vec<Parsed> = fresh
        .iter_mut()
        .map(|parsed| parsed.take().or_else(|| reused.next()).expect("one parse per file"))
        .collect();

    for ((role, ..), parsed) in texts.into_iter().zip(parsed) {
        diags.extend(parsed.diagnostics);
        let Parsed {
            roadmap, phase, doc, ..
        } = parsed;
        match role {
            Role::Roadmap(name) => {
                let dir = roadmap_dir(&mut sources.roadmaps, &name, &content);
                if let (Some(first), Some(second)) = (&dir.roadmap, &roadmap) {
                    diags.push(
                        Diagnostic::error(format!(
                            "roadmap `{name}` has two overview files: {} and this one",
                            sources.map.get(first.file).path.display()
                        ))
                        .with_span(Span::at(second.file, 0))
                        .with_hint("keep either roadmap.yaml or roadmap.yml"),
                    );
                    continue;
                }
                dir.incomplete |= roadmap.is_none();
                dir.roadmap = roadmap;
            }
            Role::Phase(name, stem) => {
                let dir = roadmap_dir(&mut sources.roadmaps, &name, &content);
                match phase {
                    Some(phase) => dir.phases.push((stem, phase)),
                    None => dir.incomplete = true,
                }
            }
            Role::RoadmapPage(name, stem) => {
                let dir = roadmap_dir(&mut sources.roadmaps, &name, &content);
                match doc {
                    Some(doc) => dir.pages.push((stem, doc)),
                    None => dir.incomplete = true,
                }
            }
            Role::Article(slug) => match doc {
                Some(doc) => sources.articles.push((slug, doc)),
                None => sources.broken_docs.push(slug),
            },
            Role::Page(slug) => match doc {
                Some(doc) => sources.pages.push((slug, doc)),
                None => sources.broken_docs.push(slug),
            },
            Role::Asset | Role::Misplaced => {}
        }
    }
    // A phases/ folder or a page without roadmap.yaml still makes a RoadmapDir.
    for dir in &sources.roadmaps {
        if dir.roadmap.is_none() && !dir.incomplete {
            diags.push(
                Diagnostic::error(format!("roadmap `{}` has no roadmap.yaml", dir.name))
                    .with_path(display_rel(root, &dir.dir))
                    .with_hint("add roadmap.yaml with at least `title:`"),
            );
        }
    }
    sources.roadmaps.sort_by(|a, b| a.name.cmp(&b.name));

    sources.static_files = collect_copied(root, &root.join("static"), diags);
    load_templates(root, &mut sources, diags);
    sources
}

fn roadmap_dir<'a>(dirs: &'a mut Vec<RoadmapDir>, name: &str, content: &Path) -> &'a mut RoadmapDir {
    match dirs.iter().position(|d| d.name == name) {
        Some(i) => &mut dirs[i],
        None => {
            dirs.push(RoadmapDir {
                name: name.to_owned(),
                dir: content.join("roadmaps").join(name),
                roadmap: None,
                phases: Vec::new(),
                pages: Vec::new(),
                incomplete: false,
            });
            dirs.last_mut().expect("just pushed")
        }
    }
}

/// How a text file of `content/` was found: as it was last time, or read now
/// (with its stamp, taken first, when the preview keeps files).
enum Read {
    Skipped,
    Unchanged,
    Bytes(std::io::Result<Vec<u8>>, Option<reuse::Stamp>),
}

#[derive(Default, Clone)]
struct Parsed {
    roadmap: Option<Loaded<RawRoadmap>>,
    phase: Option<Loaded<RawPhase>>,
    doc: Option<Loaded<RawFrontMatter>>,
    diagnostics: Vec<Diagnostic>,
}

fn parse_file(role: &Role, file: FileId, map: &SourceMap) -> Parsed {
    let mut diags = Diagnostics::default();
    let mut parsed = Parsed::default();
    match role {
        Role::Roadmap(_) => parsed.roadmap = parse_yaml(file, map, &mut diags),
        Role::Phase(..) => parsed.phase = parse_yaml(file, map, &mut diags),
        _ => parsed.doc = parse_markdown(file, map, &mut diags),
    }
    parsed.diagnostics = diags.into_iter().collect();
    parsed
}

fn parse_yaml<T: DeserializeOwned>(file: FileId, map: &SourceMap, diags: &mut Diagnostics) -> Option<Loaded<T>> {
    let text = &map.get(file).text;
    // Windows editors start UTF-8 files with a byte-order mark.
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    parse_yaml_range(file, map, start..text.len(), 0..0, diags)
}

fn parse_yaml_range<T: DeserializeOwned>(
    file: FileId,
    map: &SourceMap,
    yaml: Range<usize>,
    body: Range<usize>,
    diags: &mut Diagnostics,
) -> Option<Loaded<T>> {
    let source = map.get(file);
    match yaml::from_str::<T>(&source.text[yaml.clone()]) {
        Ok(value) => Some(Loaded {
            file,
            value: std::sync::Arc::new(value),
            yaml,
            body,
        }),
        Err(err) => {
            let first_line = source.line_col(yaml.start).0;
            let offset = source.offset(first_line + err.line - 1, err.col);
            let mut diagnostic = Diagnostic::error(err.message).with_span(Span::at(file, offset));
            if let Some(hint) = err.hint {
                diagnostic = diagnostic.with_hint(hint);
            }
            diags.push(diagnostic);
            None
        }
    }
}

fn parse_markdown(file: FileId, map: &SourceMap, diags: &mut Diagnostics) -> Option<Loaded<RawFrontMatter>> {
    let text = &map.get(file).text;
    match frontmatter::split(text) {
        Ok(split) => parse_yaml_range(file, map, split.yaml, split.body, diags),
        Err(err) => {
            diags.push(
                Diagnostic::error(err.message)
                    .with_span(Span::at(file, err.offset))
                    .with_hint(err.hint),
            );
            None
        }
    }
}

/// Registers a file read as UTF-8 text. Returns `None` (after reporting)
/// when it could not be read or is not UTF-8.
fn register(
    bytes: std::io::Result<Vec<u8>>,
    path: &Path,
    display: PathBuf,
    map: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(err) => {
            diags.push(Diagnostic::error(format!("cannot read {}: {err}", path.display())).with_path(display));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(map.add(SourceFile::new(display, text))),
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let id = map.add(SourceFile::new(display, text));
            diags.push(
                Diagnostic::error("this file is not valid UTF-8 text")
                    .with_span(Span::at(id, valid))
                    .with_hint("save it as UTF-8 (most editors have an encoding option when saving)"),
            );
            None
        }
    }
}

/// Files under `dir`, sorted, skipping hidden and editor files. Symlinks
/// are followed only while they stay inside the site: one that leads
/// outside `root` (a file, a folder, `/proc/self/environ`) is an error
/// naming the link and its target, so nothing from outside is published.
/// Devices, FIFOs and sockets are never read.
/// The files under `dir`, and whether any was reached through a symlink.
fn walk(root: &Path, dir: &Path, diags: &mut Diagnostics) -> (Vec<PathBuf>, bool) {
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let escapes = std::cell::RefCell::new(Vec::new());
    let linked = std::cell::Cell::new(false);
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            if e.depth() > 0 && e.file_name().to_str().is_some_and(is_ignored_name) {
                return false;
            }
            if !e.path_is_symlink() && e.depth() > 0 {
                return true;
            }
            linked.set(linked.get() || e.path_is_symlink());
            match std::fs::canonicalize(e.path()) {
                Ok(target) if target.starts_with(&real_root) => true,
                Ok(target) => {
                    escapes.borrow_mut().push((e.path().to_path_buf(), target));
                    false
                }
                // A dangling link: walkdir reports it below.
                Err(_) => true,
            }
        });
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
            Ok(entry) if !entry.file_type().is_dir() => diags.push(
                Diagnostic::warning(
                    "this is not a regular file (a device, FIFO or socket), so it is not read or published",
                )
                .with_path(display_rel(root, entry.path())),
            ),
            Ok(_) => {}
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
                diags.push(
                    Diagnostic::error(format!("cannot read this file or folder: {err}"))
                        .with_path(display_rel(root, &path)),
                );
            }
        }
    }
    for (link, target) in escapes.into_inner() {
        let written = std::fs::read_link(&link).unwrap_or_else(|_| target.clone());
        let shown = if written == target {
            target.display().to_string()
        } else {
            format!("{} ({})", written.display(), target.display())
        };
        diags.push(
            Diagnostic::error(format!(
                "this is a symlink to {shown}, outside the site folder: waymark publishes only files inside the site"
            ))
            .with_path(display_rel(root, &link))
            .with_hint("copy the file into the site, or point the link at a file inside the site folder"),
        );
    }
    // In the order of a walk sorted by name in each folder, sorted once:
    // sorting in the walk takes each path's file name apart per comparison.
    files.sort_by_cached_key(|path| walk_order(path.strip_prefix(dir).unwrap_or(path)));
    (files, linked.get())
}

/// A sort key that orders paths as a walk sorted by name in each folder
/// visits them: the path's bytes with each separator as a zero byte, which
/// sorts before any byte of a name.
fn walk_order(relative: &Path) -> Vec<u8> {
    let mut key = relative.as_os_str().as_encoded_bytes().to_vec();
    for byte in &mut key {
        if std::path::is_separator(char::from(*byte)) {
            *byte = 0;
        }
    }
    key
}

fn collect_copied(root: &Path, dir: &Path, diags: &mut Diagnostics) -> Vec<CopiedFile> {
    if !dir.is_dir() {
        return Vec::new();
    }
    walk(root, dir, diags)
        .0
        .into_iter()
        .map(|source| {
            let relative = slash_path(source.strip_prefix(dir).unwrap_or(&source));
            CopiedFile { source, relative }
        })
        .collect()
}

fn load_templates(root: &Path, sources: &mut Sources, diags: &mut Diagnostics) {
    let dir = root.join("templates");
    for file in collect_copied(root, &dir, diags) {
        match std::fs::read(&file.source).map(String::from_utf8) {
            Ok(Ok(text)) => sources.templates.push(Template {
                name: file.relative,
                path: file.source,
                text,
            }),
            Ok(Err(_)) => diags.push(
                Diagnostic::error("this template is not valid UTF-8 text").with_path(display_rel(root, &file.source)),
            ),
            Err(err) => diags.push(
                Diagnostic::error(format!("cannot read this template: {err}"))
                    .with_path(display_rel(root, &file.source)),
            ),
        }
    }
}

fn slash_path(path: &Path) -> String {
    path.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn display_rel(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn display_dir(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() || shown == "." {
        "the current folder".to_owned()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_place() {
        let c = |p: &str| classify(Path::new(p));
        assert_eq!(c("roadmaps/ml/roadmap.yaml"), Role::Roadmap("ml".into()));
        assert_eq!(
            c("roadmaps/ml/phases/01-math.yaml"),
            Role::Phase("ml".into(), "01-math".into())
        );
        assert_eq!(c("roadmaps/ml/faq.md"), Role::RoadmapPage("ml".into(), "faq".into()));
        assert_eq!(c("articles/x.md"), Role::Article("x".into()));
        assert_eq!(c("pages/about.md"), Role::Page("about".into()));
        assert_eq!(c("articles/img/a.png"), Role::Asset);
        assert_eq!(c("articles/deep/x.md"), Role::Misplaced);
        assert_eq!(c("notes.yaml"), Role::Misplaced);
    }

    #[test]
    fn editor_files_are_ignored() {
        for name in [".x.md.swp", "x.md~", "#x.md#", "4913", ".#x.md", "x.tmp"] {
            assert!(is_ignored_name(name), "{name}");
        }
        assert!(!is_ignored_name("x.md"));
    }

    proptest::proptest! {
        /// Sorting by the key is sorting by name folder by folder, which is
        /// how `Path` itself compares (names are never `.` or `..`).
        #[test]
        fn walk_order_sorts_as_paths_compare(paths in proptest::collection::vec("[a-c-][a-c.\\-_~]{0,2}(/[a-c-][a-c.\\-_~]{0,2}){0,2}", 0..40)) {
            let mut by_key: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            let mut by_path = by_key.clone();
            by_key.sort_by_cached_key(|p| walk_order(p));
            by_path.sort();
            proptest::prop_assert_eq!(by_key, by_path);
        }
    }
}
