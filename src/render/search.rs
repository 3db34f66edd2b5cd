//! The offline search index, `/search-index.json`: one short entry per
//! roadmap, phase, topic, resource, article and page, read by `search.js`
//! in the browser. Entries are arrays, not objects, to keep the file small.

use std::borrow::Cow;

use serde::Serialize;

use crate::model::Site;

/// `[title, path, kind, context, text]`: `context` says where the entry
/// sits (its roadmap and phase), `text` is what else it can be found by.
#[derive(Serialize)]
struct Entry<'a>(&'a str, String, &'static str, String, Cow<'a, str>);

#[derive(Serialize)]
struct Index<'a> {
    version: u32,
    fields: [&'static str; 5],
    entries: Vec<Entry<'a>>,
}

/// Longest `text` per entry: enough to find a topic by what it teaches
/// without shipping whole articles.
const TEXT_CHARS: usize = 240;
/// Articles and pages are found by title, description and headings; their
/// bodies are what a site has most of, so they get less room.
const DOC_TEXT_CHARS: usize = 150;

pub fn index(site: &Site) -> Vec<u8> {
    let mut entries = Vec::new();
    let excerpt = |md: Option<crate::model::MdId>| md.map(|id| site.md(id).excerpt.clone()).unwrap_or_default();
    for roadmap in &site.roadmaps {
        entries.push(Entry(
            &roadmap.title,
            roadmap.path.as_str().to_owned(),
            "roadmap",
            String::new(),
            clip(&excerpt(roadmap.summary)).into(),
        ));
        for phase in &roadmap.phases {
            entries.push(Entry(
                &phase.title,
                phase.path.as_str().to_owned(),
                "phase",
                roadmap.title.clone(),
                clip(&excerpt(phase.summary)).into(),
            ));
            for topic in &phase.topics {
                // What a topic teaches is how people look for it.
                let mut text = topic.learn.join("; ");
                text.push_str(". ");
                text.push_str(&excerpt(topic.summary));
                entries.push(Entry(
                    &topic.title,
                    topic.path.as_str().to_owned(),
                    "topic",
                    format!("{} › {}", roadmap.title, phase.title),
                    clip(&text).into(),
                ));
            }
        }
        for page in &roadmap.pages {
            entries.push(doc_entry(site, page, "page", roadmap.title.clone()));
        }
    }
    for entry in &site.catalog {
        let used_by: Vec<&str> = entry.used_by.iter().map(|&n| site.title(n)).collect();
        let mut context = entry.kind.label().trim_end_matches('s').to_owned();
        if let Some(by) = &entry.by {
            context = format!("{context} by {by}");
        }
        entries.push(Entry(
            &entry.title,
            format!("resources/#{}", entry.anchor),
            "resource",
            context,
            clip(&used_by.join(", ")).into(),
        ));
    }
    for doc in &site.articles {
        entries.push(doc_entry(site, doc, "article", String::new()));
    }
    for doc in &site.pages {
        entries.push(doc_entry(site, doc, "page", String::new()));
    }
    let index = Index {
        version: 1,
        fields: ["title", "path", "kind", "context", "text"],
        entries,
    };
    serde_json::to_vec(&index).expect("plain data serializes")
}

fn doc_entry<'a>(site: &'a Site, doc: &'a crate::model::Doc, kind: &'static str, context: String) -> Entry<'a> {
    let body = site.md(doc.body);
    let description = doc.description.as_deref().unwrap_or_default();
    // Made from the description and the body's parse alone: kept with the
    // parse, it is made again only when the document changed.
    let text = body.derived(description, || {
        // The description, then " · " and each heading, then the excerpt
        // when those are short; clipped as it is put together, since only
        // its first words are kept.
        let headings = body.headings.iter().filter(|h| h.level <= 3);
        let length = description.len() + headings.clone().map(|h| " · ".len() + h.text.len()).sum::<usize>();
        let mut clip = Clip::new(DOC_TEXT_CHARS);
        let mut room = clip.push(description);
        for heading in headings {
            room = room && clip.push(" · ") && clip.push(&heading.text);
        }
        if room && length < DOC_TEXT_CHARS {
            clip.push(&body.excerpt);
        }
        clip.finish()
    });
    Entry(&doc.title, doc.path.as_str().to_owned(), kind, context, text)
}

fn clip(text: &str) -> String {
    clip_to(text, TEXT_CHARS)
}

/// `text` with its white space collapsed, cut to at most `max` characters
/// at a space, with "…" when cut.
fn clip_to(text: &str, max: usize) -> String {
    let mut clip = Clip::new(max);
    clip.push(text);
    clip.finish()
}

/// [`clip_to`] of a text given in pieces, each starting and ending at a
/// word's edge. Collapses only as far as needed: one character past `max`
/// tells that the text is cut (entries are made for every page on every
/// rebuild).
struct Clip {
    collapsed: String,
    chars: usize,
    max: usize,
}

impl Clip {
    fn new(max: usize) -> Clip {
        Clip {
            collapsed: String::with_capacity(4 * max + 8),
            chars: 0,
            max,
        }
    }

    /// Adds a piece; false once the text is past `max`, when more changes nothing.
    fn push(&mut self, piece: &str) -> bool {
        // ASCII text without a vertical tab (the one ASCII space that
        // `split_ascii_whitespace` keeps) splits into the same words byte by
        // byte, and counts a character per byte: the index is made of such
        // texts on every preview rebuild.
        if piece.is_ascii() && !piece.contains('\x0B') {
            self.push_words(piece.split_ascii_whitespace(), str::len)
        } else {
            self.push_words(piece.split_whitespace(), |word| word.chars().count())
        }
    }

    fn push_words<'t>(&mut self, words: impl Iterator<Item = &'t str>, chars: fn(&str) -> usize) -> bool {
        for word in words {
            if self.chars > self.max {
                break;
            }
            if !self.collapsed.is_empty() {
                self.collapsed.push(' ');
                self.chars += 1;
            }
            self.collapsed.push_str(word);
            self.chars += chars(word);
        }
        self.chars <= self.max
    }

    fn finish(self) -> String {
        if self.chars <= self.max {
            return self.collapsed;
        }
        let collapsed = self.collapsed;
        let end = if collapsed.is_ascii() {
            self.max.min(collapsed.len())
        } else {
            collapsed
                .char_indices()
                .nth(self.max)
                .map_or(collapsed.len(), |(at, _)| at)
        };
        let cut = &collapsed[..end];
        let cut = cut.rsplit_once(' ').map_or(cut, |(head, _)| head);
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::{Clip, clip_to};
    use proptest::prelude::*;

    /// The plain definition: collapse all white space, then cut.
    fn reference(text: &str, max: usize) -> String {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() <= max {
            return text;
        }
        let cut: String = text.chars().take(max).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{cut}…")
    }

    #[test]
    fn cuts_at_a_space_and_marks_the_cut() {
        assert_eq!(clip_to("  one  two\nthree ", 20), "one two three");
        assert_eq!(clip_to("one two three", 9), "one two…");
        assert_eq!(clip_to("one two three", 7), "one…");
        assert_eq!(clip_to("éééé ééé", 6), "éééé…");
        assert_eq!(clip_to("unbroken", 4), "unbr…");
    }

    proptest! {
        #[test]
        fn same_as_collapsing_everything_first(text in "[a-zé \\t\\n\\r\u{b}\u{c}\u{a0}\u{2003}]{0,40}", max in 0usize..30) {
            prop_assert_eq!(clip_to(&text, max), reference(&text, max));
        }

        #[test]
        fn pieces_clip_as_their_text(pieces in proptest::collection::vec("[a-zé \\t\u{b}\u{a0}]{0,12}", 0..6), max in 0usize..30) {
            // Pieces as `doc_entry` gives them: separated by " · ".
            let mut clip = Clip::new(max);
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 {
                    clip.push(" · ");
                }
                clip.push(piece);
            }
            prop_assert_eq!(clip.finish(), reference(&pieces.join(" · "), max));
        }
    }
}
