//! Watching a site for changes: notify with a debouncer (or polling, for
//! file systems that send no events), and a pure function that decides
//! which changed paths matter.

use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt};

use crate::source::is_ignored_name;

/// What part of the site a changed path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Config,
    Content,
    Templates,
    Static,
}

/// The folders whose content is watched recursively.
const SOURCE_DIRS: [&str; 3] = ["content", "templates", "static"];

/// Whether a changed path matters, and to what. Editor swap and backup
/// files, hidden files, the output folder and anything else at the site
/// root are ignored.
pub fn classify(root: &Path, path: &Path) -> Option<Change> {
    let relative = path.strip_prefix(root).ok()?;
    let mut parts = relative.components().filter_map(|c| match c {
        Component::Normal(part) => part.to_str(),
        _ => None,
    });
    let first = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let name = rest.last().copied().unwrap_or(first);
    if is_ignored_name(name) || rest.iter().any(|part| part.starts_with('.')) {
        return None;
    }
    match (first, rest.is_empty()) {
        ("site.yaml" | "site.yml", true) => Some(Change::Config),
        ("content", _) => Some(Change::Content),
        ("templates", _) => Some(Change::Templates),
        ("static", _) => Some(Change::Static),
        _ => None,
    }
}

enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

/// A running watcher; changed paths arrive, debounced, on its receiver.
pub struct SiteWatcher {
    inner: Inner,
    root: PathBuf,
    watched: Vec<PathBuf>,
}

/// How long the debouncer waits for a burst of saves to end. Editors write
/// a file within a few milliseconds (in place, or a temporary file renamed
/// over it); every millisecond here is added to each edit's way to the
/// browser.
const DEBOUNCE: Duration = Duration::from_millis(20);
const POLL_INTERVAL: Duration = Duration::from_millis(500);

impl SiteWatcher {
    pub fn start(root: &Path, poll: bool) -> Result<(SiteWatcher, Receiver<Vec<PathBuf>>), String> {
        let (tx, rx) = channel();
        let everything = root.join("content");
        let handler = move |result: DebounceEventResult| forward(&tx, &everything, result);
        let inner = if poll {
            // Modification times are compared in whole seconds, which misses
            // two saves within a second: compare contents as well.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Inner::Poll(
                new_debouncer_opt(DEBOUNCE, None, handler, NoCache, config)
                    .map_err(|e| format!("cannot start the polling watcher: {e}"))?,
            )
        } else {
            Inner::Native(
                new_debouncer_opt(
                    DEBOUNCE,
                    None,
                    handler,
                    RecommendedCache::new(),
                    notify::Config::default(),
                )
                .map_err(|e| format!("cannot watch for changes: {e} (try --poll)"))?,
            )
        };
        let mut watcher = SiteWatcher {
            inner,
            root: root.to_path_buf(),
            watched: Vec::new(),
        };
        // The root itself, not recursively: site.yaml, and new source folders.
        watcher.watch(root, RecursiveMode::NonRecursive)?;
        watcher.watch_new_folders();
        Ok((watcher, rx))
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> Result<(), String> {
        let result = match &mut self.inner {
            Inner::Native(d) => d.watch(path, mode),
            Inner::Poll(d) => d.watch(path, mode),
        };
        result.map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
        self.watched.push(path.to_path_buf());
        Ok(())
    }

    /// Starts watching source folders that exist now but did not before
    /// (a `templates/` created while the server runs). Folders inside them
    /// are covered by the recursive watch.
    pub fn watch_new_folders(&mut self) {
        for dir in SOURCE_DIRS {
            let path = self.root.join(dir);
            if path.is_dir() && !self.watched.contains(&path) {
                if let Err(message) = self.watch(&path, RecursiveMode::Recursive) {
                    eprintln!("warning: {message}");
                }
            }
        }
    }
}

/// Sends the changed paths on. The preview reads again only files whose
/// path (or a folder above it) is among them, so where changes may have
/// been missed (the system dropped events, or watching failed) the whole
/// `content` folder is reported instead.
fn forward(tx: &Sender<Vec<PathBuf>>, content: &Path, result: DebounceEventResult) {
    match result {
        Ok(events) => {
            let mut paths = Vec::new();
            for event in events {
                if event.need_rescan() {
                    paths.push(content.to_path_buf());
                }
                // Reading a file is not changing it (and the build reads every file).
                if !matches!(event.event.kind, EventKind::Access(_)) {
                    paths.extend(event.event.paths);
                }
            }
            if !paths.is_empty() {
                let _ = tx.send(paths);
            }
        }
        Err(errors) => {
            for error in errors {
                eprintln!("warning: watching failed: {error}");
            }
            let _ = tx.send(vec![content.to_path_buf()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_site_paths() {
        let root = Path::new("/site");
        let c = |p: &str| classify(root, &root.join(p));
        assert_eq!(c("site.yaml"), Some(Change::Config));
        assert_eq!(c("content/roadmaps/ml/phases/01-a.yaml"), Some(Change::Content));
        assert_eq!(c("content/new-folder"), Some(Change::Content));
        assert_eq!(c("templates/base.html"), Some(Change::Templates));
        assert_eq!(c("static/style.css"), Some(Change::Static));
        assert_eq!(c("content"), Some(Change::Content));
    }

    #[test]
    fn ignores_editor_files_output_and_others() {
        let root = Path::new("/site");
        let c = |p: &str| classify(root, &root.join(p));
        for ignored in [
            "content/articles/.a.md.swp",
            "content/articles/a.md~",
            "content/articles/#a.md#",
            "content/articles/.#a.md",
            "content/articles/4913",
            "content/.git/index",
            "public/index.html",
            "README.md",
            ".waymark-staging-x/a",
            "target/debug/x",
        ] {
            assert_eq!(c(ignored), None, "{ignored}");
        }
        assert_eq!(classify(root, Path::new("/elsewhere/site.yaml")), None);
    }
}
