//! `waymark check --external` against a server on loopback that answers
//! 200, redirects, 404, 500, 405 to HEAD, 429, slowly, and a port where
//! nothing listens. No test here reaches beyond 127.0.0.1.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Run, TestSite};

/// A tiny HTTP/1.1 server that counts the requests it gets, by method and path.
struct Server {
    port: u16,
    state: Arc<Mutex<ServerState>>,
}

#[derive(Default)]
struct ServerState {
    requests: HashMap<(String, String), usize>,
    in_flight: usize,
    most_in_flight: usize,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(ServerState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || answer(stream, &state));
            }
        });
        Server { port, state }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Requests for `path`, HEAD and GET together.
    fn count(&self, path: &str) -> usize {
        let state = self.state.lock().unwrap();
        state
            .requests
            .iter()
            .filter(|((_, p), _)| p == path)
            .map(|(_, n)| n)
            .sum()
    }

    fn count_method(&self, method: &str, path: &str) -> usize {
        let state = self.state.lock().unwrap();
        state
            .requests
            .get(&(method.to_owned(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.state.lock().unwrap().requests.values().sum()
    }

    fn most_in_flight(&self) -> usize {
        self.state.lock().unwrap().most_in_flight
    }
}

fn answer(stream: TcpStream, state: &Mutex<ServerState>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    {
        let mut state = state.lock().unwrap();
        *state.requests.entry((method.clone(), path.clone())).or_default() += 1;
        state.in_flight += 1;
        state.most_in_flight = state.most_in_flight.max(state.in_flight);
    }
    let (status, location) = match (method.as_str(), path.as_str()) {
        (_, "/ok") => ("200 OK", None),
        (_, "/moved") => ("301 Moved Permanently", Some("/ok")),
        (_, "/temp") => ("302 Found", Some("/ok")),
        (_, "/gone") => ("404 Not Found", None),
        (_, "/error") => ("500 Internal Server Error", None),
        (_, "/busy") => ("429 Too Many Requests", None),
        ("HEAD", "/head-not-allowed") => ("405 Method Not Allowed", None),
        (_, "/head-not-allowed") => ("200 OK", None),
        (_, "/slow") => {
            wait_for_hang_up(&stream, Duration::from_secs(5));
            ("200 OK", None)
        }
        (_, p) if p.starts_with("/hold/") => {
            std::thread::sleep(Duration::from_millis(500));
            ("200 OK", None)
        }
        _ => ("404 Not Found", None),
    };
    // Counted out before answering, so the client cannot start its next
    // request while this one still counts.
    state.lock().unwrap().in_flight -= 1;
    let body = "hello";
    let location = location.map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
    let mut response = format!(
        "HTTP/1.1 {status}\r\n{location}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        response.push_str(body);
    }
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// Sleeps up to `limit`, returning early once the client has gone.
fn wait_for_hang_up(stream: &TcpStream, limit: Duration) {
    let step = Duration::from_millis(50);
    let _ = stream.set_read_timeout(Some(step));
    let mut waited = Duration::ZERO;
    let mut byte = [0u8; 1];
    while waited < limit {
        if let Ok(0) = stream.peek(&mut byte) {
            return;
        }
        std::thread::sleep(step);
        waited += step;
    }
}

/// A port where nothing listens: bound, then let go.
fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs waymark in the site's folder without proxy settings, which would
/// send loopback requests elsewhere.
fn waymark(site: &TestSite, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waymark"));
    command.args(args).current_dir(site.root()).env("NO_COLOR", "1");
    for var in ["http_proxy", "https_proxy", "all_proxy", "no_proxy"] {
        command.env_remove(var).env_remove(var.to_uppercase());
    }
    let out = command.output().expect("run waymark");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every warning of a run as `path:line:col message`.
fn warnings(run: &Run) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut lines = run.stderr.lines();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("warning: ") else {
            continue;
        };
        let place = lines
            .next()
            .and_then(|l| l.split_once("┌─ "))
            .map(|(_, place)| place.trim().to_owned())
            .unwrap_or_else(|| panic!("no place after {line:?} in:\n{}", run.stderr));
        found.insert(format!("{place} {message}"));
    }
    found
}

/// `path:line:col` of the `nth` (from 0) occurrence of `needle` in a file.
fn place(site: &TestSite, path: &str, needle: &str, nth: usize) -> String {
    let text = std::fs::read_to_string(site.path(path)).unwrap();
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {path}"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{path}:{line}:{col}")
}

const PHASE: &str = "content/roadmaps/demo/phases/01-basics.yaml";
const ARTICLE: &str = "content/articles/links.md";

/// A site whose resources and article link to every kind of answer.
fn site_linking_to(server: &Server, dead: &str) -> TestSite {
    let site = TestSite::empty();
    let u = |path: &str| server.url(path);
    site.file("site.yaml", common::MINIMAL_SITE)
        .file("content/roadmaps/demo/roadmap.yaml", "title: Demo\n")
        .file(
            PHASE,
            format!(
                "title: Basics
summary: Start with [the fine page]({ok}).
topics:
  - id: first
    title: First
    resources:
      - title: Fine
        url: {ok}
      - title: Moved
        url: {moved}
      - title: Temporary
        url: {temp}
      - title: Gone
        url: {gone}
        note: |
          Mirrored at [the error page]({error}) too.
      - title: Error
        url: {error}
      - title: Slow
        url: {slow}
      - title: Picky
        url: {picky}
      - title: Busy
        url: {busy}
      - title: Nobody home
        url: {dead}
",
                ok = u("/ok"),
                moved = u("/moved"),
                temp = u("/temp"),
                gone = u("/gone"),
                error = u("/error"),
                slow = u("/slow"),
                picky = u("/head-not-allowed"),
                busy = u("/busy"),
            ),
        )
        .file(
            ARTICLE,
            format!(
                "---
title: Links
date: 2025-01-02
---
Fine: [ok]({ok}). Gone, with a fragment: [gone]({gone}#part).

Moved, as an autolink: <{moved}>. Moved, by reference: [ref][r].

```
{in_code}
```

[r]: {moved}
",
                ok = u("/ok"),
                gone = u("/gone"),
                moved = u("/moved"),
                in_code = u("/in-code"),
            ),
        );
    site
}

#[test]
fn dead_and_moved_links_are_reported_where_they_are_written_and_answers_are_cached() {
    let server = Server::start();
    let dead = format!("http://127.0.0.1:{}/", dead_port());
    let site = site_linking_to(&server, &dead);

    // Without --external, no request at all.
    waymark(&site, &["check"]).assert_ok();
    assert_eq!(server.total(), 0, "a plain check asked the network");

    let run = waymark(&site, &["check", "--external", "--timeout", "1"]);
    run.assert_ok();
    let u = |path: &str| server.url(path);
    let ok = u("/ok");
    let moved = format!("has moved permanently to {ok}");
    let expected: BTreeSet<String> = [
        format!("{} `{}` {moved}", place(&site, PHASE, &u("/moved"), 0), u("/moved")),
        format!(
            "{} dead link `{}`: 404 Not Found",
            place(&site, PHASE, &u("/gone"), 0),
            u("/gone")
        ),
        format!(
            "{} dead link `{}`: 500 Internal Server Error",
            place(&site, PHASE, &u("/error"), 0),
            u("/error")
        ),
        format!(
            "{} dead link `{}`: 500 Internal Server Error",
            place(&site, PHASE, &u("/error"), 1),
            u("/error")
        ),
        format!(
            "{} dead link `{}`: no answer within 1 s",
            place(&site, PHASE, &u("/slow"), 0),
            u("/slow")
        ),
        format!(
            "{} dead link `{dead}`: the connection was refused",
            place(&site, PHASE, &dead, 0)
        ),
        format!(
            "{} dead link `{}#part`: 404 Not Found",
            place(&site, ARTICLE, &u("/gone"), 0),
            u("/gone")
        ),
        format!("{} `{}` {moved}", place(&site, ARTICLE, &u("/moved"), 0), u("/moved")),
        format!("{} `{}` {moved}", place(&site, ARTICLE, &u("/moved"), 1), u("/moved")),
    ]
    .into_iter()
    .collect();
    assert_eq!(warnings(&run), expected, "\n{}", run.stderr);
    // 429 is a note, not a dead link.
    run.assert_mentions(&format!(
        "{}: note: `{}` could not be checked: 429 Too Many Requests",
        place(&site, PHASE, &u("/busy"), 0),
        u("/busy")
    ));
    run.assert_mentions("checked 9 external links on 1 host: 4 broken, 1 moved, 0 from cache, 1 not verified");

    // Each address once, however often it is written; HEAD first, GET
    // only where HEAD was refused or failed; nothing from a code block.
    assert_eq!(server.count_method("HEAD", "/moved"), 1);
    assert_eq!(server.count_method("GET", "/moved"), 0);
    assert_eq!(server.count_method("HEAD", "/head-not-allowed"), 1);
    assert_eq!(server.count_method("GET", "/head-not-allowed"), 1);
    assert_eq!(
        server.count_method("GET", "/gone"),
        1,
        "a 404 to HEAD is asked again with GET"
    );
    assert_eq!(server.count_method("GET", "/busy"), 0, "429 is not asked twice");
    assert_eq!(server.count_method("GET", "/slow"), 0, "a timeout is not asked twice");
    assert_eq!(server.count("/in-code"), 0);
    // /ok directly, and at the end of /moved and /temp.
    assert_eq!(server.count("/ok"), 3);
    assert!(site.path(".waymark-cache/external-links.json").is_file());

    // Within the cache period: nothing asked about the links that were
    // fine (or moved), every failure asked again; warnings now fail.
    let before: HashMap<&str, usize> = [
        "/ok",
        "/moved",
        "/temp",
        "/head-not-allowed",
        "/gone",
        "/error",
        "/busy",
    ]
    .into_iter()
    .map(|p| (p, server.count(p)))
    .collect();
    let again = waymark(&site, &["check", "--external", "--timeout", "1", "--deny-warnings"]);
    again.assert_status(1);
    again.assert_mentions("--deny-warnings");
    assert_eq!(warnings(&again), expected, "\n{}", again.stderr);
    again.assert_mentions("checked 9 external links on 1 host: 4 broken, 1 moved, 4 from cache, 1 not verified");
    for path in ["/ok", "/moved", "/temp", "/head-not-allowed"] {
        assert_eq!(server.count(path), before[path], "{path} was asked again");
    }
    for path in ["/gone", "/error", "/busy"] {
        assert!(server.count(path) > before[path], "{path} was not asked again");
    }

    // --no-cache asks about everything.
    let ok_before = server.count("/ok");
    waymark(&site, &["check", "--external", "--timeout", "1", "--no-cache"]).assert_ok();
    assert!(server.count("/ok") > ok_before);

    // The cache folder is never published.
    waymark(&site, &["build"]).assert_ok();
    assert!(!site.output_exists(".waymark-cache"));
}

#[test]
fn a_corrupt_cache_is_ignored_with_a_warning() {
    let server = Server::start();
    let site = TestSite::minimal();
    site.file(
        "content/articles/hello.md",
        format!(
            "---\ntitle: Hello\ndate: 2025-01-02\n---\n[fine]({})\n",
            server.url("/ok")
        ),
    )
    .file(".waymark-cache/external-links.json", "{ this is not json");
    let run = waymark(&site, &["check", "--external"]);
    run.assert_ok()
        .assert_mentions(".waymark-cache/external-links.json: the link cache is ignored");
    run.assert_mentions("checked 1 external link on 1 host: 0 broken, 0 moved, 0 from cache");
    // Rewritten, so the next run uses it.
    let run = waymark(&site, &["check", "--external"]);
    run.assert_ok()
        .assert_mentions("checked 1 external link on 1 host: 0 broken, 0 moved, 1 from cache");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(server.count("/ok"), 1);
}

#[test]
fn requests_run_concurrently_but_at_most_two_at_a_time_per_host() {
    let server = Server::start();
    let site = TestSite::minimal();
    let links: String = (0..6)
        .map(|i| format!("[{i}]({}) ", server.url(&format!("/hold/{i}"))))
        .collect();
    site.file(
        "content/articles/hello.md",
        format!("---\ntitle: Hello\ndate: 2025-01-02\n---\n{links}\n"),
    );
    waymark(&site, &["check", "--external"]).assert_ok();
    assert_eq!((0..6).map(|i| server.count(&format!("/hold/{i}"))).sum::<usize>(), 6);
    assert_eq!(server.most_in_flight(), 2, "two requests at a time to one host");
}

#[test]
fn the_external_flags_need_external() {
    let site = TestSite::minimal();
    // --no-cache is for every command (the highlight cache too), not only --external.
    waymark(&site, &["check", "--no-cache"]).assert_ok();
    waymark(&site, &["check", "--timeout", "3"]).assert_status(2);
    waymark(&site, &["check", "--external", "--timeout", "0"]).assert_status(2);
}
