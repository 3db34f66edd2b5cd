//! The pipeline end to end: load → resolve → render → write. Each command
//! (`build`, `check`, the preview server) is a thin use of these steps.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::linkcheck::{LinkCheckSink, SourceIndex};
use crate::model::Site;
use crate::output::{self, Sink};
use crate::render::{self, Stats, Theme};
use crate::resolve::{self, Options};
use crate::source::{self, Sources};

/// What a run found and did, for the command line to print.
pub struct Report {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    pub stats: Option<Stats>,
    pub elapsed: Duration,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.diagnostics.has_errors() || self.stats.is_none()
    }
}

/// The command could not run as asked (exit status 2), as opposed to a
/// site with errors (exit status 1, in a [`Report`]).
#[derive(Debug)]
pub struct UsageError(pub String);

/// A loaded and resolved site, or the diagnostics that prevent one.
pub struct Loaded {
    pub sources: Sources,
    pub site: Option<Site>,
    pub diagnostics: Diagnostics,
}

/// Prints how long a stage took when `WAYMARK_TIMINGS` is set: a tool for
/// working on waymark's speed, not part of its interface.
pub(crate) fn stage(name: &str, started: Instant) {
    if std::env::var_os("WAYMARK_TIMINGS").is_some() {
        eprintln!("timing: {name:<8} {:7.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    }
}

/// What the preview keeps from one load to the next.
#[derive(Default)]
pub struct Kept {
    sources: source::Reuse,
    memory: resolve::Memory,
    /// The last load, when it had not a single diagnostic: a rebuild whose
    /// only change is to the text of articles or pages patches its model
    /// ([`resolve::patch`]). Made with the same options as every load.
    last: Option<(Sources, Site)>,
    /// The last load once a new one is made, to be freed after the rebuild.
    replaced: Option<(Sources, Site)>,
}

impl Kept {
    /// The paths the file watcher reported since the last load; `None`
    /// when it may have missed some (every file is then looked at).
    pub fn report(&mut self, changed: Option<&[PathBuf]>) {
        self.sources.report(changed);
    }

    /// The load this one replaced, for the caller to free when it is
    /// done: freeing tens of thousands of allocations on another thread
    /// during the rebuild would slow it.
    pub fn take_replaced(&mut self) -> Option<impl Send + use<>> {
        self.replaced.take()
    }

    /// Keeps a load that the next can patch, when it had no diagnostic.
    /// Otherwise gives it back, to be dropped.
    pub fn keep(&mut self, loaded: Loaded) -> Option<Loaded> {
        match loaded {
            Loaded {
                sources,
                site: Some(site),
                diagnostics,
            } if diagnostics.is_empty() => {
                self.last = Some((sources, site));
                None
            }
            loaded => Some(loaded),
        }
    }
}

/// Reads and resolves the site at `root`; with `kept`, files unchanged since
/// the last call are not read again and Markdown texts not parsed again.
pub fn load(root: &Path, opts: &Options, kept: Option<&mut Kept>) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let started = Instant::now();
    let Some(kept) = kept else {
        let sources = source::load(root, &mut diagnostics, None);
        stage("load", started);
        return resolve_loaded(sources, opts, None, None, diagnostics);
    };
    let sources = source::load(root, &mut diagnostics, Some(&mut kept.sources));
    stage("load", started);
    if diagnostics.has_errors() {
        // A file that does not load, as when saved halfway through an edit:
        // the last good model, and the links it was resolved with, wait for
        // the fix, which is most often the next save.
        return kept
            .memory
            .aside(|memory| resolve_loaded(sources, opts, Some(memory), None, diagnostics));
    }
    if let Some((before, mut site)) = kept.last.take() {
        let started = Instant::now();
        if resolve::patch(&mut site, &before, &sources, &mut kept.memory) {
            stage("patch", started);
            diagnostics.extend(render::stray_overrides(&sources.templates));
            return Loaded {
                sources,
                site: Some(site),
                diagnostics,
            };
        }
        let last = resolve::Last {
            sources: &before,
            site: &mut site,
        };
        let loaded = resolve_loaded(sources, opts, Some(&mut kept.memory), Some(last), diagnostics);
        // One left from a rebuild that failed.
        if let Some(older) = kept.replaced.replace((before, site)) {
            drop_later(older);
        }
        return loaded;
    }
    resolve_loaded(sources, opts, Some(&mut kept.memory), None, diagnostics)
}

fn resolve_loaded(
    sources: Sources,
    opts: &Options,
    memory: Option<&mut resolve::Memory>,
    last: Option<resolve::Last>,
    mut diagnostics: Diagnostics,
) -> Loaded {
    let started = Instant::now();
    let site = resolve::resolve(&sources, opts, memory, last, &mut diagnostics);
    diagnostics.extend(render::stray_overrides(&sources.templates));
    stage("resolve", started);
    Loaded {
        sources,
        site,
        diagnostics,
    }
}

/// Frees what a run no longer needs (a site model: tens of thousands of
/// allocations on a large site) on another thread, so that the run goes
/// on without waiting for it.
pub(crate) fn drop_later<T: Send + 'static>(garbage: T) {
    let spawned = std::thread::Builder::new()
        .name("waymark-drop".into())
        .spawn(move || drop(garbage));
    // No thread to be had: freeing it here only costs time.
    drop(spawned);
}

/// Renders a resolved site into `sink` (when the site has no errors).
pub fn render_into(loaded: &mut Loaded, sink: &dyn Sink) -> Option<Stats> {
    if loaded.diagnostics.has_errors() {
        return None;
    }
    let site = loaded.site.as_ref()?;
    let mut theme = match Theme::load(&loaded.sources.templates) {
        Ok(theme) => theme,
        Err(errors) => {
            loaded.diagnostics.extend(errors);
            return None;
        }
    };
    let started = Instant::now();
    let rendered = render::render(site, &loaded.sources.map, &mut theme, sink, None);
    stage("render", started);
    match rendered {
        Ok(rendered) => Some(rendered.stats),
        Err(errors) => {
            loaded.diagnostics.extend(errors);
            None
        }
    }
}

/// The report of a run: its diagnostics in file order, and what was made.
pub(crate) fn finish(mut loaded: Loaded, stats: Option<Stats>, started: Instant) -> Report {
    loaded.diagnostics.sort(&loaded.sources.map);
    Report {
        sources: loaded.sources.map,
        diagnostics: loaded.diagnostics,
        stats,
        elapsed: started.elapsed(),
    }
}

/// Keeps what this run highlighted for the next run; failing to costs only
/// speed, so it is a warning.
pub fn save_highlight_cache() {
    if let Err(message) = crate::markdown::save_cache() {
        eprintln!("warning: {message}");
    }
}

/// A command given a folder that is not a waymark site is wrong usage.
pub fn require_site(root: &Path) -> Result<(), UsageError> {
    if crate::source::config_file(root).is_some() {
        return Ok(());
    }
    let shown = root.display().to_string();
    let shown = if shown.is_empty() || shown == "." {
        "the current folder".to_owned()
    } else {
        shown
    };
    Err(UsageError(format!(
        "no site.yaml in {shown}: is this a waymark site? (`waymark init DIR` makes one)"
    )))
}

pub struct BuildOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    /// Write into a folder that holds files waymark did not write.
    pub force: bool,
    pub resolve: Options,
    /// Keep the replaced output in the cache folder for the next build.
    pub use_cache: bool,
}

/// `waymark build`: the whole site into a staging folder, swapped in only
/// when everything succeeded.
pub fn build(opts: &BuildOptions) -> Result<Report, UsageError> {
    let started = Instant::now();
    require_site(&opts.root)?;
    let mut out_dir = output::claim(&opts.root, &opts.output, opts.force).map_err(|refusal| UsageError(refusal.0))?;
    if opts.use_cache {
        out_dir = out_dir.recycling(&opts.root);
    }
    let mut loaded = load(&opts.root, &opts.resolve, None);
    if loaded.diagnostics.has_errors() {
        return Ok(finish(loaded, None, started));
    }
    let staged = match out_dir.stage() {
        Ok(staged) => staged,
        Err(err) => {
            loaded.diagnostics.push(Diagnostic::error(format!(
                "cannot create a staging folder next to {}: {err}",
                opts.output.display()
            )));
            return Ok(finish(loaded, None, started));
        }
    };
    let stats = render_into(&mut loaded, &staged);
    let started_commit = Instant::now();
    let stats = match stats {
        Some(stats) => match out_dir.commit(staged).inspect(|()| stage("commit", started_commit)) {
            Ok(()) => Some(stats),
            Err(err) => {
                loaded.diagnostics.push(Diagnostic::error(format!(
                    "cannot replace {} with the new build: {err}",
                    opts.output.display()
                )));
                None
            }
        },
        // Dropping the staging folder deletes it; the output stays as it was.
        None => None,
    };
    Ok(finish(loaded, stats, started))
}

/// `waymark check`: everything `build` validates, plus every internal link
/// of the rendered pages; renders in memory and writes nothing.
pub fn check(root: &Path, opts: &Options) -> Result<Report, UsageError> {
    check_with(root, opts, |_| Vec::new())
}

/// [`check`], then `more` on the loaded site (`--external` checks its
/// outside links), whose diagnostics join the report.
pub fn check_with(
    root: &Path,
    opts: &Options,
    more: impl FnOnce(&Loaded) -> Vec<Diagnostic>,
) -> Result<Report, UsageError> {
    require_site(root)?;
    let started = Instant::now();
    let mut loaded = load(root, opts, None);
    let Some(base_url) = loaded.site.as_ref().map(|s| s.config.base_url.clone()) else {
        return Ok(finish(loaded, None, started));
    };
    let sink = LinkCheckSink::new(base_url);
    let stats = render_into(&mut loaded, &sink);
    if stats.is_some() {
        let sources = output_sources(&loaded);
        let broken = sink.report(|file| sources.get(file).cloned());
        loaded.diagnostics.extend(broken);
    }
    let found = more(&loaded);
    loaded.diagnostics.extend(found);
    Ok(finish(loaded, stats, started))
}

/// Which source file made each output page, for link-check messages.
fn output_sources(loaded: &Loaded) -> SourceIndex {
    let mut sources = SourceIndex::new();
    let Some(site) = &loaded.site else { return sources };
    let map = &loaded.sources.map;
    for node in site.nodes() {
        let output = site.path(node).output_file().to_string_lossy().replace('\\', "/");
        sources.insert(output, map.get(site.source(node)).path.display().to_string());
    }
    sources
}
