//! `waymark check --external`: asks every outside address of the site —
//! resource `url`s and http(s) links in Markdown — whether it still answers,
//! and reports dead and permanently moved ones where they are written.
//! Nothing else in waymark makes a network request: `build`, `serve` and a
//! plain `check` never reach this module.

mod cache;
mod check;
mod collect;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use url::Url;

use crate::build::Loaded;
use crate::diag::{Diagnostic, SourceMap};
use cache::{Cache, Entry, Status};
use check::Outcome;

pub struct Options {
    /// The longest wait for one request (connecting and the answer's head).
    pub timeout: Duration,
    /// Reuse answers from the cache (`--no-cache` turns this off; the
    /// answers of the run are still written to it).
    pub use_cache: bool,
}

/// What a run checked, for its closing line and its notes.
#[derive(Debug, Default)]
pub struct Summary {
    /// Distinct addresses (a `#fragment` does not make another).
    pub links: usize,
    pub hosts: usize,
    pub broken: usize,
    pub moved: usize,
    /// Answered from the cache, without a request.
    pub cached: usize,
    pub unverified: usize,
    /// One line per use of an address the server would not answer about
    /// (`path:line:col: note: …`): neither a warning nor fine.
    pub notes: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "checked {} external link{} on {} host{}: {} broken, {} moved, {} from cache",
            self.links,
            plural(self.links),
            self.hosts,
            plural(self.hosts),
            self.broken,
            self.moved,
            self.cached
        )?;
        if self.unverified > 0 {
            write!(f, ", {} not verified", self.unverified)?;
        }
        Ok(())
    }
}

/// Checks every outside link of a loaded site: warnings for the dead and
/// moved ones, at each place they are written, and the summary.
pub fn check(loaded: &Loaded, opts: &Options) -> (Vec<Diagnostic>, Summary) {
    let Some(site) = &loaded.site else {
        return (Vec::new(), Summary::default());
    };
    let links = collect::links(site, &loaded.sources);
    let distinct = Distinct::of(&links);
    let mut diagnostics = Vec::new();
    let mut summary = Summary::default();
    let outcomes = answers(
        &distinct.addresses,
        &loaded.sources.root,
        opts,
        &mut diagnostics,
        &mut summary,
    );

    let map = &loaded.sources.map;
    for (link, index) in links.iter().zip(&distinct.of_link) {
        let Some(index) = index else {
            let reason = distinct.invalid.get(link.url.as_str()).map_or("", String::as_str);
            diagnostics.push(
                Diagnostic::warning(format!("`{}` is not a valid web address: {reason}", link.url))
                    .with_span(link.span(map)),
            );
            continue;
        };
        match &outcomes[*index] {
            Outcome::Ok => {}
            Outcome::Broken { reason } => diagnostics
                .push(Diagnostic::warning(format!("dead link `{}`: {reason}", link.url)).with_span(link.span(map))),
            Outcome::Moved { to } => {
                let to = with_fragment(to, &link.url);
                diagnostics.push(
                    Diagnostic::warning(format!("`{}` has moved permanently to {to}", link.url))
                        .with_span(link.span(map))
                        .with_hint("link to the new address"),
                );
            }
            Outcome::Unverified { reason } => summary.notes.push(format!(
                "{}: note: `{}` could not be checked: {reason}; it is not counted as broken and is asked again next run",
                place(map, link),
                link.url
            )),
        }
    }

    summary.links = distinct.addresses.len() + distinct.invalid.len();
    summary.hosts = distinct
        .addresses
        .iter()
        .map(check::host_of)
        .collect::<BTreeSet<_>>()
        .len();
    summary.broken = distinct.invalid.len();
    for outcome in &outcomes {
        match outcome {
            Outcome::Ok => {}
            Outcome::Moved { .. } => summary.moved += 1,
            Outcome::Broken { .. } => summary.broken += 1,
            Outcome::Unverified { .. } => summary.unverified += 1,
        }
    }
    (diagnostics, summary)
}

/// Each address once, without its fragment (which is never sent).
struct Distinct<'l> {
    addresses: Vec<Url>,
    /// For each link, its address in `addresses`; `None` if it does not parse.
    of_link: Vec<Option<usize>>,
    /// Links that do not parse as URLs, with the reason.
    invalid: HashMap<&'l str, String>,
}

impl<'l> Distinct<'l> {
    fn of(links: &'l [collect::Link]) -> Self {
        let mut distinct = Distinct {
            addresses: Vec::new(),
            of_link: Vec::with_capacity(links.len()),
            invalid: HashMap::new(),
        };
        let mut index_of: HashMap<String, usize> = HashMap::new();
        for link in links {
            match Url::parse(&link.url) {
                Ok(mut url) => {
                    url.set_fragment(None);
                    let next = distinct.addresses.len();
                    let index = *index_of.entry(url.to_string()).or_insert(next);
                    if index == next {
                        distinct.addresses.push(url);
                    }
                    distinct.of_link.push(Some(index));
                }
                Err(err) => {
                    distinct.invalid.insert(&link.url, err.to_string());
                    distinct.of_link.push(None);
                }
            }
        }
        distinct
    }
}

/// An outcome for each address: from the cache where a fresh answer is
/// there (and `opts` allows), else by asking; the new answers are cached.
fn answers(
    addresses: &[Url],
    root: &Path,
    opts: &Options,
    diagnostics: &mut Vec<Diagnostic>,
    summary: &mut Summary,
) -> Vec<Outcome> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Read even with --no-cache, so that writing it back keeps the
    // answers about other addresses.
    let (mut cache, problem) = Cache::load(root);
    if let Some(problem) = problem {
        diagnostics.push(
            Diagnostic::warning(format!("the link cache is ignored: {problem}"))
                .with_path(relative(root, &cache::path(root)))
                .with_hint("it is rewritten at the end of this run"),
        );
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; addresses.len()];
    let mut to_ask = Vec::new();
    for (index, url) in addresses.iter().enumerate() {
        let reusable = cache.reusable(url.as_str(), now).filter(|_| opts.use_cache);
        outcomes[index] = match reusable {
            Some(entry) if entry.status == Status::Moved => Some(Outcome::Moved {
                to: entry.detail.clone(),
            }),
            Some(_) => Some(Outcome::Ok),
            None => {
                to_ask.push(index);
                continue;
            }
        };
        summary.cached += 1;
    }
    let asked: Vec<Url> = to_ask.iter().map(|&i| addresses[i].clone()).collect();
    for (&index, outcome) in to_ask.iter().zip(check::check_all(&asked, opts.timeout)) {
        let (status, detail) = match &outcome {
            Outcome::Ok => (Status::Ok, ""),
            Outcome::Moved { to } => (Status::Moved, to.as_str()),
            Outcome::Broken { reason } => (Status::Broken, reason.as_str()),
            // Not an answer worth keeping: asked again next run.
            Outcome::Unverified { .. } => {
                outcomes[index] = Some(outcome);
                continue;
            }
        };
        let entry = Entry {
            status,
            checked_at: now,
            detail: detail.to_owned(),
        };
        cache.record(addresses[index].to_string(), entry);
        outcomes[index] = Some(outcome);
    }
    if !to_ask.is_empty() {
        if let Err(err) = cache.save(root, now) {
            diagnostics.push(
                Diagnostic::warning(format!("cannot write the link cache: {err}"))
                    .with_path(relative(root, &cache::path(root)))
                    .with_hint("the next run asks about every link again"),
            );
        }
    }
    outcomes
        .into_iter()
        // Every address was answered from the cache or asked; none is left.
        .map(|o| {
            o.unwrap_or_else(|| Outcome::Unverified {
                reason: "waymark did not ask about it".into(),
            })
        })
        .collect()
}

/// The new address for a link with a `#fragment`: a redirect keeps the
/// fragment unless its new address has one of its own (RFC 9110).
fn with_fragment(to: &str, written: &str) -> String {
    match written.split_once('#') {
        Some((_, fragment)) if !to.contains('#') => format!("{to}#{fragment}"),
        _ => to.to_owned(),
    }
}

fn place(map: &SourceMap, link: &collect::Link) -> String {
    let span = link.span(map);
    let file = map.get(span.file);
    let (line, col) = file.line_col(span.range.start);
    format!("{}:{line}:{col}", file.path.display())
}

fn relative(root: &Path, path: &Path) -> std::path::PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
