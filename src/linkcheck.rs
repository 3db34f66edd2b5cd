//! CHECK: every internal link of the rendered site leads to a file that
//! exists, and every `#fragment` to an id on that page. Links come from the
//! rendered HTML, so those written by hand in Markdown or in templates are
//! checked as well as `@` references.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::Mutex;

use html5gum::{Token, Tokenizer};

use crate::diag::Diagnostic;
use crate::model::BaseUrl;
use crate::output::Sink;

/// A sink that keeps, per HTML page, only its ids and its links.
pub struct LinkCheckSink {
    base_url: BaseUrl,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    files: HashSet<String>,
    pages: BTreeMap<String, Page>,
}

struct Page {
    ids: HashSet<String>,
    links: Vec<String>,
}

impl LinkCheckSink {
    pub fn new(base_url: BaseUrl) -> Self {
        LinkCheckSink {
            base_url,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every broken link, one diagnostic per distinct problem, naming the
    /// first page it is on (and its source, via `source_of`) and how many others.
    pub fn report(self, source_of: impl Fn(&str) -> Option<String>) -> Vec<Diagnostic> {
        let state = self.state.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        // One entry per distinct broken link: its problem names the resolved
        // target, or (for links that leave the site) the link as written.
        let mut problems: BTreeMap<String, (String, String, String, BTreeSet<&str>)> = BTreeMap::new();
        for (file, page) in &state.pages {
            for href in &page.links {
                if let Some(problem) = check(&state, &self.base_url, file, href) {
                    // Missing files and ids name their resolved target, so the
                    // same target linked from pages at other depths is one link.
                    let names_target = problem.starts_with("→ /");
                    let key = if names_target {
                        problem.clone()
                    } else {
                        format!("{href} {problem}")
                    };
                    problems
                        .entry(key)
                        .or_insert_with(|| (file.clone(), href.clone(), problem, BTreeSet::new()))
                        .3
                        .insert(file.as_str());
                }
            }
        }
        problems
            .into_values()
            .map(|(file, href, problem, pages)| {
                let page = page_url(&file);
                let mut diagnostic = Diagnostic::error(format!("broken link on {page}: `{href}` {problem}"));
                if let Some(source) = source_of(&file) {
                    diagnostic = diagnostic.with_path(source);
                }
                let more = pages.len() - 1;
                if more > 0 {
                    diagnostic = diagnostic.with_hint(format!("the same broken link is on {more} more page(s)"));
                }
                diagnostic
            })
            .collect()
    }
}

impl Sink for LinkCheckSink {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let file = slash(path);
        let page = (file.ends_with(".html") || file.ends_with(".htm")).then(|| scan(bytes));
        let mut state = self.lock();
        if let Some(page) = page {
            state.pages.insert(file.clone(), page);
        }
        state.files.insert(file);
        Ok(())
    }

    fn copy(&self, path: &Path, _from: &Path) -> io::Result<()> {
        self.lock().files.insert(slash(path));
        Ok(())
    }
}

fn slash(path: &Path) -> String {
    path.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn page_url(file: &str) -> String {
    format!("/{}", file.strip_suffix("index.html").unwrap_or(file))
}

/// The ids and the `href`/`src` links of one page.
fn scan(html: &[u8]) -> Page {
    let mut page = Page {
        ids: HashSet::new(),
        links: Vec::new(),
    };
    for token in Tokenizer::new(html).flatten() {
        if let Token::StartTag(tag) = token {
            for (name, value) in &tag.attributes {
                let value = String::from_utf8_lossy(value);
                match name.as_slice() {
                    b"id" => {
                        page.ids.insert(value.into_owned());
                    }
                    b"name" if tag.name.as_slice() == b"a" => {
                        page.ids.insert(value.into_owned());
                    }
                    // <link rel=canonical> and friends point at the public URL; they
                    // are checked like any other link when they fall inside base_url.
                    b"href" | b"src" => page.links.push(value.trim().to_owned()),
                    _ => {}
                }
            }
        }
    }
    page
}

/// What is wrong with a link, or `None` if it is fine or not ours to check.
fn check(state: &State, base: &BaseUrl, page: &str, href: &str) -> Option<String> {
    let target = match resolve(page, href, base) {
        Target::External => return None,
        Target::Outside(reason) => return Some(reason),
        Target::Site { path, fragment } => (path, fragment),
    };
    let (path, fragment) = target;
    let file = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else if state.files.contains(&path) {
        path.clone()
    } else {
        format!("{path}/index.html")
    };
    if !state.files.contains(&file) {
        return Some(format!("→ /{path} does not exist"));
    }
    match (fragment, state.pages.get(&file)) {
        (Some(fragment), Some(target)) if !fragment.is_empty() && fragment != "top" => {
            let decoded = percent_encoding::percent_decode_str(&fragment).decode_utf8_lossy();
            (!target.ids.contains(decoded.as_ref())).then(|| format!("→ /{path} has no element with id `{decoded}`"))
        }
        _ => None,
    }
}

enum Target {
    External,
    Outside(String),
    Site { path: String, fragment: Option<String> },
}

fn resolve(page: &str, href: &str, base: &BaseUrl) -> Target {
    let (rest, fragment) = match href.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment.to_owned())),
        None => (href, None),
    };
    let rest = rest.split('?').next().unwrap_or(rest);
    let page_dir = match page.rfind('/') {
        Some(i) => &page[..=i],
        None => "",
    };
    let joined = if rest.is_empty() {
        // "#x" or "?q": the page itself.
        return Target::Site {
            path: page.to_owned(),
            fragment,
        };
    } else if let Some(inside) = rest.strip_prefix(base.as_str()) {
        inside.to_owned()
    } else if rest.starts_with("//") || has_scheme(rest) {
        return Target::External;
    } else if let Some(absolute) = rest.strip_prefix('/') {
        match absolute.strip_prefix(base.path().trim_start_matches('/')) {
            Some(inside) => inside.to_owned(),
            None => {
                return Target::Outside(format!(
                    "→ leaves the site: it is not under the base path {}",
                    base.path()
                ));
            }
        }
    } else {
        format!("{page_dir}{rest}")
    };
    let decoded = percent_encoding::percent_decode_str(&joined).decode_utf8_lossy();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Target::Outside("→ goes above the site root".into());
                }
            }
            other => segments.push(other),
        }
    }
    // Keep a trailing slash: `a/b/` is a folder, `a/b` a file.
    let mut path = segments.join("/");
    if path.starts_with('/') {
        path.remove(0);
    }
    Target::Site { path, fragment }
}

fn has_scheme(href: &str) -> bool {
    let scheme_end = href.find(':');
    let first_slash = href.find('/').unwrap_or(href.len());
    matches!(scheme_end, Some(i) if i > 0 && i < first_slash
        && href[..i].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
}

/// Maps output files to the source files that made them, for messages.
pub type SourceIndex = HashMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    fn sink_with(pages: &[(&str, &str)]) -> LinkCheckSink {
        let sink = LinkCheckSink::new(BaseUrl::parse("https://example.org/sub/").unwrap());
        for (path, html) in pages {
            sink.write(Path::new(path), html.as_bytes()).unwrap();
        }
        sink
    }

    fn problems(sink: LinkCheckSink) -> Vec<String> {
        sink.report(|_| None).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn good_links_pass() {
        let sink = sink_with(&[
            (
                "index.html",
                r##"<a href="./a/">a</a><a href="a/#x">x</a><a href="#top">t</a><a href="https://elsewhere.org/">e</a><a href="mailto:a@b">m</a><a href="https://example.org/sub/a/">abs</a><a href="/sub/style.css">s</a>"##,
            ),
            (
                "a/index.html",
                r##"<h2 id="x">X</h2><a href="../">home</a><a href="../caf%C3%A9/">c</a>"##,
            ),
            ("café/index.html", ""),
            ("style.css", "body{}"),
        ]);
        assert_eq!(problems(sink), Vec::<String>::new());
    }

    #[test]
    fn broken_links_and_fragments_are_reported_once() {
        let sink = sink_with(&[
            (
                "index.html",
                r##"<a href="missing/">m</a><a href="a/#nope">f</a><a href="/elsewhere/">o</a><a href="../../x">u</a>"##,
            ),
            ("a/index.html", r##"<a href="../missing/">m</a>"##),
        ]);
        let found = problems(sink);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found.iter().any(|m| m.contains("/missing/ does not exist")));
        assert!(found.iter().any(|m| m.contains("no element with id `nope`")));
        assert!(found.iter().any(|m| m.contains("not under the base path /sub/")));
        assert!(found.iter().any(|m| m.contains("above the site root")));
    }
}
