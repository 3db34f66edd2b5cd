//! The preview's memory of where the last resolve's links went, so that a
//! resolve after an edit resolves again only the texts whose words or
//! targets changed. Renaming a topic of a 5,000-article site resolved the
//! links of every text: half of resolving.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::refs::{Backlinks, Index, Target, TextResolved};
use crate::diag::Diagnostic;
use crate::markdown::{Markdown, Parsed};
use crate::model::{MdId, NodeId, Site};

/// The texts of the last resolve, and the references they write.
pub struct Links {
    /// Each text's parse and owner, in the order of the model's texts.
    parsed: Vec<Arc<Parsed>>,
    owners: Vec<NodeId>,
    /// Each reference as written after `@`: what it resolved to, and the
    /// texts that write it.
    dests: HashMap<Box<str>, Dest>,
    /// How many texts the last resolve resolved: all, or those [`Links::again`] chose.
    resolved: usize,
}

struct Dest {
    target: Target,
    texts: Vec<u32>,
}

/// The texts that a resolve after an edit resolves again; the others are
/// the last model's, as resolving them again would make them.
pub(super) struct Again {
    pub texts: Vec<usize>,
    markdown: Vec<Markdown>,
    /// The last model's backlinks, when no edit can have changed them.
    backlinks: Option<Backlinks>,
}

impl Links {
    /// What a full resolve of `parsed` found, before it keeps the parses.
    pub(super) fn new(index: &Index, parsed: &[Arc<Parsed>], owners: Vec<NodeId>) -> Links {
        let mut links = Links {
            parsed: Vec::new(),
            resolved: parsed.len(),
            owners,
            dests: HashMap::default(),
        };
        for (i, text) in parsed.iter().enumerate() {
            links.add(index, i, text);
        }
        links
    }

    /// Keeps the parses of the texts just resolved.
    pub(super) fn keep(&mut self, parsed: Vec<Arc<Parsed>>) {
        self.parsed = parsed;
    }

    /// Text `id` was parsed again into `parsed`, with the same links (a patch).
    pub(super) fn reparsed(&mut self, id: MdId, parsed: &Arc<Parsed>) {
        if let Some(kept) = self.parsed.get_mut(id.0 as usize) {
            *kept = Arc::clone(parsed);
        }
    }

    /// Which of the texts `parsed` (owned by `owners`) must be resolved
    /// again against `index`: those parsed anew, and those writing a
    /// reference whose target changed. Takes the other texts from `last`,
    /// the model these links are of. `None` when the texts are not the
    /// same ones as then (a topic or an article added or removed).
    pub(super) fn again(
        &mut self,
        index: &Index,
        parsed: &[Arc<Parsed>],
        owners: &[NodeId],
        last: &mut Site,
    ) -> Option<Again> {
        if self.owners != owners || self.parsed.len() != parsed.len() || last.markdown.len() != parsed.len() {
            return None;
        }
        let mut again = vec![false; parsed.len()];
        // Whether any text may now reference other nodes than it did.
        let mut moved = false;
        for (dest, entry) in &mut self.dests {
            let now = index.target(dest);
            if now != entry.target {
                moved |= node(&now) != node(&entry.target);
                for &text in &entry.texts {
                    again[text as usize] = true;
                }
                entry.target = now;
            }
        }
        let reparsed: Vec<usize> = (0..parsed.len())
            .filter(|&i| !Arc::ptr_eq(&self.parsed[i], &parsed[i]))
            .collect();
        for &i in &reparsed {
            again[i] = true;
            moved = true;
            let before = Arc::clone(&self.parsed[i]);
            self.remove(i, &before);
            self.add(index, i, &parsed[i]);
        }
        let texts: Vec<usize> = (0..again.len()).filter(|&i| again[i]).collect();
        self.resolved = texts.len();
        Some(Again {
            texts,
            markdown: std::mem::take(&mut last.markdown),
            backlinks: (!moved).then(|| std::mem::take(&mut last.graph.referenced_by)),
        })
    }

    /// How many texts the last resolve resolved, and how many there were.
    pub(super) fn resolved(&self) -> (usize, usize) {
        (self.resolved, self.parsed.len())
    }

    /// Per target, the nodes whose texts reference it, as a full resolve
    /// collects them.
    fn backlinks(&self) -> Backlinks {
        let mut backlinks = Backlinks::default();
        for entry in self.dests.values() {
            let Some((_, Some(node))) = &entry.target else {
                continue;
            };
            let mut owners = entry
                .texts
                .iter()
                .map(|&text| self.owners[text as usize])
                .filter(|owner| owner != node)
                .peekable();
            if owners.peek().is_some() {
                backlinks.entry(*node).or_default().extend(owners);
            }
        }
        for sources in backlinks.values_mut() {
            sources.sort_unstable();
            sources.dedup();
        }
        backlinks
    }

    fn add(&mut self, index: &Index, i: usize, parsed: &Parsed) {
        let text = u32::try_from(i).expect("fewer than 4 billion texts");
        for dest in references(parsed) {
            match self.dests.get_mut(dest) {
                Some(entry) => entry.texts.push(text),
                None => {
                    let target = index.target(dest);
                    self.dests.insert(
                        dest.into(),
                        Dest {
                            target,
                            texts: vec![text],
                        },
                    );
                }
            }
        }
    }

    fn remove(&mut self, i: usize, parsed: &Parsed) {
        for dest in references(parsed) {
            if let Some(entry) = self.dests.get_mut(dest) {
                entry.texts.retain(|&text| text as usize != i);
                if entry.texts.is_empty() {
                    self.dests.remove(dest);
                }
            }
        }
    }
}

impl Again {
    /// The texts of the model: the last model's, with `resolved` (the
    /// texts resolved again, in the order of [`Again::texts`]) in place;
    /// and the backlinks, the last model's or collected from `links`.
    pub(super) fn finish(
        self,
        resolved: Vec<TextResolved>,
        diags: &mut Vec<Diagnostic>,
        links: Option<&Links>,
    ) -> (Vec<Markdown>, Backlinks) {
        let Again {
            texts,
            mut markdown,
            backlinks,
        } = self;
        for (i, (text, problems, _)) in texts.into_iter().zip(resolved) {
            diags.extend(problems);
            markdown[i] = text;
        }
        let backlinks = backlinks.unwrap_or_else(|| links.map(Links::backlinks).unwrap_or_default());
        (markdown, backlinks)
    }
}

/// The references a text writes, each once.
fn references(parsed: &Parsed) -> Vec<&str> {
    let mut dests: Vec<&str> = parsed
        .links
        .iter()
        .filter(|link| link.is_reference)
        .map(|link| link.dest.as_str())
        .collect();
    dests.sort_unstable();
    dests.dedup();
    dests
}

fn node(target: &Target) -> Option<NodeId> {
    target.as_ref().and_then(|(_, node)| *node)
}

#[cfg(test)]
mod tests {
    use super::super::patch::tests::{edited, write};

    /// Resolves the site, applies `edit`, and resolves again with the last
    /// model and its links at hand: how many texts were resolved again
    /// (`None`: the last model's were not taken), and the new model,
    /// checked against a resolve from scratch.
    fn relinked(edit: impl FnOnce(&std::path::Path)) -> (Option<usize>, String) {
        let mut edited = edited(edit);
        let site = edited.resolve_again();
        let (resolved, _) = edited.memory.links.as_ref().unwrap().resolved();
        (edited.last.markdown.is_empty().then_some(resolved), site)
    }

    #[test]
    fn a_renamed_topic_resolves_again_only_what_links_to_it() {
        let (resolved, site) = relinked(|root| {
            write(
                root,
                "content/roadmaps/r/phases/01-p.yaml",
                "title: P\ntopics:\n  - id: a\n    title: Alpha\n",
            );
        });
        // Article one, which shows the topic's title in its link.
        assert_eq!(resolved, Some(1));
        assert!(site.contains("title: \"Alpha\""), "{site}");
    }

    #[test]
    fn a_text_with_new_links_resolves_again_and_makes_new_backlinks() {
        let (resolved, _) = relinked(|root| {
            write(
                root,
                "content/articles/two.md",
                "---\ntitle: Two\ndate: 2025-01-02\n---\nSee [](@/articles/one.md#setup) and [](@topic:a).\n",
            );
        });
        assert_eq!(resolved, Some(1));
    }

    #[test]
    fn a_renamed_article_no_link_shows_resolves_nothing_again() {
        // Article two's link to it shows the heading it points to.
        let (resolved, site) = relinked(|root| {
            let one = std::fs::read_to_string(root.join("content/articles/one.md")).unwrap();
            write(
                root,
                "content/articles/one.md",
                &one.replace("title: One", "title: Uno"),
            );
        });
        assert_eq!(resolved, Some(0));
        assert!(site.contains("Uno"));
    }

    #[test]
    fn other_texts_than_last_time_resolve_everything() {
        let (resolved, site) = relinked(|root| {
            write(
                root,
                "content/roadmaps/r/phases/01-p.yaml",
                "title: P\ntopics:\n  - id: a\n    title: A\n    summary: Now with [words](@article:one).\n",
            );
        });
        assert_eq!(resolved, None, "a text was added, yet the last texts were taken");
        assert!(site.contains("Now with"));
    }
}
