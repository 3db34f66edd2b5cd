//! Markdown → HTML, once per text. A text is parsed a single time into HTML
//! in which every link that depends on the page it lands on (`@` references
//! and root-relative `/…` links) is a placeholder; [`Markdown::html_for`]
//! fills the placeholders for a page. So the same topic summary can appear on
//! a phase page, a topic page and a feed without being parsed again.

mod cache;
mod highlight;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

pub use cache::{Cache, Text};
pub use highlight::{save_cache, stylesheet as highlight_stylesheet, theme_names, use_cache};

/// How to parse one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep raw HTML (authors are trusted); `false` escapes it.
    pub allow_html: bool,
    /// Prefix for heading and footnote ids, so those of several YAML fields
    /// shown on one page cannot collide (`linear-algebra-` + `notes`).
    pub id_prefix: Option<String>,
    /// The text is a page's whole body: its headings must not take the ids
    /// the page template uses ([`PAGE_IDS`]).
    pub page_body: bool,
}

/// Ids the built-in page templates give their own elements.
pub const PAGE_IDS: &[&str] = &["main", "search-input", "search-results", "referenced-by"];

/// A link whose target depends on the site: `@…` references and `/…` paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLink {
    /// The destination as written, without `@` for references.
    pub dest: String,
    pub is_reference: bool,
    /// Where the link is in the text (bytes), for error messages.
    pub range: Range<usize>,
    /// Whether the text shows the target's title (an `@` link without text).
    pub shows_title: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A problem found while parsing, at a byte range of the text.
#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub range: Range<usize>,
}

/// A parsed text whose links are not resolved yet. The HTML is shared, so
/// a cached parse costs nothing to reuse.
#[derive(Debug, Clone)]
pub struct Parsed {
    html: Arc<str>,
    code: Arc<[highlight::Packed]>,
    /// A hash of `html`, `code` and `headings`, taken once when parsed.
    content_digest: u64,
    pub links: Vec<RawLink>,
    pub headings: Arc<[Heading]>,
    pub words: usize,
    pub excerpt: Arc<str>,
    derived: Arc<OnceLock<Derived>>,
    pub warnings: Vec<Problem>,
    /// Problems that fail the build (links with a script scheme on sites
    /// that do not trust raw HTML).
    pub errors: Vec<Problem>,
}

/// Where a resolved link points: a path in the site (with a fragment, if
/// any), as it follows the root prefix, and the target's title for empty link text.
/// Shared: a large site's links name a few hundred targets, each many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    pub href: Arc<str>,
    pub title: Arc<str>,
}

/// A parsed text with its links resolved, ready to render on any page.
#[derive(Debug, Clone)]
pub struct Markdown {
    html: Arc<str>,
    /// Highlighted code blocks, in the HTML as placeholders until rendered.
    code: Arc<[highlight::Packed]>,
    links: Vec<LinkTarget>,
    /// A hash of the HTML, code and links: all but the root of [`Markdown::html_for`].
    digest: u64,
    /// Shared with the parse, which the preview keeps: resolving a text
    /// again copies none of it.
    pub headings: Arc<[Heading]>,
    pub words: usize,
    pub excerpt: Arc<str>,
    /// Shared with the parse, and so kept from one preview rebuild to the
    /// next while the text stays the same.
    derived: Arc<OnceLock<Derived>>,
}

/// A text made from a parse's headings and excerpt, and `from`.
#[derive(Debug)]
struct Derived {
    from: Box<str>,
    text: Box<str>,
}

const PLACEHOLDER: char = '\0';
const HREF: char = 'h';
const TITLE: char = 't';
const CODE: char = 'c';
const EXCERPT_CHARS: usize = 300;
/// Fence languages that mean "no highlighting, please".
const PLAIN_LANGUAGES: &[&str] = &["text", "txt", "plain", "plaintext", "none", "output", "console-output"];

impl Parsed {
    /// Whether `other` has the same links, in the same order, written the
    /// same way; only where they sit in the text may differ.
    pub fn links_like(&self, other: &Parsed) -> bool {
        self.links.len() == other.links.len()
            && self
                .links
                .iter()
                .zip(&other.links)
                .all(|(a, b)| a.dest == b.dest && a.is_reference == b.is_reference && a.shows_title == b.shows_title)
    }

    /// Attaches the resolved targets, one per entry of [`Parsed::links`], in order.
    pub fn resolve(&self, links: Vec<LinkTarget>) -> Markdown {
        debug_assert_eq!(links.len(), self.links.len());
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&self.content_digest.to_le_bytes());
        // A title the text does not show changes nothing: renaming a topic
        // must not re-render every page that links to it with its own words.
        for (link, raw) in links.iter().zip(&self.links) {
            hasher.update(&(link.href.len() as u64).to_le_bytes());
            hasher.update(link.href.as_bytes());
            if raw.shows_title {
                hasher.update(&(link.title.len() as u64).to_le_bytes());
                hasher.update(link.title.as_bytes());
            }
        }
        Markdown {
            html: Arc::clone(&self.html),
            code: Arc::clone(&self.code),
            digest: hasher.digest(),
            links,
            headings: self.headings.clone(),
            words: self.words,
            excerpt: self.excerpt.clone(),
            derived: Arc::clone(&self.derived),
        }
    }
}

impl Markdown {
    /// `parsed`, a new version of this text whose links are
    /// [`Parsed::links_like`] this one's: resolved to the same targets.
    pub fn relinked(&self, parsed: &Parsed) -> Markdown {
        parsed.resolve(self.links.clone())
    }

    /// `make()`, a text made from this text's headings and excerpt and
    /// from `from` alone, made once per parse while `from` stays the same:
    /// the search index takes every document's on every preview rebuild.
    /// A parse keeps one such text, so only the search index asks for it.
    pub fn derived(&self, from: &str, make: impl FnOnce() -> String) -> Cow<'_, str> {
        let made = match self.derived.get() {
            Some(kept) if *kept.from == *from => return Cow::Borrowed(&kept.text),
            Some(_) => return Cow::Owned(make()),
            None => make(),
        };
        let made = Derived {
            from: from.into(),
            text: made.into(),
        };
        match self.derived.set(made) {
            Ok(()) => Cow::Borrowed(&self.derived.get().expect("set just now").text),
            // Made at the same time on another thread, perhaps from another `from`.
            Err(ours) => Cow::Owned(ours.text.into()),
        }
    }

    /// A digest of what [`Markdown::html_for`] would make for `root`,
    /// without making it: the preview compares pages by such digests.
    pub fn digest(&self, root: &str) -> u64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&self.digest.to_le_bytes());
        hasher.update(root.as_bytes());
        hasher.digest()
    }

    /// The HTML for a page whose way back to the site root is `root`
    /// (`../../`, or the absolute base URL for feeds and the 404 page).
    pub fn html_for(&self, root: &str) -> String {
        if self.links.is_empty() && self.code.is_empty() {
            return self.html.to_string();
        }
        let mut out = String::with_capacity(self.html.len() + self.links.len() * 32 + self.code.len() * 4096);
        let mut rest: &str = &self.html;
        while let Some(start) = rest.find(PLACEHOLDER) {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after.find(PLACEHOLDER).expect("placeholders come in pairs");
            let (kind, index) = after[..end].split_at(1);
            let index = index.parse::<usize>().expect("placeholder index");
            if kind.starts_with(CODE) {
                self.code[index].unpack_into(&mut out);
                rest = &after[end + 1..];
                continue;
            }
            let target = &self.links[index];
            match kind.chars().next() {
                Some(HREF) => {
                    escape_attr_into(root, &mut out);
                    escape_attr_into(&target.href, &mut out);
                }
                _ => escape_text_into(&target.title, &mut out),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// GitHub-style slug of a heading or tag: lowercase, spaces to `-`,
/// punctuation other than `-` and `_` dropped.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            slug.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            slug.push('-');
        }
    }
    slug
}

/// The extensions every text is parsed with (the outside-link check too).
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Parses a Markdown text once. Never fails: odd input is still Markdown.
pub fn parse(text: &str, opts: &ParseOptions) -> Parsed {
    // Placeholders are delimited by NUL, which CommonMark replaces anyway;
    // doing it first makes the delimiter impossible in author text.
    let nuls: Vec<usize> = memchr::memchr_iter(0, text.as_bytes()).collect();
    let text: Cow<str> = if nuls.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    };
    let mut state = State {
        opts,
        links: Vec::new(),
        headings: Vec::new(),
        ids: HashMap::new(),
        words: 0,
        excerpt: String::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
        awaiting_text: None,
        image: None,
        dropped_link: false,
        dropped_image: None,
        footnotes: HashMap::new(),
        code: Vec::new(),
    };
    if opts.page_body {
        for id in PAGE_IDS {
            state.ids.insert((*id).to_owned(), 1);
        }
    }
    let mut events: Vec<Event> = Vec::new();
    let mut parser = Parser::new_ext(&text, options()).into_offset_iter();

    while let Some((event, range)) = parser.next() {
        match event {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let mut inner = Vec::new();
                let mut plain = String::new();
                for (event, range) in parser.by_ref() {
                    match event {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(ref t) | Event::Code(ref t) => plain.push_str(t),
                        _ => {}
                    }
                    inner.push((event, range));
                }
                state.count(&plain);
                let id = state.heading_id(id.as_deref(), &plain);
                let mut open = format!("<{} id=\"", level);
                escape_attr_into(&id, &mut open);
                open.push('"');
                if !classes.is_empty() {
                    open.push_str(" class=\"");
                    escape_attr_into(&classes.join(" "), &mut open);
                    open.push('"');
                }
                for (name, value) in attrs {
                    let _ = write!(open, " {}=\"", sanitize_attr_name(&name));
                    escape_attr_into(value.as_deref().unwrap_or(""), &mut open);
                    open.push('"');
                }
                open.push('>');
                state.headings.push(Heading {
                    level: heading_level(level),
                    id,
                    text: plain,
                });
                events.push(Event::Html(open.into()));
                state.rewrite_links(inner, &mut events, &text);
                events.push(Event::Html(format!("</{level}>\n").into()));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let mut code = String::new();
                for (event, _) in parser.by_ref() {
                    match event {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                events.push(Event::Html(state.code_block(&code, &language, range).into()));
            }
            other => state.rewrite_links(vec![(other, range)], &mut events, &text),
        }
    }

    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    // Positions found in the text as parsed point into the author's text.
    if !nuls.is_empty() {
        let original = |offset: usize| original_offset(&nuls, offset);
        for range in state.links.iter_mut().map(|l| &mut l.range).chain(
            state
                .warnings
                .iter_mut()
                .chain(state.errors.iter_mut())
                .map(|p| &mut p.range),
        ) {
            *range = original(range.start)..original(range.end);
        }
    }
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&(html.len() as u64).to_le_bytes());
    hasher.update(html.as_bytes());
    for code in &state.code {
        code.feed(&mut hasher);
    }
    // Contexts that show the headings beside the HTML leave them out of
    // fingerprints (render's `Toc`): the digest holds them.
    for heading in &state.headings {
        hasher.update(&[heading.level]);
        for part in [&heading.id, &heading.text] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    }
    Parsed {
        content_digest: hasher.digest(),
        html: html.into(),
        code: state.code.into(),
        links: state.links,
        headings: state.headings.into(),
        words: state.words,
        excerpt: state.excerpt.trim().into(),
        derived: Arc::default(),
        warnings: state.warnings,
        errors: state.errors,
    }
}

/// Maps an offset of the text as parsed, where each NUL (at `nuls` of the
/// original) became the 3-byte U+FFFD, back to the original text.
fn original_offset(nuls: &[usize], parsed: usize) -> usize {
    let mut shift = 0;
    for &nul in nuls {
        // The NUL's replacement spans nul+shift .. nul+shift+3.
        let start = nul + shift;
        if parsed <= start {
            break;
        }
        if parsed < start + 3 {
            return nul;
        }
        shift += 2;
    }
    parsed - shift
}

struct State<'o> {
    opts: &'o ParseOptions,
    links: Vec<RawLink>,
    headings: Vec<Heading>,
    ids: HashMap<String, usize>,
    words: usize,
    excerpt: String,
    warnings: Vec<Problem>,
    errors: Vec<Problem>,
    /// A site link just opened; if it closes at once, it gets the target's title.
    awaiting_text: Option<usize>,
    /// An image with a site path whose alt text is being collected.
    image: Option<PendingImage>,
    /// A link with a refused scheme is open: its text stays, the link goes.
    dropped_link: bool,
    /// An image with a refused scheme: its alt text is shown instead.
    dropped_image: Option<String>,
    /// Footnote name → its number, in order of first appearance.
    footnotes: HashMap<String, usize>,
    /// Highlighted code blocks, by the index of their placeholder.
    code: Vec<highlight::Packed>,
}

struct PendingImage {
    index: usize,
    title: String,
    alt: String,
}

impl State<'_> {
    fn count(&mut self, text: &str) {
        self.words += text.split_whitespace().count();
        if self.excerpt.len() < EXCERPT_CHARS {
            if !self.excerpt.is_empty() && !self.excerpt.ends_with(' ') {
                self.excerpt.push(' ');
            }
            let room = EXCERPT_CHARS - self.excerpt.len();
            let mut cut = text.len().min(room);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.excerpt.push_str(text[..cut].trim_start());
        }
    }

    fn heading_id(&mut self, custom: Option<&str>, text: &str) -> String {
        let base = match custom {
            Some(id) => id.to_owned(),
            None => {
                let slug = slugify(text);
                let slug = if slug.is_empty() { "section".to_owned() } else { slug };
                match &self.opts.id_prefix {
                    Some(prefix) => format!("{prefix}{slug}"),
                    None => slug,
                }
            }
        };
        let seen = self.ids.entry(base.clone()).or_insert(0);
        let id = if *seen == 0 { base } else { format!("{base}-{seen}") };
        *seen += 1;
        id
    }

    fn code_block(&mut self, code: &str, language: &str, range: Range<usize>) -> String {
        self.words += code.split_whitespace().count();
        let mut out = String::with_capacity(code.len() * 2 + 64);
        if language.is_empty() || PLAIN_LANGUAGES.contains(&language.to_ascii_lowercase().as_str()) {
            out.push_str("<pre class=\"code\" tabindex=\"0\"><code>");
            escape_text_into(code, &mut out);
        } else {
            let lang_attr = {
                let mut s = String::new();
                escape_attr_into(language, &mut s);
                s
            };
            let _ = write!(
                out,
                "<pre class=\"code hl-code\" data-lang=\"{lang_attr}\" tabindex=\"0\"><code class=\"language-{lang_attr}\">"
            );
            match highlight::highlight(code, language) {
                Some(packed) => {
                    let _ = write!(out, "{PLACEHOLDER}{CODE}{}{PLACEHOLDER}", self.code.len());
                    self.code.push(packed);
                }
                None => {
                    self.warnings.push(Problem {
                        message: format!("no highlighting for language `{language}`; the code is shown as plain text"),
                        range,
                    });
                    escape_text_into(code, &mut out);
                }
            }
        }
        out.push_str("</code></pre>\n");
        out
    }

    /// Passes events through, turning site links into placeholders, task
    /// list markers into labelled checkboxes, and (if asked) raw HTML into text.
    fn rewrite_links<'a>(&mut self, events: Vec<(Event<'a>, Range<usize>)>, out: &mut Vec<Event<'a>>, text: &str) {
        for (event, range) in events {
            // An `@` link with no text gets the target's title.
            if let Some(index) = self.awaiting_text.take() {
                if matches!(event, Event::End(TagEnd::Link)) {
                    self.links[index].shows_title = true;
                    out.push(Event::Html(format!("{PLACEHOLDER}{TITLE}{index}{PLACEHOLDER}").into()));
                }
            }
            // Inside an image with a site path, text is its alt text.
            if let Some(image) = &mut self.image {
                match event {
                    Event::End(TagEnd::Image) => {
                        let image = self.image.take().expect("in an image");
                        let mut tag = format!("<img src=\"{PLACEHOLDER}{HREF}{}{PLACEHOLDER}\" alt=\"", image.index);
                        escape_attr_into(&image.alt, &mut tag);
                        tag.push('"');
                        if !image.title.is_empty() {
                            tag.push_str(" title=\"");
                            escape_attr_into(&image.title, &mut tag);
                            tag.push('"');
                        }
                        tag.push('>');
                        out.push(Event::Html(tag.into()));
                    }
                    Event::Text(t) | Event::Code(t) => image.alt.push_str(&t),
                    _ => {}
                }
                continue;
            }
            if let Some(alt) = &mut self.dropped_image {
                match event {
                    Event::End(TagEnd::Image) => {
                        let alt = self.dropped_image.take().unwrap_or_default();
                        out.push(Event::Text(alt.into()));
                    }
                    Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Start(Tag::Link { ref dest_url, .. }) | Event::Start(Tag::Image { ref dest_url, .. })
                    if !self.opts.allow_html && !is_site_link(dest_url) && !is_safe_url(dest_url) =>
                {
                    let scheme = url_scheme(dest_url).unwrap_or_default();
                    let inside = text.get(range.clone()).unwrap_or("");
                    // The scheme as written; entity-encoded, from the
                    // destination's start to its colon.
                    let (start, end) = match inside.to_ascii_lowercase().find(&format!("{scheme}:")) {
                        Some(i) => (range.start + i, range.start + i + scheme.len() + 1),
                        None => {
                            let dest = inside.find("](").map_or(0, |i| i + 2);
                            let colon = inside[dest..].find(':').map_or(dest, |i| dest + i + 1);
                            (range.start + dest, range.start + colon)
                        }
                    };
                    self.errors.push(Problem {
                        message: format!(
                            "a link with the `{scheme}:` scheme: this site does not trust raw HTML (markdown.allow_html: false), so only http, https, mailto, relative and `@` links are allowed"
                        ),
                        range: start..end,
                    });
                    if matches!(event, Event::Start(Tag::Image { .. })) {
                        self.dropped_image = Some(String::new());
                    } else {
                        self.dropped_link = true;
                    }
                }
                Event::End(TagEnd::Link) if self.dropped_link => self.dropped_link = false,
                Event::Start(Tag::Link { dest_url, title, .. }) if is_site_link(&dest_url) => {
                    let index = self.push_link(&dest_url, range, text);
                    let mut open = format!("<a href=\"{PLACEHOLDER}{HREF}{index}{PLACEHOLDER}\"");
                    if !title.is_empty() {
                        open.push_str(" title=\"");
                        escape_attr_into(&title, &mut open);
                        open.push('"');
                    }
                    open.push('>');
                    out.push(Event::Html(open.into()));
                    self.awaiting_text = Some(index);
                }
                Event::Start(Tag::Image { dest_url, title, .. }) if is_site_link(&dest_url) => {
                    let index = self.push_link(&dest_url, range, text);
                    self.image = Some(PendingImage {
                        index,
                        title: title.to_string(),
                        alt: String::new(),
                    });
                }
                Event::Text(ref t) | Event::Code(ref t) => {
                    self.count(t);
                    out.push(event);
                }
                // Footnote ids carry the text's prefix, so two texts on one
                // page cannot both have a footnote `#1`.
                Event::FootnoteReference(name) => {
                    let (id, number) = self.footnote(&name);
                    out.push(Event::Html(
                        format!("<sup class=\"footnote-reference\"><a href=\"#{id}\">{number}</a></sup>").into(),
                    ));
                }
                Event::Start(Tag::FootnoteDefinition(name)) => {
                    let (id, number) = self.footnote(&name);
                    out.push(Event::Html(
                        format!("<div class=\"footnote-definition\" id=\"{id}\"><sup class=\"footnote-definition-label\">{number}</sup>").into(),
                    ));
                }
                Event::End(TagEnd::FootnoteDefinition) => out.push(Event::Html("</div>\n".into())),
                Event::TaskListMarker(done) => {
                    let label = if done { "done" } else { "to do" };
                    let checked = if done { " checked" } else { "" };
                    out.push(Event::Html(
                        format!("<input type=\"checkbox\" disabled{checked} aria-label=\"{label}\"> ").into(),
                    ));
                }
                Event::Html(t) | Event::InlineHtml(t) if !self.opts.allow_html => {
                    out.push(Event::Text(t));
                }
                Event::SoftBreak | Event::HardBreak => {
                    self.count(" ");
                    out.push(event);
                }
                other => out.push(other),
            }
        }
    }

    fn footnote(&mut self, name: &str) -> (String, usize) {
        let next = self.footnotes.len() + 1;
        let number = *self.footnotes.entry(name.to_owned()).or_insert(next);
        let mut id = String::from("fn-");
        if let Some(prefix) = &self.opts.id_prefix {
            id.push_str(prefix);
        }
        escape_attr_into(&slugify(name), &mut id);
        (id, number)
    }

    /// Records a site link; its range is that of the destination as written
    /// inside the link, which is what a reader wants to fix.
    fn push_link(&mut self, dest: &CowStr, link: Range<usize>, text: &str) -> usize {
        let (dest, is_reference) = match dest.strip_prefix('@') {
            Some(rest) => (rest.to_owned(), true),
            None => (dest.to_string(), false),
        };
        let needle = if is_reference { format!("@{dest}") } else { dest.clone() };
        // Reference-style links keep their destination elsewhere in the text.
        let start = text
            .get(link.clone())
            .and_then(|inside| inside.find(&needle))
            .map(|i| link.start + i)
            .or_else(|| text.find(&needle))
            .unwrap_or(link.start);
        self.links.push(RawLink {
            dest,
            is_reference,
            range: start..start + needle.len(),
            shows_title: false,
        });
        self.links.len() - 1
    }
}

/// The scheme of a URL as a browser reads it (leading spaces and control
/// characters, and tabs and newlines anywhere, are ignored), lowercased;
/// `None` for a relative URL.
fn url_scheme(dest: &str) -> Option<String> {
    let cleaned: String = dest
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let end = cleaned.find([':', '/', '?', '#'])?;
    let scheme = &cleaned[..end];
    let valid = cleaned[end..].starts_with(':')
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Links that cannot run script: relative ones, http, https and mailto.
fn is_safe_url(dest: &str) -> bool {
    url_scheme(dest).is_none_or(|scheme| matches!(scheme.as_str(), "http" | "https" | "mailto"))
}

/// `@…` references and root-relative paths (not `//host` URLs).
fn is_site_link(dest: &str) -> bool {
    dest.starts_with('@') || (dest.starts_with('/') && !dest.starts_with("//"))
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn sanitize_attr_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect()
}

pub fn escape_text_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

pub fn escape_attr_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        let parsed = parse(
            text,
            &ParseOptions {
                allow_html: true,
                ..ParseOptions::default()
            },
        );
        let targets = parsed
            .links
            .iter()
            .map(|l| LinkTarget {
                href: format!("resolved/{}", l.dest.replace(':', "_")).into(),
                title: format!("Title of {}", l.dest).into(),
            })
            .collect();
        parsed.resolve(targets).html_for("../")
    }

    #[test]
    fn slugs_are_github_style() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("What is `x_y`?"), "what-is-x_y");
        assert_eq!(slugify("Café au lait"), "café-au-lait");
        assert_eq!(slugify("a - b"), "a---b");
    }

    #[test]
    fn a_derived_text_is_made_once_per_parse_and_source() {
        let text = "# Intro\n\nSome words.\n";
        let parsed = parse(text, &ParseOptions::default());
        let made = std::cell::Cell::new(0);
        let make = |text: &'static str| {
            let made = &made;
            move || {
                made.set(made.get() + 1);
                text.to_owned()
            }
        };
        assert_eq!(parsed.resolve(vec![]).derived("a", make("from a")), "from a");
        // A later rebuild resolves the kept parse again: the text is kept.
        let again = parsed.resolve(vec![]);
        assert_eq!(again.derived("a", make("made again")), "from a");
        assert_eq!(made.get(), 1);
        // Made from something else, it is made afresh.
        assert_eq!(again.derived("b", make("from b")), "from b");
        assert_eq!(made.get(), 2);
        // A new parse of the same text keeps nothing of the old one.
        let reparsed = parse(text, &ParseOptions::default()).resolve(vec![]);
        assert_eq!(reparsed.derived("a", make("fresh")), "fresh");
    }

    #[test]
    fn headings_get_unique_ids() {
        let parsed = parse("# Intro\n\n## Intro\n\n## Setup {#custom}\n", &ParseOptions::default());
        let ids: Vec<_> = parsed.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["intro", "intro-1", "custom"]);
        let html = parsed.resolve(vec![]).html_for("./");
        assert!(html.contains("<h2 id=\"intro-1\">Intro</h2>"), "{html}");
    }

    #[test]
    fn references_become_page_relative_links() {
        let out = html("See [algebra](@topic:linear-algebra) and [](@page:about).");
        assert!(
            out.contains("<a href=\"../resolved/topic_linear-algebra\">algebra</a>"),
            "{out}"
        );
        assert!(out.contains(">Title of page:about</a>"), "{out}");
    }

    #[test]
    fn references_in_code_are_text() {
        let parsed = parse("`[x](@topic:a)`\n\n```\n[x](@topic:b)\n```\n", &ParseOptions::default());
        assert!(parsed.links.is_empty());
    }

    #[test]
    fn link_ranges_point_at_the_destination() {
        let text = "Line one\n\nA [link](@topic:missing) here.";
        let parsed = parse(text, &ParseOptions::default());
        let range = parsed.links[0].range.clone();
        assert_eq!(&text[range], "@topic:missing");
    }

    #[test]
    fn root_relative_images_and_links() {
        let out = html("![A & `B`](/images/x.png) [home](/) [ext](https://example.org/)");
        assert!(
            out.contains("<img src=\"../resolved//images/x.png\" alt=\"A &amp; B\">"),
            "{out}"
        );
        assert!(out.contains("href=\"https://example.org/\""), "{out}");
    }

    #[test]
    fn raw_html_can_be_escaped() {
        let opts = ParseOptions::default();
        let parsed = parse("<script>alert(1)</script>\n\nHi <b>x</b>", &opts);
        let out = parsed.resolve(vec![]).html_for("./");
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;b&gt;"), "{out}");
    }

    #[test]
    fn code_is_highlighted_and_counted() {
        let parsed = parse("Two words\n\n```python\nx = 1\n```\n", &ParseOptions::default());
        let out = parsed.clone().resolve(vec![]).html_for("./");
        assert!(out.contains("data-lang=\"python\""), "{out}");
        assert!(out.contains("hl-"), "{out}");
        assert_eq!(parsed.words, 5);
        let parsed = parse("```nosuchlang\nx\n```\n", &ParseOptions::default());
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn script_links_are_refused_where_html_is_not_trusted() {
        let text = "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](vbscript:x) [d](data:text/html,x) \
                    [e](&#106;avascript:x) <javascript:alert(1)> ![i](javascript:x) [f](java\tscript:x)\n\n\
                    [ok](https://a.org/) [ok](mailto:a@b.org) [ok](rel/x) [ok](#frag) [ok](?q=1)";
        let parsed = parse(text, &ParseOptions::default());
        let schemes: Vec<&str> = parsed.errors.iter().map(|p| &text[p.range.clone()]).collect();
        assert_eq!(
            schemes,
            [
                "javascript:",
                "JaVaScRiPt:",
                "vbscript:",
                "data:",
                "&#106;avascript:",
                "javascript:",
                "javascript:"
            ],
            "{:?}",
            parsed.errors
        );
        let out = parsed.resolve(vec![]).html_for("./");
        let hrefs: Vec<&str> = out
            .split("href=\"")
            .skip(1)
            .map(|h| &h[..h.find('"').unwrap()])
            .collect();
        assert_eq!(
            hrefs,
            ["https://a.org/", "mailto:a@b.org", "rel/x", "#frag", "?q=1"],
            "{out}"
        );
        assert!(!out.contains("src="), "{out}");
        assert!(out.contains(" i "), "an image's alt text stays: {out}");
        // Trusted sites keep what the author wrote.
        let trusted = ParseOptions {
            allow_html: true,
            ..ParseOptions::default()
        };
        assert!(parse(text, &trusted).errors.is_empty());
    }

    #[test]
    fn positions_after_nul_bytes_point_into_the_original_text() {
        let text = "a\0b\0 [x](@topic:nope) ```nolang";
        let parsed = parse(text, &ParseOptions::default());
        let link = &parsed.links[0];
        assert_eq!(&text[link.range.clone()], "@topic:nope");
        for nuls in [vec![], vec![0], vec![1, 5]] {
            for offset in 0..12 {
                let mapped = original_offset(&nuls, offset);
                assert!(mapped <= offset, "{nuls:?} {offset}");
            }
        }
        assert_eq!(original_offset(&[1], 4), 2);
        assert_eq!(original_offset(&[1], 2), 1);
    }

    #[test]
    fn nul_bytes_cannot_forge_placeholders() {
        let out = html("a\0h0\0b [x](@page:p)");
        assert!(out.contains('\u{FFFD}'), "{out}");
        assert!(out.contains("resolved/page_p"), "{out}");
    }

    #[test]
    fn footnotes_and_headings_keep_out_of_each_others_ids() {
        let opts = ParseOptions {
            allow_html: true,
            id_prefix: Some("topic-".into()),
            page_body: false,
        };
        let out = parse("Text[^a].\n\n[^a]: Note.\n", &opts)
            .resolve(vec![])
            .html_for("./");
        assert!(out.contains("<a href=\"#fn-topic-a\">1</a>"), "{out}");
        assert!(out.contains("id=\"fn-topic-a\""), "{out}");
        let body = ParseOptions {
            allow_html: true,
            id_prefix: None,
            page_body: true,
        };
        let parsed = parse("# Main\n\n## Referenced by\n", &body);
        let ids: Vec<_> = parsed.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["main-1", "referenced-by-1"]);
    }

    #[test]
    fn task_lists_are_labelled() {
        let out = html("- [x] done\n- [ ] not yet\n");
        assert!(out.contains("aria-label=\"done\""), "{out}");
    }
}
