//! Cross-references: every `@` link of every text is resolved against the
//! site, fragments are checked against the ids the target page will carry,
//! and each resolved link becomes a backlink of its target.

// Keys here are short ids and node ids: FxHash, not SipHash, which was a
// tenth of resolving on every preview rebuild.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::{MdInput, Options};
use crate::diag::{Diagnostic, SourceMap};
use crate::markdown::{LinkTarget, Markdown, Parsed};
use crate::model::{IdSpace, NodeId, Site, SitePath, own_id};
use crate::source::Sources;

/// What could not be loaded or was left out, so that a reference into it is
/// explained (a draft) or not reported twice (a file that failed to load).
pub struct Scope {
    incomplete_roadmaps: HashSet<String>,
    broken_docs: HashSet<String>,
    excluded_drafts: HashSet<String>,
    /// `roadmap/id` of topics refused for their id (already reported).
    pub refused_topics: HashSet<String>,
}

impl Scope {
    pub fn new(sources: &Sources, opts: &Options) -> Scope {
        let mut incomplete_roadmaps: HashSet<String> = sources
            .roadmaps
            .iter()
            .filter(|d| d.incomplete || d.roadmap.is_none())
            .map(|d| d.name.clone())
            .collect();
        if sources.roadmaps.iter().any(|d| d.incomplete) {
            // Short forms could have pointed into the broken roadmap.
            incomplete_roadmaps.insert(String::new());
        }
        let excluded_drafts = if opts.drafts {
            HashSet::default()
        } else {
            sources
                .articles
                .iter()
                .chain(&sources.pages)
                .filter(|(_, doc)| doc.value.draft)
                .map(|(slug, _)| slug.clone())
                .collect()
        };
        Scope {
            incomplete_roadmaps,
            broken_docs: sources.broken_docs.iter().cloned().collect(),
            excluded_drafts,
            refused_topics: HashSet::default(),
        }
    }

    pub fn roadmap_incomplete(&self, roadmap: Option<&str>) -> bool {
        self.incomplete_roadmaps.contains(roadmap.unwrap_or(""))
    }
}

/// Every name a reference can use, and the ids each page will carry.
pub struct Index<'a> {
    site: &'a Site,
    roadmaps: HashMap<&'a str, usize>,
    phases: HashMap<(&'a str, &'a str), NodeId>,
    phases_short: HashMap<&'a str, Vec<NodeId>>,
    topics: HashMap<(&'a str, &'a str), NodeId>,
    topics_short: HashMap<&'a str, Vec<NodeId>>,
    articles: HashMap<&'a str, NodeId>,
    pages: HashMap<&'a str, NodeId>,
    /// `roadmaps/ml/faq.md` → its node; assets → their path.
    files: HashMap<String, FileTarget>,
    anchors: Anchors<'a>,
}

#[derive(Clone)]
enum FileTarget {
    Node(NodeId),
    Asset(SitePath),
}

/// A reference that resolved: a node (with a fragment) or a copied file.
pub enum Resolved {
    Node(NodeId, Option<String>),
    Asset(SitePath),
}

pub struct RefError {
    pub message: String,
    pub hint: Option<String>,
}

const KINDS: [&str; 5] = ["roadmap", "phase", "topic", "article", "page"];

impl<'a> Index<'a> {
    pub fn new(site: &'a Site, sources: &Sources, parsed: &'a [Arc<Parsed>], inputs: &[MdInput]) -> Index<'a> {
        let mut index = Index {
            site,
            roadmaps: HashMap::default(),
            phases: HashMap::default(),
            phases_short: HashMap::default(),
            topics: HashMap::default(),
            topics_short: HashMap::default(),
            articles: HashMap::default(),
            pages: HashMap::default(),
            files: HashMap::default(),
            anchors: Anchors {
                site,
                parsed,
                owners: inputs.iter().map(|input| input.owner).collect(),
                texts: OnceLock::new(),
                pages: Mutex::default(),
            },
        };
        let map = &sources.map;
        let content_relative = |file| {
            let path = &map.get(file).path;
            if std::path::MAIN_SEPARATOR == '/' {
                // Already slashed: cut as a string, not walked part by part.
                if let Some(text) = path.to_str() {
                    return text.strip_prefix("content/").unwrap_or(text).to_owned();
                }
            }
            let path = path.strip_prefix("content").unwrap_or(path);
            path.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/")
        };
        let roadmap_files: usize = site.roadmaps.iter().map(|r| 1 + r.phases.len() + r.pages.len()).sum();
        index.articles.reserve(site.articles.len());
        index
            .files
            .reserve(roadmap_files + site.articles.len() + site.pages.len() + sources.assets.len());
        for (r, roadmap) in site.roadmaps.iter().enumerate() {
            index.roadmaps.insert(roadmap.id.as_str(), r);
            index
                .files
                .insert(content_relative(roadmap.source), FileTarget::Node(NodeId::Roadmap(r)));
            for (p, phase) in roadmap.phases.iter().enumerate() {
                let node = NodeId::Phase(r, p);
                index.phases.insert((roadmap.id.as_str(), phase.id.as_str()), node);
                index.phases_short.entry(phase.id.as_str()).or_default().push(node);
                index
                    .files
                    .insert(content_relative(phase.source), FileTarget::Node(node));
                for (t, topic) in phase.topics.iter().enumerate() {
                    let node = NodeId::Topic(r, p, t);
                    index.topics.insert((roadmap.id.as_str(), topic.id.as_str()), node);
                    index.topics_short.entry(topic.id.as_str()).or_default().push(node);
                }
            }
            for (i, page) in roadmap.pages.iter().enumerate() {
                index.files.insert(
                    content_relative(page.source),
                    FileTarget::Node(NodeId::RoadmapPage(r, i)),
                );
            }
        }
        for (i, doc) in site.articles.iter().enumerate() {
            index.articles.insert(doc.slug.as_str(), NodeId::Article(i));
            index
                .files
                .insert(content_relative(doc.source), FileTarget::Node(NodeId::Article(i)));
        }
        for (i, doc) in site.pages.iter().enumerate() {
            index.pages.insert(doc.slug.as_str(), NodeId::Page(i));
            index
                .files
                .insert(content_relative(doc.source), FileTarget::Node(NodeId::Page(i)));
        }
        for asset in &sources.assets {
            index.files.insert(
                asset.relative.clone(),
                FileTarget::Asset(SitePath::file(asset.relative.clone())),
            );
        }
        index
    }

    /// Resolves a reference as written after `@`: `topic:ml/linear-algebra#x`, `/articles/a.md`.
    pub fn resolve(&self, reference: &str) -> Result<Resolved, RefError> {
        self.resolve_with(reference, true)
    }

    /// `hints: false` skips the search for a close name, which is costly and
    /// wasted on references into files that failed to load.
    fn resolve_with(&self, reference: &str, hints: bool) -> Result<Resolved, RefError> {
        let (target, fragment) = match reference.split_once('#') {
            Some((target, fragment)) => (target, Some(fragment)),
            None => (reference, None),
        };
        let node = if let Some(path) = target.strip_prefix('/') {
            match self.files.get(path) {
                Some(FileTarget::Node(node)) => *node,
                Some(FileTarget::Asset(path)) => {
                    return match fragment {
                        None => Ok(Resolved::Asset(path.clone())),
                        Some(_) => Err(RefError {
                            message: format!("`@{reference}`: a file that is not a page has no sections to link to"),
                            hint: Some("remove the `#…` part".into()),
                        }),
                    };
                }
                None => {
                    let hint = crate::diag::closest(path, self.files.keys().map(String::as_str))
                        .map(|best| format!("did you mean `@/{best}`?"))
                        .or_else(|| {
                            Some("a path reference names a file under content/, like `@/articles/intro.md`".into())
                        });
                    return Err(RefError {
                        message: format!("`@{reference}` points to no file: there is no content/{path}"),
                        hint,
                    });
                }
            }
        } else {
            let Some((kind, name)) = target.split_once(':') else {
                return Err(RefError {
                    message: format!("`@{reference}` is not a reference"),
                    hint: Some(
                        "write `@kind:name` (kinds: roadmap, phase, topic, article, page) or `@/path/under/content.md`"
                            .into(),
                    ),
                });
            };
            self.named(kind, name, reference, hints)?
        };
        match fragment {
            None => Ok(Resolved::Node(node, None)),
            Some(fragment) => {
                let anchors = self.anchors.of(node);
                if anchors.contains_key(fragment) {
                    Ok(Resolved::Node(node, Some(fragment.to_owned())))
                } else {
                    let hint = crate::diag::closest(fragment, anchors.keys().map(|k| &**k))
                        .map(|best| format!("did you mean `#{best}`?"))
                        .or_else(|| {
                            let mut ids: Vec<&str> = anchors.keys().map(|k| &**k).collect();
                            ids.sort_unstable();
                            ids.truncate(12);
                            (!ids.is_empty()).then(|| format!("ids on that page include: {}", ids.join(", ")))
                        });
                    Err(RefError {
                        message: format!(
                            "`@{reference}`: {} “{}” has no section with the id `{fragment}`",
                            self.site.kind(node),
                            self.site.title(node)
                        ),
                        hint,
                    })
                }
            }
        }
    }

    fn named(&self, kind: &str, name: &str, reference: &str, hints: bool) -> Result<NodeId, RefError> {
        let unknown = |names: &dyn Fn() -> Vec<String>, what: &str| {
            let hint = hints
                .then(|| {
                    let names = names();
                    crate::diag::closest(name, names.iter().map(String::as_str)).map(str::to_owned)
                })
                .flatten()
                .map(|best| format!("did you mean `@{kind}:{best}`?"));
            RefError {
                message: format!("`@{reference}` points to no {what}: there is no {what} `{name}`"),
                hint,
            }
        };
        match kind {
            "roadmap" => self
                .roadmaps
                .get(name)
                .map(|&r| NodeId::Roadmap(r))
                .ok_or_else(|| unknown(&|| self.roadmaps.keys().map(|k| k.to_string()).collect(), "roadmap")),
            "article" => self
                .articles
                .get(name)
                .copied()
                .ok_or_else(|| unknown(&|| self.articles.keys().map(|k| k.to_string()).collect(), "article")),
            "page" => self
                .pages
                .get(name)
                .copied()
                .ok_or_else(|| unknown(&|| self.pages.keys().map(|k| k.to_string()).collect(), "page")),
            "phase" | "topic" => {
                let (qualified, short) = if kind == "phase" {
                    (&self.phases, &self.phases_short)
                } else {
                    (&self.topics, &self.topics_short)
                };
                let all_names = || {
                    qualified
                        .keys()
                        .flat_map(|(r, n)| [format!("{r}/{n}"), n.to_string()])
                        .collect::<Vec<_>>()
                };
                match name.split_once('/') {
                    Some((roadmap, id)) => qualified.get(&(roadmap, id)).copied().ok_or_else(|| {
                        // A misspelt roadmap with a right id: name the roadmaps that have it.
                        let mut homes: Vec<&str> =
                            qualified.keys().filter(|(_, n)| *n == id).map(|(r, _)| *r).collect();
                        if !hints || homes.is_empty() || homes.contains(&roadmap) {
                            return unknown(&all_names, kind);
                        }
                        homes.sort_by_key(|r| strsim::damerau_levenshtein(roadmap, r));
                        RefError {
                            message: format!(
                                "`@{reference}` points to no {kind}: there is no roadmap `{roadmap}` with a {kind} `{id}`"
                            ),
                            hint: Some(format!("did you mean `@{kind}:{}/{id}`?", homes[0])),
                        }
                    }),
                    None => match short.get(name).map(Vec::as_slice) {
                        Some([only]) => Ok(*only),
                        Some(many) => {
                            let forms: Vec<String> = many
                                .iter()
                                .map(|node| {
                                    let r = match node {
                                        NodeId::Phase(r, _) | NodeId::Topic(r, _, _) => *r,
                                        _ => 0,
                                    };
                                    format!("`@{kind}:{}/{name}`", self.site.roadmaps[r].id)
                                })
                                .collect();
                            Err(RefError {
                                message: format!(
                                    "`@{reference}` is ambiguous: several roadmaps have a {kind} `{name}`"
                                ),
                                hint: Some(format!("write one of {}", forms.join(", "))),
                            })
                        }
                        None => Err(unknown(&all_names, kind)),
                    },
                }
            }
            other => Err(RefError {
                message: format!("`@{reference}`: unknown kind of reference `{other}`"),
                hint: crate::diag::closest(other, KINDS)
                    .map(|best| format!("did you mean `@{best}:{name}`?"))
                    .or_else(|| Some(format!("kinds are {}", KINDS.join(", ")))),
            }),
        }
    }

    /// Whether a failed reference may point into something that failed to
    /// load or is a draft left out, and how to say so.
    fn explain_missing(&self, reference: &str, scope: &Scope) -> Option<Option<String>> {
        let target = reference.split('#').next().unwrap_or(reference);
        let (kind, name) = target.split_once(':').unwrap_or(("", target));
        let slug = name
            .trim_start_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(name)
            .trim_end_matches(".md");
        match kind {
            "topic"
                if scope
                    .refused_topics
                    .iter()
                    .any(|t| t == name || t.rsplit('/').next() == Some(name)) =>
            {
                Some(None)
            }
            "phase" | "topic" => {
                let roadmap = name.split_once('/').map(|(r, _)| r);
                scope.roadmap_incomplete(roadmap).then_some(None)
            }
            "roadmap" => scope.roadmap_incomplete(Some(name)).then_some(None),
            // A path into a roadmap's folder (`@/roadmaps/<roadmap>/…`).
            "" if name
                .trim_start_matches('/')
                .strip_prefix("roadmaps/")
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(roadmap, _)| scope.roadmap_incomplete(Some(roadmap))) =>
            {
                Some(None)
            }
            _ if scope.excluded_drafts.contains(slug) => Some(Some(format!(
                "`{slug}` is a draft, and drafts are built only with --drafts"
            ))),
            _ if scope.broken_docs.contains(slug) => Some(None),
            _ => None,
        }
    }

    /// What reference `dest` resolves to, without hints when it does not.
    pub(super) fn target(&self, dest: &str) -> Target {
        let resolved = self.resolve_with(dest, false).ok()?;
        Some(self.link_target(&resolved, dest))
    }

    fn link_target(&self, resolved: &Resolved, dest: &str) -> (LinkTarget, Option<NodeId>) {
        match resolved {
            Resolved::Asset(path) => (
                LinkTarget {
                    href: path.as_str().into(),
                    title: dest.into(),
                },
                None,
            ),
            Resolved::Node(node, fragment) => {
                let mut href = self.site.path(*node).as_str().to_owned();
                let mut title = self.site.title(*node).to_owned();
                if let Some(fragment) = fragment {
                    href.push('#');
                    href.push_str(fragment);
                    if let Some(text) = self.anchors.of(*node).get(fragment.as_str()) {
                        title = text.to_string();
                    }
                }
                (
                    LinkTarget {
                        href: href.into(),
                        title: title.into(),
                    },
                    Some(*node),
                )
            }
        }
    }
}

/// The ids each page will carry, with the text of what they name: headings
/// of the texts shown on it, and the sections the built-in templates make.
/// (A template that drops a section is caught by the link check of `check`.)
/// Borrowed from the model and the parsed texts.
type PageAnchors<'a> = HashMap<Cow<'a, str>, Cow<'a, str>>;

/// Each page's [`PageAnchors`], made when a reference first names one of
/// its sections: a large site has tens of thousands of headings, and most
/// links name no section.
struct Anchors<'a> {
    site: &'a Site,
    parsed: &'a [Arc<Parsed>],
    /// The node each parsed text belongs to.
    owners: Vec<NodeId>,
    /// Each node's texts, in order.
    texts: OnceLock<HashMap<NodeId, Vec<usize>>>,
    pages: Mutex<HashMap<NodeId, Arc<PageAnchors<'a>>>>,
}

impl<'a> Anchors<'a> {
    fn of(&self, node: NodeId) -> Arc<PageAnchors<'a>> {
        let pages = || self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(page) = pages().get(&node) {
            return Arc::clone(page);
        }
        let page = Arc::new(self.make(node));
        Arc::clone(pages().entry(node).or_insert(page))
    }

    fn make(&self, node: NodeId) -> PageAnchors<'a> {
        let texts = self.texts.get_or_init(|| {
            let mut texts: HashMap<NodeId, Vec<usize>> = HashMap::default();
            for (i, &owner) in self.owners.iter().enumerate() {
                texts.entry(owner).or_default().push(i);
            }
            texts
        });
        let mut page = PageAnchors::default();
        let add_headings = |md: usize, page: &mut PageAnchors<'a>| {
            for heading in self.parsed[md].headings.iter() {
                page.insert(Cow::Borrowed(&heading.id), Cow::Borrowed(&heading.text));
            }
        };
        for &md in texts.get(&node).into_iter().flatten() {
            add_headings(md, &mut page);
        }
        let site = self.site;
        match node {
            NodeId::Roadmap(r) => {
                let roadmap = &site.roadmaps[r];
                for phase in &roadmap.phases {
                    page.insert(phase.id.to_string().into(), Cow::Borrowed(&phase.title));
                }
                let space = IdSpace::Overview(roadmap);
                page.insert(own_id(space, "phases").into_owned().into(), "Phases".into());
                // As the overview's template draws them (render/diagram.rs, render/timeline.rs).
                if !roadmap.phases.is_empty() {
                    page.insert(
                        own_id(space, "diagram").into_owned().into(),
                        "The path at a glance".into(),
                    );
                }
                if roadmap.phases.iter().any(|p| p.duration.is_some()) {
                    page.insert(
                        own_id(space, "timeline").into_owned().into(),
                        "Timeline and pace".into(),
                    );
                }
            }
            NodeId::Phase(r, p) => {
                let phase = site.phase(r, p);
                for topic in &phase.topics {
                    // The phase page shows each topic's summary.
                    if let Some(md) = topic.summary {
                        add_headings(md.0 as usize, &mut page);
                    }
                }
                for topic in &phase.topics {
                    page.insert(topic.id.to_string().into(), Cow::Borrowed(&topic.title));
                }
                // The author's topic ids come first; the page's own sections yield.
                let space = IdSpace::Phase(phase);
                for (present, id, title) in [
                    (true, "topics", "Topics"),
                    (
                        phase.topics.iter().any(|t| !t.resources.is_empty()),
                        "resources",
                        "Resources",
                    ),
                    (
                        phase.topics.iter().any(|t| !t.exercises.is_empty()),
                        "exercises",
                        "Exercises",
                    ),
                    (
                        phase.milestone.is_some() || phase.assessment.is_some(),
                        "milestone",
                        "Milestone",
                    ),
                    (!phase.projects.is_empty(), "projects", "Projects"),
                ] {
                    if present {
                        page.insert(own_id(space, id).into_owned().into(), title.into());
                    }
                }
            }
            NodeId::Topic(r, p, t) => {
                let topic = site.topic(r, p, t);
                for (present, id, title) in [
                    (topic.why.is_some(), "why", "Why it matters"),
                    (!topic.learn.is_empty(), "learn", "What to learn"),
                    (!topic.resources.is_empty(), "resources", "Resources"),
                    (!topic.exercises.is_empty(), "exercises", "Exercises"),
                ] {
                    if present {
                        page.insert(id.into(), title.into());
                    }
                }
            }
            _ => {}
        }
        page
    }
}

/// Per target, the nodes whose texts link to it.
pub type Backlinks = HashMap<NodeId, Vec<NodeId>>;

/// What one reference resolved to, or `None` when it did not.
pub(super) type Target = Option<(LinkTarget, Option<NodeId>)>;

/// A text's links resolved: the finished text, its problems, the nodes it references.
pub(super) type TextResolved = (Markdown, Vec<Diagnostic>, Vec<NodeId>);

/// Resolves the links of every text; returns the finished texts and, per
/// target, the nodes that reference it. With `relink` (the preview), only
/// the texts an edit can have changed are resolved again.
pub fn resolve_all(
    site: &Site,
    inputs: &[MdInput],
    parsed: Vec<Arc<Parsed>>,
    scope: &Scope,
    sources: &Sources,
    relink: Option<Relink>,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Markdown>, Backlinks) {
    let map: &SourceMap = &sources.map;
    let index = Index::new(site, sources, &parsed, inputs);
    let resolve = |texts: &[usize]| -> Vec<TextResolved> {
        texts
            .par_iter()
            .map_init(
                // A large site's links name a few hundred targets, each many
                // times: each worker resolves a target once and shares its strings.
                HashMap::<&str, Target>::default,
                |memo, &i| resolve_text(&index, scope, map, memo, &inputs[i], &parsed[i]),
            )
            .collect()
    };
    let everything = |diags: &mut Vec<Diagnostic>| {
        let all: Vec<usize> = (0..inputs.len()).collect();
        let results = resolve(&all);
        let mut referenced_by = Backlinks::default();
        let mut markdown = Vec::with_capacity(parsed.len());
        for (input, (resolved, problems, referenced)) in inputs.iter().zip(results) {
            diags.extend(problems);
            for target in referenced {
                referenced_by.entry(target).or_default().push(input.owner);
            }
            markdown.push(resolved);
        }
        for sources in referenced_by.values_mut() {
            sources.sort_unstable();
            sources.dedup();
        }
        (markdown, referenced_by)
    };
    let Some(Relink { links, last }) = relink else {
        return everything(diags);
    };
    let owners: Vec<NodeId> = inputs.iter().map(|input| input.owner).collect();
    let again = match (links.as_mut(), last) {
        (Some(kept), Some(last)) => kept.again(&index, &parsed, &owners, last),
        _ => None,
    };
    let resolved = match again {
        Some(again) => {
            let resolved = resolve(&again.texts);
            again.finish(resolved, diags, links.as_ref())
        }
        None => {
            let resolved = everything(diags);
            *links = Some(super::relink::Links::new(&index, &parsed, owners));
            resolved
        }
    };
    drop(index);
    if let Some(links) = links {
        links.keep(parsed);
        if std::env::var_os("WAYMARK_TIMINGS").is_some() {
            let (resolved, texts) = links.resolved();
            eprintln!("timing: {resolved} of {texts} texts' links resolved");
        }
    }
    resolved
}

/// What the preview keeps of the last resolve's links, and the last model
/// whose texts they are (when it had no diagnostic).
pub struct Relink<'a> {
    pub links: &'a mut Option<super::relink::Links>,
    pub last: Option<&'a mut Site>,
}

/// Resolves the links of one text, with `memo` holding the targets this
/// worker resolved before.
fn resolve_text<'p>(
    index: &Index,
    scope: &Scope,
    map: &SourceMap,
    memo: &mut HashMap<&'p str, Target>,
    input: &MdInput,
    parsed: &'p Parsed,
) -> TextResolved {
    let mut targets = Vec::with_capacity(parsed.links.len());
    let mut problems = Vec::new();
    let mut referenced = Vec::new();
    for link in &parsed.links {
        if !link.is_reference {
            // A root-relative path: made page-relative, checked by `check`.
            targets.push(LinkTarget {
                href: link.dest.trim_start_matches('/').into(),
                title: link.dest.as_str().into(),
            });
            continue;
        }
        let resolved = memo
            .entry(link.dest.as_str())
            .or_insert_with(|| index.target(&link.dest));
        match resolved {
            Some((target, node)) => {
                targets.push(target.clone());
                if let Some(node) = *node {
                    if node != input.owner {
                        referenced.push(node);
                    }
                }
            }
            None => {
                targets.push(LinkTarget {
                    href: "".into(),
                    title: link.dest.as_str().into(),
                });
                let explanation = index.explain_missing(&link.dest, scope);
                if let Some(None) = explanation {
                    continue; // the file it points into failed to load: already reported
                }
                // Again, with the search for a close name this time.
                let Err(err) = index.resolve(&link.dest) else {
                    continue;
                };
                let span = input.origin.span_within(map, input.text, link.range.clone());
                let mut diagnostic = Diagnostic::error(err.message).with_span(span);
                if let Some(Some(hint)) = explanation {
                    diagnostic = diagnostic.with_hint(hint);
                } else if let Some(hint) = err.hint {
                    diagnostic = diagnostic.with_hint(hint);
                }
                problems.push(diagnostic);
            }
        }
    }
    (parsed.resolve(targets), problems, referenced)
}
