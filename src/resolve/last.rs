//! What a preview rebuild's full resolve takes from the last model: the
//! articles and standalone pages, when none of their files changed.
//! Building thousands of documents again (their dates, ids and keys
//! checked one by one) was a third of resolving a large site after an
//! edit to roadmap data.

use super::patch::{Docs, same_file};
use super::{Builder, DocKind, MdInput, Origin};
use crate::model::{Doc, MdId, NodeId, Roadmap, Site};
use crate::source::Sources;

/// The last resolve of the same site with the same options, which had no
/// diagnostic at all. Its documents are taken out of `site`.
pub struct Last<'a> {
    pub sources: &'a Sources,
    pub site: &'a mut Site,
}

impl<'s> Builder<'s> {
    /// The last model's articles (`kind` [`DocKind::Article`]) or pages,
    /// when every one of their files is the one it was then, and the
    /// roadmaps they can name are the same: exactly what building them
    /// again would make, with no diagnostic.
    pub(super) fn kept_docs(
        &mut self,
        kind: DocKind,
        last: Option<&mut Last>,
        now: &'s Docs,
        roadmaps: &[Roadmap],
    ) -> Option<Vec<Doc>> {
        let last = last?;
        let (before, kept) = match kind {
            DocKind::Article => (&last.sources.articles, &mut last.site.articles),
            DocKind::Page => (&last.sources.pages, &mut last.site.pages),
            DocKind::RoadmapPage(_) => return None,
        };
        let unchanged = before.len() == now.len()
            && before.iter().zip(now).all(|((slug_before, a), (slug_now, b))| {
                slug_before == slug_now && same_file(&last.sources.map, a.file, self.map, b.file)
            });
        let same_roadmaps = last.site.roadmaps.len() == roadmaps.len()
            && last.site.roadmaps.iter().zip(roadmaps).all(|(a, b)| a.id == b.id);
        if !unchanged || !same_roadmaps {
            return None;
        }
        let mut body_of = vec![None; self.map.len()];
        for (_, loaded) in now {
            body_of[loaded.file.index()] = Some(loaded.body.clone());
        }
        let bodies: Vec<_> = kept
            .iter()
            .map(|doc| body_of[doc.source.index()].clone())
            .collect::<Option<_>>()?;
        let mut docs = std::mem::take(kept);
        for (i, (doc, body)) in docs.iter_mut().zip(bodies).enumerate() {
            // Its text goes where building it would have put it.
            self.inputs.push(MdInput {
                text: &self.map.get(doc.source).text[body.clone()],
                origin: Origin::Body {
                    file: doc.source,
                    start: body.start,
                },
                owner: match kind {
                    DocKind::Article => NodeId::Article(i),
                    _ => NodeId::Page(i),
                },
                id_prefix: None,
            });
            doc.body = MdId(u32::try_from(self.inputs.len() - 1).expect("fewer than 4 billion texts"));
        }
        Some(docs)
    }
}
