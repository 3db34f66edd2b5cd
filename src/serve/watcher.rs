//! Watching a site for changes: notify's watcher (or polling, for file
//! systems that send no events), events gathered into batches, and a pure
//! function that decides which changed paths matter.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};

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

/// A running watcher; changed paths arrive, in batches, on its receiver.
pub struct SiteWatcher {
    inner: Box<dyn Watcher + Send>,
    root: PathBuf,
    watched: Vec<PathBuf>,
}

/// How long a batch waits for more events when it cannot tell that the
/// writes in it are complete (no close events: macOS, Windows, polling).
/// Every millisecond here is added to each edit's way to the browser.
const QUIET: Duration = Duration::from_millis(20);
/// Once every file written in a batch was closed, how long it waits for
/// the rest of the same save: the rename that puts a temporary file in
/// place, or the next file of a "save all".
const SETTLE: Duration = Duration::from_millis(3);
/// A batch ends after this even while events keep coming (a file that is
/// written to all the time), so the preview never waits for ever.
const LONGEST: Duration = Duration::from_secs(1);
const POLL_INTERVAL: Duration = Duration::from_millis(500);

impl SiteWatcher {
    pub fn start(root: &Path, poll: bool) -> Result<(SiteWatcher, Receiver<Vec<PathBuf>>), String> {
        let (raw_tx, raw_rx) = channel();
        let inner: Box<dyn Watcher + Send> = if poll {
            // Modification times are compared in whole seconds, which misses
            // two saves within a second: compare contents as well.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Box::new(PollWatcher::new(raw_tx, config).map_err(|e| format!("cannot start the polling watcher: {e}"))?)
        } else {
            Box::new(
                RecommendedWatcher::new(raw_tx, notify::Config::default())
                    .map_err(|e| format!("cannot watch for changes: {e} (try --poll)"))?,
            )
        };
        let (tx, rx) = channel();
        let content = root.join("content");
        std::thread::Builder::new()
            .name("waymark-watch".into())
            .spawn(move || gather(&raw_rx, &tx, &content))
            .map_err(|e| format!("cannot start watching: {e}"))?;
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
        self.inner
            .watch(path, mode)
            .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
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

/// Gathers the watcher's events into batches, one rebuild each, until the
/// watcher is dropped. A batch ends as soon as every file written in it was
/// closed (and nothing more came for [`SETTLE`]), else after [`QUIET`]
/// without events: a save reaches the preview in a few milliseconds where
/// the system says when a write is complete.
fn gather(raw: &Receiver<notify::Result<Event>>, tx: &Sender<Vec<PathBuf>>, content: &Path) {
    while let Ok(first) = raw.recv() {
        let started = Instant::now();
        let mut batch = Batch::default();
        batch.add(first, content);
        loop {
            // Checked before waiting: events that keep coming in time must
            // not hold a batch open past LONGEST.
            let left = LONGEST.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            let wait = if batch.complete() { SETTLE } else { QUIET };
            match raw.recv_timeout(wait.min(left)) {
                Ok(event) => batch.add(event, content),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    batch.send(tx);
                    return;
                }
            }
        }
        batch.send(tx);
    }
}

/// The events of one batch: the paths that changed, and the files written
/// but not yet closed.
#[derive(Default)]
struct Batch {
    paths: Vec<PathBuf>,
    /// Written (or created) and not closed since, as far as the events say.
    open: HashSet<PathBuf>,
    /// Whether any event changed something; a batch of reads alone is not
    /// sent (the build reads every file it uses).
    changed: bool,
}

impl Batch {
    /// Takes one event. Where changes may have been missed (the system
    /// dropped events, or watching failed) the whole `content` folder is
    /// reported: the preview then looks at every file there.
    fn add(&mut self, event: notify::Result<Event>, content: &Path) {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                eprintln!("warning: watching failed: {error}");
                self.paths.push(content.to_path_buf());
                self.changed = true;
                return;
            }
        };
        if event.need_rescan() {
            self.paths.push(content.to_path_buf());
            self.changed = true;
        }
        match event.kind {
            // Closed after writing, moved away or removed: not being written.
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::From))
            | EventKind::Remove(_) => {
                for path in &event.paths {
                    self.open.remove(path);
                }
            }
            // Reading a file is not changing it.
            EventKind::Access(_) => return,
            EventKind::Create(CreateKind::File) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
                self.open.extend(event.paths.iter().cloned());
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                if let Some(from) = event.paths.first() {
                    self.open.remove(from);
                }
            }
            _ => {}
        }
        self.changed = true;
        self.paths.extend(event.paths);
    }

    /// Whether every file written in the batch was closed since: the
    /// writes it holds are complete. Where the system sends no close events,
    /// a batch that wrote a file is never complete, and waits for [`QUIET`].
    fn complete(&self) -> bool {
        self.changed && self.open.is_empty()
    }

    fn send(self, tx: &Sender<Vec<PathBuf>>) {
        if self.changed && !self.paths.is_empty() {
            let _ = tx.send(self.paths);
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

    fn event(kind: EventKind, paths: &[&str]) -> notify::Result<Event> {
        Ok(paths.iter().fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p))))
    }

    const WRITE: EventKind = EventKind::Modify(ModifyKind::Data(notify::event::DataChange::Any));
    const CLOSED: EventKind = EventKind::Access(AccessKind::Close(AccessMode::Write));
    const OPENED: EventKind = EventKind::Access(AccessKind::Open(AccessMode::Any));

    #[test]
    fn a_file_written_in_place_is_complete_once_closed() {
        let content = Path::new("/site/content");
        let mut batch = Batch::default();
        batch.add(event(OPENED, &["/site/content/a.md"]), content);
        assert!(!batch.complete(), "an open alone changes nothing");
        batch.add(event(WRITE, &["/site/content/a.md"]), content);
        batch.add(event(WRITE, &["/site/content/a.md"]), content);
        assert!(!batch.complete(), "still being written");
        batch.add(event(CLOSED, &["/site/content/a.md"]), content);
        assert!(batch.complete());
        batch.add(event(WRITE, &["/site/content/b.md"]), content);
        assert!(!batch.complete(), "a second file of the same save, not closed yet");
        batch.add(event(CLOSED, &["/site/content/b.md"]), content);
        assert!(batch.complete());
    }

    #[test]
    fn a_file_saved_by_renaming_is_complete_once_in_place() {
        let content = Path::new("/site/content");
        let mut batch = Batch::default();
        batch.add(
            event(EventKind::Create(CreateKind::File), &["/site/content/.a.md.tmp"]),
            content,
        );
        batch.add(event(WRITE, &["/site/content/.a.md.tmp"]), content);
        assert!(!batch.complete());
        batch.add(
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                &["/site/content/.a.md.tmp"],
            ),
            content,
        );
        batch.add(
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                &["/site/content/a.md"],
            ),
            content,
        );
        assert!(batch.complete());
        assert!(batch.paths.contains(&PathBuf::from("/site/content/a.md")));
    }

    #[test]
    fn without_close_events_a_written_file_waits_for_quiet() {
        // macOS, Windows and polling report writes but no closes.
        let content = Path::new("/site/content");
        let mut batch = Batch::default();
        batch.add(
            event(EventKind::Modify(ModifyKind::Any), &["/site/content/a.md"]),
            content,
        );
        assert!(!batch.complete());
        let mut removed = Batch::default();
        removed.add(
            event(
                EventKind::Remove(notify::event::RemoveKind::File),
                &["/site/content/a.md"],
            ),
            content,
        );
        assert!(removed.complete(), "a removal is whole at once");
    }

    #[test]
    fn reads_alone_send_nothing_and_failures_report_all_content() {
        let content = Path::new("/site/content");
        let (tx, rx) = channel();
        let mut reads = Batch::default();
        reads.add(event(OPENED, &["/site/content/a.md"]), content);
        reads.send(&tx);
        assert!(rx.try_recv().is_err());
        let mut failed = Batch::default();
        failed.add(Err(notify::Error::generic("queue overflow")), content);
        failed.send(&tx);
        assert_eq!(rx.try_recv().unwrap(), vec![content.to_path_buf()]);
        let mut rescan = Batch::default();
        rescan.add(
            Ok(Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan)),
            content,
        );
        rescan.send(&tx);
        assert_eq!(rx.try_recv().unwrap(), vec![content.to_path_buf()]);
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
