//! Typed template contexts. Every link is a site path (`roadmaps/ml/`) that
//! templates put after `root`, the page's way back to the site root, so
//! pages work under any base path and from disk. Markdown arrives as HTML
//! already made for the page's depth.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Serialize;

use crate::markdown::Heading;
use crate::model::{
    Cost, Date, Doc, Duration, Extra, Hours, MdId, NodeId, Phase, Resource, ResourceKind, Site, SitePath, Topic,
};

/// The pieces every context is built from: the site, the page's root
/// prefix, and the digests a render shares between its pages (`None`:
/// each fingerprint takes its own).
pub struct Ctx<'a> {
    pub site: &'a Site,
    pub root: &'a str,
    pub digests: Option<&'a Digests>,
}

#[derive(Serialize, Clone)]
pub struct Link<'a> {
    pub title: Cow<'a, str>,
    pub path: &'a SitePath,
    pub kind: &'static str,
}

#[derive(Serialize)]
pub struct Crumb<'a> {
    pub title: Cow<'a, str>,
    pub path: SitePath,
}

#[derive(Serialize)]
pub struct Meta<'a> {
    pub kind: &'static str,
    pub title: Cow<'a, str>,
    pub description: Option<Cow<'a, str>>,
    pub path: &'a SitePath,
    pub permalink: String,
    pub breadcrumbs: Vec<Crumb<'a>>,
    /// Ids of the template's own parts, clear of the author's ids.
    pub ids: Ids,
}

/// A page's [`crate::model::PageIds`]. The map shared by every page
/// without the author's ids (borrowed) is a constant: a fingerprint takes
/// its digest, taken once, instead of its 18 entries on each page.
pub struct Ids(pub Cow<'static, crate::model::PageIds>);

impl Serialize for Ids {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        static SHARED: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
            super::data_fingerprint(&crate::model::PageIds::of(crate::model::IdSpace::Other))
        });
        match &self.0 {
            Cow::Borrowed(_) if !serializer.is_human_readable() => serializer.serialize_u64(*SHARED),
            ids => ids.serialize(serializer),
        }
    }
}

#[derive(Serialize)]
pub struct RoadmapCard<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub path: &'a SitePath,
    pub summary: Option<String>,
    /// The summary's opening words as plain text, for cards.
    pub blurb: Option<String>,
    pub audience: Option<&'a str>,
    pub phase_count: usize,
    pub topic_count: usize,
    /// The sum of the phases' durations.
    pub duration: Option<Duration>,
    /// Whether a phase goes on without end (a portfolio, a career).
    pub ongoing: bool,
    pub extra: &'a Extra,
}

/// What every view of a phase shows.
#[derive(Serialize)]
pub struct PhaseCore<'a> {
    pub id: &'a str,
    /// `<roadmap-id>/<phase-id>`, for progress tracking.
    pub key: String,
    pub number: u64,
    pub position: usize,
    pub title: &'a str,
    pub path: &'a SitePath,
    pub duration: Option<Duration>,
    pub weekly_hours: Option<Hours>,
    pub summary: Option<String>,
    pub milestone: Option<String>,
    pub extra: &'a Extra,
}

/// A phase on its roadmap's overview: the core and its topics' names.
#[derive(Serialize)]
pub struct PhaseCard<'a> {
    #[serde(flatten)]
    pub core: PhaseCore<'a>,
    pub topics: Vec<TopicCard<'a>>,
}

#[derive(Serialize)]
pub struct TopicCard<'a> {
    pub id: &'a str,
    /// `<roadmap-id>/<topic-id>`, for progress tracking.
    pub key: String,
    pub title: &'a str,
    pub path: &'a SitePath,
    pub duration: Option<Duration>,
    pub optional: bool,
}

/// A phase on its own page: everything.
#[derive(Serialize)]
pub struct PhaseFull<'a> {
    #[serde(flatten)]
    pub core: PhaseCore<'a>,
    pub assessment: Option<String>,
    pub projects: Vec<ProjectCtx<'a>>,
    pub topics: Vec<TopicFull<'a>>,
    pub has_resources: bool,
    pub has_exercises: bool,
    pub requires: Vec<Link<'a>>,
    /// `None` in handouts: print leaves backlinks out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_by: Option<Links<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_by: Option<Links<'a>>,
}

impl PhaseFull<'_> {
    /// For print, which leaves out what links here: on a large site a
    /// topic's backlinks run to hundreds, and a booklet holds every topic.
    pub fn without_backlinks(mut self) -> Self {
        self.required_by = None;
        self.referenced_by = None;
        for topic in &mut self.topics {
            topic.required_by = None;
            topic.referenced_by = None;
        }
        self
    }
}

#[derive(Serialize)]
pub struct ProjectCtx<'a> {
    pub title: &'a str,
    pub description: Option<String>,
    pub extra: &'a Extra,
}

#[derive(Serialize)]
pub struct TopicFull<'a> {
    pub id: &'a str,
    /// `<roadmap-id>/<topic-id>`, for progress tracking.
    pub key: String,
    pub title: &'a str,
    pub path: &'a SitePath,
    pub duration: Option<Duration>,
    pub optional: bool,
    pub summary: Option<String>,
    pub why: Option<String>,
    pub learn: &'a [String],
    pub resources: Vec<ResourceCtx<'a>>,
    pub exercises: Vec<String>,
    pub requires: Vec<Link<'a>>,
    /// `None` in handouts: print leaves backlinks out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_by: Option<Links<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_by: Option<Links<'a>>,
    pub extra: &'a Extra,
}

#[derive(Serialize)]
pub struct ResourceCtx<'a> {
    pub title: &'a str,
    pub by: Option<&'a str>,
    pub url: Option<&'a str>,
    pub kind: ResourceKind,
    pub kind_label: &'static str,
    pub cost: Option<Cost>,
    pub cost_label: &'static str,
    pub note: Option<String>,
    pub extra: &'a Extra,
}

#[derive(Serialize)]
pub struct TagLink<'a> {
    pub name: &'a str,
    pub path: &'a SitePath,
}

#[derive(Serialize)]
pub struct DocCard<'a> {
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    pub path: &'a SitePath,
    pub description: Cow<'a, str>,
    pub author: Option<&'a str>,
    pub date: Option<Date>,
    pub reading_minutes: usize,
    pub tags: Vec<TagLink<'a>>,
    pub kind: &'static str,
}

/// Links to nodes, made while serialized: whole for a template, one digest
/// of the whole list for a fingerprint. Backlink lists of a large site hold
/// thousands of links, and a topic's show on its page, its phase's page,
/// its handout and its booklet.
#[derive(Clone, Copy)]
pub struct Links<'a> {
    site: &'a Site,
    nodes: &'a [NodeId],
    list: Backlinks,
    digests: Option<&'a Digests>,
}

impl Links<'_> {
    pub(super) fn digest(&self) -> u64 {
        let compute = || {
            use std::hash::Hasher;
            let ctx = Ctx::site_wide(self.site);
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.write_u64(self.nodes.len() as u64);
            for &node in self.nodes {
                hasher.write_u64(match self.digests {
                    Some(digests) => digests.link(&ctx, node),
                    None => link_digest(&ctx, node),
                });
            }
            hasher.finish()
        };
        match self.digests.and_then(|d| d.lists.get(&self.list)) {
            Some(once) => *once.get_or_init(compute),
            None => compute(),
        }
    }
}

impl Serialize for Links<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only fingerprints use a binary serializer.
        if serializer.is_human_readable() {
            let ctx = Ctx::site_wide(self.site);
            serializer.collect_seq(self.nodes.iter().map(|&node| ctx.link(node)))
        } else {
            serializer.serialize_u64(self.digest())
        }
    }
}

/// Which list of links a [`Links`] is, to share its digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backlinks {
    /// The pages that link to a node.
    References(NodeId),
    /// The phases and topics that require a node.
    Requirements(NodeId),
    /// The pages that recommend entry `i` of the resource catalog.
    Recommendations(usize),
}

/// Digests of what many pages show, each taken at most once per render:
/// every page is fingerprinted on every preview rebuild, and a large site
/// lists every article on several pages (its tags, the article list, its
/// roadmap) and a topic's backlinks on four. Cards and links show no link
/// relative to the page, so one digest holds for every page.
pub struct Digests {
    cards: Vec<OnceLock<u64>>,
    article_links: Vec<OnceLock<u64>>,
    lists: rustc_hash::FxHashMap<Backlinks, OnceLock<u64>>,
}

/// A link's title, path and kind, each hashed on its own and seeded by the
/// one before: ("ab", "c") and ("a", "bc") differ.
fn link_digest(ctx: &Ctx, node: NodeId) -> u64 {
    let link = ctx.link(node);
    let hash = xxhash_rust::xxh3::xxh3_64(link.title.as_bytes());
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(link.path.as_str().as_bytes(), hash);
    xxhash_rust::xxh3::xxh3_64_with_seed(link.kind.as_bytes(), hash)
}

impl Digests {
    pub fn new(site: &Site) -> Digests {
        let graph = &site.graph;
        let lists = (graph.referenced_by.keys().map(|&node| Backlinks::References(node)))
            .chain(graph.required_by.keys().map(|&node| Backlinks::Requirements(node)))
            .chain((0..site.catalog.len()).map(Backlinks::Recommendations))
            .map(|list| (list, OnceLock::new()))
            .collect();
        Digests {
            cards: (0..site.articles.len()).map(|_| OnceLock::new()).collect(),
            article_links: (0..site.articles.len()).map(|_| OnceLock::new()).collect(),
            lists,
        }
    }

    /// Articles are most of the backlinks of a large site, each in many lists.
    fn link(&self, ctx: &Ctx, node: NodeId) -> u64 {
        match node {
            NodeId::Article(i) => *self.article_links[i].get_or_init(|| link_digest(ctx, node)),
            _ => link_digest(ctx, node),
        }
    }

    fn card(&self, ctx: &Ctx, node: NodeId) -> u64 {
        let digest = || super::data_fingerprint(&ctx.doc_card(node));
        match node {
            NodeId::Article(i) => *self.cards[i].get_or_init(digest),
            _ => digest(),
        }
    }
}

/// Document cards, made while serialized: whole for a template, one
/// digest per card for a fingerprint.
pub struct Cards<'a> {
    pub site: &'a Site,
    pub digests: Option<&'a Digests>,
    pub nodes: Vec<NodeId>,
}

impl Serialize for Cards<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ctx = Ctx::site_wide(self.site);
        // Only fingerprints use a binary serializer.
        if serializer.is_human_readable() {
            return serializer.collect_seq(self.nodes.iter().map(|&node| ctx.doc_card(node)));
        }
        let digests = self.nodes.iter().map(|&node| match self.digests {
            Some(digests) => digests.card(&ctx, node),
            None => super::data_fingerprint(&ctx.doc_card(node)),
        });
        serializer.collect_seq(digests)
    }
}

#[derive(Serialize)]
pub struct DocFull<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    pub description: Option<&'a str>,
    pub author: Option<&'a str>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    pub tags: Vec<TagLink<'a>>,
    pub reading_minutes: usize,
    pub words: usize,
    pub content: Html<'a>,
    pub toc: Toc<'a>,
    pub hero_image: Option<String>,
    pub roadmap: Option<Link<'a>>,
    pub draft: bool,
    pub referenced_by: Links<'a>,
    pub extra: &'a Extra,
}

/// The headings of a text whose [`Html`] a context holds too. A fingerprint
/// leaves them out: the text's digest, which the fingerprint holds, covers
/// them.
pub struct Toc<'a>(&'a [Heading]);

impl Serialize for Toc<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.0.serialize(serializer)
        } else {
            serializer.serialize_unit()
        }
    }
}

/// A Markdown text's HTML, made only when the page is rendered: fingerprinting
/// a page (which the preview does for every page on every edit) takes a
/// digest instead, without expanding links and code.
pub struct Html<'a> {
    md: &'a crate::markdown::Markdown,
    root: &'a str,
}

impl<'a> Html<'a> {
    /// The HTML of `md`, with its links made for a page at `root`.
    pub fn new(md: &'a crate::markdown::Markdown, root: &'a str) -> Html<'a> {
        Html { md, root }
    }
}

impl Serialize for Html<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only fingerprints use a binary serializer.
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.md.html_for(self.root))
        } else {
            serializer.serialize_u64(self.md.digest(self.root))
        }
    }
}

impl<'a> Ctx<'a> {
    /// For what shows no page-relative link (cards, links), so is the same
    /// on every page.
    pub(super) fn site_wide(site: &'a Site) -> Ctx<'a> {
        Ctx {
            site,
            root: "",
            digests: None,
        }
    }

    pub fn md(&self, id: Option<MdId>) -> Option<String> {
        id.map(|id| self.site.md(id).html_for(self.root))
    }

    pub fn link(&self, node: NodeId) -> Link<'a> {
        Link {
            title: Cow::Borrowed(self.site.title(node)),
            path: self.site.path(node),
            kind: self.site.kind(node),
        }
    }

    /// The pages that link to `node`.
    pub fn referenced_by(&self, node: NodeId) -> Links<'a> {
        self.list(self.site.referenced_by(node), Backlinks::References(node))
    }

    /// The phases and topics that require `node`.
    pub fn required_by(&self, node: NodeId) -> Links<'a> {
        self.list(self.site.required_by(node), Backlinks::Requirements(node))
    }

    /// The pages that recommend entry `i` of the resource catalog.
    pub fn used_by(&self, i: usize) -> Links<'a> {
        self.list(&self.site.catalog[i].used_by, Backlinks::Recommendations(i))
    }

    /// A list of links by what it is.
    pub(super) fn links(&self, list: Backlinks) -> Links<'a> {
        match list {
            Backlinks::References(node) => self.referenced_by(node),
            Backlinks::Requirements(node) => self.required_by(node),
            Backlinks::Recommendations(i) => self.used_by(i),
        }
    }

    fn list(&self, nodes: &'a [NodeId], list: Backlinks) -> Links<'a> {
        Links {
            site: self.site,
            nodes,
            list,
            digests: self.digests,
        }
    }

    /// What roadmap `r`'s phase or topic requires; one in another roadmap
    /// says which ("Git basics (Git)"), since its title alone could mislead.
    pub fn requires_links(&self, r: usize, nodes: &[NodeId]) -> Vec<Link<'a>> {
        nodes
            .iter()
            .map(|&n| {
                let mut link = self.link(n);
                if let NodeId::Phase(other, _) | NodeId::Topic(other, _, _) = n {
                    if other != r {
                        link.title = Cow::Owned(format!("{} ({})", link.title, self.site.roadmaps[other].title));
                    }
                }
                link
            })
            .collect()
    }

    pub fn roadmap_card(&self, r: usize) -> RoadmapCard<'a> {
        let roadmap = &self.site.roadmaps[r];
        // The same computation as the timeline's totals, so they agree.
        let (duration, ongoing) = super::timeline::length(&roadmap.phases);
        RoadmapCard {
            id: roadmap.id.as_str(),
            title: &roadmap.title,
            path: &roadmap.path,
            summary: self.md(roadmap.summary),
            blurb: roadmap.summary.map(|id| short_excerpt(&self.site.md(id).excerpt)),
            audience: roadmap.audience.as_deref(),
            phase_count: roadmap.phases.len(),
            topic_count: roadmap.phases.iter().map(|p| p.topics.len()).sum(),
            duration,
            ongoing,
            extra: &roadmap.extra,
        }
    }

    fn phase_core(&self, r: usize, p: usize) -> PhaseCore<'a> {
        let phase: &'a Phase = self.site.phase(r, p);
        PhaseCore {
            id: phase.id.as_str(),
            key: super::progress::key(self.site, r, phase.id.as_str()),
            number: phase.number,
            position: p + 1,
            title: &phase.title,
            path: &phase.path,
            duration: phase.duration,
            weekly_hours: phase.weekly_hours,
            summary: self.md(phase.summary),
            milestone: self.md(phase.milestone),
            extra: &phase.extra,
        }
    }

    pub fn phase_card(&self, r: usize, p: usize) -> PhaseCard<'a> {
        let phase = self.site.phase(r, p);
        PhaseCard {
            core: self.phase_core(r, p),
            topics: phase
                .topics
                .iter()
                .map(|t| TopicCard {
                    id: t.id.as_str(),
                    key: super::progress::key(self.site, r, t.id.as_str()),
                    title: &t.title,
                    path: &t.path,
                    duration: t.duration,
                    optional: t.optional,
                })
                .collect(),
        }
    }

    pub fn phase_full(&self, r: usize, p: usize) -> PhaseFull<'a> {
        let phase: &'a Phase = self.site.phase(r, p);
        let node = NodeId::Phase(r, p);
        PhaseFull {
            core: self.phase_core(r, p),
            assessment: self.md(phase.assessment),
            projects: phase
                .projects
                .iter()
                .map(|project| ProjectCtx {
                    title: &project.title,
                    description: self.md(project.description),
                    extra: &project.extra,
                })
                .collect(),
            topics: (0..phase.topics.len()).map(|t| self.topic_full(r, p, t)).collect(),
            has_resources: phase.topics.iter().any(|t| !t.resources.is_empty()),
            has_exercises: phase.topics.iter().any(|t| !t.exercises.is_empty()),
            requires: self.requires_links(r, &phase.requires),
            required_by: Some(self.required_by(node)),
            referenced_by: Some(self.referenced_by(node)),
        }
    }

    pub fn topic_full(&self, r: usize, p: usize, t: usize) -> TopicFull<'a> {
        let topic: &'a Topic = self.site.topic(r, p, t);
        let node = NodeId::Topic(r, p, t);
        TopicFull {
            id: topic.id.as_str(),
            key: super::progress::key(self.site, r, topic.id.as_str()),
            title: &topic.title,
            path: &topic.path,
            duration: topic.duration,
            optional: topic.optional,
            summary: self.md(topic.summary),
            why: self.md(topic.why),
            learn: &topic.learn,
            resources: topic.resources.iter().map(|r| self.resource(r)).collect(),
            exercises: topic.exercises.iter().filter_map(|&e| self.md(Some(e))).collect(),
            requires: self.requires_links(r, &topic.requires),
            required_by: Some(self.required_by(node)),
            referenced_by: Some(self.referenced_by(node)),
            extra: &topic.extra,
        }
    }

    pub fn resource(&self, resource: &'a Resource) -> ResourceCtx<'a> {
        ResourceCtx {
            title: &resource.title,
            by: resource.by.as_deref(),
            url: resource.url.as_deref(),
            kind: resource.kind,
            kind_label: resource.kind.label(),
            cost: resource.cost,
            cost_label: resource.cost.map_or("Cost unknown", Cost::label),
            note: self.md(resource.note),
            extra: &resource.extra,
        }
    }

    pub fn tag_links(&self, doc: &'a Doc) -> Vec<TagLink<'a>> {
        doc.tag_ids
            .iter()
            .map(|&i| TagLink {
                name: &self.site.tags[i].name,
                path: &self.site.tags[i].path,
            })
            .collect()
    }

    pub fn doc_card(&self, node: NodeId) -> DocCard<'a> {
        let doc = self.doc(node);
        let body = self.site.md(doc.body);
        DocCard {
            title: &doc.title,
            subtitle: doc.subtitle.as_deref(),
            path: &doc.path,
            description: doc
                .description
                .as_deref()
                .map_or_else(|| Cow::Owned(short_excerpt(&body.excerpt)), Cow::Borrowed),
            author: doc.author.as_deref(),
            date: doc.date,
            reading_minutes: reading_minutes(body.words),
            tags: self.tag_links(doc),
            kind: self.site.kind(node),
        }
    }

    pub fn doc(&self, node: NodeId) -> &'a Doc {
        match node {
            NodeId::Article(i) => &self.site.articles[i],
            NodeId::Page(i) => &self.site.pages[i],
            NodeId::RoadmapPage(r, i) => &self.site.roadmaps[r].pages[i],
            _ => unreachable!("not a document: {node:?}"),
        }
    }

    pub fn doc_full(&self, node: NodeId) -> DocFull<'a> {
        let doc = self.doc(node);
        let body = self.site.md(doc.body);
        let roadmap = match node {
            NodeId::RoadmapPage(r, _) => Some(r),
            _ => doc.roadmap,
        };
        DocFull {
            slug: doc.slug.as_str(),
            title: &doc.title,
            subtitle: doc.subtitle.as_deref(),
            description: doc.description.as_deref(),
            author: doc.author.as_deref(),
            date: doc.date,
            updated: doc.updated,
            tags: self.tag_links(doc),
            reading_minutes: reading_minutes(body.words),
            words: body.words,
            content: Html {
                md: body,
                root: self.root,
            },
            toc: Toc(&body.headings),
            hero_image: doc.hero_image.as_deref().map(|src| self.href(src)),
            roadmap: roadmap.map(|r| self.link(NodeId::Roadmap(r))),
            draft: doc.draft,
            referenced_by: self.referenced_by(node),
            extra: &doc.extra,
        }
    }

    /// A URL an author wrote in front matter: root-relative ones become page-relative.
    pub fn href(&self, url: &str) -> String {
        match url.strip_prefix('/') {
            Some(rest) if !rest.starts_with('/') => format!("{}{rest}", self.root),
            _ => url.to_owned(),
        }
    }
}

/// Minutes to read at 200 words a minute, at least one.
pub fn reading_minutes(words: usize) -> usize {
    words.div_ceil(200).max(1)
}

/// The first sentence or so of a text, for cards and descriptions.
pub fn short_excerpt(text: &str) -> String {
    const MAX: usize = 180;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}
