//! Where things live in the built site, and the URLs that reach them.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// A place in the built site, relative to its root and without a leading
/// slash: `""` (home), `"roadmaps/ml/"` (a pretty URL: a folder with an
/// `index.html`), or `"sitemap.xml"` (a file).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SitePath(String);

impl SitePath {
    pub fn home() -> Self {
        SitePath(String::new())
    }

    /// A pretty-URL page made of path segments: `["roadmaps", "ml"]` → `roadmaps/ml/`.
    pub fn page<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> Self {
        let mut path = String::with_capacity(48);
        for segment in segments {
            path.push_str(segment.as_ref());
            path.push('/');
        }
        SitePath(path)
    }

    /// A file at a relative path (`roadmaps/ml/roadmap.json`, `images/a.png`).
    pub fn file(relative: impl Into<String>) -> Self {
        let path: String = relative.into();
        SitePath(path.trim_start_matches('/').to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a page (served as `…/index.html`) rather than a file.
    pub fn is_page(&self) -> bool {
        self.0.is_empty() || self.0.ends_with('/')
    }

    /// The file to write, relative to the output folder.
    pub fn output_file(&self) -> PathBuf {
        if self.is_page() {
            PathBuf::from(format!("{}index.html", self.0))
        } else {
            PathBuf::from(&self.0)
        }
    }

    /// The relative prefix that leads from this page back to the site root:
    /// `./` at the top, `../../` two folders down. Links made with it keep
    /// working when the site is served under a sub-path or opened from disk.
    pub fn root_prefix(&self) -> String {
        let depth = self.0.matches('/').count();
        if depth == 0 {
            "./".to_owned()
        } else {
            "../".repeat(depth)
        }
    }
}

impl fmt::Display for SitePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.0)
    }
}

/// The site's public address, always ending in `/`, possibly with a path
/// (`https://example.org/ml/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        match rest {
            Some(rest)
                if !rest.is_empty() && !rest.starts_with('/') && !rest.contains(['?', '#', ' ', '"', '<', '>']) =>
            {
                let mut url = trimmed.to_owned();
                if !url.ends_with('/') {
                    url.push('/');
                }
                Ok(BaseUrl(url))
            }
            _ => Err(format!(
                "`{trimmed}` is not a base URL: write an absolute http(s) address such as https://example.org/ or https://example.org/docs/"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The absolute URL of a place in the site.
    pub fn permalink(&self, path: &SitePath) -> String {
        let mut url = self.0.clone();
        encode_path_into(path.as_str(), &mut url);
        url
    }

    /// The path part of the base URL (`/ml/`), for server-relative links.
    pub fn path(&self) -> &str {
        let after_scheme = self.0.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encodes what may not stand raw in a URL path (spaces, non-ASCII),
/// leaving `/` and already-safe characters alone.
fn encode_path_into(path: &str, out: &mut String) {
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@%".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_files() {
        let page = SitePath::page(["roadmaps", "ml"]);
        assert_eq!(page.as_str(), "roadmaps/ml/");
        assert_eq!(page.output_file(), PathBuf::from("roadmaps/ml/index.html"));
        assert_eq!(page.root_prefix(), "../../");
        assert_eq!(SitePath::home().output_file(), PathBuf::from("index.html"));
        assert_eq!(SitePath::home().root_prefix(), "./");
        let file = SitePath::file("roadmaps/ml/roadmap.json");
        assert!(!file.is_page());
        assert_eq!(file.root_prefix(), "../../");
    }

    #[test]
    fn base_urls() {
        let base = BaseUrl::parse("https://example.org/sub").unwrap();
        assert_eq!(base.as_str(), "https://example.org/sub/");
        assert_eq!(base.path(), "/sub/");
        assert_eq!(
            base.permalink(&SitePath::page(["tags", "café"])),
            "https://example.org/sub/tags/caf%C3%A9/"
        );
        assert_eq!(BaseUrl::parse("http://127.0.0.1:1111").unwrap().path(), "/");
        assert!(BaseUrl::parse("example.org").is_err());
        assert!(BaseUrl::parse("https:///x").is_err());
    }
}
