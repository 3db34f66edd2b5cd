//! The preview server: serves the last good build from memory, injects a
//! small live-reload script into HTML pages, and pushes build results to
//! open tabs over WebSockets (not Server-Sent Events: browsers allow six
//! HTTP connections per host, so a seventh tab would hang). No async
//! runtime: a few worker threads, and one thread per open tab.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tiny_http::{Header, Request, Response, Server, StatusCode};
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
    files: RwLock<Arc<Files>>,
    /// The site root, resolved, so copied files served from the sources can
    /// be checked to lie inside it (a symlink out is refused).
    root: PathBuf,
    /// The latest `hello` message (JSON): build id and errors, for tabs that connect now.
    status: Mutex<String>,
    /// The id of the latest build, stamped into every page served, so a tab
    /// that loaded a page just before a rebuild notices it missed one.
    build: Mutex<String>,
    clients: Mutex<Vec<Sender<String>>>,
}

impl Shared {
    pub fn new(root: &Path) -> Arc<Shared> {
        Arc::new(Shared {
            files: RwLock::new(Arc::new(Files::new())),
            root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            status: Mutex::new(String::new()),
            build: Mutex::new(String::new()),
            clients: Mutex::new(Vec::new()),
        })
    }

    pub fn publish(&self, files: Arc<Files>) {
        *self.files.write().unwrap_or_else(|p| p.into_inner()) = files;
    }

    /// Sends a message (JSON) to every open tab and remembers the state for
    /// tabs that connect later. Tabs that went away are dropped here.
    pub fn broadcast(&self, build: &str, message: &str, hello: String) {
        *self.build.lock().unwrap_or_else(|p| p.into_inner()) = build.to_owned();
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = hello;
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients.retain(|client| client.send(message.to_owned()).is_ok());
    }

    fn subscribe(&self) -> (Receiver<String>, String) {
        let (tx, rx) = channel();
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).push(tx);
        let hello = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (rx, hello)
    }

    fn files(&self) -> Arc<Files> {
        self.files.read().unwrap_or_else(|p| p.into_inner()).clone()
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

/// Starts serving on `listener` in background threads.
pub fn start(listener: TcpListener, shared: Arc<Shared>) -> Result<(), String> {
    let server = Arc::new(Server::from_listener(listener, None).map_err(|e| format!("cannot start the server: {e}"))?);
    for _ in 0..WORKERS {
        let server = server.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            while let Ok(request) = server.recv() {
                // A client that hangs up mid-response is not our problem.
                let _ = handle(request, &shared);
            }
        });
    }
    Ok(())
}

fn handle(request: Request, shared: &Arc<Shared>) -> io::Result<()> {
    let method = request.method().as_str().to_owned();
    if method != "GET" && method != "HEAD" {
        return request.respond(Response::from_string("only GET and HEAD are served").with_status_code(405));
    }
    let url = request.url().to_owned();
    let raw_path = url.split(['?', '#']).next().unwrap_or("/");
    if raw_path == SOCKET_PATH {
        return open_socket(request, shared);
    }
    if raw_path == SCRIPT_PATH {
        return request.respond(with_type(
            Response::from_string(LIVE_SCRIPT),
            "text/javascript; charset=utf-8",
        ));
    }
    let Some(key) = site_key(raw_path) else {
        return request.respond(Response::from_string("bad request").with_status_code(400));
    };
    let files = shared.files();
    let lookup = |key: &str| -> Option<(String, Stored)> {
        let file = if key.is_empty() || key.ends_with('/') {
            format!("{key}index.html")
        } else {
            key.to_owned()
        };
        files.get(&file).map(|stored| (file, stored.clone()))
    };
    match lookup(&key) {
        Some((file, stored)) => respond(request, shared, &file, &stored, 200),
        None if lookup(&format!("{key}/")).is_some() => {
            let location = format!("{raw_path}/");
            let header = Header::from_bytes("Location", location.as_bytes()).expect("ASCII header");
            request.respond(Response::empty(301).with_header(header))
        }
        None => match lookup("404.html") {
            Some((file, stored)) => respond(request, shared, &file, &stored, 404),
            None => request.respond(Response::from_string("not found").with_status_code(404)),
        },
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

fn respond(request: Request, shared: &Shared, file: &str, stored: &Stored, status: u16) -> io::Result<()> {
    let content_type = content_type(file);
    let bytes: Vec<u8> = match stored {
        Stored::Bytes { data, .. } => data.to_vec(),
        Stored::Copy { source, .. } => match read_inside(&shared.root, source) {
            Some(bytes) => bytes,
            None => return request.respond(Response::from_string("not found").with_status_code(404)),
        },
        Stored::Hash(_) => return request.respond(Response::from_string("not kept in memory").with_status_code(500)),
    };
    let body = if content_type.starts_with("text/html") {
        let build = shared.build.lock().unwrap_or_else(|p| p.into_inner()).clone();
        inject_script(bytes, &build)
    } else {
        bytes
    };
    let response = with_type(Response::from_data(body), content_type)
        .with_status_code(StatusCode(status))
        .with_header(Header::from_bytes("Cache-Control", "no-store").expect("ASCII header"));
    request.respond(response)
}

/// Reads a source file only if it really lies inside the site.
fn read_inside(root: &Path, source: &Path) -> Option<Vec<u8>> {
    let real = std::fs::canonicalize(source).ok()?;
    if !real.starts_with(root) {
        return None;
    }
    std::fs::read(real).ok()
}

fn inject_script(mut html: Vec<u8>, build: &str) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" data-build=\"{build}\"></script>");
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    html.splice(at..at, tag.into_bytes());
    html
}

fn with_type<R: io::Read>(response: Response<R>, content_type: &str) -> Response<R> {
    response.with_header(Header::from_bytes("Content-Type", content_type.as_bytes()).expect("ASCII header"))
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

/// Upgrades a request to a WebSocket and gives it its own thread, which
/// sends the current state at once, then every build, until the tab goes.
fn open_socket(request: Request, shared: &Arc<Shared>) -> io::Result<()> {
    let key = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Sec-WebSocket-Key"))
        .map(|h| h.value.as_str().to_owned());
    let Some(key) = key else {
        return request.respond(Response::from_string("a WebSocket upgrade was expected").with_status_code(400));
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let response = Response::empty(101)
        .with_header(Header::from_bytes("Upgrade", "websocket").expect("ASCII header"))
        .with_header(Header::from_bytes("Connection", "Upgrade").expect("ASCII header"))
        .with_header(Header::from_bytes("Sec-WebSocket-Accept", accept.as_bytes()).expect("ASCII header"));
    let stream = request.upgrade("websocket", response);
    let shared = shared.clone();
    std::thread::spawn(move || {
        let mut socket = WebSocket::from_raw_socket(stream, Role::Server, None);
        let (messages, hello) = shared.subscribe();
        // Ends when a send fails: the tab was closed or reloaded.
        let mut send = |message: Message| socket.send(message).is_ok();
        if !send(Message::text(hello)) {
            return;
        }
        loop {
            let ok = match messages.recv_timeout(KEEPALIVE) {
                Ok(text) => send(Message::text(text)),
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
    fn script_goes_before_the_last_body_end() {
        let html = inject_script(b"<p>x</p></BODY></html>".to_vec(), "b-1");
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.starts_with("<p>x</p><script src=\"/__waymark/live.js\" data-build=\"b-1\"></script></BODY>"),
            "{html}"
        );
    }
}
