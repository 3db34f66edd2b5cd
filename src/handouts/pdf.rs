//! PDF: handouts printed by headless Chromium, a few at a time, each with
//! a bounded wait and no network. Booklets take a second pass: Chromium
//! has no `target-counter()`, so the contents get their page numbers from
//! the printed phase handouts, and the printed booklet is checked against them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Printed, Selection, booklet_path, booklet_pdf, phase_path, phase_pdf};
use crate::diag::Diagnostic;
use crate::model::{Site, SitePath};
use crate::output::Sink;

/// Program names looked up on `PATH`, in order.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// Finds Chromium: `--chrome`, else `WAYMARK_CHROME`, else `PATH`.
pub fn find_chrome(explicit: Option<&Path>) -> Result<PathBuf, String> {
    let install = "install Chromium (`apt-get install chromium` on Debian or Ubuntu) or give its path with --chrome PATH or WAYMARK_CHROME";
    if let Some(path) = explicit {
        return executable(path).ok_or_else(|| format!("--chrome {}: no such program; {install}", path.display()));
    }
    if let Some(path) = std::env::var_os("WAYMARK_CHROME").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        return executable(&path)
            .ok_or_else(|| format!("WAYMARK_CHROME={}: no such program; {install}", path.display()));
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    NAMES
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find_map(|path| executable(&path))
        .ok_or_else(|| format!("no Chromium found (looked for {} on PATH): {install}", NAMES.join(", ")))
}

fn executable(path: &Path) -> Option<PathBuf> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return None;
        }
    }
    meta.is_file().then(|| path.to_path_buf())
}

/// How to print.
#[derive(Debug, Clone)]
pub struct Printer {
    pub chrome: PathBuf,
    /// Chromiums running at once.
    pub jobs: usize,
    /// The longest one print may take before it is killed.
    pub timeout: Duration,
}

impl Printer {
    pub fn new(chrome: PathBuf) -> Printer {
        Printer {
            chrome,
            jobs: 2,
            timeout: Duration::from_secs(60),
        }
    }

    /// Prints the HTML file `html` into the PDF file `pdf`.
    pub fn print(&self, html: &Path, pdf: &Path) -> Result<(), String> {
        let html = std::fs::canonicalize(html).map_err(|err| format!("cannot read {}: {err}", html.display()))?;
        let profile = tempfile::tempdir().map_err(|err| format!("cannot make a Chromium profile folder: {err}"))?;
        let log_path = profile.path().join("chromium.log");
        let log = std::fs::File::create(&log_path).map_err(|err| format!("cannot make a log file: {err}"))?;
        let mut command = Command::new(&self.chrome);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--no-pdf-header-footer",
                "--generate-pdf-document-outline",
                // The pages are local files: nothing may reach the network.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=http://127.0.0.1:9",
            ])
            .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(file_url(&html))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        #[cfg(unix)]
        {
            // Its own process group, so a timeout ends its helpers too.
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let _ = std::fs::remove_file(pdf);
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot run {}: {err}", self.chrome.display()))?;
        let started = Instant::now();
        // A complete PDF whose size holds still: Chromium is done with it,
        // even if it then hangs on the way out.
        let mut done_since: Option<(Instant, u64)> = None;
        let status = loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|err| format!("cannot wait for Chromium: {err}"))?
            {
                break Some(status);
            }
            if started.elapsed() > self.timeout {
                break None;
            }
            let size = std::fs::metadata(pdf).map(|m| m.len()).unwrap_or(0);
            match done_since {
                Some((since, known)) if known == size && since.elapsed() > Duration::from_secs(3) => break None,
                Some((_, known)) if known == size => {}
                _ => done_since = (size > 0 && complete(pdf)).then(|| (Instant::now(), size)),
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if status.is_none() {
            kill(&mut child);
        }
        if complete(pdf) {
            return Ok(());
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(match status {
            None => format!(
                "Chromium did not print {} within {} s and was stopped",
                html.display(),
                self.timeout.as_secs()
            ),
            Some(status) => format!(
                "Chromium failed to print {} ({status}){}",
                html.display(),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(":\n{}", tail.join("\n"))
                }
            ),
        })
    }

    /// Prints every `(html, pdf)` pair, `jobs` at a time; the errors of
    /// those that failed.
    fn print_many(&self, pairs: &[(PathBuf, PathBuf)]) -> Vec<String> {
        let next = AtomicUsize::new(0);
        let errors = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.max(1).min(pairs.len()) {
                scope.spawn(|| {
                    while let Some((html, pdf)) = pairs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if let Err(error) = self.print(html, pdf) {
                            errors.lock().unwrap_or_else(|e| e.into_inner()).push(error);
                        }
                    }
                });
            }
        });
        errors.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(unix)]
fn kill(child: &mut std::process::Child) {
    // The child leads its own process group (see `process_group(0)`).
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group only.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(not(unix))]
fn kill(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn file_url(path: &Path) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?');
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{}", utf8_percent_encode(&text, PATH))
}

/// Whether a file is a whole PDF (Chromium writes it in one go at the end).
fn complete(pdf: &Path) -> bool {
    std::fs::read(pdf).is_ok_and(|bytes| {
        bytes.starts_with(b"%PDF-")
            && bytes[bytes.len().saturating_sub(32)..]
                .windows(5)
                .any(|w| w == b"%%EOF")
    })
}

/// The number of pages of a PDF.
pub fn page_count(pdf: &Path) -> Result<usize, String> {
    let doc = lopdf::Document::load(pdf).map_err(|err| format!("cannot read {}: {err}", pdf.display()))?;
    Ok(doc.get_pages().len())
}

/// The outline (bookmarks) of a PDF: `(level, title, page)`, pages from 1,
/// whitespace in titles collapsed to single spaces.
pub fn outline(pdf: &Path) -> Result<Vec<(usize, String, usize)>, String> {
    let doc = lopdf::Document::load(pdf).map_err(|err| format!("cannot read {}: {err}", pdf.display()))?;
    let toc = doc
        .get_toc()
        .map_err(|err| format!("{} has no outline: {err}", pdf.display()))?;
    // A heading that wraps may keep its line break in the bookmark.
    let words = |title: String| title.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(toc.toc.into_iter().map(|t| (t.level, words(t.title), t.page)).collect())
}

/// Prints the selected handouts, whose HTML is already in `dir`, into
/// `sink`, with the booklets' second pass; `rerender` writes the handouts
/// into `dir` again with what printing found so far.
pub fn print_all(
    site: &Site,
    dir: &Path,
    sink: &dyn Sink,
    selection: &Selection,
    printer: &Printer,
    rerender: &dyn Fn(&Printed) -> Result<(), Vec<Diagnostic>>,
) -> Result<Printed, Vec<Diagnostic>> {
    let scratch =
        tempfile::tempdir().map_err(|err| vec![Diagnostic::error(format!("cannot make a folder for PDFs: {err}"))])?;
    let fail = |messages: Vec<String>| messages.into_iter().map(Diagnostic::error).collect::<Vec<_>>();
    let mut printed = Printed::default();

    // Pass 1: every phase handout on its own.
    let phases = selection.phases(site);
    let pairs: Vec<(PathBuf, PathBuf)> = phases
        .iter()
        .map(|&(r, p)| {
            (
                dir.join(phase_path(site, r, p).output_file()),
                scratch.path().join(format!("phase-{r}-{p}.pdf")),
            )
        })
        .collect();
    let errors = printer.print_many(&pairs);
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let mut errors = Vec::new();
    for (&(r, p), (_, pdf)) in phases.iter().zip(&pairs) {
        match page_count(pdf) {
            Ok(pages) => {
                printed.pages.insert(phase_path(site, r, p), pages);
                store(sink, &phase_pdf(site, r, p), pdf, &mut errors);
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }

    // Pass 2: the booklets, with contents numbered from pass 1.
    let booklets: Vec<usize> = (0..site.roadmaps.len())
        .filter(|&r| selection.booklet(site, r))
        .collect();
    if booklets.is_empty() {
        return Ok(printed);
    }
    // The cover is one page; the contents are assumed one until printed.
    let mut contents: HashMap<usize, usize> = booklets.iter().map(|&r| (r, 1)).collect();
    let booklet_file = |r: usize| scratch.path().join(format!("booklet-{r}.pdf"));
    for attempt in 0..2 {
        for &r in &booklets {
            number_contents(site, r, contents[&r], &mut printed);
        }
        rerender(&printed)?;
        let pairs: Vec<(PathBuf, PathBuf)> = booklets
            .iter()
            .map(|&r| (dir.join(booklet_path(site, r).output_file()), booklet_file(r)))
            .collect();
        let errors = printer.print_many(&pairs);
        if !errors.is_empty() {
            return Err(fail(errors));
        }
        let mut retry = false;
        let mut errors = Vec::new();
        for &r in &booklets {
            let pdf = booklet_file(r);
            let total = match page_count(&pdf) {
                Ok(total) => total,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            };
            let phase_pages: usize = (0..site.roadmaps[r].phases.len())
                .map(|p| printed.pages[&phase_path(site, r, p)])
                .sum();
            let actual_contents = total.saturating_sub(1 + phase_pages);
            if actual_contents != contents[&r] && attempt == 0 && actual_contents > 0 {
                // The contents took more pages than assumed: number again.
                contents.insert(r, actual_contents);
                retry = true;
                continue;
            }
            match check_booklet(site, r, &pdf, &printed, total, phase_pages + 1 + contents[&r]) {
                Ok(()) => {
                    printed.pages.insert(booklet_path(site, r), total);
                    store(sink, &booklet_pdf(site, r), &pdf, &mut errors);
                }
                Err(error) => errors.push(error),
            }
        }
        if !errors.is_empty() {
            return Err(fail(errors));
        }
        if !retry {
            return Ok(printed);
        }
    }
    Ok(printed)
}

/// Each phase's first page in the booklet: after the cover, the contents
/// and the phases before it.
fn number_contents(site: &Site, r: usize, contents: usize, printed: &mut Printed) {
    let mut next = 1 + contents + 1;
    for p in 0..site.roadmaps[r].phases.len() {
        let path = phase_path(site, r, p);
        printed.starts.insert(path.clone(), next);
        next += printed.pages[&path];
    }
}

/// A printed booklet has the expected length, and each phase starts on
/// the page its contents say, by the PDF's own outline.
fn check_booklet(
    site: &Site,
    r: usize,
    pdf: &Path,
    printed: &Printed,
    total: usize,
    expected: usize,
) -> Result<(), String> {
    let roadmap = &site.roadmaps[r];
    if total != expected {
        return Err(format!(
            "the booklet of {} has {total} pages, but its handouts, cover and contents add up to {expected}: a phase prints differently alone and in the booklet",
            roadmap.id
        ));
    }
    let outline = outline(pdf)?;
    for (p, phase) in roadmap.phases.iter().enumerate() {
        let says = printed.starts[&phase_path(site, r, p)];
        let found = outline
            .iter()
            .find(|(_, title, _)| same_words(title, &phase_heading(phase.number, &phase.title)));
        match found {
            Some(&(_, _, page)) if page == says => {}
            Some(&(_, _, page)) => {
                return Err(format!(
                    "the booklet of {} says phase {} starts on page {says}, but it starts on page {page}",
                    roadmap.id, phase.id
                ));
            }
            None => {
                return Err(format!(
                    "the booklet of {} has no bookmark for phase {}",
                    roadmap.id, phase.id
                ));
            }
        }
    }
    Ok(())
}

/// Whether two titles are the same but for whitespace: Chromium drops the
/// space where a heading wraps when it makes a bookmark of it.
pub fn same_words(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .eq(b.chars().filter(|c| !c.is_whitespace()))
}

/// A phase's heading in handouts and booklets (and so in the PDF outline).
pub fn phase_heading(number: u64, title: &str) -> String {
    format!("Phase {number}: {title}")
}

fn store(sink: &dyn Sink, path: &SitePath, from: &Path, errors: &mut Vec<String>) {
    if let Err(err) = sink.copy(&path.output_file(), from) {
        errors.push(format!("cannot write {path}: {err}"));
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A stand-in for Chromium: a shell script that finds `--print-to-pdf=`
    /// and then runs `body` with `$out` set.
    fn fake_chrome(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("fake-chrome");
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --print-to-pdf=*) out=\"${{a#--print-to-pdf=}}\";; esac; done\n{body}\n"
        );
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn printer(chrome: PathBuf) -> Printer {
        Printer {
            chrome,
            jobs: 2,
            timeout: Duration::from_secs(2),
        }
    }

    #[test]
    fn a_chromium_that_hangs_is_stopped_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("a.html");
        std::fs::write(&html, "<p>hi</p>").unwrap();
        let started = Instant::now();
        let result = printer(fake_chrome(dir.path(), "sleep 30")).print(&html, &dir.path().join("a.pdf"));
        let error = result.unwrap_err();
        assert!(
            error.contains("did not print") && error.contains("was stopped"),
            "{error}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "the wait is bounded");
    }

    #[test]
    fn a_pdf_written_before_a_hang_or_crash_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("a.html");
        std::fs::write(&html, "<p>hi</p>").unwrap();
        let pdf = dir.path().join("a.pdf");
        let write = "printf '%%PDF-1.4\\n%%%%EOF\\n' > \"$out\"";
        let hangs = printer(fake_chrome(dir.path(), &format!("{write}\nsleep 30")));
        hangs.print(&html, &pdf).unwrap();
        let crashes = printer(fake_chrome(dir.path(), &format!("{write}\nexit 139")));
        crashes.print(&html, &pdf).unwrap();
        let fails = printer(fake_chrome(dir.path(), "echo 'cannot open display' >&2\nexit 1"));
        let error = fails.print(&html, &pdf).unwrap_err();
        assert!(
            error.contains("failed to print") && error.contains("cannot open display"),
            "{error}"
        );
    }

    #[test]
    fn chromium_is_looked_up_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let chrome = fake_chrome(dir.path(), "exit 0");
        assert_eq!(find_chrome(Some(&chrome)).unwrap(), chrome);
        let error = find_chrome(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        assert!(error.contains("apt-get install chromium"), "{error}");
    }

    #[test]
    fn file_urls_are_encoded() {
        assert_eq!(file_url(Path::new("/tmp/a b/#1.html")), "file:///tmp/a%20b/%231.html");
    }
}
