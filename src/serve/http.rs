//! The preview server: serves the last good build from memory, injects a
//! small live-reload script into HTML pages, and pushes build results to
//! open tabs over WebSockets (not Server-Sent Events: browsers allow six
//! HTTP connections per host, so a seventh tab would hang). No async
//! runtime: a few worker threads, and one thread per open tab, bounded.
//! Requests are parsed by httparse with a bounded head; the server answers
//! only requests for this machine (DNS rebinding) and live-reload sockets
//! opened by its own pages.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TrySendError, channel, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tungstenite::Message;
use tungstenite::protocol::{Role, WebSocket};

use super::session::{Files, Stored};

pub const SOCKET_PATH: &str = "/__waymark/live";
pub const SCRIPT_PATH: &str = "/__waymark/live.js";
const LIVE_SCRIPT: &str = include_str!("live.js");
const WORKERS: usize = 4;
const KEEPALIVE: Duration = Duration::from_secs(10);

/// What the server shares with the rebuild loop.
pub struct Shared {
    /// The files served: the preview's own, which each rebuild updates.
    files: RwLock<Arc<RwLock<Files>>>,
    /// The site root, resolved, so copied files served from the sources can
    /// be checked to lie inside it (a symlink out is refused).
    root: PathBuf,
    /// The latest `hello` message (JSON): build id and errors, for tabs that connect now.
    status: Mutex<String>,
    /// The id of the latest build, stamped into every page served, so a tab
    /// that loaded a page just before a rebuild notices it missed one.
    build: Mutex<String>,
    clients: Mutex<Vec<Sender<Arc<Broadcast>>>>,
    /// Open live-reload sockets.
    live: Mutex<usize>,
}

impl Shared {
    pub fn new(root: &Path) -> Arc<Shared> {
        Arc::new(Shared {
            files: RwLock::default(),
            root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            status: Mutex::new(String::new()),
            build: Mutex::new(String::new()),
            clients: Mutex::new(Vec::new()),
            live: Mutex::new(0),
        })
    }

    pub fn publish(&self, files: Arc<RwLock<Files>>) {
        *self.files.write().unwrap_or_else(|p| p.into_inner()) = files;
    }

    /// Sends a message (JSON) to every open tab, with the new HTML of its
    /// page to a tab whose page is among `pages`, and remembers the state
    /// for tabs that connect later. Tabs that went away are dropped here.
    pub fn broadcast(&self, build: &str, message: String, pages: Vec<String>, hello: String) {
        *self.build.lock().unwrap_or_else(|p| p.into_inner()) = build.to_owned();
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = hello;
        let message = Arc::new(Broadcast { text: message, pages });
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients.retain(|client| client.send(message.clone()).is_ok());
    }

    fn subscribe(&self) -> (Receiver<Arc<Broadcast>>, String) {
        let (tx, rx) = channel();
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).push(tx);
        let hello = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (rx, hello)
    }

    /// What `read` makes of the files of the last good build.
    fn read_files<T>(&self, read: impl FnOnce(&Files) -> T) -> T {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner()).clone();
        let files = files.read().unwrap_or_else(|p| p.into_inner());
        read(&files)
    }

    /// File `name` of the last good build.
    fn file(&self, name: &str) -> Option<Stored> {
        self.read_files(|files| files.get(name).cloned())
    }
}

/// Binds `bind:port`, or the next free port after it; says so when it moves.
pub fn bind(bind: IpAddr, port: u16) -> Result<(TcpListener, Option<String>), String> {
    const TRIES: u16 = 10;
    let mut last_error = None;
    for candidate in port..port.saturating_add(TRIES) {
        match TcpListener::bind(SocketAddr::new(bind, candidate)) {
            Ok(listener) => {
                let note = (candidate != port)
                    .then(|| format!("port {port} is in use, so waymark serves on port {candidate}"));
                return Ok((listener, note));
            }
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => last_error = Some(err),
            Err(err) => return Err(format!("cannot listen on {bind}:{candidate}: {err}")),
        }
    }
    Err(format!(
        "ports {port} to {} are all in use ({}); choose another with --port",
        port.saturating_add(TRIES - 1),
        last_error.map_or_else(String::new, |e| e.to_string())
    ))
}

/// The most a request head may take; larger ones get 431.
const MAX_HEAD: usize = 16 * 1024;
/// Connections waiting for a worker; beyond that, 503 at once.
const MAX_QUEUED: usize = 128;
/// Open live-reload sockets (one thread each); beyond that, 503.
const MAX_LIVE_CLIENTS: usize = 64;
/// A client that sends nothing for this long is dropped (slow clients
/// cannot hold a worker).
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts serving on `listener`: one thread accepts, a few workers answer,
/// one thread per open tab (at most [`MAX_LIVE_CLIENTS`]) pushes builds.
/// Every response closes its connection, so a worker is never held by an
/// idle keep-alive connection.
pub fn start(listener: TcpListener, shared: Arc<Shared>) -> Result<(), String> {
    let (queue, waiting) = sync_channel::<TcpStream>(MAX_QUEUED);
    let waiting = Arc::new(Mutex::new(waiting));
    for _ in 0..WORKERS {
        let waiting = waiting.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            loop {
                let next = waiting.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(stream) = next else { return };
                // A client that hangs up mid-response is not our problem.
                let _ = answer(stream, &shared);
            }
        });
    }
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            match queue.try_send(stream) {
                Ok(()) => {}
                Err(TrySendError::Full(mut stream)) => {
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    let _ = write_response(&mut stream, &Reply::text(503, "the preview server is busy"), false);
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    });
    Ok(())
}

/// A response before it is written.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_response(stream: &mut TcpStream, reply: &Reply, head_only: bool) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&reply.body);
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Reads the request head: everything up to the blank line, at most
/// [`MAX_HEAD`] bytes. `Ok(None)` when it is larger.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before the request ended",
            ));
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head[searched_from..].windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(searched_from + end + 4);
            return Ok(Some(head));
        }
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
    }
}

fn answer(mut stream: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let Some(head) = read_head(&mut stream)? else {
        return write_response(
            &mut stream,
            &Reply::text(431, "the request head is larger than 16 KB"),
            false,
        );
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return write_response(&mut stream, &Reply::text(431, "too many request headers"), false);
        }
        _ => return write_response(&mut stream, &Reply::text(400, "bad request"), false),
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::trim)
    };
    let method = request.method.unwrap_or("");
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return write_response(&mut stream, &Reply::text(405, "only GET and HEAD are served"), false);
    }
    // DNS rebinding: a web page whose host name resolves to this machine
    // must not read the preview. Only IP literals and localhost are served.
    let host = header("Host").unwrap_or("");
    if !host.is_empty() && !host_allowed(host) {
        return write_response(
            &mut stream,
            &Reply::text(
                403,
                "this preview server answers only requests for localhost or an IP address",
            ),
            head_only,
        );
    }
    let url = request.path.unwrap_or("/");
    let raw_path = url.split(['?', '#']).next().unwrap_or("/");
    if raw_path == SOCKET_PATH {
        // Another site open in the browser must not read build errors.
        let same_origin = header("Origin").is_none_or(|origin| origin.eq_ignore_ascii_case(&format!("http://{host}")));
        if !same_origin {
            return write_response(
                &mut stream,
                &Reply::text(403, "live reload is only for pages of this site"),
                false,
            );
        }
        let key = header("Sec-WebSocket-Key").map(str::to_owned);
        // The output file the tab shows, to send it its new page.
        let page = url
            .split_once("?page=")
            .and_then(|(_, page)| percent_encoding::percent_decode_str(page).decode_utf8().ok())
            .map(|page| page.into_owned());
        return open_socket(stream, key, page, shared);
    }
    let reply = if raw_path == SCRIPT_PATH {
        Reply {
            status: 200,
            headers: vec![("Content-Type", "text/javascript; charset=utf-8".into())],
            body: LIVE_SCRIPT.as_bytes().to_vec(),
        }
    } else {
        site_reply(shared, raw_path)
    };
    write_response(&mut stream, &reply, head_only)
}

/// `localhost`, `*.localhost` and IP literals, with or without a port.
fn host_allowed(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, _)) => return ip.parse::<std::net::Ipv6Addr>().is_ok(),
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

fn site_reply(shared: &Shared, raw_path: &str) -> Reply {
    let Some(key) = site_key(raw_path) else {
        return Reply::text(400, "bad request");
    };
    let lookup = |key: &str| -> Option<(String, Stored)> {
        let file = if key.is_empty() || key.ends_with('/') {
            format!("{key}index.html")
        } else {
            key.to_owned()
        };
        shared.file(&file).map(|stored| (file, stored))
    };
    match lookup(&key) {
        Some((file, stored)) => file_reply(shared, &file, &stored, 200),
        None if lookup(&format!("{key}/")).is_some() => Reply {
            status: 301,
            headers: vec![("Location", format!("{raw_path}/"))],
            body: Vec::new(),
        },
        None => match lookup("404.html") {
            Some((file, stored)) => file_reply(shared, &file, &stored, 404),
            None if shared.read_files(Files::is_empty) => no_build_yet(shared),
            None => Reply::text(404, "not found"),
        },
    }
}

/// What every path shows until a first build succeeds: a page with the
/// live-reload script, which shows the errors and loads the site once
/// they are fixed (a bare "not found" would wait for a manual reload).
fn no_build_yet(shared: &Shared) -> Reply {
    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>No build yet</title></head>\
        <body><p>The site has errors, so there is nothing to show yet. They are listed in the terminal; \
        this page loads the site as soon as they are fixed.</p></body></html>";
    Reply {
        status: 503,
        headers: vec![
            ("Content-Type", "text/html; charset=utf-8".into()),
            ("Cache-Control", "no-store".into()),
        ],
        body: with_live_script(shared, page.as_bytes().to_vec(), "index.html"),
    }
}

/// The output file a request path asks for, or `None` when the path tries
/// to leave the site (`..`, encoded or not) or is not valid UTF-8.
pub fn site_key(raw_path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw_path).decode_utf8().ok()?;
    let relative = decoded.strip_prefix('/')?;
    if relative.contains(['\\', '\0']) || relative.starts_with('/') {
        return None;
    }
    if relative.split('/').any(|segment| segment == ".." || segment == ".") {
        return None;
    }
    Some(relative.to_owned())
}

/// A page as it is served (with the live-reload script), when it is kept
/// in memory.
fn page_html(shared: &Shared, file: &str) -> Option<Vec<u8>> {
    match shared.file(file)? {
        Stored::Bytes { data, .. } => Some(with_live_script(shared, data.to_vec(), file)),
        Stored::Hash(_) | Stored::Copy { .. } => None,
    }
}

/// [`inject_script`], told the latest build.
fn with_live_script(shared: &Shared, html: Vec<u8>, file: &str) -> Vec<u8> {
    let build = shared.build.lock().unwrap_or_else(|p| p.into_inner()).clone();
    inject_script(html, &build, file)
}

fn file_reply(shared: &Shared, file: &str, stored: &Stored, status: u16) -> Reply {
    let content_type = content_type(file);
    let bytes: Vec<u8> = match stored {
        Stored::Bytes { data, .. } => data.to_vec(),
        Stored::Copy { source, .. } => match read_inside(&shared.root, source) {
            Some(bytes) => bytes,
            None => return Reply::text(404, "not found"),
        },
        Stored::Hash(_) => return Reply::text(500, "not kept in memory"),
    };
    let body = if content_type.starts_with("text/html") {
        with_live_script(shared, bytes, file)
    } else {
        bytes
    };
    Reply {
        status,
        headers: vec![
            ("Content-Type", content_type.into()),
            ("Cache-Control", "no-store".into()),
        ],
        body,
    }
}

/// Reads a source file only if it really lies inside the site.
fn read_inside(root: &Path, source: &Path) -> Option<Vec<u8>> {
    let real = std::fs::canonicalize(source).ok()?;
    if !real.starts_with(root) {
        return None;
    }
    std::fs::read(real).ok()
}

/// Adds the live-reload script, told which build and which output file
/// (`page`) the tab shows, so it reloads only when that file changes. It
/// goes at the end of `<head>`, to see every listener the body's scripts
/// add (see live.js), or else before the last `</body>`.
fn inject_script(mut html: Vec<u8>, build: &str, page: &str) -> Vec<u8> {
    let mut escaped = String::new();
    crate::markdown::escape_attr_into(page, &mut escaped);
    let page = escaped;
    let tag = format!("<script src=\"{SCRIPT_PATH}\" data-build=\"{build}\" data-page=\"{page}\"></script>");
    let at = html
        .windows(7)
        .position(|w| w.eq_ignore_ascii_case(b"</head>"))
        .or_else(|| html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>")))
        .unwrap_or(html.len());
    html.splice(at..at, tag.into_bytes());
    html
}

pub fn content_type(file: &str) -> &'static str {
    let ext = file.rsplit_once('.').map_or("", |(_, ext)| ext).to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wasm" => "application/wasm",
        "yaml" | "yml" => "application/yaml",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A message for every open tab, and the pages it says changed.
struct Broadcast {
    text: String,
    pages: Vec<String>,
}

/// Upgrades a request to a WebSocket and gives it its own thread, which
/// sends the current state at once, then every build, until the tab goes;
/// a tab that named its page (`?page=`) gets that page too when it changed.
fn open_socket(
    mut stream: TcpStream,
    key: Option<String>,
    page: Option<String>,
    shared: &Arc<Shared>,
) -> io::Result<()> {
    let Some(key) = key else {
        return write_response(
            &mut stream,
            &Reply::text(400, "a WebSocket upgrade was expected"),
            false,
        );
    };
    let Some(slot) = LiveSlot::take(shared) else {
        return write_response(
            &mut stream,
            &Reply::text(503, "too many open live-reload connections"),
            false,
        );
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let handshake = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(handshake.as_bytes())?;
    // Idle tabs are pinged, not timed out.
    stream.set_read_timeout(None)?;
    let shared = shared.clone();
    std::thread::spawn(move || {
        let _slot = slot;
        let mut socket = WebSocket::from_raw_socket(stream, Role::Server, None);
        let (messages, hello) = shared.subscribe();
        // Ends when a send fails: the tab was closed or reloaded.
        let mut send = |message: Message| socket.send(message).is_ok();
        if !send(Message::text(hello)) {
            return;
        }
        loop {
            let ok = match messages.recv_timeout(KEEPALIVE) {
                // A tab whose page changed gets the page right after, as
                // bytes (empty when it is not in memory: the tab fetches
                // it), instead of every such tab asking for it at once.
                Ok(message) => {
                    send(Message::text(message.text.as_str()))
                        && match &page {
                            Some(page) if message.pages.contains(page) => {
                                send(Message::binary(page_html(&shared, page).unwrap_or_default()))
                            }
                            _ => true,
                        }
                }
                // A ping notices a tab that went away without closing.
                Err(RecvTimeoutError::Timeout) => send(Message::Ping(Vec::new().into())),
                Err(RecvTimeoutError::Disconnected) => false,
            };
            if !ok {
                return;
            }
        }
    });
    Ok(())
}

/// One of the [`MAX_LIVE_CLIENTS`] live-reload places, given back on drop.
struct LiveSlot(Arc<Shared>);

impl LiveSlot {
    fn take(shared: &Arc<Shared>) -> Option<LiveSlot> {
        let mut live = shared.live.lock().unwrap_or_else(|p| p.into_inner());
        if *live >= MAX_LIVE_CLIENTS {
            return None;
        }
        *live += 1;
        Some(LiveSlot(shared.clone()))
    }
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut live = self.0.live.lock().unwrap_or_else(|p| p.into_inner());
        *live = live.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_cannot_leave_the_site() {
        assert_eq!(site_key("/"), Some(String::new()));
        assert_eq!(site_key("/roadmaps/ml/"), Some("roadmaps/ml/".into()));
        assert_eq!(site_key("/tags/caf%C3%A9/"), Some("tags/café/".into()));
        for bad in [
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc/passwd",
            "/a/..%2f..%2fetc",
            "//etc/passwd",
            "/a\\..\\b",
            "/x%00",
            "relative",
            "/%ff",
        ] {
            assert_eq!(site_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn script_goes_at_the_end_of_the_head() {
        let html = inject_script(
            b"<HTML><head><title>t</title></HEAD><body><pre>&lt;/head></pre></body>".to_vec(),
            "b-1",
            "index.html",
        );
        let html = String::from_utf8(html).unwrap();
        assert_eq!(
            html,
            "<HTML><head><title>t</title><script src=\"/__waymark/live.js\" data-build=\"b-1\" \
             data-page=\"index.html\"></script></HEAD><body><pre>&lt;/head></pre></body>"
        );
    }

    #[test]
    fn script_goes_before_the_last_body_end_without_a_head() {
        let html = inject_script(b"<p>x</p></BODY></html>".to_vec(), "b-1", "a&b/index.html");
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.starts_with(
                "<p>x</p><script src=\"/__waymark/live.js\" data-build=\"b-1\" data-page=\"a&amp;b/index.html\"></script></BODY>"
            ),
            "{html}"
        );
    }
}
