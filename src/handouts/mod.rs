//! HANDOUTS: a printable handout per phase (`/handouts/<roadmap>/<phase>/`)
//! and a booklet per roadmap (`/handouts/<roadmap>/`), rendered from the same
//! immutable [`Site`] as the pages, for paper first and readable on screen.
//! With `--pdf`, headless Chromium prints them (see [`pdf`]).

pub mod command;
mod context;
pub mod pdf;
mod qr;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::model::{Site, SitePath};
use crate::output::Sink;
use crate::render::Theme;

pub use context::handout_assets;

/// Which handouts to render: all of them, or one roadmap's, or one phase's.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub roadmap: Option<String>,
    pub phase: Option<String>,
}

impl Selection {
    fn roadmap(&self, site: &Site, r: usize) -> bool {
        self.roadmap
            .as_deref()
            .is_none_or(|id| site.roadmaps[r].id.as_str() == id)
    }

    pub fn phase(&self, site: &Site, r: usize, p: usize) -> bool {
        self.roadmap(site, r)
            && self
                .phase
                .as_deref()
                .is_none_or(|id| site.phase(r, p).id.as_str() == id)
    }

    /// Booklets are made only when whole roadmaps are asked for.
    pub fn booklet(&self, site: &Site, r: usize) -> bool {
        self.roadmap(site, r) && self.phase.is_none()
    }

    /// Every `(roadmap, phase)` selected, in site order.
    pub fn phases(&self, site: &Site) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (r, roadmap) in site.roadmaps.iter().enumerate() {
            out.extend(
                (0..roadmap.phases.len())
                    .filter(|&p| self.phase(site, r, p))
                    .map(|p| (r, p)),
            );
        }
        out
    }

    /// Why the selection names nothing of this site, if it does not.
    pub fn check(&self, site: &Site) -> Result<(), String> {
        if let Some(id) = &self.roadmap {
            if !site.roadmaps.iter().any(|r| r.id.as_str() == id) {
                let known: Vec<&str> = site.roadmaps.iter().map(|r| r.id.as_str()).collect();
                return Err(format!("no roadmap `{id}` (roadmaps: {})", known.join(", ")));
            }
        }
        if let Some(id) = &self.phase {
            if self.phases(site).is_empty() {
                return Err(format!("no phase `{id}` in the selected roadmap(s)"));
            }
        }
        Ok(())
    }
}

/// Where a phase's handout lives.
pub fn phase_path(site: &Site, r: usize, p: usize) -> SitePath {
    SitePath::page(["handouts", site.roadmaps[r].id.as_str(), site.phase(r, p).id.as_str()])
}

/// Where a roadmap's booklet lives.
pub fn booklet_path(site: &Site, r: usize) -> SitePath {
    SitePath::page(["handouts", site.roadmaps[r].id.as_str()])
}

/// The PDF of a phase's handout, next to its HTML.
pub fn phase_pdf(site: &Site, r: usize, p: usize) -> SitePath {
    let (roadmap, phase) = (&site.roadmaps[r].id, &site.phase(r, p).id);
    SitePath::file(format!("handouts/{roadmap}/{phase}/{roadmap}-{phase}.pdf"))
}

/// The PDF of a roadmap's booklet, next to its HTML.
pub fn booklet_pdf(site: &Site, r: usize) -> SitePath {
    let roadmap = &site.roadmaps[r].id;
    SitePath::file(format!("handouts/{roadmap}/{roadmap}.pdf"))
}

/// What printing produced: page counts of each PDF, by handout path, and
/// where each phase starts in its booklet. Empty without `--pdf`.
#[derive(Debug, Default, Clone)]
pub struct Printed {
    pub pages: HashMap<SitePath, usize>,
    /// Phase handout path → its first page in the booklet.
    pub starts: HashMap<SitePath, usize>,
}

/// A page's way to its handout, for the "Print this phase" links.
#[derive(Serialize)]
pub struct HandoutLink {
    pub path: SitePath,
    pub pdf: Option<SitePath>,
    pub pages: Option<usize>,
}

/// Handout links of every phase page and roadmap overview, keyed by the
/// page's own path, as templates see them in the global `handouts`.
/// (Ordered, so that it fingerprints the same from run to run.)
pub fn links(site: &Site, printed: &Printed) -> std::collections::BTreeMap<String, HandoutLink> {
    let link = |path: SitePath, pdf: SitePath| {
        let pages = printed.pages.get(&path).copied();
        HandoutLink {
            pdf: pages.map(|_| pdf),
            pages,
            path,
        }
    };
    let mut out = std::collections::BTreeMap::new();
    for (r, roadmap) in site.roadmaps.iter().enumerate() {
        out.insert(
            roadmap.path.as_str().to_owned(),
            link(booklet_path(site, r), booklet_pdf(site, r)),
        );
        for (p, phase) in roadmap.phases.iter().enumerate() {
            out.insert(
                phase.path.as_str().to_owned(),
                link(phase_path(site, r, p), phase_pdf(site, r, p)),
            );
        }
    }
    out
}

/// What rendering handouts did: files written, each handout's fingerprint
/// (when one was taken), and those it skipped because they did not change.
#[derive(Default)]
pub struct Rendered {
    pub files: usize,
    pub fingerprints: Vec<(std::path::PathBuf, u64)>,
    pub unchanged: Vec<std::path::PathBuf>,
}

/// Renders the selected handouts and booklets into `sink`, and pushes what
/// failed onto `errors`. A handout whose inputs did not change since the
/// last build is skipped when `incremental` allows it (see [`crate::render::Incremental`]).
pub(crate) fn render(
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    selection: &Selection,
    printed: &Printed,
    incremental: crate::render::Incremental,
    errors: &mut Vec<Diagnostic>,
) -> Rendered {
    // Rendered on every core, written in site order.
    use rayon::prelude::*;
    let phases = selection.phases(site).into_par_iter().map(|(r, p)| {
        let path = phase_path(site, r, p);
        let data = context::phase_page(site, incremental.digests, r, p, &path);
        one(theme, sink, "handout.html", path, &data, incremental)
    });
    let booklets = (0..site.roadmaps.len())
        .into_par_iter()
        .filter(|&r| selection.booklet(site, r))
        .map(|r| {
            let path = booklet_path(site, r);
            let data = context::booklet_page(site, incremental.digests, r, &path, printed);
            one(theme, sink, "handout_booklet.html", path, &data, incremental)
        });
    let results: Vec<Handout> = phases.chain(booklets).collect();
    let mut rendered = Rendered::default();
    for (file, fingerprint, html) in results {
        if let Some(fingerprint) = fingerprint {
            rendered.fingerprints.push((file.clone(), fingerprint));
        }
        let written = match html {
            None => {
                rendered.unchanged.push(file);
                continue;
            }
            Some(html) => html.and_then(|html| {
                sink.write_page(&file, html.as_bytes(), fingerprint)
                    .map_err(|err| Diagnostic::error(format!("cannot write {}: {err}", file.display())))
            }),
        };
        match written {
            Ok(()) => rendered.files += 1,
            Err(error) => errors.push(error),
        }
    }
    rendered
}

/// One handout: its output file, its fingerprint (when one was taken), and
/// its HTML, or `None` when it did not change.
type Handout = (std::path::PathBuf, Option<u64>, Option<Result<String, Diagnostic>>);

fn one<T: serde::Serialize>(
    theme: &Theme,
    sink: &dyn Sink,
    template: &str,
    path: SitePath,
    data: &T,
    incremental: crate::render::Incremental,
) -> Handout {
    let file = path.output_file();
    let fingerprint = incremental.fingerprint(sink, theme.fingerprint(template), || {
        crate::render::data_fingerprint(data)
    });
    if fingerprint.is_some_and(|f| incremental.keeps(sink, &file, f)) {
        return (file, fingerprint, None);
    }
    let html = tera::Context::from_serialize(data)
        .map_err(|err| Diagnostic::error(format!("cannot build the context of {path}: {err}")))
        .and_then(|ctx| render_template(theme, template, &path, &ctx));
    (file, fingerprint, Some(html))
}

fn render_template(theme: &Theme, template: &str, path: &SitePath, ctx: &tera::Context) -> Result<String, Diagnostic> {
    theme
        .tera
        .render(template, ctx)
        .map_err(|err| theme.diagnostic(template, &err, Some(&format!("the handout {path}"))))
}

/// Writes the files handouts need besides themselves (their stylesheet),
/// for `waymark handouts`, which writes nothing else.
pub fn write_assets(site: &Site, sink: &dyn Sink, errors: &mut Vec<Diagnostic>) -> usize {
    let mut files = 0;
    for (name, bytes) in handout_assets(site) {
        let path = Path::new(name);
        let result = match bytes {
            context::Asset::Builtin(bytes) => sink.write(path, bytes),
            context::Asset::Site(from) => sink.copy(path, from),
        };
        match result {
            Ok(()) => files += 1,
            Err(err) => errors.push(Diagnostic::error(format!("cannot write {name}: {err}"))),
        }
    }
    files
}
