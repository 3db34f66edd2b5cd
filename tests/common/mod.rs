//! A small harness for building fixture sites with the real binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestSite {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "expected success, got {}:\n{}",
            self.status, self.stderr
        );
        self
    }

    pub fn assert_status(&self, status: i32) -> &Self {
        assert_eq!(
            self.status, status,
            "expected exit status {status}, got {}:\n{}",
            self.status, self.stderr
        );
        self
    }

    /// Asserts stderr mentions `needle`.
    pub fn assert_mentions(&self, needle: &str) -> &Self {
        assert!(self.stderr.contains(needle), "expected {needle:?} in:\n{}", self.stderr);
        self
    }
}

pub const MINIMAL_SITE: &str = "title: Test Site\nbase_url: https://example.org/\n";

pub const PHASE_ONE: &str = "\
title: Basics
duration: 2-3 weeks
weekly_hours: 5
summary: The start.
topics:
  - id: first-topic
    title: First topic
    summary: What comes first.
    learn: [One thing, Another thing]
    resources:
      - title: A Book
        by: Someone
        kind: book
        cost: free
  - id: second-topic
    title: Second topic
    requires: [first-topic]
milestone: You know the basics.
";

pub const PHASE_TWO: &str = "\
title: Next steps
duration: 1 month
requires: [basics]
topics:
  - id: third-topic
    title: Third topic
    summary: See [the first](@topic:demo/first-topic).
milestone: You are done.
";

impl TestSite {
    pub fn empty() -> TestSite {
        TestSite {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A small valid site: one roadmap with two phases, an article and a page.
    pub fn minimal() -> TestSite {
        let site = TestSite::empty();
        site.file("site.yaml", MINIMAL_SITE)
            .file(
                "content/roadmaps/demo/roadmap.yaml",
                "title: Demo\nsummary: A demo roadmap.\n",
            )
            .file("content/roadmaps/demo/phases/01-basics.yaml", PHASE_ONE)
            .file("content/roadmaps/demo/phases/02-next.yaml", PHASE_TWO)
            .file(
                "content/articles/hello.md",
                "---\ntitle: Hello\ndate: 2025-01-02\ntags: [news]\nroadmap: demo\n---\nRead [](@topic:demo/first-topic).\n",
            )
            .file("content/pages/about.md", "---\ntitle: About\n---\nAbout this site.\n");
        site
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn file(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
        self
    }

    pub fn remove(&self, relative: &str) -> &Self {
        fs::remove_file(self.path(relative)).unwrap();
        self
    }

    /// Runs waymark with the site folder as the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(args)
            .current_dir(self.root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run waymark");
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn build(&self) -> Run {
        self.run(&["build"])
    }

    pub fn output(&self, relative: &str) -> String {
        let path = self.path("public").join(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn output_exists(&self, relative: &str) -> bool {
        self.path("public").join(relative).exists()
    }
}

/// Every file of a folder with its bytes, for byte-for-byte comparisons.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    // A file may vanish between listing and reading while a watcher writes.
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() {
            if let Ok(bytes) = fs::read(entry.path()) {
                let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
                files.insert(rel, bytes);
            }
        }
    }
    files
}

/// The published files of an output folder: [`snapshot`] without waymark's
/// marker, which records when each file was written.
pub fn published(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = snapshot(dir);
    files.remove(Path::new(".waymark-output"));
    files
}

/// Every `href` and `src` of an HTML text.
pub fn links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    re.captures_iter(html).map(|c| c[1].replace("&amp;", "&")).collect()
}

/// The repository root: the built-in site.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool the test needs (Chromium, Java, the npm packages). Outside CI a
/// missing tool skips the test with a printed reason; in CI (`CI` set) it
/// fails, because CI installs them.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI must have it (.ci/run installs it)");
    }
    // Written to the real stderr, not through eprintln!, which the test
    // harness captures: a skip must show in `cargo test`'s normal output.
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {what} is missing (.ci/run installs it: apt-get install chromium openjdk-17-jre-headless)"
    );
    false
}

/// The npm packages of tests/browser (playwright-core, vnu-jar): installed
/// with `npm ci` the first time a test needs them, where npm is available.
pub fn npm_packages() -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let dir = browser_dir();
        let present = || dir.join("node_modules/playwright-core").exists() && dir.join("node_modules/vnu-jar").exists();
        if present() {
            return true;
        }
        if !have_command("npm") {
            return false;
        }
        let _ = writeln!(
            std::io::stderr(),
            "installing the npm packages of tests/browser (npm ci)…"
        );
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .status();
        status.is_ok_and(|s| s.success()) && present()
    })
}

pub fn browser_dir() -> PathBuf {
    repo().join("tests/browser")
}

pub fn have_command(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Chromium, Node and playwright-core, all present (the npm packages are
/// installed on first use).
pub fn require_browser() -> bool {
    require("chromium", have_command("chromium"))
        && require("node", have_command("node"))
        && require(
            "npm packages of tests/browser (npm ci there failed or npm is missing)",
            npm_packages(),
        )
}

/// Builds the built-in site and runs a script of tests/browser on it (the
/// site's folder first, then `args`); returns the JSON it prints, after
/// checking that it ran and met no JavaScript error. `None` when the browser
/// test is skipped (see [`require_browser`]).
pub fn browser_report(script: &str, args: &[&str]) -> Option<serde_json::Value> {
    if !require_browser() {
        return None;
    }
    let site = TestSite::empty();
    site.run(&["build", "--root", repo().to_str().unwrap(), "--output", "out"])
        .assert_ok();
    let out = Command::new("node")
        .arg(browser_dir().join(script))
        .arg(site.path("out"))
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    assert_eq!(report["errors"], serde_json::json!([]), "JavaScript errors");
    Some(report)
}
