//! SERVE: the live preview. `watch` rebuilds into an output folder on every
//! change; `serve` rebuilds into memory and serves the site over HTTP with
//! live reload. Both keep the last good site when a change breaks the build.

pub(crate) mod http;
#[cfg(test)]
mod same_as_fresh;
mod session;
mod watcher;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::output::{self, OutputDir, Sink};
use crate::resolve::Options;
use session::{Changes, Content, Outcome, Session};
use watcher::classify;

pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub open: bool,
    pub drafts: bool,
    pub poll: bool,
}

pub struct WatchOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    /// Write into a folder that holds files waymark did not write.
    pub force: bool,
    pub drafts: bool,
    pub poll: bool,
}

/// mimalloc's `purge_delay` (see mimalloc.h; the crate leaves it unnamed).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Each rebuild frees the last one's model and allocates as much again.
/// By default the allocator hands memory freed a second ago back to the
/// system, so a rebuild after a pause faulted it in again, zeroed: 5–22%
/// of a 5,000-article rebuild's CPU. A preview keeps it instead; its
/// footprint stays at what a rebuild needs anyway.
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc reads it when it purges.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The allocator asks for transparent huge pages. The first touch of one
/// makes the kernel zero all 2 MiB of it at once, however little of it is
/// used, and the first edit after the preview starts met many such faults:
/// 65–103 ms to rebuild the 5,000-article site against 51–73 ms without
/// them (8 starts each), and later edits alike. A preview wants steady
/// latency more than the few percent huge pages save a whole build, so it
/// does without them.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets a flag of this process; takes no pointers. The
    // arguments are unsigned longs to the kernel, which refuses garbage.
    unsafe {
        let (on, unused): (libc::c_ulong, libc::c_ulong) = (1, 0);
        libc::prctl(libc::PR_SET_THP_DISABLE, on, unused, unused, unused);
    }
}

/// Why `serve` or `watch` could not run.
pub enum Error {
    /// Wrong usage (exit status 2): a refused output folder, no free port.
    Usage(String),
    /// Something outside the site failed (exit status 1).
    Fatal(String),
}

pub fn serve(opts: &ServeOptions) -> Result<(), Error> {
    let root = check_root(&opts.root)?;
    keep_freed_memory();
    no_huge_pages();
    let (listener, moved) = http::bind(opts.bind, opts.port).map_err(Error::Usage)?;
    if let Some(note) = moved {
        eprintln!("note: {note}");
    }
    let port = listener.local_addr().map_err(|e| Error::Fatal(e.to_string()))?.port();
    let host = match opts.bind {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{port}/");
    let resolve = Options {
        drafts: opts.drafts,
        // Every absolute URL of the preview points at the preview.
        base_url: Some(url.clone()),
    };
    let mut session = Session::new(&root, resolve, true);
    let shared = http::Shared::new(&root);
    let builds = BuildIds::new();

    // Watching starts before the first build reads anything, so every
    // change after that build is reported and each rebuild can trust it.
    let (mut watcher, changes) = watcher::SiteWatcher::start(&root, opts.poll).map_err(Error::Fatal)?;
    let outcome = session.rebuild(None);
    print_outcome(&outcome, true);
    announce(&shared, &builds.next(), &outcome, &session);
    crate::build::save_highlight_cache();
    http::start(listener, shared.clone()).map_err(Error::Fatal)?;
    eprintln!("serving {} at {url} (Ctrl+C to stop)", display(&opts.root));
    if !opts.bind.is_loopback() {
        warn_exposed(opts.bind, port);
    }
    if opts.open {
        open_browser(&url);
    }
    if outcome.result.is_ok() {
        // A rebuild makes a second model beside the kept one, so the first
        // takes fresh memory from the system, zeroed page by page (a fifth
        // of its time on a large site). A rebuild with nothing to do takes
        // it now, before the author's first save; the memory is kept (see
        // `keep_freed_memory`) for every rebuild after.
        let warm_up = session.rebuild(Some(&[]));
        if !warm_up.result.as_ref().is_ok_and(Changes::is_empty) {
            print_outcome(&warm_up, false);
            announce(&shared, &builds.next(), &warm_up, &session);
        }
    }

    while let Some(paths) = next_changes(&root, &changes) {
        watcher.watch_new_folders();
        print_paths(&root, &paths);
        let outcome = session.rebuild(Some(&paths));
        print_outcome(&outcome, false);
        announce(&shared, &builds.next(), &outcome, &session);
        // After the reload is sent: the browser need not wait for the disk.
        crate::build::save_highlight_cache();
    }
    Ok(())
}

pub fn watch(opts: &WatchOptions) -> Result<(), Error> {
    let root = check_root(&opts.root)?;
    keep_freed_memory();
    no_huge_pages();
    let out_dir = output::claim(&root, &opts.output, opts.force).map_err(|refusal| Error::Usage(refusal.0))?;
    let resolve = Options {
        drafts: opts.drafts,
        base_url: None,
    };
    let mut session = Session::new(&root, resolve, false);
    // Started before the first build: see `serve`.
    let (mut watcher, changes) = watcher::SiteWatcher::start(&root, opts.poll).map_err(Error::Fatal)?;
    let mut written_once = false;
    // The files on disk that waymark wrote, for the output's marker.
    let mut written = std::collections::BTreeSet::new();
    let outcome = session.rebuild(None);
    print_outcome(&outcome, true);
    if let Ok(changes) = &outcome.result {
        written_once = write_all(&out_dir, changes, &mut written);
    }
    crate::build::save_highlight_cache();
    eprintln!(
        "watching {} for changes, writing to {} (Ctrl+C to stop)",
        display(&opts.root),
        opts.output.display()
    );
    while let Some(paths) = next_changes(&root, &changes) {
        watcher.watch_new_folders();
        print_paths(&root, &paths);
        let outcome = session.rebuild(Some(&paths));
        print_outcome(&outcome, false);
        crate::build::save_highlight_cache();
        if let Ok(changes) = &outcome.result {
            // Until one build has been written whole, a partial update could
            // leave an older site's files behind: write everything.
            written_once = if written_once {
                apply(&out_dir, changes, &mut written)
            } else {
                write_all(&out_dir, changes, &mut written)
            };
        }
    }
    Ok(())
}

/// The site root as an absolute path (file events carry absolute paths).
fn check_root(root: &Path) -> Result<PathBuf, Error> {
    crate::build::require_site(root).map_err(|e| Error::Usage(e.0))?;
    std::fs::canonicalize(root).map_err(|e| Error::Fatal(format!("cannot resolve {}: {e}", root.display())))
}

/// Waits for the next batch of relevant changes, merging every batch that
/// arrived meanwhile (a burst of saves gives one rebuild). `None` when the
/// watcher has stopped.
fn next_changes(root: &Path, changes: &Receiver<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    loop {
        let mut paths = changes.recv().ok()?;
        while let Ok(more) = changes.try_recv() {
            paths.extend(more);
        }
        paths.retain(|p| classify(root, p).is_some());
        paths.sort();
        paths.dedup();
        if !paths.is_empty() {
            return Some(paths);
        }
    }
}

/// Build ids tell a reconnecting tab whether it missed a build; the start
/// time makes them differ across server restarts.
struct BuildIds {
    start: u128,
    count: std::cell::Cell<u64>,
}

impl BuildIds {
    fn new() -> BuildIds {
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        BuildIds {
            start,
            count: std::cell::Cell::new(0),
        }
    }

    fn next(&self) -> String {
        self.count.set(self.count.get() + 1);
        format!("{:x}-{}", self.start, self.count.get())
    }
}

/// Tells open tabs what happened: reload (or restyle), clear the overlay,
/// or show the errors; and serves the new files.
fn announce(shared: &http::Shared, build: &str, outcome: &Outcome, session: &Session) {
    let (message, pages, hello) = match &outcome.result {
        Ok(changes) => {
            shared.publish(session.shared_files());
            let event = if changes.is_empty() { "ok" } else { "reload" };
            let css = changes.changed.iter().any(|(path, _)| path.ends_with(".css"));
            let pages = changed_pages(changes);
            let message = serde_json::json!({
                "event": event,
                "build": build,
                "css": css,
                "pages": pages,
            });
            let hello = serde_json::json!({ "event": "hello", "build": build, "errors": null });
            let pages = pages.unwrap_or_default().into_iter().map(str::to_owned).collect();
            (message, pages, hello)
        }
        Err(failure) => {
            let errors = failure.report().errors;
            let message = serde_json::json!({ "event": "errors", "build": build, "errors": errors });
            let hello = serde_json::json!({ "event": "hello", "build": build, "errors": errors });
            (message, Vec::new(), hello)
        }
    };
    shared.broadcast(build, message.to_string(), pages, hello.to_string());
}

/// The pages a tab must reload for, when that is all that changed: `None`
/// (every tab reloads) when a file was added or removed, or when a file a
/// page loads (an image, a script) changed. Data files (the search index,
/// the feed, the sitemap) show no page, so they make no tab reload; a tab
/// that already fetched the search index searches the old one until it
/// reloads.
fn changed_pages(changes: &Changes) -> Option<Vec<&str>> {
    if changes.added > 0 || !changes.removed.is_empty() {
        return None;
    }
    let mut pages = Vec::new();
    for (path, _) in &changes.changed {
        match path.rsplit_once('.').map_or("", |(_, ext)| ext) {
            "html" => pages.push(path.as_str()),
            "json" | "xml" | "txt" | "css" => {}
            _ => return None,
        }
    }
    Some(pages)
}

fn print_outcome(outcome: &Outcome, first: bool) {
    let ms = outcome.elapsed.as_millis();
    let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
    match &outcome.result {
        Ok(changes) => {
            outcome.warnings.emit(&outcome.warning_sources, color);
            let stats = &changes.stats;
            if first {
                eprintln!(
                    "built {} pages ({} files) in {ms} ms",
                    stats.pages,
                    changes.changed.len()
                );
            } else {
                eprintln!(
                    "rebuilt in {ms} ms: {} file(s) rewritten, {} removed ({} of {} pages rendered)",
                    changes.changed.len(),
                    changes.removed.len(),
                    stats.pages - stats.unchanged,
                    stats.pages
                );
            }
        }
        Err(failure) => {
            failure.diagnostics.emit(&failure.sources, color);
            let errors = failure.diagnostics.error_count();
            if first {
                eprintln!("error: {errors} error(s) after {ms} ms; the site is made once they are fixed");
            } else {
                eprintln!("error: {errors} error(s) after {ms} ms; still serving the last good build");
            }
        }
    }
}

fn print_paths(root: &Path, paths: &[PathBuf]) {
    const SHOWN: usize = 5;
    let shown: Vec<String> = paths
        .iter()
        .take(SHOWN)
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect();
    let more = paths.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    eprintln!("changed: {}{more}", shown.join(", "));
}

fn display(path: &Path) -> String {
    let shown = path.display().to_string();
    if shown == "." || shown.is_empty() {
        "the current folder".into()
    } else {
        shown
    }
}

/// The first good build of `watch`: the whole site, staged and swapped in.
fn write_all(output: &OutputDir, changes: &Changes, written: &mut std::collections::BTreeSet<String>) -> bool {
    let staged = match output.stage() {
        Ok(staged) => staged,
        Err(err) => {
            eprintln!(
                "error: cannot create a staging folder next to {}: {err}",
                output.shown().display()
            );
            return false;
        }
    };
    for (path, content) in &changes.changed {
        let result = match content {
            Content::Bytes(bytes) => staged.write(Path::new(path), bytes),
            Content::Copy(source) => staged.copy(Path::new(path), source),
        };
        if let Err(err) = result {
            eprintln!("error: cannot write {path}: {err}");
            return false;
        }
    }
    match output.commit(staged) {
        Ok(()) => {
            *written = changes.changed.iter().map(|(path, _)| path.clone()).collect();
            true
        }
        Err(err) => {
            eprintln!("error: cannot replace {}: {err}", output.shown().display());
            false
        }
    }
}

/// Later builds of `watch`: only changed files are written (each replaced
/// atomically), and files the site no longer has are removed.
fn apply(out_dir: &OutputDir, changes: &Changes, written: &mut std::collections::BTreeSet<String>) -> bool {
    let output = out_dir.path();
    let mut ok = true;
    // The marker is written again only when the set of files changed.
    let before = written.len();
    let mut removed_any = false;
    for (path, content) in &changes.changed {
        let target = output.join(path);
        let result = (|| -> std::io::Result<()> {
            let parent = target.parent().unwrap_or(output);
            std::fs::create_dir_all(parent)?;
            let mut temp = tempfile::NamedTempFile::new_in(parent)?;
            match content {
                Content::Bytes(bytes) => std::io::Write::write_all(&mut temp, bytes)?,
                Content::Copy(source) => {
                    std::io::copy(&mut std::fs::File::open(source)?, &mut temp)?;
                }
            }
            temp.persist(&target).map_err(|e| e.error)?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                written.insert(path.clone());
            }
            Err(err) => {
                eprintln!("error: cannot write {}: {err}", target.display());
                ok = false;
            }
        }
    }
    for path in &changes.removed {
        // Only what waymark wrote is ever removed.
        if !written.remove(path) {
            continue;
        }
        removed_any = true;
        let target = output.join(path);
        match std::fs::remove_file(&target) {
            Ok(()) => remove_empty_parents(output, &target),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => eprintln!("warning: cannot remove {}: {err}", target.display()),
        }
    }
    if removed_any || written.len() != before {
        if let Err(err) = out_dir.record(written.iter().cloned()) {
            eprintln!("warning: cannot update {}'s marker: {err}", out_dir.shown().display());
        }
    }
    ok
}

fn remove_empty_parents(output: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(current) = dir {
        if current == output || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

/// The preview is made for this machine: say so when it is reachable from
/// others, and list the addresses they would use.
fn warn_exposed(bind: IpAddr, port: u16) {
    eprintln!(
        "warning: --bind {bind} makes the preview reachable from other machines on your network; \
         it is a development server for this machine (use 127.0.0.1 unless you mean it)"
    );
    let addresses: Vec<IpAddr> = if bind.is_unspecified() {
        if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|interface| interface.ip())
            .filter(|ip| !ip.is_loopback() && ip.is_ipv4() == bind.is_ipv4())
            .collect()
    } else {
        vec![bind]
    };
    for ip in addresses {
        let host = match ip {
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        eprintln!("  also at http://{host}:{port}/");
    }
}

fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        std::process::Command::new("cmd").args(["/C", "start", "", url]).spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if let Err(err) = command {
        eprintln!("warning: cannot open a browser ({err}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Stats;

    fn changes(changed: &[&str], added: usize, removed: &[&str]) -> Changes {
        Changes {
            changed: changed
                .iter()
                .map(|p| ((*p).to_owned(), session::Content::Bytes(Vec::new().into())))
                .collect(),
            added,
            removed: removed.iter().map(|p| (*p).to_owned()).collect(),
            stats: Stats::default(),
        }
    }

    #[test]
    fn the_option_kept_freed_memory_sets_is_the_purge_delay() {
        // mimalloc's options.c: purge_delay defaults to 1000 (ms). Another
        // option at this index would have another default. No test sets it.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_preview_does_without_huge_pages() {
        no_huge_pages();
        // SAFETY: reads a flag of this process.
        let unused: libc::c_ulong = 0;
        assert_eq!(
            unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, unused, unused, unused, unused) },
            1
        );
    }

    #[test]
    fn tabs_reload_only_for_their_own_page_unless_the_site_changed_shape() {
        let edit = changes(&["a/index.html", "search-index.json", "atom.xml", "style.css"], 0, &[]);
        assert_eq!(changed_pages(&edit), Some(vec!["a/index.html"]));
        assert_eq!(changed_pages(&changes(&["style.css"], 0, &[])), Some(vec![]));
        assert_eq!(changed_pages(&changes(&["a/index.html", "b/index.html"], 1, &[])), None);
        assert_eq!(changed_pages(&changes(&["a/index.html"], 0, &["c/index.html"])), None);
        assert_eq!(changed_pages(&changes(&["a/index.html", "img/x.png"], 0, &[])), None);
        assert_eq!(changed_pages(&changes(&["progress.js"], 0, &[])), None);
    }
}
