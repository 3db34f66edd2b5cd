//! `waymark serve` and `waymark watch`: live reload in a real browser,
//! what the server answers, and incremental rebuilds on disk.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestSite, browser_dir, repo, require_browser};

/// Tests here start servers and browsers; run them one at a time, so a port
/// one test frees (to restart its server) cannot be taken by another, and
/// two browsers do not compete for two cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A `waymark` child process, killed when dropped, with its stderr
/// collected as it runs.
struct Running {
    child: Child,
    port: u16,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(dir: &Path, args: &[&str]) -> Running {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start waymark");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Running { child, port: 0, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// `waymark serve` on a port of the system's choosing (`--port 0`), read
/// back from what it prints: tests running side by side never collide.
fn serve(dir: &Path) -> Running {
    serve_on(dir, 0)
}

fn serve_on(dir: &Path, port: u16) -> Running {
    let mut running = Running::start(dir, &["serve", "--port", &port.to_string()]);
    wait_until(Duration::from_secs(60), || {
        running.log().contains(" at http://127.0.0.1:")
    });
    let log = running.log();
    let url = log.split(" at http://127.0.0.1:").nth(1).unwrap();
    running.port = url.split('/').next().unwrap().parse().unwrap();
    wait_until(Duration::from_secs(30), || {
        get(running.port, "/").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
    });
    running
}

fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A raw GET, so the path reaches the server exactly as written.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(String::from_utf8_lossy(&response).into_owned())
}

fn copy_builtin_site(site: &TestSite) {
    for dir in ["content", "static", "templates"] {
        copy_dir(&repo().join(dir), &site.path(dir));
    }
    std::fs::copy(repo().join("site.yaml"), site.path("site.yaml")).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn live_reload_in_a_real_browser() {
    let _serial = serial();
    if !require_browser() {
        return;
    }
    let site = TestSite::empty();
    copy_builtin_site(&site);
    let server = serve(site.root());
    let out = Command::new("node")
        .arg(browser_dir().join("live.mjs"))
        .arg(format!("http://127.0.0.1:{}/", server.port))
        .arg(site.root())
        .arg("content/roadmaps/machine-learning/phases/01-mathematics.yaml")
        .arg("roadmaps/machine-learning/mathematics/linear-algebra/")
        .arg("Linear Algebra")
        .output()
        .expect("run node");
    let log = server.log();
    drop(server);
    assert!(
        out.status.success(),
        "live.mjs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["failure"],
        serde_json::Value::Null,
        "{report:#}\nserver log:\n{log}"
    );
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(
        report["morphMismatches"],
        serde_json::json!([]),
        "updating random trees to others gives the others"
    );
    assert_eq!(report["initialTitle"], "Linear Algebra");
    assert_eq!(report["editedTitle"], "Linear Algebra (edited live)");
    assert_eq!(
        report["crowdReplaced"], "7 of 7",
        "many tabs on the edited page at once"
    );
    assert_eq!(
        report["replacedInPlace"], true,
        "the edited page is replaced, not reloaded"
    );
    assert_eq!(
        report["updatedInPlace"],
        serde_json::json!({"headerKept": true, "typedKept": "typed", "listenedFooterMadeAnew": true}),
        "what did not change stays, unless a listener no swap removes is on it"
    );
    let scripts = serde_json::json!({"themeToggles": 1, "searchShown": true, "statusGroups": 1, "favicons": 1});
    assert_eq!(report["scriptsBefore"], scripts);
    assert_eq!(
        report["scriptsAfter"], scripts,
        "the theme's scripts run again, once each, on the replaced page"
    );
    assert_eq!(report["slashFocusesSearch"], true, "{report:#}");
    assert_eq!(report["otherTabKept"], true, "the home page does not show topic titles");
    let overlay = report["overlayText"].as_str().unwrap();
    assert!(
        overlay.contains("content/roadmaps/machine-learning/phases/01-mathematics.yaml:"),
        "{overlay}"
    );
    assert_eq!(report["servedWhileBroken"], true);
    assert_eq!(report["fixedTitle"], "Linear Algebra (fixed)");
    assert_eq!(report["fixReplacedInPlace"], true);
    assert_eq!(
        report["scriptsAfterFix"], scripts,
        "the theme's scripts run once each on every replacement"
    );
    assert_eq!(report["slashFocusesSearchAfterFix"], true, "{report:#}");
    assert_eq!(
        report["scriptsFetchedAgain"],
        serde_json::json!([]),
        "a replaced page runs its scripts from the texts fetched the first time"
    );
    assert_eq!(
        report["pageFetchedAgain"],
        serde_json::json!([]),
        "the server sends a tab its changed page over the live-reload socket"
    );
    assert_eq!(report["cssWithoutReload"], true);
    for step in ["edit", "break", "fix", "css", "after-close"] {
        let times = &report["steps"][step];
        assert!(
            times["paintedMs"].is_u64(),
            "the page's clock saw the {step} step: {report:#}"
        );
        eprintln!(
            "{step}: {} ms from save to painted, {} ms to the test driver",
            times["paintedMs"], times["ms"]
        );
    }
    assert_eq!(report["overviewUpdatedInPlace"], true);
    assert_eq!(
        report["updatedLikeFresh"],
        serde_json::json!({"topic": true, "overview": true}),
        "an updated page is what a fresh load shows"
    );
    assert_eq!(
        report["backgroundWaited"], true,
        "a hidden tab updates only once it is shown"
    );
    assert_eq!(report["backgroundUpdatedInPlace"], true);
    assert_eq!(
        report["backgroundPageRequests"],
        serde_json::json!([]),
        "a hidden tab keeps the page the server sent it"
    );
    assert!(log.contains("rebuilt in"), "{log}");
}

#[test]
fn requests_outside_the_site_get_no_file() {
    let _serial = serial();
    let site = TestSite::minimal();
    site.file("static/ok.txt", "inside");
    let server = serve(site.root());
    // A symlink out of the site fails the rebuild (as it fails build and
    // check); the last good site stays and the link is never served.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", site.path("static/escape.txt")).unwrap();
        wait_until(Duration::from_secs(30), || {
            server.log().contains("outside the site folder")
        });
    }
    for path in [
        "/../../etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/%2E%2E/etc/passwd",
        "//etc/passwd",
        "/static/../../../etc/passwd",
        "/escape.txt",
    ] {
        let response = get(server.port, path).unwrap_or_default();
        assert!(!response.starts_with("HTTP/1.1 200"), "{path} got: {response}");
        assert!(!response.contains("root:"), "{path} leaked a file");
    }
    let ok = get(server.port, "/ok.txt").unwrap();
    assert!(ok.starts_with("HTTP/1.1 200") && ok.ends_with("inside"), "{ok}");
}

#[test]
fn serves_pages_with_types_index_files_and_the_404_page() {
    let _serial = serial();
    let site = TestSite::minimal();
    let server = serve(site.root());
    let home = get(server.port, "/").unwrap();
    assert!(home.contains("Content-Type: text/html; charset=utf-8"), "{home}");
    assert!(
        home.contains("<script src=\"/__waymark/live.js\" data-build=\""),
        "{home}"
    );
    // The preview's absolute URLs point at the preview.
    assert!(
        home.contains(&format!("href=\"http://127.0.0.1:{}/\"", server.port)),
        "{home}"
    );
    let css = get(server.port, "/style.css").unwrap();
    assert!(css.contains("Content-Type: text/css"));
    let moved = get(server.port, "/roadmaps/demo").unwrap();
    assert!(
        moved.starts_with("HTTP/1.1 301") && moved.contains("Location: /roadmaps/demo/"),
        "{moved}"
    );
    let missing = get(server.port, "/no/such/page/").unwrap();
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("Page not found"),
        "{missing}"
    );
}

#[test]
fn before_a_first_good_build_every_path_waits_for_one() {
    let _serial = serial();
    let site = TestSite::minimal();
    site.file("content/articles/bad.md", "---\ntitle: [unclosed\n---\nText.\n");
    let mut server = Running::start(site.root(), &["serve", "--port", "0"]);
    wait_until(Duration::from_secs(60), || {
        server.log().contains(" at http://127.0.0.1:")
    });
    let log = server.log();
    assert!(log.contains("the site is made once they are fixed"), "{log}");
    server.port = log
        .split(" at http://127.0.0.1:")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let waiting = get(server.port, "/roadmaps/demo/").unwrap();
    assert!(waiting.starts_with("HTTP/1.1 503"), "{waiting}");
    assert!(
        waiting.contains("nothing to show yet") && waiting.contains("<script src=\"/__waymark/live.js\""),
        "{waiting}"
    );
    std::fs::remove_file(site.path("content/articles/bad.md")).unwrap();
    wait_until(Duration::from_secs(30), || {
        get(server.port, "/").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
    });
}

#[test]
fn a_port_in_use_moves_to_the_next_one_and_says_so() {
    let _serial = serial();
    let site = TestSite::minimal();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let running = serve_on(site.root(), port);
    assert_ne!(running.port, port);
    let log = running.log();
    assert!(
        log.contains(&format!(
            "port {port} is in use, so waymark serves on port {}",
            running.port
        )),
        "{log}"
    );
}

/// The output folder once `watch` has finished writing to it.
fn stable_snapshot(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut last = common::snapshot(dir);
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = common::snapshot(dir);
        if now == last {
            return now;
        }
        last = now;
    }
}

#[test]
fn watch_rewrites_only_what_changed_and_keeps_the_site_on_errors() {
    let _serial = serial();
    let site = TestSite::minimal();
    let running = Running::start(site.root(), &["watch", "--output", "out"]);
    let out = site.path("out");
    wait_until(Duration::from_secs(60), || out.join("index.html").exists());
    let about = out.join("about/index.html");
    let about_before = std::fs::metadata(&about).unwrap().modified().unwrap();
    let topic = out.join("roadmaps/demo/basics/first-topic/index.html");

    std::thread::sleep(Duration::from_millis(300));
    site.file(
        "content/roadmaps/demo/phases/01-basics.yaml",
        common::PHASE_ONE.replace("title: First topic", "title: Renamed topic"),
    );
    wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&topic).unwrap().contains("Renamed topic")
    });
    assert_eq!(
        std::fs::metadata(&about).unwrap().modified().unwrap(),
        about_before,
        "an unrelated page was rewritten"
    );

    let good = stable_snapshot(&out);
    site.file("content/roadmaps/demo/phases/01-basics.yaml", "title: [broken\n");
    std::thread::sleep(Duration::from_millis(1500));
    let after = common::snapshot(&out);
    let differ: Vec<_> = good
        .keys()
        .chain(after.keys())
        .filter(|k| good.get(*k) != after.get(*k))
        .collect();
    assert!(differ.is_empty(), "a failed rebuild changed the output: {differ:?}");

    site.file("content/roadmaps/demo/phases/01-basics.yaml", common::PHASE_ONE);
    wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&topic).unwrap().contains("First topic")
    });
    site.file("content/pages/new.md", "---\ntitle: New page\n---\nHello.\n");
    wait_until(Duration::from_secs(30), || out.join("new/index.html").exists());
    site.remove("content/pages/new.md");
    wait_until(Duration::from_secs(30), || !out.join("new/index.html").exists());

    // An editor's atomic save: write a temporary file, then rename it over.
    site.file(
        "content/pages/.about.md.tmp-123",
        "---\ntitle: Saved atomically\n---\nBody.\n",
    );
    std::fs::rename(
        site.path("content/pages/.about.md.tmp-123"),
        site.path("content/pages/about.md"),
    )
    .unwrap();
    wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&about).is_ok_and(|html| html.contains("Saved atomically"))
    });
    // A new folder is picked up.
    site.file("content/roadmaps/fresh/roadmap.yaml", "title: Fresh roadmap\n");
    wait_until(Duration::from_secs(30), || {
        out.join("roadmaps/fresh/index.html").exists()
    });
    // Swap and backup files never trigger a rebuild. (The new folder and
    // its file may have come as two rebuilds: wait until none is pending.)
    let mut rebuilds = running.log().matches("rebuilt in").count();
    loop {
        std::thread::sleep(Duration::from_millis(700));
        let now = running.log().matches("rebuilt in").count();
        if now == rebuilds {
            break;
        }
        rebuilds = now;
    }
    site.file("content/pages/.about.md.swp", "swap")
        .file("content/pages/about.md~", "backup")
        .file("content/pages/4913", "");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        running.log().matches("rebuilt in").count(),
        rebuilds,
        "{}",
        running.log()
    );
}

#[test]
fn open_tabs_reconnect_after_a_server_restart() {
    let _serial = serial();
    if !require_browser() {
        return;
    }
    use std::io::BufRead;
    let site = TestSite::minimal();
    let first = serve(site.root());
    let port = first.port;
    let mut node = Command::new("node")
        .arg(browser_dir().join("restart.mjs"))
        .arg(format!("http://127.0.0.1:{port}/roadmaps/demo/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run node");
    let mut lines = std::io::BufReader::new(node.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    drop(first);
    // A changed title proves the tab shows the new server's site.
    site.file("content/roadmaps/demo/roadmap.yaml", "title: Demo after restart\n");
    let second = serve_on(site.root(), port);
    assert_eq!(second.port, port, "the restarted server got another port");
    let report: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(node.wait().unwrap().success());
    assert_eq!(report["reconnected"], true, "{report:#}");
    assert_eq!(report["title"], "Demo after restart");
}

#[test]
fn watch_with_polling_sees_changes_too() {
    let _serial = serial();
    let site = TestSite::minimal();
    let _running = Running::start(site.root(), &["watch", "--poll", "--output", "out"]);
    let about = site.path("out/about/index.html");
    wait_until(Duration::from_secs(60), || about.exists());
    std::thread::sleep(Duration::from_millis(500));
    site.file("content/pages/about.md", "---\ntitle: About, polled\n---\nChanged.\n");
    wait_until(Duration::from_secs(30), || {
        std::fs::read_to_string(&about).is_ok_and(|html| html.contains("About, polled"))
    });
}

/// A raw request with the given head lines, answered in full.
fn raw(port: u16, head: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = stream.write_all(head.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

fn upgrade(host: &str, origin: Option<&str>) -> String {
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    format!(
        "GET /__waymark/live HTTP/1.1\r\nHost: {host}\r\n{origin}Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

#[test]
fn the_preview_answers_only_this_machine_and_its_own_pages() {
    let _serial = serial();
    let site = TestSite::minimal();
    let server = serve(site.root());
    let port = server.port;
    // DNS rebinding: a foreign host name is refused, loopback names are not.
    let foreign = raw(port, "GET / HTTP/1.1\r\nHost: attacker.example:1111\r\n\r\n");
    assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign}");
    assert!(!foreign.contains("<html"), "{foreign}");
    for host in [
        "localhost",
        &format!("127.0.0.1:{port}"),
        &format!("localhost:{port}"),
        "[::1]:1",
    ] {
        let ok = raw(port, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"));
        assert!(ok.starts_with("HTTP/1.1 200"), "{host}: {ok}");
    }
    // A live-reload socket opened by another site's page is refused.
    let host = format!("127.0.0.1:{port}");
    let cross = raw(port, &upgrade(&host, Some("https://evil.example")));
    assert!(cross.starts_with("HTTP/1.1 403"), "{cross}");
    let mut own = TcpStream::connect(("127.0.0.1", port)).unwrap();
    own.write_all(upgrade(&host, Some(&format!("http://{host}"))).as_bytes())
        .unwrap();
    let mut first = [0u8; 12];
    own.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 101");
}

#[test]
fn request_heads_and_live_clients_are_bounded() {
    let _serial = serial();
    let site = TestSite::minimal();
    let server = serve(site.root());
    let port = server.port;
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let response = raw(port, &huge);
    assert!(
        response.starts_with("HTTP/1.1 431"),
        "{}",
        &response[..response.len().min(200)]
    );

    // Live-reload clients beyond the cap get 503; pages are still served.
    let host = format!("127.0.0.1:{port}");
    let mut sockets = Vec::new();
    let mut refused = 0;
    for _ in 0..80 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.write_all(upgrade(&host, None).as_bytes()).unwrap();
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).unwrap();
        match &status {
            b"HTTP/1.1 101" => sockets.push(stream),
            b"HTTP/1.1 503" => refused += 1,
            other => panic!("unexpected {}", String::from_utf8_lossy(other)),
        }
    }
    assert_eq!((sockets.len(), refused), (64, 16));
    let page = get(port, "/").unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    // Closed tabs give their places back.
    drop(sockets);
    wait_until(Duration::from_secs(30), || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(upgrade(&host, None).as_bytes()).unwrap();
        let mut status = [0u8; 12];
        stream.read_exact(&mut status).is_ok() && &status == b"HTTP/1.1 101"
    });
}
