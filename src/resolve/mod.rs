//! VALIDATE + RESOLVE: raw files → the immutable site model. Checks every
//! value, gives ids their pages, parses every Markdown text once, resolves
//! references and prerequisites, and collects backlinks, tags and the
//! resource catalog. Problems are collected; nothing stops at the first.

mod collect;
mod last;
mod locate;
mod patch;
mod refs;
mod relink;
mod requires;

use std::collections::HashMap;

use rayon::prelude::*;

use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::markdown::{self, ParseOptions};
use crate::model::{
    BaseUrl, Config, Cost, Date, Doc, Duration, Hours, Id, MdId, NodeId, Paper, Phase, Project, Resource, ResourceKind,
    Roadmap, Site, SitePath, Topic,
};
use crate::source::raw::{RawConfig, RawFrontMatter, RawPhase, RawTopic, Scalar};
use crate::source::yaml::Step;
use crate::source::{Loaded, RoadmapDir, Sources};
pub use last::Last;
pub use locate::Origin;
pub use patch::patch;

/// Choices that change what a build publishes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Publish articles and pages marked `draft: true`.
    pub drafts: bool,
    /// Replaces `base_url` of site.yaml (`--base-url`, and `serve`).
    pub base_url: Option<String>,
}

pub const DEFAULT_LIGHT_THEME: &str = "InspiredGitHub";
pub const DEFAULT_DARK_THEME: &str = "base16-ocean.dark";

/// Standalone page slugs that would shadow a part of the site.
const RESERVED_SLUGS: &[&str] = &[
    "roadmaps",
    "articles",
    "tags",
    "resources",
    "handouts",
    "404",
    "search",
    "static",
    "assets",
];

/// What the preview keeps from one resolve to the next: every text's
/// parse, and where the texts' links went.
#[derive(Default)]
pub struct Memory {
    parses: markdown::Cache,
    links: Option<relink::Links>,
}

impl Memory {
    /// `resolve`, given this memory with its links set aside: for a
    /// resolve whose model is not kept, so the links stay those of the
    /// model that is.
    pub fn aside<T>(&mut self, resolve: impl FnOnce(&mut Memory) -> T) -> T {
        let links = self.links.take();
        let resolved = resolve(self);
        self.links = links;
        resolved
    }
}

/// Builds the site model. Returns `None` only when there is no usable
/// site.yaml; otherwise a model of everything that loaded, with every
/// problem in `diags` (callers must not publish when it has errors).
pub fn resolve(
    sources: &Sources,
    opts: &Options,
    memory: Option<&mut Memory>,
    mut last: Option<Last>,
    diags: &mut Diagnostics,
) -> Option<Site> {
    let mut builder = Builder {
        map: &sources.map,
        diags: Vec::new(),
        inputs: Vec::new(),
        allow_html: true,
        pending_requires: Vec::new(),
        refused_topics: Default::default(),
        roadmap_dirs: &sources.roadmaps,
    };
    let config = builder.config(sources.config.as_ref()?, opts);
    builder.allow_html = config.allow_html;

    let roadmaps = builder.roadmaps(&sources.roadmaps);
    let [articles, pages] =
        [(&sources.articles, DocKind::Article), (&sources.pages, DocKind::Page)].map(|(docs, kind)| {
            builder
                .kept_docs(kind, last.as_mut(), docs, &roadmaps)
                .unwrap_or_else(|| builder.docs(docs, kind, opts, &roadmaps))
        });

    // Every Markdown text of the site, parsed once, in parallel.
    let texts: Vec<markdown::Text> = builder
        .inputs
        .iter()
        .map(|input| markdown::Text {
            text: input.text,
            opts: ParseOptions {
                allow_html: builder.allow_html,
                id_prefix: input.id_prefix.clone(),
                page_body: matches!(input.origin, Origin::Body { .. }),
            },
            // A body is a slice of its file; YAML texts are copies.
            file: match input.origin {
                Origin::Body { file, .. } => Some(builder.map.shared(file)),
                Origin::Yaml { .. } => None,
            },
        })
        .collect();
    let (cache, links) = match memory {
        Some(Memory { parses, links }) => (Some(parses), Some(links)),
        None => (None, None),
    };
    let parsed = match cache {
        Some(cache) => cache.parse_all(&texts),
        None => texts
            .par_iter()
            .map(|text| std::sync::Arc::new(markdown::parse(text.text, &text.opts)))
            .collect(),
    };
    for (input, parsed) in builder.inputs.iter().zip(&parsed) {
        for warning in &parsed.warnings {
            let span = input.origin.span_within(builder.map, input.text, warning.range.clone());
            builder
                .diags
                .push(Diagnostic::warning(warning.message.clone()).with_span(span));
        }
        for error in &parsed.errors {
            let span = input.origin.span_within(builder.map, input.text, error.range.clone());
            builder
                .diags
                .push(Diagnostic::error(error.message.clone()).with_span(span).with_hint(
                "write the link as an https:// address, or set markdown.allow_html: true if every author is trusted",
            ));
        }
    }

    let mut site = Site {
        config,
        roadmaps,
        articles,
        pages,
        tags: Vec::new(),
        catalog: Vec::new(),
        markdown: Vec::new(),
        graph: Default::default(),
        assets: Vec::new(),
        static_files: Vec::new(),
    };
    let mut scope = refs::Scope::new(sources, opts);
    scope.refused_topics = std::mem::take(&mut builder.refused_topics);
    let relink = links.map(|links| refs::Relink {
        links,
        last: last.map(|last| last.site),
    });
    let (markdown, referenced_by) = refs::resolve_all(
        &site,
        &builder.inputs,
        parsed,
        &scope,
        sources,
        relink,
        &mut builder.diags,
    );
    site.markdown = markdown;
    site.graph.referenced_by = referenced_by;
    requires::resolve(
        &mut site,
        std::mem::take(&mut builder.pending_requires),
        &scope,
        builder.map,
        &mut builder.diags,
    );
    collect::tags(&mut site, &mut builder.diags);
    collect::catalog(&mut site);
    site.assets = collect::copied(&sources.assets);
    site.static_files = collect::copied(&sources.static_files);
    collect::check_collisions(&site, sources, &mut builder.diags);

    diags.extend(builder.diags);
    Some(site)
}

/// One Markdown text waiting to be parsed, and what it belongs to.
pub(crate) struct MdInput<'s> {
    pub text: &'s str,
    pub origin: Origin,
    pub owner: NodeId,
    pub id_prefix: Option<String>,
}

/// `requires` entries waiting for every node to exist.
pub(crate) struct PendingRequires {
    pub owner: NodeId,
    pub entries: Vec<(String, Origin)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocKind {
    Article,
    Page,
    RoadmapPage(usize),
}

struct Builder<'s> {
    map: &'s SourceMap,
    diags: Vec<Diagnostic>,
    inputs: Vec<MdInput<'s>>,
    allow_html: bool,
    pending_requires: Vec<PendingRequires>,
    /// `roadmap/id` of topics refused for their id, already reported.
    refused_topics: rustc_hash::FxHashSet<String>,
    roadmap_dirs: &'s [RoadmapDir],
}

impl<'s> Builder<'s> {
    fn error(&mut self, origin: &Origin, message: impl Into<String>) -> &mut Diagnostic {
        let span = origin.span(self.map);
        self.diags.push(Diagnostic::error(message).with_span(span));
        self.diags.last_mut().expect("just pushed")
    }

    fn markdown(&mut self, text: Option<&'s str>, origin: Origin, owner: NodeId, prefix: Option<&Id>) -> Option<MdId> {
        let text = text?;
        self.inputs.push(MdInput {
            text,
            origin,
            owner,
            id_prefix: prefix.map(|id| format!("{id}-")),
        });
        Some(MdId(
            u32::try_from(self.inputs.len() - 1).expect("fewer than 4 billion texts"),
        ))
    }

    fn parse_value<T>(
        &mut self,
        value: Option<&Scalar>,
        origin: Origin,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = value?;
        match parse(&value.0) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.error(&origin, message);
                None
            }
        }
    }

    /// One of a fixed set of values, by its key; an unknown one is an error
    /// that names the closest key.
    fn choice<T: Copy>(
        &mut self,
        value: Option<&Scalar>,
        origin: &Origin,
        what: &str,
        all: &[T],
        key: fn(T) -> &'static str,
    ) -> Option<T> {
        let text = value?.0.as_str();
        if let Some(found) = all.iter().copied().find(|v| key(*v) == text) {
            return Some(found);
        }
        let keys: Vec<&str> = all.iter().map(|v| key(*v)).collect();
        let lowered = text.to_lowercase();
        let hint = match crate::diag::closest(&lowered, keys.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "expected one of {}",
                keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        self.error(origin, format!("unknown {what} `{text}`")).hints.push(hint);
        None
    }

    fn id(&mut self, text: &str, origin: &Origin) -> Option<Id> {
        match Id::parse(text) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(origin, message);
                None
            }
        }
    }

    fn config(&mut self, loaded: &Loaded<RawConfig>, opts: &Options) -> Config {
        let raw = &loaded.value;
        let at = |key| Origin::yaml(loaded.file, loaded.yaml.clone(), vec![Step::Key(key)]);
        let base_text = opts.base_url.as_deref().unwrap_or(&raw.base_url);
        let base_url = match BaseUrl::parse(base_text) {
            Ok(url) => url,
            Err(message) => {
                if opts.base_url.is_some() {
                    self.diags.push(Diagnostic::error(format!("--base-url: {message}")));
                } else {
                    self.error(&at("base_url"), message);
                }
                BaseUrl::parse("http://localhost/").expect("valid")
            }
        };
        let language = raw.language.clone().unwrap_or_else(|| "en".to_owned());
        let valid_language = language.split('-').enumerate().all(|(i, part)| {
            let len_ok = if i == 0 {
                (2..=3).contains(&part.len())
            } else {
                (2..=8).contains(&part.len())
            };
            len_ok && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !valid_language {
            self.error(&at("language"), format!("`{language}` is not a language tag"))
                .hints
                .push("use a BCP 47 tag such as `en`, `en-GB` or `pt-BR`".into());
        }
        let highlight = raw.highlight.as_ref();
        let known = markdown::theme_names();
        let mut theme = |name: Option<&String>, default: &str, key: &'static str| {
            let name = name.cloned().unwrap_or_else(|| default.to_owned());
            if !known.contains(&name.as_str()) {
                let origin = Origin::yaml(
                    loaded.file,
                    loaded.yaml.clone(),
                    vec![Step::Key("highlight"), Step::Key(key)],
                );
                let mut sorted = known.clone();
                sorted.sort_unstable();
                let hint = match crate::diag::closest(&name, sorted.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("known themes: {}", sorted.join(", ")),
                };
                self.error(&origin, format!("unknown highlight theme `{name}`"))
                    .hints
                    .push(hint);
                return default.to_owned();
            }
            name
        };
        let highlight_theme = theme(highlight.and_then(|h| h.theme.as_ref()), DEFAULT_LIGHT_THEME, "theme");
        let highlight_dark_theme = theme(
            highlight.and_then(|h| h.dark_theme.as_ref()),
            DEFAULT_DARK_THEME,
            "dark_theme",
        );
        Config {
            title: raw.title.clone(),
            base_url,
            description: raw.description.clone(),
            language,
            author: raw.author.clone(),
            highlight_theme,
            highlight_dark_theme,
            paper: raw.handouts.as_ref().and_then(|h| h.paper).unwrap_or(Paper::A4),
            allow_html: raw.markdown.as_ref().and_then(|m| m.allow_html).unwrap_or(true),
            extra: raw.extra.clone(),
        }
    }

    fn roadmaps(&mut self, dirs: &'s [RoadmapDir]) -> Vec<Roadmap> {
        // Order first (it decides node ids), then build.
        let mut usable: Vec<&'s RoadmapDir> = dirs.iter().filter(|d| d.roadmap.is_some()).collect();
        usable.sort_by_key(|d| {
            (
                d.roadmap.as_ref().and_then(|r| r.value.order).unwrap_or(i64::MAX),
                d.name.clone(),
            )
        });
        let mut roadmaps = Vec::new();
        for dir in usable {
            let loaded = dir.roadmap.as_ref().expect("filtered");
            let origin = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
            let Ok(id) = Id::parse(&dir.name) else {
                self.diags.push(
                    Diagnostic::error(format!("`{}` is not a valid roadmap id", dir.name))
                        .with_path(self.map.get(loaded.file).path.parent().map(|p| p.to_path_buf()).unwrap_or_default())
                        .with_hint("rename the folder with lowercase letters, digits and single hyphens, like `machine-learning`"),
                );
                continue;
            };
            let r = roadmaps.len();
            let raw = &loaded.value;
            let summary = self.markdown(
                raw.summary.as_deref(),
                origin.child(Step::Key("summary")),
                NodeId::Roadmap(r),
                Some(&id),
            );
            let phases = self.phases(r, &id, dir);
            let pages = self.roadmap_pages(r, &id, dir, &phases);
            roadmaps.push(Roadmap {
                path: SitePath::page(["roadmaps", id.as_str()]),
                id,
                title: raw.title.clone(),
                summary,
                audience: raw.audience.clone(),
                order: raw.order.unwrap_or(i64::MAX),
                extra: raw.extra.clone(),
                phases,
                pages,
                source: loaded.file,
            });
        }
        roadmaps
    }

    fn phases(&mut self, r: usize, roadmap: &Id, dir: &'s RoadmapDir) -> Vec<Phase> {
        // File names give order and id: "01-mathematics".
        let mut named: Vec<(u64, Id, &'s Loaded<RawPhase>)> = Vec::new();
        for (stem, loaded) in &dir.phases {
            let whole = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
            let path = self.map.get(loaded.file).path.clone();
            let parsed = stem
                .split_once('-')
                .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|(n, rest)| n.parse::<u64>().ok().map(|n| (n, rest)));
            let Some((number, rest)) = parsed else {
                self.diags.push(
                    Diagnostic::error("a phase file name must start with its number and a hyphen")
                        .with_path(path)
                        .with_hint(format!("rename it like `01-{stem}.yaml`; the number orders the phases")),
                );
                continue;
            };
            let Some(id) = self.id(rest, &whole) else {
                continue;
            };
            if let Some((_, _, other)) = named.iter().find(|(n, _, _)| *n == number) {
                let other_path = self.map.get(other.file).path.display().to_string();
                self.diags.push(
                    Diagnostic::error(format!("two phases of roadmap `{roadmap}` have the number {number}"))
                        .with_path(path)
                        .with_hint(format!("the other is {other_path}; give each phase its own number")),
                );
                continue;
            }
            if let Some((_, _, other)) = named.iter().find(|(_, other_id, _)| *other_id == id) {
                let other_path = self.map.get(other.file).path.display().to_string();
                self.diags.push(
                    Diagnostic::error(format!("two phases of roadmap `{roadmap}` have the id `{id}`"))
                        .with_path(path)
                        .with_hint(format!("the other is {other_path}")),
                );
                continue;
            }
            named.push((number, id, loaded));
        }
        named.sort_by_key(|(n, _, _)| *n);

        let mut topic_ids: HashMap<Id, Origin> = HashMap::new();
        let mut phases = Vec::new();
        for (p, (number, id, loaded)) in named.into_iter().enumerate() {
            let raw = &loaded.value;
            let node = NodeId::Phase(r, p);
            let origin = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
            let path = SitePath::page(["roadmaps", roadmap.as_str(), id.as_str()]);
            let duration = self.parse_value(
                raw.duration.as_ref(),
                origin.child(Step::Key("duration")),
                Duration::parse,
            );
            let weekly_hours = self.parse_value(
                raw.weekly_hours.as_ref(),
                origin.child(Step::Key("weekly_hours")),
                Hours::parse,
            );
            let summary = self.markdown(
                raw.summary.as_deref(),
                origin.child(Step::Key("summary")),
                node,
                Some(&id),
            );
            let milestone = self.markdown(
                raw.milestone.as_deref(),
                origin.child(Step::Key("milestone")),
                node,
                Some(&id),
            );
            let assessment = self.markdown(
                raw.assessment.as_deref(),
                origin.child(Step::Key("assessment")),
                node,
                Some(&id),
            );
            self.requires(node, &raw.requires, &origin);

            let mut topics = Vec::new();
            for (i, raw_topic) in raw.topics.iter().enumerate() {
                let topic_origin = origin.child(Step::Key("topics")).child(Step::Index(i));
                let t = topics.len();
                match self.topic(NodeId::Topic(r, p, t), raw_topic, &topic_origin, &path, &mut topic_ids) {
                    Some(topic) => topics.push(topic),
                    // Reported once; what names it is not reported again.
                    None => {
                        self.refused_topics.insert(format!("{roadmap}/{}", raw_topic.id));
                    }
                }
            }
            let projects = raw
                .projects
                .iter()
                .enumerate()
                .map(|(i, project)| {
                    let at = origin
                        .child(Step::Key("projects"))
                        .child(Step::Index(i))
                        .child(Step::Key("description"));
                    Project {
                        title: project.title.clone(),
                        description: self.markdown(project.description.as_deref(), at, node, Some(&id)),
                        extra: project.extra.clone(),
                    }
                })
                .collect();
            phases.push(Phase {
                id,
                number,
                title: raw.title.clone(),
                duration,
                weekly_hours,
                summary,
                requires: Vec::new(),
                topics,
                milestone,
                assessment,
                projects,
                extra: raw.extra.clone(),
                path,
                source: loaded.file,
            });
        }
        phases
    }

    fn topic(
        &mut self,
        node: NodeId,
        raw: &'s RawTopic,
        origin: &Origin,
        phase_path: &SitePath,
        seen: &mut HashMap<Id, Origin>,
    ) -> Option<Topic> {
        let id_origin = origin.child(Step::Key("id"));
        let id = self.id(&raw.id, &id_origin)?;
        if let Some(first) = seen.get(&id) {
            let where_first = place(self.map, &first.span(self.map));
            self.error(
                &id_origin,
                format!("duplicate topic id `{id}`: topic ids must be unique in a roadmap"),
            )
            .hints
            .push(format!("the first `{id}` is at {where_first}"));
            return None;
        }
        seen.insert(id.clone(), id_origin);
        let duration = self.parse_value(
            raw.duration.as_ref(),
            origin.child(Step::Key("duration")),
            Duration::parse,
        );
        let summary = self.markdown(
            raw.summary.as_deref(),
            origin.child(Step::Key("summary")),
            node,
            Some(&id),
        );
        let why = self.markdown(raw.why.as_deref(), origin.child(Step::Key("why")), node, Some(&id));
        let exercises = raw
            .exercises
            .iter()
            .enumerate()
            .filter_map(|(i, text)| {
                let at = origin.child(Step::Key("exercises")).child(Step::Index(i));
                self.markdown(Some(text), at, node, Some(&id))
            })
            .collect();
        let resources = raw
            .resources
            .iter()
            .enumerate()
            .map(|(i, resource)| {
                let at = origin.child(Step::Key("resources")).child(Step::Index(i));
                if let Some(url) = &resource.url {
                    if !looks_like_url(url) {
                        self.error(&at.child(Step::Key("url")), format!("`{url}` is not a web address"))
                            .hints
                            .push("write a full address starting with https:// (or leave `url` out)".into());
                    }
                }
                let kind = self.choice(
                    resource.kind.as_ref(),
                    &at.child(Step::Key("kind")),
                    "resource kind",
                    &ResourceKind::ALL,
                    |k| k.key(),
                );
                let cost = self.choice(
                    resource.cost.as_ref(),
                    &at.child(Step::Key("cost")),
                    "cost",
                    &Cost::ALL,
                    |c| c.key(),
                );
                Resource {
                    title: resource.title.clone(),
                    by: resource.by.clone(),
                    url: resource.url.clone(),
                    kind: kind.unwrap_or(ResourceKind::Article),
                    cost,
                    note: self.markdown(resource.note.as_deref(), at.child(Step::Key("note")), node, Some(&id)),
                    extra: resource.extra.clone(),
                    catalog: 0,
                }
            })
            .collect();
        self.requires(node, &raw.requires, origin);
        Some(Topic {
            path: SitePath::page([phase_path.as_str().trim_end_matches('/'), id.as_str()]),
            id,
            title: raw.title.clone(),
            duration,
            optional: raw.optional,
            summary,
            why,
            learn: raw.learn.clone(),
            resources,
            exercises,
            requires: Vec::new(),
            extra: raw.extra.clone(),
        })
    }

    fn requires(&mut self, owner: NodeId, entries: &[String], origin: &Origin) {
        if entries.is_empty() {
            return;
        }
        let entries = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.clone(), origin.child(Step::Key("requires")).child(Step::Index(i))))
            .collect();
        self.pending_requires.push(PendingRequires { owner, entries });
    }

    fn roadmap_pages(&mut self, r: usize, roadmap: &Id, dir: &'s RoadmapDir, phases: &[Phase]) -> Vec<Doc> {
        let mut pages = Vec::new();
        for (stem, loaded) in &dir.pages {
            let node = NodeId::RoadmapPage(r, pages.len());
            if let Some(phase) = phases.iter().find(|p| p.id.as_str() == stem) {
                let phase_file = place(self.map, &Span::at(phase.source, 0));
                self.diags.push(
                    Diagnostic::error(format!(
                        "the page `{stem}` of roadmap `{roadmap}` has the same URL as its phase `{stem}`"
                    ))
                    .with_span(Span::at(loaded.file, 0))
                    .with_hint(format!("the phase is {phase_file}"))
                    .with_hint("rename the page or the phase"),
                );
                continue;
            }
            let path = |slug: &Id| SitePath::page(["roadmaps", roadmap.as_str(), slug.as_str()]);
            if let Some(doc) = self.doc(stem, loaded, node, DocKind::RoadmapPage(r), path, &[], Some(roadmap)) {
                pages.push(doc);
            }
        }
        pages
    }

    fn docs(
        &mut self,
        files: &'s [(String, Loaded<RawFrontMatter>)],
        kind: DocKind,
        opts: &Options,
        roadmaps: &[Roadmap],
    ) -> Vec<Doc> {
        let mut chosen: Vec<&'s (String, Loaded<RawFrontMatter>)> = files
            .iter()
            .filter(|(_, loaded)| opts.drafts || !loaded.value.draft)
            .collect();
        if kind == DocKind::Article {
            // Newest first; node ids follow this order.
            chosen.sort_by_cached_key(|&(slug, loaded)| {
                let date = loaded.value.date.as_ref().and_then(|d| Date::parse(&d.0).ok());
                (std::cmp::Reverse(date), slug.as_str())
            });
        }
        // Files that cannot be pages are reported first, so that every
        // other one has its node id before any is built.
        chosen.retain(|(slug, loaded)| {
            if kind == DocKind::Page && RESERVED_SLUGS.contains(&slug.as_str()) {
                let path = self.map.get(loaded.file).path.clone();
                self.diags.push(
                    Diagnostic::error(format!(
                        "a standalone page cannot be called `{slug}`: the site uses /{slug}/ itself"
                    ))
                    .with_path(path)
                    .with_hint("rename the file"),
                );
                return false;
            }
            let valid = Id::parse(slug).is_ok();
            if !valid {
                self.bad_page_name(slug, loaded.file);
            }
            valid
        });
        // Built in parallel (a large site has thousands), each with its own
        // builder; their texts and problems are then added in order.
        let built: Vec<(Doc, Builder<'s>)> = chosen
            .par_iter()
            .enumerate()
            .map(|(i, (slug, loaded))| {
                let node = match kind {
                    DocKind::Article => NodeId::Article(i),
                    _ => NodeId::Page(i),
                };
                let path = |slug: &Id| match kind {
                    DocKind::Article => SitePath::page(["articles", slug.as_str()]),
                    _ => SitePath::page([slug.as_str()]),
                };
                let mut builder = self.child();
                let doc = builder
                    .doc(slug, loaded, node, kind, path, roadmaps, None)
                    .expect("a valid page name");
                (doc, builder)
            })
            .collect();
        built
            .into_iter()
            .map(|(mut doc, builder)| {
                let offset = u32::try_from(self.inputs.len()).expect("fewer than 4 billion texts");
                doc.body = MdId(doc.body.0 + offset);
                self.adopt(builder);
                doc
            })
            .collect()
    }

    fn bad_page_name(&mut self, slug: &str, file: crate::diag::FileId) {
        let path = self.map.get(file).path.clone();
        self.diags.push(
            Diagnostic::error(format!("`{slug}` is not a valid page name"))
                .with_path(path)
                .with_hint("rename the file with lowercase letters, digits and single hyphens, like `my-article.md`"),
        );
    }

    /// A builder for one part of the site, built apart from the rest.
    fn child(&self) -> Builder<'s> {
        Builder {
            map: self.map,
            diags: Vec::new(),
            inputs: Vec::new(),
            allow_html: self.allow_html,
            pending_requires: Vec::new(),
            refused_topics: Default::default(),
            roadmap_dirs: self.roadmap_dirs,
        }
    }

    /// Takes over what a [`Builder::child`] collected, after what this one has.
    fn adopt(&mut self, child: Builder<'s>) {
        debug_assert!(child.pending_requires.is_empty() && child.refused_topics.is_empty());
        self.diags.extend(child.diags);
        self.inputs.extend(child.inputs);
    }

    #[allow(clippy::too_many_arguments)]
    fn doc(
        &mut self,
        slug: &str,
        loaded: &'s Loaded<RawFrontMatter>,
        node: NodeId,
        kind: DocKind,
        path: impl Fn(&Id) -> SitePath,
        roadmaps: &[Roadmap],
        roadmap_id: Option<&Id>,
    ) -> Option<Doc> {
        let raw = &loaded.value;
        let origin = Origin::yaml(loaded.file, loaded.yaml.clone(), vec![]);
        let Ok(slug) = Id::parse(slug) else {
            self.bad_page_name(slug, loaded.file);
            return None;
        };
        let date = self.parse_value(raw.date.as_ref(), origin.child(Step::Key("date")), Date::parse);
        if kind == DocKind::Article && raw.date.is_none() {
            self.error(&origin, "missing required key `date`: articles need a date")
                .hints
                .push("add `date: YYYY-MM-DD` to the front matter".into());
        }
        let updated = self.parse_value(raw.updated.as_ref(), origin.child(Step::Key("updated")), Date::parse);
        let roadmap = match (kind, &raw.roadmap) {
            (_, None) => None,
            (DocKind::RoadmapPage(r), Some(name)) => {
                // An extra page belongs to its folder's roadmap; saying so again is fine.
                if name != roadmap_id.map_or("", Id::as_str) {
                    self.error(&origin.child(Step::Key("roadmap")), format!("this page is in the folder of roadmap `{}`, not `{name}`", roadmap_id.map_or("", Id::as_str)))
                        .hints
                        .push("an extra page belongs to the roadmap whose folder holds it; remove `roadmap:` or move the file".into());
                }
                Some(r)
            }
            (_, Some(name)) => {
                let found = roadmaps.iter().position(|r| r.id.as_str() == name);
                // A roadmap whose roadmap.yaml failed to load is reported there.
                let unloaded = self
                    .roadmap_dirs
                    .iter()
                    .any(|dir| dir.name == *name && dir.roadmap.is_none());
                if found.is_none() && !unloaded {
                    let known: Vec<&str> = roadmaps.iter().map(|r| r.id.as_str()).collect();
                    let hint = crate::diag::closest(name, known.iter().copied())
                        .map(|best| format!("did you mean `{best}`?"))
                        .unwrap_or_else(|| format!("known roadmaps: {}", known.join(", ")));
                    self.error(&origin.child(Step::Key("roadmap")), format!("unknown roadmap `{name}`"))
                        .hints
                        .push(hint);
                }
                found
            }
        };
        let body_origin = Origin::Body {
            file: loaded.file,
            start: loaded.body.start,
        };
        let body_text = &self.map.get(loaded.file).text[loaded.body.clone()];
        let body = self
            .markdown(Some(body_text), body_origin, node, None)
            .expect("text given");
        Some(Doc {
            path: path(&slug),
            slug,
            title: raw.title.clone(),
            subtitle: raw.subtitle.clone(),
            description: raw.description.clone(),
            author: raw.author.clone(),
            date,
            updated,
            tags: raw.tags.clone(),
            tag_ids: Vec::new(),
            roadmap,
            draft: raw.draft,
            hero_image: raw.hero_image.clone(),
            extra: raw.extra.clone(),
            body,
            source: loaded.file,
        })
    }
}

fn looks_like_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

/// Where a span points, as `path:line:col`, for hints that mention a second place.
pub(super) fn place(map: &SourceMap, span: &Span) -> String {
    let file = map.get(span.file);
    let (line, col) = file.line_col(span.range.start);
    format!("{}:{line}:{col}", file.path.display())
}
