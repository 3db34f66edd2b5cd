//! What the progress script (static/progress.js) needs to know about a
//! roadmap and cannot read from the page: which topics each phase holds and
//! what each topic requires. Embedded in the page as JSON, never fetched, so
//! progress works from `file://`.

use serde::Serialize;

use crate::model::{NodeId, Site};

/// `<roadmap-id>/<node-id>`: the stable key progress is stored under.
pub fn key(site: &Site, r: usize, id: &str) -> String {
    format!("{}/{id}", site.roadmaps[r].id.as_str())
}

#[derive(Serialize)]
struct PhaseData {
    key: String,
    topics: Vec<String>,
}

#[derive(Serialize)]
struct RoadmapData {
    phases: Vec<PhaseData>,
    /// Topic key → the topic keys that must be done first. Empty on pages
    /// that only count progress.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    requires: std::collections::BTreeMap<String, Vec<String>>,
}

/// The topics a requirement stands for: a topic itself, or a phase's
/// non-optional topics (optional ones are nobody's prerequisite).
fn required_topics(site: &Site, node: NodeId, into: &mut Vec<String>) {
    match node {
        NodeId::Topic(r, p, t) => into.push(key(site, r, site.topic(r, p, t).id.as_str())),
        NodeId::Phase(r, p) => into.extend(
            site.phase(r, p)
                .topics
                .iter()
                .filter(|t| !t.optional)
                .map(|t| key(site, r, t.id.as_str())),
        ),
        _ => {}
    }
}

fn roadmap_data(site: &Site, r: usize, with_requires: bool) -> RoadmapData {
    let roadmap = &site.roadmaps[r];
    let mut requires = std::collections::BTreeMap::new();
    if with_requires {
        for phase in &roadmap.phases {
            for topic in &phase.topics {
                // A topic needs what it names and what its phase names.
                let mut needs = Vec::new();
                for &node in topic.requires.iter().chain(&phase.requires) {
                    required_topics(site, node, &mut needs);
                }
                let mut seen = std::collections::HashSet::new();
                needs.retain(|k| seen.insert(k.clone()));
                if !needs.is_empty() {
                    requires.insert(key(site, r, topic.id.as_str()), needs);
                }
            }
        }
    }
    RoadmapData {
        phases: roadmap
            .phases
            .iter()
            .map(|phase| PhaseData {
                key: key(site, r, phase.id.as_str()),
                topics: phase.topics.iter().map(|t| key(site, r, t.id.as_str())).collect(),
            })
            .collect(),
        requires,
    }
}

/// What the progress script needs of some roadmaps: roadmap id → data,
/// ordered by id.
#[derive(Serialize)]
pub struct Data(std::collections::BTreeMap<String, RoadmapData>);

pub fn data(site: &Site, roadmaps: impl IntoIterator<Item = usize>, with_requires: bool) -> Data {
    Data(
        roadmaps
            .into_iter()
            .map(|r| {
                (
                    site.roadmaps[r].id.as_str().to_owned(),
                    roadmap_data(site, r, with_requires),
                )
            })
            .collect(),
    )
}

/// JSON for a `<script type="application/json">` block. `<` is escaped so
/// no text can close the script element.
pub fn json(data: &Data) -> String {
    serde_json::to_string(data).unwrap_or_default().replace('<', "\\u003c")
}
