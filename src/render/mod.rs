//! RENDER: the site model → files, through Tera templates. Pages render in
//! parallel; each reads the immutable model and writes one file.

pub(crate) mod context;
mod data;
mod diagram;
mod drawn;
mod inputs;
mod progress;
mod search;
mod svg;
mod theme;
mod timeline;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::diag::{Diagnostic, SourceMap};
use crate::model::{IdSpace, NodeId, PageIds, Site, SitePath};
use crate::output::Sink;
use context::{Crumb, Ctx, Digests, Meta};
use drawn::Drawn;
pub use theme::{Theme, builtin_static, stray_overrides};

/// What one render did, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Pages of the site (rendered or unchanged).
    pub pages: usize,
    /// Files given to the sink, pages included.
    pub files: usize,
    /// Pages skipped because their context and template did not change.
    pub unchanged: usize,
    /// Of those, the pages the preview kept by their key alone, without
    /// making their context.
    pub kept_by_key: usize,
}

/// Page output file → fingerprint of what it was rendered from (template
/// and context), so a rebuild can skip pages whose inputs did not change.
/// Keyed by the path's bytes: hashing a `Path` walks its components, and
/// the preview looks up every page on every rebuild.
pub type Fingerprints = rustc_hash::FxHashMap<std::ffi::OsString, u64>;

/// The result of a render: what it did, each page's fingerprint, and the
/// pages it did not write because they did not change.
pub struct Rendered {
    pub stats: Stats,
    pub fingerprints: Fingerprints,
    /// Each page's key: a digest of the parts of the site it is made from.
    pub keys: Fingerprints,
    pub unchanged: Vec<PathBuf>,
}

/// One page to render: what it shows and where it goes.
#[derive(Debug, Clone, Copy, Hash)]
enum Job {
    Home,
    Roadmap(usize),
    Phase(usize, usize),
    Topic(usize, usize, usize),
    Doc(NodeId),
    Articles,
    Tags,
    Tag(usize),
    Resources,
    NotFound,
}

impl Job {
    fn template(self) -> &'static str {
        match self {
            Job::Home => "index.html",
            Job::Roadmap(_) => "roadmap.html",
            Job::Phase(..) => "phase.html",
            Job::Topic(..) => "topic.html",
            Job::Doc(NodeId::Article(_)) => "article.html",
            Job::Doc(NodeId::RoadmapPage(..)) => "roadmap_page.html",
            Job::Doc(_) => "page.html",
            Job::Articles => "articles.html",
            Job::Tags => "tags.html",
            Job::Tag(_) => "tag.html",
            Job::Resources => "resources.html",
            Job::NotFound => "404.html",
        }
    }
}

fn jobs(site: &Site) -> Vec<Job> {
    let mut jobs = vec![Job::Home, Job::Articles, Job::Tags, Job::Resources, Job::NotFound];
    for (r, roadmap) in site.roadmaps.iter().enumerate() {
        jobs.push(Job::Roadmap(r));
        for (p, phase) in roadmap.phases.iter().enumerate() {
            jobs.push(Job::Phase(r, p));
            jobs.extend((0..phase.topics.len()).map(|t| Job::Topic(r, p, t)));
        }
        jobs.extend((0..roadmap.pages.len()).map(|i| Job::Doc(NodeId::RoadmapPage(r, i))));
    }
    jobs.extend((0..site.articles.len()).map(|i| Job::Doc(NodeId::Article(i))));
    jobs.extend((0..site.pages.len()).map(|i| Job::Doc(NodeId::Page(i))));
    jobs.extend((0..site.tags.len()).map(Job::Tag));
    jobs
}

/// Site-wide values every template sees as `site` and `nav`.
#[derive(Serialize)]
struct SiteCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    language: &'a str,
    author: Option<&'a str>,
    base_url: &'a str,
    extra: &'a crate::model::Extra,
    generator: &'static str,
}

#[derive(Serialize)]
struct NavCtx<'a> {
    roadmaps: Vec<context::Link<'a>>,
    articles: bool,
    tags: bool,
    resources: bool,
    pages: Vec<context::Link<'a>>,
}

/// What the preview's last build knew of its pages.
#[derive(Clone, Copy)]
pub struct Previous<'a> {
    pub fingerprints: &'a Fingerprints,
    pub keys: &'a Fingerprints,
}

/// Renders every file of the site into `sink`. Returns every error found
/// (not only the first) when any page fails.
///
/// With what the `previous` build knew (the preview server), a page whose
/// key is the same is kept as it is; the others are fingerprinted, and
/// those whose fingerprint did not change are neither rendered nor
/// written again.
pub fn render(
    site: &Site,
    sources: &SourceMap,
    theme: &mut Theme,
    sink: &dyn Sink,
    previous: Option<Previous>,
) -> Result<Rendered, Vec<Diagnostic>> {
    render_with(
        site,
        sources,
        theme,
        sink,
        previous,
        &crate::handouts::Printed::default(),
    )
}

/// [`render`], with what printing the handouts as PDF produced (so pages
/// link the PDFs and booklets number their contents).
pub fn render_with(
    site: &Site,
    sources: &SourceMap,
    theme: &mut Theme,
    sink: &dyn Sink,
    previous: Option<Previous>,
    printed: &crate::handouts::Printed,
) -> Result<Rendered, Vec<Diagnostic>> {
    let ctx = Ctx {
        site,
        root: "",
        digests: None,
    };
    let site_ctx = SiteCtx {
        title: &site.config.title,
        description: site.config.description.as_deref(),
        language: &site.config.language,
        author: site.config.author.as_deref(),
        base_url: site.config.base_url.as_str(),
        extra: &site.config.extra,
        generator: concat!("waymark ", env!("CARGO_PKG_VERSION")),
    };
    let nav_ctx = NavCtx {
        roadmaps: (0..site.roadmaps.len()).map(|r| ctx.link(NodeId::Roadmap(r))).collect(),
        articles: !site.articles.is_empty(),
        tags: !site.tags.is_empty(),
        resources: !site.catalog.is_empty(),
        pages: (0..site.pages.len()).map(|i| ctx.link(NodeId::Page(i))).collect(),
    };
    let handout_links = crate::handouts::links(site, printed);
    // Everything every page sees is part of every page's fingerprint.
    let global_fingerprint = erased::hash_of(&(&site_ctx, &nav_ctx, &handout_links));
    let global = theme.tera.global_context();
    global.insert("site", &site_ctx);
    global.insert("nav", &nav_ctx);
    global.insert("handouts", &handout_links);
    let theme: &Theme = theme;

    let t0 = std::time::Instant::now();
    let jobs = jobs(site);
    let digests = Digests::new(site);
    let inputs = previous.map(|_| inputs::Inputs::new(site, &digests, global_fingerprint));
    let incremental = Incremental {
        previous: previous.map(|p| p.fingerprints),
        keys: previous.map(|p| p.keys),
        inputs: inputs.as_ref(),
        global: Some(global_fingerprint),
        digests: Some(&digests),
    };
    // The files besides pages need none of them: made alongside, they fill
    // the cores while the last pages render.
    let (results, others) = rayon::join(
        || {
            let results: Vec<Result<PageResult, Diagnostic>> = jobs
                .par_iter()
                .map(|&job| render_page(site, sources, theme, job, sink, incremental))
                .collect();
            crate::build::stage("pages", t0);
            results
        },
        || other_files(site, theme, sink, printed, incremental),
    );
    let mut fingerprints = Fingerprints::default();
    let mut keys = Fingerprints::default();
    let mut unchanged = Vec::new();
    let mut kept_by_key = 0;
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(PageResult::Written(file, fingerprint, key)) => {
                keys.extend(key.map(|k| (file.clone().into_os_string(), k)));
                fingerprints.extend(fingerprint.map(|f| (file.into_os_string(), f)));
            }
            Ok(PageResult::Unchanged(file, fingerprint, key)) => {
                keys.extend(key.map(|k| (file.clone().into_os_string(), k)));
                fingerprints.insert(file.clone().into_os_string(), fingerprint);
                unchanged.push(file);
            }
            Ok(PageResult::Kept(file, fingerprint, key)) => {
                keys.insert(file.clone().into_os_string(), key);
                fingerprints.insert(file.clone().into_os_string(), fingerprint);
                unchanged.push(file);
                kept_by_key += 1;
            }
            Err(error) => failures.push(error),
        }
    }
    let mut errors = group_errors(failures);
    let OtherFiles {
        files,
        errors: other_errors,
        fingerprints: others_fingerprints,
        unchanged: kept,
    } = others;
    errors.extend(other_errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let stats = Stats {
        pages: jobs.len(),
        // Pages kept from the last build are files of the output too.
        files: files + jobs.len() + kept.len(),
        unchanged: unchanged.len(),
        kept_by_key,
    };
    if previous.is_some() && std::env::var_os("WAYMARK_TIMINGS").is_some() {
        eprintln!("timing: {kept_by_key} of {} pages kept by their key", jobs.len());
    }
    fingerprints.extend(
        others_fingerprints
            .into_iter()
            .map(|(file, f)| (file.into_os_string(), f)),
    );
    unchanged.extend(kept);
    Ok(Rendered {
        stats,
        fingerprints,
        keys,
        unchanged,
    })
}

/// What rendering everything but the pages did: files written, and the
/// fingerprints of those that have one (handouts, the sitemap and feed),
/// with the ones kept from the last build.
struct OtherFiles {
    files: usize,
    errors: Vec<Diagnostic>,
    fingerprints: Vec<(PathBuf, u64)>,
    unchanged: Vec<PathBuf>,
}

/// The data files (feed, sitemap, search index…), the static files and the
/// handouts.
fn other_files(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    printed: &crate::handouts::Printed,
    incremental: Incremental,
) -> OtherFiles {
    let t0 = std::time::Instant::now();
    let mut errors = Vec::new();
    let mut files = 0;
    let mut fingerprints = Vec::new();
    let mut unchanged = Vec::new();
    let mut write = |path: &Path, bytes: &[u8], fingerprint: Option<u64>, errors: &mut Vec<Diagnostic>| match sink
        .write_page(path, bytes, fingerprint)
    {
        Ok(()) => {
            files += 1;
            fingerprints.extend(fingerprint.map(|f| (path.to_path_buf(), f)));
        }
        Err(err) => errors.push(write_error(path, &err)),
    };
    match crate::markdown::highlight_stylesheet(&site.config.highlight_theme, &site.config.highlight_dark_theme) {
        Ok(css) => write(Path::new("highlight.css"), css.as_bytes(), None, &mut errors),
        Err(message) => errors.push(Diagnostic::error(message)),
    }
    let mut kept = Vec::new();
    for file in data::files(site, theme, sink, incremental, &mut errors) {
        match file {
            data::DataFile::Made {
                name,
                bytes,
                fingerprint,
            } => write(Path::new(&name), &bytes, fingerprint, &mut errors),
            data::DataFile::Kept { name, fingerprint } => kept.push((PathBuf::from(name), fingerprint)),
        }
    }
    // Built-in static files, unless the site's static/ has its own.
    let own_static: std::collections::HashSet<&str> = site.static_files.iter().map(|f| f.path.as_str()).collect();
    for (name, bytes) in builtin_static() {
        if !own_static.contains(name.as_str()) {
            write(Path::new(&name), bytes, None, &mut errors);
        }
    }
    for file in site.static_files.iter().chain(&site.assets) {
        let path = Path::new(file.path.as_str());
        match sink.copy(path, &file.source) {
            Ok(()) => files += 1,
            Err(err) => errors.push(write_error(path, &err)),
        }
    }
    crate::build::stage("data", t0);
    let t0 = std::time::Instant::now();
    let all = crate::handouts::Selection::default();
    let handouts = crate::handouts::render(site, theme, sink, &all, printed, incremental, &mut errors);
    files += handouts.files;
    for (path, fingerprint) in kept {
        fingerprints.push((path.clone(), fingerprint));
        unchanged.push(path);
    }
    fingerprints.extend(handouts.fingerprints);
    unchanged.extend(handouts.unchanged);
    crate::build::stage("handouts", t0);
    OtherFiles {
        files,
        errors,
        fingerprints,
        unchanged,
    }
}

fn write_error(path: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot write {}: {err}", path.display()))
}

/// Identical template errors on many pages are one problem: say it once,
/// with the first page and how many others.
fn group_errors(errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut grouped: Vec<(Diagnostic, usize)> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for error in errors {
        let key = error.message.lines().skip(1).collect::<Vec<_>>().join("\n");
        match by_key.get(&key) {
            Some(&i) if !key.is_empty() => grouped[i].1 += 1,
            _ => {
                by_key.insert(key, grouped.len());
                grouped.push((error, 0));
            }
        }
    }
    grouped
        .into_iter()
        .map(|(error, more)| {
            if more > 0 {
                error.with_hint(format!("the same error happens on {more} more page(s)"))
            } else {
                error
            }
        })
        .collect()
}

/// What happened to one page, with its fingerprint and key when taken.
enum PageResult {
    Written(PathBuf, Option<u64>, Option<u64>),
    Unchanged(PathBuf, u64, Option<u64>),
    /// Kept because its key did not change.
    Kept(PathBuf, u64, u64),
}

fn render_page(
    site: &Site,
    sources: &SourceMap,
    theme: &Theme,
    job: Job,
    sink: &dyn Sink,
    incremental: Incremental,
) -> Result<PageResult, Diagnostic> {
    let path = job_path(site, job);
    // The 404 page is served at any depth, so its links are absolute.
    let root = match job {
        Job::NotFound => site.config.base_url.as_str().to_owned(),
        _ => path.root_prefix(),
    };
    let template = job.template();
    let file = path.output_file();
    let key = incremental
        .inputs
        .and_then(|inputs| inputs.key(job, &root, theme.fingerprint(template)));
    let kept = key.and_then(|key| incremental.kept(&file, key));
    if let (Some(fingerprint), Some(key)) = (kept.filter(|_| !cfg!(debug_assertions)), key) {
        return Ok(PageResult::Kept(file, fingerprint, key));
    }
    let ctx = Ctx {
        site,
        root: &root,
        digests: incremental.digests,
    };
    let meta = meta(&ctx, job, &path);
    let data = page_data(&ctx, job);
    let fingerprint = incremental.fingerprint(sink, theme.fingerprint(template), || data.fingerprint(&root, &meta));
    if let (Some(kept), Some(key)) = (kept, key) {
        // A debug build (the tests) checks that the key covers all the page reads.
        assert_eq!(
            fingerprint,
            Some(kept),
            "{path} changed but its key did not: render/inputs.rs misses something the page reads"
        );
        return Ok(PageResult::Kept(file, kept, key));
    }
    if let Some(fingerprint) = fingerprint.filter(|&f| incremental.keeps(sink, &file, f)) {
        return Ok(PageResult::Unchanged(file, fingerprint, key));
    }
    let context = data
        .context(&root, &meta)
        .map_err(|err| Diagnostic::error(format!("cannot build the context of {path}: {err}")))?;
    let html = theme
        .tera
        .render(template, &context)
        .map_err(|err| theme.diagnostic(template, &err, Some(&describe(site, sources, job, &path))))?;
    sink.write_page(&file, html.as_bytes(), fingerprint)
        .map_err(|err| write_error(&file, &err))?;
    Ok(PageResult::Written(file, fingerprint, key))
}

/// What lets a render skip a page whose inputs did not change: the
/// preview's fingerprints of its last build, or a sink that keeps the
/// previous build's files (`build`'s staging folder).
#[derive(Clone, Copy)]
pub(crate) struct Incremental<'a> {
    previous: Option<&'a Fingerprints>,
    /// The keys of the previous build's pages, and this build's inputs.
    keys: Option<&'a Fingerprints>,
    inputs: Option<&'a inputs::Inputs<'a>>,
    /// The fingerprint of what every page sees; `None`: not known, so
    /// nothing is fingerprinted or kept.
    global: Option<u64>,
    /// Digests shared by the pages of this render.
    pub(crate) digests: Option<&'a Digests>,
}

impl Incremental<'_> {
    /// Renders everything (`waymark handouts` alone, which renders no pages).
    pub(crate) fn never() -> Incremental<'static> {
        Incremental {
            previous: None,
            keys: None,
            inputs: None,
            global: None,
            digests: None,
        }
    }

    /// The fingerprint of a page or handout (its `data`, its template and
    /// what every page sees), taken only when something can use it.
    pub(crate) fn fingerprint(self, sink: &dyn Sink, template: u64, data: impl FnOnce() -> u64) -> Option<u64> {
        let global = self.global.filter(|_| self.previous.is_some() || sink.keeps_pages())?;
        use std::hash::Hasher;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.write_u64(global);
        hasher.write_u64(template);
        hasher.write_u64(data());
        Some(hasher.finish())
    }

    /// The previous fingerprint of `file` when its key is the same.
    fn kept(self, file: &Path, key: u64) -> Option<u64> {
        let file = file.as_os_str();
        if self.keys?.get(file) != Some(&key) {
            return None;
        }
        self.previous?.get(file).copied()
    }

    /// Whether the previous version of `file`, made from inputs with this
    /// fingerprint, stays.
    pub(crate) fn keeps(self, sink: &dyn Sink, file: &Path, fingerprint: u64) -> bool {
        match self.previous {
            Some(previous) => previous.get(file.as_os_str()) == Some(&fingerprint),
            None => sink.keep(file, fingerprint),
        }
    }
}

/// The page being rendered and the file it comes from, for error messages.
fn describe(site: &Site, sources: &SourceMap, job: Job, path: &SitePath) -> String {
    let node = match job {
        Job::Roadmap(r) => Some(NodeId::Roadmap(r)),
        Job::Phase(r, p) => Some(NodeId::Phase(r, p)),
        Job::Topic(r, p, t) => Some(NodeId::Topic(r, p, t)),
        Job::Doc(node) => Some(node),
        _ => None,
    };
    match node {
        Some(node) => format!(
            "the page {path} (from {})",
            sources.get(site.source(node)).path.display()
        ),
        None => format!("the page {path}"),
    }
}

fn job_path(site: &Site, job: Job) -> SitePath {
    match job {
        Job::Home => SitePath::home(),
        Job::Roadmap(r) => site.roadmaps[r].path.clone(),
        Job::Phase(r, p) => site.phase(r, p).path.clone(),
        Job::Topic(r, p, t) => site.topic(r, p, t).path.clone(),
        Job::Doc(node) => site.path(node).clone(),
        Job::Articles => SitePath::page(["articles"]),
        Job::Tags => SitePath::page(["tags"]),
        Job::Tag(i) => site.tags[i].path.clone(),
        Job::Resources => SitePath::page(["resources"]),
        Job::NotFound => SitePath::file("404.html"),
    }
}

fn crumb<'a>(title: impl Into<Cow<'a, str>>, path: &SitePath) -> Crumb<'a> {
    Crumb {
        title: title.into(),
        path: path.clone(),
    }
}

fn meta<'a>(ctx: &Ctx<'a>, job: Job, path: &'a SitePath) -> Meta<'a> {
    let site = ctx.site;
    let home = || crumb("Home", &SitePath::home());
    let roadmap_crumb = |r: usize| crumb(site.roadmaps[r].title.as_str(), &site.roadmaps[r].path);
    let excerpt =
        |md: Option<crate::model::MdId>| md.map(|id| Cow::Owned(context::short_excerpt(&site.md(id).excerpt)));
    let (kind, title, description, breadcrumbs): (&'static str, Cow<str>, Option<Cow<str>>, Vec<Crumb>) = match job {
        Job::Home => (
            "home",
            Cow::Borrowed(site.config.title.as_str()),
            site.config.description.as_deref().map(Cow::Borrowed),
            vec![],
        ),
        Job::Roadmap(r) => {
            let roadmap = &site.roadmaps[r];
            (
                "roadmap",
                Cow::Borrowed(roadmap.title.as_str()),
                excerpt(roadmap.summary),
                vec![home(), roadmap_crumb(r)],
            )
        }
        Job::Phase(r, p) => {
            let phase = site.phase(r, p);
            (
                "phase",
                Cow::Borrowed(phase.title.as_str()),
                excerpt(phase.summary),
                vec![home(), roadmap_crumb(r), crumb(phase.title.as_str(), &phase.path)],
            )
        }
        Job::Topic(r, p, t) => {
            let phase = site.phase(r, p);
            let topic = site.topic(r, p, t);
            (
                "topic",
                Cow::Borrowed(topic.title.as_str()),
                excerpt(topic.summary),
                vec![
                    home(),
                    roadmap_crumb(r),
                    crumb(phase.title.as_str(), &phase.path),
                    crumb(topic.title.as_str(), &topic.path),
                ],
            )
        }
        Job::Doc(node) => {
            let doc = ctx.doc(node);
            let description = doc
                .description
                .as_deref()
                .map(Cow::Borrowed)
                .or_else(|| excerpt(Some(doc.body)));
            let mut crumbs = vec![home()];
            match node {
                NodeId::Article(_) => crumbs.push(crumb("Articles", &SitePath::page(["articles"]))),
                NodeId::RoadmapPage(r, _) => crumbs.push(roadmap_crumb(r)),
                _ => {}
            }
            crumbs.push(crumb(doc.title.as_str(), &doc.path));
            let kind = match node {
                NodeId::Article(_) => "article",
                NodeId::RoadmapPage(..) => "roadmap_page",
                _ => "page",
            };
            (kind, Cow::Borrowed(doc.title.as_str()), description, crumbs)
        }
        Job::Articles => (
            "articles",
            Cow::Borrowed("Articles"),
            Some(Cow::Owned(format!(
                "Every article of {}, newest first.",
                site.config.title
            ))),
            vec![home(), crumb("Articles", path)],
        ),
        Job::Tags => (
            "tags",
            Cow::Borrowed("Tags"),
            Some(Cow::Owned(format!("The tags of {}.", site.config.title))),
            vec![home(), crumb("Tags", path)],
        ),
        Job::Tag(i) => {
            let tag = &site.tags[i];
            (
                "tag",
                Cow::Owned(format!("Tagged “{}”", tag.name)),
                Some(Cow::Owned(format!("Articles and pages tagged “{}”.", tag.name))),
                vec![
                    home(),
                    crumb("Tags", &SitePath::page(["tags"])),
                    crumb(tag.name.as_str(), &tag.path),
                ],
            )
        }
        Job::Resources => (
            "resources",
            Cow::Borrowed("Resources"),
            Some(Cow::Owned(format!(
                "Every book, course, video and tool the roadmaps of {} recommend.",
                site.config.title
            ))),
            vec![home(), crumb("Resources", path)],
        ),
        Job::NotFound => ("404", Cow::Borrowed("Page not found"), None, vec![home()]),
    };
    let ids = PageIds::of(match job {
        Job::Phase(r, p) => IdSpace::Phase(site.phase(r, p)),
        Job::Roadmap(r) => IdSpace::Overview(&site.roadmaps[r]),
        _ => IdSpace::Other,
    });
    Meta {
        kind,
        title,
        description,
        path,
        permalink: site.config.base_url.permalink(path),
        breadcrumbs,
        ids: context::Ids(ids),
    }
}

/// The page's own template variables, typed; [`erased::Data`] turns them
/// into a Tera context or a fingerprint.
fn page_data<'a>(ctx: &Ctx<'a>, job: Job) -> Box<dyn erased::Data + 'a> {
    let site = ctx.site;
    let cards = |nodes: Vec<NodeId>| context::Cards {
        site,
        digests: ctx.digests,
        nodes,
    };
    match job {
        Job::Home => {
            #[derive(Serialize)]
            struct HomeCard<'a> {
                #[serde(flatten)]
                card: context::RoadmapCard<'a>,
                /// Drawn now: it shows no titles, so a fingerprint of its
                /// graph would change with every title.
                diagram: String,
            }
            #[derive(Serialize)]
            struct Home<'a> {
                roadmaps: Vec<HomeCard<'a>>,
                articles: context::Cards<'a>,
                article_count: usize,
                /// Each roadmap's topics, for progress on the cards.
                progress: Drawn<progress::Data>,
            }
            Box::new(Home {
                progress: Drawn::new(progress::data(site, 0..site.roadmaps.len(), false), progress::json),
                roadmaps: (0..site.roadmaps.len())
                    .map(|r| HomeCard {
                        card: ctx.roadmap_card(r),
                        diagram: diagram::mini(&diagram::Graph::of(site, r, ctx.root)),
                    })
                    .collect(),
                articles: cards((0..site.articles.len().min(6)).map(NodeId::Article).collect()),
                article_count: site.articles.len(),
            })
        }
        Job::Roadmap(r) => {
            #[derive(Serialize)]
            struct Overview<'a> {
                roadmap: context::RoadmapCard<'a>,
                phases: Vec<context::PhaseCard<'a>>,
                pages: Vec<context::Link<'a>>,
                articles: context::Cards<'a>,
                referenced_by: context::Links<'a>,
                diagram: Drawn<diagram::Graph>,
                plan: timeline::Plan,
                timeline: Drawn<(timeline::Plan, &'a str)>,
                /// Phases' topics and topics' requirements, for progress and "next up".
                progress: Drawn<progress::Data>,
            }
            let roadmap = &site.roadmaps[r];
            let plan = timeline::Plan::of(&roadmap.phases);
            Box::new(Overview {
                diagram: Drawn::new(diagram::Graph::of(site, r, ctx.root), diagram::overview),
                timeline: Drawn::new((plan.clone(), roadmap.title.as_str()), |(plan, title)| plan.svg(title)),
                plan,
                progress: Drawn::new(progress::data(site, [r], true), progress::json),
                roadmap: ctx.roadmap_card(r),
                phases: (0..roadmap.phases.len()).map(|p| ctx.phase_card(r, p)).collect(),
                pages: (0..roadmap.pages.len())
                    .map(|i| ctx.link(NodeId::RoadmapPage(r, i)))
                    .collect(),
                articles: cards(
                    (0..site.articles.len())
                        .filter(|&i| site.articles[i].roadmap == Some(r))
                        .map(NodeId::Article)
                        .collect(),
                ),
                referenced_by: ctx.referenced_by(NodeId::Roadmap(r)),
            })
        }
        Job::Phase(r, p) => {
            #[derive(Serialize)]
            struct PhasePage<'a> {
                roadmap: context::Link<'a>,
                phase: context::PhaseFull<'a>,
                phase_count: usize,
                previous: Option<context::Link<'a>>,
                next: Option<context::Link<'a>>,
            }
            let count = site.roadmaps[r].phases.len();
            Box::new(PhasePage {
                roadmap: ctx.link(NodeId::Roadmap(r)),
                phase: ctx.phase_full(r, p),
                phase_count: count,
                previous: p.checked_sub(1).map(|q| ctx.link(NodeId::Phase(r, q))),
                next: (p + 1 < count).then(|| ctx.link(NodeId::Phase(r, p + 1))),
            })
        }
        Job::Topic(r, p, t) => {
            #[derive(Serialize)]
            struct TopicPage<'a> {
                roadmap: context::Link<'a>,
                phase: context::Link<'a>,
                phase_number: u64,
                topic: context::TopicFull<'a>,
                previous: Option<context::Link<'a>>,
                next: Option<context::Link<'a>>,
            }
            let (previous, next) = topic_neighbours(site, r, p, t);
            Box::new(TopicPage {
                roadmap: ctx.link(NodeId::Roadmap(r)),
                phase: ctx.link(NodeId::Phase(r, p)),
                phase_number: site.phase(r, p).number,
                topic: ctx.topic_full(r, p, t),
                previous: previous.map(|n| ctx.link(n)),
                next: next.map(|n| ctx.link(n)),
            })
        }
        Job::Doc(node) => {
            #[derive(Serialize)]
            struct DocPage<'a> {
                doc: context::DocFull<'a>,
                siblings: Vec<context::Link<'a>>,
            }
            let siblings = match node {
                NodeId::RoadmapPage(r, _) => (0..site.roadmaps[r].pages.len())
                    .map(|i| ctx.link(NodeId::RoadmapPage(r, i)))
                    .collect(),
                _ => Vec::new(),
            };
            Box::new(DocPage {
                doc: ctx.doc_full(node),
                siblings,
            })
        }
        Job::Articles => {
            #[derive(Serialize)]
            struct List<'a> {
                articles: context::Cards<'a>,
            }
            Box::new(List {
                articles: cards((0..site.articles.len()).map(NodeId::Article).collect()),
            })
        }
        Job::Tags => {
            #[derive(Serialize)]
            struct TagCount<'a> {
                name: &'a str,
                path: &'a SitePath,
                count: usize,
            }
            #[derive(Serialize)]
            struct Tags<'a> {
                tags: Vec<TagCount<'a>>,
            }
            Box::new(Tags {
                tags: site
                    .tags
                    .iter()
                    .map(|t| TagCount {
                        name: &t.name,
                        path: &t.path,
                        count: t.docs.len(),
                    })
                    .collect(),
            })
        }
        Job::Tag(i) => {
            #[derive(Serialize)]
            struct TagPage<'a> {
                tag: context::TagLink<'a>,
                docs: context::Cards<'a>,
            }
            let tag = &site.tags[i];
            Box::new(TagPage {
                tag: context::TagLink {
                    name: &tag.name,
                    path: &tag.path,
                },
                docs: cards(tag.docs.clone()),
            })
        }
        Job::Resources => Box::new(data::catalog_context(ctx)),
        Job::NotFound => {
            #[derive(Serialize)]
            struct NotFound<'a> {
                roadmaps: Vec<context::RoadmapCard<'a>>,
            }
            Box::new(NotFound {
                roadmaps: (0..site.roadmaps.len()).map(|r| ctx.roadmap_card(r)).collect(),
            })
        }
    }
}

/// The topics before and after topic `t` of phase `p`: they run through
/// the whole roadmap, across phases.
fn topic_neighbours(site: &Site, r: usize, p: usize, t: usize) -> (Option<NodeId>, Option<NodeId>) {
    let phases = &site.roadmaps[r].phases;
    let previous = match t.checked_sub(1) {
        Some(before) => Some(NodeId::Topic(r, p, before)),
        None => (0..p)
            .rev()
            .find(|&q| !phases[q].topics.is_empty())
            .map(|q| NodeId::Topic(r, q, phases[q].topics.len() - 1)),
    };
    let next = if t + 1 < phases[p].topics.len() {
        Some(NodeId::Topic(r, p, t + 1))
    } else {
        (p + 1..phases.len())
            .find(|&q| !phases[q].topics.is_empty())
            .map(|q| NodeId::Topic(r, q, 0))
    };
    (previous, next)
}

/// Serializing page data of any shape together with the common fields.
mod erased {
    use super::*;

    #[derive(Serialize)]
    struct Full<'a, T: Serialize + ?Sized> {
        root: &'a str,
        page: &'a Meta<'a>,
        #[serde(flatten)]
        data: &'a T,
    }

    pub trait Data {
        fn context(&self, root: &str, meta: &Meta) -> Result<tera::Context, tera::Error>;
        /// A hash of the whole context, to tell whether a page changed.
        fn fingerprint(&self, root: &str, meta: &Meta) -> u64;
    }

    impl<T: Serialize> Data for T {
        fn context(&self, root: &str, meta: &Meta) -> Result<tera::Context, tera::Error> {
            tera::Context::from_serialize(&Full {
                root,
                page: meta,
                data: self,
            })
        }

        fn fingerprint(&self, root: &str, meta: &Meta) -> u64 {
            let full = Full {
                root,
                page: meta,
                data: self,
            };
            hash_of(&full)
        }
    }

    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// A fingerprint of any serializable value: serialized as CBOR (binary,
    /// so strings are copied, not escaped as in JSON, and values that know
    /// it serialize a digest: Markdown, dates) into a reused buffer, then
    /// hashed at once with xxh3. CBOR says which map key goes with which
    /// value, so different values never serialize alike. A value may take
    /// a fingerprint of a part while it is serialized (an article card):
    /// the buffer is taken out meanwhile, and the inner call gets its own.
    pub fn hash_of<T: Serialize>(value: &T) -> u64 {
        let mut buffer = BUFFER.take();
        buffer.clear();
        // Writing into memory cannot fail; a context that cannot be
        // serialized fails later, when rendering, with a proper message.
        let _ = ciborium::into_writer(value, &mut buffer);
        let hash = xxhash_rust::xxh3::xxh3_64(&buffer);
        BUFFER.set(buffer);
        hash
    }
}

/// A hash of any template data, with every Markdown text as its digest.
pub(crate) fn data_fingerprint<T: Serialize>(data: &T) -> u64 {
    erased::hash_of(data)
}
