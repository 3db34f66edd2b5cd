//! Files for machines rather than readers: the sitemap, the Atom feed,
//! robots.txt, each roadmap's `roadmap.json`; and the resource catalog's
//! context, which groups the deduplicated resources by kind.

use serde::Serialize;

use super::Incremental;
use super::context::{Ctx, Html, Links};
use super::theme::Theme;
use crate::diag::Diagnostic;
use crate::model::{Cost, Duration, Hours, NodeId, ResourceKind, Site, SitePath};
use crate::output::Sink;
use std::path::Path;

/// One data file, by its name in the output.
pub enum DataFile {
    /// Made now, with the fingerprint of its inputs when one was taken.
    Made {
        name: String,
        bytes: Vec<u8>,
        fingerprint: Option<u64>,
    },
    /// The previous build's file stays: its inputs still have this fingerprint.
    Kept { name: String, fingerprint: u64 },
}

pub fn files(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    incremental: Incremental,
    errors: &mut Vec<Diagnostic>,
) -> Vec<DataFile> {
    // The search index is made beside the templated files: each is one
    // thread's work, and the preview makes them all on every edit.
    let (mut out, search_index) = rayon::join(
        || templated(site, theme, sink, incremental, errors),
        || super::search::index(site),
    );
    out.push(DataFile::Made {
        name: "search-index.json".to_owned(),
        bytes: search_index,
        fingerprint: None,
    });
    out
}

fn templated(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    incremental: Incremental,
    errors: &mut Vec<Diagnostic>,
) -> Vec<DataFile> {
    let mut out = Vec::new();
    let base = &site.config.base_url;
    #[derive(Serialize)]
    struct Sitemap {
        entries: Vec<SitemapEntry>,
    }
    let sitemap = Sitemap {
        entries: sitemap_entries(site),
    };
    out.extend(templated_file(
        "sitemap.xml",
        &sitemap,
        theme,
        sink,
        incremental,
        errors,
    ));

    #[derive(Serialize)]
    struct Atom<'a> {
        feed: Feed<'a>,
        entries: Vec<FeedEntry<'a>>,
    }
    let (feed, entries) = feed(site);
    let atom = Atom { feed, entries };
    out.extend(templated_file("atom.xml", &atom, theme, sink, incremental, errors));

    #[derive(Serialize)]
    struct Robots {
        sitemap: String,
    }
    let robots = Robots {
        sitemap: base.permalink(&SitePath::file("sitemap.xml")),
    };
    out.extend(templated_file("robots.txt", &robots, theme, sink, incremental, errors));

    for (r, roadmap) in site.roadmaps.iter().enumerate() {
        let name = format!("{}roadmap.json", roadmap.path.as_str());
        let json = roadmap_json(site, r);
        // Written again only when what it is made from changed, like the
        // sitemap: its HTML is made only then. No template: waymark's own
        // format, and every fingerprint holds waymark's version.
        let fingerprint = incremental.fingerprint(sink, 0, || super::data_fingerprint(&json));
        if let Some(fingerprint) = fingerprint.filter(|&f| incremental.keeps(sink, Path::new(&name), f)) {
            out.push(DataFile::Kept { name, fingerprint });
            continue;
        }
        out.push(DataFile::Made {
            name,
            bytes: serde_json::to_vec_pretty(&json).expect("plain data serializes"),
            fingerprint,
        });
    }
    out
}

/// A file made by template `name` from `data`, again only when its data or
/// template changed, like pages: the sitemap and the feed list thousands of
/// pages or whole articles, and rarely change.
fn templated_file<T: Serialize>(
    name: &str,
    data: &T,
    theme: &Theme,
    sink: &dyn Sink,
    incremental: Incremental,
    errors: &mut Vec<Diagnostic>,
) -> Option<DataFile> {
    let fingerprint = incremental.fingerprint(sink, theme.fingerprint(name), || super::data_fingerprint(data));
    if let Some(fingerprint) = fingerprint.filter(|&f| incremental.keeps(sink, Path::new(name), f)) {
        return Some(DataFile::Kept {
            name: name.to_owned(),
            fingerprint,
        });
    }
    let rendered = tera::Context::from_serialize(data).and_then(|context| theme.tera.render(name, &context));
    match rendered {
        Ok(text) => Some(DataFile::Made {
            name: name.to_owned(),
            bytes: text.into_bytes(),
            fingerprint,
        }),
        Err(err) => {
            errors.push(theme.diagnostic(name, &err, Some(&format!("/{name}"))));
            None
        }
    }
}

#[derive(Serialize)]
struct SitemapEntry {
    permalink: String,
    lastmod: Option<String>,
}

fn sitemap_entries(site: &Site) -> Vec<SitemapEntry> {
    let base = &site.config.base_url;
    let mut entries = vec![SitemapEntry {
        permalink: base.permalink(&SitePath::home()),
        lastmod: site
            .articles
            .first()
            .and_then(|a| a.updated.or(a.date))
            .map(|d| d.iso_date()),
    }];
    let mut add = |path: &SitePath, lastmod: Option<String>| {
        entries.push(SitemapEntry {
            permalink: base.permalink(path),
            lastmod,
        });
    };
    for node in site.nodes() {
        let lastmod = match node {
            NodeId::Article(i) => {
                let doc = &site.articles[i];
                doc.updated.or(doc.date).map(|d| d.iso_date())
            }
            _ => None,
        };
        add(site.path(node), lastmod);
    }
    for list in ["articles", "tags", "resources"] {
        add(&SitePath::page([list]), None);
    }
    for tag in &site.tags {
        add(&tag.path, None);
    }
    entries
}

#[derive(Serialize)]
struct Feed<'a> {
    title: &'a str,
    subtitle: Option<&'a str>,
    permalink: String,
    home: String,
    updated: String,
    author: Option<&'a str>,
}

#[derive(Serialize)]
struct FeedEntry<'a> {
    title: &'a str,
    permalink: String,
    published: Option<String>,
    updated: String,
    author: Option<&'a str>,
    summary: Option<&'a str>,
    content: Html<'a>,
    tags: Vec<&'a str>,
}

const FEED_LENGTH: usize = 20;

fn feed(site: &Site) -> (Feed<'_>, Vec<FeedEntry<'_>>) {
    let base = &site.config.base_url;
    let entries: Vec<FeedEntry> = site
        .articles
        .iter()
        .take(FEED_LENGTH)
        .map(|doc| {
            let updated = doc.updated.or(doc.date);
            FeedEntry {
                title: &doc.title,
                permalink: base.permalink(&doc.path),
                published: doc.date.map(|d| d.rfc3339()),
                updated: updated.map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |d| d.rfc3339()),
                author: doc.author.as_deref().or(site.config.author.as_deref()),
                summary: doc.description.as_deref(),
                // Links in a feed reader must be absolute.
                content: Html::new(site.md(doc.body), base.as_str()),
                tags: doc.tags.iter().map(String::as_str).collect(),
            }
        })
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.updated.clone())
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
    let feed = Feed {
        title: &site.config.title,
        subtitle: site.config.description.as_deref(),
        permalink: base.permalink(&SitePath::file("atom.xml")),
        home: base.permalink(&SitePath::home()),
        updated,
        author: site.config.author.as_deref(),
    };
    (feed, entries)
}

#[derive(Serialize)]
struct RoadmapJson<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    audience: Option<&'a str>,
    summary_html: Option<Html<'a>>,
    duration: Option<Duration>,
    phases: Vec<PhaseJson<'a>>,
    pages: Vec<PageJson<'a>>,
}

#[derive(Serialize)]
struct PhaseJson<'a> {
    id: &'a str,
    number: u64,
    title: &'a str,
    url: String,
    duration: Option<Duration>,
    weekly_hours: Option<Hours>,
    requires: Vec<String>,
    summary_html: Option<Html<'a>>,
    milestone_html: Option<Html<'a>>,
    assessment_html: Option<Html<'a>>,
    topics: Vec<TopicJson<'a>>,
    projects: Vec<ProjectJson<'a>>,
    extra: &'a crate::model::Extra,
}

#[derive(Serialize)]
struct TopicJson<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    duration: Option<Duration>,
    optional: bool,
    requires: Vec<String>,
    learn: &'a [String],
    summary_html: Option<Html<'a>>,
    why_html: Option<Html<'a>>,
    exercises_html: Vec<Html<'a>>,
    resources: Vec<ResourceJson<'a>>,
    extra: &'a crate::model::Extra,
}

#[derive(Serialize)]
struct ResourceJson<'a> {
    title: &'a str,
    by: Option<&'a str>,
    url: Option<&'a str>,
    kind: ResourceKind,
    cost: Option<Cost>,
    note_html: Option<Html<'a>>,
}

#[derive(Serialize)]
struct ProjectJson<'a> {
    title: &'a str,
    description_html: Option<Html<'a>>,
}

#[derive(Serialize)]
struct PageJson<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
}

fn roadmap_json(site: &Site, r: usize) -> RoadmapJson<'_> {
    let base = site.config.base_url.as_str();
    let html = |md: Option<crate::model::MdId>| md.map(|id| Html::new(site.md(id), base));
    let url = |path: &SitePath| site.config.base_url.permalink(path);
    let roadmap = &site.roadmaps[r];
    RoadmapJson {
        id: roadmap.id.as_str(),
        title: &roadmap.title,
        url: url(&roadmap.path),
        audience: roadmap.audience.as_deref(),
        summary_html: html(roadmap.summary),
        duration: Duration::total(roadmap.phases.iter().filter_map(|p| p.duration)),
        phases: roadmap
            .phases
            .iter()
            .map(|phase| PhaseJson {
                id: phase.id.as_str(),
                number: phase.number,
                title: &phase.title,
                url: url(&phase.path),
                duration: phase.duration,
                weekly_hours: phase.weekly_hours,
                requires: phase.requires.iter().map(|&n| site.qualified_id(n)).collect(),
                summary_html: html(phase.summary),
                milestone_html: html(phase.milestone),
                assessment_html: html(phase.assessment),
                topics: phase
                    .topics
                    .iter()
                    .map(|topic| TopicJson {
                        id: topic.id.as_str(),
                        title: &topic.title,
                        url: url(&topic.path),
                        duration: topic.duration,
                        optional: topic.optional,
                        requires: topic.requires.iter().map(|&n| site.qualified_id(n)).collect(),
                        learn: &topic.learn,
                        summary_html: html(topic.summary),
                        why_html: html(topic.why),
                        exercises_html: topic.exercises.iter().filter_map(|&e| html(Some(e))).collect(),
                        resources: topic
                            .resources
                            .iter()
                            .map(|res| ResourceJson {
                                title: &res.title,
                                by: res.by.as_deref(),
                                url: res.url.as_deref(),
                                kind: res.kind,
                                cost: res.cost,
                                note_html: html(res.note),
                            })
                            .collect(),
                        extra: &topic.extra,
                    })
                    .collect(),
                projects: phase
                    .projects
                    .iter()
                    .map(|p| ProjectJson {
                        title: &p.title,
                        description_html: html(p.description),
                    })
                    .collect(),
                extra: &phase.extra,
            })
            .collect(),
        pages: roadmap
            .pages
            .iter()
            .map(|page| PageJson {
                id: page.slug.as_str(),
                title: &page.title,
                url: url(&page.path),
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub struct Catalog<'a> {
    groups: Vec<KindGroup<'a>>,
    kinds: Vec<Facet>,
    costs: Vec<Facet>,
    total: usize,
}

#[derive(Serialize)]
struct KindGroup<'a> {
    kind: &'static str,
    label: &'static str,
    entries: Vec<CatalogItem<'a>>,
}

#[derive(Serialize)]
struct CatalogItem<'a> {
    anchor: &'a str,
    title: &'a str,
    by: Option<&'a str>,
    url: Option<&'a str>,
    kind: &'static str,
    cost: &'static str,
    cost_label: &'static str,
    used_by: Links<'a>,
}

#[derive(Serialize)]
struct Facet {
    key: &'static str,
    label: &'static str,
    count: usize,
}

pub fn catalog_context<'a>(ctx: &Ctx<'a>) -> Catalog<'a> {
    let site = ctx.site;
    let mut groups: Vec<KindGroup> = Vec::new();
    for kind in ResourceKind::ALL {
        let mut entries: Vec<CatalogItem> = site
            .catalog
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == kind)
            .map(|(i, e)| CatalogItem {
                anchor: &e.anchor,
                title: &e.title,
                by: e.by.as_deref(),
                url: e.url.as_deref(),
                kind: kind.key(),
                cost: e.cost.map_or("unknown", Cost::key),
                cost_label: e.cost.map_or("Cost unknown", Cost::label),
                used_by: ctx.used_by(i),
            })
            .collect();
        entries.sort_by_cached_key(|e| e.title.to_lowercase());
        if !entries.is_empty() {
            groups.push(KindGroup {
                kind: kind.key(),
                label: kind.label(),
                entries,
            });
        }
    }
    let kinds = groups
        .iter()
        .map(|g| Facet {
            key: g.kind,
            label: g.label,
            count: g.entries.len(),
        })
        .collect();
    let mut costs = Vec::new();
    for cost in [
        Some(Cost::Free),
        Some(Cost::FreeAudit),
        Some(Cost::Freemium),
        Some(Cost::Paid),
        None,
    ] {
        let count = site.catalog.iter().filter(|e| e.cost == cost).count();
        if count > 0 {
            costs.push(Facet {
                key: cost.map_or("unknown", Cost::key),
                label: cost.map_or("Cost unknown", Cost::label),
                count,
            });
        }
    }
    Catalog {
        groups,
        kinds,
        costs,
        total: site.catalog.len(),
    }
}
