//! Site-wide collections built from the resolved nodes: tags, the resource
//! catalog, copied files, and the check that no two things share a URL.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::locate::Origin;
use crate::diag::{Diagnostic, FileId, Span};
use crate::markdown::slugify;
use crate::model::{Asset, CatalogEntry, NodeId, Site, SitePath, Tag};
use crate::source::Sources;
use crate::source::yaml::Step;

pub fn tags(site: &mut Site, diags: &mut Vec<Diagnostic>) {
    let mut tags: Vec<Tag> = Vec::new();
    let mut docs: Vec<(NodeId, &mut crate::model::Doc)> = Vec::new();
    for (i, doc) in site.articles.iter_mut().enumerate() {
        docs.push((NodeId::Article(i), doc));
    }
    for (i, doc) in site.pages.iter_mut().enumerate() {
        docs.push((NodeId::Page(i), doc));
    }
    for (r, roadmap) in site.roadmaps.iter_mut().enumerate() {
        for (i, doc) in roadmap.pages.iter_mut().enumerate() {
            docs.push((NodeId::RoadmapPage(r, i), doc));
        }
    }
    // A site has a few tag names, used thousands of times: each name is
    // slugged and looked up once. `None`: a name without letters or digits.
    let mut by_name: FxHashMap<&str, Option<usize>> = FxHashMap::default();
    let mut by_slug: FxHashMap<String, usize> = FxHashMap::default();
    for (node, doc) in docs {
        let mut ids = Vec::new();
        for name in &doc.tags {
            let index = *by_name.entry(name).or_insert_with(|| {
                let slug = slugify(name);
                if slug.is_empty() {
                    return None;
                }
                Some(*by_slug.entry(slug.clone()).or_insert_with(|| {
                    tags.push(Tag {
                        name: name.trim().to_owned(),
                        path: SitePath::page(["tags", slug.as_str()]),
                        slug,
                        docs: Vec::new(),
                    });
                    tags.len() - 1
                }))
            });
            let Some(index) = index else {
                diags.push(
                    Diagnostic::error(format!(
                        "the tag `{name}` has no letters or digits, so it cannot have a page"
                    ))
                    .with_span(crate::diag::Span::at(doc.source, 0))
                    .with_hint("use a tag made of words"),
                );
                continue;
            };
            if !ids.contains(&index) {
                ids.push(index);
                tags[index].docs.push(node);
            }
        }
        doc.tag_ids = ids;
    }
    // Tags are listed by name; documents keep pointing at the right ones.
    let mut order: Vec<usize> = (0..tags.len()).collect();
    order.sort_by_cached_key(|&i| (tags[i].name.to_lowercase(), tags[i].slug.clone()));
    let mut new_index = vec![0; tags.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut sorted: Vec<Option<Tag>> = tags.into_iter().map(Some).collect();
    site.tags = order
        .iter()
        .map(|&old| sorted[old].take().expect("each once"))
        .collect();
    let remap = |ids: &mut Vec<usize>| ids.iter_mut().for_each(|i| *i = new_index[*i]);
    site.articles.iter_mut().for_each(|d| remap(&mut d.tag_ids));
    site.pages.iter_mut().for_each(|d| remap(&mut d.tag_ids));
    site.roadmaps
        .iter_mut()
        .flat_map(|r| r.pages.iter_mut())
        .for_each(|d| remap(&mut d.tag_ids));
}

/// The key under which two resources are the same: the URL without scheme,
/// host case or trailing slash; or the title and author when there is no URL.
fn resource_key(title: &str, by: Option<&str>, url: Option<&str>) -> String {
    match url {
        Some(url) => {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .unwrap_or(url);
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!("url:{}{}", host.to_lowercase(), path.trim_end_matches('/'))
        }
        None => format!(
            "title:{}\u{1}{}",
            title.trim().to_lowercase(),
            by.unwrap_or("").trim().to_lowercase()
        ),
    }
}

pub fn catalog(site: &mut Site) {
    let mut by_key: FxHashMap<String, usize> = FxHashMap::default();
    let mut catalog: Vec<CatalogEntry> = Vec::new();
    for (r, roadmap) in site.roadmaps.iter_mut().enumerate() {
        for (p, phase) in roadmap.phases.iter_mut().enumerate() {
            for (t, topic) in phase.topics.iter_mut().enumerate() {
                let node = NodeId::Topic(r, p, t);
                for resource in &mut topic.resources {
                    let key = resource_key(&resource.title, resource.by.as_deref(), resource.url.as_deref());
                    let index = *by_key.entry(key).or_insert_with(|| {
                        catalog.push(CatalogEntry {
                            anchor: String::new(),
                            title: resource.title.clone(),
                            by: resource.by.clone(),
                            url: resource.url.clone(),
                            kind: resource.kind,
                            cost: resource.cost,
                            used_by: Vec::new(),
                        });
                        catalog.len() - 1
                    });
                    let entry = &mut catalog[index];
                    // A later appearance may know the cost or author the first left out.
                    entry.cost = entry.cost.or(resource.cost);
                    if entry.by.is_none() {
                        entry.by.clone_from(&resource.by);
                    }
                    if !entry.used_by.contains(&node) {
                        entry.used_by.push(node);
                    }
                    resource.catalog = index;
                }
            }
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for entry in &mut catalog {
        let base = format!("r-{}", slugify(&entry.title));
        let count = seen.entry(base.clone()).or_insert(0);
        entry.anchor = if *count == 0 { base } else { format!("{base}-{count}") };
        *count += 1;
    }
    site.catalog = catalog;
}

pub fn copied(files: &[crate::source::CopiedFile]) -> Vec<Asset> {
    files
        .iter()
        .map(|file| Asset {
            source: file.source.clone(),
            path: SitePath::file(file.relative.clone()),
        })
        .collect()
}

/// Output files every site has, which no author file may take.
pub const GENERATED_FILES: &[&str] = &[
    "index.html",
    "404.html",
    "sitemap.xml",
    "atom.xml",
    "robots.txt",
    "search-index.json",
    "highlight.css",
    "articles/index.html",
    "tags/index.html",
    "resources/index.html",
];

/// Two things that would be written to the same file are an error naming both.
pub fn check_collisions(site: &Site, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    let map = &sources.map;
    // Keyed by the path's bytes, and each owner described only when
    // reported: this runs on every preview rebuild, for every page.
    let mut owners: FxHashMap<OsString, Owner> = FxHashMap::default();
    let mut claim = |file: PathBuf, owner: Owner, diags: &mut Vec<Diagnostic>| {
        let file = file.into_os_string();
        if let Some(first) = owners.get(&file) {
            let mut diagnostic = Diagnostic::error(format!(
                "{} and {} would both be written to /{}",
                owner.who.describe(site, sources),
                first.who.describe(site, sources),
                Path::new(&file).display()
            ));
            match owner.at.map(|at| at.locate(sources)) {
                Some(Located::Span(span)) => diagnostic = diagnostic.with_span(span),
                Some(Located::Path(path)) => diagnostic = diagnostic.with_path(path),
                None => {}
            }
            if let Some(at) = &first.at {
                let other = match at.locate(sources) {
                    Located::Span(span) => super::place(map, &span),
                    Located::Path(path) => path.display().to_string(),
                };
                diagnostic = diagnostic.with_hint(format!("the other one is at {other}"));
            }
            diags.push(diagnostic.with_hint("rename or move one of them"));
        } else {
            owners.insert(file, owner);
        }
    };
    for name in GENERATED_FILES {
        claim(
            PathBuf::from(name),
            Owner::new(format!("waymark's generated {name}"), None),
            diags,
        );
    }
    for node in site.nodes() {
        // A page's file name makes its URL, so the place is the file's start.
        claim(
            site.path(node).output_file(),
            Owner {
                who: Who::Node(node),
                at: Some(Place::Start(site.source(node))),
            },
            diags,
        );
    }
    for roadmap in &site.roadmaps {
        let json = PathBuf::from(format!("{}roadmap.json", roadmap.path.as_str()));
        let who = format!("the generated roadmap.json of `{}`", roadmap.id);
        claim(json, Owner::new(who, Some(Place::Start(roadmap.source))), diags);
    }
    for tag in &site.tags {
        // A tag page comes from the `tags` of the first text that uses it.
        let first_use = tag.docs.first().map(|&doc| Place::Tags(site.source(doc)));
        claim(
            tag.path.output_file(),
            Owner::new(format!("the page of tag `{}`", tag.name), first_use),
            diags,
        );
    }
    for (folder, files) in [("content", &sources.assets), ("static", &sources.static_files)] {
        for file in files {
            let name = format!("{folder}/{}", file.relative);
            claim(
                PathBuf::from(&file.relative),
                Owner::new(name.clone(), Some(Place::Copied(PathBuf::from(name)))),
                diags,
            );
        }
    }
    // The built-in theme's files, unless the site's static/ replaces them.
    for (name, _) in crate::render::builtin_static() {
        owners
            .entry(OsString::from(&name))
            .or_insert_with(|| Owner::new(format!("the built-in theme's {name}"), None));
    }
    check_file_folder_clashes(&owners, site, sources, diags);
}

/// What claims an output file, and where in the sources it comes from.
struct Owner {
    who: Who,
    at: Option<Place>,
}

impl Owner {
    fn new(who: String, at: Option<Place>) -> Self {
        Owner {
            who: Who::Text(who),
            at,
        }
    }
}

/// Who claims an output file, for messages.
enum Who {
    Node(NodeId),
    Text(String),
}

impl Who {
    fn describe(&self, site: &Site, sources: &Sources) -> String {
        match self {
            Who::Node(node) => format!(
                "{} `{}` ({})",
                site.kind(*node),
                site.title(*node),
                sources.map.get(site.source(*node)).path.display()
            ),
            Who::Text(text) => text.clone(),
        }
    }
}

/// Where an output file comes from; looked up only when it is reported.
enum Place {
    /// A text whose file name makes the URL.
    Start(FileId),
    /// The `tags` key of a text's front matter.
    Tags(FileId),
    /// A copied file, which has no lines.
    Copied(PathBuf),
}

enum Located {
    Span(Span),
    Path(PathBuf),
}

impl Place {
    fn locate(&self, sources: &Sources) -> Located {
        match self {
            Place::Start(file) => Located::Span(Span::at(*file, 0)),
            Place::Tags(file) => {
                let docs = sources
                    .articles
                    .iter()
                    .chain(&sources.pages)
                    .chain(sources.roadmaps.iter().flat_map(|r| &r.pages));
                let span = docs
                    .map(|(_, loaded)| loaded)
                    .find(|loaded| loaded.file == *file)
                    .map(|loaded| Origin::yaml(*file, loaded.yaml.clone(), vec![Step::Key("tags")]).span(&sources.map));
                Located::Span(span.unwrap_or(Span::at(*file, 0)))
            }
            Place::Copied(path) => Located::Path(path.clone()),
        }
    }
}

/// A file written where another file needs a folder: `404.html` and
/// `static/404.html/a.txt` cannot both exist.
fn check_file_folder_clashes(
    owners: &FxHashMap<OsString, Owner>,
    site: &Site,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) {
    let mut clashes: Vec<(&Path, &Path)> = Vec::new();
    for key in owners.keys() {
        let file = Path::new(key);
        // Every output path is made from a slashed string, so its folders
        // are cut as a string, not walked part by part (this runs for
        // every page on every preview rebuild).
        let text = key.to_string_lossy();
        for (end, _) in text.rmatch_indices('/') {
            if let Some((folder, _)) = owners.get_key_value(OsStr::new(&text[..end])) {
                clashes.push((file, Path::new(folder)));
            }
        }
    }
    clashes.sort();
    for (file, folder) in clashes {
        diags.push(
            Diagnostic::error(format!(
                "{} needs /{} to be a folder, but {} is written there as a file",
                owners[file.as_os_str()].who.describe(site, sources),
                folder.display(),
                owners[folder.as_os_str()].who.describe(site, sources)
            ))
            .with_hint("rename or move one of them"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::resource_key;

    #[test]
    fn resources_match_by_normalised_url_or_title() {
        let a = resource_key("A", None, Some("https://Example.org/x/"));
        let b = resource_key("B", None, Some("http://example.org/x"));
        assert_eq!(a, b);
        assert_ne!(a, resource_key("A", None, Some("https://example.org/X")));
        assert_eq!(
            resource_key("Deep Learning", Some("Goodfellow"), None),
            resource_key("deep learning ", Some("goodfellow"), None)
        );
    }
}
