//! `waymark handouts` and `waymark build --pdf`: render, then print with
//! Chromium, then render again with what printing found (page counts for
//! the links, page numbers for the booklets' contents), all in one staging
//! folder that replaces the output only when everything succeeded.

use std::path::PathBuf;
use std::time::Instant;

use super::pdf::{self, Printer};
use super::{Printed, Selection};
use crate::build::{self, Loaded, Report};
use crate::diag::Diagnostic;
use crate::model::Site;
use crate::output::{self, OutputDir};
use crate::render::{self, Stats, Theme};
use crate::resolve::Options;

/// Why a command could not run: wrong usage (exit 2) or a missing or
/// failing tool (exit 1).
#[derive(Debug)]
pub enum Error {
    Usage(String),
    Fatal(String),
}

pub struct HandoutOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    /// Write into a folder that holds files waymark did not write.
    pub force: bool,
    pub resolve: Options,
    pub selection: Selection,
    /// Print PDFs too, with this Chromium (`None`: look it up).
    pub pdf: Option<Option<PathBuf>>,
    /// The whole site (`build --pdf`) or only the handouts.
    pub whole_site: bool,
}

/// What printing did, for the summary line.
pub struct Outcome {
    pub report: Report,
    pub pdfs: usize,
    pub print_seconds: f64,
}

pub fn run(opts: &HandoutOptions) -> Result<Outcome, Error> {
    let started = Instant::now();
    build::require_site(&opts.root).map_err(|usage| Error::Usage(usage.0))?;
    let out_dir = output::claim(&opts.root, &opts.output, opts.force).map_err(|refusal| Error::Usage(refusal.0))?;
    // No Chromium: say so before any work.
    let printer = match &opts.pdf {
        Some(chrome) => Some(Printer::new(pdf::find_chrome(chrome.as_deref()).map_err(Error::Fatal)?)),
        None => None,
    };
    let mut loaded = build::load(&opts.root, &opts.resolve, None);
    let mut pdfs = 0;
    let mut print_seconds = 0.0;
    let stats = match &loaded.site {
        Some(site) if !loaded.diagnostics.has_errors() => {
            opts.selection.check(site).map_err(Error::Usage)?;
            let result = render_and_print(site, &loaded, opts, &out_dir, printer.as_ref());
            match result {
                Ok((stats, printed, seconds)) => {
                    pdfs = printed.pages.len();
                    print_seconds = seconds;
                    Some(stats)
                }
                Err(errors) => {
                    loaded.diagnostics.extend(errors);
                    None
                }
            }
        }
        _ => None,
    };
    Ok(Outcome {
        report: build::finish(loaded, stats, started),
        pdfs,
        print_seconds,
    })
}

fn render_and_print(
    site: &Site,
    loaded: &Loaded,
    opts: &HandoutOptions,
    out_dir: &OutputDir,
    printer: Option<&Printer>,
) -> Result<(Stats, Printed, f64), Vec<Diagnostic>> {
    let mut theme = Theme::load(&loaded.sources.templates)?;
    let staged = out_dir.stage().map_err(|err| {
        vec![Diagnostic::error(format!(
            "cannot create a staging folder next to {}: {err}",
            opts.output.display()
        ))]
    })?;
    let selection = &opts.selection;
    let render_all = |theme: &mut Theme, printed: &Printed| -> Result<Stats, Vec<Diagnostic>> {
        if opts.whole_site {
            let rendered = render::render_with(site, &loaded.sources.map, theme, &staged, None, printed)?;
            Ok(rendered.stats)
        } else {
            let mut errors = Vec::new();
            let pages = super::render(
                site,
                theme,
                &staged,
                selection,
                printed,
                render::Incremental::never(),
                &mut errors,
            )
            .files;
            let assets = super::write_assets(site, &staged, &mut errors);
            if errors.is_empty() {
                Ok(Stats {
                    pages,
                    files: pages + assets,
                    ..Stats::default()
                })
            } else {
                Err(errors)
            }
        }
    };
    let mut stats = render_all(&mut theme, &Printed::default())?;
    let mut printed = Printed::default();
    let mut seconds = 0.0;
    if let Some(printer) = printer {
        let started = Instant::now();
        let rerender = |printed: &Printed| {
            let mut errors = Vec::new();
            super::render(
                site,
                &theme,
                &staged,
                selection,
                printed,
                render::Incremental::never(),
                &mut errors,
            );
            if errors.is_empty() { Ok(()) } else { Err(errors) }
        };
        printed = pdf::print_all(site, staged.path(), &staged, selection, printer, &rerender)?;
        seconds = started.elapsed().as_secs_f64();
        // Pages now link the PDFs, with their page counts.
        stats = render_all(&mut theme, &printed)?;
        stats.files += printed.pages.len();
    }
    out_dir.commit(staged).map_err(|err| {
        vec![Diagnostic::error(format!(
            "cannot replace {} with the new build: {err}",
            opts.output.display()
        ))]
    })?;
    Ok((stats, printed, seconds))
}
