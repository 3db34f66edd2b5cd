//! What each page is made from, as digests of the parts of the model it
//! reads: the preview tells a page unchanged from its key, without making
//! its context and fingerprint. A one-line edit on a large site then
//! fingerprints the few pages that read what changed, not thousands.
//!
//! A key must cover everything the page's context reads (`render::meta`,
//! `render::page_data` and the `Ctx` builders they call). The model's
//! structs are taken apart field by field without `..`, so a new field does
//! not compile until it is covered here; and a debug build fingerprints
//! every page whose key matched and fails when the fingerprint differs,
//! which the preview's tests exercise.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3;

use super::Job;
use super::context::{Backlinks, Ctx, Digests};
use crate::model::{Doc, Extra, Hours, MdId, NodeId, Phase, Project, Resource, Roadmap, Site, Topic};

/// Digests of the model's parts, taken once per preview rebuild.
pub(super) struct Inputs<'a> {
    site: &'a Site,
    digests: &'a Digests,
    /// The config and what every page shows (`site`, `nav`, handouts).
    global: u64,
    articles: Vec<u64>,
    pages: Vec<u64>,
    roadmap_pages: Vec<Vec<u64>>,
    /// Each roadmap's own fields, each phase (with its topics), each topic.
    headers: Vec<u64>,
    phases: Vec<Vec<u64>>,
    topics: Vec<Vec<Vec<u64>>>,
    /// Each roadmap whole, for its overview, with the roadmaps its
    /// requirements point into (their diagram boxes and progress keys).
    roadmaps: Vec<u64>,
    /// Every article, in order, for the article list.
    all_articles: u64,
    /// The articles each roadmap's overview lists.
    roadmap_articles: Vec<u64>,
    tags: Vec<u64>,
}

impl<'a> Inputs<'a> {
    /// `global`: the fingerprint of what every page sees.
    pub(super) fn new(site: &'a Site, digests: &'a Digests, global: u64) -> Inputs<'a> {
        let md: Vec<u64> = site.markdown.par_iter().map(markdown).collect();
        let parts = Parts { site, md: &md };
        let articles: Vec<u64> = site.articles.par_iter().map(|d| parts.doc(d)).collect();
        let pages = site.pages.iter().map(|d| parts.doc(d)).collect();
        let roadmap_pages: Vec<Vec<u64>> = site
            .roadmaps
            .iter()
            .map(|r| r.pages.iter().map(|d| parts.doc(d)).collect())
            .collect();
        let topics: Vec<Vec<Vec<u64>>> = site
            .roadmaps
            .iter()
            .map(|r| {
                r.phases
                    .iter()
                    .map(|p| p.topics.iter().map(|t| parts.topic(t)).collect())
                    .collect()
            })
            .collect();
        let phases: Vec<Vec<u64>> = site
            .roadmaps
            .iter()
            .zip(&topics)
            .map(|(r, topics)| r.phases.iter().zip(topics).map(|(p, t)| parts.phase(p, t)).collect())
            .collect();
        let headers: Vec<u64> = (0..site.roadmaps.len()).map(|r| parts.header(r)).collect();
        let own: Vec<u64> = (0..site.roadmaps.len())
            .map(|r| {
                let mut h = Xxh3::new();
                h.write_u64(headers[r]);
                phases[r].hash(&mut h);
                roadmap_pages[r].hash(&mut h);
                h.finish()
            })
            .collect();
        let roadmaps = (0..site.roadmaps.len())
            .map(|r| {
                let mut h = Xxh3::new();
                h.write_u64(own[r]);
                let mut others: Vec<usize> = site.roadmaps[r]
                    .phases
                    .iter()
                    .flat_map(|p| p.requires.iter().chain(p.topics.iter().flat_map(|t| &t.requires)))
                    .filter_map(|&node| match node {
                        NodeId::Roadmap(o) | NodeId::Phase(o, _) | NodeId::Topic(o, ..) | NodeId::RoadmapPage(o, _) => {
                            Some(o)
                        }
                        _ => None,
                    })
                    .filter(|&o| o != r)
                    .collect();
                others.sort_unstable();
                others.dedup();
                for o in others {
                    h.write_u64(own[o]);
                }
                h.finish()
            })
            .collect();
        let mut all = Xxh3::new();
        let mut roadmap_articles = vec![Xxh3::new(); site.roadmaps.len()];
        for (doc, &a) in site.articles.iter().zip(&articles) {
            all.write_u64(a);
            if let Some(r) = doc.roadmap {
                roadmap_articles[r].write_u64(a);
            }
        }
        let tags = site
            .tags
            .iter()
            .map(|tag| {
                let crate::model::Tag { name, slug, docs, path } = tag;
                let mut h = Xxh3::new();
                (name, slug, docs, path).hash(&mut h);
                h.finish()
            })
            .collect();
        let mut h = Xxh3::new();
        h.write_u64(global);
        // Debug shows every field of the config; it is one value per build.
        format!("{:?}", site.config).hash(&mut h);
        Inputs {
            site,
            digests,
            global: h.finish(),
            articles,
            pages,
            roadmap_pages,
            headers,
            phases,
            topics,
            roadmaps,
            all_articles: all.finish(),
            roadmap_articles: roadmap_articles.iter().map(Xxh3::finish).collect(),
            tags,
        }
    }

    /// The key of `job`'s page at `root`, with its template's fingerprint;
    /// `None` for the few pages that read the whole site in their own ways
    /// (home, tags, resources, 404): they are always fingerprinted.
    pub(super) fn key(&self, job: Job, root: &str, template: u64) -> Option<u64> {
        let site = self.site;
        let mut h = Xxh3::new();
        h.write_u64(self.global);
        h.write_u64(template);
        root.hash(&mut h);
        job.hash(&mut h);
        let list = |h: &mut Xxh3, list: Backlinks| h.write_u64(self.list(list));
        match job {
            Job::Home | Job::Tags | Job::Resources | Job::NotFound => return None,
            Job::Roadmap(r) => {
                h.write_u64(self.roadmaps[r]);
                h.write_u64(self.roadmap_articles[r]);
                list(&mut h, Backlinks::References(NodeId::Roadmap(r)));
            }
            Job::Phase(r, p) => {
                h.write_u64(self.headers[r]);
                h.write_u64(self.phases[r][p]);
                h.write_usize(self.phases[r].len());
                let ctx = Ctx::site_wide(site);
                for neighbour in [p.checked_sub(1), Some(p + 1)] {
                    match neighbour.filter(|&q| q < self.phases[r].len()) {
                        Some(q) => link(&mut h, &ctx, NodeId::Phase(r, q)),
                        None => h.write_u8(0),
                    }
                }
                let topics = (0..site.phase(r, p).topics.len()).map(|t| NodeId::Topic(r, p, t));
                for node in std::iter::once(NodeId::Phase(r, p)).chain(topics) {
                    list(&mut h, Backlinks::References(node));
                    list(&mut h, Backlinks::Requirements(node));
                }
            }
            Job::Topic(r, p, t) => {
                h.write_u64(self.headers[r]);
                h.write_u64(self.topics[r][p][t]);
                let ctx = Ctx::site_wide(site);
                link(&mut h, &ctx, NodeId::Phase(r, p));
                h.write_u64(site.phase(r, p).number);
                let (previous, next) = super::topic_neighbours(site, r, p, t);
                for neighbour in [previous, next] {
                    match neighbour {
                        Some(node) => link(&mut h, &ctx, node),
                        None => h.write_u8(0),
                    }
                }
                list(&mut h, Backlinks::References(NodeId::Topic(r, p, t)));
                list(&mut h, Backlinks::Requirements(NodeId::Topic(r, p, t)));
            }
            Job::Doc(node) => {
                h.write_u64(self.doc(node));
                list(&mut h, Backlinks::References(node));
                let ctx = Ctx::site_wide(site);
                let roadmap = match node {
                    NodeId::RoadmapPage(r, _) => {
                        // Its siblings are listed on it.
                        for i in 0..site.roadmaps[r].pages.len() {
                            link(&mut h, &ctx, NodeId::RoadmapPage(r, i));
                        }
                        Some(r)
                    }
                    _ => ctx.doc(node).roadmap,
                };
                if let Some(r) = roadmap {
                    link(&mut h, &ctx, NodeId::Roadmap(r));
                }
            }
            Job::Articles => h.write_u64(self.all_articles),
            Job::Tag(i) => {
                h.write_u64(self.tags[i]);
                for &node in &site.tags[i].docs {
                    h.write_u64(self.doc(node));
                }
            }
        }
        Some(h.finish())
    }

    fn doc(&self, node: NodeId) -> u64 {
        match node {
            NodeId::Article(i) => self.articles[i],
            NodeId::Page(i) => self.pages[i],
            NodeId::RoadmapPage(r, i) => self.roadmap_pages[r][i],
            _ => unreachable!("not a document: {node:?}"),
        }
    }

    fn list(&self, list: Backlinks) -> u64 {
        let ctx = Ctx {
            site: self.site,
            root: "",
            digests: Some(self.digests),
        };
        ctx.links(list).digest()
    }
}

/// A link as [`Ctx::link`] makes it.
fn link(h: &mut Xxh3, ctx: &Ctx, node: NodeId) {
    let link = ctx.link(node);
    (&*link.title, link.path, link.kind).hash(h);
}

/// What a text shows anywhere: its HTML, code, headings and resolved
/// links (its digest), its word count and its excerpt.
fn markdown(md: &crate::markdown::Markdown) -> u64 {
    let mut h = Xxh3::new();
    h.write_u64(md.digest(""));
    h.write_usize(md.words);
    md.excerpt.hash(&mut h);
    h.finish()
}

/// The model's structs, fed to a hasher whole.
struct Parts<'a> {
    site: &'a Site,
    md: &'a [u64],
}

impl Parts<'_> {
    fn md(&self, h: &mut Xxh3, id: Option<MdId>) {
        match id {
            Some(id) => {
                h.write_u8(1);
                h.write_u64(self.md[id.0 as usize]);
            }
            None => h.write_u8(0),
        }
    }

    fn doc(&self, doc: &Doc) -> u64 {
        let Doc {
            slug,
            title,
            subtitle,
            description,
            author,
            date,
            updated,
            tags,
            tag_ids,
            roadmap,
            draft,
            hero_image,
            extra: extra_data,
            body,
            path,
            source: _,
        } = doc;
        let mut h = Xxh3::new();
        (
            slug,
            title,
            subtitle,
            description,
            author,
            tags,
            roadmap,
            draft,
            hero_image,
            path,
        )
            .hash(&mut h);
        for date in [date, updated] {
            h.write_u8(date.is_some().into());
            if let Some(date) = date {
                date.feed(&mut h);
            }
        }
        // Tags show by their name and path.
        for &i in tag_ids {
            let tag = &self.site.tags[i];
            (&tag.name, &tag.path).hash(&mut h);
        }
        extra(&mut h, extra_data);
        self.md(&mut h, Some(*body));
        h.finish()
    }

    /// Roadmap `r`'s own fields, without its phases and pages.
    fn header(&self, r: usize) -> u64 {
        let Roadmap {
            id,
            title,
            summary,
            audience,
            order,
            extra: extra_data,
            phases: _,
            pages: _,
            path,
            source: _,
        } = &self.site.roadmaps[r];
        let mut h = Xxh3::new();
        (id, title, audience, order, path).hash(&mut h);
        self.md(&mut h, *summary);
        extra(&mut h, extra_data);
        h.finish()
    }

    /// A phase, with its topics' digests.
    fn phase(&self, phase: &Phase, topic_digests: &[u64]) -> u64 {
        let mut h = Xxh3::new();
        let h = &mut h;
        let Phase {
            id,
            number,
            title,
            duration,
            weekly_hours,
            summary,
            requires,
            topics,
            milestone,
            assessment,
            projects,
            extra: extra_data,
            path,
            source: _,
        } = phase;
        (id, number, title, duration, path).hash(h);
        hours(h, *weekly_hours);
        for md in [summary, milestone, assessment] {
            self.md(h, *md);
        }
        self.requires(h, requires);
        debug_assert_eq!(topics.len(), topic_digests.len());
        topic_digests.hash(h);
        h.write_usize(projects.len());
        for Project {
            title,
            description,
            extra: extra_data,
        } in projects
        {
            title.hash(h);
            self.md(h, *description);
            extra(h, extra_data);
        }
        extra(h, extra_data);
        h.finish()
    }

    fn topic(&self, topic: &Topic) -> u64 {
        let mut h = Xxh3::new();
        let h = &mut h;
        let Topic {
            id,
            title,
            duration,
            optional,
            summary,
            why,
            learn,
            resources,
            exercises,
            requires,
            extra: extra_data,
            path,
        } = topic;
        (id, title, duration, optional, learn, path).hash(h);
        self.md(h, *summary);
        self.md(h, *why);
        h.write_usize(resources.len());
        for resource in resources {
            self.resource(h, resource);
        }
        h.write_usize(exercises.len());
        for &md in exercises {
            self.md(h, Some(md));
        }
        self.requires(h, requires);
        extra(h, extra_data);
        h.finish()
    }

    fn resource(&self, h: &mut Xxh3, resource: &Resource) {
        let Resource {
            title,
            by,
            url,
            kind,
            cost,
            note,
            extra: extra_data,
            catalog,
        } = resource;
        (title, by, url, kind, cost, catalog).hash(h);
        self.md(h, *note);
        extra(h, extra_data);
    }

    /// What is required, as pages show it: a link, the diagram's key, and
    /// the title of the roadmap it is in.
    fn requires(&self, h: &mut Xxh3, nodes: &[NodeId]) {
        let ctx = Ctx::site_wide(self.site);
        nodes.hash(h);
        for &node in nodes {
            link(h, &ctx, node);
            self.site.qualified_id(node).hash(h);
            if let NodeId::Phase(o, _) | NodeId::Topic(o, ..) = node {
                self.site.roadmaps[o].title.hash(h);
            }
        }
    }
}

fn hours(h: &mut Xxh3, hours: Option<Hours>) {
    h.write_u8(hours.is_some().into());
    if let Some(Hours { min, max }) = hours {
        h.write_u64(min.to_bits());
        h.write_u64(max.to_bits());
    }
}

/// Author data, usually empty: serialized only when it is not.
fn extra(h: &mut Xxh3, extra: &Extra) {
    h.write_usize(extra.len());
    if !extra.is_empty() {
        h.write_u64(super::data_fingerprint(extra));
    }
}
