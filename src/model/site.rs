//! The resolved site: an immutable, typed picture of everything a build
//! publishes. Rendering only reads it, so pages render in parallel freely.

use std::path::PathBuf;

use serde::Serialize;

use super::paths::{BaseUrl, SitePath};
use super::values::{Cost, Date, Duration, Hours, Id, ResourceKind};
use crate::diag::FileId;
use crate::markdown::Markdown;

/// Free-form author data (`extra:`), passed to templates as it is.
pub type Extra = serde_json::Map<String, serde_json::Value>;

#[derive(Debug)]
pub struct Site {
    pub config: Config,
    /// Ordered by `order`, then id.
    pub roadmaps: Vec<Roadmap>,
    /// Newest first.
    pub articles: Vec<Doc>,
    /// Standalone pages (`/<slug>/`), by slug.
    pub pages: Vec<Doc>,
    /// By slug.
    pub tags: Vec<Tag>,
    /// Every resource once, in order of first appearance.
    pub catalog: Vec<CatalogEntry>,
    /// Every Markdown text of the site; fields hold an index into it.
    pub markdown: Vec<Markdown>,
    /// Who links to whom, and who requires whom.
    pub graph: Graph,
    /// Files under `content/` that are not roadmap data or Markdown, copied as they are.
    pub assets: Vec<Asset>,
    /// The site's `static/` files, copied as they are.
    pub static_files: Vec<Asset>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub base_url: BaseUrl,
    pub description: Option<String>,
    pub language: String,
    pub author: Option<String>,
    pub highlight_theme: String,
    pub highlight_dark_theme: String,
    pub paper: Paper,
    pub allow_html: bool,
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

/// An index into [`Site::markdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MdId(pub u32);

#[derive(Debug)]
pub struct Roadmap {
    pub id: Id,
    pub title: String,
    pub summary: Option<MdId>,
    pub audience: Option<String>,
    pub order: i64,
    pub extra: Extra,
    pub phases: Vec<Phase>,
    /// Extra pages (FAQ, careers…), by slug.
    pub pages: Vec<Doc>,
    pub path: SitePath,
    pub source: FileId,
}

#[derive(Debug)]
pub struct Phase {
    pub id: Id,
    /// The numeric prefix of the file name, which orders phases.
    pub number: u64,
    pub title: String,
    pub duration: Option<Duration>,
    pub weekly_hours: Option<Hours>,
    pub summary: Option<MdId>,
    pub requires: Vec<NodeId>,
    pub topics: Vec<Topic>,
    pub milestone: Option<MdId>,
    pub assessment: Option<MdId>,
    pub projects: Vec<Project>,
    pub extra: Extra,
    pub path: SitePath,
    pub source: FileId,
}

#[derive(Debug)]
pub struct Topic {
    pub id: Id,
    pub title: String,
    pub duration: Option<Duration>,
    pub optional: bool,
    pub summary: Option<MdId>,
    pub why: Option<MdId>,
    pub learn: Vec<String>,
    pub resources: Vec<Resource>,
    pub exercises: Vec<MdId>,
    pub requires: Vec<NodeId>,
    pub extra: Extra,
    pub path: SitePath,
}

#[derive(Debug)]
pub struct Resource {
    pub title: String,
    pub by: Option<String>,
    pub url: Option<String>,
    pub kind: ResourceKind,
    pub cost: Option<Cost>,
    pub note: Option<MdId>,
    pub extra: Extra,
    /// Its entry in [`Site::catalog`].
    pub catalog: usize,
}

#[derive(Debug)]
pub struct Project {
    pub title: String,
    pub description: Option<MdId>,
    pub extra: Extra,
}

/// A Markdown document with front matter: an article, a standalone page, or
/// an extra page of a roadmap.
#[derive(Debug)]
pub struct Doc {
    pub slug: Id,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    /// Tag names as written, and the index of each in [`Site::tags`].
    pub tags: Vec<String>,
    pub tag_ids: Vec<usize>,
    pub roadmap: Option<usize>,
    pub draft: bool,
    pub hero_image: Option<String>,
    pub extra: Extra,
    pub body: MdId,
    pub path: SitePath,
    pub source: FileId,
}

#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    /// The articles and pages that carry it, articles first, newest first.
    pub docs: Vec<NodeId>,
    pub path: SitePath,
}

/// One resource of the catalog, with every topic that uses it.
#[derive(Debug)]
pub struct CatalogEntry {
    /// Its id on the resource catalog page (`r-deep-learning`).
    pub anchor: String,
    pub title: String,
    pub by: Option<String>,
    pub url: Option<String>,
    pub kind: ResourceKind,
    pub cost: Option<Cost>,
    /// Topic nodes, in order of appearance.
    pub used_by: Vec<NodeId>,
}

#[derive(Debug, Clone)]
pub struct Asset {
    pub source: PathBuf,
    pub path: SitePath,
}

/// Every page-like thing that can be linked to, by position in the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Roadmap(usize),
    Phase(usize, usize),
    Topic(usize, usize, usize),
    RoadmapPage(usize, usize),
    Article(usize),
    Page(usize),
}

#[derive(Debug, Default)]
pub struct Graph {
    /// Target → the nodes whose text links to it, deduplicated, in site order.
    pub referenced_by: rustc_hash::FxHashMap<NodeId, Vec<NodeId>>,
    /// Target → the phases or topics that list it in `requires`.
    pub required_by: rustc_hash::FxHashMap<NodeId, Vec<NodeId>>,
}

impl Site {
    pub fn md(&self, id: MdId) -> &Markdown {
        &self.markdown[id.0 as usize]
    }

    pub fn phase(&self, roadmap: usize, phase: usize) -> &Phase {
        &self.roadmaps[roadmap].phases[phase]
    }

    pub fn topic(&self, roadmap: usize, phase: usize, topic: usize) -> &Topic {
        &self.roadmaps[roadmap].phases[phase].topics[topic]
    }

    pub fn title(&self, node: NodeId) -> &str {
        match node {
            NodeId::Roadmap(r) => &self.roadmaps[r].title,
            NodeId::Phase(r, p) => &self.phase(r, p).title,
            NodeId::Topic(r, p, t) => &self.topic(r, p, t).title,
            NodeId::RoadmapPage(r, i) => &self.roadmaps[r].pages[i].title,
            NodeId::Article(i) => &self.articles[i].title,
            NodeId::Page(i) => &self.pages[i].title,
        }
    }

    pub fn path(&self, node: NodeId) -> &SitePath {
        match node {
            NodeId::Roadmap(r) => &self.roadmaps[r].path,
            NodeId::Phase(r, p) => &self.phase(r, p).path,
            NodeId::Topic(r, p, t) => &self.topic(r, p, t).path,
            NodeId::RoadmapPage(r, i) => &self.roadmaps[r].pages[i].path,
            NodeId::Article(i) => &self.articles[i].path,
            NodeId::Page(i) => &self.pages[i].path,
        }
    }

    /// The file a node comes from (a topic comes from its phase's file).
    pub fn source(&self, node: NodeId) -> FileId {
        match node {
            NodeId::Roadmap(r) => self.roadmaps[r].source,
            NodeId::Phase(r, p) | NodeId::Topic(r, p, _) => self.phase(r, p).source,
            NodeId::RoadmapPage(r, i) => self.roadmaps[r].pages[i].source,
            NodeId::Article(i) => self.articles[i].source,
            NodeId::Page(i) => self.pages[i].source,
        }
    }

    /// `roadmap/id` for a phase or topic, as `requires` writes it; the site
    /// path for anything else.
    pub fn qualified_id(&self, node: NodeId) -> String {
        match node {
            NodeId::Phase(r, p) => format!("{}/{}", self.roadmaps[r].id, self.phase(r, p).id),
            NodeId::Topic(r, p, t) => format!("{}/{}", self.roadmaps[r].id, self.topic(r, p, t).id),
            other => self.path(other).to_string(),
        }
    }

    /// What kind of page a node is, in words, for lists of links.
    pub fn kind(&self, node: NodeId) -> &'static str {
        match node {
            NodeId::Roadmap(_) => "roadmap",
            NodeId::Phase(..) => "phase",
            NodeId::Topic(..) => "topic",
            NodeId::RoadmapPage(..) | NodeId::Page(_) => "page",
            NodeId::Article(_) => "article",
        }
    }

    pub fn referenced_by(&self, node: NodeId) -> &[NodeId] {
        self.graph.referenced_by.get(&node).map_or(&[], Vec::as_slice)
    }

    pub fn required_by(&self, node: NodeId) -> &[NodeId] {
        self.graph.required_by.get(&node).map_or(&[], Vec::as_slice)
    }

    /// Every node of the site, in site order.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes = Vec::new();
        for (r, roadmap) in self.roadmaps.iter().enumerate() {
            nodes.push(NodeId::Roadmap(r));
            for (p, phase) in roadmap.phases.iter().enumerate() {
                nodes.push(NodeId::Phase(r, p));
                nodes.extend((0..phase.topics.len()).map(|t| NodeId::Topic(r, p, t)));
            }
            nodes.extend((0..roadmap.pages.len()).map(|i| NodeId::RoadmapPage(r, i)));
        }
        nodes.extend((0..self.articles.len()).map(NodeId::Article));
        nodes.extend((0..self.pages.len()).map(NodeId::Page));
        nodes
    }
}
