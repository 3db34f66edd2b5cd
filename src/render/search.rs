//! The offline search index, `/search-index.json`: one short entry per
//! roadmap, phase, topic, resource, article and page, read by `search.js`
//! in the browser. Entries are arrays, not objects, to keep the file small.

use serde::Serialize;

use crate::model::Site;

/// `[title, path, kind, context, text]`: `context` says where the entry
/// sits (its roadmap and phase), `text` is what else it can be found by.
#[derive(Serialize)]
struct Entry<'a>(&'a str, String, &'static str, String, String);

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
            clip(&excerpt(roadmap.summary)),
        ));
        for phase in &roadmap.phases {
            entries.push(Entry(
                &phase.title,
                phase.path.as_str().to_owned(),
                "phase",
                roadmap.title.clone(),
                clip(&excerpt(phase.summary)),
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
                    clip(&text),
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
            clip(&used_by.join(", ")),
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

fn doc_entry<'a>(site: &Site, doc: &'a crate::model::Doc, kind: &'static str, context: String) -> Entry<'a> {
    let body = site.md(doc.body);
    let mut text = doc.description.clone().unwrap_or_default();
    for heading in body.headings.iter().filter(|h| h.level <= 3) {
        text.push_str(" · ");
        text.push_str(&heading.text);
    }
    if text.len() < DOC_TEXT_CHARS {
        text.push(' ');
        text.push_str(&body.excerpt);
    }
    Entry(
        &doc.title,
        doc.path.as_str().to_owned(),
        kind,
        context,
        clip_to(&text, DOC_TEXT_CHARS),
    )
}

fn clip(text: &str) -> String {
    clip_to(text, TEXT_CHARS)
}

/// `text` with its white space collapsed, cut to at most `max` characters
/// at a space, with "…" when cut.
fn clip_to(text: &str, max: usize) -> String {
    // Collapse only as far as needed: one character past `max` tells that
    // the text is cut (entries are made for every page on every rebuild).
    let mut collapsed = String::with_capacity(text.len().min(4 * max + 8));
    let mut chars = 0;
    for word in text.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
            chars += 1;
        }
        collapsed.push_str(word);
        chars += word.chars().count();
        if chars > max {
            break;
        }
    }
    if chars <= max {
        return collapsed;
    }
    let end = collapsed.char_indices().nth(max).map_or(collapsed.len(), |(at, _)| at);
    let cut = &collapsed[..end];
    let cut = cut.rsplit_once(' ').map_or(cut, |(head, _)| head);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::clip_to;
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
        fn same_as_collapsing_everything_first(text in "[a-zé \\t\\n]{0,40}", max in 0usize..30) {
            prop_assert_eq!(clip_to(&text, max), reference(&text, max));
        }
    }
}
