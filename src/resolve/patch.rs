//! The preview's shortcut for the most common edit: a change to the text
//! of articles or pages that adds, removes or rewrites no heading and no
//! link. Every other part of the last model is then what a full resolve
//! would make again, so only those texts are parsed and put in place.

use std::ops::Range;
use std::sync::Arc;

use crate::diag::{FileId, SourceMap};
use crate::markdown::{Markdown, ParseOptions, Parsed, Text};
use crate::model::{MdId, Site};
use crate::source::raw::RawFrontMatter;
use crate::source::{Loaded, Sources};

/// Makes `last`, resolved from `before` with no diagnostic at all, what
/// resolving `now` would make. Returns `false`, with `last` as it was,
/// when that takes a full resolve.
pub fn patch(last: &mut Site, before: &Sources, now: &Sources, memory: &mut super::Memory) -> bool {
    let Some(changed) = changed_texts(before, now) else {
        return false;
    };
    // As every body is parsed (`Builder::doc`).
    let opts = ParseOptions {
        allow_html: last.config.allow_html,
        id_prefix: None,
        page_body: true,
    };
    let mut texts: Vec<(MdId, Markdown, Arc<Parsed>)> = Vec::with_capacity(changed.len());
    for ChangedText {
        file,
        before: body_before,
        now: body_now,
    } in changed
    {
        let docs = last.articles.iter().chain(&last.pages);
        let mut docs = docs.chain(last.roadmaps.iter().flat_map(|r| &r.pages));
        // A draft left out of the build: its text is published nowhere.
        let Some(doc) = docs.find(|doc| doc.source == file) else {
            continue;
        };
        let (text_before, text_now) = (body(before, file, body_before, &opts), body(now, file, body_now, &opts));
        let Some((old, new)) = memory.parses.reparse(&text_before, &text_now) else {
            return false;
        };
        // New problems are for a full resolve to report; headings are
        // anchors other texts may link to; links make backlinks.
        let same_shape =
            new.warnings.is_empty() && new.errors.is_empty() && old.headings == new.headings && old.links_like(&new);
        if !same_shape {
            return false;
        }
        texts.push((doc.body, last.md(doc.body).relinked(&new), new));
    }
    for (id, text, parsed) in texts {
        last.markdown[id.0 as usize] = text;
        if let Some(links) = &mut memory.links {
            links.reparsed(id, &parsed);
        }
    }
    true
}

/// An article or page whose body alone changed, and where the body is in
/// its file before and now.
struct ChangedText {
    file: FileId,
    before: Range<usize>,
    now: Range<usize>,
}

fn body<'a>(sources: &'a Sources, file: FileId, range: Range<usize>, opts: &ParseOptions) -> Text<'a> {
    Text {
        text: &sources.map.get(file).text[range],
        opts: opts.clone(),
        file: Some(sources.map.shared(file)),
    }
}

/// Whether file `a` of `before` and file `b` of `now` are the same file
/// with the same text: the same shared one when the preview kept it, or
/// one read again (its time changed) that may still be the same.
pub(super) fn same_file(before: &SourceMap, a: FileId, now: &SourceMap, b: FileId) -> bool {
    a == b && {
        let (a, b) = (before.shared(a), now.shared(b));
        Arc::ptr_eq(a, b) || a.text == b.text
    }
}

/// The articles and pages whose body alone changed; `None` when anything
/// else changed.
fn changed_texts(before: &Sources, now: &Sources) -> Option<Vec<ChangedText>> {
    let same_file = |a: FileId, b: FileId| same_file(&before.map, a, &now.map, b);
    let same_loaded = |a: Option<FileId>, b: Option<FileId>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_file(a, b),
        _ => false,
    };
    let same = before.root == now.root
        && before.map.len() == now.map.len()
        && same_loaded(
            before.config.as_ref().map(|c| c.file),
            now.config.as_ref().map(|c| c.file),
        )
        && before.broken_docs == now.broken_docs
        && before.assets == now.assets
        && before.static_files == now.static_files
        && before.roadmaps.len() == now.roadmaps.len();
    if !same {
        return None;
    }
    let mut changed = Vec::new();
    for (a, b) in before.roadmaps.iter().zip(&now.roadmaps) {
        let same = a.name == b.name
            && a.incomplete == b.incomplete
            && same_loaded(a.roadmap.as_ref().map(|r| r.file), b.roadmap.as_ref().map(|r| r.file))
            && a.phases.len() == b.phases.len()
            && a.phases
                .iter()
                .zip(&b.phases)
                .all(|((a_stem, a), (b_stem, b))| a_stem == b_stem && same_file(a.file, b.file));
        if !same {
            return None;
        }
        changed_bodies(before, now, &a.pages, &b.pages, &mut changed)?;
    }
    changed_bodies(before, now, &before.articles, &now.articles, &mut changed)?;
    changed_bodies(before, now, &before.pages, &now.pages, &mut changed)?;
    Some(changed)
}

/// Articles or pages as loaded, by slug.
pub(super) type Docs = [(String, Loaded<RawFrontMatter>)];

/// Adds the documents of `now` whose body alone differs from `before`;
/// `None` when a front matter differs, or the documents are not the same.
fn changed_bodies(
    before: &Sources,
    now: &Sources,
    docs_before: &Docs,
    docs_now: &Docs,
    changed: &mut Vec<ChangedText>,
) -> Option<()> {
    if docs_before.len() != docs_now.len() {
        return None;
    }
    for ((slug_before, a), (slug_now, b)) in docs_before.iter().zip(docs_now) {
        if slug_before != slug_now || a.file != b.file {
            return None;
        }
        let (file_before, file_now) = (before.map.shared(a.file), now.map.shared(b.file));
        if Arc::ptr_eq(file_before, file_now) {
            continue;
        }
        // Everything up to the body the same: the same front matter, parsed the same.
        let same_head = a.yaml == b.yaml
            && a.body.start == b.body.start
            && file_before.text.get(..a.body.start) == file_now.text.get(..b.body.start);
        if !same_head {
            return None;
        }
        if file_before.text != file_now.text {
            changed.push(ChangedText {
                file: b.file,
                before: a.body.clone(),
                now: b.body.clone(),
            });
        }
    }
    Some(())
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use super::*;
    use crate::diag::Diagnostics;
    use crate::resolve::{Last, Memory, Options, resolve};
    use crate::source::{self, Reuse};

    const ARTICLE: &str = "---\ntitle: One\ndate: 2025-01-01\n---\nSee [](@topic:a).\n\n## Setup\n\nSome words.\n";

    pub(in crate::resolve) fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub(in crate::resolve) fn site(root: &Path) {
        write(root, "site.yaml", "title: T\nbase_url: https://example.org/\n");
        write(root, "content/roadmaps/r/roadmap.yaml", "title: R\n");
        write(
            root,
            "content/roadmaps/r/phases/01-p.yaml",
            "title: P\ntopics:\n  - id: a\n    title: A\n",
        );
        write(root, "content/roadmaps/r/faq.md", "---\ntitle: FAQ\n---\nAsk.\n");
        write(root, "content/articles/one.md", ARTICLE);
        write(
            root,
            "content/articles/two.md",
            "---\ntitle: Two\ndate: 2025-01-02\n---\nSee [](@/articles/one.md#setup).\n",
        );
        write(
            root,
            "content/articles/later.md",
            "---\ntitle: Later\ndate: 2025-01-03\ndraft: true\n---\nNot yet.\n",
        );
    }

    /// The model a fresh load and resolve of `root` makes, as text.
    pub(in crate::resolve) fn fresh(root: &Path) -> String {
        let mut diags = Diagnostics::default();
        let sources = source::load(root, &mut diags, None);
        let site = resolve(&sources, &Options::default(), None, None, &mut diags).unwrap();
        assert!(diags.is_empty());
        format!("{site:?}")
    }

    /// The site of [`site`] resolved as the preview does, then edited and
    /// loaded again: what patching or resolving again starts from.
    pub(in crate::resolve) struct Edited {
        pub dir: tempfile::TempDir,
        pub before: Sources,
        pub last: Site,
        pub now: Sources,
        pub memory: Memory,
    }

    impl Edited {
        /// Resolves the edited site again with the last model and the
        /// preview's memory at hand, as the preview does when it cannot
        /// patch; checks the model against a resolve from scratch and
        /// returns it as text.
        pub(in crate::resolve) fn resolve_again(&mut self) -> String {
            let last = Last {
                sources: &self.before,
                site: &mut self.last,
            };
            let mut diags = Diagnostics::default();
            let site = resolve(
                &self.now,
                &Options::default(),
                Some(&mut self.memory),
                Some(last),
                &mut diags,
            )
            .unwrap();
            assert!(diags.is_empty(), "{diags:?}");
            let site = format!("{site:?}");
            assert_eq!(site, fresh(self.dir.path()), "not what a resolve from scratch makes");
            site
        }
    }

    pub(in crate::resolve) fn edited(edit: impl FnOnce(&Path)) -> Edited {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        site(root);
        let (mut reuse, mut memory, mut diags) = (Reuse::default(), Memory::default(), Diagnostics::default());
        let before = source::load(root, &mut diags, Some(&mut reuse));
        let last = resolve(&before, &Options::default(), Some(&mut memory), None, &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        edit(root);
        reuse.report(None);
        let now = source::load(root, &mut diags, Some(&mut reuse));
        assert!(diags.is_empty(), "{diags:?}");
        Edited {
            dir,
            before,
            last,
            now,
            memory,
        }
    }

    /// Resolves the site, applies `edit`, and patches the model: the
    /// patched model as text, or `None` when a full resolve was asked for.
    fn patched(edit: impl FnOnce(&Path)) -> Option<String> {
        let Edited {
            dir,
            before,
            mut last,
            now,
            mut memory,
        } = edited(edit);
        let unpatched = format!("{last:?}");
        if !patch(&mut last, &before, &now, &mut memory) {
            assert_eq!(format!("{last:?}"), unpatched, "a refused patch changed the model");
            return None;
        }
        let site = format!("{last:?}");
        assert_eq!(
            site,
            fresh(dir.path()),
            "the patched model is not what a full resolve makes"
        );
        Some(site)
    }

    #[test]
    fn new_words_in_a_text_patch_the_model_as_a_full_resolve_would() {
        let edited = patched(|root| {
            write(
                root,
                "content/articles/one.md",
                &ARTICLE.replace("Some words.", "Other, longer words."),
            );
            write(root, "content/roadmaps/r/faq.md", "---\ntitle: FAQ\n---\nAsk away.\n");
        });
        assert!(edited.unwrap().contains("Other, longer words."));
        // Links that moved in the text but point to the same places.
        assert!(
            patched(|root| write(root, "content/articles/one.md", &ARTICLE.replace("See", "First, see"))).is_some()
        );
        assert!(patched(|_| ()).is_some(), "nothing changed");
        assert!(
            patched(|root| write(
                root,
                "content/articles/later.md",
                "---\ntitle: Later\ndate: 2025-01-03\ndraft: true\n---\nSoon.\n"
            ))
            .is_some(),
            "the text of a draft that is not published"
        );
    }

    #[test]
    fn any_other_change_takes_a_full_resolve() {
        let edits: [(&str, &str, String); 6] = [
            (
                "a heading",
                "content/articles/one.md",
                ARTICLE.replace("## Setup", "## Set-up"),
            ),
            (
                "a link",
                "content/articles/one.md",
                format!("{ARTICLE}\nAnd [](@topic:a).\n"),
            ),
            (
                "a link's text shown",
                "content/articles/one.md",
                ARTICLE.replace("[](@topic:a)", "[it](@topic:a)"),
            ),
            (
                "a front matter",
                "content/articles/one.md",
                ARTICLE.replace("title: One", "title: Uno"),
            ),
            (
                "a phase",
                "content/roadmaps/r/phases/01-p.yaml",
                "title: P\ntopics:\n  - id: a\n    title: Alpha\n".to_owned(),
            ),
            ("a new file", "content/articles/three.md", ARTICLE.to_owned()),
        ];
        for (what, path, text) in edits {
            assert!(patched(|root| write(root, path, &text)).is_none(), "{what} changed");
        }
    }
}

#[cfg(test)]
mod kept_docs_tests {
    use super::tests::{edited, write};

    /// Resolves the site, applies `edit`, and resolves again with the last
    /// model at hand: whether its articles were taken, and the new model.
    fn resolved_again(edit: impl FnOnce(&std::path::Path)) -> (bool, String) {
        let mut edited = edited(edit);
        let site = edited.resolve_again();
        (edited.last.articles.is_empty(), site)
    }

    #[test]
    fn an_edit_to_roadmap_data_takes_the_articles_of_the_last_model() {
        let (taken, site) = resolved_again(|root| {
            write(
                root,
                "content/roadmaps/r/phases/01-p.yaml",
                "title: P\nsummary: Now with a summary.\ntopics:\n  - id: a\n    title: Alpha\n",
            );
        });
        assert!(taken, "the articles were built again");
        assert!(site.contains("Alpha"));
    }

    #[test]
    fn a_changed_article_or_roadmap_builds_the_articles_again() {
        let edits: [(&str, &str, &str); 2] = [
            (
                "an article",
                "content/articles/one.md",
                "---\ntitle: Uno\ndate: 2025-01-01\n---\nSee [](@topic:a).\n\n## Setup\n",
            ),
            (
                "a new roadmap",
                "content/roadmaps/q/roadmap.yaml",
                "title: Q\norder: -1\n",
            ),
        ];
        for (what, path, text) in edits {
            let (taken, _) = resolved_again(|root| write(root, path, text));
            assert!(!taken, "{what} changed, yet the last articles were taken");
        }
    }
}
