//! Every outside link of the published site, with where it is written:
//! resource `url`s and http(s) links of every Markdown text.
//!
//! The resolved site keeps no source positions for these (builds never need
//! them), so each published item is matched to the raw value it came from
//! and positions are found only for the links that get reported.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use crate::diag::{FileId, SourceMap, Span};
use crate::model::{Doc, Site};
use crate::resolve::Origin;
use crate::source::raw::{RawFrontMatter, RawPhase, RawRoadmap, RawTopic};
use crate::source::yaml::Step;
use crate::source::{Loaded, Sources};

/// One use of an outside address.
#[derive(Debug)]
pub struct Link<'a> {
    /// The address as written (fragment included).
    pub url: String,
    origin: Origin,
    /// The text the link is in (a Markdown text, or the `url` value itself).
    text: &'a str,
    /// Where the address is in `text`.
    range: Range<usize>,
}

impl Link<'_> {
    /// Where the address is written in its file. Finding a YAML value's
    /// position parses its file again, so only reported links ask.
    pub fn span(&self, map: &SourceMap) -> Span {
        self.origin.span_within(map, self.text, self.range.clone())
    }
}

/// Every outside link of the published site, in site order.
pub fn links<'a>(site: &Site, sources: &'a Sources) -> Vec<Link<'a>> {
    collect(site, sources).links
}

fn collect<'a>(site: &Site, sources: &'a Sources) -> Collector<'a> {
    let raw = RawIndex::new(sources);
    let mut out = Collector {
        map: &sources.map,
        links: Vec::new(),
        texts: 0,
    };
    for roadmap in &site.roadmaps {
        if let Some(loaded) = raw.roadmaps.get(&roadmap.source) {
            let origin = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
            out.markdown(loaded.value.summary.as_deref(), &origin.child(Step::Key("summary")));
        }
        for phase in &roadmap.phases {
            let Some(loaded) = raw.phases.get(&phase.source) else {
                continue;
            };
            out.phase(loaded, |i, raw_topic| {
                // Topics refused while resolving (a bad or repeated id) are
                // not published; the rest keep their order.
                phase.topics.get(i).is_some_and(|t| t.id.as_str() == raw_topic.id)
            });
        }
        for page in &roadmap.pages {
            out.doc(page, &raw.docs);
        }
    }
    for doc in site.articles.iter().chain(&site.pages) {
        out.doc(doc, &raw.docs);
    }
    out
}

/// The raw values of loaded files, by file.
struct RawIndex<'a> {
    roadmaps: HashMap<FileId, &'a Loaded<RawRoadmap>>,
    phases: HashMap<FileId, &'a Loaded<RawPhase>>,
    docs: HashMap<FileId, &'a Loaded<RawFrontMatter>>,
}

impl<'a> RawIndex<'a> {
    fn new(sources: &'a Sources) -> Self {
        let mut index = RawIndex {
            roadmaps: HashMap::new(),
            phases: HashMap::new(),
            docs: HashMap::new(),
        };
        for dir in &sources.roadmaps {
            if let Some(loaded) = &dir.roadmap {
                index.roadmaps.insert(loaded.file, loaded);
            }
            index.phases.extend(dir.phases.iter().map(|(_, l)| (l.file, l)));
            index.docs.extend(dir.pages.iter().map(|(_, l)| (l.file, l)));
        }
        let docs = sources.articles.iter().chain(&sources.pages);
        index.docs.extend(docs.map(|(_, l)| (l.file, l)));
        index
    }
}

struct Collector<'a> {
    map: &'a SourceMap,
    links: Vec<Link<'a>>,
    /// Markdown texts read: as many as the site has, or a field is missed.
    texts: usize,
}

impl<'a> Collector<'a> {
    /// A phase file's texts and resources; `published(n, topic)` says
    /// whether its raw topic is the n-th topic of the resolved phase.
    fn phase(&mut self, loaded: &'a Loaded<RawPhase>, published: impl Fn(usize, &RawTopic) -> bool) {
        let raw = &loaded.value;
        let origin = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
        let at = |key| origin.child(Step::Key(key));
        self.markdown(raw.summary.as_deref(), &at("summary"));
        let mut n = 0;
        for (i, topic) in raw.topics.iter().enumerate() {
            if !published(n, topic) {
                continue;
            }
            n += 1;
            self.topic(topic, &at("topics").child(Step::Index(i)));
        }
        self.markdown(raw.milestone.as_deref(), &at("milestone"));
        self.markdown(raw.assessment.as_deref(), &at("assessment"));
        for (i, project) in raw.projects.iter().enumerate() {
            let place = at("projects").child(Step::Index(i)).child(Step::Key("description"));
            self.markdown(project.description.as_deref(), &place);
        }
    }

    fn topic(&mut self, topic: &'a RawTopic, origin: &Origin) {
        let at = |key| origin.child(Step::Key(key));
        self.markdown(topic.summary.as_deref(), &at("summary"));
        self.markdown(topic.why.as_deref(), &at("why"));
        for (i, resource) in topic.resources.iter().enumerate() {
            let resource_origin = at("resources").child(Step::Index(i));
            if let Some(url) = resource.url.as_deref().filter(|u| is_web_address(u)) {
                self.links.push(Link {
                    url: url.trim().to_owned(),
                    origin: resource_origin.child(Step::Key("url")),
                    text: url,
                    range: 0..url.len(),
                });
            }
            self.markdown(resource.note.as_deref(), &resource_origin.child(Step::Key("note")));
        }
        for (i, exercise) in topic.exercises.iter().enumerate() {
            self.markdown(Some(exercise), &at("exercises").child(Step::Index(i)));
        }
    }

    fn doc(&mut self, doc: &Doc, docs: &HashMap<FileId, &'a Loaded<RawFrontMatter>>) {
        let Some(loaded) = docs.get(&doc.source) else { return };
        let Some(body) = self.map.get(loaded.file).text.get(loaded.body.clone()) else {
            return;
        };
        let origin = Origin::Body {
            file: loaded.file,
            start: loaded.body.start,
        };
        self.markdown(Some(body), &origin);
    }

    /// The http(s) links of one Markdown text.
    fn markdown(&mut self, text: Option<&'a str>, origin: &Origin) {
        let Some(text) = text else { return };
        self.texts += 1;
        for (url, range) in markdown_links(text) {
            self.links.push(Link {
                url,
                origin: origin.clone(),
                text,
                range,
            });
        }
    }
}

/// The http(s) destinations of a Markdown text's links and images (as the
/// site's parser reads them: not in code, not in raw HTML), each with the
/// range of the address as written.
pub fn markdown_links(text: &str) -> Vec<(String, Range<usize>)> {
    let parser = Parser::new_ext(text, crate::markdown::options());
    // Reference-style links keep their address in a definition elsewhere.
    let definitions: HashMap<String, Range<usize>> = parser
        .reference_definitions()
        .iter()
        .map(|(label, definition)| (label.to_lowercase(), definition.span.clone()))
        .collect();
    let mut found = Vec::new();
    for (event, range) in parser.into_offset_iter() {
        let (Event::Start(Tag::Link { dest_url, id, .. }) | Event::Start(Tag::Image { dest_url, id, .. })) = event
        else {
            continue;
        };
        let url = dest_url.trim();
        if !is_web_address(url) {
            continue;
        }
        let written_in = definitions.get(&id.to_lowercase()).cloned().unwrap_or(range);
        // An address with escapes or entities is not found as written; the
        // link's own start is the next best place then.
        let place = match text.get(written_in.clone()).and_then(|inside| inside.find(url)) {
            Some(i) => written_in.start + i..written_in.start + i + url.len(),
            None => written_in.start..written_in.start,
        };
        found.push((url.to_owned(), place));
    }
    found
}

/// An absolute http or https address (the scheme in any case).
pub fn is_web_address(url: &str) -> bool {
    let url = url.trim();
    let scheme_end = url.find("://").unwrap_or(0);
    let scheme = &url[..scheme_end];
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) && url.len() > scheme_end + 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Options;

    #[test]
    fn markdown_links_are_http_links_outside_code_with_their_place() {
        let text = "A [page](https://a.org/x#y) and ![img](HTTP://b.org/i.png), <https://c.org/>,\n\
                    [ref][R], `https://code.org/` [rel](../x) [mail](mailto:a@b.org) [site](/x/)\n\n\
                    ```\n[x](https://fenced.org/)\n```\n\n[r]: https://c.org/\n";
        let found: Vec<(String, &str)> = markdown_links(text)
            .into_iter()
            .map(|(url, range)| (url, &text[range]))
            .collect();
        let urls: Vec<&str> = found.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://a.org/x#y",
                "HTTP://b.org/i.png",
                "https://c.org/",
                "https://c.org/"
            ]
        );
        let definition = text.rfind("https://c.org/").unwrap();
        assert_eq!(
            markdown_links(text)[3].1.start,
            definition,
            "a reference points at its definition"
        );
        for (url, written) in &found {
            assert_eq!(url, written, "the range covers the address as written");
        }
    }

    /// Every Markdown text the site publishes is read for links: a new
    /// Markdown field that the collector does not know fails here.
    #[test]
    fn every_markdown_text_of_a_site_is_read() {
        let example = tempfile::tempdir().unwrap();
        let dir = example.path().join("site");
        assert!(crate::init::init(&dir).is_ok());
        let builtin = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for root in [dir, builtin] {
            let loaded = crate::build::load(&root, &Options::default(), None);
            let site = loaded.site.as_ref().expect("the site loads");
            assert!(!loaded.diagnostics.has_errors(), "{}", root.display());
            let collected = collect(site, &loaded.sources);
            assert_eq!(collected.texts, site.markdown.len(), "{}", root.display());
            assert!(!collected.links.is_empty(), "{} has outside links", root.display());
        }
    }
}
