//! The ids waymark gives the parts of its own pages (`#resources`,
//! `#timeline`, `#main`…) yield to the author's: a topic may be called
//! `resources`, and its phase page's resource section then answers to
//! `#wm-resources`. Resolving `#fragment` references and rendering both ask
//! here, so links and pages agree.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::{Phase, Roadmap};

/// A page, as far as the author's ids on it go.
#[derive(Clone, Copy)]
pub enum IdSpace<'a> {
    /// A phase page: each topic's section has the topic's id.
    Phase(&'a Phase),
    /// A roadmap's overview: each phase's item has the phase's id.
    Overview(&'a Roadmap),
    /// Any other page: no ids of the author's besides headings, which
    /// yield themselves (`-1`).
    Other,
}

impl IdSpace<'_> {
    fn taken(self, id: &str) -> bool {
        match self {
            IdSpace::Phase(phase) => phase.topics.iter().any(|t| t.id.as_str() == id),
            IdSpace::Overview(roadmap) => roadmap.phases.iter().any(|p| p.id.as_str() == id),
            IdSpace::Other => false,
        }
    }
}

/// Every id the built-in templates give a part of a page.
const OWN: &[&str] = &[
    "main",
    "search-input",
    "search-results",
    "topics",
    "resources",
    "exercises",
    "milestone",
    "projects",
    "required-by",
    "referenced-by",
    "phases",
    "more",
    "articles",
    "diagram",
    "timeline",
    "timeline-heading",
    "pace-hours",
    "pace-start",
];

/// The id of waymark's part `name` on a page: `name` itself when the
/// author's content does not use it, else the first free one of `wm-name`,
/// `wm-name-2`….
pub fn own_id<'a>(space: IdSpace, name: &'a str) -> Cow<'a, str> {
    own_id_among(name, &|id| space.taken(id))
}

fn own_id_among<'a>(name: &'a str, taken: &dyn Fn(&str) -> bool) -> Cow<'a, str> {
    if !taken(name) {
        return Cow::Borrowed(name);
    }
    let prefixed = format!("wm-{name}");
    if !taken(&prefixed) {
        return Cow::Owned(prefixed);
    }
    let mut n = 2;
    loop {
        let id = format!("wm-{name}-{n}");
        if !taken(&id) {
            return Cow::Owned(id);
        }
        n += 1;
    }
}

/// The ids of waymark's parts of one page, for templates: `page.ids.resources`,
/// `page.ids.search_input` (`-` becomes `_`).
#[derive(Debug, Clone, Serialize)]
pub struct PageIds(BTreeMap<&'static str, Cow<'static, str>>);

impl PageIds {
    /// A page's ids. Pages without the author's ids among them (all but
    /// overviews and phases) share one map: a large site has thousands.
    pub fn of(space: IdSpace) -> Cow<'static, PageIds> {
        static OTHER: std::sync::LazyLock<PageIds> = std::sync::LazyLock::new(|| PageIds::new(IdSpace::Other));
        match space {
            IdSpace::Other => Cow::Borrowed(&*OTHER),
            _ => Cow::Owned(PageIds::new(space)),
        }
    }

    fn new(space: IdSpace) -> Self {
        PageIds(
            OWN.iter()
                .map(|&name| (template_key(name), own_id(space, name)))
                .collect(),
        )
    }
}

/// Tera reads `a.b_c` but not `a.b-c`.
fn template_key(name: &'static str) -> &'static str {
    match name {
        "search-input" => "search_input",
        "search-results" => "search_results",
        "required-by" => "required_by",
        "referenced-by" => "referenced_by",
        "timeline-heading" => "timeline_heading",
        "pace-hours" => "pace_hours",
        "pace-start" => "pace_start",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_ids_yield_to_the_authors() {
        let none = |_: &str| false;
        assert_eq!(own_id_among("resources", &none), "resources");
        let topics = ["resources", "wm-exercises", "exercises"];
        let taken = |id: &str| topics.contains(&id);
        assert_eq!(own_id_among("resources", &taken), "wm-resources");
        assert_eq!(own_id_among("exercises", &taken), "wm-exercises-2");
        assert_eq!(own_id_among("milestone", &taken), "milestone");
        for name in OWN {
            assert!(!template_key(name).contains('-'), "{name}");
        }
    }
}
