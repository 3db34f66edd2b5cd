//! The preview's promise: after any sequence of edits, what it serves is
//! byte for byte what a fresh build of the same files makes. Checked on a
//! small site that has every kind of page and cross-reference, edited at
//! random. In a debug build every page kept by its key is fingerprinted
//! too, and a page whose key missed a change fails the rebuild.

use std::path::Path;

use proptest::prelude::*;

use super::session::Session;
use super::session::tests::{bytes_of, fresh, write};
use crate::resolve::Options;

/// The parts of the site an edit changes, one byte each.
const PARTS: usize = 24;

fn pick<'a>(choices: &[&'a str], byte: u8) -> &'a str {
    choices[byte as usize % choices.len()]
}

/// Writes the site as `state` says: each byte picks one variant of a part.
fn write_site(root: &Path, s: &[u8; PARTS]) {
    write(root, "site.yaml", "title: T\nbase_url: https://example.org/\n");
    write(
        root,
        "content/roadmaps/r/roadmap.yaml",
        &format!("title: {}\nsummary: The road.\n", pick(&["R", "Road"], s[4])),
    );
    let note = pick(
        &["", "\n        note: Read it.", "\n        note: See [](@topic:b)."],
        s[6],
    );
    let requires = if s[2] % 2 == 1 { "\n    requires: [a]" } else { "" };
    write(
        root,
        "content/roadmaps/r/phases/01-p.yaml",
        &format!(
            "title: P\nduration: 2 weeks\nsummary: {}\ntopics:\n  - id: a\n    title: {}\n    why: Because.\n    \
             resources:\n      - title: Book\n        url: https://example.org/book{note}\n  - id: b\n    title: {}\n    \
             optional: {}{requires}\n",
            pick(&["Plain.", "See [](@topic:a).", "See [](@article:one)."], s[3]),
            pick(&["A", "Alpha", "A renamed"], s[0]),
            pick(&["B", "Beta"], s[23]),
            s[1] % 2 == 1,
        ),
    );
    write(
        root,
        "content/roadmaps/r/phases/02-p2.yaml",
        &format!(
            "title: {}\nrequires: [p]\ntopics:\n  - id: d\n    title: D\n",
            pick(&["P2", "Second"], s[22])
        ),
    );
    write(
        root,
        "content/roadmaps/r/faq.md",
        &format!(
            "---\ntitle: {}\n---\n## Costs\n\n{}\n",
            pick(&["FAQ", "Questions"], s[21]),
            pick(&["None.", "None at all."], s[21] / 2)
        ),
    );
    write(root, "content/roadmaps/s/roadmap.yaml", "title: S\n");
    write(
        root,
        "content/roadmaps/s/phases/01-q.yaml",
        &format!(
            "title: Q\ntopics:\n  - id: c\n    title: C\n    requires: [{}]\n",
            pick(&["", "r/a", "r/b"], s[5])
        ),
    );
    for (i, (slug, other)) in [("one", "two"), ("two", "one")].into_iter().enumerate() {
        let tags: Vec<&str> = ["x", "y", "z"]
            .into_iter()
            .enumerate()
            .filter(|(t, _)| s[11 + i] >> t & 1 == 1)
            .map(|(_, tag)| tag)
            .collect();
        // The last two are the same instant, written with other offsets.
        let dates = [
            "2025-01-01",
            "2025-01-05",
            "2025-01-03T10:00:00+02:00",
            "2025-01-03T08:00:00Z",
        ];
        // Other words around the same links and headings: the model is patched.
        let words = pick(&["Words.\n\n", "Other words.\n\n"], s[9 + i] / 5);
        let body = match s[9 + i] % 5 {
            0 => "Plain words.\n".to_owned(),
            1 => "See [](@topic:a) and [more](@topic:r/b).\n\n## Setup\n\nText.\n".to_owned(),
            2 => "See [](@phase:r/p#topics) and [](@roadmap:s).\n".to_owned(),
            3 => "Code:\n\n```rust\nfn main() {}\n```\n\nSee [](@page:about) and [](@/roadmaps/r/faq.md#costs).\n"
                .to_owned(),
            _ => format!("See [](@/articles/{other}.md) and [](@roadmap:r).\n"),
        };
        write(
            root,
            &format!("content/articles/{slug}.md"),
            &format!(
                "---\ntitle: {}\ndate: {}\ntags: [{}]\n{}{}---\n{words}{body}",
                pick(&[slug, "Other"], s[7 + i]),
                pick(&dates, s[17 + i]),
                tags.join(", "),
                pick(&["", "description: Said so.\n"], s[13 + i]),
                pick(&["", "roadmap: r\n"], s[15 + i]),
            ),
        );
    }
    let third = root.join("content/articles/three.md");
    if s[19] % 2 == 1 {
        write(
            root,
            "content/articles/three.md",
            "---\ntitle: Three\ndate: 2025-02-01\ntags: [x]\n---\nThird.\n",
        );
    } else if third.exists() {
        std::fs::remove_file(third).unwrap();
    }
    write(
        root,
        "content/pages/about.md",
        &format!(
            "---\ntitle: {}\n---\n{} [](@article:two).\n",
            pick(&["About", "About us"], s[20]),
            pick(&["About", "All about"], s[20] / 2)
        ),
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn after_any_edits_the_preview_serves_what_a_fresh_build_makes(
        first in proptest::array::uniform24(any::<u8>()),
        // One part changed at a time, as an author edits.
        edits in proptest::collection::vec((0..PARTS, any::<u8>()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut session = Session::new(root, Options::default(), true);
        let mut state = first;
        write_site(root, &state);
        prop_assert!(session.rebuild(None).result.is_ok(), "the first build of {state:?} failed");
        for (part, variant) in edits {
            state[part] = variant;
            write_site(root, &state);
            if variant % 4 == 0 {
                // Another file saved halfway through an edit, then fixed:
                // a phase with no text, so every text stays where it was.
                write(root, "content/roadmaps/s/phases/01-q.yaml", "title: [\n");
                prop_assert!(session.rebuild(None).result.is_err(), "a broken phase built");
                write_site(root, &state);
            }
            let outcome = session.rebuild(None);
            prop_assert!(outcome.result.is_ok(), "after {state:?}: {:?}", outcome.result.err().map(|f| f.report()));
            let served = bytes_of(&session);
            let fresh = fresh(root);
            let differ: Vec<&String> = fresh
                .keys()
                .chain(served.keys())
                .filter(|path| served.get(*path) != fresh.get(*path))
                .collect();
            prop_assert!(differ.is_empty(), "after {state:?}: {differ:?}");
        }
    }
}
