//! The built-in content is complete: what the product promises a learner on
//! every phase and topic page is actually there.

mod common;

use common::repo;
use serde_yaml::Value;

fn phases() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(repo().join("content/roadmaps")).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.parent().is_some_and(|p| p.ends_with("phases")) && path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(path).unwrap();
            out.push((path.display().to_string(), serde_yaml::from_str(&text).unwrap()));
        }
    }
    out
}

fn has_text(value: &Value, key: &str) -> bool {
    value
        .get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

#[test]
fn roadmaps_have_their_phases() {
    let count = |roadmap: &str| {
        std::fs::read_dir(repo().join("content/roadmaps").join(roadmap).join("phases"))
            .unwrap()
            .count()
    };
    assert_eq!(count("machine-learning"), 8);
    assert_eq!(count("ml-fast-track"), 6);
    assert!(count("ml-career") >= 5);
}

#[test]
fn every_phase_topic_and_resource_is_complete() {
    let mut problems = Vec::new();
    let all = phases();
    assert!(all.len() >= 19);
    for (file, phase) in &all {
        for key in ["duration", "summary", "milestone"] {
            if !has_text(phase, key) {
                problems.push(format!("{file}: phase has no {key}"));
            }
        }
        let topics = phase
            .get("topics")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        if topics.is_empty() {
            problems.push(format!("{file}: phase has no topics"));
        }
        for topic in &topics {
            let id = topic.get("id").and_then(Value::as_str).unwrap_or("?");
            if !has_text(topic, "summary") {
                problems.push(format!("{file}: topic {id} has no summary"));
            }
            if topic
                .get("learn")
                .and_then(Value::as_sequence)
                .is_none_or(|l| l.is_empty())
            {
                problems.push(format!("{file}: topic {id} has nothing to learn"));
            }
            for resource in topic
                .get("resources")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let title = resource.get("title").and_then(Value::as_str).unwrap_or("?");
                for key in ["kind", "cost"] {
                    if !has_text(resource, key) {
                        problems.push(format!("{file}: resource {title:?} of {id} has no {key}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_builtin_site_cross_references_a_lot() {
    let mut references = 0;
    for entry in walkdir::WalkDir::new(repo().join("content")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            references += text.matches("](@").count();
        }
    }
    assert!(references >= 100, "only {references} @ references");
}

/// A roadmap's length is computed from its phases; a summary that also
/// wrote it down in words would drift from it (it did: "about 9–12 months"
/// in the header, "12 to 18 months" in the text).
#[test]
fn roadmap_summaries_leave_the_length_to_the_phases() {
    let re = regex::Regex::new(r"(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b[^.]{0,20}\b(weeks|months|years)\b").unwrap();
    for entry in std::fs::read_dir(common::repo().join("content/roadmaps")).unwrap() {
        let path = entry.unwrap().path().join("roadmap.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let summary = text.split("\naudience:").next().unwrap();
        assert!(
            !re.is_match(summary),
            "{} states a length: {:?}",
            path.display(),
            re.find(summary)
        );
    }
}
