//! Typed contexts of the handout templates. Links inside them point at the
//! live site (`base_url`): on paper a link is only useful as a full URL.

use std::path::Path;

use serde::Serialize;

use super::{Printed, phase_path, qr};
use crate::model::{Paper, Site, SitePath};
use crate::render::context::{Ctx, Digests, PhaseFull, RoadmapCard};

/// What every handout page shows around its content.
#[derive(Serialize)]
struct Page<'a> {
    language: &'a str,
    site_title: &'a str,
    /// The way back to the output root, for the stylesheet.
    assets: String,
    /// Links in Markdown and `requires` are absolute: they start with this.
    root: &'a str,
    paper: Paper,
    generator: &'static str,
    /// Where this handout's screen version lives, for the footer.
    permalink: String,
}

/// One phase as a handout shows it, alone or in a booklet.
#[derive(Serialize)]
pub struct HandoutPhase<'a> {
    roadmap_id: &'a str,
    /// Prefix of every id inside the phase, so ids stay unique in a booklet.
    prefix: String,
    /// The CSS named page of this phase (its running header).
    page_name: String,
    /// The running header, escaped for a CSS string.
    css_header: String,
    /// The phase's page on the live site, which the QR code opens.
    live_url: String,
    qr: Option<String>,
    /// Its first page in the booklet, once printed.
    start: Option<usize>,
    #[serde(flatten)]
    full: PhaseFull<'a>,
}

fn handout_phase<'a>(ctx: &Ctx<'a>, r: usize, p: usize, prefix: String, printed: &Printed) -> HandoutPhase<'a> {
    let site = ctx.site;
    let phase = site.phase(r, p);
    let roadmap = &site.roadmaps[r];
    let live_url = site.config.base_url.permalink(&phase.path);
    HandoutPhase {
        roadmap_id: roadmap.id.as_str(),
        prefix,
        page_name: format!("phase-{}", p + 1),
        css_header: css_string(&format!("{} · Phase {}: {}", roadmap.title, phase.number, phase.title)),
        qr: qr::svg(&live_url, &format!("QR code of {live_url}")),
        live_url,
        start: printed.starts.get(&phase_path(site, r, p)).copied(),
        full: ctx.phase_full(r, p).without_backlinks(),
    }
}

/// Links on paper are absolute: they start with the site's address.
fn handout_ctx<'a>(site: &'a Site, digests: Option<&'a Digests>) -> Ctx<'a> {
    Ctx {
        site,
        root: site.config.base_url.as_str(),
        digests,
    }
}

fn page<'a>(site: &'a Site, path: &SitePath) -> Page<'a> {
    Page {
        language: &site.config.language,
        site_title: &site.config.title,
        assets: path.root_prefix(),
        root: site.config.base_url.as_str(),
        paper: site.config.paper,
        generator: concat!("waymark ", env!("CARGO_PKG_VERSION")),
        permalink: site.config.base_url.permalink(path),
    }
}

#[derive(Serialize)]
pub struct PhasePage<'a> {
    #[serde(flatten)]
    page: Page<'a>,
    roadmap: RoadmapCard<'a>,
    phase: HandoutPhase<'a>,
    phase_count: usize,
    booklet: SitePath,
}

/// The context of phase `p`'s handout. `digests`: shared by a render's fingerprints.
pub fn phase_page<'a>(
    site: &'a Site,
    digests: Option<&'a Digests>,
    r: usize,
    p: usize,
    path: &SitePath,
) -> PhasePage<'a> {
    let ctx = handout_ctx(site, digests);
    PhasePage {
        page: page(site, path),
        roadmap: ctx.roadmap_card(r),
        phase: handout_phase(&ctx, r, p, String::new(), &Printed::default()),
        phase_count: site.roadmaps[r].phases.len(),
        booklet: super::booklet_path(site, r),
    }
}

#[derive(Serialize)]
pub struct BookletPage<'a> {
    #[serde(flatten)]
    page: Page<'a>,
    roadmap: RoadmapCard<'a>,
    /// The roadmap's overview on the live site, for the cover's QR code.
    live_url: String,
    qr: Option<String>,
    phases: Vec<HandoutPhase<'a>>,
}

/// The context of roadmap `r`'s booklet. `digests`: shared by a render's fingerprints.
pub fn booklet_page<'a>(
    site: &'a Site,
    digests: Option<&'a Digests>,
    r: usize,
    path: &SitePath,
    printed: &Printed,
) -> BookletPage<'a> {
    let ctx = handout_ctx(site, digests);
    let roadmap = &site.roadmaps[r];
    let live_url = site.config.base_url.permalink(&roadmap.path);
    BookletPage {
        page: page(site, path),
        roadmap: ctx.roadmap_card(r),
        qr: qr::svg(&live_url, &format!("QR code of {live_url}")),
        live_url,
        phases: (0..roadmap.phases.len())
            .map(|p| handout_phase(&ctx, r, p, format!("{}--", site.phase(r, p).id), printed))
            .collect(),
    }
}

/// A text as a CSS string literal, safe inside a `<style>` element.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\n' | '\r' => out.push_str(&format!("\\{:x} ", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where a handout asset comes from: the built-in theme or the site's `static/`.
pub enum Asset<'a> {
    Builtin(&'static [u8]),
    Site(&'a Path),
}

/// The files handouts load (their stylesheet, the progress script that
/// shows a learner's ticks, the icon), each from the site's `static/` when
/// it has its own.
pub fn handout_assets(site: &Site) -> Vec<(&'static str, Asset<'_>)> {
    ["handout.css", "progress.js", "favicon.svg"]
        .into_iter()
        .filter_map(|name| {
            if let Some(own) = site.static_files.iter().find(|f| f.path.as_str() == name) {
                return Some((name, Asset::Site(&own.source)));
            }
            crate::render::builtin_static()
                .find(|(n, _)| n == name)
                .map(|(_, bytes)| (name, Asset::Builtin(bytes)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn css_strings_cannot_close_the_style_element() {
        assert_eq!(
            super::css_string("a \"b\" </style>"),
            "\"a \\22 b\\22  \\3c /style\\3e \""
        );
    }
}
